"""Report preambles and footers: rows that are not data, declared in the dialect, are read and set
aside with their reason before the field-count check, so a footer shorter than the header (one
field, "Exported by HIS on 2023-05-02") does not refuse the file, and every row is accounted for
(rows read = rows harmonised + rows rejected)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from inoflow.config import Site, validate_against_schema
from inoflow.errors import ConfigError, ExtractError
from inoflow.extract.harmonise import harmonise_extract
from inoflow.extract.ingest import read_extract
from inoflow.extract.validate import validate_extract
from inoflow.model.reconcile import reconcile_extract

AE_HEADER = "Patient ID,AE term,Start date,End date,Grade,InO related,Serious\r\n"
PREAMBLE = "Adverse events report\r\nHospital information system, centre 02\r\n"
ROWS = "02-0001,Nausea,05/03/2019,,1,No,No\r\n02-0001,FN,07/03/2019,10/03/2019,3,Yes,Yes\r\n"
FOOTER = "Exported by HIS on 2023-05-02\r\nPage 1 of 1\r\n"


def site_with(india, **ae_settings) -> Site:
    """Centre IN02's dialect with its adverse-event file's reader settings changed."""
    spec = copy.deepcopy(india.sites["IN02"].spec)
    spec["domains"]["adverse_events"].update(ae_settings)
    validate_against_schema(spec, "site", "IN02 (test)")
    return Site(site="IN02", path=india.sites["IN02"].path, spec=spec)


def write(folder: Path, text: str) -> None:
    path = folder / "IN02" / "IN02_adverse_events.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def run(site: Site, folder: Path):
    read = read_extract(site, "adverse_events", folder).to_pandas()
    result = validate_extract(read, site, "adverse_events", "fail")
    harmonised = harmonise_extract(result.accepted, site, "adverse_events")
    return read, result, harmonised


def test_1_footer_shorter_than_the_header_is_refused_without_a_declaration(india, tmp_path):
    write(tmp_path, AE_HEADER + ROWS + FOOTER)
    with pytest.raises(ExtractError) as error:
        read_extract(india.sites["IN02"], "adverse_events", tmp_path)
    assert [(f.row, f.rule) for f in error.value.findings] == [
        (4, "row has 1 fields but the header has 7"),
        (5, "row has 1 fields but the header has 7"),
    ]


def test_2_preamble_and_skip_footer_rows_read_and_set_aside_with_their_reason(india, tmp_path):
    write(tmp_path, PREAMBLE + AE_HEADER + ROWS + FOOTER)
    site = site_with(india, header_row=3, skip_footer=2)
    read, result, harmonised = run(site, tmp_path)
    assert read["SRCROW"].tolist() == [4, 5, 6, 7]  # the preamble (rows 1-2) and header (row 3) are not rows
    assert read.loc[2, "Patient ID"] == "Exported by HIS on 2023-05-02"  # as read, the rest of the row empty
    assert read.loc[2, ["AE term", "Grade"]].isna().all()
    assert result.accepted["SRCROW"].tolist() == [4, 5]
    assert result.rejected["SRCROW"].tolist() == [6, 7]
    assert result.rejected["REJECT_REASON"].unique().tolist() == [
        "report footer: one of the last 2 non-blank rows, not data (dialect skip_footer: 2)"
    ]
    assert harmonised["AE_TERM"].tolist() == ["Nausea", "FN"]
    balance = reconcile_extract(
        "india",
        "t",
        "IN02",
        "adverse_events",
        read,
        result.rejected,
        harmonised,
        {("IN02/IN02_adverse_events.csv", 4), ("IN02/IN02_adverse_events.csv", 5)},
    )
    assert (balance["rows_read"], balance["rows_harmonised"], balance["rows_rejected"]) == (4, 2, 2)
    assert balance["balanced"]


def test_3_trailing_blank_line_does_not_shift_the_footer(india, tmp_path):
    write(tmp_path, AE_HEADER + ROWS + FOOTER + "\r\n")
    read, result, _ = run(site_with(india, skip_footer=2), tmp_path)
    assert result.accepted["SRCROW"].tolist() == [2, 3]
    reasons = dict(zip(result.rejected["SRCROW"], result.rejected["REJECT_REASON"], strict=True))
    assert reasons[6] == "blank row"
    assert reasons[4].startswith("report footer") and reasons[5].startswith("report footer")
    assert len(read) == len(result.accepted) + len(result.rejected) == 5


def test_4_a_short_row_among_the_data_is_still_refused(india, tmp_path):
    write(tmp_path, AE_HEADER + "02-0001,Nausea,05/03/2019\r\n" + ROWS + FOOTER)
    with pytest.raises(ExtractError) as error:
        read_extract(site_with(india, skip_footer=2), "adverse_events", tmp_path)
    assert [(f.site, f.file, f.row, f.rule) for f in error.value.findings] == [
        ("IN02", "IN02/IN02_adverse_events.csv", 2, "row has 3 fields but the header has 7")
    ]


def test_5_reject_rows_rule_applies_before_the_field_count_check(india, tmp_path):
    write(tmp_path, AE_HEADER + ROWS + "Exported by HIS on 2023-05-02\r\n")
    rule = {"column": "Patient ID", "pattern": "^Exported by", "reason": "export footer"}
    read, result, harmonised = run(site_with(india, reject_rows=[rule]), tmp_path)
    assert result.rejected["SRCROW"].tolist() == [4]
    assert result.rejected["REJECT_REASON"].tolist() == ["export footer (dialect rule on column 'Patient ID')"]
    assert len(read) == len(harmonised) + len(result.rejected) == 3


def test_6_skip_footer_is_checked_by_the_schema(india):
    with pytest.raises(ConfigError, match="skip_footer"):
        site_with(india, skip_footer=-1)
