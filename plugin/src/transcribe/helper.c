/* SPDX-License-Identifier: Apache-2.0 */
/* helper.c - the supervised helper processes. */
#include "transcribe/helper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "jobs/jobs.h"
#include "transcribe/protocol.h"

extern char **environ;

#define POLL_SLICE_MS 100 /* how often a wait looks at the job's cancel flag */

int64_t cs_monotonic_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int32_t spawn_setup(posix_spawn_file_actions_t *fa, posix_spawnattr_t *attr, int child_fd)
{
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    int err = posix_spawn_file_actions_init(fa);
    if (err == 0 && (err = posix_spawnattr_init(attr)) != 0)
        posix_spawn_file_actions_destroy(fa);
    if (err != 0)
        return cs_fail(CASESCRIBE_ENOMEM, "cannot prepare a helper process: %s", strerror(err));
    /* The socket becomes stdin and stdout; stderr goes nowhere; nothing else
     * of the host's is inherited. Signals are back to their defaults and
     * unblocked (our worker threads block them all). */
    err = posix_spawn_file_actions_adddup2(fa, child_fd, STDIN_FILENO);
    if (err == 0)
        err = posix_spawn_file_actions_adddup2(fa, child_fd, STDOUT_FILENO);
    if (err == 0)
        err = posix_spawn_file_actions_addopen(fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    if (err == 0)
        err = posix_spawn_file_actions_addclosefrom_np(fa, STDERR_FILENO + 1);
    if (err == 0)
        err = posix_spawnattr_setsigmask(attr, &none);
    if (err == 0)
        err = posix_spawnattr_setsigdefault(attr, &all);
    if (err == 0)
        err = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (err != 0) {
        posix_spawn_file_actions_destroy(fa);
        posix_spawnattr_destroy(attr);
        return cs_fail(CASESCRIBE_ENOMEM, "cannot prepare a helper process: %s", strerror(err));
    }
    return CASESCRIBE_OK;
}

int32_t cs_helper_start(cs_helper *h, const char *path, char *const argv[])
{
    memset(h, 0, sizeof(*h));
    h->pid = -1;
    h->fd = -1;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return cs_fail(CASESCRIBE_EINTERNAL, "cannot make a socket for the helper: %s", strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int32_t rc = spawn_setup(&fa, &attr, sv[1]);
    if (rc == CASESCRIBE_OK) {
        int err = posix_spawn(&h->pid, path, &fa, &attr, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        if (err != 0) {
            h->pid = -1;
            rc = cs_fail(CASESCRIBE_EINTERNAL, "cannot start the helper %s: %s", path, strerror(err));
        }
    }
    close(sv[1]);
    if (rc != CASESCRIBE_OK) {
        close(sv[0]);
        return rc;
    }
    h->fd = sv[0];
    fcntl(h->fd, F_SETFL, fcntl(h->fd, F_GETFL) | O_NONBLOCK);
    return CASESCRIBE_OK;
}

/* Reaps our child only. A host that reaps every child itself (waitpid(-1)
 * in a SIGCHLD handler) may have done it first: ECHILD is fine. */
static void reap(pid_t pid, int grace_ms)
{
    int64_t until = cs_monotonic_ms() + grace_ms;
    for (;;) {
        pid_t r = waitpid(pid, NULL, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            return;
        if (cs_monotonic_ms() >= until)
            break;
        struct timespec ten_ms = {0, 10000000};
        nanosleep(&ten_ms, NULL);
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

void cs_helper_close(cs_helper *h, int grace_ms)
{
    if (h->fd >= 0)
        close(h->fd);
    if (h->pid > 0)
        reap(h->pid, grace_ms);
    free(h->pending);
    memset(h, 0, sizeof(*h));
    h->pid = -1;
    h->fd = -1;
}

void cs_helper_stop(cs_helper *h)
{
    if (h->pid > 0)
        kill(h->pid, SIGKILL);
    cs_helper_close(h, 0);
}

/* Waits for `events` on the helper's socket until the deadline, looking at
 * the cancel flag every slice. */
static int32_t wait_for(cs_helper *h, short events, int64_t deadline_ms, const casescribe_job *job)
{
    for (;;) {
        if (job != NULL && cs_job_cancelled(job))
            return cs_fail(CASESCRIBE_ECANCELLED, "cancelled");
        int64_t left = deadline_ms - cs_monotonic_ms();
        if (left <= 0)
            return cs_fail(CASESCRIBE_EINTERNAL, "the speech helper did not answer in time");
        struct pollfd p = {h->fd, events, 0};
        int n = poll(&p, 1, (int)(left < POLL_SLICE_MS ? left : POLL_SLICE_MS));
        if (n > 0)
            return CASESCRIBE_OK; /* ready, or hung up: the read or write will say */
        if (n < 0 && errno != EINTR)
            return cs_fail(CASESCRIBE_EINTERNAL, "cannot wait for the speech helper: %s", strerror(errno));
    }
}

int32_t cs_helper_send(cs_helper *h, const void *data, size_t len, int64_t deadline_ms, const casescribe_job *job)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(h->fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return cs_fail(CASESCRIBE_EINTERNAL, "the speech helper stopped (%s)", strerror(errno));
        int32_t rc = wait_for(h, POLLOUT, deadline_ms, job);
        if (rc != CASESCRIBE_OK)
            return rc;
    }
    return CASESCRIBE_OK;
}

/* Reads what is there into the pending buffer; 0 bytes means the helper
 * closed its end. */
static int32_t fill(cs_helper *h, size_t limit, int64_t deadline_ms, const casescribe_job *job)
{
    int32_t rc = wait_for(h, POLLIN, deadline_ms, job);
    if (rc != CASESCRIBE_OK)
        return rc;
    char buf[65536];
    ssize_t n = recv(h->fd, buf, sizeof(buf), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return CASESCRIBE_OK;
    if (n <= 0)
        return cs_fail(CASESCRIBE_EINTERNAL, "the speech helper stopped");
    if (h->pending_len + (size_t)n > limit)
        return cs_fail(CASESCRIBE_EINTERNAL, "the speech helper sent more than expected");
    char *grown = realloc(h->pending, h->pending_len + (size_t)n + 1);
    if (grown == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    memcpy(grown + h->pending_len, buf, (size_t)n);
    h->pending = grown;
    h->pending_len += (size_t)n;
    return CASESCRIBE_OK;
}

/* Takes `n` bytes off the front of the pending buffer. */
static void consume(cs_helper *h, size_t n)
{
    memmove(h->pending, h->pending + n, h->pending_len - n);
    h->pending_len -= n;
}

int32_t cs_helper_read_json(cs_helper *h, json_t **out, int64_t deadline_ms, const casescribe_job *job)
{
    *out = NULL;
    for (;;) {
        char *nl = h->pending != NULL ? memchr(h->pending, '\n', h->pending_len) : NULL;
        if (nl != NULL) {
            size_t line = (size_t)(nl - h->pending);
            json_error_t err;
            *out = json_loadb(h->pending, line, JSON_REJECT_DUPLICATES, &err);
            consume(h, line + 1);
            return *out != NULL && json_is_object(*out)
                       ? CASESCRIBE_OK
                       : cs_fail(CASESCRIBE_EINTERNAL, "the speech helper sent a line that is not a JSON object");
        }
        int32_t rc = fill(h, CS_ASR_MAX_LINE, deadline_ms, job);
        if (rc != CASESCRIBE_OK)
            return rc;
    }
}

int32_t cs_helper_read_raw(cs_helper *h, void *data, size_t len, int64_t deadline_ms, const casescribe_job *job)
{
    char *p = data;
    for (;;) {
        size_t take = h->pending_len < len ? h->pending_len : len;
        if (take > 0) {
            memcpy(p, h->pending, take);
            consume(h, take);
            p += take;
            len -= take;
        }
        if (len == 0)
            return CASESCRIBE_OK;
        /* Big reads go straight to the caller's buffer. */
        int32_t rc = wait_for(h, POLLIN, deadline_ms, job);
        if (rc != CASESCRIBE_OK)
            return rc;
        ssize_t n = recv(h->fd, p, len, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0)
            return cs_fail(CASESCRIBE_EINTERNAL, "the speech helper stopped");
        p += n;
        len -= (size_t)n;
    }
}
