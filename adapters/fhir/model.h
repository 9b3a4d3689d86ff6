/* SPDX-License-Identifier: Apache-2.0 */
/* model.h - the FHIR model of the "fhir" adapter: one tree per Bundle (or
 * bare QuestionnaireResponse), whatever format it came in.
 *
 * A node is one FHIR element. Its children are kept in the order the FHIR
 * R4 schema gives its type's elements, whichever order a JSON object listed
 * them in, so that the XML writer (where order matters) and the JSON writer
 * (where it does not) write the same tree, and two trees can be compared
 * node by node. Which elements a type has, which repeat, which hold a
 * resource and which primitives are JSON numbers or booleans comes from one
 * table (types.c) holding only the types this adapter reads and writes.
 *
 * Everything here is written against <casescribe.h> alone, like any
 * vendor's adapter. */
#ifndef CS_FHIR_MODEL_H
#define CS_FHIR_MODEL_H

#include <casescribe.h>
#include <stddef.h>
#include <stdint.h>

#define FH_NS "http://hl7.org/fhir"
/* Element nesting a tree may have, counted as in FHIR XML (a resource
 * inside Bundle.entry.resource or contained is one level deeper than its
 * holder). The same bound as the library's XML parser, so that whatever
 * one format accepts the other can carry. */
#define FH_MAX_DEPTH ((int)CASESCRIBE_MAX_XML_DEPTH)
/* Nodes a tree may hold: bounds memory whatever the payload. */
#define FH_MAX_NODES 400000u
/* Longest primitive value: FHIR's own limit on strings (1 MiB). */
#define FH_MAX_VALUE (1024u * 1024u)

/* How a type's values are written. */
typedef enum {
    FH_STRING,  /* primitive, a JSON string */
    FH_BOOLEAN, /* primitive, a JSON true/false */
    FH_INTEGER, /* primitive, a JSON number without a fraction */
    FH_DECIMAL, /* primitive, a JSON number */
    FH_COMPLEX, /* a datatype or backbone element: a JSON object */
    FH_RESOURCE /* a resource: a JSON object with resourceType */
} fh_kind;

/* fh_elem.flags */
#define FH_MANY 0x1u    /* repeats: always a JSON array */
#define FH_REQ 0x2u     /* at least one is required */
#define FH_HOLDS 0x4u   /* holds a resource (Bundle.entry.resource, contained) */
#define FH_SKIP 0x8u    /* read and dropped (Resource.text: a narrative this adapter would make stale) */
#define FH_REFUSE 0x10u /* refused (modifier extensions, implicitRules, what this adapter cannot carry) */

typedef struct fh_type fh_type;

typedef struct fh_elem {
    const char *name;           /* "linkId"; for a choice, the stem ("value") */
    const char *type;           /* its type's name; NULL for a choice or a refused element */
    const char *const *choices; /* for a choice: the types it may take, NULL-terminated */
    unsigned flags;
} fh_elem;

struct fh_type {
    const char *name; /* "string", "Reference", "QuestionnaireResponse.item" */
    fh_kind kind;
    const fh_elem *elems; /* in schema order */
    size_t n_elems;
};

typedef struct fh_node fh_node;
struct fh_node {
    const fh_type *type; /* for a choice, the type chosen; for a holder, the resource's type */
    const fh_elem *elem; /* NULL for the root resource */
    size_t order;        /* elem's index in the parent's type, the children's sort key */
    char *value;         /* a primitive's value, as the XML value attribute spells it; may be NULL */
    char *id;            /* the element id (XML @id; not Resource.id, which is a child) */
    char *url;           /* Extension.url */
    fh_node *first, *last, *next;
};

/* A tree and its allocation state. Builder calls after a failure do
 * nothing, so code that makes a resource reads as the resource it makes;
 * check `status` once at the end. */
typedef struct fh_tree {
    fh_node *root;
    size_t nodes;
    int32_t status; /* CASESCRIBE_OK, or the first failure */
    int narrative;  /* a resource's narrative (text) was read and dropped */
} fh_tree;

/* ---- the type table (types.c) ------------------------------------------ */
const fh_type *fh_type_find(const char *name);
/* A resource type this adapter reads at the top of a payload or inside a
 * holder; NULL for any other name. */
const fh_type *fh_resource_find(const char *name);
/* Resolves the element called `name` ("linkId", "valueString") of `type`:
 * *elem and *chosen (the type a choice took, else the element's type).
 * Returns 0, or -1 when `type` has no such element. */
int fh_elem_find(const fh_type *type, const char *name, const fh_elem **elem, const fh_type **chosen, size_t *order);
/* The element's name as written: "valueString" for a choice. Returns buf. */
const char *fh_node_name(const fh_node *n, char *buf, size_t size);
#define FH_NAME_MAX 64

/* Checks a primitive's value as FHIR R4's XML schema would (dates,
 * codes, ids, numbers...). 0 when good, -1 otherwise. */
int fh_check_value(const fh_type *type, const char *value, size_t len);

/* ---- trees ------------------------------------------------------------- */
void fh_tree_init(fh_tree *t);
void fh_tree_free(fh_tree *t);
/* Sets t->status (the first failure wins) with a message and returns it. */
int32_t fh_fail(fh_tree *t, int32_t status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* A new node, not yet linked; NULL (and t->status set) on failure. */
fh_node *fh_node_new(fh_tree *t, const fh_type *type, const fh_elem *elem, size_t order);
/* Links `kid` under `parent` at its place in schema order (after the
 * children of the same element already there). */
void fh_link(fh_node *parent, fh_node *kid);
/* Copies `s` into *dst; -1 (and ENOMEM) on failure. */
int fh_strdup(fh_tree *t, char **dst, const char *s, size_t len);

/* The root resource of a new tree. */
fh_node *fh_new_root(fh_tree *t, const char *resource_type);
/* Adds child `name` to `parent`: a primitive with `value` (copied; NULL
 * for none), or an empty complex element. NULL parent: does nothing. */
fh_node *fh_add(fh_tree *t, fh_node *parent, const char *name, const char *value);
/* Adds a holder element (`name`: "resource", "contained") with a new
 * resource of `resource_type` in it; returns the resource node. */
fh_node *fh_add_resource(fh_tree *t, fh_node *parent, const char *name, const char *resource_type);
/* Adds an extension with `url`; and a simple one with a value. */
fh_node *fh_add_ext(fh_tree *t, fh_node *parent, const char *url);
fh_node *fh_add_ext_value(fh_tree *t, fh_node *parent, const char *url, const char *value_name, const char *value);
/* Adds a Coding (system, code, display) under `parent` as element `name`. */
fh_node *fh_add_coding(fh_tree *t, fh_node *parent, const char *name, const char *system, const char *code,
                       const char *display);
/* Adds a CodeableConcept with one Coding. */
fh_node *fh_add_concept(fh_tree *t, fh_node *parent, const char *name, const char *system, const char *code,
                        const char *display);
/* Deep-copies `src` (from any tree) under `parent` in `t`. */
fh_node *fh_copy(fh_tree *t, fh_node *parent, const fh_node *src);
/* Unlinks and frees `kid`, a child of `parent`. */
void fh_remove(fh_tree *t, fh_node *parent, fh_node *kid);

/* ---- reading ----------------------------------------------------------- */
/* 1 when the node is the element `name` ("valueString" names a choice). */
int fh_is(const fh_node *n, const char *name);
/* The first child called `name` after `after` (NULL: from the start). */
fh_node *fh_child(const fh_node *n, const char *name, const fh_node *after);
size_t fh_count(const fh_node *n, const char *name);
/* The value of primitive child `name`, or NULL. */
const char *fh_value(const fh_node *n, const char *name);
/* The first extension child of `n` with `url` after `after`. */
fh_node *fh_ext(const fh_node *n, const char *url, const fh_node *after);
/* The value node of a simple extension (its value[x] child), or NULL. */
fh_node *fh_ext_value(const fh_node *ext);
/* 1 when the trees are equal: same elements, values, ids and urls, in the
 * same order. `skip` (a NULL-terminated list, or NULL) names nodes of `a`
 * that are left out of the comparison. */
int fh_equal(const fh_node *a, const fh_node *b, const fh_node *const *skip);

/* The rules every reader applies to a node once its children are read:
 * its required elements are there, it is not empty (ele-1), and an
 * extension has a url and either a value or extensions (ext-1). */
int32_t fh_check_node(fh_tree *t, const fh_node *n);
/* A short, printable form of a name from a payload, for messages. */
const char *fh_printable(char *buf, size_t size, const char *name);

/* ---- formats (json.c, xml.c) ------------------------------------------ */
int32_t fh_read_json(fh_tree *t, const uint8_t *bytes, size_t len);
int32_t fh_read_xml(fh_tree *t, const uint8_t *bytes, size_t len);
/* The JSON of a resource node as a jansson value (json_t *), leaving out
 * the nodes listed in `leave_out` (NULL-terminated, or NULL); for the
 * Provenance's canonical form. NULL on ENOMEM. */
void *fh_to_json(fh_tree *t, const fh_node *resource, const fh_node *const *leave_out);
/* json_dumps(json, flags) into a malloc'd string. */
int32_t fh_json_dump(char **out, size_t *out_len, fh_tree *t, void *json, size_t flags);
/* Writes the tree as FHIR JSON (indented) or FHIR XML (indented), malloc'd. */
int32_t fh_write_json(char **out, size_t *out_len, fh_tree *t);
int32_t fh_write_xml(char **out, size_t *out_len, fh_tree *t);

#endif
