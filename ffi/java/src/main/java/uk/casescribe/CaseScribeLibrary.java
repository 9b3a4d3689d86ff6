// SPDX-License-Identifier: Apache-2.0
package uk.casescribe;

import com.sun.jna.Callback;
import com.sun.jna.IntegerType;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.ByReference;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;

import java.util.Map;

/**
 * The raw C interface of libcasescribe (casescribe.h), one method per
 * exported function, mapped with JNA direct interface mapping.
 *
 * <p>Most code should use {@link Context} and the other classes of this
 * package, which check every status, copy and free what the library
 * allocates and refuse closed handles. This interface is public for the rare
 * host that needs the C calls as they are; the header's rules (ownership,
 * casescribe_free, per-thread last error) then apply to the caller.
 *
 * <p>Type mapping (x86_64 and other LP64 platforms): int32_t/uint32_t are
 * {@code int}, int64_t/uint64_t are {@code long}, size_t is {@link SizeT},
 * opaque handles are {@link Pointer}, {@code const char *} results are copied
 * into {@code String} (they are borrowed, never freed), and {@code char **} /
 * {@code uint8_t **} outputs are {@link PointerByReference} whose value must
 * go to {@link #casescribe_free}.
 */
public interface CaseScribeLibrary extends Library {

    /** The ABI generation this binding was written for (CASESCRIBE_ABI_VERSION). */
    int ABI_VERSION = 1;

    /**
     * Loads the library: the system property {@code casescribe.library}, else
     * the environment variable {@code CS_LIB} (a file path or a name), else
     * "casescribe" from the system's library path. Refuses a library of
     * another ABI generation, since every layout below would then be wrong.
     */
    static CaseScribeLibrary load() {
        String name = System.getProperty("casescribe.library");
        if (name == null || name.isEmpty())
            name = System.getenv("CS_LIB");
        if (name == null || name.isEmpty())
            name = "casescribe";
        CaseScribeLibrary lib = Native.load(name, CaseScribeLibrary.class,
                Map.of(Library.OPTION_STRING_ENCODING, "UTF-8"));
        int abi = lib.casescribe_abi_version();
        if (abi != ABI_VERSION)
            throw new UnsatisfiedLinkError(name + " has ABI version " + abi + "; this binding needs " + ABI_VERSION);
        return lib;
    }

    /** size_t, as wide as the platform's. */
    final class SizeT extends IntegerType {
        private static final long serialVersionUID = 1L;

        public SizeT() {
            this(0);
        }

        public SizeT(long value) {
            super(Native.SIZE_T_SIZE, value, true);
        }
    }

    /** A size_t output ({@code size_t *}). */
    final class SizeTByReference extends ByReference {
        public SizeTByReference() {
            super(Native.SIZE_T_SIZE);
            if (Native.SIZE_T_SIZE == 8)
                getPointer().setLong(0, 0);
            else
                getPointer().setInt(0, 0);
        }

        public long getValue() {
            return Native.SIZE_T_SIZE == 8 ? getPointer().getLong(0) : Integer.toUnsignedLong(getPointer().getInt(0));
        }
    }

    /** casescribe_job_callback: called once, on a library thread, when a job ends. */
    interface JobCallback extends Callback {
        void invoke(Pointer job, Pointer user);
    }

    /**
     * The base of the sized option structs. Strings in them are UTF-8 (the
     * header's rule) whatever the JVM's default charset is, set here rather
     * than left to JNA's lookup of the enclosing library's options. JNA keeps
     * the native copy of each String field alive as long as the struct object.
     */
    abstract class SizedStruct extends Structure {
        protected SizedStruct() {
            setStringEncoding("UTF-8");
        }
    }

    /** casescribe_ctx_options */
    @Structure.FieldOrder({"struct_size", "flags", "home"})
    class CtxOptionsStruct extends SizedStruct {
        public int struct_size;
        public int flags;
        public String home;
    }

    /** casescribe_actor */
    @Structure.FieldOrder({"struct_size", "reserved", "user_id", "team", "role"})
    class ActorStruct extends SizedStruct {
        public int struct_size;
        public int reserved;
        public String user_id;
        public String team;
        public String role;
    }

    /** casescribe_fetch_options */
    @Structure.FieldOrder({"struct_size", "max_bytes", "url", "ca_file", "connect_timeout_ms", "timeout_ms"})
    class FetchOptionsStruct extends SizedStruct {
        public int struct_size;
        public int max_bytes;
        public String url;
        public String ca_file;
        public int connect_timeout_ms;
        public int timeout_ms;
    }

    /** casescribe_transcribe_options */
    @Structure.FieldOrder({"struct_size", "flags", "parallel", "form_adapter", "form", "form_len", "audio_path",
            "max_seconds", "unsure_permille", "helper_path", "model_dir", "remote_endpoint", "remote_model",
            "api_key_file", "api_key_env", "ca_file", "tags", "tags_len"})
    class TranscribeOptionsStruct extends SizedStruct {
        public int struct_size;
        public int flags;
        public int parallel;
        public String form_adapter;
        public Pointer form;
        public SizeT form_len;
        public String audio_path;
        public int max_seconds;
        public int unsure_permille;
        public String helper_path;
        public String model_dir;
        public String remote_endpoint;
        public String remote_model;
        public String api_key_file;
        public String api_key_env;
        public String ca_file;
        public Pointer tags;
        public SizeT tags_len = new SizeT(0);
    }

    /** casescribe_fill_options */
    @Structure.FieldOrder({"struct_size", "max_sentences", "form_adapter", "form", "form_len", "form_template",
            "transcript", "remote_endpoint", "remote_model", "api_key_file", "api_key_env", "ca_file", "style"})
    class FillOptionsStruct extends SizedStruct {
        public int struct_size;
        public int max_sentences;
        public String form_adapter;
        public Pointer form;
        public SizeT form_len;
        public Pointer form_template;
        public Pointer transcript;
        public String remote_endpoint;
        public String remote_model;
        public String api_key_file;
        public String api_key_env;
        public String ca_file;
        public int style;
    }

    /** casescribe_sar_options */
    @Structure.FieldOrder({"struct_size", "flags", "subject_id", "output_path", "review_path", "redact_path",
            "organisation", "correction_contact"})
    class SarOptionsStruct extends SizedStruct {
        public int struct_size;
        public int flags;
        public String subject_id;
        public String output_path;
        public String review_path;
        public String redact_path;
        public String organisation;
        public String correction_contact;
    }

    /** casescribe_library_info (filled by the library) */
    @Structure.FieldOrder({"struct_size", "major", "minor", "patch", "version_num", "abi_version", "features"})
    class LibraryInfoStruct extends Structure {
        public int struct_size;
        public int major;
        public int minor;
        public int patch;
        public int version_num;
        public int abi_version;
        public int features;
    }

    // Versions, status codes, memory, constants
    String casescribe_version();

    int casescribe_abi_version();

    int casescribe_version_info(LibraryInfoStruct info, int struct_size);

    String casescribe_strerror(int status);

    String casescribe_last_error();

    void casescribe_free(Pointer ptr);

    int casescribe_constant(LongByReference value_out, String name);

    // Context
    int casescribe_ctx_options_init(CtxOptionsStruct opts, int struct_size);

    int casescribe_ctx_open(PointerByReference ctx_out, CtxOptionsStruct opts);

    void casescribe_ctx_close(Pointer ctx);

    String casescribe_ctx_home(Pointer ctx);

    // Keys
    int casescribe_keygen(PointerByReference key_id_out, Pointer ctx, int flags);

    int casescribe_public_key(PointerByReference pem_out, Pointer ctx);

    int casescribe_public_key_fingerprint(PointerByReference fingerprint_out, byte[] pubkey_pem, SizeT pubkey_len);

    int casescribe_keys_export(PointerByReference out, Pointer ctx, int flags);

    int casescribe_key_trust(PointerByReference key_ids_out, Pointer ctx, String actor_id, byte[] pem, SizeT pem_len);

    int casescribe_journal_recover(PointerByReference report_out, String home, String backup);

    int casescribe_store_admin(PointerByReference report_out, String home, String command, String uri);

    // Saving and verifying
    int casescribe_actor_init(ActorStruct actor, int struct_size);

    int casescribe_save(PointerByReference out, SizeTByReference out_len, Pointer ctx, String adapter,
                        ActorStruct actor, byte[] payload, SizeT payload_len);

    int casescribe_verify(PointerByReference report_out, Pointer ctx, String adapter, byte[] payload,
                          SizeT payload_len);

    int casescribe_verify_with_public_key(PointerByReference report_out, String adapter, byte[] pubkey_pem,
                                          SizeT pubkey_len, byte[] payload, SizeT payload_len);

    int casescribe_save_confirm(Pointer ctx, String adapter, byte[] payload, SizeT payload_len);

    int casescribe_record_head(IntByReference version_out, IntByReference confirmed_out,
                               PointerByReference digest_out, Pointer ctx, String record_id);

    // Records
    int casescribe_record_open(PointerByReference record_out, String adapter, byte[] payload, SizeT payload_len);

    void casescribe_record_free(Pointer record);

    String casescribe_record_id(Pointer record);

    String casescribe_record_team(Pointer record);

    String casescribe_record_author(Pointer record);

    int casescribe_record_is_final(Pointer record);

    int casescribe_record_version(Pointer record);

    String casescribe_record_key_id(Pointer record);

    int casescribe_record_section_count(Pointer record);

    String casescribe_record_section_id(Pointer record, int index);

    String casescribe_record_section_origin(Pointer record, int index);

    String casescribe_record_section_engine(Pointer record, int index);

    String casescribe_record_section_model(Pointer record, int index);

    String casescribe_record_section_engine_version(Pointer record, int index);

    String casescribe_record_section_engine_settings(Pointer record, int index);

    String casescribe_record_section_reviewer(Pointer record, int index);

    String casescribe_record_section_reviewed_at(Pointer record, int index);

    String casescribe_record_section_review(Pointer record, int index);

    String casescribe_record_section_text(Pointer record, int index);

    String casescribe_record_stamp(Pointer record, String name);

    int casescribe_record_stamp_count(Pointer record, String list);

    String casescribe_record_stamp_item(Pointer record, String list, int index, String name);

    // Journal
    int casescribe_journal_verify(LongByReference entries_out, PointerByReference report_out, Pointer ctx);

    int casescribe_journal_check(PointerByReference report_out, Pointer ctx, String adapter, byte[] evidence,
            SizeT evidence_len);

    int casescribe_checkpoint_export(PointerByReference checkpoint_out, Pointer ctx);

    long casescribe_journal_truncated_bytes(Pointer ctx);

    int casescribe_journal_entry_get(PointerByReference entry_out, Pointer ctx, long seq);

    void casescribe_journal_entry_free(Pointer entry);

    long casescribe_journal_entry_seq(Pointer entry);

    String casescribe_journal_entry_kind(Pointer entry);

    String casescribe_journal_entry_record_id(Pointer entry);

    int casescribe_journal_entry_record_version(Pointer entry);

    String casescribe_journal_entry_record_digest(Pointer entry);

    String casescribe_journal_entry_actor_id(Pointer entry);

    String casescribe_journal_entry_time(Pointer entry);

    String casescribe_journal_entry_field(Pointer entry, String name);

    String casescribe_journal_entry_json(Pointer entry);

    // Jobs
    int casescribe_job_state(Pointer job);

    String casescribe_job_kind(Pointer job);

    int casescribe_job_wait(Pointer job, int timeout_ms);

    int casescribe_job_status(Pointer job);

    String casescribe_job_message(Pointer job);

    int casescribe_job_result(PointerByReference result_out, Pointer job);

    int casescribe_job_cancel(Pointer job);

    int casescribe_job_on_end(Pointer job, JobCallback callback, Pointer user);

    void casescribe_job_free(Pointer job);
    String casescribe_job_id(Pointer job);
    int casescribe_job_list(PointerByReference ids_out, Pointer ctx);
    int casescribe_job_list_detail(PointerByReference lines_out, Pointer ctx);
    int casescribe_job_attach(PointerByReference job_out, Pointer ctx, String id);

    int casescribe_job_progress(Pointer job, LongByReference done_out, LongByReference total_out);

    // Transcription
    int casescribe_transcribe_options_init(TranscribeOptionsStruct opts, int struct_size);

    int casescribe_transcribe(PointerByReference job_out, Pointer ctx, TranscribeOptionsStruct opts);

    int casescribe_job_transcript(PointerByReference transcript_out, Pointer job);

    int casescribe_transcript_segment_count(Pointer t);

    long casescribe_transcript_segment_start_ms(Pointer t, int seg);

    long casescribe_transcript_segment_end_ms(Pointer t, int seg);

    String casescribe_transcript_segment_text(Pointer t, int seg);

    int casescribe_transcript_word_count(Pointer t, int seg);

    String casescribe_transcript_word_text(Pointer t, int seg, int word);

    long casescribe_transcript_word_start_ms(Pointer t, int seg, int word);

    long casescribe_transcript_word_end_ms(Pointer t, int seg, int word);

    int casescribe_transcript_word_confidence(Pointer t, int seg, int word);

    int casescribe_transcript_word_unsure(Pointer t, int seg, int word);

    String casescribe_transcript_engine(Pointer t);

    String casescribe_transcript_model(Pointer t);

    String casescribe_transcript_engine_version(Pointer t);

    String casescribe_transcript_settings(Pointer t);

    int casescribe_transcript_render(PointerByReference out, Pointer t, int format);

    void casescribe_transcript_free(Pointer t);

    int casescribe_audio_sweep(Pointer ctx, IntByReference deleted_out);

    int casescribe_transcript_open(PointerByReference transcript_out, byte[] xml, SizeT len);

    // Templates and drafting
    int casescribe_template_open(PointerByReference template_out, byte[] xml, SizeT len);

    int casescribe_template_find(PointerByReference template_out, Pointer ctx, String id);

    int casescribe_template_list(PointerByReference ids_out, Pointer ctx);

    int casescribe_template_install(Pointer ctx, byte[] xml, SizeT len);

    int casescribe_names_install(Pointer ctx, byte[] xml, SizeT len);

    void casescribe_template_free(Pointer t);

    String casescribe_template_id(Pointer t);

    String casescribe_template_title(Pointer t);

    int casescribe_template_version(Pointer t);

    int casescribe_template_section_count(Pointer t);

    String casescribe_template_section_id(Pointer t, int section);

    String casescribe_template_section_title(Pointer t, int section);

    String casescribe_template_section_guidance(Pointer t, int section);

    int casescribe_template_section_ai(Pointer t, int section);

    int casescribe_template_prompt_count(Pointer t, int section);

    String casescribe_template_prompt(Pointer t, int section, int prompt);

    int casescribe_fill_options_init(FillOptionsStruct opts, int struct_size);

    int casescribe_fill(PointerByReference job_out, Pointer ctx, FillOptionsStruct opts);

    int casescribe_job_draft(PointerByReference form_out, SizeTByReference form_len_out, Pointer job);

    // Team policy
    int casescribe_team_policy(PointerByReference policy_out, Pointer ctx, String team);

    int casescribe_team_set(Pointer ctx, String actor_id, String team, String key, String value);

    int casescribe_team_list(PointerByReference teams_out, Pointer ctx);

    String casescribe_policy_team(Pointer policy);

    int casescribe_policy_version(Pointer policy);

    int casescribe_policy_state(Pointer policy);

    String casescribe_policy_problem(Pointer policy);

    String casescribe_policy_digest(Pointer policy);

    int casescribe_policy_feature(Pointer policy, String feature);

    int casescribe_policy_setting(PointerByReference value_out, Pointer policy, String key);

    void casescribe_policy_free(Pointer policy);

    // Policy bundles
    int casescribe_fetch_options_init(FetchOptionsStruct opts, int struct_size);

    int casescribe_policy_trust(Pointer ctx, String actor_id, byte[] pem, SizeT pem_len);

    int casescribe_policy_refresh(PointerByReference job_out, Pointer ctx, FetchOptionsStruct opts);

    int casescribe_policy_bundle_sign(PointerByReference out, SizeTByReference out_len, byte[] bundle,
                                      SizeT bundle_len, String admin_key_path);

    // Subject access export
    int casescribe_sar_options_init(SarOptionsStruct opts, int struct_size);

    int casescribe_sar_open(PointerByReference sar_out, Pointer ctx, SarOptionsStruct opts);

    int casescribe_sar_add(Pointer sar, String adapter, byte[] payload, SizeT payload_len);

    int casescribe_sar_finish(PointerByReference summary_out, Pointer sar);

    void casescribe_sar_free(Pointer sar);

    int casescribe_sar_verify(PointerByReference report_out, String zip_path, byte[] pubkey_pem, SizeT pubkey_len);

    // Adapters: the JSON Web Signatures they use. The rest of the adapter interface
    // (casescribe_adapter_*, casescribe_buf_append, casescribe_set_error,
    // casescribe_xml_parse/_free) is for adapters written in C and is not bound.
    int casescribe_jws_sign(PointerByReference jws_out, Pointer ctx, byte[] payload, SizeT payload_len);

    int casescribe_jws_verify(String jws, byte[] pubkey_pem, SizeT pubkey_len, byte[] payload, SizeT payload_len);
}
