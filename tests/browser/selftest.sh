#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Self-test of the accessibility harness (tests/browser/axe_page.mjs) in real
# headless Chromium: fixtures/good.html must pass and fixtures/bad.html must
# fail with the violations planted in it. Screenshots and logs go to
# $ARTIFACTS (default tests/artifacts, relative to the current directory).
#
# Needs node (>= 20), Chromium ($CHROMIUM, default /usr/bin/chromium) and
# tests/browser/node_modules; when one is missing this FAILS (it never skips):
# install them with `tools/setup deps`.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
artifacts=${ARTIFACTS:-tests/artifacts}
chromium=${CHROMIUM:-/usr/bin/chromium}

missing() {
    echo "selftest: FAIL: $1 is missing; install it with: tools/setup deps${2:+ ($2)}" >&2
    echo "selftest: 0 passed, 2 failed"
    exit 1
}

command -v node > /dev/null 2>&1 || missing "node" "Debian packages nodejs npm"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] ||
    missing "node >= 20 (found $(node --version))" "playwright-core needs Node.js 20 or newer"
[ -x "$chromium" ] || missing "Chromium ($chromium)" "Debian package chromium, or set CHROMIUM"
for m in axe-core playwright-core; do
    [ -d "$here/node_modules/$m" ] ||
        missing "tests/browser/node_modules/$m" "it runs npm ci --prefix tests/browser"
done

mkdir -p "$artifacts"
passed=0
failed=0

# good.html: exit 0, and a non-empty screenshot.
rc=0
node "$here/axe_page.mjs" "$here/fixtures/good.html" "$artifacts/axe-good.png" \
    > "$artifacts/axe-good.log" 2>&1 || rc=$?
cat "$artifacts/axe-good.log"
if [ "$rc" -eq 0 ] && [ -s "$artifacts/axe-good.png" ]; then
    echo "selftest: ok - good.html passes (screenshot $artifacts/axe-good.png)"
    passed=$((passed + 1))
else
    echo "selftest: FAIL - good.html should pass, exit $rc"
    failed=$((failed + 1))
fi

# bad.html: exit 1 (a failing page, not 2: a harness error), naming each planted problem.
rc=0
node "$here/axe_page.mjs" "$here/fixtures/bad.html" "$artifacts/axe-bad.png" \
    > "$artifacts/axe-bad.log" 2>&1 || rc=$?
cat "$artifacts/axe-bad.log"
bad_ok=yes
if [ "$rc" -ne 1 ]; then
    echo "selftest: FAIL - bad.html should fail with exit 1, got exit $rc"
    bad_ok=no
fi
for want in \
    'FAIL outside resource: the page tried to load https://cdn.example.invalid/report.css' \
    'FAIL script in page: source: <script>' \
    'FAIL [screen] html-has-lang ' \
    'FAIL [screen] color-contrast ' \
    'FAIL [screen] image-alt ' \
    'FAIL [screen] td-headers-attr ' \
    'FAIL [print] color-contrast ' \
    '       at .print-faint'; do
    if ! grep -qF -- "$want" "$artifacts/axe-bad.log"; then
        echo "selftest: FAIL - bad.html output lacks: $want"
        bad_ok=no
    fi
done
if [ "$bad_ok" = yes ]; then
    echo "selftest: ok - bad.html fails with the expected violations"
    passed=$((passed + 1))
else
    failed=$((failed + 1))
fi

echo "selftest: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
