// SPDX-License-Identifier: Apache-2.0
package uk.casescribe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

/** The test inputs, named by the environment the test script sets (tests/e2e/ffi_java.sh). */
final class Fixtures {
    private Fixtures() {
    }

    /** Now, in UTC to the second: a review is dated after the draft it checks was saved. */
    static String nowUtc() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    static String review(String at) {
        return "origin=\"ai-reviewed\" reviewed-by=\"sw-017\" reviewed-at=\"" + at + "\" review=\"edited\"";
    }
    static final Actor WORKER = Actor.of("sw-017", "social-worker");

    static Path envPath(String name) {
        String value = System.getenv(name);
        assertNotNull("environment variable " + name + " is not set (run tests/e2e/ffi_java.sh)", value);
        Path p = Path.of(value);
        assertTrue(name + "=" + value + " does not exist", Files.exists(p));
        return p;
    }

    static String form() throws IOException {
        return Files.readString(envPath("CS_FORM"), StandardCharsets.UTF_8);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** A fresh home in a fresh temporary folder, with a signing key and AI drafting switched on for cin-north. */
    static Context newHome(Path dir) throws CaseScribeException {
        Context ctx = Context.open(dir.resolve("home"), Context.OpenFlag.CREATE, Context.OpenFlag.NO_SYNC);
        ctx.keygen();
        ctx.teamSet("admin-1", "cin-north", "ai-draft", "on");
        return ctx;
    }
}
