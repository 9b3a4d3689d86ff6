/* SPDX-License-Identifier: Apache-2.0 */
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

/* The bound of every field of a form, in bytes (form-1.xsd repeats them as
 * facets, in characters). A decode refuses a larger one with ETOOBIG naming
 * the field (the schema bounds the counts of repeated elements: subjects
 * 64, consents 256, sections 256, citations 4096). Together with the size check
 * of the stamped record (cs_adapter_encode_with), whatever a save accepts
 * reads back in verify and in the next save. */
#define CS_FORM_MAX_SHORT 1024u                 /* ids (128 ASCII), names, roles, engine, model: 256 chars */
#define CS_FORM_MAX_LONG 4096u                  /* engine settings, digests: 1024 chars */
#define CS_FORM_MAX_PRINT 4786u                 /* fingerprints: the longest mh4 of form-1.xsd's pattern */
#define CS_FORM_MAX_SCOPES 128u                 /* at most the four scope words, separated by spaces */
#define CS_FORM_MAX_TIME 64u                    /* ISO 8601 with up to 9 decimals and an offset */
#define CS_FORM_MAX_UNSURE 4096u                /* 256 ranges of OFFSET:LENGTH */
#define CS_FORM_MAX_SECTION_TEXT (256u * 1024u) /* one section's text */

/* Parses (through cs_xml_parse), validates against form-1.xsd and builds the
 * model, including <provenance> when present. */
int32_t cs_form_decode(cs_record **out, const uint8_t *buf, size_t len);

/* 1 when v has the shape form-1.xsd's patterns give section-stamp/@fingerprint
 * (checked here, not by the compiled schema), else 0. */
int cs_form_fingerprint_shape(const char *v);
/* Takes those patterns out of a parsed form-1.xsd (an xmlDocPtr) before it
 * is compiled: what the library validates forms with. */
void cs_form_strip_xsd(void *xsd_doc);

/* Renders the record with its provenance (when set) as indented UTF-8 XML. */
int32_t cs_form_encode(uint8_t **out, size_t *out_len, const cs_record *r);

/* Which parts of the record cs_form_canonical renders. */
#define CS_CANON_FORM 1     /* everything but <provenance> */
#define CS_CANON_SUBJECTS 2 /* the <subject> elements only */
#define CS_CANON_CONSENTS 3 /* the <consent> elements only */
int32_t cs_form_canonical(uint8_t **out, size_t *out_len, const cs_record *r, int part);
int32_t cs_section_canonical(uint8_t **out, size_t *out_len, const cs_section *s);
/* The canonical bytes of the form part (as cs_form_canonical CS_CANON_FORM)
 * made in ONE pass, and where each child of <form> lies in them: subjects,
 * consents, sections, then citations, in model order. The canonical bytes
 * of any part (the subjects, the consents, one consent entry, one section)
 * are CS_CANON_OPEN, that part's slices, CS_CANON_CLOSE: byte for byte
 * what cs_form_canonical, cs_consent_canonical and cs_section_canonical
 * make by rendering the part alone. With keep_doc, the rendered document
 * is kept (doc) for cs_form_sign_into and cs_form_dump. */
#define CS_CANON_OPEN "<form xmlns=\"" CS_FORM_NS "\">"
#define CS_CANON_CLOSE "</form>"
typedef struct cs_form_canon {
    uint8_t *bytes;
    size_t len;
    size_t (*ranges)[2]; /* [start, end) of each child of <form>, in model order */
    size_t n_ranges;
    void *doc; /* xmlDocPtr, or NULL */
} cs_form_canon;
int32_t cs_form_canonical_all(cs_form_canon *out, const cs_record *r, int keep_doc);
void cs_form_canon_free(cs_form_canon *c);

/* The same passes over the document a record was decoded from
 * (r->received), without rendering the model: the form's canonical bytes
 * and ranges, and the provenance's without its signature. They equal what
 * cs_form_canonical_all and cs_provenance_canonical make whenever the
 * document is as the library wrote it; a document written otherwise
 * (re-indented, other prefixes) gives other bytes, so a caller uses them
 * only to confirm a digest or a signature and falls back to the model
 * when they do not. ENOTFOUND when the record has no document. */
int32_t cs_form_canonical_received(cs_form_canon *out, const cs_record *r);
int32_t cs_provenance_canonical_received(uint8_t **out, size_t *out_len, const cs_record *r);
/* Frees r->received and sets it NULL. */
void cs_form_received_free(cs_record *r);

/* Puts provenance p without its signature into the kept document `doc`
 * (replacing one put there before) and sets *msg to its canonical bytes
 * (malloc'd): the bytes cs_provenance_canonical(p, 0) makes, from the one
 * rendering the stamped record is then written from. */
int32_t cs_form_provenance_into(void *doc, const cs_provenance *p, uint8_t **msg, size_t *len);
/* Adds p's signature to the provenance cs_form_provenance_into put in doc,
 * and writes the document as cs_form_encode writes the record. */
int32_t cs_form_dump_signed(uint8_t **out, size_t *out_len, void *doc, const cs_provenance *p);

/* One consent entry alone, as the form holds it. */
int32_t cs_consent_canonical(uint8_t **out, size_t *out_len, const cs_consent *c);
/* The <provenance> element alone, with or without its <signature>. */
int32_t cs_provenance_canonical(uint8_t **out, size_t *out_len, const cs_provenance *p, int with_signature);

#endif
