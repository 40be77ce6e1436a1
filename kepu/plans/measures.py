"""The measure registry: numbers the platform computes from its own records, for live targets.

A target bound to a measure (``Target.measure_key`` + ``Target.measure_filters``) takes its
current value from here instead of from what units report. Each app registers the measures
it can compute from its own tables in its ``apps.ready()``; plans never reads their tables.

Contract for a measure:

* ``compute(filters) -> Decimal``: the value for ``filters``, a dict with any of
  ``place`` (a place code: everything in that subtree), ``organization`` (an id),
  ``theme`` (e.g. "全国科普日" or a theme-day code), ``population`` (a population tag),
  ``year`` (int), ``date_from`` / ``date_to`` (ISO dates). A measure ignores filters it does
  not understand and never raises for them; it must not depend on who asks (targets are
  the same for everybody who may see them).
* ``records_url(filters) -> str``: a link to the records behind the number (a list page
  with the same filters), or "" when there is no such page.

Registered here: the ones the foundation can compute (people registered as residents and
as volunteers by place, organizations by place). Activities held (场), person-times served
(人次), orders completed and trainings given come with the activities, orders and
volunteers apps, which call ``register_measure`` themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit: str
    compute: Callable[[dict], Decimal]
    records_url: Callable[[dict], str]


_registry: dict[str, Measure] = {}


def register_measure(key: str, label, unit: str, compute: Callable[[dict], Decimal],
                     records_url: Callable[[dict], str] | None = None) -> Measure:
    """Add (or replace, for the same key) a measure. ``label`` may be a lazy translation."""
    measure = Measure(key, label, unit, compute, records_url or (lambda filters: ""))
    _registry[key] = measure
    return measure


_filter_options: dict[str, Callable[[], list[tuple[str, str]]]] = {}


def register_filter_options(name: str, options: Callable[[], list[tuple[str, str]]]) -> None:
    """Offer the values a filter may take (e.g. ``theme``: the theme days), as ``[(value, label), …]``.

    The binding form shows them as a list to pick from, and ``target_bind`` refuses any other value.
    A filter nobody registered options for is not offered.
    """
    _filter_options[name] = options


def filter_options(name: str) -> list[tuple[str, str]] | None:
    options = _filter_options.get(name)
    return list(options()) if options else None


def unregister_measure(key: str) -> None:
    """Remove a measure (tests register fakes and remove them again)."""
    _registry.pop(key, None)


def get_measure(key: str) -> Measure | None:
    return _registry.get(key)


def measures() -> list[Measure]:
    return sorted(_registry.values(), key=lambda m: m.key)


def compute_measure(key: str, filters: dict | None) -> Decimal | None:
    """The measure's value for ``filters``, or None if no such measure is registered (yet)."""
    measure = get_measure(key)
    if measure is None:
        return None
    return Decimal(measure.compute(dict(filters or {})))


def measure_records_url(key: str, filters: dict | None) -> str:
    measure = get_measure(key)
    return measure.records_url(dict(filters or {})) if measure else ""


# --- Measures the foundation can compute ---------------------------------------------------
def _place_q(filters: dict, path_field: str):
    """A filter on a place subtree from ``filters['place']`` (a place code)."""
    from django.db.models import Q

    from kepu.places.models import Place

    code = filters.get("place")
    if not code:
        return Q()
    place = Place.objects.filter(code=str(code)).only("path").first()
    if place is None:
        return Q(pk__in=[])
    return Q(**{f"{path_field}__startswith": place.path})


def _residents(filters: dict) -> Decimal:
    from kepu.accounts.models import User
    from kepu.core.roles import Role

    qs = User.objects.filter(memberships__role=Role.RESIDENT, memberships__is_active=True).filter(
        _place_q(filters, "memberships__organization__place__path")
    )
    if filters.get("year"):
        qs = qs.filter(date_joined__year=int(filters["year"]))
    return Decimal(qs.distinct().count())


def _volunteers(filters: dict) -> Decimal:
    from kepu.accounts.models import Membership
    from kepu.core.roles import Role

    qs = Membership.objects.filter(role=Role.VOLUNTEER, is_active=True).filter(
        _place_q(filters, "organization__place__path")
    )
    if filters.get("organization"):
        qs = qs.filter(organization_id=filters["organization"])
    if filters.get("year"):
        qs = qs.filter(created_at__year=int(filters["year"]))
    return Decimal(qs.values("user_id").distinct().count())


def _organizations(filters: dict) -> Decimal:
    from kepu.orgs.models import Organization

    qs = Organization.objects.filter(is_active=True).filter(_place_q(filters, "place__path"))
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    return Decimal(qs.count())


def _people_url(role: str):
    def url(filters: dict) -> str:
        return reverse("accounts:people") + "?" + urlencode({"role": role})

    return url


def _orgs_url(filters: dict) -> str:
    query = {"kind": filters.get("kind", "")}
    return reverse("orgs:list") + "?" + urlencode(query)


def register_foundation_measures() -> None:
    from django.utils.translation import gettext_lazy as _

    register_measure("people.residents", _("Residents registered"), "人", _residents, _people_url("resident"))
    register_measure("people.volunteers", _("Volunteers registered"), "人", _volunteers, _people_url("volunteer"))
    register_measure("orgs.organizations", _("Number of organizations"), "个", _organizations, _orgs_url)

    from kepu.core.populations import Population

    register_filter_options("population", lambda: [(str(v), str(label)) for v, label in Population.choices])
