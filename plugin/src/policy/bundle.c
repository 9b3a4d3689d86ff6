/* SPDX-License-Identifier: Apache-2.0 */
/* bundle.c - reading, verifying and signing a council's policy bundle. */
#include "policy/bundle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "xml/safe_parse.h"

void cs_bundle_free(cs_bundle *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->n_teams; i++)
        cs_policy_free(b->teams[i]);
    free(b->teams);
    free(b->issued_by);
    free(b->issued_at);
    free(b->key_id);
    free(b);
}

/* The serial: a positive integer (the schema says so) that fits 63 bits. */
static int32_t read_serial(cs_bundle *b, xmlNodePtr root)
{
    char *text = cs_policy_xml_attr(root, "serial"), *end = NULL;
    if (text == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    int ok = errno == 0 && end != text && *end == '\0' && v > 0 && v <= INT64_MAX;
    free(text);
    if (!ok)
        return cs_fail(CASESCRIBE_ESCHEMA, "the bundle's serial is not a number from 1 to 2^63-1");
    b->serial = v;
    return CASESCRIBE_OK;
}

static int32_t read_team(cs_bundle *b, xmlNodePtr node)
{
    char *name = cs_policy_xml_attr(node, "name");
    cs_policy *p = NULL;
    int32_t rc = name != NULL ? cs_policy_defaults(&p, name) : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    free(name);
    if (rc != CASESCRIBE_OK)
        return rc;
    b->teams[b->n_teams++] = p; /* owned by the bundle from here on */
    if (cs_policy_xml_settings(p, node) != 0 || (p->changed_by = cs_strdup(b->issued_by)) == NULL ||
        (p->changed_at = cs_strdup(b->issued_at)) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory reading a policy bundle");
    return CASESCRIBE_OK;
}

/* Fills `b` from a validated, verified document. */
static int32_t read_model(cs_bundle *b, xmlNodePtr root)
{
    int32_t rc = read_serial(b, root);
    if (rc != CASESCRIBE_OK)
        return rc;
    if ((b->issued_by = cs_policy_xml_attr(root, "issued-by")) == NULL ||
        (b->issued_at = cs_policy_xml_attr(root, "issued-at")) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    size_t n = 0;
    for (xmlNodePtr c = root->children; c != NULL; c = c->next)
        n += cs_xml_is_element(c, "team");
    if (n > 0 && (b->teams = calloc(n, sizeof(*b->teams))) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    for (xmlNodePtr c = root->children; rc == CASESCRIBE_OK && c != NULL; c = c->next)
        if (cs_xml_is_element(c, "team"))
            rc = read_team(b, c);
    return rc;
}

int32_t cs_bundle_read(cs_bundle **out, const uint8_t *buf, size_t len, cs_keyring *admin_keys)
{
    *out = NULL;
    xmlDocPtr doc = NULL;
    cs_bundle *b = calloc(1, sizeof(*b));
    int32_t rc = b != NULL ? cs_xml_parse(&doc, buf, len, CS_BUNDLE_MAX_BYTES)
                           : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc == CASESCRIBE_OK)
        rc = cs_policy_xml_validate(doc);
    if (rc == CASESCRIBE_OK && !cs_policy_xml_is(xmlDocGetRootElement(doc), "bundle"))
        rc = cs_fail(CASESCRIBE_ESCHEMA, "not a urn:casescribe:policy:1 bundle");
    /* The signature first: nothing of an unverified bundle is read. */
    if (rc == CASESCRIBE_OK)
        rc = cs_policy_xml_check_signature(doc, admin_keys, "policy bundle", b->digest, &b->key_id);
    if (rc == CASESCRIBE_OK)
        rc = read_model(b, xmlDocGetRootElement(doc));
    xmlFreeDoc(doc);
    if (rc != CASESCRIBE_OK) {
        cs_bundle_free(b);
        return rc;
    }
    *out = b;
    return CASESCRIBE_OK;
}

int32_t cs_bundle_sign(uint8_t **out, size_t *out_len, const uint8_t *in, size_t len, EVP_PKEY *key,
                       const char *key_id)
{
    *out = NULL;
    *out_len = 0;
    xmlDocPtr doc = NULL;
    int32_t rc = cs_xml_parse(&doc, in, len, CS_BUNDLE_MAX_BYTES);
    xmlNodePtr root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
    if (rc == CASESCRIBE_OK && !cs_policy_xml_is(root, "bundle"))
        rc = cs_fail(CASESCRIBE_ESCHEMA, "not a urn:casescribe:policy:1 bundle");
    if (rc == CASESCRIBE_OK) {
        for (xmlNodePtr c = root->children, next; c != NULL; c = next) {
            next = c->next;
            if (cs_xml_is_element(c, "signature")) {
                xmlUnlinkNode(c);
                xmlFreeNode(c);
            }
        }
        char digest[CS_DIGEST_LEN];
        rc = cs_policy_xml_sign(out, out_len, digest, doc, key, key_id);
    }
    xmlFreeDoc(doc);
    return rc;
}
