"""Which uploaded files of activities a request may read (served by ``kepu.core.media``).

A sharing image is as public as its activity: anyone for a published public activity, else those
who may see the activity. A report photo is for those who manage the activity.
"""

from __future__ import annotations

from kepu.activities.models import Activity, ActivityPhoto
from kepu.core.media import register_media


def _actor(request):
    return getattr(request, "actor", None)


def image_readable(request, name: str) -> bool:
    from kepu.activities.selectors import activity_for_visitor
    from kepu.core.errors import DomainError

    activity_id = Activity.objects.filter(image=name).values_list("pk", flat=True).first()
    if activity_id is None:
        return False
    try:
        activity_for_visitor(actor=_actor(request), pk=activity_id)
    except DomainError:
        return False
    return True


def photo_readable(request, name: str) -> bool:
    from kepu.activities.selectors import activity_to_manage
    from kepu.core.errors import DomainError

    actor = _actor(request)
    activity_id = ActivityPhoto.objects.filter(file=name).values_list("activity_id", flat=True).first()
    if activity_id is None or actor is None or not actor.is_authenticated:
        return False
    try:
        activity_to_manage(actor=actor, pk=activity_id)
    except DomainError:
        return False
    return True


def register() -> None:
    register_media("activities/photos/", photo_readable)
    register_media("activities/", image_readable)
