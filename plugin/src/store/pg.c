/* SPDX-License-Identifier: Apache-2.0 */
/* pg.c - the shared store backend: one PostgreSQL database (libpq) that
 * every server of a council uses, so that they share one ledger.
 *
 * The store is named by a libpq connection string or URI
 * ("postgresql://host/db?sslmode=verify-full", "service=NAME"): credentials
 * come from libpq's own places (the service file, ~/.pgpass), never from
 * this code, and the string is never put in a message (only the database
 * and host names are). Every connection gets a connect timeout (unless the
 * string sets one) and a statement timeout, so a save never waits forever.
 *
 * Statements are store.c's, with `?` turned into $1, $2 ... once, and
 * prepared per connection on first use. A write transaction takes one
 * transaction-scoped advisory lock (CS_PG_WRITER_LOCK) right after BEGIN:
 * writers of every server queue there, fairly, as SQLite's writers queue
 * on the home's flock, so the ledger's tail, the record heads and the
 * laundering index a save reads are what it writes against, and the hash
 * chain never forks (ledger.seq is the primary key besides). A read
 * transaction is REPEATABLE READ, READ ONLY: one snapshot.
 *
 * The clock is the database's now() (the transaction's start): one clock
 * for every server. A server whose own clock is more than
 * CASESCRIBE_CLOCK_SKEW away from it refuses to stamp, naming both times.
 *
 * Writes whose result no one reads (row counters, postings, the entry
 * itself) are sent in libpq's pipeline mode and their results read at the
 * next statement that answers, or at COMMIT: a save is then a few round
 * trips, not one per index row. An error among them fails that statement
 * or the COMMIT, so the transaction still fails whole.
 *
 * A broken connection (the server restarted, the network went) fails the
 * transaction it was in with ENETWORK; the next transaction resets it. Only
 * BEGIN is retried (once, after a reset): nothing was done then.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <pthread.h>

#include "casescribe.h"
#include "internal.h"
#include "store/backend.h"

#define CS_PG_WRITER_LOCK "7163917202330520371" /* pg_advisory_xact_lock key of the writers' queue */
#define CS_PG_SCHEMA_LOCK "7163917202330520372" /* held while the schema is created or upgraded */
#define CS_PG_RECORD_LOCK "1667327603"          /* pg_advisory_xact_lock(int, int) class of record locks */
#define CS_PG_CONNECT_TIMEOUT "10"              /* seconds, unless the connection string says */
#define CS_PG_STATEMENT_TIMEOUT "30s"           /* any statement, lock waits included */
#define CS_PG_WALK_BATCH "512"                  /* ledger rows fetched at a time by a walk */
#define CS_PG_MAX_ARGS 64
#define CS_PG_MAX_COLS 12

/* Types of result columns read as integers (pg_type OIDs). */
#define PG_INT8OID 20
#define PG_INT2OID 21
#define PG_INT4OID 23

struct pg_backend {
    char *conninfo;
    uint32_t flags;
    char *where; /* "database D on H", for messages */
    pthread_mutex_t lock;  /* guards spare */
    struct pg_conn *spare; /* the connection open made, for the first connect: one session less */
};

struct pg_conn {
    struct pg_backend *b;
    PGconn *pg;
    unsigned char prepared[CS_Q_COUNT];
    int queued; /* writes sent in pipeline mode whose results are not read yet */
    char warning[256]; /* the server's last WARNING (a commit not confirmed by a synchronous standby) */
};

static const char *const schema_sql =
    "CREATE TABLE IF NOT EXISTS meta(name TEXT COLLATE \"C\" PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ledger(seq BIGINT PRIMARY KEY, hash TEXT NOT NULL, payload TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS heads(record TEXT COLLATE \"C\" PRIMARY KEY, version BIGINT NOT NULL,"
    " digest TEXT NOT NULL, previous TEXT NOT NULL, form TEXT NOT NULL, actor TEXT NOT NULL, time TEXT NOT NULL,"
    " key TEXT NOT NULL, seq BIGINT NOT NULL, confirmed BIGINT NOT NULL DEFAULT 0,"
    " confirmed_digest TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE IF NOT EXISTS prints(id BIGSERIAL PRIMARY KEY, pid BIGINT NOT NULL, fp TEXT NOT NULL,"
    " record TEXT NOT NULL, section TEXT NOT NULL, team TEXT NOT NULL, version BIGINT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS prints_pid ON prints(pid);"
    "CREATE TABLE IF NOT EXISTS postings(value BIGINT NOT NULL, print BIGINT NOT NULL, PRIMARY KEY(value, print));"
    "CREATE TABLE IF NOT EXISTS vals(value BIGINT PRIMARY KEY, ai BIGINT NOT NULL, df BIGINT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS counted(pid BIGINT PRIMARY KEY);"
    "CREATE TABLE IF NOT EXISTS stats(name TEXT COLLATE \"C\" PRIMARY KEY, n BIGINT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS shorts(token BIGINT PRIMARY KEY);"
    "CREATE TABLE IF NOT EXISTS policies(team TEXT COLLATE \"C\" PRIMARY KEY, version BIGINT NOT NULL,"
    " digest TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS bundle(one INTEGER PRIMARY KEY CHECK(one = 1), serial BIGINT NOT NULL,"
    " digest TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS checkpoints(size BIGINT PRIMARY KEY, head TEXT NOT NULL, time BIGINT NOT NULL,"
    " text TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS keys(id TEXT COLLATE \"C\" PRIMARY KEY, origin TEXT NOT NULL, pub TEXT NOT NULL,"
    " created BIGINT NOT NULL, retired BIGINT NOT NULL, seq BIGINT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS jobs(id TEXT COLLATE \"C\" PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL,"
    " detail TEXT NOT NULL, created BIGINT NOT NULL, updated BIGINT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS abandoned(record TEXT COLLATE \"C\" NOT NULL, first BIGINT NOT NULL,"
    " last BIGINT NOT NULL, kept BIGINT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY(record, first));";

/* ---- statements ------------------------------------------------------- */

static char *pg_sql[CS_Q_COUNT];
static pthread_once_t pg_sql_once = PTHREAD_ONCE_INIT;
static int pg_sql_failed;

/* `?` outside quotes becomes $1, $2 ... */
static char *numbered(const char *sql)
{
    size_t cap = strlen(sql) * 2 + 1, at = 0;
    char *out = malloc(cap);
    int n = 0, quoted = 0;
    for (const char *p = sql; out != NULL && *p != '\0'; p++) {
        quoted ^= *p == '\'';
        if (*p == '?' && !quoted)
            at += (size_t)snprintf(out + at, cap - at, "$%d", ++n);
        else
            out[at++] = *p;
    }
    if (out != NULL)
        out[at] = '\0';
    return out;
}

/* The list statements in PostgreSQL's dialect: the JSON array, bound as
 * text, read once as a bigint[] ("[1,2]" spelt "{1,2}"; ARRAY(SELECT ...)
 * makes it an init plan, not an expression a scan would work out again per
 * row), so that "= ANY" takes the index whatever the table's size. */
#define PG_ARRAY(n) "ARRAY(SELECT unnest(translate($" #n "::text, '[]', '{}')::bigint[]))"
static const char *const pg_own[CS_Q_COUNT] = {
    [CS_Q_VALUE_DF_LIST] = "INSERT INTO vals(value, ai, df) SELECT unnest(" PG_ARRAY(1) "), 0, 1 "
                           "ON CONFLICT(value) DO UPDATE SET df = vals.df + 1",
    [CS_Q_POSTING_ADD_LIST] = "INSERT INTO postings(value, print) SELECT unnest(" PG_ARRAY(2) "), $1::bigint "
                              "ON CONFLICT(value, print) DO NOTHING",
    [CS_Q_VALUES_GET_LIST] = "SELECT value, df FROM vals WHERE value = ANY(" PG_ARRAY(1) ")",
    /* Counted on the server: only the prints that reach the least number
     * of hits cross the network, once each. */
    [CS_Q_POSTINGS_LIST] = "SELECT print, count(*) FROM postings WHERE value = ANY(" PG_ARRAY(1) ") AND print > $3 "
                           "GROUP BY print HAVING count(*) >= $2",
};

static void translate_all(void)
{
    for (int i = 0; i < CS_Q_COUNT; i++)
        if ((pg_sql[i] = pg_own[i] != NULL ? strdup(pg_own[i]) : numbered(cs_store_sql[i])) == NULL)
            pg_sql_failed = 1;
}

static int32_t statements(void)
{
    if (pthread_once(&pg_sql_once, translate_all) != 0 || pg_sql_failed)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory preparing the store's statements");
    return CASESCRIBE_OK;
}

/* ---- errors ----------------------------------------------------------- */

/* libpq's message, on one line and bounded. */
static void one_line(char out[256], const char *msg)
{
    snprintf(out, 256, "%s", msg != NULL && msg[0] != '\0' ? msg : "no detail");
    for (char *p = out; *p != '\0'; p++)
        if (*p == '\n' || *p == '\r')
            *p = (p[1] == '\0') ? '\0' : ' ';
}

static int32_t pg_error(struct pg_conn *c, const PGresult *res, const char *what)
{
    char msg[256];
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    one_line(msg, res != NULL && PQresultErrorMessage(res)[0] != '\0' ? PQresultErrorMessage(res)
                                                                       : PQerrorMessage(c->pg));
    /* No SQLSTATE: libpq's own error, not the server's (the connection
     * closed under a statement before libpq marked it bad). */
    int local = res != NULL && state == NULL && PQresultStatus(res) == PGRES_FATAL_ERROR;
    if (PQstatus(c->pg) != CONNECTION_OK || local || (state != NULL && (strncmp(state, "08", 2) == 0 ||
                                                                       strncmp(state, "57P", 3) == 0)))
        return cs_fail(CASESCRIBE_ENETWORK, "the shared store (%s) is unreachable (%s): %s; nothing of it was "
                       "kept unless the save was acknowledged; it reconnects at the next call", c->b->where, what, msg);
    if (state != NULL && strcmp(state, "23505") == 0)
        return cs_fail(CASESCRIBE_ECONFLICT, "the ledger refused a write (%s): %s", what, msg);
    if (state != NULL && strcmp(state, "57014") == 0)
        return cs_fail(CASESCRIBE_EIO, "the shared store (%s) did not answer in %s (%s): nothing of this was "
                       "written; try again", c->b->where, CS_PG_STATEMENT_TIMEOUT, what);
    if (state != NULL && strcmp(state, "53100") == 0)
        return cs_fail(CASESCRIBE_EIO, "the disk of the shared store (%s) is full (%s): nothing of this save was "
                       "written", c->b->where, what);
    return cs_fail(CASESCRIBE_EIO, "the shared store (%s) failed (%s): %s", c->b->where, what, msg);
}

/* Runs plain SQL (no parameters); OK when it returned what `want` says. */
static int32_t pg_simple(struct pg_conn *c, const char *sql, ExecStatusType want, const char *what)
{
    PGresult *res = PQexec(c->pg, sql);
    int32_t rc = PQresultStatus(res) == want ? CASESCRIBE_OK : pg_error(c, res, what);
    PQclear(res);
    return rc;
}

/* ---- connections ------------------------------------------------------ */

static void pg_disconnect(void *conn, int forked)
{
    struct pg_conn *c = conn;
    if (c == NULL)
        return;
    /* A forked child must not end its parent's sessions: the socket is
     * shared, and a Terminate message would close the parent's. */
    if (!forked)
        PQfinish(c->pg);
    free(c);
}

/* Reads the results of the queued writes (in order, up to the sync) and
 * leaves pipeline mode; the first error, if any. */
static int32_t pg_drain(struct pg_conn *c)
{
    if (c->queued == 0)
        return CASESCRIBE_OK;
    int32_t rc = PQpipelineSync(c->pg) == 1 ? CASESCRIBE_OK : pg_error(c, NULL, "sending writes");
    int ends = 0, synced = rc != CASESCRIBE_OK; /* no sync sent: nothing to wait for */
    while (!synced && PQstatus(c->pg) == CONNECTION_OK && ends <= c->queued) {
        PGresult *res = PQgetResult(c->pg);
        if (res == NULL) { /* the end of one write's results */
            ends++;
            continue;
        }
        ExecStatusType st = PQresultStatus(res);
        synced = st == PGRES_PIPELINE_SYNC;
        if (rc == CASESCRIBE_OK && !synced && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
            rc = pg_error(c, res, "writing the ledger");
        PQclear(res);
    }
    c->queued = 0;
    if (rc == CASESCRIBE_OK && !synced)
        rc = pg_error(c, NULL, "reading the results of writes");
    if (PQstatus(c->pg) == CONNECTION_OK && PQexitPipelineMode(c->pg) != 1 && rc == CASESCRIBE_OK)
        rc = pg_error(c, NULL, "leaving pipeline mode");
    return rc;
}

/* Per-session settings; run again after every reset. */
static int32_t pg_configure(struct pg_conn *c)
{
    memset(c->prepared, 0, sizeof(c->prepared));
    c->queued = 0;
    const char *sql = (c->b->flags & CS_STORE_NO_SYNC)
                          ? "SET statement_timeout = '" CS_PG_STATEMENT_TIMEOUT "'; SET synchronous_commit = off; "
                            "SET client_min_messages = warning"
                          : "SET statement_timeout = '" CS_PG_STATEMENT_TIMEOUT "'; SET synchronous_commit = on; "
                            "SET client_min_messages = warning"; /* pg_commit must see a commit's warning */
    return pg_simple(c, sql, PGRES_COMMAND_OK, "setting the session up");
}

/* A library prints nothing: the server's notices are dropped, but a
 * WARNING is kept for pg_commit, which must not acknowledge a commit the
 * server says it did not finish as configured. */
static void notice(void *user, const PGresult *res)
{
    struct pg_conn *c = user;
    const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (severity == NULL) /* a server before 9.6: the localised field */
        severity = PQresultErrorField(res, PG_DIAG_SEVERITY);
    if (severity != NULL && strcmp(severity, "WARNING") == 0)
        one_line(c->warning, PQresultErrorMessage(res));
}

static int32_t pg_connect(void *backend, void **out)
{
    struct pg_backend *b = backend;
    pthread_mutex_lock(&b->lock);
    struct pg_conn *c = b->spare;
    b->spare = NULL;
    pthread_mutex_unlock(&b->lock);
    if (c != NULL) { /* a broken one is reset by the first begin */
        *out = c;
        return CASESCRIBE_OK;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    c->b = b;
    /* Entries before dbname are defaults the connection string may override. */
    const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *vals[] = {CS_PG_CONNECT_TIMEOUT, "casescribe", b->conninfo, NULL};
    c->pg = PQconnectdbParams(keys, vals, 1);
    int32_t rc = CASESCRIBE_OK;
    if (c->pg == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory connecting to the shared store");
    else if (PQstatus(c->pg) != CONNECTION_OK)
        rc = pg_error(c, NULL, "connecting");
    if (c->pg != NULL)
        PQsetNoticeReceiver(c->pg, notice, c);
    if (rc == CASESCRIBE_OK)
        rc = pg_configure(c);
    if (rc != CASESCRIBE_OK) {
        pg_disconnect(c, 0);
        return rc;
    }
    *out = c;
    return CASESCRIBE_OK;
}

/* A connection that broke is reset (bounded by the connect timeout). */
static int32_t pg_alive(struct pg_conn *c)
{
    /* Still in pipeline mode: a drain that broke off left results unread
     * (the connection failed under it), so the session is not usable. */
    if (PQstatus(c->pg) == CONNECTION_OK && PQpipelineStatus(c->pg) == PQ_PIPELINE_OFF)
        return CASESCRIBE_OK;
    PQreset(c->pg); /* pg_configure then forgets the old session's statements */
    if (PQstatus(c->pg) != CONNECTION_OK)
        return pg_error(c, NULL, "reconnecting");
    return pg_configure(c);
}

/* ---- transactions ----------------------------------------------------- */

static int32_t pg_begin_once(struct pg_conn *c, int mode)
{
    if (mode == CS_STORE_READ)
        return pg_simple(c, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", PGRES_COMMAND_OK, "starting a read");
    if (c->b->flags & CS_STORE_READ_ONLY)
        return cs_fail(CASESCRIBE_EIO, "the shared store (%s) is open read-only", c->b->where);
    if (mode == CS_STORE_WRITE_LATE) /* it queues at pg_serialize */
        return pg_simple(c, "BEGIN ISOLATION LEVEL READ COMMITTED", PGRES_COMMAND_OK, "starting a write");
    /* The last statement's result is the lock's row. */
    return pg_simple(c, "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(" CS_PG_WRITER_LOCK ")",
                     PGRES_TUPLES_OK, "waiting for the writers before this one");
}

static void pg_rollback(void *conn)
{
    struct pg_conn *c = conn;
    if (pg_drain(c) != CASESCRIBE_OK)
        cs_clear_error(); /* undone anyway */
    if (PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        PQclear(PQexec(c->pg, "ROLLBACK"));
}

static int32_t pg_begin(void *conn, int mode)
{
    struct pg_conn *c = conn;
    int32_t rc = pg_alive(c);
    if (rc == CASESCRIBE_OK && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        pg_rollback(c); /* never start inside a transaction left open */
    if (rc == CASESCRIBE_OK)
        rc = pg_begin_once(c, mode);
    if (rc == CASESCRIBE_ENETWORK) { /* BEGIN did nothing: once more on a fresh connection */
        cs_clear_error();
        PQreset(c->pg);
        rc = PQstatus(c->pg) == CONNECTION_OK ? pg_configure(c) : pg_error(c, NULL, "reconnecting");
        if (rc == CASESCRIBE_OK)
            rc = pg_begin_once(c, mode);
    }
    if (rc != CASESCRIBE_OK)
        pg_rollback(c);
    return rc;
}

static int32_t pg_commit(void *conn)
{
    struct pg_conn *c = conn;
    int32_t drained = pg_drain(c);
    if (drained != CASESCRIBE_OK) {
        pg_rollback(c);
        return drained;
    }
    c->warning[0] = '\0';
    PGresult *res = PQexec(c->pg, "COMMIT");
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(res), "COMMIT") == 0;
    /* Broken, or failed without the server's SQLSTATE: the outcome is unknown. */
    int unknown = !ok && (PQstatus(c->pg) != CONNECTION_OK ||
                          (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultErrorField(res, PG_DIAG_SQLSTATE) == NULL));
    int32_t rc = CASESCRIBE_OK;
    if (ok && c->warning[0] != '\0') /* e.g. the wait for a synchronous standby was cancelled */
        rc = cs_fail(CASESCRIBE_ENETWORK, "the shared store (%s) committed with a warning: %s; this is not "
                     "acknowledged, as it may not be where the database is configured to keep it (a synchronous "
                     "standby): once the database is whole, check the ledger (casescribe journal verify) before "
                     "trying again; a save sent again as the same copy is recognised", c->b->where, c->warning);
    else if (unknown)
        rc = cs_fail(CASESCRIBE_ENETWORK, "the connection to the shared store (%s) broke while committing: this "
                     "save may or may not be in the ledger; save the same copy again (a repeat of a committed save "
                     "is recognised)", c->b->where);
    else if (!ok)
        rc = PQresultStatus(res) == PGRES_COMMAND_OK
                 ? cs_fail(CASESCRIBE_EIO, "the shared store (%s) rolled the transaction back", c->b->where)
                 : pg_error(c, res, "committing");
    PQclear(res);
    if (rc != CASESCRIBE_OK)
        pg_rollback(c);
    return rc;
}

/* The local clock's offset for tests of the skew check (never set in use). */
static int64_t local_offset(void)
{
    const char *v = getenv("CASESCRIBE_TEST_CLOCK_OFFSET");
    return v != NULL ? strtoll(v, NULL, 10) : 0;
}

static int32_t pg_now(void *conn, int64_t *now)
{
    struct pg_conn *c = conn;
    int32_t drained = pg_drain(c);
    if (drained != CASESCRIBE_OK)
        return drained;
    PGresult *res = PQexec(c->pg, "SELECT floor(extract(epoch FROM statement_timestamp()))::bigint");
    int32_t rc = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 ? CASESCRIBE_OK
                                                                               : pg_error(c, res, "reading the clock");
    int64_t db = rc == CASESCRIBE_OK ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    PQclear(res);
    int64_t local = cs_now() + local_offset();
    if (rc == CASESCRIBE_OK && (local - db > CASESCRIBE_CLOCK_SKEW || db - local > CASESCRIBE_CLOCK_SKEW)) {
        char l[21], d[21];
        cs_format_time(l, local);
        cs_format_time(d, db);
        rc = cs_fail(CASESCRIBE_ECONFLICT, "this server's clock says %s but the shared store's clock (%s) says %s: "
                     "more than %u seconds apart, so nothing is stamped here; correct this server's clock",
                     l, c->b->where, d, (unsigned)CASESCRIBE_CLOCK_SKEW);
    }
    *now = db;
    return rc;
}

/* A write joins the writers' queue (CS_STORE_WRITE_LATE). */
static int32_t pg_serialize(void *conn)
{
    int32_t rc = pg_drain(conn);
    return rc == CASESCRIBE_OK ? pg_simple(conn, "SELECT pg_advisory_xact_lock(" CS_PG_WRITER_LOCK ")",
                                           PGRES_TUPLES_OK, "waiting for the writers before this one")
                               : rc;
}

/* Holds `record` until the transaction ends: a lock of the pair form
 * (class, hash), apart from the writers' one-key lock. A write that queued
 * at begin holds the whole store already. Records whose names hash alike
 * only wait for each other. */
static int32_t pg_lock_record(void *conn, const char *record)
{
    struct pg_conn *c = conn;
    const char *v[1] = {record};
    int32_t drained = pg_drain(c);
    if (drained != CASESCRIBE_OK)
        return drained;
    PGresult *res = PQexecParams(c->pg, "SELECT pg_advisory_xact_lock(" CS_PG_RECORD_LOCK ", hashtext($1))", 1, NULL,
                                 v, NULL, NULL, 0);
    int32_t rc = PQresultStatus(res) == PGRES_TUPLES_OK ? CASESCRIBE_OK : pg_error(c, res, "waiting for the record");
    PQclear(res);
    return rc;
}

/* ---- running statements ----------------------------------------------- */

struct pg_args {
    const char *v[CS_PG_MAX_ARGS];
    int len[CS_PG_MAX_ARGS], fmt[CS_PG_MAX_ARGS];
    char num[CS_PG_MAX_ARGS][24];
};

/* Integers as decimal text; text as its bytes (binary format: no NUL needed). */
static void pg_bind(struct pg_args *a, const cs_val *args, int nargs)
{
    for (int i = 0; i < nargs; i++) {
        a->v[i] = NULL;
        a->len[i] = 0;
        a->fmt[i] = 0;
        if (args[i].type == CS_VAL_INT) {
            snprintf(a->num[i], sizeof(a->num[i]), "%lld", (long long)args[i].i);
            a->v[i] = a->num[i];
        } else if (args[i].type == CS_VAL_TEXT) {
            a->v[i] = args[i].len > 0 ? args[i].s : "";
            a->len[i] = (int)args[i].len;
            a->fmt[i] = 1;
        }
    }
}

static int32_t pg_rows(const PGresult *res, cs_row_fn row, void *user)
{
    int n = PQnfields(res) > CS_PG_MAX_COLS ? CS_PG_MAX_COLS : PQnfields(res);
    int32_t rc = CASESCRIBE_OK;
    for (int r = 0; rc == CASESCRIBE_OK && r < PQntuples(res); r++) {
        cs_val cols[CS_PG_MAX_COLS];
        for (int i = 0; i < n; i++) {
            Oid t = PQftype(res, i);
            if (PQgetisnull(res, r, i))
                cols[i] = (cs_val){CS_VAL_NULL, 0, NULL, 0};
            else if (t == PG_INT8OID || t == PG_INT4OID || t == PG_INT2OID)
                cols[i] = CS_INT(strtoll(PQgetvalue(res, r, i), NULL, 10));
            else
                cols[i] = (cs_val){CS_VAL_TEXT, 0, PQgetvalue(res, r, i), (size_t)PQgetlength(res, r, i)};
        }
        rc = row(cols, n, user);
    }
    return rc;
}

static int32_t pg_prepare(struct pg_conn *c, int stmt)
{
    if (c->prepared[stmt])
        return CASESCRIBE_OK;
    char name[16];
    snprintf(name, sizeof(name), "q%d", stmt);
    PGresult *res = PQprepare(c->pg, name, pg_sql[stmt], 0, NULL);
    int32_t rc = PQresultStatus(res) == PGRES_COMMAND_OK ? CASESCRIBE_OK : pg_error(c, res, "preparing a statement");
    PQclear(res);
    c->prepared[stmt] = rc == CASESCRIBE_OK;
    return rc;
}

static int32_t pg_result(struct pg_conn *c, PGresult *res, cs_row_fn row, void *user, int64_t *changes)
{
    ExecStatusType st = PQresultStatus(res);
    int32_t rc = st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK ? CASESCRIBE_OK : pg_error(c, res, "running a statement");
    if (rc == CASESCRIBE_OK && row != NULL)
        rc = pg_rows(res, row, user);
    if (rc == CASESCRIBE_OK && changes != NULL)
        *changes = PQcmdTuples(res)[0] != '\0' ? strtoll(PQcmdTuples(res), NULL, 10) : 0;
    PQclear(res);
    return rc;
}

/* A walk reads the ledger through a cursor, a batch at a time: never the
 * whole ledger in memory, and a visitor may stop it early. */
static int32_t pg_walk(struct pg_conn *c, const struct pg_args *a, int nargs, cs_row_fn row, void *user)
{
    char sql[512];
    snprintf(sql, sizeof(sql), "DECLARE cs_walk NO SCROLL CURSOR FOR %s", pg_sql[CS_Q_LEDGER_WALK]);
    int32_t rc = pg_result(c, PQexecParams(c->pg, sql, nargs, NULL, a->v, a->len, a->fmt, 0), NULL, NULL, NULL);
    int more = rc == CASESCRIBE_OK;
    while (more) {
        PGresult *res = PQexec(c->pg, "FETCH " CS_PG_WALK_BATCH " FROM cs_walk");
        more = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0;
        rc = pg_result(c, res, row, user, NULL);
        more = more && rc == CASESCRIBE_OK;
    }
    if (PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) == PQTRANS_INTRANS)
        PQclear(PQexec(c->pg, "CLOSE cs_walk"));
    return rc;
}

static int32_t pg_exec(void *conn, int stmt, const cs_val *args, int nargs, cs_row_fn row, void *user,
                       int64_t *changes)
{
    struct pg_conn *c = conn;
    struct pg_args a;
    if (nargs > CS_PG_MAX_ARGS || stmt < 0 || stmt >= CS_Q_COUNT)
        return cs_fail(CASESCRIBE_EINTERNAL, "a store statement has too many parameters");
    pg_bind(&a, args, nargs);
    int queue = row == NULL && changes == NULL && PQtransactionStatus(c->pg) == PQTRANS_INTRANS;
    int32_t rc = queue && c->prepared[stmt] ? CASESCRIBE_OK : pg_drain(c);
    if (rc == CASESCRIBE_OK && stmt == CS_Q_LEDGER_WALK)
        return pg_walk(c, &a, nargs, row, user);
    if (rc == CASESCRIBE_OK)
        rc = pg_prepare(c, stmt);
    if (rc != CASESCRIBE_OK)
        return rc;
    char name[16];
    snprintf(name, sizeof(name), "q%d", stmt);
    if (!queue)
        return pg_result(c, PQexecPrepared(c->pg, name, nargs, a.v, a.len, a.fmt, 0), row, user, changes);
    if (c->queued == 0 && PQenterPipelineMode(c->pg) != 1)
        return pg_error(c, NULL, "entering pipeline mode");
    if (PQsendQueryPrepared(c->pg, name, nargs, a.v, a.len, a.fmt, 0) != 1)
        return pg_error(c, NULL, "sending a write");
    c->queued++;
    return CASESCRIBE_OK;
}

/* ---- the schema ------------------------------------------------------- */

static int32_t row_version(const cs_val *cols, int n, void *user)
{
    *(int64_t *)user = n > 0 && cols[0].type == CS_VAL_TEXT ? strtoll(cols[0].s, NULL, 10) : -1;
    return CASESCRIBE_OK;
}

/* The schema's version, 0 when the store has no tables yet. */
static int32_t schema_version(struct pg_conn *c, int64_t *version)
{
    *version = 0;
    PGresult *res = PQexec(c->pg, "SELECT to_regclass('meta') IS NOT NULL");
    int32_t rc = PQresultStatus(res) == PGRES_TUPLES_OK ? CASESCRIBE_OK : pg_error(c, res, "reading the schema");
    int has_meta = rc == CASESCRIBE_OK && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    cs_val name = CS_TEXT("schema");
    return rc == CASESCRIBE_OK && has_meta ? pg_exec(c, CS_Q_META_GET, &name, 1, row_version, version, NULL) : rc;
}

static int32_t check_version(const struct pg_backend *b, int64_t version)
{
    if (version > CS_STORE_SCHEMA)
        return cs_fail(CASESCRIBE_EJOURNAL, "the shared store (%s) has schema version %lld, newer than this "
                       "library's %d: this server refuses to use it; upgrade the library", b->where,
                       (long long)version, CS_STORE_SCHEMA);
    if (version < CS_STORE_SCHEMA && (b->flags & CS_STORE_READ_ONLY))
        return cs_fail(CASESCRIBE_EJOURNAL, "the shared store (%s) has schema version %lld and is opened read-only: "
                       "run `casescribe store migrate` first", b->where, (long long)version);
    return CASESCRIBE_OK;
}

/* A store in a schema of its own (the connection string's
 * options=-csearch_path=NAME: several stores in one database) gets that
 * schema created when missing. A quoted or "$user" first entry is left. */
static int32_t own_schema(struct pg_conn *c)
{
    PGresult *res = PQexec(c->pg, "SELECT btrim(split_part(current_setting('search_path'), ',', 1))");
    int32_t rc = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 ? CASESCRIBE_OK
                                                                               : pg_error(c, res, "reading search_path");
    const char *name = rc == CASESCRIBE_OK ? PQgetvalue(res, 0, 0) : "";
    char *id = name[0] != '\0' && name[0] != '"' && strcmp(name, "public") != 0 ? PQescapeIdentifier(c->pg, name, strlen(name))
                                                                                 : NULL;
    PQclear(res);
    if (rc != CASESCRIBE_OK || id == NULL)
        return rc;
    char sql[256];
    if (snprintf(sql, sizeof(sql), "CREATE SCHEMA IF NOT EXISTS %s", id) >= (int)sizeof(sql))
        rc = cs_fail(CASESCRIBE_EINVAL, "the store's schema name is too long");
    PQfreemem(id);
    return rc == CASESCRIBE_OK ? pg_simple(c, sql, PGRES_COMMAND_OK, "creating the store's schema") : rc;
}

/* Creates the tables of a new store (under the schema lock, so two servers
 * starting together do not race) or checks an existing one's version. */
static int32_t pg_schema(struct pg_conn *c)
{
    int64_t version = 0;
    int ro = (c->b->flags & CS_STORE_READ_ONLY) != 0;
    int32_t rc = ro ? pg_begin_once(c, CS_STORE_READ)
                    : pg_simple(c, "BEGIN; SELECT pg_advisory_xact_lock(" CS_PG_SCHEMA_LOCK ")", PGRES_TUPLES_OK,
                                "waiting for the schema lock");
    if (rc == CASESCRIBE_OK && !ro)
        rc = own_schema(c);
    if (rc == CASESCRIBE_OK)
        rc = schema_version(c, &version);
    if (rc == CASESCRIBE_OK)
        rc = check_version(c->b, version);
    if (rc == CASESCRIBE_OK && version < CS_STORE_SCHEMA) /* the first schema here is the current one */
        rc = pg_simple(c, schema_sql, PGRES_COMMAND_OK, "creating the ledger's tables");
    if (rc == CASESCRIBE_OK && version < CS_STORE_SCHEMA) {
        char v[16];
        snprintf(v, sizeof(v), "%d", CS_STORE_SCHEMA);
        cs_val args[2] = {CS_TEXT("schema"), CS_TEXT(v)};
        rc = pg_exec(c, CS_Q_META_SET, args, 2, NULL, NULL, NULL);
    }
    if (rc != CASESCRIBE_OK || ro) {
        pg_rollback(c);
        return rc;
    }
    return pg_commit(c);
}

/* "database D on H" (no user, no password, no options). H is every host
 * the connection string lists when it lists several (a primary and its
 * standby), so that a message after a failover names both, not the one
 * first connected to. */
static int32_t describe(struct pg_backend *b, PGconn *pg)
{
    const char *db = PQdb(pg), *host = PQhost(pg);
    PQconninfoOption *opts = PQconninfo(pg);
    for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++)
        if (strcmp(o->keyword, "host") == 0 && o->val != NULL && strchr(o->val, ',') != NULL)
            host = o->val;
    size_t n = strlen(db ? db : "") + strlen(host ? host : "") + 32;
    if ((b->where = malloc(n)) != NULL)
        snprintf(b->where, n, "PostgreSQL database %s on %s", db ? db : "?", host && host[0] ? host : "localhost");
    PQconninfoFree(opts);
    return b->where != NULL ? CASESCRIBE_OK : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
}

static void pg_close(void *backend, int forked)
{
    struct pg_backend *b = backend;
    if (b == NULL)
        return;
    pg_disconnect(b->spare, forked);
    pthread_mutex_destroy(&b->lock);
    free(b->conninfo);
    free(b->where);
    free(b);
}

static int32_t pg_open(void **out, char **location, const char *conninfo, uint32_t flags)
{
    int32_t rc = statements();
    struct pg_backend *b = rc == CASESCRIBE_OK ? calloc(1, sizeof(*b)) : NULL;
    if (rc != CASESCRIBE_OK)
        return rc;
    if (b == NULL || pthread_mutex_init(&b->lock, NULL) != 0) {
        free(b);
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    }
    if ((b->conninfo = cs_strdup(conninfo)) == NULL || (b->where = cs_strdup("the shared store")) == NULL) {
        pg_close(b, 0);
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    }
    b->flags = flags;
    struct pg_conn *c = NULL;
    rc = pg_connect(b, (void **)&c);
    if (rc == CASESCRIBE_OK) {
        free(b->where);
        b->where = NULL;
        rc = describe(b, c->pg);
    }
    if (rc == CASESCRIBE_OK)
        rc = pg_schema(c);
    if (rc == CASESCRIBE_OK && (*location = cs_strdup(b->where)) == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc != CASESCRIBE_OK) {
        pg_disconnect(c, 0);
        pg_close(b, 0);
        return rc;
    }
    b->spare = c;
    *out = b;
    return CASESCRIBE_OK;
}

const cs_store_ops cs_store_pg_ops = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .now = pg_now,
    .lock_record = pg_lock_record,
    .serialize = pg_serialize,
    .exec = pg_exec,
    .batch = 32, /* a sketch's values in one statement (the CS_Q_*_LIST forms) */
};
