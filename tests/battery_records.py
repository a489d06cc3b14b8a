"""Battery topic: records that parse but cannot be true, found in the file itself
(inoflow.extract.plausibility): a value sent under the wrong unit label, a slip in the year, an
end before its start (and the day and month typed the other way round), a diagnosis before birth.
Each stops the file under policy fail and sets its row aside under quarantine.

The checks that need the whole common model or the previous cut (a date before the patient's
birth or diagnosis or outside the study window, a date read the wrong way round against the
patient's timeline, a patient registered twice, a patient or a file's rows lost since the
previous cut, a record of a patient not in the patient list) are in tests/test_cross_checks.py.
"""

from __future__ import annotations

from battery import AE, IN02, PATIENTS, Case, edit_line

LABS = "IN02/IN02_labs_long.csv"
FOLLOWUP = "IN02/IN02_followup.csv"
IN03_PATIENTS = "IN03/ALL_InO_patients.csv"

CASES = [
    Case(
        "unit mix-up: bilirubin in mg/dL under a umol/L label",
        IN02,
        "labs",
        LABS,
        lambda root: edit_line(root / LABS, 4, "Total Bilirubin,17.8,µmol/L", "Total Bilirubin,1.04,µmol/L"),
        [
            "site IN02, file IN02/IN02_labs_long.csv, row 4, column 'Result', value '1.04': BILI 1.04 umol/L is "
            "below the typical range 2-700 umol/L (config/units.yaml), but 17.79 umol/L, within it, if the value "
            "sent under the label µmol/L is in mg/dL: is the unit mislabelled?"
        ],
        row=4,
    ),
    Case(
        "unit mix-up: haemoglobin in g/dL under a g/L label",
        IN02,
        "labs",
        LABS,
        lambda root: edit_line(root / LABS, 5, "Haemoglobin,7.9,g/dL", "Haemoglobin,11.2,g/L"),
        [
            "site IN02, file IN02/IN02_labs_long.csv, row 5, column 'Result', value '11.2': HGB 1.12 g/dL is "
            "below the typical range 3-20 g/dL (config/units.yaml), but 11.2 g/dL, within it, if the value sent "
            "under the label g/L is in g/dL: is the unit mislabelled?"
        ],
        row=5,
    ),
    Case(
        "a slip in the year: an adverse event starting in 1917",
        IN02,
        "adverse_events",
        AE,
        lambda root: edit_line(root / AE, 2, "11/08/2017", "11/08/1917"),
        [
            "site IN02, file IN02/IN02_adverse_events.csv, row 2, column 'Start date', value '11/08/1917': "
            "AE_START 1917-08-11 is before 2000-01-01, the earliest date the contract allows for it "
            "(config/contract.yaml): a slip in the year?"
        ],
        row=2,
    ),
    Case(
        "a slip in the year: a diagnosis in 1914",
        IN02,
        "patients",
        PATIENTS,
        lambda root: edit_line(root / PATIENTS, 2, "17/03/2014", "17/03/1914"),
        [
            "site IN02, file IN02/IN02_patients.csv, row 2, column 'Diagnosis date', value '17/03/1914': "
            "DIAG_DATE 1914-03-17 is before 1920-01-01, the earliest date the contract allows for it "
            "(config/contract.yaml): a slip in the year?"
        ],
        row=2,
    ),
    Case(
        "a slip in the year: a death in 1918",
        IN02,
        "followup",
        FOLLOWUP,
        lambda root: edit_line(root / FOLLOWUP, 4, "Dead,10/05/2018", "Dead,10/05/1918"),
        [
            "site IN02, file IN02/IN02_followup.csv, row 4, column 'Date of death', value '10/05/1918': "
            "DEATH_DATE 1918-05-10 is before 2000-01-01, the earliest date the contract allows for it "
            "(config/contract.yaml): a slip in the year?"
        ],
        row=4,
    ),
    Case(
        "a diagnosis before the year of birth",
        "IN03",
        "patients",
        IN03_PATIENTS,
        lambda root: edit_line(root / IN03_PATIENTS, 2, "07-Oct-2015", "07-Oct-1995", encoding="cp1252"),
        [
            "site IN03, file IN03/ALL_InO_patients.csv, row 2, column 'Dx date', value '07-Oct-1995': "
            "DIAG_DATE 1995-10-07 is before the year of birth 1998 of the same row"
        ],
        row=2,
    ),
    Case(
        "an end date before its start date",
        IN02,
        "adverse_events",
        AE,
        lambda root: edit_line(root / AE, 2, "11/08/2017,13/08/2017", "11/08/2017,13/07/2017"),
        [
            "site IN02, file IN02/IN02_adverse_events.csv, row 2, column 'End date', value '13/07/2017': "
            "AE_END 2017-07-13 is before AE_START 2017-08-11 of the same row: an end cannot precede its start"
        ],
        row=2,
    ),
    Case(
        "day and month typed the other way round (an end before its start, in order read the other way)",
        IN02,
        "adverse_events",
        AE,
        lambda root: edit_line(root / AE, 2, "11/08/2017,13/08/2017", "08/11/2017,13/08/2017"),
        [
            "site IN02, file IN02/IN02_adverse_events.csv, row 2, column 'End date', value '13/08/2017': "
            "AE_END 2017-08-13 is before AE_START 2017-11-08 of the same row; with AE_START 08/11/2017 read the "
            "other way round (2017-08-11) the row is in order: were day and month typed the other way round in "
            "this row?"
        ],
        row=2,
    ),
]
