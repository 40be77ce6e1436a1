"""Volunteer pages: register, join, sign up, hours, certificates; organization desk; expert library; trainings.

Thin: parse, call a service or selector, render a page (or an htmx fragment).
"""

from __future__ import annotations

from decimal import Decimal

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kepu.accounts.selectors import people_of
from kepu.core import clock
from kepu.core.audit import log_action
from kepu.core.errors import DomainError
from kepu.core.exports import CsvWriter
from kepu.core.http import errors_into, login_required, role_required, safe_next
from kepu.core.permissions import can
from kepu.core.roles import STAFF_ROLES, Role
from kepu.orgs.selectors import organization_by_pk, organizations_queryset
from kepu.places import picker
from kepu.places.selectors import path_of
from kepu.volunteers import exports, forms, selectors, services
from kepu.volunteers.certificates import certificate_pdf
from kepu.volunteers.models import (
    Expert,
    HoursEntry,
    HoursReport,
    ImportJob,
    JoinRequest,
    Need,
    NeedKind,
    SignUp,
    Training,
    TrainingSession,
    Volunteer,
)
from kepu.volunteers.permissions import (
    ExpertAction,
    ImportAction,
    InvitationAction,
    OrgAction,
    VolunteerAction,
    export_organization_id,
)
from kepu.volunteers.workflow import SIGNUP

ORG_STAFF = (Role.VOLUNTEER_ORG_STAFF,)


class CappedPaginator(Paginator):
    """Counts experts only up to the cap (nobody pages through more than a thousand of them), from the same
    query that gives the page (``selectors.ExpertMatches``)."""

    def __init__(self, qs, per_page):
        super().__init__(selectors.ExpertMatches(qs), per_page)

    def _check_object_list_is_ordered(self):
        pass  # ordered by entry in ExpertMatches


def _qr_svg(data: str, label: str) -> str:
    svg = segno.make(data, error="m").svg_inline(scale=4, border=2, omitsize=True)
    return format_html('<figure class="qr" role="img" aria-label="{}">{}</figure>', label, mark_safe(svg))


def _volunteer_or_404(request) -> Volunteer:
    volunteer = selectors.volunteer_of(request.user)
    if volunteer is None:
        raise Http404
    return volunteer


def _field_of(exc: DomainError) -> str | None:
    """The field an identity refusal belongs next to: the ID number, the phone, or the form as a whole."""
    if exc.code.startswith("id_"):
        return "id_number"
    return "phone" if exc.code == "phone_invalid" else None


# --- The volunteer's own pages -----------------------------------------------------------
@login_required
def me(request):
    volunteer = selectors.volunteer_of(request.user)
    if volunteer is None:
        return redirect("volunteers:register")
    summary = selectors.volunteer_summary(volunteer)
    scan_url = request.build_absolute_uri(reverse("volunteers:scan", args=[volunteer.qr_token]))
    context = {
        "volunteer": volunteer,
        **summary,
        "joinable": selectors.joinable_organizations(volunteer)[:50],
        "open_needs": selectors.need_list(actor=request.actor, open_only=True).filter(ends_at__gt=clock.now())[:20],
        "qr": _qr_svg(scan_url, _("My volunteer QR code")),
        "star_range": range(summary["stars"]),
    }
    return TemplateResponse(request, "volunteers/me.html", context)


@login_required
def register(request):
    if selectors.volunteer_of(request.user) is not None:
        return redirect("volunteers:me")
    home = request.user.home_place
    initial = {"real_name": request.user.name}
    form = forms.RegisterForm(request.POST or None, initial=initial)
    label = "street"
    home_code = home.code if home is not None else ""
    if request.method == "POST":
        street_picker = picker.from_request(request.POST, "street", home=home_code, level="street", label=label)
    else:
        street_picker = picker.picker("street", home=home_code, level="street", label=label)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["consent_version"] = settings.KEPU_POLICY_VERSION if data.pop("agree") else ""
        with errors_into(form, field_of=_field_of):
            services.volunteer_register(actor=request.actor, **data)
            messages.success(request, _("You are registered as a science volunteer. Now join an organization."))
            return redirect("volunteers:me")
    return TemplateResponse(request, "volunteers/register.html", {"form": form, "picker": street_picker})


@login_required
def confirm_id(request):
    volunteer = _volunteer_or_404(request)
    form = forms.ConfirmIdForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        consent = settings.KEPU_POLICY_VERSION if form.cleaned_data["agree"] else ""
        with errors_into(form, field_of=_field_of):
            services.volunteer_confirm_id(
                actor=request.actor, id_number=form.cleaned_data["id_number"], consent_version=consent
            )
            messages.success(request, _("Your ID number is confirmed."))
            return redirect("volunteers:me")
    return TemplateResponse(request, "volunteers/confirm_id.html", {"form": form, "volunteer": volunteer})


@login_required
def profile_edit(request):
    volunteer = _volunteer_or_404(request)
    initial = {
        "street": volunteer.street.code if volunteer.street_id else None,
        "skills": volunteer.skills,
        "topics": volunteer.topics,
        "languages": volunteer.languages,
        "availability": volunteer.availability,
        "education": volunteer.education,
        "title": volunteer.title,
    }
    form = forms.ProfileForm(request.POST or None, initial=initial)
    label = "street"
    home = (
        volunteer.street.code
        if volunteer.street_id
        else (request.user.home_place.code if request.user.home_place_id else "")
    )
    if request.method == "POST":
        street_picker = picker.from_request(request.POST, "street", home=home, level="street", label=label)
    else:
        street_picker = picker.picker("street", home=home, level="street", label=label)
    if request.method == "POST" and form.is_valid():
        with errors_into(form):
            services.volunteer_update(actor=request.actor, volunteer=volunteer, **form.cleaned_data)
            messages.success(request, _("Your profile was saved."))
            return redirect("volunteers:me")
    return TemplateResponse(request, "volunteers/profile_edit.html", {"form": form, "picker": street_picker})


@require_POST
@login_required
def join(request):
    volunteer = _volunteer_or_404(request)
    organization = organization_by_pk(request.POST.get("organization") or 0)
    if organization is None:
        raise Http404
    services.join_request_create(actor=request.actor, volunteer=volunteer, organization=organization)
    messages.success(request, _("Your request was sent to %(org)s.") % {"org": organization.name})
    return redirect("volunteers:me")


@login_required
def hours(request):
    volunteer = _volunteer_or_404(request)
    entries = selectors.hours_entries(actor=request.actor, volunteer=volunteer)
    page = Paginator(entries, 30).get_page(request.GET.get("page"))
    minutes = selectors.volunteer_minutes(volunteer)
    return TemplateResponse(
        request,
        "volunteers/hours.html",
        {
            "volunteer": volunteer,
            "page": page,
            "hours": round(minutes / 60, 1),
            "stars": selectors.star_level(minutes),
            "reports": volunteer.reports.select_related("organization")[:20],
        },
    )


@login_required
def report_hours(request):
    volunteer = _volunteer_or_404(request)
    orgs = organizations_queryset(o.pk for o in selectors.member_organizations(volunteer))
    form = forms.ReportForm(request.POST or None, organizations=orgs)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        with errors_into(form):
            services.hours_report_create(
                actor=request.actor,
                organization=d["organization"],
                served_on=d["served_on"],
                minutes=int(d["hours"] * 60),
                description=d["description"],
            )
            messages.success(request, _("Your report was sent to the organization for approval."))
            return redirect("volunteers:hours")
    return TemplateResponse(request, "volunteers/report.html", {"form": form})


@require_POST
@login_required
def certificate_issue(request):
    volunteer = _volunteer_or_404(request)
    cert = services.certificate_issue(actor=request.actor, volunteer=volunteer)
    return redirect("volunteers:certificate", number=cert.number)


@login_required
def certificate(request, number):
    cert = selectors.certificate_by_number(number)
    if cert is None or cert.volunteer.user_id != request.user.pk:
        raise Http404
    verify_url = request.build_absolute_uri(reverse("volunteers:verify", args=[cert.number]))
    if request.GET.get("download"):
        response = HttpResponse(certificate_pdf(cert, verify_url=verify_url), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="certificate-{cert.number}.pdf"'
        return response
    context = {
        "cert": cert,
        "hours": round(cert.minutes / 60, 1),
        "verify_url": verify_url,
        "qr": _qr_svg(verify_url, _("QR code to verify this certificate")),
        "star_range": range(cert.stars),
    }
    return TemplateResponse(request, "volunteers/certificate.html", context)


def verify(request, number):
    """Public: anyone holding the certificate can check it (the QR code points here)."""
    cert = selectors.certificate_by_number(number)
    return TemplateResponse(
        request,
        "volunteers/verify.html",
        {
            "cert": cert,
            "hours": round(cert.minutes / 60, 1) if cert else 0,
            "number": number,
        },
        status=200 if cert else 404,
    )


@login_required
def anonymize(request):
    volunteer = _volunteer_or_404(request)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        services.volunteer_anonymize(actor=request.actor, volunteer=volunteer)
        from django.contrib.auth import logout

        logout(request)
        messages.success(request, _("Your volunteer data was anonymized. Your hours still count in the totals."))
        return redirect("core:landing")
    return TemplateResponse(request, "volunteers/anonymize.html", {"volunteer": volunteer})


# --- Needs and sign-ups --------------------------------------------------------------
@login_required
def need_list(request):
    needs = selectors.need_list(actor=request.actor)
    page = Paginator(needs, 25).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "volunteers/need_list.html",
        {"page": page, "may_create": can(request.actor, OrgAction.CREATE, Need())},
    )


@role_required(*ORG_STAFF)
def need_create(request):
    org = request.actor.organization
    trainings = Training.objects.all().order_by("title")
    leaders = people_of(org)
    form = forms.NeedForm(request.POST or None, trainings=trainings, leaders=leaders, initial={"place": org.place_id})
    if request.method == "POST" and form.is_valid():
        with errors_into(form):
            need = services.need_create(actor=request.actor, **form.cleaned_data)
            messages.success(request, _("The need was posted."))
            return redirect("volunteers:need", pk=need.pk)
    return TemplateResponse(request, "volunteers/need_form.html", {"form": form})


@login_required
def need_detail(request, pk):
    need = selectors.need_get(actor=request.actor, pk=pk)
    volunteer = selectors.volunteer_of(request.user)
    manage = can(request.actor, OrgAction.MANAGE, need)
    check_in = can(request.actor, OrgAction.CHECK_IN, need)
    mine = need.signups.filter(volunteer=volunteer).first() if volunteer else None
    ref_url = None
    if need.ref_id and need.kind in (NeedKind.ACTIVITY, NeedKind.OPEN_DAY):
        ref_url = reverse("activities:detail", args=[need.ref_id])
    elif need.ref_id and need.kind == NeedKind.ORDER and manage:
        ref_url = reverse("orders:detail", args=[need.ref_id])
    signups = list(selectors.need_signups(need)) if manage or check_in else []
    for s in signups:
        s.decisions = [t for t in SIGNUP.available(request.actor, s) if t.name in ("confirm", "reject")]
    return TemplateResponse(
        request,
        "volunteers/need_detail.html",
        {
            "need": need,
            "may_manage": manage,
            "may_check_in": check_in,
            "mine": mine,
            "may_withdraw": mine is not None and SIGNUP.allowed(request.actor, mine, "withdraw"),
            "may_sign_up": need.is_open and not manage and mine is None,
            "ref_url": ref_url,
            "signups": signups,
        },
    )


@require_POST
@login_required
def need_signup(request, pk):
    need = selectors.need_get(actor=request.actor, pk=pk)
    services.signup_create(actor=request.actor, need=need)
    messages.success(request, _("You signed up. The organization will confirm."))
    return redirect("volunteers:need", pk=pk)


def _signup_in_scope(request, pk) -> SignUp:
    from kepu.core.permissions import scope

    signup = scope(request.actor, SignUp.objects.select_related("need")).filter(pk=pk).first()
    if signup is None:
        raise Http404
    return signup


@require_POST
@login_required
def signup_withdraw(request, pk):
    signup = _signup_in_scope(request, pk)
    services.signup_withdraw(actor=request.actor, signup=signup)
    messages.success(request, _("You withdrew your sign-up."))
    return redirect("volunteers:need", pk=signup.need_id)


@require_POST
@role_required(*ORG_STAFF)
def signup_decide(request, pk):
    signup = _signup_in_scope(request, pk)
    services.signup_decide(actor=request.actor, signup=signup, confirm=request.POST.get("confirm") == "1")
    return redirect("volunteers:need", pk=signup.need_id)


@login_required
def scan(request, token):
    """The team leader scans a volunteer's QR code: the page lists the sign-ups they may sign in or out."""
    volunteer = Volunteer.objects.filter(qr_token=token, anonymized_at__isnull=True).first()
    if volunteer is None:
        raise Http404
    signups = selectors.signups_to_check_in(actor=request.actor, volunteer=volunteer)
    if not signups and volunteer.user_id != request.user.pk:
        raise Http404
    return TemplateResponse(request, "volunteers/scan.html", {"volunteer": volunteer, "signups": signups})


def _time_on(day, value: str):
    """``HH:MM`` on ``day`` in the platform's time zone, or None."""
    from datetime import datetime, time

    try:
        hour, minute = (int(part) for part in value.strip().split(":"))
        return timezone.make_aware(datetime.combine(day, time(hour, minute)))
    except ValueError:
        return None


@require_POST
@login_required
def presence(request, pk):
    need = selectors.need_get(actor=request.actor, pk=pk)
    token = request.POST.get("token", "")
    if request.POST.get("action") == "record":
        signup = need.signups.filter(pk=request.POST.get("signup") or 0).first()
        if signup is None:
            raise Http404
        day = timezone.localtime(need.starts_at).date()
        times = [_time_on(day, request.POST.get(name, "")) for name in ("signed_in", "signed_out")]
        if None in times:
            raise DomainError(_("Please enter both times as HH:MM."), code="presence_times")
        signup = services.presence_record(
            actor=request.actor, need=need, signup=signup, signed_in_at=times[0], signed_out_at=times[1]
        )
        messages.success(
            request,
            _("%(name)s signed out: %(minutes)s minutes credited.")
            % {"name": signup.volunteer.real_name, "minutes": signup.minutes},
        )
    elif request.POST.get("action") == "out":
        signup = services.presence_sign_out(actor=request.actor, need=need, volunteer_token=token)
        messages.success(
            request,
            _("%(name)s signed out: %(minutes)s minutes credited.")
            % {"name": signup.volunteer.real_name, "minutes": signup.minutes},
        )
    else:
        signup = services.presence_sign_in(actor=request.actor, need=need, volunteer_token=token)
        messages.success(request, _("%(name)s signed in.") % {"name": signup.volunteer.real_name})
    return redirect(safe_next(request, request.POST.get("back"), reverse("volunteers:need", args=[pk])))


# --- The organization's desk -----------------------------------------------------------
@role_required(*ORG_STAFF)
def org_home(request):
    actor = request.actor
    members = selectors.org_members(actor=actor)
    page = Paginator(members, 25).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "volunteers/org_home.html",
        {
            "page": page,
            "join_requests": selectors.pending_join_requests(actor=actor),
            "reports": selectors.pending_reports(actor=actor),
            "needs": selectors.need_list(actor=actor)[:10],
            "total_hours": round(selectors.organization_minutes(actor.organization_id) / 60, 1),
            "may_export": can(actor, VolunteerAction.EXPORT_PII, Volunteer),
        },
    )


@require_POST
@role_required(*ORG_STAFF)
def join_decide(request, pk):
    from kepu.core.permissions import scope

    jr = scope(request.actor, JoinRequest.objects.all()).filter(pk=pk).first()
    if jr is None:
        raise Http404
    services.join_request_decide(
        actor=request.actor,
        join_request=jr,
        approve=request.POST.get("approve") == "1",
        reason=request.POST.get("reason", ""),
    )
    return redirect("volunteers:org_home")


@require_POST
@role_required(*ORG_STAFF)
def report_decide(request, pk):
    from kepu.core.permissions import scope

    report = scope(request.actor, HoursReport.objects.all()).filter(pk=pk).first()
    if report is None:
        raise Http404
    services.hours_report_decide(
        actor=request.actor,
        report=report,
        approve=request.POST.get("approve") == "1",
        reason=request.POST.get("reason", ""),
    )
    return redirect("volunteers:org_home")


@role_required(*STAFF_ROLES)
def volunteer_detail(request, pk):
    volunteer = selectors.volunteer_get(actor=request.actor, pk=pk)
    entries = selectors.hours_entries(actor=request.actor, volunteer=volunteer)[:50]
    return TemplateResponse(
        request,
        "volunteers/volunteer_detail.html",
        {
            "volunteer": volunteer,
            "entries": entries,
            "hours": round(selectors.volunteer_minutes(volunteer) / 60, 1),
            "may_reveal": can(request.actor, VolunteerAction.VIEW_PII, volunteer),
            "may_correct": can(request.actor, VolunteerAction.CORRECT_HOURS, volunteer),
            "correction_form": forms.CorrectionForm(),
        },
    )


@require_POST
@login_required
def volunteer_reveal(request, pk, field):
    try:
        volunteer = selectors.volunteer_get(actor=request.actor, pk=pk)
        value = services.volunteer_reveal(actor=request.actor, volunteer=volunteer, field=field)
    except DomainError as exc:  # kept: the answer is the reveal fragment itself, in place of the button
        return TemplateResponse(request, "volunteers/reveal.html", {"error": exc.message}, status=exc.status)
    return TemplateResponse(request, "volunteers/reveal.html", {"value": value})


@require_POST
@role_required(*ORG_STAFF)
def hours_correct(request, pk):
    from kepu.core.permissions import scope

    entry = scope(request.actor, HoursEntry.objects.all()).filter(pk=pk).first()
    if entry is None:
        raise Http404
    form = forms.CorrectionForm(request.POST)
    if form.is_valid():
        services.hours_correct(actor=request.actor, entry=entry, **form.cleaned_data)
        messages.success(request, _("The correction was added to the ledger."))
    else:
        messages.error(request, _("Enter the minutes and a reason."))
    return redirect("volunteers:volunteer", pk=entry.volunteer_id)


@role_required(*ORG_STAFF)
def hours_csv(request):
    """Hours in the layout of the national volunteer system (全国志愿服务信息系统), audited."""
    if not can(request.actor, VolunteerAction.EXPORT_PII, Volunteer):
        raise PermissionDenied
    org = request.actor.organization
    log_action(request.actor, "kepu.volunteers.hours_exported", org, data={"format": "csv"})
    writer = CsvWriter()
    rows = exports.hours_rows(organization=org)
    response = StreamingHttpResponse(
        (writer.writerow(r) for r in exports.with_bom(exports.HOURS_HEADER, rows)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="hours-{org.pk}-{timezone.localdate():%Y%m%d}.csv"'
    return response


@role_required(*ORG_STAFF, Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
def members_xlsx(request):
    if not can(request.actor, VolunteerAction.EXPORT_PII, Volunteer):
        raise PermissionDenied
    log_action(request.actor, "kepu.volunteers.members_exported", request.actor.organization, data={"format": "xlsx"})
    data = exports.volunteers_xlsx(
        selectors.volunteer_list(
            actor=request.actor,
            organization_id=export_organization_id(request.actor),
        )
    )
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="volunteers-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


@role_required(Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.STREET_STAFF)
def hours_overview(request):
    # A leader's figure links here with its place and year: the same hours, organization by organization.
    code = request.GET.get("place", "")
    place_path = (path_of(code) or "-") if code else ""  # an unknown place matches nothing rather than everything
    year = request.GET.get("year", "")
    year = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else None
    rows = selectors.hours_by_organization(actor=request.actor, place_path=place_path, year=year)
    minutes = sum(r["minutes"] for r in rows)
    return TemplateResponse(
        request,
        "volunteers/hours_overview.html",
        {"rows": rows, "total": (Decimal(minutes) / 60).quantize(Decimal("0.1")), "year": year},
    )


# --- Expert library -------------------------------------------------------------------
@role_required(*STAFF_ROLES)
def experts(request):
    form = forms.ExpertSearchForm(request.GET or None)
    qs = selectors.expert_search(actor=request.actor)
    if form.is_valid():
        d = form.cleaned_data
        qs = selectors.expert_search(
            actor=request.actor,
            q=d["q"],
            field=d["field"],
            district_id=d["district"].pk if d["district"] else None,
            available=True if d["available"] else None,
            audience=d["audience"],
            emergency=True if d["emergency"] else None,
            emergency_field=d["emergency_field"],
        )
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(
            exports.experts_xlsx(qs), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="experts-{timezone.localdate():%Y%m%d}.xlsx"'
        return response
    page = CappedPaginator(qs, 20).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "more_than": selectors.EXPERT_COUNT_CAP if page.paginator.count > selectors.EXPERT_COUNT_CAP else None,
        "may_add": can(request.actor, ExpertAction.CREATE, Expert()),
    }
    template = "volunteers/experts.html#results" if request.htmx else "volunteers/experts.html"
    return TemplateResponse(request, template, context)


@role_required(Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
def expert_create(request):
    form = forms.ExpertForm(
        request.POST or None,
        initial={
            "district": None if can(request.actor, ExpertAction.CHOOSE_DISTRICT, Expert()) else request.actor.place.pk
        },
    )
    if request.method == "POST" and form.is_valid():
        with errors_into(form):
            expert = services.expert_create(actor=request.actor, **form.cleaned_data)
            return redirect("volunteers:expert", pk=expert.pk)
    return TemplateResponse(request, "volunteers/expert_form.html", {"form": form})


@role_required(*STAFF_ROLES)
def expert_detail(request, pk):
    expert = selectors.expert_get(actor=request.actor, pk=pk)
    invite_form = forms.InviteForm(request.POST or None)
    if request.method == "POST" and invite_form.is_valid():
        with errors_into(invite_form):
            services.expert_invite(actor=request.actor, expert=expert, **invite_form.cleaned_data)
            messages.success(request, _("The invitation was recorded."))
            return redirect("volunteers:expert", pk=pk)
    invitations = list(selectors.invitations_for(actor=request.actor, expert=expert))
    return TemplateResponse(
        request,
        "volunteers/expert_detail.html",
        {
            "expert": expert,
            "invite_form": invite_form,
            "invitations": invitations,
            "outcome_form": forms.OutcomeForm(),
            "may_record": {i.pk for i in invitations if can(request.actor, InvitationAction.RECORD_OUTCOME, i)},
            "may_reveal": can(request.actor, ExpertAction.VIEW_PII, expert),
            "may_invite": can(request.actor, ExpertAction.INVITE, expert),
        },
    )


@require_POST
@role_required(*STAFF_ROLES)
def expert_reveal(request, pk):
    try:
        expert = selectors.expert_get(actor=request.actor, pk=pk)
        value = services.expert_reveal_phone(actor=request.actor, expert=expert)
    except DomainError as exc:  # kept: the answer is the reveal fragment itself, in place of the button
        return TemplateResponse(request, "volunteers/reveal.html", {"error": exc.message}, status=exc.status)
    return TemplateResponse(request, "volunteers/reveal.html", {"value": value})


@require_POST
@role_required(*STAFF_ROLES)
def invitation_outcome(request, pk):
    invitation = selectors.invitations_for(actor=request.actor).filter(pk=pk).first()
    if invitation is None:
        raise Http404
    form = forms.OutcomeForm(request.POST)
    if form.is_valid():
        services.invitation_record_outcome(actor=request.actor, invitation=invitation, **form.cleaned_data)
        messages.success(request, _("The outcome was recorded."))
    return redirect("volunteers:expert", pk=invitation.expert_id)


# --- Trainings -----------------------------------------------------------------------
@login_required
def trainings(request):
    form = forms.TrainingForm(request.POST or None)
    may_create = can(request.actor, OrgAction.CREATE, Training())
    if request.method == "POST":
        if not may_create:
            raise PermissionDenied
        if form.is_valid():
            with errors_into(form):
                training = services.training_create(actor=request.actor, **form.cleaned_data)
                return redirect("volunteers:training", pk=training.pk)
    return TemplateResponse(
        request,
        "volunteers/trainings.html",
        {"trainings": selectors.training_list(actor=request.actor), "form": form, "may_create": may_create},
    )


@login_required
def training_detail(request, pk):
    training = selectors.training_list(actor=request.actor).filter(pk=pk).first()
    if training is None:
        raise Http404
    manage = can(request.actor, OrgAction.MANAGE, training)
    session_form = forms.SessionForm(request.POST if request.POST.get("form") == "session" else None)
    if request.method == "POST":
        if not manage:
            raise PermissionDenied
        if request.POST.get("form") == "session" and session_form.is_valid():
            with errors_into(session_form):
                services.training_session_create(actor=request.actor, training=training, **session_form.cleaned_data)
                return redirect("volunteers:training", pk=pk)
        if request.POST.get("form") == "attendance":
            session = TrainingSession.objects.filter(training=training, pk=request.POST.get("session") or 0).first()
            volunteer = Volunteer.objects.filter(qr_token=request.POST.get("token", "").strip()).first()
            if session is None or volunteer is None:
                messages.error(request, _("Choose a session and enter the volunteer's code."))
            else:
                services.training_attendance_record(actor=request.actor, session=session, volunteer=volunteer)
                messages.success(request, _("Attendance recorded for %(name)s.") % {"name": volunteer.real_name})
            return redirect("volunteers:training", pk=pk)
    # Who attended is personal data: only those who run the training see the names.
    sessions = training.sessions.annotate(attendance_count=Count("attendances"))
    if manage:
        sessions = sessions.prefetch_related("attendances__volunteer")
    return TemplateResponse(
        request,
        "volunteers/training_detail.html",
        {"training": training, "sessions": sessions, "may_manage": manage, "session_form": session_form},
    )


# --- Excel import ---------------------------------------------------------------------
@role_required(*ORG_STAFF, Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
def import_start(request, kind):
    from kepu.volunteers import imports

    if kind not in ("volunteers", "experts"):
        raise Http404
    action = ImportAction.VOLUNTEERS if kind == "volunteers" else ImportAction.EXPERTS
    if not can(request.actor, action, ImportJob()):
        raise PermissionDenied
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        with errors_into(form, field_of=lambda exc: "file"):
            job = imports.import_start(actor=request.actor, kind=kind, upload=form.cleaned_data["file"])
            return redirect("volunteers:import_job", pk=job.pk)
    return TemplateResponse(request, "volunteers/import.html", {"form": form, "kind": kind})


@role_required(*ORG_STAFF, Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
def import_template(request, kind):
    from kepu.volunteers import imports

    if kind not in ("volunteers", "experts"):
        raise Http404
    response = HttpResponse(
        imports.template_bytes(kind), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{kind}-template.xlsx"'
    return response


@require_POST
@login_required
def import_rerun(request, pk):
    from kepu.core.permissions import scope
    from kepu.volunteers import imports
    from kepu.volunteers.models import ImportJob

    job = scope(request.actor, ImportJob.objects.all()).filter(pk=pk).first()
    if job is None:
        raise Http404
    imports.import_rerun(actor=request.actor, job=job)
    return redirect("volunteers:import_job", pk=job.pk)


@login_required
def import_job(request, pk):
    from kepu.core.permissions import scope
    from kepu.volunteers.models import ImportJob

    job = scope(request.actor, ImportJob.objects.all()).filter(pk=pk).first()
    if job is None:
        raise Http404
    template = "volunteers/import_job.html#progress" if request.htmx else "volunteers/import_job.html"
    return TemplateResponse(request, template, {"job": job, "errors": job.errors[:200]})
