/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_audio.c - libFuzzer harness for the recording decoder (libsndfile
 * and libsamplerate behind cs_audio_decode): any bytes may be refused,
 * none may crash, leak, hang or read out of bounds.
 *
 *   ./configure CC=clang --enable-fuzzers && make fuzz
 *   seeds: tests/fuzz/corpus-audio (short WAV, FLAC, OGG and MP3 files) */
#include <stddef.h>
#include <stdint.h>

#include "transcribe/audio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cs_audio a;
    cs_audio_limits lim = {.max_seconds = 30}; /* keeps each run short */
    if (cs_audio_decode(&a, data, size, NULL, &lim) == CASESCRIBE_OK)
        cs_audio_free(&a);
    return 0;
}
