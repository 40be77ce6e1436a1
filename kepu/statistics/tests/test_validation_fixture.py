"""The bundled rules run over real-looking tables with known errors and find exactly those."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from kepu.statistics import rollup, validation

pytestmark = pytest.mark.django_db
TABLES = json.loads((Path(__file__).parent / "data" / "tables.json").read_text(encoding="utf-8"))["tables"]
YEAR = 2026


def _figures(raw: dict) -> dict:
    return {code: Decimal(str(v)) for code, v in raw.items()}


@pytest.mark.parametrize("table", TABLES, ids=[t["name"] for t in TABLES])
def test_the_rules_find_exactly_the_known_errors(dictionary, table):
    codes = {i.code for i in rollup.indicators_for(YEAR, table["kind"])}
    # The form holds every indicator of its kind; those the unit left empty are None (their rules are skipped).
    values = {code: None for code in codes} | _figures(table["values"])
    found = validation.run(validation.rules_for(YEAR), values, _figures(table["last"]))
    assert sorted(v.key for v in found) == sorted(table["expected"])


def test_a_warning_is_told_apart_from_an_error_and_carries_both_years(dictionary):
    table = next(t for t in TABLES if "Y01:A02" in t["expected"])
    codes = {i.code for i in rollup.indicators_for(YEAR, table["kind"])}
    values = {code: None for code in codes} | _figures(table["values"])
    found = {v.key: v for v in validation.run(validation.rules_for(YEAR), values, _figures(table["last"]))}
    assert found["R13"].is_error and not found["Y01:A02"].is_error
    assert (found["Y01:A02"].last, found["Y01:A02"].this) == (Decimal(2200), Decimal(9000))
