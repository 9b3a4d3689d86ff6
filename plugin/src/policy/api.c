/* SPDX-License-Identifier: Apache-2.0 */
/* policy/api.c - team policies through a context: a cache that follows the
 * files on disk, changes that are signed and audited, and the public
 * interface. The policy rules themselves are in policy/policy.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "context.h"
#include "internal.h"
#include "shared.h"
#include "policy/policy.h"

/* ---- the cache ---------------------------------------------------------- */

struct cs_cached_policy {
    cs_policy *policy;
    int had_file;
    struct stat st; /* of the file the policy was read from */
};

static int same_file(const struct cs_cached_policy *c, int has_file, const struct stat *st)
{
    if (c->had_file != has_file)
        return 0;
    return !has_file || (c->st.st_ino == st->st_ino && c->st.st_dev == st->st_dev &&
                         c->st.st_size == st->st_size && c->st.st_mtim.tv_sec == st->st_mtim.tv_sec &&
                         c->st.st_mtim.tv_nsec == st->st_mtim.tv_nsec &&
                         c->st.st_ctim.tv_sec == st->st_ctim.tv_sec && c->st.st_ctim.tv_nsec == st->st_ctim.tv_nsec);
}

/* ---- what the ledger remembers ------------------------------------------- */

int32_t cs_ctx_journalled_policy(casescribe_ctx *ctx, const char *team, uint32_t *version,
                                 char digest[CS_DIGEST_LEN])
{
    char d[72] = "";
    cs_store_txn *tx = NULL;
    *version = 0;
    digest[0] = '\0';
    int32_t rc = cs_store_begin(ctx->store, CS_STORE_READ, &tx);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_policy(tx, team, version, d);
    cs_store_rollback(tx);
    snprintf(digest, CS_DIGEST_LEN, "%s", rc == CASESCRIBE_OK ? d : "");
    return rc;
}

int32_t cs_ctx_journalled_bundle(casescribe_ctx *ctx, uint64_t *serial, char digest[CS_DIGEST_LEN])
{
    char d[72] = "";
    cs_store_txn *tx = NULL;
    *serial = 0;
    digest[0] = '\0';
    int32_t rc = cs_store_begin(ctx->store, CS_STORE_READ, &tx);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_bundle(tx, serial, d);
    cs_store_rollback(tx);
    snprintf(digest, CS_DIGEST_LEN, "%s", rc == CASESCRIBE_OK ? d : "");
    return rc;
}

/* A signed file older than the version the journal holds for its team, or
 * of that version but other content, is an old file put back (a backup
 * restored, a copy from before a change): it is refused like a file that
 * does not verify, and the team runs on the safe defaults. Key rotation
 * changes nothing here: the journal, not the key, says what is current. */
static int32_t refuse_rollback(cs_policy **p, uint32_t latest, const char *digest)
{
    cs_policy *cur = *p, *d = NULL;
    if (cur->state != CS_POLICY_SIGNED || cur->version > latest ||
        (cur->version == latest && (digest[0] == '\0' || strcmp(digest, cur->digest) == 0)))
        return CASESCRIBE_OK;
    char problem[512];
    if (cur->version < latest)
        snprintf(problem, sizeof(problem), "the policy file of team %s is version %u, older than version %u in this "
                 "home's journal: an old file put back is never used", cur->team, (unsigned)cur->version,
                 (unsigned)latest);
    else
        snprintf(problem, sizeof(problem), "the policy file of team %s is version %u, but not the version %u this "
                 "home's journal holds (another digest)", cur->team, (unsigned)cur->version, (unsigned)latest);
    int32_t rc = cs_policy_defaults(&d, cur->team);
    if (rc == CASESCRIBE_OK && (d->problem = cs_strdup(problem)) == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc != CASESCRIBE_OK) {
        cs_policy_free(d);
        return rc;
    }
    d->state = CS_POLICY_REFUSED;
    cs_policy_free(cur);
    *p = d;
    return CASESCRIBE_OK;
}

/* The policy of `team` on disk, checked against the journal (read first:
 * a change journals before it writes its file); the journalled latest
 * version into *latest. */
static int32_t load_checked(casescribe_ctx *ctx, const char *team, cs_policy **out, uint32_t *latest)
{
    char digest[CS_DIGEST_LEN];
    *out = NULL;
    int32_t rc = cs_ctx_journalled_policy(ctx, team, latest, digest);
    if (rc == CASESCRIBE_OK)
        rc = cs_policy_load(out, ctx->home, team, ctx->keys);
    if (rc == CASESCRIBE_OK)
        rc = refuse_rollback(out, *latest, digest);
    if (rc != CASESCRIBE_OK) {
        cs_policy_free(*out);
        *out = NULL;
    }
    return rc;
}

static struct cs_cached_policy *cache_slot(casescribe_ctx *ctx, const char *team)
{
    for (size_t i = 0; i < ctx->n_policies; i++)
        if (strcmp(ctx->policies[i].policy->team, team) == 0)
            return &ctx->policies[i];
    struct cs_cached_policy *grown = realloc(ctx->policies, (ctx->n_policies + 1) * sizeof(*grown));
    if (grown == NULL)
        return NULL;
    ctx->policies = grown;
    memset(&grown[ctx->n_policies], 0, sizeof(*grown));
    return &grown[ctx->n_policies];
}

/* Under policy_lock: the cached policy of `team`, read again when its file
 * changed. Another process's change is seen at the next call; a reader
 * holds its own reference, so it keeps one whole policy meanwhile. */
static int32_t cached_policy(casescribe_ctx *ctx, const char *team, cs_policy **out)
{
    char path[4096];
    struct stat st;
    uint32_t latest = 0;
    int32_t rc = cs_policy_path(path, sizeof(path), ctx->home, team); /* EINVAL for a bad team name */
    if (rc != CASESCRIBE_OK)
        return rc;
    if (cs_store_shared(ctx->store) && (rc = cs_shared_policy_sync(ctx, team, path)) != CASESCRIBE_OK)
        return rc;
    int has_file = stat(path, &st) == 0;
    if (!has_file && errno != ENOENT)
        return cs_fail(CASESCRIBE_EIO, "cannot read %s: %s", path, strerror(errno));
    struct cs_cached_policy *c = cache_slot(ctx, team);
    if (c == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (c->policy != NULL && same_file(c, has_file, &st)) {
        *out = cs_policy_ref(c->policy);
        return CASESCRIBE_OK;
    }
    cs_policy *fresh = NULL;
    rc = load_checked(ctx, team, &fresh, &latest);
    if (rc != CASESCRIBE_OK)
        return rc;
    int is_new = c->policy == NULL;
    cs_policy_free(c->policy);
    c->policy = fresh;
    c->had_file = has_file;
    if (has_file)
        c->st = st;
    ctx->n_policies += is_new;
    *out = cs_policy_ref(fresh);
    return CASESCRIBE_OK;
}

int32_t cs_ctx_policy(casescribe_ctx *ctx, const char *team, cs_policy **out)
{
    *out = NULL;
    if (pthread_mutex_lock(&ctx->policy_lock) != 0)
        return cs_fail(CASESCRIBE_EINTERNAL, "cannot lock the policy cache");
    int32_t rc = cached_policy(ctx, team, out);
    pthread_mutex_unlock(&ctx->policy_lock);
    return rc;
}

void cs_ctx_policies_free(casescribe_ctx *ctx)
{
    for (size_t i = 0; i < ctx->n_policies; i++)
        cs_policy_free(ctx->policies[i].policy);
    free(ctx->policies);
    ctx->policies = NULL;
    ctx->n_policies = 0;
}

/* ---- changes ------------------------------------------------------------ */

/* Makes <home>/policy (0700) and takes its lock file, which serialises
 * changes across processes (threads of one process too: flock locks are
 * per open file). Returns the locked descriptor or -1 (error set). */
int cs_ctx_lock_policies(casescribe_ctx *ctx)
{
    char dir[4096], lock[4200];
    snprintf(dir, sizeof(dir), "%s/policy", ctx->home);
    if (mkdir(dir, 0700) == 0) {
        if (cs_fsync_parent(dir) != 0) {
            cs_fail(CASESCRIBE_EIO, "cannot sync the home holding %s: %s", dir, strerror(errno));
            return -1;
        }
    } else if (errno != EEXIST) {
        cs_fail(CASESCRIBE_EIO, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    snprintf(lock, sizeof(lock), "%s/.lock", dir);
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        cs_fail(CASESCRIBE_EIO, "cannot open %s: %s", lock, strerror(errno));
        return -1;
    }
    int rc;
    while ((rc = flock(fd, LOCK_EX)) != 0 && errno == EINTR)
        ;
    if (rc != 0) {
        cs_fail(CASESCRIBE_EIO, "cannot lock %s: %s", lock, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

void cs_ctx_unlock_policies(int fd)
{
    flock(fd, LOCK_UN);
    close(fd);
}

/* One setting that a new version changes. */
struct change {
    const char *key;
    char *old_value, *new_value;
};

/* The audit entry: who changed what, from what to what. Ids and setting
 * values only (endpoints are service URLs): no personal data. */
static int32_t audit(casescribe_ctx *ctx, cs_store_txn *tx, const cs_policy *next, const struct change *c,
                     uint64_t serial)
{
    json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "kind", "policy", "team", next->team,
                          "setting", c->key, "old", c->old_value, "new", c->new_value, "actor", next->changed_by,
                          "time", next->changed_at, "version", (json_int_t)next->version, "policy", next->digest);
    if (e != NULL && serial != 0 && json_object_set_new(e, "bundle", json_integer((json_int_t)serial)) != 0) {
        json_decref(e);
        e = NULL;
    }
    if (e == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    int32_t rc = tx != NULL ? cs_store_append(tx, e, NULL, NULL) : cs_ctx_journal_append(ctx, e);
    json_decref(e);
    return rc;
}

/* On a shared store: the audit entries and the signed document in one
 * write transaction, refused (ECONFLICT) when another server journalled
 * this version of the team meanwhile, so that two servers never make two
 * different policies of one version number. */
static int32_t journal_shared(casescribe_ctx *ctx, const cs_policy *next, const struct change *changes, size_t n,
                              uint64_t serial, const uint8_t *doc, size_t len)
{
    cs_store_txn *tx = NULL;
    uint32_t latest = 0;
    char digest[72];
    int32_t rc = cs_store_begin(ctx->store, CS_STORE_WRITE, &tx);
    if (rc != CASESCRIBE_OK)
        return rc;
    rc = cs_store_policy(tx, next->team, &latest, digest);
    if (rc == CASESCRIBE_OK && latest >= next->version)
        rc = cs_fail(CASESCRIBE_ECONFLICT, "another server changed the policy of team %s at the same time (it is at "
                     "version %u now): nothing was changed here; look at it again and repeat the change",
                     next->team, (unsigned)latest);
    for (size_t i = 0; rc == CASESCRIBE_OK && i < n; i++)
        rc = audit(ctx, tx, next, &changes[i], serial);
    if (rc == CASESCRIBE_OK)
        rc = cs_shared_policy_put(tx, next->team, doc, len);
    if (rc != CASESCRIBE_OK) {
        cs_store_rollback(tx);
        return rc;
    }
    return cs_store_commit(tx);
}

/* Signs `next`, journals its changes, then puts the file in place. The
 * audit entries come first: a change is never in force without its entry
 * (a crash between the two leaves an entry for a change that did not
 * happen, which the next `team show` makes plain). */
static int32_t write_version(casescribe_ctx *ctx, cs_policy *next, const struct change *changes, size_t n,
                             uint64_t serial)
{
    EVP_PKEY *key_pair = NULL;
    char key_id[CS_KEY_ID_MAX], path[4096];
    uint8_t *bytes = NULL;
    size_t len = 0;
    int32_t rc = cs_keyring_signer(ctx->keys, &key_pair, key_id);
    if (rc == CASESCRIBE_OK)
        rc = cs_policy_sign(&bytes, &len, next, key_pair, key_id);
    if (rc == CASESCRIBE_OK && cs_store_shared(ctx->store))
        rc = journal_shared(ctx, next, changes, n, serial, bytes, len);
    for (size_t i = 0; rc == CASESCRIBE_OK && !cs_store_shared(ctx->store) && i < n; i++)
        rc = audit(ctx, NULL, next, &changes[i], serial);
    if (rc == CASESCRIBE_OK && (rc = cs_policy_path(path, sizeof(path), ctx->home, next->team)) == CASESCRIBE_OK)
        rc = cs_write_file_atomic(path, bytes, len, 0644);
    EVP_PKEY_free(key_pair);
    free(bytes);
    return rc;
}

/* Every key a policy has, in the order changes are listed. */
static const char *const policy_keys[] = {"transcription",        "ai-draft", "external-ai", "observation-tags",
                                          "audio-retention-days", "engine",   "endpoints", "allow-without-template"};
#define N_POLICY_KEYS (sizeof(policy_keys) / sizeof(policy_keys[0]))

/* The number of the version a change writes: one more than both the file's
 * and the journal's latest, so that numbers never restart after a file was
 * deleted or put back. A repair that changes no setting (a refused file
 * replaced) is journalled too, as a change of the file itself. */
static int32_t next_version(cs_policy *next, const cs_policy *cur, uint32_t latest, struct change *changes,
                            size_t *n)
{
    uint32_t after = cur->version > latest ? cur->version : latest;
    if (after == UINT32_MAX)
        return cs_fail(CASESCRIBE_EINVAL, "the policy of team %s has reached the last version number", cur->team);
    next->version = after + 1; /* one version, however many settings changed */
    if (*n > 0)
        return CASESCRIBE_OK;
    changes[0] = (struct change){"file", cs_strdup("refused"), cs_strdup("signed")};
    *n = 1;
    return changes[0].old_value != NULL && changes[0].new_value != NULL ? CASESCRIBE_OK
                                                                        : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
}

/* Applies `values` (key -> new text, NULL: keep) to the policy on disk as
 * one new version. Under the policy lock file. */
static int32_t change_locked(casescribe_ctx *ctx, const char *team, const char *const values[N_POLICY_KEYS],
                             const char *actor, uint64_t serial, int *changed)
{
    cs_policy *cur = NULL, *next = NULL;
    struct change changes[N_POLICY_KEYS + 1];
    size_t n = 0;
    uint32_t latest = 0;
    char at[21];
    cs_format_time(at, cs_now());
    *changed = 0;
    char path[4096];
    int32_t rc = cs_policy_path(path, sizeof(path), ctx->home, team);
    if (rc == CASESCRIBE_OK && cs_store_shared(ctx->store)) /* change what every server runs on */
        rc = cs_shared_policy_sync(ctx, team, path);
    if (rc == CASESCRIBE_OK)
        rc = load_checked(ctx, team, &cur, &latest);
    if (rc == CASESCRIBE_OK)
        next = cs_policy_ref(cur);
    for (size_t i = 0; rc == CASESCRIBE_OK && i < N_POLICY_KEYS; i++) {
        if (values[i] == NULL)
            continue;
        cs_policy *step = NULL;
        struct change c = {policy_keys[i], NULL, NULL};
        rc = cs_policy_get(&c.old_value, next, c.key);
        if (rc == CASESCRIBE_OK)
            rc = cs_policy_change(&step, next, c.key, values[i], actor, at);
        if (rc == CASESCRIBE_OK)
            rc = cs_policy_get(&c.new_value, step, c.key);
        if (step != NULL) {
            cs_policy_free(next);
            next = step;
        }
        if (rc == CASESCRIBE_OK && strcmp(c.old_value, c.new_value) != 0) {
            changes[n++] = c;
        } else {
            free(c.old_value);
            free(c.new_value);
        }
    }
    /* Setting what is already in force changes nothing: no new version.
     * A refused file is always replaced, so that a change repairs it. */
    if (rc == CASESCRIBE_OK && (n > 0 || cur->state == CS_POLICY_REFUSED))
        rc = next_version(next, cur, latest, changes, &n);
    if (rc == CASESCRIBE_OK && n > 0) {
        rc = write_version(ctx, next, changes, n, serial);
        *changed = rc == CASESCRIBE_OK;
    }
    for (size_t i = 0; i < n; i++) {
        free(changes[i].old_value);
        free(changes[i].new_value);
    }
    cs_policy_free(cur);
    cs_policy_free(next);
    return rc;
}

int32_t cs_ctx_policy_apply(casescribe_ctx *ctx, const cs_policy *target, const char *actor, uint64_t serial,
                            int *changed)
{
    char *values[N_POLICY_KEYS] = {0};
    int32_t rc = CASESCRIBE_OK;
    for (size_t i = 0; rc == CASESCRIBE_OK && i < N_POLICY_KEYS; i++)
        rc = cs_policy_get(&values[i], target, policy_keys[i]);
    if (rc == CASESCRIBE_OK)
        rc = change_locked(ctx, target->team, (const char *const *)values, actor, serial, changed);
    for (size_t i = 0; i < N_POLICY_KEYS; i++)
        free(values[i]);
    return rc;
}

int32_t casescribe_team_set(casescribe_ctx *ctx, const char *actor_id, const char *team, const char *key,
                            const char *value)
{
    if (ctx == NULL || key == NULL || value == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_team_set: ctx, key and value are required");
    if (cs_ctx_writable(ctx) != CASESCRIBE_OK)
        return CASESCRIBE_EIO;
    if (cs_ctx_elsewhere(ctx))
        return CASESCRIBE_EINVAL;
    if (!cs_valid_id(actor_id))
        return cs_fail(CASESCRIBE_EINVAL, "actor id must be 1-128 characters of A-Z a-z 0-9 . _ : @ / + -");
    if (!cs_policy_valid_team(team))
        return cs_fail(CASESCRIBE_EINVAL, "a team name is 1-128 characters of A-Z a-z 0-9 . _ : @ / + -");
    const char *values[N_POLICY_KEYS] = {0};
    size_t i = 0;
    while (i < N_POLICY_KEYS && strcmp(policy_keys[i], key) != 0)
        i++;
    if (i == N_POLICY_KEYS) {
        char *ignored = NULL;
        cs_policy *defaults = NULL;
        int32_t rc = cs_policy_defaults(&defaults, team);
        if (rc == CASESCRIBE_OK)
            rc = cs_policy_get(&ignored, defaults, key); /* ENOTFOUND, with the list of keys */
        cs_policy_free(defaults);
        free(ignored);
        return rc;
    }
    values[i] = value;
    cs_clear_error();
    int fd = cs_ctx_lock_policies(ctx);
    if (fd < 0)
        return CASESCRIBE_EIO;
    int changed = 0;
    int32_t rc = change_locked(ctx, team, values, actor_id, 0, &changed);
    cs_ctx_unlock_policies(fd);
    return rc;
}

/* ---- listing ------------------------------------------------------------ */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int32_t casescribe_team_list(char **teams_out, casescribe_ctx *ctx)
{
    if (teams_out != NULL)
        *teams_out = NULL;
    if (teams_out == NULL || ctx == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_team_list: teams_out and ctx are required");
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/policy", ctx->home);
    DIR *d = opendir(dir);
    if (d == NULL && errno != ENOENT)
        return cs_fail(CASESCRIBE_EIO, "cannot read %s: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0;
    int failed = 0;
    for (struct dirent *e; d != NULL && !failed && (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        char stem[CS_POLICY_STEM_MAX], team[129];
        if (len < 5 || len - 4 >= sizeof(stem) || strcmp(e->d_name + len - 4, ".xml") != 0)
            continue;
        memcpy(stem, e->d_name, len - 4);
        stem[len - 4] = '\0';
        if (!cs_policy_team_of_file(team, stem))
            continue; /* not a file the library wrote (the bundle, a stray file) */
        char *name = cs_strdup(team);
        char **grown = name != NULL ? realloc(names, (n + 1) * sizeof(*names)) : NULL;
        if (grown == NULL) {
            free(name);
            failed = 1;
            break;
        }
        names = grown;
        names[n++] = name;
    }
    if (d != NULL)
        closedir(d);
    if (n > 1) /* qsort of a NULL array is undefined, even of no elements */
        qsort(names, n, sizeof(*names), by_name);
    cs_buf b = {0};
    cs_buf_printf(&b, "%s", "");
    for (size_t i = 0; i < n; i++) {
        cs_buf_printf(&b, "%s\n", names[i]);
        free(names[i]);
    }
    free(names);
    *teams_out = failed ? NULL : cs_buf_take(&b);
    cs_buf_free(&b);
    return *teams_out != NULL ? CASESCRIBE_OK : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
}

/* ---- reading ------------------------------------------------------------ */

struct casescribe_policy {
    cs_policy *p; /* a reference: the snapshot this handle reads */
};

int32_t casescribe_team_policy(casescribe_policy **policy_out, casescribe_ctx *ctx, const char *team)
{
    if (policy_out != NULL)
        *policy_out = NULL;
    if (policy_out == NULL || ctx == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_team_policy: policy_out and ctx are required");
    cs_clear_error();
    casescribe_policy *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    int32_t rc = cs_ctx_policy(ctx, team, &h->p);
    if (rc != CASESCRIBE_OK) {
        free(h);
        return rc;
    }
    *policy_out = h;
    return CASESCRIBE_OK;
}

const char *casescribe_policy_team(const casescribe_policy *policy)
{
    return policy != NULL ? policy->p->team : NULL;
}

uint32_t casescribe_policy_version(const casescribe_policy *policy)
{
    return policy != NULL ? policy->p->version : 0;
}

int32_t casescribe_policy_state(const casescribe_policy *policy)
{
    if (policy == NULL)
        return -1;
    switch (policy->p->state) {
    case CS_POLICY_SIGNED: return CASESCRIBE_POLICY_SIGNED;
    case CS_POLICY_REFUSED: return CASESCRIBE_POLICY_REFUSED;
    default: return CASESCRIBE_POLICY_DEFAULTS;
    }
}

const char *casescribe_policy_problem(const casescribe_policy *policy)
{
    return policy != NULL ? policy->p->problem : NULL;
}

const char *casescribe_policy_digest(const casescribe_policy *policy)
{
    return policy != NULL && policy->p->digest[0] != '\0' ? policy->p->digest : NULL;
}

int32_t casescribe_policy_feature(const casescribe_policy *policy, const char *feature)
{
    if (policy == NULL || feature == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_policy_feature: NULL argument");
    uint32_t bit = cs_policy_feature_bit(feature);
    if (bit == 0)
        return cs_fail(CASESCRIBE_ENOTFOUND, "no feature called '%s' (transcription, ai-draft, external-ai, "
                                             "observation-tags)",
                       feature);
    return (policy->p->features & bit) != 0;
}

int32_t casescribe_policy_setting(char **value_out, const casescribe_policy *policy, const char *key)
{
    if (value_out != NULL)
        *value_out = NULL;
    if (value_out == NULL || policy == NULL || key == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_policy_setting: NULL argument");
    return cs_policy_get(value_out, policy->p, key);
}

void casescribe_policy_free(casescribe_policy *policy)
{
    if (policy == NULL)
        return;
    cs_policy_free(policy->p);
    free(policy);
}
