"""The command line end to end, on temporary CSV and Parquet files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from kepu.literacy import (
    Design,
    QuestionBank,
    estimate_proportion,
    load_rule,
    make_replicates,
    rake,
    score,
)
from kepu.literacy.cli import main
from kepu.literacy.synthetic import make_survey

ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture(scope="module")
def survey():
    return make_survey(1200, 8, 40, 4, seed=11, with_answers=True)


def write(path: Path, columns: dict) -> Path:
    table = pa.table({k: pa.array(list(v) if np.asarray(v).dtype == object else v) for k, v in columns.items()})
    if path.suffix == ".parquet":
        pq.write_table(table, path)
    else:
        pacsv.write_csv(table, path)
    return path


def files(tmp_path: Path, survey, data_suffix: str) -> dict[str, Path]:
    bank = tmp_path / "bank.json"
    bank.write_text(json.dumps(survey.bank, ensure_ascii=False), encoding="utf-8")
    design = tmp_path / "design.json"
    design.write_text(json.dumps(survey.design), encoding="utf-8")
    margins = write(
        tmp_path / "margins.csv",
        {
            "variable": np.array([r["variable"] for r in survey.margin_records], dtype=object),
            "level": np.array([r["level"] for r in survey.margin_records], dtype=object),
            "total": np.array([r["total"] for r in survey.margin_records]),
        },
    )
    data = write(tmp_path / f"responses{data_suffix}", survey.data)
    return {"bank": bank, "design": design, "margins": margins, "data": data}


def direct(survey, domain=None, replicates=None):
    bank = QuestionBank.from_dict(survey.bank)
    res = score(
        np.column_stack([survey.data[q] for q in bank.ids]),
        bank=bank,
        rule=load_rule("current"),
    )
    data = dict(survey.data)
    data.update(res.columns())
    d = Design.create(data, **survey.design)
    if replicates:
        d = make_replicates(d, replicates)
    return estimate_proportion(rake(d, survey.margins), "literate", domain=domain)


def test_score_command(tmp_path, survey):
    f = files(tmp_path, survey, ".csv")
    out_csv, out_json = tmp_path / "scores.csv", tmp_path / "scores.json"
    code = main(
        [
            "score",
            "--answers", str(f["data"]),
            "--bank", str(f["bank"]),
            "--rule", "legacy",
            "--keep", "respondent_id",
            "--out-csv", str(out_csv),
            "--out-json", str(out_json),
        ]
    )  # fmt: skip
    assert code == 0
    table = pacsv.read_csv(out_csv).to_pydict()
    bank = QuestionBank.from_dict(survey.bank)
    ref = score(
        np.column_stack([survey.data[q] for q in bank.ids]),
        bank=bank,
        rule=load_rule("legacy"),
    )
    assert table["respondent_id"] == list(survey.data["respondent_id"])
    assert table["literate"] == ref.literate.astype(int).tolist()
    assert np.allclose(table["total"], ref.total)
    doc = json.loads(out_json.read_text(encoding="utf-8"))
    assert doc["rule"]["id"] == "csl-legacy"
    assert doc["summary"]["respondents"] == 1200
    assert doc["respondents"][0]["respondent_id"] == 1


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_estimate_command_scores_rakes_and_estimates(tmp_path, survey, suffix):
    f = files(tmp_path, survey, suffix)
    out_json, out_csv = tmp_path / "est.json", tmp_path / "est.csv"
    code = main(
        [
            "estimate",
            "--data", str(f["data"]),
            "--design", str(f["design"]),
            "--margins", str(f["margins"]),
            "--bank", str(f["bank"]),
            "--domain", "district",
            "--domain", "district*sex",
            "--deff", "wor",
            "--out-json", str(out_json),
            "--out-csv", str(out_csv),
        ]
    )  # fmt: skip
    assert code == 0
    doc = json.loads(out_json.read_text(encoding="utf-8"))
    assert doc["calibration"]["converged"] is True
    assert doc["design"]["psus"] == 40 and doc["design"]["calibration"] == "rake"
    assert [r["domain_variable"] for r in doc["results"]] == [
        None,
        "district",
        "district*sex",
    ]
    city = doc["results"][0]["estimates"][0]
    ref = direct(survey).get()
    assert city["estimate"] == pytest.approx(ref.estimate, rel=1e-12)
    assert city["se"] == pytest.approx(ref.se, rel=1e-9)
    assert city["deff"] > 0
    dist = {e["domain"]: e for e in doc["results"][1]["estimates"]}
    for row in direct(survey, domain="district"):
        assert dist[row.domain]["se"] == pytest.approx(row.se, rel=1e-9)
    rows = pacsv.read_csv(out_csv).to_pydict()
    assert len(rows["estimate"]) == 1 + 4 + 8
    assert "东城|女" in rows["domain"]


def test_estimate_command_with_replicates_and_json_margins(tmp_path, survey):
    f = files(tmp_path, survey, ".parquet")
    margins = tmp_path / "margins.json"
    margins.write_text(
        json.dumps({"margins": survey.margin_records}, ensure_ascii=False),
        encoding="utf-8",
    )
    out_json = tmp_path / "rep.json"
    code = main(
        [
            "estimate",
            "--data", str(f["data"]),
            "--strata", "stratum", "--cluster", "psu", "--weights", "weight",
            "--margins", str(margins),
            "--bank", str(f["bank"]),
            "--replicates", "jkn",
            "--ci", "wilson",
            "--out-json", str(out_json),
        ]
    )  # fmt: skip
    assert code == 0
    doc = json.loads(out_json.read_text(encoding="utf-8"))
    est = doc["results"][0]["estimates"][0]
    assert doc["results"][0]["variance_method"] == "replicate:jkn"
    assert est["se"] == pytest.approx(direct(survey, replicates="jkn").get().se, rel=1e-9)
    assert doc["results"][0]["ci_method"] == "wilson"


def test_design_columns_from_a_separate_table(tmp_path, survey):
    f = files(tmp_path, survey, ".csv")
    design_cols = ["stratum", "psu", "weight"]
    order = np.random.default_rng(1).permutation(1200)  # any row order
    write(
        tmp_path / "design.parquet",
        {c: survey.data[c][order] for c in ["respondent_id", *design_cols]},
    )
    slim = {k: v for k, v in survey.data.items() if k not in design_cols}
    write(tmp_path / "answers.csv", slim)
    out_json = tmp_path / "j.json"
    code = main(
        [
            "estimate",
            "--data", str(tmp_path / "answers.csv"),
            "--design-data", str(tmp_path / "design.parquet"),
            "--design", str(f["design"]),
            "--margins", str(f["margins"]),
            "--bank", str(f["bank"]),
            "--out-json", str(out_json),
        ]
    )  # fmt: skip
    assert code == 0
    doc = json.loads(out_json.read_text(encoding="utf-8"))
    assert doc["results"][0]["estimates"][0]["se"] == pytest.approx(direct(survey).get().se, rel=1e-9)


def test_estimate_command_reports_nonconvergence(tmp_path, survey, capsys):
    f = files(tmp_path, survey, ".csv")
    args = [
        "estimate",
        "--data", str(f["data"]),
        "--design", str(f["design"]),
        "--margins", str(f["margins"]),
        "--bank", str(f["bank"]),
        "--max-iter", "1",
        "--out-json", str(tmp_path / "x.json"),
    ]  # fmt: skip
    assert main(args) == 2
    assert "calibration_not_converged" in capsys.readouterr().err
    assert main([*args, "--on-nonconvergence", "warn"]) == 0
    doc = json.loads((tmp_path / "x.json").read_text(encoding="utf-8"))
    assert doc["calibration"]["converged"] is False
    assert doc["warnings"][0]["code"] == "calibration_not_converged"


def test_module_entry_point_and_no_django():
    code = (
        "import sys, kepu.literacy, kepu.literacy.cli;"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), 'django imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    out = subprocess.run(
        [sys.executable, "-m", "kepu.literacy", "rules"],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert set(json.loads(out.stdout)) == {"current", "legacy"}


def test_estimate_command_variance_rake_is_r_rake(tmp_path, survey):
    f = files(tmp_path, survey, ".parquet")
    bank = QuestionBank.from_dict(survey.bank)
    data = dict(survey.data)
    data.update(
        score(np.column_stack([survey.data[q] for q in bank.ids]), bank=bank, rule=load_rule("current")).columns()
    )
    design = Design.create(data, **survey.design)
    for variance in ("calibrate", "rake"):
        out_json = tmp_path / f"{variance}.json"
        args = ["estimate", "--data", str(f["data"]), "--design", str(f["design"]), "--margins", str(f["margins"])]
        args += ["--bank", str(f["bank"]), "--domain", "district", "--out-json", str(out_json)]
        assert main([*args, "--variance", variance] if variance == "rake" else args) == 0
        doc = json.loads(out_json.read_text(encoding="utf-8"))
        assert doc["design"]["calibration_variance"] == variance
        ref = estimate_proportion(rake(design, survey.margins, variance=variance), "literate", domain="district")
        got = {e["domain"]: e["se"] for e in doc["results"][1]["estimates"]}
        for row in ref:
            assert got[row.domain] == pytest.approx(row.se, rel=1e-12)
