"""Shared fixtures: the shipped study configuration and its demo extracts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from inoflow.config import load_study
from inoflow.pipeline import build_common_model, harmonise_cut

# The checkout under test. The engine reads its configuration from the working folder, as the
# workflow does; the tests run in the checkout (a few copy it elsewhere, and say so).
PROJECT_ROOT = Path(__file__).resolve().parents[1]
os.chdir(PROJECT_ROOT)

STUDY_CONFIG = "config/studies/india.yaml"
DEMO_CUT = "2023-04-30"


@pytest.fixture(scope="session")
def india():
    return load_study(STUDY_CONFIG)


@pytest.fixture(scope="session")
def demo_extracts(india):
    return india.cuts[DEMO_CUT].extracts


@pytest.fixture(scope="session")
def demo_canonical(india, demo_extracts):
    """The demo cut's extracts harmonised to contract variables (all sites), once per session."""
    return harmonise_cut(india, demo_extracts)


@pytest.fixture(scope="session")
def demo_sdtm(india, demo_canonical):
    """The demo cut's common model, once per session."""
    return build_common_model(india, demo_canonical)


ITALY_CONFIG = "config/studies/italy.yaml"
ITALY_CUT = "2022-12-31"


@pytest.fixture(scope="session")
def italy_study():
    return load_study(ITALY_CONFIG)


@pytest.fixture(scope="session")
def italy_canonical(italy_study):
    """The Italian demo cut's extracts harmonised to contract variables (all centres), once."""
    return harmonise_cut(italy_study, italy_study.cuts[ITALY_CUT].extracts)


@pytest.fixture(scope="session")
def italy_sdtm(italy_study, italy_canonical):
    """The Italian demo cut's common model, once per session."""
    return build_common_model(italy_study, italy_canonical)


@pytest.fixture(scope="session")
def workflow_run(tmp_path_factory):
    """One Snakemake run of the whole demo (both studies, every cut) into a temporary results
    folder, shared by the workflow tests: (results folder, the finished process)."""
    results = tmp_path_factory.mktemp("results")
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", "--config", f"results={results}"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return results, proc
