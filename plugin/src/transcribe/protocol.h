/* SPDX-License-Identifier: Apache-2.0 */
/* protocol.h - what the library and its helper process (casescribe-asr)
 * say to each other over a socket pair. Shared by both sides.
 *
 * The helper runs the code that must never run in a host's process:
 * pocketsphinx (which can call exit() on a bad model or input) and the
 * codec libraries under libsndfile (which leak and crash on crafted files).
 *
 *   casescribe-asr decode PATH MAX_SECONDS
 *     writes one JSON line {"samples":N,"seconds":S,"rate":R,"channels":C,
 *     "format":"..."} then N 16 kHz mono int16 samples (host byte order),
 *     or one line {"error":STATUS,"message":"..."}; then exits.
 *
 *   casescribe-asr serve HMM_DIR LM_FILE DICT_FILE
 *     loads the model and writes {"ready":1,"engine":"pocketsphinx",
 *     "version":"..."}, then for each request (a cs_asr_request header and
 *     `samples` int16 samples) writes one JSON line
 *     {"id":ID,"words":[["word",start_ms,end_ms,confidence_permille],...]}.
 *     It exits at end of input.
 */
#ifndef CS_TRANSCRIBE_PROTOCOL_H
#define CS_TRANSCRIBE_PROTOCOL_H

#include <stdint.h>

#define CS_ASR_MAGIC 0x31415343u /* "CSA1" */
#define CS_ASR_MAX_CHUNK_SAMPLES (16000u * 60u) /* a chunk is at most a minute */
#define CS_ASR_MAX_LINE (1024u * 1024u)          /* a reply line, with room for a minute of words */

typedef struct cs_asr_request {
    uint32_t magic;
    uint32_t id;
    uint32_t samples;
} cs_asr_request;

#endif
