/* SPDX-License-Identifier: Apache-2.0 */
/* jobs.h - work that must never run on the save path (network calls,
 * transcription, drafting) runs as a job: queued on the context, run by the
 * context's worker threads, watched by the host through a handle.
 *
 * A job is reference-counted: the host's handle holds one reference, the
 * queue or the worker running it another, so the host may free its handle
 * at any time (the job then ends on its own and its result is dropped),
 * and a job may outlive its context (closing the context cancels it).
 */
#ifndef CS_JOBS_H
#define CS_JOBS_H

#include <pthread.h>
#include <stdint.h>

#include "casescribe.h"
#include "store/spool.h"
#include "store/store.h"

#define CS_JOB_WORKERS 2

/* What a job does. Runs on a worker thread; returns a status (with the
 * thread's error message set by cs_fail on failure) and, on success, may
 * hand back a malloc'd text result. It should return soon after
 * cs_job_cancelled() turns true. */
typedef int32_t (*cs_job_run_fn)(casescribe_job *job, void *arg, char **result);
typedef void (*cs_job_free_fn)(void *arg);

typedef struct cs_jobs {
    pthread_mutex_t lock;
    pthread_cond_t work;
    casescribe_job *head, *tail; /* queued, oldest first */
    casescribe_job *running[CS_JOB_WORKERS];
    pthread_t workers[CS_JOB_WORKERS];
    int n_workers;
    int closing;
    /* Kept jobs (transcription, fill): recorded in `store` from submission
     * until the host frees them after they ended, their inputs in a spool
     * folder of the home, so that a context opened after a restart finds
     * them (casescribe_job_list, casescribe_job_attach). `kept` holds a
     * reference to each live one (found by id), dropped once it is gone. */
    cs_store *store;
    casescribe_job *kept;
} cs_jobs;

int32_t cs_jobs_init(cs_jobs *jobs);
/* Cancels every queued and running job, waits for the workers to stop, and
 * frees what the queue holds. The jobs' handles stay valid. */
void cs_jobs_shutdown(cs_jobs *jobs);

/* Queues a job of `kind` ("policy-refresh"); `arg` is the job's (freed with
 * free_arg when the job is freed, even when this call fails). */
int32_t cs_jobs_submit(cs_jobs *jobs, const char *kind, cs_job_run_fn run, void *arg, cs_job_free_fn free_arg,
                       casescribe_job **job_out);

/* A kept job: its id, and the spool folder (owned by the job from the
 * call, even when it fails) and row detail (copied) it is recorded with.
 * `fresh`: a new job (recorded "queued" now; on failure its row and folder
 * are removed) rather than one reattached after a restart. */
typedef struct cs_job_keep {
    const char *id;
    cs_spool *spool;
    const char *detail;
    int64_t created;
    int fresh;
} cs_job_keep;
int32_t cs_jobs_submit_kept(cs_jobs *jobs, const char *kind, cs_job_run_fn run, void *arg, cs_job_free_fn free_arg,
                            const cs_job_keep *keep, casescribe_job **job_out);
/* How a kept job ended, as its folder keeps it (CS_JOB_ENDED_FILE: JSON
 * status, message, result; the kind's output in files of its own). */
#define CS_JOB_ENDED_FILE "ended"
typedef struct cs_job_ending {
    int32_t status;      /* OK, the error, ECANCELLED */
    const char *message; /* copied; for a failure */
    const char *result;  /* copied; for a success */
    void *output;        /* the job's from the call on success (cs_job_output), the caller's on failure */
    void (*free_output)(void *);
} cs_job_ending;
/* A kept job that ended before its host freed it (its row "done" or
 * "failed"), given back as it ended without running it again: a host
 * handle, listed in this context; `keep` as for cs_jobs_submit_kept (its
 * spool the job's, even on failure). */
int32_t cs_jobs_adopt_ended(cs_jobs *jobs, const char *kind, const cs_job_keep *keep, const cs_job_ending *end,
                            casescribe_job **job_out);
/* From a kept job's run function: keeps what it made in its folder
 * (file `name`), so that a host reattaching after a restart gets it back.
 * Nothing for a job that is not kept. On failure the job's end is not
 * recorded as kept (a restart runs it again). */
int32_t cs_job_keep_output(casescribe_job *job, const char *name, const void *data, size_t len);

/* A live kept job of this context with `id`, as a new host handle (NULL
 * when there is none). */
casescribe_job *cs_jobs_find(cs_jobs *jobs, const char *id);
/* A kept job's id; NULL for others (and NULL). */
const char *cs_job_id(const casescribe_job *job);
/* 1 when the job was stopped by its context closing (it carries on after a
 * restart), not by the host. */
int cs_job_interrupted(const casescribe_job *job);

/* From a job's run function: hands over what the job made (a transcript),
 * freed with `free_output` when the job is freed. */
void cs_job_set_output(casescribe_job *job, void *output, void (*free_output)(void *));
/* What a DONE job of `kind` made, or NULL. Borrowed from the job. */
void *cs_job_output(const casescribe_job *job, const char *kind);

/* From a job's work (any thread it uses): how far it has got, in its kind's
 * unit (casescribe_job_progress); done is kept within 0..total. The add
 * counts more done. NULL (work run outside a job) does nothing. */
void cs_job_progress_set(const casescribe_job *job, int64_t done, int64_t total);
void cs_job_progress_add(const casescribe_job *job, int64_t delta);

/* 1 once the host or the context has asked the job to stop; 0 for NULL
 * (work run outside a job). Any thread. */
int cs_job_cancelled(const casescribe_job *job);

#endif
