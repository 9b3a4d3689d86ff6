# SPDX-License-Identifier: Apache-2.0
"""Machine transcripts of visit recordings."""
from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import List, Optional, Tuple

from ._handle import BytesLike, Handle, py_str, take_string, to_bytes
from .errors import check, constant
from .native import TranscriptP, lib

__all__ = ["Transcript", "Segment", "Word", "TRANSCRIPT_TEXT", "TRANSCRIPT_XML"]

TRANSCRIPT_TEXT = constant("TRANSCRIPT_TEXT")  # a machine-made notice, a line per segment, unsure words as [word?]
TRANSCRIPT_XML = constant("TRANSCRIPT_XML")  # urn:casescribe:transcript:1


@dataclass(frozen=True)
class Word:
    text: Optional[str]
    start_ms: int
    end_ms: int
    confidence: int  # 0-1000 per mille; -1 when the engine gave none
    unsure: bool


@dataclass(frozen=True)
class Segment:
    """A part of the recording between silences; times in ms from the start."""
    start_ms: int
    end_ms: int
    text: Optional[str]
    words: Tuple[Word, ...]


class Transcript(Handle):
    """A transcript: from Job.transcript() of a transcription job, or read
    back from its XML rendering with Transcript.open(xml). It never changes
    and may be read from several threads."""

    _what = "Transcript"

    @classmethod
    def open(cls, xml: BytesLike) -> "Transcript":
        data = to_bytes(xml)
        ptr = TranscriptP()
        check(lib.casescribe_transcript_open(ctypes.byref(ptr), data, len(data)))
        return cls(ptr)

    def _free(self, ptr) -> None:
        lib.casescribe_transcript_free(ptr)

    @property
    def segment_count(self) -> int:
        with self._use() as p:
            return lib.casescribe_transcript_segment_count(p)

    def segment(self, index: int) -> Segment:
        with self._use() as p:
            if not 0 <= index < lib.casescribe_transcript_segment_count(p):
                raise IndexError("segment %d out of range" % index)
            return self._segment(p, index)

    @property
    def segments(self) -> List[Segment]:
        with self._use() as p:
            return [self._segment(p, i) for i in range(lib.casescribe_transcript_segment_count(p))]

    @staticmethod
    def _segment(p, i: int) -> Segment:
        words = tuple(Word(
            text=py_str(lib.casescribe_transcript_word_text(p, i, w)),
            start_ms=lib.casescribe_transcript_word_start_ms(p, i, w),
            end_ms=lib.casescribe_transcript_word_end_ms(p, i, w),
            confidence=lib.casescribe_transcript_word_confidence(p, i, w),
            unsure=lib.casescribe_transcript_word_unsure(p, i, w) == 1,
        ) for w in range(lib.casescribe_transcript_word_count(p, i)))
        return Segment(start_ms=lib.casescribe_transcript_segment_start_ms(p, i),
                       end_ms=lib.casescribe_transcript_segment_end_ms(p, i),
                       text=py_str(lib.casescribe_transcript_segment_text(p, i)), words=words)

    @property
    def engine(self) -> Optional[str]:
        """For the record's provenance, e.g. "embedded:pocketsphinx"."""
        with self._use() as p:
            return py_str(lib.casescribe_transcript_engine(p))

    @property
    def model(self) -> Optional[str]:
        with self._use() as p:
            return py_str(lib.casescribe_transcript_model(p))

    @property
    def engine_version(self) -> Optional[str]:
        with self._use() as p:
            return py_str(lib.casescribe_transcript_engine_version(p))

    @property
    def settings(self) -> Optional[str]:
        with self._use() as p:
            return py_str(lib.casescribe_transcript_settings(p))

    def render(self, fmt: int = TRANSCRIPT_TEXT) -> str:
        """TRANSCRIPT_TEXT (for people) or TRANSCRIPT_XML (to keep, and
        read back later with Transcript.open)."""
        with self._use() as p:
            out = ctypes.c_void_p()
            check(lib.casescribe_transcript_render(ctypes.byref(out), p, fmt))
            return take_string(out) or ""

    def to_text(self) -> str:
        return self.render(TRANSCRIPT_TEXT)

    def to_xml(self) -> str:
        return self.render(TRANSCRIPT_XML)
