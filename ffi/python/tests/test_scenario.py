# SPDX-License-Identifier: Apache-2.0
"""The end-to-end scenario every binding runs against the real library
(issue 8, steps a-l): policy, save, review gate, verify, tamper, journal,
transcription with a callback, cancel, fill, subject access export, close."""
from __future__ import annotations

import os
import threading
import time

import casescribe
from casescribe import JobState

from .support import CS_ASR, CS_AUDIO, DATA_DIR, HomeTestCase, form, now_utc, read, review, statutory_form

JOB_LIMIT = 120.0  # seconds, for any one job


class ScenarioTest(HomeTestCase):
    def test_scenario(self):
        # a. a fresh home, and its signing key
        ctx = casescribe.Context(os.path.join(self.tmp, "home"), create=True, no_sync=True)
        self.addCleanup(lambda: ctx.closed or ctx.close())  # when a step fails
        key_id = ctx.keygen()
        self.assertTrue(key_id.startswith("ed25519:"))
        self.assertEqual(ctx.home, os.path.join(self.tmp, "home"))

        self.step_b_policy(ctx)
        v1 = self.step_c_save(ctx, key_id)
        final = self.step_d_review_gate(ctx, v1)
        v2 = self.step_e_reviewed_save(ctx, final)
        self.step_f_verify(ctx, v2)
        self.step_g_journal(ctx)
        job, transcript = self.step_h_transcribe(ctx)
        self.step_i_cancel(ctx)
        self.step_j_fill(ctx, transcript)
        self.step_k_sar(ctx, v2)

        # l. close; closing again, or using it, raises the binding's error
        ctx.close()
        with self.assertRaises(casescribe.ClosedError) as caught:
            ctx.close()
        self.assertEqual(caught.exception.code, casescribe.constant("EINVAL"))
        with self.assertRaises(casescribe.ClosedError):
            ctx.verify(v2)
        # job and transcript handles outlive their context
        self.assertEqual(job.state, JobState.DONE)
        self.assertGreater(transcript.segment_count, 0)
        transcript.close()
        job.close()
        with self.assertRaises(casescribe.ClosedError):
            job.close()

    def step_b_policy(self, ctx):
        for feature in ("ai-draft", "transcription"):
            ctx.team_set("admin-1", "cin-north", feature, "on")
        with ctx.team_policy("cin-north") as policy:
            self.assertEqual(policy.team, "cin-north")
            self.assertTrue(policy.feature("ai-draft"))
            self.assertTrue(policy.feature("transcription"))
            self.assertFalse(policy.feature("external-ai"))
            self.assertEqual(policy.setting("ai-draft"), "on")
            self.assertEqual(policy.setting("engine"), "embedded")
            self.assertEqual(policy.state, casescribe.PolicyState.SIGNED)
            self.assertEqual(policy.version, 2)
            self.assertTrue(policy.digest.startswith("sha256:"))
            self.assertIsNone(policy.problem)
        self.assertEqual(ctx.team_list(), ["cin-north"])

    def step_c_save(self, ctx, key_id):
        v1 = ctx.save(form(), "sw-017", role="social-worker")
        self.assertIn(b'<provenance record="R-7001" version="1"', v1)
        with casescribe.Record.open(v1) as record:
            self.assertEqual(record.id, "R-7001")
            self.assertEqual(record.version, 1)
            self.assertEqual(record.team, "cin-north")
            self.assertEqual(record.author, "sw-017")
            self.assertFalse(record.is_final)
            self.assertEqual(record.key_id, key_id)
            sections = {s.id: s for s in record.sections}
            self.assertEqual({k: s.origin for k, s in sections.items()},
                             {"observations": "ai-draft", "analysis": "human"})
            self.assertEqual(sections["observations"].engine, "embedded:pocketsphinx")
            self.assertEqual(sections["observations"].model, "en-us")
            self.assertIn("family support worker", sections["observations"].text)
            self.assertIsNone(sections["analysis"].reviewer)
        return v1

    def step_d_review_gate(self, ctx, v1):
        final = v1.replace(b'author="sw-017"', b'author="sw-017" final="true"')
        with self.assertRaises(casescribe.ReviewError) as caught:
            ctx.save(final, "sw-017", role="social-worker")
        e = caught.exception
        self.assertEqual(e.code, casescribe.constant("EREVIEW"))
        self.assertEqual(e.name, "EREVIEW")
        self.assertIn("observations", e.message)
        return final

    def step_e_reviewed_save(self, ctx, final):
        # Only the section's attribute: the provenance quotes the old origin too.
        at = now_utc()
        reviewed = final.replace(b'<section id="observations" origin="ai-draft"',
                                 b'<section id="observations" ' + review(at).encode())
        v2 = ctx.save(reviewed, "sw-017", role="social-worker")
        with casescribe.Record.open(v2) as record:
            self.assertEqual(record.version, 2)
            self.assertTrue(record.is_final)
            observations = [s for s in record.sections if s.id == "observations"][0]
            self.assertEqual((observations.origin, observations.reviewer, observations.review),
                             ("ai-reviewed", "sw-017", "edited"))
            self.assertEqual(observations.reviewed_at, at)
        self.assertIn(b'version="2" previous="sha256:', v2)
        return v2

    def step_f_verify(self, ctx, v2):
        report = ctx.verify(v2)
        self.assertIn("VERIFIED", report)
        self.assertIn("checked and changed by sw-017", report)
        pem = ctx.public_key()
        self.assertIn("BEGIN PUBLIC KEY", pem)
        self.assertIn("VERIFIED", casescribe.verify_with_public_key(v2, pem))
        self.assertIn("the ledger holds it", ctx.journal_check(v2))
        tampered = v2.replace(b"family support worker", b"family friend")
        with self.assertRaises(casescribe.VerifyError) as caught:
            ctx.verify(tampered)
        self.assertEqual(caught.exception.code, casescribe.constant("EVERIFY"))
        self.assertIn("text changed", caught.exception.report)
        with self.assertRaises(casescribe.VerifyError):
            casescribe.verify_with_public_key(tampered, pem)

    def step_g_journal(self, ctx):
        checked = ctx.journal_verify()
        self.assertEqual(checked.entries, 5)  # the key, two policy changes, two saves
        self.assertTrue(checked.report)
        with ctx.journal_entry(1) as entry:
            self.assertEqual(entry.kind, "key")
        with ctx.journal_entry(2) as entry:
            self.assertEqual(entry.seq, 2)
            self.assertEqual(entry.kind, "policy")
            self.assertEqual(entry.actor_id, "admin-1")
            self.assertRegex(entry.time, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        with ctx.journal_entry(5) as entry:
            self.assertEqual((entry.kind, entry.record_id, entry.record_version, entry.actor_id),
                             ("save", "R-7001", 2, "sw-017"))
            self.assertTrue(entry.record_digest.startswith("sha256:"))
        checkpoint = ctx.checkpoint_export()
        self.assertTrue(checkpoint.startswith("casescribe/"))
        self.assertIn("\n5\n", checkpoint)
        self.assertIn("the ledger holds it", ctx.journal_check(checkpoint.encode()))
        with self.assertRaises(casescribe.VerifyError):
            ctx.journal_check(checkpoint.replace("\n5\n", "\n6\n").encode())

    def step_h_transcribe(self, ctx):
        calls = []
        called = threading.Event()

        def on_end(job):
            # Runs on a library worker thread.
            calls.append((threading.get_ident(), job.state))
            called.set()

        job = ctx.transcribe(form(), CS_AUDIO, helper_path=CS_ASR, parallel=2)
        self.assertEqual(job.kind, "transcription")
        job.on_end(on_end)
        deadline = time.monotonic() + JOB_LIMIT
        while job.state not in (JobState.DONE, JobState.FAILED, JobState.CANCELLED):
            self.assertLess(time.monotonic(), deadline, "transcription did not end in time")
            job.wait(1.0)
        self.assertEqual(job.status, 0, job.message)
        self.assertIsNone(job.message)
        job.raise_for_status()
        done, total = job.progress  # milliseconds of the recording, all of it done
        self.assertGreater(total, 1000)
        self.assertEqual(done, total)
        # The callback runs just after waiters are woken: give it a moment.
        self.assertTrue(called.wait(10), "the on-end callback was not called")
        self.assertEqual(len(calls), 1)
        self.assertEqual(calls[0][1], JobState.DONE)
        self.assertIsNone(job.callback_error)

        transcript = job.transcript()
        self.assertGreater(transcript.segment_count, 0)
        words = [w for seg in transcript.segments for w in seg.words]
        self.assertTrue(words)
        self.assertTrue(all(w.start_ms <= w.end_ms for w in words))
        self.assertEqual(transcript.engine, "embedded:pocketsphinx")
        self.assertTrue(transcript.model and transcript.engine_version and transcript.settings)
        text = transcript.to_text()
        self.assertTrue(text.startswith("Machine transcript"), text)
        with casescribe.Transcript.open(transcript.to_xml()) as again:
            self.assertEqual(again.segment_count, transcript.segment_count)
        with self.assertRaises(casescribe.InvalidArgumentError):
            job.draft()  # not a fill job
        # registering after the end calls the new callback at once, here
        late = []
        job.on_end(lambda j: late.append(threading.get_ident()))
        self.assertEqual(late, [threading.get_ident()])
        self.assertEqual(len(calls), 1)
        return job, transcript

    def step_i_cancel(self, ctx):
        with ctx.transcribe(form(), CS_AUDIO, helper_path=CS_ASR, parallel=2) as job:
            job.cancel()
            self.assertTrue(job.wait(JOB_LIMIT), "a cancelled job did not end")
            # a race: the job may have finished before it saw the cancel
            self.assertIn(job.state, (JobState.CANCELLED, JobState.DONE))
            if job.state == JobState.CANCELLED:
                self.assertEqual(job.status, casescribe.constant("ECANCELLED"))
                with self.assertRaises(casescribe.CancelledError):
                    job.transcript()

    def step_j_fill(self, ctx, transcript):
        self.assertIn("statutory-home-visit", ctx.template_list())
        with ctx.template_find("statutory-home-visit") as template:
            self.assertEqual(template.id, "statutory-home-visit")
            ai = {s.id: s.ai for s in template.sections}
            self.assertEqual(ai["analysis"], casescribe.AI_NEVER)
            self.assertEqual(ai["present"], casescribe.AI_DRAFT)

            # From the recording of step h (a novel: it may match no section).
            with ctx.fill(statutory_form(form()), template, transcript) as job:
                self.assertEqual(job.kind, "fill")
                self.assertTrue(job.wait(JOB_LIMIT))
                self.assertEqual(job.state, JobState.DONE, job.message)
                self.assertIn("drafted by", job.result())
                draft = job.draft()
                self.assertIn(b'template="statutory-home-visit"', draft)

            # From a visit transcript that does match: drafted, cited, saved.
            visit = read(os.path.join(DATA_DIR, "statutory-visit.xml"))
            with casescribe.Transcript.open(read(os.path.join(DATA_DIR, "statutory-visit-transcript.xml"))) as t:
                job = ctx.fill(visit, template, t)
                # The record style: each speaker's line as reported speech.
                reported = ctx.fill(visit, template, t, style=casescribe.FILL_STYLE_REPORTED)
            with reported:
                self.assertTrue(reported.wait(JOB_LIMIT))
                self.assertIn(b">Kerry said ", reported.draft())
            with job:
                self.assertTrue(job.wait(JOB_LIMIT))
                job.raise_for_status()
                draft = job.draft()
        self.assertNotIn(b">Kerry said ", draft)
        self.assertIn(b'origin="ai-draft"', draft)
        self.assertIn(b"<cite ", draft)
        self.assertIn(b'<section id="analysis" origin="human"></section>', draft)
        self.assertIn(b'version="1"', ctx.save(draft, "sw-017"))

    def step_k_sar(self, ctx, v2):
        out = os.path.join(self.tmp, "sar-P-2.zip")
        review = os.path.join(self.tmp, "redaction-review.csv")
        with ctx.sar_open("P-2", out, review_path=review, organisation="Northshire County Council") as sar:
            sar.add(v2)
            summary = sar.finish()
            with self.assertRaises(casescribe.InvalidArgumentError):
                sar.finish()  # already finished
        self.assertIn("records: 1", summary)
        self.assertTrue(os.path.exists(out) and os.path.exists(review))
        report = casescribe.sar_verify(out, ctx.public_key())
        fingerprint = casescribe.public_key_fingerprint(ctx.public_key())
        self.assertIn(fingerprint, report)
        # Without the council's key: never a pass, and the report says so.
        with self.assertRaises(casescribe.UntrustedError) as untrusted:
            casescribe.sar_verify(out)
        self.assertIn("NOT PROVEN", untrusted.exception.report)
        # Someone else's key: the signature does not verify.
        with casescribe.Context(os.path.join(self.tmp, "other"), create=True, no_sync=True) as other:
            other.keygen()
            with self.assertRaises(casescribe.VerifyError) as caught:
                casescribe.sar_verify(out, other.public_key())
            self.assertTrue(caught.exception.report)
