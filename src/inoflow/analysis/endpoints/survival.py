"""Survival: overall survival (Figure 2), relapse-free survival (OM21), duration of remission
(OM11), and survival at 6 and 12 months by HSCT status and subgroup (OM16-OM19); beyond the
paper (issue 16): relapse and death without relapse as competing risks (SF9, SF10), HSCT as a
time-dependent event (SF11 Simon-Makuch and Mantel-Byar, SF12 landmark, SF13 OS censored at
HSCT) and DOR and RFS censored at the last adequate disease assessment (SF14).

Kaplan-Meier with Greenwood variance and the log-log interval, medians with the
Brookmeyer-Crowley interval; the crude proportion known alive at each landmark is reported
beside the Kaplan-Meier estimate, as the paper's 6- and 12-month figures are crude.
"""

from __future__ import annotations

import pandas as pd

from inoflow.analysis import ard as cards
from inoflow.analysis.endpoints import AGE_LEVELS, BURDEN_LEVELS, SALVAGE_LEVELS, SUBGROUPS, YN
from inoflow.analysis.lineage import tag

FIGURE_GRID_MONTHS = [0, 3, 6, 9, 12, 15, 18, 21, 24]

# SF1-SF5: the Kaplan-Meier curves of the stratified outputs, one output each, with the groups
# compared (log-rank test, Cox hazard ratios against the first level): output, parameter,
# grouping variable, its levels.
STRATIFIED_FIGURES = (
    ("SF1", "OS", "SALVLNGR", SALVAGE_LEVELS),
    ("SF2", "OS", "BURDEN", BURDEN_LEVELS),
    ("SF3", "OS", "AGEGR1", AGE_LEVELS),
    ("SF4", "OS", "HSCTFL", ["N", "Y"]),  # the reference: not transplanted
    ("SF5", "RFS", "HSCTFL", ["N", "Y"]),
)


def tte(adam: dict[str, pd.DataFrame], paramcd: str, definitions: dict) -> pd.DataFrame:
    """One time-to-event parameter joined to ADSL, with time in months and an event indicator."""
    adtte = adam["ADTTE"]
    data = adtte[adtte["PARAMCD"] == paramcd].merge(adam["ADSL"], on=["STUDYID", "USUBJID"], suffixes=("", "_ADSL"))
    data["MONTHS"] = data["AVAL"] / definitions["month_days"]
    data["EVENT"] = 1 - data["CNSR"].astype(int)
    return tag(data, "ADTTE", "ADSL", like=adam["ADSL"])


def _km(rows: list, data: pd.DataFrame, output_id: str, landmarks, group=None, crude: bool = False) -> None:
    if data.empty:
        return
    rows += cards.ard_survfit(data, output_id, landmarks, group=group)
    if crude:
        rows += cards.ard_crude_alive(data, landmarks, output_id, group=group)


def ard_rows(adam: dict[str, pd.DataFrame], definitions: dict) -> list[dict]:
    landmarks = definitions["landmarks_months"]
    rows: list[dict] = []
    os_ = tte(adam, "OS", definitions)
    os_ = os_[os_["FASFL"] == "Y"]
    _km(rows, os_, "F2", sorted(set(landmarks) | set(FIGURE_GRID_MONTHS)), crude=False)
    rows += cards.ard_crude_alive(os_, landmarks, "F2")
    rows += cards.ard_followup(os_, "F2")  # median follow-up (reverse Kaplan-Meier), which the paper omits
    # OM16: responders with MRD negativity, by HSCT
    resp_mrd = os_[(os_["RESPFL"] == "Y") & (os_["MRDNEGFL"] == "Y")]
    rows += cards.ard_total_n(resp_mrd, "OM16", by="HSCTFL", by_levels=YN)  # N = n of the column headers
    for h in YN:
        _km(rows, resp_mrd[resp_mrd["HSCTFL"] == h], "OM16", landmarks, group=("HSCTFL", h), crude=True)
    # OM17-OM19: by HSCT and salvage line / burden / age > 65
    for output, var, levels in (
        ("OM17", "SALVLNGR", SALVAGE_LEVELS),
        ("OM18", "BURDEN", BURDEN_LEVELS),
        ("OM19", "AGEGR1", AGE_LEVELS[1:]),
    ):
        shown = os_[os_[var].isin(levels)]  # N = n of the column headers: the patients of the subgroups shown
        rows += cards.ard_total_n(shown, output, by="HSCTFL", by_levels=YN)
        rows += cards.ard_total_n(shown, output)
        for h in YN:
            for level in levels:
                part = os_[(os_["HSCTFL"] == h) & (os_[var] == level)]
                _km(rows, part, output, landmarks, group=(("HSCTFL", h), (var, level)), crude=True)
        for level in levels:  # the subgroup as a whole (the paper reports > 65 years overall)
            _km(rows, os_[os_[var] == level], output, landmarks, group=(var, level), crude=True)
    # OM21: relapse-free survival among responders, all and by HSCT
    rfs = tte(adam, "RFS", definitions)
    rfs = rfs[rfs["RESPFL"] == "Y"]
    rows += cards.ard_total_n(rfs, "OM21")
    rows += cards.ard_total_n(rfs, "OM21", by="HSCTFL", by_levels=YN)
    figure_times = sorted(set(landmarks) | set(FIGURE_GRID_MONTHS))  # a number at risk at every tick of its figure
    _km(rows, rfs, "OM21", figure_times)
    for h in YN:
        _km(rows, rfs[rfs["HSCTFL"] == h], "OM21", landmarks, group=("HSCTFL", h))
    # OM11: duration of remission among responders with data
    dor = tte(adam, "DOR", definitions)
    if "DOREVFL" in dor:
        dor = dor[dor["DOREVFL"] == "Y"]
    _km(rows, dor, "OM11", figure_times)
    # SF7: overall survival hazard ratios by baseline subgroup (its forest plot)
    for var, levels in SUBGROUPS:
        rows += cards.ard_coxph(os_, "SF7", var, levels)
    # SF9, SF10: relapse and death without relapse as competing risks (CIR), overall at every tick
    # of its figure, and by HSCT with Gray's test
    cir = tte(adam, "CIR", definitions)
    rows += cards.ard_total_n(cir, "SF9")
    rows += cards.ard_cuminc(cir, "SF9", figure_times)
    rows += cards.ard_total_n(cir, "SF10", by="HSCTFL", by_levels=YN)
    rows += cards.ard_total_n(cir, "SF10")
    rows += cards.ard_cuminc(cir, "SF10", sorted({*landmarks, 24}), by="HSCTFL", by_levels=YN)
    # SF1-SF5: stratified curves at every tick of their figure, and the comparison
    for output, paramcd, var, levels in STRATIFIED_FIGURES:
        rows += cards.ard_stratified(analysis_set(adam, paramcd, definitions), output, var, levels, figure_times)
    # SF11-SF13: HSCT as a time-dependent event beside the fixed grouping of SF4 and OM16-OM19:
    # Simon-Makuch curves, the Mantel-Byar test and the time-dependent Cox model (with the fixed
    # hazard ratio for comparison), the landmark analysis, and OS censored at HSCT
    hsct = with_exposure(os_, "HSCTDT", definitions)
    rows += cards.ard_total_n(hsct, "SF11")
    rows += cards.ard_time_dependent(hsct, "SF11", EXPOSURE, "HSCTTD", figure_times)
    rows += cards.ard_survdiff(hsct, "SF11", "HSCTFL", ["N", "Y"]) + cards.ard_coxph(hsct, "SF11", "HSCTFL", ["N", "Y"])
    landmark = definitions["hsct"]["landmark_months"]
    rows += cards.ard_total_n(hsct, "SF12")
    rows += cards.ard_landmark(hsct, "SF12", EXPOSURE, "HSCTLM", landmark, figure_times)
    censored_at_hsct = tte(adam, "OSCHSCT", definitions)
    censored_at_hsct = censored_at_hsct[censored_at_hsct["FASFL"] == "Y"]
    rows += cards.ard_total_n(censored_at_hsct, "SF13")
    _km(rows, censored_at_hsct, "SF13", figure_times)
    # SF14: DOR and RFS under both censoring conventions (the paper's and the FDA's)
    for rule, (dor_code, rfs_code) in CENSORING_RULES.items():
        dor = tte(adam, dor_code, definitions)
        dor = dor[dor["DOREVFL"] == "Y"]
        _km(rows, dor, "SF14", landmarks, group=(("CNSRULE", rule), ("ENDPOINT", "DOR")))
        rfs = tte(adam, rfs_code, definitions)
        _km(rows, rfs[rfs["RESPFL"] == "Y"], "SF14", landmarks, group=(("CNSRULE", rule), ("ENDPOINT", "RFS")))
    return rows


# The censoring conventions of DOR and RFS (SF14): the paper's (the last date known alive), which
# reproduces its figures, and the FDA's (the last adequate disease assessment); rule -> the ADTTE
# parameters of DOR and RFS under it.
CENSORING_RULES = {"LSTALV": ("DOR", "RFS"), "LASTASMT": ("DORLDA", "RFSLDA")}
EXPOSURE = "EXPMONTHS"  # months from the start of a parameter to the exposure (HSCT)


def with_exposure(data: pd.DataFrame, date: str, definitions: dict) -> pd.DataFrame:
    """``data`` (a parameter joined to ADSL) with :data:`EXPOSURE`, the months from its start
    date (STARTDT) to the ADSL date ``date`` (HSCTDT), missing without one."""
    data = data.copy()
    days = (pd.to_datetime(data[date]) - pd.to_datetime(data["STARTDT"])).dt.days
    data[EXPOSURE] = days / definitions["month_days"]
    return data


def analysis_set(adam: dict[str, pd.DataFrame], paramcd: str, definitions: dict) -> pd.DataFrame:
    """A parameter's analysis population: OS in the full analysis set, RFS among responders."""
    data = tte(adam, paramcd, definitions)
    return data[data["RESPFL" if paramcd == "RFS" else "FASFL"] == "Y"]
