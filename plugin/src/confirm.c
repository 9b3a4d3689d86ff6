/* SPDX-License-Identifier: Apache-2.0 */
/* confirm.c - two-phase saves with the host's database (see
 * casescribe_save_confirm in casescribe.h): the host confirms the version
 * it committed; in two-phase mode a version it never confirmed is
 * superseded by the next save chained to the last confirmed one (save.c),
 * and a host that restarted asks where a record stands. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "adapter.h"
#include "context.h"
#include "internal.h"
#include "provenance/stamp.h"

/* The stamped version a payload carries, its signature checked with the
 * home's keys (current and rotated): *digest gets its record digest. */
static int32_t stamped_version(cs_record **r, char digest[CS_DIGEST_LEN], casescribe_ctx *ctx, const char *adapter,
                               const uint8_t *payload, size_t len)
{
    int32_t rc = cs_adapter_decode(r, adapter, payload, len);
    if (rc != CASESCRIBE_OK)
        return rc;
    const cs_provenance *p = (*r)->provenance;
    if (p == NULL)
        return cs_fail(CASESCRIBE_EUNSTAMPED, "record %s carries no provenance: only a version casescribe_save "
                                              "returned can be confirmed", (*r)->id);
    EVP_PKEY *pub = NULL;
    rc = cs_keyring_public(ctx->keys, p->key_id, &pub);
    if (rc == CASESCRIBE_OK)
        rc = cs_stamp_check_signature(p, pub, digest);
    EVP_PKEY_free(pub);
    return rc;
}

/* Whether the confirmation needs an entry (*append): not when the version
 * is confirmed already (or an earlier one, which a later confirmation
 * covers). An abandoned version cannot be confirmed. Version numbers are
 * never reused, so a genuine signature and the number name one version;
 * the digest is compared where the head holds it. */
static int32_t decide(int *append, cs_store_txn *tx, const char *record, uint32_t version, const char *digest)
{
    cs_store_head h;
    cs_store_abandon a;
    int found = 0, gone = 0;
    *append = 0;
    int32_t rc = cs_store_head_get(tx, record, &h, &found);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_abandoned(tx, record, version, &a, &gone);
    if (rc != CASESCRIBE_OK)
        return rc;
    if (gone)
        return cs_fail(CASESCRIBE_ECONFLICT, "version %u of record %s was abandoned (never confirmed, then superseded: "
                       "ledger entry %llu) and cannot be confirmed; the record is at version %u", (unsigned)version,
                       record, (unsigned long long)a.seq, (unsigned)h.version);
    if (!found || version > h.version || (version == h.version && strcmp(digest, h.digest) != 0) ||
        (version == h.confirmed && strcmp(digest, h.confirmed_digest) != 0))
        return cs_fail(CASESCRIBE_ENOTFOUND, "this home holds no version %u of record %s with this digest%s",
                       (unsigned)version, record, found ? "" : " (it holds no version of it at all)");
    *append = version > h.confirmed;
    return CASESCRIBE_OK;
}

static int32_t journal_confirm(cs_store_txn *tx, const char *record, uint32_t version, const char *digest)
{
    int64_t now = 0;
    char at[21];
    int32_t rc = cs_store_now(tx, &now);
    if (rc != CASESCRIBE_OK)
        return rc;
    cs_format_time(at, now);
    json_t *e = json_pack("{s:s, s:s, s:I, s:s, s:s}", "kind", "confirm", "record", record, "version",
                          (json_int_t)version, "digest", digest, "time", at);
    if (e == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    rc = cs_store_append(tx, e, NULL, NULL);
    json_decref(e);
    return rc;
}

int32_t casescribe_save_confirm(casescribe_ctx *ctx, const char *adapter, const uint8_t *payload, size_t payload_len)
{
    if (ctx == NULL || payload == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_save_confirm: ctx and payload are required");
    if (cs_ctx_elsewhere(ctx))
        return CASESCRIBE_EINVAL;
    cs_clear_error();
    cs_record *r = NULL;
    char digest[CS_DIGEST_LEN];
    int32_t rc = stamped_version(&r, digest, ctx, adapter, payload, payload_len);
    cs_store_txn *tx = NULL;
    int append = 0;
    if (rc == CASESCRIBE_OK)
        rc = cs_store_begin(ctx->store, CS_STORE_WRITE_LATE, &tx);
    if (rc == CASESCRIBE_OK) /* the record first, then the writers' queue, as a save takes them */
        rc = cs_store_lock_record(tx, r->provenance->record);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_serialize(tx);
    if (rc == CASESCRIBE_OK)
        rc = decide(&append, tx, r->provenance->record, r->provenance->version, digest);
    if (rc == CASESCRIBE_OK && append)
        rc = journal_confirm(tx, r->provenance->record, r->provenance->version, digest);
    if (rc == CASESCRIBE_OK && append)
        rc = cs_store_commit(tx);
    else
        cs_store_rollback(tx);
    cs_record_free(r);
    return rc;
}

int32_t casescribe_record_head(uint32_t *version_out, uint32_t *confirmed_out, char **digest_out,
                               casescribe_ctx *ctx, const char *record_id)
{
    if (version_out != NULL)
        *version_out = 0;
    if (confirmed_out != NULL)
        *confirmed_out = 0;
    if (digest_out != NULL)
        *digest_out = NULL;
    if (ctx == NULL || record_id == NULL || record_id[0] == '\0' || strlen(record_id) > 128)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_record_head: ctx and a record id of 1-128 bytes are required");
    cs_clear_error();
    cs_store_head h;
    int found = 0;
    int32_t rc = cs_ctx_head(ctx, record_id, &h, &found);
    if (rc == CASESCRIBE_OK && !found)
        rc = cs_fail(CASESCRIBE_ENOTFOUND, "this home holds no version of record %s", record_id);
    if (rc == CASESCRIBE_OK && digest_out != NULL && (*digest_out = cs_strdup(h.digest)) == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc != CASESCRIBE_OK)
        return rc;
    if (version_out != NULL)
        *version_out = h.version;
    if (confirmed_out != NULL)
        *confirmed_out = h.confirmed;
    return CASESCRIBE_OK;
}

int32_t cs_ctx_abandoned(casescribe_ctx *ctx, const char *record, uint32_t version, cs_store_abandon *a, int *found)
{
    cs_store_txn *tx = NULL;
    *found = 0;
    int32_t rc = cs_store_begin(ctx->store, CS_STORE_READ, &tx);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_abandoned(tx, record, version, a, found);
    cs_store_rollback(tx);
    return rc;
}
