# The common model: pool the sites' records per SDTM domain, validate it, reconcile every row.


# One job per family of domains (config.Contract.sdtm_families): the raw domains that feed a
# set of SDTM domains, e.g. patients -> DM, MH, SC. A changed extract reruns its family only.
for family, (raw_domains, sdtm_domains) in CONTRACT.sdtm_families().items():

    rule:
        name:
            f"pool_sdtm_{family}"
        input:
            tables=harmonised_tables_of(raw_domains),
            shared=SHARED_CONFIG,
        output:
            **{name: cut_path("sdtm", f"{name}.parquet") for name in sdtm_domains},
        log:
            cut_path("logs", "pool_sdtm", f"{family}.log"),
        priority: PRIORITY["pool"]
        conda:
            "../../envs/inoflow.yaml"
        params:
            study_config=study_config,
            code=CODE["pool"],
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
        code=CODE["reconcile"],
    script:
        "../../scripts/reconcile.py"


rule report_data_quality:
    input:
        unpack(get_data_quality_inputs),
    output:
        csv=cut_path("data_quality", "data_quality.csv"),
        html=cut_path("data_quality", "data_quality.html"),
        checks=cut_path("data_quality", "checks.csv"),
    log:
        cut_path("logs", "report_data_quality", "data_quality.log"),
    conda:
        "../../envs/inoflow.yaml"
    params:
        study_config=study_config,
        previous_cut=previous_cut_of,
        code=CODE["quality"],
    script:
        "../../scripts/report_data_quality.py"
