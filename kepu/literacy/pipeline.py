"""One call per survey round: design, replicates, calibration and estimates.

The Django app (a background task per survey round) and the command line both go
through :func:`estimate_round`, so a figure on the website and one computed by hand
from the exported files come from the same code path with the same options.
"""

from __future__ import annotations

import datetime as dt
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .calibration import Margin, calibrate_linear, poststratify, rake
from .design import Design
from .errors import LiteracyError, LiteracyWarning
from .estimation import INTERVAL_NOTES, EstimateTable, estimate
from .replicates import make_replicates
from .scoring import QuestionBank, ScoreResult, ScoringRule, score

__all__ = ["RoundResult", "estimate_round", "score_columns"]

Domain = str | tuple[str, ...] | None


@dataclass(frozen=True, eq=False)
class RoundResult:
    """Everything a round's report needs: the design used, the tables, the warnings."""

    design: Design
    tables: tuple[EstimateTable, ...]
    warnings: tuple[dict[str, str], ...] = field(default=())
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the body of the CLI's ``--out-json``)."""
        cal = self.design.calibration
        notes = sorted({r.note for t in self.tables for r in t.rows if r.note})
        return {
            "engine": "kepu.literacy",
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "design": self.design.summary(),
            "calibration": None if cal is None else cal.report.as_dict(),
            "warnings": list(self.warnings),
            "results": [t.as_dict() for t in self.tables],
            "notes": {k: INTERVAL_NOTES[k] for k in notes},
            "seconds": round(self.seconds, 3),
        }

    def records(self) -> list[dict[str, Any]]:
        """All estimates as flat rows (the CLI's ``--out-csv``)."""
        return [r for t in self.tables for r in t.to_records()]


def score_columns(data: Mapping[str, Any], *, bank: QuestionBank, rule: ScoringRule) -> ScoreResult:
    """Score the answer columns (one per question id) of a table of responses."""
    missing = [q for q in bank.ids if q not in data]
    if missing:
        raise LiteracyError("io", "answer columns missing from the data", questions=missing)
    answers = np.column_stack([as_object_array(data[q]) for q in bank.ids])
    return score(answers, bank=bank, rule=rule)


def as_object_array(col: Any) -> np.ndarray:
    if isinstance(col, np.ndarray):
        return col.astype(object)
    return np.asarray(col.to_pylist(), dtype=object)  # Arrow array


def estimate_round(
    data: Mapping[str, Any],
    *,
    design: Mapping[str, Any],
    margins: Sequence[Margin] = (),
    calibration: Literal["rake", "poststratify", "linear"] = "rake",
    rake_variance: Literal["calibrate", "rake"] = "calibrate",
    variables: Sequence[str] = ("literate",),
    statistic: Literal["proportion", "mean", "total"] = "proportion",
    domains: Sequence[Domain] = (None,),
    replicates: Literal["jk1", "jkn", "bootstrap"] | None = None,
    n_replicates: int = 200,
    seed: int | None = 20240601,
    mse: bool = False,
    ci_method: Literal["logit", "wilson", "wald"] | None = None,
    confidence: float = 0.95,
    deff: bool | Literal["wor", "replace"] = False,
    na_rm: bool = False,
    max_iter: int = 50,
    tolerance: float = 1e-8,
    bounds: tuple[float, float] | None = None,
    on_nonconvergence: Literal["raise", "warn"] = "raise",
) -> RoundResult:
    """Estimate a round: build the design, calibrate, estimate each variable by domain.

    ``design`` holds :meth:`Design.create` keywords (column names). ``domains`` lists
    None (the whole population), a column name, or a tuple of names for a crossing.
    Warnings with a :class:`LiteracyWarning` code (e.g. a calibration that did not
    converge under ``on_nonconvergence="warn"``) are collected into the result rather
    than lost; errors raise :class:`LiteracyError`. ``rake_variance`` picks the
    linearization after raking (see :func:`kepu.literacy.rake`): ``"calibrate"``, the
    default, or ``"rake"`` for R's ``rake()``.
    """
    if rake_variance != "calibrate" and (calibration != "rake" or not margins):
        raise LiteracyError(
            "not_supported",
            "rake_variance='rake' is R's rake() linearization: it needs calibration='rake' and margins",
            zh="rake 方差（R 的 rake() 线性化）只用于按边际迭代加权（calibration='rake'）",
        )
    started = time.perf_counter()
    d = Design.create(data, **dict(design))
    if replicates:
        d = make_replicates(d, replicates, replicates=n_replicates, seed=seed, mse=mse)
    caught: list[dict[str, str]] = []
    with warnings.catch_warnings(record=True) as wlist:
        warnings.simplefilter("always", LiteracyWarning)
        if margins:
            if calibration == "rake":
                d = rake(
                    d,
                    margins,
                    max_iter=max_iter,
                    tolerance=tolerance,
                    bounds=bounds,
                    on_nonconvergence=on_nonconvergence,
                    variance=rake_variance,
                )
            elif calibration == "poststratify":
                if len(margins) != 1:
                    raise LiteracyError(
                        "invalid_argument",
                        "post-stratification takes one (possibly crossed) margin",
                    )
                d = poststratify(d, margins[0])
            elif calibration == "linear":
                totals: dict[str, Any] = {}
                for m in margins:
                    if isinstance(m.variables, tuple) or not isinstance(m.variables, str):
                        raise LiteracyError(
                            "not_supported",
                            "linear calibration takes single named variables",
                        )
                    totals[m.variables] = dict(m.totals)
                d = calibrate_linear(
                    d,
                    totals,
                    bounds=bounds,
                    max_iter=max_iter,
                    on_nonconvergence=on_nonconvergence,
                )
            else:
                raise LiteracyError("invalid_argument", f"unknown calibration {calibration!r}")
        tables = [
            estimate(
                d,
                statistic,
                var,
                domain=list(dom) if isinstance(dom, tuple) else dom,
                na_rm=na_rm,
                ci_method=ci_method,
                confidence=confidence,
                deff=deff,
            )
            for var in variables
            for dom in domains
        ]
    for w in wlist:
        if isinstance(w.message, LiteracyWarning):
            caught.append({"code": w.message.code, "message": w.message.message})
    return RoundResult(
        design=d,
        tables=tuple(tables),
        warnings=tuple(caught),
        seconds=time.perf_counter() - started,
    )
