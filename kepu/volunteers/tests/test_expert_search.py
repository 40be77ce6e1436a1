"""The expert search finds exactly the experts a plain reading of the filters finds, whatever term drives it."""

import itertools
from types import SimpleNamespace

import pytest
from django.urls import reverse

from kepu.core.testing.web import login
from kepu.volunteers import selectors
from kepu.volunteers.models import Expert
from kepu.volunteers.tests.factories import ExpertFactory

pytestmark = pytest.mark.django_db

NAMES = ["王气象", "李营养", "张北京大学", "王北京", "赵大学", "刘人工智能", "陈智能", "王人工"]


@pytest.fixture
def library(world):
    a, b = world.a, world.b
    for n, (name, district, field, audiences) in enumerate(
        itertools.product(NAMES, (a.place, b.place), ("earth", "life"), (["youth"], ["elderly"], ["youth", "farmers"]))
    ):
        ExpertFactory(
            name=f"{name}{n}",
            district=district,
            field=field,
            audiences=audiences,
            available=n % 3 != 0,
            affiliation="北京大学" if n % 5 == 0 else "",
            is_emergency=n % 4 == 0,
            emergency_fields=["disasters"] if n % 8 == 0 else [],
        )
    return world


def _plain(q="", field="", district_id=None, audience="", available=None, emergency=None, emergency_field=""):
    words = q.lower().split()
    return sorted(
        e.pk
        for e in Expert.objects.all()
        if all(w in e.search_text for w in words)
        and (not field or e.field == field)
        and (not district_id or e.district_id == district_id)
        and (not audience or audience in e.audiences)
        and (available is None or e.available == available)
        and (emergency is None or e.is_emergency == emergency)
        and (not emergency_field or emergency_field in e.emergency_fields)
    )


@pytest.mark.parametrize(
    "params",
    [
        {"q": "北京大学"},
        {"q": "北京大学", "audience": "youth"},
        {"q": "人工智能", "field": "life"},
        {"q": "王 北京"},
        {"audience": "farmers", "available": True},
        {"q": "智能", "audience": "elderly"},
        {"q": "气象", "field": "earth", "audience": "youth", "available": True},
        {"q": "没有这个人"},
        {"emergency": True},
        {"emergency": True, "field": "life", "q": "王"},
        {"emergency_field": "disasters"},
        {"district": "a", "emergency": True, "audience": "farmers"},
        {"district": "b", "field": "earth", "q": "北京"},
    ],
)
def test_search_matches_a_plain_reading_of_the_filters(library, params):
    office = library.city_admin
    params = dict(params)
    if "district" in params:
        params["district_id"] = getattr(library, params.pop("district")).place.pk
    got = selectors.ExpertMatches(selectors.expert_search(actor=office, **params))
    assert got.ids == _plain(**params)
    assert [e.pk for e in got[0:20]] == _plain(**params)[:20]


def test_past_the_cap_the_page_says_more_than_and_pages_go_as_far_as_the_cap(client, library, monkeypatch):
    monkeypatch.setattr(selectors, "EXPERT_COUNT_CAP", 25)
    login(client, library.city_admin)
    url = reverse("volunteers:experts")
    first = client.get(url, {"audience": "youth"})
    expected = _plain(audience="youth")
    assert len(expected) > 40
    assert first.context["more_than"] == 25 and "25" in first.content.decode()
    assert [e.pk for e in first.context["page"]] == expected[:20]
    last = client.get(url, {"audience": "youth", "page": 3})  # past the last page: the last one
    assert [e.pk for e in last.context["page"]] == expected[20:26]


def test_residents_and_volunteers_cannot_search_the_library(client, library):
    for actor in (library.a.resident, library.a.volunteer if hasattr(library.a, "volunteer") else library.b.resident):
        login(client, actor)
        assert client.get(reverse("volunteers:experts"), {"q": "北京"}).status_code == 403


def test_a_word_needs_all_its_character_pairs_not_just_its_characters(world):
    whole = ExpertFactory(district=world.a.place, name="赵一", topics=["人工智能"])
    ExpertFactory(district=world.a.place, name="钱二", topics=["人工", "智能"])  # no 工智 anywhere
    found = selectors.ExpertMatches(selectors.expert_search(actor=world.city_admin, q="人工智能"))
    assert found.ids == [whole.pk]


def test_an_expert_changed_in_the_admin_is_found_by_the_new_facts(world, rf):
    from django.contrib.admin.sites import site

    expert = ExpertFactory(district=world.a.place, name="孙三", field="life", topics=["营养"])
    expert.field, expert.district, expert.topics, expert.is_emergency = "earth", world.b.place, ["气象"], True
    request = rf.post("/")
    request.actor = world.city_admin
    form = SimpleNamespace(changed_data=["field", "district", "topics", "is_emergency"])
    site._registry[Expert].save_model(request, expert, form=form, change=True)

    def found(**params):
        return selectors.ExpertMatches(selectors.expert_search(actor=world.city_admin, **params)).ids

    assert found(q="气象", field="earth", district_id=world.b.place.pk, emergency=True) == [expert.pk]
    assert found(q="营养") == [] and found(q="孙三", field="life") == []
