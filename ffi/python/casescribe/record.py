# SPDX-License-Identifier: Apache-2.0
"""Reading a form record (stamped or not) without parsing it yourself."""
from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import List, Optional

from ._handle import BytesLike, Handle, c_str, py_str, to_bytes
from .errors import check
from .native import RecordP, lib

__all__ = ["Record", "Section"]


@dataclass(frozen=True)
class Section:
    """One section of a record, copied out of the native handle."""
    id: str
    origin: str  # "human", "ai-draft" or "ai-reviewed"
    engine: Optional[str]
    model: Optional[str]
    engine_version: Optional[str]
    engine_settings: Optional[str]
    reviewer: Optional[str]
    reviewed_at: Optional[str]
    review: Optional[str]  # "accepted" or "edited"
    text: Optional[str]


class Record(Handle):
    """A decoded, read-only record. Opening does not verify it: use
    Context.verify() for that. Readable from several threads at once."""

    _what = "Record"

    @classmethod
    def open(cls, payload: BytesLike, adapter: str = "xml") -> "Record":
        data = to_bytes(payload)
        ptr = RecordP()
        check(lib.casescribe_record_open(ctypes.byref(ptr), c_str(adapter), data, len(data)))
        return cls(ptr)

    def _free(self, ptr) -> None:
        lib.casescribe_record_free(ptr)

    @property
    def id(self) -> Optional[str]:
        with self._use() as p:
            return py_str(lib.casescribe_record_id(p))

    @property
    def team(self) -> Optional[str]:
        with self._use() as p:
            return py_str(lib.casescribe_record_team(p))

    @property
    def author(self) -> Optional[str]:
        with self._use() as p:
            return py_str(lib.casescribe_record_author(p))

    @property
    def is_final(self) -> bool:
        with self._use() as p:
            return lib.casescribe_record_is_final(p) == 1

    @property
    def version(self) -> int:
        """The stamped version (1, 2, ...); 0 when not stamped."""
        with self._use() as p:
            return lib.casescribe_record_version(p)

    @property
    def key_id(self) -> Optional[str]:
        """The key that signed the record; None when not stamped."""
        with self._use() as p:
            return py_str(lib.casescribe_record_key_id(p))

    def stamp(self, name: str) -> Optional[str]:
        """What the stamp says, by name: "time", "actor", "team", "role",
        "previous", "policy-version", "policy-digest", "ledger-seq", ...
        (see casescribe_record_stamp in the header); None when absent. This
        reads; Context.verify() checks."""
        with self._use() as p:
            return py_str(lib.casescribe_record_stamp(p, name.encode()))

    def stamp_count(self, list_name: str) -> int:
        """How many items the stamp's list has: "section", "consent" or
        "earlier-engine"."""
        with self._use() as p:
            return lib.casescribe_record_stamp_count(p, list_name.encode())

    def stamp_item(self, list_name: str, index: int, name: str) -> Optional[str]:
        """One fact of one item of a stamp list: stamp_item("consent", 0,
        "local-ai"), stamp_item("section", 1, "reviewed-by"), ..."""
        with self._use() as p:
            return py_str(lib.casescribe_record_stamp_item(p, list_name.encode(), index, name.encode()))

    @property
    def sections(self) -> List[Section]:
        with self._use() as p:
            return [Section(
                id=py_str(lib.casescribe_record_section_id(p, i)),
                origin=py_str(lib.casescribe_record_section_origin(p, i)),
                engine=py_str(lib.casescribe_record_section_engine(p, i)),
                model=py_str(lib.casescribe_record_section_model(p, i)),
                engine_version=py_str(lib.casescribe_record_section_engine_version(p, i)),
                engine_settings=py_str(lib.casescribe_record_section_engine_settings(p, i)),
                reviewer=py_str(lib.casescribe_record_section_reviewer(p, i)),
                reviewed_at=py_str(lib.casescribe_record_section_reviewed_at(p, i)),
                review=py_str(lib.casescribe_record_section_review(p, i)),
                text=py_str(lib.casescribe_record_section_text(p, i)),
            ) for i in range(lib.casescribe_record_section_count(p))]
