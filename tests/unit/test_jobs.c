/* SPDX-License-Identifier: Apache-2.0 */
/* test_jobs.c - jobs survive a restart: a host killed with SIGKILL
 * mid-transcription, or right after asking for a fill, finds its job again
 * from a context opened afterwards (casescribe_job_list), reattaches by id
 * (casescribe_job_attach), and gets what an uninterrupted run makes. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

#define LIBRIVOX "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav"

static test_home home;
static char helper[512];

static void setup(void)
{
    home_open(&home, 0);
    const char *build = getenv("top_builddir");
    snprintf(helper, sizeof(helper), "%s/casescribe-asr", build != NULL ? build : ".");
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", "transcription", "on"), CASESCRIBE_OK);
}

static void teardown(void)
{
    home_close(&home);
}

TestSuite(jobs, .init = setup, .fini = teardown, .timeout = 240);

static casescribe_ctx *open_again(void)
{
    casescribe_ctx_options o;
    cr_assert_eq(casescribe_ctx_options_init(&o, sizeof(o)), CASESCRIBE_OK);
    o.home = home.path;
    o.flags = CASESCRIBE_OPEN_NO_SYNC;
    casescribe_ctx *ctx = NULL;
    cr_assert_eq(casescribe_ctx_open(&ctx, &o), CASESCRIBE_OK, "%s", casescribe_last_error());
    return ctx;
}

static int32_t transcribe(casescribe_job **job, casescribe_ctx *ctx)
{
    char *form = form_make(&(form_parts){0});
    casescribe_transcribe_options o;
    casescribe_transcribe_options_init(&o, sizeof(o));
    o.form = (const uint8_t *)form;
    o.form_len = strlen(form);
    o.audio_path = LIBRIVOX;
    o.helper_path = helper;
    o.parallel = 1;
    int32_t rc = casescribe_transcribe(job, ctx, &o);
    free(form);
    return rc;
}

/* The XML of what a DONE transcription job made. */
static char *transcript_of(casescribe_job *job)
{
    cr_assert_eq(casescribe_job_wait(job, 200000), CASESCRIBE_OK);
    cr_assert_eq(casescribe_job_status(job), CASESCRIBE_OK, "%s", casescribe_job_message(job));
    casescribe_transcript *t = NULL;
    char *xml = NULL;
    cr_assert_eq(casescribe_job_transcript(&t, job), CASESCRIBE_OK);
    cr_assert_eq(casescribe_transcript_render(&xml, t, CASESCRIBE_TRANSCRIPT_XML), CASESCRIBE_OK);
    casescribe_transcript_free(t);
    return xml;
}

static int has_line(const char *list, const char *id)
{
    const char *p = strstr(list, id);
    return p != NULL && p[strlen(id)] == '\n';
}

static int folder_exists(const char *id)
{
    char path[400];
    struct stat st;
    snprintf(path, sizeof(path), "%s/jobs/%s", home.path, id);
    return stat(path, &st) == 0;
}

/* The host: opens the home, submits, tells the parent the id once the job
 * runs, then waits to be killed. */
static void host_child(int fd, int fill);
static int32_t fill_job(casescribe_job **job, casescribe_ctx *ctx);

static void kill_host_mid_job(char id[64], int fill)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork(); /* before this process starts any thread */
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        host_child(fds[1], fill);
    }
    close(fds[1]);
    memset(id, 0, 64);
    ssize_t n = read(fds[0], id, 33);
    close(fds[0]);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the host was not killed");
    cr_assert_eq(n, 33, "the host did not report its job (%zd)", n);
    id[32] = '\0';
    /* A helper the host was starting when it died may hold the job's claim
     * (a copy of its descriptor) until its exec closes it: a restart comes
     * later than that. Wait for the claim to be free, 10 s at the most. */
    for (int i = 0; i < 200; i++) {
        char *listed = NULL;
        int free_now = casescribe_job_list(&listed, home.ctx) == CASESCRIBE_OK && has_line(listed, id);
        casescribe_free(listed);
        if (free_now)
            break;
        usleep(50 * 1000);
    }
}

static void host_child(int fd, int fill)
{
    casescribe_ctx *ctx = open_again();
    casescribe_job *job = NULL;
    if ((fill ? fill_job(&job, ctx) : transcribe(&job, ctx)) != CASESCRIBE_OK)
        _exit(2);
    if (!fill) /* mid-transcription: it runs, and has not ended */
        while (casescribe_job_state(job) == CASESCRIBE_JOB_QUEUED)
            usleep(1000);
    if (casescribe_job_state(job) != CASESCRIBE_JOB_RUNNING && !fill)
        _exit(3);
    char line[40];
    snprintf(line, sizeof(line), "%s\n", casescribe_job_id(job));
    if (write(fd, line, 33) != 33)
        _exit(4);
    for (;;)
        pause();
}

Test(jobs, a_host_killed_mid_transcription_reattaches_and_gets_the_same_transcript)
{
    char id[64];
    kill_host_mid_job(id, 0);

    char *listed = NULL;
    cr_assert_eq(casescribe_job_list(&listed, home.ctx), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect(has_line(listed, id), "job %s is listed after the restart: '%s'", id, listed);
    casescribe_free(listed);

    casescribe_job *job = NULL;
    cr_assert_eq(casescribe_job_attach(&job, home.ctx, id), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_str_eq(casescribe_job_id(job), id);
    cr_expect_str_eq(casescribe_job_kind(job), "transcription");
    char *resumed = transcript_of(job);
    casescribe_job_free(job);

    /* Collected and freed: its record and its folder are gone. */
    cr_assert_eq(casescribe_job_list(&listed, home.ctx), CASESCRIBE_OK);
    cr_expect(!has_line(listed, id), "%s", listed);
    casescribe_free(listed);
    cr_expect(!folder_exists(id));
    cr_expect_eq(casescribe_job_attach(&job, home.ctx, id), CASESCRIBE_ENOTFOUND);

    /* An uninterrupted run makes the same transcript. */
    casescribe_job *again = NULL;
    cr_assert_eq(transcribe(&again, home.ctx), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *whole = transcript_of(again);
    casescribe_job_free(again);
    cr_expect_str_eq(resumed, whole);
    casescribe_free(resumed);
    casescribe_free(whole);
}

Test(jobs, a_job_alive_in_another_process_is_not_taken_over)
{
    casescribe_job *job = NULL;
    cr_assert_eq(transcribe(&job, home.ctx), CASESCRIBE_OK, "%s", casescribe_last_error());
    const char *id = casescribe_job_id(job);
    cr_assert_not_null(id);
    cr_expect_eq(strlen(id), 32);
    /* In this context: listed, and attach gives the same job. */
    char *listed = NULL;
    cr_assert_eq(casescribe_job_list(&listed, home.ctx), CASESCRIBE_OK);
    cr_expect(has_line(listed, id), "%s", listed);
    casescribe_free(listed);
    casescribe_job *same = NULL;
    cr_assert_eq(casescribe_job_attach(&same, home.ctx, id), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(same, job);
    casescribe_job_free(same);
    /* Another context (as another process would) sees it held. */
    casescribe_ctx *other = open_again();
    cr_assert_eq(casescribe_job_list(&listed, other), CASESCRIBE_OK);
    cr_expect(!has_line(listed, id), "%s", listed);
    casescribe_free(listed);
    casescribe_job *taken = NULL;
    cr_expect_eq(casescribe_job_attach(&taken, other, id), CASESCRIBE_EBUSY);
    cr_expect_null(taken);
    cr_expect_eq(casescribe_job_attach(&taken, other, "not-an-id"), CASESCRIBE_EINVAL);
    casescribe_ctx_close(other);
    cr_assert_eq(casescribe_job_wait(job, 200000), CASESCRIBE_OK);
    casescribe_job_free(job);
}

Test(jobs, the_input_is_kept_private_and_a_closed_context_leaves_the_job_to_run_again)
{
    casescribe_job *jobs[3];
    for (int i = 0; i < 3; i++) /* two workers: the third waits in the queue */
        cr_assert_eq(transcribe(&jobs[i], home.ctx), CASESCRIBE_OK, "%s", casescribe_last_error());
    char id[40], dir[400], file[500];
    snprintf(id, sizeof(id), "%s", casescribe_job_id(jobs[2]));
    snprintf(dir, sizeof(dir), "%s/jobs/%s", home.path, id);
    struct stat st;
    cr_assert_eq(stat(dir, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0700);
    snprintf(file, sizeof(file), "%s/recording.wav", dir);
    cr_assert_eq(stat(file, &st), 0, "the recording is kept in the home");
    cr_expect_eq(st.st_mode & 0777, 0600);
    snprintf(file, sizeof(file), "%s/form", dir);
    cr_assert_eq(stat(file, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0600);
    /* A deploy: the host closes its context; the jobs stop, not for good. */
    casescribe_ctx_close(home.ctx);
    home.ctx = open_again();
    for (int i = 0; i < 3; i++)
        casescribe_job_free(jobs[i]);
    char *listed = NULL;
    cr_assert_eq(casescribe_job_list(&listed, home.ctx), CASESCRIBE_OK);
    cr_expect(has_line(listed, id), "%s", listed);
    casescribe_free(listed);
    /* The admin switched transcription off meanwhile: the job runs the gates
     * again, and fails closed. */
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", "transcription", "off"), CASESCRIBE_OK);
    casescribe_job *job = NULL;
    cr_assert_eq(casescribe_job_attach(&job, home.ctx, id), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(casescribe_job_wait(job, 200000), CASESCRIBE_OK);
    cr_expect_eq(casescribe_job_status(job), CASESCRIBE_EPOLICY, "%s", casescribe_job_message(job));
    casescribe_job_free(job);
    cr_expect(!folder_exists(id), "a failed job freed by the host is gone");
}

/* ---- fill ------------------------------------------------------------------ */

static const char test_template[] =
    "<template xmlns=\"urn:casescribe:template:1\" id=\"visit-test\" version=\"3\">"
    "<title>Test visit</title>"
    "<section id=\"wishes\" ai=\"draft\"><title>The child's wishes</title>"
    "<guidance>In the child's words.</guidance><prompt>what the child wants</prompt>"
    "<cues>wants want likes like happy sad football favourite</cues></section>"
    "<section id=\"actions\" ai=\"draft\"><title>Actions agreed</title>"
    "<guidance>Who will do what.</guidance><prompt>actions agreed</prompt>"
    "<cues>will agreed appointment book arrange referral</cues></section>"
    "</template>";

static const char *const visit[] = {
    "Mia: I like football and I want to play for the school team.",
    "Worker: I will book the GP appointment for Tuesday and we agreed a referral to the school nurse.",
};

/* The transcript of `visit`, each word a second apart. */
static char *transcript_fixture(void)
{
    static char x[8192];
    size_t len = (size_t)snprintf(x, sizeof(x), "<transcript xmlns=\"urn:casescribe:transcript:1\" made-by=\"machine\" "
                                  "engine=\"test:fixture\" engine-version=\"1\" model=\"none\" settings=\"\" "
                                  "source=\"fixture\" unsure-below-permille=\"600\">");
    long ms = 0;
    for (size_t s = 0; s < 2; s++) {
        len += (size_t)snprintf(x + len, sizeof(x) - len, "<segment n=\"%zu\" start-ms=\"%ld\" end-ms=\"%ld\">",
                                s + 1, ms, ms + 40000);
        char words[512];
        snprintf(words, sizeof(words), "%s", visit[s]);
        for (char *w = strtok(words, " "); w != NULL; w = strtok(NULL, " "), ms += 1000)
            len += (size_t)snprintf(x + len, sizeof(x) - len,
                                    "<w start-ms=\"%ld\" end-ms=\"%ld\" confidence-permille=\"900\">%s</w>", ms,
                                    ms + 800, w);
        len += (size_t)snprintf(x + len, sizeof(x) - len, "</segment>");
        ms += 40000;
    }
    snprintf(x + len, sizeof(x) - len, "</transcript>");
    return x;
}

static const char fill_form[] =
    "<form xmlns=\"urn:casescribe:form:1\" id=\"R-50\" template=\"visit-test\" team=\"cin-north\" "
    "author=\"sw-017\"><subject id=\"C-1\" role=\"child\" name=\"Mia Thompson\"/>"
    "<consent subject=\"C-1\" given-by=\"self\" method=\"verbal\" capacity=\"has-capacity\" "
    "at=\"2026-01-01T10:00:00Z\" scopes=\"record-audio transcribe ai-draft\"/>"
    "<section id=\"notes\" origin=\"human\"></section></form>";

static uint32_t fill_style = CASESCRIBE_FILL_STYLE_QUOTE; /* the style fill_job asks for */

static int32_t fill_job(casescribe_job **job, casescribe_ctx *ctx)
{
    casescribe_template *tpl = NULL;
    casescribe_transcript *t = NULL;
    int32_t rc = casescribe_template_find(&tpl, ctx, "visit-test");
    if (rc == CASESCRIBE_OK)
        rc = casescribe_transcript_open(&t, (const uint8_t *)transcript_fixture(), strlen(transcript_fixture()));
    casescribe_fill_options o;
    casescribe_fill_options_init(&o, sizeof(o));
    o.form = (const uint8_t *)fill_form;
    o.form_len = strlen(fill_form);
    o.form_template = tpl;
    o.transcript = t;
    o.style = fill_style;
    if (rc == CASESCRIBE_OK)
        rc = casescribe_fill(job, ctx, &o);
    casescribe_template_free(tpl);
    casescribe_transcript_free(t);
    return rc;
}

static char *draft_of(casescribe_job *job)
{
    cr_assert_eq(casescribe_job_wait(job, 60000), CASESCRIBE_OK);
    cr_assert_eq(casescribe_job_status(job), CASESCRIBE_OK, "%s", casescribe_job_message(job));
    uint8_t *draft = NULL;
    size_t len = 0;
    cr_assert_eq(casescribe_job_draft(&draft, &len, job), CASESCRIBE_OK);
    return (char *)draft;
}

Test(jobs, a_host_killed_after_asking_for_a_fill_reattaches_and_gets_the_same_draft)
{
    cr_assert_eq(casescribe_template_install(home.ctx, (const uint8_t *)test_template, strlen(test_template)),
                 CASESCRIBE_OK, "%s", casescribe_last_error());
    char id[64];
    kill_host_mid_job(id, 1);
    char *listed = NULL;
    cr_assert_eq(casescribe_job_list(&listed, home.ctx), CASESCRIBE_OK);
    cr_expect(has_line(listed, id), "%s", listed);
    casescribe_free(listed);
    casescribe_job *job = NULL;
    cr_assert_eq(casescribe_job_attach(&job, home.ctx, id), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_str_eq(casescribe_job_kind(job), "fill");
    char *resumed = draft_of(job);
    casescribe_job_free(job);
    cr_expect(!folder_exists(id));

    cr_assert_eq(fill_job(&job, home.ctx), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *whole = draft_of(job);
    casescribe_job_free(job);
    cr_expect_str_eq(resumed, whole);
    cr_expect(strstr(whole, "football") != NULL, "%s", whole);
    casescribe_free(resumed);
    casescribe_free(whole);
}

/* ---- a job that ended before its host freed it ------------------------------ */

/* The host: submits (fill, or a transcription of a file that is no
 * recording), waits for the job to END, reports its id, and is killed
 * before it frees the job. */
static void ended_host_child(int fd, int fill)
{
    casescribe_ctx *ctx = open_again();
    casescribe_job *job = NULL;
    int32_t rc = CASESCRIBE_OK;
    if (fill)
        rc = fill_job(&job, ctx);
    else {
        casescribe_transcribe_options o;
        casescribe_transcribe_options_init(&o, sizeof(o));
        o.form = (const uint8_t *)fill_form;
        o.form_len = strlen(fill_form);
        o.audio_path = "/etc/hostname";
        o.helper_path = helper;
        rc = casescribe_transcribe(&job, ctx, &o);
    }
    if (rc != CASESCRIBE_OK || casescribe_job_wait(job, 60000) != CASESCRIBE_OK)
        _exit(2);
    char line[40];
    snprintf(line, sizeof(line), "%s\n", casescribe_job_id(job));
    if (write(fd, line, 33) != 33)
        _exit(4);
    for (;;)
        pause();
}

static void kill_host_after_job_ended(char id[64], int fill)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        ended_host_child(fds[1], fill);
    }
    close(fds[1]);
    memset(id, 0, 64);
    ssize_t n = read(fds[0], id, 33);
    close(fds[0]);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    cr_assert_eq(n, 33, "the host did not report its job (%zd)", n);
    id[32] = '\0';
}

/* The line casescribe_job_list_detail gives for `id` ("" when none). */
static char *detail_line(const char *id)
{
    static char line[256];
    char *all = NULL;
    cr_assert_eq(casescribe_job_list_detail(&all, home.ctx), CASESCRIBE_OK, "%s", casescribe_last_error());
    const char *p = strstr(all, id);
    line[0] = '\0';
    if (p != NULL)
        snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\n"), p);
    casescribe_free(all);
    return line;
}

Test(jobs, a_fill_that_ended_before_its_host_freed_it_gives_back_its_kept_draft_without_running_again)
{
    cr_assert_eq(casescribe_template_install(home.ctx, (const uint8_t *)test_template, strlen(test_template)),
                 CASESCRIBE_OK, "%s", casescribe_last_error());
    char id[64];
    kill_host_after_job_ended(id, 1);
    char *line = detail_line(id);
    cr_expect(strstr(line, " fill done created 20") != NULL && strstr(line, " updated 20") != NULL, "%s", line);
    cr_expect(strstr(line, "Mia") == NULL && strstr(line, "football") == NULL, "no personal data: %s", line);
    /* Without its template a run could not even start (ENOTFOUND): the kept
     * draft comes back all the same, already ended. */
    char tpl[400];
    snprintf(tpl, sizeof(tpl), "%s/templates/visit-test.xml", home.path);
    cr_assert_eq(unlink(tpl), 0);
    casescribe_ctx_close(home.ctx);
    home.ctx = open_again();
    casescribe_job *job = NULL;
    cr_assert_eq(casescribe_job_attach(&job, home.ctx, id), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(casescribe_job_state(job), CASESCRIBE_JOB_DONE, "not queued again");
    char *result = NULL;
    cr_assert_eq(casescribe_job_result(&result, job), CASESCRIBE_OK);
    cr_expect(strstr(result, "drafted by embedded:extractive") != NULL, "the kept result: %s", result);
    char *kept = draft_of(job);
    cr_expect(strstr(kept, "football") != NULL, "%s", kept);
    casescribe_job_free(job);
    cr_expect(!folder_exists(id), "collected once the host freed it");
    cr_expect_str_eq(detail_line(id), "");
    casescribe_free(result);
    casescribe_free(kept);
}

Test(jobs, a_failed_job_gives_back_its_kept_failure_and_an_interrupted_one_is_listed_so)
{
    char id[64];
    kill_host_after_job_ended(id, 0);
    cr_expect(strstr(detail_line(id), " transcription failed ") != NULL, "%s", detail_line(id));
    casescribe_job *job = NULL;
    cr_assert_eq(casescribe_job_attach(&job, home.ctx, id), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(casescribe_job_state(job), CASESCRIBE_JOB_FAILED);
    cr_expect_eq(casescribe_job_status(job), CASESCRIBE_EAUDIO, "%s", casescribe_job_message(job));
    cr_expect_not_null(casescribe_job_message(job));
    casescribe_job_free(job);
    cr_expect(!folder_exists(id));
    /* Killed mid-transcription: "interrupted" until attached. */
    kill_host_mid_job(id, 0);
    cr_expect(strstr(detail_line(id), " transcription interrupted created ") != NULL, "%s", detail_line(id));
    cr_assert_eq(casescribe_job_attach(&job, home.ctx, id), CASESCRIBE_OK, "%s", casescribe_last_error());
    const char *state = strstr(detail_line(id), " transcription ");
    cr_expect(state != NULL && (strncmp(state, " transcription queued", 21) == 0 ||
                                strncmp(state, " transcription running", 22) == 0 ||
                                strncmp(state, " transcription done", 19) == 0), "%s", detail_line(id));
    casescribe_job_cancel(job);
    casescribe_job_wait(job, 200000);
    casescribe_job_free(job);
}

/* A fill job that ended while its host was killed, its ending then
 * removed (what an older library left), attached again: its draft, run
 * again. */
static char *draft_run_again(void)
{
    cr_assert_eq(casescribe_template_install(home.ctx, (const uint8_t *)test_template, strlen(test_template)),
                 CASESCRIBE_OK, "%s", casescribe_last_error());
    char id[64], path[400];
    kill_host_after_job_ended(id, 1);
    snprintf(path, sizeof(path), "%s/jobs/%s/ended", home.path, id);
    cr_assert_eq(unlink(path), 0, "the ending is kept in the job's folder");
    casescribe_job *job = NULL;
    cr_assert_eq(casescribe_job_attach(&job, home.ctx, id), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *draft = draft_of(job);
    casescribe_job_free(job);
    return draft;
}

Test(jobs, a_job_that_ended_under_an_older_library_keeps_no_ending_and_runs_again)
{
    char *draft = draft_run_again();
    cr_expect(strstr(draft, "football") != NULL, "%s", draft);
    casescribe_free(draft);
}

/* A fill job run again after a restart drafts in the style it was asked
 * with (kept with its options in the store). */
Test(jobs, a_fill_run_again_keeps_its_reported_style)
{
    fill_style = CASESCRIBE_FILL_STYLE_REPORTED;
    char *draft = draft_run_again();
    cr_expect(strstr(draft, ">Mia said they like football and they want to play for the school team.") != NULL, "%s",
              draft);
    casescribe_free(draft);
}

/* Review: a job's folder is only files; a tampered "ended" must not turn a
 * job the store says failed into a success that gives back what the
 * folder holds, nor may a missing status read as success. */
static void write_kept(const char *id, const char *name, const char *text)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/jobs/%s/%s", home.path, id, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

Test(jobs, a_tampered_ending_does_not_make_a_failed_job_a_success)
{
    static const char planted[] = "<transcript xmlns=\"urn:casescribe:transcript:1\" made-by=\"machine\" "
                                  "engine=\"test:fixture\" engine-version=\"1\" model=\"none\" settings=\"\" "
                                  "source=\"fixture\" unsure-below-permille=\"600\"><segment n=\"1\" "
                                  "start-ms=\"0\" end-ms=\"900\"><w start-ms=\"0\" end-ms=\"800\" "
                                  "confidence-permille=\"900\">planted</w></segment></transcript>";
    const char *const endings[] = {"{\"status\":0,\"message\":\"\",\"result\":\"planted\"}",
                                   "{\"message\":\"\",\"result\":\"planted\"}",
                                   "{\"status\":\"0\",\"message\":\"\",\"result\":\"planted\"}"};
    for (size_t i = 0; i < sizeof(endings) / sizeof(*endings); i++) {
        char id[64];
        kill_host_after_job_ended(id, 0);
        cr_assert(strstr(detail_line(id), " transcription failed ") != NULL, "%s", detail_line(id));
        write_kept(id, "ended", endings[i]);
        write_kept(id, "made-transcript.xml", planted);
        casescribe_job *job = NULL;
        int32_t rc = casescribe_job_attach(&job, home.ctx, id);
        cr_expect(rc == CASESCRIBE_EJOURNAL, "ending %zu: %d (%s)", i, rc,
                  job != NULL ? (casescribe_job_state(job) == CASESCRIBE_JOB_DONE ? "given back DONE" : "") : "");
        casescribe_job_free(job);
    }
}
