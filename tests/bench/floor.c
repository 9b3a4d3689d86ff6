/* SPDX-License-Identifier: Apache-2.0 */
/* floor.c - the floor of a save and of a verify (see floor.h). */
#include "floor.h"

#include <jansson.h>
#include <libxml/c14n.h>
#include <libxml/xmlschemas.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casescribe.h"
#include "checkpoint.h"
#include "consent/evaluate.h"
#include "internal.h"
#include "provenance/fingerprint.h"
#include "provenance/keys.h"
#include "provenance/stamp.h"
#include "record/form_xml.h"
#include "store/store.h"
#include "xml/safe_parse.h"

extern const unsigned char cs_form_schema[];
extern const unsigned int cs_form_schema_len;

struct floor_ctx {
    cs_store *store;
    cs_keyring *keys;
    EVP_PKEY *key;
    char key_id[CS_KEY_ID_MAX];
    uint8_t secret[CS_FP_SECRET_LEN];
    EVP_MD *sha256;
    xmlDocPtr xsd;
    xmlSchemaPtr schema;
    xmlSchemaValidCtxtPtr vctxt;
    int index_rows;
};

static int fail(const char *what)
{
    const char *why = casescribe_last_error();
    fprintf(stderr, "floor: %s%s%s\n", what, why[0] ? ": " : "", why);
    return -1;
}

static void quiet(void *user, xmlErrorPtr err)
{
    (void)user;
    (void)err;
}

int floor_open(floor_ctx **out, const char *home, int nosync)
{
    floor_ctx *f = *out = calloc(1, sizeof(*f));
    if (f == NULL)
        return fail("out of memory");
    f->index_rows = 1;
    if (cs_store_open(&f->store, home, nosync ? CS_STORE_NO_SYNC : 0) != CASESCRIBE_OK ||
        cs_keyring_load(&f->keys, home) != CASESCRIBE_OK ||
        cs_keyring_signer(f->keys, &f->key, f->key_id) != CASESCRIBE_OK ||
        cs_fingerprint_secret(f->secret, home, 0) != CASESCRIBE_OK)
        return fail("cannot open the home");
    cs_store_set_signer(f->store, cs_checkpoint_sign, f->keys);
    f->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    /* As the library: the fingerprint's patterns checked in C, not by the regex engine. */
    f->xsd = xmlReadMemory((const char *)cs_form_schema, (int)cs_form_schema_len, NULL, NULL, XML_PARSE_NONET);
    if (f->xsd != NULL)
        cs_form_strip_xsd(f->xsd);
    xmlSchemaParserCtxtPtr pctxt = f->xsd != NULL ? xmlSchemaNewDocParserCtxt(f->xsd) : NULL;
    f->schema = pctxt != NULL ? xmlSchemaParse(pctxt) : NULL;
    xmlSchemaFreeParserCtxt(pctxt);
    f->vctxt = f->schema != NULL ? xmlSchemaNewValidCtxt(f->schema) : NULL;
    if (f->vctxt == NULL || f->sha256 == NULL)
        return fail("cannot compile the schema");
    xmlSchemaSetValidStructuredErrors(f->vctxt, quiet, NULL);
    return 0;
}

void floor_close(floor_ctx *f)
{
    if (f == NULL)
        return;
    xmlSchemaFreeValidCtxt(f->vctxt);
    xmlSchemaFree(f->schema);
    xmlFreeDoc(f->xsd);
    EVP_MD_free(f->sha256);
    EVP_PKEY_free(f->key);
    cs_keyring_free(f->keys);
    cs_store_close(f->store);
    free(f);
}

void floor_set_index_rows(floor_ctx *f, int on)
{
    f->index_rows = on;
}

/* ---- the document, read in place ---------------------------------------- */

/* The record model over the parsed document: every string is borrowed. */
struct view {
    xmlDocPtr doc;
    xmlNodePtr root, prov, sig;
    cs_record r;
    xmlNodePtr *kids; /* the root's element children other than provenance, in order */
    size_t n_kids;
};

static const char *attr(xmlNodePtr n, const char *name)
{
    for (xmlAttrPtr a = n->properties; a != NULL; a = a->next)
        if (strcmp((const char *)a->name, name) == 0)
            return a->children != NULL && a->children->content != NULL ? (const char *)a->children->content : "";
    return NULL;
}

static int is(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static void view_free(struct view *v)
{
    free(v->r.subjects);
    free(v->r.consents);
    free(v->r.sections);
    free(v->kids);
    xmlFreeDoc(v->doc);
}

static int view_section(cs_section *s, xmlNodePtr n)
{
    xmlNodePtr t = n->children;
    if (t != NULL && (t->type != XML_TEXT_NODE || t->next != NULL))
        return -1; /* the floor reads plain text only */
    s->id = (char *)attr(n, "id");
    cs_origin_parse(&s->origin, attr(n, "origin"));
    s->engine = (char *)attr(n, "engine");
    s->model = (char *)attr(n, "model");
    s->engine_version = (char *)attr(n, "engine-version");
    s->engine_settings = (char *)attr(n, "engine-settings");
    s->reviewed_by = (char *)attr(n, "reviewed-by");
    s->reviewed_at = (char *)attr(n, "reviewed-at");
    s->review = (char *)attr(n, "review");
    s->text = t != NULL ? (char *)t->content : (char *)"";
    s->text_len = strlen(s->text);
    return 0;
}

static void view_consent(cs_consent *c, xmlNodePtr n)
{
    c->subject = (char *)attr(n, "subject");
    c->given_by = (char *)attr(n, "given-by");
    c->method = (char *)attr(n, "method");
    c->capacity = (char *)attr(n, "capacity");
    c->at = (char *)attr(n, "at");
    c->scopes = (char *)attr(n, "scopes");
    c->withdrawn_at = (char *)attr(n, "withdrawn-at");
}

static int view_children(struct view *v)
{
    size_t n = 0;
    for (xmlNodePtr c = v->root->children; c != NULL; c = c->next)
        n += c->type == XML_ELEMENT_NODE;
    v->kids = calloc(n + 1, sizeof(*v->kids));
    v->r.subjects = calloc(n + 1, sizeof(*v->r.subjects));
    v->r.consents = calloc(n + 1, sizeof(*v->r.consents));
    v->r.sections = calloc(n + 1, sizeof(*v->r.sections));
    if (v->kids == NULL || v->r.subjects == NULL || v->r.consents == NULL || v->r.sections == NULL)
        return -1;
    for (xmlNodePtr c = v->root->children; c != NULL; c = c->next) {
        if (is(c, "provenance")) {
            v->prov = c;
            continue;
        }
        if (c->type != XML_ELEMENT_NODE)
            continue;
        v->kids[v->n_kids++] = c;
        if (is(c, "subject")) {
            cs_subject *s = &v->r.subjects[v->r.n_subjects++];
            s->id = (char *)attr(c, "id");
            s->role = (char *)attr(c, "role");
            s->name = (char *)attr(c, "name");
        } else if (is(c, "consent")) {
            view_consent(&v->r.consents[v->r.n_consents++], c);
        } else if (is(c, "section") && view_section(&v->r.sections[v->r.n_sections++], c) != 0) {
            return -1;
        } else if (is(c, "cite")) {
            return -1; /* not read by the floor */
        }
    }
    return 0;
}

/* One hardened parse, one validation, and the view. */
static int view_open(floor_ctx *f, struct view *v, const uint8_t *xml, size_t len)
{
    memset(v, 0, sizeof(*v));
    if (cs_xml_parse(&v->doc, xml, len, CASESCRIBE_MAX_PAYLOAD) != CASESCRIBE_OK)
        return fail("parse");
    if (xmlSchemaValidateDoc(f->vctxt, v->doc) != 0)
        return fail("not a valid form");
    v->root = xmlDocGetRootElement(v->doc);
    v->r.id = (char *)attr(v->root, "id");
    v->r.template_id = (char *)attr(v->root, "template");
    v->r.team = (char *)attr(v->root, "team");
    v->r.author = (char *)attr(v->root, "author");
    if (view_children(v) != 0)
        return fail("the floor reads plain forms only");
    int prints_ok = 1;
    for (xmlNodePtr c = v->prov != NULL ? v->prov->children : NULL; c != NULL; c = c->next) {
        const char *fp = is(c, "section-stamp") ? attr(c, "fingerprint") : NULL;
        prints_ok &= fp == NULL || cs_form_fingerprint_shape(fp);
        if (is(c, "signature"))
            v->sig = c;
    }
    return prints_ok ? 0 : fail("not a valid fingerprint");
}

/* ---- canonical bytes ---------------------------------------------------- */

enum { FORM_PART, PROVENANCE_PART };

struct part {
    int which;
    xmlNodePtr prov, sig;
};

static int inside(xmlNodePtr n, xmlNodePtr top)
{
    for (; n != NULL && top != NULL; n = n->parent)
        if (n == top)
            return 1;
    return 0;
}

/* What the C14N pass renders: the form without its provenance, or the
 * provenance without its signature; never comments, PIs, or whitespace
 * between elements (the library renders its model without them). */
static int visible(void *user, xmlNodePtr node, xmlNodePtr parent)
{
    const struct part *p = user;
    xmlNodePtr el = node;
    if (node->type == XML_NAMESPACE_DECL || node->type == XML_ATTRIBUTE_NODE)
        el = parent;
    else if (node->type == XML_COMMENT_NODE || node->type == XML_PI_NODE)
        return 0;
    else if (node->type == XML_TEXT_NODE && xmlIsBlankNode(node) && !is(node->parent, "section"))
        return 0;
    if (p->which == FORM_PART)
        return !inside(el, p->prov);
    return inside(el, p->prov) && !inside(el, p->sig);
}

static int canonical(xmlChar **out, xmlDocPtr doc, int which, xmlNodePtr prov, xmlNodePtr sig)
{
    struct part p = {which, prov, sig};
    xmlOutputBufferPtr buf = xmlAllocOutputBuffer(NULL);
    if (buf == NULL)
        return -1;
    if (xmlC14NExecute(doc, visible, &p, XML_C14N_EXCLUSIVE_1_0, NULL, 0, buf) < 0) {
        xmlOutputBufferClose(buf);
        return -1;
    }
    int len = xmlBufUse(buf->buffer);
    *out = xmlStrndup(xmlBufContent(buf->buffer), len);
    xmlOutputBufferClose(buf);
    return *out != NULL ? len : -1;
}

/* Where each top-level child of the canonical form lies: [start, end). */
static size_t child_ranges(const xmlChar *c, size_t len, size_t (*ranges)[2], size_t max)
{
    size_t n = 0, depth = 0, start = 0;
    for (size_t i = 0; i < len; i++) {
        if (c[i] != '<')
            continue;
        int closing = c[i + 1] == '/';
        size_t at = i;
        for (int quoted = 0; i < len && (c[i] != '>' || quoted); i++)
            quoted ^= c[i] == '"';
        if (!closing && depth++ == 1)
            start = at;
        if (closing && --depth == 1 && n < max) {
            ranges[n][0] = start;
            ranges[n++][1] = i + 1;
        }
    }
    return n;
}

static const char wrap_open[] = "<form xmlns=\"" CS_FORM_NS "\">", wrap_close[] = "</form>";

/* "sha256:<hex>" of the wrapped slices [from, to) of ranges. */
static int digest_of(floor_ctx *f, char out[CS_DIGEST_LEN], const xmlChar *c, size_t (*ranges)[2], size_t from,
                     size_t to, int wrap)
{
    uint8_t md[32];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL && EVP_DigestInit_ex(ctx, f->sha256, NULL) == 1;
    if (ok && wrap)
        ok = EVP_DigestUpdate(ctx, wrap_open, sizeof(wrap_open) - 1) == 1;
    for (size_t i = from; ok && i < to; i++)
        ok = EVP_DigestUpdate(ctx, c + ranges[i][0], ranges[i][1] - ranges[i][0]) == 1;
    if (ok && wrap)
        ok = EVP_DigestUpdate(ctx, wrap_close, sizeof(wrap_close) - 1) == 1;
    ok = ok && EVP_DigestFinal_ex(ctx, md, NULL) == 1;
    EVP_MD_CTX_free(ctx);
    memcpy(out, "sha256:", 7);
    cs_hex(out + 7, md, sizeof(md));
    return ok ? 0 : -1;
}

/* Every digest of the form from one C14N pass. */
struct digests {
    char form[CS_DIGEST_LEN], subjects[CS_DIGEST_LEN], consents[CS_DIGEST_LEN];
    char (*sections)[CS_DIGEST_LEN];
    char (*entries)[CS_DIGEST_LEN]; /* each consent entry */
};

static int form_digests(floor_ctx *f, struct view *v, struct digests *d)
{
    xmlChar *c = NULL;
    int len = canonical(&c, v->doc, FORM_PART, v->prov, NULL);
    size_t (*ranges)[2] = calloc(v->n_kids + 1, sizeof(*ranges));
    d->sections = calloc(v->r.n_sections + 1, sizeof(*d->sections));
    d->entries = calloc(v->r.n_consents + 1, sizeof(*d->entries));
    int rc = len < 0 || ranges == NULL || d->sections == NULL || d->entries == NULL ||
             child_ranges(c, (size_t)len, ranges, v->n_kids) != v->n_kids;
    size_t ns = v->r.n_subjects, nc = v->r.n_consents;
    /* Schema order: subjects, consents, sections. */
    if (rc == 0) {
        size_t whole[1][2] = {{0, (size_t)len}};
        rc = digest_of(f, d->form, c, whole, 0, 1, 0) | digest_of(f, d->subjects, c, ranges, 0, ns, 1) |
             digest_of(f, d->consents, c, ranges, ns, ns + nc, 1);
        for (size_t i = 0; rc == 0 && i < nc; i++)
            rc = digest_of(f, d->entries[i], c, ranges, ns + i, ns + i + 1, 1);
        for (size_t i = 0; rc == 0 && i < v->r.n_sections; i++)
            rc = digest_of(f, d->sections[i], c, ranges, ns + nc + i, ns + nc + i + 1, 1);
    }
    free(ranges);
    xmlFree(c);
    return rc ? fail("canonical form") : 0;
}

static void digests_free(struct digests *d)
{
    free(d->sections);
    free(d->entries);
}

/* The consent state and each subject's entry digests (space-separated). */
static int consent_state(struct view *v, struct digests *d, int64_t at, cs_consent_stamp **out, size_t *n)
{
    if (cs_consent_evaluate(out, n, &v->r, at) != CASESCRIBE_OK)
        return fail("consent");
    for (size_t k = 0; k < *n; k++) {
        cs_buf list = {0};
        for (size_t i = 0; i < v->r.n_consents; i++)
            if (strcmp(v->r.consents[i].subject, (*out)[k].subject) == 0)
                cs_buf_printf(&list, "%s%s", list.len ? " " : "", d->entries[i]);
        (*out)[k].entries = list.len ? cs_buf_take(&list) : NULL;
        cs_buf_free(&list);
    }
    return 0;
}

/* ---- the stamp ---------------------------------------------------------- */

struct builder {
    xmlNsPtr ns;
    int failed;
};

static xmlNodePtr element(struct builder *b, xmlNodePtr parent, const char *name, const char *text)
{
    xmlNodePtr n = b->failed ? NULL : xmlNewTextChild(parent, b->ns, (const xmlChar *)name, (const xmlChar *)text);
    b->failed |= n == NULL;
    return n;
}

static void prop(struct builder *b, xmlNodePtr n, const char *name, const char *value)
{
    if (!b->failed && value != NULL && xmlNewProp(n, (const xmlChar *)name, (const xmlChar *)value) == NULL)
        b->failed = 1;
}

/* What one save knows when it stamps. */
struct stamp {
    const char *actor, *team, *at, *previous;
    uint32_t version;
    uint64_t seq;
    char ledger_prev[CS_STORE_HASH_LEN];
    cs_fingerprint *prints, *prints1;
    char **encoded; /* AI sections' mh3 prints, for the stamp and the ledger */
    char (*macs)[CS_TEXT_MAC_LEN];
    cs_consent_stamp *consent;
    size_t n_consent;
};

static void section_stamp(struct builder *b, xmlNodePtr prov, const cs_section *s, const char *digest,
                          const struct stamp *st, size_t i, const char *drafted)
{
    xmlNodePtr n = element(b, prov, "section-stamp", NULL);
    prop(b, n, "id", s->id);
    prop(b, n, "origin", cs_origin_name(s->origin));
    prop(b, n, "engine", s->engine);
    prop(b, n, "model", s->model);
    prop(b, n, "engine-version", s->engine_version);
    prop(b, n, "engine-settings", s->engine_settings);
    prop(b, n, "reviewed-by", s->reviewed_by);
    prop(b, n, "reviewed-at", s->reviewed_at);
    prop(b, n, "review", s->review);
    prop(b, n, "digest", digest);
    prop(b, n, "fingerprint", st->encoded[i]);
    prop(b, n, "text-mac", cs_origin_is_ai(s->origin) ? st->macs[i] : NULL);
    prop(b, n, "drafted-at", cs_origin_is_ai(s->origin) ? drafted : NULL);
}

static void consent_stamp(struct builder *b, xmlNodePtr prov, const cs_consent_stamp *c)
{
    xmlNodePtr n = element(b, prov, "consent-stamp", NULL);
    prop(b, n, "subject", c->subject);
    prop(b, n, "in-force", c->in_force);
    prop(b, n, "given-by", c->given_by);
    prop(b, n, "capacity", c->capacity);
    prop(b, n, "scopes", c->scopes);
    prop(b, n, "withdrawn-at", c->withdrawn_at);
    prop(b, n, "local-ai", c->local_ai ? "allowed" : "refused");
    prop(b, n, "external-ai", c->external_ai ? "allowed" : "refused");
    prop(b, n, "entries", c->entries);
}

/* When the text of section `id` first appeared: the old stamp's, else now. */
static const char *drafted_at(xmlNodePtr old, const char *id, const char *mac, const char *now)
{
    for (xmlNodePtr c = old != NULL ? old->children : NULL; c != NULL; c = c->next) {
        const char *d = is(c, "section-stamp") ? attr(c, "drafted-at") : NULL;
        const char *m = d != NULL ? attr(c, "text-mac") : NULL;
        if (m != NULL && strcmp(attr(c, "id"), id) == 0 && strcmp(m, mac) == 0)
            return d;
    }
    return now;
}

static xmlNodePtr build_provenance(floor_ctx *f, struct view *v, const struct digests *d, const struct stamp *st,
                                   xmlNodePtr old)
{
    struct builder b = {v->root->ns, 0};
    char version[16], seq[24], library[64];
    snprintf(version, sizeof(version), "%u", (unsigned)st->version);
    snprintf(seq, sizeof(seq), "%llu", (unsigned long long)st->seq);
    snprintf(library, sizeof(library), "casescribe %s", casescribe_version());
    xmlNodePtr p = element(&b, v->root, "provenance", NULL);
    prop(&b, p, "record", v->r.id);
    prop(&b, p, "version", version);
    prop(&b, p, "previous", st->previous);
    prop(&b, p, "at", st->at);
    prop(&b, p, "library", library);
    prop(&b, p, "key-id", f->key_id);
    prop(&b, p, "ledger-seq", seq);
    prop(&b, p, "ledger-prev", st->ledger_prev[0] ? st->ledger_prev : NULL);
    xmlNodePtr actor = element(&b, p, "actor", NULL);
    prop(&b, actor, "id", st->actor);
    prop(&b, actor, "team", st->team);
    prop(&b, actor, "role", "unspecified");
    xmlNodePtr policy = element(&b, p, "policy", NULL);
    prop(&b, policy, "team", st->team);
    prop(&b, policy, "version", "0");
    prop(&b, policy, "state", "defaults");
    element(&b, p, "form-digest", d->form);
    element(&b, p, "subjects-digest", d->subjects);
    element(&b, p, "consents-digest", d->consents);
    for (size_t i = 0; i < v->r.n_sections; i++)
        section_stamp(&b, p, &v->r.sections[i], d->sections[i], st, i,
                      drafted_at(old, v->r.sections[i].id, st->macs[i], st->at));
    for (size_t i = 0; i < st->n_consent; i++)
        consent_stamp(&b, p, &st->consent[i]);
    return b.failed ? NULL : p;
}

/* Signs the provenance p (one C14N, one Ed25519 sign) and adds its
 * signature; record_digest gets the digest of the signed version. */
static int sign_provenance(floor_ctx *f, struct view *v, xmlNodePtr p, char record_digest[CS_DIGEST_LEN])
{
    xmlChar *msg = NULL;
    char b64[CS_SIGNATURE_B64_LEN];
    int len = canonical(&msg, v->doc, PROVENANCE_PART, p, NULL);
    int rc = len < 0 || cs_ed25519_sign(b64, f->key, msg, (size_t)len) != CASESCRIBE_OK ||
             cs_signed_digest(record_digest, msg, (size_t)len, b64) != CASESCRIBE_OK;
    xmlFree(msg);
    struct builder b = {v->root->ns, 0};
    prop(&b, element(&b, p, "signature", b64), "algorithm", "ed25519");
    return rc || b.failed ? fail("sign") : 0;
}

/* The incoming provenance's signature and its record digest. */
static int check_provenance(floor_ctx *f, struct view *v, char record_digest[CS_DIGEST_LEN])
{
    const char *key_id = attr(v->prov, "key-id");
    const char *sig = v->sig != NULL && v->sig->children != NULL ? (const char *)v->sig->children->content : "";
    EVP_PKEY *pub = NULL;
    xmlChar *msg = NULL;
    int len = canonical(&msg, v->doc, PROVENANCE_PART, v->prov, v->sig);
    int ok = len >= 0 && key_id != NULL && cs_keyring_public(f->keys, key_id, &pub) == CASESCRIBE_OK &&
             cs_ed25519_verify(pub, sig, msg, (size_t)len) &&
             (record_digest == NULL || cs_signed_digest(record_digest, msg, (size_t)len, sig) == CASESCRIBE_OK);
    EVP_PKEY_free(pub);
    xmlFree(msg);
    return ok ? 0 : -1;
}

/* ---- fingerprints and the ledger entry ---------------------------------- */

static void stamp_free(struct stamp *st, size_t n)
{
    for (size_t i = 0; st->encoded != NULL && i < n; i++)
        free(st->encoded[i]);
    free(st->encoded);
    free(st->prints);
    free(st->prints1);
    free(st->macs);
    cs_consent_stamps_free(st->consent, st->n_consent);
}

static int fingerprints(floor_ctx *f, const cs_record *r, struct stamp *st)
{
    size_t n = r->n_sections + 1;
    st->prints = calloc(n, sizeof(*st->prints));
    st->prints1 = calloc(n, sizeof(*st->prints1));
    st->encoded = calloc(n, sizeof(*st->encoded));
    st->macs = calloc(n, sizeof(*st->macs));
    if (st->prints == NULL || st->prints1 == NULL || st->encoded == NULL || st->macs == NULL)
        return fail("out of memory");
    for (size_t i = 0; i < r->n_sections; i++) {
        const cs_section *s = &r->sections[i];
        int ai = cs_origin_is_ai(s->origin);
        if (cs_fingerprint_compute(&st->prints[i], f->secret, s->text, s->text_len) < 0 ||
            (!ai && cs_fingerprint_compute_mh1(&st->prints1[i], f->secret, s->text, s->text_len) < 0) ||
            (ai && cs_text_mac(st->macs[i], f->secret, s->text, s->text_len) != 0) ||
            (st->prints[i].count > 0 && cs_fingerprint_encode(&st->encoded[i], &st->prints[i]) != 0))
            return fail("fingerprint");
    }
    return 0;
}

/* The entry casescribe_save journals; without index rows, its prints go
 * under keys the index does not read (same size). */
static json_t *ledger_entry(floor_ctx *f, const struct view *v, const struct stamp *st, const char *digest,
                            const char *form)
{
    json_t *ai = json_array(), *human = json_array();
    json_t *e = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "kind", "save", "record", v->r.id, "version",
                          (json_int_t)st->version, "digest", digest, "form", form, "actor", st->actor, "team", st->team,
                          "time", st->at, "key", f->key_id);
    for (size_t i = 0; e != NULL && ai != NULL && human != NULL && i < v->r.n_sections; i++) {
        if (st->encoded[i] == NULL)
            continue;
        if (cs_origin_is_ai(v->r.sections[i].origin))
            json_array_append_new(ai, json_pack("{s:s, s:s}", "section", v->r.sections[i].id, "fp", st->encoded[i]));
        else
            json_array_append_new(human, json_string(st->encoded[i]));
    }
    if (e == NULL || ai == NULL || human == NULL) {
        json_decref(ai);
        json_decref(human);
        json_decref(e);
        return NULL;
    }
    if (st->previous != NULL)
        json_object_set_new(e, "previous", json_string(st->previous));
    json_object_set_new(e, f->index_rows ? "ai" : "no-ai", ai);
    json_object_set_new(e, f->index_rows ? "human" : "no-human", human);
    return e;
}

/* ---- the save and the verify -------------------------------------------- */

/* Version and previous digest from the head; a next version's incoming
 * provenance must be genuine and the head's. */
static int chain(floor_ctx *f, struct view *v, cs_store_txn *tx, struct stamp *st, char previous[CS_DIGEST_LEN])
{
    cs_store_head head;
    int found = 0;
    if (cs_store_lock_record(tx, v->r.id) != CASESCRIBE_OK ||
        cs_store_head_get(tx, v->r.id, &head, &found) != CASESCRIBE_OK)
        return fail("head");
    st->version = found ? head.version + 1 : 1;
    st->previous = NULL;
    if (v->prov == NULL)
        return found ? fail("the record exists: send its latest version") : 0;
    if (check_provenance(f, v, previous) != 0 || !found || strcmp(previous, head.digest) != 0)
        return fail("the incoming provenance is not the head's");
    st->previous = previous;
    return 0;
}

/* The index's reads of a save (with index rows only): every human text
 * against the home's AI prints in both schemes, and against the AI
 * sections beside it. */
static int laundering_reads(floor_ctx *f, const cs_record *r, const struct stamp *st, cs_store_txn *tx)
{
    for (size_t i = 0; f->index_rows && i < r->n_sections; i++) {
        cs_store_hit hit;
        double score = 0;
        int failed = 0;
        if (r->sections[i].origin != CS_ORIGIN_HUMAN || st->prints[i].count == 0)
            continue;
        if (cs_store_grade(tx, &st->prints[i], r->team, &hit) != CASESCRIBE_OK ||
            cs_store_grade(tx, &st->prints1[i], r->team, &hit) != CASESCRIBE_OK)
            return fail("index");
        for (size_t j = 0; j < r->n_sections && failed == 0; j++)
            if (cs_origin_is_ai(r->sections[j].origin))
                cs_store_grade_pair(tx, &st->prints[i], &st->prints[j], &score, &failed);
        if (failed != 0)
            return fail("index weights");
    }
    return 0;
}

static int stamp_in(floor_ctx *f, struct view *v, struct digests *d, struct stamp *st, cs_store_txn *tx)
{
    char previous[CS_DIGEST_LEN], record_digest[CS_DIGEST_LEN];
    uint64_t count = 0;
    if (chain(f, v, tx, st, previous) != 0 || laundering_reads(f, &v->r, st, tx) != 0 ||
        cs_store_ledger_tail(tx, &count, st->ledger_prev) != CASESCRIBE_OK)
        return -1;
    st->seq = count + 1;
    xmlNodePtr old = v->prov;
    if (old != NULL)
        xmlUnlinkNode(old);
    xmlNodePtr p = build_provenance(f, v, d, st, old);
    xmlFreeNode(old);
    v->prov = NULL;
    if (p == NULL || sign_provenance(f, v, p, record_digest) != 0)
        return fail("provenance");
    json_t *e = ledger_entry(f, v, st, record_digest, d->form);
    int32_t rc = e != NULL ? cs_store_append(tx, e, NULL, NULL) : CASESCRIBE_ENOMEM;
    json_decref(e);
    return rc == CASESCRIBE_OK ? 0 : fail("append");
}

int floor_save(floor_ctx *f, const char *actor, const uint8_t *xml, size_t len, uint8_t **out, size_t *out_len)
{
    struct view v;
    struct digests d = {0};
    struct stamp st = {0};
    char at[21];
    cs_format_time(at, cs_now());
    st.actor = actor;
    st.at = at;
    *out = NULL;
    int rc = view_open(f, &v, xml, len);
    st.team = v.r.team;
    if (rc == 0)
        rc = form_digests(f, &v, &d);
    if (rc == 0)
        rc = consent_state(&v, &d, cs_now(), &st.consent, &st.n_consent);
    if (rc == 0)
        rc = fingerprints(f, &v.r, &st);
    cs_store_txn *tx = NULL;
    if (rc == 0 && cs_store_begin(f->store, CS_STORE_WRITE, &tx) != CASESCRIBE_OK)
        rc = fail("begin");
    if (rc == 0)
        rc = stamp_in(f, &v, &d, &st, tx);
    int size = 0;
    if (rc == 0) {
        xmlDocDumpMemory(v.doc, (xmlChar **)out, &size);
        rc = *out != NULL ? 0 : fail("out of memory");
        *out_len = (size_t)size;
    }
    if (rc == 0 && cs_store_commit(tx) != CASESCRIBE_OK)
        rc = fail("commit");
    else if (rc != 0)
        cs_store_rollback(tx);
    stamp_free(&st, v.r.n_sections);
    digests_free(&d);
    view_free(&v);
    return rc;
}

/* The digests the provenance holds against those of the form. */
static int same_digests(struct view *v, const struct digests *d)
{
    size_t i = 0;
    int same = 1;
    for (xmlNodePtr c = v->prov->children; c != NULL; c = c->next) {
        const char *want = is(c, "form-digest")                            ? d->form
                           : is(c, "subjects-digest")                      ? d->subjects
                           : is(c, "consents-digest")                      ? d->consents
                           : is(c, "section-stamp") && i < v->r.n_sections ? d->sections[i++]
                                                                           : NULL;
        if (want == NULL)
            continue;
        const char *got = is(c, "section-stamp") ? attr(c, "digest")
                          : c->children != NULL  ? (const char *)c->children->content
                                                 : "";
        same &= got != NULL && strcmp(got, want) == 0;
    }
    return same && i == v->r.n_sections;
}

/* The consent state recomputed at the stamp's time, against the stamp's. */
static int same_consent(struct view *v, struct digests *d)
{
    int64_t at = 0;
    cs_consent_stamp *now = NULL;
    size_t n = 0, k = 0;
    int same = cs_parse_time(&at, attr(v->prov, "at")) == 0 && consent_state(v, d, at, &now, &n) == 0;
    for (xmlNodePtr c = v->prov->children; same && c != NULL; c = c->next) {
        if (!is(c, "consent-stamp"))
            continue;
        const char *in_force = attr(c, "in-force"), *entries = attr(c, "entries");
        same = k < n && strcmp(attr(c, "subject"), now[k].subject) == 0 &&
               (in_force == NULL) == (now[k].in_force == NULL) && (entries == NULL) == (now[k].entries == NULL) &&
               (entries == NULL || strcmp(entries, now[k].entries) == 0);
        k++;
    }
    cs_consent_stamps_free(now, n);
    return same && k == n;
}

int floor_verify(floor_ctx *f, const uint8_t *xml, size_t len)
{
    struct view v;
    struct digests d = {0};
    int rc = view_open(f, &v, xml, len);
    if (rc == 0 && v.prov == NULL)
        rc = fail("not stamped");
    if (rc == 0)
        rc = form_digests(f, &v, &d);
    if (rc == 0 && (!same_digests(&v, &d) || !same_consent(&v, &d)))
        rc = -1;
    if (rc == 0)
        rc = check_provenance(f, &v, NULL);
    digests_free(&d);
    view_free(&v);
    return rc;
}
