/* SPDX-License-Identifier: Apache-2.0 */
/* bench_sar.c - records for the subject access export benchmark, and its
 * baseline. bench_sar.sh times the export itself with /usr/bin/time -v.
 *
 *   bench_sar gen HOME DIR N     saves N varied records about P-2 (and others)
 *                                through HOME into DIR/r-NNNNN.xml
 *   bench_sar verify HOME DIR N  the baseline: casescribe_verify on each file,
 *                                read one at a time, nothing written
 *
 * Uses only the public header, like a host. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casescribe.h"

static casescribe_ctx *open_home(const char *home)
{
    casescribe_ctx_options o;
    casescribe_ctx_options_init(&o, sizeof(o));
    o.home = home;
    o.flags = CASESCRIBE_OPEN_CREATE | CASESCRIBE_OPEN_NO_SYNC;
    casescribe_ctx *ctx = NULL;
    if (casescribe_ctx_open(&ctx, &o) != CASESCRIBE_OK) {
        fprintf(stderr, "bench_sar: %s\n", casescribe_last_error());
        exit(1);
    }
    return ctx;
}

static const char *const sentences[] = {
    "Jo said the mornings are easier since the new bus route started.",
    "The family support worker visits on Tuesdays and helps with the shopping.",
    "Kerry Smith from the school said attendance has improved this term.",
    "The children showed me their bedrooms, which were clean and warm.",
    "Jo asked for help with the gas bill and I gave her the number for the advice line.",
    "Sam talked about football practice and his friends at the club.",
};

/* Record i: one of four kinds, text that differs per record (so that the
 * laundering check sees no copies), a citation with an unsure word. */
static int make_form(char *buf, size_t cap, unsigned i)
{
    const char *a = sentences[i % 6], *b = sentences[(i + 1) % 6];
    char draft[512];
    int n = i % 4 == 0 /* the worker's own words: nothing like the drafts, or the save calls it laundering */
                ? snprintf(draft, sizeof(draft), "Note %u, typed up by me after the call on day %u of the plan: "
                                                 "no change to arrangements.", i, i % 97)
                : snprintf(draft, sizeof(draft), "Visit %u. %s %s", i, a, b);
    const char *origin = (i % 4 == 0) ? "human" : (i % 4 == 1) ? "ai-draft" : "ai-reviewed";
    const char *review = (i % 4 >= 2) ? " reviewed-by=\"sw-017\" reviewed-at=\"2026-11-03T09:00:00Z\" review=\"edited\"" : "";
    const char *engine = (i % 4 == 0) ? "" : " engine=\"embedded:extractive\" model=\"bm25-sentences\"";
    char cite[160] = "";
    if (i % 4 != 0)
        snprintf(cite, sizeof(cite),
                 "<cite section=\"observations\" offset=\"0\" length=\"%d\" segments=\"1\" support=\"supported\" "
                 "unsure=\"0:5\"/>", n);
    return snprintf(buf, cap,
                    "<form xmlns=\"urn:casescribe:form:1\" id=\"R-%05u\" template=\"statutory-home-visit\" "
                    "team=\"cin-north\" author=\"sw-017\">"
                    "<subject id=\"P-2\" role=\"parent\" name=\"Jo Example\"/>"
                    "<subject id=\"P-3\" role=\"child\" name=\"Sam Example\"/>"
                    "<consent subject=\"P-2\" given-by=\"self\" method=\"verbal\" capacity=\"has-capacity\" "
                    "at=\"2026-11-02T10:00:00Z\" scopes=\"record-audio transcribe ai-draft\"/>"
                    "<consent subject=\"P-3\" given-by=\"representative\" method=\"verbal\" capacity=\"not-assessed\" "
                    "at=\"2026-11-02T10:00:00Z\" scopes=\"record-audio transcribe ai-draft\"/>"
                    "<section id=\"observations\" origin=\"%s\"%s%s>%s</section>"
                    "<section id=\"analysis\" origin=\"human\">Record %u: I am satisfied the children are safe "
                    "and well cared for; next visit in %u weeks.</section>%s</form>",
                    i, origin, engine, review, draft, i, 2 + i % 5, cite);
}

static int gen(const char *home, const char *dir, unsigned n)
{
    casescribe_ctx *ctx = open_home(home);
    if (casescribe_keygen(NULL, ctx, 0) != CASESCRIBE_OK ||
        casescribe_team_set(ctx, "bench", "cin-north", "ai-draft", "on") != CASESCRIBE_OK) {
        fprintf(stderr, "bench_sar: %s\n", casescribe_last_error());
        return 1;
    }
    casescribe_actor actor;
    casescribe_actor_init(&actor, sizeof(actor));
    actor.user_id = "sw-017";
    actor.role = "social-worker";
    char form[4096], path[4200];
    for (unsigned i = 0; i < n; i++) {
        make_form(form, sizeof(form), i);
        uint8_t *out = NULL;
        size_t len = 0;
        if (casescribe_save(&out, &len, ctx, "xml", &actor, (const uint8_t *)form, strlen(form)) != CASESCRIBE_OK) {
            fprintf(stderr, "bench_sar: record %u: %s\n", i, casescribe_last_error());
            return 1;
        }
        snprintf(path, sizeof(path), "%s/r-%05u.xml", dir, i);
        FILE *f = fopen(path, "wb");
        if (f == NULL || fwrite(out, 1, len, f) != len || fclose(f) != 0) {
            fprintf(stderr, "bench_sar: cannot write %s\n", path);
            return 1;
        }
        casescribe_free(out);
    }
    casescribe_ctx_close(ctx);
    return 0;
}

static int verify_all(const char *home, const char *dir, unsigned n)
{
    casescribe_ctx *ctx = open_home(home);
    static uint8_t buf[1 << 20];
    char path[4200];
    unsigned ok = 0;
    for (unsigned i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/r-%05u.xml", dir, i);
        FILE *f = fopen(path, "rb");
        size_t len = f != NULL ? fread(buf, 1, sizeof(buf), f) : 0;
        if (f != NULL)
            fclose(f);
        ok += casescribe_verify(NULL, ctx, "xml", buf, len) == CASESCRIBE_OK;
    }
    casescribe_ctx_close(ctx);
    printf("verified %u of %u\n", ok, n);
    return ok == n ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc != 5 || (strcmp(argv[1], "gen") != 0 && strcmp(argv[1], "verify") != 0)) {
        fprintf(stderr, "usage: bench_sar gen|verify HOME DIR N\n");
        return 2;
    }
    unsigned n = (unsigned)strtoul(argv[4], NULL, 10);
    return strcmp(argv[1], "gen") == 0 ? gen(argv[2], argv[3], n) : verify_all(argv[2], argv[3], n);
}
