/* SPDX-License-Identifier: Apache-2.0 */
/* consent.h - the consent decision: a pure function, no I/O, no clock.
 *
 * The rules (fail closed):
 *  - consent given by the person themself ("self") counts when their capacity
 *    is "has-capacity", or "not-assessed" (the Mental Capacity Act 2005 s.1(2)
 *    presumes capacity until it is assessed otherwise); "self" with
 *    "lacks-capacity" is never consent.
 *  - a person recorded "has-capacity" consents only for themself: consent
 *    given by a "representative" or as a "best-interests" decision for them
 *    never counts. A "representative" counts for "lacks-capacity" or
 *    "not-assessed" (a parent for a child); a "best-interests" decision
 *    (MCA s.4) counts only for "lacks-capacity".
 *  - the scopes must include every scope the use needs: AI text from a local
 *    engine needs CS_SCOPE_AI_DRAFT; from an external engine it needs
 *    CS_SCOPE_AI_DRAFT | CS_SCOPE_EXTERNAL_AI.
 *  - consent given after `now` does not count yet; consent withdrawn at or
 *    before `now` no longer counts.
 */
#ifndef CS_CONSENT_H
#define CS_CONSENT_H

#include <stdint.h>

#define CS_SCOPE_RECORD_AUDIO 0x1u
#define CS_SCOPE_TRANSCRIBE 0x2u
#define CS_SCOPE_AI_DRAFT 0x4u
#define CS_SCOPE_EXTERNAL_AI 0x8u

typedef enum { CS_GIVEN_SELF = 0, CS_GIVEN_REPRESENTATIVE, CS_GIVEN_BEST_INTERESTS } cs_given_by;
typedef enum { CS_CAPACITY_HAS = 0, CS_CAPACITY_LACKS, CS_CAPACITY_NOT_ASSESSED } cs_capacity;

typedef struct cs_consent_terms {
    cs_given_by given_by;
    cs_capacity capacity;
    uint32_t scopes;       /* CS_SCOPE_* */
    int64_t given_at;      /* seconds since the epoch */
    int64_t withdrawn_at;  /* seconds since the epoch; 0 = never withdrawn */
} cs_consent_terms;

typedef enum {
    CS_CONSENT_OK = 0,
    CS_CONSENT_NO_CAPACITY,   /* self-given while lacking capacity */
    CS_CONSENT_SCOPE_MISSING, /* a needed scope is not in the terms */
    CS_CONSENT_NOT_YET_GIVEN, /* given_at is after now */
    CS_CONSENT_WITHDRAWN,     /* withdrawn_at is at or before now */
    CS_CONSENT_HAS_CAPACITY,  /* given on behalf of a person recorded as having capacity */
    CS_CONSENT_NOT_ASSESSED   /* best-interests without an assessment that capacity is lacking */
} cs_consent_result;

/* Decides whether `terms` cover a use needing `needed_scopes` at time `now`.
 * When several reasons apply the first in this order is returned:
 * NO_CAPACITY, HAS_CAPACITY or NOT_ASSESSED (who gave it), NOT_YET_GIVEN,
 * WITHDRAWN, SCOPE_MISSING. */
cs_consent_result cs_consent_decide(const cs_consent_terms *terms, uint32_t needed_scopes, int64_t now);

/* A plain-English reason for a result, static storage. */
const char *cs_consent_reason(cs_consent_result r);

/* Parsers for the form's attribute values. Return 0, or -1 for an unknown
 * value (for scopes: an unknown word in the space-separated list). */
int cs_consent_parse_given_by(cs_given_by *out, const char *text);
int cs_consent_parse_capacity(cs_capacity *out, const char *text);
int cs_consent_parse_scopes(uint32_t *out, const char *text);

/* Of `n` consent terms for one subject, the index of the one in force at
 * `now`: the latest given_at that is <= now. -1 when none has been given by
 * now. Entries that conflict at one instant are refused before this (see
 * cs_consent_check_entries); identical ones tie to the later index. */
int cs_consent_pick_current(const cs_consent_terms *terms, int n, int64_t now);

/* Whether `n` consent terms for one subject can be read one way only.
 * CS_ENTRIES_OK; CS_ENTRIES_WITHDRAWN_EARLY when entry *bad is withdrawn
 * before it was given; CS_ENTRIES_CONFLICT when entries *bad and *other
 * were given at the same second but differ in who gave them, capacity or
 * scopes (which of them is in force cannot be told). */
typedef enum { CS_ENTRIES_OK = 0, CS_ENTRIES_WITHDRAWN_EARLY, CS_ENTRIES_CONFLICT } cs_entries_result;
cs_entries_result cs_consent_check_entries(const cs_consent_terms *terms, int n, int *bad, int *other);

/* Of `n` consent terms for one subject, the index of the withdrawal that
 * applies to the consent `current`: the earliest withdrawn_at at or after
 * its given_at, on whichever of the terms it was recorded (a person who
 * withdraws after consenting has withdrawn, even when the form writes the
 * withdrawal on an older consent). -1 when none applies. */
int cs_consent_pick_withdrawal(const cs_consent_terms *terms, int n, int current);

#endif
