"""Order pages for every party (thin: parse, call a selector or a service, render)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kepu.accounts.selectors import key_population_of, resident_membership_of
from kepu.accounts.services import remember_membership, resident_complete_profile
from kepu.core.actor import Actor
from kepu.core.errors import DomainError, NotFound
from kepu.core.http import errors_into, role_required
from kepu.core.permissions import can
from kepu.core.populations import Population
from kepu.core.roles import Role
from kepu.orders import charts, export, paging, selectors, services, stepper, workflow
from kepu.orders.forms import HolidayForm, MenuItemForm, OrderForm
from kepu.orders.models import Holiday, Order, OrderStatus, ServiceItem, Step, StepDeadline
from kepu.orders.permissions import MenuAction, OrderAction, menu_district_path
from kepu.orders.photos import MAX_PHOTOS
from kepu.places import picker
from kepu.places.choices import PlaceLevel
from kepu.places.selectors import path_of, place_by_code, place_by_code_or_none, places_under

ORDER_ROLES = (
    Role.RESIDENT,
    Role.COMMUNITY_STAFF,
    Role.STREET_STAFF,
    Role.UNIT_STAFF,
    Role.VOLUNTEER_ORG_STAFF,
    Role.EXPERT,
    Role.VOLUNTEER,
    Role.DISTRICT_ADMIN,
    Role.CITY_ADMIN,
)
DASHBOARD_ROLES = (Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.UNIT_STAFF)


@role_required(None, *ORDER_ROLES)
def order_list(request):
    actor = request.actor
    if not can(actor, OrderAction.WORK, Order):
        return _my_orders(request)
    view = request.GET.get("view", "todo")
    status = request.GET.get("status", "")
    q = request.GET.get("q", "").strip()[:40]
    # A leader's figure links here with its place and year: the list then says how many orders it holds.
    code = request.GET.get("place", "")
    place_path = (path_of(code) or "-") if code else ""  # an unknown place matches nothing rather than everything
    year = request.GET.get("year", "")
    year = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else None
    orders = selectors.order_list(
        actor=actor, status=status, q=q, needs_me=view == "todo", overdue=view == "overdue",
        place_path=place_path, year=year,
    )  # fmt: skip
    page = paging.window(orders, request.GET.get("page"))
    context = {
        "total": orders.count() if (code or year) else None,
        "place": code,
        "year": year or "",
        "page": page,
        "view": view,
        "status": status,
        "q": q,
        "statuses": OrderStatus.choices,
        "may_order": can(actor, OrderAction.CREATE, Order()),
        "query": urlencode({"view": view, "status": status, "q": q, "place": code, "year": year or ""}) + "&",
    }
    template = "orders/order_list.html#results" if request.htmx else "orders/order_list.html"
    return TemplateResponse(request, template, context)


def _my_orders(request):
    """A resident's own orders, in their words: where each stands and what comes next."""
    orders = paging.window(selectors.my_orders(actor=request.actor), request.GET.get("page"))
    rows = [(o, stepper.resident_status(o), stepper.next_step(o)) for o in orders]
    return TemplateResponse(request, "orders/my_orders.html", {"page": orders, "rows": rows})


def _places_for(actor) -> list[tuple[str, str]]:
    """Where staff may order for: the communities (and streets) of their area, each with its street."""
    area = actor.area_path or ""
    qs = places_under(area, levels=(PlaceLevel.COMMUNITY, PlaceLevel.STREET))
    streets = dict(qs.filter(level=PlaceLevel.STREET).values_list("pk", "name"))
    return [
        (
            p.code,
            f"{streets.get(p.parent_id, '')} · {p.name}"
            if p.level == PlaceLevel.COMMUNITY
            else _("%(street)s (community not known)") % {"street": p.name},
        )
        for p in qs.order_by("path")
    ]


def _ordering_actor(request) -> Actor | None:
    """Whom an order is placed as: staff as themselves; anyone holding a resident membership as that resident
    (a resident who is also a volunteer need not switch roles); None for a newcomer without a community."""
    actor = request.actor
    if can(actor, OrderAction.CREATE, Order):
        return actor
    membership = resident_membership_of(request.user)
    return Actor(user=request.user, membership=membership) if membership is not None else None


@role_required(None, Role.RESIDENT, Role.VOLUNTEER, Role.COMMUNITY_STAFF, Role.STREET_STAFF)
def order_create(request):
    """点单: a resident (also a newcomer, who names their community here) or staff for a resident."""
    ordering = _ordering_actor(request)
    newcomer = ordering is None
    on_behalf = not newcomer and can(ordering, OrderAction.ORDER_FOR_RESIDENTS, Order)
    item = None
    item_id = request.GET.get("item") or request.POST.get("service_item")
    if item_id and str(item_id).isdigit():
        item = ServiceItem.objects.filter(pk=item_id, is_active=True).first()
    initial = {"kind": item.kind, "topic": item.topic, "title": item.title, "service_item": item.pk} if item else {}
    own_population = "" if on_behalf else key_population_of(request.user)
    if own_population:
        initial["population"] = own_population  # "for whom?": most often for people like the resident, and said so
    picker_scope = {}
    if on_behalf:
        form_kwargs = {"places": _places_for(ordering)}
    else:
        home = None if newcomer else (request.user.home_place or ordering.place)
        within = home.district_code if home is not None and home.district_code else ""
        picker_scope = {"within": within, "home": home.code if home is not None else ""}
        form_kwargs = {"place_check": lambda code: picker.in_scope(code, within=within)}
    form = OrderForm(
        request.POST or None,
        on_behalf=on_behalf,
        newcomer=newcomer,
        prefilled=bool(own_population),
        initial=initial,
        **form_kwargs,
    )
    place_picker = None
    if not on_behalf:
        label = "order"
        if request.method == "POST":
            place_picker = picker.from_request(request.POST, "place", label=label, **picker_scope)
        else:
            place_picker = picker.picker("place", label=label, **picker_scope)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        place = data.get("place_obj") or place_by_code(data["place"])
        with errors_into(form) as failed:
            if newcomer:
                membership = resident_complete_profile(actor=request.actor, name=data["your_name"], community=place)
                request.user.refresh_from_db()  # the order's contact is the name just given
                ordering = Actor(user=request.user, membership=membership)
            order = services.order_place(
                actor=ordering,
                title=data["title"],
                kind=data["kind"],
                topic=data["topic"],
                population=data["population"],
                place=place,
                preferred_from=data["preferred_from"],
                preferred_to=data["preferred_to"],
                expected_audience=data["expected_audience"],
                description=data["description"],
                address=data["address"],
                service_item=item,
                contact_name=data.get("contact_name", ""),
                contact_phone=data.get("contact_phone", ""),
            )
        if failed.error is None:
            if ordering.membership is not None and ordering.membership != request.actor.membership:
                remember_membership(request.session, ordering.membership)  # see the order as the resident who placed it
            messages.success(
                request,
                _("Your order %(number)s was sent. The community will answer within a working day.")
                % {"number": order.number},
            )
            return redirect("orders:detail", pk=order.pk)
    context = {
        "form": form,
        "item": item,
        "on_behalf": on_behalf,
        "newcomer": newcomer,
        "picker": place_picker,
    }
    return TemplateResponse(request, "orders/order_form.html", context)


def _get(request, pk):
    """The order if the actor may see it; otherwise it does not exist for them (404)."""
    try:
        return selectors.order_get(actor=request.actor, pk=pk)
    except NotFound:
        raise Http404 from None


def _detail_context(request, order, *, failed: str = "", failed_form=None) -> dict:
    actor = request.actor
    actions = workflow.ORDER.actions(
        actor,
        order,
        failed=failed,
        failed_form=failed_form,
        url=lambda name: reverse("orders:act", args=[order.pk, name]),
    )
    resident_view = not can(actor, OrderAction.WORK, order) or (
        actor.user_id is not None and order.resident_id == actor.user_id
    )
    return {
        "order": order,
        # Rating has its own card right under the stepper (orders/_rate_card.html).
        "actions": [a for a in actions if a.name != "rate"],
        "rate": next((a for a in actions if a.name == "rate"), None),
        "waiting": workflow.ORDER.waiting(actor, order),
        "failed_action": failed,
        "resident_view": resident_view,
        "resident_status": stepper.resident_status(order),
        "order_steps": stepper.steps(order),
        "ended_with_reason": order.status in (OrderStatus.REJECTED, OrderStatus.CANCELLED),
        "may_reveal": can(actor, OrderAction.VIEW_CONTACT, order) and bool(order.contact_phone) and not resident_view,
        "may_add_photos": can(actor, OrderAction.ADD_PHOTOS, order) and len(order.photos.all()) < MAX_PHOTOS,
    }


@role_required(*ORDER_ROLES)
def order_detail(request, pk):
    order = _get(request, pk)
    return TemplateResponse(request, "orders/order_detail.html", _detail_context(request, order))


@require_POST
@role_required(*ORDER_ROLES)
def order_act(request, pk, action):
    """One step of the workflow, posted by that step's form on the order page."""
    order = _get(request, pk)
    if action not in workflow.ORDER:
        raise Http404
    try:
        order = services.order_transition(
            actor=request.actor,
            order=order,
            action=action,
            reason=request.POST.get(f"{action}-reason", ""),
            data=request.POST,
            files=request.FILES,
            prefixed=True,
        )
    except DomainError as exc:  # kept: the step's own form is bound again on the fresh order and shown open
        if exc.status in (403, 404):
            raise
        fresh = _get(request, pk)
        t = workflow.ORDER[action]
        form = workflow.ORDER.bind(t, request.actor, fresh, request.POST, request.FILES, prefixed=True)
        if form is None or not exc.data.get("fields"):
            messages.error(request, exc.message)
        ctx = _detail_context(request, fresh, failed=action, failed_form=form)
        return TemplateResponse(
            request, "orders/order_detail.html", ctx, status=exc.status if exc.status < 500 else 400
        )
    messages.success(request, _("Done: %(action)s.") % {"action": workflow.ORDER[action].label})
    if not can(request.actor, OrderAction.VIEW, order):
        return redirect("orders:list")
    return redirect("orders:detail", pk=order.pk)


@require_POST
@role_required(Role.VOLUNTEER_ORG_STAFF, Role.EXPERT)
def order_photos_add(request, pk):
    order = _get(request, pk)
    try:
        saved = services.order_add_photos(actor=request.actor, order=order, photos=request.FILES.getlist("photos"))
    except DomainError as exc:  # kept: the order page comes back with the photo form open (no form object to fill)
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

    from kepu.orders.photos import PHOTO_FORMATS

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
    except DomainError as exc:  # kept: the answer is the contact fragment itself, in place of the button
        return TemplateResponse(request, "orders/contact_fragment.html", {"error": exc.message}, status=exc.status)
    return TemplateResponse(request, "orders/contact_fragment.html", {"phone": phone})


def menu(request):
    actor = request.actor
    district_id = None
    if home := menu_district_path(actor):
        district_id = getattr(place_by_code_or_none(home.split("/")[1]), "pk", None)
    items = selectors.menu(
        district_id=district_id, topic=request.GET.get("topic", ""), population=request.GET.get("population", "")
    )
    form = None
    if can(actor, MenuAction.PUBLISH, ServiceItem(provider_id=actor.organization_id)):
        form = MenuItemForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            with errors_into(form):
                services.service_item_publish(actor=actor, **form.cleaned_data)
                messages.success(request, _("The service is on the menu."))
                return redirect("orders:menu")
    from kepu.orders.models import Topic

    context = {
        "items": items,
        "form": form,
        "topics": Topic.choices,
        "populations": Population.choices,
        "topic": request.GET.get("topic", ""),
        "population": request.GET.get("population", ""),
        "may_order": actor.is_authenticated and can(actor, OrderAction.CREATE, Order()),
    }
    return TemplateResponse(request, "orders/menu.html", context)


def _period(request):
    from django.utils.dateparse import parse_date

    return parse_date(request.GET.get("start", "") or ""), parse_date(request.GET.get("end", "") or "")


@role_required(*DASHBOARD_ROLES)
def dashboard(request):
    start, end = _period(request)
    by = request.GET.get("by", "street")
    figures = selectors.rate_figures(actor=request.actor, by=by, start=start, end=end)
    context = {
        "figures": figures,
        "chart": charts.rate_bars(figures["groups"][:30]),
        "table": charts.rate_table(figures["groups"]),
        "dimensions": [
            ("community", _("Community")),
            ("street", _("Street/town")),
            ("unit", _("Member unit")),
            ("provider", _("Volunteer organization")),
            ("month", _("Month")),
        ],
        "by": figures["by"],
        "start": request.GET.get("start", ""),
        "end": request.GET.get("end", ""),
    }
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
                    services.holiday_set(
                        actor=actor,
                        day=form.cleaned_data["date"],
                        name=form.cleaned_data["name"],
                        is_workday=form.cleaned_data["is_workday"],
                    )
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
