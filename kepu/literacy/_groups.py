"""Vectorized grouping primitives shared by the design, calibration and estimation code.

Everything the engine computes is a weighted sum over some grouping of respondents
(PSUs, strata, calibration cells, domains). These helpers turn labels into dense integer
codes once, and then aggregate with ``np.bincount`` or a sparse indicator matrix, so no
code path loops over respondents in Python.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from .errors import LiteracyError

__all__ = [
    "combine_codes",
    "dense_combine",
    "factorize",
    "group_sum",
    "indicator",
    "is_missing",
]


def is_missing(values: np.ndarray) -> np.ndarray:
    """Return a boolean mask of missing entries (NaN for numbers, None/NaN for objects)."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return np.asarray(values.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    arr = np.asarray(values)
    if arr.dtype.kind == "f":
        return np.isnan(arr)
    if arr.dtype.kind in "iub":
        return np.zeros(arr.shape, dtype=bool)
    if arr.dtype.kind in "US":
        return arr == ""
    # Object arrays: None and NaN are missing. Arrow does the scan in C++.
    flat = arr.ravel()
    try:
        mask = pa.array(flat, from_pandas=True).is_null().to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        mask = np.fromiter(
            (v is None or (isinstance(v, float) and np.isnan(v)) for v in flat),
            dtype=bool,
            count=flat.size,
        )
    return np.asarray(mask, dtype=bool).reshape(arr.shape)


def factorize(
    values: np.ndarray, *, allow_missing: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Map labels to dense codes ``0..k-1`` in sorted label order (R's factor order).

    Sorted order matters because R orders factor levels the same way, and tests compare
    level by level. Missing labels get code -1 when ``allow_missing`` is true; otherwise
    they are an error, since a respondent without a stratum or PSU cannot be placed in
    the design. Text is hashed by Arrow (sorting a million Python strings would take
    seconds); small-range integers use a lookup table instead of a sort.
    """
    if isinstance(values, pa.Array | pa.ChunkedArray):
        codes, labels = _factorize_arrow(values)
        if not allow_missing and (codes < 0).any():
            raise LiteracyError(
                "missing_values",
                "grouping variable has missing values",
                count=int((codes < 0).sum()),
            )
        return codes, labels
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise LiteracyError(
            "invalid_argument", "grouping variables must be one-dimensional"
        )
    if arr.dtype.kind in "OUS":
        codes, labels = _factorize_text(arr)
    elif arr.dtype.kind in "iub" and arr.size:
        codes, labels = _factorize_int(arr.astype(np.int64, copy=False))
    else:
        codes, labels = _factorize_sorted(arr)
    if not allow_missing and (codes < 0).any():
        raise LiteracyError(
            "missing_values",
            "grouping variable has missing values",
            count=int((codes < 0).sum()),
        )
    return codes, labels


def _factorize_sorted(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    missing = is_missing(arr)
    codes = np.full(arr.shape[0], -1, dtype=np.int64)
    labels, inv = np.unique(arr[~missing], return_inverse=True)
    codes[~missing] = inv.reshape(-1)
    return codes, labels


def _factorize_int(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = int(arr.min()), int(arr.max())
    if hi - lo > 4 * arr.size + 1024:
        return _factorize_sorted(arr)
    codes, uniq = presence_codes(arr - lo, hi - lo + 1)
    return codes, uniq + lo


def presence_codes(key: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes of integer keys in ``[0, space)`` via a presence table, in O(n + space).

    Returns the codes and the sorted distinct keys; replaces a sort when the key space
    is at most a few times the number of keys.
    """
    present = np.zeros(space, dtype=bool)
    present[key] = True
    uniq = np.flatnonzero(present)
    lookup = np.empty(space, dtype=np.int64)  # only entries at keys are ever read
    lookup[uniq] = np.arange(uniq.size)
    return lookup[key], uniq


def _factorize_text(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    try:
        pa_arr = pa.array(arr, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # Mixed types (e.g. ints and strings): compare them as text, like R's factor().
        miss = is_missing(arr)
        pa_arr = pa.array(np.where(miss, None, arr.astype(str)), from_pandas=True)
    return _factorize_arrow(pa_arr)


def _factorize_arrow(
    pa_arr: pa.Array | pa.ChunkedArray,
) -> tuple[np.ndarray, np.ndarray]:
    if pa.types.is_integer(pa_arr.type) or pa.types.is_floating(pa_arr.type):
        num = pa_arr.cast(pa.float64()).to_numpy(zero_copy_only=False)
        return _factorize_sorted(num)
    if pa.types.is_dictionary(pa_arr.type):
        pa_arr = pa_arr.cast(pa.string())
    if pa.types.is_null(pa_arr.type):
        return np.full(len(pa_arr), -1, dtype=np.int64), np.array([], dtype=object)
    if not (pa.types.is_string(pa_arr.type) or pa.types.is_large_string(pa_arr.type)):
        pa_arr = pa_arr.cast(pa.string())
    enc = pc.dictionary_encode(pa_arr)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    uniques = np.asarray(enc.dictionary.to_pylist(), dtype=object)
    order = np.argsort(uniques.astype(str), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    idx = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    codes = np.where(idx >= 0, rank[np.maximum(idx, 0)], -1)
    return codes, uniques[order]


def combine_codes(
    codes: Sequence[np.ndarray], sizes: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Return dense codes of the interaction of several code arrays, and the unique keys.

    The interaction key is a mixed-radix integer (decode with ``np.unravel_index``).
    When the key space is small a presence table replaces the sort.
    """
    if not codes:
        raise LiteracyError("invalid_argument", "no codes to combine")
    total = 1
    for s in sizes:
        total *= max(int(s), 1)
    if total >= 2**62:
        stacked = np.stack([np.asarray(c, dtype=np.int64) for c in codes], axis=1)
        keys, inv = np.unique(stacked, axis=0, return_inverse=True)
        return inv.reshape(-1).astype(np.int64), keys
    key = np.asarray(codes[0], dtype=np.int64).copy()
    for c, s in zip(codes[1:], sizes[1:], strict=True):
        key *= max(int(s), 1)
        key += np.asarray(c, dtype=np.int64)
    n = key.shape[0]
    if total <= 8 * n + 4096:
        return presence_codes(key, total)
    uniq, inv = np.unique(key, return_inverse=True)
    return inv.reshape(-1).astype(np.int64, copy=False), uniq


def dense_combine(
    codes: Sequence[np.ndarray], sizes: Sequence[int]
) -> tuple[np.ndarray, int]:
    """Dense codes of the interaction of several code arrays, and how many there are.

    Unlike :func:`combine_codes` the keys are not returned, which allows compressing
    after each variable: the running key space stays within a presence table of a few
    times n, so the interaction costs O(n) instead of a sort.
    """
    cur = np.asarray(codes[0], dtype=np.int64)
    cur_size = max(int(sizes[0]), 1)
    n = cur.shape[0]
    for c, s in zip(codes[1:], sizes[1:], strict=True):
        s = max(int(s), 1)
        key = cur * s + np.asarray(c, dtype=np.int64)
        space = cur_size * s
        if space <= 8 * n + 4096:
            cur, uniq = presence_codes(key, space)
            cur_size = int(uniq.size)
        else:
            _, inv = np.unique(key, return_inverse=True)
            cur = inv.reshape(-1).astype(np.int64)
            cur_size = int(cur.max()) + 1 if n else 0
    return cur, cur_size


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
