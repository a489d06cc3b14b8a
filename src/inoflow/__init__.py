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

import os
import sys

__version__ = "0.1.0"

# jsonschema (the configuration's schemas; nbformat's validation of notebooks) imports its
# optional IRI format checker, rfc3987_syntax, and that compiles Earley grammars at import:
# 2.4 s of every process that validates anything, more than a rule's own work. No schema of
# this project or of nbformat uses an IRI format, so the checker is declared absent for every
# process that imports inoflow (the workflow, its rule scripts, the notebooks' runner, the
# scripts); jsonschema then goes without it, as it does where it is not installed.
sys.modules.setdefault("rfc3987_syntax", None)

# openpyxl reads and writes workbooks through lxml when lxml is installed (python-docx, for the
# DOCX tables, brings it). Through lxml it writes other bytes (the seeded demo workbooks would
# no longer be the committed ones) and reads without defusedxml's guards against hostile XML in
# a workbook sent from outside. The standard library and defusedxml are kept, for every process
# that imports inoflow before openpyxl (a user may set OPENPYXL_LXML=True beforehand).
os.environ.setdefault("OPENPYXL_LXML", "False")
