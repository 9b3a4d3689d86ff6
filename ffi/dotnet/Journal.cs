// SPDX-License-Identifier: Apache-2.0
// Journal.cs - one journal entry (casescribe_journal_entry).
using System;

namespace CaseScribe
{
    /// <summary>
    /// One entry of the home's journal, read with
    /// <see cref="Context.JournalEntry"/>. It holds ids, digests and times,
    /// never section text or personal data.
    /// </summary>
    public sealed class JournalEntry : NativeObject
    {
        internal JournalEntry(JournalEntryHandle handle) : base(handle) { }

        public ulong Seq { get { return Use(p => NativeMethods.casescribe_journal_entry_seq(p)); } }
        /// <summary>"save", "policy", "audio", ...</summary>
        public string Kind { get { return Str(NativeMethods.casescribe_journal_entry_kind); } }
        public string RecordId { get { return Str(NativeMethods.casescribe_journal_entry_record_id); } }
        public uint RecordVersion { get { return Use(p => NativeMethods.casescribe_journal_entry_record_version(p)); } }
        /// <summary>"sha256:&lt;hex&gt;" of the stamped provenance.</summary>
        public string RecordDigest { get { return Str(NativeMethods.casescribe_journal_entry_record_digest); } }
        public string ActorId { get { return Str(NativeMethods.casescribe_journal_entry_actor_id); } }
        /// <summary>UTC, ISO 8601.</summary>
        public string Time { get { return Str(NativeMethods.casescribe_journal_entry_time); } }

        /// <summary>
        /// Any field the entry records, by its JSON name, as text (numbers in
        /// decimal, lists as compact JSON), or null when absent: a policy
        /// entry's "team", "setting", "old" and "new", for example.
        /// </summary>
        public string Field(string name)
        {
            return Use(p => Utf8.FromNative(NativeMethods.casescribe_journal_entry_field(p, name)));
        }

        /// <summary>The entry as one line of compact JSON (a save entry's text fingerprints left out).</summary>
        public string Json { get { return Str(NativeMethods.casescribe_journal_entry_json); } }

        private string Str(Func<IntPtr, IntPtr> getter)
        {
            return Use(p => Utf8.FromNative(getter(p)));
        }
    }
}
