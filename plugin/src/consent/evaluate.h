/* SPDX-License-Identifier: Apache-2.0 */
/* evaluate.h - the consent state of a whole record: for each subject, the
 * consent in force at a time and what it allows. Built on the pure decision
 * in consent.h; used when stamping and again when verifying (at the stamp's
 * own time, so the result is reproducible). */
#ifndef CS_CONSENT_EVALUATE_H
#define CS_CONSENT_EVALUATE_H

#include <stddef.h>
#include <stdint.h>

#include "record/record.h"

/* One cs_consent_stamp per subject, in subject order. Free with
 * cs_consent_stamps_free. EINVAL for an unparsable consent value. */
int32_t cs_consent_evaluate(cs_consent_stamp **out, size_t *n, const cs_record *r, int64_t now);
void cs_consent_stamps_free(cs_consent_stamp *stamps, size_t n);

/* 1 when the engine is one of the library's own on-machine engines. Any
 * other name counts as external: it may have sent data off the machine. */
int cs_engine_is_local(const char *engine);

/* Index of the first subject whose consent does not cover AI text from an
 * engine of this kind, or -1 when every subject's does (fail closed: every
 * subject named on the form must be covered). */
int cs_consent_first_refusal(const cs_consent_stamp *stamps, size_t n, int external);

/* For a use of the recording that needs `needed` (CS_SCOPE_*) at `now`
 * (transcribing it, for example): *refusing gets the index of the first
 * subject whose consent in force does not cover it, -1 when every
 * subject's does, and *reason the cs_consent_result (or -1: no consent
 * recorded). Fails closed: a subject with no consent refuses. */
int32_t cs_consent_check_use(int *refusing, int *reason, const cs_record *r, uint32_t needed, int64_t now);

/* Why stamps[i] refuses, in words ("consent was withdrawn"). */
const char *cs_consent_refusal_reason(const cs_consent_stamp *stamp, int external);

#endif
