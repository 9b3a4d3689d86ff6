#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The command's habits: --help and -h per command, --version, unknown
# commands and options named with a "did you mean", the exit statuses the
# usage lists, and errors a user can act on (a form without its namespace,
# an untrusted TLS certificate, a save without --actor).
. "$top_srcdir/tests/e2e/lib.sh"
install_tree
cs="$BIN/casescribe"
home="$work/home"
data="$top_srcdir/tests/data"

# --help, -h, help COMMAND: that command's lines on stdout, exit 0
for how in "save --help" "save -h" "help save" "--home $home save --help"; do
    # shellcheck disable=SC2086 # split on purpose
    "$cs" $how > "$work/out" 2> "$work/err" || fail "'casescribe $how' did not exit 0"
    grep -q '^  save IN -o OUT' "$work/out" || fail "'$how' lacks save's usage: $(cat "$work/out")"
    grep -q 'keygen' "$work/out" && fail "'$how' shows other commands: $(cat "$work/out")"
    [ -s "$work/err" ] && fail "'$how' wrote to stderr: $(cat "$work/err")"
done
"$cs" journal --help > "$work/out" || fail "journal --help"
grep -q '^  journal verify' "$work/out" || fail "journal --help lacks verify: $(cat "$work/out")"
grep -q '^  journal recover' "$work/out" || fail "journal --help lacks recover: $(cat "$work/out")"
for how in "-h" "--help" "help"; do
    "$cs" $how > "$work/out" || fail "'casescribe $how' did not exit 0"
    grep -q '^Exit status: 0 done; 1 refused or failed' "$work/out" || fail "'$how' does not list exit statuses"
done

# --version: the command's and the library's
"$cs" --version > "$work/out" || fail "--version"
grep -Eq '^casescribe [0-9]+\.[0-9]+\.[0-9]+ \(library [0-9]+\.[0-9]+\.[0-9]+, ABI [0-9]+\)$' "$work/out" ||
    fail "--version: $(cat "$work/out")"

# unknown commands and options: named, with the nearest known one, exit 2
set +e
"$cs" sav > /dev/null 2> "$work/err"
[ $? -eq 2 ] || fail "an unknown command did not exit 2"
grep -q "^casescribe: unknown command 'sav' (did you mean 'save'?)$" "$work/err" || fail "sav: $(cat "$work/err")"
"$cs" frobnicate > /dev/null 2> "$work/err"
[ $? -eq 2 ] || fail "frobnicate did not exit 2"
grep -q "^casescribe: unknown command 'frobnicate'$" "$work/err" || fail "frobnicate: $(head -1 "$work/err")"
"$cs" --home > /dev/null 2> "$work/err"
[ $? -eq 2 ] || fail "--home without a folder did not exit 2"
grep -q "^casescribe: --home goes before the command, with its value if it takes one$" "$work/err" ||
    fail "--home alone: $(head -1 "$work/err")"
"$cs" --hme "$home" keygen > /dev/null 2> "$work/err"
[ $? -eq 2 ] || fail "--hme did not exit 2"
grep -q "^casescribe: unknown option '--hme' (did you mean '--home'?)$" "$work/err" || fail "--hme: $(head -1 "$work/err")"
"$cs" jornal --help > /dev/null 2> "$work/err"
[ $? -eq 2 ] || fail "jornal --help did not exit 2"
grep -q "did you mean 'journal'" "$work/err" || fail "jornal --help: $(head -1 "$work/err")"
"$cs" --home "$home" save "$data/home-visit.xml" -o "$work/x.xml" --acter sw-017 > /dev/null 2> "$work/err"
[ $? -eq 2 ] || fail "an unknown option did not exit 2"
grep -q "^casescribe save: unknown option '--acter' (did you mean '--actor'?)$" "$work/err" ||
    fail "--acter: $(cat "$work/err")"
grep -q '^  save IN -o OUT' "$work/err" || fail "the usage error does not show save's usage"
grep -q '^  keygen' "$work/err" && fail "the usage error shows every command"
"$cs" --home "$home" journal verify --chekpoint x > /dev/null 2> "$work/err"
[ $? -eq 2 ] || fail "journal verify --chekpoint did not exit 2"
grep -q "unknown option '--chekpoint' (did you mean '--checkpoint'?)" "$work/err" || fail "$(head -1 "$work/err")"
for pair in "keys lst|list" "journal verfy|verify" "team shw|show" "policy refesh|refresh"; do
    args=${pair%|*}
    # shellcheck disable=SC2086 # split on purpose
    "$cs" --home "$home" $args x > /dev/null 2> "$work/err"
    [ $? -eq 2 ] || fail "'$args' did not exit 2"
    grep -q "^casescribe ${args% *}: unknown subcommand '${args#* }' (did you mean '${pair#*|}'?)$" "$work/err" ||
        fail "'$args': $(head -1 "$work/err")"
done
[ -e "$work/x.xml" ] && fail "a save with an unknown option wrote its output"
set -e

# a form without the namespace: the error says which one it needs
"$cs" --home "$home" keygen > /dev/null
"$cs" --home "$home" team enable cin-north ai-draft --actor admin-7 > /dev/null
sed 's/ xmlns="urn:casescribe:form:1"//' "$data/home-visit.xml" > "$work/no-ns.xml"
if "$cs" --home "$home" save "$work/no-ns.xml" -o "$work/x.xml" --actor sw-017 2> "$work/err"; then
    fail "a form without its namespace saved"
fi
grep -q 'root element <form> is in no namespace; it needs xmlns="urn:casescribe:form:1"' "$work/err" ||
    fail "namespace error: $(cat "$work/err")"
grep -q 'No matching global declaration' "$work/err" && fail "libxml2's message leaked: $(cat "$work/err")"
sed 's/urn:casescribe:form:1/urn:example:form/' "$data/home-visit.xml" > "$work/other-ns.xml"
"$cs" --home "$home" save "$work/other-ns.xml" -o "$work/x.xml" 2> "$work/err" && fail "another namespace saved"
grep -q "in namespace 'urn:example:form'; it needs xmlns=\"urn:casescribe:form:1\"" "$work/err" ||
    fail "other namespace: $(cat "$work/err")"

# save without --actor says whose name it stamped; with --actor it says nothing
"$cs" --home "$home" save "$data/home-visit.xml" -o "$work/v1.xml" 2> "$work/err" || fail "save: $(cat "$work/err")"
grep -q "^casescribe: no --actor given: stamped the form's author, sw-017, as the one who saved it$" "$work/err" ||
    fail "save without --actor: $(cat "$work/err")"
grep -q 'actor-id="sw-017"' "$work/v1.xml" || grep -q 'sw-017' "$work/v1.xml" || fail "the author is not in the stamp"
"$cs" --home "$home" save "$work/v1.xml" -o "$work/v2.xml" --actor sw-017 2> "$work/err" || fail "save v2"
[ -s "$work/err" ] && fail "a save with --actor wrote to stderr: $(cat "$work/err")"

# journal list: every entry, one a line; --since, --kind, --format json
# (JSON lines a SIEM reads, without the save entries' text fingerprints)
"$cs" --home "$home" journal list > "$work/list" || fail "journal list"
n=$(wc -l < "$work/list")
[ "$n" -ge 4 ] || fail "journal list: $(cat "$work/list")"
[ "$(sed -n 1p "$work/list" | cut -d' ' -f1,3)" = "1 key" ] || fail "first entry: $(sed -n 1p "$work/list")"
grep -q '^2 .* policy admin-7 version=[0-9]* team=cin-north setting=ai-draft old=off new=on$' "$work/list" ||
    fail "the policy entry's fields: $(cat "$work/list")"
"$cs" --home "$home" journal list --format json > "$work/json" || fail "journal list --format json"
[ "$(wc -l < "$work/json")" -eq "$n" ] || fail "json lines: $(cat "$work/json")"
"${PYTHON3:-python3}" - "$work/json" << 'PY' || fail "the JSON lines do not parse as the ledger's entries"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert [e["seq"] for e in lines] == list(range(1, len(lines) + 1)), lines
saves = [e for e in lines if e["kind"] == "save"]
assert len(saves) == 2 and saves[0]["record"] == "R-7001" and saves[1]["version"] == 2, saves
assert all("ai" not in e and "human" not in e for e in saves), saves
policy = [e for e in lines if e["kind"] == "policy"][0]
assert (policy["team"], policy["setting"], policy["old"], policy["new"]) == ("cin-north", "ai-draft", "off", "on")
PY
"$cs" --home "$home" journal list --since 2 --kind save --format json > "$work/json" || fail "--since --kind"
[ "$(wc -l < "$work/json")" -eq 2 ] || fail "--since 2 --kind save: $(cat "$work/json")"
if grep -qv '"kind":"save"' "$work/json"; then fail "--kind save printed another kind: $(cat "$work/json")"; fi
"$cs" --home "$home" journal list --since "$n" > "$work/json" || fail "--since the last entry"
[ -s "$work/json" ] && fail "--since the last entry printed: $(cat "$work/json")"
"$cs" --home "$home" --read-only journal list --kind key > /dev/null || fail "journal list on a read-only home"
for bad in "--since x" "--since -1" "--format xml" "--kind"; do
    # shellcheck disable=SC2086 # split on purpose
    if "$cs" --home "$home" journal list $bad > /dev/null 2>&1; then fail "journal list $bad was accepted"; fi
done

# policy refresh from a server whose certificate is not trusted: curl's
# words, the verify result, and --ca
sh "$top_srcdir/tests/net/make-test-pki.sh" "$work/pki"
"$cs" --home "$home" policy trust "$work/pki/admin.pub" --actor dpo-1 > /dev/null || fail "policy trust"
mkdir "$work/site"
echo '<bundle/>' > "$work/site/b.xml"
"${PYTHON3:-python3}" "$top_srcdir/tests/net/https_server.py" --cert "$work/pki/server.pem" \
    --key "$work/pki/server.key" --dir "$work/site" --log "$work/server.log" > "$work/port" &
server=$!
trap 'kill $server 2> /dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do [ -s "$work/port" ] && break; sleep 0.2; done
url="https://127.0.0.1:$(cat "$work/port")/b.xml"
for ca in "" "--ca $work/pki/rogue-ca.pem"; do
    # shellcheck disable=SC2086 # split on purpose
    if "$cs" --home "$home" policy refresh "$url" $ca --timeout-ms 20000 2> "$work/err"; then
        fail "an untrusted certificate was accepted ($ca)"
    fi
    grep -q "the server's TLS certificate is not trusted: SSL certificate problem" "$work/err" ||
        fail "TLS error lacks curl's words: $(cat "$work/err")"
    grep -q "certificate verify result [0-9]*: " "$work/err" || fail "TLS error lacks the verify result: $(cat "$work/err")"
    grep -q -- "--ca CA.pem" "$work/err" || fail "TLS error does not name --ca: $(cat "$work/err")"
    [ "$(wc -l < "$work/err")" -eq 1 ] || fail "the TLS error is not one line: $(cat "$work/err")"
done
grep -q "verify result 19: self-signed certificate in certificate chain\|verify result 20: unable to get local issuer" \
    "$work/err" || fail "the verify result is not OpenSSL's: $(cat "$work/err")"
kill $server
echo "cli_habits: --help/-h per command, --version, did you mean, exit statuses, namespace, TLS, --actor"
