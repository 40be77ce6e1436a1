"""kepu.literacy: scoring and survey statistics for the citizens' scientific-literacy survey.

Pure numpy/pyarrow (scipy only for replicate weights); nothing here imports Django, so the
engine runs in tasks, on the command line (``python -m kepu.literacy``) and in notebooks alike.
Figures are checked against R's survey package (reference output stored in
``tests/engine/data/r/``).

Scoring one submitted questionnaire (e.g. in a service after the quiz is submitted)::

    bank = QuestionBank.from_dict(questionnaire_json)      # questions, dimensions, key
    result = score_one({"k01": "B", ...}, bank=bank, rule=load_rule("current"))
    # {"rule": "csl-current", "dimensions": {...}, "total": 72.0,
    #  "literate": True, "tier": "literate"}

Estimating a survey round (e.g. in a background task)::

    result = estimate_round(
        columns,                                   # dict of numpy/Arrow columns
        design={"strata": "stratum", "clusters": ["psu"], "weights": "weight"},
        margins=margins_from_records(population_rows),
        domains=[None, "district", "sex", "age_group"],
    )
    result.as_dict()  # design, calibration report, estimates with SE, CI, df

After raking, the linearization is by default the calibration estimator's (residuals from
the base-weighted regression on the margins; R's ``calibrate(calfun="raking")``), computed
exactly; ``rake_variance="rake"`` (command line ``--variance rake``) gives R's ``rake()``,
which approximates it with unweighted cell means. See :func:`rake`.

Errors are :class:`LiteracyError` with a stable ``code`` (see ``ERROR_CODES``) and a
message in English and Chinese; errors about data name the column and row in ``details``.
An estimate without an interval says why in ``note`` (see ``INTERVAL_NOTES``).
"""

from .calibration import (
    CalibrationReport,
    Margin,
    calibrate_linear,
    margins_from_json,
    margins_from_records,
    poststratify,
    rake,
    trim_weights,
)
from .design import LONELY_PSU_METHODS, Design
from .errors import ERROR_CODES, ERROR_CODES_ZH, LiteracyError, LiteracyWarning
from .estimation import (
    INTERVAL_NOTES,
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
from .pipeline import RoundResult, estimate_round, score_columns
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
    "ERROR_CODES_ZH",
    "INTERVAL_NOTES",
    "LONELY_PSU_METHODS",
    "CalibrationReport",
    "Design",
    "Estimate",
    "EstimateTable",
    "LiteracyError",
    "LiteracyWarning",
    "Margin",
    "QuestionBank",
    "RoundResult",
    "ScoreResult",
    "ScoringRule",
    "bundled_rules",
    "calibrate_linear",
    "design_variance",
    "estimate",
    "estimate_mean",
    "estimate_proportion",
    "estimate_ratio",
    "estimate_round",
    "estimate_total",
    "load_rule",
    "logit_ci",
    "make_replicates",
    "margins_from_json",
    "margins_from_records",
    "poststratify",
    "rake",
    "replicate_weight_matrix",
    "score",
    "score_columns",
    "score_one",
    "trim_weights",
    "wilson_ci",
    "with_replicate_weights",
]
