/* SPDX-License-Identifier: Apache-2.0 */
/* policy_refresh.c - a council's policy bundle, from its HTTPS address to
 * the teams' policy files, as a job (network calls never run on the save
 * path, and only jobs reach net/).
 *
 * The home keeps the last good bundle (policy/bundle.xml) and its ETag
 * (policy/bundle.etag), so that a refresh asks the server for the bundle
 * only when it changed, and a failed fetch changes nothing: the teams keep
 * the policies the last good bundle gave them. A bundle is applied team by
 * team through the same path as `casescribe team set` (one new signed
 * version per changed team, one audit entry per changed setting), so saves
 * see it like any other change, and the journal says it came from a bundle.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "context.h"
#include "internal.h"
#include "net/https.h"
#include "policy/bundle.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_MAX_BYTES (1024u * 1024u)
#define MAX_TIMEOUT_MS (10 * 60 * 1000)

struct refresh {
    casescribe_ctx *ctx;
    char *url, *ca_file;
    int32_t connect_timeout_ms, timeout_ms;
    size_t max_bytes;
};

static void refresh_free(void *arg)
{
    struct refresh *r = arg;
    if (r == NULL)
        return;
    free(r->url);
    free(r->ca_file);
    free(r);
}

static void policy_file(char *out, size_t n, const casescribe_ctx *ctx, const char *name)
{
    snprintf(out, n, "%s/policy/%s", ctx->home, name);
}

/* Reads a small file of the policy folder (NUL-terminated). ENOTFOUND
 * when it is missing. */
static int32_t read_policy_file(uint8_t **out, size_t *len, const casescribe_ctx *ctx, const char *name, size_t max)
{
    char path[4200];
    policy_file(path, sizeof(path), ctx, name);
    return cs_read_file(out, len, path, max);
}

/* The admin public key the home trusts for bundles. */
static int32_t admin_keys(cs_keyring **out, const casescribe_ctx *ctx)
{
    uint8_t *pem = NULL;
    size_t len = 0;
    int32_t rc = read_policy_file(&pem, &len, ctx, "admin.pub", 16384);
    if (rc == CASESCRIBE_ENOTFOUND)
        return cs_fail(CASESCRIBE_EKEY, "this home trusts no policy admin key: add one with `casescribe policy "
                                        "trust ADMIN.pub` (casescribe_policy_trust) before fetching bundles");
    if (rc == CASESCRIBE_OK)
        rc = cs_keyring_from_pem(out, pem, len);
    free(pem);
    return rc;
}

/* A bundle older than the latest the journal holds (serial, digest), or of
 * that serial with other content, is refused: policy/bundle.xml alone does
 * not decide, since a file can be deleted or put back. */
static int32_t check_journalled(const cs_bundle *b, uint64_t serial, const char *digest)
{
    if (b->serial > serial || (b->serial == serial && (digest[0] == '\0' || strcmp(digest, b->digest) == 0)))
        return CASESCRIBE_OK;
    if (b->serial == serial)
        return cs_fail(CASESCRIBE_EVERIFY, "the bundle has serial %llu, like the bundle this home's journal holds, "
                                           "but different content: refused",
                       (unsigned long long)b->serial);
    return cs_fail(CASESCRIBE_EVERIFY, "the bundle has serial %llu, older than the %llu this home's journal holds: "
                                       "refused (a replayed old bundle?)",
                   (unsigned long long)b->serial, (unsigned long long)serial);
}

/* The last good bundle, when it still verifies with today's admin key and
 * is not older than the journal's; NULL (and OK) otherwise. */
static int32_t cached_bundle(cs_bundle **out, casescribe_ctx *ctx, cs_keyring *admin)
{
    *out = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    uint64_t serial = 0;
    char digest[CS_DIGEST_LEN];
    int32_t rc = cs_ctx_journalled_bundle(ctx, &serial, digest);
    if (rc == CASESCRIBE_OK)
        rc = read_policy_file(&buf, &len, ctx, "bundle.xml", CS_BUNDLE_MAX_BYTES);
    if (rc == CASESCRIBE_OK && cs_bundle_read(out, buf, len, admin) == CASESCRIBE_ENOMEM)
        rc = CASESCRIBE_ENOMEM;
    free(buf);
    if (rc == CASESCRIBE_ENOTFOUND || rc == CASESCRIBE_ETOOBIG)
        rc = CASESCRIBE_OK;
    if (*out != NULL && check_journalled(*out, serial, digest) != CASESCRIBE_OK) {
        cs_bundle_free(*out);
        *out = NULL;
    }
    if (rc == CASESCRIBE_OK)
        cs_clear_error();
    return rc;
}

/* Journals a bundle about to be taken, unless the journal holds it already:
 * so that the journal, not the cached file, knows the latest serial, even
 * when the bundle changes no team. */
static int32_t journal_bundle(casescribe_ctx *ctx, const cs_bundle *b)
{
    uint64_t serial = 0;
    char digest[CS_DIGEST_LEN], at[21];
    int32_t rc = cs_ctx_journalled_bundle(ctx, &serial, digest);
    if (rc != CASESCRIBE_OK)
        return rc;
    rc = check_journalled(b, serial, digest);
    if (rc != CASESCRIBE_OK || (b->serial == serial && strcmp(digest, b->digest) == 0))
        return rc;
    cs_format_time(at, cs_now());
    json_t *e = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "kind", "policy-bundle", "serial", (json_int_t)b->serial,
                          "digest", b->digest, "issued-by", b->issued_by, "issued-at", b->issued_at, "time", at);
    rc = e != NULL ? cs_ctx_journal_append(ctx, e) : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    json_decref(e);
    return rc;
}

/* The ETag of the cached bundle, "" when there is none. */
static void cached_etag(char out[256], const casescribe_ctx *ctx)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    out[0] = '\0';
    if (read_policy_file(&buf, &len, ctx, "bundle.etag", 255) == CASESCRIBE_OK && len > 0 &&
        strpbrk((char *)buf, "\r\n") == NULL)
        memcpy(out, buf, len + 1);
    free(buf);
    cs_clear_error();
}

/* Under the policy lock: the teams of `b`, each brought to what it says. */
static int32_t apply_bundle(casescribe_ctx *ctx, const cs_bundle *b, cs_buf *report)
{
    size_t changed = 0;
    for (size_t i = 0; i < b->n_teams; i++) {
        int team_changed = 0;
        int32_t rc = cs_ctx_policy_apply(ctx, b->teams[i], b->issued_by, b->serial, &team_changed);
        if (rc != CASESCRIBE_OK)
            return rc;
        if (team_changed)
            cs_buf_printf(report, "%s%s", changed++ ? ", " : " changed: ", b->teams[i]->team);
    }
    cs_buf_printf(report, "%s\n", changed ? "" : " every team already as the bundle says");
    return CASESCRIBE_OK;
}

/* Under the policy lock: a fetched bundle replaces the last good one only
 * when it is not older (and not older than the journal's, journal_bundle).
 * Equal serials must be the same bundle. */
static int32_t check_serial(const cs_bundle *fresh, const cs_bundle *last)
{
    if (last == NULL || fresh->serial > last->serial)
        return CASESCRIBE_OK;
    if (fresh->serial == last->serial && strcmp(fresh->digest, last->digest) == 0)
        return CASESCRIBE_OK;
    if (fresh->serial == last->serial)
        return cs_fail(CASESCRIBE_EVERIFY, "the fetched bundle has serial %llu, like the bundle in force, but "
                                           "different content: refused (a bundle's serial must grow with each "
                                           "change)",
                       (unsigned long long)fresh->serial);
    return cs_fail(CASESCRIBE_EVERIFY, "the fetched bundle has serial %llu, older than the %llu in force: refused "
                                       "(a replayed old bundle?)",
                   (unsigned long long)fresh->serial, (unsigned long long)last->serial);
}

static int32_t store_bundle(const casescribe_ctx *ctx, const cs_https_response *resp)
{
    char path[4200];
    policy_file(path, sizeof(path), ctx, "bundle.xml");
    int32_t rc = cs_write_file_atomic(path, resp->body, resp->len, 0644);
    policy_file(path, sizeof(path), ctx, "bundle.etag");
    if (rc == CASESCRIBE_OK && resp->etag[0] != '\0')
        rc = cs_write_file_atomic(path, resp->etag, strlen(resp->etag), 0644);
    else if (rc == CASESCRIBE_OK && unlink(path) != 0 && errno != ENOENT)
        rc = cs_fail(CASESCRIBE_EIO, "cannot remove %s: %s", path, strerror(errno));
    return rc;
}

/* After the fetch, under the policy lock: check, keep and apply. */
static int32_t take_answer(struct refresh *r, cs_keyring *admin, const cs_https_response *resp, cs_buf *report)
{
    cs_bundle *last = NULL, *fresh = NULL;
    int32_t rc = cached_bundle(&last, r->ctx, admin); /* again: another process may have refreshed meanwhile */
    if (rc == CASESCRIBE_OK && resp->status == 304) {
        if (last == NULL)
            rc = cs_fail(CASESCRIBE_ENETWORK, "%s answered 304 Not Modified, but this home has no bundle", r->url);
        else
            cs_buf_printf(report, "not modified: bundle %llu from %s is in force;", (unsigned long long)last->serial,
                          r->url);
        if (rc == CASESCRIBE_OK)
            rc = apply_bundle(r->ctx, last, report); /* a team changed by hand since goes back to the bundle */
    } else if (rc == CASESCRIBE_OK) {
        rc = cs_bundle_read(&fresh, resp->body, resp->len, admin);
        if (rc == CASESCRIBE_OK)
            rc = check_serial(fresh, last);
        if (rc == CASESCRIBE_OK)
            rc = journal_bundle(r->ctx, fresh);
        if (rc == CASESCRIBE_OK)
            rc = store_bundle(r->ctx, resp);
        if (rc == CASESCRIBE_OK) {
            cs_buf_printf(report, "bundle %llu issued by %s at %s, from %s;", (unsigned long long)fresh->serial,
                          fresh->issued_by, fresh->issued_at, r->url);
            rc = apply_bundle(r->ctx, fresh, report);
        }
    }
    cs_bundle_free(last);
    cs_bundle_free(fresh);
    return rc;
}

static int32_t run_refresh(casescribe_job *job, void *arg, char **result)
{
    struct refresh *r = arg;
    cs_keyring *admin = NULL;
    cs_bundle *last = NULL;
    char etag[256] = "";
    int32_t rc = admin_keys(&admin, r->ctx); /* no trusted key: nothing to fetch */
    if (rc == CASESCRIBE_OK)
        rc = cached_bundle(&last, r->ctx, admin);
    if (rc == CASESCRIBE_OK && last != NULL)
        cached_etag(etag, r->ctx); /* an ETag only with a bundle to fall back on */
    cs_https_request req = {r->url, r->ca_file, etag[0] ? etag : NULL, r->connect_timeout_ms, r->timeout_ms,
                            r->max_bytes, job, NULL, 0};
    cs_https_response resp = {0};
    if (rc == CASESCRIBE_OK)
        rc = cs_https_get(&req, &resp);
    if (rc == CASESCRIBE_OK && resp.status != 200 && resp.status != 304)
        rc = cs_fail(CASESCRIBE_ENETWORK, "%s answered HTTP %ld: the policies in force are kept", r->url, resp.status);
    cs_buf report = {0};
    if (rc == CASESCRIBE_OK) {
        int fd = cs_ctx_lock_policies(r->ctx);
        rc = fd >= 0 ? take_answer(r, admin, &resp, &report) : CASESCRIBE_EIO;
        if (fd >= 0)
            cs_ctx_unlock_policies(fd);
    }
    if (rc == CASESCRIBE_OK && (*result = cs_buf_take(&report)) == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    cs_buf_free(&report);
    cs_https_response_free(&resp);
    cs_bundle_free(last);
    cs_keyring_free(admin);
    return rc;
}

/* ---- the public interface ------------------------------------------------- */

int32_t casescribe_fetch_options_init(casescribe_fetch_options *opts, uint32_t struct_size)
{
    if (opts == NULL || struct_size != sizeof(*opts)) /* one layout so far; later ones will accept this size */
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_fetch_options_init: pass sizeof(casescribe_fetch_options)");
    memset(opts, 0, sizeof(*opts));
    opts->struct_size = (uint32_t)sizeof(*opts);
    opts->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
    opts->timeout_ms = DEFAULT_TIMEOUT_MS;
    opts->max_bytes = DEFAULT_MAX_BYTES;
    return CASESCRIBE_OK;
}

static int32_t check_fetch_options(const casescribe_fetch_options *o)
{
    if (o->struct_size < sizeof(*o))
        return cs_fail(CASESCRIBE_EINVAL, "fetch options not initialised: call casescribe_fetch_options_init");
    if (o->url == NULL || strncmp(o->url, "https://", 8) != 0 || strlen(o->url) > 2048)
        return cs_fail(CASESCRIBE_EINVAL, "the bundle's address must be an https:// URL of at most 2048 bytes");
    if (o->connect_timeout_ms <= 0 || o->connect_timeout_ms > MAX_TIMEOUT_MS || o->timeout_ms <= 0 ||
        o->timeout_ms > MAX_TIMEOUT_MS)
        return cs_fail(CASESCRIBE_EINVAL, "timeouts are from 1 ms to 10 minutes");
    if (o->max_bytes == 0 || o->max_bytes > CS_BUNDLE_MAX_BYTES)
        return cs_fail(CASESCRIBE_EINVAL, "max_bytes is from 1 to %u", CS_BUNDLE_MAX_BYTES);
    return CASESCRIBE_OK;
}

int32_t casescribe_policy_refresh(casescribe_job **job_out, casescribe_ctx *ctx, const casescribe_fetch_options *opts)
{
    if (job_out != NULL)
        *job_out = NULL;
    if (job_out == NULL || ctx == NULL || opts == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_policy_refresh: job_out, ctx and opts are required");
    if (cs_ctx_writable(ctx) != CASESCRIBE_OK)
        return CASESCRIBE_EIO;
    if (cs_ctx_elsewhere(ctx))
        return CASESCRIBE_EINVAL;
    int32_t rc = check_fetch_options(opts);
    if (rc != CASESCRIBE_OK)
        return rc;
    cs_clear_error();
    struct refresh *r = calloc(1, sizeof(*r));
    if (r == NULL || (r->url = cs_strdup(opts->url)) == NULL ||
        (opts->ca_file != NULL && (r->ca_file = cs_strdup(opts->ca_file)) == NULL)) {
        refresh_free(r);
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    }
    r->ctx = ctx;
    r->connect_timeout_ms = opts->connect_timeout_ms;
    r->timeout_ms = opts->timeout_ms;
    r->max_bytes = opts->max_bytes;
    return cs_jobs_submit(&ctx->jobs, "policy-refresh", run_refresh, r, refresh_free, job_out);
}

int32_t casescribe_policy_trust(casescribe_ctx *ctx, const char *actor_id, const char *pem, size_t pem_len)
{
    if (ctx == NULL || pem == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_policy_trust: ctx and pem are required");
    if (cs_ctx_writable(ctx) != CASESCRIBE_OK)
        return CASESCRIBE_EIO;
    if (!cs_valid_id(actor_id))
        return cs_fail(CASESCRIBE_EINVAL, "actor id must be 1-128 characters of A-Z a-z 0-9 . _ : @ / + -");
    if (cs_ctx_elsewhere(ctx))
        return CASESCRIBE_EINVAL;
    cs_clear_error();
    char key_id[CS_KEY_ID_MAX], old_id[CS_KEY_ID_MAX] = "", at[21], path[4200];
    int32_t rc = cs_key_id_of_pem(key_id, (const uint8_t *)pem, pem_len);
    if (rc != CASESCRIBE_OK)
        return rc;
    int fd = cs_ctx_lock_policies(ctx);
    if (fd < 0)
        return CASESCRIBE_EIO;
    uint8_t *old = NULL;
    size_t old_len = 0;
    if (read_policy_file(&old, &old_len, ctx, "admin.pub", 16384) == CASESCRIBE_OK &&
        cs_key_id_of_pem(old_id, old, old_len) != CASESCRIBE_OK)
        snprintf(old_id, sizeof(old_id), "unreadable");
    free(old);
    cs_clear_error();
    if (strcmp(old_id, key_id) == 0) {
        cs_ctx_unlock_policies(fd);
        return CASESCRIBE_OK; /* already trusted: nothing to record */
    }
    cs_format_time(at, cs_now());
    json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", "policy-trust", "actor", actor_id, "time", at, "old",
                          old_id, "new", key_id);
    rc = e != NULL ? cs_ctx_journal_append(ctx, e) : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    json_decref(e);
    policy_file(path, sizeof(path), ctx, "admin.pub");
    if (rc == CASESCRIBE_OK)
        rc = cs_write_file_atomic(path, pem, pem_len, 0644);
    cs_ctx_unlock_policies(fd);
    return rc;
}

int32_t casescribe_policy_bundle_sign(uint8_t **out, size_t *out_len, const uint8_t *bundle, size_t bundle_len,
                                      const char *admin_key_path)
{
    if (out != NULL)
        *out = NULL;
    if (out_len != NULL)
        *out_len = 0;
    if (out == NULL || out_len == NULL || bundle == NULL || admin_key_path == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_policy_bundle_sign: NULL argument");
    cs_clear_error();
    EVP_PKEY *key = NULL;
    char key_id[CS_KEY_ID_MAX];
    int32_t rc = cs_key_file_private(&key, key_id, admin_key_path);
    if (rc == CASESCRIBE_OK)
        rc = cs_bundle_sign(out, out_len, bundle, bundle_len, key, key_id);
    EVP_PKEY_free(key);
    return rc;
}
