/* SPDX-License-Identifier: Apache-2.0 */
/* spool.h - the inputs (and results) of jobs that must survive a restart,
 * kept as files in the home beside the store, whatever its backend:
 * <home>/jobs/ (0700) holds one folder per job, <home>/jobs/<id>/ (0700),
 * whose files are 0600 (the form, the recording or transcript, what the
 * job made). The job's row in the store (cs_store_job_put) says what the
 * folder holds; the folder holds no row.
 *
 * A job being run by a process holds an flock on <dir>/claim for as long as
 * that process has it, so that another process (a second worker of the
 * host) never takes over a job that is alive elsewhere; the lock goes when
 * the process dies (kill -9 included).
 *
 * Errors: EINVAL (bad id, path too long), EIO, ENOMEM, ENOTFOUND, EBUSY
 * (claimed by another process), with the message set by cs_fail().
 */
#ifndef CS_STORE_SPOOL_H
#define CS_STORE_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define CS_JOB_ID_LEN 33 /* 32 hex digits (128 random bits) and the NUL */

typedef struct cs_spool cs_spool;

/* A new random job id. EINTERNAL when no random bytes. */
int32_t cs_spool_new_id(char id[CS_JOB_ID_LEN]);
/* 1 when `id` is 32 lowercase hex digits. */
int cs_spool_valid_id(const char *id);

/* Opens (create: makes, 0700) the folder of job `id` in `home` and claims
 * it for this process. EBUSY when another process (or another handle of
 * this one) holds it; ENOTFOUND when it does not exist and !create. */
int32_t cs_spool_open(cs_spool **out, const char *home, const char *id, int create);
/* Releases the claim and keeps the files (the job carries on after a
 * restart). NULL is a no-op. */
void cs_spool_close(cs_spool *sp);
/* Deletes the folder and everything in it, then closes. NULL is a no-op. */
void cs_spool_remove(cs_spool *sp);

/* The path of file `name` of the job into out[n]. EINVAL when too long. */
int32_t cs_spool_path(const cs_spool *sp, const char *name, char *out, size_t n);
/* Writes `name` (0600, atomically, synced). */
int32_t cs_spool_write(cs_spool *sp, const char *name, const void *data, size_t len);
/* Copies the file at `from` in as `name` (0600, synced). ENOTFOUND when
 * `from` does not exist. */
int32_t cs_spool_copy_in(cs_spool *sp, const char *name, const char *from);
/* Reads `name` (at most `max` bytes; NUL-terminated, free it). ENOTFOUND
 * (no message) when missing. */
int32_t cs_spool_read(const cs_spool *sp, const char *name, uint8_t **out, size_t *len, size_t max);

#endif
