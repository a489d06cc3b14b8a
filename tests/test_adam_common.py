"""ADaM derivations, shared pieces (inoflow.adam.common) - and the helpers the other
``test_adam_*`` modules import:

- :class:`MiniSdtm` builds small hand-made SDTM frames (days counted from the first dose,
  day 0 = 2020-01-01), one subject at a time;
- :func:`demo_study` derives every ADaM dataset from the committed demo extracts, in process
  (ingest -> validate -> harmonise -> pool -> ADaM), once per test session, together with the
  generator's intended truth (``build_cohort()["outcomes"]``), which only the tests read.
"""

from __future__ import annotations

import doctest
import functools
import importlib
import re
from collections import defaultdict
from datetime import date, timedelta
from types import SimpleNamespace

import pandas as pd
import pytest
from conftest import PROJECT_ROOT

from inoflow.adam.common import (
    MONTH_DAYS,
    categorise,
    compare,
    cycle_at,
    impute_partial_date,
    load_definitions,
    months,
    round_half_up,
    study_day,
    to_date,
    treatment_exposure,
)
from inoflow.config import load_study

DEFINITIONS = PROJECT_ROOT / "config" / "definitions" / "india.yaml"
DEMO_CUT = "2023-04-30"
DAY0 = date(2020, 1, 1)


def D(n: int) -> str:  # noqa: N802 (a date written like a study day)
    """ISO date of day ``n`` (day 0 = 2020-01-01, the first dose in the hand-made cases)."""
    return (DAY0 + timedelta(days=n)).isoformat()


def T(n: int) -> pd.Timestamp:  # noqa: N802
    return pd.Timestamp(D(n))


@functools.lru_cache(maxsize=1)
def definitions() -> dict:
    return load_definitions(DEFINITIONS)


class MiniSdtm:
    """Hand-made SDTM domains with the columns the derivations read (and provenance)."""

    DOMAINS = ("DM", "SC", "MH", "EX", "LB", "RS", "VS", "PR", "AE", "CM", "DS", "DD")

    def __init__(self, studyid: str = "TEST", site: str = "XX01"):
        self.studyid, self.site = studyid, site
        self.records: dict[str, list[dict]] = defaultdict(list)
        self.row = 0

    def usubjid(self, sid: str) -> str:
        return f"{self.studyid}-{self.site}-{sid}"

    def _add(self, domain: str, sid: str, row: int | None = None, **values) -> None:
        if row is None:
            self.row += 1
            row = self.row
        self.records[domain].append(
            {
                "STUDYID": self.studyid,
                "DOMAIN": domain,
                "USUBJID": self.usubjid(sid),
                "SUBJID": sid,
                "SITEID": self.site,
                **values,
                "SRCFILE": f"{self.site}/{domain.lower()}.csv",
                "SRCSHA256": "0" * 64,
                "SRCSHEET": None,
                "SRCROW": row,
                "SRCCOLS": "{}",
            }
        )

    def subject(self, sid, age=40, brthdtc=None, sex="M", salvage=1, status="RELAPSED", diag=-400):
        self._add("DM", sid, AGE=age, BRTHDTC=brthdtc, SEX=sex, AGEU="YEARS")
        row = self.row
        for testcd, text, number in (
            ("PHSTAT", "NEGATIVE", None),
            ("TKIFAILN", "0", 0.0),
            ("CD22PCT", "80", 80.0),
            ("DISSTAT", status, None),
            ("PRIORLN", str(salvage), float(salvage)),
            ("SALVLN", str(salvage), float(salvage)),
            ("PRBLINA", "N", None),
        ):
            self._add("SC", sid, row=row, SCTESTCD=testcd, SCSTRESC=text, SCSTRESN=number)
        self._add("MH", sid, row=row, MHSTDTC=D(diag), MHCAT="PRIMARY DIAGNOSIS", MHTERM="B-ALL")
        return self

    def dose(self, sid, cycle, day, dose, cycle_day=None):
        self._add("EX", sid, EXCYCLE=cycle, EXCYDY=cycle_day, EXSTDTC=D(day), EXDOSE=dose, EXDOSU="mg/m2")
        return self

    def cycle(self, sid, cycle, start, doses=(0.8, 0.5, 0.5)):
        for offset, dose in zip((0, 7, 14), doses, strict=False):
            if dose is not None:
                self.dose(sid, cycle, start + offset, dose, cycle_day=offset + 1)
        return self

    def marrow(
        self, sid, day, blast, plat=150.0, neut=2.0, mrd=None, method=None, mrdstat=None, emd="N", site=None, label=None
    ):
        self.row += 1
        row = self.row
        lb = {"LBDTC": D(day), "LBSTNRHI": None}
        self._add("LB", sid, row, LBTESTCD="BLAST", LBSTRESN=blast, LBSTRESU="%", LBSPEC="BONE MARROW", **lb)
        if neut is not None:
            self._add("LB", sid, row, LBTESTCD="NEUT", LBSTRESN=neut, LBSTRESU="10^9/L", LBSPEC="BLOOD", **lb)
        if plat is not None:
            self._add("LB", sid, row, LBTESTCD="PLAT", LBSTRESN=plat, LBSTRESU="10^9/L", LBSPEC="BLOOD", **lb)
        if mrd is not None:
            self._add(
                "LB",
                sid,
                row,
                LBTESTCD="MRD",
                LBSTRESN=mrd,
                LBSTRESU="%",
                LBSPEC="BONE MARROW",
                LBMETHOD=method or "FLOW CYTOMETRY",
                **lb,
            )
        for testcd, value in (("EMD", emd), ("EMDSITE", site), ("MRDSTAT", mrdstat), ("SITERESP", label)):
            if value is not None:
                self._add("RS", sid, row, RSTESTCD=testcd, RSSTRESC=value, RSDTC=D(day))
        return self

    def lab(self, sid, day, testcd, value, uln=None, unit=None):
        units = {"AST": "U/L", "ALT": "U/L", "BILI": "umol/L", "PLAT": "10^9/L", "NEUT": "10^9/L"}
        self._add(
            "LB",
            sid,
            LBTESTCD=testcd,
            LBSTRESN=value,
            LBSTRESU=unit or units.get(testcd),
            LBSPEC=None,
            LBDTC=D(day),
            LBSTNRHI=uln,
        )
        return self

    def temp(self, sid, day, value):
        self._add("VS", sid, VSTESTCD="TEMP", VSSTRESN=value, VSSTRESU="C", VSDTC=D(day))
        return self

    def hsct(self, sid, day):
        self._add("PR", sid, PRSTDTC=D(day), PRTRT="HAPLOIDENTICAL", PRCAT="HAEMATOPOIETIC STEM CELL TRANSPLANT")
        return self

    def ae(self, sid, decod, day, grade=3, end=None):
        self._add(
            "AE",
            sid,
            AETERM=decod.lower(),
            AEDECOD=decod,
            AESTDTC=D(day),
            AEENDTC=None if end is None else D(end),
            AETOXGR=grade,
            AEREL="Y",
            AESER="N",
        )
        return self

    def cm(self, sid, name, start, end=None, category="CONCOMITANT"):
        self._add("CM", sid, CMTRT=name, CMSTDTC=D(start), CMENDTC=None if end is None else D(end), CMCAT=category)
        return self

    def followup(self, sid, status, day, cause=None):
        dead = status == "DEAD"
        self._add("DS", sid, DSDECOD=status, DSSTDTC=D(day), DSDTHDTC=D(day) if dead else None)
        if dead and cause:
            self._add("DD", sid, row=self.row, DDDTC=D(day), DDORRES=cause.lower(), DDSTRESC=cause)
        return self

    def build(self) -> dict[str, pd.DataFrame]:
        columns = {
            "DM": ["AGE", "BRTHDTC", "SEX", "AGEU"],
            "SC": ["SCTESTCD", "SCSTRESC", "SCSTRESN"],
            "MH": ["MHSTDTC", "MHCAT", "MHTERM"],
            "EX": ["EXCYCLE", "EXCYDY", "EXSTDTC", "EXDOSE", "EXDOSU"],
            "LB": ["LBTESTCD", "LBSTRESN", "LBSTRESU", "LBSPEC", "LBDTC", "LBMETHOD", "LBSTNRHI"],
            "RS": ["RSTESTCD", "RSSTRESC", "RSDTC"],
            "VS": ["VSTESTCD", "VSSTRESN", "VSSTRESU", "VSDTC"],
            "PR": ["PRSTDTC", "PRTRT", "PRCAT"],
            "AE": ["AETERM", "AEDECOD", "AESTDTC", "AEENDTC", "AETOXGR", "AEREL", "AESER"],
            "CM": ["CMTRT", "CMSTDTC", "CMENDTC", "CMCAT"],
            "DS": ["DSDECOD", "DSSTDTC", "DSDTHDTC"],
            "DD": ["DDDTC", "DDORRES", "DDSTRESC"],
        }
        ident = ["STUDYID", "DOMAIN", "USUBJID", "SUBJID", "SITEID"]
        provenance = ["SRCFILE", "SRCSHA256", "SRCSHEET", "SRCROW", "SRCCOLS"]
        out = {}
        for domain in self.DOMAINS:
            frame = pd.DataFrame(self.records[domain], columns=[*ident, *columns[domain], *provenance])
            frame.insert(5, f"{domain}SEQ", frame.groupby("USUBJID").cumcount() + 1)
            for column in ("LBSTRESN", "LBSTNRHI", "VSSTRESN", "SCSTRESN", "EXDOSE"):
                if column in frame:
                    frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
            for column in ("AGE", "EXCYCLE", "AETOXGR"):
                if column in frame:
                    frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
            out[domain] = frame
        return out


def standard_subject(
    sdtm: MiniSdtm, sid: str, baseline_blasts: float = 40.0, followup=("ALIVE", 300), cycles=1, **subject
):
    """A subject with a baseline marrow on day -5, ``cycles`` label-schedule cycles every 28
    days from day 0, and the end of follow-up."""
    sdtm.subject(sid, **subject)
    sdtm.marrow(sid, -5, baseline_blasts, plat=60.0, neut=0.8)
    for c in range(cycles):
        sdtm.cycle(sid, c + 1, 28 * c)
    sdtm.followup(sid, *followup)
    return sdtm


# ---------------------------------------------------------------------------------------------
# The demo study, derived once per session
# ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def demo_study() -> SimpleNamespace:
    """SDTM from the committed extracts (as tests/test_round_trip.py does), every ADaM dataset,
    the subject-level safety flags derived from ADAE (one row per ADSL subject), and the
    generator's intended truth keyed by USUBJID."""
    from inodemo.cohort import build_cohort
    from inoflow.adam.adae import derive_adae, derive_subject_safety_flags
    from inoflow.adam.adrs import derive_adrs
    from inoflow.adam.adsl import derive_adsl
    from inoflow.adam.adtte import derive_adtte
    from inoflow.pipeline import build_common_model, harmonise_cut

    india = load_study("config/studies/india.yaml")
    sdtm = build_common_model(india, harmonise_cut(india, india.cuts[DEMO_CUT].extracts))
    defs = load_definitions(india.definitions)
    adrs = derive_adrs(sdtm, defs)
    adae = derive_adae(sdtm, defs)
    adsl = derive_adsl(sdtm, adrs, defs, india.cuts[DEMO_CUT].cutoff)
    adtte = derive_adtte(sdtm, adsl, adrs, defs)
    safety = derive_subject_safety_flags(adae, defs, adsl["USUBJID"])
    truth = build_cohort()["outcomes"]
    truth.index = india.studyid + "-" + truth["SITEID"] + "-" + truth["SUBJID"]
    truth.index.name = "USUBJID"
    return SimpleNamespace(
        sdtm=sdtm, definitions=defs, adrs=adrs, adae=adae, adsl=adsl, adtte=adtte, safety=safety, truth=truth
    )


def flag(value) -> str | None:
    """The truth's booleans as ADaM flags."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    return "Y" if bool(value) else "N"


def same(got, want) -> bool:
    missing = [v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)) or v is pd.NaT for v in (got, want)]
    if any(missing):
        return all(missing)
    return got == want


def assert_per_patient(pairs: list[tuple[str, object, object]]) -> None:
    """``(what, got, want)`` for every patient and fact; all mismatches are listed."""
    wrong = [f"{what}: derived {got!r}, intended {want!r}" for what, got, want in pairs if not same(got, want)]
    assert not wrong, "\n".join(wrong)


# ---------------------------------------------------------------------------------------------
# Tests of inoflow.adam.common
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("module", ["common", "adrs", "adae", "adsl", "adtte"])
def test_01_docstring_examples_run(module, monkeypatch):
    """Every tiny example in the derivation docstrings is true."""
    monkeypatch.chdir(PROJECT_ROOT)
    result = doctest.testmod(importlib.import_module(f"inoflow.adam.{module}"), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_02_definitions_name_every_rule_parameter():
    d = definitions()
    assert d["month_days"] == 30.4375
    assert d["landmarks_months"] == [6, 12]
    cr = d["complete_remission"]
    assert (cr["marrow_blasts_pct"], cr["platelets_recovery"], cr["anc_recovery"]) == (
        {"le": 5},
        {"gt": 100},
        {"gt": 1.0},
    )
    assert d["mrd_negativity"]["threshold_pct"] == {"lt": 0.01}
    assert d["mrd_negativity"]["method"] == "FLOW CYTOMETRY"
    assert d["disease_burden"] == [{"label": "LOW", "lt": 50}, {"label": "HIGH", "ge": 50}]
    assert d["dose"]["standard_mg_m2_per_cycle"] == 1.8 and d["dose"]["rounding_decimals"] == 1
    assert [c["label"] for c in d["age_groups"]] == ["18-65", ">65"]
    assert {k: v["r2uln"] for k, v in d["liver_toxicity"].items() if isinstance(v, dict)} == {
        "AST": {"ge": 2.5},
        "ALT": {"ge": 2.5},
        "BILI": {"ge": 1.5},
    }
    haem = d["hematological_toxicities"]
    assert haem["THROMBOCYTOPENIA"]["value"] == {"lt": 150} and haem["NEUTROPENIA"]["value"] == {"lt": 1.0}
    assert haem["FEBRILE NEUTROPENIA"]["temperature_c"] == {"ge": 38.5}
    assert d["toxicity_window"] == {"days_after_last_dose": 42, "truncate_at_hsct": True}
    assert (d["age_imputation"]["month"], d["age_imputation"]["day"]) == (7, 1)
    assert [c["label"] for c in d["salvage_line_groups"]] == ["1", "2", ">=3"]


def test_03_definitions_file_quotes_the_registry():
    text = " ".join(line.lstrip("# ").strip() for line in DEFINITIONS.read_text(encoding="utf-8").splitlines())
    for quote in (
        "leukemic cells comprising <1*10^-4 (<0.01%) of bone marrow nucleated cells",
        "high disease burden indicated BMB >=50%",
        "Under dose of InO was less than 1.8 mg/m^2 per cycle",
        "total serum bilirubin >=1.5*ULN",
        "Thrombocytopenia= platelet count < 150,000 platelets per microliter",
        "the start of new induction therapy or posttherapy HSCT without achieving CR/CRi",
    ):
        assert quote in text, quote


def test_04_missing_definition_is_refused(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("month_days: 30.4375\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing definitions"):
        load_definitions(broken)


def test_05_comparisons_at_the_boundaries():
    assert compare(5.0, {"le": 5}) and not compare(5.0000001, {"le": 5})
    assert not compare(100.0, {"gt": 100}) and compare(100.1, {"gt": 100})
    assert not compare(1.0, {"gt": 1.0})
    assert not compare(0.01, {"lt": 0.01}) and compare(0.0099, {"lt": 0.01})
    assert compare(50.0, {"ge": 50}) and not compare(49.9, {"ge": 50})
    assert not compare(None, {"lt": 150})  # a missing value meets no rule
    burden = definitions()["disease_burden"]
    assert categorise(pd.Series([49.9, 50.0, 78.0]), burden).tolist() == ["LOW", "HIGH", "HIGH"]
    ages = definitions()["age_groups"]
    assert categorise(pd.Series([18, 65, 66]), ages).tolist() == ["18-65", "18-65", ">65"]


def test_06_cycle_dose_rounding_float_sums():
    """0.8 + 0.5 + 0.5 is 1.8 (standard); doses from mg / BSA kept to 3 decimals round to 1."""
    sums = pd.Series([0.8 + 0.5 + 0.5, 0.1 + 0.2 + 1.5, 0.8 + 0.5 + 0.499, 0.8 + 0.5 + 0.55, 1.75])
    assert round_half_up(sums, 1).tolist() == [1.8, 1.8, 1.8, 1.9, 1.8]


def test_07_dates_and_study_days():
    assert to_date(pd.Series(["2020-02-29", "2020-02-30", "2020", None])).isna().tolist() == [False, True, True, True]
    born = impute_partial_date(pd.Series(["1985"]), 7, 1)
    assert born.iloc[0] == pd.Timestamp("1985-07-01")
    first = pd.Series([T(0)] * 3)
    assert study_day(pd.Series([T(0), T(41), T(-5)]), first).tolist() == [1, 42, -5]
    assert round(months(182, 30.4375), 2) == 5.98 and months(365.25, 30.4375) == 12.0
    assert months(30.4375) == 1.0 and MONTH_DAYS == definitions()["month_days"]


def test_08_treatment_exposure_and_cycle_of_a_date():
    sdtm = MiniSdtm().subject("1").cycle("1", 1, 0).cycle("1", 2, 28, doses=(0.5, 0.5, None)).build()
    exposure = treatment_exposure(sdtm["EX"]).iloc[0]
    assert (exposure["TRTSDT"], exposure["TRTEDT"], exposure["NCYCLES"]) == (T(0), T(35), 2)
    assert exposure["CYCSTDTS"] == [T(0).date(), T(28).date()]
    assert round(exposure["C1DOSE"], 9) == 1.8
    frame = pd.DataFrame({"USUBJID": ["TEST-XX01-1"] * 4, "ADT": [T(-1), T(27), T(28), T(60)]})
    assert cycle_at(frame, sdtm["EX"], "ADT").tolist() == [pd.NA, 1, 2, 2]


REGISTRY = PROJECT_ROOT / "docs" / "sources" / "india_registry_record.txt"


def _normalised(text: str) -> str:
    """Markdown escapes removed (``\\>`` -> ``>``), whitespace collapsed."""
    return " ".join(re.sub(r"\\([\[\]<>*^_])", r"\1", text).split())


def _registry_quotes(text: str) -> list[str]:
    """The passages quoted right after the word "Registry" (split at "..." ellipses)."""
    quotes = re.findall(r"[Rr]egistry[^\"]{0,60}?\"([^\"]+)\"", text)
    return [part.strip(" .,;()") for q in quotes for part in _normalised(q).split("...") if len(part.strip()) > 12]


def test_09_registry_definitions_are_quoted_word_for_word():
    registry = _normalised(REGISTRY.read_text(encoding="utf-8"))
    from inoflow.adam.adtte import TTE_PARAMETERS

    quoted: list[tuple[str, str]] = []
    for name in ("common", "adrs", "adae", "adsl", "adtte"):
        module = importlib.import_module(f"inoflow.adam.{name}")
        for obj in [module, *vars(module).values()]:
            if getattr(obj, "__module__", module.__name__) == module.__name__ and getattr(obj, "__doc__", None):
                quoted += [(f"{name}.{getattr(obj, '__name__', name)}", q) for q in _registry_quotes(obj.__doc__)]
    for parameter in TTE_PARAMETERS.values():
        quoted += [(f"TTE {parameter.paramcd}", p.strip(" .")) for p in parameter.definition.split("...")]
    comments = " ".join(line.lstrip("# ") for line in DEFINITIONS.read_text(encoding="utf-8").splitlines())
    quoted += [("definitions", q) for q in _registry_quotes(comments)]
    assert len(quoted) >= 25
    wrong = [f"{where}: {quote!r}" for where, quote in quoted if _normalised(quote) not in registry]
    assert not wrong, "\n".join(wrong)
