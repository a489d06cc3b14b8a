"""Snakemake script: every file the sites sent for a cut -> read, validated and harmonised tables
per site and domain (inoflow.extract.process).

One job per cut. Each file is a part of it in the output cache (inoflow.cache.JobParts): a
file sent unchanged, in an earlier run of this cut or in an earlier cut, is restored from its
verified entry; the files that must be read are shared among the job's threads (worker
processes forked once the engine is imported, so that none pays the imports again). Under
policy fail every file is still read, so that one run reports every refused file; their
findings go beside the job's log for the cut's failure report (inoflow.runfailure).
"""

from inoflow.cache import JobParts
from inoflow.extract import STAGE_FOLDERS, stage_paths
from inoflow.runner import step

smk = snakemake  # noqa: F821 (injected by Snakemake)


def compute(pending, threads, log):
    """Process the files not restored, in ``threads`` worker processes: (part, findings) each."""
    # imported here: a cut whose files are all restored from the cache needs none of it
    from inoflow.extract.process import process_file

    folders = {name: getattr(smk.output, name) for name in STAGE_FOLDERS}
    work = [(site, domains, extracts, smk.params.policy, folders) for _, site, domains in pending]
    if threads <= 1 or len(work) <= 1:
        return [process_file(*args) for args in work]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    log.info("%d files to read, in %d worker processes", len(work), min(threads, len(work)))
    with ProcessPoolExecutor(min(threads, len(work)), mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(process_file, *zip(*work, strict=True)))


with step(smk) as log:
    from pathlib import Path

    from inoflow.config import load_study
    from inoflow.errors import ExtractError
    from inoflow.runfailure import failed_findings_path

    study = load_study(smk.params.study_config, check=False)
    extracts = Path(smk.params.extracts)
    parts = JobParts(smk, log, script=__file__)
    # a refused file's findings go beside the job's log (its outputs are removed): the cut's
    # failure report lists them (inoflow.runfailure)
    refused = failed_findings_path(smk.log[0])
    refused.unlink(missing_ok=True)
    shared = [("shared", p) for p in smk.input.shared]
    folders = {name: getattr(smk.output, name) for name in STAGE_FOLDERS}
    pending = []
    for site_id in smk.params.sites:
        site = study.sites[site_id]
        own = [("dialect", p) for p in site.dialect_files]
        own += [("names", p) for p in ([site.spec["name_list"]] if site.spec.get("name_list") else [])]
        for file, domains in site.files().items():
            outputs = {
                f"{stage}__{domain}": path
                for domain in domains
                for stage, path in stage_paths(folders, site_id, domain).items()
            }
            part = parts.restore(
                f"{site_id}/{file}",
                outputs=outputs,
                inputs=[("extract", extracts / site_id / file), *own, *shared],
                params={"domains": domains, "policy": smk.params.policy, "code": smk.params.code},
            )
            if part is not None:
                pending.append((part, site, domains))
    failures = []
    for (part, _, _), findings in zip(pending, compute(pending, smk.threads, log), strict=True):
        if findings:
            log.info("%s: refused, %d finding(s)", part.part, len(findings))
            parts.refuse(part)
            failures += findings
        else:
            parts.store(part)
    parts.summary()
    if failures:
        import pandas as pd

        from inoflow.errors import findings_frame

        # every file's findings, the refused files' with the others', for the failure report
        read = [p for p in sorted(Path(folders["validated"]).rglob("*.findings.csv"))]
        pd.concat([findings_frame(failures), *(pd.read_csv(p, dtype=str) for p in read)]).to_csv(refused, index=False)
        raise ExtractError(failures)
