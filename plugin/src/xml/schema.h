/* SPDX-License-Identifier: Apache-2.0 */
/* schema.h - validating a document against an XSD embedded in the library.
 *
 * The schema is compiled on first use from the bytes embedded at build time
 * (a compile that failed for want of memory is tried again on the next
 * call). A compiled xmlSchema is read-only during validation, so threads
 * share it, each with its own validation context. Errors go to a handler of
 * our own; the calling thread's xmlLastError is kept as the host had it.
 */
#ifndef CS_XML_SCHEMA_H
#define CS_XML_SCHEMA_H

#include <libxml/xmlschemas.h>
#include <pthread.h>
#include <stdint.h>

typedef struct cs_xml_schema {
    const unsigned char *xsd;
    const unsigned int *xsd_len;
    const char *what; /* "urn:casescribe:form:1 form", for messages */
    pthread_mutex_t lock;
    xmlSchemaPtr compiled;
} cs_xml_schema;

#define CS_XML_SCHEMA_INIT(bytes, len, what) {(bytes), &(len), (what), PTHREAD_MUTEX_INITIALIZER, NULL}

/* CASESCRIBE_OK when `doc` is valid; ESCHEMA naming the first violation and
 * its line (a quoted value in libxml2's message is withheld: it may be
 * personal data); ENOMEM when the schema or a context could not be made. */
int32_t cs_xml_schema_validate(cs_xml_schema *schema, xmlDocPtr doc);

#endif
