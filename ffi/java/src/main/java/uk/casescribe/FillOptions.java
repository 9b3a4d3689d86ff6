// SPDX-License-Identifier: Apache-2.0
package uk.casescribe;

import uk.casescribe.CaseScribeLibrary.FillOptionsStruct;
import uk.casescribe.CaseScribeLibrary.SizeT;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What {@link Context#fill(FillOptions)} drafts: a form, its template and a
 * transcript. The job keeps its own references to the template and the
 * transcript, so they may be closed as soon as fill() returns.
 */
public final class FillOptions {
    /** How the embedded filler writes a line quoting one speaker (since 1.7). */
    public enum Style {
        /** The speaker's words, tidied ("Kerry: I've agreed a payment plan."): the default. */
        QUOTE("FILL_STYLE_QUOTE"),
        /** Reported speech, the record's style ("Kerry said they have agreed a payment plan."). */
        REPORTED("FILL_STYLE_REPORTED");

        private final String constant;

        Style(String constant) {
            this.constant = constant;
        }

        int value() {
            return (int) CaseScribe.requiredConstant(constant);
        }
    }

    private byte[] form;
    private String formAdapter;
    private Template template;
    private Transcript transcript;
    private Integer maxSentences;
    private Style style;
    private String remoteEndpoint;
    private String remoteModel;
    private Path apiKeyFile;
    private String apiKeyEnv;
    private Path caFile;

    @FunctionalInterface
    interface StructCall<T> {
        T apply(FillOptionsStruct s) throws CaseScribeException;
    }

    /** The form to draft: its template, team, subjects and consents (required). */
    public FillOptions form(byte[] form) {
        this.form = form.clone();
        return this;
    }

    /** The adapter the form is encoded for; default "xml". */
    public FillOptions formAdapter(String adapter) {
        this.formAdapter = adapter;
        return this;
    }

    /** The form's template (required). */
    public FillOptions template(Template template) {
        this.template = template;
        return this;
    }

    /** The transcript to draft from (required). */
    public FillOptions transcript(Transcript transcript) {
        this.transcript = transcript;
        return this;
    }

    /** Sentences per section; default 6, at most 64. */
    public FillOptions maxSentences(int n) {
        this.maxSentences = n;
        return this;
    }

    /** How a line quoting one speaker is written; default {@link Style#QUOTE}. The remote filler ignores it. */
    public FillOptions style(Style style) {
        this.style = style;
        return this;
    }

    /** Remote filler only: one of the policy's endpoints. */
    public FillOptions remoteEndpoint(String url) {
        this.remoteEndpoint = url;
        return this;
    }

    /** Remote filler only: the model name (default "gpt-4o-mini"). */
    public FillOptions remoteModel(String model) {
        this.remoteModel = model;
        return this;
    }

    /** Remote filler only: a 0600 file holding the API key. */
    public FillOptions apiKeyFile(Path path) {
        this.apiKeyFile = path;
        return this;
    }

    /** Remote filler only: the environment variable holding the API key. */
    public FillOptions apiKeyEnv(String variable) {
        this.apiKeyEnv = variable;
        return this;
    }

    /** Remote filler only: extra PEM CA certificates for the service. */
    public FillOptions caFile(Path path) {
        this.caFile = path;
        return this;
    }

    /**
     * Builds the C struct and runs `call` with it while the template and
     * transcript handles are held open (they cannot be closed under the call).
     */
    <T> T withStruct(StructCall<T> call) throws CaseScribeException {
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(transcript, "transcript");
        return template.use(tp -> transcript.use(tr -> {
            FillOptionsStruct s = new FillOptionsStruct();
            CaseScribe.check(CaseScribe.C.casescribe_fill_options_init(s, s.size()));
            if (maxSentences != null)
                s.max_sentences = maxSentences;
            if (style != null)
                s.style = style.value();
            if (formAdapter != null)
                s.form_adapter = formAdapter;
            s.form = CaseScribe.memory(form);
            s.form_len = new SizeT(form == null ? 0 : form.length);
            s.form_template = tp;
            s.transcript = tr;
            if (remoteEndpoint != null)
                s.remote_endpoint = remoteEndpoint;
            if (remoteModel != null)
                s.remote_model = remoteModel;
            if (apiKeyFile != null)
                s.api_key_file = apiKeyFile.toString();
            if (apiKeyEnv != null)
                s.api_key_env = apiKeyEnv;
            if (caFile != null)
                s.ca_file = caFile.toString();
            return call.apply(s);
        }));
    }
}
