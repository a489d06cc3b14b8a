"""Endpoint analyses: each module turns ADaM datasets into the ARD of its output ids
(``../shared/reference/outputs.yaml``). Notebooks call these; they compute nothing themselves.

Every module exposes ``build_ard(adam: dict[str, DataFrame], definitions: dict) -> DataFrame``.
"""

ENDPOINTS = ("response", "mrd", "survival", "safety", "death")

# The ADaM datasets each endpoint reads (rules declare exactly these as inputs).
ADAM_INPUTS = {
    "response": ["ADSL", "ADELIG"],
    "mrd": ["ADSL", "ADRS"],
    "survival": ["ADSL", "ADTTE"],
    "safety": ["ADSL", "ADAE"],
    "death": ["ADSL", "ADAE"],
}

SALVAGE_LEVELS = ["1", "2", ">=3"]
BURDEN_LEVELS = ["LOW", "HIGH"]
AGE_LEVELS = ["18-65", ">65"]
YN = ["Y", "N"]
