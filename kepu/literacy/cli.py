"""Command line: ``python -m kepu.literacy {score,estimate,rules} ...``.

``score`` turns an answers file into per-respondent scores; ``estimate`` reads the
responses of a survey round (optionally scoring them first), the design and the
population margins, calibrates, and writes the estimates for the city and each domain
as JSON (with the design and calibration reports) and CSV. Exit status 2 means a
:class:`LiteracyError`: its code and message are printed on stderr in English and Chinese,
with the file, the column and the data row it concerns.

Only the columns an estimate needs are read (CSV by Arrow's multithreaded reader, text
dictionary-encoded), so a round of a million respondents is read in a fraction of a second.
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
    RAKE_VARIANCES,
    Margin,
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
    p = argparse.ArgumentParser(prog="python -m kepu.literacy", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("score", help="score an answers file (one column per question id)")
    s.add_argument("--answers", required=True, help="CSV or Parquet, one row per respondent")
    s.add_argument("--bank", required=True, help="question bank JSON (with the answer key)")
    s.add_argument("--key", help="answer key JSON {question_id: answer}, overriding the bank's")
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
    s.add_argument("--encoding", default="utf-8", help="text encoding of CSV input (default utf-8; e.g. gbk)")

    e = sub.add_parser("estimate", help="calibrate and estimate for the city and domains")
    e.add_argument("--data", required=True, help="responses, CSV or Parquet")
    e.add_argument(
        "--design",
        help="design JSON: strata, clusters, weights, fpc, fpc_kind, lonely_psu, nest",
    )
    e.add_argument("--design-data", help="design columns in a separate CSV/Parquet, joined on --id")
    e.add_argument("--id", default="respondent_id", help="respondent id column for --design-data")
    e.add_argument("--strata", action="append", help="stratum column (repeat per stage)")
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
    e.add_argument("--fpc-kind", choices=["auto", "population", "fraction"], default=None)
    e.add_argument("--lonely-psu", choices=LONELY_PSU_METHODS, default=None)
    e.add_argument(
        "--margins",
        help="population margins: JSON, or CSV/Parquet with variable,level,total",
    )
    e.add_argument("--calibration", choices=["rake", "poststratify", "linear"], default="rake")
    e.add_argument(
        "--variance",
        choices=RAKE_VARIANCES,
        default="calibrate",
        help="linearization after raking: calibrate (default; residuals from the base-weighted regression on "
        "the margins, exact, as R's calibrate(calfun='raking')) or rake (R's rake(): unweighted cell means, "
        "ten sweeps; to reproduce figures computed with it)",
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
    e.add_argument("--bank", help="score the answers in --data with this question bank first")
    e.add_argument("--rule", default="current", help="scoring rule when --bank is given")
    e.add_argument(
        "--variable",
        action="append",
        help="outcome column (repeatable; default: literate)",
    )
    e.add_argument("--statistic", choices=["proportion", "mean", "total"], default="proportion")
    e.add_argument(
        "--domain",
        action="append",
        default=[],
        help="domain column, or a*b for a cross (repeatable)",
    )
    e.add_argument("--no-overall", action="store_true", help="skip the whole-population estimate")
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
    e.add_argument("--encoding", default="utf-8", help="text encoding of CSV input (default utf-8; e.g. gbk)")

    sub.add_parser("rules", help="print the bundled scoring rules as JSON")
    return p


def _score_cmd(args: argparse.Namespace) -> int:
    if not args.out_csv and not args.out_json:
        raise LiteracyError("invalid_argument", "give --out-csv and/or --out-json")
    bank = _from_file(args.bank, QuestionBank.load)
    rule = load_rule(args.rule) if args.rule in bundled_rules() else _from_file(args.rule, load_rule)
    key = read_json(args.key) if args.key else None
    data = read_table(args.answers, columns=[*bank.ids, *args.keep], text_columns=bank.ids, encoding=args.encoding)
    missing = [q for q in bank.ids if q not in data]
    if missing:
        raise LiteracyError(
            "io",
            f"answer columns missing from the answers file: {', '.join(missing[:10])}",
            zh=f"答题文件缺少以下题目的列：{'、'.join(missing[:10])}",
            file=args.answers,
            questions=missing,
        )
    answers = np.column_stack([data[q] for q in bank.ids]).astype(object)
    res = score(answers, bank=bank, rule=rule, key=key)
    cols: dict[str, np.ndarray] = {}
    for k in args.keep:
        if k not in data:
            raise LiteracyError(
                "missing_column", f"no column {k!r} to keep", zh=f"没有要保留的列 {k!r}", column=k, file=args.answers
            )
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
            "literate_share_unweighted": float(res.literate.mean()) if len(rows) else None,
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
            raise LiteracyError(
                "io", "the design JSON must be an object", zh="设计 JSON 必须是一个对象", file=args.design
            )
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
        raise LiteracyError(
            "io",
            f"unknown design keys {sorted(unknown)} (known: {', '.join(sorted(allowed))})",
            zh=f"未知的设计项 {sorted(unknown)}（可用：{', '.join(sorted(allowed))}）",
            file=args.design,
        )
    return spec


def _join_design_table(data: dict[str, Any], table: dict[str, Any], key: str, files: tuple[str, str]) -> np.ndarray:
    """Add the design table's columns to the responses, matched on the respondent id.

    Done with a sort and a binary search, so it stays vectorized for large rounds.
    Returns, for each response, its row in the design table (to name rows in errors).
    """
    for name, cols in zip(files, (data, table), strict=True):
        if key not in cols:
            raise LiteracyError(
                "missing_column",
                f"no respondent id column {key!r} (--id) to join the design table on",
                zh=f"没有用于连接设计表的受访者编号列 {key!r}（--id）",
                file=name,
                column=key,
            )
    ids = data[key] if isinstance(data[key], np.ndarray) else as_object_array(data[key])
    tids = table[key] if isinstance(table[key], np.ndarray) else as_object_array(table[key])
    order = np.argsort(tids, kind="stable")
    sorted_ids = tids[order]
    repeated = np.flatnonzero(sorted_ids[1:] == sorted_ids[:-1]) if len(sorted_ids) > 1 else []
    if len(repeated):
        row = int(order[repeated[0] + 1])
        raise LiteracyError(
            "io",
            f"the design table repeats respondent id {tids[row]!r}",
            zh=f"设计表中受访者编号 {tids[row]!r} 重复",
            file=files[1],
            column=key,
            row=row,
        )
    pos = np.clip(np.searchsorted(sorted_ids, ids), 0, max(len(sorted_ids) - 1, 0))
    found = sorted_ids[pos] == ids
    if not np.all(found):
        row = int(np.argmax(~found))
        raise LiteracyError(
            "io",
            f"respondent id {ids[row]!r} is not in the design table {files[1]} ({int((~found).sum())} missing)",
            zh=f"受访者编号 {ids[row]!r} 不在设计表 {files[1]} 中（共缺 {int((~found).sum())} 个）",
            file=files[0],
            column=key,
            row=row,
        )
    rows = order[pos]
    for name, col in table.items():
        if name == key or name in data:
            continue
        data[name] = col[rows] if isinstance(col, np.ndarray) else col.take(pa.array(rows))
    return rows


def _load_margins(path: str, encoding: str) -> list[Margin]:
    if Path(path).suffix.lower() == ".json":
        return _from_file(path, lambda p: margins_from_json(read_json(p)))
    tbl = read_table(path, text_columns=("variable", "level"), encoding=encoding)
    for c in ("variable", "level", "total"):
        if c not in tbl:
            raise LiteracyError(
                "io",
                f"the margins table needs columns variable, level, total (missing {c})",
                zh=f"边际表需要 variable、level、total 三列（缺少 {c}）",
                file=path,
                column=c,
            )
    recs = []
    for i, (v, lev, t) in enumerate(zip(tbl["variable"], tbl["level"], tbl["total"], strict=True)):
        for column, value in (("variable", v), ("level", lev)):
            if value is None or not str(value).strip():
                raise LiteracyError("io", f"empty {column}", zh=f"{column} 为空", file=path, column=column, row=i)
        try:
            total = float(t)
        except (TypeError, ValueError):
            total = float("nan")
        if not np.isfinite(total) or total < 0:
            raise LiteracyError(
                "io",
                f"a population total must be a non-negative number, not {t!r}",
                zh=f"总体数必须是非负数，不能是 {t!r}",
                file=path,
                column="total",
                row=i,
            )
        recs.append({"variable": v, "level": lev, "total": total})
    return _from_file(path, lambda _p: margins_from_records(recs))


def _from_file(path: str, load: Any) -> Any:
    """Call ``load(path)``, naming the file in any error it raises."""
    try:
        return load(path)
    except LiteracyError as exc:
        exc.details.setdefault("file", path)
        raise


def _needed_columns(spec: dict[str, Any], margins: list[Margin], variables: list[str], domains: list[Any]) -> set[str]:
    """The columns an estimate reads: the design's, the margins', the outcomes' and the domains'."""
    out: set[str] = set()
    for key in ("strata", "clusters", "weights", "fpc"):
        value = spec.get(key)
        out.update([value] if isinstance(value, str) else [v for v in value or () if isinstance(v, str)])
    for m in margins:
        out.update(m.variables if isinstance(m.variables, tuple) else [m.variables])  # type: ignore[arg-type]
    out.update(variables)
    for d in domains:
        out.update(d if isinstance(d, tuple) else [d] if d else [])
    return {c for c in out if isinstance(c, str)}


def _estimate_cmd(args: argparse.Namespace) -> int:
    bank = _from_file(args.bank, QuestionBank.load) if args.bank else None
    spec = _design_spec(args)
    margins = _load_margins(args.margins, args.encoding) if args.margins else []
    variables = args.variable or ["literate"]
    domains: list[Any] = [] if args.no_overall else [None]
    domains += [tuple(d.split("*")) if "*" in d else d for d in args.domain]
    needed = _needed_columns(spec, margins, variables, domains)
    if bank is not None:
        needed.update(bank.ids)
    if args.design_data:
        needed.add(args.id)
    # Text stays Arrow (dictionary-encoded): labels are then hashed without Python strings.
    data = read_table(
        args.data,
        columns=sorted(needed),
        text_columns=bank.ids if bank else (),
        arrow_text=True,
        encoding=args.encoding,
    )
    sources: dict[str, tuple[str, np.ndarray | None]] = {c: (args.data, None) for c in data}
    if args.design_data:
        table = read_table(args.design_data, columns=sorted(needed), arrow_text=True, encoding=args.encoding)
        rows = _join_design_table(data, table, args.id, (args.data, args.design_data))
        sources.update({c: (args.design_data, rows) for c in table if c not in sources})
    rule_info = None
    try:
        if bank is not None:
            rule = load_rule(args.rule)
            data.update(score_columns(data, bank=bank, rule=rule).columns())
            rule_info = rule.as_dict()
        result = estimate_round(
            data,
            design=spec,
            margins=margins,
            calibration=args.calibration,
            rake_variance=args.variance,
            variables=variables,
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
    except LiteracyError as exc:
        _locate(exc, sources, [args.data, *([args.design_data] if args.design_data else [])])
        raise
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


def _locate(exc: LiteracyError, sources: dict[str, tuple[str, np.ndarray | None]], files: list[str]) -> None:
    """Turn the engine's column and row (in the joined data) into a file and its row."""
    d = exc.details
    if "file" in d:
        return
    column = d.get("column")
    if column in sources:
        path, rows = sources[column]
        d["file"] = path
        if rows is not None and d.get("row") is not None:
            d["row"] = int(rows[int(d["row"])])
    elif exc.code == "missing_column" or d.get("row") is not None:
        d["file"] = " / ".join(files)


def _location(details: dict[str, Any]) -> tuple[str, str]:
    """Where an error is, in English and Chinese: file, column, data row (and line for CSV)."""
    file, column, row = details.get("file"), details.get("column"), details.get("row")
    en: list[str] = []
    zh: list[str] = []
    if file:
        en.append(str(file))
        zh.append(f"文件 {file}")
    if column is not None:
        en.append(f"column {column!r}")
        zh.append(f"列“{column}”")
    if row is not None:
        r = int(row) + 1
        csv_line = details.get("line") or (r + 1 if str(file or "").lower().endswith((".csv", ".txt")) else None)
        en.append(f"data row {r}" + (f" (line {csv_line})" if csv_line else ""))
        zh.append(f"第 {r} 行数据" + (f"（文件第 {csv_line} 行）" if csv_line else ""))
    return ", ".join(en), "，".join(zh)


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
        en, zh = _location(exc.details)
        print(f"error [{exc.code}] {exc.message}", file=sys.stderr)
        if en:
            print(f"  at {en}", file=sys.stderr)
        print(f"错误 [{exc.code}] {exc.message_zh}", file=sys.stderr)
        if zh:
            print(f"  位置：{zh}", file=sys.stderr)
        return 2
