#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The installed library through Python ctypes: a vendor's view.
. "$top_srcdir/tests/e2e/lib.sh"
install_tree
if [ "${SANITIZERS:-no}" = yes ]; then
    # The library was built with ASan/UBSan; Python was not, so the runtime is
    # preloaded for the Python process only. Python's own allocations are not
    # ours to judge: leak detection is off there (memory errors still abort).
    env LD_PRELOAD="$($CC -print-file-name=libasan.so) $($CC -print-file-name=libubsan.so)" \
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
        "$PYTHON3" "$top_srcdir/tests/e2e/test_ctypes.py" "$LIBDIR/libcasescribe.so" "$top_srcdir/tests/data/home-visit.xml"
    exit
fi
"$PYTHON3" "$top_srcdir/tests/e2e/test_ctypes.py" "$LIBDIR/libcasescribe.so" "$top_srcdir/tests/data/home-visit.xml"
