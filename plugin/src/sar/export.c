/* SPDX-License-Identifier: Apache-2.0 */
/* export.c - the subject access export, one record at a time.
 *
 * casescribe_sar_open makes a private folder (0700) beside the output; each
 * casescribe_sar_add decodes one record, checks its provenance, writes its
 * part of the page, of records.xml, of the manifest and of the officer's
 * review list, and frees it; casescribe_sar_finish puts the page together
 * (its head holds totals only known at the end), signs the manifest, zips
 * everything and renames the ZIP into place. Memory stays flat however many
 * records there are. */
#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapter.h"
#include "context.h"
#include "fill/template.h"
#include "record/form_xml.h"
#include "sar/sar.h"
#include "verify.h"

/* The parts, in the private folder. */
#define PART_TOC "toc.part"
#define PART_BODY "body.part"
#define PART_RECORDS "records.xml"
#define PART_MANIFEST_RECORDS "manifest-records.part"
#define PART_MANIFEST_REDACTIONS "manifest-redactions.part"
#define PART_REVIEW "redaction-review.csv"

struct casescribe_sar {
    casescribe_ctx *ctx;
    char *subject, *output, *review_path, *organisation, *contact;
    cs_redactions redactions;
    char *dir;
    FILE *toc, *body, *records, *manifest_records, *manifest_redactions, *review;
    uint64_t position;
    cs_report_totals totals;
    int broken; /* a part could not be written: the export cannot be finished */
    EVP_PKEY *signer;
    char key_id[CS_KEY_ID_MAX];
    char created[21];
};

static char *part_path(const casescribe_sar *sar, const char *name)
{
    size_t n = strlen(sar->dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p != NULL)
        snprintf(p, n, "%s/%s", sar->dir, name);
    return p;
}

static FILE *open_part(const casescribe_sar *sar, const char *name)
{
    char *p = part_path(sar, name);
    FILE *f = p != NULL ? fopen(p, "w") : NULL;
    free(p);
    return f;
}

/* A write that failed (a full disk) sets the stream's error flag, which
 * fclose does not report: both are checked, so a cut-short part is never
 * sealed. */
static void close_part(FILE **f, int *broken)
{
    if (*f != NULL && (ferror(*f) | (fclose(*f) != 0)))
        *broken = 1;
    *f = NULL;
}

static void remove_parts(casescribe_sar *sar)
{
    static const char *const names[] = {PART_TOC,      PART_BODY,      PART_RECORDS, PART_MANIFEST_RECORDS,
                                        PART_MANIFEST_REDACTIONS, PART_REVIEW, "report.html", "public-key.pem",
                                        "README.txt",  CS_SAR_MANIFEST, CS_SAR_SIGNATURE, "export.zip"};
    if (sar->dir == NULL)
        return;
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
        char *p = part_path(sar, names[i]);
        if (p != NULL)
            unlink(p);
        free(p);
    }
    rmdir(sar->dir); /* a leftover of libzip's (a crash mid-close) keeps it: 0700, nothing lost */
}

/* ---- the officer's review list ----------------------------------------------- */

static void csv_cell(FILE *f, const char *s, size_t len, int last)
{
    /* A spreadsheet would run a cell starting with = + - @ as a formula
     * (CSV injection): such cells get a leading apostrophe, which
     * cs_redactions_load strips again. Cells are ids and names of at most
     * 256 characters, so the guarded copy fits on the stack. */
    if (len > 0 && strchr("=+-@\t\r", s[0]) != NULL) {
        char guarded[2048];
        size_t n = len < sizeof(guarded) - 1 ? len : sizeof(guarded) - 1;
        guarded[0] = '\'';
        memcpy(guarded + 1, s, n);
        csv_fwrite(f, guarded, n + 1);
    } else {
        csv_fwrite(f, s, len);
    }
    fputc(last ? '\n' : ',', f);
}

static void review_row(casescribe_sar *sar, const cs_record *r, const char *where, const char *kind,
                       const char *text, size_t len, unsigned count)
{
    char version[16], n[16];
    snprintf(version, sizeof(version), "%u", r->provenance != NULL ? (unsigned)r->provenance->version : 0u);
    snprintf(n, sizeof(n), "%u", count);
    csv_cell(sar->review, r->id, strlen(r->id), 0);
    csv_cell(sar->review, version, strlen(version), 0);
    csv_cell(sar->review, where, strlen(where), 0);
    csv_cell(sar->review, kind, strlen(kind), 0);
    csv_cell(sar->review, text, len, 0);
    csv_cell(sar->review, n, strlen(n), 0);
    csv_cell(sar->review, "", 0, 0);
    csv_cell(sar->review, "", 0, 1);
}

/* The names found in one section, each once with a count. */
struct found_names {
    struct {
        const char *at;
        size_t len;
        unsigned count;
    } *items;
    size_t n;
    int failed;
};

static int collect_name(void *user, const char *name, size_t len)
{
    struct found_names *fn = user;
    for (size_t i = 0; i < fn->n; i++)
        if (fn->items[i].len == len && memcmp(fn->items[i].at, name, len) == 0) {
            fn->items[i].count++;
            return 0;
        }
    void *grown = realloc(fn->items, (fn->n + 1) * sizeof(*fn->items));
    if (grown == NULL) {
        fn->failed = 1;
        return -1;
    }
    fn->items = grown;
    fn->items[fn->n].at = name;
    fn->items[fn->n].len = len;
    fn->items[fn->n].count = 1;
    fn->n++;
    return 0;
}

static const cs_subject *requester_of(const cs_record *r, const char *subject)
{
    for (size_t i = 0; i < r->n_subjects; i++)
        if (strcmp(r->subjects[i].id, subject) == 0)
            return &r->subjects[i];
    return NULL;
}

/* 1 when `word` (len bytes) is one of the words of `name`, any case. */
static int word_of(const char *name, const char *word, size_t len)
{
    for (const char *p = name; p != NULL && *p != '\0';) {
        size_t n = strcspn(p, " ");
        if (n == len && strncasecmp(p, word, len) == 0)
            return 1;
        p += n;
        p += strspn(p, " ");
    }
    return 0;
}

/* Each word of another person's name wherever the text has it, in any
 * case: a machine transcript writes "kerry", which no capital gives away. */
static int32_t review_name_words(casescribe_sar *sar, const cs_record *r, const cs_subject *other, const char *me)
{
    char word[260];
    for (const char *p = other->name; *p != '\0';) {
        size_t n = strcspn(p, " ");
        if (n >= 2 && n < sizeof(word) && !word_of(me, p, n)) {
            memcpy(word, p, n);
            word[n] = '\0';
            cs_redaction item = {(char *)"*", word, 0};
            cs_redactions one = {&item, 1};
            for (size_t s = 0; s < r->n_sections; s++) {
                cs_span *spans = NULL;
                size_t found = 0;
                if (cs_redaction_spans(&spans, &found, &one, r->id, r->sections[s].text, r->sections[s].text_len) !=
                    CASESCRIBE_OK)
                    return CASESCRIBE_ENOMEM;
                free(spans);
                if (found > 0)
                    review_row(sar, r, r->sections[s].id, "other-person-named-in-text", word, n, (unsigned)found);
            }
        }
        p += n;
        p += strspn(p, " ");
    }
    return CASESCRIBE_OK;
}

/* Other people on the record and names in its text, for the officer. */
static int32_t review_record(casescribe_sar *sar, const cs_record *r)
{
    if (sar->review == NULL)
        return CASESCRIBE_OK;
    const char *me = requester_of(r, sar->subject)->name;
    for (size_t i = 0; i < r->n_subjects; i++) {
        const cs_subject *other = &r->subjects[i];
        if (strcmp(other->id, sar->subject) == 0 || other->name == NULL)
            continue;
        review_row(sar, r, "subjects", "other-person-on-record", other->name, strlen(other->name), 1);
        if (review_name_words(sar, r, other, me) != CASESCRIBE_OK)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory listing names for review");
    }
    for (size_t s = 0; s < r->n_sections; s++) {
        struct found_names fn = {0};
        cs_names_in_text(r->sections[s].text, r->sections[s].text_len, me, collect_name, &fn);
        for (size_t i = 0; i < fn.n; i++)
            review_row(sar, r, r->sections[s].id, "name-in-text", fn.items[i].at, fn.items[i].len,
                       fn.items[i].count);
        free(fn.items);
        if (fn.failed)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory listing names for review");
    }
    return ferror(sar->review) ? cs_fail(CASESCRIBE_EIO, "cannot write the redaction review list") : CASESCRIBE_OK;
}

/* ---- redaction of one record --------------------------------------------------- */

struct record_spans {
    cs_span **spans;
    size_t *n;
    size_t n_sections, total;
    unsigned reasons; /* bit per reason code */
};

static void spans_free(struct record_spans *rs)
{
    for (size_t i = 0; rs->spans != NULL && i < rs->n_sections; i++)
        free(rs->spans[i]);
    free(rs->spans);
    free(rs->n);
    memset(rs, 0, sizeof(*rs));
}

static int32_t find_spans(struct record_spans *rs, const cs_redactions *rx, const cs_record *r)
{
    memset(rs, 0, sizeof(*rs));
    if (rx->n == 0)
        return CASESCRIBE_OK;
    rs->n_sections = r->n_sections;
    rs->spans = calloc(r->n_sections + 1, sizeof(*rs->spans));
    rs->n = calloc(r->n_sections + 1, sizeof(*rs->n));
    if (rs->spans == NULL || rs->n == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory redacting");
    for (size_t s = 0; s < r->n_sections; s++) {
        int32_t rc = cs_redaction_spans(&rs->spans[s], &rs->n[s], rx, r->id, r->sections[s].text,
                                        r->sections[s].text_len);
        if (rc != CASESCRIBE_OK)
            return rc;
        rs->total += rs->n[s];
        for (size_t i = 0; i < rs->n[s]; i++)
            rs->reasons |= rs->spans[s][i].reasons;
    }
    for (size_t i = 0; i < r->n_subjects; i++) {
        int reason = 0;
        if (cs_redaction_whole(rx, r->id, r->subjects[i].name, &reason)) {
            rs->total++;
            rs->reasons |= 1u << reason;
        }
    }
    return CASESCRIBE_OK;
}

/* Drops the unsure ranges a redaction covers and moves the others. */
static char *map_unsure(const char *list, const cs_span *spans, size_t n)
{
    cs_buf b = {0};
    cs_buf_printf(&b, "%s", "");
    uint32_t o, l;
    for (const char *p = list; cs_unsure_next(&p, &o, &l) == 1;) {
        int covered = 0;
        for (size_t i = 0; i < n && !covered; i++)
            covered = o < spans[i].end && (size_t)o + l > spans[i].start;
        if (!covered)
            cs_buf_printf(&b, "%s%zu:%u", b.len ? " " : "", cs_redact_map(o, spans, n), (unsigned)l);
    }
    return cs_buf_take(&b);
}

/* A redacted person's consent records go with their name. */
static void drop_consents_of(cs_record *r, const char *subject)
{
    size_t kept = 0;
    for (size_t i = 0; i < r->n_consents; i++) {
        cs_consent *c = &r->consents[i];
        if (strcmp(c->subject, subject) != 0) {
            r->consents[kept++] = *c;
            continue;
        }
        free(c->subject), free(c->given_by), free(c->method), free(c->capacity), free(c->at), free(c->scopes);
        free(c->withdrawn_at);
    }
    r->n_consents = kept;
}

/* Replaces the approved items in the record (for records.xml), moving the
 * citations so that they still point at the same sentences. */
static int32_t redact_record(cs_record *r, const struct record_spans *rs, const cs_redactions *rx)
{
    cs_form_received_free(r); /* changed below: no longer the document received */
    for (size_t s = 0; s < r->n_sections && rs->spans != NULL; s++) {
        cs_section *sec = &r->sections[s];
        const cs_span *sp = rs->spans[s];
        size_t n = rs->n[s];
        if (n == 0)
            continue;
        for (size_t i = 0; i < r->n_cites; i++) {
            cs_cite *c = &r->cites[i];
            if (strcmp(c->section, sec->id) != 0)
                continue;
            size_t start = cs_redact_map(c->offset, sp, n), end = cs_redact_map_end((size_t)c->offset + c->length, sp, n);
            char *unsure = c->unsure != NULL ? map_unsure(c->unsure, sp, n) : NULL;
            if (c->unsure != NULL && unsure == NULL)
                return cs_fail(CASESCRIBE_ENOMEM, "out of memory redacting");
            free(c->unsure);
            c->unsure = unsure;
            c->offset = (uint32_t)start;
            c->length = (uint32_t)(end > start ? end - start : 0);
        }
        size_t len = 0;
        char *text = cs_redact_text(sec->text, sec->text_len, sp, n, &len);
        if (text == NULL)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory redacting");
        free(sec->text);
        sec->text = text;
        sec->text_len = len;
    }
    for (size_t i = 0; i < r->n_subjects; i++) {
        int reason = 0;
        if (cs_redaction_whole(rx, r->id, r->subjects[i].name, &reason)) {
            char *gone = cs_strdup(CS_REDACTED);
            if (gone == NULL)
                return cs_fail(CASESCRIBE_ENOMEM, "out of memory redacting");
            free(r->subjects[i].name);
            r->subjects[i].name = gone;
            drop_consents_of(r, r->subjects[i].id);
        }
    }
    if (rs->total > 0) {
        /* The stamp holds plain SHA-256 digests of the original text, subjects
         * and consents: with the public key, anyone could test a guess of
         * what was redacted against them. The manifest keeps the record
         * digest of the original instead, which reveals nothing. */
        cs_provenance_free(r->provenance);
        r->provenance = NULL;
    }
    return CASESCRIBE_OK;
}

/* ---- where the record stands in the council's journal ----------------------------- */

/* What the home's journal says of this version: the latest saved, an
 * older one (a newer version exists), another version than the one the
 * journal holds under this number, or a record it has never seen. */
static int journal_position(casescribe_sar *sar, const cs_record *r, const char *digest)
{
    if (r->provenance == NULL || digest[0] == '\0')
        return CS_JOURNAL_ABSENT;
    cs_store_head head;
    int found = 0;
    int where = CS_JOURNAL_ABSENT;
    uint32_t version = cs_ctx_head(sar->ctx, r->id, &head, &found) == CASESCRIBE_OK && found ? head.version : 0;
    cs_store_abandon a;
    int gone = 0;
    if (version > r->provenance->version &&
        cs_ctx_abandoned(sar->ctx, r->id, r->provenance->version, &a, &gone) == CASESCRIBE_OK && gone)
        where = CS_JOURNAL_ABANDONED;
    else if (version > r->provenance->version)
        where = CS_JOURNAL_OLDER;
    else if (version == r->provenance->version && version > 0)
        where = strcmp(head.digest, digest) == 0 ? CS_JOURNAL_LATEST : CS_JOURNAL_DIFFERS;
    cs_clear_error();
    return where;
}

static const char *const journal_names[] = {"absent", "latest", "older", "differs", "abandoned"};

/* ---- one record into each part ------------------------------------------------ */

static const char *status_name(int32_t provenance)
{
    return provenance == CASESCRIBE_OK ? "verified"
           : provenance == CASESCRIBE_EUNSTAMPED ? "unstamped"
           : provenance == CASESCRIBE_EKEY       ? "unknown-key"
                                                 : "changed";
}

static void manifest_record(casescribe_sar *sar, const cs_record *r, int32_t provenance, int journal,
                            const char *digest, const struct record_spans *rs)
{
    const cs_provenance *p = r->provenance;
    fprintf(sar->manifest_records, "  <record position=\"%llu\" id=\"%s\" version=\"%u\"",
            (unsigned long long)sar->position, r->id, p != NULL ? (unsigned)p->version : 0u);
    if (digest[0] != '\0')
        fprintf(sar->manifest_records, " digest=\"%s\"", digest);
    if (p != NULL && p->previous != NULL)
        fprintf(sar->manifest_records, " previous=\"%s\"", p->previous);
    if (p != NULL)
        fprintf(sar->manifest_records, " key-id=\"%s\"", p->key_id);
    fprintf(sar->manifest_records, " provenance=\"%s\" journal=\"%s\"/>\n", status_name(provenance),
            journal_names[journal]);
    if (rs->total == 0)
        return;
    fprintf(sar->manifest_redactions, "  <redaction record=\"%s\" position=\"%llu\" count=\"%zu\" reasons=\"", r->id,
            (unsigned long long)sar->position, rs->total);
    for (int i = 0, first = 1; i < CS_REDACT_REASONS; i++)
        if (rs->reasons & (1u << i)) {
            fprintf(sar->manifest_redactions, "%s%s", first ? "" : " ", cs_redact_reason_names[i]);
            first = 0;
        }
    fprintf(sar->manifest_redactions, "\"%s%s%s/>\n", digest[0] ? " original-digest=\"" : "", digest,
            digest[0] ? "\"" : "");
}

/* The record as records.xml holds it: the form, under a <record> saying how
 * it stood at export. The form's own XML declaration is dropped. */
static int32_t records_entry(casescribe_sar *sar, const cs_record *r, int32_t provenance, size_t redacted,
                             const char *digest)
{
    uint8_t *xml = NULL;
    size_t len = 0;
    int32_t rc = cs_form_encode(&xml, &len, r);
    if (rc != CASESCRIBE_OK)
        return rc;
    const char *form = (const char *)xml;
    if (strncmp(form, "<?xml", 5) == 0) {
        const char *end = strstr(form, "?>");
        form = end != NULL ? end + 2 : form;
        while (*form == '\n')
            form++;
    }
    fprintf(sar->records, "<record position=\"%llu\" provenance=\"%s\" redactions=\"%zu\"", (unsigned long long)sar->position,
            status_name(provenance), redacted);
    if (redacted > 0) /* its provenance was taken out: see redact_record */
        fprintf(sar->records, " provenance-removed=\"redacted\"%s%s%s", digest[0] ? " original-digest=\"" : "", digest,
                digest[0] ? "\"" : "");
    fputs(">\n", sar->records);
    fwrite(form, 1, len - (size_t)(form - (const char *)xml), sar->records);
    fputs("</record>\n", sar->records);
    free(xml);
    return CASESCRIBE_OK;
}

static const char *template_section_title(const void *tpl, const char *id)
{
    const cs_template_section *s = tpl != NULL ? cs_template_find_section(tpl, id) : NULL;
    return s != NULL ? s->title : NULL;
}

static void count_ai(casescribe_sar *sar, const cs_record *r, int32_t provenance, size_t redacted)
{
    int ai = 0, unchecked = 0;
    for (size_t i = 0; i < r->n_sections; i++) {
        ai |= cs_origin_is_ai(r->sections[i].origin);
        unchecked |= r->sections[i].origin == CS_ORIGIN_AI_DRAFT;
    }
    sar->totals.records++;
    sar->totals.with_ai += ai;
    sar->totals.unchecked += unchecked;
    sar->totals.not_verified += provenance != CASESCRIBE_OK;
    sar->totals.redacted += redacted > 0;
}

/* Everything for one decoded record that names the requester. */
static int32_t export_record(casescribe_sar *sar, cs_record *r)
{
    cs_buf diffs = {0};
    char digest[CS_DIGEST_LEN] = "";
    int32_t provenance = cs_verify_record(&diffs, sar->ctx->keys, r, digest);
    if (provenance == CASESCRIBE_OK) /* dated outside its key's validity, or that unreadable: not verified */
        provenance = cs_verify_key_window(&diffs, sar->ctx, r);
    cs_buf_free(&diffs);
    if (provenance == CASESCRIBE_ENOMEM)
        return provenance;
    cs_clear_error();
    int journal = journal_position(sar, r, digest);
    casescribe_template *tpl = NULL;
    if (cs_ctx_template(sar->ctx, r->template_id, &tpl) != CASESCRIBE_OK)
        cs_clear_error(); /* an unreadable template only costs the page its titles */
    struct record_spans rs;
    int32_t rc = find_spans(&rs, &sar->redactions, r);
    sar->position++;
    cs_report_record rr = {.r = r, .position = sar->position, .subject = sar->subject, .provenance = provenance,
                           .template_title = tpl != NULL ? tpl->title : NULL, .section_title = template_section_title,
                           .tpl = tpl, .spans = rs.spans, .n_spans = rs.n, .n_redacted = rs.total,
                           .journal = journal};
    if (rc == CASESCRIBE_OK)
        rc = review_record(sar, r);
    if (rc == CASESCRIBE_OK && (cs_report_toc_entry(sar->toc, &rr) != 0 || cs_report_write(sar->body, &rr) != 0))
        rc = cs_fail(CASESCRIBE_EIO, "cannot write the report");
    if (rc == CASESCRIBE_OK)
        rc = redact_record(r, &rs, &sar->redactions);
    if (rc == CASESCRIBE_OK)
        rc = records_entry(sar, r, provenance, rs.total, digest);
    if (rc == CASESCRIBE_OK) {
        manifest_record(sar, r, provenance, journal, digest, &rs);
        count_ai(sar, r, provenance, rs.total);
    }
    spans_free(&rs);
    if (tpl != NULL)
        cs_template_unref(tpl);
    if (rc == CASESCRIBE_OK && (ferror(sar->records) || ferror(sar->manifest_records) ||
                                ferror(sar->manifest_redactions) || (sar->review != NULL && ferror(sar->review))))
        rc = cs_fail(CASESCRIBE_EIO, "cannot write the export (is the disk full?)");
    return rc;
}

/* ---- the handle ---------------------------------------------------------------- */

int32_t casescribe_sar_options_init(casescribe_sar_options *opts, uint32_t struct_size)
{
    if (opts == NULL || struct_size < sizeof(casescribe_sar_options) || struct_size > sizeof(casescribe_sar_options))
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_sar_options_init: pass sizeof(casescribe_sar_options)");
    memset(opts, 0, sizeof(*opts));
    opts->struct_size = struct_size;
    return CASESCRIBE_OK;
}

void casescribe_sar_free(casescribe_sar *sar)
{
    if (sar == NULL)
        return;
    int ignored = 0;
    close_part(&sar->toc, &ignored);
    close_part(&sar->body, &ignored);
    close_part(&sar->records, &ignored);
    close_part(&sar->manifest_records, &ignored);
    close_part(&sar->manifest_redactions, &ignored);
    close_part(&sar->review, &ignored);
    remove_parts(sar);
    cs_redactions_free(&sar->redactions);
    EVP_PKEY_free(sar->signer);
    free(sar->subject);
    free(sar->output);
    free(sar->review_path);
    free(sar->organisation);
    free(sar->contact);
    free(sar->dir);
    free(sar);
}

/* 1 when the two paths name one file (or are the same text). */
static int same_file(const char *a, const char *b)
{
    struct stat x, y;
    if (a == NULL || b == NULL)
        return 0;
    if (strcmp(a, b) == 0)
        return 1;
    return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

static int32_t check_options(const casescribe_sar_options *o)
{
    if (o == NULL || o->struct_size != sizeof(casescribe_sar_options))
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_sar_open: initialise the options with "
                                          "casescribe_sar_options_init");
    if (o->flags != 0)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_sar_open: flags must be 0");
    if (o->subject_id == NULL || !cs_valid_id(o->subject_id))
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_sar_open: subject_id must be a subject id as forms give them");
    if (o->output_path == NULL || o->output_path[0] == '\0' || strlen(o->output_path) > 4000)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_sar_open: output_path is missing");
    if ((o->organisation != NULL && !cs_valid_label(o->organisation, 200)) ||
        (o->correction_contact != NULL && !cs_valid_label(o->correction_contact, 500)))
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_sar_open: organisation and correction_contact are one line "
                                          "of text (200 and 500 characters at most)");
    if (o->review_path != NULL && (same_file(o->review_path, o->output_path) || same_file(o->review_path, o->redact_path)))
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_sar_open: the new review list would overwrite the export or the "
                                          "officer's reviewed list: give it another name");
    return CASESCRIBE_OK;
}

static int32_t make_parts(casescribe_sar *sar)
{
    size_t n = strlen(sar->output) + 16;
    if ((sar->dir = malloc(n)) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    snprintf(sar->dir, n, "%s.parts-XXXXXX", sar->output);
    if (mkdtemp(sar->dir) == NULL) {
        int e = errno;
        free(sar->dir);
        sar->dir = NULL;
        return cs_fail(CASESCRIBE_EIO, "cannot make a folder beside the export %s: %s", sar->output, strerror(e));
    }
    sar->toc = open_part(sar, PART_TOC);
    sar->body = open_part(sar, PART_BODY);
    sar->records = open_part(sar, PART_RECORDS);
    sar->manifest_records = open_part(sar, PART_MANIFEST_RECORDS);
    sar->manifest_redactions = open_part(sar, PART_MANIFEST_REDACTIONS);
    if (sar->review_path != NULL)
        sar->review = open_part(sar, PART_REVIEW);
    if (sar->toc == NULL || sar->body == NULL || sar->records == NULL || sar->manifest_records == NULL ||
        sar->manifest_redactions == NULL || (sar->review_path != NULL && sar->review == NULL))
        return cs_fail(CASESCRIBE_EIO, "cannot write in the folder beside the export %s", sar->output);
    fprintf(sar->records, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<records xmlns=\"urn:casescribe:sar:1\" subject=\"%s\">\n",
            sar->subject);
    if (sar->review != NULL)
        fputs("record,version,where,kind,text,occurrences,redact,reason\n", sar->review);
    return CASESCRIBE_OK;
}

int32_t casescribe_sar_open(casescribe_sar **sar_out, casescribe_ctx *ctx, const casescribe_sar_options *opts)
{
    if (sar_out == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_sar_open: sar_out is NULL");
    *sar_out = NULL;
    cs_clear_error();
    if (ctx == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_sar_open: ctx is NULL");
    int32_t rc = check_options(opts);
    if (rc != CASESCRIBE_OK)
        return rc;
    casescribe_sar *sar = calloc(1, sizeof(*sar));
    if (sar == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    sar->ctx = ctx;
    sar->subject = cs_strdup(opts->subject_id);
    sar->output = cs_strdup(opts->output_path);
    sar->review_path = cs_strdup(opts->review_path);
    sar->organisation = cs_strdup(opts->organisation);
    sar->contact = cs_strdup(opts->correction_contact);
    if (sar->subject == NULL || sar->output == NULL || (opts->review_path && !sar->review_path) ||
        (opts->organisation && !sar->organisation) || (opts->correction_contact && !sar->contact))
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc == CASESCRIBE_OK)
        rc = cs_keyring_signer(ctx->keys, &sar->signer, sar->key_id);
    if (rc == CASESCRIBE_OK && opts->redact_path != NULL)
        rc = cs_redactions_load(&sar->redactions, opts->redact_path);
    if (rc == CASESCRIBE_OK)
        rc = make_parts(sar);
    if (rc != CASESCRIBE_OK) {
        casescribe_sar_free(sar);
        return rc;
    }
    cs_format_time(sar->created, cs_now());
    *sar_out = sar;
    return CASESCRIBE_OK;
}

int32_t casescribe_sar_add(casescribe_sar *sar, const char *adapter, const uint8_t *payload, size_t payload_len)
{
    if (sar == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_sar_add: sar is NULL");
    cs_clear_error();
    if (sar->broken || sar->dir == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_sar_add: this export failed or is finished; start again");
    cs_record *r = NULL;
    int32_t rc = cs_adapter_decode(&r, adapter, payload, payload_len);
    if (rc != CASESCRIBE_OK)
        return rc;
    if (requester_of(r, sar->subject) == NULL)
        rc = cs_fail(CASESCRIBE_EINVAL, "record %s is not about subject %s: it was left out", r->id, sar->subject);
    else if ((rc = export_record(sar, r)) != CASESCRIBE_OK)
        sar->broken = 1; /* a part may be half written */
    cs_record_free(r);
    return rc;
}

/* ---- finishing ------------------------------------------------------------------- */

static int32_t copy_part(FILE *to, const casescribe_sar *sar, const char *part)
{
    char *p = part_path(sar, part), buf[65536];
    FILE *from = p != NULL ? fopen(p, "r") : NULL;
    free(p);
    if (from == NULL)
        return cs_fail(CASESCRIBE_EIO, "cannot read back a part of the export");
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), from)) > 0)
        if (fwrite(buf, 1, n, to) != n)
            break;
    int bad = ferror(from) || ferror(to);
    fclose(from);
    return bad ? cs_fail(CASESCRIBE_EIO, "cannot put the export together") : CASESCRIBE_OK;
}

static int32_t write_report(casescribe_sar *sar)
{
    FILE *f = open_part(sar, "report.html");
    if (f == NULL)
        return cs_fail(CASESCRIBE_EIO, "cannot write report.html");
    sar->totals.organisation = sar->organisation;
    sar->totals.contact = sar->contact;
    sar->totals.created = sar->created;
    sar->totals.key_id = sar->key_id;
    int32_t rc = cs_report_head(f, &sar->totals) == 0 ? CASESCRIBE_OK : CASESCRIBE_EIO;
    fputs("<nav aria-labelledby=\"contents\">\n<h2 id=\"contents\">Your records in this copy</h2>\n<ol>\n", f);
    if (rc == CASESCRIBE_OK)
        rc = copy_part(f, sar, PART_TOC);
    fputs("</ol>\n</nav>\n", f);
    if (rc == CASESCRIBE_OK)
        rc = copy_part(f, sar, PART_BODY);
    if (rc == CASESCRIBE_OK && cs_report_tail(f) != 0)
        rc = CASESCRIBE_EIO;
    if (fclose(f) != 0 && rc == CASESCRIBE_OK)
        rc = CASESCRIBE_EIO;
    return rc == CASESCRIBE_EIO ? cs_fail(rc, "cannot write report.html") : rc;
}

static int32_t write_part(const casescribe_sar *sar, const char *name, const void *data, size_t len)
{
    FILE *f = open_part(sar, name);
    int ok = f != NULL && fwrite(data, 1, len, f) == len;
    if (f != NULL && fclose(f) != 0)
        ok = 0;
    return ok ? CASESCRIBE_OK : cs_fail(CASESCRIBE_EIO, "cannot write %s", name);
}

/* The files the manifest lists, in this order. */
static const char *const listed[] = {"report.html", "records.xml", "public-key.pem", "README.txt"};
#define N_LISTED (sizeof(listed) / sizeof(*listed))

/* The ledger's latest signed checkpoint, as <checkpoint> (none before the
 * home's first commit with a key): the export then proves, offline, how far
 * the ledger had come. Its text is base64, digits and ASCII words but for
 * the signature line's dash; escaped all the same. */
static int32_t put_checkpoint(FILE *f, casescribe_sar *sar)
{
    char *note = NULL;
    int32_t rc = casescribe_checkpoint_export(&note, sar->ctx);
    if (rc == CASESCRIBE_ENOTFOUND) {
        cs_clear_error();
        return CASESCRIBE_OK;
    }
    if (rc != CASESCRIBE_OK)
        return rc;
    fputs("  <checkpoint>", f);
    for (const char *p = note; *p != '\0'; p++) {
        const char *entity = *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : *p == '&' ? "&amp;" : NULL;
        if (entity != NULL)
            fputs(entity, f);
        else
            fputc(*p, f);
    }
    fputs("</checkpoint>\n", f);
    casescribe_free(note);
    return CASESCRIBE_OK;
}

static int32_t write_manifest(casescribe_sar *sar)
{
    FILE *f = open_part(sar, CS_SAR_MANIFEST);
    if (f == NULL)
        return cs_fail(CASESCRIBE_EIO, "cannot write the manifest");
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<manifest xmlns=\"urn:casescribe:sar:1\" version=\"1\" subject=\"%s\" created=\"%s\" "
               "library=\"casescribe %s\" key-id=\"%s\" records=\"%llu\">\n",
            sar->subject, sar->created, casescribe_version(), sar->key_id, (unsigned long long)sar->totals.records);
    int32_t rc = CASESCRIBE_OK;
    for (size_t i = 0; i < N_LISTED && rc == CASESCRIBE_OK; i++) {
        char hex[65], *p = part_path(sar, listed[i]);
        uint64_t bytes = 0;
        rc = p != NULL ? cs_sha256_file(hex, &bytes, p) : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
        free(p);
        if (rc == CASESCRIBE_OK)
            fprintf(f, "  <file name=\"%s\" bytes=\"%llu\" sha256=\"%s\"/>\n", listed[i], (unsigned long long)bytes,
                    hex);
    }
    if (rc == CASESCRIBE_OK)
        rc = put_checkpoint(f, sar);
    if (rc == CASESCRIBE_OK)
        rc = copy_part(f, sar, PART_MANIFEST_RECORDS);
    if (rc == CASESCRIBE_OK)
        rc = copy_part(f, sar, PART_MANIFEST_REDACTIONS);
    fputs("</manifest>\n", f);
    if (fclose(f) != 0 && rc == CASESCRIBE_OK)
        rc = cs_fail(CASESCRIBE_EIO, "cannot write the manifest");
    return rc;
}

static int32_t sign_manifest(casescribe_sar *sar)
{
    char *p = part_path(sar, CS_SAR_MANIFEST);
    uint8_t *manifest = NULL, sig[64];
    size_t len = 0;
    int32_t rc = p != NULL ? cs_read_file(&manifest, &len, p, CS_SAR_MAX_MANIFEST)
                           : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    free(p);
    if (rc == CASESCRIBE_ETOOBIG)
        rc = cs_fail(rc, "the manifest would be over %u MiB: export fewer records at once", CS_SAR_MAX_MANIFEST >> 20);
    if (rc == CASESCRIBE_OK)
        rc = cs_sar_sign(sig, sar->signer, manifest, len);
    free(manifest);
    return rc == CASESCRIBE_OK ? write_part(sar, CS_SAR_SIGNATURE, sig, sizeof(sig)) : rc;
}

static int32_t finish_parts(casescribe_sar *sar)
{
    fputs("</records>\n", sar->records);
    close_part(&sar->toc, &sar->broken);
    close_part(&sar->body, &sar->broken);
    close_part(&sar->records, &sar->broken);
    close_part(&sar->manifest_records, &sar->broken);
    close_part(&sar->manifest_redactions, &sar->broken);
    close_part(&sar->review, &sar->broken);
    if (sar->broken)
        return cs_fail(CASESCRIBE_EIO, "a part of the export could not be written");
    char *pem = NULL, *readme = NULL, fingerprint[CS_KEY_FINGERPRINT_MAX];
    size_t pem_len = 0;
    int32_t rc = write_report(sar);
    if (rc == CASESCRIBE_OK)
        rc = cs_key_public_pem(&pem, &pem_len, sar->signer);
    if (rc == CASESCRIBE_OK)
        rc = write_part(sar, "public-key.pem", pem, pem_len);
    if (rc == CASESCRIBE_OK)
        rc = cs_key_fingerprint(fingerprint, sar->signer);
    if (rc == CASESCRIBE_OK)
        rc = cs_sar_readme(&readme, sar->key_id, fingerprint);
    if (rc == CASESCRIBE_OK)
        rc = write_part(sar, "README.txt", readme, strlen(readme));
    free(pem);
    free(readme);
    if (rc == CASESCRIBE_OK)
        rc = write_manifest(sar);
    if (rc == CASESCRIBE_OK)
        rc = sign_manifest(sar);
    return rc;
}

/* The finished ZIP, only its owner may read it, moved into place. */
static int32_t place_zip(casescribe_sar *sar)
{
    static const char *const in_zip[] = {"report.html", "records.xml", "public-key.pem", "README.txt",
                                         CS_SAR_MANIFEST, CS_SAR_SIGNATURE};
    char *zip = part_path(sar, "export.zip");
    if (zip == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    int32_t rc = cs_sar_zip(zip, sar->dir, in_zip, sizeof(in_zip) / sizeof(*in_zip));
    int fd = rc == CASESCRIBE_OK ? open(zip, O_RDONLY | O_CLOEXEC) : -1;
    if (rc == CASESCRIBE_OK && (fd < 0 || fchmod(fd, 0600) != 0 || fsync(fd) != 0))
        rc = cs_fail(CASESCRIBE_EIO, "cannot make the export durable: %s", strerror(errno));
    if (fd >= 0)
        close(fd);
    if (rc == CASESCRIBE_OK && rename(zip, sar->output) != 0)
        rc = cs_fail(CASESCRIBE_EIO, "cannot write %s: %s", sar->output, strerror(errno));
    if (rc == CASESCRIBE_OK)
        cs_fsync_parent(sar->output);
    free(zip);
    return rc;
}

/* The review list goes to its own place, never into the bundle. */
static int32_t place_review(casescribe_sar *sar)
{
    if (sar->review_path == NULL)
        return CASESCRIBE_OK;
    char *p = part_path(sar, PART_REVIEW);
    uint8_t *data = NULL;
    size_t len = 0;
    int32_t rc = p != NULL ? cs_read_file(&data, &len, p, (size_t)1 << 30) : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc == CASESCRIBE_OK && cs_write_file_atomic(sar->review_path, data, len, 0600) != CASESCRIBE_OK)
        rc = cs_fail(CASESCRIBE_EIO, "cannot write the review list %s", sar->review_path);
    free(data);
    free(p);
    return rc;
}

int32_t casescribe_sar_finish(char **summary_out, casescribe_sar *sar)
{
    if (summary_out != NULL)
        *summary_out = NULL;
    if (sar == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_sar_finish: sar is NULL");
    cs_clear_error();
    if (sar->broken || sar->dir == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_sar_finish: this export failed or is finished; start again");
    int32_t rc = finish_parts(sar);
    if (rc == CASESCRIBE_OK)
        rc = place_review(sar);
    if (rc == CASESCRIBE_OK)
        rc = place_zip(sar);
    remove_parts(sar);
    free(sar->dir);
    sar->dir = NULL;
    if (rc != CASESCRIBE_OK)
        return rc;
    char fingerprint[CS_KEY_FINGERPRINT_MAX];
    if (summary_out != NULL && (rc = cs_key_fingerprint(fingerprint, sar->signer)) == CASESCRIBE_OK) {
        cs_buf b = {0};
        const cs_report_totals *t = &sar->totals;
        /* The fingerprint goes in the cover letter: README.txt asks the person to compare it. */
        cs_buf_printf(&b, "records: %llu\nwith AI-drafted parts: %llu\nwith parts not yet checked: %llu\n"
                          "not verified: %llu\nwith redactions: %llu\nkey: %s\nkey fingerprint: %s\n",
                      (unsigned long long)t->records, (unsigned long long)t->with_ai,
                      (unsigned long long)t->unchecked, (unsigned long long)t->not_verified,
                      (unsigned long long)t->redacted, sar->key_id, fingerprint);
        if ((*summary_out = cs_buf_take(&b)) == NULL)
            rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
        cs_buf_free(&b);
    }
    return rc;
}
