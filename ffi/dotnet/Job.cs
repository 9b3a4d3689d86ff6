// SPDX-License-Identifier: Apache-2.0
// Job.cs - work the library runs on its own threads (casescribe_job).
using System;
using System.Collections.Generic;
using System.Threading;

namespace CaseScribe
{
    /// <summary>
    /// A job: a transcription, a fill or a policy refresh, run by the
    /// context's worker threads. Poll <see cref="State"/>, <see cref="Wait(int)"/>
    /// with a timeout, or ask for a callback with <see cref="OnEnd"/>.
    /// Closing (disposing) the job drops the handle; a running job carries on
    /// (call <see cref="Cancel"/> first to stop it).
    /// </summary>
    public sealed class Job : NativeObject
    {
        // Jobs whose end callback has not run yet. The library keeps a raw
        // function pointer to the delegate, which the collector knows nothing
        // about: this set keeps the Job (and so its delegates) reachable until
        // the library has called it, even if the host drops the Job.
        private static readonly HashSet<Job> awaitingCallback = new HashSet<Job>();

        // Every delegate ever given to the library for this job. Replaced
        // callbacks stay referenced too: the library may be about to call one.
        // It is also the lock for onEnd and watcher.
        private readonly List<NativeJobCallback> thunks = new List<NativeJobCallback>();
        private volatile Action<Job> onEnd;
        private Thread watcher;

        internal Job(JobHandle handle) : base(handle) { }

        public JobState State { get { return Use(p => (JobState)Library.Check(NativeMethods.casescribe_job_state(p))); } }

        /// <summary>What the job does, for example "transcribe".</summary>
        public string Kind { get { return Use(p => Utf8.FromNative(NativeMethods.casescribe_job_kind(p))); } }

        /// <summary>The id a restarted host reattaches by (Context.AttachJob); null for a job that is not kept.</summary>
        public string Id { get { return Use(p => Utf8.FromNative(NativeMethods.casescribe_job_id(p))); } }

        /// <summary>
        /// Waits at most <paramref name="timeoutMs"/> (0: just look; negative: no
        /// limit). True once the job has ended, in any state; false if it has not.
        /// </summary>
        public bool Wait(int timeoutMs)
        {
            return Use(p => {
                int status = NativeMethods.casescribe_job_wait(p, timeoutMs);
                if (status == CaseScribe.Status.EBUSY)
                    return false;
                Library.Check(status);
                return true;
            });
        }

        /// <summary>Waits until the job ends, without limit.</summary>
        public void Wait()
        {
            Wait(-1);
        }

        /// <summary>
        /// How far the job has got, (done, total) in its kind's unit: milliseconds of the recording for a
        /// transcription, steps (3) for a fill; (0, 0) until it knows its total; done == total once done.
        /// </summary>
        public Tuple<long, long> Progress
        {
            get {
                return Use(p => {
                    long done, total;
                    Library.Check(NativeMethods.casescribe_job_progress(p, out done, out total));
                    return Tuple.Create(done, total);
                });
            }
        }

        /// <summary>How the job ended: Status.OK, its error, ECANCELLED; EBUSY while running.</summary>
        public int Status { get { return Use(p => NativeMethods.casescribe_job_status(p)); } }

        /// <summary>Why the job failed or was cancelled; null while running or after success.</summary>
        public string Message { get { return Use(p => Utf8.FromNative(NativeMethods.casescribe_job_message(p))); } }

        /// <summary>What a DONE job made, as text. EBUSY before the end, the job's error otherwise.</summary>
        public string Result()
        {
            return Use(p => {
                IntPtr text;
                Library.Check(NativeMethods.casescribe_job_result(out text, p));
                return Utf8.TakeString(text);
            });
        }

        /// <summary>Asks the job to stop; one that finishes first keeps its result.</summary>
        public void Cancel()
        {
            Use(p => Library.Check(NativeMethods.casescribe_job_cancel(p)));
        }

        /// <summary>The transcript a DONE transcription job made (a handle of its own).</summary>
        public Transcript Transcript()
        {
            return Use(p => {
                TranscriptHandle t;
                Library.Check(NativeMethods.casescribe_job_transcript(out t, p));
                return new Transcript(t);
            });
        }

        /// <summary>The draft form a DONE fill job made.</summary>
        public byte[] Draft()
        {
            return Use(p => {
                IntPtr form;
                UIntPtr length;
                Library.Check(NativeMethods.casescribe_job_draft(out form, out length, p));
                return Utf8.TakeBytes(form, length);
            });
        }

        /// <summary>
        /// An exception the <see cref="OnEnd"/> callback threw. It cannot
        /// propagate: the callback runs on a thread the host does not own.
        /// </summary>
        public Exception CallbackError { get; private set; }

        /// <summary>
        /// How <see cref="OnEnd"/> learns that a job ended. True: the library
        /// calls the callback itself (casescribe_job_on_end), on its worker
        /// thread. False: a background thread of the binding waits for the job
        /// (casescribe_job_wait) and calls it.
        /// <para>
        /// Mono stops threads for a garbage collection with signals (its
        /// default "preemptive" and "hybrid" suspend modes). A library worker
        /// entering managed code while a collection starts was seen to hang
        /// the whole process: first because workers blocked every signal, and
        /// still after the library began running callbacks with the signal
        /// mask of the thread that registered them (tried with Mono 6.8). So
        /// the default is true only on Mono run with MONO_THREADS_SUSPEND=coop,
        /// which suspends without signals. Set it before calling OnEnd.
        /// </para>
        /// </summary>
        public static bool LibraryCallbacks { get; set; } = LibraryCallbacksAreSafe();

        private static bool LibraryCallbacksAreSafe()
        {
            bool mono = Type.GetType("Mono.Runtime") != null;
            return mono && Environment.GetEnvironmentVariable("MONO_THREADS_SUSPEND") == "coop";
        }

        /// <summary>
        /// Calls <paramref name="callback"/> once when the job ends, replacing an
        /// earlier one; at once (on this thread) if it has already ended.
        /// Otherwise it runs on another thread (see <see cref="LibraryCallbacks"/>),
        /// or on the thread that closes the context: keep it short, and do not
        /// close the job in it. <see cref="Wait(int)"/> may return a moment
        /// before the callback has run.
        /// </summary>
        public void OnEnd(Action<Job> callback)
        {
            if (callback == null)
                throw new ArgumentNullException("callback");
            if (LibraryCallbacks)
                RegisterLibraryCallback(callback);
            else
                WatchOnOwnThread(callback);
        }

        private void RegisterLibraryCallback(Action<Job> callback)
        {
            NativeJobCallback thunk = (job, user) => Ended();
            lock (thunks) {
                thunks.Add(thunk);
                onEnd = callback;
            }
            lock (awaitingCallback)
                awaitingCallback.Add(this);
            try {
                Use(p => Library.Check(NativeMethods.casescribe_job_on_end(p, thunk, IntPtr.Zero)));
            } catch {
                lock (awaitingCallback)
                    awaitingCallback.Remove(this);
                throw;
            }
        }

        private void WatchOnOwnThread(Action<Job> callback)
        {
            bool endedAlready;
            lock (thunks) {
                onEnd = callback;
                endedAlready = Use(p => NativeMethods.casescribe_job_wait(p, 0)) == CaseScribe.Status.OK;
                if (!endedAlready && watcher == null)
                    StartWatcher();
                // else: the running watcher will call the new callback
            }
            if (endedAlready)
                Ended(); // call now, on this thread, as the library would
        }

        private void StartWatcher()
        {
            // The reference is taken here, not on the new thread, so that a
            // Dispose right after OnEnd cannot free the job before the wait
            // starts; the watcher drops it once the callback has run.
            IntPtr job = Retain();
            try {
                watcher = new Thread(() => {
                    try {
                        NativeMethods.casescribe_job_wait(job, -1);
                        Ended();
                    } finally {
                        Release();
                    }
                });
                watcher.IsBackground = true; // a job that never ends must not keep the process alive
                watcher.Name = "casescribe job watcher";
                watcher.Start();
            } catch {
                watcher = null;
                Release();
                throw;
            }
        }

        private void Ended()
        {
            try {
                Action<Job> callback = onEnd;
                if (callback != null)
                    callback(this);
            } catch (Exception e) {
                CallbackError = e;
            } finally {
                lock (awaitingCallback)
                    awaitingCallback.Remove(this);
            }
        }
    }
}
