"""The workflow end to end: Snakemake on the shipped demo, into a temporary results folder."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from conftest import PROJECT_ROOT

from inoflow.config import load_config, load_contract

pytestmark = pytest.mark.workflow
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
CUT = "2023-04-30"


@pytest.fixture(scope="module")
def run(workflow_run):
    """The locked Indian cut of the session's demo run (tests/conftest.py), and the run."""
    results, proc = workflow_run
    return results / "india" / "2023-04-30", proc


def test_the_terminal_shows_one_line_per_job(run):
    """The run's terminal (the logger plugin ``inoflow`` the profile selects): one line per
    finished job, ``[k/N] rule wildcards  done in t``, up to ``[N/N]`` for the target rule;
    no ``Shell command: None``, no input lists: under 600 lines, none over 300 characters (the
    detail is in each job's log and in .snakemake/log/)."""
    import re

    _, proc = run
    lines = (proc.stdout + proc.stderr).splitlines()
    assert len(lines) < 600
    assert max(len(line) for line in lines) <= 300
    assert not any("Shell command: None" in line for line in lines)
    progress = [m for line in lines if (m := re.match(r"\[ *(\d+)/(\d+)\] (\S+) ", line))]
    total = int(progress[-1].group(2))
    assert [int(m.group(1)) for m in progress] == list(range(1, total + 1))  # every job, counted once
    assert progress[-1].group(1, 3) == (str(total), "all")
    assert "Job stats:" in lines and ["total", str(total)] in [line.split() for line in lines]


def test_common_model_has_32_patients_from_5_sites(run):
    cut, _ = run
    dm = pd.read_parquet(cut / "sdtm" / "DM.parquet")
    assert len(dm) == 32
    assert dm["USUBJID"].is_unique
    assert dm.groupby("SITEID").size().to_dict() == {"IN01": 9, "IN02": 7, "IN03": 6, "IN04": 6, "IN05": 4}
    assert dm["USUBJID"].str.startswith("INO-IND-RWS-").all()


def test_every_common_model_domain_is_written_with_provenance(run):
    cut, _ = run
    contract = load_contract()
    india_domains = load_config()["india"].sites["IN02"].domains
    for name in contract.sdtm_domains():
        domain = pd.read_parquet(cut / "sdtm" / f"{name}.parquet")
        if not set(contract.sources_of(name)) & set(india_domains):  # HO: no Indian site sends stays
            assert domain.empty and "HOSTDTC" in domain.columns, name
            continue
        assert len(domain) > 0, name
        assert {"SRCFILE", "SRCSHA256", "SRCSHEET", "SRCROW", "SRCCOLS"} <= set(domain.columns), name
        assert domain["SRCROW"].notna().all(), name


def test_reconciliation_accounts_for_every_row(run):
    cut, _ = run
    recon = pd.read_csv(cut / "reconciliation" / "reconciliation.csv")
    assert len(recon) == 45  # 5 sites x 9 domains
    assert recon["balanced"].all()
    assert (recon["rows_read"] == recon["rows_harmonised"] + recon["rows_rejected"]).all()
    assert recon["rows_unaccounted"].sum() == 0
    rejected = pd.read_csv(cut / "reconciliation" / "rejected_rows.csv")
    reasons = dict(zip(rejected["site"], rejected["REJECT_REASON"], strict=True))
    assert len(rejected) == 2
    assert reasons["IN01"].startswith("report footer written by the EMR export")
    assert reasons["IN04"].startswith("record deleted by the site in its database")


def test_every_rule_wrote_its_log(run):
    cut, _ = run
    per_rule = {d.name: len(list(d.rglob("*.log"))) for d in (cut / "logs").iterdir()}
    # one job per cut and stage (each made of parts: files, families, datasets, endpoints)
    assert per_rule == {
        "extract": 1,
        "pool_sdtm": 1,
        "reconcile_extracts": 1,
        "report_data_quality": 1,
        "derive_adam": 1,
        "run_endpoints": 1,
        "assemble_book": 1,
        "shareable_tables": 1,
        "audit_bundle": 1,
    }
    # IN02's labs file is the same in both cuts, and its part is in the output cache
    # (inoflow.cache). Within one cold run both cuts' jobs may run at once, before either has
    # stored the part, so each log is either a read or a restore; that a later run restores
    # instead of reading is asserted exactly in tests/test_incremental.py. A restored result is
    # a copy, byte for byte, not a link.
    texts = [(cut.parent / c / "logs" / "extract" / "extract.log").read_text() for c in ("2022-09-30", CUT)]
    restored = "IN02/IN02_labs_long.csv: restored from cache entry"
    assert any("IN02 labs: read" in text for text in texts)
    assert all(("IN02 labs: read" in text) != (restored in text) for text in texts)
    harmonised = [cut.parent / c / "harmonised" / "IN02" / "labs.parquet" for c in ("2022-09-30", CUT)]
    assert not any(path.is_symlink() for path in harmonised)
    assert harmonised[0].read_bytes() == harmonised[1].read_bytes()
    # the workbook is one part: every sheet read together (or the whole workbook restored)
    workbook = "IN01/IN01_InO_RWE_export.xlsx"
    for text in texts:
        read = [f"IN01 {domain}: read" in text for domain in load_config()["india"].sites["IN01"].domains]
        assert all(read) != (f"{workbook}: restored from cache entry" in text) and (all(read) or not any(read))


def test_every_india_output_is_written_with_its_table_and_notebook(run):
    import yaml

    cut, _ = run
    catalogue = yaml.safe_load((PROJECT_ROOT / "config/reference/outputs.yaml").read_text(encoding="utf-8"))["india"][
        "endpoints"
    ]
    for endpoint, output_ids in catalogue.items():
        ard = pd.read_parquet(cut / "ard" / f"{endpoint}.parquet")
        assert set(ard["output_id"]) == set(output_ids), endpoint
        for output_id in output_ids:
            assert (cut / "tables" / endpoint / f"{output_id}.csv").exists()
            assert (cut / "tables" / endpoint / f"{output_id}.html").exists()
        assert (cut / "notebooks" / f"{endpoint}.html").stat().st_size > 10_000
    for stem in ("F2_KM_OS", "OM21_KM_RFS", "OM11_KM_DOR"):  # each figure named by its output id
        assert (cut / "figures" / "survival" / f"{stem}.png").exists() and (
            cut / "figures" / "survival" / f"{stem}.svg"
        ).exists()
    assert (cut / "figures" / "response" / "F1_disposition.png").exists()
    comparison = pd.read_csv(cut / "comparison_with_publication.csv")
    assert comparison["status"].value_counts().to_dict() == {"reproduced": 98, "documented difference": 7}
    book = (cut / "book.html").read_text(encoding="utf-8")
    assert "Synthetic demo data" in book and "Appendix: comparison with the publication" in book
    for output_ids in catalogue.values():
        for output_id in output_ids:
            assert f"id='{output_id}'" in book


def test_the_book_as_docx_and_pdf_with_contents_tables_and_figures(run):
    """book.docx: a TOC field, a heading per output in catalogue order, its table cell for cell as
    the display table of the ARD, every figure; book.pdf: contents, each output's heading and
    bookmark, its table's text."""
    import re

    from docx import Document

    from inoflow.tables.report import load_outputs
    from inoflow.tables.shells import display_table

    cut, _ = run
    catalogue = load_outputs_catalogue()
    outputs = load_outputs("india")
    ard = pd.read_parquet(cut / "ard" / "all_outputs.parquet")
    doc = Document(str(cut / "book.docx"))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert headings == [f"{o}. {outputs[o]['title']}" for ids in catalogue.values() for o in ids]
    assert 'TOC \\o "1-2"' in doc.element.xml
    assert len(doc.tables) == len(headings) + 1  # and the comparison with the publication
    order = [o for ids in catalogue.values() for o in ids]
    t6 = display_table(ard, "T6", outputs["T6"]).frame()
    got = [[c.text for c in row.cells] for row in doc.tables[order.index("T6")].rows]
    assert got == [list(t6.columns)] + t6.values.tolist()
    figures = sorted((cut / "figures").glob("*/*.png"))
    assert len(figures) == 15 and len(doc.inline_shapes) == len(figures)  # F1, F2, OM11, OM21, SF1-SF9, SF11, SF12
    pdf = (cut / "book.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and len(re.findall(rb"/Type /Page\b", pdf)) >= 20
    text = pdf.decode("latin-1")
    for output_id in order:
        assert text.count(f"({output_id}. ") >= 2, output_id  # in the contents and as the heading
    assert "(5/11 \\(45.5%\\)" in text and "16.7-76.6])" in text  # a cell of T6, wrapped in its column


def test_each_cut_has_shareable_tables_with_small_cells_suppressed(run):
    """results/<study>/<cut>/shareable/: every output's table from the suppressed ARD, and a book
    of them; T6's 2 patients with VOD among the non-transplanted read <5 there, and stay exact in
    the study's own table."""
    cut, _ = run
    shared = cut / "shareable"
    own = pd.read_parquet(cut / "ard" / "all_outputs.parquet")
    ard = pd.read_parquet(shared / "ard" / "all_outputs.parquet")
    assert ard["ard_row_id"].tolist() == own["ard_row_id"].tolist()
    small = own["stat_name"].isin(["n", "N", "n.risk", "n.event", "n.censored"]) & own["stat"].between(1, 4)
    assert small.sum() > 50 and (ard.loc[small, "stat_fmt"] == "<5").all()
    kept = ~ard["stat_fmt"].isin(["<5", "NR"])
    assert ard.loc[kept, "stat_fmt"].tolist() == own.loc[kept, "stat_fmt"].tolist()
    for output_id in own["output_id"].unique():
        assert (shared / "tables" / f"{output_id}.docx").exists(), output_id
    t6 = pd.read_csv(shared / "tables" / "T6.csv", dtype=str, keep_default_na=False)
    assert t6.iloc[0].tolist() == ["VOD", "5/11 (45.5%) [95% CI 16.7-76.6]", "<5/20"]
    exact = pd.read_csv(cut / "tables" / "safety" / "T6.csv", dtype=str, keep_default_na=False)
    assert exact.iloc[0, 2] == "2/20 (10.0%) [95% CI 1.2-31.7]"
    book = (shared / "book.html").read_text(encoding="utf-8")
    assert "Shareable release" in book and "shown as &lt;5" in book and "id='T6'" in book


def test_the_italian_study_runs_in_the_same_workflow(run):
    """One run, both studies: the Italian cut from 24 centres' extracts to its book, every
    output IT01-IT09 with the comparison with the abstract, every row accounted for."""
    cut = run[0].parents[1] / "italy" / "2022-12-31"
    italy = load_config()["italy"]
    dm = pd.read_parquet(cut / "sdtm" / "DM.parquet")
    assert len(dm) == 73 and dm["SITEID"].nunique() == 24 and dm["USUBJID"].str.startswith("INO-CD22-").all()
    recon = pd.read_csv(cut / "reconciliation" / "reconciliation.csv")
    assert len(recon) == sum(len(site.domains) for site in italy.sites.values())
    assert recon["balanced"].all() and recon["rows_unaccounted"].sum() == 0
    ard = pd.read_parquet(cut / "ard" / "all_outputs.parquet")
    assert set(ard["output_id"]) == {f"IT{i:02d}" for i in range(1, 18)}
    comparison = pd.read_csv(cut / "comparison_with_publication.csv")
    assert comparison["status"].value_counts().to_dict() == {"reproduced": 34, "documented difference": 5}
    book = (cut / "book.html").read_text(encoding="utf-8")
    assert all(f"id='IT{i:02d}'" in book for i in range(1, 18))
    assert "ILLUSTRATIVE demo unit costs" in book and "Synthetic demo data" in book
    for stem in ("IT04_KM_OS", "IT03_KM_DOR", "IT14_KM_OS_by_HSCTTD", "IT15_KM_OS_by_HSCTLM"):
        assert (cut / "figures" / "survival" / f"{stem}.png").exists()
    assert len(pd.read_parquet(cut / "adam" / "ADRU.parquet")) == 73 * 11
    assert (cut / "audit" / "italy_2022-12-31_audit.zip").exists()


def test_every_table_and_figure_carries_its_provenance(run):
    """HTML tables and figures end with where they come from: the ADaM files with their sha256,
    the data cut, the notebook and code hash, the git commit, run time and package versions."""
    import hashlib
    import json

    cut, _ = run
    record = json.loads((cut / "tables" / "survival" / "provenance.json").read_text(encoding="utf-8"))
    assert record["cut"] == CUT and record["cutoff"] == CUT and record["program"] == "notebooks/survival.ipynb"
    for name in ("ADSL", "ADTTE"):
        assert record["sources"][name] == hashlib.sha256((cut / "adam" / f"{name}.parquet").read_bytes()).hexdigest()
    assert len(record["git"]["commit"]) == 40 and record["packages"]["lifelines"] == "0.30.3"
    table = (cut / "tables" / "survival" / "F2.html").read_text(encoding="utf-8")
    assert f"Source: ADSL (sha256 {record['sources']['ADSL'][:12]})" in table
    assert f"Code version: git {record['git']['commit'][:12]}" in table
    assert "<td data-ard-row-ids=" in table and "inoflow-trace --output F2 --row 1 " in table
    svg = (cut / "figures" / "survival" / "F2_KM_OS.svg").read_text(encoding="utf-8")
    assert f"git {record['git']['commit'][:12]}" in svg
    book = (cut / "book.html").read_text(encoding="utf-8")
    assert book.count("class='provenance'") == len([o for ids in load_outputs_catalogue().values() for o in ids])


def load_outputs_catalogue():
    import yaml

    text = (PROJECT_ROOT / "config/reference/outputs.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["india"]["endpoints"]


def test_the_audit_bundle_is_a_provenance_run_crate_of_the_cut(run):
    import hashlib
    import json
    import zipfile

    cut, _ = run
    with zipfile.ZipFile(cut / "audit" / f"india_{CUT}_audit.zip") as bundle:
        crate = json.loads(bundle.read("ro-crate-metadata.json"))
        graph = {entity["@id"]: entity for entity in crate["@graph"]}
        files = {i: e for i, e in graph.items() if e["@type"] == "File" or "File" in e["@type"]}
        # every file is in the zip with the sha256 the crate gives it
        for name, entity in files.items():
            assert hashlib.sha256(bundle.read(name)).hexdigest() == entity["sha256"], name
        manifest = bundle.read("extracts/manifest.sha256").decode()
        assert bundle.read("ro-crate-metadata.json") == (cut / "audit" / "ro-crate-metadata.json").read_bytes()
        names = set(bundle.namelist())
    locked = [
        line
        for line in (PROJECT_ROOT / "config/locks/india" / f"{CUT}.sha256").read_text().splitlines()
        if not line.startswith("#")
    ]
    assert manifest.splitlines() == locked  # the manifest of the locked cut, file for file
    for folder in (
        "ingest/",
        "sdtm/",
        "adam/",
        "ard/",
        "data_quality/",
        "notebooks/",
        "tables/",
        "figures/",
        "workflow/",
    ):
        assert any(n.startswith(folder) for n in names), folder
    assert {
        "book.html",
        "ard/survival.lineage.parquet",
        "ard/survival.subjects.parquet",
        "workflow/Snakefile",
        "workflow/config/studies/india.yaml",
    } <= names
    root = graph["./"]
    assert {"https://w3id.org/ro/wfrun/provenance/0.5", "https://w3id.org/ro/wfrun/workflow/0.5"} <= {
        p["@id"] for p in root["conformsTo"]
    }
    workflow = graph[root["mainEntity"]["@id"]]
    assert "ComputationalWorkflow" in workflow["@type"] and workflow["@id"] == "workflow/Snakefile"
    steps = {s["@id"] for s in workflow["step"]}
    run_action = graph["#run"]
    assert {o["@id"] for o in run_action["object"]} == {f"extracts/{line.split('  ')[1]}" for line in locked}
    jobs = [e for e in graph.values() if e["@type"] == "CreateAction" and e["@id"].startswith("#job-")]
    rules = {graph[j["instrument"]["@id"]]["name"] for j in jobs}
    assert {"rule extract", "rule derive_adam", "rule run_endpoints", "rule assemble_book", "rule pool_sdtm"} <= rules
    controls = [e for e in graph.values() if e["@type"] == "ControlAction"]
    assert len(controls) == len(jobs) and {c["instrument"]["@id"] for c in controls} == steps
    adam_job = next(j for j in jobs if {"@id": "adam/ADSL.parquet"} in j.get("result", []))
    assert {"@id": "adam/ADRS.parquet"} in adam_job["result"] and {"@id": "sdtm/DM.parquet"} in adam_job["object"]
    assert adam_job["startTime"] <= adam_job["endTime"]
    extract_job = next(j for j in jobs if graph[j["instrument"]["@id"]]["name"] == "rule extract")
    assert {"@id": "ingest/IN02/labs.parquet"} in extract_job["result"]
    assert not any("/." in e["@id"] for e in extract_job["result"])  # no .snakemake_timestamp
    assert graph["#snakemake-run"]["result"] == {"@id": "#run"}


def test_snakemakes_own_report_of_the_run(run, tmp_path):
    cut, _ = run
    report = tmp_path / "report.html"
    proc = subprocess.run(
        [*SNAKEMAKE, "--report", str(report), "--config", f"results={cut.parents[1]}"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert report.stat().st_size > 100_000 and "Report created" in proc.stderr + proc.stdout
    text = report.read_text(encoding="utf-8")
    assert "From the hospitals" in text  # the landing page (workflow/report/workflow.rst)
    for shown in ("Tables: survival", "Figures: survival", "SF8_swimmer", "F1_disposition", "OM17", "book (PDF)"):
        assert shown in text, shown  # the book, tables and figures by study, cut and endpoint


def test_noop_rerun_plans_nothing(run):
    cut, _ = run
    proc = subprocess.run(
        [*SNAKEMAKE, "-n", "--cores", "2", "--config", f"results={cut.parents[1]}"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_lint_is_clean():
    proc = subprocess.run([*SNAKEMAKE, "--lint"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def broken_cut(tmp_path, edits, policy="fail"):
    """A configuration whose only study is India with one interim cut 'broken': the demo's
    extracts with ``edits`` applied (relative path -> function of the file's text)."""
    import shutil

    import yaml

    extracts = tmp_path / "extracts"
    shutil.copytree(PROJECT_ROOT / "data" / "india" / "2023-04-30", extracts)
    for relative, edit in edits.items():
        path = extracts / relative
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    study = yaml.safe_load((PROJECT_ROOT / "config" / "studies" / "india.yaml").read_text(encoding="utf-8"))
    study["cuts"] = {
        "broken": {"cutoff": "2023-04-30", "status": "interim", "extracts": str(extracts), "validation_policy": policy}
    }
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(study), encoding="utf-8")
    config = yaml.safe_load((PROJECT_ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    config["studies"] = [str(tmp_path / "study.yaml")]
    config["results"] = str(tmp_path / "results")
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return tmp_path / "config.yaml", tmp_path / "results" / "india" / "broken"


def replace_on_line(line: int, old: str, new: str):
    def edit(text: str) -> str:
        lines = text.splitlines(keepends=True)
        assert old in lines[line - 1]
        lines[line - 1] = lines[line - 1].replace(old, new, 1)
        return "".join(lines)

    return edit


def run_snakemake(configfile, *extra):
    return subprocess.run(
        [*SNAKEMAKE, "--cores", "2", "--configfile", str(configfile), *extra],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )


def test_bad_extract_stops_with_a_readable_message_and_no_partial_output(tmp_path):
    """A cut whose IN02 adverse-event file has 31/02/2019: the run fails, the message names
    site, file, row, column, value and rule, no Python traceback is shown, and the failing
    job leaves no output behind."""
    configfile, cut = broken_cut(
        tmp_path, {"IN02/IN02_adverse_events.csv": replace_on_line(4, "25/10/2017", "31/02/2019")}
    )
    proc = run_snakemake(configfile, "--until", "extract")
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "site IN02, file IN02/IN02_adverse_events.csv, row 4, column 'Start date', value '31/02/2019'" in output
    assert "AE_START must be a calendar date written dd/mm/yyyy" in output
    assert "Traceback" not in output
    # the cut's extract job fails whole: nothing of it is left as if current, and the files it
    # read are in the output cache (the next run reads only the corrected file)
    assert not (cut / "validated").exists() and not (cut / "ingest").exists()
    log = (cut / "logs" / "extract" / "extract.log").read_text()
    assert "IN02/IN02_adverse_events.csv: refused, 1 finding(s)" in log
    assert "output cache: 0 of 29 parts restored; computed: " in log and "IN02/IN02_patients.csv" in log


def test_an_identifier_is_refused_and_reaches_no_file_or_log(tmp_path):
    def add_name(text: str) -> str:
        lines = text.splitlines()
        return "\n".join(line + (",Patient name" if i == 0 else ",Sunita Ramaswamy") for i, line in enumerate(lines))

    configfile, cut = broken_cut(tmp_path, {"IN02/IN02_patients.csv": add_name})
    proc = run_snakemake(configfile, "--until", "extract")
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "site IN02, file IN02/IN02_patients.csv, column 'Patient name'" in output
    assert "[identifier kind: person_name]" in output
    assert "Ramaswamy" not in output
    written = [p for p in (tmp_path / "results").rglob("*") if p.is_file()]
    assert written  # the other extracts were processed and logged
    assert not any(b"Ramaswamy" in p.read_bytes() for p in written)
    assert not (cut / "ingest" / "IN02" / "patients.parquet").exists()


def test_quarantine_finishes_and_lists_every_rejected_row(tmp_path):
    """Policy quarantine (an interim cut): an impossible date and an implausible blast count
    are set aside with their reasons; the run completes, the reconciliation balances, and the
    data-quality report and the book list both rows."""
    configfile, cut = broken_cut(
        tmp_path,
        {
            "IN02/IN02_adverse_events.csv": replace_on_line(4, "25/10/2017", "31/02/2019"),
            "IN02/IN02_bone_marrow.csv": replace_on_line(2, "02-0001,27/06/2017,27,", "02-0001,27/06/2017,127,"),
        },
        policy="quarantine",
    )
    proc = run_snakemake(configfile)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rejected = pd.read_csv(cut / "reconciliation" / "rejected_rows.csv")
    quarantined = rejected[rejected["site"] == "IN02"].set_index("domain")
    assert quarantined.loc["adverse_events", "SRCROW"] == 4
    assert "AE_START must be a calendar date written dd/mm/yyyy" in quarantined.loc["adverse_events", "REJECT_REASON"]
    assert quarantined.loc["assessments", "SRCROW"] == 2
    assert "BM_BLASTS 127 % is outside the plausible range 0-100 %" in quarantined.loc["assessments", "REJECT_REASON"]
    recon = pd.read_csv(cut / "reconciliation" / "reconciliation.csv").set_index(["site", "domain"])
    assert recon["balanced"].all()
    assert recon.loc[("IN02", "adverse_events"), ["rows_read", "rows_harmonised", "rows_rejected"]].tolist() == [
        26,
        25,
        1,
    ]
    dq = pd.read_csv(cut / "data_quality" / "data_quality.csv")
    assert dq[["site", "file", "row", "column", "stage"]].values.tolist() == [
        ["IN02", "IN02/IN02_adverse_events.csv", 4, "Start date", "extract"],
        ["IN02", "IN02/IN02_bone_marrow.csv", 2, "Blasts %", "extract"],
    ]
    book = (cut / "book.html").read_text(encoding="utf-8")
    assert "Appendix: data quality" in book and "31/02/2019" in book
    assert len(pd.read_parquet(cut / "sdtm" / "DM.parquet")) == 32


def test_the_demo_cut_has_a_clean_data_quality_report_in_the_book(run):
    cut, _ = run
    assert pd.read_csv(cut / "data_quality" / "data_quality.csv").empty
    checks = pd.read_csv(cut / "data_quality" / "checks.csv")
    assert len(checks) >= 10 and checks["failures"].eq(0).all()
    listing = pd.read_csv(cut / "listings" / "screened_not_eligible.csv")
    assert len(listing) == 18
    assert listing["Reason not eligible"].value_counts().to_dict() == {
        "InO not given as monotherapy": 6,
        "Not CD22 positive": 4,
        "Age under 18 years": 3,
        "Ph-positive without failure of at least one TKI": 3,
        "Not relapsed or refractory": 2,
    }
    book = (cut / "book.html").read_text(encoding="utf-8")
    assert "Appendix: data quality" in book and "No findings." in book
    assert "Appendix: screened cases not eligible" in book and "SCR-01-004" in book


def test_a_locked_cut_whose_files_differ_from_its_manifest_stops_naming_them(tmp_path):
    """The demo's locked cut has a manifest (config/locks/india/2023-04-30.sha256): a run on
    extracts where one file was changed after the lock stops before any job, naming it."""
    import yaml

    configfile, _ = broken_cut(
        tmp_path, {"IN02/IN02_adverse_events.csv": replace_on_line(4, "25/10/2017", "26/10/2017")}
    )
    study = yaml.safe_load((tmp_path / "study.yaml").read_text(encoding="utf-8"))
    study["cuts"] = {"2023-04-30": {**study["cuts"]["broken"], "status": "locked", "validation_policy": "fail"}}
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(study), encoding="utf-8")
    proc = run_snakemake(configfile, "-n")
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "changed: IN02/IN02_adverse_events.csv" in output
    assert "IN02/IN02_patients.csv" not in output
    assert "Traceback" not in output
