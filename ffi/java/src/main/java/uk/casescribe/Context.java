// SPDX-License-Identifier: Apache-2.0
package uk.casescribe;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import uk.casescribe.CaseScribeLibrary.CtxOptionsStruct;
import uk.casescribe.CaseScribeLibrary.SizeT;
import uk.casescribe.CaseScribeLibrary.SizeTByReference;

import java.nio.file.Path;
import java.util.List;

import static uk.casescribe.CaseScribe.C;
import static uk.casescribe.CaseScribe.check;
import static uk.casescribe.CaseScribe.size;

/**
 * One open CaseScribe home: its signing keys, journal, team policies and
 * jobs. Open one per process and share it: every method may be called from
 * many threads at once. {@link #close()} waits for calls in flight, cancels
 * the jobs still running and waits for them to stop.
 */
public final class Context extends NativeHandle {

    /** Flags for {@link #open(Path, OpenFlag...)}. */
    public enum OpenFlag {
        /** Create the home folder if it is missing. */
        CREATE("OPEN_CREATE"),
        /** Skip fdatasync on the journal: benchmarks and tests ONLY (a crash may lose acknowledged saves). */
        NO_SYNC("OPEN_NO_SYNC"),
        /** Two-phase saves: a version never confirmed with saveConfirm may be superseded (since 1.6). */
        TWO_PHASE("OPEN_TWO_PHASE");

        final int bit;

        OpenFlag(String constant) {
            bit = (int) CaseScribe.requiredConstant(constant);
        }
    }

    private static final int KEYGEN_ROTATE = (int) CaseScribe.requiredConstant("KEYGEN_ROTATE");
    private static final int KEYS_LIST = (int) CaseScribe.requiredConstant("KEYS_LIST");
    private static final int KEYS_HOME = (int) CaseScribe.requiredConstant("KEYS_HOME");

    private Context(Pointer ctx) {
        super(ctx, "Context");
    }

    /* Closing joins the job workers: from a job's handler, possibly running
     * on one of them, it would join itself. */
    @Override
    void checkClose() throws CaseScribeException {
        if (Job.inHandler())
            throw new CaseScribeException(Status.EINVAL,
                    "a Context cannot be closed from a job's onEnd handler: close it after the handler returns");
    }

    @Override
    void free(Pointer ctx) {
        C.casescribe_ctx_close(ctx);
    }

    /**
     * Opens the home folder `home` (null: $CASESCRIBE_HOME, then
     * $HOME/.local/share/casescribe). It must exist unless CREATE is given.
     */
    public static Context open(Path home, OpenFlag... flags) throws CaseScribeException {
        CtxOptionsStruct opts = new CtxOptionsStruct();
        check(C.casescribe_ctx_options_init(opts, opts.size()));
        for (OpenFlag f : flags)
            opts.flags |= f.bit;
        opts.home = CaseScribe.pathString(home);
        PointerByReference ctx = new PointerByReference();
        check(C.casescribe_ctx_open(ctx, opts));
        return new Context(ctx.getValue());
    }

    /** The home folder this context opened. */
    public Path home() throws CaseScribeException {
        return use(ctx -> Path.of(C.casescribe_ctx_home(ctx)));
    }

    // ---- keys ------------------------------------------------------------------------------

    /** Makes the home's Ed25519 signing key; returns its key id. EKEY when one exists already. */
    public String keygen() throws CaseScribeException {
        return keygen(false);
    }

    /** Makes a signing key; with `rotate`, replaces the current one (old records still verify). */
    public String keygen(boolean rotate) throws CaseScribeException {
        return use(ctx -> {
            PointerByReference keyId = new PointerByReference();
            check(C.casescribe_keygen(keyId, ctx, rotate ? KEYGEN_ROTATE : 0));
            return CaseScribe.takeString(keyId);
        });
    }

    /** The current public key as a PEM string, for anyone who should verify records offline. */
    public String publicKey() throws CaseScribeException {
        return use(ctx -> {
            PointerByReference pem = new PointerByReference();
            check(C.casescribe_public_key(pem, ctx));
            return CaseScribe.takeString(pem);
        });
    }

    /**
     * The key registry: every key the home signed with and every key it
     * trusts, as a PEM bundle with ids and validity ({@link
     * CaseScribe#verifyWithPublicKey} takes it). {@code list}: one line per key
     * instead; {@code homeOnly}: the home's own keys only (EKEY when none yet).
     */
    public String keysExport(boolean list, boolean homeOnly) throws CaseScribeException {
        int flags = (list ? KEYS_LIST : 0) | (homeOnly ? KEYS_HOME : 0);
        return use(ctx -> {
            PointerByReference out = new PointerByReference();
            check(C.casescribe_keys_export(out, ctx, flags));
            return CaseScribe.takeString(out);
        });
    }

    /**
     * Trusts another server's public key(s), a PEM or the bundle of its
     * keysExport: each new key is a "key" ledger entry naming actorId, and
     * records it signed verify here. Returns the key ids in the PEM.
     */
    public java.util.List<String> keyTrust(String actorId, String pem) throws CaseScribeException {
        byte[] data = CaseScribe.utf8(pem);
        return use(ctx -> {
            PointerByReference ids = new PointerByReference();
            check(C.casescribe_key_trust(ids, ctx, actorId, data, size(data)));
            return java.util.Arrays.asList(CaseScribe.takeString(ids).split("\n"));
        });
    }

    /**
     * Signs {@code payload} with the home's current key as a JSON Web Signature
     * with a detached payload (RFC 7515 appendix F, alg "EdDSA", the key id as
     * "kid"): returns "HEADER..SIGNATURE". Check it with
     * {@link CaseScribe#jwsVerify(String, String, byte[])} or any JOSE library.
     * EKEY when the home has no signing key, ETOOBIG over the payload limit.
     */
    public String jwsSign(byte[] payload) throws CaseScribeException {
        return use(ctx -> {
            PointerByReference jws = new PointerByReference();
            check(C.casescribe_jws_sign(jws, ctx, payload, size(payload)));
            return CaseScribe.takeString(jws);
        });
    }

    // ---- saving and verifying --------------------------------------------------------------

    /** Saves a form through the "xml" adapter; see {@link #save(String, Actor, byte[])}. */
    public byte[] save(Actor actor, byte[] payload) throws CaseScribeException {
        return save("xml", actor, payload);
    }

    /**
     * Saves one form: policy, consent, review gate, laundering check, stamp,
     * journal. Returns the stamped payload: store it as the record and send it
     * back (with the worker's edits) on the next save.
     */
    public byte[] save(String adapter, Actor actor, byte[] payload) throws CaseScribeException {
        CaseScribeLibrary.ActorStruct a = actor.toStruct();
        return use(ctx -> {
            PointerByReference out = new PointerByReference();
            SizeTByReference len = new SizeTByReference();
            check(C.casescribe_save(out, len, ctx, adapter, a, payload, size(payload)));
            return CaseScribe.takeBytes(out, len);
        });
    }

    /** Verifies a stamped payload through the "xml" adapter; see {@link #verify(String, byte[])}. */
    public String verify(byte[] payload) throws CaseScribeException {
        return verify("xml", payload);
    }

    /**
     * Checks a stamped payload with the home's public keys. Returns the
     * plain-English report; throws EVERIFY (with the report attached, saying
     * what differs), EUNSTAMPED, EKEY or a decode error.
     */
    public String verify(String adapter, byte[] payload) throws CaseScribeException {
        return use(ctx -> {
            PointerByReference report = new PointerByReference();
            int status = C.casescribe_verify(report, ctx, adapter, payload, size(payload));
            return CaseScribe.reportOrThrow(status, report);
        });
    }

    // ---- two-phase saves with the host's database ---------------------------------------

    /** Records that the host committed the stamped version (what save returned). ENOTFOUND, ECONFLICT. */
    public void saveConfirm(byte[] stamped) throws CaseScribeException {
        saveConfirm("xml", stamped);
    }

    public void saveConfirm(String adapter, byte[] stamped) throws CaseScribeException {
        use(ctx -> {
            check(C.casescribe_save_confirm(ctx, adapter, stamped, size(stamped)));
            return null;
        });
    }

    /** Where a record stands: the latest version, the last confirmed one (0: none), the latest's digest. */
    public record RecordHead(long version, long confirmed, String digest) {
    }

    public RecordHead recordHead(String recordId) throws CaseScribeException {
        return use(ctx -> {
            IntByReference version = new IntByReference();
            IntByReference confirmed = new IntByReference();
            PointerByReference digest = new PointerByReference();
            check(C.casescribe_record_head(version, confirmed, digest, ctx, recordId));
            return new RecordHead(Integer.toUnsignedLong(version.getValue()),
                    Integer.toUnsignedLong(confirmed.getValue()), CaseScribe.takeString(digest));
        });
    }

    // ---- journal ---------------------------------------------------------------------------

    /** What {@link #journalVerify()} found: the number of good entries and a summary. */
    public record JournalReport(long entries, String report) {
    }

    /** Reads the whole journal and checks every frame and the hash chain. EJOURNAL names the first bad entry. */
    public JournalReport journalVerify() throws CaseScribeException {
        return use(ctx -> {
            LongByReference entries = new LongByReference();
            PointerByReference report = new PointerByReference();
            int status = C.casescribe_journal_verify(entries, report, ctx);
            String text = CaseScribe.reportOrThrow(status, report);
            return new JournalReport(entries.getValue(), text);
        });
    }

    /**
     * Checks that the ledger still holds what a checkpoint (as exported) or a stamped record
     * kept outside the home saw ({@code adapter} for records: "xml" or "fhir"). Returns the
     * report; throws EJOURNAL (shorter, disagreeing or another home's ledger) or EVERIFY (a bad
     * signature), with the report attached.
     */
    public String journalCheck(String adapter, byte[] evidence) throws CaseScribeException {
        return use(ctx -> {
            PointerByReference report = new PointerByReference();
            int status = C.casescribe_journal_check(report, ctx, adapter, evidence, size(evidence));
            return CaseScribe.reportOrThrow(status, report);
        });
    }

    /** The ledger's latest signed checkpoint (a C2SP signed note), to keep outside the home. */
    public String checkpointExport() throws CaseScribeException {
        return use(ctx -> {
            PointerByReference text = new PointerByReference();
            check(C.casescribe_checkpoint_export(text, ctx));
            return CaseScribe.takeString(text);
        });
    }

    /** Always 0 since the ledger is a database (it counted the torn tail of the old journal file). */
    public long journalTruncatedBytes() throws CaseScribeException {
        return use(C::casescribe_journal_truncated_bytes);
    }

    /** Journal entry number `seq` (1 is the first). ENOTFOUND when there is none. */
    public JournalEntry journalEntry(long seq) throws CaseScribeException {
        return use(ctx -> {
            PointerByReference entry = new PointerByReference();
            check(C.casescribe_journal_entry_get(entry, ctx, seq));
            return new JournalEntry(entry.getValue());
        });
    }

    // ---- team policy -----------------------------------------------------------------------

    /** Changes one feature ("ai-draft": "on"/"off") or setting of `team`'s policy, for the admin `actorId`. */
    public void teamSet(String actorId, String team, String key, String value) throws CaseScribeException {
        use(ctx -> {
            check(C.casescribe_team_set(ctx, actorId, team, key, value));
            return null;
        });
    }

    /** A snapshot of the policy in force for `team`. */
    public Policy teamPolicy(String team) throws CaseScribeException {
        return use(ctx -> {
            PointerByReference policy = new PointerByReference();
            check(C.casescribe_team_policy(policy, ctx, team));
            return new Policy(policy.getValue());
        });
    }

    /** The teams that have a policy file, sorted. */
    public List<String> teamList() throws CaseScribeException {
        return use(ctx -> {
            PointerByReference teams = new PointerByReference();
            check(C.casescribe_team_list(teams, ctx));
            return CaseScribe.lines(CaseScribe.takeString(teams));
        });
    }

    /** Makes the home trust a policy admin's Ed25519 public key (PEM) for bundles. */
    public void policyTrust(String actorId, String publicKeyPem) throws CaseScribeException {
        byte[] pem = CaseScribe.utf8(publicKeyPem);
        use(ctx -> {
            check(C.casescribe_policy_trust(ctx, actorId, pem, size(pem)));
            return null;
        });
    }

    /** The ids of this home's kept jobs (transcription, fill) that no other live process holds. */
    public List<String> jobList() throws CaseScribeException {
        return use(ctx -> {
            PointerByReference ids = new PointerByReference();
            check(C.casescribe_job_list(ids, ctx));
            return CaseScribe.lines(CaseScribe.takeString(ids));
        });
    }

    /** The same jobs, one line each: id, kind, state, created and updated times. */
    public List<String> jobListDetail() throws CaseScribeException {
        return use(ctx -> {
            PointerByReference lines = new PointerByReference();
            check(C.casescribe_job_list_detail(lines, ctx));
            return CaseScribe.lines(CaseScribe.takeString(lines));
        });
    }

    /** A handle to kept job `id`: run again from its input after a restart. */
    public Job jobAttach(String id) throws CaseScribeException {
        return use(ctx -> {
            PointerByReference job = new PointerByReference();
            check(C.casescribe_job_attach(job, ctx, id));
            return new Job(job.getValue());
        });
    }

    /** Starts a job that fetches a signed policy bundle and applies it. */
    public Job policyRefresh(FetchOptions options) throws CaseScribeException {
        CaseScribeLibrary.FetchOptionsStruct s = options.toStruct();
        return use(ctx -> {
            PointerByReference job = new PointerByReference();
            check(C.casescribe_policy_refresh(job, ctx, s));
            return new Job(job.getValue());
        });
    }

    // ---- transcription and drafting --------------------------------------------------------

    /** Starts a transcription job for a recording; see {@link TranscribeOptions}. */
    public Job transcribe(TranscribeOptions options) throws CaseScribeException {
        // The struct points into native copies of the form and strings that it
        // keeps reachable; the library copies what it needs during the call.
        CaseScribeLibrary.TranscribeOptionsStruct s = options.toStruct();
        return use(ctx -> {
            PointerByReference job = new PointerByReference();
            check(C.casescribe_transcribe(job, ctx, s));
            return new Job(job.getValue());
        });
    }

    /** Deletes the recordings whose retention has run out; returns how many. */
    public int audioSweep() throws CaseScribeException {
        return use(ctx -> {
            IntByReference deleted = new IntByReference();
            check(C.casescribe_audio_sweep(ctx, deleted));
            return deleted.getValue();
        });
    }

    /** The template `id`, from the home's templates/ folder or the installed ones. ENOTFOUND when none. */
    public Template templateFind(String id) throws CaseScribeException {
        return use(ctx -> {
            PointerByReference t = new PointerByReference();
            check(C.casescribe_template_find(t, ctx, id));
            return new Template(t.getValue());
        });
    }

    /** The ids of the templates that can be found. */
    public List<String> templateList() throws CaseScribeException {
        return use(ctx -> {
            PointerByReference ids = new PointerByReference();
            check(C.casescribe_template_list(ids, ctx));
            return CaseScribe.lines(CaseScribe.takeString(ids));
        });
    }

    /** Signs a template with the home's key and installs it in the home's templates/ folder. */
    public void templateInstall(byte[] xml) throws CaseScribeException {
        use(ctx -> {
            check(C.casescribe_template_install(ctx, xml, new SizeT(xml.length)));
            return null;
        });
    }

    /** Signs the home's external names (names-1.xsd) with its key and installs them as names.xml. */
    public void namesInstall(byte[] xml) throws CaseScribeException {
        use(ctx -> {
            check(C.casescribe_names_install(ctx, xml, new SizeT(xml.length)));
            return null;
        });
    }

    /** Starts a job drafting a form's AI-draftable sections from a transcript; see {@link FillOptions}. */
    public Job fill(FillOptions options) throws CaseScribeException {
        return use(ctx -> options.withStruct(s -> {
            PointerByReference job = new PointerByReference();
            check(C.casescribe_fill(job, ctx, s));
            return new Job(job.getValue());
        }));
    }

    // ---- subject access export -------------------------------------------------------------

    /** Starts a subject access export; add the person's records to it, then finish it. */
    public SarExport sarOpen(SarOptions options) throws CaseScribeException {
        CaseScribeLibrary.SarOptionsStruct s = options.toStruct();
        return use(ctx -> {
            PointerByReference sar = new PointerByReference();
            check(C.casescribe_sar_open(sar, ctx, s));
            return new SarExport(sar.getValue(), this);
        });
    }
}
