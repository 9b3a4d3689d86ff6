/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_sar.c - libFuzzer harness for what the subject access export reads
 * or renders from outside: the first byte chooses, the rest is the input.
 *   0  an officer's redaction file (CSV), then applied to a fixed text
 *   1  section text searched for other people's names
 *   2  an export ZIP handed to `sar verify`
 *   3  a form (urn:casescribe:form:1) rendered onto the person's page, with
 *      its citations and unsure words, and redacted
 * Any bytes may be refused; none may crash, leak or hang.
 *
 *   ./configure CC=clang --enable-fuzzers && make fuzz
 *   seeds: tests/fuzz/corpus-sar */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapter.h"
#include "sar/sar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char text[] = "Jo said Kerry Smith visits on Tuesdays.\nKerry: we went to the park with Sam.";

static void redact_fixed_text(const cs_redactions *rx)
{
    cs_span *spans = NULL;
    size_t n = 0, len = 0;
    if (cs_redaction_spans(&spans, &n, rx, "R-1", text, sizeof(text) - 1) != CASESCRIBE_OK)
        return;
    char *out = cs_redact_text(text, sizeof(text) - 1, spans, n, &len);
    size_t last = 0;
    for (size_t pos = 0; pos <= sizeof(text) - 1; pos++) { /* positions only move forward, inside the text */
        size_t mapped = cs_redact_map(pos, spans, n);
        if (out != NULL && (mapped > len || mapped < last))
            abort();
        last = mapped;
    }
    free(out);
    free(spans);
}

static int count_name(void *user, const char *name, size_t len)
{
    (void)name;
    *(size_t *)user += len;
    return 0;
}

static void verify_zip(const uint8_t *data, size_t size)
{
    static char path[64];
    if (path[0] == '\0')
        snprintf(path, sizeof(path), "/tmp/fuzz-sar-%d.zip", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return;
    fwrite(data, 1, size, f);
    fclose(f);
    cs_buf report = {0};
    cs_sar_verify_zip(&report, path, NULL, 0);
    cs_buf_free(&report);
    unlink(path);
}

static void render_form(const uint8_t *data, size_t size)
{
    cs_record *r = NULL;
    if (cs_adapter_decode(&r, "xml", data, size) != CASESCRIBE_OK)
        return;
    cs_redactions rx = {0};
    static const char csv[] = "record,text,redact\n*,Kerry,yes\n*,a,yes\n";
    FILE *devnull = fopen("/dev/null", "w");
    if (devnull != NULL && cs_redactions_parse(&rx, (const uint8_t *)csv, sizeof(csv) - 1) == CASESCRIBE_OK) {
        cs_span **spans = calloc(r->n_sections + 1, sizeof(*spans));
        size_t *n = calloc(r->n_sections + 1, sizeof(*n));
        for (size_t i = 0; spans != NULL && n != NULL && i < r->n_sections; i++)
            cs_redaction_spans(&spans[i], &n[i], &rx, r->id, r->sections[i].text, r->sections[i].text_len);
        cs_report_record rr = {.r = r, .position = 1, .subject = r->n_subjects ? r->subjects[0].id : "P-1",
                               .provenance = CASESCRIBE_EVERIFY, .spans = spans, .n_spans = n};
        if (spans != NULL && n != NULL) {
            cs_report_toc_entry(devnull, &rr);
            cs_report_write(devnull, &rr);
        }
        for (size_t i = 0; spans != NULL && i < r->n_sections; i++)
            free(spans[i]);
        free(spans);
        free(n);
    }
    if (devnull != NULL)
        fclose(devnull);
    cs_redactions_free(&rx);
    cs_record_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *in = data + 1;
    size_t len = size - 1;
    switch (data[0] % 4) {
    case 0: {
        cs_redactions rx;
        if (cs_redactions_parse(&rx, in, len) == CASESCRIBE_OK) {
            redact_fixed_text(&rx);
            cs_redactions_free(&rx);
        }
        break;
    }
    case 1: {
        size_t total = 0;
        char *copy = malloc(len + 1);
        if (copy != NULL) {
            memcpy(copy, in, len);
            copy[len] = '\0';
            cs_names_in_text(copy, len, "Jo Example", count_name, &total);
            free(copy);
        }
        break;
    }
    case 2:
        verify_zip(in, len);
        break;
    default:
        render_form(in, len);
        break;
    }
    return 0;
}
