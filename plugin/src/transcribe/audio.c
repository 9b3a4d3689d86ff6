/* SPDX-License-Identifier: Apache-2.0 */
/* audio.c - decoding and resampling a recording with libsndfile and
 * libsamplerate. */
#include "transcribe/audio.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <samplerate.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "jobs/jobs.h"

#define BLOCK_FRAMES 4096

/* ---- files in memory (libsndfile's virtual I/O) --------------------------- */

/* Reading: `data` of `len` bytes. Writing: into `buf` of `cap` bytes,
 * which the caller sized for what it writes. */
struct memory {
    const uint8_t *data;
    uint8_t *buf;
    sf_count_t len, cap, pos;
};

static sf_count_t mem_length(void *user)
{
    return ((struct memory *)user)->len;
}

static sf_count_t mem_seek(sf_count_t offset, int whence, void *user)
{
    struct memory *m = user;
    sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : m->len;
    sf_count_t limit = m->buf != NULL ? m->cap : m->len;
    if (offset > limit - base || base + offset < 0)
        return -1;
    m->pos = base + offset;
    return m->pos;
}

static sf_count_t mem_read(void *ptr, sf_count_t count, void *user)
{
    struct memory *m = user;
    sf_count_t n = count < m->len - m->pos ? count : m->len - m->pos;
    if (n <= 0)
        return 0;
    memcpy(ptr, (m->buf != NULL ? m->buf : m->data) + m->pos, (size_t)n);
    m->pos += n;
    return n;
}

static sf_count_t mem_write(const void *ptr, sf_count_t count, void *user)
{
    struct memory *m = user;
    if (m->buf == NULL || count > m->cap - m->pos)
        return 0;
    memcpy(m->buf + m->pos, ptr, (size_t)count);
    m->pos += count;
    if (m->pos > m->len)
        m->len = m->pos;
    return count;
}

static sf_count_t mem_tell(void *user)
{
    return ((struct memory *)user)->pos;
}

static SF_VIRTUAL_IO memory_io = {mem_length, mem_seek, mem_read, mem_write, mem_tell};

int32_t cs_audio_encode_wav(uint8_t **out, size_t *len, const int16_t *samples, size_t n)
{
    *out = NULL;
    *len = 0;
    struct memory m = {NULL, NULL, 0, (sf_count_t)(n * sizeof(int16_t) + 1024), 0};
    if ((m.buf = malloc((size_t)m.cap)) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    SF_INFO info = {.samplerate = CS_AUDIO_RATE, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *sf = sf_open_virtual(&memory_io, SFM_WRITE, &info, &m);
    int ok = sf != NULL && sf_write_short(sf, samples, (sf_count_t)n) == (sf_count_t)n;
    if (sf != NULL)
        ok = sf_close(sf) == 0 && ok;
    if (!ok) {
        free(m.buf);
        return cs_fail(CASESCRIBE_EINTERNAL, "cannot encode a part of the recording");
    }
    *out = m.buf;
    *len = (size_t)m.len;
    return CASESCRIBE_OK;
}

/* ---- checks -------------------------------------------------------------- */

static int32_t check_header(const SF_INFO *info, uint32_t max_seconds)
{
    if (info->channels < 1 || info->channels > CS_AUDIO_MAX_CHANNELS)
        return cs_fail(CASESCRIBE_EAUDIO, "the recording has %d channels (1 to %d are accepted)", info->channels,
                       CS_AUDIO_MAX_CHANNELS);
    if (info->samplerate < CS_AUDIO_MIN_INPUT_RATE || info->samplerate > CS_AUDIO_MAX_INPUT_RATE)
        return cs_fail(CASESCRIBE_EAUDIO, "the recording's sample rate %d Hz is not one of speech (%d to %d Hz)",
                       info->samplerate, CS_AUDIO_MIN_INPUT_RATE, CS_AUDIO_MAX_INPUT_RATE);
    if (info->frames == 0)
        return cs_fail(CASESCRIBE_EAUDIO, "the recording is empty");
    /* Some formats (MP3, some OGG) only estimate their length; a huge
     * estimate is refused here, and the real length is capped as we read. */
    if (info->frames > 0 && info->frames / info->samplerate > (sf_count_t)max_seconds)
        return cs_fail(CASESCRIBE_ETOOBIG, "the recording says it lasts %lld s; at most %u s are accepted",
                       (long long)(info->frames / info->samplerate), max_seconds);
    return CASESCRIBE_OK;
}

/* A WAV or AIFF whose data chunk promises more bytes than the file holds
 * was cut off (a recorder that died, a copy that stopped). libsndfile reads
 * what is there and says so only in its log ("data : N (should be M)").
 * 0 and 0xFFFFFFFF are how streaming recorders write "length unknown". */
static int32_t check_truncation(SNDFILE *sf)
{
    char log[8192] = "";
    sf_command(sf, SFC_GET_LOG_INFO, log, sizeof(log));
    for (const char *line = log; line != NULL && *line != '\0'; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        unsigned long long said = 0, has = 0;
        if ((sscanf(line, "data : %llu (should be %llu)", &said, &has) == 2 ||
             sscanf(line, "SSND : %llu (should be %llu)", &said, &has) == 2) &&
            said > has && said != 0xFFFFFFFFull)
            return cs_fail(CASESCRIBE_EAUDIO, "the recording is truncated: its header promises %llu bytes of sound, "
                                              "the file holds %llu",
                           said, has);
    }
    return CASESCRIBE_OK;
}

/* ---- decoding ------------------------------------------------------------ */

struct decode {
    SNDFILE *sf;
    SF_INFO info;
    SRC_STATE *src;
    float *in, *mono, *resampled;
    size_t out_cap;
    float peak;
};

static int32_t append(cs_audio *a, struct decode *d, const float *samples, size_t n)
{
    if (n == 0)
        return CASESCRIBE_OK; /* nothing yet: a->samples may still be NULL */
    if (a->n + n > d->out_cap) {
        size_t cap = d->out_cap ? d->out_cap * 2 : (size_t)CS_AUDIO_RATE * 60;
        while (cap < a->n + n)
            cap *= 2;
        int16_t *grown = realloc(a->samples, cap * sizeof(*grown));
        if (grown == NULL)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory decoding the recording");
        a->samples = grown;
        d->out_cap = cap;
    }
    src_float_to_short_array(samples, a->samples + a->n, (int)n);
    a->n += n;
    return CASESCRIBE_OK;
}

/* Mixes `frames` interleaved frames down to mono and tracks the peak. */
static void mix_down(struct decode *d, sf_count_t frames)
{
    int ch = d->info.channels;
    for (sf_count_t f = 0; f < frames; f++) {
        float sum = 0;
        for (int c = 0; c < ch; c++)
            sum += d->in[f * ch + c];
        float v = sum / (float)ch;
        d->mono[f] = isfinite(v) ? v : 0.0f; /* a float file may hold NaN or inf */
        if (fabsf(d->mono[f]) > d->peak)
            d->peak = fabsf(d->mono[f]);
    }
}

/* Resamples one block (end_of_input on the last) and appends it. */
static int32_t resample(cs_audio *a, struct decode *d, sf_count_t frames, int end_of_input, double ratio)
{
    SRC_DATA sd = {0};
    sd.data_in = d->mono;
    sd.input_frames = (long)frames;
    sd.src_ratio = ratio;
    sd.end_of_input = end_of_input;
    long out_cap = (long)(BLOCK_FRAMES * ratio) + 64;
    do {
        sd.data_out = d->resampled;
        sd.output_frames = out_cap;
        int err = src_process(d->src, &sd);
        if (err != 0)
            return cs_fail(CASESCRIBE_EINTERNAL, "resampling failed: %s", src_strerror(err));
        int32_t rc = append(a, d, d->resampled, (size_t)sd.output_frames_gen);
        if (rc != CASESCRIBE_OK)
            return rc;
        if (sd.input_frames_used == 0 && sd.output_frames_gen == 0)
            break; /* nothing more will come out */
        sd.data_in += sd.input_frames_used;
        sd.input_frames -= sd.input_frames_used;
    } while (sd.input_frames > 0 || (end_of_input && sd.output_frames_gen > 0));
    return CASESCRIBE_OK;
}

static int32_t read_all(cs_audio *a, struct decode *d, const cs_audio_limits *lim, uint32_t max_seconds)
{
    double ratio = (double)CS_AUDIO_RATE / d->info.samplerate;
    if (!src_is_valid_ratio(ratio))
        return cs_fail(CASESCRIBE_EAUDIO, "cannot resample from %d Hz", d->info.samplerate);
    int err = 0;
    d->src = src_new(SRC_SINC_FASTEST, 1, &err);
    d->in = malloc(sizeof(float) * BLOCK_FRAMES * (size_t)d->info.channels);
    d->mono = malloc(sizeof(float) * BLOCK_FRAMES);
    d->resampled = malloc(sizeof(float) * ((size_t)(BLOCK_FRAMES * ratio) + 64));
    if (d->src == NULL || d->in == NULL || d->mono == NULL || d->resampled == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory decoding the recording");
    sf_count_t total = 0, max_frames = (sf_count_t)max_seconds * d->info.samplerate;
    for (;;) {
        if (lim != NULL && lim->job != NULL && cs_job_cancelled(lim->job))
            return cs_fail(CASESCRIBE_ECANCELLED, "cancelled while decoding the recording");
        sf_count_t got = sf_readf_float(d->sf, d->in, BLOCK_FRAMES);
        if (got < 0)
            got = 0;
        if (total + got > max_frames)
            return cs_fail(CASESCRIBE_ETOOBIG, "the recording lasts more than %u s", max_seconds);
        total += got;
        mix_down(d, got);
        int32_t rc = resample(a, d, got, got == 0, ratio);
        if (rc != CASESCRIBE_OK)
            return rc;
        if (got == 0)
            break;
    }
    a->source_seconds = (double)total / d->info.samplerate;
    if (sf_error(d->sf) != SF_ERR_NO_ERROR)
        return cs_fail(CASESCRIBE_EAUDIO, "the recording is corrupt: %s", sf_strerror(d->sf));
    if (total == 0)
        return cs_fail(CASESCRIBE_EAUDIO, "the recording holds no sound at all (empty or cut off before its "
                                          "first sample)");
    if (d->info.frames > 0 && total < d->info.frames && (d->info.format & SF_FORMAT_TYPEMASK) != SF_FORMAT_MPEG)
        return cs_fail(CASESCRIBE_EAUDIO, "the recording is truncated: its header promises %.1f s, the file holds "
                                          "%.1f s",
                       (double)d->info.frames / d->info.samplerate, a->source_seconds);
    if (d->peak < CS_AUDIO_SILENT_PEAK)
        return cs_fail(CASESCRIBE_EAUDIO, "the recording is silent (%.1f s with no sound above -50 dBFS)",
                       a->source_seconds);
    return CASESCRIBE_OK;
}

static void describe_format(cs_audio *a, int format)
{
    SF_FORMAT_INFO major = {.format = format & SF_FORMAT_TYPEMASK}, sub = {.format = format & SF_FORMAT_SUBMASK};
    int have_major = sf_command(NULL, SFC_GET_FORMAT_INFO, &major, sizeof(major)) == 0;
    int have_sub = sf_command(NULL, SFC_GET_FORMAT_INFO, &sub, sizeof(sub)) == 0;
    snprintf(a->format, sizeof(a->format), "%s / %s", have_major ? major.name : "?", have_sub ? sub.name : "?");
}

int32_t cs_audio_decode(cs_audio *out, const uint8_t *buf, size_t len, const char *path, const cs_audio_limits *lim)
{
    memset(out, 0, sizeof(*out));
    uint32_t max_seconds = lim != NULL && lim->max_seconds > 0 && lim->max_seconds < CS_AUDIO_MAX_SECONDS
                               ? lim->max_seconds
                               : CS_AUDIO_MAX_SECONDS;
    struct decode d = {0};
    struct memory mem = {buf, NULL, (sf_count_t)len, 0, 0};
    int fd = -1;
    if (buf != NULL) {
        d.sf = sf_open_virtual(&memory_io, SFM_READ, &d.info, &mem);
    } else if (path != NULL) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return cs_fail(errno == ENOENT ? CASESCRIBE_ENOTFOUND : CASESCRIBE_EIO, "cannot open the recording: %s",
                           strerror(errno));
        d.sf = sf_open_fd(fd, SFM_READ, &d.info, SF_TRUE); /* closes fd */
        if (d.sf == NULL)
            close(fd);
    } else {
        return cs_fail(CASESCRIBE_EINVAL, "no recording given");
    }
    if (d.sf == NULL)
        return cs_fail(CASESCRIBE_EAUDIO, "the recording is not audio this library can read (%s)", sf_strerror(NULL));
    int32_t rc = check_header(&d.info, max_seconds);
    if (rc == CASESCRIBE_OK)
        rc = check_truncation(d.sf);
    if (rc == CASESCRIBE_OK) {
        out->source_rate = d.info.samplerate;
        out->source_channels = d.info.channels;
        describe_format(out, d.info.format);
        rc = read_all(out, &d, lim, max_seconds);
    }
    sf_close(d.sf);
    if (d.src != NULL)
        src_delete(d.src);
    free(d.in);
    free(d.mono);
    free(d.resampled);
    if (rc != CASESCRIBE_OK)
        cs_audio_free(out);
    return rc;
}

void cs_audio_free(cs_audio *a)
{
    free(a->samples);
    a->samples = NULL;
    a->n = 0;
}
