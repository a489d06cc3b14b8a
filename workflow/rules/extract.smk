# Ingest each raw file as sent, validate it against the site's declared layout (pandera) and
# harmonise it to the contract's variables. One job per file the site sends: per site and
# domain when the site sends a file per domain, per site when it sends one workbook with a
# sheet per domain (a change to the workbook changes every domain anyway). The three stages
# run in one process, each its own module writing its own output, because a job's start-up
# costs more than the stages; a changed file or site mapping reruns only its own chain.
#
# Cached between cuts by the script itself (inoflow.cache; the folder: common.smk,
# OUTPUT_CACHE): a file sent unchanged in a new cut is restored from a verified, read-only
# entry, not processed again. Nothing cut-specific may enter these jobs' params or outputs
# (the key is the rule, the script, the wildcards but the cut, the params with the code hash
# and the inputs' content).


rule ingest_validate_harmonise:
    input:
        unpack(get_extract),
        shared=SHARED_CONFIG + VOCABULARIES + [DEIDENTIFICATION],
    output:
        **stage_outputs("{domain}"),
    log:
        cut_path("logs", "ingest_validate_harmonise", "{site}", "{domain}.log"),
    wildcard_constraints:
        site=sites_pattern(FILE_PER_DOMAIN_SITES),
    conda:
        "../../envs/inoflow.yaml"
    params:
        study_config=study_config,
        policy=validation_policy,
        domains=domain_of,
        code=CODE["extract"],
    script:
        "../../scripts/process_extract.py"


# One rule per set of domains sent in one workbook (common.smk, WORKBOOK_RULES).
for workbook_rule, (workbook_domains, workbook_sites) in WORKBOOK_RULES.items():

    rule:
        name:
            workbook_rule
        input:
            unpack(get_workbook),
            shared=SHARED_CONFIG + VOCABULARIES + [DEIDENTIFICATION],
        output:
            **stage_outputs(*workbook_domains),
        log:
            cut_path("logs", "ingest_validate_harmonise", "{site}", "workbook.log"),
        wildcard_constraints:
            site=sites_pattern(workbook_sites),
        priority: PRIORITY["workbook"]
        conda:
            "../../envs/inoflow.yaml"
        params:
            study_config=study_config,
            policy=validation_policy,
            domains=list(workbook_domains),
            code=CODE["extract"],
        script:
            "../../scripts/process_extract.py"
