"""Activities and their sessions written, reviewed, cancelled; co-organizers, district settings."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import nh3
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kepu.activities import rollup
from kepu.activities.models import (
    Activity,
    ActivityPopulation,
    ActivityStatus,
    ActivityTopic,
    CoOrganizer,
    DistrictActivitySettings,
    Session,
    Venue,
    tags_to_text,
    text_to_tags,
)
from kepu.activities.permissions import ActivityAction, DistrictSettingAction
from kepu.activities.services._common import _CONTROL, ROLLUPS, ActivityError
from kepu.activities.services.registration import _promote
from kepu.activities.workflow import ACTIVITY
from kepu.core import clock
from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.permissions import require
from kepu.core.populations import Population

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "a",
    "img",
    "figure",
    "figcaption",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


def sanitize_html(value: str) -> str:
    return nh3.clean(value or "", tags=ALLOWED_TAGS, link_rel="noopener noreferrer nofollow")


def _rewrite_sessions(session_ids, **changes) -> None:
    """Change sessions' copied fields (publication, place, organizer, theme, first) and move their figures.

    The rows are locked first (in pk order, as everywhere) so that the figures read before
    and after are the same tallies and only the change itself moves the roll-up.
    """
    ids = list(
        Session.objects.select_for_update().filter(pk__in=list(session_ids)).order_by("pk").values_list("pk", flat=True)
    )
    if not ids:
        return
    before = [rollup.session_contribution(r) for r in Session.objects.filter(pk__in=ids).values(*rollup.SESSION_VALUES)]
    Session.objects.filter(pk__in=ids).update(**changes)
    after = [rollup.session_contribution(r) for r in Session.objects.filter(pk__in=ids).values(*rollup.SESSION_VALUES)]
    rollup.move(ROLLUPS, before, after)


def _sessions_added(sessions) -> None:
    rollup.move(
        ROLLUPS, [], [rollup.session_contribution(rollup.instance_row(s, rollup.SESSION_VALUES)) for s in sessions]
    )


def _copy_fields(activity: Activity) -> dict:
    return {
        "counted": activity.status == ActivityStatus.PUBLISHED,
        "place_path": activity.place_path,
        "district_code": activity.district_code,
        "organization_id_copy": activity.organization_id,
        "theme_id_copy": activity.theme_id,
    }


def sync_sessions(activity: Activity) -> None:
    """Copy the activity's publication, place, organizer and theme onto its sessions (for the figures)."""
    _rewrite_sessions(Session.objects.filter(activity=activity).values_list("pk", flat=True), **_copy_fields(activity))
    sync_tags(activity)


def sync_tags(activity: Activity) -> None:
    """Rewrite the activity's calendar tags from its topics and populations (few rows: delete and insert)."""
    copy = {
        "listed": activity.status == ActivityStatus.PUBLISHED and activity.is_public,
        "starts_at": activity.starts_at,
        "ends_at": activity.ends_at,
        "next_at": activity.next_at,
    }
    for model, field, values in (
        (ActivityTopic, "topic", text_to_tags(activity.topics)),
        (ActivityPopulation, "population", text_to_tags(activity.populations)),
    ):
        model.objects.filter(activity=activity).delete()
        model.objects.bulk_create([model(activity=activity, **{field: v}, **copy) for v in dict.fromkeys(values)])


# --- Activities ------------------------------------------------------------------------------------
ACTIVITY_FIELDS = (
    "title",
    "summary",
    "description",
    "kind",
    "topics",
    "populations",
    "theme",
    "venue",
    "address",
    "online_url",
    "registration_opens_at",
    "registration_closes_at",
    "needs_approval",
    "is_public",
    "offer_hours",
    "place",
    "image",
)


def _clean_online_url(value) -> str:
    """An online link is an http(s) address, whoever gives it (the form checked it; the API did not)."""
    from django.core.validators import URLValidator

    value = (value or "").strip()
    if not value:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise ActivityError(_("The online link must be an http:// or https:// address."), code="online_url_invalid")
    if len(value) > 200:
        raise ActivityError(_("The online link must be an http:// or https:// address."), code="online_url_invalid")
    return value


def _clean_image(value):
    """A sharing image is checked by its content and stored under a name of ours; empty clears it."""
    from kepu.core.uploads import check_image

    if not value or isinstance(value, str) or getattr(value, "_committed", False):
        return value  # "" clears it; a FieldFile already stored stays
    checked = check_image(value, code="image_invalid")
    value.name = checked.stored_name()
    return value


def _clean_fields(fields: dict) -> dict:
    out = {k: v for k, v in fields.items() if k in ACTIVITY_FIELDS}
    for key in ("title", "summary", "address"):
        if isinstance(out.get(key), str):
            out[key] = out[key].translate(_CONTROL).strip()
    if "online_url" in out:
        out["online_url"] = _clean_online_url(out["online_url"])
    if "image" in out:
        out["image"] = _clean_image(out["image"])
    if "offer_hours" in out and out["offer_hours"] is not None:
        hours = out["offer_hours"]
        if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 168:
            raise ActivityError(_("A freed place is offered for 1 to 168 hours."), code="offer_hours_invalid")
    if "description" in out:
        out["description"] = sanitize_html(out["description"])
    if "topics" in out and not isinstance(out["topics"], str):
        out["topics"] = tags_to_text(out["topics"])
    if "populations" in out and not isinstance(out["populations"], str):
        bad = [p for p in out["populations"] if p not in Population.values]
        if bad:
            raise ActivityError(_("Unknown population: %(value)s.") % {"value": ", ".join(bad)})
        out["populations"] = tags_to_text(out["populations"])
    if "title" in out and not (out["title"] or "").strip():
        raise ActivityError(_("An activity needs a title."), code="title_missing")
    opens, closes = out.get("registration_opens_at"), out.get("registration_closes_at")
    if opens and closes and closes <= opens:
        raise ActivityError(_("Sign-up must close after it opens."), code="window_invalid")
    return out


def _check_where_and_when(activity: Activity) -> None:
    """An activity happens in its organizer's district (anywhere for a city-wide one): at an active venue there,
    at a place of the tree, or online; and sign-up opens before the first session starts.

    The district matters because the district's figures and review count it there.
    """
    own_district = activity.organization.place.district_code
    if activity.venue_id:
        venue = Venue.objects.select_related("place").get(pk=activity.venue_id)
        if not venue.is_active or (own_district and venue.place.district_code != own_district):
            raise ActivityError(_("This venue is not open for your activities."), code="venue_invalid")
        activity.place = venue.place  # the venue decides where it is counted
    if own_district and activity.place.district_code != own_district:
        raise ActivityError(_("The place must be in the organizer's district."), code="place_invalid")
    opens = activity.registration_opens_at
    if opens and activity.starts_at and opens >= activity.starts_at:
        raise ActivityError(_("Sign-up must open before the first session starts."), code="window_invalid")


def _refresh_span(activity: Activity) -> None:
    live = activity.sessions.filter(is_cancelled=False)
    first_pk, first = live.order_by("starts_at", "pk").values_list("pk", "starts_at").first() or (None, None)
    last = live.order_by("-ends_at").values_list("ends_at", flat=True).first()
    _rewrite_sessions(
        activity.sessions.filter(is_first=True).exclude(pk=first_pk).values_list("pk", flat=True), is_first=False
    )
    if first_pk:
        _rewrite_sessions(
            activity.sessions.filter(pk=first_pk, is_first=False).values_list("pk", flat=True), is_first=True
        )
    upcoming = next_session_start(activity.pk, clock.now())
    if (activity.starts_at, activity.ends_at, activity.next_at) != (first, last, upcoming):
        activity.starts_at, activity.ends_at, activity.next_at = first, last, upcoming
        activity.save(update_fields=["starts_at", "ends_at", "next_at", "updated_at"])
        _tags_follow([activity.pk])


def _tags_follow(activity_ids) -> None:
    """Copy the calendar's dates of these activities onto their tags."""
    from django.db.models import OuterRef, Subquery

    for model in (ActivityTopic, ActivityPopulation):
        own = Activity.objects.filter(pk=OuterRef("activity_id"))
        model.objects.filter(activity_id__in=activity_ids).update(
            starts_at=Subquery(own.values("starts_at")[:1]),
            ends_at=Subquery(own.values("ends_at")[:1]),
            next_at=Subquery(own.values("next_at")[:1]),
        )


def next_session_start(activity_id: int, now: datetime):
    return (
        Session.objects.filter(activity_id=activity_id, is_cancelled=False, ends_at__gte=now)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )


def next_sessions_advance(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Move ``Activity.next_at`` past sessions that have ended (run periodically); returns how many moved."""
    from django.db.models import OuterRef, Subquery

    now = now or clock.now()
    stale = list(Activity.objects.filter(next_at__lt=now).values_list("pk", flat=True)[:limit])
    following = Subquery(
        Session.objects.filter(activity=OuterRef("pk"), is_cancelled=False, ends_at__gte=now)
        .order_by("starts_at")
        .values("starts_at")[:1]
    )
    # An activity whose next session is still running keeps it: only ended sessions move it on.
    with transaction.atomic():
        moved = Activity.objects.filter(pk__in=stale).update(next_at=following)
        _tags_follow(stale)
    return moved


@transaction.atomic
def activity_create(*, actor: Actor, organization, title: str, sessions: Iterable[tuple] = (), **fields) -> Activity:
    """Create a draft activity for ``organization`` with its sessions ``(starts_at, ends_at, capacity)``."""
    data = _clean_fields({"title": title, **fields})
    data.setdefault("place", organization.place)
    activity = Activity(organization=organization, created_by=actor.user, status=ActivityStatus.DRAFT, **data)
    require(actor, ActivityAction.CREATE, activity)
    sessions = list(sessions)
    if sessions:
        activity.starts_at = min(start for start, _end, _capacity in sessions)
    _check_where_and_when(activity)
    activity.save()
    for starts_at, ends_at, capacity in sessions:
        _session_add(activity, starts_at, ends_at, capacity)
    _refresh_span(activity)
    sync_tags(activity)
    log_action(actor, "kepu.activities.created", activity)
    return activity


@transaction.atomic
def activity_update(*, actor: Actor, activity: Activity, **fields) -> Activity:
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    require(actor, ActivityAction.MANAGE, activity)
    if activity.status == ActivityStatus.CANCELLED:
        raise ActivityError(_("A cancelled activity cannot be changed."), code="activity_cancelled")
    data = _clean_fields(fields)
    for key, value in data.items():
        setattr(activity, key, value)
    opens, closes = activity.registration_opens_at, activity.registration_closes_at
    if opens and closes and closes <= opens:  # one end of the window may have changed alone
        raise ActivityError(_("Sign-up must close after it opens."), code="window_invalid")
    _check_where_and_when(activity)
    activity.save()
    sync_sessions(activity)
    log_action(actor, "kepu.activities.changed", activity, data={"fields": sorted(data)})
    return activity


def _session_add(activity: Activity, starts_at: datetime, ends_at: datetime, capacity: int) -> Session:
    if ends_at < starts_at:
        raise ActivityError(_("A session must end after it starts."), code="session_invalid")
    if not capacity or capacity < 1:
        raise ActivityError(_("A session needs at least one place."), code="capacity_invalid")
    session = Session.objects.create(
        activity=activity, starts_at=starts_at, ends_at=ends_at, capacity=capacity, **_copy_fields(activity)
    )
    _sessions_added([session])
    return session


@transaction.atomic
def session_add(*, actor: Actor, activity: Activity, starts_at: datetime, ends_at: datetime, capacity: int) -> Session:
    require(actor, ActivityAction.MANAGE, activity)
    session = _session_add(activity, starts_at, ends_at, capacity)
    _refresh_span(activity)
    log_action(actor, "kepu.activities.session_added", activity, data={"session": session.pk})
    return session


@transaction.atomic
def session_set_capacity(*, actor: Actor, session: Session, capacity: int) -> Session:
    """Change a session's places; more places promote the waiting list, fewer may not drop below those taken."""
    session = Session.objects.select_for_update().select_related("activity").get(pk=session.pk)
    require(actor, ActivityAction.MANAGE, session.activity)
    if capacity < session.seats_taken:
        raise ActivityError(
            _("%(taken)s places are already taken; the capacity cannot be lower.") % {"taken": session.seats_taken},
            code="capacity_below_taken",
        )
    session.capacity = capacity
    session.save(update_fields=["capacity"])
    _promote(session, clock.now())
    log_action(
        actor, "kepu.activities.capacity_changed", session.activity, data={"session": session.pk, "capacity": capacity}
    )
    return session


def _published_after(step) -> None:
    sync_sessions(step.obj)


def activity_transition(*, actor: Actor, activity: Activity, action: str, reason: str = "") -> Activity:
    """One step of the activity's workflow (``workflow.ACTIVITY``): submit, approve, reject, cancel."""
    return ACTIVITY.run(actor=actor, obj=activity, name=action, reason=reason, after=_published_after)


def activity_submit(*, actor: Actor, activity: Activity) -> Activity:
    """Publish, or send to the district office for review when the district requires it (offices publish directly)."""
    return activity_transition(actor=actor, activity=activity, action="submit")


def activity_review(*, actor: Actor, activity: Activity, approve: bool, note: str = "") -> Activity:
    return activity_transition(actor=actor, activity=activity, action="approve" if approve else "reject", reason=note)


def activity_cancel(*, actor: Actor, activity: Activity, reason: str) -> Activity:
    return activity_transition(actor=actor, activity=activity, action="cancel", reason=reason)


@transaction.atomic
def activity_set_co_organizers(*, actor: Actor, activity: Activity, organizations: Iterable) -> list[int]:
    """Name the organizations that co-host ``activity`` (联合主办), replacing those named before.

    Co-organizers are active organizations of the activity's district, other than its organizer
    (the lead, 牵头单位). Returns their ids.
    """
    from kepu.orgs.selectors import organizations_by_pk

    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    require(actor, ActivityAction.MANAGE, activity)
    if activity.status == ActivityStatus.CANCELLED:
        raise ActivityError(_("A cancelled activity cannot be changed."), code="activity_cancelled")
    wanted = {int(getattr(o, "pk", o)) for o in organizations} - {activity.organization_id}
    found = organizations_by_pk(wanted)
    if len(found) != len(wanted) or any(
        not o.is_active or o.place.district_code != activity.district_code for o in found
    ):
        raise ActivityError(
            _("Co-organizers must be active organizations of the activity's district."), code="co_organizer_invalid"
        )
    before = set(CoOrganizer.objects.filter(activity=activity).values_list("organization_id", flat=True))
    CoOrganizer.objects.filter(activity=activity).exclude(organization_id__in=wanted).delete()
    CoOrganizer.objects.bulk_create([CoOrganizer(activity=activity, organization_id=pk) for pk in wanted - before])
    if before != wanted:
        log_action(
            actor,
            "kepu.activities.co_organizers_set",
            activity,
            data={"added": sorted(wanted - before), "removed": sorted(before - wanted)},
        )
    return sorted(wanted)


@transaction.atomic
def district_settings_set(*, actor: Actor, district, review_required: bool) -> DistrictActivitySettings:
    require(actor, DistrictSettingAction.SET, DistrictActivitySettings(district=district))
    obj, _created = DistrictActivitySettings.objects.update_or_create(
        district=district, defaults={"review_required": review_required}
    )
    log_action(
        actor, "kepu.activities.review_setting_changed", obj, place=district, data={"review_required": review_required}
    )
    return obj
