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
 * must be 0). Baseline, measured in the same run: the "lead" filler, which
 * takes as many sentences as the embedded one drafted, from the start of
 * the transcript; its recall is what relevance adds nothing to.
 *
 *   bench_fill SRCDIR   (make bench)
 */

#include <jansson.h>
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
    int facts, recalled, lead_recalled;
};

struct totals {
    struct tally rows[128];
    int n_rows;
    int sentences, valid, unsupported, never_writes, facts, recalled, lead_recalled;
    double ms;
};

static struct tally *row(struct totals *t, const char *tpl, const char *section)
{
    char key[80];
    snprintf(key, sizeof(key), "%.38s/%.38s", tpl, section);
    for (int i = 0; i < t->n_rows; i++)
        if (strcmp(t->rows[i].section, key) == 0)
            return &t->rows[i];
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
        for (char *w = strtok(words, " "); w != NULL; w = strtok(NULL, " ")) {
            xmlNodePtr x = xmlNewTextChild(s, root->ns, (const xmlChar *)"w", (const xmlChar *)w);
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

static int32_t run_one(casescribe_ctx *ctx, json_t *entry, const char *endpoint, char **draft, double *ms)
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
    casescribe_job *job = NULL;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    if (rc == CASESCRIBE_OK)
        rc = casescribe_fill(&job, ctx, &o);
    if (rc == CASESCRIBE_OK && (rc = casescribe_job_wait(job, -1)) == CASESCRIBE_OK &&
        (rc = casescribe_job_status(job)) == CASESCRIBE_OK) {
        size_t len = 0;
        rc = casescribe_job_draft((uint8_t **)draft, &len, job);
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

static void evaluate(struct totals *tot, casescribe_ctx *ctx, json_t *entry, const char *draft)
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
        for (uint32_t i = 0; i < casescribe_record_section_count(r); i++)
            if (strcmp(casescribe_record_section_id(r, i), key) == 0)
                text = casescribe_record_section_text(r, i);
        for (const char *p = text; p != NULL && *p; p++)
            lines += *p == '\n';
        lines += text != NULL && *text != '\0';
        struct tally *row_ = row(tot, tpl_id, key);
        size_t i;
        json_t *fact;
        json_array_foreach(facts, i, fact) {
            int got = fact_in(text, fact), lead = lead_recalls(entry, fact, lines);
            row_->facts++;
            row_->recalled += got;
            row_->lead_recalled += lead;
            tot->facts++;
            tot->recalled += got;
            tot->lead_recalled += lead;
        }
    }
    score_cites(tot, draft, (uint32_t)json_array_size(json_object_get(entry, "segments")));
    casescribe_template_free(tpl);
    casescribe_record_free(r);
}

static void report(const char *what, const struct totals *t, int with_rows)
{
    printf("\n== %s ==\n", what);
    if (with_rows) {
        printf("%-52s %6s %8s %8s\n", "template/section", "facts", "recall", "lead");
        for (int i = 0; i < t->n_rows; i++)
            printf("%-52s %6d %7.0f%% %7.0f%%\n", t->rows[i].section, t->rows[i].facts,
                   100.0 * t->rows[i].recalled / (t->rows[i].facts ? t->rows[i].facts : 1),
                   100.0 * t->rows[i].lead_recalled / (t->rows[i].facts ? t->rows[i].facts : 1));
    }
    printf("fact recall: %d/%d = %.1f%% (lead baseline %.1f%%, ratio %.2fx)\n", t->recalled, t->facts,
           100.0 * t->recalled / t->facts, 100.0 * t->lead_recalled / t->facts,
           t->lead_recalled ? (double)t->recalled / t->lead_recalled : 0);
    printf("sentences: %d; with a valid citation: %.1f%%; unsupported: %.1f%%\n", t->sentences,
           100.0 * t->valid / (t->sentences ? t->sentences : 1),
           100.0 * t->unsupported / (t->sentences ? t->sentences : 1));
    printf("AI writes to never sections: %d\n", t->never_writes);
    printf("time per transcript: %.1f ms\n", t->ms);
}

static pid_t start_model(const char *srcdir, const char *log, int *port)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    char script[600], corpus[600];
    snprintf(script, sizeof(script), "%s/tests/net/chat_server.py", srcdir);
    snprintf(corpus, sizeof(corpus), "%s/tests/fill/corpus", srcdir);
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

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
    const char *srcdir = argc > 1 ? argv[1] : ".";
    char home[] = "/tmp/cs-bench-fill-XXXXXX", corpus[600], log[400], tdir[400], cmd[1400];
    if (mkdtemp(home) == NULL)
        return 1;
    /* The shipped templates, from the source tree (as if installed). */
    snprintf(tdir, sizeof(tdir), "%s/templates", home);
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && cp '%s'/plugin/templates/*.xml '%s'/", tdir, srcdir, tdir);
    if (system(cmd) != 0)
        return 1;
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
    size_t i;
    json_t *entry;
    json_array_foreach(entries, i, entry) {
        char *draft = NULL;
        double ms = 0;
        if (run_one(ctx, entry, NULL, &draft, &ms) == CASESCRIBE_OK)
            evaluate(&embedded, ctx, entry, draft);
        embedded.ms += ms / (double)json_array_size(entries);
        casescribe_free(draft);
    }
    report("embedded filler (extractive, no network)", &embedded, 1);

    snprintf(log, sizeof(log), "%s/model.log", home);
    int port = 0;
    pid_t model = start_model(srcdir, log, &port);
    char endpoint[200];
    snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d/oracle/v1", port);
    if (model > 0 && casescribe_team_set(ctx, "bench", "bench", "engine", "remote") == CASESCRIBE_OK &&
        casescribe_team_set(ctx, "bench", "bench", "external-ai", "on") == CASESCRIBE_OK &&
        casescribe_team_set(ctx, "bench", "bench", "endpoints", endpoint) == CASESCRIBE_OK) {
        json_array_foreach(entries, i, entry) {
            char *draft = NULL;
            double ms = 0;
            if (run_one(ctx, entry, endpoint, &draft, &ms) == CASESCRIBE_OK)
                evaluate(&remote, ctx, entry, draft);
            remote.ms += ms / (double)json_array_size(entries);
            casescribe_free(draft);
        }
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
    return system(cmd) == 0 && embedded.never_writes == 0 && remote.never_writes == 0 ? 0 : 1;
}
