"""inoflow: from hospital extracts to the analysis of real-world inotuzumab ozogamicin studies.

The package is arranged like the workflow (``workflow/rules/*.smk``), a folder per stage, each
with a docstring that lists its modules:

- :mod:`inoflow.extract`   (extract.smk)    a file as sent -> rows read, gated, validated, harmonised
- :mod:`inoflow.model`     (sdtm.smk)       -> the SDTM-named common model, reconciliation, data quality
- :mod:`inoflow.adam`      (adam.smk)       -> ADaM datasets, each seeing the data as at its cut-off
- :mod:`inoflow.analysis`  (endpoints.smk)  -> analysis results data (ARD) with cell-level lineage
- :mod:`inoflow.tables`    (endpoints.smk)  -> tables and figures from the ARD, the book
- :mod:`inoflow.audit`     (audit.smk)      -> provenance, audit bundle, locks, releases, cut comparison, trace

Shared by every stage: :mod:`inoflow.config` (the configuration, from the working folder),
:mod:`inoflow.errors`, :mod:`inoflow.runner` (a rule script's log), :mod:`inoflow.codeversion`
(the code a rule runs, as a hash that reruns it when edited). :mod:`inoflow.pipeline` runs a
whole cut in one process (tests, benchmark); :mod:`inoflow.dictionary` writes the data
dictionary; :mod:`inoflow.project` copies the project.
"""

__version__ = "0.1.0"
