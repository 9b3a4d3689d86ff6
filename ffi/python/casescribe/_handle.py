# SPDX-License-Identifier: Apache-2.0
"""What every handle class shares: a guarded native pointer, close(), the
context-manager protocol, and copying library memory into Python objects."""
from __future__ import annotations

import contextlib
import ctypes
import sys
import threading
import warnings
from typing import Iterator, Optional, Union

from .errors import closed, error
from .native import lib

BytesLike = Union[bytes, bytearray, memoryview, str]

# Set while a Job's on-end callback runs on this thread (see job.py): a
# Context must not be closed there, since closing joins the very worker
# thread the callback runs on.
_in_callback = threading.local()


def in_job_callback() -> bool:
    return getattr(_in_callback, "depth", 0) > 0


@contextlib.contextmanager
def job_callback_scope() -> Iterator[None]:
    _in_callback.depth = getattr(_in_callback, "depth", 0) + 1
    try:
        yield
    finally:
        _in_callback.depth -= 1


def to_bytes(data: BytesLike) -> bytes:
    """Payloads may be given as str (encoded UTF-8) or any bytes-like object."""
    if isinstance(data, str):
        return data.encode("utf-8")
    return bytes(data)


def c_str(text: Optional[str]) -> Optional[bytes]:
    return None if text is None else text.encode("utf-8")


def py_str(raw: Optional[bytes]) -> Optional[str]:
    """A borrowed `const char *` (already copied by ctypes into bytes)."""
    return None if raw is None else raw.decode("utf-8", "replace")


def take_string(ptr: ctypes.c_void_p) -> Optional[str]:
    """Copies a `char *` the library allocated, then frees it with casescribe_free."""
    if not ptr.value:
        return None
    try:
        return ctypes.string_at(ptr.value).decode("utf-8", "replace")
    finally:
        lib.casescribe_free(ptr)


def take_bytes(ptr: ctypes.c_void_p, length: ctypes.c_size_t) -> bytes:
    """Copies a `uint8_t *` buffer the library allocated, then frees it."""
    if not ptr.value:
        return b""
    try:
        return ctypes.string_at(ptr.value, length.value)
    finally:
        lib.casescribe_free(ptr)


def report_or_raise(code: int, report: ctypes.c_void_p) -> str:
    """The report of a check (verify, journal verify, SAR verify). On failure
    the error is raised with the report (what changed) in its `report`."""
    if code == 0:
        return take_string(report) or ""
    exc = error(code)  # reads last_error first: freeing the report is a library call
    exc.report = take_string(report)
    raise exc


class Handle:
    """Owns one native handle. Methods borrow the pointer through _use(),
    which counts the calls in flight; close() marks the handle closed at
    once (later calls raise ClosedError), waits for the calls in flight on
    other threads, and only then frees the native object, so a close racing
    with a call can never free memory under it."""

    _what = "handle"
    _closable_in_callback = True

    def __init__(self, ptr) -> None:
        self._ptr = ptr
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._users = 0

    def _free(self, ptr) -> None:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    @contextlib.contextmanager
    def _use(self) -> Iterator:
        with self._lock:
            if self._ptr is None:
                raise closed(self._what)
            self._users += 1
            ptr = self._ptr
        try:
            yield ptr
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    self._idle.notify_all()

    @property
    def closed(self) -> bool:
        return self._ptr is None

    def close(self) -> None:
        """Frees the native object. Closing a closed handle raises ClosedError."""
        with self._lock:
            if self._ptr is None:
                raise closed(self._what)
            ptr, self._ptr = self._ptr, None
            while self._users:
                self._idle.wait()
        self._free(ptr)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        # The block may have closed it already; that is not an error here.
        if not self.closed:
            self.close()

    def __del__(self) -> None:
        # A safety net, like an unclosed file: free what the host forgot, with
        # a ResourceWarning. Not during interpreter shutdown, when the library
        # may be half torn down and its worker threads cannot take the GIL.
        if getattr(self, "_ptr", None) is None or sys.is_finalizing():
            return
        if in_job_callback() and not self._closable_in_callback:
            warnings.warn("unclosed casescribe %s dropped in a job callback: left open" % self._what,
                          ResourceWarning, source=self)
            return
        warnings.warn("unclosed casescribe %s" % self._what, ResourceWarning, source=self)
        try:
            self.close()
        except Exception:  # noqa: BLE001 - nothing can be reported from __del__
            pass

    def __repr__(self) -> str:
        return "<casescribe.%s%s>" % (type(self).__name__, " closed" if self.closed else "")
