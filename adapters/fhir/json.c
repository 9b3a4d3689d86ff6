/* SPDX-License-Identifier: Apache-2.0 */
/* json.c - FHIR JSON to and from the FHIR model, through jansson.
 *
 * Reading follows R4's JSON rules (json.html): repeating elements are
 * arrays (never empty), a primitive's id and extensions ride in "_name"
 * beside it (parallel arrays with nulls for repeating primitives), a
 * resource names its type in resourceType, and booleans and numbers are
 * JSON's own. Anything else is refused with ESCHEMA naming the element,
 * never its value. Size and nesting are bounded before jansson allocates
 * anything. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* JSON nesting: an element may be an object in an array, so twice the
 * element depth, and a little for "_name" objects. */
#define MAX_JSON_NESTING (2 * FH_MAX_DEPTH + 4)
/* JSON values before parsing: each costs jansson tens of bytes. */
#define MAX_JSON_VALUES (2u * FH_MAX_NODES)

/* ---- bounds before parsing --------------------------------------------- */

/* Bounds nesting and the number of values before jansson builds anything.
 * Approximate (the grammar is jansson's to check) but never lets through
 * more than it counts. */
static int32_t prescan(fh_tree *t, const uint8_t *p, size_t len)
{
    size_t depth = 0, values = 0;
    int in_string = 0, escaped = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = p[i];
        if (in_string) {
            if (escaped)
                escaped = 0;
            else if (c == '\\')
                escaped = 1;
            else if (c == '"')
                in_string = 0;
            continue;
        }
        if (c == '"')
            in_string = 1;
        else if ((c == ']' || c == '}') && depth > 0)
            depth--;
        else if ((c == '[' || c == '{') && ++depth > MAX_JSON_NESTING)
            return fh_fail(t, CASESCRIBE_EPARSE, "fhir: the JSON is nested deeper than %d", MAX_JSON_NESTING);
        if ((c == '[' || c == '{' || c == ',') && ++values > MAX_JSON_VALUES)
            return fh_fail(t, CASESCRIBE_EPARSE, "fhir: the JSON holds more than %u values", MAX_JSON_VALUES);
    }
    return CASESCRIBE_OK;
}

/* ---- reading ----------------------------------------------------------- */

static int32_t read_object(fh_tree *t, json_t *obj, fh_node *node, int depth);

static int32_t bad(fh_tree *t, const fh_node *parent, const char *name, const char *problem)
{
    char buf[48];
    return fh_fail(t, CASESCRIBE_ESCHEMA, "fhir: %s.%s %s", parent->type->name, fh_printable(buf, sizeof(buf), name),
                   problem);
}

/* The shortest decimal text that reads back as the same double. */
static void real_text(char *buf, size_t size, double v)
{
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(buf, size, "%.*g", precision, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* A JSON scalar as the primitive's text, by the JSON kind its type wants. */
static int32_t scalar_text(fh_tree *t, const fh_node *parent, const char *name, const fh_type *type, json_t *v,
                           char *num, size_t size, const char **text, size_t *len)
{
    *text = NULL;
    switch (type->kind) {
    case FH_STRING:
        if (!json_is_string(v))
            return bad(t, parent, name, "must be a JSON string");
        *text = json_string_value(v);
        *len = json_string_length(v);
        return CASESCRIBE_OK;
    case FH_BOOLEAN:
        if (!json_is_boolean(v))
            return bad(t, parent, name, "must be true or false");
        *text = json_is_true(v) ? "true" : "false";
        break;
    case FH_INTEGER:
        if (!json_is_integer(v))
            return bad(t, parent, name, "must be a JSON integer");
        snprintf(num, size, "%lld", (long long)json_integer_value(v));
        *text = num;
        break;
    case FH_DECIMAL:
        if (json_is_integer(v))
            snprintf(num, size, "%lld", (long long)json_integer_value(v));
        else if (json_is_real(v) && isfinite(json_real_value(v)))
            real_text(num, size, json_real_value(v));
        else
            return bad(t, parent, name, "must be a JSON number");
        *text = num;
        break;
    default:
        return bad(t, parent, name, "is not a primitive");
    }
    *len = strlen(*text);
    return CASESCRIBE_OK;
}

/* One primitive: its value (may be JSON null when "_name" carries
 * extensions) and its "_name" object (may be NULL or JSON null). */
static int32_t read_primitive(fh_tree *t, fh_node *parent, const char *name, fh_node *n, json_t *v, json_t *ext,
                              int depth)
{
    int has_value = v != NULL && !json_is_null(v), has_ext = ext != NULL && !json_is_null(ext);
    if (!has_value && !has_ext)
        return bad(t, parent, name, "has neither a value nor extensions");
    if (has_value) {
        char num[64];
        const char *text = NULL;
        size_t len = 0;
        int32_t rc = scalar_text(t, parent, name, n->type, v, num, sizeof(num), &text, &len);
        if (rc != CASESCRIBE_OK)
            return rc;
        if (fh_check_value(n->type, text, len) != 0)
            return bad(t, parent, name,
                       n->type->kind == FH_STRING && len == 0 ? "is empty" : "is not a valid value of its type");
        if (fh_strdup(t, &n->value, text, len) != 0)
            return t->status;
    }
    if (has_ext) {
        if (!json_is_object(ext))
            return bad(t, parent, name, "has a \"_\" part that is not an object");
        return read_object(t, ext, n, depth);
    }
    return CASESCRIBE_OK;
}

/* One occurrence of element `name` of `parent`: value `v`, and for a
 * primitive its "_name" part `ext`. */
static int32_t read_one(fh_tree *t, fh_node *parent, const char *name, const fh_elem *e, const fh_type *type,
                        size_t order, json_t *v, json_t *ext, int depth)
{
    if (depth > FH_MAX_DEPTH)
        return fh_fail(t, CASESCRIBE_EPARSE, "fhir: elements are nested deeper than %d", FH_MAX_DEPTH);
    fh_node *n = fh_node_new(t, type, e, order);
    if (n == NULL)
        return t->status;
    fh_link(parent, n); /* linked first, so that the tree frees it whatever happens */
    if ((e->flags & FH_HOLDS) != 0) {
        json_t *rt = json_is_object(v) ? json_object_get(v, "resourceType") : NULL;
        n->type = fh_resource_find(json_string_value(rt));
        if (n->type == NULL)
            return bad(t, parent, name, "must hold a resource of a type this adapter reads");
        if (depth + 1 > FH_MAX_DEPTH)
            return fh_fail(t, CASESCRIBE_EPARSE, "fhir: elements are nested deeper than %d", FH_MAX_DEPTH);
        return read_object(t, v, n, depth + 1);
    }
    if (type->kind != FH_COMPLEX)
        return read_primitive(t, parent, name, n, v, ext, depth);
    if (!json_is_object(v))
        return bad(t, parent, name, "must be a JSON object");
    return read_object(t, v, n, depth);
}

/* Element `name` of `parent` with its JSON value `v` (NULL when only
 * "_name" is there) and "_name" part `ext`. */
static int32_t read_element(fh_tree *t, fh_node *parent, const char *name, json_t *v, json_t *ext, int depth)
{
    const fh_elem *e = NULL;
    const fh_type *type = NULL;
    size_t order = 0;
    if (fh_elem_find(parent->type, name, &e, &type, &order) != 0)
        return bad(t, parent, name, "is not an element this adapter knows");
    if ((e->flags & FH_SKIP) != 0) {
        t->narrative = 1; /* dropped: decode refuses it in a stamped payload */
        return CASESCRIBE_OK;
    }
    if ((e->flags & FH_REFUSE) != 0)
        return bad(t, parent, name, "is not supported by the fhir adapter");
    if ((e->flags & FH_HOLDS) == 0 && type == NULL)
        return bad(t, parent, name, "has no type");
    if (ext != NULL && (type == NULL || type->kind == FH_COMPLEX || type->kind == FH_RESOURCE))
        return bad(t, parent, name, "is not a primitive, so it cannot have a \"_\" part");
    if ((e->flags & FH_MANY) == 0) {
        if (json_is_array(v) || json_is_array(ext))
            return bad(t, parent, name, "does not repeat, so it cannot be an array");
        /* Keys are unique (jansson checks), but a choice may be spelt with
         * two types ("valueString" and "valueInteger"). */
        for (const fh_node *k = parent->first; k != NULL; k = k->next)
            if (k->order == order)
                return bad(t, parent, name, "does not repeat: a choice takes only one type");
        return read_one(t, parent, name, e, type, order, v, ext, depth);
    }
    size_t n = v != NULL ? json_array_size(v) : json_array_size(ext);
    if ((v != NULL && !json_is_array(v)) || (ext != NULL && !json_is_array(ext)))
        return bad(t, parent, name, "repeats, so it must be an array");
    if (n == 0 || (v != NULL && ext != NULL && json_array_size(ext) != n))
        return bad(t, parent, name, "is an empty array, or its \"_\" array has another length");
    int32_t rc = CASESCRIBE_OK;
    for (size_t i = 0; i < n && rc == CASESCRIBE_OK; i++)
        rc = read_one(t, parent, name, e, type, order, v != NULL ? json_array_get(v, i) : NULL,
                      ext != NULL ? json_array_get(ext, i) : NULL, depth);
    return rc;
}

/* The properties of a JSON object that are not elements: resourceType,
 * an element's id, an extension's url. 1 when `key` was one. */
static int read_attribute(fh_tree *t, json_t *obj, fh_node *node, const char *key, json_t *v, int32_t *rc)
{
    *rc = CASESCRIBE_OK;
    char **slot = NULL;
    if (strcmp(key, "resourceType") == 0 && node->type->kind == FH_RESOURCE)
        return 1; /* checked by whoever chose the type */
    if (strcmp(key, "id") == 0 && node->type->kind != FH_RESOURCE)
        slot = &node->id;
    else if (strcmp(key, "url") == 0 && strcmp(node->type->name, "Extension") == 0)
        slot = &node->url;
    else
        return 0;
    (void)obj;
    const fh_type *type = fh_type_find("uri");
    if (!json_is_string(v) || fh_check_value(type, json_string_value(v), json_string_length(v)) != 0)
        *rc = bad(t, node, key, "must be a non-empty string without spaces");
    else
        fh_strdup(t, slot, json_string_value(v), json_string_length(v));
    if (*rc == CASESCRIBE_OK)
        *rc = t->status;
    return 1;
}

static int32_t read_object(fh_tree *t, json_t *obj, fh_node *node, int depth)
{
    const char *key;
    json_t *v;
    int32_t rc = CASESCRIBE_OK;
    json_object_foreach(obj, key, v)
    {
        if (rc != CASESCRIBE_OK)
            break;
        if (read_attribute(t, obj, node, key, v, &rc))
            continue;
        if (key[0] == '_') {
            /* "_name" alone (no "name"): a primitive with extensions only. */
            if (json_object_get(obj, key + 1) == NULL)
                rc = read_element(t, node, key + 1, NULL, v, depth + 1);
            continue;
        }
        char under[FH_NAME_MAX + 2];
        json_t *ext = NULL;
        if (strlen(key) <= FH_NAME_MAX) {
            snprintf(under, sizeof(under), "_%s", key);
            ext = json_object_get(obj, under);
        }
        rc = read_element(t, node, key, v, ext, depth + 1);
    }
    if (rc == CASESCRIBE_OK)
        rc = fh_check_node(t, node);
    return rc;
}

int32_t fh_read_json(fh_tree *t, const uint8_t *bytes, size_t len)
{
    int32_t rc = prescan(t, bytes, len);
    if (rc != CASESCRIBE_OK)
        return rc;
    json_error_t err;
    /* No JSON_ALLOW_NUL: a "\u0000" in a string is refused. */
    json_t *j = json_loadb((const char *)bytes, len, JSON_REJECT_DUPLICATES, &err);
    if (j == NULL) {
        if (json_error_code(&err) == json_error_out_of_memory)
            return fh_fail(t, CASESCRIBE_ENOMEM, "fhir: out of memory");
        /* err.text may quote the payload: say where, never what. */
        return fh_fail(t, CASESCRIBE_EPARSE, "fhir: the payload is not JSON%s (line %d, column %d)",
                       json_error_code(&err) == json_error_duplicate_key  ? " (a key appears twice)"
                       : json_error_code(&err) == json_error_invalid_utf8 ? " (not UTF-8)"
                                                                          : "",
                       err.line, err.column);
    }
    const fh_type *type =
        json_is_object(j) ? fh_resource_find(json_string_value(json_object_get(j, "resourceType"))) : NULL;
    if (type == NULL)
        rc = fh_fail(t, CASESCRIBE_ESCHEMA,
                     "fhir: the payload is not a FHIR resource this adapter reads "
                     "(a Bundle or a QuestionnaireResponse)");
    else if ((t->root = fh_node_new(t, type, NULL, 0)) == NULL)
        rc = t->status;
    else
        rc = read_object(t, j, t->root, 1);
    json_decref(j);
    return rc;
}

/* ---- writing ----------------------------------------------------------- */

struct writer {
    fh_tree *t;
    const fh_node *const *leave_out; /* NULL-terminated, or NULL */
    int precision;                   /* significant digits the decimals need */
};

static int left_out(const struct writer *w, const fh_node *n)
{
    for (const fh_node *const *p = w->leave_out; p != NULL && *p != NULL; p++)
        if (*p == n)
            return 1;
    return 0;
}

static json_t *node_json(struct writer *w, const fh_node *n);

/* Significant digits of a decimal's text, for JSON_REAL_PRECISION. */
static int significant(const char *s)
{
    int n = 0, leading = 1;
    for (; *s != '\0' && *s != 'e' && *s != 'E'; s++) {
        if (*s < '0' || *s > '9')
            continue;
        if (leading && *s == '0')
            continue;
        leading = 0;
        n++;
    }
    return n < 1 ? 1 : n > 17 ? 17 : n;
}

static json_t *scalar_json(struct writer *w, const fh_node *n)
{
    const char *v = n->value;
    switch (n->type->kind) {
    case FH_BOOLEAN:
        return json_boolean(strcmp(v, "true") == 0);
    case FH_INTEGER:
        return json_integer(strtoll(v, NULL, 10));
    case FH_DECIMAL:
        if (strpbrk(v, ".eE") == NULL)
            return json_integer(strtoll(v, NULL, 10));
        if (significant(v) > w->precision)
            w->precision = significant(v);
        return json_real(strtod(v, NULL));
    default:
        return json_string(v);
    }
}

/* A primitive's "_name" part: its id and extensions, or NULL when it has
 * neither; *failed on ENOMEM. */
static json_t *primitive_ext(struct writer *w, const fh_node *n, int *failed)
{
    if (n->id == NULL && n->first == NULL)
        return NULL;
    json_t *o = json_object(), *list = n->first != NULL ? json_array() : NULL;
    int bad_alloc = o == NULL || (n->first != NULL && list == NULL);
    if (!bad_alloc && n->id != NULL)
        bad_alloc = json_object_set_new(o, "id", json_string(n->id)) != 0;
    for (const fh_node *k = n->first; k != NULL && !bad_alloc; k = k->next)
        bad_alloc = json_array_append_new(list, node_json(w, k)) != 0;
    if (!bad_alloc && list != NULL)
        bad_alloc = json_object_set(o, "extension", list) != 0;
    json_decref(list);
    if (bad_alloc) {
        json_decref(o);
        *failed = 1;
        return NULL;
    }
    return o;
}

/* Writes the children of one element, first..(not including) end, as
 * property `name` of obj (and "_name" for primitives). */
static int put_group(struct writer *w, json_t *obj, const char *name, const fh_node *first, const fh_node *end)
{
    int many = (first->elem->flags & FH_MANY) != 0, primitive = first->type->kind < FH_COMPLEX;
    int failed = 0, any_ext = 0;
    json_t *values = many ? json_array() : NULL, *exts = many && primitive ? json_array() : NULL;
    json_t *value = NULL, *ext = NULL;
    if (many && (values == NULL || (primitive && exts == NULL)))
        failed = 1;
    for (const fh_node *k = first; k != end && !failed; k = k->next) {
        if (left_out(w, k))
            continue;
        json_t *v = primitive ? (k->value != NULL ? scalar_json(w, k) : json_null()) : node_json(w, k);
        json_t *x = primitive ? primitive_ext(w, k, &failed) : NULL;
        any_ext |= x != NULL;
        if (v == NULL) {
            json_decref(x);
            failed = 1;
            break;
        }
        if (!many) { /* one node (the readers see to it); the last would win */
            json_decref(value);
            json_decref(ext);
            value = v, ext = x;
        } else {
            failed |= json_array_append_new(values, v) != 0;
            if (primitive)
                failed |= json_array_append_new(exts, x != NULL ? x : json_null()) != 0;
        }
    }
    if (many) {
        value = values, ext = any_ext ? exts : NULL;
        if (!any_ext)
            json_decref(exts);
    }
    char under[FH_NAME_MAX + 2];
    snprintf(under, sizeof(under), "_%s", name);
    if (!failed && value != NULL && !json_is_null(value) && !(many && json_array_size(value) == 0))
        failed = json_object_set(obj, name, value) != 0;
    if (!failed && ext != NULL)
        failed = json_object_set(obj, under, ext) != 0;
    json_decref(value);
    json_decref(ext);
    return failed ? -1 : 0;
}

static json_t *node_json(struct writer *w, const fh_node *n)
{
    json_t *o = json_object();
    int failed = o == NULL;
    if (!failed && n->type->kind == FH_RESOURCE)
        failed = json_object_set_new(o, "resourceType", json_string(n->type->name)) != 0;
    if (!failed && n->id != NULL && n->type->kind != FH_RESOURCE)
        failed = json_object_set_new(o, "id", json_string(n->id)) != 0;
    if (!failed && n->url != NULL)
        failed = json_object_set_new(o, "url", json_string(n->url)) != 0;
    for (const fh_node *k = n->first; k != NULL && !failed;) {
        const fh_node *end = k->next;
        while (end != NULL && end->order == k->order)
            end = end->next;
        char name[FH_NAME_MAX];
        failed = put_group(w, o, fh_node_name(k, name, sizeof(name)), k, end) != 0;
        k = end;
    }
    if (failed) {
        json_decref(o);
        fh_fail(w->t, CASESCRIBE_ENOMEM, "fhir: out of memory");
        return NULL;
    }
    return o;
}

void *fh_to_json(fh_tree *t, const fh_node *resource, const fh_node *const *leave_out)
{
    struct writer w = {t, leave_out, 1};
    return node_json(&w, resource);
}

int32_t fh_json_dump(char **out, size_t *out_len, fh_tree *t, void *json, size_t flags)
{
    json_malloc_t jmalloc;
    json_free_t jfree;
    char *s = json != NULL ? json_dumps(json, flags) : NULL;
    *out = NULL;
    *out_len = 0;
    /* jansson's allocator may be the host's: hand back our own malloc'd copy. */
    json_get_alloc_funcs(&jmalloc, &jfree);
    if (s != NULL)
        fh_strdup(t, out, s, strlen(s));
    if (s != NULL)
        jfree(s);
    if (*out == NULL)
        return fh_fail(t, CASESCRIBE_ENOMEM, "fhir: out of memory writing JSON");
    *out_len = strlen(*out);
    return CASESCRIBE_OK;
}

int32_t fh_write_json(char **out, size_t *out_len, fh_tree *t)
{
    struct writer w = {t, NULL, 1};
    json_t *j = node_json(&w, t->root);
    int32_t rc = fh_json_dump(out, out_len, t, j, JSON_INDENT(2) | JSON_REAL_PRECISION(w.precision));
    json_decref(j);
    return rc;
}
