"""Every write about orders: placing them, each step of the workflow, escalation, the menu.

Each workflow step goes through ``order_transition``, which runs ``workflow.ORDER`` (lock the
order, check the transition, validate its input, apply it, audit) with this module's hooks:
the roll-up snapshot, the next deadline, the history row, notifications and, on delivery, the
``order_delivered`` signal. One module per part of the domain; every public name is importable from here.
"""

from kepu.orders.services._common import OrderError, S, dispatcher_staff
from kepu.orders.services.deadlines import (
    REMIND_BEFORE,
    close_unrated,
    escalate_overdue,
    order_close_unrated,
    order_escalate,
    order_remind_to_rate,
)
from kepu.orders.services.menu import holiday_set, service_item_publish, step_deadline_set
from kepu.orders.services.placing import order_place
from kepu.orders.services.transitions import order_add_photos, order_reveal_contact, order_transition
from kepu.orders.workflow import AlreadyTaken, WrongState  # the errors callers catch

__all__ = [
    "AlreadyTaken",
    "OrderError",
    "REMIND_BEFORE",
    "S",
    "WrongState",
    "close_unrated",
    "dispatcher_staff",
    "escalate_overdue",
    "holiday_set",
    "order_add_photos",
    "order_close_unrated",
    "order_escalate",
    "order_place",
    "order_remind_to_rate",
    "order_reveal_contact",
    "order_transition",
    "service_item_publish",
    "step_deadline_set",
]
