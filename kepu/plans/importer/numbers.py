"""Numbers as Chinese plans write them: 800, 1.5万, 2.5亿, 二十三, 两万, 一百二十, ３０.

Parsing is strict on purpose: "十四五" (the 14th five-year plan) and "三五"
are not numbers, and must not become targets, so a string that is not a
well-formed numeral raises ``ValueError`` instead of being guessed at.
All values are ``Decimal`` so 2.5亿 is exactly 250000000.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

#: Full-width digits and the full-width point/percent/comma, mapped to ASCII, so
#: "３０％" and "2．5" read like "30%" and "2.5".
FULLWIDTH = str.maketrans("０１２３４５６７８９．％，", "0123456789.%,")

#: Values of the Chinese digits, including 〇/零 and the colloquial 两 (2, used
#: before 百千万亿) and the financial (大写) forms used on money amounts.
DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "○": 0,
    "一": 1, "壹": 1,
    "二": 2, "两": 2, "贰": 2,
    "三": 3, "叁": 3,
    "四": 4, "肆": 4,
    "五": 5, "伍": 5,
    "六": 6, "陆": 6,
    "七": 7, "柒": 7,
    "八": 8, "捌": 8,
    "九": 9, "玖": 9,
}  # fmt: skip

#: Place values inside a four-digit group.
SMALL_UNITS: dict[str, int] = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}

#: Group multipliers; 万 and 亿 also follow Arabic numbers ("1.5万").
BIG_UNITS: dict[str, int] = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}

#: Every character that can be part of a Chinese numeral (used by the target scanner).
NUMERAL_CHARS = "".join(DIGITS) + "".join(SMALL_UNITS) + "".join(BIG_UNITS) + "点"

#: An Arabic number: digits with optional thousands separators and decimals ("12,000", "2.5").
_ARABIC = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")

#: Multipliers written after an Arabic number: 万, 亿, and the combinations plans use.
_ARABIC_MULTIPLIER = re.compile(r"(?:十|百|千)?(?:万|亿)?|(?:十|百|千)")


def to_halfwidth(text: str) -> str:
    """Map full-width digits and number punctuation to ASCII (length-preserving)."""
    return text.translate(FULLWIDTH)


def parse_chinese_integer(text: str) -> int:
    """Value of a Chinese integer numeral: "二十三" -> 23, "两万" -> 20000.

    Accepts the usual written forms: 十五 and 一十五, 一百零五, 一千零一十,
    一万零五百, 两千, 一亿二千万. Rejects run-ons such as "十四五" or "一二",
    and the colloquial abbreviation "一百五" (150), which would otherwise turn
    plan names like "三五" into numbers.
    """
    if not text:
        raise ValueError("empty numeral")
    for ch in text:
        if ch not in DIGITS and ch not in SMALL_UNITS and ch not in BIG_UNITS:
            raise ValueError(f"not a Chinese numeral character: {ch!r} in {text!r}")
    return _parse_big(text, 100_000_000)


def _parse_big(text: str, unit: int) -> int:
    """Parse around the largest group unit (亿, then 万), recursing into each side."""
    if unit == 1:
        return _parse_group(text)
    chars = [c for c, v in BIG_UNITS.items() if v == unit]
    pos = max(text.rfind(c) for c in chars)
    if pos < 0:
        return _parse_big(text, 1 if unit == 10_000 else 10_000)
    high, low = text[:pos], text[pos + 1 :]
    if not high:
        raise ValueError(f"group unit without a number before it: {text!r}")
    high_value = _parse_big(high, 10_000) if unit == 100_000_000 else _parse_group(high)
    if high_value == 0:
        raise ValueError(f"zero before a group unit: {text!r}")
    if unit == 10_000 and any(c in BIG_UNITS for c in high):
        raise ValueError(f"misplaced group unit: {text!r}")
    next_unit = 10_000 if unit == 100_000_000 else 1
    low = low.removeprefix("零").removeprefix("〇")
    low_value = _parse_big(low, next_unit) if low else 0
    if low_value >= unit:
        raise ValueError(f"lower part too large: {text!r}")
    return high_value * unit + low_value


def _parse_group(text: str) -> int:
    """Parse a numeral below 10000 (no 万/亿): 三千零五十, 十二, 九."""
    if not text:
        raise ValueError("empty group")
    total = 0
    digit: int | None = None  # a digit waiting for its place value
    last_unit = 10_000  # place values must strictly decrease
    after_zero = False
    for index, ch in enumerate(text):
        if ch in DIGITS:
            value = DIGITS[ch]
            if value == 0:
                if digit is not None or index == 0 and len(text) > 1:
                    raise ValueError(f"misplaced zero in {text!r}")
                after_zero = True
                continue
            if digit is not None:
                raise ValueError(f"two digits in a row in {text!r}")
            digit = value
        elif ch in SMALL_UNITS:
            unit = SMALL_UNITS[ch]
            if unit >= last_unit:
                raise ValueError(f"place values out of order in {text!r}")
            if digit is None:
                # 十 at the very start means 一十 (十五 = 15); elsewhere a place value needs its digit.
                if unit != 10 or total or after_zero:
                    raise ValueError(f"place value without digit in {text!r}")
                digit = 1
            total += digit * unit
            digit = None
            last_unit = unit
            after_zero = False
        else:  # pragma: no cover - guarded by the caller
            raise ValueError(f"unexpected {ch!r}")
    if digit is not None:
        # A trailing digit is the ones place: allowed after 十 (二十三), after 零
        # (一百零三) or alone (七); "一百五" (=150 colloquially) is rejected.
        if last_unit not in (10_000, 10) and not after_zero:
            raise ValueError(f"trailing digit without place value in {text!r}")
        total += digit
    elif text in ("零", "〇", "○"):
        return 0
    return total


def parse_chinese_number(text: str) -> Decimal:
    """A Chinese numeral that may have a decimal part: "二点五" -> 2.5, "两万" -> 20000."""
    if "点" not in text:
        return Decimal(parse_chinese_integer(text))
    whole, _, frac = text.partition("点")
    # The multiplier may follow the fraction: 二点五亿.
    multiplier = 1
    while frac and frac[-1] in BIG_UNITS:
        multiplier *= BIG_UNITS[frac[-1]]
        frac = frac[:-1]
    if not whole or not frac or any(c not in DIGITS for c in frac):
        raise ValueError(f"malformed decimal numeral {text!r}")
    integer = parse_chinese_integer(whole)
    fraction = Decimal("0." + "".join(str(DIGITS[c]) for c in frac))
    return (Decimal(integer) + fraction) * multiplier


def parse_arabic_number(text: str) -> Decimal:
    """An Arabic number with optional 十/百/千/万/亿 multipliers: "2.5亿" -> 250000000."""
    text = to_halfwidth(text.strip())
    match = _ARABIC.match(text)
    if not match:
        raise ValueError(f"not a number: {text!r}")
    try:
        value = Decimal(match.group().replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the regex only admits valid numbers
        raise ValueError(str(exc)) from exc
    rest = text[match.end() :]
    if rest and not _ARABIC_MULTIPLIER.fullmatch(rest):
        raise ValueError(f"unexpected text after number: {text!r}")
    for ch in rest:
        value *= SMALL_UNITS.get(ch) or BIG_UNITS[ch]
    return value


def parse_number(text: str) -> Decimal:
    """Parse any number a plan writes: Arabic (half- or full-width) or Chinese.

    Raises ``ValueError`` if ``text`` is not a number as a whole.
    """
    text = to_halfwidth(text.strip())
    if text and text[0].isdigit():
        return normalize_decimal(parse_arabic_number(text))
    return normalize_decimal(parse_chinese_number(text))


def normalize_decimal(value: Decimal) -> Decimal:
    """Drop a meaningless exponent/trailing zeros (2.50E+8 -> 250000000), keeping exactness."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def format_quantity(value: Decimal) -> str:
    """A quantity as a Chinese plan writes it: 250000000 -> "2.5亿", 200000 -> "20万", 800 -> "800".

    亿 and 万 are used only when the number reads exactly with them (at most two
    decimals), so nothing is rounded: 12345 stays "12345".
    """
    value = normalize_decimal(Decimal(value))
    for size, name in ((Decimal(100_000_000), "亿"), (Decimal(10_000), "万")):
        if abs(value) >= size:
            scaled = value / size
            if scaled == scaled.quantize(Decimal("0.01")):
                return f"{normalize_decimal(scaled):f}{name}"
    return f"{value:f}"
