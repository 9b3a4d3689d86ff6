/* SPDX-License-Identifier: Apache-2.0 */
/* report.c - report.html: the person's own records, in plain English.
 *
 * Written for a member of the public who has asked for their records, not
 * for a professional: short sentences, every computer-made part labelled
 * where it is read, words the machine was unsure of marked with "(?)" as
 * well as a colour (colour alone must not carry meaning), and no scripts or
 * outside resources, so that the page works offline, prints, and can be
 * read by a screen reader. The page is written in parts as records stream
 * through (see export.c); the head, with the totals, is written last. */
#include <stdlib.h>
#include <string.h>

#include "sar/sar.h"

static void put_escaped(FILE *f, const char *s, size_t len)
{
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        if (rep == NULL)
            continue;
        fwrite(s + run, 1, i - run, f);
        fputs(rep, f);
        run = i + 1;
    }
    fwrite(s + run, 1, len - run, f);
}

static void put(FILE *f, const char *s)
{
    put_escaped(f, s, strlen(s));
}

static const char *const months[] = {"January", "February", "March",     "April",   "May",      "June",
                                     "July",    "August",   "September", "October", "November", "December"};

void cs_report_date(char out[32], const char *iso)
{
    int y, m, d;
    if (iso == NULL || sscanf(iso, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
        snprintf(out, 32, "an unknown date");
    else
        snprintf(out, 32, "%d %s %d", d, months[m - 1], y);
}

/* ---- the head: what the page is and how to read it -------------------------- */

static const char *const style =
    "body{font-family:Arial,Helvetica,sans-serif;font-size:1.1rem;line-height:1.5;color:#1b1b1b;"
    "background:#fff;margin:0 auto;max-width:48rem;padding:1rem}"
    "a{color:#1d4f91}a:focus{outline:3px solid #1b1b1b;outline-offset:2px}"
    ".skip{position:absolute;left:-999px}.skip:focus{position:static}"
    "h1{font-size:1.8rem}h2{font-size:1.45rem;margin-top:2.5rem;border-top:2px solid #1b1b1b;padding-top:1rem}"
    "h3{font-size:1.2rem;margin-top:1.5rem}"
    "table{border-collapse:collapse;margin:0.5rem 0}th,td{text-align:left;vertical-align:top;padding:0.3rem "
    "0.6rem;border:1px solid #6b6b6b}"
    ".origin{padding:0.4rem 0.6rem;border-left:6px solid;margin:0.4rem 0}"
    ".origin-human{background:#eef6ee;border-color:#1e6b2e}"
    ".origin-reviewed{background:#eef3fb;border-color:#1d4f91}"
    ".origin-draft{background:#fff4e5;border-color:#8a4b00}"
    ".text{white-space:pre-line;border:1px solid #6b6b6b;padding:0.6rem;margin:0.4rem 0 1rem}"
    "mark.unsure{background:#ffe066;color:#1b1b1b;border-bottom:2px dotted #1b1b1b}"
    ".unsupported{text-decoration:underline wavy #8a4b00}"
    ".note{font-weight:bold}"
    ".redacted{font-weight:bold}"
    ".warning{background:#fdecee;border:2px solid #b00020;padding:0.6rem}"
    ".technical{font-size:0.95rem;color:#3b3b3b}"
    "@media print{body{max-width:none;font-size:11pt}a{color:#1b1b1b}.skip{display:none}"
    "h2,h3{break-after:avoid}.origin,.text{break-inside:avoid}"
    "mark.unsure{background:#fff;border:1px solid #1b1b1b}}";

static const char *org(const cs_report_totals *t)
{
    return t->organisation != NULL ? t->organisation : "the council";
}

int cs_report_head(FILE *f, const cs_report_totals *t)
{
    char made[32];
    cs_report_date(made, t->created);
    fputs("<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Your records from ",
          f);
    put(f, org(t));
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n"
               "<a class=\"skip\" href=\"#contents\">Skip to the list of your records</a>\n<header>\n<h1>Your records from ",
            style);
    put(f, org(t));
    fprintf(f, "</h1>\n<p>You asked for a copy of the records we hold about you. This is that copy. It was made on "
               "%s.</p>\n</header>\n<main>\n", made);
    fprintf(f, "<section aria-labelledby=\"about\">\n<h2 id=\"about\">About this copy</h2>\n"
               "<p>It holds %llu record%s.</p>\n<ul>\n",
            (unsigned long long)t->records, t->records == 1 ? "" : "s");
    if (t->with_ai > 0)
        fprintf(f, "<li>In %llu of them, a computer program wrote the first draft of some parts.</li>\n",
                (unsigned long long)t->with_ai);
    else
        fputs("<li>No part of them was drafted by a computer program.</li>\n", f);
    if (t->unchecked > 0)
        fprintf(f, "<li>%llu of them %s parts a computer drafted that nobody has checked yet.</li>\n",
                (unsigned long long)t->unchecked, t->unchecked == 1 ? "has" : "have");
    if (t->not_verified > 0)
        fprintf(f, "<li><strong>%llu of them could not be checked for changes since they were saved.</strong> Each "
                   "one says so where it is shown.</li>\n",
                (unsigned long long)t->not_verified);
    if (t->redacted > 0)
        fprintf(f, "<li>In %llu of them, some information about other people has been taken out. It is shown as "
                   "[redacted].</li>\n",
                (unsigned long long)t->redacted);
    fputs("</ul>\n<h3>What &ldquo;drafted by a computer program&rdquo; means</h3>\n"
          "<p>Some notes start as a recording of a conversation, made with your agreement. A computer program "
          "turns the recording into text. A program can then pick out or reword sentences to make a first draft "
          "of parts of a record. Every part of a record below says who wrote it, and whether a person has checked it.</p>\n"
          "<p>A part drafted by a computer program:</p>\n<ul>\n"
          "<li>is <strong>not</strong> a word-for-word record of what was said. The program can mishear words, "
          "miss things out or get them in the wrong order;</li>\n"
          "<li>is <strong>not</strong> the council's opinion or decision. The parts of a form where a worker "
          "gives their professional view or makes a decision are kept for the worker: the system does not let a "
          "program write them;</li>\n"
          "<li>is only a first draft until a person has checked it. Parts that nobody has checked yet say so.</li>\n"
          "</ul>\n<p>Words the program was not sure it heard correctly are marked like this: "
          "<mark class=\"unsure\">word (?)</mark>. Sentences the program could not match to the recording are "
          "underlined and followed by <span class=\"note\">[not found in the recording]</span>.</p>\n"
          "<h3>If something is wrong</h3>\n<p>You have the right to ask us to correct information about you that "
          "is wrong, and to add a note where you disagree with what a record says. ",
          f);
    if (t->contact != NULL) {
        fputs("To ask, contact: ", f);
        put(f, t->contact);
        fputs(". ", f);
    } else {
        fputs("To ask, write to the council's data protection officer. ", f);
    }
    fputs("Tell us the record number and the part you mean. You can also complain to the Information "
          "Commissioner's Office (ico.org.uk).</p>\n<h3>Checking this copy</h3>\n"
          "<p>Each record, and this copy as a whole, carries a digital seal: a check that shows whether anything "
          "was changed after it was sealed. The seal of this copy is in the files manifest.xml and manifest.sig. "
          "README.txt says how anyone can check it.</p>\n"
          "</section>\n",
          f);
    return ferror(f) ? -1 : 0;
}

/* ---- one record ----------------------------------------------------------- */

/* "your social worker", "a member of staff", from a role such as "social-worker". */
static void put_role(FILE *f, const char *role)
{
    if (role == NULL || strcmp(role, "unspecified") == 0 || role[0] == '\0') {
        fputs("a member of staff", f);
    } else if (strcmp(role, "social-worker") == 0) {
        fputs("your social worker", f);
    } else {
        fputs("a member of staff (", f);
        for (const char *p = role; *p != '\0'; p++)
            if (*p == '-')
                fputc(' ', f);
            else
                put_escaped(f, p, 1);
        fputs(")", f);
    }
}

/* The role of `person` on this record: the stamp names the role of the
 * person who saved this version, and of nobody else. */
static const char *role_of(const cs_record *r, const char *person)
{
    const cs_provenance *p = r->provenance;
    return p != NULL && person != NULL && strcmp(p->actor_id, person) == 0 ? p->actor_role : NULL;
}

/* The title of record's form, or its template id. */
static void put_form_title(FILE *f, const cs_report_record *rr)
{
    put(f, rr->template_title != NULL ? rr->template_title : rr->r->template_id);
}

int cs_report_toc_entry(FILE *f, const cs_report_record *rr)
{
    char date[32];
    cs_report_date(date, rr->r->provenance != NULL ? rr->r->provenance->at : NULL);
    fprintf(f, "<li><a href=\"#record-%llu\">", (unsigned long long)rr->position);
    put_form_title(f, rr);
    fprintf(f, ", %s (record ", date);
    put(f, rr->r->id);
    fputs(")</a>", f);
    for (size_t i = 0; i < rr->r->n_sections; i++)
        if (rr->r->sections[i].origin == CS_ORIGIN_AI_DRAFT) {
            fputs(" &ndash; has parts nobody has checked yet", f);
            break;
        }
    if (rr->provenance != CASESCRIBE_OK)
        fputs(" &ndash; <strong>could not be checked for changes</strong>", f);
    fputs("</li>\n", f);
    return ferror(f) ? -1 : 0;
}

static void put_journal(FILE *f, const cs_report_record *rr)
{
    if (rr->journal == CS_JOURNAL_OLDER)
        fputs("<p><strong>A newer version of this record exists.</strong> This copy shows the version you see "
              "here.</p>\n",
              f);
    else if (rr->journal == CS_JOURNAL_ABANDONED)
        fputs("<p class=\"warning\"><strong>This version was abandoned.</strong> It was saved but never kept in "
              "the council's case system, and the record was continued from an earlier version.</p>\n",
              f);
    else if (rr->journal == CS_JOURNAL_DIFFERS)
        fputs("<p class=\"warning\"><strong>Warning:</strong> the council's system holds a different version of "
              "this record under the same number. Please ask the council about it.</p>\n",
              f);
    else if (rr->journal == CS_JOURNAL_ABSENT && rr->provenance != CASESCRIBE_EUNSTAMPED)
        fputs("<p>This record was not saved on the system that made this copy, so we could not check that it is "
              "the latest version.</p>\n",
              f);
}

static void put_seal(FILE *f, const cs_report_record *rr)
{
    put_journal(f, rr);
    switch (rr->provenance) {
    case CASESCRIBE_OK:
        fputs("<p>Seal check: this record has not been changed since it was saved.</p>\n", f);
        break;
    case CASESCRIBE_EUNSTAMPED:
        fputs("<p class=\"warning\"><strong>Warning:</strong> this record has no seal. It was not saved through "
              "the council's checking system, so we cannot show for certain how it was made or that it is "
              "unchanged. What it says about how each part was written comes from the record itself.</p>\n",
              f);
        break;
    case CASESCRIBE_EKEY:
        fputs("<p class=\"warning\"><strong>Warning:</strong> this record's seal was made with a key the council's "
              "system does not know, so we could not check that it is unchanged since it was saved.</p>\n",
              f);
        break;
    default:
        fputs("<p class=\"warning\"><strong>Warning:</strong> this record's seal does not match it. It may have "
              "been changed after it was saved. Please ask the council about it before you rely on it.</p>\n",
              f);
        break;
    }
}

static const char *scope_words(const char *scope, size_t len)
{
    static const struct {
        const char *code, *words;
    } scopes[] = {
        {"record-audio", "recording the conversation"},
        {"transcribe", "a computer program turning the recording into text"},
        {"ai-draft", "a computer program drafting parts of the record"},
        {"external-ai", "sending the text, with names and other details taken out, to an outside computer service"},
    };
    for (size_t i = 0; i < sizeof(scopes) / sizeof(*scopes); i++)
        if (strlen(scopes[i].code) == len && strncmp(scopes[i].code, scope, len) == 0)
            return scopes[i].words;
    return NULL;
}

static void put_scopes(FILE *f, const char *scopes)
{
    fputs("<ul>\n", f);
    for (const char *p = scopes; p != NULL && *p != '\0';) {
        size_t len = strcspn(p, " ");
        const char *words = scope_words(p, len);
        if (words != NULL)
            fprintf(f, "<li>%s</li>\n", words);
        p += len;
        p += *p == ' ';
    }
    fputs("</ul>\n", f);
}

static void put_consent(FILE *f, const cs_consent *c)
{
    char given[32], withdrawn[32];
    cs_report_date(given, c->at);
    const char *who = strcmp(c->given_by, "self") == 0             ? "you agreed"
                      : strcmp(c->given_by, "representative") == 0 ? "someone acting for you agreed"
                                                                   : "a decision was made in your best interests";
    const char *how = strcmp(c->method, "written") == 0    ? "in writing"
                      : strcmp(c->method, "recorded") == 0 ? "on the recording"
                                                           : "by saying so";
    if (c->scopes == NULL || c->scopes[0] == '\0')
        fprintf(f, "<p>On %s, no agreement to recording or to computer programs was recorded.</p>\n", given);
    else if (strcmp(c->given_by, "best-interests") == 0)
        fprintf(f, "<p>On %s, %s to allow:</p>\n", given, who);
    else
        fprintf(f, "<p>On %s, %s (%s) to:</p>\n", given, who, how);
    put_scopes(f, c->scopes);
    if (c->withdrawn_at != NULL) {
        cs_report_date(withdrawn, c->withdrawn_at);
        fprintf(f, "<p><strong>This agreement was withdrawn on %s.</strong> From then on, the system does not allow "
                   "new computer drafts in this record. Parts a person had already checked were kept.</p>\n",
                withdrawn);
    }
}

static void put_consents(FILE *f, const cs_report_record *rr)
{
    fprintf(f, "<h3 id=\"record-%llu-consent\">Your agreement to recording and computer programs</h3>\n",
            (unsigned long long)rr->position);
    int any = 0;
    for (size_t i = 0; i < rr->r->n_consents; i++)
        if (strcmp(rr->r->consents[i].subject, rr->subject) == 0) {
            put_consent(f, &rr->r->consents[i]);
            any = 1;
        }
    if (!any)
        fputs("<p>This record holds no agreement from you to recording or to computer programs. Without it, no "
              "computer program may draft any part of the record.</p>\n",
              f);
}

/* The recognised program behind an AI section, in words. */
static void put_engine(FILE *f, const cs_section *s)
{
    const char *engine = s->engine != NULL ? s->engine : "an unnamed program";
    const char *where = strncmp(engine, "embedded:", 9) == 0 ? "on the council's own computers"
                        : strncmp(engine, "remote:", 7) == 0   ? "by an outside computer service the council uses"
                                                               : "";
    const char *from = s->engine_settings != NULL ? strstr(s->engine_settings, "transcript by ") : NULL;
    fputs(" (", f);
    if (from != NULL && strncmp(from + strlen("transcript by "), "imported:", 9) == 0) {
        from += strlen("transcript by imported:"); /* captions or a meeting tool's transcript, not ours */
        fputs("transcript: made by another program, not by the council's speech-to-text, and imported from ", f);
        fputs(strncmp(from, "webvtt", 6) == 0 ? "its WebVTT captions" /* Teams, Zoom, Otter */
              : strncmp(from, "srt", 3) == 0  ? "its SubRip (SRT) captions"
                                              : "its text transcript",
              f);
        fputs("; drafting: ", f);
    } else if (from != NULL) {
        fputs("speech-to-text: ", f);
        from += strlen("transcript by ");
        put_escaped(f, from, strcspn(from, ";"));
        fputs("; drafting: ", f);
    } else {
        fputs(strstr(engine, "pocketsphinx") != NULL || strstr(engine, "transcri") != NULL ||
                      strstr(engine, "whisper") != NULL
                  ? "speech-to-text: "
                  : "program: ",
              f);
    }
    put(f, engine);
    if (s->model != NULL) {
        fputs(", ", f);
        put(f, s->model);
    }
    fprintf(f, "%s%s)", where[0] ? ", " : "", where);
}

/* Who checked an AI section, by role when the stamp says it. */
static void put_reviewer(FILE *f, const cs_record *r, const cs_section *s)
{
    put_role(f, role_of(r, s->reviewed_by));
}

/* The programs that drafted an AI section's text in earlier versions of the
 * record, as its stamp lists them. */
static void put_earlier(FILE *f, const cs_record *r, const cs_section *s)
{
    const cs_provenance *p = r->provenance;
    for (size_t i = 0; p != NULL && i < p->n_sections; i++) {
        const cs_section_stamp *st = &p->sections[i];
        if (strcmp(st->id, s->id) != 0 || st->n_earlier == 0)
            continue;
        fputs("<p class=\"origin origin-earlier\">In earlier versions of this record, this text was drafted by "
              "another computer program as well: ",
              f);
        for (size_t k = 0; k < st->n_earlier; k++) {
            fputs(k > 0 ? "; " : "", f);
            put(f, st->earlier[k].engine);
            if (st->earlier[k].model != NULL) {
                fputs(", ", f);
                put(f, st->earlier[k].model);
            }
        }
        fputs(".</p>\n", f);
    }
}

static void put_origin(FILE *f, const cs_record *r, const cs_section *s)
{
    char date[32];
    if (s->origin == CS_ORIGIN_HUMAN) {
        fputs("<p class=\"origin origin-human\"><strong>Written by ", f);
        put_role(f, role_of(r, r->author));
        fputs(".</strong></p>\n", f);
        return;
    }
    if (s->origin == CS_ORIGIN_AI_DRAFT) {
        fputs("<p class=\"origin origin-draft\"><strong>Drafted by a computer program and not yet checked by a "
              "person.</strong> It may hold mistakes",
              f);
        put_engine(f, s);
        fputs(".</p>\n", f);
        put_earlier(f, r, s);
        return;
    }
    cs_report_date(date, s->reviewed_at);
    int edited = s->review != NULL && strcmp(s->review, "edited") == 0;
    fputs("<p class=\"origin origin-reviewed\"><strong>First drafted by a computer program from a recording", f);
    put_engine(f, s);
    fprintf(f, ", then checked%s by ", edited ? " and changed" : "");
    put_reviewer(f, r, s);
    fprintf(f, " on %s%s.</strong></p>\n", date, edited ? "" : ", who kept it as it was");
    put_earlier(f, r, s);
}

/* ---- the text, with its marks ----------------------------------------------- */

#define MARK_UNSURE 1u
#define MARK_UNSUPPORTED 2u
#define MARK_REDACTED 4u

static void mark(uint8_t *flags, size_t len, uint64_t from, uint64_t n, uint8_t bit)
{
    for (uint64_t i = from; i < from + n && i < len; i++)
        flags[i] |= bit;
}

/* Marks each range of a cite's unsure list (when flags is not NULL);
 * returns how many there are. */
static size_t mark_unsure(uint8_t *flags, size_t len, const char *list)
{
    size_t count = 0;
    uint32_t o, l;
    for (const char *p = list != NULL ? list : ""; cs_unsure_next(&p, &o, &l) == 1; count++)
        if (flags != NULL)
            mark(flags, len, o, l, MARK_UNSURE);
    return count;
}

/* Writes the run of text from `from` that has the same marks, closing each
 * at its end; returns where the next run starts. A redacted run is one
 * "[redacted]" however the marks under it change. */
static size_t put_run(FILE *f, const char *text, const uint8_t *flags, size_t from, size_t len)
{
    size_t to = from;
    uint8_t m = flags[from];
    if (m & MARK_REDACTED) {
        while (to < len && (flags[to] & MARK_REDACTED))
            to++;
        fputs("<span class=\"redacted\">" CS_REDACTED "</span>", f);
    } else {
        while (to < len && flags[to] == m)
            to++;
        fputs(m & MARK_UNSUPPORTED ? "<span class=\"unsupported\">" : "", f);
        fputs(m & MARK_UNSURE ? "<mark class=\"unsure\">" : "", f);
        put_escaped(f, text + from, to - from);
        fputs(m & MARK_UNSURE ? " (?)</mark>" : "", f);
        fputs(m & MARK_UNSUPPORTED ? "</span>" : "", f);
    }
    int ends_claim = (m & MARK_UNSUPPORTED) && (to == len || !(flags[to] & MARK_UNSUPPORTED));
    if (ends_claim)
        fputs(" <span class=\"note\">[not found in the recording]</span>", f);
    return to;
}

struct section_marks {
    size_t unsure, unsupported; /* in the section's draft, whether shown or not */
};

/* Marks a section's text by its cites (unless a person edited it, which
 * moves the words the marks point at) and by the redactions. */
static uint8_t *section_flags(const cs_report_record *rr, size_t idx, struct section_marks *sm)
{
    const cs_section *s = &rr->r->sections[idx];
    uint8_t *flags = calloc(s->text_len + 1, 1);
    if (flags == NULL)
        return NULL;
    int edited = s->review != NULL && strcmp(s->review, "edited") == 0;
    for (size_t i = 0; i < rr->r->n_cites; i++) {
        const cs_cite *c = &rr->r->cites[i];
        if (strcmp(c->section, s->id) != 0)
            continue;
        sm->unsure += mark_unsure(edited ? NULL : flags, s->text_len, c->unsure);
        sm->unsupported += c->unsupported != 0;
        if (c->unsupported && !edited)
            mark(flags, s->text_len, c->offset, c->length, MARK_UNSUPPORTED);
    }
    for (size_t i = 0; rr->spans != NULL && i < rr->n_spans[idx]; i++)
        mark(flags, s->text_len, rr->spans[idx][i].start, rr->spans[idx][i].end - rr->spans[idx][i].start,
             MARK_REDACTED);
    for (size_t i = 1; i < s->text_len; i++) /* never split a UTF-8 character */
        if (((unsigned char)s->text[i] & 0xC0) == 0x80)
            flags[i] = flags[i - 1];
    return flags;
}

static int put_section(FILE *f, const cs_report_record *rr, size_t idx)
{
    const cs_section *s = &rr->r->sections[idx];
    const char *title = rr->section_title != NULL ? rr->section_title(rr->tpl, s->id) : NULL;
    fputs("<h3>", f);
    if (title != NULL) {
        put(f, title);
    } else { /* "home-circumstances" -> "Home circumstances" */
        for (const char *p = s->id; *p != '\0'; p++) {
            char c = p == s->id && *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p == '-' || *p == '_' ? ' ' : *p;
            put_escaped(f, &c, 1);
        }
    }
    fputs("</h3>\n", f);
    put_origin(f, rr->r, s);
    struct section_marks sm = {0};
    uint8_t *flags = section_flags(rr, idx, &sm);
    if (flags == NULL)
        return -1;
    int edited = s->review != NULL && strcmp(s->review, "edited") == 0;
    if (edited && (sm.unsure > 0 || sm.unsupported > 0))
        fprintf(f, "<p>In its draft, the program was unsure of %zu word%s and could not match %zu sentence%s to the "
                   "recording. The person who checked it has changed it since, so these are not marked below.</p>\n",
                sm.unsure, sm.unsure == 1 ? "" : "s", sm.unsupported, sm.unsupported == 1 ? "" : "s");
    fputs("<div class=\"text\">", f);
    if (s->text_len == 0)
        fputs("(This part is empty.)", f);
    for (size_t at = 0; at < s->text_len;)
        at = put_run(f, s->text, flags, at, s->text_len);
    fputs("</div>\n", f);
    free(flags);
    return 0;
}

static void put_facts(FILE *f, const cs_report_record *rr)
{
    const cs_record *r = rr->r;
    char date[32];
    cs_report_date(date, r->provenance != NULL ? r->provenance->at : NULL);
    fprintf(f, "<table>\n<caption>About record %llu</caption>\n<tbody>\n", (unsigned long long)rr->position);
    fputs("<tr><th scope=\"row\">Record number</th><td>", f);
    put(f, r->id);
    fputs("</td></tr>\n<tr><th scope=\"row\">Form</th><td>", f);
    put_form_title(f, rr);
    fprintf(f, "</td></tr>\n<tr><th scope=\"row\">Last saved on</th><td>%s</td></tr>\n", date);
    fputs("<tr><th scope=\"row\">Saved by</th><td>", f);
    put_role(f, r->provenance != NULL ? r->provenance->actor_role : NULL);
    fputs("</td></tr>\n", f);
    if (r->provenance != NULL)
        fprintf(f, "<tr><th scope=\"row\">Version</th><td>%u (each change to a record is saved as a new "
                   "version)</td></tr>\n", (unsigned)r->provenance->version);
    fprintf(f, "<tr><th scope=\"row\">Is this record final?</th><td>%s</td></tr>\n",
            r->final ? "Yes" : "No: it may still change");
    fputs("</tbody>\n</table>\n", f);
    if (r->n_subjects > 1)
        fprintf(f, "<p>This record is also about %zu other %s.</p>\n", r->n_subjects - 1,
                r->n_subjects == 2 ? "person" : "people");
}

int cs_report_write(FILE *f, const cs_report_record *rr)
{
    char date[32];
    cs_report_date(date, rr->r->provenance != NULL ? rr->r->provenance->at : NULL);
    fprintf(f, "<section class=\"record\" id=\"record-%llu\" aria-labelledby=\"record-%llu-title\">\n"
               "<h2 id=\"record-%llu-title\">Record %llu: ",
            (unsigned long long)rr->position, (unsigned long long)rr->position, (unsigned long long)rr->position,
            (unsigned long long)rr->position);
    put_form_title(f, rr);
    fprintf(f, ", %s</h2>\n", date);
    put_seal(f, rr);
    put_facts(f, rr);
    if (rr->n_redacted > 0)
        fprintf(f, "<p>Some information about other people has been taken out of this record (%zu place%s). It is "
                   "shown as [redacted].</p>\n",
                rr->n_redacted, rr->n_redacted == 1 ? "" : "s");
    put_consents(f, rr);
    for (size_t i = 0; i < rr->r->n_sections; i++)
        if (put_section(f, rr, i) != 0)
            return -1;
    fputs("</section>\n", f);
    return ferror(f) ? -1 : 0;
}

int cs_report_tail(FILE *f)
{
    fputs("</main>\n<footer>\n<p class=\"technical\">Made by CaseScribe " CASESCRIBE_VERSION_STRING
          ". The machine-readable copy of these records is in records.xml.</p>\n</footer>\n</body>\n</html>\n",
          f);
    return ferror(f) ? -1 : 0;
}
