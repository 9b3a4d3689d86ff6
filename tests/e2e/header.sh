#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The public header compiles alone as C11 and as C++, pedantic, warnings as errors.
. "$top_srcdir/tests/e2e/lib.sh"
hdr="$top_srcdir/plugin/include"
printf '#include "casescribe.h"\nint main(void) { return casescribe_abi_version() == CASESCRIBE_ABI_VERSION ? 0 : 1; }\n' > "$work/c.c"
cp "$work/c.c" "$work/cpp.cc"
$CC -std=c11 -Wall -Wextra -pedantic -Werror -I"$hdr" -c "$work/c.c" -o "$work/c.o" || fail "header does not compile as C11"
$CXX -std=c++11 -Wall -Wextra -pedantic -Werror -I"$hdr" -c "$work/cpp.cc" -o "$work/cpp.o" || fail "header does not compile as C++"
# The ABI rules: no bool, enum, long, FILE, time_t, static inline or struct layouts but sized options.
# Comments removed by the preprocessor itself (they may mention any word).
body=$($CC -fpreprocessed -dD -E -P "$hdr/casescribe.h")
for word in bool _Bool enum long FILE time_t inline; do
    echo "$body" | grep -Ewq "$word" && fail "casescribe.h uses '$word'"
done
structs=$(echo "$body" | grep -Eo 'typedef struct [a-z_]+ \{' | awk '{print $3}' | sort | tr '\n' ' ')
[ "$structs" = "casescribe_actor casescribe_adapter casescribe_ctx_options casescribe_fetch_options casescribe_fill_options casescribe_library_info casescribe_sar_options casescribe_transcribe_options " ] ||
    fail "unexpected struct layouts in the header: $structs"
# Each of them carries its own size, first.
for s in $structs; do
    echo "$body" | grep -A1 -E "typedef struct $s \{" | tail -n 1 | grep -Eq '^ *uint32_t struct_size;' ||
        fail "$s does not start with uint32_t struct_size"
done
for s in casescribe_actor casescribe_ctx_options; do
    echo "$body" | grep -A1 "typedef struct $s {" | grep -q 'uint32_t struct_size' || fail "$s does not start with struct_size"
done
# The header's words match what the library does (#17).
# The SONAME it names is the one the build makes.
lib=$(find "$top_builddir/plugin/.libs" -name 'libcasescribe.so.*' -type f | head -n 1)
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ -n "$soname" ] || fail "no SONAME in $lib"
grep -q "$soname" "$hdr/casescribe.h" || fail "casescribe.h does not name the SONAME $soname"
grep -q 'then matches the SONAME' "$hdr/casescribe.h" && fail "casescribe.h says the ABI version matches the SONAME"
# Every kind of journal entry and of job the library makes is listed where the header describes them.
kinds=$(awk '/What the entry records:/,/casescribe_journal_entry_kind\(/' "$hdr/casescribe.h")
[ -n "$kinds" ] || fail "casescribe_journal_entry_kind has no list of kinds"
for k in $(grep -rhoE --include='*.c' 'json_pack\("[^"]*", "kind", "[a-z-]+"' "$top_srcdir/plugin/src" | sed 's/.*"kind", "//; s/"$//' | sort -u); do
    echo "$kinds" | grep -q "\"$k\"" || fail "journal entry kind '$k' is not in casescribe_journal_entry_kind's comment"
done
jobs=$(grep -B1 'casescribe_job_kind(' "$hdr/casescribe.h")
for k in $(grep -rhoE --include='*.c' 'cs_jobs_submit\(&ctx->jobs, "[a-z-]+"' "$top_srcdir/plugin/src" | sed 's/.*, "//; s/"$//' | sort -u); do
    echo "$jobs" | grep -q "\"$k\"" || fail "job kind '$k' is not in casescribe_job_kind's comment"
done
grep -qi 'later transcription' "$hdr/casescribe.h" && fail "casescribe.h calls transcription later work"
echo "header: C11 and C++ compile; ABI word rules hold; SONAME, journal and job kinds as the header says"
