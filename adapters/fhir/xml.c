/* SPDX-License-Identifier: Apache-2.0 */
/* xml.c - FHIR XML to and from the FHIR model.
 *
 * Reading goes through the library's hardened parser alone
 * (casescribe_xml_parse: no network, no DTD, no entities, bounded depth
 * and size), then walks libxml2's tree: elements in the FHIR namespace,
 * values in value="" attributes, element ids in id="", an extension's url
 * in url="", a resource inside its holder element. Comments are allowed and
 * dropped; any other text, attribute or namespace is refused. Writing uses
 * libxml2's tree API, so escaping is libxml2's. */
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* ---- reading ----------------------------------------------------------- */

static int32_t read_node(fh_tree *t, xmlNodePtr x, fh_node *node, int depth);

static int is_fhir(xmlNodePtr x)
{
    return x->type == XML_ELEMENT_NODE && x->ns != NULL && strcmp((const char *)x->ns->href, FH_NS) == 0;
}

static int32_t bad(fh_tree *t, const fh_node *node, const char *name, const char *problem)
{
    char buf[48];
    return fh_fail(t, CASESCRIBE_ESCHEMA, "fhir: %s.%s %s", node->type->name, fh_printable(buf, sizeof(buf), name),
                   problem);
}

/* Copies attribute a's value into *slot after checking it as `type`. */
static int32_t read_attr(fh_tree *t, fh_node *node, xmlAttrPtr a, char **slot, const fh_type *type)
{
    if (*slot != NULL)
        return bad(t, node, (const char *)a->name, "appears twice");
    xmlChar *v = xmlNodeListGetString(a->doc, a->children, 1);
    const char *s = v != NULL ? (const char *)v : "";
    int32_t rc = CASESCRIBE_OK;
    if (fh_check_value(type, s, strlen(s)) != 0)
        rc = bad(t, node, (const char *)a->name, strlen(s) == 0 ? "is empty" : "is not a valid value of its type");
    else if (fh_strdup(t, slot, s, strlen(s)) != 0)
        rc = t->status;
    xmlFree(v);
    return rc;
}

static int32_t read_attrs(fh_tree *t, xmlNodePtr x, fh_node *node)
{
    int32_t rc = CASESCRIBE_OK;
    for (xmlAttrPtr a = x->properties; a != NULL && rc == CASESCRIBE_OK; a = a->next) {
        const char *name = (const char *)a->name;
        if (a->ns != NULL)
            rc = bad(t, node, name, "is an attribute in a namespace this adapter does not read");
        else if (strcmp(name, "value") == 0 && node->type->kind < FH_COMPLEX)
            rc = read_attr(t, node, a, &node->value, node->type);
        else if (strcmp(name, "id") == 0 && node->type->kind != FH_RESOURCE)
            rc = read_attr(t, node, a, &node->id, fh_type_find("uri"));
        else if (strcmp(name, "url") == 0 && strcmp(node->type->name, "Extension") == 0)
            rc = read_attr(t, node, a, &node->url, fh_type_find("uri"));
        else
            rc = bad(t, node, name, "is not an attribute FHIR allows here");
    }
    return rc;
}

/* The resource inside a holder element (<resource>, <contained>): exactly
 * one FHIR element naming a resource type. `parent` names the place in
 * messages (the holder has no type until its resource is found). */
static int32_t read_holder(fh_tree *t, xmlNodePtr x, const fh_node *parent, fh_node *holder, const char *name,
                           int depth)
{
    xmlNodePtr inner = NULL;
    for (xmlNodePtr c = x->children; c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            if (inner != NULL || !is_fhir(c))
                return bad(t, parent, name, "must hold exactly one FHIR resource");
            inner = c;
        } else if (c->type != XML_COMMENT_NODE && !(c->type == XML_TEXT_NODE && xmlIsBlankNode(c))) {
            return bad(t, parent, name, "holds something other than a resource");
        }
    }
    if (x->properties != NULL)
        return bad(t, parent, name, "has attributes");
    holder->type = inner != NULL ? fh_resource_find((const char *)inner->name) : NULL;
    if (holder->type == NULL)
        return bad(t, parent, name, "must hold a resource of a type this adapter reads");
    if (depth + 1 > FH_MAX_DEPTH)
        return fh_fail(t, CASESCRIBE_EPARSE, "fhir: elements are nested deeper than %d", FH_MAX_DEPTH);
    return read_node(t, inner, holder, depth + 1);
}

/* Child element c of node. */
static int32_t read_child(fh_tree *t, xmlNodePtr c, fh_node *node, int depth)
{
    const char *name = (const char *)c->name;
    const fh_elem *e = NULL;
    const fh_type *type = NULL;
    size_t order = 0;
    if (!is_fhir(c))
        return bad(t, node, name, "is not in the FHIR namespace");
    if (fh_elem_find(node->type, name, &e, &type, &order) != 0)
        return bad(t, node, name, "is not an element this adapter knows");
    if ((e->flags & FH_SKIP) != 0) {
        t->narrative = 1; /* dropped: decode refuses it in a stamped payload */
        return CASESCRIBE_OK;
    }
    if ((e->flags & FH_REFUSE) != 0)
        return bad(t, node, name, "is not supported by the fhir adapter");
    if ((e->flags & FH_HOLDS) == 0 && type == NULL)
        return bad(t, node, name, "has no type");
    if ((e->flags & FH_MANY) == 0)
        for (const fh_node *k = node->first; k != NULL; k = k->next)
            if (k->order == order)
                return bad(t, node, name, "does not repeat, so it may appear only once");
    if (depth > FH_MAX_DEPTH)
        return fh_fail(t, CASESCRIBE_EPARSE, "fhir: elements are nested deeper than %d", FH_MAX_DEPTH);
    fh_node *n = fh_node_new(t, type, e, order);
    if (n == NULL)
        return t->status;
    fh_link(node, n);
    if ((e->flags & FH_HOLDS) != 0)
        return read_holder(t, c, node, n, name, depth);
    return read_node(t, c, n, depth);
}

static int32_t read_node(fh_tree *t, xmlNodePtr x, fh_node *node, int depth)
{
    int32_t rc = read_attrs(t, x, node);
    for (xmlNodePtr c = x->children; c != NULL && rc == CASESCRIBE_OK; c = c->next) {
        if (c->type == XML_ELEMENT_NODE)
            rc = read_child(t, c, node, depth + 1);
        else if (c->type == XML_TEXT_NODE && !xmlIsBlankNode(c))
            rc = bad(t, node, "text()", "holds text: FHIR puts values in value attributes");
        else if (c->type != XML_TEXT_NODE && c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE)
            rc = bad(t, node, "node()", "holds something FHIR XML does not have (CDATA, entity)");
    }
    if (rc == CASESCRIBE_OK)
        rc = fh_check_node(t, node);
    return rc;
}

int32_t fh_read_xml(fh_tree *t, const uint8_t *bytes, size_t len)
{
    void *parsed = NULL;
    int32_t rc = casescribe_xml_parse(&parsed, bytes, len);
    if (rc != CASESCRIBE_OK) {
        t->status = rc; /* the parser's message says why */
        return rc;
    }
    xmlDocPtr doc = parsed;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    const fh_type *type = root != NULL && is_fhir(root) ? fh_resource_find((const char *)root->name) : NULL;
    if (type == NULL)
        rc = fh_fail(t, CASESCRIBE_ESCHEMA,
                     "fhir: the payload is not a FHIR resource this adapter reads "
                     "(a Bundle or a QuestionnaireResponse in " FH_NS ")");
    else if ((t->root = fh_node_new(t, type, NULL, 0)) == NULL)
        rc = t->status;
    else
        rc = read_node(t, root, t->root, 1);
    casescribe_xml_free(doc);
    return rc;
}

/* ---- writing ----------------------------------------------------------- */

struct xml_writer {
    xmlDocPtr doc;
    xmlNsPtr ns;
    int failed;
};

static void put_attr(struct xml_writer *w, xmlNodePtr x, const char *name, const char *value)
{
    if (!w->failed && value != NULL && xmlNewProp(x, (const xmlChar *)name, (const xmlChar *)value) == NULL)
        w->failed = 1;
}

static xmlNodePtr put_element(struct xml_writer *w, xmlNodePtr parent, const char *name)
{
    xmlNodePtr x = w->failed ? NULL : xmlNewChild(parent, w->ns, (const xmlChar *)name, NULL);
    if (x == NULL)
        w->failed = 1;
    return x;
}

static void write_node(struct xml_writer *w, xmlNodePtr x, const fh_node *n)
{
    if (n->type->kind != FH_RESOURCE)
        put_attr(w, x, "id", n->id);
    put_attr(w, x, "url", n->url);
    if (n->type->kind < FH_COMPLEX)
        put_attr(w, x, "value", n->value);
    for (const fh_node *k = n->first; k != NULL && !w->failed; k = k->next) {
        char name[FH_NAME_MAX];
        xmlNodePtr c = put_element(w, x, fh_node_name(k, name, sizeof(name)));
        if (c != NULL && (k->elem->flags & FH_HOLDS) != 0)
            c = put_element(w, c, k->type->name);
        if (c != NULL)
            write_node(w, c, k);
    }
}

int32_t fh_write_xml(char **out, size_t *out_len, fh_tree *t)
{
    *out = NULL;
    *out_len = 0;
    struct xml_writer w = {xmlNewDoc((const xmlChar *)"1.0"), NULL, 0};
    xmlNodePtr root = w.doc != NULL ? xmlNewDocNode(w.doc, NULL, (const xmlChar *)t->root->type->name, NULL) : NULL;
    if (root != NULL) {
        xmlDocSetRootElement(w.doc, root);
        w.ns = xmlNewNs(root, (const xmlChar *)FH_NS, NULL);
    }
    w.failed = root == NULL || w.ns == NULL;
    if (!w.failed) {
        xmlSetNs(root, w.ns);
        write_node(&w, root, t->root);
    }
    xmlChar *mem = NULL;
    int size = 0;
    if (!w.failed)
        xmlDocDumpFormatMemoryEnc(w.doc, &mem, &size, "UTF-8", 1);
    xmlFreeDoc(w.doc);
    if (mem == NULL || size <= 0 || fh_strdup(t, out, (const char *)mem, (size_t)size) != 0) {
        xmlFree(mem);
        return fh_fail(t, CASESCRIBE_ENOMEM, "fhir: out of memory writing XML");
    }
    xmlFree(mem);
    *out_len = (size_t)size;
    return CASESCRIBE_OK;
}
