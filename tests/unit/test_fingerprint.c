/* SPDX-License-Identifier: Apache-2.0 */
/* test_fingerprint.c - the keyed bottom-k MinHash fingerprint: what it must
 * see as the same text, what it must tell apart, the similarity estimator on
 * hand-made sketches, the text form, and hostile or huge input. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provenance/fingerprint.h"
#include "record/form_xml.h"

/* ------------------------------------------------------------------------
 * Texts. Two case notes on different cases that share the vocabulary of the
 * job ("home", "visit", "referral", "review"), kept as separate sentences
 * so that variants can drop or add whole sentences.
 * ------------------------------------------------------------------------ */

#define A1 "I visited the family home on Tuesday afternoon following the referral from the school about Jamie's attendance."
#define A2                                                                                                             \
    "Jamie's mother, Ms Clarke, was present throughout the visit and was open about the difficulties the family has "  \
    "faced since her partner left in the spring."
#define A3                                                                                                             \
    "She told me that she has been struggling with low mood and that mornings are the hardest part of the day, which " \
    "is when Jamie most often misses the start of school."
#define A4                                                                                                             \
    "The home was warm and tidy, there was food in the kitchen, and Jamie's bedroom had a bed, clean bedding and a "   \
    "small desk where he does his homework."
#define A5 "Jamie spoke with me alone in the living room."
#define A6                                                                                                             \
    "He said he likes his teacher and his friends but worries about leaving his mother on her own when she is upset."
#define A7 "He did not raise any concerns about his safety at home."
#define A8 "Ms Clarke agreed to a referral to the family support service and to see her GP about her mood."
#define A9                                                                                                             \
    "We agreed that I will contact the school next week to arrange a meeting with the attendance officer, and that I " \
    "will visit again in two weeks to review how the new morning routine is working for both of them."

#define NOTE_A A1 " " A2 " " A3 " " A4 " " A5 " " A6 " " A7 " " A8 " " A9

#define NOTE_B                                                                                                         \
    "Mr Osei telephoned the duty team on Monday morning to say that his father, who is eighty-four and lives alone, "  \
    "had fallen in the bathroom over the weekend and had spent several hours on the floor before a neighbour found "   \
    "him. I arranged a joint visit with the occupational therapist for Wednesday. Mr Osei senior was sitting in his "  \
    "armchair when we arrived and was clearly in some pain, although he insisted that he was managing and did not "    \
    "want any fuss. He has diabetes and takes several medicines each day, which he keeps in a drawer in the kitchen; " \
    "he was unsure whether he had taken them that morning. The occupational therapist assessed his mobility and "      \
    "recommended grab rails in the bathroom, a raised toilet seat and a pendant alarm. We discussed a short package "  \
    "of home care to help with washing, dressing and medication in the mornings. Mr Osei senior was reluctant at "     \
    "first but agreed to try it for six weeks once his son explained that it would help him stay in his own home. I "  \
    "will make the referral to the reablement team today and review the care plan with him and his son at the end "   \
    "of the month."

/* NOTE_A reflowed, shouted and repunctuated: the same words in the same order. */
#define NOTE_A_REFORMATTED                                                                                             \
    "I VISITED the family home   on tuesday\nafternoon -- following the referral from the school about JAMIE'S "       \
    "attendance!!\n\n\tJamie's mother (Ms Clarke) was present throughout the visit; and was open about the "           \
    "difficulties the family has faced since her partner left in the spring...\r\nShe told me that she has been "      \
    "struggling with low mood AND that mornings are the hardest part of the day - which is when Jamie most often "       \
    "misses the start of school. * The home was warm and tidy / there was food in the kitchen / and Jamie's bedroom "  \
    "had a bed, clean bedding and a small desk where he does his homework.\n\nJAMIE SPOKE WITH ME ALONE IN THE "       \
    "LIVING ROOM. He said he likes his teacher and his friends but worries about leaving his mother on her own when "  \
    "she is upset. He did not raise any concerns about his safety at home. Ms Clarke agreed to a referral to the "     \
    "family support service and to see her GP about her mood. \"We agreed\" that I will contact the school next week " \
    "to arrange a meeting with the attendance officer, and that I will visit again in two weeks to review how the "    \
    "new morning routine is working for both of them"

/* NOTE_A with five words changed, spread out so that each change breaks
 * three shingles of its own (visited->saw, spring->summer, homework->reading,
 * teacher->class, routine->plan). */
#define NOTE_A_FIVE_CHANGED                                                                                            \
    "I saw the family home on Tuesday afternoon following the referral from the school about Jamie's attendance. "     \
    "Jamie's mother, Ms Clarke, was present throughout the visit and was open about the difficulties the family has "  \
    "faced since her partner left in the summer. " A3                                                                  \
    " The home was warm and tidy, there was food in the kitchen, and Jamie's bedroom had a bed, clean bedding and a "  \
    "small desk where he does his reading. " A5                                                                        \
    " He said he likes his class and his friends but worries about leaving his mother on her own when she is upset. "  \
    A7 " " A8                                                                                                          \
    " We agreed that I will contact the school next week to arrange a meeting with the attendance officer, and that "  \
    "I will visit again in two weeks to review how the new morning plan is working for both of them."

#define APPENDED                                                                                                       \
    " Jamie's grandmother has offered to help with the school run on two mornings a week. I have given Ms Clarke the " \
    "number of the duty team in case things get worse before my next visit."

static const uint8_t secret_one[CS_FP_SECRET_LEN] = {
    0x6b, 0x1f, 0xa2, 0x3c, 0x90, 0x4e, 0xd7, 0x05, 0x88, 0x31, 0xfe, 0x12, 0x7a, 0xc4, 0x29, 0x63,
    0x0d, 0xb5, 0x46, 0x9e, 0x21, 0xe8, 0x57, 0x3a, 0xcf, 0x74, 0x10, 0x8b, 0xd2, 0x69, 0xa0, 0x37};

#define N_SECRETS 8

/* A few unrelated secrets, so that a threshold is not passed by luck of one
 * key. */
static void make_secret(uint8_t out[CS_FP_SECRET_LEN], unsigned which)
{
    for (unsigned i = 0; i < CS_FP_SECRET_LEN; i++)
        out[i] = (uint8_t)(which * 73u + i * 151u + 11u);
}

/* The invariants every fingerprint has: count within bounds, hashes strictly
 * ascending (so also distinct). */
static void assert_well_formed(const cs_fingerprint *fp, const char *what)
{
    cr_assert_leq(fp->count, (uint32_t)CS_FP_K, "%s: count %u", what, fp->count);
    for (uint32_t i = 1; i < fp->count; i++)
        cr_assert_lt(fp->h[i - 1], fp->h[i], "%s: h[%u] and h[%u] not strictly ascending", what, i - 1, i);
}

static cs_fingerprint fingerprint_of(const uint8_t *secret, const char *text, const char *what)
{
    cs_fingerprint fp;
    int rc = cs_fingerprint_compute(&fp, secret, text, strlen(text));
    cr_assert_eq(rc, 0, "%s: compute returned %d", what, rc);
    assert_well_formed(&fp, what);
    return fp;
}

static double similarity_of(const uint8_t *secret, const char *x, const char *y)
{
    cs_fingerprint a = fingerprint_of(secret, x, "first text");
    cs_fingerprint b = fingerprint_of(secret, y, "second text");
    double s = cs_fingerprint_similarity(&a, &b);
    cr_assert_float_eq(s, cs_fingerprint_similarity(&b, &a), 1e-12, "similarity is not symmetric");
    return s;
}

/* ------------------------------------------------------------------------
 * What counts as the same text
 * ------------------------------------------------------------------------ */

Test(fingerprint, same_text_same_fingerprint)
{
    cs_fingerprint a = fingerprint_of(secret_one, NOTE_A, "note A");
    cs_fingerprint b = fingerprint_of(secret_one, NOTE_A, "note A again");
    cr_assert_eq(a.count, (uint32_t)CS_FP_K, "a 200-word note fills the sketch (count %u)", a.count);
    cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0, "the fingerprint is deterministic");
    cr_assert_float_eq(cs_fingerprint_similarity(&a, &b), 1.0, 1e-12, "same text");
}

Test(fingerprint, reflow_case_and_punctuation_do_not_matter)
{
    cs_fingerprint a = fingerprint_of(secret_one, NOTE_A, "note A");
    cs_fingerprint b = fingerprint_of(secret_one, NOTE_A_REFORMATTED, "note A reformatted");
    cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0, "reformatting changed the fingerprint");
    cr_assert_float_eq(cs_fingerprint_similarity(&a, &b), 1.0, 1e-12, "reformatted text");
}

Test(fingerprint, typographic_punctuation_breaks_words_like_ascii)
{
    /* Word processors turn ' into U+2019, - into U+2013 and spaces into U+00A0. */
    const char *plain = "Jo's view - shared at the door - was that Sam's school is going well";
    const char *typeset = "Jo\u2019s view \u2013 shared at the\u00a0door \u2014 was that Sam\u2019s school is going\u2026well";
    cs_fingerprint a = fingerprint_of(secret_one, plain, "plain");
    cs_fingerprint b = fingerprint_of(secret_one, typeset, "typeset");
    cr_assert_gt(a.count, 0);
    cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0, "typographic punctuation changed the fingerprint");
}

Test(fingerprint, invisible_characters_inside_words_do_not_matter)
{
    /* Soft hyphens, zero-width spaces and joiners, direction marks, word
     * joiners, variation selectors, BOMs and tag characters draw nothing:
     * sprinkled inside words they must not hide a copy. */
    const char *plain = "Jo's view - shared at the door - was that Sam's school is going well";
    const char *hidden = "Jo's vi\u00adew - sha\u200bred at the\u200c do\u200dor - wa\u200es th\u2060at "
                         "Sa\u202am's sch\u202eool is go\ufe0fing we\ufeffll\U000E0041";
    cs_fingerprint a = fingerprint_of(secret_one, plain, "plain");
    cs_fingerprint b = fingerprint_of(secret_one, hidden, "with invisible characters");
    cr_assert_gt(a.count, 0);
    cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0, "invisible characters changed the fingerprint");
    /* Other spaces still break words. */
    const char *spaced = "Jo's view - shared at the\u3000door - was\u205fthat Sam's school is going well";
    cs_fingerprint c = fingerprint_of(secret_one, spaced, "ideographic and math spaces");
    cr_assert_eq(memcmp(&a, &c, sizeof(a)), 0, "U+3000 / U+205F did not break words");
}

Test(fingerprint, five_words_changed_still_matches)
{
    for (unsigned k = 0; k < N_SECRETS; k++) {
        uint8_t secret[CS_FP_SECRET_LEN];
        make_secret(secret, k);
        double s = similarity_of(secret, NOTE_A, NOTE_A_FIVE_CHANGED);
        cr_log_info("secret %u: five words changed -> %.3f", k, s);
        cr_assert_geq(s, CS_FP_MATCH, "secret %u: five words changed gave %.3f", k, s);
        cr_assert_lt(s, 1.0, "secret %u: the edit went unnoticed entirely", k);
    }
}

Test(fingerprint, sentences_added_or_removed_still_match)
{
    static const struct {
        const char *name, *text;
    } variants[] = {
        {"two sentences appended", NOTE_A APPENDED},
        {"last sentence removed", A1 " " A2 " " A3 " " A4 " " A5 " " A6 " " A7 " " A8},
        {"first sentence removed", A2 " " A3 " " A4 " " A5 " " A6 " " A7 " " A8 " " A9},
        {"two short sentences removed from the middle", A1 " " A2 " " A3 " " A4 " " A6 " " A8 " " A9},
    };
    for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
        for (unsigned k = 0; k < N_SECRETS; k++) {
            uint8_t secret[CS_FP_SECRET_LEN];
            make_secret(secret, k);
            double s = similarity_of(secret, NOTE_A, variants[v].text);
            cr_log_info("secret %u: %s -> %.3f", k, variants[v].name, s);
            cr_assert_geq(s, CS_FP_MATCH, "secret %u: %s gave %.3f", k, variants[v].name, s);
        }
    }
}

Test(fingerprint, unrelated_notes_do_not_match)
{
    for (unsigned k = 0; k < N_SECRETS; k++) {
        uint8_t secret[CS_FP_SECRET_LEN];
        make_secret(secret, k);
        double s = similarity_of(secret, NOTE_A, NOTE_B);
        cr_log_info("secret %u: unrelated notes -> %.3f", k, s);
        cr_assert_lt(s, 0.2, "secret %u: two different case notes gave %.3f", k, s);
    }
}

Test(fingerprint, word_order_matters)
{
    /* The same bag of words in another order is another text. */
    const char *forward = "one two three four five six seven eight nine ten eleven twelve";
    const char *backward = "twelve eleven ten nine eight seven six five four three two one";
    double s = similarity_of(secret_one, forward, backward);
    cr_assert_lt(s, 0.2, "reversed word order gave %.3f", s);
}

/* ------------------------------------------------------------------------
 * The secret
 * ------------------------------------------------------------------------ */

Test(fingerprint, different_secrets_give_unrelated_hashes)
{
    uint8_t other[CS_FP_SECRET_LEN];
    memcpy(other, secret_one, sizeof(other));
    other[CS_FP_SECRET_LEN - 1] ^= 0x01; /* one bit */
    cs_fingerprint a = fingerprint_of(secret_one, NOTE_A, "note A, first secret");
    cs_fingerprint b = fingerprint_of(other, NOTE_A, "note A, second secret");
    cr_assert_eq(a.count, b.count, "the count depends only on the text");
    unsigned shared = 0;
    for (uint32_t i = 0; i < a.count; i++)
        for (uint32_t j = 0; j < b.count; j++)
            shared += a.h[i] == b.h[j];
    cr_assert_eq(shared, 0u, "%u hash values shared across secrets", shared);
    double s = cs_fingerprint_similarity(&a, &b);
    cr_assert_lt(s, 0.05, "same text under two secrets gave %.3f", s);
}

/* ------------------------------------------------------------------------
 * Short, repetitive, empty, bad arguments
 * ------------------------------------------------------------------------ */

Test(fingerprint, too_few_words_are_not_fingerprinted)
{
    static const char *const short_texts[] = {
        "",
        "   \n\t ,.;!? -- ",
        "one",
        "one two three four five six seven",
        "One, two; three... four! five? six - seven.",
        "a'b'c'd",
    };
    for (size_t i = 0; i < sizeof(short_texts) / sizeof(short_texts[0]); i++) {
        cs_fingerprint fp;
        memset(&fp, 0xa5, sizeof(fp));
        int rc = cs_fingerprint_compute(&fp, secret_one, short_texts[i], strlen(short_texts[i]));
        cr_assert_eq(rc, 1, "\"%s\": returned %d, want 1", short_texts[i], rc);
        cr_assert_eq(fp.count, 0u, "\"%s\": count %u, want 0", short_texts[i], fp.count);
    }
    cs_fingerprint fp;
    cr_assert_eq(cs_fingerprint_compute(&fp, secret_one, NULL, 0), 1, "NULL text of length 0 is empty");
    cr_assert_eq(fp.count, 0u, "count of the empty text");
}

Test(fingerprint, exactly_min_words_is_fingerprinted)
{
    /* Eight words give six 3-shingles; "a'b" is two words. */
    cs_fingerprint fp;
    const char *text = "one two three four five six seven eight";
    cr_assert_eq(cs_fingerprint_compute(&fp, secret_one, text, strlen(text)), 0, "8 words");
    cr_assert_eq(fp.count, 6u, "8 words give %u hashes, want 6", fp.count);
    assert_well_formed(&fp, "8 words");
    const char *apostrophes = "one two three four five six seven's";
    cr_assert_eq(cs_fingerprint_compute(&fp, secret_one, apostrophes, strlen(apostrophes)), 0,
                 "an apostrophe splits a word, making 8");
}

Test(fingerprint, repeated_shingles_count_once)
{
    const char *text = "red green blue red green blue red green blue red green blue red green blue";
    cs_fingerprint fp = fingerprint_of(secret_one, text, "repeating text");
    /* The only shingles: red-green-blue, green-blue-red, blue-red-green. */
    cr_assert_eq(fp.count, 3u, "count %u, want 3 distinct shingles", fp.count);
}

Test(fingerprint, length_is_respected_not_nul)
{
    /* Only the first `len` bytes are text; a NUL inside is a word break. */
    const char text[] = "one two three four five six seven eight\0nine ten eleven";
    cs_fingerprint whole, prefix;
    cr_assert_eq(cs_fingerprint_compute(&whole, secret_one, text, sizeof(text) - 1), 0, "with the NUL");
    cr_assert_eq(whole.count, 9u, "11 words give 9 shingles (got %u)", whole.count);
    cr_assert_eq(cs_fingerprint_compute(&prefix, secret_one, text, 20), 1, "first 20 bytes are 5 words");
}

Test(fingerprint, bad_arguments_fail)
{
    cs_fingerprint fp;
    cr_assert_eq(cs_fingerprint_compute(NULL, secret_one, NOTE_A, strlen(NOTE_A)), -1, "NULL out");
    cr_assert_eq(cs_fingerprint_compute(&fp, NULL, NOTE_A, strlen(NOTE_A)), -1, "NULL secret");
    cr_assert_eq(fp.count, 0u, "count after a failure");
    cr_assert_eq(cs_fingerprint_compute(&fp, secret_one, NULL, 10), -1, "NULL text with a length");
}

/* ------------------------------------------------------------------------
 * UTF-8 and hostile bytes
 * ------------------------------------------------------------------------ */

#define NOTE_UTF8                                                                                                      \
    "Zoë Ødegård and José Núñez attended the review at Bürgerhaus with their social worker, Siobhán Ó Briain, "     \
    "and agreed the plan for Łukasz."

Test(fingerprint, utf8_names_are_words)
{
    cs_fingerprint a = fingerprint_of(secret_one, NOTE_UTF8, "accented names");
    cr_assert_gt(a.count, 0u, "accented text fingerprinted");
    /* ASCII letters inside the names fold, the accented letters stay. */
    const char *shouted = "ZOë ØDEGåRD AND JOSé NúñEZ ATTENDED THE REVIEW AT BüRGERHAUS WITH THEIR SOCIAL WORKER, "
                          "SIOBHáN Ó BRIAIN, AND AGREED THE PLAN FOR ŁUKASZ.";
    cs_fingerprint b = fingerprint_of(secret_one, shouted, "ASCII upper-cased");
    cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0, "ASCII case inside accented names changed the fingerprint");
    /* A byte >= 0x80 is part of a word, not a break: "Zoë" is one word,
     * not "zo" plus a break, so dropping the accent is a different text. */
    const char *stripped = "Zo Odegard and Jose Nunez attended the review at Burgerhaus with their social worker, "
                           "Siobhan O Briain, and agreed the plan for Lukasz.";
    cs_fingerprint c = fingerprint_of(secret_one, stripped, "accents stripped");
    cr_assert_lt(cs_fingerprint_similarity(&a, &c), 1.0, "accents were ignored");
    /* Nor are the bytes of a multibyte letter breaks: blanking them out
     * splits "Zoë" into "Zo" and nothing, which must not look the same. */
    char blanked[sizeof(NOTE_UTF8)];
    memcpy(blanked, NOTE_UTF8, sizeof(blanked));
    for (size_t i = 0; blanked[i] != '\0'; i++)
        if ((unsigned char)blanked[i] >= 0x80)
            blanked[i] = ' ';
    cs_fingerprint d = fingerprint_of(secret_one, blanked, "multibyte letters blanked");
    cr_assert_lt(cs_fingerprint_similarity(&a, &d), 1.0, "bytes >= 0x80 were treated as word breaks");
}

Test(fingerprint, invalid_utf8_and_control_bytes_are_safe)
{
    static const char text[] = "\xff\xfe one \x80\x80 two \x01\x02 three \xc3 four \xed\xa0\x80 five six seven "
                               "eight \x7f nine \xf4\x90\x80\x80";
    cs_fingerprint fp;
    int rc = cs_fingerprint_compute(&fp, secret_one, text, sizeof(text) - 1);
    cr_assert_eq(rc, 0, "returned %d", rc);
    assert_well_formed(&fp, "invalid UTF-8");
    cr_assert_gt(fp.count, 0u, "fingerprinted");
}

/* ------------------------------------------------------------------------
 * Large input: the limit of a payload, in several shapes. Memory use does
 * not depend on the length (compute allocates only OpenSSL's fixed-size
 * contexts), so these only have to finish and give a well-formed sketch.
 * ------------------------------------------------------------------------ */

#define BIG (8u * 1024u * 1024u)

static char *big_buffer(void)
{
    char *b = malloc(BIG);
    cr_assert_not_null(b, "test allocation");
    return b;
}

Test(fingerprint, eight_mebibytes_of_prose)
{
    char *b = big_buffer();
    const char *note = NOTE_A " " NOTE_B " ";
    size_t n = strlen(note);
    for (size_t i = 0; i < BIG; i++)
        b[i] = note[i % n];
    cs_fingerprint fp;
    int rc = cs_fingerprint_compute(&fp, secret_one, b, BIG);
    free(b);
    cr_assert_eq(rc, 0, "returned %d", rc);
    cr_assert_eq(fp.count, (uint32_t)CS_FP_K, "count %u", fp.count);
    assert_well_formed(&fp, "8 MiB of prose");
}

Test(fingerprint, eight_mebibytes_of_one_word_or_none)
{
    char *b = big_buffer();
    cs_fingerprint fp;
    memset(b, 'a', BIG);
    cr_assert_eq(cs_fingerprint_compute(&fp, secret_one, b, BIG), 1, "one 8 MiB word");
    cr_assert_eq(fp.count, 0u, "one word: count");
    memset(b, ' ', BIG);
    cr_assert_eq(cs_fingerprint_compute(&fp, secret_one, b, BIG), 1, "8 MiB of spaces");
    memset(b, 0, BIG);
    cr_assert_eq(cs_fingerprint_compute(&fp, secret_one, b, BIG), 1, "8 MiB of NULs");
    free(b);
}

Test(fingerprint, eight_mebibytes_of_noise)
{
    char *b = big_buffer();
    uint64_t x = UINT64_C(0x9e3779b97f4a7c15);
    for (size_t i = 0; i < BIG; i++) { /* xorshift64: arbitrary bytes, words of any length */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b[i] = (char)(x >> 56);
    }
    cs_fingerprint fp;
    int rc = cs_fingerprint_compute(&fp, secret_one, b, BIG);
    free(b);
    cr_assert_eq(rc, 0, "returned %d", rc);
    cr_assert_eq(fp.count, (uint32_t)CS_FP_K, "count %u", fp.count);
    assert_well_formed(&fp, "8 MiB of noise");
}

/* ------------------------------------------------------------------------
 * The similarity estimator on hand-made sketches
 * ------------------------------------------------------------------------ */

static cs_fingerprint sketch_of(const uint64_t *v, uint32_t n)
{
    cs_fingerprint fp;
    memset(&fp, 0, sizeof(fp));
    fp.count = n;
    memcpy(fp.h, v, n * sizeof(v[0]));
    return fp;
}

/* A sketch of `n` values first, first + step, ... */
static cs_fingerprint sketch_range(uint64_t first, uint64_t step, uint32_t n)
{
    uint64_t v[CS_FP_K];
    for (uint32_t i = 0; i < n; i++)
        v[i] = first + step * i;
    return sketch_of(v, n);
}

Test(fingerprint_similarity, bottom_k_estimator)
{
    /* Full sketches overlapping in half: the union's 64 smallest are 1..64,
     * of which 33..64 are in both. */
    cs_fingerprint a = sketch_range(1, 1, 64), b = sketch_range(33, 1, 64);
    cr_assert_float_eq(cs_fingerprint_similarity(&a, &b), 0.5, 1e-12, "half overlap");
    /* Interleaved: nothing in common. */
    cs_fingerprint even = sketch_range(2, 2, 64), odd = sketch_range(1, 2, 64);
    cr_assert_float_eq(cs_fingerprint_similarity(&even, &odd), 0.0, 1e-12, "disjoint");
    /* Small sketches (short texts): {1,2,3} and {2,3,4}: union of 4, 2 shared. */
    cs_fingerprint s1 = sketch_range(1, 1, 3), s2 = sketch_range(2, 1, 3);
    cr_assert_float_eq(cs_fingerprint_similarity(&s1, &s2), 0.5, 1e-12, "small sketches");
    /* b's values are all above a's: only a's 64 count, none shared. */
    cs_fingerprint low = sketch_range(1, 1, 64), high = sketch_range(1000, 1, 10);
    cr_assert_float_eq(cs_fingerprint_similarity(&low, &high), 0.0, 1e-12, "above the cut");
    /* A short text contained in a long one: {10,20} vs 1..64 has 64 in the
     * union's bottom 64, of which 10 and 20 are shared. */
    cs_fingerprint two = sketch_range(10, 10, 2), full = sketch_range(1, 1, 64);
    cr_assert_float_eq(cs_fingerprint_similarity(&two, &full), 2.0 / 64.0, 1e-12, "contained");
}

Test(fingerprint_similarity, empty_and_null_give_zero)
{
    cs_fingerprint empty = sketch_range(0, 0, 0), full = sketch_range(1, 1, 64);
    cr_assert_float_eq(cs_fingerprint_similarity(&empty, &full), 0.0, 1e-12, "empty vs full");
    cr_assert_float_eq(cs_fingerprint_similarity(&empty, &empty), 0.0, 1e-12, "both empty");
    cr_assert_float_eq(cs_fingerprint_similarity(NULL, &full), 0.0, 1e-12, "NULL");
    cr_assert_float_eq(cs_fingerprint_similarity(&full, NULL), 0.0, 1e-12, "NULL");
    cs_fingerprint corrupt = full;
    corrupt.count = 1000; /* must be clamped, not read past h[] */
    cr_assert_float_eq(cs_fingerprint_similarity(&corrupt, &full), 1.0, 1e-12, "clamped count");
}

/* ------------------------------------------------------------------------
 * Text form
 * ------------------------------------------------------------------------ */

static void assert_round_trip(const cs_fingerprint *fp, const char *what)
{
    char *text = NULL;
    cr_assert_eq(cs_fingerprint_encode(&text, fp), 0, "%s: encode", what);
    cr_assert_not_null(text, "%s: encoded text", what);
    const char *prefix = fp->scheme == CS_FP_MH1   ? "mh1:"
                         : fp->scheme == CS_FP_MH2 ? "mh2:"
                         : fp->wcount > CS_FP_PK_MH3 ? "mh4:"
                                                   : "mh3:";
    cr_assert_eq(strncmp(text, prefix, 4), 0, "%s: prefix of \"%.40s\", want %s", what, text, prefix);
    size_t want_len = 4 + 4 * ((fp->count * 8 + 2) / 3) +
                      (fp->scheme == CS_FP_MH3 ? 2 + 4 * ((fp->wcount * 8 + 2) / 3) + 4 * ((fp->ucount * 8 + 2) / 3) : 0);
    cr_assert_eq(strlen(text), want_len, "%s: length %zu, want %zu", what, strlen(text), want_len);
    cs_fingerprint back;
    int rc = cs_fingerprint_decode(&back, text);
    free(text);
    cr_assert_eq(rc, 0, "%s: decode of own encoding", what);
    cr_assert_eq(back.count, fp->count, "%s: count", what);
    cr_assert_eq(back.scheme, fp->scheme, "%s: scheme", what);
    cr_assert_eq(memcmp(back.h, fp->h, fp->count * sizeof(fp->h[0])), 0, "%s: values", what);
    cr_assert_eq(back.wcount, fp->wcount, "%s: pair count", what);
    cr_assert_eq(memcmp(back.w, fp->w, fp->wcount * sizeof(fp->w[0])), 0, "%s: pair values", what);
    cr_assert_eq(back.ucount, fp->ucount, "%s: word count", what);
    cr_assert_eq(memcmp(back.u, fp->u, fp->ucount * sizeof(fp->u[0])), 0, "%s: word values", what);
}

Test(fingerprint_text, round_trip)
{
    assert_round_trip(&(cs_fingerprint){0}, "empty");
    for (uint32_t n = 1; n <= 4; n++) { /* every padding length */
        cs_fingerprint fp = sketch_range(UINT64_C(0xfedcba9876543210) - n, 1, n);
        assert_round_trip(&fp, "small");
    }
    cs_fingerprint edges = sketch_of((const uint64_t[]){0, 1, UINT64_MAX - 1, UINT64_MAX}, 4);
    assert_round_trip(&edges, "extreme values");
    cs_fingerprint real = fingerprint_of(secret_one, NOTE_A, "note A");
    assert_round_trip(&real, "note A");
    cs_fingerprint eight;
    cr_assert_eq(cs_fingerprint_compute(&eight, secret_one, "a b c d e f g h", 15), 0, "8 words");
    assert_round_trip(&eight, "6 hashes");
    cs_fingerprint old = {0};
    cr_assert_eq(cs_fingerprint_compute_mh1(&old, secret_one, NOTE_A, strlen(NOTE_A)), 0, "mh1");
    assert_round_trip(&old, "note A in mh1");
}

/* A print of more than CS_FP_PK_MH3 word pairs is spelt mh4 (a reader of
 * mh3 prints would refuse its longer pair sketch); one of fewer is spelt
 * mh3, as before, and only so: one print, one spelling. */
Test(fingerprint_text, long_pair_sketches_are_mh4_and_short_ones_stay_mh3)
{
    cs_fingerprint note = fingerprint_of(secret_one, NOTE_A, "note A");
    cr_assert_eq(note.wcount, CS_FP_PK, "note A keeps %u pairs", note.wcount);
    char *text = NULL;
    cr_assert_eq(cs_fingerprint_encode(&text, &note), 0);
    cr_assert_eq(strncmp(text, "mh4:", 4), 0, "%.20s", text);
    cr_assert_leq(strlen(text), (size_t)CS_FP_TEXT_MAX);
    cr_assert_eq(cs_form_fingerprint_shape(text), 1, "the form's pattern takes an mh4 print");
    cs_fingerprint back;
    text[2] = '3';
    cr_assert_neq(cs_fingerprint_decode(&back, text), 0, "256 pairs spelt mh3");
    free(text);
    cs_fingerprint old = note; /* what a library of CS_FP_PK_MH3 pairs stamped */
    old.wcount = CS_FP_PK_MH3;
    cr_assert_eq(cs_fingerprint_encode(&text, &old), 0);
    cr_assert_eq(strncmp(text, "mh3:", 4), 0, "%.20s", text);
    cr_assert_eq(cs_fingerprint_decode(&back, text), 0, "an old mh3 print still reads");
    text[2] = '4';
    cr_assert_neq(cs_fingerprint_decode(&back, text), 0, "128 pairs spelt mh4");
    free(text);
    /* the old print still finds its text, and a heavy copy of it */
    double score = 0;
    cr_assert_eq(cs_fingerprint_grade(&note, &old, NULL, &score), CS_FP_COPIED, "score %.3f", score);
}

Test(fingerprint_text, known_encoding_is_big_endian_base64)
{
    cs_fingerprint fp = sketch_of((const uint64_t[]){UINT64_C(0x0102030405060708)}, 1);
    char *text = NULL;
    cr_assert_eq(cs_fingerprint_encode(&text, &fp), 0, "encode");
    cr_assert_str_eq(text, "mh3:AQIDBAUGBwg=..", "encoding");
    free(text);
    cs_fingerprint back;
    cr_assert_eq(cs_fingerprint_decode(&back, "mh2:AQIDBAUGBwg="), 0, "decode");
    cr_assert_eq(back.count, 1u, "count");
    cr_assert_eq(back.scheme, CS_FP_MH2, "scheme");
    cr_assert_eq(cs_fingerprint_decode(&back, "mh1:AQIDBAUGBwg="), 0, "decode an old print");
    cr_assert_eq(back.scheme, CS_FP_MH1, "old scheme");
    cr_assert_eq(back.h[0], UINT64_C(0x0102030405060708), "value %016llx", (unsigned long long)back.h[0]);
    cr_assert_eq(cs_fingerprint_decode(&back, "mh1:"), 0, "the empty sketch");
    cr_assert_eq(back.count, 0u, "empty count");
}

Test(fingerprint_text, encode_rejects_bad_arguments)
{
    char *text = (char *)"unchanged";
    cs_fingerprint bad = sketch_range(1, 1, 1);
    bad.count = CS_FP_K + 1;
    cr_assert_eq(cs_fingerprint_encode(&text, &bad), -1, "count above CS_FP_K");
    cr_assert_null(text, "output cleared on failure");
    cr_assert_eq(cs_fingerprint_encode(&text, NULL), -1, "NULL fingerprint");
    cr_assert_eq(cs_fingerprint_encode(NULL, &bad), -1, "NULL out");
}

/* "mh1:" + base64 of the given values, big-endian: built with OpenSSL here
 * so that the test can write well-encoded but invalid sketches. */
static char *encode_values(const uint64_t *v, size_t n)
{
    size_t raw_len = n * 8;
    uint8_t *raw = malloc(raw_len + 1);
    char *text = malloc(4 + 4 * ((raw_len + 2) / 3) + 1);
    cr_assert(raw != NULL && text != NULL, "test allocation");
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < 8; b++)
            raw[i * 8 + (size_t)b] = (uint8_t)(v[i] >> (56 - 8 * b));
    memcpy(text, "mh1:", 4);
    EVP_EncodeBlock((unsigned char *)text + 4, raw, (int)raw_len);
    free(raw);
    return text;
}

static void assert_rejected(const char *text, const char *why)
{
    cs_fingerprint fp;
    memset(&fp, 0x5a, sizeof(fp));
    cr_assert_eq(cs_fingerprint_decode(&fp, text), -1, "%s accepted: \"%.80s\"", why, text ? text : "(null)");
    cr_assert_eq(fp.count, 0u, "%s: count %u left after failure", why, fp.count);
}

Test(fingerprint_text, malformed_text_rejected)
{
    static const struct {
        const char *text, *why;
    } bad[] = {
        {"", "empty string"},
        {"mh1", "prefix without colon"},
        {"MH1:AQIDBAUGBwg=", "upper-case prefix"},
        {"mh3:AQIDBAUGBwg=", "mh3 without its pair and word sketches"},
        {"mh3:AQIDBAUGBwg=.", "mh3 without its word sketch"},
        {"mh3:AQIDBAUGBwg=...", "mh3 with a fourth sketch"},
        {"mh3:AQIDBAUGBwg=.AQIDBAUGBwg=.AQIDBAUGBwg*", "mh3 word sketch outside base64"},
        {"mh2:AQIDBAUGBwg=..", "mh2 with mh3's sketches"},
        {"mh4:AQIDBAUGBwg=", "other version"},
        {"AQIDBAUGBwg=", "no prefix"},
        {" mh1:AQIDBAUGBwg=", "space before prefix"},
        {"mh1: AQIDBAUGBwg=", "space after prefix"},
        {"mh1:AQIDBAUGBwg=\n", "trailing newline"},
        {"mh1:AQIDBAUG\nBwg=", "newline inside"},
        {"mh1:AQIDBAUGBwg", "length not a multiple of 4"},
        {"mh1:AQIDBAUGBwg*", "character outside base64"},
        {"mh1:AQIDBAUGBw-_", "base64url alphabet"},
        {"mh1:AQ=DBAUGBwg=", "padding in the middle"},
        {"mh1:AQIDBAUGBwg==", "too much padding"},
        {"mh1:====", "only padding"},
        {"mh1:AQIDBAUGBwh=", "non-zero bits under the padding"},
        {"mh1:AQID", "3 bytes"},
        {"mh1:AQIDBAUGBw==", "7 bytes"},
        {"mh1:AQIDBAUGBwgJ", "9 bytes"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_rejected(bad[i].text, bad[i].why);
    assert_rejected(NULL, "NULL");
    cr_assert_eq(cs_fingerprint_decode(NULL, "mh1:"), -1, "NULL out");
}

Test(fingerprint_text, invalid_sketches_rejected)
{
    uint64_t v[CS_FP_K + 1];
    for (size_t i = 0; i <= CS_FP_K; i++)
        v[i] = 1000 + 3 * i;
    char *t = encode_values(v, CS_FP_K);
    cs_fingerprint fp;
    cr_assert_eq(cs_fingerprint_decode(&fp, t), 0, "CS_FP_K ascending values are valid");
    free(t);
    t = encode_values(v, CS_FP_K + 1);
    assert_rejected(t, "more than CS_FP_K values");
    free(t);
    t = encode_values((const uint64_t[]){5, 4}, 2);
    assert_rejected(t, "descending values");
    free(t);
    t = encode_values((const uint64_t[]){1, 7, 7, 9}, 4);
    assert_rejected(t, "a duplicate value");
    free(t);
    t = encode_values((const uint64_t[]){UINT64_MAX, 0}, 2);
    assert_rejected(t, "wrapped order");
    free(t);
}

Test(fingerprint_text, huge_text_rejected)
{
    size_t n = 1u << 20;
    char *t = malloc(n + 5);
    cr_assert_not_null(t, "test allocation");
    memcpy(t, "mh1:", 4);
    memset(t + 4, 'A', n);
    t[n + 4] = '\0';
    assert_rejected(t, "1 MiB of base64");
    free(t);
}

/* ------------------------------------------------------------------------
 * Containment and copies: AI text inside a longer note, or a note mostly
 * taken from an AI text, where whole-text similarity is below the match.
 * ------------------------------------------------------------------------ */

/* Another note, unrelated to A and B, to make a long human record. */
#define NOTE_C                                                                                                         \
    "The review meeting took place at the children's centre with the health visitor, the nursery manager and both "   \
    "parents. The nursery reported that Leo now settles quickly in the mornings, eats well at lunch and has begun to " \
    "play alongside other children, which is a real change since the spring. The health visitor confirmed that his "  \
    "hearing test was normal and that the speech and language therapy waiting list is about eight weeks. Both "       \
    "parents said that the evening routine is calmer since they moved bath time earlier and switched off the "         \
    "television at six. Dad asked for help with the housing application because the flat is damp and the bedroom "    \
    "window does not close properly. The group agreed that the plan can step down to universal services after the "   \
    "next review if progress continues, and the nursery will keep a short weekly note of how Leo is getting on."

Test(fingerprint_copies, ai_text_inside_a_longer_note_is_a_copy)
{
    for (unsigned k = 0; k < N_SECRETS; k++) {
        uint8_t secret[CS_FP_SECRET_LEN];
        make_secret(secret, k);
        cs_fingerprint ai = fingerprint_of(secret, NOTE_A, "AI note");
        cs_fingerprint human = fingerprint_of(secret, NOTE_B " " NOTE_A APPENDED " " NOTE_C, "longer human note");
        uint32_t samples = 0;
        double c = cs_fingerprint_containment(&ai, &human, &samples);
        cr_expect_geq(samples, CS_FP_CONTAIN_SAMPLES, "secret %u: %u samples", k, samples);
        cr_expect_geq(c, CS_FP_CONTAIN_MATCH, "secret %u: containment %.2f", k, c);
        cr_expect_lt(cs_fingerprint_similarity(&ai, &human), CS_FP_MATCH,
                     "secret %u: whole-text similarity alone would have caught it", k);
        double score = 0;
        cr_expect(cs_fingerprint_copies(&human, &ai, &score), "secret %u: not a copy (%.2f)", k, score);
    }
}

Test(fingerprint_copies, a_note_mostly_taken_from_ai_text_is_a_copy)
{
    for (unsigned k = 0; k < N_SECRETS; k++) {
        uint8_t secret[CS_FP_SECRET_LEN];
        make_secret(secret, k);
        cs_fingerprint ai = fingerprint_of(secret, NOTE_A, "AI note");
        cs_fingerprint human = fingerprint_of(secret, A2 " " A3 " " A6, "three sentences of it");
        cr_expect_lt(cs_fingerprint_similarity(&ai, &human), CS_FP_MATCH, "secret %u", k);
        double score = 0;
        cr_expect(cs_fingerprint_copies(&human, &ai, &score), "secret %u: not a copy (%.2f)", k, score);
    }
}

Test(fingerprint_copies, unrelated_notes_are_not_copies)
{
    for (unsigned k = 0; k < N_SECRETS; k++) {
        uint8_t secret[CS_FP_SECRET_LEN];
        make_secret(secret, k);
        cs_fingerprint a = fingerprint_of(secret, NOTE_A, "note A");
        cs_fingerprint b = fingerprint_of(secret, NOTE_B, "note B");
        cs_fingerprint small = fingerprint_of(secret, A5 " " A7, "two short sentences");
        cr_expect_not(cs_fingerprint_copies(&b, &a, NULL), "secret %u: B copies A", k);
        cr_expect_not(cs_fingerprint_copies(&a, &b, NULL), "secret %u: A copies B", k);
        cr_expect_not(cs_fingerprint_copies(&small, &b, NULL), "secret %u: short note copies B", k);
        uint32_t samples = 99;
        cr_expect_float_eq(cs_fingerprint_containment(&a, &b, &samples), 0.0, 0.2, "secret %u", k);
    }
}

Test(fingerprint_copies, min_shared_is_a_true_lower_bound)
{
    /* Every copy found above shares at least min_shared values: the index
     * search relies on it to skip the commonest lists. */
    for (unsigned k = 0; k < N_SECRETS; k++) {
        uint8_t secret[CS_FP_SECRET_LEN];
        make_secret(secret, k);
        const char *humans[] = {NOTE_B " " NOTE_A APPENDED " " NOTE_C, A2 " " A3 " " A6, NOTE_A_FIVE_CHANGED};
        cs_fingerprint ai = fingerprint_of(secret, NOTE_A, "AI note");
        for (size_t h = 0; h < 3; h++) {
            cs_fingerprint human = fingerprint_of(secret, humans[h], "human");
            if (!cs_fingerprint_copies(&human, &ai, NULL))
                continue;
            uint32_t shared = 0;
            for (uint32_t i = 0; i < human.count; i++)
                for (uint32_t j = 0; j < ai.count; j++)
                    shared += human.h[i] == ai.h[j];
            cr_expect_geq(shared, cs_fingerprint_min_shared(human.count), "secret %u, text %zu", k, h);
        }
    }
}

Test(text_mac, same_words_same_mac_and_any_change_differs)
{
    char a[CS_TEXT_MAC_LEN], b[CS_TEXT_MAC_LEN], c[CS_TEXT_MAC_LEN], d[CS_TEXT_MAC_LEN];
    const char *x = "No concerns.", *y = "  NO\u200b concerns!\n", *z = "No concern.";
    cr_assert_eq(cs_text_mac(a, secret_one, x, strlen(x)), 0);
    cr_assert_eq(cs_text_mac(b, secret_one, y, strlen(y)), 0);
    cr_assert_eq(cs_text_mac(c, secret_one, z, strlen(z)), 0);
    uint8_t other[CS_FP_SECRET_LEN];
    make_secret(other, 3);
    cr_assert_eq(cs_text_mac(d, other, x, strlen(x)), 0);
    cr_expect_str_eq(a, b, "case, spacing, punctuation and invisible characters must not matter");
    cr_expect_str_neq(a, c, "a changed word must change the MAC");
    cr_expect_str_neq(a, d, "another home's secret must give another MAC");
    cr_expect_eq(strlen(a), 28);
    cr_expect_eq(strncmp(a, "tm2:", 4), 0);
    char old[CS_TEXT_MAC_LEN];
    cr_assert_eq(cs_text_mac_tm1(old, secret_one, x, strlen(x)), 0);
    cr_expect_eq(strncmp(old, "tm1:", 4), 0, "the old MAC is still made for old stamps");
    cr_expect_str_neq(old, a, "tm1 and tm2 are different schemes");
}

/* Synthetic mh2 sketches (shingles only, unweighted): an AI text of 20
 * values of which a note of 64 holds `shared` (the note's others lie above
 * every AI value, so all 20 are sampled). The containment of the AI text in
 * the note is shared / 20, its similarity under 0.12 for up to 7 shared. */
static void sketches(cs_fingerprint *ai, cs_fingerprint *note, uint32_t shared)
{
    memset(ai, 0, sizeof(*ai));
    memset(note, 0, sizeof(*note));
    ai->scheme = note->scheme = CS_FP_MH2;
    ai->count = 20;
    for (uint32_t k = 0; k < 20; k++)
        ai->h[k] = 10 * (k + 1);
    for (uint32_t k = 0; k < shared; k++)
        note->h[note->count++] = ai->h[k];
    for (uint64_t v = 201; note->count < CS_FP_K; v++)
        note->h[note->count++] = v;
}

/* Measured (bench_launder, four homes): refusing from 30% containment
 * refused generic human notes sharing one pattern sentence with a draft
 * (0.53% of 3,200), from 40% fewer (0.44%) with the same heavy edits found. */
Test(fingerprint_copies, a_third_of_an_ai_text_in_a_note_is_not_derived_two_fifths_is)
{
    cs_fingerprint ai, note;
    double score = 0;
    sketches(&ai, &note, 7); /* 35% */
    cr_expect_lt(cs_fingerprint_similarity(&note, &ai), CS_FP_DERIVED_MATCH);
    cr_expect_eq(cs_fingerprint_grade(&note, &ai, NULL, &score), CS_FP_UNRELATED, "score %.3f", score);
    sketches(&ai, &note, 9); /* 45% */
    cr_expect_eq(cs_fingerprint_grade(&note, &ai, NULL, &score), CS_FP_DERIVED, "score %.3f", score);
    cr_expect_float_eq(score, 0.45, 1e-9);
}
