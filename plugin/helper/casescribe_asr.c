/* SPDX-License-Identifier: Apache-2.0 */
/* casescribe_asr.c - the helper process that decodes recordings and runs
 * pocketsphinx for the library (see plugin/src/transcribe/protocol.h).
 *
 * It is started by the library with posix_spawn, one per parallel decoder,
 * and talks on its standard input and output. Anything that goes wrong
 * here (an exit() inside pocketsphinx, a crash in a codec, a leak) ends or
 * harms this process only; the library sees a closed socket or a timeout,
 * and the job fails or the helper is restarted. It writes nothing else to
 * stdout, and pocketsphinx's log goes nowhere (it could hold words). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <jansson.h>
#include <pocketsphinx.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "transcribe/audio.h"
#include "transcribe/protocol.h"

static int write_all(const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int read_all(void *data, size_t len)
{
    char *p = data;
    while (len > 0) {
        ssize_t n = read(STDIN_FILENO, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Writes a JSON object as one line, and frees it. */
static int write_line(json_t *obj)
{
    char *text = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    if (text == NULL)
        return -1;
    int rc = write_all(text, strlen(text)) == 0 && write_all("\n", 1) == 0 ? 0 : -1;
    free(text);
    return rc;
}

/* ---- decode ---------------------------------------------------------------- */

static int decode(const char *path, const char *max_seconds)
{
    cs_audio a;
    cs_audio_limits lim = {(uint32_t)strtoul(max_seconds, NULL, 10), NULL};
    int32_t rc = cs_audio_decode(&a, NULL, 0, path, &lim);
    if (rc != CASESCRIBE_OK)
        return write_line(json_pack("{s:i, s:s}", "error", (int)rc, "message", casescribe_last_error())) == 0 ? 1 : 2;
    json_t *head = json_pack("{s:I, s:f, s:i, s:i, s:s}", "samples", (json_int_t)a.n, "seconds", a.source_seconds,
                             "rate", a.source_rate, "channels", a.source_channels, "format", a.format);
    int ok = write_line(head) == 0 && write_all(a.samples, a.n * sizeof(*a.samples)) == 0;
    cs_audio_free(&a);
    return ok ? 0 : 2;
}

/* ---- serve ----------------------------------------------------------------- */

/* "word(2)" is pocketsphinx's second pronunciation of "word". */
static void plain_word(char *out, size_t n, const char *word)
{
    snprintf(out, n, "%s", word);
    char *paren = strchr(out, '(');
    if (paren != NULL && paren != out)
        *paren = '\0';
}

static int filler(const char *word)
{
    return word[0] == '<' || word[0] == '[' || strcmp(word, "<sil>") == 0;
}

static json_t *words_of(ps_decoder_t *ps)
{
    json_t *words = json_array();
    logmath_t *lmath = ps_get_logmath(ps);
    for (ps_seg_t *seg = ps_seg_iter(ps); words != NULL && seg != NULL; seg = ps_seg_next(seg)) {
        const char *w = ps_seg_word(seg);
        if (w == NULL || filler(w))
            continue;
        int sf = 0, ef = 0;
        int32 ascr, lscr, lback;
        ps_seg_frames(seg, &sf, &ef);
        double p = logmath_exp(lmath, ps_seg_prob(seg, &ascr, &lscr, &lback));
        char word[256];
        plain_word(word, sizeof(word), w);
        /* A posterior; log-domain rounding can put it a hair above 1. */
        int permille = p >= 0 ? (int)((p > 1 ? 1 : p) * 1000 + 0.5) : -1;
        json_array_append_new(words, json_pack("[s, i, i, i]", word, sf * 10, (ef + 1) * 10, permille));
    }
    return words;
}

static int serve(const char *hmm, const char *lm, const char *dict)
{
    cmd_ln_t *config = cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", hmm, "-lm", lm, "-dict", dict, "-samprate",
                                   "16000", "-logfn", "/dev/null", "-bestpath", "yes", NULL);
    ps_decoder_t *ps = config != NULL ? ps_init(config) : NULL;
    if (ps == NULL)
        return write_line(json_pack("{s:i, s:s}", "error", (int)CASESCRIBE_EINTERNAL, "message",
                                    "the speech model could not be loaded")) == 0
                   ? 1
                   : 2;
    if (write_line(json_pack("{s:i, s:s, s:s}", "ready", 1, "engine", "pocketsphinx", "version", "0.8+5prealpha")) !=
        0)
        return 2;
    int16_t *buf = malloc(CS_ASR_MAX_CHUNK_SAMPLES * sizeof(int16_t));
    if (buf == NULL)
        return 2;
    cs_asr_request req;
    while (read_all(&req, sizeof(req)) == 0) {
        if (req.magic != CS_ASR_MAGIC || req.samples > CS_ASR_MAX_CHUNK_SAMPLES ||
            read_all(buf, req.samples * sizeof(int16_t)) != 0)
            break;
        json_t *words = NULL;
        if (ps_start_utt(ps) == 0 && ps_process_raw(ps, buf, req.samples, FALSE, TRUE) >= 0 && ps_end_utt(ps) == 0)
            words = words_of(ps);
        if (words == NULL || write_line(json_pack("{s:i, s:o}", "id", (int)req.id, "words", words)) != 0)
            break;
    }
    free(buf);
    ps_free(ps);
    cmd_ln_free_r(config);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "decode") == 0)
        return decode(argv[2], argv[3]);
    if (argc == 5 && strcmp(argv[1], "serve") == 0)
        return serve(argv[2], argv[3], argv[4]);
    fprintf(stderr, "casescribe-asr is started by the CaseScribe library; it is not a command for people.\n");
    return 2;
}
