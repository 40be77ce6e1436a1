"""Every write of the statistics: open a year, pre-fill, change a figure, explain a warning, move a form.

The rhythm is the project's: check the actor's right and the form's state, lock, change, keep the
history (``ValueChange``: who, when, why) and the audit trail, then answer. A form that is not open
(submitted, accepted, approved above, or under a district table that is submitted or accepted)
refuses every write, whoever asks (``check_open``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from kepu.core import clock
from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.errors import Conflict, DomainError, NotAllowed
from kepu.core.measures import batch as measures_batch
from kepu.core.measures import measure_figures
from kepu.core.permissions import can, require
from kepu.statistics import editions, rollup, units
from kepu.statistics.models import (
    OPEN_STATES,
    Edition,
    FilerKind,
    Indicator,
    Report,
    ReportLevel,
    Rule,
    RuleNote,
    SharedFigure,
    Table,
    Value,
    ValueChange,
    ValueSource,
    ValueType,
)
from kepu.statistics.permissions import ReportAction
from kepu.statistics.workflow import REPORT, district_table_of

MAX_VALUE = Decimal("9999999999999")


class StatisticsError(DomainError):
    code = "statistics_invalid"


class Locked(Conflict):
    code = "report_locked"
    default_message = _("This form is locked: it has been submitted or approved. Only the level above can reopen it.")


class EditionInvalid(DomainError):
    code = "edition_invalid"
    default_message = _("The edition file has problems; nothing was loaded.")


# --- Locks -----------------------------------------------------------------------------------------
def is_locked(report: Report) -> bool:
    """Whether the form refuses writes: it is not open, or its district's table is submitted or accepted."""
    if report.status not in OPEN_STATES:
        return True
    if report.level == ReportLevel.UNIT:
        table = district_table_of(report)
        return table is not None and table.status not in OPEN_STATES
    return False


def check_open(report: Report) -> None:
    if is_locked(report):
        raise Locked()


def _lock(report: Report) -> Report:
    """Lock the form's row, and its district's table first (a write below must not race the district's submit)."""
    table = (
        Report.objects.select_for_update()
        .filter(district_id=report.district_id, year=report.year, level=ReportLevel.DISTRICT)
        .first()
    )
    if report.level == ReportLevel.DISTRICT and table is not None:
        return table
    return Report.objects.select_for_update().select_related("organization", "district").get(pk=report.pk)


# --- Opening a year and pre-filling ------------------------------------------------------------------
@transaction.atomic
def year_open(*, actor: Actor, district, year: int) -> list[Report]:
    """Open ``year`` for ``district``: a form for every reporting unit (and the district's table), each unit's
    figures pre-filled from the platform. Opening again adds the forms of new units and refreshes the open ones."""
    probe = Report(district=district, level=ReportLevel.DISTRICT, year=year, place_path=district.path)
    require(actor, ReportAction.OPEN_YEAR, probe)
    if year > clock.now().year or year < 2000:
        raise StatisticsError(_("Forms can be opened for this year or earlier years only."), code="year_invalid")
    if not rollup.indicators_for(year):
        raise StatisticsError(_("No indicator dictionary covers %(year)s yet.") % {"year": year}, code="no_dictionary")
    filers = units.filers_of(district)
    office = next((f for f in filers if f.kind == FilerKind.DISTRICT_OFFICE), None)
    if office is None:
        raise StatisticsError(_("The district has no district office to file its table."), code="no_office")
    table, _created = Report.objects.get_or_create(
        organization=office.organization,
        year=year,
        level=ReportLevel.DISTRICT,
        defaults={"kind": FilerKind.DISTRICT_OFFICE, "district": district, "place_path": district.path},
    )
    table = Report.objects.select_for_update().get(pk=table.pk)
    if table.status not in OPEN_STATES:
        raise Locked()
    existing = {
        r.organization_id: r for r in Report.objects.filter(district=district, year=year, level=ReportLevel.UNIT)
    }
    new = [
        Report(
            organization=f.organization,
            year=year,
            level=ReportLevel.UNIT,
            kind=f.kind,
            district=district,
            place_path=f.organization.place.path,
            scope=sorted(f.scope),
        )
        for f in filers
        if f.organization.pk not in existing
    ]
    Report.objects.bulk_create(new)
    to_fill = []
    for f in filers:
        report = existing.get(f.organization.pk)
        if report is None:
            continue
        if report.status in OPEN_STATES and sorted(f.scope) != report.scope:
            report.scope = sorted(f.scope)
            report.save(update_fields=["scope", "updated_at"])
        if report.status in OPEN_STATES:
            to_fill.append(report)
    created = list(
        Report.objects.filter(
            district=district, year=year, level=ReportLevel.UNIT, organization_id__in=[r.organization_id for r in new]
        )
    )
    prefill(actor=actor, reports=created + to_fill)
    log_action(actor, "kepu.statistics.year_opened", table, data={"year": year, "new": len(created)})
    return created


def prefill(*, actor: Actor, reports: list[Report]) -> int:
    """Count each pre-fillable figure of ``reports`` on the platform, in one batch per measure.

    A figure the unit has not changed follows the platform; a changed one keeps the unit's value and
    the platform's count is updated beside it. Returns the number of figures whose value moved.
    """
    if not reports:
        return 0
    now = clock.now()
    user = actor.user if actor.is_authenticated else None
    by_year = defaultdict(list)
    for r in reports:
        by_year[r.year].append(r)
    moved = 0
    for year, group in by_year.items():
        indicators = rollup.indicators_for(year)
        wanted: list[tuple[Report, Indicator]] = [(r, i) for r in group for i in indicators if i.applies(r.kind)]
        by_source = defaultdict(list)
        for r, i in wanted:
            if i.source:
                by_source[i.source].append((r, i))
        with measures_batch():
            figures = {}
            for key, pairs in by_source.items():
                counted = measure_figures(
                    key, [{**i.source_filters, "organizations": list(r.scope), "year": year} for r, i in pairs]
                )
                figures.update({(r.pk, i.pk): fig for (r, i), fig in zip(pairs, counted, strict=True)})
        existing = {
            (v.report_id, v.indicator_id): v for v in Value.objects.filter(report__in=group, indicator__in=indicators)
        }
        new, updates, changes, shared = [], [], [], []
        for r, i in wanted:
            fig = figures.get((r.pk, i.pk))
            platform = _quantize(fig.value, i) if fig is not None else None
            v, old = existing.get((r.pk, i.pk)), None
            if v is None:
                # Every figure of the form exists as a row: the platform's count, or empty for the unit to fill.
                v = Value(report=r, indicator=i, value=platform, platform=platform)
                new.append(v)
                moved_now = platform is not None
            elif fig is None:
                continue
            else:
                moved_now = not v.changed and v.value != platform
                if moved_now or v.platform != platform:
                    old = v.value
                    v.value = platform if moved_now else v.value
                    v.platform = platform
                    updates.append(v)
            if moved_now:
                changes.append(ValueChange(report=r, indicator=i, old=old, new=platform,
                                           source=ValueSource.PLATFORM, reason="", by=user, at=now))  # fmt: skip
                moved += 1
            if fig is not None:
                shared.extend((v, s) for s in fig.shared)
        Value.objects.bulk_create(new, batch_size=2000)
        Value.objects.bulk_update(updates, ["value", "platform"], batch_size=500)
        SharedFigure.objects.filter(value__report__in=group).delete()
        SharedFigure.objects.bulk_create(
            [SharedFigure(value=v, key=s.key, weight=s.weight, lead=s.lead) for v, s in shared], batch_size=5000
        )
        ValueChange.objects.bulk_create(changes, batch_size=2000)
    Report.objects.filter(pk__in=[r.pk for r in reports]).update(prefilled_at=now)
    return moved


def _quantize(value: Decimal, indicator: Indicator) -> Decimal:
    places = Decimal(1) if indicator.value_type == ValueType.INTEGER else Decimal("0.01")
    return Decimal(value).quantize(places)


@transaction.atomic
def report_refresh(*, actor: Actor, report: Report) -> int:
    """Count the form's platform figures again (the records may have grown since it was opened)."""
    report = _lock(report)
    if report.level != ReportLevel.UNIT:
        raise StatisticsError(_("A district's table is counted from its units' forms."), code="not_a_unit_form")
    require(actor, ReportAction.EDIT, report)
    check_open(report)
    moved = prefill(actor=actor, reports=[report])
    log_action(actor, "kepu.statistics.report.refreshed", report, data={"moved": moved})
    return moved


# --- Figures the unit changes ------------------------------------------------------------------------
@dataclass
class Change:
    code: str
    value: Decimal | None


def parse_value(raw, indicator: Indicator) -> Decimal | None:
    """A figure as typed ("" is empty; 1,200 reads as 1200); refuses what a statistics form cannot hold."""
    if raw is None or str(raw).strip() == "":
        return None
    text = str(raw).strip().replace(",", "").replace("，", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise StatisticsError(
            _("%(label)s: enter a number.") % {"label": indicator.label},
            code="value_invalid",
            data={"field": indicator.code},
        ) from None
    if not value.is_finite() or value < 0 or value > MAX_VALUE:
        raise StatisticsError(
            _("%(label)s: enter a number from 0 upwards.") % {"label": indicator.label},
            code="value_invalid",
            data={"field": indicator.code},
        )
    if indicator.value_type == ValueType.INTEGER and value != value.to_integral_value():
        raise StatisticsError(
            _("%(label)s: enter a whole number.") % {"label": indicator.label},
            code="value_invalid",
            data={"field": indicator.code},
        )
    return _quantize(value, indicator)


@transaction.atomic
def values_set(*, actor: Actor, report: Report, values: dict, reason: str = "") -> list[str]:
    """Set figures of a unit's form: ``values`` maps indicator codes to what was typed. Returns the codes changed.

    A reason is required when a figure differs from what the platform counted, and when a figure
    already given is changed; a first entry of a figure the platform does not count needs none.
    All or nothing: one bad figure changes nothing.
    """
    report = _lock(report)
    if report.level != ReportLevel.UNIT:
        raise StatisticsError(_("A district's table is counted from its units' forms."), code="not_a_unit_form")
    require(actor, ReportAction.EDIT, report)
    check_open(report)
    reason = (reason or "").strip()[:500]
    rows = {
        v.indicator.code: v for v in Value.objects.select_for_update().filter(report=report).select_related("indicator")
    }
    unknown = sorted(set(values) - set(rows))
    if unknown:
        raise StatisticsError(
            _("This form has no figure %(codes)s.") % {"codes": ", ".join(unknown)}, code="indicator_unknown"
        )
    now = clock.now()
    changed = []
    for code, raw in values.items():
        v = rows[code]
        new = parse_value(raw, v.indicator)
        if new == v.value:
            continue
        needs_reason = (v.platform is not None and new != v.platform) or v.value is not None
        if needs_reason and len(reason) < 2:
            raise StatisticsError(
                _("Say why %(label)s is changed (at least two characters).") % {"label": v.indicator.label},
                code="reason_required",
                data={"field": "reason"},
            )
        ValueChange.objects.create(
            report=report, indicator=v.indicator, old=v.value, new=new, source=ValueSource.UNIT,
            reason=reason, by=actor.user, at=now,
        )  # fmt: skip
        v.value = new
        v.changed = v.platform is not None and new != v.platform
        v.updated_at, v.updated_by = now, actor.user
        v.save(update_fields=["value", "changed", "updated_at", "updated_by"])
        changed.append(code)
    if changed:
        log_action(actor, "kepu.statistics.values_changed", report, data={"codes": changed, "reason": reason})
    return changed


@transaction.atomic
def note_set(*, actor: Actor, report: Report, rule_key: str, text: str) -> RuleNote | None:
    """Explain a warning (or clear the explanation with an empty text)."""
    report = _lock(report)
    require(actor, ReportAction.EXPLAIN, report)
    check_open(report)
    text = (text or "").strip()[:1000]
    rule_key = (rule_key or "").strip()[:60]
    if not rule_key:
        raise StatisticsError(_("Which warning is explained?"), code="rule_unknown")
    if not text:
        RuleNote.objects.filter(report=report, rule_key=rule_key).delete()
        log_action(actor, "kepu.statistics.note_cleared", report, data={"rule": rule_key})
        return None
    if len(text) < 2:
        raise StatisticsError(_("Explain in a few words."), code="note_too_short", data={"field": "text"})
    note, _created = RuleNote.objects.update_or_create(
        report=report, rule_key=rule_key, defaults={"text": text, "by": actor.user, "at": clock.now()}
    )
    log_action(actor, "kepu.statistics.note_set", report, data={"rule": rule_key, "text": text})
    return note


def report_transition(*, actor: Actor, report: Report, action: str, reason: str = "") -> Report:
    """Move a form through the approval workflow (submit, recall, accept, send back)."""
    with transaction.atomic():
        _lock(report)  # the district's table before the form, as every write here
        return REPORT.run(actor=actor, obj=report, name=action, reason=reason)


# --- The dictionary ------------------------------------------------------------------------------------
@transaction.atomic
def edition_load(*, actor: Actor | None, content: bytes, source: str, audit: bool = True) -> Edition:
    """Load an edition file of the dictionary: all or nothing, every problem named.

    ``audit=False`` only for the edition that ships with the code, loaded when the database is created
    (nobody chose it, and the audit trail of a fresh database starts empty)."""
    if actor is not None and actor.is_authenticated and not can(actor, ReportAction.LOAD_EDITION, Report):
        raise NotAllowed()
    parsed = editions.read(content)
    if parsed.problems:
        raise EditionInvalid(
            _("The edition file has problems; nothing was loaded: %(problems)s")
            % {"problems": "; ".join(parsed.problems[:10])},
            data={"problems": parsed.problems},
        )
    user = actor.user if actor is not None and actor.is_authenticated else None
    edition = Edition.objects.create(
        name=parsed.name,
        source=source[:200],
        digest=parsed.digest,
        valid_from=parsed.valid_from,
        indicators=len(parsed.indicators),
        rules=len(parsed.rules),
        loaded_by=user,
    )
    tables = {}
    for t in parsed.tables:
        tables[t["code"]], _created = Table.objects.update_or_create(
            code=t["code"], defaults={k: v for k, v in t.items() if k != "code"}
        )
    used = set(Value.objects.values_list("indicator_id", flat=True).distinct())
    for row in parsed.indicators:
        data = {**row, "table": tables[row["table"]], "edition": edition}
        _close_earlier(Indicator, row["code"], row["valid_from"])
        current = Indicator.objects.filter(code=row["code"], valid_from=row["valid_from"]).first()
        if current is not None and current.pk in used:
            fixed = ("value_type", "aggregation", "source", "source_filters", "applies_to")
            if any(getattr(current, f) != data[f] for f in fixed):
                raise EditionInvalid(
                    _(
                        "Indicator %(code)s is already filed for %(year)s: its type, aggregation, source and kinds "
                        "cannot change. Give the new definition a later valid_from."
                    )
                    % {"code": row["code"], "year": row["valid_from"]}
                )
        data["valid_to"] = _until_later(Indicator, row["code"], row["valid_from"], row["valid_to"])
        Indicator.objects.update_or_create(code=row["code"], valid_from=row["valid_from"], defaults=data)
    for row in parsed.rules:
        _close_earlier(Rule, row["code"], row["valid_from"])
        valid_to = _until_later(Rule, row["code"], row["valid_from"], row["valid_to"])
        Rule.objects.update_or_create(
            code=row["code"], valid_from=row["valid_from"], defaults={**row, "valid_to": valid_to, "edition": edition}
        )
    if audit:
        log_action(
            actor,
            "kepu.statistics.edition_loaded",
            edition,
            data={"name": parsed.name, "indicators": len(parsed.indicators), "rules": len(parsed.rules)},
        )
    return edition


def _until_later(model, code: str, valid_from: int, valid_to: int | None) -> int | None:
    """The end of a definition loaded (again) from an older file: never past the year before a later definition
    of the same code begins, so reloading last year's file cannot reopen what a newer edition closed."""
    later = model.objects.filter(code=code, valid_from__gt=valid_from).order_by("valid_from").first()
    if later is None:
        return valid_to
    cap = later.valid_from - 1
    return cap if valid_to is None else min(valid_to, cap)


def _close_earlier(model, code: str, valid_from: int) -> None:
    """An earlier definition still open in ``valid_from`` ends the year before."""
    model.objects.filter(code=code, valid_from__lt=valid_from, valid_to__isnull=True).update(valid_to=valid_from - 1)
    model.objects.filter(code=code, valid_from__lt=valid_from, valid_to__gte=valid_from).update(valid_to=valid_from - 1)
