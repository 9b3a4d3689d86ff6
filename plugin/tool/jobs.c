/* SPDX-License-Identifier: Apache-2.0 */
/* jobs.c - `casescribe jobs`: the home's kept jobs (transcription, fill)
 * after a restart, through the public header like any host.
 *
 *   jobs list                          id, kind, state, created, updated
 *   jobs attach ID [-o FILE] [--keep]  a job that ended: how, and what it made
 *   jobs resume ID [-o FILE] [--keep]  a job that did not: run it here to its end
 *
 * What a job made (the transcript as text, or the draft form) goes to -o
 * FILE (mode 0600), else to stdout; how it ended to stderr. Without --keep
 * the job is then collected (its record and folder go); with it, it stays
 * for a later attach.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

struct job_args {
    const char *id, *out;
    int keep;
};

static int parse(int argc, char **argv, struct job_args *a)
{
    if (argc < 2)
        return -1;
    a->id = argv[1];
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--keep") == 0)
            a->keep = 1;
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            a->out = argv[++i];
        else
            return -1;
    }
    return 0;
}

/* The job's line of `jobs list`, or NULL (free it). */
static char *listed_line(casescribe_ctx *ctx, const char *id)
{
    char *all = NULL, *line = NULL;
    if (casescribe_job_list_detail(&all, ctx) != CASESCRIBE_OK)
        return NULL;
    size_t n = strlen(id);
    for (char *p = all; p != NULL && *p != '\0'; p = strchr(p, '\n') != NULL ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, id, n) == 0 && p[n] == ' ') {
            line = strndup(p, strcspn(p, "\n"));
            break;
        }
    casescribe_free(all);
    return line;
}

static int ended_line(const char *line)
{
    return strstr(line, " done created ") != NULL || strstr(line, " failed created ") != NULL ||
           strstr(line, " cancelled created ") != NULL;
}

/* What a DONE job made, as bytes to write. */
static int32_t made(uint8_t **out, size_t *len, casescribe_job *job)
{
    if (strcmp(casescribe_job_kind(job), "fill") == 0)
        return casescribe_job_draft(out, len, job);
    casescribe_transcript *t = NULL;
    char *text = NULL;
    int32_t rc = casescribe_job_transcript(&t, job);
    if (rc == CASESCRIBE_OK)
        rc = casescribe_transcript_render(&text, t, CASESCRIBE_TRANSCRIPT_TEXT);
    casescribe_transcript_free(t);
    *out = (uint8_t *)text;
    *len = text != NULL ? strlen(text) : 0;
    return rc;
}

/* Says how the job ended and hands over what it made. */
static int report(casescribe_job *job, const struct job_args *a)
{
    int32_t status = casescribe_job_status(job);
    if (status != CASESCRIBE_OK) {
        fprintf(stderr, "casescribe: job %s (%s) %s: %s\n", a->id, casescribe_job_kind(job),
                status == CASESCRIBE_ECANCELLED ? "was cancelled" : "failed", casescribe_job_message(job));
        return EXIT_REFUSED;
    }
    char *result = NULL;
    uint8_t *bytes = NULL;
    size_t len = 0;
    int32_t rc = casescribe_job_result(&result, job);
    if (rc == CASESCRIBE_OK)
        rc = made(&bytes, &len, job);
    int code = rc != CASESCRIBE_OK ? tool_fail("jobs", rc) : 0;
    if (code == 0) {
        fprintf(stderr, "job %s (%s) done: %s%s", a->id, casescribe_job_kind(job), result,
                result[0] != '\0' && result[strlen(result) - 1] == '\n' ? "" : "\n");
        if (a->out != NULL)
            code = tool_write_file(a->out, bytes, len) == 0 ? 0 : EXIT_REFUSED;
        else
            fwrite(bytes, 1, len, stdout);
    }
    casescribe_free(result);
    casescribe_free(bytes);
    return code;
}

/* attach (the job must have ended) or resume (it runs here to its end);
 * closes ctx. */
static int attach(casescribe_ctx *ctx, const struct job_args *a, int resume)
{
    char *line = listed_line(ctx, a->id);
    if (line == NULL) {
        fprintf(stderr, "casescribe: no job %s in this home (collected, never kept here, or being run by "
                        "another process)\n", a->id);
        casescribe_ctx_close(ctx);
        return EXIT_REFUSED;
    }
    int ended = ended_line(line);
    free(line);
    if (!resume && !ended) {
        fprintf(stderr, "casescribe: job %s has not ended: `casescribe jobs resume %s` runs it here\n", a->id, a->id);
        casescribe_ctx_close(ctx);
        return EXIT_REFUSED;
    }
    casescribe_job *job = NULL;
    int32_t rc = casescribe_job_attach(&job, ctx, a->id);
    if (rc == CASESCRIBE_OK)
        rc = casescribe_job_wait(job, -1);
    int code = rc == CASESCRIBE_OK ? report(job, a) : tool_fail("jobs", rc);
    if (a->keep)
        casescribe_ctx_close(ctx); /* first: freed after its context closed, the job stays kept */
    casescribe_job_free(job);
    if (!a->keep)
        casescribe_ctx_close(ctx);
    return code;
}

int casescribe_tool_jobs(const char *home, int argc, char **argv)
{
    struct job_args a = {0};
    int list = argc == 1 && strcmp(argv[0], "list") == 0;
    int resume = argc >= 1 && strcmp(argv[0], "resume") == 0;
    if (!list && !resume && !(argc >= 1 && strcmp(argv[0], "attach") == 0))
        return tool_usage();
    if (!list && parse(argc, argv, &a) != 0)
        return tool_usage();
    casescribe_ctx *ctx = NULL;
    if (tool_open_home(&ctx, home, 0) != 0)
        return EXIT_REFUSED;
    if (!list)
        return attach(ctx, &a, resume);
    char *lines = NULL;
    int32_t rc = casescribe_job_list_detail(&lines, ctx);
    int code = rc == CASESCRIBE_OK ? (fputs(lines, stdout), 0) : tool_fail("jobs list", rc);
    casescribe_free(lines);
    casescribe_ctx_close(ctx);
    return code;
}
