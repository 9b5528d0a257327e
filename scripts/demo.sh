#!/usr/bin/env bash
# The local demo: Synapse, the bridge and a Matrix user talking to the bridge bot. Pass --keep to leave it running.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
exec node scripts/demo.ts "$@"
