"""The sample and margin imports step by step: parse (numbered rows), validate (every problem), apply."""

import pytest
from django.utils import translation

from kepu.survey import services
from kepu.survey.errors import ImportInvalid
from kepu.survey.models import PopulationMargin, SampledCommunity
from kepu.survey.tests.factories import bank_data, margins_csv, open_round, sample_csv

pytestmark = pytest.mark.django_db


def test_parse_numbers_rows_as_a_spreadsheet_does_and_trims_them():
    rows, problems = services._read_csv("\ufeffvariable, level ,total\n sex , 女 ,5\nsex,男,6\n", {"variable", "level"})
    assert rows == [
        (2, {"variable": "sex", "level": "女", "total": "5"}),
        (3, {"variable": "sex", "level": "男", "total": "6"}),
    ]
    assert problems == []


def test_parse_reports_a_row_with_more_fields_than_the_header_and_keeps_the_others():
    rows, problems = services._read_csv("variable,level,total\nsex,女,5\nsex,男,6,7\n", {"variable"})
    assert [line for line, _row in rows] == [2]
    assert problems == ["第3行：字段数比表头的列数多"]


@pytest.mark.parametrize(("text", "message"), [("a,b\n1,2\n", "文件须包含以下列"), ("variable\n", "没有数据行")])
def test_parse_refuses_a_file_without_the_columns_or_the_rows(text, message):
    with pytest.raises(ImportInvalid, match=message):
        services._read_csv(text, {"variable"})


def test_the_sample_validator_reports_every_bad_row_and_saves_nothing(world):
    bank = services.bank_import(actor=world.city_admin, data=bank_data())
    r = services.round_create(actor=world.city_admin, name="r", year=2026, bank=bank)
    good = sample_csv(world)  # lines 2-9
    services.design_import_csv(actor=world.city_admin, round_=r, text=good)
    before = sorted(SampledCommunity.objects.filter(round=r).values_list("pk", flat=True))
    first = good.splitlines()[1]
    community = world.a.communities[0]
    place = f"{world.a.place.name},%s,{community.parent.code},{community.name},%s\n"
    bad = good + "".join(
        [
            "不存在区,urban,x,y,10\n",  # line 10: unknown district
            place % ("suburb", "10"),  # line 11: unknown area; line 2's community; its street in another stratum
            place % ("urban", "-1"),  # line 12: a negative weight; line 2's community again
            first.replace(",6,40", ",six,40") + "\n",  # line 13: not a number
            first + ",extra\n",  # line 14: more fields than the header
        ]
    )
    with translation.override("en"), pytest.raises(ImportInvalid) as exc:
        services.design_import_csv(actor=world.city_admin, round_=r, text=bad)
    assert exc.value.data["problems"] == [
        "line 14: more fields than the header has columns",  # parse's problems come first
        "line 10: unknown district",
        "line 11: area must be urban or rural",
        "line 12: weights and sizes must be positive",
        "line 13: numbers expected in base_weight, psu_population and quota",
        "line 11: community listed twice",
        "line 12: community listed twice",
        "line 11: a street lies in one stratum only",
    ]
    assert sorted(SampledCommunity.objects.filter(round=r).values_list("pk", flat=True)) == before
    assert len(before) == 8


def test_the_margins_validator_reports_each_row_before_judging_the_sums(world):
    rows, parsed = services._read_csv(
        margins_csv(world) + "education,college,1\nheight,tall,5\n", {"variable", "level", "total"}
    )
    with translation.override("en"), pytest.raises(ImportInvalid) as exc:
        services._margins_validate(rows, parsed)
    # A file with wrong rows is not judged on its sums (they would be wrong anyway).
    assert exc.value.data["problems"] == ["line 10: this cell is listed twice", "line 11: unknown variable height"]


def test_margins_that_do_not_add_up_are_refused_and_the_old_ones_kept(world):
    r = open_round(world, margins=False)
    services.margins_import_csv(actor=world.city_admin, round_=r, text=margins_csv(world))
    lopsided = margins_csv(world).replace("education,college,25000.0", "education,college,99999")
    with translation.override("en"), pytest.raises(ImportInvalid) as exc:
        services.margins_import_csv(actor=world.city_admin, round_=r, text=lopsided)
    assert exc.value.data["problems"] == ["the margins do not add up to the same population"]
    assert PopulationMargin.objects.filter(round=r).count() == 8
