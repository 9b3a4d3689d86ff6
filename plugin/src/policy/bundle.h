/* SPDX-License-Identifier: Apache-2.0 */
/* bundle.h - a council's policy bundle: many teams' settings, signed by the
 * council's policy admin, fetched by every host (see policy_refresh.c).
 *
 * A bundle is a urn:casescribe:policy:1 <bundle> document (policy-1.xsd)
 * signed like a policy file, but with the admin's Ed25519 key, which a home
 * trusts by holding its public key (<home>/policy/admin.pub). A bundle
 * carries a serial: a host never goes back to an older one, so that an
 * attacker who replays yesterday's bundle cannot undo today's change.
 */
#ifndef CS_BUNDLE_H
#define CS_BUNDLE_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"
#include "provenance/keys.h"

#define CS_BUNDLE_MAX_BYTES (4u * 1024u * 1024u) /* hard limit on a bundle, wherever it comes from */

typedef struct cs_bundle {
    uint64_t serial;
    char *issued_by, *issued_at, *key_id;
    char digest[CS_DIGEST_LEN]; /* of the signed bundle */
    cs_policy **teams;          /* each with team, features and settings; version 0 */
    size_t n_teams;
} cs_bundle;

/* Parses, validates and verifies a bundle against `admin_keys`. EPARSE,
 * ETOOBIG, ESCHEMA, EVERIFY (bad signature, untrusted key), ENOMEM. */
int32_t cs_bundle_read(cs_bundle **out, const uint8_t *buf, size_t len, cs_keyring *admin_keys);
void cs_bundle_free(cs_bundle *b);

/* Signs an unsigned bundle (any <signature> in it is replaced) with `key`:
 * the result is checked against the schema before it is returned. */
int32_t cs_bundle_sign(uint8_t **out, size_t *out_len, const uint8_t *in, size_t len, EVP_PKEY *key,
                       const char *key_id);

#endif
