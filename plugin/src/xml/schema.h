/* SPDX-License-Identifier: Apache-2.0 */
/* schema.h - validating a document against an XSD embedded in the library.
 *
 * The schema is compiled on first use from the bytes embedded at build time
 * (a compile that failed for want of memory is tried again on the next
 * call). A compiled xmlSchema is read-only during validation, so threads
 * share it, each with its own validation context (reused from one
 * validation to the next). Errors go to a handler of
 * our own; the calling thread's xmlLastError is kept as the host had it.
 */
#ifndef CS_XML_SCHEMA_H
#define CS_XML_SCHEMA_H

#include <libxml/xmlschemas.h>
#include <pthread.h>
#include <stdint.h>

#define CS_XML_SCHEMA_IDLE 8

typedef struct cs_xml_schema {
    const unsigned char *xsd;
    const unsigned int *xsd_len;
    const char *what; /* "urn:casescribe:form:1 form", for messages */
    pthread_mutex_t lock;
    xmlSchemaPtr compiled;
    /* Validation contexts a validation finished with, for the next one
     * (one thread at a time each): making one per validation costs as much
     * as validating a small form. Kept for the life of the process. */
    xmlSchemaValidCtxtPtr idle[CS_XML_SCHEMA_IDLE];
    size_t n_idle;
    /* When set: facets the library checks in C instead (an XSD regex is
     * slow), removed from the parsed XSD before it is compiled; the
     * document is kept with the compiled schema. */
    void (*strip)(xmlDocPtr xsd);
    xmlDocPtr stripped;
} cs_xml_schema;

#define CS_XML_SCHEMA_INIT(bytes, len, what)                                                                          \
    {(bytes), &(len), (what), PTHREAD_MUTEX_INITIALIZER, NULL, {NULL}, 0, NULL, NULL}
#define CS_XML_SCHEMA_INIT_STRIPPED(bytes, len, what, strip)                                                          \
    {(bytes), &(len), (what), PTHREAD_MUTEX_INITIALIZER, NULL, {NULL}, 0, (strip), NULL}

/* CASESCRIBE_OK when `doc` is valid; ESCHEMA naming the first violation and
 * its line (a quoted value in libxml2's message is withheld: it may be
 * personal data); ENOMEM when the schema or a context could not be made. */
int32_t cs_xml_schema_validate(cs_xml_schema *schema, xmlDocPtr doc);

#endif
