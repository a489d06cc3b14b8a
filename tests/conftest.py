"""Shared fixtures: the shipped study configuration and its demo extracts."""

from __future__ import annotations

import pytest

from inoflow.config import load_study

STUDY_CONFIG = "config/studies/india.yaml"
DEMO_CUT = "2023-04-30"


@pytest.fixture(scope="session")
def india():
    return load_study(STUDY_CONFIG)


@pytest.fixture(scope="session")
def demo_extracts(india):
    return india.cuts[DEMO_CUT].extracts
