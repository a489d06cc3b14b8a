# Ingest, then validate each raw extract against its site's declared layout.


rule ingest_extract:
    input:
        unpack(get_extract),
    output:
        table=cut_path("ingest", "{site}", "{domain}.parquet"),
    log:
        cut_path("logs", "ingest_extract", "{site}", "{domain}.log"),
    conda:
        "../../envs/inoflow.yaml"
    params:
        study_config=study_config,
        extracts=extracts_dir,
    script:
        "../../scripts/ingest.py"


rule validate_extract:
    input:
        table=rules.ingest_extract.output.table,
        dialect=get_dialect,
        shared=SHARED_CONFIG + VOCABULARIES,
    output:
        accepted=cut_path("validated", "{site}", "{domain}.parquet"),
        rejected=cut_path("validated", "{site}", "{domain}.rejected.parquet"),
        findings=cut_path("validated", "{site}", "{domain}.findings.csv"),
    log:
        cut_path("logs", "validate_extract", "{site}", "{domain}.log"),
    conda:
        "../../envs/inoflow.yaml"
    params:
        study_config=study_config,
    script:
        "../../scripts/validate_extract.py"
