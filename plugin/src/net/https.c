/* SPDX-License-Identifier: Apache-2.0 */
/* https.c - GET over HTTPS with libcurl, with every limit set. */
#include "net/https.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "jobs/jobs.h"

#define LOW_SPEED_BYTES 64L   /* below this many bytes a second ... */
#define LOW_SPEED_SECONDS 15L /* ... for this long, the transfer is cut off */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

/* curl_global_init once per process; never cleaned up, since the host (or
 * another library in it) may use libcurl too. */
static void init_curl(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct transfer {
    const cs_https_request *req;
    cs_https_response *resp;
    size_t cap;
    int too_big;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct transfer *t = arg;
    size_t len = size * n;
    if (len > t->req->max_bytes - t->resp->len) {
        t->too_big = 1;
        return 0; /* curl stops with CURLE_WRITE_ERROR */
    }
    if (t->resp->len + len > t->cap) {
        size_t cap = t->cap ? t->cap : 16384;
        while (cap < t->resp->len + len)
            cap *= 2;
        if (cap > t->req->max_bytes)
            cap = t->req->max_bytes;
        uint8_t *grown = realloc(t->resp->body, cap + 1);
        if (grown == NULL)
            return 0;
        t->resp->body = grown;
        t->cap = cap;
    }
    memcpy(t->resp->body + t->resp->len, data, len);
    t->resp->len += len;
    return len;
}

/* Keeps the ETag header (quoted, as sent) when it is a sane length. */
static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    struct transfer *t = arg;
    size_t len = size * n;
    if (len > 5 && strncasecmp(data, "etag:", 5) == 0) {
        const char *v = data + 5;
        size_t vlen = len - 5;
        while (vlen > 0 && (*v == ' ' || *v == '\t'))
            v++, vlen--;
        while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
            vlen--;
        if (vlen > 0 && vlen < sizeof(t->resp->etag)) {
            memcpy(t->resp->etag, v, vlen);
            t->resp->etag[vlen] = '\0';
        } else {
            t->resp->etag[0] = '\0';
        }
    }
    return len;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    const struct transfer *t = arg;
    return t->req->job != NULL && cs_job_cancelled(t->req->job); /* non-zero aborts */
}

static int loopback_host(const char *url)
{
    CURLU *u = curl_url();
    char *host = NULL;
    int yes = u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
              (strcmp(host, "127.0.0.1") == 0 || strcmp(host, "[::1]") == 0 || strcmp(host, "localhost") == 0);
    curl_free(host);
    curl_url_cleanup(u);
    return yes;
}

int cs_https_url_allowed(const char *url, int allow_loopback_http)
{
    if (url == NULL || strlen(url) > 2048)
        return 0;
    if (strncasecmp(url, "https://", 8) == 0)
        return 1;
    return allow_loopback_http && strncasecmp(url, "http://", 7) == 0 && loopback_host(url);
}

/* Sets every option; 0 when all took. */
static int set_options(CURL *curl, struct transfer *t, struct curl_slist *headers, char *errbuf)
{
    const cs_https_request *req = t->req;
    /* Plain http only ever to this machine (a local engine's server). */
    const char *protocols = req->allow_loopback_http && strncasecmp(req->url, "http://", 7) == 0 ? "http" : "https";
    int bad = 0;
    bad |= curl_easy_setopt(curl, CURLOPT_URL, req->url) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, protocols) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https") != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK;
    if (req->ca_file != NULL)
        bad |= curl_easy_setopt(curl, CURLOPT_CAINFO, req->ca_file) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)req->connect_timeout_ms) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_BYTES) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, LOW_SPEED_SECONDS) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->max_bytes) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, NULL) != CURLE_OK; /* no decompression bombs */
    bad |= curl_easy_setopt(curl, CURLOPT_USERAGENT, "casescribe/" CASESCRIBE_VERSION_STRING) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_WRITEDATA, t) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_HEADERDATA, t) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_XFERINFODATA, t) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK;
    return bad;
}

/* A header line appended to the list; the line is wiped after use, since
 * it may hold a secret. */
static int32_t add_header(struct curl_slist **list, const char *name, const char *value)
{
    if (strlen(value) > 4096 || strpbrk(value, "\r\n") != NULL)
        return cs_fail(CASESCRIBE_EINVAL, "a %s header value is not usable", name);
    char line[4200];
    snprintf(line, sizeof(line), "%s: %s", name, value);
    struct curl_slist *grown = curl_slist_append(*list, line);
    OPENSSL_cleanse(line, sizeof(line));
    if (grown == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    *list = grown;
    return CASESCRIBE_OK;
}

/* The request's ETag (If-None-Match) and bearer token (Authorization). */
static int32_t make_headers(struct curl_slist **out, const cs_https_request *req, int json)
{
    *out = NULL;
    int32_t rc = json ? add_header(out, "Content-Type", "application/json") : CASESCRIBE_OK;
    if (rc == CASESCRIBE_OK && req->if_none_match != NULL && req->if_none_match[0] != '\0')
        rc = strlen(req->if_none_match) > 250 ? cs_fail(CASESCRIBE_EINVAL, "a stored ETag is not usable")
                                               : add_header(out, "If-None-Match", req->if_none_match);
    if (rc == CASESCRIBE_OK && req->bearer != NULL) {
        char value[4200];
        snprintf(value, sizeof(value), "Bearer %s", req->bearer);
        rc = add_header(out, "Authorization", value);
        OPENSSL_cleanse(value, sizeof(value));
    }
    return rc;
}

/* Frees a header list, wiping each line first (the bearer token). */
static void free_headers(struct curl_slist *list)
{
    for (struct curl_slist *l = list; l != NULL; l = l->next)
        OPENSSL_cleanse(l->data, strlen(l->data));
    curl_slist_free_all(list);
}

/* A certificate the transfer would not trust: curl's words, OpenSSL's
 * verify result and what to do, so an operator can act on it. */
static int32_t tls_failure(CURL *curl, CURLcode code, const char *errbuf, const char *url, const char *ca_file)
{
    long result = 0;
    if (curl_easy_getinfo(curl, CURLINFO_SSL_VERIFYRESULT, &result) != CURLE_OK)
        result = 0;
    const char *why = errbuf[0] ? errbuf : curl_easy_strerror(code);
    const char *x509 = result != 0 ? X509_verify_cert_error_string(result) : "no verify result";
    if (code == CURLE_SSL_CACERT_BADFILE)
        return cs_fail(CASESCRIBE_ENETWORK, "cannot fetch %s: the CA file %s could not be used: %s", url,
                       ca_file != NULL ? ca_file : "(system default)", why);
    return cs_fail(CASESCRIBE_ENETWORK,
                   "cannot fetch %s: the server's TLS certificate is not trusted: %s (certificate verify result "
                   "%ld: %s); trust the CA that issued it with the fetch options' ca_file (in use: %s)",
                   url, why, result, x509, ca_file != NULL ? ca_file : "the system's CAs");
}

static int32_t failure(CURL *curl, CURLcode code, const struct transfer *t, const char *errbuf, const char *url)
{
    if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE)
        return tls_failure(curl, code, errbuf, url, t->req->ca_file);
    if (t->too_big || code == CURLE_FILESIZE_EXCEEDED)
        return cs_fail(CASESCRIBE_ETOOBIG, "%s sent more than %zu bytes: refused", url, t->req->max_bytes);
    if (code == CURLE_ABORTED_BY_CALLBACK)
        return cs_fail(CASESCRIBE_ECANCELLED, "the transfer from %s was cancelled", url);
    if (code == CURLE_WRITE_ERROR)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory receiving from %s", url);
    if (code == CURLE_OUT_OF_MEMORY)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory talking to %s", url);
    return cs_fail(CASESCRIBE_ENETWORK, "cannot fetch %s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(code));
}

/* Builds the multipart body; NULL (and ENOMEM set) on failure. */
static curl_mime *make_form(CURL *curl, const cs_https_part *parts, size_t n)
{
    curl_mime *form = curl_mime_init(curl);
    for (size_t i = 0; form != NULL && i < n; i++) {
        curl_mimepart *p = curl_mime_addpart(form);
        int bad = p == NULL || curl_mime_name(p, parts[i].name) != CURLE_OK ||
                  curl_mime_data(p, parts[i].data, parts[i].len) != CURLE_OK ||
                  (parts[i].filename != NULL && curl_mime_filename(p, parts[i].filename) != CURLE_OK) ||
                  (parts[i].type != NULL && curl_mime_type(p, parts[i].type) != CURLE_OK);
        if (bad) {
            curl_mime_free(form);
            form = NULL;
        }
    }
    if (form == NULL)
        cs_fail(CASESCRIBE_ENOMEM, "out of memory building a request");
    return form;
}

/* What a request sends: nothing (GET), a multipart form, or JSON. */
struct body {
    const cs_https_part *parts;
    size_t n_parts;
    const char *json;
    size_t json_len;
};

static int32_t perform(const cs_https_request *req, const struct body *body, cs_https_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    if (!cs_https_url_allowed(req->url, req->allow_loopback_http))
        return cs_fail(CASESCRIBE_EINVAL, "only https:// URLs of at most 2048 bytes can be used%s",
                       req->allow_loopback_http ? " (or http:// to this machine)" : "");
    if (req->max_bytes == 0 || req->connect_timeout_ms <= 0 || req->timeout_ms <= 0)
        return cs_fail(CASESCRIBE_EINVAL, "a request needs a size limit and timeouts");
    pthread_once(&curl_once, init_curl);
    if (curl_init_result != CURLE_OK)
        return cs_fail(CASESCRIBE_ENETWORK, "libcurl could not start: %s", curl_easy_strerror(curl_init_result));
    struct curl_slist *headers = NULL;
    int32_t rc = make_headers(&headers, req, body->json != NULL);
    if (rc != CASESCRIBE_OK) {
        free_headers(headers);
        return rc;
    }
    CURL *curl = curl_easy_init();
    char errbuf[CURL_ERROR_SIZE] = "";
    struct transfer t = {req, resp, 0, 0};
    curl_mime *form = NULL;
    if (curl == NULL || set_options(curl, &t, headers, errbuf) != 0)
        rc = cs_fail(CASESCRIBE_ENETWORK, "libcurl refused the safe settings this library needs");
    else if (body->parts != NULL && ((form = make_form(curl, body->parts, body->n_parts)) == NULL ||
                                     curl_easy_setopt(curl, CURLOPT_MIMEPOST, form) != CURLE_OK))
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory building a request");
    else if (body->json != NULL && (curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                                                     (curl_off_t)body->json_len) != CURLE_OK ||
                                    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->json) != CURLE_OK))
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory building a request");
    if (rc == CASESCRIBE_OK) {
        CURLcode code = curl_easy_perform(curl);
        if (code != CURLE_OK)
            rc = failure(curl, code, &t, errbuf, req->url);
        else
            curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
    }
    if (rc == CASESCRIBE_OK && resp->status >= 300 && resp->status < 400 && resp->status != 304)
        rc = cs_fail(CASESCRIBE_ENETWORK, "%s answered with a redirect (HTTP %ld), which is not followed",
                     req->url, resp->status);
    curl_easy_cleanup(curl);
    curl_mime_free(form);
    free_headers(headers);
    if (rc == CASESCRIBE_OK && resp->body != NULL)
        resp->body[resp->len] = '\0';
    if (rc != CASESCRIBE_OK)
        cs_https_response_free(resp);
    return rc;
}

int32_t cs_https_get(const cs_https_request *req, cs_https_response *resp)
{
    struct body none = {NULL, 0, NULL, 0};
    return perform(req, &none, resp);
}

int32_t cs_https_post_json(const cs_https_request *req, const char *json, size_t len, cs_https_response *resp)
{
    if (json == NULL || len == 0)
        return cs_fail(CASESCRIBE_EINVAL, "a JSON request needs a body");
    struct body b = {NULL, 0, json, len};
    return perform(req, &b, resp);
}

int32_t cs_https_post_form(const cs_https_request *req, const cs_https_part *parts, size_t n_parts,
                           cs_https_response *resp)
{
    if (parts == NULL || n_parts == 0)
        return cs_fail(CASESCRIBE_EINVAL, "a form needs at least one field");
    struct body b = {parts, n_parts, NULL, 0};
    return perform(req, &b, resp);
}

void cs_https_response_free(cs_https_response *resp)
{
    free(resp->body);
    resp->body = NULL;
    resp->len = 0;
}
