#!/bin/sh
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
[ "$structs" = "casescribe_actor casescribe_adapter casescribe_ctx_options casescribe_fetch_options casescribe_fill_options casescribe_sar_options casescribe_transcribe_options " ] ||
    fail "unexpected struct layouts in the header: $structs"
# Each of them carries its own size, first.
for s in $structs; do
    echo "$body" | grep -A1 -E "typedef struct $s \{" | tail -n 1 | grep -Eq '^ *uint32_t struct_size;' ||
        fail "$s does not start with uint32_t struct_size"
done
for s in casescribe_actor casescribe_ctx_options; do
    echo "$body" | grep -A1 "typedef struct $s {" | grep -q 'uint32_t struct_size' || fail "$s does not start with struct_size"
done
echo "header: C11 and C++ compile; ABI word rules hold"
