/* SPDX-License-Identifier: Apache-2.0 */
/* casescribe - the command-line tool. It uses only the public header, like
 * any host system would.
 *
 *   casescribe [--home DIR] keygen [--rotate]
 *   casescribe [--home DIR] save IN -o OUT [--adapter NAME] [--actor ID --team T --role R]
 *   casescribe [--home DIR] verify FILE [--adapter NAME] [--pubkey KEY.pem]
 *   casescribe [--home DIR] journal verify [--checkpoint FILE]... [--record FILE]... [--adapter NAME]
 *   casescribe [--home DIR] journal recover --from BACKUP
 *   casescribe [--home DIR] journal list [--since N] [--kind K] [--format text|json] (journal_list.c)
 *   casescribe [--home DIR] --read-only COMMAND ...   (open the home without writing to it)
 *   casescribe [--home DIR] COMMAND --help | --help | --version   (tool_msgs.c)
 *   casescribe [--home DIR] checkpoint export [-o FILE]
 *   casescribe [--home DIR] demo
 *   casescribe [--home DIR] doctor [--format text|json] (doctor.c)
 *   casescribe [--home DIR] pubkey [--fingerprint|--all]
 *   casescribe [--home DIR] keys list | trust FILE.pem [--actor ID] | export [-o FILE]
 *   casescribe [--home DIR] team list | show TEAM | enable TEAM FEATURE |
 *                           disable TEAM FEATURE | set TEAM KEY VALUE [--actor ID]
 *   casescribe [--home DIR] policy trust ADMIN.pub | refresh URL | sign-bundle (policy.c)
 *   casescribe [--home DIR] transcribe FORM.xml RECORDING (transcribe.c)
 *   casescribe [--home DIR] fill TEMPLATE TRANSCRIPT --subjects FORM.xml [-o DRAFT.xml] | templates (fill.c)
 *   casescribe [--home DIR] names install FILE (fill.c)
 *   casescribe [--home DIR] sar SUBJECT-ID RECORD.xml... -o EXPORT.zip | sar verify EXPORT.zip (sar.c)
 *   casescribe [--home DIR] jobs list | attach ID | resume ID [-o FILE] [--keep] (jobs.c)
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "casescribe.h"
#include "tool.h"

/* ---- keygen ------------------------------------------------------------ */
static int cmd_keygen(const char *home, int argc, char **argv)
{
    uint32_t flags = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--rotate") == 0)
            flags |= CASESCRIBE_KEYGEN_ROTATE;
        else
            return tool_usage();
    }
    casescribe_ctx *ctx = NULL;
    if (tool_open_home(&ctx, home, CASESCRIBE_OPEN_CREATE) != 0)
        return EXIT_REFUSED;
    char *key_id = NULL;
    int32_t rc = casescribe_keygen(&key_id, ctx, flags);
    int code = rc == CASESCRIBE_OK ? 0 : tool_fail("keygen", rc);
    if (rc == CASESCRIBE_OK)
        printf("%s key %s in %s/keys\n", flags ? "rotated to" : "made", key_id, casescribe_ctx_home(ctx));
    casescribe_free(key_id);
    casescribe_ctx_close(ctx);
    return code;
}

/* ---- save -------------------------------------------------------------- */
struct save_args {
    const char *in, *out, *actor, *team, *role, *adapter;
};

static int parse_save_args(struct save_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof(*a));
    for (int i = 0; i < argc; i++) {
        const char **slot = strcmp(argv[i], "-o") == 0          ? &a->out
                            : strcmp(argv[i], "--actor") == 0   ? &a->actor
                            : strcmp(argv[i], "--team") == 0    ? &a->team
                            : strcmp(argv[i], "--role") == 0    ? &a->role
                            : strcmp(argv[i], "--adapter") == 0 ? &a->adapter
                                                                : NULL;
        if (slot != NULL && i + 1 < argc)
            *slot = argv[++i];
        else if (slot == NULL && a->in == NULL && argv[i][0] != '-')
            a->in = argv[i];
        else
            return -1;
    }
    if (a->adapter == NULL)
        a->adapter = "xml";
    return a->in != NULL && a->out != NULL ? 0 : -1;
}

static int cmd_save(const char *home, int argc, char **argv)
{
    struct save_args a;
    uint8_t *payload = NULL, *stamped = NULL;
    size_t len = 0, out_len = 0;
    if (parse_save_args(&a, argc, argv) != 0)
        return tool_usage();
    if (tool_read_file(a.in, &payload, &len) != 0)
        return EXIT_REFUSED;
    /* Without --actor, the form's author is the one saving; a payload the
     * adapter cannot read is refused here, with the adapter's reason. */
    casescribe_record *rec = NULL;
    char *author = NULL;
    if (a.actor == NULL) {
        int32_t rc = casescribe_record_open(&rec, a.adapter, payload, len);
        if (rc != CASESCRIBE_OK) {
            free(payload);
            return tool_fail("save refused", rc);
        }
        const char *au = casescribe_record_author(rec);
        author = au != NULL ? strdup(au) : NULL;
        casescribe_record_free(rec);
    }
    casescribe_ctx *ctx = NULL;
    int code = tool_open_home(&ctx, home, 0) != 0 ? EXIT_REFUSED : 0;
    if (code == 0) {
        casescribe_actor actor;
        casescribe_actor_init(&actor, sizeof(actor));
        actor.user_id = a.actor != NULL ? a.actor : author;
        actor.team = a.team;
        actor.role = a.role;
        int32_t rc = casescribe_save(&stamped, &out_len, ctx, a.adapter, &actor, payload, len);
        code = rc != CASESCRIBE_OK ? tool_fail("save refused", rc) : tool_write_file(a.out, stamped, out_len) ? EXIT_REFUSED : 0;
    }
    if (code == 0 && a.actor == NULL && author != NULL)
        fprintf(stderr, "casescribe: no --actor given: stamped the form's author, %s, as the one who saved it\n",
                author);
    casescribe_free(stamped);
    casescribe_ctx_close(ctx);
    free(author);
    free(payload);
    return code;
}

/* ---- verify ------------------------------------------------------------ */
static int cmd_verify(const char *home, int argc, char **argv)
{
    const char *file = NULL, *pubkey = NULL, *adapter = "xml";
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--pubkey") == 0 && i + 1 < argc)
            pubkey = argv[++i];
        else if (strcmp(argv[i], "--adapter") == 0 && i + 1 < argc)
            adapter = argv[++i];
        else if (file == NULL && argv[i][0] != '-')
            file = argv[i];
        else
            return tool_usage();
    }
    if (file == NULL)
        return tool_usage();
    uint8_t *payload = NULL, *pem = NULL;
    size_t len = 0, pem_len = 0;
    if (tool_read_file(file, &payload, &len) != 0 || (pubkey != NULL && tool_read_file(pubkey, &pem, &pem_len) != 0)) {
        free(payload);
        return EXIT_REFUSED;
    }
    char *report = NULL;
    int32_t rc;
    casescribe_ctx *ctx = NULL;
    if (pubkey != NULL)
        rc = casescribe_verify_with_public_key(&report, adapter, pem, pem_len, payload, len);
    else if (tool_open_home(&ctx, home, 0) == 0)
        rc = casescribe_verify(&report, ctx, adapter, payload, len);
    else
        rc = CASESCRIBE_EIO;
    if (report != NULL)
        fputs(report, stdout);
    int code = rc == CASESCRIBE_OK ? 0 : ctx == NULL && pubkey == NULL ? EXIT_REFUSED : tool_fail("verify", rc);
    casescribe_free(report);
    casescribe_ctx_close(ctx);
    free(payload);
    free(pem);
    return code;
}

/* ---- journal verify / pubkey ------------------------------------------- */
/* One --checkpoint or --record FILE against the ledger; 0 when it holds. */
static int journal_check_file(casescribe_ctx *ctx, const char *adapter, const char *path)
{
    uint8_t *evidence = NULL;
    size_t len = 0;
    if (tool_read_file(path, &evidence, &len) != 0)
        return EXIT_REFUSED;
    char *report = NULL;
    int32_t rc = casescribe_journal_check(&report, ctx, adapter, evidence, len);
    printf("%s: %s", path, report != NULL ? report : "\n");
    int code = rc == CASESCRIBE_OK ? 0 : tool_fail("journal verify", rc);
    casescribe_free(report);
    free(evidence);
    return code;
}

/* Every --checkpoint FILE and --record FILE (--adapter NAME for records). */
static int journal_check_all(casescribe_ctx *ctx, int argc, char **argv)
{
    const char *adapter = NULL;
    for (int i = 1; i + 1 < argc; i += 2)
        if (strcmp(argv[i], "--adapter") == 0)
            adapter = argv[i + 1];
    int code = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--checkpoint") != 0 && strcmp(argv[i], "--record") != 0)
            continue;
        int one = journal_check_file(ctx, adapter, argv[i + 1]);
        code = code != 0 ? code : one;
    }
    return code;
}

static int journal_options_ok(int argc, char **argv)
{
    if (argc % 2 != 1)
        return 0;
    for (int i = 1; i < argc; i += 2)
        if (strcmp(argv[i], "--checkpoint") != 0 && strcmp(argv[i], "--record") != 0 &&
            strcmp(argv[i], "--adapter") != 0)
            return 0;
    return 1;
}

static int journal_recover(const char *home, const char *backup)
{
    char *report = NULL;
    int32_t rc = casescribe_journal_recover(&report, home, backup);
    if (report != NULL)
        fputs(report, stdout);
    casescribe_free(report);
    return rc == CASESCRIBE_OK ? 0 : tool_fail("journal recover", rc);
}

static int cmd_journal(const char *home, int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[0], "recover") == 0 && strcmp(argv[1], "--from") == 0)
        return journal_recover(home, argv[2]);
    if (argc >= 1 && strcmp(argv[0], "list") == 0)
        return casescribe_tool_journal_list(home, argc, argv);
    if (argc < 1 || strcmp(argv[0], "verify") != 0 || !journal_options_ok(argc, argv))
        return tool_usage();
    casescribe_ctx *ctx = NULL;
    if (tool_open_home(&ctx, home, 0) != 0)
        return EXIT_REFUSED;
    char *report = NULL;
    uint64_t entries = 0;
    int32_t rc = casescribe_journal_verify(&entries, &report, ctx);
    if (report != NULL)
        fputs(report, stdout);
    int code = rc == CASESCRIBE_OK ? 0 : tool_fail("journal verify", rc);
    int checks = journal_check_all(ctx, argc, argv);
    casescribe_free(report);
    casescribe_ctx_close(ctx);
    return code != 0 ? code : checks;
}

/* ---- checkpoint export ------------------------------------------------- */
static int cmd_checkpoint(const char *home, int argc, char **argv)
{
    int to_file = argc == 3 && strcmp(argv[1], "-o") == 0;
    if ((argc != 1 && !to_file) || strcmp(argv[0], "export") != 0)
        return tool_usage();
    casescribe_ctx *ctx = NULL;
    if (tool_open_home(&ctx, home, 0) != 0)
        return EXIT_REFUSED;
    char *text = NULL;
    int32_t rc = casescribe_checkpoint_export(&text, ctx);
    int code = rc != CASESCRIBE_OK ? tool_fail("checkpoint export", rc) : 0;
    if (code == 0 && to_file)
        code = tool_write_file(argv[2], (const uint8_t *)text, strlen(text)) == 0 ? 0 : EXIT_REFUSED;
    else if (code == 0)
        fputs(text, stdout);
    casescribe_free(text);
    casescribe_ctx_close(ctx);
    return code;
}

/* ---- keys ------------------------------------------------------------- */
static int keys_export(casescribe_ctx *ctx, uint32_t flags, const char *out)
{
    char *text = NULL;
    int32_t rc = casescribe_keys_export(&text, ctx, flags);
    int code = rc != CASESCRIBE_OK ? tool_fail("keys", rc) : 0;
    if (code == 0 && out != NULL)
        code = tool_write_file(out, (const uint8_t *)text, strlen(text)) != 0 ? EXIT_REFUSED : 0;
    else if (code == 0)
        fputs(text, stdout);
    casescribe_free(text);
    return code;
}

static int keys_trust(casescribe_ctx *ctx, const char *file, const char *actor)
{
    uint8_t *pem = NULL;
    size_t len = 0;
    if (tool_read_file(file, &pem, &len) != 0)
        return EXIT_REFUSED;
    char *ids = NULL;
    int32_t rc = casescribe_key_trust(&ids, ctx, tool_admin_name(actor), pem, len);
    int code = rc != CASESCRIBE_OK ? tool_fail("keys trust", rc) : 0;
    if (code == 0)
        printf("trusted:\n%s\n", ids);
    casescribe_free(ids);
    free(pem);
    return code;
}

/* keys list | trust FILE.pem [--actor ID] | export [-o FILE] */
static int cmd_keys(const char *home, int argc, char **argv)
{
    const char *op = argc > 0 ? argv[0] : "", *file = NULL, *actor = NULL, *out = NULL;
    int ok = strcmp(op, "list") == 0 ? argc == 1 : strcmp(op, "export") == 0 || strcmp(op, "trust") == 0;
    for (int i = 1; ok && i < argc; i++) {
        const char **slot = strcmp(argv[i], "-o") == 0 && op[0] == 'e'         ? &out
                            : strcmp(argv[i], "--actor") == 0 && op[0] == 't' ? &actor
                                                                              : NULL;
        if (slot != NULL && i + 1 < argc)
            *slot = argv[++i];
        else if (op[0] == 't' && file == NULL && argv[i][0] != '-')
            file = argv[i];
        else
            ok = 0;
    }
    if (!ok || (op[0] == 't' && file == NULL))
        return tool_usage();
    casescribe_ctx *ctx = NULL;
    if (tool_open_home(&ctx, home, 0) != 0)
        return EXIT_REFUSED;
    int code = op[0] == 't' ? keys_trust(ctx, file, actor) : keys_export(ctx, op[0] == 'l' ? CASESCRIBE_KEYS_LIST : 0, out);
    casescribe_ctx_close(ctx);
    return code;
}

/* The PEM, with --fingerprint the line a council publishes, with --all
 * every key the home has signed with (a bundle, see keys export). */
static int cmd_pubkey(const char *home, int argc, char **argv)
{
    int fingerprint = argc == 1 && strcmp(argv[0], "--fingerprint") == 0;
    int all = argc == 1 && strcmp(argv[0], "--all") == 0;
    if (argc != 0 && !fingerprint && !all)
        return tool_usage();
    casescribe_ctx *ctx = NULL;
    if (tool_open_home(&ctx, home, 0) != 0)
        return EXIT_REFUSED;
    if (all) {
        int code = keys_export(ctx, CASESCRIBE_KEYS_HOME, NULL);
        casescribe_ctx_close(ctx);
        return code;
    }
    char *pem = NULL, *fp = NULL;
    int32_t rc = casescribe_public_key(&pem, ctx);
    if (rc == CASESCRIBE_OK && fingerprint)
        rc = casescribe_public_key_fingerprint(&fp, (const uint8_t *)pem, strlen(pem));
    int code = rc != CASESCRIBE_OK ? tool_fail("pubkey", rc) : 0;
    if (code == 0 && fingerprint)
        printf("SHA-256 fingerprint: %s\n", fp);
    else if (code == 0)
        fputs(pem, stdout);
    casescribe_free(fp);
    casescribe_free(pem);
    casescribe_ctx_close(ctx);
    return code;
}

/* ---- team -------------------------------------------------------------- */
static int team_show(casescribe_ctx *ctx, const char *team)
{
    casescribe_policy *p = NULL;
    int32_t rc = casescribe_team_policy(&p, ctx, team);
    if (rc != CASESCRIBE_OK)
        return tool_fail("team show", rc);
    int32_t state = casescribe_policy_state(p);
    printf("team %s\n", casescribe_policy_team(p));
    if (state == CASESCRIBE_POLICY_SIGNED)
        printf("policy: version %u, signed and valid (%s)\n", (unsigned)casescribe_policy_version(p),
               casescribe_policy_digest(p));
    else if (state == CASESCRIBE_POLICY_REFUSED)
        printf("policy: NOT USED, the safe defaults apply: %s\n", casescribe_policy_problem(p));
    else
        printf("policy: none yet, the safe defaults apply (every AI feature off)\n");
    static const char *const keys[] = {"transcription", "ai-draft", "external-ai", "observation-tags",
                                       "audio-retention-days", "engine", "endpoints",
                                       "allow-without-template"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(*keys) && rc == CASESCRIBE_OK; i++) {
        char *value = NULL;
        rc = casescribe_policy_setting(&value, p, keys[i]);
        if (rc == CASESCRIBE_OK)
            printf("%s: %s\n", keys[i], value[0] ? value : "(none)");
        casescribe_free(value);
    }
    casescribe_policy_free(p);
    return rc == CASESCRIBE_OK ? 0 : tool_fail("team show", rc);
}

static int cmd_team(const char *home, int argc, char **argv)
{
    const char *actor = NULL;
    if (argc >= 2 && strcmp(argv[argc - 2], "--actor") == 0) {
        actor = argv[argc - 1];
        argc -= 2;
    }
    if (argc < 1)
        return tool_usage();
    const char *op = argv[0], *key = NULL, *value = NULL;
    if (strcmp(op, "list") == 0 && argc == 1) {
    } else if (strcmp(op, "show") == 0 && argc == 2) {
    } else if ((strcmp(op, "enable") == 0 || strcmp(op, "disable") == 0) && argc == 3) {
        key = argv[2];
        value = op[0] == 'e' ? "on" : "off";
    } else if (strcmp(op, "set") == 0 && argc == 4) {
        key = argv[2];
        value = argv[3];
    } else {
        return tool_usage();
    }
    casescribe_ctx *ctx = NULL;
    if (tool_open_home(&ctx, home, 0) != 0)
        return EXIT_REFUSED;
    int code = 0;
    if (strcmp(op, "list") == 0) {
        char *teams = NULL;
        int32_t rc = casescribe_team_list(&teams, ctx);
        code = rc == CASESCRIBE_OK ? (fputs(teams, stdout), 0) : tool_fail("team list", rc);
        casescribe_free(teams);
    } else if (strcmp(op, "show") == 0) {
        code = team_show(ctx, argv[1]);
    } else {
        int32_t rc = casescribe_team_set(ctx, tool_admin_name(actor), argv[1], key, value);
        code = rc != CASESCRIBE_OK ? tool_fail("team", rc) : (printf("team %s: %s is %s\n", argv[1], key, value), 0);
    }
    casescribe_ctx_close(ctx);
    return code;
}

/* store status|init|migrate | store copy --to URI */
static int cmd_store(const char *home, int argc, char **argv)
{
    int copy = argc == 3 && strcmp(argv[0], "copy") == 0 && strcmp(argv[1], "--to") == 0;
    if (!copy && (argc != 1 || (strcmp(argv[0], "status") != 0 && strcmp(argv[0], "init") != 0 &&
                                strcmp(argv[0], "migrate") != 0)))
        return tool_usage();
    char *report = NULL;
    int32_t rc = casescribe_store_admin(&report, home, argv[0], copy ? argv[2] : NULL);
    if (rc == CASESCRIBE_OK)
        fputs(report, stdout);
    casescribe_free(report);
    return rc == CASESCRIBE_OK ? 0 : tool_fail("store", rc);
}

/* ---- demo -------------------------------------------------------------- */

int main(int argc, char **argv)
{
    const char *home = NULL;
    int i = 1;
    if (i + 1 < argc && strcmp(argv[i], "--home") == 0) {
        home = argv[i + 1];
        i += 2;
    }
    if (i + 1 < argc && strcmp(argv[i], "--store") == 0) { /* the store the home names, overridden */
        if (setenv("CASESCRIBE_STORE", argv[i + 1], 1) != 0)
            return tool_usage();
        i += 2;
    }
    if (i < argc && strcmp(argv[i], "--read-only") == 0) {
        tool_open_flags = CASESCRIBE_OPEN_READ_ONLY;
        i++;
    }
    if (i >= argc)
        return tool_usage();
    const char *cmd = argv[i++];
    int rest = argc - i;
    char **args = argv + i;
    if (strcmp(cmd, "--version") == 0) {
        printf("casescribe %s (library %s, ABI %u)\n", CASESCRIBE_VERSION_STRING, casescribe_version(),
               (unsigned)casescribe_abi_version());
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        if (rest > 0)
            return tool_known_command(args[0]) ? tool_command_help(args[0]) : tool_unknown_command(args[0]);
        tool_print_usage(stdout);
        return 0;
    }
    if (tool_wants_help(rest, args))
        return tool_known_command(cmd) ? tool_command_help(cmd) : tool_unknown_command(cmd);
    tool_set_command(cmd, rest, args);
    if (strcmp(cmd, "keygen") == 0)
        return cmd_keygen(home, rest, args);
    if (strcmp(cmd, "save") == 0)
        return cmd_save(home, rest, args);
    if (strcmp(cmd, "verify") == 0)
        return cmd_verify(home, rest, args);
    if (strcmp(cmd, "journal") == 0)
        return cmd_journal(home, rest, args);
    if (strcmp(cmd, "pubkey") == 0)
        return cmd_pubkey(home, rest, args);
    if (strcmp(cmd, "store") == 0)
        return cmd_store(home, rest, args);
    if (strcmp(cmd, "checkpoint") == 0)
        return cmd_checkpoint(home, rest, args);
    if (strcmp(cmd, "keys") == 0)
        return cmd_keys(home, rest, args);
    if (strcmp(cmd, "team") == 0)
        return cmd_team(home, rest, args);
    if (strcmp(cmd, "audio") == 0)
        return casescribe_tool_audio(home, rest, args);
    if (strcmp(cmd, "transcribe") == 0)
        return casescribe_tool_transcribe(home, rest, args);
    if (strcmp(cmd, "fill") == 0)
        return casescribe_tool_fill(home, rest, args);
    if (strcmp(cmd, "templates") == 0)
        return casescribe_tool_templates(home, rest, args);
    if (strcmp(cmd, "names") == 0)
        return casescribe_tool_names(home, rest, args);
    if (strcmp(cmd, "sar") == 0)
        return casescribe_tool_sar(home, rest, args);
    if (strcmp(cmd, "jobs") == 0)
        return casescribe_tool_jobs(home, rest, args);
    if (strcmp(cmd, "policy") == 0)
        return casescribe_tool_policy(home, rest, args);
    if (strcmp(cmd, "doctor") == 0)
        return casescribe_tool_doctor(home, rest, args);
    if (strcmp(cmd, "demo") == 0)
        return rest == 0 ? casescribe_tool_demo(home) : tool_usage();
    return tool_unknown_command(cmd);
}
