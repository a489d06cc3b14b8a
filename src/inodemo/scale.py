"""A synthetic study of any size, for the benchmark (scripts/benchmark.py --sites S --patients P).

SYNTHETIC: no record describes a real person. The study is the Indian demo study grown to
``sites`` sites of ``patients`` patients each: site k writes in the dialect of the demo's site
k mod 5 (IN01..IN05: two Excel workbooks, three sets of CSV files in their own formats, codes
and units, footers and deleted records as the demo sites write them), so every dialect the
demo's Indian sites use is exercised in rotation. Its patients are the demo cohort's
(src/inodemo/cohort.py) replicated, each site's from the demo site whose dialect it writes:
replica r of a demo patient is shifted in time by a whole number of days (r mod DAYS), in age
by whole years (two at a time) and, from replica DAYS on, its diagnosis earlier by r div DAYS
years, all derived from r, so that no two patients share the facts that recognise one patient
sent twice (sex, birth year or age, diagnosis and first dose: within a site and across sites).

Everything is written into a copy of the project (inoflow.project.copy_project): the study file
``config/studies/india.yaml`` names the new sites and one cut, each site's dialect is the demo
site's file under its new id, and the extracts go to ``data/scale/<cut>/``. The workflow runs
the copy as it runs the demo.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import yaml

from inodemo.cohort import build_cohort
from inodemo.render import render_site
from inoflow.config import load_study

TEMPLATES = ("IN01", "IN02", "IN03", "IN04", "IN05")
CUT = "2025-06-30"
DAYS = 540  # a replica's shift in days is r mod DAYS (the demo ends on 2023-04-30: all before the cut)
AGES = 9  # and its shift in age, 2 * (r // DAYS mod AGES) years: 0, +2, ... +16 (older only: adults stay adults)
# and its diagnosis r // DAYS years (of 365 days) earlier: replicas r and r + DAYS share their first
# dose, and two sites' patients with the same sex, diagnosis and first dose may be one patient sent
# twice (inoflow.model.quality: one_subject_one_site, which does not compare ages); a year, not a
# day, since two demo patients' times from diagnosis to first dose may differ by a few days


def site_ids(sites: int) -> list[str]:
    """SA00..SA99, SB00, ...: two letters and two digits, as a site id is written."""
    return [f"S{chr(ord('A') + k // 100)}{k % 100:02d}" for k in range(sites)]


def _shift(frame: pd.DataFrame, days: pd.Series) -> pd.DataFrame:
    """Every date column of ``frame`` moved by ``days`` (a value per row)."""
    frame = frame.copy()
    delta = pd.to_timedelta(days, unit="D")
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            frame[column] = values + delta
        elif values.dtype == object and values.map(lambda v: isinstance(v, date)).any():
            frame[column] = [
                v + timedelta(days=int(d)) if isinstance(v, date) else v for v, d in zip(values, days, strict=True)
            ]
    return frame


def scale_truth(sites: int, patients: int, seed: int | None = None) -> dict[str, pd.DataFrame]:
    """The demo cohort's truth grown to ``sites`` x ``patients`` patients (see the module docstring)."""
    base = build_cohort() if seed is None else build_cohort(seed)
    demo = base["patients"][["SITEID", "SUBJID"]]
    pools = {t: demo.loc[demo["SITEID"] == t, "SUBJID"].tolist() for t in TEMPLATES}
    # site k writes as demo site t = TEMPLATES[k mod 5], with t's own patients replicated (the
    # demo's truth holds what each site sends: an age or a birth year, its units): patient j of
    # site k is the n-th patient written in t's dialect, n = (k div 5) * patients + j, which is
    # t's patient n mod len(pool), replica n div len(pool)
    rows = []
    for k, site in enumerate(site_ids(sites)):
        template = TEMPLATES[k % len(TEMPLATES)]
        pool = pools[template]
        for j in range(patients):
            n = (k // len(TEMPLATES)) * patients + j
            rows.append((site, j, template, pool[n % len(pool)], n // len(pool)))
    plan = pd.DataFrame(rows, columns=["NEW_SITE", "NUMBER", "SITEID", "SUBJID", "REPLICA"])
    plan["NEW_SUBJID"] = [f"P{n + 1:05d}" for n in plan["NUMBER"]]
    plan["DAYS"] = plan["REPLICA"] % DAYS
    # older by 0, 2, ... 16 years than the demo patient, never younger: the study enrols adults, and
    # an 18-year-old made younger would be refused by ADSL (AGE >= 18); two years apart, because
    # replicas r and r + DAYS share their dates, and ages a year apart may be one patient
    # (inoflow.model.quality: the same sex, dates and an age at most a year apart)
    plan["YEARS"] = 2 * ((plan["REPLICA"] // DAYS) % AGES)
    plan["DIAG_EARLIER"] = 365 * (plan["REPLICA"] // DAYS)  # days: a year per r div DAYS
    truth = {}
    for domain, frame in base.items():
        if "SUBJID" not in frame.columns or domain == "outcomes":
            continue
        if domain == "screening":  # enrolled cases only: each keeps its screening row
            frame = frame[frame["SUBJID"].notna() & frame["SUBJID"].ne("")]
        rows = plan.merge(frame, on=["SITEID", "SUBJID"], how="inner", sort=False)
        rows = _shift(rows, rows["DAYS"])
        if "DIAG_DATE" in rows.columns:
            rows["DIAG_DATE"] = _shift(rows[["DIAG_DATE"]], -rows["DIAG_EARLIER"])["DIAG_DATE"]
        if "AGE" in rows.columns:
            rows["AGE"] = rows["AGE"] + rows["YEARS"]
        if "BIRTH_YEAR" in rows.columns:
            rows["BIRTH_YEAR"] = rows["BIRTH_YEAR"] - rows["YEARS"]
        if "SCREEN_ID" in rows.columns:
            rows["SCREEN_ID"] = [
                f"SCR-{s[1:]}-{n + 1:05d}" for s, n in zip(rows["NEW_SITE"], rows["NUMBER"], strict=True)
            ]
        rows["SITEID"], rows["SUBJID"] = rows["NEW_SITE"], rows["NEW_SUBJID"]
        truth[domain] = rows[list(frame.columns)].reset_index(drop=True)
    return truth


def configure_scale_study(project: Path, sites: int, patients: int) -> None:
    """Configure the copy of the project at ``project`` as the scaled study (its study file,
    the sites' dialects, the entry configuration); the extracts are not touched."""
    project = Path(project)
    config = project / "config"
    (config / "sites" / "scale").mkdir(parents=True, exist_ok=True)
    study_path = config / "studies" / "india.yaml"
    study = yaml.safe_load(study_path.read_text(encoding="utf-8"))
    study["title"] = f"Synthetic scale study: {sites} sites x {patients} patients (the Indian demo grown)"
    study["sites"] = {}
    for k, site in enumerate(site_ids(sites)):
        dialect = yaml.safe_load((config / "sites" / "india" / f"{TEMPLATES[k % len(TEMPLATES)]}.yaml").read_text())
        dialect["site"], dialect["name"] = site, f"Scale site {site} (synthetic)"
        path = config / "sites" / "scale" / f"{site}.yaml"
        path.write_text(yaml.safe_dump(dialect, sort_keys=False, allow_unicode=True), encoding="utf-8")
        study["sites"][site] = f"config/sites/scale/{site}.yaml"
    study["cuts"] = {CUT: {"cutoff": CUT, "status": "interim", "extracts": f"data/scale/{CUT}"}}
    study["publication_cut"] = CUT
    study.setdefault("data_quality", {})["study_window"] = {"start": "2017-01-01", "end": CUT}
    study_path.write_text(yaml.safe_dump(study, sort_keys=False, allow_unicode=True), encoding="utf-8")
    main = yaml.safe_load((config / "config.yaml").read_text(encoding="utf-8"))
    main["studies"] = ["config/studies/india.yaml"]
    (config / "config.yaml").write_text(yaml.safe_dump(main, sort_keys=False), encoding="utf-8")


def generated_marker(project: Path) -> Path:
    """The file saying which study the extracts under ``data/scale/`` are (``S x P``), written
    once they are all written: a benchmark may reuse them (scripts/benchmark.py --keep)."""
    return Path(project) / "data" / "scale" / "generated.txt"


def write_scale_study(project: Path, sites: int, patients: int, workers: int = 1) -> list[Path]:
    """Configure the copy of the project at ``project`` as the scaled study and write its
    extracts (``workers`` processes writing sites side by side); returns the files written."""
    project = Path(project)
    configure_scale_study(project, sites, patients)
    generated_marker(project).unlink(missing_ok=True)
    global _TRUTH, _SITES  # noqa: PLW0603 (read by the forked workers, not pickled to them)
    truth = scale_truth(sites, patients)
    # each site's rows set apart once (a site's file is written from its own rows only)
    _TRUTH = {
        domain: (dict(tuple(frame.groupby("SITEID", sort=False))), frame.iloc[0:0]) for domain, frame in truth.items()
    }
    with contextlib.chdir(project):  # the study's paths are relative to its folder
        _SITES = load_study("config/studies/india.yaml", check=False).sites
    out = project / "data" / "scale" / CUT
    work = [(site, out) for site in _SITES]
    if workers > 1:  # sites written side by side in processes forked with the truth in memory
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            done = list(pool.map(_render_one, work))
    else:
        done = [_render_one(job) for job in work]
    _TRUTH, _SITES = {}, {}
    generated_marker(project).write_text(f"{sites} x {patients}\n", encoding="utf-8")
    return [path for paths in done for path in paths]


_TRUTH: dict[str, tuple[dict[str, pd.DataFrame], pd.DataFrame]] = {}  # domain -> (site -> rows, no rows)
_SITES: dict = {}


def _render_one(job: tuple[str, Path]) -> list[Path]:
    site, out = job
    own = {domain: by_site.get(site, none) for domain, (by_site, none) in _TRUTH.items()}
    return render_site(own, _SITES[site], out)
