/* SPDX-License-Identifier: Apache-2.0 */
/* fill/api.c - drafting a form from a transcript, as a job; and templates.
 *
 * The same two gates as transcription, at the request and again when the
 * job starts: the form's team must have "ai-draft" on (and "external-ai"
 * for the remote filler), and every subject on the form must have consent
 * in force that covers "ai-draft" (and "external-ai"). Then a filler makes
 * a draft, which goes into a copy of the form as ai-draft sections with
 * citations: the save hook's policy, consent and review gate apply to it
 * like any other AI text when the host saves it. */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <openssl/crypto.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapter.h"
#include "consent/consent.h"
#include "context.h"
#include "fill/fill.h"
#include "fill/tags.h"
#include "internal.h"
#include "jobs/ai_job.h"
#include "jobs/kept.h"
#include "provenance/keys.h"
#include "store/spool.h"

struct filling {
    casescribe_ctx *ctx;
    cs_adapter_use *adapter; /* held for the job's life */
    cs_record *form;
    uint8_t *payload; /* the form as the host sent it, for the adapter's encode */
    size_t payload_len;
    casescribe_template *tpl;
    casescribe_transcript *transcript;
    uint32_t max_sentences;
    uint32_t style; /* CASESCRIBE_FILL_STYLE_* */
    cs_ai_remote remote;
};

/* The file of a kept fill job's folder that keeps its draft. */
#define KEPT_DRAFT "draft"

/* What a fill job made: the draft form, encoded by the adapter it came
 * through. */
struct draft_output {
    uint8_t *form;
    size_t len;
};

static void filling_free(void *arg)
{
    struct filling *f = arg;
    if (f == NULL)
        return;
    cs_record_free(f->form);
    cs_template_unref(f->tpl);
    cs_transcript_unref(f->transcript);
    if (f->adapter != NULL)
        cs_adapter_release(f->adapter);
    free(f->payload);
    cs_ai_remote_clear(&f->remote);
    free(f);
}

static void draft_output_free(void *arg)
{
    struct draft_output *o = arg;
    if (o != NULL)
        free(o->form);
    free(o);
}

/* ---- the gates ---------------------------------------------------------------- */

static int32_t policy_gate(cs_ai_route *route, casescribe_ctx *ctx, const cs_record *form, const char *asked)
{
    return cs_ai_policy_gate(route, ctx, form->team, asked, CS_FEATURE_AI_DRAFT, "ai-draft", ": no draft was made");
}

/* A transcript holding the worker's observation tags is drafted from only
 * when the team's policy has observation-tags on. */
static int32_t tags_gate(const cs_ai_route *route, const cs_record *form, const casescribe_transcript *t)
{
    size_t n = cs_transcript_tag_count(t);
    if (n == 0 || route->tags)
        return CASESCRIBE_OK;
    return cs_fail(CASESCRIBE_EPOLICY, "team %s has observation-tags switched off in its policy, and the transcript "
                                       "holds %zu observation tags: no draft was made",
                   form->team, n);
}

static int32_t consent_gate(const cs_record *form, int remote)
{
    const char *subject = NULL, *why = NULL;
    int32_t rc = cs_ai_consent(&subject, &why, form, CS_SCOPE_AI_DRAFT | (remote ? CS_SCOPE_EXTERNAL_AI : 0));
    if (rc != CASESCRIBE_OK || subject == NULL)
        return rc;
    return cs_fail(CASESCRIBE_ECONSENT, "no draft was made: the consent of subject '%s' does not cover drafting by "
                                        "AI%s (%s)",
                   subject, remote ? " with a service outside this machine" : "", why);
}

/* The form must be one of this template's: a draft for the wrong form, or
 * the wrong case, is the mistake copy and paste makes. */
static int32_t template_gate(const cs_record *form, const casescribe_template *tpl)
{
    if (strcmp(form->template_id, tpl->id) == 0)
        return CASESCRIBE_OK;
    return cs_fail(CASESCRIBE_EINVAL, "form %s is a '%s' form, not '%s': no draft was made", form->id,
                   form->template_id, tpl->id);
}

/* The gates, when the host asks and again when the job starts. */
static int32_t gates(cs_ai_route *route, const struct filling *f)
{
    int32_t rc = policy_gate(route, f->ctx, f->form, f->remote.endpoint_asked);
    if (rc == CASESCRIBE_OK)
        rc = tags_gate(route, f->form, f->transcript);
    if (rc == CASESCRIBE_OK)
        rc = consent_gate(f->form, route->remote);
    return rc;
}

/* ---- the job ------------------------------------------------------------------ */

static int32_t run_filler(cs_draft *d, struct filling *f, const cs_ai_route *route, casescribe_job *job)
{
    if (!route->remote)
        return cs_fill_extractive(d, f->tpl, f->transcript, f->max_sentences, f->style, job);
    char *key = NULL;
    int32_t rc = cs_api_key(&key, f->remote.key_file, f->remote.key_env);
    cs_remote_fill_config cfg = {route->endpoint, f->remote.remote_model, key, f->remote.ca_file, 180000, 1u << 20,
                                 f->max_sentences ? f->max_sentences : CS_DEFAULT_MAX_SENTENCES};
    if (rc == CASESCRIBE_OK)
        rc = cs_fill_remote(d, f->tpl, f->transcript, f->form, &cfg, job);
    if (key != NULL)
        OPENSSL_cleanse(key, strlen(key));
    free(key);
    return rc;
}

static int32_t encode_draft(casescribe_job *job, const struct filling *f)
{
    struct draft_output *o = calloc(1, sizeof(*o));
    if (o == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    int32_t rc = cs_adapter_encode_with(&o->form, &o->len, f->adapter, f->ctx, f->form, f->payload, f->payload_len);
    if (rc != CASESCRIBE_OK) {
        draft_output_free(o);
        return rc;
    }
    cs_job_set_output(job, o, draft_output_free);
    if (cs_job_keep_output(job, KEPT_DRAFT, o->form, o->len) != CASESCRIBE_OK)
        cs_clear_error(); /* the draft is made: only a restart would run it again */
    return CASESCRIBE_OK;
}

/* A fill job's progress, in steps: the gates, the draft, the form. */
#define FILL_STEPS 3

static int32_t run_fill(casescribe_job *job, void *arg, char **result)
{
    struct filling *f = arg;
    cs_ai_route route;
    int32_t rc = gates(&route, f);
    cs_draft d;
    memset(&d, 0, sizeof(d));
    cs_buf_printf(&d.report, "%s", "");
    cs_job_progress_set(job, 1, FILL_STEPS); /* the gates */
    if (rc == CASESCRIBE_OK)
        rc = run_filler(&d, f, &route, job);
    cs_job_progress_set(job, 2, FILL_STEPS); /* the draft */
    if (rc == CASESCRIBE_OK)
        rc = cs_fill_flags(&d, f->tpl, f->transcript);
    if (rc == CASESCRIBE_OK)
        rc = cs_draft_apply(f->form, &d, f->tpl);
    if (rc == CASESCRIBE_OK)
        rc = cs_draft_add_tags(f->form, f->transcript, &d.report);
    if (rc == CASESCRIBE_OK)
        rc = cs_record_check_cites(f->form);
    if (rc == CASESCRIBE_OK)
        rc = encode_draft(job, f);
    if (rc == CASESCRIBE_OK) {
        size_t sentences = 0, unsupported = 0;
        for (size_t i = 0; i < f->form->n_cites; i++) {
            sentences++;
            unsupported += f->form->cites[i].unsupported;
        }
        cs_buf_printf(&d.report, "drafted by %s: %zu sentences, %zu unsupported\n", d.engine, sentences,
                      unsupported);
        if ((*result = cs_buf_take(&d.report)) == NULL)
            rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    }
    cs_draft_free(&d);
    return rc;
}

/* ---- the public interface ----------------------------------------------------- */

/* The options' size before 1.7 added the style. */
#define OPTIONS_1_6_SIZE offsetof(casescribe_fill_options, style)

int32_t casescribe_fill_options_init(casescribe_fill_options *opts, uint32_t struct_size)
{
    return cs_ai_options_reset(opts, struct_size, OPTIONS_1_6_SIZE, sizeof(*opts), "casescribe_fill_options",
                               opts != NULL ? &opts->form_adapter : NULL, opts != NULL ? &opts->remote_model : NULL,
                               "gpt-4o-mini");
}

static int32_t check_options(const void *arg)
{
    const casescribe_fill_options *o = arg;
    if (!cs_options_known(o->struct_size, OPTIONS_1_6_SIZE, sizeof(*o)))
        return cs_fail(CASESCRIBE_EINVAL, "fill options not initialised: call casescribe_fill_options_init");
    if (o->struct_size > OPTIONS_1_6_SIZE && o->style > CASESCRIBE_FILL_STYLE_REPORTED)
        return cs_fail(CASESCRIBE_EINVAL, "style is CASESCRIBE_FILL_STYLE_QUOTE (0) or _REPORTED (1)");
    if (o->form == NULL || o->form_len == 0)
        return cs_fail(CASESCRIBE_EINVAL, "the form to draft is required: its team's policy and its subjects' "
                                          "consent decide whether AI may draft it");
    if (o->form_template == NULL || o->transcript == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "form_template and transcript are required");
    if (o->max_sentences > 64)
        return cs_fail(CASESCRIBE_EINVAL, "max_sentences is 0 (the default: the filler chooses) to 64");
    if (o->remote_model != NULL && !cs_valid_label(o->remote_model, 128))
        return cs_fail(CASESCRIBE_EINVAL, "remote_model must be 1-128 printable characters");
    return CASESCRIBE_OK;
}

static int32_t copy_options(struct filling *f, const casescribe_fill_options *o)
{
    f->tpl = cs_template_ref((casescribe_template *)o->form_template);
    f->transcript = cs_transcript_ref((casescribe_transcript *)o->transcript);
    f->max_sentences = o->max_sentences; /* 0: the filler's own (embedded: adaptive) */
    f->style = o->struct_size > OPTIONS_1_6_SIZE ? o->style : CASESCRIBE_FILL_STYLE_QUOTE;
    return cs_ai_remote_copy(&f->remote, o->remote_endpoint, o->remote_model != NULL ? o->remote_model : "gpt-4o-mini",
                             o->api_key_file, o->api_key_env, o->ca_file);
}

/* ---- kept jobs: the input in the home, the options in the store ------------ */

#define FORM_MAX (64u << 20)
#define TRANSCRIPT_MAX (64u << 20)

/* The options a restart needs (no personal data: the form and transcript
 * are files in the job's folder; the template is named by id and version
 * and must still be the home's or a shipped one). */
static json_t *fill_detail(const casescribe_fill_options *o, const struct filling *f)
{
    return json_pack("{s:s, s:s, s:I, s:I, s:I, s:s?, s:s?, s:s?, s:s?, s:s?}", "adapter",
                     o->form_adapter != NULL ? o->form_adapter : "xml", "template", f->tpl->id, "template-version",
                     (json_int_t)f->tpl->version, "max-sentences", (json_int_t)o->max_sentences, "style",
                     (json_int_t)f->style, "endpoint", o->remote_endpoint, "remote-model", o->remote_model, "key-file",
                     o->api_key_file, "key-env", o->api_key_env, "ca-file", o->ca_file);
}

static int32_t keep_inputs(cs_spool **sp, char id[CS_JOB_ID_LEN], const char *home, const casescribe_fill_options *o)
{
    char *xml = NULL;
    int32_t rc = cs_ai_job_folder(sp, id, home, o->form, o->form_len);
    if (rc == CASESCRIBE_OK)
        rc = casescribe_transcript_render(&xml, o->transcript, CASESCRIBE_TRANSCRIPT_XML);
    if (rc == CASESCRIBE_OK)
        rc = cs_spool_write(*sp, "transcript.xml", xml, strlen(xml));
    free(xml);
    return rc;
}

/* Records the job in the store, its form and transcript in a folder of
 * its own, and queues it; when rc (the request's checks) is a failure,
 * frees f and returns rc. */
static int32_t submit_kept(int32_t rc, casescribe_job **job_out, struct filling *f, const casescribe_fill_options *o)
{
    char id[CS_JOB_ID_LEN];
    cs_spool *sp = NULL;
    json_t *detail = rc == CASESCRIBE_OK ? fill_detail(o, f) : NULL;
    char *text = detail != NULL ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(detail);
    if (rc == CASESCRIBE_OK)
        rc = text == NULL ? cs_fail(CASESCRIBE_ENOMEM, "out of memory") : keep_inputs(&sp, id, f->ctx->home, o);
    rc = cs_ai_job_queue(rc, f->ctx, "fill", run_fill, f, filling_free, id, sp, text, job_out);
    free(text);
    return rc;
}

int32_t casescribe_fill(casescribe_job **job_out, casescribe_ctx *ctx, const casescribe_fill_options *opts)
{
    int32_t rc;
    struct filling *f = cs_ai_job_request(&rc, job_out, ctx, opts, "casescribe_fill", check_options, sizeof(*f));
    if (f == NULL)
        return rc;
    f->ctx = ctx;
    cs_ai_route route;
    rc = copy_options(f, opts);
    if (rc == CASESCRIBE_OK)
        rc = cs_adapter_acquire(&f->adapter, opts->form_adapter != NULL ? opts->form_adapter : "xml");
    if (rc == CASESCRIBE_OK)
        rc = cs_adapter_decode_home(&f->form, f->adapter, ctx, opts->form, opts->form_len);
    if (rc == CASESCRIBE_OK && (f->payload = malloc(opts->form_len)) == NULL)
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc == CASESCRIBE_OK) {
        memcpy(f->payload, opts->form, opts->form_len);
        f->payload_len = opts->form_len;
    }
    if (rc == CASESCRIBE_OK)
        rc = template_gate(f->form, f->tpl);
    if (rc == CASESCRIBE_OK)
        rc = gates(&route, f);
    return submit_kept(rc, job_out, f, opts);
}

/* ---- after a restart ------------------------------------------------------ */

static const char *opt_text(const json_t *d, const char *key)
{
    return json_string_value(json_object_get(d, key));
}

/* The template the job was asked with: the same id and version must still
 * be the home's (or a shipped one), else the job cannot be made again. */
static int32_t resume_template(casescribe_template **out, casescribe_ctx *ctx, const json_t *d)
{
    const char *id = opt_text(d, "template");
    json_int_t version = json_integer_value(json_object_get(d, "template-version"));
    int32_t rc = id == NULL ? cs_fail(CASESCRIBE_EJOURNAL, "the job's record in the store is malformed")
                            : cs_ctx_template(ctx, id, out);
    if (rc == CASESCRIBE_OK && (*out == NULL || (*out)->version != (uint32_t)version))
        rc = cs_fail(CASESCRIBE_ENOTFOUND, "template '%.64s' version %lld, which the job was asked with, is no "
                                           "longer in this home: the job cannot be made again",
                     id, (long long)version);
    return rc;
}

static int32_t resume_options(casescribe_fill_options *o, const json_t *d, const cs_spool *sp, uint8_t **form,
                              casescribe_template **tpl, casescribe_transcript **transcript, casescribe_ctx *ctx)
{
    uint8_t *xml = NULL;
    size_t xml_len = 0;
    casescribe_fill_options_init(o, sizeof(*o));
    o->form_adapter = opt_text(d, "adapter");
    cs_ai_remote_detail(d, &o->remote_endpoint, &o->remote_model, &o->api_key_file, &o->api_key_env, &o->ca_file);
    json_int_t max = json_integer_value(json_object_get(d, "max-sentences"));
    o->max_sentences = max > 0 && max <= 64 ? (uint32_t)max : 0;
    o->style = json_integer_value(json_object_get(d, "style")) == CASESCRIBE_FILL_STYLE_REPORTED
                   ? CASESCRIBE_FILL_STYLE_REPORTED
                   : CASESCRIBE_FILL_STYLE_QUOTE; /* absent in a job kept before 1.7 */
    int32_t rc = cs_spool_read(sp, "form", form, &o->form_len, FORM_MAX);
    if (rc == CASESCRIBE_OK)
        rc = cs_spool_read(sp, "transcript.xml", &xml, &xml_len, TRANSCRIPT_MAX);
    if (rc == CASESCRIBE_OK)
        rc = casescribe_transcript_open(transcript, xml, xml_len);
    if (rc == CASESCRIBE_OK)
        rc = resume_template(tpl, ctx, d);
    free(xml);
    o->form = *form;
    o->form_template = *tpl;
    o->transcript = *transcript;
    return rc;
}

int32_t cs_fill_resume(casescribe_job **out, casescribe_ctx *ctx, const cs_store_job *row, cs_spool *sp)
{
    casescribe_fill_options o;
    uint8_t *form = NULL;
    casescribe_template *tpl = NULL;
    casescribe_transcript *transcript = NULL;
    json_t *d = json_loads(row->detail, 0, NULL);
    struct filling *f = calloc(1, sizeof(*f));
    int32_t rc = d == NULL || f == NULL ? cs_fail(CASESCRIBE_ENOMEM, "out of memory or a malformed job record")
                                        : resume_options(&o, d, sp, &form, &tpl, &transcript, ctx);
    if (rc == CASESCRIBE_OK) {
        f->ctx = ctx;
        rc = copy_options(f, &o);
    }
    if (rc == CASESCRIBE_OK)
        rc = cs_adapter_acquire(&f->adapter, o.form_adapter != NULL ? o.form_adapter : "xml");
    if (rc == CASESCRIBE_OK)
        rc = cs_adapter_decode_home(&f->form, f->adapter, ctx, form, o.form_len);
    if (rc == CASESCRIBE_OK) {
        f->payload = form; /* the job's own */
        f->payload_len = o.form_len;
        form = NULL;
    }
    json_decref(d);
    free(form);
    cs_template_unref(tpl);
    cs_transcript_unref(transcript);
    return cs_ai_job_requeue(rc, ctx, "fill", run_fill, f, filling_free, row, sp, out);
}

int32_t cs_fill_kept_output(cs_job_ending *end, const cs_spool *sp)
{
    struct draft_output *o = calloc(1, sizeof(*o));
    int32_t rc = o != NULL ? cs_ai_job_read_made(sp, KEPT_DRAFT, &o->form, &o->len, FORM_MAX, "draft")
                           : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc != CASESCRIBE_OK) {
        draft_output_free(o);
        return rc;
    }
    end->output = o;
    end->free_output = draft_output_free;
    return CASESCRIBE_OK;
}

int32_t casescribe_job_draft(uint8_t **form_out, size_t *form_len_out, const casescribe_job *job)
{
    if (form_out != NULL)
        *form_out = NULL;
    if (form_len_out != NULL)
        *form_len_out = 0;
    if (form_out == NULL || form_len_out == NULL || job == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_job_draft: form_out, form_len_out and job are required");
    int32_t rc;
    const struct draft_output *o = cs_ai_job_made(&rc, job, "fill", "draft");
    if (o == NULL)
        return rc;
    if ((*form_out = malloc(o->len + 1)) == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    memcpy(*form_out, o->form, o->len);
    (*form_out)[o->len] = '\0';
    *form_len_out = o->len;
    return CASESCRIBE_OK;
}

/* ---- templates ---------------------------------------------------------------- */

int32_t casescribe_template_find(casescribe_template **template_out, casescribe_ctx *ctx, const char *id)
{
    if (template_out != NULL)
        *template_out = NULL;
    if (template_out == NULL || ctx == NULL || id == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_template_find: template_out, ctx and id are required");
    cs_clear_error();
    int32_t rc = cs_ctx_template(ctx, id, template_out);
    if (rc == CASESCRIBE_OK && *template_out == NULL)
        rc = cs_fail(CASESCRIBE_ENOTFOUND, "no template '%.64s' in the home's templates/ or in %s", id,
                     cs_templates_dir());
    return rc;
}

static int listed(const cs_buf *b, const char *id)
{
    size_t n = strlen(id);
    for (const char *p = b->data; p != NULL && (p = strstr(p, id)) != NULL; p += n)
        if ((p == b->data || p[-1] == '\n') && p[n] == '\n')
            return 1;
    return 0;
}

/* Adds the ids of the templates in `dir` that can be used (signed by the
 * home, or shipped ones) and are not listed yet. */
static void list_folder(cs_buf *b, const char *dir, casescribe_ctx *ctx)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || n > 68 || strcmp(e->d_name + n - 4, ".xml") != 0 || e->d_name[0] == '.')
            continue;
        char id[70];
        snprintf(id, sizeof(id), "%.*s", (int)(n - 4), e->d_name);
        casescribe_template *t = NULL;
        if (!listed(b, id) && cs_ctx_template(ctx, id, &t) == CASESCRIBE_OK && t != NULL)
            cs_buf_printf(b, "%s\n", id);
        cs_template_unref(t);
    }
    if (d != NULL)
        closedir(d);
    for (size_t i = 0; i < cs_n_shipped_templates; i++)
        if (!listed(b, cs_shipped_templates[i].id))
            cs_buf_printf(b, "%s\n", cs_shipped_templates[i].id);
    cs_clear_error();
}

int32_t casescribe_template_list(char **ids_out, casescribe_ctx *ctx)
{
    if (ids_out != NULL)
        *ids_out = NULL;
    if (ids_out == NULL || ctx == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_template_list: ids_out and ctx are required");
    cs_buf b = {0};
    cs_buf_printf(&b, "%s", "");
    char home_dir[4200];
    snprintf(home_dir, sizeof(home_dir), "%s/templates", ctx->home);
    list_folder(&b, home_dir, ctx);
    list_folder(&b, cs_templates_dir(), ctx);
    *ids_out = cs_buf_take(&b);
    cs_buf_free(&b);
    return *ids_out != NULL ? CASESCRIBE_OK : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
}

int32_t casescribe_template_install(casescribe_ctx *ctx, const uint8_t *xml, size_t len)
{
    if (ctx == NULL || xml == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_template_install: ctx and xml are required");
    if (cs_ctx_writable(ctx) != CASESCRIBE_OK)
        return CASESCRIBE_EIO;
    cs_clear_error();
    casescribe_template *t = NULL;
    EVP_PKEY *key = NULL;
    char key_id[CS_KEY_ID_MAX], dir[4200], path[4300];
    uint8_t *signed_xml = NULL;
    size_t signed_len = 0;
    int32_t rc = len > CS_MAX_TEMPLATE_BYTES ? cs_fail(CASESCRIBE_ETOOBIG, "a template is at most %u bytes",
                                                       (unsigned)CS_MAX_TEMPLATE_BYTES)
                                             : casescribe_template_open(&t, xml, len);
    if (rc == CASESCRIBE_OK)
        rc = cs_keyring_signer(ctx->keys, &key, key_id);
    if (rc == CASESCRIBE_OK)
        rc = cs_template_sign(&signed_xml, &signed_len, xml, len, key, key_id);
    snprintf(dir, sizeof(dir), "%s/templates", ctx->home);
    if (rc == CASESCRIBE_OK && mkdir(dir, 0755) != 0 && errno != EEXIST)
        rc = cs_fail(CASESCRIBE_EIO, "cannot create %s: %s", dir, strerror(errno));
    if (rc == CASESCRIBE_OK) {
        snprintf(path, sizeof(path), "%s/%s.xml", dir, t->id);
        rc = cs_write_file_atomic(path, signed_xml, signed_len, 0644);
    }
    if (rc == CASESCRIBE_OK)
        cs_ctx_template_forget(ctx, t->id);
    EVP_PKEY_free(key);
    free(signed_xml);
    cs_template_unref(t);
    return rc;
}

void casescribe_template_free(casescribe_template *t)
{
    cs_template_unref(t);
}

static const cs_template_section *section_at(const casescribe_template *t, uint32_t i)
{
    return t != NULL && i < t->n_sections ? &t->sections[i] : NULL;
}

const char *casescribe_template_id(const casescribe_template *t)
{
    return t != NULL ? t->id : NULL;
}

const char *casescribe_template_title(const casescribe_template *t)
{
    return t != NULL ? t->title : NULL;
}

uint32_t casescribe_template_version(const casescribe_template *t)
{
    return t != NULL ? t->version : 0;
}

uint32_t casescribe_template_section_count(const casescribe_template *t)
{
    return t != NULL ? (uint32_t)t->n_sections : 0;
}

const char *casescribe_template_section_id(const casescribe_template *t, uint32_t i)
{
    const cs_template_section *s = section_at(t, i);
    return s != NULL ? s->id : NULL;
}

const char *casescribe_template_section_title(const casescribe_template *t, uint32_t i)
{
    const cs_template_section *s = section_at(t, i);
    return s != NULL ? s->title : NULL;
}

const char *casescribe_template_section_guidance(const casescribe_template *t, uint32_t i)
{
    const cs_template_section *s = section_at(t, i);
    return s != NULL ? s->guidance : NULL;
}

int32_t casescribe_template_section_ai(const casescribe_template *t, uint32_t i)
{
    const cs_template_section *s = section_at(t, i);
    if (s == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "no section %u", (unsigned)i);
    return s->never ? CASESCRIBE_AI_NEVER : CASESCRIBE_AI_DRAFT;
}

uint32_t casescribe_template_prompt_count(const casescribe_template *t, uint32_t i)
{
    const cs_template_section *s = section_at(t, i);
    return s != NULL ? (uint32_t)s->n_prompts : 0;
}

const char *casescribe_template_prompt(const casescribe_template *t, uint32_t i, uint32_t prompt)
{
    const cs_template_section *s = section_at(t, i);
    return s != NULL && prompt < s->n_prompts ? s->prompts[prompt] : NULL;
}
