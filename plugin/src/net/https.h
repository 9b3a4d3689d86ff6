/* SPDX-License-Identifier: Apache-2.0 */
/* https.h - the library's one way onto the network: an HTTPS request with
 * libcurl, hardened as every call from inside a host's process must be.
 * Only jobs call it (never the save path).
 *
 * Always: https only (no other protocol, no redirects followed), TLS 1.2 or
 * later with peer and host verification on, connect and total timeouts, a
 * slow-transfer cut-off, a body size limit enforced while receiving, no
 * signals, cancellable through the job.
 */
#ifndef CS_NET_HTTPS_H
#define CS_NET_HTTPS_H

#include <stddef.h>
#include <stdint.h>

#include "casescribe.h"

typedef struct cs_https_request {
    const char *url;           /* https://... (http:// only to this machine, see allow_loopback_http) */
    const char *ca_file;       /* extra PEM trust anchors (a council's own CA); NULL: the system's */
    const char *if_none_match; /* an ETag from an earlier answer, or NULL */
    int32_t connect_timeout_ms;
    int32_t timeout_ms;
    size_t max_bytes;             /* a longer body fails with ETOOBIG */
    const casescribe_job *job;    /* cancels the transfer when cancelled; may be NULL */
    const char *bearer;           /* sent as "Authorization: Bearer ..."; never in a message or a log */
    int allow_loopback_http;      /* 1: http:// is accepted when the host is 127.0.0.1, [::1] or localhost */
} cs_https_request;

/* One field of a multipart/form-data POST. */
typedef struct cs_https_part {
    const char *name;
    const char *filename; /* NULL for a plain field */
    const char *type;     /* NULL for a plain field */
    const void *data;
    size_t len;
} cs_https_part;

typedef struct cs_https_response {
    long status; /* the HTTP status: 200, 304, ... */
    uint8_t *body;
    size_t len;
    char etag[256]; /* "" when the server sent none (or one too long to keep) */
} cs_https_response;

/* Performs a GET. OK for any HTTP answer (the caller reads `status`);
 * ENETWORK (cannot connect, TLS refused, timed out, a redirect), ETOOBIG,
 * ECANCELLED, EINVAL (not an https URL), ENOMEM. The message never holds
 * the body. Free the response with cs_https_response_free. */
int32_t cs_https_get(const cs_https_request *req, cs_https_response *resp);
/* POSTs `parts` as multipart/form-data. The same limits and errors. */
int32_t cs_https_post_form(const cs_https_request *req, const cs_https_part *parts, size_t n_parts,
                           cs_https_response *resp);
/* POSTs `len` bytes of JSON (Content-Type: application/json). The same
 * limits and errors; the message never holds the body. */
int32_t cs_https_post_json(const cs_https_request *req, const char *json, size_t len, cs_https_response *resp);
void cs_https_response_free(cs_https_response *resp);

/* 1 when `url` is one the client accepts: https, or http to a loopback
 * host when `allow_loopback_http`. */
int cs_https_url_allowed(const char *url, int allow_loopback_http);

#endif
