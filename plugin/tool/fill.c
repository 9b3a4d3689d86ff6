/* SPDX-License-Identifier: Apache-2.0 */
/* fill.c - `casescribe fill` and `casescribe templates`: a transcript drafted
 * into a form, through a job like any host would run it.
 *
 *   fill TEMPLATE TRANSCRIPT --subjects FORM.xml [-o DRAFT.xml] [--max-sentences N]
 *        [--style quote|reported]
 *   templates
 *
 * TEMPLATE is an installed template's id, or a path to a template file.
 * TRANSCRIPT is the library's XML, or another program's WebVTT, SRT or
 * "[hh:mm:ss] Speaker: words" text (casescribe_transcript_open). --style
 * reported drafts each speaker's line as reported speech ("Kerry said
 * they have agreed a payment plan."); quote, the default, as their words.
 * On a terminal, a progress bar on stderr while the job runs.
 * The form is required, although the syntax shows it as an option:
 * its team's policy and its subjects' consent decide whether AI may draft
 * at all (no consent, no AI).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static int32_t load_template(casescribe_template **out, casescribe_ctx *ctx, const char *name)
{
    if (strchr(name, '/') == NULL && strstr(name, ".xml") == NULL)
        return casescribe_template_find(out, ctx, name);
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (tool_read_file(name, &bytes, &len) != 0)
        return CASESCRIBE_ENOTFOUND;
    int32_t rc = casescribe_template_open(out, bytes, len);
    free(bytes);
    return rc;
}

static int32_t load_transcript(casescribe_transcript **out, const char *path)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (tool_read_file(path, &bytes, &len) != 0)
        return CASESCRIBE_ENOTFOUND;
    int32_t rc = casescribe_transcript_open(out, bytes, len);
    free(bytes);
    return rc;
}

struct fill_args {
    const char *form, *out;
    uint32_t max_sentences, style;
};

/* "quote" or "reported": CASESCRIBE_FILL_STYLE_*; -1 for another word. */
static int style_of(const char *word)
{
    if (strcmp(word, "quote") == 0)
        return (int)CASESCRIBE_FILL_STYLE_QUOTE;
    return strcmp(word, "reported") == 0 ? (int)CASESCRIBE_FILL_STYLE_REPORTED : -1;
}

static int parse(int argc, char **argv, struct fill_args *a)
{
    for (int i = 2; i < argc; i += 2) {
        if (i + 1 >= argc)
            return -1;
        if (strcmp(argv[i], "--subjects") == 0)
            a->form = argv[i + 1];
        else if (strcmp(argv[i], "-o") == 0)
            a->out = argv[i + 1];
        else if (strcmp(argv[i], "--max-sentences") == 0)
            a->max_sentences = (uint32_t)strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--style") == 0 && style_of(argv[i + 1]) >= 0)
            a->style = (uint32_t)style_of(argv[i + 1]);
        else
            return -1;
    }
    return 0;
}

static int32_t run(casescribe_job **job, casescribe_ctx *ctx, const char *tpl_name, const char *transcript_path,
                   const uint8_t *form, size_t form_len, const struct fill_args *a)
{
    casescribe_template *tpl = NULL;
    casescribe_transcript *t = NULL;
    int32_t rc = load_template(&tpl, ctx, tpl_name);
    if (rc == CASESCRIBE_OK)
        rc = load_transcript(&t, transcript_path);
    casescribe_fill_options o;
    casescribe_fill_options_init(&o, sizeof(o));
    o.form = form;
    o.form_len = form_len;
    o.form_template = tpl;
    o.transcript = t;
    o.max_sentences = a->max_sentences;
    o.style = a->style;
    if (rc == CASESCRIBE_OK)
        rc = casescribe_fill(job, ctx, &o);
    if (rc == CASESCRIBE_OK)
        rc = tool_wait(*job, "drafting", "steps");
    casescribe_template_free(tpl); /* the job keeps its own references */
    casescribe_transcript_free(t);
    return rc;
}

static int write_draft(const casescribe_job *job, const char *out_path)
{
    uint8_t *draft = NULL;
    size_t len = 0;
    char *report = NULL;
    int32_t rc = casescribe_job_draft(&draft, &len, job);
    if (rc == CASESCRIBE_OK && casescribe_job_result(&report, job) == CASESCRIBE_OK)
        fputs(report, stderr);
    int code = rc != CASESCRIBE_OK ? tool_fail("fill", rc)
               : out_path != NULL  ? (tool_write_file(out_path, draft, len) == 0 ? 0 : EXIT_REFUSED)
                                   : (fwrite(draft, 1, len, stdout) == len ? 0 : EXIT_REFUSED);
    casescribe_free(report);
    casescribe_free(draft);
    return code;
}

int casescribe_tool_fill(const char *home, int argc, char **argv)
{
    struct fill_args a = {NULL, NULL, 0, CASESCRIBE_FILL_STYLE_QUOTE};
    if (argc < 2 || parse(argc, argv, &a) != 0)
        return tool_usage();
    if (a.form == NULL) {
        fprintf(stderr, "casescribe: fill: give the visit's form with --subjects FORM.xml: its team's policy and "
                        "its subjects' consent decide whether AI may draft it (no consent, no AI)\n");
        return EXIT_USAGE;
    }
    uint8_t *form = NULL;
    size_t form_len = 0;
    if (tool_read_file(a.form, &form, &form_len) != 0)
        return EXIT_REFUSED;
    casescribe_ctx *ctx = NULL;
    if (tool_open_home(&ctx, home, 0) != 0) {
        free(form);
        return EXIT_REFUSED;
    }
    casescribe_job *job = NULL;
    int32_t rc = run(&job, ctx, argv[0], argv[1], form, form_len, &a);
    int code;
    if (rc != CASESCRIBE_OK)
        code = tool_fail("fill", rc);
    else if (casescribe_job_status(job) != CASESCRIBE_OK)
        code = (fprintf(stderr, "casescribe: fill: %s\n", casescribe_job_message(job)), EXIT_REFUSED);
    else
        code = write_draft(job, a.out);
    casescribe_job_free(job);
    casescribe_ctx_close(ctx);
    free(form);
    return code;
}

static void print_template(const casescribe_template *t)
{
    printf("%s (version %u): %s\n", casescribe_template_id(t), (unsigned)casescribe_template_version(t),
           casescribe_template_title(t));
    for (uint32_t i = 0; i < casescribe_template_section_count(t); i++)
        printf("  %-26s %s%s\n", casescribe_template_section_id(t, i),
               casescribe_template_section_ai(t, i) == CASESCRIBE_AI_NEVER ? "never drafted by AI: " : "",
               casescribe_template_section_title(t, i));
}

/* `templates install FILE`: the home signs the template and keeps it. */
static int install(const char *home, const char *path)
{
    uint8_t *xml = NULL;
    size_t len = 0;
    casescribe_ctx *ctx = NULL;
    if (tool_read_file(path, &xml, &len) != 0)
        return EXIT_REFUSED;
    if (tool_open_home(&ctx, home, 0) != 0) {
        free(xml);
        return EXIT_REFUSED;
    }
    int32_t rc = casescribe_template_install(ctx, xml, len);
    int code = rc == CASESCRIBE_OK ? (printf("installed %s, signed by this home's key\n", path), 0)
                                   : tool_fail("templates install", rc);
    casescribe_ctx_close(ctx);
    free(xml);
    return code;
}

/* casescribe names install FILE: the home's external names file, signed. */
int casescribe_tool_names(const char *home, int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[0], "install") != 0)
        return tool_usage();
    uint8_t *xml = NULL;
    size_t len = 0;
    casescribe_ctx *ctx = NULL;
    if (tool_read_file(argv[1], &xml, &len) != 0)
        return EXIT_REFUSED;
    if (tool_open_home(&ctx, home, 0) != 0) {
        free(xml);
        return EXIT_REFUSED;
    }
    int32_t rc = casescribe_names_install(ctx, xml, len);
    int code = rc == CASESCRIBE_OK ? (printf("installed %s as the home's names, signed by this home's key\n", argv[1]), 0)
                                   : tool_fail("names install", rc);
    casescribe_ctx_close(ctx);
    free(xml);
    return code;
}

int casescribe_tool_templates(const char *home, int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[0], "install") == 0)
        return install(home, argv[1]);
    if (argc != 0)
        return tool_usage();
    casescribe_ctx *ctx = NULL;
    if (tool_open_home(&ctx, home, 0) != 0)
        return EXIT_REFUSED;
    char *ids = NULL;
    int32_t rc = casescribe_template_list(&ids, ctx);
    for (char *line = ids, *next; rc == CASESCRIBE_OK && line != NULL && *line != '\0'; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        casescribe_template *t = NULL;
        if (casescribe_template_find(&t, ctx, line) == CASESCRIBE_OK)
            print_template(t);
        casescribe_template_free(t);
    }
    int code = rc == CASESCRIBE_OK ? (ids[0] == '\0' ? (printf("no templates installed\n"), 0) : 0)
                                   : tool_fail("templates", rc);
    casescribe_free(ids);
    casescribe_ctx_close(ctx);
    return code;
}
