/* SPDX-License-Identifier: Apache-2.0 */
/* adapter.c - the adapter registry, and the two calls the pipeline makes
 * through it.
 *
 * The registry is process-wide (like libgit2's transports and filters): a
 * vendor registers an adapter once and every context, and the functions
 * that take no context, find it by name. Each entry counts the calls using
 * it, so that unregistering never pulls an adapter out from under a save or
 * a job: the entry is unlinked at once, and freed (and its `destroy` called)
 * when the last call using it returns. */
#include "adapter.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "internal.h"
#include "names.h"
#include "record/form_xml.h"
#include "record/record.h"
#include "xml/safe_parse.h"

/* What a callback's output may grow to: a form or payload is at most
 * CASESCRIBE_MAX_PAYLOAD, and a conversion may well make it larger
 * (FHIR JSON is wordier than the reference form). */
#define CS_MAX_ADAPTER_OUTPUT (4u * CASESCRIBE_MAX_PAYLOAD)
#define CS_MAX_ADAPTER_NAME 32
#define CS_MAX_BUILTIN 8

struct cs_adapter_use {
    casescribe_adapter a; /* a.name points at `name` */
    char name[CS_MAX_ADAPTER_NAME + 1];
    int builtin;
    int unlinked; /* unregistered: no new calls; freed when uses reaches 0 */
    unsigned uses;
    struct cs_adapter_use *next;
};
typedef struct cs_adapter_use entry;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static entry *registry;
static int builtins_loaded;

/* ---- the registry ------------------------------------------------------ */

static int valid_name(const char *name)
{
    size_t n = 0;
    for (; name != NULL && name[n] != '\0'; n++) {
        char c = name[n];
        if (n >= CS_MAX_ADAPTER_NAME || !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
    }
    return n > 0;
}

/* The struct of contract 1: everything before decode_named. An adapter
 * built against a 1.5/1.6 header passes this size and version 1. */
#define CS_ADAPTER_V1_SIZE offsetof(casescribe_adapter, decode_named)

static int known_size(uint32_t size)
{
    return size == sizeof(casescribe_adapter) || size == CS_ADAPTER_V1_SIZE;
}

static int32_t check_adapter(const casescribe_adapter *a)
{
    if (a == NULL || !known_size(a->struct_size))
        return cs_fail(CASESCRIBE_EINVAL, "adapter not initialised: call casescribe_adapter_init first");
    if (a->version < 1 || a->version > CASESCRIBE_ADAPTER_VERSION ||
        (a->struct_size == CS_ADAPTER_V1_SIZE && a->version != 1))
        return cs_fail(CASESCRIBE_EINVAL, "adapter contract version %u is not one this library knows (1-%u)",
                       (unsigned)a->version, (unsigned)CASESCRIBE_ADAPTER_VERSION);
    if (!valid_name(a->name))
        return cs_fail(CASESCRIBE_EINVAL, "an adapter name is 1-%d characters of a-z 0-9 - _", CS_MAX_ADAPTER_NAME);
    int named = a->struct_size > CS_ADAPTER_V1_SIZE && a->version >= 2 && a->decode_named != NULL;
    if ((a->decode == NULL && !named) || a->encode == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "adapter '%s' needs both decode and encode", a->name);
    return CASESCRIBE_OK;
}

static entry *find_locked(const char *name)
{
    for (entry *e = registry; name != NULL && e != NULL; e = e->next)
        if (!e->unlinked && strcmp(e->name, name) == 0)
            return e;
    return NULL;
}

static int32_t add_locked(const casescribe_adapter *a, int builtin)
{
    if (find_locked(a->name) != NULL)
        return cs_fail(CASESCRIBE_ECONFLICT, "an adapter called '%s' is registered already", a->name);
    entry *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    memcpy(&e->a, a, a->struct_size); /* a contract-1 struct is shorter: the rest stays NULL */
    if (e->a.version < 2)
        e->a.decode_named = NULL;
    snprintf(e->name, sizeof(e->name), "%s", a->name);
    e->a.name = e->name;
    e->builtin = builtin;
    e->next = registry;
    registry = e;
    return CASESCRIBE_OK;
}

/* Built-ins are registered on first use, under the lock; a failure (out of
 * memory) is retried by the next call. */
static int32_t load_builtins_locked(void)
{
    if (builtins_loaded)
        return CASESCRIBE_OK;
    casescribe_adapter list[CS_MAX_BUILTIN];
    size_t n = cs_builtin_adapters(list, CS_MAX_BUILTIN);
    for (size_t i = 0; i < n; i++) {
        if (find_locked(list[i].name) != NULL)
            continue;
        int32_t rc = check_adapter(&list[i]);
        if (rc == CASESCRIBE_OK)
            rc = add_locked(&list[i], 1);
        if (rc != CASESCRIBE_OK)
            return rc;
    }
    builtins_loaded = 1;
    return CASESCRIBE_OK;
}

/* Takes a use of the adapter called `name` (ENOTFOUND when there is none).
 * Drop it with cs_adapter_release(). */
int32_t cs_adapter_acquire(entry **out, const char *name)
{
    pthread_mutex_lock(&registry_lock);
    int32_t rc = load_builtins_locked();
    entry *e = rc == CASESCRIBE_OK ? find_locked(name) : NULL;
    if (e != NULL)
        e->uses++;
    pthread_mutex_unlock(&registry_lock);
    if (e == NULL && rc == CASESCRIBE_OK)
        rc = cs_fail(CASESCRIBE_ENOTFOUND, "no adapter called '%s' is registered", name != NULL ? name : "(null)");
    *out = e;
    return rc;
}

/* Unlinks and frees `e` once it is unregistered and unused; destroy runs
 * outside the lock, since it is the vendor's code. */
void cs_adapter_release(entry *e)
{
    entry *dead = NULL;
    pthread_mutex_lock(&registry_lock);
    if (--e->uses == 0 && e->unlinked) {
        for (entry **p = &registry; *p != NULL; p = &(*p)->next)
            if (*p == e) {
                *p = e->next;
                break;
            }
        dead = e;
    }
    pthread_mutex_unlock(&registry_lock);
    if (dead != NULL && dead->a.destroy != NULL)
        dead->a.destroy(dead->a.user);
    free(dead);
}

int32_t casescribe_adapter_init(casescribe_adapter *adapter, uint32_t struct_size)
{
    if (adapter == NULL || !known_size(struct_size))
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_adapter_init: pass sizeof(casescribe_adapter)");
    memset(adapter, 0, struct_size);
    adapter->struct_size = struct_size;
    adapter->version = struct_size == CS_ADAPTER_V1_SIZE ? 1u : CASESCRIBE_ADAPTER_VERSION;
    return CASESCRIBE_OK;
}

int32_t casescribe_adapter_register(const casescribe_adapter *adapter)
{
    int32_t rc = check_adapter(adapter);
    if (rc != CASESCRIBE_OK)
        return rc;
    pthread_mutex_lock(&registry_lock);
    rc = load_builtins_locked();
    if (rc == CASESCRIBE_OK)
        rc = add_locked(adapter, 0);
    pthread_mutex_unlock(&registry_lock);
    return rc;
}

int32_t casescribe_adapter_unregister(const char *name)
{
    pthread_mutex_lock(&registry_lock);
    int32_t rc = load_builtins_locked();
    entry *e = rc == CASESCRIBE_OK ? find_locked(name) : NULL;
    if (rc != CASESCRIBE_OK)
        ;
    else if (e == NULL)
        rc = cs_fail(CASESCRIBE_ENOTFOUND, "no adapter called '%s' is registered", name != NULL ? name : "(null)");
    else if (e->builtin)
        rc = cs_fail(CASESCRIBE_EINVAL, "the built-in adapter '%s' cannot be unregistered", name);
    else {
        e->unlinked = 1;
        e->uses++; /* released below, which frees it when no call holds it */
    }
    pthread_mutex_unlock(&registry_lock);
    if (rc == CASESCRIBE_OK)
        cs_adapter_release(e);
    return rc;
}

/* ---- buffers and errors for callbacks ---------------------------------- */

int32_t casescribe_buf_append(casescribe_buf *buf, const uint8_t *data, size_t len)
{
    if (buf == NULL || (data == NULL && len > 0))
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_buf_append: buf and data are required");
    if (len > CS_MAX_ADAPTER_OUTPUT - buf->len)
        return cs_fail(CASESCRIBE_ETOOBIG, "an adapter's output may be at most %u bytes",
                       (unsigned)CS_MAX_ADAPTER_OUTPUT);
    if (buf->len + len + 1 > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 4096;
        while (cap < buf->len + len + 1)
            cap *= 2;
        uint8_t *grown = realloc(buf->data, cap);
        if (grown == NULL)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
        buf->data = grown;
        buf->cap = cap;
    }
    if (len > 0)
        memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0'; /* so that text output is a C string too */
    return CASESCRIBE_OK;
}

int32_t casescribe_set_error(int32_t status, const char *message)
{
    cs_fail(status, "%s", message != NULL ? message : "");
    return status;
}

/* An adapter's status as the library reports it: its own when it is one a
 * callback may give, EINTERNAL otherwise; and a message when it left none. */
static int32_t callback_status(const entry *e, const char *what, int32_t rc)
{
    switch (rc) {
    case CASESCRIBE_OK:
        return rc;
    case CASESCRIBE_EINVAL:
    case CASESCRIBE_ENOMEM:
    case CASESCRIBE_EPARSE:
    case CASESCRIBE_ESCHEMA:
    case CASESCRIBE_ETOOBIG:
    case CASESCRIBE_EKEY:
        if (casescribe_last_error()[0] == '\0')
            cs_fail(rc, "adapter '%s' could not %s: %s", e->name, what, casescribe_strerror(rc));
        return rc;
    default:
        return cs_fail(CASESCRIBE_EINTERNAL, "adapter '%s' returned status %d from %s, which adapters may not give",
                       e->name, (int)rc, what);
    }
}

/* ---- the pipeline's two calls ------------------------------------------ */

static int32_t call_decode(const entry *e, casescribe_buf *form, const uint8_t *payload, size_t len,
                           const uint8_t *names, size_t names_len)
{
    if (e->a.decode_named != NULL)
        return e->a.decode_named(e->a.user, form, payload, len, names, names != NULL ? names_len : 0);
    return e->a.decode(e->a.user, form, payload, len);
}

int32_t cs_adapter_decode_with(cs_record **out, cs_adapter_use *e, const uint8_t *payload, size_t len)
{
    return cs_adapter_decode_named(out, e, payload, len, NULL, 0);
}

int32_t cs_adapter_decode_named(cs_record **out, cs_adapter_use *e, const uint8_t *payload, size_t len,
                                const uint8_t *names, size_t names_len)
{
    *out = NULL;
    if (payload == NULL && len > 0)
        return cs_fail(CASESCRIBE_EINVAL, "payload is NULL");
    if (len > CASESCRIBE_MAX_PAYLOAD)
        return cs_fail(CASESCRIBE_ETOOBIG, "the payload is %zu bytes; the limit is %u", len,
                       (unsigned)CASESCRIBE_MAX_PAYLOAD);
    casescribe_buf form = {0};
    static const uint8_t empty[1];
    cs_clear_error();
    int32_t rc = callback_status(e, "decode", call_decode(e, &form, payload ? payload : empty, len, names, names_len));
    /* Whatever the adapter made is hostile input like any payload: the same
     * parser, the same size limit, the same schema and rules. */
    if (rc == CASESCRIBE_OK && form.len > CASESCRIBE_MAX_PAYLOAD)
        rc = cs_fail(CASESCRIBE_ETOOBIG, "adapter '%s' made a form of %zu bytes; the limit is %u", e->name,
                     form.len, (unsigned)CASESCRIBE_MAX_PAYLOAD);
    if (rc == CASESCRIBE_OK)
        rc = cs_form_decode(out, form.data ? form.data : empty, form.len);
    if (rc == CASESCRIBE_OK && (rc = cs_record_check_cites(*out)) != CASESCRIBE_OK) {
        cs_record_free(*out);
        *out = NULL;
    }
    free(form.data);
    return rc;
}

int32_t cs_adapter_decode_home(cs_record **out, cs_adapter_use *e, casescribe_ctx *ctx, const uint8_t *payload,
                               size_t len)
{
    uint8_t *names = NULL; /* the home's external names, for adapters that read them */
    size_t names_len = 0;
    int32_t rc = CASESCRIBE_OK;
    *out = NULL;
    if (e->a.decode_named != NULL && ctx != NULL)
        rc = cs_names_load(&names, &names_len, ctx->home, ctx->keys);
    if (rc == CASESCRIBE_OK)
        rc = cs_adapter_decode_named(out, e, payload, len, names, names_len);
    free(names);
    return rc;
}

int32_t cs_adapter_decode_in(cs_record **out, const char *adapter, casescribe_ctx *ctx, const uint8_t *payload,
                             size_t len)
{
    *out = NULL;
    entry *e = NULL;
    int32_t rc = cs_adapter_acquire(&e, adapter);
    if (rc != CASESCRIBE_OK)
        return rc;
    rc = cs_adapter_decode_home(out, e, ctx, payload, len);
    cs_adapter_release(e);
    return rc;
}

int32_t cs_adapter_decode(cs_record **out, const char *adapter, const uint8_t *payload, size_t len)
{
    *out = NULL;
    entry *e = NULL;
    int32_t rc = cs_adapter_acquire(&e, adapter);
    if (rc != CASESCRIBE_OK)
        return rc;
    rc = cs_adapter_decode_with(out, e, payload, len);
    cs_adapter_release(e);
    return rc;
}

int32_t cs_adapter_encode_with(uint8_t **out, size_t *out_len, cs_adapter_use *e, casescribe_ctx *ctx,
                               const cs_record *r, const uint8_t *original, size_t original_len)
{
    *out = NULL;
    *out_len = 0;
    uint8_t *form = NULL;
    size_t form_len = 0;
    int32_t rc = cs_form_encode(&form, &form_len, r);
    if (rc != CASESCRIBE_OK)
        return rc;
    return cs_adapter_encode_form(out, out_len, e, ctx, form, form_len, original, original_len);
}

int32_t cs_adapter_encode_form(uint8_t **out, size_t *out_len, cs_adapter_use *e, casescribe_ctx *ctx, uint8_t *form,
                               size_t form_len, const uint8_t *original, size_t original_len)
{
    int32_t rc = CASESCRIBE_OK;
    *out = NULL;
    *out_len = 0;
    if (form_len > CASESCRIBE_MAX_PAYLOAD)
        rc = cs_fail(CASESCRIBE_ETOOBIG, "the stamped record would be %zu bytes, more than the %u that verify and "
                                         "the next save can read: make its sections shorter",
                     form_len, (unsigned)CASESCRIBE_MAX_PAYLOAD);
    if (rc != CASESCRIBE_OK) {
        free(form);
        return rc;
    }
    static const uint8_t empty[1];
    casescribe_buf payload = {0};
    cs_clear_error();
    rc = callback_status(e, "encode",
                         e->a.encode(e->a.user, &payload, ctx, form, form_len, original ? original : empty,
                                     original ? original_len : 0));
    free(form);
    if (rc == CASESCRIBE_OK && payload.len == 0)
        rc = cs_fail(CASESCRIBE_EINTERNAL, "adapter '%s' encoded the record as nothing", e->name);
    if (rc == CASESCRIBE_OK && payload.len > CASESCRIBE_MAX_PAYLOAD)
        rc = cs_fail(CASESCRIBE_ETOOBIG, "adapter '%s' made a stamped payload of %zu bytes, more than the %u that "
                                         "verify and the next save can read: make the record's sections shorter",
                     e->name, payload.len, (unsigned)CASESCRIBE_MAX_PAYLOAD);
    if (rc != CASESCRIBE_OK) {
        free(payload.data);
        return rc;
    }
    *out = payload.data;
    *out_len = payload.len;
    return CASESCRIBE_OK;
}

/* ---- the hardened parser, for adapters that read XML -------------------- */

int32_t casescribe_xml_parse(void **doc_out, const uint8_t *xml, size_t xml_len)
{
    if (doc_out == NULL || (xml == NULL && xml_len > 0))
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_xml_parse: doc_out and xml are required");
    *doc_out = NULL;
    static const uint8_t empty[1];
    xmlDocPtr doc = NULL;
    int32_t rc = cs_xml_parse(&doc, xml ? xml : empty, xml_len, CASESCRIBE_MAX_PAYLOAD);
    *doc_out = doc;
    return rc;
}

void casescribe_xml_free(void *doc)
{
    if (doc != NULL)
        xmlFreeDoc((xmlDocPtr)doc);
}
