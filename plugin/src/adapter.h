/* adapter.h - adapters turn a vendor payload into the record model and back.
 * The pipeline looks an adapter up by name and never knows which one it was
 * called through. "xml" (the reference form) is built in. */
#ifndef CS_ADAPTER_H
#define CS_ADAPTER_H

#include <stddef.h>
#include <stdint.h>

#include "record/record.h"

typedef struct cs_adapter {
    const char *name;
    int32_t (*decode)(cs_record **out, const uint8_t *payload, size_t len);
    int32_t (*encode)(uint8_t **out, size_t *out_len, const cs_record *r);
} cs_adapter;

/* The adapter called `name`, or NULL with ENOTFOUND set as the last error. */
const cs_adapter *cs_adapter_find(const char *name);

/* Checks the arguments every entry point that takes a payload shares, then
 * decodes it with the named adapter. */
int32_t cs_adapter_decode(cs_record **out, const char *adapter, const uint8_t *payload, size_t len);

#endif
