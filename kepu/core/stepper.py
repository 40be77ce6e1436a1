"""A stepper: where something stands, step by step, with the date of each step done.

Apps build the steps (``kepu.orders.stepper`` for an order) and render
``includes/stepper.html`` with ``steps``; the template only displays them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise

DONE, CURRENT, TODO, STOPPED = "done", "current", "todo", "stopped"


@dataclass(frozen=True)
class StepView:
    name: str | Promise
    state: str  # done, current, todo or stopped
    when: datetime | None = None
    note: str | Promise = ""

    @property
    def done(self) -> bool:
        return self.state == DONE


def line(names, *, reached: int, dates=(), notes=None, stopped: bool = False) -> list[StepView]:
    """Steps ``names`` of which the first ``reached`` are done; the next one is current (or stopped)."""
    notes = notes or {}
    dates = list(dates) + [None] * (len(names) - len(dates))
    out = []
    for i, name in enumerate(names):
        if i < reached:
            state = DONE
        elif i == reached:
            state = STOPPED if stopped else CURRENT
        else:
            state = TODO
        out.append(StepView(name, state, dates[i] if state == DONE else None, notes.get(i, "")))
    return out
