/* SPDX-License-Identifier: Apache-2.0 */
/* test_audio.c - recordings in: every format libsndfile reads becomes 16 kHz
 * mono, and broken, empty, silent or absurd recordings get a clear error. */
#include <criterion/criterion.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "transcribe/audio.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/cs-audio-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(audio, .init = setup, .fini = teardown, .timeout = 60);

enum sound { TONE, SILENCE };

/* Writes `seconds` of a warbling tone (or silence) and returns the path. */
static const char *write_audio(const char *name, int format, int rate, int channels, double seconds, enum sound s)
{
    static char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    SF_INFO info = {.samplerate = rate, .channels = channels, .format = format};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    cr_assert_not_null(f, "cannot write %s: %s", name, sf_strerror(NULL));
    sf_count_t frames = (sf_count_t)(seconds * rate);
    float *buf = malloc(sizeof(float) * 1024 * (size_t)channels);
    for (sf_count_t done = 0; done < frames;) {
        sf_count_t n = frames - done < 1024 ? frames - done : 1024;
        for (sf_count_t i = 0; i < n; i++) {
            double t = (double)(done + i) / rate;
            float v = s == TONE ? (float)(0.4 * sin(2 * M_PI * (300 + 100 * sin(2 * M_PI * 3 * t)) * t)) : 0.0f;
            for (int c = 0; c < channels; c++)
                buf[i * channels + c] = v;
        }
        cr_assert_eq(sf_writef_float(f, buf, n), n);
        done += n;
    }
    free(buf);
    sf_close(f);
    return path;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(*len ? *len : 1);
    cr_assert_eq(fread(buf, 1, *len, f), *len);
    fclose(f);
    return buf;
}

static void expect_decodes(const char *path, double seconds, const char *what)
{
    cs_audio a;
    int32_t rc = cs_audio_decode(&a, NULL, 0, path, NULL);
    cr_assert_eq(rc, CASESCRIBE_OK, "%s: %s", what, casescribe_last_error());
    double got = (double)a.n / CS_AUDIO_RATE;
    cr_expect(fabs(got - seconds) < 0.05 * seconds + 0.1, "%s: %.2f s of 16 kHz samples for %.2f s", what, got,
              seconds);
    int16_t peak = 0;
    for (size_t i = 0; i < a.n; i++)
        peak = abs(a.samples[i]) > peak ? (int16_t)abs(a.samples[i]) : peak;
    cr_expect(peak > 8000 && peak < 26000, /* lossy codecs overshoot */ "%s: the tone survives (peak %d)", what, peak);
    cs_audio_free(&a);

    /* The same bytes from memory decode the same way. */
    size_t len = 0;
    uint8_t *buf = slurp(path, &len);
    rc = cs_audio_decode(&a, buf, len, NULL, NULL);
    cr_expect_eq(rc, CASESCRIBE_OK, "%s from memory: %s", what, casescribe_last_error());
    cs_audio_free(&a);
    free(buf);
}

Test(audio, every_format_becomes_16_khz_mono)
{
    expect_decodes(write_audio("a.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 2, 2.0, TONE), 2.0, "WAV 44.1k stereo");
    expect_decodes(write_audio("a.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 48000, 1, 2.0, TONE), 2.0, "FLAC 48k");
    expect_decodes(write_audio("a.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 22050, 1, 2.0, TONE), 2.0, "OGG/Vorbis");
    expect_decodes(write_audio("a.opus", SF_FORMAT_OGG | SF_FORMAT_OPUS, 48000, 1, 2.0, TONE), 2.0, "OGG/Opus");
    expect_decodes(write_audio("a.mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 44100, 1, 2.0, TONE), 2.0, "MP3");
    expect_decodes(write_audio("b.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 8000, 6, 1.0, TONE), 1.0, "WAV 8k 6ch float");
}

Test(audio, a_librivox_recording_decodes)
{
    const char *path = "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav";
    cs_audio a;
    cr_assert_eq(cs_audio_decode(&a, NULL, 0, path, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(a.source_rate, 16000);
    cr_expect(a.n > 16000, "more than a second of speech");
    cr_expect(strstr(a.format, "WAV") != NULL, "%s", a.format);
    cs_audio_free(&a);
}

static void expect_refused(int32_t want, const uint8_t *buf, size_t len, const char *needle, const char *what)
{
    cs_audio a;
    int32_t rc = cs_audio_decode(&a, buf, len, NULL, NULL);
    cr_expect_eq(rc, want, "%s: got %d (%s)", what, rc, casescribe_last_error());
    cr_expect(strstr(casescribe_last_error(), needle) != NULL, "%s: message '%s' lacks '%s'", what,
              casescribe_last_error(), needle);
    cr_expect_null(a.samples, "%s: nothing kept", what);
}

Test(audio, truncated_empty_silent_and_garbage_recordings_are_refused)
{
    size_t len = 0;
    uint8_t *wav = slurp(write_audio("t.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, 3.0, TONE), &len);
    expect_refused(CASESCRIBE_EAUDIO, wav, len / 2, "truncated", "half a WAV");
    expect_refused(CASESCRIBE_EAUDIO, wav, 44, "empty", "a WAV header with no samples");
    expect_refused(CASESCRIBE_EAUDIO, wav, 20, "not audio", "a third of a WAV header");
    expect_refused(CASESCRIBE_EAUDIO, (const uint8_t *)"", 0, "not audio", "no bytes");
    uint8_t noise[4096];
    srand(7);
    for (size_t i = 0; i < sizeof(noise); i++)
        noise[i] = (uint8_t)rand();
    expect_refused(CASESCRIBE_EAUDIO, noise, sizeof(noise), "not audio", "random bytes");
    free(wav);

    uint8_t *quiet = slurp(write_audio("s.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, 3.0, SILENCE), &len);
    expect_refused(CASESCRIBE_EAUDIO, quiet, len, "silent", "silence");
    free(quiet);
}

/* The canonical 44-byte WAV header, for headers no encoder would write. */
static void wav_header(uint8_t h[44], uint16_t channels, uint32_t rate, uint32_t data_bytes)
{
    uint16_t bits = 16, align = (uint16_t)(channels * 2);
    uint32_t byte_rate = rate * align, riff = 36 + data_bytes, fmt_len = 16;
    uint16_t pcm = 1;
    memcpy(h, "RIFF", 4), memcpy(h + 4, &riff, 4), memcpy(h + 8, "WAVEfmt ", 8), memcpy(h + 16, &fmt_len, 4);
    memcpy(h + 20, &pcm, 2), memcpy(h + 22, &channels, 2), memcpy(h + 24, &rate, 4), memcpy(h + 28, &byte_rate, 4);
    memcpy(h + 32, &align, 2), memcpy(h + 34, &bits, 2), memcpy(h + 36, "data", 4), memcpy(h + 40, &data_bytes, 4);
}

Test(audio, absurd_headers_are_refused_before_reading)
{
    uint8_t file[44 + 3200];
    memset(file + 44, 0x40, 3200);
    wav_header(file, 0, 16000, 3200);
    expect_refused(CASESCRIBE_EAUDIO, file, sizeof(file), "", "zero channels");
    wav_header(file, 1000, 16000, 3200);
    expect_refused(CASESCRIBE_EAUDIO, file, sizeof(file), "", "a thousand channels");
    wav_header(file, 1, 1, 3200);
    expect_refused(CASESCRIBE_EAUDIO, file, sizeof(file), "", "1 Hz");
    /* A header that promises days of audio in 3 KB: a truncated file. */
    wav_header(file, 1, 16000, 0xFFFFFF00u);
    expect_refused(CASESCRIBE_EAUDIO, file, sizeof(file), "truncated", "days promised in 3 KB");
    /* "Length unknown", as a streaming recorder writes it, is accepted. */
    wav_header(file, 1, 16000, 0xFFFFFFFFu);
    cs_audio a;
    cr_expect_eq(cs_audio_decode(&a, file, sizeof(file), NULL, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
    cs_audio_free(&a);
}

Test(audio, the_duration_limit_holds_whatever_the_header_says)
{
    const char *path = write_audio("long.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, 5.0, TONE);
    cs_audio_limits lim = {.max_seconds = 2};
    cs_audio a;
    cr_expect_eq(cs_audio_decode(&a, NULL, 0, path, &lim), CASESCRIBE_ETOOBIG, "%s", casescribe_last_error());
    cr_expect_null(a.samples);
    /* OGG only knows its length once read: the cap applies while reading. */
    path = write_audio("long.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 16000, 1, 5.0, TONE);
    cr_expect_eq(cs_audio_decode(&a, NULL, 0, path, &lim), CASESCRIBE_ETOOBIG, "%s", casescribe_last_error());
}

Test(audio, twenty_minutes_of_silence_are_refused_within_seconds)
{
    const char *path = write_audio("quiet.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, 20 * 60, SILENCE);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cs_audio a;
    cr_expect_eq(cs_audio_decode(&a, NULL, 0, path, NULL), CASESCRIBE_EAUDIO);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    cr_expect(strstr(casescribe_last_error(), "silent") != NULL, "%s", casescribe_last_error());
    double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* Not a speed test (those are benchmarks): a bound an order of magnitude
     * above what it takes, so that a hang or a quadratic loop shows. */
    cr_expect(s < 30.0, "took %.1f s", s);
}

Test(audio, a_missing_file_is_not_found)
{
    cs_audio a;
    char path[128];
    snprintf(path, sizeof(path), "%s/none.wav", dir);
    cr_expect_eq(cs_audio_decode(&a, NULL, 0, path, NULL), CASESCRIBE_ENOTFOUND);
}
