"""Opening a year, pre-filling, correcting with reasons, explaining warnings, locks and approval."""

from decimal import Decimal

import pytest

from kepu.core.errors import NotAllowed
from kepu.core.workflow import TooEarly, WrongState
from kepu.statistics import rollup, selectors, services
from kepu.statistics.models import FilerKind, ReportStatus, RuleNote, Value, ValueChange, ValueSource
from kepu.statistics.tests.factories import YEAR, district_table, filer_staff, fill_empty, held_activity, open_year

pytestmark = pytest.mark.django_db


def value(report, code):
    return Value.objects.get(report=report, indicator__code=code)


def test_opening_the_year_gives_every_reporting_unit_a_form_over_its_own_records(world, late, dictionary):
    a = world.a
    forms = open_year(a)
    assert set(forms) == {a.office.pk, a.unit.pk, a.unit2.pk, a.street_office.pk, a.street2_office.pk, a.base.pk}
    assert forms[a.office.pk].kind == FilerKind.DISTRICT_OFFICE
    # Communities and the school count with their street; the district-level team with the district office.
    street_committees = {c.pk for c in a.committees if c.place.parent_id == a.streets[0].pk}
    assert set(forms[a.street_office.pk].scope) == {a.street_office.pk, a.school.pk} | street_committees
    assert set(forms[a.office.pk].scope) == {a.office.pk, a.team.pk}
    assert district_table(a).status == ReportStatus.DRAFT
    # Another district's office opens nothing here.
    with pytest.raises(NotAllowed):
        services.year_open(actor=world.b.admin, district=a.place, year=YEAR)
    with pytest.raises(NotAllowed):
        services.year_open(actor=a.unit_staff, district=a.place, year=YEAR)


def test_the_platform_fills_what_it_counted_and_links_each_figure_to_its_records(world, late, dictionary):
    a = world.a
    held_activity(a.unit_staff, kind="lecture", walk_ins=[30])
    held_activity(a.unit_staff, kind="lecture", sessions=2, walk_ins=[10, 15])
    held_activity(a.community_staff, kind="exhibition", walk_ins=[40])  # a community: the street's form
    forms = open_year(a)
    unit, street = forms[a.unit.pk], forms[a.street_office.pk]
    assert (value(unit, "A01").value, value(unit, "A02").value) == (3, 55)
    assert (value(street, "A03").value, value(street, "A04").value) == (1, 40)
    assert value(unit, "A03").value == 0 and value(unit, "P01").value is None  # counted zero / not the platform's
    records = selectors.figure_records(unit, selectors.indicator_of(unit, "A02"))
    assert len(records) == 3 and sum(r.weight for r in records[0:10]) == 55
    history = ValueChange.objects.filter(report=unit, indicator__code="A02").get()
    assert (history.source, history.old, history.new) == (ValueSource.PLATFORM, None, Decimal(55))


def test_a_correction_needs_a_reason_and_is_kept_with_who_and_when(world, late, dictionary):
    a = world.a
    held_activity(a.unit_staff, kind="lecture", walk_ins=[30])
    unit = open_year(a)[a.unit.pk]
    # A first entry of a figure the platform does not count needs no reason.
    services.values_set(actor=a.unit_staff, report=unit, values={"P01": "8"})
    with pytest.raises(services.StatisticsError) as exc:
        services.values_set(actor=a.unit_staff, report=unit, values={"P01": "9"})
    assert exc.value.code == "reason_required"
    with pytest.raises(services.StatisticsError) as exc:
        services.values_set(actor=a.unit_staff, report=unit, values={"A02": "1,200"})
    assert exc.value.code == "reason_required" and value(unit, "A02").value == 30
    services.values_set(actor=a.unit_staff, report=unit, values={"A02": "1,200"}, reason="线下讲座未在平台签到")
    v = value(unit, "A02")
    assert (v.value, v.platform, v.changed) == (1200, 30, True)
    change = ValueChange.objects.filter(report=unit, indicator__code="A02", source=ValueSource.UNIT).get()
    assert (change.old, change.new, change.by, change.reason) == (30, 1200, a.unit_staff.user, "线下讲座未在平台签到")
    # Counting again moves the platform's figure beside the unit's, never over it.
    held_activity(a.unit_staff, kind="lecture", walk_ins=[5], day=200)
    services.report_refresh(actor=a.unit_staff, report=unit)
    v = value(unit, "A02")
    assert (v.value, v.platform) == (1200, 35)
    assert value(unit, "A01").value == 2  # unchanged ones follow the platform


@pytest.mark.parametrize("raw", ["abc", "-1", "1.5", "1e400"])
def test_bad_input_changes_nothing(world, late, dictionary, raw):
    a = world.a
    unit = open_year(a)[a.unit.pk]
    with pytest.raises(services.StatisticsError) as exc:
        services.values_set(actor=a.unit_staff, report=unit, values={"P08": "5", "P01": raw})
    assert exc.value.code == "value_invalid"
    assert value(unit, "P08").value is None and not ValueChange.objects.filter(source=ValueSource.UNIT).exists()


def test_only_the_units_own_staff_change_its_form(world, late, dictionary):
    a = world.a
    forms = open_year(a)
    for outsider in (a.unit2.pk and world.b.unit_staff, a.street_staff, a.admin, world.city_admin):
        with pytest.raises(NotAllowed):
            services.values_set(actor=outsider, report=forms[a.unit.pk], values={"P01": "1"})


def test_submission_waits_for_every_figure_no_error_and_every_warning_explained(world, late, dictionary):
    a = world.a
    unit = open_year(a)[a.unit.pk]
    with pytest.raises(TooEarly) as exc:
        services.report_transition(actor=a.unit_staff, report=unit, action="submit")
    assert "not filled in" in str(exc.value.message) or "未填写" in str(exc.value.message)
    fill_empty(unit, a.unit_staff)
    services.values_set(actor=a.unit_staff, report=unit, values={"P01": 2, "P03": 3}, reason="补录")
    check = selectors.form_check(unit)
    assert [v.key for v in check.errors] == ["R02"]
    with pytest.raises(TooEarly):
        services.report_transition(actor=a.unit_staff, report=unit, action="submit")
    services.values_set(actor=a.unit_staff, report=unit, values={"P03": 1}, reason="更正")
    services.report_transition(actor=a.unit_staff, report=unit, action="submit")
    unit.refresh_from_db()
    assert unit.status == ReportStatus.SUBMITTED and unit.submitted_by == a.unit_staff.user


def test_a_warning_is_explained_before_submission(world, late, dictionary):
    a = world.a
    last = open_year(a, YEAR - 1)[a.unit.pk]
    fill_empty(last, a.unit_staff)
    services.values_set(actor=a.unit_staff, report=last, values={"P08": 10}, reason="去年")
    this = open_year(a)[a.unit.pk]
    fill_empty(this, a.unit_staff)
    services.values_set(actor=a.unit_staff, report=this, values={"P08": 30}, reason="今年")
    assert [v.key for v in selectors.form_check(this).unexplained] == ["Y01:P08"]
    with pytest.raises(TooEarly):
        services.report_transition(actor=a.unit_staff, report=this, action="submit")
    services.note_set(actor=a.unit_staff, report=this, rule_key="Y01:P08", text="新招募了一批兼职讲解员")
    assert RuleNote.objects.get(report=this).by == a.unit_staff.user
    services.report_transition(actor=a.unit_staff, report=this, action="submit")


def test_approval_locks_and_only_the_level_above_unlocks(world, late, dictionary):
    a = world.a
    forms = open_year(a)
    staff = filer_staff(a)
    for org_id, report in forms.items():
        fill_empty(report, staff[org_id])
        services.report_transition(actor=staff[org_id], report=report, action="submit")
    unit = forms[a.unit.pk]
    with pytest.raises(services.Locked):
        services.values_set(actor=a.unit_staff, report=unit, values={"P01": 1}, reason="改")
    table = district_table(a)
    with pytest.raises(TooEarly):  # not every form below is accepted yet
        services.report_transition(actor=a.admin, report=table, action="submit")
    for report in forms.values():
        services.report_transition(actor=a.admin, report=report, action="accept")
    services.report_transition(actor=a.admin, report=table, action="submit")
    # The district's table is with the city: nobody sends a form below it back, nothing below changes.
    with pytest.raises(WrongState):
        services.report_transition(actor=a.admin, report=unit, action="send_back", reason="再核对")
    services.report_transition(actor=world.city_admin, report=table, action="accept")
    unit.refresh_from_db()
    assert unit.status == ReportStatus.REPORTED
    with pytest.raises(NotAllowed):  # the district cannot take back what the city accepted
        services.report_transition(actor=a.admin, report=table, action="send_back", reason="再核对")
    services.report_transition(actor=world.city_admin, report=table, action="send_back", reason="卫健委讲座人次请核对")
    unit.refresh_from_db()
    assert unit.status == ReportStatus.ACCEPTED
    services.report_transition(actor=a.admin, report=unit, action="send_back", reason="讲座人次请核对")
    unit.refresh_from_db()
    assert (unit.status, unit.return_reason) == (ReportStatus.RETURNED, "讲座人次请核对")
    services.values_set(actor=a.unit_staff, report=unit, values={"A02": 10}, reason="核对后更正")


def test_the_district_counts_a_co_hosted_activity_once_for_its_lead(world, late, dictionary):
    a = world.a
    held_activity(a.unit_staff, kind="lecture", walk_ins=[30], co_hosts=[a.street_office])
    held_activity(a.street_staff, kind="lecture", walk_ins=[20])
    forms = open_year(a)
    assert value(forms[a.unit.pk], "A02").value == 30
    assert value(forms[a.street_office.pk], "A02").value == 50
    table = rollup.table_of(selectors.unit_reports(district_table(a)), YEAR)
    line = table.by_code["A02"]
    assert (line.units_sum, line.removed, line.total, line.records) == (80, 30, 50, 1)
    assert table.by_code["A01"].total == 2 and table.removed_records == 2
