/* SPDX-License-Identifier: Apache-2.0 */
/* test_two_phase.c - two-phase saves with the host's database: a version
 * the host never confirmed (its own commit failed) must not strand the
 * record. With CASESCRIBE_OPEN_TWO_PHASE the next save from the last
 * confirmed version supersedes it, journalling an "abandoned" entry;
 * without it, the old behaviour (ECONFLICT) holds. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static test_home home;

static void teardown(void)
{
    home_close(&home);
}

static void two_phase(void)
{
    home_open(&home, CASESCRIBE_OPEN_TWO_PHASE);
}

static void one_phase(void)
{
    home_open(&home, 0);
}

TestSuite(two_phase, .init = two_phase, .fini = teardown); /* homes opened with CASESCRIBE_OPEN_TWO_PHASE */


static int32_t confirm(const char *stamped)
{
    return casescribe_save_confirm(home.ctx, "xml", (const uint8_t *)stamped, strlen(stamped));
}

static uint32_t version_of(const char *stamped)
{
    casescribe_record *r = NULL;
    cr_assert_eq(casescribe_record_open(&r, "xml", (const uint8_t *)stamped, strlen(stamped)), CASESCRIBE_OK);
    uint32_t v = casescribe_record_version(r);
    casescribe_record_free(r);
    return v;
}

TestSuite(one_phase, .init = one_phase, .fini = teardown); /* homes opened without it */

/* The number of ledger entries of `kind`, and the last one's seq. */
static int count_kind(const char *kind, uint64_t *last)
{
    uint64_t n = 0;
    int found = 0;
    cr_assert_eq(casescribe_journal_verify(&n, NULL, home.ctx), CASESCRIBE_OK, "%s", casescribe_last_error());
    for (uint64_t seq = 1; seq <= n; seq++) {
        casescribe_journal_entry *e = NULL;
        cr_assert_eq(casescribe_journal_entry_get(&e, home.ctx, seq), CASESCRIBE_OK);
        if (strcmp(casescribe_journal_entry_kind(e), kind) == 0) {
            found++;
            if (last != NULL)
                *last = seq;
        }
        casescribe_journal_entry_free(e);
    }
    return found;
}

static void expect_head(const char *record, uint32_t version, uint32_t confirmed)
{
    uint32_t v = 0, c = 0;
    char *digest = NULL;
    cr_assert_eq(casescribe_record_head(&v, &c, &digest, home.ctx, record), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    cr_expect_eq(v, version, "head version %u, expected %u", v, version);
    cr_expect_eq(c, confirmed, "confirmed version %u, expected %u", c, confirmed);
    cr_expect(digest != NULL && strncmp(digest, "sha256:", 7) == 0);
    casescribe_free(digest);
}

static void expect_error_mentions(const char *what)
{
    cr_expect(strstr(casescribe_last_error(), what) != NULL, "error '%s' should mention '%s'",
              casescribe_last_error(), what);
}

/* v1 saved and confirmed; v2 saved, the host's commit fails (no confirm). */
static void confirmed_then_lost(char **v1, char **v2)
{
    char *xml = form_make(&(form_parts){0});
    cr_assert_eq(save_as(home.ctx, xml, v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(confirm(*v1), CASESCRIBE_OK, "confirm v1: %s", casescribe_last_error());
    char *edit = replace_once(*v1, "My own analysis", "My revised analysis");
    cr_assert_eq(save_as(home.ctx, edit, v2), CASESCRIBE_OK, "%s", casescribe_last_error());
    expect_head("R-1", 2, 1);
    free(edit);
    free(xml);
}

static void expect_report(const char *stamped, const char *what)
{
    char *report = NULL;
    cr_expect_eq(casescribe_verify(&report, home.ctx, "xml", (const uint8_t *)stamped, strlen(stamped)),
                 CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect(report != NULL && strstr(report, what) != NULL, "report should say '%s':\n%s", what,
              report != NULL ? report : "(none)");
    casescribe_free(report);
}

Test(two_phase, a_failed_host_commit_is_superseded_by_the_next_save_from_the_confirmed_version)
{
    char *v1 = NULL, *v2 = NULL, *v3 = NULL;
    confirmed_then_lost(&v1, &v2);
    /* The host still holds v1: the worker edits it again. */
    char *again = replace_once(v1, "My own analysis", "My analysis, written again");
    cr_assert_eq(save_as(home.ctx, again, &v3), CASESCRIBE_OK, "from v1: %s", casescribe_last_error());
    cr_expect_eq(version_of(v3), 3, "the abandoned number 2 is never used again");
    cr_expect(strstr(v3, "previous=\"") != NULL);
    uint64_t at = 0;
    cr_expect_eq(count_kind("abandoned", &at), 1, "one abandoned entry");
    casescribe_journal_entry *e = NULL;
    cr_assert_eq(casescribe_journal_entry_get(&e, home.ctx, at), CASESCRIBE_OK);
    cr_expect_str_eq(casescribe_journal_entry_record_id(e), "R-1");
    cr_expect_eq(casescribe_journal_entry_record_version(e), 2);
    cr_expect_str_eq(casescribe_journal_entry_actor_id(e), "sw-017");
    cr_expect_not_null(casescribe_journal_entry_time(e));
    casescribe_journal_entry_free(e);
    cr_assert_eq(casescribe_journal_entry_get(&e, home.ctx, at + 1), CASESCRIBE_OK);
    cr_expect_str_eq(casescribe_journal_entry_kind(e), "save", "the superseding save follows in the same commit");
    cr_expect_eq(casescribe_journal_entry_record_version(e), 3);
    casescribe_journal_entry_free(e);
    expect_head("R-1", 3, 1);
    /* The abandoned copy: verify says so; it cannot be confirmed nor edited. */
    expect_report(v2, "Abandoned version");
    expect_report(v3, "VERIFIED");
    cr_expect_eq(confirm(v2), CASESCRIBE_ECONFLICT);
    expect_error_mentions("abandoned");
    char *from_v2 = replace_once(v2, "My revised analysis", "More on the abandoned copy");
    cr_expect_eq(save_as(home.ctx, from_v2, NULL), CASESCRIBE_ECONFLICT, "a save following an abandoned version");
    expect_error_mentions("abandoned");
    /* v3 committed by the host: confirmed; the chain goes on from it. */
    cr_expect_eq(confirm(v3), CASESCRIBE_OK, "%s", casescribe_last_error());
    expect_head("R-1", 3, 3);
    char *v4 = NULL, *edit = replace_once(v3, "My analysis, written again", "Fourth");
    cr_expect_eq(save_as(home.ctx, edit, &v4), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(v4 != NULL ? version_of(v4) : 0, 4);
    cr_expect_eq(save_as(home.ctx, again, NULL), CASESCRIBE_ECONFLICT, "v1 is no longer the confirmed version");
    free(edit);
    free(from_v2);
    free(again);
    casescribe_free(v1);
    casescribe_free(v2);
    casescribe_free(v3);
    casescribe_free(v4);
}

Test(two_phase, the_same_save_sent_again_after_the_host_lost_it_supersedes_too)
{
    char *v1 = NULL, *v2 = NULL, *v3 = NULL;
    confirmed_then_lost(&v1, &v2);
    char *edit = replace_once(v1, "My own analysis", "My revised analysis");
    cr_assert_eq(save_as(home.ctx, edit, &v3), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(version_of(v3), 3);
    cr_expect_eq(count_kind("abandoned", NULL), 1);
    free(edit);
    casescribe_free(v1);
    casescribe_free(v2);
    casescribe_free(v3);
}

Test(two_phase, the_failed_commit_path_holds_after_a_key_rotation)
{
    char *v1 = NULL, *v2 = NULL, *v3 = NULL;
    confirmed_then_lost(&v1, &v2);
    char *new_key = NULL;
    cr_assert_eq(casescribe_keygen(&new_key, home.ctx, CASESCRIBE_KEYGEN_ROTATE), CASESCRIBE_OK);
    char *edit = replace_once(v1, "My own analysis", "My revised analysis");
    cr_assert_eq(save_as(home.ctx, edit, &v3), CASESCRIBE_OK, "after rotation: %s", casescribe_last_error());
    casescribe_record *r = NULL;
    cr_assert_eq(casescribe_record_open(&r, "xml", (const uint8_t *)v3, strlen(v3)), CASESCRIBE_OK);
    cr_expect_eq(casescribe_record_version(r), 3);
    cr_expect_str_eq(casescribe_record_key_id(r), new_key, "v3 is signed with the new key");
    casescribe_record_free(r);
    cr_expect_eq(count_kind("abandoned", NULL), 1);
    expect_report(v2, "Abandoned version");
    expect_report(v1, "VERIFIED");
    cr_expect_eq(confirm(v3), CASESCRIBE_OK, "%s", casescribe_last_error());
    expect_head("R-1", 3, 3);
    free(edit);
    casescribe_free(new_key);
    casescribe_free(v1);
    casescribe_free(v2);
    casescribe_free(v3);
}

Test(two_phase, a_first_version_never_confirmed_does_not_strand_the_record_id)
{
    char *v1 = NULL, *v2 = NULL;
    char *xml = form_make(&(form_parts){0});
    cr_assert_eq(save_as(home.ctx, xml, &v1), CASESCRIBE_OK);
    /* The host's insert failed; the worker types the form again. */
    char *retyped = replace_once(xml, "My own analysis", "My own analysis, typed again");
    cr_assert_eq(save_as(home.ctx, retyped, &v2), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(version_of(v2), 2);
    cr_expect(strstr(v2, "previous=\"") == NULL, "it follows no version");
    cr_expect_eq(count_kind("abandoned", NULL), 1);
    expect_report(v1, "Abandoned version");
    expect_head("R-1", 2, 0);
    free(xml);
    free(retyped);
    casescribe_free(v1);
    casescribe_free(v2);
}

Test(two_phase, saves_on_an_unconfirmed_head_chain_as_before_and_one_confirm_covers_them)
{
    char *v1 = NULL, *v2 = NULL;
    char *xml = form_make(&(form_parts){0});
    cr_assert_eq(save_as(home.ctx, xml, &v1), CASESCRIBE_OK);
    char *edit = replace_once(v1, "My own analysis", "My revised analysis");
    cr_assert_eq(save_as(home.ctx, edit, &v2), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(version_of(v2), 2);
    cr_expect_eq(count_kind("abandoned", NULL), 0);
    cr_expect_eq(confirm(v2), CASESCRIBE_OK);
    cr_expect_eq(confirm(v1), CASESCRIBE_OK, "an earlier version is covered already");
    cr_expect_eq(confirm(v2), CASESCRIBE_OK, "confirming twice is harmless");
    cr_expect_eq(count_kind("confirm", NULL), 1, "only the first confirmation is journalled");
    expect_head("R-1", 2, 2);
    free(xml);
    free(edit);
    casescribe_free(v1);
    casescribe_free(v2);
}

Test(two_phase, confirm_refuses_what_this_home_does_not_hold)
{
    char *unstamped = form_make(&(form_parts){0});
    cr_expect_eq(confirm(unstamped), CASESCRIBE_EUNSTAMPED);
    cr_expect_eq(casescribe_save_confirm(NULL, "xml", (const uint8_t *)"x", 1), CASESCRIBE_EINVAL);
    cr_expect_eq(casescribe_save_confirm(home.ctx, "xml", NULL, 0), CASESCRIBE_EINVAL);
    cr_expect_eq(casescribe_record_head(NULL, NULL, NULL, home.ctx, "R-unknown"), CASESCRIBE_ENOTFOUND);
    cr_expect_eq(casescribe_record_head(NULL, NULL, NULL, home.ctx, ""), CASESCRIBE_EINVAL);
    /* A second home with the same keys and its own ledger: the same record
     * id saved there with other content. */
    char *v1 = NULL, *other = NULL;
    cr_assert_eq(save_as(home.ctx, unstamped, &v1), CASESCRIBE_OK);
    test_home twin;
    snprintf(twin.path, sizeof(twin.path), "/tmp/cs-test-XXXXXX");
    cr_assert_not_null(mkdtemp(twin.path));
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "cp -a '%s/keys' '%s/' && cp -a '%s/policy' '%s/'", home.path, twin.path, home.path,
             twin.path);
    cr_assert_eq(system(cmd), 0);
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = twin.path;
    opts.flags = CASESCRIBE_OPEN_NO_SYNC | CASESCRIBE_OPEN_TWO_PHASE;
    cr_assert_eq(casescribe_ctx_open(&twin.ctx, &opts), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(casescribe_save_confirm(twin.ctx, "xml", (const uint8_t *)v1, strlen(v1)), CASESCRIBE_ENOTFOUND,
                 "a record the twin never saw");
    char *changed = replace_once(unstamped, "My own analysis", "Another analysis");
    cr_assert_eq(save_as(twin.ctx, changed, &other), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(casescribe_save_confirm(twin.ctx, "xml", (const uint8_t *)v1, strlen(v1)), CASESCRIBE_ENOTFOUND,
                 "version 1 under another digest");
    cr_expect_eq(confirm(other), CASESCRIBE_ENOTFOUND, "and the other way round");
    home_close(&twin);
    free(changed);
    free(unstamped);
    casescribe_free(v1);
    casescribe_free(other);
}

Test(one_phase, without_two_phase_mode_a_copy_of_the_confirmed_version_is_a_conflict)
{
    char *v1 = NULL, *v2 = NULL;
    confirmed_then_lost(&v1, &v2);
    char *again = replace_once(v1, "My own analysis", "My analysis, written again");
    cr_expect_eq(save_as(home.ctx, again, NULL), CASESCRIBE_ECONFLICT);
    cr_expect_eq(count_kind("abandoned", NULL), 0);
    cr_expect_eq(count_kind("confirm", NULL), 1, "confirmations are recorded in either mode");
    expect_head("R-1", 2, 1);
    /* A first save never confirmed: a new form under its id conflicts too. */
    char *xml = form_make(&(form_parts){.id = "R-2"});
    char *retyped = replace_once(xml, "My own analysis", "Typed again");
    cr_assert_eq(save_as(home.ctx, xml, NULL), CASESCRIBE_OK);
    cr_expect_eq(save_as(home.ctx, retyped, NULL), CASESCRIBE_ECONFLICT);
    free(xml);
    free(retyped);
    free(again);
    casescribe_free(v1);
    casescribe_free(v2);
}

/* A ledger written by the first store (schema 1: heads without the
 * confirmed columns, no abandoned table) is upgraded when opened. */
Test(one_phase, a_schema_1_ledger_is_upgraded_on_open)
{
    char *v1 = NULL, *v2 = NULL, *path = NULL, *xml = form_make(&(form_parts){0});
    cr_assert_eq(save_as(home.ctx, xml, &v1), CASESCRIBE_OK);
    free(xml);
    casescribe_ctx_close(home.ctx);
    home.ctx = NULL;
    cr_assert(asprintf(&path, "%s/ledger.db", home.path) > 0);
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    char *err = NULL;
    int rc = sqlite3_exec(db,
                          "ALTER TABLE heads DROP COLUMN confirmed; ALTER TABLE heads DROP COLUMN confirmed_digest;"
                          "DROP TABLE abandoned; UPDATE meta SET value = '1' WHERE name = 'schema';",
                          NULL, NULL, &err);
    cr_assert_eq(rc, SQLITE_OK, "%s", err ? err : "");
    sqlite3_close(db);
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = home.path;
    opts.flags = CASESCRIBE_OPEN_NO_SYNC | CASESCRIBE_OPEN_TWO_PHASE;
    cr_assert_eq(casescribe_ctx_open(&home.ctx, &opts), CASESCRIBE_OK, "%s", casescribe_last_error());
    expect_head("R-1", 1, 0);
    cr_expect_eq(confirm(v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *edit = replace_once(v1, "My own analysis", "Revised");
    cr_expect_eq(save_as(home.ctx, edit, &v2), CASESCRIBE_OK, "%s", casescribe_last_error());
    expect_head("R-1", 2, 1);
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE name = 'schema'", -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_expect_str_eq((const char *)sqlite3_column_text(st, 0), "2");
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(edit);
    free(path);
    casescribe_free(v1);
    casescribe_free(v2);
}
