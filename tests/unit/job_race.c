/* SPDX-License-Identifier: Apache-2.0 */
/* job_race.c - many threads submit, poll, wait for, cancel and free jobs
 * while the workers run them, then the context is closed under them.
 *
 * Public header only; a TAP program so that CI can run it under
 * ThreadSanitizer too (see policy_race.c). The jobs are policy refreshes
 * from a port where nothing listens (127.0.0.1:1), so each fails fast
 * with ENETWORK: what is tested is the job machinery, not the network.
 * Every job must end exactly once, in a state that matches its status,
 * and each on-end callback must run exactly once. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "casescribe.h"

#define THREADS 4
#define JOBS_EACH 25

static casescribe_ctx *ctx;
static int callbacks, submitted, wrong;

static void on_end(casescribe_job *job, void *user)
{
    (void)user;
    int32_t state = casescribe_job_state(job), status = casescribe_job_status(job);
    int ok = (state == CASESCRIBE_JOB_FAILED && status == CASESCRIBE_ENETWORK) ||
             (state == CASESCRIBE_JOB_CANCELLED && status == CASESCRIBE_ECANCELLED);
    if (!ok || casescribe_job_message(job) == NULL)
        __atomic_add_fetch(&wrong, 1, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&callbacks, 1, __ATOMIC_SEQ_CST);
}

static void *client(void *arg)
{
    long t = (long)arg;
    casescribe_fetch_options o;
    casescribe_fetch_options_init(&o, sizeof(o));
    o.url = "https://127.0.0.1:1/bundle.xml";
    o.connect_timeout_ms = 2000;
    for (int i = 0; i < JOBS_EACH; i++) {
        casescribe_job *job = NULL;
        if (casescribe_policy_refresh(&job, ctx, &o) != CASESCRIBE_OK) {
            __atomic_add_fetch(&wrong, 1, __ATOMIC_SEQ_CST);
            continue;
        }
        __atomic_add_fetch(&submitted, 1, __ATOMIC_SEQ_CST);
        casescribe_job_on_end(job, on_end, NULL);
        switch ((i + t) % 4) {
        case 0: casescribe_job_cancel(job); break;            /* cancel, maybe before it starts */
        case 1: casescribe_job_wait(job, -1); break;          /* wait to the end */
        case 2: (void)casescribe_job_state(job); break;       /* glance and drop it while it runs */
        default: casescribe_job_wait(job, 1); break;          /* a short wait */
        }
        casescribe_job_free(job);
    }
    return NULL;
}

int main(void)
{
    char home[] = "/tmp/cs-jobrace-XXXXXX";
    if (mkdtemp(home) == NULL)
        return 1;
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = home;
    opts.flags = CASESCRIBE_OPEN_NO_SYNC;
    const char *pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n"
                      "-----END PUBLIC KEY-----\n";
    if (casescribe_ctx_open(&ctx, &opts) != CASESCRIBE_OK ||
        casescribe_policy_trust(ctx, "dpo-1", pem, strlen(pem)) != CASESCRIBE_OK) {
        printf("Bail out! %s\n", casescribe_last_error());
        return 1;
    }
    printf("1..2\n");
    pthread_t threads[THREADS];
    for (long t = 0; t < THREADS; t++)
        pthread_create(&threads[t], NULL, client, (void *)t);
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    casescribe_ctx_close(ctx); /* ends whatever is still queued or running */
    int n = __atomic_load_n(&submitted, __ATOMIC_SEQ_CST), c = __atomic_load_n(&callbacks, __ATOMIC_SEQ_CST);
    printf("%s 1 - every one of %d jobs ended once (%d callbacks)\n", c == n ? "ok" : "not ok", n, c);
    printf("%s 2 - each ended failed with ENETWORK or cancelled, with a message (%d wrong)\n",
           wrong == 0 ? "ok" : "not ok", wrong);
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", home);
    if (system(cmd) != 0)
        return 1;
    return c == n && wrong == 0 ? 0 : 1;
}
