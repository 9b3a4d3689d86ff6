/* SPDX-License-Identifier: Apache-2.0 */
/* transcript.h - a machine transcript: segments of words with times and
 * the engine's confidence, and what made it. Immutable once built; shared
 * (reference-counted) between a job and the handles the host holds. */
#ifndef CS_TRANSCRIPT_H
#define CS_TRANSCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "casescribe.h"

#define CS_DEFAULT_UNSURE_PERMILLE 600 /* words below 60% confidence are marked */

typedef struct cs_word {
    char *text;
    int64_t start_ms, end_ms;
    int32_t confidence; /* per mille, -1 when the engine gave none */
} cs_word;

typedef struct cs_segment {
    int64_t start_ms, end_ms;
    char *text; /* the words, space-separated */
    cs_word *words;
    size_t n_words;
} cs_segment;

struct casescribe_transcript {
    int refs;
    cs_segment *segments;
    size_t n_segments;
    char *engine, *model, *version, *settings, *source; /* source: the recording's format and length */
    uint32_t unsure_permille;
};

/* 1 when the engine was unsure of word w of transcript t: below the
 * transcript's threshold, or no confidence given at all (an engine that
 * gives none leaves every word unsure). The one rule for every rendering
 * of a transcript and for the drafts made from it. */
static inline int cs_word_unsure(const casescribe_transcript *t, const cs_word *w)
{
    return w->confidence < 0 || (uint32_t)w->confidence < t->unsure_permille;
}

casescribe_transcript *cs_transcript_new(void);
casescribe_transcript *cs_transcript_ref(casescribe_transcript *t);
void cs_transcript_unref(casescribe_transcript *t);
/* Appends a segment made of `words` (taken over: freed here on failure too). */
int32_t cs_transcript_add_segment(casescribe_transcript *t, int64_t start_ms, int64_t end_ms, cs_word *words,
                                  size_t n_words);

#endif
