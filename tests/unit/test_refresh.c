/* SPDX-License-Identifier: Apache-2.0 */
/* test_refresh.c - a council's policy bundle fetched over HTTPS by a job.
 *
 * Each test starts its own HTTPS server (tests/net/https_server.py) with a
 * throwaway CA (tests/net/make-test-pki.sh), publishes signed bundles in
 * its folder, and drives casescribe_policy_refresh through the public ABI:
 * a change is picked up, an unchanged bundle costs a 304, a bad
 * certificate, a dead server, an oversized, badly signed or replayed
 * bundle all leave the last good policy in force. */
#include <criterion/criterion.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

extern char **environ;

static test_home home;
static char pki[300], site[300], server_log[300];
static pid_t server = -1;
static int port;

static const char *srcdir(void)
{
    const char *d = getenv("top_srcdir");
    return d != NULL ? d : ".";
}

static void run(const char *cmd)
{
    int rc = system(cmd);
    cr_assert_eq(rc, 0, "command failed (%d): %s", rc, cmd);
}

static void start_server(void)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    char script[512], cert[400], key[400];
    snprintf(script, sizeof(script), "%s/tests/net/https_server.py", srcdir());
    snprintf(cert, sizeof(cert), "%s/server.pem", pki);
    snprintf(key, sizeof(key), "%s/server.key", pki);
    const char *python = getenv("PYTHON3") != NULL && getenv("PYTHON3")[0] ? getenv("PYTHON3") : "python3";
    char *argv[] = {(char *)python, script, "--cert", cert, "--key", key, "--dir", site, "--log", server_log, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    cr_assert_eq(posix_spawnp(&server, python, &fa, NULL, argv, environ), 0, "cannot start %s", python);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    cr_assert_eq(fscanf(f, "%d", &port), 1, "the test server did not say its port");
    fclose(f);
}

static void stop_server(void)
{
    if (server > 0) {
        kill(server, SIGKILL);
        waitpid(server, NULL, 0);
        server = -1;
    }
}

static void setup(void)
{
    home_open(&home, 0);
    snprintf(pki, sizeof(pki), "%s/pki", home.path);
    snprintf(site, sizeof(site), "%s/site", home.path);
    snprintf(server_log, sizeof(server_log), "%s/server.log", home.path);
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "sh '%s/tests/net/make-test-pki.sh' '%s' && mkdir '%s'", srcdir(), pki, site);
    run(cmd);
    start_server();
}

static void teardown(void)
{
    stop_server();
    home_close(&home);
}

TestSuite(refresh, .init = setup, .fini = teardown, .timeout = 60);

/* ---- helpers ------------------------------------------------------------ */

static void trust_admin(void)
{
    char path[400], pem[4096];
    snprintf(path, sizeof(path), "%s/admin.pub", pki);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    size_t n = fread(pem, 1, sizeof(pem), f);
    fclose(f);
    int32_t rc = casescribe_policy_trust(home.ctx, "dpo-1", pem, n);
    cr_assert_eq(rc, CASESCRIBE_OK, "trust: %s", casescribe_last_error());
}

/* A bundle of `serial` for `teams` (the <team> elements), signed with the
 * key file `key` ("admin.key" or "other-admin.key"), published as `name`. */
static void publish(const char *name, unsigned serial, const char *teams, const char *key)
{
    char xml[65536], key_path[400], path[400];
    snprintf(xml, sizeof(xml),
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- test bundle -->\n"
             "<bundle xmlns=\"urn:casescribe:policy:1\" serial=\"%u\" issued-by=\"dpo-1\" "
             "issued-at=\"2026-11-23T10:00:00Z\">\n%s</bundle>\n",
             serial, teams);
    snprintf(key_path, sizeof(key_path), "%s/%s", pki, key);
    uint8_t *out = NULL;
    size_t len = 0;
    int32_t rc = casescribe_policy_bundle_sign(&out, &len, (const uint8_t *)xml, strlen(xml), key_path);
    cr_assert_eq(rc, CASESCRIBE_OK, "sign: %s", casescribe_last_error());
    snprintf(path, sizeof(path), "%s/%s", site, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(out, 1, len, f), len);
    fclose(f);
    casescribe_free(out);
}

#define TEAM(name, transcription, ai_draft)                                                                        \
    "  <team name=\"" name "\">\n    <features transcription=\"" transcription "\" ai-draft=\"" ai_draft          \
    "\" external-ai=\"off\" observation-tags=\"off\"/>\n    <audio-retention-days>7</audio-retention-days>\n"      \
    "    <engine>embedded</engine>\n  </team>\n"

struct outcome {
    int32_t status;
    char message[1024];
    char result[2048];
};

/* Runs a refresh job to its end and reports how it ended. */
static struct outcome refresh_with(const char *path, const char *ca, uint32_t max_bytes, int32_t timeout_ms)
{
    casescribe_fetch_options o;
    cr_assert_eq(casescribe_fetch_options_init(&o, sizeof(o)), CASESCRIBE_OK);
    char url[300], ca_path[400];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d%s", port, path);
    snprintf(ca_path, sizeof(ca_path), "%s/%s", pki, ca != NULL ? ca : "");
    o.url = url;
    o.ca_file = ca != NULL ? ca_path : NULL;
    if (max_bytes)
        o.max_bytes = max_bytes;
    if (timeout_ms)
        o.timeout_ms = timeout_ms;
    casescribe_job *job = NULL;
    int32_t rc = casescribe_policy_refresh(&job, home.ctx, &o);
    cr_assert_eq(rc, CASESCRIBE_OK, "refresh: %s", casescribe_last_error());
    cr_assert_eq(casescribe_job_wait(job, 60000), CASESCRIBE_OK, "the job did not end");
    struct outcome out = {casescribe_job_status(job), "", ""};
    int32_t state = casescribe_job_state(job);
    cr_assert_eq(state, out.status == CASESCRIBE_OK ? CASESCRIBE_JOB_DONE : CASESCRIBE_JOB_FAILED);
    if (casescribe_job_message(job) != NULL)
        snprintf(out.message, sizeof(out.message), "%s", casescribe_job_message(job));
    char *result = NULL;
    if (out.status == CASESCRIBE_OK) {
        cr_assert_eq(casescribe_job_result(&result, job), CASESCRIBE_OK);
        snprintf(out.result, sizeof(out.result), "%s", result);
        casescribe_free(result);
    } else {
        cr_assert_eq(casescribe_job_result(&result, job), out.status);
        cr_assert_null(result);
    }
    casescribe_job_free(job);
    return out;
}

static struct outcome refresh(const char *path)
{
    return refresh_with(path, "ca.pem", 0, 0);
}

/* The state of `feature` for team `team` and its policy version. */
static int feature(const char *team, const char *name, uint32_t *version)
{
    casescribe_policy *p = NULL;
    cr_assert_eq(casescribe_team_policy(&p, home.ctx, team), CASESCRIBE_OK);
    int on = casescribe_policy_feature(p, name);
    if (version != NULL)
        *version = casescribe_policy_version(p);
    casescribe_policy_free(p);
    return on;
}

/* How many requests the server answered with `status`. */
static int answered(int status)
{
    FILE *f = fopen(server_log, "r");
    if (f == NULL)
        return 0;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        char path[300];
        int s = -1;
        if (sscanf(line, "GET %299s %d", path, &s) == 2 && s == status)
            n++;
    }
    fclose(f);
    return n;
}

/* ---- tests --------------------------------------------------------------- */

Test(refresh, a_new_bundle_is_applied_and_a_changed_one_is_picked_up)
{
    trust_admin();
    publish("bundle.xml", 1, TEAM("cin-north", "on", "on") TEAM("adults-sg", "off", "off"), "admin.key");
    uint32_t v0 = 0;
    cr_assert_eq(feature("cin-north", "transcription", &v0), 0);
    struct outcome o = refresh("/bundle.xml");
    cr_assert_eq(o.status, CASESCRIBE_OK, "%s", o.message);
    cr_expect(strstr(o.result, "bundle 1") != NULL && strstr(o.result, "cin-north") != NULL, "%s", o.result);
    uint32_t v1 = 0;
    cr_expect_eq(feature("cin-north", "transcription", &v1), 1);
    cr_expect_eq(v1, v0 + 1, "several settings changed in one new version");
    cr_expect_eq(feature("adults-sg", "transcription", NULL), 0);

    /* The admin switches transcription off for cin-north: serial 2. */
    publish("bundle.xml", 2, TEAM("cin-north", "off", "on") TEAM("adults-sg", "off", "off"), "admin.key");
    o = refresh("/bundle.xml");
    cr_assert_eq(o.status, CASESCRIBE_OK, "%s", o.message);
    cr_expect_eq(feature("cin-north", "transcription", NULL), 0);
    cr_expect_eq(feature("cin-north", "ai-draft", NULL), 1);

    /* Each changed setting is audited, naming the issuer and the serial. */
    uint64_t n = 0;
    cr_assert_eq(casescribe_journal_verify(&n, NULL, home.ctx), CASESCRIBE_OK);
    casescribe_journal_entry *e = NULL;
    cr_assert_eq(casescribe_journal_entry_get(&e, home.ctx, n), CASESCRIBE_OK);
    cr_expect_str_eq(casescribe_journal_entry_kind(e), "policy");
    cr_expect_str_eq(casescribe_journal_entry_actor_id(e), "dpo-1");
    casescribe_journal_entry_free(e);
}

Test(refresh, an_unchanged_bundle_costs_a_304_and_changes_nothing)
{
    trust_admin();
    publish("bundle.xml", 1, TEAM("cin-north", "on", "on"), "admin.key");
    cr_assert_eq(refresh("/bundle.xml").status, CASESCRIBE_OK);
    uint32_t v1 = 0, v2 = 0;
    feature("cin-north", "transcription", &v1);
    uint64_t before = 0, after = 0;
    casescribe_journal_verify(&before, NULL, home.ctx);
    struct outcome o = refresh("/bundle.xml");
    cr_assert_eq(o.status, CASESCRIBE_OK, "%s", o.message);
    cr_expect(strstr(o.result, "not modified") != NULL, "%s", o.result);
    cr_expect_eq(answered(200), 1);
    cr_expect_eq(answered(304), 1, "the second request carried the ETag and got 304");
    feature("cin-north", "transcription", &v2);
    casescribe_journal_verify(&after, NULL, home.ctx);
    cr_expect_eq(v2, v1);
    cr_expect_eq(after, before, "nothing journalled");
}

Test(refresh, a_304_puts_back_a_team_changed_by_hand_since)
{
    trust_admin();
    publish("bundle.xml", 1, TEAM("cin-north", "on", "on"), "admin.key");
    cr_assert_eq(refresh("/bundle.xml").status, CASESCRIBE_OK);
    cr_assert_eq(casescribe_team_set(home.ctx, "local-admin", "cin-north", "transcription", "off"), CASESCRIBE_OK);
    cr_assert_eq(feature("cin-north", "transcription", NULL), 0);
    struct outcome o = refresh("/bundle.xml");
    cr_assert_eq(o.status, CASESCRIBE_OK, "%s", o.message);
    cr_expect_eq(answered(304), 1);
    cr_expect_eq(feature("cin-north", "transcription", NULL), 1, "the council's bundle wins");
}

Test(refresh, a_certificate_from_another_ca_is_refused)
{
    trust_admin();
    publish("bundle.xml", 1, TEAM("cin-north", "on", "on"), "admin.key");
    struct outcome o = refresh_with("/bundle.xml", "rogue-ca.pem", 0, 0);
    cr_expect_eq(o.status, CASESCRIBE_ENETWORK, "%d %s", o.status, o.message);
    cr_expect(strstr(o.message, "certificate") != NULL, "%s", o.message);
    /* an operator can act on it: curl's words, OpenSSL's verify result, the CA file used */
    cr_expect(strstr(o.message, "the server's TLS certificate is not trusted: SSL certificate problem") != NULL, "%s",
              o.message);
    cr_expect(strstr(o.message, "certificate verify result ") != NULL, "%s", o.message);
    cr_expect(strstr(o.message, "rogue-ca.pem)") != NULL, "%s", o.message);
    o = refresh_with("/bundle.xml", NULL, 0, 0); /* the system's store does not know the test CA either */
    cr_expect_eq(o.status, CASESCRIBE_ENETWORK, "%s", o.message);
    cr_expect(strstr(o.message, "(in use: the system's CAs)") != NULL, "%s", o.message);
    cr_expect_eq(feature("cin-north", "transcription", NULL), 0);
    cr_expect_eq(answered(200), 0, "no request got through");
}

Test(refresh, a_server_that_is_down_leaves_the_last_good_policy)
{
    trust_admin();
    publish("bundle.xml", 1, TEAM("cin-north", "on", "on"), "admin.key");
    cr_assert_eq(refresh("/bundle.xml").status, CASESCRIBE_OK);
    stop_server();
    struct outcome o = refresh("/bundle.xml");
    cr_expect_eq(o.status, CASESCRIBE_ENETWORK, "%s", o.message);
    cr_expect_eq(feature("cin-north", "transcription", NULL), 1, "the last good policy is kept");
    /* A policy read after a failed refresh is still the signed one. */
    casescribe_policy *p = NULL;
    cr_assert_eq(casescribe_team_policy(&p, home.ctx, "cin-north"), CASESCRIBE_OK);
    cr_expect_eq(casescribe_policy_state(p), CASESCRIBE_POLICY_SIGNED);
    casescribe_policy_free(p);
}

Test(refresh, an_oversized_bundle_is_refused_with_or_without_a_length)
{
    trust_admin();
    char teams[40000] = "";
    for (int i = 0; i < 100; i++) {
        char t[400];
        snprintf(t, sizeof(t), TEAM("team-%d", "on", "on"), i);
        strcat(teams, t);
    }
    publish("big.xml", 1, teams, "admin.key");
    struct outcome o = refresh_with("/big.xml", "ca.pem", 4096, 0);
    cr_expect_eq(o.status, CASESCRIBE_ETOOBIG, "%s", o.message);
    o = refresh_with("/big.xml?nolength", "ca.pem", 4096, 0);
    cr_expect_eq(o.status, CASESCRIBE_ETOOBIG, "%s", o.message);
    cr_expect_eq(feature("team-1", "transcription", NULL), 0);
}

Test(refresh, a_bundle_signed_by_another_key_or_edited_is_refused)
{
    trust_admin();
    publish("bundle.xml", 1, TEAM("cin-north", "on", "on"), "admin.key");
    cr_assert_eq(refresh("/bundle.xml").status, CASESCRIBE_OK);
    publish("other.xml", 2, TEAM("cin-north", "off", "off"), "other-admin.key");
    struct outcome o = refresh("/other.xml");
    cr_expect_eq(o.status, CASESCRIBE_EVERIFY, "%s", o.message);
    cr_expect(strstr(o.message, "does not trust") != NULL, "%s", o.message);
    /* A hand edit of a signed bundle: ai-draft switched off on the server. */
    char cmd[1000];
    snprintf(cmd, sizeof(cmd), "sed 's/serial=\"1\"/serial=\"3\"/' '%s/bundle.xml' > '%s/edited.xml'", site, site);
    run(cmd);
    o = refresh("/edited.xml");
    cr_expect_eq(o.status, CASESCRIBE_EVERIFY, "%s", o.message);
    cr_expect_eq(feature("cin-north", "ai-draft", NULL), 1, "the last good policy is kept");
}

Test(refresh, an_older_bundle_is_refused_as_a_replay)
{
    trust_admin();
    publish("old.xml", 4, TEAM("cin-north", "on", "on"), "admin.key");
    publish("new.xml", 5, TEAM("cin-north", "off", "on"), "admin.key");
    publish("same.xml", 5, TEAM("cin-north", "on", "off"), "admin.key");
    cr_assert_eq(refresh("/new.xml").status, CASESCRIBE_OK);
    struct outcome o = refresh("/old.xml");
    cr_expect_eq(o.status, CASESCRIBE_EVERIFY, "%s", o.message);
    cr_expect(strstr(o.message, "older") != NULL, "%s", o.message);
    o = refresh("/same.xml");
    cr_expect_eq(o.status, CASESCRIBE_EVERIFY, "same serial, other content: %s", o.message);
    cr_expect_eq(feature("cin-north", "transcription", NULL), 0);
    cr_expect_eq(feature("cin-north", "ai-draft", NULL), 1);
}

/* policy/bundle.xml deleted or put back: the journal still knows the
 * latest serial, even of a bundle that changed no team. */
Test(refresh, the_journal_not_the_cached_file_decides_what_is_older)
{
    trust_admin();
    publish("old.xml", 4, TEAM("cin-north", "on", "on"), "admin.key");
    publish("new.xml", 5, TEAM("cin-north", "off", "on"), "admin.key");
    publish("same.xml", 6, TEAM("cin-north", "off", "on"), "admin.key");
    cr_assert_eq(refresh("/new.xml").status, CASESCRIBE_OK);
    struct outcome o = refresh("/same.xml");
    cr_assert_eq(o.status, CASESCRIBE_OK, "%s", o.message);
    cr_expect(strstr(o.result, "already as the bundle says") != NULL, "%s", o.result);
    char cached[400], etag[400], cmd[1200];
    snprintf(cached, sizeof(cached), "%s/policy/bundle.xml", home.path);
    snprintf(etag, sizeof(etag), "%s/policy/bundle.etag", home.path);
    cr_assert_eq(unlink(cached), 0);
    unlink(etag);
    o = refresh("/new.xml");
    cr_expect_eq(o.status, CASESCRIBE_EVERIFY, "serial 5 after 6, with no cached bundle: %s", o.message);
    cr_expect(strstr(o.message, "older than the 6 this home's journal holds") != NULL, "%s", o.message);
    o = refresh("/old.xml");
    cr_expect_eq(o.status, CASESCRIBE_EVERIFY, "%s", o.message);
    cr_expect_eq(feature("cin-north", "transcription", NULL), 0);
    /* An old bundle put back as the cached one is not in force either: a
     * 304 does not re-apply it, and a full answer of it is refused. */
    snprintf(cmd, sizeof(cmd), "cp '%s/old.xml' '%s' && printf '\"x\"' > '%s'", site, cached, etag);
    run(cmd);
    o = refresh("/old.xml");
    cr_expect_neq(o.status, CASESCRIBE_OK, "%s", o.result);
    cr_expect_eq(feature("cin-north", "transcription", NULL), 0);
    /* The bundle in force, fetched again, is still fine. */
    o = refresh("/same.xml");
    cr_expect_eq(o.status, CASESCRIBE_OK, "%s", o.message);
    cr_expect_eq(feature("cin-north", "transcription", NULL), 0);
}

Test(refresh, without_a_trusted_admin_key_nothing_is_fetched)
{
    publish("bundle.xml", 1, TEAM("cin-north", "on", "on"), "admin.key");
    struct outcome o = refresh("/bundle.xml");
    cr_expect_eq(o.status, CASESCRIBE_EKEY, "%s", o.message);
    cr_expect_eq(answered(200) + answered(304), 0);
}

Test(refresh, redirects_errors_and_plain_http_are_refused)
{
    trust_admin();
    struct outcome o = refresh("/redirect");
    cr_expect_eq(o.status, CASESCRIBE_ENETWORK, "%s", o.message);
    cr_expect(strstr(o.message, "redirect") != NULL, "%s", o.message);
    o = refresh("/missing.xml");
    cr_expect_eq(o.status, CASESCRIBE_ENETWORK, "%s", o.message);
    cr_expect(strstr(o.message, "404") != NULL, "%s", o.message);
    casescribe_fetch_options opts;
    casescribe_fetch_options_init(&opts, sizeof(opts));
    char url[100];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/bundle.xml", port);
    opts.url = url;
    casescribe_job *job = NULL;
    cr_expect_eq(casescribe_policy_refresh(&job, home.ctx, &opts), CASESCRIBE_EINVAL);
    cr_expect_null(job);
}

Test(refresh, a_stalled_server_times_out)
{
    trust_admin();
    struct outcome o = refresh_with("/slow", "ca.pem", 0, 800);
    cr_expect_eq(o.status, CASESCRIBE_ENETWORK, "%s", o.message);
    cr_expect(strstr(o.message, "imeout") != NULL || strstr(o.message, "timed out") != NULL, "%s", o.message);
}

static void count_end(casescribe_job *job, void *user)
{
    (void)job;
    __atomic_add_fetch((int *)user, 1, __ATOMIC_SEQ_CST);
}

Test(refresh, a_job_can_be_cancelled_and_closing_the_context_ends_it)
{
    trust_admin();
    casescribe_fetch_options o;
    casescribe_fetch_options_init(&o, sizeof(o));
    char url[100];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/slow", port);
    char ca[400];
    snprintf(ca, sizeof(ca), "%s/ca.pem", pki);
    o.url = url;
    o.ca_file = ca;
    casescribe_job *job = NULL;
    int ended = 0;
    cr_assert_eq(casescribe_policy_refresh(&job, home.ctx, &o), CASESCRIBE_OK);
    cr_assert_eq(casescribe_job_on_end(job, count_end, &ended), CASESCRIBE_OK);
    cr_expect_eq(casescribe_job_wait(job, 300), CASESCRIBE_EBUSY, "still running");
    cr_expect_eq(casescribe_job_status(job), CASESCRIBE_EBUSY);
    cr_expect_null(casescribe_job_message(job));
    cr_expect_str_eq(casescribe_job_kind(job), "policy-refresh");
    cr_assert_eq(casescribe_job_cancel(job), CASESCRIBE_OK);
    cr_assert_eq(casescribe_job_wait(job, 10000), CASESCRIBE_OK, "a cancel stops the transfer");
    cr_expect_eq(casescribe_job_state(job), CASESCRIBE_JOB_CANCELLED);
    cr_expect_eq(casescribe_job_status(job), CASESCRIBE_ECANCELLED);
    cr_expect_eq(ended, 1, "the callback ran once");
    int again = 0;
    cr_expect_eq(casescribe_job_on_end(job, count_end, &again), CASESCRIBE_OK);
    cr_expect_eq(again, 1, "a callback set after the end runs at once");
    casescribe_job_free(job);

    /* Closing the context ends the running and the queued jobs. */
    casescribe_job *jobs[4];
    for (int i = 0; i < 4; i++)
        cr_assert_eq(casescribe_policy_refresh(&jobs[i], home.ctx, &o), CASESCRIBE_OK);
    usleep(300000);
    casescribe_ctx_close(home.ctx);
    home.ctx = NULL;
    for (int i = 0; i < 4; i++) {
        cr_expect_eq(casescribe_job_wait(jobs[i], 0), CASESCRIBE_OK);
        cr_expect_eq(casescribe_job_state(jobs[i]), CASESCRIBE_JOB_CANCELLED);
        casescribe_job_free(jobs[i]);
    }
}

Test(refresh, a_bundle_is_signed_only_with_a_private_key_file)
{
    char key[400];
    snprintf(key, sizeof(key), "%s/admin.key", pki);
    chmod(key, 0644);
    const char *xml = "<bundle xmlns=\"urn:casescribe:policy:1\" serial=\"1\" issued-by=\"dpo-1\" "
                      "issued-at=\"2026-11-23T10:00:00Z\"/>";
    uint8_t *out = NULL;
    size_t len = 0;
    cr_expect_eq(casescribe_policy_bundle_sign(&out, &len, (const uint8_t *)xml, strlen(xml), key), CASESCRIBE_EKEY);
    cr_expect_null(out);
    chmod(key, 0600);
    cr_expect_eq(casescribe_policy_bundle_sign(&out, &len, (const uint8_t *)xml, strlen(xml), key), CASESCRIBE_OK);
    casescribe_free(out);
    const char *bad = "<bundle xmlns=\"urn:casescribe:policy:1\" serial=\"0\" issued-by=\"dpo-1\" "
                      "issued-at=\"2026-11-23T10:00:00Z\"/>";
    cr_expect_eq(casescribe_policy_bundle_sign(&out, &len, (const uint8_t *)bad, strlen(bad), key), CASESCRIBE_ESCHEMA);
}

/* The on-end callback runs the host's code with the host's signal mask,
 * not the worker's (which blocks everything): runtimes such as Mono stop
 * threads with signals for garbage collection. */
struct mask_seen {
    int called, usr2_blocked, term_blocked;
};

static void note_mask(casescribe_job *job, void *user)
{
    (void)job;
    struct mask_seen *seen = user;
    sigset_t now;
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    seen->usr2_blocked = sigismember(&now, SIGUSR2);
    seen->term_blocked = sigismember(&now, SIGTERM);
    __atomic_store_n(&seen->called, 1, __ATOMIC_RELEASE);
}

Test(refresh, the_end_callback_runs_with_the_signal_mask_of_the_thread_that_set_it)
{
    test_home h;
    home_open(&h, 0);
    sigset_t mine, old;
    sigemptyset(&mine);
    sigaddset(&mine, SIGTERM); /* this thread blocks SIGTERM and lets SIGUSR2 through */
    pthread_sigmask(SIG_SETMASK, &mine, &old);
    casescribe_fetch_options o;
    casescribe_fetch_options_init(&o, sizeof(o));
    o.url = "https://127.0.0.1:1/bundle.xml"; /* refused at once: the job fails quickly */
    o.connect_timeout_ms = 2000;
    struct mask_seen seen = {0};
    casescribe_job *job = NULL;
    cr_assert_eq(casescribe_policy_refresh(&job, h.ctx, &o), CASESCRIBE_OK);
    cr_assert_eq(casescribe_job_on_end(job, note_mask, &seen), CASESCRIBE_OK);
    cr_assert_eq(casescribe_job_wait(job, 30000), CASESCRIBE_OK);
    for (int i = 0; i < 3000 && !__atomic_load_n(&seen.called, __ATOMIC_ACQUIRE); i++)
        usleep(1000);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    cr_assert(seen.called, "the callback ran");
    cr_assert_eq(seen.usr2_blocked, 0, "SIGUSR2 reaches the callback, as it reaches the thread that set it");
    cr_assert_eq(seen.term_blocked, 1, "SIGTERM stays blocked, as in the thread that set it");
    casescribe_job_free(job);
    home_close(&h);
}

/* Asking a job of another kind for a transcript or a draft is EINVAL, as
 * the header says, even when that job failed (bindings rely on it). */
Test(refresh, a_refresh_job_has_no_transcript_and_no_draft)
{
    test_home h;
    home_open(&h, 0);
    casescribe_fetch_options o;
    casescribe_fetch_options_init(&o, sizeof(o));
    o.url = "https://127.0.0.1:1/bundle.xml";
    casescribe_job *job = NULL;
    cr_assert_eq(casescribe_policy_refresh(&job, h.ctx, &o), CASESCRIBE_OK);
    cr_assert_eq(casescribe_job_wait(job, 30000), CASESCRIBE_OK);
    cr_assert_neq(casescribe_job_status(job), CASESCRIBE_OK, "the refresh failed");
    casescribe_transcript *t = NULL;
    uint8_t *draft = NULL;
    size_t len = 0;
    cr_assert_eq(casescribe_job_transcript(&t, job), CASESCRIBE_EINVAL);
    cr_assert_eq(casescribe_job_draft(&draft, &len, job), CASESCRIBE_EINVAL);
    casescribe_job_free(job);
    home_close(&h);
}
