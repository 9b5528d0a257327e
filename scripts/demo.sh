#!/usr/bin/env bash
# The local demo: Synapse, the bridge and a Matrix user talking to the bridge bot. Pass --keep to leave it running.
# `demo.sh discord` runs the Discord variant instead, against the project's Discord API emulator.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
if [[ "${1:-}" == "discord" ]]; then
  shift
  exec node scripts/demo-discord.ts "$@"
fi
exec node scripts/demo.ts "$@"
