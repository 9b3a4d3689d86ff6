/* index.c - the in-memory index of the journal. */
#include "journal/index.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "provenance/stamp.h"

struct record_head {
    char *id;
    cs_index_head head;
};

/* An inverted index from each keyed shingle hash to the AI prints holding
 * it, so that a save compares a human section only with the few AI texts
 * that share at least one shingle, not with every AI text ever saved. */
#define CS_INDEX_COMMON 512 /* postings beyond which a hash value is a stock phrase */

/* How many distinct prints (AI and human) may share a value before it
 * weighs less: CS_INDEX_DF_FULL / (prints holding it) beyond that. */
#define CS_INDEX_DF_FULL 4.0

/* An open-addressing table from 64-bit keyed hashes to counts (0: empty
 * slot); keyed hashes need no further mixing. */
typedef struct {
    uint64_t *keys;
    uint32_t *counts;
    size_t n, cap;
} u64_table;

struct posting {
    uint32_t print; /* index into prints */
    uint32_t next;  /* next posting + 1 for the same hash, 0 at the end */
};

/* The latest policy version journalled for a team (a home has few teams:
 * a plain array). */
struct team_policy {
    char *team;
    uint32_t version;
    char digest[72]; /* "" when the entries for that version hold none */
};

struct cs_index {
    /* Open addressing on record ids; a power-of-two table of heads. */
    struct record_head *heads;
    size_t n_heads, cap_heads;
    cs_ai_print *prints;
    size_t n_prints, cap_prints;
    /* Open addressing on hash values: keys[i] -> first posting + 1 in firsts[i]. */
    uint64_t *keys;
    uint32_t *firsts;
    uint32_t *lengths; /* postings per hash value */
    size_t n_keys, cap_keys;
    struct posting *posts;
    size_t n_posts, cap_posts;
    struct team_policy *teams;
    size_t n_teams, cap_teams;
    uint64_t bundle_serial; /* the highest bundle serial journalled */
    char bundle_digest[72];
    /* Commonness: for each sketch value, the distinct prints (AI and human)
     * holding it; the prints already counted (by a hash of the sketch); and
     * the tokens of short AI texts per subject (cs_short_token). Keyed
     * hashes only: no text, no ids. */
    u64_table df, counted, shorts;
};

static size_t table_slot(const u64_table *t, uint64_t key)
{
    size_t mask = t->cap - 1, i = (size_t)(key ^ (key >> 29)) & mask;
    while (t->counts[i] != 0 && t->keys[i] != key)
        i = (i + 1) & mask;
    return i;
}

static uint32_t table_get(const u64_table *t, uint64_t key)
{
    return t->cap == 0 ? 0 : t->counts[table_slot(t, key)];
}

static int table_grow(u64_table *t)
{
    u64_table g = {calloc(t->cap ? t->cap * 2 : 1024, sizeof(uint64_t)), NULL, t->n, t->cap ? t->cap * 2 : 1024};
    g.counts = calloc(g.cap, sizeof(uint32_t));
    if (g.keys == NULL || g.counts == NULL) {
        free(g.keys);
        free(g.counts);
        return -1;
    }
    for (size_t i = 0; i < t->cap; i++) {
        if (t->counts[i] != 0) {
            size_t j = table_slot(&g, t->keys[i]);
            g.keys[j] = t->keys[i];
            g.counts[j] = t->counts[i];
        }
    }
    free(t->keys);
    free(t->counts);
    *t = g;
    return 0;
}

/* Adds one to key's count. Returns the new count, or 0 when out of memory. */
static uint32_t table_add(u64_table *t, uint64_t key)
{
    if ((t->n + 1) * 2 > t->cap && table_grow(t) != 0)
        return 0;
    size_t i = table_slot(t, key);
    if (t->counts[i] == 0) {
        t->keys[i] = key;
        t->n++;
    }
    if (t->counts[i] < UINT32_MAX)
        t->counts[i]++;
    return t->counts[i];
}

static void table_free(u64_table *t)
{
    free(t->keys);
    free(t->counts);
}

int32_t cs_index_new(cs_index **out)
{
    *out = calloc(1, sizeof(**out));
    return *out != NULL ? CASESCRIBE_OK : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
}

void cs_index_free(cs_index *ix)
{
    if (ix == NULL)
        return;
    for (size_t i = 0; i < ix->cap_heads; i++)
        free(ix->heads[i].id);
    for (size_t i = 0; i < ix->n_prints; i++) {
        free(ix->prints[i].record);
        free(ix->prints[i].section);
        free(ix->prints[i].team);
    }
    for (size_t i = 0; i < ix->n_teams; i++)
        free(ix->teams[i].team);
    free(ix->teams);
    table_free(&ix->df);
    table_free(&ix->counted);
    table_free(&ix->shorts);
    free(ix->heads);
    free(ix->prints);
    free(ix->keys);
    free(ix->firsts);
    free(ix->lengths);
    free(ix->posts);
    free(ix);
}

/* FNV-1a: a table slot, not security (ids come from our own journal). */
static size_t slot_of(const char *id, size_t cap)
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return (size_t)h & (cap - 1);
}

static struct record_head *find_head(const cs_index *ix, const char *id)
{
    if (ix->cap_heads == 0)
        return NULL;
    for (size_t i = slot_of(id, ix->cap_heads);; i = (i + 1) & (ix->cap_heads - 1)) {
        if (ix->heads[i].id == NULL)
            return &ix->heads[i];
        if (strcmp(ix->heads[i].id, id) == 0)
            return &ix->heads[i];
    }
}

static int grow_heads(cs_index *ix)
{
    size_t cap = ix->cap_heads ? ix->cap_heads * 2 : 64;
    struct record_head *old = ix->heads;
    size_t old_cap = ix->cap_heads;
    ix->heads = calloc(cap, sizeof(*ix->heads));
    if (ix->heads == NULL) {
        ix->heads = old;
        return -1;
    }
    ix->cap_heads = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].id != NULL)
            *find_head(ix, old[i].id) = old[i];
    free(old);
    return 0;
}

static void copy_field(char *dst, size_t n, const json_t *entry, const char *key)
{
    const char *v = json_string_value(json_object_get(entry, key));
    snprintf(dst, n, "%s", v != NULL && strlen(v) < n ? v : "");
}

static int32_t set_head(cs_index *ix, const char *id, uint32_t version, const json_t *entry)
{
    if ((ix->n_heads + 1) * 2 > ix->cap_heads && grow_heads(ix) != 0)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory indexing the journal");
    struct record_head *h = find_head(ix, id);
    if (h->id == NULL) {
        if ((h->id = cs_strdup(id)) == NULL)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory indexing the journal");
        ix->n_heads++;
    } else if (version < h->head.version) {
        return CASESCRIBE_OK;
    }
    cs_index_head *d = &h->head;
    d->version = version;
    copy_field(d->digest, sizeof(d->digest), entry, "digest");
    copy_field(d->previous, sizeof(d->previous), entry, "previous");
    copy_field(d->form, sizeof(d->form), entry, "form");
    copy_field(d->actor, sizeof(d->actor), entry, "actor");
    copy_field(d->time, sizeof(d->time), entry, "time");
    copy_field(d->key, sizeof(d->key), entry, "key");
    return CASESCRIBE_OK;
}

static size_t hash_slot(const cs_index *ix, uint64_t h)
{
    size_t mask = ix->cap_keys - 1;
    size_t i = (size_t)(h ^ (h >> 29)) & mask; /* the values are already keyed hashes */
    while (ix->firsts[i] != 0 && ix->keys[i] != h)
        i = (i + 1) & mask;
    return i;
}

static int grow_keys(cs_index *ix)
{
    size_t old_cap = ix->cap_keys, cap = old_cap ? old_cap * 2 : 1024;
    uint64_t *old_keys = ix->keys;
    uint32_t *old_firsts = ix->firsts, *old_lengths = ix->lengths;
    ix->keys = calloc(cap, sizeof(*ix->keys));
    ix->firsts = calloc(cap, sizeof(*ix->firsts));
    ix->lengths = calloc(cap, sizeof(*ix->lengths));
    if (ix->keys == NULL || ix->firsts == NULL || ix->lengths == NULL) {
        free(ix->keys);
        free(ix->firsts);
        free(ix->lengths);
        ix->keys = old_keys;
        ix->firsts = old_firsts;
        ix->lengths = old_lengths;
        return -1;
    }
    ix->cap_keys = cap;
    for (size_t i = 0; i < old_cap; i++) {
        if (old_firsts[i] != 0) {
            size_t j = hash_slot(ix, old_keys[i]);
            ix->keys[j] = old_keys[i];
            ix->firsts[j] = old_firsts[i];
            ix->lengths[j] = old_lengths[i];
        }
    }
    free(old_keys);
    free(old_firsts);
    free(old_lengths);
    return 0;
}

/* Files print number `which` under each of n hash values. */
static int32_t post_values(cs_index *ix, uint32_t which, const uint64_t *v, uint32_t n)
{
    if (ix->n_posts + n > ix->cap_posts) {
        size_t cap = ix->cap_posts ? ix->cap_posts * 2 : 4096;
        struct posting *grown = realloc(ix->posts, cap * sizeof(*grown));
        if (grown == NULL)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory indexing the journal");
        ix->posts = grown;
        ix->cap_posts = cap;
    }
    for (uint32_t k = 0; k < n; k++) {
        if ((ix->n_keys + 1) * 2 > ix->cap_keys && grow_keys(ix) != 0)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory indexing the journal");
        size_t slot = hash_slot(ix, v[k]);
        if (ix->firsts[slot] == 0) {
            ix->keys[slot] = v[k];
            ix->n_keys++;
        }
        ix->posts[ix->n_posts] = (struct posting){which, ix->firsts[slot]};
        ix->firsts[slot] = (uint32_t)++ix->n_posts;
        ix->lengths[slot]++;
    }
    return CASESCRIBE_OK;
}

/* Files print number `which` under each of its hash values: shingles and
 * (mh3) word pairs, which are keyed apart and never collide. */
static int32_t post_print(cs_index *ix, uint32_t which)
{
    const cs_fingerprint *fp = &ix->prints[which].fp;
    int32_t rc = post_values(ix, which, fp->h, fp->count);
    return rc == CASESCRIBE_OK ? post_values(ix, which, fp->w, fp->wcount) : rc;
}

/* The hash value of fp with the shortest posting list, as a slot. */
static size_t rarest_slot(const cs_index *ix, const cs_fingerprint *fp)
{
    size_t best = hash_slot(ix, fp->h[0]);
    for (uint32_t k = 1; k < fp->count; k++) {
        size_t slot = hash_slot(ix, fp->h[k]);
        if (ix->lengths[slot] < ix->lengths[best])
            best = slot;
    }
    return best;
}

/* 1 when the very same sketch is indexed already. A record saved again
 * with an unchanged AI section journals the same print each time: kept
 * once, so that repeats cannot crowd a text's values out of the search
 * (and the index grows with distinct AI texts, not with saves). An equal
 * print is on every one of its values' lists, so the shortest will do. */
static int already_indexed(const cs_index *ix, const cs_fingerprint *fp)
{
    if (ix->cap_keys == 0 || fp->count == 0)
        return 0;
    for (uint32_t p = ix->firsts[rarest_slot(ix, fp)]; p != 0; p = ix->posts[p - 1].next) {
        const cs_fingerprint *other = &ix->prints[ix->posts[p - 1].print].fp;
        if (other->scheme == fp->scheme && other->count == fp->count && other->wcount == fp->wcount &&
            memcmp(other->h, fp->h, fp->count * sizeof(fp->h[0])) == 0 &&
            memcmp(other->w, fp->w, fp->wcount * sizeof(fp->w[0])) == 0)
            return 1;
    }
    return 0;
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

/* Counts n values towards their commonness. */
static int32_t count_values(cs_index *ix, const uint64_t *v, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++)
        if (table_add(&ix->df, v[k]) == 0)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory indexing the journal");
    return CASESCRIBE_OK;
}

/* Counts a print's values (shingles and, mh3, word pairs and words: keyed
 * apart, they never collide) towards their commonness, once per distinct
 * print. */
static int32_t count_print(cs_index *ix, const cs_fingerprint *fp)
{
    uint32_t seen = table_add(&ix->counted, print_id(fp));
    if (seen == 0)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory indexing the journal");
    if (seen > 1)
        return CASESCRIBE_OK;
    int32_t rc = count_values(ix, fp->h, fp->count);
    rc = rc == CASESCRIBE_OK ? count_values(ix, fp->w, fp->wcount) : rc;
    return rc == CASESCRIBE_OK ? count_values(ix, fp->u, fp->ucount) : rc;
}

double cs_index_weight(uint64_t value, const void *ix)
{
    uint32_t df = table_get(&((const cs_index *)ix)->df, value);
    return df <= CS_INDEX_DF_FULL ? 1.0 : CS_INDEX_DF_FULL / (double)df;
}

double cs_index_word_weight(uint64_t value, const void *ix)
{
    const cs_index *x = ix;
    double n = (double)x->counted.n, df = (double)table_get(&x->df, value);
    df = df < 1.0 ? 1.0 : df;
    n = n < df ? df : n;
    return log((n + 1.0) / df) / log(n + 1.0);
}

static int32_t add_print(cs_index *ix, const char *record, const char *section, uint32_t version, const char *text,
                         const char *team)
{
    if (ix->n_prints >= UINT32_MAX / 2 || ix->n_posts >= UINT32_MAX / 2)
        return cs_fail(CASESCRIBE_ENOMEM, "the fingerprint index is full");
    if (ix->n_prints == ix->cap_prints) {
        size_t cap = ix->cap_prints ? ix->cap_prints * 2 : 64;
        cs_ai_print *grown = realloc(ix->prints, cap * sizeof(*grown));
        if (grown == NULL)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory indexing the journal");
        ix->prints = grown;
        ix->cap_prints = cap;
    }
    cs_ai_print *p = &ix->prints[ix->n_prints];
    if (cs_fingerprint_decode(&p->fp, text) != 0)
        return cs_fail(CASESCRIBE_EJOURNAL, "a journal entry holds a malformed fingerprint");
    int32_t rc = count_print(ix, &p->fp);
    if (rc != CASESCRIBE_OK || already_indexed(ix, &p->fp))
        return rc; /* the first save that made it is the one to name */
    p->record = cs_strdup(record);
    p->section = cs_strdup(section);
    p->team = cs_strdup(team);
    p->version = version;
    if (p->record == NULL || p->section == NULL || p->team == NULL) {
        free(p->record);
        free(p->section);
        free(p->team);
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory indexing the journal");
    }
    ix->n_prints++;
    return post_print(ix, (uint32_t)(ix->n_prints - 1));
}

static struct team_policy *find_team(const cs_index *ix, const char *team)
{
    for (size_t i = 0; i < ix->n_teams; i++)
        if (strcmp(ix->teams[i].team, team) == 0)
            return &ix->teams[i];
    return NULL;
}

/* Keeps the highest version, and its digest once an entry names it. */
static int32_t set_team_policy(cs_index *ix, const char *team, uint32_t version, const char *digest)
{
    struct team_policy *t = find_team(ix, team);
    if (t == NULL && ix->n_teams == ix->cap_teams) {
        size_t cap = ix->cap_teams ? ix->cap_teams * 2 : 16;
        struct team_policy *grown = realloc(ix->teams, cap * sizeof(*grown));
        if (grown == NULL)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory indexing the journal");
        ix->teams = grown;
        ix->cap_teams = cap;
    }
    if (t == NULL) {
        t = &ix->teams[ix->n_teams];
        if ((t->team = cs_strdup(team)) == NULL)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory indexing the journal");
        t->version = 0;
        t->digest[0] = '\0';
        ix->n_teams++;
    }
    if (version > t->version) {
        t->version = version;
        t->digest[0] = '\0';
    }
    if (version == t->version && t->digest[0] == '\0' && digest != NULL && strlen(digest) < sizeof(t->digest))
        snprintf(t->digest, sizeof(t->digest), "%s", digest);
    return CASESCRIBE_OK;
}

static void set_bundle(cs_index *ix, json_int_t serial, const char *digest)
{
    if (serial <= 0)
        return;
    if ((uint64_t)serial > ix->bundle_serial) {
        ix->bundle_serial = (uint64_t)serial;
        ix->bundle_digest[0] = '\0';
    }
    if ((uint64_t)serial == ix->bundle_serial && ix->bundle_digest[0] == '\0' && digest != NULL &&
        strlen(digest) < sizeof(ix->bundle_digest))
        snprintf(ix->bundle_digest, sizeof(ix->bundle_digest), "%s", digest);
}

/* A policy change ("policy": team, version, digest, the bundle's serial
 * when it came from one) or a bundle taken ("policy-bundle": serial,
 * digest). An entry lacking a field adds nothing from it. */
static int32_t visit_policy(cs_index *ix, const char *kind, const json_t *entry)
{
    if (strcmp(kind, "policy-bundle") == 0) {
        set_bundle(ix, json_integer_value(json_object_get(entry, "serial")),
                   json_string_value(json_object_get(entry, "digest")));
        return CASESCRIBE_OK;
    }
    const char *team = json_string_value(json_object_get(entry, "team"));
    json_int_t version = json_integer_value(json_object_get(entry, "version"));
    set_bundle(ix, json_integer_value(json_object_get(entry, "bundle")), NULL);
    if (team == NULL || version <= 0 || version > UINT32_MAX)
        return CASESCRIBE_OK;
    return set_team_policy(ix, team, (uint32_t)version, json_string_value(json_object_get(entry, "policy")));
}

/* A human section's print: counted for commonness only. */
static int32_t add_human(cs_index *ix, const json_t *item)
{
    cs_fingerprint fp;
    if (cs_fingerprint_decode(&fp, json_string_value(item)) != 0)
        return cs_fail(CASESCRIBE_EJOURNAL, "a journal entry holds a malformed fingerprint");
    return count_print(ix, &fp);
}

/* A short AI text's token: 16 hex digits. */
static int32_t add_short(cs_index *ix, const json_t *item)
{
    const char *hex = json_string_value(item);
    char *end = NULL;
    if (hex == NULL || strlen(hex) != 16 || strspn(hex, "0123456789abcdef") != 16)
        return cs_fail(CASESCRIBE_EJOURNAL, "a journal entry holds a malformed short-text token");
    uint64_t token = strtoull(hex, &end, 16);
    return table_add(&ix->shorts, token) != 0 ? CASESCRIBE_OK
                                                : cs_fail(CASESCRIBE_ENOMEM, "out of memory indexing the journal");
}

int cs_index_visit(const json_t *entry, void *user)
{
    cs_index *ix = user;
    const char *kind = json_string_value(json_object_get(entry, "kind"));
    if (kind != NULL && (strcmp(kind, "policy") == 0 || strcmp(kind, "policy-bundle") == 0))
        return visit_policy(ix, kind, entry);
    if (kind == NULL || strcmp(kind, "save") != 0)
        return CASESCRIBE_OK;
    const char *record = json_string_value(json_object_get(entry, "record"));
    const char *digest = json_string_value(json_object_get(entry, "digest"));
    json_int_t version = json_integer_value(json_object_get(entry, "version"));
    if (record == NULL || digest == NULL || version <= 0 || version > UINT32_MAX)
        return cs_fail(CASESCRIBE_EJOURNAL, "a save entry in the journal lacks its record, version or digest");
    int32_t rc = set_head(ix, record, (uint32_t)version, entry);
    const char *team = json_string_value(json_object_get(entry, "team"));
    size_t i;
    json_t *ai;
    json_array_foreach(json_object_get(entry, "ai"), i, ai)
    {
        const char *section = json_string_value(json_object_get(ai, "section"));
        const char *fp = json_string_value(json_object_get(ai, "fp"));
        if (rc == CASESCRIBE_OK && (section == NULL || fp == NULL))
            rc = cs_fail(CASESCRIBE_EJOURNAL, "a journal entry holds a malformed AI fingerprint");
        if (rc == CASESCRIBE_OK)
            rc = add_print(ix, record, section, (uint32_t)version, fp, team != NULL ? team : "");
    }
    json_array_foreach(json_object_get(entry, "human"), i, ai)
    {
        if (rc == CASESCRIBE_OK)
            rc = add_human(ix, ai);
    }
    json_array_foreach(json_object_get(entry, "short"), i, ai)
    {
        if (rc == CASESCRIBE_OK)
            rc = add_short(ix, ai);
    }
    return rc;
}

uint32_t cs_index_latest(const cs_index *ix, const char *record, const char **digest)
{
    struct record_head *h = find_head(ix, record);
    if (h == NULL || h->id == NULL)
        return 0;
    if (digest != NULL)
        *digest = h->head.digest;
    return h->head.version;
}

uint32_t cs_index_policy(const cs_index *ix, const char *team, const char **digest)
{
    const struct team_policy *t = find_team(ix, team);
    if (digest != NULL)
        *digest = t != NULL ? t->digest : "";
    return t != NULL ? t->version : 0;
}

uint64_t cs_index_bundle(const cs_index *ix, const char **digest)
{
    if (digest != NULL)
        *digest = ix->bundle_digest;
    return ix->bundle_serial;
}

const cs_index_head *cs_index_head_of(const cs_index *ix, const char *record)
{
    struct record_head *h = find_head(ix, record);
    return h != NULL && h->id != NULL ? &h->head : NULL;
}

/* Orders n values by how many prints share them, rarest first, as slots. */
static void rarest_first(const cs_index *ix, const uint64_t *v, uint32_t n, size_t *slots)
{
    for (uint32_t k = 0; k < n; k++) {
        size_t slot = hash_slot(ix, v[k]), at = k;
        for (; at > 0 && ix->lengths[slots[at - 1]] > ix->lengths[slot]; at--)
            slots[at] = slots[at - 1];
        slots[at] = slot;
    }
}

const cs_ai_print *cs_index_match(const cs_index *ix, const cs_fingerprint *fp, double *similarity)
{
    const cs_ai_print *best = NULL;
    double best_score = 0.0;
    if (similarity != NULL)
        *similarity = 0.0;
    if (ix->cap_keys == 0 || fp->count == 0 || fp->count > CS_FP_K)
        return NULL;
    /* Only prints sharing a value can match, and any print that matches
     * shares at least cs_fingerprint_min_shared() of fp's values: so the
     * rarest (count - that + 1) lists hold every possible match, however
     * long they are. The other lists are read too unless they are stock
     * phrases ("said that she"), which would cost time and find nothing
     * those lists did not. A print met through several lists is scored
     * each time: cheaper than remembering which were seen. */
    size_t slots[CS_FP_K];
    rarest_first(ix, fp->h, fp->count, slots);
    uint32_t must = fp->count - cs_fingerprint_min_shared(fp->count) + 1;
    for (uint32_t k = 0; k < fp->count && best_score < 1.0; k++) {
        if (k >= must && ix->lengths[slots[k]] > CS_INDEX_COMMON)
            break; /* sorted: the rest are as common */
        for (uint32_t p = ix->firsts[slots[k]]; p != 0; p = ix->posts[p - 1].next) {
            const cs_ai_print *cand = &ix->prints[ix->posts[p - 1].print];
            double score = 0.0;
            if (cs_fingerprint_copies(fp, &cand->fp, &score) && score > best_score) {
                best_score = score;
                best = cand;
            }
        }
    }
    if (similarity != NULL)
        *similarity = best_score;
    return best;
}

int cs_index_short_seen(const cs_index *ix, uint64_t token)
{
    return table_get(&ix->shorts, token) != 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The lists worth reading among n values (as slots, rarest first, from
 * *lists on): the rarest `must`, and the others unless they are stock
 * phrases. Returns the postings they hold. */
static size_t pick_lists(const cs_index *ix, const uint64_t *v, uint32_t n, uint32_t must, size_t *slots,
                         uint32_t *lists)
{
    size_t total = 0;
    rarest_first(ix, v, n, slots + *lists);
    for (uint32_t k = 0; k < n && (k < must || ix->lengths[slots[*lists]] <= CS_INDEX_COMMON); k++, ++*lists)
        total += ix->lengths[slots[*lists]];
    return total;
}

/* The prints that share enough of fp's values to reach a grade, each once.
 * Shingles: every print with CS_FP_MIN_EVIDENCE in common shares at least
 * that many values (weights are at most 1), so the rarest (count - that +
 * 1) lists hold them all; the other lists are read unless they are stock
 * phrases. Word pairs (mh3): only lists of at most CS_INDEX_COMMON prints;
 * a value on a longer list weighs under CS_INDEX_DF_FULL / CS_INDEX_COMMON
 * (cs_index_weight: its df counts every print on the list), so CS_FP_PK of
 * them stay far below CS_FP_PAIR_MIN_EVIDENCE, and a print that reaches it
 * is on a shorter list too. *out is malloc'd (NULL when none). Returns the
 * count, or -1. */
static long candidates(const cs_index *ix, const cs_fingerprint *fp, uint32_t **out)
{
    size_t slots[CS_FP_K + CS_FP_PK];
    uint32_t min_shared = (uint32_t)CS_FP_MIN_EVIDENCE, lists = 0;
    uint32_t must = fp->count > min_shared ? fp->count - min_shared + 1 : fp->count;
    size_t total = pick_lists(ix, fp->h, fp->count, must, slots, &lists);
    total += pick_lists(ix, fp->w, fp->wcount, 0, slots, &lists);
    *out = NULL;
    if (total == 0)
        return 0;
    uint32_t *c = malloc(total * sizeof(*c));
    if (c == NULL)
        return -1;
    size_t n = 0;
    for (uint32_t k = 0; k < lists; k++)
        for (uint32_t p = ix->firsts[slots[k]]; p != 0; p = ix->posts[p - 1].next)
            c[n++] = ix->posts[p - 1].print;
    qsort(c, n, sizeof(*c), cmp_u32);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || c[u - 1] != c[i])
            c[u++] = c[i];
    *out = c;
    return (long)u;
}

/* Whether a candidate beats the hit so far: a higher grade, a higher score,
 * or as good and saved by `team` (a record the caller may name). */
static int better(const cs_index_hit *hit, int grade, double score, const cs_ai_print *p, const char *team)
{
    if (grade != hit->grade)
        return grade > hit->grade;
    if (grade == CS_FP_UNRELATED || score != hit->score)
        return score > hit->score;
    return team != NULL && strcmp(p->team, team) == 0 && strcmp(hit->print->team, team) != 0;
}

int cs_index_grade(const cs_index *ix, const cs_fingerprint *fp, const char *team, cs_index_hit *hit)
{
    memset(hit, 0, sizeof(*hit));
    if (ix->cap_keys == 0 || fp->count == 0 || fp->count > CS_FP_K || fp->wcount > CS_FP_PK)
        return 0;
    uint32_t *cand = NULL;
    long n = candidates(ix, fp, &cand);
    if (n < 0)
        return -1;
    const cs_fp_weights weights = {cs_index_weight, cs_index_word_weight, ix};
    for (long i = 0; i < n; i++) {
        const cs_ai_print *p = &ix->prints[cand[i]];
        double score = 0.0;
        int grade = cs_fingerprint_grade(fp, &p->fp, &weights, &score);
        if (better(hit, grade, score, p, team)) {
            hit->grade = grade;
            hit->score = score;
            hit->print = p;
        }
    }
    free(cand);
    return 0;
}
