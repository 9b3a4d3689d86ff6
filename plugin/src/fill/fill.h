/* SPDX-License-Identifier: Apache-2.0 */
/* fill.h - the two fillers. Each reads a template and a transcript and
 * makes a cs_draft; neither touches the form, the policy or consent (the
 * fill job in fill/api.c does, before and after). */
#ifndef CS_FILL_FILL_H
#define CS_FILL_FILL_H

#include <stdint.h>

#include "casescribe.h"
#include "fill/draft.h"
#include "fill/template.h"
#include "record/record.h"
#include "transcribe/transcript.h"

#define CS_EXTRACTIVE_ENGINE "embedded:extractive"
#define CS_REMOTE_FILL_ENGINE "remote:chat-completions" /* not a local engine: consent needs external-ai */
#define CS_DEFAULT_MAX_SENTENCES 6

/* Embedded, no network: picks the transcript's own sentences for each
 * `draft` section by BM25 against the section's title, guidance, prompts
 * and cues (with the topic of the turn before: all of it for an answer to
 * a question), tidies them (fillers and stutters out) and cites each one.
 * A sentence that matches a `never` section best is used nowhere; nor is a
 * bare question, the worker's own judgement or an instruction to whoever
 * writes the record (cs_fill_flags lists those). A short answer is drafted
 * with its question (cs_render_answer). max_sentences per section; 0: a
 * cap that grows with the transcript. style: CASESCRIBE_FILL_STYLE_QUOTE
 * (the speaker's words, tidied) or _REPORTED (a line quoting one speaker
 * other than the worker in reported speech: "Kerry said they have agreed
 * a payment plan."). */
int32_t cs_fill_extractive(cs_draft *d, const casescribe_template *tpl, const casescribe_transcript *t,
                           uint32_t max_sentences, uint32_t style, const casescribe_job *job);

/* Appends to the draft's report, whatever the filler, a line per sentence
 * of the transcript that reads as an attempt to steer the record ("possible
 * attempt to steer the record: segment 24 (at 00:09:12), not drafted") and
 * per sentence of the worker's own judgement ("the worker's own words,
 * offered for analysis: segment 12 (at 00:04:10)"), citing, never quoting.
 * ENOMEM. */
int32_t cs_fill_flags(cs_draft *d, const casescribe_template *tpl, const casescribe_transcript *t);

/* A short answer with its question, attributed, the answer in reported
 * speech (only person changes: "I" -> "they"): Asked "have you got a
 * pendant alarm", Harold said no they don't want one of them. Unsure words
 * as tidy marks them, into *unsure. NULL on ENOMEM. */
struct cs_unit;
char *cs_render_answer(const casescribe_transcript *t, const struct cs_unit *question, const struct cs_unit *answer,
                       char **unsure);

typedef struct cs_remote_fill_config {
    const char *endpoint; /* base URL from the policy's allow-list: {endpoint}/chat/completions */
    const char *model;
    const char *api_key; /* NULL: none */
    const char *ca_file;
    int32_t timeout_ms;
    size_t max_answer_bytes;
    uint32_t max_sentences;
} cs_remote_fill_config;

/* An OpenAI-compatible chat model, asked for JSON that follows a schema.
 * Only pseudonymised text leaves the machine (names from `form`, and
 * identifiers found by pattern, become placeholders restored on return).
 * Every sentence of the answer is checked against the segments it cites:
 * one that cites none, or states a name, number or date those segments do
 * not hold, is kept but marked unsupported; output for a `never` or an
 * unknown section, a sentence that carries instructions, or an answer that
 * is not the JSON asked for, is dropped with a reason in the report.
 * ENETWORK for a call or answer that cannot be used at all, ETOOBIG,
 * ECANCELLED, ENOMEM. */
int32_t cs_fill_remote(cs_draft *d, const casescribe_template *tpl, const casescribe_transcript *t,
                       const cs_record *form, const cs_remote_fill_config *cfg, const casescribe_job *job);

/* The answer half of cs_fill_remote, on a chat completion's bytes: for the
 * fuzz harness, which has no network. */
int32_t cs_fill_remote_answer(cs_draft *d, const casescribe_template *tpl, const casescribe_transcript *t,
                              const cs_record *form, const uint8_t *body, size_t len, uint32_t max_sentences);

#endif
