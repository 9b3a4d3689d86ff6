/* SPDX-License-Identifier: Apache-2.0 */
/* tool.h - what the command's files share. The command uses only the
 * public header, like any host system would. */
#ifndef CASESCRIBE_TOOL_H
#define CASESCRIBE_TOOL_H

#include <stddef.h>
#include <stdint.h>

#include "casescribe.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2
/* `sar verify` without a trusted key: the files match each other and the
 * key that came with them, which proves nothing about who sealed them. */
#define EXIT_UNPROVEN 3

/* Prints the usage to stderr; returns EXIT_USAGE. */
int tool_usage(void);
/* One line on stderr, what failed and why; returns the exit code. */
int tool_fail(const char *what, int32_t status);
/* A whole file of at most CASESCRIBE_MAX_PAYLOAD bytes; 0 or -1 (said on stderr). */
int tool_read_file(const char *path, uint8_t **out, size_t *len);
/* Writes a file atomically (temp, fsync, rename), mode 0600 (only its owner
 * may read it: records hold personal data); 0 or -1 (said on stderr). */
int tool_write_file(const char *path, const uint8_t *data, size_t len);
int tool_open_home(casescribe_ctx **ctx, const char *home, uint32_t flags);
/* The admin named in audit entries: `given`, else the login name. */
const char *tool_admin_name(const char *given);

int casescribe_tool_demo(const char *home);                         /* demo.c */
int casescribe_tool_policy(const char *home, int argc, char **argv); /* policy.c */
int casescribe_tool_transcribe(const char *home, int argc, char **argv); /* transcribe.c */
int casescribe_tool_audio(const char *home, int argc, char **argv);      /* transcribe.c */
int casescribe_tool_fill(const char *home, int argc, char **argv);       /* fill.c */
int casescribe_tool_templates(const char *home, int argc, char **argv);  /* fill.c */
int casescribe_tool_sar(const char *home, int argc, char **argv);        /* sar.c */

#endif
