# SPDX-License-Identifier: Apache-2.0
"""One entry of a home's journal."""
from __future__ import annotations

from typing import Optional

from ._handle import Handle, py_str
from .native import lib

__all__ = ["JournalEntry"]


class JournalEntry(Handle):
    """An entry read with Context.journal_entry(seq). Entries hold ids,
    digests, actors and times, never section text."""

    _what = "JournalEntry"

    def _free(self, ptr) -> None:
        lib.casescribe_journal_entry_free(ptr)

    @property
    def seq(self) -> int:
        with self._use() as p:
            return lib.casescribe_journal_entry_seq(p)

    @property
    def kind(self) -> Optional[str]:
        """"save", "policy", "policy-trust", "audio", ..."""
        with self._use() as p:
            return py_str(lib.casescribe_journal_entry_kind(p))

    @property
    def record_id(self) -> Optional[str]:
        with self._use() as p:
            return py_str(lib.casescribe_journal_entry_record_id(p))

    @property
    def record_version(self) -> int:
        with self._use() as p:
            return lib.casescribe_journal_entry_record_version(p)

    @property
    def record_digest(self) -> Optional[str]:
        """"sha256:<hex>" of the stamped provenance."""
        with self._use() as p:
            return py_str(lib.casescribe_journal_entry_record_digest(p))

    @property
    def actor_id(self) -> Optional[str]:
        with self._use() as p:
            return py_str(lib.casescribe_journal_entry_actor_id(p))

    @property
    def time(self) -> Optional[str]:
        """UTC, ISO 8601."""
        with self._use() as p:
            return py_str(lib.casescribe_journal_entry_time(p))

    def field(self, name: str) -> Optional[str]:
        """Any field the entry records, by its JSON name, as text (numbers
        in decimal, lists as compact JSON); None when absent. A policy
        entry's "team", "setting", "old", "new", for example."""
        with self._use() as p:
            return py_str(lib.casescribe_journal_entry_field(p, name.encode()))

    @property
    def json(self) -> Optional[str]:
        """The entry as one line of compact JSON (a save entry's text
        fingerprints left out), for a log collector."""
        with self._use() as p:
            return py_str(lib.casescribe_journal_entry_json(p))
