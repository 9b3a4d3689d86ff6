/* SPDX-License-Identifier: Apache-2.0 */
/* verify.h - checking one decoded record against its stamp, shared by
 * casescribe_verify and the subject access export. */
#ifndef CS_VERIFY_H
#define CS_VERIFY_H

#include "internal.h"
#include "provenance/keys.h"
#include "provenance/stamp.h"
#include "record/record.h"

/* Checks the signature of r's provenance with `keys` and compares the
 * record with its stamp, one line per difference into `diffs`. OK,
 * EVERIFY (changed since it was stamped), EUNSTAMPED, EKEY (signed by a
 * key `keys` does not hold), ENOMEM. record_digest (may be NULL) gets the
 * record digest when the signature could be checked. */
int32_t cs_verify_record(cs_buf *diffs, cs_keyring *keys, const cs_record *r, char record_digest[CS_DIGEST_LEN]);

/* With a home: refuses (EVERIFY, one line into diffs) a record whose stamp
 * is dated outside its signing key's validity window in the home's key
 * registry (before the key was made here, or after a rotation retired
 * it, beyond CASESCRIBE_CLOCK_SKEW). OK when the registry does not hold
 * the key; EIO/EJOURNAL when the store cannot be read. r is stamped. */
int32_t cs_verify_key_window(cs_buf *diffs, casescribe_ctx *ctx, const cs_record *r);

#endif
