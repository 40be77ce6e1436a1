"""The monthly report: written on the first working day of the month for each district, once; its PDF read back
says what the page says; the office is told; only the district's own viewers may download it."""

from datetime import date, datetime

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from kepu.core import clock
from kepu.core.actor import SYSTEM
from kepu.leaders import selectors, services
from kepu.leaders.models import MonthlyReport
from kepu.leaders.templatetags.leaders import figure
from kepu.leaders.tests.factories import some_work
from kepu.orders.tests.test_scoping import login

pytestmark = pytest.mark.django_db
TZ = timezone.get_fixed_timezone(480)


def at(day: date, hour: int = 9):
    return clock.frozen_at(datetime(day.year, day.month, day.day, hour, tzinfo=TZ))


def pdf_text(report: MonthlyReport) -> str:
    import io

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(bytes(report.pdf))).pages)


def test_written_on_the_first_working_day_once_per_district(lworld):
    # 1 November 2026 is a Sunday: the first working day is Monday the 2nd.
    with at(date(2026, 11, 1)):
        assert services.reports_due() == []
    with at(date(2026, 11, 2)), TestCase.captureOnCommitCallbacks(execute=True):
        written = services.reports_due()
    assert sorted(r.place.code for r in written) == sorted([lworld.a.place.code, lworld.b.place.code])
    assert {r.month for r in written} == {date(2026, 10, 1)}
    with at(date(2026, 11, 2), hour=15):
        again = services.reports_due()
    assert MonthlyReport.objects.count() == 2 and {r.pk for r in again} == {r.pk for r in written}


def test_a_holiday_moves_the_report_to_the_next_working_day(lworld):
    from kepu.orders.models import Holiday

    Holiday.objects.create(date=date(2026, 11, 2), name="调休", is_workday=False)
    with at(date(2026, 11, 2)):
        assert services.reports_due() == []
    with at(date(2026, 11, 3)):
        assert len(services.reports_due()) == 2


def test_the_pdf_says_what_the_page_says_and_the_office_is_told(lworld):
    from kepu.notifications.models import Notification

    some_work(lworld)
    a = lworld.a
    today = timezone.localdate(clock.now())
    with TestCase.captureOnCommitCallbacks(execute=True):
        report = services.report_write(actor=SYSTEM, place=a.place, month=today.replace(day=1))
    board = selectors.board(actor=a.admin, place=a.place, year=today.year)
    text = pdf_text(report)
    assert a.place.name in text
    for key in ("orders.placed", "orders.response_rate", "activities.person_times", "volunteers.hours"):
        row = next(r for s in board.sections for r in s.rows if r.key == key)
        shown = figure(row.value, row.unit)
        assert shown in text, (key, shown)
    assert "应急科普" in text  # the emergency section, said to be not connected yet
    # The Word document carries the same figures.
    import io

    from docx import Document

    cells = [c.text for t in Document(io.BytesIO(bytes(report.docx))).tables for row in t.rows for c in row.cells]
    assert figure(board.value("orders.placed"), "单") in cells
    assert Notification.objects.filter(recipient=a.admin.user, url__contains=a.place.code).exists()
    assert not Notification.objects.filter(recipient=lworld.b.admin.user).exists()


def test_only_the_system_writes_reports(lworld):
    from kepu.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        services.report_write(actor=lworld.a.admin, place=lworld.a.place, month=date(2026, 10, 1))


def test_reports_are_listed_and_downloaded_within_the_area_only(client, lworld):
    with at(date(2026, 11, 2)):
        services.reports_due()
    mine = MonthlyReport.objects.get(place=lworld.a.place)
    theirs = MonthlyReport.objects.get(place=lworld.b.place)
    login(client, lworld.a.admin)
    html = client.get(reverse("leaders:place", args=[lworld.a.place.code])).content.decode()
    assert f'data-testid="report-pdf-{mine.pk}"' in html and f"report-pdf-{theirs.pk}" not in html
    r = client.get(reverse("leaders:report_file", args=[mine.pk, "pdf"]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")
    assert client.get(reverse("leaders:report_file", args=[mine.pk, "docx"])).content.startswith(b"PK")
    assert client.get(reverse("leaders:report_file", args=[theirs.pk, "pdf"])).status_code == 404
    for actor in (lworld.a.street_staff, lworld.a.unit_staff, lworld.a.resident):
        login(client, actor)
        assert client.get(reverse("leaders:report_file", args=[mine.pk, "pdf"])).status_code in (403, 404)
    login(client, lworld.city_admin)
    html = client.get(reverse("leaders:place", args=[lworld.city.code])).content.decode()
    assert f"report-pdf-{mine.pk}" in html and f"report-pdf-{theirs.pk}" in html
