/* SPDX-License-Identifier: Apache-2.0 */
/* test_remote.c - the remote engine against a stand-in OpenAI-compatible
 * service (tests/net/openai_server.py) started by each test: what is sent,
 * how each shape of answer is read, and every gate and failure that must
 * keep the recording on this machine or refuse a bad answer. */
#include <criterion/criterion.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

#define RECORDING "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav"
#define API_KEY "sk-test-123-do-not-log"

extern char **environ;

static test_home home;
static char helper[512], key_file[300], log_file[300], pki[300];
static pid_t server = -1;
static int port;

static const char *srcdir(void)
{
    return getenv("top_srcdir") != NULL ? getenv("top_srcdir") : ".";
}

static void start_server(int tls)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    char script[512], cert[400], key[400];
    snprintf(script, sizeof(script), "%s/tests/net/openai_server.py", srcdir());
    snprintf(cert, sizeof(cert), "%s/server.pem", pki);
    snprintf(key, sizeof(key), "%s/server.key", pki);
    const char *python = getenv("PYTHON3") != NULL && getenv("PYTHON3")[0] ? getenv("PYTHON3") : "python3";
    char *argv_plain[] = {(char *)python, script, "--api-key", API_KEY, "--log", log_file, NULL};
    char *argv_tls[] = {(char *)python, script, "--api-key", API_KEY, "--log", log_file, "--cert", cert, "--key", key,
                        NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    cr_assert_eq(posix_spawnp(&server, python, &fa, NULL, tls ? argv_tls : argv_plain, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    cr_assert_eq(fscanf(f, "%d", &port), 1, "the stand-in service did not say its port");
    fclose(f);
}

static void set(const char *key, const char *value)
{
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", key, value), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
}

/* The team allows the remote engine at every base path of the stand-in. */
static void allow_remote(const char *scheme)
{
    char endpoints[1200];
    snprintf(endpoints, sizeof(endpoints),
             "%s://127.0.0.1:%d/v1 %s://127.0.0.1:%d/whisper/v1 %s://127.0.0.1:%d/text/v1 %s://127.0.0.1:%d/big/v1 "
             "%s://127.0.0.1:%d/badjson/v1 %s://127.0.0.1:%d/badword/v1 %s://127.0.0.1:%d/redirect/v1",
             scheme, port, scheme, port, scheme, port, scheme, port, scheme, port, scheme, port, scheme, port);
    set("transcription", "on");
    set("engine", "remote");
    set("external-ai", "on");
    set("endpoints", endpoints);
}

static void setup(void)
{
    home_open(&home, 0);
    snprintf(helper, sizeof(helper), "%s/casescribe-asr", getenv("top_builddir") ? getenv("top_builddir") : ".");
    snprintf(key_file, sizeof(key_file), "%s/api.key", home.path);
    snprintf(log_file, sizeof(log_file), "%s/service.log", home.path);
    snprintf(pki, sizeof(pki), "%s/pki", home.path);
    FILE *f = fopen(key_file, "w");
    fputs(API_KEY "\n", f);
    fclose(f);
    chmod(key_file, 0600);
    char cmd[800];
    snprintf(cmd, sizeof(cmd), "sh '%s/tests/net/make-test-pki.sh' '%s'", srcdir(), pki);
    cr_assert_eq(system(cmd), 0);
}

static void teardown(void)
{
    if (server > 0) {
        kill(server, SIGKILL);
        waitpid(server, NULL, 0);
    }
    home_close(&home);
}

TestSuite(remote, .init = setup, .fini = teardown, .timeout = 60);

static const char *form_with(const char *scopes)
{
    static char form[4096];
    char consent[512];
    snprintf(consent, sizeof(consent),
             "<consent subject=\"P-2\" given-by=\"self\" method=\"verbal\" capacity=\"has-capacity\" "
             "at=\"2026-01-01T10:00:00Z\" scopes=\"%s\"/>",
             scopes);
    form_parts parts = {.consents = consent};
    char *xml = form_make(&parts);
    snprintf(form, sizeof(form), "%s", xml);
    free(xml);
    return form;
}

struct outcome {
    int32_t submit, status;
    char message[1024];
    casescribe_transcript *t;
};

static const char *key_env; /* when set, the key comes from this environment variable instead */

static struct outcome transcribe(const char *scopes, const char *endpoint, const char *ca, const char *key)
{
    const char *form = form_with(scopes);
    casescribe_transcribe_options o;
    casescribe_transcribe_options_init(&o, sizeof(o));
    o.form = (const uint8_t *)form;
    o.form_len = strlen(form);
    o.audio_path = RECORDING;
    o.helper_path = helper;
    o.remote_endpoint = endpoint;
    o.api_key_file = key_env == NULL ? key : NULL;
    o.api_key_env = key_env;
    o.ca_file = ca;
    struct outcome out = {0, 0, "", NULL};
    casescribe_job *job = NULL;
    out.submit = casescribe_transcribe(&job, home.ctx, &o);
    if (out.submit != CASESCRIBE_OK) {
        snprintf(out.message, sizeof(out.message), "%s", casescribe_last_error());
        return out;
    }
    cr_assert_eq(casescribe_job_wait(job, 50000), CASESCRIBE_OK);
    out.status = casescribe_job_status(job);
    if (casescribe_job_message(job) != NULL)
        snprintf(out.message, sizeof(out.message), "%s", casescribe_job_message(job));
    if (out.status == CASESCRIBE_OK)
        cr_assert_eq(casescribe_job_transcript(&out.t, job), CASESCRIBE_OK);
    casescribe_job_free(job);
    return out;
}

static char *endpoint(const char *scheme, const char *base)
{
    static char url[200];
    snprintf(url, sizeof(url), "%s://127.0.0.1:%d%s", scheme, port, base);
    return url;
}

static int requests(void)
{
    FILE *f = fopen(log_file, "r");
    int n = 0;
    for (int c; f != NULL && (c = fgetc(f)) != EOF;)
        n += c == '\n';
    if (f != NULL)
        fclose(f);
    return n;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

Test(remote, an_openai_style_answer_becomes_a_transcript_and_the_request_is_as_it_should_be)
{
    start_server(0);
    allow_remote("http");
    struct outcome o = transcribe("record-audio transcribe external-ai", endpoint("http", "/v1"), NULL, key_file);
    cr_assert_eq(o.status, CASESCRIBE_OK, "%d %s", o.submit, o.message);
    casescribe_transcript *t = o.t;
    cr_assert_eq(casescribe_transcript_segment_count(t), 1);
    cr_expect_str_eq(casescribe_transcript_segment_text(t, 0), "hello world");
    cr_expect_eq(casescribe_transcript_word_confidence(t, 0, 0), -1, "OpenAI gives no word confidence");
    cr_expect_eq(casescribe_transcript_word_unsure(t, 0, 0), 1, "so every word is marked unsure");
    cr_expect_str_eq(casescribe_transcript_engine(t), "remote:openai-compatible");
    cr_expect_str_eq(casescribe_transcript_model(t), "whisper-1");
    cr_expect(strstr(casescribe_transcript_settings(t), endpoint("http", "/v1")) != NULL);
    int64_t start = casescribe_transcript_word_start_ms(t, 0, 0), seg = casescribe_transcript_segment_start_ms(t, 0);
    cr_expect_eq(start, seg + 100, "word times are offset by the part's start");
    casescribe_transcript_free(t);

    const char *log = slurp(log_file);
    cr_expect(strstr(log, "\"auth_ok\": true") != NULL, "%s", log);
    cr_expect(strstr(log, "\"model\": [\"whisper-1\"]") != NULL, "%s", log);
    cr_expect(strstr(log, "\"response_format\": [\"verbose_json\"]") != NULL, "%s", log);
    cr_expect(strstr(log, "\"timestamp_granularities[]\": [\"word\", \"segment\"]") != NULL, "%s", log);
    cr_expect(strstr(log, "\"audio_magic\": \"RIFF\"") != NULL, "a 16 kHz WAV part: %s", log);

    /* The key is nowhere in the home: not in the ledger (its database and
     * write-ahead log), not in a policy. */
    char cmd[900];
    snprintf(cmd, sizeof(cmd), "test -s '%s/ledger.db' && ! grep -rqa -- '" API_KEY "' '%s'/ledger.db* '%s/policy'",
             home.path, home.path, home.path);
    cr_expect_eq(system(cmd), 0, "the API key was written into the home (or the ledger is missing)");
}

Test(remote, whisper_cpp_and_text_only_answers_are_read_with_what_they_give)
{
    start_server(0);
    allow_remote("http");
    struct outcome o = transcribe("record-audio transcribe external-ai", endpoint("http", "/whisper/v1"), NULL, key_file);
    cr_assert_eq(o.status, CASESCRIBE_OK, "%s", o.message);
    cr_expect_eq(casescribe_transcript_word_confidence(o.t, 0, 0), 950);
    cr_expect_eq(casescribe_transcript_word_unsure(o.t, 0, 0), 0);
    cr_expect_eq(casescribe_transcript_word_confidence(o.t, 0, 1), 350);
    cr_expect_eq(casescribe_transcript_word_unsure(o.t, 0, 1), 1);
    casescribe_transcript_free(o.t);
    o = transcribe("record-audio transcribe external-ai", endpoint("http", "/text/v1"), NULL, key_file);
    cr_assert_eq(o.status, CASESCRIBE_OK, "%s", o.message);
    cr_expect_eq(casescribe_transcript_word_count(o.t, 0), 2);
    cr_expect_eq(casescribe_transcript_word_unsure(o.t, 0, 1), 1);
    casescribe_transcript_free(o.t);
}

Test(remote, nothing_is_sent_without_external_ai_in_the_policy_and_the_consent)
{
    start_server(0);
    allow_remote("http");
    struct outcome o = transcribe("record-audio transcribe", endpoint("http", "/v1"), NULL, key_file);
    cr_expect_eq(o.submit, CASESCRIBE_ECONSENT, "%s", o.message);
    cr_expect(strstr(o.message, "outside this machine") != NULL, "%s", o.message);
    set("external-ai", "off");
    o = transcribe("record-audio transcribe external-ai", endpoint("http", "/v1"), NULL, key_file);
    cr_expect_eq(o.submit, CASESCRIBE_EPOLICY, "%s", o.message);
    cr_expect(strstr(o.message, "external-ai") != NULL, "%s", o.message);
    set("external-ai", "on");
    o = transcribe("record-audio transcribe external-ai", "http://127.0.0.1:1/v1", NULL, key_file);
    cr_expect_eq(o.submit, CASESCRIBE_EPOLICY, "an endpoint off the allow-list: %s", o.message);
    cr_expect_eq(requests(), 0, "no request reached the service");
}

Test(remote, the_api_key_file_must_be_private_and_a_refused_key_is_not_repeated)
{
    start_server(0);
    allow_remote("http");
    chmod(key_file, 0644);
    struct outcome o = transcribe("record-audio transcribe external-ai", endpoint("http", "/v1"), NULL, key_file);
    cr_expect_eq(o.status, CASESCRIBE_EKEY, "%s", o.message);
    cr_expect_eq(requests(), 0);
    chmod(key_file, 0600);
    FILE *f = fopen(key_file, "w");
    fputs("sk-wrong-key\n", f);
    fclose(f);
    o = transcribe("record-audio transcribe external-ai", endpoint("http", "/v1"), NULL, key_file);
    cr_expect_eq(o.status, CASESCRIBE_ENETWORK, "%s", o.message);
    cr_expect(strstr(o.message, "401") != NULL, "%s", o.message);
    cr_expect(strstr(o.message, "sk-wrong-key") == NULL, "the key is never in a message");
}

Test(remote, bad_answers_are_refused)
{
    start_server(0);
    allow_remote("http");
    struct {
        const char *base;
        int32_t status;
    } cases[] = {{"/big/v1", CASESCRIBE_ETOOBIG},
                 {"/badjson/v1", CASESCRIBE_ENETWORK},
                 {"/badword/v1", CASESCRIBE_ENETWORK},
                 {"/redirect/v1", CASESCRIBE_ENETWORK}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct outcome o = transcribe("record-audio transcribe external-ai", endpoint("http", cases[i].base), NULL,
                                      key_file);
        cr_expect_eq(o.status, cases[i].status, "%s: %d %s", cases[i].base, o.status, o.message);
        cr_expect_null(o.t);
    }
}

Test(remote, https_is_verified)
{
    start_server(1);
    allow_remote("https");
    char ca[400], rogue[400];
    snprintf(ca, sizeof(ca), "%s/ca.pem", pki);
    snprintf(rogue, sizeof(rogue), "%s/rogue-ca.pem", pki);
    struct outcome o = transcribe("record-audio transcribe external-ai", endpoint("https", "/v1"), ca, key_file);
    cr_expect_eq(o.status, CASESCRIBE_OK, "%s", o.message);
    casescribe_transcript_free(o.t);
    o = transcribe("record-audio transcribe external-ai", endpoint("https", "/v1"), rogue, key_file);
    cr_expect_eq(o.status, CASESCRIBE_ENETWORK, "%s", o.message);
    cr_expect(strstr(o.message, "certificate") != NULL, "%s", o.message);
}

Test(remote, the_api_key_may_come_from_the_environment)
{
    start_server(0);
    allow_remote("http");
    setenv("CASESCRIBE_TEST_ASR_KEY", API_KEY, 1);
    key_env = "CASESCRIBE_TEST_ASR_KEY";
    struct outcome o = transcribe("record-audio transcribe external-ai", endpoint("http", "/v1"), NULL, NULL);
    cr_expect_eq(o.status, CASESCRIBE_OK, "%s", o.message);
    cr_expect(strstr(slurp(log_file), "\"auth_ok\": true") != NULL);
    casescribe_transcript_free(o.t);
}
