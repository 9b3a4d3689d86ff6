// SPDX-License-Identifier: Apache-2.0
// Native.cs - the raw P/Invoke declarations of libcasescribe, one per exported
// function, in header order, plus the option structs laid out as in
// casescribe.h (x86_64 SysV: natural alignment, pointers and size_t 8 bytes).
//
// Conventions used below:
//  - handles passed in are IntPtr: the public classes pin their SafeHandle with
//    DangerousAddRef around every call (see NativeObject.Use), so a handle
//    cannot be freed by another thread while the library still reads it;
//  - handles coming out are SafeHandle subclasses, created by the marshaller,
//    so a handle is owned by a SafeHandle from the very first instant;
//  - `const char *` results are borrowed: IntPtr, copied by Utf8.FromNative;
//  - `char **` / `uint8_t **` outputs are IntPtr and always go back through
//    casescribe_free once copied (Utf8.TakeString / Utf8.TakeBytes);
//  - strings passed in are UTF-8 (LPUTF8Str); strings inside option structs
//    are IntPtr that NativeArena allocates and frees around the call.
using System;
using System.Runtime.InteropServices;

namespace CaseScribe
{
    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeLibraryInfo
    {
        public uint struct_size;
        public uint major;
        public uint minor;
        public uint patch;
        public uint version_num;
        public uint abi_version;
        public uint features;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeCtxOptions
    {
        public uint struct_size;
        public uint flags;
        public IntPtr home;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeActor
    {
        public uint struct_size;
        public uint reserved;
        public IntPtr user_id;
        public IntPtr team;
        public IntPtr role;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeTranscribeOptions
    {
        public uint struct_size;
        public uint flags;
        public uint parallel;
        public IntPtr form_adapter; // 4 bytes of padding before it, as in C
        public IntPtr form;
        public UIntPtr form_len;
        public IntPtr audio_path;
        public uint max_seconds;
        public uint unsure_permille;
        public IntPtr helper_path;
        public IntPtr model_dir;
        public IntPtr remote_endpoint;
        public IntPtr remote_model;
        public IntPtr api_key_file;
        public IntPtr api_key_env;
        public IntPtr ca_file;
        public IntPtr tags;         // since 1.7
        public UIntPtr tags_len;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeFillOptions
    {
        public uint struct_size;
        public uint max_sentences;
        public IntPtr form_adapter;
        public IntPtr form;
        public UIntPtr form_len;
        public IntPtr form_template;
        public IntPtr transcript;
        public IntPtr remote_endpoint;
        public IntPtr remote_model;
        public IntPtr api_key_file;
        public IntPtr api_key_env;
        public IntPtr ca_file;
        public uint style;          // since 1.7
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeFetchOptions
    {
        public uint struct_size;
        public uint max_bytes;
        public IntPtr url;
        public IntPtr ca_file;
        public int connect_timeout_ms;
        public int timeout_ms;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeSarOptions
    {
        public uint struct_size;
        public uint flags;
        public IntPtr subject_id;
        public IntPtr output_path;
        public IntPtr review_path;
        public IntPtr redact_path;
        public IntPtr organisation;
        public IntPtr correction_contact;
    }

    // casescribe_job_callback: runs on a library worker thread.
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void NativeJobCallback(IntPtr job, IntPtr user);

    internal static class NativeMethods
    {
        // Resolved by Mono as libcasescribe.so through LD_LIBRARY_PATH and the
        // system's library path (a dllmap in CaseScribe.dll.config can point it
        // elsewhere).
        private const string Lib = "casescribe";
        private const CallingConvention CC = CallingConvention.Cdecl;

        // ---- versions, status, memory, constants
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_version();
        [DllImport(Lib, CallingConvention = CC)] public static extern uint casescribe_abi_version();
        [DllImport(Lib, CallingConvention = CC)] public static extern int casescribe_version_info(ref NativeLibraryInfo info, uint struct_size);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_strerror(int status);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_last_error();
        [DllImport(Lib, CallingConvention = CC)] public static extern void casescribe_free(IntPtr ptr);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_constant(out long value_out, [MarshalAs(UnmanagedType.LPUTF8Str)] string name);

        // ---- context
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_ctx_options_init(ref NativeCtxOptions opts, uint struct_size);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_ctx_open(out ContextHandle ctx_out, ref NativeCtxOptions opts);
        [DllImport(Lib, CallingConvention = CC)] public static extern void casescribe_ctx_close(IntPtr ctx);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_ctx_home(IntPtr ctx);

        // ---- keys
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_keygen(out IntPtr key_id_out, IntPtr ctx, uint flags);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_public_key(out IntPtr pem_out, IntPtr ctx);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_public_key_fingerprint(out IntPtr fingerprint_out, byte[] pubkey_pem,
            UIntPtr pubkey_len);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_keys_export(out IntPtr out_text, IntPtr ctx, uint flags);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_key_trust(out IntPtr key_ids_out, IntPtr ctx,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string actor_id, byte[] pem, UIntPtr pem_len);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_journal_recover(out IntPtr report_out,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string home, [MarshalAs(UnmanagedType.LPUTF8Str)] string backup);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_store_admin(out IntPtr report_out,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string home, [MarshalAs(UnmanagedType.LPUTF8Str)] string command,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string uri);

        // ---- saving
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_actor_init(ref NativeActor actor, uint struct_size);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_save(out IntPtr out_, out UIntPtr out_len, IntPtr ctx,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string adapter, ref NativeActor actor,
            byte[] payload, UIntPtr payload_len);

        // ---- verifying
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_verify(out IntPtr report_out, IntPtr ctx,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string adapter, byte[] payload, UIntPtr payload_len);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_save_confirm(IntPtr ctx,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string adapter, byte[] payload, UIntPtr payload_len);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_record_head(out uint version_out, out uint confirmed_out,
            out IntPtr digest_out, IntPtr ctx, [MarshalAs(UnmanagedType.LPUTF8Str)] string record_id);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_verify_with_public_key(out IntPtr report_out,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string adapter, byte[] pubkey_pem, UIntPtr pubkey_len,
            byte[] payload, UIntPtr payload_len);

        // ---- records
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_record_open(out RecordHandle record_out,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string adapter, byte[] payload, UIntPtr payload_len);
        [DllImport(Lib, CallingConvention = CC)] public static extern void casescribe_record_free(IntPtr record);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_record_id(IntPtr record);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_record_team(IntPtr record);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_record_author(IntPtr record);
        [DllImport(Lib, CallingConvention = CC)] public static extern int casescribe_record_is_final(IntPtr record);
        [DllImport(Lib, CallingConvention = CC)] public static extern uint casescribe_record_version(IntPtr record);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_record_key_id(IntPtr record);
        [DllImport(Lib, CallingConvention = CC)] public static extern uint casescribe_record_section_count(IntPtr record);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_record_section_id(IntPtr record, uint index);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_record_section_origin(IntPtr record, uint index);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_record_section_engine(IntPtr record, uint index);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_record_section_model(IntPtr record, uint index);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_record_section_engine_version(IntPtr record, uint index);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_record_section_engine_settings(IntPtr record, uint index);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_record_section_reviewer(IntPtr record, uint index);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_record_section_reviewed_at(IntPtr record, uint index);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_record_section_review(IntPtr record, uint index);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_record_section_text(IntPtr record, uint index);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_record_stamp(IntPtr record,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string name);
        [DllImport(Lib, CallingConvention = CC)] public static extern uint casescribe_record_stamp_count(IntPtr record,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string list);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_record_stamp_item(IntPtr record,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string list, uint index, [MarshalAs(UnmanagedType.LPUTF8Str)] string name);

        // ---- journal
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_journal_verify(out ulong entries_out, out IntPtr report_out, IntPtr ctx);
        [DllImport(Lib, CallingConvention = CC)] public static extern ulong casescribe_journal_truncated_bytes(IntPtr ctx);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_journal_check(out IntPtr report_out, IntPtr ctx,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string adapter, byte[] evidence, UIntPtr evidence_len);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_checkpoint_export(out IntPtr checkpoint_out, IntPtr ctx);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_journal_entry_get(out JournalEntryHandle entry_out, IntPtr ctx, ulong seq);
        [DllImport(Lib, CallingConvention = CC)] public static extern void casescribe_journal_entry_free(IntPtr entry);
        [DllImport(Lib, CallingConvention = CC)] public static extern ulong casescribe_journal_entry_seq(IntPtr entry);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_journal_entry_kind(IntPtr entry);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_journal_entry_record_id(IntPtr entry);
        [DllImport(Lib, CallingConvention = CC)] public static extern uint casescribe_journal_entry_record_version(IntPtr entry);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_journal_entry_record_digest(IntPtr entry);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_journal_entry_actor_id(IntPtr entry);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_journal_entry_time(IntPtr entry);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_journal_entry_field(IntPtr entry,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string name);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_journal_entry_json(IntPtr entry);

        // ---- jobs
        [DllImport(Lib, CallingConvention = CC)] public static extern int casescribe_job_state(IntPtr job);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_job_kind(IntPtr job);
        [DllImport(Lib, CallingConvention = CC)] public static extern int casescribe_job_wait(IntPtr job, int timeout_ms);
        [DllImport(Lib, CallingConvention = CC)] public static extern int casescribe_job_status(IntPtr job);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_job_message(IntPtr job);
        [DllImport(Lib, CallingConvention = CC)] public static extern int casescribe_job_result(out IntPtr result_out, IntPtr job);
        [DllImport(Lib, CallingConvention = CC)] public static extern int casescribe_job_cancel(IntPtr job);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_job_on_end(IntPtr job, NativeJobCallback callback, IntPtr user);
        [DllImport(Lib, CallingConvention = CC)] public static extern void casescribe_job_free(IntPtr job);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_job_id(IntPtr job);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_job_progress(IntPtr job, out long done_out, out long total_out);
        [DllImport(Lib, CallingConvention = CC)] public static extern int casescribe_job_list(out IntPtr ids_out, IntPtr ctx);
        [DllImport(Lib, CallingConvention = CC)] public static extern int casescribe_job_list_detail(out IntPtr lines_out, IntPtr ctx);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_job_attach(out JobHandle job_out, IntPtr ctx,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string id);

        // ---- transcription
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_transcribe_options_init(ref NativeTranscribeOptions opts, uint struct_size);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_transcribe(out JobHandle job_out, IntPtr ctx, ref NativeTranscribeOptions opts);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_job_transcript(out TranscriptHandle transcript_out, IntPtr job);
        [DllImport(Lib, CallingConvention = CC)] public static extern uint casescribe_transcript_segment_count(IntPtr t);
        [DllImport(Lib, CallingConvention = CC)] public static extern long casescribe_transcript_segment_start_ms(IntPtr t, uint seg);
        [DllImport(Lib, CallingConvention = CC)] public static extern long casescribe_transcript_segment_end_ms(IntPtr t, uint seg);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_transcript_segment_text(IntPtr t, uint seg);
        [DllImport(Lib, CallingConvention = CC)] public static extern uint casescribe_transcript_word_count(IntPtr t, uint seg);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_transcript_word_text(IntPtr t, uint seg, uint word);
        [DllImport(Lib, CallingConvention = CC)] public static extern long casescribe_transcript_word_start_ms(IntPtr t, uint seg, uint word);
        [DllImport(Lib, CallingConvention = CC)] public static extern long casescribe_transcript_word_end_ms(IntPtr t, uint seg, uint word);
        [DllImport(Lib, CallingConvention = CC)] public static extern int casescribe_transcript_word_confidence(IntPtr t, uint seg, uint word);
        [DllImport(Lib, CallingConvention = CC)] public static extern int casescribe_transcript_word_unsure(IntPtr t, uint seg, uint word);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_transcript_engine(IntPtr t);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_transcript_model(IntPtr t);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_transcript_engine_version(IntPtr t);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_transcript_settings(IntPtr t);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_transcript_render(out IntPtr out_, IntPtr t, uint format);
        [DllImport(Lib, CallingConvention = CC)] public static extern void casescribe_transcript_free(IntPtr t);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_audio_sweep(IntPtr ctx, out uint deleted_out);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_transcript_open(out TranscriptHandle transcript_out, byte[] xml, UIntPtr len);

        // ---- templates and drafting
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_template_open(out TemplateHandle template_out, byte[] xml, UIntPtr len);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_template_find(out TemplateHandle template_out, IntPtr ctx,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string id);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_template_list(out IntPtr ids_out, IntPtr ctx);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_template_install(IntPtr ctx, byte[] xml, UIntPtr len);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_names_install(IntPtr ctx, byte[] xml, UIntPtr len);
        [DllImport(Lib, CallingConvention = CC)] public static extern void casescribe_template_free(IntPtr t);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_template_id(IntPtr t);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_template_title(IntPtr t);
        [DllImport(Lib, CallingConvention = CC)] public static extern uint casescribe_template_version(IntPtr t);
        [DllImport(Lib, CallingConvention = CC)] public static extern uint casescribe_template_section_count(IntPtr t);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_template_section_id(IntPtr t, uint section);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_template_section_title(IntPtr t, uint section);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_template_section_guidance(IntPtr t, uint section);
        [DllImport(Lib, CallingConvention = CC)] public static extern int casescribe_template_section_ai(IntPtr t, uint section);
        [DllImport(Lib, CallingConvention = CC)] public static extern uint casescribe_template_prompt_count(IntPtr t, uint section);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_template_prompt(IntPtr t, uint section, uint prompt);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_fill_options_init(ref NativeFillOptions opts, uint struct_size);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_fill(out JobHandle job_out, IntPtr ctx, ref NativeFillOptions opts);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_job_draft(out IntPtr form_out, out UIntPtr form_len_out, IntPtr job);

        // ---- team policy
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_team_policy(out PolicyHandle policy_out, IntPtr ctx,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string team);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_team_set(IntPtr ctx, [MarshalAs(UnmanagedType.LPUTF8Str)] string actor_id,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string team, [MarshalAs(UnmanagedType.LPUTF8Str)] string key,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string value);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_team_list(out IntPtr teams_out, IntPtr ctx);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_policy_team(IntPtr policy);
        [DllImport(Lib, CallingConvention = CC)] public static extern uint casescribe_policy_version(IntPtr policy);
        [DllImport(Lib, CallingConvention = CC)] public static extern int casescribe_policy_state(IntPtr policy);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_policy_problem(IntPtr policy);
        [DllImport(Lib, CallingConvention = CC)] public static extern IntPtr casescribe_policy_digest(IntPtr policy);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_policy_feature(IntPtr policy, [MarshalAs(UnmanagedType.LPUTF8Str)] string feature);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_policy_setting(out IntPtr value_out, IntPtr policy,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string key);
        [DllImport(Lib, CallingConvention = CC)] public static extern void casescribe_policy_free(IntPtr policy);

        // ---- policy bundles
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_fetch_options_init(ref NativeFetchOptions opts, uint struct_size);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_policy_trust(IntPtr ctx, [MarshalAs(UnmanagedType.LPUTF8Str)] string actor_id,
            byte[] pem, UIntPtr pem_len);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_policy_refresh(out JobHandle job_out, IntPtr ctx, ref NativeFetchOptions opts);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_policy_bundle_sign(out IntPtr out_, out UIntPtr out_len, byte[] bundle,
            UIntPtr bundle_len, [MarshalAs(UnmanagedType.LPUTF8Str)] string admin_key_path);

        // ---- subject access export
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_sar_options_init(ref NativeSarOptions opts, uint struct_size);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_sar_open(out SarHandle sar_out, IntPtr ctx, ref NativeSarOptions opts);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_sar_add(IntPtr sar, [MarshalAs(UnmanagedType.LPUTF8Str)] string adapter,
            byte[] payload, UIntPtr payload_len);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_sar_finish(out IntPtr summary_out, IntPtr sar);
        [DllImport(Lib, CallingConvention = CC)] public static extern void casescribe_sar_free(IntPtr sar);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_sar_verify(out IntPtr report_out,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string zip_path, byte[] pubkey_pem, UIntPtr pubkey_len);

        // ---- adapters: the JSON Web Signatures they use. The rest of the adapter
        // interface (casescribe_adapter_*, casescribe_buf_append, casescribe_set_error,
        // casescribe_xml_parse/_free) is for adapters written in C and is not bound.
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_jws_sign(out IntPtr jws_out, IntPtr ctx, byte[] payload, UIntPtr payload_len);
        [DllImport(Lib, CallingConvention = CC)]
        public static extern int casescribe_jws_verify([MarshalAs(UnmanagedType.LPUTF8Str)] string jws,
            byte[] pubkey_pem, UIntPtr pubkey_len, byte[] payload, UIntPtr payload_len);
    }
}
