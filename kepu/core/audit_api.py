from datetime import datetime

from ninja import Router, Schema
from ninja.pagination import paginate

from kepu.core import selectors
from kepu.core.api import Pages, actor_of
from kepu.core.models import AuditEntry
from kepu.core.permissions import can
from kepu.core.selectors import AuditAction

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
    ip: str | None  # the city office only (it investigates); an address is personal data

    @staticmethod
    def resolve_ip(obj, context):
        request = (context or {}).get("request")
        actor = getattr(request, "actor", None)
        return obj.ip if actor is not None and can(actor, AuditAction.VIEW_IP, AuditEntry) else None


@router.get("/", response=list[AuditOut], summary="The audit trail of the caller's area (offices only)")
@paginate(Pages, page_size=100)
def audit_list(request, action: str = ""):
    return selectors.audit_list(actor=actor_of(request), action=action)
