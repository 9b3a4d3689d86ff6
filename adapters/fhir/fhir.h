/* SPDX-License-Identifier: Apache-2.0 */
/* fhir.h - the built-in "fhir" adapter: HL7 FHIR R4 Bundles, JSON or XML
 * (adapters/fhir/README.md). Written against <casescribe.h> alone. */
#ifndef CS_FHIR_H
#define CS_FHIR_H

#include <casescribe.h>
#include <stddef.h>
#include <stdint.h>

/* Fills an initialised adapter: name "fhir", decode, encode (and, in a
 * contract-2 struct, decode_named), user NULL. */
int32_t cs_fhir_adapter_fill(casescribe_adapter *a);

/* The rest is for tests and tools that check the adapter's output (they
 * link the convenience library). Outputs are malloc'd: free() them. Errors
 * are the adapter's, with casescribe_last_error() set. */

#define CS_FHIR_JSON 1
#define CS_FHIR_XML 2
/* The format of a payload by its first byte that is not whitespace (after
 * a UTF-8 byte order mark): '{' JSON, '<' XML; 0 for neither. */
int cs_fhir_format(const uint8_t *payload, size_t len);

/* decode and encode as the adapter runs them (encode with `ctx` signs the
 * Provenance with the home's key). */
int32_t cs_fhir_decode(uint8_t **form, size_t *form_len, const uint8_t *payload, size_t len);
/* decode as a save runs it, with the home's names file (names-1.xsd;
 * NULL/0: none). */
int32_t cs_fhir_decode_named(uint8_t **form, size_t *form_len, const uint8_t *payload, size_t len,
                             const uint8_t *names, size_t names_len);
int32_t cs_fhir_encode(uint8_t **out, size_t *out_len, casescribe_ctx *ctx, const uint8_t *form, size_t form_len,
                       const uint8_t *original, size_t original_len);

/* Rewrites a payload in the other format (CS_FHIR_JSON or CS_FHIR_XML)
 * with the adapter's own readers and writers. */
int32_t cs_fhir_convert(uint8_t **out, size_t *out_len, const uint8_t *payload, size_t len, int format);

/* The payload's Provenance as its JWS signs it (its canonical JSON, see
 * README.md) and the JWS from its signature: enough to check it with
 * casescribe_jws_verify() and the home's public key. */
int32_t cs_fhir_signed_payload(char **canonical, size_t *canonical_len, char **jws, const uint8_t *payload, size_t len);

#endif
