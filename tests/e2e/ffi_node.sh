#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The Node.js binding (ffi/node, over koffi) against the installed library:
# its tests under `node --test`, then the vendor example in examples/node.
. "$top_srcdir/tests/e2e/lib.sh"
if [ "${SANITIZERS:-no}" = yes ]; then
    # The ASan runtime must be the first library in the process; preloading it
    # into node (V8's own allocator, signal handlers and JIT) is not reliable.
    echo "ffi_node: skipped: the library is built with sanitizers, which cannot be preloaded into node"
    exit 77
fi
command -v node > /dev/null || fail "ffi_node: node is missing: install the Debian package nodejs (tools/setup deps)"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
    fail "ffi_node: node $(node --version) is too old: the binding needs Node 20 (the nodejs package tools/setup deps installs)"
binding="$top_srcdir/ffi/node"
# koffi is pinned in ffi/node/package-lock.json; `tools/setup deps` runs
# `npm ci --prefix ffi/node` (node_modules is not in git).
[ -d "$binding/node_modules/koffi" ] ||
    fail "ffi_node: $binding/node_modules/koffi is missing: run tools/setup deps (npm ci --prefix ffi/node)"
(cd "$binding" && node -e 'require("koffi")') > "$work/koffi.log" 2>&1 ||
    { cat "$work/koffi.log" >&2; fail "ffi_node: koffi does not load: run tools/setup deps (npm ci --prefix ffi/node) again"; }

install_tree
binding_env ffi_node
export TMPDIR="$work" # the tests' homes and exports go under $work too

struct_sizes ffi_node # for the unit tests to compare with the binding's koffi structs

# Nothing to build: the binding is plain JavaScript. Human-readable results
# on stdout, TAP in a file to count them.
tap="$work/node-tests.tap"
set +e
node --test --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" "$binding"/test/*.test.js
rc=$?
set -e
passed=$(sed -n 's/^# pass //p' "$tap" | tail -n 1)
failed=$(sed -n 's/^# fail //p' "$tap" | tail -n 1)
[ -n "$passed" ] || fail "ffi_node: node --test did not finish (exit $rc)"
if [ "$rc" -ne 0 ] || [ "$failed" != 0 ]; then
    fail "ffi_node: $passed passed, $failed failed (node --test exit $rc)"
fi

# The example a vendor copies must keep working. It requires 'casescribe' as
# a vendor's code does: a package folder in $work that points at ffi/node.
mkdir -p "$work/node_modules"
ln -s "$binding" "$work/node_modules/casescribe"
(cd "$work" && NODE_PATH="$work/node_modules" CASESCRIBE_LIBRARY="$CS_LIB" \
    node "$top_srcdir/examples/node/example.js" "$work/example-home" "$CS_FORM" "$work/sar-P-2.zip") \
    > "$work/example.log" 2>&1 || { cat "$work/example.log" >&2; fail "ffi_node: examples/node/example.js failed"; }
for expect in 'refused, as it must be' 'VERIFIED' 'tampering caught' 'subject access export verified'; do
    grep -q "$expect" "$work/example.log" ||
        { cat "$work/example.log" >&2; fail "ffi_node: the example did not print '$expect'"; }
done
echo "ffi_node: $passed passed, $failed failed; example OK"
