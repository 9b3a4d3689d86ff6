/* SPDX-License-Identifier: Apache-2.0 */
/* textnorm.c - Unicode folding for fingerprints, by ICU (see textnorm.h). */
#include "provenance/textnorm.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

/* A UTF-16 buffer; every step makes a new one from the last. */
typedef struct {
    UChar *p;
    int32_t len;
} ustr;

/* No step may grow the text beyond this many UTF-16 units per input byte
 * (NFKC's worst single expansion is 18 units for 3 bytes; text is prose). */
#define GROWTH 8

static USpoofChecker *spoof;
static pthread_once_t spoof_once = PTHREAD_ONCE_INIT;

static void open_spoof(void)
{
    UErrorCode err = U_ZERO_ERROR;
    USpoofChecker *sc = uspoof_open(&err);
    if (U_FAILURE(err)) {
        uspoof_close(sc);
        return;
    }
    spoof = sc;
}

/* Frees a buffer of (folded) text, wiping it first. */
static void release(UChar *p, int32_t len)
{
    if (p != NULL)
        OPENSSL_cleanse(p, (size_t)len * sizeof(UChar));
    free(p);
}

/* One ICU string transformation, in ICU's preflight style. */
typedef int32_t (*transform_fn)(const void *obj, const UChar *src, int32_t n, UChar *dst, int32_t cap,
                                UErrorCode *err);

static int32_t by_normaliser(const void *obj, const UChar *src, int32_t n, UChar *dst, int32_t cap,
                             UErrorCode *err)
{
    return unorm2_normalize(obj, src, n, dst, cap, err);
}

static int32_t by_skeleton(const void *obj, const UChar *src, int32_t n, UChar *dst, int32_t cap, UErrorCode *err)
{
    return uspoof_getSkeleton(obj, 0, src, n, dst, cap, err);
}

/* Replaces *s by fn(*s); bounded by `limit` units. Returns 0 or -1. */
static int apply(ustr *s, transform_fn fn, const void *obj, int32_t limit)
{
    int32_t cap = s->len + s->len / 4 + 16;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (cap > limit)
            return -1;
        UChar *dst = malloc(((size_t)cap + 1) * sizeof(UChar));
        if (dst == NULL)
            return -1;
        UErrorCode err = U_ZERO_ERROR;
        int32_t n = fn(obj, s->p, s->len, dst, cap + 1, &err);
        if (U_SUCCESS(err) && err != U_STRING_NOT_TERMINATED_WARNING && n <= cap) {
            release(s->p, s->len);
            s->p = dst;
            s->len = n;
            return 0;
        }
        release(dst, cap);
        if (err != U_BUFFER_OVERFLOW_ERROR && err != U_STRING_NOT_TERMINATED_WARNING)
            return -1;
        cap = n;
    }
    return -1;
}

/* Drops non-spacing marks (the accents NFD split off), in place. */
static void strip_marks(ustr *s)
{
    int32_t i = 0, w = 0;
    while (i < s->len) {
        int32_t start = i;
        UChar32 c;
        U16_NEXT(s->p, i, s->len, c);
        if (u_charType(c) == U_NON_SPACING_MARK)
            continue;
        while (start < i)
            s->p[w++] = s->p[start++];
    }
    s->len = w;
}

/* Turns every character that is neither a letter, a digit nor a mark into
 * a space, in place: punctuation of any script breaks words as ASCII
 * punctuation does (the skeleton would map some, such as an em dash, to
 * letters). */
static void break_words(ustr *s)
{
    int32_t i = 0, w = 0;
    while (i < s->len) {
        int32_t start = i;
        UChar32 c;
        U16_NEXT(s->p, i, s->len, c);
        if (!u_isalnum(c) && (U_GET_GC_MASK(c) & U_GC_M_MASK) == 0) {
            s->p[w++] = 0x20;
            continue;
        }
        while (start < i)
            s->p[w++] = s->p[start++];
    }
    s->len = w;
}

/* Steps 1 and 2 of textnorm.h. */
static int fold(ustr *s, int32_t limit)
{
    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2 *nfkc_cf = unorm2_getNFKCCasefoldInstance(&err);
    const UNormalizer2 *nfd = U_SUCCESS(err) ? unorm2_getNFDInstance(&err) : NULL;
    if (U_FAILURE(err) || apply(s, by_normaliser, nfkc_cf, limit) != 0 || apply(s, by_normaliser, nfd, limit) != 0)
        return -1;
    strip_marks(s);
    break_words(s);
    return 0;
}

static int from_utf8(ustr *s, const char *text, size_t len)
{
    UErrorCode err = U_ZERO_ERROR;
    int32_t n = 0;
    u_strFromUTF8WithSub(NULL, 0, &n, text, (int32_t)len, 0xFFFD, NULL, &err);
    if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err))
        return -1;
    if ((s->p = malloc(((size_t)n + 1) * sizeof(UChar))) == NULL)
        return -1;
    err = U_ZERO_ERROR;
    u_strFromUTF8WithSub(s->p, n + 1, &s->len, text, (int32_t)len, 0xFFFD, NULL, &err);
    return U_SUCCESS(err) ? 0 : -1;
}

static int to_utf8(char **out, size_t *out_len, const ustr *s)
{
    UErrorCode err = U_ZERO_ERROR;
    int32_t n = 0;
    u_strToUTF8(NULL, 0, &n, s->p, s->len, &err);
    if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err))
        return -1;
    char *text = malloc((size_t)n + 1);
    if (text == NULL)
        return -1;
    err = U_ZERO_ERROR;
    u_strToUTF8(text, n + 1, &n, s->p, s->len, &err);
    if (U_FAILURE(err)) {
        free(text);
        return -1;
    }
    *out = text;
    *out_len = (size_t)n;
    return 0;
}

int cs_text_normalise(char **out, size_t *out_len, const char *text, size_t len)
{
    *out = NULL;
    *out_len = 0;
    if ((text == NULL && len > 0) || len > CS_TEXTNORM_MAX || pthread_once(&spoof_once, open_spoof) != 0 ||
        spoof == NULL)
        return -1;
    int32_t limit = (int32_t)(len * GROWTH + 64);
    ustr s = {NULL, 0};
    int rc = from_utf8(&s, text != NULL ? text : "", len);
    if (rc == 0)
        rc = fold(&s, limit);
    if (rc == 0)
        rc = apply(&s, by_skeleton, spoof, limit);
    if (rc == 0)
        rc = fold(&s, limit);
    if (rc == 0)
        rc = to_utf8(out, out_len, &s);
    release(s.p, s.len);
    return rc;
}
