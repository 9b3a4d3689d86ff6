/* SPDX-License-Identifier: Apache-2.0 */
/* context.c - opening a home: keys, fingerprint secret and the store. */
#include "context.h"

#include "fill/template.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "checkpoint.h"
#include "internal.h"

#include <libxml/chvalid.h>
#include <libxml/xmlstring.h>

int cs_valid_id(const char *s)
{
    size_t n = 0;
    for (; s != NULL && s[n] != '\0'; n++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@/+-", s[n]))
            return 0;
    return n >= 1 && n <= 128;
}

int cs_valid_label(const char *s, size_t max_chars)
{
    if (s == NULL || s[0] == '\0')
        return 0;
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; chars++) {
        int len = 4; /* at most one UTF-8 sequence; the terminator stops a short one */
        int c = xmlGetUTF8Char(p, &len);
        if (c < 0x20 || c == 0x7f || !xmlIsCharQ(c) || chars >= max_chars)
            return 0;
        p += len;
    }
    return 1;
}

/* The home: the option, else $CASESCRIBE_HOME, else ~/.local/share/casescribe. */
static char *resolve_home(const casescribe_ctx_options *opts)
{
    if (opts != NULL && opts->home != NULL && opts->home[0] != '\0')
        return cs_strdup(opts->home);
    const char *env = getenv("CASESCRIBE_HOME");
    if (env != NULL && env[0] != '\0')
        return cs_strdup(env);
    const char *user_home = getenv("HOME");
    if (user_home == NULL || user_home[0] == '\0')
        return NULL;
    size_t n = strlen(user_home) + sizeof("/.local/share/casescribe");
    char *path = malloc(n);
    if (path != NULL)
        snprintf(path, n, "%s/.local/share/casescribe", user_home);
    return path;
}

char *cs_ctx_resolve_home(const char *home)
{
    casescribe_ctx_options opts = {sizeof(opts), 0, home};
    return resolve_home(&opts);
}

/* mkdir -p, new folders 0700: a home holds keys and a journal. */
static int32_t make_folders(const char *path)
{
    char *copy = cs_strdup(path);
    if (copy == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    for (char *p = copy + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        int made = mkdir(copy, 0700) == 0;
        if (!made && errno != EEXIST) {
            int e = errno;
            free(copy);
            return cs_fail(CASESCRIBE_EIO, "cannot create the home folder %s: %s", path, strerror(e));
        }
        /* A new folder exists after a crash only once its parent is synced. */
        if (made && cs_fsync_parent(copy) != 0) {
            int e = errno;
            free(copy);
            return cs_fail(CASESCRIBE_EIO, "cannot sync the folder holding %s: %s", path, strerror(e));
        }
        *p = saved;
        if (saved == '\0')
            break;
    }
    free(copy);
    return CASESCRIBE_OK;
}

static int32_t check_home(const char *home, uint32_t flags)
{
    struct stat st;
    if (stat(home, &st) == 0)
        return S_ISDIR(st.st_mode) ? CASESCRIBE_OK : cs_fail(CASESCRIBE_EIO, "%s is not a folder", home);
    if (errno == ENOENT && (flags & CASESCRIBE_OPEN_CREATE) && !(flags & CASESCRIBE_OPEN_READ_ONLY))
        return make_folders(home);
    return cs_fail(CASESCRIBE_EIO, "cannot use the home %s: %s", home, strerror(errno));
}

/* The home and its keys/ and policy/ folders (when they exist) must not
 * be writable by group or others: anyone who can write there can replace
 * the keys, the policies or the journal. */
static int32_t check_private_folder(const char *home, const char *sub)
{
    char path[4200];
    int w = snprintf(path, sizeof(path), "%s%s%s", home, sub != NULL ? "/" : "", sub != NULL ? sub : "");
    if (w < 0 || (size_t)w >= sizeof(path))
        return cs_fail(CASESCRIBE_EINVAL, "the home path is too long");
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT && sub != NULL ? CASESCRIBE_OK
                                              : cs_fail(CASESCRIBE_EIO, "cannot use %s: %s", path, strerror(errno));
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return cs_fail(CASESCRIBE_EKEY, "refusing the home: %s is writable by %s (mode %03o), who could replace its "
                                        "keys, policies or journal; run chmod go-w on it", path,
                       (st.st_mode & S_IWOTH) ? "others" : "its group", (unsigned)(st.st_mode & 07777));
    return CASESCRIBE_OK;
}

static int32_t check_private_folders(const char *home)
{
    int32_t rc = check_private_folder(home, NULL);
    if (rc == CASESCRIBE_OK)
        rc = check_private_folder(home, "keys");
    if (rc == CASESCRIBE_OK)
        rc = check_private_folder(home, "policy");
    return rc;
}

/* Read-only when asked, or when the home cannot be written (a backup, a
 * snapshot, a read-only mount): nothing is then created or written. */
static int read_only_home(const casescribe_ctx *ctx)
{
    return (ctx->flags & CASESCRIBE_OPEN_READ_ONLY) != 0 || (access(ctx->home, W_OK) != 0 && errno != ENOENT);
}

int cs_ctx_elsewhere(const casescribe_ctx *ctx)
{
    if (ctx->pid == getpid())
        return 0;
    cs_fail(CASESCRIBE_EINVAL, "this context was opened by another process (before a fork): open a new context in "
            "this process");
    return 1;
}

int32_t cs_ctx_writable(const casescribe_ctx *ctx)
{
    if (ctx->flags & CASESCRIBE_OPEN_READ_ONLY)
        return cs_fail(CASESCRIBE_EIO, "the home %s is open read-only (asked, or the folder is not writable): "
                                       "nothing can be saved or changed in it", ctx->home);
    return CASESCRIBE_OK;
}

static int32_t open_store(casescribe_ctx *ctx)
{
    uint32_t flags = (ctx->flags & CASESCRIBE_OPEN_NO_SYNC) ? CS_STORE_NO_SYNC : 0;
    if (read_only_home(ctx)) {
        ctx->flags |= CASESCRIBE_OPEN_READ_ONLY;
        flags |= CS_STORE_READ_ONLY;
    }
    int32_t rc = cs_store_open(&ctx->store, ctx->home, flags);
    if (rc == CASESCRIBE_OK) /* every commit that appends writes a signed checkpoint */
        cs_store_set_signer(ctx->store, cs_checkpoint_sign, ctx->keys);
    ctx->jobs.store = ctx->store; /* kept jobs are recorded there */
    return rc;
}

int32_t casescribe_ctx_open(casescribe_ctx **ctx_out, const casescribe_ctx_options *opts)
{
    if (ctx_out == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "ctx_out is NULL");
    *ctx_out = NULL;
    if (opts != NULL && opts->struct_size < sizeof(uint32_t) * 2 + sizeof(const char *))
        return cs_fail(CASESCRIBE_EINVAL, "options not initialised: call casescribe_ctx_options_init first");
    cs_clear_error();
    casescribe_ctx *ctx = calloc(1, sizeof(*ctx));
    if (ctx != NULL) {
        ctx->pid = getpid();
        if (pthread_mutex_init(&ctx->policy_lock, NULL) != 0) {
            free(ctx);
            return cs_fail(CASESCRIBE_ENOMEM, "cannot make a mutex");
        }
        if (cs_jobs_init(&ctx->jobs) != CASESCRIBE_OK) {
            pthread_mutex_destroy(&ctx->policy_lock);
            free(ctx);
            return CASESCRIBE_ENOMEM;
        }
    }
    if (ctx == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    ctx->flags = opts != NULL ? opts->flags : 0;
    int32_t rc = CASESCRIBE_OK;
    int have_home = (opts != NULL && opts->home != NULL && opts->home[0] != '\0') ||
                    (getenv("CASESCRIBE_HOME") != NULL && getenv("CASESCRIBE_HOME")[0] != '\0') ||
                    (getenv("HOME") != NULL && getenv("HOME")[0] != '\0');
    if (!have_home)
        rc = cs_fail(CASESCRIBE_EINVAL, "no home folder: set one in the options, CASESCRIBE_HOME or HOME");
    else if ((ctx->home = resolve_home(opts)) == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc == CASESCRIBE_OK)
        rc = check_home(ctx->home, ctx->flags);
    if (rc == CASESCRIBE_OK)
        rc = check_private_folders(ctx->home);
    if (rc == CASESCRIBE_OK)
        rc = cs_keyring_load(&ctx->keys, ctx->home);
    if (rc == CASESCRIBE_OK)
        rc = open_store(ctx);
    if (rc == CASESCRIBE_OK)
        rc = cs_ctx_open_keys(ctx);
    if (rc != CASESCRIBE_OK) {
        casescribe_ctx_close(ctx);
        return rc;
    }
    *ctx_out = ctx;
    return CASESCRIBE_OK;
}

int32_t cs_ctx_journal_append(casescribe_ctx *ctx, json_t *entry)
{
    cs_store_txn *tx = NULL;
    int32_t rc = cs_store_begin(ctx->store, CS_STORE_WRITE, &tx);
    if (rc != CASESCRIBE_OK)
        return rc;
    rc = cs_store_append(tx, entry, NULL, NULL);
    if (rc != CASESCRIBE_OK) {
        cs_store_rollback(tx);
        return rc;
    }
    return cs_store_commit(tx);
}

int32_t cs_ctx_head(casescribe_ctx *ctx, const char *record, cs_store_head *head, int *found)
{
    cs_store_txn *tx = NULL;
    *found = 0;
    int32_t rc = cs_store_begin(ctx->store, CS_STORE_READ, &tx);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_head_get(tx, record, head, found);
    cs_store_rollback(tx);
    return rc;
}

void casescribe_ctx_close(casescribe_ctx *ctx)
{
    if (ctx == NULL)
        return;
    /* Jobs first: they use everything below. A forked child has no workers
     * of its own to stop (threads do not survive fork). */
    if (ctx->pid == getpid())
        cs_jobs_shutdown(&ctx->jobs);
    cs_store_close(ctx->store);
    cs_keyring_free(ctx->keys);
    cs_ctx_policies_free(ctx);
    for (size_t i = 0; i < ctx->n_templates; i++)
        cs_template_unref(ctx->templates[i]);
    for (size_t i = 0; i < ctx->n_template_misses; i++)
        free(ctx->template_misses[i]);
    free(ctx->templates);
    free(ctx->template_misses);
    pthread_mutex_destroy(&ctx->policy_lock);
    OPENSSL_cleanse(ctx->fp_secret, sizeof(ctx->fp_secret));
    free(ctx->home);
    free(ctx);
}

/* Remembers that `id` has no template (without memory, it is simply
 * looked for again next time). */
static void remember_miss(casescribe_ctx *ctx, const char *id)
{
    char *copy = cs_strdup(id);
    if (copy == NULL || pthread_mutex_lock(&ctx->policy_lock) != 0) {
        free(copy);
        return;
    }
    char **grown = realloc(ctx->template_misses, (ctx->n_template_misses + 1) * sizeof(*grown));
    if (grown != NULL) {
        ctx->template_misses = grown;
        ctx->template_misses[ctx->n_template_misses++] = copy;
    } else {
        free(copy);
    }
    pthread_mutex_unlock(&ctx->policy_lock);
}

int32_t cs_ctx_template(casescribe_ctx *ctx, const char *id, casescribe_template **out)
{
    *out = NULL;
    if (pthread_mutex_lock(&ctx->policy_lock) != 0)
        return cs_fail(CASESCRIBE_EINTERNAL, "cannot take the policy lock");
    int missed = 0;
    for (size_t i = 0; i < ctx->n_templates && *out == NULL; i++)
        if (strcmp(ctx->templates[i]->id, id) == 0)
            *out = cs_template_ref(ctx->templates[i]);
    for (size_t i = 0; i < ctx->n_template_misses && !missed; i++)
        missed = strcmp(ctx->template_misses[i], id) == 0;
    pthread_mutex_unlock(&ctx->policy_lock);
    if (*out != NULL || missed)
        return CASESCRIBE_OK;
    casescribe_template *found = NULL;
    int32_t rc = cs_template_lookup(&found, ctx->home, ctx->keys, id);
    if (rc == CASESCRIBE_ENOTFOUND) {
        cs_clear_error();
        remember_miss(ctx, id);
        return CASESCRIBE_OK;
    }
    if (rc != CASESCRIBE_OK)
        return rc;
    if (pthread_mutex_lock(&ctx->policy_lock) != 0) {
        *out = found;
        return CASESCRIBE_OK;
    }
    casescribe_template **grown = realloc(ctx->templates, (ctx->n_templates + 1) * sizeof(*grown));
    if (grown != NULL) { /* without room in the cache, it is simply read again next time */
        ctx->templates = grown;
        ctx->templates[ctx->n_templates++] = cs_template_ref(found);
    }
    pthread_mutex_unlock(&ctx->policy_lock);
    *out = found;
    return CASESCRIBE_OK;
}

void cs_ctx_template_forget(casescribe_ctx *ctx, const char *id)
{
    if (pthread_mutex_lock(&ctx->policy_lock) != 0)
        return;
    for (size_t i = 0; i < ctx->n_templates; i++)
        if (strcmp(ctx->templates[i]->id, id) == 0) {
            cs_template_unref(ctx->templates[i]);
            ctx->templates[i--] = ctx->templates[--ctx->n_templates];
        }
    for (size_t i = 0; i < ctx->n_template_misses; i++)
        if (strcmp(ctx->template_misses[i], id) == 0) {
            free(ctx->template_misses[i]);
            ctx->template_misses[i--] = ctx->template_misses[--ctx->n_template_misses];
        }
    pthread_mutex_unlock(&ctx->policy_lock);
}

const char *casescribe_ctx_home(const casescribe_ctx *ctx)
{
    return ctx != NULL ? ctx->home : NULL;
}

int32_t casescribe_keygen(char **key_id_out, casescribe_ctx *ctx, uint32_t flags)
{
    if (key_id_out != NULL)
        *key_id_out = NULL;
    if (ctx == NULL || (flags & ~CASESCRIBE_KEYGEN_ROTATE) != 0)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_keygen: ctx is NULL or flags unknown");
    if (cs_ctx_writable(ctx) != CASESCRIBE_OK)
        return CASESCRIBE_EIO;
    return cs_ctx_keygen(ctx, (flags & CASESCRIBE_KEYGEN_ROTATE) != 0, key_id_out);
}

int32_t casescribe_public_key(char **pem_out, casescribe_ctx *ctx)
{
    if (pem_out != NULL)
        *pem_out = NULL;
    if (pem_out == NULL || ctx == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_public_key: NULL argument");
    return cs_keyring_current_pem(ctx->keys, pem_out);
}

int32_t casescribe_public_key_fingerprint(char **fingerprint_out, const uint8_t *pubkey_pem, size_t pubkey_len)
{
    if (fingerprint_out != NULL)
        *fingerprint_out = NULL;
    cs_clear_error();
    if (fingerprint_out == NULL || pubkey_pem == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_public_key_fingerprint: NULL argument");
    char fp[CS_KEY_FINGERPRINT_MAX];
    int32_t rc = cs_key_fingerprint_of_pem(fp, pubkey_pem, pubkey_len);
    if (rc == CASESCRIBE_OK && (*fingerprint_out = cs_strdup(fp)) == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    return rc;
}
