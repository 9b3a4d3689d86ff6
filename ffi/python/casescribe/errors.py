# SPDX-License-Identifier: Apache-2.0
"""Errors: every failing call raises `Error` (or the subclass for its status
code) carrying the library's code, the code's name and the message the
library gave on the failing thread."""
from __future__ import annotations

import ctypes
from typing import Dict, Optional, Type

from .native import lib

__all__ = [
    "Error", "InvalidArgumentError", "ClosedError", "NoMemoryError", "HomeIOError", "ParseError", "SchemaError",
    "ConsentError", "ReviewError", "LaunderError", "SigningKeyError", "VerifyError", "JournalError",
    "NotFoundError", "ConflictError", "TooBigError", "UnstampedError", "InternalError", "PolicyError",
    "NetworkError", "BusyError", "CancelledError", "AudioError",
    "constant", "strerror", "code_name", "last_error",
]


def constant(name: str) -> int:
    """The value of a public #define of casescribe.h by its name without the
    CASESCRIBE_ prefix, e.g. constant("EVERIFY"). Raises NotFoundError."""
    value = ctypes.c_int64()
    check(lib.casescribe_constant(ctypes.byref(value), name.encode()))
    return value.value


def strerror(code: int) -> str:
    """The library's short description of a status code."""
    return lib.casescribe_strerror(code).decode()


def last_error() -> str:
    """The message of the last failure on the calling thread ("" if none)."""
    return lib.casescribe_last_error().decode("utf-8", "replace")


class Error(Exception):
    """A libcasescribe failure: `code` (negative int), `name` ("EVERIFY"),
    `message` (the library's words, naming what failed). `report` holds the
    plain-English report of a failed verify when the library made one."""

    def __init__(self, code: int, name: str, message: str, report: Optional[str] = None):
        super().__init__(code, name, message)
        self.code = code
        self.name = name
        self.message = message
        self.report = report

    def __str__(self) -> str:
        return "%s (%d): %s" % (self.name, self.code, self.message or strerror(self.code))


class InvalidArgumentError(Error):
    """EINVAL: a NULL or out-of-range argument."""


class ClosedError(InvalidArgumentError):
    """A handle was used (or closed again) after it was closed. Code EINVAL."""


class NoMemoryError(Error):
    """ENOMEM."""


class HomeIOError(Error):
    """EIO: a file in the home could not be read or written."""


class ParseError(Error):
    """EPARSE: not well-formed or hostile input."""


class SchemaError(Error):
    """ESCHEMA: well-formed, but not a valid form / template / transcript."""


class ConsentError(Error):
    """ECONSENT: AI work without consent that covers it."""


class ReviewError(Error):
    """EREVIEW: a final save with AI text nobody has reviewed."""


class LaunderError(Error):
    """ELAUNDER: a "human" section matches text an AI drafted."""


class SigningKeyError(Error):
    """EKEY: no signing key, an unsafe key file, or an unknown key id."""


class VerifyError(Error):
    """EVERIFY: a stamp or signature does not verify; see `report`."""


class JournalError(Error):
    """EJOURNAL: the journal is corrupt or could not be made durable."""


class NotFoundError(Error):
    """ENOTFOUND."""


class ConflictError(Error):
    """ECONFLICT: a newer version of the record was saved meanwhile."""


class TooBigError(Error):
    """ETOOBIG."""


class UnstampedError(Error):
    """EUNSTAMPED: the record carries no provenance."""


class InternalError(Error):
    """EINTERNAL: a library bug; please report it."""


class PolicyError(Error):
    """EPOLICY: refused by the team's AI policy (a feature switched off) or a template's never rule."""


class NetworkError(Error):
    """ENETWORK."""


class BusyError(Error):
    """EBUSY: the job has not ended yet."""


class CancelledError(Error):
    """ECANCELLED: the job was cancelled."""


class AudioError(Error):
    """EAUDIO: the recording cannot be used."""


class UntrustedError(Error):
    """EUNTRUSTED: everything matches, but only a key that came with the
    data vouches for it (no trusted key was given); see `report`."""


_CLASSES: Dict[str, Type[Error]] = {
    "EINVAL": InvalidArgumentError, "ENOMEM": NoMemoryError, "EIO": HomeIOError, "EPARSE": ParseError,
    "ESCHEMA": SchemaError, "ECONSENT": ConsentError, "EREVIEW": ReviewError, "ELAUNDER": LaunderError,
    "EKEY": SigningKeyError, "EVERIFY": VerifyError, "EJOURNAL": JournalError, "ENOTFOUND": NotFoundError,
    "ECONFLICT": ConflictError, "ETOOBIG": TooBigError, "EUNSTAMPED": UnstampedError,
    "EINTERNAL": InternalError, "EPOLICY": PolicyError, "ENETWORK": NetworkError, "EBUSY": BusyError,
    "ECANCELLED": CancelledError, "EAUDIO": AudioError, "EUNTRUSTED": UntrustedError,
}


def _load_names() -> Dict[int, str]:
    # The numbers come from the library itself, never copied from the header.
    names = {}
    for name in _CLASSES:
        value = ctypes.c_int64()
        if lib.casescribe_constant(ctypes.byref(value), name.encode()) == 0:
            names[value.value] = name
    return names


_NAMES = _load_names()
OK = 0
EINVAL = next(code for code, name in _NAMES.items() if name == "EINVAL")


def code_name(code: int) -> str:
    """"EVERIFY" for the code of EVERIFY; "OK" for 0; "E<code>" when unknown."""
    return "OK" if code == OK else _NAMES.get(code, "E%d" % code)


def error(code: int, message: Optional[str] = None, report: Optional[str] = None) -> Error:
    """The exception for `code`. Without `message`, the calling thread's
    casescribe_last_error() is read: call this straight after the failure."""
    if message is None:
        message = last_error()
    name = code_name(code)
    return _CLASSES.get(name, Error)(code, name, message or strerror(code), report)


def check(code: int) -> None:
    """Raises the error for a failed status; returns for OK."""
    if code != OK:
        raise error(code)


def closed(what: str) -> ClosedError:
    return ClosedError(EINVAL, "EINVAL", "the %s is closed" % what)
