/* SPDX-License-Identifier: Apache-2.0 */
/* consent.c - the consent decision and the parsers of the form's consent
 * attributes. Pure functions: no I/O, no clock, no global state, so that a
 * decision can be replayed exactly when a record is verified later. */
#include "consent/consent.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Whether the person who gave the consent could give it (Mental Capacity
 * Act 2005). Anything not known to count (an out-of-range given_by or
 * capacity) does not: fail closed. */
static cs_consent_result giver_can_consent(cs_given_by given_by, cs_capacity capacity)
{
    switch (given_by) {
    case CS_GIVEN_SELF:
        /* s.1(2): capacity is presumed until assessed otherwise. */
        return capacity == CS_CAPACITY_HAS || capacity == CS_CAPACITY_NOT_ASSESSED ? CS_CONSENT_OK
                                                                                    : CS_CONSENT_NO_CAPACITY;
    case CS_GIVEN_REPRESENTATIVE:
        /* A person with capacity decides for themself: nobody consents for them. */
        return capacity == CS_CAPACITY_LACKS || capacity == CS_CAPACITY_NOT_ASSESSED ? CS_CONSENT_OK
                                                                                      : CS_CONSENT_HAS_CAPACITY;
    case CS_GIVEN_BEST_INTERESTS:
        /* s.4: a best-interests decision is made only for a person assessed as lacking capacity. */
        return capacity == CS_CAPACITY_LACKS ? CS_CONSENT_OK
               : capacity == CS_CAPACITY_HAS ? CS_CONSENT_HAS_CAPACITY
                                             : CS_CONSENT_NOT_ASSESSED;
    }
    return CS_CONSENT_NO_CAPACITY;
}

cs_consent_result cs_consent_decide(const cs_consent_terms *terms, uint32_t needed_scopes, int64_t now)
{
    /* No terms at all means no consent has been given: fail closed. */
    if (terms == NULL)
        return CS_CONSENT_NOT_YET_GIVEN;
    /* The checks run in the order the header fixes, so that the reason
     * reported for a refusal is the same wherever it is computed. */
    cs_consent_result giver = giver_can_consent(terms->given_by, terms->capacity);
    if (giver != CS_CONSENT_OK)
        return giver;
    if (terms->given_at > now)
        return CS_CONSENT_NOT_YET_GIVEN;
    if (terms->withdrawn_at != 0 && terms->withdrawn_at <= now)
        return CS_CONSENT_WITHDRAWN;
    if ((terms->scopes & needed_scopes) != needed_scopes)
        return CS_CONSENT_SCOPE_MISSING;
    return CS_CONSENT_OK;
}

const char *cs_consent_reason(cs_consent_result r)
{
    switch (r) {
    case CS_CONSENT_OK:
        return "consent covers this use";
    case CS_CONSENT_NO_CAPACITY:
        return "consent was given by the person while recorded as lacking capacity";
    case CS_CONSENT_SCOPE_MISSING:
        return "the consent does not cover this use of AI";
    case CS_CONSENT_NOT_YET_GIVEN:
        return "no consent had been given at this time";
    case CS_CONSENT_WITHDRAWN:
        return "consent has been withdrawn";
    case CS_CONSENT_HAS_CAPACITY:
        return "consent was given on behalf of a person recorded as having capacity, who consents only for "
               "themself";
    case CS_CONSENT_NOT_ASSESSED:
        return "a best-interests decision was recorded for a person whose capacity was not assessed: it needs "
               "an assessment that they lack capacity";
    }
    return "unknown consent result";
}

/* A form value and what it stands for. */
typedef struct {
    const char *text;
    int value;
} named_value;

/* Exact, case-sensitive lookup of `len` bytes of `text`: the form's values
 * are lowercase tokens, and accepting variants would let two spellings of one
 * value into the signed record. */
static int lookup(const named_value *table, size_t n, const char *text, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(table[i].text) == len && memcmp(table[i].text, text, len) == 0)
            return table[i].value;
    return -1;
}

static const named_value given_by_names[] = {
    {"self", CS_GIVEN_SELF},
    {"representative", CS_GIVEN_REPRESENTATIVE},
    {"best-interests", CS_GIVEN_BEST_INTERESTS},
};

static const named_value capacity_names[] = {
    {"has-capacity", CS_CAPACITY_HAS},
    {"lacks-capacity", CS_CAPACITY_LACKS},
    {"not-assessed", CS_CAPACITY_NOT_ASSESSED},
};

static const named_value scope_names[] = {
    {"record-audio", (int)CS_SCOPE_RECORD_AUDIO},
    {"transcribe", (int)CS_SCOPE_TRANSCRIBE},
    {"ai-draft", (int)CS_SCOPE_AI_DRAFT},
    {"external-ai", (int)CS_SCOPE_EXTERNAL_AI},
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* On an unknown value the enum outputs are left untouched: writing 0 would
 * mean "self" / "has-capacity", which is not a safe default. */
int cs_consent_parse_given_by(cs_given_by *out, const char *text)
{
    if (out == NULL || text == NULL)
        return -1;
    int v = lookup(given_by_names, COUNT_OF(given_by_names), text, strlen(text));
    if (v < 0)
        return -1;
    *out = (cs_given_by)v;
    return 0;
}

int cs_consent_parse_capacity(cs_capacity *out, const char *text)
{
    if (out == NULL || text == NULL)
        return -1;
    int v = lookup(capacity_names, COUNT_OF(capacity_names), text, strlen(text));
    if (v < 0)
        return -1;
    *out = (cs_capacity)v;
    return 0;
}

/* The separators of an XML Schema list (xs:list collapses whitespace), so a
 * value the schema accepts is never refused here. */
static bool is_list_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Scopes are an xs:list: runs of whitespace separate words, leading and
 * trailing whitespace is ignored, a repeated word adds nothing, and an empty
 * list is valid (it grants nothing, so any AI use is refused later). On an
 * unknown word *out is 0: no scopes, fail closed. */
int cs_consent_parse_scopes(uint32_t *out, const char *text)
{
    if (out == NULL)
        return -1;
    *out = 0;
    if (text == NULL)
        return -1;
    uint32_t scopes = 0;
    const char *p = text;
    for (;;) {
        while (is_list_space(*p))
            p++;
        if (*p == '\0')
            break;
        const char *word = p;
        while (*p != '\0' && !is_list_space(*p))
            p++;
        int v = lookup(scope_names, COUNT_OF(scope_names), word, (size_t)(p - word));
        if (v < 0)
            return -1;
        scopes |= (uint32_t)v;
    }
    *out = scopes;
    return 0;
}

static bool same_terms(const cs_consent_terms *a, const cs_consent_terms *b)
{
    return a->given_by == b->given_by && a->capacity == b->capacity && a->scopes == b->scopes;
}

cs_entries_result cs_consent_check_entries(const cs_consent_terms *terms, int n, int *bad, int *other)
{
    *bad = *other = -1;
    for (int i = 0; terms != NULL && i < n; i++) {
        *bad = i;
        if (terms[i].withdrawn_at != 0 && terms[i].withdrawn_at < terms[i].given_at)
            return CS_ENTRIES_WITHDRAWN_EARLY;
        for (int j = i + 1; j < n; j++) {
            *other = j;
            if (terms[j].given_at == terms[i].given_at && !same_terms(&terms[i], &terms[j]))
                return CS_ENTRIES_CONFLICT;
        }
        *other = -1;
    }
    *bad = -1;
    return CS_ENTRIES_OK;
}

int cs_consent_pick_current(const cs_consent_terms *terms, int n, int64_t now)
{
    if (terms == NULL)
        return -1;
    int best = -1;
    for (int i = 0; i < n; i++) {
        if (terms[i].given_at > now)
            continue; /* not given yet: cannot be in force */
        /* ">=" so that of two given at the same second the later entry,
         * the one written last on the form, wins. */
        if (best < 0 || terms[i].given_at >= terms[best].given_at)
            best = i;
    }
    return best;
}

int cs_consent_pick_withdrawal(const cs_consent_terms *terms, int n, int current)
{
    if (terms == NULL || current < 0 || current >= n)
        return -1;
    int best = -1;
    for (int i = 0; i < n; i++) {
        int64_t w = terms[i].withdrawn_at;
        /* ">=": a withdrawal in the same second as the consent wins (fail closed). */
        if (w == 0 || w < terms[current].given_at)
            continue;
        if (best < 0 || w < terms[best].withdrawn_at)
            best = i;
    }
    return best;
}
