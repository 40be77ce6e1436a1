from django.conf import settings
from django.utils.functional import SimpleLazyObject

from kepu.core.nav import badges_for, nav_for, tabs_for
from kepu.core.roles import PUBLIC_ROLES, STAFF_ROLES


def is_public_layout(actor) -> bool:
    """Residents (and visitors, and volunteers acting for themselves) get the resident layout:
    a one-row header, a bottom tab bar, large cards; staff get the work layout with the full menu."""
    return actor is None or not actor.is_authenticated or actor.role is None or actor.role in PUBLIC_ROLES


def _nav(actor):
    if actor is None or not actor.is_authenticated:
        return []
    badges = badges_for(actor)
    return [{**item, "badge": badges.get(item["name"], 0)} for item in nav_for(actor.role)]


def kepu(request):
    actor = getattr(request, "actor", None)
    public = is_public_layout(actor)
    badges = SimpleLazyObject(lambda: badges_for(actor))
    return {
        "actor": actor,
        "elder_mode": getattr(request, "elder_mode", False),
        "memberships": getattr(request, "memberships", ()),
        "nav": SimpleLazyObject(lambda: _nav(actor)),
        "public_layout": public,
        "tabs": SimpleLazyObject(lambda: tabs_for(request.path) if public else []),
        "unread": SimpleLazyObject(lambda: badges.get("notifications:inbox", 0)),
        "staff_actor": actor is not None and actor.is_authenticated and actor.role in STAFF_ROLES,
        "site": {
            "operator": settings.KEPU_OPERATOR_NAME,
            "icp": settings.KEPU_ICP_NUMBER,
            "contact": settings.KEPU_OPERATOR_CONTACT,
        },
        "debug": settings.DEBUG,
    }
