/* SPDX-License-Identifier: Apache-2.0 */
/* recover.c - rebuilding a damaged ledger from a backup (store.h:
 * cs_store_recover).
 *
 * Under the writers' lock (<home>/ledger.lock: every process of the home
 * waits), a new ledger is built in a private folder of the home:
 *   1. every entry of the backup, which must verify whole (chain, hashes);
 *   2. then the entries of the damaged ledger that continue that chain:
 *      n+1, n+2 ... read one by one, up to the first that is unreadable or
 *      does not chain (changed, missing, damaged pages);
 * each with the index rows it implies (as an import builds them), plus the
 * backup's key registry, jobs and latest checkpoint. Then the damaged
 * ledger (with its -wal and -shm) is renamed ledger.db.damaged-<time> and
 * the new one takes its place. Processes that had the old file open notice
 * the new one at their next transaction (EJOURNAL) and must reopen. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "store/backend.h"

#define PATH_CAP 4200

/* out = a followed by b; EINVAL when that is too long. */
static int32_t joined(char out[PATH_CAP], const char *a, const char *b)
{
    int n = snprintf(out, PATH_CAP, "%s%s", a, b);
    return n >= 0 && n < PATH_CAP ? CASESCRIBE_OK : cs_fail(CASESCRIBE_EINVAL, "a path in %s is too long", a);
}

/* Copies file `from` to `to` (0600), synced. ENOENT is left in errno. */
static int copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, ok = in >= 0;
    if (ok)
        ok = (out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) >= 0;
    char buf[65536];
    ssize_t n = 0;
    while (ok && (n = read(in, buf, sizeof(buf))) > 0)
        ok = write(out, buf, (size_t)n) == n;
    ok = ok && n == 0 && fsync(out) == 0;
    int e = errno;
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    errno = e;
    return ok ? 0 : -1;
}

/* The backup's ledger file: BACKUP itself, or BACKUP/ledger.db for a
 * backed-up home; copied with its -wal (when there is one) into dir. */
static int32_t copy_backup(const char *backup, const char *dir)
{
    char from[PATH_CAP], to[PATH_CAP];
    struct stat sb;
    if (stat(backup, &sb) != 0)
        return cs_fail(CASESCRIBE_ENOTFOUND, "cannot read the backup %s: %s", backup, strerror(errno));
    if (joined(from, backup, S_ISDIR(sb.st_mode) ? "/ledger.db" : "") != CASESCRIBE_OK ||
        joined(to, dir, "/ledger.db") != CASESCRIBE_OK)
        return CASESCRIBE_EINVAL;
    if (copy_file(from, to) != 0)
        return cs_fail(CASESCRIBE_EIO, "cannot copy the backup %s: %s", from, strerror(errno));
    char from_wal[PATH_CAP], to_wal[PATH_CAP];
    if (joined(from_wal, from, "-wal") != CASESCRIBE_OK || joined(to_wal, to, "-wal") != CASESCRIBE_OK)
        return CASESCRIBE_EINVAL;
    if (copy_file(from_wal, to_wal) != 0 && errno != ENOENT)
        return cs_fail(CASESCRIBE_EIO, "cannot copy %s: %s", from, strerror(errno));
    return CASESCRIBE_OK;
}

/* ---- copying entries ------------------------------------------------------ */

/* Every entry of the backup; it must verify whole. */
static int32_t copy_backup_entries(cs_store *from, cs_store_copier *c)
{
    cs_store_txn *tx = NULL;
    int32_t rc = cs_store_begin(from, CS_STORE_READ, &tx);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_walk(tx, 1, cs_store_copy_entry, c);
    cs_store_rollback(tx);
    if (rc != CASESCRIBE_OK)
        return cs_fail(CASESCRIBE_EJOURNAL, "the backup does not verify (%s): nothing was changed; use another "
                                            "backup", casescribe_last_error());
    return CASESCRIBE_OK;
}

/* The damaged ledger's entries after the backup's, one read each, while
 * they continue the chain. *last gets the damaged ledger's own count when
 * it can still say. */
static void copy_damaged_entries(const char *home, cs_store_copier *c, uint64_t *last)
{
    cs_store *st = NULL;
    cs_store_txn *tx = NULL;
    char hash[CS_STORE_HASH_LEN];
    *last = 0;
    if (cs_store_open_uri(&st, home, NULL, CS_STORE_READ_ONLY) != CASESCRIBE_OK) {
        cs_clear_error();
        return;
    }
    if (cs_store_begin(st, CS_STORE_READ, &tx) == CASESCRIBE_OK) {
        if (cs_store_ledger_tail(tx, last, hash) != CASESCRIBE_OK)
            *last = 0;
        c->one = 1;
        while (cs_store_walk(tx, c->chain.seq + 1, cs_store_copy_entry, c) == 1)
            ; /* one entry a walk: the first bad one stops it */
        cs_store_rollback(tx);
    }
    cs_clear_error();
    cs_store_close(st);
}

/* ---- what is not an entry ----------------------------------------------- */

static int put_key(const cs_store_key *k, void *user)
{
    return cs_store_key_put(user, k);
}

static int put_job(const cs_store_job *j, void *user)
{
    return cs_store_job_put(user, j);
}

static int32_t copy_registry(cs_store *from, cs_store_txn *to, uint64_t entries)
{
    cs_store_txn *tx = NULL;
    cs_store_checkpoint cp;
    int found = 0;
    int32_t rc = cs_store_begin(from, CS_STORE_READ, &tx);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_key_list(tx, put_key, to);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_job_list(tx, 0, put_job, to);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_checkpoint_latest(tx, &cp, &found);
    if (rc == CASESCRIBE_OK && found && cp.size <= entries)
        rc = cs_store_checkpoint_put(to, &cp);
    if (found)
        free(cp.text);
    cs_store_rollback(tx);
    return rc;
}

/* ---- building and swapping ---------------------------------------------- */

static int32_t build(const char *home, const char *backup, const char *work, cs_store_recovery *out)
{
    char src[PATH_CAP], dst[PATH_CAP];
    if (joined(src, work, "/backup") != CASESCRIBE_OK || joined(dst, work, "/new") != CASESCRIBE_OK)
        return CASESCRIBE_EINVAL;
    if (mkdir(src, 0700) != 0 || mkdir(dst, 0700) != 0)
        return cs_fail(CASESCRIBE_EIO, "cannot make %s: %s", work, strerror(errno));
    cs_store *from = NULL, *to = NULL;
    cs_store_copier c = {NULL, {0, ""}, 0};
    int32_t rc = copy_backup(backup, src);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_open_uri(&from, src, NULL, 0);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_open_uri(&to, dst, NULL, 0);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_begin(to, CS_STORE_WRITE, &c.to);
    if (rc == CASESCRIBE_OK)
        rc = copy_backup_entries(from, &c);
    out->from_backup = c.chain.seq;
    if (rc == CASESCRIBE_OK)
        copy_damaged_entries(home, &c, &out->damaged_entries);
    out->from_damaged = c.chain.seq - out->from_backup;
    if (rc == CASESCRIBE_OK)
        rc = copy_registry(from, c.to, c.chain.seq);
    if (c.to != NULL)
        rc = rc == CASESCRIBE_OK ? cs_store_commit(c.to) : (cs_store_rollback(c.to), rc);
    cs_store_close(from);
    cs_store_close(to); /* the last connection: its WAL is folded in and removed */
    return rc;
}

/* Renames <home>/ledger.db<suffix> to <kept><suffix> when it exists. */
static int32_t keep_aside(const char *home, const char *kept, const char *suffix)
{
    char from[PATH_CAP], to[PATH_CAP], name[32];
    snprintf(name, sizeof(name), "/ledger.db%s", suffix);
    if (joined(from, home, name) != CASESCRIBE_OK || joined(to, kept, suffix) != CASESCRIBE_OK)
        return CASESCRIBE_EINVAL;
    if (rename(from, to) != 0 && errno != ENOENT)
        return cs_fail(CASESCRIBE_EIO, "cannot move %s aside: %s", from, strerror(errno));
    return CASESCRIBE_OK;
}

static int32_t swap_in(const char *home, const char *work, cs_store_recovery *out)
{
    char built[PATH_CAP], db[PATH_CAP], name[64];
    snprintf(name, sizeof(name), "/ledger.db.damaged-%lld", (long long)time(NULL));
    if (joined(out->kept, home, name) != CASESCRIBE_OK || joined(built, work, "/new/ledger.db") != CASESCRIBE_OK ||
        joined(db, home, "/ledger.db") != CASESCRIBE_OK)
        return CASESCRIBE_EINVAL;
    int32_t rc = keep_aside(home, out->kept, "");
    if (rc == CASESCRIBE_OK)
        rc = keep_aside(home, out->kept, "-wal");
    if (rc == CASESCRIBE_OK)
        rc = keep_aside(home, out->kept, "-shm");
    if (rc == CASESCRIBE_OK && rename(built, db) != 0)
        rc = cs_fail(CASESCRIBE_EIO, "cannot put the recovered ledger in place (%s): the damaged one is %s",
                     strerror(errno), out->kept);
    if (rc == CASESCRIBE_OK && cs_fsync_parent(db) != 0)
        rc = cs_fail(CASESCRIBE_EIO, "cannot sync the home folder %s", home);
    return rc;
}

/* Removes the work folder and what is left in it (two levels). */
static void remove_work(const char *work)
{
    static const char *const subs[] = {"backup", "new"};
    static const char *const files[] = {"ledger.db", "ledger.db-wal", "ledger.db-shm", "ledger.lock"};
    char path[PATH_CAP], name[64];
    for (size_t i = 0; i < 2; i++) {
        for (size_t j = 0; j < 4; j++) {
            snprintf(name, sizeof(name), "/%s/%s", subs[i], files[j]);
            if (joined(path, work, name) == CASESCRIBE_OK)
                unlink(path);
        }
        snprintf(name, sizeof(name), "/%s", subs[i]);
        if (joined(path, work, name) == CASESCRIBE_OK)
            rmdir(path);
    }
    rmdir(work);
}

int32_t cs_store_recover(const char *home, const char *backup, cs_store_recovery *out)
{
    char lock[PATH_CAP], work[PATH_CAP];
    memset(out, 0, sizeof(*out));
    if (strlen(home) > 4000 || joined(lock, home, "/ledger.lock") != CASESCRIBE_OK ||
        joined(work, home, "/recover.XXXXXX") != CASESCRIBE_OK)
        return cs_fail(CASESCRIBE_EINVAL, "the home path is too long");
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return cs_fail(CASESCRIBE_EIO, "cannot open %s: %s", lock, strerror(errno));
    while (flock(fd, LOCK_EX) != 0 && errno == EINTR)
        ;
    int made = mkdtemp(work) != NULL;
    int32_t rc = made ? CASESCRIBE_OK : cs_fail(CASESCRIBE_EIO, "cannot make a folder in %s: %s", home, strerror(errno));
    if (rc == CASESCRIBE_OK)
        rc = build(home, backup, work, out);
    if (rc == CASESCRIBE_OK)
        rc = swap_in(home, work, out);
    if (made)
        remove_work(work);
    close(fd); /* unlocks */
    return rc;
}
