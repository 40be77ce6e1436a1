from django.core.management import call_command


def test_the_demo_has_packs_and_a_past_event(db, capsys):
    call_command("seed_demo", "--only", "places,orgs,accounts,volunteers,resources,emergency")
    from kepu.emergency.models import Event, EventStatus, Pack, PackStatus

    assert Pack.objects.filter(status=PackStatus.APPROVED).count() == 2
    event = Event.objects.get()
    assert event.status == EventStatus.CLOSED and event.review
    assert event.deliveries.exists()
    assert [t.moment for t in event.timeline.all()][0] == "declared"
    call_command("seed_demo", "--only", "emergency")  # again: nothing twice
    assert Event.objects.count() == 1
