/* SPDX-License-Identifier: Apache-2.0 */
/* schema.c - validation against the library's embedded XSDs. */
#include "xml/schema.h"

#include <libxml/parser.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "xml/safe_parse.h"

static void ignore_error(void *user, xmlErrorPtr err)
{
    (void)user;
    (void)err;
}

/* A parser context for the schema's XSD: its bytes, or (with a strip
 * function) the document they parse to, stripped. NULL when out of memory. */
static xmlSchemaParserCtxtPtr parser_of(cs_xml_schema *s)
{
    if (s->strip == NULL)
        return xmlSchemaNewMemParserCtxt((const char *)s->xsd, (int)*s->xsd_len);
    if (s->stripped == NULL) {
        s->stripped = xmlReadMemory((const char *)s->xsd, (int)*s->xsd_len, NULL, NULL, XML_PARSE_NONET);
        if (s->stripped != NULL)
            s->strip(s->stripped);
    }
    return s->stripped != NULL ? xmlSchemaNewDocParserCtxt(s->stripped) : NULL;
}

/* The compiled schema and, in *vctxt, an idle validation context (NULL
 * when none is idle). */
static xmlSchemaPtr compiled_schema(cs_xml_schema *s, xmlSchemaValidCtxtPtr *vctxt)
{
    *vctxt = NULL;
    if (pthread_mutex_lock(&s->lock) != 0)
        return NULL;
    if (s->n_idle > 0)
        *vctxt = s->idle[--s->n_idle];
    if (s->compiled == NULL) {
        xmlSchemaParserCtxtPtr pctxt = parser_of(s);
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

/* The root element must be in the schema's namespace (the first word of
 * `what`); libxml2 alone would only say "No matching global declaration
 * available for the validation root". */
static int32_t check_namespace(const cs_xml_schema *schema, xmlDocPtr doc)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    size_t n = strcspn(schema->what, " ");
    const char *href = root != NULL && root->ns != NULL ? (const char *)root->ns->href : NULL;
    if (root == NULL || (href != NULL && strlen(href) == n && strncmp(href, schema->what, n) == 0))
        return CASESCRIBE_OK;
    return cs_fail(CASESCRIBE_ESCHEMA, "not a valid %s: its root element <%.64s> is %s%.200s%s; it needs "
                                       "xmlns=\"%.*s\"",
                   schema->what, (const char *)root->name, href != NULL ? "in namespace '" : "in no namespace",
                   href != NULL ? href : "", href != NULL ? "'" : "", (int)n, schema->what);
}

/* A validation context for the next validation (libxml2 resets its state
 * at the start of each); freed when enough are idle. */
static void put_idle(cs_xml_schema *s, xmlSchemaValidCtxtPtr vctxt)
{
    if (pthread_mutex_lock(&s->lock) != 0) {
        xmlSchemaFreeValidCtxt(vctxt);
        return;
    }
    if (s->n_idle < CS_XML_SCHEMA_IDLE) {
        s->idle[s->n_idle++] = vctxt;
        vctxt = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    xmlSchemaFreeValidCtxt(vctxt);
}

int32_t cs_xml_schema_validate(cs_xml_schema *schema, xmlDocPtr doc)
{
    if (check_namespace(schema, doc) != CASESCRIBE_OK)
        return CASESCRIBE_ESCHEMA;
    xmlError host_error;
    cs_xml_host_error_save(&host_error);
    xmlSchemaValidCtxtPtr vctxt = NULL;
    xmlSchemaPtr compiled = compiled_schema(schema, &vctxt);
    if (compiled != NULL && vctxt == NULL)
        vctxt = xmlSchemaNewValidCtxt(compiled);
    struct first_error fe = {{0}, 0};
    int rc = -1;
    if (vctxt != NULL) {
        xmlSchemaSetValidStructuredErrors(vctxt, keep_first_error, &fe);
        rc = xmlSchemaValidateDoc(vctxt, doc);
        xmlSchemaSetValidStructuredErrors(vctxt, ignore_error, NULL); /* fe ends with this call */
        put_idle(schema, vctxt);
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
