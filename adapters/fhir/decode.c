/* SPDX-License-Identifier: Apache-2.0 */
/* decode.c - FHIR model -> reference form (urn:casescribe:form:1).
 *
 * The QuestionnaireResponse gives the form's attributes, its subjects and
 * one section per plain text item (README.md has the table); each Consent
 * gives a <consent>; the Provenance gives back the library's own stamp.
 * Fields the record model does not hold are left for encode to carry over.
 * The form is written with libxml2's tree API; the library then parses it
 * with its own parser and checks it against form-1.xsd and every rule of
 * the pipeline, so this file checks only what the mapping itself needs,
 * plus what would mislead a reader of the FHIR: a Consent.status or an AI
 * label that contradicts the record, a Provenance that is not its stamp's. */
#include <libxml/tree.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map.h"

#define MAX_SCOPES 64u

struct builder {
    fh_tree *t;
    xmlDocPtr doc;
    xmlNodePtr root;
    xmlNsPtr ns;
    int stamped; /* the payload carries a Provenance: its AI labels must be complete */
    int any_ai;  /* a section is AI-made */
    /* The home's names file, when the payload is not stamped: another
     * system's identifiers, questionnaires, references, narratives and
     * Consents may then be read (README.md, "Real-world input"). A stamped
     * payload decodes the same with or without it, so that verify needs
     * no home. */
    const fh_names *names;
};

static const char *const patients[] = {"Patient", NULL};
static const char *const practitioners[] = {"Practitioner", "PractitionerRole", NULL};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int32_t
schema(struct builder *b, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return fh_fail(b->t, CASESCRIBE_ESCHEMA, "%s", msg);
}

static int32_t no_memory(struct builder *b)
{
    return fh_fail(b->t, CASESCRIBE_ENOMEM, "fhir: out of memory writing the form");
}

static int32_t put(struct builder *b, xmlNodePtr n, const char *name, const char *value)
{
    if (value != NULL && xmlNewProp(n, (const xmlChar *)name, (const xmlChar *)value) == NULL)
        return no_memory(b);
    return CASESCRIBE_OK;
}

static xmlNodePtr element(struct builder *b, const char *name, const char *text)
{
    xmlNodePtr n = xmlNewTextChild(b->root, b->ns, (const xmlChar *)name, (const xmlChar *)text);
    if (n == NULL)
        no_memory(b);
    return n;
}

/* The value of the one simple extension `url` of n, which must be of
 * `value_name` (absent: NULL). */
static int32_t ext_value(struct builder *b, const fh_node *n, const char *url, const char *value_name, const char **out)
{
    const fh_node *e = fh_ext(n, url, NULL);
    const fh_node *v = fh_ext_value(e);
    *out = NULL;
    if (e == NULL)
        return CASESCRIBE_OK;
    if (v == NULL || !fh_is(v, value_name) || v->value == NULL || fh_ext(n, url, e) != NULL)
        return schema(b, "fhir: the extension %s must appear once, with a value of its type", url);
    *out = v->value;
    return CASESCRIBE_OK;
}

/* Our own extensions on n must be ones this adapter knows (a misspelt one
 * would otherwise be dropped without a word). */
static int32_t only_known(struct builder *b, const fh_node *n, const char *const *known)
{
    for (const fh_node *e = fh_child(n, "extension", NULL); e != NULL; e = fh_child(n, "extension", e)) {
        if (strncmp(e->url, CS_SD, strlen(CS_SD)) != 0)
            continue;
        int ok = 0;
        for (const char *const *k = known; *k != NULL && !ok; k++)
            ok = strcmp(e->url, *k) == 0;
        if (!ok)
            return schema(b, "fhir: %s is not an extension this adapter knows here", "a " CS_SD " extension");
    }
    return CASESCRIBE_OK;
}

/* ---- the form's attributes and subjects --------------------------------- */

/* With the names file, another system's record: an identifier of a
 * system the file lists (prefix + value); with no identifier at all, the
 * resource's own id when the file says so (prefix + id). An identifier of
 * a system it does not list is refused, never passed over for the
 * resource id: ids are unique only within one server. */
static int32_t named_record(struct builder *b, const fh_node *qr, const char *system, const char *value,
                            const char **prefix, const char **id)
{
    *id = NULL;
    for (size_t i = 0; system != NULL && i < b->names->n_systems && *id == NULL; i++)
        if (strcmp(system, b->names->systems[i]) == 0 && (*id = value) != NULL)
            *prefix = b->names->prefixes[i];
    if (*id == NULL && (system != NULL || value != NULL))
        return schema(b, "fhir: %s", "QuestionnaireResponse.identifier is of a system the home's names file does not "
                                     "list");
    if (*id == NULL && b->names->resource_prefix != NULL && (*id = fh_value(qr, "id")) != NULL)
        *prefix = b->names->resource_prefix;
    return CASESCRIBE_OK;
}

/* The record id: our identifier, or the record extension encode writes
 * when the identifier is another system's; with the names file, what it
 * makes of another system's (named_record), which a record extension
 * may repeat but never override. */
static int32_t record_id(struct builder *b, const fh_node *qr, char *out, size_t size)
{
    const fh_node *ident = fh_child(qr, "identifier", NULL);
    const char *system = fh_value(ident, "system"), *value = fh_value(ident, "value"), *ext = NULL, *prefix = "";
    int32_t rc = ext_value(b, qr, URL_RECORD, "valueString", &ext);
    int ours = system != NULL && strcmp(system, SYS_RECORD) == 0;
    if (rc != CASESCRIBE_OK)
        return rc;
    if (ext != NULL && ours)
        return schema(b, "fhir: %s", "a QuestionnaireResponse identified by " SYS_RECORD " cannot carry the record "
                                     "extension too");
    const char *id = ours ? value : b->names == NULL ? ext : NULL;
    if (id == NULL && !ours && b->names != NULL)
        rc = named_record(b, qr, system, value, &prefix, &id);
    if (rc != CASESCRIBE_OK)
        return rc;
    if (id == NULL)
        return schema(b, "fhir: %s names the record and is required",
                      "QuestionnaireResponse.identifier (system " SYS_RECORD ", or one the home's names file lists)");
    int n = snprintf(out, size, "%s%s", prefix, id);
    if (n < 0 || (size_t)n >= size)
        return schema(b, "fhir: %s", "the record id the QuestionnaireResponse's identifier makes is too long");
    if (b->names != NULL && ext != NULL && strcmp(ext, out) != 0)
        return schema(b, "fhir: %s", "the record extension names another record than the home's names file makes "
                                     "of the identifier");
    return CASESCRIBE_OK;
}

/* The template: ours in the questionnaire canonical, or the template
 * extension encode writes when the questionnaire is another system's; with
 * the names file, the template it maps the canonical to, else one no
 * template has (FH_UNMAPPED_TEMPLATE: AI text is then refused). */
static int32_t template_id(struct builder *b, const fh_node *qr, const char **out)
{
    const char *q = fh_value(qr, "questionnaire"), *ext = NULL;
    size_t len = strlen(CS_QUESTIONNAIRE);
    int ours = q != NULL && strncmp(q, CS_QUESTIONNAIRE, len) == 0 && q[len] != '\0';
    int32_t rc = ext_value(b, qr, URL_TEMPLATE, "valueString", &ext);
    if (rc != CASESCRIBE_OK)
        return rc;
    if (ext != NULL && ours)
        return schema(b, "fhir: %s", "a QuestionnaireResponse with a " CS_QUESTIONNAIRE " questionnaire cannot carry "
                                     "the template extension too");
    *out = ours ? q + len : b->names == NULL ? ext : NULL;
    if (*out == NULL && b->names != NULL) /* the home's mapping decides; an extension may only repeat it */
        *out = fh_names_template(b->names, q) != NULL ? fh_names_template(b->names, q) : FH_UNMAPPED_TEMPLATE;
    if (*out == NULL)
        return schema(b, "fhir: QuestionnaireResponse.questionnaire must be %s<template id>", CS_QUESTIONNAIRE);
    if (b->names != NULL && !ours && ext != NULL && strcmp(ext, *out) != 0)
        return schema(b, "fhir: %s", "the template extension names another template than the home's names file "
                                     "maps the questionnaire to");
    return CASESCRIBE_OK;
}

static int32_t form_attrs(struct builder *b, const fh_node *qr)
{
    static const char *const known[] = {URL_TEAM, URL_SUBJECT, URL_RECORD, URL_TEMPLATE, NULL};
    const char *status = fh_value(qr, "status"), *team = NULL, *template = NULL;
    const char *author = fh_ref_id(fh_child(qr, "author", NULL), SYS_USER, practitioners, b->names != NULL);
    char id[160];
    int32_t rc = only_known(b, qr, known);
    if (rc == CASESCRIBE_OK)
        rc = ext_value(b, qr, URL_TEAM, "valueString", &team);
    if (rc == CASESCRIBE_OK)
        rc = record_id(b, qr, id, sizeof(id));
    if (rc == CASESCRIBE_OK)
        rc = template_id(b, qr, &template);
    if (rc != CASESCRIBE_OK)
        return rc;
    if (team == NULL && b->names != NULL)
        team = b->names->team;
    if (team == NULL)
        return schema(b, "fhir: the team extension (%s) is required", URL_TEAM);
    if (author == NULL)
        return schema(b, "fhir: QuestionnaireResponse.author must be identified (system %s)",
                      b->names != NULL ? SYS_USER ", or a literal Practitioner or PractitionerRole reference"
                                       : SYS_USER);
    if (status == NULL || (strcmp(status, "completed") != 0 && strcmp(status, "in-progress") != 0))
        return schema(b, "fhir: QuestionnaireResponse.status must be %s", "completed (final) or in-progress");
    if ((rc = put(b, b->root, "id", id)) == CASESCRIBE_OK && (rc = put(b, b->root, "template", template)) == CASESCRIBE_OK &&
        (rc = put(b, b->root, "team", team)) == CASESCRIBE_OK && (rc = put(b, b->root, "author", author)) == CASESCRIBE_OK)
        rc = put(b, b->root, "final", strcmp(status, "completed") == 0 ? "true" : NULL);
    return rc;
}

/* A subject: a Reference identified by urn:casescribe:subject, its
 * display the name, its subject-role extension the role (absent: ""). */
static int32_t subject(struct builder *b, const fh_node *ref)
{
    static const char *const known[] = {URL_SUBJECT_ROLE, NULL};
    const char *id = fh_ref_id(ref, SYS_SUBJECT, patients, b->names != NULL), *role = NULL;
    int32_t rc = only_known(b, ref, known);
    if (rc == CASESCRIBE_OK)
        rc = ext_value(b, ref, URL_SUBJECT_ROLE, "valueString", &role);
    if (rc != CASESCRIBE_OK)
        return rc;
    if (id == NULL)
        return schema(b, "fhir: every subject must be identified (system %s)",
                      b->names != NULL ? SYS_SUBJECT ", or a literal Patient reference" : SYS_SUBJECT);
    xmlNodePtr n = element(b, "subject", NULL);
    if (n == NULL)
        return b->t->status;
    if ((rc = put(b, n, "id", id)) == CASESCRIBE_OK &&
        (rc = put(b, n, "role", role != NULL ? role : "")) == CASESCRIBE_OK)
        rc = put(b, n, "name", fh_value(ref, "display"));
    return rc;
}

static int32_t subjects(struct builder *b, const fh_node *qr)
{
    const fh_node *first = fh_child(qr, "subject", NULL);
    if (first == NULL)
        return schema(b, "fhir: %s is required (the person the record is about)", "QuestionnaireResponse.subject");
    int32_t rc = subject(b, first);
    for (const fh_node *e = fh_ext(qr, URL_SUBJECT, NULL); e != NULL && rc == CASESCRIBE_OK;
         e = fh_ext(qr, URL_SUBJECT, e)) {
        const fh_node *v = fh_ext_value(e);
        rc = v != NULL && fh_is(v, "valueReference")
                 ? subject(b, v)
                 : schema(b, "fhir: the extension %s must hold a Reference", URL_SUBJECT);
    }
    return rc;
}

/* A Consent the adapter wrote (or a host wrote in its shape): it carries
 * our extensions or our identifier. Any other is another system's. */
static int ours(const fh_node *c)
{
    for (const fh_node *e = fh_child(c, "extension", NULL); e != NULL; e = fh_child(c, "extension", e))
        if (strncmp(e->url, CS_SD, strlen(CS_SD)) == 0)
            return 1;
    for (const fh_node *i = fh_child(c, "identifier", NULL); i != NULL; i = fh_child(c, "identifier", i))
        if (fh_value(i, "system") != NULL && strcmp(fh_value(i, "system"), SYS_CONSENT) == 0)
            return 1;
    return 0;
}

/* Our Consents hold only what the record holds (encode rebuilds them). */
static int32_t only_record_elements(struct builder *b, const fh_node *c)
{
    static const char *const extra[] = {"organization", "sourceAttachment", "sourceReference", "policy",
                                        "verification", NULL};
    static const char *const provision[] = {"actor", "securityLabel", "purpose", "class", "code",
                                            "dataPeriod", "data", "provision", NULL};
    const fh_node *p = fh_child(c, "provision", NULL);
    for (const char *const *e = extra; *e != NULL; e++)
        if (fh_child(c, *e, NULL) != NULL)
            return schema(b, "fhir: Consent.%s is not held by the record, so the adapter does not read it", *e);
    for (const char *const *e = provision; *e != NULL; e++)
        if (fh_child(p, *e, NULL) != NULL)
            return schema(b, "fhir: Consent.provision.%s is not held by the record, so the adapter does not read it",
                          *e);
    return CASESCRIBE_OK;
}

/* ---- consents ----------------------------------------------------------- */

/* provision.action codes of our scope code system, joined by spaces;
 * a permit needs at least one, a deny (consent to nothing) none. */
static int32_t scopes(struct builder *b, const fh_node *provision, char *out, size_t size)
{
    const char *type = fh_value(provision, "type");
    size_t n = 0, used = 0;
    out[0] = '\0';
    for (const fh_node *a = fh_child(provision, "action", NULL); a != NULL; a = fh_child(provision, "action", a)) {
        const fh_node *coding = fh_child(a, "coding", NULL);
        const char *code = fh_value(coding, "code"), *system = fh_value(coding, "system");
        if (++n > MAX_SCOPES || code == NULL || system == NULL || strcmp(system, CS_SCOPE_SYSTEM) != 0 ||
            fh_child(a, "coding", coding) != NULL)
            return schema(b, "fhir: each Consent.provision.action must be one code of %s", CS_SCOPE_SYSTEM);
        size_t len = strlen(code);
        if (used + len + 2 > size)
            return schema(b, "fhir: %s are too long", "Consent.provision.action codes");
        if (used > 0)
            out[used++] = ' ';
        memcpy(out + used, code, len + 1);
        used += len;
    }
    if (provision != NULL && (type == NULL || strcmp(type, n > 0 ? "permit" : "deny") != 0))
        return schema(b, "fhir: %s must be permit with the scopes consented to, or deny with none",
                      "Consent.provision.type");
    return CASESCRIBE_OK;
}

/* status is what the record says, never on its own: active, or inactive
 * once the consent is withdrawn (provision.period.end). */
static int32_t consent_checks(struct builder *b, const fh_node *c, const char *subject_id, const char *given_by,
                              const char *withdrawn)
{
    const char *status = fh_value(c, "status");
    const fh_node *scope = fh_child(fh_child(c, "scope", NULL), "coding", NULL);
    if (status == NULL || strcmp(status, withdrawn != NULL ? "inactive" : "active") != 0)
        return schema(b, "fhir: Consent.status must be %s",
                      "active, or inactive when provision.period.end says "
                      "when it was withdrawn");
    if (!fh_coding_is(scope, CONSENT_SCOPE, "patient-privacy"))
        return schema(b, "fhir: Consent.scope must be %s#patient-privacy", CONSENT_SCOPE);
    for (const fh_node *p = fh_child(c, "performer", NULL); p != NULL; p = fh_child(c, "performer", p)) {
        const char *who = fh_identified(p, SYS_SUBJECT);
        if (strcmp(given_by, "self") != 0 || who == NULL || strcmp(who, subject_id) != 0)
            return schema(b, "fhir: %s may only name the person, when they gave consent themselves",
                          "Consent.performer");
    }
    const fh_node *period = fh_child(fh_child(c, "provision", NULL), "period", NULL);
    if (fh_child(period, "start", NULL) != NULL)
        return schema(b, "fhir: %s is not used: Consent.dateTime says when consent was given",
                      "Consent.provision.period.start");
    return CASESCRIBE_OK;
}

static int32_t consent(struct builder *b, const fh_node *c)
{
    static const char *const known[] = {URL_GIVEN_BY, URL_METHOD, URL_CAPACITY, NULL};
    const char *given_by = NULL, *method = NULL, *capacity = NULL;
    const char *subject_id = fh_identified(fh_child(c, "patient", NULL), SYS_SUBJECT);
    const char *at = fh_value(c, "dateTime");
    const fh_node *provision = fh_child(c, "provision", NULL);
    const char *withdrawn = fh_value(fh_child(provision, "period", NULL), "end");
    char scope_list[1024];
    for (const fh_node *e = fh_child(c, "extension", NULL); e != NULL; e = fh_child(c, "extension", e))
        if (strncmp(e->url, CS_SD, strlen(CS_SD)) != 0)
            return schema(b, "fhir: %s carries an extension this adapter would not keep", "a Consent");
    int32_t rc = only_known(b, c, known);
    if (rc == CASESCRIBE_OK)
        rc = only_record_elements(b, c);
    if (rc == CASESCRIBE_OK)
        rc = ext_value(b, c, URL_GIVEN_BY, "valueCode", &given_by);
    if (rc == CASESCRIBE_OK)
        rc = ext_value(b, c, URL_METHOD, "valueCode", &method);
    if (rc == CASESCRIBE_OK)
        rc = ext_value(b, c, URL_CAPACITY, "valueCode", &capacity);
    if (rc == CASESCRIBE_OK)
        rc = scopes(b, provision, scope_list, sizeof(scope_list));
    if (rc != CASESCRIBE_OK)
        return rc;
    if (subject_id == NULL || at == NULL || given_by == NULL || method == NULL || capacity == NULL)
        return schema(b, "fhir: %s",
                      "a Consent needs patient (system " SYS_SUBJECT "), dateTime and the "
                      "consent-given-by, consent-method and consent-capacity extensions");
    if ((rc = consent_checks(b, c, subject_id, given_by, withdrawn)) != CASESCRIBE_OK)
        return rc;
    xmlNodePtr n = element(b, "consent", NULL);
    if (n == NULL)
        return b->t->status;
    const char *attrs[][2] = {
        {"subject", subject_id}, {"given-by", given_by},     {"method", method}, {"capacity", capacity}, {"at", at},
        {"scopes", scope_list},  {"withdrawn-at", withdrawn}};
    for (size_t i = 0; i < sizeof(attrs) / sizeof(*attrs) && rc == CASESCRIBE_OK; i++)
        rc = put(b, n, attrs[i][0], attrs[i][1]);
    return rc;
}

/* ---- another system's Consents ------------------------------------------ */

static int on_form(struct builder *b, const char *subject_id)
{
    for (xmlNodePtr c = b->root->children; c != NULL && subject_id != NULL; c = c->next)
        if (fm_is(c, "subject") && fm_prop(c, "id") != NULL && strcmp(fm_prop(c, "id"), subject_id) == 0)
            return 1;
    return 0;
}

/* A permit of actions coded in our scope system and nothing else: no
 * period, actor, data, class, purpose or nested provision that would make
 * it narrower than the record could say. 0 when not. */
static int plain_permit(const fh_node *p, char *out, size_t size)
{
    size_t n = 0, used = 0;
    const char *type = fh_value(p, "type");
    if (type == NULL || strcmp(type, "permit") != 0)
        return 0;
    for (const fh_node *k = p->first; k != NULL; k = k->next) {
        const fh_node *coding = fh_child(k, "coding", NULL);
        const char *code = fh_value(coding, "code"), *system = fh_value(coding, "system");
        if (fh_is(k, "type"))
            continue;
        if (!fh_is(k, "action") || ++n > MAX_SCOPES || code == NULL || system == NULL ||
            strcmp(system, CS_SCOPE_SYSTEM) != 0 || fh_child(k, "coding", coding) != NULL ||
            used + strlen(code) + 2 > size)
            return 0;
        used += (size_t)snprintf(out + used, size - used, "%s%s", used > 0 ? " " : "", code);
    }
    return n > 0;
}

/* Whether another system's Consent says clearly what the record's consent
 * says: active, privacy scope, opt-in (or no rule), a patient on the form,
 * a dateTime to the second, the patient as its one performer (given by the
 * person themself), a source document (method: written), and a plain permit
 * of our scopes. Capacity was not assessed. Anything else: no consent. */
/* Active, for privacy, and opt-in (or no rule at all). */
static int active_opt_in(const fh_node *c)
{
    const char *status = fh_value(c, "status");
    const fh_node *scope = fh_child(c, "scope", NULL), *rule = fh_child(c, "policyRule", NULL);
    return status != NULL && strcmp(status, "active") == 0 && fh_count(scope, "coding") == 1 &&
           fh_coding_is(fh_child(scope, "coding", NULL), CONSENT_SCOPE, "patient-privacy") &&
           (rule == NULL ||
            (fh_count(rule, "coding") == 1 && fh_coding_is(fh_child(rule, "coding", NULL), ACT_CODE, "OPTIN")));
}

/* Nothing the checks below do not read: no policy (a document's terms),
 * no extension, and any verification a verified one. */
static int nothing_unread(const fh_node *c)
{
    for (const fh_node *v = fh_child(c, "verification", NULL); v != NULL; v = fh_child(c, "verification", v)) {
        const char *verified = fh_value(v, "verified");
        if (verified == NULL || strcmp(verified, "true") != 0)
            return 0;
    }
    return fh_child(c, "policy", NULL) == NULL && fh_child(c, "extension", NULL) == NULL;
}

static int clear(struct builder *b, const fh_node *c, const char **subject, char *scopes, size_t size)
{
    const char *at = fh_value(c, "dateTime");
    *subject = fh_ref_id(fh_child(c, "patient", NULL), SYS_SUBJECT, patients, 1);
    const char *by = fh_ref_id(fh_child(c, "performer", NULL), SYS_SUBJECT, patients, 1);
    int documented = fh_child(c, "sourceAttachment", NULL) != NULL || fh_child(c, "sourceReference", NULL) != NULL;
    return active_opt_in(c) && nothing_unread(c) && on_form(b, *subject) && at != NULL && strchr(at, 'T') != NULL &&
           fh_count(c, "performer") == 1 && by != NULL && strcmp(by, *subject) == 0 && documented &&
           plain_permit(fh_child(c, "provision", NULL), scopes, size);
}

/* Whether another system's Consent that is not a clear permit (withdrawn,
 * refused, denied, narrower, or saying what this adapter does not read)
 * concerns `subject`: it then stops every consent of that subject, an
 * earlier permit included. One whose patient cannot be told concerns every
 * subject; one about a patient who is not on the form, none. */
static int unclear_for(struct builder *b, const fh_parts *p, const char *subject)
{
    for (size_t i = 0; i < p->n_consents; i++) {
        const char *who = NULL;
        char scopes[1024];
        if (ours(p->consents[i]) || clear(b, p->consents[i], &who, scopes, sizeof(scopes)))
            continue;
        if (who == NULL || strcmp(who, subject) == 0)
            return 1;
    }
    return 0;
}

static int32_t foreign_consent(struct builder *b, const fh_parts *p, const fh_node *c)
{
    const char *subject = NULL;
    char scopes[1024] = "";
    if (!clear(b, c, &subject, scopes, sizeof(scopes)) || unclear_for(b, p, subject))
        return CASESCRIBE_OK; /* its meaning is not clear: no consent (fail closed) */
    xmlNodePtr n = element(b, "consent", NULL);
    if (n == NULL)
        return b->t->status;
    const char *attrs[][2] = {{"subject", subject},           {"given-by", "self"},
                              {"method", "written"},          {"capacity", "not-assessed"},
                              {"at", fh_value(c, "dateTime")}, {"scopes", scopes}};
    int32_t rc = CASESCRIBE_OK;
    for (size_t i = 0; i < sizeof(attrs) / sizeof(*attrs) && rc == CASESCRIBE_OK; i++)
        rc = put(b, n, attrs[i][0], attrs[i][1]);
    return rc;
}

/* ---- sections and citations --------------------------------------------- */

/* Reads the parts of a complex extension into the form element n. */
static int32_t read_subs(struct builder *b, const fh_node *ext, const struct fh_sub *subs, xmlNodePtr n)
{
    const char *values[FH_N_SUBS] = {NULL};
    for (const fh_node *e = fh_child(ext, "extension", NULL); e != NULL; e = fh_child(ext, "extension", e)) {
        size_t i = 0;
        while (i < FH_N_SUBS && strcmp(subs[i].url, e->url) != 0)
            i++;
        const fh_node *v = fh_ext_value(e);
        if (i == FH_N_SUBS || values[i] != NULL || v == NULL || !fh_is(v, subs[i].value) || v->value == NULL)
            return schema(b,
                          "fhir: the parts of the %s extension must be known, once each, with values of their "
                          "type",
                          ext->url);
        values[i] = v->value;
    }
    int32_t rc = CASESCRIBE_OK;
    for (size_t i = 0; i < FH_N_SUBS && rc == CASESCRIBE_OK; i++) {
        if (values[i] == NULL && subs[i].presence == FH_SUB_REQUIRED)
            return schema(b, "fhir: a part of the %s extension is missing", ext->url);
        rc = put(b, n, subs[i].attr, values[i] != NULL ? values[i] : subs[i].presence == FH_SUB_EMPTY ? "" : NULL);
    }
    return rc;
}

/* The item's AI label says what its origin says: present on AI sections
 * (required once the payload is stamped), absent on the worker's own. */
static int32_t check_label(struct builder *b, const fh_node *item, const char *origin)
{
    int labelled = 0;
    for (const fh_node *e = fh_child(item, "extension", NULL); e != NULL; e = fh_child(item, "extension", e))
        labelled |= fh_is_ai_label(e);
    if (labelled && !fh_is_ai_origin(origin))
        return schema(b, "fhir: %s carries the AIAST label but the section is the worker's own", "an item");
    if (!labelled && fh_is_ai_origin(origin) && b->stamped)
        return schema(b, "fhir: %s is AI-made but lacks the AIAST inline security label", "an item");
    return CASESCRIBE_OK;
}

static int32_t section(struct builder *b, const fh_node *item)
{
    static const char *const known[] = {URL_SECTION, URL_CITE, NULL};
    const fh_node *ext = fh_ext(item, URL_SECTION, NULL);
    const fh_node *text = fh_child(fh_child(item, "answer", NULL), "valueString", NULL);
    int32_t rc = only_known(b, item, known);
    if (rc != CASESCRIBE_OK)
        return rc;
    if (fh_ext(item, URL_SECTION, ext) != NULL)
        return schema(b, "fhir: an item carries the %s extension twice", URL_SECTION);
    xmlNodePtr n = element(b, "section", text != NULL ? text->value : "");
    if (n == NULL)
        return b->t->status;
    rc = put(b, n, "id", fh_value(item, "linkId"));
    if (rc == CASESCRIBE_OK && ext != NULL)
        rc = read_subs(b, ext, fh_section_subs, n);
    else if (rc == CASESCRIBE_OK)
        rc = put(b, n, "origin", "human"); /* an item without it is the worker's own text */
    const char *origin = fm_prop(n, "origin");
    if (rc == CASESCRIBE_OK)
        rc = check_label(b, item, origin);
    b->any_ai |= rc == CASESCRIBE_OK && fh_is_ai_origin(origin);
    return rc;
}

static int32_t cites(struct builder *b, const fh_node *item)
{
    int32_t rc = CASESCRIBE_OK;
    for (const fh_node *e = fh_ext(item, URL_CITE, NULL); e != NULL && rc == CASESCRIBE_OK;
         e = fh_ext(item, URL_CITE, e)) {
        xmlNodePtr n = element(b, "cite", NULL);
        rc = n == NULL ? b->t->status : put(b, n, "section", fh_value(item, "linkId"));
        if (rc == CASESCRIBE_OK)
            rc = read_subs(b, e, fh_cite_subs, n);
    }
    return rc;
}

/* Walks the items depth first: pass 1 writes sections, pass 2 citations
 * (the form lists every section before any citation). */
static int32_t walk(struct builder *b, const fh_node *parent, int pass)
{
    int32_t rc = CASESCRIBE_OK;
    for (const fh_node *i = fh_child(parent, "item", NULL); i != NULL && rc == CASESCRIBE_OK;
         i = fh_child(parent, "item", i)) {
        if (fh_is_section_item(i)) {
            rc = pass == 1 ? section(b, i) : cites(b, i);
            continue;
        }
        if (fh_ext(i, URL_SECTION, NULL) != NULL || fh_ext(i, URL_CITE, NULL) != NULL)
            return schema(b, "fhir: %s carries the section or cite extension but is not a plain text item",
                          "an item with nested items or a non-text answer");
        for (const fh_node *a = fh_child(i, "answer", NULL); a != NULL && rc == CASESCRIBE_OK;
             a = fh_child(i, "answer", a))
            rc = walk(b, a, pass);
        if (rc == CASESCRIBE_OK)
            rc = walk(b, i, pass);
    }
    return rc;
}

/* meta.security carries AIAST (and PROCESSINLINELABEL, for the item
 * labels) exactly when a section is AI-made; a payload not yet stamped
 * may leave them out, the adapter adds them. */
static int32_t check_meta(struct builder *b, const fh_node *qr)
{
    const fh_node *meta = fh_child(qr, "meta", NULL);
    int aiast = 0, inline_label = 0;
    for (const fh_node *s = fh_child(meta, "security", NULL); s != NULL; s = fh_child(meta, "security", s)) {
        aiast |= fh_coding_is(s, OBS_VALUE, "AIAST");
        inline_label |= fh_coding_is(s, ACT_CODE, "PROCESSINLINELABEL");
    }
    if (aiast && !b->any_ai)
        return schema(b, "fhir: %s carries AIAST but no section is AI-made", "QuestionnaireResponse.meta.security");
    if (b->any_ai && b->stamped && !(aiast && inline_label))
        return schema(b, "fhir: %s lacks AIAST or PROCESSINLINELABEL, but sections are AI-made",
                      "QuestionnaireResponse.meta.security");
    return CASESCRIBE_OK;
}

/* ---- the whole form ------------------------------------------------------ */

static int32_t add_stamp(struct builder *b, const fh_parts *p)
{
    void *stamp = NULL;
    int32_t rc = fh_prov_check(b->t, p, &stamp);
    if (rc != CASESCRIBE_OK)
        return rc;
    xmlNodePtr copy = xmlDocCopyNode(xmlDocGetRootElement(stamp), b->doc, 1);
    if (copy == NULL || xmlAddChild(b->root, copy) == NULL) {
        xmlFreeNode(copy);
        rc = no_memory(b);
    }
    casescribe_xml_free(stamp);
    return rc;
}

/* form/@carried-digest: the stamp covers what the record model does not
 * hold, through the form (carried.c). */
static int32_t carried(struct builder *b, const fh_parts *p)
{
    char digest[72];
    int32_t rc = fh_carried_digest(b->t, p, b->doc, digest);
    return rc == CASESCRIBE_OK ? put(b, b->root, "carried-digest", digest) : rc;
}

static int32_t build(struct builder *b, const fh_parts *p)
{
    int32_t rc = CASESCRIBE_OK;
    if (b->t->narrative && b->names == NULL) /* read and dropped: README.md, "Real-world input" */
        rc = schema(b, "fhir: %s", b->stamped ? "a narrative (text) is refused in a stamped payload: it is not "
                                                "the record's, and the stamp cannot cover it"
                                              : "a narrative (text) is read only when the home has a names file");
    if (rc == CASESCRIBE_OK)
        rc = form_attrs(b, p->qr);
    if (rc == CASESCRIBE_OK)
        rc = subjects(b, p->qr);
    for (size_t i = 0; i < p->n_consents && rc == CASESCRIBE_OK; i++)
        rc = b->names != NULL && !ours(p->consents[i]) ? foreign_consent(b, p, p->consents[i])
                                                       : consent(b, p->consents[i]);
    if (rc == CASESCRIBE_OK)
        rc = walk(b, p->qr, 1);
    if (rc == CASESCRIBE_OK)
        rc = walk(b, p->qr, 2);
    if (rc == CASESCRIBE_OK)
        rc = check_meta(b, p->qr);
    if (rc == CASESCRIBE_OK)
        rc = carried(b, p);
    if (rc == CASESCRIBE_OK && p->prov != NULL)
        rc = add_stamp(b, p);
    return rc;
}

int32_t fh_form_from_fhir(uint8_t **form, size_t *form_len, fh_tree *t, const fh_names *names)
{
    *form = NULL;
    *form_len = 0;
    fh_parts p;
    int32_t rc = fh_parts_find(t, &p);
    if (rc != CASESCRIBE_OK)
        return rc;
    struct builder b = {t, xmlNewDoc((const xmlChar *)"1.0"), NULL, NULL, p.prov != NULL, 0,
                        p.prov == NULL ? names : NULL};
    if (b.doc != NULL && (b.root = xmlNewDocNode(b.doc, NULL, (const xmlChar *)"form", NULL)) != NULL) {
        xmlDocSetRootElement(b.doc, b.root);
        b.ns = xmlNewNs(b.root, (const xmlChar *)FORM_NS, NULL);
    }
    if (b.ns == NULL)
        rc = no_memory(&b);
    else {
        xmlSetNs(b.root, b.ns);
        rc = build(&b, &p);
    }
    xmlChar *mem = NULL;
    int size = 0;
    if (rc == CASESCRIBE_OK) {
        xmlDocDumpMemoryEnc(b.doc, &mem, &size, "UTF-8");
        if (mem == NULL || size <= 0 || fh_strdup(t, (char **)form, (const char *)mem, (size_t)size) != 0)
            rc = no_memory(&b);
        else
            *form_len = (size_t)size;
    }
    xmlFree(mem);
    xmlFreeDoc(b.doc);
    return rc;
}
