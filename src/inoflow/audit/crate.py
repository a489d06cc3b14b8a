"""The audit bundle of a cut: one zip that is a Workflow Run RO-Crate (Provenance Run Crate).

``results/<study>/<cut>/audit/<study>_<cut>_audit.zip`` holds, under one
``ro-crate-metadata.json``:

- ``extracts/``: the files the sites sent, and ``extracts/manifest.sha256`` (sha256 of each,
  the format of ``config/locks/``; ``sha256sum --check`` reads it). A file in which the
  de-identification gate found an identifier (masked under policy quarantine) is withheld: in
  its place ``<file>.withheld.txt`` gives its sha256 and what was found, never the value;
- ``ingest/`` (every row as read, with file, sha256, sheet and row), ``sdtm/``, ``adam/``,
  ``ard/`` with the lineage tables, ``data_quality/``, ``reconciliation/``, ``listings/``;
- ``book.html``, ``comparison_with_publication.csv``, ``tables/``, ``figures/`` and the
  executed ``notebooks/``;
- ``workflow/``: the Snakefile, rules, configuration, notebooks and scripts that ran.

The crate follows the Provenance Run Crate profile (https://w3id.org/ro/wfrun/provenance/0.5):
the Snakefile is the main ``ComputationalWorkflow`` with one ``HowToStep`` per rule; the run
is a ``CreateAction`` (object: the extracts; result: the book, ARD and datasets); each job
Snakemake ran is a ``CreateAction`` (its inputs, outputs, start and end, from Snakemake's own
run records in ``.snakemake/metadata``) with a ``ControlAction`` tying it to its step, and an
``OrganizeAction`` for Snakemake itself. Every file carries its sha256.
"""

from __future__ import annotations

import base64
import json
import logging
import mimetypes
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from inoflow.audit.lock import checksums, sha256_file
from inoflow.audit.provenance import git_state, package_versions

log = logging.getLogger(__name__)

PROFILES = {
    "https://w3id.org/ro/wfrun/process/0.5": "Process Run Crate",
    "https://w3id.org/ro/wfrun/workflow/0.5": "Workflow Run Crate",
    "https://w3id.org/ro/wfrun/provenance/0.5": "Provenance Run Crate",
    "https://w3id.org/workflowhub/workflow-ro-crate/1.0": "Workflow RO-Crate",
}

RESULT_FOLDERS = (
    "ingest",
    "sdtm",
    "adam",
    "ard",
    "data_quality",
    "reconciliation",
    "listings",
    "tables",
    "figures",
    "notebooks",
)
RESULT_FILES = ("book.html", "book.docx", "book.pdf", "comparison_with_publication.csv")
WORKFLOW_FILES = ("Snakefile", "workflow/rules/*.smk", "workflow/schemas/*.yaml", "scripts/*.py", "notebooks/*.ipynb")


def files_with_identifiers(cut_dir: Path) -> dict[str, list[str]]:
    """The extracts (path relative to the cut's extract folder) in which the de-identification
    gate found an identifier, or a finding had to mask a cell's text (a name typed into a coded
    column), with what was found, from the extract stage's findings."""
    import csv

    from inoflow.extract.deid import identifier_kind, is_masked

    found: dict[str, set[str]] = {}
    for path in sorted((Path(cut_dir) / "validated").rglob("*.findings.csv")):
        with open(path, encoding="utf-8", newline="") as handle:
            for finding in csv.DictReader(handle):
                if not finding.get("file"):
                    continue
                kind = identifier_kind(finding.get("rule"))
                if kind:
                    found.setdefault(finding["file"], set()).add(kind)
                elif is_masked(finding.get("value") or ""):
                    found.setdefault(finding["file"], set()).add("text masked in a finding")
    return {name: sorted(kinds) for name, kinds in found.items()}


def _withheld_note(name: str, digest: str, kinds: list[str]) -> str:
    return (
        f"{name} is withheld from this bundle: the de-identification gate found identifiers in it "
        f"({', '.join(kinds)}); the workflow masked those cells (policy quarantine) and read the rest.\n"
        f"sha256 of the file as received: {digest} (also in manifest.sha256).\n"
        "The site should send it again without the identifiers; the findings name each cell "
        "(validated/<site>/<domain>.findings.csv), never its value.\n"
    )


@dataclass
class Job:
    """One job Snakemake ran, from its run records (one record per output file)."""

    rule: str
    start: float
    end: float
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    wildcards: str = ""


def snakemake_jobs(metadata_dir: Path, prefix: str) -> list[Job]:
    """The jobs whose outputs lie under ``prefix`` (a path as the rules name it), from
    Snakemake's records (``.snakemake/metadata``: one JSON file per output, named by the
    output's path in URL-safe base64)."""
    jobs: dict[tuple, Job] = {}
    if not metadata_dir.is_dir():
        return []
    for entry in os.scandir(metadata_dir):
        try:
            path = base64.urlsafe_b64decode(entry.name).decode()
        except (ValueError, UnicodeDecodeError):
            continue
        if not path.startswith(prefix):
            continue
        try:
            record = json.loads(Path(entry.path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if record.get("incomplete") or record.get("starttime") is None:
            continue
        end = record.get("endtime") or record["starttime"]
        # one record per output, each with its own start and end (a job writing its outputs over
        # several seconds gives them different times): a job is its rule and job hash (the
        # metadata keep only the last run of each output, and a job writes all its outputs)
        key = (record["rule"], record.get("job_hash"))
        job = jobs.setdefault(key, Job(record["rule"], record["starttime"], end, list(record.get("input") or [])))
        job.start = min(job.start, record["starttime"])
        job.end = max(job.end, end)
        job.outputs.append(path)
    return sorted(jobs.values(), key=lambda j: (j.start, j.rule))


def _file_properties(path: Path, name: str | None = None) -> dict:
    kind, _ = mimetypes.guess_type(path.name)
    properties = {"sha256": sha256_file(path), "contentSize": path.stat().st_size}
    if kind:
        properties["encodingFormat"] = kind
    if name:
        properties["name"] = name
    return properties


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


def write_audit_bundle(
    study: str,
    cut: str,
    cutoff: str,
    status: str,
    cut_dir: str | Path,
    extracts_dir: str | Path,
    out_zip: str | Path,
    metadata_dir: str | Path = ".snakemake/metadata",
    workflow_dir: str | Path = ".",
    config_dir: str | Path = "config",
) -> Path:
    """Write the cut's audit bundle (a zipped Provenance Run Crate); returns its path.

    ``workflow_dir`` is the workflow's own folder (Snakefile, rules, scripts, notebooks: the code
    that ran), ``config_dir`` the configuration it ran with (of the working folder)."""
    from rocrate.model.contextentity import ContextEntity
    from rocrate.rocrate import ROCrate

    cut_dir, extracts_dir, root, out_zip = Path(cut_dir), Path(extracts_dir), Path(workflow_dir), Path(out_zip)
    config_dir = Path(config_dir)
    crate = ROCrate()
    crate.name = f"Audit bundle: {study}, data cut {cut}"
    crate.description = (
        f"Workflow Run RO-Crate of the {study} study's data cut {cut} (cut-off {cutoff}, {status}): the extracts the "
        "sites sent, every intermediate and analysis dataset with record-level provenance, the analysis results data "
        "with cell-level lineage, the book, the executed notebooks, and the workflow that made them."
    )
    crate.datePublished = datetime.now(UTC).isoformat(timespec="seconds")
    crate.root_dataset["conformsTo"] = [{"@id": uri} for uri in PROFILES]
    for uri, name in PROFILES.items():
        crate.add(ContextEntity(crate, uri, properties={"@type": ["CreativeWork", "Profile"], "name": name}))

    entities: dict[str, object] = {}  # absolute path -> crate entity

    def add(path: Path, dest: str, name: str | None = None):
        entity = crate.add_file(path, dest_path=dest, properties=_file_properties(path, name))
        entities[os.path.abspath(path)] = entity
        return entity

    with tempfile.TemporaryDirectory() as tmp:
        manifest = Path(tmp) / "manifest.sha256"
        sums = checksums(extracts_dir)
        manifest.write_text("".join(f"{digest}  {name}\n" for name, digest in sums.items()), encoding="utf-8")
        add(manifest, "extracts/manifest.sha256", "sha256 of every extract of the cut")
        withheld = files_with_identifiers(cut_dir)
        extracts = []
        for name, digest in sums.items():
            if name in withheld:
                note = Path(tmp) / "withheld" / f"{name}.withheld.txt"
                note.parent.mkdir(parents=True, exist_ok=True)
                note.write_text(_withheld_note(name, digest, withheld[name]), encoding="utf-8")
                extracts.append(add(note, f"extracts/{name}.withheld.txt", f"{name}: withheld, carries identifiers"))
            else:
                extracts.append(add(extracts_dir / name, f"extracts/{name}"))

        results = []
        for folder in RESULT_FOLDERS:
            for path in sorted((cut_dir / folder).rglob("*")):
                # not Snakemake's own marker in a folder a job declares (.snakemake_timestamp)
                if path.is_file() and not path.name.startswith("."):
                    results.append(add(path, path.relative_to(cut_dir).as_posix()))
        for name in RESULT_FILES:
            if (cut_dir / name).exists():
                results.append(add(cut_dir / name, name))

        workflow = crate.add_workflow(
            root / "Snakefile",
            dest_path="workflow/Snakefile",
            main=True,
            lang="snakemake",
            properties={"name": "inoflow", "sha256": sha256_file(root / "Snakefile")},
        )
        entities[os.path.abspath(root / "Snakefile")] = workflow
        for pattern in WORKFLOW_FILES[1:]:
            for path in sorted(root.glob(pattern)):
                add(path, f"workflow/{path.relative_to(root).as_posix()}")
        for path in sorted(config_dir.rglob("*")):
            if path.is_file():
                add(path, f"workflow/config/{path.relative_to(config_dir).as_posix()}")

        versions = package_versions()
        engine = crate.add(
            ContextEntity(
                crate,
                "#snakemake",
                properties={"@type": "SoftwareApplication", "name": "Snakemake", "version": versions["snakemake"]},
            )
        )
        jobs = snakemake_jobs(Path(metadata_dir), str(cut_dir))
        steps, tools = {}, {}
        for position, rule in enumerate(dict.fromkeys(job.rule for job in jobs)):
            tools[rule] = crate.add(
                ContextEntity(
                    crate, f"#tool-{rule}", properties={"@type": "SoftwareApplication", "name": f"rule {rule}"}
                )
            )
            steps[rule] = crate.add(
                ContextEntity(
                    crate,
                    f"#step-{rule}",
                    properties={
                        "@type": "HowToStep",
                        "name": rule,
                        "position": position,
                        "workExample": {"@id": tools[rule].id},
                    },
                )
            )
        workflow["step"] = list(steps.values())

        controls = []
        for number, job in enumerate(jobs, 1):

            def known(paths):
                """The bundle's entities of a job's files; a folder a job declares (the extract
                stages') stands for every file of the bundle inside it."""
                found = []
                for p in (os.path.abspath(q) for q in paths):
                    found += (
                        [entities[p]] if p in entities else [e for k, e in entities.items() if k.startswith(p + os.sep)]
                    )
                return found

            action = crate.add_action(
                tools[job.rule],
                identifier=f"#job-{number}",
                object=known(job.inputs),
                result=known(job.outputs),
                properties={
                    "@type": "CreateAction",
                    "name": f"{job.rule} #{number}",
                    "startTime": _stamp(job.start),
                    "endTime": _stamp(job.end),
                },
            )
            controls.append(
                crate.add(
                    ContextEntity(
                        crate,
                        f"#control-{number}",
                        properties={
                            "@type": "ControlAction",
                            "name": f"orchestrate {job.rule} #{number}",
                            "instrument": {"@id": steps[job.rule].id},
                            "object": {"@id": action.id},
                        },
                    )
                )
            )
        git = git_state(root)
        run = crate.add_action(
            workflow,
            identifier="#run",
            object=extracts,
            result=results,
            properties={
                "@type": "CreateAction",
                "name": f"inoflow run: {study}, data cut {cut}",
                "description": f"code version {git['commit'] or 'unknown'}{' with uncommitted changes' if git['dirty'] else ''}; "
                + ", ".join(f"{n} {v}" for n, v in versions.items()),
                **(
                    {"startTime": _stamp(min(j.start for j in jobs)), "endTime": _stamp(max(j.end for j in jobs))}
                    if jobs
                    else {}
                ),
            },
        )
        crate.add(
            ContextEntity(
                crate,
                "#snakemake-run",
                properties={
                    "@type": "OrganizeAction",
                    "name": "Snakemake run",
                    "instrument": {"@id": engine.id},
                    "object": [{"@id": c.id} for c in controls],
                    "result": {"@id": run.id},
                },
            )
        )
        crate.root_dataset["mentions"] = [run]
        out_zip.parent.mkdir(parents=True, exist_ok=True)
        crate.write_zip(out_zip)
    log.info("audit bundle %s: %d files, %d jobs", out_zip, len(entities), len(jobs))
    return out_zip


def crate_metadata(bundle: str | Path, raw: bool = False) -> dict | bytes:
    """The ``ro-crate-metadata.json`` of a bundle (parsed, or its bytes with ``raw``)."""
    with zipfile.ZipFile(bundle) as archive:
        data = archive.read("ro-crate-metadata.json")
    return data if raw else json.loads(data)
