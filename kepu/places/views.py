from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from kepu.places.models import Place
from kepu.places.selectors import children_of


def place_tree(request, code=None):
    """The public administrative tree, one level at a time (htmx expands a node in place)."""
    place = get_object_or_404(Place, code=code) if code else None
    context = {"place": place, "children": children_of(code), "ancestors": place.ancestors() if place else []}
    template = "places/tree.html#children" if request.htmx else "places/tree.html"
    return TemplateResponse(request, template, context)
