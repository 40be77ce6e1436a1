from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from kepu.places.models import Place, PlaceLevel
from kepu.places.selectors import children_of


def place_tree(request, code=None):
    """The public administrative tree, one level at a time (htmx expands a node in place)."""
    place = get_object_or_404(Place, code=code) if code else None
    context = {"place": place, "children": children_of(code), "ancestors": place.ancestors() if place else []}
    template = "places/tree.html#children" if request.htmx else "places/tree.html"
    return TemplateResponse(request, template, context)


def place_picker(request):
    """htmx: the place picker redrawn after one of its steps changed, or (``part=found``) its search results.

    The tree is public reference data; what a form accepts is checked again when it is posted.
    """
    from kepu.places import picker

    params = request.GET
    prefix = (params.get("prefix") or "place")[:30]
    level = params.get("level") if params.get("level") in (PlaceLevel.STREET, PlaceLevel.COMMUNITY) else "community"
    trigger = request.headers.get("HX-Trigger-Name", "")
    changed = trigger.removeprefix(f"{prefix}_") if trigger.startswith(f"{prefix}_") else ""
    if trigger == prefix and level == PlaceLevel.STREET:
        changed = "street"
    state = picker.from_request(
        params,
        prefix,
        within=params.get("within", "")[:20],
        home=params.get("home", "")[:20],
        level=level,
        changed=changed,
        label=params.get("label", "") if params.get("label") in picker.LABELS else "",
    )
    template = "places/picker.html#found" if params.get("part") == "found" else "places/picker.html"
    return TemplateResponse(request, template, {"p": state})
