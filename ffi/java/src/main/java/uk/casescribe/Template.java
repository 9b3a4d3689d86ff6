// SPDX-License-Identifier: Apache-2.0
package uk.casescribe;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

import java.util.ArrayList;
import java.util.List;

import static uk.casescribe.CaseScribe.C;

/**
 * A form template: its sections, with guidance and prompts for the worker,
 * and whether a computer may draft each. A template never changes; it may be
 * read from several threads.
 */
public final class Template extends NativeHandle {
    private static final int AI_DRAFT = (int) CaseScribe.requiredConstant("AI_DRAFT");

    /** One section; `aiDraft` is false for the worker's professional judgement, never drafted. */
    public record Section(String id, String title, String guidance, boolean aiDraft, List<String> prompts) {
    }

    Template(Pointer template) {
        super(template, "Template");
    }

    @Override
    void free(Pointer template) {
        C.casescribe_template_free(template);
    }

    /** Reads a template from its XML (urn:casescribe:template:1, at most 256 KiB). */
    public static Template open(byte[] xml) throws CaseScribeException {
        PointerByReference t = new PointerByReference();
        CaseScribe.check(C.casescribe_template_open(t, xml, CaseScribe.size(xml)));
        return new Template(t.getValue());
    }

    public String id() throws CaseScribeException {
        return use(C::casescribe_template_id);
    }

    public String title() throws CaseScribeException {
        return use(C::casescribe_template_title);
    }

    public int version() throws CaseScribeException {
        return use(C::casescribe_template_version);
    }

    public int sectionCount() throws CaseScribeException {
        return use(C::casescribe_template_section_count);
    }

    /** Section `index` (0-based); EINVAL out of range. */
    public Section section(int index) throws CaseScribeException {
        return use(t -> {
            int ai = C.casescribe_template_section_ai(t, index);
            if (ai < 0)
                throw CaseScribe.error(ai);
            int n = C.casescribe_template_prompt_count(t, index);
            List<String> prompts = new ArrayList<>(n);
            for (int p = 0; p < n; p++)
                prompts.add(C.casescribe_template_prompt(t, index, p));
            return new Section(C.casescribe_template_section_id(t, index),
                    C.casescribe_template_section_title(t, index),
                    C.casescribe_template_section_guidance(t, index), ai == AI_DRAFT, List.copyOf(prompts));
        });
    }

    public List<Section> sections() throws CaseScribeException {
        int n = sectionCount();
        List<Section> all = new ArrayList<>(n);
        for (int i = 0; i < n; i++)
            all.add(section(i));
        return all;
    }
}
