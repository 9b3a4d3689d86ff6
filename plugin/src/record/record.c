/* SPDX-License-Identifier: Apache-2.0 */
/* record.c - freeing and small queries on the record model. */
#include "record/record.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "record/form_xml.h"

void cs_section_stamp_history_free(cs_section_stamp *s)
{
    for (size_t i = 0; i < s->n_earlier; i++) {
        free(s->earlier[i].engine);
        free(s->earlier[i].model);
    }
    free(s->earlier);
    free(s->drafted_at);
    s->earlier = NULL;
    s->n_earlier = 0;
    s->drafted_at = NULL;
}

const cs_origin_text cs_origin_texts[CS_N_ORIGIN_TEXTS] = {
    {"engine", {offsetof(cs_section, engine), offsetof(cs_section_stamp, engine)}},
    {"model", {offsetof(cs_section, model), offsetof(cs_section_stamp, model)}},
    {"engine-version", {offsetof(cs_section, engine_version), offsetof(cs_section_stamp, engine_version)}},
    {"engine-settings", {offsetof(cs_section, engine_settings), offsetof(cs_section_stamp, engine_settings)}},
    {"reviewed-by", {offsetof(cs_section, reviewed_by), offsetof(cs_section_stamp, reviewed_by)}},
    {"reviewed-at", {offsetof(cs_section, reviewed_at), offsetof(cs_section_stamp, reviewed_at)}},
    {"review", {offsetof(cs_section, review), offsetof(cs_section_stamp, review)}},
};

char **cs_origin_text_at(void *holder, int in, size_t i)
{
    return (char **)((char *)holder + cs_origin_texts[i].at[in]);
}

const char *cs_origin_text_of(const void *holder, int in, size_t i)
{
    return *(char *const *)((const char *)holder + cs_origin_texts[i].at[in]);
}

static void free_origin_texts(void *holder, int in)
{
    for (size_t i = 0; i < CS_N_ORIGIN_TEXTS; i++)
        free(*cs_origin_text_at(holder, in, i));
}

static void free_section_stamp(cs_section_stamp *s)
{
    cs_section_stamp_history_free(s);
    free(s->id);
    free_origin_texts(s, CS_IN_STAMP);
    free(s->digest);
    free(s->fingerprint);
    free(s->text_mac);
}

static void free_consent_stamp(cs_consent_stamp *c)
{
    free(c->subject);
    free(c->in_force);
    free(c->given_by);
    free(c->capacity);
    free(c->scopes);
    free(c->withdrawn_at);
    free(c->entries);
}

void cs_provenance_free(cs_provenance *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n_sections; i++)
        free_section_stamp(&p->sections[i]);
    for (size_t i = 0; i < p->n_consents; i++)
        free_consent_stamp(&p->consents[i]);
    free(p->sections);
    free(p->consents);
    free(p->record);
    free(p->previous);
    free(p->at);
    free(p->library);
    free(p->key_id);
    free(p->actor_id);
    free(p->actor_team);
    free(p->actor_role);
    free(p->policy_team);
    free(p->policy_state);
    free(p->policy_digest);
    free(p->form_digest);
    free(p->subjects_digest);
    free(p->consents_digest);
    free(p->signature);
    free(p->ledger_prev);
    free(p);
}

void cs_cite_clear(cs_cite *c)
{
    free(c->section);
    free(c->segments);
    free(c->reason);
    free(c->unsure);
    memset(c, 0, sizeof(*c));
}

void cs_record_free(cs_record *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_subjects; i++) {
        free(r->subjects[i].id);
        free(r->subjects[i].role);
        free(r->subjects[i].name);
    }
    for (size_t i = 0; i < r->n_consents; i++) {
        cs_consent *c = &r->consents[i];
        free(c->subject);
        free(c->given_by);
        free(c->method);
        free(c->capacity);
        free(c->at);
        free(c->scopes);
        free(c->withdrawn_at);
    }
    for (size_t i = 0; i < r->n_sections; i++) {
        cs_section *s = &r->sections[i];
        free(s->id);
        free_origin_texts(s, CS_IN_SECTION);
        free(s->text);
    }
    for (size_t i = 0; i < r->n_cites; i++)
        cs_cite_clear(&r->cites[i]);
    free(r->subjects);
    free(r->consents);
    free(r->sections);
    free(r->cites);
    free(r->id);
    free(r->template_id);
    free(r->team);
    free(r->author);
    free(r->carried_digest);
    cs_provenance_free(r->provenance);
    cs_form_received_free(r);
    free(r);
}

static const char *const origin_names[] = {"human", "ai-draft", "ai-reviewed"};

const char *cs_origin_name(cs_origin o)
{
    return (unsigned)o < 3 ? origin_names[o] : "human";
}

int cs_origin_parse(cs_origin *out, const char *text)
{
    for (int i = 0; i < 3; i++) {
        if (text != NULL && strcmp(text, origin_names[i]) == 0) {
            *out = (cs_origin)i;
            return 0;
        }
    }
    return -1;
}

const cs_section *cs_record_find_section(const cs_record *r, const char *id)
{
    for (size_t i = 0; i < r->n_sections; i++)
        if (strcmp(r->sections[i].id, id) == 0)
            return &r->sections[i];
    return NULL;
}

/* 1-7 decimal digits (the schema's bound: more than any payload holds)
 * into *out; -1 when there are none or too many. */
static int read_digits(const char **p, uint32_t *out)
{
    uint32_t v = 0;
    int n = 0;
    for (; **p >= '0' && **p <= '9'; (*p)++) {
        if (++n > 7)
            return -1;
        v = v * 10 + (uint32_t)(**p - '0');
    }
    *out = v;
    return n > 0 ? 0 : -1;
}

int cs_unsure_next(const char **p, uint32_t *offset, uint32_t *length)
{
    if (**p == '\0')
        return 0;
    if (read_digits(p, offset) != 0 || **p != ':')
        return -1;
    (*p)++;
    if (read_digits(p, length) != 0)
        return -1;
    /* One space, then another range; or the end. Nothing else. */
    if (**p == ' ' && (*p)[1] != '\0')
        (*p)++;
    else if (**p != '\0')
        return -1;
    return 1;
}

/* The words of citation c the transcriber was unsure of: each range at
 * least a byte, inside the citation (and, in an untouched draft, inside the
 * text), after the one before it, so that whoever marks them (the review
 * screen, a subject access export) never marks text the citation does not
 * cover or the same bytes twice. */
static int32_t check_unsure(const cs_cite *c, const cs_section *s)
{
    const char *p = c->unsure != NULL ? c->unsure : "";
    uint64_t prev_end = 0;
    uint32_t offset = 0, length = 0;
    size_t n = 0;
    int got;
    while ((got = cs_unsure_next(&p, &offset, &length)) == 1) {
        uint64_t end = (uint64_t)offset + length;
        if (++n > CS_MAX_UNSURE)
            return cs_fail(CASESCRIBE_ESCHEMA, "a citation in section '%s' marks more than %d unsure ranges",
                           c->section, CS_MAX_UNSURE);
        if (length == 0)
            return cs_fail(CASESCRIBE_ESCHEMA, "a citation in section '%s' marks an empty unsure range", c->section);
        if (s->origin == CS_ORIGIN_AI_DRAFT && end > s->text_len)
            return cs_fail(CASESCRIBE_ESCHEMA, "an unsure range points past the end of section '%s'", c->section);
        if (offset < c->offset || end > (uint64_t)c->offset + c->length)
            return cs_fail(CASESCRIBE_ESCHEMA, "an unsure range in section '%s' lies outside its citation",
                           c->section);
        if (n > 1 && offset < prev_end)
            return cs_fail(CASESCRIBE_ESCHEMA, "the unsure ranges of a citation in section '%s' overlap or are out "
                                               "of order",
                           c->section);
        prev_end = end;
    }
    if (got < 0)
        return cs_fail(CASESCRIBE_ESCHEMA, "a citation in section '%s' has unsure ranges that are not "
                                           "'OFFSET:LENGTH OFFSET:LENGTH ...'",
                       c->section);
    return CASESCRIBE_OK;
}

/* Citations belong to AI text: each names an AI section of the form, and
 * within a draft nobody has touched yet it must point inside the text (a
 * reviewed section may have been edited since: its citations are then
 * where the draft's sentences came from). */
int32_t cs_record_check_cites(const cs_record *r)
{
    if (r->n_cites > CS_MAX_CITES)
        return cs_fail(CASESCRIBE_ETOOBIG, "a form may hold at most %d citations", CS_MAX_CITES);
    for (size_t i = 0; i < r->n_cites; i++) {
        const cs_cite *c = &r->cites[i];
        const cs_section *s = cs_record_find_section(r, c->section);
        if (s == NULL)
            return cs_fail(CASESCRIBE_ESCHEMA, "a citation names section '%s', which the form does not have",
                           c->section);
        if (!cs_origin_is_ai(s->origin))
            return cs_fail(CASESCRIBE_ESCHEMA, "a citation names section '%s', which is marked as the worker's own "
                                               "text: citations belong to AI text",
                           c->section);
        if (s->origin == CS_ORIGIN_AI_DRAFT && (uint64_t)c->offset + c->length > s->text_len)
            return cs_fail(CASESCRIBE_ESCHEMA, "a citation points past the end of section '%s'", c->section);
        if (c->start_ms >= 0 && c->end_ms >= 0 && c->end_ms < c->start_ms)
            return cs_fail(CASESCRIBE_ESCHEMA, "a citation in section '%s' ends before it starts", c->section);
        int32_t rc = check_unsure(c, s);
        if (rc != CASESCRIBE_OK)
            return rc;
    }
    return CASESCRIBE_OK;
}
