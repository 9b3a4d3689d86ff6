/* SPDX-License-Identifier: Apache-2.0 */
/* tool.h - what the command's files share. The command uses only the
 * public header, like any host system would. */
#ifndef CASESCRIBE_TOOL_H
#define CASESCRIBE_TOOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "casescribe.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2
/* `sar verify` without a trusted key: the files match each other and the
 * key that came with them, which proves nothing about who sealed them. */
#define EXIT_UNPROVEN 3

/* tool_msgs.c: the usage and the one-line errors. */
/* Prints the usage to stderr; returns EXIT_USAGE. */
int tool_usage(void);
/* Prints the usage to `to` (stdout for --help). */
void tool_print_usage(FILE *to);
/* Names the subcommand being run and its arguments (main, before the
 * dispatch): tool_usage() then names an unknown option, with "did you
 * mean", and shows that command's lines of the usage only. */
void tool_set_command(const char *cmd, int argc, char **argv);
/* 1 when `cmd` is a command of the usage text. */
int tool_known_command(const char *cmd);
/* "unknown command 'X' (did you mean 'Y'?)" and the usage; EXIT_USAGE. */
int tool_unknown_command(const char *cmd);
/* `cmd`'s lines of the usage on stdout (COMMAND --help); returns 0. */
int tool_command_help(const char *cmd);
/* 1 when an argument is --help or -h. */
int tool_wants_help(int argc, char **argv);
/* One line on stderr, what failed and why; returns the exit code. */
int tool_fail(const char *what, int32_t status);

/* tool_util.c: files, the home, the admin's name. */
/* CASESCRIBE_OPEN_READ_ONLY when --read-only was given (set by main). */
extern uint32_t tool_open_flags;
/* A whole file of at most CASESCRIBE_MAX_PAYLOAD bytes; 0 or -1 (said on stderr). */
int tool_read_file(const char *path, uint8_t **out, size_t *len);
/* Writes a file atomically (temp, fsync, rename), mode 0600 (only its owner
 * may read it: records hold personal data); 0 or -1 (said on stderr). */
int tool_write_file(const char *path, const uint8_t *data, size_t len);
int tool_open_home(casescribe_ctx **ctx, const char *home, uint32_t flags);
/* The admin named in audit entries: `given`, else the login name. */
const char *tool_admin_name(const char *given);

/* Progress on long work (progress.c), on stderr and only when it is a
 * terminal: otherwise nothing is written. tool_wait waits for the job to
 * end as casescribe_job_wait(job, -1) does, drawing its progress ("ms":
 * a clock; otherwise a count of `unit`). */
int tool_progress_shown(void);
void tool_progress_draw(const char *what, int64_t done, int64_t total, const char *unit);
void tool_progress_clear(void);
int32_t tool_wait(casescribe_job *job, const char *what, const char *unit);

int casescribe_tool_demo(const char *home);                         /* demo.c */
int casescribe_tool_policy(const char *home, int argc, char **argv); /* policy.c */
int casescribe_tool_transcribe(const char *home, int argc, char **argv); /* transcribe.c */
int casescribe_tool_audio(const char *home, int argc, char **argv);      /* transcribe.c */
int casescribe_tool_fill(const char *home, int argc, char **argv);       /* fill.c */
int casescribe_tool_templates(const char *home, int argc, char **argv);  /* fill.c */
int casescribe_tool_names(const char *home, int argc, char **argv);      /* fill.c */
int casescribe_tool_sar(const char *home, int argc, char **argv);        /* sar.c */
int casescribe_tool_jobs(const char *home, int argc, char **argv);       /* jobs.c */
int casescribe_tool_journal_list(const char *home, int argc, char **argv); /* journal_list.c */
int casescribe_tool_doctor(const char *home, int argc, char **argv);       /* doctor.c */

#endif
