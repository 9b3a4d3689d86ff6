/* SPDX-License-Identifier: Apache-2.0 */
/* attach.c - kept jobs after a restart: listing them and reattaching. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "internal.h"
#include "jobs/kept.h"

/* 1 when another process holds job `id` (it is alive there). */
static int claimed_elsewhere(casescribe_ctx *ctx, const char *id)
{
    cs_spool *sp = NULL;
    int32_t rc = cs_spool_open(&sp, ctx->home, id, 0);
    cs_spool_close(sp);
    cs_clear_error();
    return rc == CASESCRIBE_EBUSY;
}

struct listing {
    casescribe_ctx *ctx;
    cs_buf ids;
};

static int list_one(const cs_store_job *row, void *user)
{
    struct listing *l = user;
    casescribe_job *live = cs_jobs_find(&l->ctx->jobs, row->id);
    if (live != NULL || !claimed_elsewhere(l->ctx, row->id))
        cs_buf_printf(&l->ids, "%s\n", row->id);
    casescribe_job_free(live);
    return 0;
}

int32_t casescribe_job_list(char **ids_out, casescribe_ctx *ctx)
{
    if (ids_out != NULL)
        *ids_out = NULL;
    if (ids_out == NULL || ctx == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_job_list: ids_out and ctx are required");
    cs_clear_error();
    struct listing l = {ctx, {0}};
    cs_buf_printf(&l.ids, "%s", "");
    cs_store_txn *tx = NULL;
    int32_t rc = cs_store_begin(ctx->store, CS_STORE_READ, &tx);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_job_list(tx, 0, list_one, &l);
    cs_store_rollback(tx);
    *ids_out = rc == CASESCRIBE_OK ? cs_buf_take(&l.ids) : NULL;
    cs_buf_free(&l.ids);
    if (rc == CASESCRIBE_OK && *ids_out == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    return rc;
}

/* The row of job `id`, copied out of the store. */
struct found_row {
    const char *id;
    int found;
    char kind[32], state[16];
    char *detail;
    int64_t created;
};

static int find_one(const cs_store_job *row, void *user)
{
    struct found_row *f = user;
    if (strcmp(row->id, f->id) != 0)
        return 0;
    f->found = 1;
    snprintf(f->kind, sizeof(f->kind), "%s", row->kind);
    snprintf(f->state, sizeof(f->state), "%s", row->state);
    f->detail = cs_strdup(row->detail);
    f->created = row->created;
    return f->detail != NULL ? 1 : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
}

static int32_t read_row(casescribe_ctx *ctx, struct found_row *f)
{
    cs_store_txn *tx = NULL;
    int32_t rc = cs_store_begin(ctx->store, CS_STORE_READ, &tx);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_job_list(tx, 0, find_one, f);
    cs_store_rollback(tx);
    if (rc == 1)
        rc = CASESCRIBE_OK;
    if (rc == CASESCRIBE_OK && !f->found)
        rc = cs_fail(CASESCRIBE_ENOTFOUND, "no job %s in this home (it was collected, or never kept here)", f->id);
    return rc;
}

int32_t casescribe_job_attach(casescribe_job **job_out, casescribe_ctx *ctx, const char *id)
{
    if (job_out != NULL)
        *job_out = NULL;
    if (job_out == NULL || ctx == NULL || id == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_job_attach: job_out, ctx and id are required");
    if (ctx->pid != getpid())
        return cs_fail(CASESCRIBE_EINVAL, "this context was opened by another process (before a fork)");
    if (!cs_spool_valid_id(id))
        return cs_fail(CASESCRIBE_EINVAL, "a job id is 32 lowercase hex digits");
    cs_clear_error();
    if ((*job_out = cs_jobs_find(&ctx->jobs, id)) != NULL)
        return CASESCRIBE_OK; /* alive in this context */
    struct found_row f = {.id = id};
    cs_spool *sp = NULL;
    int32_t rc = read_row(ctx, &f);
    if (rc == CASESCRIBE_OK)
        rc = cs_spool_open(&sp, ctx->home, id, 0);
    if (rc == CASESCRIBE_OK) {
        cs_store_job row = {id, f.kind, f.state, f.detail, f.created, f.created};
        if (strcmp(f.kind, "transcription") == 0)
            rc = cs_transcription_resume(job_out, ctx, &row, sp);
        else if (strcmp(f.kind, "fill") == 0)
            rc = cs_fill_resume(job_out, ctx, &row, sp);
        else {
            cs_spool_close(sp);
            rc = cs_fail(CASESCRIBE_EJOURNAL, "job %s is of a kind this library does not know", id);
        }
    }
    free(f.detail);
    return rc;
}

const char *casescribe_job_id(const casescribe_job *job)
{
    return cs_job_id(job);
}
