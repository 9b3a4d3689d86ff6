/* SPDX-License-Identifier: Apache-2.0 */
/* test_save.c - the save pipeline: consent (fail closed), the review gate,
 * laundering, the version chain and the journal, through the public API. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static test_home home;

static void setup(void)
{
    home_open(&home, 0);
}

static void teardown(void)
{
    home_close(&home);
}

TestSuite(save, .init = setup, .fini = teardown);

#define CONSENT(subject, given_by, capacity, scopes, extra)                                                      \
    "<consent subject=\"" subject "\" given-by=\"" given_by "\" method=\"verbal\" capacity=\"" capacity           \
    "\" at=\"2026-01-01T10:00:00Z\" scopes=\"" scopes "\"" extra "/>"

static int32_t save_parts(const form_parts *p, char **out)
{
    char *xml = form_make(p);
    int32_t rc = save_as(home.ctx, xml, out);
    free(xml);
    return rc;
}

static void assert_error_mentions(const char *what)
{
    cr_assert(strstr(casescribe_last_error(), what) != NULL, "error '%s' should mention '%s'",
              casescribe_last_error(), what);
}

/* ---- stamping ---------------------------------------------------------- */

Test(save, draft_is_stamped_as_version_1)
{
    char *out = NULL;
    form_parts p = {0};
    cr_assert_eq(save_parts(&p, &out), CASESCRIBE_OK, "%s", casescribe_last_error());
    casescribe_record *rec = NULL;
    cr_assert_eq(casescribe_record_open(&rec, "xml", (uint8_t *)out, strlen(out)), CASESCRIBE_OK);
    cr_expect_eq(casescribe_record_version(rec), 1);
    cr_expect_str_eq(casescribe_record_id(rec), "R-1");
    cr_expect_str_eq(casescribe_record_section_origin(rec, 0), "ai-draft");
    cr_expect_str_eq(casescribe_record_section_engine(rec, 0), "embedded:pocketsphinx");
    cr_expect_str_eq(casescribe_record_section_origin(rec, 1), "human");
    cr_expect_not_null(casescribe_record_key_id(rec));
    cr_expect(strstr(out, "previous=") == NULL, "version 1 has no previous digest");
    casescribe_record_free(rec);
    cr_expect_eq(casescribe_verify(NULL, home.ctx, "xml", (uint8_t *)out, strlen(out)), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    casescribe_free(out);
}

/* Every fact of the stamp reads through casescribe_record_stamp*, and
 * agrees with the ledger and the <provenance> text. */
Test(save, the_stamp_reads_through_the_api)
{
    char *v1 = NULL, *v2 = NULL;
    form_parts p = {0};
    cr_assert_eq(save_parts(&p, &v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *reviewed = replace_once(v1, "origin=\"ai-draft\"", review_now("accepted"));
    cr_assert_eq(save_as(home.ctx, reviewed, &v2), CASESCRIBE_OK, "%s", casescribe_last_error());
    casescribe_record *rec = NULL;
    cr_assert_eq(casescribe_record_open(&rec, "xml", (uint8_t *)v2, strlen(v2)), CASESCRIBE_OK);
    casescribe_journal_entry *e1 = NULL, *e2 = NULL;
    cr_assert_eq(casescribe_journal_entry_get(&e1, home.ctx, HOME_SETUP_ENTRIES + 1), CASESCRIBE_OK);
    cr_assert_eq(casescribe_journal_entry_get(&e2, home.ctx, HOME_SETUP_ENTRIES + 2), CASESCRIBE_OK);
    cr_expect_str_eq(casescribe_record_stamp(rec, "record"), "R-1");
    cr_expect_str_eq(casescribe_record_stamp(rec, "version"), "2");
    cr_expect_str_eq(casescribe_record_stamp(rec, "previous"), casescribe_journal_entry_record_digest(e1));
    cr_expect_str_eq(casescribe_record_stamp(rec, "time"), casescribe_journal_entry_time(e2));
    cr_expect_str_eq(casescribe_record_stamp(rec, "actor"), "sw-017");
    cr_expect_str_eq(casescribe_record_stamp(rec, "role"), "social-worker");
    cr_expect_str_eq(casescribe_record_stamp(rec, "key-id"), casescribe_record_key_id(rec));
    cr_expect_str_eq(casescribe_record_stamp(rec, "policy-team"), "cin-north");
    cr_expect_str_eq(casescribe_record_stamp(rec, "policy-state"), "signed");
    cr_expect_neq(strcmp(casescribe_record_stamp(rec, "policy-version"), "0"), 0);
    cr_expect_eq(strncmp(casescribe_record_stamp(rec, "policy-digest"), "sha256:", 7), 0);
    cr_expect_str_eq(casescribe_record_stamp(rec, "ledger-seq"), casescribe_journal_entry_field(e2, "seq"));
    cr_expect_str_eq(casescribe_record_stamp(rec, "ledger-prev"), casescribe_journal_entry_field(e2, "prev"));
    char at[64];
    snprintf(at, sizeof(at), "at=\"%s\"", casescribe_record_stamp(rec, "time"));
    cr_expect_not_null(strstr(v2, at), "the time is the <provenance> at");
    cr_expect_null(casescribe_record_stamp(rec, "no-such-fact"));
    cr_expect_null(casescribe_record_stamp(rec, NULL));
    /* per section: origin, engine, reviewer and review time */
    cr_assert_eq(casescribe_record_stamp_count(rec, "section"), casescribe_record_section_count(rec));
    cr_expect_str_eq(casescribe_record_stamp_item(rec, "section", 0, "id"), "observations");
    cr_expect_str_eq(casescribe_record_stamp_item(rec, "section", 0, "origin"), "ai-reviewed");
    cr_expect_str_eq(casescribe_record_stamp_item(rec, "section", 0, "engine"), "embedded:pocketsphinx");
    cr_expect_str_eq(casescribe_record_stamp_item(rec, "section", 0, "reviewed-by"), "sw-017");
    cr_expect_str_eq(casescribe_record_stamp_item(rec, "section", 0, "reviewed-at"),
                     casescribe_record_section_reviewed_at(rec, 0));
    cr_expect_str_eq(casescribe_record_stamp_item(rec, "section", 0, "review"), "accepted");
    cr_expect_str_eq(casescribe_record_stamp_item(rec, "section", 0, "consent-withdrawn"), "false");
    cr_expect_str_eq(casescribe_record_stamp_item(rec, "section", 1, "origin"), "human");
    cr_expect_null(casescribe_record_stamp_item(rec, "section", 1, "engine"));
    cr_expect_eq(strncmp(casescribe_record_stamp_item(rec, "section", 1, "digest"), "sha256:", 7), 0);
    cr_expect_null(casescribe_record_stamp_item(rec, "section", 9, "id"), "an index past the end");
    /* per subject: the consent stamped */
    cr_assert_eq(casescribe_record_stamp_count(rec, "consent"), 1);
    cr_expect_str_eq(casescribe_record_stamp_item(rec, "consent", 0, "subject"), "P-2");
    cr_expect_str_eq(casescribe_record_stamp_item(rec, "consent", 0, "given-by"), "self");
    cr_expect_str_eq(casescribe_record_stamp_item(rec, "consent", 0, "local-ai"), "allowed");
    cr_expect_not_null(casescribe_record_stamp_item(rec, "consent", 0, "in-force"));
    cr_expect_eq(casescribe_record_stamp_count(rec, "earlier-engine"), 0, "one engine drafted it");
    cr_expect_eq(casescribe_record_stamp_count(rec, "no-such-list"), 0);
    cr_expect_null(casescribe_record_stamp_item(rec, "no-such-list", 0, "id"));
    casescribe_record_free(rec);
    /* an unstamped form: nothing */
    cr_assert_eq(casescribe_record_open(&rec, "xml", (uint8_t *)reviewed, strlen(reviewed)), CASESCRIBE_OK);
    cr_expect_str_eq(casescribe_record_stamp(rec, "version"), "1", "the copy that was saved carries v1's stamp");
    casescribe_record_free(rec);
    char *bare = form_make(&p);
    cr_assert_eq(casescribe_record_open(&rec, "xml", (uint8_t *)bare, strlen(bare)), CASESCRIBE_OK);
    cr_expect_null(casescribe_record_stamp(rec, "version"));
    cr_expect_eq(casescribe_record_stamp_count(rec, "section"), 0);
    cr_expect_null(casescribe_record_stamp_item(rec, "section", 0, "id"));
    cr_expect_null(casescribe_record_stamp(NULL, "version"));
    casescribe_record_free(rec);
    casescribe_journal_entry_free(e1);
    casescribe_journal_entry_free(e2);
    free(bare);
    free(reviewed);
    casescribe_free(v1);
    casescribe_free(v2);
}

Test(save, nothing_is_journalled_when_a_save_fails)
{
    form_parts p = {.final = "true"};
    cr_assert_eq(save_parts(&p, NULL), CASESCRIBE_EREVIEW);
    uint64_t n = 99;
    cr_assert_eq(casescribe_journal_verify(&n, NULL, home.ctx), CASESCRIBE_OK);
    cr_expect_eq(n, HOME_SETUP_ENTRIES);
}

/* ---- review gate --------------------------------------------------------- */

Test(save, final_save_with_unreviewed_draft_is_refused)
{
    form_parts p = {.final = "true"};
    cr_assert_eq(save_parts(&p, NULL), CASESCRIBE_EREVIEW);
    assert_error_mentions("'observations'");
}

Test(save, final_save_after_review_is_version_2_chained_to_1)
{
    char *v1 = NULL, *v2 = NULL;
    form_parts p = {0};
    cr_assert_eq(save_parts(&p, &v1), CASESCRIBE_OK);
    char *reviewed = replace_once(v1, "origin=\"ai-draft\"", review_now("accepted"));
    char *final = replace_once(reviewed, "author=\"sw-017\"", "author=\"sw-017\" final=\"true\"");
    cr_assert_eq(save_as(home.ctx, final, &v2), CASESCRIBE_OK, "%s", casescribe_last_error());
    casescribe_record *rec = NULL;
    cr_assert_eq(casescribe_record_open(&rec, "xml", (uint8_t *)v2, strlen(v2)), CASESCRIBE_OK);
    cr_expect_eq(casescribe_record_version(rec), 2);
    cr_expect_eq(casescribe_record_is_final(rec), 1);
    cr_expect_str_eq(casescribe_record_section_reviewer(rec, 0), "sw-017");
    cr_expect_str_eq(casescribe_record_section_review(rec, 0), "accepted");
    casescribe_record_free(rec);
    /* The chain: version 2 names the digest the journal holds for version 1. */
    casescribe_journal_entry *e1 = NULL;
    cr_assert_eq(casescribe_journal_entry_get(&e1, home.ctx, HOME_SETUP_ENTRIES + 1), CASESCRIBE_OK);
    char expect[128];
    snprintf(expect, sizeof(expect), "previous=\"%s\"", casescribe_journal_entry_record_digest(e1));
    cr_expect(strstr(v2, expect) != NULL, "v2 must chain to v1's digest %s", expect);
    casescribe_journal_entry_free(e1);
    free(reviewed);
    free(final);
    casescribe_free(v1);
    casescribe_free(v2);
}

Test(save, reviewed_section_needs_reviewer_time_and_verdict)
{
    const char *incomplete[] = {
        "<section id=\"s\" origin=\"ai-reviewed\" engine=\"embedded:pocketsphinx\" reviewed-at=\"2026-11-03T09:00:00Z\" review=\"edited\">t</section>",
        "<section id=\"s\" origin=\"ai-reviewed\" engine=\"embedded:pocketsphinx\" reviewed-by=\"sw-1\" review=\"edited\">t</section>",
        "<section id=\"s\" origin=\"ai-reviewed\" engine=\"embedded:pocketsphinx\" reviewed-by=\"sw-1\" reviewed-at=\"2026-11-03T09:00:00Z\">t</section>",
    };
    for (size_t i = 0; i < 3; i++) {
        form_parts p = {.sections = incomplete[i]};
        cr_expect_eq(save_parts(&p, NULL), CASESCRIBE_EREVIEW, "case %zu", i);
    }
}

Test(save, draft_carrying_review_attributes_is_refused)
{
    form_parts p = {.sections = "<section id=\"s\" origin=\"ai-draft\" engine=\"embedded:pocketsphinx\" "
                                "reviewed-by=\"sw-1\">t</section>"};
    cr_assert_eq(save_parts(&p, NULL), CASESCRIBE_EREVIEW);
}

Test(save, origin_attributes_must_agree)
{
    form_parts human_with_engine = {.sections = "<section id=\"s\" origin=\"human\" engine=\"x\">t</section>"};
    cr_expect_eq(save_parts(&human_with_engine, NULL), CASESCRIBE_ESCHEMA);
    form_parts ai_without_engine = {.sections = "<section id=\"s\" origin=\"ai-draft\">t</section>"};
    cr_expect_eq(save_parts(&ai_without_engine, NULL), CASESCRIBE_ESCHEMA);
}

/* ---- consent (fail closed) ---------------------------------------------- */

Test(save, ai_without_any_consent_is_refused)
{
    form_parts p = {.consents = ""};
    cr_assert_eq(save_parts(&p, NULL), CASESCRIBE_ECONSENT);
    assert_error_mentions("P-2");
}

Test(save, human_only_form_needs_no_consent)
{
    form_parts p = {.consents = "", .sections = SECTION_HUMAN("analysis", "All mine.")};
    cr_assert_eq(save_parts(&p, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
}

Test(save, consent_must_cover_ai_draft)
{
    form_parts p = {.consents = CONSENT("P-2", "self", "has-capacity", "record-audio transcribe", "")};
    cr_assert_eq(save_parts(&p, NULL), CASESCRIBE_ECONSENT);
}

Test(save, self_consent_while_lacking_capacity_is_not_consent)
{
    form_parts p = {.consents = CONSENT("P-2", "self", "lacks-capacity", "ai-draft", "")};
    cr_assert_eq(save_parts(&p, NULL), CASESCRIBE_ECONSENT);
}

Test(save, best_interests_decision_counts_and_is_recorded)
{
    char *out = NULL;
    form_parts p = {.consents = CONSENT("P-2", "best-interests", "lacks-capacity", "ai-draft", "")};
    cr_assert_eq(save_parts(&p, &out), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect(strstr(out, "given-by=\"best-interests\"") != NULL);
    cr_expect(strstr(out, "local-ai=\"allowed\"") != NULL);
    casescribe_free(out);
}

Test(save, every_subject_must_be_covered)
{
    form_parts p = {.subjects = "<subject id=\"P-1\" role=\"child\"/><subject id=\"P-2\" role=\"parent\"/>"};
    cr_assert_eq(save_parts(&p, NULL), CASESCRIBE_ECONSENT);
    assert_error_mentions("P-1");
}

Test(save, external_engine_needs_external_ai_scope)
{
    const char *external = SECTION_DRAFT("s", "From elsewhere.");
    char *sections = replace_once(external, "embedded:pocketsphinx", "openai:whisper-1");
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", "external-ai", "on"), CASESCRIBE_OK);
    form_parts without = {.sections = sections};
    cr_expect_eq(save_parts(&without, NULL), CASESCRIBE_ECONSENT);
    assert_error_mentions("outside this machine");
    form_parts with = {.sections = sections,
                       .consents = CONSENT("P-2", "self", "has-capacity", "ai-draft external-ai", "")};
    cr_expect_eq(save_parts(&with, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
    free(sections);
}

Test(save, consent_given_in_the_future_does_not_count_yet)
{
    form_parts p = {.consents = "<consent subject=\"P-2\" given-by=\"self\" method=\"verbal\" "
                                "capacity=\"has-capacity\" at=\"2099-01-01T10:00:00Z\" scopes=\"ai-draft\"/>"};
    cr_assert_eq(save_parts(&p, NULL), CASESCRIBE_ECONSENT);
}

Test(save, withdrawn_consent_refuses_new_ai_but_keeps_reviewed_sections)
{
    char *v1 = NULL, *v2 = NULL;
    form_parts p = {.sections = SECTION_REVIEWED("observations", "Reviewed before the withdrawal.")
                        SECTION_HUMAN("analysis", "Mine.")};
    cr_assert_eq(save_parts(&p, &v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    /* Consent is withdrawn: the reviewed section stays, marked. */
    char *withdrawn = replace_once(v1, "scopes=\"record-audio transcribe ai-draft\"",
                                   "scopes=\"record-audio transcribe ai-draft\" withdrawn-at=\"2026-02-01T00:00:00Z\"");
    cr_assert_eq(save_as(home.ctx, withdrawn, &v2), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect(strstr(v2, "consent-withdrawn=\"true\"") != NULL, "the kept section is marked");
    /* ...but a new AI section is refused, and so is an edit of the reviewed one. */
    char *added = replace_once(v2, "<section id=\"analysis\"",
                               SECTION_DRAFT("later", "New AI text after withdrawal.") "<section id=\"analysis\"");
    cr_expect_eq(save_as(home.ctx, added, NULL), CASESCRIBE_ECONSENT);
    assert_error_mentions("withdrawn");
    char *edited = replace_once(v2, "Reviewed before the withdrawal.", "Changed after the withdrawal.");
    cr_expect_eq(save_as(home.ctx, edited, NULL), CASESCRIBE_ECONSENT);
    free(withdrawn);
    free(added);
    free(edited);
    casescribe_free(v1);
    casescribe_free(v2);
}

Test(save, withdrawal_written_on_an_older_consent_is_not_ignored)
{
    /* Consented in January and again in March; the form records the
     * withdrawal (in April) on the January entry. The person has withdrawn. */
    form_parts p = {.consents = CONSENT("P-2", "self", "has-capacity", "ai-draft",
                                        " withdrawn-at=\"2026-04-01T00:00:00Z\"")
                    "<consent subject=\"P-2\" given-by=\"self\" method=\"verbal\" capacity=\"has-capacity\" "
                    "at=\"2026-03-01T10:00:00Z\" scopes=\"ai-draft\"/>"};
    cr_assert_eq(save_parts(&p, NULL), CASESCRIBE_ECONSENT);
    assert_error_mentions("withdrawn");
}

/* ---- the Mental Capacity Act 2005 ---------------------------------------- */

Test(save, nobody_consents_for_a_person_who_has_capacity)
{
    form_parts rep = {.consents = CONSENT("P-2", "representative", "has-capacity", "ai-draft", "")};
    cr_expect_eq(save_parts(&rep, NULL), CASESCRIBE_ECONSENT);
    assert_error_mentions("having capacity");
    form_parts best = {.consents = CONSENT("P-2", "best-interests", "has-capacity", "ai-draft", "")};
    cr_expect_eq(save_parts(&best, NULL), CASESCRIBE_ECONSENT);
    assert_error_mentions("having capacity");
}

Test(save, best_interests_needs_an_assessment_that_capacity_is_lacking)
{
    form_parts p = {.consents = CONSENT("P-2", "best-interests", "not-assessed", "ai-draft", "")};
    cr_expect_eq(save_parts(&p, NULL), CASESCRIBE_ECONSENT);
    assert_error_mentions("not assessed");
    /* A representative (a parent for a child) for a person not assessed still counts. */
    form_parts rep = {.consents = CONSENT("P-2", "representative", "not-assessed", "ai-draft", "")};
    cr_expect_eq(save_parts(&rep, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
}

Test(save, a_withdrawal_before_its_own_consent_is_invalid_input)
{
    form_parts p = {.consents = CONSENT("P-2", "self", "has-capacity", "ai-draft",
                                        " withdrawn-at=\"2025-12-01T00:00:00Z\"")};
    cr_expect_eq(save_parts(&p, NULL), CASESCRIBE_ESCHEMA);
    assert_error_mentions("P-2");
    assert_error_mentions("2026-01-01T10:00:00Z");
}

Test(save, entries_that_disagree_at_one_instant_are_invalid_input)
{
    form_parts p = {.consents = CONSENT("P-2", "self", "has-capacity", "ai-draft", "")
                        CONSENT("P-2", "self", "lacks-capacity", "ai-draft", "")};
    cr_expect_eq(save_parts(&p, NULL), CASESCRIBE_ESCHEMA);
    assert_error_mentions("P-2");
    assert_error_mentions("2026-01-01T10:00:00Z");
    form_parts same = {.consents = CONSENT("P-2", "self", "has-capacity", "ai-draft", "")
                           CONSENT("P-2", "self", "has-capacity", "ai-draft", "")};
    cr_expect_eq(save_parts(&same, NULL), CASESCRIBE_OK, "the same entry twice is no conflict: %s",
                 casescribe_last_error());
}

/* ---- times and sizes --------------------------------------------------- */

Test(save, a_time_with_an_offset_no_place_has_is_refused)
{
    form_parts p = {.consents = "<consent subject=\"P-2\" given-by=\"self\" method=\"verbal\" "
                                "capacity=\"has-capacity\" at=\"2026-01-01T10:00:00+23:59\" scopes=\"ai-draft\"/>"};
    cr_expect_eq(save_parts(&p, NULL), CASESCRIBE_ESCHEMA);
    assert_error_mentions("+23:59");
    form_parts ok = {.consents = "<consent subject=\"P-2\" given-by=\"self\" method=\"verbal\" "
                                 "capacity=\"has-capacity\" at=\"2026-01-01T10:00:00+14:00\" scopes=\"ai-draft\"/>"};
    cr_expect_eq(save_parts(&ok, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
    form_parts review = {.sections = SECTION_HUMAN("analysis", "Mine.")
                             "<section id=\"s\" origin=\"ai-reviewed\" engine=\"embedded:pocketsphinx\" "
                             "reviewed-by=\"sw-017\" reviewed-at=\"2026-11-03T09:00:00-12:30\" "
                             "review=\"edited\">Text.</section>"};
    cr_expect_eq(save_parts(&review, NULL), CASESCRIBE_ESCHEMA);
}

Test(save, an_oversized_scopes_value_is_refused_before_it_reaches_the_stamp)
{
    size_t words = 7800000 / 9; /* "ai-draft " repeated: 7.8 MB */
    char *scopes = malloc(words * 9 + 1);
    cr_assert_not_null(scopes);
    for (size_t i = 0; i < words; i++)
        memcpy(scopes + i * 9, "ai-draft ", 9);
    scopes[words * 9 - 1] = '\0';
    size_t n = words * 9 + 512;
    char *consent = malloc(n);
    cr_assert_not_null(consent);
    snprintf(consent, n,
             "<consent subject=\"P-2\" given-by=\"self\" method=\"verbal\" capacity=\"has-capacity\" "
             "at=\"2026-01-01T10:00:00Z\" scopes=\"%s\"/>",
             scopes);
    form_parts p = {.consents = consent};
    cr_expect_eq(save_parts(&p, NULL), CASESCRIBE_ETOOBIG);
    assert_error_mentions("scopes");
    uint64_t entries = 0;
    cr_assert_eq(casescribe_journal_verify(&entries, NULL, home.ctx), CASESCRIBE_OK);
    cr_expect_eq(entries, HOME_SETUP_ENTRIES, "nothing journalled");
    free(consent);
    free(scopes);
}

/* `count` human sections of `each` bytes of text (in CDATA): words of `fill`,
 * every other word of the next letter when `vary`. */
static char *big_sections(size_t count, size_t each, char fill, int vary)
{
    size_t n = count * (each + 96) + 1, at = 0;
    char *out = malloc(n);
    cr_assert_not_null(out);
    for (size_t i = 0; i < count; i++) {
        at += (size_t)snprintf(out + at, n - at, "<section id=\"s%zu\" origin=\"human\"><![CDATA[", i);
        for (size_t j = 0; j < each; j++)
            out[at++] = (j % 7 == 6) ? ' ' : (char)(fill + (char)(vary * (int)((j / 7 + i) % 2)));
        at += (size_t)snprintf(out + at, n - at, "]]></section>");
    }
    out[at] = '\0';
    return out;
}

Test(save, a_record_whose_stamped_copy_could_not_be_read_back_is_refused, .timeout = 120)
{
    /* 9 x 256 KiB of '>' is 2.3 MB in; written out as &gt; it would be 9 MB:
     * more than verify and the next save read. */
    char *sections = big_sections(9, 256 * 1024, '>', 0);
    form_parts p = {.sections = sections, .consents = ""};
    cr_expect_eq(save_parts(&p, NULL), CASESCRIBE_ETOOBIG);
    assert_error_mentions("the next save");
    uint64_t entries = 0;
    cr_assert_eq(casescribe_journal_verify(&entries, NULL, home.ctx), CASESCRIBE_OK);
    cr_expect_eq(entries, HOME_SETUP_ENTRIES, "nothing journalled");
    free(sections);
}

Test(save, the_largest_acceptable_record_reads_back_in_verify_and_the_next_save, .timeout = 120)
{
    /* 31 sections at the 256 KiB bound and one more: about 8.1 MB in. */
    char *full = big_sections(31, 256 * 1024, 'a', 1);
    char *last = big_sections(1, 190 * 1024, 'k', 1);
    char *tail = replace_once(last, "id=\"s0\"", "id=\"last\"");
    size_t n = strlen(full) + strlen(tail) + 1;
    char *sections = malloc(n);
    cr_assert_not_null(sections);
    snprintf(sections, n, "%s%s", full, tail);
    form_parts p = {.sections = sections, .consents = ""};
    char *xml = form_make(&p);
    cr_assert_gt(strlen(xml), (size_t)8000000);
    char *v1 = NULL, *v2 = NULL;
    cr_assert_eq(save_as(home.ctx, xml, &v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_leq(strlen(v1), (size_t)CASESCRIBE_MAX_PAYLOAD);
    cr_expect_eq(casescribe_verify(NULL, home.ctx, "xml", (uint8_t *)v1, strlen(v1)), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    char *edited = replace_once(v1, "<section id=\"last\" origin=\"human\">k", "<section id=\"last\" origin=\"human\">m");
    cr_expect_eq(save_as(home.ctx, edited, &v2), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect(v2 != NULL && strstr(v2, "version=\"2\"") != NULL, "the next save is version 2");
    free(edited);
    casescribe_free(v1);
    casescribe_free(v2);
    free(xml);
    free(sections);
    free(tail);
    free(last);
    free(full);
}

Test(save, form_with_fancy_final_value_is_still_final)
{
    /* xs:boolean collapses whitespace: " true " is true to the schema, so it
     * must be to the review gate too. */
    form_parts p = {.final = " true "};
    cr_assert_eq(save_parts(&p, NULL), CASESCRIBE_EREVIEW);
    form_parts one = {.final = "1"};
    cr_assert_eq(save_parts(&one, NULL), CASESCRIBE_EREVIEW);
}

Test(save, actor_role_must_be_text_xml_can_carry)
{
    char *xml = form_make(&(form_parts){0});
    casescribe_actor actor;
    casescribe_actor_init(&actor, sizeof(actor));
    actor.user_id = "sw-017";
    const char *bad[] = {"social\x01worker", "line\nbreak", "\xff\xfe", "caf\xc3", "", "\xed\xa0\x80"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        uint8_t *out = NULL;
        size_t len = 0;
        actor.role = bad[i];
        cr_expect_eq(casescribe_save(&out, &len, home.ctx, "xml", &actor, (const uint8_t *)xml, strlen(xml)),
                     CASESCRIBE_EINVAL, "role %zu accepted", i);
        casescribe_free(out);
    }
    actor.role = "travailleuse soci\xc3\xa9" "ale";
    uint8_t *out = NULL;
    size_t len = 0;
    cr_assert_eq(casescribe_save(&out, &len, home.ctx, "xml", &actor, (const uint8_t *)xml, strlen(xml)),
                 CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(casescribe_verify(NULL, home.ctx, "xml", out, len), CASESCRIBE_OK, "%s", casescribe_last_error());
    casescribe_free(out);
    free(xml);
}

Test(save, provenance_alone_is_not_a_form)
{
    /* A stamped record's <provenance>, sent as a document of its own. It is
     * well-formed and in the form's namespace, but it is not a form. */
    char *v1 = NULL;
    cr_assert_eq(save_parts(&(form_parts){0}, &v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *start = strstr(v1, "<provenance"), *end = strstr(v1, "</provenance>");
    cr_assert(start != NULL && end != NULL);
    size_t body = (size_t)(end - start) + strlen("</provenance>") - strlen("<provenance");
    char *doc = malloc(body + 128);
    snprintf(doc, body + 128, "<provenance xmlns=\"urn:casescribe:form:1\"%.*s", (int)body,
             start + strlen("<provenance"));
    cr_expect_eq(save_as(home.ctx, doc, NULL), CASESCRIBE_ESCHEMA, "%s", casescribe_last_error());
    cr_expect_eq(casescribe_verify(NULL, home.ctx, "xml", (uint8_t *)doc, strlen(doc)), CASESCRIBE_ESCHEMA);
    casescribe_record *rec = NULL;
    cr_expect_eq(casescribe_record_open(&rec, "xml", (uint8_t *)doc, strlen(doc)), CASESCRIBE_ESCHEMA);
    cr_expect_null(rec);
    free(doc);
    casescribe_free(v1);
}

/* ---- laundering ---------------------------------------------------------- */

static char *section_with(const char *origin_attrs, const char *id, const char *text)
{
    size_t n = strlen(origin_attrs) + strlen(id) + strlen(text) + 64;
    char *s = malloc(n);
    cr_assert_not_null(s);
    snprintf(s, n, "<section id=\"%s\" %s>%s</section>", id, origin_attrs, text);
    return s;
}

static void save_ai_paragraph(const char *record, int which, char **out)
{
    char *sec = section_with("origin=\"ai-draft\" engine=\"embedded:pocketsphinx\"", "observations", paragraph(which));
    form_parts p = {.id = record, .sections = sec};
    cr_assert_eq(save_parts(&p, out), CASESCRIBE_OK, "%s", casescribe_last_error());
    free(sec);
}

Test(save, ai_text_relabelled_human_in_the_same_record_is_refused)
{
    char *v1 = NULL;
    save_ai_paragraph("R-1", 0, &v1);
    char *relabelled = replace_once(v1, "origin=\"ai-draft\" engine=\"embedded:pocketsphinx\"", "origin=\"human\"");
    cr_assert_eq(save_as(home.ctx, relabelled, NULL), CASESCRIBE_ELAUNDER);
    assert_error_mentions("'observations'");
    free(relabelled);
    casescribe_free(v1);
}

Test(save, ai_text_pasted_into_another_record_as_human_is_refused)
{
    save_ai_paragraph("R-1", 0, NULL);
    /* Lightly edited: a few words changed, as a worker tidying up would. */
    char *edited = replace_once(paragraph(0), "the new bedroom", "her new bedroom");
    char *e2 = replace_once(edited, "every Tuesday afternoon", "on Tuesdays");
    char *sec = section_with("origin=\"human\"", "notes", e2);
    form_parts p = {.id = "R-2", .sections = sec};
    cr_assert_eq(save_parts(&p, NULL), CASESCRIBE_ELAUNDER);
    assert_error_mentions("R-1");
    free(edited);
    free(e2);
    free(sec);
}

Test(save, stripping_the_provenance_does_not_hide_ai_text)
{
    char *v1 = NULL;
    save_ai_paragraph("R-1", 2, &v1);
    char *start = strstr(v1, "<provenance");
    char *end = strstr(v1, "</provenance>");
    cr_assert(start && end);
    memmove(start, end + strlen("</provenance>"), strlen(end + strlen("</provenance>")) + 1);
    char *human = replace_once(v1, "origin=\"ai-draft\" engine=\"embedded:pocketsphinx\"", "origin=\"human\"");
    char *other = replace_once(human, "id=\"R-1\"", "id=\"R-3\"");
    cr_expect_eq(save_as(home.ctx, human, NULL), CASESCRIBE_ELAUNDER, "same record id: %s", casescribe_last_error());
    cr_expect_eq(save_as(home.ctx, other, NULL), CASESCRIBE_ELAUNDER, "new record id: %s", casescribe_last_error());
    free(human);
    free(other);
    casescribe_free(v1);
}

Test(save, laundering_is_caught_after_the_home_is_reopened)
{
    save_ai_paragraph("R-1", 3, NULL);
    casescribe_ctx_close(home.ctx);
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = home.path;
    cr_assert_eq(casescribe_ctx_open(&home.ctx, &opts), CASESCRIBE_OK);
    char *sec = section_with("origin=\"human\"", "notes", paragraph(3)); fprintf(stderr, "DBG\n");
    form_parts p = {.id = "R-5", .sections = sec};
    cr_expect_eq(save_parts(&p, NULL), CASESCRIBE_ELAUNDER);
    free(sec);
}

Test(save, a_workers_own_different_text_is_not_flagged)
{
    save_ai_paragraph("R-1", 0, NULL);
    for (int i = 1; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof(id), "R-%d", 10 + i);
        char *sec = section_with("origin=\"human\"", "notes", paragraph(i));
        form_parts p = {.id = id, .sections = sec};
        cr_expect_eq(save_parts(&p, NULL), CASESCRIBE_OK, "paragraph %d: %s", i, casescribe_last_error());
        free(sec);
    }
}

Test(save, a_short_ai_section_relabelled_human_is_refused)
{
    /* Too short for a fingerprint, but the stamp's text MAC knows it. */
    char *v1 = NULL;
    form_parts p = {.sections = SECTION_DRAFT("risks", "No new risks were identified.") SECTION_HUMAN("analysis", "Mine.")};
    cr_assert_eq(save_parts(&p, &v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect(strstr(v1, "text-mac=\"tm2:") != NULL, "the AI stamp carries a text MAC");
    char *relabelled = replace_once(v1, "origin=\"ai-draft\" engine=\"embedded:pocketsphinx\" model=\"en-us\"",
                                    "origin=\"human\"");
    cr_expect_eq(save_as(home.ctx, relabelled, NULL), CASESCRIBE_ELAUNDER);
    assert_error_mentions("'risks'");
    /* Re-punctuated and re-cased, it is the same text. */
    char *retyped = replace_once(relabelled, "No new risks were identified.", "no new risks were identified");
    cr_expect_eq(save_as(home.ctx, retyped, NULL), CASESCRIBE_ELAUNDER);
    /* The worker's own words in that section are theirs. */
    char *rewritten = replace_once(relabelled, "No new risks were identified.", "I saw no new risks today.");
    cr_expect_eq(save_as(home.ctx, rewritten, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
    free(relabelled);
    free(retyped);
    free(rewritten);
    casescribe_free(v1);
}

Test(save, the_engine_of_an_unchanged_ai_text_cannot_change)
{
    char *v1 = NULL;
    form_parts p = {.sections = SECTION_DRAFT("risks", "No new risks were identified.") SECTION_HUMAN("analysis", "Mine.")};
    cr_assert_eq(save_parts(&p, &v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *other_model = replace_once(v1, "model=\"en-us\"", "model=\"en-gb\"");
    cr_expect_eq(save_as(home.ctx, other_model, NULL), CASESCRIBE_ELAUNDER);
    assert_error_mentions("engine");
    char *other_engine = replace_once(v1, "engine=\"embedded:pocketsphinx\"", "engine=\"embedded:extractive\"");
    cr_expect_eq(save_as(home.ctx, other_engine, NULL), CASESCRIBE_ELAUNDER);
    /* Reviewing it (same engine, same text) is the normal path. */
    char *reviewed = replace_once(v1, "origin=\"ai-draft\"", review_now("accepted"));
    cr_expect_eq(save_as(home.ctx, reviewed, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
    free(other_model);
    free(other_engine);
    free(reviewed);
    casescribe_free(v1);
}

Test(save, a_human_copy_of_an_ai_section_in_the_same_form_is_refused)
{
    char *ai = section_with("origin=\"ai-draft\" engine=\"embedded:pocketsphinx\"", "observations", paragraph(1));
    char *copy = section_with("origin=\"human\"", "analysis", paragraph(1));
    char *both = malloc(strlen(ai) + strlen(copy) + 1);
    strcpy(both, ai);
    strcat(both, copy);
    form_parts p = {.sections = both};
    cr_expect_eq(save_parts(&p, NULL), CASESCRIBE_ELAUNDER);
    assert_error_mentions("same form");
    free(ai);
    free(copy);
    free(both);
}

Test(save, ai_text_pasted_inside_a_longer_human_note_is_refused)
{
    save_ai_paragraph("R-1", 0, NULL);
    size_t n = strlen(paragraph(1)) + strlen(paragraph(0)) + strlen(paragraph(3)) + 8;
    char *note = malloc(n);
    snprintf(note, n, "%s %s %s", paragraph(1), paragraph(0), paragraph(3));
    char *sec = section_with("origin=\"human\"", "notes", note);
    form_parts p = {.id = "R-2", .sections = sec};
    cr_expect_eq(save_parts(&p, NULL), CASESCRIBE_ELAUNDER);
    assert_error_mentions("R-1");
    free(note);
    free(sec);
}

Test(save, resaving_an_ai_section_many_times_does_not_hide_it)
{
    /* Each save journals the AI section's fingerprint again. Repeats must
     * not make its values look like stock phrases the search skips. */
    char *cur = NULL;
    save_ai_paragraph("R-1", 2, &cur);
    for (int i = 0; i < 600; i++) {
        char *next = NULL;
        cr_assert_eq(save_as(home.ctx, cur, &next), CASESCRIBE_OK, "re-save %d: %s", i, casescribe_last_error());
        casescribe_free(cur);
        cur = next;
    }
    casescribe_free(cur);
    char *sec = section_with("origin=\"human\"", "notes", paragraph(2));
    form_parts p = {.id = "R-2", .sections = sec};
    cr_expect_eq(save_parts(&p, NULL), CASESCRIBE_ELAUNDER, "%s", casescribe_last_error());
    free(sec);
}

Test(save, many_ai_texts_sharing_a_passage_do_not_hide_it)
{
    /* 600 AI drafts that all hold one passage, each with a sentence of its
     * own: every value of the passage is on 600 lists, and so common on
     * this home that it weighs little. A human copy of one draft must still
     * be found through its own sentence; the stock passage alone is no
     * evidence (test_launder covers that side). */
    for (int i = 0; i < 600; i++) {
        char id[16], text[1024];
        snprintf(id, sizeof(id), "R-%d", 100 + i);
        snprintf(text, sizeof(text), "%s Visit %d was booked for room %d with worker %d in week %d.", paragraph(3), i,
                 i * 7 + 3, i * 13 + 5, i * 17 + 11);
        char *sec = section_with("origin=\"ai-draft\" engine=\"embedded:pocketsphinx\"", "observations", text);
        form_parts p = {.id = id, .sections = sec};
        cr_assert_eq(save_parts(&p, NULL), CASESCRIBE_OK, "%d: %s", i, casescribe_last_error());
        free(sec);
    }
    char text[1024];
    snprintf(text, sizeof(text), "%s Visit %d was booked for room %d with worker %d in week %d.", paragraph(3), 42,
             42 * 7 + 3, 42 * 13 + 5, 42 * 17 + 11);
    char *sec = section_with("origin=\"human\"", "notes", text);
    form_parts p = {.id = "R-2", .sections = sec};
    cr_expect_eq(save_parts(&p, NULL), CASESCRIBE_ELAUNDER, "%s", casescribe_last_error());
    free(sec);
}

/* ---- journal content ----------------------------------------------------- */

Test(save, journal_holds_ids_and_digests_but_no_text_or_names)
{
    save_ai_paragraph("R-1", 0, NULL);
    casescribe_journal_entry *e = NULL;
    cr_assert_eq(casescribe_journal_entry_get(&e, home.ctx, HOME_SETUP_ENTRIES + 1), CASESCRIBE_OK);
    cr_expect_str_eq(casescribe_journal_entry_kind(e), "save");
    cr_expect_str_eq(casescribe_journal_entry_record_id(e), "R-1");
    cr_expect_eq(casescribe_journal_entry_record_version(e), 1);
    cr_expect_str_eq(casescribe_journal_entry_actor_id(e), "sw-017");
    cr_expect_eq(strncmp(casescribe_journal_entry_record_digest(e), "sha256:", 7), 0);
    cr_expect_eq(casescribe_journal_entry_seq(e), HOME_SETUP_ENTRIES + 1);
    cr_expect_not_null(casescribe_journal_entry_time(e));
    casescribe_journal_entry_free(e);
    cr_expect_eq(casescribe_journal_entry_get(&e, home.ctx, HOME_SETUP_ENTRIES + 2), CASESCRIBE_ENOTFOUND);

    /* The ledger's database and its write-ahead log, as bytes on disk. */
    static char buf[1 << 22];
    size_t n = 0;
    const char *files[] = {"ledger.db", "ledger.db-wal"};
    for (size_t k = 0; k < 2; k++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", home.path, files[k]);
        FILE *f = fopen(path, "rb");
        cr_assert(f != NULL || k == 1, "%s must exist", files[k]);
        if (f == NULL)
            continue;
        n += fread(buf + n, 1, sizeof(buf) - 1 - n, f);
        fclose(f);
    }
    cr_assert_gt(n, 0);
    buf[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (buf[i] == '\0')
            buf[i] = ' ';
    const char *never[] = {"Jo Example", "bedroom", "football", "parent", "Sam"};
    for (size_t i = 0; i < 5; i++)
        cr_expect(strstr(buf, never[i]) == NULL, "the journal must not hold '%s'", never[i]);
}

/* ---- the chain ------------------------------------------------------------ */

Test(save, a_stale_copy_is_refused_as_a_conflict)
{
    char *v1 = NULL;
    form_parts p = {0};
    cr_assert_eq(save_parts(&p, &v1), CASESCRIBE_OK);
    char *edit_a = replace_once(v1, "My own analysis", "My first analysis");
    char *edit_b = replace_once(v1, "My own analysis", "Another analysis");
    cr_assert_eq(save_as(home.ctx, edit_a, NULL), CASESCRIBE_OK, "v2 from v1: %s", casescribe_last_error());
    cr_expect_eq(save_as(home.ctx, edit_b, NULL), CASESCRIBE_ECONFLICT, "another edit of v1 must conflict");
    assert_error_mentions("reload");
    cr_expect_eq(save_as(home.ctx, v1, NULL), CASESCRIBE_ECONFLICT, "v1 unchanged is not v2: it must conflict");
    free(edit_a);
    free(edit_b);
    casescribe_free(v1);
}

Test(save, a_known_record_without_provenance_is_a_conflict)
{
    form_parts p = {0};
    cr_assert_eq(save_parts(&p, NULL), CASESCRIBE_OK);
    form_parts other = {.sections = SECTION_HUMAN("analysis", "Something else entirely.")};
    cr_expect_eq(save_parts(&other, NULL), CASESCRIBE_ECONFLICT);
    assert_error_mentions("no provenance");
}

/* Entries journalled since home_open. */
static uint64_t journal_entries(void)
{
    uint64_t n = 0;
    cr_assert_eq(casescribe_journal_verify(&n, NULL, home.ctx), CASESCRIBE_OK, "%s", casescribe_last_error());
    return n - HOME_SETUP_ENTRIES;
}

/* The host saved, the library journalled and replied, and the reply was
 * lost (a crash, a timeout). Sending the same save again must give back
 * the same stamped record, not refuse the record for ever. */
Test(save, a_repeated_first_save_returns_the_same_stamp)
{
    char *xml = form_make(&(form_parts){0}), *first = NULL, *again = NULL;
    cr_assert_eq(save_as(home.ctx, xml, &first), CASESCRIBE_OK, "%s", casescribe_last_error());
    sleep(1); /* a repeat is stamped with the first save's time, not the clock */
    cr_assert_eq(save_as(home.ctx, xml, &again), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_str_eq(again, first, "the repeat must give the very bytes of the first stamp");
    cr_expect_eq(journal_entries(), 1, "a repeat is not journalled twice");
    free(xml);
    casescribe_free(first);
    casescribe_free(again);
}

Test(save, a_repeated_later_save_returns_the_same_stamp_and_the_chain_goes_on)
{
    char *v1 = NULL, *v2 = NULL, *again = NULL, *v3 = NULL;
    cr_assert_eq(save_parts(&(form_parts){0}, &v1), CASESCRIBE_OK);
    char *edit = replace_once(v1, "My own analysis", "My revised analysis");
    cr_assert_eq(save_as(home.ctx, edit, &v2), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(save_as(home.ctx, edit, &again), CASESCRIBE_OK, "repeat: %s", casescribe_last_error());
    cr_expect_str_eq(again, v2);
    cr_expect_eq(journal_entries(), 2);
    cr_expect_eq(casescribe_verify(NULL, home.ctx, "xml", (uint8_t *)again, strlen(again)), CASESCRIBE_OK);
    cr_expect_eq(save_as(home.ctx, again, &v3), CASESCRIBE_OK, "v3 from the repeat: %s", casescribe_last_error());
    free(edit);
    casescribe_free(v1);
    casescribe_free(v2);
    casescribe_free(again);
    casescribe_free(v3);
}

Test(save, a_repeat_by_another_actor_or_after_rotation_is_a_conflict)
{
    char *xml = form_make(&(form_parts){0});
    cr_assert_eq(save_as(home.ctx, xml, NULL), CASESCRIBE_OK);
    casescribe_actor actor;
    casescribe_actor_init(&actor, sizeof(actor));
    actor.user_id = "sw-099";
    uint8_t *out = NULL;
    size_t len = 0;
    cr_expect_eq(casescribe_save(&out, &len, home.ctx, "xml", &actor, (const uint8_t *)xml, strlen(xml)),
                 CASESCRIBE_ECONFLICT, "another person's save is not a repeat");
    actor.user_id = "sw-017";
    actor.role = "team-manager";
    cr_expect_eq(casescribe_save(&out, &len, home.ctx, "xml", &actor, (const uint8_t *)xml, strlen(xml)),
                 CASESCRIBE_ECONFLICT, "another role gives another stamp: not a repeat");
    cr_assert_eq(casescribe_keygen(NULL, home.ctx, CASESCRIBE_KEYGEN_ROTATE), CASESCRIBE_OK);
    cr_expect_eq(save_as(home.ctx, xml, NULL), CASESCRIBE_ECONFLICT, "the old stamp cannot be remade after rotation");
    cr_expect_eq(journal_entries(), 2, "the save and the rotation's key entry");
    free(xml);
}

Test(save, an_altered_incoming_provenance_is_refused)
{
    char *v1 = NULL;
    form_parts p = {0};
    cr_assert_eq(save_parts(&p, &v1), CASESCRIBE_OK);
    char *bumped = replace_once(v1, "version=\"1\"", "version=\"7\"");
    cr_expect_eq(save_as(home.ctx, bumped, NULL), CASESCRIBE_EVERIFY);
    free(bumped);
    casescribe_free(v1);
}

/* ---- many threads, one context ---------------------------------------- */

static void *save_many(void *arg)
{
    intptr_t t = (intptr_t)arg;
    for (int i = 0; i < 40; i++) {
        char id[32];
        snprintf(id, sizeof(id), "R-T%ld-%d", (long)t, i);
        form_parts p = {.id = id};
        char *xml = form_make(&p);
        int32_t rc = save_as(home.ctx, xml, NULL);
        free(xml);
        if (rc != CASESCRIBE_OK)
            return (void *)1;
    }
    return NULL;
}

Test(save, one_context_many_threads)
{
    pthread_t threads[8];
    for (intptr_t t = 0; t < 8; t++)
        cr_assert_eq(pthread_create(&threads[t], NULL, save_many, (void *)t), 0);
    for (int t = 0; t < 8; t++) {
        void *result = NULL;
        pthread_join(threads[t], &result);
        cr_expect_null(result, "thread %d had a failed save", t);
    }
    uint64_t n = 0;
    cr_assert_eq(casescribe_journal_verify(&n, NULL, home.ctx), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(n, 320 + HOME_SETUP_ENTRIES);
}

/* ---- the chain carries its history forward (issue #17, point 1) -------- */

#define P2_CONSENT_END "scopes=\"record-audio transcribe ai-draft\"/>"
#define P2_WITHDRAWN "scopes=\"record-audio transcribe ai-draft\" withdrawn-at=\"2026-06-01T00:00:00Z\"/>"

/* Version 1 holds a reviewed AI section about P-2; version 2 records that
 * P-2 withdrew consent (the reviewed section stays). */
static char *saved_withdrawal(void)
{
    char *v1 = NULL, *v2 = NULL;
    form_parts p = {.sections = SECTION_REVIEWED("observations", "Jo said the mornings are easier now.")};
    cr_assert_eq(save_parts(&p, &v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert(strstr(v1, "entries=\"sha256:") != NULL, "the consent stamp lists its entries' digests");
    char *withdrawn = replace_once(v1, P2_CONSENT_END, P2_WITHDRAWN);
    cr_assert_eq(save_as(home.ctx, withdrawn, &v2), CASESCRIBE_OK, "%s", casescribe_last_error());
    free(withdrawn);
    casescribe_free(v1);
    return v2;
}

Test(save, a_later_version_cannot_remove_a_withdrawal)
{
    char *v2 = saved_withdrawal();
    char *removed = replace_once(v2, P2_WITHDRAWN, P2_CONSENT_END);
    cr_expect_eq(save_as(home.ctx, removed, NULL), CASESCRIBE_ECONSENT);
    assert_error_mentions("subject 'P-2' withdrew consent");
    char *redated = replace_once(v2, "withdrawn-at=\"2026-06-01T00:00:00Z\"/>", "withdrawn-at=\"2000-01-01T00:00:00Z\"/>");
    cr_expect_eq(save_as(home.ctx, redated, NULL), CASESCRIBE_ECONSENT);
    assert_error_mentions("removed or re-dated");
    free(removed);
    free(redated);
    casescribe_free(v2);
}

Test(save, a_subject_cannot_vanish_from_a_record_with_ai_text)
{
    char *v2 = saved_withdrawal();
    /* P-2 and their consent go; P-3, who consents, comes with a new AI section. */
    char *subject = replace_once(v2, "<subject id=\"P-2\" role=\"parent\" name=\"Jo Example\"/>",
                                 "<subject id=\"P-3\" role=\"parent\"/>");
    char *start = strstr(subject, "<consent subject=\"P-2\"");
    cr_assert_not_null(start);
    char *end = strstr(start, "/>") + 2;
    char *entry = strndup(start, (size_t)(end - start));
    char *other = replace_once(entry, "subject=\"P-2\"", "subject=\"P-3\"");
    char *other_clean = replace_once(other, " withdrawn-at=\"2026-06-01T00:00:00Z\"", "");
    char *consent = replace_once(subject, entry, other_clean);
    char *more = replace_once(consent, "<section id=\"observations\"",
                              SECTION_DRAFT("plan", "A new plan was drafted.") "<section id=\"observations\"");
    cr_expect_eq(save_as(home.ctx, more, NULL), CASESCRIBE_ECONSENT);
    assert_error_mentions("subject 'P-2'");
    assert_error_mentions("missing");
    free(subject);
    free(entry);
    free(other);
    free(other_clean);
    free(consent);
    free(more);
    casescribe_free(v2);
}

Test(save, consent_entries_are_carried_unchanged_and_new_ones_may_be_added)
{
    char *v2 = saved_withdrawal();
    char *narrowed = replace_once(v2, "scopes=\"record-audio transcribe ai-draft\" withdrawn-at",
                                  "scopes=\"ai-draft\" withdrawn-at");
    cr_expect_eq(save_as(home.ctx, narrowed, NULL), CASESCRIBE_ECONSENT);
    assert_error_mentions("consent entry of subject 'P-2'");
    /* A new consent after the withdrawal is history added, not erased. */
    char *added = replace_once(v2, P2_WITHDRAWN,
                               P2_WITHDRAWN "<consent subject=\"P-2\" given-by=\"self\" method=\"written\" "
                                            "capacity=\"has-capacity\" at=\"2026-07-01T10:00:00Z\" "
                                            "scopes=\"ai-draft\"/>");
    char *v3 = NULL;
    cr_expect_eq(save_as(home.ctx, added, &v3), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(casescribe_verify(NULL, home.ctx, "xml", (uint8_t *)v3, strlen(v3)), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    free(narrowed);
    free(added);
    casescribe_free(v3);
    casescribe_free(v2);
}

/* Version 1's section is drafted by an external model; version 2 changes
 * one word and claims a local engine. */
/* Returns 1 when the third version still names the first engine. */
static int engine_swap(const char *text, const char *changed)
{
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", "external-ai", "on"), CASESCRIBE_OK);
    char *section = malloc(strlen(text) + 256);
    sprintf(section, "<section id=\"summary\" origin=\"ai-draft\" engine=\"openai:gpt-4o\" model=\"gpt-4o\">%s</section>",
            text);
    form_parts p = {.sections = section,
                    .consents = CONSENT("P-2", "self", "has-capacity", "ai-draft external-ai", "")};
    char *v1 = NULL, *v2 = NULL, *v3 = NULL, *report = NULL;
    cr_assert_eq(save_parts(&p, &v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *swapped = replace_once(v1, "engine=\"openai:gpt-4o\" model=\"gpt-4o\"", "engine=\"embedded:extractive\"");
    char *edited = replace_once(swapped, text, changed);
    cr_assert_eq(save_as(home.ctx, edited, &v2), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect(strstr(v2, "<earlier-engine engine=\"openai:gpt-4o\" model=\"gpt-4o\"/>") != NULL, "%s", v2);
    casescribe_record *rec = NULL; /* the history through the stamp getters */
    cr_assert_eq(casescribe_record_open(&rec, "xml", (uint8_t *)v2, strlen(v2)), CASESCRIBE_OK);
    cr_expect_eq(casescribe_record_stamp_count(rec, "earlier-engine"), 1);
    cr_expect_str_eq(casescribe_record_stamp_item(rec, "earlier-engine", 0, "section"), "summary");
    cr_expect_str_eq(casescribe_record_stamp_item(rec, "earlier-engine", 0, "engine"), "openai:gpt-4o");
    cr_expect_str_eq(casescribe_record_stamp_item(rec, "earlier-engine", 0, "model"), "gpt-4o");
    cr_expect_str_eq(casescribe_record_stamp_item(rec, "section", 0, "engine"), "embedded:extractive");
    cr_expect_not_null(casescribe_record_stamp_item(rec, "section", 0, "drafted-at"));
    casescribe_record_free(rec);
    cr_assert_eq(casescribe_verify(&report, home.ctx, "xml", (uint8_t *)v2, strlen(v2)), CASESCRIBE_OK);
    cr_expect(strstr(report, "openai:gpt-4o") != NULL && strstr(report, "embedded:extractive") != NULL, "%s", report);
    /* The history stays with the text in every later version. */
    cr_assert_eq(save_as(home.ctx, v2, &v3), CASESCRIBE_OK, "%s", casescribe_last_error());
    int kept = strstr(v3, "<earlier-engine engine=\"openai:gpt-4o\" model=\"gpt-4o\"/>") != NULL;
    free(section);
    free(swapped);
    free(edited);
    casescribe_free(report);
    casescribe_free(v1);
    casescribe_free(v2);
    casescribe_free(v3);
    return kept;
}

Test(save, a_changed_word_keeps_the_engine_that_drafted_the_text)
{
    char long_text[1024];
    snprintf(long_text, sizeof(long_text), "%s", paragraph(0));
    char changed[1024];
    snprintf(changed, sizeof(changed), "%s", long_text);
    char *space = strchr(changed, ' ');
    cr_assert_not_null(space);
    memcpy(changed, "Then", 4 <= (size_t)(space - changed) ? 4 : (size_t)(space - changed));
    cr_expect(engine_swap(long_text, changed), "the history stays with the text in every later version");
}

Test(save, a_short_text_keeps_the_engine_that_drafted_it)
{
    cr_expect(engine_swap("No new risks were identified.", "No new risks were found."),
              "the history stays with the text in every later version");
}

Test(save, a_redrafted_section_starts_a_new_history)
{
    char *v1 = NULL, *v2 = NULL;
    char *first = malloc(2048), *second = malloc(2048);
    snprintf(first, 2048, SECTION_DRAFT("summary", "%s"), paragraph(0));
    snprintf(second, 2048, "<section id=\"summary\" origin=\"ai-draft\" engine=\"embedded:extractive\">%s</section>",
             paragraph(2));
    form_parts p = {.sections = first};
    cr_assert_eq(save_parts(&p, &v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *start = strstr(v1, "<section id=\"summary\""), *end = strstr(start, "</section>") + 10;
    char *old = strndup(start, (size_t)(end - start));
    char *redrafted = replace_once(v1, old, second);
    cr_assert_eq(save_as(home.ctx, redrafted, &v2), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect(strstr(v2, "earlier-engine") == NULL, "other text, drafted by one engine only: %s", v2);
    free(first);
    free(second);
    free(old);
    free(redrafted);
    casescribe_free(v1);
    casescribe_free(v2);
}

Test(save, verify_of_an_older_version_names_the_latest)
{
    char *v1 = NULL, *v2 = NULL, *report = NULL;
    form_parts p = {0};
    cr_assert_eq(save_parts(&p, &v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(casescribe_verify(&report, home.ctx, "xml", (uint8_t *)v1, strlen(v1)), CASESCRIBE_OK);
    cr_expect(strstr(report, "Older version") == NULL, "%s", report);
    casescribe_free(report);
    cr_assert_eq(save_as(home.ctx, v1, &v2), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(save_as(home.ctx, v2, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(casescribe_verify(&report, home.ctx, "xml", (uint8_t *)v1, strlen(v1)), CASESCRIBE_OK, "a genuine version");
    cr_expect(strstr(report, "Older version: the latest this home knows is version 3.") != NULL, "%s", report);
    cr_expect(strstr(report, "VERIFIED: unchanged since it was stamped (an older version") != NULL, "%s", report);
    casescribe_free(report);
    casescribe_free(v1);
    casescribe_free(v2);
}

Test(save, a_review_cannot_be_dated_in_the_future)
{
    form_parts p = {.sections = "<section id=\"s\" origin=\"ai-reviewed\" engine=\"embedded:pocketsphinx\" "
                                "reviewed-by=\"sw-1\" reviewed-at=\"2099-01-01T00:00:00Z\" review=\"accepted\">t</section>"};
    cr_expect_eq(save_parts(&p, NULL), CASESCRIBE_EREVIEW);
    assert_error_mentions("later than this save");
    int64_t skew = 0;
    cr_assert_eq(casescribe_constant(&skew, "REVIEW_CLOCK_SKEW"), CASESCRIBE_OK);
    cr_expect_eq(skew, 300);
}

Test(save, a_first_version_review_cannot_predate_the_consent)
{
    form_parts p = {.sections = "<section id=\"s\" origin=\"ai-reviewed\" engine=\"embedded:pocketsphinx\" "
                                "reviewed-by=\"sw-1\" reviewed-at=\"1999-01-01T00:00:00Z\" review=\"accepted\">t</section>"};
    cr_expect_eq(save_parts(&p, NULL), CASESCRIBE_EREVIEW);
    assert_error_mentions("consent");
}

Test(save, a_review_cannot_predate_the_draft_it_checks)
{
    char *v1 = NULL, *v2 = NULL;
    form_parts p = {0};
    cr_assert_eq(save_parts(&p, &v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect(strstr(v1, "drafted-at=\"") != NULL, "an AI stamp says when its draft appeared");
    /* The consent allowed drafting since January, but this draft was first
     * saved today: a review dated last month checked nothing. */
    char *early = replace_once(v1, "origin=\"ai-draft\"",
                               "origin=\"ai-reviewed\" reviewed-by=\"sw-017\" reviewed-at=\"2026-02-01T09:00:00Z\" "
                               "review=\"accepted\"");
    cr_expect_eq(save_as(home.ctx, early, NULL), CASESCRIBE_EREVIEW);
    assert_error_mentions("first appeared");
    char *now = replace_once(v1, "origin=\"ai-draft\"", review_now("edited"));
    cr_expect_eq(save_as(home.ctx, now, &v2), CASESCRIBE_OK, "%s", casescribe_last_error());
    /* drafted-at is carried forward unchanged. */
    const char *d1 = strstr(v1, "drafted-at=\""), *d2 = v2 != NULL ? strstr(v2, "drafted-at=\"") : NULL;
    cr_assert(d1 != NULL && d2 != NULL);
    cr_expect_eq(strncmp(d1, d2, 33), 0, "%.33s vs %.33s", d1, d2);
    free(early);
    free(now);
    casescribe_free(v1);
    casescribe_free(v2);
}
