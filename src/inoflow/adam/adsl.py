"""ADSL: one record per subject, every variable by a named ``derive_var_*`` / ``derive_vars_*``
function citing the definition it applies.

Variables: STUDYID, USUBJID, SUBJID, SITEID, DCUTDT, AGE, AAGE, AGEU, AGEGR1, SEX, PHSTAT, TKIFAILN,
CD22PCT, DISSTAT, PRIORLN, SALVLN, SALVLNGR, PRBLINA, PRINDCT, DIAGDT, DIAGDTF, TRTSDT, TRTEDT, NCYCLES, C1DOSE,
DOSECAT, DOSEMODFL, BLBLAST, BURDEN, EMDBLFL, BESTRSP, RESPFL, RESPDT, CYCRESP, MRDNEGFL,
HSCTFL, HSCTDT, HSCT1CFL, CMFL, DTHFL, DTHDT, DTHDTF, DTHCAUS, LSTALVDT, EOSSTT, LTFUWIN, POSTBLFL,
FASFL, SAFFL, RESPPOPFL.

ADSL reads no adverse events (neither AE nor ADAE): the subject-level safety flags (VODFL,
VODHSCFL, LIVTOXFL, ASTFL, ALTFL, BILIFL, HEMTOXFL, THRMBFL, NEUTRFL, FNFL) are derived from ADAE
by :func:`inoflow.adam.adae.derive_subject_safety_flags` and joined onto ADSL by the safety and
death endpoints, so that a changed adverse-event file does not rerun ADSL, ADTTE and the
endpoints that do not use adverse events.

The data cut-off (``cutoff``) bounds what is known at the cut: a death, HSCT or contact dated
after it is not counted, and the last date known alive is at most the cut-off.
"""

from __future__ import annotations

import pandas as pd

from inoflow.adam.common import (
    categorise,
    cycle_doses,
    first_hsct,
    impute_partial_date,
    impute_partial_dates,
    months,
    round_half_up,
    subjects,
    tidy,
    to_date,
    treatment_exposure,
    yn,
)

COLUMNS = [
    "STUDYID",
    "USUBJID",
    "SUBJID",
    "SITEID",
    "DCUTDT",
    "AGE",
    "AAGE",
    "AGEU",
    "AGEGR1",
    "SEX",
    "PHSTAT",
    "TKIFAILN",
    "CD22PCT",
    "DISSTAT",
    "PRIORLN",
    "SALVLN",
    "SALVLNGR",
    "PRBLINA",
    "PRINDCT",
    "DIAGDT",
    "DIAGDTF",
    "TRTSDT",
    "TRTEDT",
    "NCYCLES",
    "C1DOSE",
    "DOSECAT",
    "DOSEMODFL",
    "BLBLAST",
    "BURDEN",
    "EMDBLFL",
    "BESTRSP",
    "RESPFL",
    "RESPDT",
    "CYCRESP",
    "MRDNEGFL",
    "HSCTFL",
    "HSCTDT",
    "HSCT1CFL",
    "CMFL",
    "DTHFL",
    "DTHDT",
    "DTHDTF",
    "DTHCAUS",
    "LSTALVDT",
    "EOSSTT",
    "LTFUWIN",
    "POSTBLFL",
    "FASFL",
    "SAFFL",
    "RESPPOPFL",
]

SC_VARIABLES = {  # SCTESTCD -> (ADSL variable, numeric)
    "PHSTAT": ("PHSTAT", False),
    "TKIFAILN": ("TKIFAILN", True),
    "CD22PCT": ("CD22PCT", True),
    "DISSTAT": ("DISSTAT", False),
    "PRIORLN": ("PRIORLN", True),
    "SALVLN": ("SALVLN", True),
    "PRBLINA": ("PRBLINA", False),
    "PRINDCT": ("PRINDCT", False),
    "AGEYRS": ("AGEYRS", True),
}


def _by_subject(adsl: pd.DataFrame, values: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """Left-join subject-level values (indexed by USUBJID) onto ADSL."""
    frame = values.to_frame() if isinstance(values, pd.Series) else values
    frame = frame.drop(columns=[c for c in frame.columns if c in adsl.columns and c != "USUBJID"])
    return adsl.merge(frame, left_on="USUBJID", right_index=True, how="left")


# ---------------------------------------------------------------------------------------------
# Demographics and disease history
# ---------------------------------------------------------------------------------------------


def derive_var_age(dm: pd.DataFrame, trtsdt: pd.Series, definitions: dict) -> pd.Series:
    """AGE in completed years at the first InO dose: as sent (DM.AGE), or from the year of birth
    (DM.BRTHDTC) with the birth date imputed to 1 July (``definitions["age_imputation"]``).

    Contract: "Age in completed years at the first InO dose"; docs/demo-cohort.md: IN03 sends the
    year of birth, "1 July of it gives the same age".

    >>> dm = pd.DataFrame({"USUBJID": ["A", "B", "C"], "AGE": [40, None, None], "BRTHDTC": [None, "1985", "1985"]})
    >>> trtsdt = pd.Series(pd.to_datetime(["2020-01-01", "2020-06-30", "2020-07-01"]), index=["A", "B", "C"])
    >>> derive_var_age(dm, trtsdt, {"age_imputation": {"month": 7, "day": 1}}).tolist()
    [40, 34, 35]
    """
    rule = definitions["age_imputation"]
    birth = impute_partial_date(dm["BRTHDTC"].astype("string"), rule["month"], rule["day"])
    start = to_date(dm["USUBJID"].map(trtsdt))
    before_birthday = (start.dt.month < birth.dt.month) | (
        (start.dt.month == birth.dt.month) & (start.dt.day < birth.dt.day)
    )
    imputed = (start.dt.year - birth.dt.year - before_birthday.astype(int)).where(birth.notna() & start.notna())
    sent = pd.to_numeric(dm["AGE"], errors="coerce")
    return sent.where(sent.notna(), imputed).astype("Int64").set_axis(dm.index)


def derive_var_aage(age: pd.Series, age_years: pd.Series) -> pd.Series:
    """AAGE, analysis age in years with decimals at the first dose: as sent (SC AGEYRS, contract
    "Age at the first InO dose in years with decimals") where the site sends it, else AGE.

    The Italian abstract reports "the median age at the start of IO treatment was 52.7 years".

    >>> derive_var_aage(pd.Series([52, 40], dtype="Int64"), pd.Series([52.7, None])).tolist()
    [52.7, 40.0]
    """
    exact = pd.to_numeric(age_years, errors="coerce").astype("float64")
    return exact.where(exact.notna(), pd.to_numeric(age, errors="coerce").astype("float64"))


def age_from_years(age: pd.Series, age_years: pd.Series) -> pd.Series:
    """AGE in completed years where only the age with decimals was sent: its whole part."""
    whole = pd.to_numeric(age_years, errors="coerce").astype("float64").apply(lambda v: v // 1)
    return age.where(age.notna(), whole.astype("Int64"))


def derive_var_agegr1(age: pd.Series, definitions: dict) -> pd.Series:
    """AGEGR1 '18-65' (18 <= age <= 65) or '>65'.

    Registry: "Number of Participants Achieving MRD Negativity ... in Elderly Participants (>65
    Years)"; paper Table 1: "18-65 years", ">65 years".

    >>> derive_var_agegr1(pd.Series([65, 66]), {"age_groups": [{"label": "18-65", "ge": 18, "le": 65},
    ...                                                          {"label": ">65", "gt": 65}]}).tolist()
    ['18-65', '>65']
    """
    return categorise(age, definitions["age_groups"])


def derive_vars_sc(sc: pd.DataFrame) -> pd.DataFrame:
    """PHSTAT, TKIFAILN, CD22PCT, DISSTAT, PRIORLN, SALVLN, PRBLINA from SC (one value per
    subject and test; numbers from SCSTRESN, codes from SCSTRESC).

    Registry eligibility: "were CD22 positive", "were Philadelphia chromosome positive", "failed
    treatment with at least one Tyrosine Kinase Inhibitor".
    """
    out = pd.DataFrame(index=pd.Index(sc["USUBJID"].unique(), name="USUBJID"))
    for testcd, (variable, numeric) in SC_VARIABLES.items():
        rows = sc[sc["SCTESTCD"] == testcd].drop_duplicates("USUBJID").set_index("USUBJID")
        out[variable] = rows["SCSTRESN" if numeric else "SCSTRESC"]
    for variable in ("TKIFAILN", "PRIORLN", "SALVLN"):
        out[variable] = pd.to_numeric(out[variable], errors="coerce").round().astype("Int64")
    out["CD22PCT"] = pd.to_numeric(out["CD22PCT"], errors="coerce").astype("float64")
    return out


def derive_var_salvlngr(salvln: pd.Series, definitions: dict) -> pd.Series:
    """SALVLNGR '1', '2', '>=3': salvage line of InO.

    Registry: "Salvage therapy is use of drugs after standard conventional chemotherapeutic
    regimens have failed to achieve remission."

    >>> derive_var_salvlngr(pd.Series([1, 2, 3, 4]), {"salvage_line_groups": [{"label": "1", "eq": 1},
    ...     {"label": "2", "eq": 2}, {"label": ">=3", "ge": 3}]}).tolist()
    ['1', '2', '>=3', '>=3']
    """
    return categorise(salvln, definitions["salvage_line_groups"])


def derive_var_diagdt(mh: pd.DataFrame) -> pd.DataFrame:
    """DIAGDT: date of diagnosis of B-cell ALL (MH, MHCAT 'PRIMARY DIAGNOSIS'), and DIAGDTF, its
    imputation flag when the site sent it partial (MHSTDTF, :func:`impute_partial_dates`)."""
    rows = mh[mh["MHCAT"] == "PRIMARY DIAGNOSIS"] if "MHCAT" in mh.columns else mh
    flags = rows["MHSTDTF"] if "MHSTDTF" in rows.columns else None
    rows = rows.assign(DIAGDT=to_date(rows["MHSTDTC"]), DIAGDTF=flags)
    rows = rows.sort_values("DIAGDT").drop_duplicates("USUBJID")
    return rows.set_index("USUBJID")[["DIAGDT", "DIAGDTF"]]


# ---------------------------------------------------------------------------------------------
# Treatment
# ---------------------------------------------------------------------------------------------


def derive_vars_trt(ex: pd.DataFrame) -> pd.DataFrame:
    """TRTSDT (first InO dose), TRTEDT (last InO dose), NCYCLES (cycles received).

    Registry: "Index date was defined as the date of initiation of the first cycle of InO.";
    "The median number of cycles of InO a participant received during treatment were included."
    """
    return treatment_exposure(ex).set_index("USUBJID")[["TRTSDT", "TRTEDT", "NCYCLES"]]


def derive_vars_dose(ex: pd.DataFrame, definitions: dict) -> pd.DataFrame:
    """C1DOSE (cycle-1 dose in mg/m2, rounded to 1 decimal), DOSECAT ('STANDARD', 'UNDER',
    'OVER') and DOSEMODFL (any cycle's dose other than the standard).

    Registry: "Standard dose of InO was 1.8 milligrams (mg) per meter square (m^2) per cycle.
    Under dose of InO was less than 1.8 mg/m^2 per cycle. Overdose of InO was more than 1.8
    mg/m^2 per cycle." and "Number of participants for whom there was deviation in InO dose from
    the standard dose (1.8 mg/ m^2 per cycle) were included."

    >>> ex = pd.DataFrame({"USUBJID": ["A"] * 3 + ["B"] * 2, "EXCYCLE": [1, 1, 1, 1, 1],
    ...                    "EXDOSE": [0.8, 0.5, 0.5, 0.8, 0.5], "EXSTDTC": ["2020-01-01", "2020-01-08",
    ...                    "2020-01-15", "2020-01-01", "2020-01-08"]})
    >>> d = {"dose": {"standard_mg_m2_per_cycle": 1.8, "rounding_decimals": 1, "categories": [
    ...     {"label": "STANDARD", "eq": 1.8}, {"label": "UNDER", "lt": 1.8}, {"label": "OVER", "gt": 1.8}]}}
    >>> derive_vars_dose(ex, d).values.tolist()
    [[1.8, 'STANDARD', 'N'], [1.3, 'UNDER', 'Y']]
    """
    rule = definitions["dose"]
    cycles = cycle_doses(ex)
    cycles["CYDOSE"] = round_half_up(cycles["CYDOSE"], rule["rounding_decimals"])
    c1 = cycles[cycles["EXCYCLE"] == 1].set_index("USUBJID")["CYDOSE"]
    out = pd.DataFrame({"C1DOSE": c1})
    out["DOSECAT"] = categorise(out["C1DOSE"], rule["categories"])
    deviates = cycles.assign(DEV=cycles["CYDOSE"] != rule["standard_mg_m2_per_cycle"]).groupby("USUBJID")["DEV"].any()
    out = out.join(yn(deviates).rename("DOSEMODFL"), how="outer")
    out.index.name = "USUBJID"
    return out


def derive_var_cmfl(cm: pd.DataFrame, exposure: pd.DataFrame) -> pd.Series:
    """CMFL 'Y' if any medication other than InO was taken during the treatment (its period
    overlaps first dose - last dose; no end date: ongoing).

    Registry: "Concomitant medication was defined as any medication other than, and in addition
    to, the study medication taken for any period of time during the treatment."

    >>> cm = pd.DataFrame({"USUBJID": ["A", "B"], "CMSTDTC": ["2020-01-20", "2019-12-01"], "CMENDTC": [None, "2019-12-31"]})
    >>> exposure = pd.DataFrame({"USUBJID": ["A", "B"], "TRTSDT": pd.to_datetime(["2020-01-01"] * 2),
    ...                          "TRTEDT": pd.to_datetime(["2020-01-15"] * 2)})
    >>> derive_var_cmfl(cm, exposure).tolist()
    ['N', 'N']
    """
    periods = cm.assign(START=to_date(cm["CMSTDTC"]), END=to_date(cm["CMENDTC"])).merge(
        exposure[["USUBJID", "TRTSDT", "TRTEDT"]], on="USUBJID", how="inner"
    )
    during = (periods["START"] <= periods["TRTEDT"]) & (periods["END"].isna() | (periods["END"] >= periods["TRTSDT"]))
    taking = set(periods.loc[during, "USUBJID"])
    return yn(exposure["USUBJID"].isin(taking)).set_axis(exposure["USUBJID"]).rename("CMFL")


# ---------------------------------------------------------------------------------------------
# Disease and response (from ADRS)
# ---------------------------------------------------------------------------------------------


def derive_vars_baseline_marrow(adrs: pd.DataFrame, definitions: dict) -> pd.DataFrame:
    """BLBLAST (baseline marrow blasts %), BURDEN ('LOW' < 50 %, 'HIGH' >= 50 %), EMDBLFL
    (extramedullary disease at baseline).

    Registry: "Disease burden was defined using percentage of bone marrow blasts (BMB). In this
    outcome measure low disease burden indicated BMB <50% and high disease burden indicated BMB
    >=50%." EMD: "Extramedullary disease was the presence of leukemic cell aggregates in the form
    of solid tumor outside that of bone marrow."
    """
    base = adrs[(adrs["PARAMCD"] == "OVRLRESP") & (adrs["ABLFL"] == "Y")].drop_duplicates("USUBJID")
    base = base.set_index("USUBJID")
    out = pd.DataFrame({"BLBLAST": base["BLAST"].astype("float64")})
    out["BURDEN"] = categorise(out["BLBLAST"], definitions["disease_burden"])
    out["EMDBLFL"] = base["EMD"].map({"Y": "Y", "N": "N"})
    return out


def derive_vars_response(adrs: pd.DataFrame) -> pd.DataFrame:
    """BESTRSP, RESPFL (CR or CRi), RESPDT (first CR/CRi), CYCRESP (cycles to it), MRDNEGFL
    (responders: MRD negative at any assessment on or after the first CR/CRi), POSTBLFL (a marrow
    after the first dose).

    Registry: "Number of Participants Who Achieved Complete Remission (CR) or Complete Remission
    With Incomplete Hematological Recovery (CRi) Following Treatment With InO"; "Number of
    Participants Who Achieved Minimal Residual Disease (MRD) Negativity Following Initiation of
    Ino Among Those Who Had CR/CRi".
    """

    def param(code: str) -> pd.DataFrame:
        return adrs[adrs["PARAMCD"] == code].drop_duplicates("USUBJID").set_index("USUBJID")

    bor = param("BOR")
    out = pd.DataFrame({"BESTRSP": bor["AVALC"]})
    out["RESPFL"] = yn(out["BESTRSP"].isin(["CR", "CRi"]))
    cycresp = param("CYCRESP")
    out["RESPDT"] = cycresp["ADT"]
    out["CYCRESP"] = pd.to_numeric(cycresp["AVAL"], errors="coerce").round().astype("Int64")
    out["MRDNEGFL"] = param("MRDBEST")["AVALC"]
    post = adrs[(adrs["PARAMCD"] == "OVRLRESP") & adrs["AVALC"].isin(["CR", "CRi", "NR"])]
    out["POSTBLFL"] = yn(out.index.to_series().isin(set(post["USUBJID"])))
    return out


# ---------------------------------------------------------------------------------------------
# HSCT
# ---------------------------------------------------------------------------------------------


def derive_vars_hsct(pr: pd.DataFrame, ex: pd.DataFrame, definitions: dict, cutoff: pd.Timestamp) -> pd.DataFrame:
    """HSCTFL, HSCTDT (first HSCT on or after the first dose, up to the cut-off) and HSCT1CFL
    ('Y' if InO cycles started before the HSCT number exactly one; missing without HSCT).

    Registry: "Number of Participants Who Proceeded to Hematopoietic Stem Cell Transplantation
    (HSCT), HSCT is the transplantation of multipotent hematopoietic stem cells to treat some
    type of cancers and other diseases." Paper 4.3.2: "66.7% (6/9) underwent HSCT after a single
    cycle of InO".
    """
    exposure = treatment_exposure(ex)
    hsct = first_hsct(pr, exposure, definitions)
    hsct = hsct[hsct["HSCTDT"] <= cutoff].set_index("USUBJID")
    out = pd.DataFrame(index=pd.Index(exposure["USUBJID"], name="USUBJID"))
    out["HSCTDT"] = hsct["HSCTDT"]
    out["HSCTFL"] = yn(out["HSCTDT"].notna())
    cycles = cycle_doses(ex).merge(hsct[["HSCTDT"]], left_on="USUBJID", right_index=True)
    before = cycles[cycles["CYSTDT"] <= cycles["HSCTDT"]].groupby("USUBJID")["EXCYCLE"].nunique()
    out["HSCT1CFL"] = yn(before == definitions["hsct"]["single_cycle"]).reindex(out.index)
    out.loc[out["HSCTFL"] != "Y", "HSCT1CFL"] = None
    return out


# ---------------------------------------------------------------------------------------------
# Follow-up and death
# ---------------------------------------------------------------------------------------------


def derive_vars_death(ds: pd.DataFrame, dd: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """DTHFL, DTHDT (death on or before the cut-off), DTHDTF (its imputation flag when the death
    date was partial and the study declares how to impute it) and DTHCAUS (standardised cause, DD).

    Registry: "Number of Participants Categorized According to Cause of Death".

    >>> ds = pd.DataFrame({"USUBJID": ["A", "B"], "DSDECOD": ["DEAD", "DEAD"], "DSDTHDTC": ["2023-04-30", "2023-05-01"]})
    >>> dd = pd.DataFrame({"USUBJID": ["A", "B"], "DDSTRESC": ["RELAPSE", "SEPTIC SHOCK"]})
    >>> derive_vars_death(ds, dd, pd.Timestamp("2023-04-30"))[["DTHFL", "DTHCAUS"]].values.tolist()
    [['Y', 'RELAPSE'], ['N', None]]
    """
    rows = ds.drop_duplicates("USUBJID").set_index("USUBJID")
    death = to_date(rows["DSDTHDTC"])
    dead = (rows["DSDECOD"] == "DEAD") & death.notna() & (death <= cutoff)
    out = pd.DataFrame({"DTHFL": yn(dead), "DTHDT": death.where(dead)})
    flags = rows["DSDTHDTF"] if "DSDTHDTF" in rows.columns else pd.Series(None, index=rows.index, dtype="object")
    out["DTHDTF"] = flags.where(dead & flags.notna(), None).astype("object")  # impute_partial_dates
    causes = dd.drop_duplicates("USUBJID").set_index("USUBJID")["DDSTRESC"] if len(dd) else pd.Series(dtype=object)
    out["DTHCAUS"] = causes.reindex(out.index).where(dead).astype("object")
    out["DTHCAUS"] = out["DTHCAUS"].where(out["DTHCAUS"].notna(), None)
    return out


def derive_var_lstalvdt(sdtm: dict[str, pd.DataFrame], cutoff: pd.Timestamp) -> pd.Series:
    """LSTALVDT: the last date the subject is known alive, up to the cut-off: the latest of the
    last contact (DS.DSSTDTC, "Date last known alive or date of death"), doses, marrow and
    laboratory dates, transplants and medication starts.

    Adverse-event onsets are not read, so that ADSL (and ADTTE, which censors at LSTALVDT) does
    not depend on the adverse-event files. They add nothing when the data are consistent: the
    site's last contact date is the date last known alive, and an AE onset after it is reported
    by the data-quality check ``no_records_after_last_contact`` (inoflow.model.quality). The
    laboratory-derived events of ADAE are dated on LB dates, read here (febrile neutropenia on a
    VS date with a low LB count the same day).

    >>> sdtm = {"DS": pd.DataFrame({"USUBJID": ["A", "B"], "DSSTDTC": ["2020-03-01", "2020-05-01"]}),
    ...         "LB": pd.DataFrame({"USUBJID": ["A"], "LBDTC": ["2020-04-01"]})}
    >>> derive_var_lstalvdt(sdtm, pd.Timestamp("2020-04-15")).dt.strftime("%Y-%m-%d").to_dict()
    {'A': '2020-04-01', 'B': '2020-04-15'}
    """
    sources = [
        ("DS", "DSSTDTC"),
        ("EX", "EXSTDTC"),
        ("LB", "LBDTC"),
        ("RS", "RSDTC"),
        ("PR", "PRSTDTC"),
        ("CM", "CMSTDTC"),
    ]
    dates = [
        pd.DataFrame({"USUBJID": sdtm[name]["USUBJID"], "DT": to_date(sdtm[name][column])})
        for name, column in sources
        if name in sdtm and len(sdtm[name])
    ]
    every = pd.concat(dates, ignore_index=True).dropna(subset=["DT"])
    every["DT"] = every["DT"].where(every["DT"] <= cutoff, cutoff)
    return every.groupby("USUBJID")["DT"].max().rename("LSTALVDT")


def derive_var_eosstt(ds: pd.DataFrame) -> pd.Series:
    """EOSSTT: status at the end of follow-up as the site records it (DS.DSDECOD: ALIVE, DEAD,
    LOST TO FOLLOW-UP)."""
    return ds.drop_duplicates("USUBJID").set_index("USUBJID")["DSDECOD"].rename("EOSSTT")


def derive_var_ltfuwin(ds: pd.DataFrame, trtsdt: pd.Series, definitions: dict) -> pd.Series:
    """LTFUWIN for patients lost to follow-up: months from the first dose to the last contact,
    '<6', '6-12' or '>=12'.

    Paper Figure 1: "Follow-up ranged from 6 months to the latest available records, with 5
    patients lost to follow-up at 6 months and 5 at 12 months." (read as follow-up ending at the
    6- and 12-month visits, docs/demo-cohort.md).

    >>> ds = pd.DataFrame({"USUBJID": ["A", "B", "C"], "DSDECOD": ["LOST TO FOLLOW-UP"] * 2 + ["ALIVE"],
    ...                    "DSSTDTC": ["2020-07-02", "2021-01-01", "2021-01-01"]})
    >>> trtsdt = pd.Series(pd.to_datetime(["2020-01-01"] * 3), index=["A", "B", "C"])
    >>> defs = {"month_days": 30.4375, "lost_to_follow_up_windows": [{"label": "<6", "lt": 6},
    ...         {"label": "6-12", "ge": 6, "lt": 12}, {"label": ">=12", "ge": 12}]}
    >>> derive_var_ltfuwin(ds, trtsdt, defs).tolist()
    ['6-12', '>=12', None]
    """
    rows = ds.drop_duplicates("USUBJID").set_index("USUBJID")
    days = (to_date(rows["DSSTDTC"]) - to_date(rows.index.to_series().map(trtsdt))).dt.days
    window = categorise(months(days, definitions["month_days"]), definitions["lost_to_follow_up_windows"])
    return window.where(rows["DSDECOD"] == "LOST TO FOLLOW-UP", None).rename("LTFUWIN")


# ---------------------------------------------------------------------------------------------
# The dataset
# ---------------------------------------------------------------------------------------------


def derive_vars_popfl(adsl: pd.DataFrame) -> pd.DataFrame:
    """FASFL (every eligible enrolled patient), SAFFL (received at least one InO dose),
    RESPPOPFL (CR/CRi: the population of the MRD, RFS and DOR outcome measures)."""
    return pd.DataFrame(
        {
            "FASFL": "Y",
            "SAFFL": yn(adsl["TRTSDT"].notna()),
            "RESPPOPFL": adsl["RESPFL"].where(adsl["RESPFL"].notna(), "N"),
        },
        index=adsl.index,
    )


def derive_adsl(sdtm: dict[str, pd.DataFrame], adrs: pd.DataFrame, definitions: dict, cutoff: str) -> pd.DataFrame:
    """ADSL from DM, SC, MH, EX, PR, CM, DS, DD (and LB, RS for the last date known alive) and
    ADRS, at the data cut-off ``cutoff`` (ISO date)."""
    cut = pd.Timestamp(cutoff).normalize()
    sdtm = impute_partial_dates(sdtm, definitions)
    dm = sdtm["DM"].drop_duplicates("USUBJID").reset_index(drop=True)
    adsl = subjects(dm)
    adsl["DCUTDT"] = cut
    trt = derive_vars_trt(sdtm["EX"])
    adsl["AGE"] = derive_var_age(dm, trt["TRTSDT"], definitions)
    adsl["AGEU"] = "YEARS"
    adsl["SEX"] = dm["SEX"]
    adsl = _by_subject(adsl, derive_vars_sc(sdtm["SC"]))
    adsl["AGE"] = age_from_years(adsl["AGE"], adsl["AGEYRS"])
    adsl["AGEGR1"] = derive_var_agegr1(adsl["AGE"], definitions)
    adsl["AAGE"] = derive_var_aage(adsl["AGE"], adsl["AGEYRS"])
    adsl["SALVLNGR"] = derive_var_salvlngr(adsl["SALVLN"], definitions)
    adsl = _by_subject(adsl, derive_var_diagdt(sdtm["MH"]))
    adsl = _by_subject(adsl, trt)
    adsl = _by_subject(adsl, derive_vars_dose(sdtm["EX"], definitions))
    adsl = _by_subject(adsl, derive_vars_baseline_marrow(adrs, definitions))
    adsl = _by_subject(adsl, derive_vars_response(adrs))
    adsl.loc[adsl["RESPFL"] != "Y", "MRDNEGFL"] = None
    adsl = _by_subject(adsl, derive_vars_hsct(sdtm.get("PR", pd.DataFrame()), sdtm["EX"], definitions, cut))
    exposure = treatment_exposure(sdtm["EX"])
    adsl = _by_subject(adsl, derive_var_cmfl(sdtm["CM"], exposure))
    adsl = _by_subject(adsl, derive_vars_death(sdtm["DS"], sdtm.get("DD", pd.DataFrame(columns=["USUBJID"])), cut))
    adsl = _by_subject(adsl, derive_var_lstalvdt(sdtm, cut))
    adsl = _by_subject(adsl, derive_var_eosstt(sdtm["DS"]))
    adsl = _by_subject(adsl, derive_var_ltfuwin(sdtm["DS"], trt["TRTSDT"], definitions))
    for flag in ("HSCTFL", "CMFL", "DTHFL", "POSTBLFL"):
        adsl[flag] = adsl[flag].where(adsl[flag].notna(), "N")
    adsl = pd.concat([adsl, derive_vars_popfl(adsl)], axis=1)
    for column in ("DIAGDT", "TRTSDT", "TRTEDT", "RESPDT", "HSCTDT", "DTHDT", "LSTALVDT", "DCUTDT"):
        adsl[column] = to_date(adsl[column])
    for column in ("AGE", "TKIFAILN", "PRIORLN", "SALVLN", "NCYCLES", "CYCRESP"):
        adsl[column] = pd.to_numeric(adsl[column], errors="coerce").astype("Int64")
    for column in ("AAGE", "CD22PCT", "C1DOSE", "BLBLAST"):
        adsl[column] = pd.to_numeric(adsl[column], errors="coerce").astype("float64")
    return tidy(adsl[COLUMNS])
