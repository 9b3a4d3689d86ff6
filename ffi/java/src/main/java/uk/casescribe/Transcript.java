// SPDX-License-Identifier: Apache-2.0
package uk.casescribe;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

import java.util.ArrayList;
import java.util.List;

import static uk.casescribe.CaseScribe.C;

/**
 * A machine transcript: segments (the parts between silences) of words, with
 * times in milliseconds from the start of the recording. It never changes;
 * it may be read from several threads.
 */
public final class Transcript extends NativeHandle {

    /** casescribe_transcript_render() formats. */
    public enum Format {
        /** A machine-made notice, then a line per segment, unsure words as [word?]. */
        TEXT("TRANSCRIPT_TEXT"),
        /** urn:casescribe:transcript:1, every word with its times and confidence; {@link #open} reads it back. */
        XML("TRANSCRIPT_XML");

        final int code;

        Format(String constant) {
            code = (int) CaseScribe.requiredConstant(constant);
        }
    }

    /** A word; `confidence` is 0-1000 per mille, -1 when the engine gave none. */
    public record Word(String text, long startMs, long endMs, int confidence, boolean unsure) {
    }

    public record Segment(long startMs, long endMs, String text, List<Word> words) {
    }

    Transcript(Pointer transcript) {
        super(transcript, "Transcript");
    }

    @Override
    void free(Pointer transcript) {
        C.casescribe_transcript_free(transcript);
    }

    /** Reads a transcript back from its XML rendering, to draft from it later. */
    public static Transcript open(byte[] xml) throws CaseScribeException {
        PointerByReference t = new PointerByReference();
        CaseScribe.check(C.casescribe_transcript_open(t, xml, CaseScribe.size(xml)));
        return new Transcript(t.getValue());
    }

    public int segmentCount() throws CaseScribeException {
        return use(C::casescribe_transcript_segment_count);
    }

    /** Segment `seg` (0-based) with its words; EINVAL out of range. */
    public Segment segment(int seg) throws CaseScribeException {
        return use(t -> {
            if (seg < 0 || seg >= C.casescribe_transcript_segment_count(t))
                throw new CaseScribeException(Status.EINVAL, "no segment " + seg);
            int n = C.casescribe_transcript_word_count(t, seg);
            List<Word> words = new ArrayList<>(n);
            for (int w = 0; w < n; w++)
                words.add(new Word(C.casescribe_transcript_word_text(t, seg, w),
                        C.casescribe_transcript_word_start_ms(t, seg, w),
                        C.casescribe_transcript_word_end_ms(t, seg, w),
                        C.casescribe_transcript_word_confidence(t, seg, w),
                        C.casescribe_transcript_word_unsure(t, seg, w) == 1));
            return new Segment(C.casescribe_transcript_segment_start_ms(t, seg),
                    C.casescribe_transcript_segment_end_ms(t, seg),
                    C.casescribe_transcript_segment_text(t, seg), List.copyOf(words));
        });
    }

    public List<Segment> segments() throws CaseScribeException {
        int n = segmentCount();
        List<Segment> all = new ArrayList<>(n);
        for (int i = 0; i < n; i++)
            all.add(segment(i));
        return all;
    }

    /** The engine that made it, for example "embedded:pocketsphinx". */
    public String engine() throws CaseScribeException {
        return use(C::casescribe_transcript_engine);
    }

    public String model() throws CaseScribeException {
        return use(C::casescribe_transcript_model);
    }

    public String engineVersion() throws CaseScribeException {
        return use(C::casescribe_transcript_engine_version);
    }

    public String settings() throws CaseScribeException {
        return use(C::casescribe_transcript_settings);
    }

    public String render(Format format) throws CaseScribeException {
        return use(t -> {
            PointerByReference out = new PointerByReference();
            CaseScribe.check(C.casescribe_transcript_render(out, t, format.code));
            return CaseScribe.takeString(out);
        });
    }
}
