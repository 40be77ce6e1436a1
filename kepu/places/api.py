from ninja import Router, Schema
from ninja.pagination import paginate

from kepu.core.api import Pages
from kepu.places import selectors

router = Router(tags=["places"])


class PlaceOut(Schema):
    code: str
    name: str
    level: str
    path: str
    official: bool


@router.get("/", response=list[PlaceOut], auth=None, summary="The administrative tree (public reference data)")
@paginate(Pages, page_size=100)
def place_list(request, parent: str | None = None, level: str | None = None):
    return selectors.place_list(actor=request.actor, parent_code=parent, level=level)
