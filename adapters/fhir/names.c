/* SPDX-License-Identifier: Apache-2.0 */
/* names.c - the home's external names file (urn:casescribe:names:1), as
 * the library hands it to decode on a save: which identifier systems name
 * a record (and the prefix of its id), whether a QuestionnaireResponse's
 * own id may name it, the team such records belong to, and the template
 * each questionnaire canonical is. The library has checked the file's
 * schema and the home's signature; it is still parsed here with the
 * library's hardened parser and bounded like any input. The strings are
 * borrowed from the parsed document, which the struct keeps. */
#include <stdlib.h>
#include <string.h>

#include "map.h"

#define NAMES_NS "urn:casescribe:names:1"

static int is(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->ns != NULL && strcmp((const char *)n->ns->href, NAMES_NS) == 0 &&
           strcmp((const char *)n->name, name) == 0;
}

static const char *or_empty(const char *s)
{
    return s != NULL ? s : "";
}

/* One child of <names>; 0, or -1 when a list is full or a value missing. */
static int take(fh_names *n, xmlNodePtr c)
{
    if (is(c, "record-identifier")) {
        if (n->n_systems == FH_MAX_RECORD_SYSTEMS || fm_prop(c, "system") == NULL)
            return -1;
        n->systems[n->n_systems] = fm_prop(c, "system");
        n->prefixes[n->n_systems++] = or_empty(fm_prop(c, "prefix"));
    } else if (is(c, "record-resource-id")) {
        n->resource_prefix = or_empty(fm_prop(c, "prefix"));
    } else if (is(c, "questionnaire")) {
        if (n->n_questionnaires == FH_MAX_QUESTIONNAIRES || fm_prop(c, "canonical") == NULL ||
            fm_prop(c, "template") == NULL)
            return -1;
        n->canonicals[n->n_questionnaires] = fm_prop(c, "canonical");
        n->templates[n->n_questionnaires++] = fm_prop(c, "template");
    }
    return 0;
}

int32_t fh_names_read(fh_tree *t, fh_names **out, const uint8_t *names, size_t len)
{
    *out = NULL;
    if (names == NULL || len == 0)
        return CASESCRIBE_OK;
    fh_names *n = calloc(1, sizeof(*n));
    if (n == NULL)
        return fh_fail(t, CASESCRIBE_ENOMEM, "fhir: out of memory reading the names file");
    int32_t rc = casescribe_xml_parse(&n->doc, names, len);
    xmlNodePtr root = rc == CASESCRIBE_OK ? xmlDocGetRootElement((xmlDocPtr)n->doc) : NULL;
    if (rc == CASESCRIBE_OK && (root == NULL || !is(root, "names")))
        rc = fh_fail(t, CASESCRIBE_ESCHEMA, "fhir: the home's names file is not a urn:casescribe:names:1 file");
    for (xmlNodePtr c = root != NULL ? root->children : NULL; rc == CASESCRIBE_OK && c != NULL; c = c->next)
        if (take(n, c) != 0)
            rc = fh_fail(t, CASESCRIBE_ESCHEMA, "fhir: the home's names file lists too many names, or a name "
                                                "without its value");
    if (rc == CASESCRIBE_OK)
        n->team = fm_prop(root, "team");
    if (rc != CASESCRIBE_OK) {
        if (t->status == CASESCRIBE_OK)
            t->status = rc;
        fh_names_free(n);
        return rc;
    }
    *out = n;
    return CASESCRIBE_OK;
}

void fh_names_free(fh_names *n)
{
    if (n == NULL)
        return;
    casescribe_xml_free(n->doc);
    free(n);
}

const char *fh_names_template(const fh_names *n, const char *canonical)
{
    size_t bare = canonical != NULL ? strcspn(canonical, "|") : 0;
    for (size_t i = 0; n != NULL && canonical != NULL && i < n->n_questionnaires; i++)
        if (strcmp(n->canonicals[i], canonical) == 0)
            return n->templates[i];
    /* "url|version" not listed as such: the canonical without its version. */
    for (size_t i = 0; n != NULL && canonical != NULL && canonical[bare] == '|' && i < n->n_questionnaires; i++)
        if (strlen(n->canonicals[i]) == bare && strncmp(n->canonicals[i], canonical, bare) == 0)
            return n->templates[i];
    return NULL;
}
