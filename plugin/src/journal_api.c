/* journal_api.c - the journal as the public interface shows it. */
#include <stdlib.h>

#include "context.h"
#include "internal.h"

struct casescribe_journal_entry {
    json_t *json; /* strings handed out are borrowed from it */
};

int32_t casescribe_journal_verify(uint64_t *entries_out, char **report_out, casescribe_ctx *ctx)
{
    if (entries_out != NULL)
        *entries_out = 0;
    if (report_out != NULL)
        *report_out = NULL;
    if (ctx == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_journal_verify: ctx is NULL");
    cs_clear_error();
    uint64_t count = 0;
    int32_t rc = cs_journal_verify_file(ctx->journal_path, &count, NULL, NULL);
    if (entries_out != NULL)
        *entries_out = count;
    if (report_out != NULL) {
        cs_buf rep = {0};
        if (rc == CASESCRIBE_OK)
            cs_buf_printf(&rep, "journal %s: %llu entries, every frame and the hash chain check out\n",
                          ctx->journal_path, (unsigned long long)count);
        else
            cs_buf_printf(&rep, "journal %s: %llu good entries, then: %s\n", ctx->journal_path,
                          (unsigned long long)count, casescribe_last_error());
        if (cs_journal_truncated_bytes(ctx->journal) > 0)
            cs_buf_printf(&rep, "a torn tail of %llu bytes (a save interrupted by a crash, never acknowledged) was "
                                "cut off when this home was opened\n",
                          (unsigned long long)cs_journal_truncated_bytes(ctx->journal));
        *report_out = cs_buf_take(&rep);
    }
    return rc;
}

uint64_t casescribe_journal_truncated_bytes(const casescribe_ctx *ctx)
{
    return ctx != NULL ? cs_journal_truncated_bytes(ctx->journal) : 0;
}

int32_t casescribe_journal_entry_get(casescribe_journal_entry **entry_out, casescribe_ctx *ctx, uint64_t seq)
{
    if (entry_out != NULL)
        *entry_out = NULL;
    if (entry_out == NULL || ctx == NULL || seq == 0)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_journal_entry_get: NULL argument or seq 0");
    cs_clear_error();
    casescribe_journal_entry *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    int32_t rc = cs_journal_read_entry(&e->json, ctx->journal, ctx->journal_path, seq);
    if (rc != CASESCRIBE_OK) {
        free(e);
        return rc;
    }
    *entry_out = e;
    return CASESCRIBE_OK;
}

void casescribe_journal_entry_free(casescribe_journal_entry *entry)
{
    if (entry == NULL)
        return;
    json_decref(entry->json);
    free(entry);
}

static const char *field(const casescribe_journal_entry *e, const char *name)
{
    return e != NULL ? json_string_value(json_object_get(e->json, name)) : NULL;
}

static uint64_t number(const casescribe_journal_entry *e, const char *name)
{
    json_int_t v = e != NULL ? json_integer_value(json_object_get(e->json, name)) : 0;
    return v > 0 ? (uint64_t)v : 0;
}

uint64_t casescribe_journal_entry_seq(const casescribe_journal_entry *entry)
{
    return number(entry, "seq");
}

const char *casescribe_journal_entry_kind(const casescribe_journal_entry *entry)
{
    return field(entry, "kind");
}

const char *casescribe_journal_entry_record_id(const casescribe_journal_entry *entry)
{
    return field(entry, "record");
}

uint32_t casescribe_journal_entry_record_version(const casescribe_journal_entry *entry)
{
    uint64_t v = number(entry, "version");
    return v <= UINT32_MAX ? (uint32_t)v : 0;
}

const char *casescribe_journal_entry_record_digest(const casescribe_journal_entry *entry)
{
    return field(entry, "digest");
}

const char *casescribe_journal_entry_actor_id(const casescribe_journal_entry *entry)
{
    return field(entry, "actor");
}

const char *casescribe_journal_entry_time(const casescribe_journal_entry *entry)
{
    return field(entry, "time");
}
