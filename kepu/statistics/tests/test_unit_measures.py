"""The platform figures statistics pre-fills from: by a set of organizations, with what others count too."""

from decimal import Decimal

import pytest

from kepu.accounts.services import membership_create
from kepu.accounts.tests.factories import UserFactory
from kepu.activities.models import CoOrganizer
from kepu.activities.services import ActivityError, activity_set_co_organizers
from kepu.core.measures import get_measure, measure_figures, measure_records
from kepu.core.models import AuditEntry
from kepu.core.roles import Role
from kepu.orgs.choices import OrgKind
from kepu.orgs.tests.factories import OrganizationFactory
from kepu.statistics.tests.factories import YEAR, held_activity

pytestmark = pytest.mark.django_db


def figure(key, orgs, **filters):
    return measure_figures(key, [{"organizations": [o.pk for o in orgs], "year": YEAR, **filters}])[0]


def test_a_co_hosted_activity_counts_for_each_host_and_is_marked_shared(world, late, dictionary):
    a = world.a
    held_activity(a.unit_staff, kind="lecture", walk_ins=[30], co_hosts=[a.street_office])
    held_activity(a.unit_staff, kind="lecture", sessions=2, walk_ins=[5, 5])
    held_activity(a.street_staff, kind="exhibition", walk_ins=[12], online=True)
    lead, co = (
        figure("activities.person_times", [a.unit], kind="lecture"),
        figure("activities.person_times", [a.street_office], kind="lecture"),
    )
    assert (lead.value, co.value) == (40, 30)
    assert [(s.weight, s.lead) for s in lead.shared] == [(30, True)]
    assert [(s.weight, s.lead) for s in co.shared] == [(30, False)] and lead.shared[0].key == co.shared[0].key
    both = figure("activities.held", [a.unit, a.street_office], kind="lecture")
    assert both.value == 3 and both.shared == ()  # both hosts inside: counted once, nothing to remove above
    assert figure("activities.person_times", [a.street_office], online=True).value == 12
    assert figure("activities.person_times", [a.unit], online=True).value == 0
    rows = measure_records("activities.person_times", {"organizations": [a.street_office.pk], "year": YEAR})
    assert [(r.weight, r.note) for r in rows[0:5]] == [(Decimal(30), "co_hosted"), (Decimal(12), "")]
    assert get_measure("activities.held").honours("organizations", "year", "kind", "online")


def test_co_organizers_are_of_the_activitys_district_and_named_in_the_audit_trail(world, late, dictionary):
    a, b = world.a, world.b
    activity = held_activity(a.unit_staff, kind="lecture", walk_ins=[1])
    with pytest.raises(ActivityError):
        activity_set_co_organizers(actor=a.unit_staff, activity=activity, organizations=[b.unit])
    named = activity_set_co_organizers(actor=a.unit_staff, activity=activity, organizations=[a.unit, a.base])
    assert named == [a.base.pk] and CoOrganizer.objects.get().organization == a.base
    assert AuditEntry.objects.filter(action="kepu.activities.co_organizers_set").count() == 1
    from kepu.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        activity_set_co_organizers(actor=b.admin, activity=activity, organizations=[])


def test_a_volunteer_of_two_teams_is_one_person_and_shared(world, late, dictionary):
    a = world.a
    street_team = OrganizationFactory(name="甲街道志愿队", kind=OrgKind.VOLUNTEER_ORG, place=a.streets[0])
    both, only = UserFactory(), UserFactory()
    for team in (a.team, street_team):
        membership_create(actor=world.city_admin, user=both, organization=team, role=Role.VOLUNTEER)
    membership_create(actor=world.city_admin, user=only, organization=a.team, role=Role.VOLUNTEER)
    team = figure("volunteers.registered", [a.team])
    assert team.value == 2 and [s.key for s in team.shared] == [f"people.user:{both.pk}"]
    assert figure("volunteers.registered", [a.team, street_team]).value == 2
    assert figure("volunteers.registered", [a.team], year=YEAR - 1).value == 0  # nobody had joined by then
    rows = measure_records("volunteers.registered", {"organizations": [a.team.pk, street_team.pk], "year": YEAR})
    assert len(rows) == 2 and all("*" in r.label for r in rows[0:2])


def test_an_order_counts_once_for_the_unit_that_claimed_it(world, late, dictionary):
    from kepu.orders.tests.factories import add_order_parties, advance, place_order

    w = add_order_parties(world)
    advance(place_order(w.a.resident), w.a, "deliver")
    assert (figure("orders.completed", [w.a.unit]).value, figure("orders.person_times", [w.a.unit]).value) == (1, 28)
    assert figure("orders.completed", [w.a.team]).value == 0  # the team that delivered it: its hours, not the order
    assert figure("orders.completed", [w.a.unit]).shared == ()
    # A plan target of either organization still counts it.
    from kepu.core.measures import compute_measure

    assert compute_measure("orders.completed", {"organization": w.a.team.pk}) == 1
