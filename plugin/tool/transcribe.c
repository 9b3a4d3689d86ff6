/* SPDX-License-Identifier: Apache-2.0 */
/* transcribe.c - `casescribe transcribe`: a recording to a transcript,
 * through a job like any host would run it.
 *
 *   transcribe FORM.xml RECORDING [--format text|xml] [--helper PATH] [--take] [--tags FILE]
 *
 * --tags FILE: the worker's observation tags, "hh:mm:ss label" a line. On a
 * terminal, a progress bar on stderr while the job runs.
 *   audio sweep
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static int parse(int argc, char **argv, uint32_t *format, const char **helper, uint32_t *flags, const char **tags)
{
    for (int i = 2; i < argc; i += 2) {
        if (strcmp(argv[i], "--take") == 0) {
            *flags |= CASESCRIBE_TRANSCRIBE_TAKE_RECORDING;
            i--;
            continue;
        }
        if (i + 1 >= argc)
            return -1;
        if (strcmp(argv[i], "--format") == 0 && strcmp(argv[i + 1], "text") == 0)
            *format = CASESCRIBE_TRANSCRIPT_TEXT;
        else if (strcmp(argv[i], "--format") == 0 && strcmp(argv[i + 1], "xml") == 0)
            *format = CASESCRIBE_TRANSCRIPT_XML;
        else if (strcmp(argv[i], "--helper") == 0)
            *helper = argv[i + 1];
        else if (strcmp(argv[i], "--tags") == 0)
            *tags = argv[i + 1];
        else
            return -1;
    }
    return 0;
}

int casescribe_tool_transcribe(const char *home, int argc, char **argv)
{
    uint32_t format = CASESCRIBE_TRANSCRIPT_TEXT;
    const char *helper = NULL, *tags_path = NULL;
    uint32_t flags = 0;
    if (argc < 2 || parse(argc, argv, &format, &helper, &flags, &tags_path) != 0)
        return tool_usage();
    uint8_t *form = NULL, *tags = NULL;
    size_t form_len = 0, tags_len = 0;
    if (tool_read_file(argv[0], &form, &form_len) != 0 ||
        (tags_path != NULL && tool_read_file(tags_path, &tags, &tags_len) != 0)) {
        free(form);
        return EXIT_REFUSED;
    }
    casescribe_ctx *ctx = NULL;
    if (tool_open_home(&ctx, home, 0) != 0) {
        free(form);
        free(tags);
        return EXIT_REFUSED;
    }
    casescribe_transcribe_options o;
    casescribe_transcribe_options_init(&o, sizeof(o));
    o.form = form;
    o.form_len = form_len;
    o.audio_path = argv[1];
    o.helper_path = helper;
    o.flags = flags;
    o.tags = tags;
    o.tags_len = tags_len;
    casescribe_job *job = NULL;
    casescribe_transcript *t = NULL;
    char *out = NULL;
    int32_t rc = casescribe_transcribe(&job, ctx, &o);
    if (rc == CASESCRIBE_OK)
        rc = tool_wait(job, "transcribing", "ms");
    if (rc == CASESCRIBE_OK && (rc = casescribe_job_status(job)) != CASESCRIBE_OK)
        fprintf(stderr, "casescribe: transcribe: %s\n", casescribe_job_message(job));
    else if (rc == CASESCRIBE_OK && (rc = casescribe_job_transcript(&t, job)) == CASESCRIBE_OK &&
             (rc = casescribe_transcript_render(&out, t, format)) == CASESCRIBE_OK)
        fputs(out, stdout);
    int code = rc == CASESCRIBE_OK                                          ? 0
               : job != NULL && casescribe_job_message(job) != NULL ? EXIT_REFUSED
                                                                            : tool_fail("transcribe", rc);
    casescribe_free(out);
    casescribe_transcript_free(t);
    casescribe_job_free(job);
    casescribe_ctx_close(ctx);
    free(form);
    free(tags);
    return code;
}

int casescribe_tool_audio(const char *home, int argc, char **argv)
{
    if (argc != 1 || strcmp(argv[0], "sweep") != 0)
        return tool_usage();
    casescribe_ctx *ctx = NULL;
    if (tool_open_home(&ctx, home, 0) != 0)
        return EXIT_REFUSED;
    uint32_t deleted = 0;
    int32_t rc = casescribe_audio_sweep(ctx, &deleted);
    int code = rc == CASESCRIBE_OK ? (printf("%u recordings past their retention deleted\n", (unsigned)deleted), 0)
                                   : tool_fail("audio sweep", rc);
    casescribe_ctx_close(ctx);
    return code;
}
