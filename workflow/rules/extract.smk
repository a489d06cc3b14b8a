# Ingest each raw file as sent, validate it against the site's declared layout (pandera) and
# harmonise it to the contract's variables: one job per cut, for every file its sites sent,
# because a job's start-up (the engine's imports) costs more than a file's work. Each file is
# its own part in the output cache (inoflow.cache.JobParts; the folder: common.smk,
# OUTPUT_CACHE): a file sent unchanged, in an earlier run or an earlier cut, is restored from a
# verified, read-only entry, and only a changed file is read again, by the job's threads
# (worker processes). Every site, domain and stage keeps its own file in the cut's three
# folders (inoflow.extract.STAGE_FILES): the rule declares the folders, as a rule declaring
# each file would cost Snakemake seconds per job in bookkeeping (files x inputs checksums).
#
# Nothing cut-specific may enter a part's params or outputs (a part's key is the rule, the
# script, the wildcards but the cut, the file, its params with the code hash and its inputs'
# content).


rule extract:
    input:
        unpack(get_cut_extracts),
        shared=SHARED_CONFIG + VOCABULARIES + [DEIDENTIFICATION],
    output:
        ingest=directory(cut_path("ingest")),
        validated=directory(cut_path("validated")),
        harmonised=directory(cut_path("harmonised")),
    log:
        cut_path("logs", "extract", "extract.log"),
    conda:
        "../../envs/inoflow.yaml"
    threads: EXTRACT_THREADS
    resources:
        **RESOURCES["extract"],
    params:
        study_config=study_config,
        extracts=extracts_dir,
        sites=cut_sites,
        policy=validation_policy,
        code=CODE["extract"],
    script:
        "../../scripts/extract_cut.py"
