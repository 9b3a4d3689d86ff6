/* SPDX-License-Identifier: Apache-2.0 */
/* pseudonym.c - placeholders for names and identifiers (see pseudonym.h).
 * Patterns are POSIX extended regular expressions (glibc's regcomp), each
 * with a check in code where the shape alone is not enough. */
#include "fill/pseudonym.h"

#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum kind { K_PERSON, K_EMAIL, K_ADDRESS, K_NHS, K_PHONE, K_POSTCODE, K_DATE, K_COUNT };

static const char *const kind_names[K_COUNT] = {"PERSON", "EMAIL", "ADDRESS", "NHS", "PHONE", "POSTCODE", "DATE"};

#define MONTHS                                                                                                   \
    "(January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|"   \
    "Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)"

/* In the order they are applied: the longer, more specific shapes first,
 * so that an address's house number is not taken for something else. */
static const struct {
    enum kind kind;
    const char *pattern;
    int icase;
} patterns[] = {
    {K_EMAIL, "[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}", 0},
    {K_ADDRESS,
     "((Flat|Apartment|Unit) [0-9]+[A-Za-z]?,? )?[0-9]{1,4}[A-Za-z]?,? ([A-Z][a-z]+ ){1,3}(Street|St|Road|Rd|Avenue|"
     "Ave|Close|Lane|Drive|Way|Court|Crescent|Place|Gardens|Grove|Terrace|Walk|Row|Square|Hill|Park|View|Mews|"
     "Rise|Parade|Green)",
     0},
    {K_NHS, "[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}", 0},
    {K_PHONE, "(\\+44 ?(\\(0\\) ?)?|0)[1-37][0-9]{2,4}[ -]?[0-9]{3,4}[ -]?[0-9]{3,4}", 0},
    {K_POSTCODE, "[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][ABD-HJLNP-UW-Z]{2}", 0},
    {K_DATE, "[0-9]{1,2}(st|nd|rd|th)? (of )?" MONTHS ",? [0-9]{4}", 1},
    {K_DATE, MONTHS " [0-9]{1,2}(st|nd|rd|th)?,? [0-9]{4}", 1},
    {K_DATE, "[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2,4}", 0},
};
#define N_PATTERNS (sizeof(patterns) / sizeof(*patterns))

static regex_t compiled[N_PATTERNS];
static int compiled_ok;
static pthread_once_t compile_once = PTHREAD_ONCE_INIT;

static void compile_patterns(void)
{
    for (size_t i = 0; i < N_PATTERNS; i++) {
        if (regcomp(&compiled[i], patterns[i].pattern, REG_EXTENDED | (patterns[i].icase ? REG_ICASE : 0)) != 0) {
            for (size_t j = 0; j < i; j++)
                regfree(&compiled[j]);
            return;
        }
    }
    compiled_ok = 1;
}

void cs_pseudonyms_free(cs_pseudonyms *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->items[i].original);
        free(m->items[i].placeholder);
    }
    free(m->items);
    memset(m, 0, sizeof(*m));
}

const char *cs_pseudonym_of(const cs_pseudonyms *m, const char *original)
{
    for (size_t i = 0; original != NULL && i < m->n; i++)
        if (strcmp(m->items[i].original, original) == 0)
            return m->items[i].placeholder;
    return NULL;
}

/* The placeholder for `original` (of `len` bytes), made when new. */
static const char *placeholder_for(cs_pseudonyms *m, enum kind kind, const char *original, size_t len)
{
    for (size_t i = 0; i < m->n; i++)
        if (strlen(m->items[i].original) == len && strncmp(m->items[i].original, original, len) == 0)
            return m->items[i].placeholder;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 32;
        cs_pseudonym *grown = realloc(m->items, cap * sizeof(*grown));
        if (grown == NULL)
            return NULL;
        m->items = grown;
        m->cap = cap;
    }
    char ph[32];
    snprintf(ph, sizeof(ph), "[%s-%u]", kind_names[kind], (unsigned)++m->counts[kind]);
    cs_pseudonym *p = &m->items[m->n];
    p->original = malloc(len + 1);
    p->placeholder = cs_strdup(ph);
    if (p->original == NULL || p->placeholder == NULL) {
        free(p->original);
        free(p->placeholder);
        return NULL;
    }
    memcpy(p->original, original, len);
    p->original[len] = '\0';
    m->n++;
    return p->placeholder;
}

static int is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (unsigned char)c >= 0x80;
}

int32_t cs_pseudonyms_add_subjects(cs_pseudonyms *m, const cs_record *form)
{
    for (size_t i = 0; i < form->n_subjects; i++) {
        const char *name = form->subjects[i].name;
        if (name == NULL || name[0] == '\0')
            continue;
        /* The whole name first, then each part of two letters or more, so
         * that "Kerry" alone is caught as well as "Kerry Thompson". */
        if (placeholder_for(m, K_PERSON, name, strlen(name)) == NULL)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
        for (const char *p = name; *p != '\0';) {
            while (*p != '\0' && !is_word_char(*p))
                p++;
            const char *start = p;
            while (is_word_char(*p) || *p == '\'' || *p == '-')
                p++;
            if (p - start >= 2 && (size_t)(p - start) != strlen(name) &&
                placeholder_for(m, K_PERSON, start, (size_t)(p - start)) == NULL)
                return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
        }
    }
    return CASESCRIBE_OK;
}

int cs_nhs_number_valid(const char *text, size_t len)
{
    int digits[10], n = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] >= '0' && text[i] <= '9') {
            if (n == 10)
                return 0;
            digits[n++] = text[i] - '0';
        } else if (text[i] != ' ' && text[i] != '-') {
            return 0;
        }
    }
    if (n != 10)
        return 0;
    int sum = 0;
    for (int i = 0; i < 9; i++)
        sum += digits[i] * (10 - i);
    int check = 11 - sum % 11;
    if (check == 11)
        check = 0;
    return check != 10 && check == digits[9];
}

/* A match that is not a whole token (inside a longer number or word) is
 * not an identifier. */
static int whole_token(const char *text, size_t from, size_t to)
{
    return (from == 0 || !is_word_char(text[from - 1])) && !is_word_char(text[to]);
}

static int digits_in(const char *s, size_t len)
{
    int n = 0;
    for (size_t i = 0; i < len; i++)
        n += s[i] >= '0' && s[i] <= '9';
    return n;
}

/* Replaces every match of pattern `i` in *text. */
static int32_t apply_pattern(char **text, cs_pseudonyms *m, size_t i)
{
    cs_buf out = {0};
    cs_buf_printf(&out, "%s", "");
    const char *p = *text;
    regmatch_t match;
    while (regexec(&compiled[i], p, 1, &match, p == *text ? 0 : REG_NOTBOL) == 0 && match.rm_eo > match.rm_so) {
        size_t from = (size_t)match.rm_so, to = (size_t)match.rm_eo, len = to - from;
        int take = whole_token(p, from, to);
        if (take && patterns[i].kind == K_NHS)
            take = cs_nhs_number_valid(p + from, len);
        if (take && patterns[i].kind == K_PHONE)
            take = digits_in(p + from, len) >= 10 && digits_in(p + from, len) <= 12;
        const char *ph = take ? placeholder_for(m, patterns[i].kind, p + from, len) : NULL;
        if (take && ph == NULL) {
            cs_buf_free(&out);
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
        }
        cs_buf_printf(&out, "%.*s%s", (int)from, p, take ? ph : "");
        if (!take)
            cs_buf_printf(&out, "%.*s", (int)len, p + from);
        p += to;
    }
    cs_buf_printf(&out, "%s", p);
    char *done = cs_buf_take(&out);
    cs_buf_free(&out);
    if (done == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    free(*text);
    *text = done;
    return CASESCRIBE_OK;
}

static int equal_ignoring_case(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return 1;
}

/* Replaces the known names, longest first, as whole words in any case. */
static int32_t apply_names(char **text, const cs_pseudonyms *m)
{
    for (;;) {
        const cs_pseudonym *best = NULL;
        size_t at = 0;
        for (size_t k = 0; k < m->n; k++) {
            if (strncmp(m->items[k].placeholder, "[PERSON-", 8) != 0)
                continue;
            size_t len = strlen(m->items[k].original), total = strlen(*text);
            for (size_t i = 0; i + len <= total; i++) {
                if (equal_ignoring_case(*text + i, m->items[k].original, len) && whole_token(*text, i, i + len)) {
                    if (best == NULL || len > strlen(best->original)) {
                        best = &m->items[k];
                        at = i;
                    }
                    break;
                }
            }
        }
        if (best == NULL)
            return CASESCRIBE_OK;
        cs_buf out = {0};
        cs_buf_printf(&out, "%.*s%s%s", (int)at, *text, best->placeholder, *text + at + strlen(best->original));
        char *done = cs_buf_take(&out);
        cs_buf_free(&out);
        if (done == NULL)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
        free(*text);
        *text = done;
    }
}

int32_t cs_pseudonymise(char **out, cs_pseudonyms *m, const char *text)
{
    *out = NULL;
    pthread_once(&compile_once, compile_patterns);
    if (!compiled_ok)
        return cs_fail(CASESCRIBE_ENOMEM, "the identifier patterns could not be compiled (out of memory?)");
    char *work = cs_strdup(text);
    if (work == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    int32_t rc = CASESCRIBE_OK;
    for (size_t i = 0; i < N_PATTERNS && rc == CASESCRIBE_OK; i++)
        rc = apply_pattern(&work, m, i);
    if (rc == CASESCRIBE_OK)
        rc = apply_names(&work, m);
    if (rc != CASESCRIBE_OK) {
        free(work);
        return rc;
    }
    *out = work;
    return CASESCRIBE_OK;
}

/* "[KIND-n]" at p: its length, or 0. */
static size_t placeholder_at(const char *p)
{
    if (*p != '[')
        return 0;
    size_t i = 1;
    while (p[i] >= 'A' && p[i] <= 'Z')
        i++;
    if (i == 1 || p[i] != '-' || p[i + 1] < '0' || p[i + 1] > '9')
        return 0;
    i++;
    while (p[i] >= '0' && p[i] <= '9')
        i++;
    return p[i] == ']' ? i + 1 : 0;
}

int32_t cs_restore(char **out, const cs_pseudonyms *m, const char *text, int *unknown)
{
    *out = NULL;
    *unknown = 0;
    cs_buf b = {0};
    cs_buf_printf(&b, "%s", "");
    for (const char *p = text; *p != '\0';) {
        size_t len = placeholder_at(p);
        const char *original = NULL;
        for (size_t k = 0; len > 0 && k < m->n && original == NULL; k++)
            if (strlen(m->items[k].placeholder) == len && strncmp(m->items[k].placeholder, p, len) == 0)
                original = m->items[k].original;
        if (len > 0 && original == NULL)
            *unknown = 1;
        if (original != NULL) {
            cs_buf_printf(&b, "%s", original);
            p += len;
        } else {
            cs_buf_printf(&b, "%c", *p);
            p++;
        }
    }
    *out = cs_buf_take(&b);
    cs_buf_free(&b);
    return *out != NULL ? CASESCRIBE_OK : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
}
