"""Ranking candidates for an order: units when dispatching, organizations and experts when passing on.

Each candidate gets a score from the topic, the distance, the current open load, past
ratings and (for providers) availability in the wanted period, and the reasons behind it,
so that the person choosing sees why one is above another.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Avg, Count, Q, Sum
from django.utils.translation import gettext as _

from kepu.core.roles import Role
from kepu.orders import workflow
from kepu.orders.models import Order, OrderStatus, TopicUnit
from kepu.orgs.choices import OrgKind
from kepu.orgs.selectors import organizations_of_kind

S = OrderStatus


@dataclass
class Candidate:
    kind: str  # "unit", "provider" or "expert"
    pk: int
    name: str
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)

    def add(self, points: float, reason: str) -> None:
        self.score += points
        self.reasons.append(reason)

    @property
    def why(self) -> str:
        """The reasons as one sentence in the current language (、 between them in Chinese)."""
        from django.utils.translation import gettext

        return gettext("; ").join(self.reasons)


def _load_and_rating(field_name: str, ids: list[int]) -> dict[int, dict]:
    """Open orders and past ratings of each candidate: units and organizations from the roll-up
    (their whole history is a few rows a month), experts from their orders (there are few)."""
    from kepu.orders.models import OrderRollup, RollupGrain

    if not ids:
        return {}
    if field_name in ("unit_id", "provider_id"):
        rows = (
            OrderRollup.objects.filter(grain=RollupGrain.MONTH, **{f"{field_name}__in": ids})
            .order_by()
            .values(field_name)
            .annotate(open=Sum("open"), rated=Sum("rated"), rating_sum=Sum("rating_sum"))
        )
        return {
            r[field_name]: {
                "open": r["open"],
                "rated": r["rated"],
                "avg": r["rating_sum"] / r["rated"] if r["rated"] else None,
            }
            for r in rows
        }
    rows = (
        Order.objects.filter(**{f"{field_name}__in": ids})
        .values(field_name)
        .annotate(open=Count("pk", filter=Q(status__in=workflow.OPEN_STATES)), avg=Avg("rating"), rated=Count("rating"))
    )
    return {r[field_name]: r for r in rows}


def _load_points(c: Candidate, stats: dict) -> None:
    n = stats.get("open", 0) if stats else 0
    c.add(-min(n, 20) * 1.5, _("%(n)s open orders now") % {"n": n})
    if stats and stats.get("rated"):
        avg = stats["avg"]
        c.add((avg - 3) * 8, _("average rating %(avg).1f from %(n)s orders") % {"avg": avg, "n": stats["rated"]})
    else:
        c.add(0, _("no ratings yet"))


RECENT_DAYS = 30


def _recent_on_time(ids: list[int]) -> dict[int, tuple[int, int]]:
    """``{unit id: (claimed on time, routed)}`` over the orders of the last 30 days (day rows of the roll-up)."""
    from datetime import timedelta

    from django.utils import timezone

    from kepu.orders.models import OrderRollup, RollupGrain

    if not ids:
        return {}
    since = timezone.localdate() - timedelta(days=RECENT_DAYS)
    rows = (
        OrderRollup.objects.filter(grain=RollupGrain.DAY, period__gte=since, unit_id__in=ids)
        .order_by()
        .values("unit_id")
        .annotate(on_time=Sum("on_time"), routed=Sum("routed"))
    )
    return {r["unit_id"]: (r["on_time"] or 0, r["routed"] or 0) for r in rows}


def _on_time_points(c: Candidate, on_time: int, routed: int) -> None:
    if routed:
        rate = on_time / routed
        c.add((rate - 0.8) * 20, _("claimed %(rate)s%% on time in the last 30 days") % {"rate": round(100 * rate)})
    else:
        c.add(0, _("no orders in the last 30 days"))


def rank_units(order: Order) -> list[Candidate]:
    """Member units of the order's district, best first, each with its reasons in words (no bare score)."""
    units = list(organizations_of_kind(OrgKind.MEMBER_UNIT, place_id=order.district_id))
    default = (
        TopicUnit.objects.filter(district_id=order.district_id, topic=order.topic)
        .values_list("unit_id", flat=True)
        .first()
    )
    ids = [u.pk for u in units]
    stats = _load_and_rating("unit_id", ids)
    recent = _recent_on_time(ids)
    out = []
    for unit in units:
        c = Candidate("unit", unit.pk, unit.display_name)
        if unit.pk == default:
            c.add(60, _("in charge of this topic in the district"))
        elif order.topic in (unit.topics or []):
            c.add(40, _("works in this topic"))
        else:
            c.add(0, _("not in this topic"))
        _on_time_points(c, *recent.get(unit.pk, (0, 0)))
        _load_points(c, stats.get(unit.pk))
        out.append(c)
    return sorted(out, key=lambda c: (-c.score, c.name))


def _distance(c: Candidate, place_path: str, order: Order) -> None:
    if order.community and place_path == order.community.path:
        c.add(30, _("in the same community"))
    elif place_path == order.street.path or (
        order.community
        and order.community.path.startswith(place_path)
        and place_path.count("/") >= order.street.path.count("/")
    ):
        c.add(20, _("in the same street"))
    elif order.place_path.startswith(place_path):
        c.add(10, _("in the same district"))


def _busy(field_name: str, ids: list[int], order: Order) -> dict[int, int]:
    rows = (
        Order.objects.filter(**{f"{field_name}__in": ids}, status__in=(S.ACCEPTED, S.SCHEDULED))
        .filter(
            Q(scheduled_for__date__range=(order.preferred_from, order.preferred_to))
            | Q(
                scheduled_for__isnull=True,
                preferred_from__lte=order.preferred_to,
                preferred_to__gte=order.preferred_from,
            )
        )
        .values(field_name)
        .annotate(n=Count("pk"))
    )
    return {r[field_name]: r["n"] for r in rows}


def rank_providers(order: Order) -> list[Candidate]:
    from kepu.accounts.selectors import memberships

    orgs = list(organizations_of_kind(OrgKind.VOLUNTEER_ORG, place_paths=_ancestor_paths(order.place_path)))
    experts = list(
        memberships(role=Role.EXPERT, place_paths=_ancestor_paths(order.place_path)).select_related(
            "user", "organization__place"
        )
    )
    org_stats = _load_and_rating("provider_id", [o.pk for o in orgs])
    expert_stats = _load_and_rating("expert_id", [m.user_id for m in experts])
    org_busy = _busy("provider_id", [o.pk for o in orgs], order)
    expert_busy = _busy("expert_id", [m.user_id for m in experts], order)
    out = []
    for org in orgs:
        c = Candidate("provider", org.pk, org.display_name)
        if order.topic in (org.topics or []):
            c.add(40, _("works in this topic"))
        _distance(c, org.place.path, order)
        _load_points(c, org_stats.get(org.pk))
        _availability(c, org_busy.get(org.pk, 0))
        out.append(c)
    for m in experts:
        c = Candidate("expert", m.user_id, m.user.get_display_name())
        if m.title:
            c.add(5, _("expert: %(title)s") % {"title": m.title})
        _distance(c, m.organization.place.path, order)
        _load_points(c, expert_stats.get(m.user_id))
        _availability(c, expert_busy.get(m.user_id, 0))
        out.append(c)
    return sorted(out, key=lambda c: (-c.score, c.name))


def _availability(c: Candidate, busy: int) -> None:
    if busy >= 2:
        c.add(-15, _("busy in the wanted period (%(n)s services)") % {"n": busy})
    elif busy:
        c.add(-5, _("one other service in the wanted period"))
    else:
        c.add(10, _("free in the wanted period"))


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["".join(f"{p}/" for p in parts[: i + 1]) for i in range(len(parts))]
