"""Hand-made analysis data for the tests of the ARD builders and of what renders them."""

from __future__ import annotations

import pandas as pd

from inoflow.analysis.lineage import tag


def patients(**columns) -> pd.DataFrame:
    """One row per patient (``USUBJID`` S1, S2, ...) with the given columns and a source row
    each, tagged as ADSL for the lineage the ARD builders record."""
    frame = pd.DataFrame(columns)
    frame.insert(0, "USUBJID", [f"S{i}" for i in range(1, len(frame) + 1)])
    frame["SRCFILE"], frame["SRCROW"] = "x.csv", range(2, len(frame) + 2)
    return tag(frame, "ADSL")
