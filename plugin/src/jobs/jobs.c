/* SPDX-License-Identifier: Apache-2.0 */
/* jobs.c - the context's job queue and its worker threads. */
#include "jobs/jobs.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "internal.h"

struct casescribe_job {
    pthread_mutex_t lock;
    pthread_cond_t ended;
    int refs;
    int state; /* CASESCRIBE_JOB_* */
    int32_t status;
    char *message, *result;
    int cancel; /* read and written atomically */
    const char *kind;
    cs_job_run_fn run;
    void *arg;
    cs_job_free_fn free_arg;
    void *output;
    void (*free_output)(void *);
    casescribe_job_callback on_end;
    void *on_end_user;
    sigset_t on_end_mask; /* the signal mask of the thread that set on_end */
    casescribe_job *next; /* in the queue */
    /* Kept jobs only (id[0] != 0); under `lock` unless said otherwise. */
    char id[CS_JOB_ID_LEN];
    cs_spool *spool;      /* NULL once gone or the context closed */
    cs_jobs *owner;       /* NULL once the context closed */
    char *detail;
    int64_t created;
    int host_refs;        /* handles the host holds */
    int interrupted;      /* atomic: stopped by the context closing */
    int gone;             /* atomic: its row and folder were removed */
    int keep_failed;      /* what it made could not be kept: a restart runs it again */
    casescribe_job *next_kept; /* under owner->lock */
    /* How far it has got, in the kind's unit (casescribe_job_progress);
     * read and written atomically. */
    int64_t progress_done, progress_total;
};

/* ---- one job -------------------------------------------------------------- */

static casescribe_job *job_ref(casescribe_job *job)
{
    __atomic_add_fetch(&job->refs, 1, __ATOMIC_RELAXED);
    return job;
}

static void job_unref(casescribe_job *job)
{
    if (job == NULL || __atomic_sub_fetch(&job->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    if (job->free_arg != NULL)
        job->free_arg(job->arg);
    if (job->free_output != NULL)
        job->free_output(job->output);
    free(job->message);
    free(job->result);
    free(job->detail);
    cs_spool_close(job->spool);
    pthread_cond_destroy(&job->ended);
    pthread_mutex_destroy(&job->lock);
    free(job);
}

static int ended_state(int state)
{
    return state == CASESCRIBE_JOB_DONE || state == CASESCRIBE_JOB_FAILED || state == CASESCRIBE_JOB_CANCELLED;
}

/* ---- kept jobs: their row in the store ------------------------------------- */

static const char *row_state(int state)
{
    return state == CASESCRIBE_JOB_QUEUED    ? "queued"
           : state == CASESCRIBE_JOB_RUNNING ? "running"
           : state == CASESCRIBE_JOB_DONE    ? "done"
                                             : "failed";
}

static int kept_open(const casescribe_job *job)
{
    return job->owner != NULL && job->spool != NULL;
}

/* Under job->lock, the context open: records the job's state in its row. */
static int32_t keep_state(casescribe_job *job)
{
    cs_store_txn *tx = NULL;
    cs_store_job row = {job->id, job->kind, row_state(job->state), job->detail, job->created, cs_now()};
    int32_t rc = cs_store_begin(job->owner->store, CS_STORE_WRITE, &tx);
    if (rc == CASESCRIBE_OK && (rc = cs_store_job_put(tx, &row)) != CASESCRIBE_OK)
        cs_store_rollback(tx);
    else if (rc == CASESCRIBE_OK)
        rc = cs_store_commit(tx);
    return rc;
}

/* Under job->lock, the context open: the host is done with the job, so its
 * row and then its folder go (the folder stays when the row could not be
 * removed: a row never names a missing input). */
static void keep_forget(casescribe_job *job)
{
    cs_store_txn *tx = NULL;
    int32_t rc = cs_store_begin(job->owner->store, CS_STORE_WRITE, &tx);
    if (rc == CASESCRIBE_OK && (rc = cs_store_job_delete(tx, job->id)) != CASESCRIBE_OK)
        cs_store_rollback(tx);
    else if (rc == CASESCRIBE_OK)
        rc = cs_store_commit(tx);
    if (rc == CASESCRIBE_OK) {
        cs_spool_remove(job->spool);
        job->spool = NULL;
        __atomic_store_n(&job->gone, 1, __ATOMIC_RELEASE);
    }
}

/* Under job->lock: how the job ended, into its folder ("ended": status,
 * message, result), so that a context opened later gives it back on attach
 * instead of running the job again. */
static int32_t keep_ended(casescribe_job *job)
{
    json_t *e = json_pack("{s:i, s:s, s:s}", "status", (int)job->status, "message",
                          job->message != NULL ? job->message : "", "result", job->result != NULL ? job->result : "");
    char *text = e != NULL ? json_dumps(e, JSON_COMPACT) : NULL;
    json_decref(e);
    int32_t rc = text != NULL ? cs_spool_write(job->spool, CS_JOB_ENDED_FILE, text, strlen(text))
                              : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    free(text);
    return rc;
}

int32_t cs_job_keep_output(casescribe_job *job, const char *name, const void *data, size_t len)
{
    pthread_mutex_lock(&job->lock);
    int32_t rc = kept_open(job) ? cs_spool_write(job->spool, name, data, len) : CASESCRIBE_OK;
    if (rc != CASESCRIBE_OK)
        job->keep_failed = 1;
    pthread_mutex_unlock(&job->lock);
    return rc;
}

/* Under job->lock, as a kept job ends: its row says so until the host frees
 * it (or at once when the host already did); a job stopped by its context
 * closing stays as it was, to run again after the restart. */
static void keep_end(casescribe_job *job, int32_t status)
{
    if (!kept_open(job) || (status == CASESCRIBE_ECANCELLED && cs_job_interrupted(job)))
        return;
    if (job->host_refs == 0)
        keep_forget(job);
    else if (!job->keep_failed && keep_ended(job) == CASESCRIBE_OK)
        keep_state(job); /* the row says "done" only once the result is kept */
    cs_clear_error(); /* the job's own message is already copied */
}

/* Records how the job ended, wakes its waiters, then calls the host's
 * callback (outside the lock, so that the callback may read the job). */
static void job_end(casescribe_job *job, int32_t status, const char *message, char *result)
{
    pthread_mutex_lock(&job->lock);
    job->state = status == CASESCRIBE_OK          ? CASESCRIBE_JOB_DONE
                 : status == CASESCRIBE_ECANCELLED ? CASESCRIBE_JOB_CANCELLED
                                                   : CASESCRIBE_JOB_FAILED;
    job->status = status;
    if (status == CASESCRIBE_OK) /* all of it is done */
        __atomic_store_n(&job->progress_done, __atomic_load_n(&job->progress_total, __ATOMIC_ACQUIRE),
                         __ATOMIC_RELEASE);
    job->message = status == CASESCRIBE_OK ? NULL : cs_strdup(message != NULL && message[0] ? message : casescribe_strerror(status));
    job->result = result;
    keep_end(job, status);
    casescribe_job_callback cb = job->on_end;
    void *user = job->on_end_user;
    sigset_t mask = job->on_end_mask, old;
    job->on_end = NULL;
    pthread_cond_broadcast(&job->ended);
    pthread_mutex_unlock(&job->lock);
    if (cb == NULL)
        return;
    /* Workers block every signal, but the callback runs the host's code:
     * managed runtimes (Mono, for one) stop their threads with signals to
     * collect garbage, and would wait forever for a thread that cannot
     * receive them. It runs with the signal mask of the thread that set it. */
    pthread_sigmask(SIG_SETMASK, &mask, &old);
    cb(job, user);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void cs_job_set_output(casescribe_job *job, void *output, void (*free_output)(void *))
{
    pthread_mutex_lock(&job->lock);
    job->output = output;
    job->free_output = free_output;
    pthread_mutex_unlock(&job->lock);
}

void *cs_job_output(const casescribe_job *job, const char *kind)
{
    casescribe_job *j = (casescribe_job *)job;
    pthread_mutex_lock(&j->lock);
    void *out = j->state == CASESCRIBE_JOB_DONE && strcmp(j->kind, kind) == 0 ? j->output : NULL;
    pthread_mutex_unlock(&j->lock);
    return out;
}

const char *cs_job_id(const casescribe_job *job)
{
    return job != NULL && job->id[0] != '\0' ? job->id : NULL;
}

int cs_job_interrupted(const casescribe_job *job)
{
    return job != NULL && __atomic_load_n(&job->interrupted, __ATOMIC_ACQUIRE) != 0;
}

/* The job is the run function's own (not const to it); the fillers are
 * handed it const, as they may only read it, and report through here. */
void cs_job_progress_set(const casescribe_job *job, int64_t done, int64_t total)
{
    casescribe_job *j = (casescribe_job *)job;
    if (j == NULL || done < 0 || total < 0)
        return;
    __atomic_store_n(&j->progress_total, total, __ATOMIC_RELAXED);
    __atomic_store_n(&j->progress_done, done < total ? done : total, __ATOMIC_RELEASE);
}

void cs_job_progress_add(const casescribe_job *job, int64_t delta)
{
    casescribe_job *j = (casescribe_job *)job;
    if (j == NULL || delta <= 0)
        return;
    int64_t total = __atomic_load_n(&j->progress_total, __ATOMIC_ACQUIRE);
    int64_t done = __atomic_add_fetch(&j->progress_done, delta, __ATOMIC_ACQ_REL);
    if (done > total) /* never more than all of it */
        __atomic_store_n(&j->progress_done, total, __ATOMIC_RELEASE);
}

int cs_job_cancelled(const casescribe_job *job)
{
    return job != NULL && __atomic_load_n(&job->cancel, __ATOMIC_ACQUIRE) != 0;
}

/* ---- the workers ---------------------------------------------------------- */

static void run_one(casescribe_job *job)
{
    char *result = NULL;
    pthread_mutex_lock(&job->lock);
    if (kept_open(job) && keep_state(job) != CASESCRIBE_OK) /* "running": the restart will run it again */
        cs_clear_error();
    pthread_mutex_unlock(&job->lock);
    cs_clear_error();
    int32_t status = cs_job_cancelled(job) ? CASESCRIBE_ECANCELLED : job->run(job, job->arg, &result);
    /* A job that finished before it saw a cancel keeps its work; one that
     * failed after a cancel was stopped by it. */
    if (status != CASESCRIBE_OK && cs_job_cancelled(job))
        status = CASESCRIBE_ECANCELLED;
    if (status != CASESCRIBE_OK) {
        free(result);
        result = NULL;
    }
    job_end(job, status, status == CASESCRIBE_ECANCELLED ? "the job was cancelled" : casescribe_last_error(),
            result);
}

static void *worker(void *arg)
{
    cs_jobs *jobs = arg;
    pthread_mutex_lock(&jobs->lock);
    for (;;) {
        while (jobs->head == NULL && !jobs->closing)
            pthread_cond_wait(&jobs->work, &jobs->lock);
        if (jobs->head == NULL)
            break; /* closing, and nothing left */
        casescribe_job *job = jobs->head;
        jobs->head = job->next;
        if (jobs->head == NULL)
            jobs->tail = NULL;
        job->next = NULL;
        int slot = 0;
        while (jobs->running[slot] != NULL)
            slot++; /* at most CS_JOB_WORKERS run at once, so a slot is free */
        jobs->running[slot] = job;
        pthread_mutex_lock(&job->lock);
        job->state = CASESCRIBE_JOB_RUNNING;
        pthread_mutex_unlock(&job->lock);
        pthread_mutex_unlock(&jobs->lock);
        run_one(job);
        pthread_mutex_lock(&jobs->lock);
        jobs->running[slot] = NULL;
        job_unref(job); /* the queue's reference */
    }
    pthread_mutex_unlock(&jobs->lock);
    return NULL;
}

int32_t cs_jobs_init(cs_jobs *jobs)
{
    memset(jobs, 0, sizeof(*jobs));
    if (pthread_mutex_init(&jobs->lock, NULL) != 0)
        return cs_fail(CASESCRIBE_ENOMEM, "cannot make the job queue's lock");
    if (pthread_cond_init(&jobs->work, NULL) != 0) {
        pthread_mutex_destroy(&jobs->lock);
        return cs_fail(CASESCRIBE_ENOMEM, "cannot make the job queue's condition");
    }
    return CASESCRIBE_OK;
}

/* Under jobs->lock: starts a worker when there are fewer than the most.
 * The worker blocks every signal: signals are the host's, for its threads. */
static int32_t start_worker(cs_jobs *jobs)
{
    if (jobs->n_workers == CS_JOB_WORKERS)
        return CASESCRIBE_OK;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int err = pthread_create(&jobs->workers[jobs->n_workers], NULL, worker, jobs);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0)
        return jobs->n_workers > 0 ? CASESCRIBE_OK /* the running ones will get to it */
                                   : cs_fail(CASESCRIBE_ENOMEM, "cannot start a job thread: %s", strerror(err));
    jobs->n_workers++;
    return CASESCRIBE_OK;
}

/* A new job (one reference: the host's), or NULL with the message set and
 * `arg` freed. */
static casescribe_job *job_new(const char *kind, cs_job_run_fn run, void *arg, cs_job_free_fn free_arg)
{
    casescribe_job *job = calloc(1, sizeof(*job));
    if (job == NULL) {
        if (free_arg != NULL)
            free_arg(arg);
        cs_fail(CASESCRIBE_ENOMEM, "out of memory");
        return NULL;
    }
    job->kind = kind;
    job->run = run;
    job->arg = arg;
    job->free_arg = free_arg;
    job->refs = 1;
    job->state = CASESCRIBE_JOB_QUEUED;
    job->status = CASESCRIBE_EBUSY;
    if (pthread_mutex_init(&job->lock, NULL) != 0 || pthread_cond_init(&job->ended, NULL) != 0) {
        free(job); /* a failed init leaves nothing to destroy on Linux */
        if (free_arg != NULL)
            free_arg(arg);
        cs_fail(CASESCRIBE_ENOMEM, "cannot make a job's lock");
        return NULL;
    }
    return job;
}

/* Under jobs->lock: takes the kept jobs that are gone off the list, into
 * *gone (unreferenced by the caller, outside the lock). */
static void prune_kept(cs_jobs *jobs, casescribe_job **gone)
{
    for (casescribe_job **p = &jobs->kept; *p != NULL;) {
        casescribe_job *j = *p;
        if (!__atomic_load_n(&j->gone, __ATOMIC_ACQUIRE)) {
            p = &j->next_kept;
            continue;
        }
        *p = j->next_kept;
        j->next_kept = *gone;
        *gone = j;
    }
}

static void unref_list(casescribe_job *list)
{
    while (list != NULL) {
        casescribe_job *next = list->next_kept;
        job_unref(list);
        list = next;
    }
}

/* Under jobs->lock: lists a kept job (found by id from now on). */
static void list_kept(cs_jobs *jobs, casescribe_job *job, casescribe_job **gone)
{
    prune_kept(jobs, gone);
    job->next_kept = jobs->kept;
    jobs->kept = job_ref(job); /* the list's */
}

/* Queues `job` (and, when kept, lists it); on failure the caller still
 * holds its reference. */
static int32_t enqueue(cs_jobs *jobs, casescribe_job *job)
{
    casescribe_job *gone = NULL;
    pthread_mutex_lock(&jobs->lock);
    int32_t rc = jobs->closing ? cs_fail(CASESCRIBE_EINVAL, "the context is closing") : start_worker(jobs);
    if (rc == CASESCRIBE_OK) {
        job_ref(job); /* the queue's */
        if (jobs->tail != NULL)
            jobs->tail->next = job;
        else
            jobs->head = job;
        jobs->tail = job;
        pthread_cond_signal(&jobs->work);
        if (job->id[0] != '\0')
            list_kept(jobs, job, &gone);
    }
    pthread_mutex_unlock(&jobs->lock);
    unref_list(gone);
    return rc;
}

int32_t cs_jobs_submit(cs_jobs *jobs, const char *kind, cs_job_run_fn run, void *arg, cs_job_free_fn free_arg,
                       casescribe_job **job_out)
{
    *job_out = NULL;
    casescribe_job *job = job_new(kind, run, arg, free_arg);
    if (job == NULL)
        return CASESCRIBE_ENOMEM;
    int32_t rc = enqueue(jobs, job);
    if (rc != CASESCRIBE_OK) {
        job_unref(job);
        return rc;
    }
    *job_out = job;
    return CASESCRIBE_OK;
}

/* A kept job's host-side fields, from `keep` (the spool is the job's from
 * now on). */
static int32_t keep_fields(casescribe_job *job, cs_jobs *jobs, const cs_job_keep *keep)
{
    snprintf(job->id, sizeof(job->id), "%s", keep->id);
    job->spool = keep->spool;
    job->owner = jobs;
    job->created = keep->created;
    job->host_refs = 1;
    return (job->detail = cs_strdup(keep->detail)) == NULL ? cs_fail(CASESCRIBE_ENOMEM, "out of memory")
                                                            : CASESCRIBE_OK;
}

int32_t cs_jobs_submit_kept(cs_jobs *jobs, const char *kind, cs_job_run_fn run, void *arg, cs_job_free_fn free_arg,
                            const cs_job_keep *keep, casescribe_job **job_out)
{
    *job_out = NULL;
    casescribe_job *job = job_new(kind, run, arg, free_arg);
    if (job == NULL) {
        cs_spool_close(keep->spool); /* a fresh one's folder is removed by its caller */
        return CASESCRIBE_ENOMEM;
    }
    int32_t rc = keep_fields(job, jobs, keep);
    if (rc == CASESCRIBE_OK && keep->fresh)
        rc = keep_state(job); /* "queued": from now on a restart finds it */
    if (rc == CASESCRIBE_OK)
        rc = enqueue(jobs, job);
    if (rc != CASESCRIBE_OK) {
        int32_t keep_rc = rc;
        char message[1024];
        snprintf(message, sizeof(message), "%s", casescribe_last_error());
        if (keep->fresh) {
            keep_forget(job); /* not yet shared: no lock needed */
            cs_spool_remove(job->spool);
            job->spool = NULL;
        }
        job->owner = NULL;
        job_unref(job);
        return cs_fail(keep_rc, "%s", message);
    }
    *job_out = job;
    return CASESCRIBE_OK;
}

/* A job's end as `end` says it (the output the job's from now on). */
static int32_t ended_fields(casescribe_job *job, const cs_job_ending *end)
{
    job->status = end->status;
    job->state = end->status == CASESCRIBE_OK ? CASESCRIBE_JOB_DONE
                 : end->status == CASESCRIBE_ECANCELLED ? CASESCRIBE_JOB_CANCELLED : CASESCRIBE_JOB_FAILED;
    job->output = end->output;
    job->free_output = end->free_output;
    if (end->status != CASESCRIBE_OK && (job->message = cs_strdup(end->message)) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (end->status == CASESCRIBE_OK && (job->result = cs_strdup(end->result)) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    return CASESCRIBE_OK;
}

int32_t cs_jobs_adopt_ended(cs_jobs *jobs, const char *kind, const cs_job_keep *keep, const cs_job_ending *end,
                            casescribe_job **job_out)
{
    *job_out = NULL;
    casescribe_job *job = job_new(kind, NULL, NULL, NULL);
    if (job == NULL) {
        cs_spool_close(keep->spool);
        return CASESCRIBE_ENOMEM;
    }
    int32_t rc = keep_fields(job, jobs, keep);
    if (rc == CASESCRIBE_OK)
        rc = ended_fields(job, end); /* before it is listed: another thread may find it at once */
    casescribe_job *gone = NULL;
    pthread_mutex_lock(&jobs->lock);
    if (rc == CASESCRIBE_OK && jobs->closing)
        rc = cs_fail(CASESCRIBE_EINVAL, "the context is closing");
    if (rc == CASESCRIBE_OK)
        list_kept(jobs, job, &gone);
    pthread_mutex_unlock(&jobs->lock);
    unref_list(gone);
    if (rc != CASESCRIBE_OK) {
        job->owner = NULL; /* its row and folder stay for another try */
        job->output = NULL; /* the caller's again */
        job->free_output = NULL;
        job_unref(job);
        return rc;
    }
    *job_out = job;
    return CASESCRIBE_OK;
}

casescribe_job *cs_jobs_find(cs_jobs *jobs, const char *id)
{
    casescribe_job *found = NULL;
    pthread_mutex_lock(&jobs->lock);
    for (casescribe_job *j = jobs->kept; j != NULL && found == NULL; j = j->next_kept)
        if (strcmp(j->id, id) == 0 && !__atomic_load_n(&j->gone, __ATOMIC_ACQUIRE))
            found = job_ref(j);
    pthread_mutex_unlock(&jobs->lock);
    if (found != NULL) {
        pthread_mutex_lock(&found->lock);
        found->host_refs++;
        pthread_mutex_unlock(&found->lock);
    }
    return found;
}

void cs_jobs_shutdown(cs_jobs *jobs)
{
    pthread_mutex_lock(&jobs->lock);
    jobs->closing = 1;
    casescribe_job *queued = jobs->head;
    jobs->head = jobs->tail = NULL;
    for (casescribe_job *j = jobs->kept; j != NULL; j = j->next_kept)
        __atomic_store_n(&j->interrupted, 1, __ATOMIC_RELEASE); /* before the cancel each sees */
    for (int i = 0; i < CS_JOB_WORKERS; i++)
        if (jobs->running[i] != NULL)
            __atomic_store_n(&jobs->running[i]->cancel, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&jobs->work);
    pthread_mutex_unlock(&jobs->lock);
    while (queued != NULL) {
        casescribe_job *next = queued->next;
        __atomic_store_n(&queued->cancel, 1, __ATOMIC_RELEASE);
        job_end(queued, CASESCRIBE_ECANCELLED, "the context was closed before the job ran", NULL);
        job_unref(queued);
        queued = next;
    }
    for (int i = 0; i < jobs->n_workers; i++)
        pthread_join(jobs->workers[i], NULL);
    /* The kept jobs let go of the store and their folders (their claims),
     * which stay for the context opened after. */
    for (casescribe_job *j = jobs->kept; j != NULL; j = j->next_kept) {
        pthread_mutex_lock(&j->lock);
        cs_spool_close(j->spool);
        j->spool = NULL;
        j->owner = NULL;
        pthread_mutex_unlock(&j->lock);
    }
    unref_list(jobs->kept);
    jobs->kept = NULL;
    pthread_cond_destroy(&jobs->work);
    pthread_mutex_destroy(&jobs->lock);
}

/* ---- the public interface ------------------------------------------------- */

int32_t casescribe_job_state(const casescribe_job *job)
{
    if (job == NULL)
        return CASESCRIBE_EINVAL;
    casescribe_job *j = (casescribe_job *)job;
    pthread_mutex_lock(&j->lock);
    int state = j->state;
    pthread_mutex_unlock(&j->lock);
    return state;
}

const char *casescribe_job_kind(const casescribe_job *job)
{
    return job != NULL ? job->kind : NULL;
}

/* An absolute CLOCK_REALTIME deadline `ms` from now. */
static struct timespec deadline_in(int32_t ms)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

int32_t casescribe_job_wait(casescribe_job *job, int32_t timeout_ms)
{
    if (job == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_job_wait: job is NULL");
    struct timespec until = deadline_in(timeout_ms > 0 ? timeout_ms : 0);
    pthread_mutex_lock(&job->lock);
    int err = 0;
    while (!ended_state(job->state) && timeout_ms != 0 && err != ETIMEDOUT)
        err = timeout_ms < 0 ? pthread_cond_wait(&job->ended, &job->lock)
                             : pthread_cond_timedwait(&job->ended, &job->lock, &until);
    int ended = ended_state(job->state);
    pthread_mutex_unlock(&job->lock);
    return ended ? CASESCRIBE_OK : cs_fail(CASESCRIBE_EBUSY, "the job has not ended yet");
}

int32_t casescribe_job_status(const casescribe_job *job)
{
    if (job == NULL)
        return CASESCRIBE_EINVAL;
    casescribe_job *j = (casescribe_job *)job;
    pthread_mutex_lock(&j->lock);
    int32_t status = ended_state(j->state) ? j->status : CASESCRIBE_EBUSY;
    pthread_mutex_unlock(&j->lock);
    return status;
}

const char *casescribe_job_message(const casescribe_job *job)
{
    if (job == NULL)
        return NULL;
    casescribe_job *j = (casescribe_job *)job;
    pthread_mutex_lock(&j->lock);
    const char *m = ended_state(j->state) ? j->message : NULL; /* set once, when the job ends */
    pthread_mutex_unlock(&j->lock);
    return m;
}

int32_t casescribe_job_result(char **result_out, const casescribe_job *job)
{
    if (result_out != NULL)
        *result_out = NULL;
    if (result_out == NULL || job == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_job_result: result_out and job are required");
    casescribe_job *j = (casescribe_job *)job;
    pthread_mutex_lock(&j->lock);
    int state = j->state;
    int32_t status = j->status;
    char *copy = state == CASESCRIBE_JOB_DONE ? cs_strdup(j->result != NULL ? j->result : "") : NULL;
    pthread_mutex_unlock(&j->lock);
    if (!ended_state(state))
        return cs_fail(CASESCRIBE_EBUSY, "the job has not ended yet");
    if (state != CASESCRIBE_JOB_DONE)
        return cs_fail(status, "the job did not succeed: it has no result");
    if (copy == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    *result_out = copy;
    return CASESCRIBE_OK;
}

int32_t casescribe_job_cancel(casescribe_job *job)
{
    if (job == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_job_cancel: job is NULL");
    __atomic_store_n(&job->cancel, 1, __ATOMIC_RELEASE);
    return CASESCRIBE_OK;
}

int32_t casescribe_job_on_end(casescribe_job *job, casescribe_job_callback callback, void *user)
{
    if (job == NULL || callback == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_job_on_end: job and callback are required");
    sigset_t mask;
    pthread_sigmask(SIG_BLOCK, NULL, &mask); /* reads the caller's mask, changes nothing */
    pthread_mutex_lock(&job->lock);
    int ended = ended_state(job->state);
    if (!ended) {
        job->on_end = callback;
        job->on_end_user = user;
        job->on_end_mask = mask;
    }
    pthread_mutex_unlock(&job->lock);
    if (ended)
        callback(job, user); /* it ended first: call now, in this thread */
    return CASESCRIBE_OK;
}

int32_t casescribe_job_progress(const casescribe_job *job, int64_t *done_out, int64_t *total_out)
{
    if (done_out != NULL)
        *done_out = 0;
    if (total_out != NULL)
        *total_out = 0;
    if (job == NULL || done_out == NULL || total_out == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_job_progress: job, done_out and total_out are required");
    casescribe_job *j = (casescribe_job *)job;
    int64_t done = __atomic_load_n(&j->progress_done, __ATOMIC_ACQUIRE);
    int64_t total = __atomic_load_n(&j->progress_total, __ATOMIC_ACQUIRE);
    *done_out = done < total ? done : total; /* a pair read between two stores still makes sense */
    *total_out = total;
    return CASESCRIBE_OK;
}

void casescribe_job_free(casescribe_job *job)
{
    if (job == NULL)
        return;
    if (job->id[0] != '\0') {
        pthread_mutex_lock(&job->lock);
        if (--job->host_refs == 0 && ended_state(job->state) && kept_open(job) && !cs_job_interrupted(job))
            keep_forget(job); /* collected: its row and folder go */
        pthread_mutex_unlock(&job->lock);
        cs_clear_error();
    }
    job_unref(job);
}
