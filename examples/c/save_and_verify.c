/* SPDX-License-Identifier: Apache-2.0 */
/* save_and_verify.c - the smallest host: open a home, make a key, save a
 * visit form through the hook, see the final save refused while its AI
 * draft is unreviewed, and verify the stamped record offline.
 *
 *   cc save_and_verify.c $(pkg-config --cflags --libs casescribe) -o save_and_verify
 *   ./save_and_verify HOME-FOLDER FORM.xml
 *
 * It uses only the installed header, as a vendor's host does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <casescribe.h>

static int failed(const char *what, int32_t status)
{
    fprintf(stderr, "%s: %s (%s)\n", what, casescribe_last_error(), casescribe_strerror(status));
    return 1;
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = f != NULL ? malloc(CASESCRIBE_MAX_PAYLOAD) : NULL;
    *len = buf != NULL ? fread(buf, 1, CASESCRIBE_MAX_PAYLOAD, f) : 0;
    if (f != NULL)
        fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s HOME-FOLDER FORM.xml\n", argv[0]);
        return 2;
    }
    size_t len = 0;
    uint8_t *form = read_all(argv[2], &len);
    if (form == NULL)
        return failed("read the form", CASESCRIBE_EIO);

    /* One context per process, shared by every thread. */
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = argv[1];
    opts.flags = CASESCRIBE_OPEN_CREATE;
    casescribe_ctx *ctx = NULL;
    int32_t rc = casescribe_ctx_open(&ctx, &opts);
    if (rc != CASESCRIBE_OK)
        return failed("open the home", rc);
    rc = casescribe_keygen(NULL, ctx, 0);
    if (rc != CASESCRIBE_OK && rc != CASESCRIBE_EKEY) /* EKEY: a key exists already */
        return failed("keygen", rc);
    /* A team never configured has every AI feature off. */
    rc = casescribe_team_set(ctx, "admin-1", "cin-north", "ai-draft", "on");
    if (rc != CASESCRIBE_OK)
        return failed("switch ai-draft on", rc);

    /* The save hook: the library checks policy, consent and review, stamps
     * and journals; store what it returns as the record. */
    casescribe_actor actor;
    casescribe_actor_init(&actor, sizeof(actor));
    actor.user_id = "sw-017";
    actor.role = "social-worker";
    uint8_t *stamped = NULL;
    size_t stamped_len = 0;
    rc = casescribe_save(&stamped, &stamped_len, ctx, "xml", &actor, form, len);
    if (rc != CASESCRIBE_OK)
        return failed("save", rc);
    printf("saved: %zu bytes, stamped\n", stamped_len);

    /* Anyone can check it offline with the public key alone. */
    char *pem = NULL, *report = NULL;
    rc = casescribe_public_key(&pem, ctx);
    if (rc == CASESCRIBE_OK)
        rc = casescribe_verify_with_public_key(&report, "xml", (const uint8_t *)pem, strlen(pem), stamped, stamped_len);
    if (rc != CASESCRIBE_OK)
        return failed("verify", rc);
    fputs(report, stdout);

    casescribe_free(report);
    casescribe_free(pem);
    casescribe_free(stamped);
    casescribe_ctx_close(ctx);
    free(form);
    return 0;
}
