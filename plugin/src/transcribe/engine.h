/* SPDX-License-Identifier: Apache-2.0 */
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
 * With a remote engine, step 3 sends each chunk to the service instead
 * (remote.h); steps 1 and 2 are the same, so silences never leave.
 */
#ifndef CS_TRANSCRIBE_ENGINE_H
#define CS_TRANSCRIBE_ENGINE_H

#include <stdint.h>

#include "casescribe.h"
#include "transcribe/remote.h"

#define CS_ENGINE_NAME "embedded:pocketsphinx"
#define CS_REMOTE_ENGINE_NAME "remote:openai-compatible" /* not a local engine: consent needs external-ai */
#define CS_MAX_PARALLEL 8

typedef struct cs_engine_config {
    const char *helper_path; /* casescribe-asr */
    const char *model_dir;   /* holds en-us/, en-us.lm.bin, cmudict-en-us.dict */
    uint32_t parallel;       /* 1..CS_MAX_PARALLEL */
    uint32_t max_seconds;    /* of audio */
    uint32_t unsure_permille;
    const cs_remote_config *remote; /* not NULL: the parts go to this service instead */
    int32_t chunk_deadline_ms;      /* > 0: every chunk's deadline (tests); 0: 30 s plus ten times its length */
} cs_engine_config;

int32_t cs_engine_transcribe(casescribe_transcript **out, const cs_engine_config *cfg, const char *audio_path,
                             const casescribe_job *job);

#endif
