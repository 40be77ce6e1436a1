from datetime import datetime

from ninja import Router, Schema
from ninja.pagination import paginate

from kepu.core.api import Pages, actor_of
from kepu.notifications import selectors, services

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: datetime
    read_at: datetime | None


@router.get("/", response=list[NotificationOut], summary="The caller's inbox, newest first")
@paginate(Pages, page_size=50)
def notification_list(request, unread: bool = False):
    return selectors.inbox(actor=actor_of(request), unread_only=unread)


@router.post("/{notification_id}/read", response=NotificationOut, summary="Mark one notification read")
def notification_read(request, notification_id: int):
    actor = actor_of(request)
    notification = selectors.notification_get(actor=actor, pk=notification_id)
    return services.notification_mark_read(actor=actor, notification=notification)
