"""Replicate weights: delete-one-PSU jackknives (JK1, JKn) and the rescaled bootstrap.

Replicates are built from the design before calibration; calibrating the replicate
design then calibrates every replicate too, so replicate SEs reflect the calibration
(R's ``as.svrepdesign`` followed by ``rake``/``calibrate``). Multipliers are stored per
PSU, never per respondent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

import numpy as np

from .design import ColumnSpec, Design, ReplicateWeights
from .errors import LiteracyError

__all__ = ["make_replicates", "replicate_weight_matrix", "with_replicate_weights"]

ReplicateMethod = Literal["jk1", "jkn", "bootstrap"]


def make_replicates(
    design: Design,
    method: ReplicateMethod = "jkn",
    *,
    replicates: int | None = None,
    seed: int | None = None,
    mse: bool = False,
) -> Design:
    """Return the design with replicate weights of the given kind.

    * ``jk1``: drop one PSU at a time; scale (n-1)/n and, with an fpc, rscales 1 - n/N
      (R's ``as.svrepdesign`` JK1). Only for unstratified designs: JK1 would ignore the
      strata, so a stratified design is refused, as R refuses it.
    * ``jkn``: drop one PSU within its stratum; rscales (n_h-1)/n_h (1 - f_h).
    * ``bootstrap``: Rao-Wu-Yue rescaled bootstrap drawing n_h - 1 PSUs with replacement
      per stratum, multiplier ``1 - l + l n_h/(n_h-1) count`` with l = sqrt(1 - f_h);
      scale 1/(R-1) as R's ``bootweights``. Needs ``replicates`` (default 200) and a seed
      for reproducible results.

    Strata with a single PSU follow the design's ``lonely_psu`` as R's ``jknweights``
    does: ``fail`` raises, ``remove``/``certainty`` leave them out of the replicates (no
    variance contribution), ``average`` multiplies the variance by (number of PSUs) /
    (number of replicates), i.e. every PSU without a replicate (lonely, or in a stratum
    taken whole) is credited the average replicate's contribution; ``adjust`` adds one
    replicate per lonely stratum that drops its PSU and multiplies every other PSU by
    H/(H - 1), with rscale (H - 1)/H. The bootstrap refuses ``average`` and ``adjust``.
    """
    if design.calibration is not None:
        raise LiteracyError(
            "already_calibrated",
            "create replicates before calibrating, so that each replicate is calibrated too",
        )
    if design.replicates is not None:
        raise LiteracyError("invalid_argument", "the design already has replicate weights")
    st = design.stages[0]
    U = st.n_units
    H = st.n_strata
    n_h = st.stratum_n
    f_h = st.sampling_fraction
    unit_stratum = st.unit_stratum
    if method == "jk1":
        if design.has_strata:
            raise LiteracyError(
                "not_supported",
                "JK1 drops PSUs regardless of strata, so it cannot be used for a stratified design: "
                "use JKn (or the bootstrap)",
                zh="JK1 刀切法不区分层，不能用于分层设计：请用 JKn（或自助法）",
                method="jk1",
            )
        if U < 2:
            raise LiteracyError("invalid_argument", "JK1 needs at least two PSUs")
        mult = np.full((U, U), U / (U - 1))
        np.fill_diagonal(mult, 0.0)
        if np.isfinite(st.stratum_N).any():
            rscale = 1.0 - U / float(st.stratum_N[0])
        else:
            rscale = 1.0
        rw = ReplicateWeights(
            method="jk1",
            unit=st.unit,
            multipliers=mult,
            scale=(U - 1) / U,
            rscales=np.full(U, rscale),
            mse=mse,
            df=U - 1,
        )
        return replace(design, base_weights=design.weights, replicates=rw)

    singleton = (n_h < 2) & (st.stratum_N > 1)
    certainty = f_h >= 1.0 - 1e-12
    lonely = design.lonely_psu
    if singleton.any():
        if lonely == "fail":
            raise LiteracyError("lonely_psu", "a stratum has only one PSU", count=int(singleton.sum()))
        if lonely in ("adjust", "average") and method == "bootstrap":
            raise LiteracyError(
                "lonely_psu_unsupported",
                f"lonely_psu={lonely!r} has no replicate-weight version for {method}",
            )
    usable = ~singleton & ~certainty & (n_h >= 2)
    order = np.argsort(unit_stratum, kind="stable")  # PSUs grouped by stratum
    start = np.concatenate([[0], np.cumsum(n_h)[:-1]]).astype(np.int64)

    if method == "jkn":
        rep_psu = order[usable[unit_stratum[order]]]  # one replicate per PSU of usable strata
        R = len(rep_psu)
        if R == 0:
            raise LiteracyError("invalid_argument", "no stratum has two or more PSUs to delete")
        rep_stratum = unit_stratum[rep_psu]
        mult = np.ones((U, R))
        # every PSU of the replicate's stratum gets n_h/(n_h-1), then the deleted one 0
        counts = n_h[rep_stratum].astype(np.int64)
        r_idx = np.repeat(np.arange(R), counts)
        offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        psu_idx = order[start[rep_stratum][r_idx] + offs]
        mult[psu_idx, r_idx] = (n_h / np.maximum(n_h - 1, 1))[rep_stratum][r_idx]
        mult[rep_psu, np.arange(R)] = 0.0
        rscales = (n_h - 1) / n_h * (1.0 - f_h)
        rscales = rscales[rep_stratum]
        scale = 1.0
        if singleton.any() and lonely == "adjust":
            # one replicate per lonely stratum: its PSU out, all others up by H/(H-1)
            lone_psu = np.flatnonzero(singleton[unit_stratum])
            extra = np.full((U, len(lone_psu)), H / (H - 1))
            extra[lone_psu, np.arange(len(lone_psu))] = 0.0
            mult = np.hstack([mult, extra])
            rscales = np.concatenate([rscales, np.full(len(lone_psu), (H - 1) / H)])
        elif lonely == "average" and R < U:
            # R's jknweights: every PSU without a replicate gets the average replicate's share
            scale = U / R
        rw = ReplicateWeights(
            method="jkn",
            unit=st.unit,
            multipliers=mult,
            scale=scale,
            rscales=rscales,
            mse=mse,
            df=int(U - H),
        )
        return replace(design, base_weights=design.weights, replicates=rw)

    if method == "bootstrap":
        R = 200 if replicates is None else int(replicates)
        if R < 2:
            raise LiteracyError("invalid_argument", "the bootstrap needs at least two replicates")
        rng = np.random.default_rng(seed)
        m_h = np.where(usable, n_h - 1, 0).astype(np.int64)
        slot_stratum = np.repeat(np.arange(H), m_h)
        S = len(slot_stratum)
        draws = rng.random((R, S))
        pos = start[slot_stratum][None, :] + np.floor(draws * n_h[slot_stratum][None, :]).astype(np.int64)
        psu = order[pos]
        counts = (
            np.bincount((np.arange(R)[:, None] * U + psu).ravel(), minlength=R * U).reshape(R, U).T.astype(np.float64)
        )
        lam = np.sqrt(np.clip(1.0 - f_h, 0.0, 1.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            boost = np.where(usable, n_h / np.maximum(n_h - 1, 1), 0.0)
        lam_u = lam[unit_stratum]
        mult = (1.0 - lam_u)[:, None] + (lam_u * boost[unit_stratum])[:, None] * counts
        mult[~usable[unit_stratum]] = 1.0
        rw = ReplicateWeights(
            method="bootstrap",
            unit=st.unit,
            multipliers=mult,
            scale=1.0 / (R - 1),
            rscales=np.ones(R),
            mse=mse,
            df=int(min(R - 1, U - H)),
        )
        return replace(design, base_weights=design.weights, replicates=rw)

    raise LiteracyError("invalid_argument", f"unknown replicate method {method!r}")


def with_replicate_weights(
    design: Design,
    weights: np.ndarray | Sequence[ColumnSpec],
    *,
    scale: float,
    rscales: np.ndarray | float = 1.0,
    mse: bool = False,
    method: str = "user",
    df: int | None = None,
) -> Design:
    """Attach replicate weights supplied by the data producer (n x R, full weights).

    They are stored as multipliers of the base weights per respondent; respondents with
    zero base weight must have zero replicate weights.
    """
    if design.calibration is not None:
        raise LiteracyError("already_calibrated", "attach replicate weights before calibrating")
    if isinstance(weights, np.ndarray) and weights.ndim == 2:
        W = weights.astype(np.float64)
    else:
        W = np.column_stack([design.column(c, "replicate weights").astype(np.float64) for c in weights])
    if W.shape[0] != design.n:
        raise LiteracyError("invalid_argument", "replicate weights must have one row per respondent")
    d = design.weights
    with np.errstate(divide="ignore", invalid="ignore"):
        mult = np.where(d[:, None] > 0, W / d[:, None], 0.0)
    R = W.shape[1]
    rs = np.broadcast_to(np.asarray(rscales, dtype=np.float64), (R,)).copy()
    if df is None:
        df = int(np.linalg.matrix_rank(W[: min(design.n, 20000)])) - 1 if design.n * R <= 5e7 else R - 1
    rw = ReplicateWeights(
        method=method,
        unit=np.arange(design.n, dtype=np.int64),
        multipliers=mult,
        scale=float(scale),
        rscales=rs,
        mse=mse,
        df=int(df),
    )
    return replace(design, base_weights=design.weights, replicates=rw)


def replicate_weight_matrix(design: Design) -> np.ndarray:
    """Materialise the n x R replicate weights (for export; memory n*R*8 bytes)."""
    rw = design.replicates
    if rw is None:
        raise LiteracyError("no_replicates", "the design has no replicate weights")
    W = design.base_weights[:, None] * rw.multipliers[rw.unit]
    if rw.calibration_factors is not None and design.calibration is not None:
        W *= rw.calibration_factors[design.calibration.combo]
    return W
