# SPDX-License-Identifier: Apache-2.0
# lib.sh - shared by the end-to-end scripts. Run from `make check`, which
# exports top_srcdir, top_builddir, CC, CXX, PYTHON3, NM, ABIDIFF, SANITIZERS.
set -eu
: "${top_srcdir:?run through make check}" "${top_builddir:?run through make check}"

work=$(mktemp -d /tmp/cs-e2e-XXXXXX)
trap 'rm -rf "$work"' EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# Installs the built tree into $work/root (DESTDIR) and sets PREFIX, BIN,
# LIBDIR, INCDIR and PKG_CONFIG_PATH to the installed copy: end-to-end tests
# use what a vendor gets from `make install`, not the build tree.
install_tree() {
    make -s -C "$top_builddir" install DESTDIR="$work/root" >"$work/install.log" 2>&1 ||
        { cat "$work/install.log" >&2; fail "make install failed"; }
    prefix=$(sed -n 's/^prefix=//p' "$top_builddir/plugin/casescribe.pc")
    PREFIX="$work/root$prefix"
    BIN="$PREFIX/bin"
    LIBDIR=$(dirname "$(find "$PREFIX" -name 'libcasescribe.so' | head -n 1)")
    INCDIR="$PREFIX/include"
    export LD_LIBRARY_PATH="$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export PKG_CONFIG_PATH="$LIBDIR/pkgconfig"
    export PKG_CONFIG_SYSROOT_DIR="$work/root"
}

# After install_tree: what the binding suites (ffi_<lang>.sh) read. The
# installed library, the sample form, a librivox recording, the installed
# helper and templates (installed under DESTDIR, so named explicitly).
# $1 names the suite in failures.
binding_env() {
    export CS_LIB="$LIBDIR/libcasescribe.so"
    export CS_FORM="$top_srcdir/tests/data/home-visit.xml"
    export CS_AUDIO=/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav
    export CS_ASR="$PREFIX/libexec/casescribe/casescribe-asr"
    export CASESCRIBE_TEMPLATE_DIR="$PREFIX/share/casescribe/templates"
    [ -f "$CS_LIB" ] || fail "$1: no installed library at $CS_LIB"
    [ -f "$CS_AUDIO" ] || fail "$1: no test recording at $CS_AUDIO: install the Debian package pocketsphinx-testdata"
    [ -x "$CS_ASR" ] || fail "$1: make install did not install the helper at $CS_ASR"
}

# Exports CS_C_SIZES: the option structs' sizes as the C compiler lays them
# out from the installed header, for a binding's tests to compare with its
# own declarations. $1 names the suite in failures.
struct_sizes() {
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
    ${CC:-cc} -I"$INCDIR" -o "$work/sizes" "$work/sizes.c" || fail "$1: cannot compile the struct size probe"
    CS_C_SIZES=$("$work/sizes") || fail "$1: the struct size probe failed"
    export CS_C_SIZES
}
