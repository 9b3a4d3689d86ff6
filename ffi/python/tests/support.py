# SPDX-License-Identifier: Apache-2.0
"""What the tests share: the inputs named by the environment (see
tests/e2e/ffi_python.sh), with defaults for a run from the source tree."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import unittest

import casescribe

_HERE = os.path.dirname(os.path.abspath(__file__))
_SOURCE_DATA = os.path.normpath(os.path.join(_HERE, "..", "..", "..", "tests", "data"))

CS_FORM = os.environ.get("CS_FORM") or os.path.join(_SOURCE_DATA, "home-visit.xml")
CS_AUDIO = os.environ.get("CS_AUDIO") or \
    "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav"
CS_ASR = os.environ.get("CS_ASR")  # None: the library's installed helper
DATA_DIR = os.path.dirname(CS_FORM)

def review(at: str) -> str:
    """The attributes of a review made at `at`: a review is dated after the
    draft it checks was saved, so take `at` from now_utc() when reviewing."""
    return f'origin="ai-reviewed" reviewed-by="sw-017" reviewed-at="{at}" review="edited"'


def now_utc() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def form() -> bytes:
    return read(CS_FORM)


def statutory_form(source: bytes) -> bytes:
    """`source` made into a statutory-home-visit form: that template has no
    "observations" section, so only the worker's "analysis" is kept."""
    out = source.replace(b'template="statutory-home-visit"', b'template="statutory-home-visit"')
    return re.sub(rb'\s*<section id="observations".*?</section>', b"", out, flags=re.S)


class HomeTestCase(unittest.TestCase):
    """A fresh temporary folder per test; `self.open_home()` opens a Context
    in it (closed at the end of the test if the test did not)."""

    def setUp(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="cs-py-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def open_home(self, name: str = "home", keygen: bool = True) -> casescribe.Context:
        ctx = casescribe.Context(os.path.join(self.tmp, name), create=True, no_sync=True)
        self.addCleanup(lambda: ctx.closed or ctx.close())
        if keygen:
            ctx.keygen()
        return ctx

    def enable_ai(self, ctx: casescribe.Context) -> None:
        for feature in ("ai-draft", "transcription"):
            ctx.team_set("admin-1", "cin-north", feature, "on")
