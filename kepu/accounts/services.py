"""Every write about people: sign-in codes, registration, memberships, tokens, personal data."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu.accounts import holders
from kepu.accounts.models import (
    ROLE_ORG_KINDS,
    ApiToken,
    Consent,
    ConsentKind,
    Invitation,
    InvitationStatus,
    LoginCode,
    Membership,
    User,
)
from kepu.accounts.permissions import MembershipAction, PersonAction, TokenAction
from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.errors import DomainError
from kepu.core.messaging import send_sms
from kepu.core.permissions import require
from kepu.core.pii import blind_index, normalize_phone
from kepu.core.populations import Population
from kepu.core.roles import Role
from kepu.orgs.choices import OrgKind
from kepu.orgs.selectors import organizations_of_kind
from kepu.places.choices import PlaceLevel

if TYPE_CHECKING:
    from kepu.orgs.models import Organization
    from kepu.places.models import Place

MAX_CODE_ATTEMPTS = 5


def _hash_code(phone_index: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone_index}:{code}".encode(), hashlib.sha256).hexdigest()


def phone_index(phone: str) -> str:
    return blind_index(phone, "phone")


def _validated_phone(phone: str) -> str:
    try:
        return normalize_phone(phone)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code="phone_invalid") from None


def request_login_code(*, phone: str) -> str:
    """Send a one-time code to ``phone``; return the code (shown only by the demo).

    One code a minute per number; a new code replaces the old ones.
    """
    from kepu.accounts.lockout import code_request_allowed
    from kepu.core.audit import current_request_meta

    phone = _validated_phone(phone)
    index = phone_index(phone)
    now = timezone.now()
    with transaction.atomic():
        recent = LoginCode.objects.filter(
            phone_index=index, created_at__gte=now - timedelta(seconds=settings.KEPU_LOGIN_CODE_RESEND_SECONDS)
        )
        if recent.exists():
            raise DomainError(
                _("A code was sent less than a minute ago. Please wait before asking again."),
                code="code_too_soon",
                status=429,
            )
        # Counted once the one-a-minute rule passed, so a double click does not use up the hour.
        code_request_allowed(current_request_meta.get().ip, index)
        LoginCode.objects.filter(phone_index=index, used_at__isnull=True).update(used_at=now)
        code = f"{secrets.randbelow(10**6):06d}"
        LoginCode.objects.create(
            phone_index=index,
            code_hash=_hash_code(index, code),
            expires_at=now + timedelta(seconds=settings.KEPU_LOGIN_CODE_TTL_SECONDS),
        )
    send_sms(
        phone,
        _("Your kepu sign-in code is %(code)s. It is valid for 5 minutes. Never tell it to anyone.") % {"code": code},
        purpose="login",
    )
    return code


def verify_login_code(*, phone: str, code: str, consent_version: str = "") -> User | None:
    """Check a code; on success return the user, registering a new resident if needed.

    ``consent_version`` is the version of the user agreement and privacy policy the person agreed to on the
    sign-in form; a new person is registered only with it, and it is recorded (with the time) either way.
    """
    try:
        phone = normalize_phone(phone)
    except ValidationError:
        return None
    index = phone_index(phone)
    now = timezone.now()
    with transaction.atomic():
        login = (
            LoginCode.objects.select_for_update()
            .filter(phone_index=index, used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        if login is None:
            return None
        if not hmac.compare_digest(login.code_hash, _hash_code(index, (code or "").strip())):
            login.attempts += 1
            if login.attempts >= MAX_CODE_ATTEMPTS:
                login.used_at = now  # a guessed-at code is burnt
            login.save(update_fields=["attempts", "used_at"])
            return None
        user = User.objects.filter(phone_index=index).first()
        if user is None and not consent_version:
            return None  # nobody is registered without agreeing to the user agreement and privacy policy
        login.used_at = now
        login.save(update_fields=["used_at"])
        if user is None:
            user = User(username=f"r{secrets.token_hex(6)}", phone=phone, phone_index=index)
            user.set_unusable_password()
            user.save()
            log_action(Actor(user=user), "kepu.accounts.person.registered", user)
        if not user.is_active:
            return None
        if consent_version:
            consent_record(user=user, kind=ConsentKind.TERMS, version=consent_version)
        return user


def consent_record(*, user: User, kind: str, version: str) -> Consent:
    """Record that ``user`` agreed to ``kind`` in ``version`` now (once per version), with an audit entry."""
    if kind not in ConsentKind.values or not version:
        raise DomainError(_("Unknown consent."), code="consent_invalid")
    with transaction.atomic():
        consent, created = Consent.objects.get_or_create(user=user, kind=kind, version=version[:20])
        if created:
            log_action(
                Actor(user=user), "kepu.accounts.person.consented", user, data={"kind": kind, "version": version}
            )
    return consent


def has_consented(user: User, kind: str, version: str) -> bool:
    return Consent.objects.filter(user=user, kind=kind, version=version).exists()


@transaction.atomic
def resident_complete_profile(*, actor: Actor, name: str, community: Place, key_population: str = "") -> Membership:
    """A new resident gives their name and community (and, if they like, their key population) and becomes
    the community's resident (居民)."""
    name = (name or "").strip()
    key_population = _validated_population(key_population)
    if not name or len(name) > 50:
        raise DomainError(_("Please enter your name (at most 50 characters)."), code="name_invalid")
    if community.level != PlaceLevel.COMMUNITY:
        raise DomainError(_("Please choose a community or village."), code="community_invalid")
    committee = organizations_of_kind(OrgKind.COMMUNITY, place_id=community.pk).first()
    if committee is None:
        raise DomainError(_("This community is not on the platform yet."), code="community_missing")
    user = User.objects.select_for_update().get(pk=actor.user.pk)
    user.name = name
    user.home_place = community
    fields = ["name", "home_place"]
    if key_population:
        user.key_population = key_population
        fields.append("key_population")
    user.save(update_fields=fields)
    Membership.objects.filter(user=user, role=Role.RESIDENT).exclude(organization=committee).update(is_active=False)
    membership, _created = Membership.objects.update_or_create(
        user=user, organization=committee, role=Role.RESIDENT, defaults={"is_active": True}
    )
    log_action(actor, "kepu.accounts.person.profile_completed", user, place=community)
    return membership


def _check_role_fits(organization: Organization, role: str) -> None:
    if organization.kind not in ROLE_ORG_KINDS.get(role, set()):
        raise DomainError(
            _("The role %(role)s cannot be held in a %(kind)s.")
            % {"role": Role(role).label, "kind": OrgKind(organization.kind).label},
            code="role_kind",
        )


@transaction.atomic
def membership_create(
    *, actor: Actor, user: User, organization: Organization, role: str, title: str = ""
) -> Membership:
    candidate = Membership(user=user, organization=organization, role=role, title=title)
    require(actor, MembershipAction.CREATE, candidate)
    _check_role_fits(organization, role)
    existing = Membership.objects.filter(user=user, organization=organization, role=role).first()
    if existing is not None:
        if existing.is_active:
            raise DomainError(_("This person already holds this role here."), code="membership_exists")
        existing.is_active = True
        existing.title = title
        existing.save(update_fields=["is_active", "title"])
        membership = existing
    else:
        membership = Membership.objects.create(user=user, organization=organization, role=role, title=title)
    log_action(
        actor,
        "kepu.accounts.membership.created",
        membership,
        place=organization.place,
        data={"role": role, "person": user.pk},
    )
    return membership


@transaction.atomic
def membership_end(*, actor: Actor, membership: Membership) -> Membership:
    # The person before the membership, in the order every other writer of both takes them (anonymizing does).
    list(User.objects.select_for_update().filter(pk=membership.user_id).values_list("pk", flat=True))
    membership = Membership.objects.select_for_update().select_related("organization__place").get(pk=membership.pk)
    require(actor, MembershipAction.END, membership)
    if membership.is_active:
        membership.is_active = False
        membership.save(update_fields=["is_active"])
        log_action(actor, "kepu.accounts.membership.ended", membership, place=membership.organization.place)
    return membership


@transaction.atomic
def staff_create(
    *,
    actor: Actor,
    username: str,
    name: str,
    password: str,
    organization: Organization,
    role: str,
    phone: str = "",
    title: str = "",
) -> User:
    """An office or organization adds a staff account that signs in with a password."""
    _check_role_fits(organization, role)
    require(actor, MembershipAction.CREATE, Membership(organization=organization, role=role))
    user = User(username=username.strip(), name=name.strip(), is_staff=False)
    if phone:
        user.phone = _validated_phone(phone)
        user.phone_index = phone_index(user.phone)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), code="password_weak") from None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise DomainError(_("This user name or phone number is taken."), code="user_exists") from None
    Membership.objects.create(user=user, organization=organization, role=role, title=title)
    log_action(actor, "kepu.accounts.person.staff_created", user, place=organization.place, data={"role": role})
    return user


def person_reveal_phone(*, actor: Actor, person: User) -> str:
    """Show a person's full phone number to someone who must call them; always audited."""
    require(actor, PersonAction.VIEW_PII, person)
    log_action(actor, "kepu.accounts.person.pii_viewed", person, place=person.home_place, data={"field": "phone"})
    return person.phone


@transaction.atomic
def set_elder_mode(*, user: User, on: bool) -> None:
    if user.is_authenticated and user.elder_mode != on:
        User.objects.filter(pk=user.pk).update(elder_mode=on)
        user.elder_mode = on


def remember_membership(session, membership) -> None:
    """The role the person acts in from now on, in this browser session (other apps set it through here)."""
    from kepu.accounts.middleware import SESSION_KEY

    session[SESSION_KEY] = membership.pk


def switch_membership(*, actor: Actor, membership_id: int) -> Membership:
    membership = Membership.objects.filter(pk=membership_id, user=actor.user, is_active=True).first()
    if membership is None:
        raise DomainError(_("You do not hold this role."), code="role_unknown", status=403)
    return membership


def _token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor: Actor, name: str) -> tuple[ApiToken, str]:
    """Create a token for the actor's current role; the plain key is returned once only."""
    if actor.membership is None:
        raise DomainError(_("Choose a role before creating a token."), code="role_required")
    key = f"kp_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=actor.user,
        membership=actor.membership,
        name=(name or "API").strip()[:60],
        prefix=key[3:11],
        key_hash=_token_hash(key),
    )
    log_action(actor, "kepu.accounts.api_token.created", token, place=actor.place)
    return token, key


@transaction.atomic
def api_token_revoke(*, actor: Actor, token: ApiToken) -> None:
    require(actor, TokenAction.REVOKE, token)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    log_action(actor, "kepu.accounts.api_token.revoked", token, place=actor.place)


def api_token_authenticate(key: str) -> ApiToken | None:
    token = (
        ApiToken.objects.select_related("user", "membership__organization__place")
        .filter(
            key_hash=_token_hash(key or ""), revoked_at__isnull=True, user__is_active=True, membership__is_active=True
        )
        .first()
    )
    if token is not None:
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def _validated_population(value: str) -> str:
    value = (value or "").strip()
    if value and value not in Population.values:
        raise DomainError(_("Choose one of the listed groups, or none of them."), code="population_invalid")
    return value


@transaction.atomic
def person_set_key_population(*, actor: Actor, person: User, key_population: str) -> User:
    """Say which key population (重点人群) a person belongs to ("other": none of the five; empty: not said).

    Other apps copy it when the person signs up or orders, so changing it never rewrites past figures.
    """
    key_population = _validated_population(key_population)
    person = User.objects.select_for_update().get(pk=person.pk)
    require(actor, PersonAction.EDIT_PROFILE, person)
    if person.key_population != key_population:
        before = person.key_population
        person.key_population = key_population
        person.save(update_fields=["key_population"])
        log_action(
            actor,
            "kepu.accounts.person.key_population_changed",
            person,
            place=person.home_place,
            data={"from": before, "to": key_population},
        )
    return person


# --- For other apps: imports and anonymization -------------------------------------------
def _chunks(items: list, size: int = 900):
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class BulkPeople:
    """What an import did with its people: accounts it created (with the role) and people it invited."""

    created: dict[str, int] = field(default_factory=dict)  # phone -> user id
    invited: dict[str, int] = field(default_factory=dict)  # phone -> user id


def people_bulk_create(
    *, actor: Actor, organization: Organization, role: str, people: list[dict], batch: int = 5000
) -> BulkPeople:
    """Create an account with an active ``role`` in ``organization`` for each new person
    (``{"phone": normalized phone, "name": …}``), and invite the people who already have one.

    Someone already on the platform (same phone) is never attached by an import: they get an
    invitation (``people_invite``) and join only when they accept it themselves; nothing of the row
    (the name the uploader typed) touches their account. New people get an account that signs in by
    SMS code, with the phone encrypted and its blind index set as for any other sign-up. Rows are
    written with plain inserts (100,000 people in seconds); the phones are encrypted before the
    first write, so that the write lock is held only for the inserts. Call it inside the caller's
    transaction: an import is all or nothing.
    """
    from kepu.core.bulk import insert_rows
    from kepu.core.pii import encrypt

    _check_role_fits(organization, role)
    require(actor, MembershipAction.CREATE, Membership(organization=organization, role=role))
    by_index = {phone_index(p["phone"]): p for p in people}
    existing: dict[str, int] = {}
    for chunk in _chunks(list(by_index)):
        existing.update(User.objects.filter(phone_index__in=chunk).values_list("phone_index", "pk"))
    new = [(index, p, encrypt(p["phone"])) for index, p in by_index.items() if index not in existing]
    with transaction.atomic():
        # An unusable password ("!" prefix): these people sign in with a code sent to their phone.
        insert_rows(
            User,
            [
                {
                    "username": f"u-{index[:20]}",
                    "name": (p.get("name") or "")[:50],
                    "password": "!",
                    "phone": encrypted,
                    "phone_index": index,
                }
                for index, p, encrypted in new
            ],
            batch,
        )
        created: dict[str, int] = {}
        for chunk in _chunks([index for index, _p, _e in new]):
            created.update(User.objects.filter(phone_index__in=chunk).values_list("phone_index", "pk"))
        insert_rows(
            Membership,
            [{"user_id": user_id, "organization_id": organization.pk, "role": role} for user_id in created.values()],
            batch,
        )
        if role in holders.COUNTED_ROLES:
            for chunk in _chunks(list(created.values())):  # rows inserted in bulk send no signal
                holders.refresh(chunk)
        invited = people_invite(actor=actor, organization=organization, role=role, user_ids=list(existing.values()))
        log_action(
            actor,
            "kepu.accounts.person.bulk_created",
            organization,
            place=organization.place,
            data={"role": role, "people": len(by_index), "new_accounts": len(created), "invited": len(invited)},
        )
    return BulkPeople(
        created={by_index[index]["phone"]: user_id for index, user_id in created.items()},
        invited={by_index[index]["phone"]: user_id for index, user_id in existing.items() if user_id in invited},
    )


def people_invite(*, actor: Actor, organization: Organization, role: str, user_ids: list[int]) -> set[int]:
    """Invite these people to take ``role`` in ``organization``; return whom an invitation now waits for.

    People who already hold the role there, or already have a pending invitation, are left alone;
    so is anyone who closed their account. The caller decides whether to tell them (notifications).
    """
    _check_role_fits(organization, role)
    require(actor, MembershipAction.CREATE, Membership(organization=organization, role=role))
    ids = set(user_ids)
    if not ids:
        return set()
    holding, pending, active = set(), set(), set()
    for chunk in _chunks(list(ids)):
        holding |= set(
            Membership.objects.filter(
                user_id__in=chunk, organization=organization, role=role, is_active=True
            ).values_list("user_id", flat=True)
        )
        pending |= set(
            Invitation.objects.filter(
                user_id__in=chunk, organization=organization, role=role, status=InvitationStatus.PENDING
            ).values_list("user_id", flat=True)
        )
        active |= set(User.objects.filter(pk__in=chunk, is_active=True).values_list("pk", flat=True))
    fresh = sorted((ids & active) - holding - pending)
    Invitation.objects.bulk_create(
        [Invitation(user_id=u, organization=organization, role=role, invited_by=actor.user) for u in fresh],
        batch_size=1000,
    )
    if fresh:
        from kepu.notifications.services import notify

        notify(
            User.objects.filter(pk__in=fresh).only("pk"),
            title=_("%(org)s invites you to join it as %(role)s.")
            % {"org": organization.display_name, "role": Role(role).label},
            body=_("You join only if you accept the invitation."),
            url=reverse("accounts:invitations"),
            kind="invitation",
        )
        log_action(
            actor,
            "kepu.accounts.person.invited",
            organization,
            place=organization.place,
            data={"role": role, "people": len(fresh)},
        )
    return set(fresh) | (pending & active)


#: Conditions a role's invitation needs before it can be accepted (``role -> check(user)``), registered by
#: the app that owns the role's work (volunteers: a volunteer profile under the person's real name).
_acceptance_checks: dict[str, list] = {}


def register_invitation_check(role: str, check) -> None:
    """``check(user)`` raises ``DomainError`` when ``user`` cannot accept an invitation to ``role`` yet."""
    _acceptance_checks.setdefault(role, []).append(check)


def _own_pending_invitation(actor: Actor, invitation: Invitation) -> Invitation:
    invitation = (
        Invitation.objects.select_for_update().select_related("organization__place").filter(pk=invitation.pk).first()
    )
    if invitation is None or not actor.is_authenticated or invitation.user_id != actor.user.pk:
        raise DomainError(_("Not found."), code="not_found", status=404)
    if invitation.status != InvitationStatus.PENDING:
        raise DomainError(_("This invitation was already answered."), code="invitation_answered", status=409)
    return invitation


@transaction.atomic
def invitation_accept(*, actor: Actor, invitation: Invitation) -> Membership:
    """The invited person accepts with their own account and takes the role (邀请 → 加入)."""
    invitation = _own_pending_invitation(actor, invitation)
    for check in _acceptance_checks.get(invitation.role, []):
        check(actor.user)
    membership, created = Membership.objects.get_or_create(
        user=actor.user, organization=invitation.organization, role=invitation.role
    )
    if not created and not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
    _record_answer(actor, invitation, InvitationStatus.ACCEPTED, "kepu.accounts.person.invitation_accepted")
    return membership


@transaction.atomic
def invitation_decline(*, actor: Actor, invitation: Invitation) -> Invitation:
    invitation = _own_pending_invitation(actor, invitation)
    _record_answer(actor, invitation, InvitationStatus.DECLINED, "kepu.accounts.person.invitation_declined")
    return invitation


def _record_answer(actor: Actor, invitation: Invitation, status: str, event: str) -> None:
    invitation.status = status
    invitation.decided_at = timezone.now()
    invitation.save(update_fields=["status", "decided_at"])
    log_action(
        actor,
        event,
        invitation.organization,
        place=invitation.organization.place,
        data={"role": invitation.role, "invitation": invitation.pk},
    )


@transaction.atomic
def person_anonymize(*, actor: Actor, person: User) -> User:
    """Erase what identifies a person (PIPL) and close the account: it can no longer sign in and
    holds no role. The row stays, so records that point to it (hours, orders) still count."""
    person = User.objects.select_for_update().get(pk=person.pk)
    require(actor, PersonAction.ANONYMIZE, person)
    if not person.is_active and person.username == f"anon-{person.pk}":
        return person
    person.name = person.first_name = person.last_name = person.email = person.phone = ""
    person.phone_index = None
    person.username = f"anon-{person.pk}"
    person.home_place = None
    person.is_active = False
    person.set_unusable_password()
    person.save()
    Membership.objects.filter(user=person, is_active=True).update(is_active=False)
    holders.refresh([person.pk])  # a queryset update sends no signal
    ApiToken.objects.filter(user=person, revoked_at__isnull=True).update(revoked_at=timezone.now())
    log_action(actor, "kepu.accounts.person.anonymized", person, data={"person": person.pk})
    return person


def person_erase_self(*, actor: Actor) -> User:
    """A person asks for their own data to be erased ("My data"): each app clears what identifies them
    (registered erasers, through their own services), then the account is anonymized and closed
    (``person_anonymize``). Records stay, without the person's identity, so figures still count."""
    from kepu.core.personal_data import erasers

    if not actor.is_authenticated:
        raise DomainError(_("Sign in first."), code="sign_in")
    with transaction.atomic():
        log_action(actor, "kepu.accounts.person.erasure_requested", actor.user, place=actor.user.home_place)
        for _key, erase in erasers():
            erase(actor, actor.user)
        return person_anonymize(actor=actor, person=actor.user)
