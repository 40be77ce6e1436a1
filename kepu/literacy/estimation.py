"""Estimates of means, proportions, totals and ratios, for the population and domains.

Every statistic is a ratio of weighted totals ``Y/X`` (X = 1 for totals). Linearization
works straight from the respondents with one ``np.bincount`` per sum: by (unit, domain)
for the unit totals, by (calibration combo, domain) for the calibration fit, and through
the (unit, combo) pairs to take the fit off each unit. Replicate variances work on
*atoms* (replicate unit x calibration combo x domain), so that replicate weights stay in
factored form; sums over atoms are exact.

Domains are estimated as domains of the full design ("zero-out"): respondents outside
the domain stay in the design with a zero linearized value, which is what R's ``svyby``
and subset designs amount to and what keeps strata and PSU counts right. Missing values
with ``na_rm=True`` are handled the same way (they leave the domain), matching R's
``na.rm=TRUE``.

Linearization: the influence values are ``z = 1_d (y - theta x) / X_d`` (``1_d y`` for
totals). After calibration, by default, ``z`` is replaced by its residual from the least
squares fit on the calibration variables weighted by the pre-calibration weights, and the
variance is that of the weighted residual totals: the linearization of a calibration
estimator (Deville and Särndal), which R computes for ``calibrate`` and ``postStratify``.
For raking this is the default because it is that estimator's linearization, computed
exactly; R's ``rake()`` instead approximates the projection with unweighted cell means
and ten sweeps, which differs when base weights vary within cells (0.07 % for the city and
up to 1.9 % for a district on the reference survey in the tests, more at a million
respondents). ``rake(..., variance="rake")`` reproduces R's ``rake()`` figures.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from ._groups import (
    Grouper,
    combine_codes,
    dense_combine,
    factorize,
    group_sum,
    indicator,
    is_missing,
)
from ._tdist import t_quantile
from .design import ColumnSpec, Design
from .errors import LiteracyError, LiteracyWarning
from .variance import multistage_variance, replicate_variance

__all__ = [
    "INTERVAL_NOTES",
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


#: Why an estimate has no (or only a degenerate) confidence interval: ``Estimate.note``.
INTERVAL_NOTES: dict[str, dict[str, str]] = {
    "no_respondents": {
        "en": "no respondents in this domain: no estimate",
        "zh": "该组没有受访者：无估计值",
    },
    "no_df": {
        "en": "no degrees of freedom (the domain's respondents lie in one PSU per stratum): "
        "the standard error cannot be judged and the interval is undefined",
        "zh": "自由度为零（该组受访者在每层只落在一个初级抽样单元）：标准误无从判断，置信区间无定义",
    },
    "boundary": {
        "en": "the estimate is 0 or 1 and its standard error 0, so the logit interval collapses to the "
        "point; a Wilson interval (--ci wilson) uses the respondent count instead",
        "zh": "估计值为 0 或 1 且标准误为 0，logit 区间退化为一点；Wilson 区间（--ci wilson）改用受访者人数",
    },
}


@dataclass(frozen=True)
class Estimate:
    """One estimate with its uncertainty; ``domain`` None means the whole population.

    ``note`` is None, or a key of :data:`INTERVAL_NOTES` saying why the interval is
    missing (NaN) or degenerate.
    """

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
    note: str | None = None

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
def logit_ci(p: np.ndarray, se: np.ndarray, df: np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Logit interval, R's ``svyciprop(method="logit")``: t quantile with design df.

    The interval is symmetric on the logit scale with SE ``se / (p (1 - p))`` (delta
    method), so it stays inside (0, 1). At p = 0 or 1 it degenerates to (p, p) (R prints
    an interval some 1e-11 wide there); without degrees of freedom it is NaN, as in R.
    """
    p = np.asarray(p, dtype=float)
    se = np.asarray(se, dtype=float)
    q = _quantile(df, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        lg = np.log(p / (1 - p))
        se_l = se / (p * (1 - p))
        lo = 1 / (1 + np.exp(-(lg - q * se_l)))
        hi = 1 / (1 + np.exp(-(lg + q * se_l)))
    edge = ((p <= 0) | (p >= 1)) & np.isfinite(q)
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
    return t_quantile(0.5 + confidence / 2, np.asarray(df))


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
        if vals.size and all(isinstance(v, int | float | np.integer | np.floating | bool) for v in vals):
            out = np.full(arr.shape, np.nan)
            out[~miss] = vals.astype(np.float64)
            return out
        if not vals.size:
            return np.full(arr.shape, np.nan)
    return None


def _outcome(design: Design, y: ColumnSpec, statistic: str) -> tuple[np.ndarray, str, list[str | None]]:
    arr = design.column(y, "outcome")
    name = y if isinstance(y, str) else "y"
    num = _as_numeric(arr)
    if num is not None:
        if statistic == "proportion":
            bad = np.isfinite(num) & (num != 0) & (num != 1)
            if np.any(bad):
                row = int(np.argmax(bad))
                raise LiteracyError(
                    "invalid_argument",
                    f"{name} must be 0/1 (or categorical) for a proportion, not {num[row]!r}",
                    zh=f"求比例时 {name} 必须为 0/1（或分类变量），不能是 {num[row]!r}",
                    column=name,
                    row=row,
                    value=float(num[row]),
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
    codes, labels, name = _domain_codes(design, domain)
    outside = codes < 0
    if outside.any():
        # As R's svyby: such respondents stay in the design and in the population's estimate, in no domain's.
        # Never silently: an office reading 16 districts' figures must know some answers are in none of them.
        n, row = int(outside.sum()), int(np.argmax(outside)) + 1
        warnings.warn(
            LiteracyWarning(
                "domain_missing",
                f"{n} respondents have no value of {name} and are in no {name} estimate (first at data row {row}); "
                f"{n} 名受访者的“{name}”为空，不计入任何分组的估计（第一个在第 {row} 行数据）",
                column=name,
                count=n,
                row=row - 1,
            ),
            stacklevel=3,
        )
    return codes, labels, name


def _domain_codes(
    design: Design, domain: ColumnSpec | Sequence[str]
) -> tuple[np.ndarray, list[str | None], str | None]:
    if isinstance(domain, list | tuple) and domain and all(isinstance(v, str) for v in domain):
        parts = [factorize(design.column(v, "domain"), allow_missing=True) for v in domain]
        bad = np.zeros(design.n, dtype=bool)
        for c, _ in parts:
            bad |= c < 0
        codes, uniq = combine_codes([np.where(c < 0, 0, c) for c, _ in parts], [len(lab) for _, lab in parts])
        idx = np.unravel_index(uniq, [len(lab) for _, lab in parts])
        labels: list[str | None] = [
            "|".join(str(parts[j][1][idx[j][i]]) for j in range(len(parts))) for i in range(len(uniq))
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
        raise LiteracyError("invalid_argument", f"{ci} intervals are for proportions only")
    deff_kind: str | None = None
    if deff is True:
        deff_kind = "wor"
    elif deff in ("wor", "replace"):
        deff_kind = str(deff)
    elif deff not in (False, None):
        raise LiteracyError("invalid_argument", "deff must be False, True, 'wor' or 'replace'")

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
                f"{name} has missing values ({int(bad.sum())} rows); pass na_rm=True (--na-rm) to treat them as "
                "outside the domain",
                zh=f"{name} 有缺失值（共 {int(bad.sum())} 行）；"
                "如要把这些受访者当作不在该组内，请用 na_rm=True（--na-rm）",
                column=name,
                row=int(np.argmax(bad)),
                count=int(bad.sum()),
            )

    if method == "linearization":
        res = _linearization(design, Y, X, dom, len(dlabels), statistic, deff_kind)
    else:
        res = _replicate(design, Y, X, dom, len(dlabels), statistic, deff_kind)
    theta, var, cnt, wn, df, deffs = res
    se = np.sqrt(var)
    if statistic == "proportion" and ci == "logit":
        lo, hi = logit_ci(theta, se, df, confidence)
    elif statistic == "proportion" and ci == "wilson":
        lo, hi = wilson_ci(theta, se, df, cnt, confidence)
    else:
        q = _quantile(df, confidence)
        lo, hi = theta - q * se, theta + q * se
    notes = np.full(theta.shape, None, dtype=object)
    if statistic == "proportion" and ci == "logit":
        notes[((theta <= 0) | (theta >= 1)) & (se == 0)] = "boundary"
    notes[df < 1] = "no_df"
    notes[cnt <= 0] = "no_respondents"
    no_interval = (df < 1) | (cnt <= 0)
    lo = np.where(no_interval, np.nan, lo)
    hi = np.where(no_interval, np.nan, hi)
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
                    note=notes[di, ci_],
                )
            )
    return EstimateTable(
        statistic=statistic,
        variance_method=method if method == "linearization" else f"replicate:{design.replicates.method}",  # type: ignore[union-attr]
        ci_method=ci,
        confidence=confidence,
        domain_variable=dname_var,
        rows=tuple(rows),
    )


def _deff(
    kind: str | None,
    statistic: str,
    var: np.ndarray,
    cnt: np.ndarray,
    Yhat: np.ndarray,
    N: np.ndarray,
    Y2: np.ndarray | None,
) -> np.ndarray | None:
    """Design effects: the variance over that of simple random sampling of the same size."""
    if kind is None:
        return None
    if statistic == "ratio" or Y2 is None:
        return np.full(var.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        svyvar = cnt / (cnt - 1) * (Y2 - Yhat * Yhat / N) / N
        if statistic == "total":
            vsrs = svyvar * N * N * ((N - cnt) / (N * cnt) if kind == "wor" else 1.0 / cnt)
        else:
            vsrs = svyvar * ((N - cnt) / (N * cnt) if kind == "wor" else 1.0 / cnt)
        return var / vsrs


@dataclass(frozen=True, eq=False)
class _Pairs:
    """The (unit, calibration combo) pairs of one stage and their weight totals."""

    units: Grouper
    combo: np.ndarray
    w: np.ndarray
    d: np.ndarray


def _pairs(design: Design, k: int) -> _Pairs:
    cal = design.calibration
    assert cal is not None

    def build() -> _Pairs:
        st = design.stages[k]
        code, size = dense_combine([st.unit, cal.combo], [st.n_units, cal.n_combos])
        first = np.empty(size, dtype=np.int64)
        first[code] = np.arange(design.n)
        return _Pairs(
            units=Grouper(st.unit[first], st.n_units),
            combo=cal.combo[first],
            w=np.bincount(code, weights=design.weights, minlength=size),
            d=np.bincount(code, weights=design.base_weights, minlength=size),
        )

    return design.cached(f"pairs:{k}", build)


def _rake_inputs(design: Design) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """w/d per respondent, respondents per combo, and respondents per cell of each margin."""
    cal = design.calibration
    assert cal is not None and cal.rake_steps is not None
    steps = cal.rake_steps

    def build() -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        d = design.base_weights
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(d != 0, design.weights / d, 0.0)
        n_c = np.bincount(cal.combo, minlength=cal.n_combos).astype(np.float64)
        n_cell = [np.bincount(c, weights=n_c, minlength=L) for c, L in zip(steps.cells, steps.sizes, strict=True)]
        return ratio, n_c, n_cell

    return design.cached("rake", build)


#: Sweeps of R's rake() linearization (svyrecvar's fixed ``for (iterations in 1:10)``).
RAKE_VARIANCE_SWEEPS = 10


def _unit_sums(design: Design, k: int, what: str) -> np.ndarray:
    """Sums of the weights per stage-k unit (a column), kept for the next estimate."""
    st = design.stages[k]
    return design.cached(
        f"unit_sums:{k}:{what}",
        lambda: np.bincount(st.unit, design.weights, st.n_units)[:, None],
    )


def _combo_sums(design: Design, what: str) -> np.ndarray:
    """Sums of w/d per calibration combo (a column), for R's rake() linearization."""
    cal = design.calibration
    assert cal is not None
    return design.cached(
        f"combo_sums:{what}",
        lambda: np.bincount(cal.combo, _rake_inputs(design)[0], cal.n_combos)[:, None],
    )


def _rake_projection(design: Design, Zr: np.ndarray) -> np.ndarray:
    """R's ``rake()`` linearization: the per-combo amount ``b`` to take off ``d * b``.

    R replaces the weighted linearized values ``x = w z`` by repeating, ten times over the
    margins in order, ``x <- x - w_m * ave(x / w_m, cell_m)``, with ``w_m = d g_m`` the
    weights right after margin m in the last raking sweep and ``ave`` the *unweighted*
    mean over the respondents of a cell (all of them: outside a domain x is zero but
    counts). Written per respondent as ``x = d (r z - b(combo))`` with ``r = w/d``, each
    step only changes the per-combo ``b``, so the whole projection runs on combos:
    ``Zr`` holds per combo the sums of ``r z`` (combos x columns).
    """
    cal = design.calibration
    assert cal is not None and cal.rake_steps is not None
    steps = cal.rake_steps
    _ratio, n_c, n_cell = _rake_inputs(design)
    b = np.zeros_like(Zr)
    for _ in range(RAKE_VARIANCE_SWEEPS):
        for cells, size, g_m, count in zip(steps.cells, steps.sizes, steps.g_after, n_cell, strict=True):
            r = (Zr - n_c[:, None] * b) / g_m[:, None]
            with np.errstate(divide="ignore", invalid="ignore"):
                a = group_sum(cells, r, size) / count[:, None]
            b = b + g_m[:, None] * np.nan_to_num(a)[cells]
    return b


def _linearization(
    design: Design,
    Y: np.ndarray,
    X: np.ndarray | None,
    dom: np.ndarray,
    D: int,
    statistic: str,
    deff_kind: str | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Linearization variance, straight from the respondents with one bincount per sum.

    For each outcome column, the domain totals and the unit totals of the weighted
    linearized values come from sums by (unit, domain) of ``w y`` and ``w x``: with
    ``z = 1_d (y - theta x) / X_d`` the unit total is ``(S_wy - theta S_wx) / X_d``. After
    calibration the fitted part is taken off per unit through the (unit, combo) pairs.
    The whole population without missing values (the headline figure) reuses the sums of
    ``w`` and ``d`` alone, which do not depend on the outcome.
    """
    p = Y.shape[1]
    w = design.weights
    cal = design.calibration
    stages = design.stages
    inside = dom >= 0
    whole = D == 1 and bool(inside.all())
    domc = np.zeros(len(dom), dtype=np.int64) if whole else np.where(inside, dom, 0)
    keys = [st.unit if whole else st.unit * D + domc for st in stages]
    lonely = design.lonely_psu in ("average", "adjust") and cal is None
    lonely_stage = [
        lonely and bool(np.any((st.stratum_n < 2) & (st.stratum_N > 1) & (st.stratum_multiplier > 0))) for st in stages
    ]
    if cal is not None:
        ckey = cal.combo if whole else cal.combo * D + domc
        C = cal.n_combos
    theta = np.empty((D, p))
    var = np.empty((D, p))
    cnt = np.empty((D, p))
    wn = np.empty((D, p))
    df = np.empty((D, p), dtype=np.int64)
    yhat = np.empty((D, p))
    y2 = np.empty((D, p)) if deff_kind is not None else None
    st1 = stages[0]
    for c in range(p):
        m = np.isfinite(Y[:, c])
        if X is not None:
            m &= np.isfinite(X[:, c])
        all_rows = whole and X is None and bool(m.all())
        if all_rows:  # x = 1 everywhere: its sums are those of the weights
            y, x = Y[:, c], None
            wy = w * y
            SX = [_unit_sums(design, k, "w") for k in range(len(stages))]
        else:
            m &= inside
            y = np.where(m, Y[:, c], 0.0)
            x = np.where(m, X[:, c], 0.0) if X is not None else m.astype(np.float64)
            wy = w * y
            SX = [
                np.bincount(k, w * x, st.n_units * D).reshape(st.n_units, D) for k, st in zip(keys, stages, strict=True)
            ]
        SY = [np.bincount(k, wy, st.n_units * D).reshape(st.n_units, D) for k, st in zip(keys, stages, strict=True)]
        Yd, Xd = SY[0].sum(axis=0), SX[0].sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            th = Yd if statistic == "total" else Yd / Xd
            inv_x = np.where(Xd != 0, 1.0 / Xd, 0.0)

        def lin(a: np.ndarray, b: np.ndarray, th: np.ndarray = th, inv_x: np.ndarray = inv_x) -> np.ndarray:
            if statistic == "total":
                return a
            return np.nan_to_num((a - th * b) * inv_x)

        T = [lin(a, b) for a, b in zip(SY, SX, strict=True)]
        if cal is not None and cal.variance == "rake":
            ratio, _n_c, _cells = _rake_inputs(design)
            Zr = lin(
                np.bincount(ckey, ratio * y, C * D).reshape(C, D),
                _combo_sums(design, "ratio") if x is None else np.bincount(ckey, ratio * x, C * D).reshape(C, D),
            )
            b = _rake_projection(design, Zr)
            for k in range(len(stages)):
                pr = _pairs(design, k)
                T[k] = T[k] - pr.units.sum_columns(b.T[:, pr.combo] * pr.d)
        elif cal is not None:
            d = design.base_weights
            Zc = lin(
                np.bincount(ckey, d * y, C * D).reshape(C, D),
                cal.base_totals[:, None] if x is None else np.bincount(ckey, d * x, C * D).reshape(C, D),
            )
            # the fit is unique even where beta is not (raking margins are collinear)
            fit = cal.matrix @ (cal.gram_pinv @ (cal.matrix.T @ Zc))
            for k in range(len(stages)):
                pr = _pairs(design, k)
                T[k] = T[k] - pr.units.sum_columns(fit.T[:, pr.combo] * pr.w)
        present: list[np.ndarray | None] = []
        for k, st in enumerate(stages):
            if lonely_stage[k]:
                rows = np.bincount(keys[k], m, st.n_units * D).reshape(st.n_units, D) > 0
                present.append(group_sum(st.unit_stratum, rows.astype(np.float64), st.n_strata) > 0)
            else:
                present.append(None)
        var[:, c] = multistage_variance(design, T, present)
        if all_rows:
            cnt[:, c] = design.cached("respondents", lambda: int(np.count_nonzero(design.weights)))
            df[:, c] = design.cached("df", lambda: design.domain_df(np.ones(design.n, dtype=bool)))
        else:
            nz = (m & (w != 0)).astype(np.float64)
            has = np.bincount(keys[0], nz, st1.n_units * D).reshape(st1.n_units, D)
            cnt[:, c] = has.sum(axis=0)
            psus = (has > 0).sum(axis=0)
            strata = (group_sum(st1.unit_stratum, (has > 0).astype(np.float64), st1.n_strata) > 0).sum(axis=0)
            df[:, c] = psus - strata
        theta[:, c] = th
        wn[:, c] = Xd
        yhat[:, c] = Yd
        if y2 is not None:
            y2[:, c] = np.bincount(domc, wy * y, D)
    # A domain without respondents has no estimate and no standard error.
    var = np.where(cnt > 0, var, np.nan)
    return theta, var, cnt, wn, df, _deff(deff_kind, statistic, var, cnt, yhat, wn, y2)


def _replicate(
    design: Design,
    Y: np.ndarray,
    X: np.ndarray | None,
    dom: np.ndarray,
    D: int,
    statistic: str,
    deff_kind: str | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Replicate-weight variance, on atoms (PSU x calibration combo x domain).

    Replicate weights stay factored (PSU multipliers times combo calibration factors), so
    every sum is over atoms, never over respondents x replicates.
    """
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
    rw = design.replicates
    assert rw is not None

    # Atoms: replicate unit x calibration combo x domain.
    keys: list[np.ndarray] = [rw.unit]
    sizes: list[int] = [rw.multipliers.shape[0]]
    use_combo = cal is not None and rw.calibration_factors is not None
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

    need_d = True
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

    assert AYd is not None and AXd is not None
    R = rw.n_replicates
    ua = rw.unit[first][ind]
    G = None
    if rw.calibration_factors is not None:
        assert cal is not None
        G = rw.calibration_factors
        cai = cal.combo[first][ind]
    reps = np.empty((D, p, R))
    sums_r = _replicate_sums(rw.multipliers, G, ua, cai if G is not None else None, adom_in, D)
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
    deffs = _deff(deff_kind, statistic, var, cnt, Yhat, Xhat, None if AY2 is None else by_domain(AY2))
    return theta, var, cnt, Xhat, df, deffs


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
    import scipy.sparse as sp  # only replicate variances need it; its import costs 0.1 s

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


def estimate_ratio(design: Design, numerator: ColumnSpec, denominator: ColumnSpec, **kwargs: Any) -> EstimateTable:
    """Ratio of two totals (R's ``svyratio``)."""
    return estimate(design, "ratio", numerator, denominator=denominator, **kwargs)
