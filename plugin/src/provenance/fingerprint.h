/* fingerprint.h - a one-way fingerprint of a section's text, to notice AI
 * text later presented as a worker's own ("laundering").
 *
 * A bottom-k MinHash sketch over word 3-shingles, keyed with a secret of the
 * home (keys/fingerprint.secret), so the stored values reveal nothing of the
 * text: without the secret one cannot even test a guess. Text is normalised
 * first (ASCII letters lowercased, every run of characters that are not
 * letters or digits - non-ASCII letters count as letters, Unicode spaces and
 * typographic punctuation do not - is a word break; invisible characters
 * (Unicode's default-ignorables: soft hyphen, zero-width space, joiners,
 * direction marks, variation selectors) are skipped), so reflowing, case,
 * punctuation and hidden characters do not hide a copy. Look-alike letters
 * from other scripts (Cyrillic "а" for Latin "a") are not folded: that needs
 * Unicode's confusables tables.
 */
#ifndef CS_FINGERPRINT_H
#define CS_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#define CS_FP_K 64            /* sketch size */
#define CS_FP_MIN_WORDS 8     /* shorter texts are not fingerprinted: too little to judge */
#define CS_FP_SECRET_LEN 32
/* Estimated Jaccard similarity at or above which a text counts as a copy. */
#define CS_FP_MATCH 0.5

typedef struct cs_fingerprint {
    uint32_t count;           /* number of hashes kept: min(CS_FP_K, distinct shingles) */
    uint64_t h[CS_FP_K];      /* the smallest keyed shingle hashes, ascending, distinct */
} cs_fingerprint;

/* Computes the fingerprint of `text`. Returns 0, 1 when the text has fewer
 * than CS_FP_MIN_WORDS words, or -1 for NULL arguments or an OpenSSL
 * failure (out->count is 0 in both last cases: nothing to compare). */
int cs_fingerprint_compute(cs_fingerprint *out, const uint8_t secret[CS_FP_SECRET_LEN], const char *text,
                           size_t len);

/* Estimated Jaccard similarity of the two texts, 0.0 .. 1.0 (0 when either
 * is empty). Standard bottom-k estimator over the union sketch. */
double cs_fingerprint_similarity(const cs_fingerprint *a, const cs_fingerprint *b);

/* Containment: the share of `part`'s shingles that are also in `whole`
 * (|P & W| / |P|), estimated from the sketches: part's values below the
 * largest value whole kept are a sample of part, and each is in whole
 * exactly when it is in whole's sketch. *samples gets the sample size;
 * an estimate from fewer than CS_FP_CONTAIN_SAMPLES samples is noise. */
double cs_fingerprint_containment(const cs_fingerprint *part, const cs_fingerprint *whole, uint32_t *samples);
#define CS_FP_CONTAIN_SAMPLES 10
#define CS_FP_CONTAIN_MATCH 0.8

/* Whether a human text `human` copies AI text `ai`: similar as a whole
 * (CS_FP_MATCH), or one mostly inside the other (the AI text pasted into a
 * longer note, or most of a note taken from an AI text). *score gets the
 * deciding estimate, 0..1. */
int cs_fingerprint_copies(const cs_fingerprint *human, const cs_fingerprint *ai, double *score);

/* The fewest sketch values a text with `count` values must share with any
 * print that cs_fingerprint_copies() would match: a search may skip the
 * rest (count minus this, plus one, of its rarest values suffice). */
uint32_t cs_fingerprint_min_shared(uint32_t count);

/* A keyed MAC of the normalised text (the same words the fingerprint sees,
 * joined by one space), for texts of any length: "tm1:" + base64 of 16
 * bytes of HMAC-SHA-256, into out (CS_TEXT_MAC_LEN bytes). Lets the library
 * notice a short AI section relabelled human, where a fingerprint would be
 * too coarse. Returns 0, or -1 on allocation failure. */
#define CS_TEXT_MAC_LEN 32
int cs_text_mac(char out[CS_TEXT_MAC_LEN], const uint8_t secret[CS_FP_SECRET_LEN], const char *text, size_t len);

/* Text form for provenance and journal: "mh1:" + base64 (OpenSSL
 * EVP_EncodeBlock) of the hashes as big-endian u64. *out is malloc'd.
 * Returns 0, or -1 on allocation failure. */
int cs_fingerprint_encode(char **out, const cs_fingerprint *fp);
/* Parses the text form. Returns 0, or -1 when malformed. */
int cs_fingerprint_decode(cs_fingerprint *out, const char *text);

#endif
