"""Sign-in, registration, role switching, people and API tokens (thin: parse, call, render)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kepu.accounts import selectors, services
from kepu.accounts.forms import CodeForm, KeyPopulationForm, PhoneForm, StaffLoginForm, TokenForm, WelcomeForm
from kepu.accounts.middleware import SESSION_KEY
from kepu.accounts.permissions import PersonAction
from kepu.core.errors import DomainError
from kepu.core.http import login_required, role_required
from kepu.core.pagination import CountedPaginator
from kepu.core.permissions import can
from kepu.core.roles import STAFF_ROLES
from kepu.places.models import Place
from kepu.places.selectors import children_of, place_by_code


def _next_url(request, default="core:home"):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def locked_out(request, credentials=None, *args, **kwargs):
    """django-axes calls this when an account name or an address is locked."""
    return TemplateResponse(request, "accounts/locked.html", {}, status=429).render()


def staff_login(request):
    form = StaffLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, username=form.cleaned_data["username"], password=form.cleaned_data["password"])
        if hasattr(user, "status_code"):  # axes answered with the lock-out page
            return user
        if user is not None:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(_next_url(request))
        form.add_error(None, _("The user name or the password is wrong."))
    return TemplateResponse(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")})


def phone_login(request):
    """Step 1: the phone number; step 2 (same page, swapped by htmx): the code."""
    step = "phone"
    dev_code = None
    phone_form = PhoneForm(request.POST or None)
    code_form = None
    if request.method == "POST" and "code" in request.POST:
        step = "code"
        code_form = CodeForm(request.POST)
        if code_form.is_valid():
            user = authenticate(request, username=code_form.cleaned_data["phone"], code=code_form.cleaned_data["code"])
            if hasattr(user, "status_code"):
                return user
            if user is not None:
                login(request, user, backend="kepu.accounts.backends.PhoneCodeBackend")
                if not user.home_place_id and not user.memberships.filter(is_active=True).exists():
                    return redirect("accounts:welcome")
                return redirect(_next_url(request))
            code_form.add_error("code", _("The code is wrong or has expired. Ask for a new one."))
    elif request.method == "POST" and phone_form.is_valid():
        try:
            code = services.request_login_code(phone=phone_form.cleaned_data["phone"])
            step = "code"
            code_form = CodeForm(initial={"phone": phone_form.cleaned_data["phone"]})
            if settings.KEPU_SHOW_DEV_CODES:
                dev_code = code
        except DomainError as exc:
            phone_form.add_error("phone", exc.message)
    context = {"step": step, "phone_form": phone_form, "code_form": code_form, "dev_code": dev_code,
               "next": request.GET.get("next", "")}
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
            membership = services.resident_complete_profile(
                actor=request.actor, name=form.cleaned_data["name"], community=place,
                key_population=form.cleaned_data["key_population"],
            )
            request.session[SESSION_KEY] = membership.pk
            messages.success(request, _("Welcome! You are registered as a resident of %(place)s.")
                             % {"place": place.name})
            return redirect("core:home")
        except Place.DoesNotExist:
            form.add_error(None, _("Please choose a community or village."))
        except DomainError as exc:
            form.add_error(None, exc.message)
    return TemplateResponse(request, "accounts/welcome.html", {"form": form, "districts": children_of(None)})


def place_options(request):
    """htmx: the children of a place as <option>s for the cascading place picker."""
    return TemplateResponse(request, "accounts/place_options.html", {"places": children_of(
        request.GET.get("street") or request.GET.get("district") or request.GET.get("code"))})


@require_POST
@login_required
def switch_role(request):
    try:
        membership = services.switch_membership(actor=request.actor, membership_id=int(request.POST["membership"]))
    except (DomainError, KeyError, ValueError):
        messages.error(request, _("You do not hold this role."))
        return redirect("core:home")
    request.session[SESSION_KEY] = membership.pk
    return redirect("core:role_home", role=membership.role)


@login_required
def profile(request):
    return TemplateResponse(request, "accounts/profile.html", {
        "person": request.user, "population_form": KeyPopulationForm(
            initial={"key_population": request.user.key_population}, auto_id="me-%s"),
        "population_url": reverse("accounts:profile_population")})


def _population_post(request, person, url, back):
    """Save the key population posted for ``person``; answer the fragment (htmx) or go back to the page."""
    form = KeyPopulationForm(request.POST, auto_id="me-%s" if person.pk == request.user.pk else "pp-%s")
    saved = False
    if form.is_valid():
        try:
            person = services.person_set_key_population(actor=request.actor, person=person,
                                                        key_population=form.cleaned_data["key_population"])
            saved = True
        except DomainError as exc:
            form.add_error("key_population", exc.message)
    status = 200 if saved else 400
    if request.htmx:
        return TemplateResponse(request, "accounts/population_form.html",
                                {"population_form": form, "population_url": url, "person": person, "saved": saved},
                                status=status)
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
    try:
        person = selectors.person_get(actor=request.actor, pk=pk)
    except DomainError:
        return TemplateResponse(request, "404.html", {}, status=404)
    context = {"person": person, "may_reveal": can(request.actor, PersonAction.VIEW_PII, person)}
    if can(request.actor, PersonAction.EDIT_PROFILE, person):
        context["population_form"] = KeyPopulationForm(initial={"key_population": person.key_population},
                                                       auto_id="pp-%s")
        context["population_url"] = reverse("accounts:person_population", args=[person.pk])
    return TemplateResponse(request, "accounts/person_detail.html", context)


@require_POST
@login_required
def person_population(request, pk):
    try:
        person = selectors.person_get(actor=request.actor, pk=pk)
    except DomainError:
        return TemplateResponse(request, "404.html", {}, status=404)
    if not can(request.actor, PersonAction.EDIT_PROFILE, person):
        return TemplateResponse(request, "403.html", {}, status=403)
    return _population_post(request, person, reverse("accounts:person_population", args=[pk]),
                            reverse("accounts:person", args=[pk]))


@require_POST
@login_required
def person_reveal_phone(request, pk):
    try:
        person = selectors.person_get(actor=request.actor, pk=pk)
        phone = services.person_reveal_phone(actor=request.actor, person=person)
    except DomainError as exc:
        return TemplateResponse(request, "accounts/phone_fragment.html", {"error": exc.message}, status=exc.status)
    return TemplateResponse(request, "accounts/phone_fragment.html", {"phone": phone})


@login_required
def tokens(request):
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_key = services.api_token_create(actor=request.actor, name=form.cleaned_data["name"])
        except DomainError as exc:
            form.add_error(None, exc.message)
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
