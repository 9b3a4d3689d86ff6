/* SPDX-License-Identifier: Apache-2.0 */
/* policy_race.c - saves on many threads while an admin toggles the team's
 * policy: every save sees one whole policy, the old or the new, never a mix.
 *
 * Uses only the public header, like a host. A TAP program rather than a
 * Criterion test so that it can also run under ThreadSanitizer (CI builds it
 * with ./configure --enable-tsan and runs it alone): Criterion's runner does
 * not start under TSan.
 *
 * How "never a mix" is checked: the admin's changes alternate ai-draft on
 * (odd policy versions) and off (even versions). A save that succeeds with
 * an AI section must name an odd version in its provenance; a refused save
 * must have been refused for ai-draft. Anything else would mean a save
 * used one version's features with another version's number. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casescribe.h"

#define SAVERS 4
#define SAVES_EACH 60
#define TOGGLES 40

static const char form[] =
    "<form xmlns=\"urn:casescribe:form:1\" id=\"%s\" template=\"statutory-home-visit\" team=\"t\" author=\"sw-1\">"
    "<subject id=\"P-1\" role=\"parent\"/>"
    "<consent subject=\"P-1\" given-by=\"self\" method=\"verbal\" capacity=\"has-capacity\" "
    "at=\"2026-01-01T10:00:00Z\" scopes=\"ai-draft\"/>"
    "<section id=\"s\" origin=\"ai-draft\" engine=\"embedded:pocketsphinx\">Draft %s.</section></form>";

static casescribe_ctx *ctx;
static int accepted, refused, mixed;
static pthread_mutex_t counts = PTHREAD_MUTEX_INITIALIZER;

/* The policy version a stamped record names, or 0. */
static unsigned policy_version_of(const char *record)
{
    const char *at = strstr(record, "<policy team=\"t\" version=\"");
    return at != NULL ? (unsigned)strtoul(at + strlen("<policy team=\"t\" version=\""), NULL, 10) : 0;
}

static void *saver(void *arg)
{
    long t = (long)arg;
    casescribe_actor actor;
    casescribe_actor_init(&actor, sizeof(actor));
    actor.user_id = "sw-1";
    for (int i = 0; i < SAVES_EACH; i++) {
        char id[32], xml[1024];
        snprintf(id, sizeof(id), "R-%ld-%d", t, i);
        snprintf(xml, sizeof(xml), form, id, id);
        uint8_t *out = NULL;
        size_t len = 0;
        int32_t rc = casescribe_save(&out, &len, ctx, "xml", &actor, (const uint8_t *)xml, strlen(xml));
        int bad = 0;
        if (rc == CASESCRIBE_OK)
            bad = policy_version_of((const char *)out) % 2 != 1;
        else
            bad = rc != CASESCRIBE_EPOLICY || strstr(casescribe_last_error(), "'ai-draft'") == NULL;
        pthread_mutex_lock(&counts);
        accepted += rc == CASESCRIBE_OK;
        refused += rc != CASESCRIBE_OK;
        mixed += bad;
        pthread_mutex_unlock(&counts);
        if (bad)
            fprintf(stderr, "# save %s: status %d, policy version %u: %s\n", id, (int)rc,
                    rc == CASESCRIBE_OK ? policy_version_of((const char *)out) : 0, casescribe_last_error());
        casescribe_free(out);
    }
    return NULL;
}

static void *admin(void *arg)
{
    casescribe_ctx *own = arg; /* its own context: another process, as far as the cache can tell */
    long failures = 0;
    for (int i = 0; i < TOGGLES; i++)
        failures += casescribe_team_set(own, "admin-1", "t", "ai-draft", i % 2 == 0 ? "off" : "on") != CASESCRIBE_OK;
    return (void *)failures;
}

static casescribe_ctx *open_home(const char *home)
{
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = home;
    opts.flags = CASESCRIBE_OPEN_NO_SYNC;
    casescribe_ctx *c = NULL;
    return casescribe_ctx_open(&c, &opts) == CASESCRIBE_OK ? c : NULL;
}

int main(void)
{
    char home[] = "/tmp/cs-race-XXXXXX";
    printf("1..2\n");
    if (mkdtemp(home) == NULL || (ctx = open_home(home)) == NULL || casescribe_keygen(NULL, ctx, 0) != 0 ||
        casescribe_team_set(ctx, "admin-1", "t", "ai-draft", "on") != CASESCRIBE_OK) {
        printf("Bail out! cannot set up the home: %s\n", casescribe_last_error());
        return 1;
    }
    casescribe_ctx *admin_ctx = open_home(home);
    pthread_t savers[SAVERS], admin_thread;
    void *admin_failures = (void *)1;
    int started = admin_ctx != NULL && pthread_create(&admin_thread, NULL, admin, admin_ctx) == 0;
    for (long t = 0; t < SAVERS; t++)
        pthread_create(&savers[t], NULL, saver, (void *)t);
    for (int t = 0; t < SAVERS; t++)
        pthread_join(savers[t], NULL);
    if (started)
        pthread_join(admin_thread, &admin_failures);
    printf("%s 1 - %d admin changes while %d threads saved\n", started && admin_failures == NULL ? "ok" : "not ok",
           TOGGLES, SAVERS);
    printf("%s 2 - every save saw one whole policy (%d accepted under ai-draft on, %d refused under off, %d mixed)\n",
           mixed == 0 && accepted + refused == SAVERS * SAVES_EACH ? "ok" : "not ok", accepted, refused, mixed);
    casescribe_ctx_close(admin_ctx);
    casescribe_ctx_close(ctx);
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", home);
    return system(cmd) == 0 && mixed == 0 && admin_failures == NULL ? 0 : 1;
}
