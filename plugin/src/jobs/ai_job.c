/* SPDX-License-Identifier: Apache-2.0 */
/* ai_job.c - what transcription and drafting share as kept AI jobs: both
 * gates run when the host asks (a refused request fails at once, with its
 * reason) and again when the job starts (fail closed). */
#include <stdlib.h>
#include <string.h>

#include "consent/consent.h"
#include "consent/evaluate.h"
#include "context.h"
#include "internal.h"
#include "jobs/ai_job.h"

void *cs_ai_job_request(int32_t *rc, casescribe_job **job_out, const casescribe_ctx *ctx, const void *opts,
                        const char *fn, int32_t (*check)(const void *opts), size_t size)
{
    if (job_out != NULL)
        *job_out = NULL;
    if (job_out == NULL || ctx == NULL || opts == NULL)
        *rc = cs_fail(CASESCRIBE_EINVAL, "%s: job_out, ctx and opts are required", fn);
    else if (cs_ctx_elsewhere(ctx))
        *rc = CASESCRIBE_EINVAL;
    else
        *rc = check(opts);
    if (*rc != CASESCRIBE_OK)
        return NULL;
    cs_clear_error();
    void *arg = calloc(1, size);
    if (arg == NULL)
        *rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    return arg;
}

int32_t cs_ai_options_reset(void *opts, uint32_t struct_size, size_t v1_6, size_t full, const char *type,
                            const char **form_adapter, const char **remote_model, const char *model)
{
    int32_t rc = cs_options_reset(opts, struct_size, v1_6, full, type);
    if (rc != CASESCRIBE_OK)
        return rc;
    *form_adapter = "xml";
    *remote_model = model;
    return CASESCRIBE_OK;
}

int32_t cs_ai_policy_gate(cs_ai_route *route, casescribe_ctx *ctx, const char *team, const char *asked,
                          uint32_t feature, const char *name, const char *refused)
{
    cs_policy *p = NULL;
    int32_t rc = cs_ctx_policy(ctx, team, &p);
    if (rc != CASESCRIBE_OK)
        return rc;
    memset(route, 0, sizeof(*route));
    route->remote = p->remote_engine;
    route->retention_days = p->retention_days;
    route->tags = (p->features & CS_FEATURE_OBSERVATION_TAGS) != 0;
    if (!(p->features & feature))
        rc = cs_fail(CASESCRIBE_EPOLICY, "team %s has %s switched off in its policy%s%s", p->team, name, refused,
                     p->state == CS_POLICY_REFUSED ? " (its policy file is not valid, so every feature is off)" : "");
    else if (p->remote_engine && !(p->features & CS_FEATURE_EXTERNAL_AI))
        rc = cs_fail(CASESCRIBE_EPOLICY, "team %s's policy chooses the remote engine but has external-ai switched "
                                         "off: nothing was sent",
                     p->team);
    else if (p->remote_engine)
        rc = cs_policy_pick_endpoint(route->endpoint, sizeof(route->endpoint), p, asked);
    cs_policy_free(p);
    return rc;
}

int32_t cs_ai_consent(const char **subject, const char **why, const cs_record *form, uint32_t needed)
{
    int refusing = -1, reason = -1;
    int32_t rc = cs_consent_check_use(&refusing, &reason, form, needed, cs_now());
    *subject = rc == CASESCRIBE_OK && refusing >= 0 ? form->subjects[refusing].id : NULL;
    *why = reason < 0 ? "no consent has been recorded" : cs_consent_reason((cs_consent_result)reason);
    return rc;
}

int32_t cs_ai_remote_copy(cs_ai_remote *r, const char *endpoint, const char *model, const char *key_file,
                          const char *key_env, const char *ca_file)
{
    r->remote_model = cs_strdup(model);
    if (r->remote_model == NULL || (endpoint != NULL && (r->endpoint_asked = cs_strdup(endpoint)) == NULL) ||
        (key_file != NULL && (r->key_file = cs_strdup(key_file)) == NULL) ||
        (key_env != NULL && (r->key_env = cs_strdup(key_env)) == NULL) ||
        (ca_file != NULL && (r->ca_file = cs_strdup(ca_file)) == NULL))
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    return CASESCRIBE_OK;
}

void cs_ai_remote_clear(cs_ai_remote *r)
{
    free(r->endpoint_asked);
    free(r->remote_model);
    free(r->key_file);
    free(r->key_env);
    free(r->ca_file);
    memset(r, 0, sizeof(*r));
}

void cs_ai_remote_detail(const json_t *d, const char **endpoint, const char **model, const char **key_file,
                         const char **key_env, const char **ca_file)
{
    *endpoint = json_string_value(json_object_get(d, "endpoint"));
    *model = json_string_value(json_object_get(d, "remote-model"));
    *key_file = json_string_value(json_object_get(d, "key-file"));
    *key_env = json_string_value(json_object_get(d, "key-env"));
    *ca_file = json_string_value(json_object_get(d, "ca-file"));
}

int32_t cs_ai_job_folder(cs_spool **sp, char id[CS_JOB_ID_LEN], const char *home, const void *form, size_t len)
{
    int32_t rc = cs_spool_new_id(id);
    if (rc == CASESCRIBE_OK)
        rc = cs_spool_open(sp, home, id, 1);
    if (rc == CASESCRIBE_OK)
        rc = cs_spool_write(*sp, "form", form, len);
    return rc;
}

int32_t cs_ai_job_queue(int32_t rc, casescribe_ctx *ctx, const char *kind, cs_job_run_fn run, void *arg,
                        cs_job_free_fn free_arg, const char *id, cs_spool *sp, const char *detail,
                        casescribe_job **out)
{
    if (rc != CASESCRIBE_OK) {
        cs_spool_remove(sp);
        free_arg(arg);
        return rc;
    }
    cs_job_keep keep = {id, sp, detail, cs_now(), 1};
    return cs_jobs_submit_kept(&ctx->jobs, kind, run, arg, free_arg, &keep, out);
}

int32_t cs_ai_job_requeue(int32_t rc, casescribe_ctx *ctx, const char *kind, cs_job_run_fn run, void *arg,
                          cs_job_free_fn free_arg, const cs_store_job *row, cs_spool *sp, casescribe_job **out)
{
    if (rc != CASESCRIBE_OK) {
        free_arg(arg);
        cs_spool_close(sp);
        return rc;
    }
    cs_job_keep keep = {row->id, sp, row->detail, row->created, 0};
    return cs_jobs_submit_kept(&ctx->jobs, kind, run, arg, free_arg, &keep, out);
}

int32_t cs_ai_job_read_made(const cs_spool *sp, const char *name, uint8_t **data, size_t *len, size_t max,
                            const char *made)
{
    int32_t rc = cs_spool_read(sp, name, data, len, max);
    if (rc == CASESCRIBE_ENOTFOUND)
        rc = cs_fail(CASESCRIBE_ENOTFOUND, "the %s this job made is no longer in its folder", made);
    return rc;
}

void *cs_ai_job_made(int32_t *rc, const casescribe_job *job, const char *kind, const char *made)
{
    int ours = strcmp(casescribe_job_kind(job), kind) == 0; /* the header's promise, whatever its state */
    int32_t status = ours ? casescribe_job_status(job) : CASESCRIBE_OK;
    void *o = ours && status == CASESCRIBE_OK ? cs_job_output(job, kind) : NULL;
    if (status != CASESCRIBE_OK)
        *rc = cs_fail(status, "%s%s",
                      status == CASESCRIBE_EBUSY ? "the job has not ended yet" : "the job did not succeed: it has no ",
                      status == CASESCRIBE_EBUSY ? "" : made);
    else if (o == NULL)
        *rc = cs_fail(CASESCRIBE_EINVAL, "this job is a %s, not a %s", casescribe_job_kind(job), kind);
    else
        *rc = CASESCRIBE_OK;
    return o;
}
