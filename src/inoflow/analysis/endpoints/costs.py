"""The cost assessment (IT09; Italian protocol summary: "toxicity, effectiveness and costs
assessment data will be collected"): resource use per patient (ADRU) and its costs with the
study's dated, sourced unit-cost table (``cost_table`` of the study definitions).

Rows of the ARD, all in the full analysis set:

- the cost table itself: currency, price year, status (``illustrative`` demo values or
  ``sourced``), and each item's unit cost with its unit, source and source date;
- resource use per patient (each ADRU parameter): N, mean, SD, median, quartiles, range;
- cost per patient by item and in total, and cost per cycle (a patient's total / its cycles),
  for the base case (no vial sharing) and the vial-sharing sensitivity analysis;
- cost per responder: the cohort's total cost / the number of responders (CR or CRi), per scenario.

The arithmetic is :mod:`inoflow.analysis.costs` (rules 1-8, unit-tested by hand-worked cases).
"""

from __future__ import annotations

import pandas as pd

from inoflow.analysis import ard as cards
from inoflow.analysis import costs
from inoflow.analysis.lineage import tag
from inoflow.tables import report


def cost_table(definitions: dict) -> costs.CostTable:
    """The study's unit-cost table (``definitions["cost_table"]``, relative to the project)."""
    return costs.load_cost_table(definitions["cost_table"])


def _wide(frame: pd.DataFrame, columns: str, values: str, like: pd.DataFrame) -> pd.DataFrame:
    wide = frame.pivot(index="USUBJID", columns=columns, values=values).reset_index()
    wide.columns.name = None
    return tag(wide, "ADSL", "ADRU", like=like)


def ard_rows(adam: dict[str, pd.DataFrame], definitions: dict) -> list[dict]:
    adsl = adam["ADSL"]
    fas = adsl[adsl["FASFL"] == "Y"]
    adru = adam["ADRU"]
    resource = adru[adru["USUBJID"].isin(set(fas["USUBJID"]))]
    table = cost_table(definitions)
    (output,) = report.endpoint_outputs(definitions["study"], "costs")  # the study's cost output (IT09)
    rows: list[dict] = []
    # the cost table
    population = tag(fas.copy(), "ADSL", "ADRU", like=adsl)
    rows += cards.ard_summary(
        population,
        output,
        "cost_table",
        {"currency": table.currency, "price_year": str(table.price_year), "status": table.status},
        "cost_table",
        roles={},  # the table's, no patient's
    )
    for code, item in table.items.items():
        rows += cards.ard_summary(
            population,
            output,
            "unit_cost",
            {"unit_cost": item.value, "unit": item.unit, "source": item.source, "source_date": str(item.source_date)},
            "unit_cost",
            level=code,
            roles={},
            formats={"unit_cost": cards.MONEY},
        )
    # resource use per patient
    use = _wide(resource, "PARAMCD", "AVAL", like=adsl)
    for paramcd in costs.PARAMS:
        rows += cards.ard_continuous(use, paramcd, output)
    # costs per patient, by scenario: each item, the total and the cost per cycle
    item_costs = costs.subject_costs(resource, table)
    totals = costs.subject_totals(item_costs, resource)
    for scenario in costs.SCENARIOS:
        part = item_costs[item_costs["SCENARIO"] == scenario]
        by_item = _wide(part.assign(ITEM="COST_" + part["ITEM"]), "ITEM", "COST", like=adsl)
        group = ("SCENARIO", scenario)
        for code in costs.COST_ITEMS:
            rows += _continuous_in_group(by_item, f"COST_{code}", output, group)
        scenario_totals = tag(totals[totals["SCENARIO"] == scenario].copy(), "ADSL", "ADRU", like=adsl)
        rows += _continuous_in_group(scenario_totals, "TOTAL", output, group)
        rows += _continuous_in_group(scenario_totals, "COSTPCYC", output, group)
        per_responder = costs.cost_per_responder(totals, fas, scenario)
        responders = population["RESPFL"] == "Y"
        rows += cards.ard_summary(
            population,
            output,
            "COSTPRSP",
            {
                "estimate": per_responder,
                "n": int(responders.sum()),
                "total": float(scenario_totals["TOTAL"].sum(skipna=False)),
                "N": len(population),
            },
            "cost_per_responder",
            group=group,
            roles={"value": None, "denominator": responders},  # every patient's cost / the responders
            formats={"estimate": cards.MONEY, "total": cards.MONEY},
        )
    return rows


def _continuous_in_group(data: pd.DataFrame, variable: str, output_id: str, group: tuple[str, str]) -> list[dict]:
    """``ard_continuous`` of one scenario's costs (amounts of money), the scenario as the group."""
    by, level = group
    data[by] = level  # a column assignment keeps the lineage tag
    return cards.ard_continuous(data, variable, output_id, by=by, by_levels=[level], money=True)
