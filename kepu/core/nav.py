"""The navigation each role sees: apps register their entries here, templates only render them."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    roles: frozenset[str]
    order: int = 100
    hint: str | Promise = ""


_items: list[NavItem] = []


def register_nav(label, url_name: str, roles, order: int = 100, hint="") -> None:
    _items.append(NavItem(label, url_name, frozenset(roles), order, hint))


def nav_for(role: str | None) -> list[dict]:
    if role is None:
        return []
    return [
        {"label": item.label, "url": reverse(item.url_name), "hint": item.hint, "name": item.url_name}
        for item in sorted(_items, key=lambda i: (i.order, str(i.label)))
        if role in item.roles
    ]


# --- The resident's bottom tab bar (首页 · 活动 · 点单 · 我的) -----------------------------------
@dataclass(frozen=True)
class Tab:
    label: str | Promise
    url_name: str
    icon: str
    order: int = 100
    #: Paths under which this tab is the current one (its own URL when empty).
    prefixes: tuple[str, ...] = ()


_tabs: list[Tab] = []


def register_tab(label, url_name: str, *, icon: str, order: int = 100, prefixes: tuple[str, ...] = ()) -> None:
    """A tab of the bar residents see at the bottom of a phone screen (at the top on a desk)."""
    _tabs.append(Tab(label, url_name, icon, order, tuple(prefixes)))


def tabs_for(path: str) -> list[dict]:
    items = []
    for tab in sorted(_tabs, key=lambda t: t.order):
        url = reverse(tab.url_name)
        prefixes = tab.prefixes or (url,)
        items.append({"label": tab.label, "url": url, "icon": tab.icon, "name": tab.url_name, "prefixes": prefixes})
    # The longest matching prefix wins; "=/" matches that path only (首页 is "/", not everything under it).
    best = max(
        (
            (len(p), i)
            for i, item in enumerate(items)
            for p in item["prefixes"]
            if (path == p[1:] if p.startswith("=") else path.startswith(p))
        ),
        default=None,
    )
    for i, item in enumerate(items):
        item["current"] = best is not None and best[1] == i
    return items


# --- Counts shown beside a navigation entry (unread messages) --------------------------------------
_badges: dict[str, object] = {}


def register_badge(url_name: str, count) -> None:
    """``count(actor) -> int`` is shown beside the entry ``url_name`` (the inbox's unread messages)."""
    _badges[url_name] = count


def badges_for(actor) -> dict[str, int]:
    if actor is None or not actor.is_authenticated:
        return {}
    out = {}
    for url_name, count in _badges.items():
        n = count(actor)
        if n:
            out[url_name] = n
    return out
