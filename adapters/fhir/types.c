/* SPDX-License-Identifier: Apache-2.0 */
/* types.c - the FHIR R4 types the "fhir" adapter reads and writes, in the
 * element order of the official R4 schema (fhir-single.xsd, 4.0.1), and
 * the lexical checks of its primitives.
 *
 * Only what a CaseScribe Bundle needs is here: Bundle, QuestionnaireResponse
 * (all of it, since items the record model cannot hold are carried over),
 * Consent and Provenance as the adapter writes them, a Device inside a
 * Provenance, and the datatypes those use. An element that is not listed
 * is refused by both readers, by name: the adapter never guesses how to
 * write what it does not know. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define E(n, t, f)                                                                                                     \
    {                                                                                                                  \
        n, t, NULL, f                                                                                                  \
    }
#define CHOICE(n, c, f)                                                                                                \
    {                                                                                                                  \
        n, NULL, c, f                                                                                                  \
    }
#define NO(n)                                                                                                          \
    {                                                                                                                  \
        n, NULL, NULL, FH_REFUSE                                                                                       \
    }
#define EXT E("extension", "Extension", FH_MANY)
#define MODEXT NO("modifierExtension")
/* clang-format off */
#define TYPE(n, k, e) {n, k, e, COUNT(e)}
/* clang-format on */

/* What an extension's value may be: the primitives and the datatypes this
 * table knows. */
static const char *const ext_values[] = {
    "base64Binary", "boolean",     "canonical", "code",     "date",      "dateTime",    "decimal",
    "id",           "instant",     "integer",   "markdown", "oid",       "positiveInt", "string",
    "time",         "unsignedInt", "uri",       "url",      "uuid",      "Attachment",  "CodeableConcept",
    "Coding",       "Identifier",  "Period",    "Quantity", "Reference", NULL};
/* QuestionnaireResponse.item.answer.value[x], all of R4's. */
static const char *const answer_values[] = {"boolean",  "decimal",   "integer", "date",       "dateTime",
                                            "time",     "string",    "uri",     "Attachment", "Coding",
                                            "Quantity", "Reference", NULL};
static const char *const occurred_values[] = {"Period", "dateTime", NULL};
static const char *const consent_sources[] = {"Attachment", "Reference", NULL};

static const fh_elem primitive[] = {EXT};
static const fh_elem extension[] = {EXT, CHOICE("value", ext_values, 0)};
static const fh_elem meta[] = {EXT,
                               E("versionId", "id", 0),
                               E("lastUpdated", "instant", 0),
                               E("source", "uri", 0),
                               E("profile", "canonical", FH_MANY),
                               E("security", "Coding", FH_MANY),
                               E("tag", "Coding", FH_MANY)};
static const fh_elem coding[] = {EXT,
                                 E("system", "uri", 0),
                                 E("version", "string", 0),
                                 E("code", "code", 0),
                                 E("display", "string", 0),
                                 E("userSelected", "boolean", 0)};
static const fh_elem concept[] = {EXT, E("coding", "Coding", FH_MANY), E("text", "string", 0)};
static const fh_elem identifier[] = {EXT,
                                     E("use", "code", 0),
                                     E("type", "CodeableConcept", 0),
                                     E("system", "uri", 0),
                                     E("value", "string", 0),
                                     E("period", "Period", 0),
                                     E("assigner", "Reference", 0)};
static const fh_elem reference[] = {EXT, E("reference", "string", 0), E("type", "uri", 0),
                                    E("identifier", "Identifier", 0), E("display", "string", 0)};
static const fh_elem period[] = {EXT, E("start", "dateTime", 0), E("end", "dateTime", 0)};
static const fh_elem quantity[] = {EXT,
                                   E("value", "decimal", 0),
                                   E("comparator", "code", 0),
                                   E("unit", "string", 0),
                                   E("system", "uri", 0),
                                   E("code", "code", 0)};
static const fh_elem attachment[] = {EXT,
                                     E("contentType", "code", 0),
                                     E("language", "code", 0),
                                     E("data", "base64Binary", 0),
                                     E("url", "url", 0),
                                     E("size", "unsignedInt", 0),
                                     E("hash", "base64Binary", 0),
                                     E("title", "string", 0),
                                     E("creation", "dateTime", 0)};
static const fh_elem signature[] = {EXT,
                                    E("type", "Coding", FH_MANY | FH_REQ),
                                    E("when", "instant", FH_REQ),
                                    E("who", "Reference", FH_REQ),
                                    E("onBehalfOf", "Reference", 0),
                                    E("targetFormat", "code", 0),
                                    E("sigFormat", "code", 0),
                                    E("data", "base64Binary", 0)};

/* Resource and DomainResource: the narrative is read and dropped (a text
 * a person reads that the record does not hold: it is never copied into
 * the record or written back, and a stamped payload that carries one is
 * refused by decode, since "no AI was used" must not ride along);
 * implicitRules is refused (rules this adapter cannot know). */
#define RESOURCE E("id", "id", 0), E("meta", "Meta", 0), NO("implicitRules"), E("language", "code", 0)
#define DOMAIN(contained) RESOURCE, E("text", NULL, FH_SKIP), contained, EXT, MODEXT

static const fh_elem bundle[] = {RESOURCE,
                                 E("identifier", "Identifier", 0),
                                 E("type", "code", FH_REQ),
                                 E("timestamp", "instant", 0),
                                 E("total", "unsignedInt", 0),
                                 NO("link"),
                                 E("entry", "Bundle.entry", FH_MANY),
                                 NO("signature")};
static const fh_elem entry[] = {EXT,
                                MODEXT,
                                NO("link"),
                                E("fullUrl", "uri", 0),
                                E("resource", NULL, FH_HOLDS),
                                NO("search"),
                                E("request", "Bundle.entry.request", 0),
                                NO("response")};
static const fh_elem request[] = {EXT,
                                  MODEXT,
                                  E("method", "code", FH_REQ),
                                  E("url", "uri", FH_REQ),
                                  E("ifNoneMatch", "string", 0),
                                  E("ifModifiedSince", "instant", 0),
                                  E("ifMatch", "string", 0),
                                  E("ifNoneExist", "string", 0)};

static const fh_elem questionnaire_response[] = {DOMAIN(NO("contained")),
                                                 E("identifier", "Identifier", 0),
                                                 E("basedOn", "Reference", FH_MANY),
                                                 E("partOf", "Reference", FH_MANY),
                                                 E("questionnaire", "canonical", 0),
                                                 E("status", "code", FH_REQ),
                                                 E("subject", "Reference", 0),
                                                 E("encounter", "Reference", 0),
                                                 E("authored", "dateTime", 0),
                                                 E("author", "Reference", 0),
                                                 E("source", "Reference", 0),
                                                 E("item", "QuestionnaireResponse.item", FH_MANY)};
static const fh_elem item[] = {EXT,
                               MODEXT,
                               E("linkId", "string", FH_REQ),
                               E("definition", "uri", 0),
                               E("text", "string", 0),
                               E("answer", "QuestionnaireResponse.item.answer", FH_MANY),
                               E("item", "QuestionnaireResponse.item", FH_MANY)};
static const fh_elem answer[] = {EXT, MODEXT, CHOICE("value", answer_values, 0),
                                 E("item", "QuestionnaireResponse.item", FH_MANY)};

/* Consent, all of R4's but contained resources: another system's
 * Consents are read (decode takes one as the form's consent only where its
 * meaning is clear). A Consent the adapter wrote holds only what the
 * record model holds; decode refuses the rest there, since encode rebuilds
 * every Consent from the record. */
static const fh_elem consent[] = {DOMAIN(NO("contained")),
                                  E("identifier", "Identifier", FH_MANY),
                                  E("status", "code", FH_REQ),
                                  /* R4 requires it, but a Consent without one is read (as
                                   * no consent, or refused if it is ours) rather than sink the
                                   * whole payload: R5 dropped it. */
                                  E("scope", "CodeableConcept", 0),
                                  E("category", "CodeableConcept", FH_MANY | FH_REQ),
                                  E("patient", "Reference", 0),
                                  E("dateTime", "dateTime", 0),
                                  E("performer", "Reference", FH_MANY),
                                  E("organization", "Reference", FH_MANY),
                                  CHOICE("source", consent_sources, 0),
                                  E("policy", "Consent.policy", FH_MANY),
                                  E("policyRule", "CodeableConcept", 0),
                                  E("verification", "Consent.verification", FH_MANY),
                                  E("provision", "Consent.provision", 0)};
static const fh_elem consent_policy[] = {EXT, MODEXT, E("authority", "uri", 0), E("uri", "uri", 0)};
static const fh_elem verification[] = {EXT, MODEXT, E("verified", "boolean", FH_REQ),
                                       E("verifiedWith", "Reference", 0), E("verificationDate", "dateTime", 0)};
static const fh_elem provision[] = {EXT,
                                    MODEXT,
                                    E("type", "code", 0),
                                    E("period", "Period", 0),
                                    E("actor", "Consent.provision.actor", FH_MANY),
                                    E("action", "CodeableConcept", FH_MANY),
                                    E("securityLabel", "Coding", FH_MANY),
                                    E("purpose", "Coding", FH_MANY),
                                    E("class", "Coding", FH_MANY),
                                    E("code", "CodeableConcept", FH_MANY),
                                    E("dataPeriod", "Period", 0),
                                    E("data", "Consent.provision.data", FH_MANY),
                                    E("provision", "Consent.provision", FH_MANY)};
static const fh_elem provision_actor[] = {EXT, MODEXT, E("role", "CodeableConcept", FH_REQ),
                                          E("reference", "Reference", FH_REQ)};
static const fh_elem provision_data[] = {EXT, MODEXT, E("meaning", "code", FH_REQ), E("reference", "Reference", FH_REQ)};

static const fh_elem provenance[] = {DOMAIN(E("contained", NULL, FH_HOLDS | FH_MANY)),
                                     E("target", "Reference", FH_MANY | FH_REQ),
                                     CHOICE("occurred", occurred_values, 0),
                                     E("recorded", "instant", FH_REQ),
                                     E("policy", "uri", FH_MANY),
                                     E("location", "Reference", 0),
                                     E("reason", "CodeableConcept", FH_MANY),
                                     E("activity", "CodeableConcept", 0),
                                     E("agent", "Provenance.agent", FH_MANY | FH_REQ),
                                     E("entity", "Provenance.entity", FH_MANY),
                                     E("signature", "Signature", FH_MANY)};
static const fh_elem agent[] = {EXT,
                                MODEXT,
                                E("type", "CodeableConcept", 0),
                                E("role", "CodeableConcept", FH_MANY),
                                E("who", "Reference", FH_REQ),
                                E("onBehalfOf", "Reference", 0)};
static const fh_elem entity[] = {EXT, MODEXT, E("role", "code", FH_REQ), E("what", "Reference", FH_REQ),
                                 E("agent", "Provenance.agent", FH_MANY)};

/* Device as an AI engine inside a Provenance: the elements the adapter
 * writes, in R4's order. */
static const fh_elem device[] = {DOMAIN(NO("contained")),
                                 E("identifier", "Identifier", FH_MANY),
                                 E("deviceName", "Device.deviceName", FH_MANY),
                                 E("modelNumber", "string", 0),
                                 E("type", "CodeableConcept", 0),
                                 E("version", "Device.version", FH_MANY)};
static const fh_elem device_name[] = {EXT, MODEXT, E("name", "string", FH_REQ), E("type", "code", FH_REQ)};
static const fh_elem device_version[] = {EXT, MODEXT, E("type", "CodeableConcept", 0), E("component", "Identifier", 0),
                                         E("value", "string", FH_REQ)};

static const fh_type types[] = {
    TYPE("base64Binary", FH_STRING, primitive),
    TYPE("boolean", FH_BOOLEAN, primitive),
    TYPE("canonical", FH_STRING, primitive),
    TYPE("code", FH_STRING, primitive),
    TYPE("date", FH_STRING, primitive),
    TYPE("dateTime", FH_STRING, primitive),
    TYPE("decimal", FH_DECIMAL, primitive),
    TYPE("id", FH_STRING, primitive),
    TYPE("instant", FH_STRING, primitive),
    TYPE("integer", FH_INTEGER, primitive),
    TYPE("markdown", FH_STRING, primitive),
    TYPE("oid", FH_STRING, primitive),
    TYPE("positiveInt", FH_INTEGER, primitive),
    TYPE("string", FH_STRING, primitive),
    TYPE("time", FH_STRING, primitive),
    TYPE("unsignedInt", FH_INTEGER, primitive),
    TYPE("uri", FH_STRING, primitive),
    TYPE("url", FH_STRING, primitive),
    TYPE("uuid", FH_STRING, primitive),
    TYPE("Extension", FH_COMPLEX, extension),
    TYPE("Meta", FH_COMPLEX, meta),
    TYPE("Coding", FH_COMPLEX, coding),
    TYPE("CodeableConcept", FH_COMPLEX, concept),
    TYPE("Identifier", FH_COMPLEX, identifier),
    TYPE("Reference", FH_COMPLEX, reference),
    TYPE("Period", FH_COMPLEX, period),
    TYPE("Quantity", FH_COMPLEX, quantity),
    TYPE("Attachment", FH_COMPLEX, attachment),
    TYPE("Signature", FH_COMPLEX, signature),
    TYPE("Bundle", FH_RESOURCE, bundle),
    TYPE("Bundle.entry", FH_COMPLEX, entry),
    TYPE("Bundle.entry.request", FH_COMPLEX, request),
    TYPE("QuestionnaireResponse", FH_RESOURCE, questionnaire_response),
    TYPE("QuestionnaireResponse.item", FH_COMPLEX, item),
    TYPE("QuestionnaireResponse.item.answer", FH_COMPLEX, answer),
    TYPE("Consent", FH_RESOURCE, consent),
    TYPE("Consent.policy", FH_COMPLEX, consent_policy),
    TYPE("Consent.verification", FH_COMPLEX, verification),
    TYPE("Consent.provision", FH_COMPLEX, provision),
    TYPE("Consent.provision.actor", FH_COMPLEX, provision_actor),
    TYPE("Consent.provision.data", FH_COMPLEX, provision_data),
    TYPE("Provenance", FH_RESOURCE, provenance),
    TYPE("Provenance.agent", FH_COMPLEX, agent),
    TYPE("Provenance.entity", FH_COMPLEX, entity),
    TYPE("Device", FH_RESOURCE, device),
    TYPE("Device.deviceName", FH_COMPLEX, device_name),
    TYPE("Device.version", FH_COMPLEX, device_version),
};

const fh_type *fh_type_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < COUNT(types); i++)
        if (strcmp(types[i].name, name) == 0)
            return &types[i];
    return NULL;
}

const fh_type *fh_resource_find(const char *name)
{
    const fh_type *t = fh_type_find(name);
    return t != NULL && t->kind == FH_RESOURCE ? t : NULL;
}

/* "valueString" is the choice "value" taking type "string": the rest of
 * the name is the type's name with its first letter in capitals. */
static const fh_type *choice_type(const fh_elem *e, const char *name)
{
    size_t stem = strlen(e->name);
    if (strncmp(name, e->name, stem) != 0 || name[stem] == '\0')
        return NULL;
    const char *rest = name + stem;
    for (const char *const *c = e->choices; *c != NULL; c++)
        if (toupper((unsigned char)(*c)[0]) == rest[0] && strcmp(*c + 1, rest + 1) == 0)
            return fh_type_find(*c);
    return NULL;
}

int fh_elem_find(const fh_type *type, const char *name, const fh_elem **elem, const fh_type **chosen, size_t *order)
{
    for (size_t i = 0; type != NULL && i < type->n_elems; i++) {
        const fh_elem *e = &type->elems[i];
        const fh_type *t = NULL;
        if (e->choices != NULL)
            t = choice_type(e, name);
        else if (strcmp(e->name, name) == 0)
            t = e->type != NULL ? fh_type_find(e->type) : NULL;
        else
            continue;
        if (e->choices != NULL && t == NULL)
            continue;
        *elem = e;
        *chosen = t;
        *order = i;
        return 0;
    }
    return -1;
}

const char *fh_node_name(const fh_node *n, char *buf, size_t size)
{
    if (n->elem == NULL)
        snprintf(buf, size, "%s", n->type->name);
    else if (n->elem->choices == NULL)
        snprintf(buf, size, "%s", n->elem->name);
    else
        snprintf(buf, size, "%s%c%s", n->elem->name, toupper((unsigned char)n->type->name[0]), n->type->name + 1);
    return buf;
}

/* ---- lexical checks ----------------------------------------------------- */

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* Two digits at s, between lo and hi. */
static int two(const char *s, int lo, int hi)
{
    if (!digits(s, 2))
        return 0;
    int v = (s[0] - '0') * 10 + (s[1] - '0');
    return v >= lo && v <= hi;
}

/* hh:mm:ss(.f+)? ; *n is the length used. */
static int check_clock(const char *s, size_t len, size_t *n)
{
    if (len < 8 || !two(s, 0, 23) || s[2] != ':' || !two(s + 3, 0, 59) || s[5] != ':' || !two(s + 6, 0, 60))
        return 0;
    size_t i = 8;
    if (i < len && s[i] == '.') {
        size_t start = ++i;
        while (i < len && isdigit((unsigned char)s[i]))
            i++;
        if (i == start)
            return 0;
    }
    *n = i;
    return 1;
}

static int check_zone(const char *s, size_t len)
{
    if (len == 1 && s[0] == 'Z')
        return 1;
    if (len != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' || !two(s + 4, 0, 59))
        return 0;
    return two(s + 1, 0, 13) || (two(s + 1, 14, 14) && s[4] == '0' && s[5] == '0');
}

/* YYYY, YYYY-MM, YYYY-MM-DD (with_day: only the last), then for a
 * dateTime Thh:mm:ss(.f)(Z|+hh:mm); with_time requires it. */
static int check_date(const char *s, size_t len, int min_parts, int time_allowed, int time_required)
{
    if (len < 4 || !digits(s, 4) || memcmp(s, "0000", 4) == 0)
        return 0;
    int parts = 1;
    size_t i = 4;
    if (i < len && s[i] == '-') {
        if (i + 3 > len || !two(s + i + 1, 1, 12))
            return 0;
        i += 3, parts++;
        if (i < len && s[i] == '-') {
            if (i + 3 > len || !two(s + i + 1, 1, 31))
                return 0;
            i += 3, parts++;
        }
    }
    if (parts < min_parts)
        return 0;
    if (i == len)
        return !time_required;
    size_t n = 0;
    if (!time_allowed || parts != 3 || s[i] != 'T' || !check_clock(s + i + 1, len - i - 1, &n))
        return 0;
    return check_zone(s + i + 1 + n, len - i - 1 - n);
}

static int check_number(const char *s, size_t len, int fraction, int sign)
{
    size_t i = 0;
    if (sign && i < len && s[i] == '-')
        i++;
    size_t start = i;
    while (i < len && isdigit((unsigned char)s[i]))
        i++;
    if (i == start || (s[start] == '0' && i - start > 1))
        return 0;
    if (fraction && i < len && s[i] == '.') {
        size_t f = ++i;
        while (i < len && isdigit((unsigned char)s[i]))
            i++;
        if (i == f)
            return 0;
    }
    if (fraction && i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t e = i;
        while (i < len && isdigit((unsigned char)s[i]))
            i++;
        if (i == e)
            return 0;
    }
    return i == len && len <= 40;
}

/* xs:int for integer, and any length of digits for the unsigned kinds
 * (the schema's nonNegativeInteger); the adapter's own values are far
 * below 2^32. */
static int check_integer(const char *name, const char *s, size_t len)
{
    if (strcmp(name, "integer") == 0) {
        if (!check_number(s, len, 0, 1) || len > 11)
            return 0;
        long long v = 0;
        for (size_t i = s[0] == '-'; i < len; i++)
            v = v * 10 + (s[i] - '0');
        return v <= 2147483647LL + (s[0] == '-');
    }
    if (!check_number(s, len, 0, 0))
        return 0;
    return strcmp(name, "positiveInt") != 0 || strcmp(s, "0") != 0;
}

static int no_space(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (isspace((unsigned char)s[i]))
            return 0;
    return 1;
}

/* FHIR code: no leading, trailing or double whitespace. */
static int check_code(const char *s, size_t len)
{
    if (len == 0 || isspace((unsigned char)s[0]) || isspace((unsigned char)s[len - 1]))
        return 0;
    for (size_t i = 1; i < len; i++)
        if (isspace((unsigned char)s[i]) && (s[i] != ' ' || s[i - 1] == ' '))
            return 0;
    return 1;
}

static int check_base64(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) || c == '+' || c == '/' || c == '=')
            n++;
        else if (!isspace(c))
            return 0;
    }
    return n > 0 && n % 4 == 0;
}

/* urn:uuid: and 8-4-4-4-12 lower-case hex digits. */
static int check_uuid(const char *s, size_t len)
{
    if (len != 45 || strncmp(s, "urn:uuid:", 9) != 0)
        return 0;
    for (size_t i = 9; i < len; i++) {
        size_t at = i - 9;
        int dash = at == 8 || at == 13 || at == 18 || at == 23;
        if (dash ? s[i] != '-' : !(isdigit((unsigned char)s[i]) || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    }
    return 1;
}

static int check_pattern(const char *name, const char *s, size_t len)
{
    if (strcmp(name, "boolean") == 0)
        return strcmp(s, "true") == 0 || strcmp(s, "false") == 0;
    if (strcmp(name, "integer") == 0 || strcmp(name, "unsignedInt") == 0 || strcmp(name, "positiveInt") == 0)
        return check_integer(name, s, len);
    if (strcmp(name, "decimal") == 0)
        return check_number(s, len, 1, 1);
    if (strcmp(name, "dateTime") == 0)
        return check_date(s, len, 1, 1, 0);
    if (strcmp(name, "date") == 0)
        return check_date(s, len, 1, 0, 0);
    if (strcmp(name, "instant") == 0)
        return check_date(s, len, 3, 1, 1);
    if (strcmp(name, "time") == 0) {
        size_t n = 0;
        return check_clock(s, len, &n) && n == len;
    }
    if (strcmp(name, "id") == 0) {
        for (size_t i = 0; i < len; i++)
            if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
                return 0;
        return len <= 64;
    }
    if (strcmp(name, "code") == 0)
        return check_code(s, len);
    if (strcmp(name, "base64Binary") == 0)
        return check_base64(s, len);
    if (strcmp(name, "uuid") == 0)
        return check_uuid(s, len);
    if (strcmp(name, "oid") == 0)
        return len > 8 && strncmp(s, "urn:oid:", 8) == 0 && no_space(s, len);
    if (strcmp(name, "uri") == 0 || strcmp(name, "url") == 0 || strcmp(name, "canonical") == 0)
        return no_space(s, len);
    return 1; /* string, markdown: any text */
}

int fh_check_value(const fh_type *type, const char *value, size_t len)
{
    if (type == NULL || value == NULL || len == 0 || len > FH_MAX_VALUE || strlen(value) != len)
        return -1;
    /* The characters XML 1.0 cannot carry at all: a value the XML writer
     * could not write is refused in JSON too. */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
            (c == 0xEF && i + 2 < len && (unsigned char)value[i + 1] == 0xBF &&
             ((unsigned char)value[i + 2] == 0xBE || (unsigned char)value[i + 2] == 0xBF)))
            return -1;
    }
    return check_pattern(type->name, value, len) ? 0 : -1;
}
