# SPDX-License-Identifier: Apache-2.0
"""Form templates: the sections of a form and which of them AI may draft."""
from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import List, Optional, Tuple

from ._handle import BytesLike, Handle, py_str, to_bytes
from .errors import check, constant
from .native import TemplateP, lib

__all__ = ["Template", "TemplateSection", "AI_DRAFT", "AI_NEVER"]

AI_DRAFT = constant("AI_DRAFT")  # AI may propose a draft, which a person must review
AI_NEVER = constant("AI_NEVER")  # professional judgement: never drafted by AI


@dataclass(frozen=True)
class TemplateSection:
    id: str
    title: Optional[str]
    guidance: Optional[str]
    ai: int  # AI_DRAFT or AI_NEVER
    prompts: Tuple[str, ...]

    @property
    def ai_may_draft(self) -> bool:
        return self.ai == AI_DRAFT


class Template(Handle):
    """A template, from Context.template_find(id) or Template.open(xml).
    It never changes and may be read from several threads; a fill job keeps
    its own reference, so it may be closed as soon as the job is started."""

    _what = "Template"

    @classmethod
    def open(cls, xml: BytesLike) -> "Template":
        """Reads a template (urn:casescribe:template:1) from memory."""
        data = to_bytes(xml)
        ptr = TemplateP()
        check(lib.casescribe_template_open(ctypes.byref(ptr), data, len(data)))
        return cls(ptr)

    def _free(self, ptr) -> None:
        lib.casescribe_template_free(ptr)

    @property
    def id(self) -> Optional[str]:
        with self._use() as p:
            return py_str(lib.casescribe_template_id(p))

    @property
    def title(self) -> Optional[str]:
        with self._use() as p:
            return py_str(lib.casescribe_template_title(p))

    @property
    def version(self) -> int:
        with self._use() as p:
            return lib.casescribe_template_version(p)

    @property
    def sections(self) -> List[TemplateSection]:
        with self._use() as p:
            return [TemplateSection(
                id=py_str(lib.casescribe_template_section_id(p, i)),
                title=py_str(lib.casescribe_template_section_title(p, i)),
                guidance=py_str(lib.casescribe_template_section_guidance(p, i)),
                ai=lib.casescribe_template_section_ai(p, i),
                prompts=tuple(py_str(lib.casescribe_template_prompt(p, i, j))
                              for j in range(lib.casescribe_template_prompt_count(p, i))),
            ) for i in range(lib.casescribe_template_section_count(p))]
