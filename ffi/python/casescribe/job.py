# SPDX-License-Identifier: Apache-2.0
"""Jobs: transcription, drafting and policy refresh run on the context's own
worker threads; the host watches them through a Job."""
from __future__ import annotations

import ctypes
import enum
import threading
import time
from typing import Callable, Optional, Set, Tuple

from ._handle import Handle, job_callback_scope, py_str, take_bytes, take_string
from .errors import EINVAL, OK, InvalidArgumentError, check, constant, error, last_error
from .native import JobCallback, TranscriptP, lib
from .transcript import Transcript

__all__ = ["Job", "JobState"]

JobState = enum.IntEnum("JobState", {name: constant("JOB_" + name)
                                     for name in ("QUEUED", "RUNNING", "DONE", "FAILED", "CANCELLED")})
JobState.__doc__ = "QUEUED, RUNNING, then one of the ended states DONE, FAILED, CANCELLED"
_ENDED = (JobState.DONE, JobState.FAILED, JobState.CANCELLED)

# Jobs whose on-end callback the library may still call. The library holds
# the callback's C pointer until the job ends, even after the host dropped
# its handle, so the Job (and with it the CFUNCTYPE thunk) must not be
# garbage-collected before then.
_awaiting_callback: Set["Job"] = set()
_awaiting_lock = threading.Lock()

# A single wait in C cannot be interrupted by Ctrl-C: long waits are sliced.
_WAIT_SLICE_MS = 500


class Job(Handle):
    """A job started by Context.transcribe(), Context.fill() or
    Context.policy_refresh(). Every method may be called from any thread.
    Closing the Job drops the host's handle: a job still running carries on
    (cancel() it first to stop it) and its result is dropped."""

    _what = "Job"

    def __init__(self, ptr) -> None:
        super().__init__(ptr)
        self._callback: Optional[Callable[["Job"], None]] = None
        self._thunk = None  # the one CFUNCTYPE object registered with the library
        self._fired = False
        self._callback_thread: Optional[int] = None
        self._cb_lock = threading.Lock()
        #: an exception raised by the on-end callback (it runs on a library
        #: thread, where nothing could catch it), else None
        self.callback_error: Optional[BaseException] = None

    def _free(self, ptr) -> None:
        lib.casescribe_job_free(ptr)

    def close(self) -> None:
        if self._callback_thread == threading.get_ident():
            # The library forbids freeing a job from its own callback.
            raise InvalidArgumentError(EINVAL, "EINVAL", "a Job cannot be closed from its own on-end callback")
        super().close()

    def _check(self, p, code: int) -> None:
        """Raises for a failed status, with the job's own message (why it
        failed) rather than the generic one of the call that asked."""
        if code != OK:
            message = last_error()  # first: the next library call may replace it
            raise error(code, py_str(lib.casescribe_job_message(p)) or message)

    # ---- state -------------------------------------------------------------
    @property
    def kind(self) -> Optional[str]:
        """"transcription", "fill", "policy-refresh"."""
        with self._use() as p:
            return py_str(lib.casescribe_job_kind(p))

    @property
    def id(self) -> Optional[str]:
        """The id a restarted host reattaches by (Context.job_attach); None
        for a job that is not kept (a policy refresh)."""
        with self._use() as p:
            return py_str(lib.casescribe_job_id(p))

    @property
    def progress(self) -> Tuple[int, int]:
        """(done, total) so far, in the job kind's unit: milliseconds of the
        recording for a transcription, steps (3) for a fill; (0, 0) until the
        job knows its total. done == total once the job is done."""
        with self._use() as p:
            done, total = ctypes.c_int64(), ctypes.c_int64()
            check(lib.casescribe_job_progress(p, ctypes.byref(done), ctypes.byref(total)))
            return done.value, total.value

    @property
    def state(self) -> JobState:
        with self._use() as p:
            return JobState(lib.casescribe_job_state(p))

    @property
    def ended(self) -> bool:
        return self.state in _ENDED

    @property
    def status(self) -> int:
        """How it ended: 0 (OK), the error code it failed with, ECANCELLED;
        EBUSY while it runs. See also raise_for_status()."""
        with self._use() as p:
            return lib.casescribe_job_status(p)

    @property
    def message(self) -> Optional[str]:
        """Why the job failed or was cancelled; None while it runs or when it succeeded."""
        with self._use() as p:
            return py_str(lib.casescribe_job_message(p))

    def raise_for_status(self) -> None:
        """Raises the job's error if it failed or was cancelled (BusyError while it runs)."""
        with self._use() as p:
            code = lib.casescribe_job_status(p)
            if code != OK:
                raise error(code, py_str(lib.casescribe_job_message(p)) or "the job has not ended yet")

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Waits until the job ends, at most `timeout` seconds (None: no
        limit; 0: just look). True once it has ended (in any state)."""
        deadline = None if timeout is None else time.monotonic() + max(timeout, 0.0)
        while True:
            left_ms = (_WAIT_SLICE_MS if deadline is None
                       else min(_WAIT_SLICE_MS, max(0, int((deadline - time.monotonic()) * 1000))))
            # The handle is taken per slice, so that a close() on another
            # thread waits at most one slice (this wait then raises ClosedError).
            with self._use() as p:
                if lib.casescribe_job_wait(p, left_ms) == OK:
                    return True
            if deadline is not None and time.monotonic() >= deadline:
                return False

    def cancel(self) -> None:
        """Asks the job to stop. A job that finishes first keeps its result."""
        with self._use() as p:
            self._check(p, lib.casescribe_job_cancel(p))

    # ---- what it made ------------------------------------------------------
    def result(self) -> str:
        """What a DONE job made, as text (what a refresh changed, what a
        fill drafted). BusyError before the end, the job's error otherwise."""
        with self._use() as p:
            out = ctypes.c_void_p()
            self._check(p, lib.casescribe_job_result(ctypes.byref(out), p))
            return take_string(out) or ""

    def transcript(self) -> Transcript:
        """The transcript a DONE transcription job made (a handle of its own)."""
        with self._use() as p:
            out = TranscriptP()
            self._check(p, lib.casescribe_job_transcript(ctypes.byref(out), p))
            return Transcript(out)

    def draft(self) -> bytes:
        """The draft form a DONE fill job made, for the worker to review."""
        with self._use() as p:
            out, length = ctypes.c_void_p(), ctypes.c_size_t()
            self._check(p, lib.casescribe_job_draft(ctypes.byref(out), ctypes.byref(length), p))
            return take_bytes(out, length)

    # ---- on-end callback -----------------------------------------------------
    def on_end(self, callback: Callable[["Job"], None]) -> None:
        """Calls `callback(job)` once when the job ends, replacing an earlier
        callback; at once (on this thread) if it has ended already.

        It runs on a library worker thread (or the thread that closes the
        context): keep it short, and do not close the job from it. It is not
        called when the host closed the Job first. An exception it raises is
        kept in `callback_error`."""
        if not callable(callback):
            raise TypeError("callback must be callable")
        with self._use() as p:
            with self._cb_lock:
                self._callback = callback
                register = self._thunk is None
                call_now = self._fired
                if register:
                    # One native registration per Job; replacing the callback
                    # later only swaps the Python function behind it, so the
                    # library never holds a pointer to a thunk we dropped.
                    self._thunk = JobCallback(self._trampoline)
                    with _awaiting_lock:
                        _awaiting_callback.add(self)
            if register:
                # The library calls the thunk right here when the job has ended.
                code = lib.casescribe_job_on_end(p, self._thunk, None)
                if code != OK:
                    with _awaiting_lock:
                        _awaiting_callback.discard(self)
                    self._check(p, code)
        if call_now:
            self._run_callback(callback)

    def _trampoline(self, _job, _user) -> None:
        # Called by the library, on its thread, exactly once per registration.
        with self._cb_lock:
            self._fired = True
            callback = self._callback
        try:
            if not self.closed:
                self._run_callback(callback)
        finally:
            with _awaiting_lock:
                _awaiting_callback.discard(self)

    def _run_callback(self, callback: Callable[["Job"], None]) -> None:
        self._callback_thread = threading.get_ident()
        try:
            with job_callback_scope():
                callback(self)
        except BaseException as exc:  # noqa: BLE001 - nothing above a C thread could catch it
            self.callback_error = exc
        finally:
            self._callback_thread = None
