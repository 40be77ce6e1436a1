import csv
from pathlib import Path

import pytest
from django.core.management import call_command

from kepu.places.models import Place, PlaceLevel
from kepu.places.services import ImportRejected, import_csv

DATA = Path(__file__).resolve().parents[1] / "data" / "beijing.csv"


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
def test_import_command_builds_the_tree_with_paths():
    call_command("import_places")
    daxing = Place.objects.get(code="110115")
    assert daxing.path == "110000/110115/"
    assert daxing.level == PlaceLevel.DISTRICT
    street = Place.objects.filter(parent=daxing).first()
    assert street.path.startswith(daxing.path) and street.district_code == "110115"
    assert Place.objects.filter(path__startswith=daxing.path, level=PlaceLevel.STREET).count() == 22
    call_command("import_places")  # a second import changes nothing
    assert Place.objects.filter(level=PlaceLevel.STREET, district_code="110115").count() == 22


@pytest.mark.django_db
def test_import_is_all_or_nothing_and_reports_each_bad_row():
    call_command("import_places")
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
    text = "code,parent_code,name,level\n110115001901,110115001,好社区,community\n110115001902,999999,孤儿社区,community\n"
    with pytest.raises(ImportRejected) as exc:
        import_csv(text, system=True)
    assert [e.line for e in exc.value.errors] == [3]
    assert Place.objects.count() == before


@pytest.mark.django_db
def test_a_community_cannot_hang_under_a_district():
    call_command("import_places")
    with pytest.raises(ImportRejected):
        import_csv("code,parent_code,name,level\n110115999001,110115,错层社区,community\n", system=True)


@pytest.mark.django_db
def test_public_tree_pages_and_api(client):
    call_command("import_places")
    assert "大兴区" in client.get("/places/").content.decode()
    page = client.get("/places/110115/").content.decode()
    assert "清源街道" in page
    data = client.get("/api/v1/places/?parent=110115").json()
    assert data["count"] == 22
    assert all(item["path"].startswith("110000/110115/") for item in data["items"])
