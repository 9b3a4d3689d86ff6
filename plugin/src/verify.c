/* SPDX-License-Identifier: Apache-2.0 */
/* verify.c - checking a stamped record offline, and saying in plain words
 * how it was made. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "context.h"
#include "internal.h"
#include "provenance/stamp.h"
#include "verify.h"

static const char *or_unknown(const char *s)
{
    return s != NULL ? s : "unknown";
}

/* Every engine that drafted the text: those of earlier versions the stamp
 * carries, then the section's own. */
static void describe_engines(cs_buf *rep, const cs_section *sec, const cs_section_stamp *st)
{
    size_t earlier = st != NULL ? st->n_earlier : 0;
    if (earlier == 0) {
        cs_buf_printf(rep, "first drafted by a computer program (");
    } else {
        cs_buf_printf(rep, "drafted by %zu computer programs, first ", earlier + 1);
        for (size_t k = 0; k < earlier; k++)
            cs_buf_printf(rep, "(%s%s%s) in an earlier version, then ", st->earlier[k].engine,
                          st->earlier[k].model ? ", model " : "", st->earlier[k].model ? st->earlier[k].model : "");
        cs_buf_printf(rep, "(");
    }
    cs_buf_printf(rep, "%s%s%s%s%s)", or_unknown(sec->engine), sec->engine_version ? " " : "",
                  sec->engine_version ? sec->engine_version : "", sec->model ? ", model " : "",
                  sec->model ? sec->model : "");
}

static void describe_section(cs_buf *rep, const cs_section *sec, const cs_section_stamp *st)
{
    cs_buf_printf(rep, "  - %s: ", sec->id);
    if (sec->origin == CS_ORIGIN_HUMAN) {
        cs_buf_printf(rep, "written by a person.\n");
        return;
    }
    describe_engines(rep, sec, st);
    if (sec->origin == CS_ORIGIN_AI_DRAFT)
        cs_buf_printf(rep, ", NOT YET CHECKED by a person.\n");
    else
        cs_buf_printf(rep, ", then %s by %s on %s.\n",
                      sec->review && strcmp(sec->review, "edited") == 0 ? "checked and changed" : "checked and accepted",
                      or_unknown(sec->reviewed_by), or_unknown(sec->reviewed_at));
    if (sec->engine_settings != NULL)
        cs_buf_printf(rep, "    Settings: %s.\n", sec->engine_settings);
    if (st != NULL && st->consent_withdrawn)
        cs_buf_printf(rep, "    Kept after consent was withdrawn, because it had already been reviewed.\n");
}

static void describe_consent(cs_buf *rep, const cs_consent_stamp *c)
{
    if (c->in_force == NULL) {
        cs_buf_printf(rep, "  - %s: no consent recorded; no AI text allowed.\n", c->subject);
        return;
    }
    cs_buf_printf(rep, "  - %s: consent given by %s (%s) on %s for: %s%s%s. AI drafting on this machine: %s; "
                       "external AI services: %s.\n",
                  c->subject, or_unknown(c->given_by), or_unknown(c->capacity), c->in_force,
                  c->scopes && c->scopes[0] ? c->scopes : "nothing", c->withdrawn_at ? "; withdrawn on " : "",
                  c->withdrawn_at ? c->withdrawn_at : "", c->local_ai ? "allowed" : "not allowed",
                  c->external_ai ? "allowed" : "not allowed");
}

static const cs_section_stamp *stamp_of(const cs_provenance *p, const char *id)
{
    for (size_t i = 0; i < p->n_sections; i++)
        if (strcmp(p->sections[i].id, id) == 0)
            return &p->sections[i];
    return NULL;
}

static void describe(cs_buf *rep, const cs_record *r)
{
    const cs_provenance *p = r->provenance;
    cs_buf_printf(rep, "Record %s, version %u (form '%s', team %s)\n", r->id, (unsigned)p->version, r->template_id,
                  r->team);
    cs_buf_printf(rep, "Stamped %s by %s (%s, team %s) with key %s, by %s.\n", p->at, p->actor_id, p->actor_role,
                  p->actor_team, p->key_id, p->library);
    if (p->previous != NULL)
        cs_buf_printf(rep, "Follows version %u (%s).\n", (unsigned)(p->version - 1), p->previous);
    if (p->ledger_seq > 0)
        cs_buf_printf(rep, "Committed as entry %llu of the home's ledger.\n", (unsigned long long)p->ledger_seq);
    if (p->policy_team != NULL && strcmp(or_unknown(p->policy_state), "signed") == 0)
        cs_buf_printf(rep, "Checked against team %s's AI policy, version %u (%s).\n", p->policy_team,
                      (unsigned)p->policy_version, or_unknown(p->policy_digest));
    else if (p->policy_team != NULL)
        cs_buf_printf(rep, "Checked against the safe defaults for team %s (no valid AI policy: every AI feature off).\n",
                      p->policy_team);
    cs_buf_printf(rep, "Sections:\n");
    for (size_t i = 0; i < r->n_sections; i++)
        describe_section(rep, &r->sections[i], stamp_of(p, r->sections[i].id));
    cs_buf_printf(rep, "Consent at the time of stamping:\n");
    for (size_t i = 0; i < p->n_consents; i++)
        describe_consent(rep, &p->consents[i]);
}

int32_t cs_verify_record(cs_buf *diffs, cs_keyring *keys, const cs_record *r, char record_digest[CS_DIGEST_LEN])
{
    if (r->provenance == NULL)
        return cs_fail(CASESCRIBE_EUNSTAMPED, "record %s carries no provenance: it was never stamped", r->id);
    EVP_PKEY *pub = NULL;
    int32_t rc = cs_keyring_public(keys, r->provenance->key_id, &pub);
    int32_t sig = rc == CASESCRIBE_OK ? cs_stamp_check_record_signature(r, pub, record_digest) : rc;
    EVP_PKEY_free(pub);
    int32_t n = cs_stamp_compare(diffs, r);
    if (sig == CASESCRIBE_EVERIFY)
        cs_buf_printf(diffs, "the provenance was altered: its signature does not match\n");
    if (n < 0)
        rc = n;
    else if (sig != CASESCRIBE_OK && sig != CASESCRIBE_EVERIFY)
        rc = sig; /* could not check (unknown key, out of memory): not evidence of tampering */
    else if (rc == CASESCRIBE_OK && (sig != CASESCRIBE_OK || n > 0))
        rc = CASESCRIBE_EVERIFY;
    if (rc == CASESCRIBE_EVERIFY) {
        const char *first = diffs->data != NULL ? diffs->data : "the record differs from its stamp";
        cs_fail(CASESCRIBE_EVERIFY, "record %s does not verify: %.*s", r->id, (int)strcspn(first, "\n"), first);
    }
    return rc;
}

/* The latest version of the record the home's journal knows (0 when it
 * knows none, or when the journal cannot be read). */
static uint32_t latest_known(casescribe_ctx *ctx, const cs_record *r)
{
    cs_store_head head;
    int found = 0;
    uint32_t latest = cs_ctx_head(ctx, r->id, &head, &found) == CASESCRIBE_OK && found ? head.version : 0;
    cs_clear_error();
    return latest;
}

/* Whether the home's ledger records this version as abandoned (two-phase
 * saves): the report says so. */
static int abandoned_known(casescribe_ctx *ctx, const cs_record *r, cs_store_abandon *a)
{
    int found = 0;
    if (cs_ctx_abandoned(ctx, r->id, r->provenance->version, a, &found) != CASESCRIBE_OK)
        found = 0;
    cs_clear_error();
    return found;
}

/* ---- the signing key's validity window --------------------------------- */

/* A key's window from a bundle of keys (casescribe_keys_export): the
 * "retired <time>" on the line after "# key <id>" (its "created" is not
 * used: for a key registered or trusted later it is not when it was made).
 * *until 0 when the bundle says none. */
static void bundle_window(const uint8_t *pem, size_t len, const char *key_id, int64_t *until)
{
    char head[CS_KEY_ID_MAX + 8], at[32] = "";
    *until = 0;
    int n = snprintf(head, sizeof(head), "# key %s", key_id);
    const char *end = (const char *)pem + len;
    const char *hit = n > 0 && (size_t)n < sizeof(head) ? memmem(pem, len, head, (size_t)n) : NULL;
    const char *line = hit != NULL ? hit + n : NULL;
    if (line != NULL && line < end && *line == '\r') /* CRLF line ends, as PEM readers allow */
        line++;
    line = line != NULL && line < end && *line == '\n' ? line + 1 : NULL;
    const char *eol = line != NULL ? memchr(line, '\n', (size_t)(end - line)) : NULL;
    if (eol != NULL && eol > line && eol[-1] == '\r')
        eol--;
    const char *r = eol != NULL ? memmem(line, (size_t)(eol - line), " retired ", 9) : NULL;
    if (r == NULL || eol - (r + 9) >= (ptrdiff_t)sizeof(at))
        return;
    memcpy(at, r + 9, (size_t)(eol - (r + 9)));
    if (cs_parse_time(until, at) != 0)
        *until = 0;
}

/* Refuses (one line into diffs, EVERIFY) a stamp dated outside the window
 * [from - skew, until + skew] of the key that signed it (0: open end). */
static int32_t check_window(cs_buf *diffs, const cs_record *r, int64_t from, int64_t until)
{
    int64_t at = 0, skew = CASESCRIBE_CLOCK_SKEW;
    if (cs_parse_time(&at, r->provenance->at) != 0 || ((from == 0 || at >= from - skew) &&
                                                       (until == 0 || at <= until + skew)))
        return CASESCRIBE_OK;
    char made[21] = "", gone[21] = "";
    cs_format_time(made, from);
    cs_format_time(gone, until);
    int before = from != 0 && at < from - skew;
    cs_buf_printf(diffs, "key %s was not valid at the stamp's time %s: it was %s %s (allowed clock skew %u s)\n",
                  r->provenance->key_id, r->provenance->at, before ? "created" : "retired by a rotation",
                  before ? made : gone, (unsigned)CASESCRIBE_CLOCK_SKEW);
    return cs_fail(CASESCRIBE_EVERIFY, "record %s does not verify: key %s was not valid at the stamp's time %s (it was "
                   "%s %s)", r->id, r->provenance->key_id, r->provenance->at,
                   before ? "created" : "retired", before ? made : gone);
}

/* The window check of a record whose signature verified: with a home, its
 * key registry; without, the bundle of keys given (when it says). */
static int32_t key_window(cs_buf *diffs, casescribe_ctx *ctx, const uint8_t *pem, size_t pem_len, const cs_record *r)
{
    int64_t from = 0, until = 0;
    int found = 0;
    if (ctx != NULL) {
        int32_t rc = cs_ctx_key_window(ctx, r->provenance->key_id, &from, &until, &found);
        if (rc != CASESCRIBE_OK)
            return rc;
    } else if (pem != NULL)
        bundle_window(pem, pem_len, r->provenance->key_id, &until);
    return check_window(diffs, r, from, until);
}

int32_t cs_verify_key_window(cs_buf *diffs, casescribe_ctx *ctx, const cs_record *r)
{
    return key_window(diffs, ctx, NULL, 0, r);
}

/* The whole check; `keys` is a home's keyring or one made from a PEM; with
 * a home (ctx), the report also says when a newer version exists there. */
static int32_t verify_with(char **report_out, cs_keyring *keys, casescribe_ctx *ctx, const uint8_t *pem,
                           size_t pem_len, const char *adapter, const uint8_t *payload, size_t len)
{
    if (report_out != NULL)
        *report_out = NULL;
    cs_record *r = NULL;
    int32_t rc = cs_adapter_decode(&r, adapter, payload, len);
    if (rc != CASESCRIBE_OK)
        return rc;
    cs_buf rep = {0}, diffs = {0}, window = {0};
    if (report_out == NULL) { /* no report: only the verdict, and nothing read that only the report says */
        rc = cs_verify_record(&diffs, keys, r, NULL);
        if (rc == CASESCRIBE_OK)
            rc = key_window(&window, ctx, pem, pem_len, r);
        cs_buf_free(&diffs);
        cs_buf_free(&window);
        cs_record_free(r);
        return rc;
    }
    /* Asked first: it clears the thread's error, which the check then sets. */
    uint32_t latest = ctx != NULL && r->provenance != NULL ? latest_known(ctx, r) : 0;
    cs_store_abandon gone;
    int abandoned = latest > 0 && abandoned_known(ctx, r, &gone);
    rc = cs_verify_record(&diffs, keys, r, NULL);
    if (rc == CASESCRIBE_OK)
        rc = key_window(&window, ctx, pem, pem_len, r);
    if (r->provenance == NULL) {
        cs_buf_printf(&rep, "Record %s carries no provenance: it was never stamped by CaseScribe.\n", r->id);
    } else {
        describe(&rep, r);
        if (diffs.len > 0) {
            cs_buf_printf(&rep, "Changes found since stamping:\n");
            char *save = NULL;
            for (char *line = strtok_r(diffs.data, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
                cs_buf_printf(&rep, "  - %s\n", line);
        }
        if (window.len > 0)
            cs_buf_printf(&rep, "Signing key: %s", window.data);
        if (abandoned)
            cs_buf_printf(&rep, "Abandoned version: version %u was stamped but never confirmed by the host, and the "
                          "record was continued from version %u (ledger entry %llu); the latest this home knows is "
                          "version %u.\n", (unsigned)r->provenance->version, (unsigned)gone.kept,
                          (unsigned long long)gone.seq, (unsigned)latest);
        else if (latest > r->provenance->version)
            cs_buf_printf(&rep, "Older version: the latest this home knows is version %u.\n", (unsigned)latest);
        cs_buf_printf(&rep, "Result: %s%s\n", rc == CASESCRIBE_OK ? "VERIFIED: unchanged since it was stamped"
                                                : rc == CASESCRIBE_EKEY ? "NOT VERIFIED: signed with an unknown key"
                                                                        : "NOT VERIFIED",
                      abandoned ? " (an abandoned version: the host never kept it)"
                      : latest > r->provenance->version ? " (an older version: a newer one exists)" : "");
        if (rc == CASESCRIBE_OK && rep.failed)
            rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory writing the verification report");
    }
    if (report_out != NULL)
        *report_out = cs_buf_take(&rep);
    cs_buf_free(&rep);
    cs_buf_free(&diffs);
    cs_buf_free(&window);
    cs_record_free(r);
    return rc;
}

int32_t casescribe_verify(char **report_out, casescribe_ctx *ctx, const char *adapter, const uint8_t *payload,
                          size_t payload_len)
{
    if (report_out != NULL)
        *report_out = NULL;
    if (ctx == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_verify: ctx is NULL");
    cs_clear_error();
    return verify_with(report_out, ctx->keys, ctx, NULL, 0, adapter, payload, payload_len);
}

int32_t casescribe_verify_with_public_key(char **report_out, const char *adapter, const uint8_t *pubkey_pem,
                                          size_t pubkey_len, const uint8_t *payload, size_t payload_len)
{
    if (report_out != NULL)
        *report_out = NULL;
    cs_clear_error();
    cs_keyring *keys = NULL;
    int32_t rc = cs_keyring_from_pem(&keys, pubkey_pem, pubkey_len);
    if (rc == CASESCRIBE_OK)
        rc = verify_with(report_out, keys, NULL, pubkey_pem, pubkey_len, adapter, payload, payload_len);
    cs_keyring_free(keys);
    return rc;
}
