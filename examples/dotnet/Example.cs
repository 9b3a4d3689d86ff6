// SPDX-License-Identifier: Apache-2.0
// Example.cs - CaseScribe from C#: save a form, review its AI draft, verify
// it, and export a person's records. Copy it and adapt the host's parts.
//
//   mcs -r:CaseScribe.dll Example.cs && mono Example.exe home-visit.xml /tmp/cs-example
//
// libcasescribe.so must be on the library path (LD_LIBRARY_PATH or ldconfig).
using System;
using System.IO;
using System.Text;
using CaseScribe;

public static class Example
{
    public static int Main(string[] args)
    {
        if (args.Length != 2) {
            Console.Error.WriteLine("usage: Example.exe FORM.xml WORK-DIR");
            return 2;
        }
        byte[] form = File.ReadAllBytes(args[0]);
        string work = args[1];
        Directory.CreateDirectory(work);

        try {
            // One context per process, shared by every thread. A real host
            // opens its configured home without NoSync (NoSync is for tests).
            using (var ctx = Context.Open(Path.Combine(work, "home"), OpenFlags.Create | OpenFlags.NoSync)) {
                // Once, at installation: a signing key, and the team's policy
                // (a team never configured has every AI feature off).
                Console.WriteLine("signing key: " + ctx.Keygen());
                ctx.TeamSet("admin-1", "cin-north", "ai-draft", "on");

                // The save button: the library checks consent and policy, stamps
                // the record and journals it. Store what it returns.
                var worker = new Actor("sw-017", role: "social-worker");
                byte[] v1 = ctx.Save(form, worker);
                using (var record = Record.Open(v1))
                    Console.WriteLine("saved {0} version {1}", record.Id, record.Version);

                // A final save with AI text nobody has reviewed is refused.
                string final = Encoding.UTF8.GetString(v1).Replace("author=\"sw-017\"", "author=\"sw-017\" final=\"true\"");
                try {
                    ctx.Save(Encoding.UTF8.GetBytes(final), worker);
                } catch (CaseScribeException e) when (e.Code == Status.EREVIEW) {
                    Console.WriteLine("refused, as it should be: " + e.Detail);
                }

                // The worker reviews the draft (the host's review screen sets
                // these attributes, with the time of the review: after the
                // draft was saved), and the final save goes through.
                string at = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
                string reviewed = final.Replace("<section id=\"observations\" origin=\"ai-draft\"",
                    "<section id=\"observations\" origin=\"ai-reviewed\" reviewed-by=\"sw-017\" " +
                    "reviewed-at=\"" + at + "\" review=\"edited\"");
                byte[] v2 = ctx.Save(Encoding.UTF8.GetBytes(reviewed), worker);

                // Anyone can check a record: with the home's keys, or offline with
                // the published public key alone.
                Console.WriteLine(ctx.Verify(v2));
                string publicKey = ctx.PublicKey();
                Library.VerifyWithPublicKey(publicKey, v2);
                try {
                    string tampered = Encoding.UTF8.GetString(v2).Replace("family support worker", "family friend");
                    ctx.Verify(Encoding.UTF8.GetBytes(tampered));
                } catch (CaseScribeException e) when (e.Code == Status.EVERIFY) {
                    Console.WriteLine("tampering caught: " + e.Detail);
                }

                // A subject access request: stream the person's records into an
                // export, then check the ZIP with the council's public key.
                string zip = Path.Combine(work, "sar-P-2.zip");
                using (var sar = ctx.OpenSar(new SarOptions { SubjectId = "P-2", OutputPath = zip })) {
                    sar.Add(v2);
                    Console.WriteLine(sar.Finish());
                }
                SarExport.Verify(zip, publicKey);
                Console.WriteLine("export verified: " + zip);
            }
            return 0;
        } catch (CaseScribeException e) {
            // Code (int), Name ("EVERIFY") and the library's message.
            Console.Error.WriteLine("casescribe failed: {0} ({1}): {2}", e.Name, e.Code, e.Detail);
            return 1;
        }
    }
}
