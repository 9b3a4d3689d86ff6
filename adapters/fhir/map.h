/* SPDX-License-Identifier: Apache-2.0 */
/* map.h - the mapping between the FHIR model and the reference form
 * (urn:casescribe:form:1), shared by decode.c, encode.c and prov.c. The
 * names and codes here are the ones adapters/fhir/README.md documents. */
#ifndef CS_FHIR_MAP_H
#define CS_FHIR_MAP_H

#include <libxml/tree.h>

#include "model.h"

#define FORM_NS "urn:casescribe:form:1"

/* Our extensions: one base URL, each documented in README.md. */
#define CS_SD "https://casescribe.org/fhir/StructureDefinition/"
#define URL_TEAM CS_SD "team"
#define URL_SUBJECT CS_SD "subject"
#define URL_SUBJECT_ROLE CS_SD "subject-role"
#define URL_SECTION CS_SD "section"
#define URL_CITE CS_SD "cite"
#define URL_GIVEN_BY CS_SD "consent-given-by"
#define URL_METHOD CS_SD "consent-method"
#define URL_CAPACITY CS_SD "consent-capacity"
#define URL_STAMP CS_SD "stamp"
#define CS_SCOPE_SYSTEM "https://casescribe.org/fhir/CodeSystem/consent-scope"
#define CS_QUESTIONNAIRE "https://casescribe.org/fhir/Questionnaire/"
/* On a QuestionnaireResponse another system named: the record's id and
 * template, when its identifier and questionnaire are that system's. */
#define URL_RECORD CS_SD "record"
#define URL_TEMPLATE CS_SD "template"
/* The template id of a questionnaire the home's names file maps to no
 * template: no template has it (template ids have no ':'), so the save's
 * `never` rule fails closed on every AI section. */
#define FH_UNMAPPED_TEMPLATE "fhir:unmapped"

/* Identifier systems. */
#define SYS_RECORD "urn:casescribe:record"
#define SYS_SUBJECT "urn:casescribe:subject"
#define SYS_USER "urn:casescribe:user"
#define SYS_TEAM "urn:casescribe:team"
#define SYS_CONSENT "urn:casescribe:consent"
#define SYS_KEY "urn:casescribe:key"

/* HL7 code systems and extensions. */
#define INLINE_LABEL "http://hl7.org/fhir/uv/security-label-ds4p/StructureDefinition/extension-inline-sec-label"
#define OBS_VALUE "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"
#define ACT_CODE "http://terminology.hl7.org/CodeSystem/v3-ActCode"
#define PARTICIPANT_TYPE "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
#define AI_DEVICE_TYPE "http://hl7.org/fhir/uv/aitransparency/CodeSystem/AIdeviceTypeCS"
#define DATA_OPERATION "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
#define CONSENT_SCOPE "http://terminology.hl7.org/CodeSystem/consentscope"
#define LOINC "http://loinc.org"
#define SIGNATURE_TYPE "urn:iso-astm:E1762-95:2013"
#define RESOLVE_VERSION "http://hl7.org/fhir/StructureDefinition/resolve-as-version-specific"

#define MAX_CONSENTS 256u

/* The parts of our complex extensions (section, cite) and the form
 * attributes they carry, in the order the form writes them. */
#define FH_SUB_OPTIONAL 0
#define FH_SUB_REQUIRED 1
#define FH_SUB_EMPTY 2      /* a required attribute: absent in FHIR means "" in the form */
#define FH_SUB_EMPTY_NONE 3 /* optional, and "" means the same as absent to the library */
struct fh_sub {
    const char *url, *attr, *value;
    int presence;
};
#define FH_N_SUBS 8
extern const struct fh_sub fh_section_subs[FH_N_SUBS];
extern const struct fh_sub fh_cite_subs[FH_N_SUBS];

/* The home's external names file (names.c): see plugin/schemas/names-1.xsd. */
#define FH_MAX_RECORD_SYSTEMS 16u
#define FH_MAX_QUESTIONNAIRES 1024u
typedef struct fh_names {
    void *doc; /* the parsed file: every string below is borrowed from it */
    const char *team;
    const char *systems[FH_MAX_RECORD_SYSTEMS], *prefixes[FH_MAX_RECORD_SYSTEMS];
    size_t n_systems;
    const char *resource_prefix; /* NULL: a resource's own id names no record */
    const char *canonicals[FH_MAX_QUESTIONNAIRES], *templates[FH_MAX_QUESTIONNAIRES];
    size_t n_questionnaires;
} fh_names;
/* Reads the names file the library handed decode (NULL/0: *out NULL). */
int32_t fh_names_read(fh_tree *t, fh_names **out, const uint8_t *names, size_t len);
void fh_names_free(fh_names *n);
/* The template a questionnaire canonical maps to ("url|version" falls back
 * to "url"), or NULL. */
const char *fh_names_template(const fh_names *n, const char *canonical);

/* The resources of a payload: its QuestionnaireResponse (and the fullUrl
 * of its entry), its Consents in order, and its Provenance. */
typedef struct fh_parts {
    fh_node *qr;
    const char *qr_url;
    fh_node *consents[MAX_CONSENTS];
    size_t n_consents;
    fh_node *prov;
} fh_parts;

/* Finds the parts of a Bundle (transaction, batch or collection) or a bare
 * QuestionnaireResponse. ESCHEMA for anything else. */
int32_t fh_parts_find(fh_tree *t, fh_parts *p);

/* 1 when an item is one the record model holds as a section: no nested
 * items, and no answer or one plain valueString answer. */
int fh_is_section_item(const fh_node *item);
/* 1 when `ext` is the AIAST inline security label. */
int fh_is_ai_label(const fh_node *ext);
/* The value of a Reference's identifier of `system`, or NULL. */
const char *fh_identified(const fh_node *ref, const char *system);
/* The id a Reference names: its identifier of `system` (ours); else, when
 * `literal` is set, its literal reference to a resource of one of `types`
 * ("Patient/f201", or absolute ".../Patient/f201", no version, no
 * contained "#id"), itself, when it fits a form id (at most 128 of
 * A-Z a-z 0-9 . _ : @ / + -). NULL otherwise. */
const char *fh_ref_id(const fh_node *ref, const char *system, const char *const *types, int literal);
/* 1 for the origins of AI-made sections: ai-draft, ai-reviewed. */
int fh_is_ai_origin(const char *origin);
/* 1 when the coding is system|code. */
int fh_coding_is(const fh_node *coding, const char *system, const char *code);

/* An attribute of a form element, borrowed from the tree; NULL when absent. */
const char *fm_prop(xmlNodePtr n, const char *name);
/* 1 when n is the form element `name`. */
int fm_is(xmlNodePtr n, const char *name);

/* Builds the Provenance resource the stamp `prov` (a <provenance> element
 * of the form) says, with `stamp_b64` as its stamp extension and `qr_url`
 * (may be NULL) as the fullUrl of its target; under `entry`'s "resource",
 * or as the root of `t` when entry is NULL. Its signature has no data:
 * *signature (may be NULL) gets the Signature node to complete. */
fh_node *fh_prov_build(fh_tree *t, fh_node *entry, xmlNodePtr prov, const char *stamp_b64, const char *qr_url,
                       fh_node **signature);
/* The canonical JSON of a Provenance node for its JWS: without its
 * signature, id and meta; compact with sorted keys. malloc'd. */
int32_t fh_prov_canonical(char **out, size_t *out_len, fh_tree *t, const fh_node *prov);
/* Decode's check of a payload's Provenance: the stamp it carries, parsed
 * (*stamp_doc, an xmlDoc to free with casescribe_xml_free), and the whole
 * resource equal to the one the stamp says (but for its signature's data,
 * which must be a JWS by the stamp's key). */
int32_t fh_prov_check(fh_tree *t, const fh_parts *p, void **stamp_doc);

/* What the payload carries beyond the record model (carried.c): the digest
 * (sha256:<hex>, for form/@carried-digest) of the QuestionnaireResponse and
 * Consents encode would write for `form` (decode's form, not yet stamped)
 * and this payload. When the payload is stamped (p->prov), its own
 * QuestionnaireResponse and Consents must hold nothing encode would not
 * write back (ESCHEMA). */
int32_t fh_carried_digest(fh_tree *t, const fh_parts *p, xmlDocPtr form, char out[72]);

/* base64 (RFC 4648, with padding) through OpenSSL; malloc'd, NULL on ENOMEM. */
char *fh_base64(const uint8_t *data, size_t len);
/* Decodes base64 (whitespace allowed) into a malloc'd buffer; -1 when not base64. */
int fh_unbase64(uint8_t **out, size_t *out_len, const char *text);

/* The reference form the payload's parts make (decode.c): malloc'd bytes.
 * `names` (may be NULL) is the home's names file: with it, decode also
 * reads payloads another system named in its own words. */
int32_t fh_form_from_fhir(uint8_t **form, size_t *form_len, fh_tree *t, const fh_names *names);
/* The FHIR payload a stamped (or draft) form makes, carrying over from
 * `original` what the record model does not hold (encode.c). */
int32_t fh_fhir_from_form(fh_tree *out, xmlDocPtr form, fh_tree *original, casescribe_ctx *ctx);

#endif
