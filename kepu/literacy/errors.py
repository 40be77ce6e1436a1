"""Errors and warnings of the literacy engine.

Callers (the Django app, the command line) branch on ``code``, never on the message, so
codes are part of the public contract: once published, a code keeps its meaning.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ERROR_CODES", "LiteracyError", "LiteracyWarning"]

#: Every code the engine raises or warns with, and what it means.
ERROR_CODES: dict[str, str] = {
    "invalid_argument": "an argument has the wrong type, shape or value",
    "missing_values": "a variable needed for the computation has missing values",
    "missing_column": "a named column is not in the data",
    "lonely_psu": "a stratum has a single sampled PSU and lonely_psu='fail'",
    "lonely_psu_unsupported": "the lonely-PSU method cannot be used with this variance method",
    "clusters_not_nested": "a PSU appears in more than one stratum",
    "invalid_fpc": "finite population corrections are inconsistent",
    "missing_weights": "no weights and no population sizes: weights cannot be derived",
    "invalid_weights": "weights are negative, zero where they must not be, or not finite",
    "calibration_not_converged": "the calibration did not meet its tolerance within max_iter",
    "calibration_infeasible": "the calibration equations have no solution (e.g. an empty cell)",
    "margin_mismatch": "sample levels and population margins do not match",
    "already_calibrated": "the design has already been calibrated",
    "no_replicates": "replicate variance was asked for a design without replicate weights",
    "not_supported": "the combination of options is not supported",
    "scoring_rule": "the scoring rule or question bank is invalid",
    "io": "an input file cannot be read or has the wrong layout",
}


class LiteracyError(Exception):
    """An error with a stable machine-readable code.

    The code lets the web app map failures to user messages and HTTP statuses without
    parsing English text; ``details`` carries the data a message would interpolate
    (e.g. the offending stratum).
    """

    def __init__(self, code: str, message: str, **details: Any) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly form, so APIs can pass the error on unchanged."""
        return {"code": self.code, "message": self.message, "details": self.details}


class LiteracyWarning(UserWarning):
    """A warning with a stable code, for results that are usable but need attention.

    Non-convergence of a calibration with ``on_nonconvergence="warn"`` is reported this
    way (and in the returned report), so it is never silent.
    """

    def __init__(self, code: str, message: str, **details: Any) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown warning code {code!r}")
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message
        self.details = details
