/* SPDX-License-Identifier: Apache-2.0 */
/* builtin.h - the adapters built into libcasescribe. Each is written
 * against the public header alone, as a vendor's would be, and fills an
 * initialised casescribe_adapter. */
#ifndef CS_ADAPTERS_BUILTIN_H
#define CS_ADAPTERS_BUILTIN_H

#include <casescribe.h>

int32_t cs_xml_adapter_fill(casescribe_adapter *a);
int32_t cs_fhir_adapter_fill(casescribe_adapter *a);

/* The library's registry calls this once (plugin/src/adapter.c declares
 * the same prototype): fills up to `max` adapters, returns how many. */
size_t cs_builtin_adapters(casescribe_adapter *out, size_t max);

#endif
