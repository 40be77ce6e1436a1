"""The resident's side of an order: the stepper in their words, choices never made for them (population,
rating, the unit dispatched to), a newcomer ordering without a detour, the place picker."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kepu.core.roles import Role
from kepu.core.testing.web import login
from kepu.orders import stepper
from kepu.orders.models import Order, OrderStatus
from kepu.orders.tests.factories import add_order_parties, advance, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(world):
    return add_order_parties(world)


def _order_form(community, **extra):
    today = timezone.localdate()
    return {
        "title": "防诈骗讲座",
        "kind": "lecture",
        "topic": "anti_fraud",
        "population": "elderly",
        "expected_audience": 30,
        "place": community.code,
        "preferred_from": today + timedelta(days=5),
        "preferred_to": today + timedelta(days=20),
        **extra,
    }


def test_the_stepper_marks_each_step_with_its_date_and_says_what_comes_next(w):
    order = place_order(w.a.resident)
    steps = stepper.steps(Order.objects.get(pk=order.pk))
    assert [s.state for s in steps] == ["done", "current", "todo", "todo", "todo", "todo"]
    assert steps[0].when is not None and steps[1].note  # "the community will look at it within a working day"
    order = advance(order, w.a, "deliver")
    steps = stepper.steps(Order.objects.prefetch_related("events").get(pk=order.pk))
    assert [s.state for s in steps] == ["done"] * 5 + ["current"]
    assert all(s.when is not None for s in steps[:5])
    assert [s.when for s in steps[:5]] == sorted(s.when for s in steps[:5])
    # Handed back: the unit's step is no longer done, and shows no date.
    cancelled = place_order(w.a.resident, title="取消的单")
    from kepu.orders.services import order_transition

    cancelled = order_transition(actor=w.a.resident, order=cancelled, action="cancel", reason="时间不合适")
    steps = stepper.steps(Order.objects.prefetch_related("events").get(pk=cancelled.pk))
    assert steps[1].state == "stopped" and stepper.resident_status(cancelled) == "已取消"


def test_dispatch_preselects_no_unit_and_explains_each_in_words(client, w):
    order = place_order(w.a.resident)
    page = login(client, w.a.community_staff).get(reverse("orders:detail", args=[order.pk])).content.decode()
    picker = page.split('data-testid="candidates-dispatch"')[1].split("</fieldset>")[0]
    assert "checked" not in picker and "required" in picker
    assert "负责本区该主题" in picker or "该主题" in picker
    assert "近30天" in picker and "最合适" in picker
    assert 'class="score"' not in page  # no bare numbers
    # Sent without a choice, nothing is dispatched.
    response = client.post(reverse("orders:act", args=[order.pk, "dispatch"]), {})
    assert response.status_code == 400
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SUBMITTED


def test_the_rating_card_chooses_no_star_and_a_rating_is_never_assumed(client, w):
    order = advance(place_order(w.a.resident), w.a, "deliver")
    page = login(client, w.a.resident).get(reverse("orders:detail", args=[order.pk])).content.decode()
    card = page.split('data-testid="rate-card"')[1].split("</section>")[0]
    assert card.count('name="rate-rating"') == 5 and "checked" not in card
    assert page.index('data-testid="rate-card"') < page.index("您预约的服务")  # right under the stepper
    response = client.post(reverse("orders:act", args=[order.pk, "rate"]), {"rate-comment": "还行"})
    assert response.status_code == 400 and "请点星星评分" in response.content.decode()
    assert Order.objects.get(pk=order.pk).rating is None
    client.post(reverse("orders:act", args=[order.pk, "rate"]), {"rate-rating": "3"})
    assert Order.objects.get(pk=order.pk).rating == 3


def test_the_order_form_chooses_no_population_unless_the_profile_says_and_then_says_so(client, w):
    from kepu.accounts.services import person_set_key_population

    login(client, w.a.resident)
    page = client.get(reverse("orders:create")).content.decode()
    select = page.split('name="population"')[1].split("</select>")[0]
    assert 'value="" selected' in select and select.count("selected") == 1
    response = client.post(reverse("orders:create"), _order_form(w.a.communities[0], population=""))
    assert response.status_code == 200 and not Order.objects.exists()
    person_set_key_population(actor=w.a.resident, person=w.a.resident.user, key_population="elderly")
    page = client.get(reverse("orders:create")).content.decode()
    assert 'value="elderly" selected' in page and "已按您的个人资料选好" in page


def test_an_item_from_the_menu_does_not_choose_the_audience(client, w):
    from kepu.orders.models import ServiceItem

    item = ServiceItem.objects.create(
        title="老年人防跌倒",
        kind="health_talk",
        topic="health",
        populations=["elderly"],
        provider=w.a.team,
        district=w.a.place,
    )
    page = login(client, w.a.resident).get(reverse("orders:create") + f"?item={item.pk}").content.decode()
    select = page.split('name="population"')[1].split("</select>")[0]
    assert 'value="" selected' in select and 'value="youth" selected' not in select


def test_a_newcomer_orders_at_once_and_becomes_a_resident_of_the_community_picked(client, db, w):
    from kepu.accounts.models import Membership, User

    person = User.objects.create(username="new-1", phone="13700001234")
    client.force_login(person)
    page = client.get(reverse("orders:create"))
    assert page.status_code == 200 and 'name="your_name"' in page.content.decode()
    outside = client.post(reverse("orders:create"), _order_form(w.a.communities[0]))  # no name: refused
    assert outside.status_code == 200 and not Order.objects.exists()
    done = client.post(reverse("orders:create"), _order_form(w.a.communities[1], your_name="孙大妈"))
    order = Order.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("orders:detail", args=[order.pk])
    person.refresh_from_db()
    assert (person.name, person.home_place) == ("孙大妈", w.a.communities[1])
    assert order.contact_name == "孙大妈" and order.community == w.a.communities[1]
    assert Membership.objects.get(user=person).role == Role.RESIDENT
    assert client.get(done["Location"]).status_code == 200


def test_a_resident_orders_only_within_their_district(client, w):
    login(client, w.a.resident)
    response = client.post(reverse("orders:create"), _order_form(w.b.communities[0]))
    assert response.status_code == 200 and "请从列表中选择社区" in response.content.decode()
    assert not Order.objects.exists()


def test_a_resident_acting_as_volunteer_orders_as_the_resident(client, w):
    from kepu.accounts.models import Membership

    volunteer = Membership.objects.create(user=w.a.resident.user, organization=w.a.team, role=Role.VOLUNTEER)
    client.force_login(w.a.resident.user)
    session = client.session
    session["kepu_membership_id"] = volunteer.pk
    session.save()
    response = client.post(reverse("orders:create"), _order_form(w.a.communities[0]))
    order = Order.objects.get()
    assert order.resident == w.a.resident.user and response.status_code == 302
    assert client.get(response["Location"]).status_code == 200  # seen as the resident who placed it


def test_the_place_picker_tells_same_named_communities_apart_and_keeps_to_its_scope(client, w):
    from kepu.places import picker

    name = w.a.communities[0].name
    found = picker.search(name[-3:], within=w.a.place.code)
    assert found and all(place.path.startswith(w.a.place.path) for place, _where in found)
    assert all(where for _place, where in found)  # each with its district and street
    assert picker.in_scope(w.b.communities[0].code, within=w.a.place.code) is None
    assert picker.in_scope(w.a.streets[0].code, within=w.a.place.code) is None  # a street is not a community
    state = picker.picker("place", within=w.a.place.code, home=w.a.communities[-1].code)
    assert state.chosen == w.a.communities[-1] and state.chosen_is_home
    assert state.streets[0].pk == w.a.communities[-1].parent_id  # own street first
    # The picker view redraws the later steps when an earlier one changes.
    page = client.get(
        reverse("places:picker"),
        {"prefix": "place", "place_district": w.a.place.code, "place_street": w.a.streets[1].code},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER_NAME="place_street",
    ).content.decode()
    assert all(c.name in page for c in w.a.communities if c.parent_id == w.a.streets[1].pk)
    found_page = client.get(reverse("places:picker"), {"prefix": "place", "place_q": name, "part": "found"})
    assert f'data-testid="found-{w.a.communities[0].code}"' in found_page.content.decode()


def test_a_resident_sees_their_own_orders_with_the_next_step(client, w):
    mine = place_order(w.a.resident, title="我的讲座")
    place_order(w.a.neighbour, place=w.a.communities[-1], title="邻居的讲座")
    page = login(client, w.a.resident).get(reverse("orders:list")).content.decode()
    assert "我的讲座" in page and "邻居的讲座" not in page and "社区会在 1 个工作日内处理" in page
    assert reverse("orders:detail", args=[mine.pk]) in page and "等待我处理" not in page
