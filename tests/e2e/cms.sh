#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The example case management system (examples/cms) against the installed
# library, walked in real headless Chromium by tests/browser/cms_walk.mjs:
# login, consent, upload of a visit recording, transcript, AI draft (the
# `never` section left empty), an unreviewed final save refused, review,
# final save, seal check, subject access download; another team's case,
# a POST without its CSRF token and hostile requests refused; team features
# switched by the admin. Screenshots of each step go to $ARTIFACTS (default
# tests/artifacts in the build tree) as cms-NN-step.png.
. "$top_srcdir/tests/e2e/lib.sh"

py="${PYTHON3:-python3}"
chromium=${CHROMIUM:-/usr/bin/chromium}
command -v "$py" > /dev/null 2>&1 || fail "no Python 3 ($py): install the Debian package python3"
"$py" -c 'import sys, sqlite3; sys.exit(sys.version_info < (3, 8))' 2> /dev/null ||
    fail "$py is not Python 3.8 or newer with sqlite3: install the Debian package python3"
command -v node > /dev/null 2>&1 || fail "node not found: install it with tools/setup deps"
[ -x "$chromium" ] || fail "Chromium ($chromium) not found: install it with tools/setup deps (Debian package chromium)"
[ -d "$top_srcdir/tests/browser/node_modules/playwright-core" ] && [ -d "$top_srcdir/tests/browser/node_modules/axe-core" ] ||
    fail "tests/browser/node_modules is missing: install it with tools/setup deps (npm ci --prefix tests/browser)"
command -v espeak-ng > /dev/null 2>&1 ||
    fail "espeak-ng not found: install the Debian package espeak-ng (it speaks the test's visit recording)"

install_tree
binding_env cms

# The binding and the application, byte-compiled outside the source tree.
cp -R "$top_srcdir/ffi/python" "$work/python"
cp -R "$top_srcdir/examples/cms" "$work/cms"
"$py" -m compileall -q "$work/python" "$work/cms" > "$work/compile.log" 2>&1 ||
    { cat "$work/compile.log" >&2; fail "the example CMS does not byte-compile"; }
export PYTHONPATH="$work/python"

artifacts="${ARTIFACTS:-$top_builddir/tests/artifacts}"
mkdir -p "$artifacts"
rm -f "$artifacts"/cms-*

# The visit recording, spoken by espeak-ng (15 s). pocketsphinx hears enough
# of it for the filler to draft several sections of the statutory visit
# template; the librivox recordings of pocketsphinx-testdata are a novel and
# match none.
espeak-ng -v en-us+f5 -s 130 -g 5 -w "$work/visit.wav" \
    "The kitchen was clean and tidy. The bedroom was clean. Her mother was present.
     We agreed the next visit is on Monday. We agreed to book the doctor." || fail "espeak-ng failed"

# The server, on a free port it reports, with a fresh home and database. With
# an ASan/UBSan build the runtime is preloaded into Python (and so into the
# recognition helper it starts), as ffi_python.sh does; the browser does not
# load the library and runs as it is.
if [ "${SANITIZERS:-no}" = yes ]; then
    LD_PRELOAD="$($CC -print-file-name=libasan.so) $($CC -print-file-name=libubsan.so)" \
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
        "$py" "$work/cms/cms.py" --home "$work/home" --db "$work/cms.db" --port 0 --demo > "$work/server.log" 2>&1 &
else
    "$py" "$work/cms/cms.py" --home "$work/home" --db "$work/cms.db" --port 0 --demo > "$work/server.log" 2>&1 &
fi
server=$!
trap 'kill "$server" 2> /dev/null || true; wait "$server" 2> /dev/null || true; rm -rf "$work"' EXIT

tries=0
until grep -q '^serving on http://127.0.0.1:[0-9]*/' "$work/server.log"; do
    kill -0 "$server" 2> /dev/null || { cat "$work/server.log" >&2; fail "the CMS did not start"; }
    tries=$((tries + 1))
    [ "$tries" -lt 300 ] || { cat "$work/server.log" >&2; fail "the CMS did not start within 60 s"; }
    sleep 0.2
done
port=$(sed -n 's|^serving on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/server.log")
# The database holds personal data: its owner's alone, like the home.
[ "$(stat -c %a "$work/cms.db")" = 600 ] || fail "the CMS database is mode $(stat -c %a "$work/cms.db"), not 600"
password() { sed -n "s/^demo user $1 *password \([^ ]*\) .*/\1/p" "$work/server.log"; }

rc=0
CMS_URL="http://127.0.0.1:$port" CMS_NORTH_PASSWORD=$(password north-worker) CMS_ADMIN_PASSWORD=$(password admin) \
    CMS_AUDIO="$work/visit.wav" CMS_SAR_ZIP="$work/sar.zip" ARTIFACTS="$artifacts" CHROMIUM="$chromium" \
    node "$top_srcdir/tests/browser/cms_walk.mjs" > "$work/walk.log" 2>&1 || rc=$?
cat "$work/walk.log"
cp "$work/walk.log" "$artifacts/cms-walk.log"
if [ "$rc" -ne 0 ]; then
    echo "--- server log" >&2
    grep -v '^demo user' "$work/server.log" >&2
    fail "the browser walk failed (exit $rc; screenshots in $artifacts)"
fi
if grep -q 'Traceback' "$work/server.log"; then
    grep -v '^demo user' "$work/server.log" >&2
    fail "the CMS raised an error while serving (above)"
fi

# The download, as the person gets it: a ZIP with the page in it, and a seal
# that checks out against the home's key.
"$py" -c 'import sys, zipfile; sys.exit("report.html" not in zipfile.ZipFile(sys.argv[1]).namelist())' \
    "$work/sar.zip" || fail "the downloaded export is not a ZIP with report.html"
"$BIN/casescribe" --home "$work/home" sar verify "$work/sar.zip" > "$work/verify.out" ||
    fail "sar verify: $(cat "$work/verify.out")"
grep -q 'Result: VERIFIED' "$work/verify.out" || fail "sar verify: $(cat "$work/verify.out")"
# Policy changes and saves were all journalled.
"$BIN/casescribe" --home "$work/home" journal verify > "$work/journal.out" || fail "journal: $(cat "$work/journal.out")"

echo "cms: the browser walk passed; export verified; screenshots in $artifacts/cms-*.png"
