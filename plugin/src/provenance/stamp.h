/* SPDX-License-Identifier: Apache-2.0 */
/* stamp.h - digests, signatures and the chain of a record's versions.
 *
 * What is signed: the exclusive-C14N bytes of <provenance> without its
 * <signature>, which hold the digests of the whole form, of the subjects, of
 * the consents and of each section, the consent state, the actor, the time,
 * the version and the digest of the previous version. The "record digest" of
 * a version covers those bytes and the signature (see cs_stamp_record_digest);
 * the next version points at it ("previous") and the journal records it. */
#ifndef CS_STAMP_H
#define CS_STAMP_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "record/record.h"

#define CS_DIGEST_LEN 72 /* "sha256:" + 64 hex digits + NUL */

/* "sha256:<hex>" of the bytes. */
int32_t cs_sha256_tag(char out[CS_DIGEST_LEN], const uint8_t *data, size_t len);

/* Ed25519 (OpenSSL EVP one-shot) and the digest of a signed text, shared by
 * record stamps and team policies. */
#define CS_SIGNATURE_B64_LEN 89 /* 64 bytes in base64, and a NUL */
int32_t cs_ed25519_sign(char b64[CS_SIGNATURE_B64_LEN], EVP_PKEY *key, const uint8_t *msg, size_t len);
/* 1 when `b64` is exactly a base64 Ed25519 signature of msg by pub, else 0. */
int cs_ed25519_verify(EVP_PKEY *pub, const char *b64, const uint8_t *msg, size_t len);
/* SHA-256 over the signed bytes followed by the signature text: names one
 * signed version ("sha256:<hex>"). */
int32_t cs_signed_digest(char out[CS_DIGEST_LEN], const uint8_t *msg, size_t len, const char *signature);

typedef struct cs_digests {
    char form[CS_DIGEST_LEN], subjects[CS_DIGEST_LEN], consents[CS_DIGEST_LEN];
    char (*sections)[CS_DIGEST_LEN]; /* one per section, in order */
    size_t n_sections;
    char (*entries)[CS_DIGEST_LEN]; /* cs_consent_entry_digest of each consent entry, in order */
    size_t n_entries;
    void *doc; /* cs_digests_compute_keep: the rendered form, for cs_stamp_sign_into */
} cs_digests;

/* Every digest of the record from one canonical pass (cs_form_canonical_all). */
int32_t cs_digests_compute(cs_digests *d, const cs_record *r);
/* The same, keeping the rendered form for cs_stamp_sign_into. */
int32_t cs_digests_compute_keep(cs_digests *d, const cs_record *r);
void cs_digests_free(cs_digests *d);

/* The digest of one consent entry (its exclusive C14N alone): with bare,
 * of the entry without its withdrawn-at (to recognise an entry to which a
 * withdrawal was added). */
int32_t cs_consent_entry_digest(char out[CS_DIGEST_LEN], const cs_consent *c, int bare);
/* Sets each stamp's `entries`: the digests of its subject's consent entries
 * on r, in form order (NULL when there is none). OK or ENOMEM. With d (the
 * digests of r), the entry digests are d's, else each is computed. */
int32_t cs_consent_stamp_entries(cs_consent_stamp *stamps, size_t n, const cs_record *r, const cs_digests *d);

/* Signs p (everything but p->signature) with an Ed25519 key; sets
 * p->signature (base64) and, when record_digest is not NULL, the record
 * digest of the signed version. */
int32_t cs_stamp_sign(cs_provenance *p, EVP_PKEY *key, char record_digest[CS_DIGEST_LEN]);
/* The same, rendering p once into the form cs_digests_compute_keep kept in
 * d (replacing a provenance signed there before); then
 * cs_stamp_encode_signed writes the stamped record from it. */
int32_t cs_stamp_sign_into(cs_digests *d, cs_provenance *p, EVP_PKEY *key, char record_digest[CS_DIGEST_LEN]);
/* The stamped record (as cs_form_encode would write it) from d's rendering. */
int32_t cs_stamp_encode_signed(uint8_t **out, size_t *out_len, cs_digests *d, const cs_provenance *p);
/* OK when p->signature is a valid signature of p by `pub`, EVERIFY
 * otherwise. When record_digest is not NULL it receives the record digest. */
int32_t cs_stamp_check_signature(const cs_provenance *p, EVP_PKEY *pub, char record_digest[CS_DIGEST_LEN]);
/* The same for a decoded record's provenance, checked first over the bytes
 * received (cs_provenance_canonical_received) and, when they do not carry
 * the signature (a document written otherwise), over the model rendered
 * again: the same verdict, without a rendering for a record as stamped. */
int32_t cs_stamp_check_record_signature(const cs_record *r, EVP_PKEY *pub, char record_digest[CS_DIGEST_LEN]);
/* The record digest of a signed provenance: SHA-256 over the signed bytes
 * (canonical <provenance> without <signature>) followed by the signature's
 * base64 text. It identifies one stamped version: the next version names it
 * as "previous" and the journal records it. */
int32_t cs_stamp_record_digest(char out[CS_DIGEST_LEN], const cs_provenance *p);

/* Compares a decoded, stamped record with its own provenance: record id,
 * form/subjects/consents/section digests, section origins and reviewers,
 * the consent state recomputed at the stamp's time. Writes one line per
 * difference to `report`. Returns the number of differences (0: content
 * matches the stamp) or a negative status. Does NOT check the signature. */
int32_t cs_stamp_compare(cs_buf *report, const cs_record *r);

#endif
