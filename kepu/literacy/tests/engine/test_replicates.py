"""Replicate weights: construction, user-supplied weights, calibration of replicates."""

from __future__ import annotations

import numpy as np
import pytest

from kepu.literacy import (
    Design,
    LiteracyError,
    estimate_mean,
    estimate_proportion,
    make_replicates,
    rake,
    replicate_weight_matrix,
    with_replicate_weights,
)


def test_user_supplied_weights_reproduce_jk1(rclus1, dclus1):
    W = replicate_weight_matrix(rclus1)
    n = dclus1.n_psu
    user = with_replicate_weights(dclus1, W, scale=(n - 1) / n, rscales=1 - n / 757)
    a = estimate_mean(user, "api00").get()
    b = estimate_mean(rclus1, "api00").get()
    assert a.se == pytest.approx(b.se, rel=1e-12)


def test_replicate_weight_matrix_includes_calibration(rclus1, margins):
    rk = rake(rclus1, margins)
    W = replicate_weight_matrix(rk)
    stype = rk.data["stype"]
    for r in range(W.shape[1]):
        assert W[stype == "E", r].sum() == pytest.approx(4421, rel=1e-6)
    assert rk.calibration.report.replicate_max_relative_margin_error < 1e-6


def test_bootstrap_is_reproducible_with_a_seed(dstrat):
    a = make_replicates(dstrat, "bootstrap", replicates=50, seed=7)
    b = make_replicates(dstrat, "bootstrap", replicates=50, seed=7)
    c = make_replicates(dstrat, "bootstrap", replicates=50, seed=8)
    assert np.array_equal(a.replicates.multipliers, b.replicates.multipliers)
    assert not np.array_equal(a.replicates.multipliers, c.replicates.multipliers)
    se_boot = estimate_mean(a, "api00").get().se
    se_lin = estimate_mean(dstrat, "api00").get().se
    assert 0.6 * se_lin < se_boot < 1.6 * se_lin


def test_bootstrap_multipliers_average_one(dstrat):
    # Rao-Wu-Yue rescaling keeps the expected multiplier at 1 in every stratum.
    b = make_replicates(dstrat, "bootstrap", replicates=4000, seed=1)
    assert b.replicates.multipliers.mean() == pytest.approx(1.0, abs=0.01)


def test_jkn_on_a_stratified_design(dstrat):
    jk = make_replicates(dstrat, "jkn")
    assert jk.replicates.n_replicates == dstrat.n_psu
    lin = estimate_mean(dstrat, "api00").get().se
    assert estimate_mean(jk, "api00").get().se == pytest.approx(lin, rel=0.02)


def test_replicates_on_a_calibrated_design_are_refused(dclus1, margins):
    with pytest.raises(LiteracyError) as err:
        make_replicates(rake(dclus1, margins), "jk1")
    assert err.value.code == "already_calibrated"


def test_replicate_variance_without_replicates(dclus1):
    with pytest.raises(LiteracyError) as err:
        estimate_mean(dclus1, "api00", variance="replicate")
    assert err.value.code == "no_replicates"


def test_linearization_still_available_on_a_replicate_design(rclus1, dclus1):
    a = estimate_mean(rclus1, "api00", variance="linearization").get().se
    assert a == pytest.approx(estimate_mean(dclus1, "api00").get().se)


def lonely_design(method: str) -> Design:
    data = {
        "s": np.array(["A", "A", "B", "B", "B", "C"], dtype=object),
        "p": np.array([1, 2, 3, 4, 5, 6]),
        "y": np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0]),
    }
    return Design.create(data, strata="s", clusters="p", weights=np.ones(6), lonely_psu=method)


@pytest.mark.parametrize("method", ["jkn", "bootstrap"])
def test_lonely_psu_in_replicates(method):
    with pytest.raises(LiteracyError) as err:
        make_replicates(lonely_design("fail"), method, replicates=10, seed=1)
    assert err.value.code == "lonely_psu"
    rep = make_replicates(lonely_design("remove"), method, replicates=10, seed=1)
    assert np.isfinite(estimate_proportion(rep, "y").get().se)


@pytest.mark.parametrize("lonely", ["adjust", "average"])
def test_the_bootstrap_has_no_lonely_psu_adjustment(lonely):
    with pytest.raises(LiteracyError) as err:
        make_replicates(lonely_design(lonely), "bootstrap", replicates=10, seed=1)
    assert err.value.code == "lonely_psu_unsupported"


def test_jkn_average_credits_each_psu_without_a_replicate_the_average_share():
    # R's jknweights: scale = PSUs / replicates = 6 / 5 (stratum C's PSU has no replicate).
    rep = make_replicates(lonely_design("average"), "jkn")
    assert rep.replicates.n_replicates == 5 and rep.replicates.scale == pytest.approx(6 / 5)
    se = estimate_proportion(rep, "y").get().se
    removed = estimate_proportion(make_replicates(lonely_design("remove"), "jkn"), "y").get().se
    assert se == pytest.approx(removed * np.sqrt(6 / 5), rel=1e-12)


def test_jkn_adjust_adds_a_replicate_per_lonely_stratum():
    # R's jknweights: stratum C's PSU out, every other PSU times H/(H-1) = 3/2, rscale 2/3.
    rw = make_replicates(lonely_design("adjust"), "jkn").replicates
    assert rw.n_replicates == 6
    assert list(rw.multipliers[:, -1]) == [1.5, 1.5, 1.5, 1.5, 1.5, 0.0]
    assert rw.rscales[-1] == pytest.approx(2 / 3)
    y = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0])
    reps = (rw.multipliers * y[:, None]).sum(axis=0) / rw.multipliers.sum(axis=0)
    by_hand = float(np.sum(rw.rscales * (reps - reps.mean()) ** 2))
    se = estimate_proportion(make_replicates(lonely_design("adjust"), "jkn"), "y").get().se
    assert se**2 == pytest.approx(by_hand, rel=1e-12)


def test_jk1_is_refused_for_a_stratified_design(dstrat):
    # R: as.svrepdesign(dstrat, type="JK1") stops with "Can't use JK1 for a stratified design".
    with pytest.raises(LiteracyError) as err:
        make_replicates(dstrat, "jk1")
    assert err.value.code == "not_supported"
    assert "stratified" in err.value.message and "JKn" in err.value.message
