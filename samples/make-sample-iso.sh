#!/bin/bash
# Make the sample Windows-like ISO (no Microsoft binaries) used by the demo:
# samples/out/win.iso.  Same generator as the tests (tests/fixtures/mkfixture.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
exec bash "$top/tests/fixtures/mkfixture.sh" "${1:-$top/samples/out}"
