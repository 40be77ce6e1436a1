"""The district's working calendar and step deadlines are its own office's to set, asked of the policy."""

from datetime import date

import pytest

from kepu.core.errors import NotAllowed
from kepu.core.permissions import can
from kepu.orders import services
from kepu.orders.models import Holiday, StepDeadline
from kepu.orders.permissions import CalendarAction

pytestmark = pytest.mark.django_db


def test_only_the_district_office_sets_its_own_calendar_and_deadlines(oworld):
    a, b = oworld.a, oworld.b
    services.holiday_set(actor=a.admin, day=date(2026, 10, 1), name="国庆节")
    services.step_deadline_set(actor=a.admin, step="dispatch", working_days=3)
    assert Holiday.objects.filter(district=a.place, date=date(2026, 10, 1)).exists()
    assert StepDeadline.objects.get(district=a.place, step="dispatch").working_days == 3

    for outsider in (oworld.city_admin, a.street_staff, a.unit_staff, a.resident):
        with pytest.raises(NotAllowed):
            services.holiday_set(actor=outsider, day=date(2026, 10, 2), name="x")
        with pytest.raises(NotAllowed):
            services.step_deadline_set(actor=outsider, step="claim", working_days=2)
    assert Holiday.objects.count() == 1 and StepDeadline.objects.count() == 1

    # The policy answers per district: A's office may not set B's calendar.
    assert can(a.admin, CalendarAction.SET, Holiday(district=a.place))
    assert not can(a.admin, CalendarAction.SET, Holiday(district=b.place))
    assert not can(a.admin, CalendarAction.SET, StepDeadline(district=None))
