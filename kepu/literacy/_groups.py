"""Vectorized grouping primitives shared by the design, calibration and estimation code.

Everything the engine computes is a weighted sum over some grouping of respondents
(PSUs, strata, calibration cells, domains). These helpers turn labels into dense integer
codes once, and then aggregate with ``np.bincount`` or a sparse indicator matrix, so no
code path loops over respondents in Python.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from .errors import LiteracyError

__all__ = [
    "combine_codes",
    "factorize",
    "group_sum",
    "indicator",
    "is_missing",
]


def is_missing(values: np.ndarray) -> np.ndarray:
    """Return a boolean mask of missing entries (NaN for numbers, None/NaN for objects)."""
    arr = np.asarray(values)
    if arr.dtype.kind == "f":
        return np.isnan(arr)
    if arr.dtype.kind in "iub":
        return np.zeros(arr.shape, dtype=bool)
    if arr.dtype.kind in "US":
        return arr == ""
    # Object arrays: None, NaN floats and pandas/pyarrow nulls all count as missing.
    flat = arr.ravel()
    mask = np.fromiter(
        (v is None or (isinstance(v, float) and np.isnan(v)) for v in flat),
        dtype=bool,
        count=flat.size,
    )
    return mask.reshape(arr.shape)


def factorize(
    values: np.ndarray, *, allow_missing: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Map labels to dense codes ``0..k-1`` in sorted label order (R's factor order).

    Sorted order matters because R orders factor levels the same way, and tests compare
    level by level. Missing labels get code -1 when ``allow_missing`` is true; otherwise
    they are an error, since a respondent without a stratum or PSU cannot be placed in
    the design.
    """
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise LiteracyError(
            "invalid_argument", "grouping variables must be one-dimensional"
        )
    missing = is_missing(arr)
    if missing.any():
        if not allow_missing:
            raise LiteracyError(
                "missing_values",
                "grouping variable has missing values",
                count=int(missing.sum()),
            )
        codes = np.full(arr.shape[0], -1, dtype=np.int64)
        present = ~missing
        labels, inv = np.unique(_sortable(arr[present]), return_inverse=True)
        codes[present] = inv
        return codes, labels
    labels, inv = np.unique(_sortable(arr), return_inverse=True)
    return inv.astype(np.int64, copy=False), labels


def _sortable(arr: np.ndarray) -> np.ndarray:
    """Make object arrays of mixed str/int sortable by comparing them as strings."""
    if arr.dtype.kind == "O":
        kinds = {type(v) for v in arr[: min(arr.size, 1000)]}
        if len(kinds) > 1 or (kinds and not kinds <= {str}):
            if all(k in (int, float, bool, np.int64, np.float64) for k in kinds):
                return arr.astype(np.float64)
            return arr.astype(str)
        return arr.astype(str)
    return arr


def combine_codes(
    codes: Sequence[np.ndarray], sizes: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Return dense codes of the interaction of several code arrays, and the unique keys.

    The interaction key is a mixed-radix integer, which np.unique sorts in one pass; the
    returned ``first`` index array is not needed by callers, so only codes and the unique
    composite keys are returned (callers decode keys with ``np.unravel_index``).
    """
    if not codes:
        raise LiteracyError("invalid_argument", "no codes to combine")
    total = 1
    for s in sizes:
        total *= max(int(s), 1)
    if total >= 2**62:
        # Fall back to a row-wise unique on the stacked codes; slower but exact.
        stacked = np.stack([np.asarray(c, dtype=np.int64) for c in codes], axis=1)
        keys, inv = np.unique(stacked, axis=0, return_inverse=True)
        return inv.reshape(-1).astype(np.int64), keys
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for c, s in zip(codes, sizes, strict=True):
        key = key * max(int(s), 1) + np.asarray(c, dtype=np.int64)
    uniq, inv = np.unique(key, return_inverse=True)
    return inv.astype(np.int64, copy=False), uniq


def group_sum(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Sum rows of ``values`` (n or n x k) by ``index`` into ``size`` groups.

    One bincount per column is the fastest path for a few columns; for many columns a
    sparse indicator product does a single pass over the data instead.
    """
    vals = np.asarray(values, dtype=np.float64)
    if vals.ndim == 1:
        return np.bincount(index, weights=vals, minlength=size)
    k = vals.shape[1]
    if k <= 8:
        out = np.empty((size, k))
        for j in range(k):
            out[:, j] = np.bincount(index, weights=vals[:, j], minlength=size)
        return out
    return np.asarray(indicator(index, size) @ vals)


def indicator(
    index: np.ndarray, size: int, data: np.ndarray | None = None
) -> sp.csr_matrix:
    """Return the sparse ``size x n`` matrix with ``data`` (default 1) at (index[i], i).

    Multiplying it by an n x k matrix sums rows by group; reused across many columns it
    is cheaper than repeated bincounts.
    """
    n = len(index)
    vals = np.ones(n) if data is None else np.asarray(data, dtype=np.float64)
    return sp.csr_matrix((vals, (np.asarray(index), np.arange(n))), shape=(size, n))
