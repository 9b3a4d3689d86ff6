/* SPDX-License-Identifier: Apache-2.0 */
/* test_record.c - the reference form: schema validation (unknown names are
 * refused by name), decoding into the model, encoding, and canonical digests
 * that depend on content only. */
#include <criterion/criterion.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <pthread.h>
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

/* The digest of part `part` rendered alone, as digests were made before
 * they came from one canonical pass. */
static void digest_alone(char out[CS_DIGEST_LEN], int32_t rc, uint8_t **bytes, const size_t *len)
{
    cr_assert_eq(rc, CASESCRIBE_OK);
    cr_assert_eq(cs_sha256_tag(out, *bytes, *len), CASESCRIBE_OK);
    free(*bytes);
    *bytes = NULL;
}

static void expect_digests_as_rendered_alone(const char *xml)
{
    cs_record *r = NULL;
    cr_assert_eq(decode_text(xml, &r), CASESCRIBE_OK, "%s", casescribe_last_error());
    cs_digests d;
    cr_assert_eq(cs_digests_compute(&d, r), CASESCRIBE_OK, "%s", casescribe_last_error());
    char want[CS_DIGEST_LEN];
    uint8_t *bytes = NULL;
    size_t len = 0;
    static const int parts[] = {CS_CANON_FORM, CS_CANON_SUBJECTS, CS_CANON_CONSENTS};
    const char *got[] = {d.form, d.subjects, d.consents};
    for (size_t i = 0; i < 3; i++) {
        digest_alone(want, cs_form_canonical(&bytes, &len, r, parts[i]), &bytes, &len);
        cr_expect_str_eq(got[i], want, "part %d of %s", parts[i], xml);
    }
    for (size_t i = 0; i < r->n_sections; i++) {
        digest_alone(want, cs_section_canonical(&bytes, &len, &r->sections[i]), &bytes, &len);
        cr_expect_str_eq(d.sections[i], want, "section %zu of %s", i, xml);
    }
    for (size_t i = 0; i < r->n_consents; i++) {
        digest_alone(want, cs_consent_canonical(&bytes, &len, &r->consents[i]), &bytes, &len);
        cr_expect_str_eq(d.entries[i], want, "consent %zu of %s", i, xml);
        char entry[CS_DIGEST_LEN];
        cr_assert_eq(cs_consent_entry_digest(entry, &r->consents[i], 0), CASESCRIBE_OK);
        cr_expect_str_eq(d.entries[i], entry);
    }
    cs_digests_free(&d);
    cs_record_free(r);
}

/* Every digest comes from slices of one canonical pass: each must be the
 * digest of its part rendered alone, whatever the form holds (prefixes, a
 * processing instruction or a comment inside a section, markup characters
 * in text and attributes, citations, withdrawals, no subjects at all). */
Test(record, one_canonical_pass_digests_every_part_as_rendered_alone)
{
    static const char *const bodies[] = {
        "<f:form xmlns:f='urn:casescribe:form:1' id='R-1' template='t' team='x' author='a' final=' true'>"
        "<f:subject id='P-1' role='child' name='A &quot;&gt;&lt;&amp;&apos; B'/>"
        "<f:consent subject='P-1' given-by='self' method='verbal' capacity='has-capacity' at='2026-01-01T10:00:00Z' "
        "scopes='ai-draft' withdrawn-at='2026-02-01T10:00:00Z'/>"
        "<f:section id='s1' origin='human'>x<?pi inside?>y<!-- c --><![CDATA[ <z> \"q\" ]]>&gt;</f:section>"
        "<f:section id='s2' origin='ai-draft' engine='embedded:pocketsphinx' model='a\"&gt;b'>Text &lt;/section&gt;</f:section>"
        "<f:cite section='s2' offset='0' length='4' segments='1 2' support='unsupported' reason='a &gt; b'/></f:form>",
        "<form xmlns=\"urn:casescribe:form:1\" id=\"R-2\" template=\"t\" team=\"x\" author=\"a\">"
        "<subject id=\"P\" role=\"r\"/><section id=\"only\" origin=\"human\">Ünïcødé ✓\r\n\ttabs</section></form>",
        "<form xmlns=\"urn:casescribe:form:1\" id=\"R-3\" template=\"t\" team=\"x\" author=\"a\">"
        "<subject id=\"P-1\" role=\"r\"/><subject id=\"P-2\" role=\"r\"/>"
        "<consent subject=\"P-2\" given-by=\"self\" method=\"written\" capacity=\"has-capacity\" "
        "at=\"2026-01-01T10:00:00Z\" scopes=\"\"/><section id=\"e\" origin=\"human\"></section></form>",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(*bodies); i++)
        expect_digests_as_rendered_alone(bodies[i]);
    char *usual = form_make(&(form_parts){0});
    expect_digests_as_rendered_alone(usual);
    free(usual);
}

/* Attribute values and texts are read from the parsed document as libxml2
 * reads them (entities and character references resolved, CDATA and text
 * joined, comments and PIs left out), whichever way the payload wrote them. */
Test(record, values_are_read_with_their_references_resolved)
{
    const char *xml = "<form xmlns='urn:casescribe:form:1' id='R&#45;1' template='t' team='x' author='a'>"
                      "<subject id='P' role='r' name='A &quot;&gt;&lt;&amp;&apos; B&#x2713;'/>"
                      "<subject id='Q' role='' name=\"it's\"/>"
                      "<section id='s' origin='human'>a<!-- c -->b<?pi x?><![CDATA[<c>]]>&amp;d</section></form>";
    cs_record *r = NULL;
    cr_assert_eq(decode_text(xml, &r), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_str_eq(r->id, "R-1");
    cr_expect_str_eq(r->subjects[0].name, "A \">\x3c&' B\xe2\x9c\x93");
    cr_expect_str_eq(r->subjects[1].role, "");
    cr_expect_str_eq(r->subjects[1].name, "it's");
    cr_expect_str_eq(r->subjects[1].id, "Q");
    cr_expect_null(r->carried_digest, "an absent attribute is NULL");
    cr_expect_str_eq(r->sections[0].text, "ab<c>&d");
    cs_record_free(r);
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

/* A form outside the namespace: the message names the xmlns it needs,
 * not libxml2's "No matching global declaration available for the
 * validation root". So does any document checked against a schema. */
Test(record, a_form_without_its_namespace_says_which_it_needs)
{
    const char *body = " id=\"R-1\" template=\"t\" team=\"x\" author=\"a\"><subject id=\"P\" role=\"r\"/>"
                       "<section id=\"s\" origin=\"human\">T</section></form>";
    char xml[512];
    snprintf(xml, sizeof(xml), "<form%s", body);
    expect_refused(xml, CASESCRIBE_ESCHEMA, "its root element <form> is in no namespace; it needs "
                                            "xmlns=\"urn:casescribe:form:1\"");
    cr_expect_null(strstr(casescribe_last_error(), "No matching global declaration"));
    snprintf(xml, sizeof(xml), "<form xmlns=\"urn:casescribe:form:2\"%s", body);
    expect_refused(xml, CASESCRIBE_ESCHEMA, "in namespace 'urn:casescribe:form:2'; it needs "
                                            "xmlns=\"urn:casescribe:form:1\"");
    snprintf(xml, sizeof(xml), "<form xmlns=\"urn:casescribe:form:1\"%s", body);
    cs_record *r = NULL;
    cr_expect_eq(decode_text(xml, &r), CASESCRIBE_OK, "%s", casescribe_last_error());
    cs_record_free(r);
}

/* Validation contexts are reused from one form to the next: nothing of a
 * refused form (its error, where validation stopped) carries into the next,
 * from one thread or several. */
static void *validate_in_turn(void *arg)
{
    (void)arg;
    const char *good = "<form xmlns=\"urn:casescribe:form:1\" id=\"R-1\" template=\"t\" team=\"x\" author=\"a\">"
                       "<subject id=\"P\" role=\"r\"/><section id=\"s\" origin=\"human\">T</section></form>";
    for (int i = 0; i < 20; i++) {
        expect_refused("<form xmlns=\"urn:casescribe:form:1\" id=\"R-1\" template=\"t\" team=\"x\" author=\"a\">"
                       "<subject id=\"P\" role=\"r\"/><section id=\"s\" origin=\"human\" mood=\"x\">T</section>"
                       "</form>",
                       CASESCRIBE_ESCHEMA, "mood");
        cs_record *r = NULL;
        cr_expect_eq(decode_text(good, &r), CASESCRIBE_OK, "%s", casescribe_last_error());
        cs_record_free(r);
        expect_refused("<form xmlns=\"urn:casescribe:form:1\" id=\"R-1\" template=\"t\" team=\"x\" author=\"a\">"
                       "<section id=\"s\" origin=\"human\">T</section></form>",
                       CASESCRIBE_ESCHEMA, "subject");
    }
    return NULL;
}

Test(record, a_reused_validation_context_keeps_nothing_of_the_last_form)
{
    pthread_t threads[4];
    validate_in_turn(NULL);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&threads[i], NULL, validate_in_turn, NULL), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(threads[i], NULL);
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

/* ---- the fingerprint's patterns, checked in C -------------------------- */

extern const unsigned char cs_form_schema[];
extern const unsigned int cs_form_schema_len;

static void quiet(void *user, xmlErrorPtr err)
{
    (void)user;
    (void)err;
}

/* A fingerprint value: valid runs, or one of many ways to be wrong. */
static void make_print(char *out, unsigned *seed)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
    static const char *const prefixes[] = {"mh1:", "mh2:", "mh3:", "mh3:", "mh4:", "mh4:", "mh0:",
                                           "mh5:", "MH3:", "mh3",  "",     "mh12:"};
    static const char *const wrong[] = {" ", "-", "_", ".", ":", "!", "\xc3\xa9", "&#9;", "&amp;", "&lt;",
                                        "\xe2\x9c\x93"};
    static const size_t sizes[] = {0, 1, 2, 63, 1023, 1024, 1025, 1367, 1368, 1369, 2731, 2732, 2733};
    const char *prefix = prefixes[rand_r(seed) % 12];
    size_t at = (size_t)sprintf(out, "%s", prefix);
    int runs = rand_r(seed) % 2 ? (strcmp(prefix, "mh3:") == 0 || strcmp(prefix, "mh4:") == 0 ? 3 : 1) : rand_r(seed) % 4 + 1;
    for (int r = 0; r < runs; r++) {
        size_t n = rand_r(seed) % 3 ? sizes[rand_r(seed) % 13] : (size_t)(rand_r(seed) % 2800);
        for (size_t i = 0; i < n; i++)
            out[at++] = b64[rand_r(seed) % 65];
        if (r + 1 < runs)
            out[at++] = rand_r(seed) % 8 ? '.' : ',';
    }
    out[at] = '\0';
    if (rand_r(seed) % 4 == 0 && at > 0) { /* a wrong character somewhere */
        size_t pos = rand_r(seed) % at;
        char tail[16384];
        snprintf(tail, sizeof(tail), "%s", out + pos);
        sprintf(out + pos, "%s%s", wrong[rand_r(seed) % 11], tail);
    }
}

/* The published form-1.xsd (every pattern in the regex engine) and the
 * library's decode (the fingerprint's patterns in C) accept and refuse the
 * same fingerprints: generated valid and invalid values in a stamped record. */
Test(record, fingerprint_patterns_checked_in_c_agree_with_the_published_xsd)
{
    test_home h;
    home_open(&h, CASESCRIBE_OPEN_NO_SYNC);
    form_parts parts = {.sections = SECTION_DRAFT("a", "One two three four five six seven eight nine ten eleven.")};
    char *stamped = NULL, *form = form_make(&parts);
    cr_assert_eq(save_as(h.ctx, form, &stamped), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *at = strstr(stamped, "fingerprint=\"");
    cr_assert_not_null(at);
    at += strlen("fingerprint=\"");
    char *end = strchr(at, '"');
    xmlSchemaParserCtxtPtr pctxt = xmlSchemaNewMemParserCtxt((const char *)cs_form_schema, (int)cs_form_schema_len);
    xmlSchemaPtr published = xmlSchemaParse(pctxt);
    xmlSchemaValidCtxtPtr vctxt = xmlSchemaNewValidCtxt(published);
    cr_assert_not_null(vctxt);
    xmlSchemaSetValidStructuredErrors(vctxt, quiet, NULL);
    unsigned seed = 20;
    int accepted = 0, refused = 0;
    static char print[16384], xml[40960];
    for (int i = 0; i < 4500; i++) {
        make_print(print, &seed);
        snprintf(xml, sizeof(xml), "%.*s%s%s", (int)(at - stamped), stamped, print, end);
        xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, XML_PARSE_NONET);
        int xsd_ok = doc != NULL && xmlSchemaValidateDoc(vctxt, doc) == 0;
        xmlFreeDoc(doc);
        cs_record *r = NULL;
        int32_t rc = cs_form_decode(&r, (const uint8_t *)xml, strlen(xml));
        cr_expect_eq(rc == CASESCRIBE_OK, xsd_ok, "value %d (%zu bytes) '%.80s...': decode %d, published XSD %d", i,
                     strlen(print), print, rc, xsd_ok);
        cr_expect(rc == CASESCRIBE_OK || rc == CASESCRIBE_ESCHEMA || rc == CASESCRIBE_EPARSE ||
                      rc == CASESCRIBE_ETOOBIG,
                  "status %d", rc);
        accepted += rc == CASESCRIBE_OK;
        refused += rc != CASESCRIBE_OK;
        cs_record_free(r);
    }
    cr_expect_gt(accepted, 200, "enough valid values were tried (%d)", accepted);
    cr_expect_gt(refused, 300, "enough invalid values were tried (%d)", refused);
    xmlSchemaFreeValidCtxt(vctxt);
    xmlSchemaFree(published);
    xmlSchemaFreeParserCtxt(pctxt);
    free(form);
    casescribe_free(stamped);
    home_close(&h);
}
