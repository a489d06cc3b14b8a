"""Stage 5, tables and figures: every display rendered from its ARD, and the book.

Written by the ``run_endpoint`` notebooks and rule ``assemble_book`` (workflow/rules/endpoints.smk):

- :mod:`~inoflow.tables.report`   tables (CSV, HTML) and figures (Kaplan-Meier curves, the disposition flow) from the ARD
- :mod:`~inoflow.tables.compare`  each published figure beside the reproduced one
- :mod:`~inoflow.tables.book`     the HTML book of a cut: outputs, comparison with the publication, data quality
"""
