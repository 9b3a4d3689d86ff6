#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# plugin/doc/operations.md, run: every ```sh block of the guide, in order,
# against a temporary home (the guide's /var/lib, /var/backups and /etc
# paths rewritten under $work/root), with the installed command; and the
# systemd units of tools/systemd/ checked with systemd-analyze verify (a
# syntax check when systemd-analyze is absent).
. "$top_srcdir/tests/e2e/lib.sh"
install_tree
guide="$top_srcdir/plugin/doc/operations.md"
root="$work/sys"
mkdir -p "$root/var/lib/hostdb/incoming" "$root/var/backups/casescribe" "$root/etc/casescribe"
chmod 700 "$root/var/lib" "$root/var/backups/casescribe"
# the host's database stand-in: the form a host is about to save, saved as the guide's first block runs
cp "$top_srcdir/tests/data/home-visit.xml" "$root/var/lib/hostdb/incoming/R-7001.xml"

# the blocks, paths rewritten; the host's first save follows the set-up block
awk '/^[ ]*```sh$/ {on = 1; n++; print "# ---- block " n; next} /^[ ]*```/ {on = 0; next} on' "$guide" |
    sed -e 's/^  //' -e "s#/var/lib/#$root/var/lib/#g" -e "s#/var/backups/#$root/var/backups/#g" \
        -e "s#/etc/casescribe#$root/etc/casescribe#g" > "$work/guide.sh"
blocks=$(grep -c '^# ---- block ' "$work/guide.sh")
[ "$blocks" -ge 12 ] || fail "only $blocks sh blocks found in the guide"
grep -q "$root/var/lib/casescribe" "$work/guide.sh" || fail "the guide's paths were not rewritten"
awk -v save="casescribe save $root/var/lib/hostdb/incoming/R-7001.xml -o $root/var/lib/hostdb/R-7001.xml --actor sw-017" \
    '{print} /^# ---- block 1$/ {b1 = 1} b1 && /^casescribe team enable/ {print save; b1 = 0}' "$work/guide.sh" > "$work/run.sh"
grep -q "casescribe save" "$work/run.sh" || fail "the host's save was not placed after the set-up block"
# every line is echoed, so a failure names the guide's command
(cd "$work" && env -u CASESCRIBE_HOME PATH="$BIN:$PATH" sh -eux "$work/run.sh") > "$work/out" 2> "$work/err" ||
    { tail -n 20 "$work/err" >&2; fail "a command of the guide failed (above)"; }

# what the blocks must have done
home="$root/var/lib/casescribe"
[ -f "$root/var/lib/hostdb/R-7001.xml" ] || fail "the host's record was not saved"
[ -d "$home.broken" ] || fail "the restore did not keep the replaced home"
ls "$home"/ledger.db.damaged-* > /dev/null 2>&1 || fail "journal recover kept no damaged ledger"
[ "$(grep -c 'BEGIN PUBLIC KEY' "$root/var/backups/casescribe/key-history.pem")" -eq 2 ] ||
    fail "the key history does not hold the rotated and the new key"
grep -q '"kind":"policy"' "$root/var/backups/casescribe/siem-batch.jsonl" || fail "the SIEM batch lacks the policy entry"
last=$(cat "$root/var/backups/casescribe/siem.last-seq")
[ "$last" -ge 4 ] || fail "the SIEM state is $last"
grep -q '^ok   ledger ' "$work/out" || fail "doctor did not report the ledger: $(cat "$work/out")"
grep -q '"status":"ok"' "$work/out" || fail "doctor --format json is not ok"
grep -q 'VERIFIED' "$work/out" || fail "the record did not verify with the published key history"
grep -q 'key ed25519:' "$work/out" || grep -q 'ed25519:' "$work/out" || fail "keys list printed nothing"

# the systemd units
units="$top_srcdir/tools/systemd"
n=$(find "$units" -name 'casescribe-*.service' -o -name 'casescribe-*.timer' | wc -l)
[ "$n" -eq 6 ] || fail "tools/systemd holds $n units, not 6"
for t in "$units"/*.timer; do
    [ -f "${t%.timer}.service" ] || fail "$(basename "$t") has no service"
done
# shellcheck disable=SC2016 # the unit's own ${...}, not the shell's
grep -q '^ExecStart=/usr/bin/casescribe policy refresh ${CASESCRIBE_POLICY_URL} --ca ${CASESCRIBE_CA}' \
    "$units/casescribe-policy-refresh.service" || fail "the refresh unit does not run policy refresh with --ca"
grep -q '^ExecStart=/usr/bin/casescribe audio sweep$' "$units/casescribe-audio-sweep.service" ||
    fail "the sweep unit does not run audio sweep"
mkdir "$work/units"
for f in "$units"/casescribe-*; do
    sed "s#/usr/bin/casescribe#$BIN/casescribe#" "$f" > "$work/units/$(basename "$f")"
done
if command -v systemd-analyze > /dev/null 2>&1; then
    (cd "$work/units" && systemd-analyze verify --man=no ./*.service ./*.timer) > "$work/verify" 2>&1 ||
        { cat "$work/verify" >&2; fail "systemd-analyze verify failed"; }
    [ ! -s "$work/verify" ] || { cat "$work/verify" >&2; fail "systemd-analyze verify has complaints (above)"; }
    how="systemd-analyze verify"
else
    for f in "$work"/units/*; do
        awk '/^\[(Unit|Service|Timer|Install)\]$/ || /^#/ || /^$/ || /^[A-Za-z]+=/ {next} {bad = 1; print FILENAME ": " $0}
             END {exit bad}' "$f" || fail "$(basename "$f") is not a unit file"
        grep -q '^\[Unit\]$' "$f" || fail "$(basename "$f") has no [Unit]"
    done
    how="a syntax check (no systemd-analyze here)"
fi
echo "operations: $blocks blocks of plugin/doc/operations.md ran; 6 systemd units pass $how"
