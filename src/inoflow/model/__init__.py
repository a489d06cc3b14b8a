"""Stage 2, the common model: harmonised extracts -> SDTM-named domains, every row accounted for.

Rules ``pool_sdtm_<family>``, ``reconcile_extracts`` and ``report_data_quality``
(workflow/rules/sdtm.smk):

- :mod:`~inoflow.model.build`      canonical (contract) tables -> SDTM-named domains (DM, EX, LB, RS, AE, ...)
- :mod:`~inoflow.model.pool`       pool the sites, validate each domain against schemas/sdtm.py
- :mod:`~inoflow.model.reconcile`  rows read = rows harmonised + rows rejected, per site and domain
- :mod:`~inoflow.model.quality`    cross-record checks of the common model and the data-quality report
"""
