#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Every function libcasescribe.so exports must be bound in each of the four
# languages, so that no binding falls behind the header: each exported name
# must appear, as a whole word, in that binding's sources under ffi/<lang>/.
. "$top_srcdir/tests/e2e/lib.sh"
install_tree
$NM -D --defined-only "$LIBDIR/libcasescribe.so" | awk '{print $3}' | sed 's/@.*//' | grep '^casescribe_' |
    sort -u > "$work/exported"
[ -s "$work/exported" ] || fail "no casescribe_ symbols exported"
# The adapter interface is for adapters written in C against the installed
# header (examples/vendor-adapter): it hands C function pointers, a
# libxml2 document and a buffer only valid inside a callback. The bindings
# use adapters by name, as every other function does; they do not write them.
c_only="casescribe_adapter_init casescribe_adapter_register casescribe_adapter_unregister casescribe_buf_append
casescribe_set_error casescribe_xml_parse casescribe_xml_free"
for fn in $c_only; do
    grep -qx "$fn" "$work/exported" || fail "$fn is listed as C-only but is not exported"
    grep -vx "$fn" "$work/exported" > "$work/exported.new" && mv "$work/exported.new" "$work/exported"
done
missing=0
for lang in python java dotnet node; do
    src="$top_srcdir/ffi/$lang"
    [ -d "$src" ] || { echo "ffi/$lang: no binding at all"; missing=$((missing + 1)); continue; }
    # the binding's own sources: not its tests, examples, lock files or installed packages
    find "$src" -type d \( -name node_modules -o -name test -o -name tests \) -prune -o -type f \
        \( -name '*.py' -o -name '*.java' -o -name '*.cs' -o -name '*.js' -o -name '*.mjs' \) -print |
        xargs cat > "$work/src-$lang"
    while read -r fn; do
        grep -qw "$fn" "$work/src-$lang" || { echo "ffi/$lang: $fn has no binding"; missing=$((missing + 1)); }
    done < "$work/exported"
done
[ "$missing" -eq 0 ] || fail "$missing exported functions lack a binding (above)"
echo "ffi coverage: all $(wc -l < "$work/exported") exported functions but the C-only adapter interface are bound in python, java, dotnet and node"
