/* SPDX-License-Identifier: Apache-2.0 */
/* check.h - checking a remote model's sentence against the transcript it
 * says it came from. Works on pseudonymised text on both sides, so that a
 * placeholder the model repeats counts as the name it stands for. */
#ifndef CS_FILL_CHECK_H
#define CS_FILL_CHECK_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    CS_CHECK_SUPPORTED = 0,
    CS_CHECK_UNSUPPORTED, /* kept, marked for the reviewer */
    CS_CHECK_DROP         /* not kept at all */
} cs_check_result;

/* `segments` are the transcript's segments as sent (pseudonymised), indexed
 * from 0; `cites` the segment numbers (from 1) the sentence gives. *reason
 * is a fixed text for people (never quoting the sentence). */
cs_check_result cs_check_sentence(const char *sentence, const uint32_t *cites, size_t n_cites,
                                  char *const *segments, size_t n_segments, const char **reason);

/* 1 when the text reads as instructions to a machine rather than a record
 * of a visit ("ignore the template", "as an AI", markup, links), or steers
 * the record: a recorder, computer or AI addressed and told what to write,
 * or the writing told outright ("write that the risk is low", "leave out").
 * Used on the transcript's sentences and on a remote model's answer. */
int cs_carries_instructions(const char *text);

#endif
