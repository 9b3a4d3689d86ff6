/* SPDX-License-Identifier: Apache-2.0 */
/* schema.c - validation against the library's embedded XSDs. */
#include "xml/schema.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "xml/safe_parse.h"

static void ignore_error(void *user, xmlErrorPtr err)
{
    (void)user;
    (void)err;
}

static xmlSchemaPtr compiled_schema(cs_xml_schema *s)
{
    if (pthread_mutex_lock(&s->lock) != 0)
        return NULL;
    if (s->compiled == NULL) {
        xmlSchemaParserCtxtPtr pctxt = xmlSchemaNewMemParserCtxt((const char *)s->xsd, (int)*s->xsd_len);
        if (pctxt != NULL) {
            xmlSchemaSetParserStructuredErrors(pctxt, ignore_error, NULL);
            s->compiled = xmlSchemaParse(pctxt);
            xmlSchemaFreeParserCtxt(pctxt);
        }
    }
    xmlSchemaPtr compiled = s->compiled;
    pthread_mutex_unlock(&s->lock);
    return compiled;
}

/* Keeps the first validation error. libxml2 quotes offending values in some
 * messages ("The value 'Jo Example' is not ..."): those may be personal data
 * that a host would log, so the quoted value is withheld. */
struct first_error {
    char text[512];
    int line;
};

static void keep_first_error(void *user, xmlErrorPtr err)
{
    struct first_error *fe = user;
    if (fe->text[0] != '\0' || err == NULL || err->message == NULL)
        return;
    snprintf(fe->text, sizeof(fe->text), "%s", err->message);
    fe->line = err->line;
    char *value = strstr(fe->text, "value '");
    if (value != NULL) {
        char *end = strchr(value + 7, '\'');
        if (end != NULL)
            memmove(value + 6, end + 1, strlen(end + 1) + 1);
    }
    size_t n = strlen(fe->text);
    while (n > 0 && (fe->text[n - 1] == '\n' || fe->text[n - 1] == ' '))
        fe->text[--n] = '\0';
}

int32_t cs_xml_schema_validate(cs_xml_schema *schema, xmlDocPtr doc)
{
    xmlError host_error;
    cs_xml_host_error_save(&host_error);
    xmlSchemaPtr compiled = compiled_schema(schema);
    xmlSchemaValidCtxtPtr vctxt = compiled != NULL ? xmlSchemaNewValidCtxt(compiled) : NULL;
    struct first_error fe = {{0}, 0};
    int rc = -1;
    if (vctxt != NULL) {
        xmlSchemaSetValidStructuredErrors(vctxt, keep_first_error, &fe);
        rc = xmlSchemaValidateDoc(vctxt, doc);
        xmlSchemaFreeValidCtxt(vctxt);
    }
    cs_xml_host_error_restore(&host_error);
    if (compiled == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "the embedded schema of the %s could not be compiled (out of memory?)",
                       schema->what);
    if (vctxt == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory validating a %s", schema->what);
    if (rc == 0)
        return CASESCRIBE_OK;
    if (rc < 0)
        return cs_fail(CASESCRIBE_EINTERNAL, "a %s could not be validated (libxml2 error %d)", schema->what, rc);
    return cs_fail(CASESCRIBE_ESCHEMA, "not a valid %s (line %d): %s", schema->what, fe.line,
                   fe.text[0] ? fe.text : "schema violation");
}
