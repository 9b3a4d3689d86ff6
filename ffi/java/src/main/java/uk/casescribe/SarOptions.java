// SPDX-License-Identifier: Apache-2.0
package uk.casescribe;

import uk.casescribe.CaseScribeLibrary.SarOptionsStruct;

import java.nio.file.Path;
import java.util.Objects;

/** A subject access export: whose records, where the ZIP goes, and the officer's redaction review. */
public final class SarOptions {
    private final String subjectId;
    private final Path outputPath;
    private Path reviewPath;
    private Path redactPath;
    private String organisation;
    private String correctionContact;

    /** `subjectId` as the forms name the person; `outputPath` the ZIP, replaced only when the export finishes. */
    public SarOptions(String subjectId, Path outputPath) {
        this.subjectId = Objects.requireNonNull(subjectId, "subjectId");
        this.outputPath = Objects.requireNonNull(outputPath, "outputPath");
    }

    /** Where to write the officer's redaction-review.csv (never into the ZIP). */
    public SarOptions reviewPath(Path path) {
        this.reviewPath = path;
        return this;
    }

    /** A reviewed redaction-review.csv to apply. */
    public SarOptions redactPath(Path path) {
        this.redactPath = path;
        return this;
    }

    /** Named on the page, e.g. "Northshire County Council"; default "the council". */
    public SarOptions organisation(String name) {
        this.organisation = name;
        return this;
    }

    /** How to ask for a correction (one line); default the council's data protection officer. */
    public SarOptions correctionContact(String contact) {
        this.correctionContact = contact;
        return this;
    }

    SarOptionsStruct toStruct() throws CaseScribeException {
        SarOptionsStruct s = new SarOptionsStruct();
        CaseScribe.check(CaseScribe.C.casescribe_sar_options_init(s, s.size()));
        s.subject_id = subjectId;
        s.output_path = outputPath.toString();
        s.review_path = CaseScribe.pathString(reviewPath);
        s.redact_path = CaseScribe.pathString(redactPath);
        if (organisation != null)
            s.organisation = organisation;
        if (correctionContact != null)
            s.correction_contact = correctionContact;
        return s;
    }
}
