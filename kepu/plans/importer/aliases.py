"""Built-in names of Beijing district departments, for matching 责任单位.

Plans name the same department many ways: by its full name, by its short name,
by an old name after an institutional reform (区环保局 -> 区生态环境局,
区科委 -> 区科信局 in some districts), with or without the district's name
(密云区科委 / 区科委) or the Party prefix (中共北京市密云区委宣传部). Every
entry below is one department in district-relative form (区…); the matcher
reduces any written name to that form first (see :func:`canonical_name`).

Organizations passed in by the caller win over this table: it is only used to
connect a written name with an organization whose own name, short name or
aliases are another spelling of the same department.
"""

from __future__ import annotations

import re

#: One tuple per department: every way plans write it, district-relative.
DEPARTMENTS: tuple[tuple[str, ...], ...] = (
    ("区科协", "区科学技术协会", "区科普工作联席会议办公室"),
    (
        "区科委",
        "区科学技术委员会",
        "区科信局",
        "区科学技术和信息化局",
        "区科技局",
        "区科学技术局",
        "区科委（区中关村园区管委会）",
    ),
    ("区卫健委", "区卫生健康委", "区卫生健康委员会", "区卫健局", "区卫生计生委", "区卫计委", "区卫生和计划生育委员会"),
    ("区文旅局", "区文化和旅游局", "区文化旅游局", "区文化委", "区文委"),
    ("团区委", "共青团区委", "区团委", "共青团区委员会"),
    ("区融媒体中心", "区融媒中心"),
    ("区教委", "区教育委员会", "区教育局", "区教工委"),
    ("区委宣传部", "区宣传部", "宣传部"),
    ("区委组织部", "区组织部", "组织部"),
    ("区委网信办", "区网信办"),
    ("区人力社保局", "区人力资源和社会保障局", "区人保局", "区人社局", "区人力资源社会保障局"),
    ("区总工会", "区工会"),
    ("区妇联", "区妇女联合会"),
    ("区残联", "区残疾人联合会"),
    ("区财政局", "区财政"),
    ("区民政局",),
    ("区园林绿化局", "区园林局", "区绿化局"),
    ("区生态环境局", "区环保局", "区环境保护局", "区生态环境分局"),
    ("区应急局", "区应急管理局", "区安监局"),
    ("区商务局", "区商务委", "区商务委员会"),
    ("区经信局", "区经济和信息化局", "区经济信息化局", "区经信委"),
    ("区农业农村局", "区农委", "区农业农村委", "区农业局"),
    ("区城管委", "区城市管理委", "区城市管理委员会"),
    ("区市场监管局", "区市监局", "区市场监督管理局", "区市场监管分局"),
    ("区气象局",),
    ("区地震局",),
    ("区水务局",),
    ("区发展改革委", "区发改委", "区发展和改革委员会"),
    ("区司法局",),
    ("区体育局",),
    ("区住房城乡建设委", "区住建委", "区住房和城乡建设委员会"),
    ("区交通局", "区交通委"),
    ("区规划自然资源分局", "区规自分局", "规划自然资源委区分局"),
    ("区公安分局", "公安区分局", "公安局区分局", "区公安局"),
    ("区消防救援支队", "区消防支队"),
    ("区卫生监督所",),
    ("区疾控中心", "区疾病预防控制中心"),
    ("区科技馆",),
    ("区图书馆",),
    ("区文化馆",),
    ("区新时代文明实践中心", "区文明实践中心"),
    ("区政务服务局", "区政务服务管理局"),
    ("区国资委", "区人民政府国有资产监督管理委员会"),
    ("区退役军人局", "区退役军人事务局"),
    ("区统计局",),
    ("区审计局",),
    ("区税务局",),
    ("区档案馆",),
    ("区侨联",),
    ("区工商联",),
    ("区老龄办",),
    ("区委社会工委", "区委社会工作部", "区社会工委"),
)

#: The 16 districts of Beijing, stripped from names so 密云区科委 reads as 区科委.
BEIJING_DISTRICTS = (
    "东城", "西城", "朝阳", "丰台", "石景山", "海淀", "门头沟", "房山",
    "通州", "顺义", "昌平", "大兴", "怀柔", "平谷", "密云", "延庆",
)  # fmt: skip

#: Prefixes that add nothing to a department's identity.
_PARTY_PREFIX = re.compile(r"^(?:中共|中国共产党)")
#: "委员会" inside a Party or League body's name reads as "委": 区委员会宣传部 -> 区委宣传部.
_COMMITTEE = re.compile(r"区委员会")
#: The League's district committee, however written: 共青团区委 / 共青团北京市密云区委员会.
_LEAGUE = re.compile(r"^(?:中国共产主义青年团|共青团)区委$")
#: Suffixes a street or town office carries in its formal name.
_OFFICE_SUFFIX = re.compile(r"(?:办事处|人民政府)$")
#: Brackets of either width, made one width so "（" and "(" compare equal.
_BRACKETS = str.maketrans("()", "（）")
#: Any whitespace, including the ideographic space.
_WHITESPACE = re.compile(r"[\s\u3000]+")


def canonical_name(name: str, extra_districts: tuple[str, ...] = ()) -> str:
    """A written name reduced to district-relative form for comparison.

    "中共北京市密云区委员会宣传部" -> "区委宣传部"; "共青团北京市密云区委员会"
    -> "团区委"; "北京市西城区科学技术和信息化局" -> "区科学技术和信息化局";
    "鼓楼街道办事处" -> "鼓楼街道". Brackets are unified and spaces dropped.
    ``extra_districts`` adds district names beyond Beijing's (e.g. "滨海新").
    """
    name = _WHITESPACE.sub("", name).translate(_BRACKETS)
    name = name.removesuffix("等")
    name = _PARTY_PREFIX.sub("", name)
    name = name.removeprefix("北京市")
    # Only "密云区…" is stripped, never a bare "密云…": 密云镇 and 朝阳门街道 are places of their own.
    for district in (*extra_districts, *BEIJING_DISTRICTS):
        form = f"{district}区"
        if name.startswith(form) and len(name) > len(form):
            rest = name[len(form) :]
            name = rest if rest.startswith("区") else "区" + rest
            break
    # 公安局密云分局 / 规划自然资源委密云分局: the district sits in the middle.
    for district in (*extra_districts, *BEIJING_DISTRICTS):
        name = name.replace(f"{district}分局", "区分局")
    name = _COMMITTEE.sub("区委", name)
    if name.startswith(("共青团", "中国共产主义青年团")):
        # 共青团北京市密云区委员会 -> 共青团区委 -> 团区委
        league = name.removeprefix("中国共产主义青年团").removeprefix("共青团").removeprefix("北京市")
        for district in (*extra_districts, *BEIJING_DISTRICTS):
            league = league.removeprefix(f"{district}区")
        if league in ("区委", "委", ""):
            name = "团区委"
    if _LEAGUE.match(name):
        name = "团区委"
    return _OFFICE_SUFFIX.sub("", name)


def _build_index() -> dict[str, int]:
    """canonical spelling -> department number."""
    index: dict[str, int] = {}
    for number, spellings in enumerate(DEPARTMENTS):
        for spelling in spellings:
            index[canonical_name(spelling)] = number
    return index


_INDEX = _build_index()


def department_of(name: str, extra_districts: tuple[str, ...] = ()) -> int | None:
    """The built-in department a name is a spelling of, or None."""
    return _INDEX.get(canonical_name(name, extra_districts))
