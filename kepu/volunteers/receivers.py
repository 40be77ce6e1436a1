"""Hours from delivered orders: the receiver of ``kepu.orders.signals.order_delivered``.

The contract (the signal's docstring): ``order`` (with ``provider`` and ``delivered_at``) and
``volunteers`` as ``[(user_id, Decimal hours), …]``. Each volunteer is credited under the key
``order:<order>:<volunteer>``, the key a need for that order also uses on sign-out, so a signal
sent twice, or presence also recorded at the need, credits the service once.

Presence at activities needs no signal: an organization's need names the activity it staffs,
and the sign-out at the need credits the hours (``services.need_credit``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from kepu.accounts.selectors import memberships
from kepu.core.roles import Role
from kepu.orgs.choices import OrgKind
from kepu.volunteers.models import HoursSource, Volunteer
from kepu.volunteers.services import credit_hours

if TYPE_CHECKING:
    from kepu.orgs.models import Organization


def _organization_for(volunteer: Volunteer, provider: Organization | None) -> Organization | None:
    """The order's provider when it is a volunteer organization, else the volunteer's own (first joined)."""
    if provider is not None and provider.kind == OrgKind.VOLUNTEER_ORG:
        return provider
    membership = (
        memberships(user=volunteer.user_id, role=Role.VOLUNTEER, organization_kind=OrgKind.VOLUNTEER_ORG)
        .select_related("organization")
        .order_by("pk")
        .first()
    )
    return membership.organization if membership else None


def credit_order(*, order, volunteers) -> int:
    """Credit each registered volunteer who served a delivered order; returns how many entries were new."""
    served_on = timezone.localdate(order.delivered_at) if order.delivered_at else timezone.localdate()
    by_user = {
        v.user_id: v
        for v in Volunteer.objects.filter(
            user_id__in=[user_id for user_id, _hours in volunteers], anonymized_at__isnull=True
        )
    }
    new = 0
    for user_id, hours in volunteers:
        volunteer = by_user.get(user_id)
        minutes = int(round(float(hours) * 60))
        if volunteer is None or minutes <= 0:  # people without a volunteer profile have no ledger
            continue
        organization = _organization_for(volunteer, order.provider)
        if organization is None:
            continue
        _entry, created = credit_hours(
            volunteer=volunteer,
            organization=organization,
            minutes=minutes,
            source=HoursSource.ORDER,
            key=("order", order.pk, volunteer.pk),
            served_on=served_on,
            note=str(order)[:200],
        )
        new += created
    return new


def on_order_delivered(sender, *, order, volunteers=(), **kwargs):
    credit_order(order=order, volunteers=volunteers or ())


def on_task_abandoned(sender, *, task_path: str, args, kwargs, **extra) -> None:
    """An import whose worker vanished is marked interrupted, so that it can be run again."""
    if task_path.endswith("volunteers.tasks.run_import") and args:
        from kepu.volunteers.imports import import_abandoned

        import_abandoned(int(args[0]))


def connect() -> None:
    from kepu.core.worker import task_abandoned
    from kepu.orders.signals import order_delivered

    order_delivered.connect(on_order_delivered, dispatch_uid="kepu.volunteers.order_delivered")
    task_abandoned.connect(on_task_abandoned, dispatch_uid="kepu.volunteers.task_abandoned")
