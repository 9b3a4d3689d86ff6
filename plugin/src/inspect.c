/* SPDX-License-Identifier: Apache-2.0 */
/* inspect.c - read-only access to a decoded record, for hosts that should
 * not parse XML themselves. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "internal.h"
#include "record/form_xml.h"

struct casescribe_record {
    cs_record *r;
    /* The stamp's numbers as text, for casescribe_record_stamp(). */
    char version[16], policy_version[16], ledger_seq[24];
};

static void stamp_numbers(casescribe_record *rec)
{
    const cs_provenance *p = rec->r->provenance;
    if (p == NULL)
        return;
    snprintf(rec->version, sizeof(rec->version), "%u", (unsigned)p->version);
    snprintf(rec->policy_version, sizeof(rec->policy_version), "%u", (unsigned)p->policy_version);
    if (p->ledger_seq != 0)
        snprintf(rec->ledger_seq, sizeof(rec->ledger_seq), "%llu", (unsigned long long)p->ledger_seq);
}

int32_t casescribe_record_open(casescribe_record **record_out, const char *adapter, const uint8_t *payload,
                               size_t payload_len)
{
    if (record_out == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "record_out is NULL");
    *record_out = NULL;
    cs_clear_error();
    casescribe_record *rec = calloc(1, sizeof(*rec));
    if (rec == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    int32_t rc = cs_adapter_decode(&rec->r, adapter, payload, payload_len);
    if (rc != CASESCRIBE_OK) {
        free(rec);
        return rc;
    }
    cs_form_received_free(rec->r); /* a handle a host keeps: not the document too */
    stamp_numbers(rec);
    *record_out = rec;
    return CASESCRIBE_OK;
}

void casescribe_record_free(casescribe_record *record)
{
    if (record == NULL)
        return;
    cs_record_free(record->r);
    free(record);
}

const char *casescribe_record_id(const casescribe_record *record)
{
    return record != NULL ? record->r->id : NULL;
}

const char *casescribe_record_team(const casescribe_record *record)
{
    return record != NULL ? record->r->team : NULL;
}

const char *casescribe_record_author(const casescribe_record *record)
{
    return record != NULL ? record->r->author : NULL;
}

int32_t casescribe_record_is_final(const casescribe_record *record)
{
    return record != NULL && record->r->final ? 1 : 0;
}

uint32_t casescribe_record_version(const casescribe_record *record)
{
    return record != NULL && record->r->provenance != NULL ? record->r->provenance->version : 0;
}

const char *casescribe_record_key_id(const casescribe_record *record)
{
    return record != NULL && record->r->provenance != NULL ? record->r->provenance->key_id : NULL;
}

uint32_t casescribe_record_section_count(const casescribe_record *record)
{
    return record != NULL ? (uint32_t)record->r->n_sections : 0;
}

static const cs_section *section_at(const casescribe_record *record, uint32_t index)
{
    return record != NULL && index < record->r->n_sections ? &record->r->sections[index] : NULL;
}

#define SECTION_GETTER(fn, expr)                                                                                  \
    const char *casescribe_record_section_##fn(const casescribe_record *record, uint32_t index)                   \
    {                                                                                                             \
        const cs_section *s = section_at(record, index);                                                          \
        return s != NULL ? (expr) : NULL;                                                                         \
    }

SECTION_GETTER(id, s->id)
SECTION_GETTER(origin, cs_origin_name(s->origin))
SECTION_GETTER(engine, s->engine)
SECTION_GETTER(model, s->model)
SECTION_GETTER(engine_version, s->engine_version)
SECTION_GETTER(engine_settings, s->engine_settings)
SECTION_GETTER(reviewer, s->reviewed_by)
SECTION_GETTER(reviewed_at, s->reviewed_at)
SECTION_GETTER(review, s->review)
SECTION_GETTER(text, s->text)

/* ---- what the stamp says ------------------------------------------------ */

/* A string member of a stamp struct, by the name the API gives it. */
struct named {
    const char *name;
    size_t offset;
};

static const char *named_string(const void *base, const struct named *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i].name, name) == 0)
            return *(char *const *)((const char *)base + names[i].offset);
    return NULL;
}

#define P(n, m) {n, offsetof(cs_provenance, m)}
static const struct named stamp_names[] = {
    P("record", record), P("previous", previous), P("time", at), P("library", library), P("key-id", key_id),
    P("actor", actor_id), P("team", actor_team), P("role", actor_role), P("policy-team", policy_team),
    P("policy-state", policy_state), P("policy-digest", policy_digest), P("form-digest", form_digest),
    P("subjects-digest", subjects_digest), P("consents-digest", consents_digest), P("ledger-prev", ledger_prev),
    P("signature", signature)};
#undef P

const char *casescribe_record_stamp(const casescribe_record *record, const char *name)
{
    const cs_provenance *p = record != NULL ? record->r->provenance : NULL;
    if (p == NULL || name == NULL)
        return NULL;
    if (strcmp(name, "version") == 0)
        return record->version;
    if (strcmp(name, "policy-version") == 0)
        return p->policy_team != NULL ? record->policy_version : NULL;
    if (strcmp(name, "ledger-seq") == 0)
        return record->ledger_seq[0] ? record->ledger_seq : NULL;
    return named_string(p, stamp_names, sizeof(stamp_names) / sizeof(*stamp_names), name);
}

/* The list's length; `earlier-engine` flattens every section's history. */
uint32_t casescribe_record_stamp_count(const casescribe_record *record, const char *list)
{
    const cs_provenance *p = record != NULL ? record->r->provenance : NULL;
    if (p == NULL || list == NULL)
        return 0;
    if (strcmp(list, "section") == 0)
        return (uint32_t)p->n_sections;
    if (strcmp(list, "consent") == 0)
        return (uint32_t)p->n_consents;
    size_t n = 0;
    for (size_t i = 0; strcmp(list, "earlier-engine") == 0 && i < p->n_sections; i++)
        n += p->sections[i].n_earlier;
    return (uint32_t)n;
}

#define S(n, m) {n, offsetof(cs_section_stamp, m)}
static const struct named section_names[] = {
    S("id", id), S("engine", engine), S("model", model), S("engine-version", engine_version),
    S("engine-settings", engine_settings), S("reviewed-by", reviewed_by), S("reviewed-at", reviewed_at),
    S("review", review), S("digest", digest), S("drafted-at", drafted_at)};
#undef S
#define C(n, m) {n, offsetof(cs_consent_stamp, m)}
static const struct named consent_names[] = {
    C("subject", subject), C("in-force", in_force), C("given-by", given_by), C("capacity", capacity),
    C("scopes", scopes), C("withdrawn-at", withdrawn_at), C("entries", entries)};
#undef C

static const char *section_item(const cs_section_stamp *s, const char *name)
{
    if (strcmp(name, "origin") == 0)
        return cs_origin_name(s->origin);
    if (strcmp(name, "consent-withdrawn") == 0)
        return s->consent_withdrawn ? "true" : "false";
    return named_string(s, section_names, sizeof(section_names) / sizeof(*section_names), name);
}

static const char *consent_item(const cs_consent_stamp *c, const char *name)
{
    if (strcmp(name, "local-ai") == 0)
        return c->local_ai ? "allowed" : "refused";
    if (strcmp(name, "external-ai") == 0)
        return c->external_ai ? "allowed" : "refused";
    return named_string(c, consent_names, sizeof(consent_names) / sizeof(*consent_names), name);
}

static const char *earlier_item(const cs_provenance *p, uint32_t index, const char *name)
{
    for (size_t i = 0; i < p->n_sections; i++) {
        const cs_section_stamp *s = &p->sections[i];
        if (index >= s->n_earlier) {
            index -= (uint32_t)s->n_earlier;
            continue;
        }
        return strcmp(name, "section") == 0 ? s->id
               : strcmp(name, "engine") == 0 ? s->earlier[index].engine
               : strcmp(name, "model") == 0  ? s->earlier[index].model
                                             : NULL;
    }
    return NULL;
}

const char *casescribe_record_stamp_item(const casescribe_record *record, const char *list, uint32_t index,
                                         const char *name)
{
    if (name == NULL || index >= casescribe_record_stamp_count(record, list))
        return NULL;
    const cs_provenance *p = record->r->provenance;
    if (strcmp(list, "section") == 0)
        return section_item(&p->sections[index], name);
    if (strcmp(list, "consent") == 0)
        return consent_item(&p->consents[index], name);
    return earlier_item(p, index, name);
}
