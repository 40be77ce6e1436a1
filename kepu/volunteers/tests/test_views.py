"""The pages: whole flows through HTTP, what each role sees, and refusals (403 pages, 404 objects)."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kepu.accounts.middleware import SESSION_KEY
from kepu.core import clock
from kepu.core.errors import DomainError
from kepu.core.models import AuditEntry
from kepu.volunteers import services
from kepu.volunteers.models import Certificate, HoursEntry, SignUpStatus, TrainingSession, Volunteer
from kepu.volunteers.tests.factories import ExpertFactory, make_id_number, member_volunteer, need_for, register

pytestmark = pytest.mark.django_db


def login(client, actor):
    client.force_login(actor.user)
    session = client.session
    session[SESSION_KEY] = actor.membership.pk
    session.save()
    return client


def test_resident_registers_joins_signs_up_is_signed_in_and_out_and_gets_a_certificate(client, world):
    a = world.a
    login(client, a.resident)
    assert client.get(reverse("volunteers:me")).url == reverse("volunteers:register")
    no_consent = client.post(reverse("volunteers:register"), {"real_name": "王芳", "id_number": make_id_number(3)})
    assert no_consent.status_code == 200 and "请先同意" in no_consent.content.decode()
    bad = client.post(
        reverse("volunteers:register"), {"real_name": "王芳", "id_number": "110105194912310021", "agree": "on"}
    )
    assert bad.status_code == 200 and "校验位" in bad.content.decode()
    assert not Volunteer.objects.exists()
    idn = make_id_number(3)
    r = client.post(
        reverse("volunteers:register"),
        {
            "real_name": "王芳",
            "id_number": idn,
            "agree": "on",
            "street": a.streets[0].code,
            "availability": ["weekend"],
            "skills": "讲解、急救",
        },
    )
    assert r.status_code == 302
    v = Volunteer.objects.get()
    assert v.skills == ["讲解", "急救"] and v.availability == ["weekend"] and v.street == a.streets[0]
    from django.conf import settings

    from kepu.accounts.models import Consent

    consent = Consent.objects.get(user=a.resident.user, kind="volunteer_id")  # explicit, with version and time
    assert consent.version == settings.KEPU_POLICY_VERSION and consent.given_at
    page = client.get(reverse("volunteers:me")).content.decode()
    assert v.masked_id_number in page and idn not in page
    client.post(reverse("volunteers:join"), {"organization": a.team.pk})

    staff = login(type(client)(), a.team_staff)
    org_page = staff.get(reverse("volunteers:org_home")).content.decode()
    assert "王芳" in org_page and idn not in org_page
    jr = v.join_requests.get()
    staff.post(reverse("volunteers:join_decide", args=[jr.pk]), {"approve": "1"})
    need = need_for(a.team_staff, a.streets[0], title="科技周讲解", hours=2)

    client.post(reverse("volunteers:need_signup", args=[need.pk]))
    signup = need.signups.get()
    staff.post(reverse("volunteers:signup_decide", args=[signup.pk]), {"confirm": "1"})
    signup.refresh_from_db()
    assert signup.status == SignUpStatus.CONFIRMED

    scan = staff.get(reverse("volunteers:scan", args=[v.qr_token]))
    assert scan.status_code == 200 and "科技周讲解" in scan.content.decode()
    with clock.frozen_at(need.starts_at):
        staff.post(reverse("volunteers:presence", args=[need.pk]), {"token": v.qr_token, "action": "in"})
    with clock.frozen_at(need.starts_at + timedelta(minutes=120)):
        staff.post(reverse("volunteers:presence", args=[need.pk]), {"token": v.qr_token, "action": "out"})
    assert HoursEntry.objects.get().minutes == 120

    hours_page = client.get(reverse("volunteers:hours")).content.decode()
    assert "2.0" in hours_page
    r = client.post(reverse("volunteers:certificate_issue"))
    cert = Certificate.objects.get()
    assert r.url == reverse("volunteers:certificate", args=[cert.number])
    page = client.get(r.url).content.decode()
    assert "<svg" in page and cert.number in page
    download = client.get(r.url + "?download=1")
    assert "attachment" in download["Content-Disposition"]
    anonymous = type(client)()
    verify = anonymous.get(reverse("volunteers:verify", args=[cert.number])).content.decode()
    assert "王芳" in verify and "2.0" in verify
    assert anonymous.get(reverse("volunteers:verify", args=["KP-FAKE"])).status_code == 404
    # Someone else cannot open the certificate page.
    other = login(type(client)(), a.neighbour)
    assert other.get(reverse("volunteers:certificate", args=[cert.number])).status_code == 404


def test_pages_for_other_roles_are_refused(client, world):
    a = world.a
    for name in ("volunteers:org_home", "volunteers:need_create", "volunteers:hours_csv"):
        for actor in (a.resident, a.admin, a.unit_staff):
            assert login(client, actor).get(reverse(name)).status_code == 403, (name, actor.role)
    for actor in (a.resident,):
        assert login(client, actor).get(reverse("volunteers:experts")).status_code == 403
        assert login(client, actor).get(reverse("volunteers:hours_overview")).status_code == 403
    assert login(client, a.team_staff).get(reverse("volunteers:expert_create")).status_code == 403
    assert login(client, a.team_staff).get(reverse("volunteers:import", args=["experts"])).status_code == 403
    assert login(client, a.admin).get(reverse("volunteers:import", args=["volunteers"])).status_code == 403
    anon = type(client)()
    assert anon.get(reverse("volunteers:me")).status_code == 302


def test_objects_outside_scope_are_404(client, world):
    a, b = world.a, world.b
    actor, v = member_volunteer(a.team, a.team_staff)
    need = need_for(a.team_staff, a.place)
    expert = services.expert_create(actor=a.admin, name="刘教授", field="life", district=a.place, phone="13600001111")
    login(client, b.team_staff)
    assert client.get(reverse("volunteers:volunteer", args=[v.pk])).status_code == 404
    assert client.post(reverse("volunteers:volunteer_reveal", args=[v.pk, "id_number"])).status_code == 404
    assert client.get(reverse("volunteers:need", args=[need.pk])).status_code == 404
    assert client.post(reverse("volunteers:presence", args=[need.pk]), {"token": v.qr_token}).status_code == 404
    assert client.get(reverse("volunteers:scan", args=[v.qr_token])).status_code == 404
    login(client, b.admin)
    assert client.get(reverse("volunteers:volunteer", args=[v.pk])).status_code == 404
    r = client.post(reverse("volunteers:expert_reveal", args=[expert.pk]))
    assert r.status_code == 403 and "13600001111" not in r.content.decode()
    assert AuditEntry.objects.filter(action="kepu.volunteers.pii_viewed").count() == 0


def test_full_views_on_the_web_are_audited(client, world):
    a = world.a
    actor, v = member_volunteer(a.team, a.team_staff)
    login(client, a.team_staff)
    detail = client.get(reverse("volunteers:volunteer", args=[v.pk])).content.decode()
    assert v.masked_id_number in detail and v.id_number not in detail
    r = client.post(reverse("volunteers:volunteer_reveal", args=[v.pk, "id_number"]))
    assert v.id_number in r.content.decode()
    entry = AuditEntry.objects.get(action="kepu.volunteers.pii_viewed")
    assert entry.actor == a.team_staff.user and entry.data == {"field": "id_number"}


def test_lists_do_not_make_a_query_per_row(client, world, django_assert_max_num_queries):
    a = world.a
    need = need_for(a.team_staff, a.place, slots=30)
    for _ in range(12):
        act, v = member_volunteer(a.team, a.team_staff)
        services.signup_create(actor=act, need=need)
        services.credit_hours(
            volunteer=v,
            organization=a.team,
            minutes=60,
            source="import",
            key=("q", v.pk),
            served_on=timezone.localdate(),
        )
    for i in range(12):
        ExpertFactory(district=a.place, name=f"专家{i}")
    login(client, a.team_staff)
    for name, args in (
        ("volunteers:org_home", []),
        ("volunteers:need", [need.pk]),
        ("volunteers:needs", []),
        ("volunteers:experts", []),
    ):
        with django_assert_max_num_queries(25):
            assert client.get(reverse(name, args=args)).status_code == 200


def test_hours_csv_is_clean_audited_and_nets_corrections(client, world):
    a = world.a
    act, v = member_volunteer(a.team, a.team_staff, real_name="李雷")
    entry, _ = services.credit_hours(
        volunteer=v,
        organization=a.team,
        minutes=150,
        source="need",
        key="n1",
        served_on=date(2026, 5, 12),
        note="防灾减灾日",
    )
    services.hours_correct(actor=a.team_staff, entry=entry, minutes=-30, reason="早退")
    r = login(client, a.team_staff).get(reverse("volunteers:hours_csv"))
    text = b"".join(r.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "记录编号" and len(rows) == 2
    assert rows[1][1:7] == ["李雷", "居民身份证", v.id_number, "2026-05-12", "2.00", "防灾减灾日"]
    assert AuditEntry.objects.filter(action="kepu.volunteers.hours_exported").count() == 1


def test_expert_search_filters(client, world):
    a, b = world.a, world.b
    ExpertFactory(
        district=a.place,
        name="张气象",
        field="earth",
        subfield="气象",
        available=True,
        audiences=["youth"],
        is_emergency=True,
        emergency_fields=["disasters"],
    )
    ExpertFactory(
        district=b.place, name="王营养", field="life", subfield="营养", available=False, audiences=["elderly"]
    )
    login(client, a.unit_staff)
    url = reverse("volunteers:experts")

    def names(params):
        return [e.name for e in client.get(url, params).context["page"]]

    assert names({}) == ["张气象", "王营养"] or set(names({})) == {"张气象", "王营养"}
    assert names({"field": "earth"}) == ["张气象"]
    assert names({"district": b.place.pk}) == ["王营养"]
    assert names({"available": "on"}) == ["张气象"]
    assert names({"audience": "elderly"}) == ["王营养"]
    assert names({"emergency": "on", "emergency_field": "disasters"}) == ["张气象"]
    assert names({"q": "营养"}) == ["王营养"]
    from openpyxl import load_workbook

    xlsx = client.get(url, {"field": "earth", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[2]][:2] == ["张气象", "地球、环境与灾害"] and sheet.max_row == 2
    htmx = client.get(url, {"q": "气象"}, HTTP_HX_REQUEST="true").content.decode()
    assert "张气象" in htmx and "<html" not in htmx


def test_office_overview_shows_only_its_area(client, world):
    a, b = world.a, world.b
    for org, staff in ((a.team, a.team_staff), (b.team, b.team_staff)):
        act, v = member_volunteer(org, staff)
        services.credit_hours(
            volunteer=v, organization=org, minutes=600, source="import", key=("o", v.pk), served_on=timezone.localdate()
        )
    page = login(client, a.admin).get(reverse("volunteers:hours_overview")).content.decode()
    assert a.team.name in page and b.team.name not in page
    page = login(client, world.city_admin).get(reverse("volunteers:hours_overview")).content.decode()
    assert a.team.name in page and b.team.name in page


def test_report_and_rejection_with_reason_on_the_web(client, world):
    a = world.a
    act, v = member_volunteer(a.team, a.team_staff)
    login(client, act)
    client.post(
        reverse("volunteers:report"),
        {
            "organization": a.team.pk,
            "served_on": timezone.localdate().isoformat(),
            "hours": "1.5",
            "description": "社区讲座",
        },
    )
    report = v.reports.get()
    assert report.minutes == 90
    staff = login(type(client)(), a.team_staff)
    staff.post(reverse("volunteers:report_decide", args=[report.pk]), {"approve": "0", "reason": ""})
    report.refresh_from_db()
    assert report.status == "pending"
    staff.post(reverse("volunteers:report_decide", args=[report.pk]), {"approve": "0", "reason": "无活动记录"})
    report.refresh_from_db()
    assert report.status == "rejected" and report.reason == "无活动记录"
    assert "无活动记录" in client.get(reverse("volunteers:hours")).content.decode()


def test_trainings_and_the_volunteer_profile(client, world):
    a = world.a
    act, v = member_volunteer(a.team, a.team_staff)
    login(client, a.team_staff)
    r = client.post(reverse("volunteers:trainings"), {"title": "科普讲解员培训", "hours": "8"})
    training_url = r.url
    client.post(training_url, {"form": "session", "starts_at": "2026-06-01T09:00", "location": "区科技馆"})
    session = TrainingSession.objects.get()
    client.post(training_url, {"form": "attendance", "session": session.pk, "token": v.qr_token})
    me = login(type(client)(), act).get(reverse("volunteers:me")).content.decode()
    assert "科普讲解员培训" in me
    # A volunteer may not run trainings.
    volunteer_client = login(type(client)(), act)
    assert volunteer_client.post(reverse("volunteers:trainings"), {"title": "x", "hours": 1}).status_code == 403


def test_anonymization_on_the_web(client, world):
    a = world.a
    act, v = member_volunteer(a.team, a.team_staff)
    services.credit_hours(
        volunteer=v, organization=a.team, minutes=60, source="import", key="an", served_on=timezone.localdate()
    )
    login(client, act)
    client.post(reverse("volunteers:anonymize"), {"confirm": "yes"})
    v.refresh_from_db()
    assert v.anonymized_at and v.real_name == ""
    page = login(type(client)(), a.team_staff).get(reverse("volunteers:org_home")).content.decode()
    assert "1.0" in page or "60" in page or ">1<" in page


def test_register_needs_a_real_street(client, world):
    login(client, world.a.resident)
    r = client.post(
        reverse("volunteers:register"),
        {"real_name": "王芳", "id_number": make_id_number(9), "street": world.a.communities[0].code, "agree": "on"},
    )
    assert r.status_code == 200 and not Volunteer.objects.exists()


def test_second_registration_is_refused(world):
    register(world.a.resident)
    with pytest.raises(DomainError) as exc:
        register(world.a.resident)
    assert exc.value.code == "volunteer_exists"
    assert Volunteer.objects.count() == 1


def test_the_volunteer_edits_the_profile(client, world):
    act, v = member_volunteer(world.a.team, world.a.team_staff)
    login(client, act)
    assert client.get(reverse("volunteers:profile")).status_code == 200
    client.post(
        reverse("volunteers:profile"),
        {"street": world.a.streets[1].code, "skills": "摄影", "title": "工程师", "availability": ["weekday_evening"]},
    )
    v.refresh_from_db()
    assert v.street == world.a.streets[1] and v.skills == ["摄影"] and v.availability == ["weekday_evening"]
    assert login(type(client)(), world.a.neighbour).get(reverse("volunteers:profile")).status_code == 404
