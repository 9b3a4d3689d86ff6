#!/bin/sh
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
export CS_LIB="$LIBDIR/libcasescribe.so"
export CS_FORM="$top_srcdir/tests/data/home-visit.xml"
export CS_AUDIO=/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav
export CS_ASR="$PREFIX/libexec/casescribe/casescribe-asr"
export CASESCRIBE_TEMPLATE_DIR="$PREFIX/share/casescribe/templates"
export TMPDIR="$work" # the tests' homes and exports go under $work too
[ -f "$CS_LIB" ] || fail "ffi_dotnet: no installed library at $CS_LIB"
[ -f "$CS_AUDIO" ] || fail "ffi_dotnet: no test recording at $CS_AUDIO: install the Debian package pocketsphinx-testdata"

# The option structs as the C compiler lays them out from the installed
# header: the tests compare them with the binding's [StructLayout] structs.
cat > "$work/sizes.c" << 'C'
#include <stdio.h>
#include <casescribe.h>
#define SIZE(t) printf("%s=%zu ", #t, sizeof(casescribe_##t))
int main(void)
{
    SIZE(ctx_options); SIZE(actor); SIZE(fetch_options); SIZE(transcribe_options); SIZE(fill_options); SIZE(sar_options);
    return 0;
}
C
${CC:-cc} -I"$INCDIR" -o "$work/sizes" "$work/sizes.c" || fail "ffi_dotnet: cannot compile the struct size probe"
CS_C_SIZES=$("$work/sizes") || fail "ffi_dotnet: the struct size probe failed"
export CS_C_SIZES

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
