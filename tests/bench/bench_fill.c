/* SPDX-License-Identifier: Apache-2.0 */
/* bench_fill.c - drafting quality on the labelled corpus (tests/fill/corpus:
 * fictional transcripts, each with the facts that belong in each section).
 *
 * For the embedded filler and for the remote path (a loopback stand-in
 * model, tests/net/chat_server.py, whose answers cite the right segments
 * and always add hostile extras), it prints per section: fact recall (a
 * fact is recalled when all its keywords are in the drafted section), the
 * share of sentences with a valid citation (existing segments, supported),
 * the unsupported-sentence rate, and AI writes to `never` sections (which
 * must be 0). Baselines, measured in the same run: the "lead" filler, which
 * takes as many sentences as the embedded one drafted, from the start of
 * the transcript (its recall is what relevance adds nothing to), and the
 * "keyword" filler, which takes as many turns holding the most words of
 * the section's title and guidance.
 *
 * On the labelled transcripts (every sentence labelled with its section,
 * or none / opinion / instruction) it also scores each drafted line by the
 * labelled sentences of its cited segments that the line holds (60% of
 * their content words): precision (the line holds a sentence of its own
 * section), misplaced (one of another section), opinion leaks, instruction
 * sentences drafted, and label recall; and from the job result, the share
 * of instruction sentences flagged with their citation and of opinion
 * sentences offered as the worker's own words. On every transcript: exact
 * citations (every cited segment exists and gives the line a word), words
 * the transcriber was unsure of left unmarked (one word in seven of the
 * transcript is made unsure), and content words of a line absent from its
 * cited segments. The goals print beside the figures. The embedded
 * filler's drafts are scored again in the reported-speech style (the same
 * lines, rendered "Kerry said they..."), beside the default in the same run.
 *
 *   bench_fill SRCDIR [CORPUS-DIR]   (make bench; a second directory, such
 *                                    as a held-out set, is scored instead) 
 */

#include <ctype.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "casescribe.h"

extern char **environ;

struct tally {
    char section[80];
    int facts, recalled, lead_recalled, key_recalled;
    int lines, correct, labelled, label_recalled;
};

struct totals {
    struct tally rows[192];
    int n_rows;
    int sentences, valid, unsupported, never_writes, facts, recalled, lead_recalled, key_recalled;
    int lines, correct, misplaced, nowhere, opinion_leaks, instructions_drafted, labelled, label_recalled;
    int instructions, instructions_flagged, opinions, opinions_offered;
    int cites, exact, unsure_words, unsure_marked, unsupported_words, words;
    double ms;
};

static struct tally *row(struct totals *t, const char *tpl, const char *section)
{
    char key[80];
    snprintf(key, sizeof(key), "%.38s/%.38s", tpl, section);
    for (int i = 0; i < t->n_rows; i++)
        if (strcmp(t->rows[i].section, key) == 0)
            return &t->rows[i];
    if (t->n_rows == (int)(sizeof(t->rows) / sizeof(*t->rows)))
        return &t->rows[t->n_rows - 1];
    struct tally *r = &t->rows[t->n_rows++];
    memset(r, 0, sizeof(*r));
    snprintf(r->section, sizeof(r->section), "%s", key);
    return r;
}

static int has_word(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = text; (p = strcasestr(p, word)) != NULL; p++) {
        int before = p == text || !((p[-1] | 0x20) >= 'a' && (p[-1] | 0x20) <= 'z');
        int after = !((p[n] | 0x20) >= 'a' && (p[n] | 0x20) <= 'z') && !(p[n] >= '0' && p[n] <= '9');
        if (before && after)
            return 1;
    }
    return 0;
}

static int fact_in(const char *text, json_t *keywords)
{
    size_t i;
    json_t *k;
    json_array_foreach(keywords, i, k) {
        if (text == NULL || !has_word(text, json_string_value(k)))
            return 0;
    }
    return 1;
}

static char *transcript_of(json_t *entry)
{
    xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlNodePtr root = xmlNewDocNode(doc, NULL, (const xmlChar *)"transcript", NULL);
    xmlDocSetRootElement(doc, root);
    xmlSetNs(root, xmlNewNs(root, (const xmlChar *)"urn:casescribe:transcript:1", NULL));
    const char *attrs[][2] = {{"made-by", "machine"}, {"engine", "fixture:corpus"}, {"engine-version", "1"},
                              {"model", "none"}, {"settings", ""}, {"source", "labelled corpus"},
                              {"unsure-below-permille", "600"}};
    for (size_t i = 0; i < 7; i++)
        xmlNewProp(root, (const xmlChar *)attrs[i][0], (const xmlChar *)attrs[i][1]);
    size_t i;
    json_t *seg;
    long ms = 0;
    json_array_foreach(json_object_get(entry, "segments"), i, seg) {
        char num[32], words[4096];
        xmlNodePtr s = xmlNewChild(root, root->ns, (const xmlChar *)"segment", NULL);
        snprintf(num, sizeof(num), "%zu", i + 1);
        xmlNewProp(s, (const xmlChar *)"n", (const xmlChar *)num);
        snprintf(num, sizeof(num), "%ld", ms);
        xmlNewProp(s, (const xmlChar *)"start-ms", (const xmlChar *)num);
        snprintf(words, sizeof(words), "%s", json_string_value(seg));
        int k = 0;
        for (char *w = strtok(words, " "); w != NULL; w = strtok(NULL, " "), k++) {
            xmlNodePtr x = xmlNewTextChild(s, root->ns, (const xmlChar *)"w", (const xmlChar *)w);
            xmlNewProp(x, (const xmlChar *)"confidence-permille", (const xmlChar *)(k % 7 == 3 ? "400" : "900"));
            snprintf(num, sizeof(num), "%ld", ms);
            xmlNewProp(x, (const xmlChar *)"start-ms", (const xmlChar *)num);
            ms += 400;
            snprintf(num, sizeof(num), "%ld", ms - 50);
            xmlNewProp(x, (const xmlChar *)"end-ms", (const xmlChar *)num);
        }
        snprintf(num, sizeof(num), "%ld", ms);
        xmlNewProp(s, (const xmlChar *)"end-ms", (const xmlChar *)num);
        ms += 1500;
    }
    xmlChar *mem = NULL;
    int size = 0;
    xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
    char *out = strndup((const char *)mem, (size_t)size);
    xmlFree(mem);
    xmlFreeDoc(doc);
    return out;
}

static char *form_of(json_t *entry)
{
    char *xml = malloc(16384);
    size_t len = (size_t)snprintf(xml, 16384,
                                  "<form xmlns=\"urn:casescribe:form:1\" id=\"B-1\" template=\"%s\" team=\"bench\" "
                                  "author=\"sw-1\">",
                                  json_string_value(json_object_get(entry, "template")));
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(entry, "subjects"), i, s) {
        len += (size_t)snprintf(xml + len, 16384 - len, "<subject id=\"%s\" role=\"%s\" name=\"%s\"/>",
                                json_string_value(json_object_get(s, "id")),
                                json_string_value(json_object_get(s, "role")),
                                json_string_value(json_object_get(s, "name")));
    }
    json_array_foreach(json_object_get(entry, "subjects"), i, s) {
        len += (size_t)snprintf(xml + len, 16384 - len,
                                "<consent subject=\"%s\" given-by=\"self\" method=\"verbal\" capacity=\"has-capacity\" "
                                "at=\"2026-01-01T10:00:00Z\" scopes=\"record-audio transcribe ai-draft external-ai\"/>",
                                json_string_value(json_object_get(s, "id")));
    }
    snprintf(xml + len, 16384 - len, "<section id=\"notes\" origin=\"human\"></section></form>");
    return xml;
}

/* Counts a draft's sentences by their citations. */
static void score_cites(struct totals *t, const char *draft, uint32_t n_segments)
{
    for (const char *c = strstr(draft, "<cite "); c != NULL; c = strstr(c + 1, "<cite ")) {
        const char *end = strchr(c, '>');
        char attrs[2048];
        snprintf(attrs, sizeof(attrs), "%.*s", (int)(end - c), c);
        t->sentences++;
        int unsupported = strstr(attrs, "support=\"unsupported\"") != NULL;
        t->unsupported += unsupported;
        const char *segs = strstr(attrs, "segments=\"");
        int ok = !unsupported && segs != NULL && segs[10] != '"';
        for (const char *p = segs + 10; ok && *p != '"';) {
            unsigned long n = strtoul(p, (char **)&p, 10);
            ok = n >= 1 && n <= n_segments;
            while (*p == ' ')
                p++;
        }
        t->valid += ok;
    }
}

static int32_t run_one(casescribe_ctx *ctx, json_t *entry, const char *endpoint, uint32_t style, char **draft,
                       char **result, double *ms)
{
    char *txml = transcript_of(entry), *form = form_of(entry);
    casescribe_transcript *t = NULL;
    casescribe_template *tpl = NULL;
    int32_t rc = casescribe_transcript_open(&t, (const uint8_t *)txml, strlen(txml));
    if (rc == CASESCRIBE_OK)
        rc = casescribe_template_find(&tpl, ctx, json_string_value(json_object_get(entry, "template")));
    casescribe_fill_options o;
    casescribe_fill_options_init(&o, sizeof(o));
    o.form = (const uint8_t *)form;
    o.form_len = strlen(form);
    o.form_template = tpl;
    o.transcript = t;
    o.remote_endpoint = endpoint;
    o.remote_model = json_string_value(json_object_get(entry, "id"));
    o.style = style;
    casescribe_job *job = NULL;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    if (rc == CASESCRIBE_OK)
        rc = casescribe_fill(&job, ctx, &o);
    if (rc == CASESCRIBE_OK && (rc = casescribe_job_wait(job, -1)) == CASESCRIBE_OK &&
        (rc = casescribe_job_status(job)) == CASESCRIBE_OK) {
        size_t len = 0;
        rc = casescribe_job_draft((uint8_t **)draft, &len, job);
        if (rc == CASESCRIBE_OK)
            rc = casescribe_job_result(result, job);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    *ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    if (rc != CASESCRIBE_OK)
        fprintf(stderr, "%s: %s\n", json_string_value(json_object_get(entry, "id")),
                job != NULL && casescribe_job_message(job) ? casescribe_job_message(job) : casescribe_last_error());
    casescribe_job_free(job);
    casescribe_template_free(tpl);
    casescribe_transcript_free(t);
    free(txml);
    free(form);
    return rc;
}

/* The lead baseline: the first k content sentences of the transcript. */
static int lead_recalls(json_t *entry, json_t *keywords, int k)
{
    json_t *segs = json_object_get(entry, "segments");
    char text[65536] = "";
    size_t len = 0;
    for (size_t i = 0; i < json_array_size(segs) && (int)i < k; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%s\n", json_string_value(json_array_get(segs, i)));
    return fact_in(text, keywords);
}

/* ---- scoring drafted lines against the labels ----------------------------- */

/* Words a rendering may add or change (person, tense, connecting words):
 * the only words of a line that need not be in its cited segments. */
static const char *const connecting[] = {
    "asked", "about", "said", "says", "told", "that", "the", "and", "was", "were", "does", "did", "not", "had",
    "has", "have", "his", "her", "hers", "their", "theirs", "they", "she", "him", "them", "would", "will", "is", "are",
    "himself", "herself", "themselves", "worker", "when", "whether", "there",
};

static int is_connecting(const char *w)
{
    for (size_t i = 0; i < sizeof(connecting) / sizeof(*connecting); i++)
        if (strcmp(connecting[i], w) == 0)
            return 1;
    return 0;
}

/* The content words of `text` (lowercase letters and digits, three or more,
 * apostrophes kept inside), into words[] (at most cap); returns how many. */
static int content_words(const char *text, char words[][40], int cap)
{
    int n = 0;
    for (const char *p = text; *p != '\0' && n < cap;) {
        while (*p != '\0' && !isalnum((unsigned char)*p))
            p++;
        size_t k = 0;
        while ((isalnum((unsigned char)*p) || *p == '\'') && k + 1 < 40)
            words[n][k++] = (char)tolower((unsigned char)*p++);
        while (isalnum((unsigned char)*p) || *p == '\'')
            p++;
        while (k > 0 && words[n][k - 1] == '\'')
            k--;
        words[n][k] = '\0';
        if (k >= 3 && !is_connecting(words[n]))
            n++;
    }
    return n;
}

static int word_in(const char *w, char words[][40], int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(words[i], w) == 0)
            return 1;
    return 0;
}

/* The share of `sentence`'s content words that `line` holds. */
static double held(const char *sentence, const char *line)
{
    static char a[256][40], b[256][40];
    int na = content_words(sentence, a, 256), nb = content_words(line, b, 256), got = 0;
    for (int i = 0; i < na; i++)
        got += word_in(a[i], b, nb);
    return na ? (double)got / na : 0;
}

/* The sentences of a corpus segment, cut as the labeller cut them (after
 * . ? or ! and a space; a machine turn is one), speaker label left out. */
static int sentences_of(const char *segment, int machine, char out[][1024], int cap)
{
    const char *p = strstr(segment, ": ");
    p = p != NULL ? p + 2 : segment;
    int n = 0;
    while (*p != '\0' && n < cap) {
        const char *end = p;
        while (*end != '\0' && !(!machine && strchr(".?!", *end) && end[1] == ' '))
            end++;
        if (*end != '\0')
            end++;
        snprintf(out[n++], 1024, "%.*s", (int)(end - p), p);
        p = *end == ' ' ? end + 1 : end;
    }
    return n;
}

struct line {
    char section[64], segments[128], text[2048], unsure[512];
};

/* The drafted lines of a draft form: each <cite> with the text it covers. */
static int lines_of(const char *draft, const casescribe_record *r, struct line *out, int cap)
{
    xmlDocPtr doc = xmlReadMemory(draft, (int)strlen(draft), NULL, NULL, XML_PARSE_NONET);
    int n = 0;
    for (xmlNodePtr c = doc ? xmlDocGetRootElement(doc)->children : NULL; c != NULL && n < cap; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "cite") != 0)
            continue;
        xmlChar *sec = xmlGetProp(c, (const xmlChar *)"section"), *segs = xmlGetProp(c, (const xmlChar *)"segments"),
                *off = xmlGetProp(c, (const xmlChar *)"offset"), *len = xmlGetProp(c, (const xmlChar *)"length"),
                *uns = xmlGetProp(c, (const xmlChar *)"unsure");
        const char *text = NULL;
        for (uint32_t i = 0; sec != NULL && i < casescribe_record_section_count(r); i++)
            if (strcmp(casescribe_record_section_id(r, i), (const char *)sec) == 0)
                text = casescribe_record_section_text(r, i);
        size_t o = off ? strtoul((const char *)off, NULL, 10) : 0, l = len ? strtoul((const char *)len, NULL, 10) : 0;
        if (text != NULL && o + l <= strlen(text)) {
            snprintf(out[n].section, sizeof(out[n].section), "%s", (const char *)sec);
            snprintf(out[n].segments, sizeof(out[n].segments), "%s", segs ? (const char *)segs : "");
            snprintf(out[n].text, sizeof(out[n].text), "%.*s", (int)l, text + o);
            snprintf(out[n].unsure, sizeof(out[n].unsure), "%s", uns ? (const char *)uns : "");
            /* unsure ranges are counted in the section's text: make them the line's */
            char shifted[512] = "";
            size_t sl = 0;
            for (const char *p = out[n].unsure; *p != '\0';) {
                unsigned long a = strtoul(p, (char **)&p, 10), b = *p == ':' ? strtoul(p + 1, (char **)&p, 10) : 0;
                sl += (size_t)snprintf(shifted + sl, sizeof(shifted) - sl, "%s%lu:%lu", sl ? " " : "", a - o, b);
                while (*p == ' ')
                    p++;
            }
            snprintf(out[n].unsure, sizeof(out[n].unsure), "%s", shifted);
            n++;
        }
        xmlFree(sec), xmlFree(segs), xmlFree(off), xmlFree(len), xmlFree(uns);
    }
    xmlFreeDoc(doc);
    return n;
}

/* 1 when segment `seg` (from 1) is among a line's cited segments. */
static int cites_segment(const char *segments, long seg)
{
    for (const char *p = segments; *p != '\0';) {
        char *end;
        long n = strtol(p, &end, 10);
        if (end == p)
            return 0;
        if (n == seg)
            return 1;
        p = end;
        while (*p == ' ')
            p++;
    }
    return 0;
}

/* The job result names a flagged or offered sentence by "segment N" on a
 * line starting with `what`. */
static int result_names(const char *result, const char *what, long seg)
{
    for (const char *p = result; p != NULL && (p = strstr(p, what)) != NULL; p++) {
        const char *eol = strchr(p, '\n'), *s = strstr(p, "segment ");
        if (s != NULL && (eol == NULL || s < eol) && strtol(s + 8, NULL, 10) == seg)
            return 1;
    }
    return 0;
}

/* The first whole-word occurrence of w in text, or NULL. */
static const char *whole_word(const char *text, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = text; (p = strstr(p, w)) != NULL; p++)
        if ((p == text || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
            return p;
    return NULL;
}

static int occurrences(const char *text, const char *w)
{
    int n = 0;
    for (const char *p = text; (p = whole_word(p, w)) != NULL; p++)
        n++;
    return n;
}

/* Exact citation, unsupported words and unsure marks of one line. */
static void score_line_words(struct totals *tot, json_t *entry, const struct line *ln)
{
    json_t *segs = json_object_get(entry, "segments");
    static char lw[256][40], sw[1024][40];
    int nl = content_words(ln->text, lw, 256), ns = 0, exact = ln->segments[0] != '\0';
    for (const char *p = ln->segments; *p != '\0';) {
        char *end;
        long n = strtol(p, &end, 10);
        if (end == p)
            break;
        const char *seg =
            n >= 1 && n <= (long)json_array_size(segs) ? json_string_value(json_array_get(segs, (size_t)n - 1)) : NULL;
        if (seg == NULL) {
            exact = 0;
        } else {
            int before = ns;
            ns += content_words(seg, sw + ns, 1024 - ns);
            int gives = 0;
            for (int i = 0; i < nl && !gives; i++)
                gives = word_in(lw[i], sw + before, ns - before);
            exact &= gives;
            /* one word in seven was unsure (k % 7 == 3): each must be marked where the line holds it */
            char copy[4096];
            snprintf(copy, sizeof(copy), "%s", seg);
            int k = 0;
            for (char *w = strtok(copy, " "); w != NULL; w = strtok(NULL, " "), k++) {
                if (k % 7 != 3 || strlen(w) < 4 || occurrences(seg, w) != 1 || occurrences(ln->text, w) != 1)
                    continue; /* a word said twice, once sure and once not, cannot be told apart here */
                const char *at = whole_word(ln->text, w);
                tot->unsure_words++;
                size_t o = (size_t)(at - ln->text);
                int marked = 0;
                for (const char *q = ln->unsure; *q != '\0' && !marked;) {
                    unsigned long a = strtoul(q, (char **)&q, 10), b = *q == ':' ? strtoul(q + 1, (char **)&q, 10) : 0;
                    marked = o >= a && o + strlen(w) <= a + b;
                    while (*q == ' ')
                        q++;
                }
                tot->unsure_marked += marked;
            }
        }
        p = end;
        while (*p == ' ')
            p++;
    }
    tot->cites++;
    tot->words += nl;
    for (int i = 0; i < nl; i++)
        tot->unsupported_words += !word_in(lw[i], sw, ns);
    tot->exact += exact;
}

/* A line against the labelled sentences of the segments it cites. */
static void score_line_labels(struct totals *tot, json_t *entry, const struct line *ln, const char *tpl_id)
{
    json_t *segs = json_object_get(entry, "segments"), *labels = json_object_get(entry, "labels");
    int machine = strcmp(json_string_value(json_object_get(entry, "style")), "machine") == 0;
    int own = 0, other = 0, opinion = 0, instruction = 0;
    static char sent[8][1024];
    for (size_t s = 0; s < json_array_size(segs); s++) {
        if (!cites_segment(ln->segments, (long)s + 1))
            continue;
        int n = sentences_of(json_string_value(json_array_get(segs, s)), machine, sent, 8);
        for (int k = 0; k < n; k++) {
            const char *label = json_string_value(json_array_get(json_array_get(labels, s), (size_t)k));
            if (label == NULL || held(sent[k], ln->text) < 0.6)
                continue;
            own |= strcmp(label, ln->section) == 0;
            opinion |= strcmp(label, "opinion") == 0;
            instruction |= strcmp(label, "instruction") == 0;
            other |= strcmp(label, "none") != 0 && strcmp(label, "opinion") != 0 &&
                     strcmp(label, "instruction") != 0 && strcmp(label, ln->section) != 0;
        }
    }
    struct tally *r = row(tot, tpl_id, ln->section);
    r->lines++;
    r->correct += own;
    tot->lines++;
    tot->correct += own;
    tot->misplaced += !own && other;
    tot->nowhere += !own && !other;
    tot->opinion_leaks += opinion;
    tot->instructions_drafted += instruction;
}

/* Label recall, and what the job result flags and offers. */
static void score_labels(struct totals *tot, json_t *entry, const struct line *lines, int n_lines,
                         const char *result, const char *tpl_id)
{
    json_t *segs = json_object_get(entry, "segments"), *labels = json_object_get(entry, "labels");
    int machine = strcmp(json_string_value(json_object_get(entry, "style")), "machine") == 0;
    static char sent[8][1024];
    for (size_t s = 0; s < json_array_size(segs); s++) {
        int n = sentences_of(json_string_value(json_array_get(segs, s)), machine, sent, 8);
        for (int k = 0; k < n; k++) {
            const char *label = json_string_value(json_array_get(json_array_get(labels, s), (size_t)k));
            if (label == NULL || strcmp(label, "none") == 0)
                continue;
            if (strcmp(label, "instruction") == 0) {
                tot->instructions++;
                tot->instructions_flagged += result_names(result, "possible attempt to steer the record", (long)s + 1);
                continue;
            }
            if (strcmp(label, "opinion") == 0) {
                tot->opinions++;
                tot->opinions_offered += result_names(result, "the worker's own words", (long)s + 1);
                continue;
            }
            int got = 0;
            for (int i = 0; i < n_lines && !got; i++)
                got = strcmp(lines[i].section, label) == 0 && cites_segment(lines[i].segments, (long)s + 1) &&
                      held(sent[k], lines[i].text) >= 0.6;
            struct tally *r = row(tot, tpl_id, label);
            r->labelled++;
            r->label_recalled += got;
            tot->labelled++;
            tot->label_recalled += got;
        }
    }
}

/* The keyword baseline: the k turns holding most words (5 letters or more,
 * compared on their first five) of the section's title and guidance. */
static int keyword_recalls(json_t *entry, const casescribe_template *tpl, uint32_t sec, json_t *keywords, int k)
{
    char query[4096];
    snprintf(query, sizeof(query), "%s %s", casescribe_template_section_title(tpl, sec),
             casescribe_template_section_guidance(tpl, sec) ? casescribe_template_section_guidance(tpl, sec) : "");
    static char qw[512][40], sw[256][40];
    int nq = content_words(query, qw, 512);
    json_t *segs = json_object_get(entry, "segments");
    size_t n = json_array_size(segs);
    int *hits = calloc(n ? n : 1, sizeof(int)), got = 0;
    for (size_t s = 0; s < n; s++) {
        int ns = content_words(json_string_value(json_array_get(segs, s)), sw, 256);
        for (int i = 0; i < ns; i++)
            for (int j = 0; j < nq; j++)
                hits[s] += strlen(sw[i]) >= 5 && strncmp(sw[i], qw[j], 5) == 0;
    }
    for (int pick = 0; pick < k && !got; pick++) {
        size_t best = 0;
        for (size_t s = 1; s < n; s++)
            best = hits[s] > hits[best] ? s : best;
        if (hits[best] <= 0)
            break;
        hits[best] = -1;
        got = fact_in(json_string_value(json_array_get(segs, best)), keywords);
    }
    free(hits);
    return got;
}

static void evaluate(struct totals *tot, casescribe_ctx *ctx, json_t *entry, const char *draft, const char *result)
{
    casescribe_record *r = NULL;
    casescribe_template *tpl = NULL;
    casescribe_record_open(&r, "xml", (const uint8_t *)draft, strlen(draft));
    const char *tpl_id = json_string_value(json_object_get(entry, "template"));
    casescribe_template_find(&tpl, ctx, tpl_id);
    for (uint32_t i = 0; i < casescribe_record_section_count(r); i++) {
        const char *id = casescribe_record_section_id(r, i);
        for (uint32_t s = 0; s < casescribe_template_section_count(tpl); s++)
            if (strcmp(casescribe_template_section_id(tpl, s), id) == 0 &&
                casescribe_template_section_ai(tpl, s) == CASESCRIBE_AI_NEVER &&
                strcmp(casescribe_record_section_origin(r, i), "human") != 0)
                tot->never_writes++;
    }
    const char *key;
    json_t *facts;
    json_object_foreach(json_object_get(entry, "facts"), key, facts) {
        const char *text = NULL;
        int lines = 0;
        uint32_t sec = 0;
        for (uint32_t i = 0; i < casescribe_record_section_count(r); i++)
            if (strcmp(casescribe_record_section_id(r, i), key) == 0)
                text = casescribe_record_section_text(r, i);
        for (uint32_t s = 0; s < casescribe_template_section_count(tpl); s++)
            if (strcmp(casescribe_template_section_id(tpl, s), key) == 0)
                sec = s;
        for (const char *p = text; p != NULL && *p; p++)
            lines += *p == '\n';
        lines += text != NULL && *text != '\0';
        struct tally *row_ = row(tot, tpl_id, key);
        size_t i;
        json_t *fact;
        json_array_foreach(facts, i, fact) {
            int got = fact_in(text, fact), lead = lead_recalls(entry, fact, lines),
                kw = keyword_recalls(entry, tpl, sec, fact, lines);
            row_->facts++;
            row_->recalled += got;
            row_->lead_recalled += lead;
            row_->key_recalled += kw;
            tot->facts++;
            tot->recalled += got;
            tot->lead_recalled += lead;
            tot->key_recalled += kw;
        }
    }
    score_cites(tot, draft, (uint32_t)json_array_size(json_object_get(entry, "segments")));
    static struct line lines[512];
    int n = lines_of(draft, r, lines, 512);
    for (int i = 0; i < n; i++) {
        score_line_words(tot, entry, &lines[i]);
        if (json_object_get(entry, "labels") != NULL)
            score_line_labels(tot, entry, &lines[i], tpl_id);
    }
    if (json_object_get(entry, "labels") != NULL)
        score_labels(tot, entry, lines, n, result, tpl_id);
    casescribe_template_free(tpl);
    casescribe_record_free(r);
}

static double pct(int a, int b)
{
    return 100.0 * a / (b ? b : 1);
}

static void report(const char *what, const struct totals *t, int with_rows)
{
    printf("\n== %s ==\n", what);
    if (with_rows) {
        printf("%-52s %6s %7s %7s %7s | %6s %7s %6s %9s\n", "template/section", "facts", "recall", "lead",
               "keyword", "lines", "precis", "label", "lab-recall");
        for (int i = 0; i < t->n_rows; i++) {
            const struct tally *r = &t->rows[i];
            printf("%-52s %6d %6.0f%% %6.0f%% %6.0f%% | %6d %6.0f%% %6d %8.0f%%\n", r->section, r->facts,
                   pct(r->recalled, r->facts), pct(r->lead_recalled, r->facts), pct(r->key_recalled, r->facts),
                   r->lines, pct(r->correct, r->lines), r->labelled, pct(r->label_recalled, r->labelled));
        }
        const char *tpls[] = {"statutory-home-visit", "child-family-assessment", "care-act-needs-assessment",
                              "carers-assessment", "strategy-discussion"};
        printf("per template:%40s %7s %7s %7s | %7s %9s\n", "", "recall", "lead", "keyword", "precis", "lab-recall");
        for (int k = 0; k < 5; k++) {
            int f = 0, g = 0, l = 0, kw = 0, ln = 0, c = 0, lab = 0, lr = 0;
            for (int i = 0; i < t->n_rows; i++) {
                const struct tally *r = &t->rows[i];
                if (strncmp(r->section, tpls[k], strlen(tpls[k])) != 0 || r->section[strlen(tpls[k])] != '/')
                    continue;
                f += r->facts, g += r->recalled, l += r->lead_recalled, kw += r->key_recalled;
                ln += r->lines, c += r->correct, lab += r->labelled, lr += r->label_recalled;
            }
            printf("  %-50s %6.0f%% %6.0f%% %6.0f%% | %6.0f%% %8.0f%%\n", tpls[k], pct(g, f), pct(l, f), pct(kw, f),
                   pct(c, ln), pct(lr, lab));
        }
    }
    printf("fact recall: %d/%d = %.1f%% (lead baseline %.1f%%, keyword baseline %.1f%%; ratio to lead %.2fx)\n",
           t->recalled, t->facts, pct(t->recalled, t->facts), pct(t->lead_recalled, t->facts),
           pct(t->key_recalled, t->facts), t->lead_recalled ? (double)t->recalled / t->lead_recalled : 0);
    printf("sentences: %d; with a valid citation: %.1f%%; unsupported: %.1f%%\n", t->sentences,
           pct(t->valid, t->sentences), pct(t->unsupported, t->sentences));
    printf("labelled transcripts: %d drafted lines, precision %.1f%%, misplaced %d, belonging nowhere %d; "
           "label recall %d/%d = %.1f%%\n",
           t->lines, pct(t->correct, t->lines), t->misplaced, t->nowhere, t->label_recalled, t->labelled,
           pct(t->label_recalled, t->labelled));
    printf("opinion sentences in AI sections: %d; offered as the worker's own words: %d/%d\n", t->opinion_leaks,
           t->opinions_offered, t->opinions);
    printf("instruction sentences drafted: %d; flagged with their citation in the job result: %d/%d\n",
           t->instructions_drafted, t->instructions_flagged, t->instructions);
    printf("citations exact: %d/%d = %.1f%%; unsure words marked: %d/%d = %.1f%%; content words absent from "
           "the cited segments: %d of %d\n",
           t->exact, t->cites, pct(t->exact, t->cites), t->unsure_marked, t->unsure_words,
           pct(t->unsure_marked, t->unsure_words), t->unsupported_words, t->words);
    printf("AI writes to never sections: %d\n", t->never_writes);
    printf("time per transcript: %.1f ms\n", t->ms);
}

/* The goals for the embedded filler (in style `style`), each met
 * or not. */
static int goals(const struct totals *t, const char *style)
{
    struct {
        const char *what;
        int met;
    } g[] = {
        {"fact recall >= 65%", pct(t->recalled, t->facts) >= 65},
        {"precision >= 70% (labelled)", pct(t->correct, t->lines) >= 70},
        {"0 opinion sentences in AI sections", t->opinion_leaks == 0},
        {"0 instruction sentences drafted, all flagged", t->instructions_drafted == 0 &&
                                                            t->instructions_flagged == t->instructions},
        {"0 writes to never sections", t->never_writes == 0},
        {"100% citations exact", t->exact == t->cites},
        {"100% unsure words marked", t->unsure_marked == t->unsure_words},
        {"no unsupported content word", t->unsupported_words == 0},
    };
    int all = 1;
    printf("\ngoals (embedded filler%s):\n", style);
    for (size_t i = 0; i < sizeof(g) / sizeof(*g); i++) {
        printf("  %-48s %s\n", g[i].what, g[i].met ? "met" : "NOT MET");
        all &= g[i].met;
    }
    return all;
}

static pid_t start_model(const char *corpus_dir, const char *log, int *port)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    char script[600], corpus[600];
    snprintf(script, sizeof(script), "%s/tests/net/chat_server.py", getenv("BENCH_SRCDIR"));
    snprintf(corpus, sizeof(corpus), "%s", corpus_dir);
    char *argv[] = {"python3", script, "--corpus", corpus, "--log", (char *)log, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    pid_t pid = -1;
    if (posix_spawnp(&pid, "python3", &fa, NULL, argv, environ) != 0)
        pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    if (f == NULL || fscanf(f, "%d", port) != 1)
        pid = -1;
    if (f != NULL)
        fclose(f);
    return pid;
}

/* With BENCH_FILL_DUMP=DIR, each embedded draft and job result is kept
 * there (ID.xml, ID.txt), to read what the filler did. */
static void dump(json_t *entry, const char *draft, const char *result)
{
    const char *dir = getenv("BENCH_FILL_DUMP");
    if (dir == NULL)
        return;
    const char *what[2][2] = {{"xml", draft}, {"txt", result}};
    for (int i = 0; i < 2; i++) {
        char path[800];
        snprintf(path, sizeof(path), "%s/%s.%s", dir, json_string_value(json_object_get(entry, "id")), what[i][0]);
        FILE *f = fopen(path, "w");
        if (f != NULL) {
            fputs(what[i][1], f);
            fclose(f);
        }
    }
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Drafts every transcript in `style` (by the remote model at `endpoint`,
 * or embedded when NULL) and scores each draft into tot; with `dumped`,
 * also writes each draft out (dump). */
static void run_all(casescribe_ctx *ctx, json_t *entries, const char *endpoint, uint32_t style, struct totals *tot,
                    int dumped)
{
    size_t i;
    json_t *entry;
    json_array_foreach(entries, i, entry) {
        char *draft = NULL, *result = NULL;
        double ms = 0;
        if (run_one(ctx, entry, endpoint, style, &draft, &result, &ms) == CASESCRIBE_OK) {
            evaluate(tot, ctx, entry, draft, result);
            if (dumped)
                dump(entry, draft, result);
        }
        tot->ms += ms / (double)json_array_size(entries);
        casescribe_free(draft);
        casescribe_free(result);
    }
}

int main(int argc, char **argv)
{
    const char *srcdir = argc > 1 ? argv[1] : ".";
    char home[] = "/tmp/cs-bench-fill-XXXXXX", corpus[600], log[400], tdir[400], cmd[1400];
    if (mkdtemp(home) == NULL)
        return 1;
    /* The shipped templates, from the source tree (as if installed). */
    snprintf(tdir, sizeof(tdir), "%s/plugin/templates", srcdir);
    setenv("CASESCRIBE_TEMPLATE_DIR", tdir, 1);
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = home;
    opts.flags = CASESCRIBE_OPEN_NO_SYNC;
    casescribe_ctx *ctx = NULL;
    if (casescribe_ctx_open(&ctx, &opts) != CASESCRIBE_OK || casescribe_keygen(NULL, ctx, 0) != CASESCRIBE_OK ||
        casescribe_team_set(ctx, "bench", "bench", "ai-draft", "on") != CASESCRIBE_OK) {
        fprintf(stderr, "bench_fill: %s\n", casescribe_last_error());
        return 1;
    }
    if (argc > 2)
        snprintf(corpus, sizeof(corpus), "%s", argv[2]);
    else
        snprintf(corpus, sizeof(corpus), "%s/tests/fill/corpus", srcdir);
    struct dirent **names = NULL;
    int n = scandir(corpus, &names, NULL, by_name);
    json_t *entries = json_array();
    for (int i = 0; i < n; i++) {
        char path[1200];
        snprintf(path, sizeof(path), "%s/%s", corpus, names[i]->d_name);
        if (strstr(names[i]->d_name, ".json") != NULL)
            json_array_append_new(entries, json_load_file(path, 0, NULL));
        free(names[i]);
    }
    free(names);
    printf("bench_fill: %zu labelled transcripts\n", json_array_size(entries));

    static struct totals embedded, remote;
    run_all(ctx, entries, NULL, CASESCRIBE_FILL_STYLE_QUOTE, &embedded, 1);
    report("embedded filler (extractive, no network)", &embedded, 1);
    goals(&embedded, "");

    /* The same drafts in the record's style: only the rendering differs. */
    static struct totals reported;
    run_all(ctx, entries, NULL, CASESCRIBE_FILL_STYLE_REPORTED, &reported, 0);
    report("embedded filler, reported-speech style (--style reported)", &reported, 0);
    goals(&reported, ", reported-speech style");

    snprintf(log, sizeof(log), "%s/model.log", home);
    int port = 0;
    setenv("BENCH_SRCDIR", srcdir, 1);
    pid_t model = start_model(corpus, log, &port);
    char endpoint[200];
    snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d/oracle/v1", port);
    if (model > 0 && casescribe_team_set(ctx, "bench", "bench", "engine", "remote") == CASESCRIBE_OK &&
        casescribe_team_set(ctx, "bench", "bench", "external-ai", "on") == CASESCRIBE_OK &&
        casescribe_team_set(ctx, "bench", "bench", "endpoints", endpoint) == CASESCRIBE_OK) {
        run_all(ctx, entries, endpoint, CASESCRIBE_FILL_STYLE_QUOTE, &remote, 0);
        report("remote filler (loopback stand-in model: cited answers plus hostile extras in every answer)",
               &remote, 0);
        kill(model, SIGKILL);
        waitpid(model, NULL, 0);
    } else {
        printf("remote filler: the stand-in model could not start (python3?)\n");
    }
    json_decref(entries);
    casescribe_ctx_close(ctx);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
    return system(cmd) == 0 && embedded.never_writes == 0 && reported.never_writes == 0 && remote.never_writes == 0
               ? 0
               : 1;
}
