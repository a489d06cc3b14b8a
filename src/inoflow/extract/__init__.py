"""Stage 1, extract: one file a site sent -> its rows as read, validated and harmonised.

Rule ``ingest_validate_harmonise`` (workflow/rules/extract.smk), one job per file a site sends
(or per workbook). The chain, :func:`inoflow.extract.process.process_extract`:

- :mod:`~inoflow.extract.ingest`        read the file as sent: every cell as text, with file, sha256, sheet, row
- :mod:`~inoflow.extract.deid`          the de-identification gate: refuse direct identifiers before anything is written
- :mod:`~inoflow.extract.dialect`       the site's dialect resolved per column: variable, type, format, codes, units
- :mod:`~inoflow.extract.parsing`       cell text -> typed values, one parser per dialect rule
- :mod:`~inoflow.extract.validate`      the pandera schema built from the dialect (lazy: every failure listed)
- :mod:`~inoflow.extract.harmonise`     dialect -> the contract's canonical variables, units and codes
- :mod:`~inoflow.extract.plausibility`  each value in its plausible range, no date in the future, no duplicate row
- :mod:`~inoflow.extract.process`       the chain for one file, and quarantine of rows with findings
"""
