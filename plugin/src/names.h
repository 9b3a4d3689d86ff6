/* SPDX-License-Identifier: Apache-2.0 */
/* names.h - the home's external names (<home>/names.xml,
 * urn:casescribe:names:1): how records another system names in its own
 * words are read. The library only checks the file (schema, the home's
 * signature) and hands it to adapters of contract 2; it never reads the
 * names itself. */
#ifndef CS_NAMES_H
#define CS_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "casescribe.h"
#include "provenance/keys.h"

#define CS_MAX_NAMES_BYTES (256u << 10)

/* The home's names file, checked: *out (malloc'd, NUL-terminated) and its
 * length, or NULL and 0 when the home has none (or `home` is NULL).
 * EVERIFY when it is unsigned, edited or signed by a key the home does not
 * trust; its EPARSE/ESCHEMA/ETOOBIG/EIO; ENOMEM. A file that does not check
 * is never handed out. */
int32_t cs_names_load(uint8_t **out, size_t *out_len, const char *home, cs_keyring *keys);

#endif
