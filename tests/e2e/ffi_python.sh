#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The Python binding (ffi/python, ctypes) and its example, against the
# installed library: unit tests, the issue-8 scenario, threads, example.
. "$top_srcdir/tests/e2e/lib.sh"
install_tree

py="${PYTHON3:-python3}"
command -v "$py" > /dev/null 2>&1 || fail "no Python 3 ($py): install the Debian package python3"
"$py" -c 'import sys, ctypes, unittest; sys.exit(sys.version_info < (3, 8))' 2> /dev/null ||
    fail "$py is not Python 3.8 or newer with ctypes: install the Debian package python3"

binding_env ffi_python

# "Build": a copy outside the source tree (byte-compiled there, so that a
# syntax error fails here and no __pycache__ lands in the source tree).
cp -R "$top_srcdir/ffi/python" "$work/python"
cp "$top_srcdir/examples/python/example.py" "$work/example.py"
"$py" -m compileall -q "$work/python" "$work/example.py" > "$work/compile.log" 2>&1 ||
    { cat "$work/compile.log" >&2; fail "the Python binding does not byte-compile"; }
export PYTHONPATH="$work/python"

# run_py ASAN_FLAGS ARGS...: Python. When the library was built with ASan and
# UBSan (SANITIZERS=yes) and Python was not, their runtime is preloaded for
# the Python process only, as ctypes.sh does; ASAN_FLAGS then say whether
# leaks are looked for.
run_py() {
    flags=$1
    shift
    if [ "${SANITIZERS:-no}" = yes ]; then
        env LD_PRELOAD="$($CC -print-file-name=libasan.so) $($CC -print-file-name=libubsan.so)" \
            ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}$flags" "$py" "$@"
    else
        "$py" "$@"
    fi
}

# Python's own allocations are not ours to judge: no leak detection here.
(cd "$work/python" && run_py detect_leaks=0 -m unittest -v) > "$work/unittest.log" 2>&1 ||
    { cat "$work/unittest.log" >&2; fail "the Python binding's tests failed"; }
tests=$(sed -n 's/^Ran \([0-9]*\) tests\{0,1\} in .*/\1/p' "$work/unittest.log")
if [ -z "$tests" ] || [ "$tests" -eq 0 ]; then
    cat "$work/unittest.log" >&2
    fail "no Python tests ran"
fi
grep -q '^OK' "$work/unittest.log" || { cat "$work/unittest.log" >&2; fail "the Python tests did not all pass"; }
# unittest shows warnings: a handle freed by the garbage collector instead of
# close() (ResourceWarning), or an error in a callback or __del__, fails the run.
if grep -q 'ResourceWarning\|Exception ignored' "$work/unittest.log"; then
    cat "$work/unittest.log" >&2
    fail "the Python tests left handles unclosed or raised where nothing could catch it"
fi
if grep -q 'skipped' "$work/unittest.log"; then
    cat "$work/unittest.log" >&2
    fail "Python tests were skipped (every input is provided here)"
fi

if [ "${SANITIZERS:-no}" = yes ]; then
    # The tests again with leak detection on, failing only on leaks the
    # library allocated (a frame in libcasescribe, unsymbolized so that the
    # module is named): the binding must give every string, buffer and
    # handle back through casescribe_free or the handle's _free/_close.
    # The reports go to this run's own log (log_path=stderr overrides a CI's
    # log folder): Python's leaks, and those of any shell it starts with the
    # runtime preloaded, are not the library's and must not fail the build.
    (cd "$work/python" && run_py detect_leaks=1:fast_unwind_on_malloc=0:symbolize=0:log_path=stderr -m unittest) \
        > "$work/leaks.log" 2>&1 || true # Python's own leaks make the exit status non-zero
    grep -q '^OK' "$work/leaks.log" || { cat "$work/leaks.log" >&2; fail "the Python tests failed under leak detection"; }
    if awk '/^(Direct|Indirect) leak/ { block = $0; next }
            /^$/ { if (block ~ /libcasescribe/) { print block; found = 1 } block = ""; next }
            block != "" { block = block "\n" $0 }
            END { exit !found }' "$work/leaks.log" > "$work/ours.log"; then
        cat "$work/ours.log" >&2
        fail "memory the library allocated was never freed (above)"
    fi
fi

run_py detect_leaks=0 "$work/example.py" "$work/example-home" "$CS_FORM" "$work" > "$work/example.out" 2>&1 ||
    { cat "$work/example.out" >&2; fail "examples/python/example.py failed"; }
for text in 'refused, as it must be' 'Result: VERIFIED' 'a changed copy is caught' 'records: 1'; do
    grep -q "$text" "$work/example.out" || { cat "$work/example.out" >&2; fail "the example's output lacks '$text'"; }
done
[ -f "$work/sar-P-2.zip" ] || fail "the example made no export"

echo "ffi/python: $tests tests passed (unit, scenario a-l, threads); examples/python/example.py ran"
