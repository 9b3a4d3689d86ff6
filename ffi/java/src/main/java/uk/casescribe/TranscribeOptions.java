// SPDX-License-Identifier: Apache-2.0
package uk.casescribe;

import uk.casescribe.CaseScribeLibrary.SizeT;
import uk.casescribe.CaseScribeLibrary.TranscribeOptionsStruct;

import java.nio.file.Path;

/**
 * What {@link Context#transcribe(TranscribeOptions)} transcribes: the form
 * the recording belongs to (its team and consents) and the recording.
 * Anything not set keeps the library's default.
 */
public final class TranscribeOptions {
    private static final int TAKE_RECORDING = (int) CaseScribe.requiredConstant("TRANSCRIBE_TAKE_RECORDING");

    private byte[] form;
    private String formAdapter;
    private Path audioPath;
    private boolean takeRecording;
    private Integer parallel;
    private Integer maxSeconds;
    private Integer unsurePermille;
    private Path helperPath;
    private Path modelDir;
    private String remoteEndpoint;
    private String remoteModel;
    private Path apiKeyFile;
    private String apiKeyEnv;
    private Path caFile;
    private byte[] tags;

    /** The form the recording belongs to (required). */
    public TranscribeOptions form(byte[] form) {
        this.form = form.clone();
        return this;
    }

    /** The adapter the form is encoded for; default "xml". */
    public TranscribeOptions formAdapter(String adapter) {
        this.formAdapter = adapter;
        return this;
    }

    /** The recording: WAV, FLAC, OGG/Vorbis, OGG/Opus, MP3, ... (required). */
    public TranscribeOptions audioPath(Path path) {
        this.audioPath = path;
        return this;
    }

    /** Let the library take the recording and keep it only as long as the team's policy says. */
    public TranscribeOptions takeRecording(boolean take) {
        this.takeRecording = take;
        return this;
    }

    /** Decoders at once; default one per CPU (at most 8). */
    public TranscribeOptions parallel(int decoders) {
        this.parallel = decoders;
        return this;
    }

    /** A longer recording is refused (ETOOBIG); default 4 hours. */
    public TranscribeOptions maxSeconds(int seconds) {
        this.maxSeconds = seconds;
        return this;
    }

    /** Words below this confidence (per mille) are marked unsure; default 600. */
    public TranscribeOptions unsurePermille(int permille) {
        this.unsurePermille = permille;
        return this;
    }

    /** The casescribe-asr helper; default the installed one (set it for a relocated install). */
    public TranscribeOptions helperPath(Path path) {
        this.helperPath = path;
        return this;
    }

    /** The pocketsphinx model folder; default the installed en-us model. */
    public TranscribeOptions modelDir(Path path) {
        this.modelDir = path;
        return this;
    }

    /** Remote engine only: one of the policy's endpoints (default: the first it allows). */
    public TranscribeOptions remoteEndpoint(String url) {
        this.remoteEndpoint = url;
        return this;
    }

    /** Remote engine only: the service's model name (default "whisper-1"). */
    public TranscribeOptions remoteModel(String model) {
        this.remoteModel = model;
        return this;
    }

    /** Remote engine only: a 0600 file holding the API key. */
    public TranscribeOptions apiKeyFile(Path path) {
        this.apiKeyFile = path;
        return this;
    }

    /** Remote engine only: the environment variable holding the API key. */
    public TranscribeOptions apiKeyEnv(String variable) {
        this.apiKeyEnv = variable;
        return this;
    }

    /** Remote engine only: extra PEM CA certificates for the service. */
    public TranscribeOptions caFile(Path path) {
        this.caFile = path;
        return this;
    }

    /**
     * The worker's observation tags, "hh:mm:ss label" a line (UTF-8), put in the transcript at their time as the
     * worker's own words; the team's policy must have observation-tags on.
     */
    public TranscribeOptions tags(byte[] tags) {
        this.tags = tags == null ? null : tags.clone();
        return this;
    }

    /** The C struct, filled from the library's defaults; it keeps every buffer it points to reachable. */
    TranscribeOptionsStruct toStruct() throws CaseScribeException {
        TranscribeOptionsStruct s = new TranscribeOptionsStruct();
        CaseScribe.check(CaseScribe.C.casescribe_transcribe_options_init(s, s.size()));
        if (takeRecording)
            s.flags |= TAKE_RECORDING;
        if (parallel != null)
            s.parallel = parallel;
        if (formAdapter != null)
            s.form_adapter = formAdapter;
        s.form = CaseScribe.memory(form);
        s.form_len = new SizeT(form == null ? 0 : form.length);
        s.audio_path = CaseScribe.pathString(audioPath);
        if (maxSeconds != null)
            s.max_seconds = maxSeconds;
        if (unsurePermille != null)
            s.unsure_permille = unsurePermille;
        if (helperPath != null)
            s.helper_path = helperPath.toString();
        if (modelDir != null)
            s.model_dir = modelDir.toString();
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
        s.tags = CaseScribe.memory(tags);
        s.tags_len = new SizeT(tags == null ? 0 : tags.length);
        return s;
    }
}
