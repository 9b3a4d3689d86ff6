/* SPDX-License-Identifier: Apache-2.0 */
/* test_ops.c - the ledger under real operations: its file replaced or
 * rotated under a running process (which must refuse, not write
 * elsewhere), a full disk (that save fails, the next one after space
 * returns works in the same process) and a read-only home (verify,
 * journal verify and the public key work; nothing is written). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "internal.h"
#include "store/store.h"

TestSuite(ops, .timeout = 120);

static char *saved_form(const char *id)
{
    form_parts p = {0};
    p.id = id;
    return form_make(&p);
}

static int32_t save_id(casescribe_ctx *ctx, const char *id, char **out)
{
    char *xml = saved_form(id);
    int32_t rc = save_as(ctx, xml, out);
    free(xml);
    return rc;
}

static casescribe_ctx *open_at(const char *home, uint32_t flags)
{
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = home;
    opts.flags = flags | CASESCRIBE_OPEN_NO_SYNC;
    casescribe_ctx *ctx = NULL;
    int32_t rc = casescribe_ctx_open(&ctx, &opts);
    cr_assert_eq(rc, CASESCRIBE_OK, "open %s: %s", home, casescribe_last_error());
    return ctx;
}

/* ---- the store file replaced or rotated under a running process -------- */

#define SAVER_MAX 400 /* a saver that never refuses stops here (and the test fails) */

/* Saves ... until a save fails; one line per save on fd:
 * "ok R-n" after it returned OK, then "fail CODE MESSAGE". */
/* Saves until a save fails; after the 20th it waits for the parent's word
 * on `go` (the restore is done), so that which saves came before the
 * restore is known exactly, whatever the pipe held unread. */
static void saver(const char *home, int fd, int go)
{
    casescribe_ctx *ctx = open_at(home, 0);
    for (int i = 0; i < SAVER_MAX; i++) {
        char byte;
        if (i == 20 && read(go, &byte, 1) != 1)
            break;
        char id[32], line[1200];
        char *out = NULL;
        snprintf(id, sizeof(id), "R-%d", i);
        int32_t rc = save_id(ctx, id, &out);
        casescribe_free(out);
        int n = rc == CASESCRIBE_OK ? snprintf(line, sizeof(line), "ok %s\n", id)
                                    : snprintf(line, sizeof(line), "fail %d %s\n", (int)rc, casescribe_last_error());
        if (write(fd, line, (size_t)n) != n || rc != CASESCRIBE_OK)
            break;
    }
    casescribe_ctx_close(ctx);
    _exit(0);
}

/* What an operator's restore does, done right: under the writers' lock,
 * a consistent copy of the ledger (WAL included) is renamed over it. */
static void restore_copy_over(const char *home)
{
    char db[300], copy[300], lock[300], sql[400];
    snprintf(db, sizeof(db), "%s/ledger.db", home);
    snprintf(copy, sizeof(copy), "%s/ledger.db.copy", home);
    snprintf(lock, sizeof(lock), "%s/ledger.lock", home);
    int fd = open(lock, O_RDWR);
    cr_assert(fd >= 0 && flock(fd, LOCK_EX) == 0, "lock: %s", strerror(errno));
    sqlite3 *s = NULL;
    snprintf(sql, sizeof(sql), "PRAGMA wal_checkpoint(TRUNCATE); VACUUM INTO '%s';", copy);
    cr_assert_eq(sqlite3_open(db, &s), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(s, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(s));
    sqlite3_close(s);
    cr_assert_eq(rename(copy, db), 0);
    close(fd); /* unlocks */
}

/* Reads one line from the saver; 0 at its end. */
static int read_line(FILE *f, char *line, size_t cap)
{
    return fgets(line, (int)cap, f) != NULL;
}

Test(ops, store_replaced_while_another_process_saves)
{
    test_home h;
    home_open(&h, 0);
    casescribe_ctx_close(h.ctx);
    h.ctx = NULL;
    int fds[2], go[2];
    cr_assert_eq(pipe(fds), 0);
    cr_assert_eq(pipe(go), 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        close(go[1]);
        saver(h.path, fds[1], go[0]);
    }
    close(fds[1]);
    close(go[0]);
    FILE *f = fdopen(fds[0], "r");
    static char acked[SAVER_MAX][16];
    int n_acked = 0, replaced = 0;
    char line[1200] = "";
    while (read_line(f, line, sizeof(line)) && strncmp(line, "ok ", 3) == 0) {
        snprintf(acked[n_acked++], sizeof(acked[0]), "%.*s", (int)strcspn(line + 3, "\n"), line + 3);
        if (n_acked == 20) {
            restore_copy_over(h.path); /* the saver's store is open, its next save comes after */
            replaced = n_acked;
            cr_assert_eq(write(go[1], "g", 1), 1);
        }
    }
    fclose(f);
    close(go[1]);
    waitpid(pid, NULL, 0);
    cr_assert_eq(replaced, 20, "the saver stopped before the restore: %s", line);
    cr_assert(strncmp(line, "fail -11 ", 9) == 0, "the saver must refuse with EJOURNAL, got: %s", line);
    cr_assert(strstr(line, "replaced") != NULL, "the message names what happened: %s", line);
    /* No save is acknowledged after the restore: the first one after it
     * is refused. */
    cr_assert_eq(n_acked, replaced, "%d saves acknowledged after the file was replaced", n_acked - replaced);

    cs_store *st = NULL;
    uint64_t entries = 0;
    cr_assert_eq(cs_store_open(&st, h.path, CS_STORE_NO_SYNC), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(cs_store_verify(st, &entries), CASESCRIBE_OK, "%s", casescribe_last_error());
    cs_store_txn *tx = NULL;
    cr_assert_eq(cs_store_begin(st, CS_STORE_READ, &tx), CASESCRIBE_OK);
    for (int i = 0; i < n_acked; i++) {
        cs_store_head head;
        int found = 0;
        cr_assert_eq(cs_store_head_get(tx, acked[i], &head, &found), CASESCRIBE_OK);
        cr_assert(found, "acknowledged save %s was lost by the restore", acked[i]);
    }
    cs_store_rollback(tx);
    cs_store_close(st);
    home_close(&h);
}

Test(ops, store_rotated_away_then_put_back)
{
    test_home h;
    home_open(&h, 0);
    char *out = NULL, db[300], moved[300];
    cr_assert_eq(save_id(h.ctx, "R-1", &out), CASESCRIBE_OK, "%s", casescribe_last_error());
    casescribe_free(out);
    snprintf(db, sizeof(db), "%s/ledger.db", h.path);
    snprintf(moved, sizeof(moved), "%s/ledger.db.1", h.path);
    cr_assert_eq(rename(db, moved), 0); /* logrotate */
    cr_assert_eq(save_id(h.ctx, "R-2", &out), CASESCRIBE_EJOURNAL);
    cr_assert(strstr(casescribe_last_error(), "moved or deleted") != NULL, "%s", casescribe_last_error());
    cr_assert_eq(casescribe_journal_verify(NULL, NULL, h.ctx), CASESCRIBE_EJOURNAL);
    cr_assert(access(db, F_OK) != 0, "nothing may be created at the path");
    cr_assert_eq(rename(moved, db), 0); /* put back: the same file works again */
    cr_assert_eq(save_id(h.ctx, "R-2", &out), CASESCRIBE_OK, "%s", casescribe_last_error());
    casescribe_free(out);
    home_close(&h);
}

/* ---- a full disk -------------------------------------------------------- */

/* Writes zeros into `path` until the file system is full. */
static void fill_up(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(fd >= 0);
    static char block[65536];
    while (write(fd, block, sizeof(block)) > 0)
        ;
    while (write(fd, block, 512) > 0)
        ;
    cr_assert_eq(errno, ENOSPC);
    close(fd);
}

Test(ops, disk_full_fails_that_save_only)
{
    char mnt[] = "/tmp/cs-full-XXXXXX", home[300], filler[300];
    cr_assert_not_null(mkdtemp(mnt));
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=4m,mode=0700") != 0) {
        int e = errno;
        rmdir(mnt);
        cr_skip_test("cannot mount a small tmpfs here (%s): the disk-full test needs root", strerror(e));
    }
    snprintf(home, sizeof(home), "%s/home", mnt);
    snprintf(filler, sizeof(filler), "%s/filler", mnt);
    casescribe_ctx *ctx = open_at(home, CASESCRIBE_OPEN_CREATE);
    cr_assert_eq(casescribe_keygen(NULL, ctx, 0), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(casescribe_team_set(ctx, "admin-1", "cin-north", "ai-draft", "on"), CASESCRIBE_OK);
    char *out = NULL;
    cr_assert_eq(save_id(ctx, "R-1", &out), CASESCRIBE_OK, "%s", casescribe_last_error());
    casescribe_free(out);

    fill_up(filler);
    int32_t rc = CASESCRIBE_OK;
    for (int i = 2; i < 50 && rc == CASESCRIBE_OK; i++) { /* the WAL may have room for a few */
        char id[16];
        snprintf(id, sizeof(id), "F-%d", i);
        rc = save_id(ctx, id, &out);
        casescribe_free(out);
        out = NULL;
    }
    cr_assert_eq(rc, CASESCRIBE_EIO, "a save on a full disk fails with EIO, got %d", rc);
    cr_assert(strstr(casescribe_last_error(), "full") != NULL, "%s", casescribe_last_error());

    cr_assert_eq(unlink(filler), 0); /* space returns */
    cr_assert_eq(save_id(ctx, "R-2", &out), CASESCRIBE_OK, "the same process saves again: %s",
                 casescribe_last_error());
    casescribe_free(out);
    uint64_t entries = 0;
    cr_assert_eq(casescribe_journal_verify(&entries, NULL, ctx), CASESCRIBE_OK, "%s", casescribe_last_error());
    casescribe_ctx_close(ctx);
    umount2(mnt, MNT_DETACH);
    rmdir(mnt);
}

/* ---- a read-only home --------------------------------------------------- */

struct snapshot {
    char names[4096];
    off_t db_size;
    struct timespec db_mtime;
};

static void take_snapshot(const char *home, struct snapshot *s)
{
    memset(s, 0, sizeof(*s));
    DIR *d = opendir(home);
    cr_assert_not_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        strncat(s->names, de->d_name, sizeof(s->names) - strlen(s->names) - 2);
        strcat(s->names, " ");
    }
    closedir(d);
    char db[300];
    struct stat sb;
    snprintf(db, sizeof(db), "%s/ledger.db", home);
    cr_assert_eq(stat(db, &sb), 0);
    s->db_size = sb.st_size;
    s->db_mtime = sb.st_mtim;
}

/* Everything a reader needs works; everything that writes fails EIO. */
static void check_read_only(const char *home, uint32_t flags, const char *stamped)
{
    casescribe_ctx *ctx = open_at(home, flags);
    uint64_t entries = 0;
    cr_assert_eq(casescribe_journal_verify(&entries, NULL, ctx), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(entries, HOME_SETUP_ENTRIES + 1);
    cr_assert_eq(casescribe_verify(NULL, ctx, "xml", (const uint8_t *)stamped, strlen(stamped)), CASESCRIBE_OK,
                 "%s", casescribe_last_error());
    char *pem = NULL, *out = NULL;
    cr_assert_eq(casescribe_public_key(&pem, ctx), CASESCRIBE_OK, "%s", casescribe_last_error());
    casescribe_free(pem);
    cr_assert_eq(save_id(ctx, "R-2", &out), CASESCRIBE_EIO);
    cr_assert(strstr(casescribe_last_error(), "read-only") != NULL, "%s", casescribe_last_error());
    cr_assert_eq(casescribe_keygen(NULL, ctx, CASESCRIBE_KEYGEN_ROTATE), CASESCRIBE_EIO);
    cr_assert_eq(casescribe_team_set(ctx, "admin-1", "cin-north", "ai-draft", "off"), CASESCRIBE_EIO);
    casescribe_ctx_close(ctx);
}

static char *home_with_one_save(test_home *h)
{
    home_open(h, 0);
    char *out = NULL;
    cr_assert_eq(save_id(h->ctx, "R-1", &out), CASESCRIBE_OK, "%s", casescribe_last_error());
    casescribe_ctx_close(h->ctx);
    h->ctx = NULL;
    return out;
}

Test(ops, read_only_flag_writes_nothing)
{
    test_home h;
    char *stamped = home_with_one_save(&h);
    struct snapshot before, after;
    take_snapshot(h.path, &before);
    check_read_only(h.path, CASESCRIBE_OPEN_READ_ONLY, stamped);
    take_snapshot(h.path, &after);
    cr_assert_str_eq(after.names, before.names, "no file made or removed");
    cr_assert(after.db_size == before.db_size && after.db_mtime.tv_sec == before.db_mtime.tv_sec &&
              after.db_mtime.tv_nsec == before.db_mtime.tv_nsec, "ledger.db untouched");
    casescribe_free(stamped);
    home_close(&h);
}

/* A home on a read-only mount (a snapshot, a backup): read-only without
 * being asked. As root mode bits do not stop writes, so a read-only bind
 * mount is used; otherwise chmod -R a-w. */
Test(ops, read_only_home_opens_read_only)
{
    test_home h;
    char *stamped = home_with_one_save(&h);
    char ro[] = "/tmp/cs-ro-XXXXXX";
    const char *where = h.path;
    int mounted = 0;
    if (geteuid() == 0) {
        cr_assert_not_null(mkdtemp(ro));
        if (mount(h.path, ro, NULL, MS_BIND, NULL) != 0 ||
            mount(NULL, ro, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) != 0) {
            umount2(ro, MNT_DETACH);
            rmdir(ro);
            cr_skip_test("cannot make a read-only bind mount here (%s)", strerror(errno));
        }
        mounted = 1;
        where = ro;
    } else {
        char cmd[400];
        snprintf(cmd, sizeof(cmd), "chmod -R a-w '%s'", h.path);
        cr_assert_eq(system(cmd), 0);
    }
    struct snapshot before, after;
    take_snapshot(h.path, &before);
    check_read_only(where, 0, stamped);
    take_snapshot(h.path, &after);
    cr_assert_str_eq(after.names, before.names, "no file made or removed");
    if (mounted) {
        umount2(ro, MNT_DETACH);
        rmdir(ro);
    } else {
        char cmd[400];
        snprintf(cmd, sizeof(cmd), "chmod -R u+w '%s'", h.path);
        cr_assert_eq(system(cmd), 0);
    }
    casescribe_free(stamped);
    home_close(&h);
}
