"""The page keeps a place's figures for a few minutes and says since when; the monthly report always counts afresh;
one viewer's links never leak into (or out of) the copy another viewer gets."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from kepu.leaders import selectors
from kepu.leaders.tests.factories import some_work
from kepu.orders.tests.factories import place_order
from kepu.orders.tests.test_scoping import login

pytestmark = pytest.mark.django_db


def test_figures_are_kept_for_minutes_and_the_page_says_since_when(client, lworld, settings):
    settings.KEPU_LEADERS_CACHE_SECONDS = 300
    some_work(lworld)
    a = lworld.a
    year = selectors.this_year()
    first = selectors.board(actor=a.admin, place=a.place, year=year)
    assert first.value("orders.placed") == 3 and first.as_of is not None

    place_order(a.resident)
    kept = selectors.board(actor=a.admin, place=a.place, year=year)
    assert kept.value("orders.placed") == 3 and kept.as_of == first.as_of
    # The monthly report does not read the kept copy: it counts the new order at once.
    assert selectors.figures_of(a.place, year).value("orders.placed") == 4

    login(client, a.admin)
    html = client.get(reverse("leaders:place", args=[a.place.code])).content.decode()
    assert 'data-testid="as-of"' in html and "5 分钟" in html

    cache.clear()  # what the end of the five minutes does
    assert selectors.board(actor=a.admin, place=a.place, year=year).value("orders.placed") == 4


def test_without_keeping_every_view_counts_again(lworld, settings):
    settings.KEPU_LEADERS_CACHE_SECONDS = 0
    some_work(lworld)
    a = lworld.a
    year = selectors.this_year()
    assert selectors.board(actor=a.admin, place=a.place, year=year).value("orders.placed") == 3
    place_order(a.resident)
    assert selectors.board(actor=a.admin, place=a.place, year=year).value("orders.placed") == 4


def _links(board) -> dict:
    return {r.key: r.url for s in board.sections for r in s.rows}


def test_one_viewers_links_do_not_change_the_copy_another_gets(lworld, settings):
    some_work(lworld)
    a = lworld.a
    street = a.streets[0]
    year = selectors.this_year()
    settings.KEPU_LEADERS_CACHE_SECONDS = 0
    admin_alone = _links(selectors.board(actor=lworld.city_admin, place=street, year=year))
    staff_alone = _links(selectors.board(actor=a.street_staff, place=street, year=year))
    # The two roles may open different lists, or this test would prove nothing.
    assert admin_alone != staff_alone

    settings.KEPU_LEADERS_CACHE_SECONDS = 300
    assert _links(selectors.board(actor=a.street_staff, place=street, year=year)) == staff_alone
    assert _links(selectors.board(actor=lworld.city_admin, place=street, year=year)) == admin_alone
    assert _links(selectors.board(actor=a.street_staff, place=street, year=year)) == staff_alone


def test_an_unknown_figure_shows_the_default_one(lworld, settings):
    settings.KEPU_LEADERS_CACHE_SECONDS = 300
    some_work(lworld)
    year = selectors.this_year()
    board = selectors.board(actor=lworld.city_admin, place=lworld.city, year=year, figure="no.such.figure")
    assert board.figure is not None and board.figure.key == selectors.DEFAULT_FIGURE
    assert board.child_values and all(isinstance(v, Decimal | None) for v in board.child_values.values())
