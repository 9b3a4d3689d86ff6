/* SPDX-License-Identifier: Apache-2.0 */
/* bench_pg.c - `make bench` (through tests/bench/bench_pg.sh, which starts a
 * durable throwaway cluster and sets CASESCRIBE_STORE): saves per second with
 * 1, 4 and 8 server processes (each its own home and key) against one
 * PostgreSQL store, beside the SQLite store's single-process rate in the same
 * run; p50/p99 save latency at 8 clients; open + first save at a large
 * shared ledger. Durable commits everywhere. Not a test: nothing here asserts
 * a time. */
#define _POSIX_C_SOURCE 200809L
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "casescribe.h"

#define SECONDS 4.0
#define MAX_SAVES 100000

static casescribe_ctx *open_home(const char *home)
{
    casescribe_ctx_options opts;
    casescribe_ctx *ctx = NULL;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = home;
    opts.flags = CASESCRIBE_OPEN_CREATE;
    if (casescribe_ctx_open(&ctx, &opts) != CASESCRIBE_OK) {
        fprintf(stderr, "bench_pg: open %s: %s\n", home, casescribe_last_error());
        exit(1);
    }
    char *key = NULL;
    casescribe_keygen(&key, ctx, 0);
    casescribe_free(key);
    if (casescribe_team_set(ctx, "bench-admin", "cin-north", "ai-draft", "on") != CASESCRIBE_OK) {
        fprintf(stderr, "bench_pg: policy: %s\n", casescribe_last_error());
        exit(1);
    }
    return ctx;
}

static int32_t save(casescribe_ctx *ctx, const char *who, long i)
{
    char xml[4096];
    bench_visit_form(xml, sizeof(xml), who, i);
    casescribe_actor actor;
    casescribe_actor_init(&actor, sizeof(actor));
    actor.user_id = "sw-017";
    actor.role = "social-worker";
    uint8_t *out = NULL;
    size_t len = 0;
    int32_t rc = casescribe_save(&out, &len, ctx, "xml", &actor, (const uint8_t *)xml, strlen(xml));
    casescribe_free(out);
    return rc;
}

/* Saves for SECONDS; writes each latency (ms, float) to fd. Returns the count. */
static long save_for(casescribe_ctx *ctx, const char *who, int fd)
{
    long n = 0;
    double end = bench_now() + SECONDS;
    while (bench_now() < end && n < MAX_SAVES) {
        double t0 = bench_now();
        if (save(ctx, who, n) != CASESCRIBE_OK) {
            fprintf(stderr, "bench_pg: save: %s\n", casescribe_last_error());
            exit(1);
        }
        float ms = (float)((bench_now() - t0) * 1000.0);
        if (fd >= 0 && write(fd, &ms, sizeof(ms)) != sizeof(ms))
            exit(1);
        n++;
    }
    return n;
}

static int by_value(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* `clients` processes, each its own home under base, saving together for
 * SECONDS after a common start; the rate, and p50/p99 when asked. */
static double run_clients(const char *base, int clients, double *p50, double *p99)
{
    int lat[2], go[2];
    char setup[512];
    snprintf(setup, sizeof(setup), "%s/setup-%d", base, clients);
    casescribe_ctx_close(open_home(setup)); /* the team's policy, once, before the servers start */
    if (pipe(lat) != 0 || pipe(go) != 0)
        exit(1);
    for (int c = 0; c < clients; c++) {
        if (fork() == 0) {
            char home[512], who[32], b;
            snprintf(home, sizeof(home), "%s/c%d-%d", base, clients, c);
            snprintf(who, sizeof(who), "C%d-%d", clients, c);
            close(lat[0]);
            casescribe_ctx *ctx = open_home(home);
            save(ctx, who, -1); /* warm: connections, statements */
            if (read(go[0], &b, 1) != 1)
                _exit(1);
            save_for(ctx, who, lat[1]);
            casescribe_ctx_close(ctx);
            _exit(0);
        }
    }
    close(lat[1]);
    sleep(2 + clients / 2); /* every client opened its home */
    for (int c = 0; c < clients; c++)
        if (write(go[1], "g", 1) != 1)
            exit(1);
    size_t cap = 1024, n = 0;
    float *ms = malloc(cap * sizeof(*ms)), v;
    while (ms != NULL && read(lat[0], &v, sizeof(v)) == sizeof(v)) {
        if (n == cap && (ms = realloc(ms, (cap *= 2) * sizeof(*ms))) == NULL)
            exit(1);
        ms[n++] = v;
    }
    for (int c = 0; c < clients; c++)
        wait(NULL);
    close(lat[0]);
    close(go[0]);
    close(go[1]);
    if (ms == NULL || n == 0)
        exit(1);
    qsort(ms, n, sizeof(*ms), by_value);
    if (p50 != NULL)
        *p50 = ms[n / 2];
    if (p99 != NULL)
        *p99 = ms[(n * 99) / 100];
    free(ms);
    return (double)n / SECONDS;
}

static void sql(const char *uri, const char *statement)
{
    PGconn *pg = PQconnectdb(uri);
    PGresult *res = PQexec(pg, statement);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "bench_pg: %s\n", PQerrorMessage(pg));
        exit(1);
    }
    PQclear(res);
    PQfinish(pg);
}

/* A new server's open of an existing home (its key registered) and its
 * first save, in ms. */
static double open_and_first_save(const char *base, const char *name)
{
    char home[512];
    snprintf(home, sizeof(home), "%s/%s", base, name);
    casescribe_ctx_close(open_home(home)); /* its key, registered once */
    double t0 = bench_now();
    casescribe_ctx_options opts;
    casescribe_ctx *ctx = NULL;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = home;
    if (casescribe_ctx_open(&ctx, &opts) != CASESCRIBE_OK || save(ctx, name, 1) != CASESCRIBE_OK) {
        fprintf(stderr, "bench_pg: %s: %s\n", name, casescribe_last_error());
        exit(1);
    }
    double ms = (bench_now() - t0) * 1000.0;
    casescribe_ctx_close(ctx);
    return ms;
}

/* A ledger of `entries` made by SQL (generate_series), in a store of its own;
 * a new server's open + first save, timed before and after. */
static void large_ledger(const char *uri, const char *base, long entries)
{
    char store[1200], home[512], stmt[1024];
    snprintf(store, sizeof(store), "%s&options=-csearch_path%%3Dlarge", uri);
    setenv("CASESCRIBE_STORE", store, 1);
    snprintf(home, sizeof(home), "%s/large-setup", base);
    casescribe_ctx_close(open_home(home)); /* creates the schema */
    double small = open_and_first_save(base, "small-server");
    double t0 = bench_now();
    snprintf(stmt, sizeof(stmt),
             "INSERT INTO ledger(seq, hash, payload) SELECT g + 1000, md5(g::text) || md5((g + 1)::text), "
             "'{\"kind\":\"filler\",\"prev\":\"\",\"seq\":' || (g + 1000) || '}' FROM generate_series(1, %ld) g",
             entries);
    sql(store, stmt);
    sql(store, "INSERT INTO heads(record, version, digest, previous, form, actor, time, key, seq) SELECT 'F-' || g, 1, "
               "md5(g::text), '', '', 'sw', '2026-01-01T00:00:00Z', '', g + 1000 FROM generate_series(1, 100000) g");
    sql(store, "ANALYZE");
    double made = bench_now() - t0;
    double large = open_and_first_save(base, "large-server");
    printf("open + first save: %.1f ms at a few entries, %.1f ms at %ld shared ledger entries (made by "
           "generate_series in %.1f s): ratio %.2f (goal <= 30 ms)\n",
           small, large, entries, made, large / small);
}

int main(int argc, char **argv)
{
    const char *uri = getenv("CS_PG_URI");
    if (argc != 2 || uri == NULL) {
        fprintf(stderr, "usage: CS_PG_URI=URI bench_pg WORKDIR (run by tests/bench/bench_pg.sh)\n");
        return 2;
    }
    char store[1200];
    setenv("CASESCRIBE_STORE", "sqlite", 1);
    double sqlite = run_clients(argv[1], 1, NULL, NULL);
    printf("SQLite store, 1 process:        %7.1f saves/s (durable)\n", sqlite);
    double rate[9] = {0}, p50 = 0, p99 = 0;
    int counts[3] = {1, 4, 8};
    for (int i = 0; i < 3; i++) {
        snprintf(store, sizeof(store), "%s&options=-csearch_path%%3Dclients%d", uri, counts[i]);
        setenv("CASESCRIBE_STORE", store, 1);
        rate[counts[i]] = run_clients(argv[1], counts[i], counts[i] == 8 ? &p50 : NULL, counts[i] == 8 ? &p99 : NULL);
        printf("PostgreSQL store, %d process%s: %7.1f saves/s (durable)\n", counts[i], counts[i] > 1 ? "es" : "  ",
               rate[counts[i]]);
    }
    printf("PostgreSQL 1 client / SQLite 1 process: %.2fx (goal >= 0.5x)\n", rate[1] / sqlite);
    printf("PostgreSQL 8 clients / 1 client:        %.2fx (goal >= 2x)\n", rate[8] / rate[1]);
    printf("save latency at 8 clients: p50 %.1f ms, p99 %.1f ms\n", p50, p99);
    long entries = getenv("CS_BENCH_LEDGER") != NULL ? strtol(getenv("CS_BENCH_LEDGER"), NULL, 10) : 1000000;
    large_ledger(uri, argv[1], entries);
    return 0;
}
