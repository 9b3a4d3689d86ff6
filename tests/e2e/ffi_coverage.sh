#!/bin/sh
# Every function libcasescribe.so exports must be bound in each of the four
# languages, so that no binding falls behind the header: each exported name
# must appear, as a whole word, in that binding's sources under ffi/<lang>/.
. "$top_srcdir/tests/e2e/lib.sh"
install_tree
$NM -D --defined-only "$LIBDIR/libcasescribe.so" | awk '{print $3}' | sed 's/@.*//' | grep '^casescribe_' |
    sort -u > "$work/exported"
[ -s "$work/exported" ] || fail "no casescribe_ symbols exported"
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
echo "ffi coverage: all $(wc -l < "$work/exported") exported functions are bound in python, java, dotnet and node"
