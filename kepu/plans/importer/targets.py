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
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from .draft import Comparator, Target
from .numbers import (
    NUMERAL_CHARS,
    normalize_decimal,
    parse_chinese_number,
    parse_number,
    to_halfwidth,
)

#: Measure words, longest first so 人次 wins over 人 and 万元 over 元.
MEASURE_WORDS = sorted(
    [
        "个百分点", "平方公里", "平方米", "万元", "亿元", "元",
        "人次", "场次", "课时", "学时", "小时", "公里", "公顷",
        "场", "次", "期", "人", "名", "位", "户", "家", "所", "个", "种", "类", "项", "件",
        "部", "本", "册", "套", "篇", "集", "批", "支", "处", "座", "间", "台", "条", "门",
        "节", "堂", "天", "块", "份", "张", "幅", "棵", "株", "亩", "趟", "届", "%",
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
    r"(?P<arabic>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[十百千]?[万亿](?!元)|[十百千](?=[万亿]元))?)"
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

#: A deadline: 到2025年, 至2025年底, 2025年前.
_BY_YEAR = re.compile(r"(?:到|至|截至|截止到?)\s*(?P<a>\d{4})\s*年|(?P<b>\d{4})\s*年(?:底|末|前)")

#: Clause and sentence boundaries for the label and the period.
_CLAUSE_BREAK = re.compile(r"[，,、：:；;。！？!?\n（(）)]")
_SENTENCE_BREAK = re.compile(r"[；;。！？!?\n]")

#: Verbs that only say "do": dropped from the front of a label (组织各类科普活动 -> 科普活动).
_LIGHT_VERBS = (
    "组织", "开展", "举办", "举行", "完成", "实现", "推出", "打造", "提供", "组建", "召开",
    "新增", "新建", "累计", "共计", "共", "力争", "争取", "确保", "计划", "预计", "参加", "参与", "全区", "全市",
)  # fmt: skip

#: Verbs that name the activity: moved after their object (培训高素质农民 -> 高素质农民培训).
_NOMINAL_VERBS = (
    "培训", "服务", "接待", "建设", "认定", "培育", "征集", "创作", "发布", "资助", "评选", "表彰",
    "宣传", "慰问", "走访", "义诊", "招募", "发展", "吸纳", "发放",
)  # fmt: skip

#: Quantity words at the front of a label that say nothing (各类科普活动 -> 科普活动).
_VAGUE = ("各类", "各种", "各项", "多种", "多类", "一系列", "系列", "一批", "各级")

#: Spans that hold names, not amounts: quotes, titles, document numbers.
_QUOTED_PAIRS = {"“": "”", "《": "》", "〔": "〕", "【": "】", "「": "」", "[": "]"}


@dataclass(frozen=True)
class _Span:
    start: int
    end: int


def extract_targets(text: str, line_of: Callable[[int], int] = lambda _offset: 1) -> list[Target]:
    """Every numeric target in ``text``, in order.

    ``line_of`` maps an offset in ``text`` to a source line number (the parser
    passes one built from how it joined the node's lines).
    """
    probe = to_halfwidth(text)  # same length as text, so offsets hold for both
    quoted = _quoted_spans(probe)
    found: list[Target] = []
    previous_end = 0
    candidates = [(m.start(), m, "measure") for m in _TARGET.finditer(probe)]
    candidates += [(m.start(), m, "percent") for m in _PERCENT_WORDS.finditer(probe)]
    candidates.sort(key=lambda c: c[0])
    for start, match, shape in candidates:
        if start < previous_end or any(s.start <= start < s.end for s in quoted):
            continue
        target = _read_target(probe, text, match, shape, previous_end, line_of)
        if target is not None:
            found.append(target)
            previous_end = match.end()
    return found


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

    deadline = _last_match(_BY_YEAR, probe, sentence_start, match.start())
    by_year = int(deadline.group("a") or deadline.group("b")) if deadline else None

    label = _label(label_part, probe[match.end() :])
    value = normalize_decimal(Decimal(value))
    comparator = next((c for c in _PRECEDENCE if c in comparators), Comparator.EQUAL)
    target_text = original[text_start : match.end()].strip()
    return Target(
        value=value,
        unit=unit,
        comparator=comparator,
        label=label,
        text=target_text,
        line=line_of(match.start()),
        qualifiers=qualifiers,
        period=period,
        by_year=by_year,
    )


def _last_match(pattern: re.Pattern[str], text: str, start: int, end: int) -> re.Match[str] | None:
    """The last match of ``pattern`` in text[start:end] (the nearest to the number), or None."""
    last = None
    for last in pattern.finditer(text, start, end):  # only the last one is wanted
        pass
    return last


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
    if not label:
        noun = _CLAUSE_BREAK.split(after, maxsplit=1)[0]
        noun = re.split(r"[0-9等和及与]", noun, maxsplit=1)[0]
        label = noun.strip()[:20]
        for word in _VAGUE:
            label = label.removeprefix(word)
    return label[:40]
