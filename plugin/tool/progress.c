/* SPDX-License-Identifier: Apache-2.0 */
/* progress.c - a progress bar on stderr for long work, drawn only when
 * stderr is a terminal: output to a file or a pipe is exactly as it was. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

#define BAR_WIDTH 30
#define POLL_MS 250

int tool_progress_shown(void)
{
    return isatty(STDERR_FILENO);
}

static void amount(char *out, size_t n, int64_t v, const char *unit)
{
    if (strcmp(unit, "ms") == 0)
        snprintf(out, n, "%02lld:%02lld:%02lld", (long long)(v / 3600000), (long long)(v / 60000 % 60),
                 (long long)(v / 1000 % 60));
    else
        snprintf(out, n, "%lld", (long long)v);
}

void tool_progress_draw(const char *what, int64_t done, int64_t total, const char *unit)
{
    if (!tool_progress_shown())
        return;
    char bar[BAR_WIDTH + 1], a[32], b[32];
    int filled = total > 0 ? (int)(done * BAR_WIDTH / total) : 0;
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    amount(a, sizeof(a), done, unit);
    amount(b, sizeof(b), total, unit);
    if (total > 0)
        fprintf(stderr, "\r%s [%s] %3d%% %s of %s%s\033[K", what, bar, (int)(done * 100 / total), a, b,
                strcmp(unit, "ms") == 0 ? "" : unit);
    else
        fprintf(stderr, "\r%s [%s] starting\033[K", what, bar);
    fflush(stderr);
}

void tool_progress_clear(void)
{
    if (!tool_progress_shown())
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
}

int32_t tool_wait(casescribe_job *job, const char *what, const char *unit)
{
    if (!tool_progress_shown())
        return casescribe_job_wait(job, -1);
    int32_t rc;
    do { /* drawn at once: a short job still shows that it ran */
        int64_t done = 0, total = 0;
        if (casescribe_job_progress(job, &done, &total) == CASESCRIBE_OK)
            tool_progress_draw(what, done, total, unit);
    } while ((rc = casescribe_job_wait(job, POLL_MS)) == CASESCRIBE_EBUSY);
    tool_progress_clear();
    return rc;
}
