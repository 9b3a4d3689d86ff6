/* SPDX-License-Identifier: Apache-2.0 */
/* names.c - the home's external names file: checked on the way to an
 * adapter, written and signed by casescribe_names_install(). The file is
 * signed like a template or a policy (Ed25519 over its exclusive C14N form
 * with comments, without <signature>), so a hand edit makes it unusable and
 * the save says so rather than read the edited names. */
#include "names.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "context.h"
#include "fill/template.h"
#include "internal.h"
#include "policy/policy.h"
#include "xml/safe_parse.h"
#include "xml/schema.h"

extern const unsigned char cs_names_schema[];
extern const unsigned int cs_names_schema_len;

static cs_xml_schema names_schema =
    CS_XML_SCHEMA_INIT(cs_names_schema, cs_names_schema_len, "urn:casescribe:names:1 names file");

static int32_t parse_valid(xmlDocPtr *doc, const uint8_t *xml, size_t len)
{
    int32_t rc = cs_xml_parse(doc, xml, len, CS_MAX_NAMES_BYTES);
    if (rc == CASESCRIBE_OK)
        rc = cs_xml_schema_validate(&names_schema, *doc);
    return rc;
}

static int32_t check_signed(const uint8_t *xml, size_t len, cs_keyring *keys)
{
    xmlDocPtr doc = NULL;
    char digest[CS_DIGEST_LEN];
    int32_t rc = parse_valid(&doc, xml, len);
    if (rc == CASESCRIBE_OK && cs_xml_signature_of(doc) == NULL)
        rc = cs_fail(CASESCRIBE_EVERIFY, "the home's names file (names.xml) is not signed by this home's key: "
                                         "install it with `casescribe names install FILE`");
    if (rc == CASESCRIBE_OK)
        rc = cs_policy_xml_check_signature(doc, keys, "home's names file (names.xml)", digest, NULL);
    xmlFreeDoc(doc);
    return rc;
}

/* ---- the files checked so far ------------------------------------------ */

/* A save reads the file each time, but checks it (schema, C14N, Ed25519)
 * only when its bytes are not those checked before for that path: the
 * check is what is kept, never the file's identity (an edit that kept its
 * size and times would otherwise go unseen). Keys are only ever added to a
 * home, so a signature that checked stays good. */
#define NAMES_CACHE 8
struct checked {
    char *path;
    uint8_t *bytes;
    size_t len;
};
static struct checked cache[NAMES_CACHE];
static size_t cache_next;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* Whether these bytes of this file were checked before. */
static int checked_before(const char *path, const uint8_t *bytes, size_t len)
{
    int found = 0;
    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < NAMES_CACHE && !found; i++) {
        const struct checked *c = &cache[i];
        found = c->path != NULL && c->len == len && strcmp(c->path, path) == 0 && memcmp(c->bytes, bytes, len) == 0;
    }
    pthread_mutex_unlock(&cache_lock);
    return found;
}

/* Remembers a checked file (best effort: out of memory forgets it). */
static void remember(const char *path, const uint8_t *bytes, size_t len)
{
    char *p = strdup(path);
    uint8_t *b = malloc(len + 1);
    if (p == NULL || b == NULL) {
        free(p);
        free(b);
        return;
    }
    memcpy(b, bytes, len + 1);
    pthread_mutex_lock(&cache_lock);
    struct checked *c = &cache[cache_next];
    cache_next = (cache_next + 1) % NAMES_CACHE;
    free(c->path);
    free(c->bytes);
    *c = (struct checked){p, b, len};
    pthread_mutex_unlock(&cache_lock);
}

int32_t cs_names_load(uint8_t **out, size_t *out_len, const char *home, cs_keyring *keys)
{
    *out = NULL;
    *out_len = 0;
    if (home == NULL)
        return CASESCRIBE_OK;
    char path[4200];
    struct stat st;
    snprintf(path, sizeof(path), "%s/names.xml", home);
    if (stat(path, &st) != 0)
        return errno == ENOENT ? CASESCRIBE_OK : cs_fail(CASESCRIBE_EIO, "cannot read the home's names file: %s",
                                                         strerror(errno));
    if (!S_ISREG(st.st_mode)) /* a FIFO would block the save, a folder is not a file */
        return cs_fail(CASESCRIBE_EIO, "the home's names file (names.xml) is not a regular file");
    size_t len = 0;
    uint8_t *bytes = NULL;
    int32_t rc = cs_read_file(&bytes, &len, path, CS_MAX_NAMES_BYTES);
    if (rc == CASESCRIBE_ENOTFOUND)
        return CASESCRIBE_OK;
    int fresh = rc == CASESCRIBE_OK && !checked_before(path, bytes, len);
    if (fresh && (rc = check_signed(bytes, len, keys)) == CASESCRIBE_OK)
        remember(path, bytes, len);
    if (rc != CASESCRIBE_OK) {
        free(bytes);
        return rc;
    }
    *out = bytes;
    *out_len = len;
    return CASESCRIBE_OK;
}

/* The file as it will be written: any old signature dropped, signed by
 * `key`, valid. */
static int32_t sign(uint8_t **out, size_t *out_len, const uint8_t *xml, size_t len, EVP_PKEY *key,
                    const char *key_id)
{
    *out = NULL;
    *out_len = 0;
    xmlDocPtr doc = NULL;
    int32_t rc = parse_valid(&doc, xml, len);
    if (rc == CASESCRIBE_OK)
        rc = cs_xml_sign_file(out, out_len, doc, key, key_id, &names_schema, "the names file");
    xmlFreeDoc(doc);
    return rc;
}

int32_t casescribe_names_install(casescribe_ctx *ctx, const uint8_t *xml, size_t len)
{
    if (ctx == NULL || xml == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_names_install: ctx and xml are required");
    if (cs_ctx_writable(ctx) != CASESCRIBE_OK)
        return CASESCRIBE_EIO;
    cs_clear_error();
    if (len > CS_MAX_NAMES_BYTES)
        return cs_fail(CASESCRIBE_ETOOBIG, "a names file is at most %u bytes", (unsigned)CS_MAX_NAMES_BYTES);
    EVP_PKEY *key = NULL;
    char key_id[CS_KEY_ID_MAX], path[4200];
    uint8_t *signed_xml = NULL;
    size_t signed_len = 0;
    int32_t rc = cs_keyring_signer(ctx->keys, &key, key_id);
    if (rc == CASESCRIBE_OK)
        rc = sign(&signed_xml, &signed_len, xml, len, key, key_id);
    snprintf(path, sizeof(path), "%s/names.xml", ctx->home);
    if (rc == CASESCRIBE_OK)
        rc = cs_write_file_atomic(path, signed_xml, signed_len, 0644);
    EVP_PKEY_free(key);
    free(signed_xml);
    return rc;
}
