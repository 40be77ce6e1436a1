"""The calendar tag tables follow every change of an activity: topic and population filters answer as the text did."""

from datetime import timedelta

import pytest
from django.urls import reverse
from icalendar import Calendar

from kepu.activities import selectors, services
from kepu.activities.models import Activity, ActivityPopulation, ActivityTopic
from kepu.activities.tests.factories import published_activity
from kepu.core import clock
from kepu.core.populations import Population

pytestmark = pytest.mark.django_db


def listed(**query):
    f = selectors.CalendarFilter.from_query(query)
    qs = selectors.public_activities(f)
    titles = [a.title for a in qs]
    # The page count (from the tag table alone when only one tag filters) counts the same rows.
    assert selectors.public_activities(f).count() == len(titles)
    return titles


def by_text(**query):
    """The same filter answered from the activities' own text columns (what the tags replace)."""
    f = selectors.CalendarFilter.from_query(query)
    qs = Activity.objects.filter(status="published", is_public=True, next_at__isnull=False)
    if f.topic:
        qs = qs.filter(topics__contains=f",{f.topic},")
    if f.population:
        qs = qs.filter(populations__contains=f",{f.population},")
    if f.district:
        qs = qs.filter(district_code=f.district)
    return [a.title for a in qs.order_by("next_at", "pk")]


def test_tags_follow_edits_publication_and_the_next_session(world):
    start = clock.now().replace(microsecond=0)
    staff = world.a.unit_staff
    with clock.frozen_at(start):
        series = published_activity(
            staff,
            title="系列",
            sessions=2,
            starts_at=start + timedelta(days=1),
            topics=["health", "safety"],
            populations=[Population.ELDERLY],
        )
        later = published_activity(
            staff,
            title="稍后",
            starts_at=start + timedelta(days=3),
            topics=["health"],
            populations=[Population.YOUTH, Population.ELDERLY],
        )
        draft = published_activity(staff, title="草稿", publish=False, topics=["health"])
    assert ActivityTopic.objects.filter(activity=draft, listed=False).count() == 1
    assert listed(topic="health") == ["系列", "稍后"] == by_text(topic="health")
    assert listed(topic="health", population="youth") == ["稍后"]
    # After the first session the series moves to its second one, behind "later".
    with clock.frozen_at(series.sessions.order_by("starts_at").first().ends_at + timedelta(minutes=1)):
        services.next_sessions_advance()
    assert listed(topic="health") == ["稍后", "系列"] == by_text(topic="health")
    assert set(ActivityTopic.objects.filter(activity=series).values_list("next_at", flat=True)) == {
        Activity.objects.get(pk=series.pk).next_at
    }
    services.activity_update(actor=staff, activity=later, topics=["safety"], populations=[Population.FARMERS])
    assert listed(topic="health") == ["系列"] and listed(topic="safety") == ["稍后", "系列"]
    assert listed(population="elderly") == ["系列"] == by_text(population="elderly")
    services.activity_update(actor=staff, activity=series, is_public=False)
    assert listed(topic="safety") == ["稍后"]
    services.activity_cancel(actor=staff, activity=later, reason="场地")
    assert listed(topic="safety") == [] == by_text(topic="safety")
    services.activity_submit(actor=staff, activity=draft)
    assert listed(topic="health") == ["草稿"]
    assert sorted(ActivityPopulation.objects.values_list("population", flat=True)) == ["elderly", "elderly", "farmers"]


def test_dated_topic_filter_and_its_feed_agree(client, world):
    start = (clock.now() + timedelta(days=40)).replace(hour=9, minute=0, second=0, microsecond=0)
    published_activity(world.a.unit_staff, title="前", starts_at=start, topics=["health"])
    published_activity(world.a.unit_staff, title="后", starts_at=start + timedelta(days=20), topics=["health"])
    published_activity(world.a.unit_staff, title="别的", starts_at=start, topics=["ai"])
    query = {"topic": "health", "from": start.date().isoformat(), "to": (start + timedelta(days=5)).date().isoformat()}
    assert listed(**query) == ["前"]
    cal = Calendar.from_ical(client.get(reverse("activities:feed"), query).content)
    assert [str(e["SUMMARY"]) for e in cal.walk("VEVENT")] == ["前"]
    body = client.get(reverse("activities:calendar"), query).content.decode()
    assert "前" in body and "别的" not in body


def test_rebuild_makes_the_same_tags(world):
    from django.core.management import call_command

    published_activity(world.a.unit_staff, title="甲", topics=["health", "ai"], populations=[Population.YOUTH])
    published_activity(world.a.unit_staff, title="乙", is_public=False, topics=["ai"])
    fields = ("activity_id", "topic", "listed", "starts_at", "ends_at", "next_at")
    before = sorted(ActivityTopic.objects.values_list(*fields))
    pops = sorted(ActivityPopulation.objects.values_list("activity_id", "population", "listed"))
    ActivityTopic.objects.all().delete()
    call_command("activities_rebuild")
    assert sorted(ActivityTopic.objects.values_list(*fields)) == before and len(before) == 3
    assert sorted(ActivityPopulation.objects.values_list("activity_id", "population", "listed")) == pops
