/* SPDX-License-Identifier: Apache-2.0 */
/* policy.c - reading, checking, changing and signing a team's policy file. */
#include "policy/policy.h"

#include <errno.h>
#include <libxml/c14n.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "internal.h"
#include "xml/safe_parse.h"
#include "xml/schema.h"

extern const unsigned char cs_policy_schema[];
extern const unsigned int cs_policy_schema_len;

/* The comment every file starts with. It is signed like the rest, so an
 * admin who reads the file learns how to change it, and an edit shows. */
static const char header_comment[] =
    " CaseScribe team policy. Signed: change it with `casescribe team`, not by hand. ";

static const struct {
    const char *name;
    uint32_t bit;
} features[] = {
    {"transcription", CS_FEATURE_TRANSCRIPTION},
    {"ai-draft", CS_FEATURE_AI_DRAFT},
    {"external-ai", CS_FEATURE_EXTERNAL_AI},
    {"observation-tags", CS_FEATURE_OBSERVATION_TAGS},
};
#define N_FEATURES (sizeof(features) / sizeof(features[0]))

uint32_t cs_policy_feature_bit(const char *name)
{
    for (size_t i = 0; name != NULL && i < N_FEATURES; i++)
        if (strcmp(features[i].name, name) == 0)
            return features[i].bit;
    return 0;
}

const char *cs_policy_feature_name(uint32_t bit)
{
    for (size_t i = 0; i < N_FEATURES; i++)
        if (features[i].bit == bit)
            return features[i].name;
    return NULL;
}

/* ---- the model ---------------------------------------------------------- */

cs_policy *cs_policy_ref(cs_policy *p)
{
    if (p != NULL)
        __atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
    return p;
}

void cs_policy_free(cs_policy *p)
{
    if (p == NULL || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    free(p->team);
    for (size_t i = 0; i < p->n_endpoints; i++)
        free(p->endpoints[i]);
    free(p->endpoints);
    for (size_t i = 0; i < p->n_untemplated; i++)
        free(p->untemplated[i]);
    free(p->untemplated);
    free(p->changed_by);
    free(p->changed_at);
    free(p->key_id);
    free(p->problem);
    free(p);
}

int cs_policy_valid_team(const char *team)
{
    return cs_valid_id(team); /* the one rule for a team, on a form, an actor or a policy */
}

/* The file name of a team's policy, without ".xml": the id with each '/'
 * written %2F and a leading '.' written %2E ('%' is no id character, so two
 * teams never share a file, and no name leaves the folder or hides in it),
 * and team "bundle" as %62undle: policy/bundle.xml is the council's bundle. */
static void file_stem(char out[CS_POLICY_STEM_MAX], const char *team)
{
    size_t w = 0;
    for (size_t i = 0; team[i] != '\0' && w + 4 <= CS_POLICY_STEM_MAX; i++) {
        if (team[i] == '/' || (i == 0 && team[i] == '.') || (i == 0 && strcmp(team, "bundle") == 0))
            w += (size_t)snprintf(out + w, 4, "%%%02X", (unsigned)(unsigned char)team[i]);
        else
            out[w++] = team[i];
    }
    out[w] = '\0';
}

int cs_policy_team_of_file(char team[129], const char *stem)
{
    size_t w = 0;
    unsigned byte = 0;
    for (const char *c = stem; *c != '\0'; w++) {
        if (w == 128)
            return 0;
        if (*c == '%' && sscanf(c, "%%%2X", &byte) == 1 && strlen(c) >= 3) {
            team[w] = (char)byte;
            c += 3;
        } else {
            team[w] = *c++;
        }
    }
    team[w] = '\0';
    char again[CS_POLICY_STEM_MAX];
    if (!cs_policy_valid_team(team))
        return 0;
    file_stem(again, team);
    return strcmp(again, stem) == 0; /* only the one name the library writes for that team */
}

int32_t cs_policy_defaults(cs_policy **out, const char *team)
{
    *out = NULL;
    if (team == NULL || team[0] == '\0' || strlen(team) > 128)
        return cs_fail(CASESCRIBE_EINVAL, "a team name is 1-128 characters");
    cs_policy *p = calloc(1, sizeof(*p));
    if (p == NULL || (p->team = cs_strdup(team)) == NULL) {
        cs_policy_free(p);
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    }
    p->refs = 1;
    *out = p; /* calloc gave the safe defaults: version 0, every feature off, 0 days, embedded */
    return CASESCRIBE_OK;
}

int32_t cs_policy_path(char *out, size_t n, const char *home, const char *team)
{
    if (!cs_policy_valid_team(team))
        return cs_fail(CASESCRIBE_EINVAL, "'%.128s' is not a valid team name (1-128 characters of A-Z a-z 0-9 . _ : "
                                          "@ / + -)", team != NULL ? team : "");
    char stem[CS_POLICY_STEM_MAX];
    file_stem(stem, team);
    int w = snprintf(out, n, "%s/policy/%s.xml", home, stem);
    if (w < 0 || (size_t)w >= n)
        return cs_fail(CASESCRIBE_EINVAL, "the home path is too long");
    return CASESCRIBE_OK;
}

/* ---- the schema --------------------------------------------------------- */

static cs_xml_schema policy_schema = CS_XML_SCHEMA_INIT(cs_policy_schema, cs_policy_schema_len,
                                                         "urn:casescribe:policy:1 file");

int32_t cs_policy_xml_validate(xmlDocPtr doc)
{
    return cs_xml_schema_validate(&policy_schema, doc);
}

int cs_policy_xml_is(xmlNodePtr root, const char *name)
{
    return root != NULL && root->ns != NULL && strcmp((const char *)root->ns->href, CS_POLICY_NS) == 0 &&
           strcmp((const char *)root->name, name) == 0;
}

/* ---- signatures --------------------------------------------------------- */

/* The signed bytes: C14N with comments of the document without <signature>. */
static int32_t signed_bytes(uint8_t **out, size_t *len, xmlDocPtr doc)
{
    xmlChar *mem = NULL;
    int size = xmlC14NDocDumpMemory(doc, NULL, XML_C14N_EXCLUSIVE_1_0, NULL, 1, &mem);
    if (size < 0 || mem == NULL) {
        xmlFree(mem);
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory canonicalising a policy");
    }
    *out = malloc((size_t)size + 1);
    if (*out != NULL)
        memcpy(*out, mem, (size_t)size);
    xmlFree(mem);
    *len = (size_t)size;
    return *out != NULL ? CASESCRIBE_OK : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
}

/* ---- reading ------------------------------------------------------------ */

static char *attr(xmlNodePtr n, const char *name)
{
    return cs_policy_xml_attr(n, name);
}

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent->children; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return c;
    return NULL;
}

char *cs_policy_xml_attr(xmlNodePtr n, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    char *s = v != NULL ? cs_strdup((const char *)v) : NULL;
    xmlFree(v);
    return s;
}

static char *content(xmlNodePtr n)
{
    xmlChar *v = xmlNodeGetContent(n);
    char *s = cs_strdup(v != NULL ? (const char *)v : "");
    xmlFree(v);
    return s;
}

/* The text of every <name> child of a validated `node`, into a new array
 * (*out, *n). Returns 0 or -1 (ENOMEM). */
static int read_list(xmlNodePtr node, const char *name, char ***out, size_t *n)
{
    size_t count = 0;
    for (xmlNodePtr c = node->children; c != NULL; c = c->next)
        count += c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0;
    if (count > 0 && (*out = calloc(count, sizeof(char *))) == NULL)
        return -1;
    for (xmlNodePtr c = node->children; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0 &&
            ((*out)[(*n)++] = content(c)) == NULL)
            return -1;
    return 0;
}

int cs_policy_xml_settings(cs_policy *p, xmlNodePtr node)
{
    xmlNodePtr f = child(node, "features");
    for (size_t i = 0; f != NULL && i < N_FEATURES; i++) {
        char *v = attr(f, features[i].name);
        if (v != NULL && strcmp(v, "on") == 0)
            p->features |= features[i].bit;
        free(v);
    }
    char *days = content(child(node, "audio-retention-days"));
    char *engine = content(child(node, "engine"));
    if (days != NULL)
        p->retention_days = (uint32_t)strtoul(days, NULL, 10);
    p->remote_engine = engine != NULL && strstr(engine, "remote") != NULL;
    free(days);
    free(engine);
    if (days == NULL || engine == NULL)
        return -1;
    if (read_list(node, "endpoint", &p->endpoints, &p->n_endpoints) != 0)
        return -1;
    return read_list(node, "allow-without-template", &p->untemplated, &p->n_untemplated);
}

/* Fills the model from a validated document. Returns 0 or -1 (ENOMEM). */
static int fill_model(cs_policy *p, xmlNodePtr root)
{
    char *version = attr(root, "version"); /* required by the schema: NULL is out of memory */
    if (version == NULL)
        return -1;
    p->version = (uint32_t)strtoul(version, NULL, 10);
    free(version);
    p->changed_by = attr(root, "changed-by");
    p->changed_at = attr(root, "changed-at");
    if (cs_policy_xml_settings(p, root) != 0)
        return -1;
    return p->changed_by != NULL && p->changed_at != NULL ? 0 : -1;
}

int32_t cs_policy_xml_check_signature(xmlDocPtr doc, cs_keyring *keys, const char *what, char digest[CS_DIGEST_LEN],
                                      char **key_id_out)
{
    xmlNodePtr sig = child(xmlDocGetRootElement(doc), "signature");
    char *b64 = sig != NULL ? content(sig) : NULL, *key_id = sig != NULL ? attr(sig, "key-id") : NULL;
    uint8_t *msg = NULL;
    size_t len = 0;
    EVP_PKEY *pub = NULL;
    int32_t rc = b64 != NULL && key_id != NULL ? CASESCRIBE_OK : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc == CASESCRIBE_OK) {
        xmlUnlinkNode(sig);
        xmlFreeNode(sig);
        rc = signed_bytes(&msg, &len, doc);
    }
    if (rc == CASESCRIBE_OK && cs_keyring_public(keys, key_id, &pub) != CASESCRIBE_OK)
        rc = cs_fail(CASESCRIBE_EVERIFY, "the %s is signed by key %s, which this home does not trust", what, key_id);
    if (rc == CASESCRIBE_OK && !cs_ed25519_verify(pub, b64, msg, len))
        rc = cs_fail(CASESCRIBE_EVERIFY, "the %s was changed after it was signed", what);
    if (rc == CASESCRIBE_OK)
        rc = cs_signed_digest(digest, msg, len, b64);
    if (rc == CASESCRIBE_OK && key_id_out != NULL) {
        *key_id_out = key_id;
        key_id = NULL;
    }
    EVP_PKEY_free(pub);
    free(msg);
    free(b64);
    free(key_id);
    return rc;
}

int32_t cs_policy_read(cs_policy **out, const char *team, const uint8_t *buf, size_t len, cs_keyring *keys)
{
    *out = NULL;
    xmlDocPtr doc = NULL;
    int32_t rc = cs_xml_parse(&doc, buf, len, CS_POLICY_MAX_BYTES);
    if (rc == CASESCRIBE_OK)
        rc = cs_xml_schema_validate(&policy_schema, doc);
    xmlNodePtr root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
    if (rc == CASESCRIBE_OK && !cs_policy_xml_is(root, "policy"))
        rc = cs_fail(CASESCRIBE_ESCHEMA, "not a urn:casescribe:policy:1 policy file");
    char *file_team = rc == CASESCRIBE_OK ? attr(root, "team") : NULL;
    if (rc == CASESCRIBE_OK && file_team == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc == CASESCRIBE_OK && strcmp(file_team, team) != 0)
        rc = cs_fail(CASESCRIBE_EVERIFY, "the file holds the policy of team %s, not %s", file_team, team);
    free(file_team);
    cs_policy *p = NULL;
    if (rc == CASESCRIBE_OK)
        rc = cs_policy_defaults(&p, team);
    if (rc == CASESCRIBE_OK)
        rc = cs_policy_xml_check_signature(doc, keys, "policy file", p->digest, &p->key_id);
    if (rc == CASESCRIBE_OK && fill_model(p, root) != 0)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory reading a policy");
    xmlFreeDoc(doc);
    if (rc != CASESCRIBE_OK) {
        cs_policy_free(p);
        return rc;
    }
    p->state = CS_POLICY_SIGNED;
    *out = p;
    return CASESCRIBE_OK;
}

int32_t cs_policy_load(cs_policy **out, const char *home, const char *team, cs_keyring *keys)
{
    *out = NULL;
    char path[4096];
    uint8_t *buf = NULL;
    size_t len = 0;
    int32_t rc = cs_policy_path(path, sizeof(path), home, team);
    if (rc != CASESCRIBE_OK)
        return rc;
    rc = cs_read_file(&buf, &len, path, CS_POLICY_MAX_BYTES);
    if (rc == CASESCRIBE_ENOTFOUND)
        return cs_policy_defaults(out, team);
    if (rc != CASESCRIBE_OK && rc != CASESCRIBE_ETOOBIG)
        return rc;
    if (rc == CASESCRIBE_OK) /* an oversized file is refused like any other bad one, below */
        rc = cs_policy_read(out, team, buf, len, keys);
    free(buf);
    if (rc == CASESCRIBE_OK || rc == CASESCRIBE_ENOMEM)
        return rc;
    /* Not usable: the safe defaults, and why. */
    char problem[1200];
    snprintf(problem, sizeof(problem), "%s", casescribe_last_error());
    cs_policy *p = NULL;
    rc = cs_policy_defaults(&p, team);
    if (rc != CASESCRIBE_OK)
        return rc;
    p->state = CS_POLICY_REFUSED;
    if ((p->problem = cs_strdup(problem)) == NULL) {
        cs_policy_free(p);
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    }
    *out = p;
    cs_clear_error();
    return CASESCRIBE_OK;
}

/* ---- settings ----------------------------------------------------------- */

static int32_t join_list(char **value, char *const *items, size_t n)
{
    cs_buf b = {0};
    cs_buf_printf(&b, "%s", "");
    for (size_t i = 0; i < n; i++)
        cs_buf_printf(&b, "%s%s", i ? " " : "", items[i]);
    *value = cs_buf_take(&b);
    cs_buf_free(&b);
    return *value != NULL ? CASESCRIBE_OK : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
}

int cs_policy_allows_untemplated(const cs_policy *p, const char *template_id)
{
    for (size_t i = 0; p != NULL && template_id != NULL && i < p->n_untemplated; i++)
        if (strcmp(p->untemplated[i], template_id) == 0)
            return 1;
    return 0;
}

int32_t cs_policy_get(char **value, const cs_policy *p, const char *key)
{
    *value = NULL;
    char buf[32];
    const char *v = NULL;
    uint32_t bit = cs_policy_feature_bit(key);
    if (bit != 0) {
        v = (p->features & bit) ? "on" : "off";
    } else if (key != NULL && strcmp(key, "audio-retention-days") == 0) {
        snprintf(buf, sizeof(buf), "%u", (unsigned)p->retention_days);
        v = buf;
    } else if (key != NULL && strcmp(key, "engine") == 0) {
        v = p->remote_engine ? "remote" : "embedded";
    } else if (key != NULL && strcmp(key, "endpoints") == 0) {
        return join_list(value, p->endpoints, p->n_endpoints);
    } else if (key != NULL && strcmp(key, "allow-without-template") == 0) {
        return join_list(value, p->untemplated, p->n_untemplated);
    } else {
        return cs_fail(CASESCRIBE_ENOTFOUND, "no policy setting called '%s' (features: transcription, ai-draft, "
                                             "external-ai, observation-tags; settings: audio-retention-days, "
                                             "engine, endpoints, allow-without-template)",
                       key != NULL ? key : "");
    }
    *value = cs_strdup(v);
    return *value != NULL ? CASESCRIBE_OK : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
}

/* Copies n strings into a new array (*out, *n_out counts those copied, so
 * that a failure leaves something cs_policy_free can free). 0 or -1. */
static int copy_list(char ***out, size_t *n_out, char *const *from, size_t n)
{
    if (n > 0 && (*out = calloc(n, sizeof(char *))) == NULL)
        return -1;
    for (size_t i = 0; i < n; i++, ++*n_out)
        if (((*out)[i] = cs_strdup(from[i])) == NULL)
            return -1;
    return 0;
}

static cs_policy *copy_policy(const cs_policy *cur)
{
    cs_policy *p = NULL;
    if (cs_policy_defaults(&p, cur->team) != CASESCRIBE_OK)
        return NULL;
    p->version = cur->version;
    p->features = cur->features;
    p->retention_days = cur->retention_days;
    p->remote_engine = cur->remote_engine;
    if (copy_list(&p->endpoints, &p->n_endpoints, cur->endpoints, cur->n_endpoints) != 0 ||
        copy_list(&p->untemplated, &p->n_untemplated, cur->untemplated, cur->n_untemplated) != 0) {
        cs_policy_free(p);
        return NULL;
    }
    return p;
}

/* An allowed endpoint: an https base URL, without user info, query or
 * fragment, at most 512 bytes; or plain http to this machine only (an
 * engine's server on the same host: nothing crosses a network). The
 * schema checks the same shape. */
static int valid_endpoint(const char *url, size_t len)
{
    static const char *const loopback[] = {"http://127.0.0.1", "http://[::1]", "http://localhost"};
    size_t host = 0;
    if (len >= 9 && strncmp(url, "https://", 8) == 0)
        host = 8;
    for (size_t i = 0; host == 0 && i < sizeof(loopback) / sizeof(*loopback); i++) {
        size_t n = strlen(loopback[i]);
        if (len >= n && strncmp(url, loopback[i], n) == 0 && (len == n || url[n] == ':' || url[n] == '/'))
            host = 7;
    }
    if (host == 0 || len > 512)
        return 0;
    for (size_t i = host; i < len; i++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-:/_~%!$&'()*+,;=[]", url[i]) ||
            (host == 8 && (url[i] == '[' || url[i] == ']'))) /* brackets: only the [::1] of loopback http */
            return 0;
    return url[host] != '/' && url[host] != ':';
}

static int32_t set_endpoints(cs_policy *p, const char *value)
{
    for (size_t i = 0; i < p->n_endpoints; i++)
        free(p->endpoints[i]);
    free(p->endpoints);
    p->endpoints = NULL;
    p->n_endpoints = 0;
    if ((p->endpoints = calloc(CS_POLICY_MAX_ENDPOINTS, sizeof(char *))) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    for (const char *s = value; *s != '\0';) {
        size_t skip = strspn(s, " \t\n"), len = strcspn(s + skip, " \t\n");
        s += skip;
        if (len == 0)
            break;
        if (!valid_endpoint(s, len))
            return cs_fail(CASESCRIBE_EINVAL, "'%.*s' is not an https base URL (https://host[:port][/path]; plain "
                                              "http only to 127.0.0.1, [::1] or localhost)",
                           (int)(len > 512 ? 512 : len), s);
        if (p->n_endpoints == CS_POLICY_MAX_ENDPOINTS)
            return cs_fail(CASESCRIBE_EINVAL, "at most %d external endpoints", CS_POLICY_MAX_ENDPOINTS);
        if ((p->endpoints[p->n_endpoints] = malloc(len + 1)) == NULL)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
        memcpy(p->endpoints[p->n_endpoints], s, len);
        p->endpoints[p->n_endpoints++][len] = '\0';
        s += len;
    }
    return CASESCRIBE_OK;
}

/* The form template ids a team may save AI text under without a template
 * the home knows: space-separated form ids, "" for none. */
static int32_t set_untemplated(cs_policy *p, const char *value)
{
    for (size_t i = 0; i < p->n_untemplated; i++)
        free(p->untemplated[i]);
    free(p->untemplated);
    p->n_untemplated = 0;
    if ((p->untemplated = calloc(CS_POLICY_MAX_UNTEMPLATED, sizeof(char *))) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    for (const char *s = value; *s != '\0';) {
        size_t skip = strspn(s, " \t\n"), len = strcspn(s + skip, " \t\n");
        s += skip;
        if (len == 0)
            break;
        char id[129];
        snprintf(id, sizeof(id), "%.*s", (int)(len > 128 ? 128 : len), s);
        if (len > 128 ||
            strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@/+-") != len)
            return cs_fail(CASESCRIBE_EINVAL, "'%.128s' is not a template id (1-128 characters of A-Z a-z 0-9 . _ : "
                                              "@ / + -)",
                           id);
        if (p->n_untemplated == CS_POLICY_MAX_UNTEMPLATED)
            return cs_fail(CASESCRIBE_EINVAL, "at most %d template ids", CS_POLICY_MAX_UNTEMPLATED);
        if ((p->untemplated[p->n_untemplated] = cs_strdup(id)) == NULL)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
        p->n_untemplated++;
        s += len;
    }
    return CASESCRIBE_OK;
}

static int32_t apply(cs_policy *p, const char *key, const char *value)
{
    uint32_t bit = cs_policy_feature_bit(key);
    if (bit != 0) {
        if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0)
            return cs_fail(CASESCRIBE_EINVAL, "a feature is 'on' or 'off', not '%s'", value);
        p->features = strcmp(value, "on") == 0 ? p->features | bit : p->features & ~bit;
        return CASESCRIBE_OK;
    }
    if (strcmp(key, "audio-retention-days") == 0) {
        char *end = NULL;
        errno = 0;
        unsigned long days = strtoul(value, &end, 10);
        if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno != 0 || days > CS_POLICY_MAX_RETENTION_DAYS)
            return cs_fail(CASESCRIBE_EINVAL, "audio-retention-days is a whole number from 0 to %d",
                           CS_POLICY_MAX_RETENTION_DAYS);
        p->retention_days = (uint32_t)days;
        return CASESCRIBE_OK;
    }
    if (strcmp(key, "engine") == 0) {
        if (strcmp(value, "embedded") != 0 && strcmp(value, "remote") != 0)
            return cs_fail(CASESCRIBE_EINVAL, "engine is 'embedded' or 'remote'");
        p->remote_engine = strcmp(value, "remote") == 0;
        return CASESCRIBE_OK;
    }
    if (strcmp(key, "endpoints") == 0)
        return set_endpoints(p, value);
    if (strcmp(key, "allow-without-template") == 0)
        return set_untemplated(p, value);
    char *ignored = NULL;
    return cs_policy_get(&ignored, p, key); /* ENOTFOUND, with the list of keys */
}

int32_t cs_policy_change(cs_policy **out, const cs_policy *cur, const char *key, const char *value,
                         const char *actor, const char *at)
{
    *out = NULL;
    if (key == NULL || value == NULL || actor == NULL || at == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "a policy change needs a key, a value, an actor and a time");
    if (cur->version == UINT32_MAX)
        return cs_fail(CASESCRIBE_EINVAL, "the policy of team %s has reached the last version number", cur->team);
    cs_policy *p = copy_policy(cur);
    if (p == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    int32_t rc = apply(p, key, value);
    if (rc == CASESCRIBE_OK && ((p->changed_by = cs_strdup(actor)) == NULL || (p->changed_at = cs_strdup(at)) == NULL))
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc != CASESCRIBE_OK) {
        cs_policy_free(p);
        return rc;
    }
    p->version = cur->version + 1;
    *out = p;
    return CASESCRIBE_OK;
}

/* ---- writing ------------------------------------------------------------ */

/* Builds the document without its signature; NULL on allocation failure. */
static xmlDocPtr render(const cs_policy *p)
{
    char version[16], days[16];
    snprintf(version, sizeof(version), "%u", (unsigned)p->version);
    snprintf(days, sizeof(days), "%u", (unsigned)p->retention_days);
    xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlNodePtr comment = doc != NULL ? xmlNewDocComment(doc, (const xmlChar *)header_comment) : NULL;
    xmlNodePtr root = doc != NULL ? xmlNewDocNode(doc, NULL, (const xmlChar *)"policy", NULL) : NULL;
    xmlNsPtr ns = root != NULL ? xmlNewNs(root, (const xmlChar *)CS_POLICY_NS, NULL) : NULL;
    int ok = comment != NULL && root != NULL && ns != NULL && xmlAddChild((xmlNodePtr)doc, comment) != NULL;
    if (ok) {
        xmlAddChild((xmlNodePtr)doc, root);
        xmlSetNs(root, ns);
        ok = xmlNewProp(root, (const xmlChar *)"team", (const xmlChar *)p->team) &&
             xmlNewProp(root, (const xmlChar *)"version", (const xmlChar *)version) &&
             xmlNewProp(root, (const xmlChar *)"changed-by", (const xmlChar *)p->changed_by) &&
             xmlNewProp(root, (const xmlChar *)"changed-at", (const xmlChar *)p->changed_at);
    }
    xmlNodePtr f = ok ? xmlNewChild(root, ns, (const xmlChar *)"features", NULL) : NULL;
    ok = f != NULL;
    for (size_t i = 0; ok && i < N_FEATURES; i++)
        ok = xmlNewProp(f, (const xmlChar *)features[i].name,
                        (const xmlChar *)((p->features & features[i].bit) ? "on" : "off")) != NULL;
    ok = ok && xmlNewTextChild(root, ns, (const xmlChar *)"audio-retention-days", (const xmlChar *)days) != NULL &&
         xmlNewTextChild(root, ns, (const xmlChar *)"engine",
                         (const xmlChar *)(p->remote_engine ? "remote" : "embedded")) != NULL;
    for (size_t i = 0; ok && i < p->n_endpoints; i++)
        ok = xmlNewTextChild(root, ns, (const xmlChar *)"endpoint", (const xmlChar *)p->endpoints[i]) != NULL;
    for (size_t i = 0; ok && i < p->n_untemplated; i++)
        ok = xmlNewTextChild(root, ns, (const xmlChar *)"allow-without-template", (const xmlChar *)p->untemplated[i]) !=
             NULL;
    if (!ok) {
        if (comment != NULL && comment->parent == NULL)
            xmlFreeNode(comment);
        if (root != NULL && root->parent == NULL)
            xmlFreeNode(root);
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

int32_t cs_policy_xml_sign(uint8_t **out, size_t *out_len, char digest[CS_DIGEST_LEN], xmlDocPtr doc, EVP_PKEY *key,
                           const char *key_id)
{
    *out = NULL;
    *out_len = 0;
    uint8_t *msg = NULL;
    size_t len = 0;
    char b64[CS_SIGNATURE_B64_LEN];
    int32_t rc = signed_bytes(&msg, &len, doc);
    if (rc == CASESCRIBE_OK)
        rc = cs_ed25519_sign(b64, key, msg, len);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr sig = rc == CASESCRIBE_OK ? xmlNewTextChild(root, root->ns, (const xmlChar *)"signature",
                                                           (const xmlChar *)b64)
                                         : NULL;
    if (rc == CASESCRIBE_OK &&
        (sig == NULL || xmlNewProp(sig, (const xmlChar *)"algorithm", (const xmlChar *)"ed25519") == NULL ||
         xmlNewProp(sig, (const xmlChar *)"key-id", (const xmlChar *)key_id) == NULL))
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory signing a policy");
    if (rc == CASESCRIBE_OK)
        rc = cs_xml_schema_validate(&policy_schema, doc); /* never write a file that would not read back */
    if (rc == CASESCRIBE_OK)
        rc = cs_signed_digest(digest, msg, len, b64);
    xmlChar *mem = NULL;
    int size = 0;
    if (rc == CASESCRIBE_OK) {
        xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
        if (mem == NULL || size <= 0 || (*out = malloc((size_t)size)) == NULL)
            rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory writing a policy");
        else
            memcpy(*out, mem, (size_t)size), *out_len = (size_t)size;
    }
    xmlFree(mem);
    free(msg);
    return rc;
}

int32_t cs_policy_sign(uint8_t **out, size_t *out_len, cs_policy *p, EVP_PKEY *key, const char *key_id)
{
    *out = NULL;
    *out_len = 0;
    xmlDocPtr doc = render(p);
    if (doc == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory writing a policy");
    char *id = cs_strdup(key_id);
    int32_t rc = id != NULL ? cs_policy_xml_sign(out, out_len, p->digest, doc, key, key_id)
                            : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    xmlFreeDoc(doc);
    if (rc != CASESCRIBE_OK) {
        free(id);
        return rc;
    }
    free(p->key_id);
    p->key_id = id;
    p->state = CS_POLICY_SIGNED;
    return CASESCRIBE_OK;
}

int32_t cs_policy_pick_endpoint(char *out, size_t cap, const cs_policy *p, const char *asked)
{
    for (size_t i = 0; i < p->n_endpoints; i++) {
        if (asked == NULL || strcmp(asked, p->endpoints[i]) == 0) {
            snprintf(out, cap, "%s", p->endpoints[i]);
            return CASESCRIBE_OK;
        }
    }
    if (asked != NULL)
        return cs_fail(CASESCRIBE_EPOLICY, "team %s's policy does not allow the endpoint %.512s: nothing was sent",
                       p->team, asked);
    return cs_fail(CASESCRIBE_EPOLICY, "team %s's policy chooses the remote engine but allows no endpoint: nothing "
                                       "was sent",
                   p->team);
}
