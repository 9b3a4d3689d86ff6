/* SPDX-License-Identifier: Apache-2.0 */
/* bench_transcribe.c - `make bench`: the embedded engine against
 * pocketsphinx_continuous on the same recording in the same run.
 *
 * The recording is the five librivox files of pocketsphinx-testdata, three
 * times over with half a second of silence after each (about 80 s). Both
 * use the same model. Printed: wall time of each, the speed ratio, and the
 * word error rate of each against the files' reference transcription.
 * Not a test: nothing here asserts a time. */
#include <ctype.h>
#include <sndfile.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "casescribe.h"

#define DATA "/usr/share/pocketsphinx/test/data/librivox/"
#define MODEL "/usr/share/pocketsphinx/model/en-us"
#define ROUNDS 3

extern char **environ;

static const char *const ids[] = {"0870", "0880", "0890", "0920", "0930"};
static const char *const reference[] = {
    "and mister john dashwood had then leisure to consider how much there might be prudently in his power to do "
    "for them",
    "he was not an ill disposed young man",
    "unless to be rather cold hearted and rather selfish is to be ill disposed",
    "had he married a more a amiable woman he might have been made still more respectable than he was",
    "he might even have been made amiable himself"};

static void build_recording(const char *path)
{
    SF_INFO out_info = {.samplerate = 16000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *out = sf_open(path, SFM_WRITE, &out_info);
    short buf[16000] = {0};
    for (int r = 0; r < ROUNDS; r++) {
        for (size_t i = 0; i < 5; i++) {
            char in_path[256];
            snprintf(in_path, sizeof(in_path), DATA "sense_and_sensibility_01_austen_64kb-%s.wav", ids[i]);
            SF_INFO info = {0};
            SNDFILE *in = sf_open(in_path, SFM_READ, &info);
            if (in == NULL || out == NULL) {
                fprintf(stderr, "bench_transcribe: needs pocketsphinx-testdata (%s)\n", in_path);
                exit(1);
            }
            sf_count_t n;
            while ((n = sf_read_short(in, buf, 16000)) > 0)
                sf_write_short(out, buf, n);
            sf_close(in);
            memset(buf, 0, sizeof(buf));
            sf_write_short(out, buf, 8000);
        }
    }
    sf_close(out);
}

/* Lowercase words of `text`, brackets and question marks dropped. */
static int words_of(char words[][32], int most, const char *text)
{
    int n = 0;
    char w[32];
    size_t len = 0;
    for (const char *p = text;; p++) {
        if (*p != '\0' && (isalpha((unsigned char)*p) || *p == '\'')) {
            if (len < sizeof(w) - 1)
                w[len++] = (char)tolower((unsigned char)*p);
            continue;
        }
        if (len > 0 && n < most) {
            w[len] = '\0';
            memcpy(words[n++], w, len + 1);
        }
        len = 0;
        if (*p == '\0')
            return n;
    }
}

/* Word error rate: the word-level edit distance over the reference length. */
static double wer(const char *hyp_text, const char *ref_text)
{
    static char hyp[4096][32], ref[4096][32];
    int h = words_of(hyp, 4096, hyp_text), r = words_of(ref, 4096, ref_text);
    int *prev = malloc(sizeof(int) * (size_t)(h + 1)), *cur = malloc(sizeof(int) * (size_t)(h + 1));
    for (int j = 0; j <= h; j++)
        prev[j] = j;
    for (int i = 1; i <= r; i++) {
        cur[0] = i;
        for (int j = 1; j <= h; j++) {
            int sub = prev[j - 1] + (strcmp(ref[i - 1], hyp[j - 1]) != 0);
            int del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        int *t = prev;
        prev = cur;
        cur = t;
    }
    double e = (double)prev[h] / r;
    free(prev);
    free(cur);
    return e;
}

/* pocketsphinx_continuous on the file: its hypotheses, and the wall time. */
static char *run_continuous(const char *wav, double *seconds)
{
    int fds[2];
    if (pipe(fds) != 0)
        exit(1);
    char *argv[] = {"pocketsphinx_continuous", "-infile", (char *)wav, "-hmm", MODEL "/en-us", "-lm",
                    MODEL "/en-us.lm.bin", "-dict", MODEL "/cmudict-en-us.dict", "-logfn", "/dev/null", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    pid_t pid;
    double t0 = bench_now();
    if (posix_spawnp(&pid, "pocketsphinx_continuous", &fa, NULL, argv, environ) != 0) {
        fprintf(stderr, "bench_transcribe: needs pocketsphinx_continuous (apt-get install pocketsphinx)\n");
        exit(1);
    }
    close(fds[1]);
    size_t cap = 65536, len = 0;
    char *out = malloc(cap);
    ssize_t n;
    while ((n = read(fds[0], out + len, cap - len - 1)) > 0)
        len += (size_t)n;
    out[len] = '\0';
    close(fds[0]);
    waitpid(pid, NULL, 0);
    *seconds = bench_now() - t0;
    posix_spawn_file_actions_destroy(&fa);
    return out;
}

static char *run_ours(const char *wav, const char *home, const char *helper, double *seconds)
{
    casescribe_ctx *ctx = NULL;
    casescribe_ctx_options o;
    casescribe_ctx_options_init(&o, sizeof(o));
    o.home = home;
    o.flags = CASESCRIBE_OPEN_CREATE | CASESCRIBE_OPEN_NO_SYNC;
    const char *form = "<form xmlns=\"urn:casescribe:form:1\" id=\"B-1\" template=\"statutory-home-visit\" team=\"bench\" "
                       "author=\"sw-1\"><subject id=\"P-1\" role=\"parent\"/><consent subject=\"P-1\" "
                       "given-by=\"self\" method=\"verbal\" capacity=\"has-capacity\" at=\"2026-01-01T10:00:00Z\" "
                       "scopes=\"record-audio transcribe\"/><section id=\"s\" origin=\"human\">-</section></form>";
    casescribe_transcribe_options t;
    casescribe_transcribe_options_init(&t, sizeof(t));
    t.form = (const uint8_t *)form;
    t.form_len = strlen(form);
    t.audio_path = wav;
    t.helper_path = helper;
    casescribe_job *job = NULL;
    casescribe_transcript *tr = NULL;
    if (casescribe_ctx_open(&ctx, &o) != 0 || casescribe_keygen(NULL, ctx, 0) != 0 ||
        casescribe_team_set(ctx, "bench", "bench", "transcription", "on") != 0) {
        fprintf(stderr, "bench_transcribe: %s\n", casescribe_last_error());
        exit(1);
    }
    double t0 = bench_now();
    if (casescribe_transcribe(&job, ctx, &t) != 0 || casescribe_job_wait(job, -1) != 0 ||
        casescribe_job_transcript(&tr, job) != 0) {
        fprintf(stderr, "bench_transcribe: %s %s\n", casescribe_last_error(),
                job ? casescribe_job_message(job) : "");
        exit(1);
    }
    *seconds = bench_now() - t0;
    size_t cap = 65536, len = 0;
    char *out = calloc(1, cap);
    for (uint32_t s = 0; s < casescribe_transcript_segment_count(tr); s++)
        len += (size_t)snprintf(out + len, cap - len, "%s\n", casescribe_transcript_segment_text(tr, s));
    casescribe_transcript_free(tr);
    casescribe_job_free(job);
    casescribe_ctx_close(ctx);
    return out;
}

int main(int argc, char **argv)
{
    const char *helper = argc > 1 ? argv[1] : "./casescribe-asr";
    char dir[] = "/tmp/cs-bench-asr-XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    char wav[64], home[64], ref[4096] = "";
    snprintf(wav, sizeof(wav), "%s/visit.wav", dir);
    snprintf(home, sizeof(home), "%s/home", dir);
    build_recording(wav);
    for (int r = 0; r < ROUNDS; r++)
        for (size_t i = 0; i < 5; i++)
            strcat(strcat(ref, reference[i]), " ");
    double t_ps = 0, t_ours = 0;
    char *ps = run_continuous(wav, &t_ps);
    char *ours = run_ours(wav, home, helper, &t_ours);
    printf("transcription of %d x 5 librivox files (%.0f s of audio), same model, same run:\n", ROUNDS,
           ROUNDS * 24.7 + ROUNDS * 5 * 0.5);
    printf("  pocketsphinx_continuous  %6.2f s   WER %.3f\n", t_ps, wer(ps, ref));
    printf("  casescribe (embedded)    %6.2f s   WER %.3f\n", t_ours, wer(ours, ref));
    printf("  speed ratio %.2fx (goal >= 1.6x), WER difference %+.3f (goal <= +0.02)\n", t_ps / t_ours,
           wer(ours, ref) - wer(ps, ref));
    free(ps);
    free(ours);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
