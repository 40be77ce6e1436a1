"""A synthetic literacy survey, for the benchmark, end-to-end tests and demos.

It mimics the city's design: strata nested in 16 districts, PSUs (communities) within
strata, respondents within PSUs, unequal base weights, a literacy outcome that depends
on age, education, urban/rural residence, district and a PSU random effect (so design
effects are realistic), and population margins (district x sex, age group, urban/rural,
education) that are mutually consistent. Everything is drawn from one seeded generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .calibration import Margin, margins_from_records

__all__ = ["DISTRICTS", "SyntheticSurvey", "make_survey", "synthetic_bank"]

DISTRICTS: tuple[str, ...] = (
    "东城",
    "西城",
    "朝阳",
    "丰台",
    "石景山",
    "海淀",
    "门头沟",
    "房山",
    "通州",
    "顺义",
    "昌平",
    "大兴",
    "怀柔",
    "平谷",
    "密云",
    "延庆",
)
AGE_GROUPS = ("18-29", "30-39", "40-49", "50-59", "60-69")
EDUCATION = ("primary", "junior_high", "senior_high", "college")
SEXES = ("女", "男")
AREAS = ("urban", "rural")
DIMENSIONS = (("knowledge", 10), ("method", 5), ("spirit", 5), ("application", 5))


@dataclass(frozen=True, eq=False)
class SyntheticSurvey:
    """Columns, the design specification and the population margins."""

    data: dict[str, np.ndarray]
    design: dict[str, Any]
    margin_records: list[dict[str, Any]]
    bank: dict[str, Any] | None

    @property
    def margins(self) -> list[Margin]:
        """The margins as engine objects."""
        return margins_from_records(self.margin_records)


def synthetic_bank() -> dict[str, Any]:
    """A 25-question bank (10 knowledge, 5 each of the other dimensions), keys A-D."""
    qs = []
    letters = "ABCD"
    k = 0
    for dim, count in DIMENSIONS:
        for i in range(count):
            qs.append(
                {
                    "id": f"{dim[0]}{i + 1:02d}",
                    "dimension": dim,
                    "points": 1,
                    "answer": letters[k % 4],
                }
            )
            k += 1
    return {"id": "synthetic-2024", "questions": qs}


def _split(total: int, parts: int) -> np.ndarray:
    base = np.full(parts, total // parts, dtype=np.int64)
    base[: total % parts] += 1
    return base


def make_survey(
    n_respondents: int = 1_000_000,
    n_strata: int = 200,
    n_psus: int = 4000,
    n_districts: int = 16,
    *,
    seed: int = 20240601,
    with_answers: bool = False,
) -> SyntheticSurvey:
    """Draw a synthetic survey; with ``with_answers`` also a questionnaire per respondent."""
    if not (1 <= n_districts <= len(DISTRICTS)) or n_strata < n_districts or n_psus < 2 * n_strata:
        raise ValueError("need 1..16 districts, at least one stratum per district, two PSUs per stratum")
    rng = np.random.default_rng(seed)
    psus_per_stratum = _split(n_psus, n_strata)
    psu_stratum = np.repeat(np.arange(n_strata), psus_per_stratum)
    resp_per_psu = _split(n_respondents, n_psus)
    psu = np.repeat(np.arange(n_psus), resp_per_psu)
    stratum = psu_stratum[psu]
    stratum_district = np.arange(n_strata) % n_districts
    stratum_urban = rng.random(n_strata) < 0.65
    district = stratum_district[stratum]
    urban = stratum_urban[stratum]
    n = n_respondents

    stratum_weight = rng.uniform(8.0, 20.0, n_strata)
    psu_factor = rng.uniform(0.8, 1.25, n_psus)
    weight = stratum_weight[stratum] * psu_factor[psu] * rng.uniform(0.9, 1.1, n)

    sex = (rng.random(n) < 0.5).astype(np.int64)
    age = rng.choice(len(AGE_GROUPS), size=n, p=[0.22, 0.23, 0.21, 0.19, 0.15])
    edu_shift = np.where(urban, 0.8, -0.3) - 0.25 * age
    edu_latent = edu_shift + rng.logistic(size=n)
    edu = np.digitize(edu_latent, [-1.2, 0.2, 1.4])

    district_effect = rng.normal(0.0, 0.25, n_districts)
    psu_effect = rng.normal(0.0, 0.35, n_psus)
    eta = (
        -1.35
        + 0.35 * urban
        + np.array([-1.3, -0.5, 0.2, 1.0])[edu]
        + np.array([0.35, 0.25, 0.0, -0.3, -0.7])[age]
        + 0.1 * sex
        + district_effect[district]
        + psu_effect[psu]
    )
    literate = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(np.int64)

    dnames = np.array(DISTRICTS[:n_districts], dtype=object)
    data: dict[str, np.ndarray] = {
        "respondent_id": np.arange(1, n + 1),
        "stratum": stratum,
        "psu": psu,
        "weight": weight,
        "district": dnames[district],
        "sex": np.array(SEXES, dtype=object)[sex],
        "age_group": np.array(AGE_GROUPS, dtype=object)[age],
        "area": np.array(AREAS, dtype=object)[np.where(urban, 0, 1)],
        "education": np.array(EDUCATION, dtype=object)[edu],
        "literate": literate,
    }
    bank = None
    if with_answers:
        bank = synthetic_bank()
        ability = eta + rng.normal(0.0, 0.5, n)
        letters = np.array(list("ABCD"), dtype=object)
        for j, q in enumerate(bank["questions"]):
            difficulty = 1.6 - 0.12 * (j % 7)
            p = 1.0 / (1.0 + np.exp(-(ability + difficulty)))
            right = rng.random(n) < p
            wrong = letters[(("ABCD".index(q["answer"]) + rng.integers(1, 4, n)) % 4)]
            data[q["id"]] = np.where(right, q["answer"], wrong).astype(object)
        del data["literate"]

    # Population margins from a re-weighted "census" so that they are consistent.
    tilt = (
        np.array([1.04, 0.96])[sex]
        * np.array([1.05, 1.0, 0.98, 0.97, 1.02])[age]
        * np.array([1.1, 1.02, 0.95, 0.9])[edu]
        * np.where(urban, 0.97, 1.06)
    )
    pop = weight * tilt
    records: list[dict[str, Any]] = []

    def add(variable: str, keys: np.ndarray, labels: list[str]) -> None:
        tot = np.bincount(keys, weights=pop, minlength=len(labels))
        records.extend(
            {"variable": variable, "level": lab, "total": float(round(t))}
            for lab, t in zip(labels, tot, strict=True)
            if t > 0
        )

    add(
        "district*sex",
        district * 2 + sex,
        [f"{d}|{s}" for d in DISTRICTS[:n_districts] for s in SEXES],
    )
    add("age_group", age, list(AGE_GROUPS))
    add("area", np.where(urban, 0, 1), list(AREAS))
    add("education", edu, list(EDUCATION))
    # Rounding made the margins differ by a few people; put the difference on the
    # largest cell of each margin so that all margins share one grand total.
    grand = sum(r["total"] for r in records if r["variable"] == "district*sex")
    for var in ("age_group", "area", "education"):
        rows = [r for r in records if r["variable"] == var]
        biggest = max(rows, key=lambda r: r["total"])
        biggest["total"] += grand - sum(r["total"] for r in rows)
    design = {
        "strata": "stratum",
        "clusters": ["psu"],
        "weights": "weight",
        "lonely_psu": "adjust",
    }
    return SyntheticSurvey(data=data, design=design, margin_records=records, bank=bank)
