/* SPDX-License-Identifier: Apache-2.0 */
/* util.c - per-thread error messages, small string and time helpers. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <pthread.h>

/* One message per thread, so that a host's threads never read each other's
 * errors (libgit2 does the same). Fixed size: setting an error never fails. */
static _Thread_local char last_error[1024];

int32_t cs_fail(int32_t status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof(last_error), fmt, ap);
    va_end(ap);
    return status;
}

void cs_clear_error(void)
{
    last_error[0] = '\0';
}

const char *casescribe_last_error(void)
{
    return last_error;
}

int cs_options_known(uint32_t struct_size, size_t v1_6, size_t full)
{
    return struct_size == full || struct_size == v1_6;
}

int32_t cs_options_reset(void *opts, uint32_t struct_size, size_t v1_6, size_t full, const char *type)
{
    if (opts == NULL || !cs_options_known(struct_size, v1_6, full))
        return cs_fail(CASESCRIBE_EINVAL, "%s_init: pass sizeof(%s)", type, type);
    memset(opts, 0, struct_size);
    memcpy(opts, &struct_size, sizeof(struct_size)); /* struct_size is every options struct's first field */
    return CASESCRIBE_OK;
}

char *cs_strdup(const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy != NULL)
        memcpy(copy, s, n);
    return copy;
}

void cs_hex(char *out, const uint8_t *bytes, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 0xf];
    }
    out[2 * len] = '\0';
}

int64_t cs_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec;
}

void cs_format_time(char out[21], int64_t epoch_seconds)
{
    time_t t = (time_t)epoch_seconds;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 21, "1970-01-01T00:00:00Z");
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil), so that no timezone or locale state of
 * the host is consulted (timegm would be fine too, but is not C11/POSIX). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int read_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

int cs_parse_time(int64_t *out, const char *s)
{
    int Y, M, D, h, m, sec;
    if (s == NULL)
        return -1;
    const char *p = s;
    if (read_digits(&p, 4, &Y) || *p++ != '-' || read_digits(&p, 2, &M) || *p++ != '-' ||
        read_digits(&p, 2, &D) || *p++ != 'T' || read_digits(&p, 2, &h) || *p++ != ':' ||
        read_digits(&p, 2, &m) || *p++ != ':' || read_digits(&p, 2, &sec))
        return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || h > 23 || m > 59 || sec > 60)
        return -1;
    if (M == 2 && D == 29 && !((Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0))
        return -1;
    if (*p == '.') { /* fractions of a second are accepted and ignored */
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    int64_t offset = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (read_digits(&p, 2, &oh) || *p++ != ':' || read_digits(&p, 2, &om) || om > 59)
            return -1;
        offset = sign * (oh * 3600 + om * 60);
        if (offset < -12 * 3600 || offset > 14 * 3600) /* no place on Earth is outside -12:00..+14:00 */
            return -1;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    *out = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + m * 60 + sec - offset;
    return 0;
}

void cs_buf_printf(cs_buf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->data ? b->data + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap - b->len <= (size_t)n)
            cap *= 2;
        char *grown = realloc(b->data, cap);
        if (grown == NULL) {
            b->failed = 1;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
}

char *cs_buf_take(cs_buf *b)
{
    char *text = NULL;
    if (!b->failed)
        text = b->data != NULL ? b->data : cs_strdup("");
    else
        free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    return text;
}

void cs_buf_free(cs_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int cs_fsync_parent(const char *path)
{
    char *copy = cs_strdup(path);
    if (copy == NULL) {
        errno = ENOMEM;
        return -1;
    }
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int32_t cs_read_file(uint8_t **out, size_t *len, const char *path, size_t max)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rbe");
    if (f == NULL)
        return errno == ENOENT ? CASESCRIBE_ENOTFOUND
                               : cs_fail(CASESCRIBE_EIO, "cannot read %s: %s", path, strerror(errno));
    uint8_t *buf = malloc(max + 2);
    size_t got = buf != NULL ? fread(buf, 1, max + 1, f) : 0;
    int err = ferror(f);
    fclose(f);
    if (buf == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (err || got > max) {
        free(buf);
        return err ? cs_fail(CASESCRIBE_EIO, "cannot read %s", path)
                   : cs_fail(CASESCRIBE_ETOOBIG, "%s is larger than %zu bytes", path, max);
    }
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return CASESCRIBE_OK;
}

static EVP_MD *sha256_fetched;
static EVP_CIPHER *aes_fetched;
static pthread_once_t fetched_once = PTHREAD_ONCE_INIT;

static void fetch_algorithms(void)
{
    /* Kept for the life of the process. */
    sha256_fetched = EVP_MD_fetch(NULL, "SHA256", NULL);
    aes_fetched = EVP_CIPHER_fetch(NULL, "AES-256-ECB", NULL);
}

const EVP_MD *cs_sha256(void)
{
    pthread_once(&fetched_once, fetch_algorithms);
    return sha256_fetched != NULL ? sha256_fetched : EVP_sha256();
}

const EVP_CIPHER *cs_aes_256_ecb(void)
{
    pthread_once(&fetched_once, fetch_algorithms);
    return aes_fetched != NULL ? aes_fetched : EVP_aes_256_ecb();
}
