"""Quantiles of Student's t for integer degrees of freedom, without importing scipy.

Every interval of the engine needs ``t_{1-alpha/2}`` with the design's degrees of freedom,
which are whole numbers (PSUs minus strata, replicates minus one). ``scipy.special`` costs
about 0.2 s to import, close to half the command line's budget for a million respondents
read from Parquet; the quantile itself is cheap, so it is computed here and tested against
``scipy.stats.t.ppf`` (to 1e-12 relative) in the test suite:

* df 1 and 2 have closed forms;
* df 3 to 700: Newton's method on the exact distribution function, which for integer df
  is a finite trigonometric sum (Abramowitz and Stegun 26.7.3 and 26.7.4), started from
  the normal quantile (below the root, where the distribution function is concave, so the
  iteration climbs to the root without overshooting);
* df above 700: the Cornish-Fisher expansion in 1/df (Abramowitz and Stegun 26.7.5),
  whose first omitted term is below 1e-12 there (relative).
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist

import numpy as np

__all__ = ["t_quantile"]

_EXPANSION_FROM = 700


def _cdf_upper_half(t: float, df: int) -> float:
    """P(|T| < t) for t >= 0 and integer df >= 3 (A&S 26.7.3, 26.7.4)."""
    theta = math.atan(t / math.sqrt(df))
    s, c = math.sin(theta), math.cos(theta)
    c2 = c * c
    if df % 2 == 0:
        j = np.arange(1, (df - 2) // 2 + 1)
        coef = np.cumprod((2 * j - 1) / (2 * j))
        return s * (1.0 + float(np.sum(coef * c2**j)))
    j = np.arange(1, (df - 3) // 2 + 1)
    coef = np.cumprod((2 * j) / (2 * j + 1))
    return (2 / math.pi) * (theta + s * c * (1.0 + float(np.sum(coef * c2**j))))


def _newton(q: float, df: int) -> float:
    log_norm = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    target = 2 * q - 1  # P(|T| < t)
    t = NormalDist().inv_cdf(q)
    for _ in range(100):
        pdf = math.exp(log_norm - (df + 1) / 2 * math.log1p(t * t / df))
        step = (target - _cdf_upper_half(t, df)) / (2 * pdf)
        t += step
        if abs(step) <= 1e-15 * t:
            break
    return t


def _expansion(q: float, df: int) -> float:
    x = NormalDist().inv_cdf(q)
    x2 = x * x
    g1 = (x2 + 1) * x / 4
    g2 = ((5 * x2 + 16) * x2 + 3) * x / 96
    g3 = (((3 * x2 + 19) * x2 + 17) * x2 - 15) * x / 384
    g4 = ((((79 * x2 + 776) * x2 + 1482) * x2 - 1920) * x2 - 945) * x / 92160
    return x + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


@lru_cache(maxsize=4096)
def _one(q: float, df: int) -> float:
    if df == 1:
        return math.tan(math.pi * (q - 0.5))
    if df == 2:
        a = 2 * q - 1
        return a * math.sqrt(2 / (1 - a * a))
    if df > _EXPANSION_FROM:
        return _expansion(q, df)
    return _newton(q, df)


def t_quantile(q: float, df: np.ndarray) -> np.ndarray:
    """The q quantile (0.5 < q < 1) of Student's t for each df; NaN where df < 1."""
    dfs = np.asarray(df)
    flat = dfs.reshape(-1)
    out = np.full(flat.shape, np.nan)
    for value in np.unique(flat[np.isfinite(flat)] if flat.dtype.kind == "f" else flat):
        if value >= 1 and float(value) == int(value):
            out[flat == value] = _one(q, int(value))
        elif value > 0:  # a fractional df (never produced by the engine): ask scipy
            from scipy.special import stdtrit

            out[flat == value] = stdtrit(float(value), q)
    return out.reshape(dfs.shape)
