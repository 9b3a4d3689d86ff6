/* SPDX-License-Identifier: Apache-2.0 */
/* helpers.c - shared set-up for the unit tests. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void home_open(test_home *h, uint32_t flags)
{
    snprintf(h->path, sizeof(h->path), "/tmp/cs-test-XXXXXX");
    cr_assert_not_null(mkdtemp(h->path), "mkdtemp");
    casescribe_ctx_options opts;
    cr_assert_eq(casescribe_ctx_options_init(&opts, sizeof(opts)), CASESCRIBE_OK);
    opts.home = h->path;
    opts.flags = flags | CASESCRIBE_OPEN_NO_SYNC;
    int32_t rc = casescribe_ctx_open(&h->ctx, &opts);
    cr_assert_eq(rc, CASESCRIBE_OK, "open: %s", casescribe_last_error());
    rc = casescribe_keygen(NULL, h->ctx, 0);
    cr_assert_eq(rc, CASESCRIBE_OK, "keygen: %s", casescribe_last_error());
    /* The forms these tests save belong to team cin-north, whose admin has
     * switched AI drafting on (a team never configured has it off). */
    rc = casescribe_team_set(h->ctx, "admin-1", "cin-north", "ai-draft", "on");
    cr_assert_eq(rc, CASESCRIBE_OK, "policy: %s", casescribe_last_error());
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

void home_close(test_home *h)
{
    casescribe_ctx_close(h->ctx);
    h->ctx = NULL;
    nftw(h->path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *form_make(const form_parts *p)
{
    const char *id = p->id ? p->id : "R-1";
    const char *subjects = p->subjects ? p->subjects : "<subject id=\"P-2\" role=\"parent\" name=\"Jo Example\"/>";
    const char *consents = p->consents ? p->consents
                                       : "<consent subject=\"P-2\" given-by=\"self\" method=\"verbal\" "
                                         "capacity=\"has-capacity\" at=\"2026-01-01T10:00:00Z\" "
                                         "scopes=\"record-audio transcribe ai-draft\"/>";
    const char *sections = p->sections ? p->sections
                                       : SECTION_DRAFT("observations", "Jo said the mornings are easier now.")
                                             SECTION_HUMAN("analysis", "My own analysis of the visit.");
    char final_attr[64] = "";
    if (p->final)
        snprintf(final_attr, sizeof(final_attr), " final=\"%s\"", p->final);
    size_t n = strlen(id) + strlen(subjects) + strlen(consents) + strlen(sections) + (p->extra ? strlen(p->extra) : 0) + 512;
    char *xml = malloc(n);
    cr_assert_not_null(xml);
    snprintf(xml, n,
             "<form xmlns=\"urn:casescribe:form:1\" id=\"%s\" template=\"statutory-home-visit\" team=\"cin-north\" "
             "author=\"sw-017\"%s>%s%s%s%s</form>",
             id, final_attr, subjects, consents, sections, p->extra ? p->extra : "");
    return xml;
}

int32_t save_as(casescribe_ctx *ctx, const char *xml, char **out)
{
    casescribe_actor actor;
    cr_assert_eq(casescribe_actor_init(&actor, sizeof(actor)), CASESCRIBE_OK);
    actor.user_id = "sw-017";
    actor.role = "social-worker";
    uint8_t *bytes = NULL;
    size_t len = 0;
    int32_t rc = casescribe_save(&bytes, &len, ctx, "xml", &actor, (const uint8_t *)xml, strlen(xml));
    if (rc == CASESCRIBE_OK)
        cr_assert_eq(strlen((char *)bytes), len, "output length");
    if (out != NULL)
        *out = (char *)bytes;
    else
        casescribe_free(bytes);
    return rc;
}

char *replace_once(const char *text, const char *from, const char *to)
{
    const char *hit = strstr(text, from);
    cr_assert_not_null(hit, "'%s' not found in the text", from);
    size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    cr_assert_not_null(out);
    size_t head = (size_t)(hit - text);
    memcpy(out, text, head);
    memcpy(out + head, to, strlen(to));
    memcpy(out + head + strlen(to), hit + strlen(from), strlen(hit + strlen(from)) + 1);
    return out;
}

static const char *const paragraphs[] = {
    "Sam showed me the new bedroom and said school was going better this term. Jo said the new bus route "
    "makes the mornings easier and that the family support worker visits every Tuesday afternoon. The kitchen "
    "was clean and there was food in the fridge. Sam asked whether the contact with dad could move to Saturdays "
    "because of football practice on Sunday mornings.",
    "Mr Patel explained that he has fallen twice since the summer and now struggles with the stairs at night. "
    "His daughter visits three times a week and helps with shopping and medication. He would like a rail fitted "
    "by the back door and said he does not want to move into residential care. We discussed a referral to the "
    "occupational therapy team for an assessment of equipment.",
    "The meeting heard from the health visitor that the baby has gained weight steadily since the last review. "
    "The school nurse reported two missed appointments in October. Police shared one attendance at the address "
    "following a neighbour's call about shouting late at night. The chair summarised the agreed actions and the "
    "date of the next review conference in January.",
    "Alex said that living with the foster carers is fine but that they miss their younger brother a lot. They "
    "would like to see him more than once a month and would like to phone him at weekends. Alex is doing well in "
    "maths and enjoys the drama club after school. The foster carer raised concerns about late nights on the "
    "games console during the week.",
};

const char *paragraph(int which)
{
    return paragraphs[which & 3];
}

const char *review_now(const char *review)
{
    static __thread char attrs[160];
    char at[32];
    /* The library's clock (CLOCK_REALTIME): time() reads the coarse clock,
     * which may still say the second before the save that just returned. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    time_t now = ts.tv_sec;
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(attrs, sizeof(attrs), "origin=\"ai-reviewed\" reviewed-by=\"sw-017\" reviewed-at=\"%s\" review=\"%s\"",
             at, review);
    return attrs;
}
