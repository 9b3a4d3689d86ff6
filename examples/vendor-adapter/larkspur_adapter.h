/* SPDX-License-Identifier: Apache-2.0 */
/* larkspur_adapter.h - a CaseScribe adapter for the (invented) Larkspur Case
 * Manager's JSON form payload. A template to copy: see README.md.
 *
 * Call larkspur_adapter_register() once at start-up, before the threads
 * that save; then name the adapter in every call that takes one:
 *
 *   casescribe_save(&out, &out_len, ctx, LARKSPUR_ADAPTER_NAME, &actor, json, json_len);
 *
 * and store `out` (Larkspur JSON again, now carrying "casescribeStamp") as
 * the record. */
#ifndef LARKSPUR_ADAPTER_H
#define LARKSPUR_ADAPTER_H

#include <stdint.h>

/* The name the adapter is registered under. */
#define LARKSPUR_ADAPTER_NAME "larkspur"

/* Registers the adapter for the whole process. Returns CASESCRIBE_OK, or
 * CASESCRIBE_ECONFLICT when it is registered already, CASESCRIBE_EINVAL or
 * CASESCRIBE_ENOMEM (casescribe_last_error() says why). */
int32_t larkspur_adapter_register(void);

/* Unregisters it: new calls through "larkspur" fail with
 * CASESCRIBE_ENOTFOUND; calls already running finish first. */
int32_t larkspur_adapter_unregister(void);

#endif /* LARKSPUR_ADAPTER_H */
