/* SPDX-License-Identifier: Apache-2.0 */
/* bench_launder.c - `make bench`: how well the laundering check catches AI
 * text saved as a worker's own, and how often it refuses a worker's own
 * note. Everything goes through casescribe_save on one fresh home.
 *
 * The corpus is generated here, from a fixed seed (the same texts every
 * run; the home's fingerprint secret is new each run, so the sketches, and
 * the rates by a few texts, differ):
 *   - background: 400 human notes built from the same sentence patterns as
 *     the AI drafts, each holding one of a few 19-word stock sentences,
 *     saved first (what a home holds before the AI drafts);
 *   - AI drafts of 34-45 words (four pattern sentences, half of them with a
 *     stock sentence), saved as ai-draft; the names, feelings, activities,
 *     places, days and things each used are recorded (its visit);
 *   - each draft then comes back as human text in another record:
 *       light    two words swapped for synonyms, case and punctuation changed
 *       heavy    most verbs swapped for synonyms and ~30% of the other words
 *                replaced by fillers (about a third in all), the second half
 *                of the words put first, and a pattern sentence of the
 *                worker's own added
 *       unicode  Cyrillic look-alikes, combining or precomposed accents, or
 *                full-width letters (one trick per text, or all at once)
 *       split    the text cut into human sections of 6-11 words of one form
 *   - human notes: 800 fresh notes from the same patterns and stock
 *     sentences, with other slot values (another visit, the same wording);
 *   - own words: 600 notes, five per draft's visit, in other sentence
 *     patterns with the SAME people, places and things as the draft (the
 *     same facts, the worker's own wording), often with a stock sentence.
 * Prints, per class, the percentiles of every estimate the grade decides on
 * (against the draft an edit came from; for a note, the highest against any
 * draft), then the detection rate per edited class (refused: ELAUNDER,
 * whether as a copy or as text derived from AI that must be saved
 * ai-reviewed) and the false refusal rate of both human classes. Goals
 * (issue #17): unicode 100%, heavy >= 90%, false refusals <= 0.5%: printed
 * as met or MISSED (exit status 0; with --check, 1 when MISSED: the test
 * tests/e2e/launder.sh). LAUNDER_DUMP=file also writes every
 * estimate per text and draft, under other weightings too, for reading
 * thresholds off offline. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casescribe.h"
#include "context.h"
#include "store/store.h"
#include "provenance/fingerprint.h"

#define DRAFTS 120
#define BACKGROUND 400
#define HUMAN 800
#define OWN 600 /* own-words notes: five per draft's visit */
#define TEXT_MAX 4096

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}
static int pick(int n)
{
    return (int)(next_rand() % (uint32_t)n);
}

#define N_OF(a) ((int)(sizeof(a) / sizeof(a[0])))
static const char *names[] = {"Sam", "Jo", "Alex", "Priya", "Tom", "Aisha", "Ben", "Chloe", "Daniel", "Ewa",
                              "Femi", "Grace", "Hassan", "Isla", "Jack", "Kasia", "Leo", "Maya", "Noah", "Olivia"};
static const char *feelings[] = {"calm", "anxious", "cheerful", "tired", "upset", "settled", "withdrawn",
                                 "talkative", "worried", "relaxed", "angry", "hopeful", "quiet", "confident"};
static const char *activities[] = {"football practice", "the youth club", "swimming lessons", "the breakfast club",
                                   "art therapy", "the reading group", "drama classes", "the homework club",
                                   "cooking lessons", "the play scheme", "music lessons", "the gardening project"};
static const char *places[] = {"the kitchen", "the garden", "the living room", "the bedroom", "the school office",
                               "the family centre", "the park", "the library", "the clinic", "the front door"};
static const char *days[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
static const char *things[] = {"the housing letter", "the school report", "a new bike", "the rent arrears",
                               "the medication", "a broken window", "the contact plan", "the GP appointment",
                               "the benefits form", "a birthday party", "the bus pass", "the damp in the flat"};
static const char *patterns[] = {
    "%N said that they had been %F since %D and that %A helped a lot.",
    "We met in %L where %N talked about %T and seemed %F.",
    "%N showed me %T and explained that it had worried them on %D.",
    "On %D %N went to %A for the first time and came back %F.",
    "%N asked whether %A could continue after %T is sorted out.",
    "In %L %N was %F and spoke openly about %T with me.",
    "%N told me that %T had changed how they feel about %A.",
    "The family agreed that %N will attend %A every %D from now on.",
    "%N appeared %F when we discussed %T in %L this afternoon.",
    "I noticed that %N was %F at first but relaxed once we reached %L.",
};
/* How a worker puts the same kind of visit in their own words: other
 * phrasings, the same kinds of people, places and things. */
static const char *own_patterns[] = {
    "Visited %N at home on %D; %N was %F and keen to tell me about %A.",
    "%N and I sat in %L and went through %T together.",
    "Mum raised %T again, which %N finds hard, and %N was %F while we talked.",
    "Plan: %N keeps going to %A and I will chase %T before %D.",
    "%N was %F when I arrived and showed me round %L.",
    "We talked about how %A is going for %N and what happens with %T.",
    "%T is still not resolved and the family feel %F about it.",
    "Next visit booked for %D, when %N wants to tell me more about %A.",
    "%N was %F in %L today, mainly because of %T.",
    "Dad says %N has been going to %A since %D and enjoys it.",
};
static const char *stock[] = {
    "I explained my role and the purpose of the visit and checked that everyone understood what would happen next.",
    "Consent to record the visit was given and I explained how the recording will be stored and when it is deleted.",
    "I reminded the family that they can contact the duty team at any time if they have concerns before my next visit.",
    "The home was clean and warm on arrival and there were no immediate safety concerns observed during the visit.",
};
static const char *fillers[] = {"really", "quite", "also", "then", "perhaps", "clearly", "mostly", "again",
                                "today", "later", "still", "briefly", "somewhat", "openly", "gently"};
static const char *synonyms[][2] = {{"said", "mentioned"}, {"talked", "spoke"}, {"seemed", "looked"},
                                    {"worried", "troubled"}, {"helped", "supported"}, {"asked", "wondered"},
                                    {"told", "informed"}, {"agreed", "decided"}, {"appeared", "looked"},
                                    {"noticed", "saw"}, {"showed", "gave"}, {"explained", "described"}};

/* The slot values a draft used (recorded while it is generated), so that a
 * worker's own note about the same visit can name the same people, places
 * and things. Slots: N F A L D T. */
#define SLOTS "NFALDT"
typedef struct {
    char v[6][8][64];
    int n[6];
} visit;
static visit *recording;     /* where sentence() records the values it picks */
static const visit *reusing; /* where sentence() takes its values from */

static const char *fresh_value(char slot)
{
    static char name[64]; /* a first name and an initial: 520 people */
    switch (slot) {
    case 'N':
        snprintf(name, sizeof(name), "%s %c.", names[pick(N_OF(names))], 'A' + pick(26));
        return name;
    case 'F': return feelings[pick(N_OF(feelings))];
    case 'A': return activities[pick(N_OF(activities))];
    case 'L': return places[pick(N_OF(places))];
    case 'D': return days[pick(N_OF(days))];
    case 'T': return things[pick(N_OF(things))];
    }
    return "";
}

static const char *slot_value(char slot)
{
    const char *at = strchr(SLOTS, slot);
    int k = at != NULL ? (int)(at - SLOTS) : -1;
    if (k >= 0 && reusing != NULL && reusing->n[k] > 0)
        return reusing->v[k][pick(reusing->n[k])];
    const char *v = fresh_value(slot);
    if (k >= 0 && recording != NULL && recording->n[k] < 8)
        snprintf(recording->v[k][recording->n[k]++], sizeof(recording->v[k][0]), "%s", v);
    return v;
}

/* One pattern sentence with its slots filled. */
static void sentence(char *out, size_t n, const char *pat)
{
    size_t w = 0;
    for (const char *p = pat; *p && w + 1 < n; p++) {
        if (*p != '%') {
            out[w++] = *p;
            continue;
        }
        w += (size_t)snprintf(out + w, n - w, "%s", slot_value(*++p));
        if (w >= n)
            w = n - 1;
    }
    out[w] = '\0';
}

/* A note: `k` pattern sentences, and a stock sentence when asked. */
static void note(char *out, size_t n, int k, int with_stock)
{
    out[0] = '\0';
    int at = with_stock ? pick(k + 1) : -1;
    for (int i = 0; i <= k; i++) {
        char s[512];
        if (i == at)
            snprintf(s, sizeof(s), "%s", stock[pick(N_OF(stock))]);
        else if (i < k)
            sentence(s, sizeof(s), patterns[pick(N_OF(patterns))]);
        else
            continue;
        strncat(out, out[0] ? " " : "", n - strlen(out) - 1);
        strncat(out, s, n - strlen(out) - 1);
    }
}

static size_t count_words(const char *t)
{
    size_t n = 0;
    for (const char *p = t; *p; p++)
        n += (*p != ' ' && (p == t || p[-1] == ' '));
    return n;
}

/* A worker's own note about the visit `v` (the same people, places and
 * things): 3-5 sentences in their own words, and often a stock sentence. */
static void own_note(char *out, size_t n, const visit *v)
{
    int k = 3 + pick(3), at = pick(3) > 0 ? pick(k + 1) : -1;
    out[0] = '\0';
    reusing = v;
    for (int i = 0; i <= k; i++) {
        char s[512];
        if (i == at)
            snprintf(s, sizeof(s), "%s", stock[pick(N_OF(stock))]);
        else if (i < k)
            sentence(s, sizeof(s), own_patterns[pick(N_OF(own_patterns))]);
        else
            continue;
        strncat(out, out[0] ? " " : "", n - strlen(out) - 1);
        strncat(out, s, n - strlen(out) - 1);
    }
    reusing = NULL;
}

/* An AI draft of 34-45 words. */
static void ai_draft(char *out, size_t n)
{
    do {
        if (recording != NULL)
            memset(recording, 0, sizeof(*recording));
        note(out, n, 3 + pick(2), pick(2));
    } while (count_words(out) < 34 || count_words(out) > 45);
}

static void copy_text(char *dst, size_t n, const char *src)
{
    size_t len = strnlen(src, n - 1);
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* Words of a text, split on spaces, into a caller's array. */
static int split(char *text, char *words[], int max)
{
    int n = 0;
    for (char *w = strtok(text, " "); w != NULL && n < max; w = strtok(NULL, " "))
        words[n++] = w;
    return n;
}

static void join(char *out, size_t n, char *words[], int count)
{
    out[0] = '\0';
    for (int i = 0; i < count; i++) {
        strncat(out, i ? " " : "", n - strlen(out) - 1);
        strncat(out, words[i], n - strlen(out) - 1);
    }
}

static const char *synonym_of(const char *w)
{
    for (int i = 0; i < N_OF(synonyms); i++)
        if (strcmp(w, synonyms[i][0]) == 0)
            return synonyms[i][1];
    return NULL;
}

static void light_edit(char *out, size_t n, const char *in)
{
    char copy[TEXT_MAX], *w[128];
    copy_text(copy, sizeof(copy), in);
    int k = split(copy, w, 128), done = 0;
    for (int i = 0; i < k && done < 2; i++) {
        const char *s = synonym_of(w[i]);
        if (s != NULL) {
            w[i] = (char *)s;
            done++;
        }
    }
    join(out, n, w, k);
    for (char *p = out; *p; p++)
        if (*p == '.' && p[1] == ' ')
            *p = ';'; /* punctuation */
    out[0] = (char)(out[0] >= 'a' && out[0] <= 'z' ? out[0] - 32 : out[0]);
}

static void heavy_edit(char *out, size_t n, const char *in)
{
    char copy[TEXT_MAX], *w[160];
    copy_text(copy, sizeof(copy), in);
    int k = split(copy, w, 120);
    for (int i = 0; i < k; i++) {
        const char *s = synonym_of(w[i]);
        if (s != NULL && pick(10) < 8)
            w[i] = (char *)s;
        else if (pick(100) < 30)
            w[i] = (char *)fillers[pick(N_OF(fillers))];
    }
    /* sentence order reversed: the second half of the words first */
    char *r[160];
    int half = k / 2, m = 0;
    for (int i = half; i < k; i++)
        r[m++] = w[i];
    for (int i = 0; i < half; i++)
        r[m++] = w[i];
    char own[512];
    sentence(own, sizeof(own), patterns[pick(N_OF(patterns))]);
    join(out, n, r, m);
    strncat(out, " ", n - strlen(out) - 1);
    strncat(out, own, n - strlen(out) - 1);
}

/* Look-alikes: Cyrillic for a c e o p x y i; accents; full-width. */
static void unicode_edit(char *out, size_t n, const char *in, int trick)
{
    static const char *cyr[26] = {['a' - 'a'] = "\xd0\xb0", ['c' - 'a'] = "\xd1\x81", ['e' - 'a'] = "\xd0\xb5",
                                  ['o' - 'a'] = "\xd0\xbe", ['p' - 'a'] = "\xd1\x80", ['x' - 'a'] = "\xd1\x85",
                                  ['y' - 'a'] = "\xd1\x83", ['i' - 'a'] = "\xd1\x96"};
    static const char *acute[26] = {['a' - 'a'] = "\xc3\xa1", ['e' - 'a'] = "\xc3\xa9", ['i' - 'a'] = "\xc3\xad",
                                    ['o' - 'a'] = "\xc3\xb3", ['u' - 'a'] = "\xc3\xba"};
    size_t w = 0;
    for (const char *p = in; *p && w + 8 < n; p++) {
        unsigned c = (unsigned char)*p;
        int t = trick == 4 ? pick(4) : trick;
        int lower = c >= 'a' && c <= 'z';
        if (t == 0 && lower && cyr[c - 'a'] && pick(2))
            w += (size_t)snprintf(out + w, n - w, "%s", cyr[c - 'a']);
        else if (t == 1 && lower && acute[c - 'a'] && pick(2))
            w += (size_t)snprintf(out + w, n - w, "%s", acute[c - 'a']);
        else if (t == 2 && lower && pick(2))
            w += (size_t)snprintf(out + w, n - w, "%c\xcc\x81", c); /* combining acute */
        else if (t == 3 && c > 0x20 && c < 0x7f)
            w += (size_t)snprintf(out + w, n - w, "\xef%c%c", c < 0x60 ? 0xbc : 0xbd,
                                  0x80 + (c - 0x20) % 0x40); /* U+FF01..U+FF5E */
        else
            out[w++] = (char)c;
    }
    out[w] = '\0';
}

/* ------------------------------------------------------------------------ */

static casescribe_ctx *ctx;
static casescribe_actor actor;
static long record_no;

static int32_t save_form(const char *sections)
{
    static char xml[64 * 1024];
    int n = snprintf(xml, sizeof(xml),
             "<form xmlns=\"urn:casescribe:form:1\" id=\"L-%ld\" template=\"statutory-home-visit\" team=\"cin-north\" "
             "author=\"sw-017\"><subject id=\"P-%ld\" role=\"child\"/><consent subject=\"P-%ld\" "
             "given-by=\"representative\" method=\"verbal\" capacity=\"not-assessed\" at=\"2026-01-01T10:00:00Z\" "
             "scopes=\"record-audio transcribe ai-draft\"/>%s</form>",
             record_no, record_no % 50, record_no % 50, sections);
    if (n < 0 || (size_t)n >= sizeof(xml))
        exit(2);
    record_no++;
    uint8_t *out = NULL;
    size_t len = 0;
    int32_t rc = casescribe_save(&out, &len, ctx, "xml", &actor, (const uint8_t *)xml, strlen(xml));
    casescribe_free(out);
    if (rc != CASESCRIBE_OK && rc != CASESCRIBE_ELAUNDER) {
        fprintf(stderr, "bench_launder: save failed (%d): %s\n", (int)rc, casescribe_last_error());
        exit(2);
    }
    return rc;
}

static int32_t save_one(const char *origin_attrs, const char *text)
{
    char sec[TEXT_MAX * 2];
    int n = snprintf(sec, sizeof(sec), "<section id=\"notes\" %s>%s</section>", origin_attrs, text);
    if (n < 0 || (size_t)n >= sizeof(sec))
        exit(2);
    return save_form(sec);
}

static int32_t save_split(const char *text)
{
    char copy[TEXT_MAX], *w[128], sections[TEXT_MAX * 2] = "", piece[TEXT_MAX];
    copy_text(copy, sizeof(copy), text);
    int k = split(copy, w, 128);
    for (int i = 0, s = 0; i < k; s++) {
        int len = 6 + pick(6);
        if (len > k - i)
            len = k - i;
        join(piece, sizeof(piece), w + i, len);
        char sec[TEXT_MAX];
        int n = snprintf(sec, sizeof(sec), "<section id=\"part-%d\" origin=\"human\">%s</section>", s, piece);
        if (n < 0 || (size_t)n >= sizeof(sec))
            exit(2);
        strncat(sections, sec, sizeof(sections) - strlen(sections) - 1);
        i += len;
    }
    return save_form(sections);
}

/* ------------------------------------------------------------------------
 * The measured distributions: before each save, the estimates the grade
 * decides on (cs_fingerprint_estimates, weighted by the home's index as
 * the save will see it), against the draft an edit came from, or for a
 * human note the highest against any draft. Thresholds are read off these.
 * ------------------------------------------------------------------------ */

enum { M_LIGHT, M_HEAVY, M_HUMAN, M_OWN, M_CLASSES };
/* The estimates, then the joint view the mh3 rule needs: the best pair
 * containment among drafts whose facts the text holds, and the best word
 * containment among drafts whose wording it keeps (for edits: their draft's
 * pair or word estimate when the other passes, else 0). */
enum { S_SIM, S_AIN, S_NIN, P_AIN, P_EVI, W_AIN, W_EVI, J_PAIR, J_WORD, STATS };
#define M_MAX 1024
static const char *stat_names[STATS] = {"shingle similarity", "shingle AI-in-note", "shingle note-in-AI",
                                        "pair AI-in-note",    "pair evidence",      "word AI-in-note",
                                        "word evidence",      "pair | facts",       "word | wording"};
static double measured[M_CLASSES][STATS][M_MAX];
static int n_measured[M_CLASSES];
static cs_fingerprint draft_prints[DRAFTS];

/* LAUNDER_DUMP=file: every estimate of every text against each draft it
 * is measured against, also under other weightings (word weights squared;
 * pairs weighted as words), for reading thresholds off offline. */
static FILE *dump;
static cs_store_txn *mtx; /* the read transaction a measurement weighs in */
static int n_dumped[M_CLASSES];
static double word_weight_sq(uint64_t v, const void *ix)
{
    double w = cs_store_word_weight(v, ix);
    return w * w;
}
static double word_weight_cube(uint64_t v, const void *ix)
{
    double w = cs_store_word_weight(v, ix);
    return w * w * w;
}

static void dump_row(int cls, int d, const cs_fingerprint *fp, const cs_fp_estimates *e)
{
    const cs_fp_weights alt = {cs_store_word_weight, word_weight_sq, mtx};
    cs_fp_estimates f;
    cs_fingerprint_estimates(fp, &draft_prints[d], &alt, &f);
    const cs_fp_weights df = {cs_store_weight, cs_store_weight, mtx};
    const cs_fp_weights cube = {cs_store_weight, word_weight_cube, mtx};
    cs_fp_estimates g, h;
    cs_fingerprint_estimates(fp, &draft_prints[d], &df, &g);
    cs_fingerprint_estimates(fp, &draft_prints[d], &cube, &h);
    fprintf(dump, "%d %d %d %.4f %.4f %.4f %.4f %.4f %.4f %.4f %.4f %.4f %.4f %.4f %.4f %.4f %.4f %.4f\n", cls,
            n_dumped[cls], d, e->shingle[0], e->shingle[1], e->shingle[2], e->pair, e->pair_evidence, e->word,
            e->word_evidence, f.pair, f.pair_evidence, f.word, f.word_evidence, g.word, g.word_evidence, h.word,
            h.word_evidence);
}

static void measure(int cls, const char *text, int draft)
{
    cs_fingerprint fp;
    if (n_measured[cls] >= M_MAX || cs_fingerprint_compute(&fp, ctx->fp_secret, text, strlen(text)) < 0)
        return;
    double *out = NULL, x[STATS];
    if (cs_store_begin(ctx->store, CS_STORE_READ, &mtx) != CASESCRIBE_OK)
        return;
    const cs_fp_weights weights = {cs_store_weight, cs_store_word_weight, mtx};
    for (int k = 0; k < STATS; k++)
        measured[cls][k][n_measured[cls]] = 0.0;
    for (int d = draft < 0 ? 0 : draft; d < (draft < 0 ? DRAFTS : draft + 1); d++) {
        cs_fp_estimates e;
        cs_fingerprint_estimates(&fp, &draft_prints[d], &weights, &e);
        if (dump != NULL)
            dump_row(cls, d, &fp, &e);
        int facts = e.word >= CS_FP_WORD_DERIVED && e.word_evidence >= CS_FP_WORD_MIN_EVIDENCE;
        int wording = e.pair >= CS_FP_PAIR_DERIVED && e.pair_evidence >= CS_FP_PAIR_MIN_EVIDENCE;
        double v[STATS] = {e.shingle[0], e.shingle[1],      e.shingle[2],       e.pair,          e.pair_evidence,
                           e.word,       e.word_evidence,   facts ? e.pair : 0, wording ? e.word : 0};
        memcpy(x, v, sizeof(x));
        for (int k = 0; k < STATS; k++) {
            out = &measured[cls][k][n_measured[cls]];
            *out = x[k] > *out ? x[k] : *out;
        }
    }
    cs_store_rollback(mtx);
    mtx = NULL;
    n_measured[cls]++;
    n_dumped[cls]++;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void print_distributions(void)
{
    static const char *class_names[M_CLASSES] = {"light edits", "heavy edits", "human notes", "own words"};
    static const double at[] = {0, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.5, 100};
    printf("estimates (edits: against their draft; notes: the highest against any draft), percentiles:\n");
    printf("  (mh3 rule: word >= %.2f, word evidence >= %.2f, pair >= %.3f, pair evidence >= %.2f)\n",
           CS_FP_WORD_DERIVED, CS_FP_WORD_MIN_EVIDENCE, CS_FP_PAIR_DERIVED, CS_FP_PAIR_MIN_EVIDENCE);
    printf("  %-12s %-19s", "class", "estimate");
    for (size_t q = 0; q < N_OF(at); q++)
        printf(" %5g", at[q]);
    printf("\n");
    for (int c = 0; c < M_CLASSES; c++) {
        for (int k = 0; k < STATS && n_measured[c] > 0; k++) {
            qsort(measured[c][k], (size_t)n_measured[c], sizeof(double), cmp_double);
            printf("  %-12s %-19s", class_names[c], stat_names[k]);
            for (size_t q = 0; q < N_OF(at); q++)
                printf(" %5.3f", measured[c][k][(int)(at[q] / 100.0 * (n_measured[c] - 1) + 0.5)]);
            printf("\n");
        }
    }
}

#define AI_ATTRS "origin=\"ai-draft\" engine=\"embedded:pocketsphinx\" model=\"en-us\""
#define HUMAN_ATTRS "origin=\"human\""

int main(int argc, char **argv)
{
    int check = argc == 2 && strcmp(argv[1], "--check") == 0;
    char home[] = "/tmp/cs-bench-launder-XXXXXX";
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = mkdtemp(home);
    opts.flags = CASESCRIBE_OPEN_NO_SYNC;
    if (opts.home == NULL || casescribe_ctx_open(&ctx, &opts) != CASESCRIBE_OK ||
        casescribe_keygen(NULL, ctx, 0) != CASESCRIBE_OK ||
        casescribe_team_set(ctx, "bench-admin", "cin-north", "ai-draft", "on") != CASESCRIBE_OK) {
        fprintf(stderr, "bench_launder: cannot set up a home: %s\n", casescribe_last_error());
        return 2;
    }
    if (getenv("LAUNDER_DUMP") != NULL && (dump = fopen(getenv("LAUNDER_DUMP"), "w")) == NULL)
        return 2;
    casescribe_actor_init(&actor, sizeof(actor));
    actor.user_id = "sw-017";
    char text[TEXT_MAX], edited[TEXT_MAX * 4];
    for (int i = 0; i < BACKGROUND; i++) {
        note(text, sizeof(text), 2 + pick(3), 1);
        if (save_one(HUMAN_ATTRS, text) != CASESCRIBE_OK)
            fprintf(stderr, "bench_launder: a background note was refused\n");
    }
    static char drafts[DRAFTS][TEXT_MAX];
    static visit visits[DRAFTS];
    for (int i = 0; i < DRAFTS; i++) {
        recording = &visits[i];
        ai_draft(drafts[i], sizeof(drafts[i]));
        recording = NULL;
        save_one(AI_ATTRS, drafts[i]);
        if (cs_fingerprint_compute(&draft_prints[i], ctx->fp_secret, drafts[i], strlen(drafts[i])) != 0)
            exit(2);
    }
    enum { LIGHT, HEAVY, UNICODE, SPLIT, CLASSES };
    static const char *class_names[CLASSES] = {"light edits", "heavy edits", "unicode tricks", "splits"};
    int caught[CLASSES] = {0}, tried[CLASSES] = {0};
    for (int i = 0; i < DRAFTS; i++) {
        light_edit(edited, sizeof(edited), drafts[i]);
        measure(M_LIGHT, edited, i);
        caught[LIGHT] += save_one(HUMAN_ATTRS, edited) == CASESCRIBE_ELAUNDER;
        heavy_edit(edited, sizeof(edited), drafts[i]);
        measure(M_HEAVY, edited, i);
        caught[HEAVY] += save_one(HUMAN_ATTRS, edited) == CASESCRIBE_ELAUNDER;
        unicode_edit(edited, sizeof(edited), drafts[i], i % 5);
        caught[UNICODE] += save_one(HUMAN_ATTRS, edited) == CASESCRIBE_ELAUNDER;
        caught[SPLIT] += save_split(drafts[i]) == CASESCRIBE_ELAUNDER;
        for (int c = 0; c < CLASSES; c++)
            tried[c]++;
    }
    int refused = 0, refused_own = 0;
    for (int i = 0; i < HUMAN; i++) {
        note(text, sizeof(text), 2 + pick(4), pick(3) > 0);
        measure(M_HUMAN, text, -1);
        refused += save_one(HUMAN_ATTRS, text) == CASESCRIBE_ELAUNDER;
    }
    /* Own words on the drafts' visits, from a random stream of their own
     * (the classes above see the same texts as before this class existed). */
    uint64_t main_rng = rng;
    rng = 0x2545f4914f6cdd1dull;
    for (int i = 0; i < OWN; i++) {
        own_note(text, sizeof(text), &visits[i % DRAFTS]);
        measure(M_OWN, text, -1);
        refused_own += save_one(HUMAN_ATTRS, text) == CASESCRIBE_ELAUNDER;
    }
    rng = main_rng;
    print_distributions();
    printf("laundering (%d AI drafts of 34-45 words, %d background notes):\n", DRAFTS, BACKGROUND);
    for (int c = 0; c < CLASSES; c++)
        printf("  %-15s detected %3d/%3d  %5.1f%%\n", class_names[c], caught[c], tried[c],
               100.0 * caught[c] / tried[c]);
    double fr = 100.0 * refused / HUMAN, fr_own = 100.0 * refused_own / OWN;
    printf("  human notes     refused  %3d/%3d  %5.1f%%  (false refusals)\n", refused, HUMAN, fr);
    printf("  own words       refused  %3d/%3d  %5.1f%%  (false refusals: the drafts' visits, own words)\n",
           refused_own, OWN, fr_own);
    casescribe_ctx_close(ctx);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", home);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_launder: could not remove %s\n", home);
    int ok = caught[UNICODE] == tried[UNICODE] && caught[HEAVY] * 10 >= tried[HEAVY] * 9 && fr <= 0.5 &&
             fr_own <= 0.5;
    printf("  goals (unicode 100%%, heavy >= 90%%, false refusals <= 0.5%%): %s\n", ok ? "met" : "MISSED");
    return check && !ok ? 1 : 0;
}
