/* SPDX-License-Identifier: Apache-2.0 */
/* textnorm.h - the Unicode folding a text goes through before it is
 * fingerprinted or MACed (scheme "mh2" / "tm2"), done by ICU:
 *
 *   1. NFKC with case folding (unorm2 NFKC_Casefold): full-width and other
 *      compatibility forms become their plain letters, case is folded, and
 *      default-ignorable characters (zero-width spaces, joiners...) go;
 *   2. NFD, then every non-spacing mark (general category Mn) is dropped:
 *      precomposed and combining accents alike ("kítchen" -> "kitchen");
 *      every other character that is not a letter or digit becomes a space;
 *   3. the UTS #39 confusable skeleton (uspoof_getSkeleton): look-alike
 *      letters from other scripts become their prototype (Cyrillic "а" ->
 *      Latin "a");
 *   4. steps 1 and 2 again, since a skeleton is decomposed and may hold
 *      upper-case prototypes ("0" -> "O").
 *
 * The result is only ever hashed, never shown: it folds more than a reader
 * would ("0" and "o", "m" and "rn" are one), which is what a check for
 * disguised copies needs.
 *
 * Thread-safe: the normalisers are ICU singletons, and the one spoof checker
 * is opened once (pthread_once) and only read afterwards. */
#ifndef CS_TEXTNORM_H
#define CS_TEXTNORM_H

#include <stddef.h>

/* Longest text (bytes of UTF-8) normalised; longer texts are refused. */
#define CS_TEXTNORM_MAX ((size_t)8 << 20)

/* Folds `len` bytes of UTF-8 (ill-formed sequences become U+FFFD) into a
 * new NUL-terminated UTF-8 string in *out (free() it) of *out_len bytes.
 * Returns 0, or -1 (too long, out of memory, or an ICU error: *out NULL). */
int cs_text_normalise(char **out, size_t *out_len, const char *text, size_t len);

#endif
