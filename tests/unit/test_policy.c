/* SPDX-License-Identifier: Apache-2.0 */
/* test_policy.c - a team's feature policy: safe defaults, signing, what a
 * hand edit or another key does, and the rules for changing a setting. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "context.h"
#include "helpers.h"
#include "policy/policy.h"

static test_home home;

static void setup(void)
{
    home_open(&home, 0);
}

static void teardown(void)
{
    home_close(&home);
}

TestSuite(policy, .init = setup, .fini = teardown);

#define AT "2026-11-23T09:00:00Z"

/* A policy for `team` with `key` set to `value`, signed by the home's key. */
static char *signed_file(const char *team, const char *key, const char *value, size_t *len)
{
    cs_policy *d = NULL, *p = NULL;
    cr_assert_eq(cs_policy_defaults(&d, team), CASESCRIBE_OK);
    cr_assert_eq(cs_policy_change(&p, d, key, value, "admin-1", AT), CASESCRIBE_OK, "%s", casescribe_last_error());
    EVP_PKEY *key_pair = NULL;
    char key_id[CS_KEY_ID_MAX];
    cr_assert_eq(cs_keyring_signer(home.ctx->keys, &key_pair, key_id), CASESCRIBE_OK);
    uint8_t *bytes = NULL;
    cr_assert_eq(cs_policy_sign(&bytes, len, p, key_pair, key_id), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(p->state, CS_POLICY_SIGNED);
    cr_expect_eq(strncmp(p->digest, "sha256:", 7), 0);
    EVP_PKEY_free(key_pair);
    cs_policy_free(d);
    cs_policy_free(p);
    char *text = malloc(*len + 1);
    memcpy(text, bytes, *len);
    text[*len] = '\0';
    free(bytes);
    return text;
}

static int32_t read_text(cs_policy **out, const char *team, const char *text)
{
    return cs_policy_read(out, team, (const uint8_t *)text, strlen(text), home.ctx->keys);
}

Test(policy, a_team_never_configured_has_every_ai_feature_off)
{
    cs_policy *p = NULL;
    cr_assert_eq(cs_policy_load(&p, home.path, "adults-east", home.ctx->keys), CASESCRIBE_OK);
    cr_expect_eq(p->state, CS_POLICY_DEFAULTS);
    cr_expect_eq(p->version, 0);
    cr_expect_eq(p->features, 0u, "every feature must be off");
    cr_expect_eq(p->retention_days, 0);
    cr_expect_eq(p->remote_engine, 0);
    cr_expect_eq(p->n_endpoints, 0);
    cr_expect_str_eq(p->digest, "");
    const char *names[] = {"transcription", "ai-draft", "external-ai", "observation-tags"};
    for (size_t i = 0; i < 4; i++) {
        char *v = NULL;
        cr_assert_eq(cs_policy_get(&v, p, names[i]), CASESCRIBE_OK);
        cr_expect_str_eq(v, "off", "%s", names[i]);
        free(v);
    }
    cs_policy_free(p);
}

Test(policy, a_signed_policy_reads_back_with_only_its_change)
{
    size_t len = 0;
    char *text = signed_file("cin-north", "ai-draft", "on", &len);
    cr_expect(strstr(text, "not by hand") != NULL, "the file says how to change it");
    cs_policy *p = NULL;
    cr_assert_eq(read_text(&p, "cin-north", text), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(p->state, CS_POLICY_SIGNED);
    cr_expect_eq(p->version, 1);
    cr_expect_eq(p->features, CS_FEATURE_AI_DRAFT);
    cr_expect_str_eq(p->changed_by, "admin-1");
    cr_expect_str_eq(p->changed_at, AT);
    cr_expect_eq(strncmp(p->key_id, "ed25519:", 8), 0);
    cr_expect_eq(strncmp(p->digest, "sha256:", 7), 0);
    cs_policy_free(p);
    free(text);
}

Test(policy, a_hand_edit_even_of_a_comment_is_detected)
{
    size_t len = 0;
    char *text = signed_file("cin-north", "transcription", "on", &len);
    const char *edits[][2] = {
        {"external-ai=\"off\"", "external-ai=\"on\""},
        {"not by hand.", "not by hand!"},
        {"<features", "<!-- note --><features"},
        {"<engine>", "\n<engine>"},
        {"version=\"1\"", "version=\"2\""},
    };
    for (size_t i = 0; i < sizeof(edits) / sizeof(*edits); i++) {
        char *edited = replace_once(text, edits[i][0], edits[i][1]);
        cs_policy *p = NULL;
        cr_expect_eq(read_text(&p, "cin-north", edited), CASESCRIBE_EVERIFY, "edit %zu was not detected", i);
        cr_expect_null(p);
        free(edited);
    }
    free(text);
}

Test(policy, a_refused_file_leaves_the_team_on_the_safe_defaults_and_says_why)
{
    size_t len = 0;
    char *text = signed_file("cin-north", "ai-draft", "on", &len);
    char *edited = replace_once(text, "transcription=\"off\"", "transcription=\"on\"");
    char dir[512], path[600];
    snprintf(dir, sizeof(dir), "%s/policy", home.path);
    mkdir(dir, 0700); /* home_open made it already */
    snprintf(path, sizeof(path), "%s/cin-north.xml", dir);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fputs(edited, f);
    fclose(f);
    cs_policy *p = NULL;
    cr_assert_eq(cs_policy_load(&p, home.path, "cin-north", home.ctx->keys), CASESCRIBE_OK);
    cr_expect_eq(p->state, CS_POLICY_REFUSED);
    cr_expect_eq(p->features, 0u, "a refused file must not switch anything on");
    cr_expect(p->problem != NULL && strstr(p->problem, "changed after it was signed") != NULL, "%s",
              p->problem ? p->problem : "(none)");
    cs_policy_free(p);
    /* The genuine file is used. */
    f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
    cr_assert_eq(cs_policy_load(&p, home.path, "cin-north", home.ctx->keys), CASESCRIBE_OK);
    cr_expect_eq(p->state, CS_POLICY_SIGNED);
    cr_expect_eq(p->features, CS_FEATURE_AI_DRAFT);
    cs_policy_free(p);
    /* A file padded past the size limit is refused the same way. */
    f = fopen(path, "wb");
    fputs(text, f);
    for (int i = 0; i < CS_POLICY_MAX_BYTES / 16 + 1; i++)
        fputs("<!-- padding -->", f);
    fclose(f);
    cr_assert_eq(cs_policy_load(&p, home.path, "cin-north", home.ctx->keys), CASESCRIBE_OK);
    cr_expect_eq(p->state, CS_POLICY_REFUSED);
    cr_expect_eq(p->features, 0u);
    cr_expect(p->problem != NULL && strstr(p->problem, "larger than") != NULL, "%s", p->problem ? p->problem : "");
    cs_policy_free(p);
    /* Another team is untouched by it. */
    cr_assert_eq(cs_policy_load(&p, home.path, "adults-south", home.ctx->keys), CASESCRIBE_OK);
    cr_expect_eq(p->state, CS_POLICY_DEFAULTS);
    cr_expect_eq(p->features, 0u);
    cs_policy_free(p);
    free(edited);
    free(text);
}

Test(policy, a_policy_signed_by_another_key_or_for_another_team_is_refused)
{
    size_t len = 0;
    char *text = signed_file("cin-north", "ai-draft", "on", &len);
    cs_policy *p = NULL;
    cr_expect_eq(read_text(&p, "adults-south", text), CASESCRIBE_EVERIFY, "another team's file");
    cr_expect(strstr(casescribe_last_error(), "cin-north") != NULL);
    /* The same file signed by a key this home does not hold. */
    test_home other;
    home_open(&other, 0);
    cs_policy *d = NULL, *q = NULL;
    cr_assert_eq(cs_policy_defaults(&d, "cin-north"), CASESCRIBE_OK);
    cr_assert_eq(cs_policy_change(&q, d, "ai-draft", "on", "admin-1", AT), CASESCRIBE_OK);
    EVP_PKEY *key = NULL;
    char key_id[CS_KEY_ID_MAX];
    cr_assert_eq(cs_keyring_signer(other.ctx->keys, &key, key_id), CASESCRIBE_OK);
    uint8_t *bytes = NULL;
    size_t n = 0;
    cr_assert_eq(cs_policy_sign(&bytes, &n, q, key, key_id), CASESCRIBE_OK);
    cr_expect_eq(cs_policy_read(&p, "cin-north", bytes, n, home.ctx->keys), CASESCRIBE_EVERIFY);
    cr_expect(strstr(casescribe_last_error(), "does not trust") != NULL, "%s", casescribe_last_error());
    cr_expect_eq(cs_policy_read(&p, "cin-north", bytes, n, other.ctx->keys), CASESCRIBE_OK, "control");
    cs_policy_free(p);
    EVP_PKEY_free(key);
    free(bytes);
    cs_policy_free(d);
    cs_policy_free(q);
    home_close(&other);
    free(text);
}

Test(policy, changes_are_checked_against_their_ranges)
{
    cs_policy *d = NULL, *p = NULL;
    cr_assert_eq(cs_policy_defaults(&d, "cin-north"), CASESCRIBE_OK);
    struct {
        const char *key, *value;
        int32_t rc;
    } cases[] = {
        {"ai-draft", "yes", CASESCRIBE_EINVAL},
        {"audio-retention-days", "366", CASESCRIBE_EINVAL},
        {"audio-retention-days", "-1", CASESCRIBE_EINVAL},
        {"audio-retention-days", "7 days", CASESCRIBE_EINVAL},
        {"audio-retention-days", "99999999999999999999", CASESCRIBE_EINVAL},
        {"engine", "cloud", CASESCRIBE_EINVAL},
        {"endpoints", "http://whisper.example.org", CASESCRIBE_EINVAL},
        {"endpoints", "https://user@whisper.example.org", CASESCRIBE_EINVAL},
        {"endpoints", "https://whisper.example.org/v1?key=secret", CASESCRIBE_EINVAL},
        {"endpoints", "http://127.0.0.1.evil.example/v1", CASESCRIBE_EINVAL},
        {"endpoints", "http://localhostile.example", CASESCRIBE_EINVAL},
        {"endpoints", "https://[::1]/v1", CASESCRIBE_EINVAL},
        {"endpoints", "http://127.0.0.1:8080/v1 http://[::1]/v1 http://localhost", CASESCRIBE_OK},
        {"auto-approve", "on", CASESCRIBE_ENOTFOUND},
        {"audio-retention-days", "365", CASESCRIBE_OK},
        {"engine", "remote", CASESCRIBE_OK},
        {"endpoints", "https://whisper.council.example:8443/v1 https://asr.example.org", CASESCRIBE_OK},
        {"endpoints", "", CASESCRIBE_OK},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        int32_t rc = cs_policy_change(&p, d, cases[i].key, cases[i].value, "admin-1", AT);
        cr_expect_eq(rc, cases[i].rc, "%s=%s gave %d: %s", cases[i].key, cases[i].value, rc, casescribe_last_error());
        cr_expect_eq(p == NULL, rc != CASESCRIBE_OK);
        if (p != NULL) {
            char *v = NULL;
            cr_expect_eq(cs_policy_get(&v, p, cases[i].key), CASESCRIBE_OK);
            cr_expect_str_eq(v, cases[i].value);
            free(v);
        }
        cs_policy_free(p);
        p = NULL;
    }
    cs_policy_free(d);
}

Test(policy, settings_survive_signing_and_team_names_cannot_escape_the_folder)
{
    cs_policy *d = NULL, *a = NULL, *b = NULL, *c = NULL;
    cr_assert_eq(cs_policy_defaults(&d, "cin-north"), CASESCRIBE_OK);
    cr_assert_eq(cs_policy_change(&a, d, "endpoints", "https://asr.example.org/v1 http://[::1]:8080/v1", "admin-1",
                                  AT),
                 CASESCRIBE_OK);
    cr_assert_eq(cs_policy_change(&b, a, "audio-retention-days", "30", "admin-1", AT), CASESCRIBE_OK);
    cr_assert_eq(cs_policy_change(&c, b, "engine", "remote", "admin-1", AT), CASESCRIBE_OK);
    cr_expect_eq(c->version, 3);
    EVP_PKEY *key = NULL;
    char key_id[CS_KEY_ID_MAX];
    cr_assert_eq(cs_keyring_signer(home.ctx->keys, &key, key_id), CASESCRIBE_OK);
    uint8_t *bytes = NULL;
    size_t n = 0;
    cr_assert_eq(cs_policy_sign(&bytes, &n, c, key, key_id), CASESCRIBE_OK);
    cs_policy *r = NULL;
    cr_assert_eq(cs_policy_read(&r, "cin-north", bytes, n, home.ctx->keys), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    cr_expect_eq(r->version, 3);
    cr_expect_eq(r->retention_days, 30);
    cr_expect_eq(r->remote_engine, 1);
    cr_assert_eq(r->n_endpoints, 2);
    cr_expect_str_eq(r->endpoints[0], "https://asr.example.org/v1");
    cr_expect_str_eq(r->endpoints[1], "http://[::1]:8080/v1", "loopback http passes the schema too");
    cr_expect_str_eq(r->digest, c->digest);
    const char *bad[] = {"", "team name", "bad team!", "a\\b", NULL};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        cs_policy *x = NULL;
        char path[256];
        if (bad[i] == NULL || bad[i][0] == '\0')
            cr_expect_eq(cs_policy_defaults(&x, bad[i]), CASESCRIBE_EINVAL, "team %zu accepted", i);
        cr_expect_eq(cs_policy_path(path, sizeof(path), home.path, bad[i]), CASESCRIBE_EINVAL);
        cr_expect_eq(cs_policy_load(&x, home.path, bad[i], home.ctx->keys), CASESCRIBE_EINVAL);
    }
    /* Ids a form may name are teams too: each gets one file of its own,
     * inside policy/, neither hidden nor the bundle's. */
    const char *escaping[] = {"../keys/x", ".hidden", "a/b", "bundle", "..", "a%2Fb"};
    for (size_t i = 0; i < sizeof(escaping) / sizeof(*escaping); i++) {
        char path[512], prefix[300], team[129];
        snprintf(prefix, sizeof(prefix), "%s/policy/", home.path);
        int32_t rc = cs_policy_path(path, sizeof(path), home.path, escaping[i]);
        if (strchr(escaping[i], '%') != NULL) {
            cr_expect_eq(rc, CASESCRIBE_EINVAL, "'%%' is no id character");
            continue;
        }
        cr_assert_eq(rc, CASESCRIBE_OK, "%s", escaping[i]);
        const char *file = path + strlen(prefix);
        cr_expect_eq(strncmp(path, prefix, strlen(prefix)), 0);
        cr_expect(strchr(file, '/') == NULL && file[0] != '.' && strcmp(file, "bundle.xml") != 0, "%s -> %s",
                  escaping[i], file);
        char stem[CS_POLICY_STEM_MAX];
        snprintf(stem, sizeof(stem), "%.*s", (int)(strlen(file) - 4), file);
        cr_expect(cs_policy_team_of_file(team, stem) && strcmp(team, escaping[i]) == 0, "%s reads back", file);
    }
    char team[129];
    cr_expect_not(cs_policy_team_of_file(team, "bundle"), "the bundle is no team's file");
    cr_expect_not(cs_policy_team_of_file(team, "a%2fb"), "only the one name the library writes");
    EVP_PKEY_free(key);
    free(bytes);
    cs_policy_free(d);
    cs_policy_free(a);
    cs_policy_free(b);
    cs_policy_free(c);
    cs_policy_free(r);
}

/* ---- through the context: saves, changes, the audit ---------------------- */

static char *ai_form(const char *id, const char *team_attr_value)
{
    form_parts p = {.id = id};
    char *xml = form_make(&p);
    if (team_attr_value == NULL)
        return xml;
    char *other = replace_once(xml, "team=\"cin-north\"", team_attr_value);
    free(xml);
    return other;
}

Test(policy, a_save_is_refused_when_the_feature_is_off_and_accepted_when_on)
{
    char *xml = ai_form("R-1", "team=\"adults-south\"");
    cr_expect_eq(save_as(home.ctx, xml, NULL), CASESCRIBE_EPOLICY);
    cr_expect(strstr(casescribe_last_error(), "team adults-south") != NULL &&
                  strstr(casescribe_last_error(), "'ai-draft'") != NULL,
              "the refusal must name the team and the feature: %s", casescribe_last_error());
    /* The worker's own text alone is saved. */
    form_parts human = {.id = "R-1", .sections = SECTION_HUMAN("analysis", "My own words.")};
    char *human_xml = form_make(&human), *human_team = replace_once(human_xml, "team=\"cin-north\"",
                                                                   "team=\"adults-south\"");
    cr_expect_eq(save_as(home.ctx, human_team, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "adults-south", "ai-draft", "on"), CASESCRIBE_OK);
    char *out = NULL, *again = ai_form("R-2", "team=\"adults-south\"");
    cr_expect_eq(save_as(home.ctx, again, &out), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect(out != NULL && strstr(out, "<policy team=\"adults-south\" version=\"1\" state=\"signed\" digest=\"sha256:") !=
                                 NULL,
              "the provenance records the policy used");
    casescribe_free(out);
    free(xml);
    free(human_xml);
    free(human_team);
    free(again);
}

Test(policy, an_external_engine_needs_external_ai_switched_on_too)
{
    char *xml = ai_form("R-1", NULL);
    char *external = replace_once(xml, "embedded:pocketsphinx", "openai:whisper-1");
    char *consented = replace_once(external, "scopes=\"record-audio transcribe ai-draft\"",
                                   "scopes=\"record-audio transcribe ai-draft external-ai\"");
    cr_expect_eq(save_as(home.ctx, consented, NULL), CASESCRIBE_EPOLICY);
    cr_expect(strstr(casescribe_last_error(), "'external-ai'") != NULL, "%s", casescribe_last_error());
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", "external-ai", "on"), CASESCRIBE_OK);
    cr_expect_eq(save_as(home.ctx, consented, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
    free(xml);
    free(external);
    free(consented);
}

Test(policy, switching_a_feature_off_keeps_ai_text_already_stamped_but_refuses_new)
{
    char *xml = ai_form("R-1", NULL), *v1 = NULL;
    cr_assert_eq(save_as(home.ctx, xml, &v1), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", "ai-draft", "off"), CASESCRIBE_OK);
    /* The worker edits their own section; the stamped draft stays. */
    char *edited = replace_once(v1, "My own analysis", "My own revised analysis");
    cr_expect_eq(save_as(home.ctx, edited, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
    /* New AI text is refused. */
    char *reworded = replace_once(v1, "Jo said the mornings", "Jo said that the mornings");
    cr_expect_eq(save_as(home.ctx, reworded, NULL), CASESCRIBE_EPOLICY);
    free(xml);
    free(edited);
    free(reworded);
    casescribe_free(v1);
}

Test(policy, changes_are_journalled_without_personal_data_and_a_no_op_writes_nothing)
{
    uint64_t before = 0, after = 0;
    cr_assert_eq(casescribe_journal_verify(&before, NULL, home.ctx), CASESCRIBE_OK);
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-7", "cin-north", "ai-draft", "on"), CASESCRIBE_OK);
    cr_assert_eq(casescribe_journal_verify(&after, NULL, home.ctx), CASESCRIBE_OK);
    cr_expect_eq(after, before, "setting what is already in force must not write a version");
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-7", "cin-north", "transcription", "on"), CASESCRIBE_OK);
    cr_assert_eq(casescribe_journal_verify(&after, NULL, home.ctx), CASESCRIBE_OK);
    cr_assert_eq(after, before + 1);
    casescribe_journal_entry *e = NULL;
    cr_assert_eq(casescribe_journal_entry_get(&e, home.ctx, after), CASESCRIBE_OK);
    cr_expect_str_eq(casescribe_journal_entry_kind(e), "policy");
    cr_expect_str_eq(casescribe_journal_entry_actor_id(e), "admin-7");
    casescribe_journal_entry_free(e);
    /* The raw entry: who, when, team, setting, old and new value; nothing else. */
    json_t *entry = NULL;
    cs_store_txn *tx = NULL;
    cr_assert_eq(cs_store_begin(home.ctx->store, CS_STORE_READ, &tx), CASESCRIBE_OK);
    cr_assert_eq(cs_store_entry(tx, after, &entry), CASESCRIBE_OK);
    cs_store_rollback(tx);
    const char *keys[] = {"team", "setting", "old", "new", "actor", "time", "version", "policy"};
    const char *want[] = {"cin-north", "transcription", "off", "on", "admin-7", NULL, NULL, NULL};
    for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
        cr_expect_not_null(json_object_get(entry, keys[i]), "no %s", keys[i]);
        if (want[i] != NULL)
            cr_expect_str_eq(json_string_value(json_object_get(entry, keys[i])), want[i]);
    }
    cr_expect_eq(json_object_size(entry), 11, "kind, seq, prev and the eight facts: no more");
    json_decref(entry);
}

/* Every field of a policy entry reads through the public getters, numbers
 * as decimal text, and _json is the entry as the ledger holds it. */
Test(policy, every_field_of_a_policy_entry_reads_through_the_api)
{
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-7", "cin-north", "audio-retention-days", "12"), CASESCRIBE_OK);
    uint64_t n = 0;
    cr_assert_eq(casescribe_journal_verify(&n, NULL, home.ctx), CASESCRIBE_OK);
    casescribe_journal_entry *e = NULL;
    cr_assert_eq(casescribe_journal_entry_get(&e, home.ctx, n), CASESCRIBE_OK);
    const char *names[] = {"kind", "team", "setting", "old", "new", "actor"};
    const char *want[] = {"policy", "cin-north", "audio-retention-days", "0", "12", "admin-7"};
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
        cr_expect_str_eq(casescribe_journal_entry_field(e, names[i]), want[i], "%s", names[i]);
    char seq[24];
    snprintf(seq, sizeof(seq), "%llu", (unsigned long long)n);
    cr_expect_str_eq(casescribe_journal_entry_field(e, "seq"), seq);
    char version[16];
    snprintf(version, sizeof(version), "%u", (unsigned)casescribe_journal_entry_record_version(e));
    cr_expect_neq(casescribe_journal_entry_record_version(e), 0);
    cr_expect_str_eq(casescribe_journal_entry_field(e, "version"), version);
    cr_expect_str_eq(casescribe_journal_entry_field(e, "time"), casescribe_journal_entry_time(e));
    cr_expect_eq(strncmp(casescribe_journal_entry_field(e, "policy"), "sha256:", 7), 0);
    cr_expect_null(casescribe_journal_entry_field(e, "bundle"), "no bundle made this change");
    cr_expect_null(casescribe_journal_entry_field(e, "no-such-field"));
    cr_expect_null(casescribe_journal_entry_field(e, NULL));
    cr_expect_null(casescribe_journal_entry_field(NULL, "team"));
    cr_expect_null(casescribe_journal_entry_json(NULL));
    /* _json: one line, the same object the ledger holds */
    const char *line = casescribe_journal_entry_json(e);
    cr_assert_not_null(line);
    cr_expect_null(strchr(line, '\n'));
    json_t *parsed = json_loads(line, 0, NULL), *raw = NULL;
    cs_store_txn *tx = NULL;
    cr_assert_eq(cs_store_begin(home.ctx->store, CS_STORE_READ, &tx), CASESCRIBE_OK);
    cr_assert_eq(cs_store_entry(tx, n, &raw), CASESCRIBE_OK);
    cs_store_rollback(tx);
    cr_expect(json_equal(parsed, raw), "%s", line);
    json_decref(parsed);
    json_decref(raw);
    casescribe_journal_entry_free(e);
}

/* A key entry (the home's first key) and a save entry's list read too. */
Test(policy, key_and_save_entries_read_through_the_field_getter)
{
    casescribe_journal_entry *e = NULL;
    uint64_t n = 0;
    int found_key = 0;
    cr_assert_eq(casescribe_journal_verify(&n, NULL, home.ctx), CASESCRIBE_OK);
    for (uint64_t seq = 1; seq <= n && !found_key; seq++) {
        cr_assert_eq(casescribe_journal_entry_get(&e, home.ctx, seq), CASESCRIBE_OK);
        if (strcmp(casescribe_journal_entry_kind(e), "key") == 0) {
            found_key = 1;
            const char *action = casescribe_journal_entry_field(e, "action");
            cr_expect(strcmp(action, "generate") == 0 || strcmp(action, "register") == 0, "%s", action);
            cr_expect_eq(strncmp(casescribe_journal_entry_field(e, "key"), "ed25519:", 8), 0);
            cr_expect_not_null(strstr(casescribe_journal_entry_field(e, "pub"), "BEGIN PUBLIC KEY"));
        }
        casescribe_journal_entry_free(e);
    }
    cr_expect(found_key, "no key entry among the %llu entries", (unsigned long long)n);
    char *xml = ai_form("R-9", NULL);
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", "ai-draft", "on"), CASESCRIBE_OK);
    cr_assert_eq(save_as(home.ctx, xml, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(casescribe_journal_verify(&n, NULL, home.ctx), CASESCRIBE_OK);
    cr_assert_eq(casescribe_journal_entry_get(&e, home.ctx, n), CASESCRIBE_OK);
    cr_expect_str_eq(casescribe_journal_entry_field(e, "record"), "R-9");
    cr_expect_str_eq(casescribe_journal_entry_field(e, "version"), "1");
    const char *ai = casescribe_journal_entry_field(e, "ai");
    cr_assert_not_null(ai);
    cr_expect_eq(ai[0], '[', "a list reads as compact JSON: %s", ai);
    const char *line = casescribe_journal_entry_json(e);
    cr_expect_not_null(strstr(line, "\"record\":\"R-9\""), "%s", line);
    cr_expect_null(strstr(line, "\"ai\""), "text fingerprints are left out of the JSON line: %s", line);
    cr_expect_null(strstr(line, "\"human\""), "%s", line);
    casescribe_journal_entry_free(e);
    free(xml);
}

Test(policy, another_process_change_is_seen_by_the_next_save)
{
    /* A second context stands for another process (its own cache). */
    casescribe_ctx *other = NULL;
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = home.path;
    opts.flags = CASESCRIBE_OPEN_NO_SYNC;
    cr_assert_eq(casescribe_ctx_open(&other, &opts), CASESCRIBE_OK);
    char *xml = ai_form("R-1", NULL), *xml2 = ai_form("R-2", NULL);
    cr_assert_eq(save_as(other, xml, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "cin-north", "ai-draft", "off"), CASESCRIBE_OK);
    cr_expect_eq(save_as(other, xml2, NULL), CASESCRIBE_EPOLICY, "the other context kept the old policy");
    casescribe_ctx_close(other);
    free(xml);
    free(xml2);
}

Test(policy, concurrent_changes_from_two_processes_lose_nothing)
{
    const int rounds = 20;
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        casescribe_ctx *child = NULL;
        casescribe_ctx_options opts;
        casescribe_ctx_options_init(&opts, sizeof(opts));
        opts.home = home.path;
        opts.flags = CASESCRIBE_OPEN_NO_SYNC;
        int bad = casescribe_ctx_open(&child, &opts) != CASESCRIBE_OK;
        for (int i = 0; !bad && i < rounds; i++)
            bad = casescribe_team_set(child, "admin-2", "cin-north", "audio-retention-days", i % 2 ? "1" : "2") !=
                  CASESCRIBE_OK;
        casescribe_ctx_close(child);
        _exit(bad);
    }
    int bad = 0;
    for (int i = 0; i < rounds; i++)
        bad |= casescribe_team_set(home.ctx, "admin-1", "cin-north", "transcription", i % 2 ? "on" : "off") !=
               CASESCRIBE_OK;
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child's changes failed");
    cr_expect_eq(bad, 0, "%s", casescribe_last_error());
    /* Every change is a version and an audit entry: none was lost. */
    casescribe_policy *p = NULL;
    cr_assert_eq(casescribe_team_policy(&p, home.ctx, "cin-north"), CASESCRIBE_OK);
    cr_expect_eq(casescribe_policy_state(p), CASESCRIBE_POLICY_SIGNED);
    uint64_t entries = 0;
    cr_assert_eq(casescribe_journal_verify(&entries, NULL, home.ctx), CASESCRIBE_OK);
    cr_expect_eq(casescribe_policy_version(p) + 1, entries, "versions %u, journal entries %llu (and the key's)",
                 (unsigned)casescribe_policy_version(p), (unsigned long long)entries);
    /* The last change of each writer stands. */
    cr_expect_eq(casescribe_policy_feature(p, "transcription"), 1);
    char *days = NULL;
    cr_assert_eq(casescribe_policy_setting(&days, p, "audio-retention-days"), CASESCRIBE_OK);
    cr_expect_str_eq(days, "1");
    casescribe_free(days);
    casescribe_policy_free(p);
}

/* A home with no policy file yet lists no team (under UBSan this once
 * aborted: qsort was handed the NULL list). */
Test(policy, a_home_without_policies_lists_no_team)
{
    char path[] = "/tmp/cs-test-XXXXXX";
    cr_assert_not_null(mkdtemp(path));
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = path;
    casescribe_ctx *ctx = NULL;
    cr_assert_eq(casescribe_ctx_open(&ctx, &opts), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *teams = NULL;
    cr_assert_eq(casescribe_team_list(&teams, ctx), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_str_eq(teams, "");
    casescribe_free(teams);
    casescribe_ctx_close(ctx);
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", path);
    cr_assert_eq(system(cmd), 0);
}

/* ---- rollback, the actor's team, team ids (issue #17) ------------------------ */

static char *read_policy_file(const char *team, size_t *len)
{
    char path[512];
    cr_assert_eq(cs_policy_path(path, sizeof(path), home.path, team), CASESCRIBE_OK);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    char *buf = calloc(1, CS_POLICY_MAX_BYTES + 1);
    *len = fread(buf, 1, CS_POLICY_MAX_BYTES, f);
    fclose(f);
    return buf;
}

static void write_policy_file(const char *team, const char *bytes, size_t len)
{
    char path[512];
    cr_assert_eq(cs_policy_path(path, sizeof(path), home.path, team), CASESCRIBE_OK);
    char tmp[600];
    snprintf(tmp, sizeof(tmp), "%s.restored", path);
    FILE *f = fopen(tmp, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(bytes, 1, len, f), len);
    fclose(f);
    cr_assert_eq(rename(tmp, path), 0); /* as a restore from a backup would */
}

static int32_t policy_state(casescribe_ctx *ctx, const char *team, uint32_t *version, char *problem, size_t cap)
{
    casescribe_policy *p = NULL;
    cr_assert_eq(casescribe_team_policy(&p, ctx, team), CASESCRIBE_OK, "%s", casescribe_last_error());
    int32_t state = casescribe_policy_state(p);
    *version = casescribe_policy_version(p);
    if (problem != NULL)
        snprintf(problem, cap, "%s", casescribe_policy_problem(p) ? casescribe_policy_problem(p) : "");
    casescribe_policy_free(p);
    return state;
}

Test(policy, an_older_signed_file_put_back_is_refused_even_after_key_rotation)
{
    /* A context opened now sees the change only through the journal. */
    casescribe_ctx *other = NULL;
    casescribe_ctx_options o;
    casescribe_ctx_options_init(&o, sizeof(o));
    o.home = home.path;
    o.flags = CASESCRIBE_OPEN_NO_SYNC;
    cr_assert_eq(casescribe_ctx_open(&other, &o), CASESCRIBE_OK);
    uint32_t v = 0;
    cr_assert_eq(policy_state(other, "adults-south", &v, NULL, 0), CASESCRIBE_POLICY_DEFAULTS);

    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "adults-south", "ai-draft", "on"), CASESCRIBE_OK);
    size_t len = 0;
    char *v1 = read_policy_file("adults-south", &len);
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "adults-south", "ai-draft", "off"), CASESCRIBE_OK);
    char *key = NULL;
    cr_assert_eq(casescribe_keygen(&key, home.ctx, CASESCRIBE_KEYGEN_ROTATE), CASESCRIBE_OK);
    casescribe_free(key);
    write_policy_file("adults-south", v1, len);

    char problem[1200];
    casescribe_ctx *ctxs[] = {home.ctx, other};
    for (size_t i = 0; i < 2; i++) {
        cr_expect_eq(policy_state(ctxs[i], "adults-south", &v, problem, sizeof(problem)), CASESCRIBE_POLICY_REFUSED,
                     "context %zu used the old file", i);
        cr_expect_eq(v, 0, "the team runs on the safe defaults");
        cr_expect(strstr(problem, "version 1") != NULL && strstr(problem, "older than version 2") != NULL, "%s",
                  problem);
    }
    char *xml = ai_form("R-9", "team=\"adults-south\"");
    cr_expect_eq(save_as(home.ctx, xml, NULL), CASESCRIBE_EPOLICY, "an AI save passed on the old file");
    cr_expect(strstr(casescribe_last_error(), "older than version 2") != NULL, "%s", casescribe_last_error());
    /* A context opened afterwards replays the journal and refuses it too. */
    casescribe_ctx *fresh = NULL;
    cr_assert_eq(casescribe_ctx_open(&fresh, &o), CASESCRIBE_OK);
    cr_expect_eq(policy_state(fresh, "adults-south", &v, NULL, 0), CASESCRIBE_POLICY_REFUSED);
    cr_expect_eq(save_as(fresh, xml, NULL), CASESCRIBE_EPOLICY);
    /* A change repairs it, numbered after the journal's latest. */
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "adults-south", "ai-draft", "off"), CASESCRIBE_OK);
    cr_expect_eq(policy_state(fresh, "adults-south", &v, NULL, 0), CASESCRIBE_POLICY_SIGNED);
    cr_expect_eq(v, 3);
    casescribe_ctx_close(fresh);
    casescribe_ctx_close(other);
    free(xml);
    free(v1);
}

Test(policy, a_file_of_the_journalled_version_with_other_content_is_refused)
{
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "adults-south", "transcription", "on"), CASESCRIBE_OK);
    /* Signed with the home's own key, version 1 like the journal's, but ai-draft on. */
    size_t len = 0;
    char *forged = signed_file("adults-south", "ai-draft", "on", &len);
    write_policy_file("adults-south", forged, len);
    uint32_t v = 0;
    char problem[1200];
    cr_expect_eq(policy_state(home.ctx, "adults-south", &v, problem, sizeof(problem)), CASESCRIBE_POLICY_REFUSED);
    cr_expect(strstr(problem, "another digest") != NULL, "%s", problem);
    char *xml = ai_form("R-9", "team=\"adults-south\"");
    cr_expect_eq(save_as(home.ctx, xml, NULL), CASESCRIBE_EPOLICY);
    free(xml);
    free(forged);
}

Test(policy, versions_continue_from_the_journal_after_the_file_is_deleted)
{
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "adults-south", "ai-draft", "on"), CASESCRIBE_OK);
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "adults-south", "ai-draft", "off"), CASESCRIBE_OK);
    char path[512];
    cr_assert_eq(cs_policy_path(path, sizeof(path), home.path, "adults-south"), CASESCRIBE_OK);
    cr_assert_eq(unlink(path), 0);
    uint32_t v = 0;
    cr_expect_eq(policy_state(home.ctx, "adults-south", &v, NULL, 0), CASESCRIBE_POLICY_DEFAULTS);
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "adults-south", "ai-draft", "on"), CASESCRIBE_OK);
    cr_expect_eq(policy_state(home.ctx, "adults-south", &v, NULL, 0), CASESCRIBE_POLICY_SIGNED);
    cr_expect_eq(v, 3, "version %u: numbers restarted after the file was deleted", (unsigned)v);
    /* So the version 1 file, put back, can never pass for the newest. */
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "adults-south", "ai-draft", "off"), CASESCRIBE_OK);
    cr_expect_eq(policy_state(home.ctx, "adults-south", &v, NULL, 0), CASESCRIBE_POLICY_SIGNED);
    cr_expect_eq(v, 4);
}

static int32_t save_by(const char *xml, const char *team)
{
    casescribe_actor actor;
    cr_assert_eq(casescribe_actor_init(&actor, sizeof(actor)), CASESCRIBE_OK);
    actor.user_id = "sw-017";
    actor.team = team;
    actor.role = "social-worker";
    uint8_t *bytes = NULL;
    size_t len = 0;
    int32_t rc = casescribe_save(&bytes, &len, home.ctx, "xml", &actor, (const uint8_t *)xml, strlen(xml));
    casescribe_free(bytes);
    return rc;
}

Test(policy, the_actors_team_must_allow_the_ai_too)
{
    /* cin-north (the form's team) has ai-draft on; adults-south has not. */
    char *xml = ai_form("R-1", NULL);
    cr_expect_eq(save_by(xml, "adults-south"), CASESCRIBE_EPOLICY, "AI text brought in through another team's form");
    cr_expect(strstr(casescribe_last_error(), "team adults-south") != NULL &&
                  strstr(casescribe_last_error(), "worker saving") != NULL,
              "the message names the team that refuses: %s", casescribe_last_error());
    cr_expect_eq(save_by(xml, "cin-north"), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *other = ai_form("R-2", NULL);
    cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", "adults-south", "ai-draft", "on"), CASESCRIBE_OK);
    cr_expect_eq(save_by(other, "adults-south"), CASESCRIBE_OK, "%s", casescribe_last_error());
    /* The form's team still decides too. */
    char *form_off = ai_form("R-3", "team=\"adults-east\"");
    cr_expect_eq(save_by(form_off, "cin-north"), CASESCRIBE_EPOLICY);
    cr_expect(strstr(casescribe_last_error(), "team adults-east's policy has") != NULL, "%s",
              casescribe_last_error());
    free(xml);
    free(other);
    free(form_off);
}

Test(policy, a_bad_team_name_is_einval_not_the_defaults)
{
    const char *bad[] = {"bad team!", "", "a\\b", "caf\xc3\xa9"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        casescribe_policy *p = NULL;
        cr_expect_eq(casescribe_team_policy(&p, home.ctx, bad[i]), CASESCRIBE_EINVAL, "'%s'", bad[i]);
        cr_expect_null(p);
        cr_expect_eq(casescribe_team_set(home.ctx, "admin-1", bad[i], "ai-draft", "on"), CASESCRIBE_EINVAL);
    }
    casescribe_policy *p = NULL;
    cr_expect_eq(casescribe_team_policy(&p, home.ctx, NULL), CASESCRIBE_EINVAL);
    char long_name[130];
    memset(long_name, 'a', 129);
    long_name[129] = '\0';
    cr_expect_eq(casescribe_team_policy(&p, home.ctx, long_name), CASESCRIBE_EINVAL);
}

Test(policy, a_form_team_with_a_slash_or_a_leading_dot_can_switch_ai_on)
{
    const char *teams[] = {"north/children", ".hidden", "bundle"};
    for (size_t i = 0; i < sizeof(teams) / sizeof(*teams); i++) {
        char attr[200], id[16];
        snprintf(attr, sizeof(attr), "team=\"%s\"", teams[i]);
        snprintf(id, sizeof(id), "R-%zu", i + 1);
        char *xml = ai_form(id, attr);
        cr_expect_eq(save_as(home.ctx, xml, NULL), CASESCRIBE_EPOLICY);
        cr_assert_eq(casescribe_team_set(home.ctx, "admin-1", teams[i], "ai-draft", "on"), CASESCRIBE_OK, "%s: %s",
                     teams[i], casescribe_last_error());
        cr_expect_eq(save_as(home.ctx, xml, NULL), CASESCRIBE_OK, "%s: %s", teams[i], casescribe_last_error());
        free(xml);
    }
    char *list = NULL;
    cr_assert_eq(casescribe_team_list(&list, home.ctx), CASESCRIBE_OK);
    cr_expect_str_eq(list, ".hidden\nbundle\ncin-north\nnorth/children\n");
    casescribe_free(list);
}
