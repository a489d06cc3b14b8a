# Per-site harmonisation: a site's validated extract -> the contract's canonical variables.


rule harmonise_extract:
    input:
        accepted=rules.validate_extract.output.accepted,
        dialect=get_dialect,
        shared=SHARED_CONFIG + VOCABULARIES,
    output:
        table=cut_path("harmonised", "{site}", "{domain}.parquet"),
    log:
        cut_path("logs", "harmonise_extract", "{site}", "{domain}.log"),
    conda:
        "../../envs/inoflow.yaml"
    params:
        study_config=study_config,
    script:
        "../../scripts/harmonise.py"
