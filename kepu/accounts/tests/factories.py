"""Factories for people, and ``build_world``: a small city with one person per role."""

from types import SimpleNamespace

import factory

from kepu.accounts.models import Membership, User
from kepu.accounts.services import phone_index
from kepu.core.actor import Actor
from kepu.core.roles import Role
from kepu.orgs.choices import OrgKind
from kepu.orgs.tests.factories import OrganizationFactory
from kepu.places.choices import PlaceLevel
from kepu.places.tests.factories import city, tree

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"测试{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    phone_index = factory.LazyAttribute(lambda o: phone_index(o.phone))

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.UNIT_STAFF


def person(org, role, **kwargs) -> Actor:
    membership = MembershipFactory(organization=org, role=role, **kwargs)
    return Actor(user=membership.user, membership=membership)


def build_world() -> SimpleNamespace:
    """Districts A (大兴) and B (西城), each with streets, communities and people in every role."""
    w = SimpleNamespace()
    w.city = city()
    w.city_office = OrganizationFactory(name="市科协", kind=OrgKind.CITY_OFFICE, place=w.city)
    w.city_admin = person(w.city_office, Role.CITY_ADMIN)
    for key, code, name in (("a", "110115", "大兴区"), ("b", "110102", "西城区")):
        district, streets = tree(w.city, code, name)
        d = SimpleNamespace(place=district, streets=streets)
        d.communities = [c for s in streets for c in s.children.filter(level=PlaceLevel.COMMUNITY).order_by("code")]
        d.office = OrganizationFactory(name=f"{name}科协", kind=OrgKind.DISTRICT_OFFICE, place=district)
        d.unit = OrganizationFactory(
            name=f"{name}卫健委", short_name="区卫健委", kind=OrgKind.MEMBER_UNIT, place=district
        )
        d.unit2 = OrganizationFactory(name=f"{name}应急局", kind=OrgKind.MEMBER_UNIT, place=district)
        d.street_office = OrganizationFactory(
            name=f"{streets[0].name}办事处", kind=OrgKind.STREET_OFFICE, place=streets[0]
        )
        d.street2_office = OrganizationFactory(
            name=f"{streets[1].name}办事处", kind=OrgKind.STREET_OFFICE, place=streets[1]
        )
        d.committees = [
            OrganizationFactory(name=f"{c.name}居委会", kind=OrgKind.COMMUNITY, place=c) for c in d.communities
        ]
        d.team = OrganizationFactory(name=f"{name}志愿队", kind=OrgKind.VOLUNTEER_ORG, place=district)
        d.base = OrganizationFactory(name=f"{name}科技馆", kind=OrgKind.SCIENCE_BASE, place=district)
        d.school = OrganizationFactory(name=f"{name}小学", kind=OrgKind.SCHOOL, place=streets[0])
        d.admin = person(d.office, Role.DISTRICT_ADMIN)
        d.street_staff = person(d.street_office, Role.STREET_STAFF)
        d.community_staff = person(d.committees[0], Role.COMMUNITY_STAFF)
        d.unit_staff = person(d.unit, Role.UNIT_STAFF)
        d.team_staff = person(d.team, Role.VOLUNTEER_ORG_STAFF)
        d.base_staff = person(d.base, Role.BASE_STAFF)
        d.school_staff = person(d.school, Role.ORG_STAFF)
        d.expert = person(d.office, Role.EXPERT)
        d.resident = person(d.committees[0], Role.RESIDENT)
        d.resident.user.home_place = d.communities[0]
        d.resident.user.save(update_fields=["home_place"])
        d.neighbour = person(d.committees[-1], Role.RESIDENT)  # a resident in the other street
        setattr(w, key, d)
    return w


def all_roles(d) -> dict[str, Actor]:
    return {
        Role.DISTRICT_ADMIN: d.admin,
        Role.STREET_STAFF: d.street_staff,
        Role.COMMUNITY_STAFF: d.community_staff,
        Role.UNIT_STAFF: d.unit_staff,
        Role.VOLUNTEER_ORG_STAFF: d.team_staff,
        Role.BASE_STAFF: d.base_staff,
        Role.ORG_STAFF: d.school_staff,
        Role.EXPERT: d.expert,
        Role.RESIDENT: d.resident,
    }
