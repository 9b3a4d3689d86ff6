/* SPDX-License-Identifier: Apache-2.0 */
/* transcript_import.c - transcripts other programs made, read into the
 * same model as the library's own: WebVTT (Microsoft Teams, Zoom and Otter
 * exports; speakers from <v Name> voice tags or "Name: words" lines),
 * SubRip (SRT) and plain text with "[hh:mm:ss] Speaker: words" lines. Such
 * a transcript is made-by "imported": its words carry their cue's times and
 * no confidence, so none is marked unsure, and its notice says plainly
 * where it came from. And the worker's observation tags ("00:12:31 child
 * withdrew to bedroom"), put in a transcript at their time as the worker's
 * own words.
 *
 * Every byte is hostile input: at most 32 MiB, lines of at most 4096 bytes,
 * strict UTF-8 (ICU), no control characters, words of at most 64
 * characters, the XML reader's bounds on segments and words. */
#include <stdlib.h>
#include <string.h>
#include <unicode/ustring.h>

#include "context.h"
#include "internal.h"
#include "transcribe/transcript.h"

#define MAX_IMPORT_BYTES (32u << 20)
#define MAX_LINE 4096u
#define MAX_MS 86400000LL
#define MAX_TAGS 200u
#define MAX_TAG_LABEL 200u
#define MAX_SPEAKER 200u /* bytes of a speaker's name (the schema allows 256 characters) */

enum { KIND_NONE, KIND_VTT, KIND_SRT, KIND_TEXT };

/* ---- lines ------------------------------------------------------------------ */

struct lines {
    const char *p, *end;
    size_t no; /* the number of the line last read, from 1 */
};

/* The next line without its end (\n, \r\n or \r); 0 at the end of input. */
static int next_line(struct lines *r, const char **line, size_t *len)
{
    if (r->p >= r->end)
        return 0;
    const char *s = r->p, *e = s;
    while (e < r->end && *e != '\n' && *e != '\r')
        e++;
    *line = s;
    *len = (size_t)(e - s);
    if (e < r->end && *e == '\r' && e + 1 < r->end && e[1] == '\n')
        e++;
    r->p = e < r->end ? e + 1 : e;
    r->no++;
    return 1;
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return 0;
    return 1;
}

/* Strict UTF-8 (ICU), no NUL or other control character but tab and line
 * ends, no line longer than MAX_LINE. */
static int32_t check_bytes(const uint8_t *b, size_t len)
{
    if (len > MAX_IMPORT_BYTES)
        return cs_fail(CASESCRIBE_ETOOBIG, "a transcript may be at most %u MiB", MAX_IMPORT_BYTES >> 20);
    UErrorCode err = U_ZERO_ERROR;
    int32_t n = 0;
    u_strFromUTF8(NULL, 0, &n, (const char *)b, (int32_t)len, &err);
    if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err))
        return cs_fail(CASESCRIBE_EPARSE, "the transcript is not UTF-8 text");
    size_t line = 1, run = 0;
    for (size_t i = 0; i < len; i++) {
        if (b[i] == '\n' || b[i] == '\r') {
            line += b[i] == '\n' || i + 1 == len || b[i + 1] != '\n';
            run = 0;
            continue;
        }
        if ((b[i] < 0x20 && b[i] != '\t') || b[i] == 0x7f)
            return cs_fail(CASESCRIBE_EPARSE, "the transcript holds a control character on line %zu", line);
        if (++run > MAX_LINE)
            return cs_fail(CASESCRIBE_ETOOBIG, "line %zu of the transcript is longer than %u bytes", line, MAX_LINE);
    }
    return CASESCRIBE_OK;
}

/* ---- times ------------------------------------------------------------------ */

static size_t digits(const char *s, size_t n, int64_t *v)
{
    size_t i = 0;
    *v = 0;
    while (i < n && i < 9 && s[i] >= '0' && s[i] <= '9')
        *v = *v * 10 + (s[i++] - '0');
    return i;
}

/* "hh:mm:ss.ttt", "mm:ss.ttt", "hh:mm:ss" or "mm:ss" (`frac` is '.' or ',';
 * the fraction is optional). Bytes read, 0 when it is not a time. */
static size_t parse_clock(const char *s, size_t n, char frac, int64_t *ms)
{
    int64_t part[3], f = 0;
    size_t at = 0, k = 0;
    for (; k < 3; k++) {
        size_t d = digits(s + at, n - at, &part[k]);
        if (d == 0 || (k > 0 && d != 2))
            return 0;
        at += d;
        if (k == 2 || at >= n || s[at] != ':')
            break;
        at++;
    }
    if (k == 0)
        return 0;
    int64_t h = k == 2 ? part[0] : 0, m = part[k - 1], sec = part[k];
    if (at < n && (s[at] == frac || s[at] == '.')) {
        size_t d = digits(s + at + 1, n - at - 1, &f);
        if (d != 3)
            return 0;
        at += 1 + d;
    }
    if (m > 59 || sec > 59 || (k == 2 && part[1] > 59) || (k == 1 && part[0] > 59 * 60))
        return 0;
    *ms = ((h * 60 + m) * 60 + sec) * 1000 + f;
    return *ms <= MAX_MS ? at : 0;
}

/* "start --> end" at the start of a line (cue settings may follow). */
static int parse_timing(const char *s, size_t n, char frac, int64_t *start, int64_t *end)
{
    size_t a = parse_clock(s, n, frac, start);
    if (a == 0)
        return 0;
    while (a < n && (s[a] == ' ' || s[a] == '\t'))
        a++;
    if (n - a < 3 || memcmp(s + a, "-->", 3) != 0)
        return 0;
    a += 3;
    while (a < n && (s[a] == ' ' || s[a] == '\t'))
        a++;
    size_t b = parse_clock(s + a, n - a, frac, end);
    return b > 0 && (a + b == n || s[a + b] == ' ' || s[a + b] == '\t') && *end >= *start;
}

/* ---- segments ----------------------------------------------------------------- */

struct builder {
    casescribe_transcript *t;
    size_t words, cues;
    uint8_t by;
};

static void free_words(cs_word *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(w[i].text);
    free(w);
}

/* Appends the words of `text` (split at spaces) to `w`, each timed as the
 * cue and checked as the schema will check it; `colon` puts a ':' after
 * the last (a speaker's label). */
static int32_t split_words(cs_word *w, size_t *n, const char *text, size_t len, int64_t start, int64_t end,
                           uint8_t by, int colon, size_t line)
{
    size_t first = *n;
    for (size_t i = 0; i < len;) {
        while (i < len && (text[i] == ' ' || text[i] == '\t'))
            i++;
        size_t j = i;
        while (j < len && text[j] != ' ' && text[j] != '\t')
            j++;
        if (j == i)
            break;
        char *word = malloc(j - i + 2);
        if (word == NULL)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory reading a transcript");
        memcpy(word, text + i, j - i);
        word[j - i] = '\0';
        w[(*n)++] = (cs_word){word, start, end, -1, by};
        if (!cs_valid_label(word, colon ? 63 : 64))
            return cs_fail(CASESCRIBE_EPARSE, "line %zu of the transcript has a word that is not printable text or "
                                              "is longer than 64 characters", line);
        i = j;
    }
    if (colon && *n > first) { /* room for it was allocated */
        size_t at = strlen(w[*n - 1].text);
        memcpy(w[*n - 1].text + at, ":", 2);
    }
    return CASESCRIBE_OK;
}

static size_t count_words(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += s[i] != ' ' && s[i] != '\t' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t');
    return k;
}

/* One cue as a segment: the speaker's label words (when named), then the
 * words. A cue with no words is skipped. */
static int32_t add_cue(struct builder *b, int64_t start, int64_t end, const char *speaker, size_t speaker_len,
                       const char *text, size_t len, size_t line)
{
    size_t n_text = count_words(text, len), n_name = n_text ? count_words(speaker, speaker_len) : 0, n = 0;
    if (n_text == 0)
        return CASESCRIBE_OK;
    if (speaker_len > MAX_SPEAKER)
        return cs_fail(CASESCRIBE_EPARSE, "line %zu of the transcript names a speaker in more than %u bytes", line,
                       MAX_SPEAKER);
    if (b->t->n_segments >= CS_TRANSCRIPT_MAX_SEGMENTS)
        return cs_fail(CASESCRIBE_ETOOBIG, "a transcript may hold at most %u segments", CS_TRANSCRIPT_MAX_SEGMENTS);
    if ((b->words += n_text + n_name) > CS_TRANSCRIPT_MAX_WORDS)
        return cs_fail(CASESCRIBE_ETOOBIG, "a transcript may hold at most %u words", CS_TRANSCRIPT_MAX_WORDS);
    cs_word *w = calloc(n_text + n_name, sizeof(*w));
    if (w == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory reading a transcript");
    int32_t rc = split_words(w, &n, speaker, speaker_len, start, end, b->by, 1, line);
    if (rc == CASESCRIBE_OK)
        rc = split_words(w, &n, text, len, start, end, b->by, 0, line);
    if (rc != CASESCRIBE_OK) {
        free_words(w, n);
        return rc;
    }
    rc = cs_transcript_add_segment(b->t, start, end, w, n);
    if (rc == CASESCRIBE_OK)
        cs_transcript_mark_last(b->t, b->by, (uint32_t)n_name);
    b->cues += rc == CASESCRIBE_OK;
    return rc;
}

/* ---- cue text ---------------------------------------------------------------- */

static const struct {
    const char *name, *text;
} entities[] = {{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&nbsp;", " "}, {"&lrm;", ""}, {"&rlm;", ""},
                {"&quot;", "\""}, {"&apos;", "'"}};

/* The cue's payload as plain words: tags (<i>, <c.loud>, <00:01.000>,
 * <font ...>) out, entities decoded, lines joined with a space. The first
 * voice tag's name (<v Kerry Thompson>, <v.loud Kerry>) goes to *speaker. */
static void clean_payload(cs_buf *out, cs_buf *speaker, const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (s[i] == '<') {
            const char *close = memchr(s + i, '>', n - i);
            size_t end = close != NULL ? (size_t)(close - s) : n;
            if (close != NULL && speaker->len == 0 && end - i > 2 && s[i + 1] == 'v' &&
                (s[i + 2] == ' ' || s[i + 2] == '.')) {
                const char *name = memchr(s + i + 2, ' ', end - i - 2);
                if (name != NULL)
                    cs_buf_printf(speaker, "%.*s", (int)(s + end - name - 1), name + 1);
            }
            cs_buf_printf(out, " ");
            i = end < n ? end + 1 : n;
            continue;
        }
        size_t run = 0;
        while (i + run < n && s[i + run] != '<' && s[i + run] != '&')
            run++;
        if (run > 0) {
            cs_buf_printf(out, "%.*s", (int)run, s + i);
            i += run;
            continue;
        }
        size_t k = 0;
        while (s[i] == '&' && k < sizeof(entities) / sizeof(entities[0]) &&
               (n - i < strlen(entities[k].name) || memcmp(s + i, entities[k].name, strlen(entities[k].name)) != 0))
            k++;
        if (s[i] == '&' && k < sizeof(entities) / sizeof(entities[0])) {
            cs_buf_printf(out, "%s", entities[k].text);
            i += strlen(entities[k].name);
        } else {
            cs_buf_printf(out, "%c", s[i++]);
        }
    }
}

/* "Kerry Thompson: words" (Zoom, SRT, plain text): a name of 1-4 words,
 * each starting with a capital or a digit ("Speaker 1"), before a colon
 * and a space. Its length, 0 when the text does not start with one. */
static size_t speaker_prefix(const char *s, size_t n)
{
    size_t i = 0, words = 0;
    if (n == 0 || !((s[0] >= 'A' && s[0] <= 'Z') || (unsigned char)s[0] >= 0x80))
        return 0;
    for (; i < n && i < 64 && s[i] != ':'; i++) {
        unsigned char c = (unsigned char)s[i];
        int start = i == 0 || s[i - 1] == ' ';
        if (c == ' ' ? i > 0 && s[i - 1] == ' '
                     : start ? !((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80)
                             : !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                 c >= 0x80 || c == '-' || c == '\'' || c == '.'))
            return 0;
        words += start && c != ' ';
    }
    return i < n && s[i] == ':' && i > 0 && s[i - 1] != ' ' && words <= 4 && (i + 1 == n || s[i + 1] == ' ') ? i : 0;
}

/* Adds a cue whose raw payload is `payload`: the voice tag's speaker, else
 * a "Name:" prefix's. */
static int32_t add_payload(struct builder *b, int64_t start, int64_t end, const char *payload, size_t len,
                           size_t line)
{
    cs_buf text = {0}, speaker = {0};
    cs_buf_printf(&text, "%s", "");
    cs_buf_printf(&speaker, "%s", "");
    clean_payload(&text, &speaker, payload, len);
    int32_t rc = text.failed || speaker.failed ? cs_fail(CASESCRIBE_ENOMEM, "out of memory reading a transcript")
                                               : CASESCRIBE_OK;
    const char *body = text.data;
    size_t body_len = text.len;
    while (rc == CASESCRIBE_OK && body_len > 0 && *body == ' ')
        body++, body_len--;
    size_t name = rc == CASESCRIBE_OK && speaker.len == 0 ? speaker_prefix(body, body_len) : 0;
    if (rc == CASESCRIBE_OK && name > 0)
        rc = add_cue(b, start, end, body, name, body + name + 1, body_len - name - 1, line);
    else if (rc == CASESCRIBE_OK)
        rc = add_cue(b, start, end, speaker.data, speaker.len, body, body_len, line);
    cs_buf_free(&text);
    cs_buf_free(&speaker);
    return rc;
}

/* ---- the three formats ------------------------------------------------------------ */

/* The payload lines after a timing line, up to a blank line, joined. */
static int32_t read_payload(struct lines *r, cs_buf *payload)
{
    const char *line;
    size_t len;
    payload->len = 0;
    cs_buf_printf(payload, "%s", "");
    struct lines look = *r;
    while (next_line(&look, &line, &len) && !blank(line, len)) {
        cs_buf_printf(payload, "%s%.*s", payload->len ? " " : "", (int)len, line);
        *r = look;
    }
    return payload->failed ? cs_fail(CASESCRIBE_ENOMEM, "out of memory reading a transcript") : CASESCRIBE_OK;
}

static int starts(const char *s, size_t n, const char *word)
{
    size_t k = strlen(word);
    return n >= k && memcmp(s, word, k) == 0 && (n == k || s[k] == ' ' || s[k] == '\t');
}

/* WebVTT and SRT: blocks between blank lines; a cue's timing line is its
 * first or second (after an id). WebVTT's header, NOTE, STYLE and REGION
 * blocks carry no words. */
static int32_t read_cues(struct builder *b, struct lines *r, char frac)
{
    const char *line;
    size_t len;
    cs_buf payload = {0};
    int32_t rc = CASESCRIBE_OK;
    int in_block = 0, skipping = 0, timed = 0;
    while (rc == CASESCRIBE_OK && next_line(r, &line, &len)) {
        int64_t start, end;
        if (blank(line, len)) {
            in_block = skipping = timed = 0;
            continue;
        }
        if (skipping || timed)
            continue;
        if (!in_block && frac == '.' && (starts(line, len, "NOTE") || starts(line, len, "STYLE") ||
                                         starts(line, len, "REGION"))) {
            skipping = 1;
            continue;
        }
        int first = !in_block;
        in_block = 1;
        if (parse_timing(line, len, frac, &start, &end)) {
            size_t at = r->no;
            timed = 1;
            rc = read_payload(r, &payload);
            if (rc == CASESCRIBE_OK)
                rc = add_payload(b, start, end, payload.data, payload.len, at);
            timed = 0;
            in_block = 0;
        } else if (!first) {
            rc = cs_fail(CASESCRIBE_EPARSE, "line %zu of the transcript should be a cue's times (00:01:02%c000 --> "
                                            "00:01:05%c000)", r->no, frac, frac);
        }
    }
    cs_buf_free(&payload);
    return rc;
}

static int32_t read_vtt(struct builder *b, struct lines *r)
{
    const char *line;
    size_t len;
    next_line(r, &line, &len); /* WEBVTT, checked by the sniffer */
    while (next_line(r, &line, &len) && !blank(line, len))
        ; /* header lines */
    return read_cues(b, r, '.');
}

/* A plain-text line "[hh:mm:ss] Speaker: words": the time's bytes, 0 when
 * the line does not start with one. */
static size_t text_stamp(const char *s, size_t n, int64_t *ms)
{
    if (n < 2 || s[0] != '[')
        return 0;
    size_t a = parse_clock(s + 1, n - 1, '.', ms);
    return a > 0 && 1 + a < n && s[1 + a] == ']' ? a + 2 : 0;
}

/* Plain text: each stamped line starts a segment that ends where the next
 * starts (the last, at its own start); unstamped lines continue it. */
static int32_t read_text(struct builder *b, struct lines *r)
{
    const char *line;
    size_t len, at = 0;
    int64_t start = -1, next;
    cs_buf cue = {0};
    int32_t rc = CASESCRIBE_OK;
    cs_buf_printf(&cue, "%s", "");
    while (rc == CASESCRIBE_OK && next_line(r, &line, &len)) {
        size_t stamp = text_stamp(line, len, &next);
        if (stamp == 0 && start < 0 && !blank(line, len))
            rc = cs_fail(CASESCRIBE_EPARSE, "line %zu of the transcript should start with a time, [hh:mm:ss]", r->no);
        if (stamp == 0 || rc != CASESCRIBE_OK) {
            cs_buf_printf(&cue, " %.*s", (int)len, line);
            continue;
        }
        if (start >= 0 && next < start)
            rc = cs_fail(CASESCRIBE_EPARSE, "line %zu of the transcript goes back in time", r->no);
        if (rc == CASESCRIBE_OK && start >= 0)
            rc = add_payload(b, start, next, cue.data, cue.len, at);
        start = next;
        at = r->no;
        cue.len = 0;
        cs_buf_printf(&cue, "%.*s", (int)(len - stamp), line + stamp);
    }
    if (cue.failed && rc == CASESCRIBE_OK)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory reading a transcript");
    if (rc == CASESCRIBE_OK && start >= 0)
        rc = add_payload(b, start, start, cue.data, cue.len, at);
    cs_buf_free(&cue);
    return rc;
}

/* ---- which format ------------------------------------------------------------------ */

static int sniff(const uint8_t *bytes, size_t len)
{
    struct lines r = {(const char *)bytes, (const char *)bytes + len, 0};
    const char *line, *second;
    size_t n, n2;
    if (len >= 3 && memcmp(bytes, "\xEF\xBB\xBF", 3) == 0)
        r.p += 3;
    while (next_line(&r, &line, &n) && blank(line, n))
        ;
    if (r.no == 0 || blank(line, n) || line[0] == '<')
        return KIND_NONE;
    if (n >= 6 && memcmp(line, "WEBVTT", 6) == 0 && (n == 6 || line[6] == ' ' || line[6] == '\t'))
        return KIND_VTT;
    int64_t ms;
    if (text_stamp(line, n, &ms) > 0)
        return KIND_TEXT;
    size_t d = 0;
    while (d < n && line[d] >= '0' && line[d] <= '9')
        d++;
    int64_t a, b;
    if (d > 0 && blank(line + d, n - d) && next_line(&r, &second, &n2) && parse_timing(second, n2, ',', &a, &b))
        return KIND_SRT;
    return KIND_NONE;
}

static const char *const kind_names[] = {"", "webvtt", "srt", "text"};
static const char *const kind_titles[] = {"", "a WebVTT caption file", "a SubRip (SRT) caption file",
                                          "a plain-text transcript"};

static int32_t describe(casescribe_transcript *t, int kind, size_t len, size_t cues)
{
    cs_buf b = {0};
    cs_buf_printf(&b, "imported:%s", kind_names[kind]);
    t->engine = cs_buf_take(&b);
    cs_buf_free(&b);
    cs_buf_printf(&b, "%s, %zu bytes, %zu cues", kind_titles[kind], len, cues);
    t->source = cs_buf_take(&b);
    cs_buf_free(&b);
    t->version = cs_strdup("1");
    t->model = cs_strdup("none: captions another program made");
    t->settings = cs_strdup("read by casescribe_transcript_open; speakers as the file names them; each word "
                            "timed as its cue; no confidence, so no word is marked unsure");
    t->made_by = CS_BY_IMPORTED;
    return t->engine && t->source && t->version && t->model && t->settings
               ? CASESCRIBE_OK
               : cs_fail(CASESCRIBE_ENOMEM, "out of memory reading a transcript");
}

int32_t cs_transcript_import(casescribe_transcript **out, const uint8_t *bytes, size_t len, int *kind)
{
    *out = NULL;
    *kind = sniff(bytes, len);
    if (*kind == KIND_NONE)
        return CASESCRIBE_OK;
    int32_t rc = check_bytes(bytes, len);
    struct builder b = {rc == CASESCRIBE_OK ? cs_transcript_new() : NULL, 0, 0, CS_BY_IMPORTED};
    if (rc == CASESCRIBE_OK && b.t == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory reading a transcript");
    size_t bom = len >= 3 && memcmp(bytes, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    struct lines r = {(const char *)bytes + bom, (const char *)bytes + len, 0};
    if (rc == CASESCRIBE_OK)
        rc = *kind == KIND_VTT ? read_vtt(&b, &r) : *kind == KIND_SRT ? read_cues(&b, &r, ',') : read_text(&b, &r);
    if (rc == CASESCRIBE_OK && b.t->n_segments == 0)
        rc = cs_fail(CASESCRIBE_EPARSE, "the transcript holds no words");
    if (rc == CASESCRIBE_OK)
        rc = describe(b.t, *kind, len, b.cues);
    if (rc != CASESCRIBE_OK) {
        cs_transcript_unref(b.t);
        return rc;
    }
    *out = b.t;
    return CASESCRIBE_OK;
}

/* ---- observation tags ---------------------------------------------------------------- */

/* Moves the segment just appended to where its time puts it: after every
 * segment that starts at or before it. */
static void place_last(casescribe_transcript *t)
{
    size_t last = t->n_segments - 1, at = last;
    cs_segment tag = t->segments[last];
    while (at > 0 && t->segments[at - 1].start_ms > tag.start_ms)
        at--;
    memmove(&t->segments[at + 1], &t->segments[at], (last - at) * sizeof(tag));
    t->segments[at] = tag;
}

/* One tag line: "hh:mm:ss label" or "[hh:mm:ss] label". */
static int32_t add_tag(struct builder *b, const char *line, size_t len, size_t no)
{
    int64_t ms;
    size_t at = text_stamp(line, len, &ms);
    if (at == 0)
        at = parse_clock(line, len, '.', &ms);
    if (at == 0 || at >= len || (line[at] != ' ' && line[at] != '\t'))
        return cs_fail(CASESCRIBE_EPARSE, "observation tag line %zu should be a time and a label "
                                          "(00:12:31 child withdrew to bedroom)", no);
    if (len - at > MAX_TAG_LABEL)
        return cs_fail(CASESCRIBE_ETOOBIG, "observation tag line %zu: a label may be at most %u bytes", no,
                       MAX_TAG_LABEL);
    size_t before = b->t->n_segments;
    int32_t rc = add_cue(b, ms, ms, "", 0, line + at, len - at, no);
    if (rc == CASESCRIBE_OK && b->t->n_segments == before)
        rc = cs_fail(CASESCRIBE_EPARSE, "observation tag line %zu has a time but no label", no);
    if (rc == CASESCRIBE_OK)
        place_last(b->t);
    return rc;
}

int32_t cs_transcript_add_tags(casescribe_transcript *t, const uint8_t *tags, size_t len)
{
    int32_t rc = check_bytes(tags, len);
    size_t words = 0;
    for (size_t i = 0; i < t->n_segments; i++)
        words += t->segments[i].n_words;
    struct builder b = {t, words, 0, CS_BY_WORKER};
    struct lines r = {(const char *)tags, (const char *)tags + len, 0};
    const char *line;
    size_t n, count = 0;
    while (rc == CASESCRIBE_OK && next_line(&r, &line, &n)) {
        if (blank(line, n))
            continue;
        rc = ++count > MAX_TAGS ? cs_fail(CASESCRIBE_ETOOBIG, "at most %u observation tags", MAX_TAGS)
                                : add_tag(&b, line, n, r.no);
    }
    return rc;
}
