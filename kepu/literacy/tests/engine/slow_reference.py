"""Plain, loop-based reference computations the vectorized engine is checked against.

Deliberately written the textbook way (one respondent at a time), so a bug in the
engine's grouping tricks cannot hide in the reference too.
"""

from __future__ import annotations

import numpy as np


def linearization_se(strata, psu, w, d, y, in_domain, statistic, aux=None) -> tuple[float, float]:
    """Estimate and SE for a single-stage stratified cluster design (with replacement).

    ``aux`` (n x q) are calibration variables: the influence values are replaced by
    their residuals from the d-weighted least-squares fit on ``aux``.
    """
    n = len(y)
    if statistic == "total":
        theta = sum(w[i] * y[i] for i in range(n) if in_domain[i])
        z = [y[i] if in_domain[i] else 0.0 for i in range(n)]
    else:
        size = sum(w[i] for i in range(n) if in_domain[i])
        theta = sum(w[i] * y[i] for i in range(n) if in_domain[i]) / size
        z = [(y[i] - theta) / size if in_domain[i] else 0.0 for i in range(n)]
    if aux is not None:
        q = aux.shape[1]
        xtx = [[sum(d[i] * aux[i][a] * aux[i][b] for i in range(n)) for b in range(q)] for a in range(q)]
        xtz = [sum(d[i] * aux[i][a] * z[i] for i in range(n)) for a in range(q)]
        beta = np.linalg.lstsq(np.array(xtx), np.array(xtz), rcond=None)[0]
        z = [z[i] - sum(aux[i][a] * beta[a] for a in range(q)) for i in range(n)]
    var = 0.0
    for h in sorted(set(strata)):
        units = sorted({psu[i] for i in range(n) if strata[i] == h})
        totals = []
        for u in units:
            totals.append(sum(w[i] * z[i] for i in range(n) if psu[i] == u))
        m = sum(totals) / len(totals)
        var += len(totals) / (len(totals) - 1) * sum((t - m) ** 2 for t in totals)
    return theta, var**0.5


def score_slowly(answers, questions, rule) -> list[dict]:
    """Score respondent by respondent, question by question."""
    out = []
    raw_max = {}
    for q in questions:
        raw_max[q["dimension"]] = raw_max.get(q["dimension"], 0.0) + q["points"]
    for row in answers:
        raw = {dim["name"]: 0.0 for dim in rule["dimensions"]}
        for q, a in zip(questions, row, strict=True):
            given = "" if a is None else "".join(sorted(str(a).upper().replace(",", "").replace(" ", "")))
            if given == "".join(sorted(q["answer"].upper())):
                raw[q["dimension"]] += q["points"]
        dims = {}
        for dim in rule["dimensions"]:
            dims[dim["name"]] = raw[dim["name"]] / raw_max[dim["name"]] * dim["max_points"]
        total = sum(dims.values())
        lit = rule["literacy"]
        if lit["kind"] == "total_at_least":
            literate = total >= lit["threshold"] - 1e-9
        else:
            literate = all(dims[k] >= v - 1e-9 for k, v in lit["thresholds"].items())
        tier = None
        for t in sorted(rule["tiers"], key=lambda t: t["min_total"]):
            if total >= t["min_total"] - 1e-9:
                tier = t["name"]
        out.append({"dimensions": dims, "total": total, "literate": literate, "tier": tier})
    return out
