/* SPDX-License-Identifier: Apache-2.0 */
/* tags.c - observation tags into a draft, as the worker's own words. */
#include "fill/tags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fill/draft.h"

static int32_t tag_lines(char **out, const casescribe_transcript *t)
{
    cs_buf b = {0};
    cs_buf_printf(&b, "%s", "");
    for (size_t i = 0; i < t->n_segments; i++) {
        const cs_segment *s = &t->segments[i];
        if (s->by != CS_BY_WORKER)
            continue;
        long long ms = (long long)s->start_ms;
        cs_buf_printf(&b, "%s%02lld:%02lld:%02lld %s", b.len ? "\n" : "", ms / 3600000, ms / 60000 % 60,
                      ms / 1000 % 60, s->text);
    }
    *out = cs_buf_take(&b);
    cs_buf_free(&b);
    return *out != NULL ? CASESCRIBE_OK : cs_fail(CASESCRIBE_ENOMEM, "out of memory drafting");
}

int32_t cs_draft_add_tags(cs_record *form, const casescribe_transcript *t, cs_buf *report)
{
    size_t n = cs_transcript_tag_count(t);
    if (n == 0)
        return CASESCRIBE_OK;
    const cs_section *existing = cs_record_find_section(form, CS_TAGS_SECTION);
    if (existing != NULL && (existing->origin != CS_ORIGIN_HUMAN || existing->text_len > 0)) {
        cs_buf_printf(report, "%s: %zu observation tags not added: the section is already written\n",
                      CS_TAGS_SECTION, n);
        return CASESCRIBE_OK;
    }
    char *text = NULL;
    int32_t rc = tag_lines(&text, t);
    cs_section *s = rc == CASESCRIBE_OK ? cs_draft_form_section(form, CS_TAGS_SECTION) : NULL;
    if (rc == CASESCRIBE_OK && s == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory drafting");
    if (rc != CASESCRIBE_OK) {
        free(text);
        return rc;
    }
    free(s->text);
    s->text = text;
    s->text_len = strlen(text);
    cs_buf_printf(report, "%s: %zu observation tags, the worker's own words (not drafted by AI)\n", CS_TAGS_SECTION,
                  n);
    return CASESCRIBE_OK;
}
