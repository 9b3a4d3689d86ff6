/* SPDX-License-Identifier: Apache-2.0 */
/* checkpoint.c - signed checkpoints of the ledger (see checkpoint.h). */
#include "checkpoint.h"

#include <inttypes.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "provenance/stamp.h"
#include "verify.h"

#define EM_DASH "\xe2\x80\x94"
#define ORIGIN_PREFIX "casescribe/"

int32_t cs_checkpoint_origin(cs_store_txn *tx, int create, char origin[CS_ORIGIN_MAX])
{
    char *id = NULL;
    origin[0] = '\0';
    int32_t rc = cs_store_meta_get(tx, "store-id", &id);
    if (rc == CASESCRIBE_OK && id == NULL && create) {
        uint8_t raw[16];
        char hex[33];
        if (RAND_bytes(raw, sizeof(raw)) != 1)
            return cs_fail(CASESCRIBE_EINTERNAL, "no random bytes for the store id");
        cs_hex(hex, raw, sizeof(raw));
        rc = cs_store_meta_set(tx, "store-id", hex);
        id = rc == CASESCRIBE_OK ? cs_strdup(hex) : NULL;
        if (rc == CASESCRIBE_OK && id == NULL)
            rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    }
    if (rc == CASESCRIBE_OK && id != NULL)
        snprintf(origin, CS_ORIGIN_MAX, ORIGIN_PREFIX "%.40s", id);
    free(id);
    return rc;
}

/* The signed-note key hint of an Ed25519 key for signer `name`. */
static int key_hint(uint8_t hint[4], const char *name, EVP_PKEY *pub)
{
    uint8_t raw[32], md[32];
    size_t raw_len = sizeof(raw), n = strlen(name);
    if (EVP_PKEY_get_raw_public_key(pub, raw, &raw_len) != 1 || raw_len != 32 || n > 256) {
        ERR_clear_error();
        return -1;
    }
    uint8_t buf[256 + 2 + 32];
    memcpy(buf, name, n);
    buf[n] = '\n';
    buf[n + 1] = 0x01; /* the signed-note algorithm byte of Ed25519 */
    memcpy(buf + n + 2, raw, 32);
    if (EVP_Digest(buf, n + 34, md, NULL, cs_sha256(), NULL) != 1) {
        ERR_clear_error();
        return -1;
    }
    memcpy(hint, md, 4);
    return 0;
}

/* Decodes base64 `b64` of exactly `want` bytes (canonical text only). */
static int b64_exact(uint8_t *out, size_t want, const char *b64, size_t len)
{
    uint8_t buf[128];
    char again[192];
    if (want > 96 || len != 4 * ((want + 2) / 3) || EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)len) < 0)
        return -1;
    EVP_EncodeBlock((unsigned char *)again, buf, (int)want);
    if (strlen(again) != len || memcmp(again, b64, len) != 0)
        return -1;
    memcpy(out, buf, want);
    return 0;
}

static int hex_to_bytes(uint8_t out[32], const char *hex)
{
    if (strlen(hex) != 64)
        return -1;
    for (size_t i = 0; i < 32; i++) {
        unsigned v = 0;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

static int32_t sign_body(cs_buf *note, EVP_PKEY *key, const char *origin)
{
    uint8_t blob[68];
    char b64[CS_SIGNATURE_B64_LEN], line[100];
    if (note->failed || key_hint(blob, origin, key) != 0)
        return cs_fail(CASESCRIBE_ENOMEM, "cannot make the checkpoint's key hint");
    int32_t rc = cs_ed25519_sign(b64, key, (const uint8_t *)note->data, note->len);
    if (rc != CASESCRIBE_OK)
        return rc;
    if (b64_exact(blob + 4, 64, b64, strlen(b64)) != 0)
        return cs_fail(CASESCRIBE_EINTERNAL, "a signature did not decode");
    EVP_EncodeBlock((unsigned char *)line, blob, sizeof(blob));
    cs_buf_printf(note, "\n" EM_DASH " %s %s\n", origin, line);
    return note->failed ? cs_fail(CASESCRIBE_ENOMEM, "out of memory") : CASESCRIBE_OK;
}

int32_t cs_checkpoint_sign(cs_store_txn *tx, uint64_t size, const char *head, int64_t time, char **text, void *user)
{
    char origin[CS_ORIGIN_MAX], key_id[CS_KEY_ID_MAX], head_b64[48];
    uint8_t raw[32];
    EVP_PKEY *key = NULL;
    *text = NULL;
    if (hex_to_bytes(raw, head) != 0)
        return cs_fail(CASESCRIBE_EJOURNAL, "the ledger's last hash is malformed");
    EVP_EncodeBlock((unsigned char *)head_b64, raw, sizeof(raw));
    int32_t rc = cs_checkpoint_origin(tx, 1, origin);
    if (rc == CASESCRIBE_OK)
        rc = cs_keyring_signer(user, &key, key_id);
    if (rc == CASESCRIBE_EKEY) { /* no key yet (before keygen): nothing signs, the first save will */
        cs_clear_error();
        return CASESCRIBE_OK;
    }
    if (rc != CASESCRIBE_OK)
        return rc;
    cs_buf note = {0};
    cs_buf_printf(&note, "%s\n%" PRIu64 "\n%s\ntime %" PRId64 "\nkey %s\n", origin, size, head_b64, time, key_id);
    rc = sign_body(&note, key, origin);
    EVP_PKEY_free(key);
    if (rc == CASESCRIBE_OK && (*text = cs_buf_take(&note)) == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    cs_buf_free(&note);
    return rc;
}

/* ---- parsing ----------------------------------------------------------- */

/* The next line of [*p, end) without its newline into line (cap bytes);
 * -1 when there is no newline or it is too long. */
static int next_line(char *line, size_t cap, const char **p, const char *end)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    if (nl == NULL || (size_t)(nl - *p) >= cap || memchr(*p, '\0', (size_t)(nl - *p)) != NULL)
        return -1;
    memcpy(line, *p, (size_t)(nl - *p));
    line[nl - *p] = '\0';
    *p = nl + 1;
    return 0;
}

static int parse_number(uint64_t *out, const char *text)
{
    char *end = NULL;
    if (text[0] < '0' || text[0] > '9' || (text[0] == '0' && text[1] != '\0'))
        return -1;
    unsigned long long v = strtoull(text, &end, 10);
    *out = v;
    return *end == '\0' && v <= INT64_MAX ? 0 : -1;
}

static int parse_body(cs_checkpoint_note *n, const char **p, const char *end)
{
    char line[160];
    uint8_t raw[32];
    uint64_t t = 0;
    if (next_line(line, sizeof(line), p, end) || strncmp(line, ORIGIN_PREFIX, strlen(ORIGIN_PREFIX)) != 0 ||
        strlen(line) >= sizeof(n->origin))
        return -1;
    snprintf(n->origin, sizeof(n->origin), "%s", line);
    if (next_line(line, sizeof(line), p, end) || parse_number(&n->size, line) || n->size == 0)
        return -1;
    if (next_line(line, sizeof(line), p, end) || b64_exact(raw, 32, line, strlen(line)))
        return -1;
    cs_hex(n->head, raw, sizeof(raw));
    if (next_line(line, sizeof(line), p, end) || strncmp(line, "time ", 5) || parse_number(&t, line + 5))
        return -1;
    n->time = (int64_t)t;
    if (next_line(line, sizeof(line), p, end) || strncmp(line, "key ", 4) || !cs_valid_id(line + 4) ||
        strlen(line + 4) >= sizeof(n->key_id))
        return -1;
    snprintf(n->key_id, sizeof(n->key_id), "%s", line + 4);
    return 0;
}

int32_t cs_checkpoint_parse(cs_checkpoint_note *out, size_t *body_len, const char *text, size_t len)
{
    memset(out, 0, sizeof(*out));
    const char *p = text, *end = text + len;
    if (len > CS_CHECKPOINT_MAX || parse_body(out, &p, end) != 0)
        return cs_fail(CASESCRIBE_EPARSE, "not a CaseScribe checkpoint (origin, size, hash, time and key lines)");
    *body_len = (size_t)(p - text);
    char line[256];
    if (next_line(line, sizeof(line), &p, end) || line[0] != '\0')
        return cs_fail(CASESCRIBE_EPARSE, "the checkpoint has no blank line before its signature");
    return CASESCRIBE_OK;
}

/* ---- checking ---------------------------------------------------------- */

/* 1 when one signature line of the note is a valid signature of the body
 * by `pub` for signer n->origin. */
static int signed_by(const cs_checkpoint_note *n, EVP_PKEY *pub, const char *text, size_t body, size_t len)
{
    uint8_t want[4], blob[68];
    char line[256], prefix[CS_ORIGIN_MAX + 8], b64[CS_SIGNATURE_B64_LEN];
    const char *p = text + body + 1, *end = text + len;
    if (key_hint(want, n->origin, pub) != 0)
        return 0;
    snprintf(prefix, sizeof(prefix), EM_DASH " %s ", n->origin);
    while (p < end && next_line(line, sizeof(line), &p, end) == 0) {
        size_t k = strlen(prefix);
        if (strncmp(line, prefix, k) != 0 || b64_exact(blob, sizeof(blob), line + k, strlen(line + k)) != 0 ||
            memcmp(blob, want, 4) != 0)
            continue;
        EVP_EncodeBlock((unsigned char *)b64, blob + 4, 64);
        if (cs_ed25519_verify(pub, b64, (const uint8_t *)text, body))
            return 1;
    }
    return 0;
}

static int32_t check_signature(cs_buf *rep, cs_keyring *keys, const cs_checkpoint_note *n, const char *text,
                               size_t body, size_t len)
{
    EVP_PKEY *pub = NULL;
    int32_t rc = cs_keyring_public(keys, n->key_id, &pub);
    int ok = rc == CASESCRIBE_OK && signed_by(n, pub, text, body, len);
    EVP_PKEY_free(pub);
    if (rc == CASESCRIBE_OK && !ok)
        rc = cs_fail(CASESCRIBE_EVERIFY, "checkpoint %s at %" PRIu64 ": its signature by key %s does not verify",
                     n->origin, n->size, n->key_id);
    else if (rc != CASESCRIBE_OK)
        rc = cs_fail(CASESCRIBE_EVERIFY, "checkpoint %s at %" PRIu64 ": signed by key %s, which this home does not "
                     "know", n->origin, n->size, n->key_id);
    if (rc != CASESCRIBE_OK)
        cs_buf_printf(rep, "%s\n", casescribe_last_error());
    return rc;
}

/* The ledger holds `size` entries at least: else EJOURNAL. */
static int32_t check_count(cs_store_txn *tx, const char *what, uint64_t size)
{
    uint64_t count = 0;
    char last[CS_STORE_HASH_LEN];
    int32_t rc = cs_store_ledger_tail(tx, &count, last);
    if (rc == CASESCRIBE_OK && count < size)
        rc = cs_fail(CASESCRIBE_EJOURNAL, "%s: the ledger once held %" PRIu64 " entries, it now holds %" PRIu64
                     ": entries were removed (or the store replaced)", what, size, count);
    return rc;
}

/* The ledger holds `size` entries at least, entry `size` hashing to
 * `head` (size 0: nothing to check): else EJOURNAL, naming what. `what`
 * names the evidence. */
static int32_t check_position(cs_buf *rep, cs_store_txn *tx, const char *what, uint64_t size, const char *head)
{
    char at[CS_STORE_HASH_LEN];
    int32_t rc = check_count(tx, what, size);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_entry_hash(tx, size, at);
    if (rc == CASESCRIBE_OK && strcmp(at, head) != 0)
        rc = cs_fail(CASESCRIBE_EJOURNAL, "%s: entry %" PRIu64 " of the ledger is not the one it saw (hash %.12s..., "
                     "expected %.12s...): the ledger was rewritten", what, size, at, head);
    if (rc != CASESCRIBE_OK)
        cs_buf_printf(rep, "%s\n", casescribe_last_error());
    return rc;
}

int32_t cs_checkpoint_check(cs_buf *rep, cs_keyring *keys, cs_store_txn *tx, const char *text, size_t len)
{
    cs_checkpoint_note n;
    size_t body = 0;
    char origin[CS_ORIGIN_MAX], what[CS_ORIGIN_MAX + 48];
    int32_t rc = cs_checkpoint_parse(&n, &body, text, len);
    if (rc != CASESCRIBE_OK) {
        cs_buf_printf(rep, "%s\n", casescribe_last_error());
        return rc;
    }
    rc = check_signature(rep, keys, &n, text, body, len);
    if (rc == CASESCRIBE_OK && (rc = cs_checkpoint_origin(tx, 0, origin)) == CASESCRIBE_OK &&
        strcmp(origin, n.origin) != 0) {
        rc = cs_fail(CASESCRIBE_EJOURNAL, "checkpoint of ledger %s, but this ledger is %s: the store was replaced "
                     "or recreated", n.origin, origin[0] ? origin : "new (no checkpoint yet)");
        cs_buf_printf(rep, "%s\n", casescribe_last_error());
    }
    snprintf(what, sizeof(what), "checkpoint %s at %" PRIu64, n.origin, n.size);
    if (rc == CASESCRIBE_OK)
        rc = check_position(rep, tx, what, n.size, n.head);
    if (rc == CASESCRIBE_OK)
        cs_buf_printf(rep, "%s: the ledger holds it\n", what);
    return rc;
}

/* The ledger's entry `seq` is the save that made r's stamp. */
static int32_t check_entry(cs_buf *rep, cs_store_txn *tx, const cs_record *r, const char *digest, const char *what)
{
    const cs_provenance *p = r->provenance;
    json_t *e = NULL;
    int32_t rc = check_count(tx, what, p->ledger_seq);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_entry(tx, p->ledger_seq, &e);
    const char *rec = json_string_value(json_object_get(e, "record"));
    const char *dig = json_string_value(json_object_get(e, "digest"));
    json_int_t version = json_integer_value(json_object_get(e, "version"));
    if (rc == CASESCRIBE_OK && (rec == NULL || dig == NULL || strcmp(rec, r->id) != 0 || strcmp(dig, digest) != 0 ||
                                version != (json_int_t)p->version))
        rc = cs_fail(CASESCRIBE_EJOURNAL, "%s: entry %" PRIu64 " of the ledger is not the save of this version: the "
                     "ledger was rewritten", what, p->ledger_seq);
    json_decref(e);
    if (rc != CASESCRIBE_OK)
        cs_buf_printf(rep, "%s\n", casescribe_last_error());
    return rc;
}

int32_t cs_checkpoint_check_record(cs_buf *rep, cs_keyring *keys, cs_store_txn *tx, const cs_record *r)
{
    cs_buf diffs = {0};
    char digest[CS_DIGEST_LEN], what[300];
    int32_t rc = cs_verify_record(&diffs, keys, r, digest);
    cs_buf_free(&diffs);
    if (rc == CASESCRIBE_OK && r->provenance->ledger_seq == 0)
        rc = cs_fail(CASESCRIBE_EINVAL, "record %s version %u was stamped before stamps named their ledger entry",
                     r->id, (unsigned)r->provenance->version);
    if (rc != CASESCRIBE_OK) {
        cs_buf_printf(rep, "record %s: %s\n", r->id, casescribe_last_error());
        return rc;
    }
    const cs_provenance *p = r->provenance;
    snprintf(what, sizeof(what), "record %s version %u (ledger entry %" PRIu64 ")", r->id, (unsigned)p->version,
             p->ledger_seq);
    rc = check_entry(rep, tx, r, digest, what);
    if (rc == CASESCRIBE_OK)
        rc = check_position(rep, tx, what, p->ledger_seq - 1, p->ledger_prev != NULL ? p->ledger_prev : "");
    if (rc == CASESCRIBE_OK)
        cs_buf_printf(rep, "%s: the ledger holds it\n", what);
    return rc;
}
