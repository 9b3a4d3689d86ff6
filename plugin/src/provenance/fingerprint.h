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

/* Text form for provenance and journal: "mh1:" + base64 (OpenSSL
 * EVP_EncodeBlock) of the hashes as big-endian u64. *out is malloc'd.
 * Returns 0, or -1 on allocation failure. */
int cs_fingerprint_encode(char **out, const cs_fingerprint *fp);
/* Parses the text form. Returns 0, or -1 when malformed. */
int cs_fingerprint_decode(cs_fingerprint *out, const char *text);

#endif
