#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The laundering benchmark's goals (issue 17), on a fresh home with a new
# fingerprint secret: Unicode tricks 100% detected, heavy edits >= 90%
# detected, false refusals of human notes (and of own-words notes about the
# drafts' visits) <= 0.5%. The benchmark prints every figure; --check makes
# a missed goal fail.
. "$top_srcdir/tests/e2e/lib.sh"
out=$("$top_builddir/tests/bench/bench_launder" --check) || {
    printf '%s\n' "$out" | tail -12
    fail "the laundering benchmark missed a goal"
}
printf '%s\n' "$out" | tail -8
