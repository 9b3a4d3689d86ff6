// SPDX-License-Identifier: Apache-2.0
package uk.casescribe;

import com.sun.jna.ptr.LongByReference;

import java.util.HashMap;
import java.util.Map;

/**
 * The library's status codes, each read from the library by name through
 * casescribe_constant() rather than copied from the header, and the table
 * from a code back to its name.
 */
public final class Status {
    private Status() {
    }

    // Every status the header defines, by name. The numbers come from the library.
    private static final String[] NAMES = {"OK", "EINVAL", "ENOMEM", "EIO", "EPARSE", "ESCHEMA", "ECONSENT",
            "EREVIEW", "ELAUNDER", "EKEY", "EVERIFY", "EJOURNAL", "ENOTFOUND", "ECONFLICT", "ETOOBIG", "EUNSTAMPED",
            "EINTERNAL", "EPOLICY", "ENETWORK", "EBUSY", "ECANCELLED", "EAUDIO", "EUNTRUSTED"};
    private static final Map<Integer, String> BY_CODE = new HashMap<>();
    private static final Map<String, Integer> BY_NAME = new HashMap<>();

    static {
        for (String name : NAMES) {
            int code = (int) CaseScribe.requiredConstant(name);
            BY_CODE.put(code, name);
            BY_NAME.put(name, code);
        }
    }

    public static final int OK = BY_NAME.get("OK");
    public static final int EINVAL = BY_NAME.get("EINVAL");
    public static final int ENOMEM = BY_NAME.get("ENOMEM");
    public static final int EIO = BY_NAME.get("EIO");
    public static final int EPARSE = BY_NAME.get("EPARSE");
    public static final int ESCHEMA = BY_NAME.get("ESCHEMA");
    public static final int ECONSENT = BY_NAME.get("ECONSENT");
    public static final int EREVIEW = BY_NAME.get("EREVIEW");
    public static final int ELAUNDER = BY_NAME.get("ELAUNDER");
    public static final int EKEY = BY_NAME.get("EKEY");
    public static final int EVERIFY = BY_NAME.get("EVERIFY");
    public static final int EJOURNAL = BY_NAME.get("EJOURNAL");
    public static final int ENOTFOUND = BY_NAME.get("ENOTFOUND");
    public static final int ECONFLICT = BY_NAME.get("ECONFLICT");
    public static final int ETOOBIG = BY_NAME.get("ETOOBIG");
    public static final int EUNSTAMPED = BY_NAME.get("EUNSTAMPED");
    public static final int EINTERNAL = BY_NAME.get("EINTERNAL");
    public static final int EPOLICY = BY_NAME.get("EPOLICY");
    public static final int ENETWORK = BY_NAME.get("ENETWORK");
    public static final int EBUSY = BY_NAME.get("EBUSY");
    public static final int ECANCELLED = BY_NAME.get("ECANCELLED");
    public static final int EAUDIO = BY_NAME.get("EAUDIO");
    /** Everything matches, but only a key that came with the data vouches for it (no trusted key given). */
    public static final int EUNTRUSTED = BY_NAME.get("EUNTRUSTED");

    /** The name of a status code ("EVERIFY"); "UNKNOWN" for a code this binding does not know. */
    public static String name(int code) {
        return BY_CODE.getOrDefault(code, "UNKNOWN");
    }
}
