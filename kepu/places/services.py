"""Writes to the place tree."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.errors import DomainError
from kepu.core.permissions import can, require
from kepu.places.models import LEVEL_DEPTH, PARENT_LEVEL, Place, PlaceLevel
from kepu.places.permissions import PlaceAction

#: A code is one segment of the materialized path of every place below it: no "/" nor spaces.
CODE_RE = re.compile(r"[0-9A-Za-z_-]{1,20}")
NAME_MAX = Place._meta.get_field("name").max_length


def _invalid(code: str, name: str) -> str | None:
    """Why a place with this code and name cannot be stored, or None."""
    if not code or not name:
        return _("code and name are required")
    if not CODE_RE.fullmatch(code):
        return _("code %(code)s may hold only letters, digits, - and _, 20 at most") % {"code": code}
    if len(name) > NAME_MAX:
        return _("the name is longer than %(max)d characters") % {"max": NAME_MAX}
    return None


def _path_for(parent: Place | None, code: str) -> str:
    return f"{parent.path if parent else ''}{code}/"


def _district_code(parent: Place | None, level: str, code: str) -> str:
    if level == PlaceLevel.DISTRICT:
        return code
    if parent is None or level == PlaceLevel.CITY:
        return ""
    return parent.district_code


def _check_level(parent: Place | None, level: str) -> None:
    expected = PARENT_LEVEL.get(level)
    if expected is None and parent is not None:
        raise DomainError(_("A city has no parent place."), code="place_level")
    if expected is not None and (parent is None or parent.level != expected):
        raise DomainError(
            _("A %(level)s must sit under a %(parent)s.")
            % {"level": PlaceLevel(level).label, "parent": PlaceLevel(expected).label},
            code="place_level",
        )


@transaction.atomic
def place_create(*, actor: Actor, parent: Place | None, code: str, name: str, level: str, official=True) -> Place:
    if parent is not None:
        require(actor, PlaceAction.ADD_CHILD, parent)
    else:
        require(actor, PlaceAction.ADD_CHILD, Place(path=""))
    _check_level(parent, level)
    code, name = (code or "").strip(), (name or "").strip()
    problem = _invalid(code, name)
    if problem:
        raise DomainError(problem, code="place_invalid")
    if Place.objects.filter(code=code).exists():
        raise DomainError(_("A place with code %(code)s exists already.") % {"code": code}, code="place_exists")
    place = Place.objects.create(
        code=code,
        name=name,
        level=level,
        parent=parent,
        official=official,
        path=_path_for(parent, code),
        district_code=_district_code(parent, level, code),
    )
    log_action(actor, "kepu.places.created", place)
    return place


@dataclass
class RowError:
    line: int
    message: str


class ImportRejected(DomainError):
    code = "import_rejected"

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(_("%(count)d rows have errors; nothing was imported.") % {"count": len(errors)})


def bulk_import_rows(rows: list[dict], *, actor: Actor | None = None, system: bool = False) -> int:
    """Import places (code, parent_code, name, level) all or nothing; return how many were new.

    Rows may come in any order as long as each parent is either in the file or already in
    the database. Existing codes are updated in name only, so a re-import is harmless.
    ``system=True`` is the platform's own import (the shipped tree, the seed); otherwise every
    row must lie in ``actor``'s area, and a root only the city may add.
    """
    errors: list[RowError] = []
    existing = {p.code: p for p in Place.objects.all()}
    pending = {}
    for i, row in enumerate(rows, start=2):
        code = (row.get("code") or "").strip()
        name = (row.get("name") or "").strip()
        level = (row.get("level") or "").strip()
        parent_code = (row.get("parent_code") or "").strip()
        problem = _invalid(code, name)
        if problem:
            errors.append(RowError(i, problem))
            continue
        if level not in PlaceLevel.values:
            errors.append(RowError(i, _("unknown level %(level)s") % {"level": level}))
            continue
        if code in pending:
            errors.append(RowError(i, _("code %(code)s appears twice") % {"code": code}))
            continue
        pending[code] = (i, parent_code, name, level, (row.get("official", "1") or "1").strip() not in {"0", "false"})
    # Resolve parents in depth order so every parent exists before its children.
    created = 0
    ordered = sorted(pending.items(), key=lambda kv: LEVEL_DEPTH.get(kv[1][3], 9))
    if errors:
        raise ImportRejected(errors)
    with transaction.atomic():
        for code, (line, parent_code, name, level, official) in ordered:
            parent = existing.get(parent_code) if parent_code else None
            if parent_code and parent is None:
                errors.append(RowError(line, _("parent %(code)s not found") % {"code": parent_code}))
                continue
            try:
                _check_level(parent, level)
            except DomainError as exc:
                errors.append(RowError(line, str(exc.message)))
                continue
            # Without the system's say-so every row needs an actor entitled to it (a root: the city only).
            if not system and not can(actor or Actor(), PlaceAction.ADD_CHILD, parent or Place(path="")):
                errors.append(RowError(line, _("outside your area")))
                continue
            place = existing.get(code)
            if place is not None:
                if place.name != name:
                    place.name = name
                    place.save(update_fields=["name"])
                continue
            place = Place.objects.create(
                code=code,
                name=name,
                level=level,
                parent=parent,
                official=official,
                path=_path_for(parent, code),
                district_code=_district_code(parent, level, code),
            )
            existing[code] = place
            created += 1
        if errors:
            errors.sort(key=lambda e: e.line)
            transaction.set_rollback(True)
            raise ImportRejected(errors)
        if actor is not None:
            log_action(actor, "kepu.places.imported", None, data={"created": created, "rows": len(rows)})
    return created


def import_csv(text: str, **kwargs) -> int:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    return bulk_import_rows(list(reader), **kwargs)
