"""Command line: ``python -m kepu.literacy {score,estimate,rules} ...``.

``score`` turns an answers file into per-respondent scores; ``estimate`` reads the
responses of a survey round (optionally scoring them first), the design and the
population margins, calibrates, and writes the estimates for the city and each domain
as JSON (with the design and calibration reports) and CSV. Exit status 2 means a
:class:`LiteracyError`; its code is printed on stderr and in the JSON error file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from .calibration import (
    margins_from_json,
    margins_from_records,
)
from .design import LONELY_PSU_METHODS
from .errors import LiteracyError
from .io import read_json, read_table, write_json, write_table
from .pipeline import as_object_array, estimate_round, score_columns
from .scoring import QuestionBank, bundled_rules, load_rule, score

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    p = argparse.ArgumentParser(
        prog="python -m kepu.literacy", description=__doc__.splitlines()[0]
    )
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser(
        "score", help="score an answers file (one column per question id)"
    )
    s.add_argument(
        "--answers", required=True, help="CSV or Parquet, one row per respondent"
    )
    s.add_argument(
        "--bank", required=True, help="question bank JSON (with the answer key)"
    )
    s.add_argument(
        "--key", help="answer key JSON {question_id: answer}, overriding the bank's"
    )
    s.add_argument(
        "--rule",
        default="current",
        help=f"bundled rule ({', '.join(bundled_rules())}) or a JSON file",
    )
    s.add_argument(
        "--keep",
        action="append",
        default=[],
        help="input column to copy to the output (repeatable)",
    )
    s.add_argument("--out-csv", help="per-respondent scores, CSV (or .parquet)")
    s.add_argument("--out-json", help="per-respondent scores and the rule, JSON")

    e = sub.add_parser(
        "estimate", help="calibrate and estimate for the city and domains"
    )
    e.add_argument("--data", required=True, help="responses, CSV or Parquet")
    e.add_argument(
        "--design",
        help="design JSON: strata, clusters, weights, fpc, fpc_kind, lonely_psu, nest",
    )
    e.add_argument(
        "--design-data", help="design columns in a separate CSV/Parquet, joined on --id"
    )
    e.add_argument(
        "--id", default="respondent_id", help="respondent id column for --design-data"
    )
    e.add_argument(
        "--strata", action="append", help="stratum column (repeat per stage)"
    )
    e.add_argument(
        "--cluster",
        action="append",
        help="cluster column, first stage first (repeatable)",
    )
    e.add_argument("--weights", help="base weight column")
    e.add_argument(
        "--fpc",
        action="append",
        help="fpc column per stage (population sizes or fractions)",
    )
    e.add_argument(
        "--fpc-kind", choices=["auto", "population", "fraction"], default=None
    )
    e.add_argument("--lonely-psu", choices=LONELY_PSU_METHODS, default=None)
    e.add_argument(
        "--margins",
        help="population margins: JSON, or CSV/Parquet with variable,level,total",
    )
    e.add_argument(
        "--calibration", choices=["rake", "poststratify", "linear"], default="rake"
    )
    e.add_argument("--max-iter", type=int, default=50)
    e.add_argument(
        "--tolerance",
        type=float,
        default=1e-8,
        help="relative tolerance (fraction of the total weight)",
    )
    e.add_argument(
        "--bounds",
        type=float,
        nargs=2,
        metavar=("LOWER", "UPPER"),
        help="bounds on g = w/d",
    )
    e.add_argument("--on-nonconvergence", choices=["raise", "warn"], default="raise")
    e.add_argument(
        "--bank", help="score the answers in --data with this question bank first"
    )
    e.add_argument(
        "--rule", default="current", help="scoring rule when --bank is given"
    )
    e.add_argument(
        "--variable",
        action="append",
        help="outcome column (repeatable; default: literate)",
    )
    e.add_argument(
        "--statistic", choices=["proportion", "mean", "total"], default="proportion"
    )
    e.add_argument(
        "--domain",
        action="append",
        default=[],
        help="domain column, or a*b for a cross (repeatable)",
    )
    e.add_argument(
        "--no-overall", action="store_true", help="skip the whole-population estimate"
    )
    e.add_argument(
        "--replicates",
        choices=["jk1", "jkn", "bootstrap"],
        help="use replicate-weight variance",
    )
    e.add_argument("--n-replicates", type=int, default=200, help="bootstrap replicates")
    e.add_argument("--seed", type=int, default=20240601, help="bootstrap seed")
    e.add_argument(
        "--mse",
        action="store_true",
        help="replicate variance around the full-sample estimate",
    )
    e.add_argument(
        "--ci",
        choices=["logit", "wilson", "wald"],
        help="interval method for proportions",
    )
    e.add_argument("--confidence", type=float, default=0.95)
    e.add_argument("--deff", choices=["wor", "replace"], help="add design effects")
    e.add_argument(
        "--na-rm",
        action="store_true",
        help="treat missing outcomes as outside the domain",
    )
    e.add_argument("--out-json", required=True)
    e.add_argument("--out-csv", help="estimates table, CSV (or .parquet)")

    sub.add_parser("rules", help="print the bundled scoring rules as JSON")
    return p


def _score_cmd(args: argparse.Namespace) -> int:
    if not args.out_csv and not args.out_json:
        raise LiteracyError("invalid_argument", "give --out-csv and/or --out-json")
    bank = QuestionBank.load(args.bank)
    rule = load_rule(args.rule)
    key = read_json(args.key) if args.key else None
    data = read_table(args.answers, text_columns=bank.ids)
    missing = [q for q in bank.ids if q not in data]
    if missing:
        raise LiteracyError(
            "io", "answer columns missing from the answers file", questions=missing
        )
    answers = np.column_stack([data[q] for q in bank.ids]).astype(object)
    res = score(answers, bank=bank, rule=rule, key=key)
    cols: dict[str, np.ndarray] = {}
    for k in args.keep:
        if k not in data:
            raise LiteracyError("missing_column", f"no column {k!r} to keep", column=k)
        cols[k] = data[k]
    cols.update(res.columns())
    if args.out_csv:
        write_table(args.out_csv, cols)
    if args.out_json:
        rows = []
        for i in range(len(res.total)):
            r = res.row(i)
            for k in args.keep:
                r[k] = data[k][i]
            rows.append(r)
        summary = {
            "respondents": len(rows),
            "literate": int(res.literate.sum()),
            "literate_share_unweighted": float(res.literate.mean())
            if len(rows)
            else None,
        }
        write_json(
            args.out_json,
            {
                "rule": rule.as_dict(),
                "bank": bank.id,
                "summary": summary,
                "respondents": rows,
            },
        )
    return 0


def _design_spec(args: argparse.Namespace) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if args.design:
        spec = read_json(args.design)
        if not isinstance(spec, dict):
            raise LiteracyError("io", "design JSON must be an object")
    for key, val in (
        ("strata", args.strata),
        ("clusters", args.cluster),
        ("weights", args.weights),
        ("fpc", args.fpc),
        ("fpc_kind", args.fpc_kind),
        ("lonely_psu", args.lonely_psu),
    ):
        if val is not None:
            spec[key] = val
    allowed = {"strata", "clusters", "weights", "fpc", "fpc_kind", "lonely_psu", "nest"}
    unknown = set(spec) - allowed
    if unknown:
        raise LiteracyError("io", f"unknown design keys {sorted(unknown)}")
    return spec


def _join_design_table(data: dict[str, Any], table: dict[str, Any], key: str) -> None:
    """Add the design table's columns to the responses, matched on the respondent id.

    Done with a sort and a binary search, so it stays vectorized for large rounds.
    """
    if key not in data or key not in table:
        raise LiteracyError(
            "io", f"both the data and the design table need the id column {key!r}"
        )
    ids = (
        as_object_array(data[key])
        if not isinstance(data[key], np.ndarray)
        else data[key]
    )
    tids = (
        as_object_array(table[key])
        if not isinstance(table[key], np.ndarray)
        else table[key]
    )
    order = np.argsort(tids, kind="stable")
    sorted_ids = tids[order]
    if len(sorted_ids) > 1 and np.any(sorted_ids[1:] == sorted_ids[:-1]):
        raise LiteracyError("io", "the design table repeats a respondent id")
    pos = np.clip(np.searchsorted(sorted_ids, ids), 0, max(len(sorted_ids) - 1, 0))
    found = (
        sorted_ids[pos] == ids if len(sorted_ids) else np.zeros(len(ids), dtype=bool)
    )
    if not np.all(found):
        raise LiteracyError(
            "io", "respondents missing from the design table", count=int((~found).sum())
        )
    rows = order[pos]
    for name, col in table.items():
        if name == key or name in data:
            continue
        data[name] = (
            col[rows] if isinstance(col, np.ndarray) else col.take(pa.array(rows))
        )


def _load_margins(path: str) -> list:
    if Path(path).suffix.lower() == ".json":
        return margins_from_json(read_json(path))
    tbl = read_table(path, text_columns=("variable", "level"))
    for c in ("variable", "level", "total"):
        if c not in tbl:
            raise LiteracyError(
                "io",
                f"margins table needs columns variable, level, total (missing {c})",
            )
    recs = [
        {"variable": v, "level": lev, "total": t}
        for v, lev, t in zip(tbl["variable"], tbl["level"], tbl["total"], strict=True)
    ]
    return margins_from_records(recs)


def _estimate_cmd(args: argparse.Namespace) -> int:
    bank = QuestionBank.load(args.bank) if args.bank else None
    # Text stays Arrow: district and other labels are then hashed without Python strings.
    data = read_table(args.data, text_columns=bank.ids if bank else (), arrow_text=True)
    if args.design_data:
        _join_design_table(data, read_table(args.design_data, arrow_text=True), args.id)
    rule_info = None
    if bank is not None:
        rule = load_rule(args.rule)
        data.update(score_columns(data, bank=bank, rule=rule).columns())
        rule_info = rule.as_dict()
    spec = _design_spec(args)
    domains: list[Any] = [] if args.no_overall else [None]
    domains += [tuple(d.split("*")) if "*" in d else d for d in args.domain]
    result = estimate_round(
        data,
        design=spec,
        margins=_load_margins(args.margins) if args.margins else (),
        calibration=args.calibration,
        variables=args.variable or ["literate"],
        statistic=args.statistic,
        domains=domains,
        replicates=args.replicates,
        n_replicates=args.n_replicates,
        seed=args.seed,
        mse=args.mse,
        ci_method=args.ci,
        confidence=args.confidence,
        deff=args.deff or False,
        na_rm=args.na_rm,
        max_iter=args.max_iter,
        tolerance=args.tolerance,
        bounds=tuple(args.bounds) if args.bounds else None,
        on_nonconvergence=args.on_nonconvergence,
    )
    for w in result.warnings:
        print(f"warning [{w['code']}] {w['message']}", file=sys.stderr)
    out = result.as_dict()
    out["inputs"] = {
        "data": args.data,
        "design": args.design,
        "design_data": args.design_data,
        "margins": args.margins,
        "bank": args.bank,
    }
    out["scoring_rule"] = rule_info
    write_json(args.out_json, out)
    if args.out_csv:
        write_table(args.out_csv, result.records())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "score":
            return _score_cmd(args)
        if args.command == "estimate":
            return _estimate_cmd(args)
        print(
            json.dumps(
                {n: load_rule(n).as_dict() for n in bundled_rules()},
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    except LiteracyError as exc:
        print(f"error [{exc.code}] {exc.message}", file=sys.stderr)
        return 2
