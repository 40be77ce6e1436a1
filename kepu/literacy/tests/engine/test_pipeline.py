"""estimate_round: the one call a survey round's background task makes."""

from __future__ import annotations

import json
import math

import pytest

from kepu.literacy import (
    Design,
    LiteracyError,
    estimate_proportion,
    estimate_round,
    make_replicates,
    margins_from_records,
    rake,
)
from kepu.literacy.synthetic import make_survey


@pytest.fixture(scope="module")
def survey():
    return make_survey(3000, 12, 60, 6, seed=5)


def test_round_result_is_json_ready_and_matches_the_parts(survey):
    margins = margins_from_records(survey.margin_records)
    res = estimate_round(
        survey.data,
        design=survey.design,
        margins=margins,
        domains=[None, "district", ("district", "sex"), "age_group"],
        deff=True,
    )
    doc = json.loads(json.dumps(res.as_dict(), ensure_ascii=False, allow_nan=False))
    assert doc["calibration"]["converged"] is True
    assert [t["domain_variable"] for t in doc["results"]] == [
        None,
        "district",
        "district*sex",
        "age_group",
    ]
    ref = estimate_proportion(
        rake(Design.create(survey.data, **survey.design), margins),
        "literate",
        domain="age_group",
    )
    got = {e["domain"]: e for e in doc["results"][3]["estimates"]}
    for row in ref:
        assert got[row.domain]["se"] == pytest.approx(row.se, rel=1e-12)
        assert math.isfinite(got[row.domain]["deff"])
    assert len(res.records()) == 1 + 6 + 12 + 5


def test_round_with_replicates_and_warnings(survey):
    margins = margins_from_records(survey.margin_records)
    res = estimate_round(
        survey.data,
        design=survey.design,
        margins=margins,
        replicates="bootstrap",
        n_replicates=30,
        seed=3,
        max_iter=2,
        on_nonconvergence="warn",
    )
    assert res.warnings[0]["code"] == "calibration_not_converged"
    assert res.tables[0].variance_method == "replicate:bootstrap"
    boot = make_replicates(Design.create(survey.data, **survey.design), "bootstrap", replicates=30, seed=3)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = estimate_proportion(rake(boot, margins, max_iter=2, on_nonconvergence="warn"), "literate")
    assert res.tables[0].get().se == pytest.approx(ref.get().se, rel=1e-12)


def test_round_errors_keep_their_codes(survey):
    with pytest.raises(LiteracyError) as err:
        estimate_round(survey.data, design={**survey.design, "weights": "nope"})
    assert err.value.code == "missing_column"
