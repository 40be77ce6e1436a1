"""Calibration of weights: post-stratification, raking and linear (GREG) calibration.

All three work on *combos*, the distinct auxiliary vectors: calibrated weights are
``w = d * g(x)``, so only the totals of the base weights ``d`` per combo matter. For
the literacy survey the auxiliaries are categorical (district x sex, age group,
urban/rural, education), and a million respondents collapse into a few hundred combos;
replicate weights are calibrated the same way, one column per replicate, without ever
materialising a respondents x replicates matrix.

Convergence is always reported (:class:`CalibrationReport`); non-convergence raises
:class:`LiteracyError` (code ``calibration_not_converged``) or, with
``on_nonconvergence="warn"``, emits a :class:`LiteracyWarning` and flags the report.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from ._groups import Grouper, combine_codes, factorize, is_missing
from .design import CalibrationState, ColumnSpec, Design, RakeSteps
from .errors import LiteracyError, LiteracyWarning

__all__ = [
    "CalibrationReport",
    "Margin",
    "calibrate_linear",
    "poststratify",
    "rake",
    "trim_weights",
]

OnNonConvergence = Literal["raise", "warn"]
RakeVariance = Literal["calibrate", "rake"]
RAKE_VARIANCES: tuple[str, ...] = ("calibrate", "rake")


@dataclass(frozen=True)
class Margin:
    """A population margin: one variable (or an interaction of several) and its totals.

    ``totals`` maps each level to its population count; for an interaction the level is
    a tuple with one label per variable (e.g. ``("朝阳", "女")``). Labels are matched as
    strings, so totals read from JSON match integer codes in the data.
    """

    variables: ColumnSpec | tuple[ColumnSpec, ...]
    totals: Mapping[Any, float]
    name: str | None = None

    def label(self) -> str:
        """A readable name for reports."""
        if self.name:
            return self.name
        vs = self.variables if isinstance(self.variables, tuple) else (self.variables,)
        return "*".join(v if isinstance(v, str) else "<array>" for v in vs)


@dataclass(frozen=True)
class CalibrationReport:
    """How a calibration went; kept on the design and written into every result file."""

    method: str
    converged: bool
    iterations: int
    max_change: float
    tolerance: float
    max_margin_error: float
    max_relative_margin_error: float
    g_min: float
    g_max: float
    bounds: tuple[float, float] | None = None
    replicate_max_relative_margin_error: float | None = None
    replicate_empty_cells: int = 0
    history: tuple[float, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "method": self.method,
            "converged": self.converged,
            "iterations": self.iterations,
            "max_change": self.max_change,
            "tolerance": self.tolerance,
            "max_margin_error": self.max_margin_error,
            "max_relative_margin_error": self.max_relative_margin_error,
            "g_min": self.g_min,
            "g_max": self.g_max,
            "bounds": list(self.bounds) if self.bounds else None,
            "replicate_max_relative_margin_error": self.replicate_max_relative_margin_error,
            "replicate_empty_cells": self.replicate_empty_cells,
            "history": list(self.history),
        }


# ---------------------------------------------------------------------------- margins
@dataclass(frozen=True, eq=False)
class _Cells:
    """Respondents' cells in each margin, and their combos."""

    combo: np.ndarray  # (n,) combo code
    combo_cells: list[np.ndarray]  # per margin: (C,) cell code of each combo
    targets: list[np.ndarray]  # per margin: (L_k,) population totals
    labels: list[list[str]]


def _margin_codes(design: Design, margin: Margin, partial: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
    vs = margin.variables if isinstance(margin.variables, tuple) else (margin.variables,)
    parts = [design.codes(v, "margin") for v in vs]
    for v, (c, _) in zip(vs, parts, strict=True):
        if (c < 0).any():
            raise LiteracyError("missing_values", f"margin variable {v!r} has missing values")
    if len(parts) == 1:
        codes, labels = parts[0]
        keys = [(str(lab),) for lab in labels]
    else:
        codes, uniq = combine_codes([p[0] for p in parts], [len(p[1]) for p in parts])
        idx = np.unravel_index(uniq, [len(p[1]) for p in parts])
        keys = [tuple(str(parts[j][1][idx[j][i]]) for j in range(len(parts))) for i in range(len(uniq))]
    pop: dict[tuple[str, ...], float] = {}
    for k, v in margin.totals.items():
        key = tuple(str(x) for x in k) if isinstance(k, tuple | list) else (str(k),)
        pop[key] = float(v)
    missing = [k for k in keys if k not in pop]
    if missing:
        raise LiteracyError(
            "margin_mismatch",
            f"levels in the sample have no population total in margin {margin.label()}",
            margin=margin.label(),
            levels=["|".join(m) for m in missing],
        )
    absent = [k for k, v in pop.items() if k not in set(keys) and v != 0]
    if absent and not partial:
        raise LiteracyError(
            "calibration_infeasible",
            f"population levels absent from the sample in margin {margin.label()}",
            margin=margin.label(),
            levels=["|".join(a) for a in absent],
        )
    if absent:
        warnings.warn(
            LiteracyWarning(
                "margin_mismatch",
                f"population levels absent from the sample ignored in margin {margin.label()}",
                levels=["|".join(a) for a in absent],
            ),
            stacklevel=3,
        )
    targets = np.array([pop[k] for k in keys])
    if np.any(targets <= 0) or np.any(~np.isfinite(targets)):
        raise LiteracyError(
            "calibration_infeasible",
            f"sample levels with a zero or invalid population total in margin {margin.label()}",
            margin=margin.label(),
        )
    return codes, targets, ["|".join(k) for k in keys]


def _cells(design: Design, margins: Sequence[Margin], partial: bool) -> _Cells:
    codes: list[np.ndarray] = []
    targets: list[np.ndarray] = []
    labels: list[list[str]] = []
    for m in margins:
        c, t, lab = _margin_codes(design, m, partial)
        codes.append(c)
        targets.append(t)
        labels.append(lab)
    sizes = [len(t) for t in targets]
    combo, uniq = combine_codes(codes, sizes)
    if len(codes) == 1:
        combo_cells = [uniq.astype(np.int64)]
    else:
        combo_cells = [np.asarray(a, dtype=np.int64) for a in np.unravel_index(uniq, sizes)]
    return _Cells(combo=combo, combo_cells=combo_cells, targets=targets, labels=labels)


def _combo_matrix(cells: _Cells) -> np.ndarray:
    """One-hot design matrix of the margins, one row per combo (rank-deficient on purpose)."""
    blocks = []
    for cc, t in zip(cells.combo_cells, cells.targets, strict=True):
        b = np.zeros((len(cc), len(t)))
        b[np.arange(len(cc)), cc] = 1.0
        blocks.append(b)
    return np.hstack(blocks)


def _base_totals(design: Design, combo: np.ndarray, n_combos: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-combo totals of the base weights, for the full sample and each replicate."""
    d = design.weights
    main = np.bincount(combo, weights=d, minlength=n_combos)
    rw = design.replicates
    if rw is None:
        return main, None
    import scipy.sparse as sp  # only replicate designs need it

    n_units = rw.multipliers.shape[0]
    cu = sp.csr_matrix((d, (combo, rw.unit)), shape=(n_combos, n_units))
    reps = np.asarray(cu @ rw.multipliers)
    if rw.calibration_factors is not None:
        raise LiteracyError("already_calibrated", "replicate weights are already calibrated")
    return main, reps


def _check_uncalibrated(design: Design) -> None:
    if design.calibration is not None:
        raise LiteracyError(
            "already_calibrated",
            "the design is already calibrated; calibrate the base design once with all margins",
        )


def _finish(
    design: Design,
    method: str,
    combo: np.ndarray,
    matrix: np.ndarray,
    base: np.ndarray,
    g: np.ndarray,
    rep_g: np.ndarray | None,
    report: CalibrationReport,
    on_nonconvergence: OnNonConvergence,
    variance: RakeVariance = "calibrate",
    rake_steps: RakeSteps | None = None,
) -> Design:
    if not report.converged:
        msg = (
            f"{method} did not converge after {report.iterations} iterations "
            f"(max change {report.max_change:.3g}, tolerance {report.tolerance:.3g})"
        )
        if on_nonconvergence == "raise":
            raise LiteracyError("calibration_not_converged", msg, report=report.as_dict())
        warnings.warn(
            LiteracyWarning("calibration_not_converged", msg, report=report.as_dict()),
            stacklevel=3,
        )
    d = design.weights
    state = CalibrationState(
        method=method,
        combo=combo,
        matrix=matrix,
        base_totals=base,
        report=report,
        variance=variance,
        rake_steps=rake_steps,
    )
    rw = design.replicates
    if rw is not None and rep_g is not None:
        rw = replace(rw, calibration_factors=rep_g)
    return replace(design, weights=d * g[combo], base_weights=d, calibration=state, replicates=rw)


def _check_mode(on_nonconvergence: str) -> None:
    if on_nonconvergence not in ("raise", "warn"):
        raise LiteracyError("invalid_argument", "on_nonconvergence must be 'raise' or 'warn'")


# ---------------------------------------------------------------------------- raking
def rake(
    design: Design,
    margins: Sequence[Margin],
    *,
    max_iter: int = 50,
    tolerance: float = 1e-8,
    absolute_tolerance: float | None = None,
    bounds: tuple[float, float] | None = None,
    partial: bool = False,
    on_nonconvergence: OnNonConvergence = "raise",
    variance: RakeVariance = "calibrate",
) -> Design:
    """Rake (iterative proportional fitting) the weights to several margins.

    Each sweep post-stratifies to every margin in turn. The stopping rule is R's: the
    largest change between sweeps in the weighted count of any cell of the joint
    cross-classification of the margin variables must fall below the tolerance, which is
    ``tolerance * sum(weights)`` or, if given, ``absolute_tolerance`` (R's
    ``rake(control=list(epsilon=1))`` is ``absolute_tolerance=1``). With ``bounds``
    (lower, upper) the adjustment factors g = w/d are clipped after each step, which is
    bounded raking; convergence then also requires the margins to be met.
    Replicate weights, if the design has them, are raked sweep by sweep alongside, as R
    does for replicate designs. The default tolerance gives the converged solution, which
    is what R's published examples for ``rake`` print (its ``epsilon=1`` rule would stop
    two sweeps earlier on the API data and shift a total in the fifth digit).

    ``variance`` chooses the linearization the estimates will use (replicate variances
    are unaffected):

    * ``"calibrate"`` (the default): residuals of the linearized variable from its
      regression on the margin indicators weighted by the base weights. This is the
      linearization of the raking estimator (Deville and Särndal 1992: raking is
      calibration with the raking distance, asymptotically the same as the regression
      estimator), computed exactly; it equals R's ``calibrate(..., calfun="raking")``.
    * ``"rake"``: R's ``rake()``, which projects on *unweighted* cell means of
      ``x / w_m`` (``w_m`` the weights after margin m in the last sweep), margin after
      margin, ten sweeps. It is an approximation of the same projection that is exact
      only when the base weights are constant within cells; offered so that figures
      computed with R's ``rake()`` can be reproduced (to 1e-9).
    """
    _check_uncalibrated(design)
    _check_mode(on_nonconvergence)
    if variance not in RAKE_VARIANCES:
        raise LiteracyError("invalid_argument", f"variance must be one of {', '.join(RAKE_VARIANCES)}")
    if not margins:
        raise LiteracyError("invalid_argument", "rake needs at least one margin")
    if max_iter < 1:
        raise LiteracyError("invalid_argument", "max_iter must be at least 1")
    if bounds is not None and not (0 <= bounds[0] <= 1 <= bounds[1]):
        raise LiteracyError("invalid_argument", "bounds must satisfy lower <= 1 <= upper")
    cells = _cells(design, margins, partial)
    n_combos = len(cells.combo_cells[0])
    base, reps = _base_totals(design, cells.combo, n_combos)
    cols = base[:, None] if reps is None else np.column_stack([base, reps])
    inds = [Grouper(cc, len(t)) for cc, t in zip(cells.combo_cells, cells.targets, strict=True)]
    for ind, _t, m in zip(inds, cells.targets, margins, strict=True):
        if np.any(ind.sum(base) <= 0):
            raise LiteracyError(
                "calibration_infeasible",
                f"a level of margin {m.label()} has no weight in the sample",
                margin=m.label(),
            )
    eps = absolute_tolerance if absolute_tolerance is not None else tolerance * float(base.sum())
    g = np.ones_like(cols)
    empty_cells = 0
    prev = base.copy()
    history: list[float] = []
    converged = False
    iterations = 0
    change = np.inf
    steps: list[np.ndarray] = []
    for it in range(1, max_iter + 1):
        iterations = it
        steps = []
        for ind, cc, t in zip(inds, cells.combo_cells, cells.targets, strict=True):
            current = ind.sum(cols * g)
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = t[:, None] / current
            bad = ~np.isfinite(factor)
            if bad.any():
                # Only replicate columns can lose a whole cell (a bootstrap replicate may
                # draw no PSU that has it); leaving that cell unadjusted is all one can do.
                empty_cells += int(bad.sum())
                factor[bad] = 1.0
            g = g * factor[cc]
            if bounds is not None:
                np.clip(g, bounds[0], bounds[1], out=g)
            steps.append(g[:, 0].copy())  # R's rake() variance uses each step's weights
        now = base * g[:, 0]
        change = float(np.max(np.abs(now - prev)))
        history.append(change)
        prev = now
        if change < eps:
            if bounds is None:
                converged = True
                break
            err = max(float(np.max(np.abs(ind.sum(now) - t))) for ind, t in zip(inds, cells.targets, strict=True))
            if err < eps:
                converged = True
                break
    report = _report(
        "rake",
        inds,
        cells.targets,
        base,
        cols,
        g,
        converged,
        iterations,
        change,
        eps,
        bounds,
        empty_cells,
        history,
    )
    matrix = _combo_matrix(cells)
    rep_g = None if reps is None else g[:, 1:]
    return _finish(
        design,
        "rake",
        cells.combo,
        matrix,
        base,
        g[:, 0],
        rep_g,
        report,
        on_nonconvergence,
        variance=variance,
        rake_steps=RakeSteps(
            cells=tuple(cells.combo_cells),
            sizes=tuple(len(t) for t in cells.targets),
            g_after=tuple(steps),
            g=g[:, 0].copy(),
        ),
    )


def poststratify(
    design: Design,
    margin: Margin,
    *,
    partial: bool = False,
) -> Design:
    """Post-stratify: scale the weights in each cell to its population count.

    This is raking with one margin, which is exact after one sweep; the variance then
    uses residuals from the cell means weighted by the pre-calibration weights, as R's
    ``postStratify`` does.
    """
    out = rake(design, [margin], max_iter=2, tolerance=1e-9, partial=partial)
    state = out.calibration
    assert state is not None
    report = replace(state.report, method="poststratify")
    return replace(out, calibration=replace(state, method="poststratify", report=report))


def _report(
    method: str,
    inds: Sequence[Grouper],
    targets: Sequence[np.ndarray],
    base: np.ndarray,
    cols: np.ndarray,
    g: np.ndarray,
    converged: bool,
    iterations: int,
    change: float,
    eps: float,
    bounds: tuple[float, float] | None,
    empty_cells: int,
    history: Sequence[float],
) -> CalibrationReport:
    final = cols * g
    abs_err = 0.0
    rel_err = 0.0
    rep_rel: float | None = None
    for ind, t in zip(inds, targets, strict=True):
        got = ind.sum(final)
        e = np.abs(got - t[:, None])
        abs_err = max(abs_err, float(e[:, 0].max()))
        rel_err = max(rel_err, float((e[:, 0] / t).max()))
        if final.shape[1] > 1:
            r = float((e[:, 1:] / t[:, None]).max())
            rep_rel = r if rep_rel is None else max(rep_rel, r)
    return CalibrationReport(
        method=method,
        converged=converged,
        iterations=iterations,
        max_change=change,
        tolerance=eps,
        max_margin_error=abs_err,
        max_relative_margin_error=rel_err,
        g_min=float(g[:, 0].min()),
        g_max=float(g[:, 0].max()),
        bounds=bounds,
        replicate_max_relative_margin_error=rep_rel,
        replicate_empty_cells=empty_cells,
        history=tuple(float(h) for h in history[-20:]),
    )


# ---------------------------------------------------------------------------- linear
def _aux_matrix(design: Design, totals: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Combos and their auxiliary rows for linear calibration, plus the target vector."""
    codes: list[np.ndarray] = []
    sizes: list[int] = []
    col_builders: list[tuple[str, Any]] = []
    target: list[float] = []
    names: list[str] = []
    for name, tot in totals.items():
        if name == "(Intercept)":
            col_builders.append(("intercept", None))
            target.append(float(tot))
            names.append(name)
            continue
        values = design.column(name, "auxiliary variable")
        if isinstance(tot, Mapping):
            c, labels = factorize(values)
            lab = [str(x) for x in labels]
            tmap = {str(k): float(v) for k, v in tot.items()}
            miss = [x for x in lab if x not in tmap]
            if miss:
                raise LiteracyError("margin_mismatch", f"levels of {name} without totals", levels=miss)
            codes.append(c)
            sizes.append(len(labels))
            col_builders.append(("cat", (len(codes) - 1, len(labels))))
            target.extend(tmap[x] for x in lab)
            names.extend(f"{name}={x}" for x in lab)
        else:
            v = np.asarray(values, dtype=np.float64)
            if is_missing(v).any():
                raise LiteracyError("missing_values", f"auxiliary variable {name} has missing values")
            c, uniq = factorize(v)
            codes.append(c)
            sizes.append(len(uniq))
            col_builders.append(("num", (len(codes) - 1, uniq.astype(np.float64))))
            target.append(float(tot))
            names.append(name)
    if codes:
        combo, keys = combine_codes(codes, sizes)
        if keys.ndim == 2:
            per = [keys[:, j] for j in range(keys.shape[1])]
        elif len(codes) == 1:
            per = [keys]
        else:
            per = list(np.unravel_index(keys, sizes))
        n_combos = len(keys)
    else:
        combo = np.zeros(design.n, dtype=np.int64)
        per = []
        n_combos = 1
    blocks: list[np.ndarray] = []
    for kind, info in col_builders:
        if kind == "intercept":
            blocks.append(np.ones((n_combos, 1)))
        elif kind == "cat":
            j, k = info
            b = np.zeros((n_combos, k))
            b[np.arange(n_combos), per[j]] = 1.0
            blocks.append(b)
        else:
            j, uniq = info
            blocks.append(uniq[per[j]][:, None])
    return combo, np.hstack(blocks), np.asarray(target), names


def calibrate_linear(
    design: Design,
    totals: Mapping[str, float | Mapping[Any, float]],
    *,
    bounds: tuple[float, float] | None = None,
    max_iter: int = 50,
    tolerance: float = 1e-10,
    on_nonconvergence: OnNonConvergence = "raise",
) -> Design:
    """Linear (GREG) calibration: ``g = 1 + x'lambda`` with ``sum d g x = totals``.

    ``totals`` maps a numeric column to its population total, a categorical column to
    ``{level: total}``, and ``"(Intercept)"`` to the population size, as in R's
    ``calibrate(design, ~..., population)``. With ``bounds`` the distance is the
    truncated linear one (g clipped to [lower, upper]), solved by Newton steps on the
    active set; convergence is measured by the largest calibration-equation error
    relative to the largest total.
    """
    _check_uncalibrated(design)
    _check_mode(on_nonconvergence)
    if bounds is not None and not (bounds[0] <= 1 <= bounds[1]):
        raise LiteracyError("invalid_argument", "bounds must satisfy lower <= 1 <= upper")
    combo, X, target, _names = _aux_matrix(design, totals)
    n_combos = X.shape[0]
    base, reps = _base_totals(design, combo, n_combos)
    cols = base[:, None] if reps is None else np.column_stack([base, reps])
    k = cols.shape[1]
    scale_t = max(float(np.max(np.abs(target))), 1.0)
    lam = np.zeros((k, X.shape[1]))
    history: list[float] = []
    converged = False
    iterations = 0
    err = np.inf
    lo, hi = (-np.inf, np.inf) if bounds is None else bounds
    for it in range(1, max_iter + 1):
        iterations = it
        u = 1.0 + X @ lam.T  # (C, k)
        g = np.clip(u, lo, hi)
        resid = target[None, :] - (cols * g).T @ X  # (k, q)
        err = float(np.max(np.abs(resid))) / scale_t
        history.append(err)
        if err < tolerance:
            converged = True
            break
        active = ((u > lo) & (u < hi)).astype(float)
        wts = cols * active  # (C, k)
        gram = np.einsum("ck,cq,cs->kqs", wts, X, X)
        step = np.stack([np.linalg.lstsq(gram[j], resid[j], rcond=None)[0] for j in range(k)])
        lam = lam + step
    else:
        u = 1.0 + X @ lam.T
        g = np.clip(u, lo, hi)
    ind_resid = target[None, :] - (cols * g).T @ X
    rel = np.abs(ind_resid) / np.maximum(np.abs(target)[None, :], 1e-300)
    report = CalibrationReport(
        method="linear",
        converged=converged,
        iterations=iterations,
        max_change=err,
        tolerance=tolerance,
        max_margin_error=float(np.max(np.abs(ind_resid[0]))),
        max_relative_margin_error=float(rel[0].max()),
        g_min=float(g[:, 0].min()),
        g_max=float(g[:, 0].max()),
        bounds=bounds,
        replicate_max_relative_margin_error=None if k == 1 else float(rel[1:].max()),
        history=tuple(history[-20:]),
    )
    rep_g = None if reps is None else g[:, 1:]
    return _finish(design, "linear", combo, X, base, g[:, 0], rep_g, report, on_nonconvergence)


# ---------------------------------------------------------------------------- trimming
def trim_weights(
    design: Design,
    *,
    lower: float | None = None,
    upper: float | None = None,
    strict: bool = False,
    max_iter: int = 50,
) -> Design:
    """Trim weights to [lower, upper] and spread the trimmed amount over the others.

    This keeps the sum of weights, like R's ``trimWeights``; with ``strict`` the
    redistribution is repeated until no weight lies outside the bounds (one pass may push
    others over). Calibration information is kept, so variances still use calibration
    residuals, as in R.
    """
    if design.replicates is not None:
        raise LiteracyError(
            "not_supported",
            "trim the weights before creating replicates, or use calibration bounds",
        )
    lo = -np.inf if lower is None else float(lower)
    hi = np.inf if upper is None else float(upper)
    if lo > hi:
        raise LiteracyError("invalid_argument", "lower must not exceed upper")
    w = design.weights.copy()
    total = w.sum()
    for _ in range(max_iter if strict else 1):
        outside = (w < lo) | (w > hi)
        if not outside.any():
            break
        w = np.clip(w, lo, hi)
        inside = ~outside
        excess = total - w.sum()
        if inside.any() and w[inside].sum() > 0:
            w[inside] += excess * w[inside] / w[inside].sum()
    return replace(design, weights=w, notes=design.notes + (f"weights trimmed to [{lo}, {hi}]",))


# ---------------------------------------------------------------------------- parsing
def margins_from_records(records: Sequence[Mapping[str, Any]]) -> list[Margin]:
    """Build margins from long records ``{"variable", "level", "total"}``.

    An interaction is written ``"district*sex"`` with levels ``"朝阳|女"``. This is the
    layout of the margins CSV/Parquet file of the command line and of an uploaded
    population table in the web app.
    """
    grouped: dict[str, dict[Any, float]] = {}
    for rec in records:
        try:
            var = str(rec["variable"]).strip()
            level = rec["level"]
            total = float(rec["total"])
        except (KeyError, TypeError, ValueError) as exc:
            raise LiteracyError("io", f"invalid margin record {rec!r}") from exc
        if level is None or (isinstance(level, float) and np.isnan(level)):
            raise LiteracyError("io", f"margin record without a level for {var}")
        parts = var.split("*")
        key: Any = tuple(str(level).split("|")) if len(parts) > 1 else str(level)
        if len(parts) > 1 and len(key) != len(parts):
            raise LiteracyError("io", f"level {level!r} does not match interaction {var}")
        grouped.setdefault(var, {})[key] = total
    out: list[Margin] = []
    for var, totals in grouped.items():
        parts = var.split("*")
        variables: Any = tuple(parts) if len(parts) > 1 else parts[0]
        out.append(Margin(variables=variables, totals=totals, name=var))
    return out


def margins_from_json(data: Any) -> list[Margin]:
    """Build margins from JSON: a list of ``{"variables", "totals"}`` or long records.

    ``totals`` is either ``{level: total}`` or a list of ``{"level": [...], "total"}``.
    """
    items = data.get("margins", data) if isinstance(data, Mapping) else data
    if not isinstance(items, list):
        raise LiteracyError("io", "margins JSON must be a list or {'margins': [...]}")
    if items and all("variable" in it and "level" in it for it in items):
        return margins_from_records(items)
    out: list[Margin] = []
    for it in items:
        try:
            variables = it["variables"]
            totals = it["totals"]
        except (KeyError, TypeError) as exc:
            raise LiteracyError("io", f"invalid margin {it!r}") from exc
        vs: Any = (
            tuple(variables)
            if isinstance(variables, list) and len(variables) > 1
            else (variables[0] if isinstance(variables, list) else variables)
        )
        if isinstance(totals, list):
            tmap: dict[Any, float] = {}
            for t in totals:
                lev = t["level"]
                tmap[tuple(lev) if isinstance(lev, list) else lev] = float(t["total"])
        else:
            tmap = {k: float(v) for k, v in totals.items()}
        name = "*".join(vs) if isinstance(vs, tuple) else str(vs)
        out.append(Margin(variables=vs, totals=tmap, name=name))
    return out
