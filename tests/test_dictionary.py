"""The data dictionary (docs/data-dictionary.{html,csv}) is generated from the contract, the
pandera models and the derivations, and the committed files are the generated ones."""

from pathlib import Path

import pandas as pd
import pytest
import yaml
from inoflow.schemas import adam, sdtm

from inoflow.dictionary import COLUMNS, OUTPUTS, build_dictionary, dictionary_frame, write_dictionary

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return dictionary_frame(build_dictionary(ROOT))


def row(frame: pd.DataFrame, level: str, dataset: str, variable: str) -> pd.Series:
    rows = frame[(frame["level"] == level) & (frame["dataset"] == dataset) & (frame["variable"] == variable)]
    assert len(rows) == 1, f"{level} {dataset}.{variable}: {len(rows)} rows"
    return rows.iloc[0]


@pytest.mark.parametrize("name", OUTPUTS)
def test_committed_dictionary_is_up_to_date(tmp_path, name):
    write_dictionary(ROOT, tmp_path)
    committed = ROOT / "docs" / name
    assert committed.exists(), f"docs/{name} missing: run .venv/bin/python scripts/data_dictionary.py"
    assert committed.read_text(encoding="utf-8") == (tmp_path / name).read_text(encoding="utf-8"), (
        f"docs/{name} is out of date: run .venv/bin/python scripts/data_dictionary.py"
    )


def test_paths_come_from_the_root_argument(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    written = write_dictionary(out_dir=tmp_path)
    assert [p.name for p in written] == list(OUTPUTS)
    assert all(p.parent == tmp_path for p in written)


def test_csv_columns(frame):
    assert list(frame.columns) == COLUMNS
    assert set(frame["level"]) == {"raw", "sdtm", "adam"}
    assert not frame.duplicated(["level", "dataset", "variable"]).any()


def test_every_contract_variable_appears_with_its_description():
    contract = yaml.safe_load((ROOT / "config/contract.yaml").read_text(encoding="utf-8"))
    frame = dictionary_frame(build_dictionary(ROOT))
    raw = frame[frame["level"] == "raw"]
    expected = {(d, v) for d, spec in contract["domains"].items() for v in spec["variables"]}
    assert set(zip(raw["dataset"], raw["variable"], strict=True)) == expected
    assert (raw["label"] != "").all(), raw.loc[raw["label"] == "", ["dataset", "variable"]].values.tolist()


def test_patients_required_variables(frame):
    patients = frame[(frame["level"] == "raw") & (frame["dataset"] == "patients")]
    required = patients.loc[patients["required"] == "Y", "variable"].tolist()
    assert required == [
        "SUBJID",
        "SEX",
        "PH_STATUS",
        "TKI_FAILED",
        "CD22_PCT",
        "DIAG_DATE",
        "DISEASE_STATUS",
        "PRIOR_LINES",
        "SALVAGE_LINE",
        "PRIOR_BLINA",
    ]
    assert row(frame, "raw", "patients", "BIRTH_YEAR")["required"] == "one of AGE, BIRTH_YEAR, AGE_YEARS"
    age_years = row(frame, "raw", "patients", "AGE_YEARS")
    # a comma in a description once cut it short (YAML flow mapping): the whole sentence is kept
    assert age_years["label"] == "Age at the first InO dose in years with decimals, where the site sends it"
    assert age_years["type"] == "number (years)"
    assert age_years["source"] == "feeds SC.SCTESTCD AGEYRS"
    assert row(frame, "raw", "patients", "AGE")["rules"] == "plausible 0 to 120 years"


def test_domains_every_site_must_send():
    datasets = {(d.level, d.name): d for d in build_dictionary(ROOT)}
    must = {
        name for (level, name), d in datasets.items() if level == "raw" and dict(d.facts)["a site must send it"] != "no"
    }
    assert must == {"patients", "dosing", "assessments", "followup"}
    assert (
        dict(datasets["raw", "dosing"].facts)["a site must send it"]
        == "yes (inoflow.model.quality.REQUIRED_DOMAINS: EX)"
    )
    assert dict(datasets["raw", "labs"].facts)["a site must send it"] == "no"


def test_codelist_values(frame):
    assert row(frame, "raw", "followup", "STATUS")["codelist"] == "FUSTAT: ALIVE, DEAD, LOST TO FOLLOW-UP"
    assert row(frame, "raw", "adverse_events", "AE_TERM")["codelist"] == (
        "vocabulary ae_terms (config/vocabularies/ae_terms.yaml)"
    )
    assert row(frame, "adam", "ADSL", "DOSECAT")["codelist"] == "STANDARD, UNDER, OVER"
    assert row(frame, "adam", "ADTTE", "PARAMCD")["codelist"].startswith("OS (Overall Survival (days)); RFS")


def test_sdtm_variables_and_their_sources(frame):
    for name, model in sdtm.MODELS.items():
        listed = set(frame.loc[(frame["level"] == "sdtm") & (frame["dataset"] == name), "variable"])
        assert set(model.to_schema().columns) <= listed, name
    age = row(frame, "sdtm", "DM", "AGE")
    assert (age["label"], age["type"], age["source"]) == ("Age", "integer", "patients.AGE")
    assert row(frame, "sdtm", "DM", "AGEU")["source"] == "patients: constant 'YEARS'"
    assert row(frame, "sdtm", "PR", "PRINDC")["source"] == "transplants.CONDITIONING"
    assert "PRBLINA (Prior blinatumomab; patients.PRIOR_BLINA)" in row(frame, "sdtm", "SC", "SCTESTCD")["codelist"]


def test_every_adam_column_appears_with_a_label(frame):
    models = {**adam.MODELS, "ADSLSafety": adam.ADSLSafety}
    for name, model in models.items():
        listed = frame[(frame["level"] == "adam") & (frame["dataset"] == name)]
        columns = {"IC*" if c == r"^IC[A-Z0-9]+$" else c for c in model.to_schema().columns}
        if name == "ADSLSafety":
            columns -= set(adam.ADSL.to_schema().columns)
        assert set(listed["variable"]) == columns, name
        unlabelled = listed.loc[listed["label"] == "", "variable"].tolist()
        assert not unlabelled, f"{name}: give {unlabelled} a label (schemas/adam.py LABELS or Field(title=...))"


def test_adsl_trtsdt(frame):
    trtsdt = row(frame, "adam", "ADSL", "TRTSDT")
    assert trtsdt["label"] == "Date of First Exposure to Treatment"
    assert trtsdt["type"] == "date"
    assert trtsdt["required"] == "N"
    assert trtsdt["definition"] == "First InO dose"
    assert trtsdt["source"].startswith("inoflow.adam.adsl.derive_vars_trt: TRTSDT (first InO dose)")
    assert "TRTSDT must be present exactly when SAFFL is 'Y'" in trtsdt["rules"]


def test_derivations_and_definitions(frame):
    assert row(frame, "adam", "ADSL", "DOSECAT")["source"].endswith("[config/definitions/<study>.yaml: dose]")
    assert row(frame, "adam", "ADSL", "AGE")["source"].startswith("inoflow.adam.adsl.derive_var_age:")
    assert row(frame, "adam", "ADRS", "MRDRULE")["source"].startswith("inoflow.adam.adrs.derive_mrd_negativity:")
    # named in prose ("MRD negative") or as an input, not derived there: the dataset's builder
    assert row(frame, "adam", "ADRS", "MRD")["source"] == "inoflow.adam.adrs.derive_adrs"
    assert row(frame, "adam", "ADAE", "USUBJID")["source"] == "inoflow.adam.adae.derive_adae"
    assert row(frame, "adam", "ADSLSafety", "FNFL")["source"].startswith("inoflow.adam.adae.derive_vars_toxicity:")


def test_html_has_contents_and_a_section_per_dataset():
    text = (ROOT / "docs" / OUTPUTS[0]).read_text(encoding="utf-8")
    for anchor in ("raw-patients", "sdtm-dm", "adam-adsl", "adam-adslsafety"):
        assert f'href="#{anchor}"' in text
        assert f'<section id="{anchor}">' in text
    assert "<td>Date of First Exposure to Treatment</td>" in text
