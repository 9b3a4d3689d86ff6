/* SPDX-License-Identifier: Apache-2.0 */
/* template.h - a form template: its sections, what each asks for, and
 * whether a computer may ever draft it (ai="draft") or not (ai="never").
 * Immutable once read; shared by reference between the host's handles, the
 * context's cache and fill jobs. */
#ifndef CS_FILL_TEMPLATE_H
#define CS_FILL_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>
#include <openssl/evp.h>

#include "casescribe.h"
#include "provenance/keys.h"
#include "xml/schema.h"

typedef struct cs_template_section {
    char *id, *title, *guidance, *cues; /* cues: "" when the template gives none */
    char **prompts;
    size_t n_prompts;
    int never; /* 1: professional judgement, never drafted by AI */
} cs_template_section;

struct casescribe_template {
    int refs;
    char *id, *title, *description;
    uint32_t version;
    cs_template_section *sections;
    size_t n_sections;
};

#define CS_MAX_TEMPLATE_BYTES (256u << 10)

casescribe_template *cs_template_ref(casescribe_template *t);
void cs_template_unref(casescribe_template *t);
const cs_template_section *cs_template_find_section(const casescribe_template *t, const char *id);

/* Reads the template at `path` (a file of at most CS_MAX_TEMPLATE_BYTES).
 * ENOTFOUND (no message) when it is missing. */
int32_t cs_template_read_file(casescribe_template **out, const char *path);

/* The templates that ship with the library, embedded at build time. */
typedef struct cs_shipped_template {
    const char *id;
    const unsigned char *bytes;
    const unsigned int *len;
} cs_shipped_template;
extern const cs_shipped_template cs_shipped_templates[];
extern const size_t cs_n_shipped_templates;
/* The shipped template `id`, or NULL. */
const cs_shipped_template *cs_template_shipped(const char *id);

/* Checks a template file's <signature> with a key of `keys` (Ed25519 over
 * the C14N form, with comments, of the document without <signature>, as a
 * policy file), and that, if it has a shipped template's id, it keeps every
 * `never` section of the shipped one. EVERIFY (unsigned, changed, a key
 * the home does not know), EPOLICY (a `never` section dropped), the
 * template's EPARSE/ESCHEMA, ENOMEM. `what` names the file in messages. */
/* Adds a <signature> (Ed25519 by `key`, over the exclusive C14N form with
 * comments of `doc` as it is) as the last child of its root, in the root's
 * namespace: the signature templates and the home's names file carry. */
int32_t cs_xml_add_signature(xmlDocPtr doc, EVP_PKEY *key, const char *key_id);
/* The <signature> child of the root, or NULL. */
xmlNodePtr cs_xml_signature_of(xmlDocPtr doc);
/* Signs `doc` as this home (dropping a signature it carried), checks it
 * against `schema` and writes it into *out (malloc'd; `what` names it in
 * messages). */
int32_t cs_xml_sign_file(uint8_t **out, size_t *out_len, xmlDocPtr doc, EVP_PKEY *key, const char *key_id,
                         cs_xml_schema *schema, const char *what);

int32_t cs_template_read_signed(casescribe_template **out, const uint8_t *xml, size_t len, cs_keyring *keys,
                                const char *what);
/* Signs a template (which must not carry a signature) with `key` (id
 * `key_id`), after the same `never` check; the signed file into *out. */
int32_t cs_template_sign(uint8_t **out, size_t *out_len, const uint8_t *xml, size_t len, EVP_PKEY *key,
                         const char *key_id);

/* Where the installed templates are: $CASESCRIBE_TEMPLATE_DIR when set (an
 * installation moved elsewhere), else the folder configured at build time. */
const char *cs_templates_dir(void);

/* The template `id`, in order: the home's templates/ (a council's own,
 * signed by the home's key), the installed folder (a file there is the
 * shipped template byte for byte, or signed by the home's key like a home
 * template), the shipped templates embedded in the library. ENOTFOUND when
 * none has the id; EVERIFY or EPOLICY for a file that is refused. */
int32_t cs_template_lookup(casescribe_template **out, const char *home, cs_keyring *keys, const char *id);

#endif
