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
#define CS_TRANSCRIPT_MAX_SEGMENTS 20000u /* what a transcript read from outside may hold */
#define CS_TRANSCRIPT_MAX_WORDS 500000u

/* Who wrote a word or a segment: the speech-to-text engine (0, what a
 * zeroed word says), a transcript imported from another program (captions,
 * a meeting export: no confidence, nothing to mark unsure), or the worker
 * (an observation tag, the worker's own words, never the machine's). */
#define CS_BY_MACHINE 0
#define CS_BY_IMPORTED 1
#define CS_BY_WORKER 2

typedef struct cs_word {
    char *text;
    int64_t start_ms, end_ms;
    int32_t confidence; /* per mille, -1 when the engine gave none */
    uint8_t by;         /* CS_BY_* */
} cs_word;

typedef struct cs_segment {
    int64_t start_ms, end_ms;
    char *text; /* the words, space-separated */
    cs_word *words;
    size_t n_words;
    /* The first speaker_words words are the speaker's label ("Kerry
     * Thompson:"), when an imported transcript named the speaker; 0
     * otherwise (a machine transcript may still start with "Kerry:"). */
    uint32_t speaker_words;
    uint8_t by; /* CS_BY_*: CS_BY_WORKER for an observation tag */
} cs_segment;

struct casescribe_transcript {
    int refs;
    cs_segment *segments;
    size_t n_segments;
    char *engine, *model, *version, *settings, *source; /* source: the recording's format and length */
    uint32_t unsure_permille;
    uint8_t made_by; /* CS_BY_MACHINE or CS_BY_IMPORTED */
};

/* 1 when the engine was unsure of word w of transcript t: below the
 * transcript's threshold, or no confidence given at all (an engine that
 * gives none leaves every word unsure). Words the machine did not write
 * (imported, the worker's) are never unsure: there is no engine to doubt.
 * The one rule for every rendering of a transcript and for the drafts made
 * from it. */
static inline int cs_word_unsure(const casescribe_transcript *t, const cs_word *w)
{
    return w->by == CS_BY_MACHINE && (w->confidence < 0 || (uint32_t)w->confidence < t->unsure_permille);
}

casescribe_transcript *cs_transcript_new(void);
casescribe_transcript *cs_transcript_ref(casescribe_transcript *t);
void cs_transcript_unref(casescribe_transcript *t);
/* Appends a segment made of `words` (taken over: freed here on failure too). */
int32_t cs_transcript_add_segment(casescribe_transcript *t, int64_t start_ms, int64_t end_ms, cs_word *words,
                                  size_t n_words);
/* The last segment added: who wrote it and how many label words it starts with. */
void cs_transcript_mark_last(casescribe_transcript *t, uint8_t by, uint32_t speaker_words);

/* Reads a transcript another program made: WebVTT (Teams, Zoom, Otter:
 * speakers from <v Name> tags or "Name:" lines), SubRip (SRT) or plain text
 * with "[hh:mm:ss] Speaker: words" lines (transcript_import.c). Hostile
 * input: at most 32 MiB, lines of at most 4096 bytes, strict UTF-8 without
 * control characters, the XML reader's segment and word bounds. 0 in
 * *kind when the bytes are none of the three (the caller reads XML). */
int32_t cs_transcript_import(casescribe_transcript **out, const uint8_t *bytes, size_t len, int *kind);

/* Observation tags: "hh:mm:ss label" lines (at most 200 lines of 200 bytes
 * of UTF-8 label), each put into `t` as a worker's segment at its time
 * (transcript_import.c). EPARSE (with the line), ETOOBIG, ENOMEM. */
int32_t cs_transcript_add_tags(casescribe_transcript *t, const uint8_t *tags, size_t len);
/* How many segments of t are the worker's observation tags. */
size_t cs_transcript_tag_count(const casescribe_transcript *t);

#endif
