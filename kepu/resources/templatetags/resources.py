"""``{% attached_resources "activity" activity.pk %}``: the pieces attached to another app's object."""

from django import template

register = template.Library()


@register.inclusion_tag("resources/includes/attached.html", takes_context=True)
def attached_resources(context, target_type, target_id, manage=False):
    from kepu.resources import attachments, selectors

    rows = selectors.attached_to(target_type, int(target_id))
    request = context.get("request")
    # The button is offered only to those the owning app lets attach (a district office looking at a base does not).
    actor = getattr(request, "actor", None)
    manage = bool(manage and actor is not None and attachments.may_attach(actor, target_type, int(target_id)))
    return {
        "rows": [(a, r, attachments.label_of(target_type, a.label)) for a, r in rows],
        "covers": selectors.covers_of([r for _a, r in rows]),
        "manage": manage,
        "target_type": target_type,
        "target_id": target_id,
        "request": request,
    }
