// SPDX-License-Identifier: Apache-2.0
// Library.cs - library-wide functions, status codes, the exception type, the
// enums, and the small marshalling helpers the other files share.
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

[assembly: InternalsVisibleTo("CaseScribe.Tests")]

namespace CaseScribe
{
    /// <summary>Functions of the library that need no handle.</summary>
    public static class Library
    {
        /// <summary>The ABI generation this binding was written for.</summary>
        public const uint BindingAbiVersion = 1;

        private static readonly object abiLock = new object();
        private static bool abiChecked;

        /// <summary>The library's version, for example "1.7.0".</summary>
        public static string Version { get { return Utf8.FromNative(NativeMethods.casescribe_version()); } }

        /// <summary>The library's ABI generation (CASESCRIBE_ABI_VERSION).</summary>
        public static uint AbiVersion { get { return NativeMethods.casescribe_abi_version(); } }

        /// <summary>casescribe_version_info(): the loaded library's version numbers and build features.</summary>
        public static VersionInfo GetVersionInfo()
        {
            var info = new NativeLibraryInfo();
            Check(NativeMethods.casescribe_version_info(ref info, (uint)Marshal.SizeOf(typeof(NativeLibraryInfo))));
            return new VersionInfo(info);
        }

        /// <summary>The value of a public #define by name, without the prefix ("EVERIFY").</summary>
        /// <exception cref="CaseScribeException">ENOTFOUND for an unknown name.</exception>
        public static long Constant(string name)
        {
            long value;
            Check(NativeMethods.casescribe_constant(out value, name));
            return value;
        }

        /// <summary>The library's short description of a status code.</summary>
        public static string StrError(int status)
        {
            return Utf8.FromNative(NativeMethods.casescribe_strerror(status));
        }

        /// <summary>
        /// The SHA-256 fingerprint of a public key (PEM) as a council publishes
        /// it: 16 groups of four hex digits. Throws EKEY when it is not an
        /// Ed25519 public key.
        /// </summary>
        public static string PublicKeyFingerprint(string publicKeyPem)
        {
            EnsureAbi();
            byte[] pem = Utf8.Bytes(publicKeyPem);
            IntPtr fingerprint;
            Check(NativeMethods.casescribe_public_key_fingerprint(out fingerprint, pem, Utf8.Len(pem)));
            return Utf8.TakeString(fingerprint);
        }

        /// <summary>
        /// Rebuilds a home's ledger damaged in its middle from <paramref name="backup"/>
        /// (a copy of ledger.db, or a backed-up home) and the damaged ledger's
        /// entries that still follow it; returns the report (what came from
        /// where, what is lost). Stop the hosts first. Throws ENOTFOUND without
        /// a backup, EJOURNAL when the backup does not verify (nothing changed).
        /// </summary>
        public static string JournalRecover(string home, string backup)
        {
            EnsureAbi();
            IntPtr report;
            Check(NativeMethods.casescribe_journal_recover(out report, home, backup));
            return Utf8.TakeString(report);
        }

        /// <summary>
        /// The store a home names (its own SQLite ledger, or a shared PostgreSQL
        /// one): <paramref name="command"/> "status", "init", "migrate", or "copy"
        /// (the home's SQLite ledger into the empty store <paramref name="uri"/>).
        /// Returns the report. Throws EJOURNAL for a newer schema, ENETWORK when
        /// the database is unreachable.
        /// </summary>
        public static string StoreAdmin(string home, string command, string uri = null)
        {
            EnsureAbi();
            IntPtr report;
            Check(NativeMethods.casescribe_store_admin(out report, home, command, uri));
            return Utf8.TakeString(report);
        }

        /// <summary>
        /// Checks a record with a public key alone (a PEM from
        /// <see cref="Context.PublicKey"/>), for auditors without a home. Returns
        /// the report; throws EVERIFY (with <see cref="CaseScribeException.Report"/>),
        /// EUNSTAMPED, EKEY or a decode error.
        /// </summary>
        public static string VerifyWithPublicKey(string publicKeyPem, byte[] payload, string adapter = "xml")
        {
            EnsureAbi();
            byte[] pem = Utf8.Bytes(publicKeyPem);
            IntPtr report;
            int status = NativeMethods.casescribe_verify_with_public_key(out report, adapter, pem, Utf8.Len(pem),
                payload, Utf8.Len(payload));
            return CheckWithReport(status, report);
        }

        /// <summary>
        /// Checks a detached JWS from <see cref="Context.SignJws"/> against
        /// <paramref name="payload"/> with a public key (a PEM from
        /// <see cref="Context.PublicKey"/>). Returns when the signature matches;
        /// throws EVERIFY when it does not (or is not EdDSA), EPARSE when
        /// <paramref name="jws"/> is not a detached compact JWS, EKEY when the PEM
        /// is not an Ed25519 public key.
        /// </summary>
        public static void VerifyJws(string jws, string publicKeyPem, byte[] payload)
        {
            EnsureAbi();
            byte[] pem = Utf8.Bytes(publicKeyPem);
            Check(NativeMethods.casescribe_jws_verify(jws, pem, Utf8.Len(pem), payload, Utf8.Len(payload)));
        }

        /// <summary>
        /// Refuses to run against a library of another ABI generation: the
        /// struct layouts and signatures here would not match it.
        /// </summary>
        internal static void EnsureAbi()
        {
            lock (abiLock) {
                if (abiChecked)
                    return;
                uint abi;
                try {
                    abi = NativeMethods.casescribe_abi_version();
                } catch (DllNotFoundException e) {
                    throw new DllNotFoundException("libcasescribe.so could not be loaded: install it where the " +
                        "dynamic linker looks (ldconfig), set LD_LIBRARY_PATH, or map \"casescribe\" to its path " +
                        "in CaseScribe.dll.config", e);
                }
                if (abi != BindingAbiVersion)
                    throw CaseScribeException.Binding(Status.EINVAL, string.Format(
                        "libcasescribe has ABI version {0}; this binding was written for {1}", abi, BindingAbiVersion));
                abiChecked = true;
            }
        }

        /// <summary>Throws for a negative status; returns the status otherwise.</summary>
        internal static int Check(int status)
        {
            if (status < 0)
                throw CaseScribeException.FromStatus(status, null); // reads last_error now, on this thread
            return status;
        }

        /// <summary>For calls that give a report either way: the report on OK, else the error carrying it.</summary>
        internal static string CheckWithReport(int status, IntPtr report)
        {
            // the message first: casescribe_free is a library call too
            string message = status < 0 ? Utf8.FromNative(NativeMethods.casescribe_last_error()) : null;
            string text = Utf8.TakeString(report);
            if (status < 0)
                throw new CaseScribeException(status, message, text);
            return text;
        }
    }

    /// <summary>
    /// The library's status codes, read from the library itself by name
    /// (casescribe_constant), so no number is copied here.
    /// </summary>
    public static class Status
    {
        // The names the header defines; the values come from the library.
        private static readonly string[] names = {
            "OK", "EINVAL", "ENOMEM", "EIO", "EPARSE", "ESCHEMA", "ECONSENT", "EREVIEW", "ELAUNDER", "EKEY",
            "EVERIFY", "EJOURNAL", "ENOTFOUND", "ECONFLICT", "ETOOBIG", "EUNSTAMPED", "EINTERNAL", "EPOLICY",
            "ENETWORK", "EBUSY", "ECANCELLED", "EAUDIO", "EUNTRUSTED",
        };
        private static readonly Dictionary<int, string> byCode = new Dictionary<int, string>();

        // An explicit static constructor: the values are then loaded when the
        // class is first used, not whenever the JIT compiles a method naming it
        // (which would turn a missing library into a TypeInitializationException
        // before the binding can say what is missing).
        static Status() { }

        public static readonly int OK = Load("OK");
        public static readonly int EINVAL = Load("EINVAL");
        public static readonly int ENOMEM = Load("ENOMEM");
        public static readonly int EIO = Load("EIO");
        public static readonly int EPARSE = Load("EPARSE");
        public static readonly int ESCHEMA = Load("ESCHEMA");
        public static readonly int ECONSENT = Load("ECONSENT");
        public static readonly int EREVIEW = Load("EREVIEW");
        public static readonly int ELAUNDER = Load("ELAUNDER");
        public static readonly int EKEY = Load("EKEY");
        public static readonly int EVERIFY = Load("EVERIFY");
        public static readonly int EJOURNAL = Load("EJOURNAL");
        public static readonly int ENOTFOUND = Load("ENOTFOUND");
        public static readonly int ECONFLICT = Load("ECONFLICT");
        public static readonly int ETOOBIG = Load("ETOOBIG");
        public static readonly int EUNSTAMPED = Load("EUNSTAMPED");
        public static readonly int EINTERNAL = Load("EINTERNAL");
        public static readonly int EPOLICY = Load("EPOLICY");
        public static readonly int ENETWORK = Load("ENETWORK");
        public static readonly int EBUSY = Load("EBUSY");
        public static readonly int ECANCELLED = Load("ECANCELLED");
        public static readonly int EAUDIO = Load("EAUDIO");
        /// <summary>Everything matches, but only a key that came with the data vouches for it.</summary>
        public static readonly int EUNTRUSTED = Load("EUNTRUSTED");

        /// <summary>All status names the binding knows, in header order.</summary>
        public static IList<string> Names { get { return Array.AsReadOnly(names); } }

        /// <summary>The name of a status code ("EVERIFY"), or "E?(n)" for one this binding does not know.</summary>
        public static string Name(int code)
        {
            string name;
            lock (byCode)
                return byCode.TryGetValue(code, out name) ? name : "E?(" + code + ")";
        }

        private static int Load(string name)
        {
            long value;
            if (NativeMethods.casescribe_constant(out value, name) != 0)
                throw new InvalidOperationException("libcasescribe does not define " + name);
            lock (byCode)
                byCode[(int)value] = name;
            return (int)value;
        }
    }

    /// <summary>
    /// A failure reported by the library (or by the binding, for a closed
    /// handle): the status <see cref="Code"/>, its <see cref="Name"/> and the
    /// library's message for people (casescribe_last_error of the failing call).
    /// </summary>
    public class CaseScribeException : Exception
    {
        public CaseScribeException(int code, string detail, string report = null)
            : base(Status.Name(code) + ": " + (string.IsNullOrEmpty(detail) ? Library.StrError(code) : detail))
        {
            Code = code;
            Name = Status.Name(code);
            Detail = string.IsNullOrEmpty(detail) ? Library.StrError(code) : detail;
            Report = report;
        }

        /// <summary>The library's status code, a negative number (Status.EVERIFY, ...).</summary>
        public int Code { get; private set; }

        /// <summary>The code's name without the prefix, for example "EVERIFY".</summary>
        public string Name { get; private set; }

        /// <summary>The library's message alone (Message adds the name in front).</summary>
        public string Detail { get; private set; }

        /// <summary>The report of a failed verify (record, journal or export); null otherwise.</summary>
        public string Report { get; private set; }

        /// <summary>Must run right after the failing call, on its thread: the message is per thread.</summary>
        internal static CaseScribeException FromStatus(int status, string report)
        {
            return new CaseScribeException(status, Utf8.FromNative(NativeMethods.casescribe_last_error()), report);
        }

        internal static CaseScribeException Binding(int status, string message)
        {
            return new CaseScribeException(status, message);
        }
    }

    /// <summary>Flags for <see cref="Context.Open"/> (CASESCRIBE_OPEN_*).</summary>
    [Flags]
    public enum OpenFlags : uint
    {
        None = 0,
        /// <summary>Create the home folder if it is missing.</summary>
        Create = 0x1,
        /// <summary>Skip fdatasync on the journal: benchmarks and tests ONLY.</summary>
        NoSync = 0x2,
        /// <summary>Two-phase saves: a version never confirmed with SaveConfirm may be superseded (since 1.6).</summary>
        TwoPhase = 0x8,
    }

    /// <summary>Flags for <see cref="Context.Keygen"/> (CASESCRIBE_KEYGEN_*).</summary>
    [Flags]
    public enum KeygenFlags : uint
    {
        None = 0,
        /// <summary>Replace an existing signing key; the old public key is kept.</summary>
        Rotate = 0x1,
    }

    /// <summary>Flags for <see cref="Context.KeysExport"/> (CASESCRIBE_KEYS_*).</summary>
    [Flags]
    public enum KeysFlags : uint
    {
        /// <summary>Every key of the registry as a PEM bundle with ids and validity.</summary>
        None = 0,
        /// <summary>One line per key, no PEM.</summary>
        List = 0x1,
        /// <summary>Only the home's own keys, not trusted ones.</summary>
        Home = 0x2,
    }

    /// <summary>Flags for <see cref="TranscribeOptions.Flags"/> (CASESCRIBE_TRANSCRIBE_*).</summary>
    [Flags]
    public enum TranscribeFlags : uint
    {
        None = 0,
        /// <summary>The library takes the recording and applies the team's retention to it.</summary>
        TakeRecording = 0x1,
    }

    /// <summary>Values of <see cref="FillOptions.Style"/> (CASESCRIBE_FILL_STYLE_*, since 1.7).</summary>
    public enum FillStyle : uint
    {
        /// <summary>The speaker's words, tidied ("Kerry: I've agreed a payment plan."): the default.</summary>
        Quote = 0,
        /// <summary>Reported speech, the record's style ("Kerry said they have agreed a payment plan.").</summary>
        Reported = 1,
    }

    /// <summary>casescribe_job_state() values.</summary>
    public enum JobState
    {
        Queued = 0,
        Running = 1,
        Done = 2,
        Failed = 3,
        Cancelled = 4,
    }

    /// <summary>casescribe_transcript_render() formats.</summary>
    public enum TranscriptFormat : uint
    {
        Text = 0,
        Xml = 1,
    }

    /// <summary>casescribe_template_section_ai() values.</summary>
    public enum AiUse
    {
        /// <summary>Professional judgement: never drafted by AI.</summary>
        Never = 0,
        /// <summary>AI may propose a draft, which a person must review.</summary>
        Draft = 1,
    }

    /// <summary>casescribe_policy_state() values.</summary>
    public enum PolicyState
    {
        /// <summary>No policy file: the safe defaults.</summary>
        Defaults = 0,
        /// <summary>A signed file that verifies.</summary>
        Signed = 1,
        /// <summary>A file that does not verify: the safe defaults apply.</summary>
        Refused = 2,
    }

    /// <summary>UTF-8 conversions and the casescribe_free discipline.</summary>
    internal static class Utf8
    {
        public static string FromNative(IntPtr p)
        {
            return p == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(p);
        }

        /// <summary>Copies a library-allocated string and frees it with casescribe_free.</summary>
        public static string TakeString(IntPtr p)
        {
            if (p == IntPtr.Zero)
                return null;
            try {
                return Marshal.PtrToStringUTF8(p);
            } finally {
                NativeMethods.casescribe_free(p);
            }
        }

        /// <summary>Copies library-allocated bytes and frees them with casescribe_free.</summary>
        public static byte[] TakeBytes(IntPtr p, UIntPtr len)
        {
            if (p == IntPtr.Zero)
                return null;
            try {
                byte[] bytes = new byte[checked((int)len.ToUInt64())];
                Marshal.Copy(p, bytes, 0, bytes.Length);
                return bytes;
            } finally {
                NativeMethods.casescribe_free(p);
            }
        }

        public static byte[] Bytes(string s)
        {
            return s == null ? null : Encoding.UTF8.GetBytes(s);
        }

        public static UIntPtr Len(byte[] b)
        {
            return new UIntPtr(b == null ? 0u : (uint)b.Length);
        }

        /// <summary>Splits a one-per-line list; an empty text is an empty list.</summary>
        public static string[] Lines(string text)
        {
            if (string.IsNullOrEmpty(text))
                return new string[0];
            return text.Split(new[] { '\n' }, StringSplitOptions.RemoveEmptyEntries);
        }
    }

    /// <summary>
    /// Native memory for the strings and byte arrays an options struct points
    /// to. It lives for the duration of one call (a using block) and frees
    /// everything afterwards; the library copies what it keeps.
    /// </summary>
    internal sealed class NativeArena : IDisposable
    {
        private readonly List<IntPtr> strings = new List<IntPtr>();
        private readonly List<GCHandle> pins = new List<GCHandle>();

        /// <summary>
        /// A native copy of <paramref name="s"/>; when it is null, <paramref name="unset"/>
        /// (the value _init gave the field), so the library's defaults stay.
        /// </summary>
        public IntPtr Str(string s, IntPtr unset = default(IntPtr))
        {
            if (s == null)
                return unset;
            IntPtr p = Marshal.StringToCoTaskMemUTF8(s);
            strings.Add(p);
            return p;
        }

        /// <summary>Pins a byte array so the collector cannot move it during the call.</summary>
        public IntPtr Pin(byte[] bytes)
        {
            if (bytes == null)
                return IntPtr.Zero;
            GCHandle h = GCHandle.Alloc(bytes, GCHandleType.Pinned);
            pins.Add(h);
            return h.AddrOfPinnedObject();
        }

        public void Dispose()
        {
            foreach (IntPtr p in strings)
                Marshal.FreeCoTaskMem(p);
            foreach (GCHandle h in pins)
                h.Free();
            strings.Clear();
            pins.Clear();
        }
    }

    /// <summary>casescribe_version_info(): the loaded library's version numbers and build features.</summary>
    public sealed class VersionInfo
    {
        public readonly uint Major, Minor, Patch, VersionNum, AbiVersion, Features;

        internal VersionInfo(NativeLibraryInfo info)
        {
            Major = info.major;
            Minor = info.minor;
            Patch = info.patch;
            VersionNum = info.version_num;
            AbiVersion = info.abi_version;
            Features = info.features;
        }

        /// <summary>Whether the library was built with a feature, named as its CASESCRIBE_FEATURE_ constant
        /// without the prefix ("STORE_POSTGRESQL").</summary>
        /// <exception cref="CaseScribeException">ENOTFOUND for a name the library does not know.</exception>
        public bool Has(string feature)
        {
            return (Features & (uint)Library.Constant("FEATURE_" + feature)) != 0;
        }
    }
}
