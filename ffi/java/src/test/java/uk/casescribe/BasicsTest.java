// SPDX-License-Identifier: Apache-2.0
package uk.casescribe;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.util.Base64;
import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/** The small things: versions, constants, status codes, errors, struct layouts, closed handles. */
public class BasicsTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void versions() {
        assertTrue(CaseScribe.version(), CaseScribe.version().matches("\\d+\\.\\d+\\.\\d+.*"));
        assertEquals(CaseScribeLibrary.ABI_VERSION, CaseScribe.abiVersion());
    }

    @Test
    public void versionInfo() throws Exception {
        CaseScribe.VersionInfo info = CaseScribe.versionInfo();
        assertEquals(CaseScribe.version(), info.major + "." + info.minor + "." + info.patch);
        assertEquals(CaseScribe.constant("VERSION_NUM"), info.versionNum);
        assertEquals(CaseScribe.abiVersion(), info.abiVersion);
        for (String feature : new String[] {"EMBEDDED_ENGINE", "REMOTE_ENGINES", "STORE_SQLITE", "ADAPTER_XML",
                "ADAPTER_FHIR"})
            assertTrue(feature, info.has(feature));
        assertEquals(CaseScribe.constant("LIBRARY_INFO_SIZE"), new CaseScribeLibrary.LibraryInfoStruct().size());
        try {
            info.has("NO_SUCH_FEATURE");
            fail("an unknown feature name was accepted");
        } catch (CaseScribeException e) {
            assertEquals(Status.ENOTFOUND, e.code());
        }
    }

    @Test
    public void keyRegistryHistoryExportAndTrust() throws Exception {
        try (Context ctx = Context.open(tmp.getRoot().toPath().resolve("keys-home"), Context.OpenFlag.CREATE,
                Context.OpenFlag.NO_SYNC);
             Context other = Context.open(tmp.getRoot().toPath().resolve("keys-other"), Context.OpenFlag.CREATE,
                Context.OpenFlag.NO_SYNC)) {
            String first = ctx.keygen();
            String second = ctx.keygen(true);
            String[] lines = ctx.keysExport(true, false).trim().split("\n");
            assertEquals(2, lines.length);
            assertTrue(lines[0], lines[0].startsWith(first + " home ") && lines[0].contains(" retired "));
            assertTrue(lines[1], lines[1].startsWith(second + " home ") && lines[1].contains(" in-use "));
            assertEquals(2, ctx.keysExport(false, true).split("BEGIN PUBLIC KEY", -1).length - 1);
            String otherId = other.keygen();
            assertEquals(List.of(otherId), ctx.keyTrust("dpo-1", other.publicKey()));
            assertTrue(ctx.keysExport(true, false).contains(" trusted "));
            try {
                ctx.keyTrust("dpo-1", "not a key");
                fail("a non-key was trusted");
            } catch (CaseScribeException e) {
                assertEquals(Status.EKEY, e.code());
            }
        }
    }

    @Test
    public void constantsByName() throws CaseScribeException {
        assertEquals(-10, CaseScribe.constant("EVERIFY"));
        assertEquals(Status.EVERIFY, CaseScribe.constant("EVERIFY"));
        assertEquals(0x1, CaseScribe.constant("OPEN_CREATE"));
        assertEquals(8L * 1024 * 1024, CaseScribe.constant("MAX_PAYLOAD"));
        try {
            CaseScribe.constant("NO_SUCH_THING");
            fail("an unknown constant was found");
        } catch (CaseScribeException e) {
            assertEquals(Status.ENOTFOUND, e.code());
            assertEquals("ENOTFOUND", e.name());
            assertTrue(e.getMessage(), e.getMessage().contains("NO_SUCH_THING"));
        }
    }

    @Test
    public void strerrorAndNames() {
        assertEquals("success", CaseScribe.strerror(Status.OK));
        assertTrue(CaseScribe.strerror(Status.EREVIEW).contains("reviewed"));
        assertEquals("unknown status", CaseScribe.strerror(-9999));
        assertEquals("EREVIEW", Status.name(Status.EREVIEW));
        assertEquals("EAUDIO", Status.name(Status.EAUDIO));
        assertEquals("EUNTRUSTED", Status.name(Status.EUNTRUSTED));
        assertEquals("UNKNOWN", Status.name(-9999));
    }

    @Test
    public void errorCarriesCodeNameAndMessage() {
        try (Record r = Record.open(Fixtures.bytes("<nope"))) {
            fail("a broken payload was opened: " + r);
        } catch (CaseScribeException e) {
            assertEquals(Status.EPARSE, e.code());
            assertEquals("EPARSE", e.name());
            assertTrue(e.is("EPARSE"));
            assertFalse(e.getMessage().isEmpty());
            assertNotEquals(CaseScribe.strerror(Status.EPARSE), e.getMessage()); // the library's own message
            assertTrue(e.toString(), e.toString().contains("EPARSE (-4)"));
            assertNull(e.report());
        }
    }

    @Test
    public void structLayoutsMatchTheLibrary() throws CaseScribeException {
        assertEquals(CaseScribe.constant("CTX_OPTIONS_SIZE"), new CaseScribeLibrary.CtxOptionsStruct().size());
        assertEquals(CaseScribe.constant("ACTOR_SIZE"), new CaseScribeLibrary.ActorStruct().size());
        assertEquals(CaseScribe.constant("FETCH_OPTIONS_SIZE"), new CaseScribeLibrary.FetchOptionsStruct().size());
        assertEquals(CaseScribe.constant("TRANSCRIBE_OPTIONS_SIZE"),
                new CaseScribeLibrary.TranscribeOptionsStruct().size());
        assertEquals(CaseScribe.constant("FILL_OPTIONS_SIZE"), new CaseScribeLibrary.FillOptionsStruct().size());
        // No SAR size constant: _init refuses a size it does not know.
        CaseScribeLibrary.SarOptionsStruct sar = new CaseScribeLibrary.SarOptionsStruct();
        assertEquals(Status.OK, CaseScribe.C.casescribe_sar_options_init(sar, sar.size()));
        assertEquals(sar.size(), sar.struct_size);
        assertEquals(Status.EINVAL, CaseScribe.C.casescribe_sar_options_init(sar, sar.size() + 8));
    }

    @Test
    public void textIsUtf8BothWaysWhateverTheLocale() throws Exception {
        // In struct fields (the actor's role) and arguments in, borrowed strings out.
        String form = Fixtures.form().replace("check in with school", "check in with Zo\u00eb's school");
        try (Context ctx = Fixtures.newHome(tmp.getRoot().toPath())) {
            byte[] stamped = ctx.save(Actor.of("sw-017", "trabajadora-social-\u00f1"), Fixtures.bytes(form));
            try (Record r = Record.open(stamped)) {
                assertTrue(r.section(1).text(), r.section(1).text().contains("Zo\u00eb's school"));
            }
            String report = ctx.verify(stamped);
            assertTrue(report, report.contains("trabajadora-social-\u00f1"));
        }
    }

    @Test
    public void closedHandlesRaiseInsteadOfCrashing() throws Exception {
        Context ctx = Fixtures.newHome(tmp.getRoot().toPath());
        byte[] stamped = ctx.save(Fixtures.WORKER, Fixtures.bytes(Fixtures.form()));
        Record r = Record.open(stamped);
        assertEquals("R-7001", r.id());
        r.close();
        assertTrue(r.isClosed());
        expectClosed(r::close);
        expectClosed(r::id);
        Policy p = ctx.teamPolicy("cin-north");
        p.close();
        expectClosed(() -> p.feature("ai-draft"));
        JournalEntry entry = ctx.journalEntry(1);
        entry.close();
        expectClosed(entry::seq);
        // The library's export keeps its context: once the context is
        // closed, the export refuses instead of touching freed memory.
        SarExport sar = ctx.sarOpen(new SarOptions("P-2", tmp.getRoot().toPath().resolve("sar.zip")));
        ctx.close();
        expectClosed(ctx::close);
        expectClosed(ctx::publicKey);
        expectClosed(() -> ctx.jwsSign(stamped));
        expectClosed(() -> ctx.save(Fixtures.WORKER, stamped));
        expectClosed(() -> sar.add(stamped));
        expectClosed(sar::finish);
        sar.close();
    }

    /* The store a home names: its own SQLite ledger here. */
    @Test
    public void storeAdminStatus() throws Exception {
        java.nio.file.Path home = tmp.getRoot().toPath().resolve("home");
        try (Context ctx = Context.open(home, Context.OpenFlag.CREATE, Context.OpenFlag.NO_SYNC)) {
            ctx.keygen();
        }
        String report = CaseScribe.storeAdmin(home, "status", null);
        assertTrue(report, report.contains("sqlite") && report.contains("entries: 1"));
        expectCode(Status.EINVAL, () -> CaseScribe.storeAdmin(home, "nonsense", null));
    }

    /* A ledger rebuilt from a backup: the damaged one is kept beside. */
    @Test
    public void journalRecover() throws Exception {
        java.nio.file.Path home = tmp.getRoot().toPath().resolve("home");
        try (Context ctx = Context.open(home, Context.OpenFlag.CREATE, Context.OpenFlag.NO_SYNC)) {
            ctx.keygen();
        }
        java.nio.file.Path backup = tmp.getRoot().toPath().resolve("backup.db");
        java.nio.file.Files.copy(home.resolve("ledger.db"), backup);
        String report = CaseScribe.journalRecover(home, backup);
        assertTrue(report, report.contains("from the backup"));
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.list(home)) {
            assertTrue(files.anyMatch(p -> p.getFileName().toString().startsWith("ledger.db.damaged-")));
        }
        expectCode(Status.ENOTFOUND, () -> CaseScribe.journalRecover(home, tmp.getRoot().toPath().resolve("none")));
    }

    /* Detached JSON Web Signatures: signed with the home's key, checked with its public key alone. */
    @Test
    public void jwsSignAndVerify() throws Exception {
        try (Context ctx = Context.open(tmp.getRoot().toPath().resolve("home"), Context.OpenFlag.CREATE,
                Context.OpenFlag.NO_SYNC);
             Context other = Fixtures.newHome(tmp.newFolder("other").toPath())) {
            expectCode(Status.EKEY, () -> ctx.jwsSign(Fixtures.bytes("no key yet")));
            String keyId = ctx.keygen();
            String pem = ctx.publicKey();
            byte[] payload = Fixtures.bytes("{\"resourceType\":\"Provenance\",\"target\":"
                    + "[{\"reference\":\"Composition/R-7001\"}]}");
            String jws = ctx.jwsSign(payload);
            String[] parts = jws.split("\\.", -1);
            assertEquals(jws, 3, parts.length);
            assertEquals("the payload is detached", "", parts[1]);
            assertEquals("{\"alg\":\"EdDSA\",\"kid\":\"" + keyId + "\"}",
                    Fixtures.text(Base64.getUrlDecoder().decode(parts[0])));
            CaseScribe.jwsVerify(jws, pem, payload);
            CaseScribe.jwsVerify(ctx.jwsSign(new byte[0]), pem, new byte[0]);

            byte[] changed = Fixtures.bytes(Fixtures.text(payload).replace("R-7001", "R-7002"));
            CaseScribeException e = expectCode(Status.EVERIFY, () -> CaseScribe.jwsVerify(jws, pem, changed));
            assertEquals("EVERIFY", e.name());
            expectCode(Status.EVERIFY, () -> CaseScribe.jwsVerify(jws, other.publicKey(), payload));
            for (String malformed : List.of("", "not a jws", parts[0] + "." + parts[2], jws + ".x", "%%%.." + parts[2]))
                expectCode(Status.EPARSE, () -> CaseScribe.jwsVerify(malformed, pem, payload));
            expectCode(Status.EKEY, () -> CaseScribe.jwsVerify(jws, "not a key", payload));
        }
    }

    static CaseScribeException expectCode(int code, Call call) {
        try {
            call.run();
        } catch (CaseScribeException e) {
            assertEquals(e.getMessage(), Status.name(code), e.name());
            assertEquals(code, e.code());
            return e;
        }
        throw new AssertionError("expected " + Status.name(code));
    }

    /* Kept jobs: none on a new home; an id no job has, or no id at all. */
    @Test
    public void keptJobs() throws Exception {
        try (Context ctx = Fixtures.newHome(tmp.getRoot().toPath())) {
            assertTrue(ctx.jobList().isEmpty());
            assertTrue(ctx.jobListDetail().isEmpty());
            expectCode(Status.ENOTFOUND, () -> ctx.jobAttach("00000000000000000000000000000000"));
            expectCode(Status.EINVAL, () -> ctx.jobAttach("not-a-job-id"));
            try (Job refresh = ctx.policyRefresh(new FetchOptions("https://127.0.0.1:1/bundle.xml"))) {
                assertNull("a policy refresh is not kept", refresh.id());
                refresh.await(java.time.Duration.ofSeconds(30));
            }
        }
    }

    /* A handler given to a job that has already ended runs at once; it may
     * close the job (this once hung: the handle's read lock was still held),
     * and closing the Context from a handler is refused, never a crash. */
    @Test(timeout = 60000)
    public void aHandlerMayCloseItsJobButNotItsContext() throws Exception {
        Context ctx = Fixtures.newHome(tmp.getRoot().toPath());
        Job job = ctx.policyRefresh(new FetchOptions("https://127.0.0.1:1/bundle.xml"));
        assertTrue("the refresh ends", job.await(java.time.Duration.ofSeconds(30)));
        int[] contextClose = {0};
        job.onEnd(j -> {
            try {
                ctx.close();
            } catch (CaseScribeException e) {
                contextClose[0] = e.code();
            }
            try {
                j.close();
            } catch (CaseScribeException e) {
                throw new AssertionError(e);
            }
        });
        assertTrue("the handler closed its job", job.isClosed());
        assertEquals("closing the Context from a handler is refused", Status.EINVAL, contextClose[0]);
        assertFalse(ctx.isClosed());
        ctx.close();
    }

    @Test
    public void twoPhaseSavesConfirmAndSupersedeAFailedHostCommit() throws Exception {
        try (Context ctx = Context.open(tmp.getRoot().toPath().resolve("home"), Context.OpenFlag.CREATE,
                Context.OpenFlag.NO_SYNC, Context.OpenFlag.TWO_PHASE)) {
            ctx.keygen();
            ctx.teamSet("admin-1", "cin-north", "ai-draft", "on");
            byte[] v1 = ctx.save(Fixtures.WORKER, Fixtures.bytes(Fixtures.form()));
            ctx.saveConfirm(v1);
            assertEquals(1, ctx.recordHead("R-7001").confirmed());
            String text = Fixtures.text(v1);
            byte[] v2 = ctx.save(Fixtures.WORKER, Fixtures.bytes(text.replace("check in with school", "call the school")));
            Context.RecordHead head = ctx.recordHead("R-7001");
            assertEquals(2, head.version());
            assertEquals(1, head.confirmed());
            assertTrue(head.digest().startsWith("sha256:"));
            byte[] v3 = ctx.save(Fixtures.WORKER, Fixtures.bytes(text.replace("check in with school", "visit the school")));
            assertTrue(Fixtures.text(v3).contains("version=\"3\""));
            assertTrue(ctx.verify(v2).contains("Abandoned version"));
            expectCode(Status.ECONFLICT, () -> ctx.saveConfirm(v2));
            ctx.saveConfirm(v3);
            assertEquals(3, ctx.recordHead("R-7001").confirmed());
            expectCode(Status.ENOTFOUND, () -> ctx.recordHead("R-unknown"));
        }
    }

    interface Call {
        void run() throws CaseScribeException;
    }

    static void expectClosed(Call call) {
        try {
            call.run();
            fail("a closed handle was used");
        } catch (CaseScribeException e) {
            assertEquals(Status.EINVAL, e.code());
            assertTrue(e.getMessage(), e.getMessage().contains("closed"));
        }
    }
}
