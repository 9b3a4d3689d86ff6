# SPDX-License-Identifier: Apache-2.0
"""Python binding of libcasescribe (ctypes; no compiled extension).

    import casescribe
    with casescribe.Context("/var/lib/casescribe", create=True) as ctx:
        stamped = ctx.save(form_xml, "sw-017", role="social-worker")
        print(ctx.verify(stamped))

The library is loaded from $CS_LIB, else found by the dynamic linker. Every
failure raises casescribe.Error (a subclass per status code) with .code,
.name and .message. See README.md for ownership and threading.
"""
from __future__ import annotations

import ctypes

from .context import (FILL_STYLE_QUOTE, FILL_STYLE_REPORTED, KEYGEN_ROTATE, KEYS_HOME, KEYS_LIST, OPEN_CREATE,
                      OPEN_NO_SYNC, OPEN_TWO_PHASE, TRANSCRIBE_TAKE_RECORDING, Context, JournalReport, RecordHead, journal_recover, jws_verify, store_admin,
                      policy_bundle_sign, public_key_fingerprint, verify_with_public_key)
from .errors import (AudioError, BusyError, CancelledError, ClosedError, ConflictError, ConsentError, Error,
                     HomeIOError, InternalError, InvalidArgumentError, JournalError, LaunderError, NetworkError,
                     NoMemoryError, NotFoundError, ParseError, PolicyError, ReviewError, SchemaError,
                     SigningKeyError, TooBigError, UnstampedError, UntrustedError, VerifyError, code_name, constant,
                     check, last_error, strerror)
from .job import Job, JobState
from .journal import JournalEntry
from .native import LibraryInfo
from .native import lib as _lib
from .policy import Policy, PolicyState
from .record import Record, Section
from .sar import SarExport, sar_verify
from .template import AI_DRAFT, AI_NEVER, Template, TemplateSection
from .transcript import TRANSCRIPT_TEXT, TRANSCRIPT_XML, Segment, Transcript, Word

__version__ = "1.7.0"


def version() -> str:
    """The version of the library loaded, e.g. "1.7.0"."""
    return _lib.casescribe_version().decode()


def abi_version() -> int:
    """The ABI generation of the library loaded (checked at import)."""
    return _lib.casescribe_abi_version()


class VersionInfo:
    """casescribe_version_info(): the loaded library's version and features."""

    def __init__(self, info: LibraryInfo) -> None:
        self.major, self.minor, self.patch = info.major, info.minor, info.patch
        self.version_num, self.abi_version, self.features = info.version_num, info.abi_version, info.features

    def has(self, feature: str) -> bool:
        """Whether the library was built with a feature, named as its
        CASESCRIBE_FEATURE_ constant without the prefix ("STORE_POSTGRESQL")."""
        return bool(self.features & constant("FEATURE_" + feature))

    def __repr__(self) -> str:
        return "VersionInfo(%d.%d.%d, abi %d, features 0x%x)" % (self.major, self.minor, self.patch,
                                                                 self.abi_version, self.features)


def version_info() -> VersionInfo:
    """The loaded library's version numbers and build features."""
    info = LibraryInfo()
    check(_lib.casescribe_version_info(ctypes.byref(info), ctypes.sizeof(info)))
    return VersionInfo(info)


__all__ = [
    "Context", "Record", "Section", "JournalEntry", "JournalReport", "RecordHead", "Job", "JobState", "Transcript", "Segment",
    "Word", "Template", "TemplateSection", "Policy", "PolicyState", "SarExport",
    "verify_with_public_key", "public_key_fingerprint", "journal_recover", "store_admin", "jws_verify", "policy_bundle_sign", "sar_verify", "version", "abi_version", "version_info", "VersionInfo", "constant",
    "strerror", "code_name", "last_error",
    "OPEN_CREATE", "OPEN_NO_SYNC", "OPEN_TWO_PHASE", "KEYGEN_ROTATE", "KEYS_LIST", "KEYS_HOME", "TRANSCRIBE_TAKE_RECORDING", "TRANSCRIPT_TEXT",
    "TRANSCRIPT_XML", "AI_DRAFT", "AI_NEVER", "FILL_STYLE_QUOTE", "FILL_STYLE_REPORTED",
    "Error", "InvalidArgumentError", "ClosedError", "NoMemoryError", "HomeIOError", "ParseError", "SchemaError",
    "ConsentError", "ReviewError", "LaunderError", "SigningKeyError", "VerifyError", "JournalError",
    "NotFoundError", "ConflictError", "TooBigError", "UnstampedError", "InternalError", "PolicyError",
    "NetworkError", "BusyError", "CancelledError", "AudioError", "UntrustedError",
]
