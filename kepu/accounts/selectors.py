"""Reads of people and memberships, scoped to the actor."""

from django.db.models import Prefetch, Q, QuerySet

from kepu.accounts.models import ROLE_PRIORITY, ApiToken, Membership, User
from kepu.core.actor import Actor
from kepu.core.permissions import get_visible, scope


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
    member_filter = Q(memberships__is_active=True)
    if role:
        member_filter &= Q(memberships__role=role)
    if organization_id:
        member_filter &= Q(memberships__organization_id=organization_id)
    if role or organization_id:
        qs = qs.filter(member_filter).distinct()
    visible = scope(actor, Membership.objects.filter(is_active=True)).select_related("organization")
    return qs.prefetch_related(Prefetch("memberships", queryset=visible, to_attr="visible_memberships")).order_by(
        "name", "pk"
    )


def person_get(*, actor: Actor, pk: int) -> User:
    visible = scope(actor, Membership.objects.all()).select_related("organization__place")
    qs = User.objects.prefetch_related(Prefetch("memberships", queryset=visible, to_attr="visible_memberships"))
    return get_visible(actor, qs, pk=pk)


def token_list(*, actor: Actor) -> QuerySet[ApiToken]:
    return scope(actor, ApiToken.objects.filter(revoked_at__isnull=True)).select_related("membership__organization")
