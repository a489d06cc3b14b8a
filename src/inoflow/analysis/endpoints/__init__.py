"""Endpoint analyses: each module turns ADaM datasets into the ARD of its output ids
(``config/reference/outputs.yaml``). Notebooks call these; they compute nothing themselves.

Every module exposes ``ard_rows(adam: dict[str, DataFrame], definitions: dict) -> list[dict]``: the
ARD rows of its outputs with the subjects behind each (``inoflow.analysis.ard.finish`` makes the ARD,
``inoflow.analysis.ard.finish_with_lineage`` the ARD and its lineage table; ``inoflow.analysis.notebook.build_ard``).
"""

ENDPOINTS = ("response", "mrd", "survival", "safety", "death", "costs")

# The ADaM datasets each endpoint reads (rules declare exactly these as inputs).
ADAM_INPUTS = {
    "response": ["ADSL", "ADELIG"],
    "mrd": ["ADSL", "ADRS"],
    "survival": ["ADSL", "ADTTE"],
    "safety": ["ADSL", "ADAE"],
    "death": ["ADSL", "ADAE"],
    "costs": ["ADSL", "ADRU"],  # the cost assessment (studies whose sites send resource use)
}

SALVAGE_LEVELS = ["1", "2", ">=3"]
BURDEN_LEVELS = ["LOW", "HIGH"]
AGE_LEVELS = ["18-65", ">65"]
# the baseline subgroups of the forest plots (SF6, SF7), each with its levels, the first the
# reference of a hazard ratio
SUBGROUPS = (
    ("SEX", ["F", "M"]),
    ("AGEGR1", AGE_LEVELS),
    ("SALVLNGR", SALVAGE_LEVELS),
    ("DISSTAT", ["RELAPSED", "REFRACTORY"]),
    ("BURDEN", BURDEN_LEVELS),
)
YN = ["Y", "N"]
