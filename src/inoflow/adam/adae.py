"""ADAE: reported adverse events and laboratory-derived toxicity events.

- ``AECAT 'REPORTED'`` (SRCDOM 'AE'): every AE record, with analysis dates (a partial start or
  end imputed by the study's ``date_imputation:`` rule, flagged in ``ASTDTF``/``AENDTF``: ``D``
  day imputed, ``M`` month and day), study day, the
  treatment-emergent flag (onset on or after the first dose), the VOD flag and whether onset is
  after the HSCT date (``APHSCTFL``).
- ``AECAT 'LABORATORY-DERIVED'`` (SRCDOM 'LB' or 'VS'): one record per subject and toxicity, at
  its first occurrence in the toxicity window (first dose to last dose + 42 days, ending at
  HSCT), for the registry's liver toxicity parameters (``AEGRP 'LIVER'``) and haematological
  toxicities (``AEGRP 'HAEMATOLOGICAL'``), with the value (``AVAL``), the ULN, the ratio to the
  ULN (``R2ULN``) and the criterion met (``AECRIT``).

The registry defines liver and haematological toxicity by laboratory thresholds, so the
subject-level toxicity flags come from the laboratory-derived records; reported AEs of the
same kind are kept as reported and are not counted twice.

The subject-level safety flags (VODFL, VODHSCFL, LIVTOXFL, ASTFL, ALTFL, BILIFL, HEMTOXFL,
THRMBFL, NEUTRFL, FNFL) are derived here from ADAE by :func:`derive_subject_safety_flags`, not
stored in ADSL: the safety and death endpoints join them onto ADSL
(:func:`inoflow.analysis.endpoints.safety.adsl_with_safety_flags`), so that a changed adverse-event file
reruns ADAE and those endpoints only, not ADSL, ADTTE and the other endpoints.
"""

from __future__ import annotations

import pandas as pd

from inoflow.adam.common import (
    TRACE,
    add_sequence,
    compare,
    conform,
    first_hsct,
    impute_partial_dates,
    stack,
    study_day,
    subjects,
    tidy,
    to_date,
    treatment_exposure,
    with_trace,
    yn,
)

REPORTED = "REPORTED"
LABORATORY = "LABORATORY-DERIVED"

COLUMNS = [
    "STUDYID",
    "USUBJID",
    "ASEQ",
    "SUBJID",
    "SITEID",
    "AECAT",
    "AEGRP",
    "AETERM",
    "AEDECOD",
    "AETOXGR",
    "AEREL",
    "AESER",
    "ASTDT",
    "ASTDTF",
    "AENDT",
    "AENDTF",
    "ASTDY",
    "TRTEMFL",
    "VODFL",
    "APHSCTFL",
    "AVAL",
    "AVALU",
    "ULN",
    "R2ULN",
    "ANC",
    "ANCSEQ",
    "AECRIT",
    *TRACE,
]

LIVER_FLAGS = {"AST": "ASTFL", "ALT": "ALTFL", "BILI": "BILIFL"}  # liver_toxicity test -> flag
HAEM_FLAGS = {"THROMBOCYTOPENIA": "THRMBFL", "NEUTROPENIA": "NEUTRFL", "FEBRILE NEUTROPENIA": "FNFL"}
SAFETY_FLAGS = ["VODFL", "VODHSCFL", "LIVTOXFL", *LIVER_FLAGS.values(), "HEMTOXFL", *HAEM_FLAGS.values()]


def toxicity_window(exposure: pd.DataFrame, hsct: pd.DataFrame, definitions: dict) -> pd.DataFrame:
    """The laboratory toxicity window per subject: ``WINSTDT`` (first dose) to ``WINENDT``
    (last dose + 42 days, or the HSCT date if earlier), both included.

    >>> exposure = pd.DataFrame({"USUBJID": ["A", "B"], "TRTSDT": pd.to_datetime(["2020-01-01"] * 2),
    ...                          "TRTEDT": pd.to_datetime(["2020-01-15"] * 2)})
    >>> hsct = pd.DataFrame({"USUBJID": ["B"], "HSCTDT": pd.to_datetime(["2020-02-10"])})
    >>> defs = {"toxicity_window": {"days_after_last_dose": 42, "truncate_at_hsct": True}}
    >>> toxicity_window(exposure, hsct, defs)["WINENDT"].dt.strftime("%Y-%m-%d").tolist()
    ['2020-02-26', '2020-02-10']
    """
    rule = definitions["toxicity_window"]
    out = exposure[["USUBJID", "TRTSDT", "TRTEDT"]].merge(hsct[["USUBJID", "HSCTDT"]], on="USUBJID", how="left")
    out["WINSTDT"] = out["TRTSDT"]
    out["WINENDT"] = out["TRTEDT"] + pd.to_timedelta(rule["days_after_last_dose"], unit="D")
    if rule.get("truncate_at_hsct", True):
        earlier = out["HSCTDT"].notna() & (out["HSCTDT"] < out["WINENDT"])
        out.loc[earlier, "WINENDT"] = out.loc[earlier, "HSCTDT"]
    return out[["USUBJID", "WINSTDT", "WINENDT"]]


def derive_reported_events(
    ae: pd.DataFrame, exposure: pd.DataFrame, hsct: pd.DataFrame, definitions: dict
) -> pd.DataFrame:
    """Reported AEs with ASTDT/AENDT (ASTDTF/AENDTF: imputation flags of a partial date), ASTDY,
    TRTEMFL, VODFL and APHSCTFL.

    Registry: "Treatment-related AE was any untoward medical occurrence in a participant who has
    received the study drug." VOD: "VOD occurs when the small blood vessels in the liver are
    blocked." (AEDECOD ``definitions["vod"]["aedecod"]``). APHSCTFL is 'Y' when onset is after
    the HSCT date (onset on the HSCT date is not after it), 'N' otherwise for transplanted
    subjects, missing without HSCT.

    >>> ae = pd.DataFrame({"USUBJID": ["A", "A"], "AESEQ": [1, 2], "AETERM": ["VOD", "hepatic VOD"],
    ...                    "AEDECOD": ["VENO-OCCLUSIVE DISEASE"] * 2, "AESTDTC": ["2020-02-10", "2020-02-11"],
    ...                    "AEENDTC": [None, None], "AETOXGR": [3, 3], "AEREL": ["Y", "Y"], "AESER": ["Y", "Y"]})
    >>> exposure = pd.DataFrame({"USUBJID": ["A"], "TRTSDT": pd.to_datetime(["2020-01-01"])})
    >>> hsct = pd.DataFrame({"USUBJID": ["A"], "HSCTDT": pd.to_datetime(["2020-02-10"])})
    >>> out = derive_reported_events(ae, exposure, hsct, {"vod": {"aedecod": "VENO-OCCLUSIVE DISEASE"}})
    >>> out[["ASTDY", "TRTEMFL", "VODFL", "APHSCTFL"]].values.tolist()
    [[41, 'Y', 'Y', 'N'], [42, 'Y', 'Y', 'Y']]
    """
    out = ae.merge(exposure[["USUBJID", "TRTSDT"]], on="USUBJID", how="left").merge(
        hsct[["USUBJID", "HSCTDT"]], on="USUBJID", how="left"
    )
    out["AECAT"] = REPORTED
    out["ASTDT"] = to_date(out["AESTDTC"])
    out["AENDT"] = to_date(out["AEENDTC"])
    # imputation flags of partial dates (impute_partial_dates: AESTDTF, AEENDTF), admiral's ASTDTF/AENDTF
    out["ASTDTF"] = out["AESTDTF"] if "AESTDTF" in out.columns else None
    out["AENDTF"] = out["AEENDTF"] if "AEENDTF" in out.columns else None
    out["ASTDY"] = study_day(out["ASTDT"], out["TRTSDT"])
    emergent = out["ASTDT"].notna() & out["TRTSDT"].notna() & (out["ASTDT"] >= out["TRTSDT"])
    out["TRTEMFL"] = emergent.map({True: "Y", False: "N"})
    out["VODFL"] = (out["AEDECOD"] == definitions["vod"]["aedecod"]).map({True: "Y", False: "N"})
    after = out["ASTDT"] > out["HSCTDT"]
    out["APHSCTFL"] = after.map({True: "Y", False: "N"}).where(out["HSCTDT"].notna() & out["ASTDT"].notna())
    return with_trace(out, "AE", "AESEQ")


def _in_window(records: pd.DataFrame, date_column: str, window: pd.DataFrame) -> pd.DataFrame:
    out = records.assign(ADT=to_date(records[date_column])).merge(window, on="USUBJID", how="inner")
    return out[(out["ADT"] >= out["WINSTDT"]) & (out["ADT"] <= out["WINENDT"])]


def _first(records: pd.DataFrame, by: list[str], ascending: list[bool]) -> pd.DataFrame:
    """The first qualifying record per subject (earliest date, then the most extreme value)."""
    return records.sort_values(
        ["USUBJID", "ADT", *by], ascending=[True, True, *ascending], kind="stable"
    ).drop_duplicates("USUBJID")


def derive_liver_toxicity(lb: pd.DataFrame, window: pd.DataFrame, definitions: dict) -> pd.DataFrame:
    """First AST, ALT and bilirubin elevation in the toxicity window, one record per subject and
    parameter.

    Registry: "Number of Participants With Grade 3/4 Treatment Related Liver Toxicity
    (Hepatobiliary Disorder) Adverse Events (TEAEs) Following InO Initiation ... Liver toxicity
    parameters included: Aspartate aminotransferase (level) >=2.5*upper limit of normal (ULN);
    alanine transaminase (level) >=2.5*ULN and total serum bilirubin >=1.5*ULN."

    ``R2ULN`` = value / ULN rounded to ``ratio_decimals`` (6); a record without a ULN cannot meet
    the criterion.

    >>> lb = pd.DataFrame({"USUBJID": ["A"] * 3, "LBSEQ": [1, 2, 3], "LBTESTCD": ["AST", "AST", "BILI"],
    ...                    "LBDTC": ["2020-01-05", "2020-01-09", "2020-01-09"], "LBSTRESN": [99.0, 100.0, 30.75],
    ...                    "LBSTRESU": ["U/L", "U/L", "umol/L"], "LBSTNRHI": [40.0, 40.0, 20.5]})
    >>> window = pd.DataFrame({"USUBJID": ["A"], "WINSTDT": pd.to_datetime(["2020-01-01"]),
    ...                        "WINENDT": pd.to_datetime(["2020-02-01"])})
    >>> defs = {"liver_toxicity": {"ratio_decimals": 6,
    ...         "AST": {"aedecod": "AST INCREASED", "r2uln": {"ge": 2.5}, "criterion": "AST >= 2.5 x ULN"},
    ...         "BILI": {"aedecod": "BILI INCREASED", "r2uln": {"ge": 1.5}, "criterion": "BILI >= 1.5 x ULN"}}}
    >>> derive_liver_toxicity(lb, window, defs)[["AEDECOD", "AVAL", "R2ULN"]].values.tolist()
    [['AST INCREASED', 100.0, 2.5], ['BILI INCREASED', 30.75, 1.5]]
    """
    rules = definitions["liver_toxicity"]
    decimals = rules.get("ratio_decimals", 6)
    parts = []
    for testcd, rule in rules.items():
        if not isinstance(rule, dict):
            continue
        values = _in_window(lb[lb["LBTESTCD"] == testcd], "LBDTC", window)
        values = values.assign(
            AVAL=values["LBSTRESN"],
            ULN=values["LBSTNRHI"],
            R2ULN=(values["LBSTRESN"] / values["LBSTNRHI"]).round(decimals),
        )
        hits = values[compare(values["R2ULN"], rule["r2uln"])]
        first = _first(hits, ["R2ULN", "LBSEQ"], [False, True])
        parts.append(
            with_trace(first, "LB", "LBSEQ").assign(
                AEDECOD=rule["aedecod"], AECRIT=rule["criterion"], AEGRP="LIVER", AVALU=first["LBSTRESU"]
            )
        )
    return stack(parts)  # empty parts and all-missing columns skipped (conform restores every column)


def derive_hematological_toxicity(
    lb: pd.DataFrame, vs: pd.DataFrame, window: pd.DataFrame, definitions: dict
) -> pd.DataFrame:
    """First thrombocytopenia, neutropenia and febrile neutropenia in the toxicity window, one
    record per subject and toxicity (counts sent with the marrow assessments included).

    Registry: "Hematological toxicities included: Febrile neutropenia= absolute neutrophil count
    (ANC) < 1.0*10^9 cells/L, fever >=38.5 degree C); Neutropenia= absolute granulocyte count <
    1.0*10^9 cells/L; Thrombocytopenia= platelet count < 150,000 platelets per microliter."

    Febrile neutropenia: an ANC below the threshold and a temperature at or above 38.5 C on the
    same day; the record is the temperature (SRCDOM 'VS', AVAL in C) with the day's lowest ANC in
    ``ANC`` / ``ANCSEQ``.

    >>> lb = pd.DataFrame({"USUBJID": ["A"] * 3, "LBSEQ": [1, 2, 3], "LBTESTCD": ["NEUT", "NEUT", "PLAT"],
    ...                    "LBDTC": ["2020-01-05", "2020-01-09", "2020-01-09"], "LBSTRESN": [0.8, 0.5, 150.0],
    ...                    "LBSTRESU": ["10^9/L", "10^9/L", "10^9/L"], "LBSTNRHI": [None, None, None]})
    >>> vs = pd.DataFrame({"USUBJID": ["A", "A"], "VSSEQ": [1, 2], "VSTESTCD": ["TEMP", "TEMP"],
    ...                    "VSDTC": ["2020-01-05", "2020-01-09"], "VSSTRESN": [38.4, 38.5], "VSSTRESU": ["C", "C"]})
    >>> window = pd.DataFrame({"USUBJID": ["A"], "WINSTDT": pd.to_datetime(["2020-01-01"]),
    ...                        "WINENDT": pd.to_datetime(["2020-02-01"])})
    >>> defs = {"hematological_toxicities": {
    ...     "THROMBOCYTOPENIA": {"lbtestcd": "PLAT", "value": {"lt": 150}, "criterion": "PLAT < 150"},
    ...     "NEUTROPENIA": {"lbtestcd": "NEUT", "value": {"lt": 1.0}, "criterion": "ANC < 1.0"},
    ...     "FEBRILE NEUTROPENIA": {"lbtestcd": "NEUT", "value": {"lt": 1.0}, "vstestcd": "TEMP",
    ...                             "temperature_c": {"ge": 38.5}, "criterion": "ANC < 1.0 and T >= 38.5"}}}
    >>> out = derive_hematological_toxicity(lb, vs, window, defs)
    >>> out[["AEDECOD", "AVAL", "ANC"]].astype(str).values.tolist()
    [['NEUTROPENIA', '0.8', 'nan'], ['FEBRILE NEUTROPENIA', '38.5', '0.5']]
    """
    parts = []
    for decod, rule in definitions["hematological_toxicities"].items():
        counts = _in_window(lb[lb["LBTESTCD"] == rule["lbtestcd"]], "LBDTC", window)
        low = counts[compare(counts["LBSTRESN"], rule["value"])]
        if "vstestcd" not in rule:
            first = _first(low, ["LBSTRESN", "LBSEQ"], [True, True])
            parts.append(
                with_trace(first, "LB", "LBSEQ").assign(
                    AEDECOD=decod,
                    AECRIT=rule["criterion"],
                    AEGRP="HAEMATOLOGICAL",
                    AVAL=first["LBSTRESN"],
                    AVALU=first["LBSTRESU"],
                    ULN=first["LBSTNRHI"],
                )
            )
            continue
        lowest = (
            low.sort_values(["USUBJID", "ADT", "LBSTRESN", "LBSEQ"], kind="stable")
            .drop_duplicates(["USUBJID", "ADT"])[["USUBJID", "ADT", "LBSTRESN", "LBSEQ"]]
            .rename(columns={"LBSTRESN": "ANC", "LBSEQ": "ANCSEQ"})
        )
        temps = _in_window(vs[vs["VSTESTCD"] == rule["vstestcd"]], "VSDTC", window)
        fever = temps[compare(temps["VSSTRESN"], rule["temperature_c"])].merge(lowest, on=["USUBJID", "ADT"])
        first = _first(fever, ["VSSTRESN", "VSSEQ"], [False, True])
        parts.append(
            with_trace(first, "VS", "VSSEQ").assign(
                AEDECOD=decod,
                AECRIT=rule["criterion"],
                AEGRP="HAEMATOLOGICAL",
                AVAL=first["VSSTRESN"],
                AVALU=first["VSSTRESU"],
            )
        )
    return stack(parts)  # empty parts and all-missing columns skipped (conform restores every column)


def derive_adae(sdtm: dict[str, pd.DataFrame], definitions: dict) -> pd.DataFrame:
    """ADAE from DM, EX, AE, LB, VS and PR (see the module docstring); partial dates imputed
    first, by the study's rules (``date_imputation:``)."""
    sdtm = impute_partial_dates(sdtm, definitions)
    exposure = treatment_exposure(sdtm["EX"])
    hsct = first_hsct(sdtm.get("PR"), exposure, definitions)
    ids = subjects(sdtm["DM"])
    reported = derive_reported_events(sdtm["AE"], exposure, hsct, definitions)
    window = toxicity_window(exposure, hsct, definitions)
    laboratory = stack(
        [
            derive_liver_toxicity(sdtm["LB"], window, definitions),
            derive_hematological_toxicity(sdtm["LB"], sdtm["VS"], window, definitions),
        ]
    )
    if not laboratory.empty:
        laboratory = laboratory.merge(exposure[["USUBJID", "TRTSDT"]], on="USUBJID", how="left").merge(
            hsct[["USUBJID", "HSCTDT"]], on="USUBJID", how="left"
        )
        laboratory["AECAT"] = LABORATORY
        laboratory["AETERM"] = laboratory["AEDECOD"]
        laboratory["ASTDT"] = laboratory["ADT"]
        laboratory["ASTDY"] = study_day(laboratory["ASTDT"], laboratory["TRTSDT"])
        laboratory["TRTEMFL"] = "Y"
        laboratory["VODFL"] = "N"
        after = laboratory["ASTDT"] > laboratory["HSCTDT"]
        laboratory["APHSCTFL"] = after.map({True: "Y", False: "N"}).where(laboratory["HSCTDT"].notna())
    adae = pd.concat([reported, laboratory], ignore_index=True)
    adae = adae.drop(columns=["STUDYID", "SUBJID", "SITEID"], errors="ignore").merge(ids, on="USUBJID", how="left")
    adae = conform(
        adae,
        COLUMNS,
        dates=["ASTDT", "AENDT"],
        floats=["AVAL", "ULN", "R2ULN", "ANC"],
        integers=["ASTDY", "AETOXGR", "ANCSEQ", "SRCSEQ", "SRCROW"],
    )
    adae = add_sequence(adae, ["USUBJID", "ASTDT", "AECAT", "AEDECOD"])
    return tidy(adae[COLUMNS])


# ---------------------------------------------------------------------------------------------
# Subject-level safety flags (joined onto ADSL by the safety and death endpoints)
# ---------------------------------------------------------------------------------------------


def derive_vars_vod(adae: pd.DataFrame) -> pd.DataFrame:
    """VODFL (a treatment-emergent reported VOD) and VODHSCFL (a VOD with onset after the HSCT
    date), one row per subject of ADAE.

    Registry: "Percentage of HSCT Transplanted Participants With VOD and Percentage of HSCT
    Non-transplanted Participants With VOD, VOD occurs when the small blood vessels in the liver
    are blocked."
    """
    vod = adae[(adae["AECAT"] == REPORTED) & (adae["VODFL"] == "Y") & (adae["TRTEMFL"] == "Y")]
    ids = pd.Index(adae["USUBJID"].unique(), name="USUBJID")
    out = pd.DataFrame(index=ids)
    out["VODFL"] = yn(ids.to_series().isin(set(vod["USUBJID"])))
    out["VODHSCFL"] = yn(ids.to_series().isin(set(vod.loc[vod["APHSCTFL"] == "Y", "USUBJID"])))
    return out


def derive_vars_toxicity(adae: pd.DataFrame, definitions: dict) -> pd.DataFrame:
    """LIVTOXFL with ASTFL, ALTFL, BILIFL and HEMTOXFL with THRMBFL, NEUTRFL, FNFL from the
    laboratory-derived events of ADAE, one row per subject of ADAE.

    Registry: "Liver toxicity parameters included: Aspartate aminotransferase (level)
    >=2.5*upper limit of normal (ULN); alanine transaminase (level) >=2.5*ULN and total serum
    bilirubin >=1.5*ULN." and "Hematological toxicities included: Febrile neutropenia= absolute
    neutrophil count (ANC) < 1.0*10^9 cells/L, fever >=38.5 degree C); Neutropenia= absolute
    granulocyte count < 1.0*10^9 cells/L; Thrombocytopenia= platelet count < 150,000 platelets per
    microliter."
    """
    lab = adae[adae["AECAT"] == LABORATORY]
    ids = pd.Index(adae["USUBJID"].unique(), name="USUBJID").to_series()
    out = pd.DataFrame(index=ids.index)
    liver = definitions["liver_toxicity"]
    for testcd, flag in LIVER_FLAGS.items():
        out[flag] = yn(ids.isin(set(lab.loc[lab["AEDECOD"] == liver[testcd]["aedecod"], "USUBJID"])))
    for decod, flag in HAEM_FLAGS.items():
        out[flag] = yn(ids.isin(set(lab.loc[lab["AEDECOD"] == decod, "USUBJID"])))
    out["LIVTOXFL"] = yn((out[list(LIVER_FLAGS.values())] == "Y").any(axis=1))
    out["HEMTOXFL"] = yn((out[list(HAEM_FLAGS.values())] == "Y").any(axis=1))
    return out


def derive_subject_safety_flags(
    adae: pd.DataFrame, definitions: dict, subjects: pd.Series | list[str] | None = None
) -> pd.DataFrame:
    """The subject-level safety flags, one row per subject: ``USUBJID`` and ``SAFETY_FLAGS``
    (VODFL, VODHSCFL: :func:`derive_vars_vod`; LIVTOXFL, ASTFL, ALTFL, BILIFL, HEMTOXFL, THRMBFL,
    NEUTRFL, FNFL: :func:`derive_vars_toxicity`).

    ``subjects`` (e.g. ADSL's USUBJID) are the rows returned, in their order: a subject without
    an ADAE record has no event, so every flag 'N'. Without it, the subjects of ADAE.

    No cut-off is applied here: ADAE is derived from the cut's data (:func:`inoflow.adam.derive.derive`
    removes AE, LB and VS records dated after the cut-off before any derivation, inoflow.adam.datacut),
    and every event it counts is dated (a treatment-emergent VOD has an onset date, a
    laboratory-derived event the date of its LB or VS record), so none is after the cut-off.

    >>> adae = pd.DataFrame({"USUBJID": ["A", "A", "B"], "AECAT": ["REPORTED", LABORATORY, LABORATORY],
    ...     "AEDECOD": ["VENO-OCCLUSIVE DISEASE", "AST INCREASED", "FEBRILE NEUTROPENIA"],
    ...     "VODFL": ["Y", "N", "N"], "TRTEMFL": ["Y", "Y", "Y"], "APHSCTFL": ["Y", None, None]})
    >>> defs = {"liver_toxicity": {"AST": {"aedecod": "AST INCREASED"}, "ALT": {"aedecod": "ALT INCREASED"},
    ...                            "BILI": {"aedecod": "BILI INCREASED"}}}
    >>> derive_subject_safety_flags(adae, defs, ["A", "B", "C"]).set_index("USUBJID").T.to_dict("list")
    ... # doctest: +NORMALIZE_WHITESPACE
    {'A': ['Y', 'Y', 'Y', 'Y', 'N', 'N', 'N', 'N', 'N', 'N'],
     'B': ['N', 'N', 'N', 'N', 'N', 'N', 'Y', 'N', 'N', 'Y'],
     'C': ['N', 'N', 'N', 'N', 'N', 'N', 'N', 'N', 'N', 'N']}
    """
    flags = derive_vars_vod(adae).join(derive_vars_toxicity(adae, definitions))
    ids = pd.Index(pd.unique(pd.Series(subjects if subjects is not None else adae["USUBJID"], dtype=object)))
    flags = flags.reindex(ids.rename("USUBJID"))
    for flag in SAFETY_FLAGS:
        flags[flag] = flags[flag].where(flags[flag].notna(), "N").astype(object)
    return flags[SAFETY_FLAGS].reset_index()
