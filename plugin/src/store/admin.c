/* SPDX-License-Identifier: Apache-2.0 */
/* store/admin.c - `casescribe store init|migrate|status|copy`
 * (casescribe_store_admin): the store a home names, its schema, and moving
 * a home's own SQLite ledger into a shared PostgreSQL store. */
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "internal.h"

static void describe(cs_buf *rep, cs_store *st, const char *what)
{
    cs_store_txn *tx = NULL;
    char *schema = NULL, hash[CS_STORE_HASH_LEN];
    uint64_t count = 0;
    int32_t rc = cs_store_begin(st, CS_STORE_READ, &tx);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_meta_get(tx, "schema", &schema);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_ledger_tail(tx, &count, hash);
    cs_store_rollback(tx);
    cs_buf_printf(rep, "%s%s\nkind: %s\nschema: %s (this library writes %d)\nentries: %llu\n", what,
                  cs_store_location(st), cs_store_shared(st) ? "postgresql (shared)" : "sqlite (this home's own)",
                  schema != NULL ? schema : "?", CS_STORE_SCHEMA, (unsigned long long)count);
    if (rc != CASESCRIBE_OK)
        cs_clear_error();
    free(schema);
}

/* init and migrate: opening read-write creates the tables of a new store
 * and upgrades an older one (a newer one is refused: EJOURNAL). */
static int32_t open_and_describe(cs_buf *rep, const char *home, uint32_t flags, const char *what)
{
    cs_store *st = NULL;
    int32_t rc = cs_store_open(&st, home, flags);
    if (rc == CASESCRIBE_OK)
        describe(rep, st, what);
    cs_store_close(st);
    return rc;
}

static int32_t copy_to(cs_buf *rep, const char *home, const char *uri)
{
    cs_store *from = NULL, *to = NULL;
    uint64_t n = 0;
    if (uri == NULL || (strncmp(uri, "postgres", 8) != 0 && strchr(uri, '=') == NULL))
        return cs_fail(CASESCRIBE_EINVAL, "store copy: name the target as a postgresql:// URI or a libpq string");
    int32_t rc = cs_store_open_uri(&from, home, NULL, CS_STORE_READ_ONLY);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_open_uri(&to, home, uri, 0);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_copy(from, to, &n);
    if (rc == CASESCRIBE_OK) {
        cs_buf_printf(rep, "copied %llu entries of %s, the key registry, jobs and latest checkpoint into ",
                      (unsigned long long)n, cs_store_location(from));
        describe(rep, to, "");
        cs_buf_printf(rep, "next: name it in %s/casescribe.conf (store = ...) on every server; the first to open "
                      "gives the store this home's fingerprint secret\n", home);
    }
    cs_store_close(from);
    cs_store_close(to);
    return rc;
}

int32_t casescribe_store_admin(char **report_out, const char *home, const char *command, const char *uri)
{
    if (report_out != NULL)
        *report_out = NULL;
    if (command == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_store_admin: no command");
    cs_clear_error();
    char *dir = cs_ctx_resolve_home(home);
    if (dir == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "no home folder: name one, or set CASESCRIBE_HOME or HOME");
    cs_buf rep = {0};
    int32_t rc;
    if (strcmp(command, "status") == 0)
        rc = open_and_describe(&rep, dir, CS_STORE_READ_ONLY, "store: ");
    else if (strcmp(command, "init") == 0 || strcmp(command, "migrate") == 0)
        rc = open_and_describe(&rep, dir, 0, "ready: ");
    else if (strcmp(command, "copy") == 0)
        rc = copy_to(&rep, dir, uri);
    else
        rc = cs_fail(CASESCRIBE_EINVAL, "casescribe_store_admin: unknown command (status, init, migrate, copy)");
    free(dir);
    if (rc == CASESCRIBE_OK && report_out != NULL && (*report_out = cs_buf_take(&rep)) == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    cs_buf_free(&rep);
    return rc;
}
