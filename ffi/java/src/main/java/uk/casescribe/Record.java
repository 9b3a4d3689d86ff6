// SPDX-License-Identifier: Apache-2.0
package uk.casescribe;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

import java.util.ArrayList;
import java.util.List;

import static uk.casescribe.CaseScribe.C;

/**
 * A payload (stamped or not) decoded for reading, without verifying it (use
 * {@link Context#verify(byte[])} for that). May be read from several threads.
 */
public final class Record extends NativeHandle {

    /** One section of the record; fields the form does not give are null. */
    public record Section(String id, String origin, String engine, String model, String engineVersion,
                          String engineSettings, String reviewer, String reviewedAt, String review, String text) {
    }

    private Record(Pointer record) {
        super(record, "Record");
    }

    @Override
    void free(Pointer record) {
        C.casescribe_record_free(record);
    }

    /** Decodes a payload through `adapter` ("xml"). EPARSE, ESCHEMA, ETOOBIG, ENOTFOUND (adapter). */
    public static Record open(String adapter, byte[] payload) throws CaseScribeException {
        PointerByReference record = new PointerByReference();
        CaseScribe.check(C.casescribe_record_open(record, adapter, payload, CaseScribe.size(payload)));
        return new Record(record.getValue());
    }

    public static Record open(byte[] payload) throws CaseScribeException {
        return open("xml", payload);
    }

    public String id() throws CaseScribeException {
        return use(C::casescribe_record_id);
    }

    public String team() throws CaseScribeException {
        return use(C::casescribe_record_team);
    }

    public String author() throws CaseScribeException {
        return use(C::casescribe_record_author);
    }

    public boolean isFinal() throws CaseScribeException {
        return use(r -> C.casescribe_record_is_final(r) == 1);
    }

    /** The stamped version (1, 2, ...), or 0 when not stamped. */
    public int version() throws CaseScribeException {
        return use(C::casescribe_record_version);
    }

    /** The key id that signed the record, or null when not stamped. */
    public String keyId() throws CaseScribeException {
        return use(C::casescribe_record_key_id);
    }

    /**
     * What the stamp says, by name ("time", "actor", "team", "role",
     * "previous", "policy-version", "policy-digest", "ledger-seq", ...: see
     * casescribe_record_stamp in the header), or null when absent. This
     * reads; Context.verify checks.
     */
    public String stamp(String name) throws CaseScribeException {
        return use(r -> C.casescribe_record_stamp(r, name));
    }

    /** How many items the stamp's list has: "section", "consent" or "earlier-engine". */
    public int stampCount(String list) throws CaseScribeException {
        return use(r -> C.casescribe_record_stamp_count(r, list));
    }

    /** One fact of one item of a stamp list, e.g. stampItem("consent", 0, "local-ai"); null when absent. */
    public String stampItem(String list, int index, String name) throws CaseScribeException {
        return use(r -> C.casescribe_record_stamp_item(r, list, index, name));
    }

    public int sectionCount() throws CaseScribeException {
        return use(C::casescribe_record_section_count);
    }

    /** Section `index` (0-based); EINVAL out of range. */
    public Section section(int index) throws CaseScribeException {
        return use(r -> {
            if (index < 0 || index >= C.casescribe_record_section_count(r))
                throw new CaseScribeException(Status.EINVAL, "no section " + index);
            return new Section(C.casescribe_record_section_id(r, index),
                    C.casescribe_record_section_origin(r, index),
                    C.casescribe_record_section_engine(r, index),
                    C.casescribe_record_section_model(r, index),
                    C.casescribe_record_section_engine_version(r, index),
                    C.casescribe_record_section_engine_settings(r, index),
                    C.casescribe_record_section_reviewer(r, index),
                    C.casescribe_record_section_reviewed_at(r, index),
                    C.casescribe_record_section_review(r, index),
                    C.casescribe_record_section_text(r, index));
        });
    }

    /** Every section, in order. */
    public List<Section> sections() throws CaseScribeException {
        int n = sectionCount();
        List<Section> all = new ArrayList<>(n);
        for (int i = 0; i < n; i++)
            all.add(section(i));
        return all;
    }
}
