/* SPDX-License-Identifier: Apache-2.0 */
/* keys.h - the home's Ed25519 keys and fingerprint secret.
 *
 * Layout under <home>/keys/ (folder 0700):
 *   <key-id>.key        PKCS#8 PEM private key, 0600 (refused if group/other can read it)
 *   <key-id>.pub        SubjectPublicKeyInfo PEM public key
 *   current             the key id that signs new stamps
 *   fingerprint.secret  32 random bytes keying the laundering fingerprints, 0600
 * Rotated keys keep their .pub so that old records still verify.
 * A key id is "ed25519:" + the first 16 hex digits of SHA-256(raw public key).
 */
#ifndef CS_KEYS_H
#define CS_KEYS_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#define CS_KEY_ID_MAX 64

typedef struct cs_keyring cs_keyring;

/* Loads the public keys and the current private key of `home` (an empty
 * keyring when there is no keys/ folder yet). EKEY for an unsafe private key file. */
int32_t cs_keyring_load(cs_keyring **out, const char *home);
/* A keyring holding the public keys of a PEM (one key, or a bundle of
 * several as casescribe_keys_export writes: comment lines between blocks),
 * for verification without a home. EINVAL beyond CS_KEY_BUNDLE_MAX bytes,
 * EKEY when a block is not an Ed25519 public key or there is none. */
#define CS_KEY_BUNDLE_MAX (1024u * 1024u)
int32_t cs_keyring_from_pem(cs_keyring **out, const uint8_t *pem, size_t len);

/* Where cs_keyring_public looks for a key that neither the keyring nor the
 * keys/ folder holds (the home's key registry): OK with *pem malloc'd (a
 * public key PEM) or NULL when unknown. Called without the keyring's lock. */
typedef int32_t (*cs_key_lookup_fn)(const char *key_id, char **pem, void *user);
void cs_keyring_set_lookup(cs_keyring *k, cs_key_lookup_fn lookup, void *user);

/* Visits every public key the keyring holds (a home's: those of keys/ as
 * loaded): id, PEM
 * (borrowed for the call) and whether it is the current signing key. A
 * non-zero return stops the walk with that value. */
typedef int32_t (*cs_key_visit_fn)(const char *key_id, const char *pem, int current, void *user);
int32_t cs_keyring_each(cs_keyring *k, cs_key_visit_fn visit, void *user);
void cs_keyring_free(cs_keyring *k);

/* Makes a new key pair, writes it (atomically: temp file, fsync, rename,
 * fsync folder) and makes it current. EKEY when a key exists and !rotate. */
int32_t cs_keyring_generate(cs_keyring *k, const char *home, int rotate, char **key_id_out);

/* The current signing key, with a reference the caller drops with
 * EVP_PKEY_free, and its id. EKEY when there is none. Thread-safe. */
int32_t cs_keyring_signer(cs_keyring *k, EVP_PKEY **pkey, char key_id[CS_KEY_ID_MAX]);
/* The public key with `key_id` (reloading the keys folder once if unknown,
 * since another process may have rotated). EKEY when unknown. Thread-safe. */
int32_t cs_keyring_public(cs_keyring *k, const char *key_id, EVP_PKEY **pkey);
/* The public half of `key` as PEM (SubjectPublicKeyInfo), malloc'd. */
int32_t cs_key_public_pem(char **pem, size_t *len, EVP_PKEY *key);
/* The current public key as PEM, malloc'd. */
int32_t cs_keyring_current_pem(cs_keyring *k, char **pem);

/* A secret (an API key) from a small file that only its owner may read
 * (refused otherwise, EKEY), without its trailing newline. The caller
 * wipes and frees it. */
int32_t cs_read_secret_file(char **out, size_t *len, const char *path);

/* An API key for a remote service: from `file` (only its owner may read
 * it), else from the environment variable `env`; *key is NULL when neither
 * is given (a local server may need none). EKEY for an unset variable or an
 * unsafe file. The caller wipes (OPENSSL_cleanse) and frees it. */
int32_t cs_api_key(char **key, const char *file, const char *env);

/* An Ed25519 private key from a PEM file outside the home (a policy
 * admin's key), refused when group or others may read it; and its id. */
int32_t cs_key_file_private(EVP_PKEY **out, char key_id[CS_KEY_ID_MAX], const char *path);
/* The id of an Ed25519 public key in PEM form. EKEY when it is not one. */
int32_t cs_key_id_of_pem(char key_id[CS_KEY_ID_MAX], const uint8_t *pem, size_t len);

/* The fingerprint a council publishes for its public key: SHA-256 of the
 * key's DER SubjectPublicKeyInfo, 64 lowercase hex digits in groups of four
 * ("3f2a 9c41 ..."), the digits `openssl pkey -pubin -outform DER | sha256sum`
 * prints. EKEY when the key cannot be encoded. */
#define CS_KEY_FINGERPRINT_MAX 80
int32_t cs_key_fingerprint(char out[CS_KEY_FINGERPRINT_MAX], EVP_PKEY *key);
/* The same for an Ed25519 public key in PEM form. EKEY when it is not one. */
int32_t cs_key_fingerprint_of_pem(char out[CS_KEY_FINGERPRINT_MAX], const uint8_t *pem, size_t len);

/* Reads <home>/keys/fingerprint.secret, creating it (0600) if missing. */
int32_t cs_fingerprint_secret(uint8_t out[32], const char *home, int create);

/* Writes `len` bytes to `path` atomically: temp file with `mode`, fsync,
 * rename, fsync of the folder. */
int32_t cs_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode);

#endif
