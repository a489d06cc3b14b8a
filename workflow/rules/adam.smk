# Derivation: one job per cut derives every ADaM dataset its study's endpoints read, each from
# its declared sources only (inoflow.adam.sources) and each a part in the output cache
# (inoflow.cache.JobParts): a dataset whose sources, definitions and code are unchanged is
# restored, so a changed domain recomputes only the datasets that read it. A study's datasets
# are fixed outputs of a rule, so the studies are grouped by them (common.smk, ADAM_RULES).


for adam_rule, (adam_datasets, adam_studies) in ADAM_RULES.items():

    rule:
        name:
            adam_rule
        input:
            unpack(get_adam_sources),
        output:
            **{name: cut_path("adam", f"{name}.parquet") for name in adam_datasets},
        log:
            cut_path("logs", "derive_adam", "adam.log"),
        wildcard_constraints:
            study=studies_pattern(adam_studies),
        priority: PRIORITY["adam"]
        conda:
            "../../envs/inoflow.yaml"
        resources:
            **RESOURCES["derive_adam"],
        params:
            cutoff=cutoff_date,
            codes=adam_codes,
        script:
            "../../scripts/derive_adam.py"
