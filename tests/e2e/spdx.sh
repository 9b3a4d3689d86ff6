#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Every source file of the project carries `SPDX-License-Identifier:
# Apache-2.0` (tools/spdx-add puts it there), and the licence texts ship.
. "$top_srcdir/tests/e2e/lib.sh"
[ -f "$top_srcdir/LICENSE" ] || fail "no LICENSE at the top of the tree"
grep -q 'Apache License' "$top_srcdir/LICENSE" || fail "LICENSE is not the Apache License"
grep -q 'Version 2.0, January 2004' "$top_srcdir/LICENSE" || fail "LICENSE is not version 2.0"
[ -f "$top_srcdir/NOTICE" ] || fail "no NOTICE at the top of the tree"
for dep in libcurl OpenSSL zlib libxml2 pocketsphinx libsndfile jansson libzip SQLite ICU Criterion; do
    grep -q "$dep" "$top_srcdir/NOTICE" || fail "NOTICE does not name $dep"
done
# Which files are sources is what git tracks: a release tarball (make
# distcheck) has no index, and its build may have generated files in it.
if [ ! -e "$top_srcdir/.git" ]; then
    echo "spdx: $top_srcdir is not a git work tree; the licence files are there, the SPDX lines are checked in the repository"
    exit 77
fi
"$PYTHON3" "$top_srcdir/tools/spdx-add" --check "$top_srcdir" > "$work/out" || { cat "$work/out"; fail "source files without an SPDX line"; }
# The check finds a file that lacks it (so the pass above means something).
mkdir -p "$work/tree/plugin/src"
printf 'int x;\n' > "$work/tree/plugin/src/x.c"
"$PYTHON3" "$top_srcdir/tools/spdx-add" --check "$work/tree" > "$work/out2" && fail "the check passed a file without the line"
grep -q 'plugin/src/x.c' "$work/out2" || fail "the check did not name the file: $(cat "$work/out2")"
"$PYTHON3" "$top_srcdir/tools/spdx-add" "$work/tree" > /dev/null
"$PYTHON3" "$top_srcdir/tools/spdx-add" --check "$work/tree" > /dev/null || fail "tools/spdx-add did not add the line"
tail -n 1 "$work/out"
