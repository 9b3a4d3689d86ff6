/* journal.h - the home's append-only, hash-chained journal.
 *
 * File format (journal.log): a sequence of frames
 *     u32 little-endian payload length | u32 little-endian crc32(payload) | payload
 * where payload is one compact JSON object (keys sorted) holding at least
 *     "seq":  1, 2, 3 ... (no gaps)
 *     "prev": hex SHA-256 of the previous frame's payload ("" for seq 1)
 *     "kind": "save" | ...
 * plus whatever the caller put in the object. No personal data may be put in
 * an entry: the caller is responsible for that.
 *
 * Durability: an append is acknowledged (returns 0) only after fdatasync()
 * returned 0 (unless CS_JOURNAL_NO_SYNC). If fdatasync fails the journal is
 * marked failed and every later append fails: we never assume the data is
 * safe after a failed flush.
 *
 * Concurrency: threads of one process serialise on a mutex; processes on
 * flock(LOCK_EX) of the journal file. cs_journal_lock() also reads any
 * entries other processes appended since, so that indices kept by the caller
 * stay complete.
 */
#ifndef CS_JOURNAL_H
#define CS_JOURNAL_H

#include <jansson.h>
#include <stdint.h>

#define CS_JOURNAL_NO_SYNC 0x1u
/* Payloads larger than this are refused on append and treated as corruption on read. */
#define CS_JOURNAL_MAX_ENTRY (1u << 20)

typedef struct cs_journal cs_journal;

/* Called for each entry read (at open, and at lock for entries appended by
 * other processes). `entry` is borrowed for the call. Return 0 to go on,
 * non-zero to stop with that value as the error. */
typedef int (*cs_journal_visit)(const json_t *entry, void *user);

/* Opens (creating, 0600, and fsyncing the folder on creation) the journal
 * at `path`. Reads it forward, checking length, CRC, seq and chain, calling
 * visit (may be NULL) for every good entry. A torn tail (a bad frame that
 * reaches the end of the file) is cut off with ftruncate + fsync and its size
 * reported by cs_journal_truncated_bytes(). A bad frame followed by more data
 * (a corrupt middle) opens the journal in a failed state: appends return
 * CASESCRIBE_EJOURNAL, and the message names the entry.
 * Returns CASESCRIBE_OK or a CASESCRIBE_E* code (message set with cs_fail). */
int32_t cs_journal_open(cs_journal **out, const char *path, uint32_t flags, cs_journal_visit visit, void *user);
void cs_journal_close(cs_journal *j);

uint64_t cs_journal_truncated_bytes(const cs_journal *j);
/* 1 when the journal refuses appends (corrupt middle at open, or a failed flush). */
int cs_journal_failed(const cs_journal *j);

/* Takes the journal for one append: locks the mutex, then flock; then reads
 * entries appended by others since this process last looked, calling visit.
 * On failure nothing is held. */
int32_t cs_journal_lock(cs_journal *j, cs_journal_visit visit, void *user);
/* Sets "seq" and "prev" in `entry` (the caller's object, modified), writes
 * the frame with O_APPEND and fdatasyncs. *seq_out (may be NULL) receives
 * the seq; hash_out (may be NULL, 65 bytes) the hex SHA-256 of the payload. */
int32_t cs_journal_append_locked(cs_journal *j, json_t *entry, uint64_t *seq_out, char *hash_out);
void cs_journal_unlock(cs_journal *j);

/* Read-only full check of the file at `path` (no lock needed, no repair).
 * Calls visit for each good entry. Returns OK, or EJOURNAL with a message
 * naming the first bad entry ("entry 17 at byte 4096: checksum mismatch").
 * A torn tail counts as bad here too. *count_out gets the good entries. */
int32_t cs_journal_verify_file(const char *path, uint64_t *count_out, cs_journal_visit visit, void *user);

/* Reads entry `seq` into a new JSON object (json_decref it): directly by its
 * remembered offset when this handle has seen it, else by scanning the file
 * at `path` (entries other processes appended since). Returns OK, ENOTFOUND,
 * EJOURNAL or EIO. Thread-safe. */
int32_t cs_journal_read_entry(json_t **out, cs_journal *j, const char *path, uint64_t seq);

#endif
