/* SPDX-License-Identifier: Apache-2.0 */
/* bench_import.c - reading another program's transcript: a WebVTT export of
 * a long meeting (20000 cues with voice tags, about 2 MB, made here) read by
 * casescribe_transcript_open, against reading the same transcript back from
 * the library's own XML rendering, in the same run. Prints the best of 5 of
 * each and the ratio; no goal is asserted (timings are noisy on a shared
 * machine). `make bench`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "casescribe.h"

#define CUES 20000
#define RUNS 5

static void clock_text(char *out, size_t n, long ms)
{
    snprintf(out, n, "%02ld:%02ld:%02ld.%03ld", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
}

/* A Teams-shaped export: made-up words, two speakers taking turns. */
static char *make_vtt(size_t *len)
{
    static const char *const words[] = {"the", "mum", "said", "she", "was", "fine", "and", "kids", "are", "at",
                                        "school", "today", "we", "talked", "about", "money", "housing", "bunk",
                                        "beds", "visit"};
    size_t cap = (size_t)CUES * 160 + 16, at = 0;
    char *v = malloc(cap);
    if (v == NULL)
        return NULL;
    at += (size_t)snprintf(v, cap, "WEBVTT\n\n");
    unsigned seed = 1;
    long t = 0;
    for (int i = 0; i < CUES; i++) {
        char a[32], b[32];
        clock_text(a, sizeof(a), t);
        t += 1500 + (long)(rand_r(&seed) % 2500);
        clock_text(b, sizeof(b), t);
        at += (size_t)snprintf(v + at, cap - at, "%d\n%s --> %s\n<v %s>", i + 1, a, b,
                               i % 2 ? "Priya Shah" : "Kerry Thompson");
        for (int w = 0, n = 5 + rand_r(&seed) % 9; w < n; w++)
            at += (size_t)snprintf(v + at, cap - at, "%s%s", w ? " " : "", words[rand_r(&seed) % 20]);
        at += (size_t)snprintf(v + at, cap - at, "</v>\n\n");
    }
    *len = at;
    return v;
}

/* Best of RUNS opens of `bytes`, in seconds; the last transcript into *keep. */
static double best_open(const char *bytes, size_t len, casescribe_transcript **keep)
{
    double best = 1e9;
    for (int r = 0; r < RUNS; r++) {
        casescribe_transcript *t = NULL;
        double start = bench_now();
        if (casescribe_transcript_open(&t, (const uint8_t *)bytes, len) != CASESCRIBE_OK) {
            fprintf(stderr, "bench_import: %s\n", casescribe_last_error());
            exit(1);
        }
        double took = bench_now() - start;
        best = took < best ? took : best;
        if (keep != NULL && r == RUNS - 1)
            *keep = t;
        else
            casescribe_transcript_free(t);
    }
    return best;
}

int main(void)
{
    size_t len = 0;
    char *vtt = make_vtt(&len), *xml = NULL;
    casescribe_transcript *t = NULL;
    if (vtt == NULL)
        return 1;
    double v = best_open(vtt, len, &t);
    if (casescribe_transcript_render(&xml, t, CASESCRIBE_TRANSCRIPT_XML) != CASESCRIBE_OK)
        return 1;
    double x = best_open(xml, strlen(xml), NULL);
    printf("bench_import: WebVTT, %d cues, %zu bytes: %.1f ms (%.1f MB/s); its XML rendering, %zu bytes: %.1f ms; "
           "XML/WebVTT time %.2f (best of %d each, same run)\n",
           CUES, len, v * 1e3, (double)len / v / 1e6, strlen(xml), x * 1e3, x / v, RUNS);
    casescribe_free(xml);
    casescribe_transcript_free(t);
    free(vtt);
    return 0;
}
