"""An order's progress in the resident's words: 提交 → 社区受理 → 单位接单 → 服务中 → 已完成 → 评价.

The workflow's states (派单, 领单, 接单 …) are the offices' words; a resident sees these six steps,
each with the date it was reached, what happens next, and a status label in plain words.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from kepu.core.stepper import StepView, line
from kepu.orders.models import Order, OrderStatus

S = OrderStatus

STEPS = (
    pgettext_lazy("order step", "Sent"),
    pgettext_lazy("order step", "Community took it"),
    pgettext_lazy("order step", "Unit took it"),
    pgettext_lazy("order step", "Being arranged"),
    pgettext_lazy("order step", "Done"),
    pgettext_lazy("order step", "Rating"),
)

#: How many of the six steps are done in each state.
REACHED = {
    S.SUBMITTED: 1,
    S.DISPATCHED: 2,
    S.CLAIMED: 3,
    S.ACCEPTED: 4,
    S.SCHEDULED: 4,
    S.DELIVERED: 5,
    S.RATED: 6,
    S.CLOSED: 6,
    S.REJECTED: 1,
    S.CANCELLED: 1,
}

#: The step (index) each transition completes, for its date.
STEP_OF_ACTION = {
    "submit": 0,
    "dispatch": 1,
    "redispatch": 1,
    "claim": 2,
    "accept": 3,
    "grab": 3,
    "deliver": 4,
    "rate": 5,
}

#: A status label in the resident's words (the list of my orders).
RESIDENT_STATUS = {
    S.SUBMITTED: pgettext_lazy("order for a resident", "Sent, waiting for the community"),
    S.DISPATCHED: pgettext_lazy("order for a resident", "The community took it"),
    S.CLAIMED: pgettext_lazy("order for a resident", "A unit took it"),
    S.ACCEPTED: pgettext_lazy("order for a resident", "Being arranged"),
    S.SCHEDULED: pgettext_lazy("order for a resident", "Date fixed"),
    S.DELIVERED: pgettext_lazy("order for a resident", "Done: please rate it"),
    S.RATED: pgettext_lazy("order for a resident", "Done and rated"),
    S.CLOSED: pgettext_lazy("order for a resident", "Finished"),
    S.REJECTED: pgettext_lazy("order for a resident", "Not taken"),
    S.CANCELLED: pgettext_lazy("order for a resident", "Cancelled"),
}


def resident_status(order: Order) -> str:
    return str(RESIDENT_STATUS.get(order.status, order.get_status_display()))


def next_step(order: Order) -> str:
    """What happens next, in a sentence a resident understands."""
    status = order.status
    if status == S.SUBMITTED:
        return _("The community will look at it within a working day.")
    if status == S.DISPATCHED:
        return _("The community passed it to the unit in charge of this subject; it will answer soon.")
    if status == S.CLAIMED:
        return _("The unit is finding volunteers or an expert for you.")
    if status == S.ACCEPTED:
        return _("The date and place are being agreed.")
    if status == S.SCHEDULED and order.scheduled_for:
        return _("Service on %(when)s at %(where)s.") % {
            "when": timezone.localtime(order.scheduled_for).strftime("%Y-%m-%d %H:%M"),
            "where": order.scheduled_place,
        }
    if status == S.DELIVERED:
        return _("The service took place. Please tell us how it was.")
    if status in (S.RATED, S.CLOSED):
        return _("Thank you. Your rating helps the next service.") if order.rating else _("Finished.")
    if status == S.REJECTED:
        return _("The community could not take it. Its reason is below.")
    if status == S.CANCELLED:
        return _("You cancelled it.")
    return ""


def _step_dates(order: Order) -> list:
    """The date each step was last reached, from the order's history (prefetched by ``order_get``)."""
    dates = [None] * len(STEPS)
    dates[0] = order.created_at
    for event in order.events.all():  # oldest first: the last time a step was reached wins
        step = STEP_OF_ACTION.get(event.action)
        if step is not None:
            dates[step] = event.at
    return dates


def steps(order: Order) -> list[StepView]:
    reached = REACHED.get(order.status, 1)
    stopped = order.status in (S.REJECTED, S.CANCELLED)
    notes = {}
    if order.status == S.SCHEDULED and order.scheduled_for:
        notes[3] = next_step(order)
    elif order.status == S.CLOSED and not order.rating:
        reached = 5
        notes[5] = pgettext("order step", "Not rated")
        stopped = True
    elif stopped:
        notes[1] = resident_status(order)
    elif reached < len(STEPS):
        notes[reached] = next_step(order)
    return line(STEPS, reached=reached, dates=_step_dates(order), notes=notes, stopped=stopped)
