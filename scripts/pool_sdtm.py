"""Snakemake script: pool every site's records into the common model's domains and validate them.

One job per cut; each family of domains (config.Contract.sdtm_families: the raw domains that
feed a set of SDTM domains) is a part of it in the output cache (inoflow.cache.JobParts): a
family whose harmonised tables are the same as in an earlier run or cut is restored from its
verified entry, and only a family with a changed table is pooled again.
"""

from inoflow.cache import JobParts
from inoflow.runner import step

smk = snakemake  # noqa: F821 (injected by Snakemake)


def pool(sdtm_domains, tables, studyid):
    """Pool a family's domains site by site (inoflow.model.pool.write_pooled_domains): each
    site's harmonised tables are read once, for every domain of the family."""
    from pathlib import Path

    from inoflow.frames import read_parquet  # the same frame as pandas', in less memory
    from inoflow.model.pool import write_pooled_domains

    by_site = {}
    for raw, path in tables:  # harmonised/<site>/<raw domain>.parquet
        by_site.setdefault(Path(path).parent.name, []).append((raw, path))
    sites = ((site, {raw: read_parquet(path) for raw, path in items}) for site, items in sorted(by_site.items()))
    paths = {name: getattr(smk.output, name) for name in sdtm_domains}
    write_pooled_domains(list(sdtm_domains), sites, studyid, paths)


with step(smk) as log:
    from pathlib import Path

    from inoflow.config import load_contract, load_study

    contract = load_contract()
    # the study's STUDYID (its configuration, not an input) is part of every USUBJID
    studyid = load_study(smk.params.study_config, check=False).studyid
    parts = JobParts(smk, log, script=__file__)
    shared = [("shared", path) for path in smk.input.shared]
    for family, (raw_domains, sdtm_domains) in contract.sdtm_families().items():
        tables = [(Path(path).stem, path) for path in smk.params.tables if Path(path).stem in raw_domains]
        parts.run(
            family,
            lambda: pool(sdtm_domains, tables, studyid),  # noqa: B023 (run at once)
            outputs={name: getattr(smk.output, name) for name in sdtm_domains},
            inputs=[("tables", path) for _, path in tables] + shared,
            params={"code": smk.params.code},
            reads={"studyid": studyid},
        )
    parts.summary()
