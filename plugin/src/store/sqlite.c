/* SPDX-License-Identifier: Apache-2.0 */
/* sqlite.c - the embedded store backend: one SQLite file <home>/ledger.db.
 *
 * WAL, synchronous=FULL (OFF with CS_STORE_NO_SYNC) and a busy timeout on
 * every connection. Writers queue on an flock of <home>/ledger.lock (one
 * descriptor per connection, so threads queue too) before BEGIN IMMEDIATE:
 * the kernel wakes the next writer when the lock is released, where
 * SQLite's busy handler would sleep and back off. Statements are prepared
 * once per connection, on first use, and kept (SQLITE_PREPARE_PERSISTENT).
 *
 * A file moved or copied over <home>/ledger.db while a process has it open
 * is not noticed by SQLite (its connections keep the old file, and its WAL
 * would then be applied to the new one): the device and inode of the file
 * opened first are kept, and every connection and every transaction (after
 * the writers' lock, so that a rotation made under that lock is seen)
 * checks that the path still names that file, else fails with EJOURNAL.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "internal.h"
#include "store/backend.h"

#define SQ_BUSY_MS 30000
#define SQ_PAGE_SIZE "1024" /* bytes, for a new ledger (see sq_schema) */

struct sq_backend {
    char *path, *lock_path;
    uint32_t flags;
    dev_t dev; /* the file this store opened: a different one at the path */
    ino_t ino; /* later means it was replaced or rotated under the process */
};

struct sq_conn {
    struct sq_backend *b;
    sqlite3 *db;
    sqlite3_stmt *st[CS_Q_COUNT];
    int lock_fd;
    int locked;
};

static const char *const schema_sql =
    "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ledger(seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, payload TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS heads(record TEXT PRIMARY KEY, version INTEGER NOT NULL, digest TEXT NOT NULL,"
    " previous TEXT NOT NULL, form TEXT NOT NULL, actor TEXT NOT NULL, time TEXT NOT NULL, key TEXT NOT NULL,"
    " seq INTEGER NOT NULL, confirmed INTEGER NOT NULL DEFAULT 0, confirmed_digest TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE IF NOT EXISTS prints(id INTEGER PRIMARY KEY, pid INTEGER NOT NULL, fp TEXT NOT NULL,"
    " record TEXT NOT NULL, section TEXT NOT NULL, team TEXT NOT NULL, version INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS prints_pid ON prints(pid);"
    "CREATE TABLE IF NOT EXISTS postings(value INTEGER NOT NULL, print INTEGER NOT NULL,"
    " PRIMARY KEY(value, print)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS vals(value INTEGER PRIMARY KEY, ai INTEGER NOT NULL, df INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS counted(pid INTEGER PRIMARY KEY);"
    "CREATE TABLE IF NOT EXISTS stats(name TEXT PRIMARY KEY, n INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS shorts(token INTEGER PRIMARY KEY);"
    "CREATE TABLE IF NOT EXISTS policies(team TEXT PRIMARY KEY, version INTEGER NOT NULL, digest TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS bundle(one INTEGER PRIMARY KEY CHECK(one = 1), serial INTEGER NOT NULL,"
    " digest TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS checkpoints(size INTEGER PRIMARY KEY, head TEXT NOT NULL, time INTEGER NOT NULL,"
    " text TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS keys(id TEXT PRIMARY KEY, origin TEXT NOT NULL, pub TEXT NOT NULL,"
    " created INTEGER NOT NULL, retired INTEGER NOT NULL, seq INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS jobs(id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL,"
    " detail TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS abandoned(record TEXT NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL,"
    " kept INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY(record, first)) WITHOUT ROWID;";

/* What upgrades a store of schema N to N + 1 (upgrade[N]), run in the
 * write transaction that sets the new version. */
static const char *const upgrade_sql[CS_STORE_SCHEMA] = {
    [1] = "ALTER TABLE heads ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 0;"
          "ALTER TABLE heads ADD COLUMN confirmed_digest TEXT NOT NULL DEFAULT '';"
          "CREATE TABLE IF NOT EXISTS abandoned(record TEXT NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL,"
          " kept INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY(record, first)) WITHOUT ROWID;",
};

static int32_t sq_error(sqlite3 *db, int rc, const char *what)
{
    int code = rc & 0xff;
    const char *msg = db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if (code == SQLITE_NOMEM)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory %s", what);
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
        return cs_fail(CASESCRIBE_EJOURNAL, "the ledger database is damaged (%s): %s; restore it from a backup",
                       what, msg);
    if (code == SQLITE_FULL)
        return cs_fail(CASESCRIBE_EIO, "the disk holding the ledger is full (%s): nothing of this save was "
                                       "written; free some space and save again", what);
    if (code == SQLITE_CONSTRAINT)
        return cs_fail(CASESCRIBE_ECONFLICT, "the ledger refused a write (%s): %s", what, msg);
    return cs_fail(CASESCRIBE_EIO, "the ledger database failed (%s): %s", what, msg);
}

static int32_t sq_run(sqlite3 *db, const char *sql, const char *what)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? CASESCRIBE_OK : sq_error(db, rc, what);
}

static void sq_disconnect(void *conn, int forked)
{
    struct sq_conn *c = conn;
    if (c == NULL)
        return;
    /* A forked child must not close its parent's connections: closing the
     * last one checkpoints and removes the WAL. The memory is left. */
    if (forked)
        return;
    for (int i = 0; i < CS_Q_COUNT; i++)
        sqlite3_finalize(c->st[i]);
    sqlite3_close_v2(c->db);
    if (c->lock_fd >= 0)
        close(c->lock_fd);
    free(c);
}

/* Settings every connection needs: they do not persist in the file. */
static int32_t sq_configure(struct sq_conn *c)
{
    const char *sync = (c->b->flags & CS_STORE_NO_SYNC) ? "PRAGMA synchronous=OFF;" : "PRAGMA synchronous=FULL;";
    sqlite3_busy_timeout(c->db, SQ_BUSY_MS);
    int32_t rc = sq_run(c->db, sync, "setting synchronous");
    if (rc == CASESCRIBE_OK)
        rc = sq_run(c->db, "PRAGMA foreign_keys=OFF; PRAGMA trusted_schema=OFF; PRAGMA temp_store=MEMORY;",
                    "setting pragmas");
    return rc;
}

/* The path still names the file this store opened (see the top). */
static int32_t sq_same_file(const struct sq_backend *b)
{
    struct stat sb;
    if (stat(b->path, &sb) != 0)
        return cs_fail(CASESCRIBE_EJOURNAL,
                       "the ledger %s was moved or deleted while this process had it open (%s): nothing was "
                       "written; put the right ledger back, then close and reopen the context (restart the host)",
                       b->path, strerror(errno));
    if (sb.st_dev != b->dev || sb.st_ino != b->ino)
        return cs_fail(CASESCRIBE_EJOURNAL,
                       "the ledger %s was replaced by another file (a restore, a rotation) while this process had "
                       "it open: nothing was written to either; close and reopen the context (restart the host)",
                       b->path);
    return CASESCRIBE_OK;
}

/* A read-only open creates nothing in the home. When a -wal file is beside
 * the ledger (a process has it open, or one crashed), it is read through
 * that WAL and its -shm, which exist; else the file alone holds every
 * commit and is opened immutable (SQLite would otherwise create -wal and
 * -shm, or fail in a read-only folder). */
static char *sq_read_only_uri(const char *path)
{
    char wal[4200];
    int has_wal = snprintf(wal, sizeof(wal), "%s-wal", path) < (int)sizeof(wal) && access(wal, F_OK) == 0;
    size_t cap = strlen(path) * 3 + 32, at = 0; /* "file:", each byte escaped at most, the query */
    char *uri = malloc(cap);
    if (uri == NULL)
        return NULL;
    at += (size_t)snprintf(uri, cap, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p != '\0'; p++)
        at += (size_t)snprintf(uri + at, cap - at, strchr("%?#", *p) != NULL ? "%%%02X" : "%c", *p);
    snprintf(uri + at, cap - at, "%s", has_wal ? "?mode=ro" : "?mode=ro&immutable=1");
    return uri;
}

static int32_t sq_connect(void *backend, void **out)
{
    struct sq_backend *b = backend;
    struct sq_conn *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    c->b = b;
    c->lock_fd = -1;
    int ro = (b->flags & CS_STORE_READ_ONLY) != 0;
    int flags = (ro ? SQLITE_OPEN_READONLY | SQLITE_OPEN_URI : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX;
    char *uri = ro ? sq_read_only_uri(b->path) : NULL;
    int rc = ro && uri == NULL ? SQLITE_NOMEM : sqlite3_open_v2(ro ? uri : b->path, &c->db, flags, NULL);
    free(uri);
    int32_t r = rc == SQLITE_OK ? CASESCRIBE_OK : sq_error(c->db, rc, "opening the ledger");
    if (r == CASESCRIBE_OK && !ro &&
        (c->lock_fd = open(b->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
        r = cs_fail(CASESCRIBE_EIO, "cannot open %s: %s", b->lock_path, strerror(errno));
    if (r == CASESCRIBE_OK)
        r = sq_configure(c);
    if (r == CASESCRIBE_OK && b->ino != 0)
        r = sq_same_file(b);
    if (r != CASESCRIBE_OK) {
        sq_disconnect(c, 0);
        return r;
    }
    *out = c;
    return CASESCRIBE_OK;
}

static int32_t sq_lock(struct sq_conn *c)
{
    if (c->lock_fd < 0)
        return cs_fail(CASESCRIBE_EIO, "the ledger %s is open read-only", c->b->path);
    while (flock(c->lock_fd, LOCK_EX) != 0)
        if (errno != EINTR)
            return cs_fail(CASESCRIBE_EIO, "cannot lock %s: %s", c->b->lock_path, strerror(errno));
    c->locked = 1;
    return CASESCRIBE_OK;
}

static void sq_unlock(struct sq_conn *c)
{
    if (c->locked)
        flock(c->lock_fd, LOCK_UN);
    c->locked = 0;
}

static int32_t sq_begin(void *conn, int mode)
{
    struct sq_conn *c = conn;
    int32_t rc = mode == CS_STORE_WRITE ? sq_lock(c) : CASESCRIBE_OK;
    if (rc == CASESCRIBE_OK && c->b->ino != 0)
        rc = sq_same_file(c->b);
    if (rc == CASESCRIBE_OK)
        rc = sq_run(c->db, mode == CS_STORE_WRITE ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED",
                    mode == CS_STORE_WRITE ? "starting a write" : "starting a read");
    if (rc != CASESCRIBE_OK)
        sq_unlock(c);
    return rc;
}

static void sq_rollback(void *conn)
{
    struct sq_conn *c = conn;
    if (!sqlite3_get_autocommit(c->db))
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    sq_unlock(c);
}

static int32_t sq_commit(void *conn)
{
    struct sq_conn *c = conn;
    int32_t rc = sq_run(c->db, "COMMIT", "committing");
    if (rc != CASESCRIBE_OK)
        sq_rollback(c); /* a failed COMMIT may leave the transaction open */
    sq_unlock(c);
    return rc;
}

static int32_t sq_now(void *conn, int64_t *now)
{
    (void)conn;
    *now = cs_now();
    return CASESCRIBE_OK;
}

static int32_t sq_lock_record(void *conn, const char *record)
{
    (void)conn; /* the write transaction holds the whole store */
    (void)record;
    return CASESCRIBE_OK;
}

static int32_t sq_prepare(struct sq_conn *c, int stmt)
{
    if (c->st[stmt] != NULL)
        return CASESCRIBE_OK;
    int rc = sqlite3_prepare_v3(c->db, cs_store_sql[stmt], -1, SQLITE_PREPARE_PERSISTENT, &c->st[stmt], NULL);
    return rc == SQLITE_OK ? CASESCRIBE_OK : sq_error(c->db, rc, "preparing a statement");
}

static int sq_bind(sqlite3_stmt *st, const cs_val *args, int nargs)
{
    int rc = SQLITE_OK;
    for (int i = 0; rc == SQLITE_OK && i < nargs; i++) {
        if (args[i].type == CS_VAL_INT)
            rc = sqlite3_bind_int64(st, i + 1, args[i].i);
        else if (args[i].type == CS_VAL_TEXT)
            rc = sqlite3_bind_text(st, i + 1, args[i].s, (int)args[i].len, SQLITE_STATIC);
        else
            rc = sqlite3_bind_null(st, i + 1);
    }
    return rc;
}

#define SQ_MAX_COLS 10

static int32_t sq_row(sqlite3_stmt *st, cs_row_fn row, void *user)
{
    cs_val cols[SQ_MAX_COLS];
    int n = sqlite3_column_count(st);
    n = n > SQ_MAX_COLS ? SQ_MAX_COLS : n;
    for (int i = 0; i < n; i++) {
        int type = sqlite3_column_type(st, i);
        cols[i] = (cs_val){CS_VAL_NULL, 0, NULL, 0};
        if (type == SQLITE_INTEGER) {
            cols[i] = CS_INT(sqlite3_column_int64(st, i));
        } else if (type != SQLITE_NULL) {
            const char *s = (const char *)sqlite3_column_text(st, i);
            if (s == NULL)
                return cs_fail(CASESCRIBE_ENOMEM, "out of memory reading the ledger");
            cols[i] = (cs_val){CS_VAL_TEXT, 0, s, (size_t)sqlite3_column_bytes(st, i)};
        }
    }
    return row(cols, n, user);
}

static int32_t sq_exec(void *conn, int stmt, const cs_val *args, int nargs, cs_row_fn row, void *user,
                       int64_t *changes)
{
    struct sq_conn *c = conn;
    int32_t r = sq_prepare(c, stmt);
    if (r != CASESCRIBE_OK)
        return r;
    sqlite3_stmt *st = c->st[stmt];
    int rc = sq_bind(st, args, nargs);
    if (rc != SQLITE_OK)
        r = sq_error(c->db, rc, "binding a value");
    while (r == CASESCRIBE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        r = row != NULL ? sq_row(st, row, user) : CASESCRIBE_OK;
    if (r == CASESCRIBE_OK && rc != SQLITE_DONE)
        r = sq_error(c->db, rc, "running a statement");
    if (r == CASESCRIBE_OK && changes != NULL)
        *changes = sqlite3_changes64(c->db);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return r;
}

static int32_t read_schema(const cs_val *cols, int n, void *user)
{
    *(int64_t *)user = n > 0 && cols[0].type == CS_VAL_TEXT ? strtoll(cols[0].s, NULL, 10) : -1;
    return CASESCRIBE_OK;
}

/* Creates the tables of a new store or checks an existing one's version. */
static int32_t sq_schema(struct sq_conn *c)
{
    int ro = (c->b->flags & CS_STORE_READ_ONLY) != 0;
    int64_t version = 0;
    /* A new ledger gets small pages (SQLite's default is 4 KiB): once the
     * index outgrows memory, each sketch value a save counts or files
     * lands on a page of its own, which the WAL writes and fsyncs whole;
     * a 1 KiB page is a quarter of the bytes (bench_ledger at 1M entries:
     * the first save's commit syncs in 4-6 ms instead of 11-14 ms). A cold
     * disk cache reads more of the smaller pages; a process that has run a
     * while has them. A ledger with pages keeps its size. */
    int32_t rc = ro ? CASESCRIBE_OK
                    : sq_run(c->db, "PRAGMA page_size=" SQ_PAGE_SIZE "; PRAGMA journal_mode=WAL", "setting WAL");
    if (rc == CASESCRIBE_OK)
        rc = sq_begin(c, ro ? CS_STORE_READ : CS_STORE_WRITE);
    if (rc != CASESCRIBE_OK)
        return rc;
    cs_val name = CS_TEXT("schema");
    int has_meta = sqlite3_table_column_metadata(c->db, NULL, "meta", NULL, NULL, NULL, NULL, NULL, NULL) == SQLITE_OK;
    rc = has_meta ? sq_exec(c, CS_Q_META_GET, &name, 1, read_schema, &version, NULL) : CASESCRIBE_OK;
    if (rc == CASESCRIBE_OK && version > CS_STORE_SCHEMA)
        rc = cs_fail(CASESCRIBE_EJOURNAL,
                     "the ledger %s has schema version %lld, newer than this library's %d: use a newer library",
                     c->b->path, (long long)version, CS_STORE_SCHEMA);
    if (rc == CASESCRIBE_OK && version <= 0 && ro)
        rc = cs_fail(CASESCRIBE_EJOURNAL, "the ledger %s has no schema and is opened read-only", c->b->path);
    if (rc == CASESCRIBE_OK && version > 0 && version < CS_STORE_SCHEMA && ro)
        rc = cs_fail(CASESCRIBE_EJOURNAL, "the ledger %s has schema version %lld, older than this library's %d, and "
                     "is opened read-only: open it once read-write to upgrade it", c->b->path, (long long)version,
                     CS_STORE_SCHEMA);
    if (rc == CASESCRIBE_OK && version <= 0)
        rc = sq_run(c->db, schema_sql, "creating the ledger");
    for (int64_t v = version; rc == CASESCRIBE_OK && v > 0 && v < CS_STORE_SCHEMA; v++)
        rc = sq_run(c->db, upgrade_sql[v], "upgrading the ledger's schema");
    if (rc == CASESCRIBE_OK && version < CS_STORE_SCHEMA) {
        char v[16];
        snprintf(v, sizeof(v), "%d", CS_STORE_SCHEMA);
        cs_val args[2] = {CS_TEXT("schema"), CS_TEXT(v)};
        rc = sq_exec(c, CS_Q_META_SET, args, 2, NULL, NULL, NULL);
    }
    if (rc != CASESCRIBE_OK) {
        sq_rollback(c);
        return rc;
    }
    return ro ? (sq_rollback(c), CASESCRIBE_OK) : sq_commit(c);
}

/* The database file is made 0600 before SQLite opens it (its -wal and -shm
 * files take the same mode). */
static int32_t sq_create_file(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno == EEXIST)
        return CASESCRIBE_OK;
    if (fd < 0)
        return cs_fail(CASESCRIBE_EIO, "cannot create %s: %s", path, strerror(errno));
    close(fd);
    return cs_fsync_parent(path) == 0 ? CASESCRIBE_OK
                                      : cs_fail(CASESCRIBE_EIO, "cannot sync the folder of %s", path);
}

/* Called once the first connection opened the file: which file it is. */
static int32_t sq_remember_file(struct sq_backend *b)
{
    struct stat sb;
    if (stat(b->path, &sb) != 0)
        return cs_fail(CASESCRIBE_EIO, "cannot read %s: %s", b->path, strerror(errno));
    b->dev = sb.st_dev;
    b->ino = sb.st_ino;
    return CASESCRIBE_OK;
}

static void sq_close(void *backend, int forked)
{
    struct sq_backend *b = backend;
    (void)forked;
    if (b == NULL)
        return;
    free(b->path);
    free(b->lock_path);
    free(b);
}

static char *join(const char *home, const char *name)
{
    size_t n = strlen(home) + strlen(name) + 2;
    char *p = malloc(n);
    if (p != NULL)
        snprintf(p, n, "%s/%s", home, name);
    return p;
}

static int32_t sq_open(void **out, char **location, const char *home, uint32_t flags)
{
    struct sq_backend *b = calloc(1, sizeof(*b));
    if (b == NULL || (b->path = join(home, "ledger.db")) == NULL || (b->lock_path = join(home, "ledger.lock")) == NULL ||
        (*location = cs_strdup(b->path)) == NULL) {
        sq_close(b, 0);
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    }
    b->flags = flags;
    int32_t rc = (flags & CS_STORE_READ_ONLY) ? CASESCRIBE_OK : sq_create_file(b->path);
    struct sq_conn *c = NULL;
    if (rc == CASESCRIBE_OK)
        rc = sq_connect(b, (void **)&c);
    if (rc == CASESCRIBE_OK)
        rc = sq_remember_file(b);
    if (rc == CASESCRIBE_OK)
        rc = sq_schema(c);
    sq_disconnect(c, 0);
    if (rc != CASESCRIBE_OK) {
        free(*location);
        *location = NULL;
        sq_close(b, 0);
        return rc;
    }
    *out = b;
    return CASESCRIBE_OK;
}

const cs_store_ops cs_store_sqlite_ops = {
    .name = "sqlite",
    .batch = 1, /* see backend.h */
    .open = sq_open,
    .close = sq_close,
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .now = sq_now,
    .lock_record = sq_lock_record,
    .exec = sq_exec,
};
