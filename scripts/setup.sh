#!/usr/bin/env bash
# Create .venv with the pinned environment and install this project into it (idempotent:
# reinstalls only when requirements.lock or pyproject.toml changed).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.inoflow-installed-$(cat requirements.lock pyproject.toml src/snakemake-logger-plugin-inoflow/pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing pinned packages (requirements.lock)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r requirements.lock
  .venv/bin/python -m pip install --quiet --no-deps -e ".[dev]"
  # the terminal's logger (profiles/default: logger inoflow), a Snakemake plugin package of its own
  .venv/bin/python -m pip install --quiet --no-deps -e src/snakemake-logger-plugin-inoflow
  .venv/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
  rm -f .venv/.inoflow-installed-*
  touch "$stamp"
fi
echo "setup: ready ($(.venv/bin/snakemake --version | head -1) snakemake, .venv)"
