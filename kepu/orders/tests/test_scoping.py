"""Who sees which orders, on the web and the API.

A unit only what was routed to it, no other district, a resident their own.
"""

import pytest
from django.urls import reverse

from kepu.core.permissions import scope
from kepu.orders import selectors
from kepu.orders.models import Order
from kepu.orders.tests.factories import advance, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(oworld):
    a, b = oworld.a, oworld.b
    mine = advance(place_order(a.resident), a, "claim")
    neighbours = place_order(a.neighbour, place=a.communities[-1])
    other = advance(place_order(b.resident), b, "claim")
    return {"mine": mine, "neighbours": neighbours, "other": other}


def visible(actor):
    return set(scope(actor, Order.objects.all()).values_list("pk", flat=True))


def test_scope_for_every_role(oworld, orders):
    a, b = oworld.a, oworld.b
    mine, neighbours, other = orders["mine"].pk, orders["neighbours"].pk, orders["other"].pk
    assert visible(a.resident) == {mine}
    assert visible(a.neighbour) == {neighbours}
    assert visible(a.community_staff) == {mine}  # the neighbour lives in another street's community
    assert visible(a.street_staff) == {mine}
    assert visible(a.admin) == {mine, neighbours}
    assert visible(oworld.city_admin) == {mine, neighbours, other}
    assert visible(a.unit_staff) == {mine}
    assert visible(a.unit2_staff) == set()  # a unit never sees an order not routed to it
    assert visible(a.team_staff) == set()
    assert visible(a.base_staff) == set() and visible(a.school_staff) == set()
    assert visible(b.admin) == {other} and visible(b.unit_staff) == {other}


def test_pool_orders_are_seen_by_the_districts_teams_only(oworld, orders):
    a, b = oworld.a, oworld.b
    from kepu.orders.services import order_transition

    order_transition(actor=a.unit_staff, order=orders["mine"], action="post_to_pool")
    assert orders["mine"].pk in visible(a.team_staff)
    assert orders["mine"].pk not in visible(b.team_staff)


def login(client, actor):
    client.force_login(actor.user)
    session = client.session
    session["kepu_membership_id"] = actor.membership.pk
    session.save()


@pytest.mark.parametrize("who", ["unit2_staff", "neighbour", "team_staff", "b.admin", "b.unit_staff", "b.resident"])
def test_pages_and_api_refuse_orders_outside_scope_with_404(client, oworld, orders, who):
    actor = getattr(oworld.b, who[2:]) if who.startswith("b.") else getattr(oworld.a, who)
    login(client, actor)
    pk = orders["mine"].pk
    assert client.get(reverse("orders:detail", args=[pk])).status_code == 404
    assert client.post(reverse("orders:act", args=[pk, "claim"])).status_code == 404
    assert client.post(reverse("orders:contact", args=[pk])).status_code == 404
    assert client.get(f"/api/v1/orders/{pk}").status_code == 404
    assert client.post(f"/api/v1/orders/{pk}/claim", {}, content_type="application/json").status_code == 404
    listed = client.get("/api/v1/orders/?needs_me=false").json()["items"]
    assert pk not in [o["id"] for o in listed]
    assert orders["mine"].number not in client.get(reverse("orders:list") + "?view=all").content.decode()


def test_pages_for_other_roles_are_403(client, oworld):
    login(client, oworld.a.base_staff)
    assert client.get(reverse("orders:list")).status_code == 403
    assert client.get(reverse("orders:create")).status_code == 403
    assert client.get(reverse("orders:dashboard")).status_code == 403
    login(client, oworld.a.resident)
    assert client.get(reverse("orders:dashboard")).status_code == 403
    assert client.get(reverse("orders:dashboard_xlsx")).status_code == 403
    assert client.get(reverse("orders:calendar")).status_code == 403
    login(client, oworld.a.unit_staff)
    assert client.get(reverse("orders:create")).status_code == 403


def test_anonymous_is_sent_to_sign_in_and_the_api_answers_401(client, orders):
    assert client.get(reverse("orders:list")).status_code == 302
    assert client.get("/api/v1/orders/").status_code == 401


def test_an_acting_party_outside_its_step_gets_403_on_the_page_and_the_api(client, oworld, orders):
    login(client, oworld.a.resident)  # sees the order, may not claim it
    pk = orders["mine"].pk
    assert client.post(reverse("orders:act", args=[pk, "claim"])).status_code == 403
    body = client.post(f"/api/v1/orders/{pk}/claim", {}, content_type="application/json")
    assert body.status_code == 403 and body.json()["code"] == "forbidden"


def test_lists_mask_the_phone_and_do_not_grow_queries(client, oworld, orders, django_assert_max_num_queries):
    a = oworld.a
    for _ in range(6):
        place_order(a.resident)
    login(client, a.admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("orders:list") + "?view=all")
    html = response.content.decode()
    assert a.resident.user.phone not in html and a.resident.user.phone[-4:] in html
    with django_assert_max_num_queries(12):
        api = client.get("/api/v1/orders/?needs_me=false")
    assert a.resident.user.phone not in api.content.decode()


def test_token_acts_in_its_role_on_the_api(client, oworld, orders):
    from kepu.accounts.services import api_token_create

    _token, key = api_token_create(actor=oworld.a.unit2_staff, name="t")
    response = client.get("/api/v1/orders/?needs_me=false", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200 and response.json()["items"] == []


def test_selectors_needs_me_lists_the_step_waiting_for_each_party(oworld, orders):
    a = oworld.a
    fresh = place_order(a.resident)
    assert [o.pk for o in selectors.order_list(actor=a.community_staff, needs_me=True)] == [fresh.pk]
    assert [o.pk for o in selectors.order_list(actor=a.unit_staff, needs_me=True)] == [orders["mine"].pk]
    assert not list(selectors.order_list(actor=a.resident, needs_me=True))
