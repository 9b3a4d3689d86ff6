/* SPDX-License-Identifier: Apache-2.0 */
/* keys.c - Ed25519 key files of a home, loaded with OpenSSL 3's EVP API. */
#include "provenance/keys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define KEY_FILE_MAX 16384 /* a PEM key is a few hundred bytes */

struct pubkey {
    char id[CS_KEY_ID_MAX];
    EVP_PKEY *pkey;
};

struct cs_keyring {
    pthread_mutex_t lock;
    char *home; /* NULL for a keyring made from a PEM */
    EVP_PKEY *signer;
    char signer_id[CS_KEY_ID_MAX];
    /* keys/current as it was when the signer was loaded: another process's
     * rotation changes it, and the next signature then uses the new key. */
    struct stat current_st;
    struct pubkey *pubs;
    size_t n_pubs;
    cs_key_lookup_fn lookup; /* keys known elsewhere (the home's key registry) */
    void *lookup_user;
};

/* ------------------------------------------------------------------------
 * Small file helpers
 * ------------------------------------------------------------------------ */
static int32_t keys_path(char *out, size_t n, const char *home, const char *name)
{
    int w = snprintf(out, n, "%s/keys%s%s", home, name ? "/" : "", name ? name : "");
    if (w < 0 || (size_t)w >= n)
        return cs_fail(CASESCRIBE_EINVAL, "the home path is too long");
    return CASESCRIBE_OK;
}

/* Reads a small file into a NUL-terminated buffer. With `private_file`, the
 * file must be a regular file that neither group nor others may read. */
static int32_t read_small_file(char **out, size_t *len, const char *path, int private_file)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return cs_fail(errno == ENOENT ? CASESCRIBE_ENOTFOUND : CASESCRIBE_EIO, "cannot open %s: %s", path,
                       strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > KEY_FILE_MAX) {
        close(fd);
        return cs_fail(CASESCRIBE_EKEY, "%s is not a regular key file of sane size", path);
    }
    if (private_file && (st.st_mode & 077) != 0) {
        close(fd);
        return cs_fail(CASESCRIBE_EKEY, "refusing %s: it is readable by others (mode %03o); run chmod 600 on it",
                       path, (unsigned)(st.st_mode & 0777));
    }
    char *buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        close(fd);
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory reading %s", path);
    }
    ssize_t got = read(fd, buf, (size_t)st.st_size);
    close(fd);
    if (got != st.st_size) {
        free(buf);
        return cs_fail(CASESCRIBE_EIO, "short read of %s", path);
    }
    buf[got] = '\0';
    *out = buf;
    *len = (size_t)got;
    return CASESCRIBE_OK;
}

int32_t cs_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
    char tmp[4096];
    int w = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
    if (w < 0 || (size_t)w >= sizeof(tmp))
        return cs_fail(CASESCRIBE_EINVAL, "path too long: %s", path);
    /* A fresh name made with O_EXCL (and mode 0600 until the fchmod below):
     * never a file someone placed there, never a link followed. */
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return cs_fail(CASESCRIBE_EIO, "cannot create %s: %s", tmp, strerror(errno));
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        p += n;
        left -= (size_t)n;
    }
    int ok = left == 0 && fchmod(fd, (mode_t)mode) == 0 && fsync(fd) == 0;
    ok = (close(fd) == 0) && ok;
    if (!ok || rename(tmp, path) != 0 || cs_fsync_parent(path) != 0) {
        int e = errno;
        unlink(tmp);
        return cs_fail(CASESCRIBE_EIO, "cannot write %s: %s", path, strerror(e));
    }
    return CASESCRIBE_OK;
}

/* ------------------------------------------------------------------------
 * Keys
 * ------------------------------------------------------------------------ */
static int32_t key_id_of(char out[CS_KEY_ID_MAX], EVP_PKEY *pkey)
{
    uint8_t raw[32], digest[32];
    size_t raw_len = sizeof(raw);
    if (EVP_PKEY_get_raw_public_key(pkey, raw, &raw_len) != 1 || raw_len != 32 ||
        EVP_Digest(raw, raw_len, digest, NULL, cs_sha256(), NULL) != 1) {
        ERR_clear_error();
        return cs_fail(CASESCRIBE_EKEY, "not an Ed25519 key");
    }
    memcpy(out, "ed25519:", 8);
    cs_hex(out + 8, digest, 8);
    return CASESCRIBE_OK;
}

/* The DER forms OpenSSL writes an Ed25519 key in (RFC 8410): a
 * SubjectPublicKeyInfo and a PKCS#8 PrivateKeyInfo (version 0, no public
 * key), each a fixed prefix and the 32 raw key bytes. */
static const uint8_t ed25519_spki[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
static const uint8_t ed25519_pkcs8[] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                                        0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};

/* A key in exactly that form, from its raw bytes; NULL for any other form
 * (then OpenSSL's decoders, much slower to set up, read it). */
static EVP_PKEY *raw_key(const char *name, const uint8_t *der, long der_len, int private_key)
{
    const uint8_t *prefix = private_key ? ed25519_pkcs8 : ed25519_spki;
    size_t n = private_key ? sizeof(ed25519_pkcs8) : sizeof(ed25519_spki);
    if (strcmp(name, private_key ? "PRIVATE KEY" : "PUBLIC KEY") != 0 || der_len != (long)(n + 32) ||
        memcmp(der, prefix, n) != 0)
        return NULL;
    return private_key ? EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, der + n, 32)
                       : EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der + n, 32);
}

/* The first PEM block of pem, when it is an Ed25519 key in the form above. */
static EVP_PKEY *pem_to_raw_key(const char *pem, size_t len, int private_key)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    long der_len = 0;
    EVP_PKEY *k = NULL;
    if (bio != NULL && PEM_read_bio(bio, &name, &header, &der, &der_len) == 1 && header[0] == '\0')
        k = raw_key(name, der, der_len, private_key);
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_clear_free(der, der_len > 0 ? (size_t)der_len : 0);
    BIO_free(bio);
    ERR_clear_error();
    return k;
}

static EVP_PKEY *pem_to_key(const char *pem, size_t len, int private_key)
{
    EVP_PKEY *k = pem_to_raw_key(pem, len, private_key);
    if (k != NULL)
        return k;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL)
        return NULL;
    k = private_key ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (k != NULL && EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(k);
        k = NULL;
    }
    ERR_clear_error();
    return k;
}

static int32_t key_to_pem(char **out, size_t *len, EVP_PKEY *pkey, int private_key);

static int32_t add_public(cs_keyring *k, EVP_PKEY *pkey)
{
    char id[CS_KEY_ID_MAX];
    int32_t rc = key_id_of(id, pkey);
    if (rc != CASESCRIBE_OK)
        return rc;
    for (size_t i = 0; i < k->n_pubs; i++)
        if (strcmp(k->pubs[i].id, id) == 0)
            return CASESCRIBE_OK;
    struct pubkey *grown = realloc(k->pubs, (k->n_pubs + 1) * sizeof(*grown));
    if (grown == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory loading keys");
    k->pubs = grown;
    if (EVP_PKEY_up_ref(pkey) != 1)
        return cs_fail(CASESCRIBE_EINTERNAL, "EVP_PKEY_up_ref failed");
    memcpy(k->pubs[k->n_pubs].id, id, sizeof(id));
    k->pubs[k->n_pubs++].pkey = pkey;
    return CASESCRIBE_OK;
}

static int has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n > s && strcmp(name + n - s, suffix) == 0;
}

/* Loads every keys/<id>.pub not yet known. Caller holds k->lock. */
static int32_t load_public_keys(cs_keyring *k)
{
    char dir[4096], path[4096];
    int32_t rc = keys_path(dir, sizeof(dir), k->home, NULL);
    if (rc != CASESCRIBE_OK)
        return rc;
    DIR *d = opendir(dir);
    if (d == NULL)
        return errno == ENOENT ? CASESCRIBE_OK : cs_fail(CASESCRIBE_EIO, "cannot read %s: %s", dir, strerror(errno));
    struct dirent *e;
    while (rc == CASESCRIBE_OK && (e = readdir(d)) != NULL) {
        if (!has_suffix(e->d_name, ".pub") || snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
            continue;
        char *pem = NULL;
        size_t len = 0;
        if (read_small_file(&pem, &len, path, 0) != CASESCRIBE_OK)
            continue; /* an unreadable stray file must not stop the others */
        EVP_PKEY *pkey = pem_to_key(pem, len, 0);
        free(pem);
        if (pkey != NULL)
            rc = add_public(k, pkey);
        EVP_PKEY_free(pkey);
    }
    closedir(d);
    return rc;
}

/* Loads the key named in keys/current as the signer. Caller holds k->lock. */
/* 1 when keys/current is no longer the file the signer was loaded from. */
static int current_changed(const cs_keyring *k)
{
    char path[4096];
    struct stat st;
    if (keys_path(path, sizeof(path), k->home, "current") != CASESCRIBE_OK || stat(path, &st) != 0)
        return 0; /* nothing to reload from: keep what we have */
    return st.st_ino != k->current_st.st_ino || st.st_dev != k->current_st.st_dev ||
           st.st_size != k->current_st.st_size || st.st_mtim.tv_sec != k->current_st.st_mtim.tv_sec ||
           st.st_mtim.tv_nsec != k->current_st.st_mtim.tv_nsec;
}

static void remember_current(cs_keyring *k)
{
    char path[4096];
    if (keys_path(path, sizeof(path), k->home, "current") != CASESCRIBE_OK || stat(path, &k->current_st) != 0)
        memset(&k->current_st, 0, sizeof(k->current_st));
}

static int32_t load_signer(cs_keyring *k)
{
    char path[4096];
    char *id = NULL, *pem = NULL;
    size_t len = 0;
    int32_t rc = keys_path(path, sizeof(path), k->home, "current");
    if (rc == CASESCRIBE_OK)
        rc = read_small_file(&id, &len, path, 0);
    if (rc == CASESCRIBE_ENOTFOUND) {
        cs_clear_error();
        return CASESCRIBE_OK; /* no key yet: saves will say so */
    }
    if (rc != CASESCRIBE_OK)
        return rc;
    id[strcspn(id, "\r\n")] = '\0';
    if (strlen(id) >= CS_KEY_ID_MAX - 5 || strchr(id, '/') != NULL) {
        free(id);
        return cs_fail(CASESCRIBE_EKEY, "keys/current does not hold a key id");
    }
    char name[CS_KEY_ID_MAX + 8];
    snprintf(name, sizeof(name), "%s.key", id);
    rc = keys_path(path, sizeof(path), k->home, name);
    if (rc == CASESCRIBE_OK)
        rc = read_small_file(&pem, &len, path, 1);
    if (rc == CASESCRIBE_OK) {
        char got[CS_KEY_ID_MAX];
        EVP_PKEY *pkey = pem_to_key(pem, len, 1);
        if (pkey == NULL)
            rc = cs_fail(CASESCRIBE_EKEY, "%s is not an Ed25519 private key", path);
        else if ((rc = key_id_of(got, pkey)) == CASESCRIBE_OK && strcmp(got, id) != 0)
            rc = cs_fail(CASESCRIBE_EKEY, "%s holds key %s, not %s", path, got, id);
        if (rc == CASESCRIBE_OK)
            rc = add_public(k, pkey);
        if (rc == CASESCRIBE_OK) {
            EVP_PKEY_free(k->signer);
            k->signer = pkey;
            memcpy(k->signer_id, got, sizeof(got));
            remember_current(k);
        } else {
            EVP_PKEY_free(pkey);
        }
    }
    if (pem != NULL)
        OPENSSL_cleanse(pem, len);
    free(pem);
    free(id);
    return rc;
}

static cs_keyring *keyring_new(const char *home)
{
    cs_keyring *k = calloc(1, sizeof(*k));
    if (k == NULL)
        return NULL;
    if (pthread_mutex_init(&k->lock, NULL) != 0) {
        free(k);
        return NULL;
    }
    if (home != NULL && (k->home = cs_strdup(home)) == NULL) {
        cs_keyring_free(k);
        return NULL;
    }
    return k;
}

void cs_keyring_free(cs_keyring *k)
{
    if (k == NULL)
        return;
    for (size_t i = 0; i < k->n_pubs; i++)
        EVP_PKEY_free(k->pubs[i].pkey);
    free(k->pubs);
    EVP_PKEY_free(k->signer);
    free(k->home);
    pthread_mutex_destroy(&k->lock);
    free(k);
}

int32_t cs_keyring_load(cs_keyring **out, const char *home)
{
    *out = NULL;
    cs_keyring *k = keyring_new(home);
    if (k == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory loading keys");
    int32_t rc = load_public_keys(k);
    if (rc == CASESCRIBE_OK)
        rc = load_signer(k);
    if (rc != CASESCRIBE_OK) {
        cs_keyring_free(k);
        return rc;
    }
    *out = k;
    return CASESCRIBE_OK;
}

/* Adds the key of one PEM block, which must be an Ed25519 "PUBLIC KEY". */
static int32_t add_pem_block(cs_keyring *k, const char *name, const unsigned char *der, long der_len, size_t n)
{
    const unsigned char *p = der;
    EVP_PKEY *pkey = strcmp(name, "PUBLIC KEY") == 0 ? d2i_PUBKEY(NULL, &p, der_len) : NULL;
    int32_t rc = pkey != NULL && EVP_PKEY_get_id(pkey) == EVP_PKEY_ED25519
                     ? add_public(k, pkey)
                     : cs_fail(CASESCRIBE_EKEY, "block %zu of the PEM is not an Ed25519 public key", n);
    EVP_PKEY_free(pkey);
    return rc;
}

/* Adds every key of the PEM blocks in pem (text between blocks, such as a
 * bundle's comment lines, is skipped). EKEY when a block is not an Ed25519
 * public key (a private key is refused, never read), or there is none. */
static int32_t add_pem_keys(cs_keyring *k, const uint8_t *pem, size_t len)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory loading keys");
    int32_t rc = CASESCRIBE_OK;
    size_t n = 0;
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    long der_len = 0;
    while (rc == CASESCRIBE_OK && PEM_read_bio(bio, &name, &header, &der, &der_len) == 1) {
        rc = add_pem_block(k, name, der, der_len, ++n);
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(der);
    }
    unsigned long err = ERR_peek_last_error();
    if (rc == CASESCRIBE_OK && (n == 0 || ERR_GET_REASON(err) != PEM_R_NO_START_LINE))
        rc = cs_fail(CASESCRIBE_EKEY, n == 0 ? "not an Ed25519 public key in PEM form"
                                             : "block %zu of the PEM is damaged", n + 1);
    ERR_clear_error();
    BIO_free(bio);
    return rc;
}

int32_t cs_keyring_from_pem(cs_keyring **out, const uint8_t *pem, size_t len)
{
    *out = NULL;
    if (pem == NULL || len == 0 || len > CS_KEY_BUNDLE_MAX)
        return cs_fail(CASESCRIBE_EINVAL, "the public keys must be a PEM of at most %u bytes", CS_KEY_BUNDLE_MAX);
    cs_keyring *k = keyring_new(NULL);
    if (k == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory loading keys");
    int32_t rc = add_pem_keys(k, pem, len);
    if (rc != CASESCRIBE_OK) {
        cs_keyring_free(k);
        return rc;
    }
    *out = k;
    return CASESCRIBE_OK;
}

void cs_keyring_set_lookup(cs_keyring *k, cs_key_lookup_fn lookup, void *user)
{
    pthread_mutex_lock(&k->lock);
    k->lookup = lookup;
    k->lookup_user = user;
    pthread_mutex_unlock(&k->lock);
}

int32_t cs_keyring_each(cs_keyring *k, cs_key_visit_fn visit, void *user)
{
    pthread_mutex_lock(&k->lock);
    int32_t rc = CASESCRIBE_OK;
    for (size_t i = 0; rc == CASESCRIBE_OK && i < k->n_pubs; i++) {
        char *pem = NULL;
        size_t len = 0;
        rc = key_to_pem(&pem, &len, k->pubs[i].pkey, 0);
        if (rc == CASESCRIBE_OK)
            rc = visit(k->pubs[i].id, pem, k->signer != NULL && strcmp(k->signer_id, k->pubs[i].id) == 0, user);
        free(pem);
    }
    pthread_mutex_unlock(&k->lock);
    return rc;
}

int32_t cs_read_secret_file(char **out, size_t *len, const char *path)
{
    int32_t rc = read_small_file(out, len, path, 1);
    while (rc == CASESCRIBE_OK && *len > 0 && ((*out)[*len - 1] == '\n' || (*out)[*len - 1] == '\r'))
        (*out)[--*len] = '\0';
    return rc;
}

int32_t cs_key_file_private(EVP_PKEY **out, char key_id[CS_KEY_ID_MAX], const char *path)
{
    *out = NULL;
    char *pem = NULL;
    size_t len = 0;
    int32_t rc = read_small_file(&pem, &len, path, 1);
    if (rc != CASESCRIBE_OK)
        return rc;
    EVP_PKEY *k = pem_to_key(pem, len, 1);
    OPENSSL_cleanse(pem, len);
    free(pem);
    if (k == NULL)
        return cs_fail(CASESCRIBE_EKEY, "%s is not an Ed25519 private key in PEM form", path);
    rc = key_id_of(key_id, k);
    if (rc != CASESCRIBE_OK) {
        EVP_PKEY_free(k);
        return rc;
    }
    *out = k;
    return CASESCRIBE_OK;
}

int32_t cs_key_id_of_pem(char key_id[CS_KEY_ID_MAX], const uint8_t *pem, size_t len)
{
    if (pem == NULL || len == 0 || len > KEY_FILE_MAX)
        return cs_fail(CASESCRIBE_EKEY, "the public key must be a PEM of at most %d bytes", KEY_FILE_MAX);
    EVP_PKEY *k = pem_to_key((const char *)pem, len, 0);
    int32_t rc = k != NULL ? key_id_of(key_id, k) : cs_fail(CASESCRIBE_EKEY, "not an Ed25519 public key in PEM form");
    EVP_PKEY_free(k);
    return rc;
}

int32_t cs_key_fingerprint(char out[CS_KEY_FINGERPRINT_MAX], EVP_PKEY *key)
{
    unsigned char *der = NULL;
    uint8_t digest[32];
    int len = i2d_PUBKEY(key, &der);
    int ok = len > 0 && EVP_Digest(der, (size_t)len, digest, NULL, EVP_sha256(), NULL) == 1;
    OPENSSL_free(der);
    ERR_clear_error();
    if (!ok)
        return cs_fail(CASESCRIBE_EKEY, "cannot encode the public key to take its fingerprint");
    char hex[65];
    cs_hex(hex, digest, sizeof(digest));
    char *o = out;
    for (size_t i = 0; i < 64; i += 4) {
        if (i > 0)
            *o++ = ' ';
        memcpy(o, hex + i, 4);
        o += 4;
    }
    *o = '\0';
    return CASESCRIBE_OK;
}

int32_t cs_key_fingerprint_of_pem(char out[CS_KEY_FINGERPRINT_MAX], const uint8_t *pem, size_t len)
{
    if (pem == NULL || len == 0 || len > KEY_FILE_MAX)
        return cs_fail(CASESCRIBE_EKEY, "the public key must be a PEM of at most %d bytes", KEY_FILE_MAX);
    EVP_PKEY *k = pem_to_key((const char *)pem, len, 0);
    int32_t rc = k != NULL ? cs_key_fingerprint(out, k) : cs_fail(CASESCRIBE_EKEY, "not an Ed25519 public key in PEM form");
    EVP_PKEY_free(k);
    return rc;
}

static int32_t make_keys_folder(const char *home)
{
    char dir[4096];
    int32_t rc = keys_path(dir, sizeof(dir), home, NULL);
    if (rc != CASESCRIBE_OK)
        return rc;
    if (mkdir(dir, 0700) == 0) {
        if (cs_fsync_parent(dir) != 0)
            return cs_fail(CASESCRIBE_EIO, "cannot sync the home holding %s: %s", dir, strerror(errno));
    } else if (errno != EEXIST) {
        return cs_fail(CASESCRIBE_EIO, "cannot create %s: %s", dir, strerror(errno));
    }
    return CASESCRIBE_OK;
}

/* Serialises a key to PEM in malloc'd memory. */
static int32_t key_to_pem(char **out, size_t *len, EVP_PKEY *pkey, int private_key)
{
    *out = NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    int ok = bio != NULL && (private_key ? PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL)
                                         : PEM_write_bio_PUBKEY(bio, pkey));
    char *data = NULL;
    long n = ok ? BIO_get_mem_data(bio, &data) : 0;
    if (ok && n > 0 && (*out = malloc((size_t)n + 1)) != NULL) {
        memcpy(*out, data, (size_t)n);
        (*out)[n] = '\0';
        *len = (size_t)n;
    }
    if (bio != NULL && private_key)
        (void)BIO_reset(bio); /* the memory BIO wipes nothing; keep the copy short-lived */
    BIO_free(bio);
    ERR_clear_error();
    return *out != NULL ? CASESCRIBE_OK : cs_fail(CASESCRIBE_ENOMEM, "cannot serialise the key");
}

static int32_t write_key_pair(const char *home, EVP_PKEY *pkey, const char *id)
{
    char path[4096], name[CS_KEY_ID_MAX + 8];
    char *pem = NULL;
    size_t len = 0;
    snprintf(name, sizeof(name), "%s.key", id);
    int32_t rc = keys_path(path, sizeof(path), home, name);
    if (rc == CASESCRIBE_OK && (rc = key_to_pem(&pem, &len, pkey, 1)) == CASESCRIBE_OK) {
        rc = cs_write_file_atomic(path, pem, len, 0600);
        OPENSSL_cleanse(pem, len);
        free(pem);
    }
    snprintf(name, sizeof(name), "%s.pub", id);
    if (rc == CASESCRIBE_OK && (rc = keys_path(path, sizeof(path), home, name)) == CASESCRIBE_OK &&
        (rc = key_to_pem(&pem, &len, pkey, 0)) == CASESCRIBE_OK) {
        rc = cs_write_file_atomic(path, pem, len, 0644);
        free(pem);
    }
    return rc;
}

static int32_t new_ed25519(EVP_PKEY **out)
{
    *out = NULL;
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    if (pctx == NULL || EVP_PKEY_keygen_init(pctx) != 1 || EVP_PKEY_keygen(pctx, out) != 1) {
        EVP_PKEY_CTX_free(pctx);
        ERR_clear_error();
        return cs_fail(CASESCRIBE_EKEY, "OpenSSL could not generate an Ed25519 key");
    }
    EVP_PKEY_CTX_free(pctx);
    return CASESCRIBE_OK;
}

int32_t cs_keyring_generate(cs_keyring *k, const char *home, int rotate, char **key_id_out)
{
    char id[CS_KEY_ID_MAX], path[4096];
    EVP_PKEY *pkey = NULL;
    pthread_mutex_lock(&k->lock);
    /* Another process may have made a key since we loaded: look on disk. */
    int32_t rc = load_signer(k);
    if (rc == CASESCRIBE_OK && k->signer != NULL && !rotate)
        rc = cs_fail(CASESCRIBE_EKEY, "this home already has a signing key (%s); use rotation to replace it",
                     k->signer_id);
    if (rc == CASESCRIBE_OK)
        rc = make_keys_folder(home);
    if (rc == CASESCRIBE_OK)
        rc = new_ed25519(&pkey);
    if (rc == CASESCRIBE_OK)
        rc = key_id_of(id, pkey);
    if (rc == CASESCRIBE_OK)
        rc = write_key_pair(home, pkey, id);
    if (rc == CASESCRIBE_OK && (rc = keys_path(path, sizeof(path), home, "current")) == CASESCRIBE_OK)
        rc = cs_write_file_atomic(path, id, strlen(id), 0644);
    if (rc == CASESCRIBE_OK)
        rc = add_public(k, pkey);
    if (rc == CASESCRIBE_OK) {
        /* The old private key has no more work: records it signed verify
         * with its public key, which stays. Left on disk it could still
         * sign, so it goes. */
        if (k->signer != NULL && strcmp(k->signer_id, id) != 0) {
            char name[CS_KEY_ID_MAX + 8];
            snprintf(name, sizeof(name), "%s.key", k->signer_id);
            if (keys_path(path, sizeof(path), home, name) == CASESCRIBE_OK && unlink(path) == 0)
                (void)cs_fsync_parent(path);
        }
        EVP_PKEY_free(k->signer);
        k->signer = pkey;
        memcpy(k->signer_id, id, sizeof(id));
        remember_current(k);
        pkey = NULL;
        if (key_id_out != NULL && (*key_id_out = cs_strdup(id)) == NULL)
            rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    }
    pthread_mutex_unlock(&k->lock);
    EVP_PKEY_free(pkey);
    return rc;
}

int32_t cs_keyring_signer(cs_keyring *k, EVP_PKEY **pkey, char key_id[CS_KEY_ID_MAX])
{
    *pkey = NULL;
    pthread_mutex_lock(&k->lock);
    int32_t rc = CASESCRIBE_OK;
    if (k->home != NULL && (k->signer == NULL || current_changed(k)))
        rc = load_signer(k); /* a key made or rotated by another process since */
    if (rc == CASESCRIBE_OK && k->signer == NULL)
        rc = cs_fail(CASESCRIBE_EKEY, "this home has no signing key yet: run `casescribe keygen`");
    if (rc == CASESCRIBE_OK && EVP_PKEY_up_ref(k->signer) == 1) {
        *pkey = k->signer;
        memcpy(key_id, k->signer_id, CS_KEY_ID_MAX);
    }
    pthread_mutex_unlock(&k->lock);
    return rc;
}

static EVP_PKEY *find_public(cs_keyring *k, const char *key_id)
{
    for (size_t i = 0; i < k->n_pubs; i++)
        if (strcmp(k->pubs[i].id, key_id) == 0 && EVP_PKEY_up_ref(k->pubs[i].pkey) == 1)
            return k->pubs[i].pkey;
    return NULL;
}

/* The key from the lookup (the registry), called without k->lock held:
 * it may read the store. The key it gives must have the id asked for. */
static EVP_PKEY *looked_up(cs_keyring *k, cs_key_lookup_fn lookup, void *user, const char *key_id)
{
    char *pem = NULL, got[CS_KEY_ID_MAX];
    if (lookup == NULL)
        return NULL;
    if (lookup(key_id, &pem, user) != CASESCRIBE_OK || pem == NULL) {
        free(pem);
        cs_clear_error(); /* the caller says the key is not known here */
        return NULL;
    }
    EVP_PKEY *pkey = pem_to_key(pem, strlen(pem), 0);
    free(pem);
    if (pkey == NULL || key_id_of(got, pkey) != CASESCRIBE_OK || strcmp(got, key_id) != 0 ||
        pthread_mutex_lock(&k->lock) != 0) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    (void)add_public(k, pkey);
    pthread_mutex_unlock(&k->lock);
    return pkey;
}

int32_t cs_keyring_public(cs_keyring *k, const char *key_id, EVP_PKEY **pkey)
{
    pthread_mutex_lock(&k->lock);
    *pkey = find_public(k, key_id);
    if (*pkey == NULL && k->home != NULL && load_public_keys(k) == CASESCRIBE_OK)
        *pkey = find_public(k, key_id);
    cs_key_lookup_fn lookup = k->lookup;
    void *user = k->lookup_user;
    pthread_mutex_unlock(&k->lock);
    if (*pkey == NULL)
        *pkey = looked_up(k, lookup, user, key_id);
    if (*pkey == NULL)
        return cs_fail(CASESCRIBE_EKEY, "the record was signed by key %s, which is not known here", key_id);
    return CASESCRIBE_OK;
}

int32_t cs_keyring_current_pem(cs_keyring *k, char **pem)
{
    char id[CS_KEY_ID_MAX];
    EVP_PKEY *pkey = NULL;
    size_t len = 0;
    int32_t rc = cs_keyring_signer(k, &pkey, id);
    if (rc == CASESCRIBE_OK)
        rc = key_to_pem(pem, &len, pkey, 0);
    EVP_PKEY_free(pkey);
    return rc;
}

int32_t cs_fingerprint_secret(uint8_t out[32], const char *home, int create)
{
    char path[4096];
    char *data = NULL;
    size_t len = 0;
    int32_t rc = keys_path(path, sizeof(path), home, "fingerprint.secret");
    if (rc != CASESCRIBE_OK)
        return rc;
    rc = read_small_file(&data, &len, path, 1);
    if (rc == CASESCRIBE_ENOTFOUND && create) {
        uint8_t fresh[32];
        if (RAND_bytes(fresh, sizeof(fresh)) != 1)
            return cs_fail(CASESCRIBE_EINTERNAL, "no randomness for the fingerprint secret");
        if ((rc = make_keys_folder(home)) != CASESCRIBE_OK)
            return rc;
        /* link() instead of rename(): if two processes race, the first secret wins. */
        char tmp[4200];
        snprintf(tmp, sizeof(tmp), "%s.new.%ld", path, (long)getpid());
        rc = cs_write_file_atomic(tmp, fresh, sizeof(fresh), 0600);
        if (rc == CASESCRIBE_OK && link(tmp, path) != 0 && errno != EEXIST)
            rc = cs_fail(CASESCRIBE_EIO, "cannot create %s: %s", path, strerror(errno));
        unlink(tmp);
        OPENSSL_cleanse(fresh, sizeof(fresh));
        if (rc == CASESCRIBE_OK)
            rc = read_small_file(&data, &len, path, 1);
    }
    if (rc == CASESCRIBE_OK && len != 32)
        rc = cs_fail(CASESCRIBE_EKEY, "%s is damaged (expected 32 bytes)", path);
    if (rc == CASESCRIBE_OK)
        memcpy(out, data, 32);
    if (data != NULL)
        OPENSSL_cleanse(data, len);
    free(data);
    return rc;
}

int32_t cs_api_key(char **key, const char *file, const char *env_name)
{
    *key = NULL;
    size_t len = 0;
    if (file != NULL)
        return cs_read_secret_file(key, &len, file);
    const char *env = env_name != NULL ? getenv(env_name) : NULL;
    if (env_name != NULL && (env == NULL || env[0] == '\0'))
        return cs_fail(CASESCRIBE_EKEY, "the environment variable %s holding the API key is not set", env_name);
    if (env != NULL && (*key = cs_strdup(env)) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    return CASESCRIBE_OK;
}

int32_t cs_key_public_pem(char **pem, size_t *len, EVP_PKEY *key)
{
    return key_to_pem(pem, len, key, 0);
}
