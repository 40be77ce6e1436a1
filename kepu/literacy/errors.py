"""Errors and warnings of the literacy engine.

Callers (the Django app, the command line) branch on ``code``, never on the message, so
codes are part of the public contract: once published, a code keeps its meaning.

An error about a value in the data carries ``column`` and ``row`` (0-based position in the
columns the engine was given) in ``details``; the command line turns them into the file,
the column and the data row a person can find in a spreadsheet.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ERROR_CODES", "ERROR_CODES_ZH", "LiteracyError", "LiteracyWarning"]

#: Every code the engine raises or warns with, and what it means.
ERROR_CODES: dict[str, str] = {
    "invalid_argument": "an argument has the wrong type, shape or value",
    "missing_values": "a variable needed for the computation has missing values",
    "domain_missing": "respondents without a value of the domain variable are in no domain (the population only)",
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
    "no_data": "the data have no rows",
    "not_numeric": "a column that must hold numbers holds text",
}

#: The same, in Chinese, for people reading an error (the command line prints both).
ERROR_CODES_ZH: dict[str, str] = {
    "invalid_argument": "参数的类型、形状或取值不正确",
    "missing_values": "计算所需的变量有缺失值",
    "domain_missing": "分组变量为空的受访者不计入任何分组（只计入总体）",
    "missing_column": "数据中没有指定的列",
    "lonely_psu": "某一层只抽到一个初级抽样单元（lonely_psu='fail'）",
    "lonely_psu_unsupported": "该单一初级抽样单元处理方法不能与这种方差估计方法同用",
    "clusters_not_nested": "同一初级抽样单元出现在不止一个层中",
    "invalid_fpc": "有限总体校正数据不一致",
    "missing_weights": "既无权数也无总体规模，无法得到权数",
    "invalid_weights": "权数为负数、不应为零处为零或不是有限数",
    "calibration_not_converged": "校准在最大迭代次数内未达到容差",
    "calibration_infeasible": "校准方程无解（例如某一格没有样本）",
    "margin_mismatch": "样本中的类别与总体边际不一致",
    "already_calibrated": "该设计已经校准过",
    "no_replicates": "要求用重复权数估计方差，但设计没有重复权数",
    "not_supported": "不支持这种选项组合",
    "scoring_rule": "评分规则或题库无效",
    "io": "输入文件无法读取或格式不对",
    "no_data": "数据没有任何行",
    "not_numeric": "应为数字的列中有文字",
}


class LiteracyError(Exception):
    """An error with a stable machine-readable code.

    The code lets the web app map failures to user messages and HTTP statuses without
    parsing English text; ``details`` carries the data a message would interpolate
    (e.g. the offending stratum). ``zh`` is the message in Chinese where one was written;
    otherwise :attr:`message_zh` falls back to the Chinese meaning of the code.
    """

    def __init__(self, code: str, message: str, *, zh: str | None = None, **details: Any) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message
        self.zh = zh
        self.details = details

    @property
    def message_zh(self) -> str:
        """The message in Chinese (the code's meaning when no specific text was given)."""
        return self.zh or ERROR_CODES_ZH[self.code]

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly form, so APIs can pass the error on unchanged."""
        return {"code": self.code, "message": self.message, "message_zh": self.message_zh, "details": self.details}


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
