/* SPDX-License-Identifier: Apache-2.0 */
/* bench_ops.c - `make bench`: saving under concurrency, with full
 * durability (synchronous=FULL, the default), on the disk of the build
 * folder (CS_BENCH_DIR to change; not /tmp, which may be memory):
 *   - 16 processes saving into one home vs 1 process (aggregate saves/s;
 *     goal >= 1.0x: no collapse);
 *   - 8 threads of one process (one context) vs 1 thread (goal >= 1.3x);
 *   - one save vs a plain SQLite insert + commit of an entry of the same
 *     size in a WAL database with synchronous=FULL (the store's floor):
 *     the ratio is reported.
 * A save without fsync (NO_SYNC) is printed too, to tell the disk's part
 * from the CPU's. Each figure runs for CS_BENCH_SECONDS (default 3) and is printed. Not a
 * test: nothing here asserts a time. */
#define _DEFAULT_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "casescribe.h"

static double seconds = 3.0;

static const char form[] =
    "<form xmlns=\"urn:casescribe:form:1\" id=\"B-%ld-%d-%ld\" template=\"statutory-home-visit\" team=\"cin-north\" "
    "author=\"sw-017\"><subject id=\"P-1\" role=\"child\" name=\"Sam Example\"/>"
    "<consent subject=\"P-1\" given-by=\"representative\" method=\"verbal\" capacity=\"not-assessed\" "
    "at=\"2026-01-01T10:00:00Z\" scopes=\"record-audio transcribe ai-draft\"/>"
    "<section id=\"observations\" origin=\"ai-draft\" engine=\"embedded:pocketsphinx\" model=\"en-us\">Visit %ld: Sam "
    "showed me the new bedroom and said school was going better this term; the family support worker visits "
    "weekly.</section><section id=\"analysis\" origin=\"human\">Sam appears settled and the home conditions have "
    "improved since the last visit; the support plan is working and I have no new concerns.</section></form>";

static casescribe_ctx *open_home(const char *home, uint32_t flags)
{
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = home;
    opts.flags = flags;
    casescribe_ctx *ctx = NULL;
    if (casescribe_ctx_open(&ctx, &opts) != CASESCRIBE_OK) {
        fprintf(stderr, "bench_ops: open %s: %s\n", home, casescribe_last_error());
        exit(1);
    }
    return ctx;
}

/* Saves new records until `until`; returns how many. */
static long save_until(casescribe_ctx *ctx, int who, double until)
{
    casescribe_actor actor;
    casescribe_actor_init(&actor, sizeof(actor));
    actor.user_id = "sw-017";
    long n = 0;
    char xml[2048];
    while (bench_now() < until) {
        snprintf(xml, sizeof(xml), form, (long)getpid(), who, n, n);
        uint8_t *out = NULL;
        size_t len = 0;
        if (casescribe_save(&out, &len, ctx, "xml", &actor, (const uint8_t *)xml, strlen(xml)) != CASESCRIBE_OK) {
            fprintf(stderr, "bench_ops: save: %s\n", casescribe_last_error());
            exit(1);
        }
        casescribe_free(out);
        n++;
    }
    return n;
}

/* ---- processes ------------------------------------------------------------ */

/* n processes save for `seconds`; returns the aggregate saves per second. */
static double processes(const char *home, int n)
{
    int fds[2];
    if (pipe(fds) != 0)
        exit(1);
    double until = bench_now() + 0.5 + seconds; /* every child opens before the clock starts */
    for (int i = 0; i < n; i++) {
        if (fork() == 0) {
            close(fds[0]);
            casescribe_ctx *ctx = open_home(home, 0);
            while (bench_now() < until - seconds)
                nanosleep(&(struct timespec){0, 1000000L}, NULL);
            long done = save_until(ctx, i, until);
            casescribe_ctx_close(ctx);
            _exit(write(fds[1], &done, sizeof(done)) == sizeof(done) ? 0 : 1);
        }
    }
    close(fds[1]);
    long total = 0, done = 0;
    while (read(fds[0], &done, sizeof(done)) == sizeof(done))
        total += done;
    close(fds[0]);
    while (wait(NULL) > 0)
        ;
    return (double)total / seconds;
}

/* ---- threads -------------------------------------------------------------- */

struct worker {
    casescribe_ctx *ctx;
    int who;
    double until;
    long done;
};

static void *thread_main(void *arg)
{
    struct worker *w = arg;
    w->done = save_until(w->ctx, w->who, w->until);
    return NULL;
}

static double threads(const char *home, int n, uint32_t flags)
{
    casescribe_ctx *ctx = open_home(home, flags);
    struct worker w[8];
    pthread_t t[8];
    double until = bench_now() + seconds;
    for (int i = 0; i < n; i++) {
        w[i] = (struct worker){ctx, 100 + i, until, 0};
        pthread_create(&t[i], NULL, thread_main, &w[i]);
    }
    long total = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        total += w[i].done;
    }
    casescribe_ctx_close(ctx);
    return (double)total / seconds;
}

/* ---- the floor: a plain SQLite insert + commit ---------------------------- */

/* The size of the home's last ledger entry, in bytes. */
static int entry_size(const char *home)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/ledger.db", home);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int size = 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT length(payload) FROM ledger ORDER BY seq DESC LIMIT 1", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        size = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return size;
}

/* Inserts rows of `size` bytes, one committed transaction each, for
 * `seconds`; returns inserts per second. */
static double plain_sqlite(const char *dir, int size)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/plain.db", dir);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *payload = calloc(1, (size_t)size + 1);
    memset(payload, 'x', (size_t)size);
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t(seq INTEGER PRIMARY "
                         "KEY, hash TEXT NOT NULL, payload TEXT NOT NULL);", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO t(hash, payload) VALUES(?, ?)", -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_ops: sqlite: %s\n", sqlite3_errmsg(db));
        exit(1);
    }
    long n = 0;
    double until = bench_now() + seconds;
    while (bench_now() < until) {
        sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        sqlite3_bind_text(st, 1, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 64, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, payload, size, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE || sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            exit(1);
        sqlite3_reset(st);
        n++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(payload);
    return (double)n / seconds;
}

/* ---- main ----------------------------------------------------------------- */

static void make_home(char *home, size_t cap, const char *dir, const char *name)
{
    snprintf(home, cap, "%s/%s", dir, name);
    casescribe_ctx *ctx = open_home(home, CASESCRIBE_OPEN_CREATE);
    if (casescribe_keygen(NULL, ctx, 0) != CASESCRIBE_OK ||
        casescribe_team_set(ctx, "bench-admin", "cin-north", "ai-draft", "on") != CASESCRIBE_OK) {
        fprintf(stderr, "bench_ops: set-up: %s\n", casescribe_last_error());
        exit(1);
    }
    casescribe_ctx_close(ctx);
}

int main(void)
{
    const char *base = getenv("CS_BENCH_DIR") != NULL ? getenv("CS_BENCH_DIR") : ".";
    if (getenv("CS_BENCH_SECONDS") != NULL)
        seconds = atof(getenv("CS_BENCH_SECONDS")) > 0 ? atof(getenv("CS_BENCH_SECONDS")) : seconds;
    char dir[512], home[600], cmd[700];
    snprintf(dir, sizeof(dir), "%s/bench-ops-XXXXXX", base);
    if (mkdtemp(dir) == NULL)
        return perror("bench_ops: mkdtemp"), 1;
    printf("bench_ops: saves with full durability in %s, %.0f s per figure, %ld CPUs online\n", dir, seconds,
           sysconf(_SC_NPROCESSORS_ONLN));

    make_home(home, sizeof(home), dir, "procs");
    double p1 = processes(home, 1), p16 = processes(home, 16);
    printf("processes: 1 process %.0f saves/s, 16 processes %.0f saves/s in all: %.2fx (goal >= 1.0x)\n", p1, p16,
           p16 / p1);

    make_home(home, sizeof(home), dir, "threads");
    double t1 = threads(home, 1, 0), t8 = threads(home, 8, 0);
    printf("threads: 1 thread %.0f saves/s, 8 threads of one process %.0f saves/s: %.2fx (goal >= 1.3x)\n", t1, t8,
           t8 / t1);
    double n1 = threads(home, 1, CASESCRIBE_OPEN_NO_SYNC);
    printf("without fsync (NO_SYNC, for comparison only): 1 thread %.0f saves/s, %.2f ms a save\n", n1, 1000.0 / n1);

    int size = entry_size(home);
    double plain = plain_sqlite(dir, size);
    printf("floor: a save %.2f ms (%.0f/s, 1 thread) vs a plain SQLite insert + commit of %d bytes %.2f ms "
           "(%.0f/s): a save costs %.2fx the store's floor\n",
           1000.0 / t1, t1, size, 1000.0 / plain, plain, plain / t1);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
