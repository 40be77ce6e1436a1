"""Factories: bases, applications and reviews are built through the services, as people build them."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from kepu.bases import services
from kepu.bases.models import Application, ScoreSheet, SheetStatus
from kepu.bases.standards import NATIONAL_TYPES, ensure_rubrics
from kepu.core import clock
from kepu.core.actor import Actor
from kepu.core.roles import Role

HOURS = {str(d): [["09:00", "12:00"], ["13:30", "16:30"]] for d in range(7)}


def reference_data() -> None:
    """Rubrics and national types come from a data migration, which a transactional test's flush undoes."""
    from kepu.bases.models import NationalType

    year = timezone.localdate(clock.now()).year
    for y in (year - 1, year, year + 1):
        ensure_rubrics(y)
    for slug, name, order in NATIONAL_TYPES:
        NationalType.objects.get_or_create(slug=slug, defaults={"name": name, "order": order})


def pdf(name="申报书") -> ContentFile:
    return ContentFile(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", name=f"{name}.pdf")


def png() -> ContentFile:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 6), "#0b4ea2").save(out, format="PNG")
    return ContentFile(out.getvalue(), name="photo.png")


def experts(d, n=4, *, district=None, prefix="专家") -> list[Actor]:
    """``n`` experts of the library with accounts (they score on the platform), members of ``d``'s office."""
    from kepu.accounts.tests.factories import person
    from kepu.volunteers.tests.factories import ExpertFactory

    out = []
    for i in range(n):
        actor = person(d.office, Role.EXPERT)
        ExpertFactory(user=actor.user, name=f"{prefix}{i}", district=district or d.place, affiliation=f"研究院{i}")
        out.append(actor)
    return out


def base_for(d, *, actor=None, hours=True, **profile):
    """A base of district ``d``'s science-base organization, registered by its staff, with hours set."""
    actor = actor or d.base_staff
    values = dict(
        name=profile.pop("name", f"{d.base.name}展馆"),
        category="venue",
        place=d.streets[0],
        address="科普路1号",
        latitude=Decimal("39.73"),
        longitude=Decimal("116.34"),
        exhibition_area=3000,
        open_days_per_year=300,
        student_policy="free",
        student_days_per_year=300,
        guides=10,
        themes=["astronomy"],
        populations=["youth"],
    )
    values.update(profile)
    base = services.base_register(actor=actor, organization=actor.organization, **values)
    if hours:
        base = services.base_update(actor=actor, base=base, hours=HOURS, slot_minutes=60, slot_capacity=20)
    return base


def full_scores(app_or_review, points=None) -> dict:
    items = list(app_or_review.rubric.items.all())
    points = points or [i.weight - 3 for i in items]
    data = {f"item_{i.pk}": str(p) for i, p in zip(items, points, strict=True)}
    data["comment"] = "好"
    return data


def _step(actor, app, name, **data):
    reason = data.pop("reason", "")
    return services.application_transition(actor=actor, application=app, action=name, data=data, reason=reason)


#: The main line's steps, and who makes each (see ``advance``).
STEPS = ("submit", "accept", "score", "to_inspection", "inspect", "certify", "confirm")


def start(d, base=None) -> Application:
    base = base or base_for(d)
    app = services.application_start(actor=d.base_staff, base=base)
    services.application_update(actor=d.base_staff, application=app, statement="常年开放。", visitors_declared=20000)
    services.material_add(actor=d.base_staff, application=app, kind="form", upload=pdf())
    services.material_add(actor=d.base_staff, application=app, kind="venue", upload=pdf("场地"))
    return app


def advance(app: Application, d, until: str, expert_actors=()) -> Application:
    """Take ``app`` along the main line up to and including step ``until``.

    The steps before the confirmation happen ten days ago, so that the notice has run by now and a
    confirmed title starts today (as it would for an office confirming after the notice).
    """
    now = clock.now()
    with clock.frozen_at(now - timedelta(days=10) if until == "confirm" else now):
        app = _advance(app, d, until, expert_actors, now)
    app.refresh_from_db()
    return app


def _advance(app, d, until, expert_actors, now):
    office = d.admin if app.level == "district" else None
    for name in STEPS:
        if name == "submit":
            app = _step(d.base_staff, app, "submit")
        elif name == "accept":
            app = _step(office, app, "accept", experts=3)
        elif name == "score":
            by_user = {e.user.pk: e for e in expert_actors}
            for sheet in ScoreSheet.objects.filter(application=app, status=SheetStatus.PENDING):
                services.sheet_submit(actor=by_user[sheet.scorer_id], sheet=sheet, data=full_scores(app))
        elif name == "to_inspection":
            app = _step(office, app, "to_inspection")
        elif name == "inspect":
            app = _step(
                office,
                app,
                "inspect",
                inspected_on=timezone.localdate(clock.now()).isoformat(),
                inspectors="李",
                findings="合格",
                passed="yes",
            )
        elif name == "certify":
            app = _step(office, app, "certify", notice_days=7, term_years=3)
        elif name == "confirm":
            with clock.frozen_at(now):
                app = _step(office, app, "confirm")
        if name == until:
            break
    return app


def certified_base(d, expert_actors, **profile):
    app = advance(start(d, base_for(d, **profile)), d, "confirm", expert_actors)
    app.base.refresh_from_db()
    return app.base


def days(n: int) -> date:
    return timezone.localdate(clock.now()) + timedelta(days=n)
