/* SPDX-License-Identifier: Apache-2.0 */
/* sar.h - the subject access export: what a person receives when they ask
 * for their records, and how anyone checks it.
 *
 * An export is a ZIP of:
 *   report.html     one accessible page in plain English, record by record,
 *                   saying who wrote each part and how (sar/report.c)
 *   records.xml     the same records, machine-readable, with provenance
 *   public-key.pem  the council's public key
 *   README.txt      how to check the bundle by hand
 *   manifest.xml    SHA-256 of every file above, each record's digest and
 *                   place in its chain, what was redacted (counts, reasons)
 *   manifest.sig    Ed25519 signature of manifest.xml's exact bytes
 *
 * Records arrive one at a time and each is written out and freed before the
 * next: the parts grow in a private folder (0700) beside the output and are
 * zipped at the end, so memory does not grow with the number of records.
 * The officer's redaction-review.csv (other people found in the records) is
 * written beside, never into, the bundle. */
#ifndef CS_SAR_H
#define CS_SAR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>

#include "internal.h"
#include "record/record.h"

/* ---- redactions (sar/redact.c) ------------------------------------------ */

/* What the officer approved: `text` in record `record` ("*": every record),
 * for `reason` (one of the reason codes below). */
typedef struct cs_redaction {
    char *record, *text;
    int reason;
} cs_redaction;

typedef struct cs_redactions {
    cs_redaction *items; /* sorted by record id, then text */
    size_t n;
} cs_redactions;

/* Reason codes, as the CSV and the manifest spell them. */
#define CS_REDACT_REASONS 5
extern const char *const cs_redact_reason_names[CS_REDACT_REASONS];

/* Reads a reviewed redaction-review.csv: the rows whose `redact` column is
 * "yes" (any case). At most 16 MiB and 100000 approved rows. EIO,
 * ENOTFOUND, ETOOBIG, ESCHEMA (a missing column, an unknown reason, an
 * empty text), ENOMEM. */
int32_t cs_redactions_load(cs_redactions *out, const char *path);
/* The same from memory. */
int32_t cs_redactions_parse(cs_redactions *out, const uint8_t *data, size_t len);
void cs_redactions_free(cs_redactions *rx);

/* A byte range [start, end) of a text to redact, and why (a bit per
 * reason code: merged spans keep every reason). */
typedef struct cs_span {
    size_t start, end;
    unsigned reasons;
} cs_span;

/* The spans of `text` that approved items for `record` cover: every
 * occurrence of an item's text (ASCII case folded) that is not part of a
 * longer word; overlapping spans merged. *out (free it) is NULL when none. */
int32_t cs_redaction_spans(cs_span **out, size_t *n, const cs_redactions *rx, const char *record, const char *text,
                           size_t len);
/* 1 when an approved item for `record` is exactly `text` (ASCII case
 * folded): for a subject's name. *reason gets its reason. */
int cs_redaction_whole(const cs_redactions *rx, const char *record, const char *text, int *reason);

/* The text with each span replaced by "[redacted]"; NULL on ENOMEM. */
char *cs_redact_text(const char *text, size_t len, const cs_span *spans, size_t n, size_t *out_len);
/* Where byte `pos` of the original text is in the redacted one; a position
 * inside a span goes to the start of its "[redacted]". */
size_t cs_redact_map(size_t pos, const cs_span *spans, size_t n);
/* The same for the end of a range: inside a span, the end of its "[redacted]". */
size_t cs_redact_map_end(size_t pos, const cs_span *spans, size_t n);

#define CS_REDACTED "[redacted]"

/* ---- other people's names (sar/names.c) --------------------------------- */

/* Calls `found` for each name-like run of capitalised words in `text` that
 * is not (part of) `requester_name` (may be NULL): candidates for the
 * officer's review, not a verdict. Mid-sentence capitalised words, runs of
 * two or more, speaker labels ("Kerry:") and sentence-initial words seen
 * capitalised elsewhere in the text count; all-capital abbreviations,
 * days, months and the usual sentence openers do not. */
typedef int (*cs_name_found)(void *user, const char *name, size_t len);
int cs_names_in_text(const char *text, size_t len, const char *requester_name, cs_name_found found, void *user);

/* ---- the page (sar/report.c) -------------------------------------------- */

/* Everything report.c needs to know about one record besides the record. */
typedef struct cs_report_record {
    const cs_record *r;
    uint64_t position;            /* 1, 2, ... in the export */
    const char *subject;          /* the requester's subject id */
    int32_t provenance;           /* cs_verify_record's status: OK, EVERIFY, EKEY, EUNSTAMPED */
    const char *template_title;   /* NULL when the template is unknown */
    const char *(*section_title)(const void *tpl, const char *id); /* NULL title: made from the id */
    const void *tpl;
    /* Per section (same order as r->sections): spans to redact. */
    cs_span **spans;
    size_t *n_spans;
    size_t n_redacted; /* everything redacted in the record, subjects' names too */
    int journal;       /* CS_JOURNAL_*: this version in the home's journal */
} cs_report_record;

#define CS_JOURNAL_ABSENT 0  /* the journal has no version of it */
#define CS_JOURNAL_LATEST 1  /* the latest version the journal holds */
#define CS_JOURNAL_OLDER 2   /* a newer version was saved since */
#define CS_JOURNAL_DIFFERS 3 /* the journal holds another record under this version */
#define CS_JOURNAL_ABANDONED 4 /* never confirmed by the host, and superseded (two-phase saves) */

/* What the top of the page says. */
typedef struct cs_report_totals {
    uint64_t records, with_ai, unchecked, not_verified, redacted;
    const char *organisation, *contact, *created, *key_id;
} cs_report_totals;

int cs_report_head(FILE *f, const cs_report_totals *t);
int cs_report_toc_entry(FILE *f, const cs_report_record *rr);
int cs_report_write(FILE *f, const cs_report_record *rr);
int cs_report_tail(FILE *f);
/* "2 November 2026" from an ISO 8601 time; "an unknown date" otherwise. */
void cs_report_date(char out[32], const char *iso);

/* ---- the manifest and checking a bundle (sar/manifest.c) ----------------- */

#define CS_SAR_MANIFEST "manifest.xml"
#define CS_SAR_SIGNATURE "manifest.sig"
#define CS_SAR_MAX_MANIFEST (64u << 20)

/* SHA-256 (lowercase hex) and size of a file. EIO. */
int32_t cs_sha256_file(char hex[65], uint64_t *bytes, const char *path);

/* The raw Ed25519 signature of msg. ENOMEM, EKEY. */
int32_t cs_sar_sign(uint8_t sig[64], EVP_PKEY *key, const uint8_t *msg, size_t len);

/* README.txt: how anyone can check the bundle, by hand or with the tool,
 * and the fingerprint of the key to compare with the council's published one. */
int32_t cs_sar_readme(char **out, const char *key_id, const char *fingerprint);

/* Zips the files `names` of folder `dir` into `zip_path` (deflated). EIO. */
int32_t cs_sar_zip(const char *zip_path, const char *dir, const char *const *names, size_t n);

/* 1 when `data` looks like a subject access export: a ZIP, or its
 * manifest.xml (urn:casescribe:sar:1). */
int cs_sar_is_export(const uint8_t *data, size_t len);
/* The ledger checkpoint an export's manifest carries (since 1.7): `data`
 * is the export (a ZIP, in memory) or its manifest.xml. *text (malloc'd,
 * *len bytes) is the signed note as `checkpoint export` wrote it.
 * ENOTFOUND when the manifest carries none (an export made before 1.7, or
 * before the home's first commit), EPARSE/ESCHEMA when it is no export's
 * manifest, ETOOBIG, ENOMEM. */
int32_t cs_sar_checkpoint(char **text, size_t *len, const uint8_t *data, size_t data_len);

/* Checks the ZIP at `path` (see casescribe_sar_verify). */
int32_t cs_sar_verify_zip(cs_buf *report, const char *path, const uint8_t *pem, size_t pem_len);

#endif
