/* casescribe - the command-line tool. It uses only the public header, like
 * any host system would.
 *
 *   casescribe [--home DIR] keygen [--rotate]
 *   casescribe [--home DIR] save IN -o OUT [--adapter NAME] [--actor ID --team T --role R]
 *   casescribe [--home DIR] verify FILE [--adapter NAME] [--pubkey KEY.pem]
 *   casescribe [--home DIR] journal verify [--checkpoint FILE]... [--record FILE]... [--adapter NAME]
 *   casescribe [--home DIR] journal recover --from BACKUP
 *   casescribe [--home DIR] --read-only COMMAND ...   (open the home without writing to it)
 *   casescribe [--home DIR] checkpoint export [-o FILE]
 *   casescribe [--home DIR] demo
 *   casescribe [--home DIR] pubkey [--fingerprint|--all]
 *   casescribe [--home DIR] keys list | trust FILE.pem [--actor ID] | export [-o FILE]
 *   casescribe [--home DIR] team list | show TEAM | enable TEAM FEATURE |
 *                           disable TEAM FEATURE | set TEAM KEY VALUE [--actor ID]
 *   casescribe [--home DIR] policy trust ADMIN.pub | refresh URL | sign-bundle (policy.c)
 *   casescribe [--home DIR] transcribe FORM.xml RECORDING (transcribe.c)
 *   casescribe [--home DIR] fill TEMPLATE TRANSCRIPT --subjects FORM.xml [-o DRAFT.xml] | templates (fill.c)
 *   casescribe [--home DIR] sar SUBJECT-ID RECORD.xml... -o EXPORT.zip | sar verify EXPORT.zip (sar.c)
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

static const char usage_text[] =
    "usage: casescribe [--home DIR] [--store URI] [--read-only] COMMAND\n"
    "  keygen [--rotate]                      make (or rotate) the home's signing key\n"
    "  save IN -o OUT [--adapter NAME] [--actor ID] [--team T] [--role R]\n"
    "                                         save a form through the hook and write the stamped record\n"
    "  verify FILE [--adapter NAME] [--pubkey KEY.pem]\n"
    "                                         check a stamped record and say how it was made (--pubkey: a key\n"
    "                                         or a bundle from pubkey --all / keys export)\n"
    "      --adapter: xml (the reference form, the default) or fhir (an HL7 FHIR R4 Bundle, JSON or XML:\n"
    "      the output is in the format of the input)\n"
    "  journal verify [--checkpoint FILE]... [--record FILE]... [--adapter NAME]\n"
    "                                         check the home's journal (the ledger), and that it still holds\n"
    "                                         what each checkpoint or stamped record kept elsewhere saw\n"
    "  journal recover --from BACKUP          rebuild a ledger damaged in its middle from a backup (a copy of\n"
    "                                         ledger.db or a backed-up home) and the damaged ledger's entries\n"
    "                                         that still follow it; the damaged one is kept; stop hosts first\n"
    "  checkpoint export [-o FILE]            the ledger's latest signed checkpoint, to keep outside the home\n"
    "  pubkey [--fingerprint|--all]           print the home's public key (PEM) for offline verification, or\n"
    "                                         its SHA-256 fingerprint for the council to publish, or (--all)\n"
    "                                         every key it has signed with, ids and validity, for verify --pubkey\n"
    "  store status|init|migrate              the store the home names (its own SQLite ledger, or a shared\n"
    "                                         PostgreSQL one: casescribe.conf `store = URI`, CASESCRIBE_STORE or\n"
    "                                         --store URI): where, schema, entries; init creates its schema,\n"
    "                                         migrate upgrades it\n"
    "  store copy --to URI                    copy the home's own SQLite ledger into an empty PostgreSQL store\n"
    "  keys list                              the key registry: the home's keys, rotations and trusted keys\n"
    "  keys trust FILE.pem [--actor ID]       trust another server's public key(s) (a PEM or its pubkey --all)\n"
    "  keys export [-o FILE]                  every key of the registry, ids and validity, as one PEM bundle\n"
    "  demo                                   save, review, stamp and verify a sample form\n"
    "  team list                              the teams that have a policy\n"
    "  team show TEAM                         a team's features and settings, and whether its policy is valid\n"
    "  team enable|disable TEAM FEATURE [--actor ID]\n"
    "                                         switch transcription, ai-draft, external-ai or observation-tags\n"
    "  team set TEAM KEY VALUE [--actor ID]   audio-retention-days (0-365), engine (embedded|remote),\n"
    "                                         endpoints (space-separated https URLs), allow-without-template\n"
    "                                         (form template ids AI text may use without a known template)\n"
    "  transcribe FORM.xml RECORDING [--format text|xml] [--helper PATH] [--take]\n"
    "                                         transcribe a visit recording (team policy and consent on the form\n"
    "                                         permitting); --take: keep it only as the policy's retention says\n"
    "  audio sweep                            delete taken recordings whose retention has run out\n"
    "  templates                              the form templates installed, and which sections AI never drafts\n"
    "  templates install FILE                 sign a template with the home's key and install it in the home\n"
    "  fill TEMPLATE TRANSCRIPT.xml --subjects FORM.xml [-o DRAFT.xml] [--max-sentences N]\n"
    "                                         draft the form's sections from a transcript, every sentence cited\n"
    "                                         (team policy ai-draft and consent on the form permitting)\n"
    "  sar SUBJECT-ID RECORD.xml... -o EXPORT.zip [--review FILE.csv] [--redact FILE.csv]\n"
    "      [--organisation NAME] [--contact TEXT]\n"
    "                                         a subject access export: the person's records in plain English,\n"
    "                                         machine-readable and sealed; the officer's list of other people\n"
    "                                         goes to --review (default EXPORT.redaction-review.csv)\n"
    "  sar verify EXPORT.zip [--key KEY.pem]  check an export's seal and name any changed, added or missing file;\n"
    "                                         without the council's key (--key, or --home) it exits 3: not proven\n"
    "  policy trust ADMIN.pub [--actor ID]    trust the council's policy admin key for bundles\n"
    "  policy refresh URL [--ca CA.pem] [--timeout-ms N]\n"
    "                                         fetch the council's signed policy bundle and apply it\n"
    "  policy sign-bundle IN.xml --key ADMIN.key -o OUT.xml\n"
    "                                         sign a bundle with the admin's private key (mode 0600)\n"
    "The home is --home, else $CASESCRIBE_HOME, else ~/.local/share/casescribe. --read-only opens it\n"
    "without writing anything (a backup, a snapshot; implied when the folder is not writable): verify,\n"
    "journal verify and pubkey work there.\n";

/* CASESCRIBE_OPEN_READ_ONLY when --read-only was given. */
static uint32_t open_flags;

int tool_usage(void)
{
    fputs(usage_text, stderr);
    return EXIT_USAGE;
}

/* One line on stderr: what failed and why. */
int tool_fail(const char *what, int32_t status)
{
    const char *detail = casescribe_last_error();
    fprintf(stderr, "casescribe: %s: %s\n", what, detail[0] ? detail : casescribe_strerror(status));
    return status == CASESCRIBE_EINVAL ? EXIT_USAGE : EXIT_REFUSED;
}

int tool_read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "casescribe: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = (size_t)CASESCRIBE_MAX_PAYLOAD + 1, n = 0;
    uint8_t *buf = malloc(cap);
    if (buf != NULL)
        n = fread(buf, 1, cap, f);
    int bad = buf == NULL || ferror(f);
    fclose(f);
    if (bad || n == cap) {
        fprintf(stderr, "casescribe: cannot read %s: %s\n", path, bad ? "read error" : "file too large");
        free(buf);
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

/* Writes the stamped record beside its final name, syncs it and renames it
 * into place: the save is already journalled, so a half-written output
 * file would leave the worker with a record the home no longer accepts.
 * Mode 0600 whatever the umask: records and drafts hold personal data. */
int tool_write_file(const char *path, const uint8_t *data, size_t len)
{
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (tmp == NULL) {
        fprintf(stderr, "casescribe: out of memory\n");
        return -1;
    }
    snprintf(tmp, n, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    int ok = f != NULL && fwrite(data, 1, len, f) == len && fflush(f) == 0 && fsync(fileno(f)) == 0 &&
             fchmod(fileno(f), 0600) == 0;
    if (f != NULL)
        ok = fclose(f) == 0 && ok;
    else if (fd >= 0)
        close(fd);
    ok = ok && rename(tmp, path) == 0;
    if (!ok) {
        fprintf(stderr, "casescribe: cannot write %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            unlink(tmp);
    }
    free(tmp);
    return ok ? 0 : -1;
}

int tool_open_home(casescribe_ctx **ctx, const char *home, uint32_t flags)
{
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = home;
    opts.flags = flags | open_flags;
    int32_t rc = casescribe_ctx_open(ctx, &opts);
    return rc == CASESCRIBE_OK ? 0 : tool_fail("cannot open the home", rc);
}

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

/* The admin named in the audit entry: --actor, else the login name. */
const char *tool_admin_name(const char *given)
{
    const char *user = getenv("USER");
    return given != NULL ? given : user != NULL && user[0] != '\0' ? user : "admin";
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
        open_flags = CASESCRIBE_OPEN_READ_ONLY;
        i++;
    }
    if (i >= argc)
        return tool_usage();
    const char *cmd = argv[i++];
    int rest = argc - i;
    char **args = argv + i;
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
    if (strcmp(cmd, "sar") == 0)
        return casescribe_tool_sar(home, rest, args);
    if (strcmp(cmd, "policy") == 0)
        return casescribe_tool_policy(home, rest, args);
    if (strcmp(cmd, "demo") == 0)
        return rest == 0 ? casescribe_tool_demo(home) : tool_usage();
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    return tool_usage();
}
