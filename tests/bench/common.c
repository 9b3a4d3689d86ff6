/* SPDX-License-Identifier: Apache-2.0 */
/* common.c - see common.h. */
#include "common.h"

#include <stdio.h>
#include <time.h>

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char form[] =
    "<form xmlns=\"urn:casescribe:form:1\" id=\"%s\" template=\"statutory-home-visit\" team=\"cin-north\" "
    "author=\"sw-017\">"
    "<subject id=\"P-1\" role=\"child\" name=\"Sam Example\"/><subject id=\"P-2\" role=\"parent\" name=\"Jo Example\"/>"
    "<consent subject=\"P-1\" given-by=\"representative\" method=\"verbal\" capacity=\"not-assessed\" "
    "at=\"2026-01-01T10:00:00Z\" scopes=\"record-audio transcribe ai-draft\"/>"
    "<consent subject=\"P-2\" given-by=\"self\" method=\"verbal\" capacity=\"has-capacity\" "
    "at=\"2026-01-01T10:00:00Z\" scopes=\"record-audio transcribe ai-draft\"/>"
    "<section id=\"present\" origin=\"ai-draft\" engine=\"embedded:pocketsphinx\" model=\"en-us\">Jo and Sam were at "
    "home. Sam's older sister arrived towards the end of the visit (%s).</section>"
    "<section id=\"observations\" origin=\"ai-draft\" engine=\"embedded:pocketsphinx\" model=\"en-us\">Sam showed me "
    "the new bedroom and said school was going better this term. Jo said the new bus route makes the mornings easier "
    "and that the family support worker visits every Tuesday afternoon (%s).</section>"
    "<section id=\"wishes\" origin=\"ai-draft\" engine=\"embedded:pocketsphinx\" model=\"en-us\">Sam asked whether "
    "contact with dad could move to Saturdays because of football practice on Sunday mornings (%s).</section>"
    "<section id=\"analysis\" origin=\"human\">Sam appears settled and the home conditions have improved since the "
    "last visit; the support plan is working and I have no new concerns.</section>"
    "<section id=\"actions\" origin=\"human\">Review progress with school at the next core group; ask the contact "
    "team about Saturday contact; next visit in four weeks.</section></form>";

void bench_visit_form(char *buf, size_t n, const char *prefix, long i)
{
    char id[48];
    snprintf(id, sizeof(id), "%s-%ld", prefix, i);
    snprintf(buf, n, form, id, id, id, id);
}
