#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The reference manual (tools/mkman, from the header's comments) as `make
# install` puts it: a page for every function the installed library exports,
# casescribe(3) and casescribe(1); every subcommand the command's usage names
# is in casescribe(1), with the exit statuses; every page renders without a
# groff warning; `make html` renders them all.
. "$top_srcdir/tests/e2e/lib.sh"
install_tree
man="$PREFIX/share/man"
$NM -D --defined-only "$LIBDIR/libcasescribe.so" | awk '{print $3}' | sed 's/@.*//' | grep '^casescribe_' | sort -u > "$work/exported"
[ "$(wc -l < "$work/exported")" -gt 100 ] || fail "too few exported functions read from the library"
missing=0
while read -r fn; do
    [ -s "$man/man3/$fn.3" ] || { echo "no man page for $fn"; missing=$((missing + 1)); }
done < "$work/exported"
[ "$missing" -eq 0 ] || fail "$missing exported functions have no page in $man/man3"
[ -s "$man/man3/casescribe.3" ] || fail "no casescribe(3)"
[ -s "$man/man1/casescribe.1" ] || fail "no casescribe(1)"
render() { groff -man -Tascii -rLL=200n -rHY=0 -rAD=l "$1" 2> /dev/null | col -bx | tr -s ' '; }
# A page carries its function's comment, synopsis and the release it came in.
render "$man/man3/casescribe_version_info.3" > "$work/vi"
grep -q 'int32_t casescribe_version_info(casescribe_library_info \*info, uint32_t struct_size);' "$work/vi" ||
    fail "casescribe_version_info(3) lacks its synopsis"
grep -q 'Since 1.7 (symbol node CASESCRIBE_1.7)' "$work/vi" || fail "casescribe_version_info(3) does not say since when"
grep -q 'Fills .info. with the running library' "$work/vi" || fail "casescribe_version_info(3) lacks the header's comment"
render "$man/man3/casescribe_save.3" | grep -q 'Since 1.0 (symbol node CASESCRIBE_1)' || fail "casescribe_save(3): no version"
# The overview: save flow, ownership, threads, errors, every function.
render "$man/man3/casescribe.3" > "$work/overview"
for heading in 'THE SAVE FLOW' 'OWNERSHIP' 'THREADS' 'ERRORS' 'FUNCTIONS'; do
    grep -q "^$heading" "$work/overview" || fail "casescribe(3) has no $heading section"
done
grep -q 'CASESCRIBE_EUNTRUSTED (-22)' "$work/overview" || fail "casescribe(3) does not list the status codes"
while read -r fn; do
    grep -q "$fn(3)" "$work/overview" || fail "casescribe(3) does not list $fn"
done < "$work/exported"
# Every subcommand of the usage text, in casescribe(1).
render "$man/man1/casescribe.1" > "$work/cmd"
"$BIN/casescribe" --help > "$work/usage"
# A command's words are in the first 41 columns (its description follows).
grep -E '^  [a-z]' "$work/usage" |
    awk '{ n = split(substr($0, 1, 41), w, " "); out = w[1]; if (n > 1 && w[2] ~ /^[a-z][a-z|-]*$/) out = out " " w[2]; print out }' |
    sort -u > "$work/subcommands"
[ "$(wc -l < "$work/subcommands")" -gt 20 ] || fail "too few subcommands read from the usage: $(cat "$work/subcommands")"
while read -r sub; do
    first=${sub%%|*}
    grep -Eq -- "^ +$first([ |]|\$)" "$work/cmd" || { echo "casescribe(1) lacks '$sub'"; missing=$((missing + 1)); }
done < "$work/subcommands"
[ "$missing" -eq 0 ] || fail "$missing subcommands of the usage are not in casescribe(1)"
for code in 0 1 2 3; do
    awk '/^EXIT STATUS/,/^ENVIRONMENT/' "$work/cmd" | grep -Eq "^ +$code( |\$)" || fail "casescribe(1) does not document exit status $code"
done
# No page makes groff warn (bad escapes, unknown macros or characters).
for page in "$man"/man1/*.1 "$man"/man3/*.3; do
    groff -man -Tascii -wmac -wescape -wchar -winput -wdelim -z "$page" 2>&1 | grep . && fail "groff warns about $page"
done
# `make html`: the same pages as HTML in plugin/doc/html/, with an index.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" html > "$work/html.log" 2>&1 || { cat "$work/html.log"; fail "make html failed"; }
grep -i warning "$work/html.log" && fail "make html printed warnings"
html="$top_builddir/plugin/doc/html"
while read -r fn; do
    grep -q "$fn" "$html/$fn.3.html" 2> /dev/null || fail "make html made no page for $fn"
    grep -q "href=\"$fn.3.html\"" "$html/index.html" || fail "plugin/doc/html/index.html does not link $fn"
done < "$work/exported"
grep -q 'EXIT STATUS' "$html/casescribe.1.html" || fail "no casescribe(1) in HTML"
echo "man: $(wc -l < "$work/exported") function pages, casescribe(3) and casescribe(1) with $(wc -l < "$work/subcommands") subcommands"
