/* SPDX-License-Identifier: Apache-2.0 */
/* retention.h - recordings the library has taken from the host, kept in
 * <home>/audio/ (0700) only as long as the team's policy allows.
 *
 * A job given CASESCRIBE_TRANSCRIBE_TAKE_RECORDING moves the recording
 * there before it reads it. When the transcript is made, the policy's
 * audio-retention-days applies: 0 deletes the recording at once; N keeps
 * it N days, recorded as the file's modification time (the moment it may
 * go), and a sweep deletes every recording whose moment has passed. A job
 * that fails gives the recording back where it came from. Each deletion
 * is journalled (the spool name and the reason: no personal data).
 */
#ifndef CS_TRANSCRIBE_RETENTION_H
#define CS_TRANSCRIBE_RETENTION_H

#include <stdint.h>

/* Moves `path` into <home>/audio/ under a random name keeping its
 * extension (rename, or copy, sync and unlink across file systems), held
 * for a day while the job runs; the new path into *spooled (malloc'd).
 * EIO, ENOTFOUND, ENOMEM. */
int32_t cs_audio_take(char **spooled, const char *home, const char *path);

/* Puts a taken recording back at `path`, unless something is there now
 * (then it stays in the spool, to be swept like any other). */
void cs_audio_give_back(const char *spooled, const char *path);

/* Applies `days` of retention to a taken recording from `now`: 0 deletes
 * it; otherwise its deletion time is set. 1 when it was deleted. */
int32_t cs_audio_retain(int *deleted, const char *spooled, uint32_t days, int64_t now);

/* Deletes every taken recording of `home` whose time has come; how many
 * into *deleted (may be NULL). Each name is passed to `on_delete` (may be
 * NULL) for the journal. EIO. */
int32_t cs_audio_sweep(const char *home, int64_t now, uint32_t *deleted, void (*on_delete)(const char *name, void *),
                       void *user);

#endif
