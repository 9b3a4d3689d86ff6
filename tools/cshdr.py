# SPDX-License-Identifier: Apache-2.0
"""cshdr.py - reads plugin/include/casescribe.h and plugin/libcasescribe.map
for tools/mkman and tools/header-since (not installed).

A *group* is a comment followed directly by one or more declarations
(CASESCRIBE_EXTERN ... ;) with no blank line between: the comment documents
every function of its group. `since` of a function is the release that
introduced its symbol node: CASESCRIBE_1.N -> "1.N", the base node -> "1.0".
"""
import re

DECL = "CASESCRIBE_EXTERN"
SINCE_RE = re.compile(r"\bSince (\d+\.\d+)\.")


class Group:
    def __init__(self, comment_first, comment_last):
        self.comment_first = comment_first  # line indexes, or None without a comment
        self.comment_last = comment_last
        self.decls = []  # (name, text, first line, last line)

    def names(self):
        return [d[0] for d in self.decls]


def read_nodes(map_text):
    """{function: "1.N"} for the functions the map names; others are "1.0"."""
    nodes = {}
    for m in re.finditer(r"CASESCRIBE_(\d+(?:\.\d+)?)\s*\{(.*?)\}", map_text, re.S):
        version = m.group(1) if "." in m.group(1) else m.group(1) + ".0"
        for fn in re.findall(r"\b(casescribe_\w+)\s*;", m.group(2)):
            nodes[fn] = version
    return nodes


def since(nodes, fn):
    return nodes.get(fn, "1.0")


def comment_start(lines, last):
    i = last
    while i > 0 and not lines[i].lstrip().startswith("/*"):
        i -= 1
    return i


def read_groups(lines):
    groups, current, i = [], None, 0
    while i < len(lines):
        if not lines[i].startswith(DECL):
            current = None
            i += 1
            continue
        first = i
        while not lines[i].rstrip().endswith(";"):
            i += 1
        text = " ".join(l.strip() for l in lines[first:i + 1])
        name = re.search(r"(casescribe_\w+)\s*\(", text).group(1)
        if current is None:
            start = comment_start(lines, first - 1) if first > 0 and lines[first - 1].rstrip().endswith("*/") else None
            # a comment of its own: "/*" first, then only " *" lines (not a #define's trailing comment)
            if start is not None and not (lines[start].startswith("/*") and
                                          all(l.startswith(" *") for l in lines[start + 1:first])):
                start = None
            current = Group(start, first - 1) if start is not None else Group(None, None)
            groups.append(current)
        current.decls.append((name, text, first, i))
        i += 1
    return groups


def comment_text(lines, group):
    """The comment of a group as plain text lines (no /*, * or */)."""
    if group.comment_first is None:
        return []
    out = []
    for line in lines[group.comment_first:group.comment_last + 1]:
        line = line.strip()
        if line.startswith("/*"):
            line = line[2:]
        elif line.startswith("*"):
            line = line[1:]
        if line.endswith("*/"):
            line = line[:-2]
        out.append(line[1:] if line.startswith(" ") else line)
    return [l.rstrip() for l in out]
