"""Glue between Snakemake's ``script:`` jobs and the importable stages.

A script is a few lines: ``with step(snakemake) as log: ...``. The step sends logging to the
rule's log file (and to the console), and turns the workflow's own errors into a readable
message, without a Python traceback, and a non-zero exit, removing partial outputs.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import sys
from pathlib import Path

from inoflow.errors import InoflowError


@contextlib.contextmanager
def step(smk):
    log_path = Path(smk.log[0])
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # everything to the rule's log; warnings and errors also to the terminal
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING)
    handlers = [logging.FileHandler(log_path, mode="w", encoding="utf-8"), console]
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", handlers=handlers, force=True
    )
    log = logging.getLogger(f"inoflow.rule.{smk.rule}")
    wildcards = ", ".join(f"{k}={v}" for k, v in smk.wildcards.items())
    log.info("rule %s (%s)", smk.rule, wildcards)
    try:
        yield log
    except InoflowError as exc:
        log.error("%s", exc)
        for output in smk.output:
            if Path(output).is_dir():  # a folder output (the extract stages'): removed whole
                shutil.rmtree(output, ignore_errors=True)
            else:
                Path(output).unlink(missing_ok=True)
        logging.shutdown()
        sys.exit(1)
