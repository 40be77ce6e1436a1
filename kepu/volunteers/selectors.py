"""Every read about volunteers, needs, hours and experts, scoped to the actor."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.functional import cached_property

from kepu.accounts.selectors import memberships, organizations_of
from kepu.core.actor import Actor
from kepu.core.permissions import get_visible, scope
from kepu.core.roles import Role
from kepu.orgs.choices import OrgKind
from kepu.orgs.selectors import organization_list, organizations_of_kind
from kepu.volunteers import search
from kepu.volunteers.models import (
    Certificate,
    Expert,
    ExpertInvitation,
    HoursBalance,
    HoursEntry,
    HoursMonth,
    HoursReport,
    JoinRequest,
    JoinStatus,
    Need,
    NeedStatus,
    ReportStatus,
    SignUp,
    SignUpStatus,
    Training,
    TrainingAttendance,
    Volunteer,
    star_level,
)

if TYPE_CHECKING:
    from kepu.orgs.models import Organization


def volunteer_of(user) -> Volunteer | None:
    if user is None or not user.is_authenticated:
        return None
    return Volunteer.objects.filter(user=user).select_related("street").first()


def volunteer_list(*, actor: Actor, q: str = "", organization_id: int | None = None) -> QuerySet[Volunteer]:
    qs = scope(actor, Volunteer.objects.filter(anonymized_at__isnull=True)).select_related("street")
    if organization_id:
        qs = qs.filter(
            user__memberships__organization_id=organization_id,
            user__memberships__role=Role.VOLUNTEER,
            user__memberships__is_active=True,
        )
    if q:
        qs = qs.filter(real_name__icontains=q)
    return qs.order_by("real_name", "pk")


def volunteer_get(*, actor: Actor, pk: int) -> Volunteer:
    return get_visible(actor, Volunteer.objects.select_related("street"), pk=pk)


def volunteer_minutes(volunteer: Volunteer) -> int:
    return HoursBalance.objects.filter(volunteer=volunteer).aggregate(t=Sum("minutes"))["t"] or 0


def organization_minutes(organization_id: int) -> int:
    """The hours total of an organization, from the per-volunteer balances (never a ledger scan)."""
    return HoursBalance.objects.filter(organization_id=organization_id).aggregate(t=Sum("minutes"))["t"] or 0


def member_organizations(volunteer: Volunteer) -> list[Organization]:
    if volunteer.user_id is None:
        return []
    return organizations_of(volunteer.user_id, Role.VOLUNTEER)


def joinable_organizations(volunteer: Volunteer) -> QuerySet[Organization]:
    member = [o.pk for o in member_organizations(volunteer)]
    pending = JoinRequest.objects.filter(volunteer=volunteer, status=JoinStatus.PENDING).values("organization_id")
    return (
        organizations_of_kind(OrgKind.VOLUNTEER_ORG)
        .exclude(pk__in=member)
        .exclude(pk__in=pending)
        .order_by("place__path", "name")
    )


def volunteer_summary(volunteer: Volunteer) -> dict:
    minutes = volunteer_minutes(volunteer)
    return {
        "minutes": minutes,
        "hours": round(minutes / 60, 1),
        "stars": star_level(minutes),
        "organizations": member_organizations(volunteer),
        "join_requests": list(volunteer.join_requests.select_related("organization").order_by("-created_at")[:10]),
        "signups": list(
            volunteer.signups.select_related("need__organization", "need__place")
            .exclude(status=SignUpStatus.WITHDRAWN)
            .order_by("-need__starts_at")[:20]
        ),
        "trainings": list(
            TrainingAttendance.objects.filter(volunteer=volunteer)
            .select_related("session__training")
            .order_by("-session__starts_at")
        ),
        "certificates": list(Certificate.objects.filter(volunteer=volunteer)[:10]),
        "reports": list(volunteer.reports.select_related("organization")[:10]),
    }


def hours_entries(
    *, actor: Actor, volunteer: Volunteer | None = None, organization_id: int | None = None
) -> QuerySet[HoursEntry]:
    qs = scope(actor, HoursEntry.objects.all()).select_related("volunteer", "organization")
    if volunteer is not None:
        qs = qs.filter(volunteer=volunteer)
    if organization_id:
        qs = qs.filter(organization_id=organization_id)
    return qs.order_by("-served_on", "-pk")


def org_members(*, actor: Actor) -> QuerySet[Volunteer]:
    """The volunteers of the actor's organization, with their hours there."""
    org_id = actor.organization_id
    user_ids = memberships(organization=org_id, role=Role.VOLUNTEER).values("user_id")
    return (
        scope(actor, Volunteer.objects.filter(user_id__in=user_ids))
        .select_related("street")
        .annotate(org_minutes=Sum("balances__minutes", filter=Q(balances__organization_id=org_id)))
        .order_by("real_name", "pk")
    )


def pending_join_requests(*, actor: Actor) -> QuerySet[JoinRequest]:
    return (
        scope(actor, JoinRequest.objects.filter(status=JoinStatus.PENDING, organization_id=actor.organization_id))
        .select_related("volunteer__street")
        .order_by("created_at")
    )


def pending_reports(*, actor: Actor) -> QuerySet[HoursReport]:
    return (
        scope(actor, HoursReport.objects.filter(status=ReportStatus.PENDING, organization_id=actor.organization_id))
        .select_related("volunteer")
        .order_by("created_at")
    )


def need_list(*, actor: Actor, open_only: bool = False) -> QuerySet[Need]:
    qs = scope(actor, Need.objects.all()).select_related("organization", "place", "required_training")
    if open_only:
        qs = qs.filter(status=NeedStatus.OPEN)
    return qs.annotate(
        confirmed=Count("signups", filter=Q(signups__status=SignUpStatus.CONFIRMED)),
        waiting=Count("signups", filter=Q(signups__status=SignUpStatus.APPLIED)),
    ).order_by("-starts_at", "pk")


def need_get(*, actor: Actor, pk: int) -> Need:
    return get_visible(
        actor, Need.objects.select_related("organization__place", "place", "required_training", "leader"), pk=pk
    )


def need_signups(need: Need) -> QuerySet[SignUp]:
    return need.signups.select_related("volunteer").order_by("created_at", "pk")


def signups_to_check_in(*, actor: Actor, volunteer: Volunteer) -> QuerySet[SignUp]:
    """Confirmed sign-ups of this volunteer for needs the actor may sign people in for."""
    from kepu.core.permissions import can
    from kepu.volunteers.permissions import OrgAction

    qs = (
        SignUp.objects.filter(
            volunteer=volunteer, status=SignUpStatus.CONFIRMED, need__status=NeedStatus.OPEN, signed_out_at__isnull=True
        )
        .select_related("need__organization", "need__place")
        .order_by("need__starts_at")
    )
    return [s for s in qs if can(actor, OrgAction.CHECK_IN, s.need)]


def hours_by_organization(*, actor: Actor, place_path: str = "", year: int | None = None) -> list[dict]:
    """Hours per volunteer organization of the viewer's area, all time or in one year (by the day served), of
    the organizations within ``place_path``: the records behind a place's hours on the leaders' page."""
    orgs = organization_list(actor=actor, kind=OrgKind.VOLUNTEER_ORG)
    if place_path:
        orgs = orgs.filter(place__path__startswith=place_path)
    if year:
        rows = HoursMonth.objects.filter(
            organization_id__in=orgs.values("pk"), month__gte=date(year, 1, 1), month__lte=date(year, 12, 1)
        ).values("organization_id")
    else:
        rows = HoursBalance.objects.filter(organization__in=orgs).values("organization_id")
    totals = {r["organization_id"]: r["t"] for r in rows.annotate(t=Sum("minutes")).order_by()}
    return [
        {"organization": o, "minutes": totals.get(o.pk, 0) or 0, "hours": round((totals.get(o.pk, 0) or 0) / 60, 1)}
        for o in orgs
    ]


def training_list(*, actor: Actor) -> QuerySet[Training]:
    return (
        scope(actor, Training.objects.all())
        .select_related("organization")
        .annotate(session_count=Count("sessions", distinct=True))
    )


def certificate_by_number(number: str) -> Certificate | None:
    return Certificate.objects.select_related("volunteer", "organization").filter(number=number).first()


def expert_search(
    *,
    actor: Actor,
    q: str = "",
    field: str = "",
    subfield: str = "",
    district_id: int | None = None,
    available: bool | None = None,
    audience: str = "",
    emergency: bool | None = None,
    emergency_field: str = "",
) -> QuerySet[Expert]:
    """The expert library's search: indexed equalities, and the library's own index (``kepu.volunteers.search``) for
    words and tags (no ``LIKE '%…%'`` on ``search_text``: PostgreSQL then chose to read the whole table). Ordered by
    entry (primary key) so that a page never sorts the whole result."""
    qs = scope(actor, Expert.objects.all())
    if field:
        qs = qs.filter(field=field)
    if subfield:
        qs = qs.filter(subfield=subfield)
    if district_id:
        qs = qs.filter(district_id=district_id)
    if available is not None:
        qs = qs.filter(available=available)
    if emergency is not None:
        qs = qs.filter(is_emergency=emergency)

    if emergency_field:
        qs = qs.filter(is_emergency=True)
    terms = search.query_terms(q=q, audience=audience, emergency=emergency, emergency_field=emergency_field)
    qs = search.holding(qs, terms, field=field, district_id=district_id)
    return qs.select_related("district").order_by("pk")


#: Past this many matches the library says "more than 1,000" instead of counting them all.
EXPERT_COUNT_CAP = 1000


class ExpertMatches:
    """The matches of one search, found once for both the pager's count and the page.

    The ids of the first ``EXPERT_COUNT_CAP + 1`` matches come in one query (ordered by entry);
    the count is their number and a page within them is fetched by primary key. The pager goes
    no further than the cap: past it the page asks for another filter.
    """

    def __init__(self, qs: QuerySet[Expert]):
        self.qs = qs

    @cached_property
    def ids(self) -> list[int]:
        return list(self.qs.order_by("pk").values_list("pk", flat=True)[: EXPERT_COUNT_CAP + 1])

    def count(self) -> int:
        return len(self.ids)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: slice) -> list[Expert]:
        wanted = self.ids[item]
        rows = {e.pk: e for e in Expert.objects.select_related("district").filter(pk__in=wanted)}
        return [rows[pk] for pk in wanted if pk in rows]


def expert_get(*, actor: Actor, pk: int) -> Expert:
    return get_visible(actor, Expert.objects.select_related("district"), pk=pk)


def invitations_for(*, actor: Actor, expert: Expert | None = None) -> QuerySet[ExpertInvitation]:
    qs = scope(actor, ExpertInvitation.objects.all()).select_related("expert", "organization")
    if expert is not None:
        qs = qs.filter(expert=expert)
    return qs.order_by("-created_at")


# --- For other apps -------------------------------------------------------------------------------------------
def expert_pool(district_id: int | None = None) -> list[Expert]:
    """Experts who can be drawn to review something (a science base's application): in the library with an
    account (they score on the platform), available, in their term; of one district when ``district_id`` is
    given. Not scoped: the caller (an office drawing reviewers) has been checked; its draw decides who is seen.
    """
    from django.utils import timezone

    today = timezone.localdate()
    qs = Expert.objects.filter(user__isnull=False, user__is_active=True, available=True).filter(
        Q(term_end__isnull=True) | Q(term_end__gte=today)
    )
    if district_id:
        qs = qs.filter(district_id=district_id)
    return list(qs.select_related("district").order_by("pk"))


def expert_of_user(user) -> Expert | None:
    """The library entry of a person signed in as an expert (None if they have none)."""
    if user is None or not user.is_authenticated:
        return None
    return Expert.objects.filter(user=user).select_related("district").first()


def hours_at_activities(activity_ids, first_day, last_day) -> QuerySet[HoursEntry]:
    """Ledger entries for service at these activities (volunteers signed in and out at a need posted for one of
    them, ``need_credit``'s key ``activity:<id>:…``) served in the period, with the corrections of those entries.
    Their minutes summed are the hours served there."""
    ids = sorted({int(i) for i in activity_ids})
    if not ids:
        return HoursEntry.objects.none()
    keys = Q()
    for activity_id in ids:
        keys |= Q(key__startswith=f"activity:{activity_id}:")
    served = HoursEntry.objects.filter(keys, served_on__gte=first_day, served_on__lte=last_day)
    return (
        HoursEntry.objects.filter(Q(pk__in=served.values("pk")) | Q(corrects__in=served.values("pk")))
        .select_related("volunteer", "organization")
        .order_by("served_on", "pk")
    )


# --- For other apps (resources: scientific review by an expert of the library) -------------------------
def expert_fields() -> list[tuple[str, str]]:
    """The expert library's fields as choices (other apps name the field a piece is reviewed in)."""
    from kepu.volunteers.models import ExpertField

    return list(ExpertField.choices)


def reviewers_in_field(field: str, *, district_id: int | None = None, limit: int = 50) -> list[Expert]:
    """Experts of the library in ``field`` who have an account and are available, those of ``district_id``
    first: the people another app may ask to review something in that field. Not scoped to an actor: the
    caller's policy decided who may choose among them."""
    qs = Expert.objects.filter(field=field, available=True, user__isnull=False, user__is_active=True)
    rows = list(qs.select_related("district").order_by("pk")[: limit * 4])
    rows.sort(key=lambda e: (e.district_id != district_id, e.name, e.pk))
    return rows[:limit]


def expert_in_field(user_id, field: str) -> bool:
    """Whether the person is an available expert of the library in ``field``."""
    if not user_id or not field:
        return False
    return Expert.objects.filter(user_id=user_id, field=field, available=True).exists()


def worker_todos(actor: Actor) -> list:
    """A volunteer organization's 待办: join requests and reported hours to decide, sign-ups to confirm."""
    from django.db.models import Count, Min
    from django.urls import reverse
    from django.utils.translation import gettext_lazy as _

    from kepu.core.home import Todo

    home = reverse("volunteers:org_home")
    out = []
    for label, qs, key in (
        (_("Join requests to decide"), pending_join_requests(actor=actor), "volunteers-join"),
        (_("Reported hours to check"), pending_reports(actor=actor), "volunteers-hours"),
    ):
        row = qs.order_by().aggregate(n=Count("pk"), oldest=Min("created_at"))
        out.append(Todo(label, row["n"], home, row["oldest"], key=key))
    applied = SignUp.objects.filter(need__organization_id=actor.organization_id, status=SignUpStatus.APPLIED).order_by()
    row = applied.aggregate(n=Count("pk"), oldest=Min("created_at"), first=Min("need_id"))
    url = reverse("volunteers:need", args=[row["first"]]) if row["first"] else reverse("volunteers:needs")
    out.append(Todo(_("Volunteer sign-ups to confirm"), row["n"], url, row["oldest"], key="volunteers-signups"))
    return out


def personal_data(user) -> dict | None:
    """A volunteer's real-name record and hours, for their own download ("My data")."""
    volunteer = volunteer_of(user)
    if volunteer is None:
        return None
    return {
        "real_name": volunteer.real_name,
        "id_number": volunteer.id_number,
        "mobile_phone": volunteer.phone,
        "home_street": volunteer.street.name if volunteer.street_id else "",
        "skills": volunteer.skills,
        "topics": volunteer.topics,
        "languages": volunteer.languages,
        "hours": [
            {"served_on": e.served_on.isoformat(), "minutes": e.minutes, "note": e.note}
            for e in HoursEntry.objects.filter(volunteer=volunteer).order_by("served_on", "pk")
        ],
    }


def erase_personal_data(actor: Actor, user) -> None:
    """Erasure asked by the person: their volunteer record is anonymized (the hours stay in the totals)."""
    from kepu.volunteers.services import volunteer_anonymize

    volunteer = volunteer_of(user)
    if volunteer is not None and not volunteer.anonymized_at:
        volunteer_anonymize(actor=actor, volunteer=volunteer)


def emergency_roster(emergency_field: str, *, district_id: int | None = None, limit: int = 50) -> list[Expert]:
    """The emergency team (应急科普专家队伍) for ``emergency_field``, in the order they are called: members with an
    account who are available and in their term, those of ``district_id`` first, then by entry. For the emergency
    app's on-call duty; not scoped (the office that declared the event decided that the team is called)."""
    from django.utils import timezone

    today = timezone.localdate()
    qs = Expert.objects.filter(is_emergency=True, available=True, user__isnull=False, user__is_active=True).filter(
        Q(term_end__isnull=True) | Q(term_end__gte=today)
    )
    rows = [
        e for e in qs.select_related("district").order_by("pk")[: limit * 4] if emergency_field in e.emergency_fields
    ]
    rows.sort(key=lambda e: (e.district_id != district_id, e.pk))
    return rows[:limit]
