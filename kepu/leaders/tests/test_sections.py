"""The sections read from bases, the science library and the literacy survey: each figure equals a recount from
those apps' records, at city and district level (a street has no literacy estimate: a dash, not a zero)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from kepu.core import clock
from kepu.leaders import selectors
from kepu.leaders.templatetags.leaders import figure

pytestmark = pytest.mark.django_db


def test_bases_and_pieces_equal_a_recount(lworld):
    from kepu.bases.models import IN_FORCE, Base
    from kepu.bases.tests.factories import certified_base, experts, reference_data
    from kepu.resources.models import Resource
    from kepu.resources.tests.factories import add_reviewers, published

    reference_data()
    a = lworld.a
    certified_base(a, experts(a, 4, prefix="甲专家"), name="大兴航天科普馆")
    add_reviewers(lworld)
    published(a, title="夏季防溺水")
    published(a, title="老年人防诈骗")
    published(lworld.b, title="垃圾分类")
    year = selectors.this_year()
    today = timezone.localdate(clock.now())
    for actor, place in ((lworld.city_admin, lworld.city), (a.admin, a.place), (lworld.b.admin, lworld.b.place)):
        board = selectors.board(actor=actor, place=place, year=year)
        bases = Base.objects.filter(
            place_path__startswith=place.path, standing__in=IN_FORCE, term_start__lte=today, term_end__gte=today
        ).count()
        pieces = Resource.objects.filter(version=1, published_at__year=year, place_path__startswith=place.path).count()
        assert board.value("bases.certified") == bases
        assert board.value("resources.published") == pieces
    assert selectors.board(actor=a.admin, place=a.place, year=year).value("bases.certified") == 1
    assert selectors.board(actor=lworld.city_admin, place=lworld.city, year=year).value("resources.published") == 3


def test_literacy_is_the_latest_estimate_with_its_interval(client, lworld):
    from kepu.orders.tests.test_scoping import login
    from kepu.survey.models import GroupKind, LiteracyEstimate
    from kepu.survey.tests.factories import filled_round, run_job

    survey = filled_round(lworld, n_per_community=6)
    run = run_job(lworld.city_admin, survey.round)
    year = max(selectors.this_year(), survey.round.year)
    a = lworld.a
    city = LiteracyEstimate.objects.get(run=run, kind=GroupKind.CITY)
    district = LiteracyEstimate.objects.get(run=run, kind=GroupKind.DISTRICT, level=a.place.code)
    pct = lambda v: (Decimal(str(v)) * 100).quantize(Decimal("0.01"))  # noqa: E731
    board = selectors.board(actor=lworld.city_admin, place=lworld.city, year=year)
    assert board.value("literacy.rate") == pct(city.estimate)
    board = selectors.board(actor=a.admin, place=a.place, year=year)
    assert board.value("literacy.rate") == pct(district.estimate)
    section = next(s for s in board.sections if s.key == "literacy")
    assert section.interval == (pct(district.ci_low), pct(district.ci_high))
    login(client, a.admin)
    html = client.get(f"/leaders/places/{a.place.code}/", {"year": year}).content.decode()
    low, high = (figure(v, "%") for v in section.interval)
    assert f'data-testid="literacy-ci">95%置信区间 {low} – {high}，{survey.round.year}年调查<' in html
    # The survey does not estimate a street: the street's page leaves the section out rather than show 0.
    board = selectors.board(actor=a.street_staff, place=a.streets[0], year=year)
    assert board.value("literacy.rate") is None
