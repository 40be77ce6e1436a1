"""Benchmark of kepu.literacy against R's survey package and samplics on a synthetic city survey.

One million respondents, 200 strata, 4,000 PSUs, 16 districts, a 0/1 literacy outcome;
raking to four margins (district x sex, age group, urban/rural, education); the literacy
proportion for the city and the 16 districts with linearization SEs, and again with 80
bootstrap replicate weights (each replicate raked too). All three engines run in the same
run, on the same data. See README.md beside this file for the command and the figures.

* Our command line, end to end (start-up, reading, raking, estimating, writing), on the
  survey written as CSV and as Parquet, in a fresh process each time.
* R (``r_bench.R``): reading the CSV, ``svydesign`` + ``rake`` + ``svymean`` + ``svyby``
  (R's rake() linearization), and ``calibrate(calfun="raking")`` likewise; its figures are
  compared with ours for ``--variance rake`` and ``--variance calibrate``.
* samplics cannot compute calibration-aware linearization SEs (its Taylor estimator treats
  raked weights as design weights), so the numbers are compared on what both do:
  raking (our raked weights against ``SampleWeight.rake``), linearization on the same
  raked weights taken as design weights, replicates (``ReplicateEstimator`` on our raked
  replicate weights).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Self

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kepu.literacy import (
    Design,
    estimate_proportion,
    make_replicates,
    rake,
    replicate_weight_matrix,
)
from kepu.literacy.synthetic import make_survey

DOMAIN = "district"


def best_of(fn, repeats: int) -> tuple[float, float, Any]:
    """Best wall time of ``repeats`` runs, the CPU time of that run, and its result.

    The machine is shared, so the minimum is the least disturbed run; CPU time (all
    threads of this process) shows the work done whatever the load.
    """
    best = (float("inf"), float("inf"))
    out = None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        best = min(best, (time.perf_counter() - t0, time.process_time() - c0))
    return best[0], best[1], out


class Clock:
    """Wall and CPU time of a block."""

    def __enter__(self) -> Self:
        self.t0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.t0
        self.cpu = time.process_time() - self.c0


def ours_linearization(data, spec, margins, tol):
    design = Design.create(data, **spec)
    raked = rake(design, margins, tolerance=tol, max_iter=200)
    city = estimate_proportion(raked, "literate")
    by = estimate_proportion(raked, "literate", domain=DOMAIN)
    return raked, city, by


def ours_replicates(data, spec, margins, tol, reps, seed):
    design = Design.create(data, **spec)
    boot = make_replicates(design, "bootstrap", replicates=reps, seed=seed)
    raked = rake(boot, margins, tolerance=tol, max_iter=200)
    city = estimate_proportion(raked, "literate")
    by = estimate_proportion(raked, "literate", domain=DOMAIN)
    return raked, city, by


def rel(a: np.ndarray, b: np.ndarray) -> float:
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def write_inputs(survey, folder: Path) -> dict[str, Path]:
    """The survey as a round's files: responses (CSV and Parquet), design JSON, margins CSV."""
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.table({k: pa.array(v) for k, v in survey.data.items()})
    paths = {
        "csv": folder / "responses.csv",
        "parquet": folder / "responses.parquet",
        "design": folder / "design.json",
        "margins": folder / "margins.csv",
    }
    pacsv.write_csv(table, paths["csv"])
    pq.write_table(table, paths["parquet"])
    paths["design"].write_text(json.dumps(survey.design), encoding="utf-8")
    recs = survey.margin_records
    pacsv.write_csv(
        pa.table({k: [r[k] for r in recs] for k in ("variable", "level", "total")}),
        paths["margins"],
    )
    return paths


def time_cli(args: list[str], repeats: int) -> dict[str, Any]:
    """Wall and CPU time (user + system, all threads) of fresh ``python -m kepu.literacy`` runs."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    walls, cpus = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kepu.literacy", *args], check=True, cwd=ROOT, env=env)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    best = int(np.argmin(walls))
    return {
        "best_seconds": round(walls[best], 3),
        "median_seconds": round(statistics.median(walls), 3),
        "cpu_seconds_of_best": round(cpus[best], 3),
        "runs": [round(w, 3) for w in walls],
    }


def ours_cli(paths: dict[str, Path], out: Path, tol: float, repeats: int) -> dict[str, Any]:
    common = ["--design", str(paths["design"]), "--margins", str(paths["margins"]), "--domain", DOMAIN]
    common += ["--tolerance", repr(tol), "--max-iter", "200"]
    result: dict[str, Any] = {}
    for fmt in ("parquet", "csv"):
        for variance in ("calibrate", "rake"):
            target = out / f"ours_{fmt}_{variance}.json"
            args = ["estimate", "--data", str(paths[fmt]), *common, "--variance", variance, "--out-json", str(target)]
            result[f"{fmt}_{variance}"] = time_cli(args, repeats if variance == "calibrate" else 1)
            result[f"{fmt}_{variance}"]["output"] = str(target)
    return result


def cli_figures(path: str) -> dict[str, tuple[float, float]]:
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    out = {}
    for table in doc["results"]:
        for e in table["estimates"]:
            out[e["domain"] or ""] = (e["estimate"], e["se"])
    return out


def run_r(folder: Path, tol: float, cli: dict[str, Any]) -> dict[str, Any] | None:
    if shutil.which("Rscript") is None:
        return None
    t0 = time.perf_counter()
    subprocess.run(["Rscript", str(ROOT / "bench" / "literacy" / "r_bench.R"), str(folder), repr(tol)], check=True)
    wall = time.perf_counter() - t0
    with open(folder / "r_times.csv", encoding="utf-8") as fh:
        timing = list(csv.DictReader(fh))
    times = {r["step"]: float(r["seconds"]) for r in timing}
    cpu = {r["step"]: float(r["cpu_seconds"]) for r in timing}
    with open(folder / "r_estimates.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    agreement = {}
    for method in ("rake", "calibrate"):
        ours = cli_figures(cli[f"parquet_{method}"]["output"])
        theirs = {r["domain"]: (float(r["estimate"]), float(r["se"])) for r in rows if r["method"] == method}
        agreement[method] = {
            "estimate_max_rel_diff": rel([ours[k][0] for k in theirs], [v[0] for v in theirs.values()]),
            "se_max_rel_diff": rel([ours[k][1] for k in theirs], [v[1] for v in theirs.values()]),
            "r_city_se": theirs[""][1],
        }
    steps = {m: ("design", m, f"{m}_city", f"{m}_districts") for m in ("rake", "calibrate")}
    estimation = {m: sum(times[s] for s in st) for m, st in steps.items()}
    estimation_cpu = {m: sum(cpu[s] for s in st) for m, st in steps.items()}
    return {
        "versions": (folder / "r_versions.txt").read_text(encoding="utf-8").strip().splitlines(),
        "seconds": {k: round(v, 3) for k, v in times.items()},
        "cpu_seconds": {k: round(v, 3) for k, v in cpu.items()},
        "estimation_seconds": {k: round(v, 3) for k, v in estimation.items()},
        "estimation_cpu_seconds": {k: round(v, 3) for k, v in estimation_cpu.items()},
        "process_seconds": round(wall, 3),
        "agreement_with_ours": agreement,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--respondents", type=int, default=1_000_000)
    ap.add_argument("--strata", type=int, default=200)
    ap.add_argument("--psus", type=int, default=4000)
    ap.add_argument("--replicates", type=int, default=80)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--repeats", type=int, default=5, help="timed runs of ours (best is kept)")
    ap.add_argument("--tolerance", type=float, default=1e-10, help="raking tolerance (relative), ours and R's")
    ap.add_argument(
        "--samplics-tol",
        type=float,
        default=1e-6,
        help="samplics rake tol and ctrl_tol",
    )
    ap.add_argument(
        "--samplics-replicate-rakes",
        type=int,
        default=2,
        help="replicate columns samplics rakes for timing (the rest is extrapolated; 0 = all)",
    )
    ap.add_argument("--skip-samplics", action="store_true")
    ap.add_argument("--skip-r", action="store_true")
    ap.add_argument("--cli-only", action="store_true", help="time only our command line (re-measure at low load)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "out" / "literacy.json"))
    args = ap.parse_args()
    load_start = os.getloadavg()

    t0 = time.perf_counter()
    survey = make_survey(args.respondents, args.strata, args.psus, 16, seed=args.seed)
    gen_s = time.perf_counter() - t0
    folder = Path(args.out).parent / "literacy"
    paths = write_inputs(survey, folder)
    # Text columns as Arrow arrays, as they come out of a Parquet file.
    data = {k: (pa.array(v) if v.dtype == object else v) for k, v in survey.data.items()}
    spec = dict(survey.design)
    margins = survey.margins
    n = args.respondents

    cli = ours_cli(paths, folder, args.tolerance, args.repeats)
    print(
        "ours, command line end to end: "
        + ", ".join(
            f"{k} {v['best_seconds']:.3f} s (median {v['median_seconds']:.3f}, CPU {v['cpu_seconds_of_best']:.3f})"
            for k, v in cli.items()
        )
        + f"; load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    if args.cli_only:
        out = Path(args.out).with_name("literacy_cli.json")
        out.write_text(json.dumps({"loadavg_at_start": load_start, "ours_cli": cli}, indent=2), encoding="utf-8")
        return 0
    t_lin, c_lin, (raked, city, by) = best_of(
        lambda: ours_linearization(data, spec, margins, args.tolerance), args.repeats
    )
    t_rep, c_rep, (rraked, rcity, rby) = best_of(
        lambda: ours_replicates(data, spec, margins, args.tolerance, args.replicates, args.seed),
        args.repeats,
    )
    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "loadavg_at_start": load_start,
            "numpy": np.__version__,
            "pyarrow": pa.__version__,
        },
        "data": {
            "respondents": n,
            "strata": args.strata,
            "psus": args.psus,
            "districts": 16,
            "margins": [m.label() for m in margins],
            "generate_seconds": round(gen_s, 3),
            "csv_bytes": paths["csv"].stat().st_size,
            "parquet_bytes": paths["parquet"].stat().st_size,
        },
        "ours_cli": cli,
        "ours": {
            "linearization_seconds": round(t_lin, 3),
            "replicates_seconds": round(t_rep, 3),
            "total_seconds": round(t_lin + t_rep, 3),
            "linearization_cpu_seconds": round(c_lin, 3),
            "replicates_cpu_seconds": round(c_rep, 3),
            "total_cpu_seconds": round(c_lin + c_rep, 3),
            "rake_iterations": raked.calibration.report.iterations,
            "city": {
                "p": city.get().estimate,
                "se_calibrated": city.get().se,
                "se_bootstrap": rcity.get().se,
            },
            "districts": {
                r.domain: {
                    "p": r.estimate,
                    "se_calibrated": r.se,
                    "se_bootstrap": rby.get(r.domain).se,
                }
                for r in by
            },
        },
    }
    print(
        f"ours in process: linearization {t_lin:.3f} s, {args.replicates} bootstrap replicates {t_rep:.3f} s, "
        f"total {t_lin + t_rep:.3f} s wall ({c_lin + c_rep:.3f} s CPU); load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    if not args.skip_r:
        report["r"] = run_r(folder, args.tolerance, cli)
        if report["r"]:
            r = report["r"]
            r["ratio_estimation_vs_ours_in_process"] = round(r["estimation_seconds"]["calibrate"] / t_lin, 1)
            r["ratio_estimation_cpu_vs_ours_in_process"] = round(r["estimation_cpu_seconds"]["calibrate"] / c_lin, 1)
            r_csv = r["seconds"]["read_csv"] + r["estimation_seconds"]["calibrate"]
            r["ratio_csv_end_to_end_vs_ours_cli"] = round(r_csv / cli["csv_calibrate"]["best_seconds"], 1)
            print(json.dumps(r, indent=2), flush=True)

    if not args.skip_samplics:
        report["samplics"] = run_samplics(
            args,
            survey,
            data,
            spec,
            raked,
            rraked,
            rcity,
            rby,
            t_lin,
            t_rep,
            c_lin,
            c_rep,
        )
    report["machine"]["loadavg_at_end"] = os.getloadavg()

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(report, ensure_ascii=False, indent=2, default=float),
        encoding="utf-8",
    )
    print(f"written {out}")
    return 0


def run_samplics(args, survey, data, spec, raked, rraked, rcity, rby, t_lin, t_rep, c_lin, c_rep) -> dict[str, Any]:
    warnings.simplefilter("ignore", FutureWarning)
    import samplics
    from samplics import (
        PopParam,
        ReplicateEstimator,
        RepMethod,
        SampleWeight,
        TaylorEstimator,
    )

    d = survey.data
    y = d["literate"].astype(float)
    base_w = d["weight"]
    stratum = d["stratum"]
    psu = d["psu"]
    district = np.asarray(d[DOMAIN])
    R = args.replicates

    # samplics sorts the margin arrays on every pass; integer codes are its fast path.
    margin_codes: dict[str, np.ndarray] = {}
    control: dict[str, dict[int, float]] = {}
    for m in survey.margins:
        vs = m.variables if isinstance(m.variables, tuple) else (m.variables,)
        labels = ["|".join(k) if isinstance(k, tuple) else str(k) for k in m.totals]
        index = {lab: i for i, lab in enumerate(labels)}
        joined = d[vs[0]].astype(str)
        for v in vs[1:]:
            joined = np.char.add(np.char.add(joined, "|"), d[v].astype(str))
        uniq, inv = np.unique(joined, return_inverse=True)
        margin_codes[m.label()] = np.array([index[x] for x in uniq])[inv]
        control[m.label()] = {index[lab]: float(t) for lab, t in zip(labels, m.totals.values(), strict=True)}

    def s_rake(w):
        return SampleWeight().rake(
            w,
            margins=margin_codes,
            control=control,
            tol=args.samplics_tol,
            ctrl_tol=args.samplics_tol,
            max_iter=200,
        )

    out: dict[str, Any] = {"version": samplics.__version__}
    with Clock() as c_rake:
        s_raked = s_rake(base_w)

    with Clock() as c_taylor:
        tay_city = TaylorEstimator(PopParam.prop)
        tay_city.estimate(y, samp_weight=s_raked, stratum=stratum, psu=psu)
        tay_dom = TaylorEstimator(PopParam.prop)
        tay_dom.estimate(y, samp_weight=s_raked, stratum=stratum, psu=psu, domain=district)

    # Same numbers? Our engine on samplics' raked weights, taken as design weights.
    same_w = Design.create(data, strata=spec["strata"], clusters=spec["clusters"], weights=s_raked)
    o_city = estimate_proportion(same_w, "literate").get()
    o_dom = estimate_proportion(same_w, "literate", domain=DOMAIN)
    doms = [r.domain for r in o_dom]
    lin_est_diff = rel(
        [o_city.estimate] + [o_dom.get(k).estimate for k in doms],
        [tay_city.point_est[1.0]] + [tay_dom.point_est[k][1.0] for k in doms],
    )
    lin_se_diff = rel(
        [o_city.se] + [o_dom.get(k).se for k in doms],
        [tay_city.stderror[1.0]] + [tay_dom.stderror[k][1.0] for k in doms],
    )
    weights_diff = rel(raked.weights, s_raked)

    # Replicates: samplics rakes each replicate column itself (timed on a few columns,
    # the rest extrapolated: every column is an independent call of the same cost).
    unraked = replicate_weight_matrix(
        make_replicates(Design.create(data, **spec), "bootstrap", replicates=R, seed=args.seed)
    )
    k = R if args.samplics_replicate_rakes == 0 else min(R, args.samplics_replicate_rakes)
    with Clock() as c_reprake:
        s_rep_cols = [s_rake(unraked[:, j]) for j in range(k)]
    ours_W = replicate_weight_matrix(rraked)
    rep_rake_diff = rel(ours_W[:, :k], np.column_stack(s_rep_cols))
    del unraked

    with Clock() as c_repest:
        coefs = np.full(R, 1.0 / (R - 1))  # R's bootweights scale, as ours
        rep_city = ReplicateEstimator(RepMethod.bootstrap, PopParam.prop)
        rep_city.estimate(y, samp_weight=rraked.weights, rep_weights=ours_W, rep_coefs=coefs)
        rep_dom = ReplicateEstimator(RepMethod.bootstrap, PopParam.prop)
        rep_dom.estimate(
            y,
            samp_weight=rraked.weights,
            rep_weights=ours_W,
            rep_coefs=coefs,
            domain=district,
        )
    rep_se_diff = rel(
        [rcity.get().se] + [rby.get(k).se for k in doms],
        [rep_city.stderror[1.0]] + [rep_dom.stderror[k][1.0] for k in doms],
    )
    scale = R / k
    s_lin = c_rake.wall + c_taylor.wall
    s_rep = c_rake.wall + c_reprake.wall * scale + c_repest.wall
    s_lin_cpu = c_rake.cpu + c_taylor.cpu
    s_rep_cpu = c_rake.cpu + c_reprake.cpu * scale + c_repest.cpu
    out.update(
        {
            "rake_seconds": round(c_rake.wall, 3),
            "taylor_seconds": round(c_taylor.wall, 3),
            "replicate_rake_seconds_measured": round(c_reprake.wall, 3),
            "replicate_columns_raked": k,
            "replicate_rake_seconds_for_all": round(c_reprake.wall * scale, 3),
            "replicate_estimate_seconds": round(c_repest.wall, 3),
            "linearization_seconds": round(s_lin, 3),
            "replicates_seconds": round(s_rep, 3),
            "total_seconds": round(s_lin + s_rep, 3),
            "linearization_cpu_seconds": round(s_lin_cpu, 3),
            "replicates_cpu_seconds": round(s_rep_cpu, 3),
            "total_cpu_seconds": round(s_lin_cpu + s_rep_cpu, 3),
            "ratio_linearization": round(s_lin / t_lin, 1),
            "ratio_replicates": round(s_rep / t_rep, 1),
            "ratio_total": round((s_lin + s_rep) / (t_lin + t_rep), 1),
            "ratio_linearization_cpu": round(s_lin_cpu / c_lin, 1),
            "ratio_replicates_cpu": round(s_rep_cpu / c_rep, 1),
            "ratio_total_cpu": round((s_lin_cpu + s_rep_cpu) / (c_lin + c_rep), 1),
            "agreement": {
                "raked_weights_max_rel_diff": weights_diff,
                "replicate_raked_weights_max_rel_diff": rep_rake_diff,
                "linearization_estimates_max_rel_diff": lin_est_diff,
                "linearization_se_max_rel_diff": lin_se_diff,
                "replicate_se_max_rel_diff": rep_se_diff,
            },
        }
    )
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    raise SystemExit(main())
