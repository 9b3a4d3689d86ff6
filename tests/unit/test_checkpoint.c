/* SPDX-License-Identifier: Apache-2.0 */
/* test_checkpoint.c - tamper evidence beyond the home: the signed
 * checkpoint written with every commit, the ledger position every stamp
 * carries, casescribe_journal_check against both, the damage battery (the
 * store deleted, truncated at every boundary, its last entry forged, the
 * whole ledger re-chained, the store file swapped for another home's), each
 * caught given one checkpoint or record from after the damage, and the
 * clock rule. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "internal.h"

static test_home home;

static void setup(void)
{
    home_open(&home, CASESCRIBE_OPEN_CREATE);
}

static void teardown(void)
{
    home_close(&home);
}

TestSuite(checkpoint, .init = setup, .fini = teardown, .timeout = 60);

static char *save_record(const char *id)
{
    form_parts parts = {.id = id};
    char *xml = form_make(&parts), *out = NULL;
    int32_t rc = save_as(home.ctx, xml, &out);
    cr_assert_eq(rc, CASESCRIBE_OK, "save %s: %s", id, casescribe_last_error());
    free(xml);
    return out;
}

static char *export_checkpoint(void)
{
    char *text = NULL;
    cr_assert_eq(casescribe_checkpoint_export(&text, home.ctx), CASESCRIBE_OK, "%s", casescribe_last_error());
    return text;
}

static int32_t check(const char *evidence)
{
    char *report = NULL;
    int32_t rc = casescribe_journal_check(&report, home.ctx, NULL, (const uint8_t *)evidence, strlen(evidence));
    cr_assert_not_null(report);
    cr_log_info("%s", report);
    casescribe_free(report);
    return rc;
}

static uint64_t verify_chain(void)
{
    uint64_t n = 0;
    cr_assert_eq(casescribe_journal_verify(&n, NULL, home.ctx), CASESCRIBE_OK, "%s", casescribe_last_error());
    return n;
}

static void reopen(void)
{
    casescribe_ctx_close(home.ctx);
    casescribe_ctx_options opts;
    cr_assert_eq(casescribe_ctx_options_init(&opts, sizeof(opts)), CASESCRIBE_OK);
    opts.home = home.path;
    opts.flags = CASESCRIBE_OPEN_NO_SYNC;
    cr_assert_eq(casescribe_ctx_open(&home.ctx, &opts), CASESCRIBE_OK, "%s", casescribe_last_error());
}

/* Runs SQL on the home's ledger file, as someone editing it would. */
static void tamper(const char *sql)
{
    char path[300];
    sqlite3 *db = NULL;
    char *err = NULL;
    snprintf(path, sizeof(path), "%s/ledger.db", home.path);
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &err), SQLITE_OK, "%s", err ? err : "");
    sqlite3_close(db);
}

/* The hex SHA-256 of text; and a SQL function for re-chaining. */
static void sha256_hex(char out[65], const char *text, size_t len)
{
    unsigned char md[32];
    cr_assert_eq(EVP_Digest(text, len, md, NULL, EVP_sha256(), NULL), 1);
    cs_hex(out, md, 32);
}

/* Rewrites entry seq's payload (replacing `from` by `to`) with a hash to
 * match, and, with rechain, every later entry's prev and hash: a careful
 * forger with write access to the store. */
static void forge(uint64_t seq, const char *from, const char *to, int rechain)
{
    char path[300], sql[128], prev[65] = "";
    sqlite3 *db = NULL;
    snprintf(path, sizeof(path), "%s/ledger.db", home.path);
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    for (uint64_t s = seq;; s++) {
        sqlite3_stmt *st = NULL;
        snprintf(sql, sizeof(sql), "SELECT payload FROM ledger WHERE seq = %llu", (unsigned long long)s);
        cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        if (sqlite3_step(st) != SQLITE_ROW) {
            sqlite3_finalize(st);
            break;
        }
        char *payload = strdup((const char *)sqlite3_column_text(st, 0)), *next = NULL, hash[65];
        sqlite3_finalize(st);
        if (s == seq) {
            next = replace_once(payload, from, to);
        } else { /* "prev":"<64 hex>" */
            char *p = strstr(payload, "\"prev\":\"");
            cr_assert_not_null(p);
            memcpy(p + 8, prev, 64);
            next = strdup(payload);
        }
        sha256_hex(hash, next, strlen(next));
        char *up = sqlite3_mprintf("UPDATE ledger SET payload = %Q, hash = %Q WHERE seq = %llu", next, hash,
                                   (unsigned long long)s);
        cr_assert_eq(sqlite3_exec(db, up, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_free(up);
        memcpy(prev, hash, sizeof(prev));
        free(payload);
        free(next);
        if (!rechain)
            break;
    }
    sqlite3_close(db);
}

Test(checkpoint, written_with_every_commit)
{
    char *v1 = save_record("R-1");
    char *cp1 = export_checkpoint();
    uint64_t n = verify_chain();
    char want[64];
    snprintf(want, sizeof(want), "\n%llu\n", (unsigned long long)n);
    cr_expect(strncmp(cp1, "casescribe/", 11) == 0, "origin line: %s", cp1);
    cr_expect_not_null(strstr(cp1, want), "size line %llu: %s", (unsigned long long)n, cp1);
    cr_expect_not_null(strstr(cp1, "\n\n\xe2\x80\x94 casescribe/"), "signature line: %s", cp1);
    char *v2 = save_record("R-2");
    char *cp2 = export_checkpoint();
    snprintf(want, sizeof(want), "\n%llu\n", (unsigned long long)(n + 1));
    cr_expect_not_null(strstr(cp2, want), "the next save wrote the next checkpoint: %s", cp2);
    cr_expect_eq(check(cp1), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(check(cp2), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(check(v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(check(v2), CASESCRIBE_OK, "%s", casescribe_last_error());
    free(v1);
    free(v2);
    free(cp1);
    free(cp2);
}

Test(checkpoint, stamp_names_its_ledger_entry)
{
    uint64_t before = verify_chain();
    char *v1 = save_record("R-1");
    char want[40];
    snprintf(want, sizeof(want), "ledger-seq=\"%llu\"", (unsigned long long)(before + 1));
    cr_expect_not_null(strstr(v1, want), "%s in %s", want, v1);
    cr_expect_not_null(strstr(v1, "ledger-prev=\""), "the hash of the entry before");
    /* The position is signed: changing it breaks the stamp. */
    char *moved = replace_once(v1, want, "ledger-seq=\"1\"");
    char *report = NULL;
    cr_expect_eq(casescribe_verify(&report, home.ctx, "xml", (const uint8_t *)moved, strlen(moved)),
                 CASESCRIBE_EVERIFY);
    cr_expect_eq(check(moved), CASESCRIBE_EVERIFY, "a record whose stamp does not verify is no evidence");
    casescribe_free(report);
    free(moved);
    free(v1);
}

Test(checkpoint, bad_signature_refused)
{
    free(save_record("R-1"));
    char *cp = export_checkpoint();
    char *size = strchr(cp, '\n') + 1, *end = strchr(size, '\n');
    char forged[4096];
    snprintf(forged, sizeof(forged), "%.*s999%s", (int)(size - cp), cp, end); /* the size line changed */
    cr_expect_eq(check(forged), CASESCRIBE_EVERIFY, "a checkpoint with another size but the same signature");
    cr_expect_neq(check("casescribe/x\nnot a checkpoint\n"), CASESCRIBE_OK);
    free(cp);
}

Test(checkpoint, store_deleted)
{
    char *v1 = save_record("R-1");
    char *cp = export_checkpoint();
    casescribe_ctx_close(home.ctx);
    home.ctx = NULL;
    const char *files[] = {"ledger.db", "ledger.db-wal", "ledger.db-shm"};
    for (size_t i = 0; i < 3; i++) {
        char path[300];
        snprintf(path, sizeof(path), "%s/%s", home.path, files[i]);
        unlink(path);
    }
    reopen();
    cr_expect_eq(verify_chain(), 1, "the recreated ledger holds only the home's key, registered again, and its "
                                    "chain checks out");
    cr_expect_eq(check(cp), CASESCRIBE_EJOURNAL, "the checkpoint catches the deletion");
    cr_expect_eq(check(v1), CASESCRIBE_EJOURNAL, "the record catches the deletion");
    free(v1);
    free(cp);
}

Test(checkpoint, truncated_at_every_boundary)
{
    uint64_t first = verify_chain() + 1;
    char *records[3] = {save_record("R-1"), save_record("R-2"), save_record("R-3")};
    char *cp = export_checkpoint();
    uint64_t last = verify_chain();
    for (uint64_t cut = last; cut >= 1; cut--) {
        char sql[80];
        snprintf(sql, sizeof(sql), "DELETE FROM ledger WHERE seq >= %llu", (unsigned long long)cut);
        tamper(sql);
        cr_expect_eq(verify_chain(), cut - 1, "the shorter chain still checks out by itself");
        cr_expect_eq(check(cp), CASESCRIBE_EJOURNAL, "the checkpoint catches the cut at %llu",
                     (unsigned long long)cut);
        for (uint64_t k = 0; k < 3; k++)
            if (first + k >= cut)
                cr_expect_eq(check(records[k]), CASESCRIBE_EJOURNAL, "record %llu catches the cut at %llu",
                             (unsigned long long)k, (unsigned long long)cut);
    }
    for (int k = 0; k < 3; k++)
        free(records[k]);
    free(cp);
}

Test(checkpoint, last_entry_forged)
{
    free(save_record("R-1"));
    char *v2 = save_record("R-2");
    char *cp = export_checkpoint();
    uint64_t last = verify_chain();
    forge(last, "\"actor\":\"sw-017\"", "\"actor\":\"sw-999\"", 0);
    cr_expect_eq(verify_chain(), last, "the forged entry's bytes and hash agree: the chain alone passes");
    cr_expect_eq(check(cp), CASESCRIBE_EJOURNAL, "the checkpoint catches the forged last entry");
    free(v2);
    free(cp);
}

Test(checkpoint, forged_save_entry_caught_by_its_record)
{
    char *v1 = save_record("R-1");
    uint64_t last = verify_chain();
    forge(last, "\"version\":1", "\"version\":7", 0);
    cr_expect_eq(check(v1), CASESCRIBE_EJOURNAL, "the record's own entry was rewritten");
    free(v1);
}

Test(checkpoint, rechained)
{
    char *v1 = save_record("R-1");
    char *v2 = save_record("R-2");
    char *v3 = save_record("R-3");
    char *cp = export_checkpoint();
    uint64_t last = verify_chain();
    /* Entry 2 (R-1's save) rewritten, and every entry after it chained anew. */
    forge(last - 2, "\"actor\":\"sw-017\"", "\"actor\":\"sw-999\"", 1);
    cr_expect_eq(verify_chain(), last, "a re-chained ledger passes the chain check alone");
    cr_expect_eq(check(cp), CASESCRIBE_EJOURNAL, "the checkpoint catches the re-chained ledger");
    cr_expect_eq(check(v2), CASESCRIBE_EJOURNAL, "a record saved after the damage catches it");
    cr_expect_eq(check(v3), CASESCRIBE_EJOURNAL, "so does the latest record");
    free(v1);
    free(v2);
    free(v3);
    free(cp);
}

Test(checkpoint, store_swapped_for_another_homes)
{
    char *v1 = save_record("R-1");
    char *cp = export_checkpoint();
    test_home other;
    test_home mine = home;
    home_open(&other, CASESCRIBE_OPEN_CREATE);
    home = other;
    /* The other home shares this one's fingerprint secret: with its own,
     * the swapped store is refused at open already (its fingerprints were
     * made with another secret: the key registry's own check), and this
     * test is about what the checkpoint and the record catch. */
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "cp %s/keys/fingerprint.secret %s/keys/fingerprint.secret", mine.path, other.path);
    cr_assert_eq(system(cmd), 0);
    reopen();
    other = home;
    free(save_record("R-1")); /* the same record id and count: only the origin and hashes differ */
    home = mine;
    casescribe_ctx_close(other.ctx);
    other.ctx = NULL;
    casescribe_ctx_close(home.ctx);
    home.ctx = NULL;
    snprintf(cmd, sizeof(cmd), "cp %s/ledger.db %s/ledger.db && rm -f %s/ledger.db-wal %s/ledger.db-shm", other.path,
             home.path, home.path, home.path);
    cr_assert_eq(system(cmd), 0);
    reopen();
    cr_expect_eq(check(cp), CASESCRIBE_EJOURNAL, "the checkpoint names another ledger");
    cr_expect_eq(check(v1), CASESCRIBE_EJOURNAL, "the record's entry is not in this ledger");
    home_close(&other);
    free(v1);
    free(cp);
}

Test(checkpoint, store_swapped_for_one_made_with_another_secret_is_refused_at_open)
{
    free(save_record("R-1"));
    test_home other, mine = home;
    home_open(&other, CASESCRIBE_OPEN_CREATE);
    home = other;
    free(save_record("R-1"));
    home = mine;
    casescribe_ctx_close(other.ctx);
    other.ctx = NULL;
    casescribe_ctx_close(home.ctx);
    home.ctx = NULL;
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "cp %s/ledger.db %s/ledger.db && rm -f %s/ledger.db-wal %s/ledger.db-shm", other.path,
             home.path, home.path, home.path);
    cr_assert_eq(system(cmd), 0);
    casescribe_ctx_options opts;
    cr_assert_eq(casescribe_ctx_options_init(&opts, sizeof(opts)), CASESCRIBE_OK);
    opts.home = home.path;
    opts.flags = CASESCRIBE_OPEN_NO_SYNC;
    cr_expect_eq(casescribe_ctx_open(&home.ctx, &opts), CASESCRIBE_EKEY, "a store whose fingerprints were made with "
                                                                          "another secret is refused");
    cr_expect_not_null(strstr(casescribe_last_error(), "fingerprint"), "%s", casescribe_last_error());
    home_close(&other);
}

Test(checkpoint, clock_back_before_previous_version)
{
    char *v1 = save_record("R-1");
    /* Version 1 was stamped a year ahead (the host's clock was wrong then). */
    tamper("UPDATE heads SET time = '2099-01-01T00:00:00Z' WHERE record = 'R-1'");
    char *v2 = NULL;
    cr_expect_eq(save_as(home.ctx, v1, &v2), CASESCRIBE_ECONFLICT);
    const char *msg = casescribe_last_error();
    cr_expect_not_null(strstr(msg, "2099-01-01T00:00:00Z"), "names the earlier stamp's time: %s", msg);
    cr_expect_not_null(strstr(msg, "clock says 20"), "names this save's time: %s", msg);
    free(v2);
    free(v1);
}

Test(checkpoint, clock_back_before_last_checkpoint)
{
    free(save_record("R-1"));
    char sql[120];
    snprintf(sql, sizeof(sql), "UPDATE checkpoints SET time = %lld", (long long)time(NULL) + 3600);
    tamper(sql);
    form_parts parts = {.id = "R-2"};
    char *xml = form_make(&parts);
    cr_expect_eq(save_as(home.ctx, xml, NULL), CASESCRIBE_ECONFLICT, "an hour behind the ledger");
    cr_expect_not_null(strstr(casescribe_last_error(), "last checkpoint"), "%s", casescribe_last_error());
    /* Within CASESCRIBE_CLOCK_SKEW is fine. */
    snprintf(sql, sizeof(sql), "UPDATE checkpoints SET time = %lld",
             (long long)time(NULL) + CASESCRIBE_CLOCK_SKEW - 60);
    tamper(sql);
    cr_expect_eq(save_as(home.ctx, xml, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
    free(xml);
}

/* ---- a subject access export carries the ledger's checkpoint ----------------- */

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    static uint8_t buf[1 << 20];
    *len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    return buf;
}

static int32_t check_bytes(const uint8_t *evidence, size_t len, char **report)
{
    int32_t rc = casescribe_journal_check(report, home.ctx, NULL, evidence, len);
    cr_assert_not_null(*report);
    return rc;
}

Test(checkpoint, a_subject_access_export_from_before_a_truncation_proves_it)
{
    char *v1 = save_record("R-1");
    free(save_record("R-2"));
    uint64_t size = verify_chain();
    char zip[400];
    snprintf(zip, sizeof(zip), "%s/export.zip", home.path);
    casescribe_sar_options o;
    cr_assert_eq(casescribe_sar_options_init(&o, sizeof(o)), CASESCRIBE_OK);
    o.subject_id = "P-2";
    o.output_path = zip;
    casescribe_sar *sar = NULL;
    cr_assert_eq(casescribe_sar_open(&sar, home.ctx, &o), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(casescribe_sar_add(sar, "xml", (const uint8_t *)v1, strlen(v1)), CASESCRIBE_OK);
    cr_assert_eq(casescribe_sar_finish(NULL, sar), CASESCRIBE_OK, "%s", casescribe_last_error());
    casescribe_sar_free(sar);
    /* The manifest holds the ledger's latest checkpoint, sealed with it. */
    char *pem = NULL, *report = NULL;
    cr_assert_eq(casescribe_public_key(&pem, home.ctx), CASESCRIBE_OK);
    cr_assert_eq(casescribe_sar_verify(&report, zip, (const uint8_t *)pem, strlen(pem)), CASESCRIBE_OK, "%s", report);
    char want[80];
    snprintf(want, sizeof(want), " had %llu entries when this was exported", (unsigned long long)size);
    cr_expect(strstr(report, "checkpoint: the council's ledger casescribe/") != NULL && strstr(report, want) != NULL,
              "%s", report);
    casescribe_free(report);
    size_t len = 0;
    const uint8_t *bytes = read_all(zip, &len);
    cr_expect_eq(check_bytes(bytes, len, &report), CASESCRIBE_OK, "%s", report);
    cr_expect(strstr(report, "subject access export: checkpoint casescribe/") != NULL, "%s", report);
    casescribe_free(report);
    /* An older backup put back: the last entry cut. The chain alone checks
     * out; the export, kept by the person or the council, does not. */
    char sql[80];
    snprintf(sql, sizeof(sql), "DELETE FROM ledger WHERE seq >= %llu", (unsigned long long)size);
    tamper(sql);
    cr_expect_eq(verify_chain(), size - 1);
    cr_expect_eq(check_bytes(bytes, len, &report), CASESCRIBE_EJOURNAL, "%s", report);
    casescribe_free(report);
    /* Offline, its manifest.xml alone carries the same proof. */
    char cmd[900], manifest[400];
    snprintf(manifest, sizeof(manifest), "%s/manifest.xml", home.path);
    snprintf(cmd, sizeof(cmd), "cd %s && python3 -c \"import zipfile; open('manifest.xml','wb').write("
             "zipfile.ZipFile('export.zip').read('manifest.xml'))\"", home.path);
    cr_assert_eq(system(cmd), 0);
    bytes = read_all(manifest, &len);
    cr_expect_eq(check_bytes(bytes, len, &report), CASESCRIBE_EJOURNAL, "%s", report);
    casescribe_free(report);
    /* A manifest without a checkpoint (an export from before 1.7) proves nothing. */
    char *m = calloc(1, len + 1), *c = NULL;
    memcpy(m, bytes, len);
    cr_assert_not_null(c = strstr(m, "<checkpoint>"));
    char *e = strstr(c, "</checkpoint>\n");
    memmove(c, e + 14, strlen(e + 14) + 1);
    cr_expect_eq(check_bytes((const uint8_t *)m, strlen(m), &report), CASESCRIBE_ENOTFOUND, "%s", report);
    casescribe_free(report);
    free(m);
    casescribe_free(pem);
    free(v1);
}
