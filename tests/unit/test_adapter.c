/* SPDX-License-Identifier: Apache-2.0 */
/* test_adapter.c - the public adapter interface: registering, the pipeline
 * through a vendor's adapter, what an adapter may not do, unregistering
 * while calls run, and the JWS and XML services adapters use. */
#include <criterion/criterion.h>
#include <libxml/tree.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static test_home home;

static void setup(void)
{
    home_open(&home, CASESCRIBE_OPEN_CREATE);
}

static void teardown(void)
{
    home_close(&home);
}

TestSuite(adapter, .init = setup, .fini = teardown);

/* ---- a small vendor adapter ---------------------------------------------
 * The vendor's payload is a header line, the reference form, and an
 * optional trailer after a form feed the record model does not hold ("NOTE ..."), which
 * encode carries over from the original. */
#define HEADER "ACME-FORM 1\n"
#define SEP '\f' /* never in XML */

struct vendor {
    int decodes, encodes, destroyed;
    int32_t decode_status; /* what decode returns, when not OK */
    const char *decode_message;
    const char *form_instead; /* decode gives this instead of the payload's form */
    int32_t encode_status;
    /* to hold a decode until the test releases it */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int hold, holding;
};

static int32_t vendor_decode(void *user, casescribe_buf *form, const uint8_t *payload, size_t len)
{
    struct vendor *v = user;
    pthread_mutex_lock(&v->lock);
    v->decodes++;
    v->holding = 1;
    pthread_cond_broadcast(&v->cond);
    while (v->hold)
        pthread_cond_wait(&v->cond, &v->lock);
    v->holding = 0;
    pthread_mutex_unlock(&v->lock);
    if (v->decode_status != CASESCRIBE_OK)
        return v->decode_message ? casescribe_set_error(v->decode_status, v->decode_message) : v->decode_status;
    if (v->form_instead != NULL)
        return casescribe_buf_append(form, (const uint8_t *)v->form_instead, strlen(v->form_instead));
    size_t h = strlen(HEADER);
    if (len < h || memcmp(payload, HEADER, h) != 0)
        return casescribe_set_error(CASESCRIBE_EPARSE, "not an ACME form: the header line is missing");
    const uint8_t *end = memchr(payload + h, SEP, len - h);
    return casescribe_buf_append(form, payload + h, end ? (size_t)(end - payload) - h : len - h);
}

static int32_t vendor_encode(void *user, casescribe_buf *out, casescribe_ctx *ctx, const uint8_t *form,
                             size_t form_len, const uint8_t *original, size_t original_len)
{
    struct vendor *v = user;
    v->encodes++;
    cr_assert_not_null(ctx, "encode gets the call's context");
    if (v->encode_status != CASESCRIBE_OK)
        return casescribe_set_error(v->encode_status, "the ACME payload could not be written");
    int32_t rc = casescribe_buf_append(out, (const uint8_t *)HEADER, strlen(HEADER));
    if (rc == CASESCRIBE_OK)
        rc = casescribe_buf_append(out, form, form_len);
    const uint8_t *trailer = memchr(original + strlen(HEADER), SEP, original_len - strlen(HEADER));
    if (rc == CASESCRIBE_OK && trailer != NULL)
        rc = casescribe_buf_append(out, trailer, original_len - (size_t)(trailer - original));
    return rc;
}

static void vendor_destroy(void *user)
{
    ((struct vendor *)user)->destroyed++;
}

static struct vendor vendor;

static void register_vendor(const char *name)
{
    memset(&vendor, 0, sizeof(vendor));
    pthread_mutex_init(&vendor.lock, NULL);
    pthread_cond_init(&vendor.cond, NULL);
    casescribe_adapter a;
    cr_assert_eq(casescribe_adapter_init(&a, sizeof(a)), CASESCRIBE_OK);
    cr_assert_eq(a.version, CASESCRIBE_ADAPTER_VERSION);
    a.name = name;
    a.user = &vendor;
    a.decode = vendor_decode;
    a.encode = vendor_encode;
    a.destroy = vendor_destroy;
    cr_assert_eq(casescribe_adapter_register(&a), CASESCRIBE_OK, "%s", casescribe_last_error());
}

static char *acme_payload(const char *form, const char *trailer)
{
    size_t n = strlen(HEADER) + strlen(form) + (trailer ? strlen(trailer) : 0) + 2;
    char *p = malloc(n);
    cr_assert_not_null(p);
    snprintf(p, n, "%s%s%s%s", HEADER, form, trailer ? "\f" : "", trailer ? trailer : "");
    return p;
}

static int32_t save_through(const char *adapter, const char *payload, uint8_t **out, size_t *len)
{
    casescribe_actor actor;
    casescribe_actor_init(&actor, sizeof(actor));
    actor.user_id = "sw-017";
    return casescribe_save(out, len, home.ctx, adapter, &actor, (const uint8_t *)payload, strlen(payload));
}

static uint64_t journal_entries(void)
{
    uint64_t n = 0;
    cr_assert_eq(casescribe_journal_verify(&n, NULL, home.ctx), CASESCRIBE_OK, "%s", casescribe_last_error());
    return n;
}

Test(adapter, a_vendor_adapter_saves_verifies_and_carries_its_own_fields)
{
    register_vendor("acme");
    char *form = form_make(&(form_parts){0});
    char *payload = acme_payload(form, "NOTE keep this vendor field");
    uint8_t *out = NULL;
    size_t len = 0;
    cr_assert_eq(save_through("acme", payload, &out, &len), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(vendor.decodes, 1);
    cr_expect_eq(vendor.encodes, 1);
    cr_expect(len > strlen(HEADER) && memcmp(out, HEADER, strlen(HEADER)) == 0, "encoded as the vendor's payload");
    cr_expect_not_null(strstr((char *)out, "<provenance"), "stamped");
    cr_expect_not_null(strstr((char *)out, "\fNOTE keep this vendor field"), "the vendor's field carried over");

    char *report = NULL;
    cr_expect_eq(casescribe_verify(&report, home.ctx, "acme", out, len), CASESCRIBE_OK, "%s", report);
    casescribe_free(report);
    casescribe_record *rec = NULL;
    cr_assert_eq(casescribe_record_open(&rec, "acme", out, len), CASESCRIBE_OK);
    cr_expect_eq(casescribe_record_version(rec), 1);
    casescribe_record_free(rec);

    /* The stamped reference form inside verifies through "xml" too: the
     * adapter changes the envelope, never the record. */
    const char *inner = (const char *)out + strlen(HEADER);
    const char *end = strchr(inner, '\f');
    cr_expect_eq(casescribe_verify(NULL, home.ctx, "xml", (const uint8_t *)inner, (size_t)(end - inner)),
                 CASESCRIBE_OK, "%s", casescribe_last_error());
    casescribe_free(out);
    free(payload);
    free(form);
    cr_expect_eq(casescribe_adapter_unregister("acme"), CASESCRIBE_OK);
    cr_expect_eq(vendor.destroyed, 1, "destroy runs once on unregister");
}

Test(adapter, the_pipeline_refuses_through_a_vendor_adapter_as_through_xml)
{
    register_vendor("acme");
    /* a final save with an unreviewed draft */
    char *form = form_make(&(form_parts){.final = "true"});
    char *payload = acme_payload(form, NULL);
    uint8_t *out = NULL;
    size_t len = 0;
    cr_expect_eq(save_through("acme", payload, &out, &len), CASESCRIBE_EREVIEW);
    cr_expect_eq(save_through("xml", form, &out, &len), CASESCRIBE_EREVIEW);
    free(payload);
    free(form);
    /* AI text without consent */
    form = form_make(&(form_parts){.consents = ""});
    payload = acme_payload(form, NULL);
    cr_expect_eq(save_through("acme", payload, &out, &len), CASESCRIBE_ECONSENT);
    free(payload);
    free(form);
    cr_expect_eq(journal_entries(), HOME_SETUP_ENTRIES, "nothing journalled");
    casescribe_adapter_unregister("acme");
}

Test(adapter, what_an_adapter_makes_is_parsed_as_hostile_input)
{
    register_vendor("acme");
    uint8_t *out = NULL;
    size_t len = 0;
    vendor.form_instead = "<!DOCTYPE form [<!ENTITY x \"y\">]><form xmlns=\"urn:casescribe:form:1\"/>";
    cr_expect_eq(save_through("acme", HEADER, &out, &len), CASESCRIBE_EPARSE);
    vendor.form_instead = "<form xmlns=\"urn:casescribe:form:1\" id=\"R-1\" bogus=\"1\"/>";
    cr_expect_eq(save_through("acme", HEADER, &out, &len), CASESCRIBE_ESCHEMA);
    vendor.form_instead = "";
    cr_expect_eq(save_through("acme", HEADER, &out, &len), CASESCRIBE_EPARSE);
    cr_expect_null(out);
    casescribe_adapter_unregister("acme");
}

Test(adapter, an_adapters_failure_is_reported_and_journals_nothing)
{
    register_vendor("acme");
    uint8_t *out = NULL;
    size_t len = 0;
    cr_expect_eq(save_through("acme", "garbage", &out, &len), CASESCRIBE_EPARSE);
    cr_expect_str_eq(casescribe_last_error(), "not an ACME form: the header line is missing");

    vendor.decode_status = CASESCRIBE_ESCHEMA; /* no message of its own */
    cr_expect_eq(save_through("acme", "x", &out, &len), CASESCRIBE_ESCHEMA);
    cr_expect_not_null(strstr(casescribe_last_error(), "adapter 'acme'"), "%s", casescribe_last_error());

    vendor.decode_status = 5; /* not a status an adapter may give */
    cr_expect_eq(save_through("acme", "x", &out, &len), CASESCRIBE_EINTERNAL);
    vendor.decode_status = CASESCRIBE_EVERIFY; /* only the library verifies */
    cr_expect_eq(save_through("acme", "x", &out, &len), CASESCRIBE_EINTERNAL);

    vendor.decode_status = CASESCRIBE_OK;
    vendor.encode_status = CASESCRIBE_ENOMEM;
    char *form = form_make(&(form_parts){0});
    char *payload = acme_payload(form, NULL);
    cr_expect_eq(save_through("acme", payload, &out, &len), CASESCRIBE_ENOMEM);
    cr_expect_null(out);
    cr_expect_eq(journal_entries(), HOME_SETUP_ENTRIES, "a save whose encode failed is not journalled");
    free(payload);
    free(form);
    casescribe_adapter_unregister("acme");
}

Test(adapter, registering_checks_the_struct_and_the_name)
{
    casescribe_adapter a;
    cr_expect_eq(casescribe_adapter_init(&a, sizeof(a) - 1), CASESCRIBE_EINVAL);
    cr_assert_eq(casescribe_adapter_init(&a, sizeof(a)), CASESCRIBE_OK);
    a.decode = vendor_decode;
    a.encode = vendor_encode;
    cr_expect_eq(casescribe_adapter_register(&a), CASESCRIBE_EINVAL, "no name");
    const char *bad_names[] = {"", "Upper", "has space", "a/b", "abcdefghijklmnopqrstuvwxyz0123456"};
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(*bad_names); i++) {
        a.name = bad_names[i];
        cr_expect_eq(casescribe_adapter_register(&a), CASESCRIBE_EINVAL, "name '%s'", bad_names[i]);
    }
    a.name = "ok-name_1";
    a.version = 0;
    cr_expect_eq(casescribe_adapter_register(&a), CASESCRIBE_EINVAL, "version 0");
    a.version = CASESCRIBE_ADAPTER_VERSION + 1;
    cr_expect_eq(casescribe_adapter_register(&a), CASESCRIBE_EINVAL, "a contract from the future");
    a.version = CASESCRIBE_ADAPTER_VERSION;
    a.struct_size = 8;
    cr_expect_eq(casescribe_adapter_register(&a), CASESCRIBE_EINVAL, "a struct too small");
    a.struct_size = sizeof(a);
    a.encode = NULL;
    cr_expect_eq(casescribe_adapter_register(&a), CASESCRIBE_EINVAL, "no encode");
    a.encode = vendor_encode;
    a.name = "xml";
    cr_expect_eq(casescribe_adapter_register(&a), CASESCRIBE_ECONFLICT, "the built-in name is taken");
    cr_expect_eq(casescribe_adapter_unregister("xml"), CASESCRIBE_EINVAL, "built-ins stay");
    a.name = "fhir";
    cr_expect_eq(casescribe_adapter_register(&a), CASESCRIBE_ECONFLICT, "fhir is built in too");
    cr_expect_eq(casescribe_adapter_unregister("fhir"), CASESCRIBE_EINVAL);
    cr_expect_eq(casescribe_adapter_unregister("nobody"), CASESCRIBE_ENOTFOUND);
    cr_expect_eq(casescribe_adapter_register(NULL), CASESCRIBE_EINVAL);

    /* The name is copied: the caller's buffer may change after. */
    char name[16] = "copied";
    a.name = name;
    a.user = &vendor;
    cr_assert_eq(casescribe_adapter_register(&a), CASESCRIBE_OK);
    snprintf(name, sizeof(name), "changed");
    cr_expect_eq(casescribe_adapter_register(&(casescribe_adapter){.struct_size = sizeof(a),
                                                                    .version = CASESCRIBE_ADAPTER_VERSION,
                                                                    .name = "copied",
                                                                    .decode = vendor_decode,
                                                                    .encode = vendor_encode}),
                 CASESCRIBE_ECONFLICT);
    cr_expect_eq(casescribe_adapter_unregister("copied"), CASESCRIBE_OK);
    cr_expect_eq(casescribe_adapter_unregister("copied"), CASESCRIBE_ENOTFOUND);
    uint8_t *out = NULL;
    size_t len = 0;
    cr_expect_eq(save_through("copied", "x", &out, &len), CASESCRIBE_ENOTFOUND);
}

static void *save_in_thread(void *arg)
{
    (void)arg;
    uint8_t *out = NULL;
    size_t len = 0;
    char *form = form_make(&(form_parts){.id = "R-held"});
    char *payload = acme_payload(form, NULL);
    intptr_t rc = save_through("acme", payload, &out, &len);
    casescribe_free(out);
    free(payload);
    free(form);
    return (void *)rc;
}

Test(adapter, unregistering_waits_for_calls_already_running)
{
    register_vendor("acme");
    vendor.hold = 1;
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, save_in_thread, NULL), 0);
    pthread_mutex_lock(&vendor.lock);
    while (!vendor.holding)
        pthread_cond_wait(&vendor.cond, &vendor.lock);
    pthread_mutex_unlock(&vendor.lock);

    /* The save is inside decode: unregistering takes the name at once... */
    cr_expect_eq(casescribe_adapter_unregister("acme"), CASESCRIBE_OK);
    uint8_t *out = NULL;
    size_t len = 0;
    cr_expect_eq(save_through("acme", "x", &out, &len), CASESCRIBE_ENOTFOUND);
    /* ...but the adapter is not destroyed under the running call. */
    cr_expect_eq(vendor.destroyed, 0);

    pthread_mutex_lock(&vendor.lock);
    vendor.hold = 0;
    pthread_cond_broadcast(&vendor.cond);
    pthread_mutex_unlock(&vendor.lock);
    void *rc = NULL;
    pthread_join(t, &rc);
    /* The running save kept its adapter to the end: decoded, stamped,
     * encoded and journalled; only then was the adapter destroyed. */
    cr_expect_eq((intptr_t)rc, CASESCRIBE_OK, "the running save finished");
    cr_expect_eq(vendor.encodes, 1);
    cr_expect_eq(vendor.destroyed, 1, "destroyed once the last call returned");
    cr_expect_eq(journal_entries(), HOME_SETUP_ENTRIES + 1);
}

/* ---- the services adapters call ---------------------------------------- */

Test(adapter, jws_signs_with_the_homes_key_and_verifies_with_the_public_key)
{
    const char *payload = "{\"resourceType\":\"Provenance\"}";
    char *jws = NULL;
    cr_assert_eq(casescribe_jws_sign(&jws, home.ctx, (const uint8_t *)payload, strlen(payload)), CASESCRIBE_OK,
                 "%s", casescribe_last_error());
    const char *dots = strstr(jws, "..");
    cr_assert_not_null(dots, "detached: HEADER..SIGNATURE");
    cr_expect_eq(strncmp(jws, "eyJ", 3), 0, "the header is base64url JSON");
    cr_expect_eq(strlen(dots + 2), 86, "64 bytes of signature, base64url without padding");
    cr_expect_null(strpbrk(jws, "+/="), "base64url, not base64");

    char *pem = NULL;
    cr_assert_eq(casescribe_public_key(&pem, home.ctx), CASESCRIBE_OK);
    cr_expect_eq(casescribe_jws_verify(jws, (uint8_t *)pem, strlen(pem), (const uint8_t *)payload, strlen(payload)),
                 CASESCRIBE_OK, "%s", casescribe_last_error());
    const char *changed = "{\"resourceType\":\"Provenancf\"}";
    cr_expect_eq(casescribe_jws_verify(jws, (uint8_t *)pem, strlen(pem), (const uint8_t *)changed, strlen(changed)),
                 CASESCRIBE_EVERIFY);
    /* another home's key */
    test_home other;
    home_open(&other, CASESCRIBE_OPEN_CREATE);
    char *other_pem = NULL;
    cr_assert_eq(casescribe_public_key(&other_pem, other.ctx), CASESCRIBE_OK);
    cr_expect_eq(casescribe_jws_verify(jws, (uint8_t *)other_pem, strlen(other_pem), (const uint8_t *)payload,
                                       strlen(payload)),
                 CASESCRIBE_EVERIFY);
    home_close(&other);
    casescribe_free(other_pem);
    /* a flipped signature character, a non-detached or malformed JWS, another alg */
    char *bad = strdup(jws);
    bad[strlen(bad) - 5] = bad[strlen(bad) - 5] == 'A' ? 'B' : 'A';
    cr_expect_eq(casescribe_jws_verify(bad, (uint8_t *)pem, strlen(pem), (const uint8_t *)payload, strlen(payload)),
                 CASESCRIBE_EVERIFY);
    free(bad);
    const char *malformed[] = {"", "abc", "a.b.c", "..", "eyJ..x.y"};
    for (size_t i = 0; i < sizeof(malformed) / sizeof(*malformed); i++)
        cr_expect_neq(casescribe_jws_verify(malformed[i], (uint8_t *)pem, strlen(pem), (const uint8_t *)payload,
                                            strlen(payload)),
                      CASESCRIBE_OK, "'%s'", malformed[i]);
    /* {"alg":"none"} */
    cr_expect_eq(casescribe_jws_verify("eyJhbGciOiJub25lIn0..AAAA", (uint8_t *)pem, strlen(pem),
                                       (const uint8_t *)payload, strlen(payload)),
                 CASESCRIBE_EVERIFY);
    cr_expect_eq(casescribe_jws_verify(jws, (const uint8_t *)"not a key", 9, (const uint8_t *)payload,
                                       strlen(payload)),
                 CASESCRIBE_EKEY);
    casescribe_free(pem);
    casescribe_free(jws);
}

Test(adapter, jws_checks_its_arguments)
{
    char *jws = (char *)"unchanged";
    cr_expect_eq(casescribe_jws_sign(&jws, NULL, (const uint8_t *)"x", 1), CASESCRIBE_EINVAL);
    cr_expect_null(jws);
    cr_expect_eq(casescribe_jws_sign(NULL, home.ctx, (const uint8_t *)"x", 1), CASESCRIBE_EINVAL);
    cr_expect_eq(casescribe_jws_sign(&jws, home.ctx, NULL, 1), CASESCRIBE_EINVAL);
    cr_expect_eq(casescribe_jws_sign(&jws, home.ctx, (const uint8_t *)"x", CASESCRIBE_MAX_PAYLOAD + 1u),
                 CASESCRIBE_ETOOBIG);
    cr_expect_eq(casescribe_jws_verify(NULL, (const uint8_t *)"k", 1, (const uint8_t *)"x", 1), CASESCRIBE_EINVAL);
}

Test(adapter, xml_parse_is_the_hardened_parser)
{
    void *doc = NULL;
    const char *good = "<a xmlns=\"urn:x\"><b>text</b></a>";
    cr_assert_eq(casescribe_xml_parse(&doc, (const uint8_t *)good, strlen(good)), CASESCRIBE_OK);
    xmlNodePtr root = xmlDocGetRootElement((xmlDocPtr)doc);
    cr_expect_str_eq((const char *)root->name, "a");
    casescribe_xml_free(doc);

    const char *xxe = "<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>";
    cr_expect_eq(casescribe_xml_parse(&doc, (const uint8_t *)xxe, strlen(xxe)), CASESCRIBE_EPARSE);
    cr_expect_null(doc);
    char deep[4096];
    size_t at = 0;
    for (int i = 0; i < 100; i++)
        at += (size_t)snprintf(deep + at, sizeof(deep) - at, "<a>");
    for (int i = 0; i < 100; i++)
        at += (size_t)snprintf(deep + at, sizeof(deep) - at, "</a>");
    cr_expect_eq(casescribe_xml_parse(&doc, (const uint8_t *)deep, strlen(deep)), CASESCRIBE_EPARSE, "too deep");
    cr_expect_eq(casescribe_xml_parse(&doc, (const uint8_t *)"<a/>", CASESCRIBE_MAX_PAYLOAD + 1u),
                 CASESCRIBE_ETOOBIG);
    cr_expect_eq(casescribe_xml_parse(NULL, (const uint8_t *)"<a/>", 4), CASESCRIBE_EINVAL);
    casescribe_xml_free(NULL);
}

Test(adapter, buf_append_bounds_and_checks)
{
    /* Outside a callback no buffer exists; NULL is refused, not crashed on. */
    cr_expect_eq(casescribe_buf_append(NULL, (const uint8_t *)"x", 1), CASESCRIBE_EINVAL);
    cr_expect_eq(casescribe_set_error(CASESCRIBE_ESCHEMA, "item 3 has no linkId"), CASESCRIBE_ESCHEMA);
    cr_expect_str_eq(casescribe_last_error(), "item 3 has no linkId");
}

/* Contract 2 added decode_named at the end of the struct: an adapter built
 * against a 1.5/1.6 header passes the shorter size and version 1, and the
 * library neither reads past it nor calls what lies there. */
static int32_t named_never_called(void *user, casescribe_buf *form_out, const uint8_t *payload, size_t len,
                                  const uint8_t *names, size_t names_len)
{
    (void)user, (void)form_out, (void)payload, (void)len, (void)names, (void)names_len;
    cr_assert_fail("a contract-1 adapter's decode_named slot was called");
    return CASESCRIBE_EINVAL;
}

Test(adapter, an_adapter_built_for_contract_1_still_registers_and_saves)
{
    register_vendor("acme"); /* for its state */
    casescribe_adapter_unregister("acme");
    uint32_t v1 = (uint32_t)offsetof(casescribe_adapter, decode_named);
    casescribe_adapter a;
    cr_assert_eq(casescribe_adapter_init(&a, v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(a.version, 1u, "the size says which contract");
    a.name = "old-acme";
    a.user = &vendor;
    a.decode = vendor_decode;
    a.encode = vendor_encode;
    a.decode_named = named_never_called; /* beyond the old struct: not the adapter's */
    cr_assert_eq(casescribe_adapter_register(&a), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *form = form_make(&(form_parts){0});
    char *payload = acme_payload(form, NULL);
    uint8_t *out = NULL;
    size_t len = 0;
    cr_expect_eq(save_through("old-acme", payload, &out, &len), CASESCRIBE_OK, "%s", casescribe_last_error());
    casescribe_free(out);
    free(payload);
    free(form);
    cr_expect_eq(casescribe_adapter_unregister("old-acme"), CASESCRIBE_OK);
    /* A contract-2 adapter may give decode_named instead of decode; a v1
     * size with version 2 is refused. */
    cr_assert_eq(casescribe_adapter_init(&a, sizeof(a)), CASESCRIBE_OK);
    a.name = "new-acme";
    a.encode = vendor_encode;
    cr_expect_eq(casescribe_adapter_register(&a), CASESCRIBE_EINVAL, "neither decode");
    a.decode_named = named_never_called;
    cr_expect_eq(casescribe_adapter_register(&a), CASESCRIBE_OK, "%s", casescribe_last_error());
    casescribe_adapter_unregister("new-acme");
    a.struct_size = v1;
    a.decode = vendor_decode;
    cr_expect_eq(casescribe_adapter_register(&a), CASESCRIBE_EINVAL, "a contract-1 struct says version 1");
}
