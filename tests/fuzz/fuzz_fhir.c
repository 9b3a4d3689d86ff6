/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_fhir.c - libFuzzer harness for the "fhir" adapter: a payload (FHIR
 * JSON or XML) decoded into a record whose every field is read, verified
 * against a fixed key, rewritten in both formats by the adapter's own
 * readers and writers, and, when it decodes, encoded back with itself as
 * the original (the carry-over of what the record model does not hold).
 * Each may refuse the input; none may crash, leak, hang or read out of
 * bounds (ASan/UBSan catch those).
 *
 *   ./configure CC=clang --enable-fuzzers && make fuzz
 *   seeds: tests/fuzz/corpus-fhir (valid Bundles in both formats, stamped
 *   and not, known hostile inputs, and official R4 examples) */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "casescribe.h"
#include "fhir/fhir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_pubkey[] = "-----BEGIN PUBLIC KEY-----\n"
                                  "MCowBQYDK2VwAyEATr68B+W0OStNK6BgvityUSoykw+F1UPr1oyY/6pU+as=\n"
                                  "-----END PUBLIC KEY-----\n";

static const char fuzz_names[] = "<names xmlns=\"urn:casescribe:names:1\" team=\"cin-north\">"
                                 "<record-identifier system=\"http://example.org/fhir/NamingSystem/questionnaire-ids\"/>"
                                 "<record-resource-id prefix=\"hl7:\"/>"
                                 "<questionnaire canonical=\"Questionnaire/gcs\" template=\"visit-test\"/></names>";

static size_t touch(const char *s)
{
    return s != NULL ? strlen(s) : 0;
}

static size_t read_record(const casescribe_record *r)
{
    size_t n = touch(casescribe_record_id(r)) + touch(casescribe_record_team(r)) + touch(casescribe_record_author(r)) +
               touch(casescribe_record_key_id(r));
    n += (size_t)casescribe_record_is_final(r) + casescribe_record_version(r);
    uint32_t count = casescribe_record_section_count(r);
    for (uint32_t i = 0; i <= count; i++) /* one past the end must be NULL, not read */
        n += touch(casescribe_record_section_id(r, i)) + touch(casescribe_record_section_origin(r, i)) +
             touch(casescribe_record_section_engine(r, i)) + touch(casescribe_record_section_model(r, i)) +
             touch(casescribe_record_section_engine_settings(r, i)) + touch(casescribe_record_section_text(r, i));
    return n;
}

/* Built in; registered here when the library was built without it. */
static void ensure_adapter(void)
{
    static int done;
    if (done)
        return;
    casescribe_adapter a;
    if (casescribe_adapter_init(&a, sizeof(a)) == CASESCRIBE_OK && cs_fhir_adapter_fill(&a) == CASESCRIBE_OK)
        (void)casescribe_adapter_register(&a);
    done = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ensure_adapter();
    casescribe_record *r = NULL;
    if (casescribe_record_open(&r, "fhir", data, size) == CASESCRIBE_OK) {
        volatile size_t sink = read_record(r);
        (void)sink;
        casescribe_record_free(r);
    }
    char *report = NULL;
    (void)casescribe_verify_with_public_key(&report, "fhir", (const uint8_t *)fuzz_pubkey, strlen(fuzz_pubkey), data,
                                            size);
    casescribe_free(report);
    for (int format = CS_FHIR_JSON; format <= CS_FHIR_XML; format++) {
        uint8_t *out = NULL;
        size_t out_len = 0;
        (void)cs_fhir_convert(&out, &out_len, data, size, format);
        free(out);
    }
    uint8_t *form = NULL, *again = NULL;
    size_t form_len = 0, again_len = 0;
    if (cs_fhir_decode(&form, &form_len, data, size) == CASESCRIBE_OK)
        (void)cs_fhir_encode(&again, &again_len, NULL, form, form_len, data, size);
    free(form);
    free(again);
    /* Another system's payload read with a home's names file: its
     * identifiers, references, narratives and Consents (README.md,
     * "Real-world input"). */
    form = again = NULL;
    if (cs_fhir_decode_named(&form, &form_len, data, size, (const uint8_t *)fuzz_names, strlen(fuzz_names)) ==
        CASESCRIBE_OK)
        (void)cs_fhir_encode(&again, &again_len, NULL, form, form_len, data, size);
    free(form);
    free(again);
    return 0;
}
