#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Operations with the installed `casescribe`: a ledger damaged in its middle
# rebuilt from a backup (journal recover --from), and a read-only home
# (--read-only, and a read-only mount where the machine allows one).
. "$top_srcdir/tests/e2e/lib.sh"
install_tree
cs="$BIN/casescribe"
home="$work/home"
data="$top_srcdir/tests/data"

save_n() { # saves form R-700$1
    sed "s/R-7001/R-700$1/" "$data/home-visit.xml" > "$work/in-$1.xml"
    "$cs" --home "$home" save "$work/in-$1.xml" -o "$work/out-$1.xml" --actor sw-017 || fail "save R-700$1"
}
entries() { # the entry count journal verify reports
    "$cs" --home "$home" journal verify | sed -n 's/.*: \([0-9]*\) entries.*/\1/p'
}
damage() { # changes entry $1 in place
    python3 - "$home/ledger.db" "$1" << 'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("""UPDATE ledger SET payload = replace(payload, '"kind"', '"kinx"') WHERE seq = ?""", (int(sys.argv[2]),))
db.commit()
PY
}

"$cs" --home "$home" keygen > /dev/null || fail "keygen"
"$cs" --home "$home" team enable cin-north ai-draft --actor admin-7 > /dev/null || fail "team enable"
save_n 1
save_n 2
cp "$home/ledger.db" "$work/backup.db" # the night's backup: 4 entries, the key first (the hosts closed it)
[ ! -e "$home/ledger.db-wal" ] || fail "a closed home should leave no WAL"
save_n 3
save_n 4
[ "$(entries)" = 6 ] || fail "expected 6 entries"

# 1. damage before the backup's end: every entry comes back
damage 2
if "$cs" --home "$home" journal verify > /dev/null 2> "$work/err"; then fail "a damaged ledger verified"; fi
grep -q 'entry 2' "$work/err" || fail "journal verify does not name entry 2: $(cat "$work/err")"
"$cs" --home "$home" journal recover --from "$work/backup.db" > "$work/rec" || fail "recover: $(cat "$work/rec")"
grep -q '4 entries from the backup, then 2 of the damaged' "$work/rec" || fail "recover report: $(cat "$work/rec")"
grep -q 'LOST' "$work/rec" && fail "nothing should be lost: $(cat "$work/rec")"
[ "$(entries)" = 6 ] || fail "the recovered ledger should hold all 6 entries"
ls "$home"/ledger.db.damaged-* > /dev/null || fail "the damaged ledger was not kept"
ls -d "$home"/recover.* > /dev/null 2>&1 && fail "recover left its work folder"
"$cs" --home "$home" verify "$work/out-4.xml" > /dev/null || fail "a record no longer verifies after recovery"
save_n 5 # and the home goes on
[ "$(entries)" = 7 ] || fail "a save after recovery is not entry 7"

# 2. damage after the backup's end: entries up to it come back, the rest is named as lost
damage 6
"$cs" --home "$home" journal recover --from "$work/backup.db" > "$work/rec" || fail "recover: $(cat "$work/rec")"
grep -q '4 entries from the backup, then 1 of the damaged' "$work/rec" || fail "recover report: $(cat "$work/rec")"
grep -q 'LOST from the ledger: entries 6 to 7' "$work/rec" || fail "recover does not name the lost entries: $(cat "$work/rec")"
[ "$(entries)" = 5 ] || fail "the recovered ledger should hold 5 entries"

# 3. a backup that does not verify changes nothing
python3 - "$work/backup.db" << 'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("""UPDATE ledger SET payload = replace(payload, '"kind"', '"kinx"') WHERE seq = 1""")
db.commit()
PY
sum_before=$(sha256sum < "$home/ledger.db")
if "$cs" --home "$home" journal recover --from "$work/backup.db" 2> "$work/err"; then fail "a bad backup was used"; fi
grep -q 'backup does not verify' "$work/err" || fail "refusal: $(cat "$work/err")"
[ "$(sha256sum < "$home/ledger.db")" = "$sum_before" ] || fail "a refused recovery changed the ledger"
if "$cs" --home "$home" journal recover --from "$work/none.db" 2> /dev/null; then fail "a missing backup was accepted"; fi

# 4. --read-only: verify, journal verify and pubkey work; nothing is written
listing() { ls -la --time-style=full-iso "$home" | grep -v ' \.\.\?$'; }
listing > "$work/before"
"$cs" --home "$home" --read-only journal verify > /dev/null || fail "journal verify --read-only"
"$cs" --home "$home" --read-only verify "$work/out-4.xml" > /dev/null || fail "verify --read-only"
"$cs" --home "$home" --read-only pubkey > /dev/null || fail "pubkey --read-only"
if "$cs" --home "$home" --read-only save "$work/in-5.xml" -o "$work/x.xml" --actor sw-017 2> "$work/err"; then
    fail "a save went through --read-only"
fi
grep -q 'read-only' "$work/err" || fail "the refusal does not say read-only: $(cat "$work/err")"
listing > "$work/after"
diff "$work/before" "$work/after" > /dev/null || fail "--read-only changed the home: $(diff "$work/before" "$work/after")"

# 5. a home on a read-only mount (a snapshot) is read-only without being asked
ro="$work/ro"
mkdir "$ro"
if mount --bind "$home" "$ro" 2> /dev/null && mount -o remount,ro,bind "$ro" 2> /dev/null; then
    "$cs" --home "$ro" journal verify > /dev/null || { umount "$ro"; fail "journal verify on a read-only mount"; }
    "$cs" --home "$ro" pubkey > /dev/null || { umount "$ro"; fail "pubkey on a read-only mount"; }
    "$cs" --home "$ro" verify "$work/out-4.xml" > /dev/null || { umount "$ro"; fail "verify on a read-only mount"; }
    umount "$ro"
else
    umount "$ro" 2> /dev/null || true
    echo "ops: cannot make a read-only bind mount here: that part skipped (test_ops covers the flag)"
fi
echo "ops: journal recover (damage before and after the backup, bad backup refused), --read-only, read-only mount"
