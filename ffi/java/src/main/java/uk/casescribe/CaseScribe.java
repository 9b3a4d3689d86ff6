// SPDX-License-Identifier: Apache-2.0
package uk.casescribe;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import uk.casescribe.CaseScribeLibrary.SizeT;
import uk.casescribe.CaseScribeLibrary.SizeTByReference;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Library-wide calls that need no {@link Context}: versions, constants,
 * status descriptions and offline verification. Also the binding's own
 * helpers for statuses and library-allocated memory.
 */
public final class CaseScribe {
    private CaseScribe() {
    }

    /** The loaded library; see {@link CaseScribeLibrary#load()} for where it comes from. */
    static final CaseScribeLibrary C = CaseScribeLibrary.load();

    /** The library's version, for example "1.7.0". */
    public static String version() {
        return C.casescribe_version();
    }

    /** The library's ABI generation (checked against {@link CaseScribeLibrary#ABI_VERSION} at load). */
    public static int abiVersion() {
        return C.casescribe_abi_version();
    }

    /** casescribe_version_info(): the loaded library's version numbers and build features. */
    public static final class VersionInfo {
        public final int major;
        public final int minor;
        public final int patch;
        public final int versionNum;
        public final int abiVersion;
        public final int features;

        VersionInfo(CaseScribeLibrary.LibraryInfoStruct info) {
            major = info.major;
            minor = info.minor;
            patch = info.patch;
            versionNum = info.version_num;
            abiVersion = info.abi_version;
            features = info.features;
        }

        /** Whether the library was built with a feature, named as its CASESCRIBE_FEATURE_ constant without the
         * prefix ("STORE_POSTGRESQL"). Throws ENOTFOUND for a name the library does not know. */
        public boolean has(String feature) throws CaseScribeException {
            return (features & constant("FEATURE_" + feature)) != 0;
        }
    }

    /** The loaded library's version numbers and build features. */
    public static VersionInfo versionInfo() throws CaseScribeException {
        CaseScribeLibrary.LibraryInfoStruct info = new CaseScribeLibrary.LibraryInfoStruct();
        check(C.casescribe_version_info(info, info.size()));
        return new VersionInfo(info);
    }

    /** A short, static description of a status code; "unknown status" for unknown codes. */
    public static String strerror(int status) {
        return C.casescribe_strerror(status);
    }

    /** The value of one of the header's #defines by its name without the prefix ("EVERIFY", "OPEN_CREATE"). */
    public static long constant(String name) throws CaseScribeException {
        LongByReference value = new LongByReference();
        check(C.casescribe_constant(value, name));
        return value.getValue();
    }

    /**
     * The SHA-256 fingerprint of a public key (PEM) as a council publishes it:
     * 16 groups of four hex digits. Throws EKEY when it is not an Ed25519 public key.
     */
    public static String publicKeyFingerprint(String publicKeyPem) throws CaseScribeException {
        byte[] pem = utf8(publicKeyPem);
        PointerByReference out = new PointerByReference();
        check(C.casescribe_public_key_fingerprint(out, pem, size(pem)));
        return takeString(out);
    }

    /**
     * Rebuilds a home's ledger damaged in its middle from {@code backup} (a copy
     * of ledger.db, or a backed-up home) and the damaged ledger's entries that
     * still follow it; returns the report (what came from where, what is lost).
     * Stop the hosts first. Throws ENOTFOUND without a backup, EJOURNAL when
     * the backup does not verify (nothing changed).
     */
    public static String journalRecover(Path home, Path backup) throws CaseScribeException {
        PointerByReference out = new PointerByReference();
        check(C.casescribe_journal_recover(out, home == null ? null : home.toString(), backup.toString()));
        return takeString(out);
    }

    /**
     * The store a home names (its own SQLite ledger, or a shared PostgreSQL
     * one): {@code command} "status", "init", "migrate", or "copy" (the home's
     * SQLite ledger into the empty store {@code uri}; null otherwise). Returns
     * the report. Throws EJOURNAL for a newer schema, ENETWORK when unreachable.
     */
    public static String storeAdmin(Path home, String command, String uri) throws CaseScribeException {
        PointerByReference out = new PointerByReference();
        check(C.casescribe_store_admin(out, home == null ? null : home.toString(), command, uri));
        return takeString(out);
    }

    /**
     * Checks a stamped payload with a public key alone (a PEM from
     * {@link Context#publicKey()}), as an auditor without a home does.
     * Returns the report; throws EVERIFY (report attached) when anything differs.
     */
    public static String verifyWithPublicKey(String adapter, String publicKeyPem, byte[] payload)
            throws CaseScribeException {
        byte[] pem = utf8(publicKeyPem);
        PointerByReference report = new PointerByReference();
        int status = C.casescribe_verify_with_public_key(report, adapter, pem, size(pem), payload, size(payload));
        return reportOrThrow(status, report);
    }

    /** {@link #verifyWithPublicKey(String, String, byte[])} for the "xml" adapter. */
    public static String verifyWithPublicKey(String publicKeyPem, byte[] payload) throws CaseScribeException {
        return verifyWithPublicKey("xml", publicKeyPem, payload);
    }

    /**
     * Checks a detached JWS from {@link Context#jwsSign(byte[])} against
     * {@code payload} with a public key (a PEM from {@link Context#publicKey()}).
     * Returns when the signature matches; throws EVERIFY when it does not (or
     * is not EdDSA), EPARSE when {@code jws} is not a detached compact JWS,
     * EKEY when the PEM is not an Ed25519 public key.
     */
    public static void jwsVerify(String jws, String publicKeyPem, byte[] payload) throws CaseScribeException {
        byte[] pem = utf8(publicKeyPem);
        check(C.casescribe_jws_verify(jws, pem, size(pem), payload, size(payload)));
    }

    /** Signs a policy bundle with the admin's Ed25519 private key (a 0600 PKCS#8 PEM file). */
    public static byte[] policyBundleSign(byte[] bundle, Path adminKey) throws CaseScribeException {
        PointerByReference out = new PointerByReference();
        SizeTByReference len = new SizeTByReference();
        check(C.casescribe_policy_bundle_sign(out, len, bundle, size(bundle), adminKey.toString()));
        return takeBytes(out, len);
    }

    // ---- helpers shared by the binding -------------------------------------------------

    /** A constant the binding cannot work without; used while classes initialise. */
    static long requiredConstant(String name) {
        LongByReference value = new LongByReference();
        int status = C.casescribe_constant(value, name);
        if (status != 0)
            throw new IllegalStateException("libcasescribe has no constant " + name + ": " + C.casescribe_last_error());
        return value.getValue();
    }

    /**
     * The exception for a failed call. Must be called on the failing thread
     * before any other call into the library, since that replaces the
     * thread's last error (casescribe_free included).
     */
    static CaseScribeException error(int status) {
        return new CaseScribeException(status, C.casescribe_last_error());
    }

    static void check(int status) throws CaseScribeException {
        if (status != 0)
            throw error(status);
    }

    /**
     * For calls that return a report either way: the report on success, or
     * the error with the report attached. The error is read before the
     * report is freed (see {@link #error}).
     */
    static String reportOrThrow(int status, PointerByReference report) throws CaseScribeException {
        String message = status != 0 ? C.casescribe_last_error() : null;
        String text = takeString(report);
        if (status != 0)
            throw new CaseScribeException(status, message, text);
        return text;
    }

    /** Copies a library-allocated string and frees it; null for NULL. */
    static String takeString(PointerByReference ref) {
        Pointer p = ref.getValue();
        if (p == null)
            return null;
        try {
            return p.getString(0, "UTF-8");
        } finally {
            C.casescribe_free(p);
        }
    }

    /** Copies library-allocated bytes and frees them; null for NULL. */
    static byte[] takeBytes(PointerByReference ref, SizeTByReference len) {
        Pointer p = ref.getValue();
        if (p == null)
            return null;
        try {
            return p.getByteArray(0, Math.toIntExact(len.getValue()));
        } finally {
            C.casescribe_free(p);
        }
    }

    /** A library list ("one per line") as a Java list; empty for "". */
    static List<String> lines(String text) {
        if (text == null || text.isEmpty())
            return List.of();
        return Arrays.stream(text.split("\n")).filter(s -> !s.isEmpty()).toList();
    }

    static SizeT size(byte[] data) {
        return new SizeT(data == null ? 0 : data.length);
    }

    static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    /** Native memory holding `data`, for pointer fields of option structs (null for null or empty). */
    static Memory memory(byte[] data) {
        if (data == null || data.length == 0)
            return null;
        Memory m = new Memory(data.length);
        m.write(0, data, 0, data.length);
        return m;
    }

    static String pathString(Path p) {
        return p == null ? null : p.toString();
    }
}
