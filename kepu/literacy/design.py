"""Survey designs: strata, multi-stage clusters, weights and finite population corrections.

The representation follows R's ``survey::svydesign`` closely, because the city's published
figures are checked against R: sub-clusters are always nested in their parent cluster,
stage-k strata are nested in the stage-(k-1) unit, sample sizes per stratum are counted
from the data, and population sizes come either as counts or as sampling fractions. A
stage beyond the first contributes to the variance only when the stage above it has a
finite population (the recursive formula of Särndal et al. that R's ``svyrecvar`` uses).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Literal

import numpy as np
import pyarrow as pa

from ._groups import combine_codes, factorize, is_missing
from .errors import LiteracyError, LiteracyWarning

if TYPE_CHECKING:
    from .calibration import CalibrationReport

__all__ = [
    "LONELY_PSU_METHODS",
    "CalibrationState",
    "ColumnSpec",
    "Design",
    "FpcKind",
    "LonelyPsu",
    "ReplicateWeights",
    "Stage",
]

LonelyPsu = Literal["fail", "remove", "certainty", "adjust", "average"]
FpcKind = Literal["auto", "population", "fraction"]
LONELY_PSU_METHODS: tuple[str, ...] = (
    "fail",
    "remove",
    "certainty",
    "adjust",
    "average",
)

#: A column given by name (looked up in the design's data) or directly as an array.
ColumnSpec = str | np.ndarray | Sequence[object]


@dataclass(frozen=True, eq=False)
class Stage:
    """The sampling units and strata of one stage, as dense codes.

    Units are coded 0..n_units-1 across the whole sample (nested, so a code names one
    unit); strata likewise. ``stratum_parent`` is the unit of the previous stage that a
    stratum lies in (0 at stage 1), and ``stratum_multiplier`` the product of the
    sampling fractions of the stages above: R multiplies stage-k variance by it.
    """

    number: int
    unit: np.ndarray
    n_units: int
    unit_stratum: np.ndarray
    n_strata: int
    stratum_n: np.ndarray
    stratum_N: np.ndarray
    stratum_parent: np.ndarray
    n_parents: int
    stratum_multiplier: np.ndarray

    @property
    def sampling_fraction(self) -> np.ndarray:
        """n/N per stratum, 0 where the population is unknown (sampling with replacement)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(
                np.isfinite(self.stratum_N), self.stratum_n / self.stratum_N, 0.0
            )
        return f


@dataclass(frozen=True, eq=False)
class CalibrationState:
    """What the variance needs to know about a calibration.

    Calibration makes the weights ``w = d * g`` where ``g`` depends only on the auxiliary
    vector ``x``. Respondents with equal ``x`` form a *combo*; ``matrix`` holds one row
    of ``x`` per combo. Linearization then uses residuals of the linearized variable
    regressed on ``x`` with the pre-calibration weights ``d`` (R's ``calibrate`` and
    ``postStratify``), which only needs the per-combo totals of ``d``.
    """

    method: str
    combo: np.ndarray
    matrix: np.ndarray
    base_totals: np.ndarray
    report: CalibrationReport

    @cached_property
    def gram_pinv(self) -> np.ndarray:
        """Pseudo-inverse of X'DX (d-weighted), computed once per calibration.

        Raking margins are collinear (each margin's indicators sum to one), so the
        pseudo-inverse is used; the fitted values, and hence the residuals, are unique.
        """
        gram = self.matrix.T @ (self.base_totals[:, None] * self.matrix)
        return np.linalg.pinv(gram)

    @property
    def n_combos(self) -> int:
        """Number of distinct auxiliary vectors."""
        return int(self.matrix.shape[0])


@dataclass(frozen=True, eq=False)
class ReplicateWeights:
    """Replicate weights kept in factored form.

    Replicate r's weight for row i is ``d_i * multipliers[unit_i, r] *
    calibration_factors[combo_i, r]``. For jackknife and bootstrap replicates built from
    the design the multiplier is constant within a PSU, so ``unit`` is the PSU and the
    matrices stay small (PSUs x R, combos x R) even for a million respondents.
    Variance is ``scale * sum_r rscales[r] * (theta_r - centre)**2``, centre being the
    mean of the replicates or, with ``mse``, the full-sample estimate (R's convention).
    """

    method: str
    unit: np.ndarray
    multipliers: np.ndarray
    scale: float
    rscales: np.ndarray
    mse: bool
    df: int
    calibration_factors: np.ndarray | None = None

    @property
    def n_replicates(self) -> int:
        """Number of replicates R."""
        return int(self.multipliers.shape[1])


@dataclass(frozen=True, eq=False)
class Design:
    """A probability sample: data columns, weights and the sampling structure.

    Build one with :meth:`Design.create`. Calibration and replicate construction return
    new designs; a design is never modified in place, so one round's base design can
    feed several analyses.
    """

    data: Mapping[str, np.ndarray]
    weights: np.ndarray
    base_weights: np.ndarray
    stages: tuple[Stage, ...]
    lonely_psu: str
    has_strata: bool
    stratum_labels: np.ndarray
    calibration: CalibrationState | None = None
    replicates: ReplicateWeights | None = None
    notes: tuple[str, ...] = field(default=())
    _codes: dict[str, tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False, compare=False
    )

    # ------------------------------------------------------------------ construction
    @classmethod
    def create(
        cls,
        data: Mapping[str, object] | None = None,
        *,
        strata: ColumnSpec | Sequence[ColumnSpec] | None = None,
        clusters: ColumnSpec | Sequence[ColumnSpec] | None = None,
        weights: ColumnSpec | None = None,
        fpc: ColumnSpec | Sequence[ColumnSpec] | None = None,
        fpc_kind: FpcKind | Sequence[FpcKind] = "auto",
        lonely_psu: LonelyPsu = "fail",
        nest: bool = False,
    ) -> Design:
        """Build a design the way ``svydesign(ids=, strata=, weights=, fpc=)`` does.

        ``clusters`` lists the cluster variables from the first stage down (None means
        each respondent is its own PSU, R's ``id=~1``); ``strata`` and ``fpc`` may be one
        column or one per stage. ``fpc`` values are population sizes or sampling
        fractions; with ``fpc_kind="auto"`` R's rule applies: all values at most 1 mean
        fractions, otherwise population sizes. Without weights, weights come from the
        fpcs stage by stage (N/n at each stage), as in R.
        """
        if lonely_psu not in LONELY_PSU_METHODS:
            raise LiteracyError(
                "invalid_argument",
                f"lonely_psu must be one of {', '.join(LONELY_PSU_METHODS)}",
                value=lonely_psu,
            )
        cols: dict[str, np.ndarray] = {}
        if data is not None:
            # Arrow arrays (from Parquet) are kept as they are: text columns are then
            # factorized by Arrow's hashing without creating Python strings.
            cols = {
                str(k): v
                if isinstance(v, pa.Array | pa.ChunkedArray)
                else np.asarray(v)
                for k, v in data.items()
            }
        n = _infer_n(cols, strata, clusters, weights, fpc)

        cluster_specs = _as_list(clusters)
        strata_specs = _as_list(strata)
        fpc_specs = _as_list(fpc)
        has_strata = bool(strata_specs)
        n_stages = max(len(cluster_specs), 1)
        if len(strata_specs) > n_stages or len(fpc_specs) > n_stages:
            raise LiteracyError(
                "invalid_argument", "more strata or fpc columns than sampling stages"
            )

        # Stage-1 strata codes (one stratum when none are given).
        strata_codes: list[np.ndarray] = []
        strata_sizes: list[int] = []
        for spec in strata_specs:
            codes, labels = factorize(_column(cols, spec, n, "strata"))
            strata_codes.append(codes)
            strata_sizes.append(len(labels))
        if not strata_codes:
            strata_codes = [np.zeros(n, dtype=np.int64)]
            strata_sizes = [1]
            stratum_labels = np.array(["all"], dtype=object)
        else:
            _, stratum_labels = factorize(_column(cols, strata_specs[0], n, "strata"))

        # Cluster codes, forced nested in their parent cluster (R always does this).
        raw_units: list[np.ndarray] = []
        if not cluster_specs:
            raw_units.append(np.arange(n, dtype=np.int64))
        else:
            prev: np.ndarray | None = None
            prev_size = 1
            for k, spec in enumerate(cluster_specs):
                codes, labels = factorize(_column(cols, spec, n, "clusters"))
                size = len(labels)
                if nest:
                    s_idx = min(k, len(strata_codes) - 1)
                    codes, keys = combine_codes(
                        [strata_codes[s_idx], codes], [strata_sizes[s_idx], size]
                    )
                    size = len(keys)
                if prev is not None:
                    codes, keys = combine_codes([prev, codes], [prev_size, size])
                    size = len(keys)
                raw_units.append(codes)
                prev, prev_size = codes, size

        # Stage-k strata = given strata (the last given column reused) within the unit
        # of stage k-1, exactly R's interaction(strata[, min(i, NS)], ids[, i-1]).
        stage_strata: list[np.ndarray] = []
        stage_strata_sizes: list[int] = []
        for k in range(n_stages):
            s_idx = min(k, len(strata_codes) - 1)
            if k == 0:
                codes = strata_codes[s_idx]
                size = strata_sizes[s_idx]
            else:
                codes, keys = combine_codes(
                    [raw_units[k - 1], strata_codes[s_idx]],
                    [int(raw_units[k - 1].max()) + 1, strata_sizes[s_idx]],
                )
                size = len(keys)
            stage_strata.append(codes)
            stage_strata_sizes.append(size)

        # PSUs must lie in one stratum unless nest=True made them so.
        unit1 = raw_units[0]
        n_u1 = int(unit1.max()) + 1
        first_stratum = np.full(n_u1, -1, dtype=np.int64)
        first_stratum[unit1] = stage_strata[0]
        if np.any(first_stratum[unit1] != stage_strata[0]):
            raise LiteracyError(
                "clusters_not_nested",
                "clusters are not nested in strata at the first stage; use nest=True if "
                "PSU labels repeat across strata",
            )

        # Sample and population sizes per stratum and stage.
        pop_inputs = [
            _column(cols, spec, n, "fpc").astype(np.float64) for spec in fpc_specs
        ]
        for arr in pop_inputs:
            if is_missing(arr).any():
                raise LiteracyError("missing_values", "fpc has missing values")
        # One kind for all stages (R's rule for "auto": all <= 1 means fractions), or
        # one per stage, e.g. ["population", "fraction"].
        if isinstance(fpc_kind, str):
            kinds = [fpc_kind] * len(pop_inputs)
        else:
            kinds = list(fpc_kind)
            if len(kinds) != len(pop_inputs):
                raise LiteracyError("invalid_fpc", "give one fpc_kind per fpc column")
        if any(k not in ("auto", "population", "fraction") for k in kinds):
            raise LiteracyError(
                "invalid_fpc", "fpc_kind must be auto, population or fraction"
            )
        auto = [v for v, k in zip(pop_inputs, kinds, strict=True) if k == "auto"]
        if auto:
            allv = np.concatenate(auto)
            if np.all(allv <= 1):
                guess = "fraction"
            elif np.all(allv >= 1):
                guess = "population"
            else:
                raise LiteracyError(
                    "invalid_fpc",
                    "fpc must be all population sizes (>=1) or all fractions (<=1)",
                )
            kinds = [guess if k == "auto" else k for k in kinds]

        stages: list[Stage] = []
        row_n: list[np.ndarray] = []
        row_N: list[np.ndarray] = []
        parent_unit = np.zeros(n, dtype=np.int64)
        n_parents = 1
        parent_f_of_unit = np.ones(1)  # multiplier of the parent unit (stage 0 root: 1)
        for k in range(n_stages):
            unit = raw_units[k]
            n_units = int(unit.max()) + 1
            strat = stage_strata[k]
            n_strata_k = stage_strata_sizes[k]
            unit_stratum = np.zeros(n_units, dtype=np.int64)
            unit_stratum[unit] = strat
            stratum_n = np.bincount(unit_stratum, minlength=n_strata_k).astype(
                np.float64
            )
            if k < len(pop_inputs):
                vals = pop_inputs[k]
                if kinds[k] == "population":
                    pop_row = vals
                else:
                    if np.any(vals <= 0):
                        raise LiteracyError(
                            "invalid_fpc", "sampling fractions must be positive"
                        )
                    pop_row = stratum_n[strat] / vals
                stratum_N = np.full(n_strata_k, np.nan)
                stratum_N[strat] = pop_row
                lo = np.full(n_strata_k, np.inf)
                np.minimum.at(lo, strat, pop_row)
                hi = np.full(n_strata_k, -np.inf)
                np.maximum.at(hi, strat, pop_row)
                if np.any(~np.isclose(lo, hi)):
                    raise LiteracyError(
                        "invalid_fpc", f"fpc varies within a stratum at stage {k + 1}"
                    )
                if np.any(stratum_N < stratum_n - 1e-9):
                    raise LiteracyError(
                        "invalid_fpc",
                        f"fpc implies more than 100% sampling at stage {k + 1}",
                    )
            else:
                stratum_N = np.full(n_strata_k, np.inf)
            stratum_parent = np.zeros(n_strata_k, dtype=np.int64)
            stratum_parent[strat] = parent_unit
            multiplier = parent_f_of_unit[stratum_parent]
            stage = Stage(
                number=k + 1,
                unit=unit,
                n_units=n_units,
                unit_stratum=unit_stratum,
                n_strata=n_strata_k,
                stratum_n=stratum_n,
                stratum_N=stratum_N,
                stratum_parent=stratum_parent,
                n_parents=n_parents,
                stratum_multiplier=multiplier,
            )
            stages.append(stage)
            row_n.append(stratum_n[strat])
            row_N.append(stratum_N[strat])
            # The next stage's strata inherit (this stratum's fraction) x (its multiplier).
            unit_f = (stage.sampling_fraction * multiplier)[unit_stratum]
            parent_unit = unit
            n_parents = n_units
            parent_f_of_unit = unit_f

        # Weights: given, or N/n per stage from the fpcs (R's weights(fpc, final=FALSE)).
        if weights is not None:
            w = _column(cols, weights, n, "weights").astype(np.float64)
            if is_missing(w).any():
                raise LiteracyError("missing_values", "weights have missing values")
        elif pop_inputs:
            if len(pop_inputs) < n_stages:
                raise LiteracyError(
                    "missing_weights",
                    "weights can be derived from fpc only when every stage has one",
                )
            w = np.ones(n)
            for k in range(n_stages):
                w = w * row_N[k] / row_n[k]
        else:
            warnings.warn(
                LiteracyWarning(
                    "missing_weights",
                    "no weights or fpc supplied: assuming equal probability",
                ),
                stacklevel=2,
            )
            w = np.ones(n)
        if np.any(~np.isfinite(w)) or np.any(w < 0):
            raise LiteracyError(
                "invalid_weights", "weights must be finite and non-negative"
            )

        # Keep only the stages that can contribute to the variance.
        used: list[Stage] = [stages[0]]
        for st in stages[1:]:
            if np.any(st.stratum_multiplier > 0):
                used.append(st)
            else:
                break

        return cls(
            data=cols,
            weights=w,
            base_weights=w,
            stages=tuple(used),
            lonely_psu=lonely_psu,
            has_strata=has_strata,
            stratum_labels=np.asarray(stratum_labels),
        )

    # ------------------------------------------------------------------ accessors
    @property
    def n(self) -> int:
        """Number of respondents (rows)."""
        return int(self.weights.shape[0])

    @property
    def psu(self) -> np.ndarray:
        """Stage-1 unit code of each row."""
        return self.stages[0].unit

    @property
    def stratum(self) -> np.ndarray:
        """Stage-1 stratum code of each row."""
        st = self.stages[0]
        return st.unit_stratum[st.unit]

    @property
    def n_psu(self) -> int:
        """Number of sampled PSUs."""
        return self.stages[0].n_units

    @property
    def n_strata(self) -> int:
        """Number of first-stage strata."""
        return self.stages[0].n_strata

    @property
    def df(self) -> int:
        """Design degrees of freedom: PSUs minus strata among rows with weight (R's degf)."""
        if self.replicates is not None:
            return self.replicates.df
        return self.domain_df(np.ones(self.n, dtype=bool))

    def domain_df(self, mask: np.ndarray) -> int:
        """Degrees of freedom of a subpopulation, counted as R's degf on a subset design."""
        inset = mask & (self.weights != 0)
        if not inset.any():
            return 0
        st = self.stages[0]
        units = np.unique(st.unit[inset])
        strata = np.unique(st.unit_stratum[units])
        return int(len(units) - len(strata))

    def column(self, spec: ColumnSpec, what: str = "variable") -> np.ndarray:
        """Return a column of the design's data, or the array itself when one is given."""
        return _column(self.data, spec, self.n, what)

    def codes(
        self, spec: ColumnSpec, what: str = "variable"
    ) -> tuple[np.ndarray, np.ndarray]:
        """Dense codes (-1 for missing) and sorted labels of a grouping column.

        Named columns are factorized once per design family (calibrated and replicate
        designs share the cache, since they share the data), because hashing a million
        labels costs more than the statistics computed from them.
        """
        if isinstance(spec, str):
            hit = self._codes.get(spec)
            if hit is None:
                hit = factorize(self.column(spec, what), allow_missing=True)
                self._codes[spec] = hit
            return hit
        return factorize(self.column(spec, what), allow_missing=True)

    def with_weights(self, weights: np.ndarray, **changes: object) -> Design:
        """Return a copy with new analysis weights (and other fields replaced)."""
        return replace(self, weights=np.asarray(weights, dtype=np.float64), **changes)

    def summary(self) -> dict[str, object]:
        """A JSON-friendly description for reports and the command line."""
        return {
            "respondents": self.n,
            "strata": self.n_strata,
            "psus": self.n_psu,
            "stages": [
                {
                    "stage": st.number,
                    "units": st.n_units,
                    "strata": st.n_strata,
                    "fpc": bool(np.isfinite(st.stratum_N).any()),
                }
                for st in self.stages
            ],
            "lonely_psu": self.lonely_psu,
            "df": self.df,
            "sum_weights": float(self.weights.sum()),
            "calibration": None
            if self.calibration is None
            else self.calibration.method,
            "replicates": None
            if self.replicates is None
            else {
                "method": self.replicates.method,
                "replicates": self.replicates.n_replicates,
                "mse": self.replicates.mse,
            },
        }


# ---------------------------------------------------------------------- helpers
def _as_list(spec: object) -> list[ColumnSpec]:
    if spec is None:
        return []
    if isinstance(spec, str | np.ndarray):
        return [spec]
    if (
        isinstance(spec, Sequence)
        and spec
        and all(isinstance(s, str | np.ndarray) for s in spec)
    ):
        return list(spec)  # type: ignore[arg-type]
    if isinstance(spec, Sequence):
        # A plain sequence of values is one column, not several.
        return [np.asarray(spec)]
    raise LiteracyError("invalid_argument", "column specification not understood")


def _column(
    cols: Mapping[str, np.ndarray], spec: ColumnSpec, n: int | None, what: str
) -> np.ndarray:
    if isinstance(spec, str):
        if spec not in cols:
            raise LiteracyError(
                "missing_column", f"no column {spec!r} for {what}", column=spec
            )
        raw: object = cols[spec]
    else:
        raw = spec
    if isinstance(raw, pa.Array | pa.ChunkedArray):
        t = raw.type
        if pa.types.is_integer(t) and raw.null_count == 0:
            arr = raw.to_numpy(zero_copy_only=False)
        elif (
            pa.types.is_integer(t)
            or pa.types.is_floating(t)
            or pa.types.is_decimal(t)
            or pa.types.is_boolean(t)
        ):
            arr = raw.cast(pa.float64()).to_numpy(zero_copy_only=False)
        else:
            if n is not None and len(raw) != n:
                raise LiteracyError(
                    "invalid_argument", f"{what} must be a vector of length {n}"
                )
            return raw  # type: ignore[return-value]  # text stays Arrow; factorize() takes it
    else:
        arr = np.asarray(raw)
    if arr.ndim != 1 or (n is not None and arr.shape[0] != n):
        raise LiteracyError(
            "invalid_argument",
            f"{what} must be a vector of length {n}",
            shape=arr.shape,
        )
    return arr


def _infer_n(cols: Mapping[str, np.ndarray], *specs: object) -> int:
    if cols:
        lengths = {len(v) for v in cols.values()}  # type: ignore[arg-type]
        if len(lengths) != 1:
            raise LiteracyError(
                "invalid_argument", "data columns have different lengths"
            )
        return lengths.pop()
    for spec in specs:
        for s in _as_list(spec):
            if not isinstance(s, str):
                return len(np.asarray(s))
    raise LiteracyError("invalid_argument", "cannot tell the number of respondents")
