"""Numeric targets: value, unit, comparator, period, label; and what is not a target."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kepu.plans.importer import Comparator, extract_targets
from kepu.plans.importer.targets import pair_baselines

from .support import int_to_chinese


def only(text):
    targets = extract_targets(text)
    assert len(targets) == 1, [t.text for t in targets]
    return targets[0]


def test_activities_800():
    t = only("全年组织各类科普活动800场。")
    assert (t.value, t.unit, t.comparator, t.label, t.period) == (
        Decimal(800),
        "场",
        Comparator.EQUAL,
        "科普活动",
        "year",
    )
    assert t.text == "800场"


def test_ten_thousand_farmers_a_year():
    t = only("每年培训高素质农民1万人次")
    assert t.value == Decimal(10000)
    assert t.unit == "人次"
    assert t.period == "year"
    assert t.label == "高素质农民培训"


def test_quarter_billion_with_yi():
    t = only("科普活动参与人数达到2.5亿人次以上")
    assert t.value == Decimal(250_000_000)
    assert str(t.value) == "250000000"
    assert (t.unit, t.comparator) == ("人次", Comparator.AT_LEAST)
    assert t.qualifiers == ["达到", "以上"]
    assert t.label == "科普活动参与人数"
    assert t.text == "达到2.5亿人次以上"


def test_about_28_percent_by_2025():
    t = only("到2025年，公民具备科学素质的比例达到28%左右。")
    assert (t.value, t.comparator, t.unit) == (Decimal(28), Comparator.ABOUT, "%")
    assert t.label == "公民具备科学素质的比例"
    assert t.by_year == 2025


def test_chinese_numeral_twenty_three():
    t = only("开展科普讲座二十三场")
    assert (t.value, t.unit, t.label) == (Decimal(23), "场", "科普讲座")


def test_at_least_300_thousand():
    t = only("全年服务群众不少于30万人次")
    assert (t.value, t.comparator, t.unit, t.period) == (Decimal(300_000), Comparator.AT_LEAST, "人次", "year")
    assert t.text == "不少于30万人次"
    assert t.label == "群众服务"


@pytest.mark.parametrize(
    ("text", "value", "unit", "comparator"),
    [
        ("吸引两万人参与", Decimal(20000), "人", Comparator.EQUAL),
        ("举办一百二十场讲座", Decimal(120), "场", Comparator.EQUAL),
        ("筹集科普经费500万元", Decimal(500), "万元", Comparator.EQUAL),
        ("投入经费2千万元", Decimal(2000), "万元", Comparator.EQUAL),
        ("开展活动800余场", Decimal(800), "场", Comparator.MORE_THAN),
        ("发放资料超过3000份", Decimal(3000), "份", Comparator.MORE_THAN),
        ("至少三场", Decimal(3), "场", Comparator.AT_LEAST),
        ("培训时长不超过48小时", Decimal(48), "小时", Comparator.AT_MOST),
        ("覆盖约１２０个社区", Decimal(120), "个", Comparator.ABOUT),
        ("达标率提高2个百分点", Decimal(2), "个百分点", Comparator.EQUAL),
        ("比例达到百分之二十八", Decimal(28), "%", Comparator.AT_LEAST),
        ("服务12,000人次", Decimal(12000), "人次", Comparator.EQUAL),
        ("满意度３０％以上", Decimal(30), "%", Comparator.AT_LEAST),
        ("建成0.5万平方米展厅", Decimal(5000), "平方米", Comparator.EQUAL),
    ],
)
def test_shapes(text, value, unit, comparator):
    t = only(text)
    assert (t.value, t.unit, t.comparator) == (value, unit, comparator)


def test_several_targets_in_one_sentence():
    targets = extract_targets("每年举办讲座50场、展览20场，认定区级科普基地5家。")
    assert [(t.value, t.unit, t.label) for t in targets] == [
        (Decimal(50), "场", "讲座"),
        (Decimal(20), "场", "展览"),
        (Decimal(5), "家", "区级科普基地认定"),
    ]
    # The period word governs its whole sentence (up to 。 or ；).
    assert [t.period for t in targets] == ["year", "year", "year"]


def test_label_from_the_noun_after_the_number():
    assert only("开展200场科普讲座").label == "科普讲座"


def test_aspiration_is_recorded_but_does_not_bound():
    t = only("力争全年开展活动800场")
    assert t.qualifiers == ["力争"]
    assert t.comparator == Comparator.EQUAL


def test_line_numbers_come_from_the_caller():
    text = "第一句。\n开展活动800场"
    (t,) = extract_targets(text, line_of=lambda offset: 10 + text.count("\n", 0, offset))
    assert t.line == 11


@pytest.mark.parametrize(
    "text",
    [
        "2024年是实现“十四五”规划目标的关键一年",
        "继续加大对科学城东区“1+5”科学设施的宣传",
        "积极组织参加第42届北京学生科技节、第十六届北京市中小学生科学建议奖评选",
        "认真落实科技部等五部委《关于进一步加强突发事件应急科普宣教工作的意见》",
        "健全人防、物防、技防“三位一体”防护体系",
        "打造“科普三个一”品牌",
        "不断完善“5+2”保水体系",
        "《北京市全民科学素质行动规划纲要 (2021-2035年)》",
        "京科发〔2024〕12号",
        "分为三类",
        "每5年开展一次调查",  # 5年 is a period of time, 一次 has no bound
        "5月12日防灾减灾日",
        "举办3-5场讲座",
        "围绕“百场讲座进社区”开展活动",
        "G20峰会",
        "提升五大人群科学素质",
    ],
)
def test_not_targets(text):
    assert extract_targets(text) == []


def test_once_a_year_is_a_target():
    t = only("每年举办一次科技节")
    assert (t.value, t.unit, t.period) == (Decimal(1), "次", "year")


@given(st.integers(min_value=10, max_value=10**8), st.sampled_from(["场", "人次", "人", "个", "家", "期"]))
def test_chinese_numbers_in_targets_round_trip(n, unit):
    t = only(f"组织科普活动{int_to_chinese(n)}{unit}。")
    assert (t.value, t.unit) == (Decimal(n), unit)


@given(
    st.integers(min_value=1, max_value=10**6),
    st.sampled_from(["", "万", "亿"]),
    st.sampled_from(
        [
            ("不少于", "", Comparator.AT_LEAST),
            ("", "以上", Comparator.AT_LEAST),
            ("", "左右", Comparator.ABOUT),
            ("超过", "", Comparator.MORE_THAN),
            ("", "", Comparator.EQUAL),
        ]
    ),
)
def test_arabic_targets_round_trip(n, multiplier, qualifier):
    before, after, comparator = qualifier
    t = only(f"每年服务群众{before}{n}{multiplier}人次{after}，")
    factor = {"": 1, "万": 10**4, "亿": 10**8}[multiplier]
    assert t.value == n * factor
    assert t.comparator == comparator
    assert t.period == "year"


@given(st.text(max_size=80))
def test_scanner_never_crashes(text):
    for t in extract_targets(text):
        assert t.comparator in Comparator.ALL


# --- What the 2024 trials found ------------------------------------------------------------------
def test_a_space_before_wan():
    t = only("全年服务群众不少于 20 万人次。")
    assert (t.value, t.unit, t.comparator, t.text) == (
        Decimal(200_000),
        "人次",
        Comparator.AT_LEAST,
        "不少于 20 万人次",
    )


@pytest.mark.parametrize(
    "text",
    [
        "深入贯彻党的十八届三中全会精神",
        "学习贯彻党的十九大和十九届二中、三中、四中、五中全会精神",
        "本方案实施4项行动",
        "共部署12项工作任务",
        "从以下三个方面推进",
        "围绕阵地、活动、队伍3个方面",
        "提出5项重点工程和19项具体措施",
    ],
)
def test_ordinals_and_counts_of_the_documents_own_parts(text):
    assert extract_targets(text) == []


def test_a_count_of_work_with_another_verb_is_still_a_target():
    assert only("每年开展3项专项行动").value == Decimal(3)


def test_the_year_before_governs_the_paragraph():
    targets = extract_targets("到2027年，科普创作体系基本形成。举办科普讲座500场，出版图书120种。")
    assert [(t.value, t.label, t.period, t.by_year) for t in targets] == [
        (Decimal(500), "科普讲座", "by_year", 2027),
        (Decimal(120), "出版图书", "by_year", 2027),
    ]


def test_a_new_paragraph_has_no_year_from_the_one_before():
    (lectures,) = extract_targets("到2027年，基本形成体系。\n举办科普讲座500场。")
    assert (lectures.by_year, lectures.period) == (None, None)


def test_a_compared_year_dates_nothing():
    t = only("到2025年，参与人数比2020年增加3万人次。")
    assert (t.value, t.by_year) == (Decimal(30_000), 2025)


def test_a_year_before_the_plan_gives_a_baseline():
    literacy, target = extract_targets(
        "2022年，全区公民具备科学素质的比例达到21.5%，到2025年达到28%。", years=(2024, 2026)
    )
    assert (literacy.is_baseline, literacy.baseline_year, literacy.value) == (True, 2022, Decimal("21.5"))
    assert (target.is_baseline, target.by_year, target.label) == (False, 2025, "公民具备科学素质的比例")
    (paired,) = pair_baselines([literacy, target])
    assert (paired.value, paired.baseline, paired.baseline_year) == (Decimal(28), Decimal("21.5"), 2022)


def test_a_bare_year_inside_the_plan_dates_its_target():
    t = only_with_years("2025年举办科普讲座500场。", (2024, 2026))
    assert (t.by_year, t.period, t.is_baseline) == (2025, "by_year", False)


def test_without_the_plans_years_a_bare_year_is_only_a_mention():
    t = only("2022年举办科普讲座500场。")
    assert (t.by_year, t.is_baseline) == (None, False)


def test_a_baseline_without_its_target_stays_and_is_marked():
    (baseline,) = pair_baselines(extract_targets("2023年全区举办科普活动720场。", years=(2024, 2026)))
    assert (baseline.is_baseline, baseline.value, baseline.period) == (True, Decimal(720), None)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("加强科普队伍建设，达到500人。", "加强科普队伍建设"),
        ("建成社区科普e站60个。", "社区科普e站"),
        ("加强，达到500人。", "达到500人"),
    ],
)
def test_labels_are_never_empty_or_a_bare_verb(text, label):
    assert only(text).label == label


def only_with_years(text, years):
    targets = extract_targets(text, years=years)
    assert len(targets) == 1, [t.text for t in targets]
    return targets[0]
