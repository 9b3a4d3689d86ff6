/* SPDX-License-Identifier: Apache-2.0 */
/* test_record.c - the reference form: schema validation (unknown names are
 * refused by name), decoding into the model, encoding, and canonical digests
 * that depend on content only. */
#include <criterion/criterion.h>
#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "internal.h"
#include "provenance/stamp.h"
#include "record/form_xml.h"

static int32_t decode_text(const char *xml, cs_record **out)
{
    return cs_form_decode(out, (const uint8_t *)xml, strlen(xml));
}

static void expect_refused(const char *xml, int32_t status, const char *names)
{
    cs_record *r = NULL;
    int32_t rc = decode_text(xml, &r);
    cr_expect_eq(rc, status, "got %d: %s", rc, casescribe_last_error());
    cr_expect_null(r);
    if (names != NULL)
        cr_expect(strstr(casescribe_last_error(), names) != NULL, "message '%s' should name '%s'",
                  casescribe_last_error(), names);
    cs_record_free(r);
}

Test(record, a_full_form_decodes_into_the_model)
{
    form_parts p = {.final = "true",
                    .sections = SECTION_REVIEWED("observations", "Seen &amp; heard.") SECTION_HUMAN("analysis", "Mine.")};
    char *xml = form_make(&p);
    cs_record *r = NULL;
    cr_assert_eq(decode_text(xml, &r), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_str_eq(r->id, "R-1");
    cr_expect_str_eq(r->template_id, "statutory-home-visit");
    cr_expect_str_eq(r->team, "cin-north");
    cr_expect_eq(r->final, 1);
    cr_assert_eq(r->n_subjects, 1);
    cr_expect_str_eq(r->subjects[0].name, "Jo Example");
    cr_assert_eq(r->n_consents, 1);
    cr_expect_str_eq(r->consents[0].capacity, "has-capacity");
    cr_expect_null(r->consents[0].withdrawn_at);
    cr_assert_eq(r->n_sections, 2);
    cr_expect_eq(r->sections[0].origin, CS_ORIGIN_AI_REVIEWED);
    cr_expect_str_eq(r->sections[0].text, "Seen & heard.");
    cr_expect_str_eq(r->sections[0].reviewed_by, "sw-017");
    cr_expect_eq(r->sections[1].origin, CS_ORIGIN_HUMAN);
    cr_expect_null(r->sections[1].engine);
    cr_expect_null(r->provenance);
    cs_record_free(r);
    free(xml);
}

Test(record, encode_then_decode_keeps_everything)
{
    form_parts p = {.sections = SECTION_DRAFT("a", "Line one\nline two &lt;with&gt; \"quotes\" &amp; tabs\t.")
                        SECTION_HUMAN("b", "Ünïcødé – text ✓")};
    char *xml = form_make(&p);
    cs_record *r = NULL, *again = NULL;
    cr_assert_eq(decode_text(xml, &r), CASESCRIBE_OK, "%s", casescribe_last_error());
    uint8_t *out = NULL;
    size_t len = 0;
    cr_assert_eq(cs_form_encode(&out, &len, r), CASESCRIBE_OK);
    cr_assert_eq(cs_form_decode(&again, out, len), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_str_eq(again->sections[0].text, r->sections[0].text);
    cr_expect_str_eq(r->sections[0].text, "Line one\nline two <with> \"quotes\" & tabs\t.");
    cr_expect_str_eq(again->sections[1].text, "Ünïcødé – text ✓");
    cs_digests a, b;
    cr_assert_eq(cs_digests_compute(&a, r), CASESCRIBE_OK);
    cr_assert_eq(cs_digests_compute(&b, again), CASESCRIBE_OK);
    cr_expect_str_eq(a.form, b.form);
    cr_expect_str_eq(a.sections[0], b.sections[0]);
    cs_digests_free(&a);
    cs_digests_free(&b);
    free(out);
    cs_record_free(r);
    cs_record_free(again);
    free(xml);
}

Test(record, digests_depend_on_content_not_layout)
{
    const char *compact = "<form xmlns=\"urn:casescribe:form:1\" id=\"R-1\" template=\"t\" team=\"x\" author=\"a\">"
                          "<subject id=\"P\" role=\"r\"/><section id=\"s\" origin=\"human\">Text</section></form>";
    const char *layout = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- a comment -->\n"
                         "<f:form xmlns:f='urn:casescribe:form:1' author='a' team='x' template='t' id='R-1' final='false'>\n"
                         "  <f:subject role='r' id='P'/>\n  <f:section origin='human' id='s'><![CDATA[Text]]></f:section>\n"
                         "</f:form>\n";
    const char *changed = "<form xmlns=\"urn:casescribe:form:1\" id=\"R-1\" template=\"t\" team=\"x\" author=\"a\">"
                          "<subject id=\"P\" role=\"r\"/><section id=\"s\" origin=\"human\">Text.</section></form>";
    cs_record *r1 = NULL, *r2 = NULL, *r3 = NULL;
    cr_assert_eq(decode_text(compact, &r1), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(decode_text(layout, &r2), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(decode_text(changed, &r3), CASESCRIBE_OK, "%s", casescribe_last_error());
    cs_digests d1, d2, d3;
    cr_assert_eq(cs_digests_compute(&d1, r1), CASESCRIBE_OK);
    cr_assert_eq(cs_digests_compute(&d2, r2), CASESCRIBE_OK);
    cr_assert_eq(cs_digests_compute(&d3, r3), CASESCRIBE_OK);
    cr_expect_str_eq(d1.form, d2.form, "prefixes, quotes, order, comments and CDATA are layout");
    cr_expect_str_eq(d1.sections[0], d2.sections[0]);
    cr_expect_str_neq(d1.form, d3.form, "one full stop is content");
    cr_expect_str_neq(d1.sections[0], d3.sections[0]);
    cr_expect_str_eq(d1.subjects, d3.subjects);
    cr_expect_eq(strncmp(d1.form, "sha256:", 7), 0);
    cr_expect_eq(strlen(d1.form), 71);
    cs_digests_free(&d1);
    cs_digests_free(&d2);
    cs_digests_free(&d3);
    cs_record_free(r1);
    cs_record_free(r2);
    cs_record_free(r3);
}

Test(record, the_canonical_form_is_exclusive_c14n)
{
    const char *xml = "<form xmlns=\"urn:casescribe:form:1\" id=\"R-1\" template=\"t\" team=\"x\" author=\"a\">"
                      "<subject id=\"P\" role=\"r\"/><section id=\"s\" origin=\"human\">a &lt; b</section></form>";
    cs_record *r = NULL;
    cr_assert_eq(decode_text(xml, &r), CASESCRIBE_OK);
    uint8_t *c = NULL;
    size_t len = 0;
    cr_assert_eq(cs_form_canonical(&c, &len, r, CS_CANON_FORM), CASESCRIBE_OK);
    /* Attributes sorted, empty elements expanded, text escaped: exclusive C14N. */
    cr_expect_str_eq((char *)c,
                     "<form xmlns=\"urn:casescribe:form:1\" author=\"a\" id=\"R-1\" team=\"x\" template=\"t\">"
                     "<subject id=\"P\" role=\"r\"></subject><section id=\"s\" origin=\"human\">a &lt; b</section></form>");
    free(c);
    cs_record_free(r);
}

Test(record, unknown_attributes_are_refused_by_name)
{
    expect_refused("<form xmlns=\"urn:casescribe:form:1\" id=\"R-1\" template=\"t\" team=\"x\" author=\"a\" colour=\"red\">"
                   "<subject id=\"P\" role=\"r\"/><section id=\"s\" origin=\"human\">T</section></form>",
                   CASESCRIBE_ESCHEMA, "colour");
    expect_refused("<form xmlns=\"urn:casescribe:form:1\" id=\"R-1\" template=\"t\" team=\"x\" author=\"a\">"
                   "<subject id=\"P\" role=\"r\"/><section id=\"s\" origin=\"human\" mood=\"x\">T</section></form>",
                   CASESCRIBE_ESCHEMA, "mood");
}

Test(record, unknown_elements_are_refused_by_name)
{
    expect_refused("<form xmlns=\"urn:casescribe:form:1\" id=\"R-1\" template=\"t\" team=\"x\" author=\"a\">"
                   "<subject id=\"P\" role=\"r\"/><section id=\"s\" origin=\"human\">T</section><note/></form>",
                   CASESCRIBE_ESCHEMA, "note");
    expect_refused("<form xmlns=\"urn:casescribe:form:1\" id=\"R-1\" template=\"t\" team=\"x\" author=\"a\">"
                   "<subject id=\"P\" role=\"r\"/><section id=\"s\" origin=\"human\">T<b>bold</b></section></form>",
                   CASESCRIBE_ESCHEMA, "b");
    expect_refused("<form xmlns=\"urn:other\" id=\"R-1\"/>", CASESCRIBE_ESCHEMA, "form");
}

Test(record, required_parts_and_values_are_checked)
{
    /* No section. */
    expect_refused("<form xmlns=\"urn:casescribe:form:1\" id=\"R-1\" template=\"t\" team=\"x\" author=\"a\">"
                   "<subject id=\"P\" role=\"r\"/></form>",
                   CASESCRIBE_ESCHEMA, NULL);
    /* No author. */
    expect_refused("<form xmlns=\"urn:casescribe:form:1\" id=\"R-1\" template=\"t\" team=\"x\">"
                   "<subject id=\"P\" role=\"r\"/><section id=\"s\" origin=\"human\">T</section></form>",
                   CASESCRIBE_ESCHEMA, "author");
    /* Unknown origin, scope, capacity; a bad time. */
    expect_refused("<form xmlns=\"urn:casescribe:form:1\" id=\"R-1\" template=\"t\" team=\"x\" author=\"a\">"
                   "<subject id=\"P\" role=\"r\"/><section id=\"s\" origin=\"robot\">T</section></form>",
                   CASESCRIBE_ESCHEMA, "origin");
    expect_refused("<form xmlns=\"urn:casescribe:form:1\" id=\"R-1\" template=\"t\" team=\"x\" author=\"a\">"
                   "<subject id=\"P\" role=\"r\"/><consent subject=\"P\" given-by=\"self\" method=\"verbal\" "
                   "capacity=\"has-capacity\" at=\"2026-01-01T00:00:00Z\" scopes=\"ai-draft telepathy\"/>"
                   "<section id=\"s\" origin=\"human\">T</section></form>",
                   CASESCRIBE_ESCHEMA, "scopes");
    expect_refused("<form xmlns=\"urn:casescribe:form:1\" id=\"R-1\" template=\"t\" team=\"x\" author=\"a\">"
                   "<subject id=\"P\" role=\"r\"/><consent subject=\"P\" given-by=\"self\" method=\"verbal\" "
                   "capacity=\"has-capacity\" at=\"yesterday\" scopes=\"ai-draft\"/>"
                   "<section id=\"s\" origin=\"human\">T</section></form>",
                   CASESCRIBE_ESCHEMA, "at");
}

Test(record, ids_must_be_unique_and_consents_must_name_a_subject)
{
    expect_refused("<form xmlns=\"urn:casescribe:form:1\" id=\"R-1\" template=\"t\" team=\"x\" author=\"a\">"
                   "<subject id=\"P\" role=\"r\"/><section id=\"s\" origin=\"human\">T</section>"
                   "<section id=\"s\" origin=\"human\">U</section></form>",
                   CASESCRIBE_ESCHEMA, "'s' appears twice");
    expect_refused("<form xmlns=\"urn:casescribe:form:1\" id=\"R-1\" template=\"t\" team=\"x\" author=\"a\">"
                   "<subject id=\"P\" role=\"r\"/><consent subject=\"Q\" given-by=\"self\" method=\"verbal\" "
                   "capacity=\"has-capacity\" at=\"2026-01-01T00:00:00Z\" scopes=\"ai-draft\"/>"
                   "<section id=\"s\" origin=\"human\">T</section></form>",
                   CASESCRIBE_ESCHEMA, "'Q'");
}

Test(record, messages_do_not_repeat_personal_values)
{
    /* A name in the wrong place: the message names the attribute, not the value. */
    expect_refused("<form xmlns=\"urn:casescribe:form:1\" id=\"R-1\" template=\"t\" team=\"x\" author=\"a\">"
                   "<subject id=\"Jo Example\" role=\"r\"/><section id=\"s\" origin=\"human\">T</section></form>",
                   CASESCRIBE_ESCHEMA, "id");
    cr_expect(strstr(casescribe_last_error(), "Jo Example") == NULL, "message: %s", casescribe_last_error());
}

Test(record, inspect_through_the_public_interface)
{
    form_parts p = {.sections = SECTION_REVIEWED("o", "Seen.") SECTION_HUMAN("a", "Mine.")};
    char *xml = form_make(&p);
    casescribe_record *rec = NULL;
    cr_assert_eq(casescribe_record_open(&rec, "xml", (uint8_t *)xml, strlen(xml)), CASESCRIBE_OK);
    cr_expect_str_eq(casescribe_record_team(rec), "cin-north");
    cr_expect_str_eq(casescribe_record_author(rec), "sw-017");
    cr_expect_eq(casescribe_record_is_final(rec), 0);
    cr_expect_eq(casescribe_record_version(rec), 0);
    cr_expect_null(casescribe_record_key_id(rec));
    cr_assert_eq(casescribe_record_section_count(rec), 2);
    cr_expect_str_eq(casescribe_record_section_id(rec, 0), "o");
    cr_expect_str_eq(casescribe_record_section_model(rec, 0), "en-us");
    cr_expect_str_eq(casescribe_record_section_reviewed_at(rec, 0), "2026-11-03T09:00:00Z");
    cr_expect_str_eq(casescribe_record_section_text(rec, 1), "Mine.");
    cr_expect_null(casescribe_record_section_reviewer(rec, 1));
    cr_expect_null(casescribe_record_section_id(rec, 2), "out of range");
    casescribe_record_free(rec);
    free(xml);
}

Test(record, time_parsing)
{
    int64_t t = 0;
    cr_expect_eq(cs_parse_time(&t, "1970-01-01T00:00:00Z"), 0);
    cr_expect_eq(t, 0);
    cr_expect_eq(cs_parse_time(&t, "2026-11-02T10:16:00Z"), 0);
    cr_expect_eq(t, 1793614560);
    cr_expect_eq(cs_parse_time(&t, "2026-11-02T11:16:00.250+01:00"), 0);
    cr_expect_eq(t, 1793614560);
    cr_expect_eq(cs_parse_time(&t, "2024-02-29T00:00:00Z"), 0);
    cr_expect_eq(cs_parse_time(&t, "2025-02-29T00:00:00Z"), -1);
    cr_expect_eq(cs_parse_time(&t, "2026-13-01T00:00:00Z"), -1);
    cr_expect_eq(cs_parse_time(&t, "2026-11-02T10:16:00"), -1, "a time without a zone is ambiguous");
    cr_expect_eq(cs_parse_time(&t, "2026-11-02T10:16:00Zjunk"), -1);
    /* Offsets in use on Earth run from -12:00 to +14:00; anything else is not a time. */
    cr_expect_eq(cs_parse_time(&t, "2026-11-02T10:16:00+14:00"), 0);
    cr_expect_eq(cs_parse_time(&t, "2026-11-02T10:16:00-12:00"), 0);
    cr_expect_eq(cs_parse_time(&t, "2026-11-02T10:16:00+23:59"), -1);
    cr_expect_eq(cs_parse_time(&t, "2026-11-02T10:16:00+14:01"), -1);
    cr_expect_eq(cs_parse_time(&t, "2026-11-02T10:16:00-12:01"), -1);
    cr_expect_eq(cs_parse_time(&t, "2026-11-02T10:16:00-23:00"), -1);
    char buf[21];
    cs_format_time(buf, 1793614560);
    cr_expect_str_eq(buf, "2026-11-02T10:16:00Z");
}

/* Schema validation errors go to our own handler, and the host's last
 * libxml2 error is left as the host had it. */
Test(record, schema_errors_leave_the_hosts_last_error_alone)
{
    xmlResetLastError();
    xmlFreeDoc(xmlReadMemory("<host><oops></host>", 19, "host.xml", NULL, XML_PARSE_NOERROR));
    xmlErrorPtr before = xmlGetLastError();
    cr_assert_not_null(before, "control: the host's parse left an error");
    int code = before->code, line = before->line;
    form_parts p = {.extra = "<unknown/>"};
    char *xml = form_make(&p);
    expect_refused(xml, CASESCRIBE_ESCHEMA, "unknown");
    free(xml);
    xmlErrorPtr after = xmlGetLastError();
    cr_assert_not_null(after);
    cr_expect_eq(after->code, code, "the host's error code changed");
    cr_expect_eq(after->line, line);
    cr_expect(after->file != NULL && strcmp(after->file, "host.xml") == 0, "the host's error file changed");
    xmlResetLastError();
}
