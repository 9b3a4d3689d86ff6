/* SPDX-License-Identifier: Apache-2.0 */
/* crash_test.c - a child process is killed with SIGKILL at random moments,
 * many times, while it
 *   1. saves in a loop (kills land in the save and in its commit),
 *   2. opens the home, saves once and closes it, in a loop (kills land in
 *      the open),
 *   3. opens a home whose old journal.log is being imported into the
 *      ledger (kills land in the migration).
 * Afterwards every save the child acknowledged (reported only after
 * casescribe_save returned OK, i.e. after the commit was synced) must be in
 * the journal, the journal must verify, each acknowledged record must
 * verify, and every home must open again: 0 acknowledged saves lost, 0
 * unrecoverable homes. Bounded: a fixed number of rounds of at most 200 ms.
 * Prints TAP. The library is used through its public header only; the old
 * journal.log is written here (zlib's crc32, OpenSSL's SHA-256). */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "casescribe.h"

#define ROUNDS 40
#define OPEN_ROUNDS 20
#define IMPORT_ROUNDS 10
#define IMPORT_ENTRIES 20000
#define MAX_ACKS 20000

static const char form[] =
    "<form xmlns=\"urn:casescribe:form:1\" id=\"%s\" template=\"statutory-home-visit\" team=\"t\" author=\"sw-1\">"
    "<subject id=\"P-1\" role=\"parent\"/>"
    "<consent subject=\"P-1\" given-by=\"self\" method=\"verbal\" capacity=\"has-capacity\" "
    "at=\"2026-01-01T00:00:00Z\" scopes=\"ai-draft\"/>"
    "<section id=\"o\" origin=\"ai-draft\" engine=\"embedded:pocketsphinx\">Visit %s: we talked about school, "
    "the bus route and the weekend plans with the whole family.</section>"
    "<section id=\"a\" origin=\"human\">Round %s analysis.</section></form>";

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

static void remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static casescribe_ctx *open_home(const char *home)
{
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = home;
    casescribe_ctx *ctx = NULL;
    if (casescribe_ctx_open(&ctx, &opts) != CASESCRIBE_OK) {
        fprintf(stderr, "# open: %s\n", casescribe_last_error());
        return NULL;
    }
    return ctx;
}

/* The child: save new records forever, acknowledging each on the pipe;
 * with reopen, the home is opened and closed around every save. */
static void child(const char *home, int round, int ack_fd, int reopen)
{
    casescribe_ctx *ctx = open_home(home);
    if (ctx == NULL)
        _exit(3);
    casescribe_actor actor;
    casescribe_actor_init(&actor, sizeof(actor));
    actor.user_id = "sw-1";
    for (int i = 0;; i++) {
        if (reopen) {
            casescribe_ctx_close(ctx);
            if ((ctx = open_home(home)) == NULL)
                _exit(3);
        }
        char id[64], xml[2048], path[512];
        snprintf(id, sizeof(id), "R-%d-%d", round, i);
        snprintf(xml, sizeof(xml), form, id, id, id);
        uint8_t *out = NULL;
        size_t len = 0;
        if (casescribe_save(&out, &len, ctx, "xml", &actor, (uint8_t *)xml, strlen(xml)) != CASESCRIBE_OK) {
            fprintf(stderr, "# child save failed: %s\n", casescribe_last_error());
            _exit(4);
        }
        snprintf(path, sizeof(path), "%s/out-%s.xml", home, id);
        FILE *f = fopen(path, "wb");
        if (f == NULL || fwrite(out, 1, len, f) != len || fclose(f) != 0)
            _exit(5);
        casescribe_free(out);
        char ack[80];
        int n = snprintf(ack, sizeof(ack), "%s\n", id);
        if (write(ack_fd, ack, (size_t)n) != n)
            _exit(6);
    }
}

/* Runs one round: fork, let it save for a random moment, SIGKILL, read acks. */
static int run_round(const char *home, int round, char **acks, int *n_acks, int reopen)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(fds[0]);
        child(home, round, fds[1], reopen);
    }
    close(fds[1]);
    struct timespec nap = {0, (long)(20 + rand() % 180) * 1000000L};
    nanosleep(&nap, NULL);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    FILE *f = fdopen(fds[0], "r");
    char line[128];
    while (f != NULL && fgets(line, sizeof(line), f) != NULL && *n_acks < MAX_ACKS) {
        if (strchr(line, '\n') == NULL)
            break; /* a torn acknowledgement line: the save was acked only if the line is whole */
        line[strcspn(line, "\n")] = '\0';
        acks[(*n_acks)++] = strdup(line);
    }
    if (f != NULL)
        fclose(f);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : -1;
}

/* The record ids in the journal, in order (one pass over the entries). */
static char **journal_ids(casescribe_ctx *ctx, uint64_t entries)
{
    char **ids = calloc(entries + 1, sizeof(*ids));
    for (uint64_t seq = 1; ids != NULL && seq <= entries; seq++) {
        casescribe_journal_entry *e = NULL;
        if (casescribe_journal_entry_get(&e, ctx, seq) == CASESCRIBE_OK &&
            casescribe_journal_entry_record_id(e) != NULL) /* a save, not the policy change */
            ids[seq - 1] = strdup(casescribe_journal_entry_record_id(e));
        casescribe_journal_entry_free(e);
    }
    return ids;
}

static int in_journal(char **ids, uint64_t entries, const char *id)
{
    for (uint64_t i = 0; ids != NULL && i < entries; i++)
        if (ids[i] != NULL && strcmp(ids[i], id) == 0)
            return 1;
    return 0;
}

static int verify_file(casescribe_ctx *ctx, const char *home, const char *id)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/out-%s.xml", home, id);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    static uint8_t buf[65536];
    size_t len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    return casescribe_verify(NULL, ctx, "xml", buf, len) == CASESCRIBE_OK;
}

/* ---- kill -9 during the import of an old journal.log ------------------- */

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Writes an old-format journal.log of n save entries (framed: u32 LE
 * length | u32 LE crc32 | payload, each chained by "prev"). */
static int write_old_journal(const char *path, int n)
{
    FILE *f = fopen(path, "wb");
    char prev[65] = "", payload[512];
    for (int i = 1; f != NULL && i <= n; i++) {
        int len = snprintf(payload, sizeof(payload),
                           "{\"actor\":\"sw-1\",\"ai\":[],\"digest\":\"sha256:%064d\",\"form\":\"sha256:f\","
                           "\"key\":\"k1\",\"kind\":\"save\",\"prev\":\"%s\",\"record\":\"M-%d\",\"seq\":%d,"
                           "\"team\":\"t\",\"time\":\"2025-01-01T00:00:00Z\",\"version\":1}",
                           i, prev, i, i);
        unsigned char head[8], md[32];
        put_le32(head, (uint32_t)len);
        put_le32(head + 4, (uint32_t)crc32(0L, (const Bytef *)payload, (uInt)len));
        if (fwrite(head, 1, 8, f) != 8 || fwrite(payload, 1, (size_t)len, f) != (size_t)len ||
            EVP_Digest(payload, (size_t)len, md, NULL, EVP_sha256(), NULL) != 1)
            break;
        for (int j = 0; j < 32; j++)
            snprintf(prev + 2 * j, 3, "%02x", md[j]);
        if (i == n)
            return fclose(f) == 0 ? 0 : -1;
    }
    if (f != NULL)
        fclose(f);
    return -1;
}

/* One home with a journal.log; a child opens it (importing it) and is
 * killed at a random moment of the import. The home must then open, hold
 * every one of the old entries and verify. 0: all well. */
static int import_round(int *killed)
{
    char home[] = "/tmp/cs-crash-import-XXXXXX", path[256];
    if (mkdtemp(home) == NULL)
        return -1;
    snprintf(path, sizeof(path), "%s/journal.log", home);
    int bad = write_old_journal(path, IMPORT_ENTRIES) != 0;
    pid_t pid = bad ? -1 : fork();
    if (pid == 0) {
        casescribe_ctx *ctx = open_home(home);
        casescribe_ctx_close(ctx);
        _exit(0);
    }
    struct timespec nap = {0, (long)(rand() % 200) * 1000000L};
    nanosleep(&nap, NULL);
    int status = 0;
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        *killed += WIFSIGNALED(status);
    }
    casescribe_ctx *ctx = bad ? NULL : open_home(home);
    uint64_t entries = 0;
    bad = ctx == NULL || casescribe_journal_verify(&entries, NULL, ctx) != CASESCRIBE_OK ||
          entries != IMPORT_ENTRIES;
    snprintf(path, sizeof(path), "%s/journal.log.imported", home);
    bad = bad || access(path, F_OK) != 0;
    if (bad)
        printf("# import round: %llu entries after the kill (want %d): %s\n", (unsigned long long)entries,
               IMPORT_ENTRIES, casescribe_last_error());
    casescribe_ctx_close(ctx);
    remove_tree(home);
    return bad ? -1 : 0;
}

int main(void)
{
    char home[] = "/tmp/cs-crash-XXXXXX";
    static char *acks[MAX_ACKS];
    int n_acks = 0, failures = 0;
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    printf("1..5\n");
    casescribe_ctx *ctx = mkdtemp(home) != NULL ? open_home(home) : NULL;
    /* The saves hold AI drafts: team t's admin switches AI drafting on. */
    if (ctx == NULL || casescribe_keygen(NULL, ctx, 0) != CASESCRIBE_OK ||
        casescribe_team_set(ctx, "admin-1", "t", "ai-draft", "on") != CASESCRIBE_OK) {
        printf("Bail out! cannot set up the home\n");
        return 1;
    }
    casescribe_ctx_close(ctx);
    for (int round = 0; round < ROUNDS; round++)
        failures += run_round(home, round, acks, &n_acks, 0) != 0;
    printf("%s 1 - %d rounds killed with SIGKILL mid-save (%d acknowledged saves)\n", failures ? "not ok" : "ok",
           ROUNDS, n_acks);
    int open_failures = 0;
    for (int round = ROUNDS; round < ROUNDS + OPEN_ROUNDS; round++)
        open_failures += run_round(home, round, acks, &n_acks, 1) != 0;
    printf("%s 2 - %d rounds killed with SIGKILL while opening the home, saving once and closing it (%d "
           "acknowledged saves in all)\n", open_failures ? "not ok" : "ok", OPEN_ROUNDS, n_acks);
    failures += open_failures;

    ctx = open_home(home); /* cuts any torn tail */
    uint64_t entries = 0;
    int32_t rc = ctx != NULL ? casescribe_journal_verify(&entries, NULL, ctx) : CASESCRIBE_EIO;
    printf("%s 3 - journal verifies after recovery: %llu entries, torn tail cut: %llu bytes\n",
           rc == CASESCRIBE_OK ? "ok" : "not ok", (unsigned long long)entries,
           (unsigned long long)casescribe_journal_truncated_bytes(ctx));
    if (rc != CASESCRIBE_OK)
        printf("# %s\n", casescribe_last_error());

    int lost = 0;
    char **ids = ctx != NULL ? journal_ids(ctx, entries) : NULL;
    for (int i = 0; ctx != NULL && i < n_acks; i++) {
        if (!in_journal(ids, entries, acks[i]) || !verify_file(ctx, home, acks[i])) {
            printf("# acknowledged save %s is missing or does not verify\n", acks[i]);
            lost++;
        }
    }
    int ok3 = lost == 0 && n_acks > 0 && entries >= (uint64_t)n_acks;
    printf("%s 4 - every acknowledged save is in the journal and verifies (%d lost)\n", ok3 ? "ok" : "not ok", lost);
    casescribe_ctx_close(ctx);
    for (int i = 0; i < n_acks; i++)
        free(acks[i]);
    for (uint64_t i = 0; ids != NULL && i < entries; i++)
        free(ids[i]);
    free(ids);
    remove_tree(home);
    int import_failures = 0, killed = 0;
    for (int round = 0; round < IMPORT_ROUNDS; round++)
        import_failures += import_round(&killed) != 0;
    printf("%s 5 - %d homes killed with SIGKILL while importing a journal.log of %d entries (%d before the import "
           "ended): every one opens and holds every entry (%d unrecoverable)\n", import_failures ? "not ok" : "ok",
           IMPORT_ROUNDS, IMPORT_ENTRIES, killed, import_failures);
    return failures == 0 && import_failures == 0 && rc == CASESCRIBE_OK && ok3 ? 0 : 1;
}
