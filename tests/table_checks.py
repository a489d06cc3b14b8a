"""The check every study's tables pass (for the tests): each output's CSV, RTF and DOCX hold
the display table's text; every figure in a result cell is a formatted value (stat_fmt) of the
ARD rows the cell names; every ARD block is shown in at least one cell; each header's N = n is
one of the output's ard_total_n rows, and each of those is in a header."""

from __future__ import annotations

import re

import pandas as pd
from docx import Document
from rtf_text import rtf_table_rows

from inoflow.analysis.ard import display_row_keys
from inoflow.tables.report import load_outputs, write_table

NUMBER = re.compile(r"NE|\d[\d,]*(?:\.\d+)?")


def check_tables(ard: pd.DataFrame, study: str, definitions: dict, folder) -> None:
    """Each output's CSV, RTF and DOCX hold the display table's text; every figure in a result
    cell is a formatted value (stat_fmt) of the ARD rows the cell names, every ARD block is shown
    in at least one cell, and each header's N = n is the output's ard_total_n row."""
    outputs = load_outputs(study)
    by_id = ard.set_index("ard_row_id")
    for output_id in ard["output_id"].unique():
        (csv_path, _, rtf_path, docx_path), table = write_table(
            ard, output_id, outputs[output_id], definitions, folder, "Provenance."
        )
        frame = table.frame()
        expected = [list(frame.columns)] + [[str(v) for v in row] for row in frame.itertuples(index=False)]
        assert pd.read_csv(csv_path, dtype=str, keep_default_na=False).columns.tolist()[1:] == expected[0][1:]
        docx_rows = [[c.text for c in row.cells] for row in Document(str(docx_path)).tables[0].rows]
        assert docx_rows == expected, output_id
        rtf_rows = rtf_table_rows(rtf_path.read_text(encoding="utf-8"))
        assert [row for row in rtf_rows if row != expected[0]][:-1] == expected[1:], output_id
        for cell in table.cells():
            values = set(by_id.loc[list(cell.ard_row_ids), "stat_fmt"])
            text = cell.text.replace("95% CI", "")  # the only figure a format writes itself
            for value in (v for v in values if " " in v or v.startswith("<")):  # text statistics, "<0.0001", whole
                text = text.replace(value, "")
            assert set(NUMBER.findall(text)) <= values, (output_id, cell.text, values)
        rows = ard[ard["output_id"] == output_id]
        keys = display_row_keys(rows)
        shown = {number for number in (c.number for c in table.cells())}
        body = [n for n, key in enumerate(dict.fromkeys(keys), 1) if not key.endswith("|total_n")]
        assert set(body) <= shown, output_id
        totals = rows[rows["variable"] == "..ard_total_n.."]
        for header in table.columns:
            if "(N = " in header:
                assert header.rsplit("(N = ", 1)[1].rstrip(")") in set(totals["stat_fmt"]), (output_id, header)
        assert sum("(N = " in h for h in table.columns) == len(totals), output_id
