// SPDX-License-Identifier: Apache-2.0
package uk.casescribe;

/**
 * A failure reported by libcasescribe: its status code (a negative
 * CASESCRIBE_E* value), the code's name ("EVERIFY") and the library's
 * message, read on the failing thread right after the failing call.
 *
 * <p>Some calls produce a plain-English report even when they fail (verify,
 * journal verify, export verify); it is kept in {@link #report()}.
 */
public class CaseScribeException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int code;
    private final String name;
    private final String report;

    public CaseScribeException(int code, String message) {
        this(code, message, null);
    }

    public CaseScribeException(int code, String message, String report) {
        super(message == null || message.isEmpty() ? CaseScribe.strerror(code) : message);
        this.code = code;
        this.name = Status.name(code);
        this.report = report;
    }

    /** The status code, for example {@link Status#EVERIFY}. */
    public int code() {
        return code;
    }

    /** The status code's name without the prefix, for example "EVERIFY". */
    public String name() {
        return name;
    }

    /** The library's report when the failing call made one, else null. */
    public String report() {
        return report;
    }

    /** True when this failure has the status called {@code name}, e.g. {@code is("EREVIEW")}. */
    public boolean is(String name) {
        return this.name.equals(name);
    }

    @Override
    public String toString() {
        return getClass().getName() + ": " + name + " (" + code + "): " + getMessage();
    }
}
