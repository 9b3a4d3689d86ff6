/* SPDX-License-Identifier: Apache-2.0 */
/* shared.h - what the servers of a council share through one PostgreSQL
 * store (shared.c). Called only when cs_store_shared(ctx->store). */
#ifndef CS_SHARED_H
#define CS_SHARED_H

#include <stddef.h>
#include <stdint.h>

#include "casescribe.h"
#include "store/store.h"

/* Sets ctx->fp_secret to the council's fingerprint secret, kept in the
 * store; the first server to open offers its home's own (made when
 * missing) unless the store holds fingerprints of another secret (EKEY).
 * A read-only home takes it only when the store has one. EIO, ENETWORK,
 * EJOURNAL, ENOMEM. */
int32_t cs_shared_secret(casescribe_ctx *ctx);
/* Keeps `team`'s signed policy document (as written to its file) in the
 * store, for every server, in write transaction tx. */
int32_t cs_shared_policy_put(cs_store_txn *tx, const char *team, const uint8_t *doc, size_t len);
/* Writes the store's document of `team` to `path` (the home's policy
 * file) when the file differs: the policy then loads, and is checked
 * against the ledger, as a local one. Nothing when the store has none. */
int32_t cs_shared_policy_sync(casescribe_ctx *ctx, const char *team, const char *path);

#endif
