// SPDX-License-Identifier: Apache-2.0
package uk.casescribe;

import com.sun.jna.Pointer;

import static uk.casescribe.CaseScribe.C;

/**
 * One journal entry, from {@link Context#journalEntry(long)}. It holds ids,
 * digests and times, never section text or names.
 */
public final class JournalEntry extends NativeHandle {

    JournalEntry(Pointer entry) {
        super(entry, "JournalEntry");
    }

    @Override
    void free(Pointer entry) {
        C.casescribe_journal_entry_free(entry);
    }

    /** The entry's number (1 is the first). */
    public long seq() throws CaseScribeException {
        return use(C::casescribe_journal_entry_seq);
    }

    /** "save", "policy", "policy-trust", "audio", ... */
    public String kind() throws CaseScribeException {
        return use(C::casescribe_journal_entry_kind);
    }

    public String recordId() throws CaseScribeException {
        return use(C::casescribe_journal_entry_record_id);
    }

    public int recordVersion() throws CaseScribeException {
        return use(C::casescribe_journal_entry_record_version);
    }

    /** "sha256:&lt;hex&gt;" of the stamped provenance. */
    public String recordDigest() throws CaseScribeException {
        return use(C::casescribe_journal_entry_record_digest);
    }

    public String actorId() throws CaseScribeException {
        return use(C::casescribe_journal_entry_actor_id);
    }

    /** UTC, ISO 8601, for example "2026-11-02T10:16:00Z". */
    public String time() throws CaseScribeException {
        return use(C::casescribe_journal_entry_time);
    }

    /**
     * Any field the entry records, by its JSON name, as text (numbers in
     * decimal, lists as compact JSON), or null when absent: a policy
     * entry's "team", "setting", "old" and "new", for example.
     */
    public String field(String name) throws CaseScribeException {
        return use(p -> C.casescribe_journal_entry_field(p, name));
    }

    /** The entry as one line of compact JSON (a save entry's text fingerprints left out). */
    public String json() throws CaseScribeException {
        return use(C::casescribe_journal_entry_json);
    }
}
