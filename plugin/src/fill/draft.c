/* SPDX-License-Identifier: Apache-2.0 */
/* draft.c - a filler's proposal, and putting it into the form. */
#include "fill/draft.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sentence_clear(cs_draft_sentence *s)
{
    free(s->text);
    free(s->segments);
    free(s->reason);
    free(s->unsure);
}

void cs_draft_free(cs_draft *d)
{
    for (size_t i = 0; i < d->n; i++) {
        for (size_t j = 0; j < d->sections[i].n; j++)
            sentence_clear(&d->sections[i].sentences[j]);
        free(d->sections[i].sentences);
        free(d->sections[i].id);
    }
    free(d->sections);
    free(d->engine);
    free(d->model);
    free(d->version);
    free(d->settings);
    cs_buf_free(&d->report);
    memset(d, 0, sizeof(*d));
}

cs_draft_section *cs_draft_section_get(cs_draft *d, const char *id)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->sections[i].id, id) == 0)
            return &d->sections[i];
    cs_draft_section *grown = realloc(d->sections, (d->n + 1) * sizeof(*grown));
    if (grown == NULL)
        return NULL;
    d->sections = grown;
    memset(&grown[d->n], 0, sizeof(grown[d->n]));
    if ((grown[d->n].id = cs_strdup(id)) == NULL)
        return NULL;
    return &grown[d->n++];
}

int32_t cs_draft_add(cs_draft_section *s, const char *text, const char *segments, const char *unsure,
                     int64_t start_ms, int64_t end_ms, const char *unsupported_reason)
{
    int has_unsure = unsure != NULL && unsure[0] != '\0';
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        cs_draft_sentence *grown = realloc(s->sentences, cap * sizeof(*grown));
        if (grown == NULL)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory drafting");
        s->sentences = grown;
        s->cap = cap;
    }
    cs_draft_sentence *x = &s->sentences[s->n];
    memset(x, 0, sizeof(*x));
    x->text = cs_strdup(text);
    x->segments = cs_strdup(segments);
    x->start_ms = start_ms;
    x->end_ms = end_ms;
    x->unsupported = unsupported_reason != NULL;
    x->reason = unsupported_reason != NULL ? cs_strdup(unsupported_reason) : NULL;
    x->unsure = has_unsure ? cs_strdup(unsure) : NULL;
    if (x->text == NULL || x->segments == NULL || (unsupported_reason != NULL && x->reason == NULL) ||
        (has_unsure && x->unsure == NULL)) {
        sentence_clear(x);
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory drafting");
    }
    s->n++;
    return CASESCRIBE_OK;
}

/* ---- into the form ---------------------------------------------------------- */

static int has_words(const char *text)
{
    for (const char *p = text; p != NULL && *p != '\0'; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            return 1;
    return 0;
}

/* Drops the citations of section `id` (the draft they belonged to is replaced). */
static void drop_cites(cs_record *form, const char *id)
{
    size_t kept = 0;
    for (size_t i = 0; i < form->n_cites; i++) {
        if (strcmp(form->cites[i].section, id) == 0)
            cs_cite_clear(&form->cites[i]);
        else
            form->cites[kept++] = form->cites[i];
    }
    form->n_cites = kept;
}

static int set_str(char **dst, const char *value)
{
    char *copy = value != NULL ? cs_strdup(value) : NULL;
    if (value != NULL && copy == NULL)
        return -1;
    free(*dst);
    *dst = copy;
    return 0;
}

cs_section *cs_draft_form_section(cs_record *form, const char *id)
{
    for (size_t i = 0; i < form->n_sections; i++)
        if (strcmp(form->sections[i].id, id) == 0)
            return &form->sections[i];
    cs_section *grown = realloc(form->sections, (form->n_sections + 1) * sizeof(*grown));
    if (grown == NULL)
        return NULL;
    form->sections = grown;
    cs_section *s = &grown[form->n_sections];
    memset(s, 0, sizeof(*s));
    if ((s->id = cs_strdup(id)) == NULL || (s->text = cs_strdup("")) == NULL) {
        free(s->id);
        return NULL;
    }
    form->n_sections++;
    return s;
}

/* The sentence's unsure ranges (counted from its first byte) moved by
 * `by`, to where the sentence sits in the section's text; NULL in *out
 * when there are none. ENOMEM; EINTERNAL when the filler wrote a list that
 * does not parse (a bug: the check after would refuse it anyway). */
static int32_t shift_unsure(char **out, const char *unsure, size_t by)
{
    *out = NULL;
    if (unsure == NULL || unsure[0] == '\0')
        return CASESCRIBE_OK;
    cs_buf b = {0};
    const char *p = unsure;
    uint32_t offset = 0, length = 0;
    int got;
    while ((got = cs_unsure_next(&p, &offset, &length)) == 1)
        cs_buf_printf(&b, "%s%llu:%u", b.len ? " " : "", (unsigned long long)offset + by, (unsigned)length);
    if (got < 0) {
        cs_buf_free(&b);
        return cs_fail(CASESCRIBE_EINTERNAL, "the filler marked unsure words it cannot place");
    }
    *out = cs_buf_take(&b);
    cs_buf_free(&b);
    return *out == NULL ? cs_fail(CASESCRIBE_ENOMEM, "out of memory drafting") : CASESCRIBE_OK;
}

static int32_t add_cite(cs_record *form, const char *id, size_t offset, size_t length, const cs_draft_sentence *x)
{
    cs_cite *grown = realloc(form->cites, (form->n_cites + 1) * sizeof(*grown));
    if (grown == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory drafting");
    form->cites = grown;
    cs_cite *c = &grown[form->n_cites];
    memset(c, 0, sizeof(*c));
    c->offset = (uint32_t)offset;
    c->length = (uint32_t)length;
    c->start_ms = x->start_ms;
    c->end_ms = x->end_ms;
    c->unsupported = x->unsupported;
    if (set_str(&c->section, id) || set_str(&c->segments, x->segments) || set_str(&c->reason, x->reason)) {
        cs_cite_clear(c);
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory drafting");
    }
    int32_t rc = shift_unsure(&c->unsure, x->unsure, offset);
    if (rc != CASESCRIBE_OK) {
        cs_cite_clear(c);
        return rc;
    }
    form->n_cites++;
    return CASESCRIBE_OK;
}

/* Writes one drafted section: the sentences one per line, a citation each. */
static int32_t write_section(cs_record *form, const cs_draft_section *ds, const cs_draft *d)
{
    cs_section *s = cs_draft_form_section(form, ds->id);
    if (s == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory drafting");
    drop_cites(form, ds->id);
    cs_buf text = {0};
    cs_buf_printf(&text, "%s", "");
    int32_t rc = CASESCRIBE_OK;
    for (size_t i = 0; i < ds->n && rc == CASESCRIBE_OK; i++) {
        if (i > 0)
            cs_buf_printf(&text, "\n");
        size_t offset = text.len;
        cs_buf_printf(&text, "%s", ds->sentences[i].text);
        if (!text.failed && form->n_cites >= CS_MAX_CITES)
            rc = cs_fail(CASESCRIBE_ETOOBIG, "the draft would need more than %d citations", CS_MAX_CITES);
        else if (!text.failed)
            rc = add_cite(form, ds->id, offset, strlen(ds->sentences[i].text), &ds->sentences[i]);
    }
    char *joined = cs_buf_take(&text);
    cs_buf_free(&text);
    if (rc == CASESCRIBE_OK && joined == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory drafting");
    if (rc != CASESCRIBE_OK) {
        free(joined);
        return rc;
    }
    free(s->text);
    s->text = joined;
    s->text_len = strlen(joined);
    s->origin = CS_ORIGIN_AI_DRAFT;
    if (set_str(&s->engine, d->engine) || set_str(&s->model, d->model) || set_str(&s->engine_version, d->version) ||
        set_str(&s->engine_settings, d->settings) || set_str(&s->reviewed_by, NULL) ||
        set_str(&s->reviewed_at, NULL) || set_str(&s->review, NULL))
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory drafting");
    return CASESCRIBE_OK;
}

int32_t cs_draft_apply(cs_record *form, cs_draft *d, const casescribe_template *tpl)
{
    for (size_t i = 0; i < d->n; i++) {
        const cs_draft_section *ds = &d->sections[i];
        const cs_template_section *ts = cs_template_find_section(tpl, ds->id);
        if (ts == NULL || ts->never || ds->n == 0)
            continue; /* the fillers never propose these; checked again where it is written */
        const cs_section *existing = cs_record_find_section(form, ds->id);
        if (existing != NULL && existing->origin == CS_ORIGIN_HUMAN && has_words(existing->text)) {
            cs_buf_printf(&d->report, "%s: not drafted: the worker has already written it\n", ds->id);
            continue;
        }
        if (existing != NULL && existing->origin == CS_ORIGIN_AI_REVIEWED) {
            cs_buf_printf(&d->report, "%s: not drafted: a reviewed draft is already there\n", ds->id);
            continue;
        }
        int32_t rc = write_section(form, ds, d);
        if (rc != CASESCRIBE_OK)
            return rc;
    }
    return CASESCRIBE_OK;
}
