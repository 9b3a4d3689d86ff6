/* SPDX-License-Identifier: Apache-2.0 */
/* pseudonym.h - what must not leave the machine, replaced before anything
 * is sent to a remote model, and put back in what comes back.
 *
 * The names of the form's subjects (whole, and each part) and identifiers
 * found by pattern (emails, addresses, NHS numbers with a valid check
 * digit, UK phone numbers, postcodes, dates with a year) become stable
 * placeholders, "[PERSON-1]", "[NHS-1]", ...: the same text always gets
 * the same placeholder within one job, so the model can still tell people
 * apart, and the map never leaves the process. */
#ifndef CS_FILL_PSEUDONYM_H
#define CS_FILL_PSEUDONYM_H

#include <stddef.h>
#include <stdint.h>

#include "record/record.h"

typedef struct cs_pseudonym {
    char *original;
    char *placeholder;
} cs_pseudonym;

typedef struct cs_pseudonyms {
    cs_pseudonym *items;
    size_t n, cap;
    uint32_t counts[8]; /* per kind, for numbering */
} cs_pseudonyms;

void cs_pseudonyms_free(cs_pseudonyms *m);
/* Learns the names of the form's subjects (and, from that, of nobody else:
 * other people's names in the transcript are found only if the form lists
 * them). ENOMEM. */
int32_t cs_pseudonyms_add_subjects(cs_pseudonyms *m, const cs_record *form);
/* The placeholder of the subject's first name (for telling the model who
 * is who by role), or NULL. */
const char *cs_pseudonym_of(const cs_pseudonyms *m, const char *original);

/* `text` with every known name and every identifier pattern replaced. New
 * identifiers are added to the map. *out is malloc'd. ENOMEM. */
int32_t cs_pseudonymise(char **out, cs_pseudonyms *m, const char *text);

/* `text` with the map's placeholders put back. *unknown is set to 1 when
 * the text holds a placeholder-shaped token the map does not know (a model
 * that made one up). ENOMEM. */
int32_t cs_restore(char **out, const cs_pseudonyms *m, const char *text, int *unknown);

/* 1 when the 10 digits (spaces and hyphens ignored) are an NHS number with
 * a valid modulus 11 check digit. */
int cs_nhs_number_valid(const char *text, size_t len);

#endif
