/* SPDX-License-Identifier: Apache-2.0 */
/* shared.c - what the servers of a council share when their homes use one
 * PostgreSQL store (store.h: cs_store_shared): the fingerprint secret, so
 * that AI text drafted on one server is refused as human on every other,
 * and each team's signed policy document, so that a change made on any
 * server applies on every server at its next save. The keys are shared by
 * the ledger itself (each server's "key" entries fill the one registry).
 *
 * The secret is kept in the store's meta values as hex: whoever can read
 * the store's tables can compute fingerprints (keyed hashes of text), so
 * the database role of the servers must be the only one that can read
 * them (plugin/doc/deployment.md). It never reaches a log or the ledger. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "context.h"
#include "internal.h"
#include "shared.h"

#define SECRET_META "fingerprint-secret-value"
#define MARKER_META "fingerprint-secret"
#define MARKER_LABEL "casescribe fingerprint secret id"
#define POLICY_META "policy-document:"

static int unhex(uint8_t *out, size_t n, const char *hex)
{
    if (hex == NULL || strlen(hex) != n * 2 || strspn(hex, "0123456789abcdef") != n * 2)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

/* The home's own secret may become the council's only when nothing in the
 * store was made with another one (the marker a copied ledger carries). */
static int32_t offer_home_secret(casescribe_ctx *ctx, cs_store_txn *tx)
{
    int fingerprinted = 0;
    char *marker = NULL, id[CS_TEXT_MAC_LEN], hex[CS_FP_SECRET_LEN * 2 + 1];
    int32_t rc = cs_store_fingerprinted(tx, &fingerprinted);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_meta_get(tx, MARKER_META, &marker);
    if (rc == CASESCRIBE_OK)
        rc = cs_fingerprint_secret(ctx->fp_secret, ctx->home, !fingerprinted);
    if (rc == CASESCRIBE_OK && cs_text_mac(id, ctx->fp_secret, MARKER_LABEL, strlen(MARKER_LABEL)) != 0)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc == CASESCRIBE_OK && fingerprinted && (marker == NULL || strcmp(marker, id) != 0))
        rc = cs_fail(CASESCRIBE_EKEY, "the shared store (%s) holds fingerprints made with secret %s, which it does "
                     "not hold, and this home's keys/fingerprint.secret is another (%s): copy the home the ledger "
                     "came from into the store with `casescribe store copy`", cs_store_location(ctx->store),
                     marker != NULL ? marker : "unnamed", id);
    free(marker);
    cs_hex(hex, ctx->fp_secret, CS_FP_SECRET_LEN);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_meta_set(tx, SECRET_META, hex);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_meta_set(tx, MARKER_META, id);
    OPENSSL_cleanse(hex, sizeof(hex));
    return rc;
}

/* *found: the store held the secret, now in ctx->fp_secret. */
static int32_t read_secret(casescribe_ctx *ctx, cs_store_txn *tx, int *found)
{
    char *hex = NULL;
    int32_t rc = cs_store_meta_get(tx, SECRET_META, &hex);
    *found = rc == CASESCRIBE_OK && hex != NULL;
    if (*found && unhex(ctx->fp_secret, CS_FP_SECRET_LEN, hex) != 0)
        rc = cs_fail(CASESCRIBE_EJOURNAL, "the fingerprint secret in the shared store (%s) is malformed",
                     cs_store_location(ctx->store));
    if (hex != NULL)
        OPENSSL_cleanse(hex, strlen(hex));
    free(hex);
    return rc;
}

int32_t cs_shared_secret(casescribe_ctx *ctx)
{
    cs_store_txn *tx = NULL;
    int found = 0;
    int32_t rc = cs_store_begin(ctx->store, CS_STORE_READ, &tx);
    if (rc == CASESCRIBE_OK)
        rc = read_secret(ctx, tx, &found);
    cs_store_rollback(tx);
    if (rc != CASESCRIBE_OK || found || (ctx->flags & CASESCRIBE_OPEN_READ_ONLY))
        return rc;
    /* None yet: the first server to open offers its own, under the
     * writers' lock (another may have done so meanwhile). */
    if ((rc = cs_store_begin(ctx->store, CS_STORE_WRITE, &tx)) != CASESCRIBE_OK)
        return rc;
    rc = read_secret(ctx, tx, &found);
    if (rc == CASESCRIBE_OK && !found)
        rc = offer_home_secret(ctx, tx);
    if (rc != CASESCRIBE_OK || found) {
        cs_store_rollback(tx);
        return rc;
    }
    return cs_store_commit(tx);
}

/* ---- policies ---------------------------------------------------------- */

static int32_t policy_name(char out[200], const char *team)
{
    int n = snprintf(out, 200, "%s%s", POLICY_META, team);
    return n > 0 && n < 200 ? CASESCRIBE_OK : cs_fail(CASESCRIBE_EINVAL, "a team name is too long");
}

int32_t cs_shared_policy_put(cs_store_txn *tx, const char *team, const uint8_t *doc, size_t len)
{
    char name[200], *text = malloc(len + 1);
    if (text == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    memcpy(text, doc, len);
    text[len] = '\0';
    int32_t rc = policy_name(name, team);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_meta_set(tx, name, text);
    free(text);
    return rc;
}

/* 1 when the file at path holds exactly doc. */
static int same_content(const char *path, const char *doc)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (cs_read_file(&bytes, &len, path, 65536) != CASESCRIBE_OK) {
        cs_clear_error();
        return 0;
    }
    int same = len == strlen(doc) && memcmp(bytes, doc, len) == 0;
    free(bytes);
    return same;
}

/* The folder of path (the home's policy/), made 0700 when missing. */
static int32_t policy_folder(const char *path)
{
    char dir[4200];
    const char *slash = strrchr(path, '/');
    int n = slash != NULL ? snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path) : -1;
    if (n <= 0 || n >= (int)sizeof(dir))
        return cs_fail(CASESCRIBE_EINVAL, "a policy path is malformed");
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return cs_fail(CASESCRIBE_EIO, "cannot create %s: %s", dir, strerror(errno));
    return CASESCRIBE_OK;
}

int32_t cs_shared_policy_sync(casescribe_ctx *ctx, const char *team, const char *path)
{
    char name[200], *doc = NULL;
    cs_store_txn *tx = NULL;
    int32_t rc = policy_name(name, team);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_begin(ctx->store, CS_STORE_READ, &tx);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_meta_get(tx, name, &doc);
    cs_store_rollback(tx);
    int write = rc == CASESCRIBE_OK && doc != NULL && !(ctx->flags & CASESCRIBE_OPEN_READ_ONLY) &&
                !same_content(path, doc);
    if (write)
        rc = policy_folder(path);
    if (write && rc == CASESCRIBE_OK)
        rc = cs_write_file_atomic(path, (const uint8_t *)doc, strlen(doc), 0644);
    free(doc);
    return rc;
}
