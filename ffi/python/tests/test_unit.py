# SPDX-License-Identifier: Apache-2.0
"""Small checks of the binding: versions, constants, errors, handle life."""
from __future__ import annotations

import base64
import ctypes
import json
import os
import warnings

import casescribe
from casescribe import native

from .support import DATA_DIR, HomeTestCase, form, read


class VersionTest(HomeTestCase):
    def test_version_and_abi(self):
        self.assertRegex(casescribe.version(), r"^\d+\.\d+\.\d+")
        self.assertEqual(casescribe.abi_version(), native.ABI_VERSION)
        self.assertEqual(casescribe.abi_version(), casescribe.constant("ABI_VERSION"))

    def test_version_info(self):
        info = casescribe.version_info()
        self.assertEqual("%d.%d.%d" % (info.major, info.minor, info.patch), casescribe.version())
        self.assertEqual(casescribe.__version__, casescribe.version())
        self.assertEqual(info.version_num, casescribe.constant("VERSION_NUM"))
        self.assertEqual(info.abi_version, casescribe.abi_version())
        for feature in ("EMBEDDED_ENGINE", "REMOTE_ENGINES", "STORE_SQLITE", "ADAPTER_XML", "ADAPTER_FHIR"):
            self.assertTrue(info.has(feature), feature)
        self.assertEqual(ctypes.sizeof(native.LibraryInfo), casescribe.constant("LIBRARY_INFO_SIZE"))
        with self.assertRaises(casescribe.NotFoundError):
            info.has("NO_SUCH_FEATURE")

    def test_struct_sizes_match_the_library(self):
        for name, struct in (("CTX_OPTIONS_SIZE", native.CtxOptions), ("ACTOR_SIZE", native.Actor),
                             ("FETCH_OPTIONS_SIZE", native.FetchOptions),
                             ("TRANSCRIBE_OPTIONS_SIZE", native.TranscribeOptions),
                             ("FILL_OPTIONS_SIZE", native.FillOptions)):
            self.assertEqual(casescribe.constant(name), ctypes.sizeof(struct), name)
        # No size constant for the SAR options: its _init accepts only its own size.
        opts = native.SarOptions()
        self.assertEqual(native.lib.casescribe_sar_options_init(ctypes.byref(opts), ctypes.sizeof(opts)), 0)
        self.assertEqual(native.lib.casescribe_sar_options_init(ctypes.byref(opts), ctypes.sizeof(opts) - 8),
                         casescribe.constant("EINVAL"))


class ConstantsTest(HomeTestCase):
    def test_constants_by_name(self):
        self.assertEqual(casescribe.constant("OK"), 0)
        self.assertEqual(casescribe.constant("EVERIFY"), -10)
        self.assertEqual(casescribe.constant("OPEN_CREATE"), casescribe.OPEN_CREATE)
        self.assertEqual(casescribe.JobState.DONE, casescribe.constant("JOB_DONE"))
        self.assertEqual(casescribe.PolicyState.SIGNED, casescribe.constant("POLICY_SIGNED"))
        self.assertEqual(casescribe.constant("MAX_PAYLOAD"), 8 * 1024 * 1024)

    def test_unknown_constant(self):
        with self.assertRaises(casescribe.NotFoundError) as caught:
            casescribe.constant("NO_SUCH_THING")
        self.assertIn("NO_SUCH_THING", caught.exception.message)

    def test_strerror_and_names(self):
        self.assertEqual(casescribe.strerror(0), "success")
        self.assertIn("consent", casescribe.strerror(casescribe.constant("ECONSENT")))
        self.assertEqual(casescribe.strerror(-9999), "unknown status")
        self.assertEqual(casescribe.code_name(casescribe.constant("EREVIEW")), "EREVIEW")
        self.assertEqual(casescribe.code_name(-9999), "E-9999")


class ErrorTest(HomeTestCase):
    def test_error_carries_code_name_and_message(self):
        with self.assertRaises(casescribe.Error) as caught:
            casescribe.Record.open("<nope")
        e = caught.exception
        self.assertIsInstance(e, casescribe.ParseError)
        self.assertEqual(e.code, casescribe.constant("EPARSE"))
        self.assertEqual(e.name, "EPARSE")
        self.assertIn("not well-formed", e.message)
        self.assertIn("EPARSE", str(e))
        self.assertEqual(e.args, (e.code, e.name, e.message))

    def test_every_code_has_its_class(self):
        for name, cls in (("EINVAL", casescribe.InvalidArgumentError), ("EREVIEW", casescribe.ReviewError),
                          ("EVERIFY", casescribe.VerifyError), ("EKEY", casescribe.SigningKeyError),
                          ("EAUDIO", casescribe.AudioError), ("ECANCELLED", casescribe.CancelledError),
                          ("EUNTRUSTED", casescribe.UntrustedError)):
            exc = casescribe.errors.error(casescribe.constant(name), "m")
            self.assertIsInstance(exc, cls)
            self.assertEqual((exc.name, exc.message), (name, "m"))

    def test_hostile_input_is_refused(self):
        xxe = b'<?xml version="1.0"?><!DOCTYPE form [<!ENTITY x SYSTEM "file:///etc/passwd">]><form>&x;</form>'
        with self.assertRaises(casescribe.ParseError) as caught:
            casescribe.Record.open(xxe)
        self.assertNotIn("root:", caught.exception.message)

    def test_messages_are_per_thread(self):
        import threading
        seen = []
        t = threading.Thread(target=lambda: seen.append(casescribe.last_error()))
        try:
            casescribe.Record.open("<nope")
        except casescribe.ParseError:
            pass
        t.start()
        t.join()
        self.assertEqual(seen, [""])

    def test_errors_from_a_home(self):
        ctx = self.open_home()
        with self.assertRaises(casescribe.SigningKeyError):
            ctx.keygen()
        self.assertTrue(ctx.keygen(rotate=True).startswith("ed25519:"))
        with self.assertRaises(casescribe.InvalidArgumentError) as caught:
            ctx.team_set("admin-1", "cin-north", "audio-retention-days", "9999")
        self.assertIn("audio-retention-days", caught.exception.message)
        with self.assertRaises(casescribe.NotFoundError):
            ctx.team_set("admin-1", "cin-north", "no-such-feature", "on")
        with self.assertRaises(casescribe.PolicyError):  # ai-draft is off until switched on
            ctx.save(form(), "sw-017")
        with self.assertRaises(casescribe.NotFoundError):
            ctx.save(form(), "sw-017", adapter="no-such-adapter")
        with self.assertRaises(casescribe.NotFoundError):
            ctx.journal_entry(99)
        with self.assertRaises(casescribe.NotFoundError):
            ctx.template_find("no-such-template")
        with self.assertRaises(casescribe.UnstampedError):
            ctx.verify(form())

    def test_names_install(self):
        # the home's external names file: checked, signed, written; a file that is not one is refused
        ctx = self.open_home()
        with self.assertRaises(casescribe.SchemaError):
            ctx.names_install(b'<names xmlns="urn:casescribe:names:1"><questionnaire canonical="x"/></names>')
        self.assertFalse(os.path.exists(os.path.join(ctx.home, "names.xml")))
        ctx.names_install(b'<names xmlns="urn:casescribe:names:1" team="cin-north">'
                          b'<record-resource-id prefix="hl7:"/></names>')
        with open(os.path.join(ctx.home, "names.xml"), encoding="utf-8") as f:
            self.assertIn('<signature algorithm="ed25519"', f.read())

    def test_kept_jobs(self):
        ctx = self.open_home()
        self.assertEqual(ctx.job_list(), [])
        self.assertEqual(ctx.job_list_detail(), [])
        with self.assertRaises(casescribe.NotFoundError):
            ctx.job_attach("0" * 32)
        with self.assertRaises(casescribe.InvalidArgumentError):
            ctx.job_attach("not-a-job-id")

    def test_opening_a_missing_home(self):
        with self.assertRaises(casescribe.HomeIOError):
            casescribe.Context(os.path.join(self.tmp, "missing"))


class StampTest(HomeTestCase):
    """What a stamp says, through casescribe_record_stamp*."""

    def test_the_stamp_reads_without_parsing(self):
        ctx = self.open_home()
        ctx.team_set("admin-1", "cin-north", "ai-draft", "on")
        stamped = ctx.save(form(), "sw-017", role="social-worker")
        with casescribe.Record.open(stamped) as record:
            self.assertEqual(record.stamp("record"), "R-7001")
            self.assertEqual(record.stamp("version"), "1")
            self.assertIsNone(record.stamp("previous"))
            self.assertEqual(record.stamp("actor"), "sw-017")
            self.assertEqual(record.stamp("role"), "social-worker")
            self.assertEqual(record.stamp("policy-team"), "cin-north")
            self.assertTrue(record.stamp("policy-digest").startswith("sha256:"))
            with ctx.journal_entry(int(record.stamp("ledger-seq"))) as entry:
                self.assertEqual(entry.time, record.stamp("time"))
            self.assertIsNone(record.stamp("no-such-fact"))
            self.assertEqual(record.stamp_count("section"), len(record.sections))
            self.assertEqual(record.stamp_item("section", 0, "origin"), "ai-draft")
            self.assertEqual(record.stamp_item("section", 1, "origin"), "human")
            self.assertEqual(record.stamp_count("consent"), 1)
            self.assertEqual(record.stamp_item("consent", 0, "subject"), "P-2")
            self.assertEqual(record.stamp_item("consent", 0, "local-ai"), "allowed")
            self.assertEqual(record.stamp_count("earlier-engine"), 0)
            self.assertIsNone(record.stamp_item("section", 99, "id"))
        with casescribe.Record.open(form()) as record:
            self.assertIsNone(record.stamp("version"))
            self.assertEqual(record.stamp_count("section"), 0)


class HandleLifeTest(HomeTestCase):
    def test_context_closed_twice_and_used_after_close(self):
        ctx = self.open_home()
        home = ctx.home
        ctx.close()
        self.assertTrue(ctx.closed)
        with self.assertRaises(casescribe.ClosedError) as caught:
            ctx.close()
        self.assertEqual(caught.exception.code, casescribe.constant("EINVAL"))
        self.assertEqual(caught.exception.name, "EINVAL")
        with self.assertRaises(casescribe.ClosedError):
            ctx.save(form(), "sw-017")
        with self.assertRaises(casescribe.ClosedError):
            _ = ctx.home
        # reopening the same home works
        with casescribe.Context(home) as again:
            self.assertEqual(again.home, home)

    def test_with_block_closes_and_tolerates_an_early_close(self):
        with casescribe.Record.open(form()) as record:
            self.assertEqual(record.id, "R-7001")
            self.assertEqual(record.version, 0)  # not stamped
            self.assertIsNone(record.key_id)
        self.assertTrue(record.closed)
        with self.assertRaises(casescribe.ClosedError):
            _ = record.sections
        with casescribe.Record.open(form()) as record:
            record.close()  # __exit__ does not raise for this

    def test_an_unclosed_handle_is_freed_with_a_warning(self):
        record = casescribe.Record.open(form())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            del record
        self.assertTrue(any(issubclass(w.category, ResourceWarning) for w in caught))

    def test_wrong_handle_type_is_a_ctypes_error_not_a_crash(self):
        with casescribe.Record.open(form()) as record, record._use() as ptr:
            with self.assertRaises(ctypes.ArgumentError):
                native.lib.casescribe_ctx_home(ptr)


class StandaloneTest(HomeTestCase):
    """Calls that need no context."""

    def test_template_open(self):
        path = os.path.join(os.environ.get("CASESCRIBE_TEMPLATE_DIR", ""), "statutory-home-visit.xml")
        if not os.path.exists(path):
            self.skipTest("CASESCRIBE_TEMPLATE_DIR is not set")  # the e2e script always sets it
        with casescribe.Template.open(read(path)) as tpl:
            self.assertEqual(tpl.id, "statutory-home-visit")
            self.assertGreaterEqual(tpl.version, 1)
            self.assertTrue(tpl.title)
            analysis = [s for s in tpl.sections if s.id == "analysis"][0]
            self.assertEqual(analysis.ai, casescribe.AI_NEVER)
            self.assertFalse(analysis.ai_may_draft)
            self.assertTrue(analysis.prompts and analysis.guidance)
        with self.assertRaises(casescribe.SchemaError):
            casescribe.Template.open(b'<form xmlns="urn:casescribe:form:1"/>')

    def test_transcript_open_reads_another_programs_captions(self):
        vtt = b"WEBVTT\n\n00:00:01.000 --> 00:00:03.500\n<v Kerry Thompson>Come in, sorry about the mess.</v>\n"
        with casescribe.Transcript.open(vtt) as t:
            self.assertEqual(t.engine, "imported:webvtt")
            self.assertEqual(t.segment(0).start_ms, 1000)
            self.assertIn("Imported transcript", t.to_text())

    def test_transcript_open(self):
        with casescribe.Transcript.open(read(os.path.join(DATA_DIR, "statutory-visit-transcript.xml"))) as t:
            self.assertGreater(t.segment_count, 0)
            first = t.segment(0)
            self.assertTrue(first.words)
            self.assertLessEqual(first.start_ms, first.end_ms)
            self.assertEqual(t.engine, "fixture:corpus")
            self.assertIn("Machine transcript", t.to_text())
            with self.assertRaises(IndexError):
                t.segment(t.segment_count)
        with self.assertRaises(casescribe.ParseError):
            casescribe.Transcript.open(b"<transcript")

    def test_journal_recover(self):
        home = os.path.join(self.tmp, "home")
        with casescribe.Context(home, create=True, no_sync=True) as ctx:
            ctx.keygen()
        backup = os.path.join(self.tmp, "backup.db")
        with open(os.path.join(home, "ledger.db"), "rb") as src, open(backup, "wb") as dst:
            dst.write(src.read())
        report = casescribe.journal_recover(home, backup)
        self.assertIn("from the backup", report)
        self.assertTrue([n for n in os.listdir(home) if n.startswith("ledger.db.damaged-")])
        with self.assertRaises(casescribe.NotFoundError):
            casescribe.journal_recover(home, os.path.join(self.tmp, "none.db"))

    def test_store_admin_status(self):
        home = os.path.join(self.tmp, "home")
        with casescribe.Context(home, create=True, no_sync=True) as ctx:
            ctx.keygen()
        report = casescribe.store_admin(home, "status")
        self.assertIn("sqlite", report)
        self.assertIn("entries: 1", report)
        with self.assertRaises(casescribe.InvalidArgumentError):
            casescribe.store_admin(home, "nonsense")

    def test_verify_with_a_bad_key(self):
        with self.assertRaises(casescribe.Error):
            casescribe.verify_with_public_key(form(), b"not a key")

    def test_sar_verify_missing_zip(self):
        with self.assertRaises(casescribe.NotFoundError):
            casescribe.sar_verify(os.path.join(self.tmp, "missing.zip"))

    def test_bundle_sign_without_a_key(self):
        bundle = b'<bundle xmlns="urn:casescribe:policy:1" serial="1" issued-by="dpo-1" ' \
                 b'issued-at="2026-11-23T10:00:00Z"/>'
        with self.assertRaises(casescribe.Error) as caught:
            casescribe.policy_bundle_sign(bundle, os.path.join(self.tmp, "missing.key"))
        self.assertTrue(caught.exception.message)


class JwsTest(HomeTestCase):
    """Detached JSON Web Signatures (casescribe_jws_sign/_verify)."""

    def test_sign_and_verify(self):
        ctx = self.open_home(keygen=False)
        key_id = ctx.keygen()
        pem = ctx.public_key()
        payload = b'{"resourceType":"Provenance","target":[{"reference":"Composition/R-7001"}]}'
        jws = ctx.jws_sign(payload)
        header, detached, signature = jws.split(".")
        self.assertEqual(detached, "")  # the payload travels separately
        self.assertTrue(signature)
        self.assertEqual(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))),
                         {"alg": "EdDSA", "kid": key_id})
        self.assertIs(casescribe.jws_verify(jws, payload, pem), True)
        self.assertIs(casescribe.jws_verify(jws, payload.decode(), pem.encode()), True)  # str and bytes alike
        # an empty payload is a payload like any other
        self.assertTrue(casescribe.jws_verify(ctx.jws_sign(b""), b"", pem))

        changed = payload.replace(b"R-7001", b"R-7002")
        with self.assertRaises(casescribe.VerifyError) as caught:
            casescribe.jws_verify(jws, changed, pem)
        self.assertEqual(caught.exception.code, casescribe.constant("EVERIFY"))
        self.assertEqual(caught.exception.name, "EVERIFY")
        self.assertTrue(caught.exception.message)
        with self.assertRaises(casescribe.VerifyError):
            casescribe.jws_verify(jws, payload, self.open_home("other").public_key())

        for malformed in ("", "not a jws", header + "." + signature, jws + ".x", "%%%.." + signature):
            with self.assertRaises(casescribe.ParseError, msg=malformed) as caught:
                casescribe.jws_verify(malformed, payload, pem)
            self.assertEqual(caught.exception.code, casescribe.constant("EPARSE"))
        with self.assertRaises(casescribe.SigningKeyError):
            casescribe.jws_verify(jws, payload, b"not a key")

    def test_sign_needs_a_key_and_an_open_context(self):
        ctx = self.open_home(keygen=False)
        with self.assertRaises(casescribe.SigningKeyError):
            ctx.jws_sign(b"payload")
        ctx.close()
        with self.assertRaises(casescribe.ClosedError):
            ctx.jws_sign(b"payload")


class KeyRegistryTest(HomeTestCase):
    """The key registry (casescribe_keys_export, casescribe_key_trust)."""

    def test_rotation_history_and_trusted_keys(self):
        ctx = self.open_home(keygen=False)
        first = ctx.keygen()
        second = ctx.keygen(rotate=True)
        listing = ctx.keys_export(casescribe.KEYS_LIST).splitlines()
        self.assertEqual([line.split()[:2] for line in listing], [[first, "home"], [second, "home"]])
        self.assertIn(" retired ", listing[0])
        self.assertIn(" in-use ", listing[1])
        history = ctx.keys_export(casescribe.KEYS_HOME)
        self.assertEqual(history.count("BEGIN PUBLIC KEY"), 2)
        with ctx.journal_entry(2) as entry:
            self.assertEqual(entry.kind, "key")
        other = self.open_home("other")
        self.assertEqual(ctx.key_trust("dpo-1", other.public_key()), [other.keys_export(casescribe.KEYS_LIST).split()[0]])
        self.assertIn(" trusted ", ctx.keys_export(casescribe.KEYS_LIST))
        self.assertEqual(ctx.keys_export().count("BEGIN PUBLIC KEY"), 3)
        with self.assertRaises(casescribe.SigningKeyError):
            ctx.key_trust("dpo-1", b"not a key")
        with self.assertRaises(casescribe.InvalidArgumentError):
            ctx.keys_export(0x80)


class PolicyBundleTest(HomeTestCase):
    def test_trust_and_a_refresh_that_fails_changes_nothing(self):
        ctx = self.open_home()
        admin = self.open_home("admin")
        ctx.policy_trust("dpo-1", admin.public_key())
        with ctx.journal_entry(2) as entry:  # after the key's entry
            self.assertEqual(entry.kind, "policy-trust")
            self.assertEqual(entry.field("actor"), "dpo-1")
            self.assertTrue(entry.field("new").startswith("ed25519:"))
            self.assertEqual(entry.field("seq"), "2")
            self.assertIsNone(entry.field("no-such-field"))
            self.assertEqual(json.loads(entry.json)["new"], entry.field("new"))
        # Nothing listens on port 9: the job fails, the call itself does not.
        with ctx.policy_refresh("https://127.0.0.1:9/bundle.xml", connect_timeout_ms=2000, timeout_ms=3000) as job:
            self.assertEqual(job.kind, "policy-refresh")
            self.assertTrue(job.wait(60))
            self.assertEqual(job.state, casescribe.JobState.FAILED)
            self.assertEqual(job.status, casescribe.constant("ENETWORK"))
            self.assertTrue(job.message)
            with self.assertRaises(casescribe.NetworkError) as caught:
                job.result()
            self.assertEqual(caught.exception.message, job.message)
        self.assertEqual(ctx.team_list(), [])
        with self.assertRaises(casescribe.InvalidArgumentError):
            ctx.policy_refresh("http://example.org/plain-http.xml")

    def test_policy_getters(self):
        ctx = self.open_home()
        with ctx.team_policy("adults-south") as policy:
            self.assertEqual(policy.state, casescribe.PolicyState.DEFAULTS)
            self.assertEqual(policy.version, 0)
            self.assertIsNone(policy.digest)
            self.assertIsNone(policy.problem)
            self.assertFalse(policy.feature("ai-draft"))
            self.assertEqual(policy.setting("audio-retention-days"), "0")
            with self.assertRaises(casescribe.NotFoundError):
                policy.feature("no-such-feature")
        ctx.team_set("admin-1", "adults-south", "audio-retention-days", "30")
        with ctx.team_policy("adults-south") as policy:
            self.assertEqual(policy.team, "adults-south")
            self.assertEqual(policy.setting("audio-retention-days"), "30")
            self.assertEqual(policy.state, casescribe.PolicyState.SIGNED)
        self.assertEqual(ctx.team_list(), ["adults-south"])
        self.assertEqual(ctx.audio_sweep(), 0)
        self.assertEqual(ctx.journal_truncated_bytes, 0)


class TwoPhaseTest(HomeTestCase):
    """A host whose own commit failed after save(): with two_phase the next
    save from the confirmed version supersedes the version it never kept."""

    def test_confirm_head_and_a_failed_host_commit(self):
        ctx = casescribe.Context(os.path.join(self.tmp, "home"), create=True, no_sync=True, two_phase=True)
        self.addCleanup(lambda: ctx.closed or ctx.close())
        ctx.keygen()
        self.enable_ai(ctx)
        v1 = ctx.save(form(), "sw-017")
        ctx.save_confirm(v1)
        self.assertEqual(ctx.record_head("R-7001")[:2], (1, 1))
        v2 = ctx.save(v1.replace(b"check in with school", b"call the school"), "sw-017")  # the host's commit fails
        head = ctx.record_head("R-7001")
        self.assertEqual((head.version, head.confirmed), (2, 1))
        self.assertTrue(head.digest.startswith("sha256:"))
        v3 = ctx.save(v1.replace(b"check in with school", b"visit the school"), "sw-017")
        self.assertIn(b'version="3"', v3)
        self.assertIn("Abandoned version", ctx.verify(v2))
        with self.assertRaises(casescribe.ConflictError):
            ctx.save_confirm(v2)
        ctx.save_confirm(v3)
        self.assertEqual(ctx.record_head("R-7001")[:2], (3, 3))
        with self.assertRaises(casescribe.NotFoundError):
            ctx.record_head("R-unknown")
        with self.assertRaises(casescribe.UnstampedError):
            ctx.save_confirm(form())
