"""Reference data shipped with the app: the national base types and the starting rubric of each level.

Both are data: the city office changes them in the admin (a year's rubric before it is used, a new
national type when a national notice names one). ``ensure_rubrics`` copies a level's latest rubric
into a year that has none, so a new year starts from last year's standard.
"""

from __future__ import annotations

#: 全国科普教育基地 types of the 2021–2025 national notice.
NATIONAL_TYPES = (
    ("venues", "科技场馆类", 1),
    ("research", "教育科研与重大工程类", 2),
    ("rural", "“三农”类", 3),
    ("enterprise", "企业类", 4),
    ("nature", "自然资源类", 5),
    ("other", "其他类", 6),
)

#: level -> (name, pass line, thresholds {metric: minimum}, items [(title, guidance, weight)])
RUBRICS = {
    "district": (
        "区级科普基地认定与考核标准",
        70,
        {"area": 300, "open_days": 150, "visitors": 3000, "student_days": 10, "guides": 2},
        [
            ("科普设施与展教资源", "展区面积与布局、展品数量与更新、展教内容的科学性与趣味性", 25),
            ("科普活动开展", "全年科普活动场次与参与人次，围绕主题日的特色活动", 25),
            ("开放服务与青少年教育", "开放时间与预约服务、对学生免费或优惠开放、与学校课后服务对接", 20),
            ("人员队伍", "专兼职科普人员、讲解员与志愿者的数量与培训", 15),
            ("管理制度与安全保障", "管理制度、经费保障、安全预案与无障碍设施", 15),
        ],
    ),
    "city": (
        "北京市科普基地认定与考核标准",
        75,
        {"area": 500, "open_days": 200, "visitors": 5000, "student_days": 20, "guides": 3},
        [
            ("科普设施与展教资源", "展区面积与布局、展品数量与更新、展教内容的科学性与趣味性", 25),
            ("科普活动开展", "全年科普活动场次与参与人次，品牌活动与示范带动作用", 25),
            ("开放服务与青少年教育", "开放时间与预约服务、对学生免费或优惠开放、与学校课后服务对接", 20),
            ("人员队伍", "专兼职科普人员、讲解员与志愿者的数量与培训", 15),
            ("管理制度与安全保障", "管理制度、经费保障、安全预案与无障碍设施", 15),
        ],
    ),
}


def create_rubric(Rubric, Threshold, RubricItem, level: str, year: int):
    name, pass_line, thresholds, items = RUBRICS[level]
    rubric = Rubric.objects.create(level=level, year=year, name=f"{year}年{name}", pass_line=pass_line)
    Threshold.objects.bulk_create(
        [Threshold(rubric=rubric, metric=m, minimum=v, order=i) for i, (m, v) in enumerate(thresholds.items())]
    )
    RubricItem.objects.bulk_create(
        [RubricItem(rubric=rubric, order=i, title=t, guidance=g, weight=w) for i, (t, g, w) in enumerate(items)]
    )
    return rubric


def ensure_rubrics(year: int) -> int:
    """Give ``year`` a rubric at each level: a copy of the level's latest one, or the shipped standard."""
    from kepu.bases.models import Rubric, RubricItem, Threshold

    made = 0
    for level in RUBRICS:
        if Rubric.objects.filter(level=level, year=year).exists():
            continue
        latest = Rubric.objects.filter(level=level, year__lt=year).order_by("-year").first()
        if latest is None:
            create_rubric(Rubric, Threshold, RubricItem, level, year)
        else:
            copy = Rubric.objects.create(
                level=level,
                year=year,
                name=latest.name.replace(str(latest.year), str(year)),
                pass_line=latest.pass_line,
            )
            Threshold.objects.bulk_create(
                [
                    Threshold(rubric=copy, metric=t.metric, minimum=t.minimum, order=t.order)
                    for t in latest.thresholds.all()
                ]
            )
            RubricItem.objects.bulk_create(
                [
                    RubricItem(rubric=copy, order=i.order, title=i.title, guidance=i.guidance, weight=i.weight)
                    for i in latest.items.all()
                ]
            )
        made += 1
    return made
