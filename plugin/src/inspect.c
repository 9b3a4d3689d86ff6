/* SPDX-License-Identifier: Apache-2.0 */
/* inspect.c - read-only access to a decoded record, for hosts that should
 * not parse XML themselves. */
#include <stdlib.h>

#include "adapter.h"
#include "internal.h"

struct casescribe_record {
    cs_record *r;
};

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
