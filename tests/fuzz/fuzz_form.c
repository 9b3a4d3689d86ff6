/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_form.c - libFuzzer harness for the "xml" adapter, through the public
 * API only: decode a payload into a record and read every field of it, and
 * verify it against a fixed key. Either may refuse the input; neither may crash,
 * leak, hang or read out of bounds (ASan/UBSan catch those).
 *
 *   ./configure CC=clang --enable-fuzzers && make fuzz
 *   seeds: tests/fuzz/corpus (valid forms and known hostile inputs) */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "casescribe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fixed public key, so that verify runs its whole path (decode, key
 * lookup, digests, signature) on every input. */
static const char fuzz_pubkey[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEATr68B+W0OStNK6BgvityUSoykw+F1UPr1oyY/6pU+as=\n"
    "-----END PUBLIC KEY-----\n";

/* Touches a borrowed string end to end, so that a dangling or unterminated
 * one shows up under ASan here rather than in some host. */
static size_t touch(const char *s)
{
    return s != NULL ? strlen(s) : 0;
}

static size_t read_section(const casescribe_record *r, uint32_t i)
{
    return touch(casescribe_record_section_id(r, i)) + touch(casescribe_record_section_origin(r, i)) +
           touch(casescribe_record_section_engine(r, i)) + touch(casescribe_record_section_model(r, i)) +
           touch(casescribe_record_section_reviewer(r, i)) + touch(casescribe_record_section_reviewed_at(r, i)) +
           touch(casescribe_record_section_review(r, i)) + touch(casescribe_record_section_text(r, i));
}

static size_t read_record(const casescribe_record *r)
{
    size_t n = touch(casescribe_record_id(r)) + touch(casescribe_record_team(r)) +
               touch(casescribe_record_author(r)) + touch(casescribe_record_key_id(r));
    n += (size_t)casescribe_record_is_final(r) + casescribe_record_version(r);
    uint32_t count = casescribe_record_section_count(r);
    for (uint32_t i = 0; i < count; i++)
        n += read_section(r, i);
    /* One past the end must be answered with NULL, not read. */
    n += read_section(r, count);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    casescribe_record *r = NULL;
    if (casescribe_record_open(&r, "xml", data, size) == CASESCRIBE_OK) {
        volatile size_t sink = read_record(r);
        (void)sink;
        casescribe_record_free(r);
    }
    char *report = NULL;
    (void)casescribe_verify_with_public_key(&report, "xml", (const uint8_t *)fuzz_pubkey, strlen(fuzz_pubkey), data,
                                            size);
    casescribe_free(report);
    return 0;
}
