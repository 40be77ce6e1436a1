"""The reference values of R's survey package, reproduced to the digits R printed.

Designs (R notation) are in conftest.py. Each case names the R call it reproduces.
"""

from __future__ import annotations

import numpy as np
import pytest

from kepu.literacy import (
    LiteracyError,
    Margin,
    estimate_mean,
    estimate_ratio,
    estimate_total,
    make_replicates,
    poststratify,
    rake,
)

from .conftest import STYPE_POP
from .rdigits import matches_r


def check(est, shown_est: str, shown_se: str, printed_by: str = "printCoefmat") -> None:
    coef_col, se_col = ("coef", "se") if printed_by == "printCoefmat" else ("plain", "plain")
    assert matches_r(est.estimate, shown_est, coef_col), (est.estimate, shown_est)
    assert matches_r(est.se, shown_se, se_col), (est.se, shown_se)


def test_rdigits_helper_mimics_r_double_rounding():
    assert matches_r(23.920486445, "23.921", "se")
    assert not matches_r(23.920486445, "23.921", "plain")
    assert matches_r(3687177.53, "3687178", "coef")
    assert matches_r(0.849708741, "0.8497087")
    assert not matches_r(0.84971, "0.8497087")


def test_svymean_svytotal_dstrat(dstrat):
    check(estimate_mean(dstrat, "api00").get(), "662.29", "9.4089")
    check(estimate_total(dstrat, "enroll").get(), "3687178", "114642")


def test_svymean_svytotal_dclus1(dclus1):
    check(estimate_mean(dclus1, "api00").get(), "644.17", "23.542")
    check(estimate_total(dclus1, "enroll").get(), "3404940", "932235")


def test_dclus2_weights_come_from_the_fpcs(dclus2, apiclus2):
    # No weights given: R takes N/n at each stage; apiclus2$pw holds the same numbers.
    assert np.allclose(dclus2.weights, apiclus2["pw"])
    assert len(dclus2.stages) == 2


def test_svymean_dclus2(dclus2):
    check(estimate_mean(dclus2, "api00").get(), "670.81", "30.099")


def test_svytotal_dclus2_enroll_has_missing_values(dclus2, apiclus2):
    # apiclus2$enroll has 6 NAs: plain svytotal gives NA in R; the published figures
    # (2639273, 799638) are svytotal(~enroll, dclus2, na.rm=TRUE), which drops those
    # schools from the estimate while keeping the design's PSU and SSU counts.
    assert int(np.isnan(apiclus2["enroll"]).sum()) == 6
    with pytest.raises(LiteracyError) as err:
        estimate_total(dclus2, "enroll")
    assert err.value.code == "missing_values"
    check(estimate_total(dclus2, "enroll", na_rm=True).get(), "2639273", "799638")


def test_svymean_rclus1_jk1(rclus1, dclus1):
    check(estimate_mean(rclus1, "api00").get(), "644.17", "26.329")
    mse = make_replicates(dclus1, "jk1", mse=True)
    check(estimate_mean(mse, "api00").get(), "644.17", "26.335")
    assert rclus1.replicates.n_replicates == 15


def test_jk1_replicates_equal_the_published_replicate_weights(rclus1, apiclus1):
    # apiclus1rep (from R) holds the JK1 multipliers wt1..wt15 per school.
    from .apidata import load

    rep = load("apiclus1rep")
    mult = np.column_stack([rep[f"wt{i}"] for i in range(1, 16)])
    ours = rclus1.replicates.multipliers[rclus1.replicates.unit]
    # R orders replicates by the PSU's first appearance; ours by PSU code: compare as sets
    assert sorted(map(tuple, mult.T.round(10))) == sorted(map(tuple, ours.T.round(10)))


def test_poststratified_dclus1(dclus1):
    ps = poststratify(dclus1, Margin("stype", STYPE_POP))
    check(estimate_mean(ps, "api00").get(), "642.31", "23.921")
    check(estimate_total(ps, "enroll").get(), "3680893", "406293")


@pytest.mark.parametrize("variance", ["calibrate", "rake"])
def test_raked_dclus1(dclus1, margins, variance):
    # apiclus1's weights are all equal, so R's rake() and calibrate() variances print alike.
    rk = rake(dclus1, margins, variance=variance)
    assert rk.calibration.report.converged
    check(estimate_mean(rk, "api00").get(), "641.23", "23.704")
    check(estimate_total(rk, "enroll").get(), "3647280", "400603")


def test_raked_rclus1(rclus1, margins):
    rk = rake(rclus1, margins)
    check(estimate_mean(rk, "api00").get(), "641.23", "26.874")


def test_svyby_ell_by_stype(dclus1):
    tab = estimate_mean(dclus1, "ell", domain="stype")
    expected = {
        "E": ("29.69444", "1.411617"),
        "H": ("15.00000", "5.347065"),
        "M": ("22.68000", "2.952862"),
    }
    assert [r.domain for r in tab] == ["E", "H", "M"]
    for dom, (e, s) in expected.items():
        check(tab.get(dom), e, s, printed_by="print")


def test_svyratio(dclus1):
    check(
        estimate_ratio(dclus1, "api_stu", "enroll").get(),
        "0.8497087",
        "0.008386297",
        printed_by="print",
    )


def test_svytotal_of_a_factor(dclus1):
    tab = estimate_total(dclus1, "stype")
    expected = {
        "E": ("4873.97", "1333.32"),
        "H": ("473.86", "158.70"),
        "M": ("846.17", "167.55"),
    }
    for lev, (e, s) in expected.items():
        check(tab.get(None, lev), e, s, printed_by="print")


def test_deff_is_r_deff_true(dclus1):
    # R: svymean(~api00, dclus1, deff=TRUE) compares with SRS without replacement.
    est = estimate_mean(dclus1, "api00", deff=True).get()
    y = dclus1.data["api00"]
    w = dclus1.weights
    n = len(y)
    N = w.sum()
    m = (w * y).sum() / N
    s2 = n / (n - 1) * (w * (y - m) ** 2).sum() / N
    assert est.deff == pytest.approx(est.se**2 / (s2 * (N - n) / (N * n)), rel=1e-12)
    rep = estimate_mean(dclus1, "api00", deff="replace").get()
    assert rep.deff == pytest.approx(est.se**2 / (s2 / n), rel=1e-12)


def test_empty_domain_after_missing_values(dclus2):
    # na.rm leaves a domain without respondents: no estimate, no SE (not a zero SE).
    data = dict(dclus2.data)
    data["enroll_e"] = np.where(data["stype"] == "E", np.nan, data["enroll"])
    from kepu.literacy import Design

    d = Design.create(data, clusters=["dnum", "snum"], fpc=["fpc1", "fpc2"])
    tab = estimate_mean(d, "enroll_e", domain="stype", na_rm=True)
    assert np.isnan(tab.get("E").estimate) and np.isnan(tab.get("E").se)
    assert np.isfinite(tab.get("H").se)
