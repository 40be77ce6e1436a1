from datetime import datetime

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.pagination import paginate

from kepu.accounts import selectors, services
from kepu.accounts.selectors import active_memberships, pick_membership
from kepu.core.actor import Actor
from kepu.core.api import Pages, actor_of
from kepu.core.errors import DomainError

router = Router(tags=["people"])
auth_router = Router(tags=["auth"])


class MembershipOut(Schema):
    id: int
    role: str
    organization_id: int
    organization: str

    @staticmethod
    def resolve_organization(obj):
        return obj.organization.name


class PersonOut(Schema):
    id: int
    name: str
    phone: str
    key_population: str
    memberships: list[MembershipOut]

    @staticmethod
    def resolve_phone(obj):
        return obj.masked_phone

    @staticmethod
    def resolve_memberships(obj):
        return getattr(obj, "visible_memberships", [])


class MeOut(Schema):
    id: int
    name: str
    key_population: str
    role: str | None
    organization: str | None
    memberships: list[MembershipOut]


class PhoneOut(Schema):
    phone: str


@router.get("/me", response=MeOut, summary="The caller and the role they act in")
def me(request):
    actor = actor_of(request)
    return {
        "id": actor.user.pk,
        "name": actor.user.get_display_name(),
        "role": actor.role,
        "key_population": selectors.key_population_of(actor.user),
        "organization": actor.organization.name if actor.organization else None,
        "memberships": active_memberships(actor.user),
    }


class KeyPopulationIn(Schema):
    key_population: str  # one of kepu.core.populations.Population, or "" (not said)


@router.patch("/me", response=MeOut, summary="Say which key population one belongs to")
def me_update(request, payload: KeyPopulationIn):
    actor = actor_of(request)
    services.person_set_key_population(actor=actor, person=actor.user, key_population=payload.key_population)
    return me(request)


@router.get("/", response=list[PersonOut], summary="People the caller may see (phones masked)")
@paginate(Pages, page_size=50)
def person_list(request, q: str = "", role: str = ""):
    return selectors.person_list(actor=actor_of(request), q=q, role=role)


class InvitationOut(Schema):
    id: int
    organization_id: int
    organization: str
    role: str
    created_at: datetime

    @staticmethod
    def resolve_organization(obj):
        return obj.organization.display_name


@router.get("/invitations", response=list[InvitationOut], summary="Invitations waiting for the caller's answer")
def invitation_list(request):
    return list(selectors.my_invitations(actor=actor_of(request)))


@router.post(
    "/invitations/{invitation_id}/accept",
    response=MembershipOut,
    summary="Accept an invitation: the caller takes the role",
)
def invitation_accept(request, invitation_id: int):
    actor = actor_of(request)
    invitation = selectors.my_invitation(actor=actor, pk=invitation_id)
    return services.invitation_accept(actor=actor, invitation=invitation)


@router.post(
    "/invitations/{invitation_id}/decline",
    response=InvitationOut,
    summary="Decline an invitation",
)
def invitation_decline(request, invitation_id: int):
    actor = actor_of(request)
    invitation = selectors.my_invitation(actor=actor, pk=invitation_id)
    return services.invitation_decline(actor=actor, invitation=invitation)


@router.get("/{person_id}", response=PersonOut)
def person_get(request, person_id: int):
    return selectors.person_get(actor=actor_of(request), pk=person_id)


@router.patch("/{person_id}", response=PersonOut, summary="Set a person's key population (the offices of their area)")
def person_update(request, person_id: int, payload: KeyPopulationIn):
    actor = actor_of(request)
    person = selectors.person_get(actor=actor, pk=person_id)
    services.person_set_key_population(actor=actor, person=person, key_population=payload.key_population)
    return selectors.person_get(actor=actor, pk=person_id)


@router.post("/{person_id}/phone", response=PhoneOut, summary="The full phone number (audited)")
def person_phone(request, person_id: int):
    actor = actor_of(request)
    person = selectors.person_get(actor=actor, pk=person_id)
    return {"phone": services.person_reveal_phone(actor=actor, person=person)}


class PasswordIn(Schema):
    username: str
    password: str
    membership_id: int | None = None
    name: str = "API"


class CodeRequestIn(Schema):
    phone: str


class CodeIn(Schema):
    phone: str
    code: str
    name: str = "App"


class TokenOut(Schema):
    token: str
    role: str
    organization: str


def _issue_token(request, user, membership_id, name) -> dict:
    membership = pick_membership(active_memberships(user), membership_id)
    if membership is None:
        raise DomainError(_("This account holds no role yet."), code="role_required", status=403)
    _token, key = services.api_token_create(actor=Actor(user=user, membership=membership), name=name)
    return {"token": key, "role": membership.role, "organization": membership.organization.name}


def _authenticate(request, **credentials):
    from kepu.accounts.lockout import address_slowed
    from kepu.core.ratelimit import RateLimited

    if address_slowed(request):
        raise RateLimited()
    user = authenticate(request, **credentials)
    if user is None or hasattr(user, "status_code"):
        locked = hasattr(user, "status_code")
        raise DomainError(
            _("Too many failed attempts; try again later.") if locked else _("Wrong credentials."),
            code="locked_out" if locked else "bad_credentials",
            status=429 if locked else 401,
        )
    return user


@auth_router.post("/token", response=TokenOut, auth=None, summary="Staff: a token from user name and password")
def token_from_password(request, payload: PasswordIn):
    user = _authenticate(request, username=payload.username, password=payload.password)
    return _issue_token(request, user, payload.membership_id, payload.name)


@auth_router.post("/code", auth=None, summary="Residents: send a one-time code by SMS")
def code_request(request, payload: CodeRequestIn):
    services.request_login_code(phone=payload.phone)
    return {"sent": True}


@auth_router.post("/code/token", response=TokenOut, auth=None, summary="Residents: a token from phone and code")
def token_from_code(request, payload: CodeIn):
    user = _authenticate(request, username=payload.phone, code=payload.code)
    return _issue_token(request, user, None, payload.name)
