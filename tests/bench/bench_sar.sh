#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# bench_sar.sh BUILDDIR - the subject access export at scale: 10,000 records
# streamed through `casescribe sar`, timed and its peak memory read with
# /usr/bin/time -v. The issue's goals: under 5 s and under 64 MB, with
# memory flat in the number of records (1,000 records are exported too, for
# the ratio). Baseline in the same run: verifying each record alone
# (decode, signature, digests: work every export must do), no output.
set -eu
b=${1:-.}
cs="$b/casescribe"
[ -x /usr/bin/time ] || { echo "bench_sar: /usr/bin/time is missing: apt-get install time" >&2; exit 1; }
work=$(mktemp -d /tmp/cs-bench-sar-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/r"
"$b/tests/bench/bench_sar" gen "$work/home" "$work/r" 10000

# measure LABEL COMMAND...: prints seconds and peak RSS (MB) of COMMAND
measure() {
    label=$1
    shift
    /usr/bin/time -v "$@" > "$work/out" 2> "$work/time" || { cat "$work/out" "$work/time" >&2; exit 1; }
    wall=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$work/time" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time")
    echo "$label $wall $rss"
}

set -- "$work"/r/r-0*.xml
ten=$(measure export10k "$cs" --home "$work/home" sar P-2 "$@" -o "$work/ten.zip" --review "$work/ten.csv")
one=$(measure export1k "$cs" --home "$work/home" sar P-2 $(ls "$work"/r/r-0*.xml | head -n 1000) -o "$work/one.zip" --review "$work/one.csv")
base=$(measure verify10k "$b/tests/bench/bench_sar" verify "$work/home" "$work/r" 10000)
"$cs" --home "$work/home" sar verify "$work/ten.zip" > /dev/null || { echo "bench_sar: the 10,000-record export does not verify" >&2; exit 1; }
echo "$ten $one $base $(stat -c %s "$work/ten.zip")" | awk '{
    printf "sar export, 10,000 records: %.2f s, peak RSS %.1f MB (goals: under 5 s, under 64 MB): %s\n",
        $2, $3 / 1024, ($2 < 5 && $3 < 65536) ? "met" : "NOT MET"
    printf "sar export, 1,000 records: %.2f s, peak RSS %.1f MB; memory 10,000/1,000 records = %.2fx (1.0: flat)\n",
        $5, $6 / 1024, $3 / $6
    printf "baseline, verifying the 10,000 records alone: %.2f s, peak RSS %.1f MB; export/baseline time = %.2fx\n",
        $8, $9 / 1024, $2 / $8
    printf "export size: %.1f MB\n", $10 / 1048576
}'
