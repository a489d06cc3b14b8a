"""The demo's interim cut: what the five sites sent for the interim analysis (data cut-off
30 September 2022, extracts exported mid-October 2022), told as the differences from what
they sent at database lock (cut-off 30 April 2023).

Between the two transfers, as happens in real studies:

- follow-up went on: patients alive in October 2022 were seen again later, and one was lost
  to follow-up only after the interim export (IN01, IN03, IN04, IN05 follow-up);
- a death was reported late: 02-0006 (IN02) died on 22 April 2022, but the site had last seen
  the patient on 14 March 2022 and recorded the death only before lock;
- a site corrected an adverse-event grade: 02-0007's urinary tract infection (IN02) was sent
  as grade 2, corrected to grade 3 (it was serious, with hospitalisation);
- a site corrected a laboratory value: 05/101's platelets of 27 February 2019 (IN05) were
  typed 90 x10^3/uL, corrected to 9.

Every other file is byte-identical between the cuts. IN01 and IN04 send one workbook each,
so their whole workbook differs. The interim cut is a synthetic construction, as is the demo.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

INTERIM_CUT = "2022-09-30"

# Last contact as of the interim export, for patients seen again (or lost) after it
INTERIM_LAST_CONTACT = {
    ("IN01", "P003"): date(2022, 10, 3),
    ("IN01", "P006"): date(2022, 10, 5),
    ("IN03", "KMC/ALL/034"): date(2022, 10, 11),
    ("IN04", "R4-30"): date(2022, 10, 7),
    ("IN05", "05/102"): date(2022, 10, 12),
}
LATE_DEATH = ("IN02", "02-0006", date(2022, 3, 14))  # site, subject, last contact known at the interim
AE_GRADE_AT_INTERIM = ("IN02", "02-0007", "UTI", 2)  # site, subject, verbatim term, grade sent
LAB_VALUE_AT_INTERIM = ("IN05", "05/101", date(2019, 2, 27), "PLAT", 90.0)  # site, subject, date, test, value


def interim_truth(locked: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The patient-level facts as the sites knew and sent them at the interim export."""
    truth = {name: frame.copy() for name, frame in locked.items()}
    followup = truth["followup"]
    for (site, subject), last in INTERIM_LAST_CONTACT.items():
        row = _one(followup, site, subject)
        followup.loc[row, ["LAST_CONTACT", "STATUS"]] = [_like(followup.at[row, "LAST_CONTACT"], last), "ALIVE"]
    site, subject, last = LATE_DEATH
    row = _one(followup, site, subject)
    followup.loc[row, "LAST_CONTACT"] = _like(followup.at[row, "LAST_CONTACT"], last)
    followup.loc[row, "STATUS"] = "ALIVE"
    followup.loc[row, ["DEATH_DATE", "DEATH_CAUSE", "DEATH_CAUSE_STD"]] = None

    ae = truth["adverse_events"]
    site, subject, term, grade = AE_GRADE_AT_INTERIM
    rows = (ae["SITEID"] == site) & (ae["SUBJID"] == subject) & (ae["AE_TERM"] == term)
    assert rows.sum() == 1, (site, subject, term)
    ae.loc[rows, "GRADE"] = grade

    labs = truth["labs"]
    site, subject, day, test, value = LAB_VALUE_AT_INTERIM
    rows = (
        (labs["SITEID"] == site)
        & (labs["SUBJID"] == subject)
        & (pd.to_datetime(labs["LAB_DATE"]) == pd.Timestamp(day))
        & (labs["TEST"] == test)
    )
    assert rows.sum() == 1, (site, subject, day, test)
    labs.loc[rows, "VALUE"] = value
    return truth


def _one(frame: pd.DataFrame, site: str, subject: str):
    rows = frame.index[(frame["SITEID"] == site) & (frame["SUBJID"] == subject)]
    assert len(rows) == 1, (site, subject)
    return rows[0]


def _like(example, value: date):
    """A date in the type the truth table uses (date, Timestamp or ISO text)."""
    if isinstance(example, str):
        return value.isoformat()
    if isinstance(example, pd.Timestamp):
        return pd.Timestamp(value)
    return value
