/* SPDX-License-Identifier: Apache-2.0 */
/* carried.c - what the stamp covers beyond the record model.
 *
 * A QuestionnaireResponse carries more than the reference form holds:
 * answers that are not text, item titles, authored, literal references,
 * foreign extensions. Decode writes the form, then makes the resources
 * encode would write for it (the QuestionnaireResponse and its Consents,
 * from that form and this payload) and puts a digest of them into the form
 * (form/@carried-digest). The library's stamp covers the whole form, so it
 * covers that digest: on verify, decode makes it again from the payload in
 * hand, and any change to what encode carries over (an answer, a title, the
 * subject's reference, authored) no longer matches the stamp.
 *
 * What encode would rewrite rather than carry (a Consent's coding, a
 * display, a reference of a Consent) cannot change the digest. So in a
 * payload that carries a Provenance (it has been stamped), every element of
 * those resources must be one encode writes too: a text the record does
 * not say is refused, not rewritten unseen. Only what a FHIR server assigns
 * (id, meta) and the Consents' identifiers (numbered in order by encode)
 * stay outside. */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "map.h"

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Left out everywhere: what a server assigns; and, in a Consent, the
 * identifier encode numbers. */
static int outside(const fh_node *n, int consent)
{
    return fh_is(n, "id") || fh_is(n, "meta") || (consent && fh_is(n, "identifier"));
}

static int same_node(const fh_node *a, const fh_node *b)
{
    return a->elem == b->elem && a->type == b->type && same(a->value, b->value) && same(a->id, b->id) &&
           same(a->url, b->url);
}

/* 1 when every element of `p` is in `e`, in the same order (e may hold
 * more: the labels and extensions encode adds to a host's payload). */
static int within(const fh_node *p, const fh_node *e, int top, int consent)
{
    const fh_node *at = e->first;
    for (const fh_node *k = p->first; k != NULL; k = k->next) {
        if (top && outside(k, consent))
            continue;
        while (at != NULL && !(same_node(k, at) && within(k, at, 0, 0)))
            at = at->next;
        if (at == NULL)
            return 0;
        at = at->next;
    }
    return 1;
}

static int feed(EVP_MD_CTX *md, char tag, const char *s)
{
    uint64_t len = s != NULL ? (uint64_t)strlen(s) : 0;
    unsigned char head[9] = {(unsigned char)(s != NULL ? tag : '-')};
    for (int i = 0; i < 8; i++)
        head[1 + i] = (unsigned char)(len >> (56 - 8 * i));
    return EVP_DigestUpdate(md, head, sizeof(head)) == 1 && (len == 0 || EVP_DigestUpdate(md, s, (size_t)len) == 1);
}

/* Each element: its name, value, id and url, then its children; the tree
 * is at most FH_MAX_DEPTH deep. */
static int digest_node(EVP_MD_CTX *md, const fh_node *n, int top, int consent)
{
    char name[FH_NAME_MAX];
    int ok = feed(md, 'n', n->elem != NULL ? fh_node_name(n, name, sizeof(name)) : n->type->name) &&
             feed(md, 'v', n->value) && feed(md, 'i', n->id) && feed(md, 'u', n->url) && feed(md, '{', "");
    for (const fh_node *k = n->first; k != NULL && ok; k = k->next)
        if (!(top && outside(k, consent)))
            ok = digest_node(md, k, 0, 0);
    return ok && feed(md, '}', "");
}

static int32_t digest(fh_tree *t, const fh_parts *made, char out[72])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 && digest_node(md, made->qr, 1, 0);
    for (size_t i = 0; i < made->n_consents && ok; i++)
        ok = digest_node(md, made->consents[i], 1, 1);
    ok = ok && EVP_DigestFinal_ex(md, d, &len) == 1 && len == 32;
    EVP_MD_CTX_free(md);
    if (!ok)
        return fh_fail(t, CASESCRIBE_ENOMEM, "fhir: cannot digest what the payload carries");
    memcpy(out, "sha256:", 7);
    for (unsigned int i = 0; i < len; i++)
        snprintf(out + 7 + 2 * i, 3, "%02x", d[i]);
    return CASESCRIBE_OK;
}

/* A stamped payload's QuestionnaireResponse and Consents hold nothing
 * encode would not write back. */
static int32_t as_written(fh_tree *t, const fh_parts *p, const fh_parts *made)
{
    if (!within(p->qr, made->qr, 1, 0))
        return fh_fail(t, CASESCRIBE_ESCHEMA, "fhir: %s",
                       "the QuestionnaireResponse holds an element that is not the record's (a display, "
                       "reference or text the adapter would not write back): a stamped payload must be as "
                       "the adapter wrote it");
    for (size_t i = 0; i < p->n_consents; i++)
        if (i >= made->n_consents || !within(p->consents[i], made->consents[i], 1, 1))
            return fh_fail(t, CASESCRIBE_ESCHEMA, "fhir: %s",
                           "a Consent holds an element that is not the record's: a stamped payload must be as "
                           "the adapter wrote it");
    return CASESCRIBE_OK;
}

int32_t fh_carried_digest(fh_tree *t, const fh_parts *p, xmlDocPtr form, char out[72])
{
    fh_tree made;
    fh_tree_init(&made);
    fh_parts mp;
    int32_t rc = fh_fhir_from_form(&made, form, t, NULL); /* no stamp in the form yet: nothing is signed */
    if (rc == CASESCRIBE_OK)
        rc = fh_parts_find(&made, &mp);
    if (rc == CASESCRIBE_OK && p->prov != NULL)
        rc = as_written(t, p, &mp);
    if (rc == CASESCRIBE_OK)
        rc = digest(t, &mp, out);
    if (rc != CASESCRIBE_OK && t->status == CASESCRIBE_OK)
        t->status = rc;
    fh_tree_free(&made);
    return rc;
}
