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
