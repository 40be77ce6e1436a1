"""Bases' open days and visitors and the pieces a unit published pre-fill the forms (V14, V15, M10–M14): each
figure equals a recount from the records for a unit and for the district, links to what it counts, and nothing
of another district gets in."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kepu.activities import services as activities
from kepu.activities.models import ActivityKind, Session
from kepu.bases.models import Base
from kepu.bases.tests.factories import base_for
from kepu.core import clock
from kepu.resources.models import Resource, Status
from kepu.resources.tests.factories import add_reviewers, advance, make_piece
from kepu.statistics import rollup, selectors
from kepu.statistics.models import Value
from kepu.statistics.tests.factories import LATE, YEAR, district_table, open_year, staff_for

pytestmark = pytest.mark.django_db

BASE_CODES = ("V14", "V15")
PIECE_CODES = ("M10", "M11", "M12", "M13", "M14")


def value(report, code):
    return Value.objects.get(report=report, indicator__code=code).value


def _certified(d, actor, name):
    """A base of ``actor``'s organization holding a district title over the whole year."""
    base = base_for(d, actor=actor, name=name)
    Base.objects.filter(pk=base.pk).update(
        standing="certified", level="district", term_start=LATE.date() - timedelta(days=400), term_end=LATE.date()
    )
    return Base.objects.get(pk=base.pk)


def _visited(d, actor, base, *, days, walk_ins):
    """Visit slots at ``base`` on ``days`` (days into the year), and ``walk_ins`` people at the first slot of each."""
    first = timezone.localdate(LATE).replace(month=1, day=1)
    with clock.frozen_at(LATE - timedelta(days=360)):
        visit = activities.venue_publish_slots(
            actor=actor,
            venue=base.venue,
            first_day=first + timedelta(days=days[0]),
            last_day=first + timedelta(days=days[-1]),
        )
    for day in days:
        session = visit.sessions.filter(starts_at__date=first + timedelta(days=day)).order_by("starts_at").first()
        with clock.frozen_at(session.starts_at + timedelta(minutes=10)):
            activities.walk_in_record(actor=actor, session=session, head_count=walk_ins, population="youth")
    return visit


def _recount_visits(bases) -> tuple[int, int]:
    """Open days and visitors straight from the visit slots' rows (not through the measure)."""
    sessions = Session.objects.filter(
        activity__venue__in=[b.venue_id for b in bases],
        activity__kind=ActivityKind.VISIT,
        is_cancelled=False,
        counted=True,
        starts_at__year=YEAR,
        starts_at__lte=LATE,
    )
    days = {(s.activity.venue_id, timezone.localtime(s.starts_at).date()) for s in sessions.select_related("activity")}
    people = sum(s.checked_in + s.walk_in_count for s in sessions)
    return len(days), people


def _recount_pieces(units, kinds=None) -> int:
    return sum(
        1
        for r in Resource.objects.filter(version=1, source_unit__in=units, published_at__year=YEAR)
        if r.status not in (Status.DRAFT, Status.SUBMITTED) and (kinds is None or r.kind in kinds)
    )


@pytest.fixture
def platform(world, late, dictionary):
    """District A: a base of its science-base organization (two open days) and one of a member unit (three);
    pieces of the unit and of a second unit, one still in review. District B: a busy base and pieces too."""
    a, b = world.a, world.b
    add_reviewers(world)
    a.own_base = _certified(a, a.base_staff, "甲区科技馆")
    a.unit_base = _certified(a, a.unit_staff, "甲区农业科普园")
    b.own_base = _certified(b, b.base_staff, "乙区天文馆")
    _visited(a, a.base_staff, a.own_base, days=[100, 101], walk_ins=7)
    _visited(a, a.unit_staff, a.unit_base, days=[200, 201, 202], walk_ins=4)
    _visited(b, b.base_staff, b.own_base, days=[50, 51, 52, 53], walk_ins=50)
    for kind in ("article", "video", "video", "course", "kit", "poster"):
        advance(make_piece(a.unit_staff, kind=kind, title=f"甲区{kind}作品", stock=2), a)
    unit2 = staff_for(a.unit2)
    advance(make_piece(unit2, kind="article", title="乙单位图文"), a, author=unit2)
    advance(make_piece(a.unit_staff, kind="article", title="审核中的稿件"), a, "submitted")
    for kind in ("article", "video"):
        advance(make_piece(b.unit_staff, kind=kind, title=f"乙区{kind}作品"), b)
    return world


def test_each_unit_counts_its_own_bases_visits_and_published_pieces(platform):
    a = platform.a
    forms = open_year(a)
    base_form, unit_form, unit2_form = forms[a.base.pk], forms[a.unit.pk], forms[a.unit2.pk]
    for form, bases in ((base_form, [a.own_base]), (unit_form, [a.unit_base]), (unit2_form, [])):
        days, people = _recount_visits(bases)
        assert (value(form, "V14"), value(form, "V15")) == (days, people)
    assert (value(base_form, "V14"), value(base_form, "V15")) == (2, 14)
    assert (value(unit_form, "V14"), value(unit_form, "V15")) == (3, 12)
    assert value(forms[a.street_office.pk], "V15") == 0

    expected = {
        "M10": _recount_pieces([a.unit]),
        "M11": _recount_pieces([a.unit], {"article", "audio", "video"}),
        "M12": _recount_pieces([a.unit], {"video"}),
        "M13": _recount_pieces([a.unit], {"course"}),
        "M14": _recount_pieces([a.unit], {"kit"}),
    }
    assert (
        {c: value(unit_form, c) for c in PIECE_CODES} == expected == {"M10": 6, "M11": 3, "M12": 2, "M13": 1, "M14": 1}
    )
    assert {c: value(unit2_form, c) for c in PIECE_CODES} == {"M10": 1, "M11": 1, "M12": 0, "M13": 0, "M14": 0}


def test_each_figure_links_to_the_bases_and_pieces_it_counts(platform):
    a = platform.a
    forms = open_year(a)
    unit_form = forms[a.unit.pk]
    visitors = selectors.figure_records(unit_form, selectors.indicator_of(unit_form, "V15"))
    rows = visitors[0:10]
    assert [(r.label, r.weight, r.url) for r in rows] == [("甲区农业科普园", Decimal(12), f"/bases/{a.unit_base.pk}/")]
    days = selectors.figure_records(forms[a.base.pk], selectors.indicator_of(forms[a.base.pk], "V14"))
    assert sum(r.weight for r in days[0:10]) == value(forms[a.base.pk], "V14") == 2
    videos = selectors.figure_records(unit_form, selectors.indicator_of(unit_form, "M12"))
    pieces = Resource.objects.filter(version=1, kind="video", source_unit=a.unit)
    assert sorted(r.url for r in videos[0:10]) == sorted(f"/resources/{p.pk}/" for p in pieces)
    published = selectors.figure_records(unit_form, selectors.indicator_of(unit_form, "M10"))
    assert len(published) == 6 and "审核中的稿件" not in [r.label for r in published[0:10]]


def test_the_districts_table_is_its_records_and_nothing_of_another_district(platform):
    a, b = platform.a, platform.b
    open_year(a)
    table = rollup.table_of(selectors.unit_reports(district_table(a)), YEAR)
    days, people = _recount_visits([a.own_base, a.unit_base])
    assert (table.by_code["V14"].total, table.by_code["V15"].total) == (days, people) == (5, 26)
    units = [a.unit, a.unit2]
    assert table.by_code["M10"].total == _recount_pieces(units) == 7
    assert table.by_code["M11"].total == _recount_pieces(units, {"article", "audio", "video"}) == 4
    assert table.by_code["M12"].total == 2
    for code in BASE_CODES + PIECE_CODES:
        assert table.by_code[code].removed == 0  # a base has one host, a piece one unit: nothing counted twice
    # District B's busy base and its pieces count in B's table only.
    open_year(b)
    other = rollup.table_of(selectors.unit_reports(district_table(b)), YEAR)
    assert (other.by_code["V14"].total, other.by_code["V15"].total) == (4, 200)
    assert other.by_code["M10"].total == 2 and other.by_code["M12"].total == 1


def test_a_database_that_loaded_the_edition_before_gets_the_new_indicators_once(world, late, dictionary):
    from importlib import import_module

    from kepu.statistics.data import add_indicators
    from kepu.statistics.models import Edition, Indicator, Table

    codes = import_module("kepu.statistics.migrations.0002_bases_and_resources_indicators").CODES
    assert set(codes) == set(BASE_CODES + PIECE_CODES)
    before = {
        i.code: (i.source, i.source_filters, i.parent_code, i.table.code)
        for i in Indicator.objects.filter(code__in=codes)
    }
    # As a database filled before these were in the file.
    Indicator.objects.filter(code__in=codes).delete()
    editions = Edition.objects.count()
    models = {"Indicator": Indicator, "Table": Table, "Edition": Edition}
    assert add_indicators(codes, **models) == len(codes)
    after = {
        i.code: (i.source, i.source_filters, i.parent_code, i.table.code)
        for i in Indicator.objects.filter(code__in=codes)
    }
    assert after == before and before["M11"][1] == {"kind": ["article", "audio", "video"]}
    assert Edition.objects.count() == editions + 1
    assert add_indicators(codes, **models) == 0  # again: nothing
    a = world.a
    forms = open_year(a)
    assert value(forms[a.base.pk], "V15") == 0  # and the forms have them


def test_the_form_page_links_the_figures_to_the_pages_of_their_records(client, platform):
    from django.urls import reverse

    from kepu.orders.tests.test_scoping import login

    a = platform.a
    forms = open_year(a)
    unit_form = forms[a.unit.pk]
    login(client, a.unit_staff)
    page = client.get(reverse("statistics:report", args=[unit_form.pk])).content.decode()
    for code in ("V14", "V15", "M10", "M12"):
        assert reverse("statistics:records", args=[unit_form.pk, code]) in page
    visitors = client.get(reverse("statistics:records", args=[unit_form.pk, "V15"])).content.decode()
    assert "甲区农业科普园" in visitors and "甲区科技馆" not in visitors and "乙区天文馆" not in visitors
    assert 'data-testid="page-total">12<' in visitors and f'href="/bases/{a.unit_base.pk}/"' in visitors
    pieces = client.get(reverse("statistics:records", args=[unit_form.pk, "M10"])).content.decode()
    assert 'data-testid="record-count">6<' in pieces and "甲区video作品" in pieces and "乙区video作品" not in pieces
    # Another unit of the district does not see this form's records.
    login(client, staff_for(a.unit2))
    assert client.get(reverse("statistics:records", args=[unit_form.pk, "V15"])).status_code == 404
