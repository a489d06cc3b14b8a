"""Snakemake script: derive one ADaM dataset from its declared SDTM and ADaM sources and validate it
(schemas/adam.py) before writing."""

import pandas as pd
import yaml

from inoflow.adam.derive import derive
from inoflow.adam.validate import validate_adam
from inoflow.runner import step

with step(snakemake) as log:  # noqa: F821 (injected by Snakemake)
    smk = snakemake  # noqa: F821
    sdtm = {name: pd.read_parquet(path) for name, path in zip(smk.params.sdtm_names, smk.input.sdtm, strict=True)}
    adam = {name: pd.read_parquet(path) for name, path in zip(smk.params.adam_names, smk.input.adam, strict=True)}
    with open(smk.input.definitions, encoding="utf-8") as handle:
        definitions = yaml.safe_load(handle)
    dataset = derive(smk.wildcards.adam, sdtm, adam, definitions, smk.params.cutoff)
    # raises AdamError listing every failure, each naming the file and row of its source record
    validate_adam(smk.wildcards.adam, dataset, sources={**sdtm, **adam})
    log.info("%s: %d records, %d subjects", smk.wildcards.adam, len(dataset), dataset["USUBJID"].nunique())
    dataset.to_parquet(smk.output.dataset, index=False)
