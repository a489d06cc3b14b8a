"""Snakemake script: pool every site's records of a family of common-model domains, validate them.

Through the between-cut output cache (inoflow.cache): a family whose harmonised tables are
the same as in an earlier cut is restored from its verified entry.
"""

from inoflow.cache import cached_step
from inoflow.config import load_study

smk = snakemake  # noqa: F821 (injected by Snakemake)


def reads():
    """The study's STUDYID (its configuration, not an input) is part of every USUBJID."""
    return {"studyid": load_study(smk.params.study_config, check=False).studyid}


def work(log):
    # imported here: a step restored from the cache needs none of it
    from pathlib import Path

    import pandas as pd

    from inoflow.config import load_contract
    from inoflow.model.pool import pool_domain

    study = load_study(smk.params.study_config, check=False)
    contract = load_contract()
    tables = [(Path(path).stem, pd.read_parquet(path)) for path in smk.input.tables]
    for name, path in smk.output.items():
        sources = contract.sources_of(name)
        domain = pool_domain(name, [table for raw, table in tables if raw in sources], study.studyid)
        domain.to_parquet(path, index=False)


cached_step(smk, work, script=__file__, reads=reads)
