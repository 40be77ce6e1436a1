"""The leaders' page: every figure equals a recount from the records, at city, district and street level; who may
see which place; drilling down; the emergency section waiting for its app; no query per place or record."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse

from kepu.leaders import selectors
from kepu.leaders.tests.factories import some_work
from kepu.orders.models import Order, OrderStatus
from kepu.orders.tests.test_scoping import login
from kepu.volunteers.models import HoursEntry

pytestmark = pytest.mark.django_db


def page(client, actor, code, **params):
    login(client, actor)
    return client.get(reverse("leaders:place", args=[code]), params)


def recount(path: str, year: int) -> dict:
    """The figures counted again from the records themselves, not from any roll-up."""
    orders = Order.objects.filter(place_path__startswith=path, created_at__year=year)
    done = orders.filter(status__in=(OrderStatus.DELIVERED, OrderStatus.RATED, OrderStatus.CLOSED))
    attendance = sum(sum(int(v) for v in (o.attendance or {}).values()) for o in done)
    minutes = HoursEntry.objects.filter(organization__place__path__startswith=path, served_on__year=year).aggregate(
        m=Sum("minutes")
    )["m"]
    return {
        "orders.placed": Decimal(orders.count()),
        "orders.done": Decimal(done.count()),
        "activities.person_times": Decimal(attendance),
        "volunteers.hours": (Decimal(minutes or 0) / 60).quantize(Decimal("0.1")),
    }


def test_every_figure_equals_a_recount_at_city_district_and_street(lworld):
    work = some_work(lworld)
    year = selectors.this_year()
    a = lworld.a
    places = [
        (lworld.city_admin, lworld.city),
        (a.admin, a.place),
        (a.street_staff, a.streets[0]),
        (a.street_staff.__class__(user=a.street_staff.user, membership=a.street_staff.membership), a.streets[0]),
    ]
    seen = {}
    for actor, place in places:
        board = selectors.board(actor=actor, place=place, year=year)
        expected = recount(place.path, year)
        for key, value in expected.items():
            assert board.value(key) == value, (place.name, key)
        seen[place.code] = expected
    # The figures are not vacuous: the city holds both districts' work, the district only its own.
    assert seen[lworld.city.code]["orders.placed"] == 4 and seen[a.place.code]["orders.placed"] == 3
    assert seen[a.place.code]["activities.person_times"] == 28 and seen[a.place.code]["volunteers.hours"] == Decimal(
        "2.5"
    )
    assert seen[a.streets[0].code]["orders.placed"] == 3
    # The three rates from the same orders: A's rated order was claimed on time; the other was only dispatched.
    board = selectors.board(actor=a.admin, place=a.place, year=year)
    assert board.value("orders.response_rate") == Decimal("50.0")  # 1 of 2 dispatched claimed on time
    assert board.value("orders.completion_rate") == Decimal("100.0")  # 1 of 1 claimed delivered
    assert board.value("orders.satisfaction_rate") == Decimal("100.0")
    assert board.value("volunteers.registered") == 1  # A's volunteer, in A's team
    assert work.b_done.district_id == lworld.b.place.pk


def test_the_page_shows_the_figures_links_to_records_and_drills_down(client, lworld):
    some_work(lworld)
    a = lworld.a
    r = page(client, lworld.city_admin, lworld.city.code, figure="orders.placed")
    html = r.content.decode()
    assert r.status_code == 200
    assert 'data-testid="value-orders.placed">4 单<' in html
    # The map colours the districts and links each to its page, keeping the figure chosen; the table says the same.
    assert 'data-testid="map-district-110115"' in html
    assert f'data-testid="below-{a.place.code}">3<' in html and f'data-testid="below-{lworld.b.place.code}">1<' in html
    drill = reverse("leaders:place", args=[a.place.code]) + "?figure=orders.placed"
    assert f'href="{drill}"' in html
    # Every figure links to the list of what it counts.
    assert reverse("orders:list") in html and reverse("activities:dashboard") in html
    # District: its streets as bars and a table, each a link one level down.
    html = page(client, a.admin, a.place.code, figure="orders.placed").content.decode()
    assert f'data-testid="drill-{a.streets[0].code}"' in html and f'data-testid="below-{a.streets[0].code}">3<' in html
    assert 'data-testid="district-map"' not in html
    # Street: nothing below.
    html = page(client, a.street_staff, a.streets[0].code).content.decode()
    assert 'data-testid="below"' not in html and 'data-testid="value-orders.placed">3 单<' in html
    # ... and no link to a page a street worker's role may not open (the offices' plans and library figures).
    assert reverse("orders:list") in html
    assert f'href="{reverse("plans:list")}"' not in html and f'href="{reverse("resources:figures")}?' not in html
    for href in re.findall(r'href="(/[^"#]*)"', html):
        assert client.get(href.replace("&amp;", "&")).status_code != 403, href


def test_a_section_nobody_registered_is_shown_as_not_connected(client, lworld):
    from kepu.core import figures

    emergency = figures.provider("emergency")
    figures.unregister_provider("emergency")
    try:
        html = page(client, lworld.a.admin, lworld.a.place.code).content.decode()
    finally:
        figures.register_provider(emergency)
    assert 'data-testid="section-emergency"' in html and 'data-testid="not-connected"' in html
    html = page(client, lworld.a.admin, lworld.a.place.code).content.decode()
    assert 'data-testid="value-emergency.events">0 起<' in html


def test_home_opens_on_the_viewers_own_place(client, lworld):
    for actor, place in ((lworld.city_admin, lworld.city), (lworld.a.admin, lworld.a.place),
                         (lworld.a.street_staff, lworld.a.streets[0])):  # fmt: skip
        login(client, actor)
        r = client.get(reverse("leaders:home"))
        assert r.status_code == 302 and r.url == reverse("leaders:place", args=[place.code])


@pytest.mark.parametrize(
    "who, where, status",
    [
        ("b.admin", "a.place", 404),  # another district's office
        ("b.admin", "city", 404),
        ("a.admin", "city", 404),  # a district does not see the city
        ("a.street_staff", "a.place", 404),  # a street does not see its district
        ("a.street_staff", "a.streets.1", 404),  # nor the street next door
        ("a.admin", "a.communities.0", 404),  # no page for a community
        ("a.resident", "a.streets.0", 403),
        ("a.community_staff", "a.streets.0", 403),
        ("a.unit_staff", "a.place", 403),
        ("a.team_staff", "a.place", 403),
        ("a.base_staff", "a.place", 403),
    ],
)
def test_places_outside_the_viewers_area_and_other_roles_are_refused(client, lworld, who, where, status):
    def pick(path):
        obj = lworld
        for part in path.split("."):
            obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
        return obj

    actor, place = pick(who), pick(where)
    r = page(client, actor, place.code)
    assert r.status_code == status
    assert b'data-testid="value-' not in r.content


def test_anonymous_visitors_are_sent_to_sign_in(client, lworld):
    r = client.get(reverse("leaders:place", args=[lworld.a.place.code]))
    assert r.status_code == 302 and "login" in r.url


def test_plan_targets_sit_beside_the_figure_they_count(client, lworld):
    from kepu.plans.tests.factories import PlanFactory, TargetFactory, TaskFactory

    some_work(lworld)
    a = lworld.a
    year = selectors.this_year()
    plan = PlanFactory(owner=a.office, year=year, period_start=date(year, 1, 1), period_end=date(year, 12, 31))
    task = TaskFactory(plan=plan, title="健康讲座", lead_unit=a.unit)
    TargetFactory(
        task=task,
        label="参与人次",
        quantity=Decimal(56),
        unit_of_measure="人次",
        measure_key="activities.person_times",
        measure_filters={"place": a.place.code, "year": year},
    )
    html = page(client, a.admin, a.place.code).content.decode()
    assert 'data-testid="target-activities.person_times"' in html
    assert "已完成50%" in html  # 28 of 56
    assert reverse("plans:task", args=[task.pk]) in html
    # The plan's tasks by status: one task, not reported and judged against the time passed.
    board = selectors.board(actor=a.admin, place=a.place, year=year)
    counted = sum(board.value(k) for k in ("plans.done", "plans.on_track", "plans.at_risk", "plans.overdue",
                                          "plans.not_reported"))  # fmt: skip
    assert counted == 1


def test_last_year_is_beside_this_year(lworld):
    a = lworld.a
    year = selectors.this_year()
    some_work(lworld)
    # Last year's orders (the order's own time is not the test clock's: moved back, and the roll-up rebuilt from
    # the orders, as ``rebuild_order_rollup`` does after an import of old records).
    from kepu.orders import rollup

    for o in Order.objects.all():
        Order.objects.filter(pk=o.pk).update(created_at=o.created_at.replace(year=year - 1))
    rollup.rebuild()
    board = selectors.board(actor=a.admin, place=a.place, year=year)
    row = next(r for s in board.sections for r in s.rows if r.key == "orders.placed")
    assert (row.value, row.last) == (0, 3)


def test_no_query_per_place_or_record(client, lworld, django_assert_max_num_queries):
    """The district page costs the same with one order or many, one street or many with records."""
    from kepu.orders.tests.factories import advance, place_order

    a = lworld.a
    some_work(lworld)
    login(client, a.admin)
    url = reverse("leaders:place", args=[a.place.code])
    with django_assert_max_num_queries(60) as first:
        assert client.get(url).status_code == 200
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        for _ in range(3):
            advance(place_order(a.resident), a, "rate")
        for community in a.communities:  # records in every street
            place_order(a.resident, place=community)
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get(url).status_code == 200
    login(client, lworld.city_admin)
    with django_assert_max_num_queries(60):
        assert (
            client.get(reverse("leaders:place", args=[lworld.city.code]) + "?figure=volunteers.hours").status_code
            == 200
        )


def test_the_api_gives_the_same_figures_within_the_area_only(client, lworld):
    some_work(lworld)
    a = lworld.a
    login(client, a.admin)
    r = client.get(f"/api/v1/leaders/places/{a.place.code}", {"figure": "orders.placed"})
    assert r.status_code == 200
    body = r.json()
    figures = {f["key"]: f for s in body["sections"] for f in s["figures"]}
    assert Decimal(figures["orders.placed"]["value"]) == 3 and figures["orders.placed"]["records_url"]
    assert {k: Decimal(v) for k, v in body["below"].items()} == {a.streets[0].code: 3, a.streets[1].code: 0}
    assert next(s for s in body["sections"] if s["key"] == "emergency")["connected"] is True
    # Another district, a street next door, a resident, an unknown code: refused, as JSON.
    for actor, code, status in (
        (lworld.b.admin, a.place.code, 404),
        (a.street_staff, a.streets[1].code, 404),
        (a.resident, a.place.code, 403),
        (a.admin, "999999", 404),
    ):
        login(client, actor)
        r = client.get(f"/api/v1/leaders/places/{code}")
        assert r.status_code == status and "code" in r.json() and "value" not in r.content.decode()


# The tables that grow with residents, orders, registrations, hours and deliveries: the page reads their roll-ups.
RAW_TABLES = (
    "orders_order",
    "orders_orderevent",
    "activities_registration",
    "activities_walkin",
    "volunteers_hoursentry",
    "volunteers_signup",
    "emergency_delivery",
    "resources_read",
    "resources_pushopen",
    "survey_response",
)


def test_the_page_reads_no_table_of_individual_records(client, lworld, settings):
    """At city, district and street level, counted afresh (no kept copy): what the city scale bench relies on."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    some_work(lworld)
    settings.KEPU_LEADERS_CACHE_SECONDS = 0
    a = lworld.a
    seen = set()
    for actor, place in ((lworld.city_admin, lworld.city), (a.admin, a.place), (a.street_staff, a.streets[0])):
        login(client, actor)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("leaders:place", args=[place.code]))
        assert response.status_code == 200 and 'data-testid="value-orders.placed"' in response.content.decode()
        sql = " ".join(q["sql"] for q in captured.captured_queries)
        seen |= set(re.findall(r'(?:FROM|JOIN) "(\w+)"', sql))
    assert not seen & set(RAW_TABLES), seen & set(RAW_TABLES)
    # The roll-ups are what it reads.
    assert {"orders_orderrollup", "activities_figuresmonthdistrict", "volunteers_hoursmonthdistrict"} <= seen
