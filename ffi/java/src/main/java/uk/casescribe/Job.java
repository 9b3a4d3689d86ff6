// SPDX-License-Identifier: Apache-2.0
package uk.casescribe;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import uk.casescribe.CaseScribeLibrary.SizeTByReference;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import static uk.casescribe.CaseScribe.C;

/**
 * Work the library runs on the context's own threads: a transcription, a
 * fill, a policy refresh. Watch it by polling {@link #state()}, waiting with
 * {@link #await(Duration)}, or with {@link #onEnd(Consumer)}; stop it with
 * {@link #cancel()}. Every method but close() may be called from any thread.
 * Closing a job that still runs lets it carry on and drops its result.
 */
public final class Job extends NativeHandle {

    public enum State {
        QUEUED("JOB_QUEUED"),
        RUNNING("JOB_RUNNING"),
        /** Ended with success: {@link #result()} has what it made. */
        DONE("JOB_DONE"),
        /** Ended with an error: {@link #status()} and {@link #message()} say which. */
        FAILED("JOB_FAILED"),
        /** Ended by a cancel (by the host, or by closing its context). */
        CANCELLED("JOB_CANCELLED");

        final int code;

        State(String constant) {
            code = (int) CaseScribe.requiredConstant(constant);
        }

        public boolean ended() {
            return this == DONE || this == FAILED || this == CANCELLED;
        }
    }

    /*
     * One native callback for every job, held by a static field so that JNA's
     * trampoline is never collected: the library may call it on a worker
     * thread after the host has dropped (even freed) its Job, since a freed
     * job still runs to its end. `user` carries the id under which the Job
     * waits in PENDING, which holds it strongly until its end has been
     * delivered, exactly once.
     */
    private static final Map<Long, Job> PENDING = new ConcurrentHashMap<>();
    private static final AtomicLong IDS = new AtomicLong();
    private static final CaseScribeLibrary.JobCallback ON_END = (job, user) -> {
        Job j = PENDING.remove(Pointer.nativeValue(user));
        if (j != null)
            j.ended();
    };

    private final long id = IDS.incrementAndGet();
    private boolean registered; // guarded by this
    private boolean fired;      // guarded by this
    private Consumer<Job> handler; // guarded by this

    Job(Pointer job) {
        super(job, "Job");
    }

    @Override
    void free(Pointer job) {
        C.casescribe_job_free(job);
    }

    public State state() throws CaseScribeException {
        int code = use(C::casescribe_job_state);
        for (State s : State.values())
            if (s.code == code)
                return s;
        throw CaseScribe.error(code);
    }

    /** What the job does, for example "transcription", "fill", "policy-refresh". */
    public String kind() throws CaseScribeException {
        return use(C::casescribe_job_kind);
    }

    /** The id a restarted host reattaches by (Context.jobAttach); null for a job that is not kept. */
    public String id() throws CaseScribeException {
        return use(C::casescribe_job_id);
    }

    /** Waits until the job ends, at most `timeout` (null: no limit). True once it has ended. */
    public boolean await(Duration timeout) throws CaseScribeException {
        int ms = timeout == null ? -1 : (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        return use(job -> {
            int status = C.casescribe_job_wait(job, ms);
            if (status == Status.EBUSY)
                return false;
            CaseScribe.check(status);
            return true;
        });
    }

    /**
     * How far the job has got: {done, total} in its kind's unit (milliseconds of the recording for a
     * transcription, steps (3) for a fill); {0, 0} until it knows its total; done equals total once it is done.
     */
    public long[] progress() throws CaseScribeException {
        return use(job -> {
            LongByReference done = new LongByReference(), total = new LongByReference();
            CaseScribe.check(C.casescribe_job_progress(job, done, total));
            return new long[] {done.getValue(), total.getValue()};
        });
    }

    /** How the job ended: {@link Status#OK}, its error, ECANCELLED; EBUSY while it has not ended. */
    public int status() throws CaseScribeException {
        return use(C::casescribe_job_status);
    }

    /** Why the job failed or was cancelled (never personal data); null while it runs or when it succeeded. */
    public String message() throws CaseScribeException {
        return use(C::casescribe_job_message);
    }

    /** What a DONE job made, as text. EBUSY before the end; the job's own error when it did not succeed. */
    public String result() throws CaseScribeException {
        return use(job -> {
            PointerByReference out = new PointerByReference();
            CaseScribe.check(C.casescribe_job_result(out, job));
            return CaseScribe.takeString(out);
        });
    }

    /** Asks the job to stop; one that finishes first keeps its result. */
    public void cancel() throws CaseScribeException {
        use(job -> {
            CaseScribe.check(C.casescribe_job_cancel(job));
            return null;
        });
    }

    /** The transcript a DONE transcription job made (a handle of its own). */
    public Transcript transcript() throws CaseScribeException {
        return use(job -> {
            PointerByReference t = new PointerByReference();
            CaseScribe.check(C.casescribe_job_transcript(t, job));
            return new Transcript(t.getValue());
        });
    }

    /** The draft form a DONE fill job made, encoded by the form's adapter. */
    public byte[] draft() throws CaseScribeException {
        return use(job -> {
            PointerByReference out = new PointerByReference();
            SizeTByReference len = new SizeTByReference();
            CaseScribe.check(C.casescribe_job_draft(out, len, job));
            return CaseScribe.takeBytes(out, len);
        });
    }

    /**
     * Calls `handler` once when the job ends, replacing an earlier handler;
     * at once (on this thread) when it has ended already. The handler runs on
     * a library thread: keep it short. It may close the job; closing its
     * Context from it fails with EINVAL (the close would wait for the very
     * thread the handler runs on). An exception it throws goes to the thread's uncaught-exception
     * handler.
     */
    public void onEnd(Consumer<Job> handler) throws CaseScribeException {
        Objects.requireNonNull(handler, "handler");
        boolean register;
        boolean callNow;
        synchronized (this) {
            this.handler = handler;
            callNow = fired;
            register = !registered;
            registered = true;
        }
        if (register) {
            PENDING.put(id, this);
            REGISTERING.set(this);
            try {
                use(job -> {
                    CaseScribe.check(C.casescribe_job_on_end(job, ON_END, new Pointer(id)));
                    return null;
                });
            } catch (CaseScribeException e) {
                PENDING.remove(id);
                synchronized (this) {
                    registered = false;
                }
                throw e;
            } finally {
                REGISTERING.remove();
            }
            Consumer<Job> late = null;
            synchronized (this) {
                if (deferred) {
                    deferred = false;
                    late = this.handler;
                }
            }
            if (late != null)
                deliver(late); /* it had ended already: now, outside the lock */
        } else if (callNow) {
            deliver(handler);
        }
    }

    /* The job whose casescribe_job_on_end call is running on this thread: a
     * job that had already ended is called back inside that call, while the
     * handle's read lock is held, where a handler closing the job would wait
     * for itself. Its delivery is deferred until the call has returned. */
    private static final ThreadLocal<Job> REGISTERING = new ThreadLocal<>();
    /* True while a handler runs on this thread (see Context#close). */
    private static final ThreadLocal<Boolean> IN_HANDLER = ThreadLocal.withInitial(() -> false);
    private boolean deferred; // guarded by this

    static boolean inHandler() {
        return IN_HANDLER.get();
    }

    private void ended() {
        Consumer<Job> h;
        synchronized (this) {
            fired = true;
            h = handler;
            if (REGISTERING.get() == this) {
                deferred = true;
                return;
            }
        }
        deliver(h);
    }

    private void deliver(Consumer<Job> h) {
        IN_HANDLER.set(true);
        try {
            h.accept(this);
        } catch (Throwable t) { // never let an exception unwind into the library's thread
            Thread.currentThread().getUncaughtExceptionHandler().uncaughtException(Thread.currentThread(), t);
        } finally {
            IN_HANDLER.set(false);
        }
    }
}
