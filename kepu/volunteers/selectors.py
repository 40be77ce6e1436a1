"""Every read about volunteers, needs, hours and experts, scoped to the actor."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils.functional import cached_property

from kepu.accounts.models import Membership
from kepu.core.actor import Actor
from kepu.core.permissions import get_visible, scope
from kepu.core.roles import Role
from kepu.orgs.models import Organization, OrgKind
from kepu.volunteers.models import (
    EMERGENCY_TEAM_TERM,
    Certificate,
    Expert,
    ExpertInvitation,
    ExpertTerm,
    HoursBalance,
    HoursEntry,
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


def volunteer_of(user) -> Volunteer | None:
    if user is None or not user.is_authenticated:
        return None
    return Volunteer.objects.filter(user=user).select_related("street").first()


def volunteer_list(*, actor: Actor, q: str = "", organization_id: int | None = None) -> QuerySet[Volunteer]:
    qs = scope(actor, Volunteer.objects.filter(anonymized_at__isnull=True)).select_related("street")
    if organization_id:
        qs = qs.filter(user__memberships__organization_id=organization_id, user__memberships__role=Role.VOLUNTEER,
                       user__memberships__is_active=True)
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
    return list(Organization.objects.filter(
        memberships__user_id=volunteer.user_id, memberships__role=Role.VOLUNTEER, memberships__is_active=True,
    ).select_related("place").order_by("name"))


def joinable_organizations(volunteer: Volunteer) -> QuerySet[Organization]:
    member = [o.pk for o in member_organizations(volunteer)]
    pending = JoinRequest.objects.filter(volunteer=volunteer, status=JoinStatus.PENDING).values("organization_id")
    return (Organization.objects.filter(kind=OrgKind.VOLUNTEER_ORG, is_active=True)
            .exclude(pk__in=member).exclude(pk__in=pending).select_related("place").order_by("place__path", "name"))


def volunteer_summary(volunteer: Volunteer) -> dict:
    minutes = volunteer_minutes(volunteer)
    return {
        "minutes": minutes, "hours": round(minutes / 60, 1), "stars": star_level(minutes),
        "organizations": member_organizations(volunteer),
        "join_requests": list(volunteer.join_requests.select_related("organization").order_by("-created_at")[:10]),
        "signups": list(volunteer.signups.select_related("need__organization", "need__place")
                        .exclude(status=SignUpStatus.WITHDRAWN).order_by("-need__starts_at")[:20]),
        "trainings": list(TrainingAttendance.objects.filter(volunteer=volunteer)
                          .select_related("session__training").order_by("-session__starts_at")),
        "certificates": list(Certificate.objects.filter(volunteer=volunteer)[:10]),
        "reports": list(volunteer.reports.select_related("organization")[:10]),
    }


def hours_entries(*, actor: Actor, volunteer: Volunteer | None = None,
                  organization_id: int | None = None) -> QuerySet[HoursEntry]:
    qs = scope(actor, HoursEntry.objects.all()).select_related("volunteer", "organization")
    if volunteer is not None:
        qs = qs.filter(volunteer=volunteer)
    if organization_id:
        qs = qs.filter(organization_id=organization_id)
    return qs.order_by("-served_on", "-pk")


def org_members(*, actor: Actor) -> QuerySet[Volunteer]:
    """The volunteers of the actor's organization, with their hours there."""
    org_id = actor.organization_id
    user_ids = Membership.objects.filter(organization_id=org_id, role=Role.VOLUNTEER, is_active=True).values("user_id")
    return (scope(actor, Volunteer.objects.filter(user_id__in=user_ids)).select_related("street")
            .annotate(org_minutes=Sum("balances__minutes", filter=Q(balances__organization_id=org_id)))
            .order_by("real_name", "pk"))


def pending_join_requests(*, actor: Actor) -> QuerySet[JoinRequest]:
    return (scope(actor, JoinRequest.objects.filter(status=JoinStatus.PENDING, organization_id=actor.organization_id))
            .select_related("volunteer__street").order_by("created_at"))


def pending_reports(*, actor: Actor) -> QuerySet[HoursReport]:
    return (scope(actor, HoursReport.objects.filter(status=ReportStatus.PENDING, organization_id=actor.organization_id))
            .select_related("volunteer").order_by("created_at"))


def need_list(*, actor: Actor, open_only: bool = False) -> QuerySet[Need]:
    qs = scope(actor, Need.objects.all()).select_related("organization", "place", "required_training")
    if open_only:
        qs = qs.filter(status=NeedStatus.OPEN)
    return qs.annotate(
        confirmed=Count("signups", filter=Q(signups__status=SignUpStatus.CONFIRMED)),
        waiting=Count("signups", filter=Q(signups__status=SignUpStatus.APPLIED)),
    ).order_by("-starts_at", "pk")


def need_get(*, actor: Actor, pk: int) -> Need:
    return get_visible(actor, Need.objects.select_related("organization__place", "place", "required_training",
                                                          "leader"), pk=pk)


def need_signups(need: Need) -> QuerySet[SignUp]:
    return need.signups.select_related("volunteer").order_by("created_at", "pk")


def signups_to_check_in(*, actor: Actor, volunteer: Volunteer) -> QuerySet[SignUp]:
    """Confirmed sign-ups of this volunteer for needs the actor may sign people in for."""
    from kepu.core.permissions import can
    from kepu.volunteers.permissions import OrgAction

    qs = (SignUp.objects.filter(volunteer=volunteer, status=SignUpStatus.CONFIRMED, need__status=NeedStatus.OPEN,
                                signed_out_at__isnull=True)
          .select_related("need__organization", "need__place").order_by("need__starts_at"))
    return [s for s in qs if can(actor, OrgAction.CHECK_IN, s.need)]


def hours_by_organization(*, actor: Actor) -> list[dict]:
    orgs = scope(actor, Organization.objects.filter(kind=OrgKind.VOLUNTEER_ORG)).select_related("place")
    totals = dict(HoursBalance.objects.filter(organization__in=orgs).values_list("organization")
                  .annotate(t=Sum("minutes")).values_list("organization", "t"))
    return [{"organization": o, "minutes": totals.get(o.pk, 0) or 0,
             "hours": round((totals.get(o.pk, 0) or 0) / 60, 1)} for o in orgs]


def training_list(*, actor: Actor) -> QuerySet[Training]:
    return scope(actor, Training.objects.all()).select_related("organization").annotate(
        session_count=Count("sessions", distinct=True))


def certificate_by_number(number: str) -> Certificate | None:
    return Certificate.objects.select_related("volunteer", "organization").filter(number=number).first()


#: Term lists are counted up to this many entries to find the rarest (past it, they are all "common").
TERM_COUNT_CAP = 20_000


def _term_list(term: str, field: str, district_id: int | None) -> QuerySet[ExpertTerm]:
    qs = ExpertTerm.objects.filter(term=term)
    if field:
        qs = qs.filter(field=field)
    if district_id:
        qs = qs.filter(district_id=district_id)
    return qs.order_by().values("expert_id")


def expert_search(
    *, actor: Actor, q: str = "", field: str = "", subfield: str = "", district_id: int | None = None,
    available: bool | None = None, audience: str = "", emergency: bool | None = None, emergency_field: str = "",
) -> QuerySet[Expert]:
    """The expert library's search: indexed equalities, and the inverted index (``ExpertTerm``) for words and tags.

    Terms are ``@audience``, ``!emergency field``, ``!team`` and the character pairs of each
    word: a word matches an expert whose indexed words hold all its pairs (no ``LIKE '%…%'``
    on ``search_text``: PostgreSQL then chose to read the whole table). Each term's list,
    narrowed to the field and district asked for (the index carries both), is counted on its
    covering index up to ``TERM_COUNT_CAP``; the shortest drives the search and every other term is one index
    probe per candidate (when all are that long, the library is read in order and probed, which
    stops early because matches are then dense). Intersecting whole lists instead costs the sum
    of their lengths, and a common pair such as 大学 is in a quarter of the library.
    Ordered by entry (primary key) so that a page never sorts the whole result.
    """
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

    def length(term):
        return _term_list(term, field, district_id)[:TERM_COUNT_CAP].count(), term

    counted = []
    if audience:
        counted.append(length(f"@{audience}"))
    if emergency_field:
        counted.append(length(f"!{emergency_field}"))
        qs = qs.filter(is_emergency=True)
    elif emergency:
        counted.append(length(EMERGENCY_TEAM_TERM))
    words = list(dict.fromkeys((q or "").lower().split()))
    for word in words:
        counted.extend(length(t) for t in {word[i:i + 2] for i in range(len(word) - 1)} or {word})
    if counted:
        counted.sort()
        probes = list(dict.fromkeys(t for _n, t in counted))
        # When even the shortest list is long, matches are many: reading the library in order and
        # probing each term stops at the cap of the page's query long before the list would end.
        if counted[0][0] < TERM_COUNT_CAP:
            qs = qs.filter(pk__in=_term_list(probes.pop(0), field, district_id))
        for term in probes:
            qs = qs.filter(Exists(ExpertTerm.objects.filter(term=term, expert_id=OuterRef("pk"))))
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


def expert_count(qs) -> int:
    """How many experts match, counted up to ``EXPERT_COUNT_CAP + 1`` (a pager needs no more)."""
    return qs.order_by()[: EXPERT_COUNT_CAP + 1].count()


def expert_get(*, actor: Actor, pk: int) -> Expert:
    return get_visible(actor, Expert.objects.select_related("district"), pk=pk)


def invitations_for(*, actor: Actor, expert: Expert | None = None) -> QuerySet[ExpertInvitation]:
    qs = scope(actor, ExpertInvitation.objects.all()).select_related("expert", "organization")
    if expert is not None:
        qs = qs.filter(expert=expert)
    return qs.order_by("-created_at")
