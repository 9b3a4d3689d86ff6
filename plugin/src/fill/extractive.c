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
#define MIN_SCORE 1.5     /* tuned on the labelled corpus (make bench): 2.5 gave 30.6% recall, 3.5 21.6% */
#define MIN_CONTENT_TERMS 2 /* "Yeah, fine." says nothing a section needs */
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
};

static void index_free(struct index *ix, size_t n_sections)
{
    free(ix->units);
    free(ix->vocab.terms);
    free(ix->terms);
    free(ix->offsets);
    free(ix->idf);
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

/* The unit's words, tidied: fillers and stutters ("I I") out, the first
 * letter capitalised, a full stop when it has none, and the speaker's
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
    if (un->speaker)
        cs_buf_printf(&b, "%s ", seg->words[0].text);
    size_t first = b.len;
    const char *prev = NULL;
    for (uint32_t w = un->w0; w < un->w1; w++) {
        const char *word = seg->words[w].text;
        if (cs_is_filler(word) || (prev != NULL && same_word(prev, word) && w + 1 < un->w1))
            continue;
        cs_buf_printf(&b, "%s", b.len > first ? " " : "");
        if (!b.failed && word[0] != '\0' && cs_word_unsure(t, &seg->words[w]))
            mark(&m, b.len, strlen(word));
        cs_buf_printf(&b, "%s", word);
        prev = word;
    }
    if (!b.failed && b.len > first && b.data[first] >= 'a' && b.data[first] <= 'z')
        b.data[first] = (char)(b.data[first] - 'a' + 'A');
    if (!b.failed && b.len > first) {
        char last = b.data[b.len - 1];
        if (last == ',' || last == ';' || last == ':')
            b.data[--b.len] = '\0';
        marks_trim(&m, b.len);
        last = b.len > 0 ? b.data[b.len - 1] : '.';
        if (last != '.' && last != '?' && last != '!' && last != '"' && last != '\'')
            cs_buf_printf(&b, ".");
    }
    char *out = cs_buf_take(&b);
    cs_buf_free(&b);
    if (out != NULL && marks_text(unsure, &m) != 0) {
        free(out);
        out = NULL;
    }
    return out;
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

static int32_t write_section(cs_draft *d, const struct index *ix, const char *id, struct pick *picks, size_t n,
                             uint32_t max_sentences)
{
    qsort(picks, n, sizeof(*picks), by_score_desc);
    if (n > max_sentences)
        n = max_sentences;
    qsort(picks, n, sizeof(*picks), by_unit); /* in the order they were said */
    cs_draft_section *ds = cs_draft_section_get(d, id);
    if (ds == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory drafting");
    for (size_t i = 0; i < n; i++) {
        const cs_unit *un = &ix->units[picks[i].unit];
        const cs_segment *seg = &ix->t->segments[un->seg];
        char *unsure = NULL, *text = tidy(ix->t, seg, un, &unsure), segments[16];
        if (text == NULL)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory drafting");
        snprintf(segments, sizeof(segments), "%u", (unsigned)un->seg + 1);
        int32_t rc = cs_draft_add(ds, text, segments, unsure, seg->words[un->w0].start_ms,
                                  seg->words[un->w1 - 1].end_ms, NULL);
        free(text);
        free(unsure);
        if (rc != CASESCRIBE_OK)
            return rc;
    }
    return CASESCRIBE_OK;
}

/* Each unit goes to the one section it matches best, if that is a draft
 * section and the match is strong enough: a sentence is evidence for one
 * section, and one that reads as professional judgement is left alone. */
static int32_t assign(cs_draft *d, const struct index *ix, const casescribe_template *tpl, uint32_t max_sentences,
                      const casescribe_job *job)
{
    size_t *best = malloc((ix->n_units ? ix->n_units : 1) * sizeof(*best));
    double *best_score = malloc((ix->n_units ? ix->n_units : 1) * sizeof(*best_score));
    struct pick *picks = malloc((ix->n_units ? ix->n_units : 1) * sizeof(*picks));
    int32_t rc = best == NULL || best_score == NULL || picks == NULL
                     ? cs_fail(CASESCRIBE_ENOMEM, "out of memory drafting")
                     : CASESCRIBE_OK;
    for (size_t u = 0; rc == CASESCRIBE_OK && u < ix->n_units; u++) {
        if ((u & 1023) == 0 && cs_job_cancelled(job))
            rc = cs_fail(CASESCRIBE_ECANCELLED, "the fill job was cancelled");
        best[u] = SIZE_MAX;
        best_score[u] = 0;
        size_t content = 0;
        for (size_t s = 0; s < tpl->n_sections; s++) {
            double sc = score(ix, u, &ix->queries[s], &content);
            if (sc > best_score[u]) {
                best_score[u] = sc;
                best[u] = s;
            }
        }
        if (ix->units[u].question || content < MIN_CONTENT_TERMS || best_score[u] < MIN_SCORE)
            best[u] = SIZE_MAX;
    }
    for (size_t s = 0; rc == CASESCRIBE_OK && s < tpl->n_sections; s++) {
        if (tpl->sections[s].never)
            continue;
        size_t n = 0;
        for (size_t u = 0; u < ix->n_units; u++)
            if (best[u] == s)
                picks[n++] = (struct pick){u, best_score[u]};
        if (n == 0)
            cs_buf_printf(&d->report, "%s: nothing in the transcript matched it\n", tpl->sections[s].id);
        else
            rc = write_section(d, ix, tpl->sections[s].id, picks, n, max_sentences);
    }
    free(best);
    free(best_score);
    free(picks);
    return rc;
}

int32_t cs_fill_extractive(cs_draft *d, const casescribe_template *tpl, const casescribe_transcript *t,
                           uint32_t max_sentences, const casescribe_job *job)
{
    struct index ix;
    memset(&ix, 0, sizeof(ix));
    ix.t = t;
    char settings[512];
    snprintf(settings, sizeof(settings),
             "bm25 k1=%.1f b=%.2f min-score=%.1f max-sentences=%u; template %s v%u; transcript by %.100s %.60s "
             "(%.60s)",
             K1, B, MIN_SCORE, (unsigned)max_sentences, tpl->id, (unsigned)tpl->version, t->engine, t->version,
             t->model);
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
