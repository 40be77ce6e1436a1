"""Helpers shared by the importer tests: the shipped plan copies and a numeral writer."""

from pathlib import Path

DATA = Path(__file__).parent / "data"


def read_plan(name: str) -> str:
    """A plan's text from the copy shipped with the tests (not /work/shared, which CI may lack)."""
    return (DATA / name).read_text(encoding="utf-8")


DIGITS = "零一二三四五六七八九"


def int_to_chinese(n: int) -> str:
    """Write 0 <= n < 10**12 as a Chinese numeral, the way a careful author would.

    Written for the tests independently of the importer: groups of four digits
    with 亿 and 万, 零 for skipped places, 十 (not 一十) for 10-19 at the start.
    """
    if n == 0:
        return "零"

    def group(value: int) -> str:
        out, zero = "", False
        for size, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            digit = value // size % 10
            if digit:
                out += ("零" if zero else "") + DIGITS[digit] + name
                zero = False
            elif out:
                zero = True
        return out

    result, zero = "", False
    for value, name in ((n // 10**8, "亿"), (n // 10**4 % 10**4, "万"), (n % 10**4, "")):
        if value:
            if result and (zero or value < 1000):
                result += "零"
            result += group(value) + name
            zero = False
        elif result:
            zero = True
    return result[1:] if result.startswith("一十") else result
