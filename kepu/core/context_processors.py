from django.conf import settings

from kepu.core.nav import nav_for


def kepu(request):
    actor = getattr(request, "actor", None)
    return {
        "actor": actor,
        "elder_mode": getattr(request, "elder_mode", False),
        "memberships": getattr(request, "memberships", ()),
        "nav": nav_for(actor.role) if actor is not None and actor.is_authenticated else (),
        "debug": settings.DEBUG,
    }
