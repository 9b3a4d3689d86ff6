/* SPDX-License-Identifier: Apache-2.0 */
/* remote.h - the remote engine: any OpenAI-compatible speech-to-text
 * service (/audio/transcriptions: whisper.cpp's server, vLLM, Azure,
 * OpenAI), only ever reached from a job, only at an endpoint the team's
 * policy allows, only when the policy has external-ai on and every
 * subject's consent has external-ai (see transcribe/api.c).
 *
 * The recording goes in the parts the voice-activity detector found, one
 * request each (16 kHz mono WAV, verbose_json asked for, with word times
 * when the service offers them): silences are never sent, and no request
 * is bigger than half a minute of audio. Every answer is checked before a
 * word of it is used.
 */
#ifndef CS_TRANSCRIBE_REMOTE_H
#define CS_TRANSCRIBE_REMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "casescribe.h"
#include "transcribe/vad.h"

#define CS_REMOTE_MAX_ANSWER (4u * 1024u * 1024u)

typedef struct cs_remote_config {
    const char *endpoint; /* the allowed base URL, e.g. https://asr.example/v1 */
    const char *model;    /* the service's model name */
    const char *api_key;  /* NULL for a service without one; never logged */
    const char *ca_file;  /* extra trust anchors, or NULL */
    int32_t timeout_ms;   /* per request */
} cs_remote_config;

/* Transcribes `chunks` of `samples` (16 kHz mono) into `t`'s segments. */
int32_t cs_remote_transcribe(casescribe_transcript *t, const cs_remote_config *cfg, const int16_t *samples,
                             const cs_chunk *chunks, size_t n_chunks, const casescribe_job *job);

#endif
