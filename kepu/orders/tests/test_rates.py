"""The three rates (三率), their dashboard and Excel export, suggestions, and the Open311 view."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from kepu.core import clock
from kepu.orders import selectors, services, suggestions
from kepu.orders.models import Order
from kepu.orders.selectors import _rates
from kepu.orders.tests.factories import advance, place_order
from kepu.orders.tests.test_scoping import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def mixed(oworld):
    a = oworld.a
    done = advance(place_order(a.resident), a, "rate")  # on time, delivered, rated 5
    late = advance(place_order(a.resident), a, "dispatch")
    with clock.frozen_at(late.claim_due_at + timedelta(hours=1)):
        services.order_transition(actor=a.unit_staff, order=late, action="claim")  # claimed late
    waiting = place_order(a.resident)
    other = advance(place_order(oworld.b.resident), oworld.b, "rate")
    return {"done": done, "late": late, "waiting": waiting, "other": other}


def test_rates_and_the_numbers_behind_them(oworld, mixed):
    figures = selectors.rate_figures(actor=oworld.a.admin, by="street")
    o = figures["overall"]
    assert (o["total"], o["routed"], o["on_time"]) == (3, 2, 1)
    assert o["response_rate"] == 50.0
    assert (o["claimed"], o["done"]) == (2, 1) and o["completion_rate"] == 50.0
    assert (o["rated"], o["satisfied"]) == (1, 1) and o["satisfaction_rate"] == 100.0
    assert [g["label"] for g in figures["groups"]] == [oworld.a.streets[0].name]
    by_unit = selectors.rate_figures(actor=oworld.a.admin, by="unit")["groups"]
    assert by_unit[0]["label"] == oworld.a.unit.name
    city = selectors.rate_figures(actor=oworld.city_admin, by="month")
    assert city["overall"]["total"] == 4 and len(city["groups"]) == 1


@settings(max_examples=50, deadline=None)
@given(
    routed=st.integers(0, 500),
    on_time=st.integers(0, 500),
    claimed=st.integers(0, 500),
    done=st.integers(0, 500),
    rated=st.integers(0, 500),
    satisfied=st.integers(0, 500),
)
def test_rates_are_percentages_or_none(routed, on_time, claimed, done, rated, satisfied):
    on_time, done, satisfied = min(on_time, routed), min(done, claimed), min(satisfied, rated)
    r = _rates(
        {
            "routed": routed,
            "on_time": on_time,
            "claimed": claimed,
            "done": done,
            "rated": rated,
            "satisfied": satisfied,
            "rating_sum": 3 * rated,
        }
    )
    for key, base in (("response_rate", routed), ("completion_rate", claimed), ("satisfaction_rate", rated)):
        assert (r[key] is None) == (base == 0)
        assert r[key] is None or 0 <= r[key] <= 100


def test_dashboard_draws_svg_and_exports_excel_within_scope(client, oworld, mixed):
    login(client, oworld.a.admin)
    page = client.get(reverse("orders:dashboard") + "?by=street")
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and "50.0%" in html
    assert oworld.b.streets[0].name not in html
    xlsx = client.get(reverse("orders:dashboard_xlsx") + "?by=unit")
    assert xlsx.status_code == 200
    ws = load_workbook(BytesIO(xlsx.content)).active
    rows = list(ws.values)
    assert rows[1][0] == oworld.a.unit.name and rows[-1][1] == 3
    login(client, oworld.a.unit_staff)
    assert client.get(reverse("orders:dashboard")).status_code == 200
    assert selectors.rate_figures(actor=oworld.a.unit_staff)["overall"]["total"] == 2


def test_api_rates(client, oworld, mixed):
    login(client, oworld.b.admin)
    body = client.get("/api/v1/orders/rates?by=street").json()
    assert body["overall"]["total"] == 1


def test_suggestions_rank_with_reasons(oworld):
    a = oworld.a
    order = place_order(a.resident)
    units = suggestions.rank_units(order)
    assert units[0].pk == a.unit.pk and units[0].reasons
    assert {c.pk for c in units} == {a.unit.pk, a.unit2.pk}
    advance(order, a, "claim")
    ranked = suggestions.rank_providers(Order.objects.select_related("community", "street").get(pk=order.pk))
    kinds = {(c.kind, c.pk) for c in ranked}
    assert ("provider", a.team.pk) in kinds and ("expert", a.expert.user.pk) in kinds
    assert ("provider", oworld.b.team.pk) not in kinds
    assert ranked[0].pk == a.team.pk  # works in health, free, same district
    assert all(c.reasons for c in ranked)


def test_open311_lists_services_and_requests_without_personal_data(client, oworld, mixed):
    services_json = client.get("/open311/v2/services.json").json()
    assert {"service_code", "service_name", "metadata", "type"} <= set(services_json[0])
    rows = client.get("/open311/v2/requests.json").json()
    assert len(rows) == 4
    body = client.get("/open311/v2/requests.json").content.decode()
    assert oworld.a.resident.user.phone not in body and oworld.a.resident.user.name not in body
    assert {r["status"] for r in rows} == {"open", "closed"} or {r["status"] for r in rows} <= {"open", "closed"}
    opened = client.get("/open311/v2/requests.json?status=open").json()
    assert {r["service_request_id"] for r in opened} == {mixed["late"].number, mixed["waiting"].number}
    assert client.get("/open311/v2/requests.json?service_code=lecture").json() == []


def test_figures_are_right_on_the_first_view_after_each_change(client, oworld):
    a = oworld.a
    login(client, a.admin)

    def overall():
        page = client.get(reverse("orders:dashboard") + "?by=street")
        return page.context["figures"]["overall"]

    order = advance(place_order(a.resident), a, "deliver")
    assert (overall()["done"], overall()["rated"]) == (1, 0)
    services.order_transition(actor=a.resident, order=order, action="rate", rating=2)
    figures = overall()
    assert figures["rated"] == 1 and figures["satisfaction_rate"] == 0.0 and figures["avg_rating"] == 2.0


def test_redispatch_and_hand_back_move_the_order_between_units(oworld):
    a = oworld.a
    order = advance(place_order(a.resident), a, "dispatch")
    by_unit = lambda: {g["label"]: g["total"] for g in selectors.rate_figures(actor=a.admin, by="unit")["groups"]}  # noqa: E731
    assert by_unit() == {a.unit.name: 1}
    services.order_transition(
        actor=a.community_staff, order=order, action="redispatch", unit_id=a.unit2.pk, reason="不对口"
    )
    assert by_unit() == {a.unit2.name: 1}
    assert selectors.rate_figures(actor=a.unit_staff)["overall"]["total"] == 0
    services.order_transition(actor=a.unit2_staff, order=order, action="hand_back", reason="不是我们的领域")
    assert by_unit() == {}
    assert selectors.rate_figures(actor=a.admin)["overall"]["routed"] == 0


def test_the_rates_are_refused_to_those_the_roll_up_cannot_scope(client, oworld, mixed):
    login(client, oworld.a.resident)
    assert client.get("/api/v1/orders/rates").status_code == 403
    login(client, oworld.a.unit_staff)
    assert client.get("/api/v1/orders/rates").json()["overall"]["total"] == 2


def test_figures_by_month_follow_local_calendar_months(oworld):
    from kepu.orders import rollup

    a = oworld.a
    old, new = place_order(a.resident), place_order(a.resident)
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=62))
    rollup.rebuild()  # the update above went around the services
    groups = selectors.rate_figures(actor=a.admin, by="month")["groups"]
    assert len(groups) == 2 and groups[0]["total"] == 1 and groups[-1]["total"] == 1
    assert groups[-1]["label"] == timezone.localtime(new.created_at).strftime("%Y-%m")
    assert groups[0]["label"] == timezone.localtime(old.created_at - timedelta(days=62)).strftime("%Y-%m")


def test_a_period_counts_whole_months_and_the_days_at_its_edges(oworld):
    from kepu.orders import rollup

    a = oworld.a
    days_ago = [0, 1, 20, 40, 70, 100]
    for n in days_ago:
        o = place_order(a.resident)
        Order.objects.filter(pk=o.pk).update(created_at=timezone.now() - timedelta(days=n))
    rollup.rebuild()
    today = timezone.localdate()
    for start_ago, end_ago in ((0, 0), (1, 0), (45, 10), (100, 1), (200, 0), (65, 35)):
        start, end = today - timedelta(days=start_ago), today - timedelta(days=end_ago)
        want = sum(1 for n in days_ago if end_ago <= n <= start_ago)
        got = selectors.rate_figures(actor=a.admin, start=start, end=end)["overall"]["total"]
        assert got == want, (start, end)
    assert selectors.rate_figures(actor=a.admin, start=today - timedelta(days=30))["overall"]["total"] == 3
    assert selectors.rate_figures(actor=a.admin, end=today - timedelta(days=30))["overall"]["total"] == 3
