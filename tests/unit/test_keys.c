/* SPDX-License-Identifier: Apache-2.0 */
/* test_keys.c - the key registry in the ledger (keygen, rotation, trusted
 * keys of other servers, existing homes registered on open), the exported
 * key history verifying records signed before a rotation, and the
 * fingerprint secret never silently recreated. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "context.h"
#include "helpers.h"
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
