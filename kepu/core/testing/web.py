"""Helpers for tests that use Django's test client."""


def login(client, actor):
    """Sign ``client`` in as ``actor``: the user, acting in that membership (as the role switcher would)."""
    client.force_login(actor.user)
    session = client.session
    session["kepu_membership_id"] = actor.membership.pk
    session.save()
    return client
