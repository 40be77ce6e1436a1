"""The emergency section of the leaders' page: events by level and people reached equal a recount from the events'
deliveries at city, district and street level; a street leader never sees another street's figures (web and API)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from kepu.core import clock
from kepu.emergency import services
from kepu.emergency.models import Delivery, EventPlace
from kepu.emergency.tests.factories import declare_data
from kepu.leaders import selectors
from kepu.orders.tests.test_scoping import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(eworld, django_capture_on_commit_callbacks):
    """A red rainstorm warning for the first street, a yellow one for the second, an orange one for the whole
    district, and one received from the feed and never declared (it warned nobody)."""
    w = eworld
    made = []
    for hours, level, places in ((1, "red", [w.street1]), (2, "yellow", [w.street2]), (3, "orange", [w.a.place])):
        with clock.frozen_at(w.now + timedelta(hours=hours)), django_capture_on_commit_callbacks(execute=True):
            made.append(services.event_declare(actor=w.a.admin, data=declare_data(w, places=places, level=level)))
    return made


def recount(place) -> dict:
    """From the affected places and the messages delivered, not from the figures' own reading."""
    inside = EventPlace.objects.filter(place_path__startswith=place.path).values_list("event_id", flat=True)
    around = [ep.event_id for ep in EventPlace.objects.all() if place.path.startswith(ep.place_path)]
    ids = set(inside) | set(around)
    from kepu.emergency.models import Event

    levels = list(Event.objects.filter(pk__in=ids).values_list("level", flat=True))
    return {
        "emergency.events": Decimal(len(ids)),
        "emergency.red": Decimal(levels.count("red")),
        "emergency.yellow": Decimal(levels.count("yellow")),
        "emergency.orange": Decimal(levels.count("orange")),
        "emergency.reached": Decimal(Delivery.objects.filter(event_place__place_path__startswith=place.path).count()),
    }


def test_every_emergency_figure_equals_a_recount(eworld, events):
    w = eworld
    year = selectors.this_year()
    street_staff = w.a.street_staff  # sits in the first street
    seen = {}
    for actor, place in (
        (w.city_admin, w.city),
        (w.a.admin, w.a.place),
        (w.b.admin, w.b.place),
        (street_staff, w.street1),
        (w.a.admin, w.street2),
        (w.a.admin, w.street3),
    ):
        board = selectors.board(actor=actor, place=place, year=year)
        want = recount(place)
        for key, value in want.items():
            assert board.value(key) == value, (place.name, key)
        seen[place.code] = want
    # Not vacuous: the first street had its red warning and the district's orange one, not the second street's.
    assert seen[w.street1.code]["emergency.events"] == 2 and seen[w.street1.code]["emergency.yellow"] == 0
    assert seen[w.street1.code]["emergency.reached"] > 0
    assert seen[w.street3.code]["emergency.events"] == 1  # only the district-wide one
    assert seen[w.a.place.code]["emergency.events"] == 3 == seen[w.city.code]["emergency.events"]
    assert seen[w.b.place.code]["emergency.events"] == 0
    # The district's reach is every message its events sent.
    assert seen[w.a.place.code]["emergency.reached"] == Delivery.objects.count()


def test_the_page_shows_the_section_and_a_street_never_sees_another_streets(client, eworld, events):
    w = eworld
    login(client, w.a.street_staff)
    html = client.get(reverse("leaders:place", args=[w.street1.code])).content.decode()
    assert 'data-testid="section-emergency"' in html and 'data-testid="not-connected"' not in html
    assert 'data-testid="value-emergency.red">1 起<' in html
    assert 'data-testid="value-emergency.yellow">0 起<' in html  # the second street's warning is not ours
    for code in (w.street2.code, w.street3.code, w.a.place.code):
        r = client.get(reverse("leaders:place", args=[code]))
        assert r.status_code == 404 and b"emergency.yellow" not in r.content
        r = client.get(f"/api/v1/leaders/places/{code}")
        assert r.status_code == 404 and "value" not in r.content.decode()
    body = client.get(f"/api/v1/leaders/places/{w.street1.code}").json()
    section = next(s for s in body["sections"] if s["key"] == "emergency")
    figures = {f["key"]: Decimal(f["value"]) for f in section["figures"]}
    assert section["connected"] is True and figures["emergency.red"] == 1 and figures["emergency.yellow"] == 0
