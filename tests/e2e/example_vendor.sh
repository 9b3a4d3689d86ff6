#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# examples/vendor-adapter built the way a vendor builds it: the installed
# header and library through pkg-config, with jansson and libxml2, which the
# adapter links itself; nothing from the source tree but the example. Then
# the demo's run, its records, tampered records and hostile payloads.
. "$top_srcdir/tests/e2e/lib.sh"
install_tree
ex="$top_srcdir/examples/vendor-adapter"
py="${PYTHON3:-python3}"
san=""
[ "${SANITIZERS:-no}" = yes ] && san="-fsanitize=address,undefined" # the library needs the runtime first

# The README's build line. install_tree reaches the DESTDIR copy through
# PKG_CONFIG_SYSROOT_DIR, which would also prefix the system's libxml2 and
# jansson flags with the DESTDIR; so the installed casescribe.pc is copied
# with its prefix pointing at the DESTDIR copy instead, and the one
# pkg-config line a vendor runs is run as it is.
mkdir "$work/pc"
sed "s|^prefix=.*|prefix=$PREFIX|" "$LIBDIR/pkgconfig/casescribe.pc" > "$work/pc/casescribe.pc"
flags=$(unset PKG_CONFIG_SYSROOT_DIR; PKG_CONFIG_PATH="$work/pc" pkg-config --cflags --libs casescribe jansson libxml-2.0) ||
    fail "pkg-config --cflags --libs casescribe jansson libxml-2.0 failed"
case "$flags" in
*"-I$INCDIR"*"-L$LIBDIR"* | *"-L$LIBDIR"*"-I$INCDIR"*) ;;
*) fail "pkg-config does not point at the installed tree: $flags" ;;
esac
# shellcheck disable=SC2086
$CC -std=c11 -Wall -Wextra -Werror $san "$ex/demo.c" "$ex/larkspur_adapter.c" $flags -o "$work/larkspur-demo" ||
    fail "the vendor adapter example does not build"

# The demo: draft saved, final save refused, reviewed, final saved, verified.
run="$work/run"
"$work/larkspur-demo" "$ex/sample.json" "$run" > "$work/out" 2> "$work/err" ||
    fail "the demo failed: $(cat "$work/err" "$work/out")"
expect() {
    grep -qF -- "$1" "$work/out" || fail "the demo's output lacks '$1': $(cat "$work/out")"
}
expect 'adapter "larkspur" registered'
expect '1. draft saved through "larkspur": version 1,'
expect '2. final save refused ('
expect "a final save cannot hold AI drafts nobody has reviewed: section 'observations'"
expect '3. reviewed by sw-017 and saved final: version 2, chained to version 1 (previous=sha256:'
expect 'Result: VERIFIED'
expect 'checked and accepted by sw-017'
expect "5. vendorFields and Larkspur's own keys carried through both saves: yes"
expect 'journal: 4 entries, chain intact' # the key, the policy change and two saves; nothing for the refused one
expect 'adapter "larkspur" unregistered'

# The records are Larkspur JSON: what CaseScribe does not model came
# through both saves as it was, and the stamp chains version 2 to 1.
"$py" - "$ex/sample.json" "$run/larkspur-v1.json" "$run/larkspur-v2.json" << 'PY' || fail "the saved records are not what they should be"
import json, re, sys
sample, v1, v2 = (json.load(open(p)) for p in sys.argv[1:])
def check(ok, what):
    if not ok:
        sys.exit("FAIL: " + what)
check("casescribeStamp" not in sample, "the sample is unstamped")
for v in (v1, v2):
    check(v["vendorFields"] == sample["vendorFields"], "vendorFields carried over")
    check(v["larkspurSchemaVersion"] == 3, "an unknown top-level key carried over")
    check(v["people"][0]["larkspurPersonRef"] == "LP-88213", "a person's own key carried over")
    check(v["answers"][1]["larkspurWordCount"] == 12, "an answer's own key carried over")
    check(v["answers"][0]["text"] == sample["answers"][0]["text"], "the text as it was, & and all")
    check(v["consents"][0]["scopes"] == ["record-audio", "transcribe", "ai-draft"], "scopes as a list")
check(v1["final"] is False and v1["answers"][0]["origin"] == "ai-draft", "version 1 is the unreviewed draft")
check(v2["final"] is True and v2["answers"][0]["origin"] == "ai-reviewed", "version 2 is final and reviewed")
check(v2["answers"][0]["reviewedBy"] == "sw-017" and v2["answers"][0]["review"] == "accepted", "the review")
s1, s2 = v1["casescribeStamp"], v2["casescribeStamp"]
check(s1.startswith('<provenance xmlns="urn:casescribe:form:1" ') and 'version="1"' in s1, "stamp 1 stands alone")
check("previous=" not in s1, "version 1 follows nothing")
check('version="2"' in s2 and re.search(r'previous="sha256:[0-9a-f]{64}"', s2), "version 2 chains to version 1")
PY
grep -qF '"mileage": 12.4,' "$run/larkspur-v2.json" || fail "a vendor's number was rewritten: $(grep mileage "$run/larkspur-v2.json")"

# --verify: exit 0 for the stored record, 1 for anything else.
verify() { "$work/larkspur-demo" --verify "$run" "$1" > "$work/vout" 2>&1; }
verify "$run/larkspur-v2.json" || fail "version 2 does not verify: $(cat "$work/vout")"
grep -qF 'Result: VERIFIED' "$work/vout" || fail "verify's report: $(cat "$work/vout")"
verify "$run/larkspur-v1.json" || fail "version 1 does not verify: $(cat "$work/vout")"

# Writes $work/edited.json: version 2 with one change made by the Python
# statement $1 on `r`.
edit() {
    "$py" - "$run/larkspur-v2.json" "$work/edited.json" "$1" << 'PY' || fail "cannot edit the record: $1"
import json, sys
r = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(r, open(sys.argv[2], "w"), indent=2)
PY
}
# Tampered records fail verify, and the report says so.
refused() { # $1: the edit, $2: what the output must say
    edit "$1"
    if verify "$work/edited.json"; then fail "a record changed by '$1' verifies: $(cat "$work/vout")"; fi
    grep -qF -- "$2" "$work/vout" || fail "after '$1', verify's output lacks '$2': $(cat "$work/vout")"
}
refused 'r["answers"][0]["text"] = r["answers"][0]["text"].replace("Tuesdays", "Thursdays")' 'NOT VERIFIED'
refused 'r["answers"][0]["reviewedBy"] = "sw-999"' 'NOT VERIFIED'
refused 'r["answers"][1]["origin"] = "ai-reviewed"' 'NOT VERIFIED'
refused 'r["people"][0]["name"] = "Someone Else"' 'NOT VERIFIED'
refused 'r["consents"][0]["scopes"].append("external-ai")' 'NOT VERIFIED'
refused 'r["final"] = False' 'NOT VERIFIED'
refused 'r["casescribeStamp"] = r["casescribeStamp"].replace("version=\"2\"", "version=\"3\"")' 'NOT VERIFIED'
refused 'del r["casescribeStamp"]' 'NOT VERIFIED'
# What the stamp does not cover: the vendor's own fields (README.md says so).
edit 'r["vendorFields"]["mileage"] = 99'
verify "$work/edited.json" || fail "a change to vendorFields alone fails verify: $(cat "$work/vout")"

# Hostile payloads: refused with a message that names the field, never the
# value; the demo neither crashes nor verifies them.
hostile() { # $1: the payload file, $2: what the message must say
    if verify "$1"; then fail "a hostile payload verifies ($2)"; fi
    grep -qF -- "$2" "$work/vout" || fail "a hostile payload's message lacks '$2': $(cat "$work/vout")"
    if grep -q 'Jo Example\|SECRET' "$work/vout"; then fail "a message quotes the payload: $(cat "$work/vout")"; fi
}
printf '{"formId": "LK-1", "people": [{"name": "Jo Example" SECRET' > "$work/bad.json"
hostile "$work/bad.json" 'Larkspur payload: the payload is not JSON (line 1'
printf '{"formId": "SECRET", "formId": "x"}' > "$work/bad.json"
hostile "$work/bad.json" 'a key appears twice'
printf '["SECRET"]' > "$work/bad.json"
hostile "$work/bad.json" 'the payload is not a JSON object'
"$py" -c 'print("{\"vendorFields\": " + "[" * 40 + "]" * 40 + "}")' > "$work/bad.json"
hostile "$work/bad.json" 'nested deeper than 32'
edit 'r["answers"][0]["origin"] = 7'
hostile "$work/edited.json" 'Larkspur payload: answers[0].origin must be a string'
edit 'del r["people"]'
hostile "$work/edited.json" 'Larkspur payload: people is missing'
edit 'r["people"] = []'
hostile "$work/edited.json" 'Larkspur payload: people must not be empty'
edit 'r["people"] = ["SECRET"]'
hostile "$work/edited.json" 'Larkspur payload: people[0] must be an object'
edit 'r["answers"] = [r["answers"][0]] * 300'
hostile "$work/edited.json" 'answers has 300 entries; at most 256'
edit 'r["answers"][1]["text"] = "SECRET \u0001"'
hostile "$work/edited.json" 'answers[1].text holds a character XML cannot carry'
edit 'r["final"] = "SECRET"'
hostile "$work/edited.json" 'Larkspur payload: final must be true or false'
edit 'r["consents"][0]["scopes"] = ["ai-draft SECRET"]'
hostile "$work/edited.json" 'consents[0].scopes[0] must be one word'
edit 'r["citations"] = [{"question": "observations", "offset": -1, "length": 4, "segments": [1], "support": "supported"}]'
hostile "$work/edited.json" 'citations[0].offset must be a whole number'
edit 'r["vendorFields"] = "SECRET"'
hostile "$work/edited.json" 'vendorFields must be an object'
edit 'r["casescribeStamp"] = "<!DOCTYPE p [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><provenance xmlns=\"urn:casescribe:form:1\">&x;</provenance>"'
hostile "$work/edited.json" 'casescribeStamp is not well-formed XML'
edit 'r["casescribeStamp"] = "<form xmlns=\"urn:casescribe:form:1\"/>"'
hostile "$work/edited.json" 'casescribeStamp must be a <provenance> element'
# Well-formed JSON the library refuses: the adapter does not validate, the
# library does (a bad time in reviewedAt).
edit 'r["answers"][0]["reviewedAt"] = "yesterday"'
hostile "$work/edited.json" 'NOT VERIFIED'
echo "examples/vendor-adapter: built with pkg-config, run, tampering and hostile payloads refused"
