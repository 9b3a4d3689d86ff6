// SPDX-License-Identifier: Apache-2.0
// ScenarioTests.cs - the end-to-end scenario every binding runs against the
// real library, and one context shared by several threads.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using CaseScribe;

namespace CaseScribe.Tests
{
    public static class ScenarioTests
    {
        private const string Team = "cin-north";

        private static void Step(string name)
        {
            Console.WriteLine("  step " + name);
        }

        [Test(20)]
        public static void EndToEndScenario()
        {
            byte[] form = File.ReadAllBytes(Env.Need("CS_FORM"));
            string audio = Env.Need("CS_AUDIO");
            string asr = Env.Need("CS_ASR");
            string templateDir = Env.Need("CASESCRIBE_TEMPLATE_DIR");
            Assert.True(File.Exists(audio), "CS_AUDIO exists: " + audio);
            Assert.True(Directory.Exists(templateDir), "CASESCRIBE_TEMPLATE_DIR exists: " + templateDir);
            string dir = Env.FreshDir("scenario");
            var actor = new Actor("sw-017", "social-worker");
            try {
                Step("a. open a fresh home, keygen");
                var ctx = Context.Open(Path.Combine(dir, "home"), OpenFlags.Create | OpenFlags.NoSync);
                Assert.Equal(Path.Combine(dir, "home"), ctx.Home, "home");
                string keyId = ctx.Keygen();
                Assert.True(!string.IsNullOrEmpty(keyId), "key id");

                Step("b. switch ai-draft and transcription on, read the policy back");
                ctx.TeamSet("admin-1", Team, "ai-draft", "on");
                ctx.TeamSet("admin-1", Team, "transcription", "on");
                using (var policy = ctx.TeamPolicy(Team)) {
                    Assert.Equal(Team, policy.Team, "policy team");
                    Assert.Equal(PolicyState.Signed, policy.State, "policy state");
                    Assert.Equal(2u, policy.Version, "two changes, version 2");
                    Assert.True(policy.IsOn("ai-draft") && policy.IsOn("transcription"), "both features on");
                    Assert.True(!policy.IsOn("external-ai"), "external-ai still off");
                    Assert.Equal("on", policy.Setting("ai-draft"), "setting as text");
                    Assert.Contains("sha256:", policy.Digest, "policy digest");
                    Assert.True(policy.Problem == null, "no problem");
                }
                Assert.True(ctx.TeamList().SequenceEqual(new[] { Team }), "team list");

                Step("c. save the form, inspect the stamped record");
                byte[] v1 = ctx.Save(form, actor);
                using (var record = Record.Open(v1)) {
                    Assert.Equal("R-7001", record.Id, "record id");
                    Assert.Equal(1u, record.Version, "version 1");
                    Assert.Equal(Team, record.Team, "team");
                    Assert.Equal("sw-017", record.Author, "author");
                    Assert.True(!record.IsFinal, "not final");
                    Assert.Equal(keyId, record.KeyId, "signed by the new key");
                    var sections = record.Sections;
                    Assert.Equal(2, sections.Count, "two sections");
                    Assert.Equal("observations", sections[0].Id, "first section");
                    Assert.Equal("ai-draft", sections[0].Origin, "observations is an AI draft");
                    Assert.Equal("embedded:pocketsphinx", sections[0].Engine, "engine");
                    Assert.Equal("en-us", sections[0].Model, "model");
                    Assert.Equal("analysis", sections[1].Id, "second section");
                    Assert.Equal("human", sections[1].Origin, "analysis is human");
                    Assert.Contains("family support worker", sections[0].Text, "section text");
                }

                Step("d. a final save with unreviewed AI text is refused (EREVIEW)");
                string stamped = Env.Text(v1);
                Assert.Contains("author=\"sw-017\"", stamped, "stamped output keeps the author");
                string final = stamped.Replace("author=\"sw-017\"", "author=\"sw-017\" final=\"true\"");
                var refusal = Assert.Throws(Status.EREVIEW, () => ctx.Save(Env.Utf8(final), actor), "final save without review");
                Console.WriteLine("    refused as expected: " + refusal.Message);

                Step("e. review the AI section, save again: version 2");
                // Only the section's own attribute: the provenance records the origin too, and is signed.
                // A review is dated after the draft it checks was saved: now.
                string at = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
                string reviewed = final.Replace("<section id=\"observations\" origin=\"ai-draft\"",
                    "<section id=\"observations\" origin=\"ai-reviewed\" reviewed-by=\"sw-017\" " +
                    "reviewed-at=\"" + at + "\" review=\"edited\"");
                Assert.True(reviewed != final, "the review changed the payload");
                byte[] v2 = ctx.Save(Env.Utf8(reviewed), actor);
                using (var record = Record.Open(v2)) {
                    Assert.Equal(2u, record.Version, "version 2");
                    Assert.True(record.IsFinal, "final");
                    var obs = record.Sections[0];
                    Assert.Equal("ai-reviewed", obs.Origin, "reviewed origin");
                    Assert.Equal("sw-017", obs.Reviewer, "reviewer");
                    Assert.Equal(at, obs.ReviewedAt, "reviewed at");
                    Assert.Equal("edited", obs.Review, "review");
                    Assert.Equal("2", record.Stamp("version"), "stamp version");
                    Assert.Equal("sw-017", record.Stamp("actor"), "stamp actor");
                    Assert.Equal(Team, record.Stamp("policy-team"), "stamp policy team");
                    Assert.Contains("sha256:", record.Stamp("previous"), "stamp previous digest");
                    Assert.True(record.Stamp("no-such-fact") == null, "an unknown fact is null");
                    Assert.Equal((uint)record.Sections.Count, record.StampCount("section"), "stamped sections");
                    Assert.Equal("ai-reviewed", record.StampItem("section", 0, "origin"), "stamped origin");
                    Assert.Equal(at, record.StampItem("section", 0, "reviewed-at"), "stamped review time");
                    Assert.Equal(1u, record.StampCount("consent"), "consent stamps");
                    Assert.Equal("allowed", record.StampItem("consent", 0, "local-ai"), "stamped consent");
                }

                Step("f. verify with the home, with the public key alone, and catch tampering");
                string report = ctx.Verify(v2);
                Assert.Contains("VERIFIED", report, "the verify report's verdict");
                string pem = ctx.PublicKey();
                Assert.Contains("BEGIN PUBLIC KEY", pem, "PEM public key");
                Assert.True(!string.IsNullOrEmpty(Library.VerifyWithPublicKey(pem, v2)), "offline verify report");
                string tampered = Env.Text(v2).Replace("family support worker", "family friend");
                Assert.True(tampered != Env.Text(v2), "the tamper changed something");
                var bad = Assert.Throws(Status.EVERIFY, () => ctx.Verify(Env.Utf8(tampered)), "verify of a tampered record");
                Assert.True(!string.IsNullOrEmpty(bad.Report), "EVERIFY carries the report");
                Assert.Throws(Status.EVERIFY, () => Library.VerifyWithPublicKey(pem, Env.Utf8(tampered)), "offline verify of a tampered record");

                Step("g. journal verify and entry 2 (1 is the key's)");
                var journal = ctx.VerifyJournal();
                Assert.True(journal.Entries >= 3, "at least 3 entries, got " + journal.Entries);
                Assert.True(!string.IsNullOrEmpty(journal.Report), "journal report");
                string checkpoint = ctx.ExportCheckpoint();
                Assert.True(checkpoint.StartsWith("casescribe/"), "checkpoint origin: " + checkpoint);
                Assert.True(ctx.CheckJournal(Env.Utf8(checkpoint)).Contains("the ledger holds it"), "checkpoint held");
                string bigger = checkpoint.Replace("\n" + journal.Entries + "\n", "\n" + (journal.Entries + 1) + "\n");
                Assert.Throws(Status.EVERIFY, () => ctx.CheckJournal(Env.Utf8(bigger)), "checkpoint with a changed size");
                using (var key = ctx.JournalEntry(1))
                    Assert.Equal("key", key.Kind, "the first entry is the key made");
                using (var entry = ctx.JournalEntry(2)) {
                    Assert.Equal(2UL, entry.Seq, "entry seq");
                    Assert.True(!string.IsNullOrEmpty(entry.Kind), "entry kind");
                    Assert.True(!string.IsNullOrEmpty(entry.Time) && entry.Time.EndsWith("Z"), "entry time " + entry.Time);
                    Assert.Equal("admin-1", entry.ActorId, "the first entry is the admin's policy change");
                    Assert.Equal("cin-north", entry.Field("team"), "a policy entry's team");
                    Assert.Equal("ai-draft", entry.Field("setting"), "a policy entry's setting");
                    Assert.Equal("off", entry.Field("old"), "a policy entry's old value");
                    Assert.Equal("on", entry.Field("new"), "a policy entry's new value");
                    Assert.Equal("2", entry.Field("seq"), "a number as text");
                    Assert.True(entry.Field("no-such-field") == null, "an absent field is null");
                    Assert.Contains("\"setting\":\"ai-draft\"", entry.Json, "the entry as JSON");
                    Console.WriteLine("    entry 2: kind {0}, record {1} v{2}, digest {3}", entry.Kind, entry.RecordId,
                        entry.RecordVersion, entry.RecordDigest);
                }
                using (var save = FirstSave(ctx, journal.Entries)) {
                    Assert.Equal("R-7001", save.RecordId, "journalled record id");
                    Assert.Equal(1u, save.RecordVersion, "journalled version");
                    Assert.Contains("sha256:", save.RecordDigest, "journalled digest");
                    Assert.Equal("sw-017", save.ActorId, "journalled actor");
                }
                Assert.Throws(Status.ENOTFOUND, () => ctx.JournalEntry(journal.Entries + 100), "an entry past the end");

                Step("h. transcribe the recording in a job, with an end callback (" +
                    (Job.LibraryCallbacks ? "from the library" : "from a watcher thread") + ")");
                var options = new TranscribeOptions { Form = form, AudioPath = audio, HelperPath = asr, Parallel = 2 };
                int calls = 0;
                var ended = new ManualResetEvent(false);
                Transcript transcript;
                using (var job = ctx.Transcribe(options)) {
                    job.OnEnd(j => { Interlocked.Increment(ref calls); ended.Set(); });
                    Assert.True(!string.IsNullOrEmpty(job.Kind), "job kind");
                    var clock = Stopwatch.StartNew();
                    while (!job.Wait(500)) {
                        var state = job.State;
                        Assert.True(state == JobState.Queued || state == JobState.Running, "state while running: " + state);
                        Assert.True(clock.Elapsed.TotalSeconds < 120, "transcription within 120 s");
                    }
                    Assert.Equal(JobState.Done, job.State, "transcription done (" + job.Message + ")");
                    Assert.Equal(Status.OK, job.Status, "status OK");
                    Assert.True(job.Message == null, "no message on success");
                    var progress = job.Progress; // milliseconds of the recording, all of it done
                    Assert.True(progress.Item2 > 1000, "the recording's length as the total");
                    Assert.True(progress.Item1 == progress.Item2, "a done job is all done");
                    // The library wakes waiters before it calls the callback.
                    Assert.True(ended.WaitOne(10000), "the end callback ran");
                    Assert.Equal(1, Volatile.Read(ref calls), "the end callback ran once");
                    Assert.True(job.CallbackError == null, "the callback did not throw");
                    Console.WriteLine("    job result: " + (job.Result() ?? "").Replace("\n", " | "));
                    transcript = job.Transcript();
                }
                using (transcript) {
                    var segments = transcript.Segments;
                    Assert.True(segments.Count > 0 && segments.Count == transcript.SegmentCount, "segments: " + segments.Count);
                    int words = segments.Sum(s => s.Words.Count);
                    Assert.True(words > 0, "some words");
                    Assert.True(segments.All(s => s.EndMs >= s.StartMs), "segment times");
                    Assert.Contains("embedded:", transcript.Engine, "engine");
                    Assert.True(transcript.Model != null && transcript.EngineVersion != null && transcript.Settings != null,
                        "model, engine version and settings");
                    string text = transcript.Render(TranscriptFormat.Text);
                    Assert.Contains("Machine transcript", text, "the machine-made notice");
                    Console.WriteLine("    {0} segments, {1} words: {2}", segments.Count, words,
                        segments[0].Text.Length > 60 ? segments[0].Text.Substring(0, 60) + "..." : segments[0].Text);
                    string xml = transcript.Render(TranscriptFormat.Xml);
                    using (var back = Transcript.Open(Env.Utf8(xml)))
                        Assert.Equal(segments.Count, back.SegmentCount, "the XML rendering reads back");

                    Step("i. cancel a second transcription at once");
                    using (var second = ctx.Transcribe(options)) {
                        second.Cancel();
                        Assert.True(second.Wait(120000), "the cancelled job ends");
                        var state = second.State;
                        Assert.True(state == JobState.Cancelled || state == JobState.Done, "cancelled or done: " + state);
                        if (state == JobState.Cancelled) {
                            Assert.Equal(Status.ECANCELLED, second.Status, "status ECANCELLED");
                            Assert.Throws(Status.ECANCELLED, () => second.Transcript(), "no transcript from a cancelled job");
                        }
                        Console.WriteLine("    second job ended " + state);
                    }

                    Step("j. find the template and draft a form from the transcript");
                    Assert.True(ctx.ListTemplates().Contains("statutory-home-visit"), "template list");
                    using (var template = ctx.FindTemplate("statutory-home-visit")) {
                        Assert.Equal("statutory-home-visit", template.Id, "template id");
                        Assert.True(template.Sections.Any(s => s.Id == "analysis" && s.Ai == AiUse.Never), "analysis is never drafted");
                        // The scenario's form, on the statutory template, with only the human analysis
                        // section: everything else is left for the filler to draft.
                        string fillForm = Env.Text(form).Replace("template=\"statutory-home-visit\"", "template=\"statutory-home-visit\"");
                        int start = fillForm.IndexOf("<section id=\"observations\"", StringComparison.Ordinal);
                        int end = fillForm.IndexOf("</section>", start, StringComparison.Ordinal) + "</section>".Length;
                        fillForm = fillForm.Remove(start, end - start);
                        Assert.True(!fillForm.Contains("observations") && fillForm.Contains("statutory-home-visit"), "fill form made");
                        using (var fill = ctx.Fill(new FillOptions { Form = Env.Utf8(fillForm), Template = template, Transcript = transcript })) {
                            Assert.True(fill.Wait(120000), "the fill job ends");
                            Assert.Equal(JobState.Done, fill.State, "fill done (" + fill.Message + ")");
                            string result = fill.Result();
                            Assert.True(!string.IsNullOrEmpty(result), "fill result text");
                            string draft = Env.Text(fill.Draft());
                            Console.WriteLine("    fill result: " + result.Replace("\n", " | "));
                            if (draft.Contains("origin=\"ai-draft\""))
                                Console.WriteLine("    the draft has AI-drafted sections");
                            else
                                Console.WriteLine("    the transcript matched no section (the result says why)");
                            Assert.Contains("statutory-home-visit", draft, "the draft is the form");
                        }
                        // The record style: a typed visit transcript drafted as reported speech.
                        string data = Path.GetDirectoryName(Env.Need("CS_FORM"));
                        using (var visit = Transcript.Open(File.ReadAllBytes(Path.Combine(data, "statutory-visit-transcript.xml"))))
                        using (var reported = ctx.Fill(new FillOptions {
                            Form = File.ReadAllBytes(Path.Combine(data, "statutory-visit.xml")), Template = template,
                            Transcript = visit, Style = FillStyle.Reported })) {
                            Assert.True(reported.Wait(120000), "the reported fill job ends");
                            Assert.Equal(JobState.Done, reported.State, "reported fill done (" + reported.Message + ")");
                            Assert.Contains(">Kerry said ", Env.Text(reported.Draft()), "the reported style");
                        }
                    }
                }

                Step("k. subject access export for P-2, verified with the council's key");
                string zip = Path.Combine(dir, "sar-P-2.zip");
                using (var sar = ctx.OpenSar(new SarOptions {
                    SubjectId = "P-2", OutputPath = zip, ReviewPath = Path.Combine(dir, "redaction-review.csv"),
                    Organisation = "Northshire County Council" })) {
                    sar.Add(v2);
                    string summary = sar.Finish();
                    Assert.True(!string.IsNullOrEmpty(summary), "export summary");
                    Console.WriteLine("    export: " + summary.Trim().Replace("\n", " | "));
                    Assert.Throws(Status.EINVAL, () => sar.Finish(), "finishing twice");
                }
                Assert.True(File.Exists(zip), "the ZIP was written");
                Assert.True(File.Exists(Path.Combine(dir, "redaction-review.csv")), "the review list was written");
                string sealedReport = SarExport.Verify(zip, pem);
                Assert.True(sealedReport.Contains(Library.PublicKeyFingerprint(pem)), "the report gives the key's fingerprint");
                CaseScribeException untrusted = Assert.Throws(Status.EUNTRUSTED, () => SarExport.Verify(zip, null),
                    "an export without a trusted key is not a pass");
                Assert.True(untrusted.Report.Contains("NOT PROVEN"), "and the report says so");

                Step("l. close the context; a second close and later calls raise the binding's error");
                ctx.Close();
                Assert.True(ctx.IsClosed, "closed");
                Assert.Throws(Status.EINVAL, () => ctx.Close(), "closing twice");
                Assert.Throws(Status.EINVAL, () => ctx.Save(form, actor), "save after close");
                Assert.Throws(Status.EINVAL, () => { var h = ctx.Home; }, "home after close");
                ctx.Dispose();
            } finally {
                Directory.Delete(dir, true);
            }
        }

        private static JournalEntry FirstSave(Context ctx, ulong entries)
        {
            for (ulong seq = 1; seq <= entries; seq++) {
                var entry = ctx.JournalEntry(seq);
                if (entry.Kind == "save")
                    return entry;
                entry.Dispose();
            }
            throw new AssertionFailed("no save entry in the journal");
        }

        [Test(25)]
        public static void JobCallbacksDuringGarbageCollection()
        {
            // Job callbacks arrive while the collector runs flat out, and the
            // host drops its Job handles at once: no callback may be lost, run
            // twice, or hang the runtime (see Job.LibraryCallbacks).
            const int jobs = 3;
            byte[] form = File.ReadAllBytes(Env.Need("CS_FORM"));
            string dir = Env.FreshDir("gc");
            Console.WriteLine("  callbacks delivered by " + (Job.LibraryCallbacks ? "the library (casescribe_job_on_end)" : "a watcher thread"));
            try {
                using (var ctx = Context.Open(Path.Combine(dir, "home"), OpenFlags.Create | OpenFlags.NoSync)) {
                    ctx.Keygen();
                    ctx.TeamSet("admin-1", Team, "transcription", "on");
                    var ended = new CountdownEvent(jobs);
                    int calls = 0;
                    for (int i = 0; i < jobs; i++) {
                        var job = ctx.Transcribe(new TranscribeOptions {
                            Form = form, AudioPath = Env.Need("CS_AUDIO"), HelperPath = Env.Need("CS_ASR"), Parallel = 1 });
                        job.OnEnd(j => { Interlocked.Increment(ref calls); ended.Signal(); });
                        if (i > 0)
                            job.Cancel();
                        job.Dispose();
                    }
                    var clock = Stopwatch.StartNew();
                    while (!ended.IsSet && clock.Elapsed.TotalSeconds < 120) {
                        GC.Collect();
                        GC.WaitForPendingFinalizers();
                        var garbage = new byte[64 * 1024];
                        Thread.Sleep(garbage.Length / 65536);
                    }
                    Assert.True(ended.IsSet, "every callback ran within 120 s (" + Volatile.Read(ref calls) + " of " + jobs + ")");
                    Thread.Sleep(200);
                    Assert.Equal(jobs, Volatile.Read(ref calls), "each callback ran once");
                }
            } finally {
                Directory.Delete(dir, true);
            }
        }

        [Test(30)]
        public static void OneContextManyThreads()
        {
            const int threads = 4, savesEach = 5;
            string form = File.ReadAllText(Env.Need("CS_FORM"));
            string dir = Env.FreshDir("threads");
            try {
                using (var ctx = Context.Open(Path.Combine(dir, "home"), OpenFlags.Create | OpenFlags.NoSync)) {
                    ctx.Keygen();
                    ctx.TeamSet("admin-1", Team, "ai-draft", "on");
                    ulong before = ctx.VerifyJournal().Entries;
                    var errors = new List<Exception>();
                    var start = new ManualResetEvent(false);
                    var workers = Enumerable.Range(0, threads).Select(t => new Thread(() => {
                        try {
                            start.WaitOne();
                            for (int n = 0; n < savesEach; n++) {
                                string id = string.Format("R-T{0}-{1}", t, n);
                                byte[] stamped = ctx.Save(Env.Utf8(form.Replace("id=\"R-7001\"", "id=\"" + id + "\"")),
                                    new Actor("sw-0" + t, "social-worker"));
                                using (var record = Record.Open(stamped)) {
                                    Assert.Equal(id, record.Id, "record id on thread " + t);
                                    Assert.Equal(1u, record.Version, "version on thread " + t);
                                }
                                ctx.Verify(stamped);
                                using (var p = ctx.TeamPolicy(Team))
                                    Assert.True(p.IsOn("ai-draft"), "policy read on thread " + t);
                            }
                            // errors are per thread: this one must carry this thread's message
                            var e = Assert.Throws(Status.EPARSE, () => ctx.Save(Env.Utf8("<broken"), new Actor("sw-0" + t)), "bad save");
                            Assert.True(e.Detail.Length > 0, "per-thread message");
                        } catch (Exception e) {
                            lock (errors)
                                errors.Add(e);
                        }
                    })).ToList();
                    workers.ForEach(w => w.Start());
                    start.Set();
                    workers.ForEach(w => w.Join());
                    if (errors.Count > 0)
                        throw new AssertionFailed(errors.Count + " thread(s) failed; first: " + errors[0]);
                    var journal = ctx.VerifyJournal();
                    Assert.Equal(before + (ulong)(threads * savesEach), journal.Entries, "every save journalled");
                    var ids = new HashSet<string>();
                    for (ulong seq = before + 1; seq <= journal.Entries; seq++)
                        using (var entry = ctx.JournalEntry(seq)) {
                            Assert.Equal("save", entry.Kind, "entry kind");
                            ids.Add(entry.RecordId);
                        }
                    Assert.Equal(threads * savesEach, ids.Count, "distinct records journalled");
                }
            } finally {
                Directory.Delete(dir, true);
            }
        }
    }
}
