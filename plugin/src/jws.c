/* SPDX-License-Identifier: Apache-2.0 */
/* jws.c - JSON Web Signatures with detached payloads (RFC 7515 appendix F),
 * EdDSA over Ed25519 (RFC 8037), made with the home's signing key.
 *
 * Adapters use these where a standard wants a JOSE signature rather than
 * the library's own stamp (FHIR's Provenance.signature). The protected
 * header is always {"alg":"EdDSA","kid":"<key id>"}: the signing input
 * therefore starts with "eyJ", which no stamp the library signs (canonical
 * XML) can start with, so a JWS can never be replayed as a stamp. */
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "internal.h"
#include "provenance/keys.h"

#define ED25519_SIG_LEN 64
#define MAX_JWS_HEADER 1024

/* base64url without padding (RFC 7515 section 2), through OpenSSL's
 * base64; malloc'd, NULL when out of memory. */
static char *b64url_encode(const uint8_t *data, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out == NULL)
        return NULL;
    int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    while (n > 0 && out[n - 1] == '=')
        n--;
    out[n] = '\0';
    for (char *p = out; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    return out;
}

/* Decodes `len` characters of base64url into `out` (room for `max`
 * bytes). The decoded length, or -1 when it is not base64url or too long. */
static long b64url_decode(uint8_t *out, size_t max, const char *in, size_t len)
{
    if (len % 4 == 1 || len > 4 * (max / 3) + 4)
        return -1;
    size_t pad = (4 - len % 4) % 4;
    char *b64 = malloc(len + pad + 1);
    uint8_t *raw = malloc(3 * ((len + pad) / 4) + 1);
    long got = -1;
    if (b64 != NULL && raw != NULL) {
        size_t i = 0;
        for (; i < len; i++) {
            char c = in[i];
            if (c == '+' || c == '/' || c == '=')
                break; /* base64, not base64url */
            b64[i] = c == '-' ? '+' : c == '_' ? '/' : c;
        }
        memset(b64 + len, '=', pad);
        b64[len + pad] = '\0';
        int n = i == len ? EVP_DecodeBlock(raw, (unsigned char *)b64, (int)(len + pad)) : -1;
        if (n >= 0 && (size_t)n >= pad && (size_t)n - pad <= max) {
            got = (long)((size_t)n - pad);
            memcpy(out, raw, (size_t)got);
        }
    }
    free(b64);
    free(raw);
    return got;
}

/* HEADER "." base64url(payload), malloc'd. */
static char *signing_input(const char *header, const uint8_t *payload, size_t len)
{
    char *p = b64url_encode(payload, len);
    size_t n = p != NULL ? strlen(header) + 1 + strlen(p) + 1 : 0;
    char *input = p != NULL ? malloc(n) : NULL;
    if (input != NULL)
        snprintf(input, n, "%s.%s", header, p);
    free(p);
    return input;
}

int32_t casescribe_jws_sign(char **jws_out, casescribe_ctx *ctx, const uint8_t *payload, size_t payload_len)
{
    if (jws_out != NULL)
        *jws_out = NULL;
    if (jws_out == NULL || ctx == NULL || (payload == NULL && payload_len > 0))
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_jws_sign: jws_out, ctx and payload are required");
    if (payload_len > CASESCRIBE_MAX_PAYLOAD)
        return cs_fail(CASESCRIBE_ETOOBIG, "a JWS payload may be at most %u bytes", (unsigned)CASESCRIBE_MAX_PAYLOAD);
    EVP_PKEY *key = NULL;
    char key_id[CS_KEY_ID_MAX];
    int32_t rc = cs_keyring_signer(ctx->keys, &key, key_id);
    if (rc != CASESCRIBE_OK)
        return rc;
    json_t *h = json_pack("{s:s, s:s}", "alg", "EdDSA", "kid", key_id);
    char *hjson = h != NULL ? json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    char *header = hjson != NULL ? b64url_encode((const uint8_t *)hjson, strlen(hjson)) : NULL;
    char *input = header != NULL ? signing_input(header, payload ? payload : (const uint8_t *)"", payload_len) : NULL;
    uint8_t sig[ED25519_SIG_LEN];
    size_t sig_len = sizeof(sig);
    char *sig64 = NULL;
    if (input == NULL) {
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    } else {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        int ok = md != NULL && EVP_DigestSignInit(md, NULL, NULL, NULL, key) == 1 &&
                 EVP_DigestSign(md, sig, &sig_len, (const uint8_t *)input, strlen(input)) == 1 &&
                 sig_len == ED25519_SIG_LEN;
        EVP_MD_CTX_free(md);
        if (!ok) {
            ERR_clear_error();
            rc = cs_fail(CASESCRIBE_EKEY, "Ed25519 signing failed");
        } else if ((sig64 = b64url_encode(sig, sig_len)) == NULL ||
                   (*jws_out = malloc(strlen(header) + 2 + strlen(sig64) + 1)) == NULL) {
            rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
        } else {
            snprintf(*jws_out, strlen(header) + 2 + strlen(sig64) + 1, "%s..%s", header, sig64);
        }
    }
    EVP_PKEY_free(key);
    json_decref(h);
    free(hjson);
    free(header);
    free(input);
    free(sig64);
    return rc;
}

/* The protected header must say EdDSA and nothing that changes how the
 * payload is read (crit, b64): we make no other kind. */
static int32_t check_header(const char *header, size_t len)
{
    uint8_t json[MAX_JWS_HEADER + 1];
    long n = b64url_decode(json, MAX_JWS_HEADER, header, len);
    if (n <= 0)
        return cs_fail(CASESCRIBE_EPARSE, "the JWS header is not base64url JSON of at most %d bytes", MAX_JWS_HEADER);
    json_t *h = json_loadb((const char *)json, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
    const char *alg = h != NULL ? json_string_value(json_object_get(h, "alg")) : NULL;
    int32_t rc = CASESCRIBE_OK;
    if (!json_is_object(h))
        rc = cs_fail(CASESCRIBE_EPARSE, "the JWS header is not a JSON object");
    else if (alg == NULL || strcmp(alg, "EdDSA") != 0)
        rc = cs_fail(CASESCRIBE_EVERIFY, "the JWS is not signed with EdDSA");
    else if (json_object_get(h, "crit") != NULL || json_object_get(h, "b64") != NULL)
        rc = cs_fail(CASESCRIBE_EVERIFY, "the JWS header has crit or b64 parameters this library does not make");
    json_decref(h);
    return rc;
}

int32_t casescribe_jws_verify(const char *jws, const uint8_t *pubkey_pem, size_t pubkey_len, const uint8_t *payload,
                              size_t payload_len)
{
    if (jws == NULL || pubkey_pem == NULL || (payload == NULL && payload_len > 0))
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_jws_verify: jws, pubkey_pem and payload are required");
    if (payload_len > CASESCRIBE_MAX_PAYLOAD)
        return cs_fail(CASESCRIBE_ETOOBIG, "a JWS payload may be at most %u bytes", (unsigned)CASESCRIBE_MAX_PAYLOAD);
    const char *dots = strstr(jws, "..");
    size_t header_len = dots != NULL ? (size_t)(dots - jws) : 0;
    if (dots == NULL || strchr(dots + 2, '.') != NULL || header_len > 2 * MAX_JWS_HEADER)
        return cs_fail(CASESCRIBE_EPARSE, "not a compact JWS with a detached payload (HEADER..SIGNATURE)");
    int32_t rc = check_header(jws, header_len);
    if (rc != CASESCRIBE_OK)
        return rc;
    uint8_t sig[ED25519_SIG_LEN];
    const char *sig64 = dots + 2;
    if (b64url_decode(sig, sizeof(sig), sig64, strlen(sig64)) != ED25519_SIG_LEN)
        return cs_fail(CASESCRIBE_EVERIFY, "the JWS signature is not 64 bytes of base64url");
    cs_keyring *ring = NULL;
    EVP_PKEY *pub = NULL;
    char key_id[CS_KEY_ID_MAX];
    if ((rc = cs_key_id_of_pem(key_id, pubkey_pem, pubkey_len)) == CASESCRIBE_OK &&
        (rc = cs_keyring_from_pem(&ring, pubkey_pem, pubkey_len)) == CASESCRIBE_OK)
        rc = cs_keyring_public(ring, key_id, &pub);
    char *header = rc == CASESCRIBE_OK ? strndup(jws, header_len) : NULL;
    char *input = header != NULL ? signing_input(header, payload ? payload : (const uint8_t *)"", payload_len) : NULL;
    if (rc == CASESCRIBE_OK && input == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc == CASESCRIBE_OK) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        int ok = md != NULL && EVP_DigestVerifyInit(md, NULL, NULL, NULL, pub) == 1 &&
                 EVP_DigestVerify(md, sig, sizeof(sig), (const uint8_t *)input, strlen(input)) == 1;
        EVP_MD_CTX_free(md);
        ERR_clear_error();
        if (!ok)
            rc = cs_fail(CASESCRIBE_EVERIFY, "the JWS signature does not match the payload and key");
    }
    free(header);
    free(input);
    EVP_PKEY_free(pub);
    cs_keyring_free(ring);
    return rc;
}
