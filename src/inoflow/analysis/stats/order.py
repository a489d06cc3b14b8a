"""Distribution-free confidence interval of the median from order statistics.

The interval ``[x_(k), x_(n-k+1)]`` of the sorted sample, with ``k`` the largest rank such that
``P(B <= k - 1) <= alpha / 2`` for ``B ~ Binomial(n, 1/2)``: its coverage ``1 - 2 P(B <= k - 1)``
is at least ``1 - alpha`` (Conover, *Practical Nonparametric Statistics*, 3rd ed., 1999, section
3.2; SAS PROC UNIVARIATE ``CIPCTLDF`` with symmetric ranks). No interval exists when even the
sample minimum and maximum cover less than ``1 - alpha`` (n <= 5 at 95 %).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

METHOD = "Distribution-free (order statistics, binomial) confidence interval of the median"


@dataclass(frozen=True)
class MedianCI:
    median: float
    conf_low: float
    conf_high: float
    rank_low: int | None  # 1-based ranks of the limits in the sorted sample
    rank_high: int | None
    coverage: float  # the exact coverage of the interval (>= the confidence level)


def median_ci(values, conf_level: float = 0.95) -> MedianCI:
    """The sample median and its distribution-free confidence interval.

    >>> ci = median_ci([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5])  # sorted 1 1 2 3 3 4 5 5 5 6 9
    >>> (ci.median, ci.rank_low, ci.rank_high, ci.conf_low, ci.conf_high, round(ci.coverage, 4))
    (4.0, 2, 10, 1.0, 6.0, 0.9883)
    """
    x = np.sort(np.asarray(values, dtype=float))
    x = x[~np.isnan(x)]
    n = len(x)
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be between 0 and 1, got {conf_level}")
    if n == 0:
        return MedianCI(math.nan, math.nan, math.nan, None, None, math.nan)
    from scipy.stats import binom  # here: scipy.stats costs ~0.5 s to import, and most jobs never call this

    med = float(np.median(x))
    alpha = 1 - conf_level
    k = 0
    for rank in range(1, n // 2 + 1):
        if binom.cdf(rank - 1, n, 0.5) <= alpha / 2:
            k = rank
        else:
            break
    if k == 0:
        return MedianCI(med, math.nan, math.nan, None, None, math.nan)
    coverage = float(1 - 2 * binom.cdf(k - 1, n, 0.5))
    return MedianCI(med, float(x[k - 1]), float(x[n - k]), k, n - k + 1, coverage)
