// SPDX-License-Identifier: Apache-2.0
// UnitTests.cs - small checks of the binding layer: errors, constants,
// versions, enum values, struct layouts, closed handles.
using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using CaseScribe;

namespace CaseScribe.Tests
{
    public static class UnitTests
    {
        [Test(1)]
        public static void VersionAndAbi()
        {
            Assert.True(Regex.IsMatch(Library.Version ?? "", @"^\d+\.\d+\.\d+"), "version looks like x.y.z: " + Library.Version);
            Assert.Equal(Library.BindingAbiVersion, Library.AbiVersion, "ABI version");
            Assert.Equal((long)Library.AbiVersion, Library.Constant("ABI_VERSION"), "ABI_VERSION constant");
        }

        [Test(14)]
        public static void VersionInfoNamesTheLibraryAndItsFeatures()
        {
            VersionInfo info = Library.GetVersionInfo();
            Assert.Equal(Library.Version, info.Major + "." + info.Minor + "." + info.Patch, "version numbers");
            Assert.Equal(Library.Constant("VERSION_NUM"), (long)info.VersionNum, "VERSION_NUM");
            Assert.Equal(Library.AbiVersion, info.AbiVersion, "ABI version");
            foreach (string feature in new[] { "EMBEDDED_ENGINE", "REMOTE_ENGINES", "STORE_SQLITE", "ADAPTER_XML", "ADAPTER_FHIR" })
                Assert.True(info.Has(feature), feature);
            Assert.Equal(Library.Constant("LIBRARY_INFO_SIZE"), (long)Marshal.SizeOf(typeof(NativeLibraryInfo)), "struct size");
            Assert.Throws(Status.ENOTFOUND, () => info.Has("NO_SUCH_FEATURE"), "unknown feature");
        }

        [Test(2)]
        public static void ErrorCarriesCodeNameAndMessage()
        {
            var e = Assert.Throws(Status.EPARSE, () => Record.Open(Env.Utf8("<nope")), "record_open on <nope");
            Assert.Equal(-4, e.Code, "EPARSE is -4 in the header");
            Assert.Equal("EPARSE", e.Name, "name");
            Assert.Contains("EPARSE", e.Message, "Message names the code");
            Assert.True(e.Detail.Length > 0, "the library's message is carried");
            Assert.True(e is Exception, "a .NET exception");
        }

        [Test(3)]
        public static void ConstantsByName()
        {
            Assert.Equal(-10L, Library.Constant("EVERIFY"), "EVERIFY");
            Assert.Equal((long)Status.EREVIEW, Library.Constant("EREVIEW"), "EREVIEW");
            foreach (string name in Status.Names)
                Assert.Equal(name, Status.Name((int)Library.Constant(name)), "status name round trip of " + name);
            Assert.Throws(Status.ENOTFOUND, () => Library.Constant("NO_SUCH_CONSTANT"), "unknown constant");
            Assert.Equal("E?(-999)", Status.Name(-999), "an unknown code");
        }

        [Test(4)]
        public static void StrError()
        {
            Assert.Equal("success", Library.StrError(Status.OK), "strerror(OK)");
            string text = Library.StrError(Status.EVERIFY);
            Assert.True(!string.IsNullOrEmpty(text) && text != "unknown status", "strerror(EVERIFY): " + text);
            Assert.Equal("unknown status", Library.StrError(12345), "strerror of an unknown code");
        }

        [Test(5)]
        public static void EnumsMatchTheLibrary()
        {
            Check("OPEN_CREATE", (long)OpenFlags.Create);
            Check("OPEN_NO_SYNC", (long)OpenFlags.NoSync);
            Check("OPEN_TWO_PHASE", (long)OpenFlags.TwoPhase);
            Check("KEYGEN_ROTATE", (long)KeygenFlags.Rotate);
            Check("KEYS_LIST", (long)KeysFlags.List);
            Check("KEYS_HOME", (long)KeysFlags.Home);
            Check("TRANSCRIBE_TAKE_RECORDING", (long)TranscribeFlags.TakeRecording);
            Check("FILL_STYLE_QUOTE", (long)FillStyle.Quote);
            Check("FILL_STYLE_REPORTED", (long)FillStyle.Reported);
            Check("JOB_QUEUED", (long)JobState.Queued);
            Check("JOB_RUNNING", (long)JobState.Running);
            Check("JOB_DONE", (long)JobState.Done);
            Check("JOB_FAILED", (long)JobState.Failed);
            Check("JOB_CANCELLED", (long)JobState.Cancelled);
            Check("TRANSCRIPT_TEXT", (long)TranscriptFormat.Text);
            Check("TRANSCRIPT_XML", (long)TranscriptFormat.Xml);
            Check("AI_NEVER", (long)AiUse.Never);
            Check("AI_DRAFT", (long)AiUse.Draft);
            Check("POLICY_DEFAULTS", (long)PolicyState.Defaults);
            Check("POLICY_SIGNED", (long)PolicyState.Signed);
            Check("POLICY_REFUSED", (long)PolicyState.Refused);
        }

        private static void Check(string name, long value)
        {
            Assert.Equal(Library.Constant(name), value, "enum value of " + name);
        }

        [Test(6)]
        public static void StructLayoutsMatchTheHeader()
        {
            // The library reports the sizes it was built with ...
            Size("CTX_OPTIONS_SIZE", typeof(NativeCtxOptions));
            Size("ACTOR_SIZE", typeof(NativeActor));
            Size("FETCH_OPTIONS_SIZE", typeof(NativeFetchOptions));
            Size("TRANSCRIBE_OPTIONS_SIZE", typeof(NativeTranscribeOptions));
            Size("FILL_OPTIONS_SIZE", typeof(NativeFillOptions));
            // ... and the test script measures all of them (sar_options too)
            // with the C compiler against the installed header.
            string measured = Environment.GetEnvironmentVariable("CS_C_SIZES");
            if (string.IsNullOrEmpty(measured)) {
                Console.WriteLine("  (CS_C_SIZES not set: sizes checked against the library's constants only)");
                return;
            }
            var types = new[] {
                Tuple.Create("ctx_options", typeof(NativeCtxOptions)), Tuple.Create("actor", typeof(NativeActor)),
                Tuple.Create("fetch_options", typeof(NativeFetchOptions)),
                Tuple.Create("transcribe_options", typeof(NativeTranscribeOptions)),
                Tuple.Create("fill_options", typeof(NativeFillOptions)), Tuple.Create("sar_options", typeof(NativeSarOptions)),
            };
            var sizes = measured.Split(' ').Where(s => s.Contains("="))
                .ToDictionary(s => s.Split('=')[0], s => int.Parse(s.Split('=')[1]));
            foreach (var t in types) {
                Assert.True(sizes.ContainsKey(t.Item1), "CS_C_SIZES lacks " + t.Item1);
                Assert.Equal(sizes[t.Item1], Marshal.SizeOf(t.Item2), "sizeof(casescribe_" + t.Item1 + ")");
            }
        }

        private static void Size(string constant, Type type)
        {
            Assert.Equal(Library.Constant(constant), (long)Marshal.SizeOf(type), constant);
        }

        [Test(7)]
        public static void ClosedObjectsRaiseTheBindingsError()
        {
            string form = File.ReadAllText(Env.Need("CS_FORM"));
            var record = Record.Open(Env.Utf8(form));
            Assert.Equal("R-7001", record.Id, "record id");
            Assert.Equal(0u, record.Version, "an unstamped form has version 0");
            record.Close();
            Assert.True(record.IsClosed, "IsClosed after Close");
            Assert.Throws(Status.EINVAL, () => record.Close(), "closing twice");
            Assert.Throws(Status.EINVAL, () => { var id = record.Id; }, "a getter after close");
            Assert.Throws(Status.EINVAL, () => { var s = record.Sections; }, "sections after close");
            record.Dispose(); // Dispose stays idempotent for using blocks
            using (var again = Record.Open(Env.Utf8(form)))
                Assert.Equal(2, again.Sections.Count, "sections of the form");
            // The library's export keeps its context: once the context is
            // closed, the export refuses instead of touching freed memory.
            string dir = Env.FreshDir("sar-after-close");
            var ctx = Context.Open(Path.Combine(dir, "home"), OpenFlags.Create | OpenFlags.NoSync);
            ctx.Keygen();
            var sar = ctx.OpenSar(new SarOptions { SubjectId = "P-2", OutputPath = Path.Combine(dir, "sar.zip") });
            ctx.Close();
            Assert.Throws(Status.EINVAL, () => ctx.SignJws(Env.Utf8(form)), "signing with a closed context");
            Assert.Throws(Status.EINVAL, () => sar.Add(Env.Utf8(form)), "an export after its context closed");
            Assert.Throws(Status.EINVAL, () => sar.Finish(), "finishing after the context closed");
            sar.Close();
        }

        [Test(8)]
        public static void InputsAreCheckedByTheLibrary()
        {
            Assert.Throws(Status.EPARSE, () => Template.Open(Env.Utf8("<template")), "template_open on bad XML");
            Assert.Throws(Status.EPARSE, () => Transcript.Open(Env.Utf8("not xml")), "transcript_open on bad XML");
            Assert.Throws(Status.EKEY, () => Library.VerifyWithPublicKey("not a key", Env.Utf8("<x")), "verify with a bad key");
            Assert.Throws(Status.ENOTFOUND, () => SarExport.Verify("/nonexistent/sar.zip", null), "sar_verify without a file");
            try {
                Policy.SignBundle(Env.Utf8("<bundle/>"), "/nonexistent/admin.pem");
                throw new AssertionFailed("signing with a missing key succeeded");
            } catch (CaseScribeException ex) {
                Assert.True(ex.Code < 0 && ex.Detail.Length > 0, "bundle_sign error carries code and message: " + ex.Message);
            }
            // a template from the installed folder, read from memory
            string dir = Env.Need("CASESCRIBE_TEMPLATE_DIR");
            using (var t = Template.Open(File.ReadAllBytes(Path.Combine(dir, "statutory-home-visit.xml")))) {
                Assert.Equal("statutory-home-visit", t.Id, "template id");
                Assert.True(t.Version >= 1 && !string.IsNullOrEmpty(t.Title), "template version and title");
                var analysis = t.Sections.Single(s => s.Id == "analysis");
                Assert.Equal(AiUse.Never, analysis.Ai, "analysis is never drafted");
                Assert.True(analysis.Prompts.Count > 0 && analysis.Guidance.Length > 0, "prompts and guidance");
            }
        }

        [Test(9)]
        public static void HomeHousekeepingAndPolicyBundles()
        {
            string dir = Env.FreshDir("housekeeping");
            try {
                using (var ctx = Context.Open(Path.Combine(dir, "home"), OpenFlags.Create | OpenFlags.NoSync)) {
                    Assert.Throws(Status.EKEY, () => ctx.PublicKey(), "public key before keygen");
                    string keyId = ctx.Keygen();
                    Assert.True(!string.IsNullOrEmpty(keyId), "key id");
                    Assert.Throws(Status.EKEY, () => ctx.Keygen(), "a second keygen without Rotate");
                    string rotated = ctx.Keygen(KeygenFlags.Rotate);
                    Assert.True(rotated != keyId, "rotation makes a new key");
                    string[] keys = ctx.KeysExport(KeysFlags.List).Trim().Split('\n');
                    Assert.Equal(2, keys.Length, "the registry holds both keys");
                    Assert.True(keys[0].StartsWith(keyId + " home ") && keys[0].Contains(" retired "), keys[0]);
                    Assert.True(keys[1].StartsWith(rotated + " home ") && keys[1].Contains(" in-use "), keys[1]);
                    Assert.Equal(2, ctx.KeysExport(KeysFlags.Home).Split(new[] { "BEGIN PUBLIC KEY" }, StringSplitOptions.None).Length - 1, "the key history");
                    using (var other = Context.Open(Path.Combine(dir, "other"), OpenFlags.Create | OpenFlags.NoSync)) {
                        string otherId = other.Keygen();
                        string[] trusted = ctx.KeyTrust("dpo-1", other.PublicKey());
                        Assert.True(trusted.Length == 1 && trusted[0] == otherId, "the trusted key's id");
                    }
                    Assert.True(ctx.KeysExport(KeysFlags.List).Contains(" trusted "), "the trusted key is listed");
                    Assert.Throws(Status.EKEY, () => ctx.KeyTrust("dpo-1", "not a key"), "a non-key is refused");
                    Assert.Equal(0UL, ctx.JournalTruncatedBytes, "no torn journal tail");
                    Assert.Equal(0u, ctx.AudioSweep(), "nothing to sweep");
                    Assert.Equal(0, ctx.TeamList().Length, "no teams yet");
                    using (var p = ctx.TeamPolicy("never-configured")) {
                        Assert.Equal(PolicyState.Defaults, p.State, "a team never configured runs on defaults");
                        Assert.Equal(0u, p.Version, "defaults are version 0");
                        Assert.True(p.Digest == null && p.Problem == null, "no digest or problem for defaults");
                        Assert.True(!p.IsOn("ai-draft"), "ai-draft off by default");
                        Assert.Equal("0", p.Setting("audio-retention-days"), "retention default");
                        Assert.Throws(Status.ENOTFOUND, () => p.IsOn("no-such-feature"), "unknown feature");
                    }
                    Assert.Throws(Status.EINVAL, () => ctx.TeamSet("admin-1", "cin-north", "ai-draft", "maybe"), "bad value");
                    // Trusting our own public key as an admin key is enough to exercise the call.
                    ctx.PolicyTrust("admin-1", ctx.PublicKey());
                    // A refresh from a port nobody listens on: the job fails, nothing changes.
                    using (var job = ctx.PolicyRefresh(new FetchOptions {
                        Url = "https://127.0.0.1:9/bundle.xml", ConnectTimeoutMs = 2000, TimeoutMs = 4000 })) {
                        Assert.True(job.Wait(60000), "refresh job ends");
                        Assert.Equal(JobState.Failed, job.State, "refresh from nowhere fails");
                        Assert.Equal(Status.ENETWORK, job.Status, "with ENETWORK");
                        Assert.True(!string.IsNullOrEmpty(job.Message), "and a message");
                        Assert.Throws(Status.ENETWORK, () => job.Result(), "no result from a failed job");
                        Assert.Throws(Status.EINVAL, () => job.Transcript(), "a policy refresh has no transcript (EINVAL, whatever its state)");
                    }
                }
            } finally {
                Directory.Delete(dir, true);
            }
        }

        [Test(11)]
        public static void KeptJobs()
        {
            string dir = Env.FreshDir("jobs");
            try {
                using (var ctx = Context.Open(Path.Combine(dir, "home"), OpenFlags.Create | OpenFlags.NoSync)) {
                    Assert.Equal(0, ctx.ListJobs().Length, "no kept jobs on a new home");
                    Assert.Equal(0, ctx.ListJobsDetail().Length, "no kept jobs on a new home");
                    Assert.Throws(Status.ENOTFOUND, () => ctx.AttachJob(new string('0', 32)), "an id no job has");
                    Assert.Throws(Status.EINVAL, () => ctx.AttachJob("not-a-job-id"), "not an id");
                    using (var job = ctx.PolicyRefresh(new FetchOptions {
                        Url = "https://127.0.0.1:9/bundle.xml", ConnectTimeoutMs = 2000, TimeoutMs = 4000 })) {
                        Assert.True(job.Id == null, "a policy refresh is not kept");
                        job.Wait(60000);
                    }
                }
            } finally {
                Directory.Delete(dir, true);
            }
        }

        [Test(12)]
        public static void StoreAdminStatus()
        {
            string dir = Env.FreshDir("store");
            try {
                string home = Path.Combine(dir, "home");
                using (var ctx = Context.Open(home, OpenFlags.Create | OpenFlags.NoSync))
                    ctx.Keygen();
                string report = Library.StoreAdmin(home, "status");
                Assert.True(report.Contains("sqlite") && report.Contains("entries: 1"), "the report: " + report);
                Assert.Throws(Status.EINVAL, () => Library.StoreAdmin(home, "nonsense"), "an unknown command");
            } finally {
                Directory.Delete(dir, true);
            }
        }

        [Test(12)]
        public static void JournalRecoverFromABackup()
        {
            string dir = Env.FreshDir("recover");
            try {
                string home = Path.Combine(dir, "home"), backup = Path.Combine(dir, "backup.db");
                using (var ctx = Context.Open(home, OpenFlags.Create | OpenFlags.NoSync))
                    ctx.Keygen();
                File.Copy(Path.Combine(home, "ledger.db"), backup);
                string report = Library.JournalRecover(home, backup);
                Assert.True(report.Contains("from the backup"), "the report: " + report);
                Assert.True(Directory.GetFiles(home, "ledger.db.damaged-*").Length == 1, "the damaged ledger is kept");
                Assert.Throws(Status.ENOTFOUND, () => Library.JournalRecover(home, Path.Combine(dir, "none.db")), "no backup");
            } finally {
                Directory.Delete(dir, true);
            }
        }

        [Test(10)]
        public static void JwsSignAndVerify()
        {
            string dir = Env.FreshDir("jws");
            try {
                using (var ctx = Context.Open(Path.Combine(dir, "home"), OpenFlags.Create | OpenFlags.NoSync))
                using (var other = Context.Open(Path.Combine(dir, "other"), OpenFlags.Create | OpenFlags.NoSync)) {
                    Assert.Throws(Status.EKEY, () => ctx.SignJws(Env.Utf8("no key yet")), "signing before keygen");
                    string keyId = ctx.Keygen();
                    other.Keygen();
                    string pem = ctx.PublicKey();
                    byte[] payload = Env.Utf8("{\"resourceType\":\"Provenance\",\"target\":[{\"reference\":\"Composition/R-7001\"}]}");
                    string jws = ctx.SignJws(payload);
                    string[] parts = jws.Split('.');
                    Assert.Equal(3, parts.Length, "HEADER..SIGNATURE: " + jws);
                    Assert.Equal("", parts[1], "the payload is detached");
                    string b64 = parts[0].Replace('-', '+').Replace('_', '/');
                    b64 = b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=');
                    Assert.Equal("{\"alg\":\"EdDSA\",\"kid\":\"" + keyId + "\"}", Env.Text(Convert.FromBase64String(b64)),
                        "the protected header");
                    Library.VerifyJws(jws, pem, payload);
                    Library.VerifyJws(ctx.SignJws(new byte[0]), pem, new byte[0]);

                    byte[] changed = Env.Utf8(Env.Text(payload).Replace("R-7001", "R-7002"));
                    Assert.Throws(Status.EVERIFY, () => Library.VerifyJws(jws, pem, changed), "a changed payload");
                    Assert.Throws(Status.EVERIFY, () => Library.VerifyJws(jws, other.PublicKey(), payload), "another home's key");
                    foreach (string malformed in new[] { "", "not a jws", parts[0] + "." + parts[2], jws + ".x", "%%%.." + parts[2] })
                        Assert.Throws(Status.EPARSE, () => Library.VerifyJws(malformed, pem, payload), "malformed JWS <" + malformed + ">");
                    Assert.Throws(Status.EKEY, () => Library.VerifyJws(jws, "not a key", payload), "a PEM that is no key");
                }
            } finally {
                Directory.Delete(dir, true);
            }
        }

        [Test(13)]
        public static void TwoPhaseSavesConfirmAndSupersedeAFailedHostCommit()
        {
            string dir = Env.FreshDir("two-phase");
            try {
                using (var ctx = Context.Open(Path.Combine(dir, "home"),
                           OpenFlags.Create | OpenFlags.NoSync | OpenFlags.TwoPhase)) {
                    ctx.Keygen();
                    ctx.TeamSet("admin-1", "cin-north", "ai-draft", "on");
                    var actor = new Actor("sw-017");
                    byte[] v1 = ctx.Save(Env.Utf8(File.ReadAllText(Env.Need("CS_FORM"))), actor);
                    ctx.SaveConfirm(v1);
                    Assert.Equal(1u, ctx.RecordHead("R-7001").Confirmed, "v1 confirmed");
                    string text = Env.Text(v1);
                    byte[] v2 = ctx.Save(Env.Utf8(text.Replace("check in with school", "call the school")), actor);
                    var head = ctx.RecordHead("R-7001");
                    Assert.Equal(2u, head.Version, "v2 pending");
                    Assert.Equal(1u, head.Confirmed, "v2 not confirmed");
                    Assert.True(head.Digest.StartsWith("sha256:"), "the head's digest");
                    byte[] v3 = ctx.Save(Env.Utf8(text.Replace("check in with school", "visit the school")), actor);
                    Assert.Contains("version=\"3\"", Env.Text(v3), "the next save from v1 is version 3");
                    Assert.Contains("Abandoned version", ctx.Verify(v2), "verify of the abandoned copy");
                    Assert.Throws(Status.ECONFLICT, () => ctx.SaveConfirm(v2), "confirming an abandoned version");
                    ctx.SaveConfirm(v3);
                    Assert.Equal(3u, ctx.RecordHead("R-7001").Confirmed, "v3 confirmed");
                    Assert.Throws(Status.ENOTFOUND, () => ctx.RecordHead("R-unknown"), "an unknown record");
                }
            } finally {
                Directory.Delete(dir, true);
            }
        }
    }
}
