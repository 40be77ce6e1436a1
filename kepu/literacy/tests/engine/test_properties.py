"""Property-based tests of the calculations (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kepu.literacy import (
    Design,
    Margin,
    QuestionBank,
    estimate_mean,
    estimate_proportion,
    estimate_total,
    load_rule,
    make_replicates,
    poststratify,
    rake,
    score,
)

from .slow_reference import linearization_se, score_slowly

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def surveys(draw, binary: bool = False):
    """A random stratified cluster sample with a domain and two calibration variables."""
    n_strata = draw(st.integers(1, 4))
    rows = []
    psu_id = 0
    for h in range(n_strata):
        for _ in range(draw(st.integers(2, 4))):
            psu_id += 1
            for _ in range(draw(st.integers(1, 4))):
                rows.append((h, psu_id))
    n = len(rows)
    w = np.array(draw(st.lists(st.floats(0.5, 5.0), min_size=n, max_size=n)))
    if binary:
        y = np.array(draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=n, max_size=n)))
    else:
        y = np.array(draw(st.lists(st.floats(-10, 10), min_size=n, max_size=n)))
    dom = np.array(
        draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n)),
        dtype=object,
    )
    sex = np.array(
        draw(st.lists(st.sampled_from(["f", "m"]), min_size=n, max_size=n)),
        dtype=object,
    )
    age = np.array(
        draw(st.lists(st.sampled_from(["y", "o"]), min_size=n, max_size=n)),
        dtype=object,
    )
    return {
        "stratum": np.array([r[0] for r in rows]),
        "psu": np.array([r[1] for r in rows]),
        "w": w,
        "y": y,
        "dom": dom,
        "sex": sex,
        "age": age,
    }


def design_of(data) -> Design:
    return Design.create(data, strata="stratum", clusters="psu", weights="w")


def totals_of(data, column, factor) -> dict:
    return {lev: float(data["w"][data[column] == lev].sum()) * factor for lev in np.unique(data[column])}


@SETTINGS
@given(surveys(), st.sampled_from(["mean", "total"]))
def test_engine_matches_slow_reference(data, statistic):
    d = design_of(data)
    fn = estimate_mean if statistic == "mean" else estimate_total
    tab = fn(d, "y", domain="dom")
    for row in tab:
        mask = data["dom"] == row.domain
        theta, se = linearization_se(
            data["stratum"],
            data["psu"],
            data["w"],
            data["w"],
            data["y"],
            mask,
            statistic,
        )
        assert row.estimate == pytest.approx(theta, rel=1e-9, abs=1e-9)
        assert row.se == pytest.approx(se, rel=1e-7, abs=1e-9)


@SETTINGS
@given(surveys(), st.floats(0.8, 1.25))
def test_calibrated_engine_matches_slow_reference(data, factor):
    d = design_of(data)
    ps = poststratify(d, Margin("sex", totals_of(data, "sex", factor)))
    aux = np.column_stack([(data["sex"] == lev).astype(float) for lev in np.unique(data["sex"])])
    for row in estimate_total(ps, "y", domain="dom"):
        mask = data["dom"] == row.domain
        theta, se = linearization_se(
            data["stratum"],
            data["psu"],
            ps.weights,
            data["w"],
            data["y"],
            mask,
            "total",
            aux,
        )
        assert row.estimate == pytest.approx(theta, rel=1e-9, abs=1e-9)
        assert row.se == pytest.approx(se, rel=1e-7, abs=1e-8)


@SETTINGS
@given(surveys(), st.floats(0.7, 1.4), st.floats(0.7, 1.4))
def test_raked_weights_reproduce_the_margins(data, f1, f2):
    # Margins taken from a re-weighted "population" are mutually consistent.
    pop_w = data["w"] * np.where(data["sex"] == "f", f1, 1.0) * np.where(data["age"] == "o", f2, 1.0)
    pop = dict(data, w=pop_w)
    m = [
        Margin("sex", totals_of(pop, "sex", 1.0)),
        Margin("age", totals_of(pop, "age", 1.0)),
    ]
    rk = rake(design_of(data), m, max_iter=500, tolerance=1e-11)
    for margin, col in zip(m, ["sex", "age"], strict=True):
        for lev, tot in margin.totals.items():
            assert rk.weights[data[col] == lev].sum() == pytest.approx(tot, rel=1e-8)


@SETTINGS
@given(surveys(binary=True))
def test_proportions_and_their_intervals_lie_in_unit_interval(data):
    for method in ("logit", "wilson"):
        for row in estimate_proportion(design_of(data), "y", domain="dom", ci_method=method):
            assert 0.0 <= row.estimate <= 1.0
            if np.isfinite(row.ci_low):
                assert 0.0 <= row.ci_low <= row.estimate + 1e-12
                assert row.estimate - 1e-12 <= row.ci_high <= 1.0


@SETTINGS
@given(surveys())
def test_domain_totals_of_a_partition_add_up(data):
    d = design_of(data)
    whole = estimate_total(d, "y").get().estimate
    parts = sum(r.estimate for r in estimate_total(d, "y", domain="dom"))
    assert parts == pytest.approx(whole, rel=1e-9, abs=1e-9)


@SETTINGS
@given(surveys(), st.randoms(use_true_random=False))
def test_se_invariant_under_row_permutation(data, rnd):
    perm = list(range(len(data["y"])))
    rnd.shuffle(perm)
    shuffled = {k: v[perm] for k, v in data.items()}
    m = [Margin("sex", totals_of(data, "sex", 1.1))]
    a = estimate_mean(rake(design_of(data), m), "y", domain="dom")
    b = estimate_mean(rake(design_of(shuffled), m), "y", domain="dom")
    for x, y in zip(a, b, strict=True):
        assert x.domain == y.domain
        assert x.estimate == pytest.approx(y.estimate, rel=1e-9, abs=1e-12)
        assert x.se == pytest.approx(y.se, rel=1e-7, abs=1e-12)


@SETTINGS
@given(surveys())
def test_jkn_equals_linearization_for_a_total(data):
    # For a linear statistic the delete-one-PSU jackknife reproduces the with-replacement
    # linearization variance exactly.
    d = design_of(data)
    lin = estimate_total(d, "y").get().se
    jk = estimate_total(make_replicates(d, "jkn"), "y").get().se
    assert jk == pytest.approx(lin, rel=1e-8, abs=1e-9)


QUESTIONS = [
    {"id": f"q{i}", "dimension": dim, "points": pts, "answer": ans}
    for i, (dim, pts, ans) in enumerate(
        [
            ("knowledge", 1, "A"),
            ("knowledge", 2, "BC"),
            ("knowledge", 1, "D"),
            ("method", 1, "A"),
            ("method", 1, "B"),
            ("spirit", 1, "C"),
            ("spirit", 3, "AD"),
            ("application", 1, "B"),
            ("application", 1, "A"),
        ]
    )
]
ANSWER = st.one_of(st.none(), st.sampled_from(["A", "B", "C", "D", "BC", "c,b", "AD", "d a", "", "b"]))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(ANSWER, min_size=9, max_size=9), min_size=1, max_size=30),
    st.sampled_from(["current", "legacy"]),
)
def test_scoring_matches_slow_reference(answers, rule_name):
    bank = QuestionBank.from_dict({"id": "t", "questions": QUESTIONS})
    rule = load_rule(rule_name)
    res = score(np.array(answers, dtype=object), bank=bank, rule=rule)
    slow = score_slowly(answers, QUESTIONS, rule.as_dict())
    for i, ref in enumerate(slow):
        got = res.row(i)
        assert got["total"] == pytest.approx(ref["total"])
        assert got["literate"] == ref["literate"]
        assert got["tier"] == ref["tier"]
        for k, v in ref["dimensions"].items():
            assert got["dimensions"][k] == pytest.approx(v)
