"""From a round's approved responses to the engine's inputs, and the engine's answers back.

This is the only module of the app that talks to ``kepu.literacy``. It is deliberately
thin: it lays the responses out as columns, names the design (strata: the round's strata;
PSUs: streets; SSUs: communities; base weights per community; FPC from the number of
streets in each stratum's population), rakes to the round's margins and asks for the
proportion of literate residents by group with logit intervals and design effects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kepu import literacy
from kepu.survey.models import GroupKind, PopulationMargin, Response, ResponseStatus, Round, age_group

#: The groups estimated for every round, in the order shown, and the data column of each.
GROUPS: tuple[tuple[str, str | None], ...] = (
    (GroupKind.CITY, None),
    (GroupKind.DISTRICT, "district"),
    (GroupKind.SEX, "sex"),
    (GroupKind.AGE_GROUP, "age_group"),
    (GroupKind.EDUCATION, "education"),
    (GroupKind.AREA, "area"),
    (GroupKind.KEY_POPULATION, "key_population"),
)

LONELY_PSU = "adjust"


def bank_for_engine(round_: Round) -> literacy.QuestionBank:
    questions = [
        {"id": q.code, "dimension": q.dimension, "points": q.points, "answer": q.answer, "kind": q.kind}
        for q in round_.bank.questions.order_by("position")
    ]
    return literacy.QuestionBank.from_dict({"id": round_.bank.code, "questions": questions})


def approved_responses(round_: Round):
    return Response.objects.filter(round=round_, status=ResponseStatus.APPROVED).order_by("pk")


@dataclass
class Dataset:
    """Columns for the engine, one row per approved response."""

    response_ids: list[int]
    answers: np.ndarray
    columns: dict[str, np.ndarray]
    fpc: bool


def dataset(round_: Round, bank: literacy.QuestionBank) -> Dataset:
    ids, rows = [], []
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "stratum",
            "psu",
            "ssu",
            "weight",
            "psu_population",
            "district",
            "sex",
            "age_group",
            "education",
            "area",
            "key_population",
        )
    }
    qids = bank.ids
    # Plain tuples, not model instances: a round has tens of thousands of questionnaires.
    rows_qs = approved_responses(round_).values_list(
        "pk",
        "answers",
        "unit__street__stratum__code",
        "unit__street_id",
        "unit_id",
        "unit__base_weight",
        "unit__street__stratum__psu_population",
        "place__district_code",
        "sex",
        "age",
        "education",
        "area",
        "key_population",
    )
    for (
        pk,
        answers,
        stratum,
        psu,
        ssu,
        weight,
        psu_pop,
        district,
        sex,
        age,
        education,
        area,
        key_population,
    ) in rows_qs.iterator(chunk_size=5000):
        ids.append(pk)
        rows.append([answers.get(q) for q in qids])
        cols["stratum"].append(stratum)
        cols["psu"].append(psu)
        cols["ssu"].append(ssu)
        cols["weight"].append(weight)
        cols["psu_population"].append(psu_pop)
        cols["district"].append(district)
        cols["sex"].append(sex)
        cols["age_group"].append(age_group(age))
        cols["education"].append(education)
        cols["area"].append(area)
        cols["key_population"].append(key_population or None)
    fpc = bool(ids) and all(p for p in cols["psu_population"])
    arrays = {k: np.array(v, dtype=object) for k, v in cols.items()}
    arrays["psu"] = np.array(cols["psu"], dtype=np.int64)
    arrays["ssu"] = np.array(cols["ssu"], dtype=np.int64)
    arrays["weight"] = np.array(cols["weight"], dtype=np.float64)
    arrays["psu_population"] = np.array([p or 0 for p in cols["psu_population"]], dtype=np.float64)
    answers = np.array(rows, dtype=object).reshape(len(ids), len(qids))
    return Dataset(ids, answers, arrays, fpc)


def margins_for(round_: Round) -> list[literacy.Margin]:
    records = [
        {"variable": m.variable, "level": m.level, "total": m.total}
        for m in PopulationMargin.objects.filter(round=round_).order_by("variable", "level")
    ]
    return literacy.calibration.margins_from_records(records) if records else []


@dataclass
class Outcome:
    scores: literacy.ScoreResult
    response_ids: list[int]
    estimates: list[tuple[str, literacy.Estimate]]
    summary: dict[str, Any]
    calibrated: bool
    warnings: list[dict[str, str]] = field(default_factory=list)


def run(round_: Round) -> Outcome:
    """Score every approved response and estimate the literacy rate by group.

    Raises ``LiteracyError`` (with its stable code) when the data cannot support the
    estimate: no approved responses, a stratum with one street and no way to adjust,
    margins that do not match the sample.
    """
    bank = bank_for_engine(round_)
    rule = literacy.load_rule(round_.rule)
    data = dataset(round_, bank)
    if not data.response_ids:
        raise literacy.LiteracyError("invalid_argument", "no approved responses to estimate from")
    scores = literacy.score(data.answers, bank=bank, rule=rule)
    columns = {**data.columns, "literate": scores.literate.astype(np.int64)}
    margins = margins_for(round_)
    # The engine's one-call pipeline, the same code path as its command line.
    result = literacy.estimate_round(
        columns,
        design={
            "strata": "stratum",
            "clusters": ["psu", "ssu"],
            "weights": "weight",
            "fpc": "psu_population" if data.fpc else None,
            "lonely_psu": LONELY_PSU,
        },
        margins=margins,
        calibration="rake",
        variables=("literate",),
        statistic="proportion",
        domains=[column for _kind, column in GROUPS],
        deff=True,
    )
    estimates: list[tuple[str, literacy.Estimate]] = []
    for (kind, _column), table in zip(GROUPS, result.tables, strict=True):
        estimates.extend((kind, row) for row in table)
    design = result.design
    summary = {"design": design.summary(), "warnings": list(result.warnings), "seconds": round(result.seconds, 3)}
    if design.calibration is not None:
        summary["calibration"] = design.calibration.report.as_dict()
    caught = list(result.warnings)
    return Outcome(scores, data.response_ids, estimates, summary, bool(margins), caught)
