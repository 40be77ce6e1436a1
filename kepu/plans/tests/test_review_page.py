"""The import review page: what the office reads and clicks, in Chinese, page by page."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kepu.core.testing.web import login
from kepu.orgs.choices import OrgKind
from kepu.orgs.models import Organization
from kepu.plans import review, services
from kepu.plans.models import ImportDraft, NodeKind, Plan
from kepu.plans.tests.factories import SAMPLE_PLAN
from kepu.plans.tests.importer.support import read_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(client, world):
    return login(client, world.a.admin)


def upload(client, text: str, name: str = "plan.txt") -> ImportDraft:
    response = client.post(reverse("plans:import"), {"document": SimpleUploadedFile(name, text.encode())})
    assert response.status_code == 302, response.content.decode()[:500]
    return ImportDraft.objects.latest("pk")


def page(client, draft, number=None) -> str:
    url = reverse("plans:draft", args=[draft.pk]) + (f"?page={number}" if number else "")
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_warnings_are_in_chinese(office):
    draft = upload(
        office, "计划\n一、甲\n1、做一。（责任单位：区卫健委）\n2、做二。（责任单位：区卫健委）\n4、做四。\n"
    )
    shown = text_of(page(office, draft))
    assert "第 5 行： 此处应为第 3 项，原文编号为 4、。" in shown
    assert "4、做四 没有写明责任单位。" in shown
    assert "comes where" not in shown and "has no responsible units" not in shown


def test_node_ids_do_not_collide(office):
    # Section 1 has a task 1.1; section 11 is a section of its own: slugify made both "node-11".
    numerals = "一二三四五六七八九十"
    text = "计划\n" + "".join(
        f"{numerals[n - 1] if n <= 10 else '十一'}、第{n}部分\n（一）任务{n}。\n" for n in range(1, 12)
    )
    draft = upload(office, text)
    html = page(office, draft)
    ids = re.findall(r' id="(n-[^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert {"n-1-1", "n-11", "n-11-1"} <= set(ids)
    # A title changed on task 1.1 lands on 1.1, and the page goes back to it.
    response = office.post(reverse("plans:draft_title", args=[draft.pk]), {"key": "1.1", "title": "改过的标题"})
    assert response.url.endswith("#n-1-1")
    draft.refresh_from_db()
    assert draft.data["nodes"][0]["children"][0]["title"] == "改过的标题"
    assert draft.data["nodes"][10]["children"][0]["title"] == "任务11"


def _resolve_form(html: str, name: str) -> str:
    start = html.index(f'data-testid="resolve-{name}"')
    return html[start : html.index("</select>", start)]


def test_a_likely_organization_is_pre_selected_only_above_the_stated_confidence(office, world):
    Organization.objects.create(
        name="大兴区科学技术协会", kind=OrgKind.MEMBER_UNIT, place=world.a.place, short_name="大兴区科学技术协会"
    )
    # 区宣传局 looks a little like several units (well under 85%); 大兴区科学技术协 nearly the one above.
    text = SAMPLE_PLAN.replace("区科协、区宣传局", "区宣传局、大兴区科学技术协")
    draft = upload(office, text)
    html = page(office, draft)
    assert "相似度达到 85% 时才会预先选好" in html
    weak = _resolve_form(html, "区宣传局")
    assert re.search(r'<option value="" selected>— 请选择 —</option>', weak)
    assert weak.count(" selected") == 1
    strong = _resolve_form(html, "大兴区科学技术协")
    assert '<option value="" >' in strong or '<option value="">' in strong
    chosen = re.search(r'<option value="(\d+)" selected>([^<]+)</option>', strong)
    assert chosen and chosen.group(2).startswith("大兴区科学技术协会（相似度 9")


def test_a_name_is_resolved_once_on_the_page(office, world):
    draft = upload(office, read_plan("action_plan_2024_2026.txt"))
    html = page(office, draft)
    assert "区科普基地联盟" in html and "共 3 处" in text_of(html)
    response = office.post(
        reverse("plans:draft_name", args=[draft.pk]), {"name": "区科普基地联盟", "choice": world.a.unit2.pk, "page": 1}
    )
    assert response.status_code == 302 and response.url.endswith("#resolve")
    shown = text_of(office.get(response.url).content.decode())
    assert "“区科普基地联盟”已在 3 处设定。" in shown
    draft.refresh_from_db()
    assert "区科普基地联盟" not in {n for _k, _i, n in services.unresolved_units(draft)}
    assert 'data-testid="resolve-区科普基地联盟"' not in page(office, draft)
    # An empty choice is refused and changes nothing.
    refused = office.post(reverse("plans:draft_name", args=[draft.pk]), {"name": "区科委", "choice": ""})
    assert "请从列表中选择单位。" in text_of(office.get(refused.url).content.decode())


def test_every_unit_left_out_is_not_called_matched(office):
    draft = upload(office, SAMPLE_PLAN)
    for key, rows in draft.matches.items():
        for index in range(len(rows)):
            office.post(reverse("plans:draft_unit", args=[draft.pk]), {"key": key, "index": index, "choice": "skip"})
    shown = text_of(page(office, draft))
    assert "每个单位都已" not in shown
    assert "没有匹配任何单位：原文写的单位都已设为不纳入，所有任务都没有责任单位。" in shown


def test_the_count_of_matched_and_left_out_units(office, world):
    draft = upload(office, SAMPLE_PLAN)
    for key, index, _name in services.unresolved_units(draft):
        office.post(reverse("plans:draft_unit", args=[draft.pk]), {"key": key, "index": index, "choice": "skip"})
    shown = text_of(page(office, draft))
    draft.refresh_from_db()
    summary = review.review(draft).summary()
    # 区卫健委, 区应急管理局, 各街道, 区应急局, 区科协 matched (the group counts once); 区宣传局 left out.
    assert (summary.matched, summary.left_out, summary.pending) == (5, 1, 0)
    assert "每个单位都已确定：匹配 5 个，不纳入 1 个。" in shown


def test_roles_bullets_and_periods_are_changed_on_the_page(office):
    draft = upload(office, read_plan("outline_2021_2035.txt"))
    html = page(office, draft)
    assert re.search(r'<input type="checkbox" id="as-tasks" name="as_tasks" value="1" checked', html)
    assert "本文件是纲要格式，每个“——”段落是一项举措。" in html
    assert "18 项任务" in text_of(html) and "11 项指标" in text_of(html)
    # The goals' first target: > 30% by 2025 with its baseline, shown as the plan will have it.
    goals = text_of(html[html.index('id="n-3"') : html.index('id="n-4"')])
    assert "指标 公民具备科学素质的比例 &gt; 30% · 到2025年 · 基线 24.5%（2020年）" in goals
    assert "这里的指标作为计划目标保留，不计入任何任务的进度。" in goals
    # Make the goals a task, bullets points, and correct a period.
    office.post(reverse("plans:draft_role", args=[draft.pk]), {"key": "3", "role": "task"})
    office.post(reverse("plans:draft_bullets", args=[draft.pk]), {})
    response = office.post(
        reverse("plans:draft_target", args=[draft.pk]),
        {"key": "4.2.1", "index": 0, "period": "total", "by_year": "", "row": "4.2"},
    )
    assert response.url.endswith("#n-4-2")
    shown = text_of(page(office, draft))
    assert "11 项任务" in shown and "11 项指标" in shown
    draft.refresh_from_db()
    assert draft.data["nodes"][3]["children"][1]["children"][0]["targets"][0]["period"] == "total"
    assert services.task_keys(draft.data)[0] == "3"


def test_a_long_draft_is_paged(office, world):
    for n in range(60):
        Organization.objects.create(name=f"大兴区测试单位{n:02d}", kind=OrgKind.MEMBER_UNIT, place=world.a.place)
    text = "2026年测试计划\n" + "".join(
        f"{n % 500 + 1}、开展第{n}项活动，组织讲座{n + 1}场。（责任单位：区卫健委、区未知单位{n % 7}）\n"
        for n in range(1000)
    )
    draft = upload(office, text)
    first = page(office, draft)
    assert first.count('class="draft-node') == review.PAGE_SIZE
    assert 'href="?page=25"' in first
    assert len(first.encode()) < 1_000_000, len(first.encode())
    last = page(office, draft, 25)
    assert last.count('class="draft-node') == 1000 - 24 * review.PAGE_SIZE
    assert 'id="line-1001"' in last and 'id="line-2"' not in last
    # The seven unknown names are listed once each, however many tasks name them.
    assert first.count('data-testid="resolve-') == 7


def test_publishing_from_the_page_keeps_the_text_and_the_years(office):
    draft = upload(office, read_plan("science_plan_2024_2026.txt"))
    for key, index, _name in services.unresolved_units(draft):
        office.post(reverse("plans:draft_unit", args=[draft.pk]), {"key": key, "index": index, "choice": "skip"})
    response = office.post(
        reverse("plans:draft_publish", args=[draft.pk]), {"title": "科学普及工作规划", "year": 2024, "end_year": 2026}
    )
    plan = Plan.objects.get()
    assert response.url == reverse("plans:detail", args=[plan.pk])
    detail = text_of(office.get(response.url).content.decode())
    assert "计划正文" in detail and "2024–2026" in detail
    assert plan.nodes.filter(kind=NodeKind.TEXT).count() == 1  # the preamble
    assert "目标： 科普活动" not in detail  # the preamble's figures are baselines, not goals


@pytest.mark.parametrize("name", ["draft_role", "draft_bullets", "draft_target", "draft_name"])
def test_other_offices_and_roles_cannot_change_a_draft(client, world, name):
    login(client, world.a.admin)
    draft = upload(client, read_plan("action_plan_2024_2026.txt"))
    before = (draft.data, draft.matches)
    data = {
        "key": "1",
        "role": "task",
        "as_tasks": "1",
        "index": 0,
        "period": "year",
        "name": "区科委",
        "choice": "skip",
    }
    login(client, world.b.admin)
    assert client.post(reverse(f"plans:{name}", args=[draft.pk]), data).status_code == 404
    login(client, world.a.unit_staff)
    assert client.post(reverse(f"plans:{name}", args=[draft.pk]), data).status_code == 403
    draft.refresh_from_db()
    assert (draft.data, draft.matches) == before


def test_the_list_for_changing_a_match_comes_when_asked(office, world, client):
    draft = upload(office, SAMPLE_PLAN)
    html = page(office, draft)
    # The page does not carry the district's units under every match: one request fetches them.
    # Only "Units to resolve" lists it, for 区宣传局: once as a suggestion, once among all units.
    assert html.count(f'<option value="{world.a.unit2.pk}"') == 2
    picker = reverse("plans:draft_picker", args=[draft.pk])
    fragment = office.get(picker, {"key": "1.1", "index": 0}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment
    assert re.search(rf'<option value="{world.a.unit.pk}" selected>{world.a.unit.name}</option>', fragment)
    # Without scripts, the link opens the page with that list in place.
    opened = office.get(reverse("plans:draft", args=[draft.pk]), {"change": "1.1:0"})
    assert 'data-testid="change-1.1-0"' in opened.content.decode()
    assert office.get(picker, {"key": "1.1", "index": 9}).status_code == 404
    assert office.get(picker, {"key": "9.9", "index": 0}).status_code == 404
    login(client, world.b.admin)
    assert client.get(picker, {"key": "1.1", "index": 0}).status_code == 404
