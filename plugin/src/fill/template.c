/* template.c - reading form templates (urn:casescribe:template:1). A
 * template decides which sections a computer may ever draft, so it is read
 * as hostile input and checked against the embedded schema like a form. */
#include "fill/template.h"

#include <dirent.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "xml/safe_parse.h"
#include "xml/schema.h"

extern const unsigned char cs_template_schema[];
extern const unsigned int cs_template_schema_len;

static cs_xml_schema template_schema =
    CS_XML_SCHEMA_INIT(cs_template_schema, cs_template_schema_len, "urn:casescribe:template:1 template");

casescribe_template *cs_template_ref(casescribe_template *t)
{
    if (t != NULL)
        __atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
    return t;
}

static void free_section(cs_template_section *s)
{
    free(s->id);
    free(s->title);
    free(s->guidance);
    free(s->cues);
    for (size_t i = 0; i < s->n_prompts; i++)
        free(s->prompts[i]);
    free(s->prompts);
}

void cs_template_unref(casescribe_template *t)
{
    if (t == NULL || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    for (size_t i = 0; i < t->n_sections; i++)
        free_section(&t->sections[i]);
    free(t->sections);
    free(t->id);
    free(t->title);
    free(t->description);
    free(t);
}

const cs_template_section *cs_template_find_section(const casescribe_template *t, const char *id)
{
    for (size_t i = 0; t != NULL && id != NULL && i < t->n_sections; i++)
        if (strcmp(t->sections[i].id, id) == 0)
            return &t->sections[i];
    return NULL;
}

/* ---- decoding --------------------------------------------------------------- */

static size_t count(xmlNodePtr parent, const char *name)
{
    size_t n = 0;
    for (xmlNodePtr c = parent->children; c != NULL; c = c->next)
        n += cs_xml_is_element(c, name);
    return n;
}

/* Element text with its runs of whitespace folded to one space: templates
 * are written by people, indented, over several lines. */
static char *folded_text(xmlNodePtr n)
{
    xmlChar *v = xmlNodeGetContent(n);
    char *out = cs_strdup(v != NULL ? (const char *)v : "");
    xmlFree(v);
    if (out == NULL)
        return NULL;
    char *w = out;
    int space = 1;
    for (const char *r = out; *r != '\0'; r++) {
        int ws = *r == ' ' || *r == '\t' || *r == '\n' || *r == '\r';
        if (ws && !space)
            *w++ = ' ';
        else if (!ws)
            *w++ = *r;
        space = ws;
    }
    if (w > out && w[-1] == ' ')
        w--;
    *w = '\0';
    return out;
}

static char *attr(xmlNodePtr n, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    char *copy = v != NULL ? cs_strdup((const char *)v) : NULL;
    xmlFree(v);
    return copy;
}

static int decode_section(cs_template_section *s, xmlNodePtr n)
{
    char *ai = attr(n, "ai");
    s->never = ai == NULL || strcmp(ai, "draft") != 0; /* anything but an explicit "draft" is never */
    free(ai);
    s->id = attr(n, "id");
    size_t np = count(n, "prompt");
    if (np > 0 && (s->prompts = calloc(np, sizeof(*s->prompts))) == NULL)
        return -1;
    for (xmlNodePtr c = n->children; c != NULL; c = c->next) {
        if (cs_xml_is_element(c, "title"))
            s->title = folded_text(c);
        else if (cs_xml_is_element(c, "guidance"))
            s->guidance = folded_text(c);
        else if (cs_xml_is_element(c, "cues"))
            s->cues = folded_text(c);
        else if (cs_xml_is_element(c, "prompt") && (s->prompts[s->n_prompts++] = folded_text(c)) == NULL)
            return -1;
    }
    if (s->cues == NULL)
        s->cues = cs_strdup("");
    return s->id == NULL || s->title == NULL || s->guidance == NULL || s->cues == NULL ? -1 : 0;
}

static int decode_template(casescribe_template *t, xmlNodePtr root)
{
    char *version = attr(root, "version");
    unsigned long v = version != NULL ? strtoul(version, NULL, 10) : 0;
    t->version = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    free(version);
    if ((t->id = attr(root, "id")) == NULL)
        return -1;
    size_t ns = count(root, "section");
    if ((t->sections = calloc(ns ? ns : 1, sizeof(*t->sections))) == NULL)
        return -1;
    for (xmlNodePtr c = root->children; c != NULL; c = c->next) {
        if (cs_xml_is_element(c, "title") && (t->title = folded_text(c)) == NULL)
            return -1;
        if (cs_xml_is_element(c, "description") && (t->description = folded_text(c)) == NULL)
            return -1;
        if (cs_xml_is_element(c, "section") && decode_section(&t->sections[t->n_sections++], c) != 0)
            return -1;
    }
    if (t->description == NULL && (t->description = cs_strdup("")) == NULL)
        return -1;
    return t->title == NULL ? -1 : 0;
}

int32_t casescribe_template_open(casescribe_template **template_out, const uint8_t *xml, size_t len)
{
    if (template_out != NULL)
        *template_out = NULL;
    if (template_out == NULL || xml == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_template_open: template_out and xml are required");
    cs_clear_error();
    xmlDocPtr doc = NULL;
    int32_t rc = cs_xml_parse(&doc, xml, len, CS_MAX_TEMPLATE_BYTES);
    if (rc == CASESCRIBE_OK)
        rc = cs_xml_schema_validate(&template_schema, doc);
    casescribe_template *t = rc == CASESCRIBE_OK ? calloc(1, sizeof(*t)) : NULL;
    if (rc == CASESCRIBE_OK && t == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory reading a template");
    if (t != NULL) {
        t->refs = 1;
        if (decode_template(t, xmlDocGetRootElement(doc)) != 0)
            rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory reading a template");
    }
    xmlFreeDoc(doc);
    if (rc != CASESCRIBE_OK) {
        cs_template_unref(t);
        return rc;
    }
    *template_out = t;
    return CASESCRIBE_OK;
}

int32_t cs_template_read_file(casescribe_template **out, const char *path)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    int32_t rc = cs_read_file(&bytes, &len, path, CS_MAX_TEMPLATE_BYTES);
    if (rc == CASESCRIBE_OK)
        rc = casescribe_template_open(out, bytes, len);
    free(bytes);
    return rc;
}

/* ---- finding templates ----------------------------------------------------- */

static int valid_template_id(const char *id)
{
    size_t n = id != NULL ? strlen(id) : 0;
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') || (i > 0 && id[i] == '-')))
            return 0;
    return 1;
}

const char *cs_templates_dir(void)
{
    const char *dir = getenv("CASESCRIBE_TEMPLATE_DIR");
    return dir != NULL && dir[0] != '\0' ? dir : CS_TEMPLATEDIR;
}

int32_t cs_template_lookup(casescribe_template **out, const char *home, const char *id)
{
    *out = NULL;
    if (!valid_template_id(id))
        return cs_fail(CASESCRIBE_ENOTFOUND, "no template '%.64s': template ids are lowercase letters, digits and "
                                             "hyphens",
                       id != NULL ? id : "(null)");
    const char *dirs[2] = {home, cs_templates_dir()};
    for (int i = 0; i < 2; i++) {
        if (dirs[i] == NULL)
            continue;
        char path[4200];
        snprintf(path, sizeof(path), i == 0 ? "%s/templates/%s.xml" : "%s/%s.xml", dirs[i], id);
        int32_t rc = cs_template_read_file(out, path);
        if (rc == CASESCRIBE_OK && strcmp((*out)->id, id) != 0) {
            cs_template_unref(*out);
            *out = NULL;
            return cs_fail(CASESCRIBE_ESCHEMA, "the template file %s says its id is not '%s'", path, id);
        }
        if (rc != CASESCRIBE_ENOTFOUND)
            return rc;
    }
    return cs_fail(CASESCRIBE_ENOTFOUND, "no template '%s' in the home's templates/ or in %s", id,
                   cs_templates_dir());
}
