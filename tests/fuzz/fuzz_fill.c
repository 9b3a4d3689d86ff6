/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_fill.c - libFuzzer harness for what template filling parses: the
 * first byte chooses the parser, the rest is its input.
 *   0  a template (urn:casescribe:template:1)
 *   1  a transcript (urn:casescribe:transcript:1), then drafted by the
 *      embedded filler, its flags listed
 *   2  a remote model's answer (a chat completion), read against a fixed
 *      template, transcript and form, every sentence checked
 *   3  text to pseudonymise and restore
 * Any bytes may be refused; none may crash, leak or hang.
 *
 *   ./configure CC=clang --enable-fuzzers && make fuzz
 *   seeds: tests/fuzz/corpus-fill */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fill/draft.h"
#include "fill/fill.h"
#include "fill/pseudonym.h"
#include "fill/template.h"
#include "record/record.h"
#include "transcribe/transcript.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char tpl_xml[] =
    "<template xmlns=\"urn:casescribe:template:1\" id=\"t\" version=\"1\"><title>T</title>"
    "<section id=\"wishes\" ai=\"draft\"><title>W</title><guidance>g</guidance></section>"
    "<section id=\"analysis\" ai=\"never\"><title>A</title><guidance>g</guidance></section></template>";
static const char transcript_xml[] =
    "<transcript xmlns=\"urn:casescribe:transcript:1\" made-by=\"machine\" engine=\"e\" engine-version=\"1\" "
    "model=\"m\" settings=\"\" source=\"s\" unsure-below-permille=\"600\"><segment n=\"1\" start-ms=\"0\" "
    "end-ms=\"900\"><w start-ms=\"0\" end-ms=\"300\">Mia:</w><w start-ms=\"300\" end-ms=\"600\">likes</w>"
    "<w start-ms=\"600\" end-ms=\"900\">football.</w></segment></transcript>";

static void answer(const uint8_t *data, size_t size)
{
    static casescribe_template *tpl;
    static casescribe_transcript *t;
    if (tpl == NULL && casescribe_template_open(&tpl, (const uint8_t *)tpl_xml, strlen(tpl_xml)) != 0)
        return;
    if (t == NULL && casescribe_transcript_open(&t, (const uint8_t *)transcript_xml, strlen(transcript_xml)) != 0)
        return;
    cs_subject subject = {"C-1", "child", "Mia Thompson"};
    cs_record form;
    memset(&form, 0, sizeof(form));
    form.subjects = &subject;
    form.n_subjects = 1;
    cs_draft d;
    memset(&d, 0, sizeof(d));
    cs_fill_remote_answer(&d, tpl, t, &form, data, size, 6);
    cs_draft_free(&d);
}

/* A transcript that reads is drafted by the embedded filler, its
 * questions, answers, judgement and steering found and flagged. */
static void drafted(const casescribe_transcript *t)
{
    static casescribe_template *tpl;
    if (tpl == NULL && casescribe_template_open(&tpl, (const uint8_t *)tpl_xml, strlen(tpl_xml)) != 0)
        return;
    cs_draft d;
    memset(&d, 0, sizeof(d));
    if (cs_fill_extractive(&d, tpl, t, 0, CASESCRIBE_FILL_STYLE_QUOTE, NULL) == 0)
        cs_fill_flags(&d, tpl, t);
    cs_draft_free(&d);
}

static void pseudonyms(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return;
    memcpy(text, data, size);
    text[size] = '\0';
    cs_subject subject = {"C-1", "child", "Mia Thompson"};
    cs_record form;
    memset(&form, 0, sizeof(form));
    form.subjects = &subject;
    form.n_subjects = 1;
    cs_pseudonyms m;
    memset(&m, 0, sizeof(m));
    char *out = NULL, *back = NULL;
    int unknown = 0;
    if (cs_pseudonyms_add_subjects(&m, &form) == 0 && cs_pseudonymise(&out, &m, text) == 0)
        cs_restore(&back, &m, out, &unknown);
    free(back);
    free(out);
    free(text);
    cs_pseudonyms_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    switch (data[0] % 4) {
    case 0: {
        casescribe_template *t = NULL;
        if (casescribe_template_open(&t, data + 1, size - 1) == 0)
            casescribe_template_free(t);
        break;
    }
    case 1: {
        casescribe_transcript *t = NULL;
        if (casescribe_transcript_open(&t, data + 1, size - 1) == 0) {
            drafted(t);
            casescribe_transcript_free(t);
        }
        break;
    }
    case 2:
        answer(data + 1, size - 1);
        break;
    default:
        pseudonyms(data + 1, size - 1);
    }
    return 0;
}
