#!/usr/bin/env bash
# Recompiles the devnet's Solidity contracts (the StylusDeployer and the test fixtures) with
# the pinned npm solc; the outputs are committed, so this runs only when a source changes.
set -euo pipefail
SOLC_VERSION=0.8.28
here="$(cd "$(dirname "$0")" && pwd)"
chain="$(dirname "$here")"
work="${SOLC_DIR:-${TMPDIR:-/tmp}/devnet-solc-$SOLC_VERSION}"
if [ ! -d "$work/node_modules/solc" ]; then
  mkdir -p "$work"
  (cd "$work" && npm init -y >/dev/null && npm install --no-audit --no-fund "solc@$SOLC_VERSION" >/dev/null)
fi
NODE_PATH="$work/node_modules" node "$here/compile.cjs" "$here"/*.sol "$chain"/fixtures/sol/*.sol
