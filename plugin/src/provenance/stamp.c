/* SPDX-License-Identifier: Apache-2.0 */
/* stamp.c - digests and Ed25519 signatures (OpenSSL 3 one-shot EVP). */
#include "provenance/stamp.h"

#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

#include "consent/evaluate.h"
#include "record/form_xml.h"

int32_t cs_sha256_tag(char out[CS_DIGEST_LEN], const uint8_t *data, size_t len)
{
    uint8_t md[32];
    if (EVP_Digest(data, len, md, NULL, cs_sha256(), NULL) != 1) {
        ERR_clear_error();
        return cs_fail(CASESCRIBE_EINTERNAL, "SHA-256 failed");
    }
    memcpy(out, "sha256:", 7);
    cs_hex(out + 7, md, sizeof(md));
    return CASESCRIBE_OK;
}

/* The digest of a part: CS_CANON_OPEN, slices [from, to) of c, CS_CANON_CLOSE
 * (whole: all of c alone). */
static int32_t digest_slices(EVP_MD_CTX *ctx, char out[CS_DIGEST_LEN], const cs_form_canon *c, size_t from, size_t to,
                             int whole)
{
    static const char open[] = CS_CANON_OPEN, close[] = CS_CANON_CLOSE;
    uint8_t md[32];
    int ok = EVP_DigestInit_ex(ctx, cs_sha256(), NULL) == 1;
    if (whole)
        ok = ok && EVP_DigestUpdate(ctx, c->bytes, c->len) == 1;
    else
        ok = ok && EVP_DigestUpdate(ctx, open, sizeof(open) - 1) == 1;
    for (size_t i = from; !whole && ok && i < to; i++)
        ok = EVP_DigestUpdate(ctx, c->bytes + c->ranges[i][0], c->ranges[i][1] - c->ranges[i][0]) == 1;
    if (!whole)
        ok = ok && EVP_DigestUpdate(ctx, close, sizeof(close) - 1) == 1;
    if (!ok || EVP_DigestFinal_ex(ctx, md, NULL) != 1) {
        ERR_clear_error();
        return cs_fail(CASESCRIBE_EINTERNAL, "SHA-256 failed");
    }
    memcpy(out, "sha256:", 7);
    cs_hex(out + 7, md, sizeof(md));
    return CASESCRIBE_OK;
}

/* Every digest from the slices of one canonical pass: the children of
 * <form> are the subjects, the consents, the sections, the citations. */
static int32_t digests_of(cs_digests *d, const cs_record *r, const cs_form_canon *c)
{
    size_t ns = r->n_subjects, nc = r->n_consents;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    int32_t rc = digest_slices(ctx, d->form, c, 0, 0, 1);
    if (rc == CASESCRIBE_OK)
        rc = digest_slices(ctx, d->subjects, c, 0, ns, 0);
    if (rc == CASESCRIBE_OK)
        rc = digest_slices(ctx, d->consents, c, ns, ns + nc, 0);
    for (size_t i = 0; rc == CASESCRIBE_OK && i < nc; i++)
        rc = digest_slices(ctx, d->entries[i], c, ns + i, ns + i + 1, 0);
    for (size_t i = 0; rc == CASESCRIBE_OK && i < r->n_sections; i++)
        rc = digest_slices(ctx, d->sections[i], c, ns + nc + i, ns + nc + i + 1, 0);
    EVP_MD_CTX_free(ctx);
    return rc;
}

/* keep: the rendering stays in d->doc; received: the passes run over the
 * document the record was decoded from, not a rendering (no doc kept). */
static int32_t compute(cs_digests *d, const cs_record *r, int keep, int received)
{
    memset(d, 0, sizeof(*d));
    d->sections = calloc(r->n_sections ? r->n_sections : 1, sizeof(*d->sections));
    d->entries = calloc(r->n_consents ? r->n_consents : 1, sizeof(*d->entries));
    if (d->sections == NULL || d->entries == NULL) {
        cs_digests_free(d);
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    }
    d->n_sections = r->n_sections;
    d->n_entries = r->n_consents;
    cs_form_canon c;
    int32_t rc = received ? cs_form_canonical_received(&c, r) : cs_form_canonical_all(&c, r, keep);
    if (rc == CASESCRIBE_OK)
        rc = digests_of(d, r, &c);
    d->doc = c.doc;
    c.doc = NULL;
    cs_form_canon_free(&c);
    if (rc != CASESCRIBE_OK)
        cs_digests_free(d);
    return rc;
}

int32_t cs_digests_compute(cs_digests *d, const cs_record *r)
{
    return compute(d, r, 0, 0);
}

int32_t cs_digests_compute_keep(cs_digests *d, const cs_record *r)
{
    return compute(d, r, 1, 0);
}

int32_t cs_consent_entry_digest(char out[CS_DIGEST_LEN], const cs_consent *c, int bare)
{
    cs_consent entry = *c;
    if (bare)
        entry.withdrawn_at = NULL;
    uint8_t *bytes = NULL;
    size_t len = 0;
    int32_t rc = cs_consent_canonical(&bytes, &len, &entry);
    if (rc == CASESCRIBE_OK)
        rc = cs_sha256_tag(out, bytes, len);
    free(bytes);
    return rc;
}

/* The digests of the consent entries of one subject, space-separated. */
static int32_t subject_entries(char **out, const cs_record *r, const char *subject, const cs_digests *d)
{
    cs_buf list = {0};
    char digest[CS_DIGEST_LEN];
    *out = NULL;
    for (size_t i = 0; i < r->n_consents; i++) {
        if (strcmp(r->consents[i].subject, subject) != 0)
            continue;
        int32_t rc = CASESCRIBE_OK;
        if (d != NULL && i < d->n_entries)
            memcpy(digest, d->entries[i], CS_DIGEST_LEN);
        else
            rc = cs_consent_entry_digest(digest, &r->consents[i], 0);
        if (rc != CASESCRIBE_OK) {
            cs_buf_free(&list);
            return rc;
        }
        cs_buf_printf(&list, "%s%s", list.len ? " " : "", digest);
    }
    size_t had = list.len;
    *out = had > 0 ? cs_buf_take(&list) : NULL; /* NULL too when an append failed */
    cs_buf_free(&list);
    return (had > 0 || list.failed) && *out == NULL ? cs_fail(CASESCRIBE_ENOMEM, "out of memory") : CASESCRIBE_OK;
}

int32_t cs_consent_stamp_entries(cs_consent_stamp *stamps, size_t n, const cs_record *r, const cs_digests *d)
{
    for (size_t i = 0; i < n; i++) {
        free(stamps[i].entries);
        int32_t rc = subject_entries(&stamps[i].entries, r, stamps[i].subject, d);
        if (rc != CASESCRIBE_OK)
            return rc;
    }
    return CASESCRIBE_OK;
}

void cs_digests_free(cs_digests *d)
{
    free(d->sections);
    free(d->entries);
    cs_form_canon c = {.doc = d->doc};
    cs_form_canon_free(&c);
    d->sections = NULL;
    d->entries = NULL;
    d->doc = NULL;
    d->n_sections = 0;
    d->n_entries = 0;
}

/* ---- Ed25519 and the digest of a signed text: shared by records and policies */

int32_t cs_signed_digest(char out[CS_DIGEST_LEN], const uint8_t *msg, size_t len, const char *signature)
{
    uint8_t md[32];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL && EVP_DigestInit_ex(ctx, cs_sha256(), NULL) == 1 && EVP_DigestUpdate(ctx, msg, len) == 1 &&
             EVP_DigestUpdate(ctx, signature, strlen(signature)) == 1 && EVP_DigestFinal_ex(ctx, md, NULL) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        ERR_clear_error();
        return cs_fail(CASESCRIBE_EINTERNAL, "SHA-256 failed");
    }
    memcpy(out, "sha256:", 7);
    cs_hex(out + 7, md, sizeof(md));
    return CASESCRIBE_OK;
}

int32_t cs_ed25519_sign(char b64[CS_SIGNATURE_B64_LEN], EVP_PKEY *key, const uint8_t *msg, size_t len)
{
    uint8_t sig[64];
    size_t sig_len = sizeof(sig);
    /* Ed25519 is one-shot: a NULL digest and a single EVP_DigestSign. */
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md != NULL && EVP_DigestSignInit(md, NULL, NULL, NULL, key) == 1 &&
             EVP_DigestSign(md, sig, &sig_len, msg, len) == 1 && sig_len == 64;
    EVP_MD_CTX_free(md);
    if (!ok) {
        ERR_clear_error();
        return cs_fail(CASESCRIBE_EKEY, "Ed25519 signing failed");
    }
    EVP_EncodeBlock((unsigned char *)b64, sig, (int)sig_len);
    return CASESCRIBE_OK;
}

/* Decodes the 64-byte signature from base64; -1 when it is not exactly that. */
static int decode_signature(uint8_t sig[64], const char *b64)
{
    size_t n = b64 != NULL ? strlen(b64) : 0;
    uint8_t buf[96];
    if (n != 88 || b64[86] != '=' || b64[87] != '=')
        return -1;
    int got = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)n);
    if (got != 66) /* 64 bytes + 2 of padding that EVP_DecodeBlock counts */
        return -1;
    memcpy(sig, buf, 64);
    return 0;
}

int cs_ed25519_verify(EVP_PKEY *pub, const char *b64, const uint8_t *msg, size_t len)
{
    uint8_t sig[64];
    if (decode_signature(sig, b64) != 0)
        return 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int verdict = md != NULL && EVP_DigestVerifyInit(md, NULL, NULL, NULL, pub) == 1
                      ? EVP_DigestVerify(md, sig, sizeof(sig), msg, len)
                      : -1;
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    return verdict == 1; /* anything else, including errors, is a failure */
}

/* ---- the provenance of a record ----------------------------------------- */

int32_t cs_stamp_sign(cs_provenance *p, EVP_PKEY *key, char record_digest[CS_DIGEST_LEN])
{
    uint8_t *msg = NULL;
    size_t len = 0;
    char b64[CS_SIGNATURE_B64_LEN];
    int32_t rc = cs_provenance_canonical(&msg, &len, p, 0);
    if (rc == CASESCRIBE_OK)
        rc = cs_ed25519_sign(b64, key, msg, len);
    if (rc == CASESCRIBE_OK) {
        free(p->signature);
        p->signature = cs_strdup(b64);
        if (p->signature == NULL)
            rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
        else if (record_digest != NULL)
            rc = cs_signed_digest(record_digest, msg, len, p->signature);
    }
    free(msg);
    return rc;
}

int32_t cs_stamp_sign_into(cs_digests *d, cs_provenance *p, EVP_PKEY *key, char record_digest[CS_DIGEST_LEN])
{
    uint8_t *msg = NULL;
    size_t len = 0;
    char b64[CS_SIGNATURE_B64_LEN];
    if (d->doc == NULL)
        return cs_stamp_sign(p, key, record_digest);
    int32_t rc = cs_form_provenance_into(d->doc, p, &msg, &len);
    if (rc == CASESCRIBE_OK)
        rc = cs_ed25519_sign(b64, key, msg, len);
    if (rc == CASESCRIBE_OK) {
        free(p->signature);
        if ((p->signature = cs_strdup(b64)) == NULL)
            rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
        else if (record_digest != NULL)
            rc = cs_signed_digest(record_digest, msg, len, p->signature);
    }
    free(msg);
    return rc;
}

int32_t cs_stamp_encode_signed(uint8_t **out, size_t *out_len, cs_digests *d, const cs_provenance *p)
{
    int32_t rc = cs_form_dump_signed(out, out_len, d->doc, p);
    /* The rendering now holds a signature: it cannot be signed again. */
    cs_form_canon c = {.doc = d->doc};
    cs_form_canon_free(&c);
    d->doc = NULL;
    return rc;
}

int32_t cs_stamp_check_signature(const cs_provenance *p, EVP_PKEY *pub, char record_digest[CS_DIGEST_LEN])
{
    uint8_t *msg = NULL, sig[64];
    size_t len = 0;
    if (decode_signature(sig, p->signature) != 0) /* said apart from a mismatch: a different fault */
        return cs_fail(CASESCRIBE_EVERIFY, "the signature is not a valid Ed25519 signature encoding");
    int32_t rc = cs_provenance_canonical(&msg, &len, p, 0);
    if (rc != CASESCRIBE_OK)
        return rc;
    if (!cs_ed25519_verify(pub, p->signature, msg, len))
        rc = cs_fail(CASESCRIBE_EVERIFY, "the provenance signature does not match: the provenance was altered");
    else if (record_digest != NULL)
        rc = cs_signed_digest(record_digest, msg, len, p->signature);
    free(msg);
    return rc;
}

/* Whether the provenance's bytes as received carry its signature (then
 * the model parsed from them is the one signed): no rendering. */
static int received_signature_holds(const cs_record *r, EVP_PKEY *pub, char record_digest[CS_DIGEST_LEN])
{
    uint8_t *msg = NULL;
    size_t len = 0;
    const char *sig = r->provenance->signature;
    int holds = sig != NULL && cs_provenance_canonical_received(&msg, &len, r) == CASESCRIBE_OK &&
                cs_ed25519_verify(pub, sig, msg, len);
    if (holds && record_digest != NULL)
        holds = cs_signed_digest(record_digest, msg, len, sig) == CASESCRIBE_OK;
    free(msg);
    cs_clear_error();
    return holds;
}

int32_t cs_stamp_check_record_signature(const cs_record *r, EVP_PKEY *pub, char record_digest[CS_DIGEST_LEN])
{
    if (received_signature_holds(r, pub, record_digest))
        return CASESCRIBE_OK;
    return cs_stamp_check_signature(r->provenance, pub, record_digest);
}

int32_t cs_stamp_record_digest(char out[CS_DIGEST_LEN], const cs_provenance *p)
{
    uint8_t *msg = NULL;
    size_t len = 0;
    if (p->signature == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "the provenance is not signed");
    int32_t rc = cs_provenance_canonical(&msg, &len, p, 0);
    if (rc == CASESCRIBE_OK)
        rc = cs_signed_digest(out, msg, len, p->signature);
    free(msg);
    return rc;
}

/* ------------------------------------------------------------------------
 * Comparing a record with its stamp, to say WHAT changed.
 * ------------------------------------------------------------------------ */
static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static const char *or_none(const char *s)
{
    return s != NULL ? s : "(none)";
}

/* Lines for one section present in both; returns the number of differences. */
static int compare_section(cs_buf *rep, const cs_section *s, const cs_section_stamp *st, const char *digest)
{
    int diffs = 0;
    if (s->origin != st->origin) {
        cs_buf_printf(rep, "section '%s': origin changed from %s to %s after stamping\n", s->id,
                      cs_origin_name(st->origin), cs_origin_name(s->origin));
        diffs++;
    }
    struct {
        const char *name, *now, *then;
    } fields[] = {{"engine", s->engine, st->engine},
                  {"model", s->model, st->model},
                  {"engine version", s->engine_version, st->engine_version},
                  {"engine settings", s->engine_settings, st->engine_settings},
                  {"reviewer", s->reviewed_by, st->reviewed_by},
                  {"review time", s->reviewed_at, st->reviewed_at},
                  {"review", s->review, st->review}};
    for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
        if (!same(fields[i].now, fields[i].then)) {
            cs_buf_printf(rep, "section '%s': %s changed from %s to %s after stamping\n", s->id, fields[i].name,
                          or_none(fields[i].then), or_none(fields[i].now));
            diffs++;
        }
    }
    if (diffs == 0 && strcmp(digest, st->digest) != 0) {
        cs_buf_printf(rep, "section '%s': text changed after stamping\n", s->id);
        diffs++;
    }
    return diffs;
}

static int compare_sections(cs_buf *rep, const cs_record *r, const cs_digests *d)
{
    const cs_provenance *p = r->provenance;
    int diffs = 0;
    for (size_t i = 0; i < r->n_sections; i++) {
        const cs_section_stamp *st = NULL;
        for (size_t j = 0; j < p->n_sections && st == NULL; j++)
            if (strcmp(p->sections[j].id, r->sections[i].id) == 0)
                st = &p->sections[j];
        if (st == NULL) {
            cs_buf_printf(rep, "section '%s' was added after stamping\n", r->sections[i].id);
            diffs++;
        } else {
            diffs += compare_section(rep, &r->sections[i], st, d->sections[i]);
        }
    }
    for (size_t j = 0; j < p->n_sections; j++) {
        if (cs_record_find_section(r, p->sections[j].id) == NULL) {
            cs_buf_printf(rep, "section '%s' was removed after stamping\n", p->sections[j].id);
            diffs++;
        }
    }
    return diffs;
}

static int compare_consent_state(cs_buf *rep, const cs_record *r, const cs_digests *d)
{
    const cs_provenance *p = r->provenance;
    int64_t at = 0;
    cs_consent_stamp *now = NULL;
    size_t n = 0;
    if (cs_parse_time(&at, p->at) != 0) {
        cs_buf_printf(rep, "the stamp's time is not a valid time\n");
        return 1;
    }
    int32_t rc = cs_consent_evaluate(&now, &n, r, at);
    if (rc == CASESCRIBE_OK)
        rc = cs_consent_stamp_entries(now, n, r, d);
    if (rc != CASESCRIBE_OK) {
        cs_consent_stamps_free(now, n);
        return rc; /* out of memory, or a consent value decoding already refused */
    }
    int diffs = n != p->n_consents;
    for (size_t i = 0; !diffs && i < n; i++) {
        const cs_consent_stamp *a = &now[i], *b = &p->consents[i];
        diffs = !same(a->subject, b->subject) || !same(a->in_force, b->in_force) || a->local_ai != b->local_ai ||
                a->external_ai != b->external_ai || !same(a->withdrawn_at, b->withdrawn_at) ||
                (b->entries != NULL && !same(a->entries, b->entries)); /* absent before 1.6 */
    }
    if (diffs)
        cs_buf_printf(rep, "the consent state stamped does not follow from the consents on the form\n");
    cs_consent_stamps_free(now, n);
    return diffs;
}

/* The digests of the form as received when its form-digest is the one
 * stamped (it covers every byte the others are taken from, so they are
 * what a rendering of the model would give), else those of the model
 * rendered again. */
static int32_t digests_to_compare(cs_digests *d, const cs_record *r)
{
    if (compute(d, r, 0, 1) == CASESCRIBE_OK) {
        if (same(d->form, r->provenance->form_digest))
            return CASESCRIBE_OK;
        cs_digests_free(d);
    }
    cs_clear_error();
    return cs_digests_compute(d, r);
}

int32_t cs_stamp_compare(cs_buf *rep, const cs_record *r)
{
    const cs_provenance *p = r->provenance;
    cs_digests d;
    int32_t rc = digests_to_compare(&d, r);
    if (rc != CASESCRIBE_OK)
        return rc;
    int diffs = 0;
    if (!same(r->id, p->record)) {
        cs_buf_printf(rep, "the record id was changed from %s to %s\n", or_none(p->record), r->id);
        diffs++;
    }
    if (!same(d.subjects, p->subjects_digest)) {
        cs_buf_printf(rep, "the subjects (people the record is about) were changed after stamping\n");
        diffs++;
    }
    if (!same(d.consents, p->consents_digest)) {
        cs_buf_printf(rep, "a consent (or its withdrawal) was changed after stamping\n");
        diffs++;
    }
    diffs += compare_sections(rep, r, &d);
    if (diffs == 0 && !same(d.form, p->form_digest)) {
        cs_buf_printf(rep, "the form's details (template, team, author, final flag, or what the adapter's payload "
                           "carries beyond the record model) were changed after stamping\n");
        diffs++;
    }
    if (diffs == 0)
        diffs = compare_consent_state(rep, r, &d);
    cs_digests_free(&d);
    if (diffs >= 0 && rep->failed)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory writing the verification report");
    return diffs;
}
