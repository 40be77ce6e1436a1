"""The engine against R's survey package (4.1.1), figure by figure, from stored reference output.

``data/r/reference.R`` computed ``data/r/reference.csv`` (versions in ``data/r/versions.txt``)
from ``data/r/survey.csv``, a synthetic survey whose base weights vary within every margin
cell, and from R's own API data; CI has no R, so the tests read the stored figures. Estimates
must agree to 1e-12 and standard errors to 1e-9, relative.

``lonely_psu="adjust"`` for totals and for calibrated designs is compared separately: R 4.1
leaves a lonely PSU's total uncentred, R >= 4.2 (and this engine) centres it on the mean of all
PSU totals; the two agree for means and proportions of uncalibrated designs (whose linearized
values sum to zero), and with R 4.1's centre put in, every adjust case matches.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from kepu.literacy import (
    Design,
    Margin,
    estimate_mean,
    estimate_total,
    make_replicates,
    margins_from_records,
    rake,
)

from .apidata import load

R_DIR = Path(__file__).parent / "data" / "r"


def read(name: str, text: tuple[str, ...] = ()) -> list[dict]:
    options = pacsv.ConvertOptions(column_types={c: pa.string() for c in text}, strings_can_be_null=False)
    return pacsv.read_csv(R_DIR / name, convert_options=options).to_pylist()


@cache
def reference() -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in read("reference.csv", text=("domain", "df")):
        out.setdefault(row["case"], []).append(row)
    return out


@cache
def survey(lonely: bool) -> dict[str, np.ndarray]:
    table = pacsv.read_csv(R_DIR / "survey.csv").to_pydict()
    cols = {k: np.asarray(v, dtype=object if isinstance(v[0], str) else None) for k, v in table.items()}
    if lonely:
        keep = cols["lonely_keep"] == 1
        cols = {k: v[keep] for k, v in cols.items()}
    return cols


@cache
def margins() -> list[Margin]:
    return margins_from_records(read("margins.csv", text=("level",)))


def api_margins(*variables: str) -> list[Margin]:
    rows = read("api_margins.csv", text=("level",))
    return [Margin(v, {r["level"]: r["total"] for r in rows if r["variable"] == v}) for v in variables]


# R's rake() controls: the default (maxit 10, epsilon 1 in absolute terms) and a tight one.
R_DEFAULT = {"max_iter": 10, "absolute_tolerance": 1.0}
TIGHT = {"max_iter": 100, "tolerance": 1e-10}
CALIBRATE = {"max_iter": 200, "tolerance": 1e-13}


def synthetic(case: str) -> Design:
    """The design of a synthetic case, named as in reference.R (S_*, L_<lonely method>_*)."""
    parts = case.split("_")
    lonely = parts[0] == "L"
    d = Design.create(
        survey(lonely),
        strata="stratum",
        clusters="psu",
        weights="weight",
        lonely_psu=parts[1] if lonely else "fail",
    )
    tail = "_".join(parts[2 if lonely else 1 :])
    if tail.startswith("jkn"):
        d = make_replicates(d, "jkn")
    if tail == "rake_default":
        return rake(d, margins(), variance="rake", **R_DEFAULT)
    if tail in ("rake", "rake_tight", "jkn_rake"):
        return rake(d, margins(), variance="rake", **TIGHT)
    if tail == "calibrate":
        return rake(d, margins(), **CALIBRATE)
    return d


def dstrat(calibration: dict, variance: str) -> Design:
    d = Design.create(load("apistrat"), strata="stype", weights="pw", fpc="fpc")
    return rake(d, api_margins("sch_wide", "comp_imp"), variance=variance, **calibration)


def dclus2(calibration: dict, variance: str) -> Design:
    d = Design.create(load("apiclus2"), clusters=["dnum", "snum"], fpc=["fpc1", "fpc2"])
    return rake(d, api_margins("stype", "sch_wide"), variance=variance, **calibration)


API_CASES: dict[str, tuple[Callable[[], Design], str, str]] = {
    "dstrat_rake_default": (lambda: dstrat(R_DEFAULT, "rake"), "stype", "api00"),
    "dstrat_rake_tight": (lambda: dstrat(TIGHT, "rake"), "stype", "api00"),
    "dstrat_calibrate": (lambda: dstrat(CALIBRATE, "calibrate"), "stype", "api00"),
    "dclus2_rake_tight": (lambda: dclus2(TIGHT, "rake"), "stype", "api00"),
    "dclus2_calibrate": (lambda: dclus2(CALIBRATE, "calibrate"), "stype", "api00"),
}
# R 4.1 and R >= 4.2 differ here (see the module docstring); only the means of L_adjust_plain count.
NOT_COMPARED = {"L_adjust_rake", "L_adjust_calibrate"}


def compared(row: dict) -> bool:
    if row["case"] in NOT_COMPARED:
        return False
    return not (row["case"] == "L_adjust_plain" and row["statistic"] == "total")


def check_case(case: str, design: Design, domain: str) -> int:
    checked = 0
    tables = {}
    for row in reference()[case]:
        if not compared(row):
            continue
        fn = estimate_mean if row["statistic"] == "mean" else estimate_total
        key = (row["statistic"], row["variable"], bool(row["domain"]))
        if key not in tables:
            tables[key] = fn(design, row["variable"], domain=domain if row["domain"] else None, na_rm=True)
        est = tables[key].get(row["domain"] or None)
        where = f"{case} {row['statistic']} {row['variable']} {row['domain'] or '(all)'}"
        assert est.estimate == pytest.approx(row["estimate"], rel=1e-12), where
        assert est.se == pytest.approx(row["se"], rel=1e-9), where
        if row["df"] and design.replicates is None:
            assert est.df == int(row["df"]), where
        checked += 1
    return checked


SYNTHETIC_CASES = sorted(c for c in reference() if c[0] in "SL" and c not in NOT_COMPARED)


def test_every_reference_case_is_compared():
    assert set(SYNTHETIC_CASES) | set(API_CASES) | NOT_COMPARED == set(reference())
    versions = (R_DIR / "versions.txt").read_text(encoding="utf-8")
    assert "survey 4.1.1" in versions


@pytest.mark.parametrize("case", SYNTHETIC_CASES)
def test_synthetic_survey_matches_r(case):
    assert check_case(case, synthetic(case), "district") >= 5


@pytest.mark.parametrize("case", sorted(API_CASES))
def test_api_designs_with_unequal_weights_match_r(case):
    build, domain, _variable = API_CASES[case]
    assert check_case(case, build(), domain) >= 4


def test_the_two_raking_variances_differ_when_base_weights_vary():
    # The fixture is only a check of --variance rake if R's two methods disagree on it.
    ref = {
        (r["case"], r["domain"]): r["se"]
        for c in ("S_rake_tight", "S_calibrate")
        for r in reference()[c]
        if r["statistic"] == "mean"
    }
    gaps = [abs(ref[("S_rake_tight", dom)] / ref[("S_calibrate", dom)] - 1) for c, dom in ref if c == "S_calibrate"]
    assert max(gaps) > 0.005
    ours = {
        v: estimate_mean(rake(synthetic("S_plain"), margins(), variance=v, **TIGHT), "literate").get().se
        for v in ("calibrate", "rake")
    }
    assert ours["rake"] == pytest.approx(ref[("S_rake_tight", "")], rel=1e-9)
    assert ours["calibrate"] == pytest.approx(ref[("S_calibrate", "")], rel=1e-6)
    assert abs(ours["rake"] / ours["calibrate"] - 1) > 5e-4


def test_lonely_average_counts_the_strata_of_the_domain():
    # 丰台 has 10 strata, 2 of them lonely: R scales its variance by 10/8, not by 40/34.
    d = synthetic("L_average_plain")
    removed = synthetic("L_remove_plain")
    se = estimate_mean(d, "literate", domain="district").get("丰台").se
    se_removed = estimate_mean(removed, "literate", domain="district").get("丰台").se
    assert se**2 == pytest.approx(se_removed**2 * 10 / 8, rel=1e-12)


def test_adjust_differs_from_r41_only_by_the_centre_of_a_lonely_psu(monkeypatch):
    # R 4.1 leaves a lonely PSU's total uncentred (R >= 4.2 and we centre it on the mean of
    # all PSU totals). With that one change every adjust case of the fixture matches R 4.1.
    from kepu.literacy import variance

    ours = variance.stage_variance

    def r41(stage, totals, lonely_psu, present=None):
        t = np.asarray(totals, dtype=float).reshape(len(totals), -1)
        lone = ((stage.stratum_n < 2) & (stage.stratum_N > 1) & (stage.stratum_multiplier > 0))[stage.unit_stratum]
        rest = ours(stage, np.where(lone[:, None], 0.0, t), "remove", present)
        pres = np.ones((stage.n_strata, t.shape[1]), dtype=bool) if present is None else present
        return rest + (np.where(lone[:, None] & pres[stage.unit_stratum], t, 0.0) ** 2).sum(axis=0)

    monkeypatch.setattr(variance, "stage_variance", r41)
    checked = 0
    for case in sorted(NOT_COMPARED | {"L_adjust_plain"}):
        d = synthetic(case)
        for row in reference()[case]:
            fn = estimate_mean if row["statistic"] == "mean" else estimate_total
            est = fn(d, "literate", domain="district" if row["domain"] else None).get(row["domain"] or None)
            assert est.se == pytest.approx(row["se"], rel=1e-9), (case, row["statistic"], row["domain"])
            checked += 1
    assert checked == 18
