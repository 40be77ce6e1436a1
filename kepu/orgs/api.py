from ninja import Router, Schema
from ninja.pagination import paginate

from kepu.core.api import Pages, actor_of
from kepu.orgs import selectors

router = Router(tags=["organizations"])


class OrganizationOut(Schema):
    id: int
    name: str
    short_name: str
    kind: str
    place_code: str
    place_name: str

    @staticmethod
    def resolve_place_code(obj):
        return obj.place.code

    @staticmethod
    def resolve_place_name(obj):
        return obj.place.name


@router.get("/", response=list[OrganizationOut], summary="Organizations the caller may see")
@paginate(Pages, page_size=50)
def organization_list(request, kind: str | None = None, q: str | None = None, place: str | None = None):
    return selectors.organization_list(actor=actor_of(request), kind=kind, q=q, place_code=place)


@router.get("/{org_id}", response=OrganizationOut)
def organization_get(request, org_id: int):
    return selectors.organization_get(actor=actor_of(request), pk=org_id)
