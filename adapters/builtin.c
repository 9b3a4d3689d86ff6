/* SPDX-License-Identifier: Apache-2.0 */
/* builtin.c - the list of built-in adapters the registry loads on first
 * use. Adding one: write it against <casescribe.h> in its own folder, and
 * add its fill function here. */
#include "builtin.h"

size_t cs_builtin_adapters(casescribe_adapter *out, size_t max)
{
    int32_t (*const fill[])(casescribe_adapter *) = {cs_xml_adapter_fill, cs_fhir_adapter_fill};
    size_t n = 0;
    for (size_t i = 0; i < sizeof(fill) / sizeof(*fill) && n < max; i++)
        if (casescribe_adapter_init(&out[n], sizeof(out[n])) == CASESCRIBE_OK && fill[i](&out[n]) == CASESCRIBE_OK)
            n++;
    return n;
}
