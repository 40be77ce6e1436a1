"""The order workflow under /api/v1/orders/: the same services and selectors as the pages."""

from datetime import date, datetime

from django.urls import reverse
from ninja import File, Router, Schema, UploadedFile
from ninja.responses import Status

from kepu.core.api import actor_of
from kepu.core.errors import NotAllowed, NotFound
from kepu.orders import paging, selectors, services, suggestions, workflow
from kepu.orders.models import Order
from kepu.places.selectors import place_by_code_or_none

router = Router(tags=["orders"])


class OrderIn(Schema):
    title: str
    kind: str
    topic: str
    population: str
    place_code: str
    preferred_from: date
    preferred_to: date
    expected_audience: int = 20
    description: str = ""
    address: str = ""
    service_item_id: int | None = None
    contact_name: str = ""
    contact_phone: str = ""


class EventOut(Schema):
    action: str
    from_status: str
    to_status: str
    at: datetime
    actor_name: str
    actor_org: str
    reason: str
    data: dict


class OrderOut(Schema):
    id: int
    number: str
    status: str
    title: str
    kind: str
    topic: str
    population: str
    expected_audience: int
    place_code: str
    place_name: str
    contact_name: str
    contact_phone: str
    unit_id: int | None
    provider_id: int | None
    expert_id: int | None
    in_pool: bool
    due_at: datetime | None
    overdue: bool
    escalation_level: int
    scheduled_for: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_place_code(obj):
        return obj.where.code

    @staticmethod
    def resolve_place_name(obj):
        return obj.where.name

    @staticmethod
    def resolve_contact_phone(obj):
        return obj.masked_phone


class PhotoOut(Schema):
    id: int
    url: str
    created_at: datetime

    @staticmethod
    def resolve_url(obj):
        return reverse("api-1:order_photo", args=[obj.order_id, obj.pk])


class OrderDetailOut(OrderOut):
    description: str
    address: str
    preferred_from: date
    preferred_to: date
    scheduled_place: str
    scheduled_people: str
    attendance: dict
    rating: int | None
    rating_comment: str
    actions: list[str]
    events: list[EventOut]
    photos: list[PhotoOut]

    @staticmethod
    def resolve_photos(obj):
        return list(obj.photos.all())

    @staticmethod
    def resolve_events(obj):
        return list(obj.events.all())

    @staticmethod
    def resolve_actions(obj, context):
        return [t.name for t in workflow.available(actor_of(context["request"]), obj)]


class ActionIn(Schema):
    reason: str = ""
    unit_id: int | None = None
    provider_id: int | None = None
    expert_id: int | None = None
    scheduled_for: datetime | None = None
    scheduled_place: str = ""
    scheduled_people: str = ""
    attendance: dict[str, int] | None = None
    notes: str = ""
    volunteers: list[tuple[int, float]] | None = None
    rating: int | None = None
    comment: str = ""


class CandidateOut(Schema):
    kind: str
    pk: int
    name: str
    score: float
    reasons: list[str]


class ContactOut(Schema):
    phone: str


class OrderPage(Schema):
    items: list[OrderOut]
    page: int
    next_page: int | None


@router.get(
    "/",
    response=OrderPage,
    summary="Orders the caller may see, newest first",
    description="50 a page; `next_page` is null on the last one. Orders are not counted: a district holds "
    "hundreds of thousands.",
)
def order_list(request, status: str = "", q: str = "", needs_me: bool = False, overdue: bool = False, page: int = 1):
    orders = selectors.order_list(actor=actor_of(request), status=status, q=q, needs_me=needs_me, overdue=overdue)
    window = paging.window(orders, page, per_page=50)
    return {
        "items": window.rows,
        "page": window.number,
        "next_page": window.next_page_number if window.has_next else None,
    }


@router.post("/", response={201: OrderDetailOut}, summary="Place an order (点单)")
def order_create(request, body: OrderIn):
    actor = actor_of(request)
    place = place_by_code_or_none(body.place_code)
    if place is None:
        raise NotFound()
    item = None
    if body.service_item_id:
        from kepu.orders.models import ServiceItem

        item = ServiceItem.objects.filter(pk=body.service_item_id, is_active=True).first()
    order = services.order_place(
        actor=actor,
        title=body.title,
        kind=body.kind,
        topic=body.topic,
        population=body.population,
        place=place,
        preferred_from=body.preferred_from,
        preferred_to=body.preferred_to,
        expected_audience=body.expected_audience,
        description=body.description,
        address=body.address,
        service_item=item,
        contact_name=body.contact_name,
        contact_phone=body.contact_phone,
    )
    return Status(201, selectors.order_get(actor=actor, pk=order.pk))


@router.get("/rates", summary="The three rates (三率) with the numbers behind them")
def rates(request, by: str = "street", start: date | None = None, end: date | None = None):
    return selectors.rate_figures(actor=actor_of(request), by=by, start=start, end=end)


@router.get("/{order_id}", response=OrderDetailOut)
def order_get(request, order_id: int):
    return selectors.order_get(actor=actor_of(request), pk=order_id)


@router.post("/{order_id}/contact", response=ContactOut, summary="The full contact phone (audited)")
def order_contact(request, order_id: int):
    actor = actor_of(request)
    order = selectors.order_get(actor=actor, pk=order_id)
    return {"phone": services.order_reveal_contact(actor=actor, order=order)}


@router.get(
    "/{order_id}/suggestions",
    response=list[CandidateOut],
    summary="Ranked units (to dispatch) or organizations and experts (to pass on), with reasons",
)
def order_suggestions(request, order_id: int, kind: str = "unit"):
    actor = actor_of(request)
    order = selectors.order_get(actor=actor, pk=order_id)
    steps = ("pass_on",) if kind == "provider" else ("dispatch", "redispatch")
    if not any(workflow.allowed(actor, order, step) for step in steps):
        raise NotAllowed()  # the ranking is for whoever chooses, at the moment of choosing
    ranked = suggestions.rank_providers(order) if kind == "provider" else suggestions.rank_units(order)
    return [c.__dict__ for c in ranked]


@router.post(
    "/{order_id}/photos",
    response={201: list[PhotoOut]},
    summary="Add photos of a delivered service (multipart `photos`: JPEG, PNG or WebP, 5 MB each, 6 in all)",
)
def order_photos_add(request, order_id: int, photos: list[UploadedFile] = File(...)):
    actor = actor_of(request)
    order = selectors.order_get(actor=actor, pk=order_id)
    return Status(201, services.order_add_photos(actor=actor, order=order, photos=photos))


@router.get("/{order_id}/photos/{photo_id}", url_name="order_photo", summary="One photo of the order (the image)")
def order_photo(request, order_id: int, photo_id: int):
    from kepu.orders.views import photo_response

    order = selectors.order_get(actor=actor_of(request), pk=order_id)
    photo = next((p for p in order.photos.all() if p.pk == photo_id), None)
    if photo is None:
        raise NotFound()
    return photo_response(photo)


class DoneOut(Schema):
    id: int
    number: str
    status: str


@router.post(
    "/{order_id}/{action}",
    response={200: OrderDetailOut, 202: DoneOut},
    summary="Take a step: dispatch, reject, redispatch, claim, hand_back, pass_on, post_to_pool, grab, "
    "accept, decline, schedule, deliver, rate, close, cancel",
)
def order_act(request, order_id: int, action: str, body: ActionIn):
    """Answers 200 with the order, or 202 with its number and status when the step took it out of the caller's
    sight (a unit handing an order back)."""
    actor = actor_of(request)
    order: Order = selectors.order_get(actor=actor, pk=order_id)
    data = body.dict(exclude_none=True)
    order = services.order_transition(actor=actor, order=order, action=action, reason=data.pop("reason", ""), data=data)
    try:
        return Status(200, selectors.order_get(actor=actor, pk=order_id))
    except NotFound:
        return Status(202, order)
