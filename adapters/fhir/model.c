/* SPDX-License-Identifier: Apache-2.0 */
/* model.c - FHIR trees: making, linking, copying, comparing and freeing
 * nodes. Every allocation is counted against FH_MAX_NODES and checked;
 * a failure is remembered in the tree, so that builder calls after it do
 * nothing. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

void fh_tree_init(fh_tree *t)
{
    memset(t, 0, sizeof(*t));
}

/* Frees a node and its subtree. Depth is bounded by the readers and the
 * builders (FH_MAX_DEPTH), so recursion is bounded too. */
static void node_free(fh_node *n)
{
    while (n != NULL) {
        fh_node *next = n->next;
        node_free(n->first);
        free(n->value);
        free(n->id);
        free(n->url);
        free(n);
        n = next;
    }
}

void fh_tree_free(fh_tree *t)
{
    if (t == NULL)
        return;
    node_free(t->root);
    t->root = NULL;
    t->nodes = 0;
}

int32_t fh_fail(fh_tree *t, int32_t status, const char *fmt, ...)
{
    if (t != NULL && t->status != CASESCRIBE_OK)
        return t->status; /* the first failure is the one to report */
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (t != NULL)
        t->status = status;
    return casescribe_set_error(status, msg);
}

fh_node *fh_node_new(fh_tree *t, const fh_type *type, const fh_elem *elem, size_t order)
{
    if (t->status != CASESCRIBE_OK)
        return NULL;
    if (t->nodes >= FH_MAX_NODES) {
        fh_fail(t, CASESCRIBE_EPARSE, "fhir: the payload holds more than %u elements", FH_MAX_NODES);
        return NULL;
    }
    fh_node *n = calloc(1, sizeof(*n));
    if (n == NULL) {
        fh_fail(t, CASESCRIBE_ENOMEM, "fhir: out of memory");
        return NULL;
    }
    t->nodes++;
    n->type = type;
    n->elem = elem;
    n->order = order;
    return n;
}

void fh_link(fh_node *parent, fh_node *kid)
{
    kid->next = NULL;
    if (parent->last == NULL) {
        parent->first = parent->last = kid;
        return;
    }
    if (parent->last->order <= kid->order) { /* the usual case: in order already */
        parent->last->next = kid;
        parent->last = kid;
        return;
    }
    fh_node **p = &parent->first;
    while ((*p)->order <= kid->order)
        p = &(*p)->next;
    kid->next = *p;
    *p = kid;
}

int fh_strdup(fh_tree *t, char **dst, const char *s, size_t len)
{
    *dst = malloc(len + 1);
    if (*dst == NULL) {
        fh_fail(t, CASESCRIBE_ENOMEM, "fhir: out of memory");
        return -1;
    }
    memcpy(*dst, s, len);
    (*dst)[len] = '\0';
    return 0;
}

fh_node *fh_new_root(fh_tree *t, const char *resource_type)
{
    const fh_type *type = fh_resource_find(resource_type);
    if (type == NULL) {
        fh_fail(t, CASESCRIBE_EINTERNAL, "fhir: no resource type %s in the table", resource_type);
        return NULL;
    }
    t->root = fh_node_new(t, type, NULL, 0);
    return t->root;
}

/* A child element of parent by name, unlinked; the builders' common part. */
static fh_node *new_child(fh_tree *t, fh_node *parent, const char *name, const fh_type **type)
{
    const fh_elem *e = NULL;
    size_t order = 0;
    *type = NULL;
    if (parent == NULL || t->status != CASESCRIBE_OK)
        return NULL;
    if (fh_elem_find(parent->type, name, &e, type, &order) != 0 || (e->flags & (FH_REFUSE | FH_SKIP)) != 0) {
        fh_fail(t, CASESCRIBE_EINTERNAL, "fhir: %s has no element %s the adapter may write", parent->type->name, name);
        return NULL;
    }
    return fh_node_new(t, *type, e, order);
}

fh_node *fh_add(fh_tree *t, fh_node *parent, const char *name, const char *value)
{
    const fh_type *type = NULL;
    fh_node *n = new_child(t, parent, name, &type);
    if (n == NULL)
        return NULL;
    if (type == NULL || (n->elem->flags & FH_HOLDS) != 0) {
        free(n);
        t->nodes--;
        fh_fail(t, CASESCRIBE_EINTERNAL, "fhir: %s.%s holds a resource: use fh_add_resource", parent->type->name, name);
        return NULL;
    }
    /* What the adapter writes is checked as the readers check what they
     * read, so that its output always reads back (and validates). */
    if (value != NULL && (type->kind >= FH_COMPLEX || fh_check_value(type, value, strlen(value)) != 0)) {
        free(n);
        t->nodes--;
        fh_fail(t, CASESCRIBE_ESCHEMA, "fhir: the value for %s.%s is %s", parent->type->name, name,
                value[0] == '\0' ? "empty, which FHIR cannot carry" : "not a valid FHIR value of its type");
        return NULL;
    }
    if (value != NULL && fh_strdup(t, &n->value, value, strlen(value)) != 0) {
        free(n);
        t->nodes--;
        return NULL;
    }
    fh_link(parent, n);
    return n;
}

fh_node *fh_add_resource(fh_tree *t, fh_node *parent, const char *name, const char *resource_type)
{
    const fh_type *type = NULL;
    fh_node *n = new_child(t, parent, name, &type);
    if (n == NULL)
        return NULL;
    n->type = fh_resource_find(resource_type);
    if ((n->elem->flags & FH_HOLDS) == 0 || n->type == NULL) {
        free(n);
        t->nodes--;
        fh_fail(t, CASESCRIBE_EINTERNAL, "fhir: %s.%s cannot hold a %s", parent->type->name, name, resource_type);
        return NULL;
    }
    fh_link(parent, n);
    return n;
}

fh_node *fh_add_ext(fh_tree *t, fh_node *parent, const char *url)
{
    fh_node *e = fh_add(t, parent, "extension", NULL);
    if (e != NULL && fh_strdup(t, &e->url, url, strlen(url)) != 0)
        return NULL;
    return e;
}

fh_node *fh_add_ext_value(fh_tree *t, fh_node *parent, const char *url, const char *value_name, const char *value)
{
    fh_node *e = fh_add_ext(t, parent, url);
    fh_add(t, e, value_name, value);
    return e;
}

fh_node *fh_add_coding(fh_tree *t, fh_node *parent, const char *name, const char *system, const char *code,
                       const char *display)
{
    fh_node *c = fh_add(t, parent, name, NULL);
    fh_add(t, c, "system", system);
    fh_add(t, c, "code", code);
    if (display != NULL)
        fh_add(t, c, "display", display);
    return c;
}

fh_node *fh_add_concept(fh_tree *t, fh_node *parent, const char *name, const char *system, const char *code,
                        const char *display)
{
    fh_node *cc = fh_add(t, parent, name, NULL);
    fh_add_coding(t, cc, "coding", system, code, display);
    return cc;
}

static int copy_string(fh_tree *t, char **dst, const char *src)
{
    return src == NULL ? 0 : fh_strdup(t, dst, src, strlen(src));
}

fh_node *fh_copy(fh_tree *t, fh_node *parent, const fh_node *src)
{
    fh_node *n = fh_node_new(t, src->type, src->elem, src->order);
    if (n == NULL)
        return NULL;
    if (copy_string(t, &n->value, src->value) || copy_string(t, &n->id, src->id) || copy_string(t, &n->url, src->url)) {
        node_free(n);
        return NULL;
    }
    for (const fh_node *k = src->first; k != NULL && t->status == CASESCRIBE_OK; k = k->next)
        fh_copy(t, n, k);
    if (parent != NULL)
        fh_link(parent, n);
    return n;
}

void fh_remove(fh_tree *t, fh_node *parent, fh_node *kid)
{
    fh_node *prev = NULL;
    for (fh_node *k = parent->first; k != NULL; prev = k, k = k->next) {
        if (k != kid)
            continue;
        if (prev == NULL)
            parent->first = k->next;
        else
            prev->next = k->next;
        if (parent->last == k)
            parent->last = prev;
        k->next = NULL;
        node_free(k);
        (void)t;
        return;
    }
}

/* ---- reading ----------------------------------------------------------- */

int fh_is(const fh_node *n, const char *name)
{
    if (n == NULL || n->elem == NULL)
        return 0;
    if (n->elem->choices == NULL)
        return strcmp(n->elem->name, name) == 0;
    char buf[FH_NAME_MAX];
    return strcmp(fh_node_name(n, buf, sizeof(buf)), name) == 0;
}

fh_node *fh_child(const fh_node *n, const char *name, const fh_node *after)
{
    if (n == NULL)
        return NULL;
    for (fh_node *k = after != NULL ? after->next : n->first; k != NULL; k = k->next)
        if (fh_is(k, name))
            return k;
    return NULL;
}

size_t fh_count(const fh_node *n, const char *name)
{
    size_t count = 0;
    for (const fh_node *k = fh_child(n, name, NULL); k != NULL; k = fh_child(n, name, k))
        count++;
    return count;
}

const char *fh_value(const fh_node *n, const char *name)
{
    const fh_node *k = fh_child(n, name, NULL);
    return k != NULL ? k->value : NULL;
}

fh_node *fh_ext(const fh_node *n, const char *url, const fh_node *after)
{
    for (fh_node *k = fh_child(n, "extension", after); k != NULL; k = fh_child(n, "extension", k))
        if (k->url != NULL && strcmp(k->url, url) == 0)
            return k;
    return NULL;
}

fh_node *fh_ext_value(const fh_node *ext)
{
    for (fh_node *k = ext != NULL ? ext->first : NULL; k != NULL; k = k->next)
        if (k->elem->choices != NULL)
            return k;
    return NULL;
}

static int same_string(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int skipped(const fh_node *n, const fh_node *const *skip)
{
    for (; skip != NULL && *skip != NULL; skip++)
        if (*skip == n)
            return 1;
    return 0;
}

static int equal(const fh_node *a, const fh_node *b, const fh_node *const *skip, int top)
{
    /* At the top, a resource may stand at the root or in a holder. */
    if (a->type != b->type || (!top && a->elem != b->elem) || !same_string(a->value, b->value) ||
        !same_string(a->id, b->id) || !same_string(a->url, b->url))
        return 0;
    const fh_node *x = a->first, *y = b->first;
    while (x != NULL || y != NULL) {
        if (x != NULL && skipped(x, skip)) {
            x = x->next;
            continue;
        }
        if (x == NULL || y == NULL || !equal(x, y, skip, 0))
            return 0;
        x = x->next;
        y = y->next;
    }
    return 1;
}

int fh_equal(const fh_node *a, const fh_node *b, const fh_node *const *skip)
{
    return equal(a, b, skip, 1);
}

const char *fh_printable(char *buf, size_t size, const char *name)
{
    size_t n = 0;
    for (const char *p = name; p != NULL && *p != '\0' && n + 1 < size && n < 40; p++)
        buf[n++] = (*p > 0x20 && *p < 0x7f) ? *p : '?';
    buf[n] = '\0';
    return buf;
}

int32_t fh_check_node(fh_tree *t, const fh_node *n)
{
    const fh_type *type = n->type;
    for (size_t i = 0; i < type->n_elems; i++) {
        if ((type->elems[i].flags & FH_REQ) == 0)
            continue;
        int found = 0;
        for (const fh_node *k = n->first; k != NULL && !found; k = k->next)
            found = k->order == i;
        if (!found)
            return fh_fail(t, CASESCRIBE_ESCHEMA, "fhir: %s.%s is required", type->name, type->elems[i].name);
    }
    if (type->kind != FH_RESOURCE && n->first == NULL && n->value == NULL)
        return fh_fail(t, CASESCRIBE_ESCHEMA, "fhir: an empty %s (every element needs a value or children)",
                       type->name);
    if (strcmp(type->name, "Extension") == 0) {
        int value = fh_ext_value(n) != NULL, nested = fh_child(n, "extension", NULL) != NULL;
        if (n->url == NULL || n->url[0] == '\0')
            return fh_fail(t, CASESCRIBE_ESCHEMA, "fhir: an extension without a url");
        if (value == nested)
            return fh_fail(t, CASESCRIBE_ESCHEMA, "fhir: an extension needs either a value or extensions, not both");
    }
    return CASESCRIBE_OK;
}
