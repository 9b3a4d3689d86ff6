# SPDX-License-Identifier: Apache-2.0
"""The C interface of libcasescribe, declared for ctypes: one line per function
of casescribe.h, the option structs laid out as the header lays them out, and
the opaque handle types.

Most hosts use the classes in the package instead (`casescribe.Context` and
friends). This module is for the rare call that needs the raw ABI: `lib` is
the loaded library with every function's argtypes and restype set.

The library is found through $CS_LIB (a path), else the system's search
(ctypes.util.find_library("casescribe"), i.e. ldconfig / LD_LIBRARY_PATH).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
from ctypes import POINTER, c_char_p, c_int32, c_int64, c_size_t, c_uint32, c_uint64, c_void_p

__all__ = [
    "lib", "library_path", "ABI_VERSION",
    "CtxOptions", "Actor", "FetchOptions", "TranscribeOptions", "FillOptions", "SarOptions",
    "CtxP", "RecordP", "JournalEntryP", "JobP", "TranscriptP", "TemplateP", "PolicyP", "SarP",
    "JobCallback",
]

# The ABI generation this binding was written for (CASESCRIBE_ABI_VERSION).
ABI_VERSION = 1


def _find_library() -> str:
    path = os.environ.get("CS_LIB") or ctypes.util.find_library("casescribe")
    if not path:
        raise OSError("libcasescribe not found: set CS_LIB to the path of libcasescribe.so, "
                      "or install it where the dynamic linker looks (ldconfig)")
    return path


library_path = _find_library()
# CDLL (not PyDLL): the GIL is released during every call, so threads sharing
# one context really run in the library at the same time.
lib = ctypes.CDLL(library_path)


# ---- opaque handles ----------------------------------------------------------
# A distinct pointer type per handle, so that passing a record where a
# context is expected is a ctypes.ArgumentError, not a crash in C.
def _opaque(name: str):
    return POINTER(type(name, (ctypes.Structure,), {}))


CtxP = _opaque("casescribe_ctx")
RecordP = _opaque("casescribe_record")
JournalEntryP = _opaque("casescribe_journal_entry")
JobP = _opaque("casescribe_job")
TranscriptP = _opaque("casescribe_transcript")
TemplateP = _opaque("casescribe_template")
PolicyP = _opaque("casescribe_policy")
SarP = _opaque("casescribe_sar")


# ---- option structs (x86_64 SysV layout; ctypes adds the same padding as C) --
# Byte buffers (`const uint8_t *`) are declared c_char_p: assigning a bytes
# object stores a pointer to it and keeps it referenced by the struct, and
# the length travels in its own field, so NUL bytes inside are harmless.
class CtxOptions(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("flags", c_uint32), ("home", c_char_p)]


class Actor(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("reserved", c_uint32), ("user_id", c_char_p),
                ("team", c_char_p), ("role", c_char_p)]


class FetchOptions(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("max_bytes", c_uint32), ("url", c_char_p), ("ca_file", c_char_p),
                ("connect_timeout_ms", c_int32), ("timeout_ms", c_int32)]


class TranscribeOptions(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("flags", c_uint32), ("parallel", c_uint32),
                ("form_adapter", c_char_p), ("form", c_char_p), ("form_len", c_size_t),
                ("audio_path", c_char_p), ("max_seconds", c_uint32), ("unsure_permille", c_uint32),
                ("helper_path", c_char_p), ("model_dir", c_char_p), ("remote_endpoint", c_char_p),
                ("remote_model", c_char_p), ("api_key_file", c_char_p), ("api_key_env", c_char_p),
                ("ca_file", c_char_p), ("tags", c_char_p), ("tags_len", c_size_t)]


class FillOptions(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("max_sentences", c_uint32), ("form_adapter", c_char_p),
                ("form", c_char_p), ("form_len", c_size_t), ("form_template", TemplateP),
                ("transcript", TranscriptP), ("remote_endpoint", c_char_p), ("remote_model", c_char_p),
                ("api_key_file", c_char_p), ("api_key_env", c_char_p), ("ca_file", c_char_p),
                ("style", c_uint32)]


class SarOptions(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("flags", c_uint32), ("subject_id", c_char_p),
                ("output_path", c_char_p), ("review_path", c_char_p), ("redact_path", c_char_p),
                ("organisation", c_char_p), ("correction_contact", c_char_p)]


class LibraryInfo(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("major", c_uint32), ("minor", c_uint32), ("patch", c_uint32),
                ("version_num", c_uint32), ("abi_version", c_uint32), ("features", c_uint32)]


# void (*casescribe_job_callback)(casescribe_job *job, void *user)
JobCallback = ctypes.CFUNCTYPE(None, JobP, c_void_p)


# ---- functions ---------------------------------------------------------------
def _fn(name: str, restype, *argtypes) -> None:
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)


status = c_int32
out_str = POINTER(c_void_p)  # char ** : read with string_at, then casescribe_free
out_bytes = POINTER(c_void_p)  # uint8_t ** : likewise, with its length
out_len = POINTER(c_size_t)
buf = c_char_p  # const uint8_t * (with a size_t length beside it)
s = c_char_p  # const char * in, or a borrowed const char * out (bytes or None)

# Versions, errors, memory, constants
_fn("casescribe_version", s)
_fn("casescribe_abi_version", c_uint32)
_fn("casescribe_version_info", status, POINTER(LibraryInfo), c_uint32)
_fn("casescribe_strerror", s, c_int32)
_fn("casescribe_last_error", s)
_fn("casescribe_free", None, c_void_p)
_fn("casescribe_constant", status, POINTER(c_int64), s)

# Context and keys
_fn("casescribe_ctx_options_init", status, POINTER(CtxOptions), c_uint32)
_fn("casescribe_ctx_open", status, POINTER(CtxP), POINTER(CtxOptions))
_fn("casescribe_ctx_close", None, CtxP)
_fn("casescribe_ctx_home", s, CtxP)
_fn("casescribe_keygen", status, out_str, CtxP, c_uint32)
_fn("casescribe_public_key", status, out_str, CtxP)
_fn("casescribe_public_key_fingerprint", status, out_str, buf, c_size_t)
_fn("casescribe_keys_export", status, out_str, CtxP, c_uint32)
_fn("casescribe_key_trust", status, out_str, CtxP, s, buf, c_size_t)
_fn("casescribe_journal_recover", status, out_str, s, s)
_fn("casescribe_store_admin", status, out_str, s, s, s)

# Saving and verifying
_fn("casescribe_actor_init", status, POINTER(Actor), c_uint32)
_fn("casescribe_save", status, out_bytes, out_len, CtxP, s, POINTER(Actor), buf, c_size_t)
_fn("casescribe_verify", status, out_str, CtxP, s, buf, c_size_t)
_fn("casescribe_save_confirm", status, CtxP, s, buf, c_size_t)
_fn("casescribe_record_head", status, POINTER(c_uint32), POINTER(c_uint32), out_str, CtxP, s)
_fn("casescribe_verify_with_public_key", status, out_str, s, buf, c_size_t, buf, c_size_t)

# Records
_fn("casescribe_record_open", status, POINTER(RecordP), s, buf, c_size_t)
_fn("casescribe_record_free", None, RecordP)
_fn("casescribe_record_id", s, RecordP)
_fn("casescribe_record_team", s, RecordP)
_fn("casescribe_record_author", s, RecordP)
_fn("casescribe_record_is_final", c_int32, RecordP)
_fn("casescribe_record_version", c_uint32, RecordP)
_fn("casescribe_record_key_id", s, RecordP)
_fn("casescribe_record_section_count", c_uint32, RecordP)
_fn("casescribe_record_section_id", s, RecordP, c_uint32)
_fn("casescribe_record_section_origin", s, RecordP, c_uint32)
_fn("casescribe_record_section_engine", s, RecordP, c_uint32)
_fn("casescribe_record_section_model", s, RecordP, c_uint32)
_fn("casescribe_record_section_engine_version", s, RecordP, c_uint32)
_fn("casescribe_record_section_engine_settings", s, RecordP, c_uint32)
_fn("casescribe_record_section_reviewer", s, RecordP, c_uint32)
_fn("casescribe_record_section_reviewed_at", s, RecordP, c_uint32)
_fn("casescribe_record_section_review", s, RecordP, c_uint32)
_fn("casescribe_record_section_text", s, RecordP, c_uint32)
_fn("casescribe_record_stamp", s, RecordP, c_char_p)
_fn("casescribe_record_stamp_count", c_uint32, RecordP, c_char_p)
_fn("casescribe_record_stamp_item", s, RecordP, c_char_p, c_uint32, c_char_p)

# Journal
_fn("casescribe_journal_verify", status, POINTER(c_uint64), out_str, CtxP)
_fn("casescribe_journal_check", status, out_str, CtxP, s, buf, c_size_t)
_fn("casescribe_checkpoint_export", status, out_str, CtxP)
_fn("casescribe_journal_truncated_bytes", c_uint64, CtxP)
_fn("casescribe_journal_entry_get", status, POINTER(JournalEntryP), CtxP, c_uint64)
_fn("casescribe_journal_entry_free", None, JournalEntryP)
_fn("casescribe_journal_entry_seq", c_uint64, JournalEntryP)
_fn("casescribe_journal_entry_kind", s, JournalEntryP)
_fn("casescribe_journal_entry_record_id", s, JournalEntryP)
_fn("casescribe_journal_entry_record_version", c_uint32, JournalEntryP)
_fn("casescribe_journal_entry_record_digest", s, JournalEntryP)
_fn("casescribe_journal_entry_actor_id", s, JournalEntryP)
_fn("casescribe_journal_entry_time", s, JournalEntryP)
_fn("casescribe_journal_entry_field", s, JournalEntryP, c_char_p)
_fn("casescribe_journal_entry_json", s, JournalEntryP)

# Jobs
_fn("casescribe_job_state", c_int32, JobP)
_fn("casescribe_job_kind", s, JobP)
_fn("casescribe_job_wait", status, JobP, c_int32)
_fn("casescribe_job_status", status, JobP)
_fn("casescribe_job_message", s, JobP)
_fn("casescribe_job_result", status, out_str, JobP)
_fn("casescribe_job_cancel", status, JobP)
_fn("casescribe_job_on_end", status, JobP, JobCallback, c_void_p)
_fn("casescribe_job_free", None, JobP)
_fn("casescribe_job_id", s, JobP)
_fn("casescribe_job_list", status, out_str, CtxP)
_fn("casescribe_job_list_detail", status, out_str, CtxP)
_fn("casescribe_job_attach", status, POINTER(JobP), CtxP, c_char_p)
_fn("casescribe_job_progress", status, JobP, POINTER(c_int64), POINTER(c_int64))

# Transcription
_fn("casescribe_transcribe_options_init", status, POINTER(TranscribeOptions), c_uint32)
_fn("casescribe_transcribe", status, POINTER(JobP), CtxP, POINTER(TranscribeOptions))
_fn("casescribe_job_transcript", status, POINTER(TranscriptP), JobP)
_fn("casescribe_transcript_segment_count", c_uint32, TranscriptP)
_fn("casescribe_transcript_segment_start_ms", c_int64, TranscriptP, c_uint32)
_fn("casescribe_transcript_segment_end_ms", c_int64, TranscriptP, c_uint32)
_fn("casescribe_transcript_segment_text", s, TranscriptP, c_uint32)
_fn("casescribe_transcript_word_count", c_uint32, TranscriptP, c_uint32)
_fn("casescribe_transcript_word_text", s, TranscriptP, c_uint32, c_uint32)
_fn("casescribe_transcript_word_start_ms", c_int64, TranscriptP, c_uint32, c_uint32)
_fn("casescribe_transcript_word_end_ms", c_int64, TranscriptP, c_uint32, c_uint32)
_fn("casescribe_transcript_word_confidence", c_int32, TranscriptP, c_uint32, c_uint32)
_fn("casescribe_transcript_word_unsure", c_int32, TranscriptP, c_uint32, c_uint32)
_fn("casescribe_transcript_engine", s, TranscriptP)
_fn("casescribe_transcript_model", s, TranscriptP)
_fn("casescribe_transcript_engine_version", s, TranscriptP)
_fn("casescribe_transcript_settings", s, TranscriptP)
_fn("casescribe_transcript_render", status, out_str, TranscriptP, c_uint32)
_fn("casescribe_transcript_free", None, TranscriptP)
_fn("casescribe_transcript_open", status, POINTER(TranscriptP), buf, c_size_t)
_fn("casescribe_audio_sweep", status, CtxP, POINTER(c_uint32))

# Templates and drafting
_fn("casescribe_template_open", status, POINTER(TemplateP), buf, c_size_t)
_fn("casescribe_template_find", status, POINTER(TemplateP), CtxP, s)
_fn("casescribe_template_list", status, out_str, CtxP)
_fn("casescribe_template_install", status, CtxP, buf, c_size_t)
_fn("casescribe_names_install", status, CtxP, buf, c_size_t)
_fn("casescribe_template_free", None, TemplateP)
_fn("casescribe_template_id", s, TemplateP)
_fn("casescribe_template_title", s, TemplateP)
_fn("casescribe_template_version", c_uint32, TemplateP)
_fn("casescribe_template_section_count", c_uint32, TemplateP)
_fn("casescribe_template_section_id", s, TemplateP, c_uint32)
_fn("casescribe_template_section_title", s, TemplateP, c_uint32)
_fn("casescribe_template_section_guidance", s, TemplateP, c_uint32)
_fn("casescribe_template_section_ai", c_int32, TemplateP, c_uint32)
_fn("casescribe_template_prompt_count", c_uint32, TemplateP, c_uint32)
_fn("casescribe_template_prompt", s, TemplateP, c_uint32, c_uint32)
_fn("casescribe_fill_options_init", status, POINTER(FillOptions), c_uint32)
_fn("casescribe_fill", status, POINTER(JobP), CtxP, POINTER(FillOptions))
_fn("casescribe_job_draft", status, out_bytes, out_len, JobP)

# Team policy
_fn("casescribe_team_policy", status, POINTER(PolicyP), CtxP, s)
_fn("casescribe_team_set", status, CtxP, s, s, s, s)
_fn("casescribe_team_list", status, out_str, CtxP)
_fn("casescribe_policy_team", s, PolicyP)
_fn("casescribe_policy_version", c_uint32, PolicyP)
_fn("casescribe_policy_state", c_int32, PolicyP)
_fn("casescribe_policy_problem", s, PolicyP)
_fn("casescribe_policy_digest", s, PolicyP)
_fn("casescribe_policy_feature", c_int32, PolicyP, s)
_fn("casescribe_policy_setting", status, out_str, PolicyP, s)
_fn("casescribe_policy_free", None, PolicyP)

# Policy bundles
_fn("casescribe_fetch_options_init", status, POINTER(FetchOptions), c_uint32)
_fn("casescribe_policy_trust", status, CtxP, s, buf, c_size_t)
_fn("casescribe_policy_refresh", status, POINTER(JobP), CtxP, POINTER(FetchOptions))
_fn("casescribe_policy_bundle_sign", status, out_bytes, out_len, buf, c_size_t, s)

# Subject access export
_fn("casescribe_sar_options_init", status, POINTER(SarOptions), c_uint32)
_fn("casescribe_sar_open", status, POINTER(SarP), CtxP, POINTER(SarOptions))
_fn("casescribe_sar_add", status, SarP, s, buf, c_size_t)
_fn("casescribe_sar_finish", status, out_str, SarP)
_fn("casescribe_sar_free", None, SarP)
_fn("casescribe_sar_verify", status, out_str, s, buf, c_size_t)

# Adapters: the JSON Web Signatures they use. The rest of the adapter
# interface (casescribe_adapter_*, casescribe_buf_append, casescribe_set_error,
# casescribe_xml_parse/_free) is for adapters written in C and is not bound.
_fn("casescribe_jws_sign", status, out_str, CtxP, buf, c_size_t)
_fn("casescribe_jws_verify", status, s, buf, c_size_t, buf, c_size_t)

del status, out_str, out_bytes, out_len, buf, s


def _check_abi() -> None:
    found = lib.casescribe_abi_version()
    if found != ABI_VERSION:
        raise ImportError("%s has ABI version %d; this binding speaks ABI version %d"
                          % (library_path, found, ABI_VERSION))
    # The library reports the sizes of most option structs: a mismatch means
    # a layout above is wrong, which would corrupt memory, so refuse to load.
    for name, struct in (("CTX_OPTIONS_SIZE", CtxOptions), ("ACTOR_SIZE", Actor),
                         ("FETCH_OPTIONS_SIZE", FetchOptions), ("TRANSCRIBE_OPTIONS_SIZE", TranscribeOptions),
                         ("FILL_OPTIONS_SIZE", FillOptions)):
        value = c_int64()
        if lib.casescribe_constant(ctypes.byref(value), name.encode()) == 0 and value.value != ctypes.sizeof(struct):
            raise ImportError("%s: %s is %d bytes in the library, %d here"
                              % (library_path, struct.__name__, value.value, ctypes.sizeof(struct)))


_check_abi()
