#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `casescribe jobs`: a transcription whose command was killed mid-job is
# listed after the restart (id, kind, state, times; no personal data),
# resumed by id to its end, kept (--keep) and then attached: the kept
# transcript comes back without running again, and the job is collected.
. "$top_srcdir/tests/e2e/lib.sh"
install_tree
cs="$BIN/casescribe"
home="$work/home"
data="$top_srcdir/tests/data"
asr="$PREFIX/libexec/casescribe/casescribe-asr"
wav=/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav

"$cs" --home "$home" keygen > /dev/null || fail "keygen"
"$cs" --home "$home" team enable cin-north transcription > /dev/null || fail "team enable"
"$cs" --home "$home" jobs list > "$work/list" || fail "jobs list on a new home"
[ ! -s "$work/list" ] || fail "a new home lists jobs: $(cat "$work/list")"

# A host killed mid-transcription (a deploy, a crash).
"$cs" --home "$home" transcribe "$data/home-visit.xml" "$wav" --helper "$asr" > /dev/null 2>&1 &
pid=$!
i=0
while [ -z "$(ls "$home/jobs" 2> /dev/null)" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.3 # its record is committed just after its folder is made; the 7 s recording takes longer
kill -9 $pid
wait $pid 2> /dev/null || true
id=$(ls "$home/jobs")
[ -n "$id" ] || fail "the transcription kept no job"
# the claim may be held a moment by a helper the host was starting: 10 s at most
i=0
until "$cs" --home "$home" jobs list | grep -q "^$id "; do
    i=$((i + 1)); [ $i -lt 100 ] || fail "the killed job is not listed"; sleep 0.1
done
"$cs" --home "$home" jobs list > "$work/list"
grep -Eq "^$id transcription interrupted created [0-9TZ:-]+ updated [0-9TZ:-]+$" "$work/list" ||
    fail "jobs list: $(cat "$work/list")"
if "$cs" --home "$home" jobs attach "$id" 2> "$work/err"; then fail "attached a job that has not ended"; fi
grep -q "jobs resume $id" "$work/err" || fail "attach does not say how to run it: $(cat "$work/err")"

"$cs" --home "$home" jobs resume "$id" --keep -o "$work/t1.txt" 2> "$work/err" || fail "jobs resume: $(cat "$work/err")"
grep -q "^job $id (transcription) done: " "$work/err" || fail "resume says: $(cat "$work/err")"
grep -q '^Machine transcript' "$work/t1.txt" || fail "resume wrote: $(cat "$work/t1.txt")"
[ "$(stat -c %a "$work/t1.txt")" = 600 ] || fail "the transcript file is not 0600"
"$cs" --home "$home" jobs list | grep -q "^$id transcription done " || fail "a kept job is not listed as done"

# attach gives the kept transcript back, never runs the job again: with
# the helper gone a run could not even start.
mv "$asr" "$asr.away"
"$cs" --home "$home" jobs attach "$id" > "$work/t2.txt" 2> "$work/err" || fail "jobs attach: $(cat "$work/err")"
mv "$asr.away" "$asr"
cmp -s "$work/t1.txt" "$work/t2.txt" || fail "attach gave another transcript"
"$cs" --home "$home" jobs list > "$work/list"
[ ! -s "$work/list" ] || fail "an attached job without --keep is not collected: $(cat "$work/list")"
if "$cs" --home "$home" jobs attach "$id" 2> /dev/null; then fail "a collected job attached again"; fi
echo "jobs: list, resume --keep and attach of a killed transcription"
