"""kepu.literacy: scoring and survey statistics for the citizens' scientific-literacy survey.

Pure numpy/scipy/pyarrow; nothing here imports Django, so the engine runs in tasks, on the
command line (``python -m kepu.literacy``) and in notebooks alike.
"""

from .calibration import (
    CalibrationReport,
    Margin,
    calibrate_linear,
    poststratify,
    rake,
    trim_weights,
)
from .design import LONELY_PSU_METHODS, Design
from .errors import ERROR_CODES, LiteracyError, LiteracyWarning
from .estimation import (
    Estimate,
    EstimateTable,
    estimate,
    estimate_mean,
    estimate_proportion,
    estimate_ratio,
    estimate_total,
    logit_ci,
    wilson_ci,
)
from .replicates import make_replicates, replicate_weight_matrix, with_replicate_weights
from .scoring import (
    QuestionBank,
    ScoreResult,
    ScoringRule,
    bundled_rules,
    load_rule,
    score,
    score_one,
)
from .variance import design_variance

__all__ = [
    "ERROR_CODES",
    "LONELY_PSU_METHODS",
    "CalibrationReport",
    "Design",
    "Estimate",
    "EstimateTable",
    "LiteracyError",
    "LiteracyWarning",
    "Margin",
    "QuestionBank",
    "ScoreResult",
    "ScoringRule",
    "bundled_rules",
    "calibrate_linear",
    "design_variance",
    "estimate",
    "estimate_mean",
    "estimate_proportion",
    "estimate_ratio",
    "estimate_total",
    "load_rule",
    "logit_ci",
    "make_replicates",
    "poststratify",
    "rake",
    "replicate_weight_matrix",
    "score",
    "score_one",
    "trim_weights",
    "wilson_ci",
    "with_replicate_weights",
]
