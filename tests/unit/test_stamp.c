/* SPDX-License-Identifier: Apache-2.0 */
/* test_stamp.c - keys (0600, rotation, old records still verify), and the
 * Ed25519 signature over the canonical provenance. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "helpers.h"
#include "provenance/keys.h"
#include "provenance/stamp.h"
#include "record/form_xml.h"

static char *key_file(const test_home *h, const char *key_id, const char *ext)
{
    char *path = malloc(512);
    cr_assert_not_null(path);
    snprintf(path, 512, "%s/keys/%s.%s", h->path, key_id, ext);
    return path;
}

Test(stamp, keygen_writes_a_private_key_only_its_owner_can_read)
{
    test_home h;
    home_open(&h, 0);
    char *pem = NULL;
    cr_assert_eq(casescribe_public_key(&pem, h.ctx), CASESCRIBE_OK);
    cr_expect(strstr(pem, "BEGIN PUBLIC KEY") != NULL);
    casescribe_free(pem);
    char *id = NULL;
    cr_expect_eq(casescribe_keygen(&id, h.ctx, 0), CASESCRIBE_EKEY, "a second key needs --rotate");
    cr_expect_null(id);
    cr_assert_eq(casescribe_keygen(&id, h.ctx, CASESCRIBE_KEYGEN_ROTATE), CASESCRIBE_OK);
    cr_expect_eq(strncmp(id, "ed25519:", 8), 0);
    cr_expect_eq(strlen(id), 24);
    char *priv = key_file(&h, id, "key");
    struct stat st;
    cr_assert_eq(stat(priv, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0600);
    free(priv);
    casescribe_free(id);
    home_close(&h);
}

Test(stamp, a_private_key_others_can_read_is_refused)
{
    test_home h;
    home_open(&h, 0);
    char *id = NULL;
    cr_assert_eq(casescribe_keygen(&id, h.ctx, CASESCRIBE_KEYGEN_ROTATE), CASESCRIBE_OK);
    char *priv = key_file(&h, id, "key");
    cr_assert_eq(chmod(priv, 0644), 0);
    casescribe_ctx_close(h.ctx);
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = h.path;
    cr_expect_eq(casescribe_ctx_open(&h.ctx, &opts), CASESCRIBE_EKEY);
    cr_expect(strstr(casescribe_last_error(), "readable by others") != NULL, "%s", casescribe_last_error());
    cr_assert_eq(chmod(priv, 0600), 0);
    cr_expect_eq(casescribe_ctx_open(&h.ctx, &opts), CASESCRIBE_OK, "%s", casescribe_last_error());
    free(priv);
    casescribe_free(id);
    home_close(&h);
}

Test(stamp, saving_without_a_key_says_how_to_make_one)
{
    char path[] = "/tmp/cs-test-XXXXXX";
    cr_assert_not_null(mkdtemp(path));
    test_home h = {.ctx = NULL};
    snprintf(h.path, sizeof(h.path), "%s", path);
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = path;
    cr_assert_eq(casescribe_ctx_open(&h.ctx, &opts), CASESCRIBE_OK);
    /* Human sections only: this home has no policy, so AI drafting is off. */
    form_parts p = {.sections = SECTION_HUMAN("analysis", "Mine.")};
    char *xml = form_make(&p);
    cr_expect_eq(save_as(h.ctx, xml, NULL), CASESCRIBE_EKEY);
    cr_expect(strstr(casescribe_last_error(), "keygen") != NULL);
    free(xml);
    home_close(&h);
}

Test(stamp, old_records_verify_after_rotation_and_new_ones_use_the_new_key)
{
    test_home h;
    home_open(&h, 0);
    form_parts p = {0};
    char *xml = form_make(&p), *v1 = NULL, *v2 = NULL;
    cr_assert_eq(save_as(h.ctx, xml, &v1), CASESCRIBE_OK);
    char *new_id = NULL;
    cr_assert_eq(casescribe_keygen(&new_id, h.ctx, CASESCRIBE_KEYGEN_ROTATE), CASESCRIBE_OK);
    cr_expect_eq(casescribe_verify(NULL, h.ctx, "xml", (uint8_t *)v1, strlen(v1)), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    cr_assert_eq(save_as(h.ctx, v1, &v2), CASESCRIBE_OK, "a record signed by the old key continues: %s",
                 casescribe_last_error());
    casescribe_record *rec = NULL;
    cr_assert_eq(casescribe_record_open(&rec, "xml", (uint8_t *)v2, strlen(v2)), CASESCRIBE_OK);
    cr_expect_str_eq(casescribe_record_key_id(rec), new_id);
    casescribe_record_free(rec);
    /* A second process (here: a second context) sees the rotation too. */
    casescribe_ctx *other = NULL;
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = h.path;
    cr_assert_eq(casescribe_ctx_open(&other, &opts), CASESCRIBE_OK);
    cr_expect_eq(casescribe_verify(NULL, other, "xml", (uint8_t *)v1, strlen(v1)), CASESCRIBE_OK);
    cr_expect_eq(casescribe_verify(NULL, other, "xml", (uint8_t *)v2, strlen(v2)), CASESCRIBE_OK);
    casescribe_ctx_close(other);
    casescribe_free(new_id);
    casescribe_free(v1);
    casescribe_free(v2);
    free(xml);
    home_close(&h);
}

Test(stamp, signature_covers_every_field_of_the_provenance)
{
    test_home h;
    home_open(&h, 0);
    form_parts p = {0};
    char *xml = form_make(&p), *v1 = NULL;
    cr_assert_eq(save_as(h.ctx, xml, &v1), CASESCRIBE_OK);
    cs_record *r = NULL;
    cr_assert_eq(cs_form_decode(&r, (uint8_t *)v1, strlen(v1)), CASESCRIBE_OK);
    cs_provenance *prov = r->provenance;
    cr_assert_not_null(prov);
    cs_keyring *keys = NULL;
    cr_assert_eq(cs_keyring_load(&keys, h.path), CASESCRIBE_OK);
    EVP_PKEY *pub = NULL;
    cr_assert_eq(cs_keyring_public(keys, prov->key_id, &pub), CASESCRIBE_OK);
    cr_expect_eq(cs_stamp_check_signature(prov, pub, NULL), CASESCRIBE_OK);
    /* Each field in turn: change it, the signature fails; put it back, it passes. */
    char **fields[] = {&prov->record, &prov->at, &prov->library, &prov->key_id, &prov->actor_id, &prov->actor_team,
                       &prov->actor_role, &prov->form_digest, &prov->subjects_digest, &prov->consents_digest,
                       &prov->sections[0].digest, &prov->sections[0].id};
    for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
        char *saved = *fields[i];
        *fields[i] = "changed";
        cr_expect_eq(cs_stamp_check_signature(prov, pub, NULL), CASESCRIBE_EVERIFY, "field %zu", i);
        *fields[i] = saved;
    }
    prov->version++;
    cr_expect_eq(cs_stamp_check_signature(prov, pub, NULL), CASESCRIBE_EVERIFY, "version");
    prov->version--;
    prov->consents[0].local_ai = !prov->consents[0].local_ai;
    cr_expect_eq(cs_stamp_check_signature(prov, pub, NULL), CASESCRIBE_EVERIFY, "consent decision");
    prov->consents[0].local_ai = !prov->consents[0].local_ai;
    cr_expect_eq(cs_stamp_check_signature(prov, pub, NULL), CASESCRIBE_OK, "restored");
    /* The record digest the journal holds is the one anyone can recompute. */
    char digest[CS_DIGEST_LEN], from_check[CS_DIGEST_LEN];
    cr_assert_eq(cs_stamp_record_digest(digest, prov), CASESCRIBE_OK);
    cr_assert_eq(cs_stamp_check_signature(prov, pub, from_check), CASESCRIBE_OK);
    cr_expect_str_eq(digest, from_check);
    casescribe_journal_entry *entry = NULL;
    cr_assert_eq(casescribe_journal_entry_get(&entry, h.ctx, HOME_SETUP_ENTRIES + 1), CASESCRIBE_OK);
    cr_expect_str_eq(casescribe_journal_entry_record_digest(entry), digest);
    casescribe_journal_entry_free(entry);
    char *sig = prov->signature;
    prov->signature = "not base64!";
    cr_expect_eq(cs_stamp_check_signature(prov, pub, NULL), CASESCRIBE_EVERIFY, "malformed signature");
    prov->signature = sig;
    EVP_PKEY_free(pub);
    cs_keyring_free(keys);
    cs_record_free(r);
    casescribe_free(v1);
    free(xml);
    home_close(&h);
}

Test(stamp, sha256_tag_known_answer)
{
    char out[CS_DIGEST_LEN];
    cr_assert_eq(cs_sha256_tag(out, (const uint8_t *)"abc", 3), CASESCRIBE_OK);
    cr_expect_str_eq(out, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Test(stamp, a_public_key_pem_must_be_ed25519)
{
    cs_keyring *k = NULL;
    cr_expect_eq(cs_keyring_from_pem(&k, (const uint8_t *)"garbage", 7), CASESCRIBE_EKEY);
    cr_expect_null(k);
    cr_expect_eq(cs_keyring_from_pem(&k, NULL, 0), CASESCRIBE_EINVAL);
}

static char *current_key_id(casescribe_ctx *ctx, const char *xml)
{
    char *out = NULL;
    cr_assert_eq(save_as(ctx, xml, &out), CASESCRIBE_OK, "%s", casescribe_last_error());
    casescribe_record *rec = NULL;
    cr_assert_eq(casescribe_record_open(&rec, "xml", (uint8_t *)out, strlen(out)), CASESCRIBE_OK);
    char *id = strdup(casescribe_record_key_id(rec));
    casescribe_record_free(rec);
    casescribe_free(out);
    return id;
}

Test(stamp, rotation_retires_the_old_private_key_and_other_contexts_follow_it)
{
    test_home h;
    home_open(&h, 0);
    /* A second context on the same home: another process, as far as the
     * library can tell. It has loaded the first key already. */
    casescribe_ctx *other = NULL;
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = h.path;
    cr_assert_eq(casescribe_ctx_open(&other, &opts), CASESCRIBE_OK);
    form_parts a = {.id = "R-a"}, b = {.id = "R-b"};
    char *xa = form_make(&a), *xb = form_make(&b);
    char *old_id = current_key_id(other, xa);
    char *new_id = NULL;
    cr_assert_eq(casescribe_keygen(&new_id, h.ctx, CASESCRIBE_KEYGEN_ROTATE), CASESCRIBE_OK);
    cr_assert_str_neq(old_id, new_id);
    char *seen = current_key_id(other, xb);
    cr_expect_str_eq(seen, new_id, "the other context still signs with the retired key");
    char *old_priv = key_file(&h, old_id, "key"), *old_pub = key_file(&h, old_id, "pub");
    struct stat st;
    cr_expect_neq(stat(old_priv, &st), 0, "the retired private key is still on disk");
    cr_expect_eq(stat(old_pub, &st), 0, "the retired public key must stay, for old records");
    free(old_priv);
    free(old_pub);
    free(old_id);
    free(seen);
    free(xa);
    free(xb);
    casescribe_free(new_id);
    casescribe_ctx_close(other);
    home_close(&h);
}
