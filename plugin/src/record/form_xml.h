/* form_xml.h - the reference form (urn:casescribe:form:1): decoding with
 * schema validation, encoding, and the canonical (C14N) bytes that digests
 * and signatures are computed over.
 *
 * Canonical bytes are made from the record MODEL, not from the payload as
 * sent: the model is rendered to a document in a fixed order and that
 * document is put through libxml2's exclusive C14N. So whitespace between
 * elements, attribute order or quoting in the host's copy never changes a
 * digest, while any change to a value does. */
#ifndef CS_FORM_XML_H
#define CS_FORM_XML_H

#include <stddef.h>
#include <stdint.h>

#include "record/record.h"

#define CS_FORM_NS "urn:casescribe:form:1"

/* Parses (through cs_xml_parse), validates against form-1.xsd and builds the
 * model, including <provenance> when present. */
int32_t cs_form_decode(cs_record **out, const uint8_t *buf, size_t len);

/* Renders the record with its provenance (when set) as indented UTF-8 XML. */
int32_t cs_form_encode(uint8_t **out, size_t *out_len, const cs_record *r);

/* Which parts of the record cs_form_canonical renders. */
#define CS_CANON_FORM 1     /* everything but <provenance> */
#define CS_CANON_SUBJECTS 2 /* the <subject> elements only */
#define CS_CANON_CONSENTS 3 /* the <consent> elements only */
int32_t cs_form_canonical(uint8_t **out, size_t *out_len, const cs_record *r, int part);
int32_t cs_section_canonical(uint8_t **out, size_t *out_len, const cs_section *s);
/* One consent entry alone, as the form holds it. */
int32_t cs_consent_canonical(uint8_t **out, size_t *out_len, const cs_consent *c);
/* The <provenance> element alone, with or without its <signature>. */
int32_t cs_provenance_canonical(uint8_t **out, size_t *out_len, const cs_provenance *p, int with_signature);

#endif
