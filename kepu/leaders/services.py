"""Writes of the leaders' app: the monthly reports (the figures are the other apps' and only read here)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from kepu.core import clock
from kepu.core.actor import SYSTEM, Actor
from kepu.core.audit import log_action
from kepu.core.errors import NotAllowed
from kepu.leaders import reports, selectors
from kepu.leaders.models import MonthlyReport
from kepu.leaders.templatetags.leaders import figure as figure_text


def _previous_month(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def _str(value) -> str | None:
    return None if value is None else str(value)


def report_data(place, month: date) -> dict:
    """What the report says, as plain data (kept with the report): the figures of the year of ``month`` as they
    stand now, beside last year, the plans' tasks at risk with their units and the theme days' person-times."""
    board = selectors.figures_of(place, month.year)
    sections, lists = [], []
    for s in board.sections:
        rows = [
            {"key": r.key, "label": str(r.label), "unit": r.unit, "value": _str(r.value), "last": _str(r.last)}
            for r in s.rows
        ]
        notes = []
        if s.key == "literacy" and s.interval[0] is not None:
            notes.append(
                _("95%% CI %(low)s – %(high)s, survey of %(year)s")
                % {
                    "low": figure_text(s.interval[0], "%"),
                    "high": figure_text(s.interval[1], "%"),
                    "year": s.survey_year,
                }
            )
        for r in s.rows:
            for t in r.targets:
                notes.append(
                    _("%(figure)s: plan target %(target)s")
                    % {"figure": r.label, "target": f"{t.comparator}{figure_text(t.quantity, t.unit)}"}
                )
        for b in s.breakdowns:
            lists.append((str(b.title), [f"{label}: {figure_text(v, b.unit)}" for label, v in b.rows]))
        sections.append({"key": s.key, "label": str(s.label), "connected": s.connected, "rows": rows, "notes": notes})
    return {
        "title": _("%(place)s science popularization: monthly report, %(month)s")
        % {"place": place.name, "month": f"{month:%Y-%m}"},
        "subtitle": _("Figures of %(year)s up to the day the report was written (%(day)s), beside %(last)s.")
        % {"year": month.year, "day": f"{timezone.localdate(clock.now()):%Y-%m-%d}", "last": month.year - 1},
        "author": _("kepu platform"),
        "not_connected": _("Not connected yet: these figures will appear here once their app registers them."),
        "chart_title": _("%(year)s against %(last)s") % {"year": month.year, "last": month.year - 1},
        "columns": {"figure": _("Indicator"), "this": str(month.year), "last": str(month.year - 1)},
        "sections": sections,
        "lists": lists,
    }


def report_write(*, actor: Actor, place, month: date) -> MonthlyReport:
    """Write (once) the report of ``place`` for ``month``; only the system writes reports, on schedule."""
    if not actor.is_system:
        raise NotAllowed()
    month = month.replace(day=1)
    existing = MonthlyReport.objects.filter(place=place, month=month).first()
    if existing is not None:
        return existing
    with override("zh-hans"):
        data = report_data(place, month)
        pdf, docx = reports.pdf(data), reports.docx(data)
    try:
        with transaction.atomic():
            report = MonthlyReport.objects.create(
                place=place,
                place_path=place.path,
                month=month,
                created_at=clock.now(),
                figures=data,
                pdf=pdf,
                docx=docx,
            )
            log_action(actor, "kepu.leaders.report_written", report, place=place)
    except IntegrityError:  # another worker wrote it meanwhile
        return MonthlyReport.objects.get(place=place, month=month)
    transaction.on_commit(lambda: _tell_office(place, report))
    return report


def _tell_office(place, report: MonthlyReport) -> None:
    from kepu.accounts.selectors import staff_of
    from kepu.core.roles import Role
    from kepu.notifications.services import notify
    from kepu.orgs.selectors import office_of

    office = office_of(place)
    if office is None:
        return
    with override("zh-hans"):
        notify(
            staff_of([office.pk], [Role.DISTRICT_ADMIN]),
            title=_("The monthly report for %(month)s is ready") % {"month": f"{report.month:%Y-%m}"},
            url=selectors.page_url(place.code),
            kind="leaders.report",
        )


def reports_due(now=None) -> list[MonthlyReport]:
    """On a district's first working day of the month, its report for the month before (every district whose
    report is not written yet); on other days nothing."""
    from kepu.orders.selectors import first_working_day
    from kepu.places.selectors import children_of

    today = timezone.localdate(now or clock.now())
    month = _previous_month(today)
    written = []
    for district in children_of(None):
        if today < first_working_day(today.year, today.month, district.pk):
            continue
        written.append(report_write(actor=SYSTEM, place=district, month=month))
    return written
