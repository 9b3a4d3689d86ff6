/* SPDX-License-Identifier: Apache-2.0 */
/* store.c - the store's common code (see store.h): the connection pool and
 * transactions, the ledger's chain rule, and the index rows each entry
 * implies, written once for every backend. */
#include "store/store.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "store/backend.h"

/* How many distinct prints (AI and human) may share a value before it
 * weighs less: CS_STORE_DF_FULL / (prints holding it) beyond that. */
#define CS_STORE_DF_FULL 4.0
#define WEIGHT_SLOTS 4096 /* per transaction: the commonness counts read so far */
#define BATCH 32          /* a backend's batch from which it takes the list statements */

const char *const cs_store_sql[CS_Q_COUNT] = {
    [CS_Q_META_GET] = "SELECT value FROM meta WHERE name = ?",
    [CS_Q_META_SET] = "INSERT INTO meta(name, value) VALUES(?, ?) ON CONFLICT(name) DO UPDATE SET value = "
                      "excluded.value",
    [CS_Q_TAIL] = "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1",
    [CS_Q_LEDGER_PUT] = "INSERT INTO ledger(seq, hash, payload) VALUES(?, ?, ?)",
    [CS_Q_LEDGER_GET] = "SELECT payload FROM ledger WHERE seq = ?",
    [CS_Q_LEDGER_WALK] = "SELECT seq, payload, hash FROM ledger WHERE seq >= ? ORDER BY seq",
    [CS_Q_HEAD_GET] = "SELECT version, digest, previous, form, actor, time, key, seq, confirmed, confirmed_digest "
                      "FROM heads WHERE record = ?",
    [CS_Q_HEAD_PUT] = "INSERT INTO heads(record, version, digest, previous, form, actor, time, key, seq) "
                      "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(record) DO UPDATE SET version = "
                      "excluded.version, digest = excluded.digest, previous = excluded.previous, form = "
                      "excluded.form, actor = excluded.actor, time = excluded.time, key = excluded.key, seq = "
                      "excluded.seq WHERE excluded.version >= heads.version",
    [CS_Q_HEAD_CAS] = "INSERT INTO heads(record, version, digest, previous, form, actor, time, key, seq) "
                      "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(record) DO UPDATE SET version = "
                      "excluded.version, digest = excluded.digest, previous = excluded.previous, form = "
                      "excluded.form, actor = excluded.actor, time = excluded.time, key = excluded.key, seq = "
                      "excluded.seq WHERE excluded.version = heads.version + 1",
    [CS_Q_VALUE_GET] = "SELECT ai, df FROM vals WHERE value = ?",
    [CS_Q_VALUE_DF] = "INSERT INTO vals(value, ai, df) VALUES(?, 0, 1) ON CONFLICT(value) DO UPDATE SET df = "
                      "vals.df + 1",
    [CS_Q_COUNTED_ADD] = "INSERT INTO counted(pid) VALUES(?) ON CONFLICT(pid) DO NOTHING",
    [CS_Q_STAT_ADD] = "INSERT INTO stats(name, n) VALUES(?, 1) ON CONFLICT(name) DO UPDATE SET n = stats.n + 1",
    [CS_Q_STAT_GET] = "SELECT n FROM stats WHERE name = ?",
    [CS_Q_PRINT_SAME] = "SELECT id FROM prints WHERE pid = ? AND fp = ? LIMIT 1",
    [CS_Q_PRINT_ADD] = "INSERT INTO prints(pid, fp, record, section, team, version) VALUES(?, ?, ?, ?, ?, ?) "
                       "RETURNING id",
    [CS_Q_PRINT_GET] = "SELECT record, section, team, version, fp FROM prints WHERE id = ?",
    [CS_Q_POSTING_ADD] = "INSERT INTO postings(value, print) VALUES(?, ?) ON CONFLICT(value, print) DO NOTHING",
    [CS_Q_POSTINGS] = "SELECT print FROM postings WHERE value = ? AND print > ?",
    [CS_Q_SHORT_ADD] = "INSERT INTO shorts(token) VALUES(?) ON CONFLICT(token) DO NOTHING",
    [CS_Q_SHORT_GET] = "SELECT 1 FROM shorts WHERE token = ?",
    [CS_Q_POLICY_GET] = "SELECT version, digest FROM policies WHERE team = ?",
    [CS_Q_POLICY_PUT] = "INSERT INTO policies(team, version, digest) VALUES(?, ?, ?) ON CONFLICT(team) DO UPDATE "
                        "SET version = excluded.version, digest = excluded.digest",
    [CS_Q_BUNDLE_GET] = "SELECT serial, digest FROM bundle WHERE one = 1",
    [CS_Q_BUNDLE_PUT] = "INSERT INTO bundle(one, serial, digest) VALUES(1, ?, ?) ON CONFLICT(one) DO UPDATE SET "
                        "serial = excluded.serial, digest = excluded.digest",
    [CS_Q_CHECKPOINT_PUT] = "INSERT INTO checkpoints(size, head, time, text) VALUES(?, ?, ?, ?) ON CONFLICT(size) "
                            "DO UPDATE SET head = excluded.head, time = excluded.time, text = excluded.text",
    [CS_Q_CHECKPOINT_LATEST] = "SELECT size, head, time, text FROM checkpoints ORDER BY size DESC LIMIT 1",
    [CS_Q_KEY_PUT] = "INSERT INTO keys(id, origin, pub, created, retired, seq) VALUES(?, ?, ?, ?, ?, ?) ON "
                     "CONFLICT(id) DO UPDATE SET origin = excluded.origin, pub = excluded.pub, created = "
                     "excluded.created, retired = excluded.retired, seq = excluded.seq",
    [CS_Q_KEY_LIST] = "SELECT id, origin, pub, created, retired, seq FROM keys ORDER BY seq, id",
    [CS_Q_JOB_PUT] = "INSERT INTO jobs(id, kind, state, detail, created, updated) VALUES(?, ?, ?, ?, ?, ?) ON "
                     "CONFLICT(id) DO UPDATE SET kind = excluded.kind, state = excluded.state, detail = "
                     "excluded.detail, created = excluded.created, updated = excluded.updated",
    [CS_Q_JOB_DELETE] = "DELETE FROM jobs WHERE id = ?",
    [CS_Q_JOB_LIST] = "SELECT id, kind, state, detail, created, updated FROM jobs ORDER BY created, id",
    [CS_Q_JOB_LIST_OPEN] = "SELECT id, kind, state, detail, created, updated FROM jobs WHERE state NOT IN "
                           "('done', 'failed') ORDER BY created, id",
    [CS_Q_FINGERPRINTED] = "SELECT CASE WHEN EXISTS(SELECT 1 FROM prints) OR EXISTS(SELECT 1 FROM counted) OR "
                           "EXISTS(SELECT 1 FROM shorts) THEN 1 ELSE 0 END",
    [CS_Q_HEAD_CONFIRM] = "UPDATE heads SET confirmed = ?, confirmed_digest = ? WHERE record = ? AND confirmed < ? "
                          "AND version >= ?",
    [CS_Q_ABANDON_PUT] = "INSERT INTO abandoned(record, first, last, kept, seq) VALUES(?, ?, ?, ?, ?)",
    [CS_Q_ABANDON_GET] = "SELECT first, last, kept, seq FROM abandoned WHERE record = ? AND first <= ? AND last >= ? "
                         "LIMIT 1",
    [CS_Q_PRINT_MAX] = "SELECT coalesce(max(id), 0) FROM prints",
    /* SQLite's dialect of the list statements (json_each; "WHERE true"
     * tells an upsert's SELECT from its ON clause); pg.c has its own. */
    [CS_Q_VALUE_DF_LIST] = "INSERT INTO vals(value, ai, df) SELECT value, 0, 1 FROM json_each(?) WHERE true "
                           "ON CONFLICT(value) DO UPDATE SET df = vals.df + 1",
    [CS_Q_POSTING_ADD_LIST] = "INSERT INTO postings(value, print) SELECT value, ? FROM json_each(?) WHERE true "
                              "ON CONFLICT(value, print) DO NOTHING",
    [CS_Q_VALUES_GET_LIST] = "SELECT value, df FROM vals WHERE value IN (SELECT value FROM json_each(?))",
    /* In process, counting the filings costs less than a GROUP BY. */
    [CS_Q_POSTINGS_LIST] = "SELECT print FROM postings WHERE value IN (SELECT value FROM json_each(?1)) AND print > ?3 "
                           "AND ?2 > 0",
};

struct cs_store {
    const cs_store_ops *ops;
    void *backend;
    char *location;
    pid_t pid;
    pthread_mutex_t pool_lock;
    void **idle; /* connections no transaction holds */
    size_t n_idle, cap_idle;
    uint32_t batch;       /* sketch values a statement takes (cs_store_ops.batch) */
    cs_store_signer sign; /* writes the checkpoint of each appending commit */
    void *sign_user;
};

/* A transaction's cache of commonness counts (open addressing), allocated
 * only by the transactions that grade: a read of one row pays nothing. */
struct df_cache {
    uint64_t keys[WEIGHT_SLOTS];
    int64_t df[WEIGHT_SLOTS]; /* a value's df + 1; 0: slot empty */
    size_t n;
};

struct cs_store_txn {
    cs_store *st;
    void *conn;
    int mode;
    int late;              /* a CS_STORE_WRITE_LATE not yet serialised: it may not append */
    int appended;          /* entries were appended: the commit writes a checkpoint */
    int32_t weight_failed; /* why a weight could not be read (the grade used 1), else 0 */
    struct df_cache *w;    /* the commonness counts read so far; made when first needed */
    int64_t counted; /* distinct prints counted for commonness, -1 until read */
};

/* ---- opening and the pool --------------------------------------------- */

int32_t cs_store_open(cs_store **out, const char *home, uint32_t flags)
{
    char *uri = NULL;
    *out = NULL;
    int32_t rc = cs_store_configured(home, &uri);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_open_uri(out, home, uri, flags);
    free(uri);
    return rc;
}

int cs_store_shared(const cs_store *st)
{
    return st != NULL && st->ops != &cs_store_sqlite_ops;
}

int32_t cs_store_open_uri(cs_store **out, const char *home, const char *uri, uint32_t flags)
{
    *out = NULL;
    cs_store *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (pthread_mutex_init(&st->pool_lock, NULL) != 0) {
        free(st);
        return cs_fail(CASESCRIBE_ENOMEM, "cannot make a mutex");
    }
    int shared = uri != NULL && uri[0] != '\0';
    st->ops = shared ? &cs_store_pg_ops : &cs_store_sqlite_ops;
    st->batch = st->ops->batch;
    st->pid = getpid();
    int32_t rc = st->ops->open(&st->backend, &st->location, shared ? uri : home, flags);
    if (rc == CASESCRIBE_OK && !shared && !(flags & CS_STORE_READ_ONLY))
        rc = cs_store_import_pending(st, home);
    if (rc != CASESCRIBE_OK) {
        cs_store_close(st);
        return rc;
    }
    *out = st;
    return CASESCRIBE_OK;
}

void cs_store_close(cs_store *st)
{
    if (st == NULL)
        return;
    int forked = st->pid != getpid();
    for (size_t i = 0; i < st->n_idle; i++)
        st->ops->disconnect(st->idle[i], forked);
    if (st->backend != NULL)
        st->ops->close(st->backend, forked);
    free(st->idle);
    free(st->location);
    pthread_mutex_destroy(&st->pool_lock);
    free(st);
}

const char *cs_store_location(const cs_store *st)
{
    return st != NULL && st->location != NULL ? st->location : "";
}

static int32_t take_conn(cs_store *st, void **conn)
{
    *conn = NULL;
    if (pthread_mutex_lock(&st->pool_lock) != 0)
        return cs_fail(CASESCRIBE_EINTERNAL, "cannot lock the store's pool");
    if (st->n_idle > 0)
        *conn = st->idle[--st->n_idle];
    pthread_mutex_unlock(&st->pool_lock);
    return *conn != NULL ? CASESCRIBE_OK : st->ops->connect(st->backend, conn);
}

static void give_conn(cs_store *st, void *conn)
{
    int kept = 0;
    if (pthread_mutex_lock(&st->pool_lock) == 0) {
        if (st->n_idle == st->cap_idle) {
            size_t cap = st->cap_idle ? st->cap_idle * 2 : 4;
            void **grown = realloc(st->idle, cap * sizeof(*grown));
            if (grown != NULL) {
                st->idle = grown;
                st->cap_idle = cap;
            }
        }
        if (st->n_idle < st->cap_idle) {
            st->idle[st->n_idle++] = conn;
            kept = 1;
        }
        pthread_mutex_unlock(&st->pool_lock);
    }
    if (!kept)
        st->ops->disconnect(conn, 0);
}

int32_t cs_store_begin(cs_store *st, int mode, cs_store_txn **out)
{
    *out = NULL;
    if (st == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "no store");
    if (st->pid != getpid())
        return cs_fail(CASESCRIBE_EINVAL, "this store was opened by another process (before a fork): open a new "
                                          "context in this process");
    cs_store_txn *tx = malloc(sizeof(*tx));
    if (tx == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    tx->st = st;
    tx->late = mode == CS_STORE_WRITE_LATE && st->ops->serialize != NULL;
    tx->mode = mode == CS_STORE_WRITE_LATE ? CS_STORE_WRITE : mode;
    tx->appended = 0;
    tx->weight_failed = 0;
    tx->w = NULL;
    tx->counted = -1;
    int32_t rc = take_conn(st, &tx->conn);
    if (rc == CASESCRIBE_OK && (rc = st->ops->begin(tx->conn, tx->late ? CS_STORE_WRITE_LATE : tx->mode)) != CASESCRIBE_OK)
        give_conn(st, tx->conn);
    if (rc != CASESCRIBE_OK) {
        free(tx);
        return rc;
    }
    *out = tx;
    return CASESCRIBE_OK;
}

void cs_store_set_signer(cs_store *st, cs_store_signer sign, void *user)
{
    st->sign = sign;
    st->sign_user = user;
}

/* The signed checkpoint of the ledger as tx leaves it, stored in tx. */
static int32_t write_checkpoint(cs_store_txn *tx)
{
    cs_store_checkpoint cp = {0};
    int32_t rc = cs_store_ledger_tail(tx, &cp.size, cp.head);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_now(tx, &cp.time);
    if (rc == CASESCRIBE_OK)
        rc = tx->st->sign(tx, cp.size, cp.head, cp.time, &cp.text, tx->st->sign_user);
    if (rc == CASESCRIBE_OK && cp.text != NULL) /* NULL: the signer has no key yet */
        rc = cs_store_checkpoint_put(tx, &cp);
    free(cp.text);
    return rc;
}

int32_t cs_store_commit(cs_store_txn *tx)
{
    if (tx->appended && tx->st->sign != NULL) {
        int32_t rc = write_checkpoint(tx);
        if (rc != CASESCRIBE_OK) {
            cs_store_rollback(tx);
            return rc;
        }
    }
    int32_t rc = tx->st->ops->commit(tx->conn);
    give_conn(tx->st, tx->conn);
    free(tx->w);
    free(tx);
    return rc;
}

void cs_store_rollback(cs_store_txn *tx)
{
    if (tx == NULL)
        return;
    tx->st->ops->rollback(tx->conn);
    give_conn(tx->st, tx->conn);
    free(tx->w);
    free(tx);
}

int32_t cs_store_now(cs_store_txn *tx, int64_t *now)
{
    return tx->st->ops->now(tx->conn, now);
}

int32_t cs_store_lock_record(cs_store_txn *tx, const char *record)
{
    /* A write that queued at begin holds the whole store already; taking a
     * record after the queue would invert the order late writes take. */
    return tx->late ? tx->st->ops->lock_record(tx->conn, record) : CASESCRIBE_OK;
}

int cs_store_queued(const cs_store_txn *tx)
{
    return !tx->late;
}

int32_t cs_store_serialize(cs_store_txn *tx)
{
    if (!tx->late)
        return CASESCRIBE_OK;
    tx->late = 0;
    cs_store_forget_weights(tx); /* the counts read before may have moved since */
    return tx->st->ops->serialize(tx->conn);
}

static int32_t run(cs_store_txn *tx, int stmt, const cs_val *args, int nargs, cs_row_fn row, void *user,
                   int64_t *changes)
{
    return tx->st->ops->exec(tx->conn, stmt, args, nargs, row, user, changes);
}

/* ---- small row readers ------------------------------------------------ */

static int32_t row_int(const cs_val *cols, int n, void *user)
{
    *(int64_t *)user = n > 0 && cols[0].type == CS_VAL_INT ? cols[0].i : 0;
    return CASESCRIBE_OK;
}

static void copy_text(char *dst, size_t cap, const cs_val *v)
{
    size_t n = v->type == CS_VAL_TEXT && v->len < cap ? v->len : 0;
    memcpy(dst, n ? v->s : "", n);
    dst[n] = '\0';
}

static int32_t row_text(const cs_val *cols, int n, void *user)
{
    char **out = user;
    free(*out);
    *out = NULL;
    if (n < 1 || cols[0].type != CS_VAL_TEXT)
        return CASESCRIBE_OK;
    if ((*out = malloc(cols[0].len + 1)) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory reading the ledger");
    memcpy(*out, cols[0].s, cols[0].len);
    (*out)[cols[0].len] = '\0';
    return CASESCRIBE_OK;
}

/* ---- the ledger ------------------------------------------------------- */

static int sha256_hex(char out[CS_STORE_HASH_LEN], const void *data, size_t len)
{
    uint8_t md[32];
    if (EVP_Digest(data, len, md, NULL, cs_sha256(), NULL) != 1) {
        ERR_clear_error();
        return -1;
    }
    cs_hex(out, md, sizeof(md));
    return 0;
}

struct tail {
    int64_t seq;
    char hash[CS_STORE_HASH_LEN];
};

static int32_t row_tail(const cs_val *cols, int n, void *user)
{
    struct tail *t = user;
    if (n < 2 || cols[0].type != CS_VAL_INT)
        return cs_fail(CASESCRIBE_EJOURNAL, "the ledger's last entry is malformed");
    t->seq = cols[0].i;
    copy_text(t->hash, sizeof(t->hash), &cols[1]);
    return CASESCRIBE_OK;
}

int32_t cs_store_ledger_tail(cs_store_txn *tx, uint64_t *count, char hash[CS_STORE_HASH_LEN])
{
    struct tail t = {0, ""};
    int32_t rc = run(tx, CS_Q_TAIL, NULL, 0, row_tail, &t, NULL);
    *count = rc == CASESCRIBE_OK ? (uint64_t)t.seq : 0;
    snprintf(hash, CS_STORE_HASH_LEN, "%s", rc == CASESCRIBE_OK ? t.hash : "");
    return rc;
}

/* Inserts payload bytes as entry seq, with their hash. */
static int32_t put_entry(cs_store_txn *tx, uint64_t seq, const char *payload, size_t len, char hash[CS_STORE_HASH_LEN])
{
    if (sha256_hex(hash, payload, len) != 0)
        return cs_fail(CASESCRIBE_EINTERNAL, "cannot hash ledger entry %llu", (unsigned long long)seq);
    cs_val args[3] = {CS_INT(seq), CS_TEXT(hash), {CS_VAL_TEXT, 0, payload, len}};
    tx->appended = 1;
    return run(tx, CS_Q_LEDGER_PUT, args, 3, NULL, NULL, NULL);
}

int32_t cs_store_put_raw(cs_store_txn *tx, uint64_t seq, const char *payload, size_t len, const json_t *entry)
{
    char hash[CS_STORE_HASH_LEN];
    int32_t rc = put_entry(tx, seq, payload, len, hash);
    return rc == CASESCRIBE_OK ? cs_store_index_entry(tx, entry, seq, 1) : rc;
}

int32_t cs_store_append(cs_store_txn *tx, json_t *entry, uint64_t *seq_out, char hash_out[CS_STORE_HASH_LEN])
{
    uint64_t last = 0;
    char prev[CS_STORE_HASH_LEN], hash[CS_STORE_HASH_LEN];
    if (tx->mode != CS_STORE_WRITE || !json_is_object(entry))
        return cs_fail(CASESCRIBE_EINVAL, "cs_store_append: not a write transaction, or entry not an object");
    if (tx->late)
        return cs_fail(CASESCRIBE_EINTERNAL, "cs_store_append: the write has not joined the writers' queue");
    int32_t rc = cs_store_ledger_tail(tx, &last, prev);
    if (rc != CASESCRIBE_OK)
        return rc;
    if (json_object_set_new(entry, "seq", json_integer((json_int_t)(last + 1))) != 0 ||
        json_object_set_new(entry, "prev", json_string(prev)) != 0)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory building ledger entry %llu", (unsigned long long)(last + 1));
    char *payload = json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS);
    if (payload == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "cannot serialise ledger entry %llu", (unsigned long long)(last + 1));
    size_t len = strlen(payload);
    if (len > CS_STORE_MAX_ENTRY)
        rc = cs_fail(CASESCRIBE_ETOOBIG, "ledger entry %llu is %zu bytes, over the limit of %u",
                     (unsigned long long)(last + 1), len, (unsigned)CS_STORE_MAX_ENTRY);
    if (rc == CASESCRIBE_OK)
        rc = put_entry(tx, last + 1, payload, len, hash);
    free(payload);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_index_entry(tx, entry, last + 1, 0);
    if (rc == CASESCRIBE_OK && seq_out != NULL)
        *seq_out = last + 1;
    if (rc == CASESCRIBE_OK && hash_out != NULL)
        memcpy(hash_out, hash, CS_STORE_HASH_LEN);
    return rc;
}

int32_t cs_store_entry(cs_store_txn *tx, uint64_t seq, json_t **out)
{
    char *payload = NULL;
    *out = NULL;
    cs_val arg = CS_INT(seq);
    int32_t rc = run(tx, CS_Q_LEDGER_GET, &arg, 1, row_text, &payload, NULL);
    if (rc == CASESCRIBE_OK && payload == NULL)
        return cs_fail(CASESCRIBE_ENOTFOUND, "the ledger has no entry %llu", (unsigned long long)seq);
    if (rc == CASESCRIBE_OK && (*out = json_loads(payload, JSON_REJECT_DUPLICATES, NULL)) == NULL)
        rc = cs_fail(CASESCRIBE_EJOURNAL, "ledger entry %llu does not parse", (unsigned long long)seq);
    free(payload);
    return rc;
}

struct walk {
    cs_store_visit visit;
    void *user;
};

static int32_t row_walk(const cs_val *cols, int n, void *user)
{
    struct walk *w = user;
    if (n < 3 || cols[0].type != CS_VAL_INT || cols[1].type != CS_VAL_TEXT)
        return cs_fail(CASESCRIBE_EJOURNAL, "a ledger row is malformed");
    return w->visit((uint64_t)cols[0].i, cols[1].s, cols[1].len, cols[2].type == CS_VAL_TEXT ? cols[2].s : "",
                    w->user);
}

int32_t cs_store_walk(cs_store_txn *tx, uint64_t from, cs_store_visit visit, void *user)
{
    struct walk w = {visit, user};
    cs_val arg = CS_INT(from);
    return run(tx, CS_Q_LEDGER_WALK, &arg, 1, row_walk, &w, NULL);
}

struct hash_of {
    uint64_t seq;
    char *hash;
    int found;
};

static int copy_hash(uint64_t seq, const char *payload, size_t len, const char *stored, void *user)
{
    struct hash_of *h = user;
    (void)payload;
    (void)len;
    h->found = seq == h->seq;
    if (h->found)
        snprintf(h->hash, CS_STORE_HASH_LEN, "%s", stored);
    return 1; /* one row is enough */
}

int32_t cs_store_entry_hash(cs_store_txn *tx, uint64_t seq, char hash[CS_STORE_HASH_LEN])
{
    struct hash_of h = {seq, hash, seq == 0};
    hash[0] = '\0';
    int32_t rc = seq == 0 ? CASESCRIBE_OK : cs_store_walk(tx, seq, copy_hash, &h);
    if (rc < 0)
        return rc;
    return h.found ? CASESCRIBE_OK
                   : cs_fail(CASESCRIBE_ENOTFOUND, "the ledger has no entry %llu", (unsigned long long)seq);
}

/* One entry against the chain so far (a cs_store_visit over a
 * cs_store_chain). */
int cs_store_chain_next(uint64_t seq, const char *payload, size_t len, const char *stored, void *user)
{
    cs_store_chain *v = user;
    char hash[CS_STORE_HASH_LEN];
    json_t *e = json_loadb(payload, len, JSON_REJECT_DUPLICATES, NULL);
    const char *prev = json_string_value(json_object_get(e, "prev"));
    json_int_t eseq = json_integer_value(json_object_get(e, "seq"));
    const char *why = NULL;
    if (seq != v->seq + 1)
        why = "entries are missing before it";
    else if (e == NULL)
        why = "it does not parse (or is not JSON)";
    else if (eseq <= 0 || (uint64_t)eseq != seq)
        why = "its seq does not match its position";
    else if (prev == NULL || strcmp(prev, v->prev) != 0)
        why = "its prev does not match the hash of the entry before";
    else if (sha256_hex(hash, payload, len) != 0 || strcmp(hash, stored) != 0)
        why = "its stored hash does not match its bytes (changed in place)";
    json_decref(e);
    if (why != NULL)
        return cs_fail(CASESCRIBE_EJOURNAL, "entry %llu: %s", (unsigned long long)seq, why);
    v->seq = seq;
    memcpy(v->prev, hash, sizeof(hash));
    return CASESCRIBE_OK;
}

int32_t cs_store_verify(cs_store *st, uint64_t *count_out)
{
    cs_store_chain v = {0, ""};
    cs_store_txn *tx = NULL;
    int32_t rc = cs_store_begin(st, CS_STORE_READ, &tx);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_walk(tx, 1, cs_store_chain_next, &v);
    cs_store_rollback(tx);
    if (count_out != NULL)
        *count_out = v.seq;
    return rc;
}

/* ---- heads, policy, shorts -------------------------------------------- */

static int32_t row_head(const cs_val *cols, int n, void *user)
{
    cs_store_head *h = user;
    if (n < 8 || cols[0].type != CS_VAL_INT || cols[0].i <= 0 || cols[0].i > UINT32_MAX)
        return cs_fail(CASESCRIBE_EJOURNAL, "a record head in the ledger is malformed");
    h->version = (uint32_t)cols[0].i;
    copy_text(h->digest, sizeof(h->digest), &cols[1]);
    copy_text(h->previous, sizeof(h->previous), &cols[2]);
    copy_text(h->form, sizeof(h->form), &cols[3]);
    copy_text(h->actor, sizeof(h->actor), &cols[4]);
    copy_text(h->time, sizeof(h->time), &cols[5]);
    copy_text(h->key, sizeof(h->key), &cols[6]);
    h->seq = cols[7].type == CS_VAL_INT ? (uint64_t)cols[7].i : 0;
    h->confirmed = n > 8 && cols[8].type == CS_VAL_INT && cols[8].i > 0 && cols[8].i <= h->version
                       ? (uint32_t)cols[8].i
                       : 0;
    copy_text(h->confirmed_digest, sizeof(h->confirmed_digest), n > 9 && h->confirmed ? &cols[9] : &(cs_val){0});
    return CASESCRIBE_OK;
}

int32_t cs_store_head_get(cs_store_txn *tx, const char *record, cs_store_head *out, int *found)
{
    memset(out, 0, sizeof(*out));
    cs_val arg = CS_TEXT(record);
    int32_t rc = run(tx, CS_Q_HEAD_GET, &arg, 1, row_head, out, NULL);
    *found = rc == CASESCRIBE_OK && out->version > 0;
    return rc;
}

static int32_t row_abandon(const cs_val *cols, int n, void *user)
{
    cs_store_abandon *a = user;
    if (n < 4 || cols[0].type != CS_VAL_INT || cols[1].type != CS_VAL_INT || cols[2].type != CS_VAL_INT ||
        cols[3].type != CS_VAL_INT || cols[0].i <= 0 || cols[1].i > UINT32_MAX || cols[2].i < 0)
        return cs_fail(CASESCRIBE_EJOURNAL, "an abandoned-version row in the ledger is malformed");
    a->first = (uint32_t)cols[0].i;
    a->last = (uint32_t)cols[1].i;
    a->kept = (uint32_t)cols[2].i;
    a->seq = (uint64_t)cols[3].i;
    return CASESCRIBE_OK;
}

int32_t cs_store_abandoned(cs_store_txn *tx, const char *record, uint32_t version, cs_store_abandon *out, int *found)
{
    memset(out, 0, sizeof(*out));
    cs_val args[3] = {CS_TEXT(record), CS_INT(version), CS_INT(version)};
    int32_t rc = run(tx, CS_Q_ABANDON_GET, args, 3, row_abandon, out, NULL);
    *found = rc == CASESCRIBE_OK && out->first > 0;
    return rc;
}

int32_t cs_store_print_max(cs_store_txn *tx, int64_t *id)
{
    *id = 0;
    return run(tx, CS_Q_PRINT_MAX, NULL, 0, row_int, id, NULL);
}

int32_t cs_store_short_seen(cs_store_txn *tx, uint64_t token, int *seen)
{
    int64_t one = 0;
    cs_val arg = CS_INT(token);
    int32_t rc = run(tx, CS_Q_SHORT_GET, &arg, 1, row_int, &one, NULL);
    *seen = rc == CASESCRIBE_OK && one == 1;
    return rc;
}

struct numbered {
    int64_t n;
    char digest[72];
};

static int32_t row_numbered(const cs_val *cols, int n, void *user)
{
    struct numbered *p = user;
    p->n = n >= 2 && cols[0].type == CS_VAL_INT ? cols[0].i : 0;
    copy_text(p->digest, sizeof(p->digest), n >= 2 ? &cols[1] : &(cs_val){0});
    return CASESCRIBE_OK;
}

int32_t cs_store_policy(cs_store_txn *tx, const char *team, uint32_t *version, char digest[72])
{
    struct numbered p = {0, ""};
    cs_val arg = CS_TEXT(team);
    int32_t rc = run(tx, CS_Q_POLICY_GET, &arg, 1, row_numbered, &p, NULL);
    *version = rc == CASESCRIBE_OK && p.n > 0 && p.n <= UINT32_MAX ? (uint32_t)p.n : 0;
    memcpy(digest, p.digest, sizeof(p.digest));
    return rc;
}

int32_t cs_store_bundle(cs_store_txn *tx, uint64_t *serial, char digest[72])
{
    struct numbered p = {0, ""};
    int32_t rc = run(tx, CS_Q_BUNDLE_GET, NULL, 0, row_numbered, &p, NULL);
    *serial = rc == CASESCRIBE_OK && p.n > 0 ? (uint64_t)p.n : 0;
    memcpy(digest, p.digest, sizeof(p.digest));
    return rc;
}

/* Keeps the highest version, and its digest once an entry names it. */
int32_t cs_store_policy_seen(cs_store_txn *tx, const char *team, uint32_t version, const char *digest)
{
    uint32_t cur = 0;
    char cur_digest[72];
    int32_t rc = cs_store_policy(tx, team, &cur, cur_digest);
    if (rc != CASESCRIBE_OK || version < cur || (version == cur && cur_digest[0] != '\0'))
        return rc;
    const char *d = digest != NULL && strlen(digest) < sizeof(cur_digest) ? digest : "";
    if (version == cur && d[0] == '\0')
        return CASESCRIBE_OK;
    cs_val args[3] = {CS_TEXT(team), CS_INT(version), CS_TEXT(d)};
    return run(tx, CS_Q_POLICY_PUT, args, 3, NULL, NULL, NULL);
}

int32_t cs_store_bundle_seen(cs_store_txn *tx, uint64_t serial, const char *digest)
{
    uint64_t cur = 0;
    char cur_digest[72];
    int32_t rc = serial > 0 ? cs_store_bundle(tx, &cur, cur_digest) : CASESCRIBE_OK;
    if (rc != CASESCRIBE_OK || serial == 0 || serial < cur || (serial == cur && cur_digest[0] != '\0'))
        return rc;
    const char *d = digest != NULL && strlen(digest) < sizeof(cur_digest) ? digest : "";
    if (serial == cur && d[0] == '\0')
        return CASESCRIBE_OK;
    cs_val args[2] = {CS_INT(serial), CS_TEXT(d)};
    return run(tx, CS_Q_BUNDLE_PUT, args, 2, NULL, NULL, NULL);
}

/* ---- commonness and grading ------------------------------------------- */

struct value_counts {
    int64_t ai, df;
};

static int32_t row_counts(const cs_val *cols, int n, void *user)
{
    struct value_counts *c = user;
    c->ai = n >= 2 && cols[0].type == CS_VAL_INT ? cols[0].i : 0;
    c->df = n >= 2 && cols[1].type == CS_VAL_INT ? cols[1].i : 0;
    return CASESCRIBE_OK;
}

/* The cache's slot of `value`, or the empty slot where it goes. */
static size_t df_slot(const struct df_cache *w, uint64_t value)
{
    size_t i = (size_t)(value ^ (value >> 29)) & (WEIGHT_SLOTS - 1);
    while (w->df[i] != 0 && w->keys[i] != value)
        i = (i + 1) & (WEIGHT_SLOTS - 1);
    return i;
}

/* The transaction's cache, made empty on first use (NULL: out of memory). */
static struct df_cache *df_cache(cs_store_txn *tx)
{
    if (tx->w == NULL)
        tx->w = calloc(1, sizeof(*tx->w));
    return tx->w;
}

/* Whether the cache holds `value`'s count (0 when it has none yet). */
static int df_cached(cs_store_txn *tx, uint64_t value, int64_t *df)
{
    if (tx->w == NULL || tx->w->df[df_slot(tx->w, value)] == 0)
        return 0;
    *df = tx->w->df[df_slot(tx->w, value)] - 1;
    return 1;
}

static void df_forget(cs_store_txn *tx)
{
    if (tx->w != NULL) {
        memset(tx->w->df, 0, sizeof(tx->w->df));
        tx->w->n = 0;
    }
}

static int32_t df_put(cs_store_txn *tx, uint64_t value, int64_t df)
{
    struct df_cache *w = df_cache(tx);
    if (w == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory reading the ledger's commonness counts");
    if (w->n * 4 >= WEIGHT_SLOTS * 3) /* full enough: start again */
        df_forget(tx);
    size_t i = df_slot(w, value);
    w->n += w->df[i] == 0;
    w->keys[i] = value;
    w->df[i] = (df < 0 ? 0 : df) + 1;
    return CASESCRIBE_OK;
}

static int32_t row_df(const cs_val *cols, int n, void *user)
{
    if (n < 2 || cols[0].type != CS_VAL_INT || cols[1].type != CS_VAL_INT)
        return cs_fail(CASESCRIBE_EJOURNAL, "a commonness count in the ledger is malformed");
    return df_put(user, (uint64_t)cols[0].i, cols[1].i);
}

const char *cs_store_value_list(char buf[CS_STORE_LIST_TEXT], const uint64_t *v, uint32_t n)
{
    size_t at = 0;
    buf[at++] = '[';
    for (uint32_t k = 0; k < n && k < CS_STORE_LIST_MAX; k++)
        at += (size_t)snprintf(buf + at, CS_STORE_LIST_TEXT - at, "%s%lld", k ? "," : "", (long long)(int64_t)v[k]);
    buf[at++] = ']';
    buf[at] = '\0';
    return buf;
}

/* Reads the counts of 1..CS_STORE_LIST_MAX values in one statement into
 * the cache; a value the table lacks has df 0. */
static int32_t read_dfs(cs_store_txn *tx, const uint64_t *v, uint32_t n)
{
    char text[CS_STORE_LIST_TEXT];
    cs_val arg = CS_TEXT(cs_store_value_list(text, v, n));
    int32_t rc = CASESCRIBE_OK;
    for (uint32_t k = 0; rc == CASESCRIBE_OK && k < n; k++)
        rc = df_put(tx, v[k], 0);
    return rc == CASESCRIBE_OK ? run(tx, CS_Q_VALUES_GET_LIST, &arg, 1, row_df, tx, NULL) : rc;
}

/* The df of one value, from the cache or read alone. */
static int32_t cached_df(cs_store_txn *tx, uint64_t value, int64_t *df)
{
    if (df_cached(tx, value, df))
        return CASESCRIBE_OK;
    struct value_counts c = {0, 0};
    cs_val arg = CS_INT(value);
    int32_t rc = run(tx, CS_Q_VALUE_GET, &arg, 1, row_counts, &c, NULL);
    if (rc == CASESCRIBE_OK)
        rc = df_put(tx, value, c.df);
    *df = c.df;
    return rc;
}

int cs_store_batched(const cs_store_txn *tx)
{
    return tx->st->batch >= BATCH;
}

void cs_store_set_batch(cs_store *st, uint32_t batch)
{
    st->batch = batch;
}

int32_t cs_store_value_dfs(cs_store_txn *tx, const uint64_t *v, uint32_t n, int64_t *df)
{
    uint64_t miss[CS_STORE_LIST_MAX];
    uint32_t m = 0;
    int32_t rc = CASESCRIBE_OK;
    int64_t seen;
    if (tx->w != NULL && tx->w->n + n > WEIGHT_SLOTS / 2)
        df_forget(tx);
    for (uint32_t k = 0; rc == CASESCRIBE_OK && cs_store_batched(tx) && k <= n; k++) {
        if (k < n && !df_cached(tx, v[k], &seen))
            miss[m++] = v[k];
        if (m > 0 && (m == CS_STORE_LIST_MAX || k == n)) {
            rc = read_dfs(tx, miss, m);
            m = 0;
        }
    }
    for (uint32_t k = 0; rc == CASESCRIBE_OK && df != NULL && k < n; k++)
        rc = cached_df(tx, v[k], &df[k]);
    return rc;
}

/* The number of distinct prints counted for commonness (N of the word
 * weight), read once per transaction. */
static int32_t counted_prints(cs_store_txn *tx, int64_t *n)
{
    if (tx->counted < 0) {
        int64_t v = 0;
        cs_val arg = CS_TEXT("counted");
        int32_t rc = run(tx, CS_Q_STAT_GET, &arg, 1, cs_store_row_int, &v, NULL);
        if (rc != CASESCRIBE_OK)
            return rc;
        tx->counted = v;
    }
    *n = tx->counted;
    return CASESCRIBE_OK;
}

/* Shingles and word pairs: full weight up to CS_STORE_DF_FULL prints. */
static double shingle_weight(int64_t df)
{
    return df <= CS_STORE_DF_FULL ? 1.0 : CS_STORE_DF_FULL / (double)df;
}

/* Single words (mh3): inverse document frequency over the N distinct
 * prints counted, in 0..1 whatever the size of the home:
 * ln((N + 1) / df) / ln(N + 1). */
static double word_weight(int64_t df, int64_t n)
{
    double d = df < 1 ? 1.0 : (double)df, total = (double)n < d ? d : (double)n;
    return log((total + 1.0) / d) / log(total + 1.0);
}

/* A weight from the cached count (read when missing). A read that fails
 * gives weight 1 and marks the transaction (the caller fails closed). */
static double cached_weight(cs_store_txn *tx, uint64_t value, int words)
{
    int64_t df = 0, n = 0;
    int32_t rc = cached_df(tx, value, &df);
    if (rc == CASESCRIBE_OK && words)
        rc = counted_prints(tx, &n);
    if (rc != CASESCRIBE_OK) {
        tx->weight_failed = rc;
        cs_clear_error();
        return 1.0;
    }
    return words ? word_weight(df, n) : shingle_weight(df);
}

double cs_store_weight(uint64_t value, const void *user)
{
    return cached_weight((cs_store_txn *)user, value, 0);
}

double cs_store_word_weight(uint64_t value, const void *user)
{
    return cached_weight((cs_store_txn *)user, value, 1);
}

void cs_store_forget_weights(cs_store_txn *tx)
{
    df_forget(tx);
    tx->counted = -1;
}

/* The counts of every value of a print, read in batches before grading
 * looks them up one by one (batched backends; others read each value the
 * grade looks at, when it looks). */
static int32_t prefetch(cs_store_txn *tx, const cs_fingerprint *fp)
{
    int mh3 = fp->scheme == CS_FP_MH3;
    int32_t rc = cs_store_value_dfs(tx, fp->h, fp->count < CS_FP_K ? fp->count : CS_FP_K, NULL);
    if (rc == CASESCRIBE_OK && mh3)
        rc = cs_store_value_dfs(tx, fp->w, fp->wcount < CS_FP_PK ? fp->wcount : CS_FP_PK, NULL);
    if (rc == CASESCRIBE_OK && mh3)
        rc = cs_store_value_dfs(tx, fp->u, fp->ucount < CS_FP_UK ? fp->ucount : CS_FP_UK, NULL);
    return rc;
}

int cs_store_grade_pair(cs_store_txn *tx, const cs_fingerprint *human, const cs_fingerprint *ai, double *score,
                        int *failed)
{
    const cs_fp_weights weights = {cs_store_weight, cs_store_word_weight, tx};
    tx->weight_failed = 0;
    int32_t rc = cs_store_batched(tx) ? prefetch(tx, human) : CASESCRIBE_OK;
    if (rc == CASESCRIBE_OK && cs_store_batched(tx))
        rc = prefetch(tx, ai);
    if (rc != CASESCRIBE_OK) {
        tx->weight_failed = rc;
        cs_clear_error();
    }
    int grade = cs_fingerprint_grade(human, ai, &weights, score);
    if (failed != NULL)
        *failed = tx->weight_failed;
    return grade;
}

/* ---- phase 2 places --------------------------------------------------- */

int32_t cs_store_meta_get(cs_store_txn *tx, const char *name, char **out)
{
    *out = NULL;
    cs_val arg = CS_TEXT(name);
    return run(tx, CS_Q_META_GET, &arg, 1, row_text, out, NULL);
}

int32_t cs_store_meta_set(cs_store_txn *tx, const char *name, const char *value)
{
    if (strlen(value) > 4096)
        return cs_fail(CASESCRIBE_ETOOBIG, "a store value is over 4 KiB");
    cs_val args[2] = {CS_TEXT(name), CS_TEXT(value)};
    return run(tx, CS_Q_META_SET, args, 2, NULL, NULL, NULL);
}

int32_t cs_store_checkpoint_put(cs_store_txn *tx, const cs_store_checkpoint *cp)
{
    cs_val args[4] = {CS_INT(cp->size), CS_TEXT(cp->head), CS_INT(cp->time), CS_TEXT(cp->text ? cp->text : "")};
    return run(tx, CS_Q_CHECKPOINT_PUT, args, 4, NULL, NULL, NULL);
}

static int32_t row_checkpoint(const cs_val *cols, int n, void *user)
{
    cs_store_checkpoint *cp = user;
    if (n < 4 || cols[0].type != CS_VAL_INT || cols[2].type != CS_VAL_INT)
        return cs_fail(CASESCRIBE_EJOURNAL, "a checkpoint in the ledger is malformed");
    cp->size = (uint64_t)cols[0].i;
    copy_text(cp->head, sizeof(cp->head), &cols[1]);
    cp->time = cols[2].i;
    return row_text(&cols[3], 1, &cp->text);
}

int32_t cs_store_checkpoint_latest(cs_store_txn *tx, cs_store_checkpoint *cp, int *found)
{
    memset(cp, 0, sizeof(*cp));
    int32_t rc = run(tx, CS_Q_CHECKPOINT_LATEST, NULL, 0, row_checkpoint, cp, NULL);
    *found = rc == CASESCRIBE_OK && cp->text != NULL;
    if (rc != CASESCRIBE_OK) {
        free(cp->text);
        cp->text = NULL;
    }
    return rc;
}

int32_t cs_store_key_put(cs_store_txn *tx, const cs_store_key *k)
{
    cs_val args[6] = {CS_TEXT(k->id),    CS_TEXT(k->origin),  CS_TEXT(k->pub),
                      CS_INT(k->created), CS_INT(k->retired), CS_INT(k->seq)};
    return run(tx, CS_Q_KEY_PUT, args, 6, NULL, NULL, NULL);
}

struct key_walk {
    cs_store_key_visit visit;
    void *user;
};

static const char *text_or_empty(const cs_val *v)
{
    return v->type == CS_VAL_TEXT ? v->s : "";
}

static int32_t row_key(const cs_val *cols, int n, void *user)
{
    struct key_walk *w = user;
    if (n < 6)
        return cs_fail(CASESCRIBE_EJOURNAL, "a key in the ledger is malformed");
    cs_store_key k = {text_or_empty(&cols[0]), text_or_empty(&cols[1]), text_or_empty(&cols[2]), cols[3].i,
                      cols[4].i, (uint64_t)cols[5].i};
    return w->visit(&k, w->user);
}

int32_t cs_store_key_list(cs_store_txn *tx, cs_store_key_visit visit, void *user)
{
    struct key_walk w = {visit, user};
    return run(tx, CS_Q_KEY_LIST, NULL, 0, row_key, &w, NULL);
}

struct key_find {
    const char *id;
    cs_store_key *out;
    int found;
};

static int key_copy(const cs_store_key *k, void *user)
{
    struct key_find *f = user;
    if (strcmp(k->id, f->id) != 0)
        return 0;
    cs_store_key c = {cs_strdup(k->id), cs_strdup(k->origin), cs_strdup(k->pub), k->created, k->retired, k->seq};
    if (c.id == NULL || c.origin == NULL || c.pub == NULL) {
        cs_store_key_clear(&c);
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory reading the key registry");
    }
    *f->out = c;
    f->found = 1;
    return 1;
}

/* The registry is small (the keys one home ever used or trusted): a walk. */
int32_t cs_store_key_get(cs_store_txn *tx, const char *id, cs_store_key *out, int *found)
{
    struct key_find f = {id, out, 0};
    memset(out, 0, sizeof(*out));
    int32_t rc = cs_store_key_list(tx, key_copy, &f);
    *found = f.found;
    return rc == 1 ? CASESCRIBE_OK : rc;
}

void cs_store_key_clear(cs_store_key *k)
{
    free((char *)k->id);
    free((char *)k->origin);
    free((char *)k->pub);
    memset(k, 0, sizeof(*k));
}

int32_t cs_store_fingerprinted(cs_store_txn *tx, int *yes)
{
    int64_t n = 0;
    int32_t rc = run(tx, CS_Q_FINGERPRINTED, NULL, 0, row_int, &n, NULL);
    *yes = rc == CASESCRIBE_OK && n != 0;
    return rc;
}

int32_t cs_store_job_put(cs_store_txn *tx, const cs_store_job *j)
{
    cs_val args[6] = {CS_TEXT(j->id),     CS_TEXT(j->kind),   CS_TEXT(j->state),
                      CS_TEXT(j->detail), CS_INT(j->created), CS_INT(j->updated)};
    return run(tx, CS_Q_JOB_PUT, args, 6, NULL, NULL, NULL);
}

int32_t cs_store_job_delete(cs_store_txn *tx, const char *id)
{
    cs_val arg = CS_TEXT(id);
    return run(tx, CS_Q_JOB_DELETE, &arg, 1, NULL, NULL, NULL);
}

struct job_walk {
    cs_store_job_visit visit;
    void *user;
};

static int32_t row_job(const cs_val *cols, int n, void *user)
{
    struct job_walk *w = user;
    if (n < 6)
        return cs_fail(CASESCRIBE_EJOURNAL, "a job in the ledger is malformed");
    cs_store_job j = {text_or_empty(&cols[0]), text_or_empty(&cols[1]), text_or_empty(&cols[2]),
                      text_or_empty(&cols[3]), cols[4].i, cols[5].i};
    return w->visit(&j, w->user);
}

int32_t cs_store_job_list(cs_store_txn *tx, int unfinished_only, cs_store_job_visit visit, void *user)
{
    struct job_walk w = {visit, user};
    return run(tx, unfinished_only ? CS_Q_JOB_LIST_OPEN : CS_Q_JOB_LIST, NULL, 0, row_job, &w, NULL);
}

/* For index.c and import.c: statements run in tx. */
int32_t cs_store_run(cs_store_txn *tx, int stmt, const cs_val *args, int nargs, cs_row_fn row, void *user,
                     int64_t *changes)
{
    return run(tx, stmt, args, nargs, row, user, changes);
}

int32_t cs_store_row_int(const cs_val *cols, int n, void *user)
{
    return row_int(cols, n, user);
}
