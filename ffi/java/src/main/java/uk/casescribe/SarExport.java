// SPDX-License-Identifier: Apache-2.0
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

    /* The library's export keeps a pointer to its context: every call runs
     * inside the context's own use(), so that a closed context is EINVAL
     * here, never a use of freed memory. */
    private final Context context;

    SarExport(Pointer sar, Context context) {
        super(sar, "SarExport");
        this.context = context;
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
        context.use(ctx -> use(sar -> {
            CaseScribe.check(C.casescribe_sar_add(sar, adapter, payload, CaseScribe.size(payload)));
            return null;
        }));
    }

    public void add(byte[] payload) throws CaseScribeException {
        add("xml", payload);
    }

    /** Signs and writes the ZIP (and the review list); returns the summary, one "name: value" per line. */
    public String finish() throws CaseScribeException {
        return context.use(ctx -> use(sar -> {
            PointerByReference summary = new PointerByReference();
            CaseScribe.check(C.casescribe_sar_finish(summary, sar));
            return CaseScribe.takeString(summary);
        }));
    }

    /**
     * Checks an export ZIP: the manifest's signature with `councilPublicKeyPem`
     * and every file. Returns the report; EVERIFY (report attached) names any
     * changed, added or missing file. With null, the bundle's own key is used,
     * which proves only that the files match each other: EUNTRUSTED (report
     * attached) even when they do.
     */
    public static String verify(Path zip, String councilPublicKeyPem) throws CaseScribeException {
        byte[] pem = CaseScribe.utf8(councilPublicKeyPem);
        PointerByReference report = new PointerByReference();
        int status = C.casescribe_sar_verify(report, zip.toString(), pem, CaseScribe.size(pem));
        return CaseScribe.reportOrThrow(status, report);
    }
}
