/* stamp.h - digests, signatures and the chain of a record's versions.
 *
 * What is signed: the exclusive-C14N bytes of <provenance> without its
 * <signature>, which hold the digests of the whole form, of the subjects, of
 * the consents and of each section, the consent state, the actor, the time,
 * the version and the digest of the previous version. The "record digest" of
 * a version is SHA-256 of the canonical <provenance> WITH its signature; the
 * next version points at it ("previous") and the journal records it. */
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

typedef struct cs_digests {
    char form[CS_DIGEST_LEN], subjects[CS_DIGEST_LEN], consents[CS_DIGEST_LEN];
    char (*sections)[CS_DIGEST_LEN]; /* one per section, in order */
    size_t n_sections;
} cs_digests;

int32_t cs_digests_compute(cs_digests *d, const cs_record *r);
void cs_digests_free(cs_digests *d);

/* Signs p (everything but p->signature) with an Ed25519 key; sets p->signature (base64). */
int32_t cs_stamp_sign(cs_provenance *p, EVP_PKEY *key);
/* OK when p->signature is a valid signature of p by `pub`, EVERIFY otherwise. */
int32_t cs_stamp_check_signature(const cs_provenance *p, EVP_PKEY *pub);
/* The record digest of a signed provenance. */
int32_t cs_stamp_record_digest(char out[CS_DIGEST_LEN], const cs_provenance *p);

/* Compares a decoded, stamped record with its own provenance: record id,
 * form/subjects/consents/section digests, section origins and reviewers,
 * the consent state recomputed at the stamp's time. Writes one line per
 * difference to `report`. Returns the number of differences (0: content
 * matches the stamp) or a negative status. Does NOT check the signature. */
int32_t cs_stamp_compare(cs_buf *report, const cs_record *r);

#endif
