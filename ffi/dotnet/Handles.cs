// SPDX-License-Identifier: Apache-2.0
// Handles.cs - one SafeHandle per library handle type, and the base class of
// the public wrappers.
//
// Why SafeHandle: the runtime then guarantees that a handle is freed exactly
// once (by Close/Dispose, or by the finalizer if the host forgot), and never
// while a call on another thread is still using it: NativeObject.Use takes a
// reference for the duration of each call, and the free runs when the last
// one is dropped.
using System;
using System.Runtime.InteropServices;

namespace CaseScribe
{
    internal abstract class LibraryHandle : SafeHandle
    {
        protected LibraryHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }
    }

    internal sealed class ContextHandle : LibraryHandle
    {
        protected override bool ReleaseHandle() { NativeMethods.casescribe_ctx_close(handle); return true; }
    }

    internal sealed class RecordHandle : LibraryHandle
    {
        protected override bool ReleaseHandle() { NativeMethods.casescribe_record_free(handle); return true; }
    }

    internal sealed class JournalEntryHandle : LibraryHandle
    {
        protected override bool ReleaseHandle() { NativeMethods.casescribe_journal_entry_free(handle); return true; }
    }

    internal sealed class JobHandle : LibraryHandle
    {
        protected override bool ReleaseHandle() { NativeMethods.casescribe_job_free(handle); return true; }
    }

    internal sealed class TranscriptHandle : LibraryHandle
    {
        protected override bool ReleaseHandle() { NativeMethods.casescribe_transcript_free(handle); return true; }
    }

    internal sealed class TemplateHandle : LibraryHandle
    {
        protected override bool ReleaseHandle() { NativeMethods.casescribe_template_free(handle); return true; }
    }

    internal sealed class PolicyHandle : LibraryHandle
    {
        protected override bool ReleaseHandle() { NativeMethods.casescribe_policy_free(handle); return true; }
    }

    internal sealed class SarHandle : LibraryHandle
    {
        protected override bool ReleaseHandle() { NativeMethods.casescribe_sar_free(handle); return true; }
    }

    /// <summary>
    /// The base of every class that owns a library handle. <see cref="Close"/>
    /// frees the handle and throws when it was already closed (a host bug worth
    /// hearing about); <see cref="Dispose"/> does the same but is idempotent, as
    /// IDisposable requires, so <c>using</c> blocks stay safe. Every method of
    /// a closed object throws <see cref="CaseScribeException"/> (EINVAL).
    /// </summary>
    public abstract class NativeObject : IDisposable
    {
        private readonly SafeHandle handle;

        internal NativeObject(SafeHandle handle)
        {
            this.handle = handle;
        }

        /// <summary>True once Close or Dispose has been called.</summary>
        public bool IsClosed { get { return handle.IsClosed; } }

        /// <summary>Frees the library handle. Throws when already closed.</summary>
        public void Close()
        {
            lock (handle) {
                if (handle.IsClosed)
                    throw ClosedError();
                handle.Dispose();
            }
        }

        /// <summary>Frees the library handle; does nothing when already closed.</summary>
        public void Dispose()
        {
            lock (handle)
                handle.Dispose();
        }

        internal CaseScribeException ClosedError()
        {
            return CaseScribeException.Binding(Status.EINVAL, GetType().Name + " is closed");
        }

        /// <summary>
        /// Runs <paramref name="call"/> with the raw pointer, holding a reference
        /// on the handle so that a Close on another thread waits for the call to
        /// end. Borrowed strings must be copied inside <paramref name="call"/>.
        /// </summary>
        internal T Use<T>(Func<IntPtr, T> call)
        {
            bool added = false;
            try {
                if (handle.IsClosed)
                    throw ClosedError();
                handle.DangerousAddRef(ref added);
                return call(handle.DangerousGetHandle());
            } catch (ObjectDisposedException) {
                // closed between the check and the AddRef
                throw ClosedError();
            } finally {
                if (added)
                    handle.DangerousRelease();
            }
        }

        /// <summary>
        /// Takes a reference for work that outlives the calling method (a
        /// watcher thread); balance it with <see cref="Release"/>.
        /// </summary>
        internal IntPtr Retain()
        {
            bool added = false;
            try {
                if (handle.IsClosed)
                    throw ClosedError();
                handle.DangerousAddRef(ref added);
                return handle.DangerousGetHandle();
            } catch (ObjectDisposedException) {
                throw ClosedError();
            }
        }

        internal void Release()
        {
            handle.DangerousRelease();
        }

        internal void Use(Action<IntPtr> call)
        {
            Use<bool>(p => { call(p); return true; });
        }
    }
}
