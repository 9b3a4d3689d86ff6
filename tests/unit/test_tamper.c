/* SPDX-License-Identifier: Apache-2.0 */
/* test_tamper.c - every single change to a stamped record is detected, and
 * verify says what changed. Layout-only changes (whitespace, attribute
 * order) are not changes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "provenance/stamp.h"
#include "record/form_xml.h"

static test_home home;
static char *stamped; /* a version 2 record: two subjects, two consents, three kinds of section */

static const char *const sections =
    "<section id=\"present\" origin=\"ai-draft\" engine=\"embedded:pocketsphinx\" model=\"en-us\" "
    "engine-version=\"0.8+5prealpha\" engine-settings=\"16 kHz mono; 2 decoders\">"
    "Jo and Sam were at home for the whole visit today.</section>"
    SECTION_REVIEWED("observations", "Sam showed me the new bedroom and said school was going better.")
    SECTION_HUMAN("analysis", "Sam appears settled; I will review progress at the next core group.");

static void setup(void)
{
    home_open(&home, 0);
    form_parts p = {
        .subjects = "<subject id=\"P-1\" role=\"child\" name=\"Sam Example\"/>"
                    "<subject id=\"P-2\" role=\"parent\" name=\"Jo Example\"/>",
        .consents = "<consent subject=\"P-1\" given-by=\"representative\" method=\"verbal\" capacity=\"not-assessed\" "
                    "at=\"2026-01-01T10:00:00Z\" scopes=\"record-audio transcribe ai-draft\"/>"
                    "<consent subject=\"P-2\" given-by=\"self\" method=\"written\" capacity=\"has-capacity\" "
                    "at=\"2026-01-01T10:00:00Z\" scopes=\"record-audio transcribe ai-draft\"/>",
        .sections = sections,
    };
    char *xml = form_make(&p), *v1 = NULL;
    cr_assert_eq(save_as(home.ctx, xml, &v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(save_as(home.ctx, v1, &stamped), CASESCRIBE_OK, "%s", casescribe_last_error());
    free(xml);
    casescribe_free(v1);
}

static void teardown(void)
{
    casescribe_free(stamped);
    home_close(&home);
}

TestSuite(tamper, .init = setup, .fini = teardown);

/* Applies one change and expects verify to fail with `status` and a report
 * line containing `says`. */
static void expect_detected(const char *from, const char *to, int32_t status, const char *says)
{
    char *changed = replace_once(stamped, from, to);
    char *report = NULL;
    int32_t rc = casescribe_verify(&report, home.ctx, "xml", (uint8_t *)changed, strlen(changed));
    cr_expect_eq(rc, status, "changing '%s' to '%s': got %d (%s)", from, to, rc, casescribe_last_error());
    if (says != NULL)
        cr_expect(report != NULL && strstr(report, says) != NULL, "changing '%s': report should say '%s':\n%s", from,
                  says, report ? report : "(none)");
    casescribe_free(report);
    free(changed);
}

Test(tamper, the_untouched_record_verifies)
{
    char *report = NULL;
    cr_assert_eq(casescribe_verify(&report, home.ctx, "xml", (uint8_t *)stamped, strlen(stamped)), CASESCRIBE_OK,
                 "%s", casescribe_last_error());
    cr_expect(strstr(report, "VERIFIED") != NULL);
    cr_expect(strstr(report, "NOT YET CHECKED") != NULL, "the draft is described as unchecked");
    cr_expect(strstr(report, "checked and changed by sw-017") != NULL, "the review is described");
    casescribe_free(report);
}

Test(tamper, layout_changes_are_not_changes)
{
    char *spaced = replace_once(stamped, "<subject id=\"P-1\"", "\n\n   <subject   id=\"P-1\"");
    char *reordered = replace_once(spaced, "role=\"child\" name=\"Sam Example\"", "name='Sam Example' role='child'");
    cr_expect_eq(casescribe_verify(NULL, home.ctx, "xml", (uint8_t *)reordered, strlen(reordered)), CASESCRIBE_OK,
                 "%s", casescribe_last_error());
    free(spaced);
    free(reordered);
}

/* The stamped record with every element in a prefix ("c:"): the same
 * record to XML, other bytes to a C14N pass over what was received. */
static char *prefixed(const char *xml)
{
    char *ns = replace_once(xml, " xmlns=\"urn:casescribe:form:1\"", " xmlns:c=\"urn:casescribe:form:1\"");
    char *out = malloc(strlen(ns) * 2 + 1), *o = out;
    cr_assert_not_null(out);
    for (const char *c = ns; *c != '\0'; c++) {
        *o++ = *c;
        if (*c == '<' && (c[1] == '/' || (c[1] >= 'a' && c[1] <= 'z'))) {
            if (c[1] == '/')
                *o++ = *++c;
            *o++ = 'c';
            *o++ = ':';
        }
    }
    *o = '\0';
    free(ns);
    return out;
}

/* Verify first canonicalises the record as received; those bytes are the
 * ones a rendering of the decoded model gives, for the form (every digest)
 * and for the provenance (the signed bytes), so that a record as stamped
 * verifies without a rendering. */
Test(tamper, the_record_as_received_canonicalises_as_its_model_renders)
{
    cs_record *r = NULL;
    cr_assert_eq(cs_form_decode(&r, (const uint8_t *)stamped, strlen(stamped)), CASESCRIBE_OK);
    cs_form_canon got, want;
    cr_assert_eq(cs_form_canonical_received(&got, r), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(cs_form_canonical_all(&want, r, 0), CASESCRIBE_OK);
    cr_expect(got.len == want.len && memcmp(got.bytes, want.bytes, got.len) == 0, "form:\n%.*s\n---\n%.*s",
              (int)got.len, (char *)got.bytes, (int)want.len, (char *)want.bytes);
    cr_expect(got.n_ranges == want.n_ranges &&
              memcmp(got.ranges, want.ranges, got.n_ranges * sizeof(*got.ranges)) == 0);
    uint8_t *pg = NULL, *pw = NULL;
    size_t lg = 0, lw = 0;
    cr_assert_eq(cs_provenance_canonical_received(&pg, &lg, r), CASESCRIBE_OK);
    cr_assert_eq(cs_provenance_canonical(&pw, &lw, r->provenance, 0), CASESCRIBE_OK);
    cr_expect(lg == lw && memcmp(pg, pw, lg) == 0, "provenance:\n%.*s\n---\n%.*s", (int)lg, (char *)pg, (int)lw,
              (char *)pw);
    free(pg);
    free(pw);
    cs_form_canon_free(&got);
    cs_form_canon_free(&want);
    cs_record_free(r);
}

/* A record written otherwise (here: every element in a prefix) gives
 * other bytes as received: verify renders the model, and its verdict is
 * the one it gives the record as stamped, both ways. */
Test(tamper, a_record_written_otherwise_verifies_from_its_model_and_changes_are_still_found)
{
    char *other = prefixed(stamped);
    cs_record *r = NULL;
    cs_form_canon got, want;
    cr_assert_eq(cs_form_decode(&r, (const uint8_t *)other, strlen(other)), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(cs_form_canonical_received(&got, r), CASESCRIBE_OK);
    cr_assert_eq(cs_form_canonical_all(&want, r, 0), CASESCRIBE_OK);
    cr_expect(got.len != want.len || memcmp(got.bytes, want.bytes, got.len) != 0, "the prefix changes the bytes");
    cs_form_canon_free(&got);
    cs_form_canon_free(&want);
    cs_record_free(r);
    cr_expect_eq(casescribe_verify(NULL, home.ctx, "xml", (uint8_t *)other, strlen(other)), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    char *changed = replace_once(other, "going better", "going worse");
    cr_expect_eq(casescribe_verify(NULL, home.ctx, "xml", (uint8_t *)changed, strlen(changed)), CASESCRIBE_EVERIFY);
    char *forged = replace_once(other, "<c:actor id=\"sw-017\"", "<c:actor id=\"sw-018\"");
    cr_expect_eq(casescribe_verify(NULL, home.ctx, "xml", (uint8_t *)forged, strlen(forged)), CASESCRIBE_EVERIFY);
    free(changed);
    free(forged);
    free(other);
}

Test(tamper, section_text)
{
    expect_detected("going better", "going worse", CASESCRIBE_EVERIFY, "section 'observations': text changed");
}

Test(tamper, section_text_whitespace)
{
    expect_detected("whole visit today.", "whole visit today. ", CASESCRIBE_EVERIFY, "section 'present': text changed");
}

Test(tamper, section_origin_relabelled_human)
{
    expect_detected("id=\"present\" origin=\"ai-draft\"", "id=\"present\" origin=\"human\"", CASESCRIBE_EVERIFY,
                    "origin changed from ai-draft to human");
}

Test(tamper, section_engine)
{
    expect_detected("id=\"present\" origin=\"ai-draft\" engine=\"embedded:pocketsphinx\"",
                    "id=\"present\" origin=\"ai-draft\" engine=\"embedded:other\"", CASESCRIBE_EVERIFY,
                    "engine changed");
}

Test(tamper, section_engine_version_and_settings)
{
    expect_detected("engine-version=\"0.8+5prealpha\"", "engine-version=\"9.9\"", CASESCRIBE_EVERIFY,
                    "engine version changed");
    expect_detected(" engine-settings=\"16 kHz mono; 2 decoders\"", "", CASESCRIBE_EVERIFY, "engine settings changed");
}

Test(tamper, engine_version_and_settings_are_stamped_and_reported)
{
    cr_expect(strstr(stamped, "<section-stamp id=\"present\"") != NULL);
    const char *st = strstr(stamped, "<section-stamp id=\"present\"");
    cr_expect(st != NULL && strstr(st, "engine-version=\"0.8+5prealpha\"") != NULL, "in the provenance");
    char *report = NULL;
    cr_assert_eq(casescribe_verify(&report, home.ctx, "xml", (uint8_t *)stamped, strlen(stamped)), CASESCRIBE_OK);
    cr_expect(strstr(report, "embedded:pocketsphinx 0.8+5prealpha") != NULL, "%s", report);
    cr_expect(strstr(report, "Settings: 16 kHz mono; 2 decoders") != NULL, "%s", report);
    casescribe_free(report);
    casescribe_record *r = NULL;
    cr_assert_eq(casescribe_record_open(&r, "xml", (uint8_t *)stamped, strlen(stamped)), CASESCRIBE_OK);
    cr_expect_str_eq(casescribe_record_section_engine_version(r, 0), "0.8+5prealpha");
    cr_expect_str_eq(casescribe_record_section_engine_settings(r, 0), "16 kHz mono; 2 decoders");
    cr_expect_null(casescribe_record_section_engine_version(r, 2));
    casescribe_record_free(r);
    /* A section written by a person carries no engine, of any kind. */
    char *human = replace_once(stamped, "origin=\"human\">", "origin=\"human\" engine-version=\"1\">");
    char *out = NULL;
    cr_expect_eq(save_as(home.ctx, human, &out), CASESCRIBE_ESCHEMA, "%s", casescribe_last_error());
    free(human);
}

Test(tamper, section_reviewer)
{
    expect_detected("reviewed-by=\"sw-017\"", "reviewed-by=\"sw-999\"", CASESCRIBE_EVERIFY, "reviewer changed");
}

Test(tamper, section_review_verdict)
{
    expect_detected("review=\"edited\"", "review=\"accepted\"", CASESCRIBE_EVERIFY, "review changed");
}

Test(tamper, section_removed)
{
    char *start = strstr(stamped, "<section id=\"analysis\"");
    char *end = strstr(start, "</section>") + strlen("</section>");
    char *section = strndup(start, (size_t)(end - start));
    expect_detected(section, "", CASESCRIBE_EVERIFY, "section 'analysis' was removed");
    free(section);
}

Test(tamper, section_added)
{
    expect_detected("<section id=\"analysis\"", SECTION_HUMAN("extra", "Slipped in later.") "<section id=\"analysis\"",
                    CASESCRIBE_EVERIFY, "section 'extra' was added");
}

Test(tamper, subject_name)
{
    expect_detected("name=\"Jo Example\"", "name=\"Jo Other\"", CASESCRIBE_EVERIFY, "subjects");
}

Test(tamper, subject_removed_with_their_consent)
{
    char *less = replace_once(stamped, "<subject id=\"P-1\" role=\"child\" name=\"Sam Example\"/>", "");
    char *start = strstr(less, "<consent subject=\"P-1\"");
    cr_assert_not_null(start);
    char *end = strstr(start, "/>") + 2;
    memmove(start, end, strlen(end) + 1);
    char *report = NULL;
    cr_expect_eq(casescribe_verify(&report, home.ctx, "xml", (uint8_t *)less, strlen(less)), CASESCRIBE_EVERIFY);
    cr_expect(report != NULL && strstr(report, "subjects") != NULL && strstr(report, "consent") != NULL, "%s",
              report ? report : "(none)");
    casescribe_free(report);
    free(less);
}

Test(tamper, subject_role)
{
    expect_detected("role=\"child\"", "role=\"sibling\"", CASESCRIBE_EVERIFY, "subjects");
}

Test(tamper, consent_scope)
{
    expect_detected("method=\"written\"", "method=\"verbal\"", CASESCRIBE_EVERIFY, "consent");
}

Test(tamper, consent_withdrawal_added)
{
    expect_detected("capacity=\"has-capacity\" at=\"2026-01-01T10:00:00Z\"",
                    "capacity=\"has-capacity\" at=\"2026-01-01T10:00:00Z\" withdrawn-at=\"2026-02-01T00:00:00Z\"",
                    CASESCRIBE_EVERIFY, "consent");
}

Test(tamper, form_team)
{
    expect_detected("team=\"cin-north\" author", "team=\"cin-south\" author", CASESCRIBE_EVERIFY, "form's details");
}

Test(tamper, form_marked_final)
{
    expect_detected("author=\"sw-017\">", "author=\"sw-017\" final=\"true\">", CASESCRIBE_EVERIFY, "form's details");
}

Test(tamper, record_id)
{
    expect_detected("<form xmlns=\"urn:casescribe:form:1\" id=\"R-1\"", "<form xmlns=\"urn:casescribe:form:1\" id=\"R-2\"",
                    CASESCRIBE_EVERIFY, "record id");
}

Test(tamper, provenance_version)
{
    expect_detected("version=\"2\"", "version=\"3\"", CASESCRIBE_EVERIFY, "signature does not match");
}

Test(tamper, provenance_actor)
{
    expect_detected("<actor id=\"sw-017\"", "<actor id=\"sw-018\"", CASESCRIBE_EVERIFY, "signature does not match");
}

Test(tamper, provenance_time)
{
    char *at = strstr(stamped, "<provenance");
    at = strstr(at, " at=\"") + 5;
    char old[32];
    snprintf(old, sizeof(old), "at=\"%.20s\"", at);
    expect_detected(old, "at=\"2020-01-01T00:00:00Z\"", CASESCRIBE_EVERIFY, NULL);
}

Test(tamper, section_stamp_origin)
{
    expect_detected("<section-stamp id=\"present\" origin=\"ai-draft\"", "<section-stamp id=\"present\" origin=\"human\"",
                    CASESCRIBE_EVERIFY, "signature does not match");
}

Test(tamper, consent_stamp_decision)
{
    expect_detected("local-ai=\"allowed\"", "local-ai=\"refused\"", CASESCRIBE_EVERIFY, "signature does not match");
}

Test(tamper, fingerprint)
{
    char *fp = strstr(stamped, "fingerprint=\"mh3:");
    cr_assert_not_null(fp, "AI sections of 8+ words carry a fingerprint");
    char old[24];
    snprintf(old, sizeof(old), "%.22s", fp);
    char repl[24];
    snprintf(repl, sizeof(repl), "%s", old);
    repl[21] = repl[21] == 'A' ? 'B' : 'A';
    expect_detected(old, repl, CASESCRIBE_EVERIFY, "signature does not match");
}

Test(tamper, signature)
{
    char *sig = strstr(stamped, "algorithm=\"ed25519\">");
    cr_assert_not_null(sig);
    sig += strlen("algorithm=\"ed25519\">");
    char old[48], repl[48];
    snprintf(old, sizeof(old), "ed25519\">%.10s", sig);
    snprintf(repl, sizeof(repl), "%s", old);
    repl[12] = repl[12] == 'A' ? 'B' : 'A';
    expect_detected(old, repl, CASESCRIBE_EVERIFY, "signature does not match");
}

Test(tamper, previous_digest)
{
    char *prev = strstr(stamped, "previous=\"sha256:");
    cr_assert_not_null(prev);
    char old[40], repl[40];
    snprintf(old, sizeof(old), "%.30s", prev);
    snprintf(repl, sizeof(repl), "%s", old);
    repl[20] = repl[20] == '0' ? '1' : '0';
    expect_detected(old, repl, CASESCRIBE_EVERIFY, "signature does not match");
}

Test(tamper, unknown_key)
{
    char *key = strstr(stamped, "key-id=\"ed25519:");
    cr_assert_not_null(key);
    char old[40];
    snprintf(old, sizeof(old), "%.32s", key);
    expect_detected(old, "key-id=\"ed25519:0000000000000000", CASESCRIBE_EKEY, "unknown key");
}

Test(tamper, provenance_stripped)
{
    char *start = strstr(stamped, "<provenance");
    char *end = strstr(stamped, "</provenance>") + strlen("</provenance>");
    char *prov = strndup(start, (size_t)(end - start));
    expect_detected(prov, "", CASESCRIBE_EUNSTAMPED, "no provenance");
    free(prov);
}

Test(tamper, verify_with_the_public_key_alone)
{
    char *pem = NULL;
    cr_assert_eq(casescribe_public_key(&pem, home.ctx), CASESCRIBE_OK);
    cr_expect_eq(casescribe_verify_with_public_key(NULL, "xml", (uint8_t *)pem, strlen(pem), (uint8_t *)stamped,
                                                   strlen(stamped)),
                 CASESCRIBE_OK, "%s", casescribe_last_error());
    char *changed = replace_once(stamped, "going better", "going worse");
    cr_expect_eq(casescribe_verify_with_public_key(NULL, "xml", (uint8_t *)pem, strlen(pem), (uint8_t *)changed,
                                                   strlen(changed)),
                 CASESCRIBE_EVERIFY);
    free(changed);
    casescribe_free(pem);
    /* Another home's key does not verify this record. */
    test_home other;
    home_open(&other, 0);
    cr_assert_eq(casescribe_public_key(&pem, other.ctx), CASESCRIBE_OK);
    cr_expect_eq(casescribe_verify_with_public_key(NULL, "xml", (uint8_t *)pem, strlen(pem), (uint8_t *)stamped,
                                                   strlen(stamped)),
                 CASESCRIBE_EKEY);
    casescribe_free(pem);
    home_close(&other);
}
