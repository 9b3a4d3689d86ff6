/* SPDX-License-Identifier: Apache-2.0 */
/* names.c - finding other people's names in section text, for the officer
 * who must review third-party information before a disclosure.
 *
 * A heuristic on purpose: it proposes, the officer decides. It looks for
 * runs of capitalised words. A run counts when it stands mid-sentence, has
 * two or more words, is a speaker label ("Kerry:"), or (at the start of a
 * sentence) is a word the same text also capitalises mid-sentence. Words
 * every sentence may start with, days, months, "I" and all-capital
 * abbreviations (GP, NHS) are left out, as is the requester's own name. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sar/sar.h"

#define MAX_WORD 64

static const char *const not_names[] = {
    "I", "I'm", "I've", "I'll", "I'd", "A", "An", "The", "This", "That", "These", "Those", "There", "Then", "They",
    "He", "She", "It", "We", "You", "Your", "My", "Our", "His", "Her", "Their", "Its", "If", "When", "While", "After",
    "Before", "As", "At", "On", "In", "Of", "To", "For", "From", "With", "And", "But", "Or", "So", "No", "Not", "Yes",
    "Yeah", "Okay", "Ok", "Well", "Also", "All", "Some", "Any", "Both", "Each", "Every", "What", "Who", "Why", "How",
    "Where", "Which", "Mum", "Dad", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December", "Christmas", "Easter", "English", "British", "Mr", "Mrs", "Ms", "Miss", "Dr"};

static int is_letter(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static int is_not_name(const char *w, size_t len, int label)
{
    int all_caps = len > 1 && !label; /* "KERRY:" is a speaker, "GP" an abbreviation */
    for (size_t i = 0; i < len && all_caps; i++)
        all_caps = !(w[i] >= 'a' && w[i] <= 'z');
    if (all_caps)
        return 1; /* an abbreviation: GP, NHS, CAMHS */
    for (size_t i = 0; i < sizeof(not_names) / sizeof(*not_names); i++) {
        size_t n = strlen(not_names[i]);
        int plural = len == n + 1 && w[n] == 's'; /* "Tuesdays" */
        if ((n == len || plural) && strncmp(not_names[i], w, n) == 0)
            return 1;
    }
    return 0;
}

/* One word of the text: [start, end), capitalised or not, and whether a
 * sentence starts with it. */
struct word {
    size_t start, end;
    int capital, sentence_start, label; /* label: followed by ':' */
    int joined;                         /* only a space since the previous word */
};

/* The next word at or after *at; 0 at the end. Letters, and ' or - inside. */
static int next_word(const char *t, size_t len, size_t *at, struct word *w, int *sentence_start)
{
    size_t i = *at;
    int gap_is_space = 1;
    for (; i < len && !is_letter((unsigned char)t[i]); i++) {
        if (t[i] == '.' || t[i] == '!' || t[i] == '?' || t[i] == '\n' || t[i] == ':')
            *sentence_start = 1;
        if (t[i] != ' ')
            gap_is_space = 0;
    }
    if (i >= len)
        return 0;
    w->start = i;
    while (i < len && (is_letter((unsigned char)t[i]) ||
                       ((t[i] == '\'' || t[i] == '-') && i + 1 < len && is_letter((unsigned char)t[i + 1]))))
        i++;
    w->end = i;
    w->capital = t[w->start] >= 'A' && t[w->start] <= 'Z';
    w->sentence_start = *sentence_start;
    w->label = i < len && t[i] == ':';
    w->joined = gap_is_space;
    *sentence_start = 0;
    *at = i;
    return 1;
}

/* The words the text capitalises mid-sentence, sorted, so that a word
 * starting a sentence can be looked up in them (once per text, not once
 * per sentence: a long text of short sentences stays linear). */
struct known {
    struct word *words;
    size_t n;
    const char *text;
};

static int cmp_word(const char *t, const struct word *a, const char *w, size_t len)
{
    size_t alen = a->end - a->start;
    if (alen != len)
        return alen < len ? -1 : 1;
    return memcmp(t + a->start, w, len);
}

static int by_word(const void *a, const void *b, void *text)
{
    const struct word *y = b;
    return cmp_word(text, a, (const char *)text + y->start, y->end - y->start);
}

static int known_collect(struct known *k, const char *t, size_t len)
{
    size_t at = 0, cap = 0;
    int start = 1;
    struct word w;
    k->text = t;
    while (next_word(t, len, &at, &w, &start)) {
        if (!w.capital || w.sentence_start)
            continue;
        if (k->n == cap) {
            cap = cap ? cap * 2 : 64;
            struct word *grown = realloc(k->words, cap * sizeof(*grown));
            if (grown == NULL)
                return -1;
            k->words = grown;
        }
        k->words[k->n++] = w;
    }
    if (k->n > 1)
        qsort_r(k->words, k->n, sizeof(*k->words), by_word, (void *)t);
    return 0;
}

static int capitalised_elsewhere(const struct known *k, const char *w, size_t len)
{
    size_t lo = 0, hi = k->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_word(k->text, &k->words[mid], w, len);
        if (c == 0)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* 1 when every word of the run is a word of the requester's name. */
static int is_requester(const char *run, size_t len, const char *requester)
{
    if (requester == NULL || requester[0] == '\0')
        return 0;
    size_t at = 0;
    int start = 0;
    struct word w;
    while (next_word(run, len, &at, &w, &start)) {
        size_t rat = 0;
        int rstart = 0, found = 0;
        struct word r;
        while (!found && next_word(requester, strlen(requester), &rat, &r, &rstart))
            found = r.end - r.start == w.end - w.start &&
                    strncasecmp(requester + r.start, run + w.start, w.end - w.start) == 0;
        if (!found)
            return 0;
    }
    return 1;
}

/* Reports the run of words [first, last] after dropping sentence openers
 * from its front. */
static int report_run(const char *t, const struct known *k, struct word *run, size_t n, const char *requester,
                      cs_name_found found, void *user)
{
    size_t i = 0;
    while (i < n && is_not_name(t + run[i].start, run[i].end - run[i].start, run[i].label))
        i++;
    if (i == n || n - i > 6)
        return 0;
    size_t start = run[i].start, end = run[n - 1].end;
    int strong = n - i >= 2 || !run[i].sentence_start || run[n - 1].label ||
                 capitalised_elsewhere(k, t + start, end - start);
    if (!strong || is_requester(t + start, end - start, requester) || end - start > 128)
        return 0;
    return found(user, t + start, end - start);
}

int cs_names_in_text(const char *text, size_t len, const char *requester_name, cs_name_found found, void *user)
{
    struct word run[8], w;
    size_t n = 0, at = 0;
    int start = 1, rc = 0;
    struct known k = {0};
    if (known_collect(&k, text, len) != 0) {
        free(k.words);
        return -1;
    }
    while (rc == 0 && next_word(text, len, &at, &w, &start)) {
        int extends = n > 0 && w.capital && w.joined && !w.sentence_start && n < sizeof(run) / sizeof(*run) &&
                      !run[n - 1].label;
        if (n > 0 && !extends) {
            rc = report_run(text, &k, run, n, requester_name, found, user);
            n = 0;
        }
        if (w.capital)
            run[n++] = w;
    }
    if (rc == 0 && n > 0)
        rc = report_run(text, &k, run, n, requester_name, found, user);
    free(k.words);
    return rc;
}
