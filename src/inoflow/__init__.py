"""inoflow: from hospital extracts to the analysis of real-world inotuzumab ozogamicin studies.

Stages, one module each: :mod:`inoflow.ingest` (read files as sent), :mod:`inoflow.validate`
(pandera checks of each site's declared layout), :mod:`inoflow.harmonise` (site dialect ->
contract variables), :mod:`inoflow.model` (contract -> SDTM-named common model),
:mod:`inoflow.pool` (pool sites, validate the common model), :mod:`inoflow.reconcile`
(every row read is accounted for).
"""

__version__ = "0.1.0"
