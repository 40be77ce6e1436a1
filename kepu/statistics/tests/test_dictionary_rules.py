"""The library's figures add up (rules R18-R20), and reloading an older edition never reopens what a newer closed."""

import pytest

from kepu.core.workflow import TooEarly
from kepu.statistics import selectors, services
from kepu.statistics.models import Indicator, Rule
from kepu.statistics.tests.factories import YEAR, fill_empty, open_year

pytestmark = pytest.mark.django_db


def _errors(report) -> set[str]:
    return {v.key for v in selectors.form_check(report).violations if v.is_error}


@pytest.mark.parametrize(
    "figures,broken",
    [
        ({"M10": 5, "M11": 3, "M12": 2, "M13": 1, "M14": 1}, set()),
        ({"M10": 5, "M11": 6, "M12": 2}, {"R18", "R20"}),
        ({"M10": 5, "M11": 3, "M12": 4}, {"R19"}),
        ({"M10": 5, "M11": 3, "M12": 1, "M13": 2, "M14": 1}, {"R20"}),
    ],
)
def test_the_library_figures_add_up_or_the_form_cannot_be_submitted(world, late, dictionary, figures, broken):
    a = world.a
    report = open_year(a)[a.unit.pk]
    fill_empty(report, a.unit_staff)
    services.values_set(actor=a.unit_staff, report=report, values=figures, reason="核对")
    found = _errors(report) & {"R18", "R19", "R20"}
    assert found == broken
    if broken:
        with pytest.raises(TooEarly):
            services.report_transition(actor=a.unit_staff, report=report, action="submit")


EDITION = """
[edition]
name = "{name}"
valid_from = {year}

[[table]]
code = "KP-004"
name = "科普传媒"
name_en = "Media"
sheet = "KP-004 科普传媒"

[[indicator]]
code = "M10"
table = "KP-004"
label = "{label}"
unit = "种"
aggregation = "sum"
source = "resources.published"

[[rule]]
code = "R18"
left = "M10"
operator = ">="
right = "0"
severity = "error"
message = "资源库发布作品不能为负数"
"""


def test_reloading_an_older_edition_never_reopens_what_a_newer_one_closed(world, dictionary):
    newer = EDITION.format(name="2030", year=YEAR + 5, label="资源库作品（新口径）").encode()
    older = EDITION.format(name="2024 修订", year=2024, label="科普资源库发布作品（修订）").encode()
    services.edition_load(actor=world.city_admin, content=newer, source="2030.toml")
    services.edition_load(actor=world.city_admin, content=older, source="2024-fix.toml")
    m10 = list(
        Indicator.objects.filter(code="M10").order_by("valid_from").values_list("valid_from", "valid_to", "label")
    )
    assert m10 == [(2024, YEAR + 4, "科普资源库发布作品（修订）"), (YEAR + 5, None, "资源库作品（新口径）")]
    r18 = list(Rule.objects.filter(code="R18").order_by("valid_from").values_list("valid_from", "valid_to"))
    assert r18 == [(2024, YEAR + 4), (YEAR + 5, None)]


def test_a_database_that_loaded_the_edition_before_gets_the_new_rules_once(dictionary):
    from importlib import import_module

    from kepu.statistics.data import add_rules
    from kepu.statistics.models import Edition

    codes = import_module("kepu.statistics.migrations.0003_resources_rules").CODES
    before = {r.code: (r.left, r.operator, r.right, r.severity) for r in Rule.objects.filter(code__in=codes)}
    assert set(before) == set(codes)
    Rule.objects.filter(code__in=codes).delete()  # as a database filled before these were in the file
    assert add_rules(codes, Rule=Rule, Edition=Edition) == len(codes)
    after = {r.code: (r.left, r.operator, r.right, r.severity) for r in Rule.objects.filter(code__in=codes)}
    assert after == before
    assert add_rules(codes, Rule=Rule, Edition=Edition) == 0
