/* SPDX-License-Identifier: Apache-2.0 */
/* policy.c - `casescribe policy`: the council-wide policy bundle.
 *
 *   policy trust ADMIN.pub [--actor ID]
 *   policy refresh URL [--ca CA.pem] [--timeout-ms N]
 *   policy sign-bundle IN.xml --key ADMIN.key -o OUT.xml
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

/* The value after `flag` in argv[from..argc), or NULL. */
static const char *option(int argc, char **argv, int from, const char *flag)
{
    for (int i = from; i + 1 < argc; i++)
        if (strcmp(argv[i], flag) == 0)
            return argv[i + 1];
    return NULL;
}

/* 1 when argv[from..argc) is pairs of a flag from `known` and its value. */
static int only_flags(int argc, char **argv, int from, const char *const *known)
{
    for (int i = from; i < argc; i += 2) {
        int ok = 0;
        for (const char *const *k = known; *k != NULL; k++)
            ok |= strcmp(argv[i], *k) == 0;
        if (!ok || i + 1 >= argc)
            return 0;
    }
    return 1;
}

static int trust(const char *home, int argc, char **argv)
{
    static const char *const known[] = {"--actor", NULL};
    if (argc < 2 || !only_flags(argc, argv, 2, known))
        return tool_usage();
    uint8_t *pem = NULL;
    size_t len = 0;
    casescribe_ctx *ctx = NULL;
    if (tool_read_file(argv[1], &pem, &len) != 0)
        return EXIT_REFUSED;
    if (tool_open_home(&ctx, home, 0) != 0) {
        free(pem);
        return EXIT_REFUSED;
    }
    int32_t rc = casescribe_policy_trust(ctx, tool_admin_name(option(argc, argv, 2, "--actor")), (const char *)pem, len);
    int code = rc == CASESCRIBE_OK ? (printf("policy bundles signed by the key in %s are now trusted\n", argv[1]), 0)
                                   : tool_fail("policy trust", rc);
    free(pem);
    casescribe_ctx_close(ctx);
    return code;
}

static int refresh(const char *home, int argc, char **argv)
{
    static const char *const known[] = {"--ca", "--timeout-ms", NULL};
    if (argc < 2 || !only_flags(argc, argv, 2, known))
        return tool_usage();
    casescribe_fetch_options opts;
    casescribe_fetch_options_init(&opts, sizeof(opts));
    opts.url = argv[1];
    opts.ca_file = option(argc, argv, 2, "--ca");
    const char *timeout = option(argc, argv, 2, "--timeout-ms");
    if (timeout != NULL) {
        char *end = NULL;
        long ms = strtol(timeout, &end, 10);
        if (*end != '\0' || ms <= 0 || ms > 600000)
            return tool_usage();
        opts.timeout_ms = (int32_t)ms;
        opts.connect_timeout_ms = opts.connect_timeout_ms < ms ? opts.connect_timeout_ms : (int32_t)ms;
    }
    casescribe_ctx *ctx = NULL;
    casescribe_job *job = NULL;
    if (tool_open_home(&ctx, home, 0) != 0)
        return EXIT_REFUSED;
    int32_t rc = casescribe_policy_refresh(&job, ctx, &opts);
    if (rc == CASESCRIBE_OK)
        rc = casescribe_job_wait(job, -1);
    char *result = NULL;
    if (rc == CASESCRIBE_OK && (rc = casescribe_job_status(job)) != CASESCRIBE_OK)
        fprintf(stderr, "casescribe: policy refresh: %s%s\n", casescribe_job_message(job),
                strstr(casescribe_job_message(job), "certificate") != NULL
                    ? " (give the CA certificate that issued the server's with --ca CA.pem)"
                    : "");
    else if (rc == CASESCRIBE_OK && (rc = casescribe_job_result(&result, job)) == CASESCRIBE_OK)
        fputs(result, stdout);
    int code = rc == CASESCRIBE_OK ? 0 : job != NULL && casescribe_job_message(job) != NULL ? EXIT_REFUSED
                                                                                             : tool_fail("policy refresh", rc);
    casescribe_free(result);
    casescribe_job_free(job);
    casescribe_ctx_close(ctx);
    return code;
}

static int sign_bundle(int argc, char **argv)
{
    static const char *const known[] = {"--key", "-o", NULL};
    const char *key = option(argc, argv, 2, "--key"), *out = option(argc, argv, 2, "-o");
    if (argc < 2 || !only_flags(argc, argv, 2, known) || key == NULL || out == NULL)
        return tool_usage();
    uint8_t *in = NULL, *signed_bundle = NULL;
    size_t len = 0, signed_len = 0;
    if (tool_read_file(argv[1], &in, &len) != 0)
        return EXIT_REFUSED;
    int32_t rc = casescribe_policy_bundle_sign(&signed_bundle, &signed_len, in, len, key);
    int code = rc != CASESCRIBE_OK ? tool_fail("policy sign-bundle", rc)
                                   : tool_write_file(out, signed_bundle, signed_len) != 0 ? EXIT_REFUSED : 0;
    free(in);
    casescribe_free(signed_bundle);
    return code;
}

int casescribe_tool_policy(const char *home, int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "trust") == 0)
        return trust(home, argc, argv);
    if (argc >= 1 && strcmp(argv[0], "refresh") == 0)
        return refresh(home, argc, argv);
    if (argc >= 1 && strcmp(argv[0], "sign-bundle") == 0)
        return sign_bundle(argc, argv);
    return tool_usage();
}
