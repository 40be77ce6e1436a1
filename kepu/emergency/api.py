"""Emergency communication under /api/v1/emergency/: the signed warning feed, and the offices' events and reach
through the same selectors and services as the pages."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from kepu.core.api import PUBLIC_AUTH, Pages, actor_of
from kepu.emergency import feed, selectors, services
from kepu.emergency.models import Level

router = Router(tags=["emergency"])


class FeedSignature:
    """The warning feed's own authentication: ``X-Kepu-Timestamp`` and ``X-Kepu-Signature`` (HMAC-SHA256 of
    ``<timestamp>.<raw body>`` with the shared secret). Refusals say why: unsigned, bad signature, stale."""

    openapi_security_schema = {"type": "apiKey", "in": "header", "name": feed.SIGNATURE_HEADER}

    def __call__(self, request):
        return feed.verify(
            request.body, request.headers.get(feed.TIMESTAMP_HEADER), request.headers.get(feed.SIGNATURE_HEADER)
        )


class FeedWarningIn(Schema):
    id: str = Field(min_length=1, max_length=80, description="The warning's id at its source: resent, it is one event")
    hazard: str = Field(max_length=30, description="A hazard code (rainstorm, heat, cold_wave, …)")
    level: Level
    places: list[str] = Field(min_length=1, max_length=400, description="Place codes of the tree (streets, districts)")
    starts_at: datetime
    expected_end: datetime


class FeedWarningOut(Schema):
    event_id: int
    status: str
    created: bool


@router.post(
    "/feed/warnings",
    response={200: FeedWarningOut, 201: FeedWarningOut},
    auth=FeedSignature(),
    summary="Receive a signed warning (docs/EMERGENCY_FEED.md); idempotent on the warning's id",
)
def feed_warning(request, body: FeedWarningIn):
    payload = body.dict()
    payload["level"] = str(body.level.value if hasattr(body.level, "value") else body.level)
    if payload["expected_end"] <= payload["starts_at"]:
        from kepu.core.errors import DomainError

        raise DomainError("expected_end must be after starts_at", code="invalid_period", status=422)
    event, created = services.feed_receive(signature=request.auth, payload=payload)
    return Status(201 if created else 200, {"event_id": event.pk, "status": event.status, "created": created})


class EmergencyEventOut(Schema):
    id: int
    title: str
    hazard: str
    level: str
    status: str
    starts_at: datetime
    expected_end: datetime
    places: list[str]

    @staticmethod
    def resolve_hazard(obj):
        return obj.hazard.code

    @staticmethod
    def resolve_places(obj):
        return list(obj.places.values_list("place__code", flat=True))


class EmergencyReachOut(Schema):
    place: str
    name: str
    residents: int | None
    sent: int
    read: int
    tasks: int
    tasks_done: int
    reached_at: datetime | None


class EmergencyDeclareIn(Schema):
    hazard: int = Field(ge=1, le=2_147_483_647, description="The hazard's id")
    level: Level
    places: list[str] = Field(min_length=1, max_length=400)
    starts_at: datetime
    expected_end: datetime
    override_reason: str = Field("", max_length=500)


def _follower(request):
    """The offices and the area staff follow events here; everybody else reads the public guidance."""
    from kepu.core.permissions import require
    from kepu.emergency.models import Event
    from kepu.emergency.permissions import EventAction

    actor = actor_of(request)
    require(actor, EventAction.FOLLOW_AREA, Event)
    return actor


@router.get("/events", response=list[EmergencyEventOut], summary="Events the caller follows (newest first)")
@paginate(Pages)
def events(request, status: str = ""):
    return selectors.event_list(actor=_follower(request), status=status)


@router.post("/events", response={201: EmergencyEventOut}, summary="Declare an event (a district or the city office)")
def declare(request, body: EmergencyDeclareIn):
    data = body.dict()
    data["level"] = str(body.level.value if hasattr(body.level, "value") else body.level)
    data["starts_at"] = body.starts_at.strftime("%Y-%m-%dT%H:%M:%S%z")
    data["expected_end"] = body.expected_end.strftime("%Y-%m-%dT%H:%M:%S%z")
    from django.utils.datastructures import MultiValueDict

    form_data = MultiValueDict({k: v if isinstance(v, list) else [str(v)] for k, v in data.items()})
    return Status(201, services.event_declare(actor=actor_of(request), data=form_data))


@router.get("/events/{pk}", response=EmergencyEventOut, summary="One event")
def event(request, pk: int):
    return selectors.event_get(actor=_follower(request), pk=pk)


@router.get("/events/{pk}/reach", response=list[EmergencyReachOut], summary="Reach by affected place (live)")
def reach(request, pk: int):
    e = selectors.event_get(actor=_follower(request), pk=pk)
    return [{**row, "place": row["place"].code, "name": row["place"].name} for row in selectors.reach(e)]


class EmergencyGuidanceOut(Schema):
    id: int
    title: str
    level: str
    status: str
    sms_text: str
    pieces: list[int]
    faq: list[dict]


@router.get(
    "/public/{pk}", response=EmergencyGuidanceOut, auth=PUBLIC_AUTH, summary="A declared event's public guidance"
)
def public(request, pk: int):
    e = selectors.public_event(pk)
    pieces = selectors.pack_pieces(e.pack) if e.pack_id else {"items": []}
    return {
        "id": e.pk,
        "title": e.title,
        "level": e.level,
        "status": e.status,
        "sms_text": e.pack.sms_text if e.pack_id else "",
        "pieces": [r.pk for r in pieces["items"]],
        "faq": [{"question": q.text, "answer": q.answer} for q in selectors.faq(e)],
    }
