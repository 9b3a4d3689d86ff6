#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The C# binding (ffi/dotnet) on Mono, against the installed library: builds
# the binding, its tests and the example into $work and runs them.
. "$top_srcdir/tests/e2e/lib.sh"
if [ "${SANITIZERS:-no}" = yes ]; then
    # The ASan runtime must be the first library in the process; preloading it
    # into Mono (its own allocator, signal handlers and JIT) is not reliable.
    echo "ffi_dotnet: skipped: the library is built with sanitizers, which cannot be preloaded into Mono"
    exit 77
fi
command -v mcs > /dev/null || fail "ffi_dotnet: the C# compiler mcs is missing: install the Debian package mono-mcs"
command -v mono > /dev/null || fail "ffi_dotnet: the Mono runtime is missing: install the Debian package mono-runtime"

install_tree
binding_env ffi_dotnet
export TMPDIR="$work" # the tests' homes and exports go under $work too

struct_sizes ffi_dotnet # for the tests to compare with the binding's [StructLayout] structs

out="$work/dotnet"
mkdir -p "$out"
mcs -target:library -r:System.Core -out:"$out/CaseScribe.dll" "$top_srcdir"/ffi/dotnet/*.cs > "$out/build.log" 2>&1 ||
    { cat "$out/build.log" >&2; fail "ffi_dotnet: building ffi/dotnet failed"; }
mcs -r:System.Core -r:"$out/CaseScribe.dll" -out:"$out/CaseScribe.Tests.exe" "$top_srcdir"/ffi/dotnet/tests/*.cs \
    > "$out/build-tests.log" 2>&1 || { cat "$out/build-tests.log" >&2; fail "ffi_dotnet: building ffi/dotnet/tests failed"; }
mcs -r:"$out/CaseScribe.dll" -out:"$out/Example.exe" "$top_srcdir/examples/dotnet/Example.cs" > "$out/build-example.log" 2>&1 ||
    { cat "$out/build-example.log" >&2; fail "ffi_dotnet: building examples/dotnet failed"; }

# The tests print PASS/FAIL per test and a count; they exit 1 on any failure.
# They run twice: in Mono's default thread suspend mode, where job callbacks
# come from a watcher thread of the binding, and in its cooperative mode,
# where the library calls them itself (casescribe_job_on_end); see
# Job.LibraryCallbacks in ffi/dotnet/Job.cs. `timeout` turns a hang into a failure.
run_tests() { # label, then env assignments
    label=$1
    shift
    echo "ffi_dotnet: tests, $label"
    rc=0
    env "$@" timeout 600 mono --debug "$out/CaseScribe.Tests.exe" > "$out/tests-$label.log" 2>&1 || rc=$?
    cat "$out/tests-$label.log"
    [ "$rc" -ne 124 ] || fail "ffi_dotnet: the tests ($label) hung and were stopped after 600 s"
    last=$(tail -n 1 "$out/tests-$label.log")
    [ "$rc" -eq 0 ] || fail "ffi_dotnet: tests ($label) failed (exit $rc): $last"
    case "$last" in
    *" 0 failed") summary="$summary${summary:+; }$label: $last" ;;
    *) fail "ffi_dotnet: the test run ($label) did not finish: $last" ;;
    esac
}
summary=""
run_tests default-suspend
run_tests coop-suspend MONO_THREADS_SUSPEND=coop

# The example a vendor copies must keep working.
timeout 600 mono --debug "$out/Example.exe" "$CS_FORM" "$work/example" > "$out/example.log" 2>&1 ||
    { cat "$out/example.log" >&2; fail "ffi_dotnet: examples/dotnet/Example.cs failed"; }
for expect in 'refused, as it should be' 'Result: VERIFIED' 'tampering caught' 'export verified'; do
    grep -q "$expect" "$out/example.log" || { cat "$out/example.log" >&2; fail "ffi_dotnet: the example did not print '$expect'"; }
done
echo "ffi_dotnet: $summary; example OK"
