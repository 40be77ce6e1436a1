"""Every figure links to the list of the records it counts, filtered by the figure's place and year: the count the
list shows equals the figure, at city, district and street level (orders placed and delivered, person-times,
volunteer hours)."""

import re
from decimal import Decimal

import pytest

from kepu.leaders import selectors
from kepu.leaders.tests.factories import some_work
from kepu.orders.tests.test_scoping import login

pytestmark = pytest.mark.django_db

SHOWN = {
    "orders.placed": "order-count",
    "orders.done": "order-count",
    "activities.person_times": "fig-person-times",
    "volunteers.hours": "hours-total",
}


def shown(html: str, testid: str) -> Decimal:
    # A figure inside a translated sentence ("2026年服务 5.0 小时") is read from its data-value.
    match = re.search(rf'data-testid="{testid}" data-value="([\d.]+)"', html) or re.search(
        rf'data-testid="{testid}">\D*?([\d.]+)', html
    )
    assert match, testid
    return Decimal(match.group(1))


def test_each_figure_opens_a_list_that_counts_the_same(client, lworld):
    some_work(lworld)
    a = lworld.a
    year = selectors.this_year()
    checked = 0
    for actor, place in ((lworld.city_admin, lworld.city), (a.admin, a.place), (a.street_staff, a.streets[0]),
                         (a.admin, a.streets[1]), (lworld.b.admin, lworld.b.place)):  # fmt: skip
        board = selectors.board(actor=actor, place=place, year=year)
        rows = {r.key: r for s in board.sections for r in s.rows}
        login(client, actor)
        for key, testid in SHOWN.items():
            url = rows[key].url
            assert f"place={place.code}" in url, key
            r = client.get(url)
            assert r.status_code == 200, (key, url)
            assert shown(r.content.decode(), testid) == rows[key].value, (place.name, key, url)
            checked += bool(rows[key].value)
    assert checked >= 8  # most of them count something: the lists are not all empty


def test_a_list_for_a_place_outside_the_area_counts_nothing_of_it(client, lworld):
    some_work(lworld)
    a = lworld.a
    year = selectors.this_year()
    login(client, lworld.b.admin)
    html = client.get("/orders/", {"view": "all", "place": a.place.code, "year": year}).content.decode()
    assert shown(html, "order-count") == 0
    html = client.get("/volunteers/overview/", {"place": a.place.code, "year": year}).content.decode()
    assert shown(html, "hours-total") == 0
