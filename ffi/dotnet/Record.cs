// SPDX-License-Identifier: Apache-2.0
// Record.cs - a decoded, read-only record (casescribe_record) and its sections.
using System;
using System.Collections.Generic;

namespace CaseScribe
{
    /// <summary>One section of a record, copied out of the handle.</summary>
    public sealed class RecordSection
    {
        public int Index { get; internal set; }
        public string Id { get; internal set; }
        /// <summary>"human", "ai-draft" or "ai-reviewed".</summary>
        public string Origin { get; internal set; }
        public string Engine { get; internal set; }
        public string Model { get; internal set; }
        public string EngineVersion { get; internal set; }
        public string EngineSettings { get; internal set; }
        public string Reviewer { get; internal set; }
        public string ReviewedAt { get; internal set; }
        /// <summary>"accepted" or "edited".</summary>
        public string Review { get; internal set; }
        public string Text { get; internal set; }
    }

    /// <summary>
    /// A payload (stamped or not) decoded into a read-only record. Opening
    /// does not verify it: use <see cref="Context.Verify"/> for that.
    /// </summary>
    public sealed class Record : NativeObject
    {
        private Record(RecordHandle handle) : base(handle) { }

        /// <summary>Decodes a payload. EPARSE, ESCHEMA, ETOOBIG, ENOTFOUND (adapter).</summary>
        public static Record Open(byte[] payload, string adapter = "xml")
        {
            Library.EnsureAbi();
            RecordHandle handle;
            Library.Check(NativeMethods.casescribe_record_open(out handle, adapter, payload, Utf8.Len(payload)));
            return new Record(handle);
        }

        public string Id { get { return Str(NativeMethods.casescribe_record_id); } }
        public string Team { get { return Str(NativeMethods.casescribe_record_team); } }
        public string Author { get { return Str(NativeMethods.casescribe_record_author); } }
        public bool IsFinal { get { return Use(p => NativeMethods.casescribe_record_is_final(p) == 1); } }
        /// <summary>The stamped version (1, 2, ...), 0 when not stamped.</summary>
        public uint Version { get { return Use(p => NativeMethods.casescribe_record_version(p)); } }
        /// <summary>The key id that signed the record; null when not stamped.</summary>
        public string KeyId { get { return Str(NativeMethods.casescribe_record_key_id); } }

        /// <summary>
        /// What the stamp says, by name ("time", "actor", "team", "role",
        /// "previous", "policy-version", "policy-digest", "ledger-seq", ...:
        /// see casescribe_record_stamp in the header); null when absent.
        /// This reads; Context.Verify checks.
        /// </summary>
        public string Stamp(string name)
        {
            return Use(p => Utf8.FromNative(NativeMethods.casescribe_record_stamp(p, name)));
        }

        /// <summary>How many items the stamp's list has: "section", "consent" or "earlier-engine".</summary>
        public uint StampCount(string list)
        {
            return Use(p => NativeMethods.casescribe_record_stamp_count(p, list));
        }

        /// <summary>One fact of one item of a stamp list, e.g. StampItem("consent", 0, "local-ai").</summary>
        public string StampItem(string list, uint index, string name)
        {
            return Use(p => Utf8.FromNative(NativeMethods.casescribe_record_stamp_item(p, list, index, name)));
        }

        /// <summary>The sections, copied out of the record in form order.</summary>
        public IList<RecordSection> Sections
        {
            get {
                return Use(p => {
                    uint n = NativeMethods.casescribe_record_section_count(p);
                    var list = new List<RecordSection>((int)n);
                    for (uint i = 0; i < n; i++) {
                        list.Add(new RecordSection {
                            Index = (int)i,
                            Id = Utf8.FromNative(NativeMethods.casescribe_record_section_id(p, i)),
                            Origin = Utf8.FromNative(NativeMethods.casescribe_record_section_origin(p, i)),
                            Engine = Utf8.FromNative(NativeMethods.casescribe_record_section_engine(p, i)),
                            Model = Utf8.FromNative(NativeMethods.casescribe_record_section_model(p, i)),
                            EngineVersion = Utf8.FromNative(NativeMethods.casescribe_record_section_engine_version(p, i)),
                            EngineSettings = Utf8.FromNative(NativeMethods.casescribe_record_section_engine_settings(p, i)),
                            Reviewer = Utf8.FromNative(NativeMethods.casescribe_record_section_reviewer(p, i)),
                            ReviewedAt = Utf8.FromNative(NativeMethods.casescribe_record_section_reviewed_at(p, i)),
                            Review = Utf8.FromNative(NativeMethods.casescribe_record_section_review(p, i)),
                            Text = Utf8.FromNative(NativeMethods.casescribe_record_section_text(p, i)),
                        });
                    }
                    return list.AsReadOnly();
                });
            }
        }

        private string Str(Func<IntPtr, IntPtr> getter)
        {
            return Use(p => Utf8.FromNative(getter(p)));
        }
    }
}
