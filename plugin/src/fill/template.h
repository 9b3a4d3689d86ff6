/* template.h - a form template: its sections, what each asks for, and
 * whether a computer may ever draft it (ai="draft") or not (ai="never").
 * Immutable once read; shared by reference between the host's handles, the
 * context's cache and fill jobs. */
#ifndef CS_FILL_TEMPLATE_H
#define CS_FILL_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "casescribe.h"

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

/* Where the installed templates are: $CASESCRIBE_TEMPLATE_DIR when set (an
 * installation moved elsewhere), else the folder configured at build time. */
const char *cs_templates_dir(void);

/* The folders searched for a template id, in order: the home's templates/
 * (a council's own), then the installed ones. */
int32_t cs_template_lookup(casescribe_template **out, const char *home, const char *id);

#endif
