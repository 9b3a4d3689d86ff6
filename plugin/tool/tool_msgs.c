/* SPDX-License-Identifier: Apache-2.0 */
/* tool_msgs.c - what the command says: its usage and its one-line errors. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

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
    "                                         what each checkpoint or stamped record kept elsewhere saw (a\n"
    "                                         subject access export, or its manifest.xml, counts as a checkpoint)\n"
    "  journal recover --from BACKUP          rebuild a ledger damaged in its middle from a backup (a copy of\n"
    "                                         ledger.db or a backed-up home) and the damaged ledger's entries\n"
    "                                         that still follow it; the damaged one is kept; stop hosts first\n"
    "  journal list [--since N] [--kind K] [--format text|json]\n"
    "                                         the ledger's entries after number N (all: 0), one a line; json:\n"
    "                                         each entry as the ledger holds it, for a SIEM (no personal data)\n"
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
    "  doctor [--format text|json]            check the home's health, one line per check: keys, permissions,\n"
    "                                         ledger, checkpoint, clock, policies (exit 0 healthy, 1 warnings,\n"
    "                                         2 failures); changes nothing\n"
    "  team list                              the teams that have a policy\n"
    "  team show TEAM                         a team's features and settings, and whether its policy is valid\n"
    "  team enable|disable TEAM FEATURE [--actor ID]\n"
    "                                         switch transcription, ai-draft, external-ai or observation-tags\n"
    "  team set TEAM KEY VALUE [--actor ID]   audio-retention-days (0-365), engine (embedded|remote),\n"
    "                                         endpoints (space-separated https URLs), allow-without-template\n"
    "                                         (form template ids AI text may use without a known template)\n"
    "  transcribe FORM.xml RECORDING [--format text|xml] [--helper PATH] [--take] [--tags FILE]\n"
    "                                         transcribe a visit recording (team policy and consent on the form\n"
    "                                         permitting); --take: keep it only as the policy's retention says;\n"
    "                                         --tags: the worker's observation tags, \"hh:mm:ss label\" a line\n"
    "  audio sweep                            delete taken recordings whose retention has run out\n"
    "  jobs list                              the home's kept jobs (transcription, fill): id, kind, state, times\n"
    "  jobs attach|resume ID [-o FILE] [--keep]\n"
    "                                         what a job that ended made (attach), or run one that a restart\n"
    "                                         interrupted to its end (resume); --keep leaves it for later\n"
    "  templates                              the form templates installed, and which sections AI never drafts\n"
    "  templates install FILE                 sign a template with the home's key and install it in the home\n"
    "  names install FILE                     sign the home's external names (names-1.xsd: another system's\n"
    "                                         record identifiers, team and questionnaires -> templates) with\n"
    "                                         the home's key and install them as <home>/names.xml\n"
    "  fill TEMPLATE TRANSCRIPT --subjects FORM.xml [-o DRAFT.xml] [--max-sentences N]\n"
    "      [--style quote|reported]\n"
    "                                         draft the form's sections from a transcript (XML, WebVTT, SRT or\n"
    "                                         [hh:mm:ss] text), every sentence cited; --style reported: each\n"
    "                                         speaker's line as reported speech (\"Kerry said they...\")\n"
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
    "journal verify and pubkey work there. casescribe COMMAND --help (or -h) shows one command's usage;\n"
    "--version the command's and the library's versions.\n"
    "Exit status: 0 done; 1 refused or failed (one line on stderr says why); 2 usage error (an unknown\n"
    "command or option, a missing argument); 3 sar verify: not proven (no trusted key given). doctor:\n"
    "0 healthy, 1 warnings, 2 failures.\n";

/* The subcommand being run (set by main) and its arguments: a usage error
 * names what it could not use and shows that command's lines only. */
static const char *current_cmd;
static int current_argc;
static char **current_argv;

void tool_set_command(const char *cmd, int argc, char **argv)
{
    current_cmd = cmd;
    current_argc = argc;
    current_argv = argv;
}

/* Levenshtein distance of two short words (capped at 32 characters). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strnlen(a, 32), lb = strnlen(b, 32), row[33];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            best = up + 1 < best ? up + 1 : best;
            best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

/* A usage line's word starting at `p` (up to a space or one of "[]|:,()."),
 * copied into word[64]; returns the character after it. */
static const char *next_word(const char *p, char *word)
{
    size_t n = 0;
    while (*p != '\0' && *p != '\n' && strchr(" []|:,().", *p) == NULL) {
        if (n < 63)
            word[n++] = *p;
        p++;
    }
    word[n] = '\0';
    return p;
}

/* Calls fn(word, arg) for each word of the usage entries of `cmd` (every
 * entry when cmd is NULL) that is its first word (options == 0) or an
 * option, "-x" or "--xyz" (options == 1). An entry is a line starting with
 * two spaces and a word, and the more-indented lines that follow it. */
static void each_word(const char *cmd, int options, void (*fn)(const char *, void *), void *arg)
{
    int in_entry = 0;
    char word[64];
    for (const char *line = usage_text; *line != '\0';) {
        const char *end = strchr(line, '\n');
        int starts = line[0] == ' ' && line[1] == ' ' && line[2] != ' ';
        if (starts) {
            next_word(line + 2, word);
            in_entry = cmd == NULL || strcmp(word, cmd) == 0;
            if (!options && in_entry)
                fn(word, arg);
        } else if (line[0] != ' ') {
            in_entry = 0;
        }
        for (const char *p = line; options && in_entry && p < end; p++) {
            if (*p == '-' && (p == line || strchr(" [|(", p[-1]) != NULL) && p[1] != ' ') {
                p = next_word(p, word) - 1;
                fn(word, arg);
            }
        }
        line = end + 1;
    }
}

/* Calls fn(word, arg) for each subcommand word of `cmd`'s entries ("keys
 * list", "team enable|disable ...": list, enable, disable), and fn(NULL,
 * arg) for an entry that takes none (its second word is an argument or an
 * option, or its synopsis is the command alone). */
static void each_subcommand(const char *cmd, void (*fn)(const char *, void *), void *arg)
{
    char word[64];
    for (const char *line = usage_text; *line != '\0'; line = strchr(line, '\n') + 1) {
        if (line[0] != ' ' || line[1] != ' ' || line[2] == ' ')
            continue;
        const char *p = next_word(line + 2, word);
        if (strcmp(word, cmd) != 0)
            continue;
        if (p[0] != ' ' || p[1] < 'a' || p[1] > 'z') {
            fn(NULL, arg);
            continue;
        }
        p++;
        do {
            p = next_word(p, word);
            fn(word, arg);
        } while (*p == '|' && *++p != '\0');
    }
}

/* The known word nearest to `given`, for "did you mean". */
struct nearest {
    const char *given;
    char best[64];
    size_t distance;
    int exact;
};

static void consider(const char *word, void *arg)
{
    struct nearest *n = arg;
    if (word == NULL) { /* an entry where any word goes */
        n->exact = 1;
        return;
    }
    size_t d = edit_distance(n->given, word);
    n->exact |= d == 0;
    if (d < n->distance) {
        n->distance = d;
        snprintf(n->best, sizeof(n->best), "%s", word);
    }
}

/* "" or " (did you mean 'X'?)" into buf[96]; *exact when `given` is known. */
static const char *did_you_mean(const char *cmd, int options, const char *given, char *buf, int *exact)
{
    struct nearest n = {given, "", 3, 0};
    each_word(cmd, options, consider, &n);
    if (options) {
        static const char *const global[] = {"--home", "--read-only", "--help", "-h", "--version"};
        for (size_t i = 0; i < sizeof(global) / sizeof(*global); i++)
            consider(global[i], &n);
    }
    *exact = n.exact;
    buf[0] = '\0';
    if (n.best[0] != '\0' && n.distance < strlen(given))
        snprintf(buf, 96, " (did you mean '%s'?)", n.best);
    return buf;
}

/* The lines of the usage about `cmd`, after the usage line. */
static void print_command_usage(FILE *to, const char *cmd)
{
    fputs("usage: casescribe [--home DIR] [--store URI] [--read-only] COMMAND\n", to);
    int in_entry = 0;
    char word[64];
    for (const char *line = usage_text; *line != '\0';) {
        const char *end = strchr(line, '\n');
        if (line[0] == ' ' && line[1] == ' ' && line[2] != ' ') {
            next_word(line + 2, word);
            in_entry = strcmp(word, cmd) == 0;
        } else if (line[0] != ' ') {
            in_entry = 0;
        }
        if (in_entry)
            fprintf(to, "%.*s\n", (int)(end - line), line);
        line = end + 1;
    }
    fputs("Exit status: 0 done, 1 refused or failed, 2 usage error (casescribe --help says more).\n", to);
}

/* The first argument that looks like an option the command does not know. */
static const char *unknown_option(char *hint)
{
    for (int i = 0; i < current_argc; i++) {
        const char *a = current_argv[i];
        int exact = 0;
        if (a[0] != '-' || !(a[1] == '-' || (a[1] >= 'a' && a[1] <= 'z') || (a[1] >= 'A' && a[1] <= 'Z')))
            continue;
        did_you_mean(current_cmd, 1, a, hint, &exact);
        if (!exact)
            return a;
    }
    return NULL;
}

/* The first argument, when the command takes a subcommand word and this is
 * none of them. */
static const char *unknown_subcommand(char *hint)
{
    if (current_argc < 1 || current_argv[0][0] == '-')
        return NULL;
    struct nearest n = {current_argv[0], "", 3, 0};
    each_subcommand(current_cmd, consider, &n);
    hint[0] = '\0';
    if (n.best[0] != '\0' && n.distance < strlen(n.given))
        snprintf(hint, 96, " (did you mean '%s'?)", n.best);
    return n.exact ? NULL : n.given;
}

int tool_usage(void)
{
    char hint[96];
    const char *bad = current_cmd != NULL ? unknown_option(hint) : NULL;
    const char *bad_sub = current_cmd != NULL && bad == NULL ? unknown_subcommand(hint) : NULL;
    if (bad != NULL)
        fprintf(stderr, "casescribe %s: unknown option '%.64s'%s\n", current_cmd, bad, hint);
    if (bad_sub != NULL)
        fprintf(stderr, "casescribe %s: unknown subcommand '%.64s'%s\n", current_cmd, bad_sub, hint);
    if (current_cmd != NULL && tool_known_command(current_cmd))
        print_command_usage(stderr, current_cmd);
    else
        fputs(usage_text, stderr);
    return EXIT_USAGE;
}

int tool_known_command(const char *cmd)
{
    char hint[96];
    int exact = 0;
    did_you_mean(NULL, 0, cmd, hint, &exact);
    return exact;
}

int tool_unknown_command(const char *cmd)
{
    char hint[96];
    int exact = 0;
    if (cmd[0] == '-') { /* in the command's place: a global option out of order, or another */
        did_you_mean("", 1, cmd, hint, &exact);
        if (exact)
            fprintf(stderr, "casescribe: %.64s goes before the command, with its value if it takes one\n", cmd);
        else
            fprintf(stderr, "casescribe: unknown option '%.64s'%s\n", cmd, hint);
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    did_you_mean(NULL, 0, cmd, hint, &exact);
    fprintf(stderr, "casescribe: unknown command '%.64s'%s\n", cmd, hint);
    fputs(usage_text, stderr);
    return EXIT_USAGE;
}

int tool_command_help(const char *cmd)
{
    print_command_usage(stdout, cmd);
    return 0;
}

int tool_wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

void tool_print_usage(FILE *to)
{
    fputs(usage_text, to);
}

/* One line on stderr: what failed and why. */
int tool_fail(const char *what, int32_t status)
{
    const char *detail = casescribe_last_error();
    fprintf(stderr, "casescribe: %s: %s\n", what, detail[0] ? detail : casescribe_strerror(status));
    return status == CASESCRIBE_EINVAL ? EXIT_USAGE : EXIT_REFUSED;
}
