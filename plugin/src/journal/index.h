/* index.h - what the journal says about the home, kept in memory: the latest
 * version and record digest of each record, and the fingerprints of every AI
 * section ever saved here (to catch AI text later presented as human).
 *
 * Built by visiting journal entries: at open, and for entries other
 * processes appended (at lock time), and for each entry this process
 * appends. It is only read and changed under the journal lock. */
#ifndef CS_INDEX_H
#define CS_INDEX_H

#include <jansson.h>
#include <stdint.h>

#include "provenance/fingerprint.h"

typedef struct cs_index cs_index;

typedef struct cs_ai_print {
    char *record, *section;
    char *team; /* of the actor who saved it ("" when the entry had none) */
    uint32_t version;
    cs_fingerprint fp;
} cs_ai_print;

int32_t cs_index_new(cs_index **out);
void cs_index_free(cs_index *ix);

/* A cs_journal_visit: adds a "save" entry's facts, and the policy version
 * and bundle serial of "policy" and "policy-bundle" entries; ignores other
 * kinds. A save entry's "ai" prints are indexed; its "human" prints (an array of
 * fingerprint strings) only count towards commonness (cs_index_weight); its
 * "short" tokens (16 hex digits each, cs_short_token) are remembered.
 * Returns CASESCRIBE_ENOMEM or CASESCRIBE_EJOURNAL for a malformed entry. */
int cs_index_visit(const json_t *entry, void *ix);

/* What the journal says of a record's latest version: enough to tell a
 * retry of that very save (the host lost the stamped copy) from a stale
 * copy. Strings are "" when the entry did not hold them. */
typedef struct cs_index_head {
    uint32_t version;
    char digest[72];   /* the record digest */
    char previous[72]; /* the record digest of the version before, "" for version 1 */
    char form[72];     /* the form digest */
    char actor[129], time[32], key[64];
} cs_index_head;

/* The latest version saved of `record` (0 when none) and its record digest. */
uint32_t cs_index_latest(const cs_index *ix, const char *record, const char **digest);

/* The latest version's facts, or NULL when the record is not known. */
const cs_index_head *cs_index_head_of(const cs_index *ix, const char *record);

/* The stored AI fingerprint that `fp` (a human section's) copies most
 * closely, by cs_fingerprint_copies(), and that estimate in *similarity;
 * NULL when none does. */
const cs_ai_print *cs_index_match(const cs_index *ix, const cs_fingerprint *fp, double *similarity);

/* The latest policy version the journal holds for `team` (0 when none) and,
 * in *digest (may be NULL), that version's digest ("" when not journalled).
 * A policy file older than this, or of this version with another digest,
 * is a rollback. */
uint32_t cs_index_policy(const cs_index *ix, const char *team, const char **digest);

/* The highest bundle serial the journal holds (0 when none) and, in
 * *digest (may be NULL), that bundle's digest ("" when not journalled). */
uint64_t cs_index_bundle(const cs_index *ix, const char **digest);
/* The weight of a sketch value, as a cs_fp_weight_fn over an index (user):
 * 1 for a value held by few distinct prints on this home (AI or human), less
 * the more hold it (stock phrases). */
double cs_index_weight(uint64_t value, const void *ix);
/* The weight of a single word (mh3), as a cs_fp_weight_fn over an index:
 * its inverse document frequency over the distinct prints counted (N), in
 * 0..1 whatever the size of the home: ln((N + 1) / df) / ln(N + 1). A word
 * in one print of many weighs nearly 1, one in every print nearly 0. */
double cs_index_word_weight(uint64_t value, const void *ix);

/* The stored AI print that a human text's fp grades highest against by
 * cs_fingerprint_grade (weighted by cs_index_weight and, for words,
 * cs_index_word_weight), the grade and score;
 * of equally good prints, one saved by `team` (may be NULL) is preferred.
 * hit->print is NULL and grade CS_FP_UNRELATED when none matches. Returns 0,
 * or -1 when out of memory (then the caller must fail closed). */
typedef struct cs_index_hit {
    const cs_ai_print *print;
    int grade;
    double score;
} cs_index_hit;
int cs_index_grade(const cs_index *ix, const cs_fingerprint *fp, const char *team, cs_index_hit *hit);

/* 1 when a short AI text with this token (cs_short_token) was saved here. */
int cs_index_short_seen(const cs_index *ix, uint64_t token);

#endif
