#!/usr/bin/env bash
# Set everything up and run the whole workflow on the shipped synthetic demo extracts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
status=0
.venv/bin/snakemake --cores 4 "$@" || status=$?
log="$(ls -t .snakemake/log/*.snakemake.log 2>/dev/null | head -n 1)"
if [ "$status" -ne 0 ]; then
  echo "demo: the workflow failed (exit $status); each FAILED line above names the job and its log; complete log: $log"
  exit "$status"
fi
# Snakemake's own report of the run (rules, timings, the workflow graph), for the audit file
.venv/bin/snakemake --report results/snakemake_report.html "$@" >/dev/null 2>&1 \
  && echo "demo: Snakemake's report of the run: results/snakemake_report.html"
echo "demo: results are under results/; start with results/india/2023-04-30/book.html (the report) and reconciliation/reconciliation.html (every row accounted for)"
echo "demo: the run's complete log (every job's inputs, outputs and reason): $log"
echo "demo: trace any table cell to the raw rows: .venv/bin/inoflow-trace --study india --cut 2023-04-30 --output OM01 --row 1"
