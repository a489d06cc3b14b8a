#!/usr/bin/env bash
# Create .venv with the pinned environment and install this project into it (idempotent:
# reinstalls only when requirements.lock or pyproject.toml changed).
#
#   bash scripts/setup.sh           # a workstation: everything but the cluster extra
#   bash scripts/setup.sh --slurm   # also the SLURM executor plugin (requirements-slurm.lock)
#   bash scripts/setup.sh --documents  # also headless Chromium and LibreOffice Writer, which the
#                                      # tests open the book and tables in (apt-get, as root)
#
# The cluster extra stays out of a workstation's environment: Snakemake loads every installed
# executor plugin at each start, and the SLURM one imports pandas and asks `scontrol` for the
# cluster's configuration (0.2 s of every start; 10 s when SLURM is installed but down).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
slurm=0
documents=0
for arg in "$@"; do
  case "$arg" in
    --slurm) slurm=1 ;;
    --documents) documents=1 ;;
    *) echo "setup: unknown option $arg (usage: bash scripts/setup.sh [--slurm] [--documents])" >&2; exit 2 ;;
  esac
done
if [ "$documents" = 1 ] && ! { command -v chromium >/dev/null && command -v soffice >/dev/null; }; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing headless Chromium and LibreOffice Writer (apt-get)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium libreoffice-writer-nogui >/dev/null
  else
    echo "setup: the document tests need chromium and soffice: sudo apt-get install chromium libreoffice-writer-nogui" >&2
  fi
fi
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
  rm -f .venv/.inoflow-installed-* .venv/.inoflow-slurm-*
  touch "$stamp"
fi
if [ "$slurm" = 1 ]; then
  slurm_stamp=".venv/.inoflow-slurm-$(cat requirements.lock requirements-slurm.lock | sha256sum | cut -c1-16)"
  if [ ! -f "$slurm_stamp" ]; then
    echo "setup: installing the cluster extra (requirements-slurm.lock)"
    .venv/bin/python -m pip install --quiet -r requirements-slurm.lock -c requirements.lock
    rm -f .venv/.inoflow-slurm-*
    touch "$slurm_stamp"
  fi
fi
echo "setup: ready ($(.venv/bin/snakemake --version | head -1) snakemake, .venv$([ "$slurm" = 1 ] && echo ", SLURM executor plugin"))"
