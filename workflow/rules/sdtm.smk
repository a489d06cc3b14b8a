# The common model: pool the sites per SDTM domain, validate it, and reconcile every row.


rule pool_sdtm_domain:
    input:
        tables=get_sdtm_sources,
        shared=SHARED_CONFIG,
    output:
        table=cut_path("sdtm", "{sdtm}.parquet"),
    log:
        cut_path("logs", "pool_sdtm_domain", "{sdtm}.log"),
    conda:
        "../../envs/inoflow.yaml"
    params:
        study_config=study_config,
    script:
        "../../scripts/pool_sdtm.py"


rule reconcile_extracts:
    input:
        unpack(get_reconciliation_inputs),
    output:
        csv=cut_path("reconciliation", "reconciliation.csv"),
        rejected=cut_path("reconciliation", "rejected_rows.csv"),
        html=cut_path("reconciliation", "reconciliation.html"),
    log:
        cut_path("logs", "reconcile_extracts", "reconcile.log"),
    conda:
        "../../envs/inoflow.yaml"
    params:
        extracts=reconciliation_keys,
    script:
        "../../scripts/reconcile.py"
