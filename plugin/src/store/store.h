/* SPDX-License-Identifier: Apache-2.0 */
/* store.h - everything the library persists about a home, behind one
 * backend-neutral interface: the ledger (the hash-chained journal), record
 * heads, the laundering fingerprint index, policy versions, and the places
 * phase 2 fills (checkpoints, the key registry, jobs, meta values).
 *
 * The save, policy, SAR and verify code talk to this interface only; they
 * know no SQL. Backends: SQLite (sqlite.c, the embedded default: one file
 * <home>/ledger.db, mode 0600, WAL, synchronous=FULL on every connection)
 * and PostgreSQL (pg.c: one database several servers share) behind the same
 * functions (backend.h holds the ops table each backend fills; select.c
 * reads which one a home names).
 *
 * The ledger: entries 1, 2, 3 ... (no gaps); each is one compact JSON
 * object, keys sorted (json_dumps JSON_COMPACT | JSON_SORT_KEYS), holding
 *     "seq":  its number
 *     "prev": hex SHA-256 of the previous entry's payload bytes ("" for 1)
 *     "kind": "save" | "policy" | "policy-bundle" | "confirm" | "abandoned" | ...
 * exactly as journal.log framed them before, so that entries imported from
 * a journal.log keep their bytes and hashes. No personal data or text may
 * be put in an entry: the caller is responsible for that.
 *
 * Transactions: every read and write goes through a transaction, which
 * holds one backend connection for its life (one connection per
 * concurrently running transaction, taken from the store's pool: never two
 * threads on one connection). A write transaction serialises every writer
 * of the home, threads and processes alike, fairly (SQLite: an flock queue
 * on <home>/ledger.lock, then BEGIN IMMEDIATE; PostgreSQL: an advisory
 * lock, taken at begin or, CS_STORE_WRITE_LATE, at cs_store_serialize), so
 * that what it reads in the queue (heads, the ledger tail) is what it
 * writes against. Nothing it
 * wrote is visible to others, nor durable, before cs_store_commit returned
 * 0; that is the commit point of a save. A read transaction sees one
 * consistent snapshot. A store handle is used only by the process that
 * opened it (never across fork()).
 *
 * Errors: functions returning int32_t return CASESCRIBE_OK or a
 * CASESCRIBE_E* code with the message set by cs_fail(): ENOMEM (never a
 * wrong answer instead), EIO (the backend failed: disk full, I/O error,
 * busy beyond the timeout), EJOURNAL (the ledger is damaged or of a newer
 * schema), ECONFLICT (a head compare-and-set lost), ENOTFOUND.
 */
#ifndef CS_STORE_H
#define CS_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "provenance/fingerprint.h"

/* The schema this library writes; a store with a higher one is refused, an
 * older one is upgraded when opened read-write (2: heads carry the last
 * confirmed version, and the abandoned table). */
#define CS_STORE_SCHEMA 2
/* Payloads larger than this are refused on append (as journal.log did). */
#define CS_STORE_MAX_ENTRY (1u << 20)
#define CS_STORE_HASH_LEN 65 /* hex SHA-256 and its NUL */

/* cs_store_open flags */
#define CS_STORE_NO_SYNC 0x1u   /* synchronous=OFF: benchmarks and tests only (CASESCRIBE_OPEN_NO_SYNC) */
#define CS_STORE_READ_ONLY 0x2u /* open without writing anything (a read-only home, a backup): writes EIO */

/* cs_store_begin modes */
#define CS_STORE_READ 0
#define CS_STORE_WRITE 1
/* A write that reads first and joins the writers' queue only at
 * cs_store_serialize: until then it may take record locks
 * (cs_store_lock_record) and read, never append. A backend whose writes
 * queue from the start (SQLite) makes it a CS_STORE_WRITE. */
#define CS_STORE_WRITE_LATE 2

typedef struct cs_store cs_store;
typedef struct cs_store_txn cs_store_txn;

/* ---- opening ----------------------------------------------------------- */

/* Opens the store of the home folder `home` (SQLite: <home>/ledger.db,
 * created 0600 when missing unless READ_ONLY). Constant time: checks the
 * schema version (EJOURNAL for a newer one, naming both), creates the
 * tables of a new store, prepares nothing per entry and reads no entry.
 * When the home holds a journal.log that was never imported, it is
 * imported first (cs_store_import_journal) under the write lock.
 * Every transaction (and every new connection) first checks that the
 * store is still the one opened (SQLite: <home>/ledger.db has the device
 * and inode it had at open; writes check after taking the writers' lock),
 * else EJOURNAL: a file replaced, moved or deleted under the process is
 * never written to nor read. READ_ONLY creates and writes nothing in the
 * home (SQLite: read through the -wal when there is one, else immutable).
 * Thread-safe handle: each thread runs its own transactions. */
int32_t cs_store_open(cs_store **out, const char *home, uint32_t flags);
/* Which store a home uses (select.c): $CASESCRIBE_STORE when set, else the
 * line `store = VALUE` of <home>/casescribe.conf, else the home's own SQLite
 * file. VALUE "sqlite" (or empty) is that file; "postgresql://...",
 * "postgres://..." or a libpq "key=value ..." string (e.g. "service=NAME")
 * is a shared PostgreSQL store. *uri gets a malloc'd libpq string, or NULL
 * for SQLite. EINVAL for a value that is neither (named, never echoed: it
 * may hold a password); EIO when the file cannot be read. */
int32_t cs_store_configured(const char *home, char **uri);
/* cs_store_open with the store named explicitly (NULL or "": SQLite in
 * `home`); a shared store imports no journal.log. */
int32_t cs_store_open_uri(cs_store **out, const char *home, const char *uri, uint32_t flags);
/* Copies the whole ledger of `from` into the EMPTY store `to` (copy.c):
 * each entry's bytes after checking its chain, the index rows, key
 * registry, jobs, latest checkpoint, store id and secret marker, in one
 * transaction of `to`. *count gets the entries copied. EINVAL (`to` is
 * not empty), EJOURNAL (the chain breaks: nothing copied), EIO, ENOMEM. */
int32_t cs_store_copy(cs_store *from, cs_store *to, uint64_t *count);
/* 1 when the store is shared by several servers (PostgreSQL). */
int cs_store_shared(const cs_store *st);
/* Closes every connection. NULL is a no-op. No transaction may be open. */
void cs_store_close(cs_store *st);
/* Where the store lives, for messages ("/home/x/ledger.db"); borrowed. */
const char *cs_store_location(const cs_store *st);

/* Imports the old journal file `path` (framed: u32 LE length | u32 LE
 * crc32 | payload) into an EMPTY ledger, byte for byte, after checking every
 * frame and the whole chain; builds the index rows of every entry in the
 * same transaction. Then the file is made read-only (0400) and renamed
 * <path>.imported. A damaged file (bad frame, CRC, seq or chain, including
 * a torn tail) is refused with EJOURNAL naming the entry and the recovery;
 * nothing is imported then. Called by cs_store_open; exposed for tests. */
int32_t cs_store_import_journal(cs_store *st, const char *path);

/* Rebuilds the ledger of `home` after damage in its middle: every entry of
 * `backup` (a copy of ledger.db, or a backed-up home folder holding one),
 * which must verify whole, then the entries of the damaged ledger that
 * continue its chain, up to the first that is unreadable or does not chain;
 * with the index rows they imply and the backup's keys, jobs and latest
 * checkpoint. Runs under the writers' lock. The damaged store is kept
 * beside (out->kept) and the rebuilt one takes its place; processes that
 * had the old one open refuse their next transaction and must reopen.
 * Errors: ENOTFOUND (no backup), EJOURNAL (the backup does not verify:
 * nothing changed), EIO, ENOMEM. */
typedef struct cs_store_recovery {
    uint64_t from_backup;     /* entries 1..from_backup came from the backup */
    uint64_t from_damaged;    /* the damaged ledger's entries kept after them */
    uint64_t damaged_entries; /* the damaged ledger's own count (0: unreadable) */
    char kept[4200];          /* where the damaged store now is */
} cs_store_recovery;
int32_t cs_store_recover(const char *home, const char *backup, cs_store_recovery *out);

/* ---- transactions ------------------------------------------------------ */

/* Starts a transaction (CS_STORE_READ or CS_STORE_WRITE) on a connection of
 * this thread's own. A write waits for the writers before it (no timeout
 * sleep-polling). On failure nothing is held. */
int32_t cs_store_begin(cs_store *st, int mode, cs_store_txn **out);
/* A CS_STORE_WRITE_LATE transaction joins the writers' queue: from here on,
 * what it reads of the ledger (its tail, the checkpoints) is what it
 * writes against. A no-op for any other transaction. */
int32_t cs_store_serialize(cs_store_txn *tx);
/* Whether tx is in the writers' queue (always, but for a
 * CS_STORE_WRITE_LATE transaction before cs_store_serialize): while it is
 * not, other writers may commit between two of its reads. */
int cs_store_queued(const cs_store_txn *tx);
/* Commits (durably, unless NO_SYNC) and ends the transaction: tx is freed
 * whatever the result. A failed commit leaves nothing of tx in the store
 * and fails that save only: the next transaction starts afresh. */
int32_t cs_store_commit(cs_store_txn *tx);
/* Undoes and ends the transaction (tx freed). NULL is a no-op. */
void cs_store_rollback(cs_store_txn *tx);

/* The store's clock, in seconds since the epoch: the local clock for
 * SQLite, the server's now() for PostgreSQL (one clock for every server of
 * a council). Within a transaction it does not move. */
int32_t cs_store_now(cs_store_txn *tx, int64_t *now);

/* Signs a checkpoint of the ledger as it will stand when tx commits: `size`
 * entries, the last one's hash `head`, at store time `time`. *text gets the
 * signed note (malloc'd); the function may read and write tx (the store's
 * id); *text NULL and OK: no checkpoint this time (no key yet). Set once
 * after opening, by the code that holds the signing key. */
typedef int32_t (*cs_store_signer)(cs_store_txn *tx, uint64_t size, const char *head, int64_t time, char **text,
                                   void *user);
/* From now on every write transaction that appended entries writes a
 * signed checkpoint (cs_store_checkpoint_put) just before it commits, in
 * the same transaction: a commit whose checkpoint cannot be made or stored
 * fails whole. NULL sign: none (the default). Call before any transaction. */
void cs_store_set_signer(cs_store *st, cs_store_signer sign, void *user);

/* ---- the ledger -------------------------------------------------------- */

/* Appends `entry` (the caller's object: "seq" and "prev" are set in it)
 * in write transaction tx, and the index rows it implies (a "save" entry's
 * head, AI prints and postings, human prints' commonness, short tokens; a
 * "policy"/"policy-bundle" entry's version/serial). A save entry's head is
 * a compare-and-set: its version must be the head's + 1 (1 for a new
 * record), else ECONFLICT. *seq_out and hash_out (hex SHA-256 of the
 * payload) may be NULL. Nothing is durable before cs_store_commit. */
int32_t cs_store_append(cs_store_txn *tx, json_t *entry, uint64_t *seq_out, char hash_out[CS_STORE_HASH_LEN]);

/* The number of entries and the hash of the last payload ("" when empty). */
int32_t cs_store_ledger_tail(cs_store_txn *tx, uint64_t *count, char hash[CS_STORE_HASH_LEN]);

/* Entry `seq` as a new JSON object (json_decref it). ENOTFOUND, EJOURNAL
 * when its stored bytes do not parse. */
int32_t cs_store_entry(cs_store_txn *tx, uint64_t seq, json_t **out);

/* The hash stored beside entry `seq` ("" for seq 0). ENOTFOUND when the
 * ledger has no such entry. */
int32_t cs_store_entry_hash(cs_store_txn *tx, uint64_t seq, char hash[CS_STORE_HASH_LEN]);

/* Called for entries in order by cs_store_walk: the payload bytes
 * (borrowed for the call, not NUL-terminated) and the hash stored beside
 * them. Non-zero stops the walk with that value. */
typedef int (*cs_store_visit)(uint64_t seq, const char *payload, size_t len, const char *stored_hash, void *user);
/* Visits entries from `from` (1: all) to the end, in seq order, without
 * holding more than one in memory. */
int32_t cs_store_walk(cs_store_txn *tx, uint64_t from, cs_store_visit visit, void *user);

/* Walks the whole ledger in one read snapshot, checking each entry's seq
 * (no gaps), "prev" (hash of the previous payload), stored hash and JSON.
 * OK, or EJOURNAL with a message naming the first bad entry ("entry 17:
 * prev does not match entry 16"). *count_out gets the good entries. */
int32_t cs_store_verify(cs_store *st, uint64_t *count_out);

/* ---- record heads ------------------------------------------------------ */

/* What the ledger says of a record's latest version (the head): enough to
 * tell a retry of that very save from a stale copy. "" when not held. */
typedef struct cs_store_head {
    uint32_t version;
    char digest[72];   /* the record digest */
    char previous[72]; /* the record digest of the version before, "" for version 1 */
    char form[72];     /* the form digest */
    char actor[129], time[32], key[64];
    uint64_t seq;      /* the ledger entry that made it */
    /* Two-phase saves: the last version the host confirmed it committed
     * (a "confirm" entry; 0: none) and its record digest ("" when 0). The
     * head is confirmed when confirmed == version. */
    uint32_t confirmed;
    char confirmed_digest[72];
} cs_store_head;

/* *found is 0 (and *out zeroed) when the record has no version here. */
int32_t cs_store_head_get(cs_store_txn *tx, const char *record, cs_store_head *out, int *found);

/* Two-phase saves. A "confirm" entry (record, version, digest) moves the
 * head's confirmed version forward (never back). An "abandoned" entry
 * (record, version: the first abandoned, last, digest of the last,
 * confirmed: the version kept) files versions version..last of the record
 * as abandoned: stamped, never confirmed by the host, and superseded by a
 * save chained to the confirmed version. Version numbers are never reused,
 * so a version number abandoned once stays abandoned. */
typedef struct cs_store_abandon {
    uint32_t first, last; /* the versions abandoned */
    uint32_t kept;        /* the confirmed version the next save chained to */
    uint64_t seq;         /* the "abandoned" ledger entry */
} cs_store_abandon;
/* Whether `version` of `record` was abandoned (*found 0 when not). */
int32_t cs_store_abandoned(cs_store_txn *tx, const char *record, uint32_t version, cs_store_abandon *out, int *found);

/* In a CS_STORE_WRITE_LATE transaction, before cs_store_serialize (always
 * in that order: a record, then the writers' queue, so that two writes
 * never wait for each other crosswise): holds `record` against other
 * writers until tx ends (PostgreSQL: pg_advisory_xact_lock of the record's
 * hash; SQLite: the write transaction already holds the whole store,
 * nothing to do). */
int32_t cs_store_lock_record(cs_store_txn *tx, const char *record);

/* ---- the laundering index ---------------------------------------------- */

/* An AI print saved here: the first save that journalled that sketch. */
typedef struct cs_store_print {
    char record[129], section[129];
    char team[129]; /* of the actor who saved it ("" when the entry had none) */
    uint32_t version;
    cs_fingerprint fp;
} cs_store_print;

typedef struct cs_store_hit {
    int found;  /* 0: no print reached a grade */
    int grade;  /* CS_FP_UNRELATED, CS_FP_DERIVED, CS_FP_COPIED */
    double score;
    cs_store_print print;
} cs_store_hit;

/* The stored AI print that `fp` (a text presented as human) grades
 * highest against (cs_store_grade_pair), with the grade and score; of
 * equally good prints one saved by `team` (may be NULL) is preferred.
 * Reads only the posting lists that can hold a match (rarest first, stock
 * phrases skipped once enough lists were read): cost independent of the
 * ledger's length. OK (hit->found 0 when none), ENOMEM, EIO: the caller
 * fails closed. */
int32_t cs_store_grade(cs_store_txn *tx, const cs_fingerprint *fp, const char *team, cs_store_hit *hit);
/* The same among the prints filed after print `since` (cs_store_print_max):
 * what a write that searched before it queued has not seen yet. */
int32_t cs_store_grade_since(cs_store_txn *tx, const cs_fingerprint *fp, const char *team, int64_t since,
                             cs_store_hit *hit);
/* The id of the latest AI print filed (0 when none): prints filed later
 * have higher ids. */
int32_t cs_store_print_max(cs_store_txn *tx, int64_t *id);

/* The one place cs_fingerprint_grade is called from: grades `human`
 * against `ai` with each value weighted by its commonness on this home
 * (cs_store_weight). Returns the grade; *failed (may be NULL) is set to 0,
 * or to the CASESCRIBE_E* code (ENOMEM, EIO...) when a weight could not be
 * read (the grade then used weight 1: the caller must fail closed with it). */
int cs_store_grade_pair(cs_store_txn *tx, const cs_fingerprint *human, const cs_fingerprint *ai, double *score,
                        int *failed);

/* The weight of a sketch value in 0..1 (a cs_fp_weight_fn over a
 * cs_store_txn *): 1 for a value few distinct prints (AI or human) hold on
 * this home, less the more hold it (stock phrases). */
double cs_store_weight(uint64_t value, const void *tx);
/* The weight of a single word (mh3 prints), likewise: its inverse document
 * frequency over the distinct prints counted (N), in 0..1 whatever the size
 * of the home: ln((N + 1) / df) / ln(N + 1). */
double cs_store_word_weight(uint64_t value, const void *tx);

/* *seen is 1 when a short AI text with this token (cs_short_token) was
 * saved here. */
int32_t cs_store_short_seen(cs_store_txn *tx, uint64_t token, int *seen);

/* ---- policy ------------------------------------------------------------ */

/* The latest policy version the ledger holds for `team` (0 when none) and
 * that version's digest ("" when not journalled). */
int32_t cs_store_policy(cs_store_txn *tx, const char *team, uint32_t *version, char digest[72]);
/* The highest bundle serial the ledger holds (0 when none) and its digest. */
int32_t cs_store_bundle(cs_store_txn *tx, uint64_t *serial, char digest[72]);

/* ---- places for phase 2 (tables exist; functions work) ----------------- */

/* Small named values of the store (its id, created time...): text up to
 * 4 KiB. get: *out malloc'd, NULL when absent. */
int32_t cs_store_meta_get(cs_store_txn *tx, const char *name, char **out);
int32_t cs_store_meta_set(cs_store_txn *tx, const char *name, const char *value);

/* Signed checkpoints: `size` entries with chain head `head` at `time`,
 * `text` the signed note as written (any format phase 2 chooses). */
typedef struct cs_store_checkpoint {
    uint64_t size;
    char head[CS_STORE_HASH_LEN];
    int64_t time;
    char *text; /* malloc'd by cs_store_checkpoint_latest */
} cs_store_checkpoint;
int32_t cs_store_checkpoint_put(cs_store_txn *tx, const cs_store_checkpoint *cp);
/* *found 0 when none; else cp->text is the caller's to free. */
int32_t cs_store_checkpoint_latest(cs_store_txn *tx, cs_store_checkpoint *cp, int *found);

/* The key registry: every key the home used or trusts (listed in the
 * order the ledger recorded them). */
typedef struct cs_store_key {
    const char *id;     /* key id (as stamps name it) */
    const char *origin; /* "home" | "trusted" ... */
    const char *pub;    /* public key, text form */
    int64_t created, retired; /* retired 0: in use */
    uint64_t seq;       /* the ledger entry that recorded it (0: none) */
} cs_store_key;
int32_t cs_store_key_put(cs_store_txn *tx, const cs_store_key *key); /* insert or replace by id */
typedef int (*cs_store_key_visit)(const cs_store_key *key, void *user); /* borrowed for the call */
int32_t cs_store_key_list(cs_store_txn *tx, cs_store_key_visit visit, void *user);

/* The registry is filled from the ledger: a "key" entry (see
 * cs_store_index_entry) puts its key, origin "home" or "trusted", and a
 * "rotate" retires the key it replaces. *found is 0 when `id` is not held;
 * else *out (strings malloc'd: cs_store_key_clear frees them) is its row. */
int32_t cs_store_key_get(cs_store_txn *tx, const char *id, cs_store_key *out, int *found);
void cs_store_key_clear(cs_store_key *key);

/* *yes is 1 when the ledger holds anything made with the home's
 * fingerprint secret (an AI print, a human print counted, a short-text
 * token): such a home must never get a new secret. Constant time. */
int32_t cs_store_fingerprinted(cs_store_txn *tx, int *yes);

/* Jobs that must survive a restart. */
typedef struct cs_store_job {
    const char *id, *kind, *state; /* state: "queued" | "running" | "done" | "failed" ... */
    const char *detail;            /* JSON text the job module owns (input file name...) */
    int64_t created, updated;
} cs_store_job;
int32_t cs_store_job_put(cs_store_txn *tx, const cs_store_job *job); /* insert or replace by id */
int32_t cs_store_job_delete(cs_store_txn *tx, const char *id);
typedef int (*cs_store_job_visit)(const cs_store_job *job, void *user);
/* Visits jobs in creation order; unfinished_only skips "done" and "failed". */
int32_t cs_store_job_list(cs_store_txn *tx, int unfinished_only, cs_store_job_visit visit, void *user);

#endif
