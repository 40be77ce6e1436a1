"""Sign-in, registration, role switching, people and API tokens (thin: parse, call, render)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kepu.accounts import selectors, services
from kepu.accounts.forms import CodeForm, KeyPopulationForm, PhoneForm, StaffLoginForm, TokenForm, WelcomeForm
from kepu.accounts.lockout import address_slowed
from kepu.accounts.middleware import SESSION_KEY
from kepu.accounts.permissions import PersonAction
from kepu.core.errors import DomainError
from kepu.core.http import errors_into, login_required, opens, role_required
from kepu.core.pagination import CountedPaginator
from kepu.core.permissions import can
from kepu.core.roles import STAFF_ROLES
from kepu.places import picker
from kepu.places.selectors import children_of, place_by_code


def _next_url(request, default="core:home"):
    """The page to go back to after signing in (only on this site)."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def locked_out(request, *args, **kwargs):
    """django-axes calls this when an account is locked: the page, or JSON for the API."""
    if request.path.startswith("/api/"):
        from kepu.core.api import error_body

        return JsonResponse(
            error_body("locked_out", _("Too many failed attempts; try again later.")),
            status=429,
            json_dumps_params={"ensure_ascii": False},
        )
    return TemplateResponse(request, "accounts/locked.html", {}, status=429).render()


def _address_slowed_message():
    return _("Too many failed sign-ins from your network. Please wait a few minutes and try again.")


def staff_login(request):
    form = StaffLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and address_slowed(request):
        form.add_error(None, _address_slowed_message())
    elif request.method == "POST" and form.is_valid():
        user = authenticate(request, username=form.cleaned_data["username"], password=form.cleaned_data["password"])
        if hasattr(user, "status_code"):  # axes answered with the lock-out page
            return user
        if user is not None:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(_next_url(request))
        form.add_error(None, _("The user name or the password is wrong."))
    next_url = _next_url(request, default="")
    return TemplateResponse(request, "accounts/login.html", {"form": form, "next": next_url})


def phone_login(request):
    """Step 1: the phone number and consent; step 2 (same page, swapped by htmx): the code.

    The code box stays once a code was sent: asking again too soon keeps it and counts down to when
    another code may be sent. ``next`` is carried through both steps, so a resident comes back to
    the page they wanted (a newcomer too: their community is asked where it is needed).
    """
    step = "phone"
    dev_code = None
    phone_form = PhoneForm(request.POST or None)
    code_form = None
    notice = ""
    next_url = _next_url(request, default="")
    if request.method == "POST" and "code" in request.POST:
        step = "code"
        code_form = CodeForm(request.POST)
        if code_form.is_valid() and address_slowed(request):
            code_form.add_error("code", _address_slowed_message())
        elif code_form.is_valid():
            data = code_form.cleaned_data
            consent = settings.KEPU_POLICY_VERSION if data["agree"] else ""
            user = authenticate(request, username=data["phone"], code=data["code"], consent_version=consent)
            if hasattr(user, "status_code"):
                return user
            if user is not None:
                login(request, user, backend="kepu.accounts.backends.PhoneCodeBackend")
                newcomer = not user.home_place_id and not user.memberships.filter(is_active=True).exists()
                if newcomer and not next_url:
                    return redirect("accounts:welcome")
                return redirect(next_url or "core:home")
            code_form.add_error("code", _("The code is wrong or has expired. Ask for a new one."))
    elif request.method == "POST" and phone_form.is_valid():
        phone = phone_form.cleaned_data["phone"]
        try:
            code = services.request_login_code(phone=phone)
            if settings.KEPU_SHOW_DEV_CODES:
                dev_code = code
            step = "code"
        except DomainError as exc:  # kept: "too soon" is not an error but the code step with a notice
            if exc.code == "code_too_soon":
                step = "code"  # a code was sent a moment ago: keep its box, count down to the next
                notice = _(
                    "A code was sent less than a minute ago. Enter it below, or ask again when the button is ready."
                )
            else:
                phone_form.add_error("phone", exc.message)
        if step == "code":
            code_form = CodeForm(initial={"phone": phone, "agree": True})
    phone = (code_form["phone"].value() if code_form is not None else "") or ""
    context = {
        "step": step,
        "phone_form": phone_form,
        "code_form": code_form,
        "dev_code": dev_code,
        "notice": notice,
        "next": next_url,
        "phone": phone,
        "resend_in": selectors.login_code_wait(phone) if step == "code" else 0,
    }
    template = "accounts/phone_login.html#steps" if request.htmx else "accounts/phone_login.html"
    return TemplateResponse(request, template, context)


@require_POST
def logout_view(request):
    logout(request)
    return redirect("core:landing")


@login_required
def welcome(request):
    form = WelcomeForm(request.POST or None, initial={"name": request.user.name})
    if request.method == "POST" and form.is_valid():
        try:
            place = place_by_code(form.cleaned_data["community"])
        except ObjectDoesNotExist:
            form.add_error(None, _("Please choose a community or village."))
        else:
            with errors_into(form):
                membership = services.resident_complete_profile(
                    actor=request.actor,
                    name=form.cleaned_data["name"],
                    community=place,
                    key_population=form.cleaned_data["key_population"],
                )
                request.session[SESSION_KEY] = membership.pk
                messages.success(
                    request, _("Welcome! You are registered as a resident of %(place)s.") % {"place": place.name}
                )
                return redirect(_next_url(request))
    label = "home"
    place_picker = (
        picker.from_request(request.POST, "community", label=label)
        if request.method == "POST"
        else picker.picker("community", label=label)
    )
    context = {"form": form, "picker": place_picker, "next": _next_url(request, default="")}
    return TemplateResponse(request, "accounts/welcome.html", context)


def place_options(request):
    """htmx: the children of a place as <option>s for the cascading place picker.

    A step set back to "Choose…" sends an empty code: the next step then offers nothing (``children_of``
    would answer the districts).
    """
    code = request.GET.get("street") or request.GET.get("district") or request.GET.get("code")
    return TemplateResponse(request, "accounts/place_options.html", {"places": children_of(code) if code else []})


@require_POST
@login_required
def switch_role(request):
    try:
        membership = services.switch_membership(actor=request.actor, membership_id=int(request.POST["membership"]))
    except (DomainError, KeyError, ValueError):
        messages.error(request, _("You do not hold this role."))
        return redirect("core:home")
    request.session[SESSION_KEY] = membership.pk
    next_url = _next_url(request, default="")
    return redirect(next_url or "core:role_home", **({} if next_url else {"role": membership.role}))


@login_required
def profile(request):
    return TemplateResponse(
        request,
        "accounts/profile.html",
        {
            "person": request.user,
            # The questionnaire is linked where the survey's own page would open for the person's role.
            "survey_link": opens(request.actor, reverse("survey:home")),
            "population_form": KeyPopulationForm(
                initial={"key_population": request.user.key_population}, auto_id="me-%s"
            ),
            "population_url": reverse("accounts:profile_population"),
            "invitation_count": selectors.my_invitations(actor=request.actor).count(),
        },
    )


def _population_post(request, person, url, back):
    """Save the key population posted for ``person``; answer the fragment (htmx) or go back to the page."""
    form = KeyPopulationForm(request.POST, auto_id="me-%s" if person.pk == request.user.pk else "pp-%s")
    saved = False
    if form.is_valid():
        with errors_into(form, field_of=lambda exc: "key_population"):
            person = services.person_set_key_population(
                actor=request.actor, person=person, key_population=form.cleaned_data["key_population"]
            )
            saved = True
    status = 200 if saved else 400
    if request.htmx:
        return TemplateResponse(
            request,
            "accounts/population_form.html",
            {"population_form": form, "population_url": url, "person": person, "saved": saved},
            status=status,
        )
    if saved:
        messages.success(request, _("Saved."))
    else:
        messages.error(request, _("Choose one of the listed groups, or none of them."))
    return redirect(back)


@require_POST
@login_required
def profile_population(request):
    return _population_post(request, request.user, reverse("accounts:profile_population"), "accounts:profile")


@role_required(*STAFF_ROLES)
def person_list(request):
    filters = {"q": request.GET.get("q", "").strip(), "role": request.GET.get("role", "")}
    people = selectors.person_list(actor=request.actor, **filters)
    total = selectors.person_count(actor=request.actor, **filters)
    page = CountedPaginator(people, 25, count=total).get_page(request.GET.get("page"))
    context = {"page": page, "q": request.GET.get("q", ""), "role": request.GET.get("role", "")}
    template = "accounts/person_list.html#results" if request.htmx else "accounts/person_list.html"
    return TemplateResponse(request, template, context)


@login_required
def person_detail(request, pk):
    person = selectors.person_get(actor=request.actor, pk=pk)
    context = {"person": person, "may_reveal": can(request.actor, PersonAction.VIEW_PII, person)}
    if can(request.actor, PersonAction.EDIT_PROFILE, person):
        context["population_form"] = KeyPopulationForm(
            initial={"key_population": person.key_population}, auto_id="pp-%s"
        )
        context["population_url"] = reverse("accounts:person_population", args=[person.pk])
    return TemplateResponse(request, "accounts/person_detail.html", context)


@require_POST
@login_required
def person_population(request, pk):
    person = selectors.person_get(actor=request.actor, pk=pk)
    if not can(request.actor, PersonAction.EDIT_PROFILE, person):
        return TemplateResponse(request, "403.html", {}, status=403)
    return _population_post(
        request, person, reverse("accounts:person_population", args=[pk]), reverse("accounts:person", args=[pk])
    )


@require_POST
@login_required
def person_reveal_phone(request, pk):
    try:
        person = selectors.person_get(actor=request.actor, pk=pk)
        phone = services.person_reveal_phone(actor=request.actor, person=person)
    except DomainError as exc:  # kept: the answer is the phone fragment itself, in place of the button
        return TemplateResponse(request, "accounts/phone_fragment.html", {"error": exc.message}, status=exc.status)
    return TemplateResponse(request, "accounts/phone_fragment.html", {"phone": phone})


@login_required
def my_data(request):
    """ "My data" (PIPL): what the platform holds about me, to download, and erasure on request."""
    return TemplateResponse(request, "accounts/my_data.html", {"consents": selectors.consents_of(request.user)})


@login_required
def my_data_download(request):
    import json

    from django.http import HttpResponse
    from django.utils import timezone

    from kepu.core.audit import log_action
    from kepu.core.personal_data import export_all

    body = {"exported_at": timezone.now().isoformat(), "person": request.user.pk, **export_all(request.user)}
    log_action(request.actor, "kepu.accounts.person.data_downloaded", request.user, place=request.user.home_place)
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="my-kepu-data.json"'
    return response


@require_POST
@login_required
def my_data_erase(request):
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that you want your data erased."))
        return redirect("accounts:my_data")
    services.person_erase_self(actor=request.actor)
    logout(request)
    messages.success(request, _("Your data was erased and your account is closed. Thank you for taking part."))
    return redirect("core:landing")


@login_required
def tokens(request):
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        with errors_into(form):
            _token, new_key = services.api_token_create(actor=request.actor, name=form.cleaned_data["name"])
    context = {"form": form, "tokens": selectors.token_list(actor=request.actor), "new_key": new_key}
    return TemplateResponse(request, "accounts/tokens.html", context)


@require_POST
@login_required
def token_revoke(request, pk):
    token = selectors.token_list(actor=request.actor).filter(pk=pk).first()
    if token is not None:
        services.api_token_revoke(actor=request.actor, token=token)
        messages.success(request, _("The token was revoked."))
    return redirect("accounts:tokens")


@login_required
def invitations(request):
    return TemplateResponse(
        request, "accounts/invitations.html", {"invitations": selectors.my_invitations(actor=request.actor)}
    )


@require_POST
@login_required
def invitation_answer(request, pk, answer):
    if answer not in ("accept", "decline"):
        raise Http404
    invitation = selectors.my_invitation(actor=request.actor, pk=pk)
    if answer == "accept":
        membership = services.invitation_accept(actor=request.actor, invitation=invitation)
        messages.success(
            request,
            _("You joined %(org)s as %(role)s.")
            % {"org": membership.organization.display_name, "role": membership.get_role_display()},
        )
    else:
        services.invitation_decline(actor=request.actor, invitation=invitation)
        messages.success(request, _("You declined the invitation."))
    return redirect("accounts:invitations")
