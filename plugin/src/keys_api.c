/* SPDX-License-Identifier: Apache-2.0 */
/* keys_api.c - the home's key registry, kept in the ledger, and the guard
 * on the fingerprint secret.
 *
 * Every key the home signs with, every rotation and every key of another
 * server the council trusts is a "key" entry in the ledger (key id, public
 * key, action, time, actor: never a secret); the store files each one in
 * its key registry (store.h, cs_store_key_*). Verification looks there for
 * a key that keys/ does not hold. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "context.h"
#include "internal.h"
#include "shared.h"

#define FP_SECRET_META "fingerprint-secret"
#define FP_SECRET_LABEL "casescribe fingerprint secret id"

/* ---- the registry as the keyring's fallback ---------------------------- */

static int32_t registry_lookup(const char *key_id, char **pem, void *user)
{
    casescribe_ctx *ctx = user;
    cs_store_txn *tx = NULL;
    cs_store_key k;
    int found = 0;
    *pem = NULL;
    int32_t rc = cs_store_begin(ctx->store, CS_STORE_READ, &tx);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_key_get(tx, key_id, &k, &found);
    cs_store_rollback(tx);
    if (rc == CASESCRIBE_OK && found && (*pem = cs_strdup(k.pub)) == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (found)
        cs_store_key_clear(&k);
    return rc;
}

/* ---- validity windows -------------------------------------------------- */

/* 1 when ledger entry `seq` made its key here (action generate or rotate). */
static int made_here(cs_store_txn *tx, uint64_t seq)
{
    json_t *e = NULL;
    if (seq == 0 || cs_store_entry(tx, seq, &e) != CASESCRIBE_OK) {
        cs_clear_error();
        return 0;
    }
    const char *action = json_string_value(json_object_get(e, "action"));
    int made = action != NULL && (strcmp(action, "generate") == 0 || strcmp(action, "rotate") == 0);
    json_decref(e);
    return made;
}

int32_t cs_ctx_key_window(casescribe_ctx *ctx, const char *key_id, int64_t *from, int64_t *until, int *found)
{
    cs_store_txn *tx = NULL;
    cs_store_key k;
    *from = *until = 0;
    *found = 0;
    int32_t rc = cs_store_begin(ctx->store, CS_STORE_READ, &tx);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_key_get(tx, key_id, &k, found);
    if (rc == CASESCRIBE_OK && *found) {
        *from = made_here(tx, k.seq) ? k.created : 0;
        *until = k.retired;
    }
    cs_store_rollback(tx);
    if (*found)
        cs_store_key_clear(&k);
    return rc;
}

/* ---- key entries ------------------------------------------------------- */

/* Who made a key entry without a named actor: the process's user id. */
static void process_actor(char out[32])
{
    snprintf(out, 32, "uid:%lu", (unsigned long)geteuid());
}

/* A "key" entry: action, key id, public key, time, actor. */
static json_t *key_entry(const char *action, const char *id, const char *pem, const char *actor)
{
    char at[21];
    cs_format_time(at, cs_now());
    json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kind", "key", "action", action, "key", id, "pub", pem,
                          "time", at, "actor", actor);
    if (e == NULL)
        cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    return e;
}

static int32_t append_entry(cs_store_txn *tx, json_t *e)
{
    int32_t rc = e != NULL ? cs_store_append(tx, e, NULL, NULL) : CASESCRIBE_ENOMEM;
    json_decref(e);
    return rc;
}

static int32_t is_registered(cs_store_txn *tx, const char *id, int *found)
{
    cs_store_key k;
    int32_t rc = cs_store_key_get(tx, id, &k, found);
    if (*found)
        cs_store_key_clear(&k);
    return rc;
}

/* ---- existing keys registered on open ---------------------------------- */

struct reg {
    cs_store_txn *tx;
    int write; /* 0: only count what is missing */
    int missing;
};

static int32_t register_one(const char *id, const char *pem, int current, void *user)
{
    struct reg *r = user;
    int found = 0;
    int32_t rc = is_registered(r->tx, id, &found);
    if (rc != CASESCRIBE_OK || found)
        return rc;
    r->missing++;
    if (!r->write)
        return CASESCRIBE_OK;
    char actor[32];
    process_actor(actor);
    json_t *e = key_entry("register", id, pem, actor);
    if (e != NULL && !current && json_object_set_new(e, "in-use", json_false()) != 0) {
        json_decref(e);
        e = NULL;
    }
    return append_entry(r->tx, e);
}

/* Runs register_one over the keys/ folder in a transaction of `mode`. */
static int32_t register_pass(casescribe_ctx *ctx, int mode, int *missing)
{
    struct reg r = {NULL, mode == CS_STORE_WRITE, 0};
    int32_t rc = cs_store_begin(ctx->store, mode, &r.tx);
    if (rc != CASESCRIBE_OK)
        return rc;
    rc = cs_keyring_each(ctx->keys, register_one, &r);
    *missing = r.missing;
    if (rc == CASESCRIBE_OK && mode == CS_STORE_WRITE && r.missing > 0)
        return cs_store_commit(r.tx);
    cs_store_rollback(r.tx);
    return rc;
}

/* The keys in keys/ that the registry lacks (a home made before the
 * registry, a key whose entry a crash lost) are registered, one "key"
 * entry each ("register"; a rotated-out key with "in-use": false). A read
 * first, so that an open writes nothing once every key is registered; a
 * read-only home is left as it is (keys/ still verifies its records). */
static int32_t register_keys(casescribe_ctx *ctx)
{
    int missing = 0;
    int32_t rc = register_pass(ctx, CS_STORE_READ, &missing);
    if (rc != CASESCRIBE_OK || missing == 0 || (ctx->flags & CASESCRIBE_OPEN_READ_ONLY))
        return rc;
    return register_pass(ctx, CS_STORE_WRITE, &missing);
}

/* ---- the fingerprint secret -------------------------------------------- */

/* What the store says of the secret: whether anything was made with one,
 * and the keyed id of the secret last seen (malloc'd, NULL when none). */
static int32_t secret_state(casescribe_ctx *ctx, int *fingerprinted, char **marker)
{
    cs_store_txn *tx = NULL;
    *marker = NULL;
    int32_t rc = cs_store_begin(ctx->store, CS_STORE_READ, &tx);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_fingerprinted(tx, fingerprinted);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_meta_get(tx, FP_SECRET_META, marker);
    cs_store_rollback(tx);
    return rc;
}

static int32_t set_marker(casescribe_ctx *ctx, const char *id)
{
    cs_store_txn *tx = NULL;
    int32_t rc = cs_store_begin(ctx->store, CS_STORE_WRITE, &tx);
    if (rc == CASESCRIBE_OK && (rc = cs_store_meta_set(tx, FP_SECRET_META, id)) != CASESCRIBE_OK)
        cs_store_rollback(tx);
    return rc == CASESCRIBE_OK ? cs_store_commit(tx) : rc;
}

static int32_t missing_secret(casescribe_ctx *ctx, const char *marker)
{
    return cs_fail(CASESCRIBE_EKEY,
                   "%s/keys/fingerprint.secret is missing, but this home's ledger holds fingerprints made with it "
                   "(secret %s): restore keys/fingerprint.secret from the backup of the home's keys. A new secret "
                   "is not made: it would switch laundering detection off for everything saved before",
                   ctx->home, marker != NULL ? marker : "unnamed");
}

/* Reads keys/fingerprint.secret. A home whose ledger holds anything made
 * with it never gets a new one (EKEY naming the recovery), nor one other
 * than the secret it was made with (the keyed id in the store's meta); a
 * home with no such entry may create it. */
static int32_t load_secret(casescribe_ctx *ctx)
{
    int fingerprinted = 0;
    char *marker = NULL, id[CS_TEXT_MAC_LEN];
    int32_t rc = secret_state(ctx, &fingerprinted, &marker);
    if (rc == CASESCRIBE_OK)
        rc = cs_fingerprint_secret(ctx->fp_secret, ctx->home, 0);
    if (rc == CASESCRIBE_ENOTFOUND && (ctx->flags & CASESCRIBE_OPEN_READ_ONLY)) {
        /* A read-only home (a backup, an auditor's copy) can still be
         * verified without it: nothing is saved there, so no fingerprint is
         * ever made with it. */
        cs_clear_error();
        free(marker);
        return CASESCRIBE_OK;
    }
    if (rc == CASESCRIBE_ENOTFOUND && fingerprinted)
        rc = missing_secret(ctx, marker);
    else if (rc == CASESCRIBE_ENOTFOUND && (cs_clear_error(), 1))
        rc = cs_fingerprint_secret(ctx->fp_secret, ctx->home, 1);
    if (rc == CASESCRIBE_OK && cs_text_mac(id, ctx->fp_secret, FP_SECRET_LABEL, strlen(FP_SECRET_LABEL)) != 0)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc == CASESCRIBE_OK && marker != NULL && strcmp(marker, id) != 0 && fingerprinted)
        rc = cs_fail(CASESCRIBE_EKEY,
                     "%s/keys/fingerprint.secret is secret %s, but this home's fingerprints were made with secret "
                     "%s: restore that one from the backup of the home's keys",
                     ctx->home, id, marker);
    else if (rc == CASESCRIBE_OK && (marker == NULL || strcmp(marker, id) != 0) &&
             !(ctx->flags & CASESCRIBE_OPEN_READ_ONLY))
        rc = set_marker(ctx, id);
    free(marker);
    return rc;
}

int32_t cs_ctx_open_keys(casescribe_ctx *ctx)
{
    int32_t rc = cs_store_shared(ctx->store) ? cs_shared_secret(ctx) : load_secret(ctx);
    if (rc == CASESCRIBE_OK)
        rc = register_keys(ctx);
    if (rc == CASESCRIBE_OK)
        cs_keyring_set_lookup(ctx->keys, registry_lookup, ctx);
    return rc;
}

/* ---- keygen ------------------------------------------------------------ */

/* Makes (or rotates) the key inside a write transaction, so that keygens
 * of every process are serialised, and records it: "generate", or "rotate"
 * naming the key it retires. Should the entry be lost after the key files
 * were written (a crash, a full disk), the next open registers the key. */
int32_t cs_ctx_keygen(casescribe_ctx *ctx, int rotate, char **key_id_out)
{
    char old_id[CS_KEY_ID_MAX] = "", actor[32];
    EVP_PKEY *pkey = NULL;
    cs_store_txn *tx = NULL;
    char *id = NULL, *pem = NULL;
    size_t len = 0;
    int32_t rc = cs_store_begin(ctx->store, CS_STORE_WRITE, &tx);
    if (rc == CASESCRIBE_OK && cs_keyring_signer(ctx->keys, &pkey, old_id) != CASESCRIBE_OK)
        cs_clear_error(); /* no key yet */
    EVP_PKEY_free(pkey);
    pkey = NULL;
    if (rc == CASESCRIBE_OK)
        rc = cs_keyring_generate(ctx->keys, ctx->home, rotate, &id);
    if (rc == CASESCRIBE_OK && (rc = cs_keyring_public(ctx->keys, id, &pkey)) == CASESCRIBE_OK)
        rc = cs_key_public_pem(&pem, &len, pkey);
    EVP_PKEY_free(pkey);
    process_actor(actor);
    json_t *e = rc == CASESCRIBE_OK ? key_entry(old_id[0] ? "rotate" : "generate", id, pem, actor) : NULL;
    if (e != NULL && old_id[0] != '\0' && json_object_set_new(e, "retires", json_string(old_id)) != 0)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc == CASESCRIBE_OK)
        rc = e != NULL ? cs_store_append(tx, e, NULL, NULL) : CASESCRIBE_ENOMEM;
    json_decref(e);
    free(pem);
    rc = rc == CASESCRIBE_OK ? cs_store_commit(tx) : (cs_store_rollback(tx), rc);
    if (rc == CASESCRIBE_OK && key_id_out != NULL)
        *key_id_out = id;
    else
        free(id);
    return rc;
}

/* ---- trusting another server's keys ------------------------------------ */

struct trust {
    cs_store_txn *tx;
    const char *actor;
    cs_buf ids;
};

static int32_t trust_one(const char *id, const char *pem, int current, void *user)
{
    struct trust *t = user;
    int found = 0;
    (void)current;
    cs_buf_printf(&t->ids, "%s%s", t->ids.len ? "\n" : "", id);
    int32_t rc = is_registered(t->tx, id, &found);
    if (rc != CASESCRIBE_OK || found)
        return rc; /* the home's own key, or trusted before: nothing to record */
    return append_entry(t->tx, key_entry("trust", id, pem, t->actor));
}

int32_t casescribe_key_trust(char **key_ids_out, casescribe_ctx *ctx, const char *actor_id, const uint8_t *pem,
                             size_t pem_len)
{
    if (key_ids_out != NULL)
        *key_ids_out = NULL;
    if (ctx == NULL || pem == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_key_trust: ctx and pem are required");
    if (!cs_valid_id(actor_id))
        return cs_fail(CASESCRIBE_EINVAL, "actor id must be 1-128 characters of A-Z a-z 0-9 . _ : @ / + -");
    if (cs_ctx_elsewhere(ctx))
        return CASESCRIBE_EINVAL;
    cs_clear_error();
    cs_keyring *keys = NULL;
    struct trust t = {NULL, actor_id, {0}};
    int32_t rc = cs_keyring_from_pem(&keys, pem, pem_len);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_begin(ctx->store, CS_STORE_WRITE, &t.tx);
    if (rc == CASESCRIBE_OK && (rc = cs_keyring_each(keys, trust_one, &t)) != CASESCRIBE_OK)
        cs_store_rollback(t.tx);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_commit(t.tx);
    cs_keyring_free(keys);
    char *ids = cs_buf_take(&t.ids);
    if (rc == CASESCRIBE_OK && ids == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc == CASESCRIBE_OK && key_ids_out != NULL)
        *key_ids_out = ids;
    else
        free(ids);
    return rc;
}

/* ---- listing and exporting the registry -------------------------------- */

struct export {
    uint32_t flags;
    cs_buf out;
    size_t n;
};

static int export_one(const cs_store_key *k, void *user)
{
    struct export *x = user;
    if ((x->flags & CASESCRIBE_KEYS_HOME) && strcmp(k->origin, "home") != 0)
        return 0;
    char created[21], retired[21];
    cs_format_time(created, k->created);
    cs_format_time(retired, k->retired);
    const char *sep = (x->flags & CASESCRIBE_KEYS_LIST) ? " " : "\n# ";
    cs_buf_printf(&x->out, "%s%s%s%s created %s %s%s%sledger-entry %llu\n",
                  (x->flags & CASESCRIBE_KEYS_LIST) ? "" : "# key ", k->id, sep, k->origin, created,
                  k->retired ? "retired " : "in-use", k->retired ? retired : "", sep, (unsigned long long)k->seq);
    if (!(x->flags & CASESCRIBE_KEYS_LIST))
        cs_buf_printf(&x->out, "%s%s", k->pub, k->pub[0] && k->pub[strlen(k->pub) - 1] == '\n' ? "" : "\n");
    x->n++;
    return 0;
}

int32_t casescribe_keys_export(char **out, casescribe_ctx *ctx, uint32_t flags)
{
    if (out != NULL)
        *out = NULL;
    if (out == NULL || ctx == NULL || (flags & ~(CASESCRIBE_KEYS_LIST | CASESCRIBE_KEYS_HOME)) != 0)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_keys_export: NULL argument or unknown flags");
    cs_clear_error();
    struct export x = {flags, {0}, 0};
    cs_store_txn *tx = NULL;
    int32_t rc = cs_store_begin(ctx->store, CS_STORE_READ, &tx);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_key_list(tx, export_one, &x);
    cs_store_rollback(tx);
    char *text = cs_buf_take(&x.out);
    if (rc == CASESCRIBE_OK && text == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc == CASESCRIBE_OK && x.n == 0 && (flags & CASESCRIBE_KEYS_HOME))
        rc = cs_fail(CASESCRIBE_EKEY, "this home has no signing key yet: run `casescribe keygen`");
    if (rc == CASESCRIBE_OK)
        *out = text;
    else
        free(text);
    return rc;
}
