"""Snakemake script: derive every ADaM dataset of a cut from its declared SDTM and ADaM sources
(inoflow.adam.sources), sources first, and validate each (schemas/adam.py) before writing.

One job per cut; each dataset is a part of it in the output cache (inoflow.cache.JobParts): a
dataset whose sources, definitions, cut-off and code are those of an earlier run or cut is
restored from its verified entry, and only a dataset with a changed source is derived again.
A dataset derived from one subject's records at a time (BY_SUBJECT) is derived in batches of
subjects (inoflow.adam.derive.derive_by_subject), so the job's memory does not grow with the study.
"""

from inoflow.cache import JobParts
from inoflow.runner import step

smk = snakemake  # noqa: F821 (injected by Snakemake)


def derive_one(name, sources, definitions_path, cutoff, log):
    # imported here: a cut whose datasets are all restored needs none of it
    from inoflow.adam.derive import derive_by_subject
    from inoflow.adam.validate import validate_adam
    from inoflow.config import read_yaml
    from inoflow.frames import read_parquet  # the same frame as pandas', in less memory

    sdtm = {d: read_domain(d) for d in sources["sdtm"]}
    adam = {a: read_parquet(getattr(smk.output, a)) for a in sources["adam"]}
    definitions = read_yaml(definitions_path)
    # a batch of subjects at a time where the dataset allows it (ADAM_SOURCES, BY_SUBJECT)
    dataset = derive_by_subject(name, sdtm, adam, definitions, cutoff)
    # raises AdamError listing every failure, each naming the file and row of its source record
    validate_adam(name, dataset, sources={**sdtm, **adam})
    log.info("%s: %d records, %d subjects", name, len(dataset), dataset["USUBJID"].nunique())
    dataset.to_parquet(getattr(smk.output, name), index=False)


def read_domain(name):
    """A common-model domain, without the columns no derivation reads (NOT_READ)."""
    import pyarrow.parquet as pq

    from inoflow.adam.sources import NOT_READ
    from inoflow.frames import read_parquet

    path = sdtm_paths[name]
    if name not in NOT_READ:
        return read_parquet(path)
    return read_parquet(path, columns=[c for c in pq.read_schema(path).names if c not in NOT_READ[name]])


with step(smk) as log:
    from pathlib import Path

    from inoflow.adam.sources import ADAM_SOURCES

    sdtm_paths = {Path(path).stem: path for path in smk.input.sdtm}
    parts = JobParts(smk, log, script=__file__)
    for name in smk.output.keys():  # sources first (common.smk: adam_datasets_of)
        sources = ADAM_SOURCES[name]
        inputs = [("sdtm", sdtm_paths[d]) for d in sources["sdtm"]]
        inputs += [("adam", getattr(smk.output, a)) for a in sources["adam"]]
        inputs += [("definitions", smk.input.definitions)]
        inputs += [("costs", smk.input.costs)] if name == "ADRU" else []
        parts.run(
            name,
            lambda: derive_one(name, sources, smk.input.definitions, smk.params.cutoff, log),  # noqa: B023
            outputs={name: getattr(smk.output, name)},
            inputs=inputs,
            params={"cutoff": smk.params.cutoff, "code": smk.params.codes[name]},
        )
    parts.summary()
