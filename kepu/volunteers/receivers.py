"""Hours from other apps: delivered orders and presence recorded at activities.

The receivers connect only when ``kepu.orders`` / ``kepu.activities`` are installed and send
the signals; both go through ``credit_from_order`` / ``credit_from_presence``, which go
through ``services.credit_hours`` with a key per (order or activity, volunteer), so a
signal sent twice, or hours also typed in a report, are never credited twice for the same service.

Expected signal arguments (read tolerantly, since the sending apps are built in parallel):

* ``kepu.orders.signals.order_delivered(sender, order, attendance, volunteers)`` (its documented
  contract): ``volunteers`` is ``[(user_id, Decimal hours), …]``; the hours go to the order's
  ``provider`` when it is a volunteer organization, else to the volunteer's own organization.
  Users, volunteers or bare user ids are accepted too, with ``minutes`` (or the order's duration)
  for all of them.
* ``kepu.activities.signals.presence_recorded(sender, activity, records)``: each record has a
  ``user`` (or ``user_id``), ``minutes`` (or ``signed_in_at``/``signed_out_at``).
"""

from __future__ import annotations

import importlib
import logging
from datetime import date

from django.utils import timezone

from kepu.accounts.models import Membership
from kepu.core.roles import Role
from kepu.orgs.models import Organization, OrgKind
from kepu.volunteers.models import HoursSource, Volunteer
from kepu.volunteers.services import credit_hours

log = logging.getLogger(__name__)


def _attr(obj, *names, default=None):
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value is not None:
            return value
    return default


def _volunteer_for(item) -> Volunteer | None:
    if isinstance(item, Volunteer):
        return item
    user_id = item if isinstance(item, int) else _attr(item, "user_id", "pk", "id")
    if not isinstance(item, int) and _attr(item, "user") is not None:
        user_id = _attr(item, "user").pk
    return Volunteer.objects.filter(user_id=user_id, anonymized_at__isnull=True).first() if user_id else None


def _minutes_between(start, end) -> int:
    if start and end and end > start:
        return int((end - start).total_seconds() // 60)
    return 0


def _volunteer_org(volunteer: Volunteer, preferred: Organization | None) -> Organization | None:
    if preferred is not None and preferred.kind == OrgKind.VOLUNTEER_ORG:
        return preferred
    membership = (Membership.objects.filter(user_id=volunteer.user_id, role=Role.VOLUNTEER, is_active=True)
                  .select_related("organization").order_by("pk").first())
    return membership.organization if membership else None


def _served_on(obj) -> date:
    when = _attr(obj, "delivered_at", "ends_at", "starts_at", "date")
    if when is None:
        return timezone.localdate()
    return timezone.localdate(when) if hasattr(when, "tzinfo") and hasattr(when, "hour") else when


def credit_from_order(*, order, volunteers, minutes: int | None = None,
                      organization: Organization | None = None) -> int:
    """Credit each volunteer who served a delivered order; returns how many entries were new."""
    minutes = minutes or _attr(order, "service_minutes", "duration_minutes") or _minutes_between(
        _attr(order, "starts_at", "scheduled_at"), _attr(order, "ends_at"))
    organization = organization or _attr(order, "provider", "volunteer_organization", "accepted_by")
    if not isinstance(organization, Organization):
        organization = None
    has_own_hours = any(isinstance(item, (tuple, list)) for item in volunteers or ())
    if not minutes and not has_own_hours:
        log.warning("order %s delivered without a duration; no hours credited", getattr(order, "pk", order))
        return 0
    new = 0
    for item in volunteers or ():
        item_minutes = minutes
        if isinstance(item, (tuple, list)):  # (user_id, hours), the orders app's contract
            item, hours = item
            item_minutes = int(round(float(hours) * 60))
        volunteer = _volunteer_for(item)
        org = _volunteer_org(volunteer, organization) if volunteer else None
        if volunteer is None or org is None or not item_minutes:
            continue
        _entry, created = credit_hours(volunteer=volunteer, organization=org, minutes=int(item_minutes),
                                       source=HoursSource.ORDER, key=("order", order.pk, volunteer.pk),
                                       served_on=_served_on(order), note=str(order)[:200])
        new += created
    return new


def credit_from_presence(*, activity, records) -> int:
    """Credit volunteers present at an activity; people who are not volunteers are skipped."""
    new = 0
    organizer = _attr(activity, "organization", "organizer")
    for record in records or ():
        volunteer = _volunteer_for(_attr(record, "volunteer", "user", "user_id", default=record))
        if volunteer is None:
            continue
        minutes = _attr(record, "minutes") or _minutes_between(
            _attr(record, "signed_in_at", "checked_in_at"), _attr(record, "signed_out_at", "checked_out_at"))
        org = _volunteer_org(volunteer, organizer)
        if not minutes or org is None:
            continue
        _entry, created = credit_hours(volunteer=volunteer, organization=org, minutes=int(minutes),
                                       source=HoursSource.ACTIVITY, key=("activity", activity.pk, volunteer.pk),
                                       served_on=_served_on(activity), note=str(activity)[:200])
        new += created
    return new


def on_order_delivered(sender, order=None, volunteers=None, **kwargs):
    credit_from_order(order=order, volunteers=volunteers, minutes=kwargs.get("minutes"),
                      organization=kwargs.get("organization"))


def on_presence_recorded(sender, activity=None, records=None, **kwargs):
    credit_from_presence(activity=activity, records=records or kwargs.get("presence") or ())


def _signal(module: str, name: str):
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def connect() -> list[str]:
    """Connect to the signals of the apps that exist; return what was connected."""
    connected = []
    sig = _signal("kepu.orders.signals", "order_delivered")
    if sig is not None:
        sig.connect(on_order_delivered, dispatch_uid="volunteers.order_delivered")
        connected.append("order_delivered")
    for name in ("presence_recorded", "attendance_recorded"):
        sig = _signal("kepu.activities.signals", name)
        if sig is not None:
            sig.connect(on_presence_recorded, dispatch_uid=f"volunteers.{name}")
            connected.append(name)
    return connected
