"""Every write about science bases: profile, applications and their workflow, expert draws and sheets,
objections, annual reviews and spot checks, the standing a base holds, and its term running out.

Workflow steps go through ``application_transition`` / ``review_transition``, which run the machines of
``kepu.bases.workflow`` with this module's hooks (history row, notices to the next party). What a step
does to the base itself (its level, term and certificate; rectification; revocation and the closing of
its bookings) is done here, inside the same transaction, with the base's row locked.
"""

from __future__ import annotations

import random
import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu.accounts.selectors import people_in_area, staff_of
from kepu.activities import selectors as activity_selectors
from kepu.activities import services as activity_services
from kepu.bases import rubric, uploads, workflow
from kepu.bases.models import (
    IN_FORCE,
    LEVEL_RANK,
    AnnualReview,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Base,
    BasePhoto,
    Category,
    Conflict,
    ExpertDraw,
    InspectionPhoto,
    Level,
    Material,
    MaterialKind,
    NationalType,
    Objection,
    ReviewEvent,
    ReviewStatus,
    Rubric,
    Score,
    ScoreSheet,
    SheetStatus,
    SpotCheckDraw,
    Standing,
    StudentPolicy,
    Theme,
    tags_to_text,
)
from kepu.bases.permissions import (
    HOST_ROLES,
    BaseAction,
    ConflictAction,
    ReviewAction,
    SheetAction,
    hosts,
    office_for,
    review_level,
    runs,
)
from kepu.core import clock
from kepu.core.actor import SYSTEM, Actor
from kepu.core.audit import log_action
from kepu.core.errors import Conflict as Clash
from kepu.core.errors import DomainError, NotAllowed
from kepu.core.permissions import require
from kepu.core.populations import Population
from kepu.core.roles import Role
from kepu.core.workflow import Step
from kepu.notifications.services import notify
from kepu.places.selectors import PlaceLevel
from kepu.volunteers import selectors as volunteer_selectors


class BaseError(DomainError):
    code = "base_invalid"


def _today() -> date:
    return timezone.localdate(clock.now())


def _lock(base: Base) -> Base:
    return Base.objects.select_for_update().get(pk=base.pk)


# --- People to tell ----------------------------------------------------------------------------
def _district_path(path: str) -> str:
    return "/".join(path.split("/")[:2]) + "/"


def _city_path(path: str) -> str:
    return path.split("/")[0] + "/"


def office_people(base: Base, level: str) -> list:
    """The staff of the office that certifies and reviews ``base`` at ``level``."""
    role = office_for(level)
    path = _district_path(base.place_path) if role == Role.DISTRICT_ADMIN else _city_path(base.place_path)
    return [m.user for m in people_in_area(role, [path])]


def host_people(base: Base) -> list:
    return staff_of([base.organization_id], HOST_ROLES)


def _tell(people, title: str, body: str, url: str, kind: str) -> None:
    if people:
        notify(people, title=title, body=body, url=url, kind=kind)


# --- The base ------------------------------------------------------------------------------------
PROFILE_FIELDS = (
    "name",
    "category",
    "national_type",
    "place",
    "address",
    "latitude",
    "longitude",
    "exhibition_area",
    "open_days_per_year",
    "hours_note",
    "student_policy",
    "student_days_per_year",
    "student_note",
    "staff_full_time",
    "staff_part_time",
    "guides",
    "themes",
    "populations",
    "summary",
    "description",
    "phone",
    "website",
)


def _clean_profile(values: dict) -> dict:
    out = {}
    for key, value in values.items():
        if key not in PROFILE_FIELDS:
            raise BaseError(_("Unknown field: %(name)s.") % {"name": key}, code="field_unknown")
        if key == "themes":
            if any(v not in Theme.values for v in value or []):
                raise BaseError(_("Choose themes from the list."), code="theme_invalid")
            value = tags_to_text(value)
        elif key == "populations":
            if any(v not in Population.values for v in value or []):
                raise BaseError(_("Choose populations from the list."), code="population_invalid")
            value = tags_to_text(value)
        elif key == "category" and value not in Category.values:
            raise BaseError(_("Choose a category."), code="category_invalid")
        elif key == "student_policy" and value and value not in StudentPolicy.values:
            raise BaseError(_("Choose a student concession."), code="student_policy_invalid")
        elif isinstance(value, str):
            value = value.strip()
        out[key] = value
    if (
        "place" in out
        and out["place"] is not None
        and out["place"].level not in (PlaceLevel.STREET, PlaceLevel.COMMUNITY)
    ):
        raise BaseError(_("Choose the street or community where the base is."), code="place_invalid")
    return out


def _check_place(actor: Actor, organization, place) -> None:
    """A base lies in its host organization's district (the district office certifies it)."""
    if place.district_code != organization.place.district_code and organization.place.level != PlaceLevel.CITY:
        raise BaseError(_("A base lies in the district of its host organization."), code="place_outside")


@transaction.atomic
def base_register(*, actor: Actor, organization, **values) -> Base:
    """Staff of an organization register its science base (the first step before applying)."""
    values = _clean_profile(values)
    base = Base(organization=organization, created_by=actor.user, **values)
    require(actor, BaseAction.HOST, base)
    if not base.name:
        raise BaseError(_("Give the base a name."), code="name_required")
    if base.place_id is None:
        raise BaseError(_("Choose the street or community where the base is."), code="place_invalid")
    _check_place(actor, organization, base.place)
    base.full_clean(exclude=["organization", "venue"])
    base.save()
    log_action(actor, "kepu.bases.base.registered", base)
    return base


@transaction.atomic
def base_update(
    *, actor: Actor, base: Base, hours: dict | None = None, slot_minutes=None, slot_capacity=None, **values
) -> Base:
    """Change the profile; weekly hours and visit slots go to the base's venue in the activities engine."""
    base = _lock(base)
    require(actor, BaseAction.CHANGE, base)
    values = _clean_profile(values)
    if "place" in values:
        _check_place(actor, base.organization, values["place"])
    for key, value in values.items():
        setattr(base, key, value)
    base.full_clean(exclude=["organization", "venue"])
    base.save()
    if hours is not None:
        if base.venue_id is None:
            venue = activity_services.venue_create(
                actor=actor,
                organization=base.organization,
                place=base.place,
                name=base.name,
                address=base.address,
                opening_hours=hours,
                slot_minutes=slot_minutes or 60,
                slot_capacity=slot_capacity or 30,
            )
            base.venue = venue
            base.save(update_fields=["venue", "updated_at"])
        else:
            activity_services.venue_update(
                actor=actor,
                venue=base.venue,
                name=base.name,
                address=base.address,
                opening_hours=hours,
                slot_minutes=slot_minutes,
                slot_capacity=slot_capacity,
            )
    log_action(actor, "kepu.bases.base.updated", base, data={"fields": sorted(values) + (["hours"] if hours else [])})
    return base


@transaction.atomic
def base_photos_add(*, actor: Actor, base: Base, photos, caption: str = "") -> list[BasePhoto]:
    base = _lock(base)
    require(actor, BaseAction.CHANGE, base)
    checked = uploads.check_photos(photos, already=base.photos.count())
    saved = []
    for upload, ext in checked:
        photo = BasePhoto(base=base, caption=caption.strip()[:120], uploaded_by=actor.user)
        uploads.save_as(photo.image, upload, ext)
        photo.save()
        saved.append(photo)
    log_action(actor, "kepu.bases.base.photos_added", base, data={"count": len(saved)})
    return saved


@transaction.atomic
def base_record_national(
    *, actor: Actor, base: Base, national_type: NationalType, term_start: date, term_end: date, note: str = ""
) -> Base:
    """The city office records a national title (全国科普教育基地) that the national association conferred."""
    base = _lock(base)
    require(actor, BaseAction.RECORD_NATIONAL, base)
    if term_end < term_start:
        raise BaseError(_("The title's term must end after it starts."), code="term_invalid")
    base.national_type = national_type
    base.level = Level.NATIONAL
    base.standing = Standing.CERTIFIED
    base.term_start, base.term_end = term_start, term_end
    base.save()
    log_action(actor, "kepu.bases.base.national_recorded", base, data={"type": national_type.slug, "note": note[:300]})
    _reopen_booking(base)
    return base


# --- Applications ------------------------------------------------------------------------------------
def rubric_for(level: str, year: int) -> Rubric:
    found = Rubric.objects.filter(level=level, year=year).first()
    if found is None:
        raise BaseError(
            _("There is no rubric for %(level)s in %(year)s yet; the office must set one up.")
            % {"level": Level(level).label, "year": year},
            code="rubric_missing",
        )
    return found


@transaction.atomic
def application_start(*, actor: Actor, base: Base) -> Application:
    """The base starts an application at district level (a city one comes from the district's recommendation)."""
    base = _lock(base)
    require(actor, BaseAction.APPLY, base)
    if base.standing in IN_FORCE and base.term_end and base.term_end >= _today():
        raise BaseError(_("This base is already certified."), code="already_certified")
    year = _today().year
    app = Application(
        base=base,
        level=Level.DISTRICT,
        year=year,
        rubric=rubric_for(Level.DISTRICT, year),
        office_path=_district_path(base.place_path),
        visitors_declared=None,
    )
    try:
        with transaction.atomic():
            app.save()
    except IntegrityError:
        raise Clash(_("This base already has an application under way."), code="application_open") from None
    _event(app, "start", "", app.status, actor, "")
    log_action(actor, "kepu.bases.application.started", app, place=base.place)
    return app


@transaction.atomic
def application_update(
    *, actor: Actor, application: Application, statement: str, visitors_declared: int | None
) -> Application:
    app = Application.objects.select_for_update().get(pk=application.pk)
    if not (hosts(actor, app.base) and app.status in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED)):
        raise NotAllowed()
    app.statement = (statement or "").strip()[:8000]
    app.visitors_declared = visitors_declared
    app.save(update_fields=["statement", "visitors_declared", "updated_at"])
    log_action(actor, "kepu.bases.application.updated", app, place=app.base.place)
    return app


@transaction.atomic
def material_add(*, actor: Actor, application: Application, kind: str, upload, name: str = "") -> Material:
    app = Application.objects.select_for_update().get(pk=application.pk)
    if not (hosts(actor, app.base) and app.status in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED)):
        raise NotAllowed()
    if kind not in MaterialKind.values:
        raise BaseError(_("Choose what the file is."), code="material_kind")
    ext = uploads.check_material(upload)
    material = Material(
        application=app,
        kind=kind,
        name=(name or getattr(upload, "name", "") or MaterialKind(kind).label)[:120],
        uploaded_by=actor.user,
    )
    uploads.save_as(material.file, upload, ext)
    material.save()
    log_action(actor, "kepu.bases.application.material_added", app, place=app.base.place, data={"kind": kind})
    return material


@transaction.atomic
def material_remove(*, actor: Actor, material: Material) -> None:
    app = Application.objects.select_for_update().get(pk=material.application_id)
    if not (hosts(actor, app.base) and app.status in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED)):
        raise NotAllowed()
    log_action(
        actor, "kepu.bases.application.material_removed", app, place=app.base.place, data={"kind": material.kind}
    )
    material.delete()


def declared_snapshot(app: Application) -> dict:
    """What the base declares on submitting: its profile's figures and the application's own."""
    base = app.base
    return {
        "area": base.exhibition_area,
        "open_days": base.open_days_per_year,
        "visitors": app.visitors_declared,
        "student_days": base.student_days_per_year,
        "student_policy": base.student_policy,
        "guides": base.guides,
        "staff_full_time": base.staff_full_time,
        "staff_part_time": base.staff_part_time,
    }


def _event(app: Application, action: str, from_status: str, to_status: str, actor: Actor, reason: str) -> None:
    user = actor.user if actor.is_authenticated else None
    ApplicationEvent.objects.create(
        application=app,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=user,
        actor_name=user.get_display_name() if user else "",
        role=actor.role or "",
        reason=reason,
        at=clock.now(),
    )


def _after_application(step: Step) -> None:
    app = step.obj
    _event(app, step.transition.name, step.from_state, step.to_state, step.actor, step.reason)
    url = reverse("bases:application", args=[app.pk])
    name, label = app.base.name, str(step.transition.label)
    if step.transition.name in ("submit", "resubmit"):
        _tell(
            office_people(app.base, app.level),
            _("%(base)s applies for certification") % {"base": name},
            "",
            url,
            "kepu.bases.application",
        )
    elif step.transition.name in ("return", "refuse", "certify", "confirm", "accept", "inspect"):
        body = step.reason or ""
        _tell(
            host_people(app.base),
            _("%(base)s: %(step)s") % {"base": name, "step": label},
            body,
            url,
            "kepu.bases.application",
        )


@transaction.atomic
def application_transition(
    *, actor: Actor, application: Application, action: str, data=None, files=None, reason: str = "", prefixed=False
) -> Application:
    """One step of the certification (see ``workflow.CERTIFICATION``)."""
    return workflow.CERTIFICATION.run(
        actor=actor,
        obj=application,
        name=action,
        data=data,
        files=files,
        reason=reason,
        prefixed=prefixed,
        after=_after_application,
    )


def certification_grant(step: Step) -> None:
    """The notice passed without an upheld objection: the base holds the title for the term, with a certificate."""
    app = step.obj
    base = _lock(app.base)
    today = _today()
    years = app.term_years
    try:
        end = today.replace(year=today.year + years) - timedelta(days=1)
    except ValueError:  # 29 February
        end = today.replace(year=today.year + years, day=28)
    number = f"{'Q' if app.level == Level.DISTRICT else 'S'}{today:%Y}{app.pk:05d}{secrets.token_hex(2).upper()}"
    step.put("term_start", today)
    step.put("term_end", end)
    step.put("certificate_number", number)
    step.put("certified_at", step.now)
    step.event.update(certificate=number, term_end=end.isoformat())
    if LEVEL_RANK.get(app.level, 0) >= LEVEL_RANK.get(base.level, 0) or base.standing not in IN_FORCE:
        base.level = app.level
    base.standing = Standing.CERTIFIED
    base.term_start, base.term_end = today, end
    base.certificate_number = number
    base.save(update_fields=["level", "standing", "term_start", "term_end", "certificate_number", "updated_at"])
    _reopen_booking(base)


def recommendation_create(step: Step) -> Application:
    """The district recommends its certified base to the city: a city application, submitted, with the same file."""
    app = step.obj
    year = _today().year
    city = Application(
        base=app.base,
        level=Level.CITY,
        year=year,
        rubric=rubric_for(Level.CITY, year),
        status=ApplicationStatus.SUBMITTED,
        office_path=_city_path(app.base.place_path),
        recommended_from=app,
        recommendation=step.data["recommendation"].strip(),
        statement=app.statement,
        visitors_declared=app.visitors_declared,
        declared=declared_snapshot(app),
        submitted_at=step.now,
    )
    try:
        with transaction.atomic():
            city.save()
    except IntegrityError:
        raise Clash(_("A city application of this base is under way."), code="application_open") from None
    Material.objects.bulk_create(
        [
            Material(application=city, kind=m.kind, file=m.file.name, name=m.name, uploaded_by=m.uploaded_by)
            for m in app.materials.all()
        ]
    )
    _event(city, "recommended", "", city.status, step.actor, city.recommendation)
    log_action(step.actor, "kepu.bases.application.recommended", city, place=app.base.place, data={"from": app.pk})
    _tell(
        office_people(app.base, Level.CITY),
        _("%(base)s is recommended for city certification") % {"base": app.base.name},
        city.recommendation,
        reverse("bases:application", args=[city.pk]),
        "kepu.bases.application",
    )
    return city


def issuer_name(app: Application) -> str:
    """The office that issues the certificate: the district's association for science and technology, or the city's."""
    from kepu.orgs.selectors import office_of
    from kepu.places.selectors import place_by_code

    code = app.base.district_code if app.level == Level.DISTRICT else app.base.place_path.split("/")[0]
    office = office_of(place_by_code(code))
    return office.name if office else ""


# --- Experts: conflicts, the draw, sheets ---------------------------------------------------------------
def _affiliated(expert, organization) -> bool:
    names = {organization.name, organization.short_name} - {""}
    affiliation = (expert.affiliation or "").strip()
    return bool(affiliation) and any(n == affiliation or n in affiliation for n in names)


def eligible_experts(application: Application, pool) -> tuple[list[int], dict[str, str]]:
    """(sorted ids of the experts that may review ``application``, {id: why each other one may not}).

    Never from the applicant's organization (a membership of any role there, or an affiliation that
    names it), never one with a declared conflict with it, never one drawn for it before.
    """
    org = application.base.organization
    members = {u.pk for u in staff_of([org.pk], list(Role))}
    conflicted = set(Conflict.objects.filter(organization=org).values_list("expert_id", flat=True))
    already = set(application.sheets.exclude(expert=None).values_list("expert_id", flat=True))
    eligible, excluded = [], {}
    for expert in pool:
        if expert.user_id in members or _affiliated(expert, org):
            excluded[str(expert.pk)] = "own_organization"
        elif expert.pk in conflicted:
            excluded[str(expert.pk)] = "conflict"
        elif expert.pk in already:
            excluded[str(expert.pk)] = "already_drawn"
        else:
            eligible.append(expert.pk)
    return sorted(eligible), excluded


def draw_from(pool_ids: list[int], wanted: int, seed: int) -> list[int]:
    """The draw itself, reproducible: the same pool and seed always give the same experts."""
    return sorted(random.Random(seed).sample(sorted(pool_ids), wanted))


def experts_draw(*, actor: Actor, application: Application, wanted: int, now: datetime, reason: str = "") -> ExpertDraw:
    """Draw ``wanted`` experts at random for ``application`` and give each a score sheet (inside a transition).

    District applications draw from the district's experts, and from the whole library when the
    district has too few who may review; city applications from the whole library.
    """
    district_id = None
    if application.level == Level.DISTRICT:
        from kepu.places.selectors import place_by_code

        district_id = place_by_code(application.base.district_code).pk
    pool = volunteer_selectors.expert_pool(district_id)
    eligible, excluded = eligible_experts(application, pool)
    if len(eligible) < wanted and district_id is not None:
        pool = volunteer_selectors.expert_pool(None)
        eligible, excluded = eligible_experts(application, pool)
    if len(eligible) < wanted:
        raise BaseError(
            _("Only %(n)s experts in the library may review this base; %(wanted)s are needed.")
            % {"n": len(eligible), "wanted": wanted},
            code="experts_too_few",
        )
    seed = secrets.randbits(48)
    drawn = draw_from(eligible, wanted, seed)
    draw = ExpertDraw.objects.create(
        application=application,
        seed=seed,
        wanted=wanted,
        pool=eligible,
        excluded=excluded,
        drawn=drawn,
        reason=reason,
        drawn_by=actor.user if actor.is_authenticated else None,
        drawn_at=now,
    )
    experts = {e.pk: e for e in pool}
    for pk in drawn:
        ScoreSheet.objects.create(application=application, expert_id=pk, scorer_id=experts[pk].user_id)
    log_action(
        actor, "kepu.bases.application.experts_drawn", application, place=application.base.place,
        data={"seed": seed, "drawn": drawn, "pool": len(eligible)},
    )  # fmt: skip
    _tell(
        [experts[pk].user for pk in drawn],
        _("You are asked to review %(base)s") % {"base": application.base.name},
        _("Score it by the rubric on the platform, or withdraw if you have a conflict of interest."),
        reverse("bases:application", args=[application.pk]),
        "kepu.bases.review_request",
    )
    return draw


@transaction.atomic
def conflict_record(
    *, actor: Actor, expert, organization, reason: str, source: str = Conflict.Source.OFFICE
) -> Conflict:
    """Record a declared conflict between an expert and an organization (the office, or the expert themself)."""
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise BaseError(_("Give a reason (at least two characters)."), code="reason_required")
    require(actor, ConflictAction.RECORD, Conflict(expert=expert, organization=organization))
    # Who declared it (the record's source), not whether they may: acting as the expert themself.
    is_self = actor.role == Role.EXPERT and expert.user_id == actor.user_id
    conflict, _created = Conflict.objects.get_or_create(
        expert=expert,
        organization=organization,
        defaults={
            "reason": reason[:300],
            "source": Conflict.Source.EXPERT if is_self else source,
            "declared_by": actor.user,
        },
    )
    log_action(
        actor, "kepu.bases.base.conflict_recorded", conflict, place=organization.place, data={"expert": expert.pk}
    )
    return conflict


def _sheet_for(actor: Actor, sheet: ScoreSheet) -> ScoreSheet:
    sheet = (
        ScoreSheet.objects.select_for_update(of=("self",))
        .select_related("application__base__organization", "expert")
        .get(pk=sheet.pk)
    )
    require(actor, SheetAction.SCORE, sheet)
    if not sheet.application_id:
        raise NotAllowed()
    if sheet.application.status != ApplicationStatus.EXPERT_REVIEW or sheet.status != SheetStatus.PENDING:
        raise Clash(_("This review is closed or your sheet is already in."), code="sheet_closed")
    return sheet


def sheet_record(*, review=None, sheet: ScoreSheet | None = None, scorer=None, scores, comment: str = "") -> ScoreSheet:
    """Write a sheet's points (inside a service that has checked who scores): each item 0..weight."""
    if sheet is None:
        sheet = ScoreSheet.objects.create(review=review, scorer=scorer)
    total = Decimal("0")
    for item, points, note in scores:
        points = Decimal(points)
        if points < 0 or points > item.weight:
            raise BaseError(
                _("Points for %(item)s must be from 0 to %(max)s.") % {"item": item.title, "max": item.weight}
            )
        Score.objects.update_or_create(sheet=sheet, item=item, defaults={"points": points, "comment": note[:500]})
        total += points
    sheet.total = rubric.one_place(total)
    sheet.comment = (comment or "").strip()[:2000]
    sheet.status = SheetStatus.SUBMITTED
    sheet.submitted_at = clock.now()
    sheet.save(update_fields=["total", "comment", "status", "submitted_at", "updated_at"])
    return sheet


@transaction.atomic
def sheet_submit(*, actor: Actor, sheet: ScoreSheet, data: dict) -> ScoreSheet:
    """An expert scores an application item by item (``data`` as the ``ScoreForm`` takes it)."""
    sheet = _sheet_for(actor, sheet)
    app = sheet.application
    items = list(app.rubric.items.all())
    form = workflow.ScoreForm(data=data, actor=actor, obj=app, rubric_items=items)
    if not form.is_valid():
        from kepu.core.workflow import invalid_input

        raise invalid_input(form)
    sheet = sheet_record(
        sheet=sheet, scores=workflow.scores_from(items, form.cleaned_data), comment=form.cleaned_data["comment"]
    )
    log_action(
        actor,
        "kepu.bases.application.scored",
        app,
        place=app.base.place,
        data={"sheet": sheet.pk, "total": str(sheet.total)},
    )
    if not app.sheets.filter(status=SheetStatus.PENDING).exists():
        _tell(
            office_people(app.base, app.level),
            _("All experts have scored %(base)s") % {"base": app.base.name},
            "",
            reverse("bases:application", args=[app.pk]),
            "kepu.bases.application",
        )
    return sheet


@transaction.atomic
def sheet_recuse(*, actor: Actor, sheet: ScoreSheet, reason: str) -> ExpertDraw:
    """An expert withdraws for a conflict of interest: it is recorded, and another expert is drawn in their place."""
    sheet = _sheet_for(actor, sheet)
    app = sheet.application
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise BaseError(_("Give a reason (at least two characters)."), code="reason_required")
    sheet.status = SheetStatus.RECUSED
    sheet.recusal_reason = reason[:300]
    sheet.save(update_fields=["status", "recusal_reason", "updated_at"])
    Conflict.objects.get_or_create(
        expert_id=sheet.expert_id,
        organization=app.base.organization,
        defaults={"reason": reason[:300], "source": Conflict.Source.EXPERT, "declared_by": actor.user},
    )
    log_action(
        actor, "kepu.bases.application.expert_withdrew", app, place=app.base.place, data={"expert": sheet.expert_id}
    )
    return experts_draw(actor=actor, application=app, wanted=1, now=clock.now(), reason="replacement")


# --- Public notice: objections ------------------------------------------------------------------------
@transaction.atomic
def objection_lodge(*, actor: Actor, application: Application, text: str, name: str = "") -> Objection:
    """Anyone signed in raises an objection during the notice; the office records ones received otherwise."""
    app = Application.objects.select_for_update().get(pk=application.pk)
    if not actor.is_authenticated:
        raise NotAllowed()
    now = clock.now()
    if app.status != ApplicationStatus.NOTICE or app.notice_ends_at is None or now >= app.notice_ends_at:
        raise Clash(_("Objections are taken only while the notice runs."), code="notice_closed")
    text = (text or "").strip()
    if len(text) < 5:
        raise BaseError(_("Say what the objection is (at least five characters)."), code="objection_text")
    on_behalf = runs(actor, app.level, app.base) and (name or "").strip()
    objection = Objection.objects.create(
        application=app,
        text=text[:4000],
        lodged_by=actor.user,
        lodged_name=((name or "").strip() if on_behalf else actor.user.get_display_name())[:60],
        lodged_at=now,
    )
    log_action(
        actor, "kepu.bases.application.objection_lodged", app, place=app.base.place, data={"objection": objection.pk}
    )
    _tell(
        office_people(app.base, app.level),
        _("An objection to %(base)s") % {"base": app.base.name},
        text[:200],
        reverse("bases:application", args=[app.pk]),
        "kepu.bases.objection",
    )
    return objection


@transaction.atomic
def objection_answer(*, actor: Actor, objection: Objection, answer: str, upheld: bool) -> Objection:
    objection = (
        Objection.objects.select_for_update(of=("self",)).select_related("application__base").get(pk=objection.pk)
    )
    app = objection.application
    if not runs(actor, app.level, app.base):
        raise NotAllowed()
    if app.status != ApplicationStatus.NOTICE:
        raise Clash(_("The notice is over."), code="notice_closed")
    answer = (answer or "").strip()
    if len(answer) < 2:
        raise BaseError(_("Write the answer (at least two characters)."), code="answer_required")
    objection.answer = answer[:4000]
    objection.upheld = bool(upheld)
    objection.answered_by = actor.user
    objection.answered_at = clock.now()
    objection.save(update_fields=["answer", "upheld", "answered_by", "answered_at"])
    log_action(
        actor, "kepu.bases.application.objection_answered", app, place=app.base.place,
        data={"objection": objection.pk, "upheld": objection.upheld},
    )  # fmt: skip
    if objection.lodged_by_id:
        _tell(
            [objection.lodged_by],
            _("Your objection was answered"),
            answer[:200],
            reverse("bases:notices"),
            "kepu.bases.objection",
        )
    return objection


def inspection_photos_store(obj, photos: list, actor: Actor) -> None:
    for upload, ext in photos:
        photo = InspectionPhoto(uploaded_by=actor.user if actor.is_authenticated else None)
        if isinstance(obj, Application):
            photo.application = obj
        else:
            photo.review = obj
        uploads.save_as(photo.image, upload, ext)
        photo.save()


# --- Annual reviews ----------------------------------------------------------------------------------
@transaction.atomic
def reviews_start(*, actor: Actor, year: int) -> int:
    """Open the year's annual review for every base in force that the office reviews (idempotent)."""
    require(actor, ReviewAction.START, AnnualReview)
    if actor.place is None:
        raise NotAllowed()
    if not 2000 <= year <= _today().year:
        raise BaseError(_("Choose this year or an earlier one."), code="year_invalid")
    level = Level.DISTRICT if actor.role == Role.DISTRICT_ADMIN else Level.CITY
    bases = Base.objects.filter(standing__in=IN_FORCE, place_path__startswith=actor.area_path or actor.place.path)
    bases = bases.filter(level__in=[Level.DISTRICT] if level == Level.DISTRICT else [Level.CITY, Level.NATIONAL])
    bases = bases.filter(term_start__lte=date(year, 12, 31)).exclude(reviews__year=year)
    rubric_ = rubric_for(level, year)
    path = actor.place.path
    made = AnnualReview.objects.bulk_create(
        [AnnualReview(base=b, year=year, rubric=rubric_, office_path=path) for b in bases], ignore_conflicts=True
    )
    log_action(actor, "kepu.bases.review.started", None, place=actor.place, data={"year": year, "bases": len(made)})
    for review in AnnualReview.objects.filter(year=year, office_path=path, status=ReviewStatus.OPEN).select_related(
        "base"
    ):
        _tell(
            host_people(review.base),
            _("Annual review %(year)s: file the self-report of %(base)s") % {"year": year, "base": review.base.name},
            _("The platform has filled in what it knows; add what it cannot know and submit."),
            reverse("bases:review", args=[review.pk]),
            "kepu.bases.review",
        )
    return len(made)


def _review_event(step: Step) -> None:
    user = step.actor.user if step.actor.is_authenticated else None
    ReviewEvent.objects.create(
        review=step.obj,
        action=step.transition.name,
        from_status=step.from_state,
        to_status=step.to_state,
        actor=user,
        actor_name=user.get_display_name() if user else "",
        reason=step.reason,
        at=step.now,
    )
    review = step.obj
    url = reverse("bases:review", args=[review.pk])
    label = str(step.transition.label)
    if step.transition.name in ("submit", "report_rectification"):
        _tell(
            office_people(review.base, review_level(review.base)),
            f"{review.base.name}: {label}",
            "",
            url,
            "kepu.bases.review",
        )
    elif step.transition.name in (
        "return",
        "keep",
        "rectify",
        "revoke",
        "accept_rectification",
        "return_rectification",
    ):
        _tell(host_people(review.base), f"{review.base.name}: {label}", step.reason, url, "kepu.bases.review")


@transaction.atomic
def review_transition(
    *, actor: Actor, review: AnnualReview, action: str, data=None, files=None, reason: str = "", prefixed=False
) -> AnnualReview:
    """One step of the annual review (see ``workflow.REVIEW``)."""
    return workflow.REVIEW.run(
        actor=actor, obj=review, name=action, data=data, files=files, reason=reason, prefixed=prefixed,
        after=_review_event,
    )  # fmt: skip


def standing_after_review(step: Step, *, kept: bool = False, rectifying: bool = False, revoked: bool = False) -> None:
    """What a review's decision does to the base: kept (certified, visitors of the year remembered),
    under rectification (still listed), or revoked (off the map, its bookings closed to new visits)."""
    review = step.obj
    base = _lock(review.base)
    if kept:
        base.standing = Standing.CERTIFIED
        values = workflow.review_values(review)
        base.visitors_last_year = values["visitors"]
    elif rectifying:
        base.standing = Standing.RECTIFYING
    elif revoked:
        base.standing = Standing.REVOKED
    base.save(update_fields=["standing", "visitors_last_year", "updated_at"])
    if revoked:
        _close_booking(base, _("its title was revoked"))


def _close_booking(base: Base, reason: str) -> int:
    if base.venue_id is None:
        return 0
    return activity_services.venue_booking_close(actor=SYSTEM, venue=base.venue, reason=reason)


def _reopen_booking(base: Base) -> None:
    if base.venue_id is not None:
        activity_services.venue_booking_open(actor=SYSTEM, venue=base.venue)


@transaction.atomic
def spot_checks_draw(*, actor: Actor, year: int, count: int) -> SpotCheckDraw:
    """Draw ``count`` of the year's submitted reviews for spot checks (抽查), at random with a recorded seed."""
    require(actor, ReviewAction.SPOT_CHECK, AnnualReview)
    if actor.place is None:
        raise NotAllowed()
    path = actor.place.path
    pool = sorted(
        AnnualReview.objects.select_for_update()
        .filter(office_path=path, year=year, spot_check=False, status__in=(ReviewStatus.SUBMITTED, ReviewStatus.SCORED))
        .values_list("pk", flat=True)
    )
    if count < 1 or count > len(pool):
        raise BaseError(
            _("Choose from 1 to %(n)s reviews (those submitted and not drawn yet).") % {"n": len(pool)},
            code="spot_count",
        )
    seed = secrets.randbits(48)
    drawn = draw_from(pool, count, seed)
    draw = SpotCheckDraw.objects.create(
        office_path=path,
        year=year,
        seed=seed,
        count=count,
        pool=pool,
        drawn=drawn,
        drawn_by=actor.user,
        drawn_at=clock.now(),
    )
    AnnualReview.objects.filter(pk__in=drawn).update(spot_check=True, spot_draw=draw)
    log_action(
        actor, "kepu.bases.review.spot_checks_drawn", draw, place=actor.place, data={"seed": seed, "drawn": drawn}
    )
    for review in AnnualReview.objects.filter(pk__in=drawn).select_related("base"):
        _tell(
            host_people(review.base),
            _("%(base)s was drawn for a spot check") % {"base": review.base.name},
            _("The office will visit; keep the records behind the self-report at hand."),
            reverse("bases:review", args=[review.pk]),
            "kepu.bases.review",
        )
    return draw


# --- Terms running out ---------------------------------------------------------------------------------
def bases_expire(*, now: datetime | None = None) -> int:
    """Bases whose term has ended leave the list and close their booking to new visits (a periodic task)."""
    today = timezone.localdate(now or clock.now())
    done = 0
    for pk in Base.objects.filter(standing__in=IN_FORCE, term_end__lt=today).values_list("pk", flat=True):
        with transaction.atomic():
            base = Base.objects.select_for_update().get(pk=pk)
            if base.standing not in IN_FORCE or base.term_end is None or base.term_end >= today:
                continue
            base.standing = Standing.EXPIRED
            base.save(update_fields=["standing", "updated_at"])
            log_action(None, "kepu.bases.base.expired", base, data={"term_end": base.term_end.isoformat()})
            _close_booking(base, _("its term has ended"))
            done += 1
    return done


def booking_activity(base: Base) -> int | None:
    """The activity where residents book a visit to ``base`` (None while booking is not open)."""
    if base.venue_id is None:
        return None
    return activity_selectors.visit_activities_of([base.venue_id]).get(base.venue_id)
