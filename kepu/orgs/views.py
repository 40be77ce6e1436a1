from django.core.paginator import Paginator
from django.template.response import TemplateResponse

from kepu.accounts.selectors import person_list
from kepu.core.http import role_required
from kepu.core.roles import STAFF_ROLES
from kepu.orgs import selectors
from kepu.orgs.models import OrgKind


@role_required(*STAFF_ROLES)
def organization_list(request):
    orgs = selectors.organization_list(
        actor=request.actor, kind=request.GET.get("kind") or None, q=request.GET.get("q", "").strip() or None
    )
    page = Paginator(orgs, 30).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "kinds": OrgKind.choices,
        "kind": request.GET.get("kind", ""),
        "q": request.GET.get("q", ""),
    }
    template = "orgs/organization_list.html#results" if request.htmx else "orgs/organization_list.html"
    return TemplateResponse(request, template, context)


@role_required(*STAFF_ROLES)
def organization_detail(request, pk):
    org = selectors.organization_get(actor=request.actor, pk=pk)
    members = person_list(actor=request.actor, organization_id=org.pk)[:50]
    return TemplateResponse(request, "orgs/organization_detail.html", {"org": org, "members": members})
