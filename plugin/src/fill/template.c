/* SPDX-License-Identifier: Apache-2.0 */
/* template.c - reading form templates (urn:casescribe:template:1). A
 * template decides which sections a computer may ever draft, so it is read
 * as hostile input and checked against the embedded schema like a form. */
#include "fill/template.h"

#include <dirent.h>
#include <libxml/c14n.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "policy/policy.h"
#include "provenance/stamp.h"
#include "xml/safe_parse.h"
#include "xml/schema.h"

extern const unsigned char cs_template_schema[];
extern const unsigned int cs_template_schema_len;

static cs_xml_schema template_schema =
    CS_XML_SCHEMA_INIT(cs_template_schema, cs_template_schema_len, "urn:casescribe:template:1 template");

casescribe_template *cs_template_ref(casescribe_template *t)
{
    if (t != NULL)
        __atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
    return t;
}

static void free_section(cs_template_section *s)
{
    free(s->id);
    free(s->title);
    free(s->guidance);
    free(s->cues);
    for (size_t i = 0; i < s->n_prompts; i++)
        free(s->prompts[i]);
    free(s->prompts);
}

void cs_template_unref(casescribe_template *t)
{
    if (t == NULL || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    for (size_t i = 0; i < t->n_sections; i++)
        free_section(&t->sections[i]);
    free(t->sections);
    free(t->id);
    free(t->title);
    free(t->description);
    free(t);
}

const cs_template_section *cs_template_find_section(const casescribe_template *t, const char *id)
{
    for (size_t i = 0; t != NULL && id != NULL && i < t->n_sections; i++)
        if (strcmp(t->sections[i].id, id) == 0)
            return &t->sections[i];
    return NULL;
}

/* ---- decoding --------------------------------------------------------------- */

static size_t count(xmlNodePtr parent, const char *name)
{
    size_t n = 0;
    for (xmlNodePtr c = parent->children; c != NULL; c = c->next)
        n += cs_xml_is_element(c, name);
    return n;
}

/* Element text with its runs of whitespace folded to one space: templates
 * are written by people, indented, over several lines. */
static char *folded_text(xmlNodePtr n)
{
    xmlChar *v = xmlNodeGetContent(n);
    char *out = cs_strdup(v != NULL ? (const char *)v : "");
    xmlFree(v);
    if (out == NULL)
        return NULL;
    char *w = out;
    int space = 1;
    for (const char *r = out; *r != '\0'; r++) {
        int ws = *r == ' ' || *r == '\t' || *r == '\n' || *r == '\r';
        if (ws && !space)
            *w++ = ' ';
        else if (!ws)
            *w++ = *r;
        space = ws;
    }
    if (w > out && w[-1] == ' ')
        w--;
    *w = '\0';
    return out;
}

static char *attr(xmlNodePtr n, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    char *copy = v != NULL ? cs_strdup((const char *)v) : NULL;
    xmlFree(v);
    return copy;
}

static int decode_section(cs_template_section *s, xmlNodePtr n)
{
    char *ai = attr(n, "ai");
    s->never = ai == NULL || strcmp(ai, "draft") != 0; /* anything but an explicit "draft" is never */
    free(ai);
    s->id = attr(n, "id");
    size_t np = count(n, "prompt");
    if (np > 0 && (s->prompts = calloc(np, sizeof(*s->prompts))) == NULL)
        return -1;
    for (xmlNodePtr c = n->children; c != NULL; c = c->next) {
        if (cs_xml_is_element(c, "title"))
            s->title = folded_text(c);
        else if (cs_xml_is_element(c, "guidance"))
            s->guidance = folded_text(c);
        else if (cs_xml_is_element(c, "cues"))
            s->cues = folded_text(c);
        else if (cs_xml_is_element(c, "prompt") && (s->prompts[s->n_prompts++] = folded_text(c)) == NULL)
            return -1;
    }
    if (s->cues == NULL)
        s->cues = cs_strdup("");
    return s->id == NULL || s->title == NULL || s->guidance == NULL || s->cues == NULL ? -1 : 0;
}

static int decode_template(casescribe_template *t, xmlNodePtr root)
{
    char *version = attr(root, "version");
    unsigned long v = version != NULL ? strtoul(version, NULL, 10) : 0;
    t->version = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    free(version);
    if ((t->id = attr(root, "id")) == NULL)
        return -1;
    size_t ns = count(root, "section");
    if ((t->sections = calloc(ns ? ns : 1, sizeof(*t->sections))) == NULL)
        return -1;
    for (xmlNodePtr c = root->children; c != NULL; c = c->next) {
        if (cs_xml_is_element(c, "title") && (t->title = folded_text(c)) == NULL)
            return -1;
        if (cs_xml_is_element(c, "description") && (t->description = folded_text(c)) == NULL)
            return -1;
        if (cs_xml_is_element(c, "section") && decode_section(&t->sections[t->n_sections++], c) != 0)
            return -1;
    }
    if (t->description == NULL && (t->description = cs_strdup("")) == NULL)
        return -1;
    return t->title == NULL ? -1 : 0;
}

int32_t casescribe_template_open(casescribe_template **template_out, const uint8_t *xml, size_t len)
{
    if (template_out != NULL)
        *template_out = NULL;
    if (template_out == NULL || xml == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_template_open: template_out and xml are required");
    cs_clear_error();
    xmlDocPtr doc = NULL;
    int32_t rc = cs_xml_parse(&doc, xml, len, CS_MAX_TEMPLATE_BYTES);
    if (rc == CASESCRIBE_OK)
        rc = cs_xml_schema_validate(&template_schema, doc);
    casescribe_template *t = rc == CASESCRIBE_OK ? calloc(1, sizeof(*t)) : NULL;
    if (rc == CASESCRIBE_OK && t == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory reading a template");
    if (t != NULL) {
        t->refs = 1;
        if (decode_template(t, xmlDocGetRootElement(doc)) != 0)
            rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory reading a template");
    }
    xmlFreeDoc(doc);
    if (rc != CASESCRIBE_OK) {
        cs_template_unref(t);
        return rc;
    }
    *template_out = t;
    return CASESCRIBE_OK;
}

int32_t cs_template_read_file(casescribe_template **out, const char *path)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    int32_t rc = cs_read_file(&bytes, &len, path, CS_MAX_TEMPLATE_BYTES);
    if (rc == CASESCRIBE_OK)
        rc = casescribe_template_open(out, bytes, len);
    free(bytes);
    return rc;
}

/* ---- shipped templates and signed ones ------------------------------------- */

const cs_shipped_template *cs_template_shipped(const char *id)
{
    for (size_t i = 0; id != NULL && i < cs_n_shipped_templates; i++)
        if (strcmp(cs_shipped_templates[i].id, id) == 0)
            return &cs_shipped_templates[i];
    return NULL;
}

/* A template with a shipped template's id may add `never` sections, never
 * remove one: the worker's judgement stays the worker's. */
static int32_t keeps_never(const casescribe_template *t, const char *what)
{
    const cs_shipped_template *sh = cs_template_shipped(t->id);
    casescribe_template *orig = NULL;
    if (sh == NULL)
        return CASESCRIBE_OK;
    int32_t rc = casescribe_template_open(&orig, sh->bytes, *sh->len);
    for (size_t i = 0; rc == CASESCRIBE_OK && i < orig->n_sections; i++) {
        const cs_template_section *mine = cs_template_find_section(t, orig->sections[i].id);
        if (orig->sections[i].never && (mine == NULL || !mine->never))
            rc = cs_fail(CASESCRIBE_EPOLICY,
                         "%s replaces the shipped template %s but drops its ai=\"never\" section '%s': a template "
                         "may add never sections, never remove one",
                         what, t->id, orig->sections[i].id);
    }
    cs_template_unref(orig);
    return rc;
}

xmlNodePtr cs_xml_signature_of(xmlDocPtr doc)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    for (xmlNodePtr c = root != NULL ? root->children : NULL; c != NULL; c = c->next)
        if (cs_xml_is_element(c, "signature"))
            return c;
    return NULL;
}

static int32_t parse_valid(xmlDocPtr *doc, const uint8_t *xml, size_t len)
{
    int32_t rc = cs_xml_parse(doc, xml, len, CS_MAX_TEMPLATE_BYTES);
    if (rc == CASESCRIBE_OK)
        rc = cs_xml_schema_validate(&template_schema, *doc);
    return rc;
}

int32_t cs_template_read_signed(casescribe_template **out, const uint8_t *xml, size_t len, cs_keyring *keys,
                                const char *what)
{
    *out = NULL;
    xmlDocPtr doc = NULL;
    char digest[CS_DIGEST_LEN];
    int32_t rc = parse_valid(&doc, xml, len);
    if (rc == CASESCRIBE_OK && cs_xml_signature_of(doc) == NULL)
        rc = cs_fail(CASESCRIBE_EVERIFY, "the %s is not signed by this home's key: install it with `casescribe "
                                         "templates install FILE`",
                     what);
    if (rc == CASESCRIBE_OK)
        rc = cs_policy_xml_check_signature(doc, keys, what, digest, NULL);
    xmlFreeDoc(doc);
    if (rc == CASESCRIBE_OK)
        rc = casescribe_template_open(out, xml, len);
    if (rc == CASESCRIBE_OK && (rc = keeps_never(*out, what)) != CASESCRIBE_OK) {
        cs_template_unref(*out);
        *out = NULL;
    }
    return rc;
}

/* Adds a <signature> over the C14N form (with comments) of `doc`. */
int32_t cs_xml_add_signature(xmlDocPtr doc, EVP_PKEY *key, const char *key_id)
{
    xmlChar *msg = NULL;
    char b64[CS_SIGNATURE_B64_LEN];
    int size = xmlC14NDocDumpMemory(doc, NULL, XML_C14N_EXCLUSIVE_1_0, NULL, 1, &msg);
    int32_t rc = size < 0 || msg == NULL ? cs_fail(CASESCRIBE_ENOMEM, "out of memory canonicalising a template")
                                         : cs_ed25519_sign(b64, key, msg, (size_t)size);
    xmlFree(msg);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr sig = rc == CASESCRIBE_OK ? xmlNewChild(root, root->ns, (const xmlChar *)"signature",
                                                       (const xmlChar *)b64)
                                         : NULL;
    if (rc == CASESCRIBE_OK &&
        (sig == NULL || xmlNewProp(sig, (const xmlChar *)"algorithm", (const xmlChar *)"ed25519") == NULL ||
         xmlNewProp(sig, (const xmlChar *)"key-id", (const xmlChar *)key_id) == NULL))
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory signing a template");
    return rc;
}

/* Signs `doc` as this home (a signature it carried, another home's, is
 * dropped first), checks the result still reads as `schema`, and writes it
 * into *out (malloc). `what` names the file in messages. */
int32_t cs_xml_sign_file(uint8_t **out, size_t *out_len, xmlDocPtr doc, EVP_PKEY *key, const char *key_id,
                         cs_xml_schema *schema, const char *what)
{
    xmlNodePtr old = cs_xml_signature_of(doc);
    if (old != NULL) {
        xmlUnlinkNode(old);
        xmlFreeNode(old);
    }
    int32_t rc = cs_xml_add_signature(doc, key, key_id);
    if (rc == CASESCRIBE_OK)
        rc = cs_xml_schema_validate(schema, doc); /* never write a file that would not read back */
    xmlChar *mem = NULL;
    int size = 0;
    if (rc == CASESCRIBE_OK) {
        xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
        if (mem == NULL || size <= 0 || (*out = malloc((size_t)size)) == NULL)
            rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory writing %s", what);
        else
            memcpy(*out, mem, (size_t)size), *out_len = (size_t)size;
    }
    xmlFree(mem);
    return rc;
}

int32_t cs_template_sign(uint8_t **out, size_t *out_len, const uint8_t *xml, size_t len, EVP_PKEY *key,
                         const char *key_id)
{
    *out = NULL;
    *out_len = 0;
    xmlDocPtr doc = NULL;
    casescribe_template *t = NULL;
    int32_t rc = parse_valid(&doc, xml, len);
    if (rc == CASESCRIBE_OK && (rc = casescribe_template_open(&t, xml, len)) == CASESCRIBE_OK)
        rc = keeps_never(t, "the template");
    cs_template_unref(t);
    if (rc == CASESCRIBE_OK)
        rc = cs_xml_sign_file(out, out_len, doc, key, key_id, &template_schema, "a template");
    xmlFreeDoc(doc);
    return rc;
}

/* ---- finding templates ----------------------------------------------------- */

static int valid_template_id(const char *id)
{
    size_t n = id != NULL ? strlen(id) : 0;
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') || (i > 0 && id[i] == '-')))
            return 0;
    return 1;
}

const char *cs_templates_dir(void)
{
    const char *dir = getenv("CASESCRIBE_TEMPLATE_DIR");
    return dir != NULL && dir[0] != '\0' ? dir : CS_TEMPLATEDIR;
}

/* A template file: in the installed folder, the shipped template byte for
 * byte is taken as it is; anything else must be signed by the home. */
static int32_t read_candidate(casescribe_template **out, const char *path, cs_keyring *keys, const char *id,
                              int installed)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    char what[4300];
    int32_t rc = cs_read_file(&bytes, &len, path, CS_MAX_TEMPLATE_BYTES);
    const cs_shipped_template *sh = cs_template_shipped(id);
    snprintf(what, sizeof(what), "template file %s", path);
    if (rc == CASESCRIBE_OK && installed && sh != NULL && len == *sh->len && memcmp(bytes, sh->bytes, len) == 0)
        rc = casescribe_template_open(out, bytes, len);
    else if (rc == CASESCRIBE_OK)
        rc = cs_template_read_signed(out, bytes, len, keys, what);
    free(bytes);
    if (rc == CASESCRIBE_OK && strcmp((*out)->id, id) != 0) {
        cs_template_unref(*out);
        *out = NULL;
        return cs_fail(CASESCRIBE_ESCHEMA, "the template file %s says its id is not '%s'", path, id);
    }
    return rc;
}

int32_t cs_template_lookup(casescribe_template **out, const char *home, cs_keyring *keys, const char *id)
{
    *out = NULL;
    if (!valid_template_id(id))
        return cs_fail(CASESCRIBE_ENOTFOUND, "no template '%.64s': template ids are lowercase letters, digits and "
                                             "hyphens",
                       id != NULL ? id : "(null)");
    const char *dirs[2] = {home, cs_templates_dir()};
    for (int i = 0; i < 2; i++) {
        if (dirs[i] == NULL)
            continue;
        char path[4200];
        snprintf(path, sizeof(path), i == 0 ? "%s/templates/%s.xml" : "%s/%s.xml", dirs[i], id);
        int32_t rc = read_candidate(out, path, keys, id, i == 1);
        if (rc != CASESCRIBE_ENOTFOUND)
            return rc;
    }
    const cs_shipped_template *sh = cs_template_shipped(id);
    if (sh != NULL)
        return casescribe_template_open(out, sh->bytes, *sh->len);
    return cs_fail(CASESCRIBE_ENOTFOUND, "no template '%s' in the home's templates/, in %s or shipped", id,
                   cs_templates_dir());
}
