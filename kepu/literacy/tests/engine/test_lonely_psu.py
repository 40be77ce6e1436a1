"""The five lonely-PSU methods of R's ``survey.lonely.psu``, against hand computation.

Strata A (2 PSUs), B (3 PSUs), C (1 PSU); two respondents per PSU. The variance of a
total is worked out by hand from the PSU totals t_hj:
  V_h = n_h/(n_h-1) * sum_j (t_hj - mean_h)^2        (no fpc)
  remove, certainty: V_A + V_B
  average:           (V_A + V_B) * 3/2               (3 strata, 1 singleton)
  adjust:            V_A + V_B + (t_C - G)^2, G = sum of all PSU totals / 6 PSUs
"""

from __future__ import annotations

import numpy as np
import pytest

from kepu.literacy import Design, LiteracyError, estimate_total
from kepu.literacy.variance import design_variance

STRATA = ["A", "A", "A", "A", "B", "B", "B", "B", "B", "B", "C", "C"]
PSU = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]
W = [2.0, 2.0, 3.0, 3.0, 1.0, 1.5, 2.0, 2.0, 4.0, 1.0, 5.0, 5.0]
Y = [1.0, 3.0, 2.0, 0.0, 5.0, 4.0, 1.0, 2.0, 0.0, 3.0, 2.0, 6.0]


def psu_totals() -> dict[int, float]:
    out: dict[int, float] = {}
    for p, w, y in zip(PSU, W, Y, strict=True):
        out[p] = out.get(p, 0.0) + w * y
    return out


def by_hand(method: str) -> float:
    t = psu_totals()

    def stratum_var(ps: list[int]) -> float:
        m = sum(t[p] for p in ps) / len(ps)
        return len(ps) / (len(ps) - 1) * sum((t[p] - m) ** 2 for p in ps)

    va, vb = stratum_var([1, 2]), stratum_var([3, 4, 5])
    if method in ("remove", "certainty"):
        return va + vb
    if method == "average":
        return (va + vb) * 3 / 2
    grand = sum(t.values()) / 6
    return va + vb + (t[6] - grand) ** 2


def design(method: str, **kw) -> Design:
    data = {
        "stratum": np.array(STRATA, dtype=object),
        "psu": np.array(PSU),
        "w": np.array(W),
        "y": np.array(Y),
    }
    return Design.create(data, strata="stratum", clusters="psu", weights="w", lonely_psu=method, **kw)


@pytest.mark.parametrize("method", ["remove", "certainty", "average", "adjust"])
def test_lonely_methods_match_hand_computation(method):
    est = estimate_total(design(method), "y").get()
    assert est.se**2 == pytest.approx(by_hand(method), rel=1e-12)


def test_fail_raises_with_a_stable_code():
    with pytest.raises(LiteracyError) as err:
        estimate_total(design("fail"), "y")
    assert err.value.code == "lonely_psu"
    assert err.value.details["stage"] == 1


def test_remove_and_certainty_agree_for_a_mean():
    # R treats them alike in linearization: the singleton stratum contributes nothing.
    a = estimate_total(design("remove"), "y").get().se
    b = estimate_total(design("certainty"), "y").get().se
    assert a == b


def test_a_stratum_taken_with_certainty_is_not_lonely():
    # fpc N=1 for stratum C: f = 1, no variance, and no error even with "fail".
    fpc = np.array([10.0] * 4 + [20.0] * 6 + [1.0] * 2)
    est = estimate_total(design("fail", fpc=fpc), "y").get()
    t = psu_totals()
    va = (1 - 2 / 10) * 2 * ((t[1] - t[2]) / 2) ** 2 * 2
    mb = (t[3] + t[4] + t[5]) / 3
    vb = (1 - 3 / 20) * 3 / 2 * sum((t[p] - mb) ** 2 for p in (3, 4, 5))
    assert est.se**2 == pytest.approx(va + vb, rel=1e-12)


def test_lonely_ssu_at_the_second_stage():
    # Two-stage design with fpc: PSU 2 has a single sampled SSU out of 4.
    data = {
        "psu": np.array([1, 1, 1, 1, 2, 2, 3, 3]),
        "ssu": np.array([1, 1, 2, 2, 3, 3, 4, 5]),
        "N1": np.full(8, 10.0),
        "N2": np.array([5, 5, 5, 5, 4, 4, 6, 6], dtype=float),
        "y": np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]),
    }
    with pytest.raises(LiteracyError) as err:
        estimate_total(
            Design.create(data, clusters=["psu", "ssu"], fpc=["N1", "N2"], lonely_psu="fail"),
            "y",
        )
    assert err.value.code == "lonely_psu" and err.value.details["stage"] == 2
    d = Design.create(data, clusters=["psu", "ssu"], fpc=["N1", "N2"], lonely_psu="remove")
    w = d.weights
    y = data["y"]
    # by hand: stage 1 over PSU totals, stage 2 within PSUs 1 and 3 only (PSU 2 removed)
    t1 = [sum(w[i] * y[i] for i in range(8) if data["psu"][i] == p) for p in (1, 2, 3)]
    v1 = (1 - 3 / 10) * 3 / 2 * sum((x - sum(t1) / 3) ** 2 for x in t1)

    def within(ssus: list[int], N2: float) -> float:
        tt = [sum(w[i] * y[i] for i in range(8) if data["ssu"][i] == s) for s in ssus]
        m = sum(tt) / len(tt)
        return (1 - len(tt) / N2) * len(tt) / (len(tt) - 1) * sum((x - m) ** 2 for x in tt)

    v2 = 3 / 10 * (within([1, 2], 5) + within([4, 5], 6))
    assert estimate_total(d, "y").get().se ** 2 == pytest.approx(v1 + v2, rel=1e-12)


def test_design_variance_of_weighted_values():
    d = design("remove")
    wy = np.array(W) * np.array(Y)
    assert design_variance(d, wy)[0] == pytest.approx(by_hand("remove"), rel=1e-12)


def test_fpc_as_fractions_per_stage_equals_population_sizes(apiclus2):
    # dclus2 with stage-1 fpc as a population size and stage-2 fpc as a fraction n/N.
    data = dict(apiclus2)
    n2 = np.zeros(len(data["snum"]))
    for dnum in np.unique(data["dnum"]):
        m = data["dnum"] == dnum
        n2[m] = m.sum()
    data["f2"] = n2 / data["fpc2"]
    a = Design.create(apiclus2, clusters=["dnum", "snum"], fpc=["fpc1", "fpc2"])
    b = Design.create(
        data,
        clusters=["dnum", "snum"],
        fpc=["fpc1", "f2"],
        fpc_kind=["population", "fraction"],
    )
    assert np.allclose(a.weights, b.weights)
    assert estimate_total(a, "api00").get().se == pytest.approx(estimate_total(b, "api00").get().se, rel=1e-12)
    with pytest.raises(LiteracyError) as err:
        Design.create(data, clusters=["dnum", "snum"], fpc=["fpc1", "f2"])
    assert err.value.code == "invalid_fpc"
