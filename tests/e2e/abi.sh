#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The ABI matches the committed baseline (plugin/abi/libcasescribe.abi).
# An incompatible change fails; see README "Changing the ABI".
. "$top_srcdir/tests/e2e/lib.sh"
if [ "${SANITIZERS:-no}" = yes ]; then
    echo "abi: skipped in the sanitizer build (the plain build checks it)"
    exit 77
fi
so=$(find "$top_builddir/plugin/.libs" -name 'libcasescribe.so.*.*' | head -n 1)
set +e
$ABIDIFF --no-added-syms --headers-dir2 "$top_srcdir/plugin/include" "$top_srcdir/plugin/abi/libcasescribe.abi" "$so" > "$work/abidiff.txt" 2>&1
status=$?
set -e
cat "$work/abidiff.txt"
# abidiff's exit status is a bit field: 4 = ABI change, 8 = incompatible change, 1/2 = error.
if [ $((status & 8)) -ne 0 ] || [ $((status & 4)) -ne 0 ] || [ $((status & 3)) -ne 0 ]; then
    fail "abidiff reports an ABI change or error (status $status) against plugin/abi/libcasescribe.abi"
fi
echo "abi: no change against the baseline"
