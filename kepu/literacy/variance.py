"""Variance formulas: stratified multi-stage linearization and replicate weights.

The linearization formula is the one of R's ``svyrecvar`` (C++ ``arma_multistage`` in
survey >= 4.1): at each stage, unit totals of the linearized variable are centred on
their stratum mean, squared, scaled by ``(1 - f_h) n_h / (n_h - 1)``, and summed; stage
k+1 contributes within each stage-k unit, multiplied by the stage-k sampling fraction
(so it vanishes without an fpc). Strata with one sampled unit follow
``survey.lonely.psu``:

* ``fail`` - raise :class:`LiteracyError` (code ``lonely_psu``);
* ``remove`` and ``certainty`` - the stratum contributes nothing (R treats both alike in
  linearization);
* ``adjust`` - the single unit is centred on the grand mean (sum over all units of the
  parent divided by the number of sampled units) instead of its own stratum mean;
* ``average`` - singleton strata contribute nothing and the rest is scaled by
  ``H / (H - singletons)``, i.e. each singleton gets the average stratum contribution.

A stratum with a single unit sampled with certainty (N = n = 1) is not lonely: f = 1
makes its contribution zero.

Domains are estimated by zeroing out, never by dropping rows, so every stratum keeps its
design count of PSUs and a PSU that is alone *in a domain* is not lonely: R's option
``survey.adjust.domain.lonely`` (default FALSE) has no counterpart here, and results equal
R's default. What R does take from the domain is which strata it has rows in: for an
uncalibrated design R subsets the rows, so ``average`` counts H and the singletons among
the strata present in the domain; a calibrated design keeps all rows (the calibration
residuals reach outside the domain), so there H counts every stratum. The estimation code
passes ``present`` accordingly.
"""

from __future__ import annotations

import numpy as np

from ._groups import group_sum
from .design import Design, ReplicateWeights, Stage
from .errors import LiteracyError

__all__ = [
    "design_variance",
    "multistage_variance",
    "replicate_variance",
    "stage_variance",
]


def stage_variance(stage: Stage, totals: np.ndarray, lonely_psu: str, present: np.ndarray | None = None) -> np.ndarray:
    """Variance contribution of one stage from unit totals (``n_units x m``).

    ``present`` (``n_strata x m``, boolean) says which strata the subpopulation of each
    column has rows in; None means every stratum. It matters only for lonely PSUs: as in
    R, where a domain of an uncalibrated design is a subset of its rows, ``average``
    scales by the strata present in the domain, and ``adjust`` centres on the mean of the
    PSUs of the strata present.
    """
    t = np.asarray(totals, dtype=np.float64)
    if t.ndim == 1:
        t = t[:, None]
    m = t.shape[1]
    h = stage.unit_stratum
    H = stage.n_strata
    n_h = stage.stratum_n
    mult = stage.stratum_multiplier
    active = mult > 0
    singleton = (n_h < 2) & (stage.stratum_N > 1) & active
    if lonely_psu == "fail" and singleton.any():
        first = int(np.flatnonzero(singleton)[0])
        raise LiteracyError(
            "lonely_psu",
            f"a stratum has only one PSU at stage {stage.number}",
            zh=f"第 {stage.number} 阶段有层只抽到一个抽样单元",
            stage=stage.number,
            stratum=first,
            count=int(singleton.sum()),
        )
    pres = np.ones((H, m), dtype=bool) if present is None else np.asarray(present, dtype=bool)
    parent = stage.stratum_parent
    sums_h = group_sum(h, t, H)
    centre_h = sums_h / n_h[:, None]
    if lonely_psu == "adjust" and singleton.any():
        # Grand mean of the parent (all of it at stage 1): the total over all units
        # divided by the number of sampled units of the strata present, as R >= 4.2 does
        # (R 4.1 centred on zero, which is the same for means and proportions, whose
        # linearized values sum to zero, but not for totals or calibrated estimates).
        parent_sum = group_sum(parent, sums_h, stage.n_parents)
        parent_n = group_sum(parent, n_h[:, None] * pres, stage.n_parents)
        with np.errstate(divide="ignore", invalid="ignore"):
            grand = np.where(parent_n > 0, parent_sum / parent_n, 0.0)
        centre_h = np.where(singleton[:, None], grand[parent], centre_h)
    dev = t - centre_h[h]
    ss_h = group_sum(h, dev * dev, H)
    f_h = stage.sampling_fraction
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = (1.0 - f_h) * np.where(n_h > 1, n_h / (n_h - 1), 1.0)
    contrib = np.where(pres, ss_h * scale[:, None], 0.0)
    if singleton.any():
        if lonely_psu in ("remove", "certainty", "average"):
            contrib[singleton] = 0.0
        if lonely_psu == "average":
            # Each lonely stratum gets the average contribution of the others present.
            strata_in = group_sum(parent, (active[:, None] & pres).astype(float), stage.n_parents)
            single_in = group_sum(parent, (singleton[:, None] & pres).astype(float), stage.n_parents)
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.where(
                    strata_in > single_in, strata_in / (strata_in - single_in), np.where(strata_in > 0, np.nan, 1.0)
                )
            contrib = contrib * factor[parent]
    contrib = np.where(active[:, None], contrib * mult[:, None], 0.0)
    return contrib.sum(axis=0)


def multistage_variance(
    design: Design, unit_totals: list[np.ndarray], present: list[np.ndarray | None] | None = None
) -> np.ndarray:
    """Sum the stage contributions; ``unit_totals[k]`` holds totals per stage-k unit.

    ``present[k]`` are the strata of stage k the subpopulation has rows in (see
    :func:`stage_variance`); None means all of them.
    """
    v = np.zeros(np.asarray(unit_totals[0]).reshape(unit_totals[0].shape[0], -1).shape[1])
    for k, (stage, totals) in enumerate(zip(design.stages, unit_totals, strict=True)):
        v = v + stage_variance(stage, totals, design.lonely_psu, None if present is None else present[k])
    v = np.abs(v)
    v[v < 1e-300] = 0.0
    return v


def design_variance(design: Design, values: np.ndarray) -> np.ndarray:
    """Linearization variance of the totals of already weighted values (n or n x m).

    This is R's ``svyrecvar`` without calibration: callers pass ``w * z`` for a
    linearized variable ``z``.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    totals = [group_sum(st.unit, x, st.n_units) for st in design.stages]
    return multistage_variance(design, totals)


def replicate_variance(theta: np.ndarray, reps: np.ndarray, rw: ReplicateWeights) -> np.ndarray:
    """``scale * sum_r rscale_r (theta_r - centre)^2``; replicates giving NaN are dropped."""
    theta = np.asarray(theta, dtype=np.float64)
    reps = np.asarray(reps, dtype=np.float64)
    ok = np.isfinite(reps)
    if rw.mse:
        centre = theta
    else:
        with np.errstate(invalid="ignore"):
            centre = np.where(ok, reps, 0.0).sum(axis=-1) / ok.sum(axis=-1)
    dev = np.where(ok, reps - centre[..., None], 0.0)
    return rw.scale * (dev * dev * rw.rscales).sum(axis=-1)
