"""Figures this app offers to plan targets (``kepu.plans.measures``) and to statistics.

"Published" counts pieces (a corrected piece once, in the year of its first publication) that
were published and not taken back for review; "reach" is the people a push was sent to, "opened"
those who opened it from the push, "reads" the reads (a person once a day). Filters: ``place``
(a place code: the subtree of the piece's unit, or of the push's places, or of the reader's home),
``organization`` / ``organizations`` (the source unit: the statistics pass the organizations a form files
for, so a unit counts its own pieces only), ``population``, ``year``, ``date_from``, ``date_to``, and for
"published" ``kind`` (one kind, or a list: the survey's 新媒体作品 are articles, videos and audio together).
A piece has one source unit, so two forms never count the same piece: nothing is shared.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kepu.core.measures import UNIT_FILTERS, Record, RecordList, organization_ids
from kepu.resources.models import Kind, Push, Read, Resource, Status


def _path(filters) -> str | None:
    code = filters.get("place")
    if not code:
        return ""
    from kepu.places.selectors import place_by_code_or_none

    place = place_by_code_or_none(code)
    return place.path if place else None


def _dates(qs, field: str, filters):
    if filters.get("year"):
        qs = qs.filter(**{f"{field}__year": int(filters["year"])})
    if filters.get("date_from"):
        qs = qs.filter(**{f"{field}__gte": date.fromisoformat(str(filters["date_from"]))})
    if filters.get("date_to"):
        qs = qs.filter(**{f"{field}__lte": date.fromisoformat(str(filters["date_to"]))})
    return qs


def _published(filters: dict, kind=""):
    path = _path(filters)
    if path is None:
        return Resource.objects.none()
    qs = Resource.objects.filter(version=1, published_at__isnull=False).exclude(
        status__in=[Status.DRAFT, Status.SUBMITTED]
    )
    if path:
        qs = qs.filter(place_path__startswith=path)
    kinds = kind or filters.get("kind") or ""
    if kinds:
        qs = qs.filter(kind__in=[kinds] if isinstance(kinds, str) else list(kinds))
    units = organization_ids(filters)
    if units is not None:
        qs = qs.filter(source_unit_id__in=units)
    if filters.get("population"):
        qs = qs.filter(populations__contains=f",{filters['population']},")
    return _dates(qs, "published_at__date", filters)


def published(filters: dict, kind: str = "") -> Decimal:
    return Decimal(_published(filters, kind).count())


def _published_records(kind: str = ""):
    """The pieces counted, each once (its first version: the page shows the piece as it is now)."""

    def records(filters: dict) -> RecordList:
        qs = _published(filters, kind).select_related("source_unit").order_by("published_at", "pk")

        def row(r) -> Record:
            return Record(
                key=f"resources.resource:{r.lineage_id}",
                label=r.title,
                when=r.published_at,
                who=r.source_unit.display_name if r.source_unit_id else "",
                url=reverse("resources:detail", args=[r.pk]),
                note=str(r.get_kind_display()),
            )

        return RecordList(qs, row)

    return records


def _pushes(filters):
    path = _path(filters)
    if path is None:
        return Push.objects.none()
    qs = Push.objects.all()
    if path:
        qs = qs.filter(place_path__startswith=path)
    units = organization_ids(filters)
    if units is not None:
        qs = qs.filter(resource__source_unit_id__in=units)
    if filters.get("population"):
        qs = qs.filter(targets__population=filters["population"]).distinct()
    return _dates(qs, "created_at__date", filters)


def reach(filters: dict) -> Decimal:
    return Decimal(sum(_pushes(filters).values_list("sent", flat=True)))


def opened(filters: dict) -> Decimal:
    return Decimal(sum(_pushes(filters).values_list("opened", flat=True)))


def reads(filters: dict) -> Decimal:
    path = _path(filters)
    if path is None:
        return Decimal(0)
    qs = Read.objects.all()
    if path:
        qs = qs.filter(place_path__startswith=path)
    units = organization_ids(filters)
    if units is not None:
        qs = qs.filter(resource__source_unit_id__in=units)
    return Decimal(_dates(qs, "day", filters).count())


def _url(filters) -> str:
    query = {k: filters[k] for k in ("place", "year") if filters.get(k)}
    return reverse("resources:figures") + (f"?{urlencode(query)}" if query else "")


def register() -> bool:
    try:
        from kepu.core.measures import register_measure
    except ImportError:
        return False
    register_measure(
        "resources.published",
        _("Science resources published"),
        "种",
        published,
        _url,
        filters=UNIT_FILTERS | {"kind", "population"},
        records=_published_records(),
    )
    for value, label in Kind.choices:
        register_measure(
            f"resources.published.{value}",
            _("Science resources published: %(kind)s") % {"kind": label},
            "种",
            lambda filters, kind=value: published(filters, kind),
            _url,
            filters=UNIT_FILTERS | {"population"},
            records=_published_records(value),
        )
    register_measure("resources.reach", _("People reached by pushed science resources"), "人次", reach, _url)
    register_measure("resources.opened", _("Pushed science resources opened"), "人次", opened, _url)
    register_measure("resources.reads", _("Science resources read"), "人次", reads, _url)
    return True
