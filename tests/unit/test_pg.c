/* SPDX-License-Identifier: Apache-2.0 */
/* test_pg.c - several servers (homes with their own keys, in one process or
 * several) sharing one ledger in PostgreSQL. Run by tests/pg/suites.sh,
 * which starts a throwaway cluster and sets CS_PG_URI; each test gets a
 * schema of its own in that database (a fresh shared store). */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static char store_uri[1024];

static void shared_store(void)
{
    const char *base = getenv("CS_PG_URI");
    cr_assert_not_null(base, "run through tests/pg/suites.sh (CS_PG_URI names the test cluster)");
    static int n;
    snprintf(store_uri, sizeof(store_uri), "%s&options=-csearch_path%%3Dt%ld_%d", base, (long)getpid(), n++);
    setenv("CASESCRIBE_STORE", store_uri, 1);
    unsetenv("CASESCRIBE_TEST_STORE_PER_HOME");
    unsetenv("CASESCRIBE_TEST_CLOCK_OFFSET");
}

TestSuite(pg, .init = shared_store, .timeout = 120);

/* SQL run straight on the shared store (what an intruder or a DBA could do). */
static void sql(const char *statement)
{
    PGconn *pg = PQconnectdb(store_uri);
    cr_assert_eq(PQstatus(pg), CONNECTION_OK, "%s", PQerrorMessage(pg));
    PGresult *res = PQexec(pg, statement);
    cr_assert(PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK, "%s",
              PQerrorMessage(pg));
    PQclear(res);
    PQfinish(pg);
}

static int32_t verify_on(casescribe_ctx *ctx, const char *stamped)
{
    char *report = NULL;
    int32_t rc = casescribe_verify(&report, ctx, "xml", (const uint8_t *)stamped, strlen(stamped));
    casescribe_free(report);
    return rc;
}

Test(pg, a_record_saved_on_a_is_verified_and_edited_on_b_then_on_a_again)
{
    test_home a, b;
    home_open(&a, 0);
    home_open(&b, 0);
    char *form = form_make(&(form_parts){.id = "R-X"}), *v1 = NULL, *v2 = NULL, *v3 = NULL;
    cr_assert_eq(save_as(a.ctx, form, &v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(verify_on(b.ctx, v1), CASESCRIBE_OK, "B verifies A's stamp: %s", casescribe_last_error());
    char *e1 = replace_once(v1, "My own analysis of the visit.", "My own analysis, edited on B.");
    cr_assert_eq(save_as(b.ctx, e1, &v2), CASESCRIBE_OK, "B edits: %s", casescribe_last_error());
    char *e2 = replace_once(v2, "edited on B.", "edited on A again.");
    cr_assert_eq(save_as(a.ctx, e2, &v3), CASESCRIBE_OK, "A edits after B: %s", casescribe_last_error());
    cr_expect_eq(verify_on(b.ctx, v3), CASESCRIBE_OK, "%s", casescribe_last_error());
    /* A stale copy (version 1 again) is refused on either server. */
    cr_expect_eq(save_as(b.ctx, e1, NULL), CASESCRIBE_ECONFLICT);
    uint64_t entries = 0;
    cr_expect_eq(casescribe_journal_verify(&entries, NULL, b.ctx), CASESCRIBE_OK, "%s", casescribe_last_error());
    free(form);
    free(e1);
    free(e2);
    casescribe_free(v1);
    casescribe_free(v2);
    casescribe_free(v3);
    home_close(&a);
    home_close(&b);
}

/* A server's home for a forked process: no Criterion assertion there (a
 * child's failed assertion would wait on the runner); NULL on failure. */
static char child_path[64];

/* Closes a child's home and removes its folder. */
static void child_done(casescribe_ctx *ctx)
{
    char cmd[128];
    casescribe_ctx_close(ctx);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", child_path);
    if (system(cmd) != 0)
        _exit(4);
}

static casescribe_ctx *child_home(void)
{
    char *home = child_path;
    snprintf(home, sizeof(child_path), "/tmp/cs-pg-child-XXXXXX");
    casescribe_ctx_options opts;
    casescribe_ctx *ctx = NULL;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = mkdtemp(home);
    opts.flags = CASESCRIBE_OPEN_NO_SYNC;
    if (opts.home == NULL || casescribe_ctx_open(&ctx, &opts) != CASESCRIBE_OK)
        return NULL;
    if (casescribe_keygen(NULL, ctx, 0) != CASESCRIBE_OK) {
        casescribe_ctx_close(ctx);
        return NULL;
    }
    return ctx;
}

/* A server process: opens its own home, waits for the start, saves `xml`;
 * exits 0 when saved, 1 on ECONFLICT, 2 otherwise. */
static void server(int go, const char *xml)
{
    casescribe_ctx *ctx = child_home();
    char c;
    if (ctx == NULL || read(go, &c, 1) != 1)
        _exit(3);
    int32_t rc = save_as(ctx, xml, NULL);
    child_done(ctx);
    _exit(rc == CASESCRIBE_OK ? 0 : rc == CASESCRIBE_ECONFLICT ? 1 : 2);
}

Test(pg, two_servers_saving_version_2_of_the_same_version_1_exactly_one_wins)
{
    test_home a;
    home_open(&a, 0);
    char *form = form_make(&(form_parts){.id = "R-RACE"}), *v1 = NULL;
    cr_assert_eq(save_as(a.ctx, form, &v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *edit[2] = {replace_once(v1, "My own analysis of the visit.", "Edited on server 1."),
                     replace_once(v1, "My own analysis of the visit.", "Edited on server 2.")};
    int go[2];
    cr_assert_eq(pipe(go), 0);
    pid_t pid[2];
    for (int i = 0; i < 2; i++) {
        pid[i] = fork();
        cr_assert_geq(pid[i], 0);
        if (pid[i] == 0)
            server(go[0], edit[i]);
    }
    sleep(3); /* both have opened their homes (a late one still races: the lock decides) */
    cr_assert_eq(write(go[1], "gg", 2), 2);
    int codes[3] = {0, 0, 0};
    for (int i = 0; i < 2; i++) {
        int status = 0;
        cr_assert_eq(waitpid(pid[i], &status, 0), pid[i]);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) <= 2, "server %d ended with %d", i, status);
        codes[WEXITSTATUS(status)]++;
    }
    cr_expect_eq(codes[0], 1, "exactly one version 2 was saved");
    cr_expect_eq(codes[1], 1, "the other got ECONFLICT");
    uint32_t version = 0, confirmed = 0;
    char *digest = NULL;
    cr_expect_eq(casescribe_record_head(&version, &confirmed, &digest, a.ctx, "R-RACE"), CASESCRIBE_OK);
    cr_expect_eq(version, 2);
    cr_expect_eq(casescribe_journal_verify(NULL, NULL, a.ctx), CASESCRIBE_OK, "the chain did not fork: %s",
                 casescribe_last_error());
    casescribe_free(digest);
    free(form);
    free(edit[0]);
    free(edit[1]);
    casescribe_free(v1);
    home_close(&a);
}

Test(pg, ai_text_drafted_on_a_is_refused_as_human_on_b_and_its_engine_history_follows)
{
    test_home a, b;
    home_open(&a, 0);
    home_open(&b, 0);
    char sections[2048], *v1 = NULL;
    snprintf(sections, sizeof(sections), "%s%s",
             "<section id=\"observations\" origin=\"ai-draft\" engine=\"embedded:pocketsphinx\" model=\"en-us\">",
             paragraph(0));
    strcat(sections, "</section>" SECTION_HUMAN("analysis", "Mine."));
    form_parts p = {.id = "R-1", .sections = sections};
    char *form = form_make(&p);
    cr_assert_eq(save_as(a.ctx, form, &v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    /* Pasted into another record on B as the worker's own. */
    char human[2048];
    snprintf(human, sizeof(human), "<section id=\"notes\" origin=\"human\">%s</section>", paragraph(0));
    char *pasted = form_make(&(form_parts){.id = "R-2", .sections = human});
    cr_expect_eq(save_as(b.ctx, pasted, NULL), CASESCRIBE_ELAUNDER, "%s", casescribe_last_error());
    cr_expect(strstr(casescribe_last_error(), "R-1") != NULL, "%s", casescribe_last_error());
    /* Relabelled human in the same record, on B. */
    char *relabelled =
        replace_once(v1, "origin=\"ai-draft\" engine=\"embedded:pocketsphinx\" model=\"en-us\"", "origin=\"human\"");
    cr_expect_eq(save_as(b.ctx, relabelled, NULL), CASESCRIBE_ELAUNDER, "%s", casescribe_last_error());
    /* Another engine claimed for the unchanged AI text, on B. */
    char *other = replace_once(v1, "model=\"en-us\"", "model=\"en-gb\"");
    cr_expect_eq(save_as(b.ctx, other, NULL), CASESCRIBE_ELAUNDER);
    cr_expect(strstr(casescribe_last_error(), "engine") != NULL, "%s", casescribe_last_error());
    free(form);
    free(pasted);
    free(relabelled);
    free(other);
    casescribe_free(v1);
    home_close(&a);
    home_close(&b);
}

static int feature_on(casescribe_ctx *ctx, const char *feature, uint32_t *version)
{
    casescribe_policy *p = NULL;
    cr_assert_eq(casescribe_team_policy(&p, ctx, "cin-north"), CASESCRIBE_OK, "%s", casescribe_last_error());
    int on = casescribe_policy_feature(p, feature);
    *version = casescribe_policy_version(p);
    casescribe_policy_free(p);
    return on;
}

Test(pg, a_policy_change_on_a_applies_on_b_and_a_rollback_is_refused_everywhere)
{
    test_home a, b;
    home_open(&a, 0);
    home_open(&b, 0);
    char old_file[600], path_b[600], cmd[1400];
    snprintf(old_file, sizeof(old_file), "%s/cin-north.before", a.path);
    snprintf(path_b, sizeof(path_b), "%s/policy/cin-north.xml", b.path);
    snprintf(cmd, sizeof(cmd), "cp %s/policy/cin-north.xml %s", a.path, old_file);
    cr_assert_eq(system(cmd), 0);
    uint32_t va = 0, vb = 0;
    cr_assert_eq(casescribe_team_set(a.ctx, "admin-1", "cin-north", "ai-draft", "off"), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    cr_expect_eq(feature_on(a.ctx, "ai-draft", &va), 0);
    cr_expect_eq(feature_on(b.ctx, "ai-draft", &vb), 0, "B applies A's change");
    cr_expect_eq(va, vb);
    /* B's next save is under it: an AI draft is refused. */
    char *form = form_make(&(form_parts){.id = "R-P"});
    cr_expect_eq(save_as(b.ctx, form, NULL), CASESCRIBE_EPOLICY, "%s", casescribe_last_error());
    /* The old file put back on B is never used. */
    snprintf(cmd, sizeof(cmd), "cp %s %s", old_file, path_b);
    cr_assert_eq(system(cmd), 0);
    cr_expect_eq(feature_on(b.ctx, "ai-draft", &vb), 0, "the rollback is refused on B");
    cr_expect_eq(vb, va);
    /* A change on B reaches A. */
    cr_assert_eq(casescribe_team_set(b.ctx, "admin-2", "cin-north", "ai-draft", "on"), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    cr_expect_eq(feature_on(a.ctx, "ai-draft", &va), 1, "A applies B's change");
    cr_expect_eq(va, vb + 1);
    free(form);
    home_close(&a);
    home_close(&b);
}

Test(pg, every_servers_key_is_in_the_registry_and_an_unregistered_key_is_refused)
{
    test_home a, b, c;
    home_open(&a, 0);
    home_open(&b, 0);
    char *form = form_make(&(form_parts){.id = "R-K"}), *stamped = NULL, *other = NULL;
    cr_assert_eq(save_as(b.ctx, form, &stamped), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(verify_on(a.ctx, stamped), CASESCRIBE_OK, "A verifies B's key: %s", casescribe_last_error());
    /* A home outside the council (its own SQLite store) signs with a key the registry lacks. */
    setenv("CASESCRIBE_STORE", "sqlite", 1);
    home_open(&c, 0);
    setenv("CASESCRIBE_STORE", store_uri, 1);
    cr_assert_eq(save_as(c.ctx, form, &other), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(verify_on(a.ctx, other), CASESCRIBE_EKEY, "%s", casescribe_last_error());
    free(form);
    casescribe_free(stamped);
    casescribe_free(other);
    home_close(&a);
    home_close(&b);
    home_close(&c);
}

Test(pg, a_server_whose_clock_is_off_refuses_to_stamp_naming_both_times)
{
    test_home a;
    home_open(&a, 0);
    char *form = form_make(&(form_parts){.id = "R-C"});
    char offset[32];
    snprintf(offset, sizeof(offset), "%d", CASESCRIBE_CLOCK_SKEW + 3600);
    setenv("CASESCRIBE_TEST_CLOCK_OFFSET", offset, 1);
    cr_expect_eq(save_as(a.ctx, form, NULL), CASESCRIBE_ECONFLICT);
    const char *msg = casescribe_last_error();
    cr_expect(strstr(msg, "this server's clock says") != NULL && strstr(msg, "shared store's clock") != NULL, "%s",
              msg);
    setenv("CASESCRIBE_TEST_CLOCK_OFFSET", "-30", 1); /* within the skew: stamped with the store's time */
    char *stamped = NULL;
    cr_expect_eq(save_as(a.ctx, form, &stamped), CASESCRIBE_OK, "%s", casescribe_last_error());
    free(form);
    casescribe_free(stamped);
    home_close(&a);
}

Test(pg, journal_verify_runs_against_the_shared_store_and_catches_an_edited_entry)
{
    test_home a;
    home_open(&a, 0);
    char *form = form_make(&(form_parts){.id = "R-J"});
    cr_assert_eq(save_as(a.ctx, form, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
    uint64_t n = 0;
    cr_expect_eq(casescribe_journal_verify(&n, NULL, a.ctx), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(n, HOME_SETUP_ENTRIES + 1);
    sql("UPDATE ledger SET payload = replace(payload, 'R-J', 'R-Z') WHERE seq = 3");
    cr_expect_eq(casescribe_journal_verify(&n, NULL, a.ctx), CASESCRIBE_EJOURNAL);
    cr_expect(strstr(casescribe_last_error(), "entry 3") != NULL, "%s", casescribe_last_error());
    free(form);
    home_close(&a);
}

Test(pg, a_store_of_a_newer_schema_is_refused)
{
    test_home a;
    home_open(&a, 0);
    sql("UPDATE meta SET value = '99' WHERE name = 'schema'");
    casescribe_ctx_options opts;
    casescribe_ctx *ctx = NULL;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = a.path;
    cr_expect_eq(casescribe_ctx_open(&ctx, &opts), CASESCRIBE_EJOURNAL);
    cr_expect(strstr(casescribe_last_error(), "99") != NULL && strstr(casescribe_last_error(), "newer") != NULL, "%s",
              casescribe_last_error());
    cr_expect_eq(casescribe_store_admin(NULL, a.path, "migrate", NULL), CASESCRIBE_EJOURNAL);
    /* A shared store is not rebuilt from a SQLite backup. */
    cr_expect_eq(casescribe_journal_recover(NULL, a.path, a.path), CASESCRIBE_EINVAL);
    cr_expect(strstr(casescribe_last_error(), "PostgreSQL") != NULL, "%s", casescribe_last_error());
    home_close(&a);
}

Test(pg, store_copy_moves_a_homes_sqlite_ledger_and_laundering_detection_goes_with_it)
{
    setenv("CASESCRIBE_STORE", "sqlite", 1);
    test_home s;
    home_open(&s, 0);
    char sections[2048], *v1 = NULL, *report = NULL;
    snprintf(sections, sizeof(sections),
             "<section id=\"observations\" origin=\"ai-draft\" engine=\"embedded:pocketsphinx\" "
             "model=\"en-us\">%s</section>" SECTION_HUMAN("analysis", "Mine."),
             paragraph(1));
    char *form = form_make(&(form_parts){.id = "R-M", .sections = sections});
    cr_assert_eq(save_as(s.ctx, form, &v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    casescribe_ctx_close(s.ctx);
    s.ctx = NULL;
    cr_assert_eq(casescribe_store_admin(&report, s.path, "copy", store_uri), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    cr_expect(strstr(report, "copied 3 entries") != NULL, "%s", report);
    casescribe_free(report);
    cr_expect_eq(casescribe_store_admin(NULL, s.path, "copy", store_uri), CASESCRIBE_EINVAL, "not into a full store");
    /* The home now names the shared store; a second server joins it. */
    setenv("CASESCRIBE_STORE", store_uri, 1);
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = s.path;
    cr_assert_eq(casescribe_ctx_open(&s.ctx, &opts), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(casescribe_journal_verify(NULL, NULL, s.ctx), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(verify_on(s.ctx, v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    test_home b;
    home_open(&b, 0);
    cr_expect_eq(verify_on(b.ctx, v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    char human[2048];
    snprintf(human, sizeof(human), "<section id=\"notes\" origin=\"human\">%s</section>", paragraph(1));
    char *pasted = form_make(&(form_parts){.id = "R-N", .sections = human});
    cr_expect_eq(save_as(b.ctx, pasted, NULL), CASESCRIBE_ELAUNDER, "the copied prints and secret: %s",
                 casescribe_last_error());
    free(form);
    free(pasted);
    casescribe_free(v1);
    home_close(&s);
    home_close(&b);
}

/* A server process that switches the team's AI drafting on at the same
 * moment as another, then saves an AI draft: exits 0 when its change was
 * made or refused as made elsewhere meanwhile (ECONFLICT), the policy it
 * then runs on is a signed one, and the save went through. */
static void policy_server(int go, int i)
{
    casescribe_ctx *ctx = child_home();
    char c;
    if (ctx == NULL || read(go, &c, 1) != 1)
        _exit(3);
    int32_t rc = casescribe_team_set(ctx, i == 0 ? "admin-1" : "admin-2", "cin-north", "ai-draft", "on");
    casescribe_policy *p = NULL;
    int ok = (rc == CASESCRIBE_OK || rc == CASESCRIBE_ECONFLICT) &&
             casescribe_team_policy(&p, ctx, "cin-north") == CASESCRIBE_OK &&
             casescribe_policy_state(p) == CASESCRIBE_POLICY_SIGNED;
    casescribe_policy_free(p);
    char *form = form_make(&(form_parts){.id = i == 0 ? "R-P0" : "R-P1"});
    ok = ok && save_as(ctx, form, NULL) == CASESCRIBE_OK;
    free(form);
    child_done(ctx);
    _exit(ok ? 0 : 1);
}

Test(pg, two_servers_changing_one_policy_at_once_never_make_two_versions_of_one_number)
{
    int go[2];
    cr_assert_eq(pipe(go), 0);
    pid_t pid[2];
    for (int i = 0; i < 2; i++) {
        pid[i] = fork();
        cr_assert_geq(pid[i], 0);
        if (pid[i] == 0)
            policy_server(go[0], i);
    }
    sleep(3);
    cr_assert_eq(write(go[1], "gg", 2), 2);
    for (int i = 0; i < 2; i++) {
        int status = 0;
        cr_assert_eq(waitpid(pid[i], &status, 0), pid[i]);
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "server %d: %d", i, status);
    }
    test_home a; /* a third server joins: the one policy is in force there too */
    home_open(&a, 0);
    uint32_t v = 0;
    cr_expect_eq(feature_on(a.ctx, "ai-draft", &v), 1);
    cr_expect_eq(casescribe_journal_verify(NULL, NULL, a.ctx), CASESCRIBE_OK, "%s", casescribe_last_error());
    home_close(&a);
}
