#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The installed `casescribe` command, as an admin or a script would use it.
. "$top_srcdir/tests/e2e/lib.sh"
install_tree
cs="$BIN/casescribe"
home="$work/home"
data="$top_srcdir/tests/data"

# keygen: makes a 0600 key; a second keygen refuses with one line; --rotate works.
"$cs" --home "$home" keygen > "$work/keygen.out" || fail "keygen"
grep -q 'made key ed25519:' "$work/keygen.out" || fail "keygen output: $(cat "$work/keygen.out")"
key=$(find "$home/keys" -name '*.key')
[ "$(stat -c %a "$key")" = 600 ] || fail "private key mode is $(stat -c %a "$key")"
if "$cs" --home "$home" keygen 2> "$work/err"; then fail "second keygen succeeded"; fi
[ "$(wc -l < "$work/err")" -eq 1 ] || fail "errors must be one line: $(cat "$work/err")"

# team policy: a team never configured has every AI feature off, so the
# AI-drafted form is refused, naming the team and the feature.
"$cs" --home "$home" team show cin-north > "$work/show" || fail "team show"
grep -q '^ai-draft: off$' "$work/show" || fail "ai-draft should start off: $(cat "$work/show")"
grep -q 'safe defaults' "$work/show" || fail "team show should say the defaults apply"
if "$cs" --home "$home" save "$data/home-visit.xml" -o "$work/v1.xml" --actor sw-017 2> "$work/err"; then
    fail "AI section saved with ai-draft off"
fi
grep -q "team cin-north's policy has 'ai-draft' switched off" "$work/err" || fail "refusal: $(cat "$work/err")"
"$cs" --home "$home" team enable cin-north ai-draft --actor admin-7 > /dev/null || fail "team enable"
"$cs" --home "$home" team show cin-north > "$work/show" || fail "team show"
grep -q '^ai-draft: on$' "$work/show" || fail "ai-draft should be on: $(cat "$work/show")"
grep -q '^transcription: off$' "$work/show" || fail "enable switched another feature: $(cat "$work/show")"
grep -q 'version 1, signed and valid' "$work/show" || fail "show should say the policy is valid"
"$cs" --home "$home" team set adults-south audio-retention-days 30 > /dev/null || fail "team set"
if "$cs" --home "$home" team set adults-south audio-retention-days 9999 2> "$work/err"; then fail "bad value accepted"; fi
[ "$(wc -l < "$work/err")" -eq 1 ] || fail "team errors must be one line: $(cat "$work/err")"
"$cs" --home "$home" team show adults-south | grep -q '^ai-draft: off$' || fail "another team was changed"
[ "$("$cs" --home "$home" team list | tr '\n' ' ')" = "adults-south cin-north " ] || fail "team list"
# a hand edit makes the policy unusable, and show says so
cp "$home/policy/adults-south.xml" "$work/policy.bak"
sed -i 's/transcription="off"/transcription="on"/' "$home/policy/adults-south.xml"
"$cs" --home "$home" team show adults-south > "$work/show" || fail "team show of an edited policy"
grep -q 'NOT USED' "$work/show" || fail "a hand-edited policy was used: $(cat "$work/show")"
grep -q '^transcription: off$' "$work/show" || fail "a hand edit switched a feature on"
cp "$work/policy.bak" "$home/policy/adults-south.xml"

# save + verify (home from CASESCRIBE_HOME this time), under the usual umask
umask 022
CASESCRIBE_HOME="$home" "$cs" save "$data/home-visit.xml" -o "$work/v1.xml" --actor sw-017 --role social-worker ||
    fail "save"
grep -q '<provenance record="R-7001" version="1"' "$work/v1.xml" || fail "no provenance in the output"
"$cs" --home "$home" verify "$work/v1.xml" > "$work/report" || fail "verify: $(cat "$work/report")"
grep -q 'VERIFIED' "$work/report" || fail "report lacks the verdict"
grep -q 'NOT YET CHECKED' "$work/report" || fail "report does not say the draft is unchecked"

# offline verification with the public key alone
"$cs" --home "$home" pubkey > "$work/pub.pem" || fail "pubkey"
"$cs" verify "$work/v1.xml" --pubkey "$work/pub.pem" > /dev/null || fail "verify --pubkey"
# the fingerprint a council publishes: the digits openssl gives for the key's DER
"$cs" --home "$home" pubkey --fingerprint > "$work/fp" || fail "pubkey --fingerprint"
want=$(openssl pkey -pubin -in "$work/pub.pem" -outform DER | sha256sum | cut -d' ' -f1)
got=$(sed -n 's/^SHA-256 fingerprint: //p' "$work/fp")
[ "$(echo "$got" | tr -d ' ')" = "$want" ] || fail "fingerprint '$got' is not openssl's $want"
echo "$got" | grep -Eq '^([0-9a-f]{4} ){15}[0-9a-f]{4}$' || fail "fingerprint not in groups of four: '$got'"

# stamped records hold personal data: only their owner may read them, whatever the umask
[ "$(stat -c %a "$work/v1.xml")" = 600 ] || fail "a stamped record was written $(stat -c %a "$work/v1.xml")"

# a home, keys/ or policy/ folder others may write to is refused, with one line saying how to fix it
for d in "$home" "$home/keys" "$home/policy"; do
    chmod o+w "$d"
    if "$cs" --home "$home" team list > /dev/null 2> "$work/err"; then fail "$d writable by others was used"; fi
    grep -q "chmod go-w" "$work/err" || fail "refusal: $(cat "$work/err")"
    [ "$(wc -l < "$work/err")" -eq 1 ] || fail "refusal must be one line: $(cat "$work/err")"
    chmod go-w "$d"
done
chmod 755 "$home"
"$cs" --home "$home" team list > /dev/null || fail "a home others may read but not write was refused"
chmod 700 "$home"

# tampering is caught, with a one-line reason
sed 's/family support worker/family friend/' "$work/v1.xml" > "$work/tampered.xml"
if "$cs" --home "$home" verify "$work/tampered.xml" > "$work/report" 2> "$work/err"; then fail "tampering not detected"; fi
grep -q "section 'observations': text changed" "$work/report" || fail "report does not say what changed"
[ "$(wc -l < "$work/err")" -eq 1 ] || fail "verify error must be one line"

# the review gate: a final save with an unreviewed draft is refused
sed 's/author="sw-017"/author="sw-017" final="true"/' "$work/v1.xml" > "$work/final.xml"
if "$cs" --home "$home" save "$work/final.xml" -o "$work/v2.xml" 2> "$work/err"; then fail "final save with a draft accepted"; fi
grep -q "observations" "$work/err" || fail "refusal does not name the section: $(cat "$work/err")"
now=$(date -u +%Y-%m-%dT%H:%M:%SZ) # a review is dated after the draft it checks was saved
sed -e 's/<section id="observations" origin="ai-draft"/<section id="observations" origin="ai-reviewed" reviewed-by="sw-017" reviewed-at="'"$now"'" review="edited"/' \
    "$work/final.xml" > "$work/reviewed.xml"
"$cs" --home "$home" save "$work/reviewed.xml" -o "$work/v2.xml" || fail "reviewed final save"
grep -q 'version="2" previous="sha256:' "$work/v2.xml" || fail "version 2 is not chained"
# an older version still verifies, but the report says which is the latest
"$cs" --home "$home" verify "$work/v1.xml" > "$work/report" || fail "version 1 no longer verifies"
grep -q "Older version: the latest this home knows is version 2" "$work/report" || fail "verify of version 1 does not name version 2"

# hostile input is refused, reading no file
printf '<?xml version="1.0"?>\n<!DOCTYPE form [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<form>&x;</form>\n' > "$work/xxe.xml"
if "$cs" --home "$home" save "$work/xxe.xml" -o "$work/out.xml" 2> "$work/err"; then fail "XXE accepted"; fi
grep -q 'root:' "$work/err" && fail "XXE leaked a file"

# the journal verifies, and a corrupted entry is named
"$cs" --home "$home" journal verify > "$work/jv" || fail "journal verify: $(cat "$work/jv")"
grep -q '5 entries' "$work/jv" || fail "journal should hold the key, 2 policy changes and 2 saves: $(cat "$work/jv")"
# a signed checkpoint and a stamped record kept outside the home: the ledger holds what they saw
"$cs" --home "$home" checkpoint export -o "$work/cp" || fail "checkpoint export"
[ "$(stat -c %a "$work/cp")" = 600 ] || fail "checkpoint written $(stat -c %a "$work/cp")"
head -1 "$work/cp" | grep -Eq '^casescribe/[0-9a-f]{32}$' || fail "checkpoint origin: $(cat "$work/cp")"
[ "$(sed -n 2p "$work/cp")" = 5 ] || fail "checkpoint size: $(cat "$work/cp")"
"$cs" --home "$home" checkpoint export | cmp -s - "$work/cp" || fail "checkpoint export to stdout differs"
grep -q 'ledger-seq="5"' "$work/v2.xml" || fail "version 2's stamp does not name ledger entry 5"
"$cs" --home "$home" journal verify --checkpoint "$work/cp" --record "$work/v2.xml" > "$work/jv" ||
    fail "journal verify --checkpoint --record: $(cat "$work/jv")"
[ "$(grep -c 'the ledger holds it' "$work/jv")" -eq 2 ] || fail "not both held: $(cat "$work/jv")"
# the last entry removed: the chain alone still checks out, the checkpoint and the record do not
cp "$home/ledger.db" "$work/ledger.keep"
python3 -c 'import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute("DELETE FROM ledger WHERE seq = 5"); db.commit()' "$home/ledger.db"
"$cs" --home "$home" journal verify > /dev/null || fail "a shorter chain should check out by itself"
for evidence in "--checkpoint $work/cp" "--record $work/v2.xml"; do
    # shellcheck disable=SC2086 # option and file
    if "$cs" --home "$home" journal verify $evidence > "$work/jv" 2> "$work/err"; then fail "removed entry passed $evidence"; fi
    grep -q 'now holds 4: entries were removed' "$work/err" || fail "$evidence: $(cat "$work/err")"
done
cp "$work/ledger.keep" "$home/ledger.db"
python3 - "$home/ledger.db" << 'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("""UPDATE ledger SET payload = replace(payload, '"kind"', '"kinx"') WHERE seq = 1""")
db.commit()
PY
if "$cs" --home "$home" journal verify > "$work/jv" 2> "$work/err"; then fail "corrupt journal verified"; fi
grep -q 'entry 1' "$work/err" || fail "journal verify does not name the entry: $(cat "$work/err")"

# the demo runs from a fresh temporary home and shows the whole story
"$cs" demo > "$work/demo.out" || { cat "$work/demo.out"; fail "demo"; }
for text in 'Refused, as it must be' 'VERIFIED' 'checked and changed by sw-017' 'Verify says: record'; do
    grep -q "$text" "$work/demo.out" || fail "demo output lacks '$text'"
done

# a council policy bundle: signed by the admin, fetched over HTTPS, applied
# (in a second home: the first one's journal was damaged on purpose above)
home2="$work/home2"
"$cs" --home "$home2" keygen > /dev/null 2>&1 || { mkdir -p "$home2" && "$cs" --home "$home2" keygen > /dev/null; }
sh "$top_srcdir/tests/net/make-test-pki.sh" "$work/pki"
mkdir "$work/site"
cat > "$work/bundle.xml" << 'EOF'
<bundle xmlns="urn:casescribe:policy:1" serial="1" issued-by="dpo-1" issued-at="2026-11-23T10:00:00Z">
  <team name="adults-east">
    <features transcription="on" ai-draft="off" external-ai="off" observation-tags="off"/>
    <audio-retention-days>3</audio-retention-days>
    <engine>embedded</engine>
  </team>
</bundle>
EOF
chmod 644 "$work/pki/admin.key"
if "$cs" policy sign-bundle "$work/bundle.xml" --key "$work/pki/admin.key" -o "$work/site/b.xml" 2> "$work/err"; then
    fail "a bundle was signed with a key file others can read"
fi
chmod 600 "$work/pki/admin.key"
"$cs" policy sign-bundle "$work/bundle.xml" --key "$work/pki/admin.key" -o "$work/site/b.xml" || fail "sign-bundle"
"${PYTHON3:-python3}" "$top_srcdir/tests/net/https_server.py" --cert "$work/pki/server.pem" \
    --key "$work/pki/server.key" --dir "$work/site" --log "$work/server.log" > "$work/port" &
server=$!
trap 'kill $server 2> /dev/null || true; rm -rf "$work"' EXIT
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do [ -s "$work/port" ] && break; sleep 0.2; done
url="https://127.0.0.1:$(cat "$work/port")/b.xml"
if "$cs" --home "$home2" policy refresh "$url" --ca "$work/pki/ca.pem" 2> "$work/err"; then
    fail "a bundle was applied with no admin key trusted"
fi
"$cs" --home "$home2" policy trust "$work/pki/admin.pub" --actor dpo-1 > /dev/null || fail "policy trust"
"$cs" --home "$home2" policy refresh "$url" --ca "$work/pki/ca.pem" > "$work/out" || fail "refresh: $(cat "$work/out")"
grep -q 'changed: adults-east' "$work/out" || fail "refresh did not say what changed: $(cat "$work/out")"
"$cs" --home "$home2" team show adults-east > "$work/show"
grep -q '^transcription: on' "$work/show" || fail "the bundle's setting is not in force: $(cat "$work/show")"
grep -q '^audio-retention-days: 3' "$work/show" || fail "the bundle's retention is not in force"
"$cs" --home "$home2" policy refresh "$url" --ca "$work/pki/ca.pem" > "$work/out" || fail "second refresh"
grep -q 'not modified' "$work/out" || fail "an unchanged bundle was downloaded again: $(cat "$work/out")"
if "$cs" --home "$home2" policy refresh "$url" --ca "$work/pki/rogue-ca.pem" 2> "$work/err"; then
    fail "a certificate from another CA was accepted"
fi
kill $server

# transcription through the installed helper, as the team policy allows
asr="$PREFIX/libexec/casescribe/casescribe-asr"
[ -x "$asr" ] || fail "make install did not install the helper at $asr"
wav=/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav
if "$cs" --home "$home2" transcribe "$data/home-visit.xml" "$wav" --helper "$asr" > "$work/out" 2> "$work/err"; then
    fail "transcribed for a team with transcription off"
fi
grep -q 'transcription switched off' "$work/err" || fail "the refusal does not say why: $(cat "$work/err")"
"$cs" --home "$home2" team enable cin-north transcription > /dev/null
"$cs" --home "$home2" transcribe "$data/home-visit.xml" "$wav" --helper "$asr" > "$work/out" ||
    fail "transcribe: $(cat "$work/out")"
grep -q '^Machine transcript' "$work/out" || fail "the transcript does not say a machine made it"
grep -q 'young' "$work/out" || fail "the transcript lacks words of the recording: $(cat "$work/out")"

# templates and drafting: the installed templates, a draft with every
# sentence cited, the worker's analysis left alone, and the save refusing
# AI text in a `never` section of an installed template
# (installed under DESTDIR, so the library is told where they went)
export CASESCRIBE_TEMPLATE_DIR="$PREFIX/share/casescribe/templates"
"$cs" --home "$home2" templates > "$work/templates" || fail "templates"
for t in statutory-home-visit child-family-assessment care-act-needs-assessment carers-assessment strategy-discussion; do
    grep -q "^$t " "$work/templates" || fail "template $t is not installed: $(cat "$work/templates")"
done
grep -q 'never drafted by AI' "$work/templates" || fail "templates does not say which sections AI never drafts"
transcript="$data/statutory-visit-transcript.xml"
"$cs" --home "$home2" team enable cin-north ai-draft > /dev/null || fail "enable ai-draft"
if "$cs" --home "$home2" fill statutory-home-visit "$transcript" 2> "$work/err"; then fail "fill without the form"; fi
grep -q 'no consent, no AI' "$work/err" || fail "fill without the form does not say why: $(cat "$work/err")"
"$cs" --home "$home2" fill statutory-home-visit "$transcript" --subjects "$data/statutory-visit.xml" \
    -o "$work/draft.xml" 2> "$work/report" || fail "fill: $(cat "$work/report")"
grep -q 'drafted by embedded:extractive' "$work/report" || fail "fill report: $(cat "$work/report")"
grep -q 'origin="ai-draft" engine="embedded:extractive"' "$work/draft.xml" || fail "no drafted section"
grep -q '<cite section=' "$work/draft.xml" || fail "the draft cites nothing"
grep -q '<section id="analysis" origin="human"></section>' "$work/draft.xml" || fail "the analysis was touched"
"$cs" --home "$home2" save "$work/draft.xml" -o "$work/draft-saved.xml" --actor sw-017 > /dev/null ||
    fail "the draft does not save"
sed 's|<section id="analysis" origin="human"></section>|<section id="analysis" origin="ai-draft" engine="embedded:extractive">Low risk.</section>|' \
    "$work/draft.xml" > "$work/never.xml"
if "$cs" --home "$home2" save "$work/never.xml" -o "$work/never-saved.xml" --actor sw-017 2> "$work/err"; then
    fail "AI text saved in the analysis"
fi
grep -q "professional judgement" "$work/err" || fail "the never refusal does not say why: $(cat "$work/err")"
# --style: quote is the default draft byte for byte; reported writes each
# speaker's line as reported speech, citing the same segments
"$cs" --home "$home2" fill statutory-home-visit "$transcript" --subjects "$data/statutory-visit.xml" \
    -o "$work/draft-quote.xml" --style quote 2> "$work/report" || fail "fill --style quote: $(cat "$work/report")"
cmp -s "$work/draft.xml" "$work/draft-quote.xml" || fail "--style quote is not the default draft"
"$cs" --home "$home2" fill statutory-home-visit "$transcript" --subjects "$data/statutory-visit.xml" \
    -o "$work/draft-reported.xml" --style reported 2> "$work/report" || fail "fill --style reported: $(cat "$work/report")"
grep -q '>Kerry said Jayden is at his dad.s until Sunday\.' "$work/draft-reported.xml" ||
    fail "--style reported: no reported speech: $(cat "$work/draft-reported.xml")"
grep -q '>Kerry: ' "$work/draft-reported.xml" && fail "--style reported left a quoted line of Kerry's"
cites() { grep -o 'segments="[0-9 ]*"' "$1"; }
[ "$(cites "$work/draft.xml")" = "$(cites "$work/draft-reported.xml")" ] || fail "--style reported cites other segments"

# a team name that is no id is an error, not a team never configured
if "$cs" --home "$home2" team show 'bad team!' > /dev/null 2> "$work/err"; then fail "team show of a bad name succeeded"; fi
grep -q 'not a valid team name' "$work/err" || fail "bad team name: $(cat "$work/err")"
# an older signed policy file put back is not used: the journal knows version 2
"$cs" --home "$home2" team enable adults-west ai-draft > /dev/null || fail "team enable adults-west"
cp "$home2/policy/adults-west.xml" "$work/west.v1"
"$cs" --home "$home2" team disable adults-west ai-draft > /dev/null || fail "team disable adults-west"
cp "$work/west.v1" "$home2/policy/adults-west.xml"
"$cs" --home "$home2" team show adults-west > "$work/show" || fail "team show of an old policy file"
grep -q 'NOT USED.*older than version 2' "$work/show" || fail "an old policy file was used: $(cat "$work/show")"
grep -q '^ai-draft: off$' "$work/show" || fail "the old file switched ai-draft on"
# A home template is signed by the home (templates install); a hand edit is refused
sed 's|id="statutory-home-visit"|id="council-visit"|' "$top_srcdir/plugin/templates/statutory-home-visit.xml" \
    > "$work/council-visit.xml"
"$cs" --home "$home2" templates install "$work/council-visit.xml" > /dev/null || fail "templates install"
grep -q '<signature algorithm="ed25519"' "$home2/templates/council-visit.xml" || fail "the installed template is not signed"
"$cs" --home "$home2" templates | grep -q '^council-visit' || fail "the installed template is not listed"
sed -i 's|ai="never"|ai="draft"|' "$home2/templates/council-visit.xml"
"$cs" --home "$home2" templates | grep -q '^council-visit' && fail "a hand-edited template is still listed"
sed 's|template="statutory-home-visit"|template="council-visit"|' "$work/draft.xml" > "$work/council.xml"
if "$cs" --home "$home2" save "$work/council.xml" -o "$work/council-saved.xml" --actor sw-017 2> "$work/err"; then
    fail "AI text saved under a hand-edited template"
fi
sed 's|template="statutory-home-visit"|template="home-visit"|' "$work/draft.xml" > "$work/unknown.xml"
if "$cs" --home "$home2" save "$work/unknown.xml" -o "$work/unknown-saved.xml" --actor sw-017 2> "$work/err"; then
    fail "AI text saved under a template the home does not know"
fi
grep -q "home-visit" "$work/err" || fail "the unknown template is not named: $(cat "$work/err")"

# the key registry: keygen and rotation are ledger entries; keys list, export,
# trust; pubkey --all verifies a record signed before the rotation
home3="$work/home3"
"$cs" --home "$home3" keygen > /dev/null || fail "keygen (home3)"
first=$(cat "$home3/keys/current")
"$cs" --home "$home3" team enable cin-north ai-draft > /dev/null || fail "team enable (home3)"
"$cs" --home "$home3" save "$data/home-visit.xml" -o "$work/k1.xml" --actor sw-017 > /dev/null || fail "save (home3)"
"$cs" --home "$home3" keygen --rotate > /dev/null || fail "keygen --rotate (home3)"
second=$(cat "$home3/keys/current")
"$cs" --home "$home3" keys list > "$work/keys" || fail "keys list"
grep -q "^$first home created .* retired .* ledger-entry 1$" "$work/keys" || fail "keys list, first key: $(cat "$work/keys")"
grep -q "^$second home created .* in-use ledger-entry 4$" "$work/keys" || fail "keys list, rotated-to key: $(cat "$work/keys")"
"$cs" --home "$home3" pubkey > "$work/current.pem" || fail "pubkey (home3)"
if "$cs" verify "$work/k1.xml" --pubkey "$work/current.pem" > /dev/null 2>&1; then
    fail "a record signed before the rotation verified with the new key alone"
fi
"$cs" --home "$home3" pubkey --all > "$work/history.pem" || fail "pubkey --all"
[ "$(grep -c 'BEGIN PUBLIC KEY' "$work/history.pem")" -eq 2 ] || fail "pubkey --all: $(cat "$work/history.pem")"
grep -q "^# key $first$" "$work/history.pem" || fail "pubkey --all does not name the old key"
"$cs" verify "$work/k1.xml" --pubkey "$work/history.pem" > /dev/null || fail "verify --pubkey of the key history"
# another server's record: refused until its keys are trusted, then verified
"$cs" --home "$home3" verify "$work/draft-saved.xml" > /dev/null 2> "$work/err" && fail "a record of another home verified"
grep -q 'not known here' "$work/err" || fail "unknown key: $(cat "$work/err")"
"$cs" --home "$home2" pubkey --all > "$work/other.pem" 2> "$work/err" || fail "pubkey --all (home2): $(cat "$work/err")"
"$cs" --home "$home3" keys trust "$work/other.pem" --actor dpo-1 > "$work/out" || fail "keys trust"
"$cs" --home "$home3" keys list | grep -q ' trusted created ' || fail "keys list lacks the trusted key"
"$cs" --home "$home3" verify "$work/draft-saved.xml" > /dev/null || fail "a trusted server's record does not verify"
"$cs" --home "$home3" keys export -o "$work/export.pem" || fail "keys export"
[ "$(grep -c 'BEGIN PUBLIC KEY' "$work/export.pem")" -eq 3 ] || fail "keys export: $(cat "$work/export.pem")"
[ "$(stat -c %a "$work/export.pem")" = 600 ] || fail "keys export file mode"
if "$cs" --home "$home3" keys trust "$home3/keys/$second.key" 2> "$work/err"; then fail "a private key was trusted"; fi
# the fingerprint secret of a home with AI entries is never recreated
mv "$home3/keys/fingerprint.secret" "$work/fingerprint.secret"
if "$cs" --home "$home3" keys list > /dev/null 2> "$work/err"; then fail "a home with AI entries opened without its secret"; fi
grep -q 'restore keys/fingerprint.secret from the backup' "$work/err" || fail "secret refusal: $(cat "$work/err")"
[ -e "$home3/keys/fingerprint.secret" ] && fail "the fingerprint secret was recreated"
mv "$work/fingerprint.secret" "$home3/keys/fingerprint.secret"
"$cs" --home "$home3" keys list > /dev/null || fail "the restored secret is refused"

# usage errors exit 2, with the usage, never a crash: each command without its arguments
set +e
"$cs" frobnicate 2> /dev/null
[ $? -eq 2 ] || fail "unknown command should exit 2"
for args in "" "sar" "sar verify" "sar P-2" "sar P-2 $work/v1.xml" "sar verify $work/x.zip --key" "save" \
    "save $work/v1.xml" "verify" "verify --pubkey" "journal" "journal check" "journal verify --record" \
    "journal verify --bogus x" "checkpoint" "checkpoint export -o" "checkpoint import" "pubkey --bogus" "team" "team show" \
    "team enable cin-north" "team set cin-north engine" "policy" "policy trust" "policy refresh" \
    "policy sign-bundle" "policy sign-bundle $work/bundle.xml" "transcribe" "transcribe $data/home-visit.xml" \
    "fill" "fill statutory-home-visit" "fill statutory-home-visit $work/t.xml --subjects $work/f.xml --style plain" "audio" "templates extra" "demo extra" "keygen --bogus" "keys" "keys list x" \
    "keys trust" "keys export -o" "keys delete" "pubkey --all x"; do
    # shellcheck disable=SC2086 # split on purpose: the words are the arguments
    "$cs" --home "$home2" $args > /dev/null 2> "$work/err"
    code=$?
    [ $code -eq 2 ] || fail "'casescribe $args' exited $code, not 2"
    grep -q '^usage: casescribe' "$work/err" || fail "'casescribe $args' gave no usage: $(cat "$work/err")"
done
"$cs" --home "$home2" policy refresh "http://127.0.0.1/b.xml" 2> /dev/null
[ $? -eq 2 ] || fail "a plain http bundle address should be a usage error"
set -e
echo "cli: keygen, team policy, policy bundle, transcription, templates, fill, save, verify, pubkey, keys, tamper, review gate, XXE, journal, checkpoints, demo"
