/* SPDX-License-Identifier: Apache-2.0 */
/* test_keys.c - the key registry in the ledger (keygen, rotation, trusted
 * keys of other servers, existing homes registered on open), the exported
 * key history verifying records signed before a rotation, and the
 * fingerprint secret never silently recreated. */
#include <criterion/criterion.h>
#include <openssl/pem.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "context.h"
#include "helpers.h"
#include "provenance/keys.h"
#include "store/store.h"

static int32_t reopen(test_home *h)
{
    casescribe_ctx_close(h->ctx);
    h->ctx = NULL;
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = h->path;
    opts.flags = CASESCRIBE_OPEN_NO_SYNC;
    return casescribe_ctx_open(&h->ctx, &opts);
}

/* Entry `seq` as JSON. */
static json_t *entry(test_home *h, uint64_t seq)
{
    cs_store_txn *tx = NULL;
    json_t *e = NULL;
    cr_assert_eq(cs_store_begin(h->ctx->store, CS_STORE_READ, &tx), CASESCRIBE_OK);
    cr_assert_eq(cs_store_entry(tx, seq, &e), CASESCRIBE_OK, "entry %llu: %s", (unsigned long long)seq,
                 casescribe_last_error());
    cs_store_rollback(tx);
    return e;
}

static const char *str(const json_t *e, const char *key)
{
    const char *v = json_string_value(json_object_get(e, key));
    return v != NULL ? v : "";
}

/* The registry row of `id` (found asserted); cs_store_key_clear it. */
static cs_store_key registry_row(test_home *h, const char *id)
{
    cs_store_txn *tx = NULL;
    cs_store_key k;
    int found = 0;
    cr_assert_eq(cs_store_begin(h->ctx->store, CS_STORE_READ, &tx), CASESCRIBE_OK);
    cr_assert_eq(cs_store_key_get(tx, id, &k, &found), CASESCRIBE_OK);
    cs_store_rollback(tx);
    cr_assert(found, "%s is not in the registry", id);
    return k;
}

static uint64_t ledger_size(test_home *h)
{
    uint64_t n = 0;
    cr_assert_eq(casescribe_journal_verify(&n, NULL, h->ctx), CASESCRIBE_OK, "%s", casescribe_last_error());
    return n;
}

static char *current_key(test_home *h)
{
    char path[512], *id = calloc(1, 64);
    snprintf(path, sizeof(path), "%s/keys/current", h->path);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    cr_assert_not_null(fgets(id, 64, f));
    fclose(f);
    id[strcspn(id, "\n")] = '\0';
    return id;
}

Test(keys, keygen_and_rotation_are_ledger_entries_and_registry_rows)
{
    test_home h;
    home_open(&h, 0);
    char *first = current_key(&h);
    json_t *e = entry(&h, 1);
    cr_expect_str_eq(str(e, "kind"), "key");
    cr_expect_str_eq(str(e, "action"), "generate");
    cr_expect_str_eq(str(e, "key"), first);
    cr_expect(strstr(str(e, "pub"), "BEGIN PUBLIC KEY") != NULL);
    char *text = json_dumps(e, 0);
    cr_expect(text != NULL && strstr(text, "PRIVATE") == NULL, "no secret in the ledger");
    free(text);
    cr_expect_neq(str(e, "time")[0], '\0');
    cr_expect_neq(str(e, "actor")[0], '\0');
    json_decref(e);
    uint64_t before = ledger_size(&h);
    char *second = NULL;
    cr_assert_eq(casescribe_keygen(&second, h.ctx, CASESCRIBE_KEYGEN_ROTATE), CASESCRIBE_OK);
    cr_expect_eq(ledger_size(&h), before + 1);
    e = entry(&h, before + 1);
    cr_expect_str_eq(str(e, "action"), "rotate");
    cr_expect_str_eq(str(e, "key"), second);
    cr_expect_str_eq(str(e, "retires"), first);
    json_decref(e);
    cs_store_key old = registry_row(&h, first), now = registry_row(&h, second);
    cr_expect_str_eq(old.origin, "home");
    cr_expect_neq(old.retired, 0, "the rotated-out key is retired");
    cr_expect_eq(old.seq, 1);
    cr_expect_eq(now.retired, 0);
    cr_expect_eq(now.seq, before + 1);
    cs_store_key_clear(&old);
    cs_store_key_clear(&now);
    free(first);
    casescribe_free(second);
    home_close(&h);
}

Test(keys, an_existing_home_gets_its_keys_registered_on_first_open)
{
    test_home h;
    home_open(&h, 0);
    char *first = current_key(&h), *second = NULL;
    cr_assert_eq(casescribe_keygen(&second, h.ctx, CASESCRIBE_KEYGEN_ROTATE), CASESCRIBE_OK);
    /* A home from before the registry: its ledger has no key entries. Made
     * here by copying keys/ into a fresh home with a ledger of its own. */
    test_home old;
    snprintf(old.path, sizeof(old.path), "/tmp/cs-test-XXXXXX");
    cr_assert_not_null(mkdtemp(old.path));
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "cp -a %s/keys %s/keys", h.path, old.path);
    cr_assert_eq(system(cmd), 0);
    old.ctx = NULL;
    cr_assert_eq(reopen(&old), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(ledger_size(&old), 2, "one register entry per key");
    cs_store_key a = registry_row(&old, first), b = registry_row(&old, second);
    cr_expect_neq(a.retired, 0, "the key keys/current does not name is registered retired");
    cr_expect_eq(b.retired, 0);
    cs_store_key_clear(&a);
    cs_store_key_clear(&b);
    json_t *e = entry(&old, 1);
    cr_expect_str_eq(str(e, "action"), "register");
    json_decref(e);
    cr_assert_eq(reopen(&old), CASESCRIBE_OK);
    cr_expect_eq(ledger_size(&old), 2, "a second open registers nothing again");
    free(first);
    casescribe_free(second);
    home_close(&old);
    home_close(&h);
}

/* A record saved with the home's first key, then the key rotated and its
 * .pub removed from keys/: the exported history still verifies it. */
Test(keys, exported_history_verifies_a_record_signed_before_the_rotation)
{
    test_home h;
    home_open(&h, 0);
    char *first = current_key(&h);
    char *form = form_make(&(form_parts){0}), *stamped = NULL;
    cr_assert_eq(save_as(h.ctx, form, &stamped), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(casescribe_keygen(NULL, h.ctx, CASESCRIBE_KEYGEN_ROTATE), CASESCRIBE_OK);
    char *current = NULL, *all = NULL, *home_only = NULL, *list = NULL;
    cr_assert_eq(casescribe_public_key(&current, h.ctx), CASESCRIBE_OK);
    cr_assert_eq(casescribe_keys_export(&all, h.ctx, 0), CASESCRIBE_OK);
    cr_assert_eq(casescribe_keys_export(&home_only, h.ctx, CASESCRIBE_KEYS_HOME), CASESCRIBE_OK);
    cr_assert_eq(casescribe_keys_export(&list, h.ctx, CASESCRIBE_KEYS_LIST), CASESCRIBE_OK);
    cr_expect(strstr(all, first) != NULL && strstr(all, "retired ") != NULL && strstr(all, "in-use") != NULL, "%s",
              all);
    cr_expect(strstr(list, "BEGIN") == NULL && strstr(list, first) != NULL, "%s", list);
    const uint8_t *rec = (const uint8_t *)stamped;
    size_t n = strlen(stamped);
    cr_expect_eq(casescribe_verify_with_public_key(NULL, "xml", (const uint8_t *)current, strlen(current), rec, n),
                 CASESCRIBE_EKEY, "the current key alone did not sign it");
    cr_expect_eq(casescribe_verify_with_public_key(NULL, "xml", (const uint8_t *)home_only, strlen(home_only), rec, n),
                 CASESCRIBE_OK, "%s", casescribe_last_error());
    /* The home itself: the old .pub gone from keys/, the registry has it. */
    char path[512];
    snprintf(path, sizeof(path), "%s/keys/%s.pub", h.path, first);
    cr_assert_eq(unlink(path), 0);
    cr_assert_eq(reopen(&h), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(casescribe_verify(NULL, h.ctx, "xml", rec, n), CASESCRIBE_OK, "%s", casescribe_last_error());
    free(first);
    free(form);
    casescribe_free(stamped);
    casescribe_free(current);
    casescribe_free(all);
    casescribe_free(home_only);
    casescribe_free(list);
    home_close(&h);
}

Test(keys, a_trusted_servers_record_verifies_and_an_unknown_key_is_refused)
{
    test_home here, there;
    home_open(&here, 0);
    home_open(&there, 0);
    char *form = form_make(&(form_parts){0}), *stamped = NULL, *theirs = NULL, *ids = NULL;
    cr_assert_eq(save_as(there.ctx, form, &stamped), CASESCRIBE_OK, "%s", casescribe_last_error());
    const uint8_t *rec = (const uint8_t *)stamped;
    cr_expect_eq(casescribe_verify(NULL, here.ctx, "xml", rec, strlen(stamped)), CASESCRIBE_EKEY);
    cr_expect(strstr(casescribe_last_error(), "not known here") != NULL, "%s", casescribe_last_error());
    cr_assert_eq(casescribe_keys_export(&theirs, there.ctx, CASESCRIBE_KEYS_HOME), CASESCRIBE_OK);
    uint64_t before = ledger_size(&here);
    cr_assert_eq(casescribe_key_trust(&ids, here.ctx, "dpo-1", (const uint8_t *)theirs, strlen(theirs)),
                 CASESCRIBE_OK, "%s", casescribe_last_error());
    char *their_id = current_key(&there);
    cr_expect_str_eq(ids, their_id);
    cr_expect_eq(ledger_size(&here), before + 1);
    json_t *e = entry(&here, before + 1);
    cr_expect_str_eq(str(e, "action"), "trust");
    cr_expect_str_eq(str(e, "actor"), "dpo-1");
    json_decref(e);
    cs_store_key k = registry_row(&here, their_id);
    cr_expect_str_eq(k.origin, "trusted");
    cs_store_key_clear(&k);
    cr_expect_eq(casescribe_verify(NULL, here.ctx, "xml", rec, strlen(stamped)), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    /* Another process (a reopened context) finds it in the registry too. */
    cr_assert_eq(reopen(&here), CASESCRIBE_OK);
    cr_expect_eq(casescribe_verify(NULL, here.ctx, "xml", rec, strlen(stamped)), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    casescribe_free(ids);
    ids = NULL;
    cr_expect_eq(casescribe_key_trust(&ids, here.ctx, "dpo-1", (const uint8_t *)theirs, strlen(theirs)),
                 CASESCRIBE_OK);
    cr_expect_eq(ledger_size(&here), before + 1, "trusting it again records nothing");
    cr_expect_eq(casescribe_key_trust(NULL, here.ctx, "dpo-1", (const uint8_t *)"junk", 4), CASESCRIBE_EKEY);
    cr_expect_eq(casescribe_key_trust(NULL, here.ctx, "bad actor", (const uint8_t *)theirs, strlen(theirs)),
                 CASESCRIBE_EINVAL);
    cr_expect_eq(casescribe_keys_export(NULL, here.ctx, 0), CASESCRIBE_EINVAL);
    cr_expect_eq(casescribe_keys_export(&ids, here.ctx, 0x80), CASESCRIBE_EINVAL);
    free(their_id);
    free(form);
    casescribe_free(ids);
    casescribe_free(theirs);
    casescribe_free(stamped);
    home_close(&there);
    home_close(&here);
}

static void secret_path(const test_home *h, char *path, size_t n)
{
    snprintf(path, n, "%s/keys/fingerprint.secret", h->path);
}

Test(keys, a_deleted_fingerprint_secret_is_refused_on_a_home_with_ai_entries)
{
    test_home h;
    home_open(&h, 0);
    char *form = form_make(&(form_parts){0}), *stamped = NULL, path[512];
    cr_assert_eq(save_as(h.ctx, form, &stamped), CASESCRIBE_OK, "%s", casescribe_last_error());
    secret_path(&h, path, sizeof(path));
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    char saved[600];
    snprintf(saved, sizeof(saved), "%s.backup", path);
    cr_assert_eq(rename(path, saved), 0);
    cr_expect_eq(reopen(&h), CASESCRIBE_EKEY);
    cr_expect(strstr(casescribe_last_error(), "restore") != NULL &&
                  strstr(casescribe_last_error(), "fingerprint.secret") != NULL,
              "%s", casescribe_last_error());
    cr_expect_neq(stat(path, &st), 0, "no new secret was made");
    /* Another secret in its place is refused too. */
    char cmd[1400];
    snprintf(cmd, sizeof(cmd), "head -c 32 /dev/urandom > %s && chmod 600 %s", path, path);
    cr_assert_eq(system(cmd), 0);
    cr_expect_eq(reopen(&h), CASESCRIBE_EKEY);
    cr_expect(strstr(casescribe_last_error(), "were made with secret") != NULL, "%s", casescribe_last_error());
    /* Restored from the backup: the home opens again. */
    cr_assert_eq(rename(saved, path), 0);
    cr_expect_eq(reopen(&h), CASESCRIBE_OK, "%s", casescribe_last_error());
    free(form);
    casescribe_free(stamped);
    home_close(&h);
}

Test(keys, a_fresh_home_may_create_its_fingerprint_secret)
{
    test_home h;
    home_open(&h, 0); /* a key and a policy entry: nothing fingerprinted */
    char path[512];
    secret_path(&h, path, sizeof(path));
    cr_assert_eq(unlink(path), 0);
    cr_expect_eq(reopen(&h), CASESCRIBE_OK, "%s", casescribe_last_error());
    struct stat st;
    cr_expect_eq(stat(path, &st), 0, "a new secret was made");
    cr_expect_eq(st.st_mode & 0777, 0600);
    cr_expect_eq(st.st_size, 32);
    /* And a save with it, then a reopen, works with the new one. */
    char *form = form_make(&(form_parts){0}), *stamped = NULL;
    cr_expect_eq(save_as(h.ctx, form, &stamped), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(reopen(&h), CASESCRIBE_OK, "%s", casescribe_last_error());
    free(form);
    casescribe_free(stamped);
    home_close(&h);
}

/* Moves key `id`'s registry window (0 keeps a bound as it is). */
static void set_window(test_home *h, const char *id, int64_t created, int64_t retired)
{
    cs_store_key k = registry_row(h, id);
    if (created != 0)
        k.created = created;
    if (retired != 0)
        k.retired = retired;
    cs_store_txn *tx = NULL;
    cr_assert_eq(cs_store_begin(h->ctx->store, CS_STORE_WRITE, &tx), CASESCRIBE_OK);
    cr_assert_eq(cs_store_key_put(tx, &k), CASESCRIBE_OK);
    cr_assert_eq(cs_store_commit(tx), CASESCRIBE_OK);
    cs_store_key_clear(&k);
}

static int32_t verify_home(test_home *h, const char *stamped)
{
    return casescribe_verify(NULL, h->ctx, "xml", (const uint8_t *)stamped, strlen(stamped));
}

Test(keys, a_stamp_outside_its_keys_validity_window_is_refused)
{
    test_home h;
    home_open(&h, 0);
    char *first = current_key(&h);
    char *form = form_make(&(form_parts){0}), *before = NULL;
    cr_assert_eq(save_as(h.ctx, form, &before), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(casescribe_keygen(NULL, h.ctx, CASESCRIBE_KEYGEN_ROTATE), CASESCRIBE_OK);
    /* Signed before the rotation: still verifies, with the home and with
     * the exported history. */
    cr_expect_eq(verify_home(&h, before), CASESCRIBE_OK, "%s", casescribe_last_error());
    char *all = NULL;
    cr_assert_eq(casescribe_keys_export(&all, h.ctx, 0), CASESCRIBE_OK);
    cr_expect_eq(casescribe_verify_with_public_key(NULL, "xml", (const uint8_t *)all, strlen(all),
                                                   (const uint8_t *)before, strlen(before)),
                 CASESCRIBE_OK, "%s", casescribe_last_error());
    /* Within the clock skew of the rotation: still fine. */
    int64_t now = (int64_t)time(NULL);
    set_window(&h, first, 0, now - 60);
    cr_expect_eq(verify_home(&h, before), CASESCRIBE_OK, "%s", casescribe_last_error());
    /* A stamp dated an hour after its key was retired by a rotation (a
     * retired key used again, or a forged date): refused, naming both. */
    set_window(&h, first, 0, now - 3600);
    char *report = NULL;
    cr_expect_eq(casescribe_verify(&report, h.ctx, "xml", (const uint8_t *)before, strlen(before)),
                 CASESCRIBE_EVERIFY);
    const char *msg = casescribe_last_error();
    char retired[21];
    cs_format_time(retired, now - 3600);
    cr_expect(strstr(msg, first) != NULL && strstr(msg, "retired") != NULL && strstr(msg, retired) != NULL, "%s", msg);
    cr_expect(report != NULL && strstr(report, "Signing key: key ") != NULL && strstr(report, "NOT VERIFIED") != NULL,
              "%s", report);
    casescribe_free(report);
    /* A subject access export does not call it verified either. */
    char zip[400], *summary = NULL;
    snprintf(zip, sizeof(zip), "%s/export.zip", h.path);
    casescribe_sar_options so;
    cr_assert_eq(casescribe_sar_options_init(&so, sizeof(so)), CASESCRIBE_OK);
    so.subject_id = "P-2";
    so.output_path = zip;
    casescribe_sar *sar = NULL;
    cr_assert_eq(casescribe_sar_open(&sar, h.ctx, &so), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(casescribe_sar_add(sar, "xml", (const uint8_t *)before, strlen(before)), CASESCRIBE_OK);
    cr_assert_eq(casescribe_sar_finish(&summary, sar), CASESCRIBE_OK, "%s", casescribe_last_error());
    casescribe_sar_free(sar);
    cr_expect(strstr(summary, "not verified: 1\n") != NULL, "%s", summary);
    casescribe_free(summary);
    /* The same through a key history whose retirement says so. */
    char *r = strstr(all, "retired ");
    cr_assert_not_null(r, "%s", all);
    memcpy(r + 8, retired, 20);
    cr_expect_eq(casescribe_verify_with_public_key(NULL, "xml", (const uint8_t *)all, strlen(all),
                                                   (const uint8_t *)before, strlen(before)),
                 CASESCRIBE_EVERIFY, "%s", casescribe_last_error());
    cr_expect(strstr(casescribe_last_error(), first) != NULL, "%s", casescribe_last_error());
    /* Review: the same history with CRLF line ends (OpenSSL reads its keys
     * all the same): the retirement still holds. */
    size_t n_all = strlen(all), k = 0;
    char *crlf = malloc(2 * n_all + 1);
    cr_assert_not_null(crlf);
    for (size_t i = 0; i < n_all; i++) {
        if (all[i] == '\n')
            crlf[k++] = '\r';
        crlf[k++] = all[i];
    }
    crlf[k] = '\0';
    cr_expect_eq(casescribe_verify_with_public_key(NULL, "xml", (const uint8_t *)crlf, k, (const uint8_t *)before,
                                                   strlen(before)),
                 CASESCRIBE_EVERIFY, "a CRLF key history lost its retirement: %s", casescribe_last_error());
    free(crlf);
    /* A stamp dated before its key was made: refused too. */
    char *second = current_key(&h), *after = NULL;
    form_parts p2 = {.id = "R-2"};
    char *form2 = form_make(&p2);
    cr_assert_eq(save_as(h.ctx, form2, &after), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(verify_home(&h, after), CASESCRIBE_OK, "%s", casescribe_last_error());
    set_window(&h, second, now + 3600, 0);
    cr_expect_eq(verify_home(&h, after), CASESCRIBE_EVERIFY);
    cr_expect(strstr(casescribe_last_error(), "created") != NULL && strstr(casescribe_last_error(), second) != NULL,
              "%s", casescribe_last_error());
    free(first);
    free(second);
    free(form);
    free(form2);
    casescribe_free(before);
    casescribe_free(after);
    casescribe_free(all);
    home_close(&h);
}

/* Key files are read from their raw bytes when they hold an Ed25519 key in
 * the form OpenSSL writes (the fast path), and through OpenSSL's decoders
 * otherwise: both give the same key. */
static EVP_PKEY *decoded(const char *path, int private_key)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    EVP_PKEY *k = private_key ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : PEM_read_PUBKEY(f, NULL, NULL, NULL);
    fclose(f);
    cr_assert_not_null(k);
    return k;
}

Test(keys, key_files_read_from_raw_bytes_are_the_keys_openssl_decodes)
{
    test_home h;
    home_open(&h, CASESCRIBE_OPEN_NO_SYNC);
    EVP_PKEY *signer = NULL;
    char id[CS_KEY_ID_MAX], path[512];
    cr_assert_eq(cs_keyring_signer(h.ctx->keys, &signer, id), CASESCRIBE_OK);
    snprintf(path, sizeof(path), "%s/keys/%s.key", h.path, id);
    EVP_PKEY *full = decoded(path, 1), *read = NULL;
    char read_id[CS_KEY_ID_MAX];
    cr_assert_eq(cs_key_file_private(&read, read_id, path), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_str_eq(read_id, id);
    cr_expect_eq(EVP_PKEY_eq(read, full), 1, "the same key as OpenSSL's decoder reads");
    cr_expect_eq(EVP_PKEY_eq(signer, full), 1, "the keyring's signer is that key");
    /* Another key type in the same PEM label: the decoders read it, and it is refused. */
    char other[512];
    snprintf(other, sizeof(other), "%s/other.key", h.path);
    EVP_PKEY *ec = EVP_EC_gen("P-256");
    FILE *f = fopen(other, "w");
    cr_assert(ec != NULL && f != NULL);
    cr_assert_eq(PEM_write_PKCS8PrivateKey(f, ec, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
    chmod(other, 0600);
    EVP_PKEY *again = NULL;
    cr_expect_neq(cs_key_file_private(&again, read_id, other), CASESCRIBE_OK, "a P-256 key is no signing key here");
    cr_expect_null(again);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(read);
    EVP_PKEY_free(full);
    EVP_PKEY_free(signer);
    home_close(&h);
}

/* Review: a subject access export calls a record verified only when its
 * key's validity window could be read: a registry it cannot read is no
 * evidence the stamp's date is inside it. */
Test(keys, an_unreadable_key_registry_leaves_a_record_not_verified_in_a_subject_access_export)
{
    test_home h;
    home_open(&h, 0);
    char *form = form_make(&(form_parts){0}), *stamped = NULL;
    cr_assert_eq(save_as(h.ctx, form, &stamped), CASESCRIBE_OK, "%s", casescribe_last_error());
    char db_path[400], zip[400], *summary = NULL;
    snprintf(db_path, sizeof(db_path), "%s/ledger.db", h.path);
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "ALTER TABLE keys RENAME TO keys_gone", NULL, NULL, NULL), SQLITE_OK, "%s",
                 sqlite3_errmsg(db));
    sqlite3_close(db);
    cr_expect_neq(verify_home(&h, stamped), CASESCRIBE_OK, "verify says it could not check");
    snprintf(zip, sizeof(zip), "%s/export.zip", h.path);
    casescribe_sar_options so;
    cr_assert_eq(casescribe_sar_options_init(&so, sizeof(so)), CASESCRIBE_OK);
    so.subject_id = "P-2";
    so.output_path = zip;
    casescribe_sar *sar = NULL;
    cr_assert_eq(casescribe_sar_open(&sar, h.ctx, &so), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_assert_eq(casescribe_sar_add(sar, "xml", (const uint8_t *)stamped, strlen(stamped)), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    cr_assert_eq(casescribe_sar_finish(&summary, sar), CASESCRIBE_OK, "%s", casescribe_last_error());
    casescribe_sar_free(sar);
    cr_expect(strstr(summary, "not verified: 1\n") != NULL, "%s", summary);
    casescribe_free(summary);
    free(form);
    casescribe_free(stamped);
    home_close(&h);
}
