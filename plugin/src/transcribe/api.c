/* SPDX-License-Identifier: Apache-2.0 */
/* transcribe/api.c - transcription as a job: the policy and consent gates,
 * then the engine, off the save path.
 *
 * Both gates run twice: when the host asks (so that a refused request
 * fails at once, with its reason) and again when the job starts (the
 * policy may have changed while the job waited in the queue). */
#include <openssl/crypto.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapter.h"
#include "consent/consent.h"
#include "context.h"
#include "internal.h"
#include "jobs/ai_job.h"
#include "jobs/kept.h"
#include "provenance/keys.h"
#include "store/spool.h"
#include "transcribe/engine.h"
#include "transcribe/retention.h"
#include "transcribe/transcript.h"

struct transcription {
    casescribe_ctx *ctx;
    cs_record *form; /* the form the recording belongs to: its team and consents */
    char *audio_path, *helper_path, *model_dir;
    char *given; /* a taken recording: where it came from (given back when the job fails) */
    cs_ai_remote remote; /* the remote engine, when the team's policy chooses it */
    int take_recording;
    uint8_t *tags; /* the worker's observation tags, as given; NULL when none */
    size_t tags_len;
    cs_engine_config cfg;
};

static void transcription_free(void *arg)
{
    struct transcription *t = arg;
    if (t == NULL)
        return;
    cs_record_free(t->form);
    free(t->audio_path);
    free(t->given);
    free(t->helper_path);
    free(t->model_dir);
    cs_ai_remote_clear(&t->remote);
    free(t->tags);
    free(t);
}

/* The team's policy must have transcription on; a remote engine also needs
 * external-ai on and an endpoint on the policy's allow-list. */
static int32_t policy_gate(cs_ai_route *route, casescribe_ctx *ctx, const cs_record *form, const char *asked)
{
    return cs_ai_policy_gate(route, ctx, form->team, asked, CS_FEATURE_TRANSCRIPTION, "transcription", "");
}

/* Observation tags come with a recording only when the team's policy has
 * observation-tags on. */
static int32_t tags_gate(const cs_ai_route *route, const cs_record *form, size_t tags_len)
{
    if (tags_len == 0 || route->tags)
        return CASESCRIBE_OK;
    return cs_fail(CASESCRIBE_EPOLICY, "team %s has observation-tags switched off in its policy: the recording "
                                       "cannot be transcribed with the worker's tags (send it without them, or "
                                       "switch observation-tags on)",
                   form->team);
}

/* A tag list that does not read is refused when the job is asked for, with
 * the line at fault, rather than after the recording was transcribed. */
static int32_t tags_readable(const uint8_t *tags, size_t len)
{
    if (len == 0)
        return CASESCRIBE_OK;
    casescribe_transcript *scratch = cs_transcript_new();
    int32_t rc = scratch != NULL ? cs_transcript_add_tags(scratch, tags, len)
                                 : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    cs_transcript_unref(scratch);
    return rc;
}

/* Every subject on the form must have consent in force to the recording
 * and its transcription (fail closed: no consent, no AI). */
static int32_t consent_gate(const cs_record *form, int remote)
{
    const char *subject = NULL, *why = NULL;
    uint32_t needed = CS_SCOPE_RECORD_AUDIO | CS_SCOPE_TRANSCRIBE | (remote ? CS_SCOPE_EXTERNAL_AI : 0);
    int32_t rc = cs_ai_consent(&subject, &why, form, needed);
    if (rc != CASESCRIBE_OK || subject == NULL)
        return rc;
    return cs_fail(CASESCRIBE_ECONSENT, "the recording cannot be transcribed: the consent of subject '%s' does not "
                                        "cover recording and transcription%s (%s)%s",
                   subject, remote ? " by a service outside this machine" : "", why,
                   remote ? ": nothing was sent" : "");
}

/* The remote service's API key: from a file only its owner may read, or
 * from an environment variable; NULL when neither is set (a local server
 * may need none). The caller wipes and frees it. */
static void wipe(char *secret)
{
    if (secret != NULL)
        OPENSSL_cleanse(secret, strlen(secret));
    free(secret);
}

static int32_t transcribe_routed(casescribe_transcript **out, struct transcription *t, const cs_ai_route *route,
                                 casescribe_job *job)
{
    if (!route->remote) {
        t->cfg.remote = NULL;
        return cs_engine_transcribe(out, &t->cfg, t->audio_path, job);
    }
    char *key = NULL;
    int32_t rc = cs_api_key(&key, t->remote.key_file, t->remote.key_env);
    cs_remote_config remote = {route->endpoint, t->remote.remote_model, key, t->remote.ca_file, 120000};
    t->cfg.remote = &remote;
    if (rc == CASESCRIBE_OK)
        rc = cs_engine_transcribe(out, &t->cfg, t->audio_path, job);
    t->cfg.remote = NULL;
    wipe(key);
    return rc;
}

static void free_transcript(void *t)
{
    cs_transcript_unref(t);
}

/* The journal's record of a recording deleted under the policy: the spool
 * name and the reason, no personal data. */
static void journal_deletion(const char *name, void *arg)
{
    casescribe_ctx *ctx = arg;
    char at[21];
    cs_format_time(at, cs_now());
    json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", "audio", "action", "deleted", "reason",
                          "audio-retention-days", "file", name, "time", at);
    if (e == NULL || cs_ctx_journal_append(ctx, e) != CASESCRIBE_OK)
        cs_clear_error(); /* the deletion stands; a missing audit line is not worth failing the job for */
    json_decref(e);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

/* Transcribes the recording kept for the job and, for a recording the
 * library took, applies the policy's retention: a failed job gives the
 * recording back (unless the context closing stopped it: it runs again
 * after the restart). */
static int32_t transcribe_taken(casescribe_transcript **out, struct transcription *t, const cs_ai_route *route,
                                casescribe_job *job)
{
    if (!t->take_recording || t->given == NULL)
        return transcribe_routed(out, t, route, job);
    cs_audio_sweep(t->ctx->home, cs_now(), NULL, journal_deletion, t->ctx); /* others whose time has come */
    cs_clear_error();
    int32_t rc = transcribe_routed(out, t, route, job);
    int deleted = 0;
    if (rc != CASESCRIBE_OK && !cs_job_interrupted(job))
        cs_audio_give_back(t->audio_path, t->given);
    else if (rc == CASESCRIBE_OK &&
             (rc = cs_audio_retain(&deleted, t->audio_path, route->retention_days, cs_now())) == CASESCRIBE_OK &&
             deleted)
        journal_deletion(base_name(t->audio_path), t->ctx);
    if (rc != CASESCRIBE_OK && *out != NULL) {
        cs_transcript_unref(*out);
        *out = NULL;
    }
    return rc;
}

/* The file of a kept transcription job's folder that keeps its transcript. */
#define KEPT_TRANSCRIPT "made-transcript.xml"
#define KEPT_TRANSCRIPT_MAX (32u << 20)

/* Keeps the transcript in the job's folder (a kept job), as XML. */
static void keep_transcript(casescribe_job *job, const casescribe_transcript *t)
{
    if (cs_job_id(job) == NULL)
        return;
    char *xml = NULL;
    if (casescribe_transcript_render(&xml, t, CASESCRIBE_TRANSCRIPT_XML) == CASESCRIBE_OK)
        cs_job_keep_output(job, KEPT_TRANSCRIPT, xml, strlen(xml));
    casescribe_free(xml);
    cs_clear_error(); /* the transcript is made: only a restart would run it again */
}

int32_t cs_transcription_kept_output(cs_job_ending *end, const cs_spool *sp)
{
    uint8_t *xml = NULL;
    size_t len = 0;
    casescribe_transcript *t = NULL;
    int32_t rc = cs_ai_job_read_made(sp, KEPT_TRANSCRIPT, &xml, &len, KEPT_TRANSCRIPT_MAX, "transcript");
    if (rc == CASESCRIBE_OK)
        rc = casescribe_transcript_open(&t, xml, len);
    free(xml);
    if (rc == CASESCRIBE_OK) {
        end->output = t;
        end->free_output = free_transcript;
    }
    return rc;
}

static int32_t run_transcription(casescribe_job *job, void *arg, char **result)
{
    struct transcription *t = arg;
    cs_ai_route route;
    int32_t rc = policy_gate(&route, t->ctx, t->form, t->remote.endpoint_asked);
    if (rc == CASESCRIBE_OK)
        rc = tags_gate(&route, t->form, t->tags_len);
    if (rc == CASESCRIBE_OK)
        rc = consent_gate(t->form, route.remote);
    casescribe_transcript *out = NULL;
    if (rc == CASESCRIBE_OK)
        rc = transcribe_taken(&out, t, &route, job);
    if (rc == CASESCRIBE_OK && t->tags_len > 0 && (rc = cs_transcript_add_tags(out, t->tags, t->tags_len)) != 0) {
        cs_transcript_unref(out);
        out = NULL;
    }
    if (rc == CASESCRIBE_OK) {
        cs_buf b = {0};
        cs_buf_printf(&b, "%zu segments, by %s\n", out->n_segments, out->engine);
        if (t->tags_len > 0)
            cs_buf_printf(&b, "%zu of them the worker's observation tags\n", cs_transcript_tag_count(out));
        *result = cs_buf_take(&b);
        cs_buf_free(&b);
        cs_job_set_output(job, out, free_transcript);
        keep_transcript(job, out);
    }
    return rc;
}

/* ---- the public interface ------------------------------------------------- */

/* The options' size before 1.7 added the observation tags. */
#define OPTIONS_1_6_SIZE offsetof(casescribe_transcribe_options, tags)

int32_t casescribe_transcribe_options_init(casescribe_transcribe_options *opts, uint32_t struct_size)
{
    return cs_ai_options_reset(opts, struct_size, OPTIONS_1_6_SIZE, sizeof(*opts), "casescribe_transcribe_options",
                               opts != NULL ? &opts->form_adapter : NULL, opts != NULL ? &opts->remote_model : NULL,
                               "whisper-1");
}

#define MAX_TAGS_BYTES (64u << 10)

static uint32_t cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > CS_MAX_PARALLEL ? CS_MAX_PARALLEL : (uint32_t)n;
}

static int32_t check_options(const void *arg)
{
    const casescribe_transcribe_options *o = arg;
    if (!cs_options_known(o->struct_size, OPTIONS_1_6_SIZE, sizeof(*o)))
        return cs_fail(CASESCRIBE_EINVAL, "transcribe options not initialised: call casescribe_transcribe_options_init");
    if (o->struct_size > OPTIONS_1_6_SIZE && (o->tags_len > MAX_TAGS_BYTES || (o->tags == NULL && o->tags_len > 0)))
        return cs_fail(CASESCRIBE_EINVAL, "tags: at most %u bytes, and given when tags_len is set", MAX_TAGS_BYTES);
    if (o->audio_path == NULL || o->audio_path[0] == '\0' || strlen(o->audio_path) > 4000)
        return cs_fail(CASESCRIBE_EINVAL, "audio_path is required");
    if (o->form == NULL || o->form_len == 0)
        return cs_fail(CASESCRIBE_EINVAL, "the form the recording belongs to is required: its team's policy and "
                                          "its subjects' consent decide whether it may be transcribed");
    if ((o->flags & ~(uint32_t)CASESCRIBE_TRANSCRIBE_TAKE_RECORDING) != 0)
        return cs_fail(CASESCRIBE_EINVAL, "unknown transcribe flags");
    if (o->remote_model != NULL && !cs_valid_label(o->remote_model, 128))
        return cs_fail(CASESCRIBE_EINVAL, "remote_model must be 1-128 printable characters");
    if (o->parallel > CS_MAX_PARALLEL || o->unsure_permille > 1000 || o->max_seconds > 4 * 3600)
        return cs_fail(CASESCRIBE_EINVAL, "parallel is 0-%d, unsure_permille 0-1000, max_seconds 0-14400",
                       CS_MAX_PARALLEL);
    return CASESCRIBE_OK;
}

static int32_t fill_config(struct transcription *t, const casescribe_transcribe_options *o)
{
    t->helper_path = cs_strdup(o->helper_path != NULL ? o->helper_path : CS_PKGLIBEXECDIR "/casescribe-asr");
    t->model_dir = cs_strdup(o->model_dir != NULL ? o->model_dir : CS_POCKETSPHINX_MODEL);
    t->audio_path = cs_strdup(o->audio_path);
    if (t->helper_path == NULL || t->model_dir == NULL || t->audio_path == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    const char *model = o->remote_model != NULL ? o->remote_model : "whisper-1";
    int32_t rc = cs_ai_remote_copy(&t->remote, o->remote_endpoint, model, o->api_key_file, o->api_key_env, o->ca_file);
    if (rc != CASESCRIBE_OK)
        return rc;
    t->take_recording = (o->flags & CASESCRIBE_TRANSCRIBE_TAKE_RECORDING) != 0;
    size_t tags_len = o->struct_size > OPTIONS_1_6_SIZE ? o->tags_len : 0;
    if (tags_len > 0 && (t->tags = malloc(tags_len)) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (tags_len > 0)
        memcpy(t->tags, o->tags, tags_len);
    t->tags_len = tags_len;
    t->cfg.helper_path = t->helper_path;
    t->cfg.model_dir = t->model_dir;
    t->cfg.parallel = o->parallel ? o->parallel : cpus();
    t->cfg.max_seconds = o->max_seconds ? o->max_seconds : 4 * 3600;
    t->cfg.unsure_permille = o->unsure_permille ? o->unsure_permille : CS_DEFAULT_UNSURE_PERMILLE;
    return CASESCRIBE_OK;
}

/* ---- kept jobs: the input in the home, the options in the store ------------ */

#define FORM_MAX (64u << 20)

/* The options a restart needs (no personal data: the recording and the
 * form are files in the job's folder). */
static json_t *transcription_detail(const casescribe_transcribe_options *o)
{
    return json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:I, s:I, s:I, s:I}", "adapter",
                     o->form_adapter != NULL ? o->form_adapter : "xml", "helper", o->helper_path, "model-dir",
                     o->model_dir, "endpoint", o->remote_endpoint, "remote-model", o->remote_model, "key-file",
                     o->api_key_file, "key-env", o->api_key_env, "ca-file", o->ca_file, "parallel",
                     (json_int_t)o->parallel, "max-seconds", (json_int_t)o->max_seconds, "unsure",
                     (json_int_t)o->unsure_permille, "flags", (json_int_t)o->flags);
}

/* "recording" with the recording's extension (a-z 0-9, at most 5): the
 * decoder tells MP3 from WAV by name where it must. */
static void recording_name(char out[16], const char *path)
{
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    size_t k = 0;
    char ext[6] = "";
    for (const char *p = dot != NULL && (slash == NULL || dot > slash) ? dot + 1 : ""; *p != '\0' && k < 5; p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z'))
            ext[k++] = (char)(*p | 0x20);
    ext[k] = '\0';
    snprintf(out, 16, "recording%s%s", k ? "." : "", ext);
}

/* A taken recording moves into <home>/audio/ now (retention applies to it
 * there); any other is copied into the job's folder. A recording that does
 * not exist is left for the job to fail on, as before. */
static int32_t keep_recording(struct transcription *t, cs_spool *sp, json_t *detail)
{
    char name[16], path[4300];
    char *spooled = NULL;
    recording_name(name, t->audio_path);
    int32_t rc = t->take_recording ? cs_audio_take(&spooled, t->ctx->home, t->audio_path)
                                   : cs_spool_copy_in(sp, name, t->audio_path);
    if (rc == CASESCRIBE_ENOTFOUND) {
        cs_clear_error();
        return json_object_set_new(detail, "recording", json_string("")) == 0
                   ? CASESCRIBE_OK
                   : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    }
    if (rc == CASESCRIBE_OK && t->take_recording)
        rc = cs_spool_write(sp, "return-path", t->audio_path, strlen(t->audio_path));
    else if (rc == CASESCRIBE_OK)
        rc = cs_spool_path(sp, name, path, sizeof(path));
    if (rc == CASESCRIBE_OK && json_object_set_new(detail, "recording",
                                                   json_string(spooled != NULL ? base_name(spooled) : name)) != 0)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    char *now_at = rc != CASESCRIBE_OK ? NULL : cs_strdup(spooled != NULL ? spooled : path);
    if (rc == CASESCRIBE_OK && now_at == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc != CASESCRIBE_OK) {
        if (spooled != NULL)
            cs_audio_give_back(spooled, t->audio_path);
        free(spooled);
        return rc;
    }
    free(spooled);
    if (t->take_recording)
        t->given = t->audio_path;
    else
        free(t->audio_path);
    t->audio_path = now_at;
    return CASESCRIBE_OK;
}

/* Records the job in the store, its form and recording in a folder of its
 * own, and queues it; when rc (the request's checks) is a failure, frees t
 * and returns rc. */
static int32_t submit_kept(int32_t rc, casescribe_job **job_out, struct transcription *t,
                           const casescribe_transcribe_options *o)
{
    if (rc != CASESCRIBE_OK) {
        transcription_free(t);
        return rc;
    }
    char id[CS_JOB_ID_LEN];
    cs_spool *sp = NULL;
    json_t *detail = transcription_detail(o);
    char *text = NULL, *taken = NULL, *given = NULL;
    rc = detail == NULL ? cs_fail(CASESCRIBE_ENOMEM, "out of memory")
                        : cs_ai_job_folder(&sp, id, t->ctx->home, o->form, o->form_len);
    if (rc == CASESCRIBE_OK && t->tags_len > 0)
        rc = cs_spool_write(sp, "tags", t->tags, t->tags_len);
    if (rc == CASESCRIBE_OK)
        rc = keep_recording(t, sp, detail);
    if (rc == CASESCRIBE_OK && (text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc == CASESCRIBE_OK && t->given != NULL &&
        ((taken = cs_strdup(t->audio_path)) == NULL || (given = cs_strdup(t->given)) == NULL))
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    json_decref(detail);
    int prepared = rc == CASESCRIBE_OK;
    if (!prepared && t->given != NULL)
        cs_audio_give_back(t->audio_path, t->given);
    rc = cs_ai_job_queue(rc, t->ctx, "transcription", run_transcription, t, transcription_free, id, sp, text, job_out);
    if (prepared && rc != CASESCRIBE_OK && taken != NULL)
        cs_audio_give_back(taken, given); /* the job never existed: the recording goes back */
    free(text);
    free(taken);
    free(given);
    return rc;
}

int32_t casescribe_transcribe(casescribe_job **job_out, casescribe_ctx *ctx, const casescribe_transcribe_options *opts)
{
    int32_t rc;
    struct transcription *t =
        cs_ai_job_request(&rc, job_out, ctx, opts, "casescribe_transcribe", check_options, sizeof(*t));
    if (t == NULL)
        return rc;
    t->ctx = ctx;
    cs_ai_route route;
    rc = cs_adapter_decode_in(&t->form, opts->form_adapter, ctx, opts->form, opts->form_len);
    if (rc == CASESCRIBE_OK)
        rc = policy_gate(&route, ctx, t->form, opts->remote_endpoint);
    if (rc == CASESCRIBE_OK)
        rc = fill_config(t, opts);
    if (rc == CASESCRIBE_OK)
        rc = tags_gate(&route, t->form, t->tags_len);
    if (rc == CASESCRIBE_OK)
        rc = tags_readable(t->tags, t->tags_len);
    if (rc == CASESCRIBE_OK)
        rc = consent_gate(t->form, route.remote);
    return submit_kept(rc, job_out, t, opts);
}

/* ---- after a restart ------------------------------------------------------ */

static const char *opt_text(const json_t *d, const char *key)
{
    return json_string_value(json_object_get(d, key)); /* NULL when absent or null */
}

static uint32_t opt_int(const json_t *d, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(d, key));
    return v > 0 && v <= 1000000 ? (uint32_t)v : 0;
}

/* The options the job was submitted with, its recording where it is kept. */
static int32_t resume_options(casescribe_transcribe_options *o, const json_t *d, const char *home,
                              const cs_spool *sp, char *path, size_t n)
{
    casescribe_transcribe_options_init(o, sizeof(*o));
    o->form_adapter = opt_text(d, "adapter");
    o->helper_path = opt_text(d, "helper");
    o->model_dir = opt_text(d, "model-dir");
    cs_ai_remote_detail(d, &o->remote_endpoint, &o->remote_model, &o->api_key_file, &o->api_key_env, &o->ca_file);
    o->parallel = opt_int(d, "parallel");
    o->max_seconds = opt_int(d, "max-seconds");
    o->unsure_permille = opt_int(d, "unsure");
    o->flags = opt_int(d, "flags");
    const char *rec = opt_text(d, "recording");
    if (rec == NULL || strchr(rec, '/') != NULL || rec[0] == '.')
        return cs_fail(CASESCRIBE_EJOURNAL, "the job's record in the store is malformed");
    int w = (o->flags & CASESCRIBE_TRANSCRIBE_TAKE_RECORDING) && rec[0] ? snprintf(path, n, "%s/audio/%s", home, rec)
                                                                         : 0;
    int32_t rc = w < 0 || (size_t)w >= n ? cs_fail(CASESCRIBE_EINVAL, "the home path is too long") : CASESCRIBE_OK;
    if (rc == CASESCRIBE_OK && w == 0)
        rc = cs_spool_path(sp, rec[0] ? rec : "recording", path, n);
    o->audio_path = path;
    return rc;
}

/* A taken recording's way back when the job fails. */
static int32_t resume_given(struct transcription *t, const cs_spool *sp, const json_t *d)
{
    const char *rec = opt_text(d, "recording");
    if (!t->take_recording || rec == NULL || rec[0] == '\0')
        return CASESCRIBE_OK;
    size_t len = 0;
    return cs_spool_read(sp, "return-path", (uint8_t **)&t->given, &len, 4096);
}

int32_t cs_transcription_resume(casescribe_job **out, casescribe_ctx *ctx, const cs_store_job *row, cs_spool *sp)
{
    char path[4300];
    uint8_t *form = NULL, *tags = NULL;
    size_t form_len = 0;
    casescribe_transcribe_options o;
    json_t *d = json_loads(row->detail, 0, NULL);
    struct transcription *t = calloc(1, sizeof(*t));
    int32_t rc = d == NULL || t == NULL ? cs_fail(CASESCRIBE_ENOMEM, "out of memory or a malformed job record")
                                        : resume_options(&o, d, ctx->home, sp, path, sizeof(path));
    if (rc == CASESCRIBE_OK)
        rc = cs_spool_read(sp, "form", &form, &form_len, FORM_MAX);
    o.form = form;
    o.form_len = form_len;
    if (rc == CASESCRIBE_OK && (rc = cs_spool_read(sp, "tags", &tags, &o.tags_len, MAX_TAGS_BYTES)) == CASESCRIBE_ENOTFOUND)
        rc = CASESCRIBE_OK; /* none were given */
    o.tags = tags;
    if (rc == CASESCRIBE_OK)
        rc = check_options(&o); /* the bounds hold for a record read back too */
    if (rc == CASESCRIBE_OK) {
        t->ctx = ctx;
        rc = cs_adapter_decode_in(&t->form, o.form_adapter, ctx, form, form_len);
    }
    if (rc == CASESCRIBE_OK)
        rc = fill_config(t, &o);
    if (rc == CASESCRIBE_OK)
        rc = resume_given(t, sp, d);
    json_decref(d);
    free(form);
    free(tags);
    if (rc == CASESCRIBE_ENOTFOUND)
        rc = cs_fail(rc, "the job's input is no longer in the home");
    return cs_ai_job_requeue(rc, ctx, "transcription", run_transcription, t, transcription_free, row, sp, out);
}

int32_t casescribe_job_transcript(casescribe_transcript **transcript_out, const casescribe_job *job)
{
    if (transcript_out != NULL)
        *transcript_out = NULL;
    if (transcript_out == NULL || job == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_job_transcript: transcript_out and job are required");
    int32_t rc;
    casescribe_transcript *t = cs_ai_job_made(&rc, job, "transcription", "transcript");
    if (t == NULL)
        return rc;
    *transcript_out = cs_transcript_ref(t);
    return CASESCRIBE_OK;
}

int32_t casescribe_audio_sweep(casescribe_ctx *ctx, uint32_t *deleted_out)
{
    if (deleted_out != NULL)
        *deleted_out = 0;
    if (ctx == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_audio_sweep: ctx is NULL");
    if (cs_ctx_writable(ctx) != CASESCRIBE_OK)
        return CASESCRIBE_EIO;
    cs_clear_error();
    return cs_audio_sweep(ctx->home, cs_now(), deleted_out, journal_deletion, ctx);
}
