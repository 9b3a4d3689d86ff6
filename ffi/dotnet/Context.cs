// SPDX-License-Identifier: Apache-2.0
// Context.cs - an open home folder (casescribe_ctx) and the options classes
// of the calls made through it.
using System;
using System.Runtime.InteropServices;

namespace CaseScribe
{
    /// <summary>Who is saving (casescribe_actor).</summary>
    public sealed class Actor
    {
        public Actor(string userId, string role = null, string team = null)
        {
            UserId = userId;
            Role = role;
            Team = team;
        }

        /// <summary>Required: the person's id in the host system.</summary>
        public string UserId { get; set; }
        /// <summary>The team the save is made for; null: the form's team.</summary>
        public string Team { get; set; }
        /// <summary>For example "social-worker"; null: "unspecified".</summary>
        public string Role { get; set; }
    }

    /// <summary>
    /// What to transcribe (casescribe_transcribe_options). Null and 0 leave
    /// the library's defaults.
    /// </summary>
    public sealed class TranscribeOptions
    {
        public TranscribeFlags Flags { get; set; }
        /// <summary>Decoders at once; 0: one per CPU (at most 8).</summary>
        public uint Parallel { get; set; }
        /// <summary>Default "xml".</summary>
        public string FormAdapter { get; set; }
        /// <summary>Required: the form the recording belongs to (its team and consents).</summary>
        public byte[] Form { get; set; }
        /// <summary>Required: WAV, FLAC, OGG, MP3, ...</summary>
        public string AudioPath { get; set; }
        /// <summary>A longer recording is refused (ETOOBIG); 0: 4 hours.</summary>
        public uint MaxSeconds { get; set; }
        /// <summary>Words below this confidence are marked unsure; 0: 600.</summary>
        public uint UnsurePermille { get; set; }
        /// <summary>The casescribe-asr helper; null: the installed one.</summary>
        public string HelperPath { get; set; }
        public string ModelDir { get; set; }
        public string RemoteEndpoint { get; set; }
        public string RemoteModel { get; set; }
        public string ApiKeyFile { get; set; }
        public string ApiKeyEnv { get; set; }
        public string CaFile { get; set; }
        /// <summary>The worker's observation tags, "hh:mm:ss label" a line (UTF-8); the team's policy must have
        /// observation-tags on. Null: none.</summary>
        public byte[] Tags { get; set; }
    }

    /// <summary>What to draft (casescribe_fill_options). Null and 0 leave the library's defaults.</summary>
    public sealed class FillOptions
    {
        /// <summary>Per section; 0: 6, at most 64.</summary>
        public uint MaxSentences { get; set; }
        public string FormAdapter { get; set; }
        /// <summary>Required: the form to draft.</summary>
        public byte[] Form { get; set; }
        /// <summary>Required: the form's template (the job keeps its own reference).</summary>
        public Template Template { get; set; }
        /// <summary>Required: the transcript to draft from (the job keeps its own reference).</summary>
        public Transcript Transcript { get; set; }
        public string RemoteEndpoint { get; set; }
        public string RemoteModel { get; set; }
        public string ApiKeyFile { get; set; }
        public string ApiKeyEnv { get; set; }
        public string CaFile { get; set; }
        /// <summary>How a line quoting one speaker is written (since 1.7); the remote filler ignores it.</summary>
        public FillStyle Style { get; set; }
    }

    /// <summary>Where and how to fetch a policy bundle (casescribe_fetch_options).</summary>
    public sealed class FetchOptions
    {
        /// <summary>Required: https:// only.</summary>
        public string Url { get; set; }
        public string CaFile { get; set; }
        /// <summary>Null: 1 MiB.</summary>
        public uint? MaxBytes { get; set; }
        /// <summary>Null: 10000.</summary>
        public int? ConnectTimeoutMs { get; set; }
        /// <summary>Null: 30000.</summary>
        public int? TimeoutMs { get; set; }
    }

    /// <summary>A subject access export (casescribe_sar_options).</summary>
    public sealed class SarOptions
    {
        /// <summary>Required: the person asking, as forms name them.</summary>
        public string SubjectId { get; set; }
        /// <summary>Required: the ZIP to write.</summary>
        public string OutputPath { get; set; }
        /// <summary>Where to write the officer's redaction-review.csv; null: none.</summary>
        public string ReviewPath { get; set; }
        /// <summary>A reviewed redaction-review.csv to apply; null: none.</summary>
        public string RedactPath { get; set; }
        public string Organisation { get; set; }
        public string CorrectionContact { get; set; }
    }

    /// <summary>Where a record stands in the ledger (<see cref="Context.RecordHead"/>).</summary>
    public sealed class RecordHead
    {
        internal RecordHead(uint version, uint confirmed, string digest)
        {
            Version = version;
            Confirmed = confirmed;
            Digest = digest;
        }

        /// <summary>The latest version stamped, pending or not.</summary>
        public uint Version { get; private set; }
        /// <summary>The last version the host confirmed; 0: none.</summary>
        public uint Confirmed { get; private set; }
        /// <summary>The latest version's record digest, "sha256:&lt;hex&gt;".</summary>
        public string Digest { get; private set; }
    }

    /// <summary>The outcome of <see cref="Context.VerifyJournal"/>.</summary>
    public sealed class JournalReport
    {
        internal JournalReport(ulong entries, string report)
        {
            Entries = entries;
            Report = report;
        }

        /// <summary>The number of good entries.</summary>
        public ulong Entries { get; private set; }
        /// <summary>A plain-English summary.</summary>
        public string Report { get; private set; }
    }

    /// <summary>
    /// One open home folder: keys, journal, team policies and jobs. Open one
    /// per process and share it: every method may be called from many threads
    /// at once. <see cref="NativeObject.Close"/> cancels the jobs still
    /// running and waits for calls in flight on other threads to return.
    /// </summary>
    public sealed class Context : NativeObject
    {
        private Context(ContextHandle handle) : base(handle) { }

        /// <summary>
        /// Opens a home. <paramref name="home"/> null: $CASESCRIBE_HOME, then
        /// $HOME/.local/share/casescribe.
        /// </summary>
        public static Context Open(string home = null, OpenFlags flags = OpenFlags.None)
        {
            Library.EnsureAbi();
            var opts = new NativeCtxOptions();
            Library.Check(NativeMethods.casescribe_ctx_options_init(ref opts, (uint)Marshal.SizeOf(typeof(NativeCtxOptions))));
            opts.flags = (uint)flags;
            using (var arena = new NativeArena()) {
                opts.home = arena.Str(home);
                ContextHandle handle;
                Library.Check(NativeMethods.casescribe_ctx_open(out handle, ref opts));
                return new Context(handle);
            }
        }

        /// <summary>The home folder the context opened.</summary>
        public string Home
        {
            get { return Use(p => Utf8.FromNative(NativeMethods.casescribe_ctx_home(p))); }
        }

        /// <summary>Makes an Ed25519 signing key and returns its key id.</summary>
        public string Keygen(KeygenFlags flags = KeygenFlags.None)
        {
            return Use(p => {
                IntPtr keyId;
                Library.Check(NativeMethods.casescribe_keygen(out keyId, p, (uint)flags));
                return Utf8.TakeString(keyId);
            });
        }

        /// <summary>The current public key as PEM, for offline verification.</summary>
        public string PublicKey()
        {
            return Use(p => {
                IntPtr pem;
                Library.Check(NativeMethods.casescribe_public_key(out pem, p));
                return Utf8.TakeString(pem);
            });
        }

        /// <summary>The key registry: every key the home signed with and every key it trusts, as a PEM
        /// bundle with ids and validity (VerifyWithPublicKey takes it); KeysFlags.List: one line per key;
        /// KeysFlags.Home: the home's own keys only (EKEY when none yet).</summary>
        public string KeysExport(KeysFlags flags = KeysFlags.None)
        {
            return Use(p => {
                IntPtr text;
                Library.Check(NativeMethods.casescribe_keys_export(out text, p, (uint)flags));
                return Utf8.TakeString(text);
            });
        }

        /// <summary>Trusts another server's public key(s), a PEM or the bundle of its KeysExport: each
        /// new key is a "key" ledger entry naming actorId, and records it signed verify here. Returns the
        /// key ids in the PEM.</summary>
        public string[] KeyTrust(string actorId, string pem)
        {
            byte[] bytes = Utf8.Bytes(pem);
            return Use(p => {
                IntPtr ids;
                Library.Check(NativeMethods.casescribe_key_trust(out ids, p, actorId, bytes, Utf8.Len(bytes)));
                return Utf8.TakeString(ids).Split('\n');
            });
        }

        /// <summary>
        /// Signs <paramref name="payload"/> with the home's current key as a JSON Web
        /// Signature with a detached payload (RFC 7515 appendix F, alg "EdDSA", the
        /// key id as "kid"): returns "HEADER..SIGNATURE". Check it with
        /// <see cref="Library.VerifyJws"/> or any JOSE library. Throws EKEY when the
        /// home has no signing key, ETOOBIG over the payload limit.
        /// </summary>
        public string SignJws(byte[] payload)
        {
            return Use(p => {
                IntPtr jws;
                Library.Check(NativeMethods.casescribe_jws_sign(out jws, p, payload, Utf8.Len(payload)));
                return Utf8.TakeString(jws);
            });
        }

        /// <summary>
        /// Saves one form and returns the stamped payload to store as the record
        /// (and to send back, edited, on the next save).
        /// </summary>
        public byte[] Save(byte[] payload, Actor actor, string adapter = "xml")
        {
            if (actor == null)
                throw new ArgumentNullException("actor");
            return Use(p => {
                var a = new NativeActor();
                Library.Check(NativeMethods.casescribe_actor_init(ref a, (uint)Marshal.SizeOf(typeof(NativeActor))));
                using (var arena = new NativeArena()) {
                    a.user_id = arena.Str(actor.UserId, a.user_id);
                    a.team = arena.Str(actor.Team, a.team);
                    a.role = arena.Str(actor.Role, a.role);
                    IntPtr output;
                    UIntPtr length;
                    Library.Check(NativeMethods.casescribe_save(out output, out length, p, adapter, ref a,
                        payload, Utf8.Len(payload)));
                    return Utf8.TakeBytes(output, length);
                }
            });
        }

        /// <summary>
        /// Checks a stamped payload with the home's keys. Returns the report;
        /// throws EVERIFY (the report in <see cref="CaseScribeException.Report"/>),
        /// EUNSTAMPED, EKEY or a decode error.
        /// </summary>
        public string Verify(byte[] payload, string adapter = "xml")
        {
            return Use(p => {
                IntPtr report;
                int status = NativeMethods.casescribe_verify(out report, p, adapter, payload, Utf8.Len(payload));
                return Library.CheckWithReport(status, report);
            });
        }

        /// <summary>
        /// Records that the host committed the stamped version (what Save
        /// returned). Throws ENOTFOUND (no such version here) or ECONFLICT
        /// (it was abandoned).
        /// </summary>
        public void SaveConfirm(byte[] stamped, string adapter = "xml")
        {
            Use(p => Library.Check(NativeMethods.casescribe_save_confirm(p, adapter, stamped, Utf8.Len(stamped))));
        }

        /// <summary>Where a record stands in the ledger. Throws ENOTFOUND for a record never saved here.</summary>
        public RecordHead RecordHead(string recordId)
        {
            return Use(p => {
                uint version, confirmed;
                IntPtr digest;
                Library.Check(NativeMethods.casescribe_record_head(out version, out confirmed, out digest, p, recordId));
                return new RecordHead(version, confirmed, Utf8.TakeString(digest));
            });
        }

        /// <summary>Reads the whole journal and checks every frame and the hash chain. Throws EJOURNAL.</summary>
        public JournalReport VerifyJournal()
        {
            return Use(p => {
                ulong entries;
                IntPtr report;
                int status = NativeMethods.casescribe_journal_verify(out entries, out report, p);
                return new JournalReport(entries, Library.CheckWithReport(status, report));
            });
        }

        /// <summary>
        /// Checks that the ledger still holds what a checkpoint (as exported) or a stamped record kept
        /// outside the home saw. Returns the report; throws EJOURNAL (shorter, disagreeing or another
        /// home's ledger) or EVERIFY (a bad signature), with the report.
        /// </summary>
        public string CheckJournal(byte[] evidence, string adapter = "xml")
        {
            return Use(p => {
                IntPtr report;
                int status = NativeMethods.casescribe_journal_check(out report, p, adapter, evidence, Utf8.Len(evidence));
                return Library.CheckWithReport(status, report);
            });
        }

        /// <summary>The ledger's latest signed checkpoint (a C2SP signed note), to keep outside the home.</summary>
        public string ExportCheckpoint()
        {
            return Use(p => {
                IntPtr text;
                Library.Check(NativeMethods.casescribe_checkpoint_export(out text, p));
                return Utf8.TakeString(text);
            });
        }

        /// <summary>Always 0 since the ledger is a database (it counted the torn tail of the old journal file).</summary>
        public ulong JournalTruncatedBytes
        {
            get { return Use(p => NativeMethods.casescribe_journal_truncated_bytes(p)); }
        }

        /// <summary>Reads journal entry number <paramref name="seq"/> (1 is the first).</summary>
        public JournalEntry JournalEntry(ulong seq)
        {
            return Use(p => {
                JournalEntryHandle entry;
                Library.Check(NativeMethods.casescribe_journal_entry_get(out entry, p, seq));
                return new JournalEntry(entry);
            });
        }

        // ---- team policy

        /// <summary>A snapshot of the policy in force for <paramref name="team"/>.</summary>
        public Policy TeamPolicy(string team)
        {
            return Use(p => {
                PolicyHandle policy;
                Library.Check(NativeMethods.casescribe_team_policy(out policy, p, team));
                return new Policy(policy);
            });
        }

        /// <summary>Changes one feature ("on"/"off") or setting of a team's policy, for an admin.</summary>
        public void TeamSet(string actorId, string team, string key, string value)
        {
            Use(p => Library.Check(NativeMethods.casescribe_team_set(p, actorId, team, key, value)));
        }

        /// <summary>The teams that have a policy file, sorted.</summary>
        public string[] TeamList()
        {
            return Use(p => {
                IntPtr teams;
                Library.Check(NativeMethods.casescribe_team_list(out teams, p));
                return Utf8.Lines(Utf8.TakeString(teams));
            });
        }

        /// <summary>Trusts a policy admin's Ed25519 public key (PEM) for bundles.</summary>
        public void PolicyTrust(string actorId, string pem)
        {
            byte[] bytes = Utf8.Bytes(pem);
            Use(p => Library.Check(NativeMethods.casescribe_policy_trust(p, actorId, bytes, Utf8.Len(bytes))));
        }

        /// <summary>Starts a job that fetches a signed policy bundle and applies it.</summary>
        public Job PolicyRefresh(FetchOptions options)
        {
            if (options == null)
                throw new ArgumentNullException("options");
            return Use(p => {
                var o = new NativeFetchOptions();
                Library.Check(NativeMethods.casescribe_fetch_options_init(ref o, (uint)Marshal.SizeOf(typeof(NativeFetchOptions))));
                using (var arena = new NativeArena()) {
                    o.url = arena.Str(options.Url, o.url);
                    o.ca_file = arena.Str(options.CaFile, o.ca_file);
                    if (options.MaxBytes.HasValue)
                        o.max_bytes = options.MaxBytes.Value;
                    if (options.ConnectTimeoutMs.HasValue)
                        o.connect_timeout_ms = options.ConnectTimeoutMs.Value;
                    if (options.TimeoutMs.HasValue)
                        o.timeout_ms = options.TimeoutMs.Value;
                    JobHandle job;
                    Library.Check(NativeMethods.casescribe_policy_refresh(out job, p, ref o));
                    return new Job(job);
                }
            });
        }

        // ---- transcription and drafting

        /// <summary>Starts a transcription job.</summary>
        public Job Transcribe(TranscribeOptions options)
        {
            if (options == null)
                throw new ArgumentNullException("options");
            return Use(p => {
                var o = new NativeTranscribeOptions();
                Library.Check(NativeMethods.casescribe_transcribe_options_init(ref o,
                    (uint)Marshal.SizeOf(typeof(NativeTranscribeOptions))));
                using (var arena = new NativeArena()) {
                    o.flags = (uint)options.Flags;
                    if (options.Parallel != 0)
                        o.parallel = options.Parallel;
                    o.form_adapter = arena.Str(options.FormAdapter, o.form_adapter);
                    o.form = arena.Pin(options.Form);
                    o.form_len = Utf8.Len(options.Form);
                    o.audio_path = arena.Str(options.AudioPath, o.audio_path);
                    if (options.MaxSeconds != 0)
                        o.max_seconds = options.MaxSeconds;
                    if (options.UnsurePermille != 0)
                        o.unsure_permille = options.UnsurePermille;
                    o.helper_path = arena.Str(options.HelperPath, o.helper_path);
                    o.model_dir = arena.Str(options.ModelDir, o.model_dir);
                    o.remote_endpoint = arena.Str(options.RemoteEndpoint, o.remote_endpoint);
                    o.remote_model = arena.Str(options.RemoteModel, o.remote_model);
                    o.api_key_file = arena.Str(options.ApiKeyFile, o.api_key_file);
                    o.api_key_env = arena.Str(options.ApiKeyEnv, o.api_key_env);
                    o.ca_file = arena.Str(options.CaFile, o.ca_file);
                    o.tags = arena.Pin(options.Tags);
                    o.tags_len = Utf8.Len(options.Tags);
                    JobHandle job;
                    Library.Check(NativeMethods.casescribe_transcribe(out job, p, ref o));
                    return new Job(job);
                }
            });
        }

        /// <summary>Deletes recordings whose retention has run out; returns how many.</summary>
        public uint AudioSweep()
        {
            return Use(p => {
                uint deleted;
                Library.Check(NativeMethods.casescribe_audio_sweep(p, out deleted));
                return deleted;
            });
        }

        /// <summary>The template <paramref name="id"/> from the home or the installed ones. ENOTFOUND.</summary>
        public Template FindTemplate(string id)
        {
            return Use(p => {
                TemplateHandle t;
                Library.Check(NativeMethods.casescribe_template_find(out t, p, id));
                return new Template(t);
            });
        }

        /// <summary>The ids of this home's kept jobs (transcription, fill) that no other live process holds.</summary>
        public string[] ListJobs()
        {
            return Use(p => {
                IntPtr ids;
                Library.Check(NativeMethods.casescribe_job_list(out ids, p));
                return Utf8.Lines(Utf8.TakeString(ids));
            });
        }

        /// <summary>The same jobs, one line each: id, kind, state, created and updated times.</summary>
        public string[] ListJobsDetail()
        {
            return Use(p => {
                IntPtr lines;
                Library.Check(NativeMethods.casescribe_job_list_detail(out lines, p));
                return Utf8.Lines(Utf8.TakeString(lines));
            });
        }

        /// <summary>A handle to kept job <paramref name="id"/>: run again from its input after a restart.</summary>
        public Job AttachJob(string id)
        {
            return Use(p => {
                JobHandle job;
                Library.Check(NativeMethods.casescribe_job_attach(out job, p, id));
                return new Job(job);
            });
        }

        /// <summary>The ids of the templates that can be found.</summary>
        public string[] ListTemplates()
        {
            return Use(p => {
                IntPtr ids;
                Library.Check(NativeMethods.casescribe_template_list(out ids, p));
                return Utf8.Lines(Utf8.TakeString(ids));
            });
        }

        /// <summary>Signs a template with the home's key and installs it in the home's templates/ folder.</summary>
        public void InstallTemplate(byte[] xml)
        {
            Use(p => {
                Library.Check(NativeMethods.casescribe_template_install(p, xml, (UIntPtr)xml.Length));
                return 0;
            });
        }

        /// <summary>Signs the home's external names (names-1.xsd) with its key and installs them as names.xml.</summary>
        public void InstallNames(byte[] xml)
        {
            Use(p => {
                Library.Check(NativeMethods.casescribe_names_install(p, xml, (UIntPtr)xml.Length));
                return 0;
            });
        }

        /// <summary>Starts a job drafting the form's AI sections from a transcript.</summary>
        public Job Fill(FillOptions options)
        {
            if (options == null)
                throw new ArgumentNullException("options");
            if (options.Template == null || options.Transcript == null)
                throw CaseScribeException.Binding(Status.EINVAL, "Fill needs a Template and a Transcript");
            // The template and transcript are pinned for the call; the job takes
            // its own references to them, so they may be closed afterwards.
            return Use(p => options.Template.Use(template => options.Transcript.Use(transcript => {
                var o = new NativeFillOptions();
                Library.Check(NativeMethods.casescribe_fill_options_init(ref o, (uint)Marshal.SizeOf(typeof(NativeFillOptions))));
                using (var arena = new NativeArena()) {
                    if (options.MaxSentences != 0)
                        o.max_sentences = options.MaxSentences;
                    o.style = (uint)options.Style;
                    o.form_adapter = arena.Str(options.FormAdapter, o.form_adapter);
                    o.form = arena.Pin(options.Form);
                    o.form_len = Utf8.Len(options.Form);
                    o.form_template = template;
                    o.transcript = transcript;
                    o.remote_endpoint = arena.Str(options.RemoteEndpoint, o.remote_endpoint);
                    o.remote_model = arena.Str(options.RemoteModel, o.remote_model);
                    o.api_key_file = arena.Str(options.ApiKeyFile, o.api_key_file);
                    o.api_key_env = arena.Str(options.ApiKeyEnv, o.api_key_env);
                    o.ca_file = arena.Str(options.CaFile, o.ca_file);
                    JobHandle job;
                    Library.Check(NativeMethods.casescribe_fill(out job, p, ref o));
                    return new Job(job);
                }
            })));
        }

        // ---- subject access export

        /// <summary>Starts a subject access export; add records, then Finish.</summary>
        public SarExport OpenSar(SarOptions options)
        {
            if (options == null)
                throw new ArgumentNullException("options");
            return Use(p => {
                var o = new NativeSarOptions();
                Library.Check(NativeMethods.casescribe_sar_options_init(ref o, (uint)Marshal.SizeOf(typeof(NativeSarOptions))));
                using (var arena = new NativeArena()) {
                    o.subject_id = arena.Str(options.SubjectId, o.subject_id);
                    o.output_path = arena.Str(options.OutputPath, o.output_path);
                    o.review_path = arena.Str(options.ReviewPath, o.review_path);
                    o.redact_path = arena.Str(options.RedactPath, o.redact_path);
                    o.organisation = arena.Str(options.Organisation, o.organisation);
                    o.correction_contact = arena.Str(options.CorrectionContact, o.correction_contact);
                    SarHandle sar;
                    Library.Check(NativeMethods.casescribe_sar_open(out sar, p, ref o));
                    return new SarExport(sar, this);
                }
            });
        }
    }
}
