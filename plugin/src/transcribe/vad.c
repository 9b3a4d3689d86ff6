/* SPDX-License-Identifier: Apache-2.0 */
/* vad.c - splitting a recording at its silences. */
#include "transcribe/vad.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "casescribe.h"
#include "internal.h"

#define MS_PER_FRAME 30
#define GAP_FRAMES (300 / MS_PER_FRAME)  /* a pause this long ends a run of speech */
#define PAD_FRAMES (150 / MS_PER_FRAME)  /* quiet kept either side of speech */
#define ABOVE_FLOOR_DB 12.0f
#define MIN_SPEECH_DB (-55.0f)           /* nothing quieter is speech, however quiet the room */

static float frame_db(const int16_t *x, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)x[i] * x[i];
    return (float)(10.0 * log10(sum / (double)n / (32768.0 * 32768.0) + 1e-10));
}

static int by_value(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The speech threshold: the noise floor plus a margin. */
static float threshold(const float *db, size_t n)
{
    float *sorted = malloc(n * sizeof(*sorted));
    if (sorted == NULL)
        return NAN;
    memcpy(sorted, db, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), by_value);
    float floor_db = sorted[n / 10];
    free(sorted);
    float t = floor_db + ABOVE_FLOOR_DB;
    return t > MIN_SPEECH_DB ? t : MIN_SPEECH_DB;
}

/* Appends a chunk of frames [from, to). */
static int add(cs_chunk **chunks, size_t *n, size_t *cap, size_t from, size_t to, size_t n_samples)
{
    if (*n == *cap) {
        size_t grown_cap = *cap ? *cap * 2 : 16;
        cs_chunk *grown = realloc(*chunks, grown_cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        *chunks = grown;
        *cap = grown_cap;
    }
    size_t end = to * CS_VAD_FRAME;
    (*chunks)[(*n)++] = (cs_chunk){from * CS_VAD_FRAME, end < n_samples ? end : n_samples};
    return 0;
}

/* The quietest frame in [from, to). */
static size_t quietest(const float *db, size_t from, size_t to)
{
    size_t best = from;
    for (size_t f = from; f < to; f++)
        if (db[f] < db[best])
            best = f;
    return best;
}

struct runs {
    const float *db;
    const uint8_t *speech;
    size_t frames;
};

/* The end of the run of speech (gaps under GAP_FRAMES included) starting at `f`. */
static size_t run_end(const struct runs *r, size_t f)
{
    size_t last = f, quiet = 0;
    for (; f < r->frames && quiet < GAP_FRAMES; f++) {
        if (r->speech[f]) {
            last = f;
            quiet = 0;
        } else {
            quiet++;
        }
    }
    return last + 1;
}

static int32_t make_chunks(cs_chunk **chunks, size_t *n_chunks, const struct runs *r, size_t n_samples)
{
    const size_t target = CS_VAD_TARGET_MS / MS_PER_FRAME, most = CS_VAD_MAX_MS / MS_PER_FRAME;
    size_t cap = 0, f = 0, prev_end = 0;
    while (f < r->frames) {
        while (f < r->frames && !r->speech[f])
            f++;
        if (f == r->frames)
            break;
        /* Padding never reaches back into the previous chunk: no audio is decoded twice. */
        size_t start = f > prev_end + PAD_FRAMES ? f - PAD_FRAMES : prev_end, end = run_end(r, f);
        /* Take in the next runs while the chunk stays under the target. */
        for (;;) {
            size_t next = end;
            while (next < r->frames && !r->speech[next])
                next++;
            if (next == r->frames || run_end(r, next) - start > target)
                break;
            end = run_end(r, next);
        }
        /* One run longer than the most a chunk may hold: cut at quiet points. */
        while (end - start > most) {
            size_t cut = quietest(r->db, start + most * 2 / 3, start + most);
            if (add(chunks, n_chunks, &cap, start, cut, n_samples) != 0)
                return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
            start = cut;
        }
        size_t padded = end + PAD_FRAMES < r->frames ? end + PAD_FRAMES : r->frames;
        if (add(chunks, n_chunks, &cap, start, padded, n_samples) != 0)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
        f = prev_end = padded;
    }
    return CASESCRIBE_OK;
}

int32_t cs_vad_split(cs_chunk **chunks, size_t *n_chunks, const int16_t *samples, size_t n)
{
    *chunks = NULL;
    *n_chunks = 0;
    size_t frames = n / CS_VAD_FRAME + (n % CS_VAD_FRAME != 0);
    if (frames == 0)
        return CASESCRIBE_OK;
    float *db = malloc(frames * sizeof(*db));
    uint8_t *speech = malloc(frames);
    int32_t rc = db != NULL && speech != NULL ? CASESCRIBE_OK : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    for (size_t f = 0; rc == CASESCRIBE_OK && f < frames; f++) {
        size_t from = f * CS_VAD_FRAME, len = n - from < CS_VAD_FRAME ? n - from : CS_VAD_FRAME;
        db[f] = frame_db(samples + from, len);
    }
    float t = rc == CASESCRIBE_OK ? threshold(db, frames) : 0;
    if (rc == CASESCRIBE_OK && isnan(t))
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    for (size_t f = 0; rc == CASESCRIBE_OK && f < frames; f++)
        speech[f] = db[f] > t;
    struct runs r = {db, speech, frames};
    if (rc == CASESCRIBE_OK)
        rc = make_chunks(chunks, n_chunks, &r, n);
    if (rc != CASESCRIBE_OK) {
        free(*chunks);
        *chunks = NULL;
        *n_chunks = 0;
    }
    free(db);
    free(speech);
    return rc;
}
