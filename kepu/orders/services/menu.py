"""The service menu and the working calendar."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.permissions import require
from kepu.core.populations import Population
from kepu.orders.models import ServiceItem, ServiceKind, Topic
from kepu.orders.permissions import CalendarAction, MenuAction
from kepu.orders.services._common import OrderError, _clean_text
from kepu.places.choices import PlaceLevel


# --- The service menu and the calendar ----------------------------------------------------
@transaction.atomic
def service_item_publish(
    *, actor: Actor, title: str, kind: str, topic: str, populations: list[str], description: str = ""
) -> ServiceItem:
    org = actor.organization
    item = ServiceItem(
        title=(title or "").strip(),
        kind=kind,
        topic=topic,
        populations=list(populations or []),
        description=(description or "").strip(),
        provider=org,
        district=org.place if org and org.place.level != PlaceLevel.CITY else None,
    )
    require(actor, MenuAction.PUBLISH, item)
    if not item.title or len(item.title) > 100:
        raise OrderError(_("Give the service a title (at most 100 characters)."), code="item_title")
    if kind not in ServiceKind.values or topic not in Topic.values:
        raise OrderError(_("Choose a kind of service and a topic."), code="item_kind")
    if any(p not in Population.values for p in item.populations):
        raise OrderError(_("Unknown audience group."), code="item_population")
    if item.district is None or item.district.level != PlaceLevel.DISTRICT:
        raise OrderError(_("Only organizations of a district can publish to its menu."), code="item_district")
    item.save()
    log_action(actor, "kepu.orders.menu_item_published", item, place=item.district)
    return item


@transaction.atomic
def holiday_set(*, actor: Actor, day: date, name: str, is_workday: bool = False):
    """The district office marks a day off (or a make-up working day) in its calendar."""
    from kepu.orders.models import Holiday

    require(actor, CalendarAction.SET, Holiday(district=actor.place))
    name = _clean_text(name, 40, _("Name the day (at most 40 characters)."), "holiday_name")
    holiday, _created = Holiday.objects.update_or_create(
        district=actor.place, date=day, defaults={"name": name, "is_workday": is_workday}
    )
    log_action(
        actor,
        "kepu.orders.holiday_set",
        holiday,
        place=actor.place,
        data={"date": day.isoformat(), "workday": is_workday},
    )
    return holiday


@transaction.atomic
def step_deadline_set(*, actor: Actor, step: str, working_days: int):
    from kepu.orders.models import Step, StepDeadline

    require(actor, CalendarAction.SET, StepDeadline(district=actor.place))
    if step not in Step.values or not 1 <= int(working_days) <= 30:
        raise OrderError(_("A deadline is from 1 to 30 working days."), code="deadline_invalid")
    row, _created = StepDeadline.objects.update_or_create(
        district=actor.place, step=step, defaults={"working_days": int(working_days)}
    )
    log_action(actor, "kepu.orders.deadline_set", row, place=actor.place, data={"step": step, "days": working_days})
    return row
