"""The place picker: district → street/town → community/village, searchable, the person's own area first.

A form renders ``places/picker.html`` with a ``PlacePicker`` from ``picker()``; every change of a step
asks ``places:picker`` for the redrawn picker (htmx), so the later steps follow the earlier ones. The
chosen community is posted under the picker's ``prefix`` (the form field's name); ``in_scope()``
checks it. Reusable wherever a person picks a community (orders, sign-up, volunteers, activities).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from kepu.places.models import Place, PlaceLevel

MAX_FOUND = 20

#: The picker's legends, by key: the key travels with the picker's requests, never the words themselves.
LABELS = {
    "order": _("Which community is it for?"),
    "home": _("Your community or village"),
    "street": _("Home street or town"),
}


@dataclass
class PlacePicker:
    prefix: str
    within: str = ""  # code of the subtree one may choose in ("" = the whole city)
    home: str = ""  # code of the person's own community: listed first, marked
    level: str = PlaceLevel.COMMUNITY  # the level chosen (street for volunteers' home street)
    district: str = ""
    street: str = ""
    community: str = ""
    q: str = ""
    districts: list = field(default_factory=list)
    streets: list = field(default_factory=list)
    communities: list = field(default_factory=list)
    found: list = field(default_factory=list)  # (place, "district · street") pairs for a search
    chosen: Place | None = None
    home_path: str = ""
    label: str = ""  # a key of LABELS: the picker's legend

    @property
    def legend(self):
        return LABELS.get(self.label, "")

    @property
    def chosen_is_home(self) -> bool:
        return self.chosen is not None and bool(self.home_path) and self.home_path.startswith(self.chosen.path)

    @property
    def wants_street(self) -> bool:
        return self.level == PlaceLevel.STREET

    @property
    def value(self) -> str:
        return (self.street if self.wants_street else self.community) or ""


def _own_first(places, own_path: str):
    return sorted(places, key=lambda p: (not (own_path and own_path.startswith(p.path)), p.code))


def _scope_root(within: str) -> Place | None:
    return Place.objects.filter(code=within).first() if within else None


def in_scope(code: str, *, within: str = "", level: str = PlaceLevel.COMMUNITY) -> Place | None:
    """The place ``code`` if it is of ``level`` and inside ``within`` (a code), else None."""
    if not code:
        return None
    place = Place.objects.filter(code=code, level=level).first()
    root = _scope_root(within)
    if place is None or (root is not None and not place.path.startswith(root.path)):
        return None
    return place


def picker(
    prefix: str,
    *,
    within: str = "",
    home: str = "",
    level: str = PlaceLevel.COMMUNITY,
    district: str = "",
    street: str = "",
    community: str = "",
    q: str = "",
    changed: str = "",
    pick: str = "",
    label: str = "",
) -> PlacePicker:
    """The picker's state. ``changed`` names the step just changed: the steps after it start again.

    With nothing chosen yet, the person's own community (or street) is chosen and marked as theirs.
    """
    p = PlacePicker(prefix=prefix, within=within, home=home, level=level, q=(q or "").strip()[:20], label=label)
    root = _scope_root(within)
    home_place = Place.objects.filter(code=home).select_related("parent").first() if home else None
    p.home_path = home_place.path if home_place is not None else ""
    if changed == "district":
        street = community = ""
    elif changed == "street":
        community = ""
    wanted = pick or (street if level == PlaceLevel.STREET else community)
    if pick:
        district = street = ""
    if not wanted and not district and not street and not changed and home_place is not None:
        own = home_place if level == PlaceLevel.COMMUNITY or home_place.level == level else home_place.parent
        wanted = own.code if own is not None else ""
    chosen = in_scope(wanted, within=within, level=level)
    codes = chosen.path.strip("/").split("/") if chosen is not None else []  # city, district, street, community
    p.district = codes[1] if len(codes) > 1 else district
    p.street = codes[2] if len(codes) > 2 else street
    p.community = codes[3] if len(codes) > 3 else ""
    p.chosen = chosen
    if root is not None and root.level == PlaceLevel.DISTRICT:
        p.districts = [root]
        p.district = root.code
    else:
        p.districts = _own_first(Place.objects.filter(level=PlaceLevel.DISTRICT), p.home_path)
    if p.district:
        p.streets = _own_first(Place.objects.filter(level=PlaceLevel.STREET, parent__code=p.district), p.home_path)
    if p.street and level == PlaceLevel.COMMUNITY:
        p.communities = _own_first(Place.objects.filter(level=PlaceLevel.COMMUNITY, parent__code=p.street), p.home_path)
    if p.q:
        p.found = search(p.q, within=within, level=level)
    return p


def search(q: str, *, within: str = "", level: str = PlaceLevel.COMMUNITY) -> list[tuple[Place, str]]:
    """Places of ``level`` whose name contains ``q``, each with where it is (six 三合社区 are told apart)."""
    qs = Place.objects.filter(level=level, name__icontains=q)
    root = _scope_root(within)
    if root is not None:
        qs = qs.filter(path__startswith=root.path)
    places = list(qs.order_by("path")[:MAX_FOUND])
    parent_codes = {c for p in places for c in p.path.strip("/").split("/")[1:-1]}
    names = dict(Place.objects.filter(code__in=parent_codes).values_list("code", "name"))
    return [(p, " · ".join(names.get(c, "") for c in p.path.strip("/").split("/")[1:-1])) for p in places]


def from_request(
    params,
    prefix: str,
    *,
    within: str = "",
    home: str = "",
    level: str = PlaceLevel.COMMUNITY,
    changed: str = "",
    label: str = "",
) -> PlacePicker:
    """The picker as a form posted it (or as the picker view was asked for it)."""
    community_level = level == PlaceLevel.COMMUNITY
    return picker(
        prefix,
        within=within,
        home=home,
        level=level,
        district=params.get(f"{prefix}_district", ""),
        street=params.get(f"{prefix}_street" if community_level else prefix, ""),
        community=params.get(prefix, "") if community_level else "",
        q=params.get(f"{prefix}_q", ""),
        changed=changed,
        pick=params.get("pick", ""),
        label=label,
    )
