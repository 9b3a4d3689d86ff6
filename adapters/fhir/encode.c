/* SPDX-License-Identifier: Apache-2.0 */
/* encode.c - reference form (stamped, or a fill job's draft) -> FHIR model:
 * a transaction Bundle of the QuestionnaireResponse, one Consent per
 * <consent>, and, for a stamped form, the signed Provenance.
 *
 * What the record model does not hold is carried over from the payload
 * decode was given (`original`): items that are not plain text (groups,
 * coded or numeric answers) and everything inside them, item texts, and
 * the QuestionnaireResponse's other elements and extensions. The stamp
 * covers those through form/@carried-digest (carried.c). The form is read
 * only through the library's parser (casescribe_xml_parse); it is the
 * library's own output, but it is still bounded here like any input. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map.h"

#define MAX_SUBJECTS 64u
#define MAX_SECTIONS 256u
#define MAX_CITES 4096u
#define MAX_SCOPES 64u

/* The form, element by element. */
struct view {
    xmlNodePtr root, prov;
    xmlNodePtr subjects[MAX_SUBJECTS], consents[MAX_CONSENTS], sections[MAX_SECTIONS];
    size_t n_subjects, n_consents, n_sections, n_cites;
    xmlNodePtr *cites;
    char used[MAX_SECTIONS]; /* sections already placed in the items */
    int any_ai;
};

static int32_t schema(fh_tree *t, const char *what)
{
    return fh_fail(t, CASESCRIBE_ESCHEMA, "fhir: %s", what);
}

static int is_ai(xmlNodePtr section)
{
    return fh_is_ai_origin(fm_prop(section, "origin"));
}

/* Appends c to a list of at most max; -1 when it is full. */
static int keep(xmlNodePtr *list, size_t *n, size_t max, xmlNodePtr c)
{
    if (*n == max)
        return -1;
    list[(*n)++] = c;
    return 0;
}

static int32_t read_view(fh_tree *t, struct view *v, xmlDocPtr doc)
{
    memset(v, 0, sizeof(*v));
    v->root = xmlDocGetRootElement(doc);
    if (!fm_is(v->root, "form") || fm_prop(v->root, "id") == NULL || fm_prop(v->root, "template") == NULL)
        return schema(t, "the record to encode is not a urn:casescribe:form:1 form");
    size_t cites = 0;
    for (xmlNodePtr c = v->root->children; c != NULL; c = c->next)
        cites += fm_is(c, "cite");
    if (cites > MAX_CITES)
        return schema(t, "the form has too many citations");
    if (cites > 0 && (v->cites = calloc(cites, sizeof(*v->cites))) == NULL)
        return fh_fail(t, CASESCRIBE_ENOMEM, "fhir: out of memory");
    int full = 0;
    for (xmlNodePtr c = v->root->children; c != NULL && !full; c = c->next) {
        if (fm_is(c, "subject"))
            full = keep(v->subjects, &v->n_subjects, MAX_SUBJECTS, c);
        else if (fm_is(c, "consent"))
            full = keep(v->consents, &v->n_consents, MAX_CONSENTS, c);
        else if (fm_is(c, "section"))
            full = keep(v->sections, &v->n_sections, MAX_SECTIONS, c);
        else if (fm_is(c, "cite"))
            full = keep(v->cites, &v->n_cites, cites, c);
        else if (fm_is(c, "provenance"))
            v->prov = c;
    }
    if (full)
        return schema(t, "the form has more subjects, consents or sections than it may");
    if (v->n_subjects == 0)
        return schema(t, "the form has no subject");
    for (size_t i = 0; i < v->n_sections; i++)
        v->any_ai |= is_ai(v->sections[i]);
    return CASESCRIBE_OK;
}

/* ---- small builders ------------------------------------------------------ */

/* Removes every child of n called `name`. */
static void drop(fh_tree *t, fh_node *n, const char *name)
{
    for (fh_node *k = fh_child(n, name, NULL), *next; k != NULL; k = next) {
        next = fh_child(n, name, k);
        fh_remove(t, n, k);
    }
}

/* Removes the extensions this adapter writes (ours, and the AI label). */
static void drop_ours(fh_tree *t, fh_node *n)
{
    for (fh_node *k = fh_child(n, "extension", NULL), *next; k != NULL; k = next) {
        next = fh_child(n, "extension", k);
        if (strncmp(k->url, CS_SD, strlen(CS_SD)) == 0 || fh_is_ai_label(k))
            fh_remove(t, n, k);
    }
}

/* A copy of src as element `name` of parent (its element may differ:
 * an item may move from the QuestionnaireResponse into another item). */
static fh_node *copy_into(fh_tree *t, fh_node *parent, const char *name, const fh_node *src)
{
    fh_node *n = fh_add(t, parent, name, NULL);
    if (n != NULL && src->id != NULL && fh_strdup(t, &n->id, src->id, strlen(src->id)) != 0)
        return NULL;
    for (const fh_node *k = src->first; k != NULL && n != NULL && t->status == CASESCRIBE_OK; k = k->next)
        fh_copy(t, n, k);
    return t->status == CASESCRIBE_OK ? n : NULL;
}

/* A Reference identified by system|value. The original's Reference to the
 * same one is the start, so that a host's literal reference
 * ("Patient/123") and its own extensions survive. */
static fh_node *reference(fh_tree *t, fh_node *parent, const char *name, const fh_node *orig, const char *system,
                          const char *value, const char *const *types)
{
    const char *was = fh_ref_id(orig, system, types, types != NULL);
    fh_node *ref = NULL;
    if (was != NULL && strcmp(was, value) == 0) {
        ref = copy_into(t, parent, name, orig);
        drop(t, ref, "identifier");
        drop(t, ref, "display");
        drop_ours(t, ref);
    } else {
        ref = fh_add(t, parent, name, NULL);
    }
    fh_node *id = fh_add(t, ref, "identifier", NULL);
    fh_add(t, id, "system", system);
    fh_add(t, id, "value", value);
    return ref;
}

static fh_node *subject_ref(fh_tree *t, fh_node *parent, const char *name, xmlNodePtr s, const fh_node *orig)
{
    static const char *const patients[] = {"Patient", NULL};
    const char *role = fm_prop(s, "role"), *display = fm_prop(s, "name");
    fh_node *ref = reference(t, parent, name, orig, SYS_SUBJECT, fm_prop(s, "id"), patients);
    if (role != NULL && role[0] != '\0') /* absent means "" (README.md) */
        fh_add_ext_value(t, ref, URL_SUBJECT_ROLE, "valueString", role);
    if (display != NULL)
        fh_add(t, ref, "display", display); /* "" is refused: FHIR has no empty strings */
    return ref;
}

/* Percent-encodes a query value (RFC 3986 unreserved characters stay). */
static void percent(char *out, size_t size, const char *s)
{
    size_t n = 0;
    for (; *s != '\0' && n + 4 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~')
            out[n++] = (char)c;
        else
            n += (size_t)snprintf(out + n, size - n, "%%%02X", c);
    }
    out[n] = '\0';
}

/* A fullUrl that is the same for the same record, version and entry, so
 * that saving the same thing twice gives the same bytes: a UUID made from
 * SHA-256 (RFC 9562 version 8, name-based by us). */
static int32_t uuid_url(fh_tree *t, char out[46], const char *record, const char *version, const char *kind, size_t n)
{
    char name[512];
    uint8_t md[EVP_MAX_MD_SIZE];
    int len = snprintf(name, sizeof(name), "casescribe-fhir|%s|%zu|%s|%s", kind, n, version, record);
    if (len < 0 || (size_t)len >= sizeof(name) || EVP_Digest(name, (size_t)len, md, NULL, EVP_sha256(), NULL) != 1)
        return fh_fail(t, CASESCRIBE_EINVAL, "fhir: cannot make a fullUrl for the record");
    md[6] = (uint8_t)((md[6] & 0x0f) | 0x80);
    md[8] = (uint8_t)((md[8] & 0x3f) | 0x80);
    snprintf(out, 46, "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", md[0], md[1],
             md[2], md[3], md[4], md[5], md[6], md[7], md[8], md[9], md[10], md[11], md[12], md[13], md[14], md[15]);
    return CASESCRIBE_OK;
}

static fh_node *entry(fh_tree *t, fh_node *bundle, const char *full_url)
{
    fh_node *e = fh_add(t, bundle, "entry", NULL);
    fh_add(t, e, "fullUrl", full_url);
    return e;
}

static void request(fh_tree *t, fh_node *e, const char *method, const char *url)
{
    fh_node *r = fh_add(t, e, "request", NULL);
    fh_add(t, r, "method", method);
    fh_add(t, r, "url", url);
}

/* ---- our extensions' parts ----------------------------------------------- */

static int32_t write_subs(fh_tree *t, fh_node *ext, const struct fh_sub *subs, xmlNodePtr el)
{
    for (size_t i = 0; i < FH_N_SUBS && t->status == CASESCRIBE_OK; i++) {
        const char *v = fm_prop(el, subs[i].attr);
        char num[24];
        if (v == NULL)
            continue;
        if (v[0] == '\0') {
            if (subs[i].presence == FH_SUB_EMPTY || subs[i].presence == FH_SUB_EMPTY_NONE)
                continue;
            return schema(t, "a section or citation attribute is empty, which FHIR cannot carry");
        }
        if (strcmp(subs[i].value, "valueUnsignedInt") == 0) {
            /* The form may spell a number "007"; FHIR may not. */
            char *end = NULL;
            unsigned long long x = strtoull(v, &end, 10);
            if (end == v || *end != '\0' || x > 2147483647ULL)
                return schema(t, "a citation number is larger than FHIR's unsignedInt");
            snprintf(num, sizeof(num), "%llu", x);
            v = num;
        }
        fh_add_ext_value(t, ext, subs[i].url, subs[i].value, v);
    }
    return t->status;
}

/* ---- the QuestionnaireResponse ------------------------------------------- */

static void section_item(fh_tree *t, fh_node *parent, struct view *v, size_t s, const fh_node *orig)
{
    xmlNodePtr sx = v->sections[s];
    const char *id = fm_prop(sx, "id");
    fh_node *item = NULL;
    v->used[s] = 1;
    if (orig != NULL) { /* its linkId, definition, title and other extensions stay */
        item = copy_into(t, parent, "item", orig);
        drop(t, item, "answer");
        drop_ours(t, item);
    } else {
        item = fh_add(t, parent, "item", NULL);
        fh_add(t, item, "linkId", id);
    }
    write_subs(t, fh_add_ext(t, item, URL_SECTION), fh_section_subs, sx);
    for (size_t i = 0; i < v->n_cites; i++) {
        const char *of = fm_prop(v->cites[i], "section");
        if (of != NULL && id != NULL && strcmp(of, id) == 0)
            write_subs(t, fh_add_ext(t, item, URL_CITE), fh_cite_subs, v->cites[i]);
    }
    if (is_ai(sx)) /* the AI Transparency IG's element-level label */
        fh_add_coding(t, fh_add_ext(t, item, INLINE_LABEL), "valueCoding", OBS_VALUE, "AIAST",
                      "Artificial Intelligence asserted");
    xmlChar *text = xmlNodeGetContent(sx);
    if (text == NULL)
        fh_fail(t, CASESCRIBE_ENOMEM, "fhir: out of memory");
    else if (text[0] != '\0') /* no answer means "" (README.md) */
        fh_add(t, fh_add(t, item, "answer", NULL), "valueString", (const char *)text);
    xmlFree(text);
}

static long find_section(const struct view *v, const char *link_id)
{
    for (size_t i = 0; link_id != NULL && i < v->n_sections; i++) {
        const char *id = fm_prop(v->sections[i], "id");
        if (!v->used[i] && id != NULL && strcmp(id, link_id) == 0)
            return (long)i;
    }
    return -1;
}

/* Rebuilds the items of `out` from those of `orig` (both a
 * QuestionnaireResponse, an item or an answer): plain text items become
 * the form's sections of the same linkId (dropped when the form has none),
 * the others are carried over with their own nested items rebuilt. */
static void merge_items(fh_tree *t, fh_node *out, const fh_node *orig, struct view *v)
{
    for (const fh_node *k = fh_child(orig, "item", NULL); k != NULL && t->status == CASESCRIBE_OK;
         k = fh_child(orig, "item", k)) {
        if (fh_is_section_item(k)) {
            long s = find_section(v, fh_value(k, "linkId"));
            if (s >= 0)
                section_item(t, out, v, (size_t)s, k);
            continue;
        }
        fh_node *n = copy_into(t, out, "item", k);
        if (n == NULL)
            return;
        drop(t, n, "item");
        fh_node *a = fh_child(n, "answer", NULL);
        for (const fh_node *ka = fh_child(k, "answer", NULL); a != NULL && ka != NULL;
             a = fh_child(n, "answer", a), ka = fh_child(k, "answer", ka)) {
            drop(t, a, "item");
            merge_items(t, a, ka, v);
        }
        merge_items(t, n, k, v);
    }
}

/* meta: the original's profiles, tags and security labels but for the AI
 * ones, which follow the sections (the AI Transparency IG's AIAST, and
 * PROCESSINLINELABEL since the items carry inline labels). */
static void meta(fh_tree *t, fh_node *qr, const fh_node *orig, int any_ai)
{
    const fh_node *om = fh_child(orig, "meta", NULL);
    fh_node *m = fh_add(t, qr, "meta", NULL);
    for (const fh_node *k = om != NULL ? om->first : NULL; k != NULL; k = k->next) {
        int ai = fh_is(k, "security") &&
                 (fh_coding_is(k, OBS_VALUE, "AIAST") || fh_coding_is(k, ACT_CODE, "PROCESSINLINELABEL"));
        if ((fh_is(k, "profile") || fh_is(k, "tag") || fh_is(k, "security") || fh_is(k, "extension")) && !ai)
            fh_copy(t, m, k);
    }
    if (any_ai) {
        fh_add_coding(t, m, "security", OBS_VALUE, "AIAST", "Artificial Intelligence asserted");
        fh_add_coding(t, m, "security", ACT_CODE, "PROCESSINLINELABEL", "process inline security label");
    }
    if (m != NULL && m->first == NULL)
        fh_remove(t, qr, m);
}

/* The original's elements the record does not hold. */
static void carry_qr(fh_tree *t, fh_node *qr, const fh_node *orig)
{
    static const char *const owned[] = {"id",     "meta", "identifier", "questionnaire", "status", "subject",
                                        "author", "item", NULL};
    for (const fh_node *k = orig != NULL ? orig->first : NULL; k != NULL && t->status == CASESCRIBE_OK; k = k->next) {
        int skip = fh_is(k, "extension") && (strncmp(k->url, CS_SD, strlen(CS_SD)) == 0);
        for (const char *const *o = owned; *o != NULL && !skip; o++)
            skip = fh_is(k, *o);
        if (!skip)
            fh_copy(t, qr, k);
    }
}

static const fh_node *orig_subject(const fh_node *orig, const char *id)
{
    for (const fh_node *e = fh_ext(orig, URL_SUBJECT, NULL); e != NULL; e = fh_ext(orig, URL_SUBJECT, e)) {
        const fh_node *r = fh_ext_value(e);
        const char *was = fh_identified(r, SYS_SUBJECT);
        if (was != NULL && id != NULL && strcmp(was, id) == 0)
            return r;
    }
    return NULL;
}

/* The original's identifier, when another system's names the record. */
static const fh_node *foreign_identifier(const fh_node *orig)
{
    const fh_node *id = fh_child(orig, "identifier", NULL);
    const char *system = fh_value(id, "system");
    return id != NULL && (system == NULL || strcmp(system, SYS_RECORD) != 0) ? id : NULL;
}

/* The original's questionnaire is another system's (or absent, on a
 * payload that had one of ours before). */
static int foreign_questionnaire(const fh_node *orig)
{
    const char *q = fh_value(orig, "questionnaire");
    return orig != NULL && (q == NULL || strncmp(q, CS_QUESTIONNAIRE, strlen(CS_QUESTIONNAIRE)) != 0);
}

/* identifier and questionnaire: ours, or, when another system named the
 * record, its own, kept, with the record and template extensions saying
 * what they are here (so that the payload reads back without the home's
 * names file). */
static void names_of(fh_tree *t, fh_node *qr, xmlNodePtr f, const fh_node *orig)
{
    const fh_node *theirs = foreign_identifier(orig);
    char q[512];
    if (theirs != NULL) {
        fh_add_ext_value(t, qr, URL_RECORD, "valueString", fm_prop(f, "id"));
        fh_copy(t, qr, theirs);
    } else {
        fh_node *id = fh_add(t, qr, "identifier", NULL);
        fh_add(t, id, "system", SYS_RECORD);
        fh_add(t, id, "value", fm_prop(f, "id"));
    }
    if (foreign_questionnaire(orig)) {
        fh_add_ext_value(t, qr, URL_TEMPLATE, "valueString", fm_prop(f, "template"));
        if (fh_child(orig, "questionnaire", NULL) != NULL)
            fh_copy(t, qr, fh_child(orig, "questionnaire", NULL));
        return;
    }
    snprintf(q, sizeof(q), "%s%s", CS_QUESTIONNAIRE, fm_prop(f, "template"));
    fh_add(t, qr, "questionnaire", q);
}

static void build_qr(fh_tree *t, fh_node *e, struct view *v, const fh_node *orig)
{
    static const char *const practitioners[] = {"Practitioner", "PractitionerRole", NULL};
    xmlNodePtr f = v->root;
    const char *final = fm_prop(f, "final");
    fh_node *qr = fh_add_resource(t, e, "resource", "QuestionnaireResponse");
    carry_qr(t, qr, orig);
    meta(t, qr, orig, v->any_ai);
    names_of(t, qr, f, orig);
    fh_add(t, qr, "status",
           final != NULL && (strcmp(final, "true") == 0 || strcmp(final, "1") == 0) ? "completed" : "in-progress");
    subject_ref(t, qr, "subject", v->subjects[0], fh_child(orig, "subject", NULL));
    for (size_t i = 1; i < v->n_subjects; i++)
        subject_ref(t, fh_add_ext(t, qr, URL_SUBJECT), "valueReference", v->subjects[i],
                    orig_subject(orig, fm_prop(v->subjects[i], "id")));
    fh_add_ext_value(t, qr, URL_TEAM, "valueString", fm_prop(f, "team"));
    reference(t, qr, "author", fh_child(orig, "author", NULL), SYS_USER, fm_prop(f, "author"), practitioners);
    if (orig != NULL)
        merge_items(t, qr, orig, v);
    for (size_t i = 0; i < v->n_sections; i++) /* the form's sections the original did not have */
        if (!v->used[i])
            section_item(t, qr, v, i, NULL);
}

/* ---- Consents ------------------------------------------------------------ */

static void provision(fh_tree *t, fh_node *c, xmlNodePtr cx)
{
    const char *scopes = fm_prop(cx, "scopes"), *withdrawn = fm_prop(cx, "withdrawn-at");
    fh_node *p = fh_add(t, c, "provision", NULL);
    /* Consent to no scope is a deny of everything, not a permit. */
    fh_add(t, p, "type", scopes != NULL && scopes[0] != '\0' ? "permit" : "deny");
    if (withdrawn != NULL)
        fh_add(t, fh_add(t, p, "period", NULL), "end", withdrawn);
    size_t n = 0;
    for (const char *s = scopes; s != NULL && *s != '\0' && n < MAX_SCOPES; n++) {
        size_t len = strcspn(s, " ");
        char code[64];
        if (len == 0 || len >= sizeof(code)) {
            schema(t, "a consent's scopes are not space-separated codes");
            return;
        }
        memcpy(code, s, len);
        code[len] = '\0';
        fh_add_concept(t, p, "action", CS_SCOPE_SYSTEM, code, NULL);
        s += len + (s[len] == ' ');
    }
}

static void build_consent(fh_tree *t, fh_node *e, xmlNodePtr cx, const char *record, size_t n)
{
    const char *given_by = fm_prop(cx, "given-by"), *subject = fm_prop(cx, "subject");
    char value[160];
    fh_node *c = fh_add_resource(t, e, "resource", "Consent");
    fh_add_ext_value(t, c, URL_GIVEN_BY, "valueCode", given_by);
    fh_add_ext_value(t, c, URL_METHOD, "valueCode", fm_prop(cx, "method"));
    fh_add_ext_value(t, c, URL_CAPACITY, "valueCode", fm_prop(cx, "capacity"));
    fh_node *id = fh_add(t, c, "identifier", NULL);
    snprintf(value, sizeof(value), "%s#%zu", record, n);
    fh_add(t, id, "system", SYS_CONSENT);
    fh_add(t, id, "value", value);
    fh_add(t, c, "status", fm_prop(cx, "withdrawn-at") != NULL ? "inactive" : "active");
    fh_add_concept(t, c, "scope", CONSENT_SCOPE, "patient-privacy", "Privacy Consent");
    fh_add_concept(t, c, "category", LOINC, "59284-0", "Patient Consent");
    reference(t, c, "patient", NULL, SYS_SUBJECT, subject, NULL);
    fh_add(t, c, "dateTime", fm_prop(cx, "at"));
    if (given_by != NULL && strcmp(given_by, "self") == 0)
        reference(t, c, "performer", NULL, SYS_SUBJECT, subject, NULL);
    fh_add_concept(t, c, "policyRule", ACT_CODE, "OPTIN", "opt-in");
    provision(t, c, cx);
}

/* ---- the Provenance -------------------------------------------------------- */

/* Whitespace between the stamp's elements is not part of it. */
static void drop_blank_text(xmlNodePtr n, int depth)
{
    for (xmlNodePtr c = n->children, next; c != NULL && depth < FH_MAX_DEPTH; c = next) {
        next = c->next;
        if (c->type == XML_TEXT_NODE && xmlIsBlankNode(c)) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        } else if (c->type == XML_ELEMENT_NODE) {
            drop_blank_text(c, depth + 1);
        }
    }
}

/* The <provenance> element as the library wrote it, standing alone (it
 * declares its namespace), in base64. */
static char *stamp_base64(fh_tree *t, xmlNodePtr prov)
{
    drop_blank_text(prov, 0);
    int declared = 0;
    for (xmlNsPtr d = prov->nsDef; d != NULL; d = d->next)
        declared |= d->prefix == NULL;
    xmlBufferPtr buf = declared || xmlNewNs(prov, (const xmlChar *)FORM_NS, NULL) != NULL ? xmlBufferCreate() : NULL;
    char *b64 = NULL;
    if (buf != NULL && xmlNodeDump(buf, prov->doc, prov, 0, 0) >= 0)
        b64 = fh_base64(xmlBufferContent(buf), (size_t)xmlBufferLength(buf));
    xmlBufferFree(buf);
    if (b64 == NULL)
        fh_fail(t, CASESCRIBE_ENOMEM, "fhir: out of memory writing the stamp");
    return b64;
}

/* Signs the Provenance's canonical JSON with the home's key: the JWS goes
 * into signature.data, in base64 like any base64Binary. */
static int32_t sign(fh_tree *t, casescribe_ctx *ctx, const fh_node *prov, fh_node *signature)
{
    char *canonical = NULL, *jws = NULL, *b64 = NULL;
    size_t len = 0;
    int32_t rc = fh_prov_canonical(&canonical, &len, t, prov);
    if (rc == CASESCRIBE_OK)
        rc = casescribe_jws_sign(&jws, ctx, (const uint8_t *)canonical, len);
    if (rc == CASESCRIBE_OK && (b64 = fh_base64((const uint8_t *)jws, strlen(jws))) == NULL)
        rc = fh_fail(t, CASESCRIBE_ENOMEM, "fhir: out of memory");
    if (rc == CASESCRIBE_OK)
        fh_add(t, signature, "data", b64);
    else if (t->status == CASESCRIBE_OK)
        t->status = rc; /* casescribe_jws_sign set the message */
    free(canonical);
    casescribe_free(jws);
    free(b64);
    return t->status;
}

static void build_provenance(fh_tree *t, fh_node *bundle, xmlNodePtr prov, const char *qr_url, const char *prov_url,
                             casescribe_ctx *ctx)
{
    char *b64 = stamp_base64(t, prov);
    if (b64 == NULL)
        return;
    fh_node *e = entry(t, bundle, prov_url), *signature = NULL;
    fh_node *p = fh_prov_build(t, e, prov, b64, qr_url, &signature);
    free(b64);
    if (p != NULL)
        sign(t, ctx, p, signature);
    request(t, e, "POST", "Provenance");
}

/* ---- the Bundle ------------------------------------------------------------ */

/* A conditional update on the identifier that names the record: ours, or
 * the other system's (system and value percent-encoded). */
static void qr_request(fh_tree *t, fh_node *e, const char *record, const fh_node *theirs)
{
    const char *system = theirs != NULL ? fh_value(theirs, "system") : SYS_RECORD;
    const char *value = theirs != NULL ? fh_value(theirs, "value") : record;
    char s[1100], v[400], path[1600];
    percent(s, sizeof(s), system != NULL ? system : "");
    percent(v, sizeof(v), value != NULL ? value : "");
    if (theirs == NULL)
        snprintf(s, sizeof(s), "%s", SYS_RECORD); /* as it always was */
    snprintf(path, sizeof(path), "QuestionnaireResponse?identifier=%s|%s", s, v);
    request(t, e, "PUT", path);
}

int32_t fh_fhir_from_form(fh_tree *out, xmlDocPtr form, fh_tree *original, casescribe_ctx *ctx)
{
    struct view v;
    fh_parts op;
    memset(&op, 0, sizeof(op));
    int32_t rc = read_view(out, &v, form);
    if (rc == CASESCRIBE_OK && original != NULL && original->root != NULL)
        rc = fh_parts_find(original, &op);
    if (rc != CASESCRIBE_OK) {
        free(v.cites);
        return out->status != CASESCRIBE_OK ? out->status : (out->status = rc);
    }
    const char *record = fm_prop(v.root, "id");
    const char *version = v.prov != NULL && fm_prop(v.prov, "version") != NULL ? fm_prop(v.prov, "version") : "0";
    char qr_url[46] = "", url[46] = "", value[400], path[512];
    fh_node *bundle = fh_new_root(out, "Bundle");
    fh_add(out, bundle, "type", "transaction");
    /* The record's id is no FHIR id (it allows / : @ +): a conditional
     * update on its identifier makes each save a new version of one
     * QuestionnaireResponse, whatever id the server gave it. */
    uuid_url(out, qr_url, record, version, "QuestionnaireResponse", 0);
    fh_node *e = entry(out, bundle, qr_url);
    build_qr(out, e, &v, op.qr);
    qr_request(out, e, record, foreign_identifier(op.qr));
    for (size_t i = 0; i < v.n_consents && out->status == CASESCRIBE_OK; i++) {
        char consent_id[160];
        uuid_url(out, url, record, version, "Consent", i + 1);
        e = entry(out, bundle, url);
        build_consent(out, e, v.consents[i], record, i + 1);
        snprintf(consent_id, sizeof(consent_id), "%s#%zu", record, i + 1);
        percent(value, sizeof(value), consent_id);
        snprintf(path, sizeof(path), "Consent?identifier=%s|%s", SYS_CONSENT, value);
        request(out, e, "PUT", path);
    }
    /* Each stamp is a new event: the Provenance is created, never updated. */
    if (v.prov != NULL && out->status == CASESCRIBE_OK && uuid_url(out, url, record, version, "Provenance", 0) == 0)
        build_provenance(out, bundle, v.prov, qr_url, url, ctx);
    free(v.cites);
    return out->status;
}
