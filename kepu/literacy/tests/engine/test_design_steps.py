"""The steps of ``Design.create`` on their own: each rule with the smallest input that shows it."""

from __future__ import annotations

import numpy as np
import pytest

from kepu.literacy.design import (
    Design,
    _check_psus_nested,
    _code_stage_strata,
    _Codes,
    _design_weights,
    _DesignInputs,
    _fpc_kinds,
    _Populations,
    _stratum_population,
    _variance_stages,
)
from kepu.literacy.errors import LiteracyError


def inputs(**cols) -> _DesignInputs:
    return _DesignInputs.read(
        {k: np.asarray(v) for k, v in cols.items()},
        strata="stratum" if "stratum" in cols else None,
        clusters=[c for c in ("psu", "ssu") if c in cols] or None,
        weights=None,
        fpc=None,
    )


def test_reading_refuses_more_strata_columns_than_stages():
    with pytest.raises(LiteracyError) as exc:
        _DesignInputs.read({"a": [1, 2], "b": [1, 2]}, strata=["a", "b"], clusters="a", weights=None, fpc=None)
    assert exc.value.code == "invalid_argument"
    assert _DesignInputs.read({"a": [1, 2]}, strata="a", clusters=None, weights=None, fpc=None).n_stages == 1


@pytest.mark.parametrize(
    ("values", "kind", "expected"),
    [
        ([[0.1, 0.5, 1.0]], "auto", ["fraction"]),  # all at most 1: fractions (R's rule)
        ([[1.0, 40.0]], "auto", ["population"]),  # all at least 1: population sizes
        ([[40.0], [0.5]], ["population", "auto"], ["population", "fraction"]),  # "auto" judged on its own columns
        ([[0.5], [0.2]], "population", ["population", "population"]),
    ],
)
def test_fpc_kinds(values, kind, expected):
    assert _fpc_kinds([np.asarray(v) for v in values], kind) == expected


@pytest.mark.parametrize(
    ("values", "kind"),
    [([[0.5, 40.0]], "auto"), ([[40.0], [50.0]], ["population"]), ([[40.0]], "percent")],
)
def test_fpc_kinds_refused(values, kind):
    with pytest.raises(LiteracyError) as exc:
        _fpc_kinds([np.asarray(v) for v in values], kind)
    assert exc.value.code == "invalid_fpc"


def test_stage_two_strata_lie_within_the_stage_one_unit():
    # Two PSUs, each with sub-strata labelled 0 and 1: four stage-2 strata, not two.
    units = [np.array([0, 0, 1, 1])]
    strata = _Codes([np.zeros(4, dtype=np.int64), np.array([0, 1, 0, 1])], [1, 2])
    stage_strata = _code_stage_strata(units, strata, n_stages=2)
    assert stage_strata.sizes == [1, 4]
    assert len(set(stage_strata.codes[1].tolist())) == 4
    # With one strata column only, it is reused below (R's strata[, min(i, NS)]).
    assert _code_stage_strata(units, _Codes([np.zeros(4, dtype=np.int64)], [1]), n_stages=2).sizes == [1, 2]


def test_a_psu_in_two_strata_names_the_first_row_that_crosses():
    inp = inputs(stratum=["A", "A", "B", "B"], psu=["p1", "p2", "p2", "p3"])
    with pytest.raises(LiteracyError) as exc:
        _check_psus_nested(inp, unit=np.array([0, 1, 1, 2]), stratum=np.array([0, 0, 1, 1]))
    assert exc.value.code == "clusters_not_nested"
    assert exc.value.details == {"column": "psu", "row": 2}
    assert "'p2'" in exc.value.message and "'A'" in exc.value.message and "'B'" in exc.value.message


def test_population_from_fractions_and_the_fpc_checks():
    strat, stratum_n = np.array([0, 0, 1]), np.array([2.0, 1.0])  # two PSUs in stratum 0, one in stratum 1
    n_of = _stratum_population(np.array([0.5, 0.5, 0.25]), "fraction", strat, stratum_n, stage=1, column="f")
    assert n_of.tolist() == [4.0, 4.0]  # N = n / f
    with pytest.raises(LiteracyError) as exc:
        _stratum_population(np.array([10.0, 11.0, 5.0]), "population", strat, stratum_n, stage=2, column="f")
    assert (exc.value.code, exc.value.details) == ("invalid_fpc", {"column": "f", "row": 0})
    assert "stage 2" in exc.value.message
    with pytest.raises(LiteracyError, match="more than 100%"):
        _stratum_population(np.array([1.0, 1.0, 5.0]), "population", strat, stratum_n, stage=1, column="f")
    with pytest.raises(LiteracyError) as exc:
        _stratum_population(np.array([0.5, 0.5, 0.0]), "fraction", strat, stratum_n, stage=1, column="f")
    assert exc.value.details == {"column": "f", "row": 2}


def test_weights_from_the_fpcs_are_n_over_n_at_every_stage():
    inp = inputs(stratum=["A", "A", "A", "A"], psu=[1, 1, 2, 2], ssu=[1, 2, 3, 4])
    design = Design.create(
        inp.cols, strata="stratum", clusters=["psu", "ssu"], fpc=[np.full(4, 10), np.array([6, 6, 4, 4])]
    )
    # Stage 1: 2 of 10 PSUs (x5); stage 2: 2 of 6 and 2 of 4 (x3, x2).
    assert design.weights.tolist() == [15.0, 15.0, 10.0, 10.0]
    populations = _Populations([np.full(4, 10.0)], ["population"], ["fpc"])
    with pytest.raises(LiteracyError) as exc:  # stage 2 has no fpc
        _design_weights(inp, None, populations, stages=[], stage_strata=_Codes([], []))
    assert exc.value.code == "missing_weights"


def test_a_stage_counts_in_the_variance_only_below_a_stage_with_an_fpc():
    data = {"psu": np.array([1, 1, 2, 2]), "ssu": np.array([1, 2, 3, 4]), "w": np.ones(4)}
    # Stage 1 sampled with replacement: what happens below it adds nothing (R's svyrecvar).
    assert len(Design.create(data, clusters=["psu", "ssu"], weights="w").stages) == 1
    stages = Design.create(data, clusters=["psu", "ssu"], weights="w", fpc=[np.full(4, 10)]).stages
    assert [st.number for st in stages] == [1, 2]
    assert _variance_stages(list(stages)) == stages
