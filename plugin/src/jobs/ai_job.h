/* SPDX-License-Identifier: Apache-2.0 */
/* ai_job.h - what the two kept AI jobs, transcription (transcribe/api.c)
 * and drafting (fill/api.c), share: the checks of a request, the policy
 * and consent gates, the remote engine's options, and the job's life in
 * the store and its spool folder (ai_job.c). */
#ifndef CS_JOBS_AI_JOB_H
#define CS_JOBS_AI_JOB_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "casescribe.h"
#include "jobs/jobs.h"
#include "record/record.h"
#include "store/spool.h"
#include "store/store.h"

/* The checks a job request starts with: *job_out set to NULL; EINVAL
 * (naming `fn`) when job_out, ctx or opts is missing, or when ctx belongs
 * to another process; then `check` on opts. On success the job's argument,
 * `size` zeroed bytes; NULL with *rc set on failure (ENOMEM included). */
void *cs_ai_job_request(int32_t *rc, casescribe_job **job_out, const casescribe_ctx *ctx, const void *opts,
                        const char *fn, int32_t (*check)(const void *opts), size_t size);

/* casescribe_fill_options_init, casescribe_transcribe_options_init:
 * cs_options_reset, then the defaults both share, through the struct's own
 * fields (NULL when opts is): the "xml" form adapter and `model`. */
int32_t cs_ai_options_reset(void *opts, uint32_t struct_size, size_t v1_6, size_t full, const char *type,
                            const char **form_adapter, const char **remote_model, const char *model);

/* What the team's policy decided: which engine, and for a remote one,
 * where. */
typedef struct cs_ai_route {
    int remote;
    int tags; /* observation-tags on */
    char endpoint[600];
    uint32_t retention_days; /* for a recording the library took */
} cs_ai_route;

/* The policy gate: `team`'s policy must have `feature` (CS_FEATURE_*,
 * called `name`) on, else EPOLICY with `refused` at the end of the
 * message's first part; a remote engine also needs external-ai on and an
 * endpoint on the policy's allow-list (`asked`, or its first). */
int32_t cs_ai_policy_gate(cs_ai_route *route, casescribe_ctx *ctx, const char *team, const char *asked,
                          uint32_t feature, const char *name, const char *refused);

/* The consent gate's question: the first subject on `form` whose consent
 * in force does not cover `needed` (CS_SCOPE_*) now, its id in *subject
 * and the reason in *why; *subject NULL when every subject's does. */
int32_t cs_ai_consent(const char **subject, const char **why, const cs_record *form, uint32_t needed);

/* The remote engine's options as the host gave them, copied (endpoint
 * and the files NULL when not given). */
typedef struct cs_ai_remote {
    char *endpoint_asked, *remote_model, *key_file, *key_env, *ca_file;
} cs_ai_remote;
int32_t cs_ai_remote_copy(cs_ai_remote *r, const char *endpoint, const char *model, const char *key_file,
                          const char *key_env, const char *ca_file);
void cs_ai_remote_clear(cs_ai_remote *r);

/* The remote engine's options as a kept job's detail holds them (each
 * NULL when absent), borrowed from d. */
void cs_ai_remote_detail(const json_t *d, const char **endpoint, const char **model, const char **key_file,
                         const char **key_env, const char **ca_file);

/* A fresh kept job's folder: a new id, its folder, and the form in it. */
int32_t cs_ai_job_folder(cs_spool **sp, char id[CS_JOB_ID_LEN], const char *home, const void *form, size_t len);
/* Queues a fresh kept job recorded with `detail`; when rc (how preparing
 * it went) is a failure, removes its folder and frees arg instead, and
 * returns rc. */
int32_t cs_ai_job_queue(int32_t rc, casescribe_ctx *ctx, const char *kind, cs_job_run_fn run, void *arg,
                        cs_job_free_fn free_arg, const char *id, cs_spool *sp, const char *detail,
                        casescribe_job **out);
/* Likewise for a kept job rebuilt after a restart from its row: on
 * failure, frees arg and closes its folder. */
int32_t cs_ai_job_requeue(int32_t rc, casescribe_ctx *ctx, const char *kind, cs_job_run_fn run, void *arg,
                          cs_job_free_fn free_arg, const cs_store_job *row, cs_spool *sp, casescribe_job **out);

/* What a kept job made, read back from file `name` of its folder (at most
 * `max` bytes): ENOTFOUND saying the `made` is gone, or the read's error. */
int32_t cs_ai_job_read_made(const cs_spool *sp, const char *name, uint8_t **data, size_t *len, size_t max,
                            const char *made);

/* What a DONE job of `kind` made (`made`, "draft"), borrowed from the job;
 * NULL with *rc set (EINVAL for another kind, EBUSY while it runs, its
 * status when it failed). */
void *cs_ai_job_made(int32_t *rc, const casescribe_job *job, const char *kind, const char *made);

#endif
