/* SPDX-License-Identifier: Apache-2.0 */
/* test_sar.c - the subject access export: what the person sees for each
 * kind of record, the officer's review list and redactions, and the seal
 * (a changed, added or removed file is named by verify). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>

#include "helpers.h"

/* ---- making records -------------------------------------------------------------- */

#define DRAFT_TEXT "Jo said the mornings are easier now.\nKerry Smith visits on Tuesdays."

/* an unchecked AI draft with a word the transcriber was unsure of
 * ("mornings") and a sentence not found in the recording. */
static char *record_draft(casescribe_ctx *ctx)
{
    const char *second = strchr(DRAFT_TEXT, '\n') + 1;
    size_t first_len = (size_t)(second - 1 - DRAFT_TEXT), mornings = (size_t)(strstr(DRAFT_TEXT, "mornings") - DRAFT_TEXT);
    char extra[512];
    snprintf(extra, sizeof(extra),
             "<cite section=\"observations\" offset=\"0\" length=\"%zu\" segments=\"1\" start-ms=\"0\" end-ms=\"4000\" "
             "support=\"supported\" unsure=\"%zu:8\"/>"
             "<cite section=\"observations\" offset=\"%zu\" length=\"%zu\" segments=\"2\" support=\"unsupported\" "
             "reason=\"a name not in the cited segments\"/>",
             first_len, mornings, (size_t)(second - DRAFT_TEXT), strlen(second));
    form_parts p = {.id = "R-1",
                    .sections = SECTION_DRAFT("observations", DRAFT_TEXT)
                        SECTION_HUMAN("analysis", "Jo is coping well and I have no worries."),
                    .extra = extra};
    char *xml = form_make(&p), *out = NULL;
    cr_assert_eq(save_as(ctx, xml, &out), CASESCRIBE_OK, "%s", casescribe_last_error());
    free(xml);
    return out;
}

/* a reviewed (edited) AI section, another person on the record, and
 * the requester's consent withdrawn in a second version. */
static char *record_reviewed_withdrawn(casescribe_ctx *ctx)
{
    form_parts p = {.id = "R-2",
                    .subjects = "<subject id=\"P-2\" role=\"parent\" name=\"Jo Example\"/>"
                                "<subject id=\"P-3\" role=\"child\" name=\"Sam Other\"/>",
                    .consents = "<consent subject=\"P-2\" given-by=\"self\" method=\"verbal\" capacity=\"has-capacity\" "
                                "at=\"2026-01-01T10:00:00Z\" scopes=\"record-audio transcribe ai-draft\"/>"
                                "<consent subject=\"P-3\" given-by=\"representative\" method=\"written\" "
                                "capacity=\"not-assessed\" at=\"2026-01-01T10:00:00Z\" "
                                "scopes=\"record-audio transcribe ai-draft\"/>",
                    .sections = SECTION_REVIEWED("observations", "Sam Other showed me the garden.")
                        SECTION_HUMAN("analysis", "Sam is safe at home.")};
    char *xml = form_make(&p), *v1 = NULL, *v2 = NULL;
    cr_assert_eq(save_as(ctx, xml, &v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *withdrawn = replace_once(v1, "at=\"2026-01-01T10:00:00Z\" scopes=\"record-audio transcribe ai-draft\"/>",
                                   "at=\"2026-01-01T10:00:00Z\" scopes=\"record-audio transcribe ai-draft\" "
                                   "withdrawn-at=\"2026-02-01T00:00:00Z\"/>");
    cr_assert_eq(save_as(ctx, withdrawn, &v2), CASESCRIBE_OK, "%s", casescribe_last_error());
    free(xml);
    free(v1);
    free(withdrawn);
    return v2;
}

static char *record_human(casescribe_ctx *ctx)
{
    form_parts p = {.id = "R-3", .sections = SECTION_HUMAN("observations", "Jo made tea and we talked.")
                                     SECTION_HUMAN("analysis", "No concerns today.")};
    char *xml = form_make(&p), *out = NULL;
    cr_assert_eq(save_as(ctx, xml, &out), CASESCRIBE_OK, "%s", casescribe_last_error());
    free(xml);
    return out;
}

/* stamped, then changed behind the library's back. */
static char *record_tampered(casescribe_ctx *ctx)
{
    form_parts p = {.id = "R-4", .sections = SECTION_HUMAN("observations", "The house was tidy.")
                                     SECTION_HUMAN("analysis", "No concerns.")};
    char *xml = form_make(&p), *out = NULL;
    cr_assert_eq(save_as(ctx, xml, &out), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *changed = replace_once(out, "The house was tidy.", "The house was a mess.");
    free(xml);
    free(out);
    return changed;
}

/* never stamped. */
static char *record_unstamped(void)
{
    form_parts p = {.id = "R-5", .sections = SECTION_HUMAN("observations", "Phone call with Jo.")};
    return form_make(&p);
}

/* ---- exporting and reading back --------------------------------------------------- */

struct export {
    char zip[300], review[300];
    char *summary;
};

static int32_t run_export(test_home *h, struct export *e, const char *redact, char **records, size_t n)
{
    snprintf(e->zip, sizeof(e->zip), "%s/export.zip", h->path);
    snprintf(e->review, sizeof(e->review), "%s/review.csv", h->path);
    casescribe_sar_options o;
    cr_assert_eq(casescribe_sar_options_init(&o, sizeof(o)), CASESCRIBE_OK);
    o.subject_id = "P-2";
    o.output_path = e->zip;
    o.review_path = e->review;
    o.redact_path = redact;
    o.organisation = "Northshire County Council";
    casescribe_sar *sar = NULL;
    int32_t rc = casescribe_sar_open(&sar, h->ctx, &o);
    cr_assert_eq(rc, CASESCRIBE_OK, "%s", casescribe_last_error());
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(casescribe_sar_add(sar, "xml", (const uint8_t *)records[i], strlen(records[i])), CASESCRIBE_OK,
                     "record %zu: %s", i, casescribe_last_error());
    rc = casescribe_sar_finish(&e->summary, sar);
    casescribe_sar_free(sar);
    return rc;
}

static char **all_records(casescribe_ctx *ctx, size_t *n)
{
    char **r = calloc(5, sizeof(*r));
    r[0] = record_draft(ctx);
    r[1] = record_reviewed_withdrawn(ctx);
    r[2] = record_human(ctx);
    r[3] = record_tampered(ctx);
    r[4] = record_unstamped();
    *n = 5;
    return r;
}

static void free_records(char **r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(r[i]);
    free(r);
}

/* One file of the ZIP, NUL-terminated; NULL when absent. */
static char *zip_entry(const char *zip_path, const char *name)
{
    int err = 0;
    zip_t *za = zip_open(zip_path, ZIP_RDONLY, &err);
    cr_assert_not_null(za, "open %s: %d", zip_path, err);
    zip_stat_t st;
    char *data = NULL;
    if (zip_stat(za, name, 0, &st) == 0) {
        zip_file_t *zf = zip_fopen(za, name, 0);
        data = calloc(st.size + 1, 1);
        cr_assert_eq(zip_fread(zf, data, st.size), (zip_int64_t)st.size);
        zip_fclose(zf);
    }
    zip_discard(za);
    return data;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

/* The part of the page about record number `pos` (1-based). */
static char *record_block(const char *html, int pos)
{
    char id[64];
    snprintf(id, sizeof(id), "<section class=\"record\" id=\"record-%d\"", pos);
    const char *start = strstr(html, id);
    cr_assert_not_null(start, "record %d on the page", pos);
    const char *end = strstr(start + 1, "<section class=\"record\"");
    size_t n = end != NULL ? (size_t)(end - start) : strlen(start);
    return strndup(start, n);
}

/* ---- what the person sees ------------------------------------------------------------ */

Test(sar, each_kind_of_record_renders_as_described)
{
    test_home h;
    home_open(&h, 0);
    size_t n = 0;
    char **records = all_records(h.ctx, &n);
    struct export e;
    cr_assert_eq(run_export(&h, &e, NULL, records, n), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_not_null(strstr(e.summary, "records: 5\n"), "%s", e.summary);
    cr_assert_not_null(strstr(e.summary, "not verified: 2\n"), "%s", e.summary);
    char *html = zip_entry(e.zip, "report.html");
    cr_assert_not_null(html);
    cr_assert_not_null(strstr(html, "<html lang=\"en-GB\">"));
    cr_assert_null(strstr(html, "<script"), "no scripts");
    cr_assert_null(strstr(html, "http://"), "no outside resources");
    cr_assert_not_null(strstr(html, "is <strong>not</strong> a word-for-word record"), "the explainer at the top");
    cr_assert_not_null(strstr(html, "correct information about you"), "how to ask for a correction");

    char *r1 = record_block(html, 1);
    cr_assert_not_null(strstr(r1, "Drafted by a computer program and not yet checked by a person."));
    cr_assert_not_null(strstr(r1, "<mark class=\"unsure\">mornings (?)</mark>"), "the unsure word is marked");
    cr_assert_null(strstr(r1, "<mark class=\"unsure\">Jo"), "only the unsure word");
    cr_assert_not_null(strstr(r1, "<span class=\"unsupported\">Kerry Smith visits on Tuesdays.</span> "
                                  "<span class=\"note\">[not found in the recording]</span>"),
                       "the unsupported sentence is underlined and flagged at its end: %s", r1);
    cr_assert_not_null(strstr(r1, "Written by your social worker."), "the analysis is the worker's");
    cr_assert_not_null(strstr(r1, "Seal check: this record has not been changed since it was saved."));
    cr_assert_not_null(strstr(r1, "you agreed (by saying so) to:"));

    char *r2 = record_block(html, 2);
    cr_assert_not_null(strstr(r2, "First drafted by a computer program from a recording"));
    cr_assert_not_null(strstr(r2, "then checked and changed by your social worker on 3 November 2026"), "%s", r2);
    cr_assert_not_null(strstr(r2, "This agreement was withdrawn on 1 February 2026."));
    cr_assert_not_null(strstr(r2, "also about 1 other person"));
    cr_assert_null(strstr(r2, "representative"), "another person's consent is not shown");

    char *r3 = record_block(html, 3);
    cr_assert_null(strstr(r3, "rafted by a computer program"), "no part of a human-only record is said to be drafted");
    cr_assert_not_null(strstr(r3, "Written by your social worker."));

    char *r4 = record_block(html, 4);
    cr_assert_not_null(strstr(r4, "this record's seal does not match it"), "a changed record is flagged");
    char *r5 = record_block(html, 5);
    cr_assert_not_null(strstr(r5, "this record has no seal"), "an unstamped record is flagged");
    cr_assert_not_null(strstr(html, "could not be checked for changes"), "and listed as such at the top");

    char *manifest = zip_entry(e.zip, "manifest.xml");
    cr_assert_not_null(strstr(manifest, "id=\"R-4\" version=\"1\""));
    cr_assert_not_null(strstr(manifest, "provenance=\"changed\""));
    cr_assert_not_null(strstr(manifest, "provenance=\"unstamped\""));
    cr_assert_not_null(strstr(manifest, "id=\"R-2\" version=\"2\""), "the chain position of R-2");
    cr_assert_not_null(strstr(manifest, "previous=\"sha256:"));
    char *records_xml = zip_entry(e.zip, "records.xml");
    cr_assert_not_null(strstr(records_xml, "<records xmlns=\"urn:casescribe:sar:1\" subject=\"P-2\">"));
    cr_assert_not_null(strstr(records_xml, "<provenance record=\"R-1\" version=\"1\""), "records keep their provenance");
    cr_assert_null(zip_entry(e.zip, "redaction-review.csv"), "the officer's list is not in the bundle");

    struct stat st;
    cr_assert_eq(stat(e.zip, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600, "only its owner may read the export");
    free(r1), free(r2), free(r3), free(r4), free(r5);
    free(html), free(manifest), free(records_xml);
    casescribe_free(e.summary);
    free_records(records, n);
    home_close(&h);
}

Test(sar, a_record_not_about_the_subject_is_left_out)
{
    test_home h;
    home_open(&h, 0);
    form_parts p = {.id = "R-9", .subjects = "<subject id=\"P-7\" role=\"parent\" name=\"Alex Other\"/>",
                    .consents = "", .sections = SECTION_HUMAN("observations", "Alex's visit.")};
    char *xml = form_make(&p), *stamped = NULL, path[300];
    cr_assert_eq(save_as(h.ctx, xml, &stamped), CASESCRIBE_OK, "%s", casescribe_last_error());
    snprintf(path, sizeof(path), "%s/x.zip", h.path);
    casescribe_sar_options o;
    casescribe_sar_options_init(&o, sizeof(o));
    o.subject_id = "P-2";
    o.output_path = path;
    casescribe_sar *sar = NULL;
    cr_assert_eq(casescribe_sar_open(&sar, h.ctx, &o), CASESCRIBE_OK);
    cr_assert_eq(casescribe_sar_add(sar, "xml", (const uint8_t *)stamped, strlen(stamped)), CASESCRIBE_EINVAL);
    cr_assert_not_null(strstr(casescribe_last_error(), "not about subject P-2"));
    cr_assert_eq(casescribe_sar_add(sar, "xml", (const uint8_t *)"<nonsense", 9), CASESCRIBE_EPARSE);
    casescribe_sar_free(sar); /* unfinished: nothing written */
    struct stat st;
    cr_assert_neq(stat(path, &st), 0, "an abandoned export leaves no file");
    free(xml);
    free(stamped);
    home_close(&h);
}

/* ---- third parties ------------------------------------------------------------------ */

/* The review list with "yes" (reason third-party) put on the rows naming `a` or `b`. */
static char *approve(const char *csv, const char *a, const char *b)
{
    size_t cap = strlen(csv) * 2 + 64, len = 0;
    char *out = calloc(cap, 1);
    for (const char *line = csv; *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t n = end != NULL ? (size_t)(end - line) : strlen(line);
        char *copy = strndup(line, n);
        int hit = strstr(copy, a) != NULL || strstr(copy, b) != NULL;
        if (hit && n > 5 && strcmp(copy + n - 5, "\"\",\"\"") == 0)
            len += (size_t)snprintf(out + len, cap - len, "%.*s\"yes\",\"third-party\"\n", (int)(n - 5), copy);
        else
            len += (size_t)snprintf(out + len, cap - len, "%s\n", copy);
        free(copy);
        line = end != NULL ? end + 1 : line + n;
    }
    return out;
}

Test(sar, other_people_are_listed_for_the_officer_and_redacted_on_approval)
{
    test_home h;
    home_open(&h, 0);
    size_t n = 0;
    char **records = all_records(h.ctx, &n);
    struct export e;
    cr_assert_eq(run_export(&h, &e, NULL, records, 3), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *csv = read_text(e.review);
    cr_assert_not_null(strstr(csv, "record,version,where,kind,text,occurrences,redact,reason\n"));
    cr_assert_not_null(strstr(csv, "\"R-2\",\"2\",\"subjects\",\"other-person-on-record\",\"Sam Other\""), "%s", csv);
    cr_assert_not_null(strstr(csv, "\"R-1\",\"1\",\"observations\",\"name-in-text\",\"Kerry Smith\""), "%s", csv);
    cr_assert_null(strstr(csv, "\"Jo"), "the requester's own name is not listed: %s", csv);
    cr_assert_null(strstr(csv, "Tuesdays"), "days are not names");
    struct stat st;
    cr_assert_eq(stat(e.review, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);

    char *approved = approve(csv, "Kerry Smith", "Sam Other"), redact[300];
    snprintf(redact, sizeof(redact), "%s/approved.csv", h.path);
    FILE *f = fopen(redact, "w");
    fputs(approved, f);
    fclose(f);
    casescribe_free(e.summary);
    cr_assert_eq(run_export(&h, &e, redact, records, 3), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_not_null(strstr(e.summary, "with redactions: 2\n"), "%s", e.summary);
    char *html = zip_entry(e.zip, "report.html"), *xml = zip_entry(e.zip, "records.xml");
    char *manifest = zip_entry(e.zip, "manifest.xml");
    cr_assert_null(strstr(html, "Kerry"), "the approved name is gone from the page");
    cr_assert_null(strstr(html, "Sam Other"));
    cr_assert_not_null(strstr(html, "<span class=\"redacted\">[redacted]</span><span class=\"unsupported\"> visits on "
                                    "Tuesdays.</span> <span class=\"note\">[not found in the recording]</span>"),
                       "one [redacted], and the sentence still flagged");
    cr_assert_null(strstr(xml, "Kerry"), "and from records.xml");
    cr_assert_null(strstr(xml, "Sam Other"));
    cr_assert_not_null(strstr(xml, "name=\"[redacted]\""), "the other person's name on the record too");
    cr_assert_null(strstr(manifest, "Kerry"), "the manifest never holds the text");
    cr_assert_not_null(strstr(manifest, "<redaction record=\"R-1\" position=\"1\" count=\"1\" reasons=\"third-party\" "
                                        "original-digest=\"sha256:"),
                       "%s", manifest);
    cr_assert_not_null(strstr(manifest, "<redaction record=\"R-2\" position=\"2\" count=\"2\""), "%s", manifest);
    /* The redacted record in records.xml is still a valid form, its
     * citations moved with the text. */
    const char *form = strstr(xml, "<form");
    const char *form_end = strstr(form, "</form>") + strlen("</form>");
    char *first = strndup(form, (size_t)(form_end - form));
    casescribe_record *rec = NULL;
    cr_assert_eq(casescribe_record_open(&rec, "xml", (const uint8_t *)first, strlen(first)), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    cr_assert_str_eq(casescribe_record_section_text(rec, 0), "Jo said the mornings are easier now.\n[redacted] visits "
                                                             "on Tuesdays.");
    cr_assert_not_null(strstr(first, "offset=\"37\" length=\"30\""), "the second citation now covers the redacted "
                                                                   "sentence: %s", first);
    casescribe_record_free(rec);
    char *rep = NULL;
    cr_assert_eq(casescribe_sar_verify(&rep, e.zip, NULL, 0), CASESCRIBE_EUNTRUSTED, "%s", rep);
    casescribe_free(rep);
    free(first), free(html), free(xml), free(manifest), free(csv), free(approved);
    casescribe_free(e.summary);
    free_records(records, n);
    home_close(&h);
}

Test(sar, a_bad_redaction_file_is_refused)
{
    test_home h;
    home_open(&h, 0);
    char path[300], zip[300];
    snprintf(path, sizeof(path), "%s/bad.csv", h.path);
    snprintf(zip, sizeof(zip), "%s/x.zip", h.path);
    static const char *const bad[] = {
        "name,decision\nKerry,yes\n",                                      /* not the review list's columns */
        "record,text,redact,reason\nR-1,Kerry,yes,because I said so\n",    /* an unknown reason */
        "record,text,redact,reason\nR-1,,yes,third-party\n",               /* nothing to redact */
        "record,text,redact\nR-1,\"Kerry,yes\n",                           /* an unclosed quote */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        FILE *f = fopen(path, "w");
        fputs(bad[i], f);
        fclose(f);
        casescribe_sar_options o;
        casescribe_sar_options_init(&o, sizeof(o));
        o.subject_id = "P-2";
        o.output_path = zip;
        o.redact_path = path;
        casescribe_sar *sar = NULL;
        cr_assert_eq(casescribe_sar_open(&sar, h.ctx, &o), CASESCRIBE_ESCHEMA, "file %zu: %s", i,
                     casescribe_last_error());
        cr_assert_null(sar);
    }
    home_close(&h);
}

Test(sar, cells_a_spreadsheet_would_run_are_guarded_and_still_redact)
{
    test_home h;
    home_open(&h, 0);
    form_parts p = {.id = "R-6",
                    .subjects = "<subject id=\"P-2\" role=\"parent\" name=\"Jo Example\"/>"
                                "<subject id=\"P-8\" role=\"other\" name=\"=HYPERLINK(1)\"/>",
                    .sections = SECTION_HUMAN("observations", "Visit.")};
    char *xml = form_make(&p), *stamped = NULL;
    cr_assert_eq(save_as(h.ctx, xml, &stamped), CASESCRIBE_OK, "%s", casescribe_last_error());
    struct export e;
    cr_assert_eq(run_export(&h, &e, NULL, &stamped, 1), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *csv = read_text(e.review);
    cr_assert_not_null(strstr(csv, "\"'=HYPERLINK(1)\""), "%s", csv);
    char *approved = approve(csv, "HYPERLINK", "HYPERLINK"), redact[300];
    snprintf(redact, sizeof(redact), "%s/approved.csv", h.path);
    FILE *f = fopen(redact, "w");
    fputs(approved, f);
    fclose(f);
    casescribe_free(e.summary);
    cr_assert_eq(run_export(&h, &e, redact, &stamped, 1), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *records_xml = zip_entry(e.zip, "records.xml");
    cr_assert_null(strstr(records_xml, "HYPERLINK"), "the apostrophe is not part of the name");
    free(records_xml), free(csv), free(approved), free(xml), free(stamped);
    casescribe_free(e.summary);
    home_close(&h);
}

/* ---- the seal ------------------------------------------------------------------------- */

static void copy_file(const char *from, const char *to)
{
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
    cr_assert_eq(system(cmd), 0);
}

enum change { CHANGE, ADD, REMOVE };

/* A copy of the export with one file changed, added or removed. */
static void tamper(const char *zip, const char *copy, enum change what, const char *name)
{
    copy_file(zip, copy);
    int err = 0;
    zip_t *za = zip_open(copy, 0, &err);
    cr_assert_not_null(za);
    static const char junk[] = "changed by someone";
    zip_source_t *src = zip_source_buffer(za, junk, sizeof(junk) - 1, 0);
    if (what == CHANGE) {
        cr_assert_eq(zip_file_replace(za, (zip_uint64_t)zip_name_locate(za, name, 0), src, 0), 0);
    } else if (what == ADD) {
        cr_assert_geq(zip_file_add(za, name, src, 0), 0);
    } else {
        zip_source_free(src);
        cr_assert_eq(zip_delete(za, (zip_uint64_t)zip_name_locate(za, name, 0)), 0);
    }
    cr_assert_eq(zip_close(za), 0, "%s", zip_strerror(za));
}

static void expect_named(const char *copy, const char *line)
{
    char *report = NULL;
    cr_assert_eq(casescribe_sar_verify(&report, copy, NULL, 0), CASESCRIBE_EVERIFY, "%s", line);
    cr_assert_not_null(report);
    cr_assert_not_null(strstr(report, line), "expected '%s' in:\n%s", line, report);
    cr_assert_not_null(strstr(report, "Result: NOT VERIFIED"));
    casescribe_free(report);
}

Test(sar, verify_names_every_changed_added_or_missing_file)
{
    test_home h;
    home_open(&h, 0);
    size_t n = 0;
    char **records = all_records(h.ctx, &n);
    struct export e;
    cr_assert_eq(run_export(&h, &e, NULL, records, 3), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *report = NULL;
    /* Without a key the caller trusts, matching files are not proof. */
    cr_assert_eq(casescribe_sar_verify(&report, e.zip, NULL, 0), CASESCRIBE_EUNTRUSTED, "%s", casescribe_last_error());
    cr_assert_not_null(strstr(report, "signature: verified"));
    cr_assert_not_null(strstr(report, "Result: NOT PROVEN"), "%s", report);
    cr_assert_null(strstr(report, "Result: VERIFIED"), "%s", report);
    cr_assert_not_null(strstr(report, "records: 3 (3 verified when exported, 0 not)"), "%s", report);
    casescribe_free(report);

    char copy[300];
    snprintf(copy, sizeof(copy), "%s/copy.zip", h.path);
    static const char *const files[] = {"report.html", "records.xml", "public-key.pem", "README.txt"};
    for (size_t i = 0; i < 4; i++) {
        char line[100];
        tamper(e.zip, copy, CHANGE, files[i]);
        snprintf(line, sizeof(line), "changed: '%s'", files[i]);
        expect_named(copy, line);
        tamper(e.zip, copy, REMOVE, files[i]);
        snprintf(line, sizeof(line), "missing: '%s'", files[i]);
        expect_named(copy, line);
    }
    tamper(e.zip, copy, ADD, "extra.html");
    expect_named(copy, "added: 'extra.html'");
    tamper(e.zip, copy, CHANGE, "manifest.xml");
    expect_named(copy, "changed: 'manifest.xml'");
    tamper(e.zip, copy, CHANGE, "manifest.sig");
    expect_named(copy, "changed: 'manifest.xml' or manifest.sig");
    tamper(e.zip, copy, REMOVE, "manifest.sig");
    expect_named(copy, "missing: 'manifest.sig'");
    tamper(e.zip, copy, REMOVE, "manifest.xml");
    expect_named(copy, "missing: 'manifest.xml'");

    /* With the council's key pinned, a bundle sealed by another key fails. */
    test_home other;
    home_open(&other, 0);
    char *pem = NULL;
    cr_assert_eq(casescribe_public_key(&pem, other.ctx), CASESCRIBE_OK);
    cr_assert_eq(casescribe_sar_verify(&report, e.zip, (const uint8_t *)pem, strlen(pem)), CASESCRIBE_EVERIFY);
    cr_assert_not_null(strstr(report, "note: the bundle's public-key.pem is another key"), "%s", report);
    casescribe_free(report);
    casescribe_free(pem);
    cr_assert_eq(casescribe_public_key(&pem, h.ctx), CASESCRIBE_OK);
    cr_assert_eq(casescribe_sar_verify(&report, e.zip, (const uint8_t *)pem, strlen(pem)), CASESCRIBE_OK, "%s",
                 report);
    casescribe_free(report);
    casescribe_free(pem);
    home_close(&other);

    cr_assert_eq(casescribe_sar_verify(&report, "/nonexistent.zip", NULL, 0), CASESCRIBE_ENOTFOUND);
    copy_file(e.review, copy);
    cr_assert_eq(casescribe_sar_verify(&report, copy, NULL, 0), CASESCRIBE_EPARSE, "a CSV is not a ZIP");
    casescribe_free(e.summary);
    free_records(records, n);
    home_close(&h);
}

Test(sar, options_are_checked)
{
    test_home h;
    home_open(&h, 0);
    casescribe_sar_options o;
    casescribe_sar *sar = NULL;
    cr_assert_eq(casescribe_sar_options_init(&o, 8), CASESCRIBE_EINVAL);
    casescribe_sar_options_init(&o, sizeof(o));
    cr_assert_eq(casescribe_sar_open(&sar, h.ctx, &o), CASESCRIBE_EINVAL, "no subject");
    o.subject_id = "P 2";
    o.output_path = "/tmp/x.zip";
    cr_assert_eq(casescribe_sar_open(&sar, h.ctx, &o), CASESCRIBE_EINVAL, "not an id");
    o.subject_id = "P-2";
    o.organisation = "Two\nlines";
    cr_assert_eq(casescribe_sar_open(&sar, h.ctx, &o), CASESCRIBE_EINVAL);
    o.organisation = NULL;
    o.output_path = "/nonexistent-dir/x.zip";
    cr_assert_eq(casescribe_sar_open(&sar, h.ctx, &o), CASESCRIBE_EIO);
    cr_assert_eq(casescribe_sar_add(NULL, "xml", NULL, 0), CASESCRIBE_EINVAL);
    cr_assert_eq(casescribe_sar_finish(NULL, NULL), CASESCRIBE_EINVAL);
    casescribe_sar_free(NULL);
    home_close(&h);
}

/* ---- what the review found untested ------------------------------------------------ */

#include "provenance/keys.h"
#include "provenance/stamp.h"
#include "sar/sar.h"

static char *save_as_actor(casescribe_ctx *ctx, const char *xml, const char *user, const char *role)
{
    casescribe_actor actor;
    casescribe_actor_init(&actor, sizeof(actor));
    actor.user_id = user;
    actor.role = role;
    uint8_t *out = NULL;
    size_t len = 0;
    cr_assert_eq(casescribe_save(&out, &len, ctx, "xml", &actor, (const uint8_t *)xml, strlen(xml)), CASESCRIBE_OK,
                 "%s", casescribe_last_error());
    return (char *)out;
}

Test(sar, roles_journal_positions_and_unknown_keys_are_told_honestly)
{
    test_home h, other;
    home_open(&h, 0);
    home_open(&other, 0);
    /* Written and reviewed by sw-017, last saved by a manager: the manager's
     * role is not credited to sw-017. */
    form_parts p = {.id = "R-7", .sections = SECTION_REVIEWED("observations", "The garden was tidy and safe.")
                                     SECTION_HUMAN("analysis", "No worries at all today.")};
    char *xml = form_make(&p), *records[4];
    records[0] = save_as_actor(h.ctx, xml, "tm-001", "team-manager");
    /* R-8 version 1 after version 2 was saved: an older version. */
    form_parts q = {.id = "R-8", .sections = SECTION_HUMAN("observations", "First note.")};
    char *xml8 = form_make(&q);
    records[1] = save_as_actor(h.ctx, xml8, "sw-017", "social-worker");
    char *v2 = replace_once(records[1], "First note.", "First note, corrected.");
    char *stamped2 = save_as_actor(h.ctx, v2, "sw-017", "social-worker");
    /* signed by a home this one does not know. */
    form_parts r9 = {.id = "R-9", .sections = SECTION_HUMAN("observations", "Elsewhere.")};
    char *xml9 = form_make(&r9);
    records[2] = save_as_actor(other.ctx, xml9, "sw-017", "social-worker");
    records[3] = stamped2;
    struct export e;
    cr_assert_eq(run_export(&h, &e, NULL, records, 4), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *html = zip_entry(e.zip, "report.html"), *manifest = zip_entry(e.zip, "manifest.xml");
    char *b1 = record_block(html, 1), *b2 = record_block(html, 2), *b3 = record_block(html, 3);
    char *b4 = record_block(html, 4);
    cr_assert_not_null(strstr(b1, "<tr><th scope=\"row\">Saved by</th><td>a member of staff (team manager)</td></tr>"),
                       "%s", b1);
    cr_assert_not_null(strstr(b1, "then checked and changed by a member of staff on 3 November 2026"), "%s", b1);
    cr_assert_null(strstr(b1, "your social worker"), "sw-017's role is not known from this stamp");
    cr_assert_not_null(strstr(b2, "A newer version of this record exists."), "%s", b2);
    cr_assert_not_null(strstr(manifest, "id=\"R-8\" version=\"1\""));
    cr_assert_not_null(strstr(manifest, "provenance=\"verified\" journal=\"older\""), "%s", manifest);
    cr_assert_not_null(strstr(manifest, "id=\"R-8\" version=\"2\""));
    cr_assert_not_null(strstr(manifest, "journal=\"latest\""));
    cr_assert_not_null(strstr(b3, "a key the council's system does not know"), "%s", b3);
    cr_assert_not_null(strstr(manifest, "provenance=\"unknown-key\" journal=\"absent\""), "%s", manifest);
    cr_assert_null(strstr(b4, "newer version"));
    free(b1), free(b2), free(b3), free(b4), free(html), free(manifest);
    for (int i = 0; i < 4; i++)
        casescribe_free(records[i]);
    free(xml), free(xml8), free(xml9), free(v2);
    casescribe_free(e.summary);
    home_close(&other);
    home_close(&h);
}

Test(sar, names_in_any_case_the_requesters_own_and_redacted_unsure_words)
{
    test_home h;
    home_open(&h, 0);
    form_parts p = {.id = "R-10",
                    .subjects = "<subject id=\"P-2\" role=\"parent\" name=\"Jo Example\"/>"
                                "<subject id=\"P-3\" role=\"child\" name=\"Sam Other\"/>",
                    .consents = "<consent subject=\"P-2\" given-by=\"self\" method=\"verbal\" capacity=\"has-capacity\" "
                                "at=\"2026-01-01T10:00:00Z\" scopes=\"record-audio transcribe ai-draft\"/>"
                                "<consent subject=\"P-3\" given-by=\"representative\" method=\"written\" "
                                "capacity=\"not-assessed\" at=\"2026-01-01T10:00:00Z\" scopes=\"ai-draft\"/>",
                    .sections = SECTION_DRAFT("observations", "we met jo example and sam at home")
                        SECTION_HUMAN("analysis", "Today I met Jo Example at home."),
                    .extra = "<cite section=\"observations\" offset=\"0\" length=\"33\" segments=\"1\" "
                             "support=\"supported\" unsure=\"3:3 22:3\"/>"};
    char *xml = form_make(&p), *stamped = NULL;
    cr_assert_eq(save_as(h.ctx, xml, &stamped), CASESCRIBE_OK, "%s", casescribe_last_error());
    struct export e;
    cr_assert_eq(run_export(&h, &e, NULL, &stamped, 1), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *csv = read_text(e.review);
    cr_assert_not_null(strstr(csv, "\"R-10\",\"1\",\"observations\",\"other-person-named-in-text\",\"Sam\",\"1\""),
                       "a lower-case name of another person is found: %s", csv);
    cr_assert_null(strstr(csv, "Jo Example\""), "the requester's own name, mid-sentence, is not listed: %s", csv);
    cr_assert_null(strstr(csv, "\"Example\""), "nor part of it: %s", csv);
    /* Redacting "sam", which the transcriber was unsure of: one [redacted],
     * its unsure mark gone from the citation, the other one moved. */
    char *approved = approve(csv, "\"Sam\",", "\"Sam Other\""), redact[300];
    snprintf(redact, sizeof(redact), "%s/approved.csv", h.path);
    FILE *f = fopen(redact, "w");
    fputs(approved, f);
    fclose(f);
    casescribe_free(e.summary);
    char *html = NULL, *records_xml = NULL;
    {
        /* the review list may not overwrite the reviewed file */
        casescribe_sar_options o;
        casescribe_sar_options_init(&o, sizeof(o));
        o.subject_id = "P-2";
        o.output_path = e.zip;
        o.review_path = redact;
        o.redact_path = redact;
        casescribe_sar *sar = NULL;
        cr_assert_eq(casescribe_sar_open(&sar, h.ctx, &o), CASESCRIBE_EINVAL);
        o.review_path = NULL;
        cr_assert_eq(casescribe_sar_open(&sar, h.ctx, &o), CASESCRIBE_OK, "%s", casescribe_last_error());
        cr_assert_eq(casescribe_sar_add(sar, "xml", (const uint8_t *)stamped, strlen(stamped)), CASESCRIBE_OK);
        cr_assert_eq(casescribe_sar_finish(NULL, sar), CASESCRIBE_OK, "%s", casescribe_last_error());
        casescribe_sar_free(sar);
    }
    html = zip_entry(e.zip, "report.html");
    records_xml = zip_entry(e.zip, "records.xml");
    cr_assert_not_null(strstr(html, "we <mark class=\"unsure\">met (?)</mark> jo example and "
                                    "<span class=\"redacted\">[redacted]</span> at home"),
                       "%s", html);
    cr_assert_not_null(strstr(records_xml, "unsure=\"3:3\""), "the redacted word's mark is dropped: %s", records_xml);
    cr_assert_null(strstr(records_xml, "<provenance"), "a redacted record carries no digests of its original text");
    cr_assert_not_null(strstr(records_xml, "provenance-removed=\"redacted\" original-digest=\"sha256:"));
    cr_assert_null(strstr(records_xml, "subject=\"P-3\""), "the redacted person's consent went with their name");
    free(html), free(records_xml), free(csv), free(approved), free(xml);
    casescribe_free(stamped);
    home_close(&h);
}

/* A bundle whose files were changed and re-sealed with a stranger's key:
 * only the council's key tells. */
Test(sar, a_bundle_resealed_with_another_key_verifies_only_against_itself)
{
    test_home h, forger;
    home_open(&h, 0);
    home_open(&forger, 0);
    size_t n = 0;
    char **records = all_records(h.ctx, &n);
    struct export e;
    cr_assert_eq(run_export(&h, &e, NULL, records, 1), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *council = NULL, *fake = NULL, key_id[CS_KEY_ID_MAX];
    cr_assert_eq(casescribe_public_key(&council, h.ctx), CASESCRIBE_OK);
    cr_assert_eq(casescribe_public_key(&fake, forger.ctx), CASESCRIBE_OK);
    cs_keyring *ring = NULL;
    EVP_PKEY *signer = NULL;
    cr_assert_eq(cs_keyring_load(&ring, forger.path), CASESCRIBE_OK);
    cr_assert_eq(cs_keyring_signer(ring, &signer, key_id), CASESCRIBE_OK);
    /* The forger rewrites the manifest to name their key, re-signs it and
     * swaps the public key (the files are left alone: enough to show it). */
    char *manifest = zip_entry(e.zip, "manifest.xml"), *council_id = strstr(manifest, "key-id=\"") + 8;
    char old_id[CS_KEY_ID_MAX];
    snprintf(old_id, sizeof(old_id), "%.*s", (int)strcspn(council_id, "\""), council_id);
    char *forged = strdup(manifest);
    while (strstr(forged, old_id) != NULL) {
        char *next = replace_once(forged, old_id, key_id);
        free(forged);
        forged = next;
    }
    /* and lists the hash of the key it swaps in, so that every file matches */
    char *pem_hash = strstr(forged, "name=\"public-key.pem\"");
    pem_hash = strstr(pem_hash, "sha256=\"") + 8;
    char fake_hash[CS_DIGEST_LEN];
    cr_assert_eq(cs_sha256_tag(fake_hash, (const uint8_t *)fake, strlen(fake)), CASESCRIBE_OK);
    memcpy(pem_hash, fake_hash + 7, 64);
    uint8_t sig[64];
    cr_assert_eq(cs_sar_sign(sig, signer, (const uint8_t *)forged, strlen(forged)), CASESCRIBE_OK);
    int err = 0;
    zip_t *za = zip_open(e.zip, 0, &err);
    zip_file_replace(za, (zip_uint64_t)zip_name_locate(za, "manifest.xml", 0),
                     zip_source_buffer(za, forged, strlen(forged), 0), 0);
    zip_file_replace(za, (zip_uint64_t)zip_name_locate(za, "manifest.sig", 0), zip_source_buffer(za, sig, 64, 0), 0);
    zip_file_replace(za, (zip_uint64_t)zip_name_locate(za, "public-key.pem", 0),
                     zip_source_buffer(za, fake, strlen(fake), 0), 0);
    cr_assert_eq(zip_close(za), 0);
    char *report = NULL;
    /* Self-consistent, but never a pass without the council's key: a
     * distinct status, and the forger's fingerprint, not the council's. */
    cr_assert_eq(casescribe_sar_verify(&report, e.zip, NULL, 0), CASESCRIBE_EUNTRUSTED, "self-consistent: %s", report);
    cr_assert_not_null(strstr(report, "Result: NOT PROVEN: the seal proves only that the files match each other"),
                       "and said to be only that: %s", report);
    cr_assert_null(strstr(report, "VERIFIED"), "%s", report);
    char *council_fp = NULL, *fake_fp = NULL;
    cr_assert_eq(casescribe_public_key_fingerprint(&council_fp, (const uint8_t *)council, strlen(council)),
                 CASESCRIBE_OK);
    cr_assert_eq(casescribe_public_key_fingerprint(&fake_fp, (const uint8_t *)fake, strlen(fake)), CASESCRIBE_OK);
    cr_assert_not_null(strstr(report, fake_fp), "the report shows the fingerprint to compare: %s", report);
    cr_assert_null(strstr(report, council_fp), "%s", report);
    casescribe_free(council_fp), casescribe_free(fake_fp);
    casescribe_free(report);
    cr_assert_eq(casescribe_sar_verify(&report, e.zip, (const uint8_t *)council, strlen(council)), CASESCRIBE_EVERIFY);
    cr_assert_not_null(strstr(report, "changed: 'manifest.xml' or manifest.sig"), "%s", report);
    casescribe_free(report);
    EVP_PKEY_free(signer);
    cs_keyring_free(ring);
    free(forged);
    free(manifest);
    casescribe_free(council), casescribe_free(fake), casescribe_free(e.summary);
    free_records(records, n);
    home_close(&forger);
    home_close(&h);
}

/* The fingerprint a council publishes, in README.txt for the person to
 * compare and in the summary for the officer's cover letter. */
Test(sar, readme_and_summary_give_the_key_fingerprint_to_compare)
{
    test_home h;
    home_open(&h, 0);
    char *rec = record_human(h.ctx), *pem = NULL, *fp = NULL, *other = NULL;
    struct export e;
    cr_assert_eq(run_export(&h, &e, NULL, &rec, 1), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(casescribe_public_key(&pem, h.ctx), CASESCRIBE_OK);
    cr_assert_eq(casescribe_public_key_fingerprint(&fp, (const uint8_t *)pem, strlen(pem)), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    cr_assert_eq(strlen(fp), 79, "64 hex digits in 16 groups: '%s'", fp);
    for (size_t i = 0; i < 79; i++)
        cr_assert(i % 5 == 4 ? fp[i] == ' ' : strchr("0123456789abcdef", fp[i]) != NULL, "'%s' at %zu", fp, i);
    char *readme = zip_entry(e.zip, "README.txt");
    cr_assert_not_null(strstr(readme, fp), "README.txt gives the fingerprint: %s", readme);
    cr_assert_not_null(strstr(readme, "Compare it, digit by digit, with the fingerprint the council\npublishes"));
    cr_assert_not_null(strstr(readme, "openssl pkey -pubin -in public-key.pem -outform DER | sha256sum"));
    char line[120];
    snprintf(line, sizeof(line), "key fingerprint: %s\n", fp);
    cr_assert_not_null(strstr(e.summary, line), "%s", e.summary);
    /* another key, another fingerprint; anything else is refused */
    test_home o;
    home_open(&o, 0);
    casescribe_free(pem);
    cr_assert_eq(casescribe_public_key(&pem, o.ctx), CASESCRIBE_OK);
    cr_assert_eq(casescribe_public_key_fingerprint(&other, (const uint8_t *)pem, strlen(pem)), CASESCRIBE_OK);
    cr_assert_str_neq(fp, other);
    char *none = (char *)"x";
    cr_assert_eq(casescribe_public_key_fingerprint(&none, (const uint8_t *)"not a key", 9), CASESCRIBE_EKEY);
    cr_assert_null(none);
    cr_assert_eq(casescribe_public_key_fingerprint(NULL, (const uint8_t *)pem, strlen(pem)), CASESCRIBE_EINVAL);
    cr_assert_eq(casescribe_public_key_fingerprint(&none, NULL, 0), CASESCRIBE_EINVAL);
    home_close(&o);
    free(readme), free(rec);
    casescribe_free(pem), casescribe_free(fp), casescribe_free(other), casescribe_free(e.summary);
    home_close(&h);
}

Test(sar, redaction_spans_map_and_keep_every_reason)
{
    static const char csv[] = "\xEF\xBB\xBFrecord,text,redact,reason\n"
                              "R-1,Kerry Smith,yes,third-party\n"
                              "*,Smith,YES,serious-harm\n"
                              "'-R2,Kerry,yes,\n"
                              "R-1,Alex,no,\n";
    cs_redactions rx;
    cr_assert_eq(cs_redactions_parse(&rx, (const uint8_t *)csv, sizeof(csv) - 1), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    cr_assert_eq(rx.n, 3, "rows marked yes only, the byte order mark skipped");
    const char text[] = "Ask Kerry Smith. Smithson and Alex.";
    cs_span *spans = NULL;
    size_t n = 0;
    cr_assert_eq(cs_redaction_spans(&spans, &n, &rx, "R-1", text, strlen(text)), CASESCRIBE_OK);
    cr_assert_eq(n, 1, "Kerry Smith and Smith merge; Smithson is another word; Alex was not approved");
    cr_assert_eq(spans[0].start, 4);
    cr_assert_eq(spans[0].end, 15);
    cr_assert_eq(spans[0].reasons, (1u << 0) | (1u << 1), "both reasons are kept");
    size_t len = 0;
    char *out = cs_redact_text(text, strlen(text), spans, n, &len);
    cr_assert_str_eq(out, "Ask [redacted]. Smithson and Alex.");
    cr_assert_eq(cs_redact_map(2, spans, n), 2);
    cr_assert_eq(cs_redact_map(8, spans, n), 4, "inside: the start of [redacted]");
    cr_assert_eq(cs_redact_map_end(8, spans, n), 14, "an end inside: the end of [redacted]");
    cr_assert_eq(cs_redact_map(15, spans, n), 14);
    cr_assert_eq(cs_redact_map(strlen(text), spans, n), len);
    free(out);
    free(spans);
    cr_assert_eq(cs_redaction_spans(&spans, &n, &rx, "-R2", "Kerry came.", 11), CASESCRIBE_OK);
    cr_assert_eq(n, 1, "a guarded record id ('-R2) still applies to -R2");
    free(spans);
    cs_redactions_free(&rx);
}

/* Issue #17: a text first drafted by an external model and then saved, one
 * word changed, under a local engine: the page names both programs and
 * records.xml keeps the engine history. */
Test(sar, every_engine_that_drafted_a_text_is_shown)
{
    test_home h;
    home_open(&h, 0);
    cr_assert_eq(casescribe_team_set(h.ctx, "admin-1", "cin-north", "external-ai", "on"), CASESCRIBE_OK);
    form_parts p = {.id = "R-9",
                    .consents = "<consent subject=\"P-2\" given-by=\"self\" method=\"verbal\" capacity=\"has-capacity\" "
                                "at=\"2026-01-01T10:00:00Z\" scopes=\"ai-draft external-ai\"/>",
                    .sections = "<section id=\"summary\" origin=\"ai-draft\" engine=\"openai:gpt-4o\" "
                                "model=\"gpt-4o\">No new risks were identified.</section>"};
    char *xml = form_make(&p), *v1 = NULL, *v2 = NULL;
    cr_assert_eq(save_as(h.ctx, xml, &v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *local = replace_once(v1, "engine=\"openai:gpt-4o\" model=\"gpt-4o\"", "engine=\"embedded:extractive\"");
    char *edited = replace_once(local, "identified", "found");
    cr_assert_eq(save_as(h.ctx, edited, &v2), CASESCRIBE_OK, "%s", casescribe_last_error());
    struct export e;
    cr_assert_eq(run_export(&h, &e, NULL, &v2, 1), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *html = zip_entry(e.zip, "report.html"), *records = zip_entry(e.zip, "records.xml");
    cr_assert_not_null(html);
    cr_expect_not_null(strstr(html, "drafted by another computer program as well: openai:gpt-4o, gpt-4o."), "%s",
                       html);
    cr_expect_not_null(strstr(records, "<earlier-engine engine=\"openai:gpt-4o\" model=\"gpt-4o\"/>"));
    free(html);
    free(records);
    casescribe_free(e.summary);
    free(xml);
    free(local);
    free(edited);
    casescribe_free(v1);
    casescribe_free(v2);
    home_close(&h);
}

/* Two-phase saves: a version the host never confirmed and that the next
 * save from the confirmed one superseded is exported as abandoned. */
Test(sar, an_abandoned_version_is_told_as_abandoned)
{
    test_home h;
    home_open(&h, CASESCRIBE_OPEN_TWO_PHASE);
    form_parts p = {.id = "R-10", .sections = SECTION_HUMAN("observations", "First note.")};
    char *xml = form_make(&p), *records[2];
    char *v1 = save_as_actor(h.ctx, xml, "sw-017", "social-worker");
    cr_assert_eq(casescribe_save_confirm(h.ctx, "xml", (const uint8_t *)v1, strlen(v1)), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    char *lost = replace_once(v1, "First note.", "First note, lost by the host.");
    char *again = replace_once(v1, "First note.", "First note, written again.");
    records[0] = save_as_actor(h.ctx, lost, "sw-017", "social-worker");
    records[1] = save_as_actor(h.ctx, again, "sw-017", "social-worker");
    struct export e;
    cr_assert_eq(run_export(&h, &e, NULL, records, 2), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *html = zip_entry(e.zip, "report.html"), *manifest = zip_entry(e.zip, "manifest.xml");
    char *b1 = record_block(html, 1), *b2 = record_block(html, 2);
    cr_expect_not_null(strstr(manifest, "id=\"R-10\" version=\"2\""), "%s", manifest);
    cr_expect_not_null(strstr(manifest, "journal=\"abandoned\""), "%s", manifest);
    cr_expect_not_null(strstr(manifest, "id=\"R-10\" version=\"3\""), "%s", manifest);
    cr_expect_not_null(strstr(b1, "This version was abandoned."), "%s", b1);
    cr_expect_null(strstr(b2, "abandoned"), "%s", b2);
    free(b1), free(b2), free(html), free(manifest);
    casescribe_free(records[0]), casescribe_free(records[1]), casescribe_free(v1);
    free(xml), free(lost), free(again);
    casescribe_free(e.summary);
    home_close(&h);
}
