/* SPDX-License-Identifier: Apache-2.0 */
/* check.c - is a model's sentence supported by the segments it cites?
 *
 * A sentence may paraphrase, but the facts people act on must be in the
 * words it cites: every name (a placeholder, or a capitalised word inside
 * the sentence), every number and every date word it states must appear in
 * those segments. This cannot prove a sentence true; it catches the
 * invented name, the wrong number and the made-up appointment, which are
 * the errors a busy reviewer misses. */
#include "fill/check.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* 1 when `word` (len bytes) appears in `text` as a whole word, ignoring case. */
static int has_word(const char *text, const char *word, size_t len)
{
    size_t n = strlen(text);
    for (size_t i = 0; i + len <= n; i++) {
        size_t k = 0;
        while (k < len && lower(text[i + k]) == lower(word[k]))
            k++;
        if (k == len && (i == 0 || !(is_alpha(text[i - 1]) || is_digit(text[i - 1]))) &&
            !(is_alpha(text[i + len]) || is_digit(text[i + len])))
            return 1;
    }
    return 0;
}

static const char *const number_and_date_words[] = {
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "twenty", "thirty", "forty", "fifty", "hundred", "once", "twice", "half", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march", "april",
    "june", "july", "august", "september", "october", "november", "december", "yesterday", "tomorrow",
    "tonight", "weekend", "fortnight",
};

/* Capitalised words that are not names, when they start a clause or are
 * how people refer to family and services. */
static const char *const not_names[] = {
    "i", "i'm", "i've", "i'll", "i'd", "mum", "dad", "nan", "nana", "grandad", "grandma", "mr", "mrs", "ms",
    "miss", "dr", "the", "a", "an", "he", "she", "they", "it", "we", "you", "this", "that", "there", "his", "her",
    "their", "both", "no", "yes", "worker", "social", "gp", "nhs", "school", "council", "police", "english",
    "and", "but", "also", "when", "after", "before", "during", "at", "on", "in", "for", "with", "as",
};

static int in_list(const char *word, size_t len, const char *const *list, size_t n)
{
    char w[32];
    if (len >= sizeof(w))
        return 0;
    for (size_t i = 0; i < len; i++)
        w[i] = lower(word[i]);
    w[len] = '\0';
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], w) == 0)
            return 1;
    return 0;
}

/* The claims of a sentence, one at a time: placeholders, numbers, number
 * and date words, and capitalised words after the first. */
static int claim_supported(const char *claim, size_t len, char *const *segments, size_t n_segments,
                           const uint32_t *cites, size_t n_cites)
{
    for (size_t c = 0; c < n_cites; c++)
        if (cites[c] >= 1 && cites[c] <= n_segments && has_word(segments[cites[c] - 1], claim, len))
            return 1;
    return 0;
}

static int placeholder_len(const char *p)
{
    if (*p != '[')
        return 0;
    int i = 1;
    while (p[i] >= 'A' && p[i] <= 'Z')
        i++;
    if (i == 1 || p[i] != '-' || !is_digit(p[i + 1]))
        return 0;
    i++;
    while (is_digit(p[i]))
        i++;
    return p[i] == ']' ? i + 1 : 0;
}

static int claims_supported(const char *s, char *const *segments, size_t n_segments, const uint32_t *cites,
                            size_t n_cites)
{
    int first_word = 1;
    for (const char *p = s; *p != '\0';) {
        int ph = placeholder_len(p);
        if (ph > 0) {
            /* A placeholder is matched as it is, brackets and all. */
            int found = 0;
            for (size_t c = 0; c < n_cites && !found; c++)
                found = cites[c] >= 1 && cites[c] <= n_segments &&
                        memmem(segments[cites[c] - 1], strlen(segments[cites[c] - 1]), p, (size_t)ph) != NULL;
            if (!found)
                return 0;
            p += ph;
            first_word = 0;
            continue;
        }
        if (!is_alpha(*p) && !is_digit(*p)) {
            if (*p == '.' || *p == '!' || *p == '?' || *p == ':' || *p == ';')
                first_word = 1;
            p++;
            continue;
        }
        const char *start = p;
        int digits = 0, capital = *p >= 'A' && *p <= 'Z';
        while (is_alpha(*p) || is_digit(*p) || *p == '\'') {
            digits |= is_digit(*p);
            p++;
        }
        size_t len = (size_t)(p - start);
        int claim = digits ||
                    in_list(start, len, number_and_date_words,
                            sizeof(number_and_date_words) / sizeof(*number_and_date_words)) ||
                    (capital && !first_word && !in_list(start, len, not_names, sizeof(not_names) / sizeof(*not_names)));
        first_word = 0;
        if (claim && !claim_supported(start, len, segments, n_segments, cites, n_cites))
            return 0;
    }
    return 1;
}

cs_check_result cs_check_sentence(const char *sentence, const uint32_t *cites, size_t n_cites,
                                  char *const *segments, size_t n_segments, const char **reason)
{
    *reason = NULL;
    if (cs_carries_instructions(sentence)) {
        *reason = "it reads as instructions to a machine, not a record of the visit";
        return CS_CHECK_DROP;
    }
    if (n_cites == 0) {
        *reason = "it cites no part of the transcript";
        return CS_CHECK_UNSUPPORTED;
    }
    for (size_t c = 0; c < n_cites; c++) {
        if (cites[c] < 1 || cites[c] > n_segments) {
            *reason = "it cites a part of the transcript that does not exist";
            return CS_CHECK_UNSUPPORTED;
        }
    }
    if (!claims_supported(sentence, segments, n_segments, cites, n_cites)) {
        *reason = "it states a name, number or date that the parts it cites do not hold";
        return CS_CHECK_UNSUPPORTED;
    }
    return CS_CHECK_SUPPORTED;
}

/* 1 when `phrase` is in `low` starting at a word's start. */
static int has_phrase_at_word(const char *low, const char *phrase)
{
    for (const char *p = low; (p = strstr(p, phrase)) != NULL; p++)
        if (p == low || !(is_alpha(p[-1]) || is_digit(p[-1]) || p[-1] == '\''))
            return 1;
    return 0;
}

static int any_phrase(const char *low, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (has_phrase_at_word(low, list[i]))
            return 1;
    return 0;
}

/* 1 when the writing told at `at` is the speaker's own ("I'll write down
 * that I saw her alone", "let me put down that..."), not an order. */
static int own_writing(const char *low, const char *at)
{
    static const char *const mine[] = {"i'll ", "i will ", "going to ", "let me ", "we'll ", "i can ", "i'd "};
    for (size_t i = 0; i < sizeof(mine) / sizeof(*mine); i++) {
        size_t n = strlen(mine[i]);
        if ((size_t)(at - low) >= n && strncmp(at - n, mine[i], n) == 0)
            return 1;
    }
    return 0;
}

/* Like any_phrase, for the phrases that tell the writing outright. */
static int any_order(const char *low, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (const char *p = low; (p = strstr(p, list[i])) != NULL; p++)
            if ((p == low || !(is_alpha(p[-1]) || is_digit(p[-1]) || p[-1] == '\'')) && !own_writing(low, p))
                return 1;
    return 0;
}

/* Spoken steering: a machine or whoever writes the record addressed, and
 * told what to write or leave out; or the writing told outright ("write
 * that", "leave out"). */
static int steers_the_record(const char *low)
{
    static const char *const addressed[] = {
        "computer", "assistant", "recorder", "the ai", "an ai", "a.i", "chatgpt", "the system", "robot",
        "transcriber", "the machine", "the app", "whoever writes", "whoever's writing", "whoever is writing",
        "the software", "alexa", "siri",
    };
    static const char *const writing[] = {
        "write", "record", "put", "note", "say", "mention", "leave", "type", "state", "log", "make sure",
        "don't", "do not",
    };
    static const char *const outright[] = {
        "write that the", "write that he", "write that she", "write that they", "write that there", "write that it",
        "write that everything", "write that no", "write that i'm", "write that we", "write down that",
        "put down that", "record that", "leave out", "leave that out",
        "don't write", "do not write", "don't put", "do not put", "don't record", "do not record", "don't mention",
        "write it as", "write the risk", "put the risk", "say in the report", "in the report say",
    };
    if (any_order(low, outright, sizeof(outright) / sizeof(*outright)))
        return 1;
    return any_phrase(low, addressed, sizeof(addressed) / sizeof(*addressed)) &&
           any_phrase(low, writing, sizeof(writing) / sizeof(*writing));
}

/* 1 when sign is in low, a greeting "you must be Jean" aside (only that
 * occurrence: a later "you must" still counts). */
static int has_sign(const char *low, const char *sign)
{
    int greeting = strcmp(sign, "you must") == 0;
    for (const char *at = low; (at = strstr(at, sign)) != NULL; at++)
        if (!greeting || strncmp(at, "you must be ", 12) != 0)
            return 1;
    return 0;
}

int cs_carries_instructions(const char *text)
{
    static const char *const signs[] = {
        "ignore the", "ignore all", "ignore any", "ignore previous", "ignore your", "ignore above",
        "disregard", "system prompt", "as an ai", "language model", "instructions", "you must", "you are now",
        "do not tell", "do not mention", "new task", "<script", "http://", "https://", "```", "</", "{{",
    };
    size_t n = strlen(text);
    char *low = malloc(n + 1); /* all of it: an order may come after any preamble */
    if (low == NULL)
        return 1; /* out of memory: not drafted */
    for (size_t i = 0; i <= n; i++)
        low[i] = lower(text[i]);
    int found = 0;
    for (size_t i = 0; i < sizeof(signs) / sizeof(*signs) && !found; i++)
        found = has_sign(low, signs[i]);
    found = found || steers_the_record(low);
    free(low);
    return found;
}
