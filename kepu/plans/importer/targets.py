"""Numeric targets (指标) in a plan's text: "每年培训高素质农民1万人次", "达到28%左右".

A target is a number followed by a measure word (场, 人次, %, 万元 …). That
grammar is what keeps out the numbers that are not targets: years (2024年)
and dates have no measure word, ordinals have 第 (第42届), plan names are not
well-formed numerals (十四五) or are formulas (1+5), document numbers sit in
〔〕, and names in quotes or 《》 are skipped. A bare one-character Chinese
numeral (三个一, 五部委, 三位一体) counts only when a qualifier or a period
says it is meant as an amount ("至少一次", "每年一期").

Around the number the scanner reads qualifiers (不少于 30万人次 以上), normalized
to a comparator, the period (每年 / 全年 …), a deadline year (到2025年) and a
short label for what is measured, built from the clause before the number.

A year governs the rest of its paragraph: in "到2027年，…基本形成。举办科普讲座
500场，出版图书120种" both targets are due by 2027. A year before the plan's
first year makes the number a baseline ("2022年…比例达到21.5%"), which
:func:`pair_baselines` attaches to the target it is the starting point of.
Counts of the document's own parts ("实施4项行动", "部署12项工作任务") and
ordinals ("党的十八届…全会") are not targets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from .draft import Comparator, Period, Target
from .numbers import (
    NUMERAL_CHARS,
    normalize_decimal,
    parse_chinese_number,
    parse_number,
    to_halfwidth,
)

#: Measure words, longest first so 人次 wins over 人 and 万元 over 元. 届 is left out on purpose:
#: "党的十八届三中全会" and "第十六届" count sessions of something, never a plan's target.
MEASURE_WORDS = sorted(
    [
        "个百分点", "平方公里", "平方米", "万元", "亿元", "元",
        "人次", "场次", "课时", "学时", "小时", "公里", "公顷",
        "场", "次", "期", "人", "名", "位", "户", "家", "所", "个", "种", "类", "项", "件",
        "部", "本", "册", "套", "篇", "集", "批", "支", "处", "座", "间", "台", "条", "门",
        "节", "堂", "天", "块", "份", "张", "幅", "棵", "株", "亩", "趟", "%",
    ],
    key=len,
    reverse=True,
)  # fmt: skip

_NUMERAL = re.escape(NUMERAL_CHARS)
_MEASURE = "|".join(re.escape(w) for w in MEASURE_WORDS)

#: A number with its measure word. The scan runs on text with full-width digits
#: and ％ mapped to ASCII (same length, so offsets still match the original).
_TARGET = re.compile(
    # Not in the middle of a number, a formula (1+5), a range (3-5, 3至5), an
    # ordinal (第42届) or a code (G20).
    rf"(?<![0-9.\-+/~～—第至A-Za-z{_NUMERAL}])"
    r"(?:"
    # Arabic, with thousands separators and a multiplier; 万/亿 directly before
    # 元 belong to the measure word (500万元 is 500 of the unit 万元).
    # A space may stand before the multiplier ("不少于 20 万人次", as typeset documents have it).
    r"(?P<arabic>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*[十百千]?[万亿](?!元)|[十百千](?=[万亿]元))?)"
    # Chinese, shortest first so 五百万元 leaves 万元 to the measure word.
    rf"|(?P<chinese>[{_NUMERAL}]+?)"
    r")"
    r"\s*(?P<approx>余|多)?"
    rf"(?P<unit>{_MEASURE})"
    # Not followed by more of the formula or range.
    r"(?![+\-~～至0-9])"
    r"(?P<post>以上|以下|以内|之内|左右)?"
)

#: 百分之二十八 / 百分之2.5 — a percentage written out.
_PERCENT_WORDS = re.compile(rf"百分之(?P<number>[0-9.]+|[{_NUMERAL}]+)(?P<post>以上|以下|以内|之内|左右)?")

#: Qualifiers written before the number, and the comparator each implies.
#: Longest first: 不少于 before 少于, 达到 before 达.
PRE_QUALIFIERS: dict[str, str] = {
    "不少于": Comparator.AT_LEAST,
    "不低于": Comparator.AT_LEAST,
    "至少": Comparator.AT_LEAST,
    "达到": Comparator.AT_LEAST,
    "达": Comparator.AT_LEAST,
    "不超过": Comparator.AT_MOST,
    "不高于": Comparator.AT_MOST,
    "不多于": Comparator.AT_MOST,
    "控制在": Comparator.AT_MOST,
    "超过": Comparator.MORE_THAN,
    "多于": Comparator.MORE_THAN,
    "高于": Comparator.MORE_THAN,
    "逾": Comparator.MORE_THAN,
    "突破": Comparator.MORE_THAN,
    "少于": Comparator.LESS_THAN,
    "低于": Comparator.LESS_THAN,
    "大约": Comparator.ABOUT,
    "约": Comparator.ABOUT,
    "将近": Comparator.ABOUT,
    "近": Comparator.ABOUT,
    # Words that only say "the value is": no bound of their own.
    "提高到": Comparator.EQUAL,
    "提高至": Comparator.EQUAL,
    "提升到": Comparator.EQUAL,
    "提升至": Comparator.EQUAL,
    "增加到": Comparator.EQUAL,
    "增加至": Comparator.EQUAL,
    "增长到": Comparator.EQUAL,
    "保持在": Comparator.EQUAL,
    "稳定在": Comparator.EQUAL,
    "为": Comparator.EQUAL,
    "在": Comparator.EQUAL,
    "到": Comparator.EQUAL,
}
_PRE_AT_END = re.compile("(?:" + "|".join(sorted(PRE_QUALIFIERS, key=len, reverse=True)) + r")\s*$")

#: Words after the number (or between it and the measure word: 800余场).
POST_QUALIFIERS: dict[str, str] = {
    "以上": Comparator.AT_LEAST,
    "以下": Comparator.AT_MOST,
    "以内": Comparator.AT_MOST,
    "之内": Comparator.AT_MOST,
    "左右": Comparator.ABOUT,
    "余": Comparator.MORE_THAN,
    "多": Comparator.MORE_THAN,
}

#: Aspiration markers: recorded as qualifiers, they change no comparator.
_ASPIRATION = re.compile(r"力争|争取")

#: Which comparator wins when qualifiers disagree: 达到28%左右 is ≈, not ≥.
_PRECEDENCE = (
    Comparator.ABOUT,
    Comparator.MORE_THAN,
    Comparator.LESS_THAN,
    Comparator.AT_LEAST,
    Comparator.AT_MOST,
    Comparator.EQUAL,
)

#: Period words, searched in the sentence before the number.
PERIODS: tuple[tuple[str, str], ...] = (
    ("每年度", "year"), ("每年", "year"), ("年均", "year"), ("全年", "year"), ("per year", "year"),
    ("每季度", "quarter"), ("每季", "quarter"),
    ("每个月", "month"), ("每月", "month"), ("月均", "month"),
    ("每周", "week"), ("每学期", "term"), ("每天", "day"), ("每日", "day"), ("日均", "day"),
    ("累计", "total"),
)  # fmt: skip
_PERIOD = re.compile("|".join(re.escape(p) for p, _ in PERIODS))
_PERIOD_CODE = dict(PERIODS)

#: A year that dates what follows it in its paragraph: 到2025年, 至2025年底, 2025年前, 截至2022年底, 2022年.
#: A year compared against (比2020年, 较2020年) or ending a range (2021—2035年) dates nothing.
_YEAR = re.compile(
    r"(?P<pre>比|较|相比|与|到|至|截至|截止到?)?\s*"
    r"(?<![0-9])(?<![0-9][-—–~～－至到])(?<![0-9]年[-—–~～－至到])"
    r"(?P<year>(?:19|20)\d{2})\s*年(?P<post>底|末|前|初)?"
    r"(?!\s*(?:[-—–~～－]|至|到)\s*\d{4})"
)
_COMPARED = ("比", "较", "相比", "与")

#: The counted noun after a measure word that names a part of the document itself: 4项行动, 12项工作任务.
_OWN_PARTS = re.compile(r"^[\u4e00-\u9fff]{0,4}?(?:行动|任务|工程|举措|措施|方面|部分|原则|目标|章|篇)")
#: Verbs (or words) before such a count that say the document is describing itself.
_DESCRIBING = re.compile(r"(?:实施|部署|提出|包括|包含|明确|围绕|聚焦|涵盖|分为|设置|推出|安排|以下|如下|确定)\s*$")
#: A count right after another count of the document's parts: "提出5项重点工程和19项具体措施".
_OWN_CHAIN = re.compile(
    rf"(?:\d+|[{_NUMERAL}]+)\s*(?:项|个|类|条|大)[\u4e00-\u9fff]{{0,6}}?(?:行动|任务|工程|举措|措施|方面)"
    r"\s*(?:和|及|与|、|以及)\s*$"
)
#: Parts that are always the document's own, whatever verb stands before them.
_ALWAYS_OWN = re.compile(r"^(?:个|项|大)?(?:方面|部分|原则|章|篇)")

#: Clause and sentence boundaries for the label and the period.
_CLAUSE_BREAK = re.compile(r"[，,、：:；;。！？!?\n（(）)]")
_SENTENCE_BREAK = re.compile(r"[；;。！？!?\n]")
_FULL_STOP = re.compile(r"[。！？!?\n]")

#: Verbs that say nothing of what is measured: a label that is only one of them is no label ("加强").
_BARE_VERBS = frozenset(
    "加强 推进 推动 开展 提升 提高 建设 完善 实现 达到 达 新增 增加 扩大 覆盖 持续 不断 进一步 确保 力争 培育 打造 "
    "深化 强化 健全 落实 促进 支持 鼓励 引导 组织 举办 形成 基本形成 保持 稳定".split()
)

#: Verbs that only say "do": dropped from the front of a label (组织各类科普活动 -> 科普活动).
_LIGHT_VERBS = (
    "组织", "开展", "举办", "举行", "完成", "实现", "推出", "打造", "提供", "组建", "召开",
    "新增", "新建", "建成", "累计", "共计", "共", "力争", "争取", "确保", "计划", "预计", "参加", "参与",
    "全区", "全市",
)  # fmt: skip

#: Verbs that name the activity: moved after their object (培训高素质农民 -> 高素质农民培训).
_NOMINAL_VERBS = (
    "培训", "服务", "接待", "建设", "认定", "培育", "征集", "创作", "发布", "资助", "评选", "表彰",
    "宣传", "慰问", "走访", "义诊", "招募", "发展", "吸纳", "发放",
)  # fmt: skip

#: Quantity words at the front of a label that say nothing (各类科普活动 -> 科普活动).
_VAGUE = ("各类", "各种", "各项", "多种", "多类", "一系列", "系列", "一批", "各级", "其中")

#: Spans that hold names, not amounts: quotes, titles, document numbers.
_QUOTED_PAIRS = {"“": "”", "《": "》", "〔": "〕", "【": "】", "「": "」", "[": "]"}


@dataclass(frozen=True)
class _Span:
    start: int
    end: int


def extract_targets(
    text: str,
    line_of: Callable[[int], int] = lambda _offset: 1,
    *,
    years: tuple[int, int | None] | None = None,
) -> list[Target]:
    """Every numeric target in ``text``, in order (baselines included, marked ``is_baseline``).

    ``line_of`` maps an offset in ``text`` to a source line number (the parser
    passes one built from how it joined the node's lines). ``years`` is the
    plan's first and last year when known: a number dated before the first
    year is a baseline, not a target.
    """
    probe = to_halfwidth(text)  # same length as text, so offsets hold for both
    quoted = _quoted_spans(probe)
    found: list[Target] = []
    starts: list[int] = []
    previous_end = 0
    candidates = [(m.start(), m, "measure") for m in _TARGET.finditer(probe)]
    candidates += [(m.start(), m, "percent") for m in _PERCENT_WORDS.finditer(probe)]
    candidates.sort(key=lambda c: c[0])
    for start, match, shape in candidates:
        if start < previous_end or any(s.start <= start < s.end for s in quoted):
            continue
        target = _read_target(probe, text, match, shape, previous_end, line_of, years)
        if target is not None:
            if not target.label:
                target.label = _fallback_label(found, starts, probe, start) or target.text
            found.append(target)
            starts.append(start)
            previous_end = match.end()
    return found


def pair_baselines(targets: list[Target]) -> list[Target]:
    """Attach each baseline to the target it is the starting point of; keep the ones without a target.

    "2022年…比例达到21.5%，到2025年达到28%": 28 % by 2025 with 21.5 % (2022)
    as its baseline. A baseline pairs with the nearest following target of the
    same unit whose label shares a word with its own (or, failing that, the
    nearest preceding one); one left without a target stays in the list,
    marked, so the person sees it and it is not published as a target.
    """
    result = list(targets)
    for baseline in [t for t in targets if t.is_baseline]:
        position = result.index(baseline)
        after = [t for t in result[position + 1 :] if _pairs(baseline, t)]
        before = [t for t in reversed(result[:position]) if _pairs(baseline, t)]
        partner = (after or before or [None])[0]
        if partner is not None:
            partner.baseline, partner.baseline_year = baseline.value, baseline.baseline_year
            result.remove(baseline)
    return result


def _pairs(baseline: Target, target: Target) -> bool:
    if target.is_baseline or target.baseline is not None or target.unit != baseline.unit:
        return False
    a, b = baseline.label, target.label
    return not a or not b or bool({a[i : i + 2] for i in range(len(a) - 1)} & {b[i : i + 2] for i in range(len(b) - 1)})


def _fallback_label(found: list[Target], starts: list[int], probe: str, position: int) -> str:
    """A label for a number whose own clause names nothing, from the sentence it stands in.

    The thing measured carries over from the target before it in the same
    sentence, clauses after ；included ("…比例达到21.5%；到2025年达到28%");
    else the clause before names it ("加强科普队伍建设，达到500人").
    """
    sentence_start = _last_break(_SENTENCE_BREAK, probe, position)
    if found and starts[-1] >= _last_break(_FULL_STOP, probe, position) and found[-1].label:
        return found[-1].label
    clause_start = _last_break(_CLAUSE_BREAK, probe, position)
    if clause_start <= sentence_start:
        return ""
    before = _last_break(_CLAUSE_BREAK, probe, clause_start - 1)
    label = _label(probe[max(before, sentence_start) : clause_start - 1], "")
    return label if len(label) >= 2 and label not in _BARE_VERBS else ""


def _quoted_spans(text: str) -> list[_Span]:
    """Spans inside “…”, 《…》, 〔…〕, 【…】, 「…」 and […]."""
    spans = []
    stack: list[tuple[str, int]] = []
    for index, ch in enumerate(text):
        if ch in _QUOTED_PAIRS:
            stack.append((_QUOTED_PAIRS[ch], index))
        elif stack and ch == stack[-1][0]:
            _, begin = stack.pop()
            spans.append(_Span(begin, index + 1))
    return spans


def _read_target(
    probe: str,
    original: str,
    match: re.Match[str],
    shape: str,
    previous_end: int,
    line_of: Callable[[int], int],
    years: tuple[int, int | None] | None = None,
) -> Target | None:
    """Build a Target from a match, or None if it turns out not to be one."""
    if shape == "percent":
        raw_number, unit, approx = match.group("number"), "%", None
        is_single_chinese = False
    else:
        raw_number = match.group("arabic") or match.group("chinese")
        unit, approx = match.group("unit"), match.group("approx")
        # A lone digit word (一 … 九, 两) is too often part of a word; 十 is not (十场 is ten).
        is_single_chinese = bool(match.group("chinese")) and len(raw_number) == 1 and raw_number != "十"
    raw_number = re.sub(r"\s+", "", raw_number)
    try:
        if shape == "percent" and not raw_number[0].isdigit():
            value = parse_chinese_number(raw_number)
        else:
            value = parse_number(raw_number)
    except ValueError:
        return None

    sentence_start = _last_break(_SENTENCE_BREAK, probe, match.start())
    clause_start = max(_last_break(_CLAUSE_BREAK, probe, match.start()), previous_end)
    prefix = probe[clause_start : match.start()]
    if shape == "measure" and _counts_own_parts(unit, prefix, probe[match.end() :]):
        return None

    qualifiers: list[str] = []
    comparators: list[str] = []
    label_part = prefix
    while pre := _PRE_AT_END.search(label_part):
        word = pre.group().strip()
        qualifiers.insert(0, word)
        comparators.append(PRE_QUALIFIERS[word])
        label_part = label_part[: pre.start()]
    text_start = clause_start + len(label_part)
    aspiration = _ASPIRATION.findall(probe[sentence_start : match.start()])
    qualifiers = aspiration + qualifiers
    for word in (approx, match.group("post")):
        if word:
            qualifiers.append(word)
            comparators.append(POST_QUALIFIERS[word])

    period_match = _last_match(_PERIOD, probe, sentence_start, match.start())
    period = _PERIOD_CODE[period_match.group()] if period_match else None

    bounded = any(c != Comparator.EQUAL for c in comparators)
    if is_single_chinese and not bounded and period is None:
        return None  # 三个一, 五部委, 分为三类: a word, not an amount

    dated = _dating_year(probe, match.start())
    is_baseline = False
    by_year = None
    if dated is not None:
        year, is_deadline = dated
        if years is not None and year < years[0]:
            is_baseline = True  # "2022年…达到21.5%" in a plan from 2024: where things stand, not a target
        elif is_deadline or years is not None:
            by_year = year
    if by_year is not None and period in (None, Period.TOTAL):
        # "到2025年，累计培训5万人次": reached by that year, in total, which is what "by a year" means.
        period = Period.BY_YEAR

    label = _label(label_part, probe[match.end() :])
    value = normalize_decimal(Decimal(value))
    comparator = next((c for c in _PRECEDENCE if c in comparators), Comparator.EQUAL)
    target_text = original[text_start : match.end()].strip()
    return Target(
        value=value,
        unit=unit,
        comparator=Comparator.EQUAL if is_baseline else comparator,
        label=label,
        text=target_text,
        line=line_of(match.start()),
        qualifiers=qualifiers,
        period=None if is_baseline else period,
        by_year=by_year,
        baseline_year=dated[0] if is_baseline and dated else None,
        is_baseline=is_baseline,
    )


def _dating_year(probe: str, position: int) -> tuple[int, bool] | None:
    """The year that dates a number: the nearest one before it in its paragraph, and whether it is a deadline.

    "到2025年" and "2025年底/前" are deadlines; a bare "2025年" dates too (the
    caller decides by the plan's years). Compared years (比2020年) are skipped.
    """
    paragraph_start = probe.rfind("\n", 0, position) + 1
    for found in reversed(list(_YEAR.finditer(probe, paragraph_start, position))):
        pre = found.group("pre") or ""
        if pre in _COMPARED:
            continue
        return int(found.group("year")), bool(pre or found.group("post"))
    return None


def _counts_own_parts(unit: str, prefix: str, after: str) -> bool:
    """Whether a count is of the document's own parts: "实施4项行动", "部署12项工作任务", "以下三个方面"."""
    if unit not in ("项", "个", "类", "条", "大", "方面", "部", "篇") or not _OWN_PARTS.match(after):
        return False
    if _ALWAYS_OWN.match(unit + after):
        return True
    while pre := _PRE_AT_END.search(prefix):
        prefix = prefix[: pre.start()]
    return bool(_DESCRIBING.search(prefix) or _OWN_CHAIN.search(prefix))


def _last_match(pattern: re.Pattern[str], text: str, start: int, end: int) -> re.Match[str] | None:
    """The last match of ``pattern`` in text[start:end] (the nearest to the number), or None."""
    matches = list(pattern.finditer(text, start, end))
    return matches[-1] if matches else None


def _last_break(pattern: re.Pattern[str], text: str, end: int) -> int:
    """Offset just after the last boundary before ``end`` (0 if none)."""
    last = 0
    for found in pattern.finditer(text, 0, end):
        last = found.end()
    return last


def _label(prefix: str, after: str) -> str:
    """A short name for what a target measures, from the words before it.

    Drops period words, light verbs and vague quantities from the front; moves a
    verb that names the activity behind its object (培训高素质农民 -> 高素质
    农民培训); falls back to the noun after the number (开展200场科普讲座 ->
    科普讲座).
    """
    label = _PERIOD.sub("", prefix).strip()
    label = re.sub(r"^(?:到|至|截至)?\s*\d{4}\s*年(?:底|末|前)?", "", label).strip()
    changed = True
    while changed:
        changed = False
        for word in _LIGHT_VERBS + _VAGUE:
            if label.startswith(word) and len(label) > len(word):
                label = label[len(word) :].lstrip()
                changed = True
            elif label == word:
                label = ""
                changed = True
    label = label.rstrip("的")
    for verb in _NOMINAL_VERBS:
        if label.startswith(verb) and len(label) > len(verb):
            label = label[len(verb) :] + verb
            break
    if len(label) < 2 or label in _BARE_VERBS:
        noun = _CLAUSE_BREAK.split(after, maxsplit=1)[0]
        noun = re.split(r"[0-9等和及与]", noun, maxsplit=1)[0]
        noun = noun.strip()[:20]
        for word in _VAGUE:
            noun = noun.removeprefix(word)
        label = noun if len(noun) >= 2 and noun not in _BARE_VERBS else ""
    return label[:40]
