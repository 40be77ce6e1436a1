"""Reading and writing tables (CSV, Parquet) and result files (JSON, CSV) with pyarrow.

The engine works on plain ``dict[str, np.ndarray]`` columns; this module is the only
place that knows file formats, so the Django app can hand the engine columns it built
from the database without touching files.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ._groups import arrow_numpy
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
        if pa.types.is_decimal(t):
            out[name] = col.cast(pa.float64()).to_numpy(zero_copy_only=False)
        elif pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
            out[name] = arrow_numpy(col)  # integers and booleans with nulls come back as float with NaN
        elif arrow_text:
            out[name] = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col  # type: ignore[assignment]
        elif pa.types.is_string(t) or pa.types.is_large_string(t):
            out[name] = np.asarray(col.to_pylist(), dtype=object)
        else:
            out[name] = np.asarray(col.cast(pa.string()).to_pylist(), dtype=object)
    return out


def read_table(
    path: str | Path,
    *,
    columns: Sequence[str] | None = None,
    text_columns: Sequence[str] = (),
    arrow_text: bool = False,
    encoding: str = "utf-8",
) -> Columns:
    """Read a CSV or Parquet file into columns.

    ``columns`` limits the read to the columns named (those the file lacks are left for
    the caller to report); ``text_columns`` are read as text even if they look numeric
    (answer codes like "1", "2"; district codes with leading zeros). With ``arrow_text``
    text comes back as dictionary-encoded Arrow arrays, decoded once per distinct label
    (CSV: ``auto_dict_encode``; Parquet: ``read_dictionary``). CSV is read by Arrow's
    multithreaded reader; ``encoding`` other than UTF-8 (e.g. ``gbk``) is transcoded.

    A file that cannot be read is a :class:`LiteracyError` naming the file and, where
    there is one, the column and the data row (0-based in ``details["row"]``): a missing
    or empty file, a header without rows (``no_data``), text that is not valid in the
    encoding, a row with the wrong number of fields.
    """
    name = str(path)
    if not Path(name).is_file():
        raise LiteracyError("io", f"cannot read {name}: no such file", zh=f"无法读取 {name}：文件不存在", file=name)
    if _fmt(name) == "parquet":
        table = _read_parquet(name, columns, arrow_text)
    else:
        table = _read_csv(name, columns, text_columns, arrow_text, encoding)
    if table.num_rows == 0:
        raise LiteracyError(
            "no_data",
            f"{name} has no data rows" + (" (only a header)" if table.num_columns else ""),
            zh=f"{name} 没有数据行" + ("（只有表头）" if table.num_columns else ""),
            file=name,
        )
    _check_utf8(name, table, encoding)
    return to_columns(table, arrow_text=arrow_text)


def _read_parquet(name: str, columns: Sequence[str] | None, arrow_text: bool) -> pa.Table:
    import pyarrow.parquet as pq  # 20 ms; not needed for CSV

    try:
        # ParquetFile, not read_table: read_table goes through pyarrow.dataset (50 ms to import)
        schema = pq.read_schema(name)
        wanted = schema.names if columns is None else [c for c in schema.names if c in set(columns)]
        text = [f.name for f in schema if f.name in wanted and pa.types.is_string(f.type)]
        return pq.ParquetFile(name, read_dictionary=text if arrow_text else None).read(columns=wanted)
    except (OSError, pa.ArrowInvalid) as exc:
        raise LiteracyError("io", f"cannot read {name}: {exc}", zh=f"无法读取 {name}：{exc}", file=name) from exc


def _header(name: str, encoding: str) -> list[str]:
    """The CSV header's column names, checking that the line decodes in the encoding."""
    with open(name, "rb") as fh:
        line = fh.readline(1 << 20)
    if not line.strip():
        raise LiteracyError("no_data", f"{name} is empty", zh=f"{name} 是空文件", file=name)
    if line.startswith(b"\xef\xbb\xbf"):
        line = line[3:]
    try:
        text = line.decode(encoding)
    except UnicodeDecodeError as exc:
        raise _encoding_error(name, encoding, None, None, exc.start) from None
    except LookupError:
        raise LiteracyError("invalid_argument", f"unknown encoding {encoding!r}", zh=f"未知编码 {encoding!r}") from None
    return next(csv.reader([text]))


def _encoding_error(name: str, encoding: str, column: str | None, row: int | None, byte: int | None) -> LiteracyError:
    where = " (its header)" if row is None and column is None else ""
    where_zh = "（表头）" if row is None and column is None else ""
    hint = " or pass --encoding gbk" if encoding.lower().replace("-", "") in ("utf8",) else ""
    return LiteracyError(
        "io",
        f"{name} is not {encoding} text{where}; a CSV saved by Excel in Chinese is often GBK: save it as UTF-8{hint}",
        zh=f"{name} 不是 {encoding} 编码的文本{where_zh}；中文 Excel 另存的 CSV 常为 GBK 编码："
        f"请另存为 UTF-8" + ("，或加上 --encoding gbk" if hint else ""),
        file=name,
        column=column,
        row=row,
        byte=byte,
    )


def _read_csv(
    name: str, columns: Sequence[str] | None, text_columns: Sequence[str], arrow_text: bool, encoding: str
) -> pa.Table:
    header = _header(name, encoding)
    wanted = None if columns is None else [c for c in header if c in set(columns)]
    types = {c: pa.string() for c in text_columns if wanted is None or c in wanted}
    first_bad: list[pacsv.InvalidRow] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        first_bad.append(row)
        return "error"

    try:
        return pacsv.read_csv(
            name,
            read_options=pacsv.ReadOptions(use_threads=True, encoding=encoding),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted,
                column_types=types,
                strings_can_be_null=True,
                auto_dict_encode=arrow_text,
            ),
        )
    except (OSError, pa.ArrowInvalid) as exc:
        if first_bad:
            raise _ragged_error(name, encoding, first_bad[0]) from None
        text = str(exc)
        if "invalid UTF8" in text:
            column = _column_of_arrow_error(text, wanted if wanted is not None else header)
            row = _first_bad_utf8_row(name, column) if column else None
            raise _encoding_error(name, encoding, column, row, None) from None
        raise LiteracyError("io", f"cannot read {name}: {text}", zh=f"无法读取 {name}：{text}", file=name) from exc


def _column_of_arrow_error(text: str, names: Sequence[str]) -> str | None:
    marker = "In CSV column #"
    if marker not in text:
        return None
    try:
        return names[int(text.split(marker, 1)[1].split(":", 1)[0])]
    except (ValueError, IndexError):
        return None


def _first_bad_utf8_row(name: str, column: str) -> int | None:
    table = pacsv.read_csv(
        name,
        convert_options=pacsv.ConvertOptions(include_columns=[column], column_types={column: pa.binary()}),
    )
    for i, v in enumerate(table.column(0).to_pylist()):
        if v is not None:
            try:
                v.decode("utf-8")
            except UnicodeDecodeError:
                return i
    return None


def _ragged_error(name: str, encoding: str, bad: pacsv.InvalidRow) -> LiteracyError:
    """Find the data row with the wrong number of fields (Arrow reads in parallel and does not know it)."""
    row = line = None
    with open(name, encoding=encoding, errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        for i, fields in enumerate(reader):
            if len(fields) != bad.expected_columns and any(f.strip() for f in fields):
                row, line = i, reader.line_num
                break
    return LiteracyError(
        "io",
        f"a row of {name} has {bad.actual_columns} fields, the header has {bad.expected_columns}: {bad.text[:80]!r}",
        zh=f"{name} 有一行有 {bad.actual_columns} 个字段，表头有 {bad.expected_columns} 个：{bad.text[:80]!r}",
        file=name,
        row=row,
        line=line,
    )


def _check_utf8(name: str, table: pa.Table, encoding: str) -> None:
    """Arrow reads text that is not UTF-8 as bytes: name the column and the first such row."""
    for column in table.column_names:
        col = table.column(column)
        t = col.type
        if pa.types.is_dictionary(t):
            t = t.value_type
        if not (pa.types.is_binary(t) or pa.types.is_large_binary(t)):
            continue
        for i, v in enumerate(col.to_pylist()):
            if v is not None:
                try:
                    v.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise _encoding_error(name, encoding, column, i, exc.start) from None


def _arrow_array(values: np.ndarray) -> pa.Array:
    arr = np.asarray(values)
    if arr.dtype.kind == "O":
        return pa.array([None if (v is None or (isinstance(v, float) and math.isnan(v))) else v for v in arr])
    return pa.array(arr)


def write_table(path: str | Path, columns: Mapping[str, np.ndarray] | Sequence[Mapping[str, Any]]) -> None:
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
            import pyarrow.parquet as pq

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
        Path(path).write_text(json.dumps(_clean(obj), ensure_ascii=False, indent=2), encoding="utf-8")
    except OSError as exc:
        raise LiteracyError("io", f"cannot write {path}: {exc}") from exc


def read_json(path: str | Path) -> Any:
    """Read a JSON file, as a :class:`LiteracyError` (code ``io``) on failure."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise LiteracyError("io", f"cannot read JSON {path}: {exc}") from exc
