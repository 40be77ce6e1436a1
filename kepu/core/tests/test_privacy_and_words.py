"""PIPL: a person downloads their own data and has it erased; the audit trail reads in words; text messages
carry a short link that opens the page for its recipient only."""

import json
import re
from pathlib import Path

import pytest
from django.urls import reverse

from kepu.core.models import AuditEntry
from kepu.core.testing.web import login

pytestmark = pytest.mark.django_db

KEPU = Path(__file__).resolve().parents[2]


def test_my_data_downloads_what_every_app_keeps_about_me_and_only_me(client, world):
    from kepu.accounts.services import consent_record
    from kepu.orders.tests.factories import add_order_parties, place_order

    w = add_order_parties(world)
    place_order(w.a.resident, title="我的讲座")
    place_order(w.a.neighbour, place=w.a.communities[-1], title="邻居的讲座")
    consent_record(user=w.a.resident.user, kind="terms", version="2026-12")
    login(client, w.a.resident)
    page = client.get(reverse("accounts:my_data")).content.decode()
    assert 'data-testid="consents"' in page and "2026-12" in page
    response = client.get(reverse("accounts:my_data_download"))
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["accounts"]["mobile_phone"] == w.a.resident.user.phone
    assert [o["what"] for o in data["orders"]] == ["我的讲座"]
    assert data["accounts"]["consents"][0]["version"] == "2026-12"
    assert AuditEntry.objects.filter(action="kepu.accounts.person.data_downloaded", actor=w.a.resident.user).exists()


def test_erasure_clears_the_person_closes_the_account_and_keeps_the_figures(client, world):
    from kepu.accounts.models import User
    from kepu.orders.models import Order
    from kepu.orders.tests.factories import add_order_parties, place_order
    from kepu.volunteers.models import Volunteer
    from kepu.volunteers.tests.factories import register

    w = add_order_parties(world)
    order = place_order(w.a.resident)
    register(w.a.resident)
    login(client, w.a.resident)
    refused = client.post(reverse("accounts:my_data_erase"), {})
    assert refused.status_code == 302 and User.objects.get(pk=w.a.resident.user.pk).is_active
    done = client.post(reverse("accounts:my_data_erase"), {"confirm": "yes"})
    assert done.status_code == 302 and "_auth_user_id" not in client.session
    person = User.objects.get(pk=w.a.resident.user.pk)
    assert (person.name, person.phone, person.is_active) == ("", "", False)
    volunteer = Volunteer.objects.get(user=person)
    assert volunteer.real_name == "" and volunteer.id_number == "" and volunteer.anonymized_at
    assert Order.objects.filter(pk=order.pk).exists()  # the order still counts
    assert AuditEntry.objects.filter(action="kepu.accounts.person.erasure_requested").exists()
    assert User.objects.get(pk=w.a.neighbour.user.pk).is_active  # nobody else


def _codes_in_source() -> set[str]:
    """Every audit code the services write: the literals given to ``log_action``, and the dynamic ones."""
    from kepu.orders.workflow import TRANSITIONS
    from kepu.volunteers.models import ReportStatus, SignUpStatus

    codes = set()
    for path in KEPU.glob("*/**/*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for call in re.finditer(r"log_action\(\s*[^,]+,\s*\"(kepu\.[a-z_]+\.[a-z_]+)\"(?!\s*\+)", text):
            codes.add(call.group(1))  # a literal followed by "+" is completed below (signup_…, report_…)
        codes.update(re.findall(r"\"(kepu\.[a-z_]+\.[a-z_]+)\" if ", text))
        codes.update(re.findall(r"else \"(kepu\.[a-z_]+\.[a-z_]+)\"", text))
    codes |= {f"kepu.orders.{name}" for name in TRANSITIONS}
    codes |= {
        f"kepu.volunteers.signup_{s}" for s in (SignUpStatus.CONFIRMED, SignUpStatus.STANDBY, SignUpStatus.REJECTED)
    }
    codes |= {f"kepu.volunteers.report_{s}" for s in (ReportStatus.APPROVED, ReportStatus.REJECTED)}
    return codes


def test_every_audit_code_written_has_words():
    from kepu.core.audit import describe

    codes = _codes_in_source()
    assert len(codes) > 80  # the search really searched
    unnamed = sorted(c for c in codes if describe(c) == c)
    assert unnamed == [], unnamed


def test_the_audit_trail_shows_what_happened_in_words_the_role_by_name_and_local_time(client, world):
    from django.utils import timezone

    from kepu.accounts.services import person_reveal_phone

    person_reveal_phone(actor=world.a.admin, person=world.a.resident.user)
    entry = AuditEntry.objects.get(action="kepu.accounts.person.pii_viewed")
    page = login(client, world.a.admin).get(reverse("core:audit")).content.decode()
    table = page.split('data-testid="audit"')[1]
    assert "个人：查看完整手机号" in table and "kepu.person" not in table
    assert "(区科协)" in table and "district_admin" not in table
    assert timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S") in table and "北京时间" in table
    filtered = client.get(reverse("core:audit"), {"action": "kepu.accounts.person."}).content.decode()
    assert "个人：查看完整手机号" in filtered
    assert 'placeholder="kepu.person"' not in page


def test_a_text_message_carries_a_short_link_that_opens_the_page_for_its_recipient_only(
    client, world, django_capture_on_commit_callbacks, settings
):
    from kepu.core.messaging import LocmemSmsBackend
    from kepu.notifications.models import Notification
    from kepu.notifications.services import SMS, notify

    settings.KEPU_SITE_URL = "https://kepu.example.gov.cn"
    with django_capture_on_commit_callbacks(execute=True):
        notify([world.a.resident.user], title="您的订单已完成", url="/orders/1/", channels=("inbox", SMS))
    message = Notification.objects.get()
    sms = LocmemSmsBackend.outbox[-1].text
    link = f"https://kepu.example.gov.cn/inbox/{message.pk}/"
    assert sms.endswith(link)
    assert login(client, world.a.neighbour).get(f"/inbox/{message.pk}/").status_code == 404
    opened = login(client, world.a.resident).get(f"/inbox/{message.pk}/")
    assert opened.status_code == 302 and opened["Location"] == "/orders/1/"
    message.refresh_from_db()
    assert message.read_at is not None


def test_a_draft_activity_counts_its_planned_sessions(client, world):
    from kepu.activities.tests.factories import published_activity

    draft = published_activity(world.a.unit_staff, sessions=1, publish=False)
    page = login(client, world.a.unit_staff).get(reverse("activities:manage_detail", args=[draft.pk]))
    assert re.search(r'data-testid="session-count">1<', page.content.decode())
