# SPDX-License-Identifier: Apache-2.0
"""The reference form (urn:casescribe:form:1, plugin/schemas/form-1.xsd) as
this CMS writes and reads it: the host writes everything but <provenance>,
which the library writes on each save and which is sent back verbatim with
the next version's changes."""
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Dict, List, Optional
from xml.sax.saxutils import escape, quoteattr

NS = "urn:casescribe:form:1"
_Q = "{%s}" % NS
AI_ORIGINS = ("ai-draft", "ai-reviewed")
# What a section may carry besides id and origin, in the schema's order.
SECTION_ATTRS = ("engine", "model", "engine-version", "engine-settings", "reviewed-by", "reviewed-at", "review")

# Characters XML 1.0 cannot hold; a browser may send them.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PROVENANCE = re.compile(rb"<provenance\b.*?</provenance>", re.S)


def clean_text(text):
    """Text from a textarea as the form holds it: LF line ends (browsers send
    CRLF, XML parsers turn it into LF anyway), no characters XML refuses."""
    return _BAD_CHARS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


@dataclass
class Section:
    id: str
    origin: str = "human"
    text: str = ""
    attrs: Dict[str, str] = field(default_factory=dict)

    @property
    def is_ai(self):
        return self.origin in AI_ORIGINS


@dataclass
class Form:
    id: str
    template: str
    team: str
    author: str
    final: bool = False
    subjects: List[Dict[str, str]] = field(default_factory=list)
    consents: List[Dict[str, str]] = field(default_factory=list)
    sections: List[Section] = field(default_factory=list)
    cites: List[Dict[str, str]] = field(default_factory=list)
    provenance: Optional[bytes] = None  # the library's, kept byte for byte

    def section(self, section_id):
        return next((s for s in self.sections if s.id == section_id), None)


def parse(payload):
    """A form the library returned (a draft or a stamped record)."""
    root = ET.fromstring(payload)  # our own or the library's output, never a user's upload
    form = Form(id=root.get("id"), template=root.get("template"), team=root.get("team"),
                author=root.get("author"), final=root.get("final") in ("true", "1"))
    for el in root:
        tag = el.tag.replace(_Q, "")
        if tag == "subject":
            form.subjects.append(dict(el.attrib))
        elif tag == "consent":
            form.consents.append(dict(el.attrib))
        elif tag == "section":
            attrs = {k: v for k, v in el.attrib.items() if k not in ("id", "origin")}
            form.sections.append(Section(el.get("id"), el.get("origin"), el.text or "", attrs))
        elif tag == "cite":
            form.cites.append(dict(el.attrib))
    match = _PROVENANCE.search(payload)
    form.provenance = match.group(0) if match else None
    return form


def _attrs(pairs):
    return "".join(" %s=%s" % (k, quoteattr(v, {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}))
                   for k, v in pairs if v is not None)


def build(form):
    """The form as XML bytes, elements in the schema's order."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<form xmlns="%s"' % NS,
           _attrs([("id", form.id), ("template", form.template), ("team", form.team), ("author", form.author),
                   ("final", "true" if form.final else None)]), ">\n"]
    for s in form.subjects:
        out.append("  <subject%s/>\n" % _attrs((k, s.get(k)) for k in ("id", "role", "name")))
    for c in form.consents:
        out.append("  <consent%s/>\n" % _attrs((k, c.get(k)) for k in (
            "subject", "given-by", "method", "capacity", "at", "scopes", "withdrawn-at")))
    for s in form.sections:
        out.append("  <section%s>%s</section>\n" % (
            _attrs([("id", s.id), ("origin", s.origin)] + [(k, s.attrs.get(k)) for k in SECTION_ATTRS]),
            escape(clean_text(s.text))))
    for c in form.cites:
        out.append("  <cite%s/>\n" % _attrs(c.items()))
    data = "".join(out).encode("utf-8")
    if form.provenance:
        data += b"  " + form.provenance + b"\n"
    return data + b"</form>\n"


def case_people(subject_rows, consent_rows):
    """The <subject> and <consent> entries of a case, as stored by the CMS."""
    subjects = [{"id": s["id"], "role": s["role"], "name": s["name"]} for s in subject_rows]
    consents = [{"subject": c["subject_id"], "given-by": c["given_by"], "method": c["method"],
                 "capacity": c["capacity"], "at": c["at"], "scopes": c["scopes"],
                 "withdrawn-at": c["withdrawn_at"]} for c in consent_rows]
    return subjects, consents


def unsure_marks(form, section_id):
    """[(text, unsure)] pieces of an untouched AI draft's text: the words the
    transcriber was unsure of, from the citations' byte ranges."""
    section = form.section(section_id)
    data = section.text.encode("utf-8")
    ranges = []
    for c in form.cites:
        if c.get("section") == section_id and c.get("unsure"):
            for item in c["unsure"].split():
                off, length = (int(x) for x in item.split(":"))
                ranges.append((off, off + length))
    pieces, at = [], 0
    for start, end in sorted(ranges):
        if start < at or end > len(data):
            continue  # not for this text: show it unmarked rather than wrongly marked
        pieces += [(data[at:start].decode("utf-8", "replace"), False),
                   (data[start:end].decode("utf-8", "replace"), True)]
        at = end
    pieces.append((data[at:].decode("utf-8", "replace"), False))
    return [p for p in pieces if p[0]]
