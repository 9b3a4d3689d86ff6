/* SPDX-License-Identifier: Apache-2.0 */
/* engine.c - recordings to transcripts through supervised helpers. */
#include "transcribe/engine.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "internal.h"
#include "jobs/jobs.h"
#include "transcribe/helper.h"
#include "transcribe/protocol.h"
#include "transcribe/transcript.h"
#include "transcribe/vad.h"

#define START_DEADLINE_MS 60000 /* loading the model */
#define CHUNK_BASE_MS 30000     /* a chunk's deadline: this, plus ... */
#define CHUNK_FACTOR 10         /* ... ten times its length (pocketsphinx runs near real time) */
#define ATTEMPTS 2

/* ---- 1. decoding the recording in a helper ------------------------------ */

/* A status the helper may report; anything else means it misbehaved. */
static int32_t helper_status(json_int_t s)
{
    switch (s) {
    case CASESCRIBE_EAUDIO:
    case CASESCRIBE_ETOOBIG:
    case CASESCRIBE_ENOTFOUND:
    case CASESCRIBE_EIO:
    case CASESCRIBE_ENOMEM: return (int32_t)s;
    default: return CASESCRIBE_EINTERNAL;
    }
}

/* The helper's error line as our error. Its message is the library's own
 * (from audio.c) but passed through a label check all the same. */
static int32_t helper_error(json_t *line)
{
    const char *m = json_string_value(json_object_get(line, "message"));
    int32_t status = helper_status(json_integer_value(json_object_get(line, "error")));
    return cs_fail(status, "%s", m != NULL && cs_valid_label(m, 900) ? m : casescribe_strerror(status));
}

static int32_t decode_audio(int16_t **samples, size_t *n, char **source, const cs_engine_config *cfg,
                            const char *path, const casescribe_job *job)
{
    char max[16];
    snprintf(max, sizeof(max), "%u", cfg->max_seconds);
    char *argv[] = {"casescribe-asr", "decode", (char *)path, max, NULL};
    cs_helper h;
    int32_t rc = cs_helper_start(&h, cfg->helper_path, argv);
    if (rc != CASESCRIBE_OK)
        return rc;
    /* Decoding runs far faster than real time; the deadline allows for slow disks. */
    int64_t deadline = cs_monotonic_ms() + START_DEADLINE_MS + (int64_t)cfg->max_seconds * 100;
    json_t *head = NULL;
    rc = cs_helper_read_json(&h, &head, deadline, job);
    json_int_t count = rc == CASESCRIBE_OK ? json_integer_value(json_object_get(head, "samples")) : 0;
    if (rc == CASESCRIBE_OK && json_object_get(head, "error") != NULL)
        rc = helper_error(head);
    else if (rc == CASESCRIBE_OK && (count <= 0 || (uint64_t)count > (uint64_t)cfg->max_seconds * 16000u))
        rc = cs_fail(CASESCRIBE_EINTERNAL, "the audio helper announced %lld samples", (long long)count);
    if (rc == CASESCRIBE_OK) {
        const char *format = json_string_value(json_object_get(head, "format"));
        double seconds = json_number_value(json_object_get(head, "seconds"));
        cs_buf b = {0};
        cs_buf_printf(&b, "%s, %.1f s", format != NULL && cs_valid_label(format, 63) ? format : "audio", seconds);
        *source = cs_buf_take(&b);
        cs_buf_free(&b);
        *samples = malloc((size_t)count * sizeof(int16_t));
        if (*samples == NULL || *source == NULL)
            rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory for the recording");
    }
    if (rc == CASESCRIBE_OK)
        rc = cs_helper_read_raw(&h, *samples, (size_t)count * sizeof(int16_t), deadline, job);
    if (rc == CASESCRIBE_OK)
        *n = (size_t)count;
    json_decref(head);
    cs_helper_close(&h, 1000);
    return rc;
}

/* ---- 3. the decoders ----------------------------------------------------- */

struct decoder {
    cs_helper h;
    int running;     /* started and ready */
    long chunk;      /* the chunk it is working on, or -1 */
    int64_t deadline;
};

struct work {
    const cs_engine_config *cfg;
    const casescribe_job *job;
    const int16_t *samples;
    cs_chunk *chunks;
    size_t n_chunks;
    size_t *order;    /* chunk indices, longest first */
    size_t next;      /* next in `order` to hand out */
    size_t *retry;    /* chunks to try again */
    size_t n_retry;
    int *attempts;
    json_t **results; /* per chunk: the "words" array */
    size_t done;
    char version[64];
};

static int32_t start_decoder(struct decoder *d, struct work *w)
{
    char hmm[4200], lm[4200], dict[4200];
    snprintf(hmm, sizeof(hmm), "%s/en-us", w->cfg->model_dir);
    snprintf(lm, sizeof(lm), "%s/en-us.lm.bin", w->cfg->model_dir);
    snprintf(dict, sizeof(dict), "%s/cmudict-en-us.dict", w->cfg->model_dir);
    char *argv[] = {"casescribe-asr", "serve", hmm, lm, dict, NULL};
    d->chunk = -1;
    int32_t rc = cs_helper_start(&d->h, w->cfg->helper_path, argv);
    json_t *ready = NULL;
    if (rc == CASESCRIBE_OK)
        rc = cs_helper_read_json(&d->h, &ready, cs_monotonic_ms() + START_DEADLINE_MS, w->job);
    if (rc == CASESCRIBE_OK && json_object_get(ready, "ready") == NULL)
        rc = json_object_get(ready, "error") != NULL ? helper_error(ready)
                                                     : cs_fail(CASESCRIBE_EINTERNAL, "the speech helper did not start");
    const char *version = rc == CASESCRIBE_OK ? json_string_value(json_object_get(ready, "version")) : NULL;
    if (version != NULL && cs_valid_label(version, 63))
        snprintf(w->version, sizeof(w->version), "%s", version);
    json_decref(ready);
    if (rc != CASESCRIBE_OK) {
        cs_helper_stop(&d->h);
        return rc;
    }
    d->running = 1;
    return CASESCRIBE_OK;
}

static int by_length_desc(const void *a, const void *b, void *arg)
{
    const cs_chunk *c = arg;
    size_t la = c[*(const size_t *)a].end - c[*(const size_t *)a].start;
    size_t lb = c[*(const size_t *)b].end - c[*(const size_t *)b].start;
    return (la < lb) - (la > lb);
}

/* The next chunk to decode, or -1 when none is waiting. */
static long take_chunk(struct work *w)
{
    if (w->n_retry > 0)
        return (long)w->retry[--w->n_retry];
    return w->next < w->n_chunks ? (long)w->order[w->next++] : -1;
}

static int32_t send_chunk(struct decoder *d, struct work *w, long c)
{
    const cs_chunk *ch = &w->chunks[c];
    size_t n = ch->end - ch->start;
    cs_asr_request req = {CS_ASR_MAGIC, (uint32_t)c, (uint32_t)n};
    d->chunk = c;
    int64_t allowed = w->cfg->chunk_deadline_ms > 0 ? w->cfg->chunk_deadline_ms
                                                    : CHUNK_BASE_MS + (int64_t)(n / 16) * CHUNK_FACTOR;
    d->deadline = cs_monotonic_ms() + allowed;
    w->attempts[c]++;
    int32_t rc = cs_helper_send(&d->h, &req, sizeof(req), d->deadline, w->job);
    if (rc == CASESCRIBE_OK)
        rc = cs_helper_send(&d->h, w->samples + ch->start, n * sizeof(int16_t), d->deadline, w->job);
    return rc;
}

/* A decoder failed on its chunk: replace it and put the chunk back, or
 * give up when the chunk has failed twice. */
static int32_t recover(struct decoder *d, struct work *w)
{
    long c = d->chunk;
    cs_helper_stop(&d->h);
    d->running = 0;
    d->chunk = -1;
    if (c >= 0 && w->attempts[c] >= ATTEMPTS)
        return cs_fail(CASESCRIBE_EINTERNAL, "the speech engine failed twice on the part of the recording from "
                                             "%.1f s: the transcript is not made",
                       (double)w->chunks[c].start / 16000.0);
    if (c >= 0)
        w->retry[w->n_retry++] = (size_t)c;
    return start_decoder(d, w);
}

/* Checks a reply and keeps its words. */
static int32_t take_reply(struct decoder *d, struct work *w, json_t *reply)
{
    json_t *words = json_object_get(reply, "words");
    if (json_integer_value(json_object_get(reply, "id")) != d->chunk || !json_is_array(words))
        return cs_fail(CASESCRIBE_EINTERNAL, "the speech helper answered out of turn");
    w->results[d->chunk] = json_incref(words);
    w->done++;
    cs_job_progress_add(w->job, (int64_t)((w->chunks[d->chunk].end - w->chunks[d->chunk].start) / 16));
    d->chunk = -1;
    return CASESCRIBE_OK;
}

/* Hands chunks to idle decoders and collects replies until all are done. */
static int32_t run_decoders(struct decoder *ds, size_t n_ds, struct work *w)
{
    struct pollfd fds[CS_MAX_PARALLEL];
    while (w->done < w->n_chunks) {
        if (cs_job_cancelled(w->job))
            return cs_fail(CASESCRIBE_ECANCELLED, "cancelled");
        for (size_t i = 0; i < n_ds; i++) {
            long c;
            if (ds[i].chunk >= 0 || (c = take_chunk(w)) < 0)
                continue;
            int32_t rc = send_chunk(&ds[i], w, c);
            if (rc == CASESCRIBE_ECANCELLED || (rc != CASESCRIBE_OK && (rc = recover(&ds[i], w)) != CASESCRIBE_OK))
                return rc;
        }
        int64_t now = cs_monotonic_ms();
        for (size_t i = 0; i < n_ds; i++) {
            fds[i] = (struct pollfd){ds[i].chunk >= 0 ? ds[i].h.fd : -1, POLLIN, 0};
            if (ds[i].chunk >= 0 && now > ds[i].deadline) {
                int32_t rc = recover(&ds[i], w); /* the watchdog */
                if (rc != CASESCRIBE_OK)
                    return rc;
            }
        }
        if (poll(fds, n_ds, 100) < 0 && errno != EINTR)
            return cs_fail(CASESCRIBE_EINTERNAL, "cannot wait for the speech helpers: %s", strerror(errno));
        for (size_t i = 0; i < n_ds; i++) {
            if (ds[i].chunk < 0 || fds[i].revents == 0)
                continue;
            json_t *reply = NULL;
            int32_t rc = cs_helper_read_json(&ds[i].h, &reply, ds[i].deadline, w->job);
            if (rc == CASESCRIBE_OK)
                rc = take_reply(&ds[i], w, reply);
            json_decref(reply);
            if (rc == CASESCRIBE_ECANCELLED || (rc != CASESCRIBE_OK && (rc = recover(&ds[i], w)) != CASESCRIBE_OK))
                return rc;
        }
    }
    return CASESCRIBE_OK;
}

/* ---- 4. the transcript --------------------------------------------------- */

/* One chunk's words, checked (the helper is not trusted to send sense). */
static int32_t chunk_words(cs_word **out, size_t *n, json_t *words, int64_t offset_ms, int64_t length_ms)
{
    *n = 0;
    *out = calloc(json_array_size(words) + 1, sizeof(cs_word));
    if (*out == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    size_t i;
    json_t *item;
    json_array_foreach(words, i, item) {
        const char *text = json_string_value(json_array_get(item, 0));
        json_int_t start = json_integer_value(json_array_get(item, 1)), end = json_integer_value(json_array_get(item, 2));
        json_int_t conf = json_integer_value(json_array_get(item, 3));
        if (text == NULL || !cs_valid_label(text, 64) || start < 0 || end < start || end > length_ms + 1000 ||
            conf < -1 || conf > 1000)
            return cs_fail(CASESCRIBE_EINTERNAL, "the speech helper sent a word that makes no sense");
        cs_word *w = &(*out)[(*n)++];
        w->start_ms = offset_ms + start;
        w->end_ms = offset_ms + end;
        w->confidence = (int32_t)conf;
        if ((w->text = cs_strdup(text)) == NULL)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    }
    return CASESCRIBE_OK;
}

static int32_t build(casescribe_transcript *t, struct work *w)
{
    for (size_t c = 0; c < w->n_chunks; c++) {
        int64_t start = (int64_t)(w->chunks[c].start / 16), end = (int64_t)(w->chunks[c].end / 16);
        cs_word *words = NULL;
        size_t n = 0;
        int32_t rc = chunk_words(&words, &n, w->results[c], start, end - start);
        if (rc != CASESCRIBE_OK) {
            for (size_t i = 0; i < n; i++)
                free(words[i].text);
            free(words);
            return rc;
        }
        if (n == 0) {
            free(words);
            continue; /* a noise, not speech */
        }
        rc = cs_transcript_add_segment(t, start, end, words, n);
        if (rc != CASESCRIBE_OK)
            return rc;
    }
    return CASESCRIBE_OK;
}

static int32_t describe(casescribe_transcript *t, const struct work *w, char *source)
{
    const cs_remote_config *remote = w->cfg->remote;
    char settings[2400];
    if (remote != NULL)
        snprintf(settings, sizeof(settings), "16 kHz mono; split at silences into %zu parts, each sent to %s; "
                 "unsure below %u/1000", w->n_chunks, remote->endpoint, w->cfg->unsure_permille);
    else
        snprintf(settings, sizeof(settings), "16 kHz mono; split at silences into %zu parts; %u decoders; unsure "
                 "below %u/1000", w->n_chunks, w->cfg->parallel, w->cfg->unsure_permille);
    t->source = source;
    t->engine = cs_strdup(remote != NULL ? CS_REMOTE_ENGINE_NAME : CS_ENGINE_NAME);
    t->model = cs_strdup(remote != NULL ? remote->model : "en-us (CMU Sphinx US English, with cmudict-en-us)");
    t->version = cs_strdup(remote != NULL ? "as served" : w->version[0] ? w->version : "unknown");
    t->settings = cs_strdup(settings);
    t->unsure_permille = w->cfg->unsure_permille;
    return t->engine && t->model && t->version && t->settings ? CASESCRIBE_OK
                                                              : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
}

/* ---- the whole ------------------------------------------------------------ */

static void work_free(struct work *w)
{
    for (size_t i = 0; w->results != NULL && i < w->n_chunks; i++)
        json_decref(w->results[i]);
    free(w->results);
    free(w->order);
    free(w->retry);
    free(w->attempts);
    free(w->chunks);
}

static int32_t recognise(casescribe_transcript *t, struct work *w)
{
    size_t n = w->n_chunks;
    w->order = malloc(n * sizeof(size_t));
    w->retry = malloc(n * sizeof(size_t));
    w->attempts = calloc(n, sizeof(int));
    w->results = calloc(n, sizeof(json_t *));
    if (w->order == NULL || w->retry == NULL || w->attempts == NULL || w->results == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        w->order[i] = i;
    qsort_r(w->order, n, sizeof(size_t), by_length_desc, w->chunks);
    struct decoder ds[CS_MAX_PARALLEL];
    size_t n_ds = w->cfg->parallel < n ? w->cfg->parallel : n;
    memset(ds, 0, sizeof(ds));
    int32_t rc = CASESCRIBE_OK;
    for (size_t i = 0; i < n_ds && rc == CASESCRIBE_OK; i++)
        rc = start_decoder(&ds[i], w);
    if (rc == CASESCRIBE_OK)
        rc = run_decoders(ds, n_ds, w);
    for (size_t i = 0; i < n_ds; i++)
        if (ds[i].running)
            cs_helper_close(&ds[i].h, rc == CASESCRIBE_OK ? 1000 : 0);
    if (rc == CASESCRIBE_OK)
        rc = build(t, w);
    return rc;
}

/* Progress in milliseconds of the recording: the silences between the
 * parts count as done once it is split; each part counts when recognised. */
static void start_progress(const casescribe_job *job, const struct work *w, size_t n_samples)
{
    int64_t speech = 0;
    for (size_t i = 0; i < w->n_chunks; i++)
        speech += (int64_t)((w->chunks[i].end - w->chunks[i].start) / 16);
    int64_t total = (int64_t)(n_samples / 16);
    cs_job_progress_set(job, total > speech ? total - speech : 0, total > speech ? total : speech);
}

int32_t cs_engine_transcribe(casescribe_transcript **out, const cs_engine_config *cfg, const char *audio_path,
                             const casescribe_job *job)
{
    *out = NULL;
    int16_t *samples = NULL;
    size_t n = 0;
    char *source = NULL;
    struct work w = {cfg, job, NULL, NULL, 0, NULL, 0, NULL, 0, NULL, NULL, 0, ""};
    casescribe_transcript *t = cs_transcript_new();
    int32_t rc = t != NULL ? decode_audio(&samples, &n, &source, cfg, audio_path, job)
                           : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc == CASESCRIBE_OK)
        rc = cs_vad_split(&w.chunks, &w.n_chunks, samples, n);
    if (rc == CASESCRIBE_OK && w.n_chunks == 0)
        rc = cs_fail(CASESCRIBE_EAUDIO, "no speech was found in the recording");
    if (rc == CASESCRIBE_OK)
        start_progress(job, &w, n);
    w.samples = samples;
    if (rc == CASESCRIBE_OK)
        rc = cfg->remote != NULL ? cs_remote_transcribe(t, cfg->remote, samples, w.chunks, w.n_chunks, job)
                                 : recognise(t, &w);
    if (rc == CASESCRIBE_OK && t->n_segments == 0)
        rc = cs_fail(CASESCRIBE_EAUDIO, "the speech engine recognised no words in the recording");
    if (rc == CASESCRIBE_OK) {
        rc = describe(t, &w, source);
        source = NULL;
    }
    work_free(&w);
    free(samples);
    free(source);
    if (rc != CASESCRIBE_OK) {
        cs_transcript_unref(t);
        return rc;
    }
    *out = t;
    return CASESCRIBE_OK;
}
