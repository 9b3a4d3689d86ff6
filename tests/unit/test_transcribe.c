/* SPDX-License-Identifier: Apache-2.0 */
/* test_transcribe.c - transcription jobs: the policy and consent gates, the
 * embedded engine on real speech (pocketsphinx-testdata's librivox files),
 * the transcript and its renderings, and helpers that crash or receive
 * junk. The helper is the one just built (top_builddir/casescribe-asr). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "helpers.h"
#include "transcribe/engine.h"
#include "transcribe/transcript.h"

#define LIBRIVOX "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-"

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

TestSuite(transcribe, .init = setup, .fini = teardown, .timeout = 120);

static const char *consents_with(const char *scopes)
{
    static char buf[512];
    snprintf(buf, sizeof(buf),
             "<consent subject=\"P-2\" given-by=\"self\" method=\"verbal\" capacity=\"has-capacity\" "
             "at=\"2026-01-01T10:00:00Z\" scopes=\"%s\"/>",
             scopes);
    return buf;
}

static uint32_t start_flags; /* casescribe_transcribe_options.flags for the next start() */

/* Starts a transcription of `audio` for a form whose consent has `scopes`. */
static int32_t start(casescribe_job **job, const char *audio, const char *scopes, const char *helper_path)
{
    form_parts parts = {.consents = consents_with(scopes)};
    char *form = form_make(&parts);
    casescribe_transcribe_options o;
    cr_assert_eq(casescribe_transcribe_options_init(&o, sizeof(o)), CASESCRIBE_OK);
    o.form = (const uint8_t *)form;
    o.form_len = strlen(form);
    o.audio_path = audio;
    o.helper_path = helper_path;
    o.flags = start_flags;
    int32_t rc = casescribe_transcribe(job, home.ctx, &o);
    free(form);
    return rc;
}

static int32_t run_to_end(casescribe_job *job)
{
    cr_assert_eq(casescribe_job_wait(job, 110000), CASESCRIBE_OK, "the job did not end");
    return casescribe_job_status(job);
}

/* Words of `hyp` found in order in `ref` (a crude recall, enough to show
 * that speech was recognised, not noise). */
static double recall(const char *hyp, const char *ref)
{
    char r[1024];
    snprintf(r, sizeof(r), "%s", ref);
    int total = 0, found = 0;
    for (char *save = NULL, *w = strtok_r(r, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
        total++;
        char needle[64];
        snprintf(needle, sizeof(needle), " %s ", w);
        char padded[2048];
        snprintf(padded, sizeof(padded), " %s ", hyp);
        found += strstr(padded, needle) != NULL;
    }
    return total ? (double)found / total : 0;
}

Test(transcribe, a_recording_becomes_a_marked_transcript)
{
    casescribe_job *job = NULL;
    cr_assert_eq(start(&job, LIBRIVOX "0870.wav", "record-audio transcribe", helper), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    cr_assert_eq(run_to_end(job), CASESCRIBE_OK, "%s", casescribe_job_message(job));
    casescribe_transcript *t = NULL;
    cr_assert_eq(casescribe_job_transcript(&t, job), CASESCRIBE_OK);
    casescribe_job_free(job); /* the transcript outlives its job */

    cr_assert_gt(casescribe_transcript_segment_count(t), 0);
    char all[2048] = "";
    int unsure = 0, words = 0;
    int64_t last_end = 0;
    for (uint32_t s = 0; s < casescribe_transcript_segment_count(t); s++) {
        strcat(all, casescribe_transcript_segment_text(t, s));
        strcat(all, " ");
        cr_expect_geq(casescribe_transcript_segment_start_ms(t, s), last_end, "segments are in order");
        last_end = casescribe_transcript_segment_end_ms(t, s);
        for (uint32_t w = 0; w < casescribe_transcript_word_count(t, s); w++, words++) {
            int32_t c = casescribe_transcript_word_confidence(t, s, w);
            cr_expect(c >= -1 && c <= 1000);
            cr_expect_leq(casescribe_transcript_word_start_ms(t, s, w), casescribe_transcript_word_end_ms(t, s, w));
            unsure += casescribe_transcript_word_unsure(t, s, w);
        }
    }
    cr_expect_leq(last_end, 7200, "the file lasts 7.1 s");
    double r = recall(all, "and mister john dashwood had then leisure to consider how much there might be "
                           "prudently in his power to do for them");
    cr_expect_gt(r, 0.5, "recognised: %s (recall %.2f)", all, r);
    cr_expect_str_eq(casescribe_transcript_engine(t), "embedded:pocketsphinx");
    cr_expect(strstr(casescribe_transcript_model(t), "en-us") != NULL);
    cr_expect_not_null(casescribe_transcript_engine_version(t));
    cr_expect(strstr(casescribe_transcript_settings(t), "16 kHz") != NULL, "%s", casescribe_transcript_settings(t));

    char *text = NULL, *xml = NULL;
    cr_assert_eq(casescribe_transcript_render(&text, t, CASESCRIBE_TRANSCRIPT_TEXT), CASESCRIBE_OK);
    cr_expect(strncmp(text, "Machine transcript", 18) == 0, "%s", text);
    cr_expect_eq(strstr(text, "?]") != NULL, unsure > 0, "unsure words (%d of %d) are marked: %s", unsure, words, text);
    cr_assert_eq(casescribe_transcript_render(&xml, t, CASESCRIBE_TRANSCRIPT_XML), CASESCRIBE_OK);
    cr_expect(strstr(xml, "made-by=\"machine\"") != NULL && strstr(xml, "urn:casescribe:transcript:1") != NULL);
    cr_expect_eq(strstr(xml, "unsure=\"true\"") != NULL, unsure > 0);
    cr_expect_eq(casescribe_transcript_render(&text, t, 7), CASESCRIBE_EINVAL);
    casescribe_free(text);
    casescribe_free(xml);
    casescribe_transcript_free(t);
}

Test(transcribe, the_team_policy_must_have_transcription_on)
{
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", "transcription", "off"), CASESCRIBE_OK);
    casescribe_job *job = NULL;
    cr_expect_eq(start(&job, LIBRIVOX "0880.wav", "record-audio transcribe", helper), CASESCRIBE_EPOLICY);
    cr_expect_null(job);
    cr_expect(strstr(casescribe_last_error(), "cin-north") != NULL &&
                  strstr(casescribe_last_error(), "transcription") != NULL,
              "%s", casescribe_last_error());
    /* The remote engine also needs external-ai on: nothing leaves the machine. */
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", "transcription", "on"), CASESCRIBE_OK);
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", "engine", "remote"), CASESCRIBE_OK);
    cr_expect_eq(start(&job, LIBRIVOX "0880.wav", "record-audio transcribe", helper), CASESCRIBE_EPOLICY);
}

Test(transcribe, a_change_of_policy_while_queued_stops_the_job)
{
    /* Two jobs fill the two workers; the third waits in the queue while the
     * admin switches transcription off. */
    casescribe_job *jobs[3];
    for (int i = 0; i < 3; i++)
        cr_assert_eq(start(&jobs[i], LIBRIVOX "0870.wav", "record-audio transcribe", helper), CASESCRIBE_OK);
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", "transcription", "off"), CASESCRIBE_OK);
    cr_expect_eq(run_to_end(jobs[2]), CASESCRIBE_EPOLICY, "%s", casescribe_job_message(jobs[2]));
    for (int i = 0; i < 3; i++) {
        run_to_end(jobs[i]);
        casescribe_job_free(jobs[i]);
    }
}

Test(transcribe, consent_must_cover_recording_and_transcription)
{
    casescribe_job *job = NULL;
    cr_expect_eq(start(&job, LIBRIVOX "0880.wav", "record-audio ai-draft", helper), CASESCRIBE_ECONSENT);
    cr_expect(strstr(casescribe_last_error(), "P-2") != NULL, "%s", casescribe_last_error());
    cr_expect_eq(start(&job, LIBRIVOX "0880.wav", "transcribe", helper), CASESCRIBE_ECONSENT);
    cr_expect_null(job);
}

Test(transcribe, bad_recordings_fail_the_job_not_the_host)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/not-audio.wav", home.path);
    FILE *f = fopen(path, "w");
    fputs("RIFF this is not a recording at all", f);
    fclose(f);
    casescribe_job *job = NULL;
    cr_assert_eq(start(&job, path, "record-audio transcribe", helper), CASESCRIBE_OK);
    cr_expect_eq(run_to_end(job), CASESCRIBE_EAUDIO, "%s", casescribe_job_message(job));
    cr_expect(strstr(casescribe_job_message(job), "not audio") != NULL, "%s", casescribe_job_message(job));
    casescribe_job_free(job);

    snprintf(path, sizeof(path), "%s/missing.wav", home.path);
    cr_assert_eq(start(&job, path, "record-audio transcribe", helper), CASESCRIBE_OK);
    cr_expect_eq(run_to_end(job), CASESCRIBE_ENOTFOUND, "%s", casescribe_job_message(job));
    casescribe_job_free(job);
}

Test(transcribe, a_helper_that_dies_is_an_error_for_the_job)
{
    casescribe_job *job = NULL;
    cr_assert_eq(start(&job, LIBRIVOX "0880.wav", "record-audio transcribe", "/bin/false"), CASESCRIBE_OK);
    cr_expect_eq(run_to_end(job), CASESCRIBE_EINTERNAL, "%s", casescribe_job_message(job));
    casescribe_job_free(job);
}

Test(transcribe, a_decoder_that_crashes_once_is_replaced)
{
    /* The wrapper crashes (SIGSEGV) on its first chunk, once, then runs the
     * real helper: the job must still succeed. */
    char wrapper[512], mark[300];
    snprintf(wrapper, sizeof(wrapper), "%s/tests/net/crashing-asr.sh", getenv("top_srcdir") ? getenv("top_srcdir") : ".");
    snprintf(mark, sizeof(mark), "%s/crashed-once", home.path);
    setenv("CRASHING_ASR_MARK", mark, 1);
    setenv("CRASHING_ASR_REAL", helper, 1);
    casescribe_job *job = NULL;
    cr_assert_eq(start(&job, LIBRIVOX "0890.wav", "record-audio transcribe", wrapper), CASESCRIBE_OK);
    cr_expect_eq(run_to_end(job), CASESCRIBE_OK, "%s", casescribe_job_message(job));
    cr_expect_eq(access(mark, F_OK), 0, "the wrapper did crash once");
    casescribe_transcript *t = NULL;
    cr_expect_eq(casescribe_job_transcript(&t, job), CASESCRIBE_OK);
    cr_expect_gt(casescribe_transcript_segment_count(t), 0);
    casescribe_transcript_free(t);
    casescribe_job_free(job);
}

Test(transcribe, a_cancelled_transcription_stops)
{
    casescribe_job *job = NULL;
    cr_assert_eq(start(&job, LIBRIVOX "0870.wav", "record-audio transcribe", helper), CASESCRIBE_OK);
    cr_assert_eq(casescribe_job_cancel(job), CASESCRIBE_OK);
    cr_expect_eq(run_to_end(job), CASESCRIBE_ECANCELLED);
    casescribe_transcript *t = NULL;
    cr_expect_eq(casescribe_job_transcript(&t, job), CASESCRIBE_ECANCELLED);
    cr_expect_null(t);
    casescribe_job_free(job);
}

/* ---- retention of recordings the library takes ---------------------------- */

static void copy_file(const char *from, const char *to)
{
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
    cr_assert_eq(system(cmd), 0);
}

/* The files in <home>/audio, and the name of the last. */
static int spooled(char last[256])
{
    char dir[300];
    snprintf(dir, sizeof(dir), "%s/audio", home.path);
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.') {
            n++;
            if (last != NULL)
                snprintf(last, 256, "%s", e->d_name);
        }
    if (d != NULL)
        closedir(d);
    return n;
}

/* A field of the last ledger entry, as the store holds it. */
static const char *last_journal_field(const char *field)
{
    static char value[256];
    uint64_t n = 0;
    cr_assert_eq(casescribe_journal_verify(&n, NULL, home.ctx), CASESCRIBE_OK);
    cr_assert_gt(n, 0, "the ledger is empty");
    cs_store_txn *tx = NULL;
    json_t *entry = NULL;
    cr_assert_eq(cs_store_begin(home.ctx->store, CS_STORE_READ, &tx), CASESCRIBE_OK);
    cr_assert_eq(cs_store_entry(tx, n, &entry), CASESCRIBE_OK, "%s", casescribe_last_error());
    cs_store_rollback(tx);
    const char *v = json_string_value(json_object_get(entry, field));
    cr_assert_not_null(v, "no %s in the last ledger entry", field);
    snprintf(value, sizeof(value), "%s", v);
    json_decref(entry);
    return value;
}

Test(transcribe, a_taken_recording_is_deleted_when_the_policy_keeps_none)
{
    char mine[300];
    snprintf(mine, sizeof(mine), "%s/visit.wav", home.path);
    copy_file(LIBRIVOX "0880.wav", mine);
    start_flags = CASESCRIBE_TRANSCRIBE_TAKE_RECORDING;
    casescribe_job *job = NULL;
    cr_assert_eq(start(&job, mine, "record-audio transcribe", helper), CASESCRIBE_OK);
    cr_assert_eq(run_to_end(job), CASESCRIBE_OK, "%s", casescribe_job_message(job));
    casescribe_transcript *t = NULL;
    cr_expect_eq(casescribe_job_transcript(&t, job), CASESCRIBE_OK, "the transcript is kept");
    casescribe_transcript_free(t);
    casescribe_job_free(job);
    cr_expect_neq(access(mine, F_OK), 0, "the host's copy was taken");
    cr_expect_eq(spooled(NULL), 0, "and deleted: audio-retention-days is 0");
    cr_expect_str_eq(last_journal_field("kind"), "audio");
    cr_expect_str_eq(last_journal_field("reason"), "audio-retention-days");
}

Test(transcribe, a_taken_recording_is_kept_for_its_days_then_swept)
{
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", "audio-retention-days", "3"), CASESCRIBE_OK);
    char mine[300], name[256], path[600];
    snprintf(mine, sizeof(mine), "%s/visit.flac", home.path);
    copy_file(LIBRIVOX "0880.wav", mine); /* the extension is kept, whatever it is */
    start_flags = CASESCRIBE_TRANSCRIBE_TAKE_RECORDING;
    casescribe_job *job = NULL;
    cr_assert_eq(start(&job, mine, "record-audio transcribe", helper), CASESCRIBE_OK);
    cr_assert_eq(run_to_end(job), CASESCRIBE_OK, "%s", casescribe_job_message(job));
    casescribe_job_free(job);
    cr_assert_eq(spooled(name), 1, "kept for three days");
    snprintf(path, sizeof(path), "%s/audio/%s", home.path, name);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0600);
    int64_t until = (int64_t)st.st_mtim.tv_sec - (int64_t)time(NULL);
    cr_expect(until > 3 * 86400 - 120 && until <= 3 * 86400, "deletion time set %lld s ahead", (long long)until);
    uint32_t deleted = 99;
    cr_assert_eq(casescribe_audio_sweep(home.ctx, &deleted), CASESCRIBE_OK);
    cr_expect_eq(deleted, 0, "not yet");
    struct timespec past[2] = {{time(NULL) - 10, 0}, {time(NULL) - 10, 0}};
    cr_assert_eq(utimensat(AT_FDCWD, path, past, 0), 0); /* three days later */
    cr_assert_eq(casescribe_audio_sweep(home.ctx, &deleted), CASESCRIBE_OK);
    cr_expect_eq(deleted, 1);
    cr_expect_eq(spooled(NULL), 0);
    cr_expect_str_eq(last_journal_field("file"), name);
}

Test(transcribe, a_failed_job_gives_the_recording_back)
{
    char mine[300];
    snprintf(mine, sizeof(mine), "%s/broken.wav", home.path);
    FILE *f = fopen(mine, "w");
    fputs("RIFF not audio", f);
    fclose(f);
    start_flags = CASESCRIBE_TRANSCRIBE_TAKE_RECORDING;
    casescribe_job *job = NULL;
    cr_assert_eq(start(&job, mine, "record-audio transcribe", helper), CASESCRIBE_OK);
    cr_expect_eq(run_to_end(job), CASESCRIBE_EAUDIO);
    casescribe_job_free(job);
    cr_expect_eq(access(mine, F_OK), 0, "the recording is back where it was");
    cr_expect_eq(spooled(NULL), 0);
}

/* ---- the watchdog, through the engine itself (a test-sized deadline) ------- */

Test(transcribe, a_decoder_that_hangs_is_killed_and_the_job_fails_in_time)
{
    char wrapper[512];
    snprintf(wrapper, sizeof(wrapper), "%s/tests/net/hanging-asr.sh", getenv("top_srcdir") ? getenv("top_srcdir") : ".");
    setenv("HANGING_ASR_REAL", helper, 1);
    cs_engine_config cfg = {wrapper, CS_POCKETSPHINX_MODEL, 1, 60, 600, NULL, 300};
    casescribe_transcript *t = NULL;
    /* Without the watchdog this call would never return (the suite's
     * timeout would fail it): the decoders read and never answer. */
    int32_t rc = cs_engine_transcribe(&t, &cfg, LIBRIVOX "0880.wav", NULL);
    cr_expect_eq(rc, CASESCRIBE_EINTERNAL, "%s", casescribe_last_error());
    cr_expect(strstr(casescribe_last_error(), "failed twice") != NULL, "%s", casescribe_last_error());
    cr_expect_null(t);
}

Test(remote_key, an_api_key_from_the_environment_must_be_set)
{
    /* Checked before anything is sent: covered end to end in test_remote;
     * here only that a named but unset variable is refused with EKEY. */
    home_open(&home, 0);
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", "transcription", "on"), CASESCRIBE_OK);
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", "external-ai", "on"), CASESCRIBE_OK);
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", "engine", "remote"), CASESCRIBE_OK);
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", "endpoints", "http://127.0.0.1:1/v1"),
                 CASESCRIBE_OK);
    form_parts parts = {.consents = consents_with("record-audio transcribe external-ai")};
    char *form = form_make(&parts);
    casescribe_transcribe_options o;
    casescribe_transcribe_options_init(&o, sizeof(o));
    o.form = (const uint8_t *)form;
    o.form_len = strlen(form);
    o.audio_path = LIBRIVOX "0880.wav";
    o.api_key_env = "CASESCRIBE_TEST_UNSET_KEY";
    unsetenv("CASESCRIBE_TEST_UNSET_KEY");
    casescribe_job *job = NULL;
    cr_assert_eq(casescribe_transcribe(&job, home.ctx, &o), CASESCRIBE_OK);
    cr_assert_eq(casescribe_job_wait(job, 30000), CASESCRIBE_OK);
    cr_expect_eq(casescribe_job_status(job), CASESCRIBE_EKEY, "%s", casescribe_job_message(job));
    casescribe_job_free(job);
    free(form);
    home_close(&home);
}
