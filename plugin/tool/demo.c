/* SPDX-License-Identifier: Apache-2.0 */
/* demo.c - `casescribe demo`: one visit record through the hook, end to end,
 * as a host system would do it. Uses only the public header. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "casescribe.h"
#include "tool.h"


static const char sample_form[] =
    "<form xmlns=\"urn:casescribe:form:1\" id=\"%s\" template=\"statutory-home-visit\" team=\"cin-north\" author=\"sw-017\">\n"
    "  <subject id=\"P-1\" role=\"child\" name=\"Sam Example\"/>\n"
    "  <subject id=\"P-2\" role=\"parent\" name=\"Jo Example\"/>\n"
    "  <consent subject=\"P-1\" given-by=\"representative\" method=\"verbal\" capacity=\"not-assessed\"\n"
    "           at=\"2026-11-02T10:16:00Z\" scopes=\"record-audio transcribe ai-draft\"/>\n"
    "  <consent subject=\"P-2\" given-by=\"self\" method=\"verbal\" capacity=\"has-capacity\"\n"
    "           at=\"2026-11-02T10:16:00Z\" scopes=\"record-audio transcribe ai-draft\"/>\n"
    "  <section id=\"present\" origin=\"ai-draft\" engine=\"embedded:pocketsphinx\" model=\"en-us\">"
    "Jo and Sam were at home. Sam's older sister arrived towards the end of the visit.</section>\n"
    "  <section id=\"observations\" origin=\"ai-draft\" engine=\"embedded:pocketsphinx\" model=\"en-us\">"
    "Sam showed me the new bedroom and said school was going better this term. Jo said the new "
    "bus route makes the mornings easier and that the family support worker visits on Tuesdays.</section>\n"
    "  <section id=\"analysis\" origin=\"human\">Sam appears settled. I will review progress with the "
    "school at the next core group.</section>\n"
    "</form>\n";

/* Replaces every `from` in `text` with `to`; returns a new string or NULL. */
static char *replace_all(const char *text, const char *from, const char *to)
{
    size_t count = 0, flen = strlen(from), tlen = strlen(to);
    for (const char *p = strstr(text, from); p != NULL; p = strstr(p + flen, from))
        count++;
    size_t size = strlen(text) + count * tlen + 1;
    char *out = malloc(size), *w = out;
    if (out == NULL)
        return NULL;
    const char *p = text;
    for (const char *hit = strstr(p, from); hit != NULL; p = hit + flen, hit = strstr(p, from)) {
        memcpy(w, p, (size_t)(hit - p));
        w += hit - p;
        memcpy(w, to, tlen);
        w += tlen;
    }
    memcpy(w, p, strlen(p) + 1);
    return out;
}

static int refuse(const char *step, int32_t rc)
{
    fprintf(stderr, "casescribe demo: %s failed: %s\n", step, casescribe_last_error()[0] ? casescribe_last_error()
                                                                                         : casescribe_strerror(rc));
    return 1;
}

static int32_t save(casescribe_ctx *ctx, const char *xml, char **out)
{
    casescribe_actor actor;
    casescribe_actor_init(&actor, sizeof(actor));
    actor.user_id = "sw-017";
    actor.role = "social-worker";
    uint8_t *stamped = NULL;
    size_t len = 0;
    int32_t rc = casescribe_save(&stamped, &len, ctx, "xml", &actor, (const uint8_t *)xml, strlen(xml));
    *out = (char *)stamped;
    return rc;
}

static int write_text(const char *home, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", home, name);
    int ok = tool_write_file(path, (const uint8_t *)text, strlen(text)) == 0; /* 0600, as any record */
    if (ok)
        printf("   (written to %s)\n", path);
    return ok ? 0 : -1;
}

static int open_demo_home(casescribe_ctx **ctx, const char *home)
{
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = home;
    opts.flags = CASESCRIBE_OPEN_CREATE;
    int32_t rc = casescribe_ctx_open(ctx, &opts);
    if (rc != CASESCRIBE_OK)
        return refuse("opening the home", rc);
    rc = casescribe_keygen(NULL, *ctx, 0);
    if (rc != CASESCRIBE_OK && rc != CASESCRIBE_EKEY)
        return refuse("making a signing key", rc);
    return 0;
}

/* The draft is saved; a final save with unreviewed AI text is refused; the
 * worker reviews and edits; the final save is stamped as version 2. */
static int run(casescribe_ctx *ctx, const char *home)
{
    char id[64], *form = NULL, *v1 = NULL, *v2 = NULL, *reviewed = NULL, *finalised = NULL, *tampered = NULL,
                  *report = NULL;
    snprintf(id, sizeof(id), "R-DEMO-%ld-%ld", (long)getpid(), (long)time(NULL));
    size_t n = sizeof(sample_form) + strlen(id);
    int code = 1;
    if ((form = malloc(n)) == NULL)
        goto done;
    snprintf(form, n, sample_form, id);

    printf("0. Team cin-north has no policy yet, so every AI feature is off: the save is refused.\n");
    int32_t rc = save(ctx, form, &v1);
    casescribe_policy *policy = NULL;
    if (rc == CASESCRIBE_EPOLICY) {
        printf("   %s\n", casescribe_last_error());
        printf("   The council's admin switches AI drafting on for that team (a signed, journalled change).\n");
        rc = casescribe_team_set(ctx, "demo-admin", "cin-north", "ai-draft", "on");
        if (rc != CASESCRIBE_OK) {
            code = refuse("switching ai-draft on", rc);
            goto done;
        }
    } else if (rc != CASESCRIBE_OK || casescribe_team_policy(&policy, ctx, "cin-north") != CASESCRIBE_OK ||
               casescribe_policy_feature(policy, "ai-draft") != 1) {
        casescribe_policy_free(policy);
        code = refuse("the first save (AI drafting should have been off)", rc);
        goto done;
    }
    casescribe_policy_free(policy);
    casescribe_free(v1);
    v1 = NULL;

    printf("1. The worker saves the visit record with two sections drafted by speech-to-text.\n");
    rc = save(ctx, form, &v1);
    if (rc != CASESCRIBE_OK) {
        code = refuse("saving the draft", rc);
        goto done;
    }
    printf("   Saved and stamped as version 1. The AI sections stay marked as drafts.\n");

    printf("2. The worker tries to finalise without reviewing the drafts.\n");
    char *unreviewed = replace_all(v1, "author=\"sw-017\"", "author=\"sw-017\" final=\"true\"");
    rc = unreviewed != NULL ? save(ctx, unreviewed, &v2) : CASESCRIBE_ENOMEM;
    free(unreviewed);
    printf("   Refused, as it must be: %s\n", casescribe_last_error());
    if (rc != CASESCRIBE_EREVIEW)
        goto done;

    printf("3. The worker reads the drafts, corrects one, and records the review.\n");
    /* Only the sections change: the provenance is the library's, and any
     * edit to it would (rightly) make the save fail verification. The
     * review is dated now: after the drafts were saved. */
    char present[160], observations[160], at[24];
    time_t now = time(NULL);
    struct tm tm;
    strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm) != NULL ? &tm : NULL);
    snprintf(present, sizeof(present),
             "<section id=\"present\" origin=\"ai-reviewed\" reviewed-by=\"sw-017\" reviewed-at=\"%s\" "
             "review=\"accepted\"", at);
    snprintf(observations, sizeof(observations),
             "<section id=\"observations\" origin=\"ai-reviewed\" reviewed-by=\"sw-017\" reviewed-at=\"%s\" "
             "review=\"edited\"", at);
    char *first = replace_all(v1, "<section id=\"present\" origin=\"ai-draft\"", present);
    char *second = first != NULL ? replace_all(first, "<section id=\"observations\" origin=\"ai-draft\"",
                                               observations)
                                 : NULL;
    reviewed = second != NULL ? replace_all(second, "going better this term", "going much better this term") : NULL;
    free(first);
    free(second);
    finalised = reviewed != NULL ? replace_all(reviewed, "author=\"sw-017\"", "author=\"sw-017\" final=\"true\"") : NULL;
    if (finalised == NULL || (rc = save(ctx, finalised, &v2)) != CASESCRIBE_OK) {
        code = refuse("the final save", rc);
        goto done;
    }
    write_text(home, "demo-record.xml", v2);

    printf("4. Anyone can verify the record offline. What the provenance says:\n\n");
    rc = casescribe_verify(&report, ctx, "xml", (const uint8_t *)v2, strlen(v2));
    fputs(report != NULL ? report : "", stdout);
    if (rc != CASESCRIBE_OK) {
        code = refuse("verifying", rc);
        goto done;
    }
    casescribe_free(report);
    report = NULL;

    printf("\n5. Someone edits the stamped record afterwards (\"much better\" -> \"much worse\").\n");
    tampered = replace_all(v2, "much better", "much worse");
    rc = tampered != NULL ? casescribe_verify(NULL, ctx, "xml", (const uint8_t *)tampered, strlen(tampered))
                          : CASESCRIBE_ENOMEM;
    printf("   Verify says: %s\n", rc == CASESCRIBE_EVERIFY ? casescribe_last_error() : "(not detected!)");
    code = rc == CASESCRIBE_EVERIFY ? 0 : 1;
    printf("\nThe home %s holds the keys and the journal (run `casescribe --home %s journal verify`).\n", home, home);
done:
    free(form);
    free(reviewed);
    free(finalised);
    free(tampered);
    casescribe_free(v1);
    casescribe_free(v2);
    casescribe_free(report);
    return code;
}

int casescribe_tool_demo(const char *home)
{
    char temp[] = "/tmp/casescribe-demo-XXXXXX";
    if (home == NULL && (home = mkdtemp(temp)) == NULL) {
        perror("casescribe demo: mkdtemp");
        return 1;
    }
    printf("CaseScribe %s demo, home %s\n\n", casescribe_version(), home);
    casescribe_ctx *ctx = NULL;
    if (open_demo_home(&ctx, home) != 0)
        return 1;
    int code = run(ctx, home);
    casescribe_ctx_close(ctx);
    return code;
}
