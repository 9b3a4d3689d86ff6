/* SPDX-License-Identifier: Apache-2.0 */
/* save.c - the save pipeline, in the one order a reader should find it:
 *
 *   1. decode      the adapter turns the payload into the record model
 *   1b. policy     the team's policy must have on the AI features the sections use
 *   2. consent     every AI section must be covered by every subject's consent
 *   3. review gate a final save holds no unreviewed AI text; reviews are complete
 *   4. stamp       in a write transaction of the store: laundering check
 *                  against its index, chain to the record's head, digests,
 *                  Ed25519 signature
 *   5. journal     append the ledger entry and its index rows, and commit
 *                  (durable): the commit point, then the save is acknowledged
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

#include <openssl/crypto.h>

#include "adapter.h"
#include "consent/consent.h"
#include "consent/evaluate.h"
#include "context.h"
#include "fill/template.h"
#include "internal.h"
#include "provenance/stamp.h"
#include "record/form_xml.h"

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
    cs_fingerprint *prints1;  /* per human section: its print in the old scheme mh1 */
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
    const cs_store_head *retry_of;
    cs_store_txn *tx;         /* the write transaction of steps 4 and 5 */
    cs_store_head head;       /* the record's head in the ledger, read in tx */
    int have_head;
    uint64_t ledger_seq;      /* the ledger entry this save makes (a repeat: made) */
    char ledger_prev[CS_STORE_HASH_LEN]; /* the hash of the entry before it */
    /* Two-phase mode: the unconfirmed versions this save supersedes (an
     * "abandoned" entry is journalled before its own), 0 when none. */
    uint32_t abandon_first, abandon_last;
    int32_t store_failed;     /* why a commonness weight could not be read (fail closed), else 0 */
    /* The laundering search ran before the save queued (a shared store):
     * the ledger's size and latest AI print it saw; `again` while it looks
     * once more, at the prints filed after that one. */
    int searched_early, again;
    uint64_t seen_size;
    int64_t seen_print;
    int signature_checked;    /* the incoming provenance's signature, checked before the lock: */
    int32_t signature_rc;     /* its result, and the digest of the version it stamped */
    char signed_digest[CS_DIGEST_LEN];
    char *signature_error;    /* its message when it failed (re-raised by chain()) */
    cs_policy *policy;        /* the team's policy, as read at the start of this save */
    cs_policy *actor_policy;  /* the actor's team's, when another team than the form's */
    /* Per section: the engine history (earlier engines, drafted-at) the
     * new stamp carries forward, made under the lock (see lineage()). */
    cs_section_stamp *lineage;
};

static void save_free(struct save *s)
{
    for (size_t i = 0; s->lineage != NULL && i < s->record->n_sections; i++)
        cs_section_stamp_history_free(&s->lineage[i]);
    free(s->lineage);
    free(s->signature_error);
    cs_record_free(s->record);
    cs_digests_free(&s->digests);
    cs_consent_stamps_free(s->consent, s->n_consent);
    free(s->consent_withdrawn);
    free(s->prints);
    free(s->prints1);
    free(s->macs);
    cs_policy_free(s->policy);
    cs_policy_free(s->actor_policy);
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
     * its parent, and so are the store's connections. */
    if (cs_ctx_elsewhere(ctx))
        return CASESCRIBE_EINVAL;
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

static int same_value(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
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
        rc = cs_adapter_decode_home(&s->record, s->adapter, s->ctx, payload, len);
    if (rc == CASESCRIBE_OK)
        cs_form_received_free(s->record); /* the save changes the record: only verify reads what came in */
    s->payload = payload;
    s->payload_len = len;
    for (size_t i = 0; rc == CASESCRIBE_OK && i < s->record->n_sections; i++)
        rc = check_origin_attributes(&s->record->sections[i]);
    if (rc == CASESCRIBE_OK)
        rc = cs_digests_compute_keep(&s->digests, s->record); /* kept: the stamp and encode render from it */
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

/* Section i's MAC in the scheme of a stamp's MAC `like` (tm1 or tm2): into
 * tmp for tm1, which stamps made before tm2 carry. NULL after a failure. */
static const char *mac_like(struct save *s, size_t i, const char *like, char tmp[CS_TEXT_MAC_LEN])
{
    const cs_section *sec = &s->record->sections[i];
    if (strncmp(like, "tm1:", 4) != 0)
        return mac_of(s, i);
    if (cs_text_mac_tm1(tmp, s->ctx->fp_secret, sec->text, sec->text_len) == 0)
        return tmp;
    cs_fail(CASESCRIBE_ENOMEM, "out of memory fingerprinting section '%s'", sec->id);
    return NULL;
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
        char tmp[CS_TEXT_MAC_LEN];
        const char *mac = mac_like(s, at, st->text_mac, tmp);
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

/* The AI features section `sec` uses that `pol` has switched off. */
static uint32_t missing_features(const cs_policy *pol, const cs_section *sec)
{
    uint32_t missing = (pol->features & CS_FEATURE_AI_DRAFT) ? 0 : CS_FEATURE_AI_DRAFT;
    if (!cs_engine_is_local(sec->engine) && !(pol->features & CS_FEATURE_EXTERNAL_AI))
        missing |= CS_FEATURE_EXTERNAL_AI;
    return missing;
}

static int32_t refuse_section(const cs_section *sec, const cs_policy *pol, uint32_t missing, int actors)
{
    return cs_fail(CASESCRIBE_EPOLICY,
                   "section '%s' was made by AI (%s) but team %s's policy%s has '%s' switched off%s%s: save the "
                   "record without that section, or ask an admin to switch the feature on",
                   sec->id, sec->engine, pol->team, actors ? " (the team of the worker saving)" : "",
                   cs_policy_feature_name((missing & CS_FEATURE_AI_DRAFT) ? CS_FEATURE_AI_DRAFT
                                                                           : CS_FEATURE_EXTERNAL_AI),
                   pol->state == CS_POLICY_REFUSED ? "; its policy file was not used: " : "",
                   pol->state == CS_POLICY_REFUSED ? pol->problem : "");
}

/* Every AI feature a section uses must be on in the policy of the form's
 * team and, when the worker saving belongs to another team, in that
 * team's too: a worker whose team has AI off cannot bring AI text in
 * through a form of a team that has it on. */
static int32_t step_policy(struct save *s)
{
    const cs_record *r = s->record;
    const char *actor_team = s->actor->team;
    int32_t rc = cs_ctx_policy(s->ctx, r->team, &s->policy);
    if (rc == CASESCRIBE_OK && actor_team != NULL && strcmp(actor_team, r->team) != 0)
        rc = cs_ctx_policy(s->ctx, actor_team, &s->actor_policy);
    if (rc == CASESCRIBE_OK)
        rc = never_rule(s);
    for (size_t i = 0; rc == CASESCRIBE_OK && i < r->n_sections; i++) {
        const cs_section *sec = &r->sections[i];
        if (!cs_origin_is_ai(sec->origin))
            continue;
        const cs_policy *pol = s->policy;
        uint32_t missing = missing_features(pol, sec);
        if (missing == 0 && s->actor_policy != NULL)
            missing = missing_features(pol = s->actor_policy, sec);
        int kept = 0;
        if (missing == 0 || (rc = already_stamped(&kept, s, i)) != CASESCRIBE_OK || kept)
            continue;
        rc = refuse_section(sec, pol, missing, pol == s->actor_policy);
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

/* What a version carries of the consent history of the version it
 * follows: every consent entry unchanged (digest-compared against the
 * previous stamp's consent stamps; a withdrawal may be added to an entry),
 * every withdrawal, and every subject while the record holds AI text.
 * The previous provenance is only a claim here; a forged one is refused
 * by chain() before anything is stamped. */
struct entry_digests {
    char (*full)[CS_DIGEST_LEN]; /* each consent entry of the form as written */
    char (*bare)[CS_DIGEST_LEN]; /* and without its withdrawn-at */
};

static int32_t digest_entries(struct entry_digests *d, const cs_record *r, const cs_digests *all)
{
    size_t n = r->n_consents ? r->n_consents : 1;
    d->full = calloc(n, sizeof(*d->full));
    d->bare = calloc(n, sizeof(*d->bare));
    if (d->full == NULL || d->bare == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    int32_t rc = CASESCRIBE_OK;
    /* Without a withdrawn-at, an entry is its bare self. */
    for (size_t i = 0; rc == CASESCRIBE_OK && i < r->n_consents; i++) {
        memcpy(d->full[i], all->entries[i], CS_DIGEST_LEN);
        if (r->consents[i].withdrawn_at == NULL)
            memcpy(d->bare[i], all->entries[i], CS_DIGEST_LEN);
        else
            rc = cs_consent_entry_digest(d->bare[i], &r->consents[i], 1);
    }
    return rc;
}

static int digest_is(const char *digest, const char *item, size_t len)
{
    return strlen(digest) == len && memcmp(digest, item, len) == 0;
}

/* The previous version's entry `item` (len bytes of its entries list) is on
 * this form, as it was or with a withdrawal added. */
static int entry_carried(const cs_record *r, const struct entry_digests *d, const char *subject, const char *item,
                         size_t len)
{
    for (size_t i = 0; i < r->n_consents; i++)
        if (strcmp(r->consents[i].subject, subject) == 0 &&
            (digest_is(d->full[i], item, len) ||
             (r->consents[i].withdrawn_at != NULL && digest_is(d->bare[i], item, len))))
            return 1;
    return 0;
}

static int withdrawal_kept(const cs_record *r, const cs_consent_stamp *was)
{
    for (size_t i = 0; i < r->n_consents; i++)
        if (strcmp(r->consents[i].subject, was->subject) == 0 && r->consents[i].withdrawn_at != NULL &&
            strcmp(r->consents[i].withdrawn_at, was->withdrawn_at) == 0)
            return 1;
    return 0;
}

/* For stamps made before entry digests (1.6): the consent in force then. */
static int in_force_kept(const cs_record *r, const cs_consent_stamp *was)
{
    for (size_t i = 0; i < r->n_consents; i++) {
        const cs_consent *c = &r->consents[i];
        if (strcmp(c->subject, was->subject) == 0 && same_value(c->at, was->in_force) &&
            same_value(c->given_by, was->given_by) && same_value(c->capacity, was->capacity) &&
            same_value(c->scopes, was->scopes))
            return 1;
    }
    return 0;
}

static int32_t check_subject_history(const cs_record *r, const struct entry_digests *d, const cs_consent_stamp *was,
                                     uint32_t version)
{
    if (was->withdrawn_at != NULL && !withdrawal_kept(r, was))
        return cs_fail(CASESCRIBE_ECONSENT,
                       "subject '%s' withdrew consent at %s (version %u), but this version no longer carries that "
                       "withdrawal: it was removed or re-dated. A withdrawal stays in every later version",
                       was->subject, was->withdrawn_at, (unsigned)version);
    for (const char *item = was->entries; item != NULL && *item != '\0';) {
        size_t len = strcspn(item, " ");
        if (!entry_carried(r, d, was->subject, item, len))
            return cs_fail(CASESCRIBE_ECONSENT,
                           "a consent entry of subject '%s' in version %u was removed or changed: every consent "
                           "entry is carried into later versions unchanged (new entries, and a withdrawn-at on an "
                           "entry that had none, may be added)",
                           was->subject, (unsigned)version);
        item += len + (item[len] == ' ');
    }
    if (was->entries == NULL && was->in_force != NULL && !in_force_kept(r, was))
        return cs_fail(CASESCRIBE_ECONSENT,
                       "the consent of subject '%s' in force in version %u (given %s) was removed or changed",
                       was->subject, (unsigned)version, was->in_force);
    return CASESCRIBE_OK;
}

static int holds_ai(const cs_record *r)
{
    for (size_t i = 0; i < r->n_sections; i++)
        if (cs_origin_is_ai(r->sections[i].origin))
            return 1;
    return 0;
}

static int has_subject(const cs_record *r, const char *id)
{
    for (size_t i = 0; i < r->n_subjects; i++)
        if (strcmp(r->subjects[i].id, id) == 0)
            return 1;
    return 0;
}

static int32_t carry_consents(const struct save *s)
{
    const cs_record *r = s->record;
    const cs_provenance *p = r->provenance;
    if (p == NULL)
        return CASESCRIBE_OK;
    struct entry_digests d = {0};
    int32_t rc = digest_entries(&d, r, &s->digests);
    for (size_t i = 0; rc == CASESCRIBE_OK && i < p->n_consents; i++) {
        const cs_consent_stamp *was = &p->consents[i];
        if (has_subject(r, was->subject))
            rc = check_subject_history(r, &d, was, p->version);
        else if (holds_ai(r))
            rc = cs_fail(CASESCRIBE_ECONSENT,
                         "subject '%s' of version %u is missing from this version, which holds AI text: a person "
                         "the record is about cannot be removed from it while it holds AI text",
                         was->subject, (unsigned)p->version);
    }
    free(d.full);
    free(d.bare);
    return rc;
}

static int32_t step_consent(struct save *s)
{
    const cs_record *r = s->record;
    int32_t rc = carry_consents(s);
    if (rc != CASESCRIBE_OK)
        return rc;
    cs_consent_stamps_free(s->consent, s->n_consent);
    free(s->consent_withdrawn);
    s->consent = NULL;
    s->n_consent = 0;
    s->consent_withdrawn = NULL;
    rc = cs_consent_evaluate(&s->consent, &s->n_consent, r, s->now);
    if (rc == CASESCRIBE_OK)
        rc = cs_consent_stamp_entries(s->consent, s->n_consent, r, &s->digests);
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
    if ((s->prints = calloc(n, sizeof(*s->prints))) == NULL || (s->prints1 = calloc(n, sizeof(*s->prints1))) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->n_sections; i++) {
        const cs_section *sec = &r->sections[i];
        if (cs_fingerprint_compute(&s->prints[i], s->ctx->fp_secret, sec->text, sec->text_len) < 0 ||
            (sec->origin == CS_ORIGIN_HUMAN &&
             cs_fingerprint_compute_mh1(&s->prints1[i], s->ctx->fp_secret, sec->text, sec->text_len) < 0))
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory fingerprinting section '%s'", sec->id);
    }
    return CASESCRIBE_OK;
}

/* A human text's print against an AI print, weighted by commonness on
 * this home (cs_fingerprint_grade). */
static int grade_of(struct save *s, const cs_fingerprint *human, const cs_fingerprint *ai, double *score)
{
    int failed = 0;
    int grade = cs_store_grade_pair(s->tx, human, ai, score, &failed);
    if (failed != 0)
        s->store_failed = failed;
    return grade;
}

static const char *grade_verb(int grade)
{
    return grade == CS_FP_COPIED ? "matches" : "is substantially derived from";
}

static const char *grade_advice(int grade)
{
    return grade == CS_FP_COPIED ? "save it as ai-reviewed with reviewed-by, reviewed-at and review"
                                 : "text edited from an AI draft is saved as ai-reviewed with review=\"edited\", "
                                   "never as a person's own";
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
        char tmp[CS_TEXT_MAC_LEN];
        const char *mac = st->text_mac != NULL && strcmp(st->id, sec->id) == 0 ? mac_like(s, i, st->text_mac, tmp) : "";
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
        int grade = sec->origin == CS_ORIGIN_HUMAN && st->fingerprint != NULL &&
                            cs_fingerprint_decode(&fp, st->fingerprint) == 0
                        ? grade_of(s, fp.scheme == CS_FP_MH1 ? &s->prints1[i] : &s->prints[i], &fp, &score)
                        : CS_FP_UNRELATED;
        if (grade != CS_FP_UNRELATED)
            return cs_fail(CASESCRIBE_ELAUNDER,
                           "section '%s' is marked as written by a person, but its text %s the AI-drafted section "
                           "'%s' of the previous version (%.0f%% similar): %s",
                           sec->id, grade_verb(grade), st->id, score * 100, grade_advice(grade));
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
        int grade = grade_of(s, &s->prints[i], &s->prints[j], &score);
        if (grade != CS_FP_UNRELATED)
            return cs_fail(CASESCRIBE_ELAUNDER,
                           "section '%s' is marked as written by a person, but its text %s the AI-drafted section "
                           "'%s' of the same form (%.0f%% similar): %s",
                           r->sections[i].id, grade_verb(grade), r->sections[j].id, score * 100,
                           grade_advice(grade));
    }
    return CASESCRIBE_OK;
}

/* The team the actor saves for, as the stamp records it. */
static const char *actor_team(const struct save *s)
{
    return s->actor->team != NULL ? s->actor->team : s->record->team;
}

/* Against every AI text saved on this home (the index), in both schemes.
 * `what` names the text ("section 'x' is"). A record of another team is
 * not named: that would tell the worker it exists. */
static int32_t check_against_index(struct save *s, const char *what, const cs_fingerprint *fp,
                                   const cs_fingerprint *fp1)
{
    cs_store_hit hit, old;
    int64_t since = s->again ? s->seen_print : 0;
    int32_t rc = cs_store_grade_since(s->tx, fp, actor_team(s), since, &hit);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_grade_since(s->tx, fp1, actor_team(s), since, &old);
    if (rc != CASESCRIBE_OK)
        return rc;
    if (old.grade > hit.grade)
        hit = old;
    if (!hit.found || hit.grade == CS_FP_UNRELATED)
        return CASESCRIBE_OK;
    const cs_store_print *p = &hit.print;
    if (strcmp(p->team, actor_team(s)) != 0)
        return cs_fail(CASESCRIBE_ELAUNDER,
                       "%s marked as written by a person, but the text %s text drafted by AI in another record "
                       "(%.0f%% similar): %s",
                       what, grade_verb(hit.grade), hit.score * 100, grade_advice(hit.grade));
    return cs_fail(CASESCRIBE_ELAUNDER,
                   "%s marked as written by a person, but the text %s AI-drafted text (record %s, section '%s', "
                   "version %u; %.0f%% similar): %s",
                   what, grade_verb(hit.grade), p->record, p->section, (unsigned)p->version, hit.score * 100,
                   grade_advice(hit.grade));
}

/* A short AI text (CS_SHORT_MIN_WORDS to CS_FP_MIN_WORDS words) must not
 * come back as human text about the same person: not beside it in this form
 * (by MAC), nor in any section or record saved before (by token). */
static int32_t check_short(struct save *s, size_t i)
{
    const cs_record *r = s->record;
    const cs_section *sec = &r->sections[i];
    size_t words = cs_text_words(sec->text, sec->text_len, CS_FP_MIN_WORDS);
    if (words < CS_SHORT_MIN_WORDS || words >= CS_FP_MIN_WORDS)
        return CASESCRIBE_OK;
    const char *mac = mac_of(s, i);
    if (mac == NULL)
        return CASESCRIBE_ENOMEM;
    int seen = 0;
    for (size_t j = 0; !seen && j < r->n_sections; j++) {
        const char *other = cs_origin_is_ai(r->sections[j].origin) ? mac_of(s, j) : "";
        if (other == NULL)
            return CASESCRIBE_ENOMEM;
        seen = strcmp(other, mac) == 0;
    }
    for (size_t k = 0; !seen && k < r->n_subjects; k++) {
        uint64_t token = 0;
        if (cs_short_token(&token, s->ctx->fp_secret, r->subjects[k].id, mac) != 0)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory fingerprinting section '%s'", sec->id);
        if (cs_store_short_seen(s->tx, token, &seen) != CASESCRIBE_OK)
            return CASESCRIBE_EIO;
    }
    if (seen)
        return cs_fail(CASESCRIBE_ELAUNDER,
                       "section '%s' is marked as written by a person, but its text is a short text drafted by AI "
                       "about the same person: save it as ai-reviewed",
                       sec->id);
    return CASESCRIBE_OK;
}

/* The human sections taken together: an AI text split across several
 * short human sections is whole again here. */
static int32_t check_joined(struct save *s)
{
    const cs_record *r = s->record;
    cs_buf text = {0}, names = {0};
    size_t n = 0;
    for (size_t i = 0; i < r->n_sections; i++) {
        const cs_section *sec = &r->sections[i];
        if (sec->origin != CS_ORIGIN_HUMAN)
            continue;
        cs_buf_printf(&text, "%s%.*s", n ? "\n" : "", (int)sec->text_len, sec->text != NULL ? sec->text : "");
        cs_buf_printf(&names, "%s'%s'", n++ ? ", " : "", sec->id);
    }
    int32_t rc = CASESCRIBE_OK;
    cs_fingerprint fp = {0}, none = {0};
    if (text.failed || names.failed)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    else if (n >= 2 && cs_fingerprint_compute(&fp, s->ctx->fp_secret, text.data, text.len) < 0)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory fingerprinting the human sections");
    for (size_t j = 0; rc == CASESCRIBE_OK && n >= 2 && !s->again && j < r->n_sections; j++) {
        double score = 0;
        int grade = cs_origin_is_ai(r->sections[j].origin) ? grade_of(s, &fp, &s->prints[j], &score) : 0;
        if (grade != CS_FP_UNRELATED)
            rc = cs_fail(CASESCRIBE_ELAUNDER,
                         "sections %s are marked as written by a person, but taken together their text %s the "
                         "AI-drafted section '%s' of the same form (%.0f%% similar): %s",
                         names.data, grade_verb(grade), r->sections[j].id, score * 100, grade_advice(grade));
    }
    if (rc == CASESCRIBE_OK && n >= 2) {
        cs_buf what = {0};
        cs_buf_printf(&what, "sections %s, taken together, are", names.data);
        rc = what.failed ? cs_fail(CASESCRIBE_ENOMEM, "out of memory") : check_against_index(s, what.data, &fp, &none);
        cs_buf_free(&what);
    }
    OPENSSL_cleanse(text.data, text.len);
    cs_buf_free(&text);
    cs_buf_free(&names);
    return rc;
}

/* AI text must not come back marked as a person's own, nor under another
 * engine: compare every section with the AI stamps of the incoming
 * provenance, every human section with the AI sections beside it, and
 * with every AI section ever saved on this home (the index, which also
 * catches a copy whose provenance was stripped); short human texts with
 * the short AI texts about the same subjects; and the human sections
 * taken together (an AI text split into short sections). */
static int32_t check_laundering(struct save *s)
{
    const cs_record *r = s->record;
    for (size_t i = 0; i < r->n_sections; i++) {
        int32_t rc = s->again ? CASESCRIBE_OK : check_against_previous(s, i);
        if (rc == CASESCRIBE_OK && !s->again && r->sections[i].origin == CS_ORIGIN_HUMAN)
            rc = check_against_payload(s, i);
        if (rc != CASESCRIBE_OK)
            return rc;
        if (r->sections[i].origin != CS_ORIGIN_HUMAN)
            continue;
        rc = check_short(s, i);
        cs_buf what = {0};
        cs_buf_printf(&what, "section '%s' is", r->sections[i].id);
        if (rc == CASESCRIBE_OK)
            rc = what.failed ? cs_fail(CASESCRIBE_ENOMEM, "out of memory")
                             : check_against_index(s, what.data, &s->prints[i], &s->prints1[i]);
        cs_buf_free(&what);
        if (rc != CASESCRIBE_OK)
            return rc;
    }
    return check_joined(s);
}

/* A save the home has already journalled, sent again: it follows the
 * version before the latest, its content digest and actor are the latest
 * version's, and so is the version it follows. Ed25519 signatures are
 * deterministic, so stamping it again with that version's time and key
 * gives the very bytes the host lost; sign() checks they match. */
static int two_phase(const struct save *s)
{
    return (s->ctx->flags & CASESCRIBE_OPEN_TWO_PHASE) != 0;
}

static const cs_store_head *repeated_save(const struct save *s, const char *follows)
{
    const cs_provenance *p = s->record->provenance;
    const cs_store_head *h = s->have_head ? &s->head : NULL;
    uint32_t follows_version = p != NULL ? p->version : 0; /* an unstamped form "follows" version 0 */
    if (h == NULL || follows_version + 1 != h->version || strcmp(follows, h->previous) != 0 ||
        strcmp(s->digests.form, h->form) != 0 || strcmp(s->actor->user_id, h->actor) != 0)
        return NULL;
    return h;
}

/* Two-phase mode: a copy that follows the last confirmed version (kept: its
 * number and digest; 0 and "" for an unstamped form when none was ever
 * confirmed) while newer versions were never confirmed supersedes them. */
static int supersedes(const struct save *s, uint32_t kept, const char *kept_digest)
{
    const cs_store_head *h = &s->head;
    return two_phase(s) && s->have_head && h->version > h->confirmed && h->confirmed == kept &&
           strcmp(h->confirmed_digest, kept_digest) == 0;
}

/* The new version takes the next number: an abandoned number is never
 * used again, so no two versions of a record share one. */
static int32_t abandon(struct save *s, uint32_t *version)
{
    if (s->head.version == UINT32_MAX)
        return cs_fail(CASESCRIBE_ECONFLICT, "record %s has reached the last version number", s->record->id);
    s->abandon_first = s->head.confirmed + 1;
    s->abandon_last = s->head.version;
    *version = s->head.version + 1;
    return CASESCRIBE_OK;
}

/* A copy that does not follow the latest version: stale, or abandoned. */
static int32_t conflict(struct save *s, uint32_t follows)
{
    const cs_record *r = s->record;
    cs_store_abandon a;
    int found = 0;
    if (cs_store_abandoned(s->tx, r->id, follows, &a, &found) == CASESCRIBE_OK && found)
        return cs_fail(CASESCRIBE_ECONFLICT,
                       "record %s: this copy follows version %u, which was abandoned (stamped, never confirmed by "
                       "the host, and superseded: ledger entry %llu); the record is at version %u: reload it and "
                       "apply the changes again",
                       r->id, (unsigned)follows, (unsigned long long)a.seq, (unsigned)s->head.version);
    return cs_fail(CASESCRIBE_ECONFLICT,
                   "record %s is at version %u on this home, but this copy follows version %u: reload the "
                   "record and apply the changes again",
                   r->id, (unsigned)s->head.version, (unsigned)follows);
}

/* The signature of the incoming provenance (and the digest of the version
 * it stamped): it needs no store, so it is checked before the write lock. */
static int32_t check_incoming(struct save *s)
{
    const cs_provenance *p = s->record->provenance;
    EVP_PKEY *pub = NULL;
    s->signed_digest[0] = '\0';
    s->signature_checked = 1;
    s->signature_rc = cs_keyring_public(s->ctx->keys, p->key_id, &pub);
    if (s->signature_rc == CASESCRIBE_OK)
        s->signature_rc = cs_stamp_check_signature(p, pub, s->signed_digest);
    EVP_PKEY_free(pub);
    if (s->signature_rc != CASESCRIBE_OK)
        s->signature_error = cs_strdup(casescribe_last_error());
    return s->signature_rc;
}

/* Version and previous digest: the incoming provenance must be genuine and,
 * when this home knows the record, must be its latest version (or the one
 * before, when the save is a repeat of the latest; or, in two-phase mode,
 * the last confirmed version, superseding the unconfirmed ones). */
static int32_t chain(struct save *s, uint32_t *version, char previous[CS_DIGEST_LEN])
{
    const cs_record *r = s->record;
    const cs_provenance *p = r->provenance;
    const char *head = s->head.digest;
    uint32_t latest = s->have_head ? s->head.version : 0;
    previous[0] = '\0';
    if (p == NULL) {
        *version = 1;
        if (latest > 0 && supersedes(s, 0, ""))
            return abandon(s, version);
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
    int32_t rc = s->signature_checked ? s->signature_rc : check_incoming(s);
    if (rc != CASESCRIBE_OK && s->signature_error != NULL)
        return cs_fail(rc, "%s", s->signature_error);
    if (rc != CASESCRIBE_OK)
        return rc;
    memcpy(previous, s->signed_digest, CS_DIGEST_LEN);
    /* Before the repeat rule: a save sent again while its version is
     * unconfirmed supersedes it too (its bytes never reached the host). */
    if (latest > 0 && (p->version != latest || strcmp(previous, head) != 0) && supersedes(s, p->version, previous))
        return abandon(s, version);
    if (latest > 0 && (p->version != latest || strcmp(previous, head) != 0) &&
        (s->retry_of = repeated_save(s, previous)) != NULL) {
        *version = latest;
        return CASESCRIBE_OK;
    }
    if (latest > 0 && (p->version != latest || strcmp(previous, head) != 0))
        return conflict(s, p->version);
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

/* ---- engine history and review times (under the lock: chain() has
 * checked that the previous provenance is genuine) ---------------------- */

/* Whether section i's text comes from the AI text stamped as `st` in the
 * version this save follows, by the laundering rule: the same text MAC in
 * the same section, or fingerprints the laundering grade finds copied or
 * derived (heavily edited) from it. A text in the same
 * section too short to fingerprint cannot be told apart, so it counts. The
 * one place engine history applies that rule. */
static int32_t descends_from(int *yes, struct save *s, size_t i, const cs_section_stamp *st)
{
    const cs_section *sec = &s->record->sections[i];
    int same_id = strcmp(sec->id, st->id) == 0;
    int too_short = s->prints[i].count == 0 || st->fingerprint == NULL;
    *yes = 0;
    if (!cs_origin_is_ai(st->origin))
        return CASESCRIBE_OK;
    const char *mac = same_id && st->text_mac != NULL ? mac_of(s, i) : "";
    if (mac == NULL)
        return CASESCRIBE_ENOMEM;
    cs_fingerprint fp;
    double score = 0;
    *yes = (mac[0] != '\0' && strcmp(mac, st->text_mac) == 0) || (same_id && too_short) ||
           (!too_short && cs_fingerprint_decode(&fp, st->fingerprint) == 0 &&
            grade_of(s, &s->prints[i], &fp, &score) != CS_FP_UNRELATED);
    return CASESCRIBE_OK;
}

/* Adds an engine that drafted the text before, unless it is the section's
 * own or already listed. */
static int32_t add_engine(cs_section_stamp *l, const cs_section *sec, const char *engine, const char *model)
{
    if (engine == NULL || (same_value(engine, sec->engine) && same_value(model, sec->model)))
        return CASESCRIBE_OK;
    for (size_t k = 0; k < l->n_earlier; k++)
        if (same_value(engine, l->earlier[k].engine) && same_value(model, l->earlier[k].model))
            return CASESCRIBE_OK;
    if (l->n_earlier == CS_MAX_EARLIER_ENGINES)
        return cs_fail(CASESCRIBE_ETOOBIG, "section '%s' has been drafted by more than %d AI engines: the stamp "
                                           "cannot list them all", sec->id, CS_MAX_EARLIER_ENGINES + 1);
    if (l->earlier == NULL && (l->earlier = calloc(CS_MAX_EARLIER_ENGINES, sizeof(*l->earlier))) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    cs_engine_use *e = &l->earlier[l->n_earlier];
    if ((e->engine = cs_strdup(engine)) == NULL || (model != NULL && (e->model = cs_strdup(model)) == NULL)) {
        free(e->engine);
        e->engine = NULL;
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    }
    l->n_earlier++;
    return CASESCRIBE_OK;
}

/* Takes over the engines of `st` and its first appearance, the earliest of
 * all it descends from (a stamp made before 1.6 holds no drafted-at: the
 * time of the version that held it stands for it). */
static int32_t inherit(cs_section_stamp *l, const cs_section *sec, const cs_section_stamp *st, const char *then)
{
    int32_t rc = add_engine(l, sec, st->engine, st->model);
    for (size_t k = 0; rc == CASESCRIBE_OK && k < st->n_earlier; k++)
        rc = add_engine(l, sec, st->earlier[k].engine, st->earlier[k].model);
    const char *from = st->drafted_at != NULL ? st->drafted_at : then;
    int64_t a = 0, b = 0;
    if (rc != CASESCRIBE_OK || from == NULL || cs_parse_time(&a, from) != 0 ||
        (l->drafted_at != NULL && cs_parse_time(&b, l->drafted_at) == 0 && b <= a))
        return rc;
    free(l->drafted_at);
    if ((l->drafted_at = cs_strdup(from)) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    return CASESCRIBE_OK;
}

/* The history of AI section i: what it inherits from the previous version,
 * or, for text new in this version, drafted now. *found: it inherits. */
static int32_t section_lineage(struct save *s, size_t i, int *found)
{
    const cs_section *sec = &s->record->sections[i];
    const cs_provenance *p = s->record->provenance;
    cs_section_stamp *l = &s->lineage[i];
    *found = 0;
    for (size_t j = 0; p != NULL && j < p->n_sections; j++) {
        int yes = 0;
        int32_t rc = descends_from(&yes, s, i, &p->sections[j]);
        if (rc == CASESCRIBE_OK && yes) {
            *found = 1;
            rc = inherit(l, sec, &p->sections[j], p->at);
        }
        if (rc != CASESCRIBE_OK)
            return rc;
    }
    char at[21];
    cs_format_time(at, s->now);
    if (l->drafted_at == NULL && (l->drafted_at = cs_strdup(at)) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    return CASESCRIBE_OK;
}

/* The review the previous version stamped for this section, unchanged:
 * it was checked when it was stamped. */
static int review_already_stamped(const cs_record *r, const cs_section *sec)
{
    const cs_provenance *p = r->provenance;
    for (size_t i = 0; p != NULL && i < p->n_sections; i++)
        if (strcmp(p->sections[i].id, sec->id) == 0)
            return p->sections[i].origin == CS_ORIGIN_AI_REVIEWED &&
                   same_value(p->sections[i].reviewed_by, sec->reviewed_by) &&
                   same_value(p->sections[i].reviewed_at, sec->reviewed_at) &&
                   same_value(p->sections[i].review, sec->review);
    return 0;
}

/* The latest time a subject's consent in force was given: no AI draft
 * covered by all of them can be older. NULL when none is recorded. */
static const char *consent_given(const struct save *s)
{
    const char *latest = NULL;
    int64_t best = 0, t = 0;
    for (size_t i = 0; i < s->n_consent; i++)
        if (s->consent[i].in_force != NULL && cs_parse_time(&t, s->consent[i].in_force) == 0 &&
            (latest == NULL || t > best)) {
            latest = s->consent[i].in_force;
            best = t;
        }
    return latest;
}

/* A review this version records must lie after the draft it checks first
 * appeared in the chain (for text new in this version: after the consent in
 * force), and no later than this save plus CASESCRIBE_REVIEW_CLOCK_SKEW. */
static int32_t check_review_time(const struct save *s, size_t i, int found)
{
    const cs_section *sec = &s->record->sections[i];
    int64_t at = 0, from = 0;
    if (sec->origin != CS_ORIGIN_AI_REVIEWED || review_already_stamped(s->record, sec))
        return CASESCRIBE_OK;
    if (cs_parse_time(&at, sec->reviewed_at) != 0)
        return cs_fail(CASESCRIBE_EREVIEW, "section '%s': reviewed-at is not a valid time", sec->id);
    if (at > s->now + (int64_t)CASESCRIBE_REVIEW_CLOCK_SKEW)
        return cs_fail(CASESCRIBE_EREVIEW,
                       "section '%s' claims a review at %s, later than this save (a review is recorded after it "
                       "happens; clocks may differ by %u seconds at most)",
                       sec->id, sec->reviewed_at, (unsigned)CASESCRIBE_REVIEW_CLOCK_SKEW);
    const char *bound = found ? s->lineage[i].drafted_at : consent_given(s);
    if (bound != NULL && cs_parse_time(&from, bound) == 0 && at < from)
        return cs_fail(CASESCRIBE_EREVIEW,
                       "section '%s' claims a review at %s, before %s (%s): a review comes after the draft it checks",
                       sec->id, sec->reviewed_at,
                       found ? "its AI draft first appeared in the record" : "the consent that allowed the draft",
                       bound);
    return CASESCRIBE_OK;
}

/* Every AI section's engine history and review time, before it is stamped. */
static int32_t lineage(struct save *s)
{
    const cs_record *r = s->record;
    if ((s->lineage = calloc(r->n_sections ? r->n_sections : 1, sizeof(*s->lineage))) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    int32_t rc = CASESCRIBE_OK;
    for (size_t i = 0; rc == CASESCRIBE_OK && i < r->n_sections; i++) {
        int found = 0;
        if (!cs_origin_is_ai(r->sections[i].origin))
            continue;
        rc = section_lineage(s, i, &found);
        if (rc == CASESCRIBE_OK)
            rc = check_review_time(s, i, found);
    }
    return rc;
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
    p->ledger_seq = s->ledger_seq;
    if (dup_into(&p->ledger_prev, s->ledger_prev[0] ? s->ledger_prev : NULL))
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->n_sections; i++, p->n_sections++) {
        int32_t rc = fill_section_stamp(&p->sections[i], &r->sections[i], s->digests.sections[i], &s->prints[i],
                                        cs_origin_is_ai(r->sections[i].origin) ? mac_of(s, i) : NULL,
                                        s->consent_withdrawn[i]);
        /* The engine history moves into the stamp (AI sections only have one). */
        p->sections[i].drafted_at = s->lineage[i].drafted_at;
        p->sections[i].earlier = s->lineage[i].earlier;
        p->sections[i].n_earlier = s->lineage[i].n_earlier;
        memset(&s->lineage[i], 0, sizeof(s->lineage[i]));
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
    const cs_store_head *h = s->retry_of;
    return cs_fail(CASESCRIBE_ECONFLICT,
                   "record %s is at version %u on this home, but this copy follows version %u: reload the record "
                   "and apply the changes again",
                   s->record->id, (unsigned)h->version, (unsigned)(h->version - 1));
}

/* A repeat of a save stamped before 1.6 is stamped again without the
 * ledger position, as it was then. */
static int32_t unplaced_repeat(struct save *s, EVP_PKEY *key)
{
    cs_provenance *p = s->stamp;
    p->ledger_seq = 0;
    free(p->ledger_prev);
    p->ledger_prev = NULL;
    return cs_stamp_sign_into(&s->digests, p, key, s->record_digest);
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
        rc = cs_stamp_sign_into(&s->digests, s->stamp, key, s->record_digest);
    if (rc == CASESCRIBE_OK && s->retry_of != NULL && strcmp(s->record_digest, s->retry_of->digest) != 0)
        rc = unplaced_repeat(s, key); /* a stamp made before stamps named their ledger entry? */
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
    if (s->digests.doc == NULL)
        return cs_adapter_encode_with(&s->out, &s->out_len, s->adapter, s->ctx, s->record, s->payload,
                                      s->payload_len);
    /* Written from the rendering the digests and the signature were made from. */
    uint8_t *form = NULL;
    size_t form_len = 0;
    int32_t rc = cs_stamp_encode_signed(&form, &form_len, &s->digests, s->record->provenance);
    if (rc != CASESCRIBE_OK)
        return rc;
    return cs_adapter_encode_form(&s->out, &s->out_len, s->adapter, s->ctx, form, form_len, s->payload,
                                  s->payload_len);
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

/* Appends a string to the array entry[key] (made when first needed).
 * Returns 0 or -1. */
static int append_string(json_t *entry, const char *key, const char *value)
{
    json_t *list = json_object_get(entry, key);
    if (list == NULL && (json_object_set_new(entry, key, list = json_array()) != 0 || list == NULL))
        return -1;
    return json_array_append_new(list, json_string(value));
}

/* What the laundering check needs of this save besides the AI prints: the
 * prints of human sections ("human", counted for commonness only) and a
 * token per subject of each short AI text ("short"). Keyed hashes only. */
static int add_text_keys(struct save *s, json_t *entry)
{
    const cs_record *r = s->record;
    for (size_t i = 0; i < r->n_sections; i++) {
        const cs_section *sec = &r->sections[i];
        char *fp = NULL;
        if (sec->origin == CS_ORIGIN_HUMAN && s->prints[i].count > 0 &&
            (cs_fingerprint_encode(&fp, &s->prints[i]) != 0 || append_string(entry, "human", fp) != 0)) {
            free(fp);
            return -1;
        }
        free(fp);
        size_t words = cs_text_words(sec->text, sec->text_len, CS_FP_MIN_WORDS);
        if (!cs_origin_is_ai(sec->origin) || words < CS_SHORT_MIN_WORDS || words >= CS_FP_MIN_WORDS)
            continue;
        const char *mac = mac_of(s, i);
        for (size_t k = 0; k < r->n_subjects; k++) {
            uint64_t token = 0;
            char hex[17];
            if (mac == NULL || cs_short_token(&token, s->ctx->fp_secret, r->subjects[k].id, mac) != 0)
                return -1;
            snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)token);
            if (append_string(entry, "short", hex) != 0)
                return -1;
        }
    }
    return 0;
}

/* Two-phase mode: the versions this save supersedes, journalled in its
 * transaction just before it (no text: ids, numbers, a digest). */
static int32_t step_abandon(struct save *s)
{
    char at[21];
    cs_format_time(at, s->now);
    json_t *e = json_pack("{s:s, s:s, s:I, s:I, s:s, s:I, s:s, s:s}", "kind", "abandoned", "record", s->record->id,
                          "version", (json_int_t)s->abandon_first, "last", (json_int_t)s->abandon_last, "digest",
                          s->head.digest, "confirmed", (json_int_t)s->head.confirmed, "actor", s->actor->user_id,
                          "time", at);
    if (e == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    int32_t rc = cs_store_append(s->tx, e, NULL, NULL);
    json_decref(e);
    return rc;
}

static int32_t step_journal(struct save *s)
{
    json_t *entry = journal_entry(s->record->provenance, s->record_digest);
    if (entry != NULL && add_text_keys(s, entry) != 0) {
        json_decref(entry);
        entry = NULL;
    }
    if (entry == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    /* The entry and its index rows go in together; durable at commit. */
    int32_t rc = cs_store_append(s->tx, entry, NULL, NULL);
    json_decref(entry);
    return rc;
}

/* Where this save's entry goes in the ledger (a repeat: where it went),
 * and the hash of the entry before it: the stamp carries both. */
static int32_t ledger_position(struct save *s)
{
    uint64_t count = 0;
    if (s->retry_of != NULL) {
        s->ledger_seq = s->retry_of->seq;
        return s->ledger_seq > 0 ? cs_store_entry_hash(s->tx, s->ledger_seq - 1, s->ledger_prev) : CASESCRIBE_OK;
    }
    int32_t rc = cs_store_ledger_tail(s->tx, &count, s->ledger_prev);
    s->ledger_seq = count + 1;
    return rc;
}

/* The clock rule: a new version is not stamped earlier than the version
 * before it, nor than the ledger's last checkpoint, by more than
 * CASESCRIBE_CLOCK_SKEW (the host's clock went back): ECONFLICT naming
 * both times. A repeat is stamped at its first time and is not checked. */
static int32_t check_clock(struct save *s)
{
    int64_t before = 0;
    char now[21], then[21];
    cs_store_checkpoint cp;
    int found = 0;
    const char *what = "the version before it was stamped";
    if (s->have_head && cs_parse_time(&before, s->head.time) == 0 && before > s->now + CASESCRIBE_CLOCK_SKEW) {
        cs_format_time(then, before);
    } else {
        int32_t rc = cs_store_checkpoint_latest(s->tx, &cp, &found);
        if (rc != CASESCRIBE_OK)
            return rc;
        free(cp.text);
        if (!found || cp.time <= s->now + CASESCRIBE_CLOCK_SKEW)
            return CASESCRIBE_OK;
        cs_format_time(then, cp.time);
        what = "the ledger's last checkpoint was written";
    }
    cs_format_time(now, s->now);
    return cs_fail(CASESCRIBE_ECONFLICT,
                   "this computer's clock says %s, but %s at %s: the clock went back by more than %u seconds; "
                   "correct the clock and save again",
                   now, what, then, (unsigned)CASESCRIBE_CLOCK_SKEW);
}

/* A search that runs before the save queued notes how far the ledger was
 * (its size, its latest AI print) ... */
static int32_t search_mark(struct save *s)
{
    char hash[CS_STORE_HASH_LEN];
    s->searched_early = !cs_store_queued(s->tx);
    int32_t rc = s->searched_early ? cs_store_ledger_tail(s->tx, &s->seen_size, hash) : CASESCRIBE_OK;
    return rc == CASESCRIBE_OK && s->searched_early ? cs_store_print_max(s->tx, &s->seen_print) : rc;
}

/* ... and, in the queue, when another save committed meanwhile, looks
 * again at what was saved since: the AI prints filed after the one it saw
 * (the index only; the form's own checks do not change) and the short
 * texts. So a copy is refused whatever the order two servers commit in. */
static int32_t search_again(struct save *s)
{
    uint64_t size = 0;
    char hash[CS_STORE_HASH_LEN];
    int32_t rc = s->searched_early ? cs_store_ledger_tail(s->tx, &size, hash) : CASESCRIBE_OK;
    if (rc != CASESCRIBE_OK || !s->searched_early || size == s->seen_size)
        return rc;
    s->again = 1;
    rc = check_laundering(s);
    s->again = 0;
    return rc;
}

/* Steps 4 and 5 run in one write transaction of the store, so that the
 * version chain, the laundering index and the ledger agree across threads
 * and processes; the save is acknowledged only once it committed. The
 * laundering search only reads: on a store shared by servers it runs
 * before the transaction joins the writers' queue (holding the record
 * only), so that one server's search runs while another's save commits;
 * the head, the clock and the ledger tail are read in the queue. */
static int32_t stamp_and_journal(struct save *s)
{
    const cs_provenance *p = s->record->provenance;
    int32_t rc = compute_fingerprints(s);
    if (rc == CASESCRIBE_OK && p != NULL && strcmp(p->record, s->record->id) == 0)
        check_incoming(s); /* its result is chain()'s to return, in its order */
    if (rc == CASESCRIBE_OK)
        rc = cs_store_begin(s->ctx->store, CS_STORE_WRITE_LATE, &s->tx);
    if (rc != CASESCRIBE_OK)
        return rc;
    uint32_t version = 0;
    char previous[CS_DIGEST_LEN];
    rc = cs_store_lock_record(s->tx, s->record->id);
    if (rc == CASESCRIBE_OK)
        rc = search_mark(s);
    if (rc == CASESCRIBE_OK)
        rc = check_laundering(s);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_serialize(s->tx);
    if (rc == CASESCRIBE_OK)
        rc = search_again(s);
    if (rc == CASESCRIBE_OK && s->store_failed)
        rc = cs_fail(s->store_failed, "cannot read the laundering index of %s", cs_store_location(s->ctx->store));
    if (rc == CASESCRIBE_OK)
        rc = cs_store_now(s->tx, &s->now); /* the store's clock stamps: one for every server of a shared store */
    if (rc == CASESCRIBE_OK)
        rc = cs_store_head_get(s->tx, s->record->id, &s->head, &s->have_head);
    if (rc == CASESCRIBE_OK)
        rc = chain(s, &version, previous);
    if (rc == CASESCRIBE_OK && s->retry_of == NULL)
        rc = check_clock(s);
    if (rc == CASESCRIBE_OK)
        rc = ledger_position(s);
    if (rc == CASESCRIBE_OK && s->retry_of != NULL)
        rc = prepare_repeat(s, previous);
    if (rc == CASESCRIBE_OK)
        rc = lineage(s);
    if (rc == CASESCRIBE_OK)
        rc = sign(s, version, previous);
    if (rc == CASESCRIBE_OK)
        rc = step_encode(s);
    if (rc == CASESCRIBE_OK && s->retry_of == NULL && s->abandon_last > 0)
        rc = step_abandon(s);
    if (rc == CASESCRIBE_OK && s->retry_of == NULL)
        rc = step_journal(s);
    cs_store_txn *tx = s->tx;
    s->tx = NULL;
    if (rc != CASESCRIBE_OK || s->retry_of != NULL) {
        cs_store_rollback(tx); /* a repeat writes nothing */
        return rc;
    }
    return cs_store_commit(tx);
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
