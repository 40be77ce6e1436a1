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

from .errors import LiteracyError

__all__ = [
    "Grouper",
    "arrow_numpy",
    "combine_codes",
    "dense_combine",
    "factorize",
    "group_sum",
    "indicator",
    "is_missing",
]


def arrow_numpy(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A numeric or boolean Arrow column as a numpy array, nulls as NaN (integers become float).

    Arrow's own ``to_numpy`` imports pandas when it is installed (0.3 s or more at start-up);
    primitive columns are read straight from their buffers instead.
    """
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    parts = [_chunk_numpy(ch) for ch in chunks]
    if not parts:
        return np.empty(0)
    if any(p.dtype.kind == "f" for p in parts):
        parts = [p.astype(np.float64, copy=False) for p in parts]
    return np.concatenate(parts) if len(parts) > 1 else parts[0].copy()


def _chunk_numpy(ch: pa.Array) -> np.ndarray:
    t = ch.type
    n, off = len(ch), ch.offset
    validity, data = ch.buffers()[:2]
    if pa.types.is_boolean(t):
        out = np.unpackbits(np.frombuffer(data, np.uint8), count=n + off, bitorder="little")[off:].astype(bool)
    elif pa.types.is_integer(t) or pa.types.is_floating(t):
        kind = "f" if pa.types.is_floating(t) else ("i" if pa.types.is_signed_integer(t) else "u")
        out = np.frombuffer(data, np.dtype(f"<{kind}{t.bit_width // 8}"), count=n + off)[off:]
    else:
        raise TypeError(f"not a numeric Arrow type: {t}")
    if ch.null_count:
        valid = np.unpackbits(np.frombuffer(validity, np.uint8), count=n + off, bitorder="little")[off:].astype(bool)
        out = np.where(valid, out.astype(np.float64), np.nan)
    return out


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
    values: np.ndarray, *, allow_missing: bool = False, name: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Map labels to dense codes ``0..k-1`` in sorted label order (R's factor order).

    Sorted order matters because R orders factor levels the same way, and tests compare
    level by level. Missing labels get code -1 when ``allow_missing`` is true; otherwise
    they are an error naming the column (``name``) and the first row, since a respondent
    without a stratum or PSU cannot be placed in the design. Text is hashed by Arrow
    (sorting a million Python strings would take seconds), and dictionary-encoded Arrow
    columns (as read from Parquet or CSV) are mapped through their small dictionaries;
    small-range integers use a lookup table instead of a sort.
    """
    if isinstance(values, pa.Array | pa.ChunkedArray):
        codes, labels = _factorize_arrow(values)
    else:
        arr = np.asarray(values)
        if arr.ndim != 1:
            raise LiteracyError("invalid_argument", "grouping variables must be one-dimensional")
        if arr.dtype.kind in "OUS":
            codes, labels = _factorize_text(arr)
        elif arr.dtype.kind in "iub" and arr.size:
            codes, labels = _factorize_int(arr.astype(np.int64, copy=False))
        else:
            codes, labels = _factorize_sorted(arr)
    if not allow_missing:
        missing = codes < 0
        if missing.any():
            row = int(np.argmax(missing))
            column = name or "grouping variable"
            raise LiteracyError(
                "missing_values",
                f"{column} has missing values ({int(missing.sum())} rows)",
                zh=f"{column} 有缺失值（共 {int(missing.sum())} 行）",
                column=name,
                row=row,
                count=int(missing.sum()),
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


#: Above this key space, ranks come from a bit table instead of an int64 lookup table: a fresh
#: 40 MB table costs 0.1 s of page faults in a new process (the command line's case).
_LOOKUP_MAX = 1 << 18


def presence_codes(key: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes of integer keys in ``[0, space)`` via a presence table, in O(n + space).

    Returns the codes and the sorted distinct keys; replaces a sort when the key space
    is at most a few times the number of keys. A key's code is the number of distinct
    keys below it: for a large space it is counted on the presence table packed into
    64-bit words (a prefix count per word plus a popcount within the word), which
    keeps every table small.
    """
    present = np.zeros(space, dtype=bool)
    present[key] = True
    uniq = np.flatnonzero(present)
    if space <= _LOOKUP_MAX or not hasattr(np, "bitwise_count"):
        lookup = np.empty(space, dtype=np.int64)  # only entries at keys are ever read
        lookup[uniq] = np.arange(uniq.size)
        return lookup[key], uniq
    packed = np.packbits(present, bitorder="little")
    packed = np.concatenate([packed, np.zeros(-packed.size % 8, dtype=np.uint8)])
    words = packed.view("<u8")
    counts = np.bitwise_count(words).astype(np.int64)
    before = np.cumsum(counts) - counts
    word = key >> 6
    below = words[word] & ((np.uint64(1) << (key & 63).astype(np.uint64)) - np.uint64(1))
    return before[word] + np.bitwise_count(below), uniq


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
    t = pa_arr.type
    if pa.types.is_dictionary(t) and not (pa.types.is_string(t.value_type) or pa.types.is_large_string(t.value_type)):
        pa_arr = pa_arr.cast(t.value_type)
        t = pa_arr.type
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        num = pa_arr.cast(pa.float64()).to_numpy(zero_copy_only=False)
        return _factorize_sorted(num)
    if pa.types.is_null(t):
        return np.full(len(pa_arr), -1, dtype=np.int64), np.array([], dtype=object)
    if not pa.types.is_dictionary(t):
        if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
            pa_arr = pa_arr.cast(pa.string())
        pa_arr = pa_arr.dictionary_encode()
    chunks = pa_arr.chunks if isinstance(pa_arr, pa.ChunkedArray) else [pa_arr]
    return _factorize_dictionaries(chunks)


def _factorize_dictionaries(chunks: Sequence[pa.DictionaryArray]) -> tuple[np.ndarray, np.ndarray]:
    """Codes of dictionary-encoded chunks, whose dictionaries may differ from chunk to chunk.

    Only the dictionaries (a few labels each) are handled in Python; the rows are mapped
    with one ``take`` per chunk from the chunk's own (zero-copy) indices. Labels that no
    row uses are dropped, so they never become empty domains.
    """
    label_code: dict[str, int] = {}
    maps: list[np.ndarray] = []
    indices: list[np.ndarray] = []
    for ch in chunks:
        entries = ch.dictionary.to_pylist()
        maps.append(
            np.array([-1 if lab is None else label_code.setdefault(lab, len(label_code)) for lab in entries] + [-1])
        )
        idx = ch.indices
        if idx.null_count:
            idx = idx.fill_null(len(entries))  # null rows point at the trailing -1
        indices.append(arrow_numpy(idx).astype(np.int64, copy=False))
    k = len(label_code)
    used = np.zeros(k + 1, dtype=bool)
    for m, idx in zip(maps, indices, strict=True):
        used[m[np.bincount(idx, minlength=len(m)) > 0]] = True
    labels = np.asarray(list(label_code), dtype=object)
    order = np.asarray([i for i in np.argsort(labels.astype(str), kind="stable") if used[i]], dtype=np.int64)
    rank = np.full(k + 1, -1, dtype=np.int64)
    rank[order] = np.arange(order.size)
    parts = [rank[m][idx] for m, idx in zip(maps, indices, strict=True)]
    codes = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
    return codes, labels[order] if order.size else np.array([], dtype=object)


def combine_codes(codes: Sequence[np.ndarray], sizes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
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


def dense_combine(codes: Sequence[np.ndarray], sizes: Sequence[int]) -> tuple[np.ndarray, int]:
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

    One bincount per column is the fastest path for a few columns; for many columns one
    ``reduceat`` over the rows sorted by group does a single pass instead.
    """
    vals = np.asarray(values, dtype=np.float64)
    if vals.ndim == 1:
        return np.bincount(index, weights=vals, minlength=size)
    k = vals.shape[1]
    if k <= 16:
        out = np.empty((size, k))
        for j in range(k):
            out[:, j] = np.bincount(index, weights=vals[:, j], minlength=size)
        return out
    return Grouper(index, size).sum(vals)


class Grouper:
    """Sums of rows by group, for a grouping used many times (raking's margins).

    One column is a ``bincount``; several columns are one ``np.add.reduceat`` over the
    rows sorted once by group, which beats a bincount per column and needs no sparse
    matrix.
    """

    def __init__(self, codes: np.ndarray, size: int) -> None:
        self.codes = np.asarray(codes, dtype=np.int64)
        self.size = int(size)
        ordered = self.codes.size < 2 or bool(np.all(self.codes[1:] >= self.codes[:-1]))
        self.order = None if ordered else np.argsort(self.codes, kind="stable")
        counts = np.bincount(self.codes, minlength=self.size)
        self.nonempty = np.flatnonzero(counts)
        self.starts = (np.cumsum(counts) - counts)[self.nonempty]

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Group sums of ``values`` (n or n x k)."""
        v = np.asarray(values, dtype=np.float64)
        if v.ndim == 1:
            return np.bincount(self.codes, weights=v, minlength=self.size)
        out = np.zeros((self.size, v.shape[1]))
        if self.nonempty.size:
            out[self.nonempty] = np.add.reduceat(v if self.order is None else v[self.order], self.starts, axis=0)
        return out

    def sum_columns(self, values: np.ndarray) -> np.ndarray:
        """Group sums of the columns of ``values`` (k x n), returned as groups x k.

        Summing along contiguous rows is several times faster than down the columns of
        an n x k array when k is more than a handful.
        """
        v = np.asarray(values, dtype=np.float64)
        out = np.zeros((v.shape[0], self.size))
        if self.nonempty.size:
            out[:, self.nonempty] = np.add.reduceat(v if self.order is None else v[:, self.order], self.starts, axis=1)
        return out.T


def indicator(index: np.ndarray, size: int, data: np.ndarray | None = None):
    """Return the sparse ``size x n`` matrix with ``data`` (default 1) at (index[i], i).

    Multiplying it by an n x k matrix sums rows by group; reused across many columns it
    is cheaper than repeated bincounts. scipy.sparse is imported here, not at start-up:
    the command line's common path never needs it (its import costs 0.1 s).
    """
    import scipy.sparse as sp

    n = len(index)
    vals = np.ones(n) if data is None else np.asarray(data, dtype=np.float64)
    return sp.csr_matrix((vals, (np.asarray(index), np.arange(n))), shape=(size, n))
