/* SPDX-License-Identifier: Apache-2.0 */
/* checkpoint.h - signed checkpoints of the home's ledger, and checking the
 * ledger against evidence kept outside the home (checkpoints, records).
 *
 * A checkpoint is a C2SP signed note (c2sp.org/tlog-checkpoint) with the
 * chain head standing for the Merkle root:
 *
 *     casescribe/<store id>          origin: names this ledger
 *     <size>                         entries, decimal
 *     <base64 of the 32-byte hash of entry <size>>
 *     time <seconds since the epoch> extension lines
 *     key <key id>
 *                                    one blank line
 *     — casescribe/<store id> <base64 of 4-byte key hint || Ed25519 signature>
 *
 * The signature covers the body up to and including its last newline; the
 * key hint is the first 4 bytes of SHA-256(name || "\n" || 0x01 || the
 * 32-byte public key), as the signed-note format gives for Ed25519. The
 * store id is 32 hex digits made when the ledger's first checkpoint is
 * written: a recreated or swapped ledger has another one. */
#ifndef CS_CHECKPOINT_H
#define CS_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "provenance/keys.h"
#include "record/record.h"
#include "store/store.h"

#define CS_CHECKPOINT_MAX 2048 /* a note longer than this is not one of ours */
#define CS_ORIGIN_MAX 64

typedef struct cs_checkpoint_note {
    char origin[CS_ORIGIN_MAX];
    uint64_t size;
    char head[CS_STORE_HASH_LEN]; /* hex */
    int64_t time;
    char key_id[CS_KEY_ID_MAX];
} cs_checkpoint_note;

/* The origin line of the ledger in tx ("casescribe/<store id>"); with
 * create (a write transaction), the id is made when there is none; without,
 * "" when there is none. */
int32_t cs_checkpoint_origin(cs_store_txn *tx, int create, char origin[CS_ORIGIN_MAX]);

/* A cs_store_signer: `user` is the context's cs_keyring; signs with its
 * current key. */
int32_t cs_checkpoint_sign(cs_store_txn *tx, uint64_t size, const char *head, int64_t time, char **text, void *user);

/* Parses a note (exactly our format); EPARSE naming what is wrong. */
int32_t cs_checkpoint_parse(cs_checkpoint_note *out, size_t *body_len, const char *text, size_t len);

/* Checks a checkpoint against the ledger read in tx: its signature by a key
 * of `keys` (EVERIFY), its origin, size and head (EJOURNAL: the ledger was
 * replaced, is shorter, or disagrees). One line into rep either way. */
int32_t cs_checkpoint_check(cs_buf *rep, cs_keyring *keys, cs_store_txn *tx, const char *text, size_t len);

/* Checks that the ledger holds the save that stamped `r` where its stamp
 * says (ledger-seq, ledger-prev): EJOURNAL when shorter or disagreeing;
 * EUNSTAMPED/EVERIFY/EKEY when the record itself does not verify, or
 * carries no ledger position (stamped before 1.6: EINVAL). */
int32_t cs_checkpoint_check_record(cs_buf *rep, cs_keyring *keys, cs_store_txn *tx, const cs_record *r);

#endif
