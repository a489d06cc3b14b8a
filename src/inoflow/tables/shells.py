"""Display tables from the ARD, by table shells declared as data.

What a table looks like is configuration, not code:

- ``config/reference/display.yaml``: the labels of variables and of coded levels (one codelist
  for both studies), the populations, the lines each ARD context shows (``formats``: a row label
  and a cell made of the statistics' formatted values) and the methods footnote of each context;
- ``config/reference/outputs.yaml``: per output, its population and its layout: ``columns`` (the
  grouping variable shown side by side, its levels in ARD order, then a ``Total`` column for the
  ungrouped results, named by ``total`` where that is not the right word), ``nest`` (grouping
  variables whose results go under the row of their level, as a term's grades under the term);
- the study's definitions file: ``footnotes``, each definition shown under the outputs that use
  one of its ``variables`` or ``populations`` or are named in its ``outputs``;
- ``cell_flags`` of display.yaml: a value a stated rule gives rather than the data (a Kaplan-Meier
  estimate after the last observation, a median on a flat at 50%), flagged in the ARD, is marked
  in its cell and the rule stated once in the table's footnotes.

Rows nest as the ARD groups them: a grouping variable other than the column one heads a section
(its label, then each level), then the variable (its label, then each level, or one row for a
flag shown at ``Y``), then the lines its format gives. A section whose every level holds one row
of the same label reads as that label "by" the grouping (CR/CRi, by salvage line). Column
headers carry ``N = n`` from the output's ``..ard_total_n..`` rows (cards' ``ard_total_n``).

Every cell is text from ``stat_fmt`` of the ARD rows of one block (one row key and context) and
knows those rows' ids and the block's number, which is the ``--row`` of ``inoflow-trace``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from inoflow.analysis.ard import display_row_keys
from inoflow.config import read_yaml
from inoflow.tables.suppress import NOT_REPORTED

DISPLAY_FILE = Path("config/reference/display.yaml")  # of the working folder
TOTAL_N = "..ard_total_n.."
TOTAL = "..total.."  # the column of results not grouped by the column variable
INDENT = "   "  # one level of indentation in the label column, as text (pastes as it reads)
_FIELD = re.compile(r"\{([^{}]+)\}")
_SUPPRESSED = re.compile(rf"^(<\d+|{NOT_REPORTED})$")  # a value the shareable release withholds


class ShellError(ValueError):
    """A table shell that does not fit its ARD (a format naming a statistic the block lacks)."""


def load_display(path: Path | str = DISPLAY_FILE) -> dict:
    """The display configuration (labels, codelist, populations, formats, methods)."""
    return read_yaml(path)


@dataclass(frozen=True)
class Cell:
    text: str
    ard_row_ids: tuple[str, ...]
    number: int  # the block's number in the output, 1-based: inoflow-trace --output X --row N


@dataclass
class DisplayRow:
    label: str
    depth: int
    cells: list[Cell | None]

    def texts(self) -> list[str]:
        return [cell.text if cell else "" for cell in self.cells]


@dataclass
class DisplayTable:
    output_id: str
    columns: list[str]  # the headers of the result columns
    rows: list[DisplayRow]

    def frame(self) -> pd.DataFrame:
        """The table as text: the label column (indented by :data:`INDENT`), then the results."""
        data = [[INDENT * row.depth + row.label, *row.texts()] for row in self.rows]
        return pd.DataFrame(data, columns=["", *self.columns])

    def cells(self) -> list[Cell]:
        return [cell for row in self.rows for cell in row.cells if cell is not None]


@dataclass
class _Node:
    label: str
    cells: dict = field(default_factory=dict)
    children: dict = field(default_factory=dict)


class Labels:
    """Labels of variables and coded levels (``display.yaml``)."""

    def __init__(self, display: dict):
        self.variables = display.get("variables", {})
        self.levels = display.get("levels", {})
        self.flags = display.get("flags", {})
        self.sentence = set(display.get("sentence_case", []))
        self.patterns = display.get("level_formats", {})

    def variable(self, name: str) -> str:
        return self.variables.get(name, name)

    def level(self, variable: str, level) -> str:
        text = "" if level is None else str(level)
        if variable in self.patterns:
            return self.patterns[variable].replace("{level}", text)
        own = self.levels.get(variable)
        if own is not None and text in own:
            return str(own[text])
        if own is None and text in self.flags:  # Y/N of a variable with no codelist of its own
            return str(self.flags[text])
        if variable in self.sentence and text.isupper():
            return text[:1] + text[1:].lower()
        return text

    def is_flag(self, variable: str, level, others=()) -> bool:
        """A Y/N variable shown at Y only (``others``: the levels the table shows of it): one
        row, named by the variable."""
        return variable not in self.levels and str(level) == "Y" and "Y" in self.flags and "N" not in others


def _level(value) -> str | None:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def blocks(rows: pd.DataFrame) -> list[pd.DataFrame]:
    """The blocks of an output's ARD rows (one row key and context each), in ARD order: the
    cells of :func:`inoflow.audit.trace.cell_blocks`, numbered alike."""
    keys = display_row_keys(rows)
    return [rows[keys == key] for key in dict.fromkeys(keys)]


def fill(template: str, values: dict[str, str], where: str) -> str:
    """``template`` with each ``{name}`` replaced by ``values[name]``."""

    def one(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise ShellError(f"{where}: the format names {{{name}}}, which the ARD block does not hold")
        return values[name]

    return _FIELD.sub(one, template)


def lines_of(display: dict, context: str, variable: str) -> list[dict]:
    """The lines one block of ``context`` (and ``variable``) shows."""
    formats = display["formats"].get(context)
    if isinstance(formats, dict):
        formats = formats.get(variable)
    if not formats:
        raise ShellError(f"display.yaml formats has no lines for context {context!r} (variable {variable!r})")
    return formats


def display_table(
    ard: pd.DataFrame, output_id: str, layout: dict | None = None, display: dict | None = None
) -> DisplayTable:
    """One output's display table from its ARD rows, laid out by ``layout`` (its outputs.yaml
    entry: ``columns``, ``total``, ``nest``) with ``display`` (display.yaml)."""
    layout, display = layout or {}, display if display is not None else load_display()
    labels = Labels(display)
    rows = ard[ard["output_id"] == output_id]
    if rows.empty:
        raise KeyError(f"no ARD rows for output {output_id}")
    column_var, nest = layout.get("columns"), set(_as_list(layout.get("nest")))
    self_labelled = set(display.get("self_labelled", []))
    shown = rows.groupby(["variable", "context"])["variable_level"].agg(lambda levels: set(levels.dropna()))
    context_of = rows.drop_duplicates("variable").set_index("variable")["context"]  # a nested row's parent
    root = _Node("")
    columns: dict[str | None, None] = {}
    totals: dict[str | None, Cell] = {}
    for number, block in enumerate(blocks(rows), 1):
        first = block.iloc[0]
        groups = [(first[g], _level(first[f"{g}_level"])) for g in ("group1", "group2") if _level(first[g])]
        column = TOTAL if column_var else None
        rest = []
        for var, level in groups:
            if var == column_var:
                column = level
            else:
                rest.append((var, level))
        values = _values(block, labels)
        ids = tuple(block["ard_row_id"])
        variable, level, context = first["variable"], _level(first["variable_level"]), first["context"]
        columns.setdefault(column)  # a group with patients counted but no result still has its column
        if variable == TOTAL_N:
            totals[column] = Cell(values["N"], ids, number)
            continue
        path: list[tuple] = []
        for var, group_level in rest:
            if var in nest:
                path += [("var", var, context_of.get(var)), ("row", labels.level(var, group_level))]
            else:
                path += [("group", var), ("glevel", var, group_level)]
        anchor: list[tuple] | None = None  # the row of a block's unlabelled first line, heading its other lines
        marks = [flag for flag in display.get("cell_flags", []) if flag["stat"] in values]
        for line in lines_of(display, context, variable):
            where = f"output {output_id}, {variable} {level or ''} ({context})"
            text = _cell_text(line, values, where)
            flagged = [flag["mark"] for flag in marks if "{" + flag["on"] + "}" in line["cell"]]
            cell = Cell(" ".join([text, *flagged]) if text != NOT_REPORTED else text, ids, number)
            level_label = labels.level(variable, level) if level is not None else ""
            label = line.get("label")
            if label is not None:
                label = fill(label, {**values, "level": level_label, "variable": labels.variable(variable)}, where)
            if label is not None and anchor is not None:
                leaf = [*anchor, ("row", label)]
            elif label is None:
                if level is None or labels.is_flag(variable, level, shown[variable, context]):
                    leaf = [("row", labels.variable(variable))]
                else:
                    leaf = [("var", variable, context), ("row", level_label)]
            elif "{level}" in line["label"] or context in self_labelled:
                leaf = [("row", label)]
            else:  # under the variable's heading (one for all its labelled lines: age's summary and median)
                leaf = [("var", variable)] + ([("row", level_label)] if level is not None else [])
                leaf.append(("row", label))
            if label is None and anchor is None:
                anchor = leaf
            node = _node(root, path + leaf, labels)
            if column in node.cells:
                raise ShellError(f"{where}: two results for one cell of the table (row {node.label!r})")
            node.cells[column] = cell
    order = [c for c in columns if c != TOTAL] + ([TOTAL] if TOTAL in columns else [])
    _collapse(root)
    table_rows: list[DisplayRow] = []
    _flatten(root, -1, order, table_rows)
    headers = [_header(column, column_var, layout, labels, totals.get(column)) for column in order]
    return DisplayTable(output_id, headers, table_rows)


def _cell_text(line: dict, values: dict[str, str], where: str) -> str:
    """A line's cell; where a value it names is withheld (shareable release): the line's
    ``suppressed`` form (the counts only), else ``NR`` if a withheld value is not a count."""
    names = _FIELD.findall(line["cell"])
    withheld = [name for name in names if _SUPPRESSED.match(values.get(name, ""))]
    if not withheld:
        return fill(line["cell"], values, where)
    if "suppressed" in line:
        return fill(line["suppressed"], values, where)
    if any(values[name] == NOT_REPORTED for name in withheld):
        return NOT_REPORTED
    return fill(line["cell"], values, where)


def _as_list(value) -> list:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def _values(block: pd.DataFrame, labels: Labels) -> dict[str, str]:
    values = dict(zip(block["stat_name"], block["stat_fmt"].fillna("NE"), strict=True))
    values = {name: labels.level(name, text) if name in labels.levels else text for name, text in values.items()}
    if "reference" in values:  # a compared group's reference level, by its label
        values["reference"] = labels.level(block["variable"].iloc[0], values["reference"])
    return values


def _node(root: _Node, path: list[tuple], labels: Labels) -> _Node:
    node = root
    for key in path:
        if key not in node.children:
            kind = key[0]
            if kind in ("group", "var"):
                text = labels.variable(key[1])
            elif kind == "glevel":
                text = labels.level(key[1], key[2])
            else:
                text = key[1]
            node.children[key] = _Node(text)
        node = node.children[key]
    return node


def _collapse(node: _Node) -> None:
    """A section whose every level holds one row, all of one label, becomes "<label>, by
    <section>" with the results on the levels' rows."""
    for key, child in node.children.items():
        _collapse(child)
        if key[0] != "group" or child.cells:
            continue
        levels = list(child.children.values())
        leaves = [next(iter(level.children.values())) for level in levels if len(level.children) == 1]
        if (
            len(leaves) == len(levels)
            and not any(level.cells for level in levels)
            and all(not leaf.children for leaf in leaves)
            and len({leaf.label for leaf in leaves}) == 1
        ):
            section = child.label
            child.label = (
                f"{leaves[0].label}, by {section[:1].lower() + section[1:] if not section[:2].isupper() else section}"
            )
            for level, leaf in zip(levels, leaves, strict=True):
                level.cells, level.children = leaf.cells, {}


def _flatten(node: _Node, depth: int, order: list, out: list[DisplayRow]) -> None:
    if depth >= 0:
        out.append(DisplayRow(node.label, depth, [node.cells.get(column) for column in order]))
    for child in node.children.values():
        _flatten(child, depth + 1, order, out)


def _header(column, column_var, layout: dict, labels: Labels, total: Cell | None) -> str:
    if column is None:
        text = "All patients" if total else "Result"
    elif column == TOTAL:
        text = layout.get("total", "Total")
    elif labels.is_flag(column_var, "Y"):
        text = f"{labels.variable(column_var)}: {labels.level(column_var, column)}"
    else:
        text = labels.level(column_var, column)
    return f"{text} (N = {total.text})" if total else text


# --- footnotes ----------------------------------------------------------------------------------


def footnotes(
    ard: pd.DataFrame, output_id: str, spec: dict, definitions: dict, display: dict | None = None
) -> list[str]:
    """An output's footnotes, each once: its population, its definition in the registry record's
    words (``definition``, config/reference/registry_definitions.yaml), the definitions it uses as
    derived (the study's ``footnotes`` whose variables, populations or outputs concern it) and the
    methods of the
    analyses it shows (``methods`` of display.yaml, for each context in its ARD)."""
    display = display if display is not None else load_display()
    rows = ard[ard["output_id"] == output_id]
    notes = []
    population = spec.get("population")
    if population:
        name = display.get("populations", {}).get(population, population)
        notes.append(f"Population: {name}.")
    if spec.get("definition"):  # the registry record's own words
        notes.append(f"Registry definition: {spec['definition']}")
    used = set(rows["variable"]) | set(rows["group1"].dropna()) | set(rows["group2"].dropna())
    applied = [
        " ".join(str(definition["text"]).split())
        for definition in definitions.get("footnotes") or []
        if used & set(definition.get("variables", []))
        or population in definition.get("populations", [])
        or output_id in definition.get("outputs", [])
    ]
    prefix = "As derived here: " if spec.get("definition") and applied else ""
    notes += [prefix + text if i == 0 else text for i, text in enumerate(applied)]
    stats = set(rows["stat_name"])
    notes += [" ".join(flag["note"].split()) for flag in display.get("cell_flags", []) if flag["stat"] in stats]
    study_values = {k: str(v) for k, v in definitions.items() if isinstance(v, (int, float, str))}
    for context in dict.fromkeys(rows["context"]):
        template = display.get("methods", {}).get(context)
        if template:
            first = rows[rows["context"] == context].drop_duplicates("stat_name")  # each statistic's first value
            values = {**study_values, **dict(zip(first["stat_name"], first["stat_fmt"].fillna("NE"), strict=True))}
            notes.append(" ".join(fill(template, values, f"methods of {context}").split()))
    return notes
