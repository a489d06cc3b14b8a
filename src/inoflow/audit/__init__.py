"""Stage 6, audit: provenance, locks and releases, the cut comparison, and tracing a number.

Rules ``audit_bundle`` and ``compare_cuts`` (workflow/rules/audit.smk, endpoints.smk), the
commands ``scripts/lock_cut.py``, ``scripts/release_cut.py`` and ``inoflow-trace``:

- :mod:`~inoflow.audit.provenance`  the footer of every output: sources with sha256, code version, run
- :mod:`~inoflow.audit.crate`       the cut's audit bundle, a Workflow Run RO-Crate
- :mod:`~inoflow.audit.lock`        the extract manifest of a locked cut, checked before any job runs
- :mod:`~inoflow.audit.release`     read-only releases of a locked cut's outputs
- :mod:`~inoflow.audit.cutdiff`     what changed between two cuts: subjects, records, results cells
- :mod:`~inoflow.audit.trace`       any table cell -> ARD rows -> subjects -> ADaM -> common model -> raw rows
- :mod:`~inoflow.audit.recompute`   a statistic recomputed from nothing but the raw rows its trace returns
"""
