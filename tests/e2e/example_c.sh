#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# examples/c built the way a vendor builds it: the installed header and
# library through pkg-config, nothing from the source tree.
. "$top_srcdir/tests/e2e/lib.sh"
install_tree
san=""
[ "${SANITIZERS:-no}" = yes ] && san="-fsanitize=address,undefined" # the library needs the runtime first
# shellcheck disable=SC2046,SC2086
$CC -std=c11 -Wall -Wextra -Werror $san "$top_srcdir/examples/c/save_and_verify.c" \
    $(pkg-config --cflags --libs casescribe) -o "$work/save_and_verify" || fail "the C example does not build"
"$work/save_and_verify" "$work/home" "$top_srcdir/tests/data/home-visit.xml" > "$work/out" || fail "the C example failed"
grep -q 'VERIFIED' "$work/out" || fail "the example's report: $(cat "$work/out")"
echo "examples/c: built with pkg-config and run"
