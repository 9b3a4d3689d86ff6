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
