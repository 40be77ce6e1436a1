"""Adding places to the tree: who may, at which level, with which code; imports by an office stay in its area."""

import pytest

from kepu.core.errors import DomainError, NotAllowed
from kepu.core.models import AuditEntry
from kepu.places.models import Place, PlaceLevel
from kepu.places.services import ImportRejected, import_csv, place_create

pytestmark = pytest.mark.django_db


def test_an_office_adds_a_community_with_its_path_and_the_trail_says_so(world):
    street = world.a.streets[1]
    place = place_create(
        actor=world.a.admin,
        parent=street,
        code="110115002077",
        name=" 新建社区 ",
        level=PlaceLevel.COMMUNITY,
        official=False,
    )
    place.refresh_from_db()
    assert (place.name, place.path, place.district_code, place.parent, place.official) == (
        "新建社区",
        f"{street.path}110115002077/",
        "110115",
        street,
        False,
    )
    assert [p.name for p in place.ancestors()] == ["北京市", "大兴区", street.name]
    entry = AuditEntry.objects.get(action="kepu.places.created")
    assert entry.object_id == str(place.pk) and entry.place_path == place.path and entry.actor == world.a.admin.user
    # A street office adds communities in its own street; the city adds a street anywhere.
    own = place_create(
        actor=world.a.street_staff, parent=world.a.streets[0], code="110115001077", name="甲新社区", level="community"
    )
    new_street = place_create(
        actor=world.city_admin, parent=world.b.place, code="110102099", name="新街道", level=PlaceLevel.STREET
    )
    assert own.parent == world.a.streets[0] and new_street.district_code == "110102"


@pytest.mark.parametrize("who", ["unit_staff", "community_staff", "team_staff", "school_staff", "resident"])
def test_roles_without_the_right_may_not_add_places(world, who):
    with pytest.raises(NotAllowed):
        place_create(
            actor=getattr(world.a, who),
            parent=world.a.streets[0],
            code="110115001066",
            name="不该有",
            level="community",
        )
    assert not Place.objects.filter(code="110115001066").exists()


def test_offices_may_not_add_outside_their_area_nor_a_root(world):
    a, b = world.a, world.b
    with pytest.raises(NotAllowed):
        place_create(actor=b.admin, parent=a.streets[0], code="110115001098", name="越界社区", level="community")
    with pytest.raises(NotAllowed):  # street 1's office, street 2
        place_create(actor=a.street_staff, parent=a.streets[1], code="110115002098", name="越界", level="community")
    with pytest.raises(NotAllowed):
        place_create(actor=a.admin, parent=None, code="120000", name="天津市", level=PlaceLevel.CITY)
    assert not Place.objects.filter(code__in=["110115001098", "110115002098", "120000"]).exists()


def test_levels_codes_and_names_are_checked(world):
    a = world.a
    with pytest.raises(DomainError) as err:
        place_create(actor=a.admin, parent=a.place, code="110115999", name="错层", level=PlaceLevel.COMMUNITY)
    assert err.value.code == "place_level"
    with pytest.raises(DomainError) as err:
        place_create(actor=a.admin, parent=a.streets[0], code=a.communities[0].code, name="重码", level="community")
    assert err.value.code == "place_exists"
    for code, name in (("110115001055", "  "), ("", "无码社区"), ("110115/001", "斜杠社区"), ("11 0115", "空格")):
        with pytest.raises(DomainError) as err:
            place_create(actor=a.admin, parent=a.streets[0], code=code, name=name, level="community")
        assert err.value.code == "place_invalid", (code, name)
    assert not Place.objects.filter(name__in=["", "无码社区", "斜杠社区", "空格"]).exists()


def test_an_office_imports_into_its_area_only_and_the_import_is_audited(world):
    a = world.a
    street = a.streets[0]
    created = import_csv(
        f"code,parent_code,name,level,official\n{street.code}055,{street.code},导入社区,community,0\n", actor=a.admin
    )
    assert created == 1 and Place.objects.get(code=f"{street.code}055").official is False
    entry = AuditEntry.objects.get(action="kepu.places.imported")
    assert entry.data == {"created": 1, "rows": 1} and entry.actor == a.admin.user
    before = Place.objects.count()
    with pytest.raises(ImportRejected) as err:
        import_csv(
            "code,parent_code,name,level\n"
            f"{street.code}056,{street.code},好社区,community\n"
            f"{world.b.streets[0].code}056,{world.b.streets[0].code},别区社区,community\n",
            actor=a.admin,
        )
    assert [(e.line, e.message) for e in err.value.errors] == [(3, "超出您的管辖范围")]
    assert Place.objects.count() == before  # the good row was not kept either
    assert AuditEntry.objects.filter(action="kepu.places.imported").count() == 1


def test_an_office_cannot_import_a_root_or_rename_the_city(world):
    before = Place.objects.count()
    for text in (
        "code,parent_code,name,level\n120000,,天津市,city\n",
        "code,parent_code,name,level\n110000,,北平,city\n",
    ):
        with pytest.raises(ImportRejected) as err:
            import_csv(text, actor=world.a.admin)
        assert [e.line for e in err.value.errors] == [2]
    assert Place.objects.count() == before and Place.objects.get(code="110000").name == "北京市"
    import_csv("code,parent_code,name,level\n110000,,北京市,city\n", actor=world.city_admin)  # the city may


def test_an_import_refuses_codes_that_would_break_the_paths_and_names_too_long(world):
    street = world.a.streets[0]
    with pytest.raises(ImportRejected) as err:
        import_csv(
            "code,parent_code,name,level\n"
            f"{street.code}/7,{street.code},斜杠社区,community\n"
            f"{street.code}058,{street.code},{'长' * 61},community\n",
            system=True,
        )
    assert [e.line for e in err.value.errors] == [2, 3]
    assert (
        not Place.objects.filter(parent=street, code__startswith=f"{street.code}0")
        .exclude(code__in=[c.code for c in world.a.communities])
        .exists()
    )
