"""Builds ``request.actor``: the signed-in user acting in their chosen membership."""

from kepu.accounts.selectors import active_memberships, pick_membership
from kepu.core.actor import ANONYMOUS, Actor

SESSION_KEY = "kepu_membership_id"


class ActorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            memberships = active_memberships(user)
            chosen = pick_membership(memberships, request.session.get(SESSION_KEY))
            request.memberships = memberships
            request.actor = Actor(user=user, membership=chosen)
        else:
            request.memberships = []
            request.actor = ANONYMOUS
        return self.get_response(request)
