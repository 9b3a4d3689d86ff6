/* SPDX-License-Identifier: Apache-2.0 */
/* attach.c - kept jobs after a restart: listing them and reattaching. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

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

static const char *live_state(const casescribe_job *job)
{
    static const char *const names[] = {"queued", "running", "done", "failed", "cancelled"};
    int32_t state = casescribe_job_state(job);
    return state >= 0 && state <= CASESCRIBE_JOB_CANCELLED ? names[state] : "unknown";
}

static int ended_row(const char *state);

/* One line per kept job: id, kind, state, created and updated times. */
static int detail_one(const cs_store_job *row, void *user)
{
    struct listing *l = user;
    casescribe_job *live = cs_jobs_find(&l->ctx->jobs, row->id);
    if (live == NULL && claimed_elsewhere(l->ctx, row->id))
        return 0;
    const char *state = live != NULL ? live_state(live) : ended_row(row->state) ? row->state : "interrupted";
    char created[21], updated[21];
    cs_format_time(created, row->created);
    cs_format_time(updated, row->updated);
    cs_buf_printf(&l->ids, "%s %s %s created %s updated %s\n", row->id, row->kind, state, created, updated);
    casescribe_job_free(live);
    return 0;
}

/* The kept jobs that `visit` writes a line for, into *out. */
static int32_t list_with(char **out, casescribe_ctx *ctx, cs_store_job_visit visit)
{
    if (cs_ctx_elsewhere(ctx))
        return CASESCRIBE_EINVAL;
    cs_clear_error();
    struct listing l = {ctx, {0}};
    cs_buf_printf(&l.ids, "%s", "");
    cs_store_txn *tx = NULL;
    int32_t rc = cs_store_begin(ctx->store, CS_STORE_READ, &tx);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_job_list(tx, 0, visit, &l);
    cs_store_rollback(tx);
    *out = rc == CASESCRIBE_OK ? cs_buf_take(&l.ids) : NULL;
    cs_buf_free(&l.ids);
    if (rc == CASESCRIBE_OK && *out == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    return rc;
}

int32_t casescribe_job_list(char **ids_out, casescribe_ctx *ctx)
{
    if (ids_out != NULL)
        *ids_out = NULL;
    if (ids_out == NULL || ctx == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_job_list: ids_out and ctx are required");
    return list_with(ids_out, ctx, list_one);
}

int32_t casescribe_job_list_detail(char **lines_out, casescribe_ctx *ctx)
{
    if (lines_out != NULL)
        *lines_out = NULL;
    if (lines_out == NULL || ctx == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_job_list_detail: lines_out and ctx are required");
    return list_with(lines_out, ctx, detail_one);
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

static int ended_row(const char *state)
{
    return strcmp(state, "done") == 0 || strcmp(state, "failed") == 0;
}

/* The kind's name as a job holds it (static storage), or NULL. */
static const char *known_kind(const char *kind)
{
    return strcmp(kind, "transcription") == 0 ? "transcription" : strcmp(kind, "fill") == 0 ? "fill" : NULL;
}

/* How a kept job ended, from its folder: status, message and result (into
 * *doc, which holds the strings end points to), and for a success what it
 * made. */
static int32_t read_ending(cs_job_ending *end, json_t **doc, const char *kind, int done, const cs_spool *sp)
{
    uint8_t *text = NULL;
    size_t len = 0;
    int32_t rc = cs_spool_read(sp, CS_JOB_ENDED_FILE, &text, &len, 1u << 20);
    *doc = rc == CASESCRIBE_OK ? json_loadb((const char *)text, len, 0, NULL) : NULL;
    free(text);
    json_t *st = json_object_get(*doc, "status");
    json_int_t status = json_integer_value(st);
    end->message = json_string_value(json_object_get(*doc, "message"));
    end->result = json_string_value(json_object_get(*doc, "result"));
    /* A success only where the store's row says "done" too. */
    if (rc == CASESCRIBE_OK && (end->message == NULL || end->result == NULL || !json_is_integer(st) || status > 0 ||
                                status < -1000 || (status == 0) != done))
        rc = cs_fail(CASESCRIBE_EJOURNAL, "the kept ending of this job is malformed");
    else if (rc == CASESCRIBE_ENOTFOUND)
        rc = cs_fail(CASESCRIBE_ENOTFOUND, "this job's ending is no longer in its folder");
    end->status = (int32_t)status;
    if (rc == CASESCRIBE_OK && end->status == CASESCRIBE_OK)
        rc = strcmp(kind, "fill") == 0 ? cs_fill_kept_output(end, sp) : cs_transcription_kept_output(end, sp);
    return rc;
}

/* 1 when the job's folder keeps how it ended (a job that ended under a
 * library before 1.7 kept nothing: it runs again). */
static int has_ending(const cs_spool *sp)
{
    char path[4400];
    return cs_spool_path(sp, CS_JOB_ENDED_FILE, path, sizeof(path)) == CASESCRIBE_OK && access(path, F_OK) == 0;
}

/* A job that ended before its host freed it: given back as it ended, with
 * what it made, never run again. */
static int32_t give_back(casescribe_job **job_out, casescribe_ctx *ctx, const struct found_row *f, cs_spool *sp)
{
    const char *kind = known_kind(f->kind);
    cs_job_ending end = {0};
    json_t *doc = NULL;
    int32_t rc = kind != NULL ? read_ending(&end, &doc, kind, strcmp(f->state, "done") == 0, sp)
                              : cs_fail(CASESCRIBE_EJOURNAL, "job %s is of a kind this library does not know", f->id);
    if (rc != CASESCRIBE_OK) {
        cs_spool_close(sp);
        json_decref(doc);
        return rc;
    }
    cs_job_keep keep = {f->id, sp, f->detail, f->created, 0};
    rc = cs_jobs_adopt_ended(&ctx->jobs, kind, &keep, &end, job_out);
    if (rc != CASESCRIBE_OK && end.free_output != NULL)
        end.free_output(end.output);
    json_decref(doc);
    return rc;
}

int32_t casescribe_job_attach(casescribe_job **job_out, casescribe_ctx *ctx, const char *id)
{
    if (job_out != NULL)
        *job_out = NULL;
    if (job_out == NULL || ctx == NULL || id == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_job_attach: job_out, ctx and id are required");
    if (cs_ctx_elsewhere(ctx))
        return CASESCRIBE_EINVAL;
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
    if (rc == CASESCRIBE_OK && ended_row(f.state) && has_ending(sp))
        rc = give_back(job_out, ctx, &f, sp);
    else if (rc == CASESCRIBE_OK) {
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
