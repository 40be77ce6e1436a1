"""The people, activities and signed-in sessions of a peak run, written to a plan the locustfile reads.

Needs Django set up on the database the site will run on, with places and organizations in it (the demo
seed, or the test suite's ``build_world``). For each district that has an office, member units and
community committees it adds (all through the models and the activities' services, never around them):

* a district office administrator, who organizes the district's peak activities, checks people in at the
  door and watches the dashboards; one city administrator for the city's dashboard;
* per community: residents living there and one community worker who dispatches their orders;
* per member unit of the district: staff members who claim what is dispatched to their unit, several
  per unit so that claims race as they would on the day;
* activities published by the office, one session each, starting within the hour (sign-up and check-in
  are both open) with few places, so that sign-ups fill them and spill onto the waiting list.

Nobody signs in through the sign-in pages: a resident signs in with a one-time SMS code, which a load
test cannot receive. Each identity gets a server-side session made here, as ``Client.force_login``
does (the same session store, the same auth hash), and the locustfile sends its cookie. The sign-in
pages and their limits are unchanged.
"""

from __future__ import annotations

import random
from datetime import timedelta

POPULATIONS = ("youth", "farmers", "workers", "elderly", "officials", "other")


def _sessions_for(pairs) -> list[str]:
    """A signed-in session per (user, membership), inserted in one go; returns the session keys."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from kepu.accounts.middleware import SESSION_KEY as MEMBERSHIP_KEY

    store = SessionStore()
    expires = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    keys, rows = [], []
    for user, membership in pairs:
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
            MEMBERSHIP_KEY: membership.pk,
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        keys.append(key)
    Session.objects.bulk_create(rows, batch_size=2000)
    return keys


def _people(tag: str, org, role, n: int, *, home=None, start: int = 0):
    """``n`` new people with a membership of ``role`` in ``org`` (no password: they never use one)."""
    from kepu.accounts.models import Membership, User

    users = [
        User(username=f"peak-{tag}-{start + i}", name=f"高峰{tag}{start + i}", home_place=home, password="!")
        for i in range(n)
    ]
    users = User.objects.bulk_create(users)
    members = Membership.objects.bulk_create([Membership(user=u, organization=org, role=role) for u in users])
    return list(zip(users, members, strict=True))


def build(
    *,
    districts: int = 16,
    communities: int = 4,
    residents: int = 40,
    activities: int = 10,
    capacity: int = 30,
    claimers: int = 3,
    seed: int = 2026,
    tag: str = "",
) -> dict:
    """Add the run's people and activities; return the plan (JSON-ready) the locustfile reads.

    ``communities`` per district, ``residents`` per community, ``activities`` per district with ``capacity``
    places each, ``claimers`` staff per member unit. ``tag`` keeps user names apart between runs on one
    database.
    """
    from django.db import transaction
    from django.utils import timezone

    from kepu.accounts.models import Membership
    from kepu.activities import services as activity_services
    from kepu.core.actor import Actor
    from kepu.core.roles import Role
    from kepu.orders.models import TopicUnit
    from kepu.orgs.models import Organization, OrgKind
    from kepu.places.models import Place, PlaceLevel

    rng = random.Random(seed)
    tag = tag or timezone.now().strftime("%H%M%S")
    plan = {"districts": [], "dashboards": [], "populations": list(POPULATIONS)}
    now = timezone.now()
    with transaction.atomic():
        offices = (
            Organization.objects.filter(kind=OrgKind.DISTRICT_OFFICE, place__level=PlaceLevel.DISTRICT)
            .select_related("place")
            .order_by("place__code")
        )
        for office in offices:
            if len(plan["districts"]) >= districts:
                break
            district = office.place
            in_district = Organization.objects.filter(place__district_code=district.code)
            units = list(in_district.filter(kind=OrgKind.MEMBER_UNIT).order_by("pk"))
            committees = list(
                in_district.filter(kind=OrgKind.COMMUNITY, place__level=PlaceLevel.COMMUNITY)
                .select_related("place")
                .order_by("place__code")[:communities]
            )
            if not units or not committees:
                continue
            (admin_user, admin_m), *_ = _people(f"{tag}-adm-{district.code}", office, Role.DISTRICT_ADMIN, 1)
            admin = Actor(user=admin_user, membership=admin_m)
            # Starting within the hour: sign-up is open until the start and the door opens two hours before it.
            starts = now + timedelta(minutes=50)
            acts = []
            for i in range(activities):
                activity = activity_services.activity_create(
                    actor=admin,
                    organization=office,
                    title=f"全国科普日 {district.name} 第{i + 1}场",
                    address=f"{district.name}科技馆 {i + 1} 号厅",
                    sessions=[(starts, starts + timedelta(hours=2), capacity)],
                )
                activity = activity_services.activity_submit(actor=admin, activity=activity)
                session_pk = activity.sessions.values_list("pk", flat=True).get()
                acts.append({"id": activity.pk, "session": session_pk})
            comms = []
            for c in committees:
                people = _people(f"{tag}-r-{c.place.code}", c, Role.RESIDENT, residents, home=c.place)
                worker = _people(f"{tag}-cw-{c.place.code}", c, Role.COMMUNITY_STAFF, 1)
                comms.append(
                    {
                        "code": c.place.code,
                        "residents": _sessions_for(people),
                        "dispatcher": _sessions_for(worker)[0],
                    }
                )
            # The orders are talks on health: the unit the district routes health to, else the units in that
            # topic, else every unit, get the staff who claim; the community worker dispatches to one of them.
            routed = set(TopicUnit.objects.filter(district=district, topic="health").values_list("unit_id", flat=True))
            claiming = [u for u in units if u.pk in routed] or [u for u in units if "health" in (u.topics or [])]
            claiming = claiming[:2] or units[:2]
            unit_staff = []
            for unit in claiming:
                unit_staff += _sessions_for(_people(f"{tag}-u-{unit.pk}", unit, Role.UNIT_STAFF, claimers))
            rng.shuffle(unit_staff)  # staff of both units take turns as Locust starts them
            admin_key = _sessions_for([(admin_user, admin_m)])[0]
            plan["districts"].append(
                {
                    "code": district.code,
                    "admin": admin_key,
                    "activities": acts,
                    "communities": comms,
                    "claimers": unit_staff,
                    "units": [u.pk for u in claiming],
                }
            )
            plan["dashboards"].append(admin_key)
        city_office = Organization.objects.filter(kind=OrgKind.CITY_OFFICE).first()
        if city_office is not None:
            plan["dashboards"] += _sessions_for(_people(f"{tag}-city", city_office, Role.CITY_ADMIN, 1))
    if not plan["districts"]:
        raise SystemExit("No district with an office, member units and community committees: seed the demo first.")
    plan["sizes"] = {
        "districts": len(plan["districts"]),
        "residents": sum(len(c["residents"]) for d in plan["districts"] for c in d["communities"]),
        "activities": sum(len(d["activities"]) for d in plan["districts"]),
        "claimers": sum(len(d["claimers"]) for d in plan["districts"]),
        "memberships": Membership.objects.count(),
        "places": Place.objects.count(),
    }
    return plan


def sessions_of(plan: dict) -> list[int]:
    return [a["session"] for d in plan["districts"] for a in d["activities"]]


#: Sessions whose places held (confirmed, or offered to someone from the waiting list) exceed the capacity, or
#: whose tally of places taken disagrees with the registrations.
OVER_CAPACITY_SQL = """
SELECT s.id, s.capacity, s.seats_taken, COALESCE(SUM(r.head_count), 0) AS held
FROM activities_session s
LEFT JOIN activities_registration r ON r.session_id = s.id AND r.status IN ('confirmed', 'offered')
GROUP BY s.id, s.capacity, s.seats_taken
HAVING COALESCE(SUM(r.head_count), 0) > s.capacity OR COALESCE(SUM(r.head_count), 0) <> s.seats_taken
"""
#: Orders claimed more than once without being handed back in between (a unit taking an order another has).
DOUBLE_CLAIMS_SQL = """
SELECT e.order_id, COUNT(*) FROM orders_orderevent e
WHERE e.action = 'claim'
GROUP BY e.order_id
HAVING COUNT(*) > 1 + (
    SELECT COUNT(*) FROM orders_orderevent h WHERE h.order_id = e.order_id AND h.action = 'hand_back'
)
"""
COUNTS_SQL = {
    "registrations": "SELECT COUNT(*) FROM activities_registration",
    "confirmed": "SELECT COUNT(*) FROM activities_registration WHERE status = 'confirmed'",
    "waiting": "SELECT COUNT(*) FROM activities_registration WHERE status = 'waiting'",
    "checked_in": "SELECT COUNT(*) FROM activities_registration WHERE checked_in_at IS NOT NULL",
    "orders": "SELECT COUNT(*) FROM orders_order",
    "claims": "SELECT COUNT(*) FROM orders_orderevent WHERE action = 'claim'",
    "dispatches": "SELECT COUNT(*) FROM orders_orderevent WHERE action = 'dispatch'",
}


def check(cursor) -> dict:
    """What the database says after a run (any DB-API cursor: Django's, or sqlite3's on a file)."""
    cursor.execute(OVER_CAPACITY_SQL)
    over = cursor.fetchall()
    cursor.execute(DOUBLE_CLAIMS_SQL)
    double = cursor.fetchall()
    counts = {}
    for name, sql in COUNTS_SQL.items():
        cursor.execute(sql)
        counts[name] = cursor.fetchone()[0]
    return {"over_capacity": [list(r) for r in over], "double_claims": [list(r) for r in double], **counts}
