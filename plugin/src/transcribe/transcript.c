/* SPDX-License-Identifier: Apache-2.0 */
/* transcript.c - the transcript object, its getters and its renderings. */
#include "transcribe/transcript.h"

#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

casescribe_transcript *cs_transcript_new(void)
{
    casescribe_transcript *t = calloc(1, sizeof(*t));
    if (t != NULL) {
        t->refs = 1;
        t->unsure_permille = CS_DEFAULT_UNSURE_PERMILLE;
    }
    return t;
}

casescribe_transcript *cs_transcript_ref(casescribe_transcript *t)
{
    if (t != NULL)
        __atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
    return t;
}

static void free_words(cs_word *words, size_t n)
{
    for (size_t i = 0; words != NULL && i < n; i++)
        free(words[i].text);
    free(words);
}

void cs_transcript_unref(casescribe_transcript *t)
{
    if (t == NULL || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    for (size_t i = 0; i < t->n_segments; i++) {
        free(t->segments[i].text);
        free_words(t->segments[i].words, t->segments[i].n_words);
    }
    free(t->segments);
    free(t->engine);
    free(t->model);
    free(t->version);
    free(t->settings);
    free(t->source);
    free(t);
}

int32_t cs_transcript_add_segment(casescribe_transcript *t, int64_t start_ms, int64_t end_ms, cs_word *words,
                                  size_t n_words)
{
    cs_buf text = {0};
    cs_buf_printf(&text, "%s", "");
    for (size_t i = 0; i < n_words; i++)
        cs_buf_printf(&text, "%s%s", i ? " " : "", words[i].text);
    char *joined = cs_buf_take(&text);
    cs_buf_free(&text);
    cs_segment *grown = joined != NULL ? realloc(t->segments, (t->n_segments + 1) * sizeof(*grown)) : NULL;
    if (grown == NULL) {
        free(joined);
        free_words(words, n_words);
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    }
    t->segments = grown;
    t->segments[t->n_segments++] = (cs_segment){
        .start_ms = start_ms, .end_ms = end_ms, .text = joined, .words = words, .n_words = n_words};
    return CASESCRIBE_OK;
}

void cs_transcript_mark_last(casescribe_transcript *t, uint8_t by, uint32_t speaker_words)
{
    if (t->n_segments > 0) {
        t->segments[t->n_segments - 1].by = by;
        t->segments[t->n_segments - 1].speaker_words = speaker_words;
    }
}

size_t cs_transcript_tag_count(const casescribe_transcript *t)
{
    size_t n = 0;
    for (size_t i = 0; t != NULL && i < t->n_segments; i++)
        n += t->segments[i].by == CS_BY_WORKER;
    return n;
}

/* ---- getters --------------------------------------------------------------- */

static const cs_segment *segment(const casescribe_transcript *t, uint32_t i)
{
    return t != NULL && i < t->n_segments ? &t->segments[i] : NULL;
}

static const cs_word *word(const casescribe_transcript *t, uint32_t seg, uint32_t w)
{
    const cs_segment *s = segment(t, seg);
    return s != NULL && w < s->n_words ? &s->words[w] : NULL;
}

uint32_t casescribe_transcript_segment_count(const casescribe_transcript *t)
{
    return t != NULL ? (uint32_t)t->n_segments : 0;
}

int64_t casescribe_transcript_segment_start_ms(const casescribe_transcript *t, uint32_t i)
{
    return segment(t, i) != NULL ? segment(t, i)->start_ms : -1;
}

int64_t casescribe_transcript_segment_end_ms(const casescribe_transcript *t, uint32_t i)
{
    return segment(t, i) != NULL ? segment(t, i)->end_ms : -1;
}

const char *casescribe_transcript_segment_text(const casescribe_transcript *t, uint32_t i)
{
    return segment(t, i) != NULL ? segment(t, i)->text : NULL;
}

uint32_t casescribe_transcript_word_count(const casescribe_transcript *t, uint32_t seg)
{
    return segment(t, seg) != NULL ? (uint32_t)segment(t, seg)->n_words : 0;
}

const char *casescribe_transcript_word_text(const casescribe_transcript *t, uint32_t seg, uint32_t w)
{
    return word(t, seg, w) != NULL ? word(t, seg, w)->text : NULL;
}

int64_t casescribe_transcript_word_start_ms(const casescribe_transcript *t, uint32_t seg, uint32_t w)
{
    return word(t, seg, w) != NULL ? word(t, seg, w)->start_ms : -1;
}

int64_t casescribe_transcript_word_end_ms(const casescribe_transcript *t, uint32_t seg, uint32_t w)
{
    return word(t, seg, w) != NULL ? word(t, seg, w)->end_ms : -1;
}

int32_t casescribe_transcript_word_confidence(const casescribe_transcript *t, uint32_t seg, uint32_t w)
{
    return word(t, seg, w) != NULL ? word(t, seg, w)->confidence : -1;
}

int32_t casescribe_transcript_word_unsure(const casescribe_transcript *t, uint32_t seg, uint32_t w)
{
    const cs_word *x = word(t, seg, w);
    if (x == NULL)
        return CASESCRIBE_EINVAL;
    return cs_word_unsure(t, x);
}

const char *casescribe_transcript_engine(const casescribe_transcript *t)
{
    return t != NULL ? t->engine : NULL;
}

const char *casescribe_transcript_model(const casescribe_transcript *t)
{
    return t != NULL ? t->model : NULL;
}

const char *casescribe_transcript_engine_version(const casescribe_transcript *t)
{
    return t != NULL ? t->version : NULL;
}

const char *casescribe_transcript_settings(const casescribe_transcript *t)
{
    return t != NULL ? t->settings : NULL;
}

void casescribe_transcript_free(casescribe_transcript *t)
{
    cs_transcript_unref(t);
}

/* ---- renderings ------------------------------------------------------------ */

static void clock_text(char out[32], int64_t ms)
{
    snprintf(out, 32, "%02lld:%02lld:%02lld", (long long)(ms / 3600000 % 100), (long long)(ms / 60000 % 60),
             (long long)(ms / 1000 % 60));
}

static void text_notice(cs_buf *b, const casescribe_transcript *t)
{
    if (t->made_by == CS_BY_IMPORTED)
        cs_buf_printf(b,
                      "Imported transcript: made by another program (%s), not by this library's speech-to-text. "
                      "It gave no confidence for its words, so none is marked unsure: it is not a verbatim "
                      "record either. Check it against the recording before relying on it.\n\n",
                      t->source);
    else
        cs_buf_printf(b,
                      "Machine transcript, made by speech-to-text (%s %s, model %s). It is not a verbatim record: "
                      "words in [brackets?] are ones the program was unsure of. Check it against the recording "
                      "before relying on it.\n\n",
                      t->engine, t->version, t->model);
    if (cs_transcript_tag_count(t) > 0)
        cs_buf_printf(b, "Lines marked \"worker's note\" are the social worker's own words, typed during the "
                         "visit: the program did not write them.\n\n");
}

/* Plain text: what a worker reads. It says at the top what made it, and
 * marks every word the engine was unsure of as [word?]. */
static int32_t render_text(char **out, const casescribe_transcript *t)
{
    cs_buf b = {0};
    text_notice(&b, t);
    for (uint32_t s = 0; s < t->n_segments; s++) {
        char at[32];
        clock_text(at, t->segments[s].start_ms);
        cs_buf_printf(&b, "[%s]%s", at, t->segments[s].by == CS_BY_WORKER ? " (worker's note)" : "");
        for (uint32_t w = 0; w < t->segments[s].n_words; w++)
            cs_buf_printf(&b, casescribe_transcript_word_unsure(t, s, w) ? " [%s?]" : " %s",
                          t->segments[s].words[w].text);
        cs_buf_printf(&b, "\n");
    }
    *out = cs_buf_take(&b);
    cs_buf_free(&b);
    return *out != NULL ? CASESCRIBE_OK : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
}

static int set_num(xmlNodePtr n, const char *name, long long v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", v);
    return xmlNewProp(n, (const xmlChar *)name, (const xmlChar *)buf) != NULL;
}

static int set_text(xmlNodePtr n, const char *name, const char *v)
{
    return xmlNewProp(n, (const xmlChar *)name, (const xmlChar *)(v != NULL ? v : "")) != NULL;
}

static int add_word(xmlNodePtr seg, xmlNsPtr ns, const casescribe_transcript *t, uint32_t s, uint32_t w)
{
    const cs_word *x = &t->segments[s].words[w];
    xmlNodePtr n = xmlNewTextChild(seg, ns, (const xmlChar *)"w", (const xmlChar *)x->text);
    int ok = n != NULL && set_num(n, "start-ms", x->start_ms) && set_num(n, "end-ms", x->end_ms);
    if (ok && x->confidence >= 0)
        ok = set_num(n, "confidence-permille", x->confidence);
    if (ok && casescribe_transcript_word_unsure(t, s, w) == 1)
        ok = set_text(n, "unsure", "true");
    return ok;
}

/* A segment's by="worker" (an observation tag) and speaker="Kerry Thompson"
 * (the label its first words hold, without the colon). */
static int set_origin(xmlNodePtr seg, const cs_segment *s)
{
    if (s->by == CS_BY_WORKER && !set_text(seg, "by", "worker"))
        return 0;
    if (s->speaker_words == 0 || s->speaker_words > s->n_words)
        return 1;
    cs_buf b = {0};
    for (uint32_t w = 0; w < s->speaker_words; w++)
        cs_buf_printf(&b, "%s%s", w ? " " : "", s->words[w].text);
    char *name = cs_buf_take(&b);
    cs_buf_free(&b);
    size_t n = name != NULL ? strlen(name) : 0;
    if (n > 0 && name[n - 1] == ':')
        name[n - 1] = '\0';
    int ok = name != NULL && set_text(seg, "speaker", name);
    free(name);
    return ok;
}

/* XML (urn:casescribe:transcript:1): every word with its times and
 * confidence, unsure words flagged, and the engine on the root, which also
 * says plainly that a machine made it. */
static int32_t render_xml(char **out, const casescribe_transcript *t)
{
    xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlNodePtr root = doc != NULL ? xmlNewDocNode(doc, NULL, (const xmlChar *)"transcript", NULL) : NULL;
    xmlNsPtr ns = root != NULL ? xmlNewNs(root, (const xmlChar *)"urn:casescribe:transcript:1", NULL) : NULL;
    int ok = ns != NULL;
    if (ok) {
        xmlDocSetRootElement(doc, root);
        xmlSetNs(root, ns);
        ok = set_text(root, "made-by", t->made_by == CS_BY_IMPORTED ? "imported" : "machine") &&
             set_text(root, "engine", t->engine) &&
             set_text(root, "engine-version", t->version) && set_text(root, "model", t->model) &&
             set_text(root, "settings", t->settings) && set_text(root, "source", t->source) &&
             set_num(root, "unsure-below-permille", t->unsure_permille);
    } else if (root != NULL) {
        xmlFreeNode(root);
    }
    for (uint32_t s = 0; ok && s < t->n_segments; s++) {
        xmlNodePtr seg = xmlNewChild(root, ns, (const xmlChar *)"segment", NULL);
        ok = seg != NULL && set_num(seg, "n", s + 1) && set_num(seg, "start-ms", t->segments[s].start_ms) &&
             set_num(seg, "end-ms", t->segments[s].end_ms) && set_origin(seg, &t->segments[s]);
        for (uint32_t w = 0; ok && w < t->segments[s].n_words; w++)
            ok = add_word(seg, ns, t, s, w);
    }
    xmlChar *mem = NULL;
    int size = 0;
    if (ok)
        xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
    *out = ok && mem != NULL ? malloc((size_t)size + 1) : NULL;
    if (*out != NULL) {
        memcpy(*out, mem, (size_t)size);
        (*out)[size] = '\0';
    }
    xmlFree(mem);
    xmlFreeDoc(doc);
    return *out != NULL ? CASESCRIBE_OK : cs_fail(CASESCRIBE_ENOMEM, "out of memory rendering a transcript");
}

int32_t casescribe_transcript_render(char **out, const casescribe_transcript *t, uint32_t format)
{
    if (out != NULL)
        *out = NULL;
    if (out == NULL || t == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_transcript_render: out and transcript are required");
    if (format == CASESCRIBE_TRANSCRIPT_TEXT)
        return render_text(out, t);
    if (format == CASESCRIBE_TRANSCRIPT_XML)
        return render_xml(out, t);
    return cs_fail(CASESCRIBE_EINVAL, "unknown transcript format %u", (unsigned)format);
}
