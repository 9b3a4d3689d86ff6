/* SPDX-License-Identifier: Apache-2.0 */
/* test_api.c - the public interface's conventions: status codes and their
 * texts, constants by name, option structs, argument checks, per-thread
 * errors. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "helpers.h"

Test(api, versions)
{
    cr_expect_str_eq(casescribe_version(), CASESCRIBE_VERSION_STRING);
    cr_expect_eq(casescribe_abi_version(), CASESCRIBE_ABI_VERSION);
}

Test(api, version_macros_agree)
{
    char expected[32];
    snprintf(expected, sizeof(expected), "%d.%d.%d", CASESCRIBE_VERSION_MAJOR, CASESCRIBE_VERSION_MINOR,
             CASESCRIBE_VERSION_PATCH);
    cr_expect_str_eq(CASESCRIBE_VERSION_STRING, expected);
    cr_expect_eq(CASESCRIBE_VERSION_NUM,
                 (CASESCRIBE_VERSION_MAJOR << 16) | (CASESCRIBE_VERSION_MINOR << 8) | CASESCRIBE_VERSION_PATCH);
    cr_expect_eq(CASESCRIBE_ABI_VERSION, CASESCRIBE_VERSION_MAJOR);
    cr_expect(CASESCRIBE_AT_LEAST_VERSION(1, 7, 0));
    cr_expect(CASESCRIBE_AT_LEAST_VERSION(1, 6, 9));
    cr_expect(CASESCRIBE_AT_LEAST_VERSION(CASESCRIBE_VERSION_MAJOR, CASESCRIBE_VERSION_MINOR, CASESCRIBE_VERSION_PATCH));
    cr_expect_not(CASESCRIBE_AT_LEAST_VERSION(CASESCRIBE_VERSION_MAJOR, CASESCRIBE_VERSION_MINOR + 1, 0));
    cr_expect_not(CASESCRIBE_AT_LEAST_VERSION(CASESCRIBE_VERSION_MAJOR + 1, 0, 0));
}

Test(api, version_info_names_the_running_library_and_its_features)
{
    casescribe_library_info info;
    memset(&info, 0xff, sizeof(info));
    cr_assert_eq(casescribe_version_info(&info, sizeof(info)), CASESCRIBE_OK);
    cr_expect_eq(info.struct_size, sizeof(info));
    cr_expect_eq(info.major, CASESCRIBE_VERSION_MAJOR);
    cr_expect_eq(info.minor, CASESCRIBE_VERSION_MINOR);
    cr_expect_eq(info.patch, CASESCRIBE_VERSION_PATCH);
    cr_expect_eq(info.version_num, CASESCRIBE_VERSION_NUM);
    cr_expect_eq(info.abi_version, casescribe_abi_version());
    uint32_t always = CASESCRIBE_FEATURE_EMBEDDED_ENGINE | CASESCRIBE_FEATURE_REMOTE_ENGINES |
                      CASESCRIBE_FEATURE_STORE_SQLITE | CASESCRIBE_FEATURE_ADAPTER_XML | CASESCRIBE_FEATURE_ADAPTER_FHIR;
    cr_expect_eq(info.features & always, always);
#ifdef HAVE_LIBPQ
    cr_expect(info.features & CASESCRIBE_FEATURE_STORE_POSTGRESQL);
#else
    cr_expect_not(info.features & CASESCRIBE_FEATURE_STORE_POSTGRESQL, "built without libpq");
#endif
    cr_expect_eq(info.features & ~(always | CASESCRIBE_FEATURE_STORE_POSTGRESQL), 0u, "no unknown flag");
}

Test(api, version_info_fills_only_what_the_caller_knows)
{
    casescribe_library_info info;
    memset(&info, 0xab, sizeof(info));
    cr_expect_eq(casescribe_version_info(NULL, sizeof(info)), CASESCRIBE_EINVAL);
    cr_expect_eq(casescribe_version_info(&info, offsetof(casescribe_library_info, features)), CASESCRIBE_EINVAL);
    cr_expect_eq(info.major, 0xababababu, "nothing written on EINVAL");
    cr_expect_str_neq(casescribe_last_error(), "");
    /* A caller whose struct is larger (a newer header) gets what this library knows. */
    struct {
        casescribe_library_info info;
        uint32_t later;
    } bigger;
    memset(&bigger, 0xcd, sizeof(bigger));
    cr_assert_eq(casescribe_version_info(&bigger.info, sizeof(bigger)), CASESCRIBE_OK);
    cr_expect_eq(bigger.info.struct_size, sizeof(casescribe_library_info));
    cr_expect_eq(bigger.later, 0xcdcdcdcdu, "nothing written past the fields this library knows");
}

Test(api, constants_by_name_match_the_macros)
{
    struct {
        const char *name;
        int64_t value;
    } expected[] = {
        {"OK", CASESCRIBE_OK}, {"EINVAL", CASESCRIBE_EINVAL}, {"ENOMEM", CASESCRIBE_ENOMEM},
        {"EIO", CASESCRIBE_EIO}, {"EPARSE", CASESCRIBE_EPARSE}, {"ESCHEMA", CASESCRIBE_ESCHEMA},
        {"ECONSENT", CASESCRIBE_ECONSENT}, {"EREVIEW", CASESCRIBE_EREVIEW}, {"ELAUNDER", CASESCRIBE_ELAUNDER},
        {"EKEY", CASESCRIBE_EKEY}, {"EVERIFY", CASESCRIBE_EVERIFY}, {"EJOURNAL", CASESCRIBE_EJOURNAL},
        {"ENOTFOUND", CASESCRIBE_ENOTFOUND}, {"ECONFLICT", CASESCRIBE_ECONFLICT}, {"ETOOBIG", CASESCRIBE_ETOOBIG},
        {"EUNSTAMPED", CASESCRIBE_EUNSTAMPED}, {"EINTERNAL", CASESCRIBE_EINTERNAL}, {"EPOLICY", CASESCRIBE_EPOLICY},
        {"EAUDIO", CASESCRIBE_EAUDIO}, {"EUNTRUSTED", CASESCRIBE_EUNTRUSTED},
        {"ABI_VERSION", CASESCRIBE_ABI_VERSION}, {"OPEN_CREATE", CASESCRIBE_OPEN_CREATE},
        {"OPEN_NO_SYNC", CASESCRIBE_OPEN_NO_SYNC}, {"KEYGEN_ROTATE", CASESCRIBE_KEYGEN_ROTATE},
        {"KEYS_LIST", CASESCRIBE_KEYS_LIST}, {"KEYS_HOME", CASESCRIBE_KEYS_HOME},
        {"MAX_PAYLOAD", CASESCRIBE_MAX_PAYLOAD}, {"MAX_XML_DEPTH", CASESCRIBE_MAX_XML_DEPTH},
        {"CTX_OPTIONS_SIZE", sizeof(casescribe_ctx_options)}, {"ACTOR_SIZE", sizeof(casescribe_actor)},
        {"VERSION_NUM", CASESCRIBE_VERSION_NUM}, {"FEATURE_STORE_POSTGRESQL", CASESCRIBE_FEATURE_STORE_POSTGRESQL},
        {"FEATURE_ADAPTER_FHIR", CASESCRIBE_FEATURE_ADAPTER_FHIR}, {"LIBRARY_INFO_SIZE", sizeof(casescribe_library_info)},
    };
    for (size_t i = 0; i < sizeof(expected) / sizeof(*expected); i++) {
        int64_t v = 12345;
        cr_expect_eq(casescribe_constant(&v, expected[i].name), CASESCRIBE_OK, "%s", expected[i].name);
        cr_expect_eq(v, expected[i].value, "%s", expected[i].name);
    }
    int64_t v;
    cr_expect_eq(casescribe_constant(&v, "NO_SUCH_THING"), CASESCRIBE_ENOTFOUND);
    cr_expect_eq(casescribe_constant(NULL, "OK"), CASESCRIBE_EINVAL);
}

Test(api, status_codes_are_fixed_and_described)
{
    /* Never renumbered: these values are the ABI. */
    cr_expect_eq(CASESCRIBE_EINVAL, -1);
    cr_expect_eq(CASESCRIBE_ELAUNDER, -8);
    cr_expect_eq(CASESCRIBE_EINTERNAL, -16);
    cr_expect_eq(CASESCRIBE_EPOLICY, -17);
    cr_expect_eq(CASESCRIBE_EAUDIO, -21);
    cr_expect_eq(CASESCRIBE_EUNTRUSTED, -22);
    for (int32_t s = CASESCRIBE_OK; s >= CASESCRIBE_EUNTRUSTED; s--) {
        const char *text = casescribe_strerror(s);
        cr_expect(text != NULL && text[0] != '\0' && strcmp(text, "unknown status") != 0, "status %d", s);
    }
    cr_expect_str_eq(casescribe_strerror(-999), "unknown status");
    cr_expect_str_eq(casescribe_strerror(7), "unknown status");
}

Test(api, option_structs_carry_their_size)
{
    casescribe_ctx_options opts;
    cr_expect_eq(casescribe_ctx_options_init(&opts, sizeof(opts)), CASESCRIBE_OK);
    cr_expect_eq(opts.struct_size, sizeof(opts));
    cr_expect_null(opts.home);
    cr_expect_eq(opts.flags, 0);
    cr_expect_eq(casescribe_ctx_options_init(&opts, 4), CASESCRIBE_EINVAL, "too small for version 1");
    cr_expect_eq(casescribe_ctx_options_init(&opts, sizeof(opts) + 8), CASESCRIBE_EINVAL, "newer than the library");
    cr_expect_eq(casescribe_ctx_options_init(NULL, sizeof(opts)), CASESCRIBE_EINVAL);
    casescribe_actor actor;
    cr_expect_eq(casescribe_actor_init(&actor, sizeof(actor)), CASESCRIBE_OK);
    cr_expect_eq(actor.struct_size, sizeof(actor));
    cr_expect_eq(casescribe_actor_init(&actor, 3), CASESCRIBE_EINVAL);
}

Test(api, null_arguments_are_refused_not_crashed_on)
{
    casescribe_free(NULL);
    casescribe_ctx_close(NULL);
    casescribe_record_free(NULL);
    casescribe_journal_entry_free(NULL);
    cr_expect_eq(casescribe_ctx_open(NULL, NULL), CASESCRIBE_EINVAL);
    cr_expect_eq(casescribe_keygen(NULL, NULL, 0), CASESCRIBE_EINVAL);
    cr_expect_eq(casescribe_public_key(NULL, NULL), CASESCRIBE_EINVAL);
    uint8_t *out = NULL;
    size_t len = 0;
    cr_expect_eq(casescribe_save(&out, &len, NULL, "xml", NULL, (const uint8_t *)"x", 1), CASESCRIBE_EINVAL);
    cr_expect_eq(casescribe_verify(NULL, NULL, "xml", (const uint8_t *)"x", 1), CASESCRIBE_EINVAL);
    cr_expect_eq(casescribe_record_open(NULL, "xml", (const uint8_t *)"x", 1), CASESCRIBE_EINVAL);
    cr_expect_eq(casescribe_journal_verify(NULL, NULL, NULL), CASESCRIBE_EINVAL);
    cr_expect_eq(casescribe_journal_entry_get(NULL, NULL, 1), CASESCRIBE_EINVAL);
    cr_expect_null(casescribe_record_id(NULL));
    cr_expect_eq(casescribe_record_section_count(NULL), 0);
    cr_expect_null(casescribe_record_section_text(NULL, 0));
    cr_expect_null(casescribe_journal_entry_kind(NULL));
    cr_expect_eq(casescribe_journal_truncated_bytes(NULL), 0);
}

/* A caller that ignores the status must never see a stale pointer: every
 * output is cleared before any check can fail. */
Test(api, outputs_are_cleared_on_every_failure)
{
    uint8_t junk = 0;
    uint8_t *out = &junk;
    size_t len = 99;
    cr_expect_eq(casescribe_save(&out, &len, NULL, "xml", NULL, (const uint8_t *)"x", 1), CASESCRIBE_EINVAL);
    cr_expect_null(out);
    cr_expect_eq(len, 0);
    char *pem = (char *)&junk;
    cr_expect_eq(casescribe_public_key(&pem, NULL), CASESCRIBE_EINVAL);
    cr_expect_null(pem);
    casescribe_journal_entry *e = (casescribe_journal_entry *)&junk;
    cr_expect_eq(casescribe_journal_entry_get(&e, NULL, 1), CASESCRIBE_EINVAL);
    cr_expect_null(e);
    int64_t value = 42;
    cr_expect_eq(casescribe_constant(&value, "NO_SUCH_CONSTANT"), CASESCRIBE_ENOTFOUND);
    cr_expect_eq(value, 0);
    value = 42;
    cr_expect_eq(casescribe_constant(&value, NULL), CASESCRIBE_EINVAL);
    cr_expect_eq(value, 0);
    char *report = (char *)&junk;
    cr_expect_eq(casescribe_verify(&report, NULL, "xml", (const uint8_t *)"x", 1), CASESCRIBE_EINVAL);
    cr_expect_null(report);
    casescribe_record *rec = (casescribe_record *)&junk;
    cr_expect_neq(casescribe_record_open(&rec, "no-such-adapter", (const uint8_t *)"x", 1), CASESCRIBE_OK);
    cr_expect_null(rec);
}

Test(api, a_missing_home_is_not_created_unless_asked)
{
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = "/tmp/cs-test-does-not-exist/deeper";
    casescribe_ctx *ctx = NULL;
    cr_expect_eq(casescribe_ctx_open(&ctx, &opts), CASESCRIBE_EIO);
    cr_expect_null(ctx);
    cr_expect(strstr(casescribe_last_error(), "cs-test-does-not-exist") != NULL);
}

Test(api, a_new_home_is_private)
{
    test_home h;
    home_open(&h, 0);
    struct stat st;
    char path[512];
    snprintf(path, sizeof(path), "%s/keys", h.path);
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 077, 0, "keys/ must be 0700");
    const char *ledger[] = {"ledger.db", "ledger.db-wal", "ledger.lock"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", h.path, ledger[i]);
        cr_assert_eq(stat(path, &st), 0, "%s", ledger[i]);
        cr_expect_eq(st.st_mode & 077, 0, "%s must be 0600", ledger[i]);
    }
    home_close(&h);
}

static int32_t reopen(const char *home)
{
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = home;
    opts.flags = CASESCRIBE_OPEN_NO_SYNC;
    casescribe_ctx *ctx = NULL;
    int32_t rc = casescribe_ctx_open(&ctx, &opts);
    cr_expect((rc == CASESCRIBE_OK) == (ctx != NULL));
    casescribe_ctx_close(ctx);
    return rc;
}

/* Whoever can write to the home, keys/ or policy/ can swap the signing key,
 * a team's policy or the journal: such a home is refused at open. */
Test(api, a_home_keys_or_policy_folder_others_can_write_to_is_refused)
{
    test_home h;
    home_open(&h, 0);
    casescribe_ctx_close(h.ctx);
    h.ctx = NULL;
    static const char *const folders[] = {"", "/keys", "/policy"};
    static const mode_t modes[] = {0777, 0770, 0702, 01777};
    for (size_t i = 0; i < 3; i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s%s", h.path, folders[i]);
        for (size_t m = 0; m < sizeof(modes) / sizeof(*modes); m++) {
            cr_assert_eq(chmod(path, modes[m]), 0);
            cr_expect_eq(reopen(h.path), CASESCRIBE_EKEY, "%s mode %o opened", path, (unsigned)modes[m]);
            cr_expect(strstr(casescribe_last_error(), path) != NULL, "%s", casescribe_last_error());
            cr_expect(strstr(casescribe_last_error(), "chmod go-w") != NULL, "%s", casescribe_last_error());
        }
        /* readable by others is fine (mkdir under umask 022); writable is not */
        cr_assert_eq(chmod(path, 0755), 0);
        cr_expect_eq(reopen(h.path), CASESCRIBE_OK, "%s 0755: %s", path, casescribe_last_error());
        cr_assert_eq(chmod(path, 0700), 0);
    }
    cr_expect_eq(reopen(h.path), CASESCRIBE_OK, "%s", casescribe_last_error());
    home_close(&h);
}

Test(api, save_checks_its_arguments)
{
    test_home h;
    home_open(&h, 0);
    uint8_t *out = NULL;
    size_t len = 0;
    const char *xml = "<form/>";
    casescribe_actor actor;
    memset(&actor, 0, sizeof(actor));
    cr_expect_eq(casescribe_save(&out, &len, h.ctx, "xml", &actor, (const uint8_t *)xml, 7), CASESCRIBE_EINVAL,
                 "actor not initialised");
    casescribe_actor_init(&actor, sizeof(actor));
    cr_expect_eq(casescribe_save(&out, &len, h.ctx, "xml", &actor, (const uint8_t *)xml, 7), CASESCRIBE_EINVAL,
                 "no user id");
    actor.user_id = "has space";
    cr_expect_eq(casescribe_save(&out, &len, h.ctx, "xml", &actor, (const uint8_t *)xml, 7), CASESCRIBE_EINVAL);
    actor.user_id = "sw-1";
    cr_expect_eq(casescribe_save(&out, &len, h.ctx, "fhir-x", &actor, (const uint8_t *)xml, 7), CASESCRIBE_ENOTFOUND);
    cr_expect(strstr(casescribe_last_error(), "fhir-x") != NULL);
    cr_expect_eq(casescribe_save(&out, &len, h.ctx, "xml", &actor, (const uint8_t *)xml,
                                 (size_t)CASESCRIBE_MAX_PAYLOAD + 1),
                 CASESCRIBE_ETOOBIG);
    cr_expect_null(out);
    cr_expect_eq(len, 0);
    home_close(&h);
}

static void *fail_on_thread(void *arg)
{
    (void)arg;
    int64_t v;
    casescribe_constant(&v, "THREAD_B_ONLY");
    return strstr(casescribe_last_error(), "THREAD_B_ONLY") != NULL ? (void *)1 : NULL;
}

Test(api, last_error_is_per_thread)
{
    int64_t v;
    cr_assert_eq(casescribe_constant(&v, "THREAD_A_ONLY"), CASESCRIBE_ENOTFOUND);
    pthread_t t;
    void *saw_own = NULL;
    cr_assert_eq(pthread_create(&t, NULL, fail_on_thread, NULL), 0);
    pthread_join(t, &saw_own);
    cr_expect_not_null(saw_own, "thread B sees its own error");
    cr_expect(strstr(casescribe_last_error(), "THREAD_A_ONLY") != NULL, "thread A still sees its own error: %s",
              casescribe_last_error());
}

static int refused_as_forked(int32_t rc)
{
    return rc == CASESCRIBE_EINVAL && strstr(casescribe_last_error(), "fork") != NULL;
}

/* The calls the child makes in the test below, each with arguments that
 * pass every check made before the process's: 0 when every one is refused
 * as a context from before a fork, else the number of the first that is
 * not. */
static int every_entry_refused(casescribe_ctx *ctx, const char *xml)
{
    casescribe_job *job = NULL;
    char *text = NULL;
    casescribe_fill_options fill;
    casescribe_fill_options_init(&fill, sizeof(fill));
    casescribe_transcribe_options tr;
    casescribe_transcribe_options_init(&tr, sizeof(tr));
    casescribe_fetch_options fetch;
    casescribe_fetch_options_init(&fetch, sizeof(fetch));
    const uint8_t *b = (const uint8_t *)xml;
    int n = 0;
    if (++n && !refused_as_forked(save_as(ctx, xml, NULL)))
        return n;
    if (++n && !refused_as_forked(casescribe_save_confirm(ctx, "xml", b, strlen(xml))))
        return n;
    if (++n && !refused_as_forked(casescribe_fill(&job, ctx, &fill)))
        return n;
    if (++n && !refused_as_forked(casescribe_transcribe(&job, ctx, &tr)))
        return n;
    if (++n && !refused_as_forked(casescribe_job_attach(&job, ctx, "0123456789abcdef0123456789abcdef")))
        return n;
    if (++n && !refused_as_forked(casescribe_job_list(&text, ctx)))
        return n;
    if (++n && !refused_as_forked(casescribe_policy_refresh(&job, ctx, &fetch)))
        return n;
    if (++n && !refused_as_forked(casescribe_policy_trust(ctx, "admin-1", "x", 1)))
        return n;
    if (++n && !refused_as_forked(casescribe_team_set(ctx, "admin-1", "cin-north", "ai-draft", "on")))
        return n;
    return refused_as_forked(casescribe_key_trust(&text, ctx, "admin-1", b, 1)) ? 0 : n + 1;
}

/* A context does not cross fork() (the child would share the parent's
 * lock and connections): every entry point that uses its keys, store or
 * jobs refuses it in a forked child, naming the fork, before it touches
 * anything; the parent goes on saving. */
Test(api, every_entry_point_refuses_a_context_from_before_a_fork)
{
    test_home h;
    home_open(&h, 0);
    form_parts p = {0};
    char *xml = form_make(&p);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0)
        _exit(every_entry_refused(h.ctx, xml));
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "call %d of the child was not refused as forked",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    cr_expect_eq(save_as(h.ctx, xml, NULL), CASESCRIBE_OK, "the parent still saves: %s", casescribe_last_error());
    free(xml);
    home_close(&h);
}
