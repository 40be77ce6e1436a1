"""Reads of the tree: the same for everybody, in the tree's order."""

import pytest

from kepu.core.actor import ANONYMOUS
from kepu.places import selectors
from kepu.places.models import Place

pytestmark = pytest.mark.django_db


def test_the_tree_is_the_same_for_everybody(world):
    everyone = list(selectors.place_list(actor=ANONYMOUS))
    assert everyone == list(Place.objects.order_by("path"))
    for actor in (world.a.resident, world.b.admin, world.a.unit_staff, world.city_admin):
        assert list(selectors.place_list(actor=actor)) == everyone


def test_children_of_a_place_or_the_districts(world):
    assert [p.code for p in selectors.children_of(None)] == ["110102", "110115"]
    assert list(selectors.children_of("110115")) == world.a.streets
    assert list(selectors.children_of(world.a.communities[0].code)) == []
    assert selectors.place_by_code("110115") == world.a.place
    with pytest.raises(Place.DoesNotExist):
        selectors.place_by_code("999999")


def test_a_place_knows_its_ancestors_in_one_query(world, django_assert_max_num_queries):
    community = world.a.communities[3]
    with django_assert_max_num_queries(1):
        names = [p.name for p in community.ancestors()]
    assert names == ["北京市", "大兴区", world.a.streets[1].name]
    assert community.full_name() == f"北京市 大兴区 {world.a.streets[1].name} {community.name}"
