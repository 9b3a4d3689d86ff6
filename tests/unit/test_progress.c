/* SPDX-License-Identifier: Apache-2.0 */
/* test_progress.c - how far a job has got (casescribe_job_progress), and
 * the worker's observation tags through a real transcription (the helper
 * just built, a librivox recording) and a fill: the team policy's
 * observation-tags switch, the tags at their time as the worker's words,
 * and carried into the draft as the worker's own section, never AI text. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "transcribe/transcript.h"

#define RECORDING "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav"
#define RECORDING_MS 7100 /* about 7.1 s */

static test_home home;
static char helper[512];

static void setup(void)
{
    home_open(&home, 0);
    const char *build = getenv("top_builddir");
    snprintf(helper, sizeof(helper), "%s/casescribe-asr", build != NULL ? build : ".");
    cr_assert_eq(access(helper, X_OK), 0, "no helper at %s", helper);
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", "transcription", "on"), CASESCRIBE_OK);
}

static void teardown(void)
{
    home_close(&home);
}

TestSuite(progress, .init = setup, .fini = teardown, .timeout = 120);
TestSuite(tags, .init = setup, .fini = teardown, .timeout = 120);

static int32_t start(casescribe_job **job, const char *tags, uint32_t size)
{
    char *form = form_make(&(form_parts){0});
    casescribe_transcribe_options o;
    cr_assert_eq(casescribe_transcribe_options_init(&o, size), CASESCRIBE_OK, "%s", casescribe_last_error());
    o.form = (const uint8_t *)form;
    o.form_len = strlen(form);
    o.audio_path = RECORDING;
    o.helper_path = helper;
    if (tags != NULL) {
        o.tags = (const uint8_t *)tags;
        o.tags_len = strlen(tags);
    }
    int32_t rc = casescribe_transcribe(job, home.ctx, &o);
    free(form);
    return rc;
}

Test(progress, a_transcription_counts_milliseconds_of_the_recording)
{
    casescribe_job *job = NULL;
    int64_t done = -1, total = -1, last = 0, seen_total = 0;
    cr_assert_eq(start(&job, NULL, sizeof(casescribe_transcribe_options)), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    while (casescribe_job_wait(job, 5) == CASESCRIBE_EBUSY) {
        cr_assert_eq(casescribe_job_progress(job, &done, &total), CASESCRIBE_OK);
        cr_assert_leq(done, total, "done never exceeds total");
        cr_assert_geq(done, last, "progress never goes back");
        last = done;
        seen_total = total > 0 ? total : seen_total;
        cr_assert(seen_total == 0 || total == seen_total, "the total does not change once known");
    }
    cr_assert_eq(casescribe_job_status(job), CASESCRIBE_OK, "%s", casescribe_job_message(job));
    cr_assert_eq(casescribe_job_progress(job, &done, &total), CASESCRIBE_OK);
    cr_assert(total > RECORDING_MS - 200 && total < RECORDING_MS + 200, "total %lld ms", (long long)total);
    cr_assert_eq(done, total, "a finished job is all done");
    casescribe_job_free(job);
}

Test(progress, bad_arguments)
{
    int64_t done = 5, total = 5;
    cr_assert_eq(casescribe_job_progress(NULL, &done, &total), CASESCRIBE_EINVAL);
    cr_assert_eq(done, 0);
    cr_assert_eq(total, 0);
    casescribe_job *job = NULL;
    cr_assert_eq(start(&job, NULL, sizeof(casescribe_transcribe_options)), CASESCRIBE_OK);
    cr_assert_eq(casescribe_job_progress(job, NULL, &total), CASESCRIBE_EINVAL);
    cr_assert_eq(casescribe_job_wait(job, 110000), CASESCRIBE_OK);
    casescribe_job_free(job);
}

/* Drafts statutory-home-visit from `t`; the job's status, its progress and
 * the draft. */
static int32_t fill(casescribe_transcript *t, char **draft, int64_t *done, int64_t *total)
{
    casescribe_template *tpl = NULL;
    cr_assert_eq(casescribe_template_find(&tpl, home.ctx, "statutory-home-visit"), CASESCRIBE_OK);
    char *form = form_make(&(form_parts){.sections = "<section id=\"analysis\" origin=\"human\"></section>"});
    casescribe_fill_options o;
    cr_assert_eq(casescribe_fill_options_init(&o, sizeof(o)), CASESCRIBE_OK);
    o.form = (const uint8_t *)form;
    o.form_len = strlen(form);
    o.form_template = tpl;
    o.transcript = t;
    casescribe_job *job = NULL;
    int32_t rc = casescribe_fill(&job, home.ctx, &o);
    free(form);
    casescribe_template_free(tpl);
    if (rc != CASESCRIBE_OK)
        return rc;
    cr_assert_eq(casescribe_job_wait(job, 60000), CASESCRIBE_OK);
    rc = casescribe_job_status(job);
    size_t len = 0;
    if (rc == CASESCRIBE_OK)
        cr_assert_eq(casescribe_job_draft((uint8_t **)draft, &len, job), CASESCRIBE_OK);
    cr_assert_eq(casescribe_job_progress(job, done, total), CASESCRIBE_OK);
    casescribe_job_free(job);
    return rc;
}

static casescribe_transcript *imported(const char *text)
{
    casescribe_transcript *t = NULL;
    cr_assert_eq(casescribe_transcript_open(&t, (const uint8_t *)text, strlen(text)), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    return t;
}

static const char visit[] =
    "[00:00:02] Worker: Hello Kerry, is Mia about? I would like to see her bedroom and the new bunk beds.\n"
    "[00:00:09] Kerry: She is upstairs in her bedroom, she likes the new bunk beds a lot.\n"
    "[00:00:15] Mia: I like my bedroom and I want to play football for the school team.\n"
    "[00:00:24] Kerry: Money is tight but the housing officer agreed a payment plan.\n";

Test(progress, a_fill_counts_its_three_steps)
{
    casescribe_transcript *t = imported(visit);
    char *draft = NULL;
    int64_t done = 0, total = 0;
    cr_assert_eq(fill(t, &draft, &done, &total), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(total, 3);
    cr_assert_eq(done, 3);
    cr_assert_not_null(strstr(draft, "transcript by imported:text"), "the draft names where its transcript came from");
    casescribe_free(draft);
    casescribe_transcript_free(t);
}

Test(tags, tags_need_the_policy_switch)
{
    casescribe_job *job = NULL;
    cr_assert_eq(start(&job, "00:00:03 child withdrew to bedroom\n", sizeof(casescribe_transcribe_options)),
                 CASESCRIBE_EPOLICY);
    cr_assert_not_null(strstr(casescribe_last_error(), "observation-tags switched off"), "%s",
                       casescribe_last_error());
    cr_assert_null(job);
}

Test(tags, a_bad_tag_list_is_refused_at_once)
{
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", "observation-tags", "on"), CASESCRIBE_OK);
    casescribe_job *job = NULL;
    cr_assert_eq(start(&job, "child withdrew to bedroom\n", sizeof(casescribe_transcribe_options)),
                 CASESCRIBE_EPARSE);
    cr_assert_not_null(strstr(casescribe_last_error(), "line 1"), "%s", casescribe_last_error());
}

Test(tags, tags_are_placed_in_the_transcript_at_their_time)
{
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", "observation-tags", "on"), CASESCRIBE_OK);
    casescribe_job *job = NULL;
    cr_assert_eq(start(&job, "00:00:03.500 child withdrew to bedroom\n00:00:00 arrived\n",
                       sizeof(casescribe_transcribe_options)),
                 CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(casescribe_job_wait(job, 110000), CASESCRIBE_OK);
    cr_assert_eq(casescribe_job_status(job), CASESCRIBE_OK, "%s", casescribe_job_message(job));
    casescribe_transcript *t = NULL;
    cr_assert_eq(casescribe_job_transcript(&t, job), CASESCRIBE_OK);
    cr_assert_eq(cs_transcript_tag_count(t), 2);
    cr_assert_str_eq(casescribe_transcript_segment_text(t, 0), "arrived");
    int64_t last = -1;
    int found = 0;
    for (uint32_t s = 0; s < casescribe_transcript_segment_count(t); s++) {
        cr_assert_geq(casescribe_transcript_segment_start_ms(t, s), last, "in time order");
        last = casescribe_transcript_segment_start_ms(t, s);
        if (strcmp(casescribe_transcript_segment_text(t, s), "child withdrew to bedroom") == 0) {
            found = 1;
            cr_assert_eq(last, 3500);
            cr_assert_eq(t->segments[s].by, CS_BY_WORKER);
            cr_assert_eq(casescribe_transcript_word_unsure(t, s, 0), 0);
        }
    }
    cr_assert(found);
    char *text = NULL;
    cr_assert_eq(casescribe_transcript_render(&text, t, CASESCRIBE_TRANSCRIPT_TEXT), CASESCRIBE_OK);
    cr_assert_not_null(strstr(text, "(worker's note) child withdrew to bedroom"), "%s", text);
    casescribe_free(text);
    casescribe_transcript_free(t);
    casescribe_job_free(job);
}

Test(tags, options_from_before_the_tags_are_still_accepted)
{
    casescribe_job *job = NULL;
    cr_assert_eq(start(&job, NULL, (uint32_t)offsetof(casescribe_transcribe_options, tags)), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    cr_assert_eq(casescribe_job_wait(job, 110000), CASESCRIBE_OK);
    cr_assert_eq(casescribe_job_status(job), CASESCRIBE_OK, "%s", casescribe_job_message(job));
    casescribe_job_free(job);
    casescribe_transcribe_options o;
    cr_assert_eq(casescribe_transcribe_options_init(&o, 12), CASESCRIBE_EINVAL);
}

/* The part of `draft` from `from` to the end of its element. */
static char *element(const char *draft, const char *from)
{
    const char *at = strstr(draft, from);
    cr_assert_not_null(at, "no %s in %s", from, draft);
    const char *end = strstr(at, "</section>");
    cr_assert_not_null(end);
    return strndup(at, (size_t)(end - at));
}

Test(tags, a_draft_carries_tags_as_the_workers_words_never_as_ai_text)
{
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", "observation-tags", "on"), CASESCRIBE_OK);
    casescribe_transcript *t = imported(visit);
    const char *tags = "00:00:12 Mia showed me her bedroom and the new bunk beds\n";
    cr_assert_eq(cs_transcript_add_tags(t, (const uint8_t *)tags, strlen(tags)), CASESCRIBE_OK);
    char *draft = NULL;
    int64_t done = 0, total = 0;
    cr_assert_eq(fill(t, &draft, &done, &total), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *mine = element(draft, "<section id=\"worker-observations\"");
    cr_assert_not_null(strstr(mine, "origin=\"human\">00:00:12 Mia showed me her bedroom and the new bunk beds"),
                       "%s", mine);
    free(mine);
    /* No AI section holds the tag's words (it shares "bedroom" and "bunk
     * beds" with the sentences the filler does draft). */
    for (const char *p = strstr(draft, "origin=\"ai-draft\""); p != NULL; p = strstr(p + 1, "origin=\"ai-draft\"")) {
        char *sec = element(draft, p);
        cr_assert_null(strstr(sec, "Mia showed me"), "a tag drafted as AI text: %s", sec);
        free(sec);
    }
    cr_assert_not_null(strstr(draft, "origin=\"ai-draft\""), "the rest was drafted: %s", draft);
    casescribe_free(draft);
    /* With the switch off, a transcript holding tags is not drafted from. */
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", "observation-tags", "off"), CASESCRIBE_OK);
    cr_assert_eq(fill(t, &draft, &done, &total), CASESCRIBE_EPOLICY);
    cr_assert_not_null(strstr(casescribe_last_error(), "observation-tags switched off"));
    casescribe_transcript_free(t);
}

Test(tags, the_tags_of_a_kept_job_survive_a_restart)
{
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", "observation-tags", "on"), CASESCRIBE_OK);
    casescribe_job *jobs[3];
    for (int i = 0; i < 3; i++) /* two workers: the third waits in the queue */
        cr_assert_eq(start(&jobs[i], "00:00:02 child withdrew to bedroom\n", sizeof(casescribe_transcribe_options)),
                     CASESCRIBE_OK, "%s", casescribe_last_error());
    char id[40];
    snprintf(id, sizeof(id), "%s", casescribe_job_id(jobs[2]));
    casescribe_ctx_close(home.ctx); /* a deploy: the jobs stop, not for good */
    for (int i = 0; i < 3; i++)
        casescribe_job_free(jobs[i]);
    casescribe_ctx_options o;
    cr_assert_eq(casescribe_ctx_options_init(&o, sizeof(o)), CASESCRIBE_OK);
    o.home = home.path;
    o.flags = CASESCRIBE_OPEN_NO_SYNC;
    cr_assert_eq(casescribe_ctx_open(&home.ctx, &o), CASESCRIBE_OK, "%s", casescribe_last_error());
    casescribe_job *job = NULL;
    cr_assert_eq(casescribe_job_attach(&job, home.ctx, id), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(casescribe_job_wait(job, 110000), CASESCRIBE_OK);
    cr_assert_eq(casescribe_job_status(job), CASESCRIBE_OK, "%s", casescribe_job_message(job));
    casescribe_transcript *t = NULL;
    cr_assert_eq(casescribe_job_transcript(&t, job), CASESCRIBE_OK);
    cr_assert_eq(cs_transcript_tag_count(t), 1, "the tags were kept with the job");
    casescribe_transcript_free(t);
    casescribe_job_free(job);
}
