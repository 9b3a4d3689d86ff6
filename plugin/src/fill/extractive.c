/* SPDX-License-Identifier: Apache-2.0 */
/* extractive.c - the embedded filler: BM25 over the transcript's sentences.
 *
 * It cannot invent a fact, because everything it writes is the
 * transcript's own words (less "um"s and stutters). What it can get wrong
 * is relevance, which is why every sentence keeps its citation and the
 * worker reviews the draft. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fill/fill.h"
#include "fill/units.h"
#include "internal.h"
#include "jobs/jobs.h"

#define K1 1.2
#define B 0.75
#define MIN_SCORE 1.5     /* on the labelled corpus (make bench), 1.0 to 2.5 now give recall within a point */
#define MIN_CONTENT_TERMS 2 /* "Yeah, fine." says nothing a section needs */
#define ANSWER_CONTEXT 1.0  /* an answer takes the topic of the question it answers */
#define TURN_CONTEXT 0.3    /* any sentence a little of the turn before */
#define PAIR_BELOW 3        /* a shorter answer ("no i don't want one") is drafted with its question */
#define SPREAD 0.5          /* how much a word shared by sections weighs less (0: not at all) */
#define RELATIVE_SCORE 0.3  /* a section keeps no sentence scoring under this share of its best */
#define NEAR_TIE 0.9        /* a second section scoring this share of the best is as likely: both get the unit */
#define ADAPTIVE_MIN 6      /* the cap per section when the caller sets none: units / sections, */
#define ADAPTIVE_MAX 12     /* within these */
#define TERM_MAX 48

/* ---- the vocabulary: every search term, sorted, so terms become ids ------ */

struct vocab {
    char (*terms)[TERM_MAX];
    size_t n, cap;
};

static int vocab_add(struct vocab *v, const char *term)
{
    if (term[0] == '\0')
        return 0;
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 1024;
        char(*grown)[TERM_MAX] = realloc(v->terms, cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        v->terms = grown;
        v->cap = cap;
    }
    snprintf(v->terms[v->n++], TERM_MAX, "%s", term);
    return 0;
}

static int cmp_term(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void vocab_sort(struct vocab *v)
{
    if (v->n == 0)
        return;
    qsort(v->terms, v->n, TERM_MAX, cmp_term);
    size_t k = 1;
    for (size_t i = 1; i < v->n; i++)
        if (strcmp(v->terms[i], v->terms[k - 1]) != 0)
            memmove(v->terms[k++], v->terms[i], TERM_MAX);
    v->n = k;
}

static int32_t vocab_id(const struct vocab *v, const char *term)
{
    char key[TERM_MAX];
    snprintf(key, sizeof(key), "%s", term);
    const char(*hit)[TERM_MAX] = bsearch(key, v->terms, v->n, TERM_MAX, cmp_term);
    return hit != NULL ? (int32_t)(hit - v->terms) : -1;
}

/* Calls fn(term) for each search term in `text` (split at anything that is
 * not a letter, digit or apostrophe). */
static int each_term(const char *text, int (*fn)(void *, const char *), void *arg)
{
    const char *p = text;
    while (*p != '\0') {
        while (*p != '\0' && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            p++;
        const char *start = p;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '\'')
            p++;
        if (p > start) {
            char term[TERM_MAX];
            cs_search_term(term, sizeof(term), start, (size_t)(p - start));
            if (term[0] != '\0' && fn(arg, term) != 0)
                return -1;
        }
    }
    return 0;
}

static int add_to_vocab(void *v, const char *term)
{
    return vocab_add(v, term);
}

/* ---- the index ------------------------------------------------------------- */

struct query {
    int32_t *ids; /* sorted */
    double *weights;
    size_t n;
};

struct index {
    const casescribe_transcript *t;
    cs_unit *units;
    size_t n_units;
    struct vocab vocab;
    int32_t *terms;   /* every unit's term ids, one after another */
    size_t *offsets;  /* unit i's terms are terms[offsets[i] .. offsets[i+1]) */
    double *idf;      /* per vocabulary id */
    double avg_len;
    struct query *queries; /* per template section */
    size_t *content;       /* per unit: how many search terms it has */
    const size_t *best;    /* per unit: the section it is evidence for, SIZE_MAX for none (while assigning) */
    int reported;          /* CASESCRIBE_FILL_STYLE_REPORTED: a line of one speaker in reported speech */
};

static void index_free(struct index *ix, size_t n_sections)
{
    free(ix->units);
    free(ix->vocab.terms);
    free(ix->terms);
    free(ix->offsets);
    free(ix->idf);
    free(ix->content);
    for (size_t i = 0; ix->queries != NULL && i < n_sections; i++) {
        free(ix->queries[i].ids);
        free(ix->queries[i].weights);
    }
    free(ix->queries);
}

static int unit_words(const struct index *ix, size_t u, int (*fn)(void *, const char *), void *arg)
{
    const cs_unit *un = &ix->units[u];
    const cs_segment *seg = &ix->t->segments[un->seg];
    for (uint32_t w = un->w0; w < un->w1; w++)
        if (each_term(seg->words[w].text, fn, arg) != 0)
            return -1;
    return 0;
}

struct collect {
    struct index *ix;
    int32_t *out;
    size_t n, cap;
};

static int collect_id(void *arg, const char *term)
{
    struct collect *c = arg;
    int32_t id = vocab_id(&c->ix->vocab, term);
    if (id < 0)
        return 0;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4096;
        int32_t *grown = realloc(c->out, cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        c->out = grown;
        c->cap = cap;
    }
    c->out[c->n++] = id;
    return 0;
}

static int section_text_terms(const cs_template_section *s, int (*fn)(void *, const char *), void *arg,
                              int with_guidance)
{
    if (each_term(s->title, fn, arg) || each_term(s->cues, fn, arg))
        return -1;
    for (size_t p = 0; p < s->n_prompts; p++)
        if (each_term(s->prompts[p], fn, arg))
            return -1;
    return with_guidance ? each_term(s->guidance, fn, arg) : 0;
}

static int cmp_id(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* A section's query: its terms, each once. Words from the title, prompts
 * and cues weigh 1; words only in the guidance (written for people, so
 * more general) weigh less. */
static int build_query(struct index *ix, struct query *q, const cs_template_section *s)
{
    struct collect strong = {ix, NULL, 0, 0}, all = {ix, NULL, 0, 0};
    int rc = section_text_terms(s, collect_id, &strong, 0) | section_text_terms(s, collect_id, &all, 1);
    if (rc == 0 && all.n > 0) {
        qsort(all.out, all.n, sizeof(int32_t), cmp_id);
        qsort(strong.out, strong.n, sizeof(int32_t), cmp_id);
        q->ids = malloc(all.n * sizeof(*q->ids));
        q->weights = malloc(all.n * sizeof(*q->weights));
        rc = q->ids == NULL || q->weights == NULL ? -1 : 0;
        for (size_t i = 0; rc == 0 && i < all.n; i++) {
            if (q->n > 0 && q->ids[q->n - 1] == all.out[i])
                continue;
            int is_strong = strong.n > 0 && bsearch(&all.out[i], strong.out, strong.n, sizeof(int32_t), cmp_id);
            q->ids[q->n] = all.out[i];
            q->weights[q->n++] = is_strong ? 1.0 : 0.4;
        }
    }
    free(strong.out);
    free(all.out);
    return rc;
}

/* A query word many sections share ("mum" is in who was present, the
 * family and the worries) tells them apart less: each weight is scaled by
 * how few sections ask for the word, as idf does for units. */
static void spread_weights(struct index *ix, size_t n_sections)
{
    for (size_t s = 0; s < n_sections; s++)
        for (size_t i = 0; i < ix->queries[s].n; i++) {
            size_t df = 0;
            for (size_t o = 0; o < n_sections; o++)
                df += ix->queries[o].n > 0 && bsearch(&ix->queries[s].ids[i], ix->queries[o].ids, ix->queries[o].n,
                                                      sizeof(int32_t), cmp_id) != NULL;
            double spread = log(1 + (double)n_sections / (double)(df ? df : 1)) / log(1 + (double)n_sections);
            ix->queries[s].weights[i] *= pow(spread, SPREAD);
        }
}

static int32_t build_index(struct index *ix, const casescribe_template *tpl)
{
    int32_t rc = cs_units_of(&ix->units, &ix->n_units, ix->t);
    if (rc != CASESCRIBE_OK)
        return rc;
    int bad = 0;
    for (size_t u = 0; u < ix->n_units && !bad; u++)
        bad = unit_words(ix, u, add_to_vocab, &ix->vocab);
    for (size_t s = 0; s < tpl->n_sections && !bad; s++)
        bad = section_text_terms(&tpl->sections[s], add_to_vocab, &ix->vocab, 1);
    if (bad)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory drafting");
    vocab_sort(&ix->vocab);
    struct collect c = {ix, NULL, 0, 0};
    ix->offsets = malloc((ix->n_units + 1) * sizeof(*ix->offsets));
    ix->idf = calloc(ix->vocab.n ? ix->vocab.n : 1, sizeof(*ix->idf));
    ix->queries = calloc(tpl->n_sections, sizeof(*ix->queries));
    bad = ix->offsets == NULL || ix->idf == NULL || ix->queries == NULL;
    for (size_t u = 0; u < ix->n_units && !bad; u++) {
        ix->offsets[u] = c.n;
        bad = unit_words(ix, u, collect_id, &c);
    }
    ix->terms = c.out;
    if (bad)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory drafting");
    ix->offsets[ix->n_units] = c.n;
    ix->avg_len = ix->n_units ? (double)c.n / (double)ix->n_units : 1;
    /* Document frequency: in how many units each term appears. */
    int32_t *last_seen = malloc((ix->vocab.n ? ix->vocab.n : 1) * sizeof(*last_seen));
    if (last_seen == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory drafting");
    for (size_t i = 0; i < ix->vocab.n; i++)
        last_seen[i] = -1;
    for (size_t u = 0; u < ix->n_units; u++)
        for (size_t k = ix->offsets[u]; k < ix->offsets[u + 1]; k++)
            if (last_seen[ix->terms[k]] != (int32_t)u) {
                last_seen[ix->terms[k]] = (int32_t)u;
                ix->idf[ix->terms[k]] += 1;
            }
    free(last_seen);
    double n = (double)ix->n_units;
    for (size_t i = 0; i < ix->vocab.n; i++)
        ix->idf[i] = log(1 + (n - ix->idf[i] + 0.5) / (ix->idf[i] + 0.5));
    for (size_t s = 0; s < tpl->n_sections && !bad; s++)
        bad = build_query(ix, &ix->queries[s], &tpl->sections[s]);
    if (!bad)
        spread_weights(ix, tpl->n_sections);
    return bad ? cs_fail(CASESCRIBE_ENOMEM, "out of memory drafting") : CASESCRIBE_OK;
}

/* BM25 of unit u against a query: each query term's idf, weighted, times
 * its saturated frequency in the unit. */
static double score(const struct index *ix, size_t u, const struct query *q, size_t *content_terms)
{
    size_t from = ix->offsets[u], to = ix->offsets[u + 1];
    double len_norm = K1 * (1 - B + B * (double)(to - from) / ix->avg_len), total = 0;
    *content_terms = to - from;
    for (size_t k = from; k < to; k++) {
        int seen_before = 0;
        for (size_t j = from; j < k && !seen_before; j++)
            seen_before = ix->terms[j] == ix->terms[k];
        if (seen_before)
            continue;
        const int32_t *hit = q->n ? bsearch(&ix->terms[k], q->ids, q->n, sizeof(int32_t), cmp_id) : NULL;
        if (hit == NULL)
            continue;
        double tf = 0;
        for (size_t j = k; j < to; j++)
            tf += ix->terms[j] == ix->terms[k];
        total += q->weights[hit - q->ids] * ix->idf[ix->terms[k]] * tf * (K1 + 1) / (tf + len_norm);
    }
    return total;
}

/* ---- writing the draft ------------------------------------------------------ */

static int same_word(const char *a, const char *b)
{
    char x[TERM_MAX], y[TERM_MAX];
    size_t i = 0, j = 0;
    for (; *a != '\0' && i + 1 < sizeof(x); a++)
        if ((*a >= 'a' && *a <= 'z') || (*a >= 'A' && *a <= 'Z'))
            x[i++] = (char)(*a | 0x20);
    for (; *b != '\0' && j + 1 < sizeof(y); b++)
        if ((*b >= 'a' && *b <= 'z') || (*b >= 'A' && *b <= 'Z'))
            y[j++] = (char)(*b | 0x20);
    x[i] = y[j] = '\0';
    return i > 0 && strcmp(x, y) == 0;
}

/* The bytes of a sentence being tidied that the transcriber was unsure of,
 * at most CS_MAX_UNSURE ranges: past that, the last range stretches over
 * the rest, so that no unsure word goes unmarked (the sure words between
 * them are then marked too: better doubted than wrongly trusted). */
struct marks {
    uint32_t offset[CS_MAX_UNSURE], length[CS_MAX_UNSURE];
    size_t n;
};

static void mark(struct marks *m, size_t offset, size_t length)
{
    if (m->n < CS_MAX_UNSURE) {
        m->offset[m->n] = (uint32_t)offset;
        m->length[m->n++] = (uint32_t)length;
    } else {
        m->length[m->n - 1] = (uint32_t)(offset + length - m->offset[m->n - 1]);
    }
}

/* Keeps the marks inside the sentence's first `len` bytes: tidy drops a
 * trailing comma, which may have ended an unsure word. */
static void marks_trim(struct marks *m, size_t len)
{
    while (m->n > 0 && m->offset[m->n - 1] >= len)
        m->n--;
    if (m->n > 0 && (size_t)m->offset[m->n - 1] + m->length[m->n - 1] > len)
        m->length[m->n - 1] = (uint32_t)(len - m->offset[m->n - 1]);
}

/* The marks as cs_draft_add takes them ("o:l o:l"); NULL in *out when no
 * word was unsure. -1 on ENOMEM. */
static int marks_text(char **out, const struct marks *m)
{
    *out = NULL;
    if (m->n == 0)
        return 0;
    cs_buf b = {0};
    for (size_t i = 0; i < m->n; i++)
        cs_buf_printf(&b, "%s%u:%u", i ? " " : "", (unsigned)m->offset[i], (unsigned)m->length[i]);
    *out = cs_buf_take(&b);
    cs_buf_free(&b);
    return *out == NULL ? -1 : 0;
}

/* 1 when `p` (n bytes left) starts with a curly apostrophe (U+2019). */
static int is_curly(const char *p, size_t n)
{
    return n >= 3 && (unsigned char)p[0] == 0xE2 && (unsigned char)p[1] == 0x80 && (unsigned char)p[2] == 0x99;
}

/* Reported speech changes only person: the speaker's "I" becomes "they"
 * (the record does not guess anyone's gender), with the verb forms that
 * go with it. Every other word is the transcript's. NULL: keep the word. */
static const char *reported_form(const char *word, size_t len)
{
    static const char *const map[][2] = {
        {"i", "they"},          {"me", "them"},         {"my", "their"},        {"mine", "theirs"},
        {"myself", "themselves"}, {"i'm", "they are"},  {"i've", "they have"},  {"i'll", "they will"},
        {"i'd", "they would"},  {"we", "they"},         {"us", "them"},         {"our", "their"},
        {"ours", "theirs"},     {"ourselves", "themselves"}, {"we're", "they are"}, {"we've", "they have"},
        {"we'll", "they will"}, {"we'd", "they would"}, {"am", "are"},          {"was", "were"},
    };
    char w[16];
    size_t n = 0;
    if (len >= sizeof(w))
        return NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)word[i];
        if (is_curly(word + i, len - i))
            c = '\'', i += 2; /* "I’m" is "I'm" */
        w[n++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    w[n] = '\0';
    for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++)
        if (strcmp(map[i][0], w) == 0)
            return map[i][1];
    return NULL;
}

/* Appends a word, in reported speech when `reported` ("am" and "was" only
 * change after the speaker's "I"), marking it when the transcriber was
 * unsure of it. */
static void append_word(cs_buf *b, struct marks *m, const char *word, int unsure, int reported, int *after_i)
{
    size_t len = strlen(word), core = 0;
    while (core < len && (((word[core] | 0x20) >= 'a' && (word[core] | 0x20) <= 'z') || word[core] == '\'' ||
                          is_curly(word + core, len - core)))
        core += is_curly(word + core, len - core) ? 3 : 1;
    const char *as = reported ? reported_form(word, core) : NULL;
    int is_verb = core == 2 ? strncmp(word, "am", 2) == 0 : core == 3 && strncmp(word, "was", 3) == 0;
    if (as != NULL && is_verb && !*after_i)
        as = NULL;
    if (reported)
        *after_i = core == 1 && (word[0] == 'I' || word[0] == 'i');
    size_t at = b->len;
    if (as != NULL)
        cs_buf_printf(b, "%s%s", as, word + core);
    else
        cs_buf_printf(b, "%s", word);
    if (!b->failed && unsure && len > 0)
        mark(m, at, b->len - at);
}

/* Appends the unit's words, fillers and stutters ("I I") out. A stutter
 * is said once, as its last copy ("he's, um, he's not" is "he's not"),
 * marked when the transcriber was unsure of any copy: the copies are the
 * same word only as the transcriber heard them. */
static void append_unit(cs_buf *b, struct marks *m, const casescribe_transcript *t, const cs_unit *un, int reported)
{
    const cs_segment *seg = &t->segments[un->seg];
    size_t first = b->len, prev_at = first;
    const char *prev = NULL;
    int after_i = 0, prev_after_i = 0, prev_unsure = 0;
    for (uint32_t w = un->w0; w < un->w1 && !b->failed; w++) {
        const char *word = seg->words[w].text;
        if (cs_is_filler(word))
            continue;
        int unsure = word[0] != '\0' && cs_word_unsure(t, &seg->words[w]);
        if (prev != NULL && same_word(prev, word) && w + 1 < un->w1) {
            b->data[b->len = prev_at] = '\0'; /* the copy before goes */
            marks_trim(m, prev_at);
            unsure |= prev_unsure;
            after_i = prev_after_i;
        } else {
            cs_buf_printf(b, "%s", b->len > first ? " " : "");
            prev_at = b->len;
            prev_after_i = after_i;
        }
        append_word(b, m, word, unsure, reported, &after_i);
        prev = word;
        prev_unsure = unsure;
    }
}

/* Ends a line: a trailing comma, semicolon or colon out, a full stop when
 * it has none. */
static void end_line(cs_buf *b, struct marks *m)
{
    if (b->failed || b->len == 0)
        return;
    char last = b->data[b->len - 1];
    if (last == ',' || last == ';' || last == ':')
        b->data[--b->len] = '\0';
    marks_trim(m, b->len);
    last = b->len > 0 ? b->data[b->len - 1] : '.';
    if (last != '.' && last != '?' && last != '!' && last != '"' && last != '\'')
        cs_buf_printf(b, ".");
}

static char *take_line(cs_buf *b, const struct marks *m, char **unsure)
{
    char *out = cs_buf_take(b);
    cs_buf_free(b);
    if (out != NULL && marks_text(unsure, m) != 0) {
        free(out);
        out = NULL;
    }
    return out;
}

/* Capitalises the first letter of each sentence from byte `first` of the
 * line (of the first one too when `first_too`): capitalising keeps a
 * word's bytes where they were. */
static void sentence_capitals(cs_buf *b, size_t first, int first_too)
{
    for (size_t i = first; !b->failed && i < b->len; i++)
        if (((first_too && i == first) ||
             (i >= first + 2 && b->data[i - 1] == ' ' && strchr(".?!", b->data[i - 2]) != NULL)) &&
            b->data[i] >= 'a' && b->data[i] <= 'z')
            b->data[i] = (char)(b->data[i] - 'a' + 'A');
}

/* The unit's words, tidied: fillers and stutters ("I I") out, the first
 * letter of each sentence capitalised, a full stop when it has none, and the speaker's
 * label ("Kerry:") in front when the segment had one. Nothing else changes:
 * every word is the transcript's. The words of it the transcriber was
 * unsure of go to *unsure (NULL when none), as byte ranges of the
 * sentence: capitalising keeps a word's bytes where they were, and the
 * full stop is added after the last word, never inside it. NULL on ENOMEM. */
static char *tidy(const casescribe_transcript *t, const cs_segment *seg, const cs_unit *un, char **unsure)
{
    cs_buf b = {0};
    struct marks m;
    m.n = 0;
    *unsure = NULL;
    for (uint32_t k = 0; un->speaker && k < (seg->speaker_words > 0 ? seg->speaker_words : 1); k++)
        cs_buf_printf(&b, "%s ", seg->words[k].text); /* "Kerry:", "Kerry Thompson:" */
    size_t first = b.len;
    append_unit(&b, &m, t, un, 0);
    sentence_capitals(&b, first, 1);
    if (b.len > first)
        end_line(&b, &m);
    return take_line(&b, &m, unsure);
}

#define LABEL_WORDS_MAX 3 /* "Mrs Okonjo:", "DS Jo Whitmore:" */

/* How many words of the segment are its speaker's label: the label the
 * units found ("Kerry:", an imported "Kerry Thompson:"), or up to three
 * capitalised words, the last ending in ':' ("Mrs Okonjo:", which a
 * machine transcript gives as words); 0 when it names no one. */
static uint32_t label_words(const cs_segment *seg, const cs_unit *un)
{
    if (un->speaker)
        return seg->speaker_words > 0 ? seg->speaker_words : 1;
    for (uint32_t k = 0; k < LABEL_WORDS_MAX && k + 1 < seg->n_words; k++) {
        const char *w = seg->words[k].text;
        size_t len = strlen(w);
        if (len < 2 || w[0] < 'A' || w[0] > 'Z')
            return 0;
        if (w[len - 1] == ':')
            return k > 0 ? k + 1 : 0; /* one word: the units' rule decided */
    }
    return 0;
}

/* The speaker's label without its colon ("Kerry", "Mrs Okonjo"), or "They"
 * when the segment names no one. A label the units did not take for one
 * is words of the line when it opens it (`as_words`): marked where the
 * transcriber was unsure of them, as tidy marks them. */
static void append_speaker(cs_buf *b, struct marks *m, const casescribe_transcript *t, const cs_segment *seg,
                           uint32_t n, int as_words)
{
    if (n == 0) {
        cs_buf_printf(b, "They");
        return;
    }
    for (uint32_t k = 0; k < n; k++) {
        const char *w = seg->words[k].text;
        size_t len = strlen(w), at = b->len + (k ? 1 : 0);
        if (k + 1 == n && len > 0 && w[len - 1] == ':')
            len--;
        cs_buf_printf(b, "%s%.*s", k ? " " : "", (int)len, w);
        if (!b->failed && as_words && len > 0 && cs_word_unsure(t, &seg->words[k]))
            mark(m, at, len);
    }
}

/* A function word that opens the turn ("The", "It") reads as part of the
 * line after "said"; a name ("Mia") keeps its capital. */
static void lower_opening(cs_buf *b, size_t first)
{
    size_t end = first;
    while (!b->failed && end < b->len && b->data[end] != ' ')
        end++;
    char term[TERM_MAX];
    cs_search_term(term, sizeof(term), b->data + first, end - first);
    if (!b->failed && end > first + 1 && term[0] == '\0' && b->data[first] >= 'A' && b->data[first] <= 'Z')
        b->data[first] = (char)(b->data[first] - 'A' + 'a');
}

/* A line of one speaker in reported speech, the record's style: Kerry said
 * they have agreed a payment plan with the housing officer. The speaker's
 * label (or "They"), the fixed word "said", and the unit's words, tidied
 * as tidy does, with person changed as in cs_render_answer. Unsure words
 * are marked where the rendering put them. NULL on ENOMEM. */
static char *render_reported(const casescribe_transcript *t, const cs_segment *seg, const cs_unit *un,
                             char **unsure)
{
    uint32_t label = label_words(seg, un);
    cs_unit words = *un;
    words.w0 = words.w0 > label ? words.w0 : label;
    if (words.w0 >= words.w1)
        return tidy(t, seg, un, unsure); /* nothing said but the label */
    cs_buf b = {0};
    struct marks m;
    m.n = 0;
    *unsure = NULL;
    append_speaker(&b, &m, t, seg, label, !un->speaker && un->w0 == 0);
    cs_buf_printf(&b, " said ");
    size_t first = b.len;
    append_unit(&b, &m, t, &words, 1);
    lower_opening(&b, first);
    sentence_capitals(&b, first, 0);
    end_line(&b, &m);
    return take_line(&b, &m, unsure);
}

/* A short answer with the question that gives it meaning, attributed, the
 * answer in reported speech: Asked "have you got a pendant alarm", Harold
 * said no they don't want one of them. Only the transcript's words, less
 * fillers, with person changed, and the fixed words Asked, said and the
 * quotes. NULL on ENOMEM. */
char *cs_render_answer(const casescribe_transcript *t, const cs_unit *question, const cs_unit *answer,
                       char **unsure)
{
    cs_buf b = {0};
    struct marks m;
    m.n = 0;
    *unsure = NULL;
    cs_buf_printf(&b, "Asked \"");
    append_unit(&b, &m, t, question, 0);
    cs_buf_printf(&b, "\", ");
    const cs_segment *seg = &t->segments[answer->seg];
    const char *label = answer->speaker ? seg->words[0].text : "they:";
    cs_buf_printf(&b, "%.*s said ", (int)(strlen(label) - 1), label);
    append_unit(&b, &m, t, answer, 1);
    end_line(&b, &m);
    return take_line(&b, &m, unsure);
}

struct pick {
    size_t unit;
    double score;
};

static int by_score_desc(const void *a, const void *b)
{
    double x = ((const struct pick *)a)->score, y = ((const struct pick *)b)->score;
    return (x < y) - (x > y);
}

static int by_unit(const void *a, const void *b)
{
    size_t x = ((const struct pick *)a)->unit, y = ((const struct pick *)b)->unit;
    return (x > y) - (x < y);
}

/* How many sentences a section may take: the caller's cap, or (0) one
 * that grows with the transcript, a long visit saying more per section
 * than a short one. */
static size_t section_cap(const struct index *ix, const casescribe_template *tpl, uint32_t max_sentences)
{
    if (max_sentences > 0)
        return max_sentences;
    size_t drafted = 0;
    for (size_t s = 0; s < tpl->n_sections; s++)
        drafted += !tpl->sections[s].never;
    size_t cap = ix->n_units / (drafted ? drafted : 1);
    return cap < ADAPTIVE_MIN ? ADAPTIVE_MIN : cap > ADAPTIVE_MAX ? ADAPTIVE_MAX : cap;
}

/* A unit that may be drafted: not a bare question, not the worker's
 * judgement, not an instruction to whoever writes the record. */
static int draftable(const cs_unit *un)
{
    return !un->question && !un->opinion && !un->instruction;
}

/* Unit v may join u's line: same turn, draftable and some content ("Come
 * in." has none). */
static int goes_with(const struct index *ix, size_t v, size_t u)
{
    return ix->units[v].seg == ix->units[u].seg && draftable(&ix->units[v]) && ix->content[v] > 0;
}

/* The turn around unit u that goes with it into its line: the draftable
 * units of its segment next to it, whatever section they are evidence for
 * too. A speaker's turn keeps to the topic it opened with ("I want to move
 * back to Mum's. Like, properly, not just weekends."), and the sentences
 * a transcriber cut it into say little apart, so the fact said over two of
 * them stays whole; a sentence that is evidence for another section is
 * drafted there as well. Judgement and steering still end the line. */
static cs_unit turn_of(const struct index *ix, size_t u, size_t *first, size_t *last)
{
    *first = *last = u;
    while (*first > 0 && goes_with(ix, *first - 1, u) && ix->units[*first].answer != 1)
        (*first)--;
    while (*last + 1 < ix->n_units && goes_with(ix, *last + 1, u))
        (*last)++;
    cs_unit turn = ix->units[u];
    turn.w0 = ix->units[*first].w0;
    turn.w1 = ix->units[*last].w1;
    return turn;
}

/* One drafted line: the unit's turn tidied, or a short answer with its
 * question. */
static int32_t write_line(cs_draft_section *ds, const struct index *ix, size_t u, size_t *done)
{
    size_t first, last;
    cs_unit turn = turn_of(ix, u, &first, &last);
    const cs_unit *asked = u > 0 ? &ix->units[u - 1] : NULL; /* never a steering or judgement question */
    int paired = ix->units[u].answer == 1 && first == u && last == u && ix->content[u] < PAIR_BELOW &&
                 !asked->opinion && !asked->instruction;
    if (paired)
        first = u - 1; /* the question is in this line too */
    if (*done != SIZE_MAX && first <= *done)
        return CASESCRIBE_OK; /* already in the line before */
    *done = last;
    const cs_unit *un = &turn;
    const cs_segment *seg = &ix->t->segments[un->seg];
    const cs_unit *from = paired ? &ix->units[u - 1] : un;
    const cs_segment *opening = &ix->t->segments[from->seg];
    char *unsure = NULL, segments[32];
    char *text = paired                          ? cs_render_answer(ix->t, from, un, &unsure)
                 : ix->reported && !un->worker ? render_reported(ix->t, seg, un, &unsure)
                                               : tidy(ix->t, seg, un, &unsure);
    if (text == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory drafting");
    if (paired)
        snprintf(segments, sizeof(segments), "%u %u", (unsigned)from->seg + 1, (unsigned)un->seg + 1);
    else
        snprintf(segments, sizeof(segments), "%u", (unsigned)un->seg + 1);
    int32_t rc = cs_draft_add(ds, text, segments, unsure, opening->words[from->w0].start_ms,
                              seg->words[un->w1 - 1].end_ms, NULL);
    free(text);
    free(unsure);
    return rc;
}

/* The section's best picks, at most `cap`, none far weaker than the best,
 * in the order they were said. */
static int32_t write_section(cs_draft *d, const struct index *ix, const char *id, struct pick *picks,
                             size_t n, size_t cap)
{
    qsort(picks, n, sizeof(*picks), by_score_desc);
    size_t keep = 0;
    while (keep < n && keep < cap && picks[keep].score >= RELATIVE_SCORE * picks[0].score)
        keep++;
    qsort(picks, keep, sizeof(*picks), by_unit); /* in the order they were said */
    cs_draft_section *ds = cs_draft_section_get(d, id);
    if (ds == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory drafting");
    int32_t rc = CASESCRIBE_OK;
    size_t done = SIZE_MAX;
    for (size_t i = 0; i < keep && rc == CASESCRIBE_OK; i++)
        rc = write_line(ds, ix, picks[i].unit, &done);
    return rc;
}

/* Scores every unit against every section, and counts its content terms. */
static int32_t score_all(struct index *ix, const casescribe_template *tpl, double **out, const casescribe_job *job)
{
    size_t ns = tpl->n_sections ? tpl->n_sections : 1;
    *out = malloc((ix->n_units ? ix->n_units : 1) * ns * sizeof(**out));
    ix->content = malloc((ix->n_units ? ix->n_units : 1) * sizeof(*ix->content));
    if (*out == NULL || ix->content == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory drafting");
    for (size_t u = 0; u < ix->n_units; u++) {
        if ((u & 1023) == 0 && cs_job_cancelled(job))
            return cs_fail(CASESCRIBE_ECANCELLED, "the fill job was cancelled");
        for (size_t s = 0; s < tpl->n_sections; s++)
            (*out)[u * ns + s] = score(ix, u, &ix->queries[s], &ix->content[u]);
    }
    return CASESCRIBE_OK;
}

/* The unit before u whose topic u takes: the question an answering turn
 * answers, else the unit just before; SIZE_MAX for none. */
static size_t context_of(const struct index *ix, size_t u)
{
    size_t before = u;
    while (before > 0 && ix->units[before].answer == 2)
        before--;
    return before > 0 ? before - 1 : SIZE_MAX;
}

/* How well unit u matches section s: its own words, and the topic of the
 * turn before it (all of it for an answer to that turn's question). */
static double combined(const struct index *ix, size_t ns, const double *own, size_t u, size_t s)
{
    double w = ix->units[u].answer ? ANSWER_CONTEXT : TURN_CONTEXT;
    size_t before = context_of(ix, u);
    return own[u * ns + s] + (before != SIZE_MAX ? w * own[before * ns + s] : 0);
}

/* The section a unit is evidence for, SIZE_MAX for none: the best match,
 * when the unit may be drafted and says enough. */
static size_t best_section(const struct index *ix, const casescribe_template *tpl, const double *own, size_t u,
                           double *best_score)
{
    size_t ns = tpl->n_sections, best = SIZE_MAX;
    *best_score = 0;
    for (size_t s = 0; s < ns; s++) {
        double sc = combined(ix, ns, own, u, s);
        if (sc > *best_score) {
            *best_score = sc;
            best = s;
        }
    }
    size_t terms = ix->content[u] + (ix->units[u].answer == 1 ? ix->content[u - 1] : 0);
    if (!draftable(&ix->units[u]) || terms < MIN_CONTENT_TERMS || *best_score < MIN_SCORE)
        best = SIZE_MAX;
    return best;
}

/* A second draft section the unit is as much evidence for as its best
 * (NEAR_TIE), SIZE_MAX for none: words can tell two sections apart no
 * better than that ("I've used all my leave on his appointments" is the
 * caring role and the carer's own outcomes), and a sentence left out of
 * the section it belongs in is lost to the worker, while one drafted in
 * both is cited in each and crossed out in review. */
static size_t second_section(const struct index *ix, const casescribe_template *tpl, const double *own, size_t u,
                             size_t best, double best_score, double *second_score)
{
    size_t ns = tpl->n_sections, second = SIZE_MAX;
    *second_score = 0;
    for (size_t s = 0; best != SIZE_MAX && s < ns; s++) {
        double sc = combined(ix, ns, own, u, s);
        if (s != best && !tpl->sections[s].never && sc > *second_score) {
            *second_score = sc;
            second = s;
        }
    }
    return second != SIZE_MAX && *second_score >= NEAR_TIE * best_score ? second : SIZE_MAX;
}

/* The units that are evidence for section s, with their scores: those it
 * is the best section of, and those it is a near-tied second of. */
static size_t section_picks(const struct index *ix, size_t s, const size_t *second, const double *scores,
                            struct pick *picks)
{
    size_t n = 0;
    for (size_t u = 0; u < ix->n_units; u++)
        if (ix->best[u] == s)
            picks[n++] = (struct pick){u, scores[2 * u]};
        else if (second[u] == s)
            picks[n++] = (struct pick){u, scores[2 * u + 1]};
    return n;
}

/* Each unit goes to the section it matches best, if that is a draft
 * section and the match is strong enough, and to a second draft section
 * that matches it as well (second_section); one that reads as
 * professional judgement is left alone. */
static int32_t assign(cs_draft *d, struct index *ix, const casescribe_template *tpl, uint32_t max_sentences,
                      const casescribe_job *job)
{
    size_t n_units = ix->n_units ? ix->n_units : 1;
    size_t *best = malloc(n_units * sizeof(*best)), *second = malloc(n_units * sizeof(*second));
    double *scores = malloc(2 * n_units * sizeof(*scores)), *own = NULL; /* per unit: best, second */
    struct pick *picks = malloc(n_units * sizeof(*picks));
    int32_t rc = best == NULL || second == NULL || scores == NULL || picks == NULL
                     ? cs_fail(CASESCRIBE_ENOMEM, "out of memory drafting")
                     : score_all(ix, tpl, &own, job);
    for (size_t u = 0; rc == CASESCRIBE_OK && u < ix->n_units; u++) {
        best[u] = best_section(ix, tpl, own, u, &scores[2 * u]);
        second[u] = second_section(ix, tpl, own, u, best[u], scores[2 * u], &scores[2 * u + 1]);
    }
    ix->best = best;
    size_t cap = section_cap(ix, tpl, max_sentences);
    for (size_t s = 0; rc == CASESCRIBE_OK && s < tpl->n_sections; s++) {
        if (tpl->sections[s].never)
            continue;
        size_t n = section_picks(ix, s, second, scores, picks);
        if (n == 0)
            cs_buf_printf(&d->report, "%s: nothing in the transcript matched it\n", tpl->sections[s].id);
        else
            rc = write_section(d, ix, tpl->sections[s].id, picks, n, cap);
    }
    free(own);
    free(best);
    free(second);
    free(scores);
    free(picks);
    return rc;
}

/* "at 00:12:31" for a time in the recording, "" when unknown. */
static void at_time(char *out, size_t cap, int64_t ms)
{
    if (ms < 0)
        snprintf(out, cap, "%s", "");
    else
        snprintf(out, cap, " (at %02lld:%02lld:%02lld)", (long long)(ms / 3600000), (long long)(ms / 60000 % 60),
                 (long long)(ms / 1000 % 60));
}

int32_t cs_fill_flags(cs_draft *d, const casescribe_template *tpl, const casescribe_transcript *t)
{
    cs_unit *units = NULL;
    size_t n = 0;
    int32_t rc = cs_units_of(&units, &n, t);
    if (rc != CASESCRIBE_OK)
        return rc;
    cs_buf never = {0};
    cs_buf_printf(&never, "%s", "");
    for (size_t s = 0; s < tpl->n_sections; s++)
        if (tpl->sections[s].never)
            cs_buf_printf(&never, "%s%s", never.len ? ", " : "", tpl->sections[s].id);
    for (size_t u = 0; u < n && !never.failed; u++) {
        const cs_segment *seg = &t->segments[units[u].seg];
        char when[40];
        at_time(when, sizeof(when), seg->words[units[u].w0].start_ms);
        if (units[u].instruction)
            cs_buf_printf(&d->report, "possible attempt to steer the record: segment %u%s, not drafted\n",
                          (unsigned)units[u].seg + 1, when);
        else if (units[u].opinion && never.len > 0)
            cs_buf_printf(&d->report, "the worker's own words, offered for %s: segment %u%s\n", never.data,
                          (unsigned)units[u].seg + 1, when);
    }
    rc = never.failed || d->report.failed ? cs_fail(CASESCRIBE_ENOMEM, "out of memory drafting") : CASESCRIBE_OK;
    cs_buf_free(&never);
    free(units);
    return rc;
}

int32_t cs_fill_extractive(cs_draft *d, const casescribe_template *tpl, const casescribe_transcript *t,
                           uint32_t max_sentences, uint32_t style, const casescribe_job *job)
{
    struct index ix;
    memset(&ix, 0, sizeof(ix));
    ix.t = t;
    ix.reported = style == CASESCRIBE_FILL_STYLE_REPORTED;
    char settings[512];
    snprintf(settings, sizeof(settings),
             "bm25 k1=%.1f b=%.2f min-score=%.1f context=%.1f/%.1f near-tie=%.2f max-sentences=%u (0: adaptive); "
             "template %s v%u; "
             "transcript by %.100s %.60s (%.60s)%s",
             K1, B, MIN_SCORE, ANSWER_CONTEXT, TURN_CONTEXT, NEAR_TIE, (unsigned)max_sentences, tpl->id, (unsigned)tpl->version,
             t->engine, t->version,
             t->model, ix.reported ? "; style reported speech" : "");
    d->engine = cs_strdup(CS_EXTRACTIVE_ENGINE);
    d->model = cs_strdup("bm25-sentences");
    d->version = cs_strdup(CASESCRIBE_VERSION_STRING);
    d->settings = cs_strdup(settings);
    if (d->engine == NULL || d->model == NULL || d->version == NULL || d->settings == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory drafting");
    int32_t rc = build_index(&ix, tpl);
    if (rc == CASESCRIBE_OK)
        rc = assign(d, &ix, tpl, max_sentences, job);
    index_free(&ix, tpl->n_sections);
    return rc;
}
