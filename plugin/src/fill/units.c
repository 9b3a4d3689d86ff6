/* SPDX-License-Identifier: Apache-2.0 */
/* units.c - sentences of a transcript, and search terms. */
#include "fill/units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fill/check.h"
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

/* ---- what a unit is -------------------------------------------------------- */

void cs_unit_text(char *out, size_t cap, const casescribe_transcript *t, const cs_unit *u)
{
    size_t o = 0;
    const cs_segment *seg = &t->segments[u->seg];
    for (uint32_t w = u->w0; w < u->w1 && o + 1 < cap; w++) {
        if (o > 0)
            out[o++] = ' ';
        for (const unsigned char *p = (const unsigned char *)seg->words[w].text; *p != '\0' && o + 1 < cap; p++) {
            if (p[0] == 0xE2 && p[1] == 0x80 && p[2] == 0x99) { /* U+2019, the apostrophe typed as a quote */
                out[o++] = '\'';
                p += 2;
            } else {
                out[o++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
            }
        }
    }
    out[o < cap ? o : cap - 1] = '\0';
}

/* The n-th word of lowercase text (letters, digits, apostrophes), into w. */
static int nth_word(const char *text, int n, char *w, size_t cap)
{
    const char *p = text;
    for (int i = 0;; i++) {
        while (*p != '\0' && !((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '\''))
            p++;
        if (*p == '\0')
            return 0;
        size_t k = 0;
        while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '\'') {
            if (i == n && k + 1 < cap)
                w[k++] = *p;
            p++;
        }
        if (i == n) {
            w[k] = '\0';
            return 1;
        }
    }
}

static int among(const char *w, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(w, list[i]) == 0)
            return 1;
    return 0;
}
#define AMONG(w, list) among(w, list, sizeof(list) / sizeof(*list))

static const char *const wh_words[] = {"what", "who", "where", "when", "why", "how", "which", "whose", "what's",
                                       "who's", "where's", "how's", "why's", "when's"};
static const char *const auxiliaries[] = {
    "do", "does", "did", "is", "are", "was", "were", "have", "has", "had", "can", "could", "would", "will",
    "shall", "should", "may", "might", "am", "don't", "doesn't", "didn't", "isn't", "aren't", "haven't",
    "hasn't", "can't", "won't", "wouldn't", "couldn't",
};
static const char *const subjects[] = {
    "you", "he", "she", "they", "we", "i", "it", "there", "anyone", "anybody", "someone", "somebody",
    "everything", "anything", "everyone", "things", "that", "this",
};
static const char *const determiners[] = {"the", "your", "his", "her", "their", "my", "our", "a", "an", "any"};
static const char *const elliptical[] = {"any", "anything", "anyone", "anybody", "everything", "ok", "okay", "alright"};

/* Word order of a question: an auxiliary first ("do you", "is the
 * house"), or after one opening word that is not a subject, before its
 * subject ("harold have you"); a question word among the first two; or
 * the elliptical "any falls?". */
static int reads_as_question(const char *text, int *strongly)
{
    char w0[32] = "", w1[32] = "", w2[32] = "";
    nth_word(text, 0, w0, sizeof(w0));
    nth_word(text, 1, w1, sizeof(w1));
    nth_word(text, 2, w2, sizeof(w2));
    /* Strongly: an auxiliary before its subject ("do you", "callum shall we") */
    *strongly = (AMONG(w0, auxiliaries) && (AMONG(w1, subjects) || AMONG(w1, determiners))) ||
                (AMONG(w1, auxiliaries) && AMONG(w2, subjects) && !AMONG(w0, subjects) && !AMONG(w0, determiners));
    if (*strongly || AMONG(w0, wh_words) || (AMONG(w1, wh_words) && !AMONG(w0, subjects) && !AMONG(w0, determiners)))
        return 1;
    return AMONG(w0, auxiliaries) || AMONG(w0, elliptical);
}

static int has_phrase(const char *text, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(list[i]);
        for (const char *p = text; (p = strstr(p, list[i])) != NULL; p++)
            if ((p == text || p[-1] == ' ') && (p[len] == '\0' || p[len] == ' ' || p[len] == ',' ||
                                                 p[len] == '.' || p[len] == '?' || p[len] == '!'))
                return 1;
    }
    return 0;
}
#define HAS_PHRASE(text, list) has_phrase(text, list, sizeof(list) / sizeof(*list))

/* The worker's own evaluation or decision, said aloud. */
static const char *const worker_judgement[] = {
    "i think", "i don't think", "i'm worried", "i am worried", "i'm a bit worried", "i'm really worried",
    "i'm concerned", "i am concerned", "i'm a bit concerned", "i'm really concerned", "sounds like",
    "that sounds", "it sounds", "my view", "my professional", "my opinion", "in my opinion", "we need to consider",
    "need to consider", "i feel", "i believe", "it seems", "seems to me", "i can see how", "i'm pleased",
    "i'm satisfied", "i'm not satisfied", "i'm not happy", "you clearly", "i'd say", "my worry", "my concern",
    "my judgement", "my assessment", "i'm confident", "i suspect", "i wonder if", "it's clear that",
};
/* Judgement whoever says it: the professional words of a decision. */
static const char *const anyones_judgement[] = {
    "in my view", "my view is", "my professional view", "my professional opinion", "my assessment is",
    "threshold", "in my professional",
};

static int is_worker_label(const char *label)
{
    return strcmp(label, "Worker:") == 0 || strcmp(label, "worker:") == 0 || strcmp(label, "WORKER:") == 0 ||
           strcmp(label, "SW:") == 0;
}

/* The whole of the unit's text (cs_unit_text), malloc'd; NULL on ENOMEM. */
static char *unit_text_all(const casescribe_transcript *t, const cs_unit *u)
{
    size_t cap = 1;
    for (uint32_t w = u->w0; w < u->w1; w++)
        cap += strlen(t->segments[u->seg].words[w].text) + 1;
    char *text = malloc(cap);
    if (text != NULL)
        cs_unit_text(text, cap, t, u);
    return text;
}

/* -1 on ENOMEM. */
static int classify(cs_unit *units, size_t n, size_t u, const casescribe_transcript *t, int marks_questions)
{
    cs_unit *un = &units[u];
    char *text = unit_text_all(t, un); /* all of it: an order may end a long turn */
    if (text == NULL)
        return -1;
    const cs_segment *seg = &t->segments[un->seg];
    const char *label = un->speaker ? seg->words[0].text : "";
    const char *last = seg->words[un->w1 - 1].text;
    size_t ll = strlen(last);
    int punctuated = ll > 0 && (last[ll - 1] == '.' || last[ll - 1] == '!' || last[ll - 1] == '?');
    un->worker = un->speaker && is_worker_label(label);
    un->instruction = cs_carries_instructions(text);
    un->opinion = HAS_PHRASE(text, anyones_judgement) || (un->worker && HAS_PHRASE(text, worker_judgement));
    /* Unpunctuated (or from an engine that never writes '?'): a question by
     * its word order when the next speaker answers it, or by an auxiliary
     * before its subject whoever speaks next. */
    const cs_unit *next = u + 1 < n ? &units[u + 1] : NULL;
    int next_speaker_differs = next != NULL && next->speaker && un->speaker && next->seg != un->seg &&
                               strcmp(t->segments[next->seg].words[0].text, label) != 0;
    int strongly = 0, by_order = reads_as_question(text, &strongly);
    if ((!punctuated || !marks_questions) && !un->question && by_order && (next_speaker_differs || strongly))
        un->question = 1;
    /* "And his sister is at nursery, is that right?" states a fact, asking
     * only to confirm it: by its word order a statement. */
    if (un->question && !by_order)
        un->question = 0;
    if (u > 0 && units[u - 1].question && un->speaker && units[u - 1].speaker && units[u - 1].seg != un->seg &&
        strcmp(t->segments[units[u - 1].seg].words[0].text, label) != 0)
        un->answer = 1;
    else if (u > 0 && units[u - 1].answer && units[u - 1].seg == un->seg)
        un->answer = 2; /* the rest of the answering turn */
    free(text);
    return 0;
}

int32_t cs_units_of(cs_unit **out, size_t *n, const casescribe_transcript *t)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    for (uint32_t s = 0; s < t->n_segments; s++) {
        const cs_segment *seg = &t->segments[s];
        if (seg->by == CS_BY_WORKER)
            continue; /* an observation tag: the worker's words, never drafted as AI text */
        int speaker = seg->speaker_words > 0 || (seg->n_words > 1 && is_speaker_label(seg->words[0].text));
        uint32_t start = seg->speaker_words > 0 ? seg->speaker_words : speaker ? 1 : 0;
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
            (*out)[(*n)++] = (cs_unit){s, start, w + 1, speaker, ends_question(seg->words[w].text), 0, 0, 0, 0};
            start = w + 1;
        }
    }
    /* An engine that never writes '?' may still end turns with '.'. */
    int marks_questions = 0;
    for (size_t u = 0; u < *n && !marks_questions; u++)
        marks_questions = (*out)[u].question;
    for (size_t u = 0; u < *n; u++)
        if (classify(*out, *n, u, t, marks_questions) != 0) {
            free(*out);
            *out = NULL;
            *n = 0;
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory reading the transcript");
        }
    return CASESCRIBE_OK;
}

/* Words too common to tell sections apart. Not "said", "says" or "does":
 * a child's views are what they said, support is who does what. */
static const char *const stop_words[] = {
    "a", "about", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by", "can",
    "could", "did", "do", "for", "from", "had", "has", "have", "he", "her", "hi", "him", "his",
    "how", "i", "if", "im", "in", "into", "is", "it", "its", "just", "me", "my", "no", "not", "of", "oh", "ok",
    "okay", "on", "or", "our", "out", "so", "some", "than", "that", "the", "their", "them", "then", "there",
    "these", "they", "thi", "this", "to", "too", "up", "us", "wa", "was", "we", "well", "were", "what", "when",
    "which", "who", "will", "with", "would", "yeah", "yes", "you", "your", "youre", "dont", "thats", "ive",
    "really", "right", "got", "get", "go", "going", "one", "know", "think", "like", "um", "uh",
    "er", "erm", "mm", "hmm", "very", "quite", "bit", "lot", "thing", "things", "there", "here", "now", "just",
    "she", "whether", "should", "may", "might", "any", "other", "each", "such", "where", "why", "more", "most",
    "being", "what", "own", "only", "over", "after", "before", "because", "been", "doing", "during",
};

static int is_stop_word(const char *w)
{
    for (size_t i = 0; i < sizeof(stop_words) / sizeof(*stop_words); i++)
        if (strcmp(stop_words[i], w) == 0)
            return 1;
    return 0;
}

#define TERM_CAP 64

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
    /* A word that is not a stop word stays a term: when its stem is one
     * ("willing" -> "will"), the word is kept whole. */
    char whole[TERM_CAP];
    snprintf(whole, sizeof(whole), "%s", out);
    strip_suffix(out);
    if (is_stop_word(out) || out[0] == '\0')
        snprintf(out, cap, "%s", whole);
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
