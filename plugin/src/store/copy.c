/* SPDX-License-Identifier: Apache-2.0 */
/* copy.c - moving a home's ledger into another store (store.h:
 * cs_store_copy): every entry byte for byte, after its chain check, with
 * the index rows it implies, then the key registry, jobs, latest checkpoint
 * and the meta values that describe the ledger, in one transaction of the
 * target (nothing is left there when anything fails). */
#include <stdlib.h>

#include "internal.h"
#include "store/backend.h"

int cs_store_copy_entry(uint64_t seq, const char *payload, size_t len, const char *stored, void *user)
{
    cs_store_copier *c = user;
    int32_t rc = cs_store_chain_next(seq, payload, len, stored, &c->chain);
    json_t *e = rc == CASESCRIBE_OK ? json_loadb(payload, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (rc == CASESCRIBE_OK)
        rc = e == NULL ? cs_fail(CASESCRIBE_ENOMEM, "out of memory") : cs_store_put_raw(c->to, seq, payload, len, e);
    json_decref(e);
    return rc != CASESCRIBE_OK ? rc : c->one;
}

static int put_key(const cs_store_key *k, void *user)
{
    return cs_store_key_put(user, k);
}

static int put_job(const cs_store_job *j, void *user)
{
    return cs_store_job_put(user, j);
}

/* The meta values that travel with the ledger (never the schema's). */
static int32_t copy_meta(cs_store_txn *from, cs_store_txn *to)
{
    static const char *const names[] = {"store-id", "fingerprint-secret"};
    int32_t rc = CASESCRIBE_OK;
    for (size_t i = 0; rc == CASESCRIBE_OK && i < sizeof(names) / sizeof(names[0]); i++) {
        char *v = NULL;
        rc = cs_store_meta_get(from, names[i], &v);
        if (rc == CASESCRIBE_OK && v != NULL)
            rc = cs_store_meta_set(to, names[i], v);
        free(v);
    }
    return rc;
}

static int32_t copy_rest(cs_store_txn *from, cs_store_txn *to)
{
    cs_store_checkpoint cp;
    int found = 0;
    int32_t rc = cs_store_key_list(from, put_key, to);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_job_list(from, 0, put_job, to);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_checkpoint_latest(from, &cp, &found);
    if (rc == CASESCRIBE_OK && found)
        rc = cs_store_checkpoint_put(to, &cp);
    if (found)
        free(cp.text);
    return rc == CASESCRIBE_OK ? copy_meta(from, to) : rc;
}

int32_t cs_store_copy(cs_store *from, cs_store *to, uint64_t *count)
{
    cs_store_copier c = {NULL, {0, ""}, 0};
    cs_store_txn *rd = NULL;
    uint64_t there = 0;
    char hash[CS_STORE_HASH_LEN];
    *count = 0;
    int32_t rc = cs_store_begin(to, CS_STORE_WRITE, &c.to);
    if (rc == CASESCRIBE_OK && (rc = cs_store_ledger_tail(c.to, &there, hash)) == CASESCRIBE_OK && there > 0)
        rc = cs_fail(CASESCRIBE_EINVAL, "the store %s already holds %llu entries: a ledger is copied only into an "
                     "empty store", cs_store_location(to), (unsigned long long)there);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_begin(from, CS_STORE_READ, &rd);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_walk(rd, 1, cs_store_copy_entry, &c);
    if (rc == CASESCRIBE_OK)
        rc = copy_rest(rd, c.to);
    cs_store_rollback(rd);
    if (c.to != NULL && rc != CASESCRIBE_OK)
        cs_store_rollback(c.to);
    else if (c.to != NULL)
        rc = cs_store_commit(c.to);
    *count = rc == CASESCRIBE_OK ? c.chain.seq : 0;
    return rc;
}
