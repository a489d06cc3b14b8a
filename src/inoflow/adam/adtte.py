"""ADTTE: overall survival (OS), relapse-free survival (RFS), duration of remission (DOR), and
relapse and non-relapse mortality with each other as the competing event (CIR, NRM); OS censored
at HSCT (OSCHSCT), and RFS and DOR censored at the last adequate disease assessment (RFSLDA,
DORLDA) beside the paper's convention (the last date known alive).

The parameters are declared as data, admiral-style: each :class:`TteParameter` names its
population, its start date, its event sources (:class:`EventSource`) and its censoring sources
(:class:`CensorSource`), and for a competing-risks parameter its competing events; one generic
:func:`derive_param_tte` applies any of them:

- a subject's event is the earliest event date on or after the start date (ties: the source
  declared first, the parameter's own events before the competing ones), up to the data
  cut-off (ADSL.DCUTDT); ``CMPRSK`` says which (1 the parameter's event, 2 a competing event,
  0 censored) for a parameter that declares competing events;
- without an event, the subject is censored at the latest censoring date, at most the cut-off
  and at least the start date;
- a parameter may declare sources that end follow-up (``ending``: OS censored at HSCT): the
  subject is censored at such a date when it comes before the first event (an event on the
  same date counts as the event).

Filters are pandas query expressions evaluated on the source dataset joined with the ADSL
variables of the subject (so a filter may compare a source date with ``RESPDT``). SDTM ISO
dates are available as dates under the ``--DTC`` name without its final C (``CMSTDTC`` ->
``CMSTDT``). ``AVAL`` is the number of days from the start date to ``ADT``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from inoflow.adam.common import PROVENANCE, add_dates, conform, impute_partial_dates, stack, tidy, to_date


@dataclass(frozen=True)
class EventSource:
    """An event: records of ``dataset_name`` meeting ``filter``, dated by ``date``."""

    dataset_name: str
    date: str
    description: str  # EVNTDESC
    filter: str | None = None
    srcvar: str | None = None  # the variable the date comes from (default: ``date``)
    seq: str | None = None  # the --SEQ / ASEQ variable of the source record


@dataclass(frozen=True)
class CensorSource:
    """A censoring date: records of ``dataset_name`` meeting ``filter``, dated by ``date``."""

    dataset_name: str
    date: str
    description: str  # EVNTDESC of the censored record
    censor_date_description: str  # CNSDTDSC
    filter: str | None = None
    srcvar: str | None = None
    seq: str | None = None
    censor: int = 1


@dataclass(frozen=True)
class TteParameter:
    """One time-to-event parameter as the protocol states it."""

    paramcd: str
    param: str
    definition: str  # the registry's words
    population: str  # ADSL filter
    start_date: str  # ADSL date variable (STARTDT)
    events: tuple[EventSource, ...]
    censors: tuple[CensorSource, ...]
    note: str = ""  # how the definition is read (start, events, censoring)
    not_collected: tuple[str, ...] = field(default_factory=tuple)  # events the extracts cannot show
    competing: tuple[EventSource, ...] = ()  # events that preclude the parameter's own (CMPRSK 2)
    ending: tuple[CensorSource, ...] = ()  # dates that end follow-up, censored, when before the first event


DEATH = EventSource("DS", "DSDTHDT", "DEATH", filter="DSDECOD == 'DEAD'", srcvar="DSDTHDTC", seq="DSSEQ")
RELAPSE = EventSource(
    "ADRS", "ADT", "RELAPSE FROM CR/CRI", filter="PARAMCD == 'RELAPSE' and AVALC == 'Y'", srcvar="ADT", seq="ASEQ"
)
NEW_INDUCTION = EventSource(
    "CM",
    "CMSTDT",
    "NEW INDUCTION THERAPY WITHOUT CR/CRI",
    filter="CMCAT == @new_induction_cmcat and (RESPDT.isna() or CMSTDT < RESPDT)",
    srcvar="CMSTDTC",
    seq="CMSEQ",
)
HSCT_WITHOUT_RESPONSE = EventSource(
    "PR",
    "PRSTDT",
    "HSCT WITHOUT CR/CRI",
    filter="PRCAT == @hsct_prcat and (RESPDT.isna() or PRSTDT < RESPDT)",
    srcvar="PRSTDTC",
    seq="PRSEQ",
)
DEATH_WITHOUT_RELAPSE = replace(DEATH, description="DEATH WITHOUT RELAPSE")  # the first of death and relapse
LAST_ALIVE = CensorSource("ADSL", "LSTALVDT", "LAST KNOWN ALIVE", "LAST KNOWN ALIVE DATE", srcvar="LSTALVDT")
# the last marrow with an evaluable overall response up to the cut-off (definitions: adequate_assessment)
LAST_ADEQUATE_ASSESSMENT = CensorSource(
    "ADRS",
    "ADT",
    "LAST ADEQUATE DISEASE ASSESSMENT",
    "LAST ADEQUATE ASSESSMENT DATE",
    filter="PARAMCD == @adequate_paramcd and AVALC in @adequate_avalc and (DCUTDT.isna() or ADT <= DCUTDT)",
    srcvar="ADT",
    seq="ASEQ",
)
HSCT = CensorSource("PR", "PRSTDT", "HSCT", "HSCT DATE", filter="PRCAT == @hsct_prcat", srcvar="PRSTDTC", seq="PRSEQ")

TTE_PARAMETERS: dict[str, TteParameter] = {
    "OS": TteParameter(
        paramcd="OS",
        param="Overall Survival (days)",
        definition=(
            "Survival rate: percentage of participants in a study or treatment group who were still alive for a "
            "certain period of time after they were diagnosed with or started treatment for a disease."
        ),
        note="From the first InO dose to death, censored at the last date known alive; landmarks 6 and 12 months "
        "post initiation of InO treatment.",
        population="SAFFL == 'Y'",
        start_date="TRTSDT",
        events=(DEATH,),
        censors=(LAST_ALIVE,),
    ),
    "RFS": TteParameter(
        paramcd="RFS",
        param="Relapse-Free Survival (days)",
        definition=(
            "RFS was defined as time from index date to the earliest date of the following events: death, "
            "progressive disease (including objective progression, relapse from CR/CRi, treatment discontinuation "
            "due to global deterioration of health status), or the start of new induction therapy or posttherapy "
            "HSCT without achieving CR/CRi. Index date was defined as the date of initiation of the first cycle of "
            "InO. ... Median duration of relapse free survival in all participants included those participants who "
            "had achieved CR/CRi is reported in this outcome measure."
        ),
        note="Responders; from the first InO dose; 'without achieving CR/CRi' read as before the first CR/CRi "
        "assessment; censored at the last date known alive.",
        population="RESPFL == 'Y'",
        start_date="TRTSDT",
        events=(DEATH, RELAPSE, NEW_INDUCTION, HSCT_WITHOUT_RESPONSE),
        censors=(LAST_ALIVE,),
        not_collected=("treatment discontinuation due to global deterioration of health status",),
    ),
    "DOR": TteParameter(
        paramcd="DOR",
        param="Duration of Remission (days)",
        definition=(
            "Remission was defined as either the reduction or disappearance of the signs and symptoms of leukemia "
            "for this study."
        ),
        note="Responders; from the first CR/CRi to relapse or death, censored at the last date known alive; "
        "evaluable (DOREVFL) with a marrow after the first CR/CRi or an event.",
        population="RESPFL == 'Y'",
        start_date="RESPDT",
        events=(RELAPSE, DEATH),
        censors=(LAST_ALIVE,),
    ),
    "OSCHSCT": TteParameter(
        paramcd="OSCHSCT",
        param="Overall Survival, Censored at HSCT (days)",
        definition="",  # not a registry outcome: survival without the transplant's effect (issue 16)
        note="As OS, censored at the first HSCT on or after the first InO dose when it comes before death.",
        population="SAFFL == 'Y'",
        start_date="TRTSDT",
        events=(DEATH,),
        censors=(LAST_ALIVE,),
        ending=(HSCT,),
    ),
    "RFSLDA": TteParameter(
        paramcd="RFSLDA",
        param="Relapse-Free Survival, Censored at Last Adequate Assessment (days)",
        definition="",  # RFS under the FDA convention for censoring (issue 16)
        note="As RFS, censored at the last adequate disease assessment (the last marrow with an evaluable "
        "overall response up to the cut-off) instead of the last date known alive (FDA guidance, Clinical "
        "Trial Endpoints for the Approval of Cancer Drugs and Biologics, 2018).",
        population="RESPFL == 'Y'",
        start_date="TRTSDT",
        events=(DEATH, RELAPSE, NEW_INDUCTION, HSCT_WITHOUT_RESPONSE),
        censors=(LAST_ADEQUATE_ASSESSMENT,),
        not_collected=("treatment discontinuation due to global deterioration of health status",),
    ),
    "DORLDA": TteParameter(
        paramcd="DORLDA",
        param="Duration of Remission, Censored at Last Adequate Assessment (days)",
        definition="",  # DOR under the FDA convention for censoring (issue 16)
        note="As DOR, censored at the last adequate disease assessment (the last marrow with an evaluable "
        "overall response up to the cut-off) instead of the last date known alive (FDA guidance, 2018).",
        population="RESPFL == 'Y'",
        start_date="RESPDT",
        events=(RELAPSE, DEATH),
        censors=(LAST_ADEQUATE_ASSESSMENT,),
    ),
    "CIR": TteParameter(
        paramcd="CIR",
        param="Time to Relapse, Death Without Relapse Competing (days)",
        definition="",  # not a registry outcome: the cumulative incidence of relapse (issue 16)
        note="Responders; from the first InO dose, as RFS; relapse from CR/CRi the event, death without "
        "relapse the competing event; censored at the last date known alive.",
        population="RESPFL == 'Y'",
        start_date="TRTSDT",
        events=(RELAPSE,),
        competing=(DEATH_WITHOUT_RELAPSE,),
        censors=(LAST_ALIVE,),
    ),
    "NRM": TteParameter(
        paramcd="NRM",
        param="Time to Death Without Relapse, Relapse Competing (days)",
        definition="",  # not a registry outcome: non-relapse mortality (issue 16)
        note="Responders; from the first InO dose, as RFS; death without relapse the event, relapse from "
        "CR/CRi the competing event; censored at the last date known alive.",
        population="RESPFL == 'Y'",
        start_date="TRTSDT",
        events=(DEATH_WITHOUT_RELAPSE,),
        competing=(RELAPSE,),
        censors=(LAST_ALIVE,),
    ),
}

COLUMNS = [
    "STUDYID",
    "USUBJID",
    "SUBJID",
    "SITEID",
    "PARAMCD",
    "PARAM",
    "STARTDT",
    "ADT",
    "AVAL",
    "AVALU",
    "CNSR",
    "CMPRSK",
    "EVNTDESC",
    "CNSDTDSC",
    "DOREVFL",
    "SRCDOM",
    "SRCVAR",
    "SRCSEQ",
    *PROVENANCE,
]
FRAME = [
    "USUBJID",
    "ADT",
    "STARTDT",
    "CNSR",
    "CMPRSK",
    "EVNTDESC",
    "CNSDTDSC",
    "SRCDOM",
    "SRCVAR",
    "SRCSEQ",
    *PROVENANCE,
]
FRAME += ["_CUT", "_ORDER"]


def _query_values(definitions: dict) -> dict:
    """Values the filters refer to with ``@name`` (taken from the definitions)."""
    return {
        "new_induction_cmcat": definitions["relapse_free_survival"]["new_induction_therapy_cmcat"],
        "hsct_prcat": definitions["hsct"]["prcat"],
        "adequate_paramcd": definitions["adequate_assessment"]["paramcd"],
        "adequate_avalc": list(definitions["adequate_assessment"]["avalc"]),
    }


def _candidates(source, datasets: dict[str, pd.DataFrame], population: pd.DataFrame, values: dict) -> pd.DataFrame:
    """The dated records of one source for the population, with their traceability."""
    data = datasets[source.dataset_name]
    if data is None or data.empty:
        return pd.DataFrame(columns=["USUBJID", "ADT", "SRCSEQ", *PROVENANCE])
    if source.dataset_name != "ADSL":
        data = add_dates(data).merge(population, on="USUBJID", how="inner", suffixes=("", "_ADSL"))
    else:
        data = population
    if source.filter:
        data = data.query(source.filter, engine="python", local_dict=values)
    out = pd.DataFrame({"USUBJID": data["USUBJID"], "ADT": to_date(data[source.date])})
    out["SRCSEQ"] = pd.to_numeric(data[source.seq], errors="coerce") if source.seq else pd.NA
    for column in PROVENANCE:
        out[column] = data[column] if (column in data.columns and source.dataset_name != "ADSL") else None
    out["SRCDOM"] = source.dataset_name
    out["SRCVAR"] = source.srcvar or source.date
    return out.dropna(subset=["ADT"])


def derive_param_tte(
    datasets: dict[str, pd.DataFrame], adsl: pd.DataFrame, parameter: TteParameter, definitions: dict
) -> pd.DataFrame:
    """Apply one declared :class:`TteParameter`: the earliest event on or after the start date
    and up to the cut-off, else censoring at the latest censoring date (capped at the cut-off).

    ``datasets`` holds every dataset the sources name (SDTM domains, ADRS, ADSL).

    >>> adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": ["A", "B"], "SUBJID": ["1", "2"], "SITEID": "X",
    ...     "SAFFL": "Y", "TRTSDT": pd.to_datetime(["2023-01-01"] * 2),
    ...     "LSTALVDT": pd.to_datetime(["2023-04-30", "2023-03-01"]), "DCUTDT": pd.Timestamp("2023-04-30")})
    >>> ds = pd.DataFrame({"USUBJID": ["A", "B"], "DSSEQ": [1, 1], "DSDECOD": ["DEAD", "ALIVE"],
    ...                    "DSDTHDTC": ["2023-04-30", None]})
    >>> out = derive_param_tte({"DS": ds, "ADSL": adsl}, adsl, TTE_PARAMETERS["OS"], {})
    >>> out[["USUBJID", "AVAL", "CNSR", "EVNTDESC"]].values.tolist()
    [['A', 119, 0, 'DEATH'], ['B', 59, 1, 'LAST KNOWN ALIVE']]
    """
    values = _query_values(definitions) if definitions else {}
    population = adsl.query(parameter.population, engine="python").copy()
    population["STARTDT"] = to_date(population[parameter.start_date])
    population = population[population["STARTDT"].notna()]
    cutoff = to_date(population["DCUTDT"]) if "DCUTDT" in population else pd.Series(pd.NaT, index=population.index)
    population["_CUT"] = cutoff
    if population.empty:
        return pd.DataFrame(columns=[c for c in COLUMNS if c != "DOREVFL"])
    limits = population.set_index("USUBJID")[["STARTDT", "_CUT"]]

    def bounded(frame: pd.DataFrame, order: int) -> pd.DataFrame:
        frame = frame.join(limits, on="USUBJID")
        frame["_ORDER"] = order
        return frame

    events = []
    kinds = [(source, 1) for source in parameter.events] + [(source, 2) for source in parameter.competing]
    kinds += [(source, 0) for source in parameter.ending]  # after the events: an event on the same date wins
    for order, (source, kind) in enumerate(kinds):
        found = bounded(_candidates(source, datasets, population, values), order)
        found = found[(found["ADT"] >= found["STARTDT"]) & (found["_CUT"].isna() | (found["ADT"] <= found["_CUT"]))]
        if kind == 0:  # follow-up ends, censored
            ends = {"CNSR": source.censor, "CNSDTDSC": source.censor_date_description}
            events.append(found.assign(CMPRSK=0, EVNTDESC=source.description, **ends))
        else:
            events.append(found.assign(CNSR=0, CMPRSK=kind, EVNTDESC=source.description, CNSDTDSC=None))
    event = stack(events).reindex(columns=FRAME).sort_values(["USUBJID", "ADT", "_ORDER"], kind="stable")
    event = event.drop_duplicates("USUBJID")

    censors = []
    for order, source in enumerate(parameter.censors):
        found = bounded(_candidates(source, datasets, population, values), order)
        found = found.assign(
            CNSR=source.censor, CMPRSK=0, EVNTDESC=source.description, CNSDTDSC=source.censor_date_description
        )
        late = found["_CUT"].notna() & (found["ADT"] > found["_CUT"])
        found.loc[late, "ADT"] = found.loc[late, "_CUT"]
        found.loc[late, ["CNSDTDSC", "SRCDOM", "SRCVAR"]] = ["DATA CUT-OFF", "ADSL", "DCUTDT"]
        found.loc[late, ["SRCSEQ", *PROVENANCE]] = None
        early = found["ADT"] < found["STARTDT"]
        found.loc[early, "ADT"] = found.loc[early, "STARTDT"]
        censors.append(found)
    censored = stack(censors).reindex(columns=FRAME).sort_values(["USUBJID", "ADT", "_ORDER"], kind="stable")
    censored = censored[~censored["USUBJID"].isin(set(event["USUBJID"]))].drop_duplicates("USUBJID", keep="last")

    missing = population[~population["USUBJID"].isin(set(event["USUBJID"]) | set(censored["USUBJID"]))]
    records = stack(
        [
            event,
            censored,
            pd.DataFrame(
                {  # no event and no censoring date: censored at the start
                    "USUBJID": missing["USUBJID"],
                    "ADT": missing["STARTDT"],
                    "STARTDT": missing["STARTDT"],
                    "CNSR": 1,
                    "CMPRSK": 0,
                    "EVNTDESC": "NO FOLLOW-UP",
                    "CNSDTDSC": "START DATE",
                    "SRCDOM": "ADSL",
                    "SRCVAR": parameter.start_date,
                }
            ),
        ]
    ).reindex(columns=FRAME)
    records["USUBJID"] = records["USUBJID"].astype("object")
    ids = population[["STUDYID", "USUBJID", "SUBJID", "SITEID"]]
    out = ids.merge(records.drop(columns=["_CUT", "_ORDER"], errors="ignore"), on="USUBJID", how="left")
    out["PARAMCD"] = parameter.paramcd
    out["PARAM"] = parameter.param
    out["AVAL"] = (to_date(out["ADT"]) - to_date(out["STARTDT"])).dt.days.astype("Int64")
    out["AVALU"] = "DAYS"
    out["CNSR"] = out["CNSR"].astype("int64")
    out["CMPRSK"] = out["CMPRSK"].astype("Int64") if parameter.competing else pd.NA
    return out


def derive_var_dorevfl(dor: pd.DataFrame, adrs: pd.DataFrame) -> pd.Series:
    """DOREVFL: the remission's duration is evaluable ('Y') with at least one marrow assessment
    after the first CR/CRi, or an event.

    Paper 4.3.3: "Based on available data from 17 study participants, the median duration of
    remission (DOR) was 6 months in the patients who attained CR/CRi."
    """
    assessments = adrs[adrs["PARAMCD"] == "OVRLRESP"][["USUBJID", "ADT"]].merge(
        dor[["USUBJID", "STARTDT"]], on="USUBJID"
    )
    later = set(assessments.loc[to_date(assessments["ADT"]) > to_date(assessments["STARTDT"]), "USUBJID"])
    evaluable = (dor["CNSR"] == 0) | dor["USUBJID"].isin(later)
    return evaluable.map({True: "Y", False: "N"})


def derive_adtte(
    sdtm: dict[str, pd.DataFrame], adsl: pd.DataFrame, adrs: pd.DataFrame, definitions: dict
) -> pd.DataFrame:
    """ADTTE with the parameters of :data:`TTE_PARAMETERS` (OS, RFS, DOR, OSCHSCT, RFSLDA, DORLDA, CIR, NRM); partial dates imputed
    first by the study's rules (``date_imputation:``)."""
    sdtm = impute_partial_dates(sdtm, definitions)
    datasets = {**sdtm, "ADSL": adsl, "ADRS": adrs}
    parts = []
    for parameter in TTE_PARAMETERS.values():
        records = derive_param_tte(datasets, adsl, parameter, definitions)
        records["DOREVFL"] = derive_var_dorevfl(records, adrs) if parameter.start_date == "RESPDT" else None
        parts.append(records)
    adtte = stack(parts)
    adtte = conform(adtte, COLUMNS, dates=["STARTDT", "ADT"], integers=["SRCSEQ", "SRCROW", "CMPRSK"])
    order = {p: i for i, p in enumerate(TTE_PARAMETERS)}
    adtte = adtte.assign(_P=adtte["PARAMCD"].map(order)).sort_values(["USUBJID", "_P"], kind="stable")
    return tidy(adtte[COLUMNS].reset_index(drop=True))
