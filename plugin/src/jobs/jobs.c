/* jobs.c - the context's job queue and its worker threads. */
#include "jobs/jobs.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    pthread_cond_destroy(&job->ended);
    pthread_mutex_destroy(&job->lock);
    free(job);
}

static int ended_state(int state)
{
    return state == CASESCRIBE_JOB_DONE || state == CASESCRIBE_JOB_FAILED || state == CASESCRIBE_JOB_CANCELLED;
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
    job->message = status == CASESCRIBE_OK ? NULL : cs_strdup(message != NULL && message[0] ? message : casescribe_strerror(status));
    job->result = result;
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

int cs_job_cancelled(const casescribe_job *job)
{
    return job != NULL && __atomic_load_n(&job->cancel, __ATOMIC_ACQUIRE) != 0;
}

/* ---- the workers ---------------------------------------------------------- */

static void run_one(casescribe_job *job)
{
    char *result = NULL;
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

int32_t cs_jobs_submit(cs_jobs *jobs, const char *kind, cs_job_run_fn run, void *arg, cs_job_free_fn free_arg,
                       casescribe_job **job_out)
{
    *job_out = NULL;
    casescribe_job *job = calloc(1, sizeof(*job));
    if (job == NULL) {
        if (free_arg != NULL)
            free_arg(arg);
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
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
        return cs_fail(CASESCRIBE_ENOMEM, "cannot make a job's lock");
    }
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
    }
    pthread_mutex_unlock(&jobs->lock);
    if (rc != CASESCRIBE_OK) {
        job_unref(job);
        return rc;
    }
    *job_out = job;
    return CASESCRIBE_OK;
}

void cs_jobs_shutdown(cs_jobs *jobs)
{
    pthread_mutex_lock(&jobs->lock);
    jobs->closing = 1;
    casescribe_job *queued = jobs->head;
    jobs->head = jobs->tail = NULL;
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

void casescribe_job_free(casescribe_job *job)
{
    if (job != NULL)
        job_unref(job);
}
