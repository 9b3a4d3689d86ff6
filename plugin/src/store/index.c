/* SPDX-License-Identifier: Apache-2.0 */
/* index.c - the index rows a ledger entry implies, and the laundering
 * search over them (what the in-memory journal index did, as queries).
 *
 * Every AI print is filed under each of its sketch values (postings), so
 * that a save compares a human text only with the few AI texts sharing a
 * value; vals counts, per value, the distinct prints, AI or human, holding
 * it (df, commonness: stock phrases weigh less; it also bounds the length
 * of the value's posting list, which orders the search). Its column `ai`
 * (posting lengths, schema 1-2) is no longer kept up: df orders as well.
 * A backend that takes them (cs_store_ops.batch) gets a sketch's values
 * written and read in one statement each (the CS_Q_*_LIST forms). Keyed
 * hashes only: no text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "store/backend.h"

#define CS_STORE_COMMON 512 /* postings beyond which a value is a stock phrase */

_Static_assert(CS_FP_PK <= CS_STORE_LIST_MAX, "a sketch's lists are read in one statement");

/* ---- entries to rows --------------------------------------------------- */

static const char *field(const json_t *entry, const char *key, size_t cap)
{
    const char *v = json_string_value(json_object_get(entry, key));
    return v != NULL && strlen(v) < cap ? v : "";
}

static int32_t put_head(cs_store_txn *tx, const char *record, uint32_t version, const json_t *e, uint64_t seq,
                        int lenient)
{
    cs_store_head h;
    int found = 0;
    int32_t rc = lenient ? CASESCRIBE_OK : cs_store_head_get(tx, record, &h, &found);
    if (rc == CASESCRIBE_OK && !lenient && version != (found ? h.version + 1 : 1))
        return cs_fail(CASESCRIBE_ECONFLICT, "record %s is at version %u in the ledger: version %u cannot follow",
                       record, found ? (unsigned)h.version : 0u, (unsigned)version);
    cs_val args[9] = {CS_TEXT(record),
                      CS_INT(version),
                      CS_TEXT(field(e, "digest", 72)),
                      CS_TEXT(field(e, "previous", 72)),
                      CS_TEXT(field(e, "form", 72)),
                      CS_TEXT(field(e, "actor", 129)),
                      CS_TEXT(field(e, "time", 32)),
                      CS_TEXT(field(e, "key", 64)),
                      CS_INT(seq)};
    int64_t changed = 0;
    if (rc == CASESCRIBE_OK)
        rc = cs_store_run(tx, lenient ? CS_Q_HEAD_PUT : CS_Q_HEAD_CAS, args, 9, NULL, NULL, &changed);
    if (rc == CASESCRIBE_OK && !lenient && changed != 1)
        rc = cs_fail(CASESCRIBE_ECONFLICT, "record %s moved on while this save was made", record);
    return rc;
}

/* A hash of a whole sketch, to count each distinct print once. */
static uint64_t print_id(const cs_fingerprint *fp)
{
    uint64_t h = 1469598103934665603ull ^ fp->scheme;
    for (uint32_t k = 0; k < fp->count; k++)
        h = (h ^ fp->h[k]) * 1099511628211ull;
    for (uint32_t k = 0; k < fp->wcount; k++)
        h = (h ^ fp->w[k]) * 1099511628211ull;
    for (uint32_t k = 0; k < fp->ucount; k++)
        h = (h ^ fp->u[k]) * 1099511628211ull;
    return h;
}

/* Runs a one-row statement (CS_Q_VALUE_DF, or CS_Q_POSTING_ADD with
 * `print` as each row's second value) over n values; on a batched backend
 * its list form, one statement per CS_STORE_LIST_MAX values. */
static int32_t run_values(cs_store_txn *tx, int stmt, const uint64_t *v, uint32_t n, const int64_t *print)
{
    int32_t rc = CASESCRIBE_OK;
    for (uint32_t k = 0; rc == CASESCRIBE_OK && !cs_store_batched(tx) && k < n; k++) {
        cs_val args[2] = {CS_INT(v[k]), CS_INT(print != NULL ? *print : 0)};
        rc = cs_store_run(tx, stmt, args, print != NULL ? 2 : 1, NULL, NULL, NULL);
    }
    for (uint32_t at = 0; rc == CASESCRIBE_OK && cs_store_batched(tx) && at < n; at += CS_STORE_LIST_MAX) {
        char text[CS_STORE_LIST_TEXT];
        const char *list = cs_store_value_list(text, v + at, n - at);
        cs_val args[2] = {CS_INT(print != NULL ? *print : 0), CS_TEXT(list)};
        rc = print != NULL ? cs_store_run(tx, CS_Q_POSTING_ADD_LIST, args, 2, NULL, NULL, NULL)
                           : cs_store_run(tx, CS_Q_VALUE_DF_LIST, &args[1], 1, NULL, NULL, NULL);
    }
    return rc;
}

static int32_t count_values(cs_store_txn *tx, const uint64_t *v, uint32_t n)
{
    return run_values(tx, CS_Q_VALUE_DF, v, n, NULL);
}

/* Counts a print's values (shingles and, mh3, word pairs and words: keyed
 * apart, they never collide) towards their commonness, once per distinct
 * print, and the print towards the number of prints counted. */
static int32_t count_print(cs_store_txn *tx, const cs_fingerprint *fp)
{
    int64_t added = 0;
    cs_val arg = CS_INT(print_id(fp)), stat = CS_TEXT("counted");
    int32_t rc = cs_store_run(tx, CS_Q_COUNTED_ADD, &arg, 1, NULL, NULL, &added);
    if (rc == CASESCRIBE_OK && added == 1)
        rc = cs_store_run(tx, CS_Q_STAT_ADD, &stat, 1, NULL, NULL, NULL);
    if (rc == CASESCRIBE_OK && added == 1)
        rc = count_values(tx, fp->h, fp->count);
    if (rc == CASESCRIBE_OK && added == 1)
        rc = count_values(tx, fp->w, fp->wcount);
    if (rc == CASESCRIBE_OK && added == 1)
        rc = count_values(tx, fp->u, fp->ucount);
    cs_store_forget_weights(tx);
    return rc;
}

/* Files print `id` under n of its values. (The values' commonness, which
 * also orders the search, was counted with the print: count_print.) */
static int32_t post_values(cs_store_txn *tx, int64_t id, const uint64_t *v, uint32_t n)
{
    return run_values(tx, CS_Q_POSTING_ADD, v, n, &id);
}

/* Files a new AI print under its values; a sketch filed already (the same
 * AI section saved again) is kept once, naming the first save that made
 * it, so repeats never crowd the search. */
static int32_t add_print(cs_store_txn *tx, const char *record, const char *section, uint32_t version,
                         const char *text, const char *team)
{
    cs_fingerprint fp;
    if (cs_fingerprint_decode(&fp, text) != 0)
        return cs_fail(CASESCRIBE_EJOURNAL, "a ledger entry holds a malformed fingerprint");
    int32_t rc = count_print(tx, &fp);
    int64_t id = 0;
    cs_val same[2] = {CS_INT(print_id(&fp)), CS_TEXT(text)};
    if (rc == CASESCRIBE_OK)
        rc = cs_store_run(tx, CS_Q_PRINT_SAME, same, 2, cs_store_row_int, &id, NULL);
    if (rc != CASESCRIBE_OK || id != 0)
        return rc;
    cs_val args[6] = {CS_INT(print_id(&fp)), CS_TEXT(text),   CS_TEXT(record),
                      CS_TEXT(section),      CS_TEXT(team), CS_INT(version)};
    rc = cs_store_run(tx, CS_Q_PRINT_ADD, args, 6, cs_store_row_int, &id, NULL);
    if (rc == CASESCRIBE_OK)
        rc = post_values(tx, id, fp.h, fp.count);
    return rc == CASESCRIBE_OK ? post_values(tx, id, fp.w, fp.wcount) : rc;
}

static int32_t add_human(cs_store_txn *tx, const json_t *item)
{
    cs_fingerprint fp;
    if (cs_fingerprint_decode(&fp, json_string_value(item)) != 0)
        return cs_fail(CASESCRIBE_EJOURNAL, "a ledger entry holds a malformed fingerprint");
    return count_print(tx, &fp);
}

/* A short AI text's token: 16 hex digits. */
static int32_t add_short(cs_store_txn *tx, const json_t *item)
{
    const char *hex = json_string_value(item);
    if (hex == NULL || strlen(hex) != 16 || strspn(hex, "0123456789abcdef") != 16)
        return cs_fail(CASESCRIBE_EJOURNAL, "a ledger entry holds a malformed short-text token");
    cs_val arg = CS_INT(strtoull(hex, NULL, 16));
    return cs_store_run(tx, CS_Q_SHORT_ADD, &arg, 1, NULL, NULL, NULL);
}

static int32_t index_prints(cs_store_txn *tx, const json_t *entry, const char *record, uint32_t version)
{
    const char *team = field(entry, "team", 129);
    int32_t rc = CASESCRIBE_OK;
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(entry, "ai"), i, item)
    {
        const char *section = json_string_value(json_object_get(item, "section"));
        const char *fp = json_string_value(json_object_get(item, "fp"));
        if (rc == CASESCRIBE_OK && (section == NULL || fp == NULL))
            rc = cs_fail(CASESCRIBE_EJOURNAL, "a ledger entry holds a malformed AI fingerprint");
        if (rc == CASESCRIBE_OK)
            rc = add_print(tx, record, section, version, fp, team);
    }
    json_array_foreach(json_object_get(entry, "human"), i, item)
    {
        if (rc == CASESCRIBE_OK)
            rc = add_human(tx, item);
    }
    json_array_foreach(json_object_get(entry, "short"), i, item)
    {
        if (rc == CASESCRIBE_OK)
            rc = add_short(tx, item);
    }
    return rc;
}

/* A policy change ("policy": team, version, digest, the bundle's serial
 * when it came from one) or a bundle taken ("policy-bundle"). */
static int32_t index_policy(cs_store_txn *tx, const char *kind, const json_t *entry)
{
    if (strcmp(kind, "policy-bundle") == 0) {
        json_int_t serial = json_integer_value(json_object_get(entry, "serial"));
        return serial > 0 ? cs_store_bundle_seen(tx, (uint64_t)serial, field(entry, "digest", 72)) : CASESCRIBE_OK;
    }
    json_int_t bundle = json_integer_value(json_object_get(entry, "bundle"));
    int32_t rc = bundle > 0 ? cs_store_bundle_seen(tx, (uint64_t)bundle, NULL) : CASESCRIBE_OK;
    const char *team = json_string_value(json_object_get(entry, "team"));
    json_int_t version = json_integer_value(json_object_get(entry, "version"));
    if (rc != CASESCRIBE_OK || team == NULL || version <= 0 || version > UINT32_MAX)
        return rc;
    return cs_store_policy_seen(tx, team, (uint32_t)version, json_string_value(json_object_get(entry, "policy")));
}

/* The key a rotation replaced stops being in use at `when`. */
static int32_t retire_key(cs_store_txn *tx, const char *id, int64_t when)
{
    cs_store_key old;
    int found = 0;
    int32_t rc = cs_store_key_get(tx, id, &old, &found);
    if (rc == CASESCRIBE_OK && found && old.retired == 0) {
        old.retired = when;
        rc = cs_store_key_put(tx, &old);
    }
    if (found)
        cs_store_key_clear(&old);
    return rc;
}

/* A key entry ("key": action generate | rotate | register | trust, key id,
 * public key PEM, time; "retires" on a rotation; "in-use" false when an
 * existing home's rotated-out key is registered): its registry row. */
static int32_t index_key(cs_store_txn *tx, const json_t *entry, uint64_t seq)
{
    const char *action = field(entry, "action", 16), *id = field(entry, "key", 64);
    const char *pub = json_string_value(json_object_get(entry, "pub"));
    int64_t at = 0;
    if (action[0] == '\0' || id[0] == '\0' || pub == NULL || cs_parse_time(&at, field(entry, "time", 32)) != 0)
        return cs_fail(CASESCRIBE_EJOURNAL, "ledger entry %llu: a key entry lacks its action, key, public key or time",
                       (unsigned long long)seq);
    int retired = json_is_false(json_object_get(entry, "in-use"));
    cs_store_key k = {id, strcmp(action, "trust") == 0 ? "trusted" : "home", pub, at, retired ? at : 0, seq};
    int32_t rc = cs_store_key_put(tx, &k);
    const char *old = field(entry, "retires", 64);
    if (rc == CASESCRIBE_OK && old[0] != '\0' && strcmp(old, id) != 0)
        rc = retire_key(tx, old, at);
    return rc;
}

/* The version numbers of a two-phase entry, or 0 when malformed. */
static uint32_t version_field(const json_t *entry, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(entry, key));
    return v > 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
}

/* "confirm": the host committed this version (and so every earlier one);
 * "abandoned": versions version..last were superseded unconfirmed. */
static int32_t index_two_phase(cs_store_txn *tx, const char *kind, const json_t *entry, uint64_t seq)
{
    const char *record = field(entry, "record", 129);
    uint32_t version = version_field(entry, "version");
    if (record[0] == '\0' || version == 0)
        return cs_fail(CASESCRIBE_EJOURNAL, "a %s entry in the ledger lacks its record or version", kind);
    if (strcmp(kind, "confirm") == 0) {
        cs_val args[5] = {CS_INT(version), CS_TEXT(field(entry, "digest", 72)), CS_TEXT(record), CS_INT(version),
                          CS_INT(version)};
        return cs_store_run(tx, CS_Q_HEAD_CONFIRM, args, 5, NULL, NULL, NULL);
    }
    uint32_t last = version_field(entry, "last");
    if (last < version)
        return cs_fail(CASESCRIBE_EJOURNAL, "an abandoned entry in the ledger has a malformed range");
    cs_val args[5] = {CS_TEXT(record), CS_INT(version), CS_INT(last),
                      CS_INT(json_integer_value(json_object_get(entry, "confirmed"))), CS_INT(seq)};
    return cs_store_run(tx, CS_Q_ABANDON_PUT, args, 5, NULL, NULL, NULL);
}

int32_t cs_store_index_entry(cs_store_txn *tx, const json_t *entry, uint64_t seq, int lenient)
{
    const char *kind = json_string_value(json_object_get(entry, "kind"));
    if (kind != NULL && (strcmp(kind, "policy") == 0 || strcmp(kind, "policy-bundle") == 0))
        return index_policy(tx, kind, entry);
    if (kind != NULL && strcmp(kind, "key") == 0)
        return index_key(tx, entry, seq);
    if (kind != NULL && (strcmp(kind, "confirm") == 0 || strcmp(kind, "abandoned") == 0))
        return index_two_phase(tx, kind, entry, seq);
    if (kind == NULL || strcmp(kind, "save") != 0)
        return CASESCRIBE_OK;
    const char *record = json_string_value(json_object_get(entry, "record"));
    const char *digest = json_string_value(json_object_get(entry, "digest"));
    json_int_t version = json_integer_value(json_object_get(entry, "version"));
    if (record == NULL || strlen(record) > 128 || digest == NULL || version <= 0 || version > UINT32_MAX)
        return cs_fail(CASESCRIBE_EJOURNAL, "a save entry in the ledger lacks its record, version or digest");
    int32_t rc = put_head(tx, record, (uint32_t)version, entry, seq, lenient);
    return rc == CASESCRIBE_OK ? index_prints(tx, entry, record, (uint32_t)version) : rc;
}

/* ---- the laundering search -------------------------------------------- */

struct ids {
    int64_t *v;
    size_t n, cap;
    uint32_t lists; /* the lists a statement read: no print is on more */
};

static int32_t row_id(const cs_val *cols, int n, void *user)
{
    struct ids *ids = user;
    /* A row (print, hits) stands for `hits` filings of the print. */
    int64_t hits = n >= 2 && cols[1].type == CS_VAL_INT ? cols[1].i : 1;
    if (n < 1 || cols[0].type != CS_VAL_INT || hits < 1 || hits > (int64_t)ids->lists)
        return cs_fail(CASESCRIBE_EJOURNAL, "a posting in the ledger is malformed");
    for (; hits > 0; hits--) {
        if (ids->n == ids->cap) {
            size_t cap = ids->cap ? ids->cap * 2 : 64;
            int64_t *grown = realloc(ids->v, cap * sizeof(*grown));
            if (grown == NULL)
                return cs_fail(CASESCRIBE_ENOMEM, "out of memory searching the ledger");
            ids->v = grown;
            ids->cap = cap;
        }
        ids->v[ids->n++] = cols[0].i;
    }
    return CASESCRIBE_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* n values with their commonness, rarest first: a value's df counts every
 * distinct print holding it, so its posting list (AI prints only) is no
 * longer than that. */
static int32_t rarest_first(cs_store_txn *tx, const uint64_t *v, uint32_t n, uint64_t *vals, int64_t *lens)
{
    int64_t df[CS_FP_PK];
    int32_t rc = cs_store_value_dfs(tx, v, n, df);
    for (uint32_t k = 0; rc == CASESCRIBE_OK && k < n; k++) {
        uint32_t at = k;
        for (; at > 0 && lens[at - 1] > df[k]; at--) {
            lens[at] = lens[at - 1];
            vals[at] = vals[at - 1];
        }
        lens[at] = df[k];
        vals[at] = v[k];
    }
    return rc;
}

static void keep_frequent(struct ids *x, uint32_t need);
static uint32_t hits_needed(double evidence, uint32_t skipped);

/* Reads the posting lists worth reading among n values (the rarest
 * `must`, and the others unless they are stock phrases, longer than
 * CS_STORE_COMMON) and keeps the prints met in enough of them to reach
 * `evidence`. The least number of hits goes to the store with the lists, so
 * that a backend that counts them itself (a server) sends only the prints
 * that reach it; whatever the backend sends is counted here. */
static int32_t read_lists(cs_store_txn *tx, const uint64_t *v, uint32_t n, uint32_t must, double evidence,
                          int64_t since, struct ids *out)
{
    uint64_t vals[CS_FP_PK];
    int64_t lens[CS_FP_PK];
    uint32_t k = 0, m = 0;
    uint64_t lists[CS_FP_PK];
    int32_t rc = rarest_first(tx, v, n, vals, lens);
    for (; rc == CASESCRIBE_OK && k < n && (k < must || lens[k] <= CS_STORE_COMMON); k++)
        if (lens[k] > 0) /* a value no print holds has no list */
            lists[m++] = vals[k];
    uint32_t need = hits_needed(evidence, n - k);
    out->lists = 1;
    for (uint32_t j = 0; rc == CASESCRIBE_OK && !cs_store_batched(tx) && j < m; j++) {
        cs_val args[2] = {CS_INT(lists[j]), CS_INT(since)};
        rc = cs_store_run(tx, CS_Q_POSTINGS, args, 2, row_id, out, NULL);
    }
    out->lists = m;
    if (rc == CASESCRIBE_OK && cs_store_batched(tx) && m > 0) {
        char text[CS_STORE_LIST_TEXT]; /* IN reads each list once; one statement: m <= CS_STORE_LIST_MAX */
        cs_val args[3] = {CS_TEXT(cs_store_value_list(text, lists, m)), CS_INT(need), CS_INT(since)};
        rc = cs_store_run(tx, CS_Q_POSTINGS_LIST, args, 3, row_id, out, NULL);
    }
    if (rc == CASESCRIBE_OK)
        keep_frequent(out, need);
    return rc;
}

/* Keeps, sorted and once each, the ids met at least `need` times: a list
 * holds a print once, so an id's count is the number of values the print
 * shares with the text among the lists read. */
static void keep_frequent(struct ids *x, uint32_t need)
{
    if (x->n == 0)
        return;
    qsort(x->v, x->n, sizeof(*x->v), cmp_i64);
    size_t u = 0;
    for (size_t i = 0, run; i < x->n; i += run) {
        for (run = 1; i + run < x->n && x->v[i + run] == x->v[i]; run++)
            ;
        if (run >= need)
            x->v[u++] = x->v[i];
    }
    x->n = u;
}

/* At least `evidence` in weight needs that many shared values (weights are
 * at most 1); every unread list may hold one of them. */
static uint32_t hits_needed(double evidence, uint32_t skipped)
{
    uint32_t need = (uint32_t)(evidence + 0.999);
    return need > skipped + 1 ? need - skipped : 1;
}

static int32_t merge_ids(struct ids *into, const struct ids *from)
{
    if (into->n + from->n > into->cap) {
        int64_t *grown = realloc(into->v, (into->n + from->n) * sizeof(*grown));
        if (grown == NULL)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory searching the ledger");
        into->v = grown;
        into->cap = into->n + from->n;
    }
    if (from->n > 0)
        memcpy(into->v + into->n, from->v, from->n * sizeof(*from->v));
    into->n += from->n;
    keep_frequent(into, 1);
    return CASESCRIBE_OK;
}

/* The prints that share enough of fp's values to reach a grade, each once.
 * Shingles: every print with CS_FP_MIN_EVIDENCE in common shares at least
 * that many values (weights are at most 1), so the rarest (count - that +
 * 1) lists hold them all; the other lists are read unless they are stock
 * phrases. Word pairs (mh3): only lists of at most CS_STORE_COMMON prints;
 * a value on a longer list weighs under CS_STORE_DF_FULL / CS_STORE_COMMON
 * (its df counts every print on the list), so CS_FP_PK of them stay far
 * below the pair evidence a grade needs, and a print that reaches it is on
 * a shorter list too. A grade needs CS_FP_MIN_EVIDENCE of shingles or
 * CS_FP_PAIR_MIN_EVIDENCE of pairs in common, so a print met in fewer lists
 * than that (less the lists left unread) is never graded: the search then
 * costs what the few prints near the text cost, not the home's size. */
static int32_t candidates(cs_store_txn *tx, const cs_fingerprint *fp, int64_t since, struct ids *out)
{
    struct ids pairs = {NULL, 0, 0, 0};
    uint32_t min_shared = (uint32_t)CS_FP_MIN_EVIDENCE;
    uint32_t must = fp->count > min_shared ? fp->count - min_shared + 1 : fp->count;
    int32_t rc = read_lists(tx, fp->h, fp->count, must, CS_FP_MIN_EVIDENCE, since, out);
    if (rc == CASESCRIBE_OK && fp->wcount <= CS_FP_PK)
        rc = read_lists(tx, fp->w, fp->wcount, 0, CS_FP_PAIR_MIN_EVIDENCE, since, &pairs);
    if (rc == CASESCRIBE_OK)
        rc = merge_ids(out, &pairs);
    free(pairs.v);
    return rc;
}

static int32_t row_print(const cs_val *cols, int n, void *user)
{
    cs_store_print *p = user;
    if (n < 5 || cols[3].type != CS_VAL_INT || cols[4].type != CS_VAL_TEXT)
        return cs_fail(CASESCRIBE_EJOURNAL, "a fingerprint row in the ledger is malformed");
    {
        size_t caps[3] = {sizeof(p->record), sizeof(p->section), sizeof(p->team)};
        char *dst[3] = {p->record, p->section, p->team};
        for (int i = 0; i < 3; i++) {
            size_t len = cols[i].type == CS_VAL_TEXT && cols[i].len < caps[i] ? cols[i].len : 0;
            memcpy(dst[i], len ? cols[i].s : "", len);
            dst[i][len] = '\0';
        }
    }
    p->version = (uint32_t)cols[3].i;
    char fp[CS_FP_TEXT_MAX + 1];
    if (cols[4].len >= sizeof(fp))
        return cs_fail(CASESCRIBE_EJOURNAL, "a fingerprint row in the ledger is malformed");
    memcpy(fp, cols[4].s, cols[4].len);
    fp[cols[4].len] = '\0';
    return cs_fingerprint_decode(&p->fp, fp) == 0
               ? CASESCRIBE_OK
               : cs_fail(CASESCRIBE_EJOURNAL, "a fingerprint row in the ledger is malformed");
}

/* Whether a candidate beats the hit so far: a higher grade, a higher score,
 * or as good and saved by `team` (a record the caller may name). */
static int better(const cs_store_hit *hit, int grade, double score, const cs_store_print *p, const char *team)
{
    if (!hit->found || grade != hit->grade)
        return !hit->found ? grade != CS_FP_UNRELATED : grade > hit->grade;
    if (grade == CS_FP_UNRELATED || score != hit->score)
        return score > hit->score;
    return team != NULL && strcmp(p->team, team) == 0 && strcmp(hit->print.team, team) != 0;
}

static int32_t grade_candidates(cs_store_txn *tx, const cs_fingerprint *fp, const char *team, const struct ids *ids,
                                cs_store_hit *hit)
{
    cs_store_print *p = malloc(sizeof(*p));
    if (p == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory searching the ledger");
    int32_t rc = CASESCRIBE_OK;
    for (size_t i = 0; rc == CASESCRIBE_OK && i < ids->n; i++) {
        cs_val arg = CS_INT(ids->v[i]);
        memset(p, 0, sizeof(*p));
        rc = cs_store_run(tx, CS_Q_PRINT_GET, &arg, 1, row_print, p, NULL);
        if (rc == CASESCRIBE_OK && p->version == 0) /* every print row has a version >= 1 */
            rc = cs_fail(CASESCRIBE_EJOURNAL, "a posting in the ledger names a fingerprint it does not hold");
        double score = 0.0;
        int failed = 0;
        int grade = rc == CASESCRIBE_OK ? cs_store_grade_pair(tx, fp, &p->fp, &score, &failed) : 0;
        if (rc == CASESCRIBE_OK && failed)
            rc = cs_fail(failed, "cannot read the commonness of a fingerprint value");
        if (rc == CASESCRIBE_OK && better(hit, grade, score, p, team)) {
            hit->found = 1;
            hit->grade = grade;
            hit->score = score;
            hit->print = *p;
        }
    }
    free(p);
    return rc;
}

int32_t cs_store_grade(cs_store_txn *tx, const cs_fingerprint *fp, const char *team, cs_store_hit *hit)
{
    return cs_store_grade_since(tx, fp, team, 0, hit);
}

int32_t cs_store_grade_since(cs_store_txn *tx, const cs_fingerprint *fp, const char *team, int64_t since,
                             cs_store_hit *hit)
{
    memset(hit, 0, sizeof(*hit));
    if (fp->count == 0 || fp->count > CS_FP_K)
        return CASESCRIBE_OK;
    struct ids ids = {NULL, 0, 0, 0};
    int32_t rc = candidates(tx, fp, since, &ids);
    if (rc == CASESCRIBE_OK)
        rc = grade_candidates(tx, fp, team, &ids, hit);
    free(ids.v);
    if (rc != CASESCRIBE_OK)
        memset(hit, 0, sizeof(*hit));
    return rc;
}
