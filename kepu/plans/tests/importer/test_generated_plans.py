"""Property tests: plans generated in the shapes real plans use are read back exactly.

Each generated plan varies the numbering (with or without subsections, tasks
numbered on or restarted, 、 . ． separators, full-width digits), the shape of
the responsible units (a line, a tail, a bare tail, none) and the converter
noise in front of lines. The parser must recover the tree and every unit list.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kepu.plans.importer import NodeKind, PlanImportError, parse_text

from .support import int_to_chinese

UNIT_POOL = [
    "区科协",
    "区教委",
    "区卫健委",
    "各街道",
    "各镇（街道）（地区）",
    "区融媒体中心",
    "团区委",
    "区科协及其他成员单位",
    "鼓楼街道",
    "区委宣传部",
]
PHRASES = [
    "加强科普阵地建设",
    "开展群众性科普活动",
    "推进科普信息化",
    "提升科普服务能力",
    "完善工作机制",
    "强化队伍建设",
]
NOISE = ["", "", "", "[bookmark: _Hlk513286779]", '<a name="_Toc12"></a>', "{#_Hlk9 .anchor}"]
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

leaf = st.fixed_dictionaries(
    {
        "text": st.lists(st.sampled_from(PHRASES), min_size=1, max_size=3),
        "units": st.lists(st.sampled_from(UNIT_POOL), min_size=1, max_size=4, unique=True),
        "shape": st.sampled_from(["line", "tail", "bare", "none"]),
        "noise": st.sampled_from(NOISE),
    }
)
section = st.fixed_dictionaries(
    {
        "title": st.sampled_from(PHRASES),
        "subsections": st.one_of(st.none(), st.lists(st.lists(leaf, min_size=0, max_size=3), min_size=1, max_size=3)),
        "tasks": st.lists(leaf, min_size=0, max_size=3),
    }
)
plan = st.fixed_dictionaries(
    {
        "sections": st.lists(section, min_size=1, max_size=4),
        "separator": st.sampled_from(["、", ".", "．"]),
        "fullwidth": st.booleans(),
        "run_on": st.booleans(),  # task numbers run on across sections (Xicheng) or restart
    }
)


def render(spec) -> tuple[str, list[tuple[tuple[int, ...], list[str] | None, str]]]:
    """The plan text, and for each leaf: its path of numbers, its units (or None), its kind."""
    lines = ["2024年生成区科普工作计划", "为做好科普工作，制定本计划。"]
    expected = []
    task_number = 0

    def emit_leaf(marker_text: str, item, path, kind):
        body = "，".join(item["text"]) + "。"
        names = "、".join(item["units"])
        shape = item["shape"]
        if shape == "tail":
            body += f"（责任单位：{names}）"
        elif shape == "bare":
            body += f"（{names}）"
        lines.append(f"{item['noise']}{marker_text}{body}")
        if shape == "line":
            lines.append(f"责任单位：{names}")
        expected.append((path, None if shape == "none" else list(item["units"]), kind))

    def task_marker(n: int) -> str:
        digits = str(n).translate(FULLWIDTH) if spec["fullwidth"] else str(n)
        return f"{digits}{spec['separator']}"

    for s_index, sec in enumerate(spec["sections"], start=1):
        lines.append(f"{int_to_chinese(s_index)}、{sec['title']}")
        if not spec["run_on"]:
            task_number = 0
        if sec["subsections"] is not None:
            for sub_index, tasks in enumerate(sec["subsections"], start=1):
                lines.append(f"（{int_to_chinese(sub_index)}）{PHRASES[sub_index % len(PHRASES)]}")
                if not tasks:
                    expected.append(((s_index, sub_index), None, NodeKind.SUBSECTION))
                for item in tasks:
                    task_number += 1
                    emit_leaf(task_marker(task_number), item, (s_index, sub_index, task_number), NodeKind.TASK)
        else:
            if not sec["tasks"]:
                expected.append(((s_index,), None, NodeKind.SECTION))
            for item in sec["tasks"]:
                task_number += 1
                emit_leaf(task_marker(task_number), item, (s_index, task_number), NodeKind.TASK)
    return "\n".join(lines) + "\n", expected


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(plan)
def test_generated_plans_are_read_back(spec):
    text, expected = render(spec)
    draft = parse_text(text)
    assert draft.title == "2024年生成区科普工作计划"
    assert [n.number for n in draft.nodes] == list(range(1, len(spec["sections"]) + 1))
    found = []
    for task in draft.tasks():
        path = tuple(int(k) for k in task.key.split("."))
        numbers = []
        node_list = draft.nodes
        for index in path:
            node = node_list[index - 1]
            numbers.append(node.number)
            node_list = node.children
        found.append((tuple(numbers), task.units.names if task.units else None, task.kind))
    assert found == expected
    assert not [w for w in draft.warnings if w.code in ("numbering_gap", "mixed_punctuation")]
    assert all("bookmark" not in n.text and "anchor" not in n.text for n in draft.iter_nodes())


@settings(max_examples=200)
@given(
    st.text(
        alphabet=st.sampled_from(list("一二三、（）()1234567890.．——责任单位：区科协。，\n 各镇街道%万人次场")),
        max_size=200,
    )
)
def test_parser_fails_only_with_its_own_error(text):
    try:
        draft = parse_text(text)
    except PlanImportError as error:
        assert error.code in ("empty_input", "not_a_plan")
        return
    assert draft.nodes
    assert all(1 <= n.line_start <= n.line_end <= len(draft.source_lines) for n in draft.iter_nodes())
