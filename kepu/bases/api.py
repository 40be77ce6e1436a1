"""Science bases under /api/v1/bases/: the public list, applications and annual reviews, through the same
selectors, services and workflows as the pages."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Query, Router, Schema
from ninja.pagination import paginate

from kepu.bases import figures, rubric, selectors, services, workflow
from kepu.bases.permissions import ApplicationAction
from kepu.core.actor import ANONYMOUS
from kepu.core.api import Pages, actor_of
from kepu.core.errors import NotFound
from kepu.core.permissions import can

router = Router(tags=["bases"])


def _actor(request):
    return getattr(request, "actor", ANONYMOUS)


class BaseOut(Schema):
    id: int
    name: str
    organization: str
    category: str
    level: str
    district_code: str
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    exhibition_area: int | None
    student_policy: str
    themes: list[str]
    populations: list[str]
    term_end: date | None

    @staticmethod
    def resolve_organization(obj):
        return obj.organization.name

    @staticmethod
    def resolve_themes(obj):
        return obj.theme_list

    @staticmethod
    def resolve_populations(obj):
        return obj.population_list


class BaseDetailOut(BaseOut):
    summary: str
    description: str
    hours_note: str
    opening_hours: dict
    booking_activity_id: int | None

    @staticmethod
    def resolve_opening_hours(obj):
        return selectors.list_extras([obj])[obj.pk]["hours"]

    @staticmethod
    def resolve_booking_activity_id(obj):
        return selectors.list_extras([obj])[obj.pk]["booking"]


class BaseQuery(Schema):
    district: str = ""
    category: str = ""
    theme: str = ""
    level: str = ""
    population: str = ""
    q: str = ""
    weekend: bool = False
    students: bool = False


@router.get(
    "/", response=list[BaseOut], auth=None, summary="The public list of science bases (same filters as the page)"
)
@paginate(Pages, page_size=50)
def base_list(request, filters: Query[BaseQuery]):
    params = filters.dict()
    params["weekend"] = "1" if params["weekend"] else ""
    params["students"] = "1" if params["students"] else ""
    return selectors.public_bases(selectors.PublicFilter.from_query(params)).select_related("organization")


class CertificateOut(Schema):
    number: str
    base: str
    level: str
    term_start: date
    term_end: date
    current: bool


@router.get("/verify/{number}", response=CertificateOut, auth=None, summary="Check a base's certificate by its number")
def verify(request, number: str):
    app = selectors.certificate_by_number(number)
    if app is None:
        raise NotFound()
    base = app.base
    return {
        "number": app.certificate_number,
        "base": base.name,
        "level": app.level,
        "term_start": app.term_start,
        "term_end": app.term_end,
        "current": base.certificate_number == app.certificate_number and base.in_force_on(selectors._today()),
    }


class BaseEventOut(Schema):
    action: str
    from_status: str
    to_status: str
    actor_name: str
    reason: str
    at: datetime


class ApplicationOut(Schema):
    id: int
    base_id: int
    base_name: str
    level: str
    year: int
    status: str
    submitted_at: datetime | None
    notice_ends_at: datetime | None
    term_start: date | None
    term_end: date | None
    certificate_number: str
    actions: list[str]

    @staticmethod
    def resolve_base_name(obj):
        return obj.base.name

    @staticmethod
    def resolve_actions(obj, context):
        return [t.name for t in workflow.CERTIFICATION.available(actor_of(context["request"]), obj)]


class ApplicationDetailOut(ApplicationOut):
    events: list[BaseEventOut]
    declared: dict
    mean_score: Decimal | None

    @staticmethod
    def resolve_events(obj):
        return list(obj.events.all())

    @staticmethod
    def resolve_mean_score(obj, context):
        actor = actor_of(context["request"])
        # The same readers as the sheets on the page: the office that runs it and the offices over the base.
        if not can(actor, ApplicationAction.VIEW_SCORES, obj):
            return None
        return rubric.sheet(obj.rubric, obj.sheets.prefetch_related("scores")).mean_total


@router.get("/applications", response=list[ApplicationOut], summary="Applications the caller may see")
@paginate(Pages, page_size=50)
def application_list(request, status: str = "", waiting: bool = False):
    actor = actor_of(request)
    if waiting:
        return selectors.waiting_for(actor=actor)
    return selectors.applications_for(actor=actor, status=status)


@router.get("/applications/{application_id}", response=ApplicationDetailOut, summary="One application")
def application_get(request, application_id: int):
    return selectors.application_get(actor=actor_of(request), pk=application_id)


class SheetIn(Schema):
    points: dict[int, Decimal]
    notes: dict[int, str] = {}
    comment: str = ""


class SheetOut(Schema):
    id: int
    status: str
    total: Decimal | None


@router.post("/applications/{application_id}/sheet", response=SheetOut, summary="An expert scores item by item")
def sheet_submit(request, application_id: int, body: SheetIn):
    actor = actor_of(request)
    app = selectors.application_get(actor=actor, pk=application_id)
    sheet = selectors.my_sheet(actor=actor, application=app)
    if sheet is None:
        raise NotFound()
    data = {f"item_{k}": str(v) for k, v in body.points.items()}
    data.update({f"note_{k}": v for k, v in body.notes.items()})
    data["comment"] = body.comment
    return services.sheet_submit(actor=actor, sheet=sheet, data=data)


class StepIn(Schema):
    reason: str = ""
    experts: int | None = None
    inspected_on: date | None = None
    inspectors: str = ""
    findings: str = ""
    passed: str = ""
    notice_days: int | None = None
    term_years: int | None = None
    note: str = ""
    recommendation: str = ""


@router.post(
    "/applications/{application_id}/{action}",
    response=ApplicationDetailOut,
    summary="Take a step: submit, withdraw, return, resubmit, accept, to_inspection, inspect, certify, refuse, "
    "confirm, recommend",
    description="`passed` is `yes` or `no`. Photos of an inspection are added on the page.",
)
def application_act(request, application_id: int, action: str, body: StepIn):
    actor = actor_of(request)
    app = selectors.application_get(actor=actor, pk=application_id)
    data = {
        k: (v.isoformat() if isinstance(v, date) else v) for k, v in body.dict(exclude_none=True).items() if v != ""
    }
    reason = data.pop("reason", "")
    services.application_transition(actor=actor, application=app, action=action, data=data, reason=reason)
    return selectors.application_get(actor=actor, pk=application_id)


class ReviewOut(Schema):
    id: int
    base_id: int
    base_name: str
    year: int
    status: str
    spot_check: bool
    rectify_by: date | None
    actions: list[str]

    @staticmethod
    def resolve_base_name(obj):
        return obj.base.name

    @staticmethod
    def resolve_actions(obj, context):
        return [t.name for t in workflow.REVIEW.available(actor_of(context["request"]), obj)]


class ReviewDetailOut(ReviewOut):
    figures: dict
    live_figures: dict
    declared: dict

    @staticmethod
    def resolve_live_figures(obj):
        return figures.base_figures(obj.base, obj.year)


@router.get("/reviews", response=list[ReviewOut], summary="Annual reviews the caller may see")
@paginate(Pages, page_size=50)
def review_list(request, year: int | None = None, status: str = ""):
    return selectors.reviews_for(actor=actor_of(request), year=year, status=status)


@router.get(
    "/reviews/{review_id}",
    response=ReviewDetailOut,
    summary="One annual review, with the platform's figures as submitted and as the records stand now",
)
def review_get(request, review_id: int):
    return selectors.review_get(actor=actor_of(request), pk=review_id)


class ReviewStepIn(Schema):
    reason: str = ""
    visitors_unbooked: int | None = None
    sessions_off_platform: int | None = None
    funding: Decimal | None = None
    new_exhibits: int | None = None
    report: str = ""
    points: dict[int, Decimal] = {}
    notes: dict[int, str] = {}
    comment: str = ""
    inspected_on: date | None = None
    findings: str = ""
    rectify_by: date | None = None
    rectification: str = ""


@router.post(
    "/reviews/{review_id}/{action}",
    response=ReviewDetailOut,
    summary="Take a step: submit, return, score, inspect, keep, rectify, revoke, report_rectification, "
    "accept_rectification, return_rectification",
)
def review_act(request, review_id: int, action: str, body: ReviewStepIn):
    actor = actor_of(request)
    review = selectors.review_get(actor=actor, pk=review_id)
    raw = body.dict(exclude_none=True)
    points, notes = raw.pop("points", {}), raw.pop("notes", {})
    data = {
        k: (v.isoformat() if isinstance(v, date) else str(v) if isinstance(v, Decimal) else v) for k, v in raw.items()
    }
    data = {k: v for k, v in data.items() if v != ""}
    data.update({f"item_{k}": str(v) for k, v in points.items()})
    data.update({f"note_{k}": v for k, v in notes.items()})
    reason = data.pop("reason", "")
    services.review_transition(actor=actor, review=review, action=action, data=data, reason=reason)
    return selectors.review_get(actor=actor, pk=review_id)


@router.get("/{base_id}", response=BaseDetailOut, auth=None, summary="One base (listed ones are public)")
def base_get(request, base_id: int):
    return selectors.base_for_visitor(actor=_actor(request), pk=base_id)
