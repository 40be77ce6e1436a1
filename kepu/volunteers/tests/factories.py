"""Factories for volunteers, needs and experts, built through the services where it matters."""

from datetime import timedelta

import factory
from django.utils import timezone

from kepu.accounts.tests.factories import person
from kepu.core.actor import Actor
from kepu.core.pii import id_check_digit
from kepu.core.roles import Role
from kepu.volunteers import services
from kepu.volunteers.models import Expert, ExpertField
from kepu.volunteers.search import index_experts


def make_id_number(n: int, region: str = "110115", born: str = "19900307") -> str:
    first17 = f"{region}{born}{n % 1000:03d}"
    return first17 + id_check_digit(first17)


_counter = iter(range(1, 10**6))


def register(actor: Actor, **kwargs):
    n = next(_counter)
    data = {"real_name": f"志愿者{n}", "id_number": make_id_number(n), "phone": "", "consent_version": "test"}
    data.update(kwargs)
    return services.volunteer_register(actor=actor, **data)


def member_volunteer(org, staff: Actor, **kwargs):
    """A resident who registered as a volunteer and was approved into ``org``; returns (actor, volunteer)."""
    resident = person(org, Role.VOLUNTEER)  # the membership that approval would give
    volunteer = register(Actor(user=resident.user, membership=resident.membership), **kwargs)
    return resident, volunteer


def need_for(staff: Actor, place, *, slots=2, standby=1, hours=2, **kwargs):
    start = kwargs.pop("starts_at", timezone.now() + timedelta(hours=1))
    return services.need_create(
        actor=staff,
        title=kwargs.pop("title", "科技周讲解"),
        place=place,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        slots=slots,
        standby_slots=standby,
        **kwargs,
    )


class ExpertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Expert
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"专家{n}")
    field = ExpertField.LIFE
    subfield = "公共卫生"
    title = "主任医师"
    affiliation = "区医院"
    district = None

    @factory.post_generation
    def searchable(self, create, extracted, **kwargs):
        self.refresh_search()
        if create:
            self.save(update_fields=["search_text", "audience_tags"])
            index_experts([self])
