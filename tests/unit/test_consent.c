/* SPDX-License-Identifier: Apache-2.0 */
/* test_consent.c - the consent decision over its whole input matrix, the
 * attribute parsers, cs_consent_pick_current and cs_consent_reason.
 *
 * The expected decisions come from an oracle written from the rules in
 * consent.h over symbolic cases (who gave it, "withdrawn before now", ...),
 * never from cs_consent_decide itself, so that a wrong rule shows up as a
 * disagreement instead of being copied into the test. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "consent/consent.h"

#define NOW INT64_C(1700000000)

/* ------------------------------------------------------------------------
 * The matrix
 * ------------------------------------------------------------------------ */

static const cs_given_by all_given_by[] = {CS_GIVEN_SELF, CS_GIVEN_REPRESENTATIVE, CS_GIVEN_BEST_INTERESTS};
static const char *const given_by_label[] = {"self", "representative", "best-interests"};

static const cs_capacity all_capacity[] = {CS_CAPACITY_HAS, CS_CAPACITY_LACKS, CS_CAPACITY_NOT_ASSESSED};
static const char *const capacity_label[] = {"has-capacity", "lacks-capacity", "not-assessed"};

/* The two uses of AI text and what each needs, spelled out by hand. */
typedef enum { USE_LOCAL_ENGINE, USE_EXTERNAL_ENGINE } use_case;
static const char *const use_label[] = {"local-engine", "external-engine"};

static uint32_t use_needs(use_case u)
{
    return u == USE_LOCAL_ENGINE ? CS_SCOPE_AI_DRAFT : CS_SCOPE_AI_DRAFT | CS_SCOPE_EXTERNAL_AI;
}

/* When the consent was given, relative to now. */
typedef enum { GIVEN_BEFORE, GIVEN_AT_NOW, GIVEN_AFTER } given_case;
static const char *const given_label[] = {"given-before-now", "given-at-now", "given-after-now"};

static int64_t given_time(given_case g)
{
    static const int64_t t[] = {NOW - 86400, NOW, NOW + 3600};
    return t[g];
}

/* When (if ever) it was withdrawn, relative to now. */
typedef enum { WD_NEVER, WD_BEFORE, WD_AT_NOW, WD_AFTER } withdrawn_case;
static const char *const withdrawn_label[] = {"never-withdrawn", "withdrawn-before-now", "withdrawn-at-now",
                                              "withdrawn-after-now"};

static int64_t withdrawn_time(withdrawn_case w)
{
    static const int64_t t[] = {0, NOW - 60, NOW, NOW + 7200};
    return t[w];
}

/* Every one of the 16 subsets of the four scopes is offered; the brief's
 * representative ones (none, ai-draft, ai-draft+external-ai, external-ai,
 * all four) are among them. */
#define SCOPE_SUBSETS 16u

static void scope_label(char *buf, size_t size, uint32_t scopes)
{
    snprintf(buf, size, "{%s%s%s%s}", (scopes & CS_SCOPE_RECORD_AUDIO) ? " record-audio" : "",
             (scopes & CS_SCOPE_TRANSCRIBE) ? " transcribe" : "", (scopes & CS_SCOPE_AI_DRAFT) ? " ai-draft" : "",
             (scopes & CS_SCOPE_EXTERNAL_AI) ? " external-ai" : "");
}

static const char *result_label(cs_consent_result r)
{
    switch (r) {
    case CS_CONSENT_OK:
        return "OK";
    case CS_CONSENT_NO_CAPACITY:
        return "NO_CAPACITY";
    case CS_CONSENT_SCOPE_MISSING:
        return "SCOPE_MISSING";
    case CS_CONSENT_NOT_YET_GIVEN:
        return "NOT_YET_GIVEN";
    case CS_CONSENT_WITHDRAWN:
        return "WITHDRAWN";
    case CS_CONSENT_HAS_CAPACITY:
        return "HAS_CAPACITY";
    case CS_CONSENT_NOT_ASSESSED:
        return "NOT_ASSESSED";
    }
    return "?";
}

/* The rules of consent.h, over the symbolic cases, in the header's order:
 * NO_CAPACITY, HAS_CAPACITY, NOT_ASSESSED, NOT_YET_GIVEN, WITHDRAWN,
 * SCOPE_MISSING. */
static cs_consent_result oracle(cs_given_by who, cs_capacity cap, use_case use, uint32_t offered, given_case g,
                                withdrawn_case w)
{
    bool self_lacking = who == CS_GIVEN_SELF && cap == CS_CAPACITY_LACKS;
    if (self_lacking)
        return CS_CONSENT_NO_CAPACITY;
    /* A person with capacity consents only for themself (MCA 2005). */
    if (who != CS_GIVEN_SELF && cap == CS_CAPACITY_HAS)
        return CS_CONSENT_HAS_CAPACITY;
    /* A best-interests decision needs an assessment that capacity is lacking. */
    if (who == CS_GIVEN_BEST_INTERESTS && cap == CS_CAPACITY_NOT_ASSESSED)
        return CS_CONSENT_NOT_ASSESSED;
    if (g == GIVEN_AFTER)
        return CS_CONSENT_NOT_YET_GIVEN;
    if (w == WD_BEFORE || w == WD_AT_NOW)
        return CS_CONSENT_WITHDRAWN;
    bool has_draft = (offered & CS_SCOPE_AI_DRAFT) != 0;
    bool has_external = (offered & CS_SCOPE_EXTERNAL_AI) != 0;
    bool covered = use == USE_LOCAL_ENGINE ? has_draft : has_draft && has_external;
    return covered ? CS_CONSENT_OK : CS_CONSENT_SCOPE_MISSING;
}

typedef struct {
    size_t who, cap;
    use_case use;
    uint32_t offered;
    given_case given;
    withdrawn_case withdrawn;
} matrix_cell;

/* Decides one cell and checks it against the oracle; the message names the
 * whole combination so that a failure reads as a sentence. */
static void check_cell(const matrix_cell *c)
{
    cs_consent_terms t = {
        .given_by = all_given_by[c->who],
        .capacity = all_capacity[c->cap],
        .scopes = c->offered,
        .given_at = given_time(c->given),
        .withdrawn_at = withdrawn_time(c->withdrawn),
    };
    cs_consent_result want = oracle(t.given_by, t.capacity, c->use, c->offered, c->given, c->withdrawn);
    cs_consent_result got = cs_consent_decide(&t, use_needs(c->use), NOW);
    char scopes[80];
    scope_label(scopes, sizeof(scopes), c->offered);
    cr_assert_eq(got, want, "given-by=%s capacity=%s use=%s offered=%s %s %s: got %s, want %s",
                 given_by_label[c->who], capacity_label[c->cap], use_label[c->use], scopes, given_label[c->given],
                 withdrawn_label[c->withdrawn], result_label(got), result_label(want));
}

/* Runs every timing case for one (who, capacity, use, offered) and returns
 * how many cells it asserted. */
static unsigned check_timings(matrix_cell *c)
{
    unsigned n = 0;
    for (int g = GIVEN_BEFORE; g <= GIVEN_AFTER; g++) {
        for (int w = WD_NEVER; w <= WD_AFTER; w++) {
            c->given = (given_case)g;
            c->withdrawn = (withdrawn_case)w;
            check_cell(c);
            n++;
        }
    }
    return n;
}

Test(consent_decide, full_matrix_matches_the_rules)
{
    unsigned asserted = 0;
    unsigned per_result[7] = {0};
    matrix_cell c;
    for (c.who = 0; c.who < 3; c.who++)
        for (c.cap = 0; c.cap < 3; c.cap++)
            for (int u = USE_LOCAL_ENGINE; u <= USE_EXTERNAL_ENGINE; u++)
                for (c.offered = 0; c.offered < SCOPE_SUBSETS; c.offered++) {
                    c.use = (use_case)u;
                    asserted += check_timings(&c);
                    for (int g = GIVEN_BEFORE; g <= GIVEN_AFTER; g++)
                        for (int w = WD_NEVER; w <= WD_AFTER; w++)
                            per_result[oracle(all_given_by[c.who], all_capacity[c.cap], c.use, c.offered,
                                              (given_case)g, (withdrawn_case)w)]++;
                }
    cr_log_info("consent matrix: %u combinations asserted (OK %u, NO_CAPACITY %u, SCOPE_MISSING %u, "
                "NOT_YET_GIVEN %u, WITHDRAWN %u, HAS_CAPACITY %u, NOT_ASSESSED %u)",
                asserted, per_result[0], per_result[1], per_result[2], per_result[3], per_result[4], per_result[5],
                per_result[6]);
    /* 3 given-by x 3 capacities x 2 uses x 16 scope sets x 3 given times x
     * 4 withdrawals. */
    cr_assert_eq(asserted, 3u * 3u * 2u * 16u * 3u * 4u, "asserted %u combinations", asserted);
    /* The matrix must actually reach every outcome, or it proves little. */
    for (int r = 0; r < 7; r++)
        cr_assert_gt(per_result[r], 0u, "no combination gave %s", result_label((cs_consent_result)r));
}

/* A few rows with the answer written out literally, independent of the
 * oracle, for the cases people ask about. */
typedef struct {
    const char *name;
    cs_consent_terms terms;
    uint32_t needs;
    cs_consent_result want;
} literal_row;

static const literal_row literal_rows[] = {
    {"self, has capacity, local draft", {CS_GIVEN_SELF, CS_CAPACITY_HAS, CS_SCOPE_AI_DRAFT, NOW - 10, 0},
     CS_SCOPE_AI_DRAFT, CS_CONSENT_OK},
    {"self, not assessed (presumed capacity)", {CS_GIVEN_SELF, CS_CAPACITY_NOT_ASSESSED, 0xf, NOW - 10, 0},
     CS_SCOPE_AI_DRAFT | CS_SCOPE_EXTERNAL_AI, CS_CONSENT_OK},
    {"self lacking capacity, even with every scope", {CS_GIVEN_SELF, CS_CAPACITY_LACKS, 0xf, NOW - 10, 0},
     CS_SCOPE_AI_DRAFT, CS_CONSENT_NO_CAPACITY},
    {"self lacking capacity beats not-yet-given and withdrawn",
     {CS_GIVEN_SELF, CS_CAPACITY_LACKS, 0, NOW + 10, NOW - 5}, CS_SCOPE_AI_DRAFT, CS_CONSENT_NO_CAPACITY},
    {"representative for a person lacking capacity", {CS_GIVEN_REPRESENTATIVE, CS_CAPACITY_LACKS, 0xc, NOW, 0},
     CS_SCOPE_AI_DRAFT | CS_SCOPE_EXTERNAL_AI, CS_CONSENT_OK},
    {"representative for a person with capacity (MCA 2005: they consent for themself)",
     {CS_GIVEN_REPRESENTATIVE, CS_CAPACITY_HAS, 0xf, NOW - 10, 0}, CS_SCOPE_AI_DRAFT, CS_CONSENT_HAS_CAPACITY},
    {"best interests for a person with capacity", {CS_GIVEN_BEST_INTERESTS, CS_CAPACITY_HAS, 0xf, NOW - 10, 0},
     CS_SCOPE_AI_DRAFT, CS_CONSENT_HAS_CAPACITY},
    {"best interests without a capacity assessment",
     {CS_GIVEN_BEST_INTERESTS, CS_CAPACITY_NOT_ASSESSED, 0xf, NOW - 10, 0}, CS_SCOPE_AI_DRAFT,
     CS_CONSENT_NOT_ASSESSED},
    {"representative (a parent) for a person not assessed",
     {CS_GIVEN_REPRESENTATIVE, CS_CAPACITY_NOT_ASSESSED, 0xf, NOW - 10, 0}, CS_SCOPE_AI_DRAFT, CS_CONSENT_OK},
    {"best interests for a person lacking capacity", {CS_GIVEN_BEST_INTERESTS, CS_CAPACITY_LACKS, 0x4, NOW, 0},
     CS_SCOPE_AI_DRAFT, CS_CONSENT_OK},
    {"best interests, external engine, only ai-draft",
     {CS_GIVEN_BEST_INTERESTS, CS_CAPACITY_LACKS, CS_SCOPE_AI_DRAFT, NOW - 10, 0},
     CS_SCOPE_AI_DRAFT | CS_SCOPE_EXTERNAL_AI, CS_CONSENT_SCOPE_MISSING},
    {"external-ai alone does not allow drafting",
     {CS_GIVEN_SELF, CS_CAPACITY_HAS, CS_SCOPE_EXTERNAL_AI, NOW - 10, 0}, CS_SCOPE_AI_DRAFT,
     CS_CONSENT_SCOPE_MISSING},
    {"given one second in the future", {CS_GIVEN_SELF, CS_CAPACITY_HAS, 0xf, NOW + 1, 0}, CS_SCOPE_AI_DRAFT,
     CS_CONSENT_NOT_YET_GIVEN},
    {"not yet given beats withdrawn", {CS_GIVEN_SELF, CS_CAPACITY_HAS, 0xf, NOW + 1, NOW - 1}, CS_SCOPE_AI_DRAFT,
     CS_CONSENT_NOT_YET_GIVEN},
    {"withdrawn this very second", {CS_GIVEN_SELF, CS_CAPACITY_HAS, 0xf, NOW - 10, NOW}, CS_SCOPE_AI_DRAFT,
     CS_CONSENT_WITHDRAWN},
    {"withdrawn beats scope missing", {CS_GIVEN_SELF, CS_CAPACITY_HAS, 0, NOW - 10, NOW - 1}, CS_SCOPE_AI_DRAFT,
     CS_CONSENT_WITHDRAWN},
    {"withdrawal planned for the next second", {CS_GIVEN_SELF, CS_CAPACITY_HAS, 0xf, NOW - 10, NOW + 1},
     CS_SCOPE_AI_DRAFT, CS_CONSENT_OK},
    {"negative times are times, not 'never'", {CS_GIVEN_SELF, CS_CAPACITY_HAS, 0xf, -100, -1},
     CS_SCOPE_AI_DRAFT, CS_CONSENT_WITHDRAWN},
};

Test(consent_decide, literal_cases)
{
    size_t n = sizeof(literal_rows) / sizeof(literal_rows[0]);
    for (size_t i = 0; i < n; i++) {
        const literal_row *r = &literal_rows[i];
        cs_consent_result got = cs_consent_decide(&r->terms, r->needs, NOW);
        cr_assert_eq(got, r->want, "%s: got %s, want %s", r->name, result_label(got), result_label(r->want));
    }
}

Test(consent_decide, extreme_times)
{
    cs_consent_terms t = {CS_GIVEN_SELF, CS_CAPACITY_HAS, CS_SCOPE_AI_DRAFT, INT64_MIN, INT64_MAX};
    cr_assert_eq(cs_consent_decide(&t, CS_SCOPE_AI_DRAFT, INT64_MAX), CS_CONSENT_WITHDRAWN,
                 "withdrawn at INT64_MAX, now INT64_MAX");
    cr_assert_eq(cs_consent_decide(&t, CS_SCOPE_AI_DRAFT, INT64_MAX - 1), CS_CONSENT_OK,
                 "withdrawn at INT64_MAX, now just before");
    t.given_at = INT64_MAX;
    t.withdrawn_at = 0;
    cr_assert_eq(cs_consent_decide(&t, CS_SCOPE_AI_DRAFT, INT64_MIN), CS_CONSENT_NOT_YET_GIVEN,
                 "given at INT64_MAX, now INT64_MIN");
}

Test(consent_decide, fails_closed_on_bad_input)
{
    cr_assert_neq(cs_consent_decide(NULL, CS_SCOPE_AI_DRAFT, NOW), CS_CONSENT_OK, "NULL terms must not be consent");
    cs_consent_terms t = {(cs_given_by)7, CS_CAPACITY_HAS, 0xf, NOW - 10, 0};
    cr_assert_neq(cs_consent_decide(&t, CS_SCOPE_AI_DRAFT, NOW), CS_CONSENT_OK, "unknown given_by must not count");
    t.given_by = CS_GIVEN_SELF;
    t.capacity = (cs_capacity)9;
    cr_assert_neq(cs_consent_decide(&t, CS_SCOPE_AI_DRAFT, NOW), CS_CONSENT_OK,
                  "self with an unknown capacity must not count");
}

/* ------------------------------------------------------------------------
 * cs_consent_reason
 * ------------------------------------------------------------------------ */

Test(consent_reason, every_result_has_distinct_text)
{
    const cs_consent_result all[] = {CS_CONSENT_OK,           CS_CONSENT_NO_CAPACITY, CS_CONSENT_SCOPE_MISSING,
                                     CS_CONSENT_NOT_YET_GIVEN, CS_CONSENT_WITHDRAWN,   CS_CONSENT_HAS_CAPACITY,
                                     CS_CONSENT_NOT_ASSESSED};
    for (size_t i = 0; i < 7; i++) {
        const char *r = cs_consent_reason(all[i]);
        cr_assert_not_null(r, "reason for %s", result_label(all[i]));
        cr_assert_gt(strlen(r), 0u, "reason for %s is empty", result_label(all[i]));
        for (size_t j = 0; j < i; j++)
            cr_assert_str_neq(r, cs_consent_reason(all[j]), "%s and %s share a reason", result_label(all[i]),
                              result_label(all[j]));
    }
    const char *unknown = cs_consent_reason((cs_consent_result)99);
    cr_assert(unknown != NULL && unknown[0] != '\0', "an unknown result still gets a reason");
}

/* ------------------------------------------------------------------------
 * Parsers
 * ------------------------------------------------------------------------ */

Test(consent_parse, given_by_valid_values)
{
    static const struct {
        const char *text;
        cs_given_by want;
    } ok[] = {{"self", CS_GIVEN_SELF},
              {"representative", CS_GIVEN_REPRESENTATIVE},
              {"best-interests", CS_GIVEN_BEST_INTERESTS}};
    for (size_t i = 0; i < 3; i++) {
        cs_given_by v = (cs_given_by)42;
        cr_assert_eq(cs_consent_parse_given_by(&v, ok[i].text), 0, "\"%s\" rejected", ok[i].text);
        cr_assert_eq(v, ok[i].want, "\"%s\" parsed as %d", ok[i].text, (int)v);
    }
}

Test(consent_parse, given_by_rejects_anything_else)
{
    static const char *const bad[] = {"",         "Self",         "SELF",           " self",     "self ",
                                      "selfie",   "sel",          "best_interests", "bestinterests",
                                      "Best-Interests", "representative\n", "self\tx", "guardian"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cs_given_by v = CS_GIVEN_BEST_INTERESTS;
        cr_assert_eq(cs_consent_parse_given_by(&v, bad[i]), -1, "\"%s\" accepted", bad[i]);
        cr_assert_eq(v, CS_GIVEN_BEST_INTERESTS, "\"%s\" changed the output on failure", bad[i]);
    }
    cs_given_by v;
    cr_assert_eq(cs_consent_parse_given_by(&v, NULL), -1, "NULL text accepted");
    cr_assert_eq(cs_consent_parse_given_by(NULL, "self"), -1, "NULL out accepted");
}

Test(consent_parse, capacity_valid_values)
{
    static const struct {
        const char *text;
        cs_capacity want;
    } ok[] = {{"has-capacity", CS_CAPACITY_HAS},
              {"lacks-capacity", CS_CAPACITY_LACKS},
              {"not-assessed", CS_CAPACITY_NOT_ASSESSED}};
    for (size_t i = 0; i < 3; i++) {
        cs_capacity v = (cs_capacity)42;
        cr_assert_eq(cs_consent_parse_capacity(&v, ok[i].text), 0, "\"%s\" rejected", ok[i].text);
        cr_assert_eq(v, ok[i].want, "\"%s\" parsed as %d", ok[i].text, (int)v);
    }
}

Test(consent_parse, capacity_rejects_anything_else)
{
    static const char *const bad[] = {"",          "has",          "lacks",          "Has-Capacity", "HAS-CAPACITY",
                                      "has_capacity", "not assessed", "not-assessed ", " lacks-capacity",
                                      "unknown",   "has-capacityx"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cs_capacity v = CS_CAPACITY_LACKS;
        cr_assert_eq(cs_consent_parse_capacity(&v, bad[i]), -1, "\"%s\" accepted", bad[i]);
        cr_assert_eq(v, CS_CAPACITY_LACKS, "\"%s\" changed the output on failure", bad[i]);
    }
    cs_capacity v;
    cr_assert_eq(cs_consent_parse_capacity(&v, NULL), -1, "NULL text accepted");
    cr_assert_eq(cs_consent_parse_capacity(NULL, "has-capacity"), -1, "NULL out accepted");
}

typedef struct {
    const char *text;
    uint32_t want;
} scopes_row;

Test(consent_parse, scopes_valid_lists)
{
    static const scopes_row ok[] = {
        {"record-audio", CS_SCOPE_RECORD_AUDIO},
        {"transcribe", CS_SCOPE_TRANSCRIBE},
        {"ai-draft", CS_SCOPE_AI_DRAFT},
        {"external-ai", CS_SCOPE_EXTERNAL_AI},
        {"ai-draft external-ai", CS_SCOPE_AI_DRAFT | CS_SCOPE_EXTERNAL_AI},
        {"record-audio transcribe ai-draft external-ai", 0xfu},
        {"external-ai transcribe record-audio ai-draft", 0xfu},
        {"", 0},
        {"   ", 0},
        {"ai-draft   external-ai", CS_SCOPE_AI_DRAFT | CS_SCOPE_EXTERNAL_AI},
        {"  transcribe  ", CS_SCOPE_TRANSCRIBE},
        {"ai-draft ai-draft", CS_SCOPE_AI_DRAFT},
        {"external-ai ai-draft external-ai", CS_SCOPE_AI_DRAFT | CS_SCOPE_EXTERNAL_AI},
        {"ai-draft\texternal-ai\n", CS_SCOPE_AI_DRAFT | CS_SCOPE_EXTERNAL_AI},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        uint32_t v = 0xdeadu;
        cr_assert_eq(cs_consent_parse_scopes(&v, ok[i].text), 0, "\"%s\" rejected", ok[i].text);
        cr_assert_eq(v, ok[i].want, "\"%s\" parsed as 0x%x, want 0x%x", ok[i].text, v, ok[i].want);
    }
}

Test(consent_parse, scopes_reject_unknown_words)
{
    static const char *const bad[] = {"AI-DRAFT",          "Ai-Draft",          "ai-draft External-AI",
                                      "ai_draft",          "aidraft",           "ai-draf",
                                      "ai-drafts",         "ai-draft,external-ai", "ai-draft;",
                                      "ai-draft bogus",    "bogus ai-draft",    "external",
                                      "ai-draft\vexternal-ai"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint32_t v = 0xfu;
        cr_assert_eq(cs_consent_parse_scopes(&v, bad[i]), -1, "\"%s\" accepted", bad[i]);
        cr_assert_eq(v, 0u, "\"%s\" left scopes 0x%x on failure, want none", bad[i], v);
    }
    uint32_t v = 0xfu;
    cr_assert_eq(cs_consent_parse_scopes(&v, NULL), -1, "NULL text accepted");
    cr_assert_eq(v, 0u, "NULL text left scopes set");
    cr_assert_eq(cs_consent_parse_scopes(NULL, "ai-draft"), -1, "NULL out accepted");
}

/* ------------------------------------------------------------------------
 * cs_consent_pick_current
 * ------------------------------------------------------------------------ */

static cs_consent_terms given_at(int64_t t)
{
    cs_consent_terms c = {CS_GIVEN_SELF, CS_CAPACITY_HAS, CS_SCOPE_AI_DRAFT, t, 0};
    return c;
}

Test(consent_pick, none_given_yet)
{
    cr_assert_eq(cs_consent_pick_current(NULL, 0, NOW), -1, "NULL list");
    cs_consent_terms one = given_at(NOW - 5);
    cr_assert_eq(cs_consent_pick_current(&one, 0, NOW), -1, "empty list");
    cr_assert_eq(cs_consent_pick_current(&one, -3, NOW), -1, "negative count");
    cs_consent_terms future[] = {given_at(NOW + 1), given_at(NOW + 100)};
    cr_assert_eq(cs_consent_pick_current(future, 2, NOW), -1, "all in the future");
}

Test(consent_pick, latest_given_by_now_wins)
{
    cs_consent_terms t[] = {given_at(NOW - 300), given_at(NOW - 10), given_at(NOW - 2000)};
    cr_assert_eq(cs_consent_pick_current(t, 3, NOW), 1, "latest in the middle");
    cs_consent_terms single = given_at(NOW - 1);
    cr_assert_eq(cs_consent_pick_current(&single, 1, NOW), 0, "single entry");
    cs_consent_terms at_now[] = {given_at(NOW - 1), given_at(NOW)};
    cr_assert_eq(cs_consent_pick_current(at_now, 2, NOW), 1, "given exactly at now is in force");
}

Test(consent_pick, future_ones_ignored)
{
    cs_consent_terms t[] = {given_at(NOW - 50), given_at(NOW + 1), given_at(NOW - 60), given_at(NOW + 99999)};
    cr_assert_eq(cs_consent_pick_current(t, 4, NOW), 0, "a future entry must not be picked");
    cr_assert_eq(cs_consent_pick_current(t, 4, NOW + 1), 1, "once its time comes it is picked");
}

Test(consent_pick, ties_go_to_the_later_index)
{
    cs_consent_terms t[] = {given_at(NOW - 10), given_at(NOW - 5), given_at(NOW - 5), given_at(NOW - 7)};
    cr_assert_eq(cs_consent_pick_current(t, 4, NOW), 2, "tie at NOW-5: later index");
    cs_consent_terms same[] = {given_at(NOW), given_at(NOW), given_at(NOW)};
    cr_assert_eq(cs_consent_pick_current(same, 3, NOW), 2, "three-way tie");
}

Test(consent_pick, picked_withdrawn_terms_are_still_current)
{
    /* The latest consent is in force even when it is a withdrawal: an older,
     * broader consent must not come back to life. */
    cs_consent_terms t[] = {given_at(NOW - 100), given_at(NOW - 10)};
    t[1].withdrawn_at = NOW - 1;
    int i = cs_consent_pick_current(t, 2, NOW);
    cr_assert_eq(i, 1, "picked %d", i);
    cr_assert_eq(cs_consent_decide(&t[i], CS_SCOPE_AI_DRAFT, NOW), CS_CONSENT_WITHDRAWN,
                 "the current terms are withdrawn");
}

/* ------------------------------------------------------------------------
 * cs_consent_pick_withdrawal
 * ------------------------------------------------------------------------ */

Test(consent_withdrawal, none_recorded)
{
    cs_consent_terms t[] = {given_at(NOW - 100), given_at(NOW - 10)};
    cr_assert_eq(cs_consent_pick_withdrawal(t, 2, 1), -1);
    cr_assert_eq(cs_consent_pick_withdrawal(NULL, 0, 0), -1, "NULL list");
    cr_assert_eq(cs_consent_pick_withdrawal(t, 2, 2), -1, "current out of range");
    cr_assert_eq(cs_consent_pick_withdrawal(t, 2, -1), -1, "no current consent");
}

Test(consent_withdrawal, written_on_an_older_consent_still_withdraws)
{
    /* The form writes the withdrawal on the first consent, after a second
     * consent was given: the person withdrew after consenting. */
    cs_consent_terms t[] = {given_at(NOW - 100), given_at(NOW - 50)};
    t[0].withdrawn_at = NOW - 5;
    cr_assert_eq(cs_consent_pick_withdrawal(t, 2, 1), 0);
}

Test(consent_withdrawal, a_later_consent_supersedes_an_earlier_withdrawal)
{
    cs_consent_terms t[] = {given_at(NOW - 100), given_at(NOW - 10)};
    t[0].withdrawn_at = NOW - 50; /* withdrawn, then consented again */
    cr_assert_eq(cs_consent_pick_withdrawal(t, 2, 1), -1);
}

Test(consent_withdrawal, earliest_applicable_wins_and_same_second_counts)
{
    cs_consent_terms t[] = {given_at(NOW - 100), given_at(NOW - 40), given_at(NOW - 60)};
    t[0].withdrawn_at = NOW - 20;
    t[1].withdrawn_at = NOW + 30; /* not yet in force, but later than the other */
    t[2].withdrawn_at = NOW - 40; /* the same second as the current consent: fail closed */
    cr_assert_eq(cs_consent_pick_withdrawal(t, 3, 1), 2);
}

/* ------------------------------------------------------------------------
 * cs_consent_check_entries: input that can be read only one way
 * ------------------------------------------------------------------------ */

Test(consent_entries, a_withdrawal_before_its_own_consent_is_invalid)
{
    cs_consent_terms t[] = {given_at(NOW - 100), given_at(NOW - 10)};
    int bad = 0, other = 0;
    cr_assert_eq(cs_consent_check_entries(t, 2, &bad, &other), CS_ENTRIES_OK);
    t[1].withdrawn_at = NOW - 11;
    cr_assert_eq(cs_consent_check_entries(t, 2, &bad, &other), CS_ENTRIES_WITHDRAWN_EARLY);
    cr_assert_eq(bad, 1);
    t[1].withdrawn_at = NOW - 10; /* the same second: a withdrawal, valid (and it wins) */
    cr_assert_eq(cs_consent_check_entries(t, 2, &bad, &other), CS_ENTRIES_OK);
}

Test(consent_entries, entries_that_disagree_at_one_instant_are_invalid)
{
    cs_consent_terms t[] = {given_at(NOW - 100), given_at(NOW - 10), given_at(NOW - 10)};
    int bad = 0, other = 0;
    cr_assert_eq(cs_consent_check_entries(t, 3, &bad, &other), CS_ENTRIES_OK, "identical entries agree");
    t[2].capacity = CS_CAPACITY_LACKS;
    cr_assert_eq(cs_consent_check_entries(t, 3, &bad, &other), CS_ENTRIES_CONFLICT);
    cr_assert(bad == 1 && other == 2, "bad %d other %d", bad, other);
    t[2].capacity = CS_CAPACITY_HAS;
    t[2].scopes = CS_SCOPE_AI_DRAFT | CS_SCOPE_EXTERNAL_AI;
    cr_assert_eq(cs_consent_check_entries(t, 3, &bad, &other), CS_ENTRIES_CONFLICT, "scopes differ");
    t[2].scopes = CS_SCOPE_AI_DRAFT;
    t[2].given_by = CS_GIVEN_REPRESENTATIVE;
    cr_assert_eq(cs_consent_check_entries(t, 3, &bad, &other), CS_ENTRIES_CONFLICT, "givers differ");
}
