# The audit bundle of each cut: one zip that is a Workflow Run RO-Crate (Provenance Run
# Crate profile) holding the extracts and their manifest, every dataset from the rows as read
# to the ARD with its lineage, the book, the executed notebooks and the workflow itself, with
# each job Snakemake ran (from its own run records) as a step of the run (inoflow.audit.crate).


rule audit_bundle:
    input:
        unpack(get_audit_inputs),
    output:
        bundle=cut_path("audit", "{study}_{cut}_audit.zip"),
        crate=cut_path("audit", "ro-crate-metadata.json"),
    log:
        cut_path("logs", "audit_bundle", "audit.log"),
    conda:
        "../../envs/inoflow.yaml"
    resources:
        **RESOURCES["audit_bundle"],
    params:
        cutoff=cutoff_date,
        status=cut_status,
        extracts=extracts_dir,
        workflow_dir=WORKFLOW_DIR,
        code=CODE["audit"],
    script:
        "../../scripts/audit_bundle.py"
