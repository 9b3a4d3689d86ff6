/* SPDX-License-Identifier: Apache-2.0 */
/* test_fhir.c - the built-in "fhir" adapter: FHIR R4 Bundles in JSON and
 * XML saved, stamped and verified through the public API; the refusals of
 * the pipeline through FHIR; tampering with the FHIR (answer text, a
 * Consent's status, the visible Provenance, the AI labels); the JWS over
 * the Provenance; items the record model cannot hold kept on the way
 * back; the R4 value sets and required elements the adapter writes; and
 * hostile payloads refused without a crash. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fhir/fhir.h"
#include "helpers.h"

#define SD "https://casescribe.org/fhir/StructureDefinition/"

static test_home home;

static void setup(void)
{
    home_open(&home, CASESCRIBE_OPEN_CREATE);
    /* Built in; registered here too when the library was built without it,
     * so that these tests say what is wrong with the adapter, not that. */
    casescribe_adapter a;
    cr_assert_eq(casescribe_adapter_init(&a, sizeof(a)), CASESCRIBE_OK);
    cr_assert_eq(cs_fhir_adapter_fill(&a), CASESCRIBE_OK);
    int32_t rc = casescribe_adapter_register(&a);
    cr_assert(rc == CASESCRIBE_OK || rc == CASESCRIBE_ECONFLICT, "register: %s", casescribe_last_error());
}

static void teardown(void)
{
    home_close(&home);
}

TestSuite(fhir, .init = setup, .fini = teardown, .timeout = 60);

/* ---- helpers --------------------------------------------------------------- */

static uint8_t *data_file(const char *name, size_t *len)
{
    const char *top = getenv("top_srcdir");
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/data/fhir/%s", top != NULL ? top : ".", name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    uint8_t *buf = malloc(1 << 20);
    cr_assert_not_null(buf);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static int32_t save(const uint8_t *payload, size_t len, uint8_t **out, size_t *out_len)
{
    casescribe_actor actor;
    cr_assert_eq(casescribe_actor_init(&actor, sizeof(actor)), CASESCRIBE_OK);
    actor.user_id = "sw-017";
    actor.role = "social-worker";
    *out = NULL;
    *out_len = 0;
    return casescribe_save(out, out_len, home.ctx, "fhir", &actor, payload, len);
}

static int32_t save_json(json_t *bundle, uint8_t **out, size_t *out_len)
{
    char *s = json_dumps(bundle, JSON_COMPACT);
    cr_assert_not_null(s);
    int32_t rc = save((const uint8_t *)s, strlen(s), out, out_len);
    free(s);
    return rc;
}

static int32_t verify(const uint8_t *payload, size_t len)
{
    char *report = NULL;
    int32_t rc = casescribe_verify(&report, home.ctx, "fhir", payload, len);
    casescribe_free(report);
    return rc;
}

static int32_t verify_json(json_t *bundle)
{
    char *s = json_dumps(bundle, JSON_INDENT(2));
    cr_assert_not_null(s);
    int32_t rc = verify((const uint8_t *)s, strlen(s));
    free(s);
    return rc;
}

static json_t *load_json(const uint8_t *bytes, size_t len)
{
    json_t *j = json_loadb((const char *)bytes, len, 0, NULL);
    cr_assert_not_null(j, "not JSON");
    return j;
}

/* The n-th resource of `type` in a Bundle (JSON). */
static json_t *resource(json_t *bundle, const char *type, size_t n)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(bundle, "entry"), i, e)
    {
        json_t *r = json_object_get(e, "resource");
        if (strcmp(json_string_value(json_object_get(r, "resourceType")), type) == 0 && n-- == 0)
            return r;
    }
    return NULL;
}

static json_t *entry_of(json_t *bundle, const char *type)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(bundle, "entry"), i, e)
    {
        if (strcmp(json_string_value(json_object_get(json_object_get(e, "resource"), "resourceType")), type) == 0)
            return e;
    }
    return NULL;
}

/* The item with linkId `link`, anywhere under `parent`. */
static json_t *item(json_t *parent, const char *link)
{
    size_t i, j;
    json_t *it, *a;
    json_array_foreach(json_object_get(parent, "item"), i, it)
    {
        if (strcmp(json_string_value(json_object_get(it, "linkId")), link) == 0)
            return it;
        json_t *found = item(it, link);
        json_array_foreach(json_object_get(it, "answer"), j, a)
        {
            if (found == NULL)
                found = item(a, link);
        }
        if (found != NULL)
            return found;
    }
    return NULL;
}

static json_t *extension(json_t *parent, const char *url)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(parent, "extension"), i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "url")), url) == 0)
            return e;
    }
    return NULL;
}

/* A copy of the items with every extension removed, to compare what the
 * host sent with what came back. */
static void strip_extensions(json_t *v)
{
    if (json_is_object(v)) {
        json_object_del(v, "extension");
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x)
        {
            strip_extensions(x);
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            strip_extensions(x);
        }
    }
}

static void expect_same_items(json_t *sent, json_t *back);

static void set_string(json_t *obj, const char *key, const char *value)
{
    cr_assert_eq(json_object_set_new(obj, key, json_string(value)), 0);
}

/* The visit (tests/data/fhir/visit.json): a QuestionnaireResponse with an
 * AI draft, sections in and out of a group, a boolean, an integer and a
 * coded answer, two people and their Consents. Saved as is, as draft. */
static json_t *visit(void)
{
    size_t len = 0;
    uint8_t *bytes = data_file("visit.json", &len);
    json_t *j = load_json(bytes, len);
    free(bytes);
    return j;
}

static json_t *saved_visit(void)
{
    json_t *in = visit();
    uint8_t *out = NULL;
    size_t out_len = 0;
    cr_assert_eq(save_json(in, &out, &out_len), CASESCRIBE_OK, "save: %s", casescribe_last_error());
    json_decref(in);
    json_t *j = load_json(out, out_len);
    casescribe_free(out);
    return j;
}

/* ---- saving and verifying ---------------------------------------------------- */

Test(fhir, a_json_bundle_is_stamped_in_json_and_verifies)
{
    size_t len = 0, out_len = 0;
    uint8_t *in = data_file("visit.json", &len), *out = NULL;
    cr_assert_eq(save(in, len, &out, &out_len), CASESCRIBE_OK, "save: %s", casescribe_last_error());
    cr_expect_eq(cs_fhir_format(out, out_len), CS_FHIR_JSON, "the answer is in the payload's format");
    cr_expect_eq(verify(out, out_len), CASESCRIBE_OK, "verify: %s", casescribe_last_error());
    char *pem = NULL;
    cr_assert_eq(casescribe_public_key(&pem, home.ctx), CASESCRIBE_OK);
    char *report = NULL;
    cr_expect_eq(casescribe_verify_with_public_key(&report, "fhir", (const uint8_t *)pem, strlen(pem), out, out_len),
                 CASESCRIBE_OK, "verify with the public key: %s", casescribe_last_error());
    cr_expect_not_null(strstr(report, "VERIFIED"));
    casescribe_free(report);
    /* The record reads the same through the adapter. */
    casescribe_record *r = NULL;
    cr_assert_eq(casescribe_record_open(&r, "fhir", out, out_len), CASESCRIBE_OK);
    cr_expect_str_eq(casescribe_record_id(r), "R-7001");
    cr_expect_eq(casescribe_record_version(r), 1);
    cr_expect_eq(casescribe_record_section_count(r), 4);
    cr_expect_str_eq(casescribe_record_section_id(r, 2), "home-environment", "the section inside the group");
    casescribe_record_free(r);
    casescribe_free(pem);
    casescribe_free(out);
    free(in);
}

Test(fhir, an_xml_bundle_is_stamped_in_xml_and_verifies)
{
    size_t len = 0, out_len = 0;
    uint8_t *in = data_file("visit.xml", &len), *out = NULL;
    cr_assert_eq(save(in, len, &out, &out_len), CASESCRIBE_OK, "save: %s", casescribe_last_error());
    cr_assert_eq(cs_fhir_format(out, out_len), CS_FHIR_XML, "the answer is in the payload's format");
    void *doc = NULL;
    cr_assert_eq(casescribe_xml_parse(&doc, out, out_len), CASESCRIBE_OK);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    cr_expect_str_eq((const char *)root->name, "Bundle");
    cr_expect_str_eq((const char *)root->ns->href, "http://hl7.org/fhir");
    casescribe_xml_free(doc);
    cr_expect_not_null(strstr((const char *)out, "<Provenance>"));
    cr_expect_eq(verify(out, out_len), CASESCRIBE_OK, "verify: %s", casescribe_last_error());
    char *pem = NULL, *report = NULL;
    cr_assert_eq(casescribe_public_key(&pem, home.ctx), CASESCRIBE_OK);
    cr_expect_eq(casescribe_verify_with_public_key(&report, "fhir", (const uint8_t *)pem, strlen(pem), out, out_len),
                 CASESCRIBE_OK);
    casescribe_free(report);
    casescribe_free(pem);
    casescribe_free(out);
    free(in);
}

Test(fhir, the_same_record_verifies_in_either_format)
{
    json_t *b = saved_visit();
    char *s = json_dumps(b, JSON_INDENT(2));
    uint8_t *xml = NULL, *back = NULL;
    size_t xml_len = 0, back_len = 0;
    cr_assert_eq(cs_fhir_convert(&xml, &xml_len, (const uint8_t *)s, strlen(s), CS_FHIR_XML), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    cr_expect_eq(verify(xml, xml_len), CASESCRIBE_OK, "the XML of a JSON record verifies: %s", casescribe_last_error());
    cr_assert_eq(cs_fhir_convert(&back, &back_len, xml, xml_len, CS_FHIR_JSON), CASESCRIBE_OK);
    json_t *again = load_json(back, back_len);
    cr_expect(json_equal(b, again), "JSON -> XML -> JSON gives back the same Bundle");
    json_decref(again);
    json_decref(b);
    free(s);
    free(xml);
    free(back);
}

Test(fhir, a_second_save_chains_to_the_first)
{
    json_t *b = saved_visit();
    json_t *present = item(resource(b, "QuestionnaireResponse", 0), "present");
    set_string(json_array_get(json_object_get(present, "answer"), 0), "valueString", "Jo, Sam and their nan were in.");
    uint8_t *out = NULL;
    size_t out_len = 0;
    cr_assert_eq(save_json(b, &out, &out_len), CASESCRIBE_OK, "second save: %s", casescribe_last_error());
    cr_expect_eq(verify(out, out_len), CASESCRIBE_OK);
    json_t *v2 = load_json(out, out_len);
    json_t *prov = resource(v2, "Provenance", 0);
    cr_expect_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(json_object_get(prov, "activity"), "coding"), 0), "code")),
                     "UPDATE");
    casescribe_record *r = NULL;
    cr_assert_eq(casescribe_record_open(&r, "fhir", out, out_len), CASESCRIBE_OK);
    cr_expect_eq(casescribe_record_version(r), 2);
    /* the stamp's facts read the same from a FHIR record */
    cr_expect_str_eq(casescribe_record_stamp(r, "version"), "2");
    cr_expect_str_eq(casescribe_record_stamp(r, "actor"), "sw-017");
    cr_expect_str_eq(casescribe_record_stamp(r, "role"), "social-worker");
    cr_expect_eq(strncmp(casescribe_record_stamp(r, "previous"), "sha256:", 7), 0);
    cr_expect_not_null(casescribe_record_stamp(r, "time"));
    cr_expect_not_null(casescribe_record_stamp(r, "ledger-seq"));
    cr_expect_eq(casescribe_record_stamp_count(r, "section"), casescribe_record_section_count(r));
    cr_expect_gt(casescribe_record_stamp_count(r, "consent"), 0);
    cr_expect_not_null(casescribe_record_stamp_item(r, "consent", 0, "subject"));
    casescribe_record_free(r);
    json_decref(v2);
    json_decref(b);
    casescribe_free(out);
}

/* Issue #17: the AI section's text, one word changed, saved under another
 * engine: the Provenance names both engines, each a contained Device. */
Test(fhir, every_engine_that_drafted_a_text_is_a_device)
{
    json_t *b = saved_visit();
    json_t *seen = item(resource(b, "QuestionnaireResponse", 0), "child-seen");
    cr_assert_not_null(seen);
    json_array_remove(json_object_get(seen, "extension"), 1); /* the citation, which the new text does not fit */
    set_string(json_array_get(json_object_get(seen, "answer"), 0), "valueString",
               "Jo said the new bus route makes the afternoons easier.");
    json_t *parts = json_object_get(extension(seen, SD "section"), "extension");
    size_t i;
    json_t *x;
    json_array_foreach(parts, i, x)
    {
        if (strcmp(json_string_value(json_object_get(x, "url")), "engine") == 0)
            set_string(x, "valueString", "embedded:extractive");
    }
    uint8_t *out = NULL;
    size_t out_len = 0;
    cr_assert_eq(save_json(b, &out, &out_len), CASESCRIBE_OK, "second save: %s", casescribe_last_error());
    cr_expect_eq(verify(out, out_len), CASESCRIBE_OK);
    json_t *v2 = load_json(out, out_len);
    json_t *devices = json_object_get(resource(v2, "Provenance", 0), "contained"), *d;
    int extractive = 0, pocketsphinx = 0;
    json_array_foreach(devices, i, d)
    {
        const char *name = json_string_value(
            json_object_get(json_array_get(json_object_get(d, "deviceName"), 0), "name"));
        extractive += name != NULL && strcmp(name, "embedded:extractive") == 0;
        pocketsphinx += name != NULL && strcmp(name, "embedded:pocketsphinx") == 0;
    }
    cr_expect_eq(extractive, 1, "the engine of this version");
    cr_expect_eq(pocketsphinx, 1, "the engine that drafted the text first");
    json_decref(v2);
    json_decref(b);
    casescribe_free(out);
}

/* ---- the pipeline's refusals, through FHIR ------------------------------------- */

static const char never_template[] =
    "<template xmlns=\"urn:casescribe:template:1\" id=\"visit-test\" version=\"1\"><title>Test visit</title>"
    "<section id=\"present\" ai=\"draft\"><title>Present</title><guidance>Everyone at the visit.</guidance>"
    "<prompt>who was present</prompt><cues>present here attended grandmother nan sister brother</cues></section>"
    "<section id=\"analysis\" ai=\"never\"><title>Analysis</title><guidance>Judgement.</guidance>"
    "<prompt>risk</prompt><cues>risk</cues></section></template>";

static void install_template(void)
{
    cr_assert_eq(casescribe_template_install(home.ctx, (const uint8_t *)never_template, strlen(never_template)),
                 CASESCRIBE_OK, "%s", casescribe_last_error());
}

static json_t *section_ext(const char *origin)
{
    return json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]}", "url", SD "section", "extension", "url", "origin",
                     "valueCode", origin, "url", "engine", "valueString", "embedded:extractive", "url", "model",
                     "valueString", "bm25-sentences");
}

Test(fhir, ai_text_in_a_never_section_is_refused)
{
    install_template();
    json_t *b = visit();
    json_t *qr = resource(b, "QuestionnaireResponse", 0);
    set_string(qr, "questionnaire", "https://casescribe.org/fhir/Questionnaire/visit-test");
    json_object_set_new(item(qr, "analysis"), "extension", json_pack("[o]", section_ext("ai-draft")));
    uint8_t *out = NULL;
    size_t out_len = 0;
    cr_expect_eq(save_json(b, &out, &out_len), CASESCRIBE_EPOLICY);
    cr_expect_not_null(strstr(casescribe_last_error(), "analysis"), "%s", casescribe_last_error());
    cr_expect_not_null(strstr(casescribe_last_error(), "never"));
    cr_expect_null(out);
    json_decref(b);
}

Test(fhir, a_final_save_needs_every_ai_draft_reviewed)
{
    json_t *b = visit();
    json_t *qr = resource(b, "QuestionnaireResponse", 0);
    set_string(qr, "status", "completed");
    uint8_t *out = NULL;
    size_t out_len = 0;
    cr_expect_eq(save_json(b, &out, &out_len), CASESCRIBE_EREVIEW, "%s", casescribe_last_error());
    cr_expect_not_null(strstr(casescribe_last_error(), "child-seen"), "%s", casescribe_last_error());
    /* Reviewed and edited by the worker: saved final. */
    json_t *sec = extension(item(qr, "child-seen"), SD "section");
    json_t *parts = json_object_get(sec, "extension");
    set_string(json_array_get(parts, 0), "valueCode", "ai-reviewed");
    json_array_append_new(parts, json_pack("{s:s, s:s}", "url", "reviewed-by", "valueString", "sw-017"));
    json_array_append_new(parts,
                          json_pack("{s:s, s:s}", "url", "reviewed-at", "valueDateTime", "2026-11-03T09:00:00Z"));
    json_array_append_new(parts, json_pack("{s:s, s:s}", "url", "review", "valueCode", "edited"));
    cr_assert_eq(save_json(b, &out, &out_len), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(verify(out, out_len), CASESCRIBE_OK);
    json_t *s = load_json(out, out_len);
    cr_expect_str_eq(json_string_value(json_object_get(resource(s, "QuestionnaireResponse", 0), "status")),
                     "completed");
    /* The reviewer is the Provenance's verifier. */
    json_t *agents = json_object_get(resource(s, "Provenance", 0), "agent"), *a;
    size_t i;
    int verifier = 0;
    json_array_foreach(agents, i, a)
    {
        json_t *coding = json_array_get(json_object_get(json_object_get(a, "type"), "coding"), 0);
        if (strcmp(json_string_value(json_object_get(coding, "code")), "verifier") == 0)
            verifier = strcmp(json_string_value(
                                  json_object_get(json_object_get(json_object_get(a, "who"), "identifier"), "value")),
                              "sw-017") == 0;
    }
    cr_expect(verifier, "the reviewer is an agent of type verifier");
    json_decref(s);
    json_decref(b);
    casescribe_free(out);
}

Test(fhir, ai_text_without_consent_is_refused)
{
    json_t *b = visit();
    /* P-3's Consent withdrawn before the save: AI text may no longer be saved. */
    json_t *c = resource(b, "Consent", 1);
    set_string(c, "status", "inactive");
    json_object_set_new(json_object_get(c, "provision"), "period", json_pack("{s:s}", "end", "2026-11-02T11:00:00Z"));
    uint8_t *out = NULL;
    size_t out_len = 0;
    cr_expect_eq(save_json(b, &out, &out_len), CASESCRIBE_ECONSENT, "%s", casescribe_last_error());
    json_decref(b);
}

/* ---- a fill job's draft, through FHIR ----------------------------------------------- */

/* A transcript of a few things said at the visit, one second a word. */
static char *transcript_xml(void)
{
    static const char *const said[] = {
        "Worker: Hello, thanks for having me today.",
        "Jo: Come in. My nan is here as well, she attended the last meeting too.",
        "Jo: The bus route makes the mornings easier.",
        "Worker: Lovely weather for it.",
    };
    size_t cap = 8192, len = 0;
    char *x = malloc(cap);
    cr_assert_not_null(x);
    len += (size_t)snprintf(
        x, cap,
        "<transcript xmlns=\"urn:casescribe:transcript:1\" made-by=\"machine\" engine=\"test:fixture\" "
        "engine-version=\"1\" model=\"none\" settings=\"\" source=\"fixture\" "
        "unsure-below-permille=\"600\">");
    long ms = 0;
    for (size_t i = 0; i < sizeof(said) / sizeof(*said); i++) {
        char words[256];
        len += (size_t)snprintf(x + len, cap - len, "<segment n=\"%zu\" start-ms=\"%ld\" end-ms=\"%ld\">", i + 1, ms,
                                ms + 20000);
        snprintf(words, sizeof(words), "%s", said[i]);
        for (char *w = strtok(words, " "); w != NULL; w = strtok(NULL, " "), ms += 1000)
            len += (size_t)snprintf(x + len, cap - len,
                                    "<w start-ms=\"%ld\" end-ms=\"%ld\" confidence-permille=\"%d\">%s</w>", ms,
                                    ms + 800, strcmp(w, "nan") == 0 ? 300 : 900, w);
        len += (size_t)snprintf(x + len, cap - len, "</segment>");
        ms += 20000;
    }
    snprintf(x + len, cap - len, "</transcript>");
    return x;
}

/* A fill job on `form` (FHIR JSON) with the never-template and the test
 * transcript, run to its end: the job, its draft, and what to free. */
struct filled {
    casescribe_job *job;
    casescribe_template *tpl;
    casescribe_transcript *t;
    uint8_t *draft;
    size_t draft_len;
};

static struct filled fill_fhir(const char *form)
{
    struct filled f = {0};
    cr_assert_eq(casescribe_template_open(&f.tpl, (const uint8_t *)never_template, strlen(never_template)),
                 CASESCRIBE_OK);
    char *said = transcript_xml();
    cr_assert_eq(casescribe_transcript_open(&f.t, (const uint8_t *)said, strlen(said)), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    free(said);
    casescribe_fill_options o;
    cr_assert_eq(casescribe_fill_options_init(&o, sizeof(o)), CASESCRIBE_OK);
    o.form_adapter = "fhir";
    o.form = (const uint8_t *)form;
    o.form_len = strlen(form);
    o.form_template = f.tpl;
    o.transcript = f.t;
    cr_assert_eq(casescribe_fill(&f.job, home.ctx, &o), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(casescribe_job_wait(f.job, 30000), CASESCRIBE_OK);
    cr_assert_eq(casescribe_job_status(f.job), CASESCRIBE_OK, "%s", casescribe_job_message(f.job));
    cr_assert_eq(casescribe_job_draft(&f.draft, &f.draft_len, f.job), CASESCRIBE_OK);
    return f;
}

Test(fhir, a_fill_draft_comes_back_in_fhir_and_saves)
{
    install_template();
    json_t *b = visit();
    json_t *qr = resource(b, "QuestionnaireResponse", 0);
    set_string(qr, "questionnaire", "https://casescribe.org/fhir/Questionnaire/visit-test");
    json_object_del(item(qr, "present"), "answer"); /* left for the filler */
    char *form = json_dumps(b, JSON_COMPACT);
    struct filled f = fill_fhir(form);
    casescribe_job *job = f.job;
    uint8_t *draft = f.draft, *out = NULL;
    size_t draft_len = f.draft_len, out_len = 0;
    cr_expect_eq(cs_fhir_format(draft, draft_len), CS_FHIR_JSON, "the draft is in the host's format");
    json_t *d = load_json(draft, draft_len);
    json_t *present = item(resource(d, "QuestionnaireResponse", 0), "present");
    cr_assert_not_null(present);
    cr_expect_str_eq(json_string_value(json_object_get(present, "text")), "Who was present", "the title stays");
    char *result = NULL;
    cr_assert_eq(casescribe_job_result(&result, job), CASESCRIBE_OK);
    cr_expect_not_null(extension(present, SD "cite"), "every drafted sentence is cited: %s", result);
    casescribe_free(result);
    cr_expect_not_null(extension(present, "http://hl7.org/fhir/uv/security-label-ds4p/StructureDefinition/"
                                          "extension-inline-sec-label"));
    json_t *drafted = json_deep_copy(resource(d, "QuestionnaireResponse", 0));
    json_object_del(item(drafted, "present"), "answer"); /* the rest is as the host sent it */
    expect_same_items(qr, drafted);
    json_decref(drafted);
    /* The host saves the draft as it came. */
    cr_expect_eq(save(draft, draft_len, &out, &out_len), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(verify(out, out_len), CASESCRIBE_OK);
    json_decref(d);
    json_decref(b);
    casescribe_free(draft);
    casescribe_free(out);
    casescribe_job_free(job);
    casescribe_template_free(f.tpl);
    casescribe_transcript_free(f.t);
    free(form);
}

/* ---- tampering ------------------------------------------------------------------ */

Test(fhir, a_changed_answer_does_not_verify)
{
    json_t *b = saved_visit();
    cr_assert_eq(verify_json(b), CASESCRIBE_OK);
    json_t *present = item(resource(b, "QuestionnaireResponse", 0), "home-environment");
    set_string(json_array_get(json_object_get(present, "answer"), 0), "valueString", "The house was cold.");
    cr_expect_eq(verify_json(b), CASESCRIBE_EVERIFY, "%s", casescribe_last_error());
    json_decref(b);
}

Test(fhir, a_changed_consent_status_does_not_verify)
{
    json_t *b = saved_visit();
    set_string(resource(b, "Consent", 0), "status", "inactive");
    cr_expect_neq(verify_json(b), CASESCRIBE_OK);
    cr_expect_not_null(strstr(casescribe_last_error(), "Consent.status"), "%s", casescribe_last_error());
    set_string(resource(b, "Consent", 0), "status", "rejected");
    cr_expect_neq(verify_json(b), CASESCRIBE_OK);
    json_decref(b);
}

Test(fhir, a_changed_provenance_agent_does_not_verify)
{
    json_t *b = saved_visit();
    json_t *prov = resource(b, "Provenance", 0);
    json_t *who =
        json_object_get(json_object_get(json_array_get(json_object_get(prov, "agent"), 0), "who"), "identifier");
    set_string(who, "value", "sw-999");
    cr_expect_eq(verify_json(b), CASESCRIBE_ESCHEMA);
    cr_expect_not_null(strstr(casescribe_last_error(), "does not match its stamp"), "%s", casescribe_last_error());
    set_string(who, "value", "sw-017");
    cr_expect_eq(verify_json(b), CASESCRIBE_OK, "put back, it verifies again");
    /* An AI engine left out of the visible agents is caught too. */
    json_array_remove(json_object_get(prov, "agent"), 1);
    cr_expect_eq(verify_json(b), CASESCRIBE_ESCHEMA);
    json_decref(b);
}

Test(fhir, a_servers_copy_of_the_provenance_still_verifies)
{
    /* A server that ran the transaction resolved the target to the version
     * it made and gave each resource an id and meta: not the stamp's to say,
     * so the record still verifies and the JWS still checks. */
    json_t *b = saved_visit();
    json_t *qr = resource(b, "QuestionnaireResponse", 0);
    set_string(qr, "id", "123");
    json_object_set_new(json_object_get(qr, "meta"), "versionId", json_string("1"));
    set_string(resource(b, "Consent", 0), "id", "c-1");
    json_object_set_new(resource(b, "Consent", 1), "meta", json_pack("{s:s}", "lastUpdated", "2026-11-02T10:31:00Z"));
    json_t *prov = resource(b, "Provenance", 0);
    json_t *target = json_array_get(json_object_get(prov, "target"), 0);
    set_string(target, "reference", "QuestionnaireResponse/123/_history/1");
    json_object_del(target, "extension");
    set_string(prov, "id", "prov-1");
    json_object_set_new(prov, "meta", json_pack("{s:s}", "versionId", "1"));
    cr_expect_eq(verify_json(b), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *s = json_dumps(b, 0), *canonical = NULL, *jws = NULL, *pem = NULL;
    size_t len = 0;
    cr_assert_eq(cs_fhir_signed_payload(&canonical, &len, &jws, (const uint8_t *)s, strlen(s)), CASESCRIBE_OK);
    cr_assert_eq(casescribe_public_key(&pem, home.ctx), CASESCRIBE_OK);
    cr_expect_eq(casescribe_jws_verify(jws, (const uint8_t *)pem, strlen(pem), (const uint8_t *)canonical, len),
                 CASESCRIBE_OK);
    /* But in the Bundle as the adapter wrote it, the target is the
     * QuestionnaireResponse's own entry. */
    set_string(target, "reference", "urn:uuid:00000000-0000-4000-8000-000000000000");
    cr_expect_eq(verify_json(b), CASESCRIBE_ESCHEMA);
    casescribe_free(pem);
    free(canonical);
    free(jws);
    free(s);
    json_decref(b);
}

Test(fhir, a_removed_ai_label_does_not_verify)
{
    json_t *b = saved_visit();
    json_t *qr = resource(b, "QuestionnaireResponse", 0);
    json_t *exts = json_object_get(item(qr, "child-seen"), "extension");
    size_t last = json_array_size(exts) - 1;
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(exts, last), "url")),
                     "http://hl7.org/fhir/uv/security-label-ds4p/StructureDefinition/extension-inline-sec-label");
    json_array_remove(exts, last);
    cr_expect_eq(verify_json(b), CASESCRIBE_ESCHEMA);
    cr_expect_not_null(strstr(casescribe_last_error(), "AIAST"), "%s", casescribe_last_error());
    json_decref(b);
    b = saved_visit();
    json_object_del(resource(b, "QuestionnaireResponse", 0), "meta");
    cr_expect_eq(verify_json(b), CASESCRIBE_ESCHEMA);
    json_decref(b);
}

/* ---- the JWS ----------------------------------------------------------------------- */

static void check_jws(const uint8_t *payload, size_t len)
{
    char *canonical = NULL, *jws = NULL, *pem = NULL;
    size_t canonical_len = 0;
    cr_assert_eq(cs_fhir_signed_payload(&canonical, &canonical_len, &jws, payload, len), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    cr_assert_eq(casescribe_public_key(&pem, home.ctx), CASESCRIBE_OK);
    cr_expect_eq(strncmp(jws, "eyJ", 3), 0, "a JWS header");
    cr_expect_not_null(strstr(jws, ".."), "a detached payload");
    cr_expect_eq(
        casescribe_jws_verify(jws, (const uint8_t *)pem, strlen(pem), (const uint8_t *)canonical, canonical_len),
        CASESCRIBE_OK, "%s", casescribe_last_error());
    /* The canonical form: compact, sorted keys, no signature. */
    cr_expect_eq(strncmp(canonical, "{\"activity\":", 12), 0, "%.40s", canonical);
    cr_expect_null(strstr(canonical, "\"signature\""));
    cr_expect_null(strchr(canonical, '\n'));
    canonical[canonical_len / 2] ^= 1;
    cr_expect_eq(
        casescribe_jws_verify(jws, (const uint8_t *)pem, strlen(pem), (const uint8_t *)canonical, canonical_len),
        CASESCRIBE_EVERIFY);
    free(canonical);
    free(jws);
    casescribe_free(pem);
}

Test(fhir, the_provenance_jws_verifies_with_the_public_key)
{
    size_t len = 0, out_len = 0;
    uint8_t *in = data_file("visit.json", &len), *out = NULL;
    cr_assert_eq(save(in, len, &out, &out_len), CASESCRIBE_OK);
    check_jws(out, out_len);
    uint8_t *xml = NULL;
    size_t xml_len = 0;
    cr_assert_eq(cs_fhir_convert(&xml, &xml_len, out, out_len, CS_FHIR_XML), CASESCRIBE_OK);
    check_jws(xml, xml_len); /* the same JWS, checked from the XML */
    free(xml);
    casescribe_free(out);
    free(in);
    in = data_file("visit.xml", &len);
    cr_assert_eq(save(in, len, &out, &out_len), CASESCRIBE_OK);
    check_jws(out, out_len);
    casescribe_free(out);
    free(in);
}

/* ---- what the record model does not hold ------------------------------------------ */

static void expect_same_items(json_t *sent, json_t *back)
{
    json_t *a = json_deep_copy(json_object_get(sent, "item")), *b = json_deep_copy(json_object_get(back, "item"));
    strip_extensions(a);
    strip_extensions(b);
    char *sa = json_dumps(a, JSON_SORT_KEYS), *sb = json_dumps(b, JSON_SORT_KEYS);
    cr_expect(json_equal(a, b), "every item comes back:\n%s\n%s", sa, sb);
    free(sa);
    free(sb);
    json_decref(a);
    json_decref(b);
}

Test(fhir, every_item_comes_back)
{
    json_t *sent = visit(), *back = saved_visit();
    json_t *in = resource(sent, "QuestionnaireResponse", 0), *out = resource(back, "QuestionnaireResponse", 0);
    expect_same_items(in, out);
    cr_expect(json_is_true(
        json_object_get(json_array_get(json_object_get(item(out, "smoke-alarm"), "answer"), 0), "valueBoolean")));
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(json_object_get(item(out, "visits"), "answer"), 0),
                                                    "valueInteger")),
                 3);
    cr_expect_not_null(item(item(out, "checks"), "home-environment"), "the section stays inside its group");
    /* The QuestionnaireResponse's other elements and extensions too. */
    cr_expect_str_eq(json_string_value(json_object_get(out, "authored")), "2026-11-02T10:30:00Z");
    cr_expect_not_null(extension(out, "http://example.org/fhir/StructureDefinition/visit-kind"));
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(out, "subject"), "reference")),
                     "Patient/example-jo");
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(out, "author"), "reference")),
                     "Practitioner/sw-017");
    json_decref(sent);
    json_decref(back);
}

Test(fhir, every_item_comes_back_through_xml)
{
    size_t len = 0, out_len = 0, back_len = 0;
    uint8_t *in = data_file("visit.xml", &len), *out = NULL, *back = NULL;
    cr_assert_eq(save(in, len, &out, &out_len), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(cs_fhir_convert(&back, &back_len, out, out_len, CS_FHIR_JSON), CASESCRIBE_OK);
    json_t *sent = visit(), *b = load_json(back, back_len);
    expect_same_items(resource(sent, "QuestionnaireResponse", 0), resource(b, "QuestionnaireResponse", 0));
    json_decref(sent);
    json_decref(b);
    free(back);
    casescribe_free(out);
    free(in);
}

Test(fhir, empty_values_round_trip)
{
    /* A person with no role, a consent to nothing (a deny), a section left
     * empty: FHIR has no empty strings, so each is an absence. */
    json_t *b = visit();
    json_t *qr = resource(b, "QuestionnaireResponse", 0);
    json_object_del(json_object_get(qr, "subject"), "extension");
    json_t *c = resource(b, "Consent", 1);
    json_object_set_new(c, "provision", json_pack("{s:s}", "type", "deny"));
    json_object_del(item(qr, "child-seen"), "extension"); /* no AI text: P-3 consented to nothing */
    json_object_del(item(qr, "present"), "answer");
    uint8_t *out = NULL;
    size_t out_len = 0;
    cr_assert_eq(save_json(b, &out, &out_len), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(verify(out, out_len), CASESCRIBE_OK);
    casescribe_record *r = NULL;
    cr_assert_eq(casescribe_record_open(&r, "fhir", out, out_len), CASESCRIBE_OK);
    cr_expect_str_eq(casescribe_record_section_text(r, 0), "");
    casescribe_record_free(r);
    json_t *s = load_json(out, out_len);
    cr_expect_str_eq(
        json_string_value(json_object_get(json_object_get(resource(s, "Consent", 1), "provision"), "type")), "deny");
    cr_expect_null(json_object_get(item(resource(s, "QuestionnaireResponse", 0), "present"), "answer"));
    json_decref(s);
    json_decref(b);
    casescribe_free(out);
}

/* ---- R4's required elements and value sets ------------------------------------------- */

static int in_set(const char *value, const char *const *set)
{
    for (; value != NULL && *set != NULL; set++)
        if (strcmp(value, *set) == 0)
            return 1;
    return 0;
}

static const char *code_of(json_t *concept, const char *system)
{
    json_t *coding = json_array_get(json_object_get(concept, "coding"), 0);
    const char *s = json_string_value(json_object_get(coding, "system"));
    return s != NULL && strcmp(s, system) == 0 ? json_string_value(json_object_get(coding, "code")) : NULL;
}

static void check_consent(json_t *c)
{
    /* http://hl7.org/fhir/R4/valueset-consent-state-codes.html */
    static const char *const states[] = {"draft",    "proposed",         "active", "rejected",
                                         "inactive", "entered-in-error", NULL};
    static const char *const scopes[] = {"adr", "research", "patient-privacy", "treatment", NULL};
    cr_expect(in_set(json_string_value(json_object_get(c, "status")), states), "Consent.status in R4's value set");
    cr_expect(
        in_set(code_of(json_object_get(c, "scope"), "http://terminology.hl7.org/CodeSystem/consentscope"), scopes),
        "Consent.scope (1..1) from consent-scope");
    cr_expect_gt(json_array_size(json_object_get(c, "category")), 0, "Consent.category 1..*");
    cr_expect(json_object_get(c, "policy") != NULL || json_object_get(c, "policyRule") != NULL, "ppc-1");
    cr_expect_not_null(json_object_get(c, "patient"));
    cr_expect_not_null(json_object_get(c, "dateTime"));
    const char *type = json_string_value(json_object_get(json_object_get(c, "provision"), "type"));
    cr_expect(in_set(type, (const char *const[]){"deny", "permit", NULL}), "Consent.provision.type");
}

static void check_provenance(json_t *p, json_t *bundle, const char *qr_url)
{
    /* http://hl7.org/fhir/R4/codesystem-provenance-participant-type.html */
    static const char *const types[] = {"enterer",   "performer", "author",    "verifier", "legal", "attester",
                                        "informant", "custodian", "assembler", "composer", NULL};
    json_t *target = json_array_get(json_object_get(p, "target"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(target, "reference")), qr_url, "target resolves in the Bundle");
    cr_expect_not_null(json_object_get(p, "recorded"));
    size_t i;
    json_t *a;
    cr_expect_gt(json_array_size(json_object_get(p, "agent")), 0);
    json_array_foreach(json_object_get(p, "agent"), i, a)
    {
        const char *code =
            code_of(json_object_get(a, "type"), "http://terminology.hl7.org/CodeSystem/provenance-participant-type");
        cr_expect(in_set(code, types), "agent %zu's type is from provenance-participant-type", i);
        json_t *who = json_object_get(a, "who");
        cr_expect_not_null(who, "agent.who 1..1");
        const char *ref = json_string_value(json_object_get(who, "reference"));
        if (ref != NULL) { /* a contained Device */
            int found = 0;
            size_t j;
            json_t *d;
            json_array_foreach(json_object_get(p, "contained"), j, d)
            {
                found |= ref[0] == '#' && strcmp(json_string_value(json_object_get(d, "id")), ref + 1) == 0;
            }
            cr_expect(found, "%s resolves to a contained Device", ref);
        }
    }
    json_t *sig = json_array_get(json_object_get(p, "signature"), 0);
    cr_expect_gt(json_array_size(json_object_get(sig, "type")), 0, "Signature.type 1..*");
    cr_expect_not_null(json_object_get(sig, "when"));
    cr_expect_not_null(json_object_get(sig, "who"));
    cr_expect_str_eq(json_string_value(json_object_get(sig, "sigFormat")), "application/jose");
    (void)bundle;
}

Test(fhir, the_bundle_has_r4s_required_elements_and_codes)
{
    json_t *b = saved_visit();
    cr_expect_str_eq(json_string_value(json_object_get(b, "type")), "transaction");
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(b, "entry"), i, e)
    {
        json_t *req = json_object_get(e, "request");
        cr_expect(json_string_value(json_object_get(e, "fullUrl")) != NULL, "entry %zu has a fullUrl", i);
        cr_expect(in_set(json_string_value(json_object_get(req, "method")), (const char *const[]){"POST", "PUT", NULL}),
                  "a transaction entry has request.method");
        cr_expect_not_null(json_object_get(req, "url"));
    }
    json_t *qr = resource(b, "QuestionnaireResponse", 0);
    cr_expect(
        in_set(json_string_value(json_object_get(qr, "status")),
               (const char *const[]){"in-progress", "completed", "amended", "entered-in-error", "stopped", NULL}));
    cr_expect_eq(json_array_size(json_object_get(json_object_get(qr, "meta"), "security")), 2,
                 "AIAST and PROCESSINLINELABEL");
    for (size_t n = 0; resource(b, "Consent", n) != NULL; n++)
        check_consent(resource(b, "Consent", n));
    check_provenance(resource(b, "Provenance", 0), b,
                     json_string_value(json_object_get(entry_of(b, "QuestionnaireResponse"), "fullUrl")));
    /* The AI label sits on the AI section alone. */
    cr_expect_not_null(
        extension(item(qr, "child-seen"),
                  "http://hl7.org/fhir/uv/security-label-ds4p/StructureDefinition/extension-inline-sec-label"));
    cr_expect_null(
        extension(item(qr, "present"),
                  "http://hl7.org/fhir/uv/security-label-ds4p/StructureDefinition/extension-inline-sec-label"));
    json_decref(b);
}

/* ---- hostile payloads -------------------------------------------------------------- */

static int32_t open_payload(const char *payload, size_t len)
{
    casescribe_record *r = NULL;
    int32_t rc = casescribe_record_open(&r, "fhir", (const uint8_t *)payload, len);
    casescribe_record_free(r);
    return rc;
}

static int32_t open_json(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    int32_t rc = open_payload(s, strlen(s));
    free(s);
    return rc;
}

static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * n + tl + 1);
    cr_assert_not_null(s);
    memcpy(s, head, hl);
    for (size_t i = 0; i < n; i++)
        memcpy(s + hl + i * ul, unit, ul);
    memcpy(s + hl + n * ul, tail, tl + 1);
    return s;
}

Test(fhir, deep_nesting_is_refused)
{
    char *deep = repeat("{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"x\":", "[", 100000, "");
    cr_expect_eq(open_payload(deep, strlen(deep)), CASESCRIBE_EPARSE, "%s", casescribe_last_error());
    free(deep);
    /* Within JSON's bound but items nested deeper than the form allows. */
    json_t *b = visit();
    json_t *qr = resource(b, "QuestionnaireResponse", 0), *at = qr;
    for (int i = 0; i < 40; i++) {
        json_t *it = json_pack("{s:s}", "linkId", "g");
        json_object_set_new(at, "item", json_pack("[o]", it));
        at = it;
    }
    cr_expect_eq(open_json(b), CASESCRIBE_EPARSE, "%s", casescribe_last_error());
    json_decref(b);
}

Test(fhir, huge_arrays_are_refused)
{
    char *huge = repeat("{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[", "{},", 2000000, "{}]}");
    cr_expect_eq(open_payload(huge, strlen(huge)), CASESCRIBE_EPARSE, "%s", casescribe_last_error());
    free(huge);
    /* 300 sections: more than a form holds. */
    json_t *b = visit();
    json_t *items = json_array();
    for (int i = 0; i < 300; i++) {
        char link[16];
        snprintf(link, sizeof(link), "s%d", i);
        json_array_append_new(items, json_pack("{s:s, s:[{s:s}]}", "linkId", link, "answer", "valueString", "x"));
    }
    json_object_set_new(resource(b, "QuestionnaireResponse", 0), "item", items);
    cr_expect_eq(open_json(b), CASESCRIBE_ESCHEMA, "%s", casescribe_last_error());
    json_decref(b);
}

Test(fhir, wrong_types_and_unknown_elements_are_refused)
{
    static const struct {
        const char *key;
        const char *json;
    } wrong[] = {
        {"status", "5"},
        {"item", "{}"},
        {"item", "[]"},
        {"questionnaire", "\"\""},
        {"subject", "\"P-2\""},
        {"foo", "\"bar\""},
        {"implicitRules", "\"http://x\""},
        {"modifierExtension", "[{\"url\":\"http://x\",\"valueBoolean\":true}]"},
        {"authored", "\"yesterday\""},
        {"contained", "[{\"resourceType\":\"Device\"}]"},
    };
    for (size_t i = 0; i < sizeof(wrong) / sizeof(*wrong); i++) {
        json_t *b = visit();
        json_object_set_new(resource(b, "QuestionnaireResponse", 0), wrong[i].key,
                            json_loads(wrong[i].json, JSON_DECODE_ANY, NULL));
        cr_expect_eq(open_json(b), CASESCRIBE_ESCHEMA, "%s = %s: %s", wrong[i].key, wrong[i].json,
                     casescribe_last_error());
        json_decref(b);
    }
    json_t *b = visit();
    json_t *answer =
        json_array_get(json_object_get(item(resource(b, "QuestionnaireResponse", 0), "present"), "answer"), 0);
    json_object_set_new(answer, "valueString", json_integer(12));
    cr_expect_eq(open_json(b), CASESCRIBE_ESCHEMA);
    json_object_set_new(answer, "valueString", json_string("x"));
    json_object_set_new(answer, "valueInteger", json_integer(12)); /* a choice takes one type */
    cr_expect_eq(open_json(b), CASESCRIBE_ESCHEMA);
    json_decref(b);
    b = visit();
    set_string(resource(b, "QuestionnaireResponse", 0), "resourceType", "Patient");
    cr_expect_eq(open_json(b), CASESCRIBE_ESCHEMA);
    json_decref(b);
    const char *dup = "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"type\":\"batch\"}";
    cr_expect_eq(open_payload(dup, strlen(dup)), CASESCRIBE_EPARSE);
    cr_expect_eq(open_payload("hello", 5), CASESCRIBE_EPARSE);
    cr_expect_eq(open_payload("", 0), CASESCRIBE_EPARSE);
    cr_expect_eq(open_payload("{\"a\":1}", 7), CASESCRIBE_ESCHEMA);
    cr_expect_eq(open_payload("{\"resourceType\":\"Bundle\"", 24), CASESCRIBE_EPARSE);
}

Test(fhir, hostile_xml_is_refused)
{
    static const char *const hostile[] = {
        "<!DOCTYPE Bundle [<!ENTITY x \"y\">]><Bundle xmlns=\"http://hl7.org/fhir\"><type value=\"&x;\"/></Bundle>",
        "<!DOCTYPE Bundle SYSTEM \"file:///etc/passwd\"><Bundle xmlns=\"http://hl7.org/fhir\"/>",
        "<Bundle xmlns=\"http://hl7.org/fhir\"><type value=\"collection\">",
    };
    for (size_t i = 0; i < sizeof(hostile) / sizeof(*hostile); i++)
        cr_expect_eq(open_payload(hostile[i], strlen(hostile[i])), CASESCRIBE_EPARSE, "%zu: %s", i,
                     casescribe_last_error());
    static const char *const wrong[] = {
        "<Bundle xmlns=\"http://hl7.org/fhir\"><type value=\"collection\">text</type></Bundle>",
        "<Bundle xmlns=\"http://example.org\"><type value=\"collection\"/></Bundle>",
        "<Bundle xmlns=\"http://hl7.org/fhir\"><type value=\"collection\" x=\"1\"/></Bundle>",
        "<Bundle xmlns=\"http://hl7.org/fhir\"><type value=\"collection\"/><type value=\"batch\"/></Bundle>",
        "<Bundle xmlns=\"http://hl7.org/fhir\"><type value=\"collection\"/><entry><resource><Patient/></resource>"
        "</entry></Bundle>",
        "<Bundle xmlns=\"http://hl7.org/fhir\"><type value=\"collection\"/><entry><resource><![CDATA[x]]>"
        "</resource></entry></Bundle>",
    };
    for (size_t i = 0; i < sizeof(wrong) / sizeof(*wrong); i++)
        cr_expect_eq(open_payload(wrong[i], strlen(wrong[i])), CASESCRIBE_ESCHEMA, "%zu: %s", i,
                     casescribe_last_error());
}

Test(fhir, a_forged_stamp_is_refused)
{
    json_t *b = saved_visit();
    json_t *stamp = extension(resource(b, "Provenance", 0), SD "stamp");
    set_string(stamp, "valueBase64Binary", "bm90IGEgc3RhbXA=");
    cr_expect_neq(verify_json(b), CASESCRIBE_OK);
    json_decref(b);
}

/* ---- what the signature covers (issue #17, point 4) --------------------------------- */

/* A stamped visit, changed by `tamper`, must not verify: whom the record
 * is about, what the Provenance targets, every answer and every text a
 * person reads are the stamp's, or refused. */
static void expect_tamper_fails(json_t *b, const char *what)
{
    int32_t rc = verify_json(b);
    cr_expect(rc == CASESCRIBE_EVERIFY || rc == CASESCRIBE_ESCHEMA, "%s: verify gave %d (%s)", what, (int)rc,
              casescribe_last_error());
    char *s = json_dumps(b, JSON_COMPACT), *pem = NULL, *report = NULL;
    cr_assert_eq(casescribe_public_key(&pem, home.ctx), CASESCRIBE_OK);
    cr_expect_neq(casescribe_verify_with_public_key(&report, "fhir", (const uint8_t *)pem, strlen(pem),
                                                    (const uint8_t *)s, strlen(s)),
                  CASESCRIBE_OK, "%s: verify with the public key", what);
    casescribe_free(report);
    casescribe_free(pem);
    free(s);
}

Test(fhir, a_repointed_subject_reference_does_not_verify)
{
    json_t *b = saved_visit();
    cr_assert_eq(verify_json(b), CASESCRIBE_OK, "%s", casescribe_last_error());
    json_t *subject = json_object_get(resource(b, "QuestionnaireResponse", 0), "subject");
    set_string(subject, "reference", "Patient/someone-else");
    expect_tamper_fails(b, "subject.reference re-pointed");
    json_decref(b);
}

Test(fhir, a_repointed_provenance_target_does_not_verify)
{
    json_t *b = saved_visit();
    json_t *target = json_array_get(json_object_get(resource(b, "Provenance", 0), "target"), 0);
    set_string(target, "reference", "QuestionnaireResponse/another-visit");
    expect_tamper_fails(b, "target re-pointed, the QuestionnaireResponse in the Bundle");
    cr_expect_not_null(strstr(casescribe_last_error(), "target"), "%s", casescribe_last_error());
    /* In a server's copy, the target must be the server's QuestionnaireResponse. */
    set_string(resource(b, "QuestionnaireResponse", 0), "id", "123");
    set_string(target, "reference", "QuestionnaireResponse/456/_history/1");
    json_object_del(target, "extension");
    expect_tamper_fails(b, "target re-pointed, a server's copy");
    set_string(target, "reference", "QuestionnaireResponse/123/_history/1");
    cr_expect_eq(verify_json(b), CASESCRIBE_OK, "the server's own: %s", casescribe_last_error());
    /* The save path takes the same decode. */
    set_string(target, "reference", "QuestionnaireResponse/456");
    uint8_t *out = NULL;
    size_t out_len = 0;
    cr_expect_eq(save_json(b, &out, &out_len), CASESCRIBE_ESCHEMA, "%s", casescribe_last_error());
    json_decref(b);
}

Test(fhir, a_changed_item_text_does_not_verify)
{
    json_t *b = saved_visit();
    json_t *ai = item(resource(b, "QuestionnaireResponse", 0), "child-seen");
    set_string(ai, "text", "Written by the social worker");
    expect_tamper_fails(b, "the AI item's text");
    json_decref(b);
    /* The same through FHIR XML. */
    b = saved_visit();
    set_string(item(resource(b, "QuestionnaireResponse", 0), "child-seen"), "text", "Written by the social worker");
    char *s = json_dumps(b, JSON_COMPACT);
    uint8_t *xml = NULL;
    size_t xml_len = 0;
    cr_assert_eq(cs_fhir_convert(&xml, &xml_len, (const uint8_t *)s, strlen(s), CS_FHIR_XML), CASESCRIBE_OK);
    cr_expect_eq(verify(xml, xml_len), CASESCRIBE_EVERIFY, "%s", casescribe_last_error());
    free(xml);
    free(s);
    json_decref(b);
}

Test(fhir, a_changed_non_section_answer_does_not_verify)
{
    json_t *b = saved_visit();
    json_t *smoke = json_array_get(json_object_get(item(resource(b, "QuestionnaireResponse", 0), "smoke-alarm"),
                                                   "answer"),
                                   0);
    cr_assert_eq(json_object_set_new(smoke, "valueBoolean", json_false()), 0);
    expect_tamper_fails(b, "the smoke alarm answer");
    json_decref(b);
    b = saved_visit();
    json_t *risk = json_object_get(
        json_array_get(json_object_get(item(resource(b, "QuestionnaireResponse", 0), "risk"), "answer"), 0),
        "valueCoding");
    set_string(risk, "code", "high");
    set_string(risk, "display", "High");
    expect_tamper_fails(b, "the risk answer");
    json_decref(b);
    b = saved_visit();
    json_t *visits = json_array_get(json_object_get(item(resource(b, "QuestionnaireResponse", 0), "visits"),
                                                    "answer"),
                                    0);
    cr_assert_eq(json_object_set_new(visits, "valueInteger", json_integer(0)), 0);
    expect_tamper_fails(b, "the visits answer");
    json_decref(b);
}

Test(fhir, a_changed_authored_does_not_verify)
{
    json_t *b = saved_visit();
    set_string(resource(b, "QuestionnaireResponse", 0), "authored", "2026-10-01T09:00:00Z");
    expect_tamper_fails(b, "authored");
    char *s = json_dumps(b, JSON_COMPACT), *report = NULL;
    cr_expect_eq(casescribe_verify(&report, home.ctx, "fhir", (const uint8_t *)s, strlen(s)), CASESCRIBE_EVERIFY);
    cr_expect_not_null(report != NULL ? strstr(report, "carries beyond the record model") : NULL, "%s",
                       report != NULL ? report : "(no report)");
    casescribe_free(report);
    free(s);
    json_decref(b);
}

Test(fhir, an_added_narrative_is_refused)
{
    json_t *b = saved_visit();
    json_t *narrative = json_pack("{s:s,s:s}", "status", "generated", "div",
                                  "<div xmlns=\"http://www.w3.org/1999/xhtml\">No AI was used in this record.</div>");
    cr_assert_eq(json_object_set(resource(b, "QuestionnaireResponse", 0), "text", narrative), 0);
    expect_tamper_fails(b, "a narrative on the QuestionnaireResponse");
    cr_expect_not_null(strstr(casescribe_last_error(), "text"), "%s", casescribe_last_error());
    json_object_del(resource(b, "QuestionnaireResponse", 0), "text");
    cr_assert_eq(verify_json(b), CASESCRIBE_OK);
    cr_assert_eq(json_object_set(resource(b, "Provenance", 0), "text", narrative), 0);
    expect_tamper_fails(b, "a narrative on the Provenance");
    json_decref(b);
    /* Nor does a save take one. */
    b = visit();
    cr_assert_eq(json_object_set(resource(b, "Consent", 0), "text", narrative), 0);
    uint8_t *out = NULL;
    size_t out_len = 0;
    cr_expect_eq(save_json(b, &out, &out_len), CASESCRIBE_ESCHEMA, "%s", casescribe_last_error());
    json_decref(narrative);
    json_decref(b);
}

Test(fhir, a_stamped_payload_holds_only_what_encode_writes)
{
    /* What encode rewrites from the record cannot change the digest, so a
     * stamped payload may not say anything else there. */
    json_t *b = saved_visit();
    json_t *category = json_array_get(
        json_object_get(json_array_get(json_object_get(resource(b, "Consent", 0), "category"), 0), "coding"), 0);
    set_string(category, "display", "Consent refused");
    expect_tamper_fails(b, "a Consent's category display");
    cr_expect_not_null(strstr(casescribe_last_error(), "Consent"), "%s", casescribe_last_error());
    json_decref(b);
    b = saved_visit();
    set_string(json_object_get(resource(b, "Consent", 1), "patient"), "reference", "Patient/someone-else");
    expect_tamper_fails(b, "a Consent's patient reference");
    json_decref(b);
    /* A host's next save may still add an item of its own. */
    b = saved_visit();
    json_t *items = json_object_get(resource(b, "QuestionnaireResponse", 0), "item");
    cr_assert_eq(json_array_append_new(items, json_pack("{s:s,s:s,s:[{s:s}]}", "linkId", "next-steps", "text",
                                                        "Next steps", "answer", "valueString", "Visit in a week.")),
                 0);
    uint8_t *out = NULL;
    size_t out_len = 0;
    cr_expect_eq(save_json(b, &out, &out_len), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(verify(out, out_len), CASESCRIBE_OK, "%s", casescribe_last_error());
    casescribe_free(out);
    json_decref(b);
}

/* ---- real-world input: the home's names file ------------------------------------- */

/* An official FHIR R4 example (tests/data/fhir-examples/, unmodified). */
static json_t *example(const char *name)
{
    const char *top = getenv("top_srcdir");
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/data/fhir-examples/%s", top != NULL ? top : ".", name);
    json_error_t err;
    json_t *j = json_load_file(path, 0, &err);
    cr_assert_not_null(j, "cannot read %s: %s", path, err.text);
    return j;
}

static void install_names(const char *xml)
{
    cr_assert_eq(casescribe_names_install(home.ctx, (const uint8_t *)xml, strlen(xml)), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
}

/* The records of the R4 examples (they have no identifier) are named by
 * their resource id; the vendor's by its identifier system. */
static const char names_xml[] =
    "<names xmlns=\"urn:casescribe:names:1\" team=\"cin-north\">"
    "<record-identifier system=\"https://vendor.example/fhir/qr-id\" prefix=\"vx:\"/>"
    "<record-resource-id prefix=\"hl7:\"/>"
    "<questionnaire canonical=\"https://vendor.example/Questionnaire/home-visit\" template=\"statutory-home-visit\"/>"
    "</names>";

static json_t *collection(json_t *qr, json_t *consent)
{
    json_t *b = json_pack("{s:s, s:s, s:[{s:o}]}", "resourceType", "Bundle", "type", "collection", "entry",
                          "resource", qr);
    if (consent != NULL)
        json_array_append_new(json_object_get(b, "entry"), json_pack("{s:o}", "resource", consent));
    return b;
}

static const char *identifier_value(json_t *ref, const char *system)
{
    json_t *id = json_object_get(ref, "identifier");
    const char *s = json_string_value(json_object_get(id, "system"));
    return s != NULL && strcmp(s, system) == 0 ? json_string_value(json_object_get(id, "value")) : NULL;
}

static const char *ext_string(json_t *parent, const char *url)
{
    return json_string_value(json_object_get(extension(parent, url), "valueString"));
}

static void expect_verifies(const uint8_t *out, size_t out_len)
{
    cr_expect_eq(verify(out, out_len), CASESCRIBE_OK, "verify: %s", casescribe_last_error());
    char *pem = NULL, *report = NULL;
    cr_assert_eq(casescribe_public_key(&pem, home.ctx), CASESCRIBE_OK);
    cr_expect_eq(casescribe_verify_with_public_key(&report, "fhir", (const uint8_t *)pem, strlen(pem), out, out_len),
                 CASESCRIBE_OK, "verify with the public key alone (no names file): %s", casescribe_last_error());
    casescribe_free(report);
    casescribe_free(pem);
}

Test(fhir, the_official_questionnaire_response_saves_with_a_signed_names_file)
{
    install_names(names_xml);
    json_t *qr = example("QuestionnaireResponse-f201.json");
    uint8_t *out = NULL;
    size_t out_len = 0;
    cr_assert_eq(save_json(qr, &out, &out_len), CASESCRIBE_OK, "%s", casescribe_last_error());
    expect_verifies(out, out_len);
    casescribe_record *r = NULL;
    cr_assert_eq(casescribe_record_open(&r, "fhir", out, out_len), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_str_eq(casescribe_record_id(r), "hl7:f201", "named by its resource id, with the prefix");
    cr_expect_str_eq(casescribe_record_author(r), "Practitioner/f201", "the author from QR.author");
    cr_expect_str_eq(casescribe_record_team(r), "cin-north", "the names file's team");
    cr_expect_eq(casescribe_record_section_count(r), 6, "the six text answers");
    casescribe_record_free(r);
    json_t *b = load_json(out, out_len), *back = resource(b, "QuestionnaireResponse", 0);
    json_t *subject = json_object_get(back, "subject");
    cr_expect_str_eq(identifier_value(subject, "urn:casescribe:subject"), "Patient/f201", "the subject from QR.subject");
    cr_expect_str_eq(json_string_value(json_object_get(subject, "reference")), "Patient/f201", "its reference kept");
    cr_expect_str_eq(json_string_value(json_object_get(subject, "display")), "Roel");
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(back, "author"), "reference")),
                     "Practitioner/f201");
    cr_expect_str_eq(ext_string(back, SD "template"), "fhir:unmapped", "no questionnaire: no template");
    cr_expect_null(json_object_get(back, "text"), "the narrative is dropped, never written back");
    cr_expect_null(json_object_get(back, "questionnaire"));
    cr_expect_str_eq(json_string_value(json_object_get(back, "authored")), "2013-06-18T00:00:00+01:00", "carried");
    json_decref(b);
    json_decref(qr);
    casescribe_free(out);
}

Test(fhir, without_a_names_file_the_official_questionnaire_response_is_refused)
{
    json_t *qr = example("QuestionnaireResponse-f201.json");
    uint8_t *out = NULL;
    size_t out_len = 0;
    cr_expect_eq(save_json(qr, &out, &out_len), CASESCRIBE_ESCHEMA, "as before: %s", casescribe_last_error());
    cr_expect_null(out);
    json_decref(qr);
}

Test(fhir, an_unsigned_or_edited_names_file_is_refused)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/names.xml", home.path);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(names_xml, f);
    fclose(f);
    json_t *qr = example("QuestionnaireResponse-f201.json");
    uint8_t *out = NULL;
    size_t out_len = 0;
    cr_expect_eq(save_json(qr, &out, &out_len), CASESCRIBE_EVERIFY, "unsigned: %s", casescribe_last_error());
    cr_expect_not_null(strstr(casescribe_last_error(), "names"), "%s", casescribe_last_error());
    install_names(names_xml);
    cr_assert_eq(save_json(qr, &out, &out_len), CASESCRIBE_OK, "installed: %s", casescribe_last_error());
    casescribe_free(out);
    out = NULL;
    size_t len = 0;
    uint8_t *signed_file = NULL;
    f = fopen(path, "r");
    cr_assert_not_null(f);
    signed_file = malloc(1 << 16);
    len = fread(signed_file, 1, (1 << 16) - 1, f);
    fclose(f);
    signed_file[len] = '\0';
    char *at = strstr((char *)signed_file, "prefix=\"hl7:\"");
    cr_assert_not_null(at);
    memcpy(at, "prefix=\"hl8:\"", 13); /* a hand edit: another record id for every such record */
    f = fopen(path, "w"); /* in place: the same inode, the same size */
    fwrite(signed_file, 1, len, f);
    fclose(f);
    set_string(qr, "id", "f202"); /* another record: the same edit, read after a good save */
    cr_expect_eq(save_json(qr, &out, &out_len), CASESCRIBE_EVERIFY, "edited: %s", casescribe_last_error());
    cr_expect_null(out);
    free(signed_file);
    json_decref(qr);
}

Test(fhir, a_names_file_that_is_not_one_is_not_installed)
{
    static const char bad[] = "<names xmlns=\"urn:casescribe:names:1\"><questionnaire canonical=\"x\"/></names>";
    cr_expect_eq(casescribe_names_install(home.ctx, (const uint8_t *)bad, strlen(bad)), CASESCRIBE_ESCHEMA);
    char path[512];
    struct stat st;
    snprintf(path, sizeof(path), "%s/names.xml", home.path);
    cr_expect_neq(stat(path, &st), 0, "nothing written");
}

Test(fhir, a_bundle_with_the_official_consent_saves_with_no_consent)
{
    install_names(names_xml);
    json_t *b = collection(example("QuestionnaireResponse-f201.json"), example("Consent-consent-example-basic.json"));
    uint8_t *out = NULL;
    size_t out_len = 0;
    cr_assert_eq(save_json(b, &out, &out_len), CASESCRIBE_OK, "%s", casescribe_last_error());
    json_t *back = load_json(out, out_len);
    /* A date without a time, another patient, a provision with no action:
     * its meaning for this record is not clear, so it is no consent. */
    cr_expect_null(resource(back, "Consent", 0), "no consent on the record");
    expect_verifies(out, out_len);
    json_decref(back);
    json_decref(b);
    casescribe_free(out);
}

/* A case management system's own QuestionnaireResponse: its identifier
 * system, its questionnaire, literal references, no CaseScribe names. */
static json_t *vendor_qr(const char *answer)
{
    return json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:{s:s, s:s}, s:{s:s}, s:s,"
                     " s:[{s:s, s:s, s:[{s:s}]}, {s:s, s:s, s:[{s:b}]}]}",
                     "resourceType", "QuestionnaireResponse", "id", "4711", "identifier", "system",
                     "https://vendor.example/fhir/qr-id", "value", "QR-42", "questionnaire",
                     "https://vendor.example/Questionnaire/home-visit|3", "status", "in-progress", "subject",
                     "reference", "Patient/vx-1", "display", "Jo Vendor", "author", "reference",
                     "Practitioner/vx-sw-9", "authored", "2026-11-02T10:30:00Z", "item", "linkId", "present", "text",
                     "Who was present", "answer", "valueString", answer, "linkId", "seen-alone", "text",
                     "Seen alone?", "answer", "valueBoolean", 1);
}

Test(fhir, a_vendor_questionnaire_response_keeps_its_record_across_versions)
{
    install_names(names_xml);
    json_t *qr = vendor_qr("Jo was at home.");
    uint8_t *out = NULL, *out2 = NULL;
    size_t out_len = 0, out2_len = 0;
    cr_assert_eq(save_json(qr, &out, &out_len), CASESCRIBE_OK, "%s", casescribe_last_error());
    expect_verifies(out, out_len);
    json_t *b = load_json(out, out_len), *back = resource(b, "QuestionnaireResponse", 0);
    json_t *id = json_object_get(back, "identifier");
    cr_expect_str_eq(json_string_value(json_object_get(id, "system")), "https://vendor.example/fhir/qr-id",
                     "the vendor's identifier stays");
    cr_expect_str_eq(ext_string(back, SD "record"), "vx:QR-42");
    cr_expect_str_eq(ext_string(back, SD "template"), "statutory-home-visit", "mapped, |version or not");
    cr_expect_str_eq(json_string_value(json_object_get(back, "questionnaire")),
                     "https://vendor.example/Questionnaire/home-visit|3");
    const char *url = json_string_value(json_object_get(json_object_get(entry_of(b, "QuestionnaireResponse"),
                                                                         "request"), "url"));
    cr_expect_str_eq(url, "QuestionnaireResponse?identifier=https%3A%2F%2Fvendor.example%2Ffhir%2Fqr-id|QR-42",
                     "updated by the vendor's identifier");
    /* The vendor's own payload again is refused: as for any host, the next
     * version starts from the latest stamped copy. */
    json_decref(qr);
    qr = vendor_qr("Jo and Sam were at home.");
    cr_expect_eq(save_json(qr, &out2, &out2_len), CASESCRIBE_ECONFLICT, "%s", casescribe_last_error());
    cr_expect_not_null(strstr(casescribe_last_error(), "vx:QR-42"), "the same record: %s", casescribe_last_error());
    /* The next version: the stamped copy, the answer changed. */
    json_t *present = item(back, "present");
    set_string(json_array_get(json_object_get(present, "answer"), 0), "valueString", "Jo and Sam were at home.");
    cr_assert_eq(save_json(b, &out2, &out2_len), CASESCRIBE_OK, "%s", casescribe_last_error());
    casescribe_record *r = NULL;
    cr_assert_eq(casescribe_record_open(&r, "fhir", out2, out2_len), CASESCRIBE_OK);
    cr_expect_str_eq(casescribe_record_id(r), "vx:QR-42", "the same record");
    cr_expect_eq(casescribe_record_version(r), 2, "its second version");
    cr_expect_str_eq(casescribe_record_author(r), "Practitioner/vx-sw-9");
    casescribe_record_free(r);
    expect_verifies(out2, out2_len);
    json_decref(b);
    json_decref(qr);
    casescribe_free(out);
    casescribe_free(out2);
}

Test(fhir, an_unmapped_questionnaire_refuses_ai_text_and_saves_human_text)
{
    install_names(names_xml);
    json_t *qr = vendor_qr("Jo was at home.");
    set_string(qr, "questionnaire", "https://vendor.example/Questionnaire/unknown-form");
    uint8_t *out = NULL;
    size_t out_len = 0;
    cr_assert_eq(save_json(qr, &out, &out_len), CASESCRIBE_OK, "human text: %s", casescribe_last_error());
    casescribe_free(out);
    out = NULL;
    json_object_set_new(item(qr, "present"), "extension", json_pack("[o]", section_ext("ai-draft")));
    set_string(json_object_get(qr, "identifier"), "value", "QR-43");
    cr_expect_eq(save_json(qr, &out, &out_len), CASESCRIBE_EPOLICY, "AI text: %s", casescribe_last_error());
    cr_expect_not_null(strstr(casescribe_last_error(), "fhir:unmapped"), "%s", casescribe_last_error());
    cr_expect_null(out);
    json_decref(qr);
}

/* The vendor's Consent for its patient, as clear as the record needs. */
static json_t *vendor_consent(void)
{
    return json_pack("{s:s, s:s, s:{s:[{s:s, s:s}]}, s:[{s:[{s:s, s:s}]}], s:{s:s}, s:s, s:[{s:s}], s:{s:s},"
                     " s:{s:s, s:[{s:[{s:s, s:s}]}]}}",
                     "resourceType", "Consent", "status", "active", "scope", "coding", "system",
                     "http://terminology.hl7.org/CodeSystem/consentscope", "code", "patient-privacy", "category",
                     "coding", "system", "http://loinc.org", "code", "59284-0", "patient", "reference",
                     "Patient/vx-1", "dateTime", "2026-11-02T10:16:00Z", "performer", "reference", "Patient/vx-1",
                     "sourceReference", "reference", "DocumentReference/consent-form-1", "provision", "type",
                     "permit", "action", "coding", "system", "https://casescribe.org/fhir/CodeSystem/consent-scope",
                     "code", "ai-draft");
}

static int32_t save_vendor_ai(json_t *consent)
{
    json_t *qr = vendor_qr("Jo said the bus route makes the mornings easier.");
    json_object_set_new(item(qr, "present"), "extension", json_pack("[o]", section_ext("ai-draft")));
    json_t *b = collection(qr, consent);
    uint8_t *out = NULL;
    size_t out_len = 0;
    int32_t rc = save_json(b, &out, &out_len);
    if (rc == CASESCRIBE_OK) {
        json_t *back = load_json(out, out_len);
        json_t *c = resource(back, "Consent", 0);
        cr_expect_not_null(c, "the consent is on the record");
        cr_expect_str_eq(identifier_value(json_object_get(c, "patient"), "urn:casescribe:subject"), "Patient/vx-1");
        json_decref(back);
        expect_verifies(out, out_len);
    }
    casescribe_free(out);
    json_decref(b);
    return rc;
}

Test(fhir, a_vendor_consent_counts_only_when_its_meaning_is_clear)
{
    install_names(names_xml);
    cr_expect_eq(save_vendor_ai(vendor_consent()), CASESCRIBE_OK, "a clear consent: %s", casescribe_last_error());
    json_t *c = vendor_consent();
    set_string(c, "status", "inactive");
    cr_expect_eq(save_vendor_ai(c), CASESCRIBE_ECONSENT, "not active: %s", casescribe_last_error());
    c = vendor_consent();
    set_string(json_array_get(json_object_get(json_object_get(c, "scope"), "coding"), 0), "code", "treatment");
    cr_expect_eq(save_vendor_ai(c), CASESCRIBE_ECONSENT, "another scope: %s", casescribe_last_error());
    c = vendor_consent();
    json_object_del(c, "performer");
    cr_expect_eq(save_vendor_ai(c), CASESCRIBE_ECONSENT, "nobody said who agreed: %s", casescribe_last_error());
    c = vendor_consent();
    set_string(c, "dateTime", "2026-11-02");
    cr_expect_eq(save_vendor_ai(c), CASESCRIBE_ECONSENT, "no time of day: %s", casescribe_last_error());
    c = vendor_consent();
    json_object_set_new(json_object_get(c, "provision"), "period", json_pack("{s:s}", "end", "2027-01-01"));
    cr_expect_eq(save_vendor_ai(c), CASESCRIBE_ECONSENT, "a narrower provision: %s", casescribe_last_error());
    c = vendor_consent();
    json_object_del(c, "scope");
    cr_expect_eq(save_vendor_ai(c), CASESCRIBE_ECONSENT, "no scope: %s", casescribe_last_error());
    /* One of ours without its scope is refused, names file or not. */
    json_t *b = visit();
    json_object_del(resource(b, "Consent", 0), "scope");
    uint8_t *out = NULL;
    size_t out_len = 0;
    cr_expect_eq(save_json(b, &out, &out_len), CASESCRIBE_ESCHEMA, "%s", casescribe_last_error());
    cr_expect_not_null(strstr(casescribe_last_error(), "scope"), "%s", casescribe_last_error());
    json_decref(b);
}

Test(fhir, a_stamped_payload_is_read_the_same_without_the_names_file)
{
    install_names(names_xml);
    json_t *qr = vendor_qr("Jo was at home.");
    uint8_t *out = NULL, *form1 = NULL, *form2 = NULL;
    size_t out_len = 0, len1 = 0, len2 = 0;
    cr_assert_eq(save_json(qr, &out, &out_len), CASESCRIBE_OK, "%s", casescribe_last_error());
    static const char other[] = "<names xmlns=\"urn:casescribe:names:1\" team=\"other-team\"/>";
    cr_assert_eq(cs_fhir_decode(&form1, &len1, out, out_len), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(cs_fhir_decode_named(&form2, &len2, out, out_len, (const uint8_t *)other, strlen(other)),
                 CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect(len1 == len2 && memcmp(form1, form2, len1) == 0, "the stamped payload's own names decide");
    /* A narrative added to the stamped payload is still refused. */
    json_t *b = load_json(out, out_len);
    json_object_set_new(resource(b, "QuestionnaireResponse", 0), "text",
                        json_pack("{s:s,s:s}", "status", "generated", "div",
                                  "<div xmlns=\"http://www.w3.org/1999/xhtml\">No AI was used</div>"));
    cr_expect_neq(verify_json(b), CASESCRIBE_OK);
    json_decref(b);
    free(form1);
    free(form2);
    json_decref(qr);
    casescribe_free(out);
}

Test(fhir, a_vendor_xml_questionnaire_response_with_a_narrative_saves)
{
    install_names(names_xml);
    static const char xml[] =
        "<QuestionnaireResponse xmlns=\"http://hl7.org/fhir\"><id value=\"4712\"/>"
        "<text><status value=\"generated\"/><div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Seen at home; "
        "<b>no AI used</b></p></div></text>"
        "<identifier><system value=\"https://vendor.example/fhir/qr-id\"/><value value=\"QR-44\"/></identifier>"
        "<questionnaire value=\"https://vendor.example/Questionnaire/home-visit\"/><status value=\"completed\"/>"
        "<subject><reference value=\"Patient/vx-2\"/></subject>"
        "<author><reference value=\"PractitionerRole/vx-role-3\"/></author>"
        "<item><linkId value=\"present\"/><answer><valueString value=\"Kim was at home.\"/></answer></item>"
        "</QuestionnaireResponse>";
    uint8_t *out = NULL;
    size_t out_len = 0;
    cr_assert_eq(save((const uint8_t *)xml, strlen(xml), &out, &out_len), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    cr_expect_eq(cs_fhir_format(out, out_len), CS_FHIR_XML);
    cr_expect_null(strstr((const char *)out, "no AI used"), "the narrative is not written back");
    cr_expect_null(strstr((const char *)out, "xhtml"));
    casescribe_record *r = NULL;
    cr_assert_eq(casescribe_record_open(&r, "fhir", out, out_len), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_str_eq(casescribe_record_id(r), "vx:QR-44");
    cr_expect_str_eq(casescribe_record_author(r), "PractitionerRole/vx-role-3");
    cr_expect(casescribe_record_is_final(r));
    casescribe_record_free(r);
    expect_verifies(out, out_len);
    casescribe_free(out);
    /* A reference the record cannot name a person by is refused. */
    char contained[sizeof(xml) + 16];
    snprintf(contained, sizeof(contained), "%s", xml);
    char *at = strstr(contained, "Patient/vx-2");
    cr_assert_not_null(at);
    memcpy(at, "#vx-2-patient", 12);
    cr_expect_eq(save((const uint8_t *)contained, strlen(contained), &out, &out_len), CASESCRIBE_ESCHEMA, "%s",
                 casescribe_last_error());
    cr_expect_not_null(strstr(casescribe_last_error(), "subject"), "%s", casescribe_last_error());
}

Test(fhir, a_fill_job_drafts_into_a_vendor_questionnaire_response)
{
    install_template();
    install_names("<names xmlns=\"urn:casescribe:names:1\" team=\"cin-north\">"
                  "<record-identifier system=\"https://vendor.example/fhir/qr-id\" prefix=\"vx:\"/>"
                  "<questionnaire canonical=\"https://vendor.example/Questionnaire/home-visit\" template=\"visit-test\"/>"
                  "</names>");
    json_t *qr = vendor_qr("x");
    json_object_del(item(qr, "present"), "answer"); /* left for the filler */
    json_t *b = collection(qr, vendor_consent());
    char *form = json_dumps(b, JSON_COMPACT);
    struct filled f = fill_fhir(form);
    casescribe_job *job = f.job;
    uint8_t *draft = f.draft, *out = NULL;
    size_t draft_len = f.draft_len, out_len = 0;
    json_t *d = load_json(draft, draft_len), *back = resource(d, "QuestionnaireResponse", 0);
    cr_expect_str_eq(ext_string(back, SD "record"), "vx:QR-42", "the draft says what the names file said");
    cr_expect_not_null(extension(item(back, "present"), SD "section"), "the section was drafted");
    cr_expect_eq(save(draft, draft_len, &out, &out_len), CASESCRIBE_OK, "%s", casescribe_last_error());
    expect_verifies(out, out_len);
    json_decref(d);
    json_decref(b);
    casescribe_free(draft);
    casescribe_free(out);
    casescribe_job_free(job);
    casescribe_template_free(f.tpl);
    casescribe_transcript_free(f.t);
    free(form);
}

/* A later Consent of the same patient that is not a clear permit (here
 * withdrawn, then denied) stops the earlier permit: unknown means no. One
 * about a patient not on the form changes nothing. */
Test(fhir, another_systems_unclear_consent_stops_an_earlier_permit_of_its_patient)
{
    install_names(names_xml);
    json_t *withdrawn = vendor_consent();
    set_string(withdrawn, "status", "inactive");
    set_string(withdrawn, "dateTime", "2026-12-01T09:00:00Z");
    json_t *denied = vendor_consent();
    set_string(json_object_get(denied, "provision"), "type", "deny");
    json_t *unverified = vendor_consent();
    json_object_set_new(unverified, "verification", json_pack("[{s:b}]", "verified", 0));
    json_t *other = vendor_consent();
    set_string(json_object_get(other, "patient"), "reference", "Patient/vx-99");
    json_t *later[] = {withdrawn, denied, unverified, other};
    int32_t want[] = {CASESCRIBE_ECONSENT, CASESCRIBE_ECONSENT, CASESCRIBE_ECONSENT, CASESCRIBE_OK};
    for (size_t i = 0; i < sizeof(later) / sizeof(*later); i++) {
        json_t *qr = vendor_qr("Jo said the bus route makes the mornings easier.");
        char id[16];
        snprintf(id, sizeof(id), "QR-5%zu", i);
        set_string(json_object_get(qr, "identifier"), "value", id);
        json_object_set_new(item(qr, "present"), "extension", json_pack("[o]", section_ext("ai-draft")));
        json_t *b = collection(qr, vendor_consent());
        json_array_append_new(json_object_get(b, "entry"), json_pack("{s:o}", "resource", later[i]));
        uint8_t *out = NULL;
        size_t out_len = 0;
        cr_expect_eq(save_json(b, &out, &out_len), want[i], "later consent %zu: %s", i, casescribe_last_error());
        casescribe_free(out);
        json_decref(b);
    }
}

/* The home's names file decides the record and the template of another
 * system's form: the payload's own record and template extensions may
 * repeat what it says, never say otherwise; and an identifier of a system
 * it does not list is refused, not passed over for the resource id. */
Test(fhir, the_names_file_and_not_the_payload_names_the_record_and_template)
{
    install_names(names_xml);
    struct {
        const char *url, *value;
    } claims[] = {{SD "template", "child-family-assessment"}, {SD "record", "someone-elses-record"}};
    for (size_t i = 0; i < 2; i++) {
        json_t *qr = vendor_qr("Jo was at home.");
        json_object_set_new(qr, "extension", json_pack("[{s:s, s:s}]", "url", claims[i].url, "valueString",
                                                       claims[i].value));
        uint8_t *out = NULL;
        size_t out_len = 0;
        cr_expect_eq(save_json(qr, &out, &out_len), CASESCRIBE_ESCHEMA, "%s: %s", claims[i].url,
                     casescribe_last_error());
        cr_expect_null(out);
        json_decref(qr);
    }
    json_t *qr = vendor_qr("Jo was at home.");
    json_object_set_new(qr, "extension", json_pack("[{s:s, s:s}]", "url", SD "template", "valueString",
                                                   "statutory-home-visit"));
    uint8_t *out = NULL;
    size_t out_len = 0;
    cr_expect_eq(save_json(qr, &out, &out_len), CASESCRIBE_OK, "repeating the mapping: %s", casescribe_last_error());
    casescribe_free(out);
    out = NULL;
    json_decref(qr);
    qr = vendor_qr("Jo was at home.");
    set_string(json_object_get(qr, "identifier"), "system", "https://elsewhere.example/qr-id");
    cr_expect_eq(save_json(qr, &out, &out_len), CASESCRIBE_ESCHEMA, "an unlisted system: %s", casescribe_last_error());
    cr_expect_not_null(strstr(casescribe_last_error(), "does not list"), "%s", casescribe_last_error());
    json_decref(qr);
}

Test(fhir, a_names_file_that_is_not_a_regular_file_is_an_error_not_absent)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/names.xml", home.path);
    cr_assert_eq(mkdir(path, 0700), 0);
    json_t *qr = vendor_qr("Jo was at home.");
    uint8_t *out = NULL;
    size_t out_len = 0;
    cr_expect_eq(save_json(qr, &out, &out_len), CASESCRIBE_EIO, "%s", casescribe_last_error());
    cr_expect_null(out);
    json_decref(qr);
    rmdir(path);
}

/* Two systems, or a system and resource ids, sharing a prefix would share
 * record ids; so would one system listed twice. */
Test(fhir, a_names_file_whose_systems_would_share_record_ids_is_not_installed)
{
    const char *bad[] = {
        "<names xmlns=\"urn:casescribe:names:1\">"
        "<record-identifier system=\"https://a.example/id\" prefix=\"x:\"/>"
        "<record-identifier system=\"https://b.example/id\" prefix=\"x:\"/></names>",
        "<names xmlns=\"urn:casescribe:names:1\">"
        "<record-identifier system=\"https://a.example/id\" prefix=\"a:\"/>"
        "<record-resource-id prefix=\"a:\"/></names>",
        "<names xmlns=\"urn:casescribe:names:1\">"
        "<record-identifier system=\"https://a.example/id\" prefix=\"a:\"/>"
        "<record-identifier system=\"https://a.example/id\" prefix=\"b:\"/></names>",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        cr_expect_neq(casescribe_names_install(home.ctx, (const uint8_t *)bad[i], strlen(bad[i])), CASESCRIBE_OK,
                      "file %zu was installed", i);
}
