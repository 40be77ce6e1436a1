"""A person's own data across the apps (PIPL): what "My data" downloads, and what erasure clears.

Each app that keeps personal data registers, in its ``ready()``:

* ``register_exporter(key, export)``: ``export(user)`` returns JSON-ready data about that person from
  the app's own tables (through its selectors), or None when there is nothing;
* ``register_eraser(key, erase)``: ``erase(actor, user)`` clears what identifies the person in the app
  (through the app's own services), before accounts closes and anonymizes the account itself.

Core never reads another app's tables; it calls what the apps registered.
"""

from __future__ import annotations

from collections.abc import Callable

_exporters: dict[str, Callable] = {}
_erasers: dict[str, Callable] = {}


def register_exporter(key: str, export: Callable) -> None:
    _exporters[key] = export


def register_eraser(key: str, erase: Callable) -> None:
    _erasers[key] = erase


def export_all(user) -> dict:
    out = {}
    for key, export in sorted(_exporters.items()):
        data = export(user)
        if data:
            out[key] = data
    return out


def erasers() -> list[tuple[str, Callable]]:
    return sorted(_erasers.items())
