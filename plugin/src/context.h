/* context.h - what an open home holds. */
#ifndef CS_CONTEXT_H
#define CS_CONTEXT_H

#include <stdint.h>

#include "casescribe.h"
#include "journal/index.h"
#include "journal/journal.h"
#include "provenance/fingerprint.h"
#include "provenance/keys.h"

struct casescribe_ctx {
    char *home;
    uint32_t flags;
    cs_keyring *keys;           /* thread-safe by itself */
    char *journal_path;
    cs_journal *journal;        /* thread-safe by itself */
    cs_index *index;            /* read and changed only under the journal lock */
    uint8_t fp_secret[CS_FP_SECRET_LEN];
};

/* 1 when `s` is a valid identifier for the form's id type ([A-Za-z0-9._:@/+-]{1,128}). */
int cs_valid_id(const char *s);

#endif
