"""Property-based: after any sequence of actions on any orders, the roll-up equals a recomputation.

Random people try random steps on several orders of two districts, the deadline watch escalates
late orders and the rating window closes unrated ones, at random moments; after every step the
roll-up table must hold exactly what aggregating the orders gives (day and month rows), so the
three rates are right whatever path an order took (re-dispatch, hand-back, decline, grab,
cancel, escalation, closing unrated …).
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from kepu.core import clock
from kepu.core.errors import DomainError
from kepu.orders import rollup, services, workflow
from kepu.orders.models import Order
from kepu.orders.tests.factories import place_order
from kepu.orders.tests.test_workflow_properties import ACTIONS, _payload

pytestmark = pytest.mark.django_db


def test_the_roll_up_equals_a_recomputation_after_random_actions(oworld):
    people = []
    for key in ("a", "b"):
        d = getattr(oworld, key)
        people += [
            d.resident,
            d.community_staff,
            d.street_staff,
            d.admin,
            d.unit_staff,
            d.unit2_staff,
            d.team_staff,
            d.team2_staff,
            d.expert,
        ]
    actions_seen: set[str] = set()

    class RollupMachine(RuleBasedStateMachine):
        @initialize()
        def start(self):
            self.orders = []
            self.clock = timezone.now()
            self.place(0)

        @rule(district=st.integers(0, 1))
        def place(self, district):
            d = oworld.a if district == 0 else oworld.b
            if len(self.orders) < 4:
                self.orders.append((place_order(d.resident).pk, d))

        @rule(
            which=st.integers(0, 3),
            pick=st.integers(0, 10_000),
            reason=st.booleans(),
            unit=st.sampled_from(["unit", "unit2"]),
            grab=st.booleans(),
        )
        def act_as_someone_who_may(self, which, pick, reason, unit, grab):
            pk, d = self.orders[which % len(self.orders)]
            order = Order.objects.get(pk=pk)
            with clock.frozen_at(self.clock):
                pairs = [(p, t.name) for p in people for t in workflow.available(p, order)]
            if grab:  # steer towards the pool now and then, or grabs would be rare
                pairs = [pair for pair in pairs if pair[1] in ("post_to_pool", "grab")] or pairs
            if pairs:
                actor, action = pairs[pick % len(pairs)]
                self._try(actor, action, pk, d, reason, unit)

        @rule(pick=st.integers(0, 10_000))
        def push_the_first_order_along(self, pick):
            """Steers one order down the main line, so that walks reach delivery and rating."""
            pk, d = self.orders[0]
            order = Order.objects.get(pk=pk)
            with clock.frozen_at(self.clock):
                pairs = [(p, t.name) for p in people for t in workflow.available(p, order) if not t.negative]
            if pairs:
                actor, action = pairs[pick % len(pairs)]
                self._try(actor, action, pk, d, True, "unit")

        @rule(which=st.integers(0, 3), who=st.integers(0, len(people) - 1), action=st.sampled_from(ACTIONS))
        def act_at_random(self, which, who, action):
            pk, d = self.orders[which % len(self.orders)]
            self._try(people[who], action, pk, d, True, "unit2")

        @rule(days=st.integers(1, 12))
        def time_passes(self, days):
            self.clock += timedelta(days=days)
            if services.escalate_overdue(now=self.clock):
                actions_seen.add("escalate")
            if services.close_unrated(now=self.clock)[1]:
                actions_seen.add("close_unrated")

        def _try(self, actor, action, pk, d, reason, unit):
            if action == "redispatch":  # to the other unit, or it would only ever be refused
                unit = "unit2" if Order.objects.get(pk=pk).unit_id == d.unit.pk else "unit"
            try:
                # Everything happens at the walk's own time, so a service scheduled now can be delivered
                # once time has passed (never before it begins).
                with clock.frozen_at(self.clock):
                    services.order_transition(
                        actor=actor,
                        order=pk,
                        action=action,
                        **_payload(d, action, reason, getattr(d, unit), self.clock),
                    )
                actions_seen.add(action)
            except DomainError:
                pass

        @invariant()
        def rollup_is_exact(self):
            assert rollup.stored() == rollup.recompute()

    run_state_machine_as_test(
        RollupMachine,
        settings=settings(
            max_examples=10,
            stateful_step_count=40,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
    # The walks got down the main line, so the invariant was checked where counters move. Which side paths
    # a walk takes depends on the day it runs (deadlines count working days), so each of them is walked for
    # certain by the test below.
    assert {"dispatch", "claim", "schedule", "deliver"} <= actions_seen, actions_seen


def test_every_path_that_moves_counters_keeps_the_roll_up_exact(oworld):
    a = oworld.a
    T = services.order_transition
    seen = []

    def check(label):
        seen.append(label)
        assert rollup.stored() == rollup.recompute(), label

    o = place_order(a.resident)
    check("place")
    T(actor=a.community_staff, order=o, action="dispatch", unit_id=a.unit.pk)
    check("dispatch")
    T(actor=a.unit_staff, order=o, action="hand_back", reason="不对口")
    check("hand back from dispatched")
    T(actor=a.community_staff, order=o, action="dispatch", unit_id=a.unit2.pk)
    T(actor=a.unit2_staff, order=o, action="claim")
    check("claim")
    T(actor=a.unit2_staff, order=o, action="hand_back", reason="人手不足")
    check("hand back from claimed")
    T(actor=a.street_staff, order=o, action="dispatch", unit_id=a.unit.pk)
    T(actor=a.unit_staff, order=o, action="claim")
    T(actor=a.unit_staff, order=o, action="pass_on", provider_id=a.team.pk)
    check("pass on")
    T(actor=a.team_staff, order=o, action="decline", reason="时间冲突")
    check("decline")
    T(actor=a.unit_staff, order=o, action="post_to_pool")
    T(actor=a.team2_staff, order=o, action="grab")
    check("grab")
    services.escalate_overdue(now=timezone.now() + timedelta(days=30))
    check("escalate")
    T(actor=a.resident, order=o, action="cancel", reason="不需要了")
    check("cancel")
    assert selectors_total(a) == 1


def selectors_total(d):
    from kepu.orders.selectors import rate_figures

    return rate_figures(actor=d.admin)["overall"]["total"]


def test_the_rebuild_command_repairs_a_broken_roll_up(oworld):
    from django.core.management import call_command

    from kepu.orders.models import OrderRollup
    from kepu.orders.tests.factories import advance

    advance(place_order(oworld.a.resident), oworld.a, "rate")
    place_order(oworld.b.resident)
    good = rollup.stored()
    OrderRollup.objects.filter(grain="month").update(total=99)
    with pytest.raises(SystemExit):
        call_command("rebuild_order_rollup", "--check")
    call_command("rebuild_order_rollup")
    assert rollup.stored() == good == rollup.recompute()
    call_command("rebuild_order_rollup", "--check")
