/* SPDX-License-Identifier: Apache-2.0 */
/* audio.h - a recording in, 16 kHz mono 16-bit samples out, for the engines.
 *
 * Any format libsndfile reads (WAV, FLAC, OGG/Vorbis, OGG/Opus, MP3, ...),
 * mixed down to mono and resampled with libsamplerate, block by block, so
 * that memory is the output (32 KB a second of audio) and a little more.
 * The input is hostile: its header is checked against limits before any
 * sample is read, reading stops at the duration limit whatever the header
 * said, and a truncated, empty or silent recording is refused by name.
 */
#ifndef CS_AUDIO_H
#define CS_AUDIO_H

#include <stddef.h>
#include <stdint.h>

#include "casescribe.h"

#define CS_AUDIO_RATE 16000
#define CS_AUDIO_MAX_SECONDS (4 * 3600) /* a long meeting; 230 MB of samples */
#define CS_AUDIO_MAX_CHANNELS 16
#define CS_AUDIO_MIN_INPUT_RATE 4000
#define CS_AUDIO_MAX_INPUT_RATE 384000
#define CS_AUDIO_SILENT_PEAK 0.003f /* about -50 dBFS: nothing here a person said */

typedef struct cs_audio {
    int16_t *samples; /* CS_AUDIO_RATE a second, mono */
    size_t n;
    double source_seconds; /* as read from the input */
    int source_rate, source_channels;
    char format[64]; /* "WAV (Microsoft) / Signed 16 bit PCM", for the transcript's record */
} cs_audio;

typedef struct cs_audio_limits {
    uint32_t max_seconds;    /* 0: CS_AUDIO_MAX_SECONDS */
    const casescribe_job *job; /* stop early when cancelled; may be NULL */
} cs_audio_limits;

/* Decodes `len` bytes (a whole file) or the file at `path` (one of them
 * NULL). EAUDIO (not audio, corrupt, truncated, empty, silent, absurd
 * header), ETOOBIG (longer than the limit), EIO (cannot read the file),
 * ECANCELLED, ENOMEM, with a message that never holds the audio. */
int32_t cs_audio_decode(cs_audio *out, const uint8_t *buf, size_t len, const char *path, const cs_audio_limits *lim);
void cs_audio_free(cs_audio *a);

/* `n` samples at CS_AUDIO_RATE as a 16-bit mono WAV file in memory (free
 * *out), written by libsndfile. ENOMEM, EINTERNAL. */
int32_t cs_audio_encode_wav(uint8_t **out, size_t *len, const int16_t *samples, size_t n);

#endif
