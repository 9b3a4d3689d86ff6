/* SPDX-License-Identifier: Apache-2.0 */
/* larkspur_adapter.c - a CaseScribe adapter for the JSON form payload of the
 * (invented) Larkspur Case Manager. Written against the installed
 * <casescribe.h> alone, with jansson for JSON and libxml2 for XML, like any
 * vendor's adapter: copy it, rename it, change the mapping. README.md says
 * how, and what the contract is.
 *
 *   decode: Larkspur JSON -> the reference form (urn:casescribe:form:1)
 *   encode: the stamped reference form + the original JSON -> Larkspur JSON
 *
 * The mapping (JSON key -> reference form):
 *
 *   formId, templateId, team, author   <form id template team author>
 *   final (true/false)                 <form final>
 *   people[]   id role name            <subject id role name>
 *   consents[] subject givenBy method capacity at scopes[] withdrawnAt
 *                                      <consent subject given-by method capacity at scopes withdrawn-at>
 *   answers[]  question text origin engine model engineVersion
 *              engineSettings reviewedBy reviewedAt review
 *                                      <section id origin ...>text</section>
 *   citations[] question offset length segments[] startMs endMs support
 *              reason unsure[[offset,length]...]
 *                                      <cite section offset length segments ...>
 *   casescribeStamp (a string)         <provenance> (written by the library)
 *   vendorFields, and any other key    not in the record: carried over by encode
 *
 * Everything here is hostile input: the payload (a client may send
 * anything), and the original payload encode is given. Sizes and depth are
 * bounded before parsing, every field's type is checked, every allocation
 * is checked, and a failure is EPARSE (not JSON) or ESCHEMA (JSON, but not a
 * Larkspur form) with a message naming the field, never its value. Whether
 * the values make a valid form (id patterns, times, origins) is the
 * library's check: it parses and validates whatever decode produces. */
#include "larkspur_adapter.h"

#include <casescribe.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORM_NS "urn:casescribe:form:1"

/* The adapter contract these callbacks were written for (see "version" in
 * README.md). */
#define LARKSPUR_CONTRACT 1u

/* Bounds on a payload, checked before jansson builds anything: nesting
 * depth and the number of JSON values (each costs jansson tens of bytes,
 * so an 8 MiB payload of "[[],[],..." cannot become gigabytes). */
#define MAX_DEPTH 32
#define MAX_VALUES 200000u
/* The reference form's own limits, checked here so that the message names
 * the Larkspur field. */
#define MAX_PEOPLE 64u
#define MAX_CONSENTS 256u
#define MAX_ANSWERS 256u
#define MAX_CITATIONS 4096u
#define MAX_SCOPES 16u
#define MAX_SEGMENTS 64u
#define MAX_UNSURE 256u
#define MAX_UINT 4294967295LL /* xs:unsignedInt */

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

/* ---- errors ------------------------------------------------------------ */

static int32_t fail(int32_t status, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int32_t fail(int32_t status, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return casescribe_set_error(status, msg);
}

static int32_t out_of_memory(void)
{
    return casescribe_set_error(CASESCRIBE_ENOMEM, "Larkspur adapter: out of memory");
}

/* "Larkspur payload: answers[2].origin must be a string". `where` is the
 * entry ("answers[2]") or "" for a top-level key. Never the value: it may
 * be personal data. */
static int32_t field_error(const char *where, const char *key, const char *problem)
{
    return fail(CASESCRIBE_ESCHEMA, "Larkspur payload: %s%s%s %s", where, where[0] != '\0' ? "." : "", key, problem);
}

/* ---- the mapping, used both ways --------------------------------------- */

struct field {
    const char *json; /* the Larkspur key */
    const char *xml;  /* the reference form's attribute */
    int required;
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct field form_fields[] = {
    {"formId", "id", 1}, {"templateId", "template", 1}, {"team", "team", 1}, {"author", "author", 1}};
static const struct field subject_fields[] = {{"id", "id", 1}, {"role", "role", 1}, {"name", "name", 0}};
static const struct field consent_fields[] = {{"subject", "subject", 1},         {"givenBy", "given-by", 1},
                                              {"method", "method", 1},           {"capacity", "capacity", 1},
                                              {"at", "at", 1},                   {"withdrawnAt", "withdrawn-at", 0}};
static const struct field section_fields[] = {
    {"question", "id", 1},          {"origin", "origin", 1},
    {"engine", "engine", 0},        {"model", "model", 0},
    {"engineVersion", "engine-version", 0}, {"engineSettings", "engine-settings", 0},
    {"reviewedBy", "reviewed-by", 0}, {"reviewedAt", "reviewed-at", 0},
    {"review", "review", 0}};
static const struct field cite_fields[] = {
    {"question", "section", 1}, {"support", "support", 1}, {"reason", "reason", 0}};

/* ---- reading JSON ------------------------------------------------------ */

/* Bounds depth and size before jansson allocates anything. Approximate
 * (it does not check the grammar; jansson does), but never lets through
 * more than it counts. */
static int32_t prescan(const uint8_t *p, size_t len, const char *what)
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
        else if ((c == '[' || c == '{') && ++depth > MAX_DEPTH)
            return fail(CASESCRIBE_EPARSE, "Larkspur payload: %s is nested deeper than %d", what, MAX_DEPTH);
        if ((c == '[' || c == '{' || c == ',') && ++values > MAX_VALUES)
            return fail(CASESCRIBE_ETOOBIG, "Larkspur payload: %s holds more than %u JSON values", what,
                        MAX_VALUES);
    }
    return CASESCRIBE_OK;
}

/* Parses a Larkspur payload into a JSON object. */
static int32_t load_json(json_t **out, const uint8_t *bytes, size_t len, const char *what)
{
    *out = NULL;
    int32_t rc = prescan(bytes, len, what);
    if (rc != CASESCRIBE_OK)
        return rc;
    json_error_t err;
    /* No JSON_ALLOW_NUL: a "\u0000" in a string is refused. */
    json_t *j = json_loadb((const char *)bytes, len, JSON_REJECT_DUPLICATES, &err);
    if (j == NULL) {
        if (json_error_code(&err) == json_error_out_of_memory)
            return out_of_memory();
        /* err.text may quote the payload: name the place, never the content. */
        return fail(CASESCRIBE_EPARSE, "Larkspur payload: %s is not JSON%s (line %d, column %d)", what,
                    json_error_code(&err) == json_error_duplicate_key ? " (a key appears twice)"
                    : json_error_code(&err) == json_error_invalid_utf8 ? " (not UTF-8)"
                                                                        : "",
                    err.line, err.column);
    }
    if (!json_is_object(j)) {
        json_decref(j);
        return fail(CASESCRIBE_ESCHEMA, "Larkspur payload: %s is not a JSON object", what);
    }
    *out = j;
    return CASESCRIBE_OK;
}

/* A string field of `obj`. *out is NULL when an optional field is absent
 * or null. Refuses the characters XML 1.0 cannot carry at all (the
 * library would refuse the form anyway, but could not say which field). */
static int32_t get_string(const char **out, json_t *obj, const char *where, const char *key, int required)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return required ? field_error(where, key, "is missing") : CASESCRIBE_OK;
    if (!json_is_string(v))
        return field_error(where, key, "must be a string");
    const unsigned char *s = (const unsigned char *)json_string_value(v);
    size_t n = json_string_length(v);
    for (size_t i = 0; i < n; i++)
        if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') ||
            (s[i] == 0xEF && i + 2 < n && s[i + 1] == 0xBF && (s[i + 2] == 0xBE || s[i + 2] == 0xBF)))
            return field_error(where, key, "holds a character XML cannot carry");
    *out = (const char *)s;
    return CASESCRIBE_OK;
}

/* An array field with at least `min` and at most `max` entries; *out is
 * NULL when an optional one is absent or null. */
static int32_t get_array(json_t **out, json_t *obj, const char *where, const char *key, size_t min, size_t max)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return min > 0 ? field_error(where, key, "is missing") : CASESCRIBE_OK;
    if (!json_is_array(v))
        return field_error(where, key, "must be an array");
    if (json_array_size(v) < min)
        return field_error(where, key, "must not be empty");
    if (json_array_size(v) > max)
        return fail(CASESCRIBE_ESCHEMA, "Larkspur payload: %s%s%s has %zu entries; at most %zu are allowed", where,
                    where[0] != '\0' ? "." : "", key, json_array_size(v), max);
    *out = v;
    return CASESCRIBE_OK;
}

/* An unsigned integer (xs:unsignedInt) as decimal text in num[24]. */
static int32_t format_uint(char num[24], json_t *v, const char *where, const char *key)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > MAX_UINT)
        return field_error(where, key, "must be a whole number from 0 to 4294967295");
    snprintf(num, 24, "%lld", (long long)json_integer_value(v));
    return CASESCRIBE_OK;
}

/* ---- decode: JSON -> reference form ------------------------------------ */

struct builder {
    xmlDocPtr doc;
    xmlNodePtr root;
    xmlNsPtr ns;
};

static int32_t add_attr(xmlNodePtr n, const char *name, const char *value)
{
    if (value == NULL)
        return CASESCRIBE_OK;
    /* xmlNewProp takes the value as text: libxml2 escapes it on output. */
    return xmlNewProp(n, (const xmlChar *)name, (const xmlChar *)value) != NULL ? CASESCRIBE_OK : out_of_memory();
}

/* Appends <name>text</name> to the form; xmlNewTextChild escapes `text`. */
static int32_t add_child(xmlNodePtr *out, struct builder *b, const char *name, const char *text)
{
    *out = xmlNewTextChild(b->root, b->ns, (const xmlChar *)name, (const xmlChar *)text);
    return *out != NULL ? CASESCRIBE_OK : out_of_memory();
}

static int32_t add_fields(xmlNodePtr n, json_t *obj, const char *where, const struct field *f, size_t nf)
{
    int32_t rc = CASESCRIBE_OK;
    for (size_t i = 0; i < nf && rc == CASESCRIBE_OK; i++) {
        const char *v = NULL;
        rc = get_string(&v, obj, where, f[i].json, f[i].required);
        if (rc == CASESCRIBE_OK)
            rc = add_attr(n, f[i].xml, v);
    }
    return rc;
}

static int32_t add_subject(struct builder *b, json_t *e, const char *where)
{
    xmlNodePtr n = NULL;
    int32_t rc = add_child(&n, b, "subject", NULL);
    return rc == CASESCRIBE_OK ? add_fields(n, e, where, subject_fields, COUNT(subject_fields)) : rc;
}

static int32_t add_consent(struct builder *b, json_t *e, const char *where)
{
    xmlNodePtr n = NULL;
    json_t *scopes = NULL;
    int32_t rc = add_child(&n, b, "consent", NULL);
    if (rc == CASESCRIBE_OK)
        rc = add_fields(n, e, where, consent_fields, COUNT(consent_fields));
    if (rc == CASESCRIBE_OK && (json_object_get(e, "scopes") == NULL || json_is_null(json_object_get(e, "scopes"))))
        rc = field_error(where, "scopes", "is missing (an empty list means none)");
    if (rc == CASESCRIBE_OK)
        rc = get_array(&scopes, e, where, "scopes", 0, MAX_SCOPES);
    /* ["transcribe", "ai-draft"] -> "transcribe ai-draft". Each scope is
     * one word of printable ASCII, so that joining cannot change the list. */
    char joined[MAX_SCOPES * 32] = "";
    size_t used = 0, i;
    json_t *s;
    json_array_foreach(scopes, i, s) {
        if (rc != CASESCRIBE_OK)
            break;
        const char *word = json_is_string(s) ? json_string_value(s) : NULL;
        size_t n_word = word != NULL ? json_string_length(s) : 0;
        int ok = n_word > 0 && n_word < 32;
        for (size_t k = 0; ok && k < n_word; k++)
            ok = word[k] > ' ' && word[k] < 0x7f;
        char key[32];
        snprintf(key, sizeof(key), "scopes[%zu]", i);
        if (!ok)
            rc = field_error(where, key, "must be one word (a consent scope)");
        else
            used += (size_t)snprintf(joined + used, sizeof(joined) - used, "%s%s", used > 0 ? " " : "", word);
    }
    if (rc == CASESCRIBE_OK)
        rc = add_attr(n, "scopes", joined);
    return rc;
}

static int32_t add_section(struct builder *b, json_t *e, const char *where)
{
    const char *text = NULL;
    xmlNodePtr n = NULL;
    int32_t rc = get_string(&text, e, where, "text", 1);
    if (rc == CASESCRIBE_OK)
        rc = add_child(&n, b, "section", text);
    return rc == CASESCRIBE_OK ? add_fields(n, e, where, section_fields, COUNT(section_fields)) : rc;
}

/* A required or optional number attribute of a citation. */
static int32_t add_number(xmlNodePtr n, json_t *e, const char *where, const char *key, const char *attr,
                          int required)
{
    json_t *v = json_object_get(e, key);
    char num[24];
    if (v == NULL || json_is_null(v))
        return required ? field_error(where, key, "is missing") : CASESCRIBE_OK;
    int32_t rc = format_uint(num, v, where, key);
    return rc == CASESCRIBE_OK ? add_attr(n, attr, num) : rc;
}

/* segments [3, 4] -> "3 4"; unsure [[12, 5], [30, 4]] -> "12:5 30:4". */
static int32_t add_number_list(xmlNodePtr n, json_t *e, const char *where, const char *key, const char *attr,
                               int pairs)
{
    json_t *list = NULL;
    int32_t rc = get_array(&list, e, where, key, 0, pairs ? MAX_UNSURE : MAX_SEGMENTS);
    if (rc != CASESCRIBE_OK || (list == NULL && pairs))
        return rc; /* unsure is optional */
    if (list == NULL)
        return field_error(where, key, "is missing (an empty list means none)");
    char text[MAX_UNSURE * 24] = "";
    size_t used = 0, i;
    json_t *item;
    json_array_foreach(list, i, item) {
        char name[48], a[24] = "", b[24] = "";
        snprintf(name, sizeof(name), "%s[%zu]", key, i);
        if (pairs && (!json_is_array(item) || json_array_size(item) != 2))
            return field_error(where, name, "must be [offset, length]");
        rc = format_uint(a, pairs ? json_array_get(item, 0) : item, where, name);
        if (rc == CASESCRIBE_OK && pairs)
            rc = format_uint(b, json_array_get(item, 1), where, name);
        if (rc != CASESCRIBE_OK)
            return rc;
        used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%s%s%s", used > 0 ? " " : "", a,
                                 pairs ? ":" : "", pairs ? b : "");
    }
    return add_attr(n, attr, text);
}

static int32_t add_cite(struct builder *b, json_t *e, const char *where)
{
    xmlNodePtr n = NULL;
    int32_t rc = add_child(&n, b, "cite", NULL);
    if (rc == CASESCRIBE_OK)
        rc = add_fields(n, e, where, cite_fields, COUNT(cite_fields));
    if (rc == CASESCRIBE_OK)
        rc = add_number(n, e, where, "offset", "offset", 1);
    if (rc == CASESCRIBE_OK)
        rc = add_number(n, e, where, "length", "length", 1);
    if (rc == CASESCRIBE_OK)
        rc = add_number(n, e, where, "startMs", "start-ms", 0);
    if (rc == CASESCRIBE_OK)
        rc = add_number(n, e, where, "endMs", "end-ms", 0);
    if (rc == CASESCRIBE_OK)
        rc = add_number_list(n, e, where, "segments", "segments", 0);
    if (rc == CASESCRIBE_OK)
        rc = add_number_list(n, e, where, "unsure", "unsure", 1);
    return rc;
}

typedef int32_t (*entry_fn)(struct builder *b, json_t *entry, const char *where);

static int32_t add_list(struct builder *b, json_t *top, const char *key, size_t min, size_t max, entry_fn add)
{
    json_t *list = NULL, *e;
    int32_t rc = get_array(&list, top, "", key, min, max);
    size_t i;
    json_array_foreach(list, i, e) {
        char where[48];
        snprintf(where, sizeof(where), "%s[%zu]", key, i);
        if (rc == CASESCRIBE_OK && !json_is_object(e))
            rc = fail(CASESCRIBE_ESCHEMA, "Larkspur payload: %s must be an object", where);
        if (rc == CASESCRIBE_OK)
            rc = add(b, e, where);
        if (rc != CASESCRIBE_OK)
            break;
    }
    return rc;
}

/* The library's <provenance>, kept as a string in the payload: parsed with
 * the library's hardened parser (no DTD, no entities, bounded depth) and
 * copied in as the form's last child. The library checks it: a stamp that
 * was altered fails the next save and every verify. */
static int32_t add_stamp(struct builder *b, json_t *top)
{
    const char *stamp = NULL;
    int32_t rc = get_string(&stamp, top, "", "casescribeStamp", 0);
    if (rc != CASESCRIBE_OK || stamp == NULL)
        return rc;
    void *parsed = NULL;
    rc = casescribe_xml_parse(&parsed, (const uint8_t *)stamp, strlen(stamp));
    if (rc == CASESCRIBE_ENOMEM)
        return out_of_memory();
    if (rc == CASESCRIBE_ETOOBIG)
        return fail(rc, "Larkspur payload: casescribeStamp is too large");
    if (rc != CASESCRIBE_OK)
        return fail(CASESCRIBE_EPARSE, "Larkspur payload: casescribeStamp is not well-formed XML (or uses a DTD, "
                                       "entities or deep nesting)");
    xmlNodePtr prov = xmlDocGetRootElement((xmlDocPtr)parsed);
    if (prov == NULL || prov->ns == NULL || strcmp((const char *)prov->name, "provenance") != 0 ||
        strcmp((const char *)prov->ns->href, FORM_NS) != 0) {
        rc = fail(CASESCRIBE_ESCHEMA, "Larkspur payload: casescribeStamp must be a <provenance> element of " FORM_NS);
    } else {
        xmlNodePtr copy = xmlDocCopyNode(prov, b->doc, 1);
        if (copy == NULL || xmlAddChild(b->root, copy) == NULL) {
            xmlFreeNode(copy);
            rc = out_of_memory();
        }
    }
    casescribe_xml_free(parsed);
    return rc;
}

static int32_t build_form(struct builder *b, json_t *top)
{
    b->doc = xmlNewDoc((const xmlChar *)"1.0");
    b->root = b->doc != NULL ? xmlNewDocNode(b->doc, NULL, (const xmlChar *)"form", NULL) : NULL;
    if (b->root == NULL)
        return out_of_memory();
    xmlDocSetRootElement(b->doc, b->root);
    if ((b->ns = xmlNewNs(b->root, (const xmlChar *)FORM_NS, NULL)) == NULL)
        return out_of_memory();
    xmlSetNs(b->root, b->ns);

    int32_t rc = add_fields(b->root, top, "", form_fields, COUNT(form_fields));
    json_t *final = json_object_get(top, "final");
    if (rc == CASESCRIBE_OK && final != NULL && !json_is_null(final) && !json_is_boolean(final))
        rc = field_error("", "final", "must be true or false");
    if (rc == CASESCRIBE_OK && json_is_true(final))
        rc = add_attr(b->root, "final", "true");
    json_t *vendor = json_object_get(top, "vendorFields");
    if (rc == CASESCRIBE_OK && vendor != NULL && !json_is_object(vendor) && !json_is_null(vendor))
        rc = field_error("", "vendorFields", "must be an object");
    /* The order of the reference form: subjects, consents, sections,
     * citations, provenance. */
    if (rc == CASESCRIBE_OK)
        rc = add_list(b, top, "people", 1, MAX_PEOPLE, add_subject);
    if (rc == CASESCRIBE_OK)
        rc = add_list(b, top, "consents", 0, MAX_CONSENTS, add_consent);
    if (rc == CASESCRIBE_OK)
        rc = add_list(b, top, "answers", 1, MAX_ANSWERS, add_section);
    if (rc == CASESCRIBE_OK)
        rc = add_list(b, top, "citations", 0, MAX_CITATIONS, add_cite);
    if (rc == CASESCRIBE_OK)
        rc = add_stamp(b, top);
    return rc;
}

static int32_t larkspur_decode(void *user, casescribe_buf *form_out, const uint8_t *payload, size_t payload_len)
{
    (void)user;
    json_t *top = NULL;
    int32_t rc = load_json(&top, payload, payload_len, "the payload");
    if (rc != CASESCRIBE_OK)
        return rc;
    struct builder b = {0};
    rc = build_form(&b, top);
    json_decref(top);
    if (rc == CASESCRIBE_OK) {
        xmlChar *mem = NULL;
        int size = 0;
        xmlDocDumpMemoryEnc(b.doc, &mem, &size, "UTF-8");
        rc = mem != NULL && size > 0 ? casescribe_buf_append(form_out, mem, (size_t)size) : out_of_memory();
        xmlFree(mem);
    }
    xmlFreeDoc(b.doc);
    return rc;
}

/* ---- encode: stamped reference form -> JSON ---------------------------- */

static int is_form_element(xmlNodePtr n, const char *name)
{
    return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
           strcmp((const char *)n->ns->href, FORM_NS) == 0 && strcmp((const char *)n->name, name) == 0;
}

/* Sets obj[key] = value, taking the reference; -1 when value is NULL (an
 * allocation failed) or the set failed. */
static int put(json_t *obj, const char *key, json_t *value)
{
    return json_object_set_new(obj, key, value) == 0 ? 0 : -1;
}

/* Copies the node's attributes into obj under their Larkspur keys, and
 * removes keys the record no longer has (a review taken back, a name
 * removed), which an entry carried over from the original may hold. */
static int32_t set_fields(json_t *obj, xmlNodePtr n, const struct field *f, size_t nf)
{
    for (size_t i = 0; i < nf; i++) {
        xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)f[i].xml);
        int bad = 0;
        if (v != NULL)
            bad = put(obj, f[i].json, json_string((const char *)v));
        else if (f[i].required)
            return fail(CASESCRIBE_ESCHEMA, "Larkspur adapter: the form's <%s> has no %s attribute",
                        (const char *)n->name, f[i].xml);
        else
            json_object_del(obj, f[i].json); /* -1 when it was not there: fine */
        xmlFree(v);
        if (bad)
            return out_of_memory();
    }
    return CASESCRIBE_OK;
}

/* The entry of the original list whose `key` (and `key2`, when given)
 * match the node's attributes, deep-copied so that the vendor's own keys
 * on it ride along; a new object when there is none. NULL: no memory. */
static json_t *start_entry(json_t *orig_list, xmlNodePtr n, const char *key, const char *attr, const char *key2,
                           const char *attr2)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)attr);
    xmlChar *v2 = attr2 != NULL ? xmlGetNoNsProp(n, (const xmlChar *)attr2) : NULL;
    json_t *found = NULL, *e;
    size_t i;
    json_array_foreach(orig_list, i, e) {
        json_t *a = json_object_get(e, key), *a2 = key2 != NULL ? json_object_get(e, key2) : NULL;
        if (v != NULL && json_is_string(a) && strcmp(json_string_value(a), (const char *)v) == 0 &&
            (key2 == NULL ||
             (v2 != NULL && json_is_string(a2) && strcmp(json_string_value(a2), (const char *)v2) == 0))) {
            found = e;
            break;
        }
    }
    xmlFree(v);
    xmlFree(v2);
    return found != NULL && json_is_object(found) ? json_deep_copy(found) : json_object();
}

/* A whole number the library wrote; ESCHEMA if it is not one. */
static int32_t parse_uint(json_t **out, const char *s, size_t len, const char *what)
{
    long long x = 0;
    *out = NULL;
    if (len == 0 || len > 10)
        return fail(CASESCRIBE_ESCHEMA, "Larkspur adapter: the form's %s is not a whole number", what);
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return fail(CASESCRIBE_ESCHEMA, "Larkspur adapter: the form's %s is not a whole number", what);
        x = x * 10 + (s[i] - '0');
    }
    if (x > MAX_UINT)
        return fail(CASESCRIBE_ESCHEMA, "Larkspur adapter: the form's %s is out of range", what);
    return (*out = json_integer(x)) != NULL ? CASESCRIBE_OK : out_of_memory();
}

/* "3 4" -> [3, 4]; "12:5 30:4" -> [[12, 5], [30, 4]]; "a b" -> ["a", "b"]. */
enum list_kind { WORDS, NUMBERS, PAIRS };
static int32_t split_list(json_t **out, const char *s, enum list_kind kind, const char *what)
{
    json_t *list = json_array();
    int32_t rc = list != NULL ? CASESCRIBE_OK : out_of_memory();
    while (rc == CASESCRIBE_OK && *s != '\0') {
        size_t n = strcspn(s, " ");
        json_t *item = NULL;
        if (n == 0) {
            s++;
            continue;
        }
        if (kind == WORDS) {
            rc = (item = json_stringn(s, n)) != NULL ? CASESCRIBE_OK : out_of_memory();
        } else if (kind == NUMBERS) {
            rc = parse_uint(&item, s, n, what);
        } else {
            const char *colon = memchr(s, ':', n);
            json_t *a = NULL, *b = NULL;
            rc = colon != NULL ? parse_uint(&a, s, (size_t)(colon - s), what)
                               : fail(CASESCRIBE_ESCHEMA, "Larkspur adapter: the form's %s is not offset:length", what);
            if (rc == CASESCRIBE_OK)
                rc = parse_uint(&b, colon + 1, n - (size_t)(colon - s) - 1, what);
            if (rc == CASESCRIBE_OK && ((item = json_array()) == NULL || json_array_append(item, a) != 0 ||
                                        json_array_append(item, b) != 0))
                rc = out_of_memory();
            json_decref(a);
            json_decref(b);
        }
        if (rc == CASESCRIBE_OK && json_array_append_new(list, item) != 0)
            rc = out_of_memory();
        else if (rc != CASESCRIBE_OK)
            json_decref(item);
        s += n;
    }
    if (rc != CASESCRIBE_OK) {
        json_decref(list);
        list = NULL;
    }
    *out = list;
    return rc;
}

/* Sets obj[key] from the list attribute `attr`; an absent optional
 * attribute removes the key. */
static int32_t put_list(json_t *obj, const char *key, xmlNodePtr n, const char *attr, enum list_kind kind,
                        int required)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)attr);
    json_t *list = NULL;
    int32_t rc = CASESCRIBE_OK;
    if (v == NULL && !required)
        json_object_del(obj, key);
    else
        rc = split_list(&list, v != NULL ? (const char *)v : "", kind, attr);
    xmlFree(v);
    if (rc == CASESCRIBE_OK && list != NULL && put(obj, key, list) != 0)
        rc = out_of_memory();
    return rc;
}

static int32_t put_number(json_t *obj, const char *key, xmlNodePtr n, const char *attr, int required)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)attr);
    json_t *num = NULL;
    int32_t rc = CASESCRIBE_OK;
    if (v == NULL && required)
        rc = fail(CASESCRIBE_ESCHEMA, "Larkspur adapter: the form's <cite> has no %s attribute", attr);
    else if (v == NULL)
        json_object_del(obj, key);
    else if ((rc = parse_uint(&num, (const char *)v, strlen((const char *)v), attr)) == CASESCRIBE_OK &&
             put(obj, key, num) != 0)
        rc = out_of_memory();
    xmlFree(v);
    return rc;
}

/* One entry of a list, from one child element of <form>. */
static int32_t write_entry(json_t *entry, xmlNodePtr n)
{
    if (is_form_element(n, "subject"))
        return set_fields(entry, n, subject_fields, COUNT(subject_fields));
    if (is_form_element(n, "consent")) {
        int32_t rc = set_fields(entry, n, consent_fields, COUNT(consent_fields));
        return rc == CASESCRIBE_OK ? put_list(entry, "scopes", n, "scopes", WORDS, 1) : rc;
    }
    if (is_form_element(n, "section")) {
        /* question, text, then the rest: the order a new entry's keys take */
        int32_t rc = set_fields(entry, n, section_fields, 1);
        xmlChar *text = rc == CASESCRIBE_OK ? xmlNodeGetContent(n) : NULL;
        if (rc == CASESCRIBE_OK && (text == NULL || put(entry, "text", json_string((const char *)text)) != 0))
            rc = out_of_memory();
        xmlFree(text);
        return rc == CASESCRIBE_OK ? set_fields(entry, n, section_fields + 1, COUNT(section_fields) - 1) : rc;
    }
    int32_t rc = set_fields(entry, n, cite_fields, COUNT(cite_fields));
    if (rc == CASESCRIBE_OK)
        rc = put_number(entry, "offset", n, "offset", 1);
    if (rc == CASESCRIBE_OK)
        rc = put_number(entry, "length", n, "length", 1);
    if (rc == CASESCRIBE_OK)
        rc = put_number(entry, "startMs", n, "start-ms", 0);
    if (rc == CASESCRIBE_OK)
        rc = put_number(entry, "endMs", n, "end-ms", 0);
    if (rc == CASESCRIBE_OK)
        rc = put_list(entry, "segments", n, "segments", NUMBERS, 1);
    if (rc == CASESCRIBE_OK)
        rc = put_list(entry, "unsure", n, "unsure", PAIRS, 0);
    return rc;
}

/* top[key] = one entry per <element> child of the form, each starting from
 * the original's matching entry (by key/attr, and key2/attr2). */
static int32_t write_list(json_t *top, xmlNodePtr form, const char *key, const char *element, const char *match,
                          const char *match_attr, const char *match2, const char *match2_attr)
{
    json_t *orig = json_object_get(top, key); /* still owned by top until replaced below */
    json_t *list = json_array();
    int32_t rc = list != NULL ? CASESCRIBE_OK : out_of_memory();
    for (xmlNodePtr n = form->children; n != NULL && rc == CASESCRIBE_OK; n = n->next) {
        if (!is_form_element(n, element))
            continue;
        json_t *entry = match != NULL ? start_entry(orig, n, match, match_attr, match2, match2_attr) : json_object();
        if (entry == NULL || json_array_append_new(list, entry) != 0)
            rc = out_of_memory();
        else
            rc = write_entry(entry, n);
    }
    if (rc == CASESCRIBE_OK && put(top, key, list) != 0)
        return out_of_memory();
    if (rc != CASESCRIBE_OK)
        json_decref(list);
    return rc;
}

/* Whitespace between the elements of the stamp is not part of it. */
static void drop_blank_text(xmlNodePtr n)
{
    for (xmlNodePtr c = n->children, next; c != NULL; c = next) {
        next = c->next;
        if (c->type == XML_TEXT_NODE && xmlIsBlankNode(c)) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        } else if (c->type == XML_ELEMENT_NODE) {
            drop_blank_text(c); /* the parser bounded the depth */
        }
    }
}

/* top.casescribeStamp = the <provenance> element as a string that stands
 * alone (it declares its namespace), or no key when the form carries no
 * stamp (a draft from a fill job). */
static int32_t write_stamp(json_t *top, xmlDocPtr doc, xmlNodePtr form)
{
    xmlNodePtr prov = NULL;
    for (xmlNodePtr n = form->children; n != NULL && prov == NULL; n = n->next)
        if (is_form_element(n, "provenance"))
            prov = n;
    if (prov == NULL) {
        json_object_del(top, "casescribeStamp");
        return CASESCRIBE_OK;
    }
    drop_blank_text(prov);
    /* Declare the namespace on <provenance> itself (the form declares it on
     * <form>); its nodes keep their unprefixed namespace, so the dump reads
     * <provenance xmlns="urn:casescribe:form:1" ...>. */
    int declared = 0;
    for (xmlNsPtr d = prov->nsDef; d != NULL; d = d->next)
        declared |= d->prefix == NULL;
    xmlBufferPtr buf = declared || xmlNewNs(prov, (const xmlChar *)FORM_NS, NULL) != NULL ? xmlBufferCreate() : NULL;
    int32_t rc = CASESCRIBE_OK;
    if (buf == NULL || xmlNodeDump(buf, doc, prov, 0, 0) < 0 ||
        put(top, "casescribeStamp",
            json_stringn((const char *)xmlBufferContent(buf), (size_t)xmlBufferLength(buf))) != 0)
        rc = out_of_memory();
    xmlBufferFree(buf);
    return rc;
}

/* jansson writes reals with a fixed number of significant digits for the
 * whole document; 17 always round-trips but prints 0.1 as
 * 0.10000000000000001. The smallest precision that round-trips every real
 * in the payload keeps the vendor's numbers as they were written. */
static void widen_precision(int *p, json_t *v, int depth)
{
    const char *key;
    json_t *e;
    size_t i;
    if (*p >= 17 || depth > MAX_DEPTH + 4) {
        *p = 17;
    } else if (json_is_real(v)) {
        char s[40];
        for (double x = json_real_value(v); *p < 17; (*p)++) {
            snprintf(s, sizeof(s), "%.*g", *p, x);
            if (strtod(s, NULL) == x)
                break;
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, e) widen_precision(p, e, depth + 1);
    } else if (json_is_object(v)) {
        json_object_foreach(v, key, e) widen_precision(p, e, depth + 1);
    }
}

struct sink {
    casescribe_buf *buf;
    int32_t rc;
};

static int to_buf(const char *bytes, size_t size, void *data)
{
    struct sink *s = data;
    s->rc = casescribe_buf_append(s->buf, (const uint8_t *)bytes, size);
    return s->rc == CASESCRIBE_OK ? 0 : -1;
}

static int32_t larkspur_encode(void *user, casescribe_buf *payload_out, casescribe_ctx *ctx, const uint8_t *form,
                               size_t form_len, const uint8_t *original, size_t original_len)
{
    (void)user;
    (void)ctx; /* for casescribe_jws_sign(), which this payload does not need */
    json_t *top = NULL;
    int32_t rc = CASESCRIBE_OK;
    if (original_len > 0)
        rc = load_json(&top, original, original_len, "the original payload");
    else if ((top = json_object()) == NULL)
        rc = out_of_memory();

    void *parsed = NULL;
    if (rc == CASESCRIBE_OK && (rc = casescribe_xml_parse(&parsed, form, form_len)) != CASESCRIBE_OK &&
        rc != CASESCRIBE_ENOMEM)
        rc = fail(rc, "Larkspur adapter: the library's form could not be parsed");
    xmlNodePtr root = parsed != NULL ? xmlDocGetRootElement((xmlDocPtr)parsed) : NULL;
    if (rc == CASESCRIBE_OK && !is_form_element(root, "form"))
        rc = fail(CASESCRIBE_ESCHEMA, "Larkspur adapter: the library's form is not a " FORM_NS " <form>");

    /* Known keys are set (in place when the original has them, so its key
     * order stays); everything else in the original rides along as it was. */
    if (rc == CASESCRIBE_OK)
        rc = set_fields(top, root, form_fields, COUNT(form_fields));
    if (rc == CASESCRIBE_OK) {
        xmlChar *f = xmlGetNoNsProp(root, (const xmlChar *)"final");
        int final = f != NULL && (strcmp((const char *)f, "true") == 0 || strcmp((const char *)f, "1") == 0);
        xmlFree(f);
        if (put(top, "final", json_boolean(final)) != 0)
            rc = out_of_memory();
    }
    if (rc == CASESCRIBE_OK)
        rc = write_list(top, root, "people", "subject", "id", "id", NULL, NULL);
    if (rc == CASESCRIBE_OK)
        rc = write_list(top, root, "consents", "consent", "subject", "subject", "at", "at");
    if (rc == CASESCRIBE_OK)
        rc = write_list(top, root, "answers", "section", "question", "id", NULL, NULL);
    if (rc == CASESCRIBE_OK) {
        int any = 0;
        for (xmlNodePtr n = root->children; n != NULL && !any; n = n->next)
            any = is_form_element(n, "cite");
        if (any || json_object_get(top, "citations") != NULL)
            rc = write_list(top, root, "citations", "cite", NULL, NULL, NULL, NULL);
    }
    if (rc == CASESCRIBE_OK)
        rc = write_stamp(top, (xmlDocPtr)parsed, root);

    if (rc == CASESCRIBE_OK) {
        int precision = 1;
        widen_precision(&precision, top, 0);
        struct sink sink = {payload_out, CASESCRIBE_OK};
        if (json_dump_callback(top, to_buf, &sink, JSON_INDENT(2) | JSON_REAL_PRECISION(precision)) != 0)
            rc = sink.rc != CASESCRIBE_OK ? sink.rc : out_of_memory();
        else
            rc = casescribe_buf_append(payload_out, (const uint8_t *)"\n", 1);
    }
    json_decref(top);
    casescribe_xml_free(parsed);
    return rc;
}

/* ---- registration ------------------------------------------------------ */

int32_t larkspur_adapter_register(void)
{
    /* Both are no-ops when already done, and are meant to run before
     * threads start: libxml2's globals, and jansson's hash seed. */
    xmlInitParser();
    json_object_seed(0);

    casescribe_adapter a;
    int32_t rc = casescribe_adapter_init(&a, sizeof(a));
    if (rc != CASESCRIBE_OK)
        return rc;
    a.version = LARKSPUR_CONTRACT; /* the contract the callbacks above implement */
    a.name = LARKSPUR_ADAPTER_NAME;
    a.user = NULL; /* no state: the callbacks are thread-safe as they stand */
    a.decode = larkspur_decode;
    a.encode = larkspur_encode;
    a.destroy = NULL;
    return casescribe_adapter_register(&a);
}

int32_t larkspur_adapter_unregister(void)
{
    return casescribe_adapter_unregister(LARKSPUR_ADAPTER_NAME);
}
