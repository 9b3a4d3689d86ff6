#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""CaseScribe from Python: what a case management system does around its
"save" button. Open a home, make a key, switch AI drafting on for a team,
save a visit form with an AI-drafted section, see the final save refused
until a person has reviewed it, verify the stamped record with the public
key alone, and export the person's records for a subject access request.

    PYTHONPATH=ffi/python CS_LIB=/usr/local/lib/libcasescribe.so \
        python3 examples/python/example.py /tmp/cs-home tests/data/home-visit.xml /tmp

Arguments: the home folder (made if missing), a visit form, and the folder
for the subject access export (default: the current folder).
"""
import os
import sys
import time

import casescribe


def main(home, form_path, out_dir="."):
    with open(form_path, "rb") as f:
        form = f.read()

    # One Context per process, shared by every thread; `with` closes it.
    with casescribe.Context(home, create=True) as ctx:
        try:
            print("made key", ctx.keygen())
        except casescribe.SigningKeyError:
            pass  # the home has its key already: keep it

        # An admin's one-off step: the team's policy must allow AI drafts.
        ctx.team_set("admin-1", "cin-north", "ai-draft", "on")

        # The hook: every save goes through the library. Store what it
        # returns (the stamped record) and send it back on the next save.
        v1 = ctx.save(form, "sw-017", role="social-worker")

        # Marking the record final is refused while AI text is unreviewed;
        # the exception names the section.
        final = v1.replace(b'author="sw-017"', b'author="sw-017" final="true"')
        try:
            ctx.save(final, "sw-017", role="social-worker")
        except casescribe.ReviewError as e:
            print("refused, as it must be:", e.message)

        # The worker reviews and edits the draft; the form says so, and when
        # (after the draft was saved).
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()).encode()
        reviewed = final.replace(
            b'<section id="observations" origin="ai-draft"',
            b'<section id="observations" origin="ai-reviewed" reviewed-by="sw-017" '
            b'reviewed-at="' + at + b'" review="edited"')
        v2 = ctx.save(reviewed, "sw-017", role="social-worker")

        # Anyone with the public key can check the record, offline.
        pem = ctx.public_key()
        print(casescribe.verify_with_public_key(v2, pem))
        try:
            casescribe.verify_with_public_key(v2.replace(b"Tuesdays", b"Fridays"), pem)
        except casescribe.VerifyError as e:
            print("a changed copy is caught:", e.message)  # e.report has the whole report

        # Subject access request: stream the person's records into a signed ZIP.
        zip_path = os.path.join(out_dir, "sar-P-2.zip")
        with ctx.sar_open("P-2", zip_path, organisation="Northshire County Council") as sar:
            sar.add(v2)
            print(sar.finish())
        print(casescribe.sar_verify(zip_path, pem).splitlines()[-1])


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: example.py HOME FORM.xml [EXPORT_DIR]")
    try:
        main(*sys.argv[1:])
    except casescribe.Error as e:
        sys.exit("casescribe: %s" % e)
