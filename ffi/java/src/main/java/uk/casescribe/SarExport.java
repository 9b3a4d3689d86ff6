package uk.casescribe;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

import java.nio.file.Path;

import static uk.casescribe.CaseScribe.C;

/**
 * A subject access export in progress, from {@link Context#sarOpen(SarOptions)}:
 * add the person's stamped records one at a time, then {@link #finish()}.
 * Closing an unfinished export deletes its parts. One thread at a time.
 */
public final class SarExport extends NativeHandle {

    SarExport(Pointer sar) {
        super(sar, "SarExport");
    }

    @Override
    void free(Pointer sar) {
        C.casescribe_sar_free(sar);
    }

    /**
     * Adds one stamped record. A record that does not verify is included with
     * a warning; EINVAL for a record that does not name the subject (left out).
     */
    public void add(String adapter, byte[] payload) throws CaseScribeException {
        use(sar -> {
            CaseScribe.check(C.casescribe_sar_add(sar, adapter, payload, CaseScribe.size(payload)));
            return null;
        });
    }

    public void add(byte[] payload) throws CaseScribeException {
        add("xml", payload);
    }

    /** Signs and writes the ZIP (and the review list); returns the summary, one "name: value" per line. */
    public String finish() throws CaseScribeException {
        return use(sar -> {
            PointerByReference summary = new PointerByReference();
            CaseScribe.check(C.casescribe_sar_finish(summary, sar));
            return CaseScribe.takeString(summary);
        });
    }

    /**
     * Checks an export ZIP: the manifest's signature with `councilPublicKeyPem`
     * (null: the bundle's own key, which proves only that the files match each
     * other) and every file. Returns the report; EVERIFY (report attached) names
     * any changed, added or missing file.
     */
    public static String verify(Path zip, String councilPublicKeyPem) throws CaseScribeException {
        byte[] pem = CaseScribe.utf8(councilPublicKeyPem);
        PointerByReference report = new PointerByReference();
        int status = C.casescribe_sar_verify(report, zip.toString(), pem, CaseScribe.size(pem));
        return CaseScribe.reportOrThrow(status, report);
    }
}
