/* SPDX-License-Identifier: Apache-2.0 */
/* evaluate.c - consent state of a record, subject by subject. */
#include "consent/evaluate.h"

#include <stdlib.h>
#include <string.h>

#include "consent/consent.h"
#include "internal.h"

/* The engines that run on this machine. Kept here, next to the rule that
 * uses it, so that adding an engine is a visible change to consent. */
static const char *const local_engines[] = {"embedded:pocketsphinx", "embedded:extractive"};

int cs_engine_is_local(const char *engine)
{
    for (size_t i = 0; engine != NULL && i < sizeof(local_engines) / sizeof(*local_engines); i++)
        if (strcmp(engine, local_engines[i]) == 0)
            return 1;
    return 0;
}

void cs_consent_stamps_free(cs_consent_stamp *stamps, size_t n)
{
    for (size_t i = 0; stamps != NULL && i < n; i++) {
        free(stamps[i].subject);
        free(stamps[i].in_force);
        free(stamps[i].given_by);
        free(stamps[i].capacity);
        free(stamps[i].scopes);
        free(stamps[i].withdrawn_at);
        free(stamps[i].entries);
    }
    free(stamps);
}

static int32_t terms_of(cs_consent_terms *t, const cs_consent *c)
{
    memset(t, 0, sizeof(*t));
    if (cs_consent_parse_given_by(&t->given_by, c->given_by) != 0 ||
        cs_consent_parse_capacity(&t->capacity, c->capacity) != 0 ||
        cs_consent_parse_scopes(&t->scopes, c->scopes) != 0 || cs_parse_time(&t->given_at, c->at) != 0 ||
        (c->withdrawn_at != NULL && cs_parse_time(&t->withdrawn_at, c->withdrawn_at) != 0))
        return cs_fail(CASESCRIBE_ESCHEMA, "a consent of subject '%s' has a value the library does not know",
                       c->subject);
    /* A withdrawal at the epoch itself would read as "never": treat as the earliest real time. */
    if (c->withdrawn_at != NULL && t->withdrawn_at == 0)
        t->withdrawn_at = 1;
    return CASESCRIBE_OK;
}

/* The consent records of `subject`, as terms, and which one is in force at
 * `now` (index into source/terms, or -1 when none is). */
struct subject_consents {
    cs_consent_terms terms[256];
    const cs_consent *source[256];
    int n, current, withdrawal;
};

/* Invalid input, named by its entry: a withdrawal before its own consent,
 * or entries that disagree at one instant. */
static int32_t check_entries(const struct subject_consents *c, const char *subject)
{
    int bad = -1, other = -1;
    switch (cs_consent_check_entries(c->terms, c->n, &bad, &other)) {
    case CS_ENTRIES_WITHDRAWN_EARLY:
        return cs_fail(CASESCRIBE_ESCHEMA, "the consent of subject '%s' given at %s is withdrawn at %s, before it "
                                           "was given: correct the entry",
                       subject, c->source[bad]->at, c->source[bad]->withdrawn_at);
    case CS_ENTRIES_CONFLICT:
        return cs_fail(CASESCRIBE_ESCHEMA, "two consent entries of subject '%s' at %s (and %s) differ in who gave "
                                           "them, capacity or scopes: which one is in force cannot be told; keep "
                                           "one entry per instant",
                       subject, c->source[bad]->at, c->source[other]->at);
    case CS_ENTRIES_OK:
        break;
    }
    return CASESCRIBE_OK;
}

static int32_t gather(struct subject_consents *c, const cs_record *r, const char *subject, int64_t now)
{
    c->n = 0;
    c->withdrawal = -1;
    for (size_t i = 0; i < r->n_consents && c->n < 256; i++) {
        if (strcmp(r->consents[i].subject, subject) != 0)
            continue;
        int32_t rc = terms_of(&c->terms[c->n], &r->consents[i]);
        if (rc != CASESCRIBE_OK)
            return rc;
        c->source[c->n++] = &r->consents[i];
    }
    int32_t rc = check_entries(c, subject);
    if (rc != CASESCRIBE_OK)
        return rc;
    c->current = cs_consent_pick_current(c->terms, c->n, now);
    if (c->current >= 0) {
        /* A withdrawal written on an older entry still withdraws this one. */
        int w = cs_consent_pick_withdrawal(c->terms, c->n, c->current);
        c->terms[c->current].withdrawn_at = w >= 0 ? c->terms[w].withdrawn_at : 0;
        c->withdrawal = w;
    }
    return CASESCRIBE_OK;
}

static int32_t fill_stamp(cs_consent_stamp *s, struct subject_consents *all, const char *subject, int64_t now);

/* Fills one subject's stamp from the consent records that name it. */
static int32_t evaluate_subject(cs_consent_stamp *s, const cs_record *r, const char *subject, int64_t now)
{
    struct subject_consents *all = malloc(sizeof(*all));
    if (all == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    int32_t rc = gather(all, r, subject, now);
    if (rc == CASESCRIBE_OK)
        rc = fill_stamp(s, all, subject, now);
    free(all);
    return rc;
}

int32_t cs_consent_check_use(int *refusing, int *reason, const cs_record *r, uint32_t needed, int64_t now)
{
    *refusing = -1;
    *reason = -1;
    struct subject_consents *all = malloc(sizeof(*all));
    if (all == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    int32_t rc = CASESCRIBE_OK;
    for (size_t i = 0; rc == CASESCRIBE_OK && *refusing < 0 && i < r->n_subjects; i++) {
        rc = gather(all, r, r->subjects[i].id, now);
        int result = rc != CASESCRIBE_OK ? 0
                     : all->current < 0  ? -1
                                         : (int)cs_consent_decide(&all->terms[all->current], needed, now);
        if (rc == CASESCRIBE_OK && result != CS_CONSENT_OK) {
            *refusing = (int)i;
            *reason = result;
        }
    }
    free(all);
    return rc;
}

static int32_t fill_stamp(cs_consent_stamp *s, struct subject_consents *all, const char *subject, int64_t now)
{
    cs_consent_terms *terms = all->terms;
    const cs_consent **source = all->source;
    int cur = all->current;
    if ((s->subject = cs_strdup(subject)) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (cur < 0) {
        s->local_reason = s->external_reason = -1;
        return CASESCRIBE_OK;
    }
    const cs_consent *c = source[cur];
    const char *withdrawn = all->withdrawal >= 0 ? source[all->withdrawal]->withdrawn_at : NULL;
    s->in_force = cs_strdup(c->at);
    s->given_by = cs_strdup(c->given_by);
    s->capacity = cs_strdup(c->capacity);
    s->scopes = cs_strdup(c->scopes);
    s->withdrawn_at = cs_strdup(withdrawn);
    if (!s->in_force || !s->given_by || !s->capacity || !s->scopes || (withdrawn && !s->withdrawn_at))
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    s->local_reason = (int)cs_consent_decide(&terms[cur], CS_SCOPE_AI_DRAFT, now);
    s->external_reason = (int)cs_consent_decide(&terms[cur], CS_SCOPE_AI_DRAFT | CS_SCOPE_EXTERNAL_AI, now);
    s->local_ai = s->local_reason == CS_CONSENT_OK;
    s->external_ai = s->external_reason == CS_CONSENT_OK;
    return CASESCRIBE_OK;
}

int32_t cs_consent_evaluate(cs_consent_stamp **out, size_t *n, const cs_record *r, int64_t now)
{
    *out = NULL;
    *n = 0;
    cs_consent_stamp *stamps = calloc(r->n_subjects ? r->n_subjects : 1, sizeof(*stamps));
    if (stamps == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->n_subjects; i++) {
        int32_t rc = evaluate_subject(&stamps[i], r, r->subjects[i].id, now);
        if (rc != CASESCRIBE_OK) {
            cs_consent_stamps_free(stamps, r->n_subjects);
            return rc;
        }
    }
    *out = stamps;
    *n = r->n_subjects;
    return CASESCRIBE_OK;
}

int cs_consent_first_refusal(const cs_consent_stamp *stamps, size_t n, int external)
{
    for (size_t i = 0; i < n; i++)
        if (!(external ? stamps[i].external_ai : stamps[i].local_ai))
            return (int)i;
    return -1;
}

const char *cs_consent_refusal_reason(const cs_consent_stamp *stamp, int external)
{
    int reason = external ? stamp->external_reason : stamp->local_reason;
    if (reason < 0)
        return "no consent has been recorded";
    return cs_consent_reason((cs_consent_result)reason);
}
