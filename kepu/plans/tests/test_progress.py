"""The progress arithmetic, checked over many generated cases."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kepu.plans.progress import (
    Status,
    expected_progress,
    target_met,
    target_ratio,
    task_progress,
    task_status,
    weighted_progress,
)

progress = st.decimals(min_value=0, max_value=1, places=3)
weight = st.decimals(min_value=0, max_value=100, places=2)
children = st.lists(st.tuples(weight, progress), min_size=1, max_size=12)


@given(children)
def test_parent_lies_between_its_weighted_childrens_extremes(pairs):
    result = weighted_progress(pairs)
    counted = [p for w, p in pairs if w > 0]
    if not counted:
        assert result == 0
    else:
        assert min(counted) - Decimal("1e-20") <= result <= max(counted) + Decimal("1e-20")


@given(children, st.decimals(min_value=Decimal("0.01"), max_value=1000, places=2))
def test_scaling_every_weight_changes_nothing(pairs, factor):
    scaled = [(w * factor, p) for w, p in pairs]
    assert abs(weighted_progress(pairs) - weighted_progress(scaled)) < Decimal("1e-15")


@given(st.lists(progress, min_size=1, max_size=12))
def test_equal_weights_give_the_mean(values):
    result = weighted_progress([(Decimal("1"), p) for p in values])
    assert abs(result - sum(values) / len(values)) < Decimal("1e-20")


@given(children, progress)
def test_a_better_child_never_lowers_the_parent(pairs, better):
    w, p = pairs[0]
    if better < p:
        return
    assert weighted_progress([(w, better), *pairs[1:]]) >= weighted_progress(pairs)


def test_weight_zero_children_do_not_count():
    assert weighted_progress([(Decimal(0), Decimal(1)), (Decimal(2), Decimal("0.5"))]) == Decimal("0.5")


@given(
    st.sampled_from(["≥", ">", "≈", "="]),
    st.decimals(min_value=1, max_value=10**6, places=2),
    st.decimals(min_value=0, max_value=10**7, places=2),
)
def test_ratio_is_a_share_and_met_means_full(comparator, quantity, current):
    ratio = target_ratio(comparator, quantity, current)
    assert 0 <= ratio <= 1
    if comparator in ("≥", "=") and target_met(comparator, quantity, current):
        assert ratio == 1


def test_upper_bounds_and_unknown_values():
    assert target_ratio("≤", Decimal(10), None) == 0
    assert target_ratio("≤", Decimal(10), Decimal(8)) == 1
    assert target_ratio("<", Decimal(10), Decimal(10)) == 0
    assert target_met("≈", Decimal(100), Decimal(96))
    assert not target_met("≈", Decimal(100), Decimal(94))


def test_task_progress_uses_targets_before_percent():
    assert task_progress([Decimal("0.5"), Decimal("1")], Decimal(10)) == Decimal("0.75")
    assert task_progress([], Decimal(40)) == Decimal("0.4")
    assert task_progress([], None) == 0


@given(st.integers(min_value=0, max_value=400))
def test_expected_progress_is_monotone(days):
    start, deadline = date(2026, 1, 1), date(2026, 12, 31)
    a = expected_progress(start, deadline, start + timedelta(days=days))
    b = expected_progress(start, deadline, start + timedelta(days=days + 1))
    assert 0 <= a <= b <= 1


def test_statuses():
    kw = {"deadline": date(2026, 12, 31), "start": date(2026, 1, 1), "report_interval_days": 90, "is_live": False}
    assert task_status(progress=Decimal(1), today=date(2027, 1, 5), last_report=None, **kw) == Status.DONE
    assert task_status(progress=Decimal("0.9"), today=date(2027, 1, 5), last_report=None, **kw) == Status.OVERDUE
    assert task_status(progress=Decimal(0), today=date(2026, 3, 1), last_report=None, **kw) == Status.NOT_REPORTED
    assert (
        task_status(progress=Decimal("0.1"), today=date(2026, 9, 1), last_report=date(2026, 8, 1), **kw)
        == Status.AT_RISK
    )
    assert (
        task_status(progress=Decimal("0.6"), today=date(2026, 9, 1), last_report=date(2026, 8, 1), **kw)
        == Status.ON_TRACK
    )
    assert (
        task_status(progress=Decimal("0.6"), today=date(2026, 9, 1), last_report=date(2026, 3, 1), **kw)
        == Status.NOT_REPORTED
    )
