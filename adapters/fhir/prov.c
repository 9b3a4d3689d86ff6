/* SPDX-License-Identifier: Apache-2.0 */
/* prov.c - the FHIR Provenance of a stamp, and decode's check that a
 * payload's Provenance is exactly the one its stamp says.
 *
 * The library's stamp (<provenance>, signed Ed25519 over its canonical XML)
 * rides in the Provenance as an extension, so that decode can give it back
 * and `casescribe verify` checks the real signature. Everything else in the
 * resource is made from the stamp alone, by one function (fh_prov_build)
 * that encode uses to write it and decode uses to check it: a Provenance
 * whose visible fields say anything but what its stamp says is refused, so
 * nobody reading the FHIR can be misled by it. Its signature is a JWS
 * (EdDSA, RFC 8037) over the resource's canonical JSON, for those who check
 * FHIR signatures with their own tools. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map.h"

#define MAX_STAMPS 256u
#define MAX_JWS 4096u

static int32_t bad_stamp(fh_tree *t, const char *what)
{
    return fh_fail(t, CASESCRIBE_ESCHEMA, "fhir: the stamp in the Provenance is not a CaseScribe provenance (%s)",
                   what);
}

static int is_ai(xmlNodePtr stamp)
{
    return fh_is_ai_origin(fm_prop(stamp, "origin"));
}

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The stamp's parts: its actor, the section stamps of AI sections, and
 * after them the engines that drafted their text in earlier versions
 * (<earlier-engine>, each a Device as well). */
struct stamp {
    xmlNodePtr prov, actor;
    xmlNodePtr ai[2 * MAX_STAMPS];
    size_t n_ai;
};

static size_t first_device(const struct stamp *s, size_t i);

/* Adds the earlier engines of the AI section stamps, one entry per engine
 * not listed yet. */
static int32_t read_earlier(fh_tree *t, struct stamp *s)
{
    for (size_t i = 0, n = s->n_ai; i < n; i++)
        for (xmlNodePtr e = s->ai[i]->children; e != NULL; e = e->next) {
            if (!fm_is(e, "earlier-engine"))
                continue;
            if (s->n_ai == 2 * MAX_STAMPS)
                return bad_stamp(t, "more than 512 engines");
            s->ai[s->n_ai] = e;
            s->n_ai += first_device(s, s->n_ai) == s->n_ai;
        }
    return CASESCRIBE_OK;
}

static int32_t read_stamp(fh_tree *t, struct stamp *s, xmlNodePtr prov)
{
    memset(s, 0, sizeof(*s));
    s->prov = prov;
    size_t sections = 0;
    for (xmlNodePtr c = prov->children; c != NULL; c = c->next) {
        if (fm_is(c, "actor") && s->actor == NULL)
            s->actor = c;
        if (!fm_is(c, "section-stamp"))
            continue;
        if (++sections > MAX_STAMPS)
            return bad_stamp(t, "more than 256 section stamps");
        if (is_ai(c))
            s->ai[s->n_ai++] = c;
    }
    if (s->actor == NULL || fm_prop(s->actor, "id") == NULL || fm_prop(s->actor, "team") == NULL ||
        fm_prop(s->actor, "role") == NULL)
        return bad_stamp(t, "no actor");
    if (fm_prop(prov, "record") == NULL || fm_prop(prov, "at") == NULL || fm_prop(prov, "key-id") == NULL)
        return bad_stamp(t, "no record, time or key id");
    return read_earlier(t, s);
}

/* The first AI section stamp before index i with the same engine, model
 * and engine version (the same Device); i itself when none. */
static size_t first_device(const struct stamp *s, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (same(fm_prop(s->ai[j], "engine"), fm_prop(s->ai[i], "engine")) &&
            same(fm_prop(s->ai[j], "model"), fm_prop(s->ai[i], "model")) &&
            same(fm_prop(s->ai[j], "engine-version"), fm_prop(s->ai[i], "engine-version")))
            return j;
    return i;
}

/* The first AI section stamp before index i with the same `attr`. */
static size_t first_with(const struct stamp *s, size_t i, const char *attr)
{
    for (size_t j = 0; j < i; j++)
        if (same(fm_prop(s->ai[j], attr), fm_prop(s->ai[i], attr)))
            return j;
    return i;
}

static void device_id(char *buf, size_t size, size_t i)
{
    snprintf(buf, size, "dev-%zu", i + 1);
}

/* A contained Device per AI engine (engine, model, version): the AI
 * Transparency IG's AI Device, typed Artificial-Intelligence. */
static void add_devices(fh_tree *t, fh_node *p, const struct stamp *s)
{
    for (size_t i = 0; i < s->n_ai; i++) {
        const char *engine = fm_prop(s->ai[i], "engine");
        if (engine == NULL || first_device(s, i) != i)
            continue;
        char id[32];
        device_id(id, sizeof(id), i);
        fh_node *d = fh_add_resource(t, p, "contained", "Device");
        fh_add(t, d, "id", id);
        fh_node *name = fh_add(t, d, "deviceName", NULL);
        fh_add(t, name, "name", engine);
        fh_add(t, name, "type", "user-friendly-name");
        const char *model = fm_prop(s->ai[i], "model"), *version = fm_prop(s->ai[i], "engine-version");
        if (model != NULL)
            fh_add(t, d, "modelNumber", model);
        fh_add_concept(t, d, "type", AI_DEVICE_TYPE, "Artificial-Intelligence", "All kinds of Artificial Intelligence");
        if (version != NULL)
            fh_add(t, fh_add(t, d, "version", NULL), "value", version);
    }
}

static fh_node *add_identified(fh_tree *t, fh_node *parent, const char *name, const char *system, const char *value)
{
    fh_node *ref = fh_add(t, parent, name, NULL);
    fh_node *id = fh_add(t, ref, "identifier", NULL);
    fh_add(t, id, "system", system);
    fh_add(t, id, "value", value);
    return ref;
}

/* The worker who saved (author, on behalf of their team), each AI engine
 * (assembler: a device that generates a new artifact from existing
 * information) and each reviewer (verifier). */
static void add_agents(fh_tree *t, fh_node *p, const struct stamp *s)
{
    fh_node *a = fh_add(t, p, "agent", NULL);
    fh_add_concept(t, a, "type", PARTICIPANT_TYPE, "author", "Author");
    fh_add(t, fh_add(t, a, "role", NULL), "text", fm_prop(s->actor, "role"));
    add_identified(t, a, "who", SYS_USER, fm_prop(s->actor, "id"));
    add_identified(t, a, "onBehalfOf", SYS_TEAM, fm_prop(s->actor, "team"));
    for (size_t i = 0; i < s->n_ai; i++) {
        if (fm_prop(s->ai[i], "engine") == NULL || first_device(s, i) != i)
            continue;
        char ref[40];
        snprintf(ref, sizeof(ref), "#dev-%zu", i + 1);
        a = fh_add(t, p, "agent", NULL);
        fh_add_concept(t, a, "type", PARTICIPANT_TYPE, "assembler", "Assembler");
        fh_add_concept(t, a, "role", AI_DEVICE_TYPE, "Artificial-Intelligence", "All kinds of Artificial Intelligence");
        fh_add(t, fh_add(t, a, "who", NULL), "reference", ref);
    }
    for (size_t i = 0; i < s->n_ai; i++) {
        const char *reviewer = fm_prop(s->ai[i], "reviewed-by");
        if (reviewer == NULL || first_with(s, i, "reviewed-by") != i)
            continue;
        a = fh_add(t, p, "agent", NULL);
        fh_add_concept(t, a, "type", PARTICIPANT_TYPE, "verifier", "Verifier");
        add_identified(t, a, "who", SYS_USER, reviewer);
    }
}

/* Each machine transcript an AI section was drafted from, as its engine
 * settings name it: an entity with role source. */
static void add_entities(fh_tree *t, fh_node *p, const struct stamp *s)
{
    for (size_t i = 0; i < s->n_ai; i++) {
        const char *settings = fm_prop(s->ai[i], "engine-settings");
        if (settings == NULL || first_with(s, i, "engine-settings") != i)
            continue;
        fh_node *e = fh_add(t, p, "entity", NULL);
        fh_add(t, e, "role", "source");
        fh_add(t, fh_add(t, e, "what", NULL), "display", settings);
    }
}

fh_node *fh_prov_build(fh_tree *t, fh_node *entry, xmlNodePtr prov, const char *stamp_b64, const char *qr_url,
                       fh_node **signature)
{
    struct stamp s;
    if (signature != NULL)
        *signature = NULL;
    if (read_stamp(t, &s, prov) != CASESCRIBE_OK)
        return NULL;
    const char *at = fm_prop(prov, "at");
    fh_node *p = entry != NULL ? fh_add_resource(t, entry, "resource", "Provenance") : fh_new_root(t, "Provenance");
    add_devices(t, p, &s);
    fh_add_ext_value(t, p, URL_STAMP, "valueBase64Binary", stamp_b64);
    fh_node *target = fh_add(t, p, "target", NULL);
    if (qr_url != NULL) {
        fh_add_ext_value(t, target, RESOLVE_VERSION, "valueBoolean", "true");
        fh_add(t, target, "reference", qr_url);
    }
    fh_node *id = fh_add(t, target, "identifier", NULL);
    fh_add(t, id, "system", SYS_RECORD);
    fh_add(t, id, "value", fm_prop(prov, "record"));
    fh_add(t, p, "recorded", at);
    if (s.n_ai > 0)
        fh_add_concept(t, p, "reason", OBS_VALUE, "AIAST", "Artificial Intelligence asserted");
    int update = fm_prop(prov, "previous") != NULL;
    fh_add_concept(t, p, "activity", DATA_OPERATION, update ? "UPDATE" : "CREATE", update ? "revise" : "create");
    add_agents(t, p, &s);
    add_entities(t, p, &s);
    fh_node *sig = fh_add(t, p, "signature", NULL);
    fh_add_coding(t, sig, "type", SIGNATURE_TYPE, "1.2.840.10065.1.12.1.5", "Verification Signature");
    fh_add(t, sig, "when", at);
    fh_node *who = add_identified(t, sig, "who", SYS_KEY, fm_prop(prov, "key-id"));
    fh_add(t, who, "type", "Device");
    fh_add(t, sig, "targetFormat", "application/fhir+json");
    fh_add(t, sig, "sigFormat", "application/jose");
    if (t->status != CASESCRIBE_OK)
        return NULL;
    if (signature != NULL)
        *signature = sig;
    return p;
}

/* The parts of a Provenance a FHIR server may change when it stores it:
 * its id and meta, and each target's reference (resolved from the Bundle's
 * urn:uuid to the version the transaction made) with the extension that
 * asked for that. Neither the JWS nor decode's check covers them. A
 * NULL-terminated malloc'd list with room for `extra` more; NULL on ENOMEM. */
static const fh_node **server_parts(const fh_node *prov, size_t extra, size_t *n)
{
    size_t room = extra + 1;
    for (const fh_node *k = prov->first; k != NULL; k = k->next)
        room += 1 + (fh_is(k, "target") ? fh_count(k, "extension") + 1 : 0);
    const fh_node **list = calloc(room, sizeof(*list));
    *n = 0;
    for (const fh_node *k = prov->first; k != NULL && list != NULL; k = k->next) {
        if (fh_is(k, "id") || fh_is(k, "meta"))
            list[(*n)++] = k;
        for (const fh_node *x = fh_is(k, "target") ? k->first : NULL; x != NULL; x = x->next)
            if (fh_is(x, "reference") || fh_is(x, "extension"))
                list[(*n)++] = x;
    }
    return list;
}

int32_t fh_prov_canonical(char **out, size_t *out_len, fh_tree *t, const fh_node *prov)
{
    *out = NULL;
    *out_len = 0;
    size_t n = 0;
    const fh_node **leave_out = server_parts(prov, fh_count(prov, "signature"), &n);
    if (leave_out == NULL)
        return fh_fail(t, CASESCRIBE_ENOMEM, "fhir: out of memory");
    for (const fh_node *k = fh_child(prov, "signature", NULL); k != NULL; k = fh_child(prov, "signature", k))
        leave_out[n++] = k;
    json_t *j = fh_to_json(t, prov, leave_out);
    int32_t rc = fh_json_dump(out, out_len, t, j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    free(leave_out);
    return rc;
}

/* ---- decode's check ---------------------------------------------------- */

/* base64url (no padding) into bytes, through fh_unbase64. */
static int unbase64url(uint8_t **out, size_t *out_len, const char *s, size_t len)
{
    char *b64 = malloc(len + 4);
    if (b64 == NULL)
        return -1;
    size_t i = 0;
    for (; i < len; i++) {
        char c = s[i];
        if (c == '+' || c == '/' || c == '=')
            break;
        b64[i] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    while (i == len && i % 4 != 0)
        b64[i++] = '=';
    b64[i] = '\0';
    int rc = i >= len ? fh_unbase64(out, out_len, b64) : -1;
    free(b64);
    return rc;
}

/* The signature's data is a compact JWS with a detached payload, signed
 * with EdDSA by the key that signed the stamp. Only its signature bytes
 * cannot be checked here (that needs the public key: see README.md). */
static int32_t check_jws(fh_tree *t, const char *data_b64, const char *key_id)
{
    uint8_t *jws = NULL, *header = NULL;
    size_t len = 0, header_len = 0;
    int ok = fh_unbase64(&jws, &len, data_b64) == 0 && len > 0 && len < MAX_JWS;
    const char *dots = NULL;
    if (ok) {
        jws[len] = '\0'; /* fh_unbase64 leaves room */
        dots = strstr((const char *)jws, "..");
        ok = dots != NULL && strlen((const char *)jws) == len && strchr(dots + 2, '.') == NULL &&
             strlen(dots + 2) == 86; /* 64 bytes of Ed25519 signature in base64url */
    }
    if (ok)
        ok = unbase64url(&header, &header_len, (const char *)jws, (size_t)(dots - (const char *)jws)) == 0;
    json_t *h = ok ? json_loadb((const char *)header, header_len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    const char *alg = json_string_value(json_object_get(h, "alg")), *kid = json_string_value(json_object_get(h, "kid"));
    ok = ok && json_is_object(h) && json_object_size(h) == 2 && alg != NULL && strcmp(alg, "EdDSA") == 0 &&
         kid != NULL && strcmp(kid, key_id) == 0;
    json_decref(h);
    free(jws);
    free(header);
    return ok ? CASESCRIBE_OK
              : fh_fail(t, CASESCRIBE_ESCHEMA, "fhir: Provenance.signature.data is not a JWS by the stamp's key");
}

/* The stamp extension's text, and the stamp parsed from it. */
static int32_t parse_stamp(fh_tree *t, const fh_node *prov, const char **b64, void **doc)
{
    const fh_node *ext = fh_ext(prov, URL_STAMP, NULL);
    const fh_node *v = fh_ext_value(ext);
    *b64 = NULL;
    *doc = NULL;
    if (v == NULL || !fh_is(v, "valueBase64Binary") || v->value == NULL || fh_ext(prov, URL_STAMP, ext) != NULL)
        return fh_fail(t, CASESCRIBE_ESCHEMA, "fhir: the Provenance must carry one stamp extension (" URL_STAMP ")");
    uint8_t *xml = NULL;
    size_t len = 0;
    if (fh_unbase64(&xml, &len, v->value) != 0)
        return fh_fail(t, CASESCRIBE_ESCHEMA, "fhir: the Provenance's stamp is not base64");
    int32_t rc = casescribe_xml_parse(doc, xml, len);
    free(xml);
    if (rc != CASESCRIBE_OK)
        return fh_fail(t, rc, "fhir: the Provenance's stamp is not well-formed XML (or is hostile)");
    if (!fm_is(xmlDocGetRootElement(*doc), "provenance")) {
        casescribe_xml_free(*doc);
        *doc = NULL;
        return bad_stamp(t, "its root is not <provenance> in " FORM_NS);
    }
    *b64 = v->value;
    return CASESCRIBE_OK;
}

/* "QuestionnaireResponse/<id>", or "/_history/<version>" after it (the
 * version, when the QuestionnaireResponse's meta says it, must be that). */
static int names_server_qr(const char *ref, const fh_node *qr)
{
    static const char type[] = "QuestionnaireResponse/", history[] = "/_history/";
    const char *id = fh_value(qr, "id");
    const char *version = fh_value(fh_child(qr, "meta", NULL), "versionId");
    size_t n = id != NULL ? strlen(id) : 0;
    if (id == NULL || strncmp(ref, type, sizeof(type) - 1) != 0 || strncmp(ref + sizeof(type) - 1, id, n) != 0)
        return 0;
    ref += sizeof(type) - 1 + n;
    if (*ref == '\0')
        return 1;
    if (strncmp(ref, history, sizeof(history) - 1) != 0 || ref[sizeof(history) - 1] == '\0')
        return 0;
    ref += sizeof(history) - 1;
    return version == NULL ? strchr(ref, '/') == NULL : strcmp(ref, version) == 0;
}

/* Each target's reference names the QuestionnaireResponse of the same
 * Bundle: its fullUrl, as the adapter writes it; or, once a server has
 * resolved it, that resource (its fullUrl's version, or its id) in the
 * server's copy. A target re-pointed at another QuestionnaireResponse is
 * refused: the reference is the server's to rewrite, so no signature can
 * cover it, but it must still lead to this record. */
static int target_resolves(const fh_parts *p)
{
    for (const fh_node *k = fh_child(p->prov, "target", NULL); k != NULL; k = fh_child(p->prov, "target", k)) {
        const char *ref = fh_value(k, "reference"), *url = p->qr_url;
        size_t n = url != NULL ? strlen(url) : 0;
        if (ref == NULL || (url != NULL && strcmp(ref, url) == 0))
            continue;
        if (url != NULL && strncmp(url, "urn:", 4) != 0 && strncmp(ref, url, n) == 0 &&
            strncmp(ref + n, "/_history/", 10) == 0 && ref[n + 10] != '\0' && strchr(ref + n + 10, '/') == NULL)
            continue;
        if (!names_server_qr(ref, p->qr))
            return 0;
    }
    return 1;
}

int32_t fh_prov_check(fh_tree *t, const fh_parts *p, void **stamp_doc)
{
    const char *b64 = NULL;
    int32_t rc = parse_stamp(t, p->prov, &b64, stamp_doc);
    if (rc != CASESCRIBE_OK)
        return rc;
    xmlNodePtr stamp = xmlDocGetRootElement(*stamp_doc);
    fh_tree expected;
    fh_tree_init(&expected);
    /* Made without the target's reference, which is the server's part. */
    fh_node *want = fh_prov_build(&expected, NULL, stamp, b64, NULL, NULL);
    const fh_node *sig = fh_child(p->prov, "signature", NULL);
    const fh_node *data = fh_child(sig, "data", NULL);
    size_t n = 0;
    const fh_node **skip = server_parts(p->prov, 1, &n); /* and the signature's data: not the stamp's to say */
    if (skip != NULL)
        skip[n] = data;
    if (skip == NULL)
        rc = fh_fail(t, CASESCRIBE_ENOMEM, "fhir: out of memory");
    else if (want == NULL)
        rc = expected.status;
    else if (sig == NULL || data == NULL || data->value == NULL || fh_child(p->prov, "signature", sig) != NULL)
        rc = fh_fail(t, CASESCRIBE_ESCHEMA, "fhir: the Provenance must carry one signature with data");
    else if (!fh_equal(p->prov, want, skip))
        rc = fh_fail(t, CASESCRIBE_ESCHEMA, "fhir: the Provenance resource does not match its stamp");
    else if (!target_resolves(p))
        rc = fh_fail(t, CASESCRIBE_ESCHEMA, "fhir: Provenance.target.reference must be the QuestionnaireResponse "
                                            "of the same Bundle");
    else
        rc = check_jws(t, data->value, fm_prop(stamp, "key-id"));
    if (rc != CASESCRIBE_OK && t->status == CASESCRIBE_OK)
        t->status = rc;
    free(skip);
    fh_tree_free(&expected);
    if (rc != CASESCRIBE_OK) {
        casescribe_xml_free(*stamp_doc);
        *stamp_doc = NULL;
    }
    return rc;
}
