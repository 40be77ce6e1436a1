"""Confidence intervals for proportions against hand-computed values, and the df rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kepu.literacy import estimate_proportion, logit_ci, wilson_ci

T14 = 2.144786687917804  # qt(0.975, 14)


def test_logit_interval_hand_computed():
    # p = 0.3, SE = 0.05, df = 14: logit(p) -/+ t * SE / (p (1 - p)), back-transformed
    lo, hi = logit_ci(np.array([0.3]), np.array([0.05]), np.array([14]))
    lg = math.log(0.3 / 0.7)
    half = T14 * 0.05 / 0.21
    assert lo[0] == pytest.approx(1 / (1 + math.exp(-(lg - half))), rel=1e-12)
    assert hi[0] == pytest.approx(1 / (1 + math.exp(-(lg + half))), rel=1e-12)
    assert (lo[0], hi[0]) == pytest.approx((0.20457183488575648, 0.41662726141787615), rel=1e-9)


def test_wilson_interval_hand_computed():
    # effective n = p (1 - p) / SE^2 = 84; Wilson with z = qt(0.975, 14)
    lo, hi = wilson_ci(np.array([0.3]), np.array([0.05]), np.array([14]), np.array([500]))
    assert (lo[0], hi[0]) == pytest.approx((0.20545062897906702, 0.4153173359363443), rel=1e-9)


def test_wilson_at_zero_uses_the_respondent_count():
    lo, hi = wilson_ci(np.array([0.0]), np.array([0.0]), np.array([10**9]), np.array([50]))
    assert lo[0] == 0.0
    assert hi[0] == pytest.approx(0.07134759913335872, rel=1e-6)


def test_logit_degenerates_at_the_boundary():
    lo, hi = logit_ci(np.array([0.0, 1.0]), np.array([0.0, 0.0]), np.array([5, 5]))
    assert list(lo) == [0.0, 1.0] and list(hi) == [0.0, 1.0]


def test_proportion_ci_uses_design_df(dclus1, apiclus1):
    # svyciprop's default: logit with df = degf(design) = 15 PSUs - 1 stratum.
    data = dict(apiclus1)
    data["ell0"] = (apiclus1["ell"] == 0).astype(float)
    from kepu.literacy import Design

    d = Design.create(data, clusters="dnum", weights="pw", fpc="fpc")
    est = estimate_proportion(d, "ell0").get()
    assert est.df == 14
    lo, hi = logit_ci(np.array([est.estimate]), np.array([est.se]), np.array([14]))
    assert (est.ci_low, est.ci_high) == pytest.approx((lo[0], hi[0]))
    w = estimate_proportion(d, "ell0", ci_method="wilson").get()
    assert 0 <= w.ci_low < w.estimate < w.ci_high <= 1


def test_no_degrees_of_freedom_means_no_interval_with_a_reason():
    # Domain "x" lies in one PSU of one stratum: df = 1 - 1 = 0. Its proportion is 1, so the
    # logit interval would collapse to [1, 1]; R gives NaN (qt(0.975, 0) is NaN), and so do we.
    from kepu.literacy import INTERVAL_NOTES, Design

    data = {
        "s": np.array(["A", "A", "A", "A", "B", "B", "B", "B"], dtype=object),
        "p": np.array([1, 1, 2, 2, 3, 3, 4, 4]),
        "g": np.array(["x", "x", "y", "y", "y", "y", "y", "y"], dtype=object),
        "y": np.array([1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0]),
    }
    d = Design.create(data, strata="s", clusters="p", weights=np.ones(8))
    for ci in ("logit", "wilson", "wald"):
        x = estimate_proportion(d, "y", domain="g", ci_method=ci).get("x")
        assert x.estimate == 1.0 and x.df == 0
        assert math.isnan(x.ci_low) and math.isnan(x.ci_high)
        assert x.note == "no_df" and "degrees of freedom" in INTERVAL_NOTES["no_df"]["en"]
        assert x.as_dict()["ci_low"] is None
    y = estimate_proportion(d, "y", domain="g").get("y")
    assert y.df == 1 and y.note is None and 0 < y.ci_low < y.estimate < y.ci_high < 1


def test_a_boundary_estimate_with_degrees_of_freedom_says_why_its_interval_is_a_point():
    from kepu.literacy import Design

    data = {
        "s": np.array(["A"] * 4 + ["B"] * 4, dtype=object),
        "p": np.array([1, 1, 2, 2, 3, 3, 4, 4]),
        "y": np.zeros(8),
    }
    est = estimate_proportion(Design.create(data, strata="s", clusters="p", weights=np.ones(8)), "y").get()
    assert (est.estimate, est.se, est.df) == (0.0, 0.0, 2)
    assert (est.ci_low, est.ci_high, est.note) == (0.0, 0.0, "boundary")
