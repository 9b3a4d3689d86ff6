#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The shared library exports casescribe_* and nothing else (version script),
# and every function the header declares is exported.
. "$top_srcdir/tests/e2e/lib.sh"
so=$(find "$top_builddir/plugin/.libs" -name 'libcasescribe.so.*.*' | head -n 1)
[ -n "$so" ] || fail "libcasescribe.so not built"
$NM -D --defined-only "$so" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sed 's/@.*//' | sort -u > "$work/exported"
grep -v '^casescribe_' "$work/exported" > "$work/stray" || true
[ -s "$work/stray" ] && fail "exported without the casescribe_ prefix: $(tr '\n' ' ' < "$work/stray")"
$NM -D --defined-only "$so" | grep -q 'casescribe_save@@CASESCRIBE_1' || fail "symbols are not versioned CASESCRIBE_1"
# Function types (typedef int32_t casescribe_x_fn(...);) look like declarations
# but are not functions: leave them out.
grep -Eo 'typedef [a-z0-9_]+ casescribe_[a-z0-9_]+\(' "$top_srcdir/plugin/include/casescribe.h" |
    sed 's/.* //; s/($//' | sort -u > "$work/types"
grep -Eo '\bcasescribe_[a-z0-9_]+\(' "$top_srcdir/plugin/include/casescribe.h" | tr -d '(' | sort -u |
    comm -23 - "$work/types" > "$work/declared"
missing=$(comm -23 "$work/declared" "$work/exported")
[ -z "$missing" ] || fail "declared but not exported: $missing"
extra=$(comm -13 "$work/declared" "$work/exported")
[ -z "$extra" ] || fail "exported but not declared in the header: $extra"
echo "exports: $(wc -l < "$work/exported") casescribe_* functions, all declared, all versioned"
