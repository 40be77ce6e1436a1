"""Load the California API sample (R's ``data(api)``) from the SQLite copy in the repo.

SQLite stored R's NA as NULL and some numeric columns as text (``fpc2``), so columns are
converted here: numbers become float arrays with NaN for NA, everything else str/None.
"""

from __future__ import annotations

import sqlite3
from functools import cache
from pathlib import Path

import numpy as np

DB = Path(__file__).parent / "data" / "api.db"


def _convert(values: list[object]) -> np.ndarray:
    present = [v for v in values if v is not None]
    try:
        nums = [float(v) for v in present]  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return np.array([None if v is None else str(v) for v in values], dtype=object)
    out = np.full(len(values), np.nan)
    out[[i for i, v in enumerate(values) if v is not None]] = nums
    return out


@cache
def load(table: str) -> dict[str, np.ndarray]:
    """Return the table as columns; text columns stay labels (stype, sch_wide...)."""
    con = sqlite3.connect(DB)
    try:
        cur = con.execute(f"SELECT * FROM {table}")
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    finally:
        con.close()
    cols: dict[str, np.ndarray] = {}
    labels = {
        "stype",
        "sch_wide",
        "comp_imp",
        "both",
        "awards",
        "yr_rnd",
        "cds",
        "name",
        "sname",
        "dname",
        "cname",
        "row_names",
    }
    for j, name in enumerate(names):
        vals = [r[j] for r in rows]
        if name in labels:
            cols[name] = np.array([None if v is None else str(v) for v in vals], dtype=object)
        else:
            cols[name] = _convert(vals)
    return cols
