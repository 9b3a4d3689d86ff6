/* SPDX-License-Identifier: Apache-2.0 */
/* select.c - which store a home uses (store.h: cs_store_configured).
 *
 * $CASESCRIBE_STORE (the command line's --store sets it), else the line
 * `store = VALUE` of <home>/casescribe.conf, else the home's SQLite file.
 * A value may hold a password (libpq accepts one in a URI, though the
 * deployment guide says to use ~/.pgpass or a service file): it is never
 * put in a message. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "store/store.h"

#define CONF_LINE 4096

static int is_shared(const char *v)
{
    return strncmp(v, "postgresql://", 13) == 0 || strncmp(v, "postgres://", 11) == 0 || strchr(v, '=') != NULL;
}

/* *uri: a copy of v for a shared store, NULL for SQLite. */
static int32_t classify(const char *v, const char *from, char **uri)
{
    *uri = NULL;
    if (v[0] == '\0' || strcmp(v, "sqlite") == 0)
        return CASESCRIBE_OK;
    if (!is_shared(v))
        return cs_fail(CASESCRIBE_EINVAL, "the store named by %s is neither \"sqlite\", a postgresql:// URI nor a "
                                          "libpq key=value string (such as service=NAME)", from);
    if ((*uri = cs_strdup(v)) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    return CASESCRIBE_OK;
}

/* The value of `key = value` in line (trimmed, in place), or NULL. */
static char *value_of(char *line, const char *key)
{
    line[strcspn(line, "\r\n")] = '\0';
    char *p = line + strspn(line, " \t");
    size_t n = strlen(key);
    if (strncmp(p, key, n) != 0)
        return NULL;
    p += n;
    p += strspn(p, " \t");
    if (*p != '=')
        return NULL;
    p++;
    p += strspn(p, " \t");
    size_t end = strlen(p);
    while (end > 0 && (p[end - 1] == ' ' || p[end - 1] == '\t'))
        p[--end] = '\0';
    return p;
}

static int32_t from_file(const char *home, char **uri)
{
    char path[4200], line[CONF_LINE];
    *uri = NULL;
    if (snprintf(path, sizeof(path), "%s/casescribe.conf", home) >= (int)sizeof(path))
        return cs_fail(CASESCRIBE_EINVAL, "the home path is too long");
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return errno == ENOENT ? CASESCRIBE_OK : cs_fail(CASESCRIBE_EIO, "cannot read %s: %s", path, strerror(errno));
    int32_t rc = CASESCRIBE_OK;
    int found = 0;
    while (rc == CASESCRIBE_OK && !found && fgets(line, sizeof(line), f) != NULL) {
        char *v = line[0] == '#' ? NULL : value_of(line, "store");
        if (v != NULL) {
            found = 1;
            rc = classify(v, path, uri);
        }
    }
    fclose(f);
    return rc;
}

/* Tests only (CASESCRIBE_TEST_STORE_PER_HOME=1, set by tests/pg/run.sh):
 * each home gets a schema of its own in the URI's database, so that the
 * suites written for one home per test run unchanged on PostgreSQL. */
static int32_t per_home(const char *home, char **uri)
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)home; *p != '\0'; p++)
        h = (h ^ *p) * 1099511628211ull;
    size_t n = strlen(*uri) + 64;
    char *with = malloc(n);
    if (with == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    snprintf(with, n, "%s%soptions=-csearch_path%%3Dh%016llx", *uri, strchr(*uri, '?') != NULL ? "&" : "?",
             (unsigned long long)h);
    free(*uri);
    *uri = with;
    return CASESCRIBE_OK;
}

int32_t cs_store_configured(const char *home, char **uri)
{
    const char *env = getenv("CASESCRIBE_STORE"), *test = getenv("CASESCRIBE_TEST_STORE_PER_HOME");
    *uri = NULL;
    int32_t rc = env != NULL && env[0] != '\0' ? classify(env, "CASESCRIBE_STORE", uri) : from_file(home, uri);
    if (rc == CASESCRIBE_OK && *uri != NULL && test != NULL && strcmp(test, "1") == 0 && strchr(*uri, ':') != NULL)
        rc = per_home(home, uri);
    if (rc != CASESCRIBE_OK) {
        free(*uri);
        *uri = NULL;
    }
    return rc;
}
