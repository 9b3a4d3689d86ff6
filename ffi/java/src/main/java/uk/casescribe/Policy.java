// SPDX-License-Identifier: Apache-2.0
package uk.casescribe;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

import static uk.casescribe.CaseScribe.C;

/**
 * A snapshot of a team's policy, from {@link Context#teamPolicy(String)}.
 * Later changes do not touch it. May be read from several threads.
 */
public final class Policy extends NativeHandle {

    /** Where the policy in force comes from. */
    public enum State {
        /** No policy file: the safe defaults (every feature off). */
        DEFAULTS("POLICY_DEFAULTS"),
        /** A signed file that verifies. */
        SIGNED("POLICY_SIGNED"),
        /** A file that does not verify: the safe defaults apply; {@link #problem()} says why. */
        REFUSED("POLICY_REFUSED");

        final int code;

        State(String constant) {
            code = (int) CaseScribe.requiredConstant(constant);
        }
    }

    Policy(Pointer policy) {
        super(policy, "Policy");
    }

    @Override
    void free(Pointer policy) {
        C.casescribe_policy_free(policy);
    }

    public String team() throws CaseScribeException {
        return use(C::casescribe_policy_team);
    }

    /** The version (0 for the defaults). */
    public int version() throws CaseScribeException {
        return use(C::casescribe_policy_version);
    }

    public State state() throws CaseScribeException {
        int code = use(C::casescribe_policy_state);
        for (State s : State.values())
            if (s.code == code)
                return s;
        throw new CaseScribeException(Status.EINTERNAL, "unknown policy state " + code);
    }

    /** For a REFUSED policy, why the file was not used; null otherwise. */
    public String problem() throws CaseScribeException {
        return use(C::casescribe_policy_problem);
    }

    /** "sha256:..." of the signed file; null for the defaults. */
    public String digest() throws CaseScribeException {
        return use(C::casescribe_policy_digest);
    }

    /** Whether `feature` ("transcription", "ai-draft", ...) is on. ENOTFOUND for an unknown feature. */
    public boolean feature(String feature) throws CaseScribeException {
        return use(p -> {
            int value = C.casescribe_policy_feature(p, feature);
            if (value < 0)
                throw CaseScribe.error(value);
            return value == 1;
        });
    }

    /** A feature or setting as text ("on", "30", "embedded", the endpoints space-separated). */
    public String setting(String key) throws CaseScribeException {
        return use(p -> {
            PointerByReference value = new PointerByReference();
            CaseScribe.check(C.casescribe_policy_setting(value, p, key));
            return CaseScribe.takeString(value);
        });
    }
}
