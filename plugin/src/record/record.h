/* SPDX-License-Identifier: Apache-2.0 */
/* record.h - the record model: a form as the pipeline sees it, whatever
 * adapter it came through. Knows no adapter, network or engine. */
#ifndef CS_RECORD_H
#define CS_RECORD_H

#include <stddef.h>
#include <stdint.h>

typedef enum { CS_ORIGIN_HUMAN = 0, CS_ORIGIN_AI_DRAFT, CS_ORIGIN_AI_REVIEWED } cs_origin;

typedef struct cs_subject {
    char *id, *role, *name; /* name may be NULL */
} cs_subject;

typedef struct cs_consent {
    char *subject, *given_by, *method, *capacity, *at, *scopes, *withdrawn_at; /* withdrawn_at may be NULL */
} cs_consent;

typedef struct cs_section {
    char *id;
    cs_origin origin;
    char *engine, *model, *reviewed_by, *reviewed_at, *review; /* each may be NULL */
    char *engine_version, *engine_settings;                    /* from the transcript, when drafted from one */
    char *text;
    size_t text_len;
} cs_section;

/* Where a sentence of an AI draft came from (<cite>): bytes
 * [offset, offset+length) of the section's text, the transcript segments
 * (numbers from 1, space-separated) and the span of the recording. */
typedef struct cs_cite {
    char *section;
    uint32_t offset, length;
    char *segments;
    int64_t start_ms, end_ms; /* -1 when absent */
    int unsupported;
    char *reason; /* may be NULL */
    char *unsure; /* "o:l o:l": byte ranges of the section's text the transcriber was unsure of; NULL when none */
} cs_cite;

#define CS_MAX_CITES 4096
#define CS_MAX_UNSURE 256 /* unsure ranges a citation may hold */

/* Reads the next "OFFSET:LENGTH" of a cite's unsure list at *p, as the
 * schema spells it (1-7 digits each, one space between ranges), and moves
 * *p past it. 1 when a range was read, 0 at the end of the list, -1 when
 * the list is malformed. For everything that reads cs_cite.unsure. */
int cs_unsure_next(const char **p, uint32_t *offset, uint32_t *length);

/* An engine (and model) that drafted a section's text in an earlier
 * version (<earlier-engine>). */
typedef struct cs_engine_use {
    char *engine, *model; /* model may be NULL */
} cs_engine_use;

#define CS_MAX_EARLIER_ENGINES 16 /* earlier engines one section stamp may list */

/* What the library wrote into <provenance>, as read back. */
typedef struct cs_section_stamp {
    char *id;
    cs_origin origin;
    char *engine, *model, *reviewed_by, *reviewed_at, *review;
    char *engine_version, *engine_settings;
    char *digest;      /* "sha256:<hex>" */
    char *fingerprint; /* "mh1:..." for AI sections of CS_FP_MIN_WORDS words or more, else NULL */
    char *text_mac;    /* "tm1:..." for AI sections, else NULL (see cs_text_mac) */
    int consent_withdrawn;
    /* AI sections: when their text first appeared in the record's chain (the
     * time of the first version that held it, carried forward), and every
     * other engine that drafted it in an earlier version. NULL / 0 in stamps
     * made before CaseScribe 1.6. */
    char *drafted_at;
    cs_engine_use *earlier;
    size_t n_earlier;
} cs_section_stamp;

typedef struct cs_consent_stamp {
    char *subject;
    char *in_force, *given_by, *capacity, *scopes, *withdrawn_at; /* NULL when no consent was in force */
    int local_ai, external_ai;                                     /* 1 allowed, 0 refused */
    /* The digests (cs_consent_entry_digest) of every consent entry of the
     * subject on the form, in form order, space-separated; NULL when there
     * is none, and in stamps made before CaseScribe 1.6. The next version
     * must carry each of them. */
    char *entries;
    /* Not rendered: why AI is refused (a cs_consent_result, or -1 when no
     * consent was in force), for the pipeline's messages. */
    int local_reason, external_reason;
} cs_consent_stamp;

typedef struct cs_provenance {
    char *record;
    uint32_t version;
    char *previous; /* NULL for version 1 */
    char *at, *library, *key_id;
    char *actor_id, *actor_team, *actor_role;
    /* The team policy the save was checked against: its team, version (0
     * for the safe defaults), state ("signed", "defaults" or "refused") and
     * the digest of its signed file (NULL unless signed). NULL team when the
     * record was stamped before policies existed. */
    char *policy_team, *policy_state, *policy_digest;
    uint32_t policy_version;
    char *form_digest, *subjects_digest, *consents_digest;
    cs_section_stamp *sections;
    size_t n_sections;
    cs_consent_stamp *consents;
    size_t n_consents;
    char *signature; /* base64 */
    /* Where the save was committed in the home's ledger (since 1.6; 0 and
     * NULL in older stamps): its entry's seq, and the hash (hex) of the
     * entry before it (NULL for entry 1). Signed like the rest. */
    uint64_t ledger_seq;
    char *ledger_prev;
} cs_provenance;

typedef struct cs_record {
    char *id, *template_id, *team, *author;
    /* form/@carried-digest: what an adapter's payload carries beyond the
     * record model, as the adapter digested it (NULL: none). Covered by
     * form-digest like the rest of the form. */
    char *carried_digest;
    int final;
    cs_subject *subjects;
    size_t n_subjects;
    cs_consent *consents;
    size_t n_consents;
    cs_section *sections;
    size_t n_sections;
    cs_cite *cites;
    size_t n_cites;
    cs_provenance *provenance; /* NULL when the payload carried none */
    /* The document cs_form_decode read the record from (an xmlDocPtr,
     * freed with the record), so that verify can canonicalise what it
     * received before it renders the model again (form_xml.h). Stale once
     * the record is changed: only verify reads it, and what changes a
     * record or keeps it (the save, a record handle, a SAR's redaction)
     * drops it first (cs_form_received_free). NULL otherwise. */
    void *received;
} cs_record;

void cs_record_free(cs_record *r);
void cs_provenance_free(cs_provenance *p);
/* Frees what the stamp's engine history holds (drafted_at, earlier). */
void cs_section_stamp_history_free(cs_section_stamp *s);
/* Frees what a citation holds and zeroes it. */
void cs_cite_clear(cs_cite *c);

const char *cs_origin_name(cs_origin o);
int cs_origin_parse(cs_origin *out, const char *text);

/* The text attributes a <section> and its <section-stamp> share after id
 * and origin (what made the text, who reviewed it), in the order they are
 * written: each attribute's name, and where a cs_section (at[CS_IN_SECTION])
 * and a cs_section_stamp (at[CS_IN_STAMP]) keep it. */
enum { CS_IN_SECTION = 0, CS_IN_STAMP = 1 };
typedef struct cs_origin_text {
    const char *attr;
    size_t at[2];
} cs_origin_text;
#define CS_N_ORIGIN_TEXTS 7
extern const cs_origin_text cs_origin_texts[CS_N_ORIGIN_TEXTS];
/* Text i of that list in `holder`, a cs_section or a cs_section_stamp as
 * `in` says: the field, and its value. */
char **cs_origin_text_at(void *holder, int in, size_t i);
const char *cs_origin_text_of(const void *holder, int in, size_t i);
static inline int cs_origin_is_ai(cs_origin o)
{
    return o != CS_ORIGIN_HUMAN;
}

const cs_section *cs_record_find_section(const cs_record *r, const char *id);

/* The rules for citations an XSD cannot say (every adapter's decode runs
 * it): each names an AI section of the form, an untouched draft's point
 * inside its text, at most CS_MAX_CITES; a citation's unsure ranges lie
 * inside it (and the text), ascending, apart and at least a byte long,
 * at most CS_MAX_UNSURE. OK, ESCHEMA, ETOOBIG. */
int32_t cs_record_check_cites(const cs_record *r);

#endif
