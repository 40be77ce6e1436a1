"""The figure the "train 300,000 people a year in emergency skills" kind of target counts (应急科普培训人次).

Drills (应急演练) and emergency training sessions are activities of the activities app of those two kinds, chosen
by their organizer when the activity is made; their person-times are the activities' own figure (people checked
in at the door and walk-ins counted there, never sign-ups), read through the measure registry, never from the
activities' tables.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from kepu.core.measures import compute_measure, get_measure, measure_records_url, register_measure

#: The activity kinds that train people in emergency skills (``activities`` ``ActivityKind``).
EMERGENCY_KINDS = ("drill", "emergency_training")
SOURCE = "activities.person_times"


def trained(filters: dict) -> Decimal:
    total = Decimal(0)
    for kind in EMERGENCY_KINDS:
        total += compute_measure(SOURCE, {**(filters or {}), "kind": kind}) or Decimal(0)
    return total


def records_url(filters: dict) -> str:
    return measure_records_url(SOURCE, {**(filters or {}), "kind": EMERGENCY_KINDS[0]})


def register() -> None:
    source = get_measure(SOURCE)
    honoured = (source.filters - {"kind"}) if source is not None else frozenset({"place", "year"})
    register_measure(
        "emergency.person_times_trained",
        _("Person-times at emergency drills and training"),
        "人次",
        trained,
        records_url,
        filters=honoured,
        help=_("People checked in at activities of the kinds emergency drill and emergency skills training."),
    )
