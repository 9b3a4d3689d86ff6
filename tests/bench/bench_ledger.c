/* SPDX-License-Identifier: Apache-2.0 */
/* bench_ledger.c - `make bench`: opening a home and its first save cost the
 * same with a large ledger as with an empty one, and so does the memory of
 * a process that opened it. The large ledger is generated directly through
 * the store's own functions in one transaction (not signed saves): save
 * entries for distinct records, every 20th with an AI fingerprint, so the
 * heads and the laundering postings grow as a real home's would.
 *
 *   bench_ledger              generate 1M entries (CS_BENCH_ENTRIES to change) and compare with 0
 *   bench_ledger --measure H  (internal) open home H, save once, print the figures
 *   bench_ledger --generate H N  set up home H with N generated entries, and keep it
 *   bench_ledger --compare S L   the figures of kept homes S (small) and L (large)
 *
 * Each measurement runs in a fresh process (spawned, so that its memory is
 * its own) after the home's ledger file was read through (in the OS cache,
 * as on a server that has run a while); ROUNDS rounds alternate the two
 * homes, and the medians are printed. Not a test: nothing here asserts a
 * time. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "casescribe.h"
#include "internal.h"
#include "store/store.h"

extern char **environ;

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (f != NULL)
        fclose(f);
    return kb;
}

static const char form[] =
    "<form xmlns=\"urn:casescribe:form:1\" id=\"NEW-%ld\" template=\"statutory-home-visit\" team=\"cin-north\" "
    "author=\"sw-017\"><subject id=\"P-1\" role=\"child\" name=\"Sam Example\"/>"
    "<consent subject=\"P-1\" given-by=\"representative\" method=\"verbal\" capacity=\"not-assessed\" "
    "at=\"2026-01-01T10:00:00Z\" scopes=\"record-audio transcribe ai-draft\"/>"
    "<section id=\"observations\" origin=\"ai-draft\" engine=\"embedded:pocketsphinx\" model=\"en-us\">%s</section>"
    "<section id=\"analysis\" origin=\"human\">%s</section></form>";

/* Words for the texts of the measured save: made-up words, new to the
 * home in every run (a worker's first save of the day is new text), so
 * that the save files its prints as a real one does instead of finding
 * them filed already, and finds none of the earlier runs' prints near it
 * (the generated ledger's prints are random, so a save of real prose would
 * find none either). */
static void words(char *out, size_t cap, int n, unsigned *seed)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n && len + 12 < cap; i++) {
        if (i > 0)
            out[len++] = ' ';
        for (int k = 0, letters = 5 + rand_r(seed) % 4; k < letters; k++)
            out[len++] = (char)('a' + rand_r(seed) % 26);
        out[len] = '\0';
    }
}

/* The child: open, RSS, first save; prints "open_us save_us rss_kb". */
static int measure(const char *home)
{
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = home;
    casescribe_ctx *ctx = NULL;
    casescribe_actor actor;
    casescribe_actor_init(&actor, sizeof(actor));
    actor.user_id = "sw-017";
    char xml[4096], ai[512], human[512];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned seed = (unsigned)ts.tv_nsec ^ (unsigned)getpid();
    words(ai, sizeof(ai), 20, &seed);
    words(human, sizeof(human), 28, &seed);
    snprintf(xml, sizeof(xml), form, (long)getpid(), ai, human);
    double t0 = bench_now();
    if (casescribe_ctx_open(&ctx, &opts) != CASESCRIBE_OK)
        return fprintf(stderr, "bench: open: %s\n", casescribe_last_error()), 1;
    double t1 = bench_now();
    long rss = rss_kb();
    uint8_t *out = NULL;
    size_t len = 0;
    if (casescribe_save(&out, &len, ctx, "xml", &actor, (const uint8_t *)xml, strlen(xml)) != CASESCRIBE_OK)
        return fprintf(stderr, "bench: save: %s\n", casescribe_last_error()), 1;
    double t2 = bench_now();
    printf("%.0f %.0f %ld\n", (t1 - t0) * 1e6, (t2 - t1) * 1e6, rss);
    casescribe_free(out);
    casescribe_ctx_close(ctx);
    return 0;
}

static void setup_home(const char *home)
{
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = home;
    casescribe_ctx *ctx = NULL;
    if (casescribe_ctx_open(&ctx, &opts) != CASESCRIBE_OK || casescribe_keygen(NULL, ctx, 0) != CASESCRIBE_OK ||
        casescribe_team_set(ctx, "bench-admin", "cin-north", "ai-draft", "on") != CASESCRIBE_OK) {
        fprintf(stderr, "bench: cannot set up a home: %s\n", casescribe_last_error());
        exit(1);
    }
    casescribe_ctx_close(ctx);
}

static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A random sketch in the print's text form. */
static char *random_print(uint64_t *seed)
{
    cs_fingerprint fp = {.count = CS_FP_K, .scheme = CS_FP_MH2};
    for (uint32_t k = 0; k < CS_FP_K; k++)
        fp.h[k] = next_random(seed);
    for (uint32_t k = 1; k < CS_FP_K; k++) /* ascending, as sketches are */
        for (uint32_t j = k; j > 0 && fp.h[j - 1] > fp.h[j]; j--) {
            uint64_t t = fp.h[j];
            fp.h[j] = fp.h[j - 1];
            fp.h[j - 1] = t;
        }
    char *text = NULL;
    return cs_fingerprint_encode(&text, &fp) == 0 ? text : NULL;
}

static json_t *entry(long i, uint64_t *seed)
{
    char record[32];
    snprintf(record, sizeof(record), "G-%ld", i);
    json_t *e = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:[]}", "kind", "save", "record", record,
                          "version", 1, "digest", "sha256:0000000000000000000000000000000000000000000000000000000000000000",
                          "form", "sha256:1111111111111111111111111111111111111111111111111111111111111111", "actor",
                          "sw-017", "team", "cin-north", "time", "2026-01-01T10:00:00Z", "key", "bench", "ai");
    char *fp = i % 20 == 0 ? random_print(seed) : NULL;
    if (fp != NULL)
        json_array_append_new(json_object_get(e, "ai"), json_pack("{s:s, s:s}", "section", "observations", "fp", fp));
    free(fp);
    return e;
}

static void generate(const char *home, long n)
{
    cs_store *st = NULL;
    cs_store_txn *tx = NULL;
    uint64_t seed = 88172645463325252ull;
    if (cs_store_open(&st, home, CS_STORE_NO_SYNC) != CASESCRIBE_OK ||
        cs_store_begin(st, CS_STORE_WRITE, &tx) != CASESCRIBE_OK) {
        fprintf(stderr, "bench: cannot open the store: %s\n", casescribe_last_error());
        exit(1);
    }
    for (long i = 0; i < n; i++) {
        json_t *e = entry(i, &seed);
        if (e == NULL || cs_store_append(tx, e, NULL, NULL) != CASESCRIBE_OK) {
            fprintf(stderr, "bench: append %ld: %s\n", i, casescribe_last_error());
            exit(1);
        }
        json_decref(e);
    }
    if (cs_store_commit(tx) != CASESCRIBE_OK) {
        fprintf(stderr, "bench: commit: %s\n", casescribe_last_error());
        exit(1);
    }
    cs_store_close(st);
}

struct figures {
    double open_us, save_us, rss_kb;
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define ROUNDS 5

/* Reads the home's ledger file through once, so that each measurement
 * finds it in the OS cache, as a server's steady state does (a file just
 * generated is; one written long ago may have been evicted). */
static void warm(const char *home)
{
    char path[512], buf[1 << 16];
    snprintf(path, sizeof(path), "%s/ledger.db", home);
    FILE *f = fopen(path, "rb");
    while (f != NULL && fread(buf, 1, sizeof(buf), f) == sizeof(buf))
        ;
    if (f != NULL)
        fclose(f);
}

/* One fresh process on a warmed home: its open, first save and RSS. */
static struct figures run_once(const char *self, const char *home)
{
    struct figures x;
    int fds[2];
    pid_t pid;
    posix_spawn_file_actions_t fa;
    warm(home);
    if (pipe(fds) != 0)
        exit(1);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    char *argv[] = {(char *)self, "--measure", (char *)home, NULL};
    if (posix_spawn(&pid, self, &fa, NULL, argv, environ) != 0)
        exit(1);
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    if (f == NULL || fscanf(f, "%lf %lf %lf", &x.open_us, &x.save_us, &x.rss_kb) != 3) {
        fprintf(stderr, "bench: a measurement failed\n");
        exit(1);
    }
    fclose(f);
    waitpid(pid, NULL, 0);
    posix_spawn_file_actions_destroy(&fa);
    return x;
}

static double median_of(double *v)
{
    qsort(v, ROUNDS, sizeof(double), cmp_double);
    return v[ROUNDS / 2];
}

/* ROUNDS rounds, each measuring both homes in turn; the medians. */
static void run_measures(const char *self, const char *small, const char *large, struct figures *a,
                         struct figures *b)
{
    double v[6][ROUNDS];
    for (int k = 0; k < ROUNDS; k++) {
        struct figures x = run_once(self, small), y = run_once(self, large);
        double got[6] = {x.open_us, x.save_us, x.rss_kb, y.open_us, y.save_us, y.rss_kb};
        for (int i = 0; i < 6; i++)
            v[i][k] = got[i];
    }
    *a = (struct figures){median_of(v[0]), median_of(v[1]), median_of(v[2])};
    *b = (struct figures){median_of(v[3]), median_of(v[4]), median_of(v[5])};
}

/* Measures both homes and prints the figures (large: what the large home
 * is, "1000000" entries or its path). */
static void compare(const char *self, const char *small, const char *large, const char *what)
{
    struct figures a, b;
    run_measures(self, small, large, &a, &b);
    printf("ledger: open at 0 entries %.2f ms, at %s %.2f ms\n", a.open_us / 1e3, what, b.open_us / 1e3);
    printf("ledger: first save at 0 entries %.2f ms, at %s %.2f ms\n", a.save_us / 1e3, what, b.save_us / 1e3);
    printf("ledger: open + first save at 0 entries %.2f ms, at %s %.2f ms: ratio %.2fx (goal <= 1.5x, <= 20 ms)\n",
           (a.open_us + a.save_us) / 1e3, what, (b.open_us + b.save_us) / 1e3,
           (b.open_us + b.save_us) / (a.open_us + a.save_us));
    printf("ledger: RSS after open at 0 entries %.1f MB, at %s %.1f MB: ratio %.2fx (goal <= 40 MB, within 10%%)\n",
           a.rss_kb / 1024, what, b.rss_kb / 1024, b.rss_kb / a.rss_kb);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--measure") == 0)
        return measure(argv[2]);
    if (argc == 4 && strcmp(argv[1], "--generate") == 0) {
        setup_home(argv[2]);
        generate(argv[2], strtol(argv[3], NULL, 10));
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "--compare") == 0) {
        compare(argv[0], argv[2], argv[3], argv[3]);
        return 0;
    }
    const char *env = getenv("CS_BENCH_ENTRIES");
    long n = env != NULL ? strtol(env, NULL, 10) : 1000000;
    char small[] = "/tmp/cs-bench-ledger0-XXXXXX", large[] = "/tmp/cs-bench-ledgerN-XXXXXX";
    if (mkdtemp(small) == NULL || mkdtemp(large) == NULL)
        return 1;
    setup_home(small);
    setup_home(large);
    double t0 = bench_now();
    generate(large, n);
    printf("ledger: generated %ld entries (%ld AI prints) in %.1f s\n", n, (n + 19) / 20, bench_now() - t0);
    char what[32];
    snprintf(what, sizeof(what), "%ld", n);
    compare(argv[0], small, large, what);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf %s %s", small, large);
    return system(cmd) == 0 ? 0 : 1;
}
