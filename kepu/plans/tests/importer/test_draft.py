"""The draft as JSON: lossless round trip, stable shape, clear errors on a bad one."""

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from kepu.plans.importer import SCHEMA, PlanDraft, PlanImportError, parse_text
from kepu.plans.importer.errors import ERROR_CODES

PLAN = """\
2024年示例区科普工作要点
全年开展科普活动不少于500场。
一、重点任务
（一）青少年
1、每年培训科技辅导员2.5万人次。（责任单位：区教委、区科协及其他成员单位）
——举办科技节。
"""


@pytest.mark.parametrize("fixture", ["xicheng", "miyun"])
def test_round_trip_through_json(fixture, request):
    draft = request.getfixturevalue(fixture)
    data = json.loads(json.dumps(draft.to_dict(), ensure_ascii=False))
    again = PlanDraft.from_dict(data)
    assert again == draft
    assert again.to_dict() == draft.to_dict()


def test_shape_of_a_draft():
    data = parse_text(PLAN).to_dict()
    assert data["schema"] == SCHEMA
    assert set(data) == {
        "schema", "title", "year", "end_year", "district", "preamble", "preamble_lines", "preamble_targets",
        "bullets_as_tasks", "bullets_default", "nodes", "warnings", "source_lines",
    }  # fmt: skip
    assert (data["title"], data["year"], data["end_year"], data["district"]) == (
        "2024年示例区科普工作要点",
        2024,
        2024,
        "示例区",
    )
    # One short bullet under a task is a point of that task, not a measure.
    assert (data["bullets_as_tasks"], data["bullets_default"]) == (False, False)
    assert data["preamble_lines"] == [2, 2]
    assert data["preamble_targets"][0]["value"] == "500"
    section = data["nodes"][0]
    assert set(section) == {
        "key", "kind", "marker", "number", "title", "text", "line_start", "line_end", "units", "targets", "children",
        "plan_text", "role_choice", "role",
    }  # fmt: skip
    assert (section["role"], section["plan_text"], section["role_choice"]) == ("section", False, None)
    task = section["children"][0]["children"][0]
    assert task["key"] == "1.1.1"
    assert task["units"] == {
        "names": ["区教委", "区科协及其他成员单位"],
        "source": "tail",
        "raw": "（责任单位：区教委、区科协及其他成员单位）",
        "line": 5,
        "lead": [],
        "support": [],
    }
    assert task["targets"] == [
        {
            "value": "25000",
            "unit": "人次",
            "comparator": "=",
            "label": "科技辅导员培训",
            "text": "2.5万人次",
            "line": 5,
            "qualifiers": [],
            "period": "year",
            "by_year": None,
            "baseline": None,
            "baseline_year": None,
            "is_baseline": False,
        }
    ]
    assert task["role"] == "task"
    assert task["children"][0]["kind"] == "bullet"
    assert task["children"][0]["role"] == "point"
    assert task["children"][0]["number"] is None


def test_decimal_values_stay_exact():
    draft = parse_text("计划\n1、服务2.5亿人次。\n")
    data = draft.to_dict()
    assert data["nodes"][0]["targets"][0]["value"] == "250000000"
    assert PlanDraft.from_dict(data).nodes[0].targets[0].value == Decimal(250_000_000)


def test_edited_draft_renumbers_keys():
    draft = parse_text(PLAN)
    section = draft.nodes[0]
    section.children.insert(0, section.children[0].children.pop())  # a person moves the task up a level
    draft.renumber_keys()
    assert [n.key for n in draft.iter_nodes()] == ["1", "1.1", "1.1.1", "1.2"]
    assert draft.find("1.1").title == "每年培训科技辅导员2.5万人次"
    assert draft.find("9") is None


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(schema="other/1"),
        lambda d: d.pop("nodes"),
        lambda d: d["nodes"][0].update(kind="chapter"),
        lambda d: d["nodes"][0]["children"][0]["children"][0]["units"].update(source="guess"),
        lambda d: d["nodes"][0]["children"][0]["children"][0]["targets"][0].update(value="lots"),
        lambda d: d["nodes"][0]["children"][0]["children"][0]["targets"][0].update(comparator="~"),
        lambda d: d["nodes"][0].update(line_start="x"),
        lambda d: d["nodes"].append("not a node"),
    ],
)
def test_malformed_drafts_are_rejected(mutate):
    data = parse_text(PLAN).to_dict()
    mutate(data)
    with pytest.raises(PlanImportError) as caught:
        PlanDraft.from_dict(data)
    assert caught.value.code == "invalid_draft"


def test_not_a_dict():
    with pytest.raises(PlanImportError) as caught:
        PlanDraft.from_dict(["nodes"])  # type: ignore[arg-type]
    assert caught.value.code == "invalid_draft"


def test_error_codes_are_stable():
    assert ERROR_CODES == {
        "empty_input", "not_a_plan", "unreadable_document", "undecodable_text",
        "input_too_large", "invalid_draft", "unsupported_format", "too_many_parts", "unsupported_encoding",
    }  # fmt: skip
    error = PlanImportError("not_a_plan", "no numbered sections")
    assert (error.code, error.message, str(error)) == (
        "not_a_plan",
        "no numbered sections",
        "[not_a_plan] no numbered sections",
    )
    assert isinstance(error, ValueError)
    with pytest.raises(ValueError):
        PlanImportError("made_up", "x")


def test_no_django_in_the_importer():
    """The importer runs where Django cannot even be imported."""
    script = (
        "import sys; sys.modules['django'] = None\n"
        "import importlib, pkgutil\n"
        "import kepu.plans.importer as package\n"
        "for module in pkgutil.iter_modules(package.__path__):\n"
        "    importlib.import_module(package.__name__ + '.' + module.name)\n"
        "draft = package.parse_text('计划\\n1、开展活动800场。（责任单位：区科协）\\n')\n"
        "assert draft.nodes[0].units.names == ['区科协']\n"
    )
    root = Path(__file__).resolve().parents[4]
    result = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_a_draft_stored_before_roles_is_still_read():
    data = parse_text(PLAN).to_dict()
    data["schema"] = "kepu.plans.draft/1"
    for key in ("end_year", "bullets_as_tasks", "bullets_default"):
        del data[key]

    def strip(node):
        for key in ("plan_text", "role_choice", "role"):
            del node[key]
        for target in node["targets"]:
            for key in ("baseline", "baseline_year", "is_baseline"):
                del target[key]
        for child in node["children"]:
            strip(child)

    for node in data["nodes"]:
        strip(node)
    draft = PlanDraft.from_dict(data)
    assert [t.key for t in draft.tasks()] == ["1.1.1"]
    assert draft.find("1.1.1.1").role == "point"
    assert draft.to_dict()["schema"] == SCHEMA


@pytest.mark.parametrize(
    ("path", "value"),
    [(("nodes", 0, "role_choice"), "maybe"), (("nodes", 0, "children", 0, "children", 0, "targets", 0, "period"), "x")],
)
def test_a_bad_role_or_period_is_refused(path, value):
    data = parse_text(PLAN).to_dict()
    place = data
    for step in path[:-1]:
        place = place[step]
    place[path[-1]] = value
    with pytest.raises(PlanImportError) as caught:
        PlanDraft.from_dict(data)
    assert caught.value.code == "invalid_draft"
