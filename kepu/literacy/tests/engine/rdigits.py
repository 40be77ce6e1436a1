"""Compare a computed value with a number as R printed it.

R prints ``svymean``/``svytotal`` results with ``printCoefmat``: the estimate column is
rounded to ``max(1, 5 - digmin)`` decimals (``digmin`` = digits before the point of the
largest estimate) and the SE column to 4 decimals, and then both are formatted to 5
significant digits. That double rounding shows: an SE of 23.920486 prints as 23.921.
``svyby``, ``svyratio`` and data frames print 7 significant digits with no pre-rounding.
"""

from __future__ import annotations

import math
from typing import Literal

Column = Literal["plain", "coef", "se"]


def significant_digits(shown: str) -> int:
    """Significant digits in a printed number, trailing zeros included (R printed them)."""
    s = shown.strip().lstrip("+-").lower()
    mantissa = s.split("e")[0]
    digits = mantissa.replace(".", "").lstrip("0")
    return max(len(digits), 1)


def _round_sig(x: float, sig: int) -> float:
    return float(f"{x:.{sig - 1}e}")


def as_r_prints(value: float, shown: str, column: Column = "plain") -> float:
    """Round ``value`` the way R produced ``shown``."""
    v = float(value)
    if column == "se":
        v = round(v, 4)
    elif column == "coef" and v != 0:
        digmin = 1 + math.floor(math.log10(abs(v)))
        v = round(v, max(1, 5 - digmin))
    return _round_sig(v, significant_digits(shown))


def matches_r(value: float, shown: str, column: Column = "plain") -> bool:
    """True when ``value`` prints as ``shown`` under R's rounding for that column."""
    sig = significant_digits(shown)
    return as_r_prints(value, shown, column) == _round_sig(float(shown), sig)
