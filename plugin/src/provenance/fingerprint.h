/* SPDX-License-Identifier: Apache-2.0 */
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
 * punctuation and hidden characters do not hide a copy. Scheme "mh2" (the
 * current one) first folds the text with ICU (textnorm.h): compatibility
 * forms (full-width letters), accents, and look-alike letters from other
 * scripts (Cyrillic "а" for Latin "a") then give the same fingerprint.
 * Scheme "mh1" (prints journalled before) did not; such prints are still
 * read, and compared only with mh1 prints (cs_fingerprint_compute_mh1).
 *
 * Scheme "mh3" (the current one) is mh2's shingle sketch (the very same
 * values, so an mh3 print compares with mh2 prints of old stamps and
 * journals on those) and two more keyed bottom-k sketches, which only ever
 * grade a text DERIVED, never COPIED (cs_fingerprint_grade), and only
 * together:
 *   words  the distinct single words (k = CS_FP_UK: every word of a text of
 *          up to 64 distinct words, exact for the 30-45-word sections that
 *          matter). Weighted by how rare each word is on the home (names,
 *          places and things weigh most, pattern words and stock phrases
 *          little), the AI text's words found in the note say whether the
 *          note states the same facts;
 *   pairs  ordered word pairs: each word with each of the CS_FP_PAIR_WINDOW
 *          words before it, whatever the distance between them. A shingle
 *          survives an edit only when its three words do (about (2/3)^3
 *          when a third of the words are replaced); a pair needs two, and a
 *          word put in or taken out between them leaves it intact. The AI
 *          text's pairs found in the note say whether it keeps the wording.
 * Written "mh4:" when the pair sketch holds more than CS_FP_PK_MH3 values
 * (the pair sketch of mh3 prints stopped there; a text with fewer pairs
 * has the same print either way, spelt mh3): 256 pair values halve the
 * noise of the pair estimate on the 30-45-word sections that matter.
 * A heavy edit keeps both; a note of the worker's own on the same visit
 * keeps the facts but not the wording, and one on another visit from the
 * same sentence patterns keeps (some of) the wording but not the facts.
 */
#ifndef CS_FINGERPRINT_H
#define CS_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#define CS_FP_K 64            /* sketch size (shingles) */
#define CS_FP_PK 256          /* sketch size (word pairs, mh3/mh4) */
#define CS_FP_PK_MH3 128      /* the most pair values an "mh3:" print holds */
#define CS_FP_UK 64           /* sketch size (single words, mh3) */
#define CS_FP_PAIR_WINDOW 6   /* a word pairs with this many words before it */
#define CS_FP_MIN_WORDS 8     /* shorter texts are not fingerprinted: too little to judge */
#define CS_FP_SECRET_LEN 32
/* The longest text form of a print: "mh4:", three base64 runs, two dots. */
#define CS_FP_TEXT_MAX (4 + 4 * ((CS_FP_K * 8 + 2) / 3) + 4 * ((CS_FP_PK * 8 + 2) / 3) + 4 * ((CS_FP_UK * 8 + 2) / 3) + 2)
/* Estimated Jaccard similarity at or above which a text counts as a copy. */
#define CS_FP_MATCH 0.5

/* Fingerprint schemes; 0 (a zeroed struct) is the current one. */
#define CS_FP_MH3 0u
#define CS_FP_MH1 1u
#define CS_FP_MH2 2u

typedef struct cs_fingerprint {
    uint32_t count;           /* number of hashes kept: min(CS_FP_K, distinct shingles) */
    uint64_t h[CS_FP_K];      /* the smallest keyed shingle hashes, ascending, distinct */
    uint32_t scheme;          /* CS_FP_MH3, _MH2 or _MH1; mh1 prints match only mh1 prints */
    uint32_t wcount;          /* mh3: number of pair hashes kept: min(CS_FP_PK, distinct pairs) */
    uint64_t w[CS_FP_PK];     /* mh3: the smallest keyed word-pair hashes, ascending, distinct */
    uint32_t ucount;          /* mh3: number of word hashes kept: min(CS_FP_UK, distinct words) */
    uint64_t u[CS_FP_UK];     /* mh3: the smallest keyed single-word hashes, ascending, distinct */
} cs_fingerprint;

/* Computes the (mh3) fingerprint of `text`. Returns 0, 1 when the text has
 * fewer than CS_FP_MIN_WORDS words, or -1 for NULL arguments, a text over
 * CS_TEXTNORM_MAX, or an ICU or OpenSSL failure (out->count is 0 in both
 * last cases: nothing to compare). */
int cs_fingerprint_compute(cs_fingerprint *out, const uint8_t secret[CS_FP_SECRET_LEN], const char *text,
                           size_t len);
/* The same in the old scheme mh1 (no Unicode folding), to compare a text
 * with mh1 prints saved before mh2. */
int cs_fingerprint_compute_mh1(cs_fingerprint *out, const uint8_t secret[CS_FP_SECRET_LEN], const char *text,
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

/* Graded comparison of a text presented as human with an AI text:
 *   CS_FP_COPIED   the thresholds of cs_fingerprint_copies (similarity
 *                  CS_FP_MATCH, containment CS_FP_CONTAIN_MATCH): refused;
 *   CS_FP_DERIVED  shingle similarity >= CS_FP_DERIVED_MATCH or containment
 *                  >= CS_FP_DERIVED_CONTAIN, or (mh3) both the facts and the
 *                  wording of the AI text in the note (below): heavy edits
 *                  of an AI draft, which may only be saved as ai-reviewed
 *                  with review="edited";
 *   CS_FP_UNRELATED otherwise.
 * Shingles and pairs count with weights->shingle(value, user) in 0..1 (NULL:
 * 1): how rare the value is on the home, so that stock phrases count
 * little. A shingle estimate is only trusted when the weight of the values
 * it found in both reaches CS_FP_MIN_EVIDENCE (a few rare shingles): a
 * shared stock sentence alone never decides. *score gets the deciding
 * estimate. The thresholds were measured by tests/bench/bench_launder.c
 * (README). Containment 0.4, not 0.3: over four homes (3,200 generic human
 * notes), 0.3 refused 17 notes that share one pattern sentence with a
 * draft and 0.4 refused 14, with the same heavy edits detected. */
#define CS_FP_UNRELATED 0
#define CS_FP_DERIVED 1
#define CS_FP_COPIED 2
#define CS_FP_DERIVED_MATCH 0.12
#define CS_FP_DERIVED_CONTAIN 0.4
#define CS_FP_MIN_EVIDENCE 4.0
/* mh3, DERIVED only when both hold:
 *   facts    the AI text's words found in the note, each weighted by
 *            weights->word (how rare the word is on the home: see
 *            cs_store_word_weight), make up at least CS_FP_WORD_DERIVED of
 *            its words' weight and at least CS_FP_WORD_MIN_EVIDENCE in all
 *            (a few rare words: a stock sentence alone weighs too little);
 *   wording  the AI text's pairs found in the note (weighted as shingles)
 *            make up at least CS_FP_PAIR_DERIVED of its pairs' weight and
 *            at least CS_FP_PAIR_MIN_EVIDENCE in all.
 * Read off the distributions bench_launder prints (README, Laundering): 5%
 * of heavy edits keep under 0.56 of their draft's word weight, the best
 * match of a generic human note (other names, places, things) over 0.5 in
 * 1 of 4; a pair share of 0.225 with 13 of pair evidence (6.5 when the
 * pair sketch held 128 values: the same share of twice the sample) then
 * lets 0-0.4% of those notes through (eight runs; 0.25-1.0% with 128
 * values, whose noisier share let more past), and no note in the worker's
 * own words about the same visit, while 95-95.8% of heavy edits pass
 * both. */
#define CS_FP_WORD_DERIVED 0.5
#define CS_FP_WORD_MIN_EVIDENCE 1.0
#define CS_FP_PAIR_DERIVED 0.225
#define CS_FP_PAIR_MIN_EVIDENCE 13.0
typedef double (*cs_fp_weight_fn)(uint64_t value, const void *user);
typedef struct cs_fp_weights {
    cs_fp_weight_fn shingle; /* shingles and word pairs */
    cs_fp_weight_fn word;    /* single words */
    const void *user;
} cs_fp_weights;
int cs_fingerprint_grade(const cs_fingerprint *human, const cs_fingerprint *ai, const cs_fp_weights *weights,
                         double *score);

/* The estimates cs_fingerprint_grade decides on, for measuring them
 * (tests/bench/bench_launder.c): over the shingles [0] the weighted
 * similarity, [1] the weighted containment of the AI text in the human one,
 * [2] of the human text in the AI one, each 0 when its evidence (or, for
 * containment, its sample) is short; and (both mh3) the weighted
 * containment of the AI text's pairs and words in the human text, with the
 * weight found (evidence), 0 when fewer than CS_FP_CONTAIN_SAMPLES samples. */
typedef struct cs_fp_estimates {
    double shingle[3];
    double pair, pair_evidence, word, word_evidence;
} cs_fp_estimates;
void cs_fingerprint_estimates(const cs_fingerprint *human, const cs_fingerprint *ai, const cs_fp_weights *weights,
                              cs_fp_estimates *out);

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
/* The current MAC ("tm2:", over the ICU-folded text, see textnorm.h);
 * -1 also for a text over CS_TEXTNORM_MAX or an ICU failure. */
int cs_text_mac(char out[CS_TEXT_MAC_LEN], const uint8_t secret[CS_FP_SECRET_LEN], const char *text, size_t len);
/* The old MAC ("tm1:", raw bytes), to compare with stamps made before tm2. */
int cs_text_mac_tm1(char out[CS_TEXT_MAC_LEN], const uint8_t secret[CS_FP_SECRET_LEN], const char *text,
                    size_t len);

/* Words in text (as the fingerprint splits them, before folding), counting
 * no further than `limit`. */
size_t cs_text_words(const char *text, size_t len, size_t limit);

/* Short AI texts (CS_SHORT_MIN_WORDS up to CS_FP_MIN_WORDS words) are
 * remembered per subject: a keyed token of (subject id, text MAC), so
 * that the same text cannot come back as human text about the same person
 * in another section or record. Shorter answers ("None.", "Not known") are
 * what anyone writes. Returns 0, or -1 on an OpenSSL failure. */
#define CS_SHORT_MIN_WORDS 3
int cs_short_token(uint64_t *out, const uint8_t secret[CS_FP_SECRET_LEN], const char *subject, const char *mac);

/* Text form for provenance and journal: "mh2:" (or "mh1:") + base64 (OpenSSL
 * EVP_EncodeBlock) of the hashes as big-endian u64; "mh3:" + the shingles,
 * ".", the word pairs, ".", the single words, each so encoded. *out is malloc'd.
 * Returns 0, or -1 on allocation failure. */
int cs_fingerprint_encode(char **out, const cs_fingerprint *fp);
/* Parses the text form. Returns 0, or -1 when malformed. */
int cs_fingerprint_decode(cs_fingerprint *out, const char *text);

#endif
