/* SPDX-License-Identifier: Apache-2.0 */
/* vad.h - where the speech is: a recording split at its silences into
 * chunks that decoders can work on in parallel.
 *
 * Energy-based, in 30 ms frames: a frame is speech when it is 12 dB above
 * the recording's noise floor (its 10th-percentile frame). Speech runs
 * separated by less than 300 ms stay together; each chunk keeps 150 ms of
 * quiet either side so no word is clipped; long silences are dropped; a
 * chunk grows to about CS_VAD_TARGET_MS and is cut, if it must be, at its
 * quietest frame before CS_VAD_MAX_MS.
 */
#ifndef CS_VAD_H
#define CS_VAD_H

#include <stddef.h>
#include <stdint.h>

#define CS_VAD_FRAME 480          /* samples at 16 kHz: 30 ms */
#define CS_VAD_TARGET_MS 6000     /* enough chunks to keep every decoder busy */
#define CS_VAD_MAX_MS 30000       /* no chunk longer than this */

typedef struct cs_chunk {
    size_t start, end; /* sample indices, end exclusive */
} cs_chunk;

/* The chunks of speech in `n` 16 kHz samples, in order. *n_chunks is 0
 * when nothing in it rises above its own noise floor. ENOMEM only. */
int32_t cs_vad_split(cs_chunk **chunks, size_t *n_chunks, const int16_t *samples, size_t n);

#endif
