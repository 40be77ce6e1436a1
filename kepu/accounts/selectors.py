"""Reads of people and memberships, scoped to the actor."""

from django.db.models import Prefetch, Q, QuerySet

from kepu.accounts.models import ROLE_PRIORITY, ApiToken, Membership, User
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
    return list(User.objects.filter(memberships__organization_id__in=ids, memberships__role__in=list(roles),
                                    memberships__is_active=True, is_active=True).distinct().order_by("pk"))


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
        found.update((by_index[i], pk) for i, pk in User.objects.filter(phone_index__in=indexes[start:start + 900])
                     .values_list("phone_index", "pk"))
    return found
