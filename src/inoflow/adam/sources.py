"""What each ADaM derivation reads: the SDTM domains and the upstream ADaM datasets.

``ADAM_SOURCES`` is declared here, apart from the derivations, and without pandas: the workflow
reads it when it starts (each dataset's inputs and its part of the cut's ADaM job, so that a
changed domain recomputes only the datasets, and then the endpoints, that depend on it).
"""

from __future__ import annotations

ADAM_SOURCES: dict[str, dict[str, list[str]]] = {
    "ADELIG": {"sdtm": ["IE", "DM"], "adam": []},
    "ADRS": {"sdtm": ["DM", "EX", "LB", "RS"], "adam": []},
    "ADAE": {"sdtm": ["DM", "EX", "AE", "LB", "VS", "PR"], "adam": []},
    # ADSL reads no adverse events: the subject-level safety flags are derived from ADAE where
    # they are used (inoflow.analysis.endpoints.safety), so a changed AE file does not rerun ADSL and ADTTE.
    "ADSL": {"sdtm": ["DM", "SC", "MH", "EX", "LB", "RS", "PR", "CM", "DS", "DD"], "adam": ["ADRS"]},
    "ADTTE": {"sdtm": ["DM", "EX", "DS", "PR", "CM"], "adam": ["ADSL", "ADRS"]},
    # resource use for the cost assessment: InO administrations, stays, transfusions, HSCT
    "ADRU": {"sdtm": ["DM", "EX", "HO", "PR"], "adam": ["ADSL"]},
}

# Columns of a common-model domain that no ADaM derivation reads: the results as the site wrote
# them (LBORRES, LBORRESU; LBSTRESC, the standard result as text, beside LBSTRESN), the test's
# name beside its code, the domain's own name. The ADaM job leaves them unread: at 100,000
# patients LB holds 7.75 million records, and these columns were a fifth of the job's memory.
# tests/test_adam_batches.py: no ADaM module names one, and every dataset is the same without them.
NOT_READ: dict[str, tuple[str, ...]] = {"LB": ("DOMAIN", "LBTEST", "LBORRES", "LBORRESU", "LBSTRESC")}


def upstream_of(datasets) -> list[str]:
    """``datasets`` and every ADaM dataset they are derived from, sources first."""
    seen: list[str] = []

    def visit(name: str) -> None:
        if name not in ADAM_SOURCES:
            raise ValueError(f"unknown ADaM dataset {name!r}; known: {sorted(ADAM_SOURCES)}")
        for upstream in ADAM_SOURCES[name]["adam"]:
            visit(upstream)
        if name not in seen:
            seen.append(name)

    for name in datasets:
        visit(name)
    return seen


# The datasets whose every record is derived from one subject's records alone and that are ordered
# by USUBJID first: each can be derived for a batch of subjects at a time (inoflow.adam.derive:
# derive_by_subject), which bounds a derivation's memory by the batch, not the study. ADELIG is
# not: it is ordered by site and screening number. Tested: every dataset derived one subject at
# a time equals the whole derivation (tests/test_adam_batches.py).
BY_SUBJECT: frozenset[str] = frozenset({"ADRS", "ADAE", "ADSL", "ADTTE", "ADRU"})
