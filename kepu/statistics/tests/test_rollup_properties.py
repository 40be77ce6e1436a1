"""Property-based: the roll-up equals an independent recount of the platform's raw records.

For random platforms (activities of random organizers, some co-hosted by one or two other
organizations of the district, with random attendance; volunteers in one or two teams, some in
another district), a district's table (its units' forms summed less what two forms counted) and
the city's (the districts' less what two districts counted) equal a recount made straight from
the records: each session, each person-time and each volunteer once.
"""

from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kepu.accounts.services import membership_create
from kepu.accounts.tests.factories import UserFactory
from kepu.activities.models import CoOrganizer, Session, WalkIn
from kepu.core.roles import Role
from kepu.orgs.choices import OrgKind
from kepu.orgs.tests.factories import OrganizationFactory
from kepu.statistics import rollup, selectors, services
from kepu.statistics.models import Report, ReportLevel, ReportStatus
from kepu.statistics.tests.factories import YEAR, district_table, held_activity, open_year

pytestmark = pytest.mark.django_db

activity_st = st.fixed_dictionaries(
    {
        "organizer": st.integers(0, 100),
        "co_hosts": st.lists(st.integers(0, 100), max_size=2),
        "kind": st.sampled_from(["lecture", "exhibition"]),
        "walk_ins": st.lists(st.integers(0, 60), min_size=1, max_size=2),
        "day": st.integers(0, 330),
    }
)
volunteer_st = st.lists(st.sampled_from(["a_team", "a_street_team", "b_team"]), min_size=1, max_size=2, unique=True)


def recount(district_orgs: set[int], kind: str):
    """Sessions and person-times of ``kind`` held in the year with any host in ``district_orgs``: from the rows."""
    hosts = defaultdict(set)
    for activity_id, org_id in CoOrganizer.objects.values_list("activity_id", "organization_id"):
        hosts[activity_id].add(org_id)
    sessions = Session.objects.filter(
        activity__kind=kind, activity__status="published", is_cancelled=False, starts_at__year=YEAR
    ).values_list("pk", "activity_id", "activity__organization_id")
    held = {pk for pk, act, org in sessions if ({org} | hosts[act]) & district_orgs}
    people = sum(WalkIn.objects.filter(session_id__in=held).values_list("head_count", flat=True))
    return Decimal(len(held)), Decimal(people)


def volunteers(org_ids: set[int]) -> Decimal:
    from kepu.accounts.models import Membership

    return Decimal(
        Membership.objects.filter(role=Role.VOLUNTEER, is_active=True, organization_id__in=org_ids)
        .values("user_id")
        .distinct()
        .count()
    )


def test_the_roll_up_equals_a_recount_from_the_raw_records(world, late, dictionary):
    a, b = world.a, world.b
    street_team = OrganizationFactory(name="甲街道志愿队", kind=OrgKind.VOLUNTEER_ORG, place=a.streets[0])
    teams = {"a_team": a.team, "a_street_team": street_team, "b_team": b.team}
    hosts = [a.unit, a.unit2, a.street_office, a.street2_office, a.base, a.office, a.committees[0], a.committees[-1],
             a.school, a.team, street_team]  # fmt: skip
    orgs_of = {key: {o.pk for o in hosts} for key in ("a",)}
    from kepu.orgs.selectors import organizations_under

    district_orgs = {d: {o.pk for o in organizations_under(getattr(world, d).place.path)} for d in ("a", "b")}
    assert orgs_of["a"] <= district_orgs["a"]

    @settings(max_examples=12, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip
    @given(activities=st.lists(activity_st, max_size=6), people=st.lists(volunteer_st, max_size=5))
    def check(activities, people):
        with transaction.atomic():
            for spec in activities:
                organizer = hosts[spec["organizer"] % len(hosts)]
                co = {hosts[i % len(hosts)] for i in spec["co_hosts"]} - {organizer}
                held_activity(a.admin, organization=organizer, kind=spec["kind"], day=spec["day"],
                              sessions=len(spec["walk_ins"]), walk_ins=spec["walk_ins"], co_hosts=list(co))  # fmt: skip
            for memberships in people:
                person = UserFactory()
                for key in memberships:
                    membership_create(actor=world.city_admin, user=person, organization=teams[key], role=Role.VOLUNTEER)
            open_year(a)
            open_year(b)
            for d, key in ((a, "a"), (b, "b")):
                table = rollup.table_of(selectors.unit_reports(district_table(d)), YEAR)
                for kind, (n_code, pt_code) in {"lecture": ("A01", "A02"), "exhibition": ("A03", "A04")}.items():
                    sessions, person_times = recount(district_orgs[key], kind)
                    assert table.by_code[n_code].total == sessions
                    assert table.by_code[pt_code].total == person_times
                assert table.by_code["P14"].total == volunteers(district_orgs[key])
            # The city sees both districts once their tables are with it.
            for d in (a, b):
                Report.objects.filter(pk=district_table(d).pk).update(status=ReportStatus.SUBMITTED)
            _districts, _tables, per_district, overall = selectors.city_tables(YEAR)
            everywhere = district_orgs["a"] | district_orgs["b"]
            assert overall.by_code["A02"].total == recount(everywhere, "lecture")[1]
            assert overall.by_code["P14"].total == volunteers(everywhere)
            assert sum(t.by_code["P14"].total for t in per_district.values()) - overall.by_code["P14"].total == (
                volunteers({a.team.pk, street_team.pk}) + volunteers({b.team.pk}) - volunteers(everywhere)
            )
            transaction.set_rollback(True)

    check()


def test_a_units_change_is_added_as_it_stands(world, late, dictionary):
    """A figure a unit corrects counts as the unit gives it; the duplicates removed stay the platform's."""
    a = world.a
    held_activity(a.unit_staff, kind="lecture", walk_ins=[30], co_hosts=[a.street_office])
    forms = open_year(a)
    services.values_set(actor=a.street_staff, report=forms[a.street_office.pk], values={"A02": 45},
                        reason="另有一场线下讲座15人未签到")  # fmt: skip
    line = rollup.table_of(selectors.unit_reports(district_table(a)), YEAR).by_code["A02"]
    assert (line.units_sum, line.removed, line.total) == (75, 30, 45)
    assert Report.objects.filter(level=ReportLevel.UNIT, district=a.place).count() == 6
