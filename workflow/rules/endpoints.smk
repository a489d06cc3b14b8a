# Endpoints: one job per cut executes every endpoint notebook of the study with papermill on one
# kernel (the statistics live in inoflow.analysis.endpoints), keeping each endpoint's executed
# notebook; each endpoint is a part in the output cache (inoflow.cache.JobParts), so a changed
# ADaM dataset re-executes only the notebooks that read it. Then the book assembles every
# output with the comparison with the publication.


for endpoint_rule, (rule_endpoints, endpoint_studies) in ENDPOINT_RULES.items():

    rule:
        name:
            endpoint_rule
        input:
            unpack(get_endpoint_inputs),
        output:
            **endpoint_outputs(rule_endpoints),
        log:
            cut_path("logs", "run_endpoints", "endpoints.log"),
        wildcard_constraints:
            study=studies_pattern(endpoint_studies),
        priority: PRIORITY["endpoint"]
        conda:
            "../../envs/inoflow.yaml"
        resources:
            **RESOURCES["run_endpoints"],
        params:
            notebook_parameters=get_notebook_parameters,
            code=endpoint_code,
        script:
            "../../scripts/run_notebooks.py"


rule assemble_book:
    input:
        unpack(get_book_inputs),
    output:
        book=report(
            cut_path("book.html"),
            caption="../report/book.rst",
            category="{study} {cut}",
            subcategory="Book",
            labels={"document": "book (HTML)"},
        ),
        docx=cut_path("book.docx"),
        pdf=report(
            cut_path("book.pdf"),
            caption="../report/book.rst",
            category="{study} {cut}",
            subcategory="Book",
            labels={"document": "book (PDF)"},
        ),
        comparison=cut_path("comparison_with_publication.csv"),
        ard=cut_path("ard", "all_outputs.parquet"),
        excluded=cut_path("listings", "screened_not_eligible.csv"),
    log:
        cut_path("logs", "assemble_book", "book.log"),
    conda:
        "../../envs/inoflow.yaml"
    resources:
        **RESOURCES["assemble_book"],
    params:
        title=study_title,
        endpoints=study_endpoints,
        endpoint_names=study_endpoint_names,
        synthetic=is_synthetic_demo,
        code=CODE["book"],
        policy=validation_policy,
        publication_cut=publication_cut,
    script:
        "../../scripts/assemble_book.py"


# The shareable release of a cut's tables (inoflow.tables.shareable): rendered from the ARD with
# small cells suppressed, for sharing outside the study; the study's own tables stay exact.


rule shareable_tables:
    input:
        ard=cut_path("ard", "all_outputs.parquet"),
        definitions=definitions_file,
        catalogue="config/reference/outputs.yaml",
        display=DISPLAY_FILE,
        registry=REGISTRY_DEFINITIONS,
    output:
        book=cut_path("shareable", "book.html"),
        ard=cut_path("shareable", "ard", "all_outputs.parquet"),
        tables=directory(cut_path("shareable", "tables")),
    log:
        cut_path("logs", "shareable_tables", "shareable.log"),
    conda:
        "../../envs/inoflow.yaml"
    resources:
        **RESOURCES["shareable_tables"],
    params:
        title=study_title,
        synthetic=is_synthetic_demo,
        min_cell_count=MIN_CELL_COUNT,
        code=CODE["shareable"],
    script:
        "../../scripts/shareable_tables.py"


rule compare_cuts:
    input:
        unpack(get_cut_comparison_inputs),
    output:
        records=os.path.join(
            RESULTS, "{study}", "compare", "{before}_vs_{after}", "records.csv"
        ),
        subjects=os.path.join(
            RESULTS, "{study}", "compare", "{before}_vs_{after}", "subjects.csv"
        ),
        cells=os.path.join(
            RESULTS, "{study}", "compare", "{before}_vs_{after}", "cells.csv"
        ),
        html=os.path.join(
            RESULTS, "{study}", "compare", "{before}_vs_{after}", "comparison.html"
        ),
    log:
        os.path.join(RESULTS, "{study}", "compare", "logs", "{before}_vs_{after}.log"),
    wildcard_constraints:
        before=r"[A-Za-z0-9.-]+",
        after=r"[A-Za-z0-9.-]+",
    conda:
        "../../envs/inoflow.yaml"
    resources:
        **RESOURCES["compare_cuts"],
    params:
        before_dir=cut_dir_of("before"),
        after_dir=cut_dir_of("after"),
        out_dir=comparison_dir,
        code=CODE["compare"],
    script:
        "../../scripts/compare_cuts.py"
