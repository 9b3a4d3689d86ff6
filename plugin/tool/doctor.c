/* SPDX-License-Identifier: Apache-2.0 */
/* doctor.c - `casescribe doctor`: the home's health, one line per check,
 * for an operator or (--format json) a monitoring system. It changes
 * nothing: the home is opened read-only.
 *
 *   doctor [--format text|json]
 *
 * Exit status: 0 healthy, 1 warnings only, 2 a check failed (or a usage
 * error).
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tool.h"

enum level { OK, WARN, FAIL };
static const char *const level_name[] = {"ok", "warn", "FAIL"};

struct doctor {
    const char *home;
    casescribe_ctx *ctx;
    enum level worst;
    json_t *checks; /* --format json: the checks, else NULL */
};

/* Says one check's outcome: a line of text, or an item of the JSON list. */
static void report(struct doctor *d, enum level level, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void report(struct doctor *d, enum level level, const char *check, const char *fmt, ...)
{
    char detail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    d->worst = level > d->worst ? level : d->worst;
    if (d->checks == NULL) {
        printf("%-4s %-12s %s\n", level_name[level], check, detail);
        return;
    }
    json_t *item = json_pack("{s:s, s:s, s:s}", "check", check, "status", level == FAIL ? "fail" : level_name[level],
                             "detail", detail);
    if (item == NULL || json_array_append_new(d->checks, item) != 0)
        d->worst = FAIL;
}

/* "<home>/<name>", in buf[4096]. */
static const char *home_path(const struct doctor *d, const char *name, char *buf)
{
    snprintf(buf, 4096, "%s%s%s", d->home, name[0] ? "/" : "", name);
    return buf;
}

/* A folder only its owner may enter: FAIL when others may write, WARN when they may read. */
static void check_folder(struct doctor *d, const char *check, const char *name)
{
    char path[4096];
    struct stat st;
    if (stat(home_path(d, name, path), &st) != 0 || !S_ISDIR(st.st_mode)) {
        report(d, FAIL, check, "%s: %s", path, S_ISDIR(st.st_mode) ? strerror(errno) : "not a folder");
        return;
    }
    unsigned mode = (unsigned)st.st_mode & 0777;
    if (mode & 022)
        report(d, FAIL, check, "%s is mode %03o: others may write there (chmod 700)", path, mode);
    else if (mode & 077)
        report(d, WARN, check, "%s is mode %03o: others may look inside (chmod 700)", path, mode);
    else
        report(d, OK, check, "%s is mode %03o", path, mode);
}

/* A secret file: present, a regular file, mode 0600 (or stricter). */
static int check_secret_file(struct doctor *d, const char *check, const char *name)
{
    char path[4096];
    struct stat st;
    if (stat(home_path(d, name, path), &st) != 0) {
        report(d, FAIL, check, "%s is missing: restore it from the home's backup", path);
        return -1;
    }
    unsigned mode = (unsigned)st.st_mode & 0777;
    if (!S_ISREG(st.st_mode) || (mode & 077) != 0) {
        report(d, FAIL, check, "%s is mode %03o: only its owner may read it (chmod 600)", path, mode);
        return -1;
    }
    return 0;
}

/* The in-use home key of a `keys list` listing, into id[128]; 0 or -1. */
static int in_use_key(const char *listing, char *id)
{
    for (const char *line = listing; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t n = end != NULL ? (size_t)(end - line) : strlen(line);
        char copy[512];
        snprintf(copy, sizeof(copy), "%.*s", (int)(n < 511 ? n : 511), line);
        if (strstr(copy, " home ") != NULL && strstr(copy, " in-use") != NULL && sscanf(copy, "%127s", id) == 1)
            return 0;
        line = end != NULL ? end + 1 : NULL;
    }
    return -1;
}

/* Every .key file of keys/ is a home key of the registry. */
static void check_key_files(struct doctor *d, const char *listing)
{
    char path[4096];
    DIR *dir = opendir(home_path(d, "keys", path));
    for (struct dirent *e = dir != NULL ? readdir(dir) : NULL; e != NULL; e = readdir(dir)) {
        size_t n = strlen(e->d_name);
        if (n <= 4 || strcmp(e->d_name + n - 4, ".key") != 0)
            continue;
        char line[300];
        snprintf(line, sizeof(line), "%.*s home ", (int)(n - 4), e->d_name);
        if (strstr(listing, line) == NULL) {
            report(d, WARN, "keys", "keys/%s is not in the key registry (a key copied in by hand?)", e->d_name);
        }
    }
    if (dir != NULL)
        closedir(dir);
}

static void check_keys(struct doctor *d)
{
    char *listing = NULL, id[128], name[200];
    int32_t rc = casescribe_keys_export(&listing, d->ctx, CASESCRIBE_KEYS_LIST | CASESCRIBE_KEYS_HOME);
    if (rc != CASESCRIBE_OK || in_use_key(listing, id) != 0) {
        report(d, FAIL, "keys", "the home has no signing key in use: make one with `casescribe keygen`");
    } else {
        snprintf(name, sizeof(name), "keys/%s.key", id);
        if (check_secret_file(d, "keys", name) == 0)
            report(d, OK, "keys", "signing key %s in use, its private key present and mode 600", id);
        check_key_files(d, listing);
    }
    casescribe_free(listing);
    if (check_secret_file(d, "fingerprint", "keys/fingerprint.secret") == 0)
        report(d, OK, "fingerprint", "keys/fingerprint.secret present and mode 600");
}

/* A checkpoint's entry count and time (its 2nd and 4th lines); 0 or -1. */
static int parse_checkpoint(const char *text, unsigned long long *size, long long *at)
{
    const char *l2 = strchr(text, '\n'), *l3 = l2 != NULL ? strchr(l2 + 1, '\n') : NULL;
    const char *l4 = l3 != NULL ? strchr(l3 + 1, '\n') : NULL;
    return l4 != NULL && sscanf(l2 + 1, "%llu", size) == 1 && sscanf(l4 + 1, "time %lld", at) == 1 ? 0 : -1;
}

/* The clock against the ledger's last commit (the checkpoint's time). */
static void check_clock(struct doctor *d, long long at)
{
    long long now = (long long)time(NULL), behind = at - now;
    if (behind > (long long)CASESCRIBE_CLOCK_SKEW)
        report(d, FAIL, "clock", "this clock is %lld s behind the ledger's last commit: saves are refused until it "
                                 "is right (check NTP)", behind);
    else if (behind > 0)
        report(d, WARN, "clock", "this clock is %lld s behind the ledger's last commit (check NTP)", behind);
    else
        report(d, OK, "clock", "after the ledger's last commit (%lld s ago)", -behind);
}

static void check_checkpoint(struct doctor *d, uint64_t entries)
{
    char *text = NULL, *found = NULL;
    unsigned long long size = 0;
    long long at = 0;
    int32_t rc = casescribe_checkpoint_export(&text, d->ctx);
    if (rc == CASESCRIBE_ENOTFOUND)
        report(d, entries == 0 ? OK : WARN, "checkpoint", "no signed checkpoint yet (one comes with the first commit "
                                                          "after the home has a key)");
    else if (rc != CASESCRIBE_OK || parse_checkpoint(text, &size, &at) != 0)
        report(d, FAIL, "checkpoint", "the latest checkpoint cannot be read: %s", casescribe_last_error());
    else if ((rc = casescribe_journal_check(&found, d->ctx, NULL, (const uint8_t *)text, strlen(text))) != CASESCRIBE_OK)
        report(d, FAIL, "checkpoint", "the ledger does not hold its own latest checkpoint: %s", casescribe_last_error());
    else if (size != entries)
        report(d, WARN, "checkpoint", "the latest checkpoint covers %llu of %llu entries", size,
               (unsigned long long)entries);
    else
        report(d, OK, "checkpoint", "the latest signed checkpoint is the chain head (%llu entries)", size);
    if (rc == CASESCRIBE_OK && at > 0)
        check_clock(d, at);
    casescribe_free(found);
    casescribe_free(text);
}

/* The library's one-line report names where the ledger is. */
static void check_ledger(struct doctor *d)
{
    uint64_t entries = 0;
    char *said = NULL;
    int32_t rc = casescribe_journal_verify(&entries, &said, d->ctx);
    if (said != NULL)
        said[strcspn(said, "\n")] = '\0';
    if (rc != CASESCRIBE_OK)
        report(d, FAIL, "ledger", "%s (see `casescribe journal recover`)", casescribe_last_error());
    else
        report(d, OK, "ledger", "%s", said != NULL ? said : "every entry and the hash chain check out");
    casescribe_free(said);
    if (rc == CASESCRIBE_OK)
        check_checkpoint(d, entries);
}

static void check_policies(struct doctor *d)
{
    char *teams = NULL;
    if (casescribe_team_list(&teams, d->ctx) != CASESCRIBE_OK) {
        report(d, FAIL, "policy", "the teams cannot be listed: %s", casescribe_last_error());
        return;
    }
    int n = 0;
    for (char *save = NULL, *team = strtok_r(teams, "\n", &save); team != NULL; team = strtok_r(NULL, "\n", &save)) {
        casescribe_policy *p = NULL;
        n++;
        if (casescribe_team_policy(&p, d->ctx, team) != CASESCRIBE_OK)
            report(d, FAIL, "policy", "team %s: %s", team, casescribe_last_error());
        else if (casescribe_policy_state(p) == CASESCRIBE_POLICY_REFUSED)
            report(d, FAIL, "policy", "team %s: NOT USED, the safe defaults apply: %s", team,
                   casescribe_policy_problem(p));
        else
            report(d, OK, "policy", "team %s: version %u, valid", team, (unsigned)casescribe_policy_version(p));
        casescribe_policy_free(p);
    }
    if (n == 0)
        report(d, OK, "policy", "no team has a policy yet: every AI feature is off");
    casescribe_free(teams);
}

/* The value of "NAME: value" in a store report, into out ("?" if absent). */
static void report_field(const char *rep, const char *name, char *out, size_t cap)
{
    const char *at = rep != NULL ? strstr(rep, name) : NULL;
    size_t len = at != NULL ? strcspn(at + strlen(name), "\n") : 0;
    snprintf(out, cap, "%.*s", (int)len, at != NULL && len > 0 ? at + strlen(name) : "?");
}

/* The store: which kind, and its schema against the one this library writes. */
static void check_store(struct doctor *d)
{
    char *rep = NULL, kind[64], schema[64];
    if (casescribe_store_admin(&rep, d->home, "status", NULL) != CASESCRIBE_OK) {
        report(d, FAIL, "store", "%s opens, but its store cannot be described: %s", d->home, casescribe_last_error());
        return;
    }
    report_field(rep, "\nkind: ", kind, sizeof(kind));
    report_field(rep, "\nschema: ", schema, sizeof(schema));
    report(d, OK, "store", "%s opens: %s store, schema %s", d->home, kind, schema);
    casescribe_free(rep);
}

static int finish(struct doctor *d)
{
    if (d->checks != NULL) {
        const char *overall = d->worst == FAIL ? "fail" : d->worst == WARN ? "warn" : "ok";
        json_t *all = json_pack("{s:s, s:s, s:O}", "status", overall, "home", d->home, "checks", d->checks);
        char *text = all != NULL ? json_dumps(all, JSON_COMPACT) : NULL;
        if (text != NULL)
            puts(text);
        else
            d->worst = FAIL;
        free(text);
        json_decref(all);
        json_decref(d->checks);
    }
    casescribe_ctx_close(d->ctx);
    return d->worst == FAIL ? 2 : d->worst == WARN ? 1 : 0;
}

int casescribe_tool_doctor(const char *home, int argc, char **argv)
{
    int json = argc == 2 && strcmp(argv[0], "--format") == 0 && strcmp(argv[1], "json") == 0;
    if (argc != 0 && !json && !(argc == 2 && strcmp(argv[0], "--format") == 0 && strcmp(argv[1], "text") == 0))
        return tool_usage();
    struct doctor d = {NULL, NULL, OK, json ? json_array() : NULL};
    if (json && d.checks == NULL)
        return tool_fail("doctor", CASESCRIBE_ENOMEM);
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = home;
    opts.flags = CASESCRIBE_OPEN_READ_ONLY;
    int32_t rc = casescribe_ctx_open(&d.ctx, &opts);
    d.home = rc == CASESCRIBE_OK ? casescribe_ctx_home(d.ctx) : home != NULL ? home : "(the default home)";
    if (rc != CASESCRIBE_OK) {
        report(&d, FAIL, "store", "the home does not open: %s", casescribe_last_error());
        return finish(&d);
    }
    check_store(&d);
    check_folder(&d, "home", "");
    check_folder(&d, "keys-folder", "keys");
    check_keys(&d);
    check_ledger(&d);
    check_policies(&d);
    return finish(&d);
}
