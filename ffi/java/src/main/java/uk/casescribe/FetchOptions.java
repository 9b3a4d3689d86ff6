// SPDX-License-Identifier: Apache-2.0
package uk.casescribe;

import uk.casescribe.CaseScribeLibrary.FetchOptionsStruct;

import java.nio.file.Path;
import java.util.Objects;

/** Where and how {@link Context#policyRefresh(FetchOptions)} fetches a council's policy bundle. */
public final class FetchOptions {
    private final String url;
    private Path caFile;
    private Integer maxBytes;
    private Integer connectTimeoutMs;
    private Integer timeoutMs;

    /** The bundle's address: https:// only, certificates always verified. */
    public FetchOptions(String url) {
        this.url = Objects.requireNonNull(url, "url");
    }

    /** A PEM file of the council's own CA certificates; default the system's store. */
    public FetchOptions caFile(Path path) {
        this.caFile = path;
        return this;
    }

    /** A larger bundle is refused (ETOOBIG); default 1 MiB, at most 4 MiB. */
    public FetchOptions maxBytes(int bytes) {
        this.maxBytes = bytes;
        return this;
    }

    /** Default 10000 ms. */
    public FetchOptions connectTimeoutMs(int ms) {
        this.connectTimeoutMs = ms;
        return this;
    }

    /** The whole transfer; default 30000 ms. */
    public FetchOptions timeoutMs(int ms) {
        this.timeoutMs = ms;
        return this;
    }

    FetchOptionsStruct toStruct() throws CaseScribeException {
        FetchOptionsStruct s = new FetchOptionsStruct();
        CaseScribe.check(CaseScribe.C.casescribe_fetch_options_init(s, s.size()));
        s.url = url;
        if (caFile != null)
            s.ca_file = caFile.toString();
        if (maxBytes != null)
            s.max_bytes = maxBytes;
        if (connectTimeoutMs != null)
            s.connect_timeout_ms = connectTimeoutMs;
        if (timeoutMs != null)
            s.timeout_ms = timeoutMs;
        return s;
    }
}
