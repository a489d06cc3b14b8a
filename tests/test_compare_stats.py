"""The log-rank test and Cox hazard ratios (inoflow.analysis.stats.compare) against R 4.2.2
survival 3.5.3 (survdiff, coxph with its default Efron ties), printed by R into this file, on
hand-made data with tied times and three groups."""

from __future__ import annotations

import numpy as np
import pytest

from inoflow.analysis.stats.compare import hazard_ratios, logrank

# R: d <- data.frame(time, status, g = factor(g, c("A", "B", "C")))
TIME = [1, 2, 2, 3, 4, 5, 5, 6, 7, 8, 9, 10, 11, 12, 12, 14, 15, 16, 18, 20]
EVENT = [1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 0]
GROUP = list("ABACABCABCABCABCBCAC")


def test_the_log_rank_test_is_rs_survdiff():
    # survdiff(Surv(time, status) ~ g): chisq 0.1066860151 on 2 df, p 0.9480547668
    result = logrank(TIME, EVENT, GROUP)
    assert result["statistic"] == pytest.approx(0.1066860151, abs=1e-9)
    assert result["df"] == 2
    assert result["p.value"] == pytest.approx(0.9480547668, abs=1e-9)


def test_hazard_ratios_are_rs_coxph_with_efron_ties():
    # summary(coxph(Surv(time, status) ~ g)): exp(coef), lower .95, upper .95, se(coef), Pr(>|z|)
    expected = {
        "B": (0.8241751397, 0.1819260707, 3.7337400759, 0.7708216416, 0.8019184327),
        "C": (0.8151066187, 0.2166018233, 3.0673739945, 0.6761645537, 0.7623875198),
    }
    ratios = hazard_ratios(TIME, EVENT, GROUP, ["A", "B", "C"])
    for level, values in expected.items():
        got = [ratios[level][k] for k in ("estimate", "conf.low", "conf.high", "std.error", "p.value")]
        assert got == pytest.approx(list(values), abs=1e-6), level


def test_a_group_without_events_or_patients_has_no_ratio():
    ratios = hazard_ratios([1, 2, 3, 4], [1, 1, 0, 0], ["A", "A", "B", "B"], ["A", "B", "C"])
    assert np.isnan(ratios["B"]["estimate"]) and np.isnan(ratios["C"]["estimate"])  # B: no event; C: nobody
    assert np.isnan(logrank([1, 2], [1, 0], ["A", "A"])["p.value"])  # one group: no test
