"""Order pages for every party (thin: parse, call a selector or a service, render)."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kepu.accounts.selectors import key_population_of
from kepu.core.errors import DomainError, NotFound
from kepu.core.http import role_required
from kepu.core.permissions import can
from kepu.core.populations import Population
from kepu.core.roles import Role
from kepu.orders import charts, export, paging, selectors, services, suggestions, workflow
from kepu.orders.forms import HolidayForm, MenuItemForm, OrderForm
from kepu.orders.models import Holiday, Order, OrderStatus, ServiceItem, Step, StepDeadline
from kepu.orders.permissions import OrderAction
from kepu.orders.services import MAX_PHOTOS
from kepu.places.models import Place, PlaceLevel

ORDER_ROLES = (Role.RESIDENT, Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.UNIT_STAFF, Role.VOLUNTEER_ORG_STAFF,
               Role.EXPERT, Role.VOLUNTEER, Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
DASHBOARD_ROLES = (Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.UNIT_STAFF)


@role_required(*ORDER_ROLES)
def order_list(request):
    actor = request.actor
    view = request.GET.get("view", "todo")
    status = request.GET.get("status", "")
    q = request.GET.get("q", "").strip()[:40]
    orders = selectors.order_list(actor=actor, status=status, q=q, needs_me=view == "todo",
                                  overdue=view == "overdue")
    page = paging.window(orders, request.GET.get("page"))
    context = {"page": page, "view": view, "status": status, "q": q, "statuses": OrderStatus.choices,
               "may_order": can(actor, OrderAction.CREATE, Order()),
               "query": f"view={view}&status={status}&q={q}&"}
    template = "orders/order_list.html#results" if request.htmx else "orders/order_list.html"
    return TemplateResponse(request, template, context)


def _places_for(actor) -> list[tuple[str, str]]:
    """Where the actor may order for: a resident anywhere in their district, staff in their area."""
    if actor.role == Role.RESIDENT:
        home = actor.user.home_place or actor.place
        if home is None:
            return []
        district_path = "/".join(home.path.split("/")[:2]) + "/"
        qs = Place.objects.filter(level=PlaceLevel.COMMUNITY, path__startswith=district_path).order_by("path")
        places = [(p.code, p.name) for p in qs]
        places.sort(key=lambda item: item[0] != home.code)  # home first
        return places
    area = actor.area_path or ""
    qs = Place.objects.filter(path__startswith=area, level__in=(PlaceLevel.COMMUNITY, PlaceLevel.STREET))
    return [(p.code, p.name if p.level == PlaceLevel.COMMUNITY else _("%(street)s (community not known)")
             % {"street": p.name}) for p in qs.order_by("path")]


@role_required(Role.RESIDENT, Role.COMMUNITY_STAFF, Role.STREET_STAFF)
def order_create(request):
    actor = request.actor
    on_behalf = actor.role != Role.RESIDENT
    item = None
    item_id = request.GET.get("item") or request.POST.get("service_item")
    if item_id and str(item_id).isdigit():
        item = ServiceItem.objects.filter(pk=item_id, is_active=True).first()
    initial = {"kind": item.kind, "topic": item.topic, "title": item.title, "service_item": item.pk} if item else {}
    own_population = "" if on_behalf else key_population_of(request.user)
    if own_population:
        initial["population"] = own_population  # "for whom?": most often for people like the resident
    form = OrderForm(request.POST or None, places=_places_for(actor), on_behalf=on_behalf, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.order_place(
                actor=actor, title=data["title"], kind=data["kind"], topic=data["topic"],
                population=data["population"], place=Place.objects.get(code=data["place"]),
                preferred_from=data["preferred_from"], preferred_to=data["preferred_to"],
                expected_audience=data["expected_audience"], description=data["description"],
                address=data["address"], service_item=item, contact_name=data.get("contact_name", ""),
                contact_phone=data.get("contact_phone", ""))
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your order %(number)s was sent. The community will answer within "
                                        "a working day.") % {"number": order.number})
            return redirect("orders:detail", pk=order.pk)
    return TemplateResponse(request, "orders/order_form.html", {"form": form, "item": item, "on_behalf": on_behalf})


def _get(request, pk):
    """The order if the actor may see it; otherwise it does not exist for them (404)."""
    try:
        return selectors.order_get(actor=request.actor, pk=pk)
    except NotFound:
        raise Http404 from None


def _detail_context(request, order) -> dict:
    actor = request.actor
    names = {t.name for t in workflow.available(actor, order)}
    ctx = {"order": order, "actions": workflow.available(actor, order), "names": names,
           "may_reveal": can(actor, OrderAction.VIEW_CONTACT, order) and bool(order.contact_phone),
           "populations": Population.choices, "ratings": [5, 4, 3, 2, 1]}
    if names & {"dispatch", "redispatch"}:
        ctx["unit_candidates"] = suggestions.rank_units(order)
    if "pass_on" in names:
        ctx["provider_candidates"] = suggestions.rank_providers(order)
    if "deliver" in names:
        ctx["team"] = _team_of(order)
    ctx["may_add_photos"] = can(actor, OrderAction.ADD_PHOTOS, order) and len(order.photos.all()) < MAX_PHOTOS
    return ctx


def _team_of(order):
    from kepu.accounts.models import Membership

    if order.provider_id:
        return [m.user for m in Membership.objects.filter(
            organization_id=order.provider_id, is_active=True, role__in=(Role.VOLUNTEER, Role.VOLUNTEER_ORG_STAFF))
            .select_related("user").order_by("user__name")]
    return [order.expert] if order.expert_id else []


@role_required(*ORDER_ROLES)
def order_detail(request, pk):
    order = _get(request, pk)
    return TemplateResponse(request, "orders/order_detail.html", _detail_context(request, order))


def _action_data(request, action) -> dict:
    post = request.POST
    data: dict = {"reason": post.get("reason", "")}
    if action in ("dispatch", "redispatch"):
        data["unit"] = post.get("unit") or None
    elif action == "pass_on":
        kind, _sep, pk = (post.get("to") or "").partition(":")
        data["provider" if kind == "provider" else "expert"] = int(pk) if pk.isdigit() else None
    elif action == "schedule":
        raw = post.get("scheduled_for", "")
        data["scheduled_for"] = parse_datetime(raw) if raw else None
        if data["scheduled_for"] is None and raw:
            try:
                data["scheduled_for"] = datetime.fromisoformat(raw)
            except ValueError:
                data["scheduled_for"] = None
        data["scheduled_place"] = post.get("scheduled_place", "")
        data["scheduled_people"] = post.get("scheduled_people", "")
    elif action == "deliver":
        data["attendance"] = {p: post.get(f"attendance_{p}") or 0 for p in Population.values}
        data["notes"] = post.get("notes", "")
        data["photos"] = request.FILES.getlist("photos")
        data["volunteers"] = [(int(u), post.get(f"hours_{u}") or "2") for u in post.getlist("volunteer")
                              if u.isdigit()]
    elif action == "rate":
        data["rating"] = post.get("rating")
        data["comment"] = post.get("comment", "")
    return data


@require_POST
@role_required(*ORDER_ROLES)
def order_act(request, pk, action):
    order = _get(request, pk)
    if action not in workflow.TRANSITIONS:
        raise PermissionDenied
    try:
        order = services.order_transition(actor=request.actor, order=order, action=action,
                                          **_action_data(request, action))
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied from None
        messages.error(request, exc.message)
        status = 409 if exc.status == 409 else 400
        fresh = _get(request, pk)
        ctx = _detail_context(request, fresh)
        ctx["failed_action"] = action
        return TemplateResponse(request, "orders/order_detail.html", ctx, status=status)
    messages.success(request, _("Done: %(action)s.") % {"action": workflow.TRANSITIONS[action].label})
    if not can(request.actor, OrderAction.VIEW, order):
        return redirect("orders:list")
    return redirect("orders:detail", pk=order.pk)


@require_POST
@role_required(Role.VOLUNTEER_ORG_STAFF, Role.EXPERT)
def order_photos_add(request, pk):
    order = _get(request, pk)
    try:
        saved = services.order_add_photos(actor=request.actor, order=order, photos=request.FILES.getlist("photos"))
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied from None
        messages.error(request, exc.message)
        ctx = _detail_context(request, _get(request, pk))
        ctx["failed_action"] = "add_photos"
        return TemplateResponse(request, "orders/order_detail.html", ctx, status=400)
    messages.success(request, _("%(n)s photos added.") % {"n": len(saved)})
    return redirect("orders:detail", pk=order.pk)


@role_required(*ORDER_ROLES)
def order_photo(request, pk, photo_pk):
    """A photo of the order, to those who may see the order (the files are not served publicly)."""
    order = _get(request, pk)
    photo = next((p for p in order.photos.all() if p.pk == photo_pk), None)
    if photo is None:
        raise Http404
    return photo_response(photo)


def photo_response(photo):
    from django.http import FileResponse

    from kepu.orders.services import PHOTO_FORMATS

    ext = photo.image.name.rsplit(".", 1)[-1].lower()
    types = {e: t for e, t in PHOTO_FORMATS.values()}
    response = FileResponse(photo.image.open("rb"), content_type=types.get(ext, "application/octet-stream"))
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@role_required(*ORDER_ROLES)
def order_contact(request, pk):
    order = _get(request, pk)
    try:
        phone = services.order_reveal_contact(actor=request.actor, order=order)
    except DomainError as exc:
        return TemplateResponse(request, "orders/contact_fragment.html", {"error": exc.message}, status=exc.status)
    return TemplateResponse(request, "orders/contact_fragment.html", {"phone": phone})


def menu(request):
    actor = request.actor
    district_id = None
    if actor.is_authenticated and actor.place is not None and not actor.is_city:
        district = actor.user.home_place or actor.place
        district_id = Place.objects.filter(code=district.path.split("/")[1]).values_list("pk", flat=True).first()
    items = selectors.menu(district_id=district_id, topic=request.GET.get("topic", ""),
                           population=request.GET.get("population", ""))
    form = None
    if actor.is_authenticated and actor.role in (Role.UNIT_STAFF, Role.VOLUNTEER_ORG_STAFF):
        form = MenuItemForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.service_item_publish(actor=actor, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The service is on the menu."))
                return redirect("orders:menu")
    from kepu.orders.models import Topic

    context = {"items": items, "form": form, "topics": Topic.choices, "populations": Population.choices,
               "topic": request.GET.get("topic", ""), "population": request.GET.get("population", ""),
               "may_order": actor.is_authenticated and can(actor, OrderAction.CREATE, Order())}
    return TemplateResponse(request, "orders/menu.html", context)


def _period(request):
    from django.utils.dateparse import parse_date

    return parse_date(request.GET.get("start", "") or "") , parse_date(request.GET.get("end", "") or "")


@role_required(*DASHBOARD_ROLES)
def dashboard(request):
    start, end = _period(request)
    by = request.GET.get("by", "street")
    figures = selectors.rate_figures(actor=request.actor, by=by, start=start, end=end)
    context = {"figures": figures, "chart": charts.rate_bars(figures["groups"][:30]),
               "table": charts.rate_table(figures["groups"]),
               "dimensions": [("community", _("Community")), ("street", _("Street/town")),
                              ("unit", _("Member unit")), ("provider", _("Volunteer organization")),
                              ("month", _("Month"))],
               "by": figures["by"], "start": request.GET.get("start", ""), "end": request.GET.get("end", "")}
    return TemplateResponse(request, "orders/dashboard.html", context)


@role_required(*DASHBOARD_ROLES)
def dashboard_xlsx(request):
    start, end = _period(request)
    by = request.GET.get("by", "street")
    figures = selectors.rate_figures(actor=request.actor, by=by, start=start, end=end)
    body = export.rates_workbook(figures)
    response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="order-rates.xlsx"'
    return response


@role_required(Role.DISTRICT_ADMIN)
def calendar_view(request):
    actor = request.actor
    form = HolidayForm(request.POST or None if "date" in request.POST else None)
    if request.method == "POST":
        try:
            if "date" in request.POST:
                if form.is_valid():
                    services.holiday_set(actor=actor, day=form.cleaned_data["date"], name=form.cleaned_data["name"],
                                         is_workday=form.cleaned_data["is_workday"])
                    messages.success(request, _("The calendar was updated."))
                    return redirect("orders:calendar")
            else:
                for step in Step.values:
                    if request.POST.get(step):
                        services.step_deadline_set(actor=actor, step=step, working_days=int(request.POST[step]))
                messages.success(request, _("The deadlines were updated."))
                return redirect("orders:calendar")
        except (DomainError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", _("Enter whole numbers of days.")))
    from kepu.orders.calendar import DEFAULT_DAYS

    current = {r.step: r.working_days for r in StepDeadline.objects.filter(district=actor.place)}
    steps = [(value, label, current.get(value, DEFAULT_DAYS[value])) for value, label in Step.choices]
    holidays = Holiday.objects.filter(district=actor.place).order_by("-date")[:100]
    return TemplateResponse(request, "orders/calendar.html", {"form": form, "steps": steps, "holidays": holidays})
