/* SPDX-License-Identifier: Apache-2.0 */
/* adapter.h - adapters turn a vendor payload into the record model and back.
 *
 * Every adapter, built in or registered by a vendor, is a casescribe_adapter
 * (the public struct): decode turns the payload into a reference form
 * (urn:casescribe:form:1), which the library then parses with its own
 * hardened parser and schema; encode turns the stamped reference form back
 * into the payload. The pipeline looks an adapter up by name and never
 * knows which one it was called through. */
#ifndef CS_ADAPTER_H
#define CS_ADAPTER_H

#include <stddef.h>
#include <stdint.h>

#include "casescribe.h"
#include "record/record.h"

/* The buffer callbacks append to (public, opaque: casescribe_buf). */
struct casescribe_buf {
    uint8_t *data;
    size_t len, cap;
};

/* A use of a registered adapter: while held, the adapter is not destroyed
 * (unregistering waits for it). A save holds one from decode to encode, a
 * fill job for its whole life. */
typedef struct cs_adapter_use cs_adapter_use;
/* ENOTFOUND when no adapter is called `name`; ENOMEM. */
int32_t cs_adapter_acquire(cs_adapter_use **out, const char *name);
void cs_adapter_release(cs_adapter_use *use);

/* Checks the arguments every entry point that takes a payload shares, then
 * decodes it with the adapter into a record (parsed by the hardened parser,
 * schema-checked, citations checked). */
int32_t cs_adapter_decode_with(cs_record **out, cs_adapter_use *use, const uint8_t *payload, size_t len);
/* The same, handing an adapter of contract 2 the home's checked external
 * names (cs_names_load; NULL when none). */
int32_t cs_adapter_decode_named(cs_record **out, cs_adapter_use *use, const uint8_t *payload, size_t len,
                                const uint8_t *names, size_t names_len);
/* decode as a save, a fill or a transcription job runs it: an adapter of
 * contract 2 gets the home's checked names file (EVERIFY when the file is
 * unsigned or edited). */
int32_t cs_adapter_decode_home(cs_record **out, cs_adapter_use *use, casescribe_ctx *ctx, const uint8_t *payload,
                               size_t len);
/* The same, looking the adapter up by name for this one call. */
int32_t cs_adapter_decode_in(cs_record **out, const char *adapter, casescribe_ctx *ctx, const uint8_t *payload,
                             size_t len);
/* The same, looking the adapter up by name for this one call. */
int32_t cs_adapter_decode(cs_record **out, const char *adapter, const uint8_t *payload, size_t len);

/* Encodes `r` (as a reference form) through the adapter. `original` is the
 * payload `r` was decoded from; `ctx` the context of the call. */
int32_t cs_adapter_encode_with(uint8_t **out, size_t *out_len, cs_adapter_use *use, casescribe_ctx *ctx,
                               const cs_record *r, const uint8_t *original, size_t original_len);
/* The same from the reference form `form` already written (form_len
 * bytes, which this call frees whatever the result). */
int32_t cs_adapter_encode_form(uint8_t **out, size_t *out_len, cs_adapter_use *use, casescribe_ctx *ctx,
                               uint8_t *form, size_t form_len, const uint8_t *original, size_t original_len);

/* The built-in adapters (adapters/builtin.c, written against the public
 * header only): fills up to `max` initialised structs, returns how many. */
size_t cs_builtin_adapters(casescribe_adapter *out, size_t max);

#endif
