"""Services: writing pieces, files checked by content, pushes and their fan-out, reads, subscriptions,
attachments, loans and the figures offered to plans."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kepu.accounts.models import User
from kepu.core import clock
from kepu.core.errors import DomainError, NotAllowed, NotFound
from kepu.core.models import AuditEntry
from kepu.core.workflow import InputInvalid
from kepu.notifications.models import Notification
from kepu.resources import selectors, services
from kepu.resources.models import Push, PushStatus, Read, Resource, ResourceFile, Status
from kepu.resources.tests.factories import (
    MP4_HEAD,
    VTT,
    add_file,
    advance,
    make_piece,
    piece_data,
    png,
    published,
    upload,
)

pytestmark = pytest.mark.django_db


# --- Writing -------------------------------------------------------------------------------------
def test_a_unit_writes_a_draft_of_its_own_with_sanitized_text(rworld):
    a = rworld.a
    r = services.resource_create(
        actor=a.unit_staff,
        data=piece_data(body='<p onclick="x()">安全</p><script>alert(1)</script><a href="javascript:x">链接</a>'),
    )
    assert r.status == Status.DRAFT and r.source_unit_id == a.unit.pk and r.lineage_id == r.pk
    assert "script" not in r.body and "onclick" not in r.body and "javascript" not in r.body
    assert AuditEntry.objects.filter(action="kepu.resources.created", object_id=str(r.pk)).exists()


def test_bad_input_is_refused_with_the_field_and_changes_nothing(rworld):
    with pytest.raises(InputInvalid) as exc:
        services.resource_create(actor=rworld.a.unit_staff, data=piece_data(title="", licence="mine"))
    assert {"title", "licence"} <= set(exc.value.data["fields"])
    assert not Resource.objects.exists()


def test_residents_write_nothing(rworld):
    with pytest.raises(NotAllowed):
        services.resource_create(actor=rworld.a.resident, data=piece_data())


def test_a_video_cannot_be_submitted_without_its_file_and_captions(rworld):
    a = rworld.a
    r = services.resource_create(actor=a.unit_staff, data=piece_data(kind="video"))
    with pytest.raises(DomainError) as exc:
        services.resource_transition(actor=a.unit_staff, resource=r, action="submit")
    assert exc.value.code == "too_early"
    add_file(a.unit_staff, r, "media", upload("v.mp4", MP4_HEAD))
    with pytest.raises(DomainError):
        services.resource_transition(actor=a.unit_staff, resource=r, action="submit")
    add_file(a.unit_staff, r, "captions", upload("v.vtt", VTT))
    assert services.resource_transition(actor=a.unit_staff, resource=r, action="submit").status == Status.SUBMITTED


def test_the_editor_chooses_only_an_expert_of_the_library_in_the_field(rworld):
    a = rworld.a
    r = advance(make_piece(a.unit_staff), a, "submitted")  # review field: safety
    with pytest.raises(InputInvalid):
        services.resource_transition(
            actor=a.admin, resource=r, action="assign", data={"reviewer": a.life_expert.user.pk}
        )
    with pytest.raises(InputInvalid):
        services.resource_transition(actor=a.admin, resource=r, action="assign", data={"reviewer": a.resident.user.pk})
    r = services.resource_transition(
        actor=a.admin, resource=r, action="assign", data={"reviewer": a.safety_expert.user.pk}
    )
    assert r.reviewer_id == a.safety_expert.user.pk
    # The expert hears of it.
    assert Notification.objects.filter(recipient=a.safety_expert.user, kind="kepu.resources.review_asked").exists()


def test_an_editor_does_not_publish_what_they_wrote(rworld):
    a = rworld.a
    r = advance(make_piece(a.admin), a, "editorial_review", author=a.admin)
    with pytest.raises(NotAllowed):
        services.resource_transition(actor=a.admin, resource=r, action="publish")
    assert services.resource_transition(actor=a.editor2, resource=r, action="publish").status == Status.PUBLISHED


def test_return_carries_the_comment_to_the_unit(rworld):
    a = rworld.a
    r = advance(make_piece(a.unit_staff), a, "science_review")
    with pytest.raises(DomainError):
        services.resource_transition(actor=a.safety_expert, resource=r, action="return", reason="")
    r = services.resource_transition(actor=a.safety_expert, resource=r, action="return", reason="数据来源需要注明")
    assert r.status == Status.RETURNED
    assert selectors.notes_of(r)[-1].text == "数据来源需要注明"
    assert Notification.objects.filter(recipient=a.unit_staff.user, kind="kepu.resources.returned").exists()
    # Revised and resubmitted, it goes through the whole review again.
    assert services.resource_transition(actor=a.unit_staff, resource=r, action="submit").reviewer_id is None


# --- Files ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "name", "content", "ok"),
    [
        ("cover", "c.png", png(), True),
        ("cover", "c.png", b"<svg onload=alert(1)>", False),
        ("cover", "c.jpg", b"\xff\xd8\xff\xe0 not really a jpeg", False),
        ("media", "v.mp4", MP4_HEAD, True),
        ("media", "v.mp4", b"<html><script>x</script></html>", False),
        ("media", "a.ogg", b"OggS" + b"\x00" * 40, True),
        ("captions", "c.vtt", VTT, True),
        ("captions", "c.vtt", b"1\n00:00:01,000 --> 00:00:02,000\nsrt\n", False),
        ("document", "d.pdf", b"%PDF-1.7\n%...", True),
        ("document", "d.pdf", MP4_HEAD, False),
    ],
)
def test_files_are_checked_by_what_they_contain(rworld, role, name, content, ok):
    a = rworld.a
    r = make_piece(a.unit_staff)
    if ok:
        f = add_file(a.unit_staff, r, role, upload(name, content))
        assert re.fullmatch(r"resources/\d{4}/\d{2}/[0-9a-f]{32}\.(png|mp4|ogg|vtt|pdf)", f.file.name)  # a random name
        assert f.content_type in ("image/png", "video/mp4", "audio/ogg", "text/vtt", "application/pdf")
    else:
        with pytest.raises(DomainError):
            add_file(a.unit_staff, r, role, upload(name, content))
        assert not ResourceFile.objects.filter(resource=r).exists()


def test_an_oversized_file_is_refused(rworld, monkeypatch):
    from kepu.resources import uploads

    monkeypatch.setitem(uploads.LIMITS, "video", 50)
    with pytest.raises(DomainError) as exc:
        add_file(rworld.a.unit_staff, make_piece(rworld.a.unit_staff), "media", upload("v.mp4", MP4_HEAD))
    assert exc.value.code == "upload_too_large"


def test_an_image_bomb_is_refused(rworld, monkeypatch):
    from kepu.resources import uploads

    monkeypatch.setattr(uploads, "MAX_PIXELS", 100)
    with pytest.raises(DomainError):
        add_file(rworld.a.unit_staff, make_piece(rworld.a.unit_staff), "cover", upload("c.png", png((64, 48))))


def test_files_of_a_published_version_cannot_change(rworld):
    a = rworld.a
    r = published(a)
    with pytest.raises(NotAllowed):
        add_file(a.unit_staff, r, "cover", upload("c.png", png()))


def test_a_video_is_served_in_ranges(rworld, client):
    a = rworld.a
    r = published(a, kind="video")
    media = ResourceFile.objects.get(resource=r, role="media")
    response = client.get(f"/resources/files/{media.pk}/", HTTP_RANGE="bytes=4-11")
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == MP4_HEAD[4:12]
    assert response["Content-Range"] == f"bytes 4-11/{len(MP4_HEAD)}"


# --- Pushes ----------------------------------------------------------------------------------------
def _residents(d, n, population, community):
    users = User.objects.bulk_create(
        [
            User(username=f"p{population}{community.pk}-{i}", key_population=population, home_place=community)
            for i in range(n)
        ]
    )
    return users


def test_a_push_reaches_the_chosen_population_of_the_chosen_place_in_batches(
    rworld, django_capture_on_commit_callbacks, monkeypatch
):
    a, b = rworld.a, rworld.b
    street = a.streets[0]
    communities = list(street.children.all())
    elderly = _residents(a, 7, "elderly", communities[0]) + _residents(a, 4, "elderly", communities[1])
    _residents(a, 5, "youth", communities[0])  # not elderly
    _residents(a, 3, "elderly", a.streets[1].children.first())  # another street
    _residents(b, 3, "elderly", b.streets[0].children.first())  # another district
    r = published(a)
    monkeypatch.setattr(services, "PUSH_BATCH", 3)
    with django_capture_on_commit_callbacks(execute=True):
        push = services.push_create(
            actor=a.admin, resource=r, data={"populations": ["elderly"], "places": [street.code], "message": "请看"}
        )
    push.refresh_from_db()
    assert push.status == PushStatus.DONE and push.total == 11 and push.sent == 11
    told = set(Notification.objects.filter(kind="kepu.resources.push").values_list("recipient_id", flat=True))
    assert told == {u.pk for u in elderly}
    # Run again (a worker restarted): nobody is told twice.
    services.push_run(push.pk)
    assert Notification.objects.filter(kind="kepu.resources.push").count() == 11


def test_a_push_stopped_midway_goes_on_at_its_cursor(rworld, monkeypatch):
    a = rworld.a
    community = a.streets[0].children.first()
    people = _residents(a, 10, "farmers", community)
    r = published(a)
    push = services.push_create(actor=a.admin, resource=r, data={"populations": ["farmers"], "places": [a.place.code]})
    from kepu.notifications import services as notifications

    real, calls = notifications.notify_many, []

    def flaky(ids, **kwargs):
        calls.append(ids)
        if len(calls) == 2:
            raise RuntimeError("gateway down")
        return real(ids, **kwargs)

    monkeypatch.setattr(notifications, "notify_many", flaky)
    with pytest.raises(RuntimeError):
        services.push_run(push.pk, batch=4)
    push.refresh_from_db()
    assert push.status == PushStatus.FAILED and push.sent == 4 and "gateway" in push.error
    services.push_resume(actor=a.admin, push=push)
    services.push_run(push.pk, batch=4)
    push.refresh_from_db()
    assert push.status == PushStatus.DONE and push.sent == 10
    assert sorted(Notification.objects.filter(kind="kepu.resources.push").values_list("recipient_id", flat=True)) == (
        sorted(u.pk for u in people)
    )


def test_a_push_goes_only_to_places_in_the_pushers_area(rworld):
    a, b = rworld.a, rworld.b
    r = published(a)
    with pytest.raises(DomainError):
        services.push_create(
            actor=a.street_staff, resource=r, data={"populations": ["elderly"], "places": [a.streets[1].code]}
        )
    with pytest.raises(DomainError):
        services.push_create(actor=a.admin, resource=r, data={"populations": ["elderly"], "places": [b.place.code]})
    with pytest.raises(NotAllowed):
        services.push_create(
            actor=a.unit_staff, resource=r, data={"populations": ["elderly"], "places": [a.place.code]}
        )
    with pytest.raises(InputInvalid):  # nobody chosen: never defaulted to everyone
        services.push_create(actor=a.admin, resource=r, data={"places": [a.place.code]})
    assert not Push.objects.exists()


def test_opening_a_pushed_piece_counts_once_for_whom_it_was_meant(rworld, client, django_capture_on_commit_callbacks):
    a = rworld.a
    resident = a.resident.user
    User.objects.filter(pk=resident.pk).update(key_population="elderly")
    r = published(a)
    with django_capture_on_commit_callbacks(execute=True):
        push = services.push_create(
            actor=a.admin, resource=r, data={"populations": ["elderly"], "places": [a.place.code]}
        )
    note = Notification.objects.get(recipient=resident, kind="kepu.resources.push")
    client.force_login(resident)
    client.get(note.url)
    client.get(note.url)
    other = Client_for(a.neighbour.user)  # not elderly: the push was not meant for them
    other.get(note.url)
    push.refresh_from_db()
    assert push.opened == 1
    assert Read.objects.filter(lineage_id=r.lineage_id).count() == 2  # the resident once today, the neighbour once


def Client_for(user):  # noqa: N802 - reads like a constructor
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c


def test_reads_count_once_a_day_per_person(rworld):
    a = rworld.a
    r = published(a)
    assert services.read_record(actor=a.resident, resource=r)
    assert not services.read_record(actor=a.resident, resource=r)
    with clock.frozen_at(clock.now() + timedelta(days=1)):
        assert services.read_record(actor=a.resident, resource=r)
    r.refresh_from_db()
    assert r.reads == 2


# --- Subscriptions and the feed ---------------------------------------------------------------------
def test_subscribers_hear_of_a_new_piece_in_their_topic(rworld, django_capture_on_commit_callbacks):
    a = rworld.a
    services.subscriptions_set(actor=a.resident, topics=["safety"])
    services.subscriptions_set(actor=a.neighbour, topics=["health"])
    services.subscriptions_set(actor=a.school_staff, topics=["safety"], for_organization=True)
    with django_capture_on_commit_callbacks(execute=True):
        r = published(a)  # topics: safety
    push = Push.objects.get(resource=r, audience="subscribers")
    assert push.status == PushStatus.DONE
    told = set(Notification.objects.filter(kind="kepu.resources.push").values_list("recipient_id", flat=True))
    assert told == {a.resident.user.pk, a.school_staff.user.pk}
    assert push.sent == 2


def test_the_feed_puts_what_was_pushed_to_me_first_and_what_i_read_last(rworld, django_capture_on_commit_callbacks):
    a = rworld.a
    User.objects.filter(pk=a.resident.user.pk).update(key_population="elderly")
    resident = User.objects.get(pk=a.resident.user.pk)
    from kepu.core.actor import Actor

    actor = Actor(user=resident, membership=a.resident.membership)
    old = published(a, title="燃气泄漏怎么办", topics=["safety"], populations=["elderly"])
    pushed = published(a, title="暴雨内涝时如何自救", topics=["safety"], populations=["youth"])
    unrelated = published(a, title="芯片是怎样制造出来的", topics=["ai"], populations=["officials"])
    with django_capture_on_commit_callbacks(execute=True):
        services.push_create(
            actor=a.admin, resource=pushed, data={"populations": ["elderly"], "places": [a.streets[0].code]}
        )
    services.read_record(actor=actor, resource=old)
    feed = selectors.feed(actor=actor)
    order = [s.resource.pk for s in feed]
    assert order[0] == pushed.pk and "pushed" in feed[0].reasons
    assert order.index(unrelated.pk) < order.index(old.pk)  # already read goes to the back


# --- Attachments ---------------------------------------------------------------------------------------
def test_a_piece_is_attached_to_an_activity_its_organizer_runs(rworld):
    from kepu.activities.tests.factories import published_activity

    a, b = rworld.a, rworld.b
    activity = published_activity(a.unit_staff)
    r = published(a)
    services.attach(actor=a.unit_staff, resource=r, target_type="activity", target_id=activity.pk, label="courseware")
    assert [x.pk for _att, x in selectors.attached_to("activity", activity.pk)] == [r.pk]
    with pytest.raises(DomainError):
        services.attach(
            actor=a.unit_staff, resource=r, target_type="activity", target_id=activity.pk, label="courseware"
        )
    with pytest.raises(NotFound):
        services.attach(actor=b.unit_staff, resource=r, target_type="activity", target_id=activity.pk, label="reading")
    # Withdrawn, it disappears from the activity page; corrected, the new version shows.
    services.resource_transition(actor=a.admin, resource=r, action="withdraw", reason="有误")
    assert selectors.attached_to("activity", activity.pk) == []


# --- Loans -----------------------------------------------------------------------------------------
def test_kits_are_lent_within_their_stock(rworld):
    a = rworld.a
    kit = published(a, kind="kit", stock="3", title="家庭应急包展示套装")
    day = (clock.now() + timedelta(days=3)).date().isoformat()
    later = (clock.now() + timedelta(days=10)).date().isoformat()
    data = {"quantity": 2, "wanted_from": day, "wanted_until": later, "purpose": "防灾减灾日"}
    first = services.loan_request(actor=a.school_staff, resource=kit, data=data)
    second = services.loan_request(actor=a.base_staff, resource=kit, data=data)
    with pytest.raises(NotAllowed):
        services.loan_request(actor=a.unit_staff, resource=kit, data=data)  # its own unit does not borrow it
    services.loan_transition(actor=a.unit_staff, loan=first, action="lend")
    with pytest.raises(DomainError) as exc:
        services.loan_transition(actor=a.unit_staff, loan=second, action="lend")
    assert exc.value.code == "loan_unavailable"
    with pytest.raises(NotAllowed):
        services.loan_transition(actor=a.school_staff, loan=first, action="give_back")
    services.loan_transition(actor=a.unit_staff, loan=first, action="give_back")
    services.loan_transition(actor=a.unit_staff, loan=second, action="lend")
    assert selectors.stock_of(kit).available == 1


# --- Figures -----------------------------------------------------------------------------------------
def test_measures_count_pieces_by_kind_reach_and_reads(rworld, django_capture_on_commit_callbacks):
    from kepu.plans.measures import get_measure

    a, b = rworld.a, rworld.b
    User.objects.filter(pk=a.resident.user.pk).update(key_population="elderly")
    video = published(a, kind="video")
    published(a)
    published(b)
    services.resource_transition(actor=a.unit_staff, resource=video, action="correct")  # a draft: not counted
    make_piece(a.unit_staff)  # a draft: not counted
    with django_capture_on_commit_callbacks(execute=True):
        services.push_create(actor=a.admin, resource=video, data={"populations": ["elderly"], "places": [a.place.code]})
    services.read_record(actor=a.resident, resource=video)
    year = clock.now().year
    assert get_measure("resources.published").compute({"place": a.place.code, "year": year}) == 2
    assert get_measure("resources.published.video").compute({"place": a.place.code}) == 1
    assert get_measure("resources.published").compute({}) == 3
    assert get_measure("resources.reach").compute({"place": a.place.code}) == 1
    assert get_measure("resources.reads").compute({"place": a.place.code, "year": year}) == 1
    assert get_measure("resources.published").compute({"place": "nowhere"}) == 0


def test_upload_of_nothing_is_a_clear_refusal(rworld):
    with pytest.raises(InputInvalid):
        add_file(rworld.a.unit_staff, make_piece(rworld.a.unit_staff), "cover", SimpleUploadedFile("x.png", b""))
