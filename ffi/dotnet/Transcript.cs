// SPDX-License-Identifier: Apache-2.0
// Transcript.cs - a machine transcript (casescribe_transcript).
using System;
using System.Collections.Generic;

namespace CaseScribe
{
    /// <summary>One recognised word, copied out of the handle.</summary>
    public sealed class Word
    {
        public string Text { get; internal set; }
        public long StartMs { get; internal set; }
        public long EndMs { get; internal set; }
        /// <summary>The engine's confidence, 0-1000 per mille; -1 when it gave none.</summary>
        public int Confidence { get; internal set; }
        /// <summary>Below the unsure threshold (or without confidence): show it as unsure.</summary>
        public bool Unsure { get; internal set; }
    }

    /// <summary>One part of the recording between silences.</summary>
    public sealed class Segment
    {
        public int Index { get; internal set; }
        public long StartMs { get; internal set; }
        public long EndMs { get; internal set; }
        public string Text { get; internal set; }
        public IList<Word> Words { get; internal set; }
    }

    /// <summary>
    /// A machine transcript: from <see cref="Job.Transcript"/> or read back
    /// from its XML rendering with <see cref="Open"/>. It never changes.
    /// </summary>
    public sealed class Transcript : NativeObject
    {
        internal Transcript(TranscriptHandle handle) : base(handle) { }

        /// <summary>Reads a transcript back from its XML rendering (TranscriptFormat.Xml).</summary>
        public static Transcript Open(byte[] xml)
        {
            Library.EnsureAbi();
            TranscriptHandle handle;
            Library.Check(NativeMethods.casescribe_transcript_open(out handle, xml, Utf8.Len(xml)));
            return new Transcript(handle);
        }

        public int SegmentCount { get { return Use(p => (int)NativeMethods.casescribe_transcript_segment_count(p)); } }

        /// <summary>The segments with their words, copied out of the transcript.</summary>
        public IList<Segment> Segments
        {
            get {
                return Use(p => {
                    uint n = NativeMethods.casescribe_transcript_segment_count(p);
                    var list = new List<Segment>((int)n);
                    for (uint s = 0; s < n; s++) {
                        uint wc = NativeMethods.casescribe_transcript_word_count(p, s);
                        var words = new List<Word>((int)wc);
                        for (uint w = 0; w < wc; w++) {
                            words.Add(new Word {
                                Text = Utf8.FromNative(NativeMethods.casescribe_transcript_word_text(p, s, w)),
                                StartMs = NativeMethods.casescribe_transcript_word_start_ms(p, s, w),
                                EndMs = NativeMethods.casescribe_transcript_word_end_ms(p, s, w),
                                Confidence = NativeMethods.casescribe_transcript_word_confidence(p, s, w),
                                Unsure = Library.Check(NativeMethods.casescribe_transcript_word_unsure(p, s, w)) == 1,
                            });
                        }
                        list.Add(new Segment {
                            Index = (int)s,
                            StartMs = NativeMethods.casescribe_transcript_segment_start_ms(p, s),
                            EndMs = NativeMethods.casescribe_transcript_segment_end_ms(p, s),
                            Text = Utf8.FromNative(NativeMethods.casescribe_transcript_segment_text(p, s)),
                            Words = words.AsReadOnly(),
                        });
                    }
                    return list.AsReadOnly();
                });
            }
        }

        /// <summary>The engine, for example "embedded:pocketsphinx".</summary>
        public string Engine { get { return Use(p => Utf8.FromNative(NativeMethods.casescribe_transcript_engine(p))); } }
        public string Model { get { return Use(p => Utf8.FromNative(NativeMethods.casescribe_transcript_model(p))); } }
        public string EngineVersion { get { return Use(p => Utf8.FromNative(NativeMethods.casescribe_transcript_engine_version(p))); } }
        public string Settings { get { return Use(p => Utf8.FromNative(NativeMethods.casescribe_transcript_settings(p))); } }

        /// <summary>Renders it: plain text (a machine-made notice, unsure words as [word?]) or XML.</summary>
        public string Render(TranscriptFormat format = TranscriptFormat.Text)
        {
            return Use(p => {
                IntPtr text;
                Library.Check(NativeMethods.casescribe_transcript_render(out text, p, (uint)format));
                return Utf8.TakeString(text);
            });
        }
    }
}
