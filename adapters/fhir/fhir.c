/* SPDX-License-Identifier: Apache-2.0 */
/* fhir.c - the "fhir" adapter: HL7 FHIR R4 in, the reference form out, and
 * back. The format of a payload is told by its first byte (JSON '{', XML
 * '<'), and encode answers in the format of the payload it is given as
 * `original`. README.md documents the mapping. */
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#include "fhir.h"
#include "map.h"

static size_t bom(const uint8_t *p, size_t len)
{
    return len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF ? 3 : 0;
}

int cs_fhir_format(const uint8_t *payload, size_t len)
{
    for (size_t i = payload != NULL ? bom(payload, len) : len; i < len; i++) {
        uint8_t c = payload[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        return c == '{' ? CS_FHIR_JSON : c == '<' ? CS_FHIR_XML : 0;
    }
    return 0;
}

static int32_t read_payload(fh_tree *t, const uint8_t *p, size_t len, int *format)
{
    *format = cs_fhir_format(p, len);
    if (*format == CS_FHIR_JSON) {
        size_t skip = bom(p, len);
        return fh_read_json(t, p + skip, len - skip);
    }
    if (*format == CS_FHIR_XML)
        return fh_read_xml(t, p, len);
    return fh_fail(t, CASESCRIBE_EPARSE,
                   "fhir: the payload is neither FHIR JSON (starting with '{') nor FHIR XML "
                   "(starting with '<')");
}

static int32_t write_payload(uint8_t **out, size_t *out_len, fh_tree *t, int format)
{
    return format == CS_FHIR_XML ? fh_write_xml((char **)out, out_len, t) : fh_write_json((char **)out, out_len, t);
}

int32_t cs_fhir_decode(uint8_t **form, size_t *form_len, const uint8_t *payload, size_t len)
{
    return cs_fhir_decode_named(form, form_len, payload, len, NULL, 0);
}

int32_t cs_fhir_decode_named(uint8_t **form, size_t *form_len, const uint8_t *payload, size_t len,
                             const uint8_t *names, size_t names_len)
{
    *form = NULL;
    *form_len = 0;
    if (payload == NULL || len > CASESCRIBE_MAX_PAYLOAD)
        return casescribe_set_error(payload == NULL ? CASESCRIBE_EINVAL : CASESCRIBE_ETOOBIG,
                                    "fhir: no payload, or one larger than the library accepts");
    fh_tree t;
    fh_tree_init(&t);
    int format = 0;
    fh_names *n = NULL;
    int32_t rc = read_payload(&t, payload, len, &format);
    if (rc == CASESCRIBE_OK)
        rc = fh_names_read(&t, &n, names, names_len);
    if (rc == CASESCRIBE_OK)
        rc = fh_form_from_fhir(form, form_len, &t, n);
    fh_names_free(n);
    fh_tree_free(&t);
    return rc;
}

/* ---- encode's check of its own output ------------------------------------ */

/* The next child that carries content: an element, or text that is not
 * only the whitespace between elements. */
static xmlNodePtr content(xmlNodePtr n)
{
    while (n != NULL && !(n->type == XML_ELEMENT_NODE || (n->type == XML_TEXT_NODE && !xmlIsBlankNode(n))))
        n = n->next;
    return n;
}

static int same_attrs(xmlNodePtr a, xmlNodePtr b)
{
    size_t na = 0, nb = 0;
    for (xmlAttrPtr p = a->properties; p != NULL; p = p->next, na++) {
        const char *va = fm_prop(a, (const char *)p->name), *vb = fm_prop(b, (const char *)p->name);
        if (va == NULL || vb == NULL || strcmp(va, vb) != 0)
            return 0;
    }
    for (xmlAttrPtr p = b->properties; p != NULL; p = p->next)
        nb++;
    return na == nb;
}

/* The same element, attributes (in any order) and content; whitespace
 * between elements aside, but not inside a <section>, whose text is the
 * record's. */
static int same_element(xmlNodePtr a, xmlNodePtr b, int depth)
{
    if (depth > FH_MAX_DEPTH || a->ns == NULL || b->ns == NULL ||
        strcmp((const char *)a->name, (const char *)b->name) != 0 ||
        strcmp((const char *)a->ns->href, (const char *)b->ns->href) != 0 || !same_attrs(a, b))
        return 0;
    if (fm_is(a, "section")) {
        xmlChar *ta = xmlNodeGetContent(a), *tb = xmlNodeGetContent(b);
        int same = ta != NULL && tb != NULL && strcmp((const char *)ta, (const char *)tb) == 0;
        xmlFree(ta);
        xmlFree(tb);
        return same;
    }
    xmlNodePtr x = content(a->children), y = content(b->children);
    for (; x != NULL && y != NULL; x = content(x->next), y = content(y->next)) {
        if (x->type != y->type)
            return 0;
        if (x->type == XML_TEXT_NODE ? strcmp((const char *)x->content, (const char *)y->content) != 0
                                     : !same_element(x, y, depth + 1))
            return 0;
    }
    return x == NULL && y == NULL;
}

/* A stamped record's FHIR must read back as exactly that record, or
 * `casescribe verify` could not pass on it: encode checks before it
 * answers, rather than hand the host a payload that will not verify. */
static int32_t reads_back(const uint8_t *form, size_t form_len, const uint8_t *payload, size_t len)
{
    uint8_t *again = NULL;
    size_t again_len = 0;
    void *a = NULL, *b = NULL;
    int32_t rc = cs_fhir_decode(&again, &again_len, payload, len);
    if (rc == CASESCRIBE_OK)
        rc = casescribe_xml_parse(&a, form, form_len);
    if (rc == CASESCRIBE_OK)
        rc = casescribe_xml_parse(&b, again, again_len);
    if (rc == CASESCRIBE_OK && !same_element(xmlDocGetRootElement((xmlDocPtr)a), xmlDocGetRootElement((xmlDocPtr)b), 0))
        rc = casescribe_set_error(CASESCRIBE_ESCHEMA, "fhir: the FHIR made for this record would not read back as "
                                                      "the same record");
    casescribe_xml_free(a);
    casescribe_xml_free(b);
    free(again);
    return rc;
}

static int stamped(xmlDocPtr doc)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    for (xmlNodePtr c = root != NULL ? root->children : NULL; c != NULL; c = c->next)
        if (fm_is(c, "provenance"))
            return 1;
    return 0;
}

int32_t cs_fhir_encode(uint8_t **out, size_t *out_len, casescribe_ctx *ctx, const uint8_t *form, size_t form_len,
                       const uint8_t *original, size_t original_len)
{
    *out = NULL;
    *out_len = 0;
    if (form == NULL || original == NULL)
        return casescribe_set_error(CASESCRIBE_EINVAL, "fhir: encode needs the form and the original payload");
    fh_tree orig, made;
    fh_tree_init(&orig);
    fh_tree_init(&made);
    int format = 0, is_stamped = 0;
    void *doc = NULL;
    int32_t rc = read_payload(&orig, original, original_len, &format);
    if (rc == CASESCRIBE_OK)
        rc = casescribe_xml_parse(&doc, form, form_len);
    if (rc == CASESCRIBE_OK) {
        is_stamped = stamped(doc);
        rc = fh_fhir_from_form(&made, doc, &orig, ctx);
    }
    if (rc == CASESCRIBE_OK)
        rc = write_payload(out, out_len, &made, format);
    if (rc == CASESCRIBE_OK && is_stamped)
        rc = reads_back(form, form_len, *out, *out_len);
    if (rc != CASESCRIBE_OK) {
        free(*out);
        *out = NULL;
        *out_len = 0;
    }
    casescribe_xml_free(doc);
    fh_tree_free(&orig);
    fh_tree_free(&made);
    return rc;
}

int32_t cs_fhir_convert(uint8_t **out, size_t *out_len, const uint8_t *payload, size_t len, int format)
{
    *out = NULL;
    *out_len = 0;
    if (payload == NULL || (format != CS_FHIR_JSON && format != CS_FHIR_XML))
        return casescribe_set_error(CASESCRIBE_EINVAL, "fhir: convert needs a payload and a format");
    fh_tree t;
    fh_tree_init(&t);
    int was = 0;
    int32_t rc = read_payload(&t, payload, len, &was);
    if (rc == CASESCRIBE_OK)
        rc = write_payload(out, out_len, &t, format);
    fh_tree_free(&t);
    return rc;
}

int32_t cs_fhir_signed_payload(char **canonical, size_t *canonical_len, char **jws, const uint8_t *payload, size_t len)
{
    *canonical = NULL;
    *canonical_len = 0;
    *jws = NULL;
    fh_tree t;
    fh_tree_init(&t);
    fh_parts p;
    int format = 0;
    int32_t rc = read_payload(&t, payload, len, &format);
    if (rc == CASESCRIBE_OK)
        rc = fh_parts_find(&t, &p);
    const char *data = rc == CASESCRIBE_OK ? fh_value(fh_child(p.prov, "signature", NULL), "data") : NULL;
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    if (rc == CASESCRIBE_OK && (data == NULL || fh_unbase64(&raw, &raw_len, data) != 0))
        rc = casescribe_set_error(CASESCRIBE_ESCHEMA, "fhir: the payload has no signed Provenance");
    if (rc == CASESCRIBE_OK)
        rc = fh_prov_canonical(canonical, canonical_len, &t, p.prov);
    if (rc == CASESCRIBE_OK) {
        raw[raw_len] = '\0'; /* fh_unbase64 leaves room */
        *jws = (char *)raw;
        raw = NULL;
    }
    free(raw);
    fh_tree_free(&t);
    return rc;
}

/* ---- the adapter ---------------------------------------------------------- */

static int32_t fhir_decode_named(void *user, casescribe_buf *form_out, const uint8_t *payload, size_t len,
                                 const uint8_t *names, size_t names_len)
{
    (void)user;
    uint8_t *form = NULL;
    size_t form_len = 0;
    int32_t rc = cs_fhir_decode_named(&form, &form_len, payload, len, names, names_len);
    if (rc == CASESCRIBE_OK)
        rc = casescribe_buf_append(form_out, form, form_len);
    free(form);
    return rc;
}

static int32_t fhir_decode(void *user, casescribe_buf *form_out, const uint8_t *payload, size_t len)
{
    (void)user;
    uint8_t *form = NULL;
    size_t form_len = 0;
    int32_t rc = cs_fhir_decode(&form, &form_len, payload, len);
    if (rc == CASESCRIBE_OK)
        rc = casescribe_buf_append(form_out, form, form_len);
    free(form);
    return rc;
}

static int32_t fhir_encode(void *user, casescribe_buf *payload_out, casescribe_ctx *ctx, const uint8_t *form,
                           size_t form_len, const uint8_t *original, size_t original_len)
{
    (void)user;
    uint8_t *out = NULL;
    size_t out_len = 0;
    int32_t rc = cs_fhir_encode(&out, &out_len, ctx, form, form_len, original, original_len);
    if (rc == CASESCRIBE_OK)
        rc = casescribe_buf_append(payload_out, out, out_len);
    free(out);
    return rc;
}

int32_t cs_fhir_adapter_fill(casescribe_adapter *a)
{
    if (a == NULL)
        return CASESCRIBE_EINVAL;
    a->name = "fhir";
    a->user = NULL;
    a->decode = fhir_decode;
    a->encode = fhir_encode;
    if (a->struct_size >= sizeof(casescribe_adapter) && a->version >= 2)
        a->decode_named = fhir_decode_named; /* contract 2: the home's names file on a save */
    return CASESCRIBE_OK;
}
