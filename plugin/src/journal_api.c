/* SPDX-License-Identifier: Apache-2.0 */
/* journal_api.c - the ledger (the journal) as the public interface shows it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "checkpoint.h"
#include "context.h"
#include "internal.h"
#include "sar/sar.h"

struct casescribe_journal_entry {
    json_t *json; /* strings handed out are borrowed from it */
    json_t *text; /* every member that is not a string, as text (casescribe_journal_entry_field) */
    char *line;   /* the entry, compact JSON, without its text fingerprints */
};

/* A member that is not a string, as the text casescribe_journal_entry_field
 * gives: decimal, true/false, or compact JSON; NULL for null. */
static json_t *as_text(json_t *value)
{
    char num[32];
    if (json_is_integer(value)) {
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        return json_string(num);
    }
    if (json_is_boolean(value))
        return json_string(json_is_true(value) ? "true" : "false");
    if (json_is_null(value))
        return NULL;
    char *dumped = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    json_t *s = dumped != NULL ? json_string(dumped) : NULL;
    free(dumped);
    return s;
}

/* Fills e->text and e->line from e->json; ENOMEM. */
static int32_t entry_prepare(casescribe_journal_entry *e)
{
    const char *name;
    json_t *value;
    e->text = json_object();
    json_t *shown = json_copy(e->json);
    if (shown != NULL) {
        json_object_del(shown, "ai"); /* keyed fingerprints of record text: of no use outside the home */
        json_object_del(shown, "human");
        e->line = json_dumps(shown, JSON_COMPACT);
        json_decref(shown);
    }
    int bad = e->text == NULL || e->line == NULL;
    json_object_foreach(e->json, name, value)
    {
        if (!bad && !json_is_string(value) && !json_is_null(value))
            bad = json_object_set_new(e->text, name, as_text(value)) != 0;
    }
    return bad ? cs_fail(CASESCRIBE_ENOMEM, "out of memory") : CASESCRIBE_OK;
}

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
    int32_t rc = cs_store_verify(ctx->store, &count);
    if (entries_out != NULL)
        *entries_out = count;
    if (report_out != NULL) {
        cs_buf rep = {0};
        const char *where = cs_store_location(ctx->store);
        if (rc == CASESCRIBE_OK)
            cs_buf_printf(&rep, "ledger %s: %llu entries, every entry and the hash chain check out\n", where,
                          (unsigned long long)count);
        else
            cs_buf_printf(&rep, "ledger %s: %llu good entries, then: %s\n", where, (unsigned long long)count,
                          casescribe_last_error());
        *report_out = cs_buf_take(&rep);
    }
    return rc;
}

static void recovery_report(cs_buf *rep, const cs_store_recovery *r)
{
    uint64_t kept = r->from_backup + r->from_damaged;
    cs_buf_printf(rep, "ledger recovered: %llu entries from the backup, then %llu of the damaged ledger's that still "
                       "continue its chain (%llu entries in all)\n",
                  (unsigned long long)r->from_backup, (unsigned long long)r->from_damaged, (unsigned long long)kept);
    if (r->damaged_entries > kept)
        cs_buf_printf(rep, "LOST from the ledger: entries %llu to %llu of the damaged ledger (their records still "
                           "verify by signature; save them again to journal them)\n",
                      (unsigned long long)kept + 1, (unsigned long long)r->damaged_entries);
    else if (r->damaged_entries == 0)
        cs_buf_printf(rep, "the damaged ledger could not be read at all: only the backup's entries are kept\n");
    cs_buf_printf(rep, "the damaged ledger is kept as %s\n", r->kept);
}

int32_t casescribe_journal_recover(char **report_out, const char *home, const char *backup)
{
    if (report_out != NULL)
        *report_out = NULL;
    if (backup == NULL || backup[0] == '\0')
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_journal_recover: no backup named");
    cs_clear_error();
    char *dir = cs_ctx_resolve_home(home);
    if (dir == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "no home folder: name one, or set CASESCRIBE_HOME or HOME");
    cs_store_recovery r;
    char *shared = NULL;
    int32_t rc = cs_store_configured(dir, &shared);
    if (rc == CASESCRIBE_OK && shared != NULL)
        rc = cs_fail(CASESCRIBE_EINVAL, "the home %s keeps its ledger in a shared PostgreSQL store: restore that "
                     "database with PostgreSQL's own backups (point-in-time recovery), not with journal recover", dir);
    free(shared);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_recover(dir, backup, &r);
    free(dir);
    if (rc == CASESCRIBE_OK && report_out != NULL) {
        cs_buf rep = {0};
        recovery_report(&rep, &r);
        if ((*report_out = cs_buf_take(&rep)) == NULL)
            rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    }
    return rc;
}

/* The ledger is a database that commits whole transactions: nothing is
 * ever cut from it. Kept for the ABI; always 0. */
uint64_t casescribe_journal_truncated_bytes(const casescribe_ctx *ctx)
{
    (void)ctx;
    return 0;
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
    cs_store_txn *tx = NULL;
    int32_t rc = cs_store_begin(ctx->store, CS_STORE_READ, &tx);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_entry(tx, seq, &e->json);
    cs_store_rollback(tx);
    if (rc == CASESCRIBE_OK)
        rc = entry_prepare(e);
    if (rc != CASESCRIBE_OK) {
        casescribe_journal_entry_free(e);
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
    json_decref(entry->text);
    free(entry->line);
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

const char *casescribe_journal_entry_field(const casescribe_journal_entry *entry, const char *name)
{
    if (entry == NULL || name == NULL)
        return NULL;
    const char *s = field(entry, name);
    return s != NULL ? s : json_string_value(json_object_get(entry->text, name));
}

const char *casescribe_journal_entry_json(const casescribe_journal_entry *entry)
{
    return entry != NULL ? entry->line : NULL;
}

/* ---- evidence from outside the home ------------------------------------ */

static int is_checkpoint(const uint8_t *evidence, size_t len)
{
    return len > 11 && memcmp(evidence, "casescribe/", 11) == 0;
}

/* A subject access export (the ZIP or its manifest.xml): the ledger
 * checkpoint its manifest carries. */
static int32_t check_export(cs_buf *rep, casescribe_ctx *ctx, cs_store_txn *tx, const uint8_t *data, size_t len)
{
    char *text = NULL;
    size_t n = 0;
    int32_t rc = cs_sar_checkpoint(&text, &n, data, len);
    cs_buf_printf(rep, "subject access export: ");
    if (rc == CASESCRIBE_OK)
        rc = cs_checkpoint_check(rep, ctx->keys, tx, text, n);
    else
        cs_buf_printf(rep, "%s\n", casescribe_last_error());
    free(text);
    return rc;
}

static int32_t check_evidence(cs_buf *rep, casescribe_ctx *ctx, cs_store_txn *tx, const char *adapter,
                              const uint8_t *evidence, size_t len)
{
    if (is_checkpoint(evidence, len))
        return cs_checkpoint_check(rep, ctx->keys, tx, (const char *)evidence, len);
    if (cs_sar_is_export(evidence, len))
        return check_export(rep, ctx, tx, evidence, len);
    cs_record *r = NULL;
    int32_t rc = cs_adapter_decode(&r, adapter != NULL ? adapter : "xml", evidence, len);
    if (rc == CASESCRIBE_OK)
        rc = cs_checkpoint_check_record(rep, ctx->keys, tx, r);
    else
        cs_buf_printf(rep, "not a checkpoint, and not a record: %s\n", casescribe_last_error());
    cs_record_free(r);
    return rc;
}

int32_t casescribe_journal_check(char **report_out, casescribe_ctx *ctx, const char *adapter,
                                 const uint8_t *evidence, size_t evidence_len)
{
    if (report_out != NULL)
        *report_out = NULL;
    if (ctx == NULL || evidence == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_journal_check: ctx and evidence are required");
    if (evidence_len > CASESCRIBE_MAX_PAYLOAD)
        return cs_fail(CASESCRIBE_ETOOBIG, "the evidence is over %u bytes", (unsigned)CASESCRIBE_MAX_PAYLOAD);
    cs_clear_error();
    cs_buf rep = {0};
    cs_store_txn *tx = NULL;
    int32_t rc = cs_store_begin(ctx->store, CS_STORE_READ, &tx);
    if (rc == CASESCRIBE_OK)
        rc = check_evidence(&rep, ctx, tx, adapter, evidence, evidence_len);
    else
        cs_buf_printf(&rep, "%s\n", casescribe_last_error());
    cs_store_rollback(tx);
    if (rep.failed && rc == CASESCRIBE_OK)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory writing the report");
    if (report_out != NULL)
        *report_out = cs_buf_take(&rep);
    cs_buf_free(&rep);
    return rc;
}

int32_t casescribe_checkpoint_export(char **checkpoint_out, casescribe_ctx *ctx)
{
    if (checkpoint_out != NULL)
        *checkpoint_out = NULL;
    if (checkpoint_out == NULL || ctx == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_checkpoint_export: checkpoint_out and ctx are required");
    cs_clear_error();
    cs_store_checkpoint cp;
    int found = 0;
    cs_store_txn *tx = NULL;
    int32_t rc = cs_store_begin(ctx->store, CS_STORE_READ, &tx);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_checkpoint_latest(tx, &cp, &found);
    cs_store_rollback(tx);
    if (rc == CASESCRIBE_OK && !found)
        return cs_fail(CASESCRIBE_ENOTFOUND, "the ledger %s has no checkpoint yet: one is written with every save "
                       "(and every other ledger entry) once the home has a signing key", cs_store_location(ctx->store));
    if (rc == CASESCRIBE_OK)
        *checkpoint_out = cp.text;
    return rc;
}
