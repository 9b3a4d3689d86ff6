# SPDX-License-Identifier: Apache-2.0
"""A snapshot of a team's policy."""
from __future__ import annotations

import ctypes
import enum
from typing import Optional

from ._handle import Handle, c_str, py_str, take_string
from .errors import check, constant, error
from .native import lib

__all__ = ["Policy", "PolicyState"]

# Values from the library, not copied from the header.
PolicyState = enum.IntEnum("PolicyState", {name: constant("POLICY_" + name)
                                           for name in ("DEFAULTS", "SIGNED", "REFUSED")})
PolicyState.__doc__ = "DEFAULTS (no policy file), SIGNED (verified), REFUSED (not used: safe defaults apply)"


class Policy(Handle):
    """The policy in force for a team when it was read (Context.team_policy)."""

    _what = "Policy"

    def _free(self, ptr) -> None:
        lib.casescribe_policy_free(ptr)

    @property
    def team(self) -> Optional[str]:
        with self._use() as p:
            return py_str(lib.casescribe_policy_team(p))

    @property
    def version(self) -> int:
        """0 for the defaults."""
        with self._use() as p:
            return lib.casescribe_policy_version(p)

    @property
    def state(self) -> PolicyState:
        with self._use() as p:
            return PolicyState(lib.casescribe_policy_state(p))

    @property
    def problem(self) -> Optional[str]:
        """Why a REFUSED policy file was not used; None otherwise."""
        with self._use() as p:
            return py_str(lib.casescribe_policy_problem(p))

    @property
    def digest(self) -> Optional[str]:
        """"sha256:..." of the signed file; None for the defaults."""
        with self._use() as p:
            return py_str(lib.casescribe_policy_digest(p))

    def feature(self, name: str) -> bool:
        """Whether a feature ("transcription", "ai-draft", "external-ai",
        "observation-tags") is on. NotFoundError for an unknown feature."""
        with self._use() as p:
            value = lib.casescribe_policy_feature(p, c_str(name))
            if value < 0:
                # This getter reports by its return value alone.
                raise error(value, "unknown feature '%s'" % name)
            return value == 1

    def setting(self, key: str) -> str:
        """A feature or setting as text: "on", "30", "embedded", the endpoints."""
        with self._use() as p:
            out = ctypes.c_void_p()
            check(lib.casescribe_policy_setting(ctypes.byref(out), p, c_str(key)))
            return take_string(out) or ""
