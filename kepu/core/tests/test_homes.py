"""Home pages: the to-do registry, every worker's 待办 with counts, links and alerts, the resident's next step,
the unread badge, the footer, and what the public side shows a resident."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kepu.core.actor import Actor
from kepu.core.home import Todo, todos_for
from kepu.core.roles import Role
from kepu.core.testing.web import login

pytestmark = pytest.mark.django_db


def test_late_things_come_first_then_the_oldest_and_a_failing_provider_is_left_out(monkeypatch, world, caplog):
    from kepu.core import home

    now = timezone.now()

    def provider(actor):
        return [
            Todo("new", 2, "/a/", oldest=now),
            Todo("old", 1, "/b/", oldest=now - timedelta(days=3)),
            Todo("late", 1, "/c/", oldest=now, overdue=1),
            Todo("empty", 0, "/d/"),
        ]

    def broken(actor):
        raise RuntimeError("boom")

    monkeypatch.setattr(home, "_todo_providers", [])
    home.register_todos(provider, {Role.UNIT_STAFF})
    home.register_todos(broken, {Role.UNIT_STAFF})
    home.register_todos(lambda actor: [Todo("not mine", 5, "/e/")], {Role.CITY_ADMIN})
    labels = [t.label for t in todos_for(world.a.unit_staff)]
    assert labels == ["late", "old", "new"]
    assert "boom" in caplog.text


def test_a_community_worker_sees_orders_to_dispatch_with_the_count_the_oldest_and_a_link(client, world):
    from kepu.orders.tests.factories import add_order_parties, place_order

    w = add_order_parties(world)
    first = place_order(w.a.resident, title="第一单")
    place_order(w.a.resident, title="第二单")
    place_order(w.b.resident, title="别区的单")  # another district's: not counted
    page = login(client, w.a.community_staff).get(reverse("core:role_home", args=[Role.COMMUNITY_STAFF]))
    body = page.content.decode()
    todo = body.split('data-testid="todo-orders-dispatch"')[1].split("</a>")[0]
    assert '<span class="todo-count">2</span>' in todo and "待派单的订单" in todo
    assert timezone.localtime(first.created_at).strftime("%Y-%m-%d %H:%M") in todo  # the oldest first
    assert 'href="/orders/?view=todo&amp;status=submitted"' in body
    listed = client.get("/orders/?view=todo&status=submitted").content.decode()
    assert "第一单" in listed and "第二单" in listed and "别区的单" not in listed


def test_late_orders_are_an_alert_that_links_to_the_overdue_list(client, world):
    from kepu.orders.models import Order
    from kepu.orders.tests.factories import add_order_parties, place_order

    w = add_order_parties(world)
    order = place_order(w.a.resident)
    Order.objects.filter(pk=order.pk).update(overdue=True, due_at=timezone.now() - timedelta(days=1))
    body = login(client, w.a.community_staff).get(reverse("core:home"), follow=True).content.decode()
    alerts = body.split('data-testid="alerts"')[1].split("</section>")[0]
    assert "待派单的订单：1 件已超时" in alerts and "/orders/?view=overdue" in alerts


@pytest.mark.parametrize(
    ("who", "key", "label"),
    [
        ("unit_staff", "orders-claim", "待领单的订单"),
        ("team_staff", "orders-accept", "待接单的订单"),
    ],
)
def test_each_party_sees_its_own_step(client, world, who, key, label):
    from kepu.orders.tests.factories import add_order_parties, advance, place_order

    w = add_order_parties(world)
    order = place_order(w.a.resident)
    advance(order, w.a, "dispatch" if who == "unit_staff" else "pass_on")
    actor = getattr(w.a, who)
    body = login(client, actor).get(reverse("core:home"), follow=True).content.decode()
    assert f'data-testid="todo-{key}"' in body and label in body
    other = getattr(w.b, who)  # the same role elsewhere has nothing to do
    assert (
        f'data-testid="todo-{key}"' not in login(client, other).get(reverse("core:home"), follow=True).content.decode()
    )


def test_a_district_office_is_told_of_activities_to_review_and_a_team_of_join_requests(client, world):
    from kepu.activities.services import district_settings_set
    from kepu.activities.tests.factories import published_activity
    from kepu.volunteers import services as volunteer_services
    from kepu.volunteers.tests.factories import register

    district_settings_set(actor=world.a.admin, district=world.a.place, review_required=True)
    published_activity(world.a.unit_staff)  # submitted: waits for review
    body = login(client, world.a.admin).get(reverse("core:home"), follow=True).content.decode()
    assert 'data-testid="todo-activities-review"' in body and "待审核的活动" in body
    volunteer = register(world.a.resident)
    volunteer_services.join_request_create(actor=world.a.resident, volunteer=volunteer, organization=world.a.team)
    body = login(client, world.a.team_staff).get(reverse("core:home"), follow=True).content.decode()
    assert 'data-testid="todo-volunteers-join"' in body and "待审批的入队申请" in body


def test_the_resident_home_puts_the_rating_first_and_the_inbox_shows_unread(client, world):
    from kepu.notifications.services import notify
    from kepu.orders.tests.factories import add_order_parties, advance, place_order

    w = add_order_parties(world)
    order = advance(place_order(w.a.resident), w.a, "deliver")
    notify([w.a.resident.user], title="一条消息")
    body = login(client, w.a.resident).get(reverse("core:home"), follow=True).content.decode()
    next_steps = body.split('data-testid="next-steps"')[1].split("</section>")[0]
    assert reverse("orders:detail", args=[order.pk]) in next_steps and "等您评价" in next_steps
    assert body.index('data-testid="next-steps"') < body.index('data-testid="card-orders:create"')
    assert 'data-testid="unread-count"' in body
    assert 'data-testid="tabbar"' in body and "点单" in body
    # The worker layout has no tab bar, and its menu lists the whole navigation.
    staff = login(client, w.a.community_staff).get(reverse("core:home"), follow=True).content.decode()
    assert 'data-testid="tabbar"' not in staff and 'class="menu-nav"' in staff


def test_elder_mode_shows_fewer_cards_on_the_resident_home(client, world):
    from kepu.accounts.services import set_elder_mode

    login(client, world.a.resident)
    standard = client.get(reverse("core:home"), follow=True).content.decode().count('class="big-card"')
    set_elder_mode(user=world.a.resident.user, on=True)
    elder = client.get(reverse("core:home"), follow=True).content.decode().count('class="big-card"')
    assert standard > 4 and elder == 4


def test_the_api_link_is_for_staff_and_the_footer_names_the_operator(client, world, settings):
    settings.KEPU_OPERATOR_NAME = "测试区科学技术协会"
    settings.KEPU_ICP_NUMBER = "京ICP备12345678号"
    public = client.get("/").content.decode()
    assert 'data-testid="api-link"' not in public
    assert "主办单位：测试区科学技术协会" in public and "京ICP备12345678号" in public
    assert 'href="/privacy/"' in public and 'href="/terms/"' in public
    assert 'data-testid="api-link"' not in login(client, world.a.resident).get("/accounts/me/").content.decode()
    assert 'data-testid="api-link"' in login(client, world.a.unit_staff).get("/accounts/me/").content.decode()
    assert "测试区科学技术协会" in client.get(reverse("core:privacy")).content.decode()


def test_icons_and_the_manifest_are_served_and_the_api_docs_load_nothing_from_elsewhere(client, db):
    import re

    assert client.get("/favicon.ico").status_code == 301
    manifest = client.get(reverse("core:manifest")).json()
    assert manifest["icons"] and all(icon["src"].startswith("/static/") for icon in manifest["icons"])
    docs = client.get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle.js" in docs
    hosts = set(re.findall(r"""(?:src|href)=["']https?://([^/"']+)""", docs))
    assert hosts == set(), hosts


def test_an_unexpected_refusal_is_one_line_in_the_log_not_a_traceback(client, world, caplog):
    import logging

    from kepu.core.logs import ExpectedRefusals

    caplog.set_level(logging.WARNING, logger="django.request")
    login(client, world.a.resident).get(reverse("core:role_home", args=[Role.CITY_ADMIN]))
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records and all(r.status_code == 403 for r in records)
    for record in records:
        ExpectedRefusals().filter(record)
        assert record.exc_info is None


def test_dev_up_takes_a_port():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("dev", Path(__file__).resolve().parents[3] / "dev.py")
    dev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dev)
    assert dev.port_of(["--port", "8123"]) == 8123
    assert dev.port_of(["--port=8124"]) == 8124
    with pytest.raises(SystemExit):
        dev.port_of(["--port", "http"])


def test_the_demo_logins_are_printed_every_time(transactional_db, capsys, tmp_path, settings):
    from django.core.management import call_command

    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--only", "places,orgs,accounts")
    first = capsys.readouterr().out
    call_command("seed_demo", "--only", "places,orgs,accounts")
    again = capsys.readouterr().out
    assert "dx.community" in first and "dx.community" in again and "13800000002" in again


def test_an_actor_without_any_role_sees_the_resident_home(client, db):
    from kepu.accounts.models import User

    person = User.objects.create(username="newcomer", phone="13700009999")
    client.force_login(person)
    page = client.get(reverse("core:home"))
    assert page.status_code == 200 and 'data-testid="needs-profile"' in page.content.decode()
    assert Actor(user=person).role is None
