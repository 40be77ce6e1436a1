"""Calibration: convergence reporting, bounds, trimming, and agreement between methods."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from kepu.literacy import (
    LiteracyError,
    LiteracyWarning,
    Margin,
    calibrate_linear,
    estimate_mean,
    estimate_total,
    poststratify,
    rake,
    trim_weights,
)

from .conftest import SCHWIDE_POP, STYPE_POP


def margin_totals(design, column):
    vals = design.data[column]
    return {lev: float(design.weights[vals == lev].sum()) for lev in np.unique(vals.astype(str))}


def test_rake_reproduces_margins_and_reports(dclus1, margins):
    rk = rake(dclus1, margins)
    rep = rk.calibration.report
    assert rep.converged and rep.iterations >= 2 and rep.max_change < rep.tolerance
    assert margin_totals(rk, "stype") == pytest.approx(STYPE_POP)
    assert margin_totals(rk, "sch_wide") == pytest.approx(SCHWIDE_POP)
    assert rep.as_dict()["converged"] is True


def test_rake_nonconvergence_is_an_error_by_default(dclus1, margins):
    with pytest.raises(LiteracyError) as err:
        rake(dclus1, margins, max_iter=1)
    assert err.value.code == "calibration_not_converged"
    assert err.value.details["report"]["iterations"] == 1
    assert err.value.details["report"]["converged"] is False


def test_rake_nonconvergence_can_be_a_warning_object(dclus1, margins):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rk = rake(dclus1, margins, max_iter=2, on_nonconvergence="warn")
    codes = [w.message.code for w in caught if isinstance(w.message, LiteracyWarning)]
    assert codes == ["calibration_not_converged"]
    assert rk.calibration.report.converged is False
    assert rk.calibration.report.iterations == 2
    assert len(rk.calibration.report.history) == 2


def test_r_epsilon_rule_stops_early(dclus1, margins):
    # R's control=list(epsilon=1): stop when no joint cell moves by a whole school.
    rk = rake(dclus1, margins, max_iter=10, absolute_tolerance=1)
    assert rk.calibration.report.converged and rk.calibration.report.iterations == 4


def test_bounded_raking_respects_bounds(dclus1, margins):
    free = rake(dclus1, margins)
    assert free.calibration.report.g_max > 1.5
    b = rake(dclus1, margins, bounds=(0.5, 1.9), max_iter=200)
    g = b.weights / dclus1.weights
    assert g.min() >= 0.5 - 1e-12 and g.max() <= 1.9 + 1e-12
    assert b.calibration.report.converged
    assert margin_totals(b, "stype") == pytest.approx(STYPE_POP, rel=1e-6)


def test_infeasible_bounds_are_reported(dclus1, margins):
    with pytest.raises(LiteracyError) as err:
        rake(dclus1, margins, bounds=(0.95, 1.05), max_iter=30)
    assert err.value.code == "calibration_not_converged"


def test_margin_level_without_population_total(dclus1):
    with pytest.raises(LiteracyError) as err:
        rake(dclus1, [Margin("stype", {"E": 4421, "H": 755})])
    assert err.value.code == "margin_mismatch"


def test_population_level_absent_from_sample(dclus1):
    with pytest.raises(LiteracyError) as err:
        rake(dclus1, [Margin("stype", {**STYPE_POP, "K": 10})])
    assert err.value.code == "calibration_infeasible"


def test_calibrating_twice_is_refused(dclus1, margins):
    with pytest.raises(LiteracyError) as err:
        rake(rake(dclus1, margins), margins)
    assert err.value.code == "already_calibrated"


def test_linear_calibration_on_a_factor_is_post_stratification(dclus1):
    ps = poststratify(dclus1, Margin("stype", STYPE_POP))
    lin = calibrate_linear(dclus1, {"stype": STYPE_POP})
    assert np.allclose(ps.weights, lin.weights)
    a, b = estimate_mean(ps, "api00").get(), estimate_mean(lin, "api00").get()
    assert a.estimate == pytest.approx(b.estimate, rel=1e-12)
    assert a.se == pytest.approx(b.se, rel=1e-10)


def test_greg_with_a_numeric_auxiliary(dclus1, apiclus1):
    # calibrate(dclus1, ~api99, c(`(Intercept)`=6194, api99=T)): totals reproduced, and
    # the SE equals the one computed from explicit regression residuals.
    T = 6194 * 630.0
    g = calibrate_linear(dclus1, {"(Intercept)": 6194.0, "api99": T})
    assert g.weights.sum() == pytest.approx(6194.0)
    assert (g.weights * apiclus1["api99"]).sum() == pytest.approx(T)
    est = estimate_total(g, "api00").get()
    d = dclus1.weights
    X = np.column_stack([np.ones(len(d)), apiclus1["api99"]])
    y = apiclus1["api00"]
    beta = np.linalg.solve(X.T @ (d[:, None] * X), X.T @ (d * y))
    e = y - X @ beta
    from kepu.literacy import design_variance

    assert est.se**2 == pytest.approx(design_variance(dclus1, g.weights * e)[0], rel=1e-10)
    assert est.se < estimate_total(dclus1, "api00").get().se / 5


def test_bounded_linear_calibration(dclus1, apiclus1):
    T = 6194 * 625.0
    free = calibrate_linear(dclus1, {"(Intercept)": 6194.0, "api99": T})
    assert free.calibration.report.g_max > 1.25
    b = calibrate_linear(dclus1, {"(Intercept)": 6194.0, "api99": T}, bounds=(0.75, 1.25))
    g = b.weights / dclus1.weights
    assert g.min() >= 0.75 - 1e-12 and g.max() <= 1.25 + 1e-12
    assert (b.weights * apiclus1["api99"]).sum() == pytest.approx(T, rel=1e-9)
    assert b.calibration.report.converged


def test_infeasible_bounded_linear_calibration_is_reported(dclus1):
    # With g in [0.7, 1.3] the weighted mean of api99 cannot exceed about 635.5.
    with pytest.raises(LiteracyError) as err:
        calibrate_linear(dclus1, {"(Intercept)": 6194.0, "api99": 6194 * 660.0}, bounds=(0.7, 1.3))
    assert err.value.code == "calibration_not_converged"


def test_trim_weights_keeps_the_total(dclus1, margins):
    rk = rake(dclus1, margins)
    cap = float(np.quantile(rk.weights, 0.8))
    tr = trim_weights(rk, upper=cap, strict=True)
    assert tr.weights.sum() == pytest.approx(rk.weights.sum())
    assert tr.weights.max() <= cap + 1e-9
    assert tr.calibration is rk.calibration  # variance still uses calibration residuals
    assert np.isfinite(estimate_mean(tr, "api00").get().se)


def test_trim_weights_single_pass_may_overshoot(dclus1, margins):
    rk = rake(dclus1, margins)
    cap = float(np.quantile(rk.weights, 0.5))
    once = trim_weights(rk, upper=cap)
    assert once.weights.sum() == pytest.approx(rk.weights.sum())
    assert once.weights.max() > cap  # redistribution pushed others over: use strict=True
