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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyarrow as pa

from ._groups import arrow_numpy, combine_codes, factorize, is_missing
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
    "RakeSteps",
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
            f = np.where(np.isfinite(self.stratum_N), self.stratum_n / self.stratum_N, 0.0)
        return f


@dataclass(frozen=True, eq=False)
class RakeSteps:
    """The last sweep of a raking, as R's ``rake()`` linearization needs it.

    ``cells[m]`` is the cell of margin m of each combo (``sizes[m]`` cells), ``g_after[m]``
    the adjustment factor g = w/d of each combo right after margin m was met in the last
    sweep, and ``g`` the final factor.
    """

    cells: tuple[np.ndarray, ...]
    sizes: tuple[int, ...]
    g_after: tuple[np.ndarray, ...]
    g: np.ndarray


@dataclass(frozen=True, eq=False)
class CalibrationState:
    """What the variance needs to know about a calibration.

    Calibration makes the weights ``w = d * g`` where ``g`` depends only on the auxiliary
    vector ``x``. Respondents with equal ``x`` form a *combo*; ``matrix`` holds one row
    of ``x`` per combo. Linearization then uses residuals of the linearized variable
    regressed on ``x`` with the pre-calibration weights ``d`` (R's ``calibrate`` and
    ``postStratify``), which only needs the per-combo totals of ``d``. ``variance`` is
    ``"calibrate"`` for that, or ``"rake"`` for R's ``rake()`` linearization, which needs
    the steps of the last raking sweep (``rake_steps``).
    """

    method: str
    combo: np.ndarray
    matrix: np.ndarray
    base_totals: np.ndarray
    report: CalibrationReport
    variance: str = "calibrate"
    rake_steps: RakeSteps | None = None

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
    _codes: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False, compare=False)
    _cache: dict[str, tuple[Any, Any, Any]] = field(default_factory=dict, repr=False, compare=False)

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

        The steps run in this order, so the first problem found is the one reported (with
        its column and row): read the inputs, code the strata and clusters, check that PSUs
        lie in one stratum, read the fpcs, build the stages (checking the fpcs stage by
        stage), then the weights.
        """
        if lonely_psu not in LONELY_PSU_METHODS:
            raise LiteracyError(
                "invalid_argument",
                f"lonely_psu must be one of {', '.join(LONELY_PSU_METHODS)}",
                value=lonely_psu,
            )
        inputs = _DesignInputs.read(data, strata=strata, clusters=clusters, weights=weights, fpc=fpc)
        strata_codes = _code_strata(inputs)
        units = _code_clusters(inputs, strata_codes, nest=nest)
        stage_strata = _code_stage_strata(units, strata_codes, inputs.n_stages)
        _check_psus_nested(inputs, units[0], stage_strata.codes[0])
        populations = _read_fpc(inputs, fpc_kind)
        stages = _build_stages(inputs, units, stage_strata, populations)
        w = _design_weights(inputs, weights, populations, stages, stage_strata)
        _check_weights(w, weights)
        return cls(
            data=inputs.cols,
            weights=w,
            base_weights=w,
            stages=_variance_stages(stages),
            lonely_psu=lonely_psu,
            has_strata=bool(inputs.strata_specs),
            stratum_labels=np.asarray(strata_codes.labels),
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
        st = self.stages[0]
        has = np.bincount(st.unit, weights=inset, minlength=st.n_units) > 0
        strata = np.bincount(st.unit_stratum[has], minlength=st.n_strata) > 0
        return int(has.sum() - strata.sum())

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        """A value computed from this design's weights and calibration, built once.

        Derived designs share the cache dictionary (``dataclasses.replace`` copies the
        reference), so an entry is reused only by a design with the very same weights
        and calibration objects.
        """
        hit = self._cache.get(key)
        if hit is not None and hit[0] is self.weights and hit[1] is self.calibration:
            return hit[2]
        value = build()
        self._cache[key] = (self.weights, self.calibration, value)
        return value

    def column(self, spec: ColumnSpec, what: str = "variable") -> np.ndarray:
        """Return a column of the design's data, or the array itself when one is given."""
        return _column(self.data, spec, self.n, what)

    def codes(self, spec: ColumnSpec, what: str = "variable") -> tuple[np.ndarray, np.ndarray]:
        """Dense codes (-1 for missing) and sorted labels of a grouping column.

        Named columns are factorized once per design family (calibrated and replicate
        designs share the cache, since they share the data), because hashing a million
        labels costs more than the statistics computed from them.
        """
        if isinstance(spec, str):
            hit = self._codes.get(spec)
            if hit is None:
                hit = factorize(self.column(spec, what), allow_missing=True, name=spec)
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
            "calibration": None if self.calibration is None else self.calibration.method,
            "calibration_variance": None if self.calibration is None else self.calibration.variance,
            "replicates": None
            if self.replicates is None
            else {
                "method": self.replicates.method,
                "replicates": self.replicates.n_replicates,
                "mse": self.replicates.mse,
            },
        }


# ---------------------------------------------------------------------- construction steps
# Design.create runs these in order; each either returns what the next needs or raises the
# LiteracyError that names the column (and row) at fault.


@dataclass(frozen=True)
class _DesignInputs:
    """The data columns, the number of respondents and the column specifications per stage."""

    cols: dict[str, np.ndarray]
    n: int
    strata_specs: list[ColumnSpec]
    cluster_specs: list[ColumnSpec]
    fpc_specs: list[ColumnSpec]

    @property
    def n_stages(self) -> int:
        return max(len(self.cluster_specs), 1)

    @classmethod
    def read(
        cls,
        data: Mapping[str, object] | None,
        *,
        strata: ColumnSpec | Sequence[ColumnSpec] | None,
        clusters: ColumnSpec | Sequence[ColumnSpec] | None,
        weights: ColumnSpec | None,
        fpc: ColumnSpec | Sequence[ColumnSpec] | None,
    ) -> _DesignInputs:
        """Columns as arrays and specifications as lists; refuses empty data and too many columns."""
        cols: dict[str, np.ndarray] = {}
        if data is not None:
            # Arrow arrays (from Parquet) are kept as they are: text columns are then
            # factorized by Arrow's hashing without creating Python strings.
            cols = {str(k): v if isinstance(v, pa.Array | pa.ChunkedArray) else np.asarray(v) for k, v in data.items()}
        n = _infer_n(cols, strata, clusters, weights, fpc)
        if n == 0:
            raise LiteracyError("no_data", "the data have no respondents (no rows)", zh="数据中没有受访者（无数据行）")
        inputs = cls(cols, n, _as_list(strata), _as_list(clusters), _as_list(fpc))
        if len(inputs.strata_specs) > inputs.n_stages or len(inputs.fpc_specs) > inputs.n_stages:
            raise LiteracyError("invalid_argument", "more strata or fpc columns than sampling stages")
        return inputs


@dataclass(frozen=True)
class _Codes:
    """Dense codes of one or more grouping columns: ``codes[i]`` takes ``sizes[i]`` values."""

    codes: list[np.ndarray]
    sizes: list[int]
    labels: np.ndarray | None = None  # the first column's labels (the stage-1 strata)

    def at(self, k: int) -> tuple[np.ndarray, int]:
        """Column k's codes and size; past the last column, the last one (R's ``strata[, min(i, NS)]``)."""
        i = min(k, len(self.codes) - 1)
        return self.codes[i], self.sizes[i]


def _code_strata(inputs: _DesignInputs) -> _Codes:
    """The given strata columns as codes; one stratum, ``"all"``, when none are given."""
    if not inputs.strata_specs:
        return _Codes([np.zeros(inputs.n, dtype=np.int64)], [1], np.array(["all"], dtype=object))
    codes: list[np.ndarray] = []
    sizes: list[int] = []
    first_labels = None
    for spec in inputs.strata_specs:
        c, labels = factorize(_column(inputs.cols, spec, inputs.n, "strata"), name=_name(spec, "strata"))
        codes.append(c)
        sizes.append(len(labels))
        first_labels = labels if first_labels is None else first_labels
    return _Codes(codes, sizes, first_labels)


def _code_clusters(inputs: _DesignInputs, strata: _Codes, *, nest: bool) -> list[np.ndarray]:
    """The unit of each row at each stage, every cluster nested in its parent cluster (R always does this).

    Without clusters each respondent is its own PSU. ``nest=True`` also nests stage-k clusters
    in the stage-k strata column, for PSU labels that repeat across strata.
    """
    if not inputs.cluster_specs:
        return [np.arange(inputs.n, dtype=np.int64)]
    units: list[np.ndarray] = []
    prev: np.ndarray | None = None
    prev_size = 1
    for k, spec in enumerate(inputs.cluster_specs):
        codes, labels = factorize(_column(inputs.cols, spec, inputs.n, "clusters"), name=_name(spec, "clusters"))
        size = len(labels)
        if nest:
            s_codes, s_size = strata.at(k)
            codes, keys = combine_codes([s_codes, codes], [s_size, size])
            size = len(keys)
        if prev is not None:
            codes, keys = combine_codes([prev, codes], [prev_size, size])
            size = len(keys)
        units.append(codes)
        prev, prev_size = codes, size
    return units


def _code_stage_strata(units: list[np.ndarray], strata: _Codes, n_stages: int) -> _Codes:
    """Each stage's strata: stage 1's as given, stage k's the given column within the stage-(k-1) unit.

    Exactly R's ``interaction(strata[, min(i, NS)], ids[, i-1])``.
    """
    first_codes, first_size = strata.at(0)
    codes, sizes = [first_codes], [first_size]
    for k in range(1, n_stages):
        s_codes, s_size = strata.at(k)
        stage_codes, keys = combine_codes([units[k - 1], s_codes], [int(units[k - 1].max()) + 1, s_size])
        codes.append(stage_codes)
        sizes.append(len(keys))
    return _Codes(codes, sizes)


def _check_psus_nested(inputs: _DesignInputs, unit: np.ndarray, stratum: np.ndarray) -> None:
    """Every PSU lies in one stratum (``nest=True`` makes repeated labels so); else the first row that crosses."""
    some_stratum = np.empty(int(unit.max()) + 1, dtype=np.int64)
    some_stratum[unit] = stratum
    if not np.any(some_stratum[unit] != stratum):
        return
    # name the first row whose stratum differs from that of its PSU's first row
    _, first_row = np.unique(unit, return_index=True)
    crossing = stratum[first_row][unit] != stratum
    row = int(np.argmax(crossing))
    other = int(first_row[unit[row]])
    cols, psu_spec, strata_spec = inputs.cols, inputs.cluster_specs[0], inputs.strata_specs[0]
    psu, one, two = (
        _label_at(cols, psu_spec, row),
        _label_at(cols, strata_spec, other),
        _label_at(cols, strata_spec, row),
    )
    raise LiteracyError(
        "clusters_not_nested",
        f"PSU {psu!r} lies in stratum {one!r} and in stratum {two!r}: PSUs must be nested in strata; use "
        "nest=True if PSU labels repeat across strata",
        zh=f"初级抽样单元 {psu!r} 同时出现在层 {one!r} 和层 {two!r} 中：初级抽样单元必须嵌套在层内；"
        "若不同层的单元编号重复，请用 nest=True",
        column=_name(psu_spec, "clusters"),
        row=row,
    )


@dataclass(frozen=True)
class _Populations:
    """The fpc column of each stage that has one, and whether it holds population sizes or fractions."""

    values: list[np.ndarray]
    kinds: list[str]
    columns: list[str]


def _read_fpc(inputs: _DesignInputs, fpc_kind: FpcKind | Sequence[FpcKind]) -> _Populations:
    """The fpc columns as numbers without gaps, and their kind (R's rule for "auto": all <= 1 means fractions)."""
    values = [numeric_column(inputs.cols, spec, inputs.n, "fpc") for spec in inputs.fpc_specs]
    columns = [_name(spec, "fpc") for spec in inputs.fpc_specs]
    for arr, column in zip(values, columns, strict=True):
        _no_missing(arr, column)
    return _Populations(values, _fpc_kinds(values, fpc_kind), columns)


def _fpc_kinds(values: list[np.ndarray], fpc_kind: FpcKind | Sequence[FpcKind]) -> list[str]:
    """One kind for all stages, or one per stage (``["population", "fraction"]``); "auto" resolved on all its values."""
    if isinstance(fpc_kind, str):
        kinds = [fpc_kind] * len(values)
    else:
        kinds = list(fpc_kind)
        if len(kinds) != len(values):
            raise LiteracyError("invalid_fpc", "give one fpc_kind per fpc column")
    if any(k not in ("auto", "population", "fraction") for k in kinds):
        raise LiteracyError("invalid_fpc", "fpc_kind must be auto, population or fraction")
    auto = [v for v, k in zip(values, kinds, strict=True) if k == "auto"]
    if not auto:
        return kinds
    allv = np.concatenate(auto)
    if np.all(allv <= 1):
        guess = "fraction"
    elif np.all(allv >= 1):
        guess = "population"
    else:
        raise LiteracyError("invalid_fpc", "fpc must be all population sizes (>=1) or all fractions (<=1)")
    return [guess if k == "auto" else k for k in kinds]


def _stratum_population(
    values: np.ndarray, kind: str, strat: np.ndarray, stratum_n: np.ndarray, *, stage: int, column: str
) -> np.ndarray:
    """N per stratum of one stage from its fpc column, which must be positive, agree within a stratum, and be >= n."""
    if kind == "population":
        pop_row = values
    else:
        if np.any(values <= 0):
            raise LiteracyError(
                "invalid_fpc",
                "sampling fractions must be positive",
                zh="抽样比必须为正数",
                column=column,
                row=int(np.argmax(values <= 0)),
            )
        pop_row = stratum_n[strat] / values
    stratum_N = np.full(stratum_n.shape[0], np.nan)
    stratum_N[strat] = pop_row  # any row's value; all must agree
    varies = ~np.isclose(stratum_N[strat], pop_row)
    if np.any(varies):
        raise LiteracyError(
            "invalid_fpc",
            f"fpc varies within a stratum at stage {stage}",
            zh=f"第 {stage} 阶段同一层内的有限总体校正数不一致",
            column=column,
            row=int(np.argmax(varies)),
        )
    if np.any(stratum_N < stratum_n - 1e-9):
        raise LiteracyError("invalid_fpc", f"fpc implies more than 100% sampling at stage {stage}")
    return stratum_N


def _build_stages(
    inputs: _DesignInputs,
    units: list[np.ndarray],
    stage_strata: _Codes,
    populations: _Populations,
) -> list[Stage]:
    """The stages from the first down: units, strata, n and N per stratum, and each stratum's parent unit.

    A stratum's multiplier is the product of the sampling fractions above it (1 at stage 1);
    without an fpc a stage samples with replacement (N infinite, fraction 0).
    """
    stages: list[Stage] = []
    parent_unit = np.zeros(inputs.n, dtype=np.int64)
    n_parents = 1
    parent_f_of_unit = np.ones(1)  # multiplier of the parent unit (stage 0 root: 1)
    for k in range(inputs.n_stages):
        unit = units[k]
        n_units = int(unit.max()) + 1
        strat, n_strata_k = stage_strata.codes[k], stage_strata.sizes[k]
        unit_stratum = np.zeros(n_units, dtype=np.int64)
        unit_stratum[unit] = strat
        stratum_n = np.bincount(unit_stratum, minlength=n_strata_k).astype(np.float64)
        if k < len(populations.values):
            stratum_N = _stratum_population(
                populations.values[k],
                populations.kinds[k],
                strat,
                stratum_n,
                stage=k + 1,
                column=populations.columns[k],
            )
        else:
            stratum_N = np.full(n_strata_k, np.inf)
        stratum_parent = np.zeros(n_strata_k, dtype=np.int64)
        if k:  # stage 1 has a single parent, the root
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
        # The next stage's strata inherit (this stratum's fraction) x (its multiplier).
        parent_f_of_unit = (stage.sampling_fraction * multiplier)[unit_stratum]
        parent_unit = unit
        n_parents = n_units
    return stages


def _design_weights(
    inputs: _DesignInputs,
    weights: ColumnSpec | None,
    populations: _Populations,
    stages: list[Stage],
    stage_strata: _Codes,
) -> np.ndarray:
    """Weights as given, or N/n per stage from the fpcs (R's ``weights(fpc, final=FALSE)``), or equal (warned)."""
    if weights is not None:
        w = numeric_column(inputs.cols, weights, inputs.n, "weights")
        _no_missing(w, _name(weights, "weights"))
        return w
    if populations.values:
        if len(populations.values) < inputs.n_stages:
            raise LiteracyError(
                "missing_weights",
                "weights can be derived from fpc only when every stage has one",
            )
        w = np.ones(inputs.n)
        for st, strat in zip(stages, stage_strata.codes, strict=True):
            w = w * st.stratum_N[strat] / st.stratum_n[strat]
        return w
    warnings.warn(
        LiteracyWarning("missing_weights", "no weights or fpc supplied: assuming equal probability"),
        stacklevel=3,  # the caller of Design.create
    )
    return np.ones(inputs.n)


def _check_weights(w: np.ndarray, weights: ColumnSpec | None) -> None:
    """Weights are finite and non-negative; else the first row that is not."""
    bad = ~np.isfinite(w) | (w < 0)
    if not np.any(bad):
        return
    row = int(np.argmax(bad))
    raise LiteracyError(
        "invalid_weights",
        f"weights must be finite and non-negative, not {w[row]!r}",
        zh=f"权数必须是有限的非负数，不能是 {w[row]!r}",
        column=_name(weights, "weights") if weights is not None else "weights",
        row=row,
        value=float(w[row]),
    )


def _variance_stages(stages: list[Stage]) -> tuple[Stage, ...]:
    """The stages that can contribute to the variance: the first, and those below it while the one above has an fpc."""
    used: list[Stage] = [stages[0]]
    for st in stages[1:]:
        if not np.any(st.stratum_multiplier > 0):
            break
        used.append(st)
    return tuple(used)


# ---------------------------------------------------------------------- helpers
def _as_list(spec: object) -> list[ColumnSpec]:
    if spec is None:
        return []
    if isinstance(spec, str | np.ndarray):
        return [spec]
    if isinstance(spec, Sequence) and spec and all(isinstance(s, str | np.ndarray) for s in spec):
        return list(spec)  # type: ignore[arg-type]
    if isinstance(spec, Sequence):
        # A plain sequence of values is one column, not several.
        return [np.asarray(spec)]
    raise LiteracyError("invalid_argument", "column specification not understood")


def _column(cols: Mapping[str, np.ndarray], spec: ColumnSpec, n: int | None, what: str) -> np.ndarray:
    if isinstance(spec, str):
        if spec not in cols:
            raise LiteracyError("missing_column", f"no column {spec!r} for {what}", column=spec)
        raw: object = cols[spec]
    else:
        raw = spec
    if isinstance(raw, pa.Array | pa.ChunkedArray):
        t = raw.type
        if pa.types.is_integer(t) or pa.types.is_floating(t):
            arr = arrow_numpy(raw)  # nulls become NaN
            arr = arr if arr.dtype.kind in "iu" else arr.astype(np.float64, copy=False)
        elif pa.types.is_decimal(t) or pa.types.is_boolean(t):
            arr = raw.cast(pa.float64()).to_numpy(zero_copy_only=False)
        else:
            if n is not None and len(raw) != n:
                raise LiteracyError("invalid_argument", f"{what} must be a vector of length {n}")
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


def _name(spec: object, what: str) -> str:
    """The column name for messages (the role when an array was given instead of a name)."""
    return spec if isinstance(spec, str) else what


def _label_at(cols: Mapping[str, object], spec: object, row: int) -> str:
    raw = cols[spec] if isinstance(spec, str) and spec in cols else spec
    try:
        v = raw[row]  # type: ignore[index]
        return str(v.as_py() if hasattr(v, "as_py") else v)
    except (TypeError, IndexError):
        return "?"


def _no_missing(arr: np.ndarray, column: str) -> None:
    missing = is_missing(arr)
    if missing.any():
        row = int(np.argmax(missing))
        raise LiteracyError(
            "missing_values",
            f"{column} has missing values ({int(missing.sum())} rows)",
            zh=f"{column} 有缺失值（共 {int(missing.sum())} 行）",
            column=column,
            row=row,
            count=int(missing.sum()),
        )


def numeric_column(cols: Mapping[str, object], spec: ColumnSpec, n: int | None, what: str) -> np.ndarray:
    """A column as float64 (missing as NaN); text that is not a number is an error naming its row.

    Numbers stored as text (``"12.5"``) are accepted; anything else (``"abc"``, ``"十二"``)
    raises ``not_numeric`` with the column, the first such row and its value.
    """
    arr = _column(cols, spec, n, what)  # type: ignore[arg-type]
    if isinstance(arr, np.ndarray) and arr.dtype.kind in "biuf":
        return arr.astype(np.float64, copy=False)
    if isinstance(arr, pa.Array | pa.ChunkedArray):
        try:  # numbers stored as text: Arrow parses them in C++
            return arr.cast(pa.float64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass  # find the offending row below
    values = arr.to_pylist() if isinstance(arr, pa.Array | pa.ChunkedArray) else list(np.asarray(arr, dtype=object))
    out = np.full(len(values), np.nan)
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        try:
            out[i] = float(v.strip() if isinstance(v, str) else v)
        except (TypeError, ValueError):
            if isinstance(v, str) and not v.strip():
                continue  # an empty cell is missing, not text
            column = _name(spec, what)
            raise LiteracyError(
                "not_numeric",
                f"{column} must hold numbers, not {v!r}",
                zh=f"{column} 应为数字，不能是 {v!r}",
                column=column,
                row=i,
                value=str(v),
            ) from None
    return out


def _infer_n(cols: Mapping[str, np.ndarray], *specs: object) -> int:
    if cols:
        lengths = {len(v) for v in cols.values()}  # type: ignore[arg-type]
        if len(lengths) != 1:
            raise LiteracyError("invalid_argument", "data columns have different lengths")
        return lengths.pop()
    for spec in specs:
        for s in _as_list(spec):
            if not isinstance(s, str):
                return len(np.asarray(s))
    raise LiteracyError("invalid_argument", "cannot tell the number of respondents")
