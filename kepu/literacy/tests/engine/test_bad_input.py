"""Bad files on the command line: exit status 2, a message in English and Chinese naming the file,
the column and the data row, and no result file written. Never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kepu.literacy.cli import main

ROOT = Path(__file__).resolve().parents[4]
HEADER = "respondent_id,stratum,psu,weight,district,sex,literate"
ROWS = [
    "1,A,1,10.5,东城,女,1",
    "2,A,1,11,东城,男,0",
    "3,A,2,9.5,东城,女,1",
    "4,A,2,10,东城,男,0",
    "5,B,3,12,西城,女,0",
    "6,B,3,12.5,西城,男,1",
    "7,B,4,8,西城,女,1",
    "8,B,4,9,西城,男,0",
]
DESIGN = ["--strata", "stratum", "--cluster", "psu", "--weights", "weight"]


def write_csv(path: Path, rows: list[str], header: str = HEADER, encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode(encoding))
    return path


def run(tmp_path: Path, *args: str) -> tuple[int, str, Path]:
    out = tmp_path / "out.json"
    code = main(["estimate", *args, "--out-json", str(out)])
    return code, "", out


def fails(capsys, tmp_path: Path, args: list[str], code: str, *expected: str) -> str:
    out = tmp_path / "out.json"
    status = main(["estimate", *args, "--out-json", str(out)])
    err = capsys.readouterr().err
    assert status == 2, err
    assert f"error [{code}]" in err and f"错误 [{code}]" in err, err
    for text in expected:
        assert text in err, (text, err)
    assert not out.exists()
    return err


@pytest.fixture
def good(tmp_path):
    return write_csv(tmp_path / "responses.csv", ROWS)


def test_the_good_file_works(tmp_path, good, capsys):
    out = tmp_path / "out.json"
    assert main(["estimate", "--data", str(good), *DESIGN, "--domain", "district", "--out-json", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["results"][0]["estimates"][0]["estimate"] == pytest.approx(
        (10.5 + 9.5 + 12.5 + 8) / (10.5 + 11 + 9.5 + 10 + 12 + 12.5 + 8 + 9)
    )


def test_header_only_csv(tmp_path, capsys):
    f = write_csv(tmp_path / "responses.csv", [])
    fails(capsys, tmp_path, ["--data", str(f), *DESIGN], "no_data", "responses.csv", "no data rows", "只有表头")


def test_empty_file(tmp_path, capsys):
    f = tmp_path / "responses.csv"
    f.write_bytes(b"")
    fails(capsys, tmp_path, ["--data", str(f), *DESIGN], "no_data", "responses.csv", "empty")


def test_header_only_parquet(tmp_path, capsys):
    f = tmp_path / "responses.parquet"
    pq.write_table(pa.table({"stratum": pa.array([], pa.string()), "weight": pa.array([], pa.float64())}), f)
    fails(capsys, tmp_path, ["--data", str(f), *DESIGN], "no_data", "responses.parquet")


def test_gbk_encoded_responses(tmp_path, capsys):
    f = write_csv(tmp_path / "responses.csv", ROWS, encoding="gbk")
    err = fails(
        capsys,
        tmp_path,
        ["--data", str(f), *DESIGN, "--domain", "district"],
        "io",
        "responses.csv",
        "column 'district'",
        "data row 1 (line 2)",
        "GBK",
        "--encoding gbk",
        "列“district”",
        "第 1 行数据",
    )
    assert "Traceback" not in err
    out = tmp_path / "out.json"
    args = ["estimate", "--data", str(f), *DESIGN, "--domain", "district", "--encoding", "gbk"]
    assert main([*args, "--out-json", str(out)]) == 0
    domains = [e["domain"] for e in json.loads(out.read_text(encoding="utf-8"))["results"][1]["estimates"]]
    assert domains == ["东城", "西城"]


def test_gbk_encoded_header(tmp_path, capsys):
    f = write_csv(tmp_path / "responses.csv", ["1,2"], header="区,权数", encoding="gbk")
    fails(capsys, tmp_path, ["--data", str(f), *DESIGN], "io", "responses.csv", "its header", "表头")


def test_text_in_the_weight_column(tmp_path, capsys):
    rows = list(ROWS)
    rows[5] = "6,B,3,十二,西城,男,1"
    f = write_csv(tmp_path / "responses.csv", rows)
    fails(
        capsys,
        tmp_path,
        ["--data", str(f), *DESIGN],
        "not_numeric",
        "responses.csv",
        "column 'weight'",
        "data row 6 (line 7)",
        "'十二'",
        "应为数字",
    )


def test_a_missing_stratum_names_its_column_and_row(tmp_path, capsys):
    rows = list(ROWS)
    rows[2] = "3,,2,9.5,东城,女,1"
    f = write_csv(tmp_path / "responses.csv", rows)
    fails(capsys, tmp_path, ["--data", str(f), *DESIGN], "missing_values", "column 'stratum'", "data row 3 (line 4)")


def test_a_missing_psu_names_its_column_and_row(tmp_path, capsys):
    rows = list(ROWS)
    rows[7] = "8,B,,9,西城,男,0"
    f = write_csv(tmp_path / "responses.csv", rows)
    fails(capsys, tmp_path, ["--data", str(f), *DESIGN], "missing_values", "column 'psu'", "data row 8 (line 9)")


def test_a_negative_weight(tmp_path, capsys):
    rows = list(ROWS)
    rows[1] = "2,A,1,-11,东城,男,0"
    f = write_csv(tmp_path / "responses.csv", rows)
    fails(capsys, tmp_path, ["--data", str(f), *DESIGN], "invalid_weights", "column 'weight'", "data row 2", "-11")


def test_a_row_with_too_few_fields(tmp_path, capsys):
    rows = list(ROWS)
    rows[3] = "4,A,2,10,东城"
    f = write_csv(tmp_path / "responses.csv", rows)
    fails(capsys, tmp_path, ["--data", str(f), *DESIGN], "io", "responses.csv", "data row 4 (line 5)", "5 fields")


def test_a_psu_in_two_strata(tmp_path, capsys):
    rows = list(ROWS)
    rows[4] = "5,B,2,12,西城,女,0"
    f = write_csv(tmp_path / "responses.csv", rows)
    fails(capsys, tmp_path, ["--data", str(f), *DESIGN], "clusters_not_nested", "column 'psu'", "data row 5", "'2'")


def test_an_outcome_that_is_not_zero_or_one(tmp_path, capsys):
    rows = list(ROWS)
    rows[6] = "7,B,4,8,西城,女,2"
    f = write_csv(tmp_path / "responses.csv", rows)
    fails(capsys, tmp_path, ["--data", str(f), *DESIGN], "invalid_argument", "column 'literate'", "data row 7")


def test_a_missing_outcome_without_na_rm(tmp_path, capsys):
    rows = list(ROWS)
    rows[0] = "1,A,1,10.5,东城,女,"
    f = write_csv(tmp_path / "responses.csv", rows)
    fails(capsys, tmp_path, ["--data", str(f), *DESIGN], "missing_values", "column 'literate'", "data row 1", "--na-rm")


def test_a_column_that_is_not_there(tmp_path, good, capsys):
    args = ["--data", str(good), "--strata", "stratum_code", "--cluster", "psu", "--weights", "weight"]
    fails(capsys, tmp_path, args, "missing_column", "responses.csv", "stratum_code")


def test_no_such_file(tmp_path, capsys):
    fails(capsys, tmp_path, ["--data", str(tmp_path / "nope.csv"), *DESIGN], "io", "nope.csv", "no such file")


def test_a_margin_total_that_is_text(tmp_path, good, capsys):
    margins = write_csv(tmp_path / "margins.csv", ["sex,女,100", "sex,男,很多"], header="variable,level,total")
    fails(
        capsys,
        tmp_path,
        ["--data", str(good), *DESIGN, "--margins", str(margins)],
        "io",
        "margins.csv",
        "column 'total'",
        "data row 2 (line 3)",
    )


def test_a_design_json_that_is_not_json(tmp_path, good, capsys):
    design = tmp_path / "design.json"
    design.write_text("{strata: stratum", encoding="utf-8")
    fails(capsys, tmp_path, ["--data", str(good), "--design", str(design)], "io", "design.json")


def test_a_design_json_with_an_unknown_key(tmp_path, good, capsys):
    design = tmp_path / "design.json"
    design.write_text(json.dumps({"strata": "stratum", "cluster": "psu"}), encoding="utf-8")
    fails(capsys, tmp_path, ["--data", str(good), "--design", str(design)], "io", "design.json", "cluster")


def test_rows_of_a_separate_design_table_are_its_own(tmp_path, capsys):
    answers = write_csv(
        tmp_path / "answers.csv",
        [r.split(",", 1)[0] + "," + ",".join(r.split(",")[4:]) for r in ROWS],
        header="respondent_id,district,sex,literate",
    )
    # the design table lists the respondents in reverse; respondent 3's weight is text
    design_rows = [",".join(r.split(",")[:4]) for r in reversed(ROWS)]
    design_rows[5] = "3,A,2,abc"
    table = write_csv(tmp_path / "design.csv", design_rows, header="respondent_id,stratum,psu,weight")
    args = ["--data", str(answers), "--design-data", str(table), *DESIGN]
    fails(capsys, tmp_path, args, "not_numeric", "design.csv", "column 'weight'", "data row 6 (line 7)", "'abc'")
    del design_rows[2]  # respondent 6 has no design row
    design_rows[4] = "3,A,2,9.5"
    write_csv(table, design_rows, header="respondent_id,stratum,psu,weight")
    fails(capsys, tmp_path, args, "io", "answers.csv", "column 'respondent_id'", "data row 6", "6")


def test_jk1_on_a_stratified_design(tmp_path, good, capsys):
    fails(capsys, tmp_path, ["--data", str(good), *DESIGN, "--replicates", "jk1"], "not_supported", "JKn")


def test_rake_variance_needs_raking(tmp_path, good, capsys):
    fails(capsys, tmp_path, ["--data", str(good), *DESIGN, "--variance", "rake"], "not_supported", "rake()")


def test_the_module_exits_2_without_a_traceback(tmp_path):
    f = write_csv(tmp_path / "responses.csv", [])
    proc = subprocess.run(
        [sys.executable, "-m", "kepu.literacy", "estimate", "--data", str(f), *DESIGN, "--out-json", "x.json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "error [no_data]" in proc.stderr


def test_a_respondent_without_a_domain_value_is_in_no_domain_and_said_so(tmp_path, capsys):
    """As R's svyby: the respondent stays in the population's estimate and in no district's; a warning says how many
    and where, on the terminal and in the result (never silently)."""
    rows = list(ROWS)
    rows[4] = "5,B,3,12,,女,0"
    f = write_csv(tmp_path / "responses.csv", rows)
    out = tmp_path / "out.json"
    assert main(["estimate", "--data", str(f), *DESIGN, "--domain", "district", "--out-json", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning [domain_missing]" in err and "1 respondents have no value of district" in err
    assert "data row 5" in err and "第 5 行数据" in err
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [w["code"] for w in doc["warnings"]] == ["domain_missing"]
    by_district = next(t for t in doc["results"] if t["domain_variable"] == "district")
    estimates = {e["domain"]: e for e in by_district["estimates"]}
    assert set(estimates) == {"东城", "西城"}
    # 西城 without respondent 5: (12.5 + 8) literate of 12.5 + 8 + 9.
    assert estimates["西城"]["estimate"] == pytest.approx((12.5 + 8) / (12.5 + 8 + 9))


def test_the_good_file_gives_no_warning(tmp_path, good, capsys):
    out = tmp_path / "out.json"
    assert main(["estimate", "--data", str(good), *DESIGN, "--domain", "district", "--out-json", str(out)]) == 0
    assert "warning" not in capsys.readouterr().err
    assert json.loads(out.read_text(encoding="utf-8"))["warnings"] == []
