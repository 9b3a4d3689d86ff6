// SPDX-License-Identifier: Apache-2.0
'use strict';
/*
 * casescribe - the Node.js binding of libcasescribe, over koffi.
 *
 * Two layers:
 *   - `raw`: every function the library exports, declared from its C
 *     prototype in casescribe.h (BigInt pointers, status codes, nothing freed
 *     for you). For the few things the classes do not cover.
 *   - the classes (Context, Record, JournalEntry, Job, Transcript, Template,
 *     Policy, SarExport): handles that free themselves on close(), copy
 *     every string the library lends or gives (and give the given ones back
 *     through casescribe_free at once), and throw CaseScribeError.
 *
 * Threading, in short (README.md has the long form): JavaScript runs on one
 * thread; Context#saveAsync() runs casescribe_save on koffi's worker threads,
 * so one context is used from several threads at once; Job#onEnd() registers
 * a native callback that the library calls on its own worker thread and
 * koffi relays to the JavaScript thread.
 */
const koffi = require('koffi');
const { promisify } = require('node:util');

// ---------------------------------------------------------------------------
// Types, laid out as in casescribe.h (x86_64 SysV: koffi aligns naturally)
// ---------------------------------------------------------------------------

// koffi's type names are process-wide: declare each once, even if this file
// is loaded twice (two copies in node_modules, jest's module registry).
function declareType(name, make) {
    try {
        return koffi.type(name);
    } catch {
        return make();
    }
}

for (const name of ['casescribe_ctx', 'casescribe_record', 'casescribe_journal_entry', 'casescribe_job',
    'casescribe_transcript', 'casescribe_template', 'casescribe_policy', 'casescribe_sar']) {
    declareType(name, () => koffi.opaque(name));
}

const CtxOptions = declareType('casescribe_ctx_options', () => koffi.struct('casescribe_ctx_options', {
    struct_size: 'uint32_t',
    flags: 'uint32_t',
    home: 'const char *',
}));

const Actor = declareType('casescribe_actor', () => koffi.struct('casescribe_actor', {
    struct_size: 'uint32_t',
    reserved: 'uint32_t',
    user_id: 'const char *',
    team: 'const char *',
    role: 'const char *',
}));

const FetchOptions = declareType('casescribe_fetch_options', () => koffi.struct('casescribe_fetch_options', {
    struct_size: 'uint32_t',
    max_bytes: 'uint32_t',
    url: 'const char *',
    ca_file: 'const char *',
    connect_timeout_ms: 'int32_t',
    timeout_ms: 'int32_t',
}));

const TranscribeOptions = declareType('casescribe_transcribe_options',
    () => koffi.struct('casescribe_transcribe_options', {
        struct_size: 'uint32_t',
        flags: 'uint32_t',
        parallel: 'uint32_t',
        form_adapter: 'const char *',
        form: 'const uint8_t *',
        form_len: 'size_t',
        audio_path: 'const char *',
        max_seconds: 'uint32_t',
        unsure_permille: 'uint32_t',
        helper_path: 'const char *',
        model_dir: 'const char *',
        remote_endpoint: 'const char *',
        remote_model: 'const char *',
        api_key_file: 'const char *',
        api_key_env: 'const char *',
        ca_file: 'const char *',
        tags: 'const uint8_t *', // since 1.7
        tags_len: 'size_t',
    }));

const FillOptions = declareType('casescribe_fill_options', () => koffi.struct('casescribe_fill_options', {
    struct_size: 'uint32_t',
    max_sentences: 'uint32_t',
    form_adapter: 'const char *',
    form: 'const uint8_t *',
    form_len: 'size_t',
    form_template: 'const casescribe_template *',
    transcript: 'const casescribe_transcript *',
    remote_endpoint: 'const char *',
    remote_model: 'const char *',
    api_key_file: 'const char *',
    api_key_env: 'const char *',
    ca_file: 'const char *',
    style: 'uint32_t', // since 1.7
}));

const SarOptions = declareType('casescribe_sar_options', () => koffi.struct('casescribe_sar_options', {
    struct_size: 'uint32_t',
    flags: 'uint32_t',
    subject_id: 'const char *',
    output_path: 'const char *',
    review_path: 'const char *',
    redact_path: 'const char *',
    organisation: 'const char *',
    correction_contact: 'const char *',
}));

const LibraryInfo = declareType('casescribe_library_info', () => koffi.struct('casescribe_library_info', {
    struct_size: 'uint32_t',
    major: 'uint32_t',
    minor: 'uint32_t',
    patch: 'uint32_t',
    version_num: 'uint32_t',
    abi_version: 'uint32_t',
    features: 'uint32_t',
}));

const JobCallback = declareType('casescribe_job_callback',
    () => koffi.proto('void casescribe_job_callback(casescribe_job *job, void *user)'));

// Memory the library hands over (char **, uint8_t ** outputs) is declared as
// `void **` so that koffi gives us the pointer itself, to copy and then
// release with casescribe_free; `const char *` returns are borrowed and
// koffi copies them into JavaScript strings straight away.
const PROTOTYPES = [
    // versions, status codes, memory, constants
    'const char *casescribe_version(void)',
    'uint32_t casescribe_abi_version(void)',
    'int32_t casescribe_version_info(_Out_ casescribe_library_info *info, uint32_t struct_size)',
    'const char *casescribe_strerror(int32_t status)',
    'const char *casescribe_last_error(void)',
    'void casescribe_free(void *ptr)',
    'int32_t casescribe_constant(_Out_ int64_t *value_out, const char *name)',
    // context and keys
    'int32_t casescribe_ctx_options_init(_Out_ casescribe_ctx_options *opts, uint32_t struct_size)',
    'int32_t casescribe_ctx_open(_Out_ casescribe_ctx **ctx_out, const casescribe_ctx_options *opts)',
    'void casescribe_ctx_close(casescribe_ctx *ctx)',
    'const char *casescribe_ctx_home(const casescribe_ctx *ctx)',
    'int32_t casescribe_keygen(_Out_ void **key_id_out, casescribe_ctx *ctx, uint32_t flags)',
    'int32_t casescribe_public_key(_Out_ void **pem_out, casescribe_ctx *ctx)',
    'int32_t casescribe_public_key_fingerprint(_Out_ void **fingerprint_out, const uint8_t *pubkey_pem, ' +
        'size_t pubkey_len)',
    'int32_t casescribe_keys_export(_Out_ void **out, casescribe_ctx *ctx, uint32_t flags)',
    'int32_t casescribe_key_trust(_Out_ void **key_ids_out, casescribe_ctx *ctx, const char *actor_id, ' +
        'const uint8_t *pem, size_t pem_len)',
    'int32_t casescribe_journal_recover(_Out_ void **report_out, const char *home, const char *backup)',
    'int32_t casescribe_store_admin(_Out_ void **report_out, const char *home, const char *command, const char *uri)',
    // saving and verifying
    'int32_t casescribe_actor_init(_Out_ casescribe_actor *actor, uint32_t struct_size)',
    'int32_t casescribe_save(_Out_ void **out, _Out_ size_t *out_len, casescribe_ctx *ctx, const char *adapter, ' +
        'const casescribe_actor *actor, const uint8_t *payload, size_t payload_len)',
    'int32_t casescribe_verify(_Out_ void **report_out, casescribe_ctx *ctx, const char *adapter, ' +
        'const uint8_t *payload, size_t payload_len)',
    'int32_t casescribe_save_confirm(casescribe_ctx *ctx, const char *adapter, const uint8_t *payload, ' +
        'size_t payload_len)',
    'int32_t casescribe_record_head(_Out_ uint32_t *version_out, _Out_ uint32_t *confirmed_out, ' +
        '_Out_ void **digest_out, casescribe_ctx *ctx, const char *record_id)',
    'int32_t casescribe_verify_with_public_key(_Out_ void **report_out, const char *adapter, ' +
        'const uint8_t *pubkey_pem, size_t pubkey_len, const uint8_t *payload, size_t payload_len)',
    // records
    'int32_t casescribe_record_open(_Out_ casescribe_record **record_out, const char *adapter, ' +
        'const uint8_t *payload, size_t payload_len)',
    'void casescribe_record_free(casescribe_record *record)',
    'const char *casescribe_record_id(const casescribe_record *record)',
    'const char *casescribe_record_team(const casescribe_record *record)',
    'const char *casescribe_record_author(const casescribe_record *record)',
    'int32_t casescribe_record_is_final(const casescribe_record *record)',
    'uint32_t casescribe_record_version(const casescribe_record *record)',
    'const char *casescribe_record_key_id(const casescribe_record *record)',
    'uint32_t casescribe_record_section_count(const casescribe_record *record)',
    'const char *casescribe_record_section_id(const casescribe_record *record, uint32_t index)',
    'const char *casescribe_record_section_origin(const casescribe_record *record, uint32_t index)',
    'const char *casescribe_record_section_engine(const casescribe_record *record, uint32_t index)',
    'const char *casescribe_record_section_model(const casescribe_record *record, uint32_t index)',
    'const char *casescribe_record_section_engine_version(const casescribe_record *record, uint32_t index)',
    'const char *casescribe_record_section_engine_settings(const casescribe_record *record, uint32_t index)',
    'const char *casescribe_record_section_reviewer(const casescribe_record *record, uint32_t index)',
    'const char *casescribe_record_section_reviewed_at(const casescribe_record *record, uint32_t index)',
    'const char *casescribe_record_section_review(const casescribe_record *record, uint32_t index)',
    'const char *casescribe_record_section_text(const casescribe_record *record, uint32_t index)',
    'const char *casescribe_record_stamp(const casescribe_record *record, const char *name)',
    'uint32_t casescribe_record_stamp_count(const casescribe_record *record, const char *list)',
    'const char *casescribe_record_stamp_item(const casescribe_record *record, const char *list, uint32_t index, ' +
        'const char *name)',
    // journal
    'int32_t casescribe_journal_verify(_Out_ uint64_t *entries_out, _Out_ void **report_out, casescribe_ctx *ctx)',
    'uint64_t casescribe_journal_truncated_bytes(const casescribe_ctx *ctx)',
    'int32_t casescribe_journal_check(_Out_ void **report_out, casescribe_ctx *ctx, const char *adapter, ' +
        'const uint8_t *evidence, size_t evidence_len)',
    'int32_t casescribe_checkpoint_export(_Out_ void **checkpoint_out, casescribe_ctx *ctx)',
    'int32_t casescribe_journal_entry_get(_Out_ casescribe_journal_entry **entry_out, casescribe_ctx *ctx, ' +
        'uint64_t seq)',
    'void casescribe_journal_entry_free(casescribe_journal_entry *entry)',
    'uint64_t casescribe_journal_entry_seq(const casescribe_journal_entry *entry)',
    'const char *casescribe_journal_entry_kind(const casescribe_journal_entry *entry)',
    'const char *casescribe_journal_entry_record_id(const casescribe_journal_entry *entry)',
    'uint32_t casescribe_journal_entry_record_version(const casescribe_journal_entry *entry)',
    'const char *casescribe_journal_entry_record_digest(const casescribe_journal_entry *entry)',
    'const char *casescribe_journal_entry_actor_id(const casescribe_journal_entry *entry)',
    'const char *casescribe_journal_entry_time(const casescribe_journal_entry *entry)',
    'const char *casescribe_journal_entry_field(const casescribe_journal_entry *entry, const char *name)',
    'const char *casescribe_journal_entry_json(const casescribe_journal_entry *entry)',
    // jobs
    'int32_t casescribe_job_state(const casescribe_job *job)',
    'const char *casescribe_job_kind(const casescribe_job *job)',
    'int32_t casescribe_job_wait(casescribe_job *job, int32_t timeout_ms)',
    'int32_t casescribe_job_status(const casescribe_job *job)',
    'const char *casescribe_job_message(const casescribe_job *job)',
    'int32_t casescribe_job_result(_Out_ void **result_out, const casescribe_job *job)',
    'int32_t casescribe_job_cancel(casescribe_job *job)',
    'int32_t casescribe_job_on_end(casescribe_job *job, casescribe_job_callback *callback, void *user)',
    'void casescribe_job_free(casescribe_job *job)',
    'const char *casescribe_job_id(const casescribe_job *job)',
    'int32_t casescribe_job_list(_Out_ void **ids_out, casescribe_ctx *ctx)',
    'int32_t casescribe_job_list_detail(_Out_ void **lines_out, casescribe_ctx *ctx)',
    'int32_t casescribe_job_attach(_Out_ casescribe_job **job_out, casescribe_ctx *ctx, const char *id)',
    'int32_t casescribe_job_progress(const casescribe_job *job, _Out_ int64_t *done_out, _Out_ int64_t *total_out)',
    // transcription
    'int32_t casescribe_transcribe_options_init(_Out_ casescribe_transcribe_options *opts, uint32_t struct_size)',
    'int32_t casescribe_transcribe(_Out_ casescribe_job **job_out, casescribe_ctx *ctx, ' +
        'const casescribe_transcribe_options *opts)',
    'int32_t casescribe_job_transcript(_Out_ casescribe_transcript **transcript_out, const casescribe_job *job)',
    'uint32_t casescribe_transcript_segment_count(const casescribe_transcript *t)',
    'int64_t casescribe_transcript_segment_start_ms(const casescribe_transcript *t, uint32_t seg)',
    'int64_t casescribe_transcript_segment_end_ms(const casescribe_transcript *t, uint32_t seg)',
    'const char *casescribe_transcript_segment_text(const casescribe_transcript *t, uint32_t seg)',
    'uint32_t casescribe_transcript_word_count(const casescribe_transcript *t, uint32_t seg)',
    'const char *casescribe_transcript_word_text(const casescribe_transcript *t, uint32_t seg, uint32_t word)',
    'int64_t casescribe_transcript_word_start_ms(const casescribe_transcript *t, uint32_t seg, uint32_t word)',
    'int64_t casescribe_transcript_word_end_ms(const casescribe_transcript *t, uint32_t seg, uint32_t word)',
    'int32_t casescribe_transcript_word_confidence(const casescribe_transcript *t, uint32_t seg, uint32_t word)',
    'int32_t casescribe_transcript_word_unsure(const casescribe_transcript *t, uint32_t seg, uint32_t word)',
    'const char *casescribe_transcript_engine(const casescribe_transcript *t)',
    'const char *casescribe_transcript_model(const casescribe_transcript *t)',
    'const char *casescribe_transcript_engine_version(const casescribe_transcript *t)',
    'const char *casescribe_transcript_settings(const casescribe_transcript *t)',
    'int32_t casescribe_transcript_render(_Out_ void **out, const casescribe_transcript *t, uint32_t format)',
    'void casescribe_transcript_free(casescribe_transcript *t)',
    'int32_t casescribe_audio_sweep(casescribe_ctx *ctx, _Out_ uint32_t *deleted_out)',
    'int32_t casescribe_transcript_open(_Out_ casescribe_transcript **transcript_out, const uint8_t *xml, ' +
        'size_t len)',
    // templates and drafting
    'int32_t casescribe_template_open(_Out_ casescribe_template **template_out, const uint8_t *xml, size_t len)',
    'int32_t casescribe_template_find(_Out_ casescribe_template **template_out, casescribe_ctx *ctx, ' +
        'const char *id)',
    'int32_t casescribe_template_list(_Out_ void **ids_out, casescribe_ctx *ctx)',
    'int32_t casescribe_template_install(casescribe_ctx *ctx, const uint8_t *xml, size_t len)',
    'int32_t casescribe_names_install(casescribe_ctx *ctx, const uint8_t *xml, size_t len)',
    'void casescribe_template_free(casescribe_template *t)',
    'const char *casescribe_template_id(const casescribe_template *t)',
    'const char *casescribe_template_title(const casescribe_template *t)',
    'uint32_t casescribe_template_version(const casescribe_template *t)',
    'uint32_t casescribe_template_section_count(const casescribe_template *t)',
    'const char *casescribe_template_section_id(const casescribe_template *t, uint32_t section)',
    'const char *casescribe_template_section_title(const casescribe_template *t, uint32_t section)',
    'const char *casescribe_template_section_guidance(const casescribe_template *t, uint32_t section)',
    'int32_t casescribe_template_section_ai(const casescribe_template *t, uint32_t section)',
    'uint32_t casescribe_template_prompt_count(const casescribe_template *t, uint32_t section)',
    'const char *casescribe_template_prompt(const casescribe_template *t, uint32_t section, uint32_t prompt)',
    'int32_t casescribe_fill_options_init(_Out_ casescribe_fill_options *opts, uint32_t struct_size)',
    'int32_t casescribe_fill(_Out_ casescribe_job **job_out, casescribe_ctx *ctx, const casescribe_fill_options *opts)',
    'int32_t casescribe_job_draft(_Out_ void **form_out, _Out_ size_t *form_len_out, const casescribe_job *job)',
    // team policy
    'int32_t casescribe_team_policy(_Out_ casescribe_policy **policy_out, casescribe_ctx *ctx, const char *team)',
    'int32_t casescribe_team_set(casescribe_ctx *ctx, const char *actor_id, const char *team, const char *key, ' +
        'const char *value)',
    'int32_t casescribe_team_list(_Out_ void **teams_out, casescribe_ctx *ctx)',
    'const char *casescribe_policy_team(const casescribe_policy *policy)',
    'uint32_t casescribe_policy_version(const casescribe_policy *policy)',
    'int32_t casescribe_policy_state(const casescribe_policy *policy)',
    'const char *casescribe_policy_problem(const casescribe_policy *policy)',
    'const char *casescribe_policy_digest(const casescribe_policy *policy)',
    'int32_t casescribe_policy_feature(const casescribe_policy *policy, const char *feature)',
    'int32_t casescribe_policy_setting(_Out_ void **value_out, const casescribe_policy *policy, const char *key)',
    'void casescribe_policy_free(casescribe_policy *policy)',
    // policy bundles
    'int32_t casescribe_fetch_options_init(_Out_ casescribe_fetch_options *opts, uint32_t struct_size)',
    'int32_t casescribe_policy_trust(casescribe_ctx *ctx, const char *actor_id, const char *pem, size_t pem_len)',
    'int32_t casescribe_policy_refresh(_Out_ casescribe_job **job_out, casescribe_ctx *ctx, ' +
        'const casescribe_fetch_options *opts)',
    'int32_t casescribe_policy_bundle_sign(_Out_ void **out, _Out_ size_t *out_len, const uint8_t *bundle, ' +
        'size_t bundle_len, const char *admin_key_path)',
    // subject access export
    'int32_t casescribe_sar_options_init(_Out_ casescribe_sar_options *opts, uint32_t struct_size)',
    'int32_t casescribe_sar_open(_Out_ casescribe_sar **sar_out, casescribe_ctx *ctx, ' +
        'const casescribe_sar_options *opts)',
    'int32_t casescribe_sar_add(casescribe_sar *sar, const char *adapter, const uint8_t *payload, ' +
        'size_t payload_len)',
    'int32_t casescribe_sar_finish(_Out_ void **summary_out, casescribe_sar *sar)',
    'void casescribe_sar_free(casescribe_sar *sar)',
    'int32_t casescribe_sar_verify(_Out_ void **report_out, const char *zip_path, const uint8_t *pubkey_pem, ' +
        'size_t pubkey_len)',
    // adapters: the JSON Web Signatures they use. The rest of the adapter interface
    // (casescribe_adapter_*, casescribe_buf_append, casescribe_set_error,
    // casescribe_xml_parse/_free) is for adapters written in C and is not bound.
    'int32_t casescribe_jws_sign(_Out_ void **jws_out, casescribe_ctx *ctx, const uint8_t *payload, ' +
        'size_t payload_len)',
    'int32_t casescribe_jws_verify(const char *jws, const uint8_t *pubkey_pem, size_t pubkey_len, ' +
        'const uint8_t *payload, size_t payload_len)',
];

// The #defines this binding reads by name through casescribe_constant().
const STATUS_NAMES = ['OK', 'EINVAL', 'ENOMEM', 'EIO', 'EPARSE', 'ESCHEMA', 'ECONSENT', 'EREVIEW', 'ELAUNDER',
    'EKEY', 'EVERIFY', 'EJOURNAL', 'ENOTFOUND', 'ECONFLICT', 'ETOOBIG', 'EUNSTAMPED', 'EINTERNAL', 'EPOLICY',
    'ENETWORK', 'EBUSY', 'ECANCELLED', 'EAUDIO', 'EUNTRUSTED'];
const OTHER_CONSTANTS = ['JOB_QUEUED', 'JOB_RUNNING', 'JOB_DONE', 'JOB_FAILED', 'JOB_CANCELLED',
    'POLICY_DEFAULTS', 'POLICY_SIGNED', 'POLICY_REFUSED', 'ABI_VERSION', 'OPEN_CREATE', 'OPEN_NO_SYNC',
    'OPEN_TWO_PHASE', 'KEYGEN_ROTATE', 'KEYS_LIST', 'KEYS_HOME', 'MAX_PAYLOAD', 'MAX_XML_DEPTH', 'TRANSCRIPT_TEXT', 'TRANSCRIPT_XML',
    'TRANSCRIBE_TAKE_RECORDING', 'AI_NEVER', 'AI_DRAFT', 'CTX_OPTIONS_SIZE', 'ACTOR_SIZE', 'FETCH_OPTIONS_SIZE',
    'TRANSCRIBE_OPTIONS_SIZE', 'FILL_OPTIONS_SIZE', 'FILL_STYLE_QUOTE', 'FILL_STYLE_REPORTED'];

// fill's style option: 'quote' (or none) or 'reported', as CASESCRIBE_FILL_STYLE_*.
function fillStyle(style) {
    if (style === undefined || style === null || style === 'quote')
        return C.FILL_STYLE_QUOTE;
    if (style === 'reported')
        return C.FILL_STYLE_REPORTED;
    throw new TypeError("fill's style is 'quote' or 'reported'");
}

// The ABI generation this binding was written for (CASESCRIBE_ABI_VERSION).
const ABI_VERSION = 1;

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

let lib = null;          // the koffi library, once loaded
let libPath = null;
const raw = {};          // casescribe_* name -> koffi function
const constants = {};    // name -> value, for every name above
const statusNames = new Map(); // status code -> 'EVERIFY'
let C = null;            // shorthand for `constants` once loaded

/**
 * Loads libcasescribe. Optional: the first use loads
 * $CASESCRIBE_LIBRARY, else `libcasescribe.so.0` from the linker's search
 * path. Loading the same path again does nothing; another path throws.
 */
function load(path) {
    const wanted = path || process.env.CASESCRIBE_LIBRARY || 'libcasescribe.so.0';
    if (lib !== null) {
        if (path && path !== libPath)
            throw new Error(`casescribe: ${libPath} is loaded already; cannot load ${path} too`);
        return module.exports;
    }
    // Asynchronous calls run the library on a stack koffi allocates, 128 KiB
    // by default: enough for a save today, but little headroom under libxml2
    // and OpenSSL, whose stack use is not ours to bound. koffi accepts this
    // only before its first library is loaded: if another module loaded one
    // already, its setting stands.
    try {
        if (koffi.config().async_stack_size < 1024 * 1024)
            koffi.config({ async_stack_size: 1024 * 1024 });
    } catch { /* koffi already in use: keep its configuration */ }
    let loaded;
    try {
        loaded = koffi.load(wanted);
    } catch (error) {
        throw new Error(`casescribe: cannot load ${wanted} (pass its path to load(), or set CASESCRIBE_LIBRARY): ` +
            error.message);
    }
    const fns = {};
    for (const proto of PROTOTYPES) {
        const name = /(casescribe_\w+)\s*\(/.exec(proto)[1];
        fns[name] = loaded.func(proto);
    }
    const abi = fns.casescribe_abi_version();
    if (abi !== ABI_VERSION)
        throw new Error(`casescribe: ${wanted} has ABI ${abi}; this binding speaks ABI ${ABI_VERSION}`);
    for (const name of [...STATUS_NAMES, ...OTHER_CONSTANTS]) {
        const value = [0];
        if (fns.casescribe_constant(value, name) !== 0)
            throw new Error(`casescribe: the library does not know the constant ${name}`);
        constants[name] = Number(value[0]);
    }
    for (const name of STATUS_NAMES)
        statusNames.set(constants[name], name);
    // Our struct layouts must be the library's, or every call would corrupt
    // memory: compare with the sizes it was built with.
    for (const [name, type] of [['CTX_OPTIONS_SIZE', CtxOptions], ['ACTOR_SIZE', Actor],
        ['FETCH_OPTIONS_SIZE', FetchOptions], ['TRANSCRIBE_OPTIONS_SIZE', TranscribeOptions],
        ['FILL_OPTIONS_SIZE', FillOptions]]) {
        if (koffi.sizeof(type) !== constants[name])
            throw new Error(`casescribe: ${name} is ${constants[name]} in the library, ${koffi.sizeof(type)} here`);
    }
    Object.assign(raw, fns);
    Object.freeze(constants);
    C = constants;
    lib = loaded;
    libPath = wanted;
    return module.exports;
}

function F() {
    if (lib === null)
        load();
    return raw;
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/** The name of a status code, such as 'EVERIFY' (undefined for unknown codes). */
function codeName(code) {
    F();
    return statusNames.get(code);
}

class CaseScribeError extends Error {
    /**
     * @param {number} code   a CASESCRIBE_E* status (negative)
     * @param {string} detail the library's message (casescribe_last_error)
     * @param {object} [extra] e.g. { report } for verify failures
     */
    constructor(code, detail, extra = {}) {
        const name = codeName(code) ?? 'UNKNOWN';
        super(`${name}: ${detail || raw.casescribe_strerror(code)}`);
        this.name = 'CaseScribeError';
        this.code = code;
        this.codeName = name;
        this.detail = detail || raw.casescribe_strerror(code);
        Object.assign(this, extra);
    }
}

// Throws for a failed status. Must be the next library call on this thread
// after the failing one: the message is per thread and lasts until then.
function check(status, extra) {
    if (status !== 0)
        throw new CaseScribeError(status, raw.casescribe_last_error(), extra);
    return status;
}

function closedError(what) {
    return new CaseScribeError(C.EINVAL, `this ${what} is closed`);
}

// ---------------------------------------------------------------------------
// Memory helpers
// ---------------------------------------------------------------------------

// A library-allocated, NUL-terminated string: copied, then freed.
function takeString(ptr) {
    if (ptr === null || ptr === 0n)
        return null;
    try {
        return koffi.decode.string(ptr);
    } finally {
        raw.casescribe_free(ptr);
    }
}

// library-allocated bytes: copied into a Buffer, then freed.
function takeBytes(ptr, len) {
    if (ptr === null || ptr === 0n)
        return null;
    try {
        const n = Number(len);
        return n === 0 ? Buffer.alloc(0) : Buffer.from(new Uint8Array(koffi.view(ptr, n)));
    } finally {
        raw.casescribe_free(ptr);
    }
}

function toBytes(value, what) {
    if (Buffer.isBuffer(value))
        return value;
    if (value instanceof Uint8Array)
        return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    if (typeof value === 'string')
        return Buffer.from(value, 'utf8');
    throw new TypeError(`${what} must be a Buffer, a Uint8Array or a string`);
}

function lines(text) {
    return text ? text.split('\n').filter((line) => line !== '') : [];
}

// An options struct, as its _init function fills it (struct_size and the
// library's defaults), with the caller's fields on top.
function initOptions(init, type, fields) {
    const opts = {};
    check(init(opts, koffi.sizeof(type)));
    return Object.assign(opts, fields);
}

// ---------------------------------------------------------------------------
// Handles
// ---------------------------------------------------------------------------

class Handle {
    #ptr;
    #what;
    #free;

    constructor(ptr, what, free) {
        this.#ptr = ptr;
        this.#what = what;
        this.#free = free;
    }

    /** The native pointer (a BigInt), for `raw` calls; throws once closed. */
    get pointer() {
        if (this.#ptr === null)
            throw closedError(this.#what);
        return this.#ptr;
    }

    get closed() {
        return this.#ptr === null;
    }

    /** Frees the native handle. A second close() throws. */
    close() {
        this.#free(this._detach());
    }

    // Marks the handle closed and gives its pointer to the caller, who frees it.
    _detach() {
        const ptr = this.pointer;
        this.#ptr = null;
        return ptr;
    }

}

// `using x = ...` (explicit resource management, where the runtime has it):
// disposing a closed handle is fine, unlike closing it twice.
if (typeof Symbol.dispose === 'symbol') {
    Handle.prototype[Symbol.dispose] = function dispose() {
        if (!this.closed)
            this.close();
    };
}

// ---------------------------------------------------------------------------
// Module-level functions
// ---------------------------------------------------------------------------

function version() {
    return F().casescribe_version();
}

function abiVersion() {
    return F().casescribe_abi_version();
}

/**
 * casescribe_version_info(): the loaded library's version numbers and build
 * features ({ major, minor, patch, versionNum, abiVersion, features, has(name) },
 * has() taking a CASESCRIBE_FEATURE_ name without the prefix: 'STORE_POSTGRESQL').
 */
function versionInfo() {
    const info = {};
    check(F().casescribe_version_info(info, koffi.sizeof(LibraryInfo)));
    return Object.freeze({
        major: info.major,
        minor: info.minor,
        patch: info.patch,
        versionNum: info.version_num,
        abiVersion: info.abi_version,
        features: info.features,
        has: (name) => (info.features & constant(`FEATURE_${name}`)) !== 0,
    });
}

function strerror(code) {
    return F().casescribe_strerror(code);
}

/** The message of the last failure on this thread ('' when none). */
function lastError() {
    return F().casescribe_last_error();
}

/** Any public #define by its name without the prefix ('EVERIFY', 'OPEN_CREATE'). */
function constant(name) {
    const value = [0];
    check(F().casescribe_constant(value, name));
    return Number(value[0]);
}

/**
 * The SHA-256 fingerprint of a public key (PEM) as a council publishes it:
 * 16 groups of four hex digits. Throws EKEY when it is not an Ed25519 key.
 */
function publicKeyFingerprint(pem) {
    const key = toBytes(pem, 'pem');
    const out = [null];
    check(F().casescribe_public_key_fingerprint(out, key, key.length));
    return takeString(out[0]);
}

/**
 * Rebuilds a home's ledger damaged in its middle from `backup` (a copy of
 * ledger.db, or a backed-up home) and the damaged ledger's entries that still
 * follow it; returns the report (what came from where, what is lost). `home`
 * null: as Context.open finds it. Stop the hosts first. Throws ENOTFOUND
 * without a backup, EJOURNAL when the backup does not verify (nothing changed).
 */
function journalRecover(home, backup) {
    const out = [null];
    check(F().casescribe_journal_recover(out, home, backup));
    return takeString(out[0]);
}

/**
 * The store a home names (its own SQLite ledger, or a shared PostgreSQL one):
 * `command` 'status', 'init', 'migrate', or 'copy' (the home's SQLite ledger
 * into the empty store `uri`). Returns the report. Throws EJOURNAL for a
 * newer schema, ENETWORK when the database is unreachable.
 */
function storeAdmin(home, command, uri = null) {
    const out = [null];
    check(F().casescribe_store_admin(out, home, command, uri));
    return takeString(out[0]);
}

/**
 * Verifies a stamped payload with a public key alone (a PEM from
 * Context#publicKey()). Returns the report; throws CaseScribeError (EVERIFY,
 * EKEY, EUNSTAMPED, ...) with the report, when one was made, as `.report`.
 */
function verifyWithPublicKey(pem, payload, { adapter = 'xml' } = {}) {
    const key = toBytes(pem, 'pem');
    const data = toBytes(payload, 'payload');
    const report = [null];
    const status = F().casescribe_verify_with_public_key(report, adapter, key, key.length, data, data.length);
    const message = status !== 0 ? raw.casescribe_last_error() : '';
    const text = takeString(report[0]);
    if (status !== 0)
        throw new CaseScribeError(status, message, { report: text });
    return text;
}

/**
 * Checks a detached JWS from Context#jwsSign() against `payload` with a
 * public key (a PEM from Context#publicKey()). Returns true; throws
 * CaseScribeError EVERIFY when the signature does not match (or is not
 * EdDSA), EPARSE when `jws` is not a detached compact JWS, EKEY when the PEM
 * is not an Ed25519 public key.
 */
function jwsVerify(jws, pem, payload) {
    if (typeof jws !== 'string')
        throw new TypeError('jws must be a string');
    const key = toBytes(pem, 'pem');
    const data = toBytes(payload, 'payload');
    check(F().casescribe_jws_verify(jws, key, key.length, data, data.length));
    return true;
}

/** Signs a policy bundle with the admin's private key file (mode 0600); the signed bundle. */
function policyBundleSign(bundle, adminKeyPath) {
    const data = toBytes(bundle, 'bundle');
    const out = [null];
    const len = [0];
    check(F().casescribe_policy_bundle_sign(out, len, data, data.length, adminKeyPath));
    return takeBytes(out[0], len[0]);
}

/**
 * Checks a subject access export ZIP against the council's public key.
 * Returns the report; throws with `.report` otherwise: EVERIFY when a file
 * does not match, EUNTRUSTED when pem is null (the files then match only
 * the key that came with them, which proves nothing about who sealed them).
 */
function sarVerify(zipPath, pem = null) {
    const key = pem === null ? null : toBytes(pem, 'pem');
    const report = [null];
    const status = F().casescribe_sar_verify(report, zipPath, key, key === null ? 0 : key.length);
    const message = status !== 0 ? raw.casescribe_last_error() : '';
    const text = takeString(report[0]);
    if (status !== 0)
        throw new CaseScribeError(status, message, { report: text });
    return text;
}

// ---------------------------------------------------------------------------
// Record
// ---------------------------------------------------------------------------

class Record extends Handle {
    /** Decodes a payload (stamped or not) without verifying it. */
    static open(payload, { adapter = 'xml' } = {}) {
        const data = toBytes(payload, 'payload');
        const out = [null];
        check(F().casescribe_record_open(out, adapter, data, data.length));
        return new Record(out[0]);
    }

    constructor(ptr) {
        super(ptr, 'Record', raw.casescribe_record_free);
    }

    get id() { return raw.casescribe_record_id(this.pointer); }
    get team() { return raw.casescribe_record_team(this.pointer); }
    get author() { return raw.casescribe_record_author(this.pointer); }
    get isFinal() { return raw.casescribe_record_is_final(this.pointer) === 1; }
    /** 1, 2, ... or 0 when not stamped. */
    get version() { return raw.casescribe_record_version(this.pointer); }
    get keyId() { return raw.casescribe_record_key_id(this.pointer); }
    get sectionCount() { return raw.casescribe_record_section_count(this.pointer); }
    /** What the stamp says, by name ('time', 'actor', 'team', 'role', 'previous',
     * 'policy-version', 'policy-digest', 'ledger-seq', ...: see casescribe_record_stamp
     * in the header), or null. This reads; Context.verify checks. */
    stamp(name) { return raw.casescribe_record_stamp(this.pointer, String(name)); }
    /** How many items the stamp's list has: 'section', 'consent' or 'earlier-engine'. */
    stampCount(list) { return raw.casescribe_record_stamp_count(this.pointer, String(list)); }
    /** One fact of one item of a stamp list, e.g. stampItem('consent', 0, 'local-ai'), or null. */
    stampItem(list, index, name) {
        return raw.casescribe_record_stamp_item(this.pointer, String(list), index, String(name));
    }

    /** Section `index` as a plain object (null past the end). */
    section(index) {
        const p = this.pointer;
        const id = raw.casescribe_record_section_id(p, index);
        if (id === null)
            return null;
        return {
            id,
            origin: raw.casescribe_record_section_origin(p, index),
            engine: raw.casescribe_record_section_engine(p, index),
            model: raw.casescribe_record_section_model(p, index),
            engineVersion: raw.casescribe_record_section_engine_version(p, index),
            engineSettings: raw.casescribe_record_section_engine_settings(p, index),
            reviewer: raw.casescribe_record_section_reviewer(p, index),
            reviewedAt: raw.casescribe_record_section_reviewed_at(p, index),
            review: raw.casescribe_record_section_review(p, index),
            text: raw.casescribe_record_section_text(p, index),
        };
    }

    get sections() {
        const out = [];
        for (let i = 0, n = this.sectionCount; i < n; i++)
            out.push(this.section(i));
        return out;
    }
}

// ---------------------------------------------------------------------------
// JournalEntry
// ---------------------------------------------------------------------------

class JournalEntry extends Handle {
    constructor(ptr) {
        super(ptr, 'JournalEntry', raw.casescribe_journal_entry_free);
    }

    get seq() { return Number(raw.casescribe_journal_entry_seq(this.pointer)); }
    /** 'save', 'policy', 'audio', ... */
    get kind() { return raw.casescribe_journal_entry_kind(this.pointer); }
    get recordId() { return raw.casescribe_journal_entry_record_id(this.pointer); }
    get recordVersion() { return raw.casescribe_journal_entry_record_version(this.pointer); }
    get recordDigest() { return raw.casescribe_journal_entry_record_digest(this.pointer); }
    get actorId() { return raw.casescribe_journal_entry_actor_id(this.pointer); }
    /** UTC, ISO 8601. */
    get time() { return raw.casescribe_journal_entry_time(this.pointer); }
    /** Any field the entry records, by its JSON name, as text (numbers in
     * decimal, lists as compact JSON), or null: a policy entry's 'team',
     * 'setting', 'old' and 'new', for example. */
    field(name) { return raw.casescribe_journal_entry_field(this.pointer, String(name)); }
    /** The entry as one line of compact JSON (a save entry's text fingerprints left out). */
    get json() { return raw.casescribe_journal_entry_json(this.pointer); }
}

// ---------------------------------------------------------------------------
// Policy
// ---------------------------------------------------------------------------

class Policy extends Handle {
    constructor(ptr) {
        super(ptr, 'Policy', raw.casescribe_policy_free);
    }

    get team() { return raw.casescribe_policy_team(this.pointer); }
    /** 0 for the safe defaults. */
    get version() { return raw.casescribe_policy_version(this.pointer); }
    /** constants.POLICY_DEFAULTS, POLICY_SIGNED or POLICY_REFUSED. */
    get state() { return raw.casescribe_policy_state(this.pointer); }
    get stateName() {
        return { [C.POLICY_DEFAULTS]: 'defaults', [C.POLICY_SIGNED]: 'signed', [C.POLICY_REFUSED]: 'refused' }[this.state];
    }
    /** Why a REFUSED policy file was not used; null otherwise. */
    get problem() { return raw.casescribe_policy_problem(this.pointer); }
    get digest() { return raw.casescribe_policy_digest(this.pointer); }

    /** true when `name` ('ai-draft', 'transcription', ...) is on; throws ENOTFOUND for unknown features. */
    feature(name) {
        const on = raw.casescribe_policy_feature(this.pointer, name);
        if (on < 0)
            check(on);
        return on === 1;
    }

    /** A feature or setting as text ('on', '30', 'embedded', endpoints space-separated). */
    setting(key) {
        const out = [null];
        check(raw.casescribe_policy_setting(out, this.pointer, key));
        return takeString(out[0]);
    }
}

// ---------------------------------------------------------------------------
// Template
// ---------------------------------------------------------------------------

class Template extends Handle {
    /** Reads a template from memory (urn:casescribe:template:1). */
    static open(xml) {
        const data = toBytes(xml, 'xml');
        const out = [null];
        check(F().casescribe_template_open(out, data, data.length));
        return new Template(out[0]);
    }

    constructor(ptr) {
        super(ptr, 'Template', raw.casescribe_template_free);
    }

    get id() { return raw.casescribe_template_id(this.pointer); }
    get title() { return raw.casescribe_template_title(this.pointer); }
    get version() { return raw.casescribe_template_version(this.pointer); }
    get sectionCount() { return raw.casescribe_template_section_count(this.pointer); }

    /** Section `index`: { id, title, guidance, ai: 'draft' | 'never', prompts } (null past the end). */
    section(index) {
        const p = this.pointer;
        const id = raw.casescribe_template_section_id(p, index);
        if (id === null)
            return null;
        const prompts = [];
        for (let i = 0, n = raw.casescribe_template_prompt_count(p, index); i < n; i++)
            prompts.push(raw.casescribe_template_prompt(p, index, i));
        const ai = raw.casescribe_template_section_ai(p, index);
        return {
            id,
            title: raw.casescribe_template_section_title(p, index),
            guidance: raw.casescribe_template_section_guidance(p, index),
            ai: ai === C.AI_DRAFT ? 'draft' : 'never',
            prompts,
        };
    }

    get sections() {
        const out = [];
        for (let i = 0, n = this.sectionCount; i < n; i++)
            out.push(this.section(i));
        return out;
    }
}

// ---------------------------------------------------------------------------
// Transcript
// ---------------------------------------------------------------------------

class Transcript extends Handle {
    /** Reads a transcript back from its XML rendering. */
    static open(xml) {
        const data = toBytes(xml, 'xml');
        const out = [null];
        check(F().casescribe_transcript_open(out, data, data.length));
        return new Transcript(out[0]);
    }

    constructor(ptr) {
        super(ptr, 'Transcript', raw.casescribe_transcript_free);
    }

    get segmentCount() { return raw.casescribe_transcript_segment_count(this.pointer); }
    get engine() { return raw.casescribe_transcript_engine(this.pointer); }
    get model() { return raw.casescribe_transcript_model(this.pointer); }
    get engineVersion() { return raw.casescribe_transcript_engine_version(this.pointer); }
    get settings() { return raw.casescribe_transcript_settings(this.pointer); }

    /** Word `word` of segment `seg`: { text, startMs, endMs, confidence (0-1000, -1: none), unsure }. */
    word(seg, word) {
        const p = this.pointer;
        const text = raw.casescribe_transcript_word_text(p, seg, word);
        if (text === null)
            return null;
        return {
            text,
            startMs: Number(raw.casescribe_transcript_word_start_ms(p, seg, word)),
            endMs: Number(raw.casescribe_transcript_word_end_ms(p, seg, word)),
            confidence: raw.casescribe_transcript_word_confidence(p, seg, word),
            unsure: raw.casescribe_transcript_word_unsure(p, seg, word) === 1,
        };
    }

    /** Segment `seg`: { startMs, endMs, text, words } (null past the end). */
    segment(seg) {
        const p = this.pointer;
        const text = raw.casescribe_transcript_segment_text(p, seg);
        if (text === null)
            return null;
        const words = [];
        for (let w = 0, n = raw.casescribe_transcript_word_count(p, seg); w < n; w++)
            words.push(this.word(seg, w));
        return {
            startMs: Number(raw.casescribe_transcript_segment_start_ms(p, seg)),
            endMs: Number(raw.casescribe_transcript_segment_end_ms(p, seg)),
            text,
            words,
        };
    }

    get segments() {
        const out = [];
        for (let i = 0, n = this.segmentCount; i < n; i++)
            out.push(this.segment(i));
        return out;
    }

    /** 'text' (with the machine-made notice, unsure words as [word?]) or 'xml'. */
    render(format = 'text') {
        const code = format === 'text' ? C.TRANSCRIPT_TEXT : format === 'xml' ? C.TRANSCRIPT_XML : format;
        const out = [null];
        check(raw.casescribe_transcript_render(out, this.pointer, code));
        return takeString(out[0]);
    }
}

// ---------------------------------------------------------------------------
// Job
// ---------------------------------------------------------------------------

// Job#onEnd: the library calls a C function pointer on its worker thread when
// a job ends. koffi 3 gives one: a registered callback, which, called from a
// thread that is not JavaScript's, queues the call to the JavaScript thread
// and blocks that worker until it has run. Four consequences shape this
// code:
//  - the callback must stay registered as long as any job may call it, so
//    there is exactly one, registered for the life of the process, never
//    unregistered; `user` carries a token naming the job, not a pointer;
//  - koffi's relay does not keep the event loop alive: while a callback is
//    owed, a timer does, or Node would exit without delivering it;
//  - casescribe_ctx_close() joins the workers, and a worker waiting for the
//    JavaScript thread cannot be joined by it: Context#close() refuses
//    (EBUSY) while a callback is owed, and Context#closeAsync() closes on
//    another thread so that the owed callbacks can run;
//  - a context has two workers: blocking the JavaScript thread until one job
//    ends, while others owe callbacks, could wait for workers that wait for
//    it. Job#wait() with no limit refuses (EBUSY) then; Job#done() polls.
let endTrampoline = null;
let nextToken = 1n;
const owed = new Map(); // token -> Job whose native callback has not run yet
let keepAlive = null;

function forgive(token) {
    owed.delete(token);
    if (owed.size === 0 && keepAlive !== null) {
        clearInterval(keepAlive);
        keepAlive = null;
    }
}

function onNativeEnd(_jobPtr, user) {
    // Runs on the JavaScript thread. Hand the work to the event loop and
    // return at once: the library's worker is held until we return.
    const job = owed.get(user);
    if (job === undefined)
        return;
    forgive(user);
    job._nativeEnded();
}

function armTrampoline() {
    if (endTrampoline === null)
        endTrampoline = koffi.register(onNativeEnd, koffi.pointer(JobCallback));
    return endTrampoline;
}

const JOB_STATE_NAMES = ['queued', 'running', 'done', 'failed', 'cancelled'];

class Job extends Handle {
    #ctx;
    #listeners = [];
    #token = null;     // set while the native callback is owed
    #ended = false;    // the native callback has run

    constructor(ptr, ctx) {
        super(ptr, 'Job', raw.casescribe_job_free);
        this.#ctx = ctx;
    }

    /** 'transcription', 'fill', 'policy-refresh'. */
    get kind() { return raw.casescribe_job_kind(this.pointer); }
    /** The id a restarted host reattaches by (Context#jobAttach); null for a job that is not kept. */
    get id() { return raw.casescribe_job_id(this.pointer); }
    /** constants.JOB_QUEUED ... JOB_CANCELLED. */
    get state() { return check0(raw.casescribe_job_state(this.pointer)); }
    /** 'queued', 'running', 'done', 'failed' or 'cancelled'. */
    get stateName() { return JOB_STATE_NAMES[this.state]; }
    get isEnded() { return this.state >= C.JOB_DONE; }
    /** How it ended: 0, the error code, ECANCELLED; EBUSY while running. */
    get status() { return raw.casescribe_job_status(this.pointer); }
    /** Why it failed or was cancelled; null while running or after success. */
    get message() { return raw.casescribe_job_message(this.pointer); }
    /**
     * How far it has got, { done, total } in its kind's unit: milliseconds
     * of the recording for a transcription, steps (3) for a fill; both 0
     * until it knows its total; done === total once it is done.
     */
    get progress() {
        const done = [0], total = [0];
        check(raw.casescribe_job_progress(this.pointer, done, total));
        return { done: Number(done[0]), total: Number(total[0]) };
    }

    /**
     * Blocks this thread until the job ends, at most `timeoutMs` (0: just
     * look; negative: no limit). true once it has ended. A wait with no
     * limit throws EBUSY while other jobs of the context owe onEnd callbacks
     * (the workers it may need are waiting for this thread): use done().
     */
    wait(timeoutMs = -1) {
        const ptr = this.pointer;
        if (timeoutMs < 0 && this.#ctx?._owesOtherThan(this)) {
            throw new CaseScribeError(C.EBUSY, 'an unlimited wait would hold up the onEnd callbacks other jobs ' +
                'owe on this Context: use await job.done(), or wait with a timeout');
        }
        const status = raw.casescribe_job_wait(ptr, timeoutMs);
        if (status === C.EBUSY)
            return false;
        check(status);
        return true;
    }

    /**
     * Resolves with the final state name once the job has ended, polling
     * without blocking the event loop; rejects with EBUSY after `timeoutMs`.
     */
    async done({ timeoutMs = Infinity, pollMs = 50 } = {}) {
        const deadline = Date.now() + timeoutMs;
        let delay = Math.min(5, pollMs);
        while (!this.wait(0)) {
            if (Date.now() >= deadline)
                throw new CaseScribeError(C.EBUSY, `the ${this.kind} job has not ended after ${timeoutMs} ms`);
            await new Promise((resolve) => setTimeout(resolve, delay));
            delay = Math.min(delay * 2, pollMs);
        }
        return this.stateName;
    }

    // Throws when a job's output cannot be had. For a job that failed, its own
    // message says why; last_error only says that it did not succeed.
    #checkOutcome(status) {
        if (status === 0)
            return;
        const detail = raw.casescribe_last_error();
        const why = status !== C.EBUSY && status !== C.EINVAL ? this.message : null;
        throw new CaseScribeError(status, why || detail);
    }

    /** What a DONE job made, as text (what a refresh changed, what a fill drafted). */
    result() {
        const out = [null];
        const status = raw.casescribe_job_result(out, this.pointer);
        this.#checkOutcome(status);
        return takeString(out[0]);
    }

    /** The Transcript a DONE transcription job made. */
    transcript() {
        const out = [null];
        this.#checkOutcome(raw.casescribe_job_transcript(out, this.pointer));
        return new Transcript(out[0]);
    }

    /** The draft form (bytes) a DONE fill job made. */
    draft() {
        const out = [null];
        const len = [0];
        this.#checkOutcome(raw.casescribe_job_draft(out, len, this.pointer));
        return takeBytes(out[0], len[0]);
    }

    /** Asks the job to stop; a job that finishes first keeps its result. */
    cancel() {
        check(raw.casescribe_job_cancel(this.pointer));
    }

    /**
     * Calls `listener(job)` once, on the JavaScript thread, when the job ends
     * (at once, asynchronously, when it has ended already). Each listener is
     * called once; the library's callback is registered once per job.
     */
    onEnd(listener) {
        if (typeof listener !== 'function')
            throw new TypeError('onEnd needs a function');
        const ptr = this.pointer;
        if (this.#ended) {
            setImmediate(() => listener(this));
            return this;
        }
        this.#listeners.push(listener);
        if (this.#token === null) {
            const token = nextToken++;
            this.#token = token;
            owed.set(token, this);
            this.#ctx?._owe(this);
            if (keepAlive === null)
                keepAlive = setInterval(() => {}, 1 << 30);
            // When the job has ended already the library calls back at once,
            // on this thread, inside this call.
            const status = raw.casescribe_job_on_end(ptr, armTrampoline(), token);
            if (status !== 0) {
                const error = new CaseScribeError(status, raw.casescribe_last_error());
                forgive(token); // nothing is owed after all
                this.#token = null;
                this.#listeners.pop();
                this.#ctx?._paid(this);
                throw error;
            }
        }
        return this;
    }

    // Called by onNativeEnd on the JavaScript thread.
    _nativeEnded() {
        this.#ended = true;
        this.#token = null;
        this.#ctx?._paid(this);
        const listeners = this.#listeners;
        this.#listeners = [];
        // Never inside the library's call: a listener may call the library,
        // close the job or throw.
        setImmediate(() => {
            for (const listener of listeners)
                listener(this);
        });
    }
}

function check0(value) {
    return value < 0 ? check(value) : value;
}

// ---------------------------------------------------------------------------
// SarExport
// ---------------------------------------------------------------------------

class SarExport extends Handle {
    #ctx;

    constructor(ptr, ctx) {
        super(ptr, 'SarExport', raw.casescribe_sar_free);
        this.#ctx = ctx;
    }

    // The export reads the context's keys and journal: it must still be open.
    #ptrWithContext() {
        const ptr = this.pointer;
        if (this.#ctx.closed)
            throw new CaseScribeError(C.EINVAL, "this SarExport's Context is closed");
        return ptr;
    }

    /** Adds one stamped record of the subject. */
    add(payload, { adapter = 'xml' } = {}) {
        const data = toBytes(payload, 'payload');
        check(raw.casescribe_sar_add(this.#ptrWithContext(), adapter, data, data.length));
        return this;
    }

    /**
     * Writes the ZIP (and the review list). Returns the summary as
     * { text, counts: { name: value } }. Close the handle afterwards, as
     * always.
     */
    finish() {
        const out = [null];
        check(raw.casescribe_sar_finish(out, this.#ptrWithContext()));
        const text = takeString(out[0]) ?? '';
        const counts = {};
        for (const line of lines(text)) {
            const at = line.indexOf(':');
            if (at > 0)
                counts[line.slice(0, at).trim()] = line.slice(at + 1).trim();
        }
        return { text, counts };
    }
}

// ---------------------------------------------------------------------------
// Context
// ---------------------------------------------------------------------------

class Context extends Handle {
    #owed = new Set();    // jobs whose native on-end callback is still owed
    #inflight = new Set(); // promises of asynchronous calls using this context

    /**
     * Opens a home folder. `home` null: $CASESCRIBE_HOME, then
     * ~/.local/share/casescribe. Options: create (make it if missing),
     * noSync (no fdatasync: tests and benchmarks ONLY), twoPhase (a version
     * never confirmed with saveConfirm() may be superseded by a save from the
     * confirmed one), flags (raw OPEN_*).
     */
    static open(home = null, { create = false, noSync = false, twoPhase = false, flags = 0 } = {}) {
        const fns = F();
        const opts = initOptions(fns.casescribe_ctx_options_init, CtxOptions, {
            home,
            flags: flags | (create ? C.OPEN_CREATE : 0) | (noSync ? C.OPEN_NO_SYNC : 0) |
                (twoPhase ? C.OPEN_TWO_PHASE : 0),
        });
        const out = [null];
        check(fns.casescribe_ctx_open(out, opts));
        return new Context(out[0]);
    }

    constructor(ptr) {
        super(ptr, 'Context', raw.casescribe_ctx_close);
    }

    /** The home folder it opened. */
    get home() { return raw.casescribe_ctx_home(this.pointer); }
    /** Always 0 since the ledger is a database (it counted the torn tail of the old journal file). */
    get journalTruncatedBytes() { return Number(raw.casescribe_journal_truncated_bytes(this.pointer)); }

    /** Makes the signing key; returns its id. rotate: replace an existing one. */
    keygen({ rotate = false } = {}) {
        const out = [null];
        check(raw.casescribe_keygen(out, this.pointer, rotate ? C.KEYGEN_ROTATE : 0));
        return takeString(out[0]);
    }

    /** The current public key, PEM. */
    publicKey() {
        const out = [null];
        check(raw.casescribe_public_key(out, this.pointer));
        return takeString(out[0]);
    }

    /**
     * The key registry: every key the home signed with and every key it
     * trusts, as a PEM bundle with ids and validity (verifyWithPublicKey
     * takes it). list: one line per key instead; homeOnly: the home's own
     * keys only (EKEY when it has none yet).
     */
    keysExport({ list = false, homeOnly = false } = {}) {
        const out = [null];
        check(raw.casescribe_keys_export(out, this.pointer, (list ? C.KEYS_LIST : 0) | (homeOnly ? C.KEYS_HOME : 0)));
        return takeString(out[0]);
    }

    /**
     * Trusts another server's public key(s), a PEM or the bundle of its
     * keysExport(): each new key is a "key" ledger entry naming actorId, and
     * records it signed verify here. Returns the key ids in the PEM.
     */
    keyTrust(actorId, pem) {
        const key = toBytes(pem, 'pem');
        const out = [null];
        check(raw.casescribe_key_trust(out, this.pointer, actorId, key, key.length));
        return takeString(out[0]).split('\n');
    }

    /**
     * Signs `payload` with the home's current key as a JSON Web Signature with
     * a detached payload (RFC 7515 appendix F, alg 'EdDSA', the key id as
     * 'kid'): returns 'HEADER..SIGNATURE'. Check it with jwsVerify() or any
     * JOSE library. Throws EKEY when the home has no signing key, ETOOBIG over
     * the payload limit.
     */
    jwsSign(payload) {
        const data = toBytes(payload, 'payload');
        const out = [null];
        check(raw.casescribe_jws_sign(out, this.pointer, data, data.length));
        return takeString(out[0]);
    }

    // The actor struct; koffi copies its strings for the duration of the call.
    #actor({ userId, team = null, role = null } = {}) {
        if (typeof userId !== 'string')
            throw new TypeError('actor.userId is required');
        return initOptions(raw.casescribe_actor_init, Actor, { user_id: userId, team, role });
    }

    /**
     * Saves one form. actor: { userId, team?, role? }. Returns the stamped
     * payload (a Buffer): store it, and send it back on the next save.
     */
    save(payload, { actor, adapter = 'xml' } = {}) {
        const data = toBytes(payload, 'payload');
        const act = this.#actor(actor);
        const out = [null];
        const len = [0];
        check(raw.casescribe_save(out, len, this.pointer, adapter, act, data, data.length));
        return takeBytes(out[0], len[0]);
    }

    /**
     * save() on one of koffi's worker threads, so that several saves run at
     * once on this context. Resolves with the stamped payload.
     *
     * A failure carries the code and the library's text for it, not the
     * detailed message: casescribe_last_error() belongs to the worker thread
     * that failed, and koffi cannot run a second call on that same thread.
     */
    saveAsync(payload, { actor, adapter = 'xml' } = {}) {
        const data = toBytes(payload, 'payload');
        const act = this.#actor(actor);
        const ptr = this.pointer;
        const out = [null];
        const len = [0];
        const call = promisify(raw.casescribe_save.async)(out, len, ptr, adapter, act, data, data.length)
            .then((status) => {
                if (status !== 0) {
                    throw new CaseScribeError(status,
                        `${raw.casescribe_strerror(status)} (asynchronous save: use save() for the detailed message)`);
                }
                return takeBytes(out[0], len[0]);
            })
            .finally(() => {
                // `data` and `act` must live until the worker is done with them.
                void data;
                void act;
                this.#inflight.delete(call);
            });
        this.#inflight.add(call);
        return call;
    }

    /**
     * Verifies a stamped payload with the home's keys. Returns the report;
     * throws CaseScribeError (EVERIFY, EUNSTAMPED, EKEY, a decode error) with
     * the report, when one was made, as `.report`.
     */
    verify(payload, { adapter = 'xml' } = {}) {
        const data = toBytes(payload, 'payload');
        const report = [null];
        const status = raw.casescribe_verify(report, this.pointer, adapter, data, data.length);
        const message = status !== 0 ? raw.casescribe_last_error() : '';
        const text = takeString(report[0]);
        if (status !== 0)
            throw new CaseScribeError(status, message, { report: text });
        return text;
    }

    /**
     * Records that the host committed the stamped version `stamped` (what
     * save() returned). Throws ENOTFOUND when this home holds no such
     * version, ECONFLICT when it was abandoned.
     */
    saveConfirm(stamped, { adapter = 'xml' } = {}) {
        const data = toBytes(stamped, 'stamped');
        check(raw.casescribe_save_confirm(this.pointer, adapter, data, data.length));
    }

    /**
     * Where a record stands in the ledger: { version, confirmed, digest }
     * (confirmed 0: no version confirmed). Throws ENOTFOUND for a record this
     * home never saved.
     */
    recordHead(recordId) {
        const version = [0];
        const confirmed = [0];
        const digest = [null];
        check(raw.casescribe_record_head(version, confirmed, digest, this.pointer, recordId));
        return { version: Number(version[0]), confirmed: Number(confirmed[0]), digest: takeString(digest[0]) };
    }

    /**
     * Checks the whole journal. Returns { entries, report }; throws EJOURNAL
     * (with `.entries` good ones and `.report`) when an entry is bad.
     */
    journalVerify() {
        const count = [0];
        const report = [null];
        const status = raw.casescribe_journal_verify(count, report, this.pointer);
        const message = status !== 0 ? raw.casescribe_last_error() : '';
        const text = takeString(report[0]);
        const entries = Number(count[0]);
        if (status !== 0)
            throw new CaseScribeError(status, message, { report: text, entries });
        return { entries, report: text };
    }

    /**
     * Checks that the ledger still holds what a checkpoint (as exported) or a
     * stamped record kept outside the home saw. Returns the report; throws
     * EJOURNAL (shorter, disagreeing or another home's ledger) or EVERIFY (a
     * bad signature), with `.report`.
     */
    journalCheck(evidence, { adapter = 'xml' } = {}) {
        const data = toBytes(evidence, 'evidence');
        const report = [null];
        const status = raw.casescribe_journal_check(report, this.pointer, adapter, data, data.length);
        const message = status !== 0 ? raw.casescribe_last_error() : '';
        const text = takeString(report[0]);
        if (status !== 0)
            throw new CaseScribeError(status, message, { report: text });
        return text;
    }

    /** The ledger's latest signed checkpoint (a C2SP signed note) as text. */
    checkpointExport() {
        const out = [null];
        check(raw.casescribe_checkpoint_export(out, this.pointer));
        return takeString(out[0]);
    }

    /** Journal entry `seq` (1 is the first). */
    journalEntry(seq) {
        const out = [null];
        check(raw.casescribe_journal_entry_get(out, this.pointer, BigInt(seq)));
        return new JournalEntry(out[0]);
    }

    /** The policy in force for `team` (a snapshot). */
    teamPolicy(team) {
        const out = [null];
        check(raw.casescribe_team_policy(out, this.pointer, team));
        return new Policy(out[0]);
    }

    /** Changes one feature ('ai-draft': 'on') or setting of a team's policy, as admin `actorId`. */
    teamSet(actorId, team, key, value) {
        check(raw.casescribe_team_set(this.pointer, actorId, team, key, String(value)));
    }

    /** The teams that have a policy file, sorted. */
    teamList() {
        const out = [null];
        check(raw.casescribe_team_list(out, this.pointer));
        return lines(takeString(out[0]));
    }

    /** Trusts the policy admin's Ed25519 public key (PEM) for bundles. */
    policyTrust(actorId, pem) {
        const text = Buffer.isBuffer(pem) ? pem.toString('utf8') : String(pem);
        check(raw.casescribe_policy_trust(this.pointer, actorId, text, Buffer.byteLength(text)));
    }

    /** Starts fetching and applying a signed policy bundle: a Job. */
    policyRefresh({ url, caFile = null, maxBytes, connectTimeoutMs, timeoutMs } = {}) {
        const fields = { url, ca_file: caFile };
        if (maxBytes !== undefined) fields.max_bytes = maxBytes;
        if (connectTimeoutMs !== undefined) fields.connect_timeout_ms = connectTimeoutMs;
        if (timeoutMs !== undefined) fields.timeout_ms = timeoutMs;
        const opts = initOptions(raw.casescribe_fetch_options_init, FetchOptions, fields);
        const out = [null];
        check(raw.casescribe_policy_refresh(out, this.pointer, opts));
        return new Job(out[0], this);
    }

    /**
     * Starts transcribing a recording for a form: a Job. Options: form
     * (bytes), audioPath, and optionally formAdapter, takeRecording,
     * parallel, maxSeconds, unsurePermille, helperPath, modelDir,
     * remoteEndpoint, remoteModel, apiKeyFile, apiKeyEnv, caFile, and tags
     * (the worker's observation tags, "hh:mm:ss label" a line; the team's
     * policy must have observation-tags on). Job#progress says how far it is.
     */
    transcribe(options = {}) {
        const form = toBytes(options.form, 'form');
        const tags = options.tags !== undefined && options.tags !== null ? toBytes(options.tags, 'tags') : null;
        const fields = {
            form,
            form_len: form.length,
            tags,
            tags_len: tags !== null ? tags.length : 0,
            audio_path: options.audioPath,
            flags: options.takeRecording ? C.TRANSCRIBE_TAKE_RECORDING : 0,
        };
        const names = { formAdapter: 'form_adapter', parallel: 'parallel', maxSeconds: 'max_seconds',
            unsurePermille: 'unsure_permille', helperPath: 'helper_path', modelDir: 'model_dir',
            remoteEndpoint: 'remote_endpoint', remoteModel: 'remote_model', apiKeyFile: 'api_key_file',
            apiKeyEnv: 'api_key_env', caFile: 'ca_file' };
        for (const [js, c] of Object.entries(names)) {
            if (options[js] !== undefined && options[js] !== null)
                fields[c] = options[js];
        }
        const opts = initOptions(raw.casescribe_transcribe_options_init, TranscribeOptions, fields);
        const out = [null];
        check(raw.casescribe_transcribe(out, this.pointer, opts));
        return new Job(out[0], this);
    }

    /**
     * Starts drafting a form's `draft` sections from a transcript: a Job.
     * Options: form (bytes), template (a Template: the form's own),
     * transcript (a Transcript), and optionally formAdapter, maxSentences,
     * style ('quote', the default: each speaker's words; or 'reported':
     * reported speech, "Kerry said they have agreed..."; since 1.7),
     * remoteEndpoint, remoteModel, apiKeyFile, apiKeyEnv, caFile. The job
     * keeps its own references to the template and the transcript.
     */
    fill(options = {}) {
        const form = toBytes(options.form, 'form');
        if (!(options.template instanceof Template) || !(options.transcript instanceof Transcript))
            throw new TypeError('fill needs a Template and a Transcript');
        const fields = {
            form,
            form_len: form.length,
            form_template: options.template.pointer,
            transcript: options.transcript.pointer,
            style: fillStyle(options.style),
        };
        const names = { formAdapter: 'form_adapter', maxSentences: 'max_sentences',
            remoteEndpoint: 'remote_endpoint', remoteModel: 'remote_model', apiKeyFile: 'api_key_file',
            apiKeyEnv: 'api_key_env', caFile: 'ca_file' };
        for (const [js, c] of Object.entries(names)) {
            if (options[js] !== undefined && options[js] !== null)
                fields[c] = options[js];
        }
        const opts = initOptions(raw.casescribe_fill_options_init, FillOptions, fields);
        const out = [null];
        check(raw.casescribe_fill(out, this.pointer, opts));
        return new Job(out[0], this);
    }

    /** The template `id`: the home's templates/, else the installed ones. */
    templateFind(id) {
        const out = [null];
        check(raw.casescribe_template_find(out, this.pointer, id));
        return new Template(out[0]);
    }

    /** The ids of this home's kept jobs (transcription, fill) that no other live process holds. */
    jobList() {
        const out = [null];
        check(raw.casescribe_job_list(out, this.pointer));
        return lines(takeString(out[0]));
    }

    /** The same jobs, one line each: id, kind, state, created and updated times. */
    jobListDetail() {
        const out = [null];
        check(raw.casescribe_job_list_detail(out, this.pointer));
        return lines(takeString(out[0]));
    }

    /** A Job for kept job `id`: run again from its input after a restart. */
    jobAttach(id) {
        const out = [null];
        check(raw.casescribe_job_attach(out, this.pointer, id));
        return new Job(out[0], this);
    }

    /** The ids of the templates that can be found. */
    templateList() {
        const out = [null];
        check(raw.casescribe_template_list(out, this.pointer));
        return lines(takeString(out[0]));
    }

    /** Signs a template with the home's key and installs it in the home's templates/. */
    templateInstall(xml) {
        const data = toBytes(xml, 'xml');
        check(raw.casescribe_template_install(this.pointer, data, data.length));
    }

    /** Signs the home's external names (names-1.xsd) with its key and installs them as names.xml. */
    namesInstall(xml) {
        const data = toBytes(xml, 'xml');
        check(raw.casescribe_names_install(this.pointer, data, data.length));
    }

    /** Deletes recordings whose retention has run out; how many. */
    audioSweep() {
        const deleted = [0];
        check(raw.casescribe_audio_sweep(this.pointer, deleted));
        return deleted[0];
    }

    /**
     * Starts a subject access export: a SarExport. Options: subjectId,
     * outputPath (the ZIP), and optionally reviewPath, redactPath,
     * organisation, correctionContact.
     */
    sar({ subjectId, outputPath, reviewPath = null, redactPath = null, organisation = null,
        correctionContact = null } = {}) {
        const opts = initOptions(raw.casescribe_sar_options_init, SarOptions, {
            subject_id: subjectId,
            output_path: outputPath,
            review_path: reviewPath,
            redact_path: redactPath,
            organisation,
            correction_contact: correctionContact,
        });
        const out = [null];
        check(raw.casescribe_sar_open(out, this.pointer, opts));
        return new SarExport(out[0], this);
    }

    // Job#onEnd bookkeeping (see the comment above onNativeEnd).
    _owe(job) { this.#owed.add(job); }
    _paid(job) { this.#owed.delete(job); }
    _owesOtherThan(job) { return this.#owed.size > (this.#owed.has(job) ? 1 : 0); }

    /**
     * Closes the context: cancels its jobs and waits for the running ones to
     * stop. Throws EBUSY, and leaves it open, while an asynchronous call is
     * using it or a Job#onEnd callback is owed (closing would wait for a
     * worker that waits for this thread): use closeAsync() then. A second
     * close() throws EINVAL.
     */
    close() {
        void this.pointer; // throws once closed
        if (this.#inflight.size > 0 || this.#owed.size > 0) {
            throw new CaseScribeError(C.EBUSY, `${this.#inflight.size} asynchronous call(s) and ` +
                `${this.#owed.size} onEnd callback(s) are pending on this Context: await closeAsync() instead`);
        }
        super.close();
    }

    /**
     * Closes the context without blocking the event loop: waits for its
     * asynchronous calls, then closes on a koffi worker thread while the
     * jobs' onEnd callbacks run here.
     */
    async closeAsync() {
        const ptr = this._detach(); // closed from here on for new calls
        await Promise.allSettled([...this.#inflight]);
        await promisify(raw.casescribe_ctx_close.async)(ptr);
    }

}

if (typeof Symbol.asyncDispose === 'symbol') {
    Context.prototype[Symbol.asyncDispose] = async function asyncDispose() {
        if (!this.closed)
            await this.closeAsync();
    };
}

// `raw` and `constants` are filled when the library loads; reading either
// loads it (so that `const { constants } = require(...)` does not).
const lazy = (target) => new Proxy(target, {
    get(t, key) {
        F();
        return t[key];
    },
    has(t, key) {
        F();
        return key in t;
    },
    ownKeys(t) {
        F();
        return Reflect.ownKeys(t);
    },
});

// The koffi types, for `raw` calls that take an options struct or a callback.
const types = Object.freeze({ LibraryInfo, CtxOptions, Actor, FetchOptions, TranscribeOptions, FillOptions, SarOptions, JobCallback });

module.exports = {
    load,
    raw: lazy(raw),
    types,
    constants: lazy(constants),
    CaseScribeError,
    codeName,
    version,
    abiVersion,
    versionInfo,
    strerror,
    lastError,
    constant,
    verifyWithPublicKey,
    publicKeyFingerprint,
    journalRecover,
    storeAdmin,
    jwsVerify,
    policyBundleSign,
    sarVerify,
    Context,
    Record,
    JournalEntry,
    Job,
    Transcript,
    Template,
    Policy,
    SarExport,
};
