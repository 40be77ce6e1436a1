"""``manage.py import_places``: the shipped Beijing tree, all or nothing, a re-import changes names only."""

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kepu.places.models import Place, PlaceLevel
from kepu.places.services import ImportRejected, import_csv

DATA = Path(__file__).resolve().parents[1] / "data" / "beijing.csv"


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import_places", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_shipped_file_has_the_sixteen_districts_with_their_codes():
    rows = list(csv.DictReader(DATA.open(encoding="utf-8")))
    districts = {r["code"]: r["name"] for r in rows if r["level"] == "district"}
    assert len(districts) == 16
    assert districts["110101"] == "东城区"
    assert districts["110115"] == "大兴区"
    assert districts["110119"] == "延庆区"
    streets = [r for r in rows if r["level"] == "street"]
    per_district = {code: sum(1 for s in streets if s["parent_code"] == code) for code in districts}
    assert per_district["110102"] == 15  # 西城
    assert per_district["110115"] == 22  # 大兴
    assert per_district["110118"] == 20  # 密云
    assert per_district["110108"] > 20  # 海淀


@pytest.mark.django_db
def test_the_command_builds_the_beijing_tree_with_paths():
    out, err = run()
    assert out.strip() == "360 new places from beijing.csv" and err == ""
    assert Place.objects.filter(level=PlaceLevel.CITY).get().name == "北京市"
    districts = Place.objects.filter(level=PlaceLevel.DISTRICT)
    streets = Place.objects.filter(level=PlaceLevel.STREET).select_related("parent")
    assert districts.count() == 16 and streets.count() == 343
    assert set(districts.values_list("name", flat=True)) >= {"东城区", "西城区", "朝阳区", "海淀区", "大兴区", "延庆区"}
    for street in streets:
        assert street.path == f"110000/{street.parent.code}/{street.code}/"
        assert street.district_code == street.parent.code and street.parent.level == PlaceLevel.DISTRICT
    daxing = Place.objects.get(code="110115")
    assert daxing.path == "110000/110115/" and daxing.district_code == "110115"
    assert Place.objects.filter(path__startswith=daxing.path, level=PlaceLevel.STREET).count() == 22
    assert "清源街道" in set(Place.objects.filter(parent=daxing).values_list("name", flat=True))


@pytest.mark.django_db
def test_a_second_import_adds_nothing_and_only_renames(tmp_path):
    run()
    out, _err = run()
    assert out.strip() == "0 new places from beijing.csv" and Place.objects.count() == 360
    renamed = tmp_path / "renamed.csv"
    renamed.write_text("code,parent_code,name,level\n110115,110000,大兴新区,district\n", encoding="utf-8")
    run(str(renamed))
    daxing = Place.objects.get(code="110115")
    assert (daxing.name, daxing.path) == ("大兴新区", "110000/110115/") and Place.objects.count() == 360


@pytest.mark.django_db
def test_a_bad_row_rejects_the_whole_file_and_names_each_bad_line(tmp_path):
    run()
    before = Place.objects.count()
    bad = tmp_path / "communities.csv"
    bad.write_text(
        "code,parent_code,name,level\n"
        "110115001901,110115001,好社区,community\n"
        "110115001902,999999,孤儿社区,community\n"
        "110115001903,110115001,,community\n"
        "110115001904,110115001,某社区,hamlet\n",
        encoding="utf-8",
    )
    # A row's own faults (the empty name, the unknown level) are found before anything is written ...
    with pytest.raises(CommandError, match="共有 2 行存在错误，未导入任何数据"):
        run(str(bad))
    fixed = bad.read_text(encoding="utf-8").replace("110115001903,110115001,,", "110115001903,110115001,三社区,")
    bad.write_text(fixed.replace("hamlet", "community"), encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError):  # ... and, once they are fixed, the missing parent
        call_command("import_places", str(bad), stdout=StringIO(), stderr=err)
    assert err.getvalue().strip() == "line 3: 未找到上级地区 999999"  # the row whose parent is missing
    assert Place.objects.count() == before  # 好社区 was not kept either


@pytest.mark.django_db
def test_rows_are_checked_before_anything_is_written():
    call_command("import_places", stdout=StringIO())
    before = Place.objects.count()
    text = (
        "code,parent_code,name,level\n"
        "110115001901,110115001,好社区,community\n"
        "110115001902,999999,孤儿社区,community\n"
        "110115001903,110115001,,community\n"
    )
    with pytest.raises(ImportRejected) as exc:
        import_csv(text, system=True)
    assert [e.line for e in exc.value.errors] == [4]  # the empty name is caught before any write
    with pytest.raises(ImportRejected) as exc:
        import_csv(
            "code,parent_code,name,level\n110115001901,110115001,好社区,community\n110115001901,110115001,又一个,community\n",
            system=True,
        )
    assert [e.line for e in exc.value.errors] == [3]  # the same code twice
    assert Place.objects.count() == before


@pytest.mark.django_db
def test_a_community_cannot_hang_under_a_district():
    call_command("import_places", stdout=StringIO())
    with pytest.raises(ImportRejected) as exc:
        import_csv("code,parent_code,name,level\n110115999001,110115,错层社区,community\n", system=True)
    assert exc.value.errors[0].message == "社区（村）的上级必须是街道（乡镇）。"


@pytest.mark.django_db
def test_parents_may_come_after_their_children_and_excel_byte_order_marks_are_read():
    text = (
        "\ufeffcode,parent_code,name,level,official\n"
        "110115001,110115,清源街道,street,1\n"
        "110115001001,110115001,枣园社区,community,0\n"
        "110000,,北京市,city,1\n"
        "110115,110000,大兴区,district,1\n"
    )
    assert import_csv(text, system=True) == 4
    community = Place.objects.get(code="110115001001")
    assert community.path == "110000/110115/110115001/110115001001/" and community.official is False
    assert [p.name for p in community.ancestors(include_self=True)] == ["北京市", "大兴区", "清源街道", "枣园社区"]


@pytest.mark.django_db
def test_a_file_that_cannot_be_read_is_a_clear_error_and_changes_nothing(tmp_path):
    with pytest.raises(CommandError, match="无法读取 .*missing.csv"):
        run(str(tmp_path / "missing.csv"))
    legacy = tmp_path / "gbk.csv"
    legacy.write_bytes("code,parent_code,name,level\n110000,,北京市,city\n".encode("gbk"))
    with pytest.raises(CommandError, match="不是 UTF-8 编码"):
        run(str(legacy))
    assert not Place.objects.exists()
