// SPDX-License-Identifier: Apache-2.0
// Sar.cs - a subject access export (casescribe_sar).
using System;

namespace CaseScribe
{
    /// <summary>
    /// A subject access export being written: <see cref="Add"/> each of the
    /// person's records, then <see cref="Finish"/>. Closing an unfinished
    /// export deletes its parts. Use it from one thread at a time.
    /// </summary>
    public sealed class SarExport : NativeObject
    {
        // The library's export keeps a pointer to its context: holding the
        // Context here keeps its SafeHandle from being finalized first, and
        // every call runs inside the context's Use, so that a closed context
        // is EINVAL here, never a use of freed memory.
        private readonly Context context;

        internal SarExport(SarHandle handle, Context context) : base(handle)
        {
            this.context = context;
        }

        /// <summary>Adds one stamped record, as saved.</summary>
        public void Add(byte[] payload, string adapter = "xml")
        {
            context.Use(c => Use(p => Library.Check(NativeMethods.casescribe_sar_add(p, adapter, payload, Utf8.Len(payload)))));
        }

        /// <summary>Signs, zips and writes the export; returns the summary ("name: value" lines).</summary>
        public string Finish()
        {
            return context.Use(c => Use(p => {
                IntPtr summary;
                Library.Check(NativeMethods.casescribe_sar_finish(out summary, p));
                return Utf8.TakeString(summary);
            }));
        }

        /// <summary>
        /// Checks an export ZIP against the council's public key. Returns the
        /// report; throws EVERIFY (report attached), ENOTFOUND, EPARSE. With
        /// null, the bundle's own key is used, which proves only that the files
        /// match each other: EUNTRUSTED (report attached) even when they do.
        /// </summary>
        public static string Verify(string zipPath, string publicKeyPem)
        {
            Library.EnsureAbi();
            byte[] pem = Utf8.Bytes(publicKeyPem);
            IntPtr report;
            int status = NativeMethods.casescribe_sar_verify(out report, zipPath, pem, Utf8.Len(pem));
            return Library.CheckWithReport(status, report);
        }
    }
}
