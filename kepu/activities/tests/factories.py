"""Factories and helpers: activities are built through the services, as users build them."""

from datetime import datetime, timedelta

from django.utils import timezone

from kepu.activities import services
from kepu.activities.models import Activity
from kepu.core.populations import Population

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=timezone.get_fixed_timezone(480))


def published_activity(actor, *, capacity=10, starts_at=None, sessions=1, publish=True, **fields) -> Activity:
    """An activity by ``actor``'s organization with ``sessions`` sessions a week apart, published."""
    start = starts_at or (timezone.now() + timedelta(days=10)).replace(microsecond=0)
    fields.setdefault("populations", [Population.ELDERLY])
    fields.setdefault("topics", ["health"])
    activity = services.activity_create(
        actor=actor,
        organization=actor.organization,
        title=fields.pop("title", "家庭急救讲座"),
        sessions=[
            (start + timedelta(days=7 * i), start + timedelta(days=7 * i, hours=2), capacity) for i in range(sessions)
        ],
        **fields,
    )
    if publish:
        activity = services.activity_submit(actor=actor, activity=activity)
    return activity


def residents(world, n, district="a"):
    """``n`` residents of a community of district ``district``, as actors."""
    from kepu.accounts.tests.factories import person
    from kepu.core.roles import Role

    d = getattr(world, district)
    return [person(d.committees[i % len(d.committees)], Role.RESIDENT) for i in range(n)]


def theme(slug: str):
    """A theme of the calendar. They come from a data migration, which a transactional test's flush undoes."""
    from kepu.activities.models import Theme
    from kepu.activities.themes import THEMES

    row = next(r for r in THEMES if r["slug"] == slug)
    return Theme.objects.get_or_create(slug=slug, defaults=row)[0]


def at_the_door(session, after=timedelta(minutes=5)):
    """The clock frozen just after ``session`` starts: its check-in is open (and its survey is not)."""
    from kepu.core import clock

    return clock.frozen_at(session.starts_at + after)


def after_the_session(session, after=timedelta(minutes=5)):
    """The clock frozen just after ``session`` ends: the door has closed (late entries only), the survey opens."""
    from kepu.core import clock

    return clock.frozen_at(session.ends_at + after)
