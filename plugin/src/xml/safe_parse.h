/* SPDX-License-Identifier: Apache-2.0 */
/* safe_parse.h - the ONE function through which every XML input is parsed.
 *
 * Hostile input is the normal case: no network, no DTD loading, no entity
 * substitution, any DOCTYPE refused, a size cap before parsing, a depth cap
 * (CASESCRIBE_MAX_XML_DEPTH) after, UTF-8 only. Errors are collected on a
 * per-parse context; no global libxml2 setting or handler is touched.
 */
#ifndef CS_SAFE_PARSE_H
#define CS_SAFE_PARSE_H

#include <libxml/tree.h>
#include <stddef.h>
#include <stdint.h>

/* Parses `len` bytes into a new document (xmlFreeDoc it). Returns
 * CASESCRIBE_OK, CASESCRIBE_ETOOBIG (len > max_bytes), CASESCRIBE_EPARSE
 * (not well-formed, DOCTYPE present, entity declared or referenced, deeper
 * than the cap, invalid UTF-8, an encoding other than UTF-8 declared) or
 * CASESCRIBE_ENOMEM, with a message naming the line where libxml2 gave one. */
int32_t cs_xml_parse(xmlDocPtr *out, const uint8_t *buf, size_t len, size_t max_bytes);

/* libxml2 copies every error it raises (parse, schema, C14N) into the
 * calling thread's xmlLastError, which belongs to the host as much as to
 * us. Save it before calling libxml2 and put it back after, so that the
 * host's xmlGetLastError() neither changes nor points at freed memory. */
void cs_xml_host_error_save(xmlError *saved);
/* 1 when `n` is an element called `name` (the schema has checked the namespace). */
int cs_xml_is_element(xmlNodePtr n, const char *name);
void cs_xml_host_error_restore(xmlError *saved);

#endif
