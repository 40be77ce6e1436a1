"""The two shipped scoring rules, the bank and key, and scoring one questionnaire."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kepu.literacy import (
    LiteracyError,
    QuestionBank,
    ScoringRule,
    bundled_rules,
    load_rule,
    score,
    score_one,
)


def bank_of(per_dim: dict[str, int]) -> QuestionBank:
    qs = []
    for dim, k in per_dim.items():
        qs += [{"id": f"{dim}{i}", "dimension": dim, "points": 1, "answer": "A"} for i in range(k)]
    return QuestionBank.from_dict({"id": "test", "questions": qs})


BANK = bank_of({"knowledge": 10, "method": 5, "spirit": 5, "application": 5})


def answers(correct: dict[str, int]) -> dict[str, str]:
    out = {}
    for q in BANK.questions:
        n = correct.get(q.dimension, 0)
        idx = int(q.id[len(q.dimension) :])
        out[q.id] = "A" if idx < n else "B"
    return out


def test_both_rules_ship_as_data():
    assert bundled_rules() == ["current", "legacy"]
    cur = load_rule("current")
    assert [(d.name, d.max_points) for d in cur.dimensions] == [
        ("knowledge", 40),
        ("method", 20),
        ("spirit", 20),
        ("application", 20),
    ]
    assert cur.literacy_kind == "total_at_least" and cur.threshold == 70
    assert [t.min_total for t in cur.tiers] == [0, 55, 70, 85]
    assert load_rule("legacy").literacy_kind == "all_dimensions_pass"
    assert ScoringRule.from_dict(cur.as_dict()) == cur


def test_current_rule_total_threshold_and_tiers():
    # knowledge 10/10 -> 40, method 3/5 -> 12, spirit 3/5 -> 12, application 1/5 -> 4: 68
    r = score_one(
        answers({"knowledge": 10, "method": 3, "spirit": 3, "application": 1}),
        bank=BANK,
        rule=load_rule("current"),
    )
    assert r["total"] == pytest.approx(68.0)
    assert r["literate"] is False and r["tier"] == "approaching"
    r = score_one(
        answers({"knowledge": 10, "method": 3, "spirit": 3, "application": 2}),
        bank=BANK,
        rule=load_rule("current"),
    )
    assert r["total"] == pytest.approx(72.0) and r["literate"] is True and r["tier"] == "literate"
    r = score_one(
        answers({"knowledge": 10, "method": 5, "spirit": 5, "application": 5}),
        bank=BANK,
        rule=load_rule("current"),
    )
    assert r["total"] == pytest.approx(100.0) and r["tier"] == "advanced"
    assert score_one({}, bank=BANK, rule=load_rule("current"))["tier"] == "below_basic"


def test_legacy_rule_needs_every_dimension():
    # 72 points in total but application 8 < 12: literate today, not under the old rule.
    a = answers({"knowledge": 10, "method": 4, "spirit": 4, "application": 2})
    assert score_one(a, bank=BANK, rule=load_rule("current"))["literate"] is True
    assert score_one(a, bank=BANK, rule=load_rule("legacy"))["literate"] is False
    # 60 points but every dimension at its pass mark: literate only under the old rule.
    b = answers({"knowledge": 6, "method": 3, "spirit": 3, "application": 3})
    assert score_one(b, bank=BANK, rule=load_rule("legacy"))["literate"] is True
    assert score_one(b, bank=BANK, rule=load_rule("current"))["literate"] is False


def test_multiple_choice_answers_are_sets():
    bank = QuestionBank.from_dict(
        {
            "id": "m",
            "questions": [
                {
                    "id": "q1",
                    "dimension": "knowledge",
                    "points": 1,
                    "answer": "AC",
                    "kind": "multiple",
                }
            ],
        }
    )
    rule = ScoringRule.from_dict(
        {
            "id": "one",
            "dimensions": [{"name": "knowledge", "max_points": 100}],
            "literacy": {"kind": "total_at_least", "threshold": 50},
        }
    )
    res = score(
        np.array([["CA"], ["a, c"], ["A"], [None], ["ACD"]], dtype=object),
        bank=bank,
        rule=rule,
    )
    assert res.literate.tolist() == [True, True, False, False, False]
    assert res.tier.tolist() == [-1] * 5


def test_key_can_come_separately_and_columns_in_any_order():
    ids = list(reversed(BANK.ids))
    key = {q: "B" for q in BANK.ids}
    row = np.array([["B"] * len(ids)], dtype=object)
    res = score(row, bank=BANK, rule=load_rule("current"), key=key, question_ids=ids)
    assert res.total[0] == pytest.approx(100.0)


def test_rule_from_a_file(tmp_path):
    path = tmp_path / "r.json"
    data = load_rule("current").as_dict()
    data["literacy"]["threshold"] = 60
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_rule(path).threshold == 60


def test_invalid_rule_and_bank_errors():
    with pytest.raises(LiteracyError) as err:
        ScoringRule.from_dict({"dimensions": [], "literacy": {"kind": "total_at_least", "threshold": 1}})
    assert err.value.code == "scoring_rule"
    bad = QuestionBank.from_dict({"questions": [{"id": "x", "dimension": "art", "answer": "A"}]})
    with pytest.raises(LiteracyError) as err:
        score(np.array([["A"]], dtype=object), bank=bad, rule=load_rule("current"))
    assert err.value.code == "scoring_rule"
    with pytest.raises(LiteracyError):
        QuestionBank.from_dict(
            {
                "questions": [
                    {"id": "x", "dimension": "a"},
                    {"id": "x", "dimension": "a"},
                ]
            }
        )
