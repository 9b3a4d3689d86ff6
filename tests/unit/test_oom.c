/* SPDX-License-Identifier: Apache-2.0 */
/* test_oom.c - every allocation the library makes may fail, one at a time
 * (SQLite and curl test this way): the Nth malloc/calloc/realloc of a save
 * returns NULL, for N = 1, 2, ... until a save completes without reaching
 * it. Each attempt must end in OK or ENOMEM, never a crash; the ASan build
 * also checks that nothing leaks on any of those paths. Allocations inside
 * libxml2, OpenSSL and jansson are theirs to test: only the library's own
 * calls are wrapped (-Wl,--wrap). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "transcribe/transcript.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static long countdown = -1; /* allocations left before one fails; -1: never */
static int injected;

static int should_fail(void)
{
    if (countdown < 0)
        return 0;
    if (countdown-- == 0) {
        injected = 1;
        return 1;
    }
    return 0;
}

void *__wrap_malloc(size_t n)
{
    return should_fail() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return should_fail() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : __real_realloc(p, n);
}

static void arm(long n)
{
    injected = 0;
    countdown = n;
}

static void disarm(void)
{
    countdown = -1;
}

static char *form_with_id(const char *id)
{
    form_parts p = {.id = id, .sections = SECTION_DRAFT("observations",
                                                        "Sam showed me the new bedroom and said school was going "
                                                        "better this term, and Jo agreed.")
                                              SECTION_HUMAN("analysis", "My own analysis of how the visit went.")};
    return form_make(&p);
}

Test(oom, every_allocation_of_a_first_save_may_fail)
{
    test_home h;
    home_open(&h, 0);
    int failures = 0, n;
    for (n = 0; n < 5000; n++) {
        char id[32];
        snprintf(id, sizeof(id), "R-%d", n);
        char *xml = form_with_id(id);
        arm(n);
        int32_t rc = save_as(h.ctx, xml, NULL);
        disarm();
        free(xml);
        cr_expect(rc == CASESCRIBE_OK || rc == CASESCRIBE_ENOMEM, "allocation %d failing gave %d: %s", n, rc,
                  casescribe_last_error());
        failures += rc == CASESCRIBE_ENOMEM;
        if (!injected)
            break;
    }
    cr_log_info("a first save makes %d allocations of its own; %d failures were reported as ENOMEM", n, failures);
    cr_expect_gt(failures, 10, "the injection reached the library");
    uint64_t entries = 0;
    cr_expect_eq(casescribe_journal_verify(&entries, NULL, h.ctx), CASESCRIBE_OK, "%s", casescribe_last_error());
    home_close(&h);
}

Test(oom, every_allocation_of_a_chained_save_may_fail)
{
    test_home h;
    home_open(&h, 0);
    int n;
    for (n = 0; n < 5000; n++) {
        char id[32], *v1 = NULL;
        snprintf(id, sizeof(id), "R-%d", n);
        char *xml = form_with_id(id);
        cr_assert_eq(save_as(h.ctx, xml, &v1), CASESCRIBE_OK, "%s", casescribe_last_error());
        arm(n);
        int32_t rc = save_as(h.ctx, v1, NULL);
        disarm();
        cr_expect(rc == CASESCRIBE_OK || rc == CASESCRIBE_ENOMEM, "allocation %d failing gave %d: %s", n, rc,
                  casescribe_last_error());
        free(xml);
        casescribe_free(v1);
        if (!injected)
            break;
    }
    cr_expect_gt(n, 10);
    /* The index is whole after all that: laundering is still caught. */
    form_parts p = {.id = "R-launder",
                    .sections = SECTION_HUMAN("observations", "Sam showed me the new bedroom and said school was "
                                                              "going better this term, and Jo agreed.")};
    char *xml = form_make(&p);
    cr_expect_eq(save_as(h.ctx, xml, NULL), CASESCRIBE_ELAUNDER, "%s", casescribe_last_error());
    free(xml);
    home_close(&h);
}

Test(oom, opening_a_home_and_verifying_may_fail_cleanly)
{
    test_home h;
    home_open(&h, 0);
    char *xml = form_with_id("R-1"), *v1 = NULL;
    cr_assert_eq(save_as(h.ctx, xml, &v1), CASESCRIBE_OK);
    int n;
    for (n = 0; n < 5000; n++) {
        casescribe_ctx_options opts;
        casescribe_ctx_options_init(&opts, sizeof(opts));
        opts.home = h.path;
        casescribe_ctx *ctx = NULL;
        char *report = NULL;
        arm(n);
        int32_t rc = casescribe_ctx_open(&ctx, &opts);
        if (rc == CASESCRIBE_OK)
            rc = casescribe_verify(&report, ctx, "xml", (uint8_t *)v1, strlen(v1));
        disarm();
        cr_expect(rc == CASESCRIBE_OK || rc == CASESCRIBE_ENOMEM, "allocation %d failing gave %d: %s", n, rc,
                  casescribe_last_error());
        casescribe_free(report);
        casescribe_ctx_close(ctx);
        if (!injected)
            break;
    }
    cr_expect_gt(n, 10);
    free(xml);
    casescribe_free(v1);
    home_close(&h);
}

/* The gates fail closed: whatever allocation fails, a final save with an
 * unreviewed draft and a human copy of AI text are never accepted. */
Test(oom, the_review_gate_and_the_laundering_check_never_fail_open)
{
    test_home h;
    home_open(&h, 0);
    const char *ai_text = "Sam showed me the new bedroom and said school was going better this term, and Jo agreed.";
    char *first = form_with_id("R-ai");
    cr_assert_eq(save_as(h.ctx, first, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
    free(first);
    form_parts final_form = {.id = "R-final", .final = "true"};
    char sections[512];
    snprintf(sections, sizeof(sections), "<section id=\"notes\" origin=\"human\">%s</section>", ai_text);
    form_parts launder = {.id = "R-copy", .sections = sections};
    char *gate = form_make(&final_form), *copy = form_make(&launder);
    int reached = 0;
    for (int n = 0; n < 5000; n++) {
        arm(n);
        int32_t rc_gate = save_as(h.ctx, gate, NULL);
        int gate_injected = injected;
        arm(n);
        int32_t rc_copy = save_as(h.ctx, copy, NULL);
        disarm();
        cr_expect(rc_gate == CASESCRIBE_EREVIEW || rc_gate == CASESCRIBE_ENOMEM, "allocation %d: final save gave %d",
                  n, rc_gate);
        cr_expect(rc_copy == CASESCRIBE_ELAUNDER || rc_copy == CASESCRIBE_ENOMEM, "allocation %d: copy gave %d", n,
                  rc_copy);
        reached = n;
        if (!gate_injected && !injected)
            break;
    }
    cr_expect_gt(reached, 10, "the injection reached the library");
    free(gate);
    free(copy);
    home_close(&h);
}

/* Another program's transcript (WebVTT with voice tags, entities, a NOTE)
 * and the worker's observation tags: every allocation may fail. */
Test(oom, an_imported_transcript_and_its_tags_may_fail_cleanly)
{
    static const char vtt[] = "WEBVTT\n\nNOTE made by a meeting tool\n\n1\n00:00:01.000 --> 00:00:03.000\n"
                              "<v Kerry Thompson>Come in, sorry &amp; thanks.</v>\n\n00:00:04.000 --> 00:00:06.000\n"
                              "Priya Shah: Is Mia about?\n";
    static const char tags[] = "00:00:02 child withdrew to bedroom\n[00:00:05] mother tearful\n";
    int done = 0, failures = 0;
    for (long n = 0; n < 2000 && !done; n++) {
        casescribe_transcript *t = NULL;
        arm(n);
        int32_t rc = casescribe_transcript_open(&t, (const uint8_t *)vtt, strlen(vtt));
        disarm();
        cr_expect(rc == CASESCRIBE_OK || rc == CASESCRIBE_ENOMEM, "allocation %ld failing gave %d: %s", n, rc,
                  casescribe_last_error());
        cr_expect(rc == CASESCRIBE_OK || t == NULL);
        if (rc == CASESCRIBE_OK) {
            arm(n);
            rc = cs_transcript_add_tags(t, (const uint8_t *)tags, strlen(tags));
            disarm();
            cr_expect(rc == CASESCRIBE_OK || rc == CASESCRIBE_ENOMEM, "tags: allocation %ld failing gave %d", n, rc);
            done = !injected;
        }
        failures += rc == CASESCRIBE_ENOMEM;
        casescribe_transcript_free(t);
    }
    cr_assert(done, "the import never completed");
    cr_assert_gt(failures, 10, "allocations were failed");
}
