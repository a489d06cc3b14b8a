"""Stage 4, analysis: ADaM datasets -> analysis results data (ARD) with cell-level lineage.

Rule ``run_endpoint`` (workflow/rules/endpoints.smk), one papermill notebook per endpoint; the
notebook calls :mod:`~inoflow.analysis.notebook` and computes nothing itself:

- :mod:`~inoflow.analysis.endpoints`  each endpoint's outputs (response, mrd, survival, safety, death,
  costs) as ARD rows, in code or from a study's analysis plan (``endpoints.plan``)
- :mod:`~inoflow.analysis.ard`        the cards/cardx layout and its builders (proportions, summaries, Kaplan-Meier)
- :mod:`~inoflow.analysis.stats`      the standard statistics (Clopper-Pearson, Kaplan-Meier, Brookmeyer-Crowley)
- :mod:`~inoflow.analysis.lineage`    the subjects behind each ARD row, with their role
- :mod:`~inoflow.analysis.costs`      the cost assessment's rules (vials, stays, transfusions, HSCT)
- :mod:`~inoflow.analysis.notebook`   what a notebook calls: load ADaM, build the ARD, write it with its tables and figures
"""
