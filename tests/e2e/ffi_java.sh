#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The Java binding (ffi/java, JNA) against the installed library: builds the
# binding into a jar, runs its JUnit tests (the shared end-to-end scenario,
# one context from several threads, the small unit tests), then builds and
# runs examples/java. Everything is built into $work, never the source tree.
. "$top_srcdir/tests/e2e/lib.sh"

if [ "${SANITIZERS:-no}" = yes ]; then
    echo "ffi_java: skipped: the library is built with ASan/UBSan, whose runtime cannot be preloaded into a JVM"
    exit 77
fi

# The toolchain, all from Debian packages: a missing piece fails, naming its package.
JNA_JAR=${JNA_JAR:-/usr/share/java/jna.jar}
JUNIT_JAR=${JUNIT_JAR:-/usr/share/java/junit4.jar}
HAMCREST_JAR=${HAMCREST_JAR:-/usr/share/java/hamcrest-core.jar}
command -v javac > /dev/null 2>&1 || fail "javac not found: install the Debian package default-jdk-headless"
command -v java > /dev/null 2>&1 || fail "java not found: install the Debian package default-jdk-headless"
command -v jar > /dev/null 2>&1 || fail "jar not found: install the Debian package default-jdk-headless"
major=$(javac -version 2>&1 | sed -n 's/^javac \([0-9][0-9]*\).*/\1/p')
[ "${major:-0}" -ge 17 ] || fail "javac $major is too old: the binding needs Java 17 or newer (default-jdk-headless)"
[ -r "$JNA_JAR" ] || fail "$JNA_JAR not found: install the Debian package libjna-java"
[ -r "$JUNIT_JAR" ] || fail "$JUNIT_JAR not found: install the Debian package junit4"
[ -r "$HAMCREST_JAR" ] || fail "$HAMCREST_JAR not found: install the Debian package libhamcrest-java"
# JNA's own native part (libjnidispatch) comes from libjna-jni; name its folder so
# that JNA never falls back to unpacking a copy from a jar.
jnidir=""
for d in /usr/lib/*/jni /usr/lib/jni; do
    [ -e "$d/libjnidispatch.system.so" ] && { jnidir=$d; break; }
done
[ -n "$jnidir" ] || fail "libjnidispatch.system.so not found: install the Debian package libjna-jni"

install_tree
binding_env ffi_java

src="$top_srcdir/ffi/java/src"
mkdir -p "$work/classes" "$work/test-classes" "$work/example" "$work/tmp"

# The binding, as the jar a vendor ships.
find "$src/main/java" -name '*.java' > "$work/main-sources"
javac -Xlint:all -encoding UTF-8 -d "$work/classes" -cp "$JNA_JAR" @"$work/main-sources" ||
    fail "ffi/java does not build"
jar --create --file "$work/casescribe.jar" -C "$work/classes" . || fail "jar failed"

find "$src/test/java" -name '*.java' > "$work/test-sources"
cp="$work/casescribe.jar:$JNA_JAR"
javac -Xlint:all -encoding UTF-8 -d "$work/test-classes" -cp "$cp:$JUNIT_JAR:$HAMCREST_JAR" @"$work/test-sources" ||
    fail "ffi/java's tests do not build"
javac -Xlint:all -encoding UTF-8 -d "$work/example" -cp "$cp" "$top_srcdir/examples/java/Example.java" ||
    fail "examples/java does not build"

# java.io.tmpdir inside $work: the tests' temporary homes go where lib.sh cleans up.
set -- -Djava.io.tmpdir="$work/tmp" -Dcasescribe.library="$CS_LIB" \
    -Djna.boot.library.path="$jnidir" -Djna.nounpack=true

tests=$(cd "$src/test/java" && find . -name '*Test.java' | sed 's|^\./||; s|\.java$||; s|/|.|g' | sort)
[ -n "$tests" ] || fail "ffi/java has no *Test.java under src/test/java"
status=0
# shellcheck disable=SC2086 # the test class names are split on purpose
java "$@" -cp "$cp:$work/test-classes:$JUNIT_JAR:$HAMCREST_JAR" org.junit.runner.JUnitCore $tests \
    > "$work/junit.out" 2>&1 || status=$?
cat "$work/junit.out"
summary=$(grep -E '^(OK \(|Tests run:)' "$work/junit.out" | tail -n 1)
[ "$status" -eq 0 ] || fail "ffi/java: JUnit: ${summary:-the JVM failed (exit $status)}"

java "$@" -cp "$cp:$work/example" Example "$work/example-home" "$CS_FORM" "$work/example-out" \
    > "$work/example.out" 2>&1 || { cat "$work/example.out"; fail "examples/java failed"; }
grep -q 'Result: VERIFIED' "$work/example.out" || fail "examples/java's report: $(cat "$work/example.out")"
grep -q 'export sar-P-2.zip verified' "$work/example.out" || fail "examples/java's export: $(cat "$work/example.out")"

echo "ffi/java: JUnit $summary; examples/java built and run (save, review, verify, export)"
