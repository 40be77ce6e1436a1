import factory

from kepu.places.models import Place, PlaceLevel


class PlaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Place
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"9{n:08d}")
    name = factory.Sequence(lambda n: f"地点{n}")
    level = PlaceLevel.COMMUNITY
    parent = None
    official = False

    @factory.lazy_attribute
    def path(self):
        return f"{self.parent.path if self.parent else ''}{self.code}/"

    @factory.lazy_attribute
    def district_code(self):
        if self.level == PlaceLevel.DISTRICT:
            return self.code
        return self.parent.district_code if self.parent else ""


def city():
    return PlaceFactory(code="110000", name="北京市", level=PlaceLevel.CITY, official=True)


def tree(city_place, district_code, district_name, street_names=("甲街道", "乙街道"), communities=2):
    district = PlaceFactory(
        code=district_code, name=district_name, level=PlaceLevel.DISTRICT, parent=city_place, official=True
    )
    streets = []
    for i, s in enumerate(street_names, start=1):
        street = PlaceFactory(
            code=f"{district_code}{i:03d}",
            name=f"{district_name}{s}",
            level=PlaceLevel.STREET,
            parent=district,
            official=True,
        )
        streets.append(street)
        for j in range(1, communities + 1):
            PlaceFactory(
                code=f"{street.code}{j:03d}", name=f"{street.name}{j}社区", level=PlaceLevel.COMMUNITY, parent=street
            )
    return district, streets
