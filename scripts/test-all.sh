#!/usr/bin/env bash
# The whole test suite: installs what the tests need (dependencies, BIND 9, etcd), type-checks,
# builds every package,
# runs every vitest project (unit, integration against real servers on 127.0.0.1, examples,
# the bounded chaos suite), stops every server it started, and ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PNPM="pnpm"
command -v pnpm >/dev/null 2>&1 || PNPM="npx --yes pnpm@12.4.2"

cleanup() {
  # Stop exactly the server processes the tests recorded (never by name).
  if [ -d "$ROOT/.services/pids" ]; then
    for f in "$ROOT"/.services/pids/*.pid; do
      [ -e "$f" ] || continue
      pid=$(cat "$f"); kill "$pid" 2>/dev/null; sleep 0.2; kill -9 "$pid" 2>/dev/null; rm -f "$f"
    done
  fi
}
trap cleanup EXIT INT TERM

[ -d node_modules/.pnpm ] || $PNPM install --frozen-lockfile || exit 1
bash scripts/install-services.sh || { echo "0 passed, 1 failed"; exit 1; }
export WAYFINDER_REQUIRE_SERVERS=1
mkdir -p .services

failed_extra=0
echo "== typecheck"
if ! $PNPM run typecheck; then failed_extra=$((failed_extra + 1)); echo "typecheck: FAILED"; fi

echo "== build (every package compiles to dist/ with declarations)"
if ! $PNPM run build >/dev/null; then failed_extra=$((failed_extra + 1)); echo "build: FAILED"; $PNPM run build | tail -20; fi

echo "== vitest"
rm -f .services/vitest.json
$PNPM exec vitest run --reporter=default --reporter=json --outputFile.json=.services/vitest.json
status=$?

read -r passed failed skipped < <(node -e '
  const fs = require("fs");
  try {
    const r = JSON.parse(fs.readFileSync(".services/vitest.json", "utf8"));
    // Count failed suites (a file that cannot load) as failures too.
    const broken = r.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
    console.log(r.numPassedTests, r.numFailedTests + broken, r.numPendingTests + r.numTodoTests);
  } catch { console.log(0, 1, 0); }
')
passed=$((passed + 2 - failed_extra))
failed=$((failed + failed_extra))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
[ "$failed" -eq 0 ]
