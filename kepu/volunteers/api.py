"""The volunteers API: the same services and selectors as the pages, under /api/v1/volunteers/."""

from datetime import date, datetime

from ninja import Router, Schema, Status
from ninja.pagination import paginate

from kepu.core.api import Pages, actor_of
from kepu.core.errors import DomainError, NotFound
from kepu.core.permissions import scope
from kepu.orgs.selectors import organization_by_pk, organization_visible
from kepu.places.selectors import place_by_code_or_none
from kepu.volunteers import selectors, services
from kepu.volunteers.models import HoursReport, JoinRequest

router = Router(tags=["volunteers"])


class RegisterIn(Schema):
    real_name: str
    id_number: str
    phone: str = ""
    street_code: str | None = None
    skills: list[str] = []
    topics: list[str] = []
    languages: list[str] = []
    availability: list[str] = []
    education: str = ""
    title: str = ""
    #: Explicit consent to the use of the real name and ID number (PIPL); required.
    agree: bool = False


class VolunteerOut(Schema):
    id: int
    real_name: str
    id_number: str
    phone: str
    street: str | None
    skills: list[str]
    topics: list[str]
    availability: list[str]

    @staticmethod
    def resolve_id_number(obj):
        return obj.masked_id_number

    @staticmethod
    def resolve_phone(obj):
        return obj.masked_phone

    @staticmethod
    def resolve_street(obj):
        return obj.street.name if obj.street_id else None


class VolunteerMeOut(VolunteerOut):
    hours: float
    stars: int


class JoinIn(Schema):
    organization_id: int


class IdOut(Schema):
    id: int
    status: str


class DecisionIn(Schema):
    approve: bool
    reason: str = ""


class NeedOut(Schema):
    id: int
    title: str
    organization: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    slots: int
    standby_slots: int
    confirmed: int
    skills: list[str]

    @staticmethod
    def resolve_organization(obj):
        return obj.organization.name


class PresenceIn(Schema):
    token: str
    action: str = "in"


class SignUpOut(Schema):
    id: int
    status: str
    signed_in_at: datetime | None
    signed_out_at: datetime | None
    minutes: int | None


class EntryOut(Schema):
    id: int
    minutes: int
    source: str
    served_on: date
    note: str
    organization: str
    corrects_id: int | None

    @staticmethod
    def resolve_organization(obj):
        return obj.organization.name


class HoursReportIn(Schema):
    organization_id: int
    served_on: date
    minutes: int
    description: str


class TotalOut(Schema):
    organization_id: int
    minutes: int
    hours: float


class RevealIn(Schema):
    field: str


class RevealOut(Schema):
    value: str


class ExpertOut(Schema):
    id: int
    name: str
    field: str
    subfield: str
    title: str
    affiliation: str
    district: str
    topics: list[str]
    audiences: list[str]
    available: bool
    is_emergency: bool
    emergency_fields: list[str]
    phone: str

    @staticmethod
    def resolve_district(obj):
        return obj.district.name

    @staticmethod
    def resolve_phone(obj):
        return obj.masked_phone


class InviteIn(Schema):
    target: str
    target_id: int
    message: str = ""


class VerifyOut(Schema):
    valid: bool
    number: str
    name: str
    hours: float
    stars: int
    issued_at: datetime | None


class _WithTotals:
    """A volunteer with their totals, for ``VolunteerMeOut`` (the model's own ``hours`` is the ledger relation)."""

    def __init__(self, volunteer, minutes: int):
        self._volunteer = volunteer
        self.hours = round(minutes / 60, 1)
        self.stars = selectors.star_level(minutes)

    def __getattr__(self, name):
        return getattr(self._volunteer, name)


def _me(actor):
    volunteer = selectors.volunteer_of(actor.user)
    if volunteer is None:
        raise NotFound()
    return volunteer


@router.get("/me", response=VolunteerMeOut, summary="My volunteer profile (ID and phone masked), hours and stars")
def me(request):
    volunteer = _me(actor_of(request))
    minutes = selectors.volunteer_minutes(volunteer)
    return _WithTotals(volunteer, minutes)


@router.post("/register", response={201: VolunteerOut}, summary="Register as a science volunteer (real name)")
def register(request, payload: RegisterIn):
    from django.conf import settings

    data = payload.dict()
    data["consent_version"] = settings.KEPU_POLICY_VERSION if data.pop("agree") else ""
    code = data.pop("street_code")
    street = place_by_code_or_none(code) if code else None
    if code and street is None:
        raise DomainError(code="street_invalid")
    return Status(201, services.volunteer_register(actor=actor_of(request), street=street, **data))


@router.post("/join", response=IdOut, summary="Ask to join a volunteer organization")
def join(request, payload: JoinIn):
    actor = actor_of(request)
    org = organization_by_pk(payload.organization_id)
    if org is None:
        raise NotFound()
    jr = services.join_request_create(actor=actor, volunteer=_me(actor), organization=org)
    return {"id": jr.pk, "status": jr.status}


@router.post("/join-requests/{request_id}/decision", response=IdOut, summary="Organization: approve or reject")
def join_decide(request, request_id: int, payload: DecisionIn):
    actor = actor_of(request)
    jr = scope(actor, JoinRequest.objects.all()).filter(pk=request_id).first()
    if jr is None:
        raise NotFound()
    jr = services.join_request_decide(actor=actor, join_request=jr, approve=payload.approve, reason=payload.reason)
    return {"id": jr.pk, "status": jr.status}


@router.get("/needs", response=list[NeedOut], summary="Needs the caller may see")
@paginate(Pages, page_size=50)
def needs(request, open_only: bool = False):
    return selectors.need_list(actor=actor_of(request), open_only=open_only)


@router.post("/needs/{need_id}/signup", response={201: SignUpOut}, summary="Sign up for a need")
def signup(request, need_id: int):
    actor = actor_of(request)
    return Status(201, services.signup_create(actor=actor, need=selectors.need_get(actor=actor, pk=need_id)))


@router.post(
    "/needs/{need_id}/presence",
    response=SignUpOut,
    summary="Team leader: sign a volunteer in or out by the code in their QR",
)
def presence(request, need_id: int, payload: PresenceIn):
    actor = actor_of(request)
    need = selectors.need_get(actor=actor, pk=need_id)
    fn = services.presence_sign_out if payload.action == "out" else services.presence_sign_in
    return fn(actor=actor, need=need, volunteer_token=payload.token)


@router.get("/hours", response=list[EntryOut], summary="Hours ledger entries the caller may see")
@paginate(Pages, page_size=100)
def hours(request, organization_id: int | None = None):
    return selectors.hours_entries(actor=actor_of(request), organization_id=organization_id)


@router.get("/organizations/{organization_id}/total", response=TotalOut, summary="An organization's hours total")
def org_total(request, organization_id: int):
    actor = actor_of(request)
    if not organization_visible(actor, organization_id):
        raise NotFound()
    minutes = selectors.organization_minutes(organization_id)
    return {"organization_id": organization_id, "minutes": minutes, "hours": round(minutes / 60, 1)}


@router.post("/reports", response={201: IdOut}, summary="Report hours for the organization to approve")
def report(request, payload: HoursReportIn):
    actor = actor_of(request)
    org = organization_by_pk(payload.organization_id)
    if org is None:
        raise NotFound()
    r = services.hours_report_create(
        actor=actor,
        organization=org,
        served_on=payload.served_on,
        minutes=payload.minutes,
        description=payload.description,
    )
    return Status(201, {"id": r.pk, "status": r.status})


@router.post("/reports/{report_id}/decision", response=IdOut, summary="Organization: approve or reject a report")
def report_decide(request, report_id: int, payload: DecisionIn):
    actor = actor_of(request)
    r = scope(actor, HoursReport.objects.all()).filter(pk=report_id).first()
    if r is None:
        raise NotFound()
    r = services.hours_report_decide(actor=actor, report=r, approve=payload.approve, reason=payload.reason)
    return {"id": r.pk, "status": r.status}


@router.get("/people", response=list[VolunteerOut], summary="Volunteers the caller may see (masked)")
@paginate(Pages, page_size=50)
def people(request, q: str = ""):
    return selectors.volunteer_list(actor=actor_of(request), q=q)


@router.post("/people/{volunteer_id}/reveal", response=RevealOut, summary="Full ID number or phone (audited)")
def reveal(request, volunteer_id: int, payload: RevealIn):
    actor = actor_of(request)
    volunteer = selectors.volunteer_get(actor=actor, pk=volunteer_id)
    return {"value": services.volunteer_reveal(actor=actor, volunteer=volunteer, field=payload.field)}


@router.get(
    "/experts",
    response=list[ExpertOut],
    summary="Search the expert library (the count stops at 1,001: more than 1,000 asks for a filter)",
)
@paginate(Pages, page_size=20)
def experts(
    request,
    q: str = "",
    field: str = "",
    district_id: int | None = None,
    available: bool | None = None,
    audience: str = "",
    emergency: bool | None = None,
    emergency_field: str = "",
):
    # The same capped matches as the web page: counting a common word over 100,000 experts is the slow part.
    return selectors.ExpertMatches(
        selectors.expert_search(
            actor=actor_of(request),
            q=q,
            field=field,
            district_id=district_id,
            available=available,
            audience=audience,
            emergency=emergency,
            emergency_field=emergency_field,
        )
    )


@router.post("/experts/{expert_id}/invitations", response={201: IdOut}, summary="Invite an expert")
def invite(request, expert_id: int, payload: InviteIn):
    actor = actor_of(request)
    expert = selectors.expert_get(actor=actor, pk=expert_id)
    inv = services.expert_invite(actor=actor, expert=expert, **payload.dict())
    return Status(201, {"id": inv.pk, "status": inv.outcome})


@router.get("/certificates/{number}/verify", response=VerifyOut, auth=None, summary="Verify a certificate")
def verify(request, number: str):
    cert = selectors.certificate_by_number(number)
    if cert is None:
        raise NotFound()
    v = cert.volunteer
    return {
        "valid": True,
        "number": cert.number,
        "name": v.real_name if not v.anonymized_at else "",
        "hours": round(cert.minutes / 60, 1),
        "stars": cert.stars,
        "issued_at": cert.issued_at,
    }
