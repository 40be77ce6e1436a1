"""What other apps add to the activities' figures: delivered service orders; the theme calendar."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction

from kepu.activities import rollup
from kepu.activities.models import DeliveredService, Theme
from kepu.activities.services._common import ROLLUPS
from kepu.core.populations import Population


# --- Delivered service orders (from the orders app) ------------------------------------------------------
@transaction.atomic
def delivered_service_record(
    *,
    order_id: int,
    place,
    delivered_at: datetime,
    organization=None,
    title: str = "",
    attendance: dict | None = None,
    activity_id: int | None = None,
) -> DeliveredService:
    """Count a delivered service order once (idempotent on ``order_id``), in the figures roll-up too.

    A repeated signal may correct the order (its attendance, say): its old contribution to
    the roll-up is taken back and the new one added, under the row's lock.
    """
    attendance = {k: int(v) for k, v in (attendance or {}).items() if k in Population.values and int(v) > 0}
    values = {
        "place": place,
        "place_path": place.path,
        "district_code": place.district_code,
        "organization": organization,
        "delivered_at": delivered_at,
        "title": title[:200],
        "attendance": attendance,
        "activity_id": activity_id,
    }
    obj = DeliveredService.objects.select_for_update().filter(order_id=order_id).first()
    if obj is None:
        try:
            with transaction.atomic():
                obj = DeliveredService.objects.create(order_id=order_id, **values)
            rollup.move(ROLLUPS, [], [rollup.service_contribution(rollup.instance_row(obj, rollup.SERVICE_VALUES))])
            return obj
        except IntegrityError:  # recorded meanwhile by a concurrent signal: update it below
            obj = DeliveredService.objects.select_for_update().get(order_id=order_id)
    before = rollup.service_contribution(rollup.instance_row(obj, rollup.SERVICE_VALUES))
    for key, value in values.items():
        setattr(obj, key, value)
    obj.save()
    rollup.move(ROLLUPS, [before], [rollup.service_contribution(rollup.instance_row(obj, rollup.SERVICE_VALUES))])
    return obj


def ensure_themes(rows: Iterable[dict]) -> int:
    """Create missing themes of the calendar (used by the seed and the data migration)."""
    created = 0
    for row in rows:
        _obj, was_created = Theme.objects.get_or_create(slug=row["slug"], defaults=row)
        created += was_created
    return created
