/* SPDX-License-Identifier: Apache-2.0 */
/* saveloop - a server process for the fault tests (tests/pg/faults.sh):
 * one context for its whole life, saving `count` new records PREFIX-1 ...
 * one after another, printing (line-buffered) "ok ID" once a save is
 * acknowledged, or "fail ID CODE MESSAGE". Uses only the public header, as
 * a host does.
 *   saveloop HOME PREFIX COUNT PAUSE_MS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "casescribe.h"

static int32_t save_one(casescribe_ctx *ctx, const char *id)
{
    char xml[1024];
    snprintf(xml, sizeof(xml),
             "<form xmlns=\"urn:casescribe:form:1\" id=\"%s\" template=\"statutory-home-visit\" team=\"cin-north\" "
             "author=\"sw-017\"><subject id=\"P-2\" role=\"parent\" name=\"Jo Example\"/>"
             "<section id=\"analysis\" origin=\"human\">Visit notes for %s, written by the worker.</section></form>",
             id, id);
    casescribe_actor actor;
    casescribe_actor_init(&actor, sizeof(actor));
    actor.user_id = "sw-017";
    actor.role = "social-worker";
    uint8_t *out = NULL;
    size_t len = 0;
    int32_t rc = casescribe_save(&out, &len, ctx, "xml", &actor, (const uint8_t *)xml, strlen(xml));
    casescribe_free(out);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: saveloop HOME PREFIX COUNT PAUSE_MS\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    casescribe_ctx_options opts;
    casescribe_ctx *ctx = NULL;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = argv[1];
    opts.flags = CASESCRIBE_OPEN_CREATE;
    if (casescribe_ctx_open(&ctx, &opts) != CASESCRIBE_OK) {
        fprintf(stderr, "saveloop: %s\n", casescribe_last_error());
        return 1;
    }
    char *key = NULL;
    if (casescribe_keygen(&key, ctx, 0) != CASESCRIBE_OK)
        fprintf(stderr, "saveloop: keygen: %s\n", casescribe_last_error());
    casescribe_free(key);
    long count = strtol(argv[3], NULL, 10), pause_ms = strtol(argv[4], NULL, 10);
    struct timespec pause = {pause_ms / 1000, (pause_ms % 1000) * 1000000L};
    for (long i = 1; i <= count; i++) {
        char id[64];
        snprintf(id, sizeof(id), "%s-%ld", argv[2], i);
        int32_t rc = save_one(ctx, id);
        if (rc == CASESCRIBE_OK)
            printf("ok %s\n", id);
        else
            printf("fail %s %d %s\n", id, (int)rc, casescribe_last_error());
        nanosleep(&pause, NULL);
    }
    casescribe_ctx_close(ctx);
    return 0;
}
