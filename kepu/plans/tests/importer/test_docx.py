"""Reading .docx plans: paragraphs, Word's own list numbering, heading styles, task tables."""

import io
from decimal import Decimal

import docx
import pytest
from docx.oxml import parse_xml

from kepu.plans.importer import (
    NodeKind,
    PlanImportError,
    UnitSource,
    parse_docx,
    parse_text,
)
from kepu.plans.importer.docx_reader import chinese_counting

from .support import read_plan

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _save(document) -> io.BytesIO:
    stream = io.BytesIO()
    document.save(stream)
    stream.seek(0)
    return stream


def _add_list(document, num_id: int, levels: list[tuple[str, str]], start_override: int | None = None) -> None:
    """Define a list in the document's numbering part: one (numFmt, lvlText) per level."""
    numbering = document.part.numbering_part.element
    lvls = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/></w:lvl>'
        for i, (fmt, text) in enumerate(levels)
    )
    numbering.insert(0, parse_xml(f'<w:abstractNum {W} w:abstractNumId="{num_id}">{lvls}</w:abstractNum>'))
    override = (
        f'<w:lvlOverride w:ilvl="0"><w:startOverride w:val="{start_override}"/></w:lvlOverride>'
        if start_override is not None
        else ""
    )
    numbering.append(parse_xml(f'<w:num {W} w:numId="{num_id}"><w:abstractNumId w:val="{num_id}"/>{override}</w:num>'))


def _numbered(document, text: str, num_id: int, level: int):
    paragraph = document.add_paragraph(text)
    paragraph._p.get_or_add_pPr().append(
        parse_xml(f'<w:numPr {W}><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>')
    )
    return paragraph


def test_plain_paragraphs_read_like_the_text(xicheng):
    document = docx.Document()
    for line in read_plan("xicheng_2020_work_plan.txt").splitlines():
        document.add_paragraph(line)
    draft = parse_docx(_save(document))
    assert draft.to_dict() == xicheng.to_dict()


def test_path_input(tmp_path, miyun):
    document = docx.Document()
    for line in read_plan("miyun_2024_key_points.txt").splitlines():
        document.add_paragraph(line)
    path = tmp_path / "miyun.docx"
    document.save(path)
    assert parse_docx(path).to_dict() == miyun.to_dict()
    assert parse_docx(str(path)).to_dict() == miyun.to_dict()


def test_word_list_numbering_is_written_out():
    document = docx.Document()
    document.add_paragraph("2024年示例区科普工作要点", style="Title")
    document.add_paragraph("为做好全年科普工作，制定本要点。")
    # lvlText %N is the counter of level N (1-based), as in Word.
    _add_list(document, 40, [("chineseCounting", "%1、"), ("chineseCounting", "（%2）"), ("decimal", "%2.%3")])
    _add_list(document, 41, [("decimal", "%1．")])
    _numbered(document, "加强科普能力建设", 40, 0)
    _numbered(document, "促进科技资源科普化", 40, 1)
    _numbered(document, "开放重点实验室", 41, 0)
    _numbered(document, "举办科普讲座100场。（责任单位：区科委）", 41, 0)
    _numbered(document, "构建科普场馆体系", 40, 1)
    document.add_paragraph("责任单位：区科协、各街道")
    _numbered(document, "推动科普与产业融合", 40, 0)
    _numbered(document, "促进科普与文旅融合", 40, 1)  # restarts at （一） under the new section

    draft = parse_docx(_save(document))
    assert draft.title == "2024年示例区科普工作要点"
    assert draft.preamble == "为做好全年科普工作，制定本要点。"
    assert draft.source_lines[2:4] == ["一、加强科普能力建设", "（一）促进科技资源科普化"]
    one, two = draft.nodes
    assert (one.kind, one.marker, one.number, one.title) == (NodeKind.SECTION, "一、", 1, "加强科普能力建设")
    assert [(c.kind, c.marker) for c in one.children] == [
        (NodeKind.SUBSECTION, "（一）"),
        (NodeKind.SUBSECTION, "（二）"),
    ]
    tasks = one.children[0].children
    assert [(t.kind, t.marker, t.number) for t in tasks] == [(NodeKind.TASK, "1．", 1), (NodeKind.TASK, "2．", 2)]
    assert tasks[1].units.names == ["区科委"]
    assert tasks[1].targets[0].value == 100
    assert one.children[1].units.names == ["区科协", "各街道"]
    assert one.children[1].units.source == UnitSource.LINE
    assert [(c.marker, c.number) for c in two.children] == [("（一）", 1)]
    assert not [w for w in draft.warnings if w.code == "numbering_gap"]


def test_list_number_style_and_start_override():
    document = docx.Document()
    document.add_paragraph("科普工作计划")
    for text in ("开展科普活动。", "加强队伍建设。"):
        document.add_paragraph(text, style="List Number")  # numbered through the style, not the paragraph
    draft = parse_docx(_save(document))
    assert [(n.kind, n.number, n.title) for n in draft.nodes] == [
        (NodeKind.TASK, 1, "开展科普活动"),
        (NodeKind.TASK, 2, "加强队伍建设"),
    ]

    document = docx.Document()
    document.add_paragraph("科普工作计划")
    _add_list(document, 50, [("chineseCounting", "%1、")], start_override=3)
    _numbered(document, "保障措施", 50, 0)
    draft = parse_docx(_save(document))
    assert (draft.nodes[0].marker, draft.nodes[0].number) == ("三、", 3)


def test_heading_styles_without_markers():
    document = docx.Document()
    document.add_paragraph("科普工作方案", style="Title")
    document.add_paragraph("总体要求", style="Heading 1")
    document.add_paragraph("坚持以人民为中心。")
    document.add_paragraph("重点任务", style="Heading 1")
    document.add_paragraph("青少年科学素质", style="Heading 2")
    document.add_paragraph("1、举办科技节。（责任单位：区教委）")
    draft = parse_docx(_save(document))
    assert draft.title == "科普工作方案"
    assert [(n.kind, n.marker, n.number, n.title) for n in draft.nodes] == [
        (NodeKind.SECTION, "", None, "总体要求"),
        (NodeKind.SECTION, "", None, "重点任务"),
    ]
    youth = draft.nodes[1].children[0]
    assert (youth.kind, youth.title) == (NodeKind.SUBSECTION, "青少年科学素质")
    assert youth.children[0].units.names == ["区教委"]


def test_task_table():
    document = docx.Document()
    document.add_paragraph("2024年科普重点任务清单")
    table = document.add_table(rows=4, cols=3)
    rows = [
        ("序号", "工作任务", "责任单位"),
        ("一、加强组织领导", "一、加强组织领导", "一、加强组织领导"),
        ("1", "开展科普活动800场", "区科协、各街道"),
        ("2", "培训科技辅导员200人", "区教委"),
    ]
    for row, values in zip(table.rows, rows, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    draft = parse_docx(_save(document))
    (section,) = draft.nodes
    assert section.title == "加强组织领导"
    assert [(t.number, t.title, t.units.names) for t in section.children] == [
        (1, "开展科普活动800场", ["区科协", "各街道"]),
        (2, "培训科技辅导员200人", ["区教委"]),
    ]
    assert [(t.targets[0].value, t.targets[0].unit) for t in section.children] == [(800, "场"), (200, "人")]


#: A task table as district offices send them (invented for this test): a merged heading row per part,
#: the task, its content over several lines, lead and supporting units in two columns, a deadline.
TASK_TABLE = [
    ("序号", "重点任务", "具体内容", "牵头单位", "配合单位", "完成时限"),
    ("一、科普阵地建设",) * 6,
    (
        "1",
        "推进科普基地建设",
        "完善区级科普基地评估办法。\n全年新认定区级科普基地8家。",
        "区科协",
        "区科委、区教委",
        "2024年12月",
    ),
    ("2", "建设社区科普e站", "依托新时代文明实践站建设科普e站20个", "区科协", "各街道", "2024年10月"),
    ("二、科普活动",) * 6,
    ("3", "办好全国科普日活动", "举办主场活动和系列活动，参与群众不少于 5 万人次。", "区科协", "", "2024年9月"),
]


def test_task_table_keeps_its_content_columns():
    document = docx.Document()
    document.add_paragraph("2024年示例区科普工作任务清单")
    table = document.add_table(rows=len(TASK_TABLE), cols=len(TASK_TABLE[0]))
    for row, values in zip(table.rows, TASK_TABLE, strict=True):
        if len(set(values)) == 1:
            row.cells[0].merge(row.cells[-1])
            row.cells[0].text = values[0]
            continue
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    draft = parse_docx(_save(document))
    assert [(n.marker, n.title) for n in draft.nodes] == [("一、", "科普阵地建设"), ("二、", "科普活动")]
    tasks = draft.tasks()
    assert [(t.key, t.number, t.title) for t in tasks] == [
        ("1.1", 1, "推进科普基地建设"),
        ("1.2", 2, "建设社区科普e站"),
        ("2.1", 3, "办好全国科普日活动"),
    ]
    # The 具体内容 column is the task's text, with the deadline column named; nothing of the row is dropped.
    assert tasks[0].text == (
        "推进科普基地建设。完善区级科普基地评估办法。全年新认定区级科普基地8家。完成时限：2024年12月。"
    )
    assert tasks[1].text == "建设社区科普e站。依托新时代文明实践站建设科普e站20个。完成时限：2024年10月。"
    # 牵头单位 and 配合单位 columns give the lead and the supporting units.
    assert [(t.units.names, t.units.lead, t.units.support) for t in tasks] == [
        (["区科协", "区科委", "区教委"], ["区科协"], ["区科委", "区教委"]),
        (["区科协", "各街道"], ["区科协"], ["各街道"]),
        (["区科协"], ["区科协"], []),
    ]
    # Targets in the content column are found (and dated by the plan's year when the text says so).
    assert [[(t.value, t.unit, t.period) for t in task.targets] for task in tasks] == [
        [(Decimal(8), "家", "year")],
        [(Decimal(20), "个", None)],
        [(Decimal(50_000), "人次", None)],
    ]


def test_line_breaks_inside_a_paragraph():
    document = docx.Document()
    document.add_paragraph("科普工作计划")
    paragraph = document.add_paragraph("1、开展活动。")
    paragraph.add_run().add_break()
    paragraph.add_run("责任单位：区科协")
    draft = parse_docx(_save(document))
    assert draft.source_lines == ["科普工作计划", "1、开展活动。", "责任单位：区科协"]
    assert draft.nodes[0].units.names == ["区科协"]


@pytest.mark.parametrize("content", [b"", b"not a zip file", b"PK\x03\x04broken"])
def test_unreadable_documents(content):
    with pytest.raises(PlanImportError) as caught:
        parse_docx(io.BytesIO(content))
    assert caught.value.code == "unreadable_document"


def test_missing_file(tmp_path):
    with pytest.raises(PlanImportError) as caught:
        parse_docx(tmp_path / "missing.docx")
    assert caught.value.code == "unreadable_document"


def test_empty_document():
    with pytest.raises(PlanImportError) as caught:
        parse_docx(_save(docx.Document()))
    assert caught.value.code == "empty_input"


@pytest.mark.parametrize(
    ("value", "written"), [(1, "一"), (10, "十"), (11, "十一"), (20, "二十"), (23, "二十三"), (105, "一百零五")]
)
def test_chinese_counting(value, written):
    assert chinese_counting(value) == written
    assert parse_text(f"计划\n{written}、甲\n").nodes[0].number == value
