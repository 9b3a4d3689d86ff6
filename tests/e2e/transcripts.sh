#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Transcripts from the tools councils use, observation tags and progress
# bars, end to end through the installed `casescribe`, as a worker runs it:
#   - `fill` drafts from a Teams-shaped WebVTT, a Zoom-shaped WebVTT, an
#     Otter-shaped SRT and a [hh:mm:ss] text transcript, and the draft (and
#     the person's SAR page) says the transcript came from another program;
#   - `transcribe --tags` is refused while the team's observation-tags is
#     off, and with it on the tags are in the transcript as the worker's
#     notes; a draft carries them as the worker's own section, and the SAR
#     page shows that section as written by the social worker;
#   - on a terminal (a pty from script(1)) transcribe, fill and sar draw a
#     progress bar on stderr; to a file or pipe they write nothing extra.
. "$top_srcdir/tests/e2e/lib.sh"
install_tree
export CASESCRIBE_TEMPLATE_DIR="$PREFIX/share/casescribe/templates" # the installed copy, under DESTDIR
cs="$BIN/casescribe"
home="$work/home"
data="$top_srcdir/tests/data"
form="$data/statutory-visit.xml"
asr="$PREFIX/libexec/casescribe/casescribe-asr"
wav=/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav
command -v script > /dev/null || fail "no script(1): install the Debian package bsdutils"

"$cs" --home "$home" keygen > /dev/null || fail "keygen"
"$cs" --home "$home" team enable cin-north ai-draft > /dev/null || fail "team enable ai-draft"
"$cs" --home "$home" team enable cin-north transcription > /dev/null || fail "team enable transcription"

# Each format drafts (into the template its visit is about), and the draft
# names where its transcript came from.
for f in teams.vtt:webvtt:statutory-home-visit zoom.vtt:webvtt:care-act-needs-assessment \
    otter.srt:srt:carers-assessment notes.txt:text:statutory-home-visit; do
    file=${f%%:*}
    kind=${f#*:}
    template=${kind#*:}
    kind=${kind%%:*}
    sed "s/template=\"statutory-home-visit\"/template=\"$template\"/" "$form" > "$work/form-$file.xml"
    "$cs" --home "$home" fill "$template" "$data/transcripts/$file" --subjects "$work/form-$file.xml" \
        -o "$work/draft-$file.xml" 2> "$work/report" || fail "fill from $file: $(cat "$work/report")"
    grep -q 'origin="ai-draft"' "$work/draft-$file.xml" || fail "nothing drafted from $file: $(cat "$work/report")"
    grep -q "transcript by imported:$kind" "$work/draft-$file.xml" ||
        fail "the draft from $file does not say where its transcript came from"
    # stderr is not a terminal: the report and nothing else (no bar, no escapes)
    if grep -q "$(printf '\r')" "$work/report" || grep -q "$(printf '\033')" "$work/report" ||
        grep -q 'drafting \[' "$work/report"; then
        fail "fill wrote a progress bar to a file: $(cat -A "$work/report")"
    fi
done
grep -q 'Kerry Thompson: ' "$work/draft-teams.vtt.xml" || fail "the speaker's name from the voice tag is not in the draft"

# A file that is none of the formats, or bad UTF-8, is refused.
printf 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nbad \303\050 byte\n' > "$work/bad.vtt"
if "$cs" --home "$home" fill statutory-home-visit "$work/bad.vtt" --subjects "$form" -o "$work/x.xml" 2> "$work/err"; then
    fail "fill read bad UTF-8"
fi
grep -q 'not UTF-8' "$work/err" || fail "the refusal does not say why: $(cat "$work/err")"

# Observation tags: refused while the policy's switch is off.
printf '00:00:01 child withdrew to bedroom\n00:00:03 mother tearful\n' > "$work/tags.txt"
if "$cs" --home "$home" transcribe "$form" "$wav" --helper "$asr" --tags "$work/tags.txt" > "$work/out" 2> "$work/err"; then
    fail "tags accepted with observation-tags off"
fi
grep -q 'observation-tags switched off' "$work/err" || fail "the tag refusal does not say why: $(cat "$work/err")"
"$cs" --home "$home" team enable cin-north observation-tags > /dev/null || fail "team enable observation-tags"
"$cs" --home "$home" transcribe "$form" "$wav" --helper "$asr" --tags "$work/tags.txt" > "$work/out" 2> "$work/err" ||
    fail "transcribe with tags: $(cat "$work/err")"
[ -s "$work/err" ] && fail "transcribe wrote to a stderr that is not a terminal: $(cat -A "$work/err")"
grep -q "^\[00:00:01\] (worker's note) child withdrew to bedroom$" "$work/out" ||
    fail "the tag is not in the transcript as the worker's note: $(cat "$work/out")"
"$cs" --home "$home" transcribe "$form" "$wav" --helper "$asr" --tags "$work/tags.txt" --format xml \
    > "$work/tagged.xml" 2> "$work/err" || fail "transcribe with tags as XML: $(cat "$work/err")"
grep -q 'by="worker"' "$work/tagged.xml" || fail "no worker's segment in the XML"

# The draft carries them as the worker's own section; the SAR page says who wrote what.
sed 's/id="R-8001"/id="R-8002"/' "$form" > "$work/form-tagged.xml" # another visit, another record
"$cs" --home "$home" fill statutory-home-visit "$work/tagged.xml" --subjects "$work/form-tagged.xml" -o "$work/tagged-draft.xml" \
    2> "$work/report" || fail "fill from the tagged transcript: $(cat "$work/report")"
grep -q '<section id="worker-observations" origin="human">00:00:01 child withdrew to bedroom' \
    "$work/tagged-draft.xml" || fail "the tags are not the worker's section of the draft: $(cat "$work/tagged-draft.xml")"
"$cs" --home "$home" save "$work/draft-teams.vtt.xml" -o "$work/s1.xml" --actor sw-017 --role social-worker \
    > /dev/null || fail "save the draft from Teams"
"$cs" --home "$home" save "$work/tagged-draft.xml" -o "$work/s2.xml" --actor sw-017 --role social-worker \
    > /dev/null 2> "$work/err" || fail "save the tagged draft: $(cat "$work/err")"
"$cs" --home "$home" sar C-1 "$work/s1.xml" "$work/s2.xml" -o "$work/export.zip" > "$work/out" 2> "$work/err" ||
    fail "sar: $(cat "$work/err")"
[ -s "$work/err" ] && fail "sar wrote to a stderr that is not a terminal: $(cat -A "$work/err")"
"${PYTHON3:-python3}" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
    "$work/export.zip" "$work/x"
grep -q 'made by another program, not by the council&rsquo;s speech-to-text\|made by another program, not by the council' \
    "$work/x/report.html" || fail "the SAR page does not say the transcript was imported"
grep -A3 'Worker observations' "$work/x/report.html" | grep -q 'Written by' ||
    fail "the SAR page does not show the tags as the social worker's words"

# On a terminal: a progress bar on stderr for each.
tty_run() { # OUTPUT COMMAND...: runs the command in a pty, its terminal output into OUTPUT
    out=$1
    shift
    script -qec "$*" /dev/null > "$out" 2>&1 < /dev/null
}
tty_run "$work/tty1" "'$cs' --home '$home' transcribe '$form' '$wav' --helper '$asr'" || fail "transcribe in a pty"
grep -q 'transcribing \[' "$work/tty1" || fail "no progress bar on a terminal: $(cat -A "$work/tty1" | head -5)"
tty_run "$work/tty2" "'$cs' --home '$home' fill statutory-home-visit '$data/transcripts/notes.txt' --subjects '$form' -o '$work/d.xml'" ||
    fail "fill in a pty"
grep -q 'drafting \[' "$work/tty2" || fail "no fill progress bar on a terminal: $(cat -A "$work/tty2" | head -5)"
tty_run "$work/tty3" "'$cs' --home '$home' sar C-1 '$work/s1.xml' '$work/s2.xml' -o '$work/e2.zip'" || fail "sar in a pty"
grep -q 'exporting \[' "$work/tty3" || fail "no sar progress bar on a terminal: $(cat -A "$work/tty3" | head -5)"

echo "transcripts: WebVTT (Teams, Zoom), SRT (Otter), text; bad UTF-8; tags and their policy; SAR page; progress bars"
