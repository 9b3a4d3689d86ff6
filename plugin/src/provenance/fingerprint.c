/* SPDX-License-Identifier: Apache-2.0 */
/* fingerprint.c - keyed bottom-k MinHash of a section's text.
 *
 * Pipeline: normalise and split words (see fingerprint.h); hash each word
 * to 64 bits (FNV-1a + a bijective finaliser: not secret, only needs to
 * spread); fold three consecutive word hashes into a shingle value; map
 * each shingle value through a keyed pseudo-random function; keep the
 * CS_FP_K smallest distinct results.
 *
 * Why AES as the keyed function: the stored values must not let anyone
 * without the secret test a guessed text, so the keyed step has to be a real
 * PRF, not a keyed mixer (a mixer such as (x ^ k1) * odd + k2 followed by a
 * finaliser is invertible, and a few known text/value pairs give the keys
 * away). SipHash through EVP_MAC costs ~60 ns per call (about 18 us for a
 * 300-word text, most of the budget). AES-256 used as a PRF on one block per
 * shingle is a standard PRF, runs in hardware (AES-NI/ARMv8-CE), and - since
 * the blocks are independent - can be batched into one EVP call per
 * SHINGLE_BATCH shingles: about 1 us per 300 shingles. ECB mode is exactly
 * "the block cipher applied to each block on its own", which is what a PRF
 * evaluation is; its usual flaw, equal inputs giving equal outputs, is the
 * property MinHash needs. The AES key is SHA-256 of a label and the secret,
 * so the file's secret is never used raw and the label versions the scheme
 * ("mh1"); AES-256 and SHA-256 are also both available under a FIPS
 * provider, where SipHash is not.
 *
 * Schemes: "mh2" (the current one) first folds the text with ICU (see
 * textnorm.h: NFKC case folding, accents dropped, UTS #39 confusable
 * skeleton), then splits words as below; "mh1" split the raw bytes only. A
 * print of one scheme is never compared with one of the other: a save
 * computes both for human text while the journal still holds mh1 prints.
 *
 * Memory: mh1 is bounded whatever the length of the text (one batch buffer
 * and the sketch); mh2 also holds the folded text, a few times its size.
 */
#include "provenance/fingerprint.h"

#include "internal.h"
#include "provenance/textnorm.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 16
/* Shingles encrypted per EVP call: large enough to amortise the call, small
 * enough (2 KiB) for the stack of any host thread. */
#define SHINGLE_BATCH 128
#define PREFIX_MH1 "mh1:"
#define PREFIX_MH2 "mh2:"
#define PREFIX_MH3 "mh3:"
#define PREFIX_MH4 "mh4:" /* mh3 with over CS_FP_PK_MH3 pair values */
#define PREFIX_LEN 4
/* Base64 length of n bytes, without the terminating NUL. */
#define B64_LEN(n) (4 * (((n) + 2) / 3))
#define MAX_B64 B64_LEN((CS_FP_K > CS_FP_PK ? CS_FP_K : CS_FP_PK) * 8)

/* Domain separation: the label is part of the key derivation, the tag fills
 * the second half of every block so a block never holds only text-derived
 * bytes. Changing either changes every fingerprint: bump the scheme then.
 * Both labels have the same length. */
static const char key_label_mh1[] = "CaseScribe fingerprint mh1 AES-256 key";
static const char key_label_mh2[] = "CaseScribe fingerprint mh2 AES-256 key";
static const uint8_t block_tag_mh1[8] = {'m', 'h', '1', 's', 'h', 'i', 'n', 'g'};
static const uint8_t block_tag_mh2[8] = {'m', 'h', '2', 's', 'h', 'i', 'n', 'g'};
/* mh3 keeps mh2's key and shingles, and adds word pairs and single words
 * under tags of their own. */
static const uint8_t block_tag_pair[8] = {'m', 'h', '3', 'p', 'a', 'i', 'r', 's'};
static const uint8_t block_tag_word[8] = {'m', 'h', '3', 'w', 'o', 'r', 'd', 's'};
enum { SKETCH_SHINGLES, SKETCH_PAIRS, SKETCH_WORDS };

/* ------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------ */

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static uint64_t get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t rotl64(uint64_t x, unsigned r)
{
    return (x << r) | (x >> (64 - r));
}

/* The murmur3 / splitmix64 finaliser: a bijection that spreads every input
 * bit over the output, so that the FNV word hash and the shingle fold are
 * well mixed before the keyed step. */
static uint64_t fmix64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

/* The normalised form of a byte: ASCII letters lowercased, digits and bytes
 * >= 0x80 (parts of UTF-8 sequences) kept as they are, anything else 0, a
 * word break. Multibyte letters are not case-folded: doing that needs
 * Unicode tables, and ASCII case is what reflowing and retyping change. */
static uint8_t word_byte(uint8_t c)
{
    if (c >= 0x80)
        return c;
    uint8_t lower = (uint8_t)(c | 0x20); /* ASCII letters only: checked next */
    if ((uint8_t)(lower - 'a') < 26)
        return lower;
    if ((uint8_t)(c - '0') < 10)
        return c;
    return 0;
}

/* The code point of the well-formed UTF-8 sequence of 2-4 bytes at
 * text[i], and its length; 0 when there is none (ASCII, or bytes that do not
 * form a sequence: those stay ordinary word bytes). The text came through
 * the XML parser, which checked the encoding; this only reads it. */
static size_t utf8_at(const uint8_t *text, size_t i, size_t len, uint32_t *cp)
{
    uint8_t c = text[i];
    size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (n == 0 || c > 0xF4 || i + n > len)
        return 0;
    uint32_t v = c & (0x7Fu >> n);
    for (size_t k = 1; k < n; k++) {
        if ((text[i + k] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (text[i + k] & 0x3Fu);
    }
    *cp = v;
    return n;
}

/* Unicode's Default_Ignorable_Code_Point list: soft hyphen, zero-width
 * spaces and joiners, direction marks, invisible operators, variation
 * selectors, tags. They draw nothing, so inserting them inside words must
 * not change a fingerprint. */
static bool is_ignorable(uint32_t cp)
{
    static const uint32_t ranges[][2] = {
        {0x00AD, 0x00AD},   {0x034F, 0x034F},   {0x061C, 0x061C},   {0x115F, 0x1160}, {0x17B4, 0x17B5},
        {0x180B, 0x180F},   {0x200B, 0x200F},   {0x202A, 0x202E},   {0x2060, 0x206F}, {0x3164, 0x3164},
        {0xFE00, 0xFE0F},   {0xFEFF, 0xFEFF},   {0xFFA0, 0xFFA0},   {0xFFF0, 0xFFF8}, {0x1BCA0, 0x1BCA3},
        {0x1D173, 0x1D17A}, {0xE0000, 0xE0FFF},
    };
    for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++)
        if (cp >= ranges[r][0] && cp <= ranges[r][1])
            return true;
    return false;
}

/* Unicode spaces and punctuation that must break words like their ASCII
 * look-alikes: U+00A0, U+00AB, U+00BB, U+2000-U+202F (spaces, dashes, curly
 * quotes, bullets, ellipsis), U+205F and U+3000. Without this, retyping
 * "Jo's" as "Jo’s" (as word processors do) would change shingles. */
static bool is_break(uint32_t cp)
{
    return cp == 0xA0 || cp == 0xAB || cp == 0xBB || (cp >= 0x2000 && cp <= 0x202F) || cp == 0x205F ||
           cp == 0x3000;
}

enum { BYTE_PLAIN, BYTE_BREAK, BYTE_IGNORE };

/* What the byte at text[i] starts: an ignorable or breaking character
 * (its length in *n), or a plain byte (*n = 1) for word_byte to judge. */
static int classify(const uint8_t *text, size_t i, size_t len, size_t *n)
{
    uint32_t cp = 0;
    *n = 1;
    if (text[i] < 0xC2)
        return BYTE_PLAIN;
    size_t seq = utf8_at(text, i, len, &cp);
    if (seq == 0)
        return BYTE_PLAIN;
    *n = seq;
    if (is_ignorable(cp))
        return BYTE_IGNORE;
    if (is_break(cp))
        return BYTE_BREAK;
    *n = 1; /* a letter: its bytes are word bytes */
    return BYTE_PLAIN;
}

/* Counts words, stopping at `limit`: lets short texts be refused before any
 * key is derived, and costs nothing on long ones. */
static size_t count_words(const uint8_t *text, size_t len, size_t limit)
{
    size_t words = 0;
    bool in_word = false;
    for (size_t i = 0, n = 1; i < len && words < limit; i += n) {
        int kind = classify(text, i, len, &n);
        if (kind == BYTE_IGNORE)
            continue;
        bool w = kind == BYTE_PLAIN && word_byte(text[i]) != 0;
        if (w && !in_word)
            words++;
        in_word = w;
    }
    return words;
}

/* ------------------------------------------------------------------------
 * The sketch
 * ------------------------------------------------------------------------ */

/* Inserts v into the ascending, distinct array of the k smallest values.
 * A linear scan from the top, not a binary search: the array is small, the
 * scan's branch is predictable, and the entries above v move anyway. On a
 * full sketch most values stop at the first comparison. */
static void keep_smallest(uint64_t *h, uint32_t *count, uint32_t k, uint64_t v)
{
    uint32_t n = *count;
    uint32_t pos = n;
    while (pos > 0 && h[pos - 1] > v)
        pos--;
    if (pos == k)
        return; /* not below the k kept */
    if (pos > 0 && h[pos - 1] == v)
        return; /* a repeated shingle */
    if (n == k)
        n--; /* the largest falls off */
    memmove(&h[pos + 1], &h[pos], (n - pos) * sizeof(h[0]));
    h[pos] = v;
    *count = n + 1;
}

typedef struct {
    EVP_CIPHER_CTX *aes;
    cs_fingerprint *fp;
    uint64_t back[2]; /* hashes of the two words before the current one, the latest first */
    size_t words;
    uint64_t other[CS_FP_PAIR_WINDOW]; /* mh3: the last words, the latest first */
    int pending; /* blocks waiting in buf */
    int pairs;   /* mh3: also sketch word pairs and single words */
    const uint8_t *tag; /* block_tag_mh1 or _mh2 (mh3's shingles are mh2's) */
    uint8_t which[SHINGLE_BATCH]; /* the sketch each pending block goes to (SKETCH_*) */
    uint8_t buf[SHINGLE_BATCH * BLOCK];
} sketcher;

/* Derives the AES key of a scheme from the secret. Returns 0 or -1. */
static int derive_key(uint8_t key[32], const uint8_t secret[CS_FP_SECRET_LEN], const char *key_label)
{
    uint8_t msg[sizeof(key_label_mh2) + CS_FP_SECRET_LEN];
    memcpy(msg, key_label, sizeof(key_label_mh2)); /* with its NUL: an unambiguous split */
    memcpy(msg + sizeof(key_label_mh2), secret, CS_FP_SECRET_LEN);
    unsigned int key_len = 0;
    int ok = EVP_Digest(msg, sizeof(msg), key, &key_len, cs_sha256(), NULL);
    OPENSSL_cleanse(msg, sizeof(msg));
    return ok == 1 && key_len == 32 ? 0 : -1;
}

static int sketcher_open(sketcher *s, cs_fingerprint *fp, const uint8_t secret[CS_FP_SECRET_LEN])
{
    memset(s, 0, sizeof(*s));
    s->fp = fp;
    s->pairs = fp->scheme == CS_FP_MH3;
    s->tag = fp->scheme == CS_FP_MH1 ? block_tag_mh1 : block_tag_mh2;
    uint8_t key[32];
    if (derive_key(key, secret, fp->scheme == CS_FP_MH1 ? key_label_mh1 : key_label_mh2) != 0)
        return -1;
    s->aes = EVP_CIPHER_CTX_new();
    int ok = s->aes != NULL && EVP_EncryptInit_ex(s->aes, cs_aes_256_ecb(), NULL, key, NULL) == 1 &&
             EVP_CIPHER_CTX_set_padding(s->aes, 0) == 1;
    OPENSSL_cleanse(key, sizeof(key));
    return ok ? 0 : -1;
}

static void sketcher_close(sketcher *s)
{
    EVP_CIPHER_CTX_free(s->aes); /* frees and cleanses the key schedule */
    s->aes = NULL;
}

/* Applies the keyed PRF to the pending shingles, in place, and keeps the
 * smallest results. Returns 0 or -1. */
static int flush(sketcher *s)
{
    int in_len = s->pending * BLOCK, out_len = 0;
    if (s->pending == 0)
        return 0;
    if (EVP_EncryptUpdate(s->aes, s->buf, &out_len, s->buf, in_len) != 1 || out_len != in_len)
        return -1;
    cs_fingerprint *fp = s->fp;
    for (int i = 0; i < s->pending; i++) {
        uint64_t v = get_be64(&s->buf[i * BLOCK]);
        if (s->which[i] == SKETCH_PAIRS)
            keep_smallest(fp->w, &fp->wcount, CS_FP_PK, v);
        else if (s->which[i] == SKETCH_WORDS)
            keep_smallest(fp->u, &fp->ucount, CS_FP_UK, v);
        else
            keep_smallest(fp->h, &fp->count, CS_FP_K, v);
    }
    s->pending = 0;
    return 0;
}

/* Queues one block for the keyed PRF: a shingle or (mh3) a word pair or a
 * word, for sketch `which`. Returns 0 or -1. */
static int queue(sketcher *s, uint64_t value, const uint8_t tag[8], int which)
{
    uint8_t *block = &s->buf[s->pending * BLOCK];
    put_be64(block, value);
    memcpy(block + 8, tag, 8);
    s->which[s->pending] = (uint8_t)which;
    return ++s->pending == SHINGLE_BATCH ? flush(s) : 0;
}

/* Takes the hash of the next word; once three words are seen, queues the
 * shingle they end, and (mh3) the word itself and the pairs it makes with
 * each of the CS_FP_PAIR_WINDOW words before it. Returns 0 or -1. */
static int add_word(sketcher *s, uint64_t h)
{
    /* Different rotations keep word order significant ("a b c" and "c b a"
     * are different shingles, "a .. b" and "b .. a" different pairs); no
     * further mixing is needed since the keyed PRF follows. A pair does not
     * say how far apart its words are: a word put in or taken out between
     * them leaves it as it was. */
    if (s->words >= 2 && queue(s, rotl64(s->back[1], 42) ^ rotl64(s->back[0], 21) ^ h, s->tag, SKETCH_SHINGLES) != 0)
        return -1;
    s->back[1] = s->back[0];
    s->back[0] = h;
    s->words++;
    if (!s->pairs)
        return 0;
    if (queue(s, h, block_tag_word, SKETCH_WORDS) != 0)
        return -1;
    for (size_t d = 0; d < CS_FP_PAIR_WINDOW && d + 1 < s->words; d++)
        if (queue(s, rotl64(s->other[d], 31) ^ h, block_tag_pair, SKETCH_PAIRS) != 0)
            return -1;
    memmove(&s->other[1], &s->other[0], (CS_FP_PAIR_WINDOW - 1) * sizeof(s->other[0]));
    s->other[0] = h;
    return 0;
}

#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

/* Splits the text into words and feeds them to the sketcher. */
static int scan(sketcher *s, const uint8_t *text, size_t len)
{
    uint64_t h = FNV_OFFSET;
    bool in_word = false;
    for (size_t i = 0, n = 1; i < len; i += n) {
        int kind = classify(text, i, len, &n);
        if (kind == BYTE_IGNORE)
            continue;
        uint8_t c = kind == BYTE_PLAIN ? word_byte(text[i]) : 0;
        if (c != 0) {
            h = (h ^ c) * FNV_PRIME;
            in_word = true;
        } else if (in_word) {
            if (add_word(s, fmix64(h)) != 0)
                return -1;
            h = FNV_OFFSET;
            in_word = false;
        }
    }
    if (in_word && add_word(s, fmix64(h)) != 0)
        return -1;
    return flush(s);
}

/* Sketches text already in the form of its scheme. Returns 0, 1 for too few
 * words, or -1; in both non-zero cases out->count is 0, which matches nothing. */
static int sketch(cs_fingerprint *out, const uint8_t secret[CS_FP_SECRET_LEN], const uint8_t *bytes, size_t len)
{
    if (count_words(bytes, len, CS_FP_MIN_WORDS) < CS_FP_MIN_WORDS)
        return 1;
    sketcher s;
    int rc = sketcher_open(&s, out, secret) == 0 ? scan(&s, bytes, len) : -1;
    sketcher_close(&s);
    OPENSSL_cleanse(&s, sizeof(s)); /* word hashes and shingle values of the text */
    if (rc != 0)
        out->count = out->wcount = out->ucount = 0;
    return rc;
}

int cs_fingerprint_compute_mh1(cs_fingerprint *out, const uint8_t secret[CS_FP_SECRET_LEN], const char *text,
                               size_t len)
{
    if (out == NULL)
        return -1;
    memset(out, 0, sizeof(*out));
    out->scheme = CS_FP_MH1;
    if (secret == NULL || (text == NULL && len > 0))
        return -1;
    return sketch(out, secret, (const uint8_t *)text, len);
}

int cs_fingerprint_compute(cs_fingerprint *out, const uint8_t secret[CS_FP_SECRET_LEN], const char *text,
                           size_t len)
{
    if (out == NULL)
        return -1;
    memset(out, 0, sizeof(*out));
    if (secret == NULL || (text == NULL && len > 0))
        return -1;
    char *norm = NULL;
    size_t norm_len = 0;
    if (cs_text_normalise(&norm, &norm_len, text, len) != 0)
        return -1;
    int rc = sketch(out, secret, (const uint8_t *)norm, norm_len);
    OPENSSL_cleanse(norm, norm_len);
    free(norm);
    return rc;
}

/* ------------------------------------------------------------------------
 * Similarity
 * ------------------------------------------------------------------------ */

/* Whether two prints' shingle sketches may be compared: mh3 keeps mh2's
 * shingles, mh1 folded no Unicode. */
static bool shingles_comparable(const cs_fingerprint *a, const cs_fingerprint *b)
{
    return (a->scheme == CS_FP_MH1) == (b->scheme == CS_FP_MH1);
}

/* The k smallest of the union of two bottom-k sketches are the k smallest
 * of the union of the two texts' shingle sets, and each of them is in the
 * intersection exactly when it is in both sketches: so merge, stop after k,
 * and count the values found in both. */
double cs_fingerprint_similarity(const cs_fingerprint *a, const cs_fingerprint *b)
{
    if (a == NULL || b == NULL || !shingles_comparable(a, b))
        return 0.0;
    /* Clamped so that a corrupt count cannot read past h[]. */
    uint32_t na = a->count < CS_FP_K ? a->count : CS_FP_K;
    uint32_t nb = b->count < CS_FP_K ? b->count : CS_FP_K;
    if (na == 0 || nb == 0)
        return 0.0;
    uint32_t i = 0, j = 0, taken = 0, both = 0;
    while (taken < CS_FP_K && (i < na || j < nb)) {
        if (i < na && j < nb && a->h[i] == b->h[j]) {
            both++;
            i++;
            j++;
        } else if (j >= nb || (i < na && a->h[i] < b->h[j])) {
            i++;
        } else {
            j++;
        }
        taken++;
    }
    return (double)both / (double)taken;
}

double cs_fingerprint_containment(const cs_fingerprint *part, const cs_fingerprint *whole, uint32_t *samples)
{
    *samples = 0;
    if (part == NULL || whole == NULL || !shingles_comparable(part, whole))
        return 0.0;
    uint32_t np = part->count < CS_FP_K ? part->count : CS_FP_K;
    uint32_t nw = whole->count < CS_FP_K ? whole->count : CS_FP_K;
    if (np == 0 || nw == 0)
        return 0.0;
    /* A sketch that is not full holds all of its text's values. */
    uint64_t limit = nw == CS_FP_K ? whole->h[nw - 1] : UINT64_MAX;
    uint32_t seen = 0, hits = 0, j = 0;
    for (uint32_t i = 0; i < np && part->h[i] <= limit; i++) {
        seen++;
        while (j < nw && whole->h[j] < part->h[i])
            j++;
        hits += j < nw && whole->h[j] == part->h[i];
    }
    *samples = seen;
    return seen > 0 ? (double)hits / (double)seen : 0.0;
}

int cs_fingerprint_copies(const cs_fingerprint *human, const cs_fingerprint *ai, double *score)
{
    double best = cs_fingerprint_similarity(human, ai);
    int copied = best >= CS_FP_MATCH;
    uint32_t samples = 0;
    /* AI text inside a longer note, then a note mostly made of AI text. */
    double c = cs_fingerprint_containment(ai, human, &samples);
    if (samples >= CS_FP_CONTAIN_SAMPLES && c >= CS_FP_CONTAIN_MATCH) {
        copied = 1;
        best = c > best ? c : best;
    }
    c = cs_fingerprint_containment(human, ai, &samples);
    if (samples >= CS_FP_CONTAIN_SAMPLES && c >= CS_FP_CONTAIN_MATCH) {
        copied = 1;
        best = c > best ? c : best;
    }
    if (score != NULL)
        *score = best;
    return copied;
}

/* Weighted estimates: each sketch value counts with its weight, and the
 * weight found in both sketches is the evidence. */
static double weight_of(cs_fp_weight_fn fn, const void *user, uint64_t v)
{
    if (fn == NULL)
        return 1.0;
    double x = fn(v, user);
    return x < 0.0 ? 0.0 : x > 1.0 ? 1.0 : x;
}

/* One bottom-k sketch of a print: its values, how many (clamped so that a
 * corrupt count cannot read past the array), its k, and its weights. */
typedef struct {
    const uint64_t *v;
    uint32_t n, k;
    cs_fp_weight_fn weight;
    const void *user;
} sketch_view;

static sketch_view shingles_of(const cs_fingerprint *fp, const cs_fp_weights *w)
{
    return (sketch_view){fp->h, fp->count < CS_FP_K ? fp->count : CS_FP_K, CS_FP_K, w->shingle, w->user};
}

static sketch_view pairs_of(const cs_fingerprint *fp, const cs_fp_weights *w)
{
    uint32_t n = fp->scheme != CS_FP_MH3 ? 0 : fp->wcount < CS_FP_PK ? fp->wcount : CS_FP_PK;
    return (sketch_view){fp->w, n, CS_FP_PK, w->shingle, w->user};
}

static sketch_view words_of(const cs_fingerprint *fp, const cs_fp_weights *w)
{
    uint32_t n = fp->scheme != CS_FP_MH3 ? 0 : fp->ucount < CS_FP_UK ? fp->ucount : CS_FP_UK;
    return (sketch_view){fp->u, n, CS_FP_UK, w->word, w->user};
}

/* The bottom-k similarity estimator of cs_fingerprint_similarity, weighted. */
static double weighted_similarity(sketch_view a, sketch_view b, double *evidence)
{
    uint32_t i = 0, j = 0, taken = 0;
    double all = 0.0, both = 0.0;
    while (taken < a.k && (i < a.n || j < b.n)) {
        int in_a = j >= b.n || (i < a.n && a.v[i] <= b.v[j]);
        int in_b = i >= a.n || (j < b.n && b.v[j] <= a.v[i]);
        double x = weight_of(a.weight, a.user, in_a ? a.v[i] : b.v[j]);
        all += x;
        both += in_a && in_b ? x : 0.0;
        i += (uint32_t)in_a;
        j += (uint32_t)in_b;
        taken++;
    }
    *evidence = both;
    return all > 0.0 ? both / all : 0.0;
}

/* cs_fingerprint_containment, weighted. */
static double weighted_containment(sketch_view part, sketch_view whole, uint32_t *samples, double *evidence)
{
    uint32_t seen = 0, j = 0;
    double all = 0.0, hits = 0.0;
    uint64_t limit = whole.n == whole.k ? whole.v[whole.n - 1] : UINT64_MAX;
    for (uint32_t i = 0; whole.n > 0 && i < part.n && part.v[i] <= limit; i++) {
        double x = weight_of(part.weight, part.user, part.v[i]);
        seen++;
        all += x;
        while (j < whole.n && whole.v[j] < part.v[i])
            j++;
        hits += j < whole.n && whole.v[j] == part.v[i] ? x : 0.0;
    }
    *samples = seen;
    *evidence = hits;
    return all > 0.0 ? hits / all : 0.0;
}

/* The weighted similarity of two shingle sketches (e[0]), the containment
 * of the AI text in the human one (e[1]) and of the human text in the AI
 * one (e[2]); each 0 unless its evidence reaches CS_FP_MIN_EVIDENCE (and,
 * for containment, it has CS_FP_CONTAIN_SAMPLES samples). */
static void estimate(double e[3], sketch_view human, sketch_view ai)
{
    double evidence = 0.0;
    e[0] = e[1] = e[2] = 0.0;
    if (human.n == 0 || ai.n == 0)
        return;
    double sim = weighted_similarity(human, ai, &evidence);
    e[0] = evidence >= CS_FP_MIN_EVIDENCE ? sim : 0.0;
    sketch_view parts[2] = {ai, human}, wholes[2] = {human, ai};
    for (int k = 0; k < 2; k++) {
        uint32_t samples = 0;
        double c = weighted_containment(parts[k], wholes[k], &samples, &evidence);
        e[1 + k] = samples >= CS_FP_CONTAIN_SAMPLES && evidence >= CS_FP_MIN_EVIDENCE ? c : 0.0;
    }
}

/* The weighted containment of the AI sketch in the human one and its
 * evidence; both 0 from too few samples. */
static void contained(double *c, double *evidence, sketch_view ai, sketch_view human)
{
    uint32_t samples = 0;
    *c = *evidence = 0.0;
    if (human.n == 0 || ai.n == 0)
        return;
    double x = weighted_containment(ai, human, &samples, evidence);
    *c = samples >= CS_FP_CONTAIN_SAMPLES ? x : 0.0;
    *evidence = samples >= CS_FP_CONTAIN_SAMPLES ? *evidence : 0.0;
}

void cs_fingerprint_estimates(const cs_fingerprint *human, const cs_fingerprint *ai, const cs_fp_weights *weights,
                              cs_fp_estimates *out)
{
    memset(out, 0, sizeof(*out));
    if (human == NULL || ai == NULL || !shingles_comparable(human, ai))
        return;
    static const cs_fp_weights unweighted = {NULL, NULL, NULL};
    const cs_fp_weights *w = weights != NULL ? weights : &unweighted;
    estimate(out->shingle, shingles_of(human, w), shingles_of(ai, w));
    contained(&out->pair, &out->pair_evidence, pairs_of(ai, w), pairs_of(human, w));
    contained(&out->word, &out->word_evidence, words_of(ai, w), words_of(human, w));
}

/* Raises *grade and *score with one estimate. */
static void consider(int *grade, double *score, double estimate, double copied, double derived)
{
    int g = estimate >= copied ? CS_FP_COPIED : estimate >= derived ? CS_FP_DERIVED : CS_FP_UNRELATED;
    if (g > *grade || (g == *grade && g != CS_FP_UNRELATED && estimate > *score)) {
        *grade = g;
        *score = estimate;
    }
}

int cs_fingerprint_grade(const cs_fingerprint *human, const cs_fingerprint *ai, const cs_fp_weights *weights,
                         double *score)
{
    int grade = CS_FP_UNRELATED;
    double best = 0.0;
    cs_fp_estimates e;
    cs_fingerprint_estimates(human, ai, weights, &e);
    consider(&grade, &best, e.shingle[0], CS_FP_MATCH, CS_FP_DERIVED_MATCH);
    for (int k = 1; k < 3; k++)
        consider(&grade, &best, e.shingle[k], CS_FP_CONTAIN_MATCH, CS_FP_DERIVED_CONTAIN);
    /* The same facts in the same wording: derived, never a copy (the
     * shingles say that). The pair estimate is the score. */
    int facts = e.word >= CS_FP_WORD_DERIVED && e.word_evidence >= CS_FP_WORD_MIN_EVIDENCE;
    int wording = e.pair_evidence >= CS_FP_PAIR_MIN_EVIDENCE;
    consider(&grade, &best, facts && wording ? e.pair : 0.0, 2.0, CS_FP_PAIR_DERIVED);
    if (score != NULL)
        *score = best;
    return grade;
}

uint32_t cs_fingerprint_min_shared(uint32_t count)
{
    /* Similarity >= 0.5 needs half of the values (taken >= count, see the
     * similarity estimator); containment needs 0.8 of at least CS_FP_CONTAIN_SAMPLES samples,
     * each shared. */
    uint32_t jaccard = (count + 1) / 2;
    uint32_t contain = (uint32_t)(CS_FP_CONTAIN_MATCH * CS_FP_CONTAIN_SAMPLES + 0.999);
    return jaccard < contain ? jaccard : contain;
}

/* ------------------------------------------------------------------------
 * Text MAC
 * ------------------------------------------------------------------------ */

/* Both labels have the same length. */
static const char mac_label_tm1[] = "CaseScribe text-mac tm1";
static const char mac_label_tm2[] = "CaseScribe text-mac tm2";

static int text_mac(char out[CS_TEXT_MAC_LEN], const uint8_t secret[CS_FP_SECRET_LEN], const char *text, size_t len,
                    int tm2)
{
    const char *mac_label = tm2 ? mac_label_tm2 : mac_label_tm1;
    const uint8_t *bytes = (const uint8_t *)text;
    /* The normalised text is never longer than the text plus the label. */
    uint8_t *norm = malloc(sizeof(mac_label_tm1) + len + 1);
    if (norm == NULL)
        return -1;
    memcpy(norm, mac_label, sizeof(mac_label_tm1)); /* with its NUL: domain separation */
    size_t n = sizeof(mac_label_tm1);
    bool in_word = false;
    for (size_t i = 0, step = 1; i < len; i += step) {
        int kind = classify(bytes, i, len, &step);
        if (kind == BYTE_IGNORE)
            continue;
        uint8_t c = kind == BYTE_PLAIN ? word_byte(bytes[i]) : 0;
        if (c != 0 && !in_word && n > sizeof(mac_label_tm1))
            norm[n++] = ' ';
        if (c != 0)
            norm[n++] = c;
        in_word = c != 0;
    }
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    int ok = HMAC(EVP_sha256(), secret, CS_FP_SECRET_LEN, norm, n, md, &md_len) != NULL && md_len >= 16;
    OPENSSL_cleanse(norm, n);
    free(norm);
    if (!ok)
        return -1;
    memcpy(out, tm2 ? "tm2:" : "tm1:", 4);
    EVP_EncodeBlock((unsigned char *)out + 4, md, 16); /* 24 characters and a NUL */
    OPENSSL_cleanse(md, sizeof(md));
    return 0;
}

int cs_text_mac_tm1(char out[CS_TEXT_MAC_LEN], const uint8_t secret[CS_FP_SECRET_LEN], const char *text,
                    size_t len)
{
    return text_mac(out, secret, text, len, 0);
}

int cs_text_mac(char out[CS_TEXT_MAC_LEN], const uint8_t secret[CS_FP_SECRET_LEN], const char *text, size_t len)
{
    char *norm = NULL;
    size_t norm_len = 0;
    if (cs_text_normalise(&norm, &norm_len, text, len) != 0)
        return -1;
    int rc = text_mac(out, secret, norm, norm_len, 1);
    OPENSSL_cleanse(norm, norm_len);
    free(norm);
    return rc;
}

size_t cs_text_words(const char *text, size_t len, size_t limit)
{
    return text == NULL ? 0 : count_words((const uint8_t *)text, len, limit);
}

static const char short_label[] = "CaseScribe short AI text st1";

int cs_short_token(uint64_t *out, const uint8_t secret[CS_FP_SECRET_LEN], const char *subject, const char *mac)
{
    *out = 0;
    size_t ls = strlen(subject), lm = strnlen(mac, CS_TEXT_MAC_LEN);
    uint8_t *msg = malloc(sizeof(short_label) + ls + 1 + lm);
    if (msg == NULL)
        return -1;
    /* The label and the subject with their NULs: an unambiguous split. */
    memcpy(msg, short_label, sizeof(short_label));
    memcpy(msg + sizeof(short_label), subject, ls + 1);
    memcpy(msg + sizeof(short_label) + ls + 1, mac, lm);
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    int ok = HMAC(EVP_sha256(), secret, CS_FP_SECRET_LEN, msg, sizeof(short_label) + ls + 1 + lm, md, &md_len) !=
                 NULL &&
             md_len >= 8;
    free(msg);
    if (ok)
        *out = get_be64(md);
    OPENSSL_cleanse(md, sizeof(md));
    return ok ? 0 : -1;
}

/* ------------------------------------------------------------------------
 * Text form
 * ------------------------------------------------------------------------ */

/* Writes n values as big-endian u64 in base64 at out (NUL-terminated). */
static void encode_values(char *out, const uint64_t *v, uint32_t n)
{
    uint8_t raw[CS_FP_K * 8 > CS_FP_PK * 8 ? CS_FP_K * 8 : CS_FP_PK * 8];
    for (uint32_t i = 0; i < n; i++)
        put_be64(&raw[i * 8], v[i]);
    /* EVP_EncodeBlock writes no newlines and NUL-terminates. */
    EVP_EncodeBlock((unsigned char *)out, raw, (int)n * 8);
}

int cs_fingerprint_encode(char **out, const cs_fingerprint *fp)
{
    if (out == NULL)
        return -1;
    *out = NULL;
    if (fp == NULL || fp->count > CS_FP_K || fp->wcount > CS_FP_PK || fp->ucount > CS_FP_UK)
        return -1;
    int mh3 = fp->scheme == CS_FP_MH3;
    size_t len = PREFIX_LEN + B64_LEN((size_t)fp->count * 8) +
                 (mh3 ? 2 + B64_LEN((size_t)fp->wcount * 8) + B64_LEN((size_t)fp->ucount * 8) : 0);
    char *text = malloc(len + 1);
    if (text == NULL)
        return -1;
    const char *prefix = !mh3 ? (fp->scheme == CS_FP_MH1 ? PREFIX_MH1 : PREFIX_MH2)
                              : fp->wcount > CS_FP_PK_MH3 ? PREFIX_MH4 : PREFIX_MH3;
    memcpy(text, prefix, PREFIX_LEN);
    encode_values(text + PREFIX_LEN, fp->h, fp->count);
    if (mh3) {
        size_t at = strlen(text);
        text[at] = '.'; /* not a base64 character */
        encode_values(text + at + 1, fp->w, fp->wcount);
        at = strlen(text);
        text[at] = '.';
        encode_values(text + at + 1, fp->u, fp->ucount);
    }
    *out = text;
    return 0;
}

static bool is_b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* Checks the body is canonical-looking base64 before OpenSSL sees it:
 * EVP_DecodeBlock itself skips leading and trailing whitespace and accepts
 * '=' in the middle, which would let two spellings of one fingerprint in.
 * Returns the number of '=' pad characters, or -1. */
static int check_b64(const char *body, size_t len)
{
    if (len % 4 != 0)
        return -1;
    int pad = 0;
    while (pad < 2 && (size_t)pad < len && body[len - 1 - (size_t)pad] == '=')
        pad++;
    for (size_t i = 0; i < len - (size_t)pad; i++)
        if (!is_b64_char(body[i]))
            return -1;
    return pad;
}

/* Decodes the base64 body into raw bytes. Returns the byte count or -1. */
static int decode_body(uint8_t *raw, const char *body, size_t len)
{
    int pad = check_b64(body, len);
    if (pad < 0)
        return -1;
    if (len == 0)
        return 0;
    /* EVP_DecodeBlock counts the pad characters as zero bytes: drop them. */
    int n = EVP_DecodeBlock(raw, (const unsigned char *)body, (int)len);
    if (n < 0 || n < pad)
        return -1;
    n -= pad;
    /* Re-encoding must give the same text: this refuses non-zero bits
     * hidden in the last character before the padding. */
    char again[MAX_B64 + 1];
    EVP_EncodeBlock((unsigned char *)again, raw, n);
    if (strlen(again) != len || memcmp(again, body, len) != 0)
        return -1;
    return n;
}

/* Decodes one base64 list of at most k ascending, distinct u64 values (len
 * characters at body) into v. Returns the count, or -1 when malformed. */
static int decode_values(uint64_t *v, uint32_t k, const char *body, size_t len)
{
    if (len > MAX_B64)
        return -1; /* also bounds the buffers below */
    uint8_t raw[MAX_B64 / 4 * 3];
    int n = decode_body(raw, body, len);
    /* n / 8 > k cannot pass the length bound above when k is CS_FP_K;
     * checked anyway so that the bound and the sizes may change without a hole. */
    if (n < 0 || n % 8 != 0 || (uint32_t)(n / 8) > k)
        return -1;
    for (int i = 0; i < n / 8; i++) {
        v[i] = get_be64(&raw[i * 8]);
        if (i > 0 && v[i] <= v[i - 1])
            return -1; /* not ascending, or a repeat: not a sketch we wrote */
    }
    return n / 8;
}

int cs_fingerprint_decode(cs_fingerprint *out, const char *text)
{
    if (out == NULL)
        return -1;
    memset(out, 0, sizeof(*out));
    if (text == NULL || strncmp(text, "mh", 2) != 0 || text[2] < '1' || text[2] > '4' || text[3] != ':')
        return -1;
    static const uint32_t schemes[4] = {CS_FP_MH1, CS_FP_MH2, CS_FP_MH3, CS_FP_MH3};
    int mh4 = text[2] == '4';
    cs_fingerprint fp = {.scheme = schemes[text[2] - '1']};
    const char *body = text + PREFIX_LEN;
    size_t len = strnlen(body, 3 * MAX_B64 + 3);
    const char *dot = memchr(body, '.', len);
    const char *dot2 = dot != NULL ? memchr(dot + 1, '.', len - (size_t)(dot + 1 - body)) : NULL;
    if ((dot2 != NULL) != (fp.scheme == CS_FP_MH3) || (dot != NULL && dot2 == NULL))
        return -1; /* mh3 holds three sketches, the others one */
    size_t first = dot != NULL ? (size_t)(dot - body) : len;
    size_t second = dot2 != NULL ? (size_t)(dot2 - dot - 1) : 0;
    int n = decode_values(fp.h, CS_FP_K, body, first);
    int m = dot != NULL ? decode_values(fp.w, mh4 ? CS_FP_PK : CS_FP_PK_MH3, dot + 1, second) : 0;
    int u = dot2 != NULL ? decode_values(fp.u, CS_FP_UK, dot2 + 1, len - (size_t)(dot2 + 1 - body)) : 0;
    if (n < 0 || m < 0 || u < 0 || (mh4 && (uint32_t)m <= CS_FP_PK_MH3))
        return -1; /* a print of up to CS_FP_PK_MH3 pairs is spelt mh3, only */
    fp.count = (uint32_t)n;
    fp.wcount = (uint32_t)m;
    fp.ucount = (uint32_t)u;
    *out = fp;
    return 0;
}
