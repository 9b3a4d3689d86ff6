/* engine.h - the embedded engine: a recording to a transcript, with the
 * decoding and the recognition done in supervised helper processes.
 *
 *   1. a "decode" helper turns the file into 16 kHz mono samples (codecs
 *      never run in the host's process);
 *   2. the voice-activity detector splits the samples at silences;
 *   3. up to `parallel` "serve" helpers, each with the model loaded once,
 *      decode the chunks, longest first, as each becomes free;
 *   4. a helper that crashes, exits or misses its deadline is killed and
 *      replaced, and its chunk tried once more; a chunk that fails twice
 *      fails the job. The host never waits on any of this: it runs in a job.
 */
#ifndef CS_TRANSCRIBE_ENGINE_H
#define CS_TRANSCRIBE_ENGINE_H

#include <stdint.h>

#include "casescribe.h"

#define CS_ENGINE_NAME "embedded:pocketsphinx"
#define CS_MAX_PARALLEL 8

typedef struct cs_engine_config {
    const char *helper_path; /* casescribe-asr */
    const char *model_dir;   /* holds en-us/, en-us.lm.bin, cmudict-en-us.dict */
    uint32_t parallel;       /* 1..CS_MAX_PARALLEL */
    uint32_t max_seconds;    /* of audio */
    uint32_t unsure_permille;
} cs_engine_config;

int32_t cs_engine_transcribe(casescribe_transcript **out, const cs_engine_config *cfg, const char *audio_path,
                             const casescribe_job *job);

#endif
