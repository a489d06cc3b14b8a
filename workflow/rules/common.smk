# Configuration, wildcard constraints and input functions shared by every stage.

import functools
import os
import re
import sys
from pathlib import Path

import inoflow  # first: it keeps jsonschema's slow optional IRI checker out (see inoflow/__init__.py)
from snakemake.utils import validate


from inoflow.codeversion import code_hash
from inoflow.config import load_contract, load_studies, read_yaml
from inoflow.errors import InoflowError
from inoflow.runlock import clear_stale_lock
from inoflow.audit.lock import check_locked_cuts, extract_files
from inoflow.adam.sources import ADAM_SOURCES, upstream_of
from inoflow.extract import STAGE_FILES, STAGE_FOLDERS
from inoflow.analysis.endpoints import ADAM_INPUTS

# Every path of the configuration is relative to the working folder (the study's folder:
# where snakemake runs, or --directory); the workflow's own files (notebooks, scripts, the
# schemas) are relative to this file, wherever the workflow is installed.
WORKFLOW_DIR = Path(workflow.current_basedir).parents[1]


def stop(message):
    """End the run before any job with a one-line message (no traceback), exit code 2."""
    print(f"inoflow: error: {message}", file=sys.stderr)
    sys.exit(2)


try:
    # the configuration as Snakemake holds it: config/config.yaml with --config overrides applied
    STUDIES = load_studies(
        config, workflow.configfiles[0] if workflow.configfiles else "--config"
    )
except InoflowError as exc:
    stop(exc)
CONTRACT = load_contract(config["contract"])
RESULTS = config["results"]
STUDY_CUTS = {name: list(study.cuts) for name, study in STUDIES.items()}


def command_line_targets(argv):
    """The targets on the command line of the snakemake process, parsed only when one of its
    words lies under the results folder (else none of them names a cut: the default target, or
    rules). A job re-parsing the workflow has none."""
    results = os.path.abspath(RESULTS) + os.sep
    if not any(os.path.abspath(a).startswith(results) for a in argv):
        return []
    from snakemake.cli import get_argument_parser

    return get_argument_parser().parse_known_args(argv)[0].targets or []


TARGETS = command_line_targets(sys.argv[1:])


def check_targets(targets):
    """A target under the results folder names a configured study and cut, else the run stops
    with one line naming the value and the valid ones (Snakemake would say only that no rule
    produces it)."""
    for target in targets:
        parts = os.path.relpath(os.path.normpath(target), RESULTS).split(os.sep)
        if len(parts) < 2 or parts[0].startswith(".."):
            continue
        study, second = parts[0], parts[1]
        if study not in STUDIES:
            stop(
                f"unknown study {study!r} in target {target} (studies: {', '.join(STUDIES)})"
            )
        cuts = STUDIES[study].cuts
        if second != "compare" and second not in cuts:
            stop(
                f"unknown cut {second!r} of study {study} in target {target} "
                f"(cuts: {', '.join(cuts)})"
            )
        if second in cuts and len(parts) > 3 and parts[2] in STAGE_FOLDERS:
            sites = cuts[second].sites
            if parts[3] not in sites:
                stop(
                    f"unknown site {parts[3]!r} of study {study}, cut {second} in target "
                    f"{target} (sites: {', '.join(sites)})"
                )
            folder = os.path.join(RESULTS, study, second, parts[2])
            stop(
                f"target {target} is a file of the folder {folder}, which the cut's extract "
                f"job writes whole: ask for {folder}"
            )


check_targets(TARGETS)


def targeted_cuts(targets):
    """The (study, cut) pairs the targets build, or None when a target is not a cut's file (no
    targets: the default target builds every cut)."""
    cuts = set()
    for target in targets:
        parts = os.path.relpath(os.path.normpath(target), RESULTS).split(os.sep)
        if len(parts) < 2 or parts[0] not in STUDIES:
            return None
        if parts[1] == "compare" and len(parts) > 2:
            cuts |= {(parts[0], c) for c in parts[2].split("_vs_")}
        else:
            cuts.add((parts[0], parts[1]))
    return cuts or None


# A locked cut runs only on the extracts, configuration and code its lock lists
# (scripts/lock_cut.py wrote it); a run that builds no locked cut checks none.
try:
    check_locked_cuts(
        STUDIES,
        locks_dir=Path("config/locks"),
        workflow_dir=WORKFLOW_DIR,
        only=targeted_cuts(TARGETS),
    )
except InoflowError as exc:
    stop(exc)

# A run killed before it released its lock (kill -9) left it behind: cleared when no other
# Snakemake run works in this folder, so that the same command recovers (inoflow.runlock).
for lock in clear_stale_lock():
    print(
        f"inoflow: cleared a stale lock ({lock}) left by a run that was killed",
        file=sys.stderr,
    )
CUT_DIR = os.path.join(RESULTS, "{study}", "{cut}")

# The between-cut output cache of the extract and pooling steps (inoflow.cache, used by
# their scripts): a step whose rule, script, wildcards but the cut, params (code hash
# included) and inputs' content were seen before, in any cut, is restored from a read-only
# entry verified against its SHA-256s (copies, no links into the cache) instead of run. The
# jobs find the folder in INOFLOW_OUTPUT_CACHE (set beforehand to share one elsewhere).
OUTPUT_CACHE = os.environ.setdefault(
    "INOFLOW_OUTPUT_CACHE", os.path.abspath(os.path.join(RESULTS, ".output-cache"))
)
os.makedirs(OUTPUT_CACHE, exist_ok=True)
SHARED_CONFIG = [config["contract"], config["units"]]
DEIDENTIFICATION = "config/deidentification.yaml"
VOCABULARIES = sorted(str(p) for p in Path(config["vocabularies"]).glob("*.yaml"))
OUTPUT_CATALOGUE = read_yaml("config/reference/outputs.yaml")
# the labels, codelist and formats of every table, and the registry's words under its outputs
DISPLAY_FILE = "config/reference/display.yaml"
REGISTRY_DEFINITIONS = "config/reference/registry_definitions.yaml"

# What each job asks of a cluster (profiles/slurm; a local run reads only threads and cores):
# memory in MB and run time in minutes, sized for a study of 100 sites x 1,000 patients on
# the 2-core benchmark machine (scripts/benchmark.py --sites 100 --patients 1000) with room
# to spare. The extract job reads files in parallel: its threads (scaled down to --cores on a
# workstation; profiles/slurm sets them with set-threads) are its worker processes.
EXTRACT_THREADS = 8
RESOURCES = {
    "extract": {"mem_mb": 8000, "runtime": 120},
    "pool_sdtm": {"mem_mb": 4000, "runtime": 30},
    "reconcile_extracts": {"mem_mb": 4000, "runtime": 30},
    "report_data_quality": {"mem_mb": 4000, "runtime": 30},
    "derive_adam": {"mem_mb": 4000, "runtime": 60},
    "run_endpoints": {"mem_mb": 4000, "runtime": 60},
    "assemble_book": {"mem_mb": 2000, "runtime": 30},
    "audit_bundle": {"mem_mb": 2000, "runtime": 30},
    "compare_cuts": {"mem_mb": 2000, "runtime": 30},
    "shareable_tables": {"mem_mb": 2000, "runtime": 30},
}
MIN_CELL_COUNT = config.get("shareable", {}).get("min_cell_count", 5)

# Scheduling: when several jobs are ready, run what is downstream first, so the chain to
# the endpoints (pool -> ADaM -> notebooks) runs while other files are still being read, and
# start the workbooks (a job that reads every domain) before single files.
PRIORITY = {"pool": 2, "endpoint": 3, "adam": 4}

# The code each step runs (inoflow.codeversion): a param, so that editing a module reruns
# exactly the steps that import it, and the rule's script is tracked by Snakemake itself.
CODE = {
    "extract": code_hash(["inoflow.extract.process", "inoflow.runner"]),
    "pool": code_hash(["inoflow.model.pool", "inoflow.frames", "inoflow.runner"]),
    "reconcile": code_hash(["inoflow.model.reconcile", "inoflow.runner"]),
    "quality": code_hash(["inoflow.model.quality", "inoflow.runner"]),
    "book": code_hash(["inoflow.tables.book", "inoflow.runner"]),
    "shareable": code_hash(["inoflow.tables.shareable", "inoflow.runner"]),
    "audit": code_hash(["inoflow.audit.crate", "inoflow.runner"]),
    "compare": code_hash(
        ["inoflow.audit.cutdiff", "inoflow.tables.report", "inoflow.runner"]
    ),
    **{
        f"adam/{name}": code_hash(
            [
                "inoflow.adam.derive",
                "inoflow.adam.sources",
                "inoflow.adam.datacut",
                f"inoflow.adam.{name.lower()}",
            ]
            + ["inoflow.adam.validate", "inoflow.frames", "inoflow.runner"],
            # derive() imports every derivation: only this dataset's is followed
            opaque=("inoflow.adam.derive",),
        )
        for name in ADAM_SOURCES
    },
    **{
        f"endpoint/{name}": code_hash(
            [
                "inoflow.analysis.notebook",
                f"inoflow.analysis.endpoints.{name}",
                "inoflow.runner",
            ],
        )
        for name in ADAM_INPUTS
    },
}


wildcard_constraints:
    # only the configured studies, cuts and sites: a mistyped target matches no rule
    study="|".join(STUDIES) or "(?!)",
    cut="|".join(
        sorted(
            {re.escape(c) for s in STUDIES.values() for c in s.cuts},
            key=len,
            reverse=True,
        )
    ),
    site="|".join(sorted({s for study in STUDIES.values() for s in study.sites})),
    domain="|".join(CONTRACT.domains),


def cut_path(*parts):
    """A path under results/<study>/<cut>/, wildcards left for Snakemake to fill."""
    return os.path.join(CUT_DIR, *parts)


def study_of(wildcards):
    return STUDIES[wildcards.study]


def rel(path):
    """A path as the rules name it: relative to the working folder when inside it, else absolute."""
    path = os.path.abspath(path)
    inside = os.path.commonpath([path, os.getcwd()]) == os.getcwd()
    return os.path.relpath(path) if inside else path


def workflow_file(*parts):
    """One of the workflow's own files (a notebook, say), wherever the workflow is installed."""
    return rel(WORKFLOW_DIR.joinpath(*parts))


def study_config(wildcards):
    return rel(study_of(wildcards).path)


def cut_of(wildcards):
    return study_of(wildcards).cuts[wildcards.cut]


def extracts_dir(wildcards):
    return rel(cut_of(wildcards).extracts)


def site_of(wildcards):
    return study_of(wildcards).sites[wildcards.site]


def get_cut_extracts(wildcards):
    """Every file the sites of a cut sent, and each site's dialect and name list."""
    sites = study_of(wildcards).sites_of(wildcards.cut)
    base = extracts_dir(wildcards)
    return {
        "extracts": [
            f"{base}/{s}/{f}" for s, site in sites.items() for f in site.files()
        ],
        # each site's dialect: its own file and the template it extends
        "dialect": sorted(
            {rel(p) for site in sites.values() for p in site.dialect_files}
        ),
        "names": [p for site in sites.values() for p in name_list_of(site)],
    }


def name_list_of(site):
    """The list of names the site gives the de-identification gate (``name_list:``), if any."""
    names = site.spec.get("name_list")
    return [rel(names)] if names else []


def cut_sites(wildcards):
    """The sites that sent a cut (a cut may list its sites; by default every site of the study)."""
    return list(study_of(wildcards).sites_of(wildcards.cut))


def studies_pattern(names):
    """A wildcard pattern matching exactly these studies (or cuts)."""
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


def site_domains(wildcards):
    """Every (site, domain) extract the sites of a cut sent (a study's cut lists its sites)."""
    sites = study_of(wildcards).sites_of(wildcards.cut)
    return [(s, d) for s, site in sites.items() for d in site.domains]


def stage_files(stage):
    """A params function: each site's file of one extract stage (inoflow.extract.STAGE_FILES:
    read, accepted, rejected, findings, harmonised), in the order of site_domains; the rules
    read them from the cut's stage folders, their inputs."""
    folder, name = STAGE_FILES[stage]

    def files(wildcards):
        base = CUT_DIR.format(study=wildcards.study, cut=wildcards.cut)
        return [
            f"{base}/{folder}/{s}/{name.format(domain=d)}"
            for s, d in site_domains(wildcards)
        ]

    return files


def stage_folders(*folders):
    """An input function: the cut's extract folders (the outputs of its extract job)."""

    def inputs(wildcards):
        base = CUT_DIR.format(study=wildcards.study, cut=wildcards.cut)
        return {folder: f"{base}/{folder}" for folder in folders}

    return inputs


def get_reconciliation_inputs(wildcards):
    base = CUT_DIR.format(study=wildcards.study, cut=wildcards.cut)
    return {
        **stage_folders(*STAGE_FOLDERS)(wildcards),
        "sdtm": [f"{base}/sdtm/{name}.parquet" for name in CONTRACT.sdtm_domains()],
        # a file that had rows in the previous cut and has none now is not balanced
        "previous": [
            os.path.join(CUT_DIR, "reconciliation", "reconciliation.csv").format(
                study=wildcards.study, cut=before
            )
            for before in [previous_cut_of(wildcards)]
            if before
        ],
    }


def previous_cut_of(wildcards):
    """The cut before this one in order of cut-off ('' for a study's first cut)."""
    return study_of(wildcards).previous_cut(wildcards.cut) or ""


# What the cross-cut checks read of the previous cut (inoflow.model.quality): its patients
# (DM, with MH, SC and EX for the facts that recognise a patient) and its rows per file.
PREVIOUS_CUT_DOMAINS = ("DM", "MH", "SC", "EX")


def get_data_quality_inputs(wildcards):
    """The common model, the extract folders (every extract's findings, the patient-list rows
    set aside), the row accounting, the study's configuration (its data_quality: settings)
    and, from the second cut on, the previous cut's patients and row accounting: only this job
    of a cut depends on the cut before it."""
    base = CUT_DIR.format(study=wildcards.study, cut=wildcards.cut)
    previous = previous_cut_of(wildcards)
    before = CUT_DIR.format(study=wildcards.study, cut=previous) if previous else ""
    return {
        "sdtm": [f"{base}/sdtm/{name}.parquet" for name in CONTRACT.sdtm_domains()],
        "validated": f"{base}/validated",
        "reconciliation": f"{base}/reconciliation/reconciliation.csv",
        "study": study_config(wildcards),
        "previous_sdtm": (
            [f"{before}/sdtm/{name}.parquet" for name in PREVIOUS_CUT_DOMAINS]
            if previous
            else []
        ),
        "previous_reconciliation": (
            [f"{before}/reconciliation/reconciliation.csv"] if previous else []
        ),
    }


def patient_list_set_aside(wildcards):
    """A params function: the rows each site's patient list set aside."""
    return [
        path
        for path, (s, d) in zip(
            stage_files("rejected")(wildcards), site_domains(wildcards)
        )
        if d == "patients"
    ]


def reconciliation_keys(wildcards):
    return site_domains(wildcards)


def definitions_file(wildcards):
    return rel(study_of(wildcards).definitions)


@functools.cache
def definitions_of(study):
    """A study's definitions file, read once per Snakemake start (input functions run per job)."""
    return read_yaml(STUDIES[study].definitions)


def endpoints_of(study):
    """A study's endpoints, from the output catalogue (config/reference/outputs.yaml)."""
    return list(OUTPUT_CATALOGUE[study]["endpoints"])


def rule_sets(prefix, items_of):
    """The studies grouped by the items their cuts produce (a rule's outputs are fixed, so each
    set has its own rule): rule name -> (items, studies); ``prefix`` for the first set,
    ``prefix_2`` and so on for the next ones (in the order of config.yaml's studies)."""
    sets = {}
    for study in STUDIES:
        sets.setdefault(tuple(items_of(study)), []).append(study)
    names = [prefix] + [f"{prefix}_{k}" for k in range(2, len(sets) + 1)]
    return {
        name: (list(items), studies)
        for name, (items, studies) in zip(names, sets.items())
    }


def adam_datasets_of(study):
    """The ADaM datasets a study's endpoints read, with those they are derived from, sources first."""
    return upstream_of([n for e in endpoints_of(study) for n in ADAM_INPUTS[e]])


ADAM_RULES = rule_sets("derive_adam", adam_datasets_of)
ENDPOINT_RULES = rule_sets("run_endpoints", endpoints_of)


def get_adam_sources(wildcards):
    """The SDTM domains the cut's ADaM datasets read (inoflow.adam.sources), the definitions
    and, for resource use, the cost table (it counts vials of the size the table prices).
    """
    datasets = adam_datasets_of(wildcards.study)
    domains = sorted({d for name in datasets for d in ADAM_SOURCES[name]["sdtm"]})
    base = CUT_DIR.format(study=wildcards.study, cut=wildcards.cut)
    return {
        "sdtm": [f"{base}/sdtm/{name}.parquet" for name in domains],
        "definitions": definitions_file(wildcards),
        **(cost_table_file(wildcards) if "ADRU" in datasets else {}),
    }


def adam_codes(wildcards):
    """The code of each ADaM dataset's derivation: a part recomputes when its own code changes."""
    return {name: CODE[f"adam/{name}"] for name in adam_datasets_of(wildcards.study)}


def get_endpoint_inputs(wildcards):
    """The endpoint notebooks of a cut, the ADaM datasets they read and the definitions."""
    base = CUT_DIR.format(study=wildcards.study, cut=wildcards.cut)
    endpoints = endpoints_of(wildcards.study)
    return {
        "notebooks": [workflow_file("notebooks", f"{e}.ipynb") for e in endpoints],
        "adam": [
            f"{base}/adam/{name}.parquet" for name in adam_datasets_of(wildcards.study)
        ],
        "definitions": definitions_file(wildcards),
        "catalogue": "config/reference/outputs.yaml",
        "display": DISPLAY_FILE,
        "registry": REGISTRY_DEFINITIONS,
        **(cost_table_file(wildcards) if "costs" in endpoints else {}),
    }


def cost_table_file(wildcards):
    """The study's unit-cost table (``cost_table`` of its definitions), as a named input."""
    return {"costs": definitions_of(wildcards.study)["cost_table"]}


def endpoint_outputs(endpoints):
    """Each endpoint's files, named '<output>__<endpoint>' (scripts/run_notebooks.py): its ARD
    and lineage (with its subject sets), the executed notebook and its HTML, its tables and figures (folders).
    """
    outputs = {}
    for e in endpoints:
        outputs[f"ard__{e}"] = cut_path("ard", f"{e}.parquet")
        outputs[f"lineage__{e}"] = cut_path("ard", f"{e}.lineage.parquet")
        outputs[f"subjects__{e}"] = cut_path("ard", f"{e}.subjects.parquet")
        outputs[f"notebook__{e}"] = cut_path("notebooks", f"{e}.ipynb")
        outputs[f"html__{e}"] = cut_path("notebooks", f"{e}.html")
        outputs[f"tables__{e}"] = report(
            directory(cut_path("tables", e)),
            patterns=["{name}.html"],
            caption="../report/table.rst",
            category="{study} {cut}",
            subcategory=f"Tables: {e}",
            labels={"table": "{name}"},
        )
        outputs[f"figures__{e}"] = report(
            directory(cut_path("figures", e)),
            patterns=["{name}.png"],
            caption="../report/figure.rst",
            category="{study} {cut}",
            subcategory=f"Figures: {e}",
            labels={"figure": "{name}"},
        )
    return outputs


def endpoint_code(wildcards):
    """The code hash of each endpoint the cut's job runs. A param of the wildcards only: Snakemake
    compares such a param between runs, not one computed from the outputs (notebook_parameters),
    so editing an endpoint's module reruns the job, which recomputes that endpoint."""
    return {e: CODE[f"endpoint/{e}"] for e in endpoints_of(wildcards.study)}


def get_notebook_parameters(wildcards, output):
    """Each endpoint's notebook parameters (papermill): endpoint -> parameters."""
    base = CUT_DIR.format(study=wildcards.study, cut=wildcards.cut)
    return {
        endpoint: {
            "study": wildcards.study,
            "cut": wildcards.cut,
            "endpoint": endpoint,
            "adam_paths": {
                name: f"{base}/adam/{name}.parquet" for name in ADAM_INPUTS[endpoint]
            },
            "definitions_path": definitions_file(wildcards),
            "output_ids": OUTPUT_CATALOGUE[wildcards.study]["endpoints"][endpoint],
            "ard_path": output[f"ard__{endpoint}"],
            "tables_dir": output[f"tables__{endpoint}"],
            "figures_dir": output[f"figures__{endpoint}"],
            "lineage_path": output[f"lineage__{endpoint}"],
            "cutoff": cutoff_date(wildcards),
            "program": workflow_file("notebooks", f"{endpoint}.ipynb"),
            "code": CODE[f"endpoint/{endpoint}"],
        }
        for endpoint in endpoints_of(wildcards.study)
    }


def get_book_inputs(wildcards):
    base = CUT_DIR.format(study=wildcards.study, cut=wildcards.cut)
    endpoints = study_endpoint_names(wildcards)
    return {
        "ard": [f"{base}/ard/{e}.parquet" for e in endpoints],
        "tables": [f"{base}/tables/{e}" for e in endpoints],
        "figures": [f"{base}/figures/{e}" for e in endpoints],
        "comparison": f"config/reference/{wildcards.study}_comparison.yaml",
        "reconciliation": f"{base}/reconciliation/reconciliation.csv",
        "data_quality": f"{base}/data_quality/data_quality.csv",
        "checks": f"{base}/data_quality/checks.csv",
        "adelig": f"{base}/adam/ADELIG.parquet",
        "definitions": definitions_file(wildcards),
        "catalogue": "config/reference/outputs.yaml",
        "display": DISPLAY_FILE,
        "registry": REGISTRY_DEFINITIONS,
    }


def validation_policy(wildcards):
    return cut_of(wildcards).validation_policy


def publication_cut(wildcards):
    return study_of(wildcards).spec.get("publication_cut", "")


def cutoff_date(wildcards):
    return cut_of(wildcards).cutoff


def study_title(wildcards):
    return study_of(wildcards).title


def study_endpoints(wildcards):
    """Endpoint -> output ids, from the output catalogue."""
    return OUTPUT_CATALOGUE[wildcards.study]["endpoints"]


def study_endpoint_names(wildcards):
    return list(study_endpoints(wildcards))


def is_synthetic_demo(wildcards):
    return study_of(wildcards).spec.get("synthetic_demo", False)


def consecutive_cuts(study):
    """Each cut with the one before it, in order of cut-off date: what a rerun changed."""
    cuts = study.ordered_cuts()
    return list(zip(cuts, cuts[1:]))


def get_cut_comparison_inputs(wildcards):
    """Both cuts' common model and ARD."""
    inputs = {}
    for side in ("before", "after"):
        base = CUT_DIR.format(study=wildcards.study, cut=getattr(wildcards, side))
        inputs[f"{side}_sdtm"] = [
            f"{base}/sdtm/{name}.parquet" for name in CONTRACT.sdtm_domains()
        ]
        inputs[f"{side}_ard"] = f"{base}/ard/all_outputs.parquet"
    inputs["display"] = DISPLAY_FILE  # the labels of the comparison page
    return inputs


def cut_dir_of(side):
    """A params function: the results folder of the 'before' or 'after' cut."""

    def cut_dir(wildcards):
        return CUT_DIR.format(study=wildcards.study, cut=getattr(wildcards, side))

    return cut_dir


def comparison_dir(wildcards, output):
    return os.path.dirname(output.html)


def cut_status(wildcards):
    return cut_of(wildcards).status


def get_audit_inputs(wildcards):
    """What a cut's audit bundle packs: the book (and so everything before it), the lineage
    of each endpoint, and the extracts themselves."""
    base = CUT_DIR.format(study=wildcards.study, cut=wildcards.cut)
    extracts = cut_of(wildcards).extracts
    return {
        "book": f"{base}/book.html",
        "lineage": [
            f"{base}/ard/{e}.{table}.parquet"
            for e in study_endpoint_names(wildcards)
            for table in ("lineage", "subjects")
        ],
        "extracts": [rel(extracts / p) for p in extract_files(extracts)],
    }


def get_final_outputs():
    """Every study and cut: the common model, its reconciliation and the book."""
    targets = []
    for name, study in STUDIES.items():
        for cut in study.cuts:
            base = CUT_DIR.format(study=name, cut=cut)
            targets += [f"{base}/sdtm/{d}.parquet" for d in CONTRACT.sdtm_domains()]
            targets.append(f"{base}/reconciliation/reconciliation.csv")
            targets.append(f"{base}/book.html")
            targets.append(f"{base}/shareable/book.html")
            targets.append(f"{base}/audit/{name}_{cut}_audit.zip")
        for before, after in consecutive_cuts(study):
            targets.append(
                os.path.join(
                    RESULTS, name, "compare", f"{before}_vs_{after}", "comparison.html"
                )
            )
    return targets
