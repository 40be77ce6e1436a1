"""Thin views: parse, call a selector or a service, render a page or a fragment."""

from __future__ import annotations

import io
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from kepu.accounts.selectors import key_population_of, person_by_phone
from kepu.activities import feeds, selectors, services
from kepu.activities.forms import (
    ActivityForm,
    LateEntryForm,
    OnBehalfForm,
    ReportForm,
    SignUpForm,
    SlotsForm,
    SurveyForm,
    VenueForm,
    WalkInForm,
)
from kepu.activities.models import ActivityStatus, Registration, RegistrationStatus, Session
from kepu.activities.permissions import ActivityAction
from kepu.activities.workflow import ACTIVITY, REGISTRATION
from kepu.core import clock
from kepu.core.errors import DomainError, NotFound
from kepu.core.http import errors_into, login_required, role_required, safe_next
from kepu.core.permissions import can
from kepu.core.populations import Population
from kepu.core.roles import OFFICE_ROLES, STAFF_ROLES, Role
from kepu.orgs.selectors import organization_visible
from kepu.places.selectors import path_of


def _not_found(request):
    return TemplateResponse(request, "404.html", {}, status=404)


# --- Public calendar ------------------------------------------------------------------------------
def calendar(request):
    f = selectors.CalendarFilter.from_query(request.GET)
    qs = selectors.public_activities(f)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    query = f.as_query()
    from urllib.parse import urlencode

    context = {
        "page": page,
        "f": f,
        "choices": selectors.calendar_choices(),
        "streets": selectors.streets_of(f.district),
        "feed_url": reverse("activities:feed") + ("?" + urlencode(query) if query else ""),
        "query": urlencode(query),
        "filtered": len(query),
    }
    template = (
        "activities/calendar.html#results"
        if request.htmx and request.htmx.target == "results"
        else "activities/calendar.html"
    )
    return TemplateResponse(request, template, context)


def feed(request):
    f = selectors.CalendarFilter.from_query(request.GET)
    activities = list(selectors.public_activities(f)[: feeds.FEED_LIMIT])
    name = _("Science activities")
    body = feeds.calendar_feed(activities, base_url=request.build_absolute_uri("/").rstrip("/"), name=name)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="kepu-activities.ics"'
    return response


def detail(request, pk):
    activity = selectors.activity_for_visitor(actor=request.actor, pk=pk)
    sessions = selectors.sessions_of(activity, upcoming_only=activity.status == ActivityStatus.PUBLISHED)
    mine = {
        r.session_id: r
        for r in selectors.my_registrations(actor=request.actor, activity=activity)
        if r.user_id == getattr(request.user, "pk", None) and r.status in ("pending", "confirmed", "waiting", "offered")
    }
    own_population = key_population_of(request.user)
    image = (
        request.build_absolute_uri(activity.image.url)
        if activity.image
        else request.build_absolute_uri(static("activities/share.png"))
    )
    context = {
        "activity": activity,
        "sessions": [(s, mine.get(s.pk)) for s in sessions],
        "form": SignUpForm(),
        "my_population": own_population,
        "population_unset": not own_population,
        "signup_window": _signup_window(activity),
        "can_manage": can(request.actor, ActivityAction.MANAGE, activity),
        "group_form": OnBehalfForm() if can(request.actor, ActivityAction.REGISTER_OTHERS, activity) else None,
        "share_url": request.build_absolute_uri(),
        "share_image": image,
        "populations": activity.population_labels(),
        "topics": activity.topic_labels(),
    }
    return TemplateResponse(request, "activities/detail.html", context)


def _signup_window(activity) -> str:
    """ "not_yet" before sign-up opens, "closed" after it closes, "" while it is open."""
    now = clock.now()
    if activity.registration_opens_at and now < activity.registration_opens_at:
        return "not_yet"
    if activity.registration_closes_at and now >= activity.registration_closes_at:
        return "closed"
    return ""


@require_POST
def signup(request, session_pk):
    if not request.actor.is_authenticated:
        return redirect_to_login(
            reverse("activities:detail", args=[_activity_of(session_pk)]), reverse("accounts:phone_login")
        )
    session = Session.objects.select_related("activity").filter(pk=session_pk).first()
    if session is None:
        return _not_found(request)
    form = SignUpForm(request.POST)
    if not form.is_valid():  # counted by population: chosen by the person, never the first option
        messages.error(request, _('Choose which group you are in (or "other") before signing up.'))
        return redirect("activities:detail", session.activity_id)
    population = form.cleaned_data["population"]
    reg = services.registration_create(actor=request.actor, session=session, population=population)
    if reg.status == RegistrationStatus.CONFIRMED:
        messages.success(request, _("You are signed up. Show this QR code at the entrance."))
    elif reg.status == RegistrationStatus.WAITING:
        messages.success(
            request, _("The session is full: you are on the waiting list. We will send an SMS when a place is free.")
        )
    else:
        messages.success(request, _("Your sign-up waits for the organizer's approval."))
    return redirect("activities:ticket", reg.pk)


@require_POST
@role_required(*STAFF_ROLES)
def group_signup(request, session_pk):
    """A teacher, community worker or any staff member registers a person or a group (schools booking a visit)."""
    session = Session.objects.select_related("activity").filter(pk=session_pk).first()
    if session is None:
        return _not_found(request)
    form = OnBehalfForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the name, head count and population."))
        return redirect("activities:detail", session.activity_id)
    chosen = form.cleaned_data.get("session")
    if chosen and chosen != session.pk:  # the session chosen in the form, of the same activity
        session = Session.objects.select_related("activity").filter(pk=chosen, activity_id=session.activity_id).first()
        if session is None:
            return _not_found(request)
    reg = _register_on_behalf(request, session, form.cleaned_data)
    messages.success(request, _("Registered: %(status)s.") % {"status": reg.get_status_display()})
    return redirect("activities:ticket", reg.pk)


def _register_on_behalf(request, session, data):
    """Staff register a person (found by the phone they give, within the staff's area) or a named group."""
    attendee = None
    if data["phone"]:
        attendee = person_by_phone(actor=request.actor, phone=data["phone"])
        if attendee is None:
            raise DomainError(
                _(
                    "Nobody with this mobile number is registered in your area. Leave the number "
                    "empty and give the name instead."
                ),
                code="attendee_unknown",
            )
    return services.registration_create(
        actor=request.actor,
        session=session,
        on_behalf=True,
        name=data["name"],
        head_count=data["head_count"],
        population=data["population"] or None,
        note=data["note"],
        attendee=attendee,
    )


def _activity_of(session_pk) -> int:
    s = Session.objects.filter(pk=session_pk).values_list("activity_id", flat=True).first()
    if s is None:
        raise Http404
    return s


@login_required
def mine(request):
    regs = selectors.my_registrations(actor=request.actor)[:100]
    return TemplateResponse(request, "activities/mine.html", {"registrations": regs})


@login_required
def ticket(request, pk):
    reg = selectors.registration_for(actor=request.actor, pk=pk)
    qr = feeds.qr_svg(reg.qr_payload, title=_("Ticket QR code")) if reg.status == RegistrationStatus.CONFIRMED else ""
    survey_form = None
    if reg.user_id == request.user.pk and services.survey_open(reg) and not _has_survey(reg):
        survey_form = SurveyForm()
    context = {
        "reg": reg,
        "activity": reg.session.activity,
        "qr": qr,
        "position": selectors.waiting_position(reg),
        "survey_form": survey_form,
        "can_cancel": REGISTRATION.allowed(request.actor, reg, "cancel"),
        "can_accept": REGISTRATION.allowed(request.actor, reg, "accept"),
    }
    return TemplateResponse(request, "activities/ticket.html", context)


def _has_survey(reg) -> bool:
    from kepu.activities.models import SurveyResponse

    return SurveyResponse.objects.filter(registration=reg).exists()


@login_required
def ticket_png(request, pk):
    reg = selectors.registration_for(actor=request.actor, pk=pk)
    if reg.status != RegistrationStatus.CONFIRMED:
        return _not_found(request)
    response = HttpResponse(feeds.qr_png(reg.qr_payload), content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="ticket-{reg.pk}.png"'
    return response


def _registration_action(request, pk, fn, ok_message, **kwargs):
    reg = selectors.registration_for(actor=request.actor, pk=pk)
    fn(actor=request.actor, registration=reg, **kwargs)
    messages.success(request, ok_message)
    return redirect(safe_next(request, request.POST.get("next"), reverse("activities:ticket", args=[pk])))


@require_POST
@login_required
def cancel(request, pk):
    return _registration_action(request, pk, services.registration_cancel, _("The sign-up is cancelled."))


@require_POST
@login_required
def accept(request, pk):
    return _registration_action(request, pk, services.registration_accept_offer, _("The place is yours."))


@require_POST
@login_required
def survey(request, pk):
    form = SurveyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a rating from 1 to 5."))
        return redirect("activities:ticket", pk)
    return _registration_action(
        request,
        pk,
        services.survey_submit,
        _("Thank you for your answer."),
        score=form.cleaned_data["score"],
        comment=form.cleaned_data["comment"],
    )


# --- Organizers --------------------------------------------------------------------------------------
@role_required(*STAFF_ROLES)
def manage_list(request):
    status = request.GET.get("status", "")
    status = status if status in ActivityStatus.values else ""
    qs = selectors.managed_activities(actor=request.actor, status=status)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "statuses": ActivityStatus.choices,
        "review": selectors.review_queue(actor=request.actor)[:50],
        "review_setting": selectors.review_setting_for(actor=request.actor),
    }
    return TemplateResponse(request, "activities/manage_list.html", context)


@require_POST
@role_required(Role.DISTRICT_ADMIN)
def review_setting(request):
    """The district office turns review before publication on or off for its district."""
    services.district_settings_set(
        actor=request.actor, district=request.actor.place, review_required=request.POST.get("on") == "1"
    )
    messages.success(request, _("Saved."))
    return redirect("activities:manage")


@role_required(*STAFF_ROLES)
def create(request):
    organization = request.actor.organization
    form = ActivityForm(request.POST or None, request.FILES or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        with errors_into(form) as errs:
            activity = services.activity_create(
                actor=request.actor,
                organization=organization,
                title=form.cleaned_data["title"],
                sessions=form.sessions(),
                **form.activity_fields(),
            )
        if errs.error is None:
            messages.success(request, _("Saved as a draft. Check it and publish it."))
            return redirect("activities:manage_detail", activity.pk)
    return TemplateResponse(request, "activities/form.html", {"form": form, "pick": form.picker()})


@role_required(*STAFF_ROLES)
def edit(request, pk):
    activity = _managed(request, pk)
    form = ActivityForm(
        request.POST or None,
        request.FILES or None,
        organization=activity.organization,
        edit=True,
        initial=ActivityForm.initial_for(activity),
    )
    if request.method == "POST" and form.is_valid():
        with errors_into(form) as errs:
            services.activity_update(actor=request.actor, activity=activity, **form.activity_fields())
        if errs.error is None:
            messages.success(request, _("Saved."))
            return redirect("activities:manage_detail", activity.pk)
    return TemplateResponse(
        request,
        "activities/form.html",
        {"form": form, "pick": form.picker(), "activity": activity, "activity_id": activity.pk},
    )


@role_required(*STAFF_ROLES)
def place_picker(request):
    """htmx: the place picker redrawn after one of its steps changed (later steps reset when an earlier one does)."""
    organization = request.actor.organization
    if request.GET.get("activity"):
        try:
            organization = _managed(request, int(request.GET["activity"])).organization
        except (DomainError, ValueError):
            return _not_found(request)
    pick = selectors.place_pick(
        organization,
        district=request.GET.get("district", ""),
        street=request.GET.get("street", ""),
        community=request.GET.get("community", ""),
    )
    return TemplateResponse(
        request, "activities/form.html#picker", {"pick": pick, "activity_id": request.GET.get("activity", "")}
    )


def _managed(request, pk):
    return selectors.activity_to_manage(actor=request.actor, pk=pk)


@role_required(*STAFF_ROLES)
def manage_detail(request, pk):
    activity = _managed(request, pk)
    q = request.GET.get("q", "").strip()
    regs = selectors.registrations_of(activity=activity, q=q)
    page = Paginator(regs, 50).get_page(request.GET.get("page"))
    sessions = list(activity.sessions.order_by("starts_at")[:200])
    report = getattr(activity, "report", None) if hasattr(activity, "report") else None
    for r in page:
        r.decisions = [t for t in REGISTRATION.available(request.actor, r) if t.name in ("approve", "reject")]
        r.queue_place = r.waiting_seq if r.status == RegistrationStatus.WAITING else None
    context = {
        "activity": activity,
        "sessions": sessions,
        "page": page,
        "q": q,
        "actions": ACTIVITY.actions(
            request.actor, activity, url=lambda name: reverse("activities:act", args=[activity.pk, name])
        ),
        "waiting": ACTIVITY.waiting(request.actor, activity),
        "may_edit": activity.status != ActivityStatus.CANCELLED,
        "may_check_in": activity.status == ActivityStatus.PUBLISHED,
        "may_register_others": can(request.actor, ActivityAction.REGISTER_OTHERS, activity),
        "on_behalf": OnBehalfForm(initial={"session": sessions[0].pk if sessions else None}),
        "report_form": ReportForm(initial={"notes": report.notes if report else ""}),
        "photos": activity.photos.all()[:30],
        "fig": selectors.figures(
            actor=request.actor, date_from=date(2000, 1, 1), date_to=date(2100, 1, 1), activity_id=activity.pk
        ),
    }
    template = "activities/manage_detail.html#registrations" if request.htmx else "activities/manage_detail.html"
    return TemplateResponse(request, template, context)


@require_POST
@role_required(*STAFF_ROLES)
def activity_act(request, pk, action):
    """One step of the activity's workflow (publish, approve, send back, cancel), as the table declares it."""
    activity = _managed(request, pk)
    if action not in ACTIVITY:
        raise Http404
    activity = services.activity_transition(
        actor=request.actor, activity=activity, action=action, reason=request.POST.get(f"{action}-reason", "")
    )
    messages.success(
        request,
        _("Done: %(action)s (%(status)s).")
        % {"action": ACTIVITY[action].label, "status": activity.get_status_display()},
    )
    return redirect("activities:manage_detail", pk)


@require_POST
@role_required(*STAFF_ROLES)
def register_on_behalf(request, pk):
    activity = _managed(request, pk)
    form = OnBehalfForm(request.POST)
    if not form.is_valid():
        raise DomainError(_("Check the name, head count and population."), code="on_behalf_invalid")
    session = activity.sessions.filter(pk=form.cleaned_data["session"]).first()
    if session is None:
        raise NotFound()
    reg = _register_on_behalf(request, session, form.cleaned_data)
    messages.success(request, _("Registered: %(status)s.") % {"status": reg.get_status_display()})
    return redirect("activities:manage_detail", pk)


@require_POST
@role_required(*STAFF_ROLES)
def registration_decide(request, pk, reg_pk, action):
    """Approve or refuse a sign-up that needs approval (the registration workflow's approve / reject)."""
    activity = _managed(request, pk)
    reg = selectors.registrations_of(activity=activity).filter(pk=reg_pk).first()
    if reg is None or action not in ("approve", "reject"):
        raise NotFound()
    services.registration_decide(actor=request.actor, registration=reg, approve=action == "approve")
    messages.success(request, _("Saved."))
    return redirect("activities:manage_detail", pk)


@require_POST
@role_required(*STAFF_ROLES)
def report(request, pk):
    activity = _managed(request, pk)
    form = ReportForm(request.POST, request.FILES)
    if not form.is_valid():
        raise DomainError(" ".join(str(e) for errs in form.errors.values() for e in errs), code="report_invalid")
    services.report_save(actor=request.actor, activity=activity, notes=form.cleaned_data["notes"])
    if form.cleaned_data.get("photo"):
        try:
            services.photo_add(
                actor=request.actor,
                activity=activity,
                file=form.cleaned_data["photo"],
                caption=form.cleaned_data["caption"],
            )
        except ValidationError as exc:  # a photo of the wrong type
            raise DomainError(" ".join(exc.messages), code="photo_invalid") from None
    messages.success(request, _("Saved."))
    return redirect("activities:manage_detail", pk)


@require_POST
@role_required(*STAFF_ROLES)
def session_capacity(request, pk, session_pk):
    activity = _managed(request, pk)
    session = activity.sessions.filter(pk=session_pk).first()
    if session is None:
        raise NotFound()
    try:
        capacity = int(request.POST.get("capacity") or 0)
    except ValueError:
        capacity = 0
    services.session_set_capacity(actor=request.actor, session=session, capacity=capacity)
    messages.success(request, _("Saved."))
    return redirect("activities:manage_detail", pk)


# --- Check-in --------------------------------------------------------------------------------------------
def _checkin_context(request, activity, result=None) -> dict:
    sessions = list(activity.sessions.filter(is_cancelled=False).order_by("starts_at")[:200])
    current = _pick_session(sessions, request.GET.get("session") or request.POST.get("session"))
    q = request.GET.get("q", "").strip()
    now = clock.now()
    return {
        "activity": activity,
        "sessions": sessions,
        "current": current,
        "walk_in": WalkInForm(),
        "result": result,
        "q": q,
        "matches": list(selectors.registrations_of(activity=activity, session=current, q=q)[:20]) if q else [],
        "counts": _session_counts(current),
        # Where the door stands: not open yet, open, or ended (only late entries, with a reason).
        "door_early": current is not None and now < current.checkin_opens_at,
        "door_closed": current is not None and now > current.checkin_closes_at,
        "late_started": current is not None and now >= current.starts_at,
    }


def _checkin_page(request, activity, result=None, status=200):
    context = _checkin_context(request, activity, result)
    template = "activities/checkin.html#panel" if request.htmx else "activities/checkin.html"
    return TemplateResponse(request, template, context, status=status)


def _checkin_do(request, pk, act):
    """Run one check-in operation and answer with the panel: the result in words, good or bad."""
    activity = _managed(request, pk)
    context = _checkin_context(request, activity)
    try:
        text = act(activity, context["current"])
        result = {"ok": True, "text": text}
    except DomainError as exc:  # kept: the check-in panel itself says what went wrong, next to the scanner
        if exc.status in (403, 404):
            raise
        result = {"ok": False, "text": str(exc.message)}
    return _checkin_page(request, activity, result)


@role_required(*STAFF_ROLES)
def checkin(request, pk):
    """The door: the page, and a scanned or typed ticket (POST)."""
    if request.method != "POST":
        return _checkin_page(request, _managed(request, pk))

    def scan(activity, current):
        reg = services.check_in(
            actor=request.actor, activity=activity, payload=request.POST.get("payload", ""), session=current
        )
        return _("%(name)s is checked in (%(n)s).") % {"name": reg.name, "n": reg.head_count}

    return _checkin_do(request, pk, scan)


def _registration_of(activity, pk) -> Registration:
    reg = selectors.registrations_of(activity=activity).filter(pk=pk).first() if str(pk).isdigit() else None
    if reg is None:
        raise NotFound()
    return reg


@require_POST
@role_required(*STAFF_ROLES)
def checkin_registration(request, pk):
    """Check in someone found by name."""

    def by_name(activity, current):
        reg = _registration_of(activity, request.POST.get("registration"))
        reg = services.check_in(actor=request.actor, activity=activity, registration=reg, session=current)
        return _("%(name)s is checked in (%(n)s).") % {"name": reg.name, "n": reg.head_count}

    return _checkin_do(request, pk, by_name)


@require_POST
@role_required(*STAFF_ROLES)
def checkin_late(request, pk):
    """补登: count someone the door missed, with the reason."""

    def late(activity, current):
        form = LateEntryForm(request.POST)
        if not form.is_valid():
            raise DomainError(
                _("Give the reason for the late entry (at least two characters)."), code="reason_required"
            )
        reg = _registration_of(activity, form.cleaned_data["registration"])
        reg = services.check_in_late(
            actor=request.actor, activity=activity, registration=reg, reason=form.cleaned_data["reason"]
        )
        return _("%(name)s is counted as a late entry.") % {"name": reg.name}

    return _checkin_do(request, pk, late)


@require_POST
@role_required(*STAFF_ROLES)
def checkin_walk_in(request, pk):
    def walk_in(activity, current):
        form = WalkInForm(request.POST)
        if not form.is_valid() or current is None:
            raise DomainError(_("Enter a head count between 1 and 10000 and choose the population."))
        late_reason = request.POST.get("late_reason", "").strip() or None
        services.walk_in_record(actor=request.actor, session=current, late_reason=late_reason, **form.cleaned_data)
        return _("%(n)s walk-ins counted.") % {"n": form.cleaned_data["head_count"]}

    return _checkin_do(request, pk, walk_in)


def _pick_session(sessions, wanted):
    for s in sessions:
        if wanted and str(s.pk) == str(wanted):
            return s
    now = clock.now()
    for s in sessions:
        if s.ends_at >= now - timedelta(hours=2):
            return s
    return sessions[-1] if sessions else None


def _session_counts(session):
    if session is None:
        return {}
    from django.db.models import Sum

    regs = session.registrations.all()
    return {
        "confirmed": regs.filter(status=RegistrationStatus.CONFIRMED).aggregate(n=Sum("head_count"))["n"] or 0,
        "checked_in": regs.filter(checked_in_at__isnull=False).aggregate(n=Sum("head_count"))["n"] or 0,
        "walk_ins": session.walk_ins.aggregate(n=Sum("head_count"))["n"] or 0,
    }


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@role_required(*STAFF_ROLES)
def checkin_export(request, pk):
    """One session's check-in list as an Excel file (the session asked for, else the one the check-in page shows)."""
    activity = _managed(request, pk)
    sessions = list(activity.sessions.filter(is_cancelled=False).order_by("starts_at")[:200])
    session = _pick_session(sessions, request.GET.get("session"))
    if session is None:
        return _not_found(request)
    content = services.checkin_sheet_export(actor=request.actor, activity=activity, session=session)
    response = HttpResponse(content, content_type=XLSX)
    stamp = timezone.localtime(session.starts_at).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="checkin-{activity.pk}-{stamp}.xlsx"'
    return response


@require_POST
@role_required(*STAFF_ROLES)
def checkin_import(request, pk):
    activity = _managed(request, pk)
    upload = request.FILES.get("file")
    if upload is None or upload.size > 5_000_000:
        raise DomainError(_("Choose the check-in list file (.xlsx, at most 5 MB)."), code="import_format")
    try:
        result = services.checkin_sheet_import(
            actor=request.actor,
            activity=activity,
            content=upload.read(),
            late_reason=request.POST.get("late_reason", "").strip() or None,
        )
    except services.CheckinListInvalid as exc:
        # Every row to correct is listed, not one message: the middleware would give only the first.
        messages.error(request, _("Nothing was saved: %(n)s rows need correcting.") % {"n": len(exc.errors)})
        for line in exc.errors[:50]:
            messages.error(request, line)
    else:
        text = _("%(n)s people checked in from the list.") % {"n": result.checked_in}
        if result.already:
            text += " " + _("%(n)s were checked in already.") % {"n": result.already}
        if result.walk_ins:
            text += " " + _("%(n)s walk-ins counted.") % {"n": result.walk_ins}
        elif result.walk_ins_already_counted:
            text += " " + _("The walk-ins of this list were counted before.")
        messages.success(request, text)
    return redirect("activities:manage_detail", pk)


# --- Offices: themes and figures ----------------------------------------------------------------------------
@role_required(*(OFFICE_ROLES | {Role.STREET_STAFF}))
def themes(request):
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    year = min(max(year, 2000), 2100)
    rows = selectors.theme_overview(actor=request.actor, year=year)
    return TemplateResponse(request, "activities/themes.html", {"rows": rows, "year": year})


def _period(request):
    today = timezone.localdate()
    try:
        d_from = date.fromisoformat(request.GET.get("from") or "")
    except ValueError:
        d_from = date(today.year, 1, 1)
    try:
        d_to = date.fromisoformat(request.GET.get("to") or "")
    except ValueError:
        d_to = date(today.year, 12, 31)
    if d_to < d_from:
        d_from, d_to = d_to, d_from
    return d_from, d_to


BREAKDOWN_LABELS = {
    "place": gettext_lazy("By place"),
    "organization": gettext_lazy("By organizer"),
    "theme": gettext_lazy("By theme"),
}


def _breakdown(request) -> str:
    by = request.GET.get("by", "")
    return by if by in selectors.BREAKDOWNS else "place"


def _org_filter(request):
    try:
        org_id = int(request.GET.get("org") or 0) or None
    except ValueError:
        return None
    if org_id and not can_see_org(request.actor, org_id):
        raise PermissionDenied
    return org_id


def can_see_org(actor, org_id) -> bool:
    return organization_visible(actor, org_id)


@role_required(*STAFF_ROLES)
def dashboard(request):
    d_from, d_to = _period(request)
    theme = request.GET.get("theme", "")
    org_id = _org_filter(request)
    # A leader's figure links here with its place: the figures of that place's subtree (within the viewer's area).
    code = request.GET.get("place", "")
    place_path = (path_of(code) or "-") if code else ""
    fig = selectors.figures(
        actor=request.actor, date_from=d_from, date_to=d_to, theme=theme, organization_id=org_id, place_path=place_path
    )
    pop_rows = [(str(Population(p).label), n) for p, n in fig.by_population.items()]
    month_rows = [(m.strftime("%Y-%m") if hasattr(m, "strftime") else str(m), n) for m, n in fig.by_month]
    by = _breakdown(request)
    groups = selectors.figures_breakdown(
        actor=request.actor, date_from=d_from, date_to=d_to, by=by, theme=theme, organization_id=org_id
    )
    context = {
        "by": by,
        "by_label": BREAKDOWN_LABELS[by],
        "breakdowns": BREAKDOWN_LABELS.items(),
        "groups": groups,
        "group_chart": feeds.bars([(str(g["label"]), g["person_times"]) for g in groups[:12]]),
        "fig": fig,
        "from": d_from,
        "to": d_to,
        "theme": theme,
        "org": org_id or "",
        "place": code,
        "themes": selectors.calendar_choices()["themes"],
        "pop_chart": feeds.bars(pop_rows),
        "month_chart": feeds.columns(month_rows),
        "top": selectors.figures_by_activity(
            actor=request.actor, date_from=d_from, date_to=d_to, theme=theme, organization_id=org_id, limit=20
        ),
        "query": request.GET.urlencode(),
    }
    return TemplateResponse(request, "activities/dashboard.html", context)


@role_required(*STAFF_ROLES)
def dashboard_xlsx(request):
    from kepu.core.exports import Workbook

    d_from, d_to = _period(request)
    theme = request.GET.get("theme", "")
    org_id = _org_filter(request)
    fig = selectors.figures(actor=request.actor, date_from=d_from, date_to=d_to, theme=theme, organization_id=org_id)
    rows = selectors.figures_by_activity(
        actor=request.actor, date_from=d_from, date_to=d_to, theme=theme, organization_id=org_id
    )
    wb = Workbook()
    ws = wb.active
    ws.title = _("Summary")
    ws.append([_("From"), d_from.isoformat(), _("To"), d_to.isoformat()])
    for label, value in (
        (_("Activities"), fig.activities),
        (pgettext("activity", "Sessions"), fig.sessions),
        (_("Registrations"), fig.registrations),
        (_("Checked in"), fig.checked_in),
        (_("Walk-ins"), fig.walk_ins),
        (_("Delivered service orders"), fig.services),
        (_("Person-times"), fig.person_times),
    ):
        ws.append([label, value])
    for p, n in fig.by_population.items():
        ws.append([str(Population(p).label), n])
    detail = wb.create_sheet(_("Activities"))
    pops = list(Population)
    detail.append(
        [
            _("Activity"),
            _("Organizer"),
            _("Place"),
            _("Theme"),
            _("Starts"),
            pgettext("activity", "Sessions"),
            _("Registrations"),
            _("Checked in"),
            _("Walk-ins"),
            _("Person-times"),
        ]
        + [str(p.label) for p in pops]
    )
    for r in rows:
        a = r["activity"]
        detail.append(
            [
                a.title,
                a.organization.name,
                a.place.name,
                a.theme.name if a.theme_id else "",
                timezone.localtime(a.starts_at).strftime("%Y-%m-%d %H:%M") if a.starts_at else "",
                r["sessions"],
                r["registrations"],
                r["checked_in"],
                r["walk_ins"],
                r["person_times"],
            ]
            + [r["by_population"][p.value] for p in pops]
        )
    by = _breakdown(request)
    split = wb.create_sheet(str(BREAKDOWN_LABELS[by]))
    split.append(
        [
            str(BREAKDOWN_LABELS[by]),
            pgettext("activity", "Sessions"),
            _("Activities"),
            _("Registrations"),
            _("Checked in"),
            _("Walk-ins"),
            _("Delivered service orders"),
            _("Person-times"),
        ]
    )
    for g in selectors.figures_breakdown(
        actor=request.actor, date_from=d_from, date_to=d_to, by=by, theme=theme, organization_id=org_id
    ):
        split.append(
            [
                str(g["label"]),
                g["sessions"],
                g["activities"],
                g["registrations"],
                g["checked_in"],
                g["walk_ins"],
                g["services"],
                g["person_times"],
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="activities-{d_from}-{d_to}.xlsx"'
    return response


# --- Visit booking (预约参观) --------------------------------------------------------------------------------
@role_required(*STAFF_ROLES)
def venues(request):
    form = VenueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        with errors_into(form) as errs:
            services.venue_create(
                actor=request.actor,
                organization=request.actor.organization,
                place=request.actor.organization.place,
                name=d["name"],
                address=d["address"],
                opening_hours=d["hours"],
                slot_minutes=d["slot_minutes"],
                slot_capacity=d["slot_capacity"],
            )
        if errs.error is None:
            messages.success(request, _("Saved."))
            return redirect("activities:venues")
    today = timezone.localdate()
    context = {
        "venues": selectors.venues_for(actor=request.actor)[:100],
        "form": form,
        "slots_form": SlotsForm(initial={"first_day": today, "last_day": today + timedelta(days=27)}),
    }
    return TemplateResponse(request, "activities/venues.html", context)


@require_POST
@role_required(*STAFF_ROLES)
def venue_slots(request, pk):
    venue = selectors.venues_for(actor=request.actor).filter(pk=pk).first()
    if venue is None:
        return _not_found(request)
    form = SlotsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The request is not valid."))
        return redirect("activities:venues")
    activity = services.venue_publish_slots(actor=request.actor, venue=venue, **form.cleaned_data)
    messages.success(request, _("Visit slots are open for booking."))
    return redirect("activities:manage_detail", activity.pk)
