/* SPDX-License-Identifier: Apache-2.0 */
/* common.c - what decode, encode and the Provenance share: finding the
 * resources of a payload, telling section items from the others, the AI
 * labels, reading form attributes, and base64 through OpenSSL. */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "map.h"

const struct fh_sub fh_section_subs[FH_N_SUBS] = {
    {"origin", "origin", "valueCode", FH_SUB_REQUIRED},
    {"engine", "engine", "valueString", FH_SUB_OPTIONAL},
    {"model", "model", "valueString", FH_SUB_OPTIONAL},
    {"engine-version", "engine-version", "valueString", FH_SUB_OPTIONAL},
    {"engine-settings", "engine-settings", "valueString", FH_SUB_OPTIONAL},
    {"reviewed-by", "reviewed-by", "valueString", FH_SUB_OPTIONAL},
    {"reviewed-at", "reviewed-at", "valueDateTime", FH_SUB_OPTIONAL},
    {"review", "review", "valueCode", FH_SUB_OPTIONAL}};
const struct fh_sub fh_cite_subs[FH_N_SUBS] = {{"offset", "offset", "valueUnsignedInt", FH_SUB_REQUIRED},
                                               {"length", "length", "valueUnsignedInt", FH_SUB_REQUIRED},
                                               {"segments", "segments", "valueString", FH_SUB_EMPTY},
                                               {"start-ms", "start-ms", "valueUnsignedInt", FH_SUB_OPTIONAL},
                                               {"end-ms", "end-ms", "valueUnsignedInt", FH_SUB_OPTIONAL},
                                               {"support", "support", "valueCode", FH_SUB_REQUIRED},
                                               {"reason", "reason", "valueString", FH_SUB_OPTIONAL},
                                               {"unsure", "unsure", "valueString", FH_SUB_EMPTY_NONE}};

static int32_t fail(fh_tree *t, const char *msg)
{
    return fh_fail(t, CASESCRIBE_ESCHEMA, "fhir: %s", msg);
}

/* One entry of a Bundle: its resource goes to its place in the parts. */
static int32_t take_entry(fh_tree *t, fh_parts *p, const fh_node *entry)
{
    fh_node *r = fh_child(entry, "resource", NULL);
    if (r == NULL)
        return fail(t, "a Bundle.entry without a resource");
    const char *type = r->type->name;
    if (strcmp(type, "QuestionnaireResponse") == 0) {
        if (p->qr != NULL)
            return fail(t, "the Bundle holds more than one QuestionnaireResponse");
        p->qr = r;
        p->qr_url = fh_value(entry, "fullUrl");
    } else if (strcmp(type, "Consent") == 0) {
        if (p->n_consents >= MAX_CONSENTS)
            return fail(t, "the Bundle holds more than 256 Consents");
        p->consents[p->n_consents++] = r;
    } else if (strcmp(type, "Provenance") == 0) {
        if (p->prov != NULL)
            return fail(t, "the Bundle holds more than one Provenance (only the latest stamp's)");
        p->prov = r;
    } else {
        return fail(t, "a Bundle.entry holds a resource that is not a QuestionnaireResponse, Consent or Provenance");
    }
    return CASESCRIBE_OK;
}

int32_t fh_parts_find(fh_tree *t, fh_parts *p)
{
    memset(p, 0, sizeof(*p));
    fh_node *root = t->root;
    if (root == NULL)
        return fail(t, "no resource");
    if (strcmp(root->type->name, "QuestionnaireResponse") == 0) {
        p->qr = root;
        return CASESCRIBE_OK;
    }
    if (strcmp(root->type->name, "Bundle") != 0)
        return fail(t, "the payload must be a Bundle or a QuestionnaireResponse");
    const char *type = fh_value(root, "type");
    if (type == NULL ||
        (strcmp(type, "transaction") != 0 && strcmp(type, "batch") != 0 && strcmp(type, "collection") != 0))
        return fail(t, "Bundle.type must be transaction, batch or collection");
    int32_t rc = CASESCRIBE_OK;
    for (fh_node *e = fh_child(root, "entry", NULL); e != NULL && rc == CASESCRIBE_OK; e = fh_child(root, "entry", e))
        rc = take_entry(t, p, e);
    if (rc == CASESCRIBE_OK && p->qr == NULL)
        rc = fail(t, "the Bundle holds no QuestionnaireResponse");
    return rc;
}

int fh_is_section_item(const fh_node *item)
{
    if (fh_child(item, "item", NULL) != NULL)
        return 0;
    size_t answers = fh_count(item, "answer");
    if (answers == 0)
        return 1;
    const fh_node *a = fh_child(item, "answer", NULL);
    /* One answer holding a plain string and nothing else. */
    return answers == 1 && a->id == NULL && a->first != NULL && a->first->next == NULL &&
           fh_is(a->first, "valueString") && a->first->value != NULL && a->first->first == NULL && a->first->id == NULL;
}

const char *fh_identified(const fh_node *ref, const char *system)
{
    const fh_node *id = fh_child(ref, "identifier", NULL);
    const char *s = fh_value(id, "system");
    return s != NULL && strcmp(s, system) == 0 ? fh_value(id, "value") : NULL;
}

static int form_id(const char *s)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++)
        if (n >= 128 || !(isalnum((unsigned char)s[n]) || strchr("._:@/+-", s[n]) != NULL))
            return 0;
    return n > 0;
}

/* "Type/id" at the end of a literal reference, Type one of `types`. */
static int names_type(const char *ref, const char *const *types)
{
    const char *last = strrchr(ref, '/');
    if (last == NULL || last == ref || last[1] == '\0' || strstr(ref, "/_history/") != NULL || ref[0] == '#')
        return 0;
    const char *start = last;
    while (start > ref && start[-1] != '/')
        start--;
    for (const char *const *t = types; *t != NULL; t++)
        if ((size_t)(last - start) == strlen(*t) && strncmp(start, *t, strlen(*t)) == 0)
            return 1;
    return 0;
}

const char *fh_ref_id(const fh_node *ref, const char *system, const char *const *types, int literal)
{
    const char *ours = fh_identified(ref, system);
    if (ours != NULL || !literal)
        return ours;
    const char *r = fh_value(ref, "reference");
    return r != NULL && names_type(r, types) && form_id(r) ? r : NULL;
}

int fh_is_ai_origin(const char *origin)
{
    return origin != NULL && (strcmp(origin, "ai-draft") == 0 || strcmp(origin, "ai-reviewed") == 0);
}

int fh_coding_is(const fh_node *coding, const char *system, const char *code)
{
    const char *s = fh_value(coding, "system"), *c = fh_value(coding, "code");
    return s != NULL && c != NULL && strcmp(s, system) == 0 && strcmp(c, code) == 0;
}

int fh_is_ai_label(const fh_node *ext)
{
    const fh_node *v = fh_ext_value(ext);
    return ext->url != NULL && strcmp(ext->url, INLINE_LABEL) == 0 && v != NULL && fh_is(v, "valueCoding") &&
           fh_coding_is(v, OBS_VALUE, "AIAST");
}

/* ---- the form side ----------------------------------------------------- */

const char *fm_prop(xmlNodePtr n, const char *name)
{
    xmlAttrPtr a = n != NULL ? xmlHasNsProp(n, (const xmlChar *)name, NULL) : NULL;
    if (a == NULL)
        return NULL;
    if (a->children == NULL)
        return "";
    /* A parsed attribute is one text node (no DTD, so no entity parts). */
    if (a->children->type != XML_TEXT_NODE || a->children->next != NULL)
        return NULL;
    return (const char *)a->children->content;
}

int fm_is(xmlNodePtr n, const char *name)
{
    return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
           strcmp((const char *)n->ns->href, FORM_NS) == 0 && strcmp((const char *)n->name, name) == 0;
}

/* ---- base64 ------------------------------------------------------------ */

char *fh_base64(const uint8_t *data, size_t len)
{
    if (len > CASESCRIBE_MAX_PAYLOAD)
        return NULL;
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out == NULL)
        return NULL;
    int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    out[n < 0 ? 0 : n] = '\0';
    return out;
}

int fh_unbase64(uint8_t **out, size_t *out_len, const char *text)
{
    *out = NULL;
    *out_len = 0;
    size_t len = strlen(text);
    if (len > 2 * (size_t)CASESCRIBE_MAX_PAYLOAD)
        return -1;
    char *clean = malloc(len + 1);
    uint8_t *raw = malloc(3 * (len / 4) + 3);
    size_t n = 0, pad = 0;
    for (size_t i = 0; clean != NULL && i < len; i++)
        if (text[i] != ' ' && text[i] != '\n' && text[i] != '\r' && text[i] != '\t')
            clean[n++] = text[i];
    while (clean != NULL && pad < 2 && pad < n && clean[n - 1 - pad] == '=')
        pad++;
    int got =
        clean != NULL && raw != NULL && n > 0 && n % 4 == 0 ? EVP_DecodeBlock(raw, (unsigned char *)clean, (int)n) : -1;
    free(clean);
    if (got < 0 || (size_t)got < pad) {
        free(raw);
        return -1;
    }
    *out = raw;
    *out_len = (size_t)got - pad;
    return 0;
}
