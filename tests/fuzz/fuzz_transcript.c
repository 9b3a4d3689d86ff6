/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_transcript.c - libFuzzer harness for transcripts other programs made
 * and for observation tags: the first byte chooses what the rest is.
 *   0  a transcript for casescribe_transcript_open: WebVTT, SRT, plain text
 *      with [hh:mm:ss] lines (or the library's XML)
 *   1  an observation tag list, put into a small imported transcript
 * Any bytes may be refused; none may crash, leak or hang. What is accepted
 * must render, and its XML rendering must read back the same (segments,
 * speakers, who wrote each), so that a host can keep what it imported.
 *
 *   ./configure CC=clang --enable-fuzzers && make fuzz
 *   seeds: tests/fuzz/corpus-transcript */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transcribe/transcript.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base[] = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Kerry Thompson>Come in, sorry about the mess.\n\n"
                           "00:00:05.000 --> 00:00:09.000\n<v Priya Shah>Is Mia about?\n";

/* The XML rendering of t reads back as t. */
static void round_trip(const casescribe_transcript *t)
{
    char *text = NULL, *xml = NULL;
    if (casescribe_transcript_render(&text, t, CASESCRIBE_TRANSCRIPT_TEXT) != 0 ||
        casescribe_transcript_render(&xml, t, CASESCRIBE_TRANSCRIPT_XML) != 0)
        abort();
    casescribe_transcript *back = NULL;
    if (casescribe_transcript_open(&back, (const uint8_t *)xml, strlen(xml)) != 0 ||
        back->n_segments != t->n_segments || back->made_by != t->made_by)
        abort();
    for (size_t i = 0; i < t->n_segments; i++)
        if (strcmp(back->segments[i].text, t->segments[i].text) != 0 ||
            back->segments[i].speaker_words != t->segments[i].speaker_words ||
            back->segments[i].by != t->segments[i].by)
            abort();
    casescribe_transcript_free(back);
    casescribe_free(text);
    casescribe_free(xml);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    casescribe_transcript *t = NULL;
    if (data[0] % 2 == 0) {
        if (casescribe_transcript_open(&t, data + 1, size - 1) == 0)
            round_trip(t);
    } else if (casescribe_transcript_open(&t, (const uint8_t *)base, strlen(base)) == 0) {
        if (cs_transcript_add_tags(t, data + 1, size - 1) == 0)
            round_trip(t);
    }
    casescribe_transcript_free(t);
    return 0;
}
