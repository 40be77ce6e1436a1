"""The activities API: the public calendar (no sign-in), sign-up, tickets, organizer actions, check-in, figures."""

from datetime import date, datetime

from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from kepu.accounts.selectors import person_by_phone
from kepu.activities import selectors, services
from kepu.activities.models import Activity, Session
from kepu.activities.permissions import ActivityAction
from kepu.core.actor import ANONYMOUS
from kepu.core.api import PUBLIC_AUTH, Pages, actor_of
from kepu.core.errors import DomainError, NotFound
from kepu.core.permissions import get_visible, require
from kepu.orgs.selectors import organization_get, organization_visible
from kepu.places.selectors import place_by_code_or_none

router = Router(tags=["activities"])


def _actor(request):
    return getattr(request, "actor", ANONYMOUS)


class SessionOut(Schema):
    id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    seats_left: int


class ActivityOut(Schema):
    id: int
    title: str
    summary: str
    kind: str
    status: str
    organization: str
    place_code: str
    district_code: str
    address: str
    online_url: str
    theme: str | None
    topics: list[str]
    populations: list[str]
    venue_id: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    needs_approval: bool

    @staticmethod
    def resolve_organization(obj):
        return obj.organization.name

    @staticmethod
    def resolve_place_code(obj):
        return obj.place.code

    @staticmethod
    def resolve_theme(obj):
        return obj.theme.slug if obj.theme_id else None

    @staticmethod
    def resolve_topics(obj):
        return obj.topic_list

    @staticmethod
    def resolve_populations(obj):
        return obj.population_list


class ActivityDetailOut(ActivityOut):
    description: str
    sessions: list[SessionOut]

    @staticmethod
    def resolve_sessions(obj):
        return selectors.sessions_of(obj)


class CalendarQuery(Schema):
    district: str = ""
    street: str = ""
    theme: str = ""
    topic: str = ""
    population: str = ""
    kind: str = ""
    q: str = ""
    date_from: date | None = None
    date_to: date | None = None


@router.get("/", response=list[ActivityOut], auth=None, summary="The public calendar (same filters as the page)")
@paginate(Pages, page_size=50)
def calendar(request, filters: Query[CalendarQuery]):
    params = filters.dict()
    params["from"] = params.pop("date_from") or ""
    params["to"] = params.pop("date_to") or ""
    params = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in params.items()}
    return selectors.public_activities(selectors.CalendarFilter.from_query(params))


@router.get(
    "/{activity_id}",
    response=ActivityDetailOut,
    auth=PUBLIC_AUTH,
    summary="One activity with its sessions (public ones for anybody; others for a token or session that may see them)",
)
def activity_get(request, activity_id: int):
    return selectors.activity_for_visitor(actor=_actor(request), pk=activity_id)


class SessionIn(Schema):
    starts_at: datetime
    ends_at: datetime
    capacity: int


class ActivityIn(Schema):
    title: str
    summary: str = ""
    description: str = ""
    kind: str = "lecture"
    topics: list[str] = []
    populations: list[str] = []
    theme: str | None = None
    address: str = ""
    online_url: str = ""
    needs_approval: bool = False
    is_public: bool = True
    offer_hours: int = 24
    organization_id: int | None = None
    place_code: str = ""  # a place of the tree in the organizer's district; empty: the organizer's place
    venue_id: int | None = None  # a venue of the district (its place wins over place_code)
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    sessions: list[SessionIn]


class ActivityPatch(Schema):
    """Only the fields given change; sessions are changed on their own."""

    title: str | None = None
    summary: str | None = None
    description: str | None = None
    kind: str | None = None
    topics: list[str] | None = None
    populations: list[str] | None = None
    theme: str | None = None
    address: str | None = None
    online_url: str | None = None
    needs_approval: bool | None = None
    is_public: bool | None = None
    offer_hours: int | None = None
    place_code: str | None = None
    venue_id: int | None = None
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None


def _venue(organization, venue_id):
    """A venue the organizer may use; one it may not is "not found"."""
    venue = selectors.usable_venues(organization).filter(pk=venue_id).first()
    if venue is None:
        raise NotFound()
    return venue


def _place(place_code):
    place = place_by_code_or_none(place_code)
    if place is None:
        raise NotFound()
    return place


@router.post("/", response={201: ActivityDetailOut}, summary="Create a draft activity (staff)")
def activity_create(request, payload: ActivityIn):
    from kepu.activities.models import Theme

    actor = actor_of(request)
    org = actor.organization
    if payload.organization_id:
        org = organization_get(actor=actor, pk=payload.organization_id)
    if org is None:
        raise NotFound()
    theme = Theme.objects.filter(slug=payload.theme).first() if payload.theme else None
    data = payload.dict(exclude={"sessions", "organization_id", "theme", "title", "place_code", "venue_id"})
    if payload.place_code:
        data["place"] = _place(payload.place_code)
    if payload.venue_id:
        data["venue"] = _venue(org, payload.venue_id)
    activity = services.activity_create(
        actor=actor,
        organization=org,
        title=payload.title,
        theme=theme,
        sessions=[(s.starts_at, s.ends_at, s.capacity) for s in payload.sessions],
        **data,
    )
    return Status(201, activity)


@router.patch("/{activity_id}", response=ActivityDetailOut, summary="Change an activity (organizer)")
def activity_update(request, activity_id: int, payload: ActivityPatch):
    from kepu.activities.models import Theme

    activity = _managed(request, activity_id)
    # An explicit null empties what may be empty (the sign-up window, the theme, the venue); elsewhere it is ignored.
    data = {
        k: v
        for k, v in payload.dict(exclude_unset=True).items()
        if v is not None or k in ("registration_opens_at", "registration_closes_at", "theme", "venue_id")
    }
    place_code = data.pop("place_code", None)
    venue_given, venue_id = "venue_id" in data, data.pop("venue_id", None)
    if "theme" in data:
        data["theme"] = Theme.objects.filter(slug=data["theme"]).first() if data["theme"] else None
    if place_code:
        data["place"] = _place(place_code)
        data["venue"] = None  # a place of the tree replaces the venue, unless a venue is given too
    if venue_given:
        data["venue"] = _venue(activity.organization, venue_id) if venue_id else None
    return services.activity_update(actor=actor_of(request), activity=activity, **data)


def _managed(request, activity_id):
    return selectors.activity_to_manage(actor=actor_of(request), pk=activity_id)


@router.post("/{activity_id}/submit", response=ActivityOut, summary="Publish, or send for review")
def activity_submit(request, activity_id: int):
    return services.activity_submit(actor=actor_of(request), activity=_managed(request, activity_id))


class ActivityReviewIn(Schema):
    approve: bool
    note: str = ""


@router.post("/{activity_id}/review", response=ActivityOut, summary="The district office approves or sends back")
def activity_review(request, activity_id: int, payload: ActivityReviewIn):
    actor = actor_of(request)
    activity = get_visible(actor, Activity.objects.all(), pk=activity_id)
    return services.activity_review(actor=actor, activity=activity, approve=payload.approve, note=payload.note)


class RegistrationIn(Schema):
    population: str = ""  # empty: the attendee's key population from their profile
    on_behalf: bool = False
    phone: str = ""  # staff: the mobile number of the person registered, when they have an account
    name: str = ""
    head_count: int = 1
    note: str = ""


class RegistrationOut(Schema):
    id: int
    session_id: int
    activity_id: int
    name: str
    head_count: int
    population: str
    status: str
    waiting_seq: int | None
    offer_expires_at: datetime | None
    checked_in_at: datetime | None
    qr_payload: str | None

    @staticmethod
    def resolve_activity_id(obj):
        return obj.session.activity_id

    @staticmethod
    def resolve_qr_payload(obj):
        return obj.qr_payload if obj.status == "confirmed" else None


def _public_session(request, session_id) -> Session:
    session = Session.objects.select_related("activity").filter(pk=session_id).first()
    if session is None:
        raise NotFound()
    selectors.activity_for_visitor(actor=actor_of(request), pk=session.activity_id)
    return session


@router.post(
    "/sessions/{session_id}/registrations",
    response={201: RegistrationOut},
    summary="Sign up (or, for staff, register someone or a group)",
)
def registration_create(request, session_id: int, payload: RegistrationIn):
    session = _public_session(request, session_id)
    data = payload.dict()
    phone = data.pop("phone")
    if phone:
        data["attendee"] = person_by_phone(actor=actor_of(request), phone=phone)
        if data["attendee"] is None or not data["on_behalf"]:
            raise NotFound(
                _(
                    "Nobody with this mobile number is registered in your area. Leave the number "
                    "empty and give the name instead."
                ),
                code="attendee_unknown",
            )
    reg = services.registration_create(actor=actor_of(request), session=session, **data)
    return Status(201, reg)


@router.get("/registrations/mine", response=list[RegistrationOut], summary="The caller's sign-ups")
@paginate(Pages, page_size=50)
def registrations_mine(request):
    return selectors.my_registrations(actor=actor_of(request))


@router.get("/registrations/{registration_id}", response=RegistrationOut)
def registration_get(request, registration_id: int):
    return selectors.registration_for(actor=actor_of(request), pk=registration_id)


@router.post("/registrations/{registration_id}/cancel", response=RegistrationOut)
def registration_cancel(request, registration_id: int):
    reg = selectors.registration_for(actor=actor_of(request), pk=registration_id)
    return services.registration_cancel(actor=actor_of(request), registration=reg)


@router.post(
    "/registrations/{registration_id}/accept",
    response=RegistrationOut,
    summary="Take an offered place before the offer expires",
)
def registration_accept(request, registration_id: int):
    reg = selectors.registration_for(actor=actor_of(request), pk=registration_id)
    return services.registration_accept_offer(actor=actor_of(request), registration=reg)


@router.get("/{activity_id}/registrations", response=list[RegistrationOut], summary="Registrations (organizer)")
@paginate(Pages, page_size=100)
def registrations_of(request, activity_id: int, q: str = "", status: str = ""):
    return selectors.registrations_of(activity=_managed(request, activity_id), q=q, status=status)


class CheckInIn(Schema):
    payload: str
    session_id: int | None = None


@router.post("/{activity_id}/checkin", response=RegistrationOut, summary="Check in by the QR payload")
def check_in(request, activity_id: int, payload: CheckInIn):
    activity = _managed(request, activity_id)
    session = activity.sessions.filter(pk=payload.session_id).first() if payload.session_id else None
    return services.check_in(actor=actor_of(request), activity=activity, payload=payload.payload, session=session)


class LateEntryIn(Schema):
    reason: str


@router.post(
    "/{activity_id}/registrations/{registration_id}/late-entry",
    response=RegistrationOut,
    summary="Late entry (补登): count someone the door missed, once the session has begun, with the reason",
)
def late_entry(request, activity_id: int, registration_id: int, payload: LateEntryIn):
    activity = _managed(request, activity_id)
    reg = selectors.registrations_of(activity=activity).filter(pk=registration_id).first()
    if reg is None:
        raise NotFound()
    return services.check_in_late(actor=actor_of(request), activity=activity, registration=reg, reason=payload.reason)


class WalkInIn(Schema):
    session_id: int
    head_count: int
    population: str  # counted: always said, never defaulted
    late_reason: str | None = None  # after the session has ended: a late entry (补登), with the reason


@router.post("/{activity_id}/walk-ins", response={201: dict}, summary="Count walk-ins")
def walk_in(request, activity_id: int, payload: WalkInIn):
    activity = _managed(request, activity_id)
    session = activity.sessions.filter(pk=payload.session_id).first()
    if session is None:
        raise NotFound()
    w = services.walk_in_record(
        actor=actor_of(request),
        session=session,
        head_count=payload.head_count,
        population=payload.population,
        late_reason=payload.late_reason,
    )
    return Status(201, {"id": w.pk, "head_count": w.head_count})


class FiguresOut(Schema):
    activities: int
    sessions: int
    registrations: int
    checked_in: int
    walk_ins: int
    services: int
    person_times: int
    by_population: dict[str, int]
    satisfaction: float | None


@router.get("/figures/summary", response=FiguresOut, summary="Sessions, registrations, person-times by population")
def figures(request, date_from: date, date_to: date, theme: str = "", organization_id: int | None = None):
    actor = actor_of(request)
    if organization_id and not organization_visible(actor, organization_id):
        raise NotFound()
    require(actor, ActivityAction.VIEW_FIGURES, Activity)
    return selectors.figures(
        actor=actor, date_from=date_from, date_to=date_to, theme=theme, organization_id=organization_id
    )


@router.get(
    "/{activity_id}/sessions/{session_id}/checkin-list",
    summary="One session's check-in list as an Excel file, to mark offline (organizer)",
)
def checkin_list(request, activity_id: int, session_id: int):
    from django.http import HttpResponse

    activity = _managed(request, activity_id)
    session = activity.sessions.filter(pk=session_id).first()
    if session is None:
        raise NotFound()
    content = services.checkin_sheet_export(actor=actor_of(request), activity=activity, session=session)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="checkin-{activity.pk}-{session.pk}.xlsx"'
    return response


class CheckinImportOut(Schema):
    checked_in: int
    already: int
    walk_ins: int
    walk_ins_already_counted: bool


@router.post(
    "/{activity_id}/checkin-list",
    response=CheckinImportOut,
    summary="Upload a marked check-in list: all rows or none (the errors list each bad row)",
)
def checkin_list_import(request, activity_id: int, file: UploadedFile = File(...), late_reason: str = Form("")):
    """A list brought back after the session has ended is a late entry: ``late_reason`` says why."""
    activity = _managed(request, activity_id)
    if file.size > 5_000_000:
        raise DomainError(_("Choose the check-in list file (.xlsx, at most 5 MB)."), code="import_format")
    return services.checkin_sheet_import(
        actor=actor_of(request), activity=activity, content=file.read(), late_reason=late_reason.strip() or None
    )
