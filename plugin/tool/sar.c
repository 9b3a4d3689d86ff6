/* SPDX-License-Identifier: Apache-2.0 */
/* sar.c - `casescribe sar`: a subject access export, and checking one.
 *
 *   sar SUBJECT-ID RECORD.xml... -o EXPORT.zip [--review FILE.csv] [--redact FILE.csv]
 *       [--organisation NAME] [--contact TEXT]
 *   sar verify EXPORT.zip [--key COUNCIL-KEY.pem]   (with --home: the home's key)
 *       exits 0 verified with that key, 1 not verified, 3 when no key was
 *       given: the files match only the key that came with them (not proof)
 *
 * Records are streamed to the library one at a time, as a host streams them
 * from its database. The officer's review list goes to --review, by default
 * beside the export as EXPORT.redaction-review.csv, never into it. A record
 * that cannot be read, or is not about the subject, stops the export: an
 * officer must not send an incomplete one without knowing. On a terminal,
 * a progress bar (records added) on stderr.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

struct sar_args {
    const char *out, *review, *redact, *organisation, *contact;
    char **records;
    int n_records;
};

static int parse(int argc, char **argv, struct sar_args *a)
{
    a->records = calloc((size_t)argc + 1, sizeof(*a->records));
    if (a->records == NULL)
        return -1;
    for (int i = 1; i < argc; i++) {
        const char **opt = strcmp(argv[i], "-o") == 0               ? &a->out
                           : strcmp(argv[i], "--review") == 0       ? &a->review
                           : strcmp(argv[i], "--redact") == 0       ? &a->redact
                           : strcmp(argv[i], "--organisation") == 0 ? &a->organisation
                           : strcmp(argv[i], "--contact") == 0      ? &a->contact
                                                                    : NULL;
        if (opt == NULL && strncmp(argv[i], "--", 2) == 0)
            return -1;
        if (opt == NULL) {
            a->records[a->n_records++] = argv[i];
        } else if (i + 1 < argc) {
            *opt = argv[++i];
        } else {
            return -1;
        }
    }
    return a->out != NULL && a->n_records > 0 ? 0 : -1;
}

/* EXPORT.zip -> EXPORT.redaction-review.csv */
static char *default_review_path(const char *out)
{
    size_t n = strlen(out);
    if (n > 4 && strcmp(out + n - 4, ".zip") == 0)
        n -= 4;
    size_t size = n + sizeof(".redaction-review.csv");
    char *p = malloc(size);
    if (p != NULL)
        snprintf(p, size, "%.*s.redaction-review.csv", (int)n, out);
    return p;
}

static int add_records(casescribe_sar *sar, const struct sar_args *a)
{
    int failed = 0;
    for (int i = 0; i < a->n_records; i++) {
        uint8_t *payload = NULL;
        size_t len = 0;
        tool_progress_clear(); /* a message about this record starts on a line of its own */
        if (tool_read_file(a->records[i], &payload, &len) != 0) {
            failed++;
            continue;
        }
        tool_progress_draw("exporting", i, a->n_records, " records");
        int32_t rc = casescribe_sar_add(sar, "xml", payload, len);
        free(payload);
        if (rc != CASESCRIBE_OK) {
            tool_progress_clear();
            fprintf(stderr, "casescribe: sar: %s: %s\n", a->records[i], casescribe_last_error());
            failed++;
            if (rc == CASESCRIBE_EIO || rc == CASESCRIBE_ENOMEM)
                break;
        }
    }
    tool_progress_clear();
    return failed;
}

static int export(const char *home, const char *subject, struct sar_args *a)
{
    /* After a review (--redact), a new list is written only when asked for:
     * the default name is most likely the reviewed file itself. */
    char *review = a->review != NULL || a->redact != NULL ? NULL : default_review_path(a->out);
    casescribe_ctx *ctx = NULL;
    if (tool_open_home(&ctx, home, 0) != 0) {
        free(review);
        return EXIT_REFUSED;
    }
    casescribe_sar_options o;
    casescribe_sar_options_init(&o, sizeof(o));
    o.subject_id = subject;
    o.output_path = a->out;
    o.review_path = a->review != NULL ? a->review : review;
    o.redact_path = a->redact;
    o.organisation = a->organisation;
    o.correction_contact = a->contact;
    casescribe_sar *sar = NULL;
    char *summary = NULL;
    int32_t rc = casescribe_sar_open(&sar, ctx, &o);
    int code = rc != CASESCRIBE_OK ? tool_fail("sar", rc) : 0;
    if (code == 0 && add_records(sar, a) > 0) {
        fprintf(stderr, "casescribe: sar: no export written: every record must be readable and about %s\n", subject);
        code = EXIT_REFUSED;
    }
    if (code == 0 && (rc = casescribe_sar_finish(&summary, sar)) != CASESCRIBE_OK)
        code = tool_fail("sar", rc);
    if (code == 0)
        printf("%swrote %s\nreview list for the officer (not in the export): %s\n", summary, a->out,
               o.review_path != NULL ? o.review_path : "none (give --review FILE.csv for a new one)");
    casescribe_free(summary);
    casescribe_sar_free(sar);
    casescribe_ctx_close(ctx);
    free(review);
    return code;
}

/* The council's key: --key, else the home's when --home was given. */
static int council_key(const char *home, const char *key, uint8_t **pem, size_t *len)
{
    if (key != NULL)
        return tool_read_file(key, pem, len);
    if (home == NULL)
        return 0;
    casescribe_ctx *ctx = NULL;
    if (tool_open_home(&ctx, home, 0) != 0)
        return -1;
    char *text = NULL;
    int32_t rc = casescribe_public_key(&text, ctx);
    casescribe_ctx_close(ctx);
    if (rc != CASESCRIBE_OK) {
        tool_fail("sar verify", rc);
        return -1;
    }
    *len = strlen(text);
    *pem = malloc(*len + 1);
    if (*pem != NULL)
        memcpy(*pem, text, *len + 1);
    casescribe_free(text);
    return *pem != NULL ? 0 : -1;
}

static int verify(const char *home, int argc, char **argv)
{
    const char *zip = NULL, *key = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
            key = argv[++i];
        else if (zip == NULL && strncmp(argv[i], "--", 2) != 0)
            zip = argv[i];
        else
            return tool_usage();
    }
    if (zip == NULL)
        return tool_usage();
    uint8_t *pem = NULL;
    size_t pem_len = 0;
    if (council_key(home, key, &pem, &pem_len) != 0)
        return EXIT_REFUSED;
    char *report = NULL;
    int32_t rc = casescribe_sar_verify(&report, zip, pem, pem_len);
    if (report != NULL)
        fputs(report, stdout);
    int code = rc == CASESCRIBE_OK ? 0 : rc == CASESCRIBE_EVERIFY ? EXIT_REFUSED : tool_fail("sar verify", rc);
    if (rc == CASESCRIBE_EUNTRUSTED)
        code = EXIT_UNPROVEN; /* tool_fail said why on stderr */
    casescribe_free(report);
    free(pem);
    return code;
}

int casescribe_tool_sar(const char *home, int argc, char **argv)
{
    if (argc < 2)
        return tool_usage(); /* nothing to export or check: argv[0] may be the NULL after the last argument */
    /* `sar verify X.zip [--key K]`; a subject called "verify" still works with -o */
    int is_verify = strcmp(argv[0], "verify") == 0 && (argc == 2 || (argc == 4 && strcmp(argv[2], "--key") == 0));
    if (is_verify)
        return verify(home, argc, argv);
    struct sar_args a = {0};
    int code = parse(argc, argv, &a) != 0 ? tool_usage() : export(home, argv[0], &a);
    free(a.records);
    return code;
}
