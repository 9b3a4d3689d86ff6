/* SPDX-License-Identifier: Apache-2.0 */
/* form_xml.c - the reference form: decode (hardened parse + XSD), encode, and
 * canonical bytes for digests and signatures. */
#include "record/form_xml.h"

#include <libxml/c14n.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "xml/safe_parse.h"
#include "xml/schema.h"

extern const unsigned char cs_form_schema[];
extern const unsigned int cs_form_schema_len;

/* ------------------------------------------------------------------------
 * The fingerprint's pattern facets. libxml2's regex engine spends most of a
 * stamped record's validation on them (counted repetitions up to 1368), so
 * they are taken out of the XSD the library compiles and checked here by a
 * byte loop. form-1.xsd, as published, keeps them: test_record checks both
 * accept and refuse the same values.
 * ------------------------------------------------------------------------ */

static void strip_patterns(xmlNodePtr n)
{
    for (xmlNodePtr c = n->children, next; c != NULL; c = next) {
        next = c->next;
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "pattern") == 0) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        } else if (c->type == XML_ELEMENT_NODE) {
            strip_patterns(c);
        }
    }
}

/* Takes the patterns of every attribute declaration named "fingerprint". */
static void strip_fingerprint_patterns(xmlNodePtr n)
{
    for (xmlNodePtr c = n != NULL ? n->children : NULL; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        xmlChar *name = strcmp((const char *)c->name, "attribute") == 0 ? xmlGetNoNsProp(c, BAD_CAST "name") : NULL;
        if (name != NULL && strcmp((const char *)name, "fingerprint") == 0)
            strip_patterns(c);
        else
            strip_fingerprint_patterns(c);
        xmlFree(name);
    }
}

void cs_form_strip_xsd(void *xsd_doc)
{
    xmlDocPtr xsd = xsd_doc;
    strip_fingerprint_patterns(xmlDocGetRootElement(xsd));
}

static void strip_form_xsd(xmlDocPtr xsd)
{
    cs_form_strip_xsd(xsd);
}

static cs_xml_schema form_schema = CS_XML_SCHEMA_INIT_STRIPPED(cs_form_schema, cs_form_schema_len,
                                                               "urn:casescribe:form:1 form", strip_form_xsd);

/* [A-Za-z0-9+/=] (the loop runs over kilobytes per record: few branches). */
static int is_base64_char(unsigned char c)
{
    return (unsigned)((c | 0x20) - 'a') < 26u || (unsigned)(c - '0') < 10u || c == '+' || c == '/' || c == '=';
}

/* form-1.xsd's patterns of section-stamp/@fingerprint:
 *   mh[12]:[A-Za-z0-9+/=]{0,1024}
 *   mh3:[A-Za-z0-9+/=]{0,1024}\.[A-Za-z0-9+/=]{0,1368}\.[A-Za-z0-9+/=]{0,1024}
 *   mh4:[A-Za-z0-9+/=]{0,1024}\.[A-Za-z0-9+/=]{0,2732}\.[A-Za-z0-9+/=]{0,1024} */
int cs_form_fingerprint_shape(const char *v)
{
    static const size_t mh3_runs[] = {1024, 1368, 1024}, mh4_runs[] = {1024, 2732, 1024};
    int mh12 = strncmp(v, "mh1:", 4) == 0 || strncmp(v, "mh2:", 4) == 0;
    int mh4 = strncmp(v, "mh4:", 4) == 0;
    if (!mh12 && !mh4 && strncmp(v, "mh3:", 4) != 0)
        return 0;
    const size_t *runs = mh4 ? mh4_runs : mh3_runs;
    const unsigned char *p = (const unsigned char *)v + 4;
    for (size_t i = 0; i < (mh12 ? 1 : 3); i++) {
        size_t n = 0;
        while (is_base64_char(p[n]))
            n++;
        if (n > (mh12 ? 1024 : runs[i]))
            return 0;
        p += n;
        if (!mh12 && i < 2 && *p++ != '.')
            return 0;
    }
    return *p == '\0';
}

static const char *attr_value(xmlNodePtr node, const char *name, xmlChar **owned);

/* Every fingerprint of the provenance, by the patterns above. */
static int32_t check_fingerprints(xmlNodePtr root)
{
    for (xmlNodePtr p = root->children; p != NULL; p = p->next) {
        for (xmlNodePtr c = cs_xml_is_element(p, "provenance") ? p->children : NULL; c != NULL; c = c->next) {
            xmlChar *owned = NULL;
            const char *fp = cs_xml_is_element(c, "section-stamp") ? attr_value(c, "fingerprint", &owned) : NULL;
            int bad = fp != NULL && !cs_form_fingerprint_shape(fp);
            xmlFree(owned);
            if (bad)
                return cs_fail(CASESCRIBE_ESCHEMA, "not a valid urn:casescribe:form:1 form (line %ld): a "
                                                   "section-stamp's fingerprint is not an mh1, mh2, mh3 or mh4 print",
                               xmlGetLineNo(c));
        }
    }
    return CASESCRIBE_OK;
}

/* ------------------------------------------------------------------------
 * Decoding: DOM -> model. The schema has already checked names, order and
 * value shapes, so this only copies.
 * ------------------------------------------------------------------------ */

/* Attribute `name` (in no namespace) of node, as xmlGetNoNsProp reads it,
 * but borrowed from the document when it is one text node, as the parser
 * leaves attributes (*owned NULL); else xmlGetNoNsProp's copy, in *owned
 * (xmlFree it). NULL when absent. Saves an allocation per attribute. */
static const char *attr_value(xmlNodePtr node, const char *name, xmlChar **owned)
{
    *owned = NULL;
    xmlAttrPtr a = node->properties;
    for (; a != NULL && (a->ns != NULL || strcmp((const char *)a->name, name) != 0); a = a->next)
        ;
    xmlNodePtr t = a != NULL ? a->children : NULL;
    if (t != NULL && t->next == NULL && t->type == XML_TEXT_NODE && t->content != NULL)
        return (const char *)t->content;
    /* Absent, and no DTD could default it (cs_xml_parse refuses DTDs). */
    if (a == NULL && node->doc != NULL && node->doc->intSubset == NULL && node->doc->extSubset == NULL)
        return NULL;
    *owned = xmlGetNoNsProp(node, (const xmlChar *)name);
    return (const char *)*owned;
}

/* Copies attribute `name` into *dst (NULL when absent). Returns -1 on ENOMEM. */
static int copy_attr(char **dst, xmlNodePtr node, const char *name)
{
    xmlChar *owned = NULL;
    const char *v = attr_value(node, name, &owned);
    *dst = v != NULL ? cs_strdup(v) : NULL;
    xmlFree(owned);
    return v != NULL && *dst == NULL ? -1 : 0;
}

/* A copy of the text inside n (xmlNodeGetContent), without libxml2's own
 * copy when it is one text node. NULL on ENOMEM. */
static char *content_of(xmlNodePtr n)
{
    xmlNodePtr t = n->children;
    if (t == NULL)
        return cs_strdup("");
    if (t->next == NULL && t->type == XML_TEXT_NODE && t->content != NULL)
        return cs_strdup((const char *)t->content);
    xmlChar *v = xmlNodeGetContent(n);
    char *copy = cs_strdup(v != NULL ? (const char *)v : "");
    xmlFree(v);
    return copy;
}

static size_t count_children(xmlNodePtr parent, const char *name)
{
    size_t n = 0;
    for (xmlNodePtr c = parent->children; c != NULL; c = c->next)
        n += cs_xml_is_element(c, name);
    return n;
}

/* Allocates an array for the `name` children of parent. On failure the
 * count stays 0, so that freeing the half-built record is safe. */
static int alloc_for(void **out, xmlNodePtr parent, const char *name, size_t elem_size, size_t *count)
{
    size_t n = count_children(parent, name);
    *out = NULL;
    *count = 0;
    if (n == 0)
        return 0;
    if ((*out = calloc(n, elem_size)) == NULL)
        return -1;
    *count = n;
    return 0;
}

/* An xs:boolean: "true" or "1", with the whitespace around it collapsed as
 * the schema does, so that final=" true" is as final as the schema says. */
static int read_boolean(xmlNodePtr node, const char *name)
{
    xmlChar *v = NULL;
    const char *p = attr_value(node, name, &v);
    size_t n = p != NULL ? strlen(p) : 0;
    while (n > 0 && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++, n--;
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\n' || p[n - 1] == '\r'))
        n--;
    int yes = (n == 4 && memcmp(p, "true", 4) == 0) || (n == 1 && p[0] == '1');
    xmlFree(v);
    return yes;
}

static int decode_subject(cs_subject *s, xmlNodePtr n)
{
    return copy_attr(&s->id, n, "id") | copy_attr(&s->role, n, "role") | copy_attr(&s->name, n, "name");
}

static int decode_consent(cs_consent *c, xmlNodePtr n)
{
    return copy_attr(&c->subject, n, "subject") | copy_attr(&c->given_by, n, "given-by") |
           copy_attr(&c->method, n, "method") | copy_attr(&c->capacity, n, "capacity") |
           copy_attr(&c->at, n, "at") | copy_attr(&c->scopes, n, "scopes") |
           copy_attr(&c->withdrawn_at, n, "withdrawn-at");
}

/* What a <section> and its <section-stamp> share: id, origin and the
 * origin's texts, into `holder` (a cs_section or cs_section_stamp, as `in`
 * says). */
static int decode_origin(char **id, cs_origin *origin, void *holder, int in, xmlNodePtr n)
{
    char *name = NULL;
    int rc = copy_attr(id, n, "id") | copy_attr(&name, n, "origin");
    for (size_t i = 0; i < CS_N_ORIGIN_TEXTS; i++)
        rc |= copy_attr(cs_origin_text_at(holder, in, i), n, cs_origin_texts[i].attr);
    if (name != NULL)
        cs_origin_parse(origin, name); /* the schema allows only known values */
    free(name);
    return rc;
}

static int decode_section(cs_section *s, xmlNodePtr n)
{
    int rc = decode_origin(&s->id, &s->origin, s, CS_IN_SECTION, n);
    s->text = content_of(n);
    if (s->text == NULL)
        return -1;
    s->text_len = strlen(s->text);
    return rc;
}

/* An xs:unsignedInt the schema has checked, or `absent`. */
static int64_t read_number(xmlNodePtr node, const char *name, int64_t absent)
{
    xmlChar *v = NULL;
    const char *text = attr_value(node, name, &v);
    int64_t x = text != NULL ? strtoll(text, NULL, 10) : absent;
    xmlFree(v);
    return x;
}

static int decode_cite(cs_cite *c, xmlNodePtr n)
{
    char *support = NULL;
    int rc = copy_attr(&c->section, n, "section") | copy_attr(&c->segments, n, "segments") |
             copy_attr(&c->reason, n, "reason") | copy_attr(&support, n, "support") |
             copy_attr(&c->unsure, n, "unsure");
    c->unsupported = support != NULL && strcmp(support, "unsupported") == 0;
    free(support);
    if (c->unsure != NULL && c->unsure[0] == '\0') { /* unsure="": no word was unsure */
        free(c->unsure);
        c->unsure = NULL;
    }
    c->offset = (uint32_t)read_number(n, "offset", 0);
    c->length = (uint32_t)read_number(n, "length", 0);
    c->start_ms = read_number(n, "start-ms", -1);
    c->end_ms = read_number(n, "end-ms", -1);
    return rc;
}

static int decode_section_stamp(cs_section_stamp *s, xmlNodePtr n)
{
    int rc = decode_origin(&s->id, &s->origin, s, CS_IN_STAMP, n) | copy_attr(&s->digest, n, "digest") |
             copy_attr(&s->fingerprint, n, "fingerprint") | copy_attr(&s->text_mac, n, "text-mac");
    s->consent_withdrawn = read_boolean(n, "consent-withdrawn");
    if (rc != 0 || copy_attr(&s->drafted_at, n, "drafted-at") != 0 ||
        alloc_for((void **)&s->earlier, n, "earlier-engine", sizeof(cs_engine_use), &s->n_earlier) != 0)
        return -1;
    size_t i = 0;
    for (xmlNodePtr c = n->children; c != NULL && rc == 0; c = c->next) {
        if (!cs_xml_is_element(c, "earlier-engine"))
            continue;
        rc = copy_attr(&s->earlier[i].engine, c, "engine") | copy_attr(&s->earlier[i].model, c, "model");
        i++;
    }
    return rc;
}

static int allowed(xmlNodePtr n, const char *name)
{
    xmlChar *v = NULL;
    const char *text = attr_value(n, name, &v);
    int yes = text != NULL && strcmp(text, "allowed") == 0;
    xmlFree(v);
    return yes;
}

static int decode_consent_stamp(cs_consent_stamp *c, xmlNodePtr n)
{
    c->local_ai = allowed(n, "local-ai");
    c->external_ai = allowed(n, "external-ai");
    return copy_attr(&c->subject, n, "subject") | copy_attr(&c->in_force, n, "in-force") |
           copy_attr(&c->given_by, n, "given-by") | copy_attr(&c->capacity, n, "capacity") |
           copy_attr(&c->scopes, n, "scopes") | copy_attr(&c->withdrawn_at, n, "withdrawn-at") |
           copy_attr(&c->entries, n, "entries");
}

static int copy_content(char **dst, xmlNodePtr n)
{
    *dst = content_of(n);
    return *dst == NULL ? -1 : 0;
}

static int decode_policy_stamp(cs_provenance *p, xmlNodePtr n)
{
    char *version = NULL;
    int rc = copy_attr(&p->policy_team, n, "team") | copy_attr(&p->policy_state, n, "state") |
             copy_attr(&p->policy_digest, n, "digest") | copy_attr(&version, n, "version");
    unsigned long v = version != NULL ? strtoul(version, NULL, 10) : 0;
    p->policy_version = v > UINT32_MAX ? 0 : (uint32_t)v;
    free(version);
    return rc;
}

static int decode_provenance_children(cs_provenance *p, xmlNodePtr node)
{
    size_t si = 0, ci = 0;
    int rc = 0;
    for (xmlNodePtr c = node->children; c != NULL && rc == 0; c = c->next) {
        if (cs_xml_is_element(c, "actor"))
            rc = copy_attr(&p->actor_id, c, "id") | copy_attr(&p->actor_team, c, "team") |
                 copy_attr(&p->actor_role, c, "role");
        else if (cs_xml_is_element(c, "policy"))
            rc = decode_policy_stamp(p, c);
        else if (cs_xml_is_element(c, "form-digest"))
            rc = copy_content(&p->form_digest, c);
        else if (cs_xml_is_element(c, "subjects-digest"))
            rc = copy_content(&p->subjects_digest, c);
        else if (cs_xml_is_element(c, "consents-digest"))
            rc = copy_content(&p->consents_digest, c);
        else if (cs_xml_is_element(c, "section-stamp"))
            rc = decode_section_stamp(&p->sections[si++], c);
        else if (cs_xml_is_element(c, "consent-stamp"))
            rc = decode_consent_stamp(&p->consents[ci++], c);
        else if (cs_xml_is_element(c, "signature"))
            rc = copy_content(&p->signature, c);
    }
    return rc;
}

static int decode_provenance(cs_provenance **out, xmlNodePtr node)
{
    cs_provenance *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return -1;
    *out = p;
    char *version = NULL, *seq = NULL;
    int rc = copy_attr(&p->record, node, "record") | copy_attr(&version, node, "version") |
             copy_attr(&p->previous, node, "previous") | copy_attr(&p->at, node, "at") |
             copy_attr(&p->library, node, "library") | copy_attr(&p->key_id, node, "key-id") |
             copy_attr(&seq, node, "ledger-seq") | copy_attr(&p->ledger_prev, node, "ledger-prev");
    if (version != NULL) {
        unsigned long v = strtoul(version, NULL, 10);
        p->version = v > UINT32_MAX ? 0 : (uint32_t)v;
    }
    p->ledger_seq = seq != NULL ? strtoull(seq, NULL, 10) : 0; /* the schema allows digits only */
    free(version);
    free(seq);
    if (rc != 0)
        return -1;
    if (alloc_for((void **)&p->sections, node, "section-stamp", sizeof(cs_section_stamp), &p->n_sections) != 0 ||
        alloc_for((void **)&p->consents, node, "consent-stamp", sizeof(cs_consent_stamp), &p->n_consents) != 0)
        return -1;
    return decode_provenance_children(p, node);
}

static int decode_children(cs_record *r, xmlNodePtr root)
{
    size_t si = 0, ci = 0, xi = 0, ti = 0;
    int rc = 0;
    for (xmlNodePtr c = root->children; c != NULL && rc == 0; c = c->next) {
        if (cs_xml_is_element(c, "cite"))
            rc = decode_cite(&r->cites[ti++], c);
        else if (cs_xml_is_element(c, "subject"))
            rc = decode_subject(&r->subjects[si++], c);
        else if (cs_xml_is_element(c, "consent"))
            rc = decode_consent(&r->consents[ci++], c);
        else if (cs_xml_is_element(c, "section"))
            rc = decode_section(&r->sections[xi++], c);
        else if (cs_xml_is_element(c, "provenance"))
            rc = decode_provenance(&r->provenance, c);
    }
    return rc;
}

static int decode_record(cs_record *r, xmlNodePtr root)
{
    if (copy_attr(&r->id, root, "id") | copy_attr(&r->template_id, root, "template") |
        copy_attr(&r->team, root, "team") | copy_attr(&r->author, root, "author") |
        copy_attr(&r->carried_digest, root, "carried-digest"))
        return -1;
    r->final = read_boolean(root, "final");
    if (alloc_for((void **)&r->subjects, root, "subject", sizeof(cs_subject), &r->n_subjects) != 0 ||
        alloc_for((void **)&r->consents, root, "consent", sizeof(cs_consent), &r->n_consents) != 0 ||
        alloc_for((void **)&r->sections, root, "section", sizeof(cs_section), &r->n_sections) != 0 ||
        alloc_for((void **)&r->cites, root, "cite", sizeof(cs_cite), &r->n_cites) != 0)
        return -1;
    return decode_children(r, root);
}

/* Checks the schema cannot express: ids unique within their list. */
static int32_t check_unique_ids(const cs_record *r)
{
    for (size_t i = 0; i < r->n_sections; i++)
        for (size_t j = i + 1; j < r->n_sections; j++)
            if (strcmp(r->sections[i].id, r->sections[j].id) == 0)
                return cs_fail(CASESCRIBE_ESCHEMA, "section id '%s' appears twice", r->sections[i].id);
    for (size_t i = 0; i < r->n_subjects; i++)
        for (size_t j = i + 1; j < r->n_subjects; j++)
            if (strcmp(r->subjects[i].id, r->subjects[j].id) == 0)
                return cs_fail(CASESCRIBE_ESCHEMA, "subject id '%s' appears twice", r->subjects[i].id);
    for (size_t i = 0; i < r->n_consents; i++) {
        int known = 0;
        for (size_t j = 0; j < r->n_subjects; j++)
            known |= strcmp(r->consents[i].subject, r->subjects[j].id) == 0;
        if (!known)
            return cs_fail(CASESCRIBE_ESCHEMA, "consent names subject '%s', who is not a subject of the form",
                           r->consents[i].subject);
    }
    return CASESCRIBE_OK;
}

/* ------------------------------------------------------------------------
 * Bounds. Every field has one, checked before the schema (which repeats
 * them as facets), so that whatever a save accepts, its stamped copy can
 * be read back by verify and by the next save: CS_FORM_MAX_* in form_xml.h.
 * ------------------------------------------------------------------------ */

static const struct {
    const char *name;
    size_t max; /* bytes */
} attr_bounds[] = {
    {"scopes", CS_FORM_MAX_SCOPES},       {"at", CS_FORM_MAX_TIME},         {"withdrawn-at", CS_FORM_MAX_TIME},
    {"reviewed-at", CS_FORM_MAX_TIME},    {"in-force", CS_FORM_MAX_TIME},   {"engine-settings", CS_FORM_MAX_LONG},
    {"fingerprint", CS_FORM_MAX_PRINT},    {"segments", CS_FORM_MAX_LONG},   {"unsure", CS_FORM_MAX_UNSURE},
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* An attribute's bound: its own, else an id's or a short text's (256
 * characters, at most 4 bytes each). */
static size_t attr_bound(const char *name)
{
    for (size_t i = 0; i < COUNT_OF(attr_bounds); i++)
        if (strcmp(attr_bounds[i].name, name) == 0)
            return attr_bounds[i].max;
    return CS_FORM_MAX_SHORT;
}

static int32_t too_big(const xmlNode *n, const char *field, size_t size, size_t max)
{
    return cs_fail(CASESCRIBE_ETOOBIG, "the form's %s@%s is %zu bytes; the limit is %zu", (const char *)n->name,
                   field, size, max);
}

static int32_t check_attr_bounds(const xmlNode *n)
{
    for (const xmlAttr *a = n->properties; a != NULL; a = a->next) {
        size_t size = 0;
        for (const xmlNode *t = a->children; t != NULL; t = t->next)
            size += t->content != NULL ? strlen((const char *)t->content) : 0;
        size_t max = attr_bound((const char *)a->name);
        if (size > max)
            return too_big(n, (const char *)a->name, size, max);
    }
    return CASESCRIBE_OK;
}

/* Text directly inside an element (a section's text, a digest). */
static int32_t check_text_bound(const xmlNode *n)
{
    size_t size = 0;
    for (const xmlNode *t = n->children; t != NULL; t = t->next)
        if (t->type == XML_TEXT_NODE || t->type == XML_CDATA_SECTION_NODE)
            size += t->content != NULL ? strlen((const char *)t->content) : 0;
    size_t max = strcmp((const char *)n->name, "section") == 0 ? CS_FORM_MAX_SECTION_TEXT : CS_FORM_MAX_LONG;
    if (size > max)
        return cs_fail(CASESCRIBE_ETOOBIG, "the text of a <%s> is %zu bytes; the limit is %zu", (const char *)n->name,
                       size, max);
    return CASESCRIBE_OK;
}

static int32_t check_bounds(const xmlNode *n)
{
    int32_t rc = check_attr_bounds(n);
    if (rc == CASESCRIBE_OK)
        rc = check_text_bound(n);
    for (const xmlNode *c = n->children; rc == CASESCRIBE_OK && c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            rc = check_bounds(c); /* depth is bounded by the parser (CASESCRIBE_MAX_XML_DEPTH) */
    return rc;
}

/* Times the schema's pattern lets through but that are no time: month 13,
 * an offset of +23:59. */
static int32_t check_times(const xmlNode *n)
{
    static const char *const time_attrs[] = {"at", "withdrawn-at", "reviewed-at", "in-force"};
    for (size_t i = 0; i < COUNT_OF(time_attrs); i++) {
        xmlChar *owned = NULL;
        const char *v = attr_value((xmlNodePtr)n, time_attrs[i], &owned);
        int64_t t = 0;
        int bad = v != NULL && cs_parse_time(&t, v) != 0;
        int32_t rc = bad ? cs_fail(CASESCRIBE_ESCHEMA, "%s@%s '%s' is not a valid time (UTC offsets run from -12:00 "
                                                       "to +14:00)",
                                   (const char *)n->name, time_attrs[i], v)
                         : CASESCRIBE_OK;
        xmlFree(owned);
        if (rc != CASESCRIBE_OK)
            return rc;
    }
    for (const xmlNode *c = n->children; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE && check_times(c) != CASESCRIBE_OK)
            return CASESCRIBE_ESCHEMA;
    return CASESCRIBE_OK;
}

int32_t cs_form_decode(cs_record **out, const uint8_t *buf, size_t len)
{
    *out = NULL;
    xmlDocPtr doc = NULL;
    int32_t rc = cs_xml_parse(&doc, buf, len, CASESCRIBE_MAX_PAYLOAD);
    if (rc != CASESCRIBE_OK)
        return rc;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    rc = root != NULL ? check_bounds(root) : CASESCRIBE_OK;
    if (rc == CASESCRIBE_OK)
        rc = cs_xml_schema_validate(&form_schema, doc);
    if (rc == CASESCRIBE_OK && root != NULL)
        rc = check_fingerprints(root);
    if (rc == CASESCRIBE_OK && root != NULL)
        rc = check_times(root);
    /* The schema already allows only <form> as a root; checked again here
     * because everything after this assumes a record id. */
    if (rc == CASESCRIBE_OK && (root == NULL || root->ns == NULL || !cs_xml_is_element(root, "form") ||
                                strcmp((const char *)root->ns->href, CS_FORM_NS) != 0))
        rc = cs_fail(CASESCRIBE_ESCHEMA, "not a urn:casescribe:form:1 form: the root element must be <form>");
    if (rc != CASESCRIBE_OK) {
        xmlFreeDoc(doc);
        return rc;
    }
    cs_record *r = calloc(1, sizeof(*r));
    if (r == NULL || decode_record(r, root) != 0) {
        xmlFreeDoc(doc);
        cs_record_free(r);
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory decoding the form");
    }
    r->received = doc;
    rc = check_unique_ids(r);
    if (rc != CASESCRIBE_OK) {
        cs_record_free(r);
        return rc;
    }
    *out = r;
    return CASESCRIBE_OK;
}

/* ------------------------------------------------------------------------
 * Encoding: model -> DOM, always in the same order, so that the canonical
 * bytes depend only on the model.
 * ------------------------------------------------------------------------ */

/* A builder that remembers whether any libxml2 call failed, so that the
 * render functions read as the document they make. */
struct builder {
    xmlDocPtr doc;
    xmlNsPtr ns;
    int failed;
};

static xmlNodePtr add_element(struct builder *b, xmlNodePtr parent, const char *name, const char *text)
{
    if (b->failed)
        return NULL;
    xmlNodePtr n = parent == NULL ? xmlNewDocNode(b->doc, b->ns, (const xmlChar *)name, NULL)
                                  : xmlNewTextChild(parent, b->ns, (const xmlChar *)name, (const xmlChar *)text);
    if (n == NULL)
        b->failed = 1;
    return n;
}

static void add_attr(struct builder *b, xmlNodePtr n, const char *name, const char *value)
{
    if (b->failed || value == NULL)
        return;
    if (xmlNewProp(n, (const xmlChar *)name, (const xmlChar *)value) == NULL)
        b->failed = 1;
}

/* Starts a document whose root is `name` in the form namespace. */
static xmlNodePtr begin_doc(struct builder *b, const char *name)
{
    memset(b, 0, sizeof(*b));
    b->doc = xmlNewDoc((const xmlChar *)"1.0");
    if (b->doc == NULL) {
        b->failed = 1;
        return NULL;
    }
    xmlNodePtr root = xmlNewDocNode(b->doc, NULL, (const xmlChar *)name, NULL);
    if (root == NULL) {
        b->failed = 1;
        return NULL;
    }
    xmlDocSetRootElement(b->doc, root);
    b->ns = xmlNewNs(root, (const xmlChar *)CS_FORM_NS, NULL);
    if (b->ns == NULL)
        b->failed = 1;
    else
        xmlSetNs(root, b->ns);
    return root;
}

static void render_subjects(struct builder *b, xmlNodePtr root, const cs_record *r)
{
    for (size_t i = 0; i < r->n_subjects; i++) {
        xmlNodePtr n = add_element(b, root, "subject", NULL);
        add_attr(b, n, "id", r->subjects[i].id);
        add_attr(b, n, "role", r->subjects[i].role);
        add_attr(b, n, "name", r->subjects[i].name);
    }
}

static void render_consent(struct builder *b, xmlNodePtr root, const cs_consent *c)
{
    xmlNodePtr n = add_element(b, root, "consent", NULL);
    add_attr(b, n, "subject", c->subject);
    add_attr(b, n, "given-by", c->given_by);
    add_attr(b, n, "method", c->method);
    add_attr(b, n, "capacity", c->capacity);
    add_attr(b, n, "at", c->at);
    add_attr(b, n, "scopes", c->scopes);
    add_attr(b, n, "withdrawn-at", c->withdrawn_at);
}

static void render_consents(struct builder *b, xmlNodePtr root, const cs_record *r)
{
    for (size_t i = 0; i < r->n_consents; i++)
        render_consent(b, root, &r->consents[i]);
}

/* What a <section> and its <section-stamp> share (decode_origin). */
static void render_origin(struct builder *b, xmlNodePtr n, const char *id, cs_origin origin, const void *holder,
                          int in)
{
    add_attr(b, n, "id", id);
    add_attr(b, n, "origin", cs_origin_name(origin));
    for (size_t i = 0; i < CS_N_ORIGIN_TEXTS; i++)
        add_attr(b, n, cs_origin_texts[i].attr, cs_origin_text_of(holder, in, i));
}

static void render_section(struct builder *b, xmlNodePtr parent, const cs_section *s)
{
    xmlNodePtr n = add_element(b, parent, "section", s->text);
    render_origin(b, n, s->id, s->origin, s, CS_IN_SECTION);
}

static void render_cite(struct builder *b, xmlNodePtr parent, const cs_cite *c)
{
    char num[4][24];
    snprintf(num[0], sizeof(num[0]), "%u", (unsigned)c->offset);
    snprintf(num[1], sizeof(num[1]), "%u", (unsigned)c->length);
    snprintf(num[2], sizeof(num[2]), "%lld", (long long)c->start_ms);
    snprintf(num[3], sizeof(num[3]), "%lld", (long long)c->end_ms);
    xmlNodePtr n = add_element(b, parent, "cite", NULL);
    add_attr(b, n, "section", c->section);
    add_attr(b, n, "offset", num[0]);
    add_attr(b, n, "length", num[1]);
    add_attr(b, n, "segments", c->segments != NULL ? c->segments : "");
    add_attr(b, n, "start-ms", c->start_ms >= 0 ? num[2] : NULL);
    add_attr(b, n, "end-ms", c->end_ms >= 0 ? num[3] : NULL);
    add_attr(b, n, "support", c->unsupported ? "unsupported" : "supported");
    add_attr(b, n, "reason", c->reason);
    /* Absent rather than empty when no word was unsure, as the filler writes it. */
    add_attr(b, n, "unsure", c->unsure != NULL && c->unsure[0] != '\0' ? c->unsure : NULL);
}

static void render_form_attrs(struct builder *b, xmlNodePtr root, const cs_record *r)
{
    add_attr(b, root, "id", r->id);
    add_attr(b, root, "template", r->template_id);
    add_attr(b, root, "team", r->team);
    add_attr(b, root, "author", r->author);
    if (r->final)
        add_attr(b, root, "final", "true");
    add_attr(b, root, "carried-digest", r->carried_digest);
}

static void render_section_stamp(struct builder *b, xmlNodePtr parent, const cs_section_stamp *s)
{
    xmlNodePtr n = add_element(b, parent, "section-stamp", NULL);
    render_origin(b, n, s->id, s->origin, s, CS_IN_STAMP);
    add_attr(b, n, "digest", s->digest);
    add_attr(b, n, "fingerprint", s->fingerprint);
    add_attr(b, n, "text-mac", s->text_mac);
    if (s->consent_withdrawn)
        add_attr(b, n, "consent-withdrawn", "true");
    add_attr(b, n, "drafted-at", s->drafted_at);
    for (size_t i = 0; i < s->n_earlier; i++) {
        xmlNodePtr e = add_element(b, n, "earlier-engine", NULL);
        add_attr(b, e, "engine", s->earlier[i].engine);
        add_attr(b, e, "model", s->earlier[i].model);
    }
}

static void render_consent_stamp(struct builder *b, xmlNodePtr parent, const cs_consent_stamp *c)
{
    xmlNodePtr n = add_element(b, parent, "consent-stamp", NULL);
    add_attr(b, n, "subject", c->subject);
    add_attr(b, n, "in-force", c->in_force);
    add_attr(b, n, "given-by", c->given_by);
    add_attr(b, n, "capacity", c->capacity);
    add_attr(b, n, "scopes", c->scopes);
    add_attr(b, n, "withdrawn-at", c->withdrawn_at);
    add_attr(b, n, "local-ai", c->local_ai ? "allowed" : "refused");
    add_attr(b, n, "external-ai", c->external_ai ? "allowed" : "refused");
    add_attr(b, n, "entries", c->entries);
}

static void render_provenance_body(struct builder *b, xmlNodePtr n, const cs_provenance *p, int with_signature)
{
    char version[16];
    snprintf(version, sizeof(version), "%u", (unsigned)p->version);
    add_attr(b, n, "record", p->record);
    add_attr(b, n, "version", version);
    add_attr(b, n, "previous", p->previous);
    add_attr(b, n, "at", p->at);
    add_attr(b, n, "library", p->library);
    add_attr(b, n, "key-id", p->key_id);
    if (p->ledger_seq > 0) {
        char seq[24];
        snprintf(seq, sizeof(seq), "%llu", (unsigned long long)p->ledger_seq);
        add_attr(b, n, "ledger-seq", seq);
        add_attr(b, n, "ledger-prev", p->ledger_prev);
    }
    xmlNodePtr actor = add_element(b, n, "actor", NULL);
    add_attr(b, actor, "id", p->actor_id);
    add_attr(b, actor, "team", p->actor_team);
    add_attr(b, actor, "role", p->actor_role);
    if (p->policy_team != NULL) {
        char policy_version[16];
        snprintf(policy_version, sizeof(policy_version), "%u", (unsigned)p->policy_version);
        xmlNodePtr policy = add_element(b, n, "policy", NULL);
        add_attr(b, policy, "team", p->policy_team);
        add_attr(b, policy, "version", policy_version);
        add_attr(b, policy, "state", p->policy_state);
        add_attr(b, policy, "digest", p->policy_digest);
    }
    add_element(b, n, "form-digest", p->form_digest);
    add_element(b, n, "subjects-digest", p->subjects_digest);
    add_element(b, n, "consents-digest", p->consents_digest);
    for (size_t i = 0; i < p->n_sections; i++)
        render_section_stamp(b, n, &p->sections[i]);
    for (size_t i = 0; i < p->n_consents; i++)
        render_consent_stamp(b, n, &p->consents[i]);
    if (with_signature) {
        xmlNodePtr sig = add_element(b, n, "signature", p->signature);
        add_attr(b, sig, "algorithm", "ed25519");
    }
}

static xmlDocPtr render_record(const cs_record *r, int part, int with_provenance)
{
    struct builder b;
    xmlNodePtr root = begin_doc(&b, "form");
    if (part == CS_CANON_FORM)
        render_form_attrs(&b, root, r);
    if (part == CS_CANON_FORM || part == CS_CANON_SUBJECTS)
        render_subjects(&b, root, r);
    if (part == CS_CANON_FORM || part == CS_CANON_CONSENTS)
        render_consents(&b, root, r);
    if (part == CS_CANON_FORM)
        for (size_t i = 0; i < r->n_sections; i++)
            render_section(&b, root, &r->sections[i]);
    if (part == CS_CANON_FORM)
        for (size_t i = 0; i < r->n_cites; i++)
            render_cite(&b, root, &r->cites[i]);
    if (with_provenance && r->provenance != NULL)
        render_provenance_body(&b, add_element(&b, root, "provenance", NULL), r->provenance, 1);
    if (b.failed) {
        xmlFreeDoc(b.doc);
        return NULL;
    }
    return b.doc;
}

/* Copies libxml2-owned bytes into malloc'd memory that casescribe_free() frees. */
static int32_t take_bytes(uint8_t **out, size_t *out_len, xmlChar *mem, int size)
{
    if (mem == NULL || size < 0) {
        xmlFree(mem);
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory serialising the record");
    }
    *out = malloc((size_t)size + 1);
    if (*out == NULL) {
        xmlFree(mem);
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory serialising the record");
    }
    memcpy(*out, mem, (size_t)size);
    (*out)[size] = '\0';
    *out_len = (size_t)size;
    xmlFree(mem);
    return CASESCRIBE_OK;
}

static int32_t canonical_of(uint8_t **out, size_t *out_len, xmlDocPtr doc)
{
    *out = NULL;
    *out_len = 0;
    if (doc == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory rendering the record");
    xmlChar *mem = NULL;
    int size = xmlC14NDocDumpMemory(doc, NULL, XML_C14N_EXCLUSIVE_1_0, NULL, 0, &mem);
    xmlFreeDoc(doc);
    return take_bytes(out, out_len, mem, size);
}

int32_t cs_form_canonical(uint8_t **out, size_t *out_len, const cs_record *r, int part)
{
    return canonical_of(out, out_len, render_record(r, part, 0));
}

/* The document a builder made, or NULL (freed) when a step failed. */
static xmlDocPtr built(struct builder *b)
{
    if (b->failed) {
        xmlFreeDoc(b->doc);
        b->doc = NULL;
    }
    return b->doc;
}

int32_t cs_section_canonical(uint8_t **out, size_t *out_len, const cs_section *s)
{
    struct builder b;
    render_section(&b, begin_doc(&b, "form"), s);
    return canonical_of(out, out_len, built(&b));
}

int32_t cs_consent_canonical(uint8_t **out, size_t *out_len, const cs_consent *c)
{
    struct builder b;
    render_consent(&b, begin_doc(&b, "form"), c);
    return canonical_of(out, out_len, built(&b));
}

int32_t cs_provenance_canonical(uint8_t **out, size_t *out_len, const cs_provenance *p, int with_signature)
{
    struct builder b;
    xmlNodePtr root = begin_doc(&b, "provenance");
    render_provenance_body(&b, root, p, with_signature);
    if (b.failed) {
        xmlFreeDoc(b.doc);
        b.doc = NULL;
    }
    return canonical_of(out, out_len, b.doc);
}

/* ------------------------------------------------------------------------
 * One canonical pass for every digest, and one rendering for the stamp and
 * the stamped record.
 * ------------------------------------------------------------------------ */

/* Where each child of the root lies in canonical bytes c: C14N writes
 * every '<' of text and attribute values as "&lt;" and every '"' inside an
 * attribute value as "&quot;", and never an empty-element tag, so a '<'
 * starts a tag and a '>' outside quotes ends it. Returns the count. */
static size_t child_ranges(const uint8_t *c, size_t len, size_t (*ranges)[2], size_t max)
{
    size_t n = 0, depth = 0, start = 0;
    for (size_t i = 0; i < len; i++) {
        if (c[i] != '<')
            continue;
        int closing = i + 1 < len && c[i + 1] == '/';
        size_t at = i;
        for (int quoted = 0; i < len && (c[i] != '>' || quoted); i++)
            quoted ^= c[i] == '"';
        if (!closing && depth++ == 1)
            start = at;
        if (closing && depth > 0 && --depth == 1 && n < max) {
            ranges[n][0] = start;
            ranges[n][1] = i + 1;
            n++;
        }
    }
    return n;
}

void cs_form_canon_free(cs_form_canon *c)
{
    free(c->bytes);
    free(c->ranges);
    xmlFreeDoc(c->doc);
    memset(c, 0, sizeof(*c));
}

int32_t cs_form_canonical_all(cs_form_canon *out, const cs_record *r, int keep_doc)
{
    memset(out, 0, sizeof(*out));
    xmlDocPtr doc = render_record(r, CS_CANON_FORM, 0);
    xmlChar *mem = NULL;
    int size = doc != NULL ? xmlC14NDocDumpMemory(doc, NULL, XML_C14N_EXCLUSIVE_1_0, NULL, 0, &mem) : -1;
    if (keep_doc)
        out->doc = doc;
    else
        xmlFreeDoc(doc);
    int32_t rc = take_bytes(&out->bytes, &out->len, mem, size);
    size_t n = r->n_subjects + r->n_consents + r->n_sections + r->n_cites;
    if (rc == CASESCRIBE_OK && (out->ranges = calloc(n ? n : 1, sizeof(*out->ranges))) == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc == CASESCRIBE_OK && (out->n_ranges = child_ranges(out->bytes, out->len, out->ranges, n)) != n)
        rc = cs_fail(CASESCRIBE_EINTERNAL, "the canonical form has %zu parts, not %zu", out->n_ranges, n);
    if (rc != CASESCRIBE_OK)
        cs_form_canon_free(out);
    return rc;
}

/* ---- the same passes over the document received ---------------------- */

void cs_form_received_free(cs_record *r)
{
    xmlFreeDoc(r->received);
    r->received = NULL;
}

static int is_within(xmlNodePtr n, xmlNodePtr top)
{
    for (; n != NULL && top != NULL; n = n->parent)
        if (n == top)
            return 1;
    return 0;
}

/* What the renderer writes of a received document: no comment, no
 * processing instruction, no indentation outside a section's text; with
 * `form`, all but the provenance, else the provenance without its
 * signature. */
struct received_part {
    xmlNodePtr prov, sig;
    int form;
};

static int received_visible(void *user, xmlNodePtr node, xmlNodePtr parent)
{
    const struct received_part *p = user;
    xmlNodePtr el = node->type == XML_NAMESPACE_DECL || node->type == XML_ATTRIBUTE_NODE ? parent : node;
    if (node->type == XML_COMMENT_NODE || node->type == XML_PI_NODE)
        return 0;
    if (node->type == XML_TEXT_NODE && xmlIsBlankNode(node) && !cs_xml_is_element(node->parent, "section"))
        return 0;
    return p->form ? !is_within(el, p->prov) : is_within(el, p->prov) && !is_within(el, p->sig);
}

/* One C14N pass over what `visible` shows of doc, into *out (malloc'd). */
static int32_t c14n_visible(uint8_t **out, size_t *out_len, xmlDocPtr doc, xmlC14NIsVisibleCallback visible, void *user)
{
    xmlOutputBufferPtr buf = xmlAllocOutputBuffer(NULL);
    int ok = buf != NULL && xmlC14NExecute(doc, visible, user, XML_C14N_EXCLUSIVE_1_0, NULL, 0, buf) >= 0;
    size_t used = ok ? xmlBufUse(buf->buffer) : 0; /* the bytes stay in the buffer: it has no output to flush to */
    *out = ok ? malloc(used + 1) : NULL;
    if (*out != NULL) {
        memcpy(*out, xmlBufContent(buf->buffer), used);
        (*out)[used] = '\0';
        *out_len = used;
    }
    if (buf != NULL)
        xmlOutputBufferClose(buf);
    return *out != NULL ? CASESCRIBE_OK : cs_fail(CASESCRIBE_ENOMEM, "out of memory canonicalising the record");
}

static xmlNodePtr provenance_of(xmlDocPtr doc);

static xmlNodePtr signature_of(xmlNodePtr prov)
{
    for (xmlNodePtr c = prov != NULL ? prov->children : NULL; c != NULL; c = c->next)
        if (cs_xml_is_element(c, "signature"))
            return c;
    return NULL;
}

int32_t cs_form_canonical_received(cs_form_canon *out, const cs_record *r)
{
    memset(out, 0, sizeof(*out));
    if (r->received == NULL)
        return CASESCRIBE_ENOTFOUND;
    struct received_part p = {provenance_of(r->received), NULL, 1};
    int32_t rc = c14n_visible(&out->bytes, &out->len, r->received, received_visible, &p);
    size_t n = r->n_subjects + r->n_consents + r->n_sections + r->n_cites;
    if (rc == CASESCRIBE_OK && (out->ranges = calloc(n ? n : 1, sizeof(*out->ranges))) == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc == CASESCRIBE_OK && (out->n_ranges = child_ranges(out->bytes, out->len, out->ranges, n)) != n)
        rc = CASESCRIBE_ENOTFOUND; /* not as the library writes it */
    if (rc != CASESCRIBE_OK)
        cs_form_canon_free(out);
    return rc;
}

int32_t cs_provenance_canonical_received(uint8_t **out, size_t *out_len, const cs_record *r)
{
    *out = NULL;
    *out_len = 0;
    xmlNodePtr prov = r->received != NULL ? provenance_of(r->received) : NULL;
    if (prov == NULL)
        return CASESCRIBE_ENOTFOUND;
    struct received_part p = {prov, signature_of(prov), 0};
    return c14n_visible(out, out_len, r->received, received_visible, &p);
}

/* The C14N pass over the provenance inside the stamped record's document:
 * only it and what it holds. */
static int in_provenance(void *user, xmlNodePtr node, xmlNodePtr parent)
{
    xmlNodePtr n = node->type == XML_NAMESPACE_DECL || node->type == XML_ATTRIBUTE_NODE ? parent : node;
    for (; n != NULL; n = n->parent)
        if (n == user)
            return 1;
    return 0;
}

static xmlNodePtr provenance_of(xmlDocPtr doc)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    for (xmlNodePtr c = root != NULL ? root->children : NULL; c != NULL; c = c->next)
        if (cs_xml_is_element(c, "provenance"))
            return c;
    return NULL;
}

int32_t cs_form_provenance_into(void *doc_, const cs_provenance *p, uint8_t **msg, size_t *len)
{
    xmlDocPtr doc = doc_;
    xmlNodePtr root = xmlDocGetRootElement(doc), old = provenance_of(doc);
    *msg = NULL;
    *len = 0;
    if (old != NULL) {
        xmlUnlinkNode(old);
        xmlFreeNode(old);
    }
    struct builder b = {doc, root->ns, 0};
    xmlNodePtr n = add_element(&b, root, "provenance", NULL);
    render_provenance_body(&b, n, p, 0);
    if (b.failed)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory rendering the provenance");
    return c14n_visible(msg, len, doc, in_provenance, n);
}

int32_t cs_form_dump_signed(uint8_t **out, size_t *out_len, void *doc_, const cs_provenance *p)
{
    xmlDocPtr doc = doc_;
    xmlNodePtr prov = provenance_of(doc);
    *out = NULL;
    *out_len = 0;
    struct builder b = {doc, prov != NULL ? prov->ns : NULL, prov == NULL};
    xmlNodePtr sig = add_element(&b, prov, "signature", p->signature);
    add_attr(&b, sig, "algorithm", "ed25519");
    if (b.failed)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory rendering the record");
    xmlChar *mem = NULL;
    int size = 0;
    xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
    return take_bytes(out, out_len, mem, size);
}

int32_t cs_form_encode(uint8_t **out, size_t *out_len, const cs_record *r)
{
    *out = NULL;
    *out_len = 0;
    xmlDocPtr doc = render_record(r, CS_CANON_FORM, 1);
    if (doc == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory rendering the record");
    xmlChar *mem = NULL;
    int size = 0;
    xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
    xmlFreeDoc(doc);
    return take_bytes(out, out_len, mem, size);
}
