/* SPDX-License-Identifier: Apache-2.0 */
/* helpers.h - shared set-up for the unit tests: temporary homes and forms. */
#ifndef CS_TEST_HELPERS_H
#define CS_TEST_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "casescribe.h"

/* A fresh home in a temporary folder, opened, with a signing key. */
typedef struct test_home {
    char path[256];
    casescribe_ctx *ctx;
} test_home;

void home_open(test_home *h, uint32_t flags);
/* Journal entries home_open writes: the key made ("key") and the policy change that switches AI
 * drafting on for team cin-north. A test's first save is entry
 * HOME_SETUP_ENTRIES + 1. */
#define HOME_SETUP_ENTRIES 2
void home_close(test_home *h); /* closes and removes the folder */

/* A form built from parts; NULL parts take defaults. The result is malloc'd. */
typedef struct form_parts {
    const char *id;       /* default "R-1" */
    const char *final;    /* NULL: no attribute */
    const char *subjects; /* default: one parent P-2 */
    const char *consents; /* default: P-2 self, has-capacity, all scopes but external-ai, 2026-01-01 */
    const char *sections; /* default: an ai-draft and a human section */
    const char *extra;    /* appended inside <form> after the sections (e.g. a provenance) */
} form_parts;
char *form_make(const form_parts *p);

/* Saves through the "xml" adapter as actor sw-017; returns the status and
 * sets *out (casescribe_free it) on success. */
int32_t save_as(casescribe_ctx *ctx, const char *xml, char **out);

/* Returns a new string with the first `from` replaced by `to` (asserts that
 * `from` occurs). */
char *replace_once(const char *text, const char *from, const char *to);

/* The attributes of a review made now by sw-017 (review "accepted" or
 * "edited"), to replace origin="ai-draft" of a saved draft: a review is
 * dated after the draft first appeared. Per thread, overwritten by the
 * next call. */
const char *review_now(const char *review);

/* A realistic paragraph of about 60 words (index 0..3, each different). */
const char *paragraph(int which);

#define SECTION_DRAFT(id, text)                                                                                   \
    "<section id=\"" id "\" origin=\"ai-draft\" engine=\"embedded:pocketsphinx\" model=\"en-us\">" text "</section>"
#define SECTION_REVIEWED(id, text)                                                                                \
    "<section id=\"" id "\" origin=\"ai-reviewed\" engine=\"embedded:pocketsphinx\" model=\"en-us\" "              \
    "reviewed-by=\"sw-017\" reviewed-at=\"2026-11-03T09:00:00Z\" review=\"edited\">" text "</section>"
#define SECTION_HUMAN(id, text) "<section id=\"" id "\" origin=\"human\">" text "</section>"

#endif
