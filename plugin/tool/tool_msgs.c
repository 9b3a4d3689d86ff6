/* tool_msgs.c - what the command says: its usage and its one-line errors. */
#include <stdio.h>

#include "casescribe.h"
#include "tool.h"

static const char usage_text[] =
    "usage: casescribe [--home DIR] [--read-only] COMMAND\n"
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

int tool_usage(void)
{
    fputs(usage_text, stderr);
    return EXIT_USAGE;
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
