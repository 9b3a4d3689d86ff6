/* SPDX-License-Identifier: Apache-2.0 */
/* test_floor.c - the floor of bench_floor (tests/bench/floor.h) does the
 * save's and verify's work: it accepts what casescribe_save stamped and
 * casescribe_verify accepts what it stamps, both ways and across versions. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/floor.h"
#include "helpers.h"
#include "record/form_xml.h"

/* Two AI sections (one of them reviewed), two human ones, two subjects. */
static char *visit_form(const char *id)
{
    form_parts p = {
        .id = id,
        .subjects = "<subject id=\"P-1\" role=\"child\" name=\"Sam Example\"/>"
                    "<subject id=\"P-2\" role=\"parent\" name=\"Jo &amp; Example\"/>",
        .consents = "<consent subject=\"P-1\" given-by=\"representative\" method=\"verbal\" capacity=\"not-assessed\" "
                    "at=\"2026-01-01T10:00:00Z\" scopes=\"record-audio transcribe ai-draft\"/>"
                    "<consent subject=\"P-2\" given-by=\"self\" method=\"verbal\" capacity=\"has-capacity\" "
                    "at=\"2026-01-01T10:00:00Z\" scopes=\"record-audio transcribe ai-draft\"/>",
        .sections = SECTION_DRAFT("present", "Jo and Sam were at home &lt;both&gt; \"quoted\" &amp; well.")
            SECTION_HUMAN("analysis", "Sam appears settled and the home conditions have improved since the last "
                                      "visit; the support plan is working and I have no new concerns at all.")
                SECTION_DRAFT("wishes", "Sam asked whether contact with dad could move to Saturdays because of "
                                        "football practice on Sunday mornings, which he enjoys a great deal.")
                    SECTION_HUMAN("actions", "Review progress with school at the next core group."),
    };
    return form_make(&p);
}

static floor_ctx *floor_on(test_home *h)
{
    floor_ctx *f = NULL;
    cr_assert_eq(floor_open(&f, h->path, 1), 0, "the floor opens the home");
    return f;
}

static int32_t lib_verify(test_home *h, const char *record)
{
    return casescribe_verify(NULL, h->ctx, "xml", (const uint8_t *)record, strlen(record));
}

Test(floor, accepts_what_casescribe_save_stamped_and_refuses_it_altered)
{
    test_home h;
    home_open(&h, CASESCRIBE_OPEN_NO_SYNC);
    floor_ctx *f = floor_on(&h);
    char *xml = visit_form("R-1"), *stamped = NULL;
    cr_assert_eq(save_as(h.ctx, xml, &stamped), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(floor_verify(f, (const uint8_t *)stamped, strlen(stamped)), 0, "the floor verifies the save's stamp");
    char *text = replace_once(stamped, "Saturdays", "Sundays");
    char *subject = replace_once(stamped, "Sam Example", "Sam Exemple");
    char *consent = replace_once(stamped, "has-capacity", "lacks-capacity");
    cr_expect_neq(floor_verify(f, (const uint8_t *)text, strlen(text)), 0, "a changed section is refused");
    cr_expect_neq(floor_verify(f, (const uint8_t *)subject, strlen(subject)), 0, "a changed subject is refused");
    cr_expect_neq(floor_verify(f, (const uint8_t *)consent, strlen(consent)), 0, "a changed consent is refused");
    free(text);
    free(subject);
    free(consent);
    free(xml);
    casescribe_free(stamped);
    floor_close(f);
    home_close(&h);
}

Test(floor, casescribe_verify_accepts_what_the_floor_stamps)
{
    test_home h;
    home_open(&h, CASESCRIBE_OPEN_NO_SYNC);
    floor_ctx *f = floor_on(&h);
    char *xml = visit_form("R-2");
    uint8_t *stamped = NULL;
    size_t len = 0;
    cr_assert_eq(floor_save(f, "sw-017", (const uint8_t *)xml, strlen(xml), &stamped, &len), 0);
    char *record = strndup((const char *)stamped, len);
    cr_expect_eq(lib_verify(&h, record), CASESCRIBE_OK, "casescribe_verify: %s", casescribe_last_error());
    cr_expect_eq(floor_verify(f, stamped, len), 0, "the floor verifies its own stamp");
    char *text = replace_once(record, "Saturdays", "Sundays");
    cr_expect_eq(lib_verify(&h, text), CASESCRIBE_EVERIFY, "a floor stamp protects the text as the library's does");
    free(text);
    free(record);
    free(stamped);
    free(xml);
    floor_close(f);
    home_close(&h);
}

/* Next versions alternate between the library and the floor on one record:
 * each accepts the other's stamp as the latest version and chains to it. */
Test(floor, next_versions_chain_between_the_library_and_the_floor)
{
    test_home h;
    home_open(&h, CASESCRIBE_OPEN_NO_SYNC);
    floor_ctx *f = floor_on(&h);
    floor_set_index_rows(f, 0);
    char *xml = visit_form("R-3"), *v1 = NULL, *v3 = NULL;
    cr_assert_eq(save_as(h.ctx, xml, &v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    uint8_t *v2 = NULL;
    size_t len = 0;
    cr_assert_eq(floor_save(f, "sw-017", (const uint8_t *)v1, strlen(v1), &v2, &len), 0);
    char *v2s = strndup((const char *)v2, len);
    cr_expect_eq(lib_verify(&h, v2s), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_not_null(strstr(v2s, "version=\"2\""), "the floor made version 2");
    cr_assert_eq(save_as(h.ctx, v2s, &v3), CASESCRIBE_OK, "the library continues the floor's version: %s",
                 casescribe_last_error());
    cr_expect_not_null(strstr(v3, "version=\"3\""));
    cr_expect_eq(floor_verify(f, (const uint8_t *)v3, strlen(v3)), 0);
    uint8_t *stale = NULL;
    cr_expect_neq(floor_save(f, "sw-017", (const uint8_t *)v1, strlen(v1), &stale, &len), 0,
                  "the floor refuses a version that is not the latest");
    free(v2s);
    free(v2);
    free(xml);
    casescribe_free(v1);
    casescribe_free(v3);
    floor_close(f);
    home_close(&h);
}

/* casescribe_save writes the stamped record from the rendering its digests
 * and signature were made from: byte for byte what rendering the stamped
 * model again writes, for a first version and a next one. */
Test(floor, the_stamped_record_is_written_as_its_model_renders)
{
    test_home h;
    home_open(&h, CASESCRIBE_OPEN_NO_SYNC);
    char *xml = visit_form("R-4"), *v1 = NULL, *v2 = NULL;
    cr_assert_eq(save_as(h.ctx, xml, &v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(save_as(h.ctx, v1, &v2), CASESCRIBE_OK, "%s", casescribe_last_error());
    const char *versions[] = {v1, v2};
    for (size_t i = 0; i < 2; i++) {
        cs_record *r = NULL;
        uint8_t *again = NULL;
        size_t len = 0;
        cr_assert_eq(cs_form_decode(&r, (const uint8_t *)versions[i], strlen(versions[i])), CASESCRIBE_OK);
        cr_assert_eq(cs_form_encode(&again, &len, r), CASESCRIBE_OK);
        cr_expect_eq(len, strlen(versions[i]));
        cr_expect_str_eq((const char *)again, versions[i], "version %zu", i + 1);
        free(again);
        cs_record_free(r);
    }
    free(xml);
    casescribe_free(v1);
    casescribe_free(v2);
    home_close(&h);
}
