#!/usr/bin/env bash
# Set everything up and run the whole test suite (unit, dialect, round-trip, workflow).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --documents
.venv/bin/python -m pytest "$@"
