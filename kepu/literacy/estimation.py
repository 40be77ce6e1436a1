"""Estimates of means, proportions, totals and ratios, for the population and domains.

Every statistic is a ratio of weighted totals ``Y/X`` (X = 1 for totals), and every
computation is a weighted sum over *atoms*: the groups of respondents that share the
deepest sampling unit the variance needs, the calibration combo and the domain. Sums
over atoms are exact, so results equal a respondent-level computation; they are just
cheaper, and they let replicate weights stay in factored form.

Domains are estimated as domains of the full design ("zero-out"): respondents outside
the domain stay in the design with a zero linearized value, which is what R's ``svyby``
and subset designs amount to and what keeps strata and PSU counts right. Missing values
with ``na_rm=True`` are handled the same way (they leave the domain), matching R's
``na.rm=TRUE``.

Linearization: the influence values are ``z = 1_d (y - theta x) / X_d`` (``1_d y`` for
totals). After calibration, ``z`` is replaced by its residual from the weighted least
squares fit on the calibration variables with the pre-calibration weights, and the
variance is that of the weighted residual totals (R's ``svyrecvar`` for ``calibrate`` and
``postStratify``; for ``rake`` R iterates an approximation of the same projection).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from scipy import stats

from ._groups import (
    combine_codes,
    dense_combine,
    factorize,
    group_sum,
    indicator,
    is_missing,
)
from .design import ColumnSpec, Design
from .errors import LiteracyError
from .variance import multistage_variance, replicate_variance

__all__ = [
    "Estimate",
    "EstimateTable",
    "estimate",
    "estimate_mean",
    "estimate_proportion",
    "estimate_ratio",
    "estimate_total",
    "logit_ci",
    "wilson_ci",
]

Statistic = Literal["mean", "proportion", "total", "ratio"]
CiMethod = Literal["logit", "wilson", "wald"]
VarianceMethod = Literal["linearization", "replicate"]
DeffMethod = Literal["wor", "replace"]


@dataclass(frozen=True)
class Estimate:
    """One estimate with its uncertainty; ``domain`` None means the whole population."""

    statistic: str
    variable: str
    level: str | None
    domain: str | None
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    df: int
    n: int
    weighted_n: float
    deff: float | None
    cv: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (NaN becomes None)."""
        return {k: _jsonable(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class EstimateTable:
    """The estimates of one call, with how they were computed."""

    statistic: str
    variance_method: str
    ci_method: str
    confidence: float
    domain_variable: str | None
    rows: tuple[Estimate, ...]

    def __iter__(self) -> Iterator[Estimate]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def get(self, domain: object = None, level: object = None) -> Estimate:
        """Return the row for a domain label (None: population) and outcome level."""
        dom = None if domain is None else str(domain)
        lev = None if level is None else str(level)
        for r in self.rows:
            if r.domain == dom and (lev is None or r.level == lev):
                return r
        raise KeyError((domain, level))

    def to_records(self) -> list[dict[str, Any]]:
        """Rows as dictionaries, for CSV writers and JSON APIs."""
        meta = {
            "variance_method": self.variance_method,
            "ci_method": self.ci_method,
            "confidence": self.confidence,
            "domain_variable": self.domain_variable,
        }
        return [{**meta, **r.as_dict()} for r in self.rows]

    def as_dict(self) -> dict[str, Any]:
        """Metadata plus rows."""
        return {
            "statistic": self.statistic,
            "variance_method": self.variance_method,
            "ci_method": self.ci_method,
            "confidence": self.confidence,
            "domain_variable": self.domain_variable,
            "estimates": [r.as_dict() for r in self.rows],
        }


def _jsonable(v: Any) -> Any:
    if isinstance(v, float | np.floating):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


# ------------------------------------------------------------------------- intervals
def logit_ci(
    p: np.ndarray, se: np.ndarray, df: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Logit interval, R's ``svyciprop(method="logit")``: t quantile with design df.

    The interval is symmetric on the logit scale with SE ``se / (p (1 - p))`` (delta
    method), so it stays inside (0, 1). At p = 0 or 1 it degenerates to (p, p).
    """
    p = np.asarray(p, dtype=float)
    se = np.asarray(se, dtype=float)
    q = _quantile(df, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        lg = np.log(p / (1 - p))
        se_l = se / (p * (1 - p))
        lo = 1 / (1 + np.exp(-(lg - q * se_l)))
        hi = 1 / (1 + np.exp(-(lg + q * se_l)))
    edge = (p <= 0) | (p >= 1)
    lo = np.where(edge, p, lo)
    hi = np.where(edge, p, hi)
    return lo, hi


def wilson_ci(
    p: np.ndarray,
    se: np.ndarray,
    df: np.ndarray,
    n: np.ndarray,
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval on the design-effective sample size ``p (1 - p) / se^2``.

    Using the effective size carries the design effect into the interval (as in Korn and
    Graubard's design-based intervals); the quantile is Student's t with the design df.
    When ``se`` is 0 (p = 0 or 1) the respondent count is used instead, which gives the
    usual non-degenerate Wilson interval at the boundary.
    """
    p = np.asarray(p, dtype=float)
    se = np.asarray(se, dtype=float)
    z = _quantile(df, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(se > 0, p * (1 - p) / (se * se), np.asarray(n, dtype=float))
        n_eff = np.where(n_eff > 0, n_eff, np.asarray(n, dtype=float))
        z2 = z * z
        denom = 1 + z2 / n_eff
        centre = (p + z2 / (2 * n_eff)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n_eff + z2 / (4 * n_eff * n_eff))
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def _quantile(df: np.ndarray, confidence: float) -> np.ndarray:
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(
            df > 0, stats.t.ppf(0.5 + confidence / 2, np.where(df > 0, df, 1)), np.nan
        )


# ------------------------------------------------------------------------- inputs
def _as_numeric(arr: np.ndarray) -> np.ndarray | None:
    """Return a float array for numeric data (None -> NaN), or None for labels."""
    if not isinstance(arr, np.ndarray):
        return None  # Arrow text
    if arr.dtype.kind == "b":
        return arr.astype(np.float64)
    if arr.dtype.kind in "iuf":
        return arr.astype(np.float64)
    if arr.dtype.kind == "O":
        miss = is_missing(arr)
        vals = arr[~miss]
        if vals.size and all(
            isinstance(v, int | float | np.integer | np.floating | bool) for v in vals
        ):
            out = np.full(arr.shape, np.nan)
            out[~miss] = vals.astype(np.float64)
            return out
        if not vals.size:
            return np.full(arr.shape, np.nan)
    return None


def _outcome(
    design: Design, y: ColumnSpec, statistic: str
) -> tuple[np.ndarray, str, list[str | None]]:
    arr = design.column(y, "outcome")
    name = y if isinstance(y, str) else "y"
    num = _as_numeric(arr)
    if num is not None:
        if statistic == "proportion":
            vals = num[np.isfinite(num)]
            if np.any((vals != 0) & (vals != 1)):
                raise LiteracyError(
                    "invalid_argument",
                    f"{name} must be 0/1 (or categorical) for a proportion",
                )
        return num[:, None], name, [None]
    codes, labels = design.codes(y, "outcome")
    Y = np.zeros((design.n, len(labels)))
    has = codes >= 0
    Y[np.flatnonzero(has), codes[has]] = 1.0
    Y[~has] = np.nan
    return Y, name, [str(v) for v in labels]


def _domain(
    design: Design, domain: ColumnSpec | Sequence[str] | None
) -> tuple[np.ndarray, list[str | None], str | None]:
    if domain is None:
        return np.zeros(design.n, dtype=np.int64), [None], None
    if (
        isinstance(domain, list | tuple)
        and domain
        and all(isinstance(v, str) for v in domain)
    ):
        parts = [
            factorize(design.column(v, "domain"), allow_missing=True) for v in domain
        ]
        bad = np.zeros(design.n, dtype=bool)
        for c, _ in parts:
            bad |= c < 0
        codes, uniq = combine_codes(
            [np.where(c < 0, 0, c) for c, _ in parts], [len(lab) for _, lab in parts]
        )
        idx = np.unravel_index(uniq, [len(lab) for _, lab in parts])
        labels: list[str | None] = [
            "|".join(str(parts[j][1][idx[j][i]]) for j in range(len(parts)))
            for i in range(len(uniq))
        ]
        codes = np.where(bad, -1, codes)
        return codes, labels, "*".join(domain)
    codes, labs = design.codes(domain, "domain")  # type: ignore[arg-type]
    return (
        codes,
        [str(v) for v in labs],
        domain if isinstance(domain, str) else "domain",
    )


# ------------------------------------------------------------------------- core
def estimate(
    design: Design,
    statistic: Statistic,
    y: ColumnSpec,
    *,
    denominator: ColumnSpec | None = None,
    domain: ColumnSpec | Sequence[str] | None = None,
    na_rm: bool = False,
    variance: VarianceMethod | None = None,
    ci_method: CiMethod | None = None,
    confidence: float = 0.95,
    deff: bool | DeffMethod = False,
) -> EstimateTable:
    """Estimate a statistic of ``y`` for the population or each level of ``domain``.

    ``variance`` defaults to replicate weights when the design has them, linearization
    otherwise. ``ci_method`` defaults to ``logit`` for proportions (R's ``svyciprop``)
    and ``wald`` otherwise; all intervals use Student's t with the design degrees of
    freedom (PSUs minus strata in the domain, R's ``degf`` of the subset design).
    ``deff=True`` (or ``"wor"``) is R's ``deff=TRUE``: the variance under simple random
    sampling *without* replacement of the same size from a population of size
    ``sum(w)``; ``deff="replace"`` compares with sampling with replacement.
    """
    if statistic not in ("mean", "proportion", "total", "ratio"):
        raise LiteracyError("invalid_argument", f"unknown statistic {statistic!r}")
    if not 0 < confidence < 1:
        raise LiteracyError("invalid_argument", "confidence must be in (0, 1)")
    method: str
    if variance is None:
        method = "replicate" if design.replicates is not None else "linearization"
    else:
        method = variance
    if method not in ("linearization", "replicate"):
        raise LiteracyError("invalid_argument", f"unknown variance method {method!r}")
    if method == "replicate" and design.replicates is None:
        raise LiteracyError("no_replicates", "the design has no replicate weights")
    ci = ci_method or ("logit" if statistic == "proportion" else "wald")
    if ci not in ("logit", "wilson", "wald"):
        raise LiteracyError("invalid_argument", f"unknown ci_method {ci!r}")
    if ci in ("logit", "wilson") and statistic != "proportion":
        raise LiteracyError(
            "invalid_argument", f"{ci} intervals are for proportions only"
        )
    deff_kind: str | None = None
    if deff is True:
        deff_kind = "wor"
    elif deff in ("wor", "replace"):
        deff_kind = str(deff)
    elif deff not in (False, None):
        raise LiteracyError(
            "invalid_argument", "deff must be False, True, 'wor' or 'replace'"
        )

    Y, name, levels = _outcome(design, y, statistic)
    X: np.ndarray | None = None
    if statistic == "ratio":
        if denominator is None:
            raise LiteracyError("invalid_argument", "a ratio needs a denominator")
        xnum = _as_numeric(design.column(denominator, "denominator"))
        if xnum is None or levels != [None]:
            raise LiteracyError("invalid_argument", "ratio variables must be numeric")
        X = xnum[:, None]
        dname = denominator if isinstance(denominator, str) else "x"
        name = f"{name}/{dname}"
    dom, dlabels, dname_var = _domain(design, domain)
    if not na_rm:
        bad = ~np.isfinite(Y).all(axis=1)
        if X is not None:
            bad |= ~np.isfinite(X).all(axis=1)
        if bad.any():
            raise LiteracyError(
                "missing_values",
                f"{name} has missing values; pass na_rm=True to treat them as outside the domain",
                count=int(bad.sum()),
            )

    res = _compute(design, Y, X, dom, len(dlabels), statistic, method, deff_kind)
    theta, var, cnt, wn, df, deffs = res
    se = np.sqrt(var)
    if statistic == "proportion" and ci == "logit":
        lo, hi = logit_ci(theta, se, df, confidence)
    elif statistic == "proportion" and ci == "wilson":
        lo, hi = wilson_ci(theta, se, df, cnt, confidence)
    else:
        q = _quantile(df, confidence)
        lo, hi = theta - q * se, theta + q * se
    rows: list[Estimate] = []
    for di, dl in enumerate(dlabels):
        for ci_, lev in enumerate(levels):
            est = float(theta[di, ci_])
            rows.append(
                Estimate(
                    statistic=statistic,
                    variable=name,
                    level=lev,
                    domain=dl,
                    estimate=est,
                    se=float(se[di, ci_]),
                    ci_low=float(lo[di, ci_]),
                    ci_high=float(hi[di, ci_]),
                    df=int(df[di, ci_]),
                    n=int(cnt[di, ci_]),
                    weighted_n=float(wn[di, ci_]),
                    deff=None if deffs is None else float(deffs[di, ci_]),
                    cv=float(se[di, ci_] / abs(est)) if est != 0 else float("nan"),
                )
            )
    return EstimateTable(
        statistic=statistic,
        variance_method=method
        if method == "linearization"
        else f"replicate:{design.replicates.method}",  # type: ignore[union-attr]
        ci_method=ci,
        confidence=confidence,
        domain_variable=dname_var,
        rows=tuple(rows),
    )


def _compute(
    design: Design,
    Y: np.ndarray,
    X: np.ndarray | None,
    dom: np.ndarray,
    D: int,
    statistic: str,
    method: str,
    deff_kind: str | None,
) -> tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None
]:
    n = design.n
    p = Y.shape[1]
    w = design.weights
    valid = np.isfinite(Y)
    if X is not None:
        valid &= np.isfinite(X)
    valid &= (dom >= 0)[:, None]
    Yv = np.where(valid, Y, 0.0)
    Xv = np.where(valid, X, 0.0) if X is not None else valid.astype(np.float64)
    cal = design.calibration
    rw = design.replicates if method == "replicate" else None

    # Atoms: deepest needed unit x calibration combo x domain.
    keys: list[np.ndarray] = []
    sizes: list[int] = []
    if rw is None:
        deep = design.stages[-1]
        keys.append(deep.unit)
        sizes.append(deep.n_units)
    else:
        keys.append(rw.unit)
        sizes.append(rw.multipliers.shape[0])
    use_combo = cal is not None and (rw is None or rw.calibration_factors is not None)
    if use_combo:
        assert cal is not None
        keys.append(cal.combo)
        sizes.append(cal.n_combos)
    keys.append(dom + 1)
    sizes.append(D + 1)
    atom, A = dense_combine(keys, sizes)
    first = np.empty(A, dtype=np.int64)
    first[atom] = np.arange(n)
    adom = dom[first]
    ind = adom >= 0

    need_d = use_combo or rw is not None
    cols: list[np.ndarray] = []
    for c in range(p):
        cols += [
            w * Yv[:, c],
            w * Xv[:, c],
            (valid[:, c] & (w != 0)).astype(np.float64),
        ]
        if need_d:
            d = design.base_weights
            cols += [d * Yv[:, c], d * Xv[:, c]]
        if deff_kind is not None:
            cols.append(w * Yv[:, c] * Yv[:, c])
    k = len(cols) // p
    sums = [np.bincount(atom, weights=v, minlength=A) for v in cols]

    def stacked(offset: int) -> np.ndarray:
        return np.column_stack([sums[c * k + offset] for c in range(p)])

    AYw, AXw, Acnt = stacked(0), stacked(1), stacked(2)
    AYd = AXd = None
    if need_d:
        AYd, AXd = stacked(3), stacked(4)
    AY2 = stacked(k - 1) if deff_kind is not None else None

    adom_in = adom[ind]

    def by_domain(arr: np.ndarray) -> np.ndarray:
        return group_sum(adom_in, arr[ind], D).reshape(D, p)

    Yhat = by_domain(AYw)
    Xhat = by_domain(AXw)
    cnt = by_domain(Acnt)
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = Yhat if statistic == "total" else Yhat / Xhat

    def linearized(AY: np.ndarray, AX: np.ndarray) -> np.ndarray:
        if statistic == "total":
            T = AY.copy()
        else:
            safe = np.where(Xhat != 0, Xhat, np.nan)
            T = np.zeros_like(AY)
            T[ind] = (AY[ind] - theta[adom_in] * AX[ind]) / safe[adom_in]
            T = np.nan_to_num(T)
        T[~ind] = 0.0
        return T

    if rw is None:
        T = linearized(AYw, AXw)
        totals: list[np.ndarray] = []
        for st in design.stages:
            ua = st.unit[first][ind]
            tk = group_sum(ua * D + adom_in, T[ind], st.n_units * D).reshape(
                st.n_units, D * p
            )
            totals.append(tk)
        if cal is not None:
            assert AYd is not None and AXd is not None
            Td = linearized(AYd, AXd)
            C = cal.n_combos
            ca = cal.combo[first][ind]
            Zc = group_sum(ca * D + adom_in, Td[ind], C * D).reshape(C, D * p)
            Xc = cal.matrix
            # (q, D*p); the fit is unique even where beta is not (raking margins)
            beta = cal.gram_pinv @ (Xc.T @ Zc)
            # sum of w x over each unit, from the atoms (x is constant within an atom)
            aw = np.bincount(atom, weights=w, minlength=A)
            combo_a = cal.combo[first]
            for k, st in enumerate(design.stages):
                unit_w = sp.csr_matrix(
                    (aw, (st.unit[first], combo_a)), shape=(st.n_units, C)
                )
                totals[k] = totals[k] - (unit_w @ Xc) @ beta
        var = multistage_variance(design, totals).reshape(D, p)
        df = _domain_df(design, first, ind, adom_in, Acnt, D, p)
    else:
        assert AYd is not None and AXd is not None
        R = rw.n_replicates
        ua = rw.unit[first][ind]
        G = None
        if rw.calibration_factors is not None:
            assert cal is not None
            G = rw.calibration_factors
            cai = cal.combo[first][ind]
        reps = np.empty((D, p, R))
        sums_r = _replicate_sums(
            rw.multipliers, G, ua, cai if G is not None else None, adom_in, D
        )
        for c in range(p):
            yr = sums_r(AYd[ind, c])
            if statistic == "total":
                reps[:, c, :] = yr
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    reps[:, c, :] = yr / sums_r(AXd[ind, c])
        var = replicate_variance(theta, reps, rw)
        df = np.full((D, p), rw.df, dtype=np.int64)

    # A domain without respondents has no estimate and no standard error.
    var = np.where(cnt > 0, var, np.nan)
    deffs = None
    if deff_kind is not None and statistic != "ratio":
        assert AY2 is not None
        Y2 = by_domain(AY2)
        N = Xhat
        with np.errstate(divide="ignore", invalid="ignore"):
            svyvar = cnt / (cnt - 1) * (Y2 - Yhat * Yhat / N) / N
            if statistic == "total":
                vsrs = (
                    svyvar
                    * N
                    * N
                    * ((N - cnt) / (N * cnt) if deff_kind == "wor" else 1.0 / cnt)
                )
            else:
                vsrs = svyvar * (
                    (N - cnt) / (N * cnt) if deff_kind == "wor" else 1.0 / cnt
                )
            deffs = var / vsrs
    elif deff_kind is not None:
        deffs = np.full((D, p), np.nan)
    return theta, var, cnt, Xhat if statistic != "ratio" else by_domain(AXw), df, deffs


def _replicate_sums(
    M: np.ndarray,
    G: np.ndarray | None,
    unit: np.ndarray,
    combo: np.ndarray | None,
    dom: np.ndarray,
    D: int,
):
    """Return f(values) -> (D x R) replicate totals ``sum_a v_a M[u_a, r] G[c_a, r]``.

    The sum factors through the units: first sum the atoms into a sparse unit-by-combo
    table per domain, multiply by G (combos x R), then weight by M and add over units.
    That costs (atoms + units x domains) x R instead of gathering an atoms x R matrix.
    When units are respondents (user-supplied weights) the gather is done in chunks.
    """
    U, R = M.shape
    if G is None:

        def plain(v: np.ndarray) -> np.ndarray:
            S = sp.csr_matrix((v, (dom, unit)), shape=(D, U))
            return np.asarray(S @ M)

        return plain
    assert combo is not None
    C = G.shape[0]
    if U * D * R <= 5e7:

        def factored(v: np.ndarray) -> np.ndarray:
            B = sp.csr_matrix((v, (unit * D + dom, combo)), shape=(U * D, C))
            BG = np.asarray(B @ G).reshape(U, D, R)
            # sum over units of BG[u, d, r] * M[u, r] (plain einsum is the fastest here)
            return np.einsum("udr,ur->dr", BG, M)

        return factored
    dind = indicator(dom, D)
    chunk = max(1, int(2e7 // max(len(unit), 1)))

    def gathered(v: np.ndarray) -> np.ndarray:
        out = np.empty((D, R))
        for r0 in range(0, R, chunk):
            r1 = min(R, r0 + chunk)
            F = M[unit, r0:r1] * G[combo, r0:r1]
            out[:, r0:r1] = np.asarray(dind @ (v[:, None] * F))
        return out

    return gathered


def _domain_df(
    design: Design,
    first: np.ndarray,
    ind: np.ndarray,
    adom_in: np.ndarray,
    Acnt: np.ndarray,
    D: int,
    p: int,
) -> np.ndarray:
    """PSUs minus strata among the respondents of each domain (R's degf of a subset)."""
    st = design.stages[0]
    unit_in = st.unit[first][ind]
    strat_in = st.unit_stratum[unit_in]
    out = np.zeros((D, p), dtype=np.int64)
    for c in range(p):
        has = Acnt[ind, c] > 0
        pu = np.unique(adom_in[has] * st.n_units + unit_in[has])
        ps = np.unique(adom_in[has] * st.n_strata + strat_in[has])
        out[:, c] = np.bincount(pu // st.n_units, minlength=D) - np.bincount(
            ps // st.n_strata, minlength=D
        )
    return out


# ------------------------------------------------------------------------- wrappers
def estimate_mean(design: Design, y: ColumnSpec, **kwargs: Any) -> EstimateTable:
    """Weighted mean of ``y`` (R's ``svymean``; proportions per level if categorical)."""
    return estimate(design, "mean", y, **kwargs)


def estimate_proportion(design: Design, y: ColumnSpec, **kwargs: Any) -> EstimateTable:
    """Proportion of a 0/1 variable, or of each level of a categorical one, with logit CIs."""
    return estimate(design, "proportion", y, **kwargs)


def estimate_total(design: Design, y: ColumnSpec, **kwargs: Any) -> EstimateTable:
    """Weighted total of ``y`` (R's ``svytotal``; counts per level if categorical)."""
    return estimate(design, "total", y, **kwargs)


def estimate_ratio(
    design: Design, numerator: ColumnSpec, denominator: ColumnSpec, **kwargs: Any
) -> EstimateTable:
    """Ratio of two totals (R's ``svyratio``)."""
    return estimate(design, "ratio", numerator, denominator=denominator, **kwargs)
