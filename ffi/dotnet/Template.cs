// SPDX-License-Identifier: Apache-2.0
// Template.cs - a form template (casescribe_template).
using System;
using System.Collections.Generic;

namespace CaseScribe
{
    /// <summary>One section of a template, copied out of the handle.</summary>
    public sealed class TemplateSection
    {
        public int Index { get; internal set; }
        public string Id { get; internal set; }
        public string Title { get; internal set; }
        public string Guidance { get; internal set; }
        /// <summary>Whether a computer may draft it.</summary>
        public AiUse Ai { get; internal set; }
        public IList<string> Prompts { get; internal set; }
    }

    /// <summary>
    /// A template: the sections of a form, with guidance and prompts, and
    /// whether AI may draft each. Found with <see cref="Context.FindTemplate"/>
    /// or read with <see cref="Open"/>.
    /// </summary>
    public sealed class Template : NativeObject
    {
        internal Template(TemplateHandle handle) : base(handle) { }

        /// <summary>Reads a template from its XML (at most 256 KiB).</summary>
        public static Template Open(byte[] xml)
        {
            Library.EnsureAbi();
            TemplateHandle handle;
            Library.Check(NativeMethods.casescribe_template_open(out handle, xml, Utf8.Len(xml)));
            return new Template(handle);
        }

        public string Id { get { return Use(p => Utf8.FromNative(NativeMethods.casescribe_template_id(p))); } }
        public string Title { get { return Use(p => Utf8.FromNative(NativeMethods.casescribe_template_title(p))); } }
        public uint Version { get { return Use(p => NativeMethods.casescribe_template_version(p)); } }

        public IList<TemplateSection> Sections
        {
            get {
                return Use(p => {
                    uint n = NativeMethods.casescribe_template_section_count(p);
                    var list = new List<TemplateSection>((int)n);
                    for (uint i = 0; i < n; i++) {
                        uint promptCount = NativeMethods.casescribe_template_prompt_count(p, i);
                        var prompts = new List<string>((int)promptCount);
                        for (uint j = 0; j < promptCount; j++)
                            prompts.Add(Utf8.FromNative(NativeMethods.casescribe_template_prompt(p, i, j)));
                        list.Add(new TemplateSection {
                            Index = (int)i,
                            Id = Utf8.FromNative(NativeMethods.casescribe_template_section_id(p, i)),
                            Title = Utf8.FromNative(NativeMethods.casescribe_template_section_title(p, i)),
                            Guidance = Utf8.FromNative(NativeMethods.casescribe_template_section_guidance(p, i)),
                            Ai = (AiUse)Library.Check(NativeMethods.casescribe_template_section_ai(p, i)),
                            Prompts = prompts.AsReadOnly(),
                        });
                    }
                    return list.AsReadOnly();
                });
            }
        }
    }
}
