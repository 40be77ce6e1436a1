"""Every write about people: sign-in codes, registration, memberships, tokens, personal data."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu.accounts.models import ROLE_ORG_KINDS, ApiToken, LoginCode, Membership, User
from kepu.accounts.permissions import MembershipAction, PersonAction
from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.errors import DomainError
from kepu.core.messaging import send_sms
from kepu.core.permissions import require
from kepu.core.pii import blind_index, normalize_phone
from kepu.core.populations import Population
from kepu.core.roles import Role
from kepu.orgs.models import Organization, OrgKind
from kepu.places.models import Place, PlaceLevel

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
    phone = _validated_phone(phone)
    index = phone_index(phone)
    now = timezone.now()
    with transaction.atomic():
        recent = LoginCode.objects.filter(
            phone_index=index, created_at__gte=now - timedelta(seconds=settings.KEPU_LOGIN_CODE_RESEND_SECONDS)
        )
        if recent.exists():
            raise DomainError(_("A code was sent less than a minute ago. Please wait before asking again."),
                              code="code_too_soon", status=429)
        LoginCode.objects.filter(phone_index=index, used_at__isnull=True).update(used_at=now)
        code = f"{secrets.randbelow(10**6):06d}"
        LoginCode.objects.create(
            phone_index=index, code_hash=_hash_code(index, code),
            expires_at=now + timedelta(seconds=settings.KEPU_LOGIN_CODE_TTL_SECONDS),
        )
    send_sms(phone, _("Your kepu sign-in code is %(code)s. It is valid for 5 minutes. Never tell it to anyone.")
             % {"code": code}, purpose="login")
    return code


def verify_login_code(*, phone: str, code: str) -> User | None:
    """Check a code; on success return the user, registering a new resident if needed."""
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
        login.used_at = now
        login.save(update_fields=["used_at"])
        user = User.objects.filter(phone_index=index).first()
        if user is None:
            user = User(username=f"r{secrets.token_hex(6)}", phone=phone, phone_index=index)
            user.set_unusable_password()
            user.save()
            log_action(Actor(user=user), "kepu.person.registered", user)
        if not user.is_active:
            return None
        return user


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
    committee = Organization.objects.filter(place=community, kind=OrgKind.COMMUNITY, is_active=True).first()
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
    log_action(actor, "kepu.person.profile_completed", user, place=community)
    return membership


def _check_role_fits(organization: Organization, role: str) -> None:
    if organization.kind not in ROLE_ORG_KINDS.get(role, set()):
        raise DomainError(
            _("The role %(role)s cannot be held in a %(kind)s.")
            % {"role": Role(role).label, "kind": OrgKind(organization.kind).label},
            code="role_kind",
        )


@transaction.atomic
def membership_create(*, actor: Actor, user: User, organization: Organization, role: str, title: str = "") -> Membership:
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
    log_action(actor, "kepu.membership.created", membership, place=organization.place,
               data={"role": role, "person": user.pk})
    return membership


@transaction.atomic
def membership_end(*, actor: Actor, membership: Membership) -> Membership:
    membership = Membership.objects.select_for_update().select_related("organization__place").get(pk=membership.pk)
    require(actor, MembershipAction.END, membership)
    if membership.is_active:
        membership.is_active = False
        membership.save(update_fields=["is_active"])
        log_action(actor, "kepu.membership.ended", membership, place=membership.organization.place)
    return membership


@transaction.atomic
def staff_create(*, actor: Actor, username: str, name: str, password: str, organization: Organization, role: str,
                 phone: str = "", title: str = "") -> User:
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
    log_action(actor, "kepu.person.staff_created", user, place=organization.place, data={"role": role})
    return user


def person_reveal_phone(*, actor: Actor, person: User) -> str:
    """Show a person's full phone number to someone who must call them; always audited."""
    require(actor, PersonAction.VIEW_PII, person)
    log_action(actor, "kepu.person.pii_viewed", person, place=person.home_place, data={"field": "phone"})
    return person.phone


@transaction.atomic
def set_elder_mode(*, user: User, on: bool) -> None:
    if user.is_authenticated and user.elder_mode != on:
        User.objects.filter(pk=user.pk).update(elder_mode=on)
        user.elder_mode = on


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
        user=actor.user, membership=actor.membership, name=(name or "API").strip()[:60],
        prefix=key[3:11], key_hash=_token_hash(key),
    )
    log_action(actor, "kepu.api_token.created", token, place=actor.place)
    return token, key


@transaction.atomic
def api_token_revoke(*, actor: Actor, token: ApiToken) -> None:
    require(actor, "revoke", token)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    log_action(actor, "kepu.api_token.revoked", token, place=actor.place)


def api_token_authenticate(key: str) -> ApiToken | None:
    token = (
        ApiToken.objects.select_related("user", "membership__organization__place")
        .filter(key_hash=_token_hash(key or ""), revoked_at__isnull=True, user__is_active=True,
                membership__is_active=True)
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
        log_action(actor, "kepu.person.key_population_changed", person, place=person.home_place,
                   data={"from": before, "to": key_population})
    return person


# --- For other apps: imports and anonymization -------------------------------------------
def _chunks(items: list, size: int = 900):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def people_bulk_create(*, actor: Actor, organization: Organization, role: str, people: list[dict],
                       batch: int = 5000) -> dict[str, int]:
    """Make sure each person (``{"phone": normalized phone, "name": …}``) has an account and an active
    ``role`` in ``organization``, as an import needs it; return ``{phone: user id}``.

    People already on the platform (same phone) keep their account; new ones get an account that
    signs in by SMS code, with the phone encrypted and its blind index set as for any other sign-up.
    Rows are written with plain inserts (100,000 people in seconds); the phones are encrypted
    before the first write, so that the write lock is held only for the inserts. Call it inside
    the caller's transaction: an import is all or nothing.
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
        insert_rows(User, [{"username": f"u-{index[:20]}", "name": (p.get("name") or "")[:50], "password": "!",
                            "phone": encrypted, "phone_index": index} for index, p, encrypted in new], batch)
        ids = dict(existing)
        for chunk in _chunks([index for index, _p, _e in new]):
            ids.update(User.objects.filter(phone_index__in=chunk).values_list("phone_index", "pk"))
        members: dict[int, bool] = {}
        for chunk in _chunks(list(ids.values())):
            members.update(Membership.objects.filter(user_id__in=chunk, organization=organization, role=role)
                           .values_list("user_id", "is_active"))
        inactive = [user_id for user_id, active in members.items() if not active]
        for chunk in _chunks(inactive):
            Membership.objects.filter(user_id__in=chunk, organization=organization, role=role).update(is_active=True)
        insert_rows(Membership, [{"user_id": user_id, "organization_id": organization.pk, "role": role}
                                 for user_id in ids.values() if user_id not in members], batch)
        log_action(actor, "kepu.person.bulk_created", organization, place=organization.place,
                   data={"role": role, "people": len(ids), "new_accounts": len(new),
                         "new_memberships": len(ids) - len(members) + len(inactive)})
    return {by_index[index]["phone"]: user_id for index, user_id in ids.items()}


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
    ApiToken.objects.filter(user=person, revoked_at__isnull=True).update(revoked_at=timezone.now())
    log_action(actor, "kepu.person.anonymized", person, data={"person": person.pk})
    return person
