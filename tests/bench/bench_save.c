/* SPDX-License-Identifier: Apache-2.0 */
/* bench_save.c - `make bench`: save and verify rates against raw OpenSSL
 * Ed25519, measured in the same run on the same machine, printed as ratios.
 * Not a test: nothing here asserts a time. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "casescribe.h"

#define SECONDS 2.0

struct rates {
    double sign, verify;
};

static struct rates raw_openssl(size_t msg_len)
{
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    EVP_PKEY_keygen_init(kctx);
    EVP_PKEY_keygen(kctx, &key);
    EVP_PKEY_CTX_free(kctx);
    unsigned char *msg = calloc(1, msg_len), sig[64];
    size_t sig_len = 64;
    struct rates r = {0, 0};
    long n = 0;
    double t0 = bench_now(), t;
    do {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        EVP_DigestSignInit(md, NULL, NULL, NULL, key);
        EVP_DigestSign(md, sig, &sig_len, msg, msg_len);
        EVP_MD_CTX_free(md);
        n++;
    } while ((t = bench_now() - t0) < SECONDS);
    r.sign = (double)n / t;
    n = 0;
    t0 = bench_now();
    do {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        EVP_DigestVerifyInit(md, NULL, NULL, NULL, key);
        if (EVP_DigestVerify(md, sig, sig_len, msg, msg_len) != 1)
            abort();
        EVP_MD_CTX_free(md);
        n++;
    } while ((t = bench_now() - t0) < SECONDS);
    r.verify = (double)n / t;
    free(msg);
    EVP_PKEY_free(key);
    return r;
}

static casescribe_ctx *open_home(char *path, uint32_t flags)
{
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = mkdtemp(path);
    opts.flags = flags;
    casescribe_ctx *ctx = NULL;
    if (opts.home == NULL || casescribe_ctx_open(&ctx, &opts) != CASESCRIBE_OK ||
        casescribe_keygen(NULL, ctx, 0) != CASESCRIBE_OK ||
        casescribe_team_set(ctx, "bench-admin", "cin-north", "ai-draft", "on") != CASESCRIBE_OK) {
        fprintf(stderr, "bench: cannot set up a home: %s\n", casescribe_last_error());
        exit(1);
    }
    return ctx;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Saves new records for SECONDS; returns saves/s; fills latencies (µs). */
static double save_rate(casescribe_ctx *ctx, double *lat, long max_lat, long *n_lat, char **last)
{
    casescribe_actor actor;
    casescribe_actor_init(&actor, sizeof(actor));
    actor.user_id = "sw-017";
    static long next_id;
    char xml[4096];
    long n = 0;
    double t0 = bench_now(), t;
    do {
        bench_visit_form(xml, sizeof(xml), "R", next_id++);
        uint8_t *out = NULL;
        size_t len = 0;
        double s0 = bench_now();
        if (casescribe_save(&out, &len, ctx, "xml", &actor, (uint8_t *)xml, strlen(xml)) != CASESCRIBE_OK) {
            fprintf(stderr, "bench: save failed: %s\n", casescribe_last_error());
            exit(1);
        }
        if (lat != NULL && n < max_lat)
            lat[n] = (bench_now() - s0) * 1e6;
        if (last != NULL) {
            casescribe_free(*last);
            *last = (char *)out;
        } else {
            casescribe_free(out);
        }
        n++;
    } while ((t = bench_now() - t0) < SECONDS);
    if (n_lat != NULL)
        *n_lat = n < max_lat ? n : max_lat;
    return (double)n / t;
}

static double verify_rate(casescribe_ctx *ctx, const char *record)
{
    long n = 0;
    double t0 = bench_now(), t;
    do {
        if (casescribe_verify(NULL, ctx, "xml", (const uint8_t *)record, strlen(record)) != CASESCRIBE_OK) {
            fprintf(stderr, "bench: verify failed: %s\n", casescribe_last_error());
            exit(1);
        }
        n++;
    } while ((t = bench_now() - t0) < SECONDS);
    return (double)n / t;
}

int main(void)
{
    char home1[] = "/tmp/cs-bench-XXXXXX", home2[] = "/tmp/cs-bench-XXXXXX";
    casescribe_ctx *nosync = open_home(home1, CASESCRIBE_OPEN_NO_SYNC);
    casescribe_ctx *sync = open_home(home2, 0);
    static double lat[1000000];
    long n_lat = 0;
    char *record = NULL;

    /* The signed message is the canonical provenance: about 2 KiB for this form. */
    struct rates raw = raw_openssl(2048);
    save_rate(nosync, NULL, 0, NULL, NULL); /* warm-up: schema compiled, caches filled */
    double saves = save_rate(nosync, lat, 1000000, &n_lat, &record);
    double saves_sync = save_rate(sync, NULL, 0, NULL, NULL);
    double verifies = verify_rate(nosync, record);
    qsort(lat, (size_t)n_lat, sizeof(double), cmp_double);

    printf("casescribe %s benchmark, %.0f s per measurement, typical 5-section form (%zu-byte stamped record)\n",
           casescribe_version(), SECONDS, strlen(record));
    printf("  raw OpenSSL Ed25519 sign        %9.0f /s\n", raw.sign);
    printf("  raw OpenSSL Ed25519 verify      %9.0f /s\n", raw.verify);
    printf("  save+stamp, journal no fsync    %9.0f /s   %.2f x raw sign   (goal >= 0.70)\n", saves, saves / raw.sign);
    printf("  save+stamp, journal fdatasync   %9.0f /s   %.2f x raw sign\n", saves_sync, saves_sync / raw.sign);
    printf("  verify                          %9.0f /s   %.2f x raw verify (goal >= 0.70)\n", verifies,
           verifies / raw.verify);
    printf("  save latency (no fsync)  p50 %.0f us   p99 %.0f us   (goal p99 < 300 us, %ld saves)\n",
           lat[n_lat / 2], lat[(long)((double)n_lat * 0.99)], n_lat);
    casescribe_free(record);
    casescribe_ctx_close(nosync);
    casescribe_ctx_close(sync);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s %s", home1, home2);
    return system(cmd) == 0 ? 0 : 1;
}
