// SPDX-License-Identifier: Apache-2.0
package uk.casescribe;

import com.sun.jna.Pointer;

import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One library handle and the guard that keeps it from being used after it
 * is freed. Calls hold the read side, so any number run at once; close()
 * takes the write side, so it waits for the calls in flight and every later
 * call fails with EINVAL instead of touching freed memory.
 */
abstract class NativeHandle implements AutoCloseable {
    @FunctionalInterface
    interface HandleCall<T> {
        T apply(Pointer handle) throws CaseScribeException;
    }

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final String what;
    private Pointer handle; // null once closed; guarded by lock

    NativeHandle(Pointer handle, String what) {
        this.handle = handle;
        this.what = what;
    }

    /** Releases the handle in the library; called once, under the write lock. */
    abstract void free(Pointer handle);

    /** Runs `call` with the live handle, or fails with EINVAL once the object is closed. */
    final <T> T use(HandleCall<T> call) throws CaseScribeException {
        Lock read = lock.readLock();
        // tryLock, not lock: a call that meets a close under way fails at once
        // instead of waiting, and a job callback run by the closing thread
        // (which holds the write lock) can still read while it is allowed to.
        if (!read.tryLock())
            throw closedError();
        try {
            if (handle == null)
                throw closedError();
            return call.apply(handle);
        } finally {
            read.unlock();
        }
    }

    /** True once {@link #close()} has run. */
    public final boolean isClosed() {
        Lock read = lock.readLock();
        if (!read.tryLock())
            return true;
        try {
            return handle == null;
        } finally {
            read.unlock();
        }
    }

    /**
     * Frees the handle. Waits for calls in flight on other threads. Closing
     * twice is an error (EINVAL), as is any use after close.
     */
    /** Checked before a close: a subclass refuses one that cannot be done safely now. */
    void checkClose() throws CaseScribeException {
    }

    @Override
    public void close() throws CaseScribeException {
        checkClose();
        lock.writeLock().lock();
        try {
            Pointer p = handle;
            if (p == null)
                throw closedError();
            handle = null; // before free: anything the free calls back into sees it closed
            free(p);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private CaseScribeException closedError() {
        return new CaseScribeException(Status.EINVAL, "this " + what + " is closed");
    }

    @Override
    public String toString() {
        return what + (isClosed() ? " (closed)" : "");
    }
}
