"""ADRU: resource use per subject for the cost assessment, one record per subject and parameter
(BDS): InO mg, vials without and with vial sharing, mg wasted, administrations, cycles, ward and
ICU days, red-cell and platelet units transfused, allogeneic HSCT.

Italian protocol summary: "toxicity, effectiveness and costs assessment data will be collected".
The rules are those of :mod:`inoflow.analysis.costs` (:func:`inoflow.analysis.costs.resource_use`); the vial size
is the one the study's cost table prices (``vial_size_mg`` of ``definitions["cost_table"]``, the
one place it is written). Costs are not stored here: the unit costs are applied by the cost
endpoint (``inoflow.analysis.endpoints.costs``).

Each record names the domain its value comes from (``SRCDOM``) and the sequence numbers of the
records counted (``SRCSEQS``, comma-separated --SEQ of EX, HO or PR).
"""

from __future__ import annotations

import pandas as pd

from inoflow.adam.common import impute_partial_dates, subjects, tidy
from inoflow.analysis import costs

COLUMNS = ["STUDYID", "USUBJID", "SUBJID", "SITEID", "PARAMN", "PARAMCD", "PARAM", "AVAL", "SRCDOM", "SRCSEQS"]


def derive_adru(sdtm: dict[str, pd.DataFrame], adsl: pd.DataFrame, definitions: dict) -> pd.DataFrame:
    """ADRU from EX, HO and PR (and ADSL for the windows, cycles and subjects); partial dates
    imputed first by the study's rules (``date_imputation:``)."""
    sdtm = impute_partial_dates(sdtm, definitions)
    vial_size = costs.load_cost_table(definitions["cost_table"]).vial_size_mg
    use = costs.resource_use(adsl, sdtm.get("EX"), sdtm.get("HO"), sdtm.get("PR"), vial_size)
    ids = subjects(adsl)
    out = ids.merge(use, on="USUBJID", how="right", validate="one_to_many")
    out["PARAMN"] = out["PARAMN"].astype("Int64")
    out["AVAL"] = out["AVAL"].astype("float64")
    return tidy(out[COLUMNS].reset_index(drop=True))
