/* SPDX-License-Identifier: Apache-2.0 */
/* adapter_race.c - saves on several threads through a vendor's adapter
 * while another thread registers and unregisters it over and over: a
 * save either finds the adapter and finishes with it, or finds no adapter
 * (ENOTFOUND); an adapter is never destroyed while a call is inside it,
 * and each registration is destroyed exactly once.
 *
 * Uses only the public header, like a host. A TAP program so that CI can
 * run it under ThreadSanitizer (./configure --enable-tsan), as policy_race. */
#define _DEFAULT_SOURCE /* usleep */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "casescribe.h"

#define SAVERS 3
#define CYCLES 60

static const char form[] =
    "<form xmlns=\"urn:casescribe:form:1\" id=\"%s\" template=\"statutory-home-visit\" team=\"t\" author=\"sw-1\">"
    "<subject id=\"P-1\" role=\"parent\"/>"
    "<section id=\"s\" origin=\"human\">Notes %s.</section></form>";

/* One registration's state. `inside` counts calls in its callbacks; its
 * destroy checks that none is. */
struct registration {
    pthread_mutex_t lock;
    int inside, destroyed, used_after_destroy;
};

static casescribe_ctx *ctx;
static pthread_mutex_t counts = PTHREAD_MUTEX_INITIALIZER;
static int saved, not_found, other_errors, destroyed_while_inside, destroys;
static int stop; /* set when the registering thread is done */

static void enter(struct registration *r)
{
    pthread_mutex_lock(&r->lock);
    r->inside++;
    r->used_after_destroy += r->destroyed;
    pthread_mutex_unlock(&r->lock);
}

static void leave(struct registration *r)
{
    pthread_mutex_lock(&r->lock);
    r->inside--;
    pthread_mutex_unlock(&r->lock);
}

static int32_t pass_decode(void *user, casescribe_buf *out, const uint8_t *payload, size_t len)
{
    enter(user);
    usleep(200); /* widen the window in which unregister can arrive */
    int32_t rc = casescribe_buf_append(out, payload, len);
    leave(user);
    return rc;
}

static int32_t pass_encode(void *user, casescribe_buf *out, casescribe_ctx *c, const uint8_t *f, size_t flen,
                           const uint8_t *orig, size_t olen)
{
    (void)c;
    (void)orig;
    (void)olen;
    enter(user);
    int32_t rc = casescribe_buf_append(out, f, flen);
    leave(user);
    return rc;
}

static void pass_destroy(void *user)
{
    struct registration *r = user;
    pthread_mutex_lock(&r->lock);
    if (r->inside != 0)
        destroyed_while_inside++;
    r->destroyed++;
    pthread_mutex_unlock(&r->lock);
    pthread_mutex_lock(&counts);
    destroys++;
    pthread_mutex_unlock(&counts);
}

static void *saver(void *arg)
{
    int me = (int)(intptr_t)arg;
    casescribe_actor actor;
    casescribe_actor_init(&actor, sizeof(actor));
    actor.user_id = "sw-1";
    for (int i = 0; !__atomic_load_n(&stop, __ATOMIC_ACQUIRE); i++) {
        char id[32], xml[1024];
        snprintf(id, sizeof(id), "R-%d-%d", me, i);
        snprintf(xml, sizeof(xml), form, id, id);
        uint8_t *out = NULL;
        size_t len = 0;
        int32_t rc = casescribe_save(&out, &len, ctx, "flicker", &actor, (const uint8_t *)xml, strlen(xml));
        casescribe_free(out);
        pthread_mutex_lock(&counts);
        saved += rc == CASESCRIBE_OK;
        not_found += rc == CASESCRIBE_ENOTFOUND;
        other_errors += rc != CASESCRIBE_OK && rc != CASESCRIBE_ENOTFOUND;
        pthread_mutex_unlock(&counts);
    }
    return NULL;
}

int main(void)
{
    char home[] = "/tmp/cs-adapter-race-XXXXXX";
    if (mkdtemp(home) == NULL)
        return 1;
    casescribe_ctx_options o;
    casescribe_ctx_options_init(&o, sizeof(o));
    o.home = home;
    o.flags = CASESCRIBE_OPEN_NO_SYNC;
    if (casescribe_ctx_open(&ctx, &o) != CASESCRIBE_OK || casescribe_keygen(NULL, ctx, 0) != CASESCRIBE_OK) {
        printf("Bail out! %s\n", casescribe_last_error());
        return 1;
    }
    printf("1..3\n");
    struct registration *regs = calloc(CYCLES, sizeof(*regs));
    pthread_t t[SAVERS];
    for (int i = 0; i < SAVERS; i++)
        pthread_create(&t[i], NULL, saver, (void *)(intptr_t)i);
    int registered = 0;
    for (int c = 0; c < CYCLES; c++) {
        pthread_mutex_init(&regs[c].lock, NULL);
        casescribe_adapter a;
        casescribe_adapter_init(&a, sizeof(a));
        a.name = "flicker";
        a.user = &regs[c];
        a.decode = pass_decode;
        a.encode = pass_encode;
        a.destroy = pass_destroy;
        registered += casescribe_adapter_register(&a) == CASESCRIBE_OK;
        usleep(2000);
        casescribe_adapter_unregister("flicker");
        usleep(500);
    }
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < SAVERS; i++)
        pthread_join(t[i], NULL);
    int after = 0;
    for (int c = 0; c < CYCLES; c++)
        after += regs[c].used_after_destroy;
    printf("%s 1 - every save finished or found no adapter (%d saved, %d not found, %d other errors)\n",
           other_errors == 0 && saved > 0 ? "ok" : "not ok", saved, not_found, other_errors);
    printf("%s 2 - no adapter was destroyed while a call was inside it, or used after (%d, %d)\n",
           destroyed_while_inside == 0 && after == 0 ? "ok" : "not ok", destroyed_while_inside, after);
    printf("%s 3 - each of %d registrations was destroyed exactly once (%d destroys)\n",
           destroys == registered && registered == CYCLES ? "ok" : "not ok", registered, destroys);
    casescribe_ctx_close(ctx);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", home);
    if (system(cmd) != 0)
        return 1;
    for (int c = 0; c < CYCLES; c++)
        pthread_mutex_destroy(&regs[c].lock);
    free(regs);
    return other_errors == 0 && saved > 0 && destroyed_while_inside == 0 && after == 0 && destroys == registered ? 0
                                                                                                                : 1;
}
