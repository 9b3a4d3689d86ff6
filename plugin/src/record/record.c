/* record.c - freeing and small queries on the record model. */
#include "record/record.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void free_section_stamp(cs_section_stamp *s)
{
    free(s->id);
    free(s->engine);
    free(s->model);
    free(s->engine_version);
    free(s->engine_settings);
    free(s->reviewed_by);
    free(s->reviewed_at);
    free(s->review);
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
    free(p);
}

void cs_cite_clear(cs_cite *c)
{
    free(c->section);
    free(c->segments);
    free(c->reason);
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
        free(s->engine);
        free(s->model);
        free(s->engine_version);
        free(s->engine_settings);
        free(s->reviewed_by);
        free(s->reviewed_at);
        free(s->review);
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
    cs_provenance_free(r->provenance);
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
    }
    return CASESCRIBE_OK;
}
