/* SPDX-License-Identifier: Apache-2.0 */
/* backend.h - what a store backend provides (SQLite now, PostgreSQL next).
 *
 * The common code (store.c) holds the logic and the statements, written in
 * the SQL both backends speak (`?` parameters, INSERT ... ON CONFLICT);
 * a backend runs them on its own connections, owns its schema (DDL and
 * types differ), its transactions and its clock. A backend translates `?`
 * to its own placeholders when it needs to ($1, $2 for libpq).
 */
#ifndef CS_STORE_BACKEND_H
#define CS_STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "store/store.h"

/* A parameter or a result column: NULL, a 64-bit integer, or text (or
 * bytes) of len bytes. Text columns handed to a row callback are borrowed
 * for the call only. */
#define CS_VAL_NULL 0
#define CS_VAL_INT 1
#define CS_VAL_TEXT 2
typedef struct cs_val {
    int type;
    int64_t i;
    const char *s;
    size_t len;
} cs_val;

#define CS_INT(v) ((cs_val){CS_VAL_INT, (int64_t)(v), NULL, 0})
#define CS_TEXT(v) ((cs_val){CS_VAL_TEXT, 0, (v), strlen(v)})

/* Called per result row; non-zero stops with that value as the result. */
typedef int32_t (*cs_row_fn)(const cs_val *cols, int ncols, void *user);

/* The statements store.c runs (their SQL is in store.c: cs_store_sql). */
enum cs_stmt {
    CS_Q_META_GET,
    CS_Q_META_SET,
    CS_Q_TAIL,
    CS_Q_LEDGER_PUT,
    CS_Q_LEDGER_GET,
    CS_Q_LEDGER_WALK,
    CS_Q_HEAD_GET,
    CS_Q_HEAD_PUT,
    CS_Q_HEAD_CAS,
    CS_Q_VALUE_GET,
    CS_Q_VALUE_DF,
    CS_Q_COUNTED_ADD,
    CS_Q_STAT_ADD,
    CS_Q_STAT_GET,
    CS_Q_PRINT_SAME,
    CS_Q_PRINT_ADD,
    CS_Q_PRINT_GET,
    CS_Q_POSTING_ADD,
    CS_Q_POSTINGS,
    CS_Q_SHORT_ADD,
    CS_Q_SHORT_GET,
    CS_Q_POLICY_GET,
    CS_Q_POLICY_PUT,
    CS_Q_BUNDLE_GET,
    CS_Q_BUNDLE_PUT,
    CS_Q_CHECKPOINT_PUT,
    CS_Q_CHECKPOINT_LATEST,
    CS_Q_KEY_PUT,
    CS_Q_KEY_LIST,
    CS_Q_JOB_PUT,
    CS_Q_JOB_DELETE,
    CS_Q_JOB_LIST,
    CS_Q_JOB_LIST_OPEN,
    CS_Q_FINGERPRINTED,
    CS_Q_HEAD_CONFIRM,
    CS_Q_ABANDON_PUT,
    CS_Q_ABANDON_GET,
    CS_Q_PRINT_MAX,
    /* For a batched backend (cs_store_ops.batch): the values of a sketch
     * as one JSON array of signed 64-bit integers (cs_store_value_list),
     * so that a list costs one statement, written or read, whatever its
     * length (values of one sketch are distinct: no statement touches a
     * row twice). Each backend writes these in its own dialect. */
    CS_Q_VALUE_DF_LIST,    /* (list): each value counted once more */
    CS_Q_POSTING_ADD_LIST, /* (print, list): print filed under each */
    CS_Q_VALUES_GET_LIST,  /* (list): value, df of those counted */
    CS_Q_POSTINGS_LIST,    /* (list, need, since): the prints after `since` filed under any, one
                            * row per filing, or (print, hits) rows counted by the backend,
                            * which may leave out a print filed under fewer than `need` */
    CS_Q_COUNT
};
#define CS_STORE_LIST_MAX 256                       /* values per list statement */
#define CS_STORE_LIST_TEXT (CS_STORE_LIST_MAX * 21 + 3) /* "[v,v,...]": signed 64-bit values */
/* The first CS_STORE_LIST_MAX of n values as a list statement's argument;
 * returns buf. */
const char *cs_store_value_list(char buf[CS_STORE_LIST_TEXT], const uint64_t *v, uint32_t n);
extern const char *const cs_store_sql[CS_Q_COUNT];

typedef struct cs_store_ops {
    const char *name;
    /* 32 or more to put a sketch's values in one statement (the
     * CS_Q_*_LIST forms: a client-server backend, fewer statements and
     * round trips); 0 or 1 for one value a statement (SQLite: a multi-row
     * write also writes a statement journal, measured slower). */
    uint32_t batch;
    /* Store-wide state from a home: checks or creates the schema
     * (CS_STORE_SCHEMA; EJOURNAL for a newer one). *location is a malloc'd
     * description for messages. */
    int32_t (*open)(void **backend, char **location, const char *home, uint32_t flags);
    void (*close)(void *backend, int forked); /* forked: free memory only, touch no file or lock */
    int32_t (*connect)(void *backend, void **conn);
    void (*disconnect)(void *conn, int forked);
    int32_t (*begin)(void *conn, int mode); /* a write waits its turn fairly */
    /* NULL when a write queues at begin: CS_STORE_WRITE_LATE is then never
     * passed to begin. Otherwise begin(CS_STORE_WRITE_LATE) starts a write
     * that queues only here. */
    int32_t (*serialize)(void *conn);
    int32_t (*commit)(void *conn);
    void (*rollback)(void *conn);
    int32_t (*now)(void *conn, int64_t *now);
    int32_t (*lock_record)(void *conn, const char *record);
    /* Runs statement `stmt`; calls row (may be NULL) per result row;
     * *changes (may be NULL) gets the rows changed. */
    int32_t (*exec)(void *conn, int stmt, const cs_val *args, int nargs, cs_row_fn row, void *user,
                    int64_t *changes);
} cs_store_ops;

extern const cs_store_ops cs_store_sqlite_ops;
extern const cs_store_ops cs_store_pg_ops; /* open() gets the libpq connection string for `home` */

/* Shared by the store's own files (store.c, index.c, import.c). */
int32_t cs_store_run(cs_store_txn *tx, int stmt, const cs_val *args, int nargs, cs_row_fn row, void *user,
                     int64_t *changes);
int32_t cs_store_row_int(const cs_val *cols, int n, void *user); /* first column into an int64_t */
/* The index rows an entry implies (index.c); lenient: a save's head only
 * moves forward (import), else it must be the head's version + 1. */
int32_t cs_store_index_entry(cs_store_txn *tx, const json_t *entry, uint64_t seq, int lenient);
/* The commonness (df: distinct prints holding it) of n sketch values into
 * df[] (may be NULL: only read), kept in the transaction's cache. */
int32_t cs_store_value_dfs(cs_store_txn *tx, const uint64_t *v, uint32_t n, int64_t *df);
/* Whether the store uses the list (CS_Q_*_LIST) statements: its backend's
 * cs_store_ops.batch, or what cs_store_set_batch set (tests run both). */
int cs_store_batched(const cs_store_txn *tx);
void cs_store_set_batch(cs_store *st, uint32_t batch);
/* A read value's cached weight is stale once the transaction wrote counts. */
void cs_store_forget_weights(cs_store_txn *tx);
int32_t cs_store_policy_seen(cs_store_txn *tx, const char *team, uint32_t version, const char *digest);
int32_t cs_store_bundle_seen(cs_store_txn *tx, uint64_t serial, const char *digest);
/* Inserts an imported entry's exact bytes as entry seq, and its index rows. */
int32_t cs_store_put_raw(cs_store_txn *tx, uint64_t seq, const char *payload, size_t len, const json_t *entry);
/* The chain checked so far: the last good entry and its hash. */
typedef struct cs_store_chain {
    uint64_t seq;
    char prev[CS_STORE_HASH_LEN];
} cs_store_chain;
/* Checks entry seq (its number, JSON, seq, prev and stored hash) against
 * the chain *user (a cs_store_chain) and moves it on; EJOURNAL naming the
 * entry otherwise. A cs_store_visit. */
int cs_store_chain_next(uint64_t seq, const char *payload, size_t len, const char *stored, void *user);
/* Copying entries into another store (store copy, journal recover). */
typedef struct cs_store_copier {
    cs_store_txn *to;
    cs_store_chain chain;
    int one; /* stop after one entry */
} cs_store_copier;
/* Checks entry seq against c->chain, then inserts its exact bytes and
 * index rows into c->to; returns c->one after a good entry (a
 * cs_store_visit on a cs_store_copier). */
int cs_store_copy_entry(uint64_t seq, const char *payload, size_t len, const char *stored, void *user);
/* Imports <home>/journal.log when present (import.c). */
int32_t cs_store_import_pending(cs_store *st, const char *home);

#endif
