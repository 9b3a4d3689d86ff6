/* SPDX-License-Identifier: Apache-2.0 */
/* units.c - sentences of a transcript, and search terms. */
#include "fill/units.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int ends_sentence(const char *word)
{
    size_t n = strlen(word);
    while (n > 0 && (word[n - 1] == '"' || word[n - 1] == '\'' || word[n - 1] == ')'))
        n--;
    return n > 0 && (word[n - 1] == '.' || word[n - 1] == '?' || word[n - 1] == '!');
}

static int ends_question(const char *word)
{
    size_t n = strlen(word);
    while (n > 0 && (word[n - 1] == '"' || word[n - 1] == '\'' || word[n - 1] == ')'))
        n--;
    return n > 0 && word[n - 1] == '?';
}

/* "Kerry:" or "Worker:": a capitalised word ending in a colon, as diarised
 * transcripts label turns. */
static int is_speaker_label(const char *word)
{
    size_t n = strlen(word);
    if (n < 2 || n > 32 || word[n - 1] != ':' || word[0] < 'A' || word[0] > 'Z')
        return 0;
    for (size_t i = 1; i + 1 < n; i++)
        if (!((word[i] >= 'a' && word[i] <= 'z') || (word[i] >= 'A' && word[i] <= 'Z') || word[i] == '-' ||
              word[i] == '\''))
            return 0;
    return 1;
}

int32_t cs_units_of(cs_unit **out, size_t *n, const casescribe_transcript *t)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    for (uint32_t s = 0; s < t->n_segments; s++) {
        const cs_segment *seg = &t->segments[s];
        int speaker = seg->n_words > 1 && is_speaker_label(seg->words[0].text);
        uint32_t start = speaker ? 1 : 0;
        for (uint32_t w = start; w < seg->n_words; w++) {
            if (!ends_sentence(seg->words[w].text) && w + 1 < seg->n_words)
                continue;
            if (*n == cap) {
                cap = cap ? cap * 2 : 256;
                cs_unit *grown = realloc(*out, cap * sizeof(*grown));
                if (grown == NULL) {
                    free(*out);
                    *out = NULL;
                    *n = 0;
                    return cs_fail(CASESCRIBE_ENOMEM, "out of memory reading the transcript");
                }
                *out = grown;
            }
            (*out)[(*n)++] = (cs_unit){s, start, w + 1, speaker, ends_question(seg->words[w].text)};
            start = w + 1;
        }
    }
    return CASESCRIBE_OK;
}

/* Words too common to tell sections apart. */
static const char *const stop_words[] = {
    "a", "about", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by", "can",
    "could", "did", "do", "doe", "does", "for", "from", "had", "has", "have", "he", "her", "hi", "him", "his",
    "how", "i", "if", "im", "in", "into", "is", "it", "its", "just", "me", "my", "no", "not", "of", "oh", "ok",
    "okay", "on", "or", "our", "out", "so", "some", "than", "that", "the", "their", "them", "then", "there",
    "these", "they", "thi", "this", "to", "too", "up", "us", "wa", "was", "we", "well", "were", "what", "when",
    "which", "who", "will", "with", "would", "yeah", "yes", "you", "your", "youre", "dont", "thats", "ive",
    "really", "right", "got", "get", "go", "going", "one", "said", "say", "know", "think", "like", "um", "uh",
    "er", "erm", "mm", "hmm", "very", "quite", "bit", "lot", "thing", "things", "there", "here", "now", "just",
    "she", "whether", "should", "may", "might", "any", "other", "each", "such", "where", "why", "more", "most",
    "being", "what", "own", "only", "over", "after", "before", "because", "been", "does", "doing", "during",
};

static int is_stop_word(const char *w)
{
    for (size_t i = 0; i < sizeof(stop_words) / sizeof(*stop_words); i++)
        if (strcmp(stop_words[i], w) == 0)
            return 1;
    return 0;
}

static void strip_suffix(char *w)
{
    size_t n = strlen(w);
    if (n > 5 && strcmp(w + n - 3, "ing") == 0)
        w[n - 3] = '\0';
    else if (n > 4 && strcmp(w + n - 3, "ies") == 0)
        w[n - 3] = 'y', w[n - 2] = '\0';
    else if (n > 4 && strcmp(w + n - 2, "ed") == 0)
        w[n - 2] = '\0';
    else if (n > 3 && w[n - 1] == 's' && w[n - 2] != 's' && w[n - 2] != 'u' && w[n - 2] != 'i')
        w[n - 1] = '\0';
}

void cs_search_term(char *out, size_t cap, const char *word, size_t len)
{
    size_t o = 0;
    int has_alnum = 0;
    for (size_t i = 0; i < len && o + 1 < cap; i++) {
        char c = word[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            out[o++] = c;
            has_alnum = 1;
        } else if (c == '\'' && i + 2 == len && (word[i + 1] == 's' || word[i + 1] == 'S')) {
            break; /* a possessive */
        }
    }
    out[o] = '\0';
    if (!has_alnum || is_stop_word(out)) {
        out[0] = '\0';
        return;
    }
    strip_suffix(out);
    if (is_stop_word(out))
        out[0] = '\0';
}

int cs_is_filler(const char *word)
{
    char w[16];
    size_t o = 0;
    for (const char *p = word; *p != '\0' && o + 1 < sizeof(w); p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
            w[o++] = (char)(*p | 0x20);
    w[o] = '\0';
    static const char *const fillers[] = {"um", "umm", "uh", "uhh", "er", "erm", "hmm", "mm", "ah"};
    for (size_t i = 0; i < sizeof(fillers) / sizeof(*fillers); i++)
        if (strcmp(w, fillers[i]) == 0 && strlen(word) <= o + 1)
            return 1;
    return 0;
}
