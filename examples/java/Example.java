// SPDX-License-Identifier: Apache-2.0
/*
 * Example.java - a host's save button through the Java binding: open a home,
 * make a key, save a visit form, see the final save refused while its AI
 * draft is unreviewed, review it, verify the record offline, and export the
 * person's records for a subject access request.
 *
 *   javac -cp /usr/share/java/jna.jar:casescribe.jar Example.java
 *   java -cp /usr/share/java/jna.jar:casescribe.jar:. Example HOME-FOLDER FORM.xml OUT-FOLDER
 *
 * The library is found through -Dcasescribe.library=/path/to/libcasescribe.so,
 * $CS_LIB, or the system's library path.
 */
import uk.casescribe.Actor;
import uk.casescribe.CaseScribe;
import uk.casescribe.CaseScribeException;
import uk.casescribe.Context;
import uk.casescribe.SarExport;
import uk.casescribe.SarOptions;
import uk.casescribe.Status;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

public final class Example {
    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: java Example HOME-FOLDER FORM.xml OUT-FOLDER");
            System.exit(2);
        }
        try {
            run(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]));
        } catch (CaseScribeException e) {
            // Every failure carries the library's status (e.name(), e.code()) and message.
            System.err.println(e.name() + ": " + e.getMessage());
            System.exit(1);
        }
    }

    static void run(Path home, Path formFile, Path out) throws IOException, CaseScribeException {
        String form = Files.readString(formFile, StandardCharsets.UTF_8);

        // One context per process, shared by every thread; closed when the host stops.
        try (Context ctx = Context.open(home, Context.OpenFlag.CREATE)) {
            try {
                ctx.keygen();
            } catch (CaseScribeException e) {
                if (e.code() != Status.EKEY) // EKEY: the home has a key already
                    throw e;
            }
            // A team never configured has every AI feature off: an admin switches drafting on.
            ctx.teamSet("admin-1", "cin-north", "ai-draft", "on");

            // The save hook: policy, consent and review are checked, the record is
            // stamped and journalled. Store what comes back as the record.
            Actor worker = Actor.of("sw-017", "social-worker");
            String v1 = text(ctx.save(worker, bytes(form)));
            System.out.println("saved version 1 (" + v1.length() + " bytes, stamped)");

            // Marking it final while the AI draft is unreviewed is refused...
            String fin = v1.replace("author=\"sw-017\"", "author=\"sw-017\" final=\"true\"");
            try {
                ctx.save(worker, bytes(fin));
                throw new IllegalStateException("a final save with an unreviewed AI draft was accepted");
            } catch (CaseScribeException e) {
                if (e.code() != Status.EREVIEW)
                    throw e;
                System.out.println("final save refused, as it must be: " + e.getMessage());
            }
            // ...until the worker has reviewed it, and says so (and when: after the draft was saved).
            String at = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
            String reviewed = fin.replace("<section id=\"observations\" origin=\"ai-draft\"",
                    "<section id=\"observations\" origin=\"ai-reviewed\" reviewed-by=\"sw-017\""
                            + " reviewed-at=\"" + at + "\" review=\"edited\"");
            byte[] v2 = ctx.save(worker, bytes(reviewed));
            System.out.println("saved version 2, final and reviewed");

            // Anyone can check the record offline with the public key alone.
            String publicKey = ctx.publicKey();
            System.out.print(CaseScribe.verifyWithPublicKey(publicKey, v2));

            // A subject access request from P-2: stream their records into a signed ZIP.
            Files.createDirectories(out);
            Path zip = out.resolve("sar-P-2.zip");
            try (SarExport sar = ctx.sarOpen(new SarOptions("P-2", zip).organisation("Northshire County Council"))) {
                sar.add(v2);
                System.out.print(sar.finish());
            }
            SarExport.verify(zip, publicKey); // throws EVERIFY if any file was changed
            System.out.println("export " + zip.getFileName() + " verified");
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
