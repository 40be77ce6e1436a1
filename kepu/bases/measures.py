"""Figures this app offers to plan targets and statistics (``kepu.plans.measures``).

* ``bases.certified`` and ``bases.certified.<level>``: bases holding a title on the day the filters end
  (the end of ``year`` or ``date_to``; today otherwise), in the ``place`` subtree;
* ``bases.open_days``: days with visit slots at those bases in the period, summed over bases;
* ``bases.visitors``: visitors checked in or walking in at their visit slots in the period (人次).

Filters: ``place``, ``organization`` / ``organizations`` (the host organizations: the statistics pass
the organizations a form files for, so a unit counts its own bases only), ``year``, ``date_from``,
``date_to``. A base has one host, so two forms never count the same base: nothing is shared.

Open days and visitors are the activities engine's records of the bases' venues, read through its selectors;
a city's year is half a million slots, so the totals are kept ten minutes (``TOTALS_CACHE_SECONDS``). The
statistics count a district's forms in one batch: one grouped query for all its bases (``figures``), and each
figure lists its bases with their own open days or visitors (``records``).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from kepu.bases.models import IN_FORCE, Base, Level
from kepu.core import clock
from kepu.core.measures import UNIT_FILTERS, Figure, Record, RecordList, memo, organization_ids


def _period(filters: dict) -> tuple[date, date]:
    today = timezone.localdate(clock.now())
    if filters.get("year"):
        year = int(filters["year"])
        first, last = date(year, 1, 1), date(year, 12, 31)
    else:
        first, last = date(today.year, 1, 1), today
    if filters.get("date_from"):
        first = date.fromisoformat(str(filters["date_from"]))
    if filters.get("date_to"):
        last = date.fromisoformat(str(filters["date_to"]))
    return first, min(last, today)


def _bases(filters: dict, *, first: date, last: date):
    """Bases whose term overlaps the period (held the title at some time in it), in the place asked for."""
    from django.core.exceptions import ObjectDoesNotExist

    from kepu.places.selectors import place_by_code

    qs = Base.objects.filter(term_start__lte=last, term_end__gte=first).exclude(standing="new")
    code = filters.get("place")
    if code:
        try:
            qs = qs.filter(place_path__startswith=place_by_code(str(code)).path)
        except ObjectDoesNotExist:  # an unknown place: nothing there
            qs = qs.none()
    hosts = organization_ids(filters)
    if hosts is not None:
        qs = qs.filter(organization_id__in=hosts)
    return qs


def certified(level: str | None):
    def compute(filters: dict) -> Decimal:
        _first, last = _period(filters)
        qs = _bases(filters, first=last, last=last).filter(standing__in=IN_FORCE)
        if level:
            qs = qs.filter(level=level)
        return Decimal(qs.count())

    return compute


#: Open days and visitors of a whole city's year read half a million slots: a plan's page reuses them this long.
TOTALS_CACHE_SECONDS = 600


def _visit_totals(filters: dict) -> dict:
    from django.core.cache import cache

    from kepu.activities.selectors import venue_visit_totals

    first, last = _period(filters)
    hosts = organization_ids(filters)
    # A form's scope can be hundreds of organizations: the key names them by a digest.
    who = "-" if hosts is None else hashlib.sha256(",".join(map(str, hosts)).encode()).hexdigest()[:16]
    key = f"kepu.bases.measure:{filters.get('place') or '-'}:{who}:{first}:{last}"
    totals = cache.get(key)
    if totals is None:
        venues = _bases(filters, first=first, last=last).filter(~Q(venue=None)).values_list("venue_id", flat=True)
        totals = venue_visit_totals(list(venues), first, last, clock.now())
        cache.set(key, totals, TOTALS_CACHE_SECONDS)
    return totals


def open_days(filters: dict) -> Decimal:
    return Decimal(_visit_totals(filters)["open_days"])


def visitors(filters: dict) -> Decimal:
    return Decimal(_visit_totals(filters)["visitors"])


def _context(filters: dict) -> tuple:
    return tuple(filters.get(k) or "" for k in ("place", "year", "date_from", "date_to"))


def _by_host(context: tuple, hosts: tuple[int, ...]) -> dict[int, dict]:
    """host organization -> {"open_days", "visitors"} summed over its bases, for ``hosts`` in one go."""
    from kepu.activities.selectors import venue_visit_by_venue

    filters = dict(zip(("place", "year", "date_from", "date_to"), context, strict=True))
    first, last = _period(filters)
    bases = _bases({**filters, "organizations": list(hosts)}, first=first, last=last).filter(~Q(venue=None))
    venue_host = dict(bases.values_list("venue_id", "organization_id"))
    per_venue = venue_visit_by_venue(list(venue_host), first, last, clock.now())
    out: dict[int, dict] = defaultdict(lambda: {"open_days": 0, "visitors": 0})
    for venue, figures in per_venue.items():
        for k in ("open_days", "visitors"):
            out[venue_host[venue]][k] += figures[k]
    return dict(out)


def _figures(filters_list: list[dict], what: str) -> list[Figure]:
    """Many forms' figures: one grouped query per period for all the organizations asked about (inside the
    statistics' batch, open days and visitors share it)."""
    wanted: dict[tuple, set[int]] = defaultdict(set)
    for f in filters_list:
        hosts = organization_ids(f)
        if hosts is not None:
            wanted[_context(f)].update(hosts)
    data = {}
    for context, ids in wanted.items():
        hosts = tuple(sorted(ids))
        data[context] = memo(("bases.by_host", context, hosts), lambda c=context, h=hosts: _by_host(c, h))
    out = []
    for f in filters_list:
        hosts = organization_ids(f)
        if hosts is None:
            out.append(Figure(Decimal(_visit_totals(f)[what])))
            continue
        rows = data[_context(f)]
        out.append(Figure(Decimal(sum(rows.get(h, {}).get(what, 0) for h in set(hosts)))))
    return out


def _records(what: str):
    """The bases behind the figure, each weighing its own open days or visitors in the period."""

    def records(filters: dict) -> RecordList:
        from kepu.activities.selectors import venue_visit_figures

        first, last = _period(filters)
        qs = _bases(filters, first=first, last=last).filter(~Q(venue=None)).select_related("organization")
        until = clock.now()

        def row(base) -> Record:
            figures = venue_visit_figures(base.venue_id, first, last, until)
            return Record(
                key=f"bases.base:{base.pk}",
                label=base.name,
                who=base.organization.display_name,
                weight=Decimal(figures[what]),
                url=reverse("bases:detail", args=[base.pk]),
            )

        return RecordList(qs.order_by("name", "pk"), row)

    return records


def records_url(filters: dict) -> str:
    query = {"district": filters.get("place", "")} if filters.get("place") else {}
    return reverse("bases:list") + ("?" + urlencode(query) if query else "")


def register() -> bool:
    try:
        from kepu.core.measures import register_measure
    except ImportError:
        return False
    from django.utils.translation import gettext_lazy as _

    register_measure("bases.certified", _("Science bases certified"), "个", certified(None), records_url)
    register_measure(
        "bases.certified.district",
        _("Science bases certified at district level"),
        "个",
        certified(Level.DISTRICT),
        records_url,
    )
    register_measure(
        "bases.certified.city", _("Science bases certified at city level"), "个", certified(Level.CITY), records_url
    )
    register_measure(
        "bases.certified.national", _("National science bases"), "个", certified(Level.NATIONAL), records_url
    )
    for key, label, unit, compute, what in (
        ("bases.open_days", _("Open days at science bases"), "天", open_days, "open_days"),
        ("bases.visitors", _("Visitors at science bases"), "人次", visitors, "visitors"),
    ):
        register_measure(
            key,
            label,
            unit,
            compute,
            records_url,
            filters=UNIT_FILTERS,
            records=_records(what),
            figures=lambda fl, w=what: _figures(fl, w),
        )
    return True
