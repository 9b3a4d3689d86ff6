#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# pkg-config as a vendor's build uses it, with only libcasescribe's own files
# installed (make install DESTDIR=...): `pkg-config --cflags --libs
# casescribe` works with no other .pc file in sight (none of the private
# dependencies' -dev packages), names nothing but libcasescribe, and
# examples/c builds from it, including no dependency's header, and runs.
. "$top_srcdir/tests/e2e/lib.sh"
install_tree
unset PKG_CONFIG_PATH
export PKG_CONFIG_LIBDIR="$LIBDIR/pkgconfig" # only the installed tree's .pc files: no system ones
ls "$PKG_CONFIG_LIBDIR" > "$work/pcs"
[ "$(cat "$work/pcs")" = "casescribe.pc" ] || fail "the install put other .pc files there: $(cat "$work/pcs")"
flags=$(pkg-config --cflags --libs casescribe 2> "$work/pc.err") ||
    fail "pkg-config --cflags --libs casescribe needs more than libcasescribe: $(cat "$work/pc.err")"
for flag in $flags; do
    case "$flag" in
    -I"$INCDIR" | -L"$LIBDIR" | -lcasescribe) ;;
    *) fail "pkg-config gives '$flag' besides libcasescribe's own: $flags" ;;
    esac
done
echo "$flags" | grep -q -- '-lcasescribe' || fail "no -lcasescribe in: $flags"
# The private dependencies stay available for static links only.
pkg-config --print-requires-private casescribe | grep . && fail "Requires.private makes pkg-config demand -dev packages"
pkg-config --static --libs casescribe | grep -q -- '-lxml2' || fail "Libs.private lacks the dependencies for --static"

san=""
[ "${SANITIZERS:-no}" = yes ] && san="-fsanitize=address,undefined"
# shellcheck disable=SC2086
$CC -std=c11 -Wall -Wextra -Werror $san -H "$top_srcdir/examples/c/save_and_verify.c" $flags -o "$work/example" \
    2> "$work/headers" || { cat "$work/headers"; fail "examples/c does not build from pkg-config alone"; }
# -H lists every header included: the C library's and casescribe.h, no dependency's.
grep '^\.' "$work/headers" | sed 's/^\.* //' | grep -Ev "^($INCDIR/casescribe\.h|/usr/include/[^/]+\.h|/usr/include/x86_64-linux-gnu/.*|/usr/include/[a-z]+-linux-gnu/.*|/usr/lib/gcc/.*|/usr/lib/llvm.*|/usr/include/(bits|sys|asm|linux|asm-generic)/.*)$" > "$work/others" || true
[ ! -s "$work/others" ] || fail "building against casescribe.h pulled in other headers: $(cat "$work/others")"
grep -q "$INCDIR/casescribe.h" "$work/headers" || fail "the example did not include the installed casescribe.h"
"$work/example" "$work/home" "$top_srcdir/tests/data/home-visit.xml" > "$work/out" || fail "the example failed"
grep -q 'VERIFIED' "$work/out" || fail "the example's report: $(cat "$work/out")"
echo "pkgconfig: --cflags --libs gives only '$flags'; examples/c built from it and ran"
