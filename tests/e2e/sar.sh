#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The subject access export end to end, as an officer runs it: records of
# every kind exported with `casescribe sar`, the seal checked by hand as
# README.txt says (openssl, sha256sum) and with `sar verify`, a changed file
# named, and the person's page checked in a real headless Chromium with
# axe-core (WCAG 2.2 AA): zero violations, and a screenshot kept in
# $ARTIFACTS (default tests/artifacts in the build tree).
. "$top_srcdir/tests/e2e/lib.sh"
install_tree
export CASESCRIBE_TEMPLATE_DIR="$PREFIX/share/casescribe/templates" # the installed copy, under DESTDIR
cs="$BIN/casescribe"
home="$work/home"
artifacts="${ARTIFACTS:-$top_builddir/tests/artifacts}"
mkdir -p "$artifacts"

"$cs" --home "$home" keygen > /dev/null || fail "keygen"
"$cs" --home "$home" team enable cin-north ai-draft > /dev/null || fail "team enable"

form() { # form ID SUBJECTS CONSENTS SECTIONS [EXTRA]
    printf '<form xmlns="urn:casescribe:form:1" id="%s" template="statutory-home-visit" team="cin-north" author="sw-017">%s%s%s%s</form>\n' \
        "$1" "$2" "$3" "$4" "${5:-}"
}
me='<subject id="P-2" role="parent" name="Jo Example"/>'
consent='<consent subject="P-2" given-by="self" method="verbal" capacity="has-capacity" at="2026-11-02T10:00:00Z" scopes="record-audio transcribe ai-draft"/>'
save() { "$cs" --home "$home" save "$1" -o "$2" --actor sw-017 --role social-worker || fail "save $1"; }

# R-1: an unchecked draft (a word the transcriber was unsure of, a sentence
# not found in the recording) and the worker's own analysis.
text='Jo said the mornings are easier now.
Kerry Smith visits on Tuesdays.'
form R-1 "$me" "$consent" \
    "<section id=\"child-seen\" origin=\"ai-draft\" engine=\"embedded:extractive\" model=\"bm25-sentences\" engine-settings=\"bm25; transcript by embedded:pocketsphinx 5.0 (en-us)\">$text</section><section id=\"analysis\" origin=\"human\">Jo is coping &amp; I have no worries &lt;today&gt;.</section>" \
    '<cite section="child-seen" offset="0" length="36" segments="1" support="supported" unsure="12:8"/><cite section="child-seen" offset="37" length="31" segments="2" support="unsupported" reason="a name not in the cited segments"/>' \
    > "$work/r1.xml"
save "$work/r1.xml" "$work/s1.xml"
# R-2: reviewed and edited, another person on the record, consent later withdrawn.
form R-2 "$me<subject id=\"P-3\" role=\"child\" name=\"Sam Other\"/>" \
    "$consent<consent subject=\"P-3\" given-by=\"representative\" method=\"written\" capacity=\"not-assessed\" at=\"2026-11-02T10:00:00Z\" scopes=\"ai-draft\"/>" \
    '<section id="child-seen" origin="ai-reviewed" engine="embedded:pocketsphinx" model="en-us" reviewed-by="sw-017" reviewed-at="2026-11-03T09:00:00Z" review="edited">Sam Other showed me the garden.</section>' \
    > "$work/r2.xml"
save "$work/r2.xml" "$work/s2a.xml"
sed 's/at="2026-11-02T10:00:00Z" scopes="record-audio transcribe ai-draft"/& withdrawn-at="2026-11-10T00:00:00Z"/' "$work/s2a.xml" > "$work/r2b.xml"
save "$work/r2b.xml" "$work/s2.xml"
# R-3: written by the worker alone; R-4: changed after it was saved; R-5: never stamped.
form R-3 "$me" "" '<section id="child-seen" origin="human">We talked in the kitchen.</section>' > "$work/r3.xml"
save "$work/r3.xml" "$work/s3.xml"
form R-4 "$me" "" '<section id="child-seen" origin="human">The house was tidy.</section>' > "$work/r4.xml"
save "$work/r4.xml" "$work/s4a.xml"
sed 's/was tidy/was a mess/' "$work/s4a.xml" > "$work/s4.xml"
form R-5 "$me" "" '<section id="child-seen" origin="human">Phone call.</section>' > "$work/s5.xml"

"$cs" --home "$home" sar P-2 "$work/s1.xml" "$work/s2.xml" "$work/s3.xml" "$work/s4.xml" "$work/s5.xml" \
    -o "$work/export.zip" --organisation "Northshire County Council" --contact "dpo@northshire.example, 01234 567890" \
    > "$work/out" || fail "sar: $(cat "$work/out")"
grep -q '^records: 5$' "$work/out" || fail "summary: $(cat "$work/out")"
grep -q '^not verified: 2$' "$work/out" || fail "summary: $(cat "$work/out")"
[ "$(stat -c %a "$work/export.zip")" = 600 ] || fail "the export is readable by others"
grep -q '"Kerry Smith"' "$work/export.redaction-review.csv" || fail "review list: $(cat "$work/export.redaction-review.csv")"

# Unpack it as the person would.
"$PYTHON3" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$work/export.zip" "$work/x"
[ "$(cd "$work/x" && ls | tr '\n' ' ')" = "README.txt manifest.sig manifest.xml public-key.pem records.xml report.html " ] ||
    fail "files in the export: $(ls "$work/x")"

# The seal, checked by hand exactly as README.txt says.
grep -q 'openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin' "$work/x/README.txt" || fail "README"
(cd "$work/x" && openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin -in manifest.xml -sigfile manifest.sig) |
    grep -q 'Signature Verified Successfully' || fail "openssl does not verify the manifest"
for f in report.html records.xml public-key.pem README.txt; do
    sum=$(cd "$work/x" && sha256sum "$f" | cut -d' ' -f1)
    grep -q "<file name=\"$f\" bytes=\"[0-9]*\" sha256=\"$sum\"/>" "$work/x/manifest.xml" || fail "sha256 of $f"
done

# And with the tool, pinned to the council's published key.
"$cs" --home "$home" pubkey > "$work/council.pem"
"$cs" sar verify "$work/export.zip" --key "$work/council.pem" > "$work/v" || fail "sar verify: $(cat "$work/v")"
grep -q 'Result: VERIFIED' "$work/v" || fail "verify report: $(cat "$work/v")"
"$PYTHON3" - "$work/export.zip" "$work/changed.zip" << 'PY'
import sys, zipfile
src, dst = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2], "w")
for item in src.infolist():
    data = src.read(item)
    if item.filename == "report.html":
        data = data.replace(b"Seal check", b"Seal chuck")
    dst.writestr(item, data)
dst.close()
PY
if "$cs" sar verify "$work/changed.zip" > "$work/v"; then fail "a changed report verified"; fi
grep -q "changed: 'report.html'" "$work/v" || fail "verify did not name the file: $(cat "$work/v")"

# The fingerprint the council publishes: printed by pubkey --fingerprint and
# in the summary, given in README.txt, the digits openssl gives for public-key.pem.
fp=$("$cs" --home "$home" pubkey --fingerprint | sed -n 's/^SHA-256 fingerprint: //p')
[ "$(echo "$fp" | tr -d ' ')" = "$(openssl pkey -pubin -in "$work/x/public-key.pem" -outform DER | sha256sum | cut -d' ' -f1)" ] ||
    fail "the fingerprint $fp is not openssl's of public-key.pem"
grep -q "^key fingerprint: $fp$" "$work/out" || fail "the summary lacks the fingerprint: $(cat "$work/out")"
grep -q "^    $fp$" "$work/x/README.txt" || fail "README.txt lacks the fingerprint"
grep -q 'Compare it, digit by digit, with the fingerprint the council' "$work/x/README.txt" || fail "README.txt: compare"
grep -q 'openssl pkey -pubin -in public-key.pem -outform DER | sha256sum' "$work/x/README.txt" || fail "README.txt: how"

# A forger edits the page, re-hashes it, swaps in their own key and re-seals
# the manifest: the files match each other, and that is all it proves.
"$cs" --home "$work/forger" keygen > /dev/null || fail "forger keygen"
"$cs" --home "$work/forger" pubkey > "$work/forger.pem"
"$PYTHON3" - "$work/export.zip" "$work/forged" "$work/forger.pem" << 'PY'
import base64, hashlib, re, sys, zipfile
src, out, pem = zipfile.ZipFile(sys.argv[1]), sys.argv[2], open(sys.argv[3], "rb").read()
files = {i.filename: src.read(i) for i in src.infolist()}
files["report.html"] = files["report.html"].replace(b"Seal check", b"Seal chuck")
files["public-key.pem"] = pem
der = base64.b64decode(b"".join(l for l in pem.splitlines() if not l.startswith(b"-----")))
manifest = re.sub(rb'key-id="ed25519:[0-9a-f]+"', b'key-id="ed25519:' + hashlib.sha256(der[-32:]).hexdigest()[:16].encode() + b'"',
                  files["manifest.xml"])
for name in ("report.html", "public-key.pem"):
    manifest = re.sub(rb'(<file name="' + name.encode() + rb'" bytes=")[0-9]+(" sha256=")[0-9a-f]+"',
                      lambda m: m.group(1) + str(len(files[name])).encode() + m.group(2) +
                      hashlib.sha256(files[name]).hexdigest().encode() + b'"', manifest)
files["manifest.xml"] = manifest
open(out + ".manifest.xml", "wb").write(manifest)
with zipfile.ZipFile(out + ".zip.tmp", "w") as dst:
    for name, data in files.items():
        dst.writestr(name, data)
PY
openssl pkeyutl -sign -inkey "$(find "$work/forger/keys" -name '*.key')" -rawin -in "$work/forged.manifest.xml" \
    -out "$work/forged.sig" || fail "forger's signature"
"$PYTHON3" -c 'import sys, zipfile
src, dst = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2], "w")
for i in src.infolist():
    dst.writestr(i.filename, open(sys.argv[3], "rb").read() if i.filename == "manifest.sig" else src.read(i))
dst.close()' "$work/forged.zip.tmp" "$work/forged.zip" "$work/forged.sig"
set +e
"$cs" sar verify "$work/forged.zip" > "$work/v" 2> "$work/err"
code=$?
set -e
[ $code -eq 3 ] || fail "a re-sealed export without a trusted key exited $code, not 3: $(cat "$work/v")"
grep -q 'signature: verified' "$work/v" || fail "the forgery is not even self-consistent: $(cat "$work/v")"
grep -q '^Result: NOT PROVEN: the seal proves only that the files match each other' "$work/v" || fail "report: $(cat "$work/v")"
grep -q '^Result: VERIFIED' "$work/v" && fail "a forgery was called verified"
grep -q "$fp" "$work/v" && fail "the forger's export showed the council's fingerprint"
[ "$(wc -l < "$work/err")" -eq 1 ] || fail "one line on stderr: $(cat "$work/err")"
if "$cs" sar verify "$work/forged.zip" --key "$work/council.pem" > "$work/v"; then fail "a forgery verified with the council's key"; fi
grep -q '^Result: NOT VERIFIED' "$work/v" || fail "report: $(cat "$work/v")"

# A record about someone else stops the export, and nothing is written.
form R-9 '<subject id="P-7" role="parent"/>' "" '<section id="child-seen" origin="human">x</section>' > "$work/r9.xml"
save "$work/r9.xml" "$work/s9.xml"
if "$cs" --home "$home" sar P-2 "$work/s1.xml" "$work/s9.xml" -o "$work/other.zip" 2> "$work/err"; then
    fail "a record about another person was exported"
fi
grep -q 'not about subject P-2' "$work/err" || fail "refusal: $(cat "$work/err")"
[ ! -e "$work/other.zip" ] || fail "a partial export was written"

# The person's page in a real browser: WCAG 2.2 AA by axe-core, no scripts,
# nothing fetched from outside, print styles too; a screenshot is kept.
grep -q 'then checked and changed by your social worker on 3 November 2026' "$work/x/report.html" || fail "report wording"
grep -q '<h2 id="record-1-title">Record 1: Statutory visit to a child' "$work/x/report.html" || fail "the form's title"
grep -q '<mark class="unsure">mornings (?)</mark>' "$work/x/report.html" || fail "the unsure word is not marked"
grep -q 'Jo is coping &amp; I have no worries &lt;today&gt;.' "$work/x/report.html" || fail "text is not escaped"
node "$top_srcdir/tests/browser/axe_page.mjs" "$work/x/report.html" "$artifacts/sar-report.png" ||
    fail "the report is not accessible (see above)"
echo "sar: export, seal, verify and accessibility checked; screenshot $artifacts/sar-report.png"
