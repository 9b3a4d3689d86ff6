#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# One version everywhere (plugin/doc/versioning.md): the header's macros,
# configure's AC_INIT, the installed .pc file, casescribe_version() and
# casescribe_version_info() of the installed library, the bindings' package
# versions; the newest symbol node is CASESCRIBE_1.MINOR and the library file
# libcasescribe.so.0.MINOR.PATCH; every function's comment says since which
# release; CASESCRIBE_DEPRECATED warns.
. "$top_srcdir/tests/e2e/lib.sh"
hdr="$top_srcdir/plugin/include/casescribe.h"
macro() { sed -n "s/^#define CASESCRIBE_$1 \(.*\)$/\1/p" "$hdr"; }
major=$(macro VERSION_MAJOR) minor=$(macro VERSION_MINOR) patch=$(macro VERSION_PATCH)
version="$major.$minor.$patch"
[ "$(macro VERSION_STRING)" = "\"$version\"" ] || fail "CASESCRIBE_VERSION_STRING $(macro VERSION_STRING) is not $version"
[ "$(macro VERSION_NUM)" = "$(printf '0x%02x%02x%02x' "$major" "$minor" "$patch")" ] ||
    fail "CASESCRIBE_VERSION_NUM $(macro VERSION_NUM) is not $version"
[ "$(macro ABI_VERSION)" = "$major" ] || fail "CASESCRIBE_ABI_VERSION is not the major version $major"
configured=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
[ "$configured" = "$version" ] || fail "configure (AC_INIT) says $configured, the header $version"
grep -q "^AC_INIT(\[casescribe\], \[$version\]" "$top_srcdir/configure.ac" || fail "configure.ac's AC_INIT is not $version"

install_tree
[ "$(pkg-config --modversion casescribe)" = "$version" ] || fail "casescribe.pc says $(pkg-config --modversion casescribe)"
cat > "$work/v.c" << 'C'
#include <stdio.h>
#include <casescribe.h>
int main(void)
{
    casescribe_library_info info;
    if (casescribe_version_info(&info, sizeof(info)) != CASESCRIBE_OK)
        return 1;
    printf("%s %u.%u.%u %u\n", casescribe_version(), info.major, info.minor, info.patch, info.abi_version);
    return 0;
}
C
san=
[ "${SANITIZERS:-no}" = yes ] && san="-fsanitize=address,undefined" # the library needs the runtime first
# shellcheck disable=SC2046
$CC -std=c11 -Wall -Werror $san "$work/v.c" $(pkg-config --cflags --libs casescribe) -o "$work/v" || fail "cannot build the probe"
[ "$("$work/v")" = "$version $version $major" ] || fail "the installed library says: $("$work/v")"

# The symbol node of this minor release, and the file libtool names.
newest=$(grep -Eo '^CASESCRIBE_[0-9.]+' "$top_srcdir/plugin/libcasescribe.map" | tail -n 1)
[ "$newest" = "CASESCRIBE_$major.$minor" ] || fail "the newest symbol node is $newest, the version $version"
[ -f "$LIBDIR/libcasescribe.so.$((major - 1)).$minor.$patch" ] ||
    fail "no libcasescribe.so.$((major - 1)).$minor.$patch (-version-info in Makefile.am): $(ls "$LIBDIR")"
$NM -D --defined-only "$LIBDIR/libcasescribe.so" | grep -q " casescribe_version_info@@CASESCRIBE_1.7$" ||
    fail "casescribe_version_info is not in node CASESCRIBE_1.7"

# The bindings' own package versions.
grep -q "^version = \"$version\"" "$top_srcdir/ffi/python/pyproject.toml" || fail "ffi/python/pyproject.toml is not $version"
grep -q "^__version__ = \"$version\"" "$top_srcdir/ffi/python/casescribe/__init__.py" || fail "the Python __version__ is not $version"
grep -q "^  \"version\": \"$version\"" "$top_srcdir/ffi/node/package.json" || fail "ffi/node/package.json is not $version"

# "Since 1.N." on every function, from the map.
"$PYTHON3" "$top_srcdir/tools/header-since" --check "$hdr" "$top_srcdir/plugin/libcasescribe.map" > "$work/since" ||
    { cat "$work/since"; fail "functions whose comment does not say since which release (run tools/header-since)"; }

# ... and the check notices a function without it, or with another release.
sed 's/ Since 1\.7\. \*\// *\//' "$hdr" > "$work/nosince.h"
"$PYTHON3" "$top_srcdir/tools/header-since" --check "$work/nosince.h" "$top_srcdir/plugin/libcasescribe.map" > "$work/since" &&
    fail "tools/header-since --check passed a function without its Since"
grep -q 'casescribe_version_info: no "Since 1.7."' "$work/since" || fail "the check did not name casescribe_version_info: $(cat "$work/since")"
sed 's/ Since 1\.7\. \*\// Since 1.6. *\//' "$hdr" > "$work/wrongsince.h"
"$PYTHON3" "$top_srcdir/tools/header-since" --check "$work/wrongsince.h" "$top_srcdir/plugin/libcasescribe.map" > "$work/since" &&
    fail "tools/header-since --check passed a wrong Since"
"$PYTHON3" "$top_srcdir/tools/header-since" "$work/nosince.h" "$top_srcdir/plugin/libcasescribe.map" > /dev/null
cmp -s "$work/nosince.h" "$hdr" || fail "tools/header-since did not put the header back as it was"

# CASESCRIBE_DEPRECATED warns with its message, and can be silenced.
cat > "$work/d.c" << 'C'
#include <casescribe.h>
CASESCRIBE_DEPRECATED("use casescribe_new_thing") CASESCRIBE_EXTERN int old_thing(void);
int call(void);
int call(void) { return old_thing(); }
C
$CC -std=c11 -Wall -Werror -I"$INCDIR" -c "$work/d.c" -o "$work/d.o" 2> "$work/d.err" && fail "a deprecated call compiled without a warning"
grep -q 'use casescribe_new_thing' "$work/d.err" || fail "the deprecation warning lacks its message: $(cat "$work/d.err")"
$CXX -std=c++11 -Wall -Werror -x c++ -I"$INCDIR" -c "$work/d.c" -o "$work/d.o" 2> /dev/null && fail "C++: no deprecation warning"
$CC -std=c11 -Wall -Werror -DCASESCRIBE_NO_DEPRECATION_WARNINGS -I"$INCDIR" -c "$work/d.c" -o "$work/d.o" ||
    fail "CASESCRIBE_NO_DEPRECATION_WARNINGS did not silence the warning"
echo "versions: $version in the header, configure, the .pc, the library and the bindings; node $newest; since-notes; deprecation"
