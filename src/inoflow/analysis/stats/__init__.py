"""Standard statistics for the analysis outputs, as small documented pure functions.

- :mod:`inoflow.analysis.stats.proportion`: exact (Clopper-Pearson) confidence interval of a proportion,
  as R ``binom.test`` and ``cardx::ard_proportion_ci(method = "clopper-pearson")`` compute it.
- :mod:`inoflow.analysis.stats.km`: Kaplan-Meier estimate with Greenwood variance, pointwise intervals on
  the log-log (default), log or plain scale, quantiles with the Brookmeyer-Crowley interval, as
  R ``survival::survfit`` / ``quantile.survfit`` compute them; numbers at risk, the reverse
  Kaplan-Meier (median follow-up) and the crude proportion known alive at a landmark.

numpy, scipy and pandas only; lifelines is used in the tests as an independent cross-check.
"""

from inoflow.analysis.stats import km, proportion

__all__ = ["km", "proportion"]
