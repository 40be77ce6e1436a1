"""The number parser: Arabic and Chinese numerals, 万/亿, strictness on non-numbers."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kepu.plans.importer.numbers import (
    NUMERAL_CHARS,
    format_quantity,
    parse_chinese_integer,
    parse_number,
)

from .support import int_to_chinese


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("二十三", 23),
        ("两万", 20000),
        ("一百二十", 120),
        ("十", 10),
        ("十五", 15),
        ("一十五", 15),
        ("一百零五", 105),
        ("一千零一十", 1010),
        ("一万零五百", 10500),
        ("三千", 3000),
        ("两千五百", 2500),
        ("一亿二千万", 120_000_000),
        ("一万亿", 10**12),
        ("〇", 0),
    ],
)
def test_chinese_integers(written, value):
    assert parse_chinese_integer(written) == value


@pytest.mark.parametrize(
    "written", ["十四五", "十三五", "三五", "一二", "一百五", "万", "百万", "十十", "零五", "", "科普"]
)
def test_strings_that_are_not_numerals_are_rejected(written):
    with pytest.raises(ValueError):
        parse_chinese_integer(written)


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("800", Decimal(800)),
        ("1万", Decimal(10000)),
        ("2.5亿", Decimal(250_000_000)),
        ("30万", Decimal(300_000)),
        ("1.5万", Decimal(15000)),
        ("3千", Decimal(3000)),
        ("2千万", Decimal(20_000_000)),
        ("12,000", Decimal(12000)),
        ("１２０", Decimal(120)),  # full-width digits
        ("２．５万", Decimal(25000)),  # full-width point
        ("28", Decimal(28)),
        ("0.5", Decimal("0.5")),
        ("二点五亿", Decimal(250_000_000)),
        ("二十三", Decimal(23)),
    ],
)
def test_parse_number(written, value):
    parsed = parse_number(written)
    assert parsed == value
    assert str(parsed) == str(value)  # exact, without an exponent or a trailing ".0"


@pytest.mark.parametrize("written", ["1+5", "2024年", "abc", "1.2.3", "十四五"])
def test_parse_number_rejects(written):
    with pytest.raises(ValueError):
        parse_number(written)


def test_writer_examples():
    # The test's own writer must be right for the round trip to mean anything.
    assert int_to_chinese(10) == "十"
    assert int_to_chinese(23) == "二十三"
    assert int_to_chinese(105) == "一百零五"
    assert int_to_chinese(1010) == "一千零一十"
    assert int_to_chinese(10500) == "一万零五百"
    assert int_to_chinese(100_000_005) == "一亿零五"
    assert int_to_chinese(120_000_000) == "一亿二千万"
    assert int_to_chinese(110_000) == "十一万"


@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_chinese_round_trip(n):
    assert parse_chinese_integer(int_to_chinese(n)) == n


@given(st.integers(min_value=1, max_value=10**12 - 1), st.booleans())
def test_colloquial_forms_round_trip(n, use_liang):
    """两 for 2 before a place value, and 一十 for 十, are read the same."""
    written = int_to_chinese(n)
    if use_liang:
        written = "".join(
            "两" if ch == "二" and i + 1 < len(written) and written[i + 1] in "百千万亿" else ch
            for i, ch in enumerate(written)
        )
    if written.startswith("十"):
        written = "一" + written
    assert parse_chinese_integer(written) == n


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(["", "万", "亿"]))
def test_arabic_with_multiplier(n, multiplier):
    factor = {"": 1, "万": 10**4, "亿": 10**8}[multiplier]
    assert parse_number(f"{n}{multiplier}") == n * factor
    fullwidth = str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert parse_number(f"{fullwidth}{multiplier}") == n * factor


@given(st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False))
def test_decimal_with_wan_is_exact(value):
    assert parse_number(f"{value}万") == value * 10000


@given(st.text(alphabet=NUMERAL_CHARS + "0123456789.,", max_size=12))
def test_parser_fails_only_with_value_error(text):
    try:
        parse_number(text)
    except ValueError:
        pass


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("250000000", "2.5亿"),
        ("100000000", "1亿"),
        ("200000", "20万"),
        ("12000", "1.2万"),
        ("12345", "12345"),
        ("123456789", "123456789"),
        ("800", "800"),
        ("21.5", "21.5"),
        ("2.50E+8", "2.5亿"),
    ],
)
def test_quantities_are_shown_as_plans_write_them(value, written):
    assert format_quantity(Decimal(value)) == written


@given(st.integers(min_value=0, max_value=10**12))
def test_a_shown_quantity_reads_back_to_the_same_value(n):
    assert parse_number(format_quantity(Decimal(n))) == n
