"""ADaM derivations: SDTM-named common model -> analysis datasets.

- :mod:`inoflow.adam.adrs`  ``derive_adrs(sdtm, definitions)``: response per marrow assessment and per subject
- :mod:`inoflow.adam.adae`  ``derive_adae(sdtm, definitions)``: reported and laboratory-derived adverse events;
  ``derive_subject_safety_flags(adae, definitions, subjects)``: the subject-level VOD and toxicity
  flags, joined onto ADSL by the safety and death endpoints (not stored in ADSL)
- :mod:`inoflow.adam.adsl`  ``derive_adsl(sdtm, adrs, definitions, cutoff)``: one record per subject
- :mod:`inoflow.adam.adtte` ``derive_adtte(sdtm, adsl, adrs, definitions)``: OS, RFS and DOR
- :mod:`inoflow.adam.common` definitions, dates, exposure, traceability
- :mod:`inoflow.adam.sources` what each derivation reads (``ADAM_SOURCES``), without pandas

Every threshold and rule parameter comes from the study's definitions file
(``config/definitions/<study>.yaml``, read with :func:`inoflow.adam.common.load_definitions`).
"""

__all__ = ["load_definitions"]


def __getattr__(name: str):
    # imported when asked for: the workflow reads inoflow.adam.sources at start, without pandas
    if name == "load_definitions":
        from inoflow.adam.common import load_definitions

        return load_definitions
    raise AttributeError(name)
