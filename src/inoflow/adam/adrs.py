"""ADRS: response at each bone-marrow assessment and the subject-level response parameters.

Assessment-level parameters (one record per marrow assessment):

- ``OVRLRESP`` response derived from the measurements of that assessment: CR / CRi / NR after
  the first dose; the baseline marrow (the last on or before the first dose) has ABLFL 'Y' and
  AVALC 'BASELINE'; an earlier marrow is 'PRE-TREATMENT';
- ``MRDNEG`` MRD negative (Y/N) at each post-baseline assessment, with the rule used
  (``MRDRULE``: DOCUMENTED, THRESHOLD, OTHER METHOD or NOT ASSESSED);
- ``SITERESP`` the site's own label, as sent, with ``AVALCAT1`` the response it reads as and
  ``RSPDISFL`` 'Y' where that disagrees with the derived response.

Subject-level parameters: ``BOR`` (best overall response), ``CYCRESP`` (cycles to the first
CR/CRi), ``MRDBEST`` (MRD negative at any assessment on or after the first CR/CRi),
``MRDFIRST`` (MRD negative at the first CR/CRi assessment), ``RELAPSE`` (relapse from CR/CRi).

Every record carries the measurements used (BLAST, PLAT, NEUT, MRD, EMD) and the SDTM record it
comes from (SRCDOM, SRCSEQ and the source row).
"""

from __future__ import annotations

import functools
import re

import pandas as pd

from inoflow.adam.common import (
    PROVENANCE,
    TRACE,
    add_sequence,
    compare,
    conform,
    cycle_at,
    empty_trace,
    impute_partial_dates,
    study_day,
    subjects,
    tidy,
    to_date,
    trace,
    treatment_exposure,
)

PARAMS = {
    "OVRLRESP": "Overall response at the marrow assessment (derived)",
    "MRDNEG": "MRD negative at the marrow assessment",
    "SITERESP": "Response as labelled by the site",
    "BOR": "Best overall response (CR > CRi > NR)",
    "CYCRESP": "Number of InO cycles to the first CR/CRi",
    "MRDBEST": "MRD negative on or after the first CR/CRi",
    "MRDFIRST": "MRD negative at the first CR/CRi assessment",
    "RELAPSE": "Relapse from CR/CRi",
}

MARROW = "BONE MARROW"
BLOOD = "BLOOD"
RESPONDED = ("CR", "CRi")

COLUMNS = [
    "STUDYID",
    "USUBJID",
    "ASEQ",
    "SUBJID",
    "SITEID",
    "PARAMCD",
    "PARAM",
    "AVAL",
    "AVALC",
    "AVALCAT1",
    "ADT",
    "ADY",
    "AVISIT",
    "AVISITN",
    "ABLFL",
    "BLAST",
    "PLAT",
    "NEUT",
    "CNTSRC",
    "MRD",
    "MRDMETH",
    "MRDSTAT",
    "MRDRULE",
    "EMD",
    "EMDSITE",
    "RSPDISFL",
    *TRACE,
]
MEASUREMENTS = ["BLAST", "PLAT", "NEUT", "CNTSRC", "MRD", "MRDMETH", "MRDSTAT", "EMD", "EMDSITE"]


# ---------------------------------------------------------------------------------------------
# The rules (one small function each)
# ---------------------------------------------------------------------------------------------


def derive_response_at_assessment(assessments: pd.DataFrame, criteria: dict) -> pd.Series:
    """Response at each post-baseline marrow assessment: 'CR', 'CRi' or 'NR'.

    Registry: "CR was defined as 5 percent (%) bone marrow blasts, no evidence of disease in the
    bone marrow, and recovery of peripheral blood count (platelet count of [more than] >100*10^9
    cells/liter [L] and absolute neutrophil count of >1*10^9 cells/L). CRi was defined as 5% bone
    marrow blasts and no evidence of disease in the bone marrow, but with incomplete recovery of
    peripheral blood count."

    ``criteria`` is ``definitions["complete_remission"]``: blasts ``{le: 5}``, extramedullary
    disease 'N', platelets ``{gt: 100}``, ANC ``{gt: 1.0}``. A missing count is not a recovered one.

    >>> crit = {"marrow_blasts_pct": {"le": 5}, "extramedullary_disease": "N",
    ...         "platelets_recovery": {"gt": 100}, "anc_recovery": {"gt": 1.0}}
    >>> a = pd.DataFrame({"BLAST": [5.0, 5.0, 5.0, 2.0, 2.0], "EMD": ["N", "N", "N", "Y", "N"],
    ...                   "PLAT": [118, 100, 140, 150, 150], "NEUT": [1.5, 1.6, 1.0, 2.0, 2.0]})
    >>> derive_response_at_assessment(a, crit).tolist()
    ['CR', 'CRi', 'CRi', 'NR', 'CR']
    """
    marrow_ok = compare(assessments["BLAST"], criteria["marrow_blasts_pct"]) & (
        assessments["EMD"] == criteria["extramedullary_disease"]
    )
    recovered = compare(assessments["PLAT"], criteria["platelets_recovery"]) & compare(
        assessments["NEUT"], criteria["anc_recovery"]
    )
    out = pd.Series("NR", index=assessments.index, dtype="object")
    out[marrow_ok & recovered] = "CR"
    out[marrow_ok & ~recovered] = "CRi"
    return out


def derive_best_response(responses: pd.Series, order: list[str], not_evaluable: str) -> str:
    """Best overall response over a subject's post-baseline assessments, in the order CR > CRi >
    NR; ``not_evaluable`` ('NE') without any post-baseline marrow.

    Registry: "Number of Participants Who Achieved Complete Remission (CR) or Complete Remission
    With Incomplete Hematological Recovery (CRi) Following Treatment With InO".

    >>> derive_best_response(pd.Series(["NR", "CRi", "CR", "CRi"]), ["CR", "CRi", "NR"], "NE")
    'CR'
    >>> derive_best_response(pd.Series([], dtype=object), ["CR", "CRi", "NR"], "NE")
    'NE'
    """
    present = set(responses.dropna())
    return next((r for r in order if r in present), not_evaluable)


def derive_cycles_to_response(first_response: pd.DataFrame, ex: pd.DataFrame) -> pd.Series:
    """Cycles of InO needed to attain CR/CRi: the cycle of the latest dose on or before the first
    CR/CRi assessment (``first_response``: USUBJID, ADT).

    Registry: "Median Number of Cycles of InO Needed to Attain CR/CRi".

    >>> ex = pd.DataFrame({"USUBJID": ["A"] * 4, "EXCYCLE": [1, 1, 2, 2], "EXDOSE": [0.8, 0.5, 0.5, 0.5],
    ...                    "EXSTDTC": ["2020-01-01", "2020-01-08", "2020-01-29", "2020-02-05"]})
    >>> first = pd.DataFrame({"USUBJID": ["A", "A"], "ADT": pd.to_datetime(["2020-01-25", "2020-01-29"])})
    >>> derive_cycles_to_response(first, ex).tolist()
    [1, 2]
    """
    return cycle_at(first_response, ex, "ADT")


def derive_mrd_negativity(assessments: pd.DataFrame, criteria: dict) -> pd.DataFrame:
    """MRD negative at each assessment (``MRDNEG`` 'Y'/'N') and the rule used (``MRDRULE``).

    Registry: "Negative MRD was defined as documented in medical records or (if unavailable in
    the records) as leukemic cells comprising <1*10^-4 (<0.01%) of bone marrow nucleated cells.
    MRD was assessed by multicolor flow cytometry."

    The documented status (RS MRDSTAT) wins; otherwise MRD < 0.01 % measured by flow cytometry
    (a value without a method is taken as the record's flow cytometry); a value by another method
    is not negative by this definition; no status and no value: not assessed (not negative).

    >>> crit = {"documented_negative": "NEGATIVE", "threshold_pct": {"lt": 0.01}, "method": "FLOW CYTOMETRY"}
    >>> a = pd.DataFrame({"MRDSTAT": ["NEGATIVE", None, None, None, "POSITIVE", None],
    ...                   "MRD": [0.01, 0.01, 0.009, None, 0.0, 0.001],
    ...                   "MRDMETH": ["FLOW CYTOMETRY"] * 5 + ["PCR"]})
    >>> derive_mrd_negativity(a, crit).values.tolist()
    [['Y', 'DOCUMENTED'], ['N', 'THRESHOLD'], ['Y', 'THRESHOLD'], ['N', 'NOT ASSESSED'], ['N', 'DOCUMENTED'], ['N', 'OTHER METHOD']]
    """
    documented = assessments["MRDSTAT"].notna()
    measured = pd.to_numeric(assessments["MRD"], errors="coerce").notna()
    method_ok = assessments["MRDMETH"].isna() | (assessments["MRDMETH"] == criteria["method"])
    negative = documented & (assessments["MRDSTAT"] == criteria["documented_negative"])
    negative |= ~documented & measured & method_ok & compare(assessments["MRD"], criteria["threshold_pct"])
    rule = pd.Series("NOT ASSESSED", index=assessments.index, dtype="object")
    rule[~documented & measured & ~method_ok] = "OTHER METHOD"
    rule[~documented & measured & method_ok] = "THRESHOLD"
    rule[documented] = "DOCUMENTED"
    return pd.DataFrame({"MRDNEG": negative.map({True: "Y", False: "N"}), "MRDRULE": rule})


def derive_relapse(after_first_response: pd.DataFrame, criteria: dict) -> pd.DataFrame:
    """The relapse assessment of each subject: the first marrow after the first CR/CRi with
    blasts > 5 % or extramedullary disease (``after_first_response``: the subjects' assessments
    after their first CR/CRi; no row for a subject without one).

    Registry (RFS): "progressive disease (including objective progression, relapse from CR/CRi,
    ...)"; relapse is the loss of the CR criteria "5% bone marrow blasts, no evidence of disease in
    the bone marrow".

    >>> crit = {"marrow_blasts_pct": {"gt": 5}, "extramedullary_disease": "Y"}
    >>> later = pd.DataFrame({"USUBJID": ["A"] * 3, "ADT": pd.to_datetime(["2020-03-01", "2020-04-01", "2020-05-01"]),
    ...                       "BLAST": [1.0, 1.5, 38.0], "EMD": ["N", "Y", "N"]})
    >>> derive_relapse(later, crit)["ADT"].dt.strftime("%Y-%m-%d").tolist()
    ['2020-04-01']
    """
    lost = compare(after_first_response["BLAST"], criteria["marrow_blasts_pct"]) | (
        after_first_response["EMD"] == criteria["extramedullary_disease"]
    )
    lost = after_first_response[lost].sort_values("ADT", kind="stable")
    return lost.groupby("USUBJID", sort=False).head(1)


def read_site_label(labels: pd.Series, patterns: list[dict]) -> pd.Series:
    """The response category a site's free-text label reads as (first matching pattern of
    ``definitions["site_response_labels"]``; ``None`` if none matches).

    >>> pats = [{"pattern": r"\\bCRi\\b|incomplete count recovery", "response": "CRi"},
    ...         {"pattern": r"^(CR|complete remission)\\b", "response": "CR"},
    ...         {"pattern": r"partial|relapse", "response": "NR"}]
    >>> read_site_label(pd.Series(["CR with incomplete count recovery", "CR MRD+", "Partial remission", "?"]),
    ...                 pats).tolist()
    ['CRi', 'CR', 'NR', None]
    """
    compiled = [(re.compile(p["pattern"], re.IGNORECASE), p["response"]) for p in patterns]

    def one(label):
        if not isinstance(label, str) or not label.strip():
            return None
        return next((response for regex, response in compiled if regex.search(label.strip())), None)

    return labels.map(one).astype("object")


# ---------------------------------------------------------------------------------------------
# Marrow assessments from LB and RS
# ---------------------------------------------------------------------------------------------


def _one_per_day(records: pd.DataFrame, date_column: str, seq_column: str) -> pd.DataFrame:
    out = records.assign(ADT=to_date(records[date_column]))
    return out.sort_values(["USUBJID", "ADT", seq_column], kind="stable").drop_duplicates(["USUBJID", "ADT"])


def _lb_test(lb: pd.DataFrame, code: str, specimen: str | None, extra: dict | None = None) -> pd.DataFrame:
    """One LB test per subject and day: its value as ``<code>``, its LBSEQ as ``<code>SEQ``
    (``specimen`` None: records without a specimen, the laboratory panel)."""
    rows = lb[lb["LBTESTCD"] == code]
    rows = rows[rows["LBSPEC"].isna()] if specimen is None else rows[rows["LBSPEC"] == specimen]
    columns = {"LBSTRESN": code, "LBSEQ": f"{code}SEQ", **(extra or {})}
    rows = rows.assign(**{c: None for c in columns if c not in rows.columns})  # e.g. no site sends MRD methods
    return _one_per_day(rows, "LBDTC", "LBSEQ")[["USUBJID", "ADT", *columns]].rename(columns=columns)


def _rs_test(rs: pd.DataFrame, code: str, extra: dict | None = None) -> pd.DataFrame:
    """One RS test per subject and day: RSSTRESC as ``<code>``, its RSSEQ as ``<code>SEQ``."""
    columns = {"RSSTRESC": code, "RSSEQ": f"{code}SEQ", **(extra or {})}
    rows = _one_per_day(rs[rs["RSTESTCD"] == code], "RSDTC", "RSSEQ")
    return rows[["USUBJID", "ADT", *columns]].rename(columns=columns)


def marrow_assessments(lb: pd.DataFrame, rs: pd.DataFrame) -> pd.DataFrame:
    """One row per bone-marrow assessment (subject and date of a marrow blast count): the
    measurements (BLAST, PLAT, NEUT, MRD with its method, documented MRD status, EMD, EMD site,
    the site's label) and the --SEQ of each SDTM record used.

    The platelet and neutrophil counts are those sent with the marrow (LBSPEC BLOOD); a count
    missing there is taken from the laboratory panel of the same day (``CNTSRC`` says which).
    """
    keys = ["USUBJID", "ADT"]
    blasts = _one_per_day(lb[(lb["LBTESTCD"] == "BLAST") & (lb["LBSPEC"] == MARROW)], "LBDTC", "LBSEQ")
    out = blasts[["STUDYID", "USUBJID", "SUBJID", "SITEID", "ADT", "LBSEQ", *PROVENANCE]].rename(
        columns={"LBSEQ": "BLASTSEQ"}
    )
    out["BLAST"] = blasts["LBSTRESN"].to_numpy()
    for code in ("PLAT", "NEUT"):
        panel = _lb_test(lb, code, None).rename(columns={code: f"{code}_LAB", f"{code}SEQ": f"{code}SEQ_LAB"})
        out = out.merge(_lb_test(lb, code, BLOOD), on=keys, how="left").merge(panel, on=keys, how="left")
    out = out.merge(_lb_test(lb, "MRD", MARROW, extra={"LBMETHOD": "MRDMETH"}), on=keys, how="left")
    for code in ("EMD", "EMDSITE", "MRDSTAT"):
        out = out.merge(_rs_test(rs, code), on=keys, how="left")
    site_provenance = {c: f"SITERESP_{c}" for c in PROVENANCE}
    out = out.merge(_rs_test(rs, "SITERESP", extra=site_provenance), on=keys, how="left")
    lab_used = pd.Series(False, index=out.index)
    for code in ("PLAT", "NEUT"):
        use_lab = out[code].isna() & out[f"{code}_LAB"].notna()
        out.loc[use_lab, code] = out.loc[use_lab, f"{code}_LAB"]
        out.loc[use_lab, f"{code}SEQ"] = out.loc[use_lab, f"{code}SEQ_LAB"]
        lab_used |= use_lab
    out["CNTSRC"] = "ASSESSMENT"
    out.loc[lab_used, "CNTSRC"] = "LABORATORY"
    out.loc[out["PLAT"].isna() & out["NEUT"].isna(), "CNTSRC"] = None
    return out.sort_values(["USUBJID", "ADT"], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# The dataset
# ---------------------------------------------------------------------------------------------


_TRACED = "_TRACE_"  # prefix of an assessment's traceability columns (its blast count's LB record)


def _record(row: pd.Series | dict | None, paramcd: str, subject: dict, **values) -> dict:
    record = {
        "STUDYID": subject["STUDYID"],
        "USUBJID": subject["USUBJID"],
        "SUBJID": subject["SUBJID"],
        "SITEID": subject["SITEID"],
        "PARAMCD": paramcd,
        "PARAM": PARAMS[paramcd],
    }
    if row is not None:
        record.update({"ADT": row["ADT"], "AVISIT": row["AVISIT"], "AVISITN": row["AVISITN"]})
        record.update({m: row[m] for m in MEASUREMENTS})
        record.update({c: row[f"{_TRACED}{c}"] for c in TRACE})  # the blast count's record (LB)
    record.update(values)
    return record


def _trace_to(row: pd.Series | dict, domain: str, seq_column: str, prefix: str | None = None) -> dict:
    """Traceability to another record of the same assessment row (same file and row)."""
    provenance = {c: row[f"{prefix}_{c}"] if prefix else row[c] for c in PROVENANCE}
    seq = row[seq_column]
    return {"SRCDOM": domain, "SRCSEQ": None if pd.isna(seq) else int(seq), **provenance}


def _mrd_trace(row: pd.Series | dict) -> dict:
    if row["MRDRULE"] == "DOCUMENTED":
        return _trace_to(row, "RS", "MRDSTATSEQ")
    if row["MRDRULE"] in ("THRESHOLD", "OTHER METHOD"):
        return _trace_to(row, "LB", "MRDSEQ")
    return {}


def derive_adrs(sdtm: dict[str, pd.DataFrame], definitions: dict) -> pd.DataFrame:
    """ADRS from DM, EX, LB and RS (see the module docstring for the parameters); partial dates
    imputed first by the study's rules (``date_imputation:``)."""
    sdtm = impute_partial_dates(sdtm, definitions)
    cr = definitions["complete_remission"]
    exposure = treatment_exposure(sdtm["EX"]).set_index("USUBJID")
    assessments = marrow_assessments(sdtm["LB"], sdtm["RS"])
    assessments["TRTSDT"] = assessments["USUBJID"].map(exposure["TRTSDT"])
    post = assessments["TRTSDT"].notna() & (assessments["ADT"] > assessments["TRTSDT"])
    pre = assessments["TRTSDT"].notna() & ~post
    baseline_index = assessments[pre].groupby("USUBJID")["ADT"].idxmax()
    assessments["ABLFL"] = None
    assessments.loc[baseline_index.to_numpy(), "ABLFL"] = "Y"
    cycles = cycle_at(assessments, sdtm["EX"], "ADT")
    assessments["AVISIT"] = "PRE-TREATMENT"
    assessments["AVISITN"] = -1
    assessments.loc[assessments["ABLFL"] == "Y", ["AVISIT", "AVISITN"]] = ["BASELINE", 0]
    assessments.loc[post, "AVISIT"] = "CYCLE " + cycles[post].astype(str)
    assessments.loc[post, "AVISITN"] = cycles[post]
    assessments.loc[~pre & ~post, ["AVISIT", "AVISITN"]] = [None, None]
    assessments["RESP"] = None
    assessments.loc[post, "RESP"] = derive_response_at_assessment(assessments[post], cr)
    assessments.loc[assessments["ABLFL"] == "Y", "RESP"] = "BASELINE"
    assessments.loc[pre & (assessments["ABLFL"] != "Y"), "RESP"] = "PRE-TREATMENT"
    mrd = derive_mrd_negativity(assessments, definitions["mrd_negativity"])
    assessments["MRDNEG"], assessments["MRDRULE"] = mrd["MRDNEG"], mrd["MRDRULE"]
    assessments["LABELRESP"] = read_site_label(assessments["SITERESP"], definitions["site_response_labels"])

    # what a subject's records read off an assessment, computed for all assessments at once
    assessments["_POST"] = post
    assessments["_CYCRESP"] = derive_cycles_to_response(assessments[["USUBJID", "ADT"]], sdtm["EX"])
    responded = assessments[post & assessments["RESP"].isin(RESPONDED)]
    after_first = post & (assessments["ADT"] > assessments["USUBJID"].map(responded.groupby("USUBJID")["ADT"].min()))
    assessments["_RELAPSE"] = assessments.index.isin(
        derive_relapse(assessments[after_first], definitions["relapse"]).index
    )
    traced = trace(assessments, "LB", "BLASTSEQ")
    for column in TRACE:
        assessments[f"{_TRACED}{column}"] = traced[column]
    records: list[dict] = []
    # each subject's assessments and doses looked up, not searched for: linear in the subjects
    own_rows: dict[str, list[dict]] = {}  # each subject's assessments as records, in date order
    for row in assessments.to_dict("records"):
        own_rows.setdefault(row["USUBJID"], []).append(row)
    for subject in subjects(sdtm["DM"]).to_dict("records"):
        own = own_rows.get(subject["USUBJID"], [])
        records += _assessment_records(own, subject)
        records += _subject_records([row for row in own if row["_POST"]], subject, definitions)
    adrs = conform(
        pd.DataFrame.from_records(records),
        COLUMNS,
        dates=["ADT"],
        floats=["AVAL", "BLAST", "PLAT", "NEUT", "MRD"],
        integers=["AVISITN", "SRCSEQ", "SRCROW"],
    )
    adrs["ADY"] = study_day(adrs["ADT"], adrs["USUBJID"].map(exposure["TRTSDT"]))
    order = {p: i for i, p in enumerate(PARAMS)}
    adrs["_P"] = adrs["PARAMCD"].map(order)
    adrs = add_sequence(adrs, ["USUBJID", "_P", "ADT"]).drop(columns="_P")
    return tidy(adrs[COLUMNS])


def _assessment_records(own: list[dict], subject: dict) -> list[dict]:
    records = []
    for row in own:
        if row["RESP"] is None:  # no first dose: not placed in time
            continue
        records.append(_record(row, "OVRLRESP", subject, AVALC=row["RESP"], ABLFL=row["ABLFL"]))
        if row["RESP"] in ("CR", "CRi", "NR"):
            records.append(
                _record(row, "MRDNEG", subject, AVALC=row["MRDNEG"], MRDRULE=row["MRDRULE"], **_mrd_trace(row))
            )
        if isinstance(row["SITERESP"], str):
            compared = row["RESP"] in ("CR", "CRi", "NR") and row["LABELRESP"] is not None
            disagree = ("Y" if row["LABELRESP"] != row["RESP"] else "N") if compared else None
            records.append(
                _record(
                    row,
                    "SITERESP",
                    subject,
                    AVALC=row["SITERESP"],
                    AVALCAT1=row["LABELRESP"],
                    ABLFL=row["ABLFL"],
                    RSPDISFL=disagree,
                    **_trace_to(row, "RS", "SITERESPSEQ", prefix="SITERESP"),
                )
            )
    return records


@functools.cache
def _no_trace() -> dict:
    """The missing traceability of a record derived from no single source record."""
    return empty_trace(pd.Index([0])).iloc[0].to_dict()


def _subject_records(post: list[dict], subject: dict, definitions: dict) -> list[dict]:
    """A subject's records of best response, cycles to response, MRD and relapse, from its
    post-baseline assessments (``post``, in date order, with ``_CYCRESP`` and ``_RELAPSE`` of
    :func:`derive_cycles_to_response` and :func:`derive_relapse`)."""
    cr = definitions["complete_remission"]
    best = derive_best_response(
        pd.Series([r["RESP"] for r in post], dtype=object), cr["response_order"], cr["not_evaluable"]
    )
    if best == cr["not_evaluable"]:
        return [_record(None, "BOR", subject, AVALC=best, **_no_trace())]
    best_row = next(r for r in post if r["RESP"] == best)
    records = [_record(best_row, "BOR", subject, AVALC=best)]
    responded = [r for r in post if r["RESP"] in RESPONDED]
    if not responded:
        return records
    first = responded[0]
    cycle = first["_CYCRESP"]
    records.append(_record(first, "CYCRESP", subject, AVAL=cycle, AVALC=None if pd.isna(cycle) else str(cycle)))
    negative = [r for r in post if r["ADT"] >= first["ADT"] and r["MRDNEG"] == "Y"]
    if not negative:
        records.append(_record(first, "MRDBEST", subject, AVALC="N", MRDRULE=first["MRDRULE"], **_mrd_trace(first)))
    else:
        row = negative[0]
        records.append(_record(row, "MRDBEST", subject, AVALC="Y", MRDRULE=row["MRDRULE"], **_mrd_trace(row)))
    records.append(
        _record(first, "MRDFIRST", subject, AVALC=first["MRDNEG"], MRDRULE=first["MRDRULE"], **_mrd_trace(first))
    )
    relapse = [r for r in post if r["_RELAPSE"]]
    if not relapse:
        records.append(_record(None, "RELAPSE", subject, AVALC="N", **_no_trace()))
    else:
        records.append(_record(relapse[0], "RELAPSE", subject, AVALC="Y"))
    return records
