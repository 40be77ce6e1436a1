"""The statistics over /api/v1/statistics/ with bearer tokens: fill, check, submit, approve, roll up; refusals."""

import pytest

from kepu.accounts.services import api_token_create
from kepu.statistics.tests.factories import YEAR, filer_staff, held_activity, open_year, staff_for

pytestmark = pytest.mark.django_db
API = "/api/v1/statistics"


def bearer(actor):
    _token, key = api_token_create(actor=actor, name="api")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_a_year_over_the_api_from_opening_to_the_city(client, world, late, dictionary):
    a = world.a
    held_activity(a.unit_staff, kind="lecture", walk_ins=[30], co_hosts=[a.street_office])
    office, city = bearer(a.admin), bearer(world.city_admin)
    opened = client.post(f"{API}/districts/{a.place.code}/{YEAR}/open", content_type="application/json", **office)
    assert opened.status_code == 200 and opened.json()["created"] == 6
    assert len(client.get(f"{API}/indicators?year={YEAR}", **office).json()) > 60
    forms = {f["organization_id"]: f for f in client.get(f"{API}/reports?year={YEAR}&level=unit", **office).json()}
    staff = filer_staff(a)
    for org_id, form in forms.items():
        who = bearer(staff[org_id])
        detail = client.get(f"{API}/reports/{form['id']}", **who).json()
        empty = {v["code"]: 0 for v in detail["values"] if v["value"] is None}
        put = client.put(
            f"{API}/reports/{form['id']}/values", {"values": empty}, content_type="application/json", **who
        )
        assert put.status_code == 200, put.json()
        assert put.json()["check"]["blocking"] is None and put.json()["actions"] == ["submit"]
        done = client.post(f"{API}/reports/{form['id']}/actions/submit", {}, content_type="application/json", **who)
        assert done.json()["status"] == "submitted"
    unit = forms[a.unit.pk]["id"]
    records = client.get(f"{API}/reports/{unit}/figures/A02", **office).json()
    assert records["count"] == 1 and records["items"][0]["weight"] == "30"
    # A correction without a reason is refused with a stable code; the form is locked once submitted anyway.
    refused = client.put(f"{API}/reports/{unit}/values", {"values": {"P01": 3}}, content_type="application/json",
                         **bearer(a.unit_staff))  # fmt: skip
    assert refused.status_code == 409 and refused.json()["code"] == "report_locked"
    for form in forms.values():
        r = client.post(f"{API}/reports/{form['id']}/actions/accept", {}, content_type="application/json", **office)
        assert r.json()["status"] == "accepted"
    table = client.get(f"{API}/districts/{a.place.code}/{YEAR}", **office).json()
    a02 = next(x for x in table["lines"] if x["code"] == "A02")
    assert (a02["units_sum"], a02["removed"], a02["total"], a02["records"]) == ("60", "30", "30", 1), a02
    assert table["actions"] == ["submit"]
    table_url = f"{API}/reports/{table['report']['id']}/actions"
    submitted = client.post(f"{table_url}/submit", {}, content_type="application/json", **office)
    assert submitted.json()["status"] == "submitted", submitted.json()
    seen = client.get(f"{API}/city/{YEAR}", **city).json()
    assert next(x for x in seen["lines"] if x["code"] == "A02")["total"] == "30"
    sent_back = client.post(f"{table_url}/send_back", {}, content_type="application/json", **city)
    assert sent_back.status_code == 400 and sent_back.json()["code"] == "reason_required"


def test_the_api_refuses_outsiders(client, world, late, dictionary):
    a, b = world.a, world.b
    forms = open_year(a)
    unit = forms[a.unit.pk].pk
    for outsider in (b.admin, b.unit_staff, staff_for(a.unit2), a.street_staff):
        who = bearer(outsider)
        assert client.get(f"{API}/reports/{unit}", **who).status_code == 404
        assert client.put(f"{API}/reports/{unit}/values", {"values": {"P01": 1}}, content_type="application/json",
                          **who).status_code == 404  # fmt: skip
        assert client.post(f"{API}/reports/{unit}/actions/submit", {}, content_type="application/json",
                           **who).status_code == 404  # fmt: skip
        assert client.get(f"{API}/reports/{unit}/figures/A02", **who).status_code == 404
    assert client.get(f"{API}/districts/{a.place.code}/{YEAR}", **bearer(b.admin)).status_code == 404
    assert client.post(f"{API}/districts/{a.place.code}/{YEAR}/open", content_type="application/json",
                       **bearer(b.admin)).status_code == 404  # fmt: skip
    for outsider in (a.resident, a.team_staff, a.community_staff):
        assert client.get(f"{API}/reports/{unit}", **bearer(outsider)).status_code == 403
        assert client.get(f"{API}/indicators?year={YEAR}", **bearer(outsider)).status_code == 403
    assert client.get(f"{API}/city/{YEAR}", **bearer(a.admin)).status_code == 403
    assert client.get(f"{API}/reports/{unit}").status_code == 401
