"""The inbox is always one's own: newest first, unread on demand."""

import pytest

from kepu.core.actor import ANONYMOUS
from kepu.core.errors import NotFound
from kepu.notifications import selectors
from kepu.notifications.models import Notification
from kepu.notifications.services import notify

pytestmark = pytest.mark.django_db


def test_one_sees_only_ones_own_newest_first(world):
    a = world.a
    notify([a.resident.user], title="第一条")
    notify([a.resident.user, a.neighbour.user], title="第二条")
    notify([a.admin.user], title="给区科协")
    assert [n.title for n in selectors.inbox(actor=a.resident)] == ["第二条", "第一条"]
    assert [n.title for n in selectors.inbox(actor=a.neighbour)] == ["第二条"]
    assert [n.title for n in selectors.inbox(actor=world.city_admin)] == []  # the city office reads nobody's mail
    assert list(selectors.inbox(actor=ANONYMOUS)) == []


def test_unread_only_and_the_count(world):
    a = world.a
    first, second = notify([a.resident.user], title="一")[0], notify([a.resident.user], title="二")[0]
    Notification.objects.filter(pk=first.pk).update(read_at=second.created_at)
    assert [n.title for n in selectors.inbox(actor=a.resident, unread_only=True)] == ["二"]
    assert selectors.unread_count(actor=a.resident) == 1 and selectors.unread_count(actor=a.neighbour) == 0


def test_someone_elses_message_is_not_found(world):
    a = world.a
    (theirs,) = notify([a.neighbour.user], title="邻居的")
    assert selectors.notification_get(actor=a.neighbour, pk=theirs.pk) == theirs
    for actor in (a.resident, a.admin, world.city_admin, ANONYMOUS):
        with pytest.raises(NotFound):
            selectors.notification_get(actor=actor, pk=theirs.pk)
