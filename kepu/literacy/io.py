"""Reading and writing tables (CSV, Parquet) and result files (JSON, CSV) with pyarrow.

The engine works on plain ``dict[str, np.ndarray]`` columns; this module is the only
place that knows file formats, so the Django app can hand the engine columns it built
from the database without touching files.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .errors import LiteracyError

__all__ = ["read_json", "read_table", "to_columns", "write_json", "write_table"]

Columns = dict[str, np.ndarray]


def _fmt(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".csv", ".txt"):
        return "csv"
    raise LiteracyError("io", f"unknown table format for {path} (use .csv or .parquet)")


def to_columns(table: pa.Table, *, arrow_text: bool = False) -> Columns:
    """Convert an Arrow table to numpy columns: numbers as float/int, text as objects.

    With ``arrow_text`` text columns stay Arrow arrays, which the engine factorizes
    without creating Python strings (several times faster for a million rows).

    Integer columns with nulls become float with NaN, booleans with nulls become float;
    text stays ``object`` with None for null, which the engine treats as missing.
    """
    out: Columns = {}
    for name in table.column_names:
        col = table.column(name)
        t = col.type
        if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
            if col.null_count or pa.types.is_decimal(t) or pa.types.is_floating(t):
                out[name] = col.cast(pa.float64()).to_numpy(zero_copy_only=False)
            else:
                out[name] = col.to_numpy()
        elif pa.types.is_boolean(t):
            arr = col.cast(pa.float64()).to_numpy(zero_copy_only=False)
            out[name] = arr if col.null_count else arr.astype(bool)
        elif arrow_text:
            out[name] = (
                col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
            )  # type: ignore[assignment]
        else:
            out[name] = np.asarray(col.cast(pa.string()).to_pylist(), dtype=object)
    return out


def read_table(
    path: str | Path, *, text_columns: Sequence[str] = (), arrow_text: bool = False
) -> Columns:
    """Read a CSV or Parquet file into columns.

    ``text_columns`` are read as text even if they look numeric (answer codes like
    "1", "2"; district codes with leading zeros).
    """
    try:
        if _fmt(path) == "parquet":
            table = pq.read_table(path)
        else:
            types = {c: pa.string() for c in text_columns}
            table = pacsv.read_csv(
                path,
                convert_options=pacsv.ConvertOptions(
                    column_types=types, strings_can_be_null=True
                ),
            )
    except (OSError, pa.ArrowInvalid) as exc:
        raise LiteracyError("io", f"cannot read {path}: {exc}") from exc
    return to_columns(table, arrow_text=arrow_text)


def _arrow_array(values: np.ndarray) -> pa.Array:
    arr = np.asarray(values)
    if arr.dtype.kind == "O":
        return pa.array(
            [
                None if (v is None or (isinstance(v, float) and math.isnan(v))) else v
                for v in arr
            ]
        )
    return pa.array(arr)


def write_table(
    path: str | Path, columns: Mapping[str, np.ndarray] | Sequence[Mapping[str, Any]]
) -> None:
    """Write columns (or a list of row dicts) as CSV or Parquet, chosen by suffix."""
    if isinstance(columns, Mapping):
        table = pa.table({k: _arrow_array(v) for k, v in columns.items()})
    else:
        rows = list(columns)
        names: list[str] = []
        for r in rows:
            names.extend(k for k in r if k not in names)
        table = pa.table({k: pa.array([r.get(k) for r in rows]) for k in names})
    try:
        if _fmt(path) == "parquet":
            pq.write_table(table, path)
        else:
            pacsv.write_csv(table, path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise LiteracyError("io", f"cannot write {path}: {exc}") from exc


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_clean(v) for v in obj.tolist()]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return None if not math.isfinite(float(obj)) else float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def write_json(path: str | Path, obj: Any) -> None:
    """Write JSON (UTF-8, Chinese kept readable, NaN as null)."""
    try:
        Path(path).write_text(
            json.dumps(_clean(obj), ensure_ascii=False, indent=2), encoding="utf-8"
        )
    except OSError as exc:
        raise LiteracyError("io", f"cannot write {path}: {exc}") from exc


def read_json(path: str | Path) -> Any:
    """Read a JSON file, as a :class:`LiteracyError` (code ``io``) on failure."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise LiteracyError("io", f"cannot read JSON {path}: {exc}") from exc
