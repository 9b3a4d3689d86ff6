/* SPDX-License-Identifier: Apache-2.0 */
/* demo.c - a host program for the Larkspur adapter: what the Larkspur Case
 * Manager does behind its save button, with the adapter registered at run
 * time and every record kept in Larkspur's own JSON.
 *
 *   cc demo.c larkspur_adapter.c $(pkg-config --cflags --libs casescribe jansson libxml-2.0) -o larkspur-demo
 *   ./larkspur-demo sample.json [WORK-FOLDER]
 *   ./larkspur-demo --verify WORK-FOLDER RECORD.json
 *
 * The first form opens a home in WORK-FOLDER/home (a new temporary folder
 * when none is given), makes a key, switches ai-draft on for the form's
 * team, registers the adapter, and then:
 *   1. saves the sample (an AI draft, not final): version 1;
 *   2. tries to save it final: refused (EREVIEW), the draft is unreviewed;
 *   3. records the worker's review in the JSON and saves it final:
 *      version 2, chained to version 1;
 *   4. verifies version 2 through "larkspur" with the public key alone;
 *   5. checks that Larkspur's own fields came through both saves.
 * It writes WORK-FOLDER/larkspur-v1.json and larkspur-v2.json.
 * The second form verifies a record with the home's keys: exit status 0
 * when it verifies, 1 when it does not.
 *
 * Uses only the installed header and library, as a vendor's host does. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <casescribe.h>
#include <jansson.h>

#include "larkspur_adapter.h"

#define ACTOR "sw-017"
#define ADMIN "admin-1"

/* A library call failed: its message first, before any other call. */
static int failed(const char *what, int32_t status)
{
    char message[512];
    snprintf(message, sizeof(message), "%s", casescribe_last_error());
    fprintf(stderr, "larkspur-demo: %s: %s (%s)\n", what, message, casescribe_strerror(status));
    return 1;
}

static int die(const char *what, const char *detail)
{
    fprintf(stderr, "larkspur-demo: %s%s%s\n", what, detail != NULL ? ": " : "", detail != NULL ? detail : "");
    return 1;
}

/* The whole file, at most CASESCRIBE_MAX_PAYLOAD bytes; NULL otherwise. */
static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = f != NULL ? malloc(CASESCRIBE_MAX_PAYLOAD + 1u) : NULL;
    size_t n = buf != NULL ? fread(buf, 1, CASESCRIBE_MAX_PAYLOAD + 1u, f) : 0;
    if (f != NULL)
        fclose(f);
    if (buf != NULL && n > CASESCRIBE_MAX_PAYLOAD) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static int write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    int ok = f != NULL && fwrite(data, 1, len, f) == len;
    if (f != NULL && fclose(f) != 0)
        ok = 0;
    return ok ? 0 : -1;
}

static casescribe_ctx *open_home(const char *work, uint32_t flags, int32_t *rc)
{
    char home[4096];
    snprintf(home, sizeof(home), "%s/home", work);
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = home;
    opts.flags = flags;
    casescribe_ctx *ctx = NULL;
    *rc = casescribe_ctx_open(&ctx, &opts);
    return ctx;
}

/* The host's save button: its JSON, through the adapter, as the worker. */
static int32_t save_json(uint8_t **out, size_t *out_len, casescribe_ctx *ctx, const json_t *form)
{
    char *text = json_dumps(form, JSON_INDENT(2));
    if (text == NULL)
        return casescribe_set_error(CASESCRIBE_ENOMEM, "out of memory writing the JSON");
    casescribe_actor actor;
    casescribe_actor_init(&actor, sizeof(actor));
    actor.user_id = ACTOR;
    actor.role = "social-worker";
    int32_t rc = casescribe_save(out, out_len, ctx, LARKSPUR_ADAPTER_NAME, &actor, (const uint8_t *)text,
                                 strlen(text));
    free(text);
    return rc;
}

static json_t *parse(const uint8_t *bytes, size_t len)
{
    json_t *j = json_loadb((const char *)bytes, len, 0, NULL);
    if (j != NULL && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

/* The version the library stamped, read back through the adapter. */
static uint32_t version_of(const uint8_t *record, size_t len)
{
    casescribe_record *r = NULL;
    uint32_t v = 0;
    if (casescribe_record_open(&r, LARKSPUR_ADAPTER_NAME, record, len) == CASESCRIBE_OK)
        v = casescribe_record_version(r);
    casescribe_record_free(r);
    return v;
}

/* The worker reviewed the AI text and accepted it: what Larkspur's review
 * screen writes into its JSON. Returns how many answers were reviewed. */
static int mark_reviewed(json_t *form)
{
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    json_t *answer;
    size_t i;
    int n = 0;
    json_array_foreach(json_object_get(form, "answers"), i, answer) {
        if (!json_is_string(json_object_get(answer, "origin")) ||
            strcmp(json_string_value(json_object_get(answer, "origin")), "ai-draft") != 0)
            continue;
        if (json_object_set_new(answer, "origin", json_string("ai-reviewed")) != 0 ||
            json_object_set_new(answer, "reviewedBy", json_string(ACTOR)) != 0 ||
            json_object_set_new(answer, "reviewedAt", json_string(now)) != 0 ||
            json_object_set_new(answer, "review", json_string("accepted")) != 0)
            return -1;
        n++;
    }
    return n;
}

/* The steps, each printed. Every failure prints why and goes to `done`,
 * which releases everything on every path. */
static int demo(const char *sample_path, const char *work)
{
    int status = 1, registered = 0;
    int32_t rc;
    size_t len = 0, v1_len = 0, v2_len = 0, refused_len = 0;
    uint8_t *sample_bytes = NULL, *v1 = NULL, *v2 = NULL, *refused = NULL;
    json_t *sample = NULL, *record = NULL, *saved = NULL;
    char *pem = NULL, *report = NULL;
    casescribe_ctx *ctx = NULL;
    char path1[4096], path2[4096];
    snprintf(path1, sizeof(path1), "%s/larkspur-v1.json", work);
    snprintf(path2, sizeof(path2), "%s/larkspur-v2.json", work);

    if ((sample_bytes = read_file(sample_path, &len)) == NULL || (sample = parse(sample_bytes, len)) == NULL) {
        die("cannot read a JSON object from", sample_path);
        goto done;
    }
    const char *team = json_string_value(json_object_get(sample, "team"));
    if (team == NULL) {
        die("the sample names no team", NULL);
        goto done;
    }
    if (mkdir(work, 0700) != 0 && errno != EEXIST) {
        die("cannot make the work folder", work);
        goto done;
    }

    ctx = open_home(work, CASESCRIBE_OPEN_CREATE, &rc);
    if (rc != CASESCRIBE_OK) {
        failed("open the home", rc);
        goto done;
    }
    printf("home: %s\n", casescribe_ctx_home(ctx));
    rc = casescribe_keygen(NULL, ctx, 0);
    if (rc != CASESCRIBE_OK && rc != CASESCRIBE_EKEY) { /* EKEY: a key exists already */
        failed("keygen", rc);
        goto done;
    }
    /* A team never configured has every AI feature off. */
    if ((rc = casescribe_team_set(ctx, ADMIN, team, "ai-draft", "on")) != CASESCRIBE_OK) {
        failed("switch ai-draft on", rc);
        goto done;
    }
    printf("team %s: ai-draft switched on by %s\n", team, ADMIN);

    /* Once, at start-up, before the threads that save. */
    if ((rc = larkspur_adapter_register()) != CASESCRIBE_OK) {
        failed("register the Larkspur adapter", rc);
        goto done;
    }
    registered = 1;
    printf("adapter \"%s\" registered\n", LARKSPUR_ADAPTER_NAME);

    /* 1. The worker saves the visit with its AI draft, not yet final. */
    if ((rc = save_json(&v1, &v1_len, ctx, sample)) != CASESCRIBE_OK) {
        failed(rc == CASESCRIBE_ECONFLICT ? "save the draft (the record is in this home already: use a new work folder)"
                                          : "save the draft",
               rc);
        goto done;
    }
    if (write_file(path1, v1, v1_len) != 0) {
        die("cannot write", path1);
        goto done;
    }
    printf("1. draft saved through \"%s\": version %u, its AI draft unreviewed -> %s\n", LARKSPUR_ADAPTER_NAME,
           version_of(v1, v1_len), path1);

    /* 2. The stored record, as Larkspur reads it back, saved final. */
    if ((record = parse(v1, v1_len)) == NULL || json_object_set_new(record, "final", json_true()) != 0) {
        die("cannot read back version 1", NULL);
        goto done;
    }
    rc = save_json(&refused, &refused_len, ctx, record);
    if (rc != CASESCRIBE_EREVIEW) {
        if (rc == CASESCRIBE_OK)
            die("a final save with an unreviewed AI draft was accepted", NULL);
        else
            failed("the final save", rc);
        goto done;
    }
    char message[512];
    snprintf(message, sizeof(message), "%s", casescribe_last_error());
    printf("2. final save refused (%s): %s\n", casescribe_strerror(rc), message);

    /* 3. The worker reviews the draft; Larkspur records it; final save. */
    if (mark_reviewed(record) <= 0) {
        die("no AI draft to review in", sample_path);
        goto done;
    }
    if ((rc = save_json(&v2, &v2_len, ctx, record)) != CASESCRIBE_OK) {
        failed("the reviewed final save", rc);
        goto done;
    }
    if (write_file(path2, v2, v2_len) != 0) {
        die("cannot write", path2);
        goto done;
    }
    saved = parse(v2, v2_len);
    const char *stamp = json_string_value(json_object_get(saved, "casescribeStamp"));
    const char *previous = stamp != NULL ? strstr(stamp, "previous=\"") : NULL;
    printf("3. reviewed by %s and saved final: version %u, chained to version 1 (previous=%.23s...) -> %s\n", ACTOR,
           version_of(v2, v2_len), previous != NULL ? previous + 10 : "(none)", path2);

    /* 4. Anyone can check it offline with the public key alone. */
    rc = casescribe_public_key(&pem, ctx);
    if (rc == CASESCRIBE_OK)
        rc = casescribe_verify_with_public_key(&report, LARKSPUR_ADAPTER_NAME, (const uint8_t *)pem, strlen(pem),
                                               v2, v2_len);
    if (rc != CASESCRIBE_OK) {
        failed("verify version 2", rc);
        goto done;
    }
    printf("4. version 2 verified through \"%s\" with the public key alone:\n%s", LARKSPUR_ADAPTER_NAME, report);

    /* 5. What CaseScribe does not model came through untouched. */
    if (saved == NULL ||
        !json_equal(json_object_get(sample, "vendorFields"), json_object_get(saved, "vendorFields")) ||
        !json_equal(json_object_get(sample, "larkspurSchemaVersion"),
                    json_object_get(saved, "larkspurSchemaVersion"))) {
        die("vendorFields did not come through the saves", NULL);
        goto done;
    }
    printf("5. vendorFields and Larkspur's own keys carried through both saves: yes\n");

    uint64_t entries = 0;
    if ((rc = casescribe_journal_verify(&entries, NULL, ctx)) != CASESCRIBE_OK) {
        failed("journal verify", rc);
        goto done;
    }
    printf("journal: %llu entries, chain intact (the refused save journalled nothing)\n", (unsigned long long)entries);
    status = 0;

done:
    /* At shut-down: calls still running finish first. */
    if (registered && (rc = larkspur_adapter_unregister()) != CASESCRIBE_OK)
        status = failed("unregister", rc);
    else if (registered && status == 0)
        printf("adapter \"%s\" unregistered\n", LARKSPUR_ADAPTER_NAME);
    json_decref(saved);
    json_decref(record);
    json_decref(sample);
    casescribe_free(report);
    casescribe_free(pem);
    casescribe_free(refused);
    casescribe_free(v2);
    casescribe_free(v1);
    casescribe_ctx_close(ctx);
    free(sample_bytes);
    return status;
}

/* Verifies a stored Larkspur record with the home's keys. */
static int verify(const char *work, const char *path)
{
    size_t len = 0;
    uint8_t *bytes = read_file(path, &len);
    if (bytes == NULL)
        return die("cannot read", path);
    int32_t rc;
    casescribe_ctx *ctx = open_home(work, 0, &rc);
    if (rc == CASESCRIBE_OK && (rc = larkspur_adapter_register()) != CASESCRIBE_OK) {
        failed("register the Larkspur adapter", rc);
    } else if (rc != CASESCRIBE_OK) {
        failed("open the home", rc);
    } else {
        char *report = NULL;
        rc = casescribe_verify(&report, ctx, LARKSPUR_ADAPTER_NAME, bytes, len);
        if (rc != CASESCRIBE_OK) {
            char message[512];
            snprintf(message, sizeof(message), "%s", casescribe_last_error());
            printf("NOT VERIFIED (%s): %s\n", casescribe_strerror(rc), message);
        }
        if (report != NULL)
            fputs(report, stdout);
        casescribe_free(report);
        larkspur_adapter_unregister();
    }
    casescribe_ctx_close(ctx);
    free(bytes);
    return rc == CASESCRIBE_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--verify") == 0)
        return verify(argv[2], argv[3]);
    if (argc == 2 || (argc == 3 && argv[1][0] != '-')) {
        if (argc == 3)
            return demo(argv[1], argv[2]);
        const char *tmp = getenv("TMPDIR");
        char work[4096];
        snprintf(work, sizeof(work), "%s/larkspur-demo-XXXXXX", tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
        if (mkdtemp(work) == NULL)
            return die("cannot make a temporary folder", strerror(errno));
        return demo(argv[1], work);
    }
    fprintf(stderr, "usage: %s SAMPLE.json [WORK-FOLDER]\n       %s --verify WORK-FOLDER RECORD.json\n", argv[0],
            argv[0]);
    return 2;
}
