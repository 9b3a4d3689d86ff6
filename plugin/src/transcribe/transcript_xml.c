/* SPDX-License-Identifier: Apache-2.0 */
/* transcript_xml.c - reading a transcript back from its XML rendering
 * (urn:casescribe:transcript:1), so that a host can keep a transcript and
 * draft a form from it later. The file is hostile input like any other:
 * the safe parser, the embedded schema, then bounds the schema cannot say. */
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "transcribe/transcript.h"
#include "xml/safe_parse.h"
#include "xml/schema.h"

extern const unsigned char cs_transcript_schema[];
extern const unsigned int cs_transcript_schema_len;

static cs_xml_schema transcript_schema =
    CS_XML_SCHEMA_INIT(cs_transcript_schema, cs_transcript_schema_len, "urn:casescribe:transcript:1 transcript");

#define MAX_TRANSCRIPT_BYTES (32u << 20)
#define MAX_SEGMENTS CS_TRANSCRIPT_MAX_SEGMENTS
#define MAX_WORDS CS_TRANSCRIPT_MAX_WORDS

/* A schema-checked attribute: a copy, or NULL for one that is absent. */
static char *attr(xmlNodePtr n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    char *copy = v != NULL ? cs_strdup((const char *)v) : NULL;
    xmlFree(v);
    return copy;
}

/* A number the schema has bounded to 0..86400000 (or 0..1000); -1 when absent. */
static int64_t number(xmlNodePtr n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    int64_t x = v != NULL ? strtoll((const char *)v, NULL, 10) : -1;
    xmlFree(v);
    return x;
}

/* Words a speaker's name takes ("Kerry Thompson" -> 2), or 0. */
static uint32_t name_words(const char *name)
{
    uint32_t n = 0;
    for (const char *p = name; p != NULL && *p != '\0'; p++)
        n += *p != ' ' && (p == name || p[-1] == ' ');
    return n;
}

/* Who wrote the segment just read, and its speaker label: the segment's
 * first words must spell speaker="..." with a colon after the last. */
static int32_t read_origin(casescribe_transcript *t, xmlNodePtr seg)
{
    cs_segment *s = &t->segments[t->n_segments - 1];
    char *by = attr(seg, "by"), *speaker = attr(seg, "speaker");
    s->by = by != NULL && strcmp(by, "worker") == 0 ? CS_BY_WORKER : t->made_by;
    for (size_t i = 0; i < s->n_words; i++)
        s->words[i].by = s->by;
    uint32_t n = name_words(speaker);
    int32_t rc = CASESCRIBE_OK;
    if (speaker != NULL) {
        size_t len = strlen(speaker);
        int ok = n > 0 && n <= s->n_words && strncmp(s->text, speaker, len) == 0 && s->text[len] == ':';
        rc = ok ? CASESCRIBE_OK
                : cs_fail(CASESCRIBE_ESCHEMA, "transcript segment %zu does not start with its speaker's name",
                          t->n_segments);
    }
    s->speaker_words = rc == CASESCRIBE_OK ? n : 0;
    free(by);
    free(speaker);
    return rc;
}

static int32_t read_segment(casescribe_transcript *t, xmlNodePtr seg, size_t *total_words)
{
    if (number(seg, "n") != (int64_t)t->n_segments + 1)
        return cs_fail(CASESCRIBE_ESCHEMA, "transcript segment %zu is numbered out of order", t->n_segments + 1);
    int64_t start = number(seg, "start-ms"), end = number(seg, "end-ms");
    if (end < start)
        return cs_fail(CASESCRIBE_ESCHEMA, "transcript segment %zu ends before it starts", t->n_segments + 1);
    size_t n = 0;
    for (xmlNodePtr w = seg->children; w != NULL; w = w->next)
        n += cs_xml_is_element(w, "w");
    if ((*total_words += n) > MAX_WORDS)
        return cs_fail(CASESCRIBE_ETOOBIG, "a transcript may hold at most %u words", MAX_WORDS);
    cs_word *words = calloc(n ? n : 1, sizeof(*words));
    if (words == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory reading a transcript");
    size_t i = 0;
    for (xmlNodePtr w = seg->children; w != NULL; w = w->next) {
        if (!cs_xml_is_element(w, "w"))
            continue;
        xmlChar *text = xmlNodeGetContent(w);
        words[i].text = text != NULL ? cs_strdup((const char *)text) : NULL;
        xmlFree(text);
        words[i].start_ms = number(w, "start-ms");
        words[i].end_ms = number(w, "end-ms");
        words[i].confidence = (int32_t)number(w, "confidence-permille");
        int bad_time = words[i].end_ms < words[i].start_ms;
        i++;
        if (words[i - 1].text == NULL || bad_time) {
            for (size_t k = 0; k < i; k++)
                free(words[k].text);
            free(words);
            return bad_time ? cs_fail(CASESCRIBE_ESCHEMA, "a word in transcript segment %zu ends before it starts",
                                      t->n_segments + 1)
                            : cs_fail(CASESCRIBE_ENOMEM, "out of memory reading a transcript");
        }
    }
    int32_t rc = cs_transcript_add_segment(t, start, end, words, n);
    return rc == CASESCRIBE_OK ? read_origin(t, seg) : rc;
}

static int32_t read_transcript(casescribe_transcript *t, xmlNodePtr root)
{
    t->engine = attr(root, "engine");
    t->version = attr(root, "engine-version");
    t->model = attr(root, "model");
    t->settings = attr(root, "settings");
    t->source = attr(root, "source");
    t->unsure_permille = (uint32_t)number(root, "unsure-below-permille");
    char *made_by = attr(root, "made-by");
    t->made_by = made_by != NULL && strcmp(made_by, "imported") == 0 ? CS_BY_IMPORTED : CS_BY_MACHINE;
    free(made_by);
    if (t->engine == NULL || t->version == NULL || t->model == NULL || t->settings == NULL || t->source == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory reading a transcript");
    size_t total_words = 0;
    for (xmlNodePtr seg = root->children; seg != NULL; seg = seg->next) {
        if (!cs_xml_is_element(seg, "segment"))
            continue;
        if (t->n_segments >= MAX_SEGMENTS)
            return cs_fail(CASESCRIBE_ETOOBIG, "a transcript may hold at most %u segments", MAX_SEGMENTS);
        int32_t rc = read_segment(t, seg, &total_words);
        if (rc != CASESCRIBE_OK)
            return rc;
    }
    return CASESCRIBE_OK;
}

int32_t casescribe_transcript_open(casescribe_transcript **transcript_out, const uint8_t *xml, size_t len)
{
    if (transcript_out != NULL)
        *transcript_out = NULL;
    if (transcript_out == NULL || xml == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_transcript_open: transcript_out and xml are required");
    cs_clear_error();
    int kind = 0;
    int32_t rc = cs_transcript_import(transcript_out, xml, len, &kind);
    if (kind != 0)
        return rc; /* WebVTT, SRT or plain text */
    xmlDocPtr doc = NULL;
    rc = cs_xml_parse(&doc, xml, len, MAX_TRANSCRIPT_BYTES);
    if (rc == CASESCRIBE_OK)
        rc = cs_xml_schema_validate(&transcript_schema, doc);
    casescribe_transcript *t = rc == CASESCRIBE_OK ? cs_transcript_new() : NULL;
    if (rc == CASESCRIBE_OK && t == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory reading a transcript");
    if (rc == CASESCRIBE_OK)
        rc = read_transcript(t, xmlDocGetRootElement(doc));
    xmlFreeDoc(doc);
    if (rc != CASESCRIBE_OK) {
        cs_transcript_unref(t);
        return rc;
    }
    *transcript_out = t;
    return CASESCRIBE_OK;
}
