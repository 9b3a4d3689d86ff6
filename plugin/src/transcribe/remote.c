/* SPDX-License-Identifier: Apache-2.0 */
/* remote.c - an OpenAI-compatible speech-to-text service, part by part. */
#include "transcribe/remote.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "context.h"
#include "jobs/jobs.h"
#include "net/https.h"
#include "transcribe/audio.h"
#include "transcribe/transcript.h"

/* ---- the answer ------------------------------------------------------------ */

struct words {
    cs_word *w;
    size_t n, cap;
    int64_t offset_ms, length_ms;
};

static void words_free(struct words *ws)
{
    for (size_t i = 0; i < ws->n; i++)
        free(ws->w[i].text);
    free(ws->w);
}

static const char *text_of(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s != NULL ? s : "";
}

/* A word from the service, checked: text that XML can carry, times inside
 * the part (with a second's slack), a probability in [0, 1] or none (then
 * the word counts as unsure). */
static int32_t add_word(struct words *ws, const char *text, double start, double end, json_t *prob)
{
    char clean[128];
    while (*text == ' ')
        text++;
    snprintf(clean, sizeof(clean), "%s", text);
    size_t len = strlen(clean);
    while (len > 0 && clean[len - 1] == ' ')
        clean[--len] = '\0';
    if (len == 0)
        return CASESCRIBE_OK;
    if (!cs_valid_label(clean, 64) || !isfinite(start) || !isfinite(end) || start < 0 || end < start ||
        end * 1000 > (double)ws->length_ms + 1000)
        return cs_fail(CASESCRIBE_ENETWORK, "the speech service sent a word that makes no sense");
    if (ws->n == ws->cap) {
        size_t cap = ws->cap ? ws->cap * 2 : 64;
        cs_word *grown = realloc(ws->w, cap * sizeof(*grown));
        if (grown == NULL)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
        ws->w = grown;
        ws->cap = cap;
    }
    double p = json_is_number(prob) ? json_number_value(prob) : -1;
    cs_word *w = &ws->w[ws->n];
    w->start_ms = ws->offset_ms + (int64_t)(start * 1000);
    w->end_ms = ws->offset_ms + (int64_t)(end * 1000);
    w->confidence = p >= 0 && p <= 1 ? (int32_t)(p * 1000 + 0.5) : -1;
    w->by = CS_BY_MACHINE;
    if ((w->text = cs_strdup(clean)) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    ws->n++;
    return CASESCRIBE_OK;
}

/* Words with their own times: [{"word", "start", "end", "probability"?}]. */
static int32_t add_timed(struct words *ws, json_t *list)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        int32_t rc = add_word(ws, text_of(item, "word"), json_number_value(json_object_get(item, "start")),
                              json_number_value(json_object_get(item, "end")), json_object_get(item, "probability"));
        if (rc != CASESCRIBE_OK)
            return rc;
    }
    return CASESCRIBE_OK;
}

/* A text without word times: each word gets the span of the whole text. */
static int32_t add_untimed(struct words *ws, const char *text, double start, double end)
{
    char *copy = cs_strdup(text), *save = NULL;
    if (copy == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    int32_t rc = CASESCRIBE_OK;
    for (char *w = strtok_r(copy, " \t\n", &save); rc == CASESCRIBE_OK && w != NULL; w = strtok_r(NULL, " \t\n", &save))
        rc = add_word(ws, w, start, end, NULL);
    free(copy);
    return rc;
}

/* The words of an answer: its word list when it has one (top level, as
 * OpenAI gives with timestamp_granularities, or in each segment, as
 * whisper.cpp does); else each segment's text over the segment's span;
 * else the whole text over the whole part. */
static int32_t answer_words(struct words *ws, json_t *root)
{
    json_t *segments = json_object_get(root, "segments"), *seg;
    size_t i;
    int32_t rc = add_timed(ws, json_object_get(root, "words"));
    int top_level = ws->n > 0;
    json_array_foreach(segments, i, seg) {
        if (rc == CASESCRIBE_OK && !top_level)
            rc = add_timed(ws, json_object_get(seg, "words"));
    }
    if (rc != CASESCRIBE_OK || ws->n > 0)
        return rc;
    json_array_foreach(segments, i, seg) {
        if (rc == CASESCRIBE_OK)
            rc = add_untimed(ws, text_of(seg, "text"), json_number_value(json_object_get(seg, "start")),
                             json_number_value(json_object_get(seg, "end")));
    }
    if (rc == CASESCRIBE_OK && json_array_size(segments) == 0)
        rc = add_untimed(ws, text_of(root, "text"), 0, (double)ws->length_ms / 1000);
    return rc;
}

/* ---- one part ---------------------------------------------------------------- */

static int32_t transcribe_part(casescribe_transcript *t, const cs_remote_config *cfg, const int16_t *samples,
                               const cs_chunk *c, const casescribe_job *job)
{
    uint8_t *wav = NULL;
    size_t wav_len = 0;
    int32_t rc = cs_audio_encode_wav(&wav, &wav_len, samples + c->start, c->end - c->start);
    if (rc != CASESCRIBE_OK)
        return rc;
    char url[2200];
    snprintf(url, sizeof(url), "%s/audio/transcriptions", cfg->endpoint);
    cs_https_part parts[] = {
        {"file", "part.wav", "audio/wav", wav, wav_len},
        {"model", NULL, NULL, cfg->model, strlen(cfg->model)},
        {"response_format", NULL, NULL, "verbose_json", 12},
        {"timestamp_granularities[]", NULL, NULL, "word", 4},
        {"timestamp_granularities[]", NULL, NULL, "segment", 7},
    };
    cs_https_request req = {url, cfg->ca_file, NULL, 10000, cfg->timeout_ms, CS_REMOTE_MAX_ANSWER, job,
                            cfg->api_key, 1};
    cs_https_response resp = {0};
    rc = cs_https_post_form(&req, parts, sizeof(parts) / sizeof(*parts), &resp);
    free(wav);
    if (rc == CASESCRIBE_OK && resp.status != 200)
        rc = cs_fail(CASESCRIBE_ENETWORK, "the speech service at %s answered HTTP %ld", cfg->endpoint, resp.status);
    json_error_t err;
    json_t *root = rc == CASESCRIBE_OK ? json_loadb((const char *)resp.body, resp.len, JSON_REJECT_DUPLICATES, &err)
                                       : NULL;
    if (rc == CASESCRIBE_OK && !json_is_object(root))
        rc = cs_fail(CASESCRIBE_ENETWORK, "the speech service's answer is not the JSON it should be");
    int64_t start = (int64_t)(c->start / 16), end = (int64_t)(c->end / 16);
    struct words ws = {NULL, 0, 0, start, end - start};
    if (rc == CASESCRIBE_OK)
        rc = answer_words(&ws, root);
    if (rc == CASESCRIBE_OK && ws.n > 0)
        rc = cs_transcript_add_segment(t, start, end, ws.w, ws.n); /* takes the words */
    else
        words_free(&ws);
    json_decref(root);
    cs_https_response_free(&resp);
    return rc;
}

int32_t cs_remote_transcribe(casescribe_transcript *t, const cs_remote_config *cfg, const int16_t *samples,
                             const cs_chunk *chunks, size_t n_chunks, const casescribe_job *job)
{
    for (size_t i = 0; i < n_chunks; i++) {
        int32_t rc = transcribe_part(t, cfg, samples, &chunks[i], job);
        if (rc != CASESCRIBE_OK)
            return rc;
        cs_job_progress_add(job, (int64_t)((chunks[i].end - chunks[i].start) / 16)); /* ms of audio */
    }
    return CASESCRIBE_OK;
}
