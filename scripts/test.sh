#!/usr/bin/env bash
# The whole test suite, as CI runs it: lint and format check, type check, unit tests, then the end-to-end suites
# against real servers: Synapse (a cached virtualenv), InspIRCd with Atheme services and ngIRCd (Debian packages).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
npm test
