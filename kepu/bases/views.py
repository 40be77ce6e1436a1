"""Pages of science bases: the public list, map, base pages and notices; the work of bases, offices and experts.

Thin: parse, call a selector or a service, render a page (or the list's fragment for htmx).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kepu.bases import figures, rubric, selectors, services, uploads, workflow
from kepu.bases.forms import (
    WEEKDAYS,
    AnswerForm,
    ApplicationForm,
    BaseForm,
    ConflictForm,
    HoursForm,
    MaterialForm,
    ObjectionForm,
    PhotoForm,
    RecuseForm,
    SpotDrawForm,
    StartReviewsForm,
)
from kepu.bases.models import (
    Application,
    ApplicationStatus,
    Base,
    BasePhoto,
    Category,
    InspectionPhoto,
    Level,
    Material,
    NationalType,
    Objection,
    ReviewStatus,
    Rubric,
    SheetStatus,
    Theme,
)
from kepu.bases.permissions import HOST_ROLES, OFFICES, ApplicationAction, BaseAction
from kepu.core.errors import DomainError, NotFound
from kepu.core.http import errors_into, login_required, role_required
from kepu.core.permissions import can
from kepu.core.populations import Population
from kepu.core.roles import Role
from kepu.places import maps
from kepu.places.selectors import children_of

WORK_ROLES = (*HOST_ROLES, *OFFICES, Role.EXPERT)


def _weekly(hours: dict) -> list[tuple[str, str]]:
    """Opening hours as (weekday, periods) rows for a page."""
    return [
        (str(name), " ".join(f"{a}–{b}" for a, b in hours.get(str(i), [])) or _("Closed all day"))
        for i, name in enumerate(WEEKDAYS)
    ]


def _district_names() -> dict[str, str]:
    return {p.code: p.name for p in children_of(None)}


# --- Public ---------------------------------------------------------------------------------------------
def _options(choices, chosen: str) -> list[tuple[str, str, bool]]:
    return [(value, str(label), value == chosen) for value, label in choices]


def _row(base, extra: dict, district: str, labels: dict, days, urls: tuple[str, str]) -> dict:
    """What the list shows of one base, as plain strings (the list is the public's busiest page: every label is
    translated and every address prefix reversed once per page, not once per base)."""
    from kepu.bases.templatetags.bases import weekly_summary

    return {
        "pk": base.pk,
        "name": base.name,
        "url": f"{urls[0]}{base.pk}/",
        "meta": " · ".join(x for x in (district, labels[base.category], labels.get(base.level, "")) if x),
        "address": base.address,
        "hours": weekly_summary(extra["hours"], days) if extra["hours"] else "",
        "free": base.free_for_students,
        "themes": [labels[t] for t in base.theme_list if t in labels],
        "booking": f"{urls[1]}{extra['booking']}/" if extra["booking"] else "",
    }


def base_list(request):
    from kepu.core.pagination import CountedPaginator

    f = selectors.PublicFilter.from_query(request.GET)
    qs = selectors.public_bases(f)
    # One pass over the bases counts them by district for the map, and so the list too.
    counts = selectors.district_counts(f)
    total = counts.get(f.district, 0) if f.district else sum(counts.values())
    page = CountedPaginator(qs, 20, count=total).get_page(request.GET.get("page"))
    bases = list(page.object_list)
    extras = selectors.list_extras(bases)
    names = _district_names()
    points = [(b.longitude, b.latitude, b.name) for b in bases] if f.district else []
    from kepu.bases.templatetags.bases import day_names

    labels = {value: str(label) for choices in (Category, Level, Theme) for value, label in choices.choices}
    days = day_names()
    urls = (reverse("bases:list"), reverse("activities:calendar"))
    context = {
        "f": f,
        "page": page,
        "rows": [_row(b, extras[b.pk], names.get(b.district_code, ""), labels, days, urls) for b in bases],
        "districts": [(code, name, counts.get(code, 0), code == f.district) for code, name in names.items()],
        "map": maps.district_map(
            counts,
            title=_("Science bases by district"),
            unit=_("bases"),
            url=lambda code: "?" + f.query(district=code, page=""),
            selected=f.district,
            points=points,
        ),
        "categories": _options(Category.choices, f.category),
        "themes": _options(Theme.choices, f.theme),
        "levels": _options(Level.choices, f.level),
        "populations": _options(Population.choices, f.population),
        "query": f.query() + "&" if f.query() else "",
        "share_url": request.build_absolute_uri(),
        "share_image": request.build_absolute_uri(static("bases/share.png")),
    }
    template = "bases/list.html#results" if request.htmx and request.htmx.target == "results" else "bases/list.html"
    return TemplateResponse(request, template, context)


def base_detail(request, pk):
    try:
        base = selectors.base_for_visitor(actor=request.actor, pk=pk)
    except NotFound:
        raise Http404 from None
    extras = selectors.list_extras([base])[base.pk]
    point = maps.district_map(
        {base.district_code: 1},
        title=_("Where the base is"),
        points=[(base.longitude, base.latitude, base.name)],
        legend=False,
    )
    context = {
        "base": base,
        "listed": base.in_force_on(selectors._today()),
        "weekly": _weekly(extras["hours"]),
        "booking": extras["booking"],
        "photos": list(base.photos.all()[:6]),
        "map": point,
        "district": _district_names().get(base.district_code, ""),
        "may_manage": request.actor.is_authenticated and can(request.actor, BaseAction.CHANGE, base),
        "share_url": request.build_absolute_uri(),
        "share_image": request.build_absolute_uri(
            reverse("bases:photo", args=[base.pk, base.photos.first().pk])
            if base.photos.exists()
            else static("bases/share.png")
        ),
    }
    return TemplateResponse(request, "bases/detail.html", context)


def _file(field_file, download_name: str | None = None):
    response = FileResponse(field_file.open("rb"), content_type=uploads.content_type(field_file.name))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    if download_name:
        response["Content-Disposition"] = f'attachment; filename="{download_name}"'
    return response


def base_photo(request, pk, photo_pk):
    try:
        base = selectors.base_for_visitor(actor=request.actor, pk=pk)
    except NotFound:
        raise Http404 from None
    photo = BasePhoto.objects.filter(base=base, pk=photo_pk).first()
    if photo is None:
        raise Http404
    return _file(photo.image)


def notices(request):
    apps = list(selectors.notices()[:200])
    context = {"apps": apps, "form": ObjectionForm() if request.actor.is_authenticated else None}
    return TemplateResponse(request, "bases/notices.html", context)


@require_POST
@login_required
def objection(request, pk):
    try:
        app = selectors.notice_get(pk)
    except NotFound:
        raise Http404 from None
    form = ObjectionForm(request.POST)
    if form.is_valid():
        services.objection_lodge(
            actor=request.actor, application=app, text=form.cleaned_data["text"], name=form.cleaned_data["name"]
        )
        messages.success(request, _("Your objection was recorded; the office will answer it."))
    else:
        messages.error(request, _("Say what the objection is (at least five characters)."))
    return redirect("bases:notices")


def verify(request, number):
    """Public: anyone holding the certificate can check it (the QR code points here)."""
    app = selectors.certificate_by_number(number)
    base = app.base if app else None
    context = {
        "app": app,
        "base": base,
        "number": number,
        "current": bool(
            app and base.certificate_number == app.certificate_number and base.in_force_on(selectors._today())
        ),
    }
    return TemplateResponse(request, "bases/verify.html", context, status=200 if app else 404)


# --- Bases, offices, experts -------------------------------------------------------------------------------
@role_required(*WORK_ROLES)
def manage(request):
    actor = request.actor
    context = {
        "bases": list(selectors.bases_for(actor=actor, q=request.GET.get("q", "").strip()[:40])[:200])
        if can(actor, BaseAction.LIST, Base())
        else [],
        "waiting": list(selectors.waiting_for(actor=actor)[:100]),
        "may_register": can(actor, BaseAction.REGISTER, Base()),
        "is_expert": can(actor, ApplicationAction.SIT_AS_EXPERT, Application()),
        "q": request.GET.get("q", ""),
    }
    return TemplateResponse(request, "bases/manage.html", context)


def _places_for(organization) -> list[tuple[str, str]]:
    """Streets and communities of the host organization's district (a base lies there)."""
    from kepu.core.actor import ANONYMOUS
    from kepu.places.selectors import PlaceLevel, place_list

    district = organization.place.district_code
    rows = place_list(actor=ANONYMOUS).filter(level__in=(PlaceLevel.STREET, PlaceLevel.COMMUNITY))
    if district:
        rows = rows.filter(district_code=district)
    return [(p.code, ("　" if p.level == PlaceLevel.COMMUNITY else "") + p.name) for p in rows[:3000]]


def _profile_values(form) -> dict:
    from kepu.places.selectors import place_by_code

    data = dict(form.cleaned_data)
    data["place"] = place_by_code(data.pop("place_code"))
    return data


@role_required(*HOST_ROLES)
def base_create(request):
    org = request.actor.organization
    form = BaseForm(request.POST or None, places=_places_for(org))
    if request.method == "POST" and form.is_valid():
        with errors_into(form) as failed:
            base = services.base_register(actor=request.actor, organization=org, **_profile_values(form))
        if failed.error is None:
            messages.success(request, _("The base is registered. Set its opening hours, then apply."))
            return redirect("bases:edit", pk=base.pk)
    return TemplateResponse(request, "bases/base_form.html", {"form": form, "base": None})


def _base_for_work(request, pk):
    try:
        base = selectors.base_get(actor=request.actor, pk=pk)
    except NotFound:
        raise Http404 from None
    return base


@role_required(*HOST_ROLES, *OFFICES)
def base_edit(request, pk):
    base = _base_for_work(request, pk)
    may_change = can(request.actor, BaseAction.CHANGE, base)
    form = BaseForm(request.POST or None, instance=base, places=_places_for(base.organization))
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        if form.is_valid():
            with errors_into(form) as failed:
                services.base_update(actor=request.actor, base=base, **_profile_values(form))
            if failed.error is None:
                messages.success(request, _("Saved."))
                return redirect("bases:edit", pk=base.pk)
        base.refresh_from_db()
    extras = selectors.list_extras([base])[base.pk]
    venue = (selectors.activities.venue_hours([base.venue_id]).get(base.venue_id) or {}) if base.venue_id else {}
    hours_form = HoursForm(
        hours=extras["hours"],
        initial={"slot_minutes": venue.get("slot_minutes"), "slot_capacity": venue.get("slot_capacity")},
    )
    context = {
        "base": base,
        "form": form,
        "hours_form": hours_form,
        "photo_form": PhotoForm(),
        "may_change": may_change,
        "may_apply": can(request.actor, BaseAction.APPLY, base),
        "may_record_national": can(request.actor, BaseAction.RECORD_NATIONAL, base),
        "national_types": NationalType.objects.all(),
        "applications": list(selectors.applications_for(actor=request.actor, base=base)),
        "reviews": list(base.reviews.order_by("-year")),
        "photos": list(base.photos.all()),
        "booking": extras["booking"],
        "weekly": _weekly(extras["hours"]),
    }
    return TemplateResponse(request, "bases/base_edit.html", context)


@require_POST
@role_required(*HOST_ROLES, *OFFICES)
def base_hours(request, pk):
    base = _base_for_work(request, pk)
    form = HoursForm(request.POST)
    if form.is_valid():
        services.base_update(
            actor=request.actor,
            base=base,
            hours=form.cleaned_data["hours"],
            slot_minutes=form.cleaned_data["slot_minutes"],
            slot_capacity=form.cleaned_data["slot_capacity"],
        )
        messages.success(request, _("Opening hours saved. Publish visit slots under Visit booking."))
    else:
        errors = [str(e) for errs in form.errors.values() for e in errs]
        messages.error(request, " ".join(errors))
    return redirect("bases:edit", pk=base.pk)


@require_POST
@role_required(*HOST_ROLES, *OFFICES)
def base_photos_add(request, pk):
    base = _base_for_work(request, pk)
    saved = services.base_photos_add(
        actor=request.actor,
        base=base,
        photos=request.FILES.getlist("photos"),
        caption=request.POST.get("caption", ""),
    )
    messages.success(request, _("%(n)s photos added.") % {"n": len(saved)})
    return redirect("bases:edit", pk=base.pk)


@require_POST
@role_required(*HOST_ROLES)
def base_apply(request, pk):
    base = _base_for_work(request, pk)
    app = services.application_start(actor=request.actor, base=base)
    return redirect("bases:application", pk=app.pk)


@require_POST
@role_required(Role.CITY_ADMIN)
def base_national(request, pk):
    from django.utils.dateparse import parse_date

    base = _base_for_work(request, pk)
    kind = NationalType.objects.filter(pk=request.POST.get("national_type") or 0).first()
    start, end = parse_date(request.POST.get("term_start") or ""), parse_date(request.POST.get("term_end") or "")
    if kind is None or start is None or end is None:
        messages.error(request, _("Choose the national type and give the term."))
        return redirect("bases:edit", pk=base.pk)
    services.base_record_national(actor=request.actor, base=base, national_type=kind, term_start=start, term_end=end)
    messages.success(request, _("Saved."))
    return redirect("bases:edit", pk=base.pk)


# --- Applications ----------------------------------------------------------------------------------------
def _application(request, pk):
    try:
        return selectors.application_get(actor=request.actor, pk=pk)
    except NotFound:
        raise Http404 from None


OTHER_EVENTS = {
    "start": gettext_lazy("Application started"),
    "recommended": gettext_lazy("Recommended by the district"),
}


def _event_label(machine, action: str):
    return machine[action].label if action in machine else OTHER_EVENTS.get(action, action)


def _stages(app) -> list[tuple[str, str]]:
    """The main line of the certification, with the state the application is in where it is off the line."""
    labels = dict(ApplicationStatus.choices)
    line = [(s, labels[s]) for s in workflow.MAIN_LINE]
    if app.status not in workflow.MAIN_LINE:
        line.append((app.status, labels[app.status]))
    return line


def _application_context(request, app, *, failed: str = "", failed_form=None) -> dict:
    actor = request.actor
    actions = workflow.CERTIFICATION.actions(
        actor,
        app,
        failed=failed,
        failed_form=failed_form,
        url=lambda name: reverse("bases:application_act", args=[app.pk, name]),
    )
    office = can(actor, ApplicationAction.RUN, app)
    host = can(actor, BaseAction.HOST, app.base)
    sheets = list(app.sheets.select_related("expert").prefetch_related("scores"))
    is_expert = can(actor, ApplicationAction.SIT_AS_EXPERT, app)
    sheet = rubric.sheet(app.rubric, sheets)
    mine = selectors.my_sheet(actor=actor, application=app)
    # The experts' names and scores are the office's; the base sees the outcome, an expert their own sheet.
    sees_scores = can(actor, ApplicationAction.VIEW_SCORES, app)
    editable = host and app.status in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED)
    return {
        "app": app,
        "base": app.base,
        "actions": actions,
        "waiting": workflow.CERTIFICATION.waiting(actor, app),
        "events": [(e, _event_label(workflow.CERTIFICATION, e.action)) for e in app.events.all()],
        "stages": _stages(app),
        "materials": list(app.materials.all()),
        "editable": editable,
        "app_form": ApplicationForm(initial={"statement": app.statement, "visitors_declared": app.visitors_declared})
        if editable
        else None,
        "material_form": MaterialForm() if editable else None,
        "sheet": sheet if sees_scores else None,
        "sheets": sheets if sees_scores else [],
        "thresholds": rubric.thresholds(app.rubric, workflow.declared_values(app)) if app.declared else [],
        "verdict": workflow.application_verdict(app) if sees_scores and app.declared else None,
        "draws": list(app.draws.all()) if sees_scores else [],
        "my_sheet": mine,
        "score_form": workflow.ScoreForm(actor=actor, obj=app)
        if is_expert and mine and mine.status == SheetStatus.PENDING and app.status == ApplicationStatus.EXPERT_REVIEW
        else None,
        "recuse_form": RecuseForm() if is_expert and mine and mine.status == SheetStatus.PENDING else None,
        "objections": list(app.objections.all()) if office or host or sees_scores else [],
        "answer_form": AnswerForm() if office and app.status == ApplicationStatus.NOTICE else None,
        "objection_form": ObjectionForm() if office and app.status == ApplicationStatus.NOTICE else None,
        "photos": list(app.inspection_photos.all()) if office or sees_scores else [],
        "may_certificate": bool(app.certificate_number) and (host or office or sees_scores),
        "is_office": office,
    }


@role_required(*WORK_ROLES)
def application_detail(request, pk):
    app = _application(request, pk)
    return TemplateResponse(request, "bases/application.html", _application_context(request, app))


@require_POST
@role_required(*WORK_ROLES)
def application_act(request, pk, action):
    return _act(
        request, pk, action, machine=workflow.CERTIFICATION, get=_application, run=services.application_transition,
        field="application", context=_application_context, template="bases/application.html",
        done="bases:application",
    )  # fmt: skip


def _act(request, pk, action, *, machine, get, run, field, context, template, done):
    """One step of a workflow, posted by that step's form on its page; a refused step shows the page again with
    the form as filled in and its message."""
    obj = get(request, pk)
    if action not in machine:
        raise Http404
    try:
        run(
            actor=request.actor,
            action=action,
            data=request.POST,
            files=request.FILES,
            reason=request.POST.get(f"{action}-reason", ""),
            prefixed=True,
            **{field: obj},
        )
    except DomainError as exc:  # kept: the step's own form is bound again on the fresh object and shown open
        if exc.status in (403, 404):
            raise
        fresh = get(request, pk)
        form = machine.bind(machine[action], request.actor, fresh, request.POST, request.FILES, prefixed=True)
        if form is None or not exc.data.get("fields"):
            messages.error(request, str(exc.message))
        ctx = context(request, fresh, failed=action, failed_form=form)
        return TemplateResponse(request, template, ctx, status=exc.status if exc.status < 500 else 400)
    messages.success(request, _("Done: %(action)s.") % {"action": machine[action].label})
    return redirect(done, pk=obj.pk)


@require_POST
@role_required(*HOST_ROLES)
def application_edit(request, pk):
    app = _application(request, pk)
    form = ApplicationForm(request.POST)
    if form.is_valid():
        services.application_update(actor=request.actor, application=app, **form.cleaned_data)
        messages.success(request, _("Saved."))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("bases:application", pk=app.pk)


@require_POST
@role_required(*HOST_ROLES)
def material_add(request, pk):
    app = _application(request, pk)
    form = MaterialForm(request.POST, request.FILES)
    if form.is_valid():
        services.material_add(
            actor=request.actor,
            application=app,
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
            name=form.cleaned_data["file"].name,
        )
        messages.success(request, _("The file was added."))
    else:
        messages.error(request, _("Choose what the file is and the file."))
    return redirect("bases:application", pk=app.pk)


@role_required(*WORK_ROLES)
def material_file(request, pk, material_pk):
    app = _application(request, pk)
    material = Material.objects.filter(application=app, pk=material_pk).first()
    if material is None:
        raise Http404
    return _file(material.file, download_name=f"material-{material.pk}.{material.file.name.rsplit('.', 1)[-1]}")


@require_POST
@role_required(*HOST_ROLES)
def material_remove(request, pk, material_pk):
    app = _application(request, pk)
    material = Material.objects.filter(application=app, pk=material_pk).first()
    if material is None:
        raise Http404
    services.material_remove(actor=request.actor, material=material)
    messages.success(request, _("The file was removed."))
    return redirect("bases:application", pk=app.pk)


@require_POST
@role_required(Role.EXPERT)
def sheet_submit(request, pk):
    app = _application(request, pk)
    mine = selectors.my_sheet(actor=request.actor, application=app)
    if mine is None:
        raise Http404
    form = workflow.ScoreForm(request.POST, actor=request.actor, obj=app)
    failed = None
    if form.is_valid():
        with errors_into(form) as failed:
            services.sheet_submit(actor=request.actor, sheet=mine, data=request.POST)
        if failed.error is None:
            messages.success(request, _("Your scores were sent."))
            return redirect("bases:application", pk=app.pk)
    ctx = _application_context(request, app)
    ctx["score_form"] = form
    return TemplateResponse(request, "bases/application.html", ctx, status=400)


@require_POST
@role_required(Role.EXPERT)
def sheet_recuse(request, pk):
    app = _application(request, pk)
    mine = selectors.my_sheet(actor=request.actor, application=app)
    form = RecuseForm(request.POST)
    if mine is None:
        raise Http404
    if not form.is_valid():
        messages.error(request, _("Give a reason (at least two characters)."))
        return redirect("bases:application", pk=app.pk)
    services.sheet_recuse(actor=request.actor, sheet=mine, reason=form.cleaned_data["reason"])
    messages.success(request, _("Your withdrawal was recorded; another expert was drawn."))
    return redirect("bases:manage")


@require_POST
@role_required(*OFFICES)
def objection_record(request, pk):
    app = _application(request, pk)
    form = ObjectionForm(request.POST)
    if form.is_valid():
        services.objection_lodge(
            actor=request.actor, application=app, text=form.cleaned_data["text"], name=form.cleaned_data["name"]
        )
    else:
        messages.error(request, _("Say what the objection is (at least five characters)."))
    return redirect("bases:application", pk=app.pk)


@require_POST
@role_required(*OFFICES)
def objection_answer(request, pk):
    found = Objection.objects.filter(pk=pk).select_related("application").first()
    if found is None:
        raise Http404
    app = _application(request, found.application_id)
    form = AnswerForm(request.POST)
    if form.is_valid():
        services.objection_answer(
            actor=request.actor,
            objection=found,
            answer=form.cleaned_data["answer"],
            upheld=form.cleaned_data["upheld"],
        )
    else:
        messages.error(request, _("Write the answer and say whether the objection is upheld."))
    return redirect("bases:application", pk=app.pk)


@role_required(*HOST_ROLES, *OFFICES)
def certificate(request, pk):
    from kepu.bases.certificates import certificate_pdf

    app = _application(request, pk)
    if not app.certificate_number:
        raise Http404
    verify_url = request.build_absolute_uri(reverse("bases:verify", args=[app.certificate_number]))
    issuer = services.issuer_name(app)
    response = HttpResponse(certificate_pdf(app, verify_url=verify_url, issuer=issuer), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="base-certificate-{app.certificate_number}.pdf"'
    return response


@role_required(*WORK_ROLES)
def inspection_photo(request, pk):
    photo = InspectionPhoto.objects.filter(pk=pk).first()
    if photo is None:
        raise Http404
    if photo.application_id:
        _application(request, photo.application_id)
    else:
        _review(request, photo.review_id)
    return _file(photo.image)


# --- Annual reviews ----------------------------------------------------------------------------------------
def _review(request, pk):
    try:
        return selectors.review_get(actor=request.actor, pk=pk)
    except NotFound:
        raise Http404 from None


@role_required(*OFFICES)
def reviews(request):
    try:
        year = int(request.GET.get("year") or figures.current_year())
    except ValueError:
        year = figures.current_year()
    status = request.GET.get("status", "")
    status = status if status in ReviewStatus.values else ""
    qs = selectors.reviews_for(actor=request.actor, year=year, status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    context = {
        "year": year,
        "status": status,
        "page": page,
        "counts": selectors.review_counts(actor=request.actor, year=year),
        "statuses": ReviewStatus.choices,
        "start_form": StartReviewsForm(initial={"year": year}),
        "spot_form": SpotDrawForm(initial={"year": year}),
        "draws": list(selectors.spot_draws_for(actor=request.actor, year=year)),
        "query": f"year={year}&status={status}&",
    }
    return TemplateResponse(request, "bases/reviews.html", context)


@require_POST
@role_required(*OFFICES)
def reviews_start(request):
    form = StartReviewsForm(request.POST)
    if form.is_valid():
        n = services.reviews_start(actor=request.actor, year=form.cleaned_data["year"])
        messages.success(request, _("%(n)s bases were asked for their self-report.") % {"n": n})
        return redirect(reverse("bases:reviews") + f"?year={form.cleaned_data['year']}")
    messages.error(request, _("Choose a year."))
    return redirect("bases:reviews")


@require_POST
@role_required(*OFFICES)
def spot_draw(request):
    form = SpotDrawForm(request.POST)
    if form.is_valid():
        draw = services.spot_checks_draw(
            actor=request.actor, year=form.cleaned_data["year"], count=form.cleaned_data["count"]
        )
        messages.success(
            request,
            _("%(n)s reviews were drawn for spot checks (seed %(seed)s).") % {"n": draw.count, "seed": draw.seed},
        )
        return redirect(reverse("bases:reviews") + f"?year={form.cleaned_data['year']}")
    messages.error(request, _("Choose a year and how many to draw."))
    return redirect("bases:reviews")


def _figure_rows(review, live: dict) -> list[dict]:
    submitted = review.figures or {}
    rows = []
    for f in figures.FIGURES:
        rows.append(
            {
                "key": f.key,
                "label": f.label,
                "unit": f.unit,
                "value": submitted.get(f.key, live[f.key]) if submitted else live[f.key],
                "live": live[f.key],
                "changed": bool(submitted) and submitted.get(f.key) != live[f.key],
                "url": reverse("bases:review_records", args=[review.pk, figures.RECORDS_OF[f.key]]),
            }
        )
    return rows


def _review_context(request, review, *, failed: str = "", failed_form=None) -> dict:
    actor = request.actor
    actions = workflow.REVIEW.actions(
        actor,
        review,
        failed=failed,
        failed_form=failed_form,
        url=lambda name: reverse("bases:review_act", args=[review.pk, name]),
    )
    live = figures.base_figures(review.base, review.year)
    sheets = list(review.sheets.prefetch_related("scores"))
    return {
        "review": review,
        "base": review.base,
        "actions": actions,
        "waiting": workflow.REVIEW.waiting(actor, review),
        "figures": _figure_rows(review, live),
        "declared": _declared_rows(review),
        "sheet": rubric.sheet(review.rubric, sheets),
        "thresholds": rubric.thresholds(review.rubric, workflow.review_values(review)) if review.figures else [],
        "events": [(e, _event_label(workflow.REVIEW, e.action)) for e in review.events.all()],
        "photos": list(review.inspection_photos.all()),
    }


def _declared_rows(review) -> list[tuple[str, object]]:
    form = workflow.SelfReportForm()
    d = review.declared or {}
    return [(form.fields[k].label, d[k]) for k in form.fields if k in d]


@role_required(*HOST_ROLES, *OFFICES)
def review_detail(request, pk):
    review = _review(request, pk)
    return TemplateResponse(request, "bases/review.html", _review_context(request, review))


@require_POST
@role_required(*HOST_ROLES, *OFFICES)
def review_act(request, pk, action):
    return _act(
        request, pk, action, machine=workflow.REVIEW, get=_review, run=services.review_transition, field="review",
        context=_review_context, template="bases/review.html", done="bases:review",
    )  # fmt: skip


RECORD_PAGES = {
    "visits": gettext_lazy("Visit slots, bookings and check-ins"),
    "activities": gettext_lazy("Activities held"),
    "hours": gettext_lazy("Volunteer hours"),
    "orders": gettext_lazy("Service orders delivered"),
}


@role_required(*HOST_ROLES, *OFFICES)
def review_records(request, pk, kind):
    review = _review(request, pk)
    if kind not in RECORD_PAGES:
        raise Http404
    base, year = review.base, review.year
    if kind == "visits":
        rows = figures.visit_records(base, year)
    elif kind == "activities":
        rows = figures.activity_records(base, year)
    elif kind == "hours":
        rows = figures.hours_records(base, year)
    else:
        rows = figures.order_records(base, year)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    context = {"review": review, "base": base, "kind": kind, "title": RECORD_PAGES[kind], "page": page, "query": ""}
    return TemplateResponse(request, "bases/records.html", context)


# --- Conflicts of interest and rubrics -------------------------------------------------------------------
@role_required(*OFFICES)
def conflicts(request):
    from kepu.orgs.selectors import organization_get
    from kepu.volunteers.selectors import expert_get

    form = ConflictForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = organization_get(actor=request.actor, pk=int(request.POST.get("organization") or 0))
            expert = expert_get(actor=request.actor, pk=form.cleaned_data["expert_id"])
            services.conflict_record(
                actor=request.actor, expert=expert, organization=org, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:  # kept: a mistyped expert or organization number is the form's error, not a 404
            if exc.status == 403:
                raise
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Saved."))
            return redirect("bases:conflicts")
    context = {
        "form": form,
        "conflicts": list(selectors.conflicts_for(actor=request.actor)[:200]),
        "organizations": list(
            selectors.bases_for(actor=request.actor)
            .values_list("organization_id", "organization__name")
            .distinct()[:500]
        ),
    }
    return TemplateResponse(request, "bases/conflicts.html", context)


@role_required(*OFFICES, *HOST_ROLES, Role.EXPERT)
def rubrics(request):
    items = Rubric.objects.prefetch_related("items", "thresholds").order_by("-year", "level")
    return TemplateResponse(request, "bases/rubrics.html", {"rubrics": items})
