"""The public place tree, one level at a time, and the cascading picker of the sign-up form."""

import pytest
from django.urls import reverse

from kepu.core.testing.web import login

pytestmark = pytest.mark.django_db


def test_anybody_sees_the_districts_and_walks_down_the_tree(client, world):
    a = world.a
    html = client.get(reverse("places:tree")).content.decode()
    assert "各区" in html and "大兴区" in html and "西城区" in html
    assert reverse("places:node", args=["110115"]) in html
    district = client.get(reverse("places:node", args=["110115"])).content.decode()
    assert all(s.name in district for s in a.streets) and "西城区" not in district.split("</nav>")[1]
    assert a.streets[0].code in district  # official codes are shown
    street = client.get(reverse("places:node", args=[a.streets[0].code])).content.decode()
    crumbs = street.split('class="breadcrumbs"')[1].split("</nav>")[0]
    assert "北京市" in crumbs and "大兴区" in crumbs and a.streets[0].name not in crumbs  # ancestors only
    assert f'>{a.communities[0].name}</a> <span class="muted"></span>' in street  # a local key is not shown
    leaf = client.get(reverse("places:node", args=[a.communities[0].code])).content.decode()
    assert "该地区暂无下级地区。" in leaf


def test_htmx_expands_one_node_in_place(client, world):
    fragment = client.get(reverse("places:node", args=["110115"]), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and fragment.strip().startswith('<ul class="tree">')
    assert world.a.streets[1].name in fragment


def test_an_unknown_place_is_not_found(client, world):
    assert client.get(reverse("places:node", args=["999999"])).status_code == 404


def test_signed_in_people_see_the_same_whole_tree(client, world):
    login(client, world.a.resident)
    html = client.get(reverse("places:tree")).content.decode()
    assert "大兴区" in html and "西城区" in html


def test_the_picker_offers_the_children_of_the_chosen_place(client, world):
    a = world.a
    picker = reverse("accounts:place_options")
    streets = client.get(picker, {"district": "110115"}).content.decode()
    assert streets.count("<option") == 1 + len(a.streets) and f'value="{a.streets[0].code}"' in streets
    communities = client.get(picker, {"street": a.streets[0].code}).content.decode()
    assert [c.name in communities for c in a.communities] == [True, True, False, False]
    assert client.get(picker, {"street": "999999"}).content.decode().count("<option") == 1  # only "choose"


def test_the_picker_offers_nothing_when_the_choice_is_taken_back(client, world):
    """Choosing "Choose…" again sends an empty value: the next step must not fill with districts."""
    picker = reverse("accounts:place_options")
    for params in ({"district": ""}, {"street": ""}, {}):
        options = client.get(picker, params).content.decode()
        assert options.count("<option") == 1 and "大兴区" not in options, params
