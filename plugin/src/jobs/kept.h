/* SPDX-License-Identifier: Apache-2.0 */
/* kept.h - rebuilding a kept job (transcription, fill) from its row in the
 * store and its spool folder, for casescribe_job_attach after a restart.
 * Each takes the claimed `spool` (closed on failure) and queues the job
 * again from its input: the policy and consent gates run again when it
 * starts (fail closed). */
#ifndef CS_JOBS_KEPT_H
#define CS_JOBS_KEPT_H

#include "casescribe.h"
#include "jobs/jobs.h"
#include "store/spool.h"
#include "store/store.h"

int32_t cs_transcription_resume(casescribe_job **out, casescribe_ctx *ctx, const cs_store_job *row, cs_spool *spool);
int32_t cs_fill_resume(casescribe_job **out, casescribe_ctx *ctx, const cs_store_job *row, cs_spool *spool);

/* What a kept job that ended DONE made, read back from its folder into
 * end->output (and end->free_output), for cs_jobs_adopt_ended. ENOTFOUND
 * when the file is gone, or the file's parse errors. */
int32_t cs_transcription_kept_output(cs_job_ending *end, const cs_spool *sp);
int32_t cs_fill_kept_output(cs_job_ending *end, const cs_spool *sp);

#endif
