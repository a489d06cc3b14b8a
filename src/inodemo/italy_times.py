"""Synthetic time-to-event data for the Italian INO-CD22 cohort (N = 73).

SYNTHETIC DATA - no row describes a real person. The INO-CD22 study (24 Italian centres, adults
with relapsed/refractory B-cell ALL given inotuzumab ozogamicin, 2014-2019) publishes only
aggregate figures. The rows below were found once, offline, by a small scripted search over
integer day counts (seeded simulated annealing plus explicit allocation rules); nothing is
searched or drawn at import time. They reproduce every published time-to-event figure when
analysed with :mod:`inoflow.analysis.stats.km` (Kaplan-Meier, Greenwood variance, log-log pointwise
intervals, Brookmeyer-Crowley intervals for quantiles, as R ``survival``):

Overall survival (``OS_DAYS``, ``DEATH``; 58 deaths, 15 alive at last contact)
    median 7.9 months (95 % CI 6.08-12.42): the 37th death at day 239 takes S(t) below 0.5;
    the lower and upper log-log bands cross 0.5 at the deaths on days 185 and 378.
    3-year OS (t = 36 months) 21.2 % (95 % CI 11.9-32.3); 5-year OS (t = 60 months) 5.3 %.
    The published 5-year interval (9.6-29.8) does not contain its own estimate and is not
    reproduced (these data give 0.5-20.0). Median follow-up 37.2 months by the reverse
    Kaplan-Meier method (censoring as the event; its median, the last contact on day 1133).
Duration of response (``DOR_DAYS``, ``DOR_EVENT``; the 54 responders, 45 events, 9 censored)
    median 4.4 months, quartiles 2.3 and 11.2 months, with ``quantile(fit, p)`` (the p-th
    quantile is the first time S(t) <= 1 - p): p = 0.25 gives the first quartile (14th event,
    day 71), p = 0.75 the third (41st event, day 341). For the median, S(t) is exactly 0.5
    between the 27th and 28th events (days 134 and 135), so R's rule returns their midpoint,
    134.5 days; the first time S(t) <= 0.5 (day 134) prints as 4.4 months too.
Counts
    response 51 CR + 3 CRi + 19 NR; 27 allogeneic HSCT (25 responders, 2 non-responders
    transplanted after further salvage); 8 VOD/SOS (6 after HSCT, 2 during InO treatment,
    2 fatal).

Definitions: day 0 is the first InO dose; months = days / 30.4375. ``RESPONSE_DAY``: first CR or
CRi (days 21-84, after cycle 1, 2 or 3). ``DOR_DAYS``: response to relapse or death
(``DOR_EVENT`` True) or to last contact (False); ``RELAPSE`` True when the DOR event is a relapse,
False for a death in remission or no event. The response day plus DOR never exceeds
``OS_DAYS`` (a relapse precedes death; a death in remission ends DOR on the death day).
``HSCT_DAY``: allogeneic HSCT, after the response (non-responders: after further salvage) and
before death or last contact; all 25 transplanted responders were transplanted in remission
(before any relapse). ``VOD_DAY``: onset of VOD/SOS, after the HSCT when transplanted.
``DEATH_CAUSE``: Disease progression (non-responders), Relapse, Infection, Pneumonia, VOD/SOS or
GvHD; None when alive. The published results do not break causes of death down; the allocation
is illustrative. A DOR third quartile of 11.2 months next to a 3-year OS of 21 % means that
several responders who relapsed within a year live on for one to two years after the relapse
(further salvage), as the search had to allow.
"""

from __future__ import annotations

import pandas as pd

MONTH_DAYS = 30.4375

COLUMNS = [
    "PATIENT",
    "RESPONSE",
    "RESPONSE_DAY",
    "OS_DAYS",
    "DEATH",
    "DOR_DAYS",
    "DOR_EVENT",
    "RELAPSE",
    "HSCT",
    "HSCT_DAY",
    "VOD",
    "VOD_DAY",
    "DEATH_CAUSE",
]

# One row per patient, PATIENT = position + 1, fields in the order of ROW_FIELDS
ROW_FIELDS = (
    "RESPONSE",
    "RESPONSE_DAY",
    "OS_DAYS",
    "DEATH",
    "DOR_DAYS",
    "DOR_EVENT",
    "RELAPSE",
    "HSCT_DAY",
    "VOD_DAY",
    "DEATH_CAUSE",
)
# fmt: off
ROWS: tuple[tuple, ...] = (
    ("CR", 40, 907, False, 256, True, True, None, None, None),
    ("CR", 66, 1789, True, 1161, True, True, 117, None, "Relapse"),
    ("CR", 76, 472, False, 76, True, True, 114, None, None),
    ("CR", 25, 71, True, 21, True, True, None, None, "Relapse"),
    ("NR", None, 96, True, None, None, None, None, None, "Disease progression"),
    ("CR", 48, 502, True, 58, True, True, None, None, "Relapse"),
    ("CRi", 58, 207, True, 74, True, True, None, None, "Relapse"),
    ("NR", None, 1049, False, None, None, None, 138, None, None),
    ("NR", None, 77, True, None, None, None, None, None, "Disease progression"),
    ("CR", 54, 231, True, 26, True, True, None, None, "Relapse"),
    ("CR", 33, 341, True, 74, True, True, None, None, "Relapse"),
    ("CR", 60, 227, True, 71, True, True, None, None, "Relapse"),
    ("NR", None, 51, True, None, None, None, None, None, "Disease progression"),
    ("NR", None, 137, True, None, None, None, None, None, "Disease progression"),
    ("CR", 61, 948, False, 887, False, False, 134, None, None),
    ("CR", 29, 1294, False, 323, True, True, 71, None, None),
    ("CR", 36, 95, True, 39, True, True, None, None, "Relapse"),
    ("CR", 78, 147, True, 22, True, True, None, None, "Relapse"),
    ("CR", 45, 1198, False, 1153, False, False, 118, None, None),
    ("NR", None, 805, False, None, None, None, 157, 176, None),
    ("CR", 42, 1105, False, 1063, False, False, 88, None, None),
    ("CR", 22, 378, True, 99, True, True, 89, 102, "Relapse"),
    ("NR", None, 325, True, None, None, None, None, None, "Disease progression"),
    ("NR", None, 23, True, None, None, None, None, None, "Disease progression"),
    ("CR", 44, 117, True, 73, True, False, None, None, "Pneumonia"),
    ("CR", 63, 1133, False, 1070, False, False, 139, None, None),
    ("CR", 46, 284, True, 238, True, False, 89, None, "Infection"),
    ("CR", 82, 346, True, 83, True, True, 138, 151, "Relapse"),
    ("CR", 49, 239, True, 190, True, False, 83, None, "GvHD"),
    ("CR", 23, 68, True, 14, True, True, None, None, "Relapse"),
    ("CR", 84, 899, True, 137, True, True, None, None, "Relapse"),
    ("CR", 35, 137, True, 72, True, True, None, None, "Relapse"),
    ("CRi", 57, 280, True, 116, True, True, None, None, "Relapse"),
    ("NR", None, 25, True, None, None, None, None, None, "Disease progression"),
    ("CR", 21, 2165, False, 2144, False, False, None, None, None),
    ("NR", None, 59, True, None, None, None, None, None, "Disease progression"),
    ("CR", 30, 211, True, 85, True, True, None, None, "Relapse"),
    ("CR", 50, 611, True, 251, True, True, None, 55, "Relapse"),
    ("CR", 45, 85, True, 40, True, False, None, 73, "VOD/SOS"),
    ("CR", 26, 848, True, 182, True, True, 111, 122, "Relapse"),
    ("CR", 33, 216, True, 102, True, True, None, None, "Relapse"),
    ("NR", None, 20, True, None, None, None, None, None, "Disease progression"),
    ("NR", None, 64, True, None, None, None, None, None, "Disease progression"),
    ("CR", 24, 674, False, 650, False, False, 118, None, None),
    ("CR", 45, 112, True, 31, True, True, None, None, "Relapse"),
    ("CR", 50, 875, False, 825, False, False, 152, None, None),
    ("CR", 66, 1075, True, 184, True, True, 112, 129, "Relapse"),
    ("CR", 78, 213, True, 135, True, False, 172, 185, "VOD/SOS"),
    ("CR", 34, 185, True, 93, True, True, None, None, "Relapse"),
    ("CR", 57, 731, True, 261, True, True, None, None, "Relapse"),
    ("CR", 46, 1595, True, 1549, True, False, 100, None, "GvHD"),
    ("CR", 42, 585, True, 134, True, True, None, None, "Relapse"),
    ("NR", None, 115, True, None, None, None, None, None, "Disease progression"),
    ("CR", 64, 1581, False, 1517, False, False, 167, None, None),
    ("CR", 60, 733, True, 290, True, True, 98, None, "Relapse"),
    ("NR", None, 250, True, None, None, None, None, None, "Disease progression"),
    ("NR", None, 87, True, None, None, None, None, None, "Infection"),
    ("CR", 33, 1044, False, 150, True, True, 126, None, None),
    ("NR", None, 156, True, None, None, None, None, None, "Disease progression"),
    ("CR", 24, 133, True, 42, True, True, None, None, "Relapse"),
    ("NR", None, 19, True, None, None, None, None, None, "Disease progression"),
    ("CR", 68, 353, True, 285, True, False, 111, None, "GvHD"),
    ("CR", 26, 57, True, 20, True, True, None, None, "Relapse"),
    ("NR", None, 118, True, None, None, None, None, None, "Disease progression"),
    ("CR", 44, 1582, True, 1062, True, True, 104, None, "Relapse"),
    ("CR", 24, 44, True, 20, True, False, None, None, "Infection"),
    ("CR", 22, 62, True, 19, True, True, None, None, "Relapse"),
    ("NR", None, 11, True, None, None, None, None, None, "Disease progression"),
    ("CR", 22, 1019, True, 341, True, True, 54, None, "Relapse"),
    ("CR", 23, 211, True, 124, True, True, None, None, "Relapse"),
    ("CRi", 47, 222, True, 62, True, True, None, None, "Relapse"),
    ("CR", 71, 972, False, 901, False, False, 105, None, None),
    ("CR", 24, 1083, True, 408, True, True, 123, None, "Relapse"),
)
# fmt: on


def italy_survival() -> pd.DataFrame:
    """The synthetic INO-CD22 cohort, one row per patient (``PATIENT`` 1..73), columns
    :data:`COLUMNS`. Day counts are from the first InO dose; responder-only columns
    (``RESPONSE_DAY``, ``DOR_DAYS``, ``DOR_EVENT``, ``RELAPSE``) are missing (``<NA>``) for
    non-responders, ``HSCT_DAY`` / ``VOD_DAY`` when there was none, ``DEATH_CAUSE`` (None)
    for patients alive at last contact."""
    raw = pd.DataFrame(list(ROWS), columns=list(ROW_FIELDS))
    frame = pd.DataFrame(
        {
            "PATIENT": range(1, len(raw) + 1),
            "RESPONSE": raw["RESPONSE"].astype(str),
            "RESPONSE_DAY": raw["RESPONSE_DAY"].astype("Int64"),
            "OS_DAYS": raw["OS_DAYS"].astype(int),
            "DEATH": raw["DEATH"].astype(bool),
            "DOR_DAYS": raw["DOR_DAYS"].astype("Int64"),
            "DOR_EVENT": raw["DOR_EVENT"].astype("boolean"),
            "RELAPSE": raw["RELAPSE"].astype("boolean"),
            "HSCT": raw["HSCT_DAY"].notna(),
            "HSCT_DAY": raw["HSCT_DAY"].astype("Int64"),
            "VOD": raw["VOD_DAY"].notna(),
            "VOD_DAY": raw["VOD_DAY"].astype("Int64"),
            "DEATH_CAUSE": raw["DEATH_CAUSE"].astype(object),
        },
        columns=COLUMNS,
    )
    return frame
