/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_policy.c - libFuzzer harness for team policy files and council
 * bundles (the hardened parser, the policy schema, the signature check and
 * the model): any bytes may be refused, none may crash, leak or hang.
 *
 *   ./configure CC=clang --enable-fuzzers && make fuzz
 *   seeds: tests/fuzz/corpus-policy (a policy file and a bundle, signed by
 *   the key below, so that inputs near them reach the model) */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "policy/bundle.h"
#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_pubkey[] = "-----BEGIN PUBLIC KEY-----\n"
                                  "MCowBQYDK2VwAyEAb8RVHp+3oqR/6QzimXYQKpPq2v7DdMu91US4uyr3YLs=\n"
                                  "-----END PUBLIC KEY-----\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cs_keyring *keys;
    if (keys == NULL && cs_keyring_from_pem(&keys, (const uint8_t *)fuzz_pubkey, strlen(fuzz_pubkey)) != 0)
        return 0;
    cs_policy *p = NULL;
    if (cs_policy_read(&p, "cin-north", data, size, keys) == CASESCRIBE_OK)
        cs_policy_free(p);
    cs_bundle *b = NULL;
    if (cs_bundle_read(&b, data, size, keys) == CASESCRIBE_OK)
        cs_bundle_free(b);
    return 0;
}
