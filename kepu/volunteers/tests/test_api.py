"""The API: the same flows and refusals as the pages, with tokens."""

import pytest
from django.utils import timezone

from kepu.accounts.services import api_token_create
from kepu.core.models import AuditEntry
from kepu.volunteers import services
from kepu.volunteers.models import ExpertInvitation, HoursEntry
from kepu.volunteers.tests.factories import ExpertFactory, make_id_number, member_volunteer, need_for

pytestmark = pytest.mark.django_db


def api(client, actor):
    _token, key = api_token_create(actor=actor, name="t")

    class Caller:
        def get(self, path, **params):
            return client.get(f"/api/v1/volunteers{path}", params, HTTP_AUTHORIZATION=f"Bearer {key}")

        def post(self, path, body=None):
            return client.post(
                f"/api/v1/volunteers{path}",
                body or {},
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {key}",
            )

    return Caller()


def test_register_join_signup_presence_and_hours_through_the_api(client, world):
    a = world.a
    me = api(client, a.resident)
    r = me.post("/register", {"real_name": "王芳", "id_number": make_id_number(2), "street_code": None})
    assert r.status_code == 400 and r.json()["code"] == "consent_required"  # never without explicit consent
    r = me.post("/register", {"real_name": "王芳", "id_number": "110105194912310029", "agree": True})
    assert r.status_code == 400 and r.json()["code"] == "id_check_digit"
    idn = make_id_number(21)
    r = me.post("/register", {"real_name": "王芳", "id_number": idn, "street_code": a.streets[0].code, "agree": True})
    assert r.status_code == 201 and r.json()["id_number"] == idn[:4] + "*" * 10 + idn[-4:]
    r = me.post("/join", {"organization_id": a.team.pk})
    staff = api(client, a.team_staff)
    assert (
        api(client, world.b.team_staff).post(f"/join-requests/{r.json()['id']}/decision", {"approve": True}).status_code
        == 404
    )
    assert staff.post(f"/join-requests/{r.json()['id']}/decision", {"approve": True}).json()["status"] == "approved"
    need = need_for(a.team_staff, a.place)
    assert [n["title"] for n in me.get("/needs").json()["items"]] == [need.title]
    signup = me.post(f"/needs/{need.pk}/signup").json()
    services.signup_decide(actor=a.team_staff, signup=need.signups.get(pk=signup["id"]), confirm=True)
    token = me.get("/me").json()
    assert token["hours"] == 0
    v = need.signups.get().volunteer
    assert staff.post(f"/needs/{need.pk}/presence", {"token": v.qr_token}).json()["signed_in_at"]
    r = api(client, world.b.team_staff).post(f"/needs/{need.pk}/presence", {"token": v.qr_token})
    assert r.status_code == 404
    # The total of an organization, and its ledger, for those who may see them.
    services.credit_hours(
        volunteer=v, organization=a.team, minutes=90, source="import", key="api", served_on=timezone.localdate()
    )
    assert staff.get(f"/organizations/{a.team.pk}/total").json()["minutes"] == 90
    assert api(client, world.b.team_staff).get(f"/organizations/{a.team.pk}/total").status_code == 404
    assert len(me.get("/hours").json()["items"]) == 1
    assert api(client, world.b.admin).get("/hours").json()["items"] == []


def test_reveal_is_audited_and_refused_outside_scope(client, world):
    a = world.a
    act, v = member_volunteer(a.team, a.team_staff)
    listing = api(client, a.team_staff).get("/people").json()["items"]
    assert listing[0]["id_number"] == v.masked_id_number
    r = api(client, a.team_staff).post(f"/people/{v.pk}/reveal", {"field": "id_number"})
    assert r.json()["value"] == v.id_number
    assert AuditEntry.objects.filter(action="kepu.volunteers.pii_viewed").count() == 1
    assert api(client, world.b.admin).post(f"/people/{v.pk}/reveal", {"field": "id_number"}).status_code == 404
    assert api(client, a.unit_staff).post(f"/people/{v.pk}/reveal", {"field": "id_number"}).status_code == 404


def test_reports_through_the_api(client, world):
    a = world.a
    act, v = member_volunteer(a.team, a.team_staff)
    r = api(client, act).post(
        "/reports",
        {"organization_id": a.team.pk, "served_on": str(timezone.localdate()), "minutes": 45, "description": "讲解"},
    )
    assert r.status_code == 201
    rid = r.json()["id"]
    assert api(client, act).post(f"/reports/{rid}/decision", {"approve": True}).status_code == 403
    assert api(client, a.team_staff).post(f"/reports/{rid}/decision", {"approve": True}).json()["status"] == "approved"
    assert HoursEntry.objects.get().minutes == 45


def test_expert_search_and_invite_through_the_api(client, world):
    a = world.a
    ExpertFactory(district=a.place, name="张气象", field="earth", phone="13600001111")
    ExpertFactory(district=a.place, name="王营养", field="life")
    unit = api(client, a.unit_staff)
    items = unit.get("/experts", field="earth").json()["items"]
    assert [e["name"] for e in items] == ["张气象"] and items[0]["phone"] == "136****1111"
    from kepu.activities.tests.factories import published_activity

    unknown = unit.post(f"/experts/{items[0]['id']}/invitations", {"target": "activity", "target_id": 999_999})
    assert unknown.status_code == 400 and not ExpertInvitation.objects.exists()
    activity = published_activity(a.unit_staff)
    r = unit.post(f"/experts/{items[0]['id']}/invitations", {"target": "activity", "target_id": activity.pk})
    assert r.status_code == 201
    assert api(client, a.resident).get("/experts").json()["items"] == []


def test_certificate_verification_needs_no_sign_in(client, world):
    act, v = member_volunteer(world.a.team, world.a.team_staff, real_name="韩梅梅")
    services.credit_hours(
        volunteer=v, organization=world.a.team, minutes=6000, source="import", key="c", served_on=timezone.localdate()
    )
    cert = services.certificate_issue(actor=act, volunteer=v)
    r = client.get(f"/api/v1/volunteers/certificates/{cert.number}/verify")
    assert r.json() == {
        "valid": True,
        "number": cert.number,
        "name": "韩梅梅",
        "hours": 100.0,
        "stars": 1,
        "issued_at": r.json()["issued_at"],
    }
    assert client.get("/api/v1/volunteers/certificates/NOPE/verify").status_code == 404


def test_expert_search_through_the_api_counts_no_further_than_the_cap(client, world, monkeypatch):
    from kepu.volunteers import selectors

    monkeypatch.setattr(selectors, "EXPERT_COUNT_CAP", 3)
    for i in range(5):
        ExpertFactory(district=world.a.place, name=f"专家{i}", field="earth")
    unit = api(client, world.a.unit_staff)
    first = unit.get("/experts", field="earth").json()
    assert first["count"] == 4  # the cap and one more: "more than 3"
    assert [e["name"] for e in first["items"]] == ["专家0", "专家1", "专家2", "专家3"]
