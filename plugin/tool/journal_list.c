/* SPDX-License-Identifier: Apache-2.0 */
/* journal_list.c - `casescribe journal list`: the ledger's entries, one a
 * line, for an operator or (--format json) a log collector or SIEM.
 *
 *   journal list [--since N] [--kind K] [--format text|json]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

struct list_args {
    uint64_t since;
    const char *kind;
    int json;
};

static int parse_list_args(struct list_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof(*a));
    for (int i = 1; i < argc; i += 2) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (strcmp(argv[i], "--since") == 0 && value != NULL) {
            unsigned long long n = strtoull(value, &end, 10);
            if (*end != '\0' || value[0] == '-' || value[0] == '\0')
                return -1;
            a->since = n;
        } else if (strcmp(argv[i], "--kind") == 0 && value != NULL) {
            a->kind = value;
        } else if (strcmp(argv[i], "--format") == 0 && value != NULL &&
                   (strcmp(value, "json") == 0 || strcmp(value, "text") == 0)) {
            a->json = value[0] == 'j';
        } else {
            return -1;
        }
    }
    return 0;
}

/* "-" for a field the entry lacks. */
static const char *or_dash(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : "-";
}

/* One line of text: seq, time, kind, actor, then what the kind is about. */
static void print_text(const casescribe_journal_entry *e)
{
    const char *kind = or_dash(casescribe_journal_entry_kind(e));
    printf("%llu %s %s %s", (unsigned long long)casescribe_journal_entry_seq(e),
           or_dash(casescribe_journal_entry_time(e)), kind, or_dash(casescribe_journal_entry_actor_id(e)));
    static const char *const about[] = {"record", "version", "team", "setting", "old", "new", "key",
                                        "action", "serial", "file"};
    for (size_t i = 0; i < sizeof(about) / sizeof(*about); i++) {
        const char *v = casescribe_journal_entry_field(e, about[i]);
        if (v != NULL && strchr(v, '\n') == NULL)
            printf(" %s=%s", about[i], v);
    }
    putchar('\n');
}

int casescribe_tool_journal_list(const char *home, int argc, char **argv)
{
    struct list_args a;
    if (parse_list_args(&a, argc, argv) != 0)
        return tool_usage();
    casescribe_ctx *ctx = NULL;
    if (tool_open_home(&ctx, home, 0) != 0)
        return EXIT_REFUSED;
    int32_t rc = CASESCRIBE_OK;
    for (uint64_t seq = a.since + 1; rc == CASESCRIBE_OK; seq++) {
        casescribe_journal_entry *e = NULL;
        rc = casescribe_journal_entry_get(&e, ctx, seq);
        const char *kind = rc == CASESCRIBE_OK ? casescribe_journal_entry_kind(e) : NULL;
        if (rc == CASESCRIBE_OK && (a.kind == NULL || (kind != NULL && strcmp(kind, a.kind) == 0))) {
            if (a.json)
                puts(casescribe_journal_entry_json(e));
            else
                print_text(e);
        }
        casescribe_journal_entry_free(e);
    }
    int code = rc == CASESCRIBE_ENOTFOUND ? 0 : tool_fail("journal list", rc);
    casescribe_ctx_close(ctx);
    return fflush(stdout) == 0 ? code : EXIT_REFUSED;
}
