/* SPDX-License-Identifier: Apache-2.0 */
/* test_journal.c - the ledger kept by the store (plugin/src/store): the
 * hash chain, entries by seq, verify catching changed, removed and
 * re-chained entries in the database, the head compare-and-set, the
 * laundering index as queries, writers in threads and processes, the
 * import of an old journal.log, and the schema-version refusal. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "internal.h"
#include "store/backend.h"
#include "store/store.h"

static char dir[64], db_path[128];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/cs-ledger-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(db_path, sizeof(db_path), "%s/ledger.db", dir);
}

static void teardown(void)
{
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *de;
        char name[512];
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            snprintf(name, sizeof(name), "%s/%s", dir, de->d_name);
            chmod(name, 0600);
            unlink(name);
        }
        closedir(d);
    }
    rmdir(dir);
}

TestSuite(journal, .init = setup, .fini = teardown, .timeout = 60);

static cs_store *open_store(void)
{
    cs_store *st = NULL;
    cr_assert_eq(cs_store_open(&st, dir, CS_STORE_NO_SYNC), CASESCRIBE_OK, "%s", casescribe_last_error());
    return st;
}

static json_t *note(const char *tag, int i)
{
    return json_pack("{s:s, s:s, s:i}", "kind", "note", "tag", tag, "i", i);
}

static json_t *save_entry(const char *record, int version, const char *fp)
{
    json_t *e = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:[]}", "kind", "save", "record", record,
                          "version", version, "digest", "sha256:d", "form", "sha256:f", "actor", "sw-1", "team",
                          "cin", "time", "2025-01-01T00:00:00Z", "key", "k1", "ai");
    if (fp != NULL)
        json_array_append_new(json_object_get(e, "ai"), json_pack("{s:s, s:s}", "section", "summary", "fp", fp));
    return e;
}

/* Appends entries in one committed write transaction. */
static int32_t append_all(cs_store *st, json_t **entries, int n)
{
    cs_store_txn *tx = NULL;
    int32_t rc = cs_store_begin(st, CS_STORE_WRITE, &tx);
    for (int i = 0; rc == CASESCRIBE_OK && i < n; i++)
        rc = cs_store_append(tx, entries[i], NULL, NULL);
    if (rc != CASESCRIBE_OK) {
        cs_store_rollback(tx);
        return rc;
    }
    return cs_store_commit(tx);
}

static int32_t append_one(cs_store *st, json_t *e)
{
    int32_t rc = append_all(st, &e, 1);
    json_decref(e);
    return rc;
}

static void sha256_hex_of(char out[65], const void *data, size_t len)
{
    unsigned char md[32];
    cr_assert_eq(EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL), 1);
    cs_hex(out, md, 32);
}

/* Runs SQL on the ledger file directly, as someone editing it would. */
static void tamper(const char *sql)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    char *err = NULL;
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &err), SQLITE_OK, "%s", err ? err : "");
    sqlite3_close(db);
}

static uint64_t count_of(cs_store *st)
{
    uint64_t n = 0;
    char hash[CS_STORE_HASH_LEN];
    cs_store_txn *tx = NULL;
    cr_assert_eq(cs_store_begin(st, CS_STORE_READ, &tx), CASESCRIBE_OK);
    cr_assert_eq(cs_store_ledger_tail(tx, &n, hash), CASESCRIBE_OK);
    cs_store_rollback(tx);
    return n;
}

struct chain {
    uint64_t seen;
    char prev[65];
};

static int check_link(uint64_t seq, const char *payload, size_t len, const char *stored, void *user)
{
    struct chain *c = user;
    json_t *e = json_loadb(payload, len, 0, NULL);
    cr_assert_not_null(e);
    cr_expect_eq(json_integer_value(json_object_get(e, "seq")), (json_int_t)seq);
    cr_expect_str_eq(json_string_value(json_object_get(e, "prev")), c->prev, "entry %llu", (unsigned long long)seq);
    char *again = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
    cr_expect(strlen(again) == len && memcmp(again, payload, len) == 0, "payload is compact JSON, keys sorted");
    free(again);
    json_decref(e);
    sha256_hex_of(c->prev, payload, len);
    cr_expect_str_eq(stored, c->prev);
    c->seen = seq;
    return 0;
}

Test(journal, entries_are_chained_by_the_hash_of_the_previous_payload)
{
    cs_store *st = open_store();
    json_t *e[3] = {note("a", 1), note("b", 2), note("c", 3)};
    cr_assert_eq(append_all(st, e, 3), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(json_integer_value(json_object_get(e[2], "seq")), 3, "seq is set in the caller's entry");
    for (int i = 0; i < 3; i++)
        json_decref(e[i]);
    cs_store_close(st);
    st = open_store(); /* what was committed is there after reopening */
    struct chain c = {0, ""};
    cs_store_txn *tx = NULL;
    cr_assert_eq(cs_store_begin(st, CS_STORE_READ, &tx), CASESCRIBE_OK);
    cr_assert_eq(cs_store_walk(tx, 1, check_link, &c), CASESCRIBE_OK);
    cs_store_rollback(tx);
    cr_expect_eq(c.seen, 3);
    uint64_t n = 0;
    cr_expect_eq(cs_store_verify(st, &n), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(n, 3);
    struct stat sb;
    cr_assert_eq(stat(db_path, &sb), 0);
    cr_expect_eq(sb.st_mode & 0777, 0600, "the ledger is private to its owner");
    cs_store_close(st);
}

Test(journal, entries_are_read_by_seq_and_a_missing_seq_is_not_found)
{
    cs_store *st = open_store();
    json_t *e[2] = {note("a", 1), note("b", 2)};
    cr_assert_eq(append_all(st, e, 2), CASESCRIBE_OK);
    json_decref(e[0]);
    json_decref(e[1]);
    cs_store_txn *tx = NULL;
    json_t *got = NULL;
    cr_assert_eq(cs_store_begin(st, CS_STORE_READ, &tx), CASESCRIBE_OK);
    cr_assert_eq(cs_store_entry(tx, 2, &got), CASESCRIBE_OK);
    cr_expect_str_eq(json_string_value(json_object_get(got, "tag")), "b");
    json_decref(got);
    cr_expect_eq(cs_store_entry(tx, 3, &got), CASESCRIBE_ENOTFOUND);
    cr_expect_null(got);
    cs_store_rollback(tx);
    cs_store_close(st);
}

Test(journal, a_rolled_back_transaction_leaves_nothing)
{
    cs_store *st = open_store();
    cs_store_txn *tx = NULL;
    json_t *e = save_entry("R-1", 1, NULL);
    cr_assert_eq(cs_store_begin(st, CS_STORE_WRITE, &tx), CASESCRIBE_OK);
    cr_assert_eq(cs_store_append(tx, e, NULL, NULL), CASESCRIBE_OK);
    cs_store_rollback(tx);
    json_decref(e);
    cr_expect_eq(count_of(st), 0);
    cs_store_head h;
    int found = 1;
    cr_assert_eq(cs_store_begin(st, CS_STORE_READ, &tx), CASESCRIBE_OK);
    cr_assert_eq(cs_store_head_get(tx, "R-1", &h, &found), CASESCRIBE_OK);
    cs_store_rollback(tx);
    cr_expect_eq(found, 0, "the head went with its entry");
    cs_store_close(st);
}

Test(journal, a_record_head_moves_one_version_at_a_time)
{
    cs_store *st = open_store();
    cr_assert_eq(append_one(st, save_entry("R-1", 1, NULL)), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(append_one(st, save_entry("R-1", 1, NULL)), CASESCRIBE_ECONFLICT, "a second version 1 is a fork");
    cr_expect_eq(append_one(st, save_entry("R-1", 3, NULL)), CASESCRIBE_ECONFLICT, "version 3 cannot follow 1");
    cr_expect_eq(append_one(st, save_entry("R-2", 2, NULL)), CASESCRIBE_ECONFLICT, "a new record starts at 1");
    cr_assert_eq(append_one(st, save_entry("R-1", 2, NULL)), CASESCRIBE_OK);
    cr_expect_eq(count_of(st), 2, "refused saves leave no entry");
    cs_store_txn *tx = NULL;
    cs_store_head h;
    int found = 0;
    cr_assert_eq(cs_store_begin(st, CS_STORE_READ, &tx), CASESCRIBE_OK);
    cr_assert_eq(cs_store_head_get(tx, "R-1", &h, &found), CASESCRIBE_OK);
    cs_store_rollback(tx);
    cr_expect(found && h.version == 2 && h.seq == 2 && strcmp(h.actor, "sw-1") == 0);
    cs_store_close(st);
}

Test(journal, verify_names_an_entry_changed_in_the_database)
{
    cs_store *st = open_store();
    json_t *e[3] = {note("a", 1), note("b", 2), note("c", 3)};
    cr_assert_eq(append_all(st, e, 3), CASESCRIBE_OK);
    for (int i = 0; i < 3; i++)
        json_decref(e[i]);
    tamper("UPDATE ledger SET payload = replace(payload, '\"b\"', '\"x\"') WHERE seq = 2");
    uint64_t n = 99;
    cr_expect_eq(cs_store_verify(st, &n), CASESCRIBE_EJOURNAL);
    cr_expect_eq(n, 1, "one good entry before the damage");
    cr_expect_not_null(strstr(casescribe_last_error(), "entry 2"), "%s", casescribe_last_error());
    cs_store_close(st);
}

Test(journal, verify_catches_a_rehashed_entry_and_a_removed_one)
{
    cs_store *st = open_store();
    json_t *e[3] = {note("a", 1), note("b", 2), note("c", 3)};
    cr_assert_eq(append_all(st, e, 3), CASESCRIBE_OK);
    for (int i = 0; i < 3; i++)
        json_decref(e[i]);
    /* Changed, with its stored hash made to match: the next entry's prev breaks. */
    const char *forged = "{\"i\":2,\"kind\":\"note\",\"prev\":\"\",\"seq\":2,\"tag\":\"x\"}";
    char sql[512], hash[65];
    sha256_hex_of(hash, forged, strlen(forged));
    snprintf(sql, sizeof(sql), "UPDATE ledger SET payload = '%s', hash = '%s' WHERE seq = 2", forged, hash);
    tamper(sql);
    cr_expect_eq(cs_store_verify(st, NULL), CASESCRIBE_EJOURNAL);
    cr_expect_not_null(strstr(casescribe_last_error(), "entry 2"), "%s", casescribe_last_error());
    tamper("DELETE FROM ledger WHERE seq = 2");
    cr_expect_eq(cs_store_verify(st, NULL), CASESCRIBE_EJOURNAL);
    cr_expect_not_null(strstr(casescribe_last_error(), "entry 3: entries are missing"), "%s",
                       casescribe_last_error());
    cs_store_close(st);
}

static long page_size_of(void)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    long size = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return size;
}

/* Small pages: a save's index rows dirty one page each once the index
 * outgrows memory, and the WAL writes and syncs whole pages. A ledger made
 * with other pages (an older library's) keeps them and works as before. */
Test(journal, a_new_ledger_has_1_KiB_pages_and_an_older_one_keeps_its_own)
{
    cs_store *st = open_store();
    cr_assert_eq(append_one(st, note("a", 1)), CASESCRIBE_OK);
    cs_store_close(st);
    cr_expect_eq(page_size_of(), 1024);
    cr_assert_eq(unlink(db_path), 0);
    tamper("PRAGMA page_size=4096; PRAGMA journal_mode=WAL; CREATE TABLE t(x)");
    st = open_store();
    cr_expect_eq(append_one(st, note("a", 1)), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(count_of(st), 1);
    cs_store_close(st);
    cr_expect_eq(page_size_of(), 4096);
}

Test(journal, a_newer_schema_is_refused)
{
    cs_store_close(open_store());
    tamper("UPDATE meta SET value = '99' WHERE name = 'schema'");
    cs_store *st = NULL;
    cr_expect_eq(cs_store_open(&st, dir, 0), CASESCRIBE_EJOURNAL);
    cr_expect_null(st);
    cr_expect_not_null(strstr(casescribe_last_error(), "schema version 99"), "%s", casescribe_last_error());
}

static const uint8_t secret[CS_FP_SECRET_LEN] = {1, 2, 3};
static const char *ai_text = "The visit found the kitchen clean and well stocked, the child was settled and "
                             "talked about school, friends and the football club with evident enthusiasm";

Test(journal, the_laundering_search_finds_a_stored_ai_print)
{
    cs_store *st = open_store();
    cs_fingerprint fp, other;
    char *enc = NULL;
    cr_assert_eq(cs_fingerprint_compute(&fp, secret, ai_text, strlen(ai_text)), 0);
    cr_assert_eq(cs_fingerprint_encode(&enc, &fp), 0);
    cr_assert_eq(append_one(st, save_entry("R-9", 1, enc)), CASESCRIBE_OK, "%s", casescribe_last_error());
    free(enc);
    const char *unrelated = "Mother reported that the heating had been repaired on Tuesday and the landlord "
                            "agreed to replace the windows before the winter";
    cr_assert_eq(cs_fingerprint_compute(&other, secret, unrelated, strlen(unrelated)), 0);
    cs_store_txn *tx = NULL;
    cs_store_hit hit;
    cr_assert_eq(cs_store_begin(st, CS_STORE_READ, &tx), CASESCRIBE_OK);
    cr_assert_eq(cs_store_grade(tx, &fp, "cin", &hit), CASESCRIBE_OK);
    cr_expect(hit.found && hit.grade == CS_FP_COPIED, "the same text is a copy");
    cr_expect_str_eq(hit.print.record, "R-9");
    cr_expect_str_eq(hit.print.section, "summary");
    cr_expect_str_eq(hit.print.team, "cin");
    cr_assert_eq(cs_store_grade(tx, &other, "cin", &hit), CASESCRIBE_OK);
    cr_expect_eq(hit.found, 0, "an unrelated text matches nothing");
    cs_store_rollback(tx);
    cs_store_close(st);
}

/* A long text (full shingle and pair sketches, over 32 words) and a
 * 13-word one (remainders of the 32- and 8-row batches): every value of
 * each is counted (once per print holding it) and filed, so that each
 * text is found as a copy from the postings. */
static const char *long_text =
    "Alex attended the family centre on Tuesday with his grandmother and spoke about the new school, the bus "
    "route, the football team he joined in March, his sister's birthday party, the broken window in the back "
    "bedroom, the letter from the housing office about the rent arrears, the appointment at the clinic next "
    "week, and how much he enjoys the cooking lessons at the youth club on Thursday evenings with his friends";
static const char *short_text = "Kasia read the school report aloud and smiled at every teacher comment there";

static int holds(const uint64_t *v, uint32_t n, uint64_t x)
{
    for (uint32_t k = 0; k < n; k++)
        if (v[k] == x)
            return 1;
    return 0;
}

/* Each value's df is the number of the two prints holding it. */
static void expect_counted(cs_store_txn *tx, const uint64_t *v, uint32_t n, const uint64_t *o, uint32_t on)
{
    int64_t df[CS_FP_PK];
    cr_assert_eq(cs_store_value_dfs(tx, v, n, df), CASESCRIBE_OK, "%s", casescribe_last_error());
    for (uint32_t k = 0; k < n; k++)
        cr_expect_eq(df[k], 1 + holds(o, on, v[k]), "value %u of %u counted %lld times", k, n, (long long)df[k]);
}

static void count_and_file(uint32_t batch)
{
    cs_store *st = open_store();
    cs_store_set_batch(st, batch);
    const char *texts[2] = {long_text, short_text};
    cs_fingerprint fp[2];
    for (int i = 0; i < 2; i++) {
        char *enc = NULL, record[8];
        cr_assert_eq(cs_fingerprint_compute(&fp[i], secret, texts[i], strlen(texts[i])), 0);
        cr_assert_eq(cs_fingerprint_encode(&enc, &fp[i]), 0);
        snprintf(record, sizeof(record), "R-%d", i);
        cr_assert_eq(append_one(st, save_entry(record, 1, enc)), CASESCRIBE_OK, "%s", casescribe_last_error());
        free(enc);
    }
    cr_assert_eq(fp[0].count, CS_FP_K);
    cr_assert_eq(fp[0].wcount, CS_FP_PK);
    cr_assert(fp[0].ucount > 32, "%u words", fp[0].ucount);
    cr_assert(fp[1].count % 8 != 0 && fp[1].count < 32, "%u shingles", fp[1].count);
    cs_store_txn *tx = NULL;
    cr_assert_eq(cs_store_begin(st, CS_STORE_READ, &tx), CASESCRIBE_OK);
    for (int i = 0; i < 2; i++) {
        const cs_fingerprint *o = &fp[1 - i];
        expect_counted(tx, fp[i].h, fp[i].count, o->h, o->count);
        expect_counted(tx, fp[i].w, fp[i].wcount, o->w, o->wcount);
        expect_counted(tx, fp[i].u, fp[i].ucount, o->u, o->ucount);
        cs_store_hit hit;
        cr_assert_eq(cs_store_grade(tx, &fp[i], "cin", &hit), CASESCRIBE_OK);
        cr_expect(hit.found && hit.grade == CS_FP_COPIED, "text %d is found as a copy", i);
        cr_expect_str_eq(hit.print.record, i == 0 ? "R-0" : "R-1");
    }
    cs_store_rollback(tx);
    cs_store_close(st);
}

Test(journal, every_value_of_a_print_is_counted_and_filed_in_batches)
{
    count_and_file(32);
}

Test(journal, every_value_of_a_print_is_counted_and_filed_one_by_one)
{
    count_and_file(1);
}

static void *thread_appends(void *arg)
{
    cs_store *st = arg;
    for (int i = 0; i < 20; i++)
        if (append_one(st, note("t", i)) != CASESCRIBE_OK)
            return (void *)1;
    return NULL;
}

Test(journal, writers_in_threads_and_processes_keep_one_chain)
{
    cs_store *st = open_store();
    pid_t kids[3]; /* forked before any thread runs: a fork copies no lock a thread holds */
    for (int k = 0; k < 3; k++) {
        if ((kids[k] = fork()) == 0) {
            cs_store *mine = NULL;
            int bad = cs_store_open(&mine, dir, CS_STORE_NO_SYNC) != CASESCRIBE_OK || thread_appends(mine) != NULL;
            cs_store_close(mine);
            _exit(bad);
        }
    }
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, thread_appends, st), 0);
    for (int i = 0; i < 4; i++) {
        void *r = NULL;
        pthread_join(t[i], &r);
        cr_expect_null(r, "a thread's append failed");
    }
    for (int k = 0; k < 3; k++) {
        int status = 0;
        waitpid(kids[k], &status, 0);
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a process's append failed");
    }
    uint64_t n = 0;
    cr_expect_eq(cs_store_verify(st, &n), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(n, 140);
    cs_store_close(st);
}

Test(journal, a_store_is_not_used_across_fork)
{
    cs_store *st = open_store();
    pid_t pid = fork();
    if (pid == 0) {
        cs_store_txn *tx = NULL;
        int refused = cs_store_begin(st, CS_STORE_READ, &tx) == CASESCRIBE_EINVAL;
        cs_store_close(st);
        _exit(refused ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child must be refused");
    cr_expect_eq(cs_store_verify(st, NULL), CASESCRIBE_OK, "the parent's store still works");
    cs_store_close(st);
}

/* ---- the import of an old journal.log ------------------------------------ */

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Writes journal.log as the old library framed it; hashes[i] gets entry
 * i+1's payload hash. Returns the byte offset where each frame starts. */
static void write_old_journal(int n, char hashes[][65], long *starts)
{
    char path[256], prev[65] = "";
    snprintf(path, sizeof(path), "%s/journal.log", dir);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    for (int i = 0; i < n; i++) {
        json_t *e = i % 2 == 0 ? save_entry(i == 0 ? "R-1" : "R-2", 1, NULL) : note("old", i);
        if (i == 2)
            json_object_set_new(e, "record", json_string("R-3"));
        json_object_set_new(e, "seq", json_integer(i + 1));
        json_object_set_new(e, "prev", json_string(prev));
        char *payload = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
        unsigned char hdr[8];
        put_le32(hdr, (uint32_t)strlen(payload));
        put_le32(hdr + 4, (uint32_t)crc32(0L, (const Bytef *)payload, (uInt)strlen(payload)));
        starts[i] = ftell(f);
        fwrite(hdr, 1, 8, f);
        fwrite(payload, 1, strlen(payload), f);
        sha256_hex_of(prev, payload, strlen(payload));
        memcpy(hashes[i], prev, 65);
        free(payload);
        json_decref(e);
    }
    fclose(f);
}

static int collect_hash(uint64_t seq, const char *payload, size_t len, const char *stored, void *user)
{
    char(*hashes)[65] = user;
    char h[65];
    sha256_hex_of(h, payload, len);
    cr_expect_str_eq(h, stored);
    memcpy(hashes[seq - 1], h, 65);
    return 0;
}

Test(journal, an_old_journal_is_imported_with_its_hashes_and_kept_read_only)
{
    char want[3][65], got[3][65];
    long starts[3];
    write_old_journal(3, want, starts);
    cs_store *st = open_store();
    cs_store_txn *tx = NULL;
    cr_assert_eq(cs_store_begin(st, CS_STORE_READ, &tx), CASESCRIBE_OK);
    cr_assert_eq(cs_store_walk(tx, 1, collect_hash, got), CASESCRIBE_OK);
    cs_store_head h;
    int found = 0;
    cr_assert_eq(cs_store_head_get(tx, "R-3", &h, &found), CASESCRIBE_OK);
    cs_store_rollback(tx);
    for (int i = 0; i < 3; i++)
        cr_expect_str_eq(got[i], want[i], "entry %d keeps its hash", i + 1);
    cr_expect(found && h.version == 1 && h.seq == 3, "the import indexes the heads");
    char path[256];
    struct stat sb;
    snprintf(path, sizeof(path), "%s/journal.log", dir);
    cr_expect_neq(stat(path, &sb), 0, "journal.log is no longer where the old library would append");
    snprintf(path, sizeof(path), "%s/journal.log.imported", dir);
    cr_assert_eq(stat(path, &sb), 0);
    cr_expect_eq(sb.st_mode & 0777, 0400, "the imported file is kept read-only");
    cr_expect_eq(append_one(st, note("new", 4)), CASESCRIBE_OK, "the chain goes on from the imported entries");
    cr_expect_eq(cs_store_verify(st, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
    cs_store_close(st);
}

Test(journal, a_damaged_old_journal_is_refused_and_nothing_is_imported)
{
    char hashes[3][65];
    long starts[3];
    write_old_journal(3, hashes, starts);
    char path[256];
    snprintf(path, sizeof(path), "%s/journal.log", dir);
    FILE *f = fopen(path, "r+b");
    cr_assert_not_null(f);
    fseek(f, starts[1] + 12, SEEK_SET); /* inside entry 2's payload */
    fputc('#', f);
    fclose(f);
    cs_store *st = NULL;
    cr_expect_eq(cs_store_open(&st, dir, CS_STORE_NO_SYNC), CASESCRIBE_EJOURNAL);
    cr_expect_not_null(strstr(casescribe_last_error(), "entry 2"), "%s", casescribe_last_error());
    cr_expect_not_null(strstr(casescribe_last_error(), "backup"), "the message names the recovery");
    struct stat sb;
    cr_expect_eq(stat(path, &sb), 0, "the old file stays for the operator");
    snprintf(path, sizeof(path), "%s/journal.log.imported", dir);
    cr_expect_neq(stat(path, &sb), 0);
    tamper("SELECT 1"); /* the ledger file exists, and holds nothing */
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM ledger", -1, &q, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    cr_expect_eq(sqlite3_column_int(q, 0), 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
}

Test(journal, a_frame_cut_by_the_end_of_an_old_journal_was_never_acknowledged)
{
    char hashes[3][65];
    long starts[3];
    write_old_journal(3, hashes, starts);
    char path[256];
    snprintf(path, sizeof(path), "%s/journal.log", dir);
    cr_assert_eq(truncate(path, starts[2] + 20), 0);
    cs_store *st = open_store();
    cr_expect_eq(count_of(st), 2, "the two whole entries are imported");
    cs_store_close(st);
}

/* ---- the places phase 2 fills -------------------------------------------- */

static int count_key(const cs_store_key *k, void *user)
{
    cr_expect_str_eq(k->origin, "home");
    (*(int *)user)++;
    return 0;
}

static int name_job(const cs_store_job *j, void *user)
{
    snprintf(user, 32, "%s", j->id);
    return 0;
}

Test(journal, meta_checkpoints_keys_and_jobs_are_kept)
{
    cs_store *st = open_store();
    cs_store_txn *tx = NULL;
    cr_assert_eq(cs_store_begin(st, CS_STORE_WRITE, &tx), CASESCRIBE_OK);
    cr_assert_eq(cs_store_meta_set(tx, "store-id", "abc"), CASESCRIBE_OK);
    cs_store_checkpoint cp = {.size = 7, .head = "ff", .time = 1700000000, .text = "note"};
    cr_assert_eq(cs_store_checkpoint_put(tx, &cp), CASESCRIBE_OK);
    cs_store_key key = {"k1", "home", "PUB", 1, 0, 3};
    cr_assert_eq(cs_store_key_put(tx, &key), CASESCRIBE_OK);
    cs_store_job done = {"j-1", "transcribe", "done", "{}", 1, 2}, open = {"j-2", "transcribe", "running", "{}", 3, 3};
    cr_assert_eq(cs_store_job_put(tx, &done), CASESCRIBE_OK);
    cr_assert_eq(cs_store_job_put(tx, &open), CASESCRIBE_OK);
    cr_assert_eq(cs_store_commit(tx), CASESCRIBE_OK);
    cr_assert_eq(cs_store_begin(st, CS_STORE_READ, &tx), CASESCRIBE_OK);
    char *value = NULL;
    cr_assert_eq(cs_store_meta_get(tx, "store-id", &value), CASESCRIBE_OK);
    cr_expect_str_eq(value, "abc");
    free(value);
    cs_store_checkpoint got;
    int found = 0, keys = 0;
    cr_assert_eq(cs_store_checkpoint_latest(tx, &got, &found), CASESCRIBE_OK);
    cr_expect(found && got.size == 7 && got.time == 1700000000 && strcmp(got.head, "ff") == 0);
    cr_expect_str_eq(got.text, "note");
    free(got.text);
    cr_assert_eq(cs_store_key_list(tx, count_key, &keys), CASESCRIBE_OK);
    cr_expect_eq(keys, 1);
    char job[32] = "";
    cr_assert_eq(cs_store_job_list(tx, 1, name_job, job), CASESCRIBE_OK);
    cr_expect_str_eq(job, "j-2", "only the unfinished job is listed");
    cs_store_rollback(tx);
    cs_store_close(st);
}
