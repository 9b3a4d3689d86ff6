#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Check the labelled fill corpus in tests/fill/corpus/.

Stdlib only.  Usage: python3 tests/fill/check_corpus.py [corpus-dir]
Prints one line per transcript plus a summary, and exits 1 if any problem
was found (0 otherwise).

What it checks, per transcript:
  * the file is UTF-8 JSON with exactly the keys id, template, title,
    subjects, identifiers, segments, facts; the id matches the file name
    (NN-short-name.json);
  * the template is known;
  * there are 25 to 60 segments, each "Speaker: text", 1 to 3 sentences,
    ending with . ? or !; the worker speaks; every subject's first name is
    used in the dialogue;
  * facts only name draft sections of the template (never a "never"
    section), 2 to 5 facts per listed section, each fact 1 to 3 lowercase
    whole-word keywords, none of them a subject's name, and all keywords of
    a fact occur as whole words (case-insensitive) in one single segment
    (the text after the speaker label);
  * every identifier appears verbatim in a segment and is of a known kind
    (NHS number with a valid mod-11 checksum, 07700 900xxx mobile,
    @example.org email, UK-format postcode, date of birth, street address);
    conversely every identifier-like string found in the segments is
    listed.

Labelled transcripts (23 on) also have "style" ("punctuated", or "machine":
lowercase turns without punctuation, as a speech engine gives them, one
sentence a turn) and "labels": per segment, one label per sentence: a draft
section of the template, or none, opinion (the worker evaluating or
deciding) or instruction (addressed to the recorder, computer or AI).

And for the corpus as a whole: files 01..NN, the template mix
(5 / 4 / 5 / 4 / 4 unlabelled, and every template among the labelled), at least 4 transcripts with identifiers and every
identifier kind used at least once, at least 2 transcripts with a
prompt-injection-like sentence, at least 8 with a third party speaking.
"""

import json
import os
import re
import sys
from collections import Counter

TEMPLATES = {
    "statutory-home-visit": {
        "draft": ["present", "child-seen", "wishes-feelings", "home-environment",
                  "health-education", "family-update", "worries", "actions"],
        "never": ["analysis"],
    },
    "child-family-assessment": {
        "draft": ["reason", "contributors", "child-development", "wishes-feelings",
                  "parenting-capacity", "family-environment", "strengths"],
        "never": ["analysis", "recommendation"],
    },
    "care-act-needs-assessment": {
        "draft": ["present", "person-views", "daily-living", "relationships-community",
                  "wellbeing", "support-network", "risks"],
        "never": ["eligibility", "analysis"],
    },
    "carers-assessment": {
        "draft": ["caring-role", "carer-health", "willing-able", "carer-outcomes",
                  "carer-wishes", "support-discussed"],
        "never": ["eligibility", "analysis"],
    },
    "strategy-discussion": {
        "draft": ["attendees", "reason", "information-shared", "child-views",
                  "immediate-safety", "actions"],
        "never": ["decision", "analysis"],
    },
}

EXPECTED_MIX = {
    "statutory-home-visit": 5,
    "child-family-assessment": 4,
    "care-act-needs-assessment": 5,
    "carers-assessment": 4,
    "strategy-discussion": 4,
}
EXPECTED_UNLABELLED = 22
KEYS = ["id", "template", "title", "subjects", "identifiers", "segments", "facts"]
LABELLED_KEYS = ["style", "labels"]
OTHER_LABELS = ["none", "opinion", "instruction"]

MIN_SEGMENTS, MAX_SEGMENTS = 25, 60
MIN_FACTS, MAX_FACTS = 2, 5
MAX_KEYWORDS = 3
MAX_SENTENCES = 3

MONTHS = ("January|February|March|April|May|June|July|August|September|"
          "October|November|December")
STREET_TYPES = ("Close|Road|Street|Avenue|Lane|Drive|Way|Court|Gardens|Crescent|"
                "Terrace|Place|Walk|Grove|Row|Mews|Square|Hill|View|Rise")

FILE_RE = re.compile(r"^(\d\d)-[a-z0-9]+(?:-[a-z0-9]+)*\.json$")
SEGMENT_RE = re.compile(r"^([A-Z][A-Za-z'\-]*(?: [A-Z][A-Za-z'\-]*){0,2}): (\S.*)$")
SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+")
KEYWORD_RE = re.compile(r"^[a-z0-9]+$")

# Identifier kinds: (kind, regex that must match the whole identifier)
NHS_RE = re.compile(r"^\d{3} ?\d{3} ?\d{4}$")
PHONE_RE = re.compile(r"^07700 ?900\d{3}$")
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@example\.org$")
POSTCODE_RE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? \d[ABD-HJLNP-UW-Z]{2}$")
DOB_RE = re.compile(r"^\d{1,2} (?:%s) (?:19|20)\d{2}$" % MONTHS)
ADDRESS_RE = re.compile(r"^\d{1,4}[A-Za-z]? [A-Z][a-z]+(?: [A-Z][a-z]+)* (?:%s)$" % STREET_TYPES)

# Scanners used to find identifier-like strings in the dialogue.
SCAN = [
    ("nhs", re.compile(r"(?<!\d)\d{3} ?\d{3} ?\d{4}(?!\d)")),
    ("phone", re.compile(r"(?<!\d)(?:\+44 ?7|07)\d{3} ?\d{3} ?\d{3}(?!\d)")),
    ("email", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    ("postcode", re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b")),
    ("dob", re.compile(r"(?<=\bborn on )\d{1,2} (?:%s) \d{4}" % MONTHS)),
    ("address", re.compile(r"\b\d{1,4}[A-Za-z]? [A-Z][a-z]+(?: [A-Z][a-z]+)* (?:%s)\b" % STREET_TYPES)),
]

INJECTION_RE = re.compile(
    r"\b(?:ignore|disregard)\b[^.?!]*\b(?:template|instructions?|previous|everything)\b",
    re.IGNORECASE)
THIRD_PARTY_ROLE_RE = re.compile(
    r"grand|partner|aunt|uncle|neighbour|daughter|friend|interpreter|teacher",
    re.IGNORECASE)


def nhs_valid(number):
    digits = re.sub(r"\s", "", number)
    if not re.fullmatch(r"\d{10}", digits):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10:
        return False
    return check == int(digits[9])


def identifier_kind(ident):
    if NHS_RE.match(ident):
        return "nhs"
    if PHONE_RE.match(ident):
        return "phone"
    if EMAIL_RE.match(ident):
        return "email"
    if POSTCODE_RE.match(ident):
        return "postcode"
    if DOB_RE.match(ident):
        return "dob"
    if ADDRESS_RE.match(ident):
        return "address"
    return None


def has_word(text, word):
    return re.search(r"(?<![A-Za-z0-9])%s(?![A-Za-z0-9])" % re.escape(word),
                     text, re.IGNORECASE) is not None


class Problems:
    def __init__(self):
        self.items = []

    def add(self, where, msg):
        self.items.append("%s: %s" % (where, msg))


def check_file(path, probs):
    """Check one transcript; return a dict of stats (or None if unreadable)."""
    name = os.path.basename(path)
    m = FILE_RE.match(name)
    if not m:
        probs.add(name, "file name is not NN-short-name.json")
    try:
        with open(path, "rb") as f:
            raw = f.read()
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        probs.add(name, "not valid UTF-8 JSON: %s" % e)
        return None
    if not isinstance(data, dict):
        probs.add(name, "top level is not an object")
        return None

    keys = list(data.keys())
    missing = [k for k in KEYS if k not in data]
    extra = [k for k in keys if k not in KEYS + LABELLED_KEYS]
    labelled = "labels" in data
    machine = data.get("style") == "machine"
    if labelled and data.get("style") not in ("punctuated", "machine"):
        probs.add(name, "style must be punctuated or machine")
    if missing:
        probs.add(name, "missing keys %s" % missing)
        return None
    if extra:
        probs.add(name, "unexpected keys %s" % extra)

    stem = name[:-5] if name.endswith(".json") else name
    if data["id"] != stem:
        probs.add(name, "id %r does not match file name" % data["id"])

    template = data["template"]
    if template not in TEMPLATES:
        probs.add(name, "unknown template %r" % template)
        return None
    tdef = TEMPLATES[template]

    title = data["title"]
    if not isinstance(title, str) or not title.strip() or "\n" in title:
        probs.add(name, "title must be a non-empty single line")

    # --- segments -------------------------------------------------------
    segments = data["segments"]
    if not isinstance(segments, list) or not all(isinstance(s, str) for s in segments):
        probs.add(name, "segments must be a list of strings")
        return None
    if not MIN_SEGMENTS <= len(segments) <= MAX_SEGMENTS:
        probs.add(name, "%d segments (want %d..%d)" % (len(segments), MIN_SEGMENTS, MAX_SEGMENTS))
    speakers = Counter()
    bodies = []
    for i, seg in enumerate(segments, 1):
        sm = SEGMENT_RE.match(seg)
        if not sm:
            probs.add(name, "segment %d has no 'Speaker: ' prefix: %r" % (i, seg[:60]))
            bodies.append(seg)
            continue
        speaker, body = sm.group(1), sm.group(2)
        speakers[speaker] += 1
        bodies.append(body)
        if machine:
            if re.search(r"[.?!,;A-Z]", body):
                probs.add(name, "machine segment %d has punctuation or capitals" % i)
            n_sent = 1
        else:
            if body[-1] not in ".?!":
                probs.add(name, "segment %d does not end with . ? or !" % i)
            n_sent = len([s for s in SENTENCE_SPLIT_RE.split(body.strip()) if s])
        if labelled:
            lab = data["labels"][i - 1] if i - 1 < len(data["labels"]) else None
            if not isinstance(lab, list) or len(lab) != n_sent:
                probs.add(name, "segment %d: want %d labels, one per sentence" % (i, n_sent))
            elif any(l not in tdef["draft"] + OTHER_LABELS for l in lab):
                probs.add(name, "segment %d: a label is not a draft section or %s" % (i, OTHER_LABELS))
        if not 1 <= n_sent <= MAX_SENTENCES:
            probs.add(name, "segment %d has %d sentences (want 1..%d)" % (i, n_sent, MAX_SENTENCES))
        if '"' in seg and not machine:
            probs.add(name, "segment %d contains a double quote" % i)
    if "Worker" not in speakers:
        probs.add(name, "the worker never speaks")

    # --- subjects -------------------------------------------------------
    subjects = data["subjects"]
    name_tokens = set()
    subject_first = {}
    if not isinstance(subjects, list) or not subjects:
        probs.add(name, "subjects must be a non-empty list")
        subjects = []
    seen_ids = set()
    for s in subjects:
        if not isinstance(s, dict) or any(not isinstance(s.get(k), str) or not s.get(k)
                                          for k in ("id", "role", "name")):
            probs.add(name, "bad subject entry %r" % (s,))
            continue
        if s["id"] in seen_ids:
            probs.add(name, "duplicate subject id %s" % s["id"])
        seen_ids.add(s["id"])
        for tok in re.split(r"[\s\-]+", s["name"]):
            if tok:
                name_tokens.add(tok.lower())
        first = s["name"].split()[0]
        subject_first[first] = s["role"]
        if not any(has_word(seg, first) for seg in segments):
            probs.add(name, "subject %s (%s) is never named in the dialogue" % (s["name"], s["id"]))

    # --- identifiers ----------------------------------------------------
    identifiers = data["identifiers"]
    kinds = Counter()
    if not isinstance(identifiers, list) or not all(isinstance(x, str) for x in identifiers):
        probs.add(name, "identifiers must be a list of strings")
        identifiers = []
    for ident in identifiers:
        kind = identifier_kind(ident)
        if kind is None:
            probs.add(name, "identifier %r is not of a known kind" % ident)
        else:
            kinds[kind] += 1
        if kind == "nhs" and not nhs_valid(ident):
            probs.add(name, "NHS number %r fails the mod-11 checksum" % ident)
        if not any(ident in seg for seg in segments):
            probs.add(name, "identifier %r does not appear verbatim in any segment" % ident)
    listed = set(identifiers)
    for seg_no, body in enumerate(bodies, 1):
        for kind, rx in SCAN:
            for hit in rx.finditer(body):
                found = hit.group(0)
                if found not in listed:
                    probs.add(name, "segment %d: %s-like string %r not listed in identifiers"
                              % (seg_no, kind, found))
                if kind == "phone" and not PHONE_RE.match(found):
                    probs.add(name, "segment %d: phone %r outside 07700 900xxx" % (seg_no, found))
                if kind == "email" and not found.endswith("@example.org"):
                    probs.add(name, "segment %d: email %r not @example.org" % (seg_no, found))

    # --- facts ----------------------------------------------------------
    facts = data["facts"]
    n_facts = 0
    if not isinstance(facts, dict):
        probs.add(name, "facts must be an object")
        facts = {}
    for section, flist in facts.items():
        if section in tdef["never"]:
            probs.add(name, "facts given for never section %r" % section)
            continue
        if section not in tdef["draft"]:
            probs.add(name, "facts section %r is not a draft section of %s" % (section, template))
            continue
        if not isinstance(flist, list) or not MIN_FACTS <= len(flist) <= MAX_FACTS:
            probs.add(name, "section %r has %s facts (want %d..%d)"
                      % (section, len(flist) if isinstance(flist, list) else "?", MIN_FACTS, MAX_FACTS))
            if not isinstance(flist, list):
                continue
        for fact in flist:
            n_facts += 1
            if (not isinstance(fact, list) or not 1 <= len(fact) <= MAX_KEYWORDS
                    or not all(isinstance(k, str) for k in fact)):
                probs.add(name, "%s: bad fact %r (want 1..%d keyword strings)" % (section, fact, MAX_KEYWORDS))
                continue
            for k in fact:
                if not KEYWORD_RE.match(k):
                    probs.add(name, "%s: keyword %r is not a lowercase word" % (section, k))
                if k.lower() in name_tokens:
                    probs.add(name, "%s: keyword %r is a subject's name" % (section, k))
            if not any(all(has_word(body, k) for k in fact) for body in bodies):
                probs.add(name, "%s: keywords %r never co-occur in one segment" % (section, fact))
    covered = [s for s in tdef["draft"] if s in facts]
    if len(covered) * 2 < len(tdef["draft"]):
        probs.add(name, "only %d of %d draft sections have facts" % (len(covered), len(tdef["draft"])))

    # --- features ---------------------------------------------------------
    injection = any(INJECTION_RE.search(b) for b in bodies)
    third = sorted(sp for sp in speakers
                   if sp != "Worker" and (sp not in subject_first
                                          or THIRD_PARTY_ROLE_RE.search(subject_first[sp])))
    return {
        "name": name,
        "number": int(m.group(1)) if m else None,
        "template": template,
        "segments": len(segments),
        "speakers": len(speakers),
        "sections": len(covered),
        "draft": len(tdef["draft"]),
        "facts": n_facts,
        "identifiers": len(identifiers),
        "kinds": kinds,
        "injection": injection,
        "third": third,
        "labelled": labelled,
        "labels": Counter(l for lab in data.get("labels", []) for l in lab),
    }


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    corpus = argv[1] if len(argv) > 1 else os.path.join(here, "corpus")
    probs = Problems()
    if not os.path.isdir(corpus):
        print("corpus directory not found: %s" % corpus)
        return 1
    files = sorted(f for f in os.listdir(corpus) if f.endswith(".json"))
    stats = []
    for f in files:
        st = check_file(os.path.join(corpus, f), probs)
        if st:
            stats.append(st)

    # --- corpus-level ---------------------------------------------------
    numbers = sorted(s["number"] for s in stats if s["number"] is not None)
    if numbers != list(range(1, len(numbers) + 1)):
        probs.add("corpus", "files are numbered %s, want 01..%02d" % (numbers, len(numbers)))
    if any(s["labelled"] != (s["number"] > EXPECTED_UNLABELLED) for s in stats):
        probs.add("corpus", "files 01..%02d unlabelled, labels from %02d on" % (EXPECTED_UNLABELLED,
                                                                              EXPECTED_UNLABELLED + 1))
    lab_mix = Counter(s["template"] for s in stats if s["labelled"])
    for t in TEMPLATES:
        if not lab_mix.get(t):
            probs.add("corpus", "no labelled transcript for %s" % t)
    labels = Counter()
    for s in stats:
        labels.update(s["labels"])
    for k in ("opinion", "instruction"):
        if labels[k] < 5:
            probs.add("corpus", "only %d %s sentences labelled (want >= 5)" % (labels[k], k))
    mix = Counter(s["template"] for s in stats if not s["labelled"])
    for t, want in EXPECTED_MIX.items():
        if mix.get(t, 0) != want:
            probs.add("corpus", "%d transcripts for %s, want %d" % (mix.get(t, 0), t, want))
    with_ids = [s for s in stats if s["identifiers"]]
    if len(with_ids) < 4:
        probs.add("corpus", "only %d transcripts with identifiers (want >= 4)" % len(with_ids))
    all_kinds = Counter()
    for s in stats:
        all_kinds.update(s["kinds"])
    for k in ("nhs", "phone", "email", "postcode", "dob", "address"):
        if not all_kinds.get(k):
            probs.add("corpus", "no identifier of kind %s anywhere" % k)
    inj = [s for s in stats if s["injection"]]
    if len(inj) < 2:
        probs.add("corpus", "only %d transcripts with an injection-like sentence (want >= 2)" % len(inj))
    third = [s for s in stats if s["third"]]
    if len(third) < 8:
        probs.add("corpus", "only %d transcripts with a third party (want >= 8)" % len(third))

    # --- report ---------------------------------------------------------
    print("%-34s %-26s %4s %4s %7s %5s %4s  %s" % ("file", "template", "segs", "spk",
                                                    "sects", "facts", "ids", "notes"))
    for s in stats:
        notes = []
        if s["injection"]:
            notes.append("injection")
        if s["third"]:
            notes.append("third party: " + ", ".join(s["third"]))
        print("%-34s %-26s %4d %4d %3d/%-3d %5d %4d  %s" % (
            s["name"], s["template"], s["segments"], s["speakers"], s["sections"],
            s["draft"], s["facts"], s["identifiers"], "; ".join(notes)))
    segs = [s["segments"] for s in stats]
    print()
    print("transcripts: %d  (%s)" % (len(stats), ", ".join("%s %d" % (t, mix[t]) for t in EXPECTED_MIX)))
    if segs:
        print("segments: %d total, %d..%d per transcript" % (sum(segs), min(segs), max(segs)))
    print("facts: %d total" % sum(s["facts"] for s in stats))
    print("with identifiers: %d (kinds: %s)" % (
        len(with_ids), ", ".join("%s %d" % kv for kv in sorted(all_kinds.items()))))
    print("with injection-like sentence: %d" % len(inj))
    print("labelled sentences: %s" % ", ".join("%s %d" % kv for kv in sorted(labels.items())))
    print("with third party speaking: %d" % len(third))
    if probs.items:
        print()
        print("%d problem(s):" % len(probs.items))
        for p in probs.items:
            print("  " + p)
        return 1
    print("OK: no problems")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
