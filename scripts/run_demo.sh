#!/usr/bin/env bash
# Set everything up and run the whole workflow on the shipped synthetic demo extracts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/snakemake --cores 4 "$@"
echo "demo: results are under results/; start with results/india/2023-04-30/book.html (the report) and reconciliation/reconciliation.html (every row accounted for)"
