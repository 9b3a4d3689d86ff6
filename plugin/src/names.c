/* SPDX-License-Identifier: Apache-2.0 */
/* names.c - the home's external names file: checked on the way to an
 * adapter, written and signed by casescribe_names_install(). The file is
 * signed like a template or a policy (Ed25519 over its exclusive C14N form
 * with comments, without <signature>), so a hand edit makes it unusable and
 * the save says so rather than read the edited names. */
#include "names.h"

#include <stdlib.h>
#include <string.h>

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

static xmlNodePtr signature_of(xmlDocPtr doc)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    for (xmlNodePtr c = root != NULL ? root->children : NULL; c != NULL; c = c->next)
        if (cs_xml_is_element(c, "signature"))
            return c;
    return NULL;
}

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
    if (rc == CASESCRIBE_OK && signature_of(doc) == NULL)
        rc = cs_fail(CASESCRIBE_EVERIFY, "the home's names file (names.xml) is not signed by this home's key: "
                                         "install it with `casescribe names install FILE`");
    if (rc == CASESCRIBE_OK)
        rc = cs_policy_xml_check_signature(doc, keys, "home's names file (names.xml)", digest, NULL);
    xmlFreeDoc(doc);
    return rc;
}

int32_t cs_names_load(uint8_t **out, size_t *out_len, const char *home, cs_keyring *keys)
{
    *out = NULL;
    *out_len = 0;
    if (home == NULL)
        return CASESCRIBE_OK;
    char path[4200];
    snprintf(path, sizeof(path), "%s/names.xml", home);
    uint8_t *bytes = NULL;
    size_t len = 0;
    int32_t rc = cs_read_file(&bytes, &len, path, CS_MAX_NAMES_BYTES);
    if (rc == CASESCRIBE_ENOTFOUND)
        return CASESCRIBE_OK;
    if (rc == CASESCRIBE_OK)
        rc = check_signed(bytes, len, keys);
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
    xmlNodePtr old = rc == CASESCRIBE_OK ? signature_of(doc) : NULL;
    if (old != NULL) {
        xmlUnlinkNode(old);
        xmlFreeNode(old);
    }
    if (rc == CASESCRIBE_OK)
        rc = cs_xml_add_signature(doc, key, key_id);
    if (rc == CASESCRIBE_OK)
        rc = cs_xml_schema_validate(&names_schema, doc); /* never write a file that would not read back */
    xmlChar *mem = NULL;
    int size = 0;
    if (rc == CASESCRIBE_OK) {
        xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
        if (mem == NULL || size <= 0 || (*out = malloc((size_t)size)) == NULL)
            rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory writing the names file");
        else
            memcpy(*out, mem, (size_t)size), *out_len = (size_t)size;
    }
    xmlFree(mem);
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
