# SPDX-License-Identifier: Apache-2.0
"""Subject access exports: a person's records as a signed ZIP."""
from __future__ import annotations

import ctypes
import os
from typing import TYPE_CHECKING, Optional, Union

from ._handle import BytesLike, Handle, c_str, report_or_raise, take_string, to_bytes
from .errors import check
from .native import lib

if TYPE_CHECKING:
    from .context import Context

__all__ = ["SarExport", "sar_verify"]


class SarExport(Handle):
    """An export in progress, from Context.sar_open(). Used by one thread at
    a time. add() each of the person's records, then finish(); close() it
    either way (an unfinished export's parts are deleted). add() and
    finish() need the Context still open."""

    _what = "SarExport"

    def __init__(self, ptr, ctx: "Context") -> None:
        super().__init__(ptr)
        self._ctx = ctx  # the native export reads the context's keys and journal

    def _free(self, ptr) -> None:
        lib.casescribe_sar_free(ptr)

    def add(self, payload: BytesLike, adapter: str = "xml") -> None:
        """Adds one stamped record. A record whose provenance does not verify
        is included with a warning; InvalidArgumentError for a record that
        does not name the subject (it is left out)."""
        data = to_bytes(payload)
        with self._ctx._use(), self._use() as p:
            check(lib.casescribe_sar_add(p, c_str(adapter), data, len(data)))

    def finish(self) -> str:
        """Signs the manifest and writes the ZIP (and the review list).
        Returns the summary, one "name: value" per line."""
        with self._ctx._use(), self._use() as p:
            summary = ctypes.c_void_p()
            check(lib.casescribe_sar_finish(ctypes.byref(summary), p))
            return take_string(summary) or ""


def sar_verify(zip_path: Union[str, "os.PathLike[str]"], public_key_pem: Optional[BytesLike] = None) -> str:
    """Checks an export against the council's public key. Returns the report;
    VerifyError (with .report naming each changed, added or missing file)
    otherwise. Without a key (None) it can only show the files match each
    other and the key that came with them: UntrustedError (with .report)."""
    pem = None if public_key_pem is None else to_bytes(public_key_pem)
    report = ctypes.c_void_p()
    code = lib.casescribe_sar_verify(ctypes.byref(report), os.fsencode(zip_path), pem, 0 if pem is None else len(pem))
    return report_or_raise(code, report)
