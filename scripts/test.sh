#!/usr/bin/env bash
# The whole test suite, as CI runs it: lint and format check, type check, unit tests, then the end-to-end suites
# against a real Synapse (installed into a cached virtualenv on first use).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
npm test
