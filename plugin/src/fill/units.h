/* SPDX-License-Identifier: Apache-2.0 */
/* units.h - a transcript cut into sentences ("units"), each a run of words
 * of one segment, and the words people search with. Shared by the
 * extractive filler (which scores units) and the answer checker (which
 * looks for a remote model's names and numbers in the segments it cites). */
#ifndef CS_FILL_UNITS_H
#define CS_FILL_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "transcribe/transcript.h"

typedef struct cs_unit {
    uint32_t seg;    /* segment index, from 0 */
    uint32_t w0, w1; /* words [w0, w1) of the segment, speaker label excluded */
    int speaker;     /* 1 when the segment starts with a label ("Kerry:"), word 0 */
    int question;    /* ends with '?', or (no end punctuation) reads as one and the next speaker answers */
    int answer;      /* the question before gives it its topic: 1 said by another speaker right after it,
                        2 the rest of that turn */
    int worker;      /* the label is the worker's ("Worker:") */
    int opinion;     /* judgement: the worker evaluating or deciding, or anyone's "in my view" */
    int instruction; /* addressed to a recorder, computer or AI, or telling it what to write */
} cs_unit;

/* Cuts every segment into sentences at words ending in . ? or ! (a segment
 * without punctuation, as pocketsphinx gives, is one unit), and says of
 * each what it is (the fields above). ENOMEM. */
int32_t cs_units_of(cs_unit **out, size_t *n, const casescribe_transcript *t);

/* The search form of a word: lowercase ASCII letters and digits only, a
 * trailing possessive and common suffixes stripped ("visits", "visited",
 * "visiting" -> "visit"). Writes "" for stop words and for words with no
 * letter or digit. `out` holds `cap` bytes. */
void cs_search_term(char *out, size_t cap, const char *word, size_t len);

/* The unit's words (speaker label excluded), lowercase ASCII with curly
 * apostrophes made straight, single-spaced, into out (cap bytes). */
void cs_unit_text(char *out, size_t cap, const casescribe_transcript *t, const cs_unit *u);

/* 1 when the word (as written) is a filler a tidy draft leaves out ("um"). */
int cs_is_filler(const char *word);

#endif
