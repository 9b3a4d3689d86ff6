/* save.c - the save pipeline, in the one order a reader should find it:
 *
 *   1. decode      the adapter turns the payload into the record model
 *   1b. policy     the team's policy must have on the AI features the sections use
 *   2. consent     every AI section must be covered by every subject's consent
 *   3. review gate a final save holds no unreviewed AI text; reviews are complete
 *   4. stamp       under the journal lock: laundering check, chain to the
 *                  previous version, digests, Ed25519 signature
 *   5. journal     append the entry and make it durable: the commit point
 *   6. encode      the adapter renders the stamped record (the bytes are
 *                  made just before the commit, so that a journalled save is
 *                  never lost to an allocation failure after it)
 *
 * Job offers (after consent) join this list when that module exists;
 * nothing here ever waits on AI work.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapter.h"
#include "consent/consent.h"
#include "consent/evaluate.h"
#include "context.h"
#include "fill/template.h"
#include "internal.h"
#include "provenance/stamp.h"

/* Everything one save works on, so that each step is a short function. */
struct save {
    casescribe_ctx *ctx;
    const casescribe_actor *actor;
    cs_record *record;
    int64_t now;
    cs_digests digests;
    cs_consent_stamp *consent;
    size_t n_consent;
    int *consent_withdrawn;   /* per section: kept only because it was reviewed before withdrawal */
    cs_fingerprint *prints;   /* per section; count 0 when too short to fingerprint */
    char (*macs)[CS_TEXT_MAC_LEN]; /* per section: cs_text_mac of its text */
    cs_provenance *stamp;     /* the new provenance */
    char record_digest[CS_DIGEST_LEN];
    cs_adapter_use *adapter;  /* held from decode to encode; and the payload it decoded */
    const uint8_t *payload;   /* (the caller's, for this call only), from which encode */
    size_t payload_len;       /* may carry over what the record model does not hold */
    uint8_t *out;             /* the encoded, stamped payload */
    size_t out_len;
    /* Set when this save repeats the one that made the record's latest
     * version (the host lost the reply): it is stamped again exactly as
     * then, and not journalled twice. */
    const cs_index_head *retry_of;
    cs_policy *policy;        /* the team's policy, as read at the start of this save */
};

static void save_free(struct save *s)
{
    cs_record_free(s->record);
    cs_digests_free(&s->digests);
    cs_consent_stamps_free(s->consent, s->n_consent);
    free(s->consent_withdrawn);
    free(s->prints);
    free(s->macs);
    cs_policy_free(s->policy);
    cs_provenance_free(s->stamp);
    free(s->out);
    if (s->adapter != NULL)
        cs_adapter_release(s->adapter);
}

static int32_t check_arguments(uint8_t **out, size_t *out_len, casescribe_ctx *ctx, const casescribe_actor *actor)
{
    if (out == NULL || out_len == NULL || ctx == NULL || actor == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_save: out, out_len, ctx and actor are required");
    /* flock() belongs to the open file, which a forked child shares with
     * its parent: both would hold the journal lock at once. */
    if (ctx->pid != getpid())
        return cs_fail(CASESCRIBE_EINVAL, "this context was opened by another process (before a fork): open a new "
                                          "context in this process");
    if (actor->struct_size < offsetof(casescribe_actor, role) + sizeof(const char *) ||
        actor->struct_size > sizeof(casescribe_actor) || actor->reserved != 0)
        return cs_fail(CASESCRIBE_EINVAL, "actor not initialised: call casescribe_actor_init first");
    if (!cs_valid_id(actor->user_id))
        return cs_fail(CASESCRIBE_EINVAL, "actor user_id must be 1-128 characters of A-Z a-z 0-9 . _ : @ / + -");
    if (actor->team != NULL && !cs_valid_id(actor->team))
        return cs_fail(CASESCRIBE_EINVAL, "actor team must be 1-128 characters of A-Z a-z 0-9 . _ : @ / + -");
    if (actor->role != NULL && !cs_valid_label(actor->role, 256))
        return cs_fail(CASESCRIBE_EINVAL, "actor role must be 1-256 characters of UTF-8 text without control "
                                          "characters");
    return CASESCRIBE_OK;
}

/* ---- 1. decode --------------------------------------------------------- */

/* Origin attributes must tell one consistent story. */
static int32_t check_origin_attributes(const cs_section *sec)
{
    int reviewed = sec->reviewed_by || sec->reviewed_at || sec->review;
    if (sec->origin == CS_ORIGIN_HUMAN &&
        (sec->engine || sec->model || sec->engine_version || sec->engine_settings || reviewed))
        return cs_fail(CASESCRIBE_ESCHEMA,
                       "section '%s' is marked human but carries engine, model or review attributes", sec->id);
    if (cs_origin_is_ai(sec->origin) && sec->engine == NULL)
        return cs_fail(CASESCRIBE_ESCHEMA, "section '%s' is AI-made but names no engine", sec->id);
    return CASESCRIBE_OK;
}

static int32_t step_decode(struct save *s, const char *adapter, const uint8_t *payload, size_t len)
{
    int32_t rc = cs_adapter_acquire(&s->adapter, adapter);
    if (rc == CASESCRIBE_OK)
        rc = cs_adapter_decode_with(&s->record, s->adapter, payload, len);
    s->payload = payload;
    s->payload_len = len;
    for (size_t i = 0; rc == CASESCRIBE_OK && i < s->record->n_sections; i++)
        rc = check_origin_attributes(&s->record->sections[i]);
    if (rc == CASESCRIBE_OK)
        rc = cs_digests_compute(&s->digests, s->record);
    if (rc == CASESCRIBE_OK &&
        (s->macs = calloc(s->record->n_sections ? s->record->n_sections : 1, sizeof(*s->macs))) == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    return rc;
}

/* The text MAC of section i, made when first needed (AI sections always,
 * human ones only when the previous version had AI text in that section).
 * NULL after an allocation failure. */
static const char *mac_of(struct save *s, size_t i)
{
    const cs_section *sec = &s->record->sections[i];
    if (s->macs[i][0] == '\0' && cs_text_mac(s->macs[i], s->ctx->fp_secret, sec->text, sec->text_len) != 0) {
        s->macs[i][0] = '\0';
        cs_fail(CASESCRIBE_ENOMEM, "out of memory fingerprinting section '%s'", sec->id);
        return NULL;
    }
    return s->macs[i];
}

/* ---- 1b. policy -------------------------------------------------------- */

/* An AI section the version this save follows already held, with the same
 * text from the same engine: keeping (or reviewing) it is no new use of AI,
 * so a feature switched off since does not remove it. The incoming
 * provenance is only a claim here; its signature is checked before the
 * save commits. */
static int32_t already_stamped(int *yes, struct save *s, size_t at)
{
    *yes = 0;
    const cs_section *sec = &s->record->sections[at];
    const cs_provenance *p = s->record->provenance;
    for (size_t i = 0; p != NULL && i < p->n_sections; i++) {
        const cs_section_stamp *st = &p->sections[i];
        if (strcmp(st->id, sec->id) != 0 || !cs_origin_is_ai(st->origin) || st->text_mac == NULL ||
            st->engine == NULL || sec->engine == NULL || strcmp(st->engine, sec->engine) != 0)
            continue;
        const char *mac = mac_of(s, at);
        if (mac == NULL)
            return CASESCRIBE_ENOMEM;
        *yes = strcmp(mac, st->text_mac) == 0;
        return CASESCRIBE_OK;
    }
    return CASESCRIBE_OK;
}

/* AI text in a form whose template the home does not know: its `never`
 * sections cannot be checked, so it is refused (fail closed) unless the
 * team's policy lists that template id as allowed without one. */
static int32_t unknown_template(const struct save *s)
{
    const cs_record *r = s->record;
    for (size_t i = 0; i < r->n_sections; i++) {
        const cs_section *sec = &r->sections[i];
        if (!cs_origin_is_ai(sec->origin) || cs_policy_allows_untemplated(s->policy, r->template_id))
            continue;
        return cs_fail(CASESCRIBE_EPOLICY,
                       "the form's template '%s' is not a template this home knows, so its ai=\"never\" sections "
                       "cannot be checked: AI text (section '%s') is refused. Use a shipped template (`casescribe "
                       "templates`), install this one signed by the home's key (`casescribe templates install "
                       "FILE`), or have an admin allow it for team %s (`casescribe team set %s "
                       "allow-without-template %s`)",
                       r->template_id, sec->id, r->team, r->team, r->template_id);
    }
    return CASESCRIBE_OK;
}

/* The template's `never` sections hold the worker's professional judgement
 * (analysis, decisions, eligibility): AI text is refused there whatever
 * its review, its engine or the policy. */
static int32_t never_rule(struct save *s)
{
    const cs_record *r = s->record;
    casescribe_template *tpl = NULL;
    int32_t rc = cs_ctx_template(s->ctx, r->template_id, &tpl);
    if (rc == CASESCRIBE_OK && tpl == NULL)
        return unknown_template(s);
    for (size_t i = 0; rc == CASESCRIBE_OK && i < r->n_sections; i++) {
        const cs_section *sec = &r->sections[i];
        const cs_template_section *ts = cs_template_find_section(tpl, sec->id);
        if (ts != NULL && ts->never && cs_origin_is_ai(sec->origin))
            rc = cs_fail(CASESCRIBE_EPOLICY,
                         "section '%s' of template %s is the worker's professional judgement (ai=\"never\"): text "
                         "made by AI (%s) is never accepted there, reviewed or not; save it with the worker's own "
                         "words",
                         sec->id, tpl->id, sec->engine != NULL ? sec->engine : "no engine named");
    }
    cs_template_unref(tpl);
    return rc;
}

static int32_t step_policy(struct save *s)
{
    const cs_record *r = s->record;
    int32_t rc = cs_ctx_policy(s->ctx, r->team, &s->policy);
    if (rc == CASESCRIBE_OK)
        rc = never_rule(s);
    const cs_policy *pol = s->policy;
    for (size_t i = 0; rc == CASESCRIBE_OK && i < r->n_sections; i++) {
        const cs_section *sec = &r->sections[i];
        if (!cs_origin_is_ai(sec->origin))
            continue;
        int external = !cs_engine_is_local(sec->engine), kept = 0;
        uint32_t missing = (pol->features & CS_FEATURE_AI_DRAFT) ? 0 : CS_FEATURE_AI_DRAFT;
        if (external && !(pol->features & CS_FEATURE_EXTERNAL_AI))
            missing |= CS_FEATURE_EXTERNAL_AI;
        if (missing == 0 || (rc = already_stamped(&kept, s, i)) != CASESCRIBE_OK || kept)
            continue;
        rc = cs_fail(CASESCRIBE_EPOLICY,
                     "section '%s' was made by AI (%s) but team %s's policy has '%s' switched off%s%s: save the "
                     "record without that section, or ask an admin to switch the feature on",
                     sec->id, sec->engine, r->team,
                     cs_policy_feature_name((missing & CS_FEATURE_AI_DRAFT) ? CS_FEATURE_AI_DRAFT
                                                                             : CS_FEATURE_EXTERNAL_AI),
                     pol->state == CS_POLICY_REFUSED ? "; its policy file was not used: " : "",
                     pol->state == CS_POLICY_REFUSED ? pol->problem : "");
    }
    return rc;
}

/* ---- 2. consent -------------------------------------------------------- */

/* A section may stay after consent was withdrawn only if it was already
 * reviewed and stamped, unchanged, in the version this save follows. */
static int reviewed_before(const cs_record *r, const cs_section *sec, const char *digest)
{
    const cs_provenance *p = r->provenance;
    for (size_t i = 0; p != NULL && i < p->n_sections; i++)
        if (strcmp(p->sections[i].id, sec->id) == 0)
            return p->sections[i].origin == CS_ORIGIN_AI_REVIEWED && strcmp(p->sections[i].digest, digest) == 0;
    return 0;
}

static int only_withdrawn(const cs_consent_stamp *stamps, size_t n, int external)
{
    for (size_t i = 0; i < n; i++) {
        int reason = external ? stamps[i].external_reason : stamps[i].local_reason;
        int ok = external ? stamps[i].external_ai : stamps[i].local_ai;
        if (!ok && reason != CS_CONSENT_WITHDRAWN)
            return 0;
    }
    return 1;
}

static int32_t step_consent(struct save *s)
{
    const cs_record *r = s->record;
    cs_consent_stamps_free(s->consent, s->n_consent);
    free(s->consent_withdrawn);
    s->consent = NULL;
    s->n_consent = 0;
    s->consent_withdrawn = NULL;
    int32_t rc = cs_consent_evaluate(&s->consent, &s->n_consent, r, s->now);
    if (rc != CASESCRIBE_OK)
        return rc;
    if ((s->consent_withdrawn = calloc(r->n_sections ? r->n_sections : 1, sizeof(int))) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->n_sections; i++) {
        const cs_section *sec = &r->sections[i];
        if (!cs_origin_is_ai(sec->origin))
            continue;
        int external = !cs_engine_is_local(sec->engine);
        int refusing = cs_consent_first_refusal(s->consent, s->n_consent, external);
        if (refusing < 0)
            continue;
        if (only_withdrawn(s->consent, s->n_consent, external) && reviewed_before(r, sec, s->digests.sections[i])) {
            s->consent_withdrawn[i] = 1;
            continue;
        }
        return cs_fail(CASESCRIBE_ECONSENT,
                       "section '%s' was made by AI (%s%s) but the consent of subject '%s' does not cover it: %s",
                       sec->id, sec->engine, external ? ", an engine outside this machine" : "",
                       s->consent[refusing].subject, cs_consent_refusal_reason(&s->consent[refusing], external));
    }
    return CASESCRIBE_OK;
}

/* ---- 3. review gate ---------------------------------------------------- */

static int32_t step_review_gate(struct save *s)
{
    const cs_record *r = s->record;
    cs_buf drafts = {0};
    size_t n_drafts = 0;
    for (size_t i = 0; i < r->n_sections; i++) {
        const cs_section *sec = &r->sections[i];
        int any = sec->reviewed_by || sec->reviewed_at || sec->review;
        int all = sec->reviewed_by && sec->reviewed_at && sec->review;
        if (sec->origin == CS_ORIGIN_AI_REVIEWED && !all) {
            cs_buf_free(&drafts);
            return cs_fail(CASESCRIBE_EREVIEW,
                           "section '%s' is marked ai-reviewed without reviewed-by, reviewed-at and review: "
                           "a named person must record their review",
                           sec->id);
        }
        if (sec->origin == CS_ORIGIN_AI_DRAFT && any) {
            cs_buf_free(&drafts);
            return cs_fail(CASESCRIBE_EREVIEW, "section '%s' carries review attributes but is still ai-draft: "
                                               "set origin=\"ai-reviewed\"", sec->id);
        }
        if (sec->origin == CS_ORIGIN_AI_DRAFT) {
            n_drafts++;
            cs_buf_printf(&drafts, "%s'%s'", drafts.len ? ", " : "", sec->id);
        }
    }
    int32_t rc = CASESCRIBE_OK;
    /* Counted apart from the message, so that a failed allocation for the
     * message can never let a final save through. */
    if (r->final && n_drafts > 0)
        rc = drafts.failed ? cs_fail(CASESCRIBE_ENOMEM, "out of memory")
                           : cs_fail(CASESCRIBE_EREVIEW,
                                     "a final save cannot hold AI drafts nobody has reviewed: section%s %s",
                                     n_drafts > 1 ? "s" : "", drafts.data);
    cs_buf_free(&drafts);
    return rc;
}

/* ---- 4. stamp ---------------------------------------------------------- */

/* A fingerprint of every section that has enough words: what the
 * laundering check compares and what AI stamps keep. An OpenSSL failure is
 * an error, never "nothing to compare" (fail closed). */
static int32_t compute_fingerprints(struct save *s)
{
    const cs_record *r = s->record;
    size_t n = r->n_sections ? r->n_sections : 1;
    if ((s->prints = calloc(n, sizeof(*s->prints))) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->n_sections; i++) {
        const cs_section *sec = &r->sections[i];
        if (cs_fingerprint_compute(&s->prints[i], s->ctx->fp_secret, sec->text, sec->text_len) < 0)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory fingerprinting section '%s'", sec->id);
    }
    return CASESCRIBE_OK;
}

static int same_text(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Against the AI stamps of the version this save follows: an AI section's
 * text (by MAC, however short) must not come back in that section marked
 * human, nor under another engine or model; a human text must not copy any
 * stamped AI text (by fingerprint: short texts such as "None." are too
 * common to judge across sections). */
static int32_t check_against_previous(struct save *s, size_t i)
{
    const cs_section *sec = &s->record->sections[i];
    const cs_provenance *p = s->record->provenance;
    for (size_t j = 0; p != NULL && j < p->n_sections; j++) {
        const cs_section_stamp *st = &p->sections[j];
        if (!cs_origin_is_ai(st->origin))
            continue;
        const char *mac = st->text_mac != NULL && strcmp(st->id, sec->id) == 0 ? mac_of(s, i) : "";
        if (mac == NULL)
            return CASESCRIBE_ENOMEM;
        int same = mac[0] != '\0' && strcmp(st->text_mac, mac) == 0;
        if (same && !cs_origin_is_ai(sec->origin))
            return cs_fail(CASESCRIBE_ELAUNDER,
                           "section '%s' is marked as written by a person, but it holds the text of the AI-drafted "
                           "section '%s' of the previous version: save it as ai-reviewed",
                           sec->id, st->id);
        if (same && (!same_text(sec->engine, st->engine) || !same_text(sec->model, st->model)))
            return cs_fail(CASESCRIBE_ELAUNDER,
                           "section '%s' holds the text that %s%s%s wrote in section '%s' of the previous version, "
                           "but now names another engine or model: the engine that wrote a text cannot change",
                           sec->id, st->engine ? st->engine : "an AI engine", st->model ? " / " : "",
                           st->model ? st->model : "", st->id);
        cs_fingerprint fp;
        double score = 0;
        if (sec->origin == CS_ORIGIN_HUMAN && s->prints[i].count > 0 && st->fingerprint != NULL &&
            cs_fingerprint_decode(&fp, st->fingerprint) == 0 && cs_fingerprint_copies(&s->prints[i], &fp, &score))
            return cs_fail(CASESCRIBE_ELAUNDER,
                           "section '%s' is marked as written by a person, but its text matches the AI-drafted "
                           "section '%s' of the previous version (%.0f%% similar): save it as ai-reviewed",
                           sec->id, st->id, score * 100);
    }
    return CASESCRIBE_OK;
}

/* Against the AI sections of this same payload: a human section must not
 * be a copy of (or hold) the AI text beside it. */
static int32_t check_against_payload(struct save *s, size_t i)
{
    const cs_record *r = s->record;
    for (size_t j = 0; j < r->n_sections; j++) {
        if (!cs_origin_is_ai(r->sections[j].origin))
            continue;
        double score = 0;
        if (s->prints[i].count > 0 && cs_fingerprint_copies(&s->prints[i], &s->prints[j], &score))
            return cs_fail(CASESCRIBE_ELAUNDER,
                           "section '%s' is marked as written by a person, but its text matches the AI-drafted "
                           "section '%s' of the same form (%.0f%% similar): save it as ai-reviewed",
                           r->sections[i].id, r->sections[j].id, score * 100);
    }
    return CASESCRIBE_OK;
}

/* AI text must not come back marked as a person's own, nor under another
 * engine: compare every section with the AI stamps of the incoming
 * provenance, every human section with the AI sections beside it, and
 * with every AI section ever saved on this home (the index, which also
 * catches a copy whose provenance was stripped). */
static int32_t check_laundering(struct save *s)
{
    const cs_record *r = s->record;
    for (size_t i = 0; i < r->n_sections; i++) {
        int32_t rc = check_against_previous(s, i);
        if (rc == CASESCRIBE_OK && r->sections[i].origin == CS_ORIGIN_HUMAN)
            rc = check_against_payload(s, i);
        if (rc != CASESCRIBE_OK)
            return rc;
        if (r->sections[i].origin != CS_ORIGIN_HUMAN || s->prints[i].count == 0)
            continue;
        double similarity = 0;
        const cs_ai_print *hit = cs_index_match(s->ctx->index, &s->prints[i], &similarity);
        if (hit != NULL)
            return cs_fail(CASESCRIBE_ELAUNDER,
                           "section '%s' is marked as written by a person, but its text matches AI-drafted text "
                           "(record %s, section '%s', version %u; %.0f%% similar): save it as ai-reviewed with "
                           "reviewed-by, reviewed-at and review",
                           r->sections[i].id, hit->record, hit->section, (unsigned)hit->version, similarity * 100);
    }
    return CASESCRIBE_OK;
}

/* A save the home has already journalled, sent again: it follows the
 * version before the latest, its content digest and actor are the latest
 * version's, and so is the version it follows. Ed25519 signatures are
 * deterministic, so stamping it again with that version's time and key
 * gives the very bytes the host lost; sign() checks they match. */
static const cs_index_head *repeated_save(const struct save *s, const char *follows)
{
    const cs_provenance *p = s->record->provenance;
    const cs_index_head *h = cs_index_head_of(s->ctx->index, s->record->id);
    uint32_t follows_version = p != NULL ? p->version : 0; /* an unstamped form "follows" version 0 */
    if (h == NULL || follows_version + 1 != h->version || strcmp(follows, h->previous) != 0 ||
        strcmp(s->digests.form, h->form) != 0 || strcmp(s->actor->user_id, h->actor) != 0)
        return NULL;
    return h;
}

/* Version and previous digest: the incoming provenance must be genuine and,
 * when this home knows the record, must be its latest version (or the one
 * before, when the save is a repeat of the latest). */
static int32_t chain(struct save *s, uint32_t *version, char previous[CS_DIGEST_LEN])
{
    const cs_record *r = s->record;
    const cs_provenance *p = r->provenance;
    const char *head = NULL;
    uint32_t latest = cs_index_latest(s->ctx->index, r->id, &head);
    previous[0] = '\0';
    if (p == NULL) {
        *version = 1;
        if (latest > 0 && (s->retry_of = repeated_save(s, "")) != NULL)
            return CASESCRIBE_OK;
        if (latest > 0)
            return cs_fail(CASESCRIBE_ECONFLICT,
                           "record %s already has %u stamped version(s) on this home, but this payload carries no "
                           "provenance: send the latest stamped copy back with your changes",
                           r->id, (unsigned)latest);
        return CASESCRIBE_OK;
    }
    if (strcmp(p->record, r->id) != 0)
        return cs_fail(CASESCRIBE_EVERIFY, "the provenance belongs to record %s, not %s", p->record, r->id);
    EVP_PKEY *pub = NULL;
    int32_t rc = cs_keyring_public(s->ctx->keys, p->key_id, &pub);
    if (rc == CASESCRIBE_OK)
        rc = cs_stamp_check_signature(p, pub, previous);
    EVP_PKEY_free(pub);
    if (rc != CASESCRIBE_OK)
        return rc;
    if (latest > 0 && (p->version != latest || strcmp(previous, head) != 0) &&
        (s->retry_of = repeated_save(s, previous)) != NULL) {
        *version = latest;
        return CASESCRIBE_OK;
    }
    if (latest > 0 && (p->version != latest || strcmp(previous, head) != 0))
        return cs_fail(CASESCRIBE_ECONFLICT,
                       "record %s is at version %u on this home, but this copy follows version %u: reload the "
                       "record and apply the changes again",
                       r->id, (unsigned)latest, (unsigned)p->version);
    if (p->version == UINT32_MAX)
        return cs_fail(CASESCRIBE_ECONFLICT, "record %s has reached the last version number", r->id);
    *version = p->version + 1;
    return CASESCRIBE_OK;
}

static int dup_into(char **dst, const char *src)
{
    *dst = NULL;
    return src != NULL && (*dst = cs_strdup(src)) == NULL ? -1 : 0;
}

static int32_t fill_section_stamp(cs_section_stamp *st, const cs_section *sec, const char *digest,
                                  const cs_fingerprint *fp, const char *mac, int withdrawn)
{
    st->origin = sec->origin;
    st->consent_withdrawn = withdrawn;
    if (dup_into(&st->id, sec->id) | dup_into(&st->engine, sec->engine) | dup_into(&st->model, sec->model) |
        dup_into(&st->engine_version, sec->engine_version) | dup_into(&st->engine_settings, sec->engine_settings) |
        dup_into(&st->reviewed_by, sec->reviewed_by) | dup_into(&st->reviewed_at, sec->reviewed_at) |
        dup_into(&st->review, sec->review) | dup_into(&st->digest, digest))
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (cs_origin_is_ai(sec->origin) && fp->count > 0 && cs_fingerprint_encode(&st->fingerprint, fp) != 0)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (cs_origin_is_ai(sec->origin) && (mac == NULL || dup_into(&st->text_mac, mac) != 0))
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    return CASESCRIBE_OK;
}

static const char *policy_state_name(const cs_policy *p)
{
    return p->state == CS_POLICY_SIGNED ? "signed" : p->state == CS_POLICY_REFUSED ? "refused" : "defaults";
}

static int32_t build_provenance(struct save *s, uint32_t version, const char *previous, const char *key_id)
{
    const cs_record *r = s->record;
    const casescribe_actor *a = s->actor;
    char at[21], library[64];
    cs_format_time(at, s->now);
    snprintf(library, sizeof(library), "casescribe %s", casescribe_version());
    cs_provenance *p = s->stamp = calloc(1, sizeof(*p));
    if (p == NULL || (p->sections = calloc(r->n_sections ? r->n_sections : 1, sizeof(*p->sections))) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    p->version = version;
    if (dup_into(&p->record, r->id) | dup_into(&p->previous, previous[0] ? previous : NULL) | dup_into(&p->at, at) |
        dup_into(&p->library, library) | dup_into(&p->key_id, key_id) | dup_into(&p->actor_id, a->user_id) |
        dup_into(&p->actor_team, a->team ? a->team : r->team) |
        dup_into(&p->actor_role, a->role ? a->role : "unspecified") | dup_into(&p->form_digest, s->digests.form) |
        dup_into(&p->subjects_digest, s->digests.subjects) | dup_into(&p->consents_digest, s->digests.consents) |
        dup_into(&p->policy_team, s->policy->team) | dup_into(&p->policy_state, policy_state_name(s->policy)) |
        dup_into(&p->policy_digest, s->policy->digest[0] ? s->policy->digest : NULL))
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    p->policy_version = s->policy->version;
    for (size_t i = 0; i < r->n_sections; i++, p->n_sections++) {
        int32_t rc = fill_section_stamp(&p->sections[i], &r->sections[i], s->digests.sections[i], &s->prints[i],
                                        cs_origin_is_ai(r->sections[i].origin) ? mac_of(s, i) : NULL,
                                        s->consent_withdrawn[i]);
        if (rc != CASESCRIBE_OK) {
            p->n_sections++;
            return rc;
        }
    }
    /* The consent state moves into the provenance. */
    p->consents = s->consent;
    p->n_consents = s->n_consent;
    s->consent = NULL;
    s->n_consent = 0;
    return CASESCRIBE_OK;
}

static int32_t stale_copy(const struct save *s)
{
    const cs_index_head *h = s->retry_of;
    return cs_fail(CASESCRIBE_ECONFLICT,
                   "record %s is at version %u on this home, but this copy follows version %u: reload the record "
                   "and apply the changes again",
                   s->record->id, (unsigned)h->version, (unsigned)(h->version - 1));
}

static int32_t sign(struct save *s, uint32_t version, const char *previous)
{
    EVP_PKEY *key = NULL;
    char key_id[CS_KEY_ID_MAX];
    int32_t rc = cs_keyring_signer(s->ctx->keys, &key, key_id);
    if (rc == CASESCRIBE_OK && s->retry_of != NULL && strcmp(key_id, s->retry_of->key) != 0)
        rc = stale_copy(s); /* the key was rotated since: that stamp cannot be remade */
    if (rc == CASESCRIBE_OK)
        rc = build_provenance(s, version, previous, key_id);
    if (rc == CASESCRIBE_OK)
        rc = cs_stamp_sign(s->stamp, key, s->record_digest);
    if (rc == CASESCRIBE_OK && s->retry_of != NULL && strcmp(s->record_digest, s->retry_of->digest) != 0)
        rc = stale_copy(s); /* same content, but not the same save (another role, team or library) */
    EVP_PKEY_free(key);
    return rc;
}

/* A repeated save is stamped as it was then: at that time, under the
 * consent in force then. */
static int32_t prepare_repeat(struct save *s, char previous[CS_DIGEST_LEN])
{
    int64_t then = 0;
    if (cs_parse_time(&then, s->retry_of->time) != 0)
        return stale_copy(s);
    s->now = then;
    snprintf(previous, CS_DIGEST_LEN, "%s", s->retry_of->previous);
    return step_consent(s);
}

/* ---- 6. encode (prepared before 5 commits) ----------------------------- */

static int32_t step_encode(struct save *s)
{
    /* The record carries its new stamp from now on. */
    cs_provenance_free(s->record->provenance);
    s->record->provenance = s->stamp;
    s->stamp = NULL;
    return cs_adapter_encode_with(&s->out, &s->out_len, s->adapter, s->ctx, s->record, s->payload, s->payload_len);
}

/* ---- 5. journal -------------------------------------------------------- */

/* The journal entry holds ids, digests and fingerprints: no text, no names. */
static json_t *journal_entry(const cs_provenance *p, const char *record_digest)
{
    json_t *ai = json_array();
    json_t *e = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "kind", "save", "record", p->record,
                          "version", (json_int_t)p->version, "digest", record_digest, "form", p->form_digest,
                          "actor", p->actor_id, "team", p->actor_team, "time", p->at, "key", p->key_id);
    for (size_t i = 0; ai != NULL && e != NULL && i < p->n_sections; i++) {
        if (p->sections[i].fingerprint == NULL)
            continue;
        json_t *item = json_pack("{s:s, s:s}", "section", p->sections[i].id, "fp", p->sections[i].fingerprint);
        if (item == NULL || json_array_append_new(ai, item) != 0) {
            json_decref(ai);
            ai = NULL;
        }
    }
    if (e == NULL) {
        json_decref(ai);
        return NULL;
    }
    if (p->previous != NULL && json_object_set_new(e, "previous", json_string(p->previous)) != 0) {
        json_decref(ai);
        json_decref(e);
        return NULL;
    }
    /* json_object_set_new takes ai, even when it fails. */
    if (ai == NULL || json_object_set_new(e, "ai", ai) != 0) {
        json_decref(e);
        return NULL;
    }
    return e;
}

static int32_t step_journal(struct save *s)
{
    json_t *entry = journal_entry(s->record->provenance, s->record_digest);
    if (entry == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    int32_t rc = cs_journal_append_locked(s->ctx->journal, entry, NULL, NULL);
    /* The save is durable now. If the index cannot take the entry, the save
     * still stands; the index is rebuilt from the journal before next use. */
    if (rc == CASESCRIBE_OK)
        cs_ctx_index_visit(entry, s->ctx);
    json_decref(entry);
    return rc;
}

/* Steps 4 and 5 run under the journal lock, so that the version chain, the
 * laundering index and the journal agree across threads and processes. */
static int32_t stamp_and_journal(struct save *s)
{
    int32_t rc = compute_fingerprints(s);
    if (rc != CASESCRIBE_OK)
        return rc;
    if (cs_journal_failed(s->ctx->journal))
        return cs_fail(CASESCRIBE_EJOURNAL, "the journal is damaged or a write failed; saves are refused until "
                                            "it is repaired (run `casescribe journal verify`)");
    rc = cs_journal_lock(s->ctx->journal, cs_ctx_index_visit, s->ctx);
    if (rc != CASESCRIBE_OK)
        return rc;
    uint32_t version = 0;
    char previous[CS_DIGEST_LEN];
    rc = cs_ctx_refresh_index(s->ctx);
    if (rc == CASESCRIBE_OK)
        rc = check_laundering(s);
    if (rc == CASESCRIBE_OK)
        rc = chain(s, &version, previous);
    if (rc == CASESCRIBE_OK && s->retry_of != NULL)
        rc = prepare_repeat(s, previous);
    if (rc == CASESCRIBE_OK)
        rc = sign(s, version, previous);
    if (rc == CASESCRIBE_OK)
        rc = step_encode(s);
    if (rc == CASESCRIBE_OK && s->retry_of == NULL)
        rc = step_journal(s);
    cs_journal_unlock(s->ctx->journal);
    return rc;
}

/* ---- the pipeline ------------------------------------------------------ */

int32_t casescribe_save(uint8_t **out, size_t *out_len, casescribe_ctx *ctx, const char *adapter,
                        const casescribe_actor *actor, const uint8_t *payload, size_t payload_len)
{
    /* Outputs are cleared first, so that a caller that ignores the status
     * never frees or reads a stale pointer. */
    if (out != NULL)
        *out = NULL;
    if (out_len != NULL)
        *out_len = 0;
    int32_t rc = check_arguments(out, out_len, ctx, actor);
    if (rc != CASESCRIBE_OK)
        return rc;
    cs_clear_error();
    struct save s = {.ctx = ctx, .actor = actor, .now = cs_now()};
    rc = step_decode(&s, adapter, payload, payload_len);
    if (rc == CASESCRIBE_OK)
        rc = step_policy(&s);
    if (rc == CASESCRIBE_OK)
        rc = step_consent(&s);
    if (rc == CASESCRIBE_OK)
        rc = step_review_gate(&s);
    if (rc == CASESCRIBE_OK)
        rc = stamp_and_journal(&s);
    if (rc == CASESCRIBE_OK) {
        *out = s.out;
        *out_len = s.out_len;
        s.out = NULL;
    }
    save_free(&s);
    return rc;
}
