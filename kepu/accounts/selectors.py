"""Reads of people and memberships, scoped to the actor."""

from django.db.models import Prefetch, Q, QuerySet

from kepu.accounts.models import ROLE_PRIORITY, ApiToken, Invitation, InvitationStatus, Membership, User
from kepu.accounts.permissions import area_memberships
from kepu.core.actor import Actor
from kepu.core.permissions import get_visible, scope
from kepu.core.roles import STAFF_ROLES


def active_memberships(user) -> list[Membership]:
    qs = Membership.objects.filter(user=user, is_active=True, organization__is_active=True).select_related(
        "organization__place"
    )
    return sorted(qs, key=lambda m: (ROLE_PRIORITY.index(m.role), m.pk))


def pick_membership(memberships: list[Membership], wanted_id) -> Membership | None:
    for m in memberships:
        if wanted_id is not None and m.pk == wanted_id:
            return m
    return memberships[0] if memberships else None


def person_list(*, actor: Actor, q: str = "", role: str = "", organization_id: int | None = None) -> QuerySet[User]:
    qs = scope(actor, User.objects.all())
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(username__icontains=q))
    if role or organization_id:
        qs = qs.filter(pk__in=_filtered_memberships(actor, role, organization_id).values("user_id"))
    visible = scope(actor, Membership.objects.filter(is_active=True)).select_related("organization")
    # Newest first: the primary key walks in order while the area's member set is probed, so
    # the first pages of a district's million residents need no sort.
    return qs.prefetch_related(Prefetch("memberships", queryset=visible, to_attr="visible_memberships")).order_by("-pk")


def _filtered_memberships(actor: Actor, role: str, organization_id: int | None):
    memberships = Membership.objects.filter(is_active=True) if actor.is_city else area_memberships(actor)
    if role:
        memberships = memberships.filter(role=role)
    if organization_id:
        memberships = memberships.filter(organization_id=organization_id)
    return memberships


def person_count(*, actor: Actor, q: str = "", role: str = "", organization_id: int | None = None) -> int:
    """How many people ``person_list`` gives, counted on the membership index when no name is searched."""
    if q or actor.role not in STAFF_ROLES:
        return person_list(actor=actor, q=q, role=role, organization_id=organization_id).count()
    if actor.is_city and not role and not organization_id:
        return User.objects.count()
    return _filtered_memberships(actor, role, organization_id).values("user_id").distinct().count()


def person_get(*, actor: Actor, pk: int) -> User:
    visible = scope(actor, Membership.objects.all()).select_related("organization__place")
    qs = User.objects.prefetch_related(Prefetch("memberships", queryset=visible, to_attr="visible_memberships"))
    return get_visible(actor, qs, pk=pk)


def token_list(*, actor: Actor) -> QuerySet[ApiToken]:
    return scope(actor, ApiToken.objects.filter(revoked_at__isnull=True)).select_related("membership__organization")


def staff_of(org_ids, roles) -> list[User]:
    """The people holding one of ``roles`` in any of the organizations ``org_ids`` (active memberships only).

    For other apps that must reach an organization's staff (notifications, reminders) without reading
    accounts' tables themselves. Not scoped to an actor: the caller has already decided that these
    organizations are to be told.
    """
    ids = [i for i in org_ids if i is not None]
    if not ids:
        return []
    return list(
        User.objects.filter(
            memberships__organization_id__in=ids,
            memberships__role__in=list(roles),
            memberships__is_active=True,
            is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


def key_population_of(user) -> str:
    """The key population a person said they belong to ("" when not said), for other apps' forms and sign-ups.

    Not scoped: callers ask about the person acting (or the attendee they already hold), never browse.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return User.objects.filter(pk=user.pk).values_list("key_population", flat=True).first() or ""


def person_by_phone(*, actor: Actor, phone: str) -> User | None:
    """The person with this mobile number, if the actor may see them (a community worker: their community's).

    For staff who register someone by the number the person gives them; an invalid number
    or a person outside the actor's area gives None, the same answer as nobody.
    """
    from django.core.exceptions import ValidationError

    from kepu.core.pii import blind_index, normalize_phone

    try:
        phone = normalize_phone(phone)
    except ValidationError:
        return None
    return scope(actor, User.objects.filter(phone_index=blind_index(phone, "phone"), is_active=True)).first()


def user_ids_by_phone(phones) -> dict[str, int]:
    """``{phone: user id}`` of the normalized ``phones`` that already have an account (imports check with it);
    not scoped: it reveals only that a number is registered, to the service that must not register it twice."""
    from kepu.accounts.services import phone_index

    by_index = {phone_index(p): p for p in phones}
    found: dict[str, int] = {}
    indexes = list(by_index)
    for start in range(0, len(indexes), 900):
        found.update(
            (by_index[i], pk)
            for i, pk in User.objects.filter(phone_index__in=indexes[start : start + 900]).values_list(
                "phone_index", "pk"
            )
        )
    return found


def resident_membership_of(user) -> Membership | None:
    """The person's active resident membership (their community), if they have one."""
    from kepu.core.roles import Role

    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return (
        Membership.objects.filter(user=user, role=Role.RESIDENT, is_active=True, organization__is_active=True)
        .select_related("organization__place")
        .first()
    )


def login_code_wait(phone: str) -> int:
    """Seconds before another sign-in code may be sent to ``phone`` (0: now)."""
    from django.conf import settings
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from kepu.accounts.models import LoginCode
    from kepu.core.pii import blind_index, normalize_phone

    try:
        phone = normalize_phone(phone)
    except ValidationError:
        return 0
    last = (
        LoginCode.objects.filter(phone_index=blind_index(phone, "phone"))
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is None:
        return 0
    left = settings.KEPU_LOGIN_CODE_RESEND_SECONDS - (timezone.now() - last).total_seconds()
    return max(0, int(left + 0.999))


def personal_data(user) -> dict:
    """What the accounts app holds about ``user``, for their own download ("My data")."""
    from kepu.accounts.models import Consent

    return {
        "name": user.name,
        "mobile_phone": user.phone,
        "home_community": user.home_place.full_name() if user.home_place_id else "",
        "key_population": user.key_population,
        "elder_mode": user.elder_mode,
        "registered_at": user.date_joined.isoformat(),
        "roles": [
            {"role": str(m.get_role_display()), "organization": m.organization.name, "active": m.is_active}
            for m in Membership.objects.filter(user=user).select_related("organization")
        ],
        "consents": [
            {"to": str(c.get_kind_display()), "version": c.version, "given_at": c.given_at.isoformat()}
            for c in Consent.objects.filter(user=user).order_by("given_at")
        ],
        "api_tokens": [
            {"name": t.name, "created_at": t.created_at.isoformat(), "revoked": t.revoked_at is not None}
            for t in ApiToken.objects.filter(user=user)
        ],
    }


def consents_of(user):
    from kepu.accounts.models import Consent

    return Consent.objects.filter(user=user).order_by("-given_at")


def people_in_area(role, place_paths) -> list[Membership]:
    """Active memberships in ``role`` whose organization sits at one of ``place_paths`` (exact places),
    with user and place loaded: the experts who serve a place and the places above it, say."""
    return list(
        Membership.objects.filter(
            role=role, is_active=True, user__is_active=True, organization__place__path__in=list(place_paths)
        ).select_related("user", "organization__place")
    )


def membership_of(user_id, role) -> Membership | None:
    """The person's active membership in ``role`` (the first, by organization), with its organization's place."""
    return (
        Membership.objects.filter(user_id=user_id, role=role, is_active=True, user__is_active=True)
        .select_related("user", "organization__place")
        .order_by("organization_id")
        .first()
    )


def role_holders(role, *, org_ids=None, user_ids=None, joined_before=None) -> QuerySet[Membership]:
    """Active memberships in ``role`` (of people whose account is active), optionally of the organizations
    ``org_ids``, of the people ``user_ids`` (ids or a subquery of them) and made before ``joined_before``.

    For figures other apps count (registered volunteers by organization, 注册科普志愿者): a person in two
    organizations has two rows here, and the caller decides whether to count the person once. Not scoped.
    """
    qs = Membership.objects.filter(role=role, is_active=True, user__is_active=True)
    if org_ids is not None:
        qs = qs.filter(organization_id__in=org_ids)
    if user_ids is not None:
        qs = qs.filter(user_id__in=user_ids)
    if joined_before is not None:
        qs = qs.filter(created_at__lt=joined_before)
    return qs


def role_holder_counts(role, place_paths, year: int) -> dict[str, int]:
    """{place path: people holding ``role`` (active, each once) in organizations under it, who joined by the end of
    ``year``}: what ``role_holders(role, joined_before=…)`` counted distinct per place gives, read from the kept
    counts (``kepu.accounts.holders``; the volunteer role only)."""
    from kepu.accounts import holders

    if role not in holders.COUNTED_ROLES:
        raise ValueError(f"{role} holders are not kept per place")
    return holders.counts(role, place_paths, year)


def _home_in(populations, place_paths):
    from kepu.places.selectors import place_ids_under

    qs = User.objects.filter(is_active=True, home_place__in=place_ids_under(place_paths))
    populations = [p for p in populations if p]
    if populations:
        qs = qs.filter(key_population__in=populations)
    return qs


def people_ids_at_home(*, populations=(), place_paths, after_id: int = 0, batch: int = 5000) -> list[int]:
    """One batch of ids of active people whose home community lies under one of ``place_paths`` and whose
    key population is one of ``populations`` (empty: anyone), after ``after_id``, in id order.

    For fan-outs to a million people (a resource pushed to the elderly of a street): the caller asks
    again with the last id it got until a batch comes back short, so no query holds more than
    ``batch`` rows and a stopped fan-out resumes where it was. Not scoped: the caller's policy decided
    that these places may be reached.
    """
    if not place_paths:
        return []
    qs = _home_in(populations, place_paths).filter(pk__gt=after_id).order_by("pk")
    return list(qs.values_list("pk", flat=True)[:batch])


def people_at_home(*, populations=(), place_ids, except_populations=()) -> QuerySet:
    """The ids of active people whose home is one of the places ``place_ids`` itself (ids or a subquery; not the
    places below it) and whose key population is one of ``populations`` (empty: anyone) and none of
    ``except_populations``, as a one-column subquery.

    For set-based fan-outs: the caller writes one row per person in a single ``INSERT … SELECT`` over this query
    (and may narrow it with its own ``Exists``) instead of carrying millions of ids through Python. Not scoped:
    the caller's policy decided that these places may be reached.
    """
    qs = User.objects.filter(is_active=True, home_place_id__in=place_ids)
    populations = [p for p in populations if p]
    if populations:
        qs = qs.filter(key_population__in=populations)
    if except_populations:
        qs = qs.exclude(key_population__in=except_populations)
    return qs.values("pk")


def people_count_at_home(*, populations=(), place_paths) -> int:
    """How many people ``people_ids_at_home`` would give in all (for a progress bar)."""
    if not place_paths:
        return 0
    return _home_in(populations, place_paths).count()


def my_invitations(*, actor: Actor) -> QuerySet[Invitation]:
    """The invitations waiting for the signed-in person's answer (theirs only, whatever role they act in)."""
    if not actor.is_authenticated:
        return Invitation.objects.none()
    return (
        scope(actor, Invitation.objects.filter(status=InvitationStatus.PENDING))
        .select_related("organization__place")
        .order_by("-created_at", "-pk")
    )


def my_invitation(*, actor: Actor, pk: int) -> Invitation:
    from kepu.core.errors import NotFound

    invitation = my_invitations(actor=actor).filter(pk=pk).first()
    if invitation is None:
        raise NotFound()
    return invitation


def people_of(organization) -> QuerySet[User]:
    """The people with an active membership in ``organization`` (for choosing one of its people, e.g. a leader)."""
    return User.objects.filter(
        memberships__organization=organization, memberships__is_active=True, is_active=True
    ).distinct()


def memberships(
    *, role=None, user=None, organization=None, under_path: str | None = None, place_paths=None, organization_kind=None
) -> QuerySet[Membership]:
    """Active memberships (in ``role``, of ``user``, in ``organization`` (object or id), in organizations placed
    under ``under_path`` or at one of ``place_paths``, or of ``organization_kind``), as a queryset another app's
    policy or selector composes into its own query (an ``Exists`` or ``__in`` subquery) so scoping stays one SQL
    statement."""
    qs = Membership.objects.filter(is_active=True)
    if role is not None:
        qs = qs.filter(role=role)
    if user is not None:
        qs = qs.filter(user=user)
    if organization is not None:
        qs = qs.filter(organization=organization)
    if under_path:
        qs = qs.filter(organization__place__path__startswith=under_path)
    if place_paths is not None:
        qs = qs.filter(organization__place__path__in=list(place_paths))
    if organization_kind:
        qs = qs.filter(organization__kind=organization_kind)
    return qs


def is_member(user, organization, role=None) -> bool:
    """Whether ``user`` (object or id) holds an active membership (in ``role``, if given) in ``organization``."""
    if user is None:
        return False
    return memberships(role=role, user=user, organization=organization).exists()


def organizations_of(user, role) -> list:
    """The organizations where ``user`` holds an active ``role``, with their places, by name."""
    return [
        m.organization
        for m in memberships(role=role, user=user).select_related("organization__place").order_by("organization__name")
    ]
