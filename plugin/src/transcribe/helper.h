/* SPDX-License-Identifier: Apache-2.0 */
/* helper.h - starting, talking to and stopping casescribe-asr processes.
 *
 * A helper is a child process on a socket pair (not pipes: a write to a
 * dead helper must fail with EPIPE, never raise SIGPIPE in the host). It
 * starts with posix_spawn, with no descriptor of the host's but the socket,
 * default signal handling, and stderr on /dev/null. Every read has a
 * deadline and is cancellable; a helper that misses one is killed. Only
 * this child is ever waited for, never "any child" of the host.
 */
#ifndef CS_TRANSCRIBE_HELPER_H
#define CS_TRANSCRIBE_HELPER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "casescribe.h"

typedef struct cs_helper {
    pid_t pid;
    int fd; /* our end of the socket pair, non-blocking */
    char *pending; /* bytes read past the last line */
    size_t pending_len;
} cs_helper;

/* Starts `path` with `argv` (argv[0] included, NULL-terminated). */
int32_t cs_helper_start(cs_helper *h, const char *path, char *const argv[]);
/* Kills (SIGKILL) and reaps the helper. Safe on a helper never started. */
void cs_helper_stop(cs_helper *h);
/* Closes our end and waits up to `grace_ms` for the helper to exit on its
 * own (it does at end of input), then kills it. */
void cs_helper_close(cs_helper *h, int grace_ms);

/* Sends `len` bytes by `deadline_ms` (CLOCK_MONOTONIC ms). ENETWORK is not
 * used here: a helper that is gone or stuck gives EINTERNAL. */
int32_t cs_helper_send(cs_helper *h, const void *data, size_t len, int64_t deadline_ms, const casescribe_job *job);
/* Reads one JSON line (at most CS_ASR_MAX_LINE bytes) by the deadline. */
int32_t cs_helper_read_json(cs_helper *h, json_t **out, int64_t deadline_ms, const casescribe_job *job);
/* Reads exactly `len` raw bytes by the deadline (after a line). */
int32_t cs_helper_read_raw(cs_helper *h, void *data, size_t len, int64_t deadline_ms, const casescribe_job *job);

/* Now, in CLOCK_MONOTONIC milliseconds. */
int64_t cs_monotonic_ms(void);

#endif
