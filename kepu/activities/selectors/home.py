"""Home pages: what is on near me, my next tickets, the to-dos (待办); one's personal data."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu.activities.models import ActivityStatus, Registration, RegistrationStatus
from kepu.activities.selectors.calendar import CalendarFilter, public_activities
from kepu.activities.selectors.manage import managed_activities, review_queue
from kepu.core.actor import Actor
from kepu.core.roles import Role


# --- Home pages: what is on near me, my tickets, and the to-dos (待办) ---------------------------------------
def _home_district(actor: Actor) -> str:
    """The district code of the person's home (their community, or their organization's place)."""
    if not actor.is_authenticated:
        return ""
    place = actor.user.home_place or actor.place
    return place.district_code if place is not None else ""


def this_week_near(actor: Actor, *, limit: int = 4) -> dict | None:
    """Public activities of the coming seven days, in the person's district when it is known (else the city's)."""
    today = timezone.localdate()
    district = _home_district(actor)
    f = CalendarFilter(district=district, date_from=today, date_to=today + timedelta(days=6))
    activities = list(public_activities(f)[:limit])
    if not activities and district:  # nothing in the district this week: the city's
        f.district = ""
        activities = list(public_activities(f)[:limit])
    more = reverse("activities:calendar") + "?" + urlencode(f.as_query())
    return {"activities": activities, "more_url": more, "district": bool(f.district)}


def my_next_tickets(actor: Actor, *, limit: int = 3) -> dict | None:
    """The person's coming sessions with a ticket (confirmed, offered, waiting or pending), soonest first."""
    if not actor.is_authenticated:
        return None
    alive = (
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.OFFERED,
        RegistrationStatus.WAITING,
        RegistrationStatus.PENDING,
    )
    regs = list(
        Registration.objects.filter(user=actor.user, status__in=alive, session__ends_at__gte=timezone.now())
        .select_related("session__activity")
        .order_by("session__starts_at")[:limit]
    )
    return {"registrations": regs} if regs else None


def resident_todos(actor: Actor) -> list:
    """A resident's next step on their sign-ups: accept a freed place before the offer lapses."""
    from kepu.core.home import Todo

    offers = list(
        Registration.objects.filter(user=actor.user, status=RegistrationStatus.OFFERED)
        .select_related("session__activity")
        .order_by("offer_expires_at")[:5]
    )
    return [
        Todo(
            label=_("A place is free for %(title)s: confirm by %(when)s")
            % {
                "title": r.session.activity.title,
                "when": timezone.localtime(r.offer_expires_at).strftime("%m-%d %H:%M") if r.offer_expires_at else "",
            },
            count=1,
            url=reverse("activities:ticket", args=[r.pk]),
            oldest=r.updated_at,
            key=f"activities-offer-{r.pk}",
        )
        for r in offers
    ]


def worker_todos(actor: Actor) -> list:
    """Sign-ups to approve, reports due after an activity, drafts to submit; activities to review (offices)."""
    from django.db.models import Min
    from django.utils.translation import gettext_lazy as _

    from kepu.core.home import Todo

    manage = reverse("activities:manage")
    managed = managed_activities(actor=actor).order_by()
    out = []
    pending = Registration.objects.filter(
        session__activity__in=managed.values("pk"), status=RegistrationStatus.PENDING
    ).order_by()
    row = pending.aggregate(n=Count("pk"), oldest=Min("created_at"))
    out.append(Todo(_("Sign-ups to approve"), row["n"], manage, row["oldest"], key="activities-signups"))
    ended = managed.filter(status=ActivityStatus.PUBLISHED, ends_at__lt=timezone.now(), report__isnull=True)
    if not (actor.is_city or actor.role == Role.DISTRICT_ADMIN):  # offices do not write other organizers' reports
        row = ended.filter(organization_id=actor.organization_id).aggregate(n=Count("pk"), oldest=Min("ends_at"))
        out.append(Todo(_("Reports due after an activity"), row["n"], manage, row["oldest"], key="activities-reports"))
        row = managed.filter(status=ActivityStatus.DRAFT, organization_id=actor.organization_id).aggregate(
            n=Count("pk"), oldest=Min("created_at")
        )
        out.append(
            Todo(_("Drafts not yet sent"), row["n"], manage + "?status=draft", row["oldest"], key="activities-drafts")
        )
    review = review_queue(actor=actor).order_by()
    row = review.aggregate(n=Count("pk"), oldest=Min("updated_at"))
    out.append(Todo(_("Activities to review"), row["n"], manage, row["oldest"], key="activities-review"))
    return out


def personal_data(user) -> list[dict]:
    """A person's sign-ups (and their ratings), for their own download ("My data")."""
    rows = Registration.objects.filter(user=user).select_related("session__activity").order_by("created_at")
    out = []
    for r in rows:
        survey = getattr(r, "survey", None)
        out.append(
            {
                "activity": r.session.activity.title,
                "session": r.session.starts_at.isoformat(),
                "status": str(r.get_status_display()),
                "population": str(r.get_population_display()),
                "head_count": r.head_count,
                "checked_in_at": r.checked_in_at.isoformat() if r.checked_in_at else None,
                "rating": survey.score if survey else None,
                "signed_up_at": r.created_at.isoformat(),
            }
        )
    return out
