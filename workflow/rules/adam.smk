# Derivation: one job per ADaM dataset, each reading only its declared sources.


rule derive_adam:
    input:
        unpack(get_adam_sources),
    output:
        dataset=cut_path("adam", "{adam}.parquet"),
    log:
        cut_path("logs", "derive_adam", "{adam}.log"),
    priority: PRIORITY["adam"]
    conda:
        "../../envs/inoflow.yaml"
    params:
        sdtm_names=adam_sdtm_names,
        adam_names=adam_upstream_names,
        cutoff=cutoff_date,
        code=adam_code,
    script:
        "../../scripts/derive_adam.py"
