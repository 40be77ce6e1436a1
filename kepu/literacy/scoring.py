"""Scoring of the literacy questionnaire: question bank, answer key and scoring rule.

The scoring rule is data, not code: a JSON document names the dimensions with their
points, the criterion for "scientifically literate" and the tiers. Two rules ship with
the package (``current``: total >= 70; ``legacy``: every dimension passes its own mark),
and a survey round records the id of the rule it was scored with, so an old round can
be re-scored under a new rule and compared.

Scoring is vectorized: answers are compared with the key as one respondents x questions
boolean matrix, and dimension scores are one matrix product with the points matrix.
Raw points per dimension are scaled to the rule's points (e.g. 25 knowledge questions of
one point each become 40 points), which is how the national survey weights dimensions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ._groups import is_missing
from .errors import LiteracyError

__all__ = [
    "DimensionSpec",
    "Question",
    "QuestionBank",
    "ScoreResult",
    "ScoringRule",
    "Tier",
    "bundled_rules",
    "load_rule",
    "normalize_answers",
    "score",
    "score_one",
]

_EPS = 1e-9


@dataclass(frozen=True)
class Question:
    """One question: its dimension, its raw points and (optionally) its correct answer."""

    id: str
    dimension: str
    points: float = 1.0
    answer: str | None = None
    kind: Literal["single", "multiple", "true_false"] = "single"


@dataclass(frozen=True)
class QuestionBank:
    """The questions of a questionnaire version, in column order."""

    id: str
    questions: tuple[Question, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QuestionBank:
        """Build from the JSON layout ``{"id": ..., "questions": [{"id", "dimension", ...}]}``."""
        try:
            qs = tuple(
                Question(
                    id=str(q["id"]),
                    dimension=str(q["dimension"]),
                    points=float(q.get("points", 1.0)),
                    answer=None if q.get("answer") is None else str(q["answer"]),
                    kind=q.get("kind", "single"),
                )
                for q in data["questions"]
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise LiteracyError("scoring_rule", f"invalid question bank: {exc}") from exc
        ids = [q.id for q in qs]
        if len(set(ids)) != len(ids):
            raise LiteracyError("scoring_rule", "duplicate question ids in the bank")
        if any(q.points < 0 for q in qs):
            raise LiteracyError("scoring_rule", "question points must be non-negative")
        return cls(id=str(data.get("id", "bank")), questions=qs)

    @classmethod
    def load(cls, path: str | Path) -> QuestionBank:
        """Read a bank from a JSON file."""
        return cls.from_dict(_read_json(path))

    @property
    def ids(self) -> list[str]:
        """Question ids in order."""
        return [q.id for q in self.questions]

    def answer_key(self) -> dict[str, str]:
        """The embedded answer key (question id -> correct answer)."""
        key = {q.id: q.answer for q in self.questions if q.answer is not None}
        if len(key) != len(self.questions):
            raise LiteracyError("scoring_rule", "the bank has no answer for some questions")
        return key  # type: ignore[return-value]


@dataclass(frozen=True)
class DimensionSpec:
    """A dimension of the rule and the points it is worth in the total."""

    name: str
    max_points: float
    label: str = ""


@dataclass(frozen=True)
class Tier:
    """A band of total scores; a respondent is in the highest tier whose minimum they reach."""

    name: str
    min_total: float
    label: str = ""


@dataclass(frozen=True)
class ScoringRule:
    """How answers become a literate flag; see ``rules/*.json`` for the layout."""

    id: str
    name: str
    description: str
    dimensions: tuple[DimensionSpec, ...]
    literacy_kind: Literal["total_at_least", "all_dimensions_pass"]
    threshold: float | None
    dimension_thresholds: Mapping[str, float] | None
    tiers: tuple[Tier, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoringRule:
        """Validate and build a rule from its JSON form."""
        try:
            dims = tuple(
                DimensionSpec(str(d["name"]), float(d["max_points"]), str(d.get("label", "")))
                for d in data["dimensions"]
            )
            lit = data["literacy"]
            kind = lit["kind"]
            tiers = tuple(
                sorted(
                    (
                        Tier(
                            str(t["name"]),
                            float(t["min_total"]),
                            str(t.get("label", "")),
                        )
                        for t in data.get("tiers", [])
                    ),
                    key=lambda t: t.min_total,
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise LiteracyError("scoring_rule", f"invalid scoring rule: {exc}") from exc
        names = [d.name for d in dims]
        if not dims or len(set(names)) != len(names):
            raise LiteracyError("scoring_rule", "a rule needs distinct dimensions")
        threshold = None
        dim_thr = None
        if kind == "total_at_least":
            threshold = float(lit["threshold"])
        elif kind == "all_dimensions_pass":
            dim_thr = {str(k): float(v) for k, v in lit["thresholds"].items()}
            if set(dim_thr) != set(names):
                raise LiteracyError("scoring_rule", "thresholds must name every dimension exactly once")
        else:
            raise LiteracyError("scoring_rule", f"unknown literacy criterion {kind!r}")
        return cls(
            id=str(data.get("id", "rule")),
            name=str(data.get("name", "")),
            description=str(data.get("description", "")),
            dimensions=dims,
            literacy_kind=kind,
            threshold=threshold,
            dimension_thresholds=dim_thr,
            tiers=tiers,
        )

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (round-trips through :meth:`from_dict`)."""
        lit: dict[str, Any] = {"kind": self.literacy_kind}
        if self.threshold is not None:
            lit["threshold"] = self.threshold
        if self.dimension_thresholds is not None:
            lit["thresholds"] = dict(self.dimension_thresholds)
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "dimensions": [{"name": d.name, "label": d.label, "max_points": d.max_points} for d in self.dimensions],
            "literacy": lit,
            "tiers": [{"name": t.name, "label": t.label, "min_total": t.min_total} for t in self.tiers],
        }


def bundled_rules() -> list[str]:
    """Names of the rules shipped in the package (``current``, ``legacy``)."""
    folder = resources.files("kepu.literacy") / "rules"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))


def load_rule(name_or_path: str | Path) -> ScoringRule:
    """Load a bundled rule by name, or a rule JSON file by path."""
    text = str(name_or_path)
    if text in bundled_rules():
        raw = (resources.files("kepu.literacy") / "rules" / f"{text}.json").read_text(encoding="utf-8")
        return ScoringRule.from_dict(json.loads(raw))
    return ScoringRule.from_dict(_read_json(name_or_path))


def _read_json(path: str | Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise LiteracyError("io", f"cannot read JSON {path}: {exc}") from exc


# --------------------------------------------------------------------------- scoring
def _normalize_one(value: str) -> str:
    # Multiple-choice answers are sets: "c, a" and "AC" are the same answer.
    cleaned = "".join(ch for ch in value.upper() if not ch.isspace() and ch not in ",;|/、，")
    return "".join(sorted(cleaned))


def normalize_answers(answers: np.ndarray) -> np.ndarray:
    """Canonical answer strings: upper case, separators removed, options sorted.

    Only the distinct answer strings are normalized (a few dozen), then mapped back, so
    the cost does not grow with the number of respondents beyond one np.unique.
    Missing answers become the empty string, which never matches a key.
    """
    arr = np.asarray(answers, dtype=object)
    missing = is_missing(arr)
    text = np.where(missing, "", arr).astype(str)
    uniq, inv = np.unique(text, return_inverse=True)
    normed = np.array([_normalize_one(u) for u in uniq], dtype=object)
    return normed[inv].reshape(arr.shape)


@dataclass(frozen=True, eq=False)
class ScoreResult:
    """Scores of n respondents under one rule."""

    rule_id: str
    dimensions: tuple[str, ...]
    dimension_scores: np.ndarray
    total: np.ndarray
    literate: np.ndarray
    tier: np.ndarray
    tier_names: tuple[str, ...]

    def columns(self) -> dict[str, np.ndarray]:
        """Result columns for a table: ``score_<dimension>``, total, literate, tier."""
        out: dict[str, np.ndarray] = {f"score_{d}": self.dimension_scores[:, k] for k, d in enumerate(self.dimensions)}
        out["total"] = self.total
        out["literate"] = self.literate.astype(np.int64)
        names = np.array(list(self.tier_names) + [None], dtype=object)
        out["tier"] = names[self.tier]  # index -1 picks None
        return out

    def row(self, i: int) -> dict[str, Any]:
        """One respondent's result as plain Python values (for storing on a model)."""
        return {
            "rule": self.rule_id,
            "dimensions": {d: float(self.dimension_scores[i, k]) for k, d in enumerate(self.dimensions)},
            "total": float(self.total[i]),
            "literate": bool(self.literate[i]),
            "tier": None if self.tier[i] < 0 else self.tier_names[int(self.tier[i])],
        }


def score(
    answers: np.ndarray | Sequence[Sequence[object]],
    *,
    bank: QuestionBank,
    rule: ScoringRule,
    key: Mapping[str, str] | None = None,
    question_ids: Sequence[str] | None = None,
) -> ScoreResult:
    """Score a respondents x questions matrix of answers.

    ``question_ids`` gives the column order of ``answers`` (default: the bank's order);
    ``key`` overrides the bank's embedded answers. Dimension scores are scaled to the
    rule's points; the literate flag and tier follow the rule.
    """
    A = np.asarray(answers, dtype=object)
    if A.ndim != 2:
        raise LiteracyError("invalid_argument", "answers must be a respondents x questions matrix")
    cols = list(question_ids) if question_ids is not None else bank.ids
    if A.shape[1] != len(cols):
        raise LiteracyError(
            "invalid_argument",
            "answers have a different number of questions than the ids",
        )
    by_id = {q.id: q for q in bank.questions}
    unknown = [c for c in cols if c not in by_id]
    if unknown:
        raise LiteracyError("scoring_rule", "answer columns not in the bank", questions=unknown)
    absent = [q for q in bank.ids if q not in set(cols)]
    if absent:
        raise LiteracyError(
            "invalid_argument",
            "answers lack some questions of the bank",
            questions=absent,
        )
    answer_key = dict(key) if key is not None else bank.answer_key()
    dim_names = [d.name for d in rule.dimensions]
    dim_index = {d: k for k, d in enumerate(dim_names)}
    qs = [by_id[c] for c in cols]
    stray = sorted({q.dimension for q in qs} - set(dim_names))
    if stray:
        raise LiteracyError(
            "scoring_rule",
            "questions in dimensions the rule does not know",
            dimensions=stray,
        )

    keys = normalize_answers(np.array([answer_key.get(q.id) for q in qs], dtype=object))
    if np.any(keys == ""):
        raise LiteracyError("scoring_rule", "the answer key lacks some questions")
    correct = normalize_answers(A) == keys[None, :]

    P = np.zeros((len(qs), len(dim_names)))
    P[np.arange(len(qs)), [dim_index[q.dimension] for q in qs]] = [q.points for q in qs]
    raw_max = P.sum(axis=0)
    if np.any(raw_max <= 0):
        empty = [d for d, m in zip(dim_names, raw_max, strict=True) if m <= 0]
        raise LiteracyError(
            "scoring_rule",
            "dimensions without any points in the bank",
            dimensions=empty,
        )
    dim_points = np.array([d.max_points for d in rule.dimensions])
    scores = (correct.astype(np.float64) @ P) * (dim_points / raw_max)
    total = scores.sum(axis=1)
    if rule.literacy_kind == "total_at_least":
        assert rule.threshold is not None
        literate = total >= rule.threshold - _EPS
    else:
        assert rule.dimension_thresholds is not None
        thr = np.array([rule.dimension_thresholds[d] for d in dim_names])
        literate = np.all(scores >= thr[None, :] - _EPS, axis=1)
    if rule.tiers:
        mins = np.array([t.min_total for t in rule.tiers])
        tier = np.searchsorted(mins, total + _EPS, side="right") - 1
    else:
        tier = np.full(total.shape, -1)
    return ScoreResult(
        rule_id=rule.id,
        dimensions=tuple(dim_names),
        dimension_scores=scores,
        total=total,
        literate=literate,
        tier=tier.astype(np.int64),
        tier_names=tuple(t.name for t in rule.tiers),
    )


def score_one(
    answers: Mapping[str, object],
    *,
    bank: QuestionBank,
    rule: ScoringRule,
    key: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Score one submitted questionnaire (question id -> answer); unanswered is wrong."""
    row = np.array([[answers.get(q) for q in bank.ids]], dtype=object)
    return score(row, bank=bank, rule=rule, key=key).row(0)
