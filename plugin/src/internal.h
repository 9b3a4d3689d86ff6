/* SPDX-License-Identifier: Apache-2.0 */
/* internal.h - helpers shared by every part of the library. Not installed. */
#ifndef CS_INTERNAL_H
#define CS_INTERNAL_H

#include <openssl/types.h>
#include <stddef.h>
#include <stdint.h>

#include "casescribe.h"

#if defined(__GNUC__)
#define CS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CS_PRINTF(a, b)
#endif

/* Sets the calling thread's last error message (printf-style, truncated to
 * 1 KiB) and returns `status`, so that failures read `return cs_fail(...)`. */
int32_t cs_fail(int32_t status, const char *fmt, ...) CS_PRINTF(2, 3);

/* Clears the calling thread's last error message. */
void cs_clear_error(void);

/* strdup that returns NULL for NULL input and on allocation failure. */
char *cs_strdup(const char *s);
/* The options structs that grew in 1.7 (fill, transcribe) know two layouts:
 * `full` bytes and `v1_6` (the 1.6 struct, its new fields absent).
 * cs_options_known says whether a struct_size is one of them;
 * cs_options_reset checks it, zeroes the struct and sets struct_size (its
 * first field), or fails EINVAL naming `type`. */
int cs_options_known(uint32_t struct_size, size_t v1_6, size_t full);
int32_t cs_options_reset(void *opts, uint32_t struct_size, size_t v1_6, size_t full, const char *type);

/* Lowercase hex of `len` bytes into `out`, which must hold 2*len+1 bytes. */
void cs_hex(char *out, const uint8_t *bytes, size_t len);

/* The current UTC time as seconds since the epoch, and as ISO 8601
 * "YYYY-MM-DDTHH:MM:SSZ" (out must hold 21 bytes). */
int64_t cs_now(void);
void cs_format_time(char out[21], int64_t epoch_seconds);

/* Parses an ISO 8601 UTC time "YYYY-MM-DDTHH:MM:SS[.fff]Z" or with a
 * "+HH:MM"/"-HH:MM" offset into seconds since the epoch. Returns 0 on
 * success, -1 when the text is not such a time. */
int cs_parse_time(int64_t *out, const char *text);

/* fsync()s the folder that holds `path`, so that a file or folder just
 * created or renamed there survives a crash. Returns 0, or -1 with errno. */
int cs_fsync_parent(const char *path);

/* Reads a whole file of at most `max` bytes into a NUL-terminated buffer
 * (free it). ENOTFOUND (no message) when it is missing, ETOOBIG when it is
 * longer than `max`, EIO, ENOMEM. */
int32_t cs_read_file(uint8_t **out, size_t *len, const char *path, size_t max);

/* A growing text buffer for reports. After an allocation failure it stays
 * failed and cs_buf_take returns NULL, so callers check once at the end. */
typedef struct cs_buf {
    char *data;
    size_t len, cap;
    int failed;
} cs_buf;
void cs_buf_printf(cs_buf *b, const char *fmt, ...) CS_PRINTF(2, 3);
/* Hands the text to the caller (free it), or NULL after a failure. */
char *cs_buf_take(cs_buf *b);
void cs_buf_free(cs_buf *b);

/* OpenSSL algorithms fetched once per process (thread-safe) for the hot
 * paths: EVP_sha256() or EVP_aes_256_ecb() handed to an init looks the
 * algorithm up again on every call. Never NULL (those are the fallback). */
const EVP_MD *cs_sha256(void);
const EVP_CIPHER *cs_aes_256_ecb(void);

#endif
