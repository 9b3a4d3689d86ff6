/* SPDX-License-Identifier: Apache-2.0 */
/* redact.c - the officer's decisions (a reviewed redaction-review.csv, read
 * with libcsv) and applying them to text. */
#include <csv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sar/sar.h"

const char *const cs_redact_reason_names[CS_REDACT_REASONS] = {"third-party", "serious-harm", "legal-privilege",
                                                               "crime-prevention", "other"};

#define MAX_CSV_BYTES (16u << 20)
#define MAX_ITEMS 100000u
#define MAX_FIELDS 16
#define MAX_ITEM_BYTES 1024 /* a name or a phrase, not a paragraph */

/* The row being read and what the header said. */
struct reader {
    cs_redactions *out;
    char *fields[MAX_FIELDS];
    size_t n_fields;
    long col_record, col_text, col_redact, col_reason; /* -1 until the header names them */
    uint64_t row;
    int32_t rc;
};

static void field_cb(void *s, size_t len, void *data)
{
    struct reader *rd = data;
    if (rd->rc != CASESCRIBE_OK || rd->n_fields >= MAX_FIELDS)
        return;
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        rd->rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory reading the redaction file");
        return;
    }
    memcpy(copy, s, len);
    copy[len] = '\0';
    rd->fields[rd->n_fields++] = copy;
}

/* The review file protects cells a spreadsheet would run as formulas with a
 * leading apostrophe (see names written by export.c); it is not part of the text. */
static const char *unprotect(const char *cell)
{
    if (cell[0] == '\'' && strchr("=+-@\t\r", cell[1]) != NULL && cell[1] != '\0')
        return cell + 1;
    return cell;
}

static const char *field(const struct reader *rd, long col)
{
    return col >= 0 && (size_t)col < rd->n_fields ? rd->fields[col] : NULL;
}

static int32_t take_header(struct reader *rd)
{
    for (size_t i = 0; i < rd->n_fields; i++) {
        const char *f = rd->fields[i];
        if (strcmp(f, "record") == 0)
            rd->col_record = (long)i;
        else if (strcmp(f, "text") == 0)
            rd->col_text = (long)i;
        else if (strcmp(f, "redact") == 0)
            rd->col_redact = (long)i;
        else if (strcmp(f, "reason") == 0)
            rd->col_reason = (long)i;
    }
    if (rd->col_record < 0 || rd->col_text < 0 || rd->col_redact < 0)
        return cs_fail(CASESCRIBE_ESCHEMA, "the redaction file's first row must name the columns record, text and "
                                           "redact (and optionally reason), as redaction-review.csv does");
    return CASESCRIBE_OK;
}

static int parse_reason(const char *text)
{
    if (text == NULL || text[0] == '\0')
        return 0; /* third-party: what the review file is about */
    for (int i = 0; i < CS_REDACT_REASONS; i++)
        if (strcmp(text, cs_redact_reason_names[i]) == 0)
            return i;
    return -1;
}

static int32_t take_row(struct reader *rd)
{
    const char *redact = field(rd, rd->col_redact), *record = field(rd, rd->col_record);
    const char *text = field(rd, rd->col_text);
    if (redact == NULL || strcasecmp(redact, "yes") != 0)
        return CASESCRIBE_OK;
    int reason = parse_reason(field(rd, rd->col_reason));
    if (reason < 0)
        return cs_fail(CASESCRIBE_ESCHEMA, "row %llu of the redaction file: unknown reason (use third-party, "
                                           "serious-harm, legal-privilege, crime-prevention or other)",
                       (unsigned long long)rd->row);
    if (record == NULL || record[0] == '\0' || text == NULL || unprotect(text)[0] == '\0')
        return cs_fail(CASESCRIBE_ESCHEMA, "row %llu of the redaction file: a row marked yes needs a record and a text",
                       (unsigned long long)rd->row);
    if (strlen(text) > MAX_ITEM_BYTES)
        return cs_fail(CASESCRIBE_ESCHEMA, "row %llu of the redaction file: a text to redact may be %u bytes at most",
                       (unsigned long long)rd->row, MAX_ITEM_BYTES);
    if (rd->out->n >= MAX_ITEMS)
        return cs_fail(CASESCRIBE_ETOOBIG, "the redaction file approves more than %u items", MAX_ITEMS);
    cs_redaction *grown = realloc(rd->out->items, (rd->out->n + 1) * sizeof(*grown));
    if (grown == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory reading the redaction file");
    rd->out->items = grown;
    cs_redaction *it = &grown[rd->out->n];
    it->record = cs_strdup(unprotect(record)); /* ids may start with - + @ too, guarded the same way */
    it->text = cs_strdup(unprotect(text));
    it->reason = reason;
    if (it->record == NULL || it->text == NULL) {
        free(it->record);
        free(it->text);
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory reading the redaction file");
    }
    rd->out->n++;
    return CASESCRIBE_OK;
}

static void row_cb(int c, void *data)
{
    (void)c;
    struct reader *rd = data;
    if (rd->rc == CASESCRIBE_OK) {
        rd->row++;
        rd->rc = rd->row == 1 ? take_header(rd) : take_row(rd);
    }
    for (size_t i = 0; i < rd->n_fields; i++)
        free(rd->fields[i]);
    rd->n_fields = 0;
}

static int by_record_text(const void *a, const void *b)
{
    const cs_redaction *x = a, *y = b;
    int c = strcmp(x->record, y->record);
    return c != 0 ? c : strcasecmp(x->text, y->text);
}

int32_t cs_redactions_parse(cs_redactions *out, const uint8_t *data, size_t len)
{
    memset(out, 0, sizeof(*out));
    if (len > MAX_CSV_BYTES)
        return cs_fail(CASESCRIBE_ETOOBIG, "the redaction file is over %u MiB", MAX_CSV_BYTES >> 20);
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory reading the redaction file");
    struct reader rd = {.out = out, .col_record = -1, .col_text = -1, .col_redact = -1, .col_reason = -1};
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) { /* the byte order mark spreadsheets write */
        data += 3;
        len -= 3;
    }
    if (csv_parse(&p, data, len, field_cb, row_cb, &rd) != len && rd.rc == CASESCRIBE_OK)
        rd.rc = cs_fail(CASESCRIBE_ESCHEMA, "the redaction file is not valid CSV: %s", csv_strerror(csv_error(&p)));
    if (csv_fini(&p, field_cb, row_cb, &rd) != 0 && rd.rc == CASESCRIBE_OK)
        rd.rc = cs_fail(CASESCRIBE_ESCHEMA, "the redaction file is not valid CSV: %s", csv_strerror(csv_error(&p)));
    csv_free(&p);
    for (size_t i = 0; i < rd.n_fields; i++)
        free(rd.fields[i]);
    if (rd.rc == CASESCRIBE_OK && rd.row == 0)
        rd.rc = cs_fail(CASESCRIBE_ESCHEMA, "the redaction file is empty");
    if (rd.rc != CASESCRIBE_OK) {
        cs_redactions_free(out);
        return rd.rc;
    }
    if (out->n > 1)
        qsort(out->items, out->n, sizeof(*out->items), by_record_text);
    return CASESCRIBE_OK;
}

int32_t cs_redactions_load(cs_redactions *out, const char *path)
{
    memset(out, 0, sizeof(*out));
    uint8_t *data = NULL;
    size_t len = 0;
    int32_t rc = cs_read_file(&data, &len, path, MAX_CSV_BYTES);
    if (rc == CASESCRIBE_ENOTFOUND)
        return cs_fail(rc, "no redaction file at %s", path);
    if (rc == CASESCRIBE_OK)
        rc = cs_redactions_parse(out, data, len);
    free(data);
    return rc;
}

void cs_redactions_free(cs_redactions *rx)
{
    for (size_t i = 0; i < rx->n; i++) {
        free(rx->items[i].record);
        free(rx->items[i].text);
    }
    free(rx->items);
    memset(rx, 0, sizeof(*rx));
}

/* ---- applying them ---------------------------------------------------------- */

static int is_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* The first item for `record` (items are sorted by record). */
static size_t first_of(const cs_redactions *rx, const char *record)
{
    size_t lo = 0, hi = rx->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(rx->items[mid].record, record) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The items that apply to `record` are two runs of the sorted list: the
 * "*" rows and its own, found by binary search so that a long file costs
 * little per record. range[0..1] and range[2..3] get them. */
static void items_for(const cs_redactions *rx, const char *record, size_t range[4])
{
    const char *keys[2] = {"*", record};
    for (int k = 0; k < 2; k++) {
        size_t i = first_of(rx, keys[k]), j = i;
        while (j < rx->n && strcmp(rx->items[j].record, keys[k]) == 0)
            j++;
        range[2 * k] = i;
        range[2 * k + 1] = k == 1 && strcmp(record, "*") == 0 ? i : j; /* "*" once */
    }
}

static int32_t add_span(cs_span **spans, size_t *n, size_t *cap, size_t start, size_t end, int reason)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 8;
        cs_span *grown = realloc(*spans, c * sizeof(*grown));
        if (grown == NULL)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory redacting");
        *spans = grown;
        *cap = c;
    }
    (*spans)[(*n)++] = (cs_span){start, end, 1u << reason};
    return CASESCRIBE_OK;
}

static int by_start(const void *a, const void *b)
{
    const cs_span *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

/* Sorts and merges overlapping or touching spans, keeping every reason. */
static size_t merge(cs_span *s, size_t n)
{
    if (n == 0)
        return 0;
    qsort(s, n, sizeof(*s), by_start);
    size_t k = 0;
    for (size_t i = 1; i < n; i++) {
        if (s[i].start <= s[k].end) {
            if (s[i].end > s[k].end)
                s[k].end = s[i].end;
            s[k].reasons |= s[i].reasons;
        } else {
            s[++k] = s[i];
        }
    }
    return k + 1;
}

/* Adds a span for each occurrence of the item in the text that is not part
 * of a longer word ("Jo" in "Jones"). */
static int32_t find_item(cs_span **spans, size_t *n, size_t *cap, const cs_redaction *it, const char *text,
                         size_t len)
{
    size_t m = strlen(it->text);
    for (size_t at = 0; m > 0 && at + m <= len; at++) {
        if (strncasecmp(text + at, it->text, m) != 0)
            continue;
        if ((at > 0 && is_word_byte((unsigned char)text[at - 1]) && is_word_byte((unsigned char)it->text[0])) ||
            (at + m < len && is_word_byte((unsigned char)text[at + m]) && is_word_byte((unsigned char)it->text[m - 1])))
            continue;
        int32_t rc = add_span(spans, n, cap, at, at + m, it->reason);
        if (rc != CASESCRIBE_OK)
            return rc;
        at += m - 1;
    }
    return CASESCRIBE_OK;
}

int32_t cs_redaction_spans(cs_span **out, size_t *n, const cs_redactions *rx, const char *record, const char *text,
                           size_t len)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    size_t range[4];
    items_for(rx, record, range);
    for (size_t r = 0; r < 4; r += 2)
        for (size_t i = range[r]; i < range[r + 1]; i++) {
            int32_t rc = find_item(out, n, &cap, &rx->items[i], text, len);
            if (rc != CASESCRIBE_OK) {
                free(*out);
                *out = NULL;
                *n = 0;
                return rc;
            }
        }
    *n = merge(*out, *n);
    return CASESCRIBE_OK;
}

int cs_redaction_whole(const cs_redactions *rx, const char *record, const char *text, int *reason)
{
    size_t range[4];
    if (text == NULL)
        return 0;
    items_for(rx, record, range);
    for (size_t r = 0; r < 4; r += 2)
        for (size_t i = range[r]; i < range[r + 1]; i++)
            if (strcasecmp(rx->items[i].text, text) == 0) {
                *reason = rx->items[i].reason;
                return 1;
            }
    return 0;
}

char *cs_redact_text(const char *text, size_t len, const cs_span *spans, size_t n, size_t *out_len)
{
    size_t size = len + 1;
    for (size_t i = 0; i < n; i++)
        size += sizeof(CS_REDACTED); /* at most this much longer per span */
    char *out = malloc(size), *w = out;
    if (out == NULL)
        return NULL;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(w, text + at, spans[i].start - at);
        w += spans[i].start - at;
        memcpy(w, CS_REDACTED, sizeof(CS_REDACTED) - 1);
        w += sizeof(CS_REDACTED) - 1;
        at = spans[i].end;
    }
    memcpy(w, text + at, len - at);
    w += len - at;
    *w = '\0';
    if (out_len != NULL)
        *out_len = (size_t)(w - out);
    return out;
}

size_t cs_redact_map(size_t pos, const cs_span *spans, size_t n)
{
    size_t shift_in = 0, shift_out = 0;
    for (size_t i = 0; i < n && spans[i].start < pos; i++) {
        if (pos < spans[i].end) /* inside a span: its replacement's start */
            return spans[i].start - shift_in + shift_out;
        shift_in += spans[i].end - spans[i].start;
        shift_out += sizeof(CS_REDACTED) - 1;
    }
    return pos - shift_in + shift_out;
}

size_t cs_redact_map_end(size_t pos, const cs_span *spans, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (pos > spans[i].start && pos < spans[i].end) /* an end inside a span takes the whole "[redacted]" */
            return cs_redact_map(spans[i].end, spans, n);
    return cs_redact_map(pos, spans, n);
}
