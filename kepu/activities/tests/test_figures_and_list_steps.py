"""The steps of the dashboard's breakdown and of the check-in list import, each rule on its own."""

from datetime import date
from types import SimpleNamespace

import pytest
from django.utils import translation

from kepu.activities.checkin_sheet import SheetRow
from kepu.activities.models import RegistrationStatus
from kepu.activities.selectors._common import _split_period
from kepu.activities.selectors.breakdown import _Breakdown
from kepu.activities.services.checkin import _checkin_row_error


@pytest.mark.parametrize(
    ("date_from", "date_to", "months", "days"),
    [
        # Whole months from the roll-up, the days around them from the sessions.
        (
            date(2026, 5, 29),
            date(2026, 7, 2),
            (date(2026, 6, 1), date(2026, 7, 1)),
            [(date(2026, 5, 29), date(2026, 5, 31)), (date(2026, 7, 1), date(2026, 7, 2))],
        ),
        (date(2026, 5, 1), date(2026, 6, 30), (date(2026, 5, 1), date(2026, 7, 1)), []),
        (
            date(2026, 12, 15),
            date(2027, 1, 31),
            (date(2027, 1, 1), date(2027, 2, 1)),
            [(date(2026, 12, 15), date(2026, 12, 31))],
        ),
        # No whole month: the whole period from the sessions; a period that ends before it starts is empty.
        (date(2026, 5, 3), date(2026, 5, 20), None, [(date(2026, 5, 3), date(2026, 5, 20))]),
        (date(2026, 5, 2), date(2026, 6, 1), None, [(date(2026, 5, 2), date(2026, 6, 1))]),
        (date(2026, 7, 2), date(2026, 5, 2), None, []),
    ],
)
def test_a_period_splits_into_whole_months_and_the_days_around_them(date_from, date_to, months, days):
    assert _split_period(date_from, date_to) == (months, days)


def test_a_place_group_is_the_level_below_the_viewer_and_a_place_above_it_is_its_own():
    groups = _Breakdown("place", depth=3)  # a district office: streets
    groups.add("110000/110115/110115001/110115001001/", sessions=2)
    groups.add("110000/110115/110115001/", sessions=1)
    groups.add("110000/110115/", sessions=5)  # an activity of the whole district
    assert {k: dict(g) for k, g in groups.groups.items()} == {
        "110000/110115/110115001/": {"sessions": 3},
        "110000/110115/": {"sessions": 5},
    }
    themes = _Breakdown("theme", depth=3)
    themes.add(None, services=1)  # a delivered order has no theme
    assert dict(themes.groups[0]) == {"services": 1}


def _reg(session_id=1, status=RegistrationStatus.CONFIRMED, checked_in_at=None):
    return SimpleNamespace(
        session_id=session_id,
        status=status,
        checked_in_at=checked_in_at,
        name="张三丰",
        get_status_display=lambda: "cancelled",
    )


@pytest.mark.parametrize(
    ("row", "reg", "came", "other_line", "error"),
    [
        (SheetRow(4, "", "1"), None, True, None, "Row 4: the ticket code is missing."),
        # A repeated ticket is named as such even when it is not this activity's.
        (SheetRow(5, "T1", "1"), None, True, 4, "Row 5: ticket T1 is on the list twice (also row 4)."),
        (SheetRow(5, "T1", "1"), None, True, None, "Row 5: ticket T1 is not for this activity."),
        (SheetRow(5, "T1", "?"), _reg(session_id=2), None, None, "Row 5: ticket T1 is for another session."),
        (
            SheetRow(5, "T1", "?"),
            _reg(),
            None,
            None,
            'Row 5: "?" is not a mark; write 1 for someone who came, or leave it empty.',
        ),
        (
            SheetRow(5, "T1", "1"),
            _reg(status=RegistrationStatus.CANCELLED),
            True,
            None,
            "Row 5: 张*丰 has no confirmed place any more (cancelled).",
        ),
        # Checked in before and cancelled since: the mark changes nothing, so it is not an error.
        (
            SheetRow(5, "T1", "1"),
            _reg(status=RegistrationStatus.CANCELLED, checked_in_at=date(2026, 5, 1)),
            True,
            None,
            None,
        ),
        (SheetRow(5, "T1", ""), _reg(status=RegistrationStatus.CANCELLED), False, None, None),
    ],
)
def test_why_a_row_of_the_list_cannot_be_applied(row, reg, came, other_line, error):
    session = SimpleNamespace(pk=1)
    with translation.override("en"):
        assert _checkin_row_error(row, reg, came, other_line, session) == error
