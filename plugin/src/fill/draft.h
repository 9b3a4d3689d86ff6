/* SPDX-License-Identifier: Apache-2.0 */
/* draft.h - what a filler proposes for a form: per section, sentences, each
 * with the transcript segments it came from. Fillers (extractive, remote)
 * make one; cs_draft_apply puts it into the form as ai-draft sections with
 * <cite> elements, never over the worker's own words. */
#ifndef CS_FILL_DRAFT_H
#define CS_FILL_DRAFT_H

#include <stddef.h>
#include <stdint.h>

#include "fill/template.h"
#include "internal.h"
#include "record/record.h"

typedef struct cs_draft_sentence {
    char *text;
    char *segments;           /* "3 4": transcript segment numbers, from 1 */
    int64_t start_ms, end_ms; /* -1 when unknown */
    int unsupported;
    char *reason; /* why it is unsupported; NULL when supported */
    char *unsure; /* "o:l o:l": bytes of `text` the transcriber was unsure of; NULL when none */
} cs_draft_sentence;

typedef struct cs_draft_section {
    char *id;
    cs_draft_sentence *sentences;
    size_t n, cap;
} cs_draft_section;

typedef struct cs_draft {
    cs_draft_section *sections;
    size_t n;
    char *engine, *model, *version, *settings;
    /* What the filler did and left out, for people: section ids, counts and
     * reasons, never the text (hosts log it). */
    cs_buf report;
} cs_draft;

void cs_draft_free(cs_draft *d);
/* The draft's section `id`, made when missing; NULL on ENOMEM. */
cs_draft_section *cs_draft_section_get(cs_draft *d, const char *id);
/* Adds a sentence (copies the strings). `unsure` lists the byte ranges of
 * `text` the transcriber was unsure of, as cs_cite.unsure but counted from
 * the start of the sentence; NULL (or "") when none or unknown. ENOMEM. */
int32_t cs_draft_add(cs_draft_section *s, const char *text, const char *segments, const char *unsure,
                     int64_t start_ms, int64_t end_ms, const char *unsupported_reason);

/* Puts the draft into `form`: each drafted section becomes (or replaces)
 * an ai-draft section carrying the draft's engine, with a <cite> per
 * sentence (its unsure ranges moved to where the sentence sits in the
 * section's text). A section the worker has already written (origin human, some
 * text) is kept as it is; a `never` section of `tpl` is never written,
 * whatever the draft holds. ENOMEM, EINTERNAL. */
int32_t cs_draft_apply(cs_record *form, cs_draft *d, const casescribe_template *tpl);

/* The section `id` of the form, added (empty, origin 0: human) when
 * missing; NULL on ENOMEM. */
cs_section *cs_draft_form_section(cs_record *form, const char *id);

#endif
