from datetime import datetime

from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from kepu.core import selectors
from kepu.core.api import actor_of

router = Router(tags=["audit"])


class AuditOut(Schema):
    id: int
    at: datetime
    actor_name: str
    role: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    ip: str | None


@router.get("/", response=list[AuditOut], summary="The audit trail of the caller's area (offices only)")
@paginate(PageNumberPagination, page_size=100)
def audit_list(request, action: str = ""):
    return selectors.audit_list(actor=actor_of(request), action=action)
