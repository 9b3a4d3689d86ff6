/* SPDX-License-Identifier: Apache-2.0 */
/* tags.h - the worker's observation tags, carried from a transcript into a
 * draft as the worker's own words: a human section, never an AI one. */
#ifndef CS_FILL_TAGS_H
#define CS_FILL_TAGS_H

#include "internal.h"
#include "record/record.h"
#include "transcribe/transcript.h"

/* The section a draft carries the tags in (origin human). */
#define CS_TAGS_SECTION "worker-observations"

/* Writes each observation tag of `t` ("00:12:31 child withdrew to
 * bedroom", one a line, in time order) into the form's CS_TAGS_SECTION
 * section as the worker's own text (origin human), unless the worker has
 * already written something there (then it is left as it is and the
 * report says so). Nothing when `t` has no tags. ENOMEM. */
int32_t cs_draft_add_tags(cs_record *form, const casescribe_transcript *t, cs_buf *report);

#endif
