#!/usr/bin/env bash
# Issue 17 acceptance, opt-in because it takes minutes (npm downloads every dependency;
# better-sqlite3 fetches a prebuilt binary or compiles from source):
#   pack this clone, install the tarball with `npm install -g` into a fresh prefix, and run
#   the README's "Running a real federation" walkthrough (test/real-federation-readme.test.ts)
#   with that installed `hefl` instead of this clone's dist/.
# Usage: scripts/check-packed-install.sh [work-folder]   (default: a new temporary folder)
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d "${TMPDIR:-/tmp}/hefl-packed-XXXXXX")}"
mkdir -p "$work"
cd "$repo"

echo "== build and pack (into $work)"
npm run build
tarball="$(npm pack --ignore-scripts --pack-destination "$work" | tail -n 1)"

echo "== npm install -g --prefix $work/prefix $tarball"
start=$(date +%s)
(cd "$work" && npm install -g --prefix "$work/prefix" "./$tarball")
echo "   installed in $(( $(date +%s) - start )) s"

bin="$work/prefix/bin/hefl"
"$bin" --version
"$bin" --help > /dev/null

echo "== the README walkthrough with the installed hefl"
HEFL_INSTALLED_BIN="$bin" npx vitest run test/real-federation-readme.test.ts
echo "== packed install OK ($bin)"
