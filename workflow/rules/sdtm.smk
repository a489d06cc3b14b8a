# The common model: pool the sites' records per SDTM domain, validate it, reconcile every row.


# One job per cut pools every family of domains (config.Contract.sdtm_families: the raw
# domains that feed a set of SDTM domains, e.g. patients -> DM, MH, SC), each family a part in
# the output cache (inoflow.cache.JobParts): a changed extract recomputes its family only.
rule pool_sdtm:
    input:
        unpack(stage_folders("harmonised")),
        shared=SHARED_CONFIG,
    output:
        **{
            name: cut_path("sdtm", f"{name}.parquet")
            for name in CONTRACT.sdtm_domains()
        },
    log:
        cut_path("logs", "pool_sdtm", "sdtm.log"),
    priority: PRIORITY["pool"]
    conda:
        "../../envs/inoflow.yaml"
    resources:
        **RESOURCES["pool_sdtm"],
    params:
        study_config=study_config,
        tables=stage_files("harmonised"),
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
    resources:
        **RESOURCES["reconcile_extracts"],
    params:
        extracts=reconciliation_keys,
        read=stage_files("read"),
        rejected=stage_files("rejected"),
        harmonised=stage_files("harmonised"),
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
    resources:
        **RESOURCES["report_data_quality"],
    params:
        study_config=study_config,
        previous_cut=previous_cut_of,
        findings=stage_files("findings"),
        set_aside=patient_list_set_aside,
        code=CODE["quality"],
    script:
        "../../scripts/report_data_quality.py"
